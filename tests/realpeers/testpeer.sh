#!/bin/bash
# testpeer.sh - vhu-test-peer's scripted pair, cross-checked like the real peers.
#
# Usage: testpeer.sh SCRIPT IO
# The test peer sends every request of every channel (main, back-end
# channel, GPU socket) with real fds; IO picks how the bytes move (sendmsg,
# writev, split, coalesce ...).  It is the only pair here that uses the
# back-end channel and the GPU socket in earnest, so it checks the
# channel and direction of those messages against strace.  The pair is one
# fork: one strace log and one capture hold both processes.

. "$(dirname "$0")/lib.sh"

script=${1:-all}
io=${2:-sendmsg}
rp_init "testpeer-$script-$io"
: "${VHU_TEST_PEER:?VHU_TEST_PEER must point at vhu-test-peer}"
rp_need "$VHU_TEST_PEER"

rp_start pair "$VHU_TEST_PEER" pair --script "$script" --io "$io" --timeout 20000
rp_wait_exit pair 120
grep -q "as documented" "$RP_DIR/pair.log" ||
	rp_fail "the test peer did not end as documented: $(tail -3 "$RP_DIR/pair.log")"

RP_CAPTURED="pair"
rp_check --expect VHOST_USER_SET_BACKEND_REQ_FD --expect VHOST_USER_GPU_SET_SOCKET
