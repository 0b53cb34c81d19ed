#!/usr/bin/env bash
# Installs berth's build and test dependencies from Debian's archive.
# Idempotent: when everything is present it changes nothing and needs no network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config binutils
  libboost-dev libboost-program-options-dev
  nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libsqlite3-dev libarchive-dev nettle-dev libssl-dev libseccomp-dev libcap-dev
  # Netlink and nftables for the network drivers; nft to inspect rules in tests.
  libmnl-dev libnftables-dev nftables
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy
  # The fuzz build (make fuzz): clang with libFuzzer and the sanitizers'
  # runtimes, and llvm-symbolizer (in llvm-14) for readable crash reports.
  clang-14 libclang-rt-14-dev llvm-14
  # Real peers and clients the storage tests and benchmarks run against.
  busybox-static skopeo umoci podman crun runc zstd attr iperf3 jq
  # The cluster store's etcd implementation and its tests (a private etcd
  # on free ports per test); etcdctl for poking at it by hand.
  etcd-server etcd-client
  # Real Docker clients for berthd engine's tests: docker.io only for its
  # docker 20.10 CLI (/usr/bin/docker; dockerd is never started, and the
  # policy-rc.d below keeps apt from starting it), docker-compose 1.29 and
  # docker-py 5.0 (python3-docker) for /usr/bin/python3.
  docker.io docker-compose python3-docker
)

# kubectl 1.20 (Debian's kubernetes-client) for the API server tests. Where
# /usr/bin/kubectl belongs to another package (Google Cloud SDK's version
# dispatcher), apt refuses kubernetes-client for the file conflict: then its
# .deb is unpacked into the build tree instead (see unpack_kubectl below),
# where the tests look for it, and they run both.
build_dir=${BERTH_BUILD_DIR:-build}
kubectl_dir="$build_dir/deps/kubernetes-client"
kubectl_owner=$(dpkg-query -S /usr/bin/kubectl 2>/dev/null | cut -d: -f1 || true)
unpack_kubectl=0
if [ -z "$kubectl_owner" ] || [ "$kubectl_owner" = kubernetes-client ]; then
  packages+=(kubernetes-client)
elif [ ! -x "$kubectl_dir/usr/bin/kubectl" ]; then
  unpack_kubectl=1
fi

# BUILD_DIR/deps/kubernetes-client/usr/bin/kubectl from the .deb; the
# package lists are refreshed once if the first download finds none.
unpack_kubectl() {
  echo "deps: /usr/bin/kubectl belongs to $kubectl_owner; unpacking kubernetes-client into $kubectl_dir"
  local download
  download=$(mktemp -d)
  # apt warns that root downloads "unsandboxed" into a private directory.
  if ! (cd "$download" && apt-get download -qq kubernetes-client 2> >(grep -v unsandboxed >&2)); then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    (cd "$download" && apt-get download -qq kubernetes-client 2> >(grep -v unsandboxed >&2))
  fi
  mkdir -p "$kubectl_dir"
  dpkg-deb -x "$download"/kubernetes-client_*.deb "$kubectl_dir"
  rm -rf "$download"
}

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# apt-get needs root; use sudo when a developer runs this as themselves.
sudo=()
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  if [ "$unpack_kubectl" = 1 ]; then unpack_kubectl; fi
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo > /dev/null; then
    echo "deps: missing ${missing[*]}; run 'make deps' as root (apt-get needs it)" >&2
    exit 1
  fi
  sudo=(sudo)
fi
echo "deps: installing ${missing[*]}"
# Packages such as etcd-server would start their daemon on install (etcd on
# the default 2379). Tests start their own on free ports, so keep apt from
# starting services: a policy-rc.d that exits 101 ("action forbidden"),
# unless the machine already has one of its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" > /dev/null
  "${sudo[@]}" chmod 755 "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ "$unpack_kubectl" = 1 ]; then unpack_kubectl; fi
