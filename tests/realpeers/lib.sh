# lib.sh - shared helpers for the real-peer scenarios (sourced, not run).
#
# Every scenario runs real vhost-user peers in a private temporary directory,
# each peer under strace (the independent witness) and under the capture
# shim, with a hard timeout.  It stops only the processes it started: each
# peer runs under its own timeout(1), which is the leader of a new process
# group, so stopping that group never touches anything else on the machine.
#
# Inputs (environment, set by tests/realpeers/CMakeLists.txt):
#   VHU_SRC       the source tree (core/vhu_proto.h, this folder)
#   VHU_CAPTURE   the vhost-user-capture launcher
#   VHU_DECODE    vhost-user-decode
#   VHU_RP_NO_SHIM=1   run the peers under strace only (no capture, no decode)
#   VHU_RP_KEEP=DIR    copy the run's files (captures, logs, traces) to DIR
#   VHU_RP_PRELOAD     sanitizer runtimes (ASan/UBSan builds): preloaded into
#                      the peers before the shim, which needs them first
#   VHU_RP_UNSHIMMED="NAME..."  peers to run without the shim (samples/make-samples.sh
#                      uses it where the shim cannot run yet); never set by ctest
#   VHU_RP_PLAIN="NAME..." with VHU_RP_PLAIN_LIB  sanitized builds: peers to run
#                      with the shim built without sanitizers (a sandboxed peer
#                      that the ASan runtime's own system calls would get killed)
#
# A scenario sets RP_STRACE_ONE="NAME..." for peers whose children strace
# must not follow: user-mode-linux ptraces its own.  strace then runs under
# the launcher (which stays the peer's parent) and traces the peer's first
# process only; its log gets that pid in front of each line afterwards, as
# -f writes it.

set -u

RP_STRACE_CALLS=sendmsg,recvmsg,sendmmsg,recvmmsg,read,write,readv,writev,recvfrom,sendto,connect,accept,accept4,socketpair,close,clone,clone3,fork,vfork
RP_PEER_TIMEOUT=${RP_PEER_TIMEOUT:-120}
# How many bytes of each buffer strace shows: a whole vhost-user message.
# A scenario whose peers also move bulk data through read/write (QEMU's
# migration stream) lowers it; crosscheck.py fails on a cut message.
RP_STRACE_SIZE=${RP_STRACE_SIZE:-65536}

rp_log() {
	echo "[$(date +%T)] $RP_NAME: $*"
}

rp_fail() {
	echo "FAIL: $RP_NAME: $*" >&2
	exit 1
}

# rp_need PROGRAM... : a missing peer is a failure that says what to install.
rp_need() {
	local p
	for p in "$@"; do
		if [ ! -x "$p" ] && ! command -v "$p" >/dev/null 2>&1; then
			rp_fail "$p is not installed (run scripts/install-deps.sh)"
		fi
	done
}

rp_cleanup() {
	local rc=$? pid prefix
	for pid in ${RP_PIDS-}; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
		fi
	done
	for pid in ${RP_PIDS-}; do
		wait "$pid" 2>/dev/null
	done
	# DPDK's EAL leaves a runtime directory per --file-prefix behind.
	for prefix in ${RP_DPDK_PREFIXES-}; do
		rm -rf "/var/run/dpdk/$prefix"
	done
	if [ -n "${VHU_RP_KEEP-}" ] && [ -d "$RP_DIR" ]; then
		mkdir -p "$VHU_RP_KEEP"
		find "$RP_DIR" -maxdepth 1 -type f -exec cp {} "$VHU_RP_KEEP"/ \;
	fi
	if [ $rc -ne 0 ]; then
		rp_log "failed (rc $rc); the peers' output:"
		local f
		for f in "$RP_DIR"/*.strace; do
			[ -f "$f" ] || continue
			# A seccomp sandbox (virtiofsd) kills a process whose
			# preloaded code makes a syscall the peer never makes.
			grep -h -- '+++ killed by' "$f" | sed "s|^|$(basename "$f"): |"
		done
		for f in "$RP_DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $(basename "$f") (last 15 lines)"
			tail -n 15 "$f"
		done
	fi
	rm -rf "$RP_DIR"
	exit $rc
}

# rp_init NAME : private directory, exit trap, tool checks.
rp_init() {
	RP_NAME=$1
	RP_PIDS=
	RP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vhu-rp-$RP_NAME.XXXXXX") || exit 1
	trap rp_cleanup EXIT
	trap 'exit 1' INT TERM
	: "${VHU_SRC:?VHU_SRC must point at the source tree}"
	rp_need strace timeout python3
	if [ "${VHU_RP_NO_SHIM-}" != 1 ]; then
		[ -n "${VHU_CAPTURE-}" ] && [ -x "$VHU_CAPTURE" ] ||
			rp_fail "the capture launcher is not built (VHU_CAPTURE='${VHU_CAPTURE-}')"
		[ -n "${VHU_DECODE-}" ] && [ -x "$VHU_DECODE" ] ||
			rp_fail "the decoder is not built (VHU_DECODE='${VHU_DECODE-}')"
	fi
	rp_log "work directory $RP_DIR"
}

rp_unshimmed() {
	case " ${VHU_RP_UNSHIMMED-} " in *" $1 "*) return 0 ;; esac
	return 1
}

rp_strace_one() {
	case " ${RP_STRACE_ONE-} " in *" $1 "*) return 0 ;; esac
	return 1
}

# rp_strace_pids NAME : puts the traced pid in front of each line of a
# peer's log written without -f.
rp_strace_pids() {
	local pid
	rp_strace_one "$1" || return 0
	pid=$(cat "$RP_DIR/$1.tracepid" 2>/dev/null) || rp_fail "no pid of $1's trace"
	sed -i "s/^/$pid /" "$RP_DIR/$1.strace"
}

# rp_start NAME CMD... : starts a peer in the background: stdin from the fifo
# NAME.in (write to it with rp_send), output in NAME.log, syscalls in
# NAME.strace, capture in NAME.pcapng.  Sets RP_PID_<NAME> to timeout's pid.
rp_start() {
	local name=$1 fd
	shift
	mkfifo "$RP_DIR/$name.in"
	exec {fd}<>"$RP_DIR/$name.in"
	eval "RP_FD_$name=$fd"
	local shim=()
	if [ "${VHU_RP_NO_SHIM-}" != 1 ] && ! rp_unshimmed "$name"; then
		shim=("$VHU_CAPTURE" -w "$RP_DIR/$name.pcapng" --)
		if case " ${VHU_RP_PLAIN-} " in *" $name "*) true ;; *) false ;; esac; then
			shim=(env "VHU_CAPTURE_LIB=$VHU_RP_PLAIN_LIB" "${shim[@]}")
		elif [ -n "${VHU_RP_PRELOAD-}" ]; then
			# The launcher puts the shim first in LD_PRELOAD; an
			# uninstrumented peer then refuses the sanitized shim
			# ("ASan runtime does not come first").  Put the
			# runtimes first.  The env in between runs with the
			# launcher's order, hence verify_asan_link_order=0;
			# leaks of the peers themselves are not ours to report.
			local lib
			lib=${VHU_CAPTURE_LIB:-$(dirname "$VHU_CAPTURE")/libvhost-user-capture.so}
			shim=(env ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0
			      "${shim[@]}" env "LD_PRELOAD=$VHU_RP_PRELOAD $lib")
		fi
	fi
	# No --seccomp-bpf: strace's filter would be inherited, and a process that
	# starts under a filter gets a shim that makes no system call of its own
	# (it records fds as of unknown kind).  The peer's own filter is the test.
	local strace=(strace -ttt -yy -xx -s "$RP_STRACE_SIZE" -e trace=$RP_STRACE_CALLS
		      -o "$RP_DIR/$name.strace") run
	if rp_strace_one "$name"; then
		# The shell becomes the peer (exec): its pid is the peer's.
		run=("${shim[@]}" "${strace[@]}"
		     sh -c 'echo $$ >"$0"; exec "$@"' "$RP_DIR/$name.tracepid" "$@")
	else
		run=("${strace[@]}" -f "${shim[@]}" "$@")
	fi
	timeout -k 5 "$RP_PEER_TIMEOUT" "${run[@]}" \
		<"$RP_DIR/$name.in" >"$RP_DIR/$name.log" 2>&1 &
	eval "RP_PID_$name=$!"
	RP_PIDS="$RP_PIDS $!"
	RP_LIVE="${RP_LIVE-} $name"
	rp_log "started $name: $*"
}

# rp_send NAME LINE : one line on the peer's stdin.
rp_send() {
	local fd
	eval "fd=\$RP_FD_$1"
	printf '%s\n' "$2" >&"$fd"
}

# rp_check_alive : fails at once if a peer that should be running has ended.
rp_check_alive() {
	local name pid
	for name in ${RP_LIVE-}; do
		eval "pid=\$RP_PID_$name"
		kill -0 "$pid" 2>/dev/null && continue
		rp_fail "$name ended early: $(grep -v '^EAL:' "$RP_DIR/$name.log" | tail -n 3)"
	done
}

# rp_wait_for WHAT SECONDS COMMAND... : polls COMMAND until it succeeds.
rp_wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		rp_check_alive
		sleep 0.1
	done
	rp_fail "timed out after ${secs}s waiting for $what"
}

rp_log_has() {
	grep -q -- "$2" "$RP_DIR/$1.log" 2>/dev/null
}

# rp_wait_log NAME PATTERN SECONDS
rp_wait_log() {
	rp_wait_for "'$2' in $1.log" "$3" rp_log_has "$1" "$2"
}

# A prompt printed while another thread logs can come out in pieces, each
# piece followed by whole log lines ("test" VHOST_CONFIG: ... "pmd> ").
# The log lines of DPDK and QEMU start with "NAME: "; testpmd's own event
# lines come with a newline before them ("test" "\nPort 0: queue state
# event\n" "pmd> ").
rp_log_has_prompt() {
	sed -z -e 's/\nPort [0-9]*: [^\n]* event\n//g' -e 's/[A-Z][A-Z_]*: [^\n]*\n//g' \
		"$RP_DIR/$1.log" 2>/dev/null | grep -q -a -- "$2"
}

# rp_wait_prompt NAME PROMPT SECONDS
rp_wait_prompt() {
	rp_wait_for "'$2' in $1.log" "$3" rp_log_has_prompt "$1" "$2"
}

rp_is_socket() {
	[ -S "$1" ]
}

# rp_wait_exit NAME SECONDS : waits for the peer to end; fails if it does not.
rp_wait_exit() {
	local pid rc i
	eval "pid=\$RP_PID_$1"
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		rp_fail "$1 did not exit within $2 s"
	fi
	wait "$pid"
	rc=$?
	RP_LIVE=$(echo " $RP_LIVE " | sed "s/ $1 / /")
	rp_log "$1 exited with $rc"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		rp_fail "$1 was killed by its ${RP_PEER_TIMEOUT}s timeout"
	fi
	return 0
}

# rp_kill NAME : kills the peer itself (SIGKILL, a crash), not its
# strace or timeout, and waits for them to end.  The peer is the child of
# strace, which is the child of timeout (the launcher execs the peer).
rp_kill() {
	local pid tracer='' child=''
	eval "pid=\$RP_PID_$1"
	read -r tracer _ <"/proc/$pid/task/$pid/children" 2>/dev/null
	[ -n "$tracer" ] && read -r child _ <"/proc/$tracer/task/$tracer/children" 2>/dev/null
	[ -n "$child" ] || rp_fail "cannot find $1's process under strace (timeout pid $pid)"
	kill -KILL "$child"
	# (bash would report the killed job on stderr)
	{ wait "$pid"; } 2>/dev/null
	RP_LIVE=$(echo " $RP_LIVE " | sed "s/ $1 / /")
	rp_log "$1 (pid $child) killed"
}

# rp_start_qsd_blk SOCKET DISK : peer "be", qemu-storage-daemon exporting the
# image DISK as a vhost-user-blk device on SOCKET; waits for the socket.
rp_start_qsd_blk() {
	rp_start be qemu-storage-daemon \
		--blockdev "driver=file,node-name=f0,filename=$2" \
		--blockdev driver=raw,node-name=d0,file=f0 \
		--export "type=vhost-user-blk,id=e0,node-name=d0,addr.type=unix,addr.path=$1,writable=on,num-queues=1" \
		--pidfile "$RP_DIR/be.pid"
	rp_wait_for "the back-end's socket" 60 rp_is_socket "$1"
}

# rp_signal_pidfile PIDFILE SIGNAL : signals a peer we started, by its own pid file.
rp_signal_pidfile() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || rp_fail "no pid file $1"
	kill -"$2" "$pid"
}

# rp_check [crosscheck options] : decodes every capture and compares it with
# the witnesses.  Peers listed in RP_CAPTURED must have written a capture.
# Healthy peers give no finding of the rules (docs/diagnosis.md).
rp_check() {
	local args=() name
	for name in ${RP_CAPTURED-}; do
		rp_strace_pids "$name"
		args+=(--strace "$RP_DIR/$name.strace")
		[ "${VHU_RP_NO_SHIM-}" = 1 ] && continue
		rp_unshimmed "$name" && continue
		[ -s "$RP_DIR/$name.pcapng" ] || rp_fail "$name wrote no capture"
		"$VHU_DECODE" -r "$RP_DIR/$name.pcapng" -T json -x >"$RP_DIR/$name.json" \
			2>"$RP_DIR/$name.decode.err" ||
			rp_fail "vhost-user-decode failed on $name.pcapng: $(head -5 "$RP_DIR/$name.decode.err")"
		args+=(--decoded "$RP_DIR/$name.json")
		# RP_FINDINGS_KNOWN: rules a real peer of the scenario breaks itself
		sh "$VHU_SRC/tests/diag/check-clean.sh" "$VHU_DECODE" "$RP_DIR/$name.pcapng" \
			${RP_FINDINGS_KNOWN-} >"$RP_DIR/$name.findings.log" ||
			rp_fail "$(cat "$RP_DIR/$name.findings.log")"
	done
	python3 "$VHU_SRC/tests/realpeers/crosscheck.py" \
		--proto-h "$VHU_SRC/core/vhu_proto.h" "${args[@]}" "$@" ||
		rp_fail "the decoded session and the witnesses disagree"
	rp_log "PASS"
}
