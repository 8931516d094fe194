#!/bin/bash
# build-debs.sh - builds the toolkit's Debian packages and tries them in clean chroots.
#
# Usage: scripts/build-debs.sh [--suite SUITE]... [--out DIR] [--test] [--cache DIR]
#
# Builds the binary packages of debian/ with dpkg-buildpackage:
#   vhost-user-tools             vhost-user-capture, its shim, vhost-user-decode,
#                                man pages, bash completion, docs
#   wireshark-plugin-vhost-user  the plugin in the release's plugin directory
#                                (depending on exactly that Wireshark release),
#                                vhost-user-extcap and the "vhost-user" profile
# for each SUITE (bookworm, trixie, sid; default: the host's own) into
# OUT/SUITE/ (default build-debs/).  bookworm builds on the host when the
# host is bookworm; other suites build in a debootstrap chroot of their own.
#
#   --test       then, for each suite: lintian on the packages (errors fail),
#                and in a clean minimal chroot of the suite, apt-get install
#                of both packages, after which an unprivileged tshark -G
#                plugins lists the plugin, tshark -C vhost-user finds the
#                profile, tshark -D lists the extcap interface,
#                vhost-user-decode decodes a sample and vhost-user-capture
#                records a command
#   --cache DIR  where the chroots are kept between runs (default OUT/chroots)
#
# Needs root, debootstrap, dpkg-dev, debhelper and lintian, and a Debian
# mirror (VHU_DEBIAN_MIRROR, default http://deb.debian.org/debian).
# Exit status 0 when every suite built (and passed its tests).

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build-debs
cache=
suites=()
test=0
mirror=${VHU_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# sid's Release file may be past its Valid-Until on a snapshot mirror.
apt_opts=(-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -q=2)
build_deps="build-essential debhelper cmake pkgconf libpcap-dev libglib2.0-dev wireshark-dev bash-completion"

while [ $# -gt 0 ]; do
	case $1 in
	--suite) suites+=("${2:?--suite needs a name}"); shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--cache) cache=${2:?--cache needs a directory}; shift 2 ;;
	--test) test=1; shift ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "build-debs: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")
[ ${#suites[@]} -gt 0 ] || suites=("$host_suite")
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
cache=${cache:-$out/chroots}
mkdir -p "$cache" && cache=$(cd "$cache" && pwd)

say() {
	echo "== build-debs: $*"
}

die() {
	echo "build-debs: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (chroots, package installs)"
for tool in dpkg-buildpackage debootstrap chroot; do
	command -v $tool >/dev/null || die "$tool is missing (apt-get install dpkg-dev debhelper debootstrap)"
done

# ---- chroots ---------------------------------------------------------------

mounted=()
cleanup() {
	local m
	for m in "${mounted[@]}"; do
		umount -l "$m" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# in_root ROOT CMD... : a command in a chroot, with a plain environment.
in_root() {
	local root=$1
	shift
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

# pristine SUITE : sets pristine_tar to a tarball of a minimal debootstrap
# of SUITE, made once.
pristine() {
	local suite=$1 tar=$cache/$1-minbase.tar tmp=$cache/$1-minbase.new
	pristine_tar=$tar
	if [ ! -s "$tar" ]; then
		say "debootstrap --variant=minbase $suite"
		rm -rf "$tmp"
		timeout 1200 debootstrap --variant=minbase "$suite" "$tmp" "$mirror" \
			>"$cache/$suite-debootstrap.log" 2>&1 ||
			{ tail -n 20 "$cache/$suite-debootstrap.log" >&2; die "debootstrap $suite failed"; }
		tar -C "$tmp" -cf "$tar.new" . && mv "$tar.new" "$tar" || die "cannot save $tar"
		rm -rf "$tmp"
	fi
}

# fresh_root SUITE DIR : DIR becomes a clean minimal system of SUITE, with
# /proc and /dev mounted.
fresh_root() {
	pristine "$1"
	rm -rf "$2" && mkdir -p "$2" && tar -C "$2" -xf "$pristine_tar" || die "cannot unpack $pristine_tar"
	cp /etc/resolv.conf "$2/etc/resolv.conf" 2>/dev/null
	mount --bind /proc "$2/proc" && mounted+=("$2/proc")
	mount --bind /dev "$2/dev" && mounted+=("$2/dev")
	in_root "$2" apt-get "${apt_opts[@]}" update || die "apt-get update in $1 failed"
}

# ---- building --------------------------------------------------------------

# source_copy DIR : the tracked files of the tree (no build directories).
source_copy() {
	rm -rf "$1" && mkdir -p "$1"
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z --cached --others --exclude-standard |
			xargs -0 cp --parents -t "$1" 2>/dev/null)
	else
		(cd "$top" && tar --exclude='./build*' -cf - .) | tar -C "$1" -xf -
	fi
	[ -f "$1/debian/control" ] || die "no debian/ in the source copy"
}

# build SUITE : the packages of SUITE into $out/SUITE.
build() {
	local suite=$1 dest=$out/$1 root src log=$out/$1-build.log
	rm -rf "$dest" && mkdir -p "$dest"
	if [ "$suite" = "$host_suite" ]; then
		say "$suite: dpkg-buildpackage on the host"
		src=$out/$suite-src/vhost-user-toolkit
		source_copy "$src"
		(cd "$src" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1 ||
			{ tail -n 40 "$log" >&2; die "$suite: build failed (log: $log)"; }
		mv "$src"/../*.deb "$dest/"
	else
		root=$cache/$suite-build
		say "$suite: dpkg-buildpackage in a chroot"
		fresh_root "$suite" "$root"
		in_root "$root" apt-get "${apt_opts[@]}" install -y $build_deps >"$log" 2>&1 ||
			{ tail -n 20 "$log" >&2; die "$suite: build dependencies failed"; }
		source_copy "$root/build/vhost-user-toolkit"
		in_root "$root" sh -c 'cd /build/vhost-user-toolkit && dpkg-buildpackage -b -us -uc' \
			>>"$log" 2>&1 || { tail -n 40 "$log" >&2; die "$suite: build failed (log: $log)"; }
		mv "$root"/build/*.deb "$dest/"
	fi
	rm -f "$dest"/*-dbgsym_*.deb
	ls "$dest"/vhost-user-tools_*.deb "$dest"/wireshark-plugin-vhost-user_*.deb >/dev/null ||
		die "$suite: packages missing"
	say "$suite: $(cd "$dest" && echo *.deb)"
}

# ---- trying the packages -------------------------------------------------

# check_lintian SUITE : no lintian error on the suite's packages.
check_lintian() {
	command -v lintian >/dev/null || die "lintian is missing (apt-get install lintian)"
	lintian --fail-on error \
		"$out/$1"/*.deb >"$out/$1-lintian.log" 2>&1 ||
		{ cat "$out/$1-lintian.log" >&2; die "$1: lintian found errors"; }
	say "$1: lintian: $(grep -c '^[EW]:' "$out/$1-lintian.log") errors and warnings"
}

# check_install SUITE : both packages in a clean chroot, then what a user does.
check_install() {
	local suite=$1 root=$cache/$1-install log=$out/$1-install.log
	say "$suite: apt-get install in a clean chroot"
	fresh_root "$suite" "$root"
	mkdir -p "$root/debs" && cp "$out/$suite"/*.deb "$root/debs/"
	cp "$top/samples/dpdk-pair-server.pcapng" "$root/debs/sample.pcapng"
	chmod -R a+rX "$root/debs"
	in_root "$root" sh -c 'apt-get -o Acquire::Check-Valid-Until=false -q=2 install -y \
		./debs/vhost-user-tools_*.deb ./debs/wireshark-plugin-vhost-user_*.deb tshark' \
		>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "$suite: apt-get install failed"; }
	# As a user would: unprivileged, no WIRESHARK_PLUGIN_DIR, a fresh home.
	in_root "$root" sh -ec '
		mkdir -p /tmp/u && chown 65534:65534 /tmp/u
		user() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp/u "$@"; }
		user tshark -G plugins | grep "vhost-user.so"
		user tshark -D | grep "vhost-user-launch"
		user tshark -C vhost-user -r /debs/sample.pcapng | grep -m1 "VHOST_USER_GET_FEATURES"
		user tshark -r /debs/sample.pcapng -Y vhost_user.request | grep -m1 "SET_MEM_TABLE"
		vhost-user-decode -r /debs/sample.pcapng | grep -m1 "SET_MEM_TABLE"
		cd /tmp/u && user vhost-user-capture -q -w /tmp/u/t.pcapng -- true
		vhost-user-decode -r /tmp/u/t.pcapng | grep -m1 "PROCESS true"
		test -f /usr/share/bash-completion/completions/vhost-user-decode
		man -w vhost-user-capture >/dev/null 2>&1 || test -f /usr/share/man/man1/vhost-user-capture.1.gz
	' >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "$suite: the installed packages do not work (log: $log)"; }
	say "$suite: installed and working: $(in_root "$root" dpkg-query -W -f='${Package} ${Version}, ' \
		vhost-user-tools wireshark-plugin-vhost-user tshark)"
	umount -l "$root/proc" "$root/dev" 2>/dev/null
}

for suite in "${suites[@]}"; do
	build "$suite"
	if [ $test = 1 ]; then
		check_lintian "$suite"
		check_install "$suite"
	fi
done
say "done: $out"
