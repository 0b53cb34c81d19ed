#!/usr/bin/env bash
# Network figures beside podman's: the Network* benchmarks of berth_benchmarks
# (start cost of the bridge, endpoint attach+detach, TCP round trip), then TCP
# throughput with iperf3 container to container through berth's bridge, and
# through podman's CNI bridge when podman is installed, against loopback.
#
# iperf3 runs from the host inside each container's network namespace
# (nsenter --net=SandboxKey), so its packets take the containers' path:
# netns → veth → bridge → veth → netns. Each path is measured once per round,
# rounds interleaved; the bridges are measured a second time with
# net.bridge.bridge-nf-call-iptables=0 to show what br_netfilter costs.
#
# Everything happens in a private network and mount namespace: the bridges,
# NAT rules and sysctls are gone when it ends, and podman's CNI state
# (/var/lib/cni, /run/netns) lives on a private tmpfs. Needs root, iperf3, jq,
# busybox. Usage: benchmarks/peers/network.sh [build/bin/berth_benchmarks]
# [benchmark flags]; ROUNDS (3) and DURATION (5 s per iperf3 run) override.
set -euo pipefail
shopt -s inherit_errexit

rounds=${ROUNDS:-3}
seconds=${DURATION:-5}
port=5201

if [ "${1-}" != --inside ]; then
  bench=${1:-build/bin/berth_benchmarks}
  shift || true
  for tool in iperf3 jq nsenter ss sysctl; do
    command -v "$tool" >/dev/null || { echo "network.sh: $tool is needed; install it" >&2; exit 1; }
  done
  # The benchmark makes its own private namespaces; crun's hugetlb needs
  # (see runtime_start.sh) do not apply: podman runs with runc there.
  "$bench" --benchmark_filter=Network "$@"
  berth=$(cd "$(dirname "$bench")" && pwd)/berth
  exec unshare --net --mount --propagation private bash "$0" --inside "$berth"
fi

berth_bin=$2
scratch=$(mktemp -d /var/tmp/berth-network-peer-XXXXXX)
net=netpeer-$$
made_dirs=() private_dirs=() berth_ids=() podman_ok=0
podman_parents_before=$(ls -d /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true)

b() { "$berth_bin" --root "$scratch/root" "$@"; }
p() {
  podman --root "$scratch/podman" --runroot "$scratch/podman-run" --cgroup-manager=cgroupfs \
    --events-backend=file --storage-driver=overlay --runtime=runc "$@"
}

cleanup() {
  set +e
  [ -f "$scratch/iperf3.pid" ] && kill "$(cat "$scratch/iperf3.pid")" 2>/dev/null
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null
  for id in "${berth_ids[@]}"; do b rm -f "$id" >/dev/null 2>&1; done
  b network rm "$net" >/dev/null 2>&1
  b container prune >/dev/null 2>&1
  if [ "$podman_ok" = 1 ]; then
    p rm -af -t 0 >/dev/null 2>&1
    p rmi -af >/dev/null 2>&1
    remove_podman_parents
  fi
  # Deepest first; all of them are in this private mount namespace.
  awk -v dir="$scratch/" 'index($5, dir) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r point; do umount -l "$point"; done
  for dir in "${private_dirs[@]}"; do umount -l "$dir"; done
  for dir in "${made_dirs[@]}"; do rmdir "$dir"; done
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# podman with cgroupfs leaves libpod_parent/conmon in every v1 hierarchy;
# those this run made go (rmdir: only once empty; conmon lingers a moment).
remove_podman_parents() {
  for _ in $(seq 100); do
    local left=0
    for parent in /sys/fs/cgroup/*/libpod_parent; do
      [ -d "$parent" ] || continue
      grep -qxF "$parent" <<<"$podman_parents_before" && continue
      rmdir "$parent/conmon" 2>/dev/null
      rmdir "$parent" 2>/dev/null || left=1
    done
    [ "$left" = 0 ] && return
    sleep 0.02
  done
}

# A tmpfs over a host directory, seen only in this mount namespace.
private_dir() {
  if [ ! -d "$1" ]; then mkdir -p "$1" && made_dirs+=("$1"); fi
  mount -t tmpfs tmpfs "$1" && private_dirs+=("$1")
}

in_ns() { # NETNS-FILE ("" for this namespace) COMMAND...
  local ns=$1
  shift
  if [ -n "$ns" ]; then nsenter --net="$ns" "$@"; else "$@"; fi
}

# Gbit/s received and retransmits of one iperf3 run, server in namespace $1
# and client in $2, to address $3.
throughput() {
  rm -f "$scratch/iperf3.pid"
  in_ns "$1" iperf3 -s -1 -D -p "$port" --pidfile "$scratch/iperf3.pid"
  for _ in $(seq 250); do
    in_ns "$1" ss -Hltn "sport = :$port" | grep -q . && break
    sleep 0.02
  done
  in_ns "$2" iperf3 -c "$3" -p "$port" -t "$seconds" -J >"$scratch/iperf3.json"
  jq -r '"\(.end.sum_received.bits_per_second / 1e9) \(.end.sum_sent.retransmits)"' \
    "$scratch/iperf3.json"
}

make_image() {
  mkdir -p "$scratch/rootfs/bin" "$scratch/rootfs/etc"
  cp /bin/busybox "$scratch/rootfs/bin/"
  for tool in true sh sleep; do ln -s busybox "$scratch/rootfs/bin/$tool"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$scratch/rootfs/etc/passwd"
  tar -C "$scratch/rootfs" -cf "$scratch/rootfs.tar" .
  b import "$scratch/rootfs.tar" bench:latest >/dev/null
}

# Each container's network namespace file and address, by name.
declare -A ns=() ip=()
set_peer() { # NAME "NETNS-FILE ADDRESS" WHAT
  read -r "ns[$1]" "ip[$1]" <<<"$2"
  if [ ! -e "${ns[$1]}" ] || [ -z "${ip[$1]}" ] || [ "${ip[$1]}" = null ]; then
    echo "network.sh: $3 gave no network namespace file and address: '$2'" >&2
    return 1
  fi
}

# A berth container on $net, as NAME.
berth_peer() { # NAME
  local id
  id=$(b run -d --network "$net" bench:latest sleep 1000)
  berth_ids+=("$id")
  set_peer "$1" "$(b inspect "$id" | jq -r --arg net "$net" \
    '.[0].NetworkSettings | "\(.SandboxKey) \(.Networks[$net].IPAddress)"')" "berth inspect"
}

# A podman container on its default network, as NAME.
podman_peer() { # NAME
  local id
  id=$(p run -d --ulimit=nofile=20000:20000 --ulimit=nproc=32768:32768 bench:latest sleep 1000)
  set_peer "$1" "$(p inspect -f '{{.NetworkSettings.SandboxKey}} {{.NetworkSettings.IPAddress}}' \
    "$id")" "podman inspect"
}

# Called in an || list, where errexit is off: each step checked.
setup_podman() {
  command -v podman >/dev/null || return 0
  private_dir /var/lib/cni || return 1
  private_dir /run/netns || return 1
  podman_ok=1
  b save -o "$scratch/image.tar" bench:latest || return 1
  p load -q -i "$scratch/image.tar" >/dev/null || return 1
  podman_peer podman_server || return 1
  podman_peer podman_client || return 1
  paths+=(podman podman_nf0)
}

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

ip link set lo up
make_image
b network create "$net" >/dev/null
berth_peer server
berth_peer client
paths=(loopback berth berth_nf0)
setup_podman || echo "podman: set-up failed; its rows are left out" >&2

declare -A gbps retrans
measure() { # PATH
  local nf=1 figures
  case $1 in *_nf0) nf=0 ;; esac
  sysctl -qw net.bridge.bridge-nf-call-iptables=$nf
  case $1 in
  loopback) figures=$(throughput "" "" 127.0.0.1) ;;
  berth*) figures=$(throughput "${ns[server]}" "${ns[client]}" "${ip[server]}") ;;
  podman*) figures=$(throughput "${ns[podman_server]}" "${ns[podman_client]}" "${ip[podman_server]}") ;;
  esac
  sysctl -qw net.bridge.bridge-nf-call-iptables=1
  read -r rate retransmits <<<"$figures"
  gbps[$1]+="$rate "
  retrans[$1]+="$retransmits "
  printf '  %-10s %6.2f Gbit/s  %6d retransmits\n' "$1" "$rate" "$retransmits"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  echo "round $round/$rounds (iperf3 -t $seconds)"
  for path in "${paths[@]}"; do measure "$path"; done
done

describe() {
  case $1 in
  loopback) echo "loopback (two processes, 127.0.0.1)" ;;
  berth) echo "berth bridge, container to container" ;;
  berth_nf0) echo "berth bridge, bridge-nf-call-iptables=0" ;;
  podman) echo "podman CNI bridge, container to container" ;;
  podman_nf0) echo "podman CNI bridge, bridge-nf-call-iptables=0" ;;
  esac
}

loopback=$(tr ' ' '\n' <<<"${gbps[loopback]}" | grep . | median)
echo
echo "| path | Gbit/s (median of $rounds) | × loopback (goal ≥ 0.85) | retransmits (median) |"
echo "|---|---:|---:|---:|"
for path in "${paths[@]}"; do
  rate=$(tr ' ' '\n' <<<"${gbps[$path]}" | grep . | median)
  retransmits=$(tr ' ' '\n' <<<"${retrans[$path]}" | grep . | median)
  ratio=$(awk -v a="$rate" -v b="$loopback" 'BEGIN {printf "%.2f", a / b}')
  printf '| %s | %.2f | %s | %d |\n' "$(describe "$path")" "$rate" "$ratio" "$retransmits"
done
