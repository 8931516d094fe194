#!/bin/bash
# make-guest.sh - builds the tiny guest of the new-peer scenarios from the chroot's own Debian packages.
#
# Usage: make-guest.sh ROOT OUTDIR
# ROOT is the sid/trixie chroot (its apt fetches the packages, nothing is
# installed); OUTDIR gets vmlinuz, initrd.gz and versions (nothing to do if
# they exist).  The kernel is the suite's newest (sid splits it into
# linux-binary-* and linux-modules-*; older suites ship linux-image-* whole);
# modules are unpacked with dpkg-deb -x and decompressed on the host, because
# busybox insmod does not read .ko.xz.
# The guest's /init reads vhu.test=fs|vsock|resize|devstate|gpu from the kernel command line,
# exercises that device, prints VHU-<TEST>-OK on the console and powers off.

set -eu

# shellcheck source=SCRIPTDIR/../realpeers/guest-init-common.sh
. "$(dirname "$0")/../realpeers/guest-init-common.sh"

root=${1:?usage: $0 ROOT OUTDIR}
out=${2:?usage: $0 ROOT OUTDIR}
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ]; then
	exit 0
fi
for p in dpkg-deb cpio gzip xz; do
	command -v $p >/dev/null || { echo "make-guest: $p is missing on the host" >&2; exit 1; }
done

# The download directory must be inside the chroot: its apt writes there.
work=$(mktemp -d "$root/tmp/vhu-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
in_root() {
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C "$@"
}

# linux-image-amd64 is a meta package: follow it to the versioned image.
kpkg=$(in_root apt-cache depends linux-image-amd64 |
	sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1)
[ -n "$kpkg" ] || { echo "make-guest: cannot resolve linux-image-amd64 in $root" >&2; exit 1; }
kver=${kpkg#linux-image-}
pkgs="$kpkg"
if in_root apt-cache show "linux-binary-$kver" >/dev/null 2>&1; then
	pkgs="linux-binary-$kver linux-modules-$kver"
fi
# -o APT::Sandbox::User=root: _apt cannot write into a root-owned mktemp dir.
if ! in_root sh -c "cd /${work#$root/} && apt-get download -q=2 \
		-o APT::Sandbox::User=root $pkgs busybox-static" >"$work/download.log" 2>&1; then
	cat "$work/download.log" >&2
	echo "make-guest: apt-get download $pkgs busybox-static failed" >&2
	exit 1
fi
mkdir "$work/kernel" "$work/busybox"
for deb in "$work"/linux-*.deb; do
	dpkg-deb -x "$deb" "$work/kernel"
done
dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"

moddir=$(ls -d "$work"/kernel/usr/lib/modules/* "$work"/kernel/lib/modules/* 2>/dev/null | head -1)
vmlinuz=$(ls "$moddir/vmlinuz" "$work"/kernel/boot/vmlinuz-* 2>/dev/null | head -1)
[ -n "$vmlinuz" ] || { echo "make-guest: no vmlinuz in $pkgs" >&2; exit 1; }

initramfs=$work/initramfs
mkdir -p "$initramfs"/{bin,proc,sys,dev,mnt,modules,tmp}
# /bin/busybox in Debian 12, /usr/bin/busybox in trixie and later.
busybox=$(ls "$work"/busybox/usr/bin/busybox "$work"/busybox/bin/busybox 2>/dev/null | head -1)
[ -n "$busybox" ] || { echo "make-guest: no busybox in busybox-static" >&2; exit 1; }
cp "$busybox" "$initramfs/bin/busybox"

# mod_file NAME: the module's file, compressed or not ("" when built in).
mod_file() {
	find "$moddir/kernel" \( -name "$1.ko*" -o -name "$(echo "$1" | tr _ -).ko*" \) | head -1
}

# Loads MOD after its dependencies (read from the module's .modinfo);
# a module built into the kernel has no file and needs nothing.
order=
add_module() {
	local m=$1 f dep plain
	case " $order " in *" $m "*) return ;; esac
	f=$(mod_file "$m")
	[ -n "$f" ] || return 0
	plain=$initramfs/modules/$m.ko
	case $f in
	*.xz) xz -dc "$f" >"$plain" ;;
	*.zst) zstd -qdc "$f" >"$plain" ;;
	*) cp "$f" "$plain" ;;
	esac
	for dep in $(tr '\0' '\n' <"$plain" | sed -n 's/^depends=//p' | tr , ' '); do
		add_module "$dep"
	done
	order="$order $m"
	echo "$m" >>"$initramfs/modules/order"
}
# virtio_pci, fuse and virtiofs are built into Debian's recent kernels;
# older ones have them as modules.
for m in virtio_pci virtiofs vmw_vsock_virtio_transport virtio_blk virtio_gpu; do
	add_module $m
done
touch "$initramfs/modules/order"

# The test cases of this guest; the rest of /init is guest-init-common.sh.
write_guest_init "$initramfs/init" <<'EOF'
fs)
	mount -t virtiofs t /mnt && cat /mnt/hello.txt &&
	echo written-by-guest >/mnt/from-guest.txt && umount /mnt && echo VHU-FS-OK
	;;
resize)
	# 16 MiB (32768 sectors) until the back-end grows the disk to 32 MiB
	# and the new capacity reaches the driver through the config space
	[ "$(cat /sys/block/vda/size)" = 32768 ] && echo VHU-RESIZE-READY
	for i in $(seq 600); do
		[ "$(cat /sys/block/vda/size)" = 65536 ] && echo VHU-RESIZE-OK && break
		sleep 0.2
	done
	;;
devstate)
	# a file stays open across the migration (virtiofsd moves its
	# handles in the device state); done once the test has put
	# "restored" into the restored back-end's shared directory
	mount -t virtiofs t /mnt && exec 3</mnt/hello.txt && echo VHU-DEVSTATE-UP
	for i in $(seq 900); do
		[ -e /mnt/restored ] && cat <&3 && echo VHU-DEVSTATE-OK && break
		sleep 0.2
	done
	;;
gpu)
	# the driver brings the scanout up: the framebuffer console draws on
	# it.  The console lets go of it before the power-off, so that no
	# update is on its way when QEMU ends.
	[ -e /sys/class/drm/card0 ] && echo VHU-GPU-OK && sleep 2
	for v in /sys/class/vtconsole/vtcon*/bind; do echo 0 >"$v"; done
	sleep 2
	;;
vsock)
	# The driver bound to the device has started it (rings, memory);
	# /dev/vsock appears once the transport is registered.
	ls /sys/bus/virtio/drivers/vmw_vsock_virtio_transport | grep -q virtio &&
	[ -c /dev/vsock ] && echo VHU-VSOCK-OK
	;;
EOF

mkdir -p "$out"
cp "$vmlinuz" "$out/vmlinuz.tmp"
(cd "$initramfs" && find . | cpio -o -H newc --quiet | gzip -9) >"$out/initrd.gz.tmp"
for deb in "$work"/linux-*.deb "$work"/busybox-static_*.deb; do
	echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
done >"$out/versions"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"
echo "make-guest: $out: $pkgs, modules:${order:- (all built in)}"
