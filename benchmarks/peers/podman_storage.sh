#!/usr/bin/env bash
# podman's figures for the storage benchmarks, for the record: preparing and
# mounting a container root filesystem from a cached 200 MB image with its
# overlay and vfs drivers. Uses private podman roots under a scratch directory
# and removes them; skips with a message when podman is not installed.
#
#   benchmarks/peers/podman_storage.sh [RUNS]
set -euo pipefail
runs=${1:-10}
if ! command -v podman > /dev/null; then
  echo "podman is not installed (apt-get install podman); skipping" >&2
  exit 0
fi

scratch=$(mktemp -d /var/tmp/berth-podman-bench-XXXXXX)
cleanup() {
  for driver in overlay vfs; do
    podman --root "$scratch/$driver/root" --runroot "$scratch/$driver/run" \
      --storage-driver "$driver" system reset --force > /dev/null 2>&1 || true
  done
  rm -rf "$scratch"
}
trap cleanup EXIT

# The benchmark's image: 2,000 files of 100 KiB of random data, one layer.
mkdir -p "$scratch/tree"
for i in $(seq 0 1999); do
  mkdir -p "$scratch/tree/dir-$((i % 20))"
  head -c 102400 /dev/urandom > "$scratch/tree/dir-$((i % 20))/file-$i"
done
tar -C "$scratch/tree" -cf "$scratch/layer.tar" .
rm -rf "$scratch/tree"

now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }

for driver in overlay vfs; do
  podman=(podman --root "$scratch/$driver/root" --runroot "$scratch/$driver/run"
    --storage-driver "$driver" --cgroup-manager cgroupfs --events-backend file)
  "${podman[@]}" import "$scratch/layer.tar" bench:200mb > /dev/null 2>&1
  times=()
  for run in $(seq 1 "$runs"); do
    start=$(now_ms)
    id=$("${podman[@]}" create bench:200mb /bin/true)
    "${podman[@]}" mount "$id" > /dev/null
    end=$(now_ms)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')")
    "${podman[@]}" umount "$id" > /dev/null
    "${podman[@]}" rm "$id" > /dev/null
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
  echo "podman $driver: create + mount of a 200 MB image: median ${median} ms over $runs runs" \
    "(min $(echo "$sorted" | head -1), max $(echo "$sorted" | tail -1))"
done
