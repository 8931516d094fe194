#!/bin/sh
# compat.sh - the capture files the shim writes are ordinary pcapng:
#   * stock tshark without our plugin reads them with no error ("Exported
#     PDU" and data), as many frames as libpcap (the decoder) sees;
#   * editcap copies and mergecap merges keep every record: the decoder's
#     trees of a copy equal the original's, a merge holds both sessions;
#   * a file cut inside a record is read up to its last complete record by
#     tshark and the decoder, which says that the file was cut.
# usage: compat.sh CAPTURE-LAUNCHER TEST-PEER DECODER CAPTURE...
set -eu
launcher=$1 peer=$2 decoder=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
fail() { echo "FAIL: $*"; exit 1; }

# tshark with no plugin at all: as nobody (root ignores plugin dirs) and
# with an empty plugin dir
mkdir "$work/noplugins" "$work/home"
chmod 777 "$work/home"
stock_tshark() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		env HOME="$work/home" WIRESHARK_CONFIG_DIR="$work/home" \
		WIRESHARK_PLUGIN_DIR="$work/noplugins" tshark "$@"
}

# a fresh capture of our own test pair, next to the bundled samples
"$launcher" -q -w "$work/fresh.pcapng" -- "$peer" pair --script handshake >/dev/null 2>&1 ||
	fail "test pair under the shim"
set -- "$work/fresh.pcapng" "$@"

n=0
for cap in "$@"; do
	n=$((n + 1))
	cp "$cap" "$work/c$n.pcapng"
	chmod 644 "$work/c$n.pcapng"
	c="$work/c$n.pcapng"
	frames=$("$decoder" -T json -r "$c" 2>/dev/null | python3 -c '
import json, sys
print(max((json.loads(l)["frame"] for l in sys.stdin if l.strip()), default=0))')
	[ "$frames" -gt 0 ] || fail "$cap: the decoder finds no message in it"
	stock_tshark -r "$c" >"$work/stock.txt" 2>"$work/stock.err" || fail "$cap: stock tshark exit status"
	[ ! -s "$work/stock.err" ] || { cat "$work/stock.err"; fail "$cap: stock tshark complained"; }
	grep -q "Exported PDU\|vhost_user_rec\|EXPORTED_PDU" "$work/stock.txt" ||
		stock_tshark -V -r "$c" | grep -q "Exported PDU" || fail "$cap: no Exported PDU in stock tshark"
	lines=$(wc -l <"$work/stock.txt")
	[ "$lines" -ge "$frames" ] || fail "$cap: stock tshark shows $lines frames, the decoder's last message is in frame $frames"

	# editcap copy: same trees
	editcap "$c" "$work/copy.pcapng" || fail "$cap: editcap"
	"$decoder" -V -r "$c" >"$work/a.txt" 2>&1 || true
	"$decoder" -V -r "$work/copy.pcapng" >"$work/b.txt" 2>&1 || true
	grep -q "^vhost-user, " "$work/a.txt" || fail "$cap: the decoder draws no vhost-user tree"
	cmp -s "$work/a.txt" "$work/b.txt" || { diff "$work/a.txt" "$work/b.txt" | head; fail "$cap: editcap copy decodes differently"; }
	echo "ok: $cap ($lines frames)"
done

# mergecap: both sessions, every message of each
mergecap -w "$work/merged.pcapng" "$work/c1.pcapng" "$work/c2.pcapng" || fail "mergecap"
a=$("$decoder" -T json -r "$work/c1.pcapng" 2>/dev/null | grep -c '"name"' || true)
b=$("$decoder" -T json -r "$work/c2.pcapng" 2>/dev/null | grep -c '"name"' || true)
m=$("$decoder" -T json -r "$work/merged.pcapng" 2>/dev/null | grep -c '"name"' || true)
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "the captures to merge hold $a and $b messages"
[ "$m" -eq $((a + b)) ] || fail "merged capture has $m messages, the two files $a + $b"
echo "ok: mergecap ($a + $b messages)"

# a file cut in the middle of its last record
size=$(stat -c %s "$work/c1.pcapng")
head -c $((size - 7)) "$work/c1.pcapng" >"$work/cut.pcapng"
chmod 644 "$work/cut.pcapng"
full=$("$decoder" -r "$work/c1.pcapng" 2>/dev/null | wc -l)
[ "$full" -gt 2 ] || fail "the capture to cut decodes to $full lines"
status=0
"$decoder" -r "$work/cut.pcapng" >"$work/cut.txt" 2>"$work/cut.err" || status=$?
[ "$status" -ne 0 ] || fail "the decoder says nothing about a cut file"
grep -qi "cut\|truncat\|short" "$work/cut.err" || { cat "$work/cut.err"; fail "no clear message for a cut file"; }
got=$(wc -l <"$work/cut.txt")
[ "$got" -ge $((full - 2)) ] || fail "the cut file lost more than its last record ($got of $full lines)"
all_ws=$(stock_tshark -r "$work/c1.pcapng" | wc -l)
stock_tshark -r "$work/cut.pcapng" >"$work/cut-ws.txt" 2>"$work/cut-ws.err" || true
[ "$(wc -l <"$work/cut-ws.txt")" -eq $((all_ws - 1)) ] ||
	fail "tshark does not read all but the last record of the cut file"
echo "ok: cut file ($got of $full lines; $(head -1 "$work/cut.err"))"
