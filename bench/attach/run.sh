#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - attach mode benchmark, in one run (root only).
#
#   bench/attach/run.sh BUILD_DIR [MESSAGES] [ROUNDS] [NOISE_ROUNDS]
#
# BUILD_DIR holds the built vhost-user-capture and tests/attach/
# attach_pingpong.  Prints, each case ROUNDS times (default 3) taking
# turns, the median:
#   - untracked traffic: noise_bench on a pipe and on a unix socket pair
#     (64-byte text, NOISE_ROUNDS rounds, default 500000) bare and while
#     `vhost-user-capture --all` is attached;
#   - the vhost-user ping-pong (MESSAGES, default 200000): bare, under the
#     launcher (shim), with `vhost-user-capture -p` attached to both
#     processes, and with `strace -f -p` attached to both;
#   - events lost: the ping-pong with --all and a 1 MiB kernel buffer, and
#     four ping-pongs at once with the default 16 MiB.
set -eu

BUILD=$(cd "${1:?usage: run.sh BUILD_DIR [MESSAGES] [ROUNDS] [NOISE_ROUNDS]}" && pwd)
N=${2:-200000}
R=${3:-3}
NOISE=${4:-500000}
HERE=$(cd "$(dirname "$0")" && pwd)
CAPTURE=$BUILD/capture-shim/vhost-user-capture
PP=$BUILD/tests/attach/attach_pingpong
W=$(mktemp -d -t vhu-attach-bench.XXXXXX)
cap=
pp=
cleanup() {	# a failed case leaves no collector or waiting ping-pong behind
	[ -z "$cap" ] || kill "$cap" 2>/dev/null || true
	[ -z "$pp" ] || pkill -P "$pp" 2>/dev/null || true
	[ -z "$pp" ] || kill "$pp" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
cc -O2 -Wall -o "$W/noise_bench" "$HERE/noise_bench.c"
cd "$W"

# start_capture ARGS...: the collector in the background, once attached
start_capture() {
	"$CAPTURE" "$@" 2>cap.err >/dev/null &
	cap=$!
	until grep -q attached cap.err 2>/dev/null; do
		kill -0 "$cap" || { cat cap.err; exit 1; }
		sleep 0.2
	done
}

stop_capture() {
	kill -INT "$cap"
	wait "$cap" || true
	cap=
	grep records cap.err | sed 's/^vhost-user-capture: //'
}

ns() {	# the ns figure of a pingpong or noise_bench line
	sed -n 's/.* \([0-9][0-9]*\) ns per .*/\1/p'
}

# pingpong_attached TOOL: a ping-pong waiting for "go", TOOL attached to
# both of its processes, then started; prints ns per message
pingpong_attached() {
	rm -f go
	"$PP" --count "$N" --go go --time >pp.out &
	pp=$!
	sleep 0.3
	child=$(cat /proc/$pp/task/$pp/children)
	case $1 in
	attach) start_capture -p $pp -p $child -w cap.pcapng ;;
	strace) strace -f -o /dev/null -p $pp -p $child & cap=$!; sleep 1 ;;
	esac
	touch go
	wait $pp
	pp=
	case $1 in
	attach) wait "$cap"; cap= ;;	# ends with its targets
	strace) wait "$cap" || true; cap= ;;
	esac
	rm -f cap.pcapng
	ns <pp.out
}

median() {	# the median of the numbers on stdin
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

i=0
while [ $i -lt "$R" ]; do
	i=$((i + 1))
	./noise_bench pipe "$NOISE" | ns >>pipe-bare
	./noise_bench unix "$NOISE" | ns >>unix-bare
	start_capture --all -w all.pcapng
	./noise_bench pipe "$NOISE" | ns >>pipe-all
	./noise_bench unix "$NOISE" | ns >>unix-all
	stop_capture >/dev/null
	rm -f all.pcapng
	"$PP" --count "$N" --time | ns >>pp-bare
	"$CAPTURE" -q -w shim.pcapng -- "$PP" --count "$N" --time | ns >>pp-shim
	rm -f shim.pcapng
	pingpong_attached attach >>pp-attach
	pingpong_attached strace >>pp-strace
done

row() {	# label, case, base case
	m=$(median <"$2")
	b=$(median <"$3")
	printf '%-52s %9s ns %6s\n' "$1" "$m" "$(awk "BEGIN { printf \"%.2fx\", $m / $b }")"
}

echo "attach benchmark: $R rounds (median), $N ping-pong messages, $NOISE noise rounds"
printf '%-52s %12s %7s\n' case "per unit" "vs bare"
row "pipe write+read 64 B, bare" pipe-bare pipe-bare
row "pipe write+read 64 B, --all attached" pipe-all pipe-bare
row "unix socket write+read 64 B, bare" unix-bare unix-bare
row "unix socket write+read 64 B, --all attached" unix-all unix-bare
row "ping-pong message, bare" pp-bare pp-bare
row "ping-pong message, shim (launcher)" pp-shim pp-bare
row "ping-pong message, -p attached" pp-attach pp-bare
row "ping-pong message, strace -f -p" pp-strace pp-bare

echo "events lost (--all, the ping-pong at full speed):"
for buf in 1 16; do
	start_capture --all --buffer $buf -w all.pcapng
	more=
	if [ $buf = 16 ]; then
		for k in 1 2 3; do
			"$PP" --count "$N" >/dev/null &
			more="$more $!"
		done
	fi
	"$PP" --count "$N" >/dev/null
	for p in $more; do wait "$p"; done
	printf '  buffer %2s MiB, %s ping-pong(s): ' $buf "$([ $buf = 16 ] && echo 4 || echo 1)"
	stop_capture
	rm -f all.pcapng
done
