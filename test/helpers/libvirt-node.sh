#!/usr/bin/env bash
# One libvirtd of the two-daemon migration test (test/helpers/libvirt-pair.ts).
# Run as: ip netns exec NS unshare --mount --propagation private -- libvirt-node.sh ROOT STORAGE
# In that private mount namespace it lays ROOT's folders over libvirt's fixed
# paths (root libvirtd has no switch to move them) and the guests' storage
# folder, then becomes libvirtd listening on TCP per ROOT/etc/libvirtd.conf.
# Values arrive as positional arguments and are only ever used quoted.
set -euo pipefail
root=$1
storage=$2

bind() { mkdir -p "$1" "$2"; mount --bind "$1" "$2"; }
bind "$root/etc" /etc/libvirt
bind "$root/run" /run/libvirt
bind "$root/lib" /var/lib/libvirt
bind "$root/log" /var/log/libvirt
bind "$root/cache" /var/cache/libvirt
bind "$root/images" "$storage"
mkdir -p /var/lib/libvirt/qemu /var/log/libvirt/qemu /run/libvirt/qemu

exec libvirtd --listen -f "$root/etc/libvirtd.conf" -p "$root/run/libvirtd.pid"
