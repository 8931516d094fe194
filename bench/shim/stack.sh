#!/bin/sh
# SPDX-License-Identifier: MIT
# stack.sh - the capture shim's stack use: per function and per call.
#
#   bench/shim/stack.sh BUILD_DIR
#
# 1. Compiles the shim's sources as the release build does (-O2) with
#    -fstack-usage and prints the frame of every function on the path of
#    a recorded call (hook, events, writer), biggest first.
# 2. Runs BUILD_DIR's tests/shim/shim_stack bare and under the shim: the
#    deepest stack byte its recorded calls touched on a minimal thread stack
#    and on an 8 KiB sigaltstack, and the difference, the shim's share.
set -eu

BUILD=$(cd "${1:?usage: stack.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d -t vhu-stack.XXXXXX)
trap 'rm -rf "$W"' EXIT

for f in hooks events output fdtab init sandbox; do
	cc -O2 -std=gnu11 -fPIC -U_FORTIFY_SOURCE -I"$SRC/core" -I"$SRC/capture-shim" \
		-I"$BUILD/core" -fstack-usage -c "$SRC/capture-shim/$f.c" -o "$W/$f.o"
done
echo "frames (bytes) of the functions a recorded call goes through:"
cat "$W"/*.su | sed 's/^.*:\([^:]*\)\t/\1\t/' |
	grep -E '^(write|read|sendmsg|recvmsg|trace|vhu_on_io|emit_data|add_fd_items|describe_fd|vhu_out_record|write_record|write_fully|flatten|check_candidate|emit_open|maybe_adopt|adopt|emit_adopt)\b' |
	sort -t "$(printf '\t')" -k2 -n -r
echo
"$BUILD/tests/shim/shim_stack" "$W/bare.sock" > "$W/bare.out"
"$BUILD/capture-shim/vhost-user-capture" -q -w "$W/cap.pcapng" -- \
	"$BUILD/tests/shim/shim_stack" "$W/vu.sock" > "$W/shim.out"
for where in thread signal; do
	bare=$(sed -n "s/^$where //p" "$W/bare.out")
	shim=$(sed -n "s/^$where //p" "$W/shim.out")
	echo "$where: bare $bare, shim $shim, the shim's share $((shim - bare)) bytes"
done
