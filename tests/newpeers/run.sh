#!/bin/bash
# run.sh - QEMU 11 (Debian sid chroot) against Rust vhost-user back-ends, both under the capture shim, cross-checked.
#
# Usage: run.sh [fs|vsock|resize|devstate|gpu]...      (default: fs vsock)
#
#   fs     qemu-system-x86_64 -device vhost-user-fs-pci <-> Rust virtiofsd;
#          a tiny guest mounts the share, reads a file, writes one back.
#   vsock  qemu-system-x86_64 -device vhost-user-vsock-pci <-> vhost-device-vsock;
#          the guest loads the virtio vsock transport (starts the device).
#   resize, devstate, gpu   the phases past the handshake (phases.sh).
#
# The chroot is made once with debootstrap (minbase, no recommends) in
# $VHU_CHROOT_CACHE (default: <build dir>/chroots/sid-peers) and reused.
# The shim and launcher built on the host are copied into it: they are
# linked against Debian 12's glibc, which the chroot's newer glibc runs.
# Each peer runs inside the chroot as
#   strace ... vhost-user-capture -w X.pcapng -- PEER
# with a timeout; QEMU also writes -trace 'vhost_user_*'.  The captures
# are decoded on the host and compare.py checks them against strace and
# the trace.  Any difference fails.
#
# A sanitized shim (-DVHU_SANITIZE=ON) links the host compiler's ASan/UBSan
# runtimes, which the chroot lacks: they are copied next to it under their
# sonames, where the launcher's preload finds them (LD_LIBRARY_PATH).
# Environment (tests/newpeers/CMakeLists.txt sets the first four):
#   VHU_SRC, VHU_CAPTURE, VHU_DECODE   source tree, launcher, decoder
#   VHU_NP_BUILD       the build directory
#   VHU_CHROOT_CACHE   where the chroot lives (default: $VHU_NP_BUILD/chroots/SUITE-peers)
#   VHU_NP_SUITE       sid (default) or trixie
#   VHU_DEBIAN_MIRROR  default http://deb.debian.org/debian
#   VHU_NP_KEEP=DIR    copy each scenario's files (captures, logs) to DIR/NAME/
# Exit status: 0 pass, 1 fail, 77 when the Debian mirror cannot be reached
# to create the chroot (ctest shows it as skipped).

set -u

SKIP=77
NP_STRACE_CALLS=sendmsg,recvmsg,sendmmsg,recvmmsg,read,write,readv,writev,recvfrom,sendto,connect,accept,accept4,socketpair,close,clone,clone3,fork,vfork
NP_PEER_TIMEOUT=${NP_PEER_TIMEOUT:-240}
# What every scenario needs; each adds its back-end's package (trixie has
# virtiofsd but no vhost-device-vsock).
NP_PACKAGES="qemu-system-x86 strace"

np_log() {
	echo "[$(date +%T)] newpeers${NP_NAME:+ $NP_NAME}: $*"
}

np_fail() {
	echo "FAIL: newpeers${NP_NAME:+ $NP_NAME}: $*" >&2
	exit 1
}

# All mounts (the chroot onto itself, /proc, /dev, the shared directory)
# live in a private mount namespace: they vanish with this script, however
# it ends, and are never seen by the rest of the machine.
if [ -z "${VHU_NP_IN_NS-}" ]; then
	[ "$(id -u)" = 0 ] || np_fail "needs root (debootstrap, chroot, mounts)"
	command -v unshare >/dev/null || np_fail "unshare (util-linux) is missing"
	VHU_NP_IN_NS=1 exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
fi

: "${VHU_SRC:?VHU_SRC must point at the source tree}"
[ -x "${VHU_CAPTURE-}" ] || np_fail "the capture launcher is not built (VHU_CAPTURE='${VHU_CAPTURE-}')"
[ -x "${VHU_DECODE-}" ] || np_fail "the decoder is not built (VHU_DECODE='${VHU_DECODE-}')"
for p in debootstrap chroot timeout python3 flock; do
	command -v $p >/dev/null || np_fail "$p is not installed (apt-get install debootstrap)"
done
suite=${VHU_NP_SUITE:-sid}
mirror=${VHU_DEBIAN_MIRROR:-http://deb.debian.org/debian}
build=${VHU_NP_BUILD:-$(dirname "$VHU_CAPTURE")/..}
cache=${VHU_CHROOT_CACHE:-$build/chroots/$suite-peers}
mkdir -p "$cache" || np_fail "cannot create $cache"
cache=$(cd "$cache" && pwd)
root=$cache/root
# sid's Release file may be past its Valid-Until on a snapshot mirror.
apt_opts="-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false"

# in_root SECONDS CMD... : a command inside the chroot, bounded.
in_root() {
	local secs=$1
	shift
	timeout "$secs" chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}

# mirror_reachable: the one case that skips instead of failing.
mirror_reachable() {
	local py='import sys, urllib.request
try:
	urllib.request.urlopen(sys.argv[1] + "/dists/" + sys.argv[2] + "/Release", timeout=20).read(1)
except Exception as e:
	print(e)
	sys.exit(1)'
	python3 -c "$py" "$mirror" "$suite"
}

# make_chroot: debootstrap into a temporary directory, then rename, so an
# interrupted run never leaves a half chroot that looks usable.
make_chroot() {
	local tmp=$cache/root.new start=$SECONDS
	local why
	if ! why=$(mirror_reachable 2>&1); then
		echo "SKIP: the Debian mirror $mirror cannot be reached ($why): no $suite chroot"
		exit $SKIP
	fi
	rm -rf "$tmp"
	np_log "debootstrap --variant=minbase $suite (with $NP_PACKAGES) into $tmp"
	if ! timeout 900 debootstrap --variant=minbase --include="${NP_PACKAGES// /,}" \
			"$suite" "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
		tail -n 20 "$cache/debootstrap.log"
		rm -rf "$tmp"
		np_fail "debootstrap $suite failed (log: $cache/debootstrap.log)"
	fi
	mv "$tmp" "$root"
	np_log "chroot made in $((SECONDS - start)) s ($(du -sh "$root" | cut -f1))"
}

# ensure_chroot: creates or reuses the chroot; a reused one gets the
# packages a newer run.sh asks for.  One run at a time per cache (flock).
ensure_chroot() {
	exec {lock}>"$cache/lock"
	flock -w 1200 "$lock" || np_fail "another run holds $cache/lock"
	[ -x "$root/usr/bin/apt-get" ] || make_chroot
	local p missing=
	for p in $NP_PACKAGES; do
		in_root 30 dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		np_log "installing$missing in the chroot"
		cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
		in_root 600 apt-get $apt_opts -q=2 update &&
		in_root 900 apt-get $apt_opts -q=2 install -y $missing ||
			np_fail "apt-get install$missing in the chroot failed"
	fi
	# Rust virtiofsd's default sandbox makes / a slave mount and
	# pivot_root()s into the shared directory: both need mount points.
	mount --bind "$root" "$root" &&
	mount --bind /proc "$root/proc" &&
	mount --bind /dev "$root/dev" || np_fail "cannot mount into $root"
	# The host's shim and launcher, next to each other (the launcher
	# looks for the shim beside itself).
	local lib=${VHU_CAPTURE_LIB:-$(dirname "$VHU_CAPTURE")/libvhost-user-capture.so}
	mkdir -p "$root/opt/vhu" &&
	cp "$VHU_CAPTURE" "$lib" "$root/opt/vhu/" || np_fail "cannot copy the shim into $root"
	# A sanitized shim links the host compiler's ASan/UBSan runtimes;
	# the launcher preloads them by soname, so they go next to the shim
	# and the peers search there (LD_LIBRARY_PATH, see np_start).
	NP_LIBPATH=
	local soname path
	while read -r soname path; do
		cp -L "$path" "$root/opt/vhu/$soname" || np_fail "cannot copy $path into $root"
		NP_LIBPATH=/opt/vhu
	done < <(ldd "$lib" | awk '$1 ~ /^lib(asan|ubsan|tsan|hwasan)\.so/ && $3 ~ /^\// { print $1, $3 }')
	guest=/var/cache/vhu-guest
	if ! timeout 600 "$BASH" "$VHU_SRC/tests/newpeers/make-guest.sh" "$root" "$root$guest" \
			>"$cache/make-guest.log" 2>&1; then
		cat "$cache/make-guest.log"
		np_fail "cannot build the test guest from $suite's packages"
	fi
	np_log "peers: $(in_root 30 dpkg-query -W -f '${Package} ${Version}, ' $NP_PACKAGES libc6)" \
		"guest: $(tr '\n' ' ' <"$root$guest/versions")"
}

# ---- one scenario ------------------------------------------------------------

NP_PIDS=
NP_DIR=

np_cleanup() {
	local rc=$? pid f
	for pid in $NP_PIDS; do
		kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
	done
	for pid in $NP_PIDS; do
		wait "$pid" 2>/dev/null
	done
	if [ -n "$NP_DIR" ] && [ -d "$root$NP_DIR" ]; then
		mountpoint -q "$root$NP_DIR/shared" && umount "$root$NP_DIR/shared"
		if [ $rc -ne 0 ]; then
			for f in "$root$NP_DIR"/*.strace; do
				[ -f "$f" ] && grep -h -- '+++ killed by' "$f" | sed "s|^|$(basename "$f"): |"
			done
			for f in "$root$NP_DIR"/*.log "$root$NP_DIR"/*console.txt; do
				[ -f "$f" ] || continue
				echo "---- $(basename "$f") (last 15 lines)"
				tail -n 15 "$f"
			done
		fi
		if [ -n "${VHU_NP_KEEP-}" ]; then
			mkdir -p "$VHU_NP_KEEP/$NP_NAME"
			find "$root$NP_DIR" -maxdepth 1 -type f -exec cp {} "$VHU_NP_KEEP/$NP_NAME/" \;
		fi
		rm -rf "${root:?}$NP_DIR"
	fi
	exit $rc
}

# np_start NAME CMD... : a peer inside the chroot, under strace and the shim,
# output in NAME.log, bounded by timeout(1) (killed with its process group).
# No --seccomp-bpf: strace's filter would be inherited, and a process that
# starts under a filter gets a shim that makes no system call of its own
# (it records fds as of unknown kind).  The peer's own filter is the test.
np_start() {
	local name=$1 shim
	shift
	shim=(/opt/vhu/vhost-user-capture -q -w "$NP_DIR/$name.pcapng" --)
	timeout -k 5 "$NP_PEER_TIMEOUT" chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C ${NP_LIBPATH:+LD_LIBRARY_PATH=$NP_LIBPATH} \
		strace -f -ttt -yy -xx -s "${NP_STRACE_SIZE:-65536}" -e trace=$NP_STRACE_CALLS \
		-o "$NP_DIR/$name.strace" "${shim[@]}" "$@" \
		</dev/null >"$root$NP_DIR/$name.log" 2>&1 &
	eval "NP_PID_$name=$!"
	NP_PIDS="$NP_PIDS $!"
	np_log "started $name: $*"
}

np_alive() {
	local pid
	eval "pid=\$NP_PID_$1"
	kill -0 "$pid" 2>/dev/null
}

# np_wait_for WHAT SECONDS PEER COMMAND... : polls COMMAND; fails at once
# if PEER has ended meanwhile.
np_wait_for() {
	local what=$1 secs=$2 peer=$3 i
	shift 3
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		np_alive "$peer" || np_fail "$peer ended early: $(tail -n 3 "$root$NP_DIR/$peer.log")"
		sleep 0.1
	done
	np_fail "timed out after ${secs}s waiting for $what"
}

# np_wait_exit NAME SECONDS : the peer must end by itself, without its timeout.
np_wait_exit() {
	local pid rc i
	eval "pid=\$NP_PID_$1"
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && np_fail "$1 did not exit within $2 s"
	wait "$pid"
	rc=$?
	np_log "$1 exited with $rc"
	case $rc in
	124 | 137) np_fail "$1 was killed by its ${NP_PEER_TIMEOUT}s timeout" ;;
	esac
}

# np_stop NAME : SIGTERM to the peer itself (strace's child: timeout ->
# chroot, which execs strace -> the peer), then waits for it.
np_stop() {
	local pid tracer='' child=''
	eval "pid=\$NP_PID_$1"
	read -r tracer _ <"/proc/$pid/task/$pid/children" 2>/dev/null
	[ -n "${tracer-}" ] && read -r child _ <"/proc/$tracer/task/$tracer/children" 2>/dev/null
	[ -n "$child" ] || np_fail "cannot find $1's process under strace (timeout pid $pid)"
	kill -TERM $child
	np_wait_exit "$1" 30
}

np_is_socket() {
	[ -S "$1" ]
}

# np_scenario NAME : private directory inside the chroot (both peers and
# the host reach it: $root$NP_DIR on the host is $NP_DIR in the chroot).
np_scenario() {
	NP_NAME=$1
	NP_DIR=$(mktemp -d "$root/tmp/vhu-np-$NP_NAME.XXXXXX") || exit 1
	NP_DIR=${NP_DIR#$root}
	trap np_cleanup EXIT
	trap 'exit 1' INT TERM
	np_log "work directory $root$NP_DIR"
}

# np_qemu QEMU-ARGS... : QEMU 11 with the tiny guest, as peer "fe" (or
# NP_FE: a second QEMU of the same scenario, its files prefixed "NP_FE-").
np_qemu() {
	local tag=${NP_FE:+$NP_FE-}
	np_start "${NP_FE:-fe}" qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-monitor none -no-reboot -machine q35,accel=tcg,memory-backend=mem \
		-cpu max -smp 1 -m 256M \
		-object memory-backend-memfd,id=mem,size=256M,share=on \
		"$@" \
		-kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet vhu.test=$NP_NAME" \
		-serial "file:$NP_DIR/${tag}console.txt" \
		-trace 'vhost_user_*' -D "$NP_DIR/${tag}qemu.trace"
}

# np_check [compare.py options] : decodes both captures, compares (the
# peers "fe" and "be", or NP_FE and NP_BE).
np_check() {
	local args=() name rule w=$root$NP_DIR tag=${NP_FE:+$NP_FE-}
	for name in "${NP_FE:-fe}" "${NP_BE:-be}"; do
		[ -s "$w/$name.pcapng" ] || np_fail "$name wrote no capture"
		"$VHU_DECODE" -r "$w/$name.pcapng" -T json -x >"$w/$name.json" 2>"$w/$name.decode.log" ||
			np_fail "vhost-user-decode failed on $name.pcapng: $(head -5 "$w/$name.decode.log")"
		args+=(--peer "$w/$name.strace" "$w/$name.json")
		# healthy peers: no finding of the rules (docs/diagnosis.md) but
		# those of NP_FINDINGS_KNOWN, a real peer's own deviations
		sh "$VHU_SRC/tests/diag/check-clean.sh" "$VHU_DECODE" "$w/$name.pcapng" \
			${NP_FINDINGS_KNOWN-} >"$w/$name.findings.log" ||
			np_fail "$(cat "$w/$name.findings.log")"
	done
	for rule in ${NP_FINDINGS_KNOWN-}; do
		args+=(--known-finding "$rule")
	done
	python3 "$VHU_SRC/tests/newpeers/compare.py" --proto-h "$VHU_SRC/core/vhu_proto.h" \
		"${args[@]}" --qemu-trace "$w/${tag}qemu.trace" "$@" ||
		np_fail "the decoded session and the witnesses disagree"
	np_log "PASS"
}

# QEMU 11 (sid) asks for a reply to every ring setting that carries an fd
# or switches a ring; QEMU 10.0 (trixie) only to SET_VRING_ENABLE; QEMU 7.2
# only to the memory table and the back-end fd.
NP_QEMU11_NEED_REPLY="--expect-need-reply VHOST_USER_SET_VRING_ENABLE"
if [ "$suite" != trixie ]; then
	NP_QEMU11_NEED_REPLY="$NP_QEMU11_NEED_REPLY
	--expect-need-reply VHOST_USER_SET_VRING_CALL
	--expect-need-reply VHOST_USER_SET_VRING_ERR
	--expect-need-reply VHOST_USER_SET_VRING_KICK"
fi

# np_shared_dir : the directory virtiofsd shares, with hello.txt in it.
np_shared_dir() {
	local w=$root$NP_DIR
	mkdir "$w/shared"
	echo "hello from the host" >"$w/shared/hello.txt"
	# virtiofsd's sandbox pivot_root()s into the shared directory.
	mount --bind "$w/shared" "$w/shared" || np_fail "cannot bind-mount the shared directory"
}

# np_virtiofsd NAME SOCKET : virtiofsd on the shared directory, listening.
np_virtiofsd() {
	# virtiofsd's own seccomp filter, its default (kill): it is in place
	# before QEMU connects, and the shim must live with it.
	np_start "$1" /usr/libexec/virtiofsd --socket-path="$2" --shared-dir="$NP_DIR/shared" \
		--cache=never
	np_wait_for "virtiofsd's socket ($1)" 60 "$1" np_is_socket "$root$2"
}

scenario_fs() {
	np_scenario fs
	local w=$root$NP_DIR sock=$NP_DIR/fs.sock
	np_shared_dir
	np_virtiofsd be "$sock"
	np_qemu -chardev "socket,id=fs0,path=$sock" -device vhost-user-fs-pci,chardev=fs0,tag=t
	# The guest powers off when done; virtiofsd ends when QEMU disconnects.
	np_wait_exit fe 200
	grep -q VHU-FS-OK "$w/console.txt" ||
		np_fail "the guest could not use the shared directory: $(tail -5 "$w/console.txt")"
	grep -q written-by-guest "$w/shared/from-guest.txt" ||
		np_fail "the guest's file did not reach the host"
	np_wait_exit be 60
	np_check --expect VHOST_USER_ADD_MEM_REG --expect VHOST_USER_SET_BACKEND_REQ_FD \
		--expect VHOST_USER_RESET_DEVICE --expect VHOST_USER_GET_VRING_BASE \
		$NP_QEMU11_NEED_REPLY
}

scenario_vsock() {
	np_scenario vsock
	local w=$root$NP_DIR sock=$NP_DIR/vsock.sock
	np_start be vhost-device-vsock --guest-cid=3 --socket="$sock" --uds-path="$NP_DIR/vm3.vsock"
	np_wait_for "vhost-device-vsock's socket" 60 be np_is_socket "$root$sock"
	np_qemu -chardev "socket,id=vs0,path=$sock" -device vhost-user-vsock-pci,chardev=vs0
	np_wait_exit fe 200
	grep -q VHU-VSOCK-OK "$w/console.txt" ||
		np_fail "the guest's vsock transport did not come up: $(tail -5 "$w/console.txt")"
	# vhost-device-vsock waits for the next front-end: stop it.
	np_stop be
	np_check --expect VHOST_USER_GET_CONFIG --expect VHOST_USER_SET_MEM_TABLE \
		--expect VHOST_USER_GET_VRING_BASE $NP_QEMU11_NEED_REPLY
}

# The phases past the handshake (docs/phases.md): resize, devstate, gpu.
# shellcheck source=SCRIPTDIR/phases.sh
. "$(dirname "$0")/phases.sh"

scenarios=${*:-fs vsock}
for s in $scenarios; do
	case $s in
	fs) NP_PACKAGES="$NP_PACKAGES virtiofsd" ;;
	vsock) NP_PACKAGES="$NP_PACKAGES vhost-device-vsock" ;;
	resize) NP_PACKAGES="$NP_PACKAGES qemu-utils" ;;
	devstate) NP_PACKAGES="$NP_PACKAGES virtiofsd" ;;
	gpu) NP_PACKAGES="$NP_PACKAGES qemu-system-gui" ;;
	*) np_fail "unknown scenario '$s' (fs, vsock, resize, devstate, gpu)" ;;
	esac
done
ensure_chroot
failed=
for s in $scenarios; do
	# Each scenario in a subshell: its own trap, directory and peers.
	("scenario_$s") || failed="$failed $s"
done
NP_NAME=
[ -z "$failed" ] || np_fail "failed:$failed"
np_log "all passed: $scenarios"
