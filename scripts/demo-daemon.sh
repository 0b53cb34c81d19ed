#!/usr/bin/env bash
# The daemon half of `make demo`: berthd engine on a private socket, driven
# by Debian's docker CLI and docker-compose over the same store the berth
# CLI uses (the busybox:demo image demo-images.sh made). Private mount and
# network namespaces, as in demo-containers.sh; berthd is stopped at the end
# by its pid.
set -euo pipefail
berth=${1:?usage: demo-daemon.sh BERTH}
berthd=$(dirname "$berth")/berthd

exec unshare --mount --net --propagation private bash -euo pipefail -c '
berth=$1 berthd=$2
ip link set lo up
dir=$(mktemp -d /tmp/berth-demo-daemon-XXXXXX)
export DOCKER_HOST=unix://$dir/berth.sock DOCKER_CONFIG=$dir/docker
"$berthd" engine -H "$DOCKER_HOST" --group root 2> "$dir/berthd.log" &
daemon=$!
cleanup() {
  docker-compose -p demo -f "$dir/docker-compose.yml" down -v > /dev/null 2>&1 || true
  kill "$daemon" 2> /dev/null && wait "$daemon" || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$dir/berth.sock" ] && break; sleep 0.05; done
cat > "$dir/docker-compose.yml" <<YAML
version: "3.8"
services:
  web:
    image: busybox:demo
    command: ["httpd", "-f", "-p", "8080", "-h", "/srv"]
    ports: ["18080:8080"]
    volumes: ["pages:/srv"]
  writer:
    image: busybox:demo
    command: ["sh", "-c", "echo \"<h1>hello from compose on berth</h1>\" > /pages/index.html; exec sleep 600"]
    volumes: ["pages:/pages"]
volumes:
  pages: {}
YAML
set -x
/usr/bin/docker version --format "client {{.Client.Version}}, server {{.Server.Version}} (API {{.Server.APIVersion}})"
/usr/bin/docker run --rm busybox:demo sh -c "echo hello through the Docker API from \$(hostname)"
docker-compose -p demo -f "$dir/docker-compose.yml" up -d
docker-compose -p demo -f "$dir/docker-compose.yml" ps
for attempt in 1 2 3 4 5 6 7 8 9 10; do busybox wget -qO- http://127.0.0.1:18080/ && break; sleep 0.2; done
"$berth" ps
docker-compose -p demo -f "$dir/docker-compose.yml" down -v
' demo "$berth" "$berthd"
