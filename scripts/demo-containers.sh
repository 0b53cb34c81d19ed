#!/usr/bin/env bash
# The container half of `make demo`: real containers from the busybox image
# demo-images.sh made, on the default stack (namespaces backend). It runs in
# a private mount namespace so the container mounts never reach the host.
set -euo pipefail
berth=${1:?usage: demo-containers.sh BERTH}

exec unshare --mount --propagation private bash -euo pipefail -c '
berth=$1
trap "\"$berth\" rm -f demo-web > /dev/null 2>&1 || true" EXIT
set -x
"$berth" run --rm --network none busybox:demo sh -c "echo hello from \$(hostname), I am PID \$\$; grep CapEff /proc/self/status"
"$berth" run -d --name demo-web -m 64m --pids-limit 50 busybox:demo sh -c "while true; do date; sleep 1; done"
"$berth" ps
"$berth" exec demo-web sh -c "ps; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"
"$berth" stats --no-stream demo-web
"$berth" stop -t 2 demo-web
"$berth" logs --tail 2 demo-web
"$berth" rm demo-web
set +x
code=0; "$berth" run --rm busybox:demo sh -c "exit 3" || code=$?
echo "exit code passed through: $code"
' demo "$berth"
