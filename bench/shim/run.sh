#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - capture-shim benchmark: bare vs. floor vs. shim vs. strace.
#
#   bench/shim/run.sh BUILD_DIR [MESSAGES] [PIPE_ITERATIONS] [ROUNDS]
#
# BUILD_DIR holds the built capture-shim/vhost-user-capture.  Compiles
# shim_bench.c, then runs, in one go:
#   - the unix-socket ping-pong (MESSAGES messages, default 1000000) bare,
#     with the floor's writes (bare plus one record-sized write per call,
#     no shim), under the shim writing a capture file, and under strace;
#   - the same calls in one process (no scheduling): bare, floor, shim;
#   - a write/read loop on a pipe (untracked fds), bare and under the shim.
# With ROUNDS (default 1) every case but strace runs that many times, the
# cases taking turns, and the median and the best round are shown: on a
# shared machine one round can be off by tens of percent.  Prints a table; the capture
# and floor files are compared in size and removed.
set -eu

BUILD=${1:?usage: run.sh BUILD_DIR [MESSAGES] [PIPE_ITERATIONS] [ROUNDS]}
N=${2:-1000000}
P=${3:-5000000}
R=${4:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
LAUNCHER=$(cd "$BUILD" && pwd)/capture-shim/vhost-user-capture
W=$(mktemp -d -t vhu-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

cc -O2 -Wall -o "$W/shim_bench" "$HERE/shim_bench.c"
cd "$W"

# Spools big enough that a launcher kept off the CPU by the benchmark
# itself loses nothing (it says so if it does): every record is copied.
shim() {
	"$LAUNCHER" -q --spool-size "${SPOOL_MIB:-256}" -w cap.pcapng -- ./shim_bench "$@"
}

# One round of every case; each appends its shim_bench line to CASE.out.
round() {
	./shim_bench pingpong "$N" >> pp-bare.out
	./shim_bench pingpong "$N" floor.bin >> pp-floor.out
	shim pingpong "$N" >> pp-shim.out
	sizes="capture: $(stat -c %s cap.pcapng) bytes, floor: $(stat -c %s floor.bin) bytes"
	rm -f cap.pcapng floor.bin
	./shim_bench inproc "$N" >> in-bare.out
	./shim_bench inproc "$N" floor.bin >> in-floor.out
	shim inproc "$N" >> in-shim.out
	rm -f cap.pcapng floor.bin
	./shim_bench pipe "$P" >> pipe-bare.out
	shim pipe "$P" >> pipe-shim.out
	rm -f cap.pcapng
}

row() {	# label, CASE: the median line of CASE.out (by time) and the best;
	# the median CPU time (user + system of the benchmark's processes,
	# the launcher not included) and the best
	n=$(wc -l < "$2.out")
	best=$(sort -n -k3 "$2.out" | sed -n 1p | cut -d' ' -f4)
	cpu=$(sort -n -k5 "$2.out" | sed -n "$(( (n + 1) / 2 ))p" | cut -d' ' -f5)
	cpu_best=$(sort -n -k5 "$2.out" | sed -n 1p | cut -d' ' -f5)
	# shellcheck disable=SC2046 # the line's fields become arguments
	set -- "$1" $(sort -n -k3 "$2.out" | sed -n "$(( (n + 1) / 2 ))p")
	printf '%-40s %10s %9s s %8s %8s ns/msg %8s %8s s\n' "$1" "$3" "$4" "$5" "$best" \
		"$cpu" "$cpu_best"
}

i=0
while [ "$i" -lt "$R" ]; do
	round
	i=$((i + 1))
done
if command -v strace > /dev/null; then
	strace -f -e trace=sendmsg,recvmsg,connect,accept -o /dev/null \
		./shim_bench pingpong "$N" > pp-strace.out
fi

echo "median of $R rounds (time, per message) and best round (per message); CPU time: median, best"
printf '%-40s %10s %11s %9s %8s %15s %8s\n' "case" "count" "time" "median" "best" "cpu median" "best"
row "ping-pong bare" pp-bare
row "ping-pong floor (bare + 1 write/call)" pp-floor
row "ping-pong shim (capture file)" pp-shim
echo "  $sizes"
[ ! -s pp-strace.out ] || row "ping-pong strace -f (3 calls)" pp-strace
row "in-process bare" in-bare
row "in-process floor (bare + 1 write/call)" in-floor
row "in-process shim (capture file)" in-shim
row "pipe write+read bare" pipe-bare
row "pipe write+read shim (untracked)" pipe-shim
