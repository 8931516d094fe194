#!/bin/sh
# SPDX-License-Identifier: MIT
# attach_tests.sh CASE - tests of `vhost-user-capture -p/--all` (eBPF attach).
#
# Environment: CAPTURE (vhost-user-capture), LAUNCHER (the same, for the
# shim), DECODE (vhost-user-decode),
# PINGPONG and PINGPONG_STATIC (attach_pingpong, dynamic and static), PEER
# (vhu-test-peer), CHECK (check.py).  Needs root: exit 77 (skipped) without.
#
#   testpeer      --all attached first, vhu-test-peer's `all` script run under
#                 the shim at the same time: both captures hold the same
#                 messages, fields, fd kinds and inodes
#   testpeer-syscalls  the same with the programs on the syscall tracepoints
#                 (VHU_ATTACH_HOOKS=syscalls), the way kernels without BTF
#                 tracepoints for BPF are recorded
#   midstream     attach for a few seconds in the middle of a 1M-message
#                 ping-pong: no malformed message, nothing lost after the
#                 first boundary; the ping-pong ends unharmed (status, output)
#   static-raw    a static program making raw syscall(2) transfers: recorded
#   all-noise     --all while unrelated unix socket and pipe traffic runs:
#                 none of it in the capture
#   not-root      without privileges: one line naming the launcher, status 2

set -eu
case_name=$1

[ "$(id -u)" -eq 0 ] || { echo "attach tests need root"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-attach-XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

fail() { echo "FAIL: $*"; exit 1; }

# start_capture NAME ARGS...: runs the collector in the background, waits
# until its programs are attached (the verifier may take a while on a busy
# machine); $cap_pid is its pid.
start_capture() {
	name=$1
	shift
	"$CAPTURE" "$@" >"$name.out" 2>"$name.err" &
	cap_pid=$!
	pids="$pids $cap_pid"
	i=0
	until grep -q "attached" "$name.err" 2>/dev/null; do
		kill -0 "$cap_pid" 2>/dev/null || { cat "$name.err"; fail "the capture did not start"; }
		i=$((i + 1))
		[ $i -lt 600 ] || fail "the capture did not attach within 120 s"
		sleep 0.2
	done
}

stop_capture() {
	kill -INT "$cap_pid"
	wait "$cap_pid" || fail "the capture exited with status $?"
	cat "$1.err"
}

wait_for_file() {
	i=0
	until [ -e "$1" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "$1 did not appear"
		sleep 0.2
	done
}

decode_json() {
	st=0
	timeout 600 "$DECODE" -r "$1" -T json >"$2" || st=$?
	[ $st -eq 0 ] || fail "vhost-user-decode -r $1 exited with $st (malformed or truncated messages)"
}

# the two processes of a running attach_pingpong: the parent, its child
pingpong_pids() {
	echo "$1 $(cat /proc/"$1"/task/"$1"/children)"
}

# keep_pids "PID..." IN OUT: the decoded items of those processes only
# (--all sees the whole host, other programs' vhost-user traffic too)
keep_pids() {
	python3 -c 'import json,sys
keep=set(sys.argv[1].split())
for l in open(sys.argv[2]):
    if l.startswith("{") and str(json.loads(l).get("pid")) in keep: print(l, end="")' "$1" "$2" >"$3"
}

case $case_name in
testpeer | testpeer-syscalls)
	if [ "$case_name" = testpeer-syscalls ]; then
		export VHU_ATTACH_HOOKS=syscalls
	fi
	start_capture att --all -w att.pcapng
	if [ "$case_name" = testpeer-syscalls ]; then
		grep -q "(syscall tracepoints)" att.err || fail "not on the syscall tracepoints: $(cat att.err)"
	fi
	timeout 120 "$LAUNCHER" -q -w shim.pcapng -- "$PEER" pair --script all >peer.out 2>&1 ||
		{ cat peer.out; fail "vhu-test-peer failed under the shim"; }
	stop_capture att
	decode_json shim.pcapng shim.json
	timeout 600 "$DECODE" -r att.pcapng -T json >att.json || true
	# only the test peer's processes: --all sees the whole host
	peer_pids=$(python3 -c 'import json,sys
print(" ".join(sorted({str(json.loads(l)["pid"]) for l in open("shim.json") if l.startswith("{")})))')
	keep_pids "$peer_pids" att.json att-peer.json
	python3 "$CHECK" same shim.json att-peer.json || fail "the attach capture differs from the shim's"
	;;
midstream)
	count=1000000
	"$PINGPONG" --count $count --ready ready >pp.out 2>&1 &
	pp=$!
	pids="$pids $pp"
	wait_for_file ready
	set -- $(pingpong_pids $pp)
	start_capture att -p "$1" -p "$2" -w att.pcapng --duration 4
	wait "$cap_pid" || fail "the capture exited with status $?"
	cat att.err
	st=0
	wait $pp || st=$?
	cat pp.out
	[ $st -eq 0 ] || fail "the ping-pong failed after the detach (status $st)"
	grep -qx "pingpong: $count messages ok" pp.out || fail "the ping-pong's output changed"
	# the end of the window may cut a message: check.py allows that alone
	timeout 600 "$DECODE" -r att.pcapng -T json >att.json || true
	python3 "$CHECK" pingpong att.json --min 1000 --cut-end || fail "messages lost or malformed"
	;;
static-raw)
	file "$PINGPONG_STATIC" | grep -q 'statically linked' || fail "$PINGPONG_STATIC is not static"
	"$PINGPONG_STATIC" --raw --until stop --ready ready >pp.out 2>&1 &
	pp=$!
	pids="$pids $pp"
	wait_for_file ready
	set -- $(pingpong_pids $pp)
	# runs until both targets are gone
	start_capture att -p "$1" -p "$2" -w att.pcapng
	sleep 3
	touch stop
	wait "$cap_pid" || fail "the capture exited with status $?"
	cat att.err
	wait $pp || fail "the ping-pong failed"
	count=$(sed -n 's/^pingpong: \([0-9]*\) messages ok$/\1/p' pp.out)
	decode_json att.pcapng att.json
	python3 "$CHECK" pingpong att.json --last "$count" --min 100 || fail "messages lost or malformed"
	;;
all-noise)
	start_capture att --all -w att.pcapng
	"$PINGPONG" --noise --count 5000 --go go >pp.out 2>&1 &
	pp=$!
	pids="$pids $pp"
	until [ -n "$(cat /proc/$pp/task/$pp/children 2>/dev/null)" ]; do sleep 0.1; done
	pp_pids=$(pingpong_pids $pp)
	touch go
	wait $pp || { cat pp.out; fail "ping-pong failed"; }
	stop_capture att
	if grep -aq "noise line" att.pcapng; then
		fail "unrelated unix socket or pipe traffic was recorded"
	fi
	# other programs' connections may end cut by the stop: judged here
	# are the ping-pong's own messages, malformed ones included
	timeout 600 "$DECODE" -r att.pcapng -T json >att-all.json || true
	keep_pids "$pp_pids" att-all.json att.json
	python3 "$CHECK" pingpong att.json --last 5000 --min 5000 || fail "the ping-pong itself was not recorded whole"
	;;
not-root)
	st=0
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$CAPTURE" -p 1 -w "$work/x.pcapng" >out 2>err || st=$?
	cat err
	[ $st -eq 2 ] || fail "status $st, not 2"
	[ "$(wc -l <err)" -eq 1 ] || fail "not one line"
	grep -q -- "-w FILE -- CMD" err || fail "the message does not point to the launcher"
	;;
*)
	echo "unknown case $case_name"
	exit 2
	;;
esac
echo "PASS: $case_name"
