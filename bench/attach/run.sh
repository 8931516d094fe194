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
#     (64-byte text, NOISE_ROUNDS rounds, default 500000) and getppid()
#     (a call no program looks at), in CPU time: bare, while programs that
#     do nothing are attached to the hooks the attach mode could use
#     (floor.bpf.c: the same syscall tracepoints; raw and BTF sys_enter and
#     sys_exit; BTF sys_exit alone), and while `vhost-user-capture --all`
#     is attached, on its usual hooks and on the syscall tracepoints it
#     falls back to;
#   - which hooks this kernel lets be attached (fentry and kprobe on the
#     unix socket's send function included);
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
cc -O2 -Wall -o "$W/floor" "$HERE/floor.c" -lbpf
clang -O2 -target bpf -Wall -c "$HERE/floor.bpf.c" -o "$W/floor.bpf.o"
cd "$W"
FLOORS="tp raw btf exit"

# start_capture ARGS...: the collector in the background, once attached
start_capture() {
	"$CAPTURE" "$@" 2>cap.err >/dev/null &
	cap=$!
	until grep -q attached cap.err 2>/dev/null; do
		kill -0 "$cap" || { cat cap.err; exit 1; }
		sleep 0.2
	done
}

stop_bg() {	# the collector or the floor
	kill -INT "$cap"
	wait "$cap" || true
	cap=
}

stop_capture() {
	stop_bg
	grep records cap.err | sed 's/^vhost-user-capture: //'
}

# start_floor PREFIX: floor.bpf.o's programs PREFIX* attached, in the
# background; fails if the kernel refuses them
start_floor() {
	./floor floor.bpf.o "$1" 2>floor.err &
	cap=$!
	until grep -q attached floor.err 2>/dev/null; do
		kill -0 "$cap" 2>/dev/null || { cap=; return 1; }
		sleep 0.1
	done
}

# noise SUFFIX: the three untracked loads, their figures in *-SUFFIX
noise() {
	for load in pipe unix getppid; do
		./noise_bench $load "$NOISE" | ns >>$load-$1
	done
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
	noise bare
	for f in $FLOORS; do
		start_floor $f || { cat floor.err; exit 1; }
		noise $f
		stop_bg
	done
	start_capture --all -w all.pcapng
	noise all
	stop_capture >/dev/null
	export VHU_ATTACH_HOOKS=syscalls
	start_capture --all -w all.pcapng
	unset VHU_ATTACH_HOOKS
	noise all-tp
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
for load in pipe unix getppid; do
	case $load in
	pipe) what="pipe write+read 64 B" ;;
	unix) what="unix socket write+read 64 B" ;;
	getppid) what="getppid()" ;;
	esac
	row "$what, bare (CPU)" $load-bare $load-bare
	row "  no-op, same syscall tracepoints" $load-tp $load-bare
	row "  no-op, raw tracepoints sys_enter+sys_exit" $load-raw $load-bare
	row "  no-op, tp_btf sys_enter+sys_exit" $load-btf $load-bare
	row "  no-op, tp_btf sys_exit alone" $load-exit $load-bare
	row "  --all attached (BTF tracepoint sys_exit)" $load-all $load-bare
	row "  --all attached (syscall tracepoints)" $load-all-tp $load-bare
done
row "ping-pong message, bare" pp-bare pp-bare
row "ping-pong message, shim (launcher)" pp-shim pp-bare
row "ping-pong message, -p attached" pp-attach pp-bare
row "ping-pong message, strace -f -p" pp-strace pp-bare

echo "hooks this kernel lets be attached:"
for f in tp raw btf exit fentry kprobe; do
	if start_floor $f; then
		stop_bg
		echo "  $f: yes"
	else
		echo "  $f: no ($(grep -v '^floor:' floor.err | head -n 1 | sed 's/^libbpf: //'))"
	fi
done

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
