#!/bin/sh
# SPDX-License-Identifier: MIT
# shim_tests.sh - one shim test case per run: shim_tests.sh CASE
#
# Needs LAUNCHER, SHIM, CAPCHECK, PEER, ERRNO (set by CMake).  Every case
# works in its own temporary directory and fails with a message.
set -u

CASE=${1:?usage: shim_tests.sh CASE}
W=$(mktemp -d -t vhu-shim.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1

fail() {
	echo "FAIL ($CASE): $*" >&2
	exit 1
}

# expect_count N PATTERN FILE: exactly N lines of FILE match PATTERN.
expect_count() {
	n=$(grep -c -E -- "$2" "$3")
	[ "$n" -eq "$1" ] || { cat "$3" >&2; fail "want $1 lines matching '$2', got $n"; }
}

expect_some() {
	grep -q -E -- "$1" "$2" || { cat "$2" >&2; fail "no line matches '$1'"; }
}

expect_none() {
	! grep -q -E -- "$1" "$2" || { grep -E -- "$1" "$2" >&2; fail "unexpected '$1'"; }
}

# Value of field KEY in one capcheck line.
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# Sum of orig= over the lines matching PATTERN.
sum_bytes() {
	grep -E -- "$1" "$2" | tr ' ' '\n' | sed -n 's/^orig=//p' | awk '{s+=$1} END {print s+0}'
}

capture() {
	rm -f cap.pcapng
	"$LAUNCHER" -q -w cap.pcapng "$@" || fail "traced command failed: $*"
	"$CAPCHECK" cap.pcapng > recs.txt || fail "capture does not parse"
}

case_exchange() {
	capture -- "$PEER" exchange "$W/vu.sock"
	expect_count 1 'ev=process_start call=start' recs.txt
	expect_count 1 'ev=process_start call=fork' recs.txt
	be=$(field pid "$(grep 'call=start' recs.txt)")
	fe=$(field pid "$(grep 'call=fork' recs.txt)")
	expect_some "ev=connect .*pid=$fe .*role=front-end .*path=$W/vu.sock peer=$be/" recs.txt
	expect_some "ev=accept .*pid=$be .*role=back-end .*path=$W/vu.sock peer=$fe/" recs.txt
	for c in write send sendto sendmsg writev sendmmsg; do
		expect_some "ev=data_sent call=$c pid=$fe" recs.txt
	done
	for c in read recv recvfrom recvmsg readv recvmmsg; do
		expect_some "ev=data_received call=$c pid=$be" recs.txt
	done
	# The first request came in two writes of 5 and 7 bytes: both kept.
	expect_some "ev=data_sent call=write pid=$fe .*orig=5 .*data=0100000001\$" recs.txt
	expect_some "ev=data_received call=recv pid=$be .*data=010000000100000000000000\$" recs.txt
	# Passed fds, described on both sides.
	for p in $fe $be; do
		expect_some "pid=$p .*nfds=3 .*fds=[0-9]+:memfd:/memfd:vhu-test-mem.*,[0-9]+:eventfd:anon_inode:\[eventfd\],[0-9]+:pipe:pipe:" recs.txt
	done
	sent=$(sum_bytes "ev=data_sent .*pid=$fe" recs.txt)
	got=$(sum_bytes "ev=data_received .*pid=$be" recs.txt)
	[ "$sent" -eq "$got" ] && [ "$sent" -eq 116 ] || fail "front-end sent $sent, back-end got $got (want 116)"
	sent=$(sum_bytes "ev=data_sent .*pid=$be" recs.txt)
	got=$(sum_bytes "ev=data_received .*pid=$fe" recs.txt)
	[ "$sent" -eq "$got" ] && [ "$sent" -eq 40 ] || fail "back-end sent $sent, front-end got $got (want 40)"
	expect_count 2 'ev=close' recs.txt
	# conn ids: creator pid in the high half, sequence from 1.
	expect_some "ev=connect .*conn=$(printf %x "$fe")00000001 " recs.txt
}

case_separate() {
	# Back-end and front-end started separately on one file (%p-free).
	"$LAUNCHER" -q -w cap.pcapng -- "$PEER" be "$W/vu.sock" > be.out &
	bepid=$!
	i=0
	until grep -q listening be.out 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 500 ] || fail "back-end did not start"
		sleep 0.01
	done
	"$LAUNCHER" -q -w cap.pcapng -- "$PEER" fe "$W/vu.sock" || fail "front-end failed"
	wait $bepid || fail "back-end failed"
	"$CAPCHECK" cap.pcapng > recs.txt || fail "capture does not parse"
	expect_count 2 'ev=process_start' recs.txt
	expect_count 1 'ev=connect' recs.txt
	expect_count 1 'ev=accept' recs.txt
	# %p: one file per process, named by its pid.
	"$LAUNCHER" -q -w 'per-%p.pcapng' -- "$PEER" exchange "$W/vu.sock" || fail "exchange"
	[ "$(ls per-*.pcapng | wc -l)" -eq 2 ] || fail "want 2 per-pid files: $(ls)"
	for f in per-*.pcapng; do
		"$CAPCHECK" "$f" > one.txt || fail "$f does not parse"
		pid=${f#per-}
		pid=${pid%.pcapng}
		expect_some "pid=$pid " one.txt
		grep -v "pid=$pid " one.txt > other.txt
		expect_none "pid=[0-9]" other.txt
	done
}

case_errno() {
	"$ERRNO" "$W/e.sock" > bare.txt 2> bare.err || fail "bare run failed"
	for mode in --all-unix ""; do
		# shellcheck disable=SC2086
		"$LAUNCHER" -q $mode -w cap.pcapng -- "$ERRNO" "$W/e.sock" > shim.txt 2> shim.err ||
			fail "shim run failed ($mode)"
		diff -u bare.txt shim.txt >&2 || fail "results differ under the shim ($mode)"
		[ ! -s shim.err ] || { cat shim.err >&2; fail "stderr output under the shim"; }
		rm -f cap.pcapng
	done
	"$LAUNCHER" -q --all-unix -w cap.pcapng -- "$ERRNO" "$W/e.sock" > /dev/null
	"$CAPCHECK" cap.pcapng > recs.txt || fail "capture does not parse"
	expect_some 'ev=data_received call=recv .*flags=1 .*orig=8 ' recs.txt	# MSG_PEEK
	expect_some 'ev=data_sent call=send .*flags=8 ' recs.txt		# partial write
	expect_count 0 'ev=data_.*orig=0 ' recs.txt				# errors not recorded
	# Written after the program closed every other fd: ours survived.
	grep -v -E '^(torn|records)=' recs.txt | tail -n 2 > last.txt
	expect_count 2 'ev=close call=close ' last.txt
}

# capture_adopted MODE: captures "$PEER" MODE, sets be and fe (pids) and
# checks the adopted channel ends, each linked to its side's main
# connection: on the front-end the sent end and the kept end of each pair,
# on the back-end the received one.
capture_adopted() {
	capture -- "$PEER" "$1" "$W/vu.sock"
	be=$(field pid "$(grep 'call=start' recs.txt)")
	fe=$(field pid "$(grep 'call=fork' recs.txt)")
	femain=$(field conn "$(grep "ev=connect .*pid=$fe" recs.txt)")
	bemain=$(field conn "$(grep "ev=accept .*pid=$be" recs.txt)")
	expect_count 2 "ev=socket_adopted .*pid=$fe .*chan=backend .*link=$femain\$" recs.txt
	expect_count 2 "ev=socket_adopted .*pid=$fe .*chan=gpu .*link=$femain\$" recs.txt
	expect_count 1 "ev=socket_adopted .*pid=$be .*chan=backend .*link=$bemain\$" recs.txt
	expect_count 1 "ev=socket_adopted .*pid=$be .*chan=gpu .*link=$bemain\$" recs.txt
}

case_adopt() {
	capture_adopted adopt
	# The channels' traffic is recorded on both sides.
	expect_some "ev=data_sent call=write pid=$be .*chan=backend .*data=020000000900000000000000" recs.txt
	expect_some "ev=data_received call=read pid=$fe .*chan=backend .*data=020000000900000000000000" recs.txt
	expect_some "ev=data_sent call=write pid=$fe .*chan=gpu .*orig=20 " recs.txt
	expect_some "ev=data_received call=read pid=$be .*chan=gpu .*orig=20 " recs.txt
	expect_some "ev=data_sent call=sendmsg pid=$fe .*nfds=1 .*fds=[0-9]+:socket:socket:" recs.txt
}

# Coalesced: a dup of the pair end is sent (the original closed) in one
# buffer with another message; the kept end must be adopted all the same.
case_adoptdup() {
	capture_adopted adoptdup
	# The kept ends carry the front-end's side of both channels.
	expect_some "ev=data_received call=read pid=$fe .*chan=backend .*data=020000000900000000000000" recs.txt
	expect_some "ev=data_sent call=write pid=$fe .*chan=backend .*orig=20 " recs.txt
	expect_some "ev=data_received call=read pid=$fe .*chan=gpu .*orig=12 " recs.txt
	expect_some "ev=data_sent call=write pid=$fe .*chan=gpu .*orig=20 " recs.txt
	expect_some "ev=data_received call=read pid=$be .*chan=gpu .*orig=20 " recs.txt
	# The sent copies (adopted first) were closed at once, the kept ends
	# at the end.
	for chan in backend gpu; do
		sent=$(field conn "$(grep "ev=socket_adopted .*pid=$fe .*chan=$chan " recs.txt | head -1)")
		expect_count 1 "ev=close .*conn=$sent " recs.txt
	done
	expect_count 4 "ev=close .*pid=$fe .*chan=(backend|gpu) " recs.txt
}

# A back-end that sandboxes itself, then accepts, with a seccomp filter
# that allows its own calls and the clock, nothing else
# (shim_seccomp.c), like virtiofsd: it must live, with every message
# recorded and its errno untouched, whether the filter kills (kill) or
# fails the call (errno).  What the shim would need a system call for is
# recorded as unknown: the peer, the kinds of the fds received.
case_seccomp() {
	"$SECCOMP" kill "$W/bare.sock" > bare.out 2>&1
	st=$?
	[ $st -ne 77 ] || { echo "skipped: no seccomp filter for this architecture"; exit 77; }
	[ $st -eq 0 ] || { cat bare.out >&2; fail "the program fails without the shim"; }
	jails=none
	[ "$(id -u)" -ne 0 ] || { mkdir jail && jails="none $W/jail"; }
	for mode in kill errno; do
		for jail in $jails; do
			[ "$jail" = none ] && jail=
			seccomp_run "$mode" $jail
		done
	done
}

seccomp_run() {
	rm -f cap.pcapng
	# shellcheck disable=SC2086
	"$LAUNCHER" -q -w cap.pcapng -- "$SECCOMP" "$1" "$W/vu.sock" ${2-} > run.out 2>&1 ||
		{ cat run.out >&2; fail "the sandboxed back-end did not survive the shim ($1, chroot '${2-}')"; }
	"$CAPCHECK" cap.pcapng > recs.txt || fail "capture does not parse"
	fe=$(field pid "$(grep 'call=start' recs.txt)")
	be=$(field pid "$(grep 'call=fork' recs.txt)")
	# The path is the one the listener was bound to; the peer is unknown.
	expect_some "ev=accept .*pid=$be .*role=back-end .*path=$W/vu.sock\$" recs.txt
	expect_some "ev=connect .*pid=$fe .*role=front-end .*path=$W/vu.sock peer=[0-9]+/" recs.txt
	# The back-end's one thread: the fork child's id is its pid.
	! grep " pid=$be " recs.txt | grep -v "chan=backend" | grep -v " tid=$be " >&2 ||
		fail "a back-end record with another tid"
	expect_some "ev=data_received call=read pid=$be .*data=010000000100000000000000\$" recs.txt
	expect_some "ev=data_sent call=sendmsg pid=$be .*orig=20 " recs.txt
	# The fds received are not looked at; the sender names them.
	expect_some "ev=data_received call=recvmsg pid=$be .*nfds=2 .*fds=[0-9]+:unknown:,[0-9]+:unknown:\$" recs.txt
	expect_some "ev=data_sent call=sendmsg pid=$fe .*nfds=2 .*fds=[0-9]+:memfd:/memfd:vhu-sandboxed-mem.*,[0-9]+:eventfd:anon_inode:\[eventfd\]" recs.txt
	expect_count 1 "ev=socket_adopted .*pid=$be .*chan=backend " recs.txt
	# The back-end channel is served by a thread born in the sandbox:
	# its id is unknown.
	expect_some "ev=data_sent call=write pid=$be tid=0 .*chan=backend .*data=020000000900000000000000" recs.txt
	expect_some "ev=data_received call=read pid=$be tid=0 .*chan=backend .*orig=20 " recs.txt
	expect_count 2 "ev=close .*pid=$be " recs.txt
	# Every byte both ways, on both sides: 12+20+20+12 on the main
	# channel, 12+20 on the back-end's.
	for pid in $fe $be; do
		[ "$(sum_bytes "ev=data_.* pid=$pid .*chan=main " recs.txt)" -eq 64 ] ||
			{ cat recs.txt >&2; fail "main channel bytes of $pid"; }
		[ "$(sum_bytes "ev=data_.* pid=$pid .*chan=backend " recs.txt)" -eq 32 ] ||
			{ cat recs.txt >&2; fail "back-end channel bytes of $pid"; }
	done
}

# The library exports exactly the calls of VHU_REAL_FUNCS (EXPORTS), each
# one defined: a wrapper missing from the exports would never be called.
case_exports() {
	nm -D --defined-only "$SHIM" | awk '$2 == "T" || $2 == "W" || $2 == "i" { print $3 }' |
		sort > got.txt
	for name in $EXPORTS; do echo "$name"; done | sort > want.txt
	[ -s want.txt ] || fail "no list of wrapped calls"
	diff want.txt got.txt >&2 || fail "the exports are not the wrapped calls (< missing, > extra)"
}

# Recorded calls from a thread with the smallest stack pthreads allows and
# from a signal handler on an 8 KiB sigaltstack (shim_stack.c): they must
# not overflow (a guard page turns that into a crash), and every message
# is recorded.  The stack the shim adds to a call, measured against a run
# without it, stays within STACK_BUDGET bytes (set for optimized builds;
# bench/shim/STACK.md has the numbers).  Sanitized builds, whose frames are
# several times bigger, get four times the stacks.
case_stack() {
	scale=1
	[ -z "${SANITIZED-}" ] || scale=4
	"$STACK" "$W/bare.sock" $scale > bare.out || fail "the program fails without the shim"
	capture -- "$STACK" "$W/vu.sock" $scale > shim.out
	grep -q "^signal" shim.out || fail "no result: $(cat shim.out)"
	for where in thread signal; do
		bare=$(sed -n "s/^$where //p" bare.out)
		shim=$(sed -n "s/^$where //p" shim.out)
		echo "$where: $bare bytes of stack without the shim, $shim with it"
		[ -z "${STACK_BUDGET-}" ] || [ $((shim - bare)) -le "$STACK_BUDGET" ] ||
			fail "the shim adds $((shim - bare)) bytes of stack on the $where (budget $STACK_BUDGET)"
	done
	expect_count 1 "ev=data_sent call=sendmsg .*nfds=2 .*fds=[0-9]+:memfd:/memfd:vhu-stack-mem" recs.txt
	expect_count 1 "ev=data_received call=recvmsg .*nfds=2 .*fds=[0-9]+:memfd:/memfd:vhu-stack-mem" recs.txt
	expect_count 1 "ev=data_sent call=writev .*orig=20 " recs.txt
	expect_count 1 "ev=data_sent call=write .*role=back-end .*orig=20 " recs.txt
	expect_count 1 "ev=data_sent call=write .*role=front-end .*data=0b0000000100000008000000" recs.txt
	expect_count 1 "ev=data_received call=read .*role=back-end .*data=0b0000000100000008000000" recs.txt
}

case_untracked() {
	capture -- "$PEER" untracked "$W/vu.sock"
	expect_count 2 'ev=process_start' recs.txt
	expect_count 0 'ev=(data|connect|accept|close)' recs.txt
	# The same traffic is recorded when asked for.
	capture --all-unix -- "$PEER" untracked "$W/vu.sock"
	expect_count 4 'ev=data_.*orig=31 ' recs.txt
	expect_count 0 'ev=data_.*orig=12 ' recs.txt	# the pipe, never
	capture --sockets "$W/*.sock" -- "$PEER" untracked "$W/vu.sock"
	expect_count 4 'ev=data_.*orig=31 ' recs.txt
	capture --sockets "$W/nomatch*" -- "$PEER" untracked "$W/vu.sock"
	expect_count 0 'ev=(data|connect|accept)' recs.txt
}

case_forkexec() {
	capture -- "$PEER" forkexec "$W/vu.sock"
	be=$(field pid "$(grep 'call=start' recs.txt | head -1)")
	fe=$(field pid "$(grep "call=fork .*ppid=$be " recs.txt)")
	child=$(field pid "$(grep "call=fork .*ppid=$fe " recs.txt)")
	[ -n "$fe" ] && [ -n "$child" ] || fail "fork children not recorded"
	conn=$(field conn "$(grep "ev=connect .*pid=$fe" recs.txt | head -1)")
	# The fork child writes on its parent's connection, same conn id.
	expect_some "ev=data_sent .*pid=$child .*conn=$conn .*data=030000000100000000000000" recs.txt
	# So does the child of a raw clone(), which ran no atfork handler: its
	# record names the pid it put in the payload (little-endian), and its
	# own thread.
	line=$(grep "ev=data_sent .*conn=$conn .*data=020000000100000008000000" recs.txt)
	[ -n "$line" ] || fail "raw clone child's message not recorded"
	le=$(field data "$line" | cut -c25-32)
	raw=$(printf %d "0x$(echo "$le" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')")
	[ "$(field pid "$line")" = "$raw" ] && [ "$(field tid "$line")" = "$raw" ] ||
		fail "raw clone child $raw recorded as pid $(field pid "$line") tid $(field tid "$line")"
	[ "$raw" != "$fe" ] && [ "$raw" != "$child" ] || fail "raw clone child pid $raw"
	# The exec'd image (same pid) starts over and connects again.
	expect_some "ev=process_start call=start pid=$fe .*cmdline=.*_execd_" recs.txt
	expect_count 2 "ev=connect .*pid=$fe " recs.txt
	expect_some "ev=data_sent .*pid=$fe .*data=110000000100000000000000" recs.txt
}

case_concurrent() {
	# 8 threads per process, 2 processes, one file; then the same on a pipe.
	capture -- "$PEER" threads "$W/vu.sock" 8 200
	for out in file pipe; do
		if [ $out = pipe ]; then
			"$LAUNCHER" -q -w - -- "$PEER" threads "$W/vu.sock" 8 200 > cap.pcapng ||
				fail "threads on a pipe"
			"$CAPCHECK" cap.pcapng > recs.txt || fail "pipe capture does not parse"
		fi
		expect_count 16 'ev=(connect|accept)' recs.txt
		sent=$(sum_bytes 'ev=data_sent' recs.txt)
		got=$(sum_bytes 'ev=data_received' recs.txt)
		[ "$sent" -eq "$got" ] && [ "$sent" -gt 4000000 ] || fail "$out: sent $sent, received $got"
	done
	# Two traced pairs writing to one file at once.
	"$LAUNCHER" -q -w both.pcapng -- "$PEER" threads "$W/a.sock" 4 300 &
	a=$!
	"$LAUNCHER" -q -w both.pcapng -- "$PEER" threads "$W/b.sock" 4 300 || fail "pair b"
	wait $a || fail "pair a"
	"$CAPCHECK" both.pcapng > recs.txt || fail "shared capture does not parse"
	expect_count 4 'ev=process_start' recs.txt
	expect_count 16 'ev=(connect|accept)' recs.txt
}

# seq= of the data records of one fd of one process (capcheck lines on
# stdin): with "sorted", in number order.
seqs() {
	sed -n 's/.* seq=\([0-9]*\) .*/\1/p' | if [ "${1-}" = sorted ]; then sort -n; else cat; fi
}

# 1..N, one a line.
upto() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) print i }'
}

# Defect: several threads sending on one socket were recorded without a
# way to tell their order.  Each data record is numbered on its fd: the
# numbers of the racing senders are exactly 1..N (the capture can be put
# in number order, nothing missing or twice), each thread's requests are
# in its own order in it, and the receiver's (one thread) are in capture
# order.  The decoder flags a record whose number is not the next one: a
# record taken out of the capture (a gap), one moved to its end (behind).
case_seq() {
	[ -n "${DECODE-}" ] || exit 77
	command -v editcap > /dev/null && command -v mergecap > /dev/null || exit 77
	capture -- "$PEER" oneconn "$W/vu.sock" 4 500
	fe=$(field pid "$(grep 'call=fork' recs.txt)")
	be=$(field pid "$(grep 'call=start' recs.txt)")
	grep "ev=data_sent .*pid=$fe " recs.txt > sent.txt
	grep "ev=data_received .*pid=$be " recs.txt > got.txt
	expect_count 2001 . sent.txt
	upto 2001 > want.txt
	seqs sorted < sent.txt | diff want.txt - > /dev/null || fail "sent numbers are not 1..2001"
	seqs < got.txt | diff want.txt - > /dev/null ||
		fail "the receiver's numbers are not 1..2001 in capture order"
	# In number order, every thread's requests (SET_VRING_NUM: the thread
	# as index, 0..499 as num) come in its own order.
	sed -n 's/.* seq=\([0-9]*\) .*data=[0-9a-f]\{8\}0100000008000000\(..\)000000\(........\)$/\1 \2 \3/p' \
		sent.txt | sort -n | awk '
		function hexdigit(c) { return index("0123456789abcdef", c) - 1 }
		function le32(h,   v, k) {
			for (k = 7; k >= 1; k -= 2)
				v = v * 256 + hexdigit(substr(h, k, 1)) * 16 + hexdigit(substr(h, k + 1, 1))
			return v
		}
		{ if (le32($3) != next_[$2]++) bad++ }
		END { exit bad || NR != 2000 }' || fail "a thread's requests out of its order in number order"
	late=$(seqs < sent.txt | awk '$1 < max { n++ } $1 > max { max = $1 } END { print n + 0 }')
	echo "sent records written after a higher number: $late of 2001"
	"$DECODE" -r cap.pcapng -V > tree.txt 2>&1
	expect_count "$late" 'Expert Info .*Record [0-9]+ of this fd after record' tree.txt
	expect_some '^ *Record number on the fd: 2001$' tree.txt
	# A record of the receiver taken out, one of the sender moved to the end.
	n=$(awk -v p="$be" '/ev=data_received/ && $0 ~ " pid=" p " " && / seq=100 / { print $1 + 1 }' recs.txt)
	m=$(awk -v p="$fe" '/ev=data_sent/ && $0 ~ " pid=" p " " && / seq=50 / { print $1 + 1 }' recs.txt)
	editcap -r cap.pcapng moved.pcapng "$m" > /dev/null &&
		editcap cap.pcapng rest.pcapng "$n" "$m" > /dev/null &&
		mergecap -a -w edited.pcapng rest.pcapng moved.pcapng || fail "editcap/mergecap"
	"$DECODE" -r edited.pcapng -V > tree.txt 2>&1
	expect_count 1 'Expert Info .*Record 101 of this fd where 100 was expected: 1 records missing' tree.txt
	expect_count 1 'Expert Info .*Record 50 of this fd after record [0-9]+: written after a later' tree.txt
}

# kill -9 of the launcher and all: what it merged reads up to a cut tail
# at most, and the spools it leaves are merged by --merge, whole.
case_kill9() {
	n=0
	while [ $n -lt 12 ]; do
		n=$((n + 1))
		rm -rf cap.pcapng cap.pcapng.spool-* merged.pcapng
		setsid "$LAUNCHER" -q -w cap.pcapng -- "$PEER" busy "$W/vu.sock" 300000 1000 &
		pid=$!
		# A different moment each round: 0.01 to 0.20 s.
		sleep "$(printf '0.%02d' $(( (n * 7) % 20 + 1 )))"
		kill -9 -- -$pid 2>/dev/null || kill -9 $pid
		wait $pid 2>/dev/null
		# Killed before the launcher created it: nothing to check.
		[ -s cap.pcapng ] || continue
		# The launcher may have been killed inside its write().
		"$CAPCHECK" -q --torn-ok 1 cap.pcapng > chk.txt ||
			fail "round $n: capture not readable up to the last record"
		grep -q '^records=' chk.txt || fail "round $n: no record count"
		set -- cap.pcapng.spool-*/*.spool
		[ -e "$1" ] || continue
		"$LAUNCHER" --merge "$@" -w merged.pcapng 2> merge.err ||
			{ cat merge.err >&2; fail "round $n: --merge failed"; }
		"$CAPCHECK" merged.pcapng > chk.txt || fail "round $n: merged spools not readable"
	done
}

# bytes_of PID EVENT FILE: the data bytes PID recorded as EVENT.
bytes_of() {
	grep -E "ev=$2 .*pid=$1 " "$3" | tr ' ' '\n' | sed -n 's/^orig=//p' | awk '{s+=$1} END {print s+0}'
}

# Several writers with big records in one capture; one pair is killed
# with -9 at a different moment each round, possibly inside a record's
# copy, while the other goes on.  Nothing of the capture is torn, and the
# other pair's records after the kill are all there: every request its
# front-end sent was received, but the one in flight when both ends of it
# were killed at the end.
case_killwriters() {
	n=0
	while [ $n -lt 6 ]; do
		n=$((n + 1))
		rm -f cap.pcapng ./*.pid
		# Paced, and spools big enough for a launcher kept off the
		# CPU a while: this is about kills, not about a full spool.
		"$LAUNCHER" -q --spool-size 64 -w cap.pcapng -- sh -c '
			"$0" busy "$1" 300000 10000 & echo $! > a.pid
			"$0" busy "$2" 300000 10000 & echo $! > b.pid
			wait' "$PEER" "$W/a.sock" "$W/b.sock" &
		lpid=$!
		i=0
		until [ -s a.pid ] && [ -s b.pid ]; do
			i=$((i + 1))
			[ $i -lt 500 ] || fail "round $n: pairs did not start"
			sleep 0.01
		done
		sleep "$(printf '0.%02d' $(( (n * 13) % 20 + 5 )))"
		a=$(cat a.pid)
		kill -9 $a $(pgrep -P $a) 2>/dev/null
		sleep 0.3
		b=$(cat b.pid)
		bfe=$(pgrep -P $b)
		kill -9 $b $bfe 2>/dev/null
		wait $lpid
		"$CAPCHECK" cap.pcapng > recs.txt || fail "round $n: capture torn"
		expect_some "ev=data_received .*pid=$b " recs.txt
		sent=$(bytes_of "$bfe" data_sent recs.txt)
		got=$(bytes_of "$b" data_received recs.txt)
		# Both ends die by -9 at nearly the same moment: one message may be
		# received but not recorded as sent (the sender killed between its
		# send and its record), or the other way round.
		diff=$((sent - got))
		[ ${diff#-} -le $((12 + 300000)) ] ||
			fail "round $n: the surviving pair sent $sent bytes, received $got"
		expect_none 'flags=[0-9a-f]*[2367abef][0-9a-f] ' recs.txt	# VHU_RF_LOST
	done
}

# Every stderr line is a shim's "capture stopped", at most one per process.
one_line_per_process() {
	grep -v '^status=' "$1" > lines.txt
	! grep -q -v 'capture stopped$' lines.txt || { cat "$1" >&2; fail "unexpected stderr"; }
	dups=$(sed -n 's/^vhost-user-capture: pid \([0-9]*\): .*/\1/p' lines.txt | sort | uniq -d)
	[ -z "$dups" ] || { cat "$1" >&2; fail "more than one line from pid $dups"; }
}

case_outerr() {
	# Capture file limit: the program runs on, one line on stderr.
	"$PEER" big "$W/vu.sock" > bare.out 2>&1; bare=$?
	( ulimit -f 1 && exec "$LAUNCHER" -q -w cap.pcapng -- "$PEER" big "$W/vu.sock" ) \
		> shim.out 2> shim.err
	st=$?
	[ $st -eq 0 ] || fail "exit status $st under RLIMIT_FSIZE"
	cmp -s bare.out shim.out || fail "program output differs under RLIMIT_FSIZE"
	expect_some '^vhost-user-capture: pid [0-9]+: .*: capture stopped$' shim.err
	one_line_per_process shim.err
	"$CAPCHECK" -q --torn-ok 2 cap.pcapng > /dev/null || fail "limited capture unreadable"
	# Reader gone: SIGPIPE must not kill the program.
	# The reader takes the header, closes, then lets the program go on.
	"$LAUNCHER" -q -w - -- sh -c 'while [ ! -e gone ]; do sleep 0.01; done
		"$0" exchange "$1"; echo status=$? >&2' "$PEER" "$W/vu.sock" 2> pipe.err |
		{ head -c 50 > /dev/null; exec 0<&-; touch gone; }
	expect_some '^status=0$' pipe.err
	expect_some 'Broken pipe: capture stopped$' pipe.err
	one_line_per_process pipe.err
	[ $bare -eq 0 ] || fail "bare run failed"
}

case_launcher() {
	"$LAUNCHER" --help > help.txt || fail "--help failed"
	expect_some '^Usage: vhost-user-capture' help.txt
	"$LAUNCHER" -q -w cap.pcapng -- sh -c 'exit 7'
	[ $? -eq 7 ] || fail "exit status not passed through"
	VHU_CAPTURE_LIB="$W/missing.so" "$LAUNCHER" -q -w cap.pcapng -- true 2> err.txt
	[ $? -eq 1 ] || fail "missing shim library is not an error"
	expect_some 'missing.so' err.txt
	"$LAUNCHER" -q -w "$W/no/such/dir/x.pcapng" -- true 2> err.txt
	[ $? -eq 1 ] || fail "uncreatable capture file is not an error"
	expect_some 'no/such/dir' err.txt
	echo "not pcapng" > text.txt
	"$LAUNCHER" -q -w text.txt -- true 2> err.txt
	[ $? -eq 1 ] || fail "appended to a non-capture file"
	"$LAUNCHER" -q -- /nonexistent/cmd 2> err.txt
	[ $? -eq 127 ] || fail "missing command: want 127"
	"$LAUNCHER" --bogus -- true 2> err.txt
	[ $? -eq 2 ] || fail "bad option: want 2"
	# -w -: pcapng on stdout, the program's stdout on stderr.
	"$LAUNCHER" -q -w - -- sh -c 'echo program-output; "$0" exchange "$1"' \
		"$PEER" "$W/vu.sock" > stream.pcapng 2> stream.err || fail "-w - run failed"
	expect_some '^program-output$' stream.err
	"$CAPCHECK" stream.pcapng > recs.txt || fail "stdout stream does not parse"
	expect_count 2 'ev=(connect|accept)' recs.txt
	# The capture file is created 0600.
	"$LAUNCHER" -q -w mode.pcapng -- true
	[ "$(stat -c %a mode.pcapng)" = 600 ] || fail "capture file mode $(stat -c %a mode.pcapng)"
	# Preload order: sanitizer runtimes the shim links (sanitized builds),
	# then the user's preloads, then the shim.  An uninstrumented program
	# (true, sh) runs with a sanitized shim without a word on stderr.
	# (A sanitized launcher refuses a preload before its runtime: told not to check.)
	ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD=libc.so.6 \
		"$LAUNCHER" -q -w order.pcapng -- sh -c 'echo "$LD_PRELOAD $ASAN_OPTIONS"' \
		> order.txt 2> order.err || { cat order.err >&2; fail "preload order run"; }
	[ ! -s order.err ] || { cat order.err >&2; fail "stderr output with a user preload"; }
	shim=$(realpath "$SHIM")
	if [ -n "${SANITIZED-}" ]; then
		expect_some "^libasan\.so[.0-9]* (libubsan\.so[.0-9]* )?libc\.so\.6 $shim verify_asan_link_order=0:detect_leaks=0\$" order.txt
	else
		expect_some "^libc\.so\.6 $shim verify_asan_link_order=0\$" order.txt
	fi
	env -u LD_PRELOAD -u ASAN_OPTIONS "$LAUNCHER" -q -w true.pcapng -- true 2> true.err ||
		{ cat true.err >&2; fail "true under the launcher"; }
	[ ! -s true.err ] || { cat true.err >&2; fail "stderr output running true"; }
	env -u LD_PRELOAD -u ASAN_OPTIONS "$LAUNCHER" -q -w peer.pcapng -- \
		sh -c '"$0" exchange "$1"' "$PEER" "$W/vu.sock" 2> peer.err ||
		{ cat peer.err >&2; fail "the peer under the launcher, from an uninstrumented sh"; }
	[ ! -s peer.err ] || { cat peer.err >&2; fail "stderr output running the peer"; }
	"$CAPCHECK" peer.pcapng > recs.txt || fail "peer capture does not parse"
	expect_count 2 'ev=(connect|accept)' recs.txt
}

# A 1 MiB message in one sendmsg of 100 iovecs with an fd, received by
# two recvmsg (the first ends where the fd came): split into records that
# libpcap reads (capcheck refuses a packet above 262,144 bytes), none cut,
# the fd with the first, every byte kept.
case_split() {
	capture -- "$PEER" big "$W/vu.sock"
	for ev in data_sent data_received; do
		grep -E "ev=$ev call=(sendmsg|recvmsg)" recs.txt > big.txt
		[ "$(sum_bytes . big.txt)" -eq $((12 + 1048576)) ] ||
			fail "$ev: $(sum_bytes . big.txt) bytes recorded"
		[ "$(wc -l < big.txt)" -ge 17 ] || fail "$ev: $(wc -l < big.txt) records"
		expect_count 0 'orig=(6553[7-9]|655[4-9][0-9]|65[6-9][0-9][0-9]|6[6-9][0-9]{3}|[7-9][0-9]{4}|[0-9]{6,}) ' big.txt
		expect_count 0 'flags=[0-9a-f]*[13579bdf][0-9a-f] ' big.txt	# VHU_RF_CUT
		head -n 1 big.txt > first.txt
		expect_some 'nfds=1 .*data=190000000100000000001000424242.* fds=[0-9]+:eventfd:' first.txt
		expect_count 1 'nfds=1 ' big.txt
	done
}

# Defect: vhost-user-gpu's full-screen updates, each one send of 1.2 MB in
# 19 records over about 7 spool chunks, came out of the merge with the
# last pieces first once the chunk claims wrapped around the spool (the
# pieces of one call share a timestamp): the decoder lost the GPU
# stream's message boundaries.  Both ends share the default 16 MiB spool
# (one process, forked): its claims wrap after about four updates, seven
# times in the run.  The updates go out whole, split (header, payload) and
# coalesced with a CURSOR_POS in turn; the receiver reads what comes.
case_gpuupdates() {
	[ -n "${DECODE-}" ] || exit 77
	capture -- "$PEER" gpu "$W/vu.sock"
	expect_none 'flags=[0-9a-f]*[2367abef][0-9a-f] ' recs.txt	# VHU_RF_LOST
	[ "$(sum_bytes 'ev=data_sent .*chan=gpu' recs.txt)" -eq $((30 * 1228832 + 10 * 24)) ] ||
		fail "$(sum_bytes 'ev=data_sent .*chan=gpu' recs.txt) GPU bytes sent"
	"$DECODE" -r cap.pcapng > dec.txt 2> dec.err || { cat dec.err >&2; fail "decoder failed"; }
	expect_count 2 'main .*GPU_SET_SOCKET fds=1\(socket\)' dec.txt
	expect_count 60 'gpu +back-end.*front-end .*GPU_UPDATE scanout=0 640x480\+0\+0$' dec.txt
	expect_count 20 'gpu +back-end.*front-end .*GPU_CURSOR_POS scanout=0' dec.txt
	expect_none 'UNKNOWN|MALFORMED|skipped' dec.txt
	[ ! -s dec.err ] || { cat dec.err >&2; fail "the decoder complained"; }
}

# The fds a program sees, each with what it names: a shell's own (after
# the shim's start), its fork child's (a subshell) and an exec'd image's.
# The pipes of the command substitutions are numbered alike in every run;
# their inodes are left out.
LIST_FDS='show() { cd "/proc/$BASHPID/fd" && for f in *; do
	echo "$1 $f $(readlink "$f" | sed "s/^pipe:.*/pipe/")"; done; }
show start; ( show fork ); exec bash -c "$(declare -f show); show exec"'

# Defect: capture data in the program's files.  The shim holds no fd: not
# the number the launcher's environment named (taken here by a lock file
# of the program's), nor one a raw close loop frees for the program's
# data file; and a program's /proc/self/fd lists what it lists without
# the shim.
case_ownfds() {
	# Both listings go to one file name: fd 1 is the same in both.
	bash -c "$LIST_FDS" > fds.txt || fail "listing the fds failed"
	mv fds.txt bare.txt
	"$LAUNCHER" -q -w fds.pcapng -- bash -c "$LIST_FDS" > fds.txt ||
		fail "listing the fds under the shim failed"
	expect_count 3 '^(start|fork|exec) 0 /dev/null$' bare.txt
	diff bare.txt fds.txt >&2 || fail "the program sees other fds under the shim"
	"$CAPCHECK" fds.pcapng > recs.txt || fail "capture does not parse"
	expect_some 'ev=process_start call=start' recs.txt
	expect_some 'ev=process_start call=fork' recs.txt
	"$LAUNCHER" -q -w - -- bash -c 'exec 100>lockfile 101>lockfile2; "$0" exchange "$1"' \
		"$PEER" "$W/vu.sock" > stream.pcapng || fail "-w - run failed"
	[ ! -s lockfile ] && [ ! -s lockfile2 ] || fail "capture data in the program's lock file"
	"$CAPCHECK" stream.pcapng > recs.txt || fail "stream does not parse"
	expect_count 2 'ev=(connect|accept)' recs.txt
	for lim in 16 1024; do
		( ulimit -n $lim && exec "$LAUNCHER" -q -w cap.pcapng -- \
			"$PEER" rawclose "$W/vu.sock" "$W/data.bin" ) || fail "rawclose run failed ($lim)"
		[ ! -s data.bin ] || fail "capture data in the program's data file ($lim fds)"
		"$CAPCHECK" cap.pcapng > recs.txt || fail "capture does not parse"
		expect_count 2 'ev=(connect|accept)' recs.txt
		rm -f cap.pcapng data.bin
	done
}

# Defect: a vfork child's close() taken for its parent's, whose next
# messages went unrecorded.
case_vfork() {
	capture -- "$PEER" vfork "$W/vu.sock"
	expect_count 8 'ev=data_sent .*role=front-end .*orig=20 ' recs.txt
	expect_count 8 'ev=data_received .*role=front-end .*orig=20 ' recs.txt
	expect_count 0 'ev=close .*role=front-end ' recs.txt	# it never closes
}

# Defect: the program killed or its protocol corrupted.  It caps its own
# file size and makes its socket fd 2: it lives, the peer gets exactly its
# bytes, and all is recorded.  A FIFO or someone else's file at the
# capture's name is refused at once.  With -w -, the reader does not wait
# for a child that does not carry the shim.
case_hostile() {
	"$LAUNCHER" -q -w cap.pcapng -- "$PEER" hostile "$W/vu.sock" 2> run.err ||
		{ cat run.err >&2; fail "the program did not survive the shim"; }
	"$CAPCHECK" cap.pcapng > recs.txt || fail "capture does not parse"
	[ "$(sum_bytes 'ev=data_sent .*role=front-end' recs.txt)" -eq 400 ] ||
		fail "front-end requests not all recorded"
	mkfifo fifo.pcapng
	timeout 20 "$LAUNCHER" -q -w fifo.pcapng -- true 2> err.txt
	[ $? -eq 1 ] || fail "a FIFO as capture file is not refused"
	expect_some 'not a regular file' err.txt
	if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
		touch theirs.pcapng && chown nobody theirs.pcapng
		"$LAUNCHER" -q -w theirs.pcapng -- true 2> err.txt
		[ $? -eq 1 ] || fail "another user's file as capture file is not refused"
		expect_some 'owned by another user' err.txt
		[ ! -s theirs.pcapng ] || fail "written to another user's file"
	fi
	"$LAUNCHER" -q -w - -- sh -c 'env -i sleep 5 & echo $! > sleep.pid' > s.pcapng ||
		fail "-w - with a child that does not carry the shim"
	kill -0 "$(cat sleep.pid)" 2>/dev/null || fail "the reader waited for the uncaptured child"
	kill "$(cat sleep.pid)"
	"$CAPCHECK" s.pcapng > /dev/null || fail "stream does not parse"
}

"case_$CASE"
echo "ok ($CASE)"
