#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - capture-shim benchmark: bare vs. shim vs. strace.
#
#   bench/shim/run.sh BUILD_DIR [MESSAGES] [PIPE_ITERATIONS]
#
# BUILD_DIR holds the built capture-shim/vhost-user-capture.  Compiles
# shim_bench.c, then runs, in one go:
#   - the unix-socket ping-pong (MESSAGES messages, default 1000000) bare,
#     under the shim writing a capture file, and under strace;
#   - a write/read loop on a pipe (untracked fds), bare and under the shim.
# Prints a table; the capture file is checked for size and removed.
set -eu

BUILD=${1:?usage: run.sh BUILD_DIR [MESSAGES] [PIPE_ITERATIONS]}
N=${2:-1000000}
P=${3:-5000000}
HERE=$(cd "$(dirname "$0")" && pwd)
LAUNCHER=$(cd "$BUILD" && pwd)/capture-shim/vhost-user-capture
W=$(mktemp -d -t vhu-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

cc -O2 -Wall -o "$W/shim_bench" "$HERE/shim_bench.c"
cd "$W"

row() {	# label, shim_bench output line
	set -- "$1" $2
	printf '%-34s %10s %9s s %8s ns/msg\n' "$1" "$3" "$4" "$5"
}

printf '%-34s %10s %11s %15s\n' "case" "count" "time" "per message"
row "ping-pong bare" "$(./shim_bench pingpong "$N")"
row "ping-pong shim (capture file)" \
	"$("$LAUNCHER" -q -w cap.pcapng -- ./shim_bench pingpong "$N")"
echo "  capture: $(stat -c %s cap.pcapng) bytes"
rm -f cap.pcapng
if command -v strace > /dev/null; then
	row "ping-pong strace -f (3 calls)" \
		"$(strace -f -e trace=sendmsg,recvmsg,connect,accept -o /dev/null \
			./shim_bench pingpong "$N")"
fi
row "pipe write+read bare" "$(./shim_bench pipe "$P")"
row "pipe write+read shim (untracked)" \
	"$("$LAUNCHER" -q -w cap.pcapng -- ./shim_bench pipe "$P")"
