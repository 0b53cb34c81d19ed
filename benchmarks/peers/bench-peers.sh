#!/usr/bin/env bash
# The peers' figures for `berth bench`: podman, bare crun, the unshare+chroot
# floor and iperf3 over podman's CNI bridge, measured on berth's workload ids
# and in berth's units, so that one report carries them beside berth's own.
#
#   benchmarks/peers/bench-peers.sh SUITE [BERTH] [OUTDIR] [berth bench flags...]
#
# SUITE is storage, network, runtime or all; BERTH defaults to build/bin/berth
# and OUTDIR to ./bench-report. The peers go to OUTDIR/peers-SUITE.json (the
# {"suite", "subjects", "measurements"} file `berth bench --peers` reads), then
# `BERTH bench SUITE --peers FILE --out OUTDIR/SUITE --format markdown FLAGS`
# runs (for runtime with hugetlb bound as below, so berth's crun runs too).
# "all" does the three suites in turn, one peers file each, because berth
# checks that a peers file's suite is the report's. REPEAT (5) rounds,
# CONCURRENT (10) containers at once (also the N of disk_usage), FILES (1000)
# small files and a SIZE (64) MiB file in the storage image, and DURATION
# (5) seconds per iperf3 run override the defaults. Needs root, jq and
# /bin/busybox (busybox-static); a peer that is not installed is skipped.
#
# How it measures, and why so:
# - Wall time around the peer's own commands, read from $EPOCHREALTIME (no
#   fork), so podman's figures include its CLI as a user meets it.
# - A warm-up round per subject is thrown away, and the rounds interleave the
#   subjects: a load that comes and goes (a build on the same cores) then
#   hits them all alike.
# - The measuring runs re-executed in a private mount and network namespace,
#   so podman's bridge, NAT rules and iperf3's traffic never reach the host.
#   What podman keeps outside its store (CNI state in /etc/cni/net.d,
#   /var/lib/cni and /run/netns, crun's state in /run/crun, the blob-info
#   cache in /var/lib/containers/cache) lives on a tmpfs there. Debian's crun
#   1.8.1 refuses a cgroup-v1 hybrid host until hugetlb is bound to a v1
#   hierarchy; that mount is made there only (as in runtime_start.sh).
# - podman keeps its stores, state and events in a scratch directory from
#   mktemp under /var/tmp. A store goes by rm + rmi and deleting its
#   directory, not `podman system reset`, which as root also deletes every
#   podman machine of the host. Storage rounds get a fresh store each, so
#   apply_layers (podman import of the one-layer tarball of busybox, FILES
#   small files and the SIZE MiB file, as berth generates it) always lands
#   in an empty store.
# - network: attach_detach is `podman run` on the default bridge minus the
#   same with --network none, per round. iperf3_c2c runs iperf3 from the
#   host inside each container's network namespace (nsenter), so the packets
#   take netns → veth → bridge → veth → netns, as in network.sh.
# Everything it made (containers, stores, cgroups, mounts, the scratch
# directory) is removed on exit, Ctrl-C included.
set -euo pipefail
shopt -s inherit_errexit
export LC_ALL=C # $EPOCHREALTIME and awk's numbers with a decimal point

readonly me=bench-peers.sh
readonly image=localhost/bench-peers:busybox
readonly port=5201
repeat=${REPEAT:-5}
concurrent=${CONCURRENT:-10}
duration=${DURATION:-5}
files=${FILES:-1000}
size_mib=${SIZE:-64}

note() { echo "$me: $*" >&2; }
die() {
  note "$*"
  exit 1
}
usage_error() {
  note "$*"
  exit 2
}

# ---- The outer run: a peers file per suite, then berth's own bench ---------

scratch=

main() {
  [ $# -ge 1 ] || usage_error "usage: $me storage|network|runtime|all [BERTH] [OUTDIR] [berth bench flags...]"
  local suite=$1 berth=build/bin/berth outdir=bench-report suites
  shift
  # Flags may follow SUITE directly; BERTH and OUTDIR are the words before them.
  if [ $# -gt 0 ] && [[ $1 != -* ]]; then berth=$1 && shift; fi
  if [ $# -gt 0 ] && [[ $1 != -* ]]; then outdir=$1 && shift; fi
  suites=$(suites_of "$suite") ||
    usage_error "unknown suite '$suite'; use storage, network, runtime or all"
  check_knobs
  [ "$(id -u)" = 0 ] || die "needs root (private namespaces, podman's stores, crun); run it with sudo"
  command -v jq >/dev/null || die "jq is needed to write the peers file; apt-get install jq"
  mkdir -p "$outdir"

  trap stop_measuring EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  for suite in $suites; do measure_peers "$suite" "$outdir/peers-$suite.json"; done
  "$berth" bench --help >/dev/null 2>&1 ||
    die "$berth has no bench command; build berth first (the peers' figures are in $outdir/peers-*.json)"
  for suite in $suites; do run_berth_bench "$berth" "$suite" "$outdir" "$@"; done
}

suites_of() {
  case $1 in
  storage | network | runtime) echo "$1" ;;
  all) echo storage network runtime ;;
  *) return 1 ;;
  esac
}

check_knobs() {
  local knob
  for knob in REPEAT=$repeat CONCURRENT=$concurrent DURATION=$duration FILES=$files \
    SIZE=$size_mib; do
    [[ ${knob#*=} =~ ^[1-9][0-9]*$ ]] ||
      usage_error "${knob%%=*} must be a positive whole number, not '${knob#*=}'"
  done
}

# The measuring itself runs in its own mount and network namespace (see the
# header). It runs in the background so that a signal here (Ctrl-C, TERM)
# is acted on at once, not when a child that caught it chooses to exit, and
# is passed on to it as TERM; it ignores SIGINT, as a background command of
# a script does. The scratch directory is made out here so that it goes
# even if that process is killed outright.
measuring_pid=''

measure_peers() { # SUITE FILE
  local rc=0
  rm -f "$2"
  scratch=$(mktemp -d /var/tmp/berth-peers-XXXXXX)
  unshare --mount --net --propagation private bash "$0" --inside "$1" "$scratch" "$2" &
  measuring_pid=$!
  wait "$measuring_pid" || rc=$?
  measuring_pid=''
  [ "$rc" = 0 ] || exit "$rc"
  rm -rf "$scratch"
  scratch=''
}

stop_measuring() {
  trap '' INT TERM
  set +e
  if [ -n "$measuring_pid" ]; then
    kill -TERM "$measuring_pid" 2>/dev/null
    wait "$measuring_pid"
  fi
  if [ -n "$scratch" ]; then rm -rf "$scratch"; fi
}

run_berth_bench() { # BERTH SUITE OUTDIR FLAGS...
  local berth=$1 suite=$2 outdir=$3 peers=()
  shift 3
  if [ -s "$outdir/peers-$suite.json" ]; then
    peers=(--peers "$outdir/peers-$suite.json")
  else
    note "no $suite peer was measured; berth bench $suite runs without --peers"
  fi
  local sizes run
  read -ra sizes <<<"$(same_sizes "$suite")"
  run=("$berth" bench "$suite" "${peers[@]}" --out "$outdir/$suite" --format markdown
    --repeat "$repeat" "${sizes[@]}" "$@")
  if [ "$suite" = runtime ] && command -v crun >/dev/null; then
    # berth's crun backend needs hugetlb on v1 as much as bare crun does.
    unshare --mount --propagation private bash "$0" --with-hugetlb "${run[@]}"
  else
    "${run[@]}"
  fi
}

# berth's knobs set to the peers' own, so that both measure the same thing.
same_sizes() {
  case $1 in
  storage) echo "--files $files --size $size_mib --containers $concurrent" ;;
  network) echo "--duration $duration" ;;
  runtime) echo "--containers $concurrent" ;;
  esac
}

# Runs a command with hugetlb bound to a v1 hierarchy in this (private)
# mount namespace, and gives it back afterwards.
with_hugetlb() {
  local rc=0
  trap release_hugetlb EXIT
  bind_hugetlb_v1
  "$@" || rc=$?
  return "$rc"
}

# ---- The inner run: subjects, rounds and the peers file ---------------------

subjects=()
# By subject name: its version, options (JSON), set-up and round commands
# (a function and its words), workloads, first error; samples by
# "subject/workload", space-separated.
declare -A version_of options_of setup_of round_of workloads_of error_of samples_of

add_subject() { # NAME VERSION OPTIONS-JSON SETUP ROUND WORKLOAD...
  subjects+=("$1")
  version_of[$1]=$2
  options_of[$1]=$3
  setup_of[$1]=$4
  round_of[$1]=$5
  workloads_of[$1]=${*:6}
}

# Whether TOOL is installed; says which subject goes without it when not.
have() { # TOOL SUBJECT
  command -v "$1" >/dev/null && return 0
  note "$1 is not installed; skipping $2"
  return 1
}

version_field() { # FIELD COMMAND...: a word of the command's first line
  "${@:2}" 2>/dev/null | awk -v field="$1" 'NR == 1 {print $field}'
}

inside() { # SUITE SCRATCH FILE
  suite=$1 scratch=$2
  local peers_file=$3
  trap cleanup EXIT
  trap 'exit 143' TERM
  libpod_parents_before=$(ls -d /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true)
  crun_cgroup=berth-peers-${scratch##*-}
  set_container_limits
  "add_${suite}_subjects"
  if [ ${#subjects[@]} = 0 ]; then
    note "no $suite peer is installed; there is nothing to measure"
    return 0
  fi
  [ -x /bin/busybox ] || die "/bin/busybox is needed for the peers' image; apt-get install busybox-static"
  make_private_state
  make_image
  run_subjects
  # Whole or not at all: berth must not read half a file.
  write_peers_json >"$scratch/peers.json"
  mv "$scratch/peers.json" "$peers_file"
  note "peers written to $peers_file"
}

run_subjects() {
  local subject round
  for subject in "${subjects[@]}"; do
    [ -n "${setup_of[$subject]}" ] || continue
    note "$suite: setting up $subject"
    run_step "$subject" 0 "${setup_of[$subject]}"
  done
  for round in $(seq 0 "$repeat"); do
    for subject in "${subjects[@]}"; do
      [ -z "${error_of[$subject]-}" ] || continue
      if [ "$round" = 0 ]; then
        note "$suite: warm-up: $subject"
      else
        note "$suite: round $round/$repeat: $subject"
      fi
      run_step "$subject" "$round" "${round_of[$subject]}"
    done
  done
}

# Runs COMMAND (words) with ROUND appended in a subshell with errexit in
# force, which an `if` or `||` around it would switch off. The step reports
# samples on fd 3; those of round 0 (set-up, warm-up) are dropped. A failure
# becomes the subject's error (the last line the step printed) and ends its
# rounds; samples of its earlier workloads stay.
# The step runs as a background job in a process group of its own (job
# control just for its start, so that bash prints no job notices): `wait`
# returns at once on TERM, and cleanup stops the step's every process.
step_pid=''

run_step() { # SUBJECT ROUND COMMAND
  local subject=$1 round=$2 rc command
  read -ra command <<<"$3"
  set +e
  set -m
  (
    set -e
    "${command[@]}" "$round"
  ) 3>"$scratch/step.samples" >"$scratch/step.log" 2>&1 </dev/null &
  step_pid=$!
  set +m
  wait "$step_pid"
  rc=$?
  step_pid=''
  set -e
  if [ "$round" != 0 ]; then keep_samples "$subject" || rc=1; fi
  [ "$rc" != 0 ] || return 0
  error_of[$subject]=$(awk -v rc="$rc" 'NF {last = $0}
    END {print (last == "") ? "exited with status " rc : substr(last, 1, 200)}' "$scratch/step.log")
  note "$subject failed: ${error_of[$subject]}"
}

keep_samples() { # SUBJECT
  local workload value
  while read -r workload value; do
    if ! [[ $value =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then
      echo "$workload: '$value' is not a number" >>"$scratch/step.log"
      return 1
    fi
    samples_of[$1/$workload]+="$value "
  done <"$scratch/step.samples"
}

sample() { printf '%s %s\n' "$1" "$2" >&3; } # WORKLOAD VALUE

ms_between() { awk -v us=$(($2 - $1)) 'BEGIN {printf "%.3f", us / 1000}'; } # START-US END-US

per_second() { awk -v n="$1" -v us=$(($3 - $2)) 'BEGIN {printf "%.2f", n * 1e6 / us}'; } # N START END

write_peers_json() {
  local subject workloads workload
  : >"$scratch/subjects.jsonl"
  : >"$scratch/measurements.jsonl"
  for subject in "${subjects[@]}"; do
    jq -cn --arg name "$subject" --arg version "${version_of[$subject]}" \
      --argjson options "${options_of[$subject]}" \
      '{name: $name, version: $version, options: $options}' >>"$scratch/subjects.jsonl"
    read -ra workloads <<<"${workloads_of[$subject]}"
    for workload in "${workloads[@]}"; do
      measurement_json "$subject" "$workload" >>"$scratch/measurements.jsonl"
    done
  done
  jq -n --arg suite "$suite" --slurpfile subjects "$scratch/subjects.jsonl" \
    --slurpfile measurements "$scratch/measurements.jsonl" \
    '{suite: $suite, subjects: $subjects, measurements: $measurements}'
}

measurement_json() { # SUBJECT WORKLOAD
  local samples=${samples_of[$1/$2]-}
  if [ -n "$samples" ]; then
    jq -cn --arg workload "$2" --arg subject "$1" --argjson samples "$(jq -cs . <<<"$samples")" \
      '{workload: $workload, subject: $subject, samples: $samples}'
  else
    jq -cn --arg workload "$2" --arg subject "$1" --arg error "${error_of[$1]:-no samples}" \
      '{workload: $workload, subject: $subject, error: $error}'
  fi
}

# ---- The namespace's private state, and its cleanup -------------------------

made_dirs=() private_dirs=() hugetlb_lock='' hugetlb_mounted=0
libpod_parents_before='' crun_cgroup=''

make_private_state() {
  local dir
  for dir in /etc/cni/net.d /var/lib/cni /run/netns /run/crun /var/lib/containers/cache; do
    private_dir "$dir"
  done
  ip link set lo up
  # Only containers that start need it; the storage suite starts none.
  if [ "$suite" != storage ] && command -v crun >/dev/null; then bind_hugetlb_v1; fi
}

# A tmpfs over a host directory, seen only in this mount namespace. The
# directories it has to make are on the host's file system, so each is
# noted (outermost first) for cleanup to remove.
private_dir() {
  local dir=$1 missing=()
  while [ ! -d "$dir" ]; do
    missing=("$dir" "${missing[@]}")
    dir=$(dirname "$dir")
  done
  for dir in "${missing[@]}"; do mkdir "$dir" && made_dirs+=("$dir"); done
  mount -t tmpfs tmpfs "$1" && private_dirs+=("$1")
}

# The mount point is a directory on the host's cgroup tmpfs, shared with
# anything else binding hugetlb now (berth's own tests do). Removing it would
# detach every mount on it in every namespace, so each user holds a shared
# flock on it and only the last (who can lock it exclusively) removes it.
bind_hugetlb_v1() {
  grep -q ' cgroup .*hugetlb' /proc/self/mounts && return 0
  while :; do
    mkdir -p /sys/fs/cgroup/hugetlb
    exec {hugetlb_lock}</sys/fs/cgroup/hugetlb
    flock -s "$hugetlb_lock"
    # Removed by its last user between our mkdir and our lock: again.
    [ "$(stat -L -c %h "/proc/self/fd/$hugetlb_lock")" -gt 0 ] && break
    exec {hugetlb_lock}<&-
  done
  mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
  hugetlb_mounted=1
}

cleanup() {
  trap '' INT TERM
  set +e
  if [ -n "$step_pid" ]; then
    kill -TERM -- "-$step_pid" 2>/dev/null
    wait "$step_pid"
  fi
  stop_iperf3_server
  remove_crun_containers
  remove_podman_stores
  remove_cgroups
  release_hugetlb
  unmount_under "$scratch/"
  local dir i
  for dir in "${private_dirs[@]}"; do umount -l "$dir"; done
  for ((i = ${#made_dirs[@]} - 1; i >= 0; i--)); do rmdir "${made_dirs[i]}"; done
  rm -rf "$scratch"
}

# Deepest first; all of them are in this private mount namespace.
unmount_under() { # DIR/...
  local dir point
  for dir in "$@"; do
    awk -v dir="$dir" 'index($5, dir) == 1 {print $5}' /proc/self/mountinfo | sort -r |
      while read -r point; do umount -l "$point"; done
  done
}

remove_crun_containers() {
  local bundle
  [ -d "$scratch/crun/state" ] || return 0
  for bundle in "$scratch"/crun/bundle-*; do
    crun_cli delete -f "$crun_cgroup-${bundle##*-}" >/dev/null 2>&1
  done
}

remove_podman_stores() {
  local store
  for store in "$scratch"/podman/*/*/; do
    [ -d "$store" ] || continue
    store=${store%/}
    remove_store "${store#"$scratch/podman/"}" >/dev/null 2>&1
  done
}

# podman with cgroupfs leaves libpod_parent (and its conmon) in every v1
# hierarchy, crun the parent of its containers; those this run made go.
# rmdir only takes empty ones, and a cgroup is empty only once its last
# process is reaped, so it is tried for a few seconds.
remove_cgroups() {
  local left dir
  for _ in $(seq 100); do
    left=0
    for dir in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/*/"$crun_cgroup"; do
      [ -d "$dir" ] || continue
      grep -qxF "$dir" <<<"$libpod_parents_before" && continue
      find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || left=1
    done
    [ "$left" = 0 ] && return 0
    sleep 0.05
  done
  note "could not remove every cgroup it made (libpod_parent, $crun_cgroup under /sys/fs/cgroup/*)"
}

# The kernel gives hugetlb back to cgroup v2 only once the v1 hierarchy has
# no cgroups left at its last umount; removed cgroups are freed
# asynchronously.
release_hugetlb() {
  [ -n "$hugetlb_lock" ] || return 0
  local last=0
  flock -xn "$hugetlb_lock" && last=1
  if [ "$hugetlb_mounted" = 1 ]; then
    if [ "$last" = 1 ]; then
      for _ in $(seq 100); do
        [ "$(awk '$1 == "hugetlb" {print $3}' /proc/cgroups)" -le 1 ] && break
        sleep 0.05
      done
    fi
    umount /sys/fs/cgroup/hugetlb
    hugetlb_mounted=0
  fi
  if [ "$last" = 1 ]; then rmdir /sys/fs/cgroup/hugetlb; fi
  exec {hugetlb_lock}<&-
  hugetlb_lock=''
}

# ---- The image: busybox, one layer ----------------------------------------

make_image() {
  local rootfs=$scratch/rootfs applet
  mkdir -p "$rootfs"/{bin,etc,dev,proc,sys,tmp,root}
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  if [ "$suite" = storage ]; then add_bench_files "$rootfs"; fi
  tar -C "$rootfs" -cf "$scratch/image.tar" .
}

# What berth bench storage's generated image holds beside busybox, so that
# the peers apply, copy and count the same bytes: FILES small files and one
# SIZE MiB file.
add_bench_files() { # ROOTFS
  local i dir
  for ((i = 0; i < files; i++)); do
    dir=$1/bench/files/dir-$((i % 32))
    mkdir -p "$dir"
    head -c 4096 /dev/urandom >"$dir/file-$i"
  done
  head -c "$((size_mib << 20))" /dev/urandom >"$1/bench/large.bin"
}

# ---- podman -----------------------------------------------------------------

# podman on a private store: STORE is DRIVER/NAME under the scratch directory.
# The run root has a short path of its own: podman refuses one over 50
# characters (conmon's socket paths live under it).
podman_cli() { # STORE ARGS...
  local dir=$scratch/podman/$1 driver=${1%%/*} runroot=$scratch/run/${1//\//-}
  shift
  podman --root "$dir/root" --runroot "$runroot" --tmpdir "$dir/tmp" --storage-driver "$driver" \
    --cgroup-manager cgroupfs --events-backend file --runtime crun "$@"
}

podman_version() { version_field 3 podman --version; }

# Containers and images first, so that podman unmounts what it mounted;
# then whatever is left mounted under the store, then its directories.
remove_store() { # STORE
  local dir=$scratch/podman/$1 runroot=$scratch/run/${1//\//-} # as in podman_cli
  podman_cli "$1" rm -af -t 0 >/dev/null
  podman_cli "$1" rmi -af >/dev/null
  unmount_under "$dir/" "$runroot/"
  rm -rf "$dir" "$runroot"
}

import_image() { podman_cli "$1" import -q "$scratch/image.tar" "$image" >/dev/null; } # STORE

podman_true() { # STORE [RUN FLAGS...]
  podman_cli "$1" run --rm "${limits[@]}" "${@:2}" "$image" /bin/true
}

# podman as root asks for nofile and nproc limits above what a process
# without CAP_SYS_RESOURCE may set (crun: setrlimit: Operation not
# permitted). The containers get this process's hard nofile instead, and an
# nproc of at most 32768: more fails under podman 4.3.1 even below this
# process's hard limit (found by trial; network.sh uses the same).
limits=() limits_text=''
set_container_limits() {
  local nofile nproc
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
  limits=(--ulimit "nproc=$nproc:$nproc")
  limits_text="nproc=$nproc"
  if [ "$nofile" != unlimited ]; then
    limits+=(--ulimit "nofile=$nofile:$nofile")
    limits_text+=" nofile=$nofile"
  fi
}

# ---- runtime ------------------------------------------------------------------

add_runtime_subjects() {
  # podman runs its containers with crun here, as the options say.
  if have podman podman && have crun podman; then
    add_subject podman "$(podman_version)" \
      "$(jq -cn --arg ulimits "$limits_text" '{cgroup_manager: "cgroupfs", network: "none",
        runtime: "crun", storage_driver: "overlay", ulimits: $ulimits}')" \
      "import_image overlay/runtime" podman_runtime_round start_true concurrent
  fi
  if have crun "crun (bare)"; then
    add_subject "crun (bare)" "$(version_field 3 crun --version)" \
      '{"cgroup_manager":"cgroupfs","namespaces":"pid,network,ipc,uts,mount","terminal":"false"}' \
      make_crun_bundles crun_round start_true concurrent
  fi
  if have unshare unshare+chroot && have chroot unshare+chroot; then
    add_subject unshare+chroot "$(version_field 4 unshare --version)" \
      '{"namespaces":"pid,mount,uts,ipc,net","cgroups":"none","root":"chroot"}' \
      "" floor_round start_true concurrent
  fi
}

# Starts CONCURRENT copies of COMMAND at once, each with its index (1..N)
# appended, and waits for every one; fails if one did.
run_concurrently() { # COMMAND...
  local pids=() i pid
  for i in $(seq "$concurrent"); do
    "$@" "$i" &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}

# One runtime round: start_true, then CONCURRENT at once (INDEX is ignored
# by the commands that have no use for it).
runtime_round() { # COMMAND
  local t0 t1
  t0=${EPOCHREALTIME/./}
  "$@" 0
  t1=${EPOCHREALTIME/./}
  sample start_true "$(ms_between "$t0" "$t1")"
  t0=${EPOCHREALTIME/./}
  run_concurrently "$@"
  t1=${EPOCHREALTIME/./}
  sample concurrent "$(per_second "$concurrent" "$t0" "$t1")"
}

podman_runtime_round() { runtime_round podman_runtime_true; }
podman_runtime_true() { podman_true overlay/runtime --network none; }

floor_round() { runtime_round floor_true; }
floor_true() { unshare --pid --fork --mount --uts --ipc --net chroot "$scratch/rootfs" /bin/true; }

crun_round() { runtime_round crun_true; }
crun_cli() { crun --root "$scratch/crun/state" "$@"; }
crun_true() { crun_cli run --bundle "$scratch/crun/bundle-$1" "$crun_cgroup-$1" </dev/null; } # INDEX

# A bundle per container (0 for start_true, 1..N for concurrent), all on the
# one read-only busybox root; each has its own cgroup under $crun_cgroup, as
# podman gives each container its own under libpod_parent.
make_crun_bundles() {
  local i
  mkdir -p "$scratch/crun/state"
  (cd "$scratch/crun" && crun spec)
  for i in $(seq 0 "$concurrent"); do
    mkdir "$scratch/crun/bundle-$i"
    jq --arg root "$scratch/rootfs" --arg cgroup "/$crun_cgroup/$crun_cgroup-$i" \
      '.root.path = $root | .process.args = ["/bin/true"] | .process.terminal = false
       | .linux.cgroupsPath = $cgroup' \
      "$scratch/crun/config.json" >"$scratch/crun/bundle-$i/config.json"
  done
}

# ---- storage ------------------------------------------------------------------

add_storage_subjects() {
  have podman "podman (overlay) and podman (vfs)" || return 0
  local driver
  for driver in overlay vfs; do
    add_subject "podman ($driver)" "$(podman_version)" \
      "$(jq -cn --arg driver "$driver" '{storage_driver: $driver, cgroup_manager: "cgroupfs",
        apply_layers: "podman import of the same one-layer image berth generates"}')" \
      "" "podman_storage_round $driver" apply_layers prepare_first prepare_next remove disk_usage
  done
}

# One round on a fresh store, which goes at the end to keep the disk small.
podman_storage_round() { # DRIVER ROUND
  local store=$1/round-$2 first usage t0 t1
  podman_cli "$store" images >/dev/null # makes the empty store, outside the timing
  t0=${EPOCHREALTIME/./}
  import_image "$store"
  t1=${EPOCHREALTIME/./}
  sample apply_layers "$(ms_between "$t0" "$t1")"
  first=$(prepare_container "$store" prepare_first)
  prepare_container "$store" prepare_next >/dev/null
  t0=${EPOCHREALTIME/./}
  podman_cli "$store" umount "$first" >/dev/null
  podman_cli "$store" rm "$first" >/dev/null
  t1=${EPOCHREALTIME/./}
  sample remove "$(ms_between "$t0" "$t1")"
  podman_cli "$store" umount -a >/dev/null
  podman_cli "$store" rm -af >/dev/null
  usage=$(disk_usage_of "$store" "$1")
  sample disk_usage "$usage"
  remove_store "$store"
}

prepare_container() { # STORE WORKLOAD: create + mount, timed; prints the container's id
  local id t0 t1
  t0=${EPOCHREALTIME/./}
  id=$(podman_cli "$1" create "$image" /bin/true)
  podman_cli "$1" mount "$id" >/dev/null
  t1=${EPOCHREALTIME/./}
  sample "$2" "$(ms_between "$t0" "$t1")"
  echo "$id"
}

# MiB the driver's directory grows by when CONCURRENT containers are created
# (not mounted: du would count the lower layers again through a mount).
disk_usage_of() { # STORE DRIVER
  local dir=$scratch/podman/$1/root/$2 before after
  before=$(du -sk "$dir" | cut -f1)
  for _ in $(seq "$concurrent"); do podman_cli "$1" create "$image" /bin/true >/dev/null; done
  after=$(du -sk "$dir" | cut -f1)
  awk -v kib=$((after - before)) 'BEGIN {printf "%.2f", kib / 1024}'
}

# ---- network ------------------------------------------------------------------

add_network_subjects() {
  local iperf3=0 version
  if have iperf3 "iperf3_c2c (podman (CNI bridge))" &&
    have nsenter "iperf3_c2c" && have ss "iperf3_c2c"; then
    iperf3=1
    version=$(version_field 2 iperf3 --version)
  fi
  if have podman "podman (CNI bridge)" && have crun "podman (CNI bridge)"; then
    add_subject "podman (CNI bridge)" "$(podman_version)" \
      "$(jq -cn --arg iperf3 "${version:-none}" --arg ulimits "$limits_text" '{network: "bridge",
        network_backend: "cni", runtime: "crun", cgroup_manager: "cgroupfs", iperf3: $iperf3,
        ulimits: $ulimits,
        attach_detach: "podman run on the bridge minus podman run --network none"}')" \
      "podman_network_setup $iperf3" "podman_network_round $iperf3" \
      attach_detach "$([ "$iperf3" = 0 ] || echo iperf3_c2c)"
  fi
}

# Two idle containers on podman's default bridge for iperf3's two ends.
podman_network_setup() { # IPERF3(0/1)
  local name
  import_image overlay/network
  [ "$1" = 1 ] || return 0
  for name in server client; do
    podman_cli overlay/network run -d --name "$name" "${limits[@]}" "$image" sleep 86400 >/dev/null
  done
}

podman_network_round() { # IPERF3(0/1) ROUND
  local t0 t1 t2 server client address network rate
  t0=${EPOCHREALTIME/./}
  podman_true overlay/network
  t1=${EPOCHREALTIME/./}
  podman_true overlay/network --network none
  t2=${EPOCHREALTIME/./}
  sample attach_detach "$(awk -v bridge=$((t1 - t0)) -v none=$((t2 - t1)) \
    'BEGIN {printf "%.3f", (bridge - none) / 1000}')"
  [ "$1" = 1 ] || return 0
  # Assigned first: a failure inside $(...) as a word would go unnoticed.
  network=$(container_network server)
  read -r server address <<<"$network"
  network=$(container_network client)
  read -r client _ <<<"$network"
  rate=$(throughput "$server" "$client" "$address")
  sample iperf3_c2c "$rate"
}

container_network() { # NAME: its network namespace file and address
  podman_cli overlay/network inspect \
    -f '{{.NetworkSettings.SandboxKey}} {{.NetworkSettings.IPAddress}}' "$1"
}

in_ns() { # NETNS-FILE ("" for this namespace) COMMAND...
  if [ -n "$1" ]; then nsenter --net="$1" "${@:2}"; else "${@:2}"; fi
}

# Gbit/s received by an iperf3 server in SERVER-NETNS from a client in
# CLIENT-NETNS sending to ADDRESS for DURATION seconds.
throughput() { # SERVER-NETNS CLIENT-NETNS ADDRESS
  stop_iperf3_server
  in_ns "$1" iperf3 -s -1 -D -p "$port" --pidfile "$scratch/iperf3.pid"
  await_listener "$1"
  if ! in_ns "$2" iperf3 -c "$3" -p "$port" -t "$duration" -J >"$scratch/iperf3.json"; then
    jq -r '"iperf3: " + (.error // "failed")' "$scratch/iperf3.json" >&2
    return 1
  fi
  jq '.end.sum_received.bits_per_second / 1e6 | round / 1000' "$scratch/iperf3.json"
}

await_listener() { # NETNS
  for _ in $(seq 250); do
    [ -z "$(in_ns "$1" ss -Hltn "sport = :$port")" ] || return 0
    sleep 0.02
  done
  echo "iperf3 -s did not listen on port $port within 5 s" >&2
  return 1
}

# The iperf3 server started last, if it is still there (-1 ends it after
# one test, but not after a failed client).
stop_iperf3_server() {
  local pid
  [ -s "$scratch/iperf3.pid" ] || return 0
  pid=$(tr -dc 0-9 <"$scratch/iperf3.pid")
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = iperf3 ]; then kill "$pid"; fi
  rm -f "$scratch/iperf3.pid"
}

if [ "${1-}" = --inside ]; then
  shift
  inside "$@"
elif [ "${1-}" = --with-hugetlb ]; then
  shift
  with_hugetlb "$@"
else
  main "$@"
fi
