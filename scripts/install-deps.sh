#!/bin/bash
# install-deps.sh - installs everything the build and the tests need on Debian 12.
#
# Idempotent and quiet: packages already installed are not touched, and
# apt-get runs (update once, then install) only when something is missing.
# Run as root (or with sudo available).

set -eu

packages=(
	# build
	build-essential cmake pkg-config clang libclang-rt-14-dev
	# attach mode (vhost-user-capture -p/--all): eBPF object, skeleton, loader
	libbpf-dev bpftool
	libpcap-dev libglib2.0-dev wireshark-dev tshark
	# tests: witnesses and comparison scripts
	strace python3 jq valgrind bash-completion
	# real peers: DPDK testpmd with the vhost and virtio_user drivers
	dpdk-dev librte-net-vhost23 librte-net-virtio23 librte-mempool-ring23
	# real peers: QEMU 7.2 (qemu-system-common brings qemu-storage-daemon
	# and /usr/lib/qemu/virtiofsd)
	qemu-system-x86 qemu-utils
	# real peers: user-mode-linux as a front-end (its virtio_blk is a
	# module: kmod's insmod loads it)
	user-mode-linux kmod
	# the tiny test guest and newer peers in chroots
	debootstrap busybox-static cpio
	# the Debian packages: built on the host, checked with lintian
	debhelper lintian
	# the Wireshark screenshot
	xvfb wireshark-qt xdotool imagemagick
	# the Expert Information dialog read back (tests/diag/expert-gui.sh)
	tesseract-ocr
)

missing=()
for p in "${packages[@]}"; do
	if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root" >&2; exit 1; }
	sudo=sudo
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture: answer no, without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	$sudo debconf-set-selections
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! $sudo apt-get update -q=2 >"$log" 2>&1 ||
   ! $sudo apt-get install -y -q=2 --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
	cat "$log" >&2
	echo "install-deps: apt-get failed" >&2
	exit 1
fi
echo "install-deps: done"
