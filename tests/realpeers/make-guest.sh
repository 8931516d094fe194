#!/bin/bash
# make-guest.sh - builds the tiny test guest: a Debian kernel and a busybox initramfs.
#
# Usage: make-guest.sh OUTDIR
# Writes OUTDIR/vmlinuz and OUTDIR/initrd.gz (nothing to do if they exist).
# The kernel and busybox come from Debian packages fetched with
# 'apt-get download' and unpacked with 'dpkg-deb -x': nothing is installed.
# The guest's /init reads vhu.test=net|netloop|fs|blk from the kernel command line,
# exercises that device, prints VHU-<TEST>-OK on the console and powers off.

set -eu

# shellcheck source=SCRIPTDIR/guest-init-common.sh
. "$(dirname "$0")/guest-init-common.sh"

out=${1:?usage: $0 OUTDIR}
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ]; then
	exit 0
fi
for p in apt-get dpkg-deb cpio gzip; do
	command -v $p >/dev/null || { echo "make-guest: $p is missing" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# linux-image-amd64 is a meta package: download the image it points at.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1
}
kpkg=$(kernel_package)
if [ -z "$kpkg" ]; then
	# Images often ship without package lists.
	apt-get update -q=2 >/dev/null 2>&1 || true
	kpkg=$(kernel_package)
fi
[ -n "$kpkg" ] || { echo "make-guest: cannot resolve linux-image-amd64 (no Debian mirror?)" >&2; exit 1; }
if ! apt-get download -q=2 "$kpkg" busybox-static >download.log 2>&1; then
	cat download.log >&2
	echo "make-guest: apt-get download $kpkg busybox-static failed" >&2
	exit 1
fi
dpkg-deb -x linux-image-*.deb kernel
dpkg-deb -x busybox-static_*.deb busybox

kver=$(ls kernel/lib/modules)
moddir=kernel/lib/modules/$kver/kernel

mod_path() {
	find "$moddir" -name "$1.ko" -o -name "$(echo "$1" | tr _ -).ko" | head -1
}

# Loads MOD after its dependencies (read from the module's own .modinfo).
order=
add_module() {
	local m=$1 f dep
	case " $order " in *" $m "*) return ;; esac
	f=$(mod_path "$m")
	[ -n "$f" ] || { echo "make-guest: module $m not found in $kpkg" >&2; exit 1; }
	for dep in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr , ' '); do
		add_module "$dep"
	done
	order="$order $m"
}
for m in virtio_pci virtio_net virtio_blk virtiofs; do
	add_module $m
done

root=initramfs
mkdir -p $root/bin $root/proc $root/sys $root/dev $root/mnt $root/modules $root/tmp
cp busybox/bin/busybox $root/bin/busybox
for m in $order; do
	cp "$(mod_path "$m")" $root/modules/$m.ko
	echo $m >>$root/modules/order
done

# The test cases of this guest; the rest of /init is guest-init-common.sh.
write_guest_init $root/init <<'EOF'
net)
	ip link set eth0 up && ip addr add 10.11.12.2/24 dev eth0 &&
	ping -c 3 -W 1 10.11.12.1 >/dev/null
	# no one answers the pings (testpmd only counts them): reaching here is enough
	ip link show eth0 | grep -q UP && echo VHU-NET-OK
	;;
netloop)
	# the NIC stays in use until the test stops the machine: while it
	# migrates, or while its back-end is killed and started again
	ip link set eth0 up && ip addr add 10.11.12.2/24 dev eth0 && echo VHU-NET-UP
	while :; do ping -c 1 -W 1 10.11.12.1 >/dev/null; done
	;;
fs)
	mount -t virtiofs t /mnt && cat /mnt/hello.txt &&
	echo written-by-guest >/mnt/from-guest.txt && umount /mnt && echo VHU-FS-OK
	;;
blk)
	# read, write and read back, then rebind the driver (the device is
	# stopped and started again: GET_VRING_BASE, then the rings anew) and
	# read the block once more
	dev=$(basename "$(readlink /sys/block/vda/device)")
	dd if=/dev/vda of=/dev/null bs=4096 count=16 2>/dev/null &&
	echo vhu-guest-wrote-this >/tmp/blk &&
	dd if=/tmp/blk of=/dev/vda bs=512 count=1 conv=fsync 2>/dev/null &&
	echo "$dev" >/sys/bus/virtio/drivers/virtio_blk/unbind &&
	echo "$dev" >/sys/bus/virtio/drivers/virtio_blk/bind &&
	sleep 1 &&
	dd if=/dev/vda bs=512 count=1 2>/dev/null | grep -q vhu-guest-wrote-this &&
	echo VHU-BLK-OK
	;;
EOF

mkdir -p "$out"
cp kernel/boot/vmlinuz-* "$out/vmlinuz.tmp"
(cd $root && find . | cpio -o -H newc --quiet | gzip -9) >"$out/initrd.gz.tmp"
echo "$kpkg $(dpkg-deb -f linux-image-*.deb Version)" >"$out/versions"
echo "busybox-static $(dpkg-deb -f busybox-static_*.deb Version)" >>"$out/versions"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"
echo "make-guest: $out: $kpkg, modules:$order"
