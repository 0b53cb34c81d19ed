#!/usr/bin/env bash
# The container half of `make demo`: real containers from the busybox image
# demo-images.sh made, on the default stack (namespaces backend, bridge
# network). It runs in private mount and network namespaces, so container
# mounts, the berth0 bridge and its nftables rules never reach the host.
set -euo pipefail
berth=${1:?usage: demo-containers.sh BERTH}

exec unshare --mount --net --propagation private bash -euo pipefail -c '
berth=$1
ip link set lo up
cleanup() {
  "$berth" rm -f demo-web demo-httpd demo-db > /dev/null 2>&1 || true
  "$berth" network rm demo-net > /dev/null 2>&1 || true
}
trap cleanup EXIT
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
set -x
# A web server on the default bridge, its port published on the host.
"$berth" run -d --name demo-httpd -p 8080:80 busybox:demo sh -c "mkdir -p /www && echo \"<h1>hello from berth</h1>\" > /www/index.html && exec httpd -f -p 80 -h /www"
"$berth" port demo-httpd
for attempt in 1 2 3 4 5; do busybox wget -qO- http://127.0.0.1:8080/ && break; sleep 0.2; done
# Containers on a user network find each other by name.
"$berth" network create demo-net
"$berth" run -d --name demo-db --network demo-net busybox:demo sleep 60
"$berth" run --rm --network demo-net busybox:demo ping -c 1 -W 2 demo-db
"$berth" network ls
' demo "$berth"
