#!/bin/sh
# fuzz_readers.sh - both readers over mutated captures, fuzzshark-style:
# editcap flips bytes of the records (past the exported-PDU tags that route
# them to the plugin), then vhost-user-decode -2 -V and tshark -2 -V with the
# plugin read the result.  Either may report what is malformed; neither may
# crash, trip a sanitizer or a Wireshark dissector assertion.
#
# usage: fuzz_readers.sh DECODER PLUGIN_DIR CAPDIR ROUNDS CAPTURE...
#   VHU_PRELOAD: sanitizer runtimes to preload into tshark (or empty)
#   VHU_FUZZ_KEEP: a file to copy the failing capture to
set -u
decoder=$1 plugin_dir=$2 capdir=$3 rounds=$4
shift 4

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-fuzz-readers.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
chmod 755 "$work"
mkdir -p "$work/home"
chmod 777 "$work/home"

as_user=""
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || { echo "setpriv missing: cannot drop root"; exit 77; }
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi

fail() {
	cp "$f" "${VHU_FUZZ_KEEP:-/dev/null}" 2>/dev/null || true
	echo "FAIL: $*" >&2
	exit 1
}

# tshark with the plugin, as nobody when run as root: tshark_read FILE
tshark_read() {
	$as_user env HOME="$work/home" WIRESHARK_CONFIG_DIR="$work/home" \
		WIRESHARK_PLUGIN_DIR="$plugin_dir" WIRESHARK_DEBUG_WMEM_OVERRIDE=strict \
		LD_PRELOAD="${VHU_PRELOAD:-}" ASAN_OPTIONS=detect_leaks=0 \
		tshark -2 -nV -r "$1" >"$work/ws.out" 2>&1
}

# A plugin that did not load dissects nothing and could never fail below.
f="$work/unmutated.pcapng"
cp "$capdir/$1.pcapng" "$f" && chmod a+r "$f"
tshark_read "$f" && grep -q "^vhost-user, " "$work/ws.out" ||
	fail "tshark did not dissect $1 with the plugin of $plugin_dir"

i=1
while [ "$i" -le "$rounds" ]; do
	for cap in "$@"; do
		f="$work/$cap-$i.pcapng"
		editcap -E 0.01 -o 32 --seed "$i" "$capdir/$cap.pcapng" "$f" || fail "editcap on $cap"
		chmod a+r "$f"
		rc=0
		"$decoder" -2 -V -r "$f" >/dev/null 2>"$work/dec.err" || rc=$?
		if [ "$rc" -gt 2 ] || grep -q "Sanitizer\|runtime error" "$work/dec.err"; then
			grep -m5 "Sanitizer\|runtime error" "$work/dec.err" >&2
			fail "decoder, round $i on $cap: exit $rc (editcap -E 0.01 -o 32 --seed $i)"
		fi
		rc=0
		tshark_read "$f" || rc=$?
		if [ "$rc" -gt 2 ] || grep -q "Dissector bug\|Sanitizer\|runtime error" "$work/ws.out"; then
			grep -m5 "Dissector bug\|Sanitizer\|runtime error" "$work/ws.out" >&2
			fail "tshark, round $i on $cap: exit $rc (editcap -E 0.01 -o 32 --seed $i)"
		fi
	done
	i=$((i + 1))
done
echo "ok: $rounds rounds over $# captures, both readers"
