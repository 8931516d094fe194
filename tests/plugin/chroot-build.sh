#!/bin/sh
# SPDX-License-Identifier: MIT
# chroot-build.sh - builds the toolkit and runs the plugin tests against
# another Debian release's Wireshark (trixie: 4.4, sid: 4.6), in a minimal
# debootstrap chroot with the source tree bind-mounted read-only.
#
#   chroot-build.sh SUITE SOURCE_DIR WORK_DIR
#
# The chroot is kept in WORK_DIR/root and reused by later runs (apt-get
# only refreshes it).  Needs root, debootstrap and a Debian mirror
# (VHU_DEBIAN_MIRROR, default http://deb.debian.org/debian).
# Exit 77 (skipped) when those are missing.
set -eu

suite=${1:?usage: chroot-build.sh SUITE SOURCE_DIR WORK_DIR}
src=$(cd "${2:?}" && pwd)
work=${3:?}
mirror=${VHU_DEBIAN_MIRROR:-http://deb.debian.org/debian}
root="$work/root"
SKIP=77

[ "$(id -u)" = 0 ] || { echo "chroot-build: needs root"; exit $SKIP; }
command -v debootstrap >/dev/null || { echo "chroot-build: debootstrap missing"; exit $SKIP; }

mkdir -p "$work"
# sid's Release file may be older than its Valid-Until on a snapshot mirror
apt_opts="-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false"

if [ ! -x "$root/usr/bin/apt-get" ]; then
	echo "chroot-build: debootstrap $suite into $root"
	rm -rf "$root"
	debootstrap --variant=minbase "$suite" "$root" "$mirror"
fi

mounted=""
cleanup() {
	for m in $mounted; do
		umount -l "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM

bind() {
	mkdir -p "$2"
	mount --bind "$1" "$2"
	mounted="$2 $mounted"
}

bind /proc "$root/proc"
bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mkdir -p "$root/src"
bind "$src" "$root/src"
mount -o remount,bind,ro "$root/src"

in_root() {
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

in_root apt-get $apt_opts update
in_root apt-get $apt_opts install -y wireshark-dev tshark cmake gcc make pkgconf \
	libglib2.0-dev util-linux
in_root tshark --version | head -1

# Only what the plugin needs: the shim, decoder and their tests have their
# own dependencies and are tested on the host.
in_root sh -c 'rm -rf /build && mkdir /build && cd /build &&
	cmake /src -DVHU_WERROR=ON -DVHU_BUILD_SHIM=OFF -DVHU_BUILD_DECODER=OFF &&
	make -j2 vhost-user vhu_ws_gencap &&
	ctest -L plugin --output-on-failure'
