#!/usr/bin/env bash
# The image half of `make demo`: a busybox root filesystem (from Debian's
# busybox-static) becomes an image on the default stack, is listed, and is
# looked at through a read-only mount in a private mount namespace.
set -euo pipefail
berth=${1:?usage: demo-images.sh BERTH}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc"
cp /bin/busybox "$work/rootfs/bin/busybox"
for tool in $(/bin/busybox --list | grep -vx busybox); do ln -s busybox "$work/rootfs/bin/$tool"; done
echo "root:x:0:0:root:/root:/bin/sh" > "$work/rootfs/etc/passwd"
tar -C "$work/rootfs" -czf "$work/busybox.tar.gz" .

set -x
"$berth" image prune > /dev/null # the previous demo's image, untagged by this one
"$berth" import "$work/busybox.tar.gz" busybox:demo
"$berth" images
"$berth" history busybox:demo
unshare --mount --propagation private sh -ec "
  root=\$('$berth' image mount busybox:demo)
  ls -l \"\$root/bin\" | head -4
  '$berth' image umount busybox:demo"
"$berth" system df
"$berth" image prune
