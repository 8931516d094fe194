#!/bin/sh
# SPDX-License-Identifier: MIT
# ws-test.sh - runs tshark with the freshly built plugin on generated
# captures and checks what it prints.
#
#   ws-test.sh CASE
#
# Environment (set by tests/plugin/CMakeLists.txt):
#   VHU_PLUGIN_SO      the built vhost-user.so
#   VHU_WS_VERSION_DIR "4.0", "4.4" ... (plugin dir layout)
#   VHU_GENCAP         the capture generator
#   VHU_GOLDEN_DIR     expected outputs (tests/plugin/golden)
#   VHU_PRELOAD        sanitizer runtimes to preload into tshark (or empty)
#   VHU_FUZZ_ITERATIONS  fuzz rounds (default 20)
#   VHU_UPDATE_GOLDEN=1  rewrite the golden files instead of comparing
#
# tshark ignores WIRESHARK_PLUGIN_DIR and personal plugin dirs when run
# by root, so as root it runs as nobody (setpriv) in a private temp dir.
set -eu

case_name=${1:?usage: ws-test.sh CASE}
: "${VHU_PLUGIN_SO:?}" "${VHU_WS_VERSION_DIR:?}" "${VHU_GENCAP:?}" "${VHU_GOLDEN_DIR:?}"
TSHARK=${TSHARK:-tshark}
EDITCAP=${EDITCAP:-editcap}
SKIP=77

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-ws-test.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
chmod 755 "$work"
mkdir -p "$work/plugins/$VHU_WS_VERSION_DIR/epan" "$work/home" "$work/out"
cp "$VHU_PLUGIN_SO" "$work/plugins/$VHU_WS_VERSION_DIR/epan/vhost-user.so"
"$VHU_GENCAP" handshake "$work/handshake.pcapng"
"$VHU_GENCAP" errors "$work/errors.pcapng"
chmod -R a+rX "$work"
chmod 777 "$work/home" "$work/out"

# shellcheck source=../common/as-user.sh
. "$(dirname "$0")/../common/as-user.sh"

# tshark with only this plugin dir, a throw-away profile and UTC times.
ws() {
	$as_user env HOME="$work/home" WIRESHARK_CONFIG_DIR="$work/home" \
		WIRESHARK_PLUGIN_DIR="$work/plugins" TZ=UTC LC_ALL=C \
		LD_PRELOAD="${VHU_PRELOAD:-}" ASAN_OPTIONS=detect_leaks=0 \
		"$TSHARK" "$@"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Booleans print as 1/0 up to 4.2 and True/False from 4.4 on: the fields
# output is normalised to 1/0 below.

# Keeps only the vhost-user protocols of tshark -V output (frame and
# exported-PDU lines vary between Wireshark versions).
ours_only() {
	awk '
		/^Frame [0-9]+:/ { print "Frame " substr($2, 1, length($2) - 1); keep = 0; next }
		/^[^ ]/ { keep = ($0 ~ /^vhost-user/ || $0 ~ /^\[Reassembled in/ || $0 ~ /^\[[0-9]+ Message fragments/); if (keep) print; next }
		/^$/ { print; next }
		keep { print }
	'
}

golden() {
	name=$1 actual=$2
	if [ "${VHU_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$actual" "$VHU_GOLDEN_DIR/$name"
		echo "updated $name"
		return 0
	fi
	diff -u "$VHU_GOLDEN_DIR/$name" "$actual" || fail "$name differs (VHU_UPDATE_GOLDEN=1 to accept)"
}

# frames FILTER CAPTURE [tshark options]: frame numbers matching, one line
frames() {
	filter=$1 cap=$2
	shift 2
	ws -r "$work/$cap" "$@" -Y "$filter" -T fields -e frame.number | tr '\n' ' ' | sed 's/ $//'
}

expect_frames() {
	got=$(frames "$@")
	want=$EXPECT
	[ "$got" = "$want" ] || fail "-Y '$1' on $2: frames '$got', expected '$want'"
	echo "ok: -Y '$1' -> $got"
}

case $case_name in
loads)
	# tshark 4.0 -G plugins never returns with libasan preloaded (even with
	# no plugin at all): sanitized builds rely on -G protocols below
	if [ -z "${VHU_PRELOAD:-}" ]; then
		ws -G plugins > "$work/out/plugins"
		grep -q "vhost-user.so" "$work/out/plugins" ||
			fail "tshark -G plugins does not list vhost-user.so"
	fi
	ws -G protocols > "$work/out/protocols"
	# name, short name, filter name (4.4 adds columns after them)
	awk -F'\t' '$3 == "vhost_user"' "$work/out/protocols" | grep -q . ||
		fail "protocol vhost_user not registered"
	awk -F'\t' '$3 == "vhost_user_rec"' "$work/out/protocols" | grep -q . ||
		fail "protocol vhost_user_rec not registered"
	ws -G fields > "$work/out/fields"
	for f in vhost_user.request vhost_user.flags.reply vhost_user.mem.region.guest_addr \
		 vhost_user.features.ring_packed vhost_user.response_in vhost_user_rec.pid \
		 vhost_user_rec.fdinfo.name vhost_user.reassembled_in; do
		grep -q "	$f	" "$work/out/fields" || fail "field $f not registered"
	done
	ws -G fields | awk -F'\t' '$1 == "F" { print $3 }' | sort | uniq -d > "$work/out/dups"
	# the same filter name twice is allowed only for feature bits shared
	# by several devices' tables (same meaning, same type)
	if grep -v "^vhost_user.features\." "$work/out/dups" | grep -q "vhost_user"; then
		fail "duplicate field names: $(cat "$work/out/dups")"
	fi
	ws -r "$work/handshake.pcapng" > "$work/out/summary"
	grep -q "GET_FEATURES" "$work/out/summary" || fail "records not dissected without configuration"
	;;
verbose)
	ws -2 -V -r "$work/handshake.pcapng" | ours_only > "$work/out/handshake-V.txt"
	golden handshake-V.txt "$work/out/handshake-V.txt"
	ws -2 -V -r "$work/errors.pcapng" | ours_only > "$work/out/errors-V.txt"
	golden errors-V.txt "$work/out/errors-V.txt"
	# data sources: a message inside its record is shown over the record's
	# bytes; only the split reply gets a reassembled one, only the header
	# cut by the end of the capture a copy
	for c in "handshake Reassembled 1" "handshake Truncated 0" \
		 "errors Reassembled 0" "errors Truncated 1"; do
		# shellcheck disable=SC2086 # three words
		set -- $c
		n=$(ws -2 -x -r "$work/$1.pcapng" | grep -c "^$2 vhost-user message (") || true
		[ "$n" = "$3" ] || fail "$1: $n '$2 vhost-user message' data sources, expected $3"
	done
	;;
fields)
	ws -2 -r "$work/handshake.pcapng" -T fields -E separator=/t -E occurrence=a \
		-e frame.number -e _ws.col.Source -e _ws.col.Destination -e _ws.col.Info \
		-e vhost_user.request -e vhost_user.flags.reply -e vhost_user.size \
		-e vhost_user.response_in -e vhost_user.response_to -e vhost_user.time \
		-e vhost_user.fd.kind |
		sed 's/\bTrue\b/1/g; s/\bFalse\b/0/g' > "$work/out/handshake-fields.txt"
	golden handshake-fields.txt "$work/out/handshake-fields.txt"
	;;
filters)
	EXPECT="14 15" expect_frames "vhost_user.request == 5" handshake.pcapng
	EXPECT="14 15" expect_frames "vhost_user.request == \"VHOST_USER_SET_MEM_TABLE\"" handshake.pcapng
	EXPECT="5 8 11 15" expect_frames "vhost_user.flags.reply == 1" handshake.pcapng
	EXPECT="14" expect_frames "vhost_user.flags.need_reply == 1" handshake.pcapng
	EXPECT="14" expect_frames "vhost_user.mem.region.guest_addr" handshake.pcapng
	EXPECT="14" expect_frames "vhost_user.mem.region.guest_addr == 0x100000000" handshake.pcapng
	EXPECT="5 13" expect_frames "vhost_user.features.ring_packed == 1" handshake.pcapng
	EXPECT="4 6 10 14" expect_frames "vhost_user.response_in" handshake.pcapng -2
	EXPECT="5" expect_frames "vhost_user.response_to == 4" handshake.pcapng -2
	EXPECT="16 20" expect_frames "vhost_user.request == 8 && vhost_user.request == 10" handshake.pcapng
	EXPECT="7" expect_frames "vhost_user.reassembled_in == 8" handshake.pcapng -2
	EXPECT="8" expect_frames "vhost_user.fragment == 7" handshake.pcapng
	EXPECT="8" expect_frames "vhost_user.fragment.count == 2 && vhost_user.reassembled.length == 20" handshake.pcapng
	EXPECT="2" expect_frames "vhost_user_rec.pid == 4343" handshake.pcapng
	EXPECT="14" expect_frames "vhost_user_rec.fdinfo.name contains \"pc.ram-hi\"" handshake.pcapng
	EXPECT="26" expect_frames "vhost_user.rule.no-reply" handshake.pcapng -2
	EXPECT="26" expect_frames "vhost_user.finding == \"no-reply\"" handshake.pcapng -2
	EXPECT="" expect_frames "vhost_user.finding" handshake.pcapng
	EXPECT="3" expect_frames "vhost_user.rule.bad-flags" errors.pcapng
	EXPECT="3" expect_frames "vhost_user.finding == \"bad-flags\"" errors.pcapng
	EXPECT="10" expect_frames "vhost_user.ack_failure" errors.pcapng
	EXPECT="12" expect_frames "vhost_user.oversize" errors.pcapng
	EXPECT="13" expect_frames "vhost_user.truncated" errors.pcapng -2
	EXPECT="4 5 6 7 8" expect_frames "vhost_user.unknown_request || vhost_user.reserved_flags || vhost_user.rule.unexpected-reply || vhost_user.bad_size || vhost_user.rule.fd-count" errors.pcapng
	EXPECT="11" expect_frames "_ws.expert.message contains \"bad magic\"" errors.pcapng
	;;
flow)
	ws -q -z flow,any,standard -r "$work/handshake.pcapng" > "$work/out/flow.txt"
	golden flow.txt "$work/out/flow.txt"
	;;
stats)
	ws -2 -q -z vhost_user,tree -z vhost_user,srt -r "$work/handshake.pcapng" |
		sed 's/ *$//' > "$work/out/stats.txt"
	golden stats.txt "$work/out/stats.txt"
	"$VHU_GENCAP" channels "$work/channels.pcapng"
	chmod a+r "$work/channels.pcapng"
	ws -2 -q -z vhost_user,srt -r "$work/channels.pcapng" | sed 's/ *$//' > "$work/out/srt-channels.txt"
	golden srt-channels.txt "$work/out/srt-channels.txt"
	# replies are matched on the first pass: one pass gives the same tables
	ws -q -z vhost_user,srt -r "$work/channels.pcapng" | sed 's/ *$//' |
		diff -u "$work/out/srt-channels.txt" - || fail "vhost_user,srt differs without -2"
	# Each SRT row (table filter field, request id) against the matched
	# replies' own fields: calls, and min, max and sum of vhost_user.time
	# in microseconds, rounded as tshark rounds.
	for cap in handshake channels; do
		ws -2 -q -z vhost_user,srt -r "$work/$cap.pcapng" | awk '
			/^Filter: / { field = $2; next }
			field != "" && $1 ~ /^[0-9]+$/ {
				printf "%s %s %s %d %d %d\n", field, $1, $(NF - 4), $(NF - 3) * 1e6 + 0.5, $(NF - 2) * 1e6 + 0.5, $NF * 1e6 + 0.5
			}' | sort > "$work/out/srt-rows"
		ws -2 -r "$work/$cap.pcapng" -Y vhost_user.response_to -T fields -E occurrence=a \
			-e vhost_user.request -e vhost_user.backend_request -e vhost_user.gpu_request \
			-e vhost_user.time | awk -F'\t' '
			$0 ~ /,/ { print "several messages in one frame"; exit 1 }
			{
				f = $1 != "" ? "request" : $2 != "" ? "backend_request" : "gpu_request"
				k = "vhost_user." f " " $1 $2 $3
				ns = $4 * 1e9 + 0.5
				if (!(k in n) || ns < lo[k]) lo[k] = ns
				if (!(k in n) || ns > hi[k]) hi[k] = ns
				n[k]++; sum[k] += ns
			}
			END {
				for (k in n)
					printf "%s %d %d %d %d\n", k, n[k], (lo[k] + 500) / 1000, (hi[k] + 500) / 1000,
						(sum[k] + 500) / 1000
			}' | sort > "$work/out/reply-rows"
		diff -u "$work/out/reply-rows" "$work/out/srt-rows" ||
			fail "$cap: vhost_user,srt rows differ from the matched replies' fields"
		[ -s "$work/out/srt-rows" ] || fail "$cap: no SRT rows"
		echo "ok: $cap: $(wc -l < "$work/out/srt-rows") SRT rows match the replies"
	done
	ws -2 -q -z expert -r "$work/errors.pcapng" | sed 's/ *$//' > "$work/out/expert.txt"
	golden expert.txt "$work/out/expert.txt"
	;;
summaries)
	# Without a tree (tshark -r) a message's summary may come from the
	# capture's summary cache; a display filter makes a tree, and every
	# summary is walked.  Both must print the same lines, also for the
	# same messages over many rounds (the cache's hits).
	"$VHU_GENCAP" channels "$work/channels.pcapng"
	"$VHU_GENCAP" bulk "$work/bulk.pcapng" 20
	chmod a+r "$work/channels.pcapng" "$work/bulk.pcapng"
	for cap in handshake errors channels bulk; do
		for two in "" -2; do
			# shellcheck disable=SC2086 # no word or one
			ws -n $two -r "$work/$cap.pcapng" > "$work/out/cached.txt"
			# shellcheck disable=SC2086
			ws -n $two -Y frame -r "$work/$cap.pcapng" > "$work/out/walked.txt"
			[ -s "$work/out/cached.txt" ] || fail "$cap: no summaries"
			diff -u "$work/out/walked.txt" "$work/out/cached.txt" ||
				fail "$cap $two: summaries without a tree differ from those with one"
		done
		echo "ok: $cap: $(wc -l < "$work/out/cached.txt") summaries, the same with a tree"
	done
	;;
prefs)
	# show_payload adds the raw bytes; a lower max_payload marks big
	# messages oversize (SET_MEM_TABLE's payload is 72 bytes)
	n=$(ws -r "$work/handshake.pcapng" -o vhost_user.show_payload:TRUE -Y vhost_user.payload \
		-T fields -e frame.number | wc -l)
	[ "$n" -gt 10 ] || fail "show_payload: $n frames with vhost_user.payload"
	n=$(ws -r "$work/handshake.pcapng" -Y vhost_user.payload -T fields -e frame.number | wc -l)
	[ "$n" = 0 ] || fail "payload bytes shown without the preference"
	EXPECT="14" expect_frames "vhost_user.oversize" handshake.pcapng -o vhost_user.max_payload:64
	EXPECT="" expect_frames "vhost_user.oversize" handshake.pcapng
	;;
fuzz)
	iterations=${VHU_FUZZ_ITERATIONS:-20}
	# the allocator checks of tools/fuzz-test.sh
	export WIRESHARK_DEBUG_WMEM_OVERRIDE=strict
	i=1
	while [ "$i" -le "$iterations" ]; do
		for cap in handshake errors; do
			f="$work/out/fuzz-$cap-$i.pcapng"
			# offset 32 keeps the exported-PDU tags that route to us
			"$EDITCAP" -E 0.02 -o 32 --seed "$i" "$work/$cap.pcapng" "$f"
			chmod a+r "$f"
			rc=0
			ws -2 -nVxr "$f" -z vhost_user,srt -z vhost_user,tree > "$work/out/fuzz.out" 2>&1 || rc=$?
			if [ "$rc" -gt 2 ] || grep -q "Dissector bug\|AddressSanitizer\|runtime error" "$work/out/fuzz.out"; then
				cp "$f" "${VHU_FUZZ_KEEP:-/dev/null}" 2>/dev/null || true
				grep -m5 "Dissector bug\|Sanitizer\|runtime error" "$work/out/fuzz.out" >&2 || true
				fail "fuzz round $i on $cap: exit $rc (seed $i, editcap -E 0.02 -o 32)"
			fi
		done
		i=$((i + 1))
	done
	echo "ok: $iterations fuzz rounds"
	;;
*)
	echo "unknown case $case_name" >&2
	exit 2
	;;
esac
