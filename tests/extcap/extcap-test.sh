#!/bin/sh
# SPDX-License-Identifier: MIT
# extcap-test.sh - checks vhost-user-extcap the way Wireshark uses it.
#
#   extcap-test.sh CASE
#
#   interfaces       --extcap-interfaces/-dlts/-config answer as extcap(4) says
#   errors           a capture that cannot start says why in one line, exit 1
#   tshark-testpeer  tshark -i vhost-user-launch records the test peer's session:
#                    the same messages as vhost-user-capture -w records directly
#   stop             stopping tshark mid-run ends the command and its children
#                    and leaves a capture that decodes cleanly
#   tshark-dpdk      the same with a real DPDK testpmd pair as the command
#   attach           the attach interface records a running ping-pong (root)
#
# Environment (tests/extcap/CMakeLists.txt): VHU_EXTCAP, VHU_CAPTURE,
# VHU_DECODE, VHU_TEST_PEER, VHU_SRC, TSHARK.  tshark looks for extcap
# programs in WIRESHARK_EXTCAP_DIR only when it is not root: as root, it
# runs as nobody, in a private directory.
set -u

case_name=${1:?usage: extcap-test.sh CASE}
: "${VHU_EXTCAP:?}" "${VHU_CAPTURE:?}" "${VHU_DECODE:?}" "${VHU_TEST_PEER:?}" "${VHU_SRC:?}"
SKIP=77
IF=vhost-user-launch
PREF=extcap.vhost_user_launch

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-extcap-test.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
chmod 755 "$work"
mkdir -p "$work/extcap" "$work/home" "$work/run"
cp "$VHU_EXTCAP" "$work/extcap/vhost-user-extcap"
chmod -R a+rX "$work"
chmod 777 "$work/home" "$work/run"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# shellcheck source=../common/as-user.sh
. "$(dirname "$0")/../common/as-user.sh"

# extcap ARGS... : the program as Wireshark runs it.
extcap() {
	VHU_CAPTURE="$VHU_CAPTURE" "$VHU_EXTCAP" "$@"
}

# tshark_capture OUT SECONDS COMMAND : a live capture on the interface.
tshark_capture() {
	[ -n "${TSHARK:-}" ] || { echo "tshark missing"; exit $SKIP; }
	$as_user env HOME="$work/home" WIRESHARK_CONFIG_DIR="$work/home" \
		WIRESHARK_EXTCAP_DIR="$work/extcap" VHU_CAPTURE="$VHU_CAPTURE" \
		ASAN_OPTIONS=detect_leaks=0 TZ=UTC LC_ALL=C \
		timeout -k 5 $(($2 + 60)) "$TSHARK" -i "$IF" -o "$PREF.command:$3" \
		-o "$PREF.workdir:$work/run" -a "duration:$2" -w "$1" \
		>"$work/tshark.log" 2>&1
}

# messages FILE : the decoded message lines of a capture (no capture
# events), without frame numbers, times and pids, sorted.
messages() {
	"$VHU_DECODE" -r "$1" >"$work/decoded.txt" || {
		cat "$work/decoded.txt"
		fail "$1 does not decode cleanly"
	}
	grep -v ' == ' "$work/decoded.txt" | sed -e 's/^ *[0-9]* [0-9.]* [0-9.]* *//' \
		-e 's/\[[0-9]*\]//g' -e 's/(reply to #[0-9]*, [^)]*)//' | sort
}

case_interfaces() {
	out=$(extcap --extcap-interfaces --extcap-version=4.0) || fail "--extcap-interfaces failed"
	echo "$out" | grep -q '^extcap {version=[^}]*}' || fail "no extcap line: $out"
	echo "$out" | grep -q "^interface {value=$IF}{display=vhost-user: " ||
		fail "no $IF interface: $out"
	echo "$out" | grep -q "^interface {value=vhost-user-attach}{display=vhost-user: attach" ||
		fail "no attach interface: $out"
	out=$(extcap --extcap-interface "$IF" --extcap-dlts) || fail "--extcap-dlts failed"
	[ "$out" = "dlt {number=252}{name=WIRESHARK_UPPER_PDU}{display=vhost-user capture records}" ] ||
		fail "dlts: $out"
	extcap --extcap-interface vhost-user-attach --extcap-config >"$work/attach-config" ||
		fail "--extcap-config of the attach interface failed"
	grep -q '{call=--pids}' "$work/attach-config" && grep -q '{call=--all}.*{type=boolflag}' \
		"$work/attach-config" || fail "attach options: $(cat "$work/attach-config")"
	extcap --extcap-interface "$IF" --extcap-config >"$work/config" || fail "--extcap-config failed"
	cat "$work/attach-config" >>"$work/config"
	n=0
	while read -r line; do
		n=$((n + 1))
		for key in number call display type tooltip; do
			echo "$line" | grep -q "{$key=[^}]*}" || fail "config line without $key: $line"
		done
		# Every option the dialog offers is one the capture accepts.
		call=$(echo "$line" | sed -n 's/.*{call=\([^}]*\)}.*/\1/p')
		extcap --help | grep -q -- "$call" || fail "the dialog offers $call, the program does not take it"
	done <"$work/config"
	[ "$n" -ge 7 ] || fail "only $n options"
	grep -q '{call=--command}.*{required=true}' "$work/config" || fail "--command is not required"
	extcap --extcap-interface nosuch --extcap-dlts >/dev/null 2>&1
	[ $? -eq 2 ] || fail "an unknown interface is not a usage error"
}

# expect_error WANT ARGS... : the capture fails with exit 1 and one line
# containing WANT.
expect_error() {
	want=$1
	shift
	rm -f "$work/fifo"
	mkfifo -m 666 "$work/fifo"
	# The reader Wireshark would be: held open by the test itself (O_RDWR
	# never blocks); what a failed start writes fits the pipe's buffer.
	exec 4<>"$work/fifo"
	extcap --extcap-interface "$IF" --capture --fifo "$work/fifo" "$@" 2>"$work/err" >/dev/null
	st=$?
	exec 4>&-
	[ $st -eq 1 ] || fail "exit $st (want 1) for: $*"
	[ "$(wc -l <"$work/err")" -eq 1 ] || { cat "$work/err"; fail "not one line for: $*"; }
	grep -q -- "$want" "$work/err" || { cat "$work/err"; fail "no '$want' for: $*"; }
}

case_errors() {
	expect_error "no command line" --command "  "
	expect_error "nosuchprogram: command not found" --command "nosuchprogram --flag"
	expect_error "working directory $work/none: No such file" --command true --workdir "$work/none"
	expect_error "exited with status 3: boom" --command "echo boom >&2; exit 3"
	IF=vhost-user-attach expect_error "no process" --pids ""
	IF=vhost-user-attach expect_error "'12x' is not a list of numbers" --pids "12x"
	IF=vhost-user-attach expect_error "process 4194300 does not exist" --pids "1,4194300"
	# Attaching without the privilege: the attach program's own line.
	if [ -n "${VHU_PINGPONG:-}" ] && [ -n "$as_user" ]; then
		chmod 777 "$work"
		extcap() {
			$as_user env VHU_CAPTURE="$VHU_CAPTURE" "$VHU_EXTCAP" "$@"
		}
		IF=vhost-user-attach expect_error "the attach exited with status 2: .*needs root" --pids 1
	fi
	expect_error "killed by signal 9" --command 'kill -9 $$'
	VHU_CAPTURE=$work/none expect_error "cannot run the capture launcher $work/none" --command true
	extcap --extcap-interface "$IF" --capture --command true --fifo "$work/none/fifo" 2>"$work/err"
	[ $? -eq 1 ] && grep -q "cannot open the fifo" "$work/err" || fail "missing fifo: $(cat "$work/err")"
}

case_tshark_testpeer() {
	cmd="$VHU_TEST_PEER pair --script all"
	tshark_capture "$work/run/live.pcapng" 30 "$cmd" || { cat "$work/tshark.log"; fail "tshark failed"; }
	# The same user as the extcap's: what a peer may open (userfaultfd)
	# depends on it.
	(cd "$work/run" && $as_user "$VHU_CAPTURE" -q -w "$work/run/direct.pcapng" -- sh -c "$cmd") \
		>/dev/null 2>&1 || fail "direct capture failed"
	messages "$work/run/live.pcapng" >"$work/live.txt"
	messages "$work/run/direct.pcapng" >"$work/direct.txt"
	[ "$(wc -l <"$work/live.txt")" -gt 100 ] || fail "only $(wc -l <"$work/live.txt") messages"
	diff "$work/direct.txt" "$work/live.txt" >/dev/null ||
		{ diff "$work/direct.txt" "$work/live.txt" | head -20; fail "live capture differs"; }
}

case_stop() {
	marker=$$
	start=$(date +%s)
	tshark_capture "$work/run/live.pcapng" 3 \
		"$VHU_TEST_PEER pair; sh -c 'sleep 120; : $marker' & sleep 120" ||
		{ cat "$work/tshark.log"; fail "tshark failed"; }
	[ $(($(date +%s) - start)) -lt 60 ] || fail "the capture did not stop"
	sleep 1
	if pgrep -f ": $marker" >/dev/null; then
		pkill -f ": $marker"
		fail "a child of the command outlived the capture"
	fi
	messages "$work/run/live.pcapng" | grep -q 'GET_FEATURES' || fail "no handshake in the capture"
}

case_tshark_dpdk() {
	command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd missing"; exit $SKIP; }
	mkdir -p "$work/run/dpdk" && chmod 777 "$work/run/dpdk"
	tshark_capture "$work/run/live.pcapng" 60 "$VHU_SRC/scripts/dpdk-pair-session.sh $work/run/dpdk" ||
		{ cat "$work/tshark.log"; tail "$work/run/dpdk"/*.log; fail "tshark failed"; }
	messages "$work/run/live.pcapng" >"$work/live.txt"
	for req in GET_FEATURES SET_MEM_TABLE SET_VRING_ADDR SET_VRING_KICK GET_VRING_BASE; do
		# each message as sent by one peer and as received by the other
		n=$(grep -c "  $req\$\|  $req " "$work/live.txt")
		[ "$n" -ge 2 ] || { cat "$work/live.txt"; fail "$req seen $n times"; }
	done
	grep -q 'dpdk-testpmd' "$work/decoded.txt" || fail "no testpmd process in the capture"
}

# attach: the attach interface records a running ping-pong between two
# processes (root and an attach-capable build only), and a stop ends it
# with a capture that decodes.
case_attach() {
	[ "$(id -u)" = 0 ] || { echo "attaching needs root"; exit $SKIP; }
	[ -n "${VHU_PINGPONG:-}" ] || { echo "this build has no attach mode"; exit $SKIP; }
	"$VHU_PINGPONG" --until "$work/stop" --ready "$work/ready" >"$work/pingpong.log" 2>&1 &
	pp=$!
	i=0
	while [ ! -e "$work/ready" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$work/ready" ] || fail "the ping-pong did not start"
	mkfifo -m 666 "$work/fifo"
	: >"$work/attach.pcapng"
	cat "$work/fifo" >>"$work/attach.pcapng" &
	reader=$!
	IF=vhost-user-attach
	# The program itself in the background (a function would run in a
	# subshell, and the stop would reach the subshell only).
	VHU_CAPTURE="$VHU_CAPTURE" "$VHU_EXTCAP" --extcap-interface "$IF" --capture \
		--fifo "$work/fifo" --pids "$pp" 2>"$work/err" &
	ex=$!
	# Until messages arrive (loading the eBPF programs takes a while).
	i=0
	while [ "$(stat -c %s "$work/attach.pcapng")" -lt 20000 ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -TERM "$ex"
	wait "$ex"
	st=$?
	wait "$reader"
	touch "$work/stop"
	wait "$pp" || fail "the ping-pong was disturbed: $(cat "$work/pingpong.log")"
	[ $st -eq 0 ] || fail "the attach capture failed ($st): $(cat "$work/err")"
	# A stop lands anywhere: the last message may be cut by the end of the
	# capture (and says so); nothing before it may be malformed.
	"$VHU_DECODE" -r "$work/attach.pcapng" >"$work/decoded.txt"
	bad=$(grep -n 'MALFORMED' "$work/decoded.txt" | cut -d: -f1)
	last=$(wc -l <"$work/decoded.txt")
	for line in $bad; do
		[ "$line" -ge $((last - 1)) ] && sed -n "${line}p" "$work/decoded.txt" | grep -q 'were captured' ||
			{ sed -n "${line}p" "$work/decoded.txt"; fail "a malformed message inside the attach capture"; }
	done
	n=$(grep -c 'GET_FEATURES' "$work/decoded.txt")
	[ "$n" -gt 10 ] || fail "only $n GET_FEATURES messages recorded"
}

case $case_name in
interfaces) case_interfaces ;;
attach) case_attach ;;
errors) case_errors ;;
tshark-testpeer) case_tshark_testpeer ;;
stop) case_stop ;;
tshark-dpdk) case_tshark_dpdk ;;
*) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
