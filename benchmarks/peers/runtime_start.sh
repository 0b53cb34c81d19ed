#!/usr/bin/env bash
# Container start, side by side: berth (namespaces and crun backends), bare
# crun, podman and the unshare+chroot floor, in one run of
# berth_benchmarks --benchmark_filter=Runtime.
#
# Debian's crun 1.8.1 refuses every container on a cgroup-v1 hybrid host
# until hugetlb is bound to a v1 hierarchy. That is done here, inside a
# private mount namespace, and undone at the end (the empty directory it
# needs on the host's /sys/fs/cgroup tmpfs is removed again).
set -euo pipefail
bench=${1:-build/bin/berth_benchmarks}
shift || true
exec unshare --mount --propagation private bash -c '
  set -euo pipefail
  made_dir=0 mounted=0
  if ! grep -q " cgroup .*hugetlb" /proc/self/mounts; then
    if [ ! -d /sys/fs/cgroup/hugetlb ]; then mkdir /sys/fs/cgroup/hugetlb; made_dir=1; fi
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb && mounted=1
  fi
  cleanup() {
    # The kernel gives hugetlb back to v2 only once the hierarchy has no
    # cgroups left; removed cgroups are freed asynchronously.
    if [ "$mounted" = 1 ]; then
      for _ in $(seq 100); do
        [ "$(awk "\$1==\"hugetlb\" {print \$3}" /proc/cgroups)" -le 1 ] && break
        sleep 0.05
      done
      umount /sys/fs/cgroup/hugetlb
    fi
    if [ "$made_dir" = 1 ]; then rmdir /sys/fs/cgroup/hugetlb; fi
  }
  trap cleanup EXIT
  "$0" --benchmark_filter=Runtime "$@"
' "$bench" "$@"
