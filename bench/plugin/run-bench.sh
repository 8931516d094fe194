#!/bin/sh
# SPDX-License-Identifier: MIT
# run-bench.sh - what the plugin costs tshark: the same large capture read
# with the plugin, with the vhost_user layer disabled (records only), and
# with the record dissector disabled too (tshark alone).
#
#   bench/plugin/run-bench.sh BUILD_DIR [ROUNDS] [REPEATS]
#
# BUILD_DIR is a configured and built tree (make vhost-user vhu_ws_gencap
# vhost-user-decode).  ROUNDS handshakes of 22 records and 23 messages each
# are generated (default 43500: 1.0M messages, 160 MB); each configuration
# runs REPEATS times (default 3) and the fastest run is reported, in
# seconds of wall-clock time.  Then the one-pass summary runs again on a
# quarter and a half of the capture, to show the cost per message does
# not grow with the capture.
set -eu

build=$(cd "${1:?usage: run-bench.sh BUILD_DIR [ROUNDS] [REPEATS]}" && pwd)
rounds=${2:-43500}
repeats=${3:-3}
so=$(ls "$build"/plugin/plugins/*/epan/vhost-user.so)
ver=$(basename "$(dirname "$(dirname "$so")")")

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-ws-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
chmod 755 "$work"
mkdir -p "$work/plugins/$ver/epan" "$work/home"
cp "$so" "$work/plugins/$ver/epan/"
"$build/tests/plugin/vhu_ws_gencap" bulk "$work/bulk.pcapng" "$rounds"
"$build/tests/plugin/vhu_ws_gencap" bulk "$work/quarter.pcapng" $((rounds / 4))
"$build/tests/plugin/vhu_ws_gencap" bulk "$work/half.pcapng" $((rounds / 2))
chmod -R a+rX "$work"
chmod 777 "$work/home"

as_user=""
[ "$(id -u)" = 0 ] && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"

ws_out() {
	$as_user env HOME="$work/home" WIRESHARK_CONFIG_DIR="$work/home" \
		WIRESHARK_PLUGIN_DIR="$work/plugins" tshark "$@"
}

ws() {
	ws_out "$@" > /dev/null
}

now() {
	date +%s.%N
}

# best of $repeats runs of: tshark ARGS
best() {
	b=""
	i=0
	while [ "$i" -lt "$repeats" ]; do
		t0=$(now)
		ws "$@"
		t1=$(now)
		t=$(echo "$t1 - $t0" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then
			b=$t
		fi
		i=$((i + 1))
	done
	printf "%.2f" "$b"
}

# messages in a capture, counted by the decoder (not by the code measured)
messages() {
	"$build/decoder/vhost-user-decode" -q --stats "$1" |
		awk '$1 ~ /^(main|backend|gpu)$/ { n += $3 + $4 } END { print n + 0 }'
}

records=$(ws_out -r "$work/bulk.pcapng" -T fields -e frame.number | wc -l)
size=$(stat -c %s "$work/bulk.pcapng")
echo "capture: $records records, $(messages "$work/bulk.pcapng") messages, $size bytes;" \
	"Wireshark $ver; best of $repeats"
echo "| mode | plugin | --disable-protocol vhost_user | --disable-protocol vhost_user_rec |"
echo "|---|---|---|---|"
for mode in "summary (-r)" "two-pass (-2 -r)" "full tree (-V)"; do
	case $mode in
	summary*) args="-r $work/bulk.pcapng" ;;
	two-pass*) args="-2 -r $work/bulk.pcapng" ;;
	full*) args="-V -r $work/bulk.pcapng" ;;
	esac
	a=$(best $args)
	b=$(best $args --disable-protocol vhost_user)
	c=$(best $args --disable-protocol vhost_user_rec)
	echo "| $mode | $a | $b | $c |"
done

echo
echo "| capture | messages | plugin | --disable-protocol vhost_user | ratio | plugin µs per message |"
echo "|---|---|---|---|---|---|"
for part in quarter half bulk; do
	n=$(messages "$work/$part.pcapng")
	a=$(best -r "$work/$part.pcapng")
	b=$(best -r "$work/$part.pcapng" --disable-protocol vhost_user)
	echo "| $part | $n | $a | $b | $(echo "scale=2; $a / $b" | bc) |" \
		"$(echo "scale=2; ($a - $b) * 1000000 / $n" | bc) |"
done
