#!/bin/sh
# SPDX-License-Identifier: MIT
# run-bench.sh - what the plugin costs tshark: the same large capture read
# with the plugin, with the vhost_user layer disabled (records only), and
# with the record dissector disabled too (tshark alone).
#
#   bench/plugin/run-bench.sh BUILD_DIR [ROUNDS] [REPEATS] [BIG_ROUNDS]
#
# BUILD_DIR is a configured and built tree (make vhost-user vhu_ws_gencap
# vhost-user-decode).  ROUNDS handshakes of 22 records and 23 messages each
# are generated (default 43500: 1.0M messages, 160 MB); each configuration
# runs REPEATS times (default 3) and the fastest run is reported, in
# seconds.  Then the one-pass summary runs again on a
# quarter and a half of the capture, to show the cost per message does
# not grow with the capture; the peak memory of a two-pass run is compared
# with the record layer's; and, where Xvfb, wireshark-qt, xdotool and
# imagemagick are installed, the Wireshark GUI opens the capture
# (gui-first-paint.sh: the time to the first rows of its packet list).
# With BIG_ROUNDS, a capture of that many rounds is read once more in each
# configuration (one-pass summary, and the two-pass peak memory).
set -eu

build=$(cd "${1:?usage: run-bench.sh BUILD_DIR [ROUNDS] [REPEATS]}" && pwd)
rounds=${2:-43500}
repeats=${3:-3}
big_rounds=${4:-}
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

# run OUT ARGS: one tshark run; appends "wall cpu" (seconds; cpu is user +
# system time, which the VM's stolen time does not inflate) to OUT
run() {
	out=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$work/t" sh -c \
		'"$@" > /dev/null' sh $as_user env HOME="$work/home" WIRESHARK_CONFIG_DIR="$work/home" \
		WIRESHARK_PLUGIN_DIR="$work/plugins" tshark "$@"
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$work/t" >> "$out"
}

# peak ARGS: the peak resident memory (kB) of one tshark run
peak() {
	/usr/bin/time -f "%M" -o "$work/m" sh -c \
		'"$@" > /dev/null' sh $as_user env HOME="$work/home" WIRESHARK_CONFIG_DIR="$work/home" \
		WIRESHARK_PLUGIN_DIR="$work/plugins" tshark "$@"
	cat "$work/m"
}

# memory CAPTURE MESSAGES: the peak resident memory of a two-pass run with
# the plugin and with the record layer only, and what the plugin adds per
# message
memory() {
	ma=$(peak -2 -r "$1")
	mb=$(peak -2 -r "$1" --disable-protocol vhost_user)
	echo "$ma | $mb | $(((ma - mb) * 1024 / $2))"
}

# min of column COL of FILE
min_of() {
	sort -n -k"$2" "$1" | head -1 | awk -v c="$2" '{ printf "%.2f", $c }'
}

# compare ARGS: tshark ARGS with the plugin, with --disable-protocol
# vhost_user and with --disable-protocol vhost_user_rec, taking turns
# $repeats times; prints the best wall and cpu times of each and the
# plugin's ratios to the record layer alone
compare() {
	: > "$work/a"; : > "$work/b"; : > "$work/c"
	i=0
	while [ "$i" -lt "$repeats" ]; do
		run "$work/a" "$@"
		run "$work/b" "$@" --disable-protocol vhost_user
		run "$work/c" "$@" --disable-protocol vhost_user_rec
		i=$((i + 1))
	done
	aw=$(min_of "$work/a" 1) ac=$(min_of "$work/a" 2)
	bw=$(min_of "$work/b" 1) bc=$(min_of "$work/b" 2)
	cw=$(min_of "$work/c" 1) cc=$(min_of "$work/c" 2)
	printf "%s | %s | %s | %.2f | %s | %s | %s | %.2f" "$aw" "$bw" "$cw" \
		"$(echo "$aw / $bw" | bc -l)" "$ac" "$bc" "$cc" "$(echo "$ac / $bc" | bc -l)"
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
echo
echo "Seconds, best of $repeats (wall-clock, then CPU = user + system); A: the plugin,"
echo "B: --disable-protocol vhost_user (records only), C: --disable-protocol vhost_user_rec."
echo
echo "| mode | wall A | wall B | wall C | A/B | cpu A | cpu B | cpu C | A/B |"
echo "|---|---|---|---|---|---|---|---|---|"
for mode in "summary (-r)" "two-pass (-2 -r)" "full tree (-V)"; do
	case $mode in
	summary*) args="-r $work/bulk.pcapng" ;;
	two-pass*) args="-2 -r $work/bulk.pcapng" ;;
	full*) args="-V -r $work/bulk.pcapng" ;;
	esac
	echo "| $mode | $(compare $args) |"
done

echo
echo "One-pass summaries on a quarter, a half and all of the capture:"
echo
echo "| capture | messages | wall A | wall B | wall C | A/B | cpu A | cpu B | cpu C | A/B | plugin cpu µs/message |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
# summary_row NAME CAPTURE: one row of that table
summary_row() {
	n=$(messages "$2")
	row=$(compare -r "$2")
	ac=$(echo "$row" | awk -F' [|] ' '{ print $5 }')
	bc=$(echo "$row" | awk -F' [|] ' '{ print $6 }')
	echo "| $1 | $n | $row | $(echo "scale=2; ($ac - $bc) * 1000000 / $n" | bc) |"
}
for part in quarter half bulk; do
	summary_row "$part" "$work/$part.pcapng"
done

echo
echo "Peak resident memory of a two-pass run (-2 -r), kB, and the plugin's bytes per message:"
echo
echo "| capture | messages | plugin | records only | bytes/message |"
echo "|---|---|---|---|---|"
n=$(messages "$work/bulk.pcapng")
echo "| bulk | $n | $(memory "$work/bulk.pcapng" "$n") |"

gui=$(dirname "$0")/gui-first-paint.sh
echo
if command -v Xvfb >/dev/null && command -v wireshark >/dev/null &&
	command -v xdotool >/dev/null && command -v import >/dev/null; then
	echo "Wireshark GUI, from its start to the first rows of the packet list, best of $repeats"
	echo "(seconds: wall-clock, then Wireshark's CPU time by then):"
	echo
	"$gui" "$so" "$work/bulk.pcapng" "$repeats" > "$work/gui" || exit 1
	ga=$(awk '$1 == "plugin" { print $2, $3 }' "$work/gui")
	gb=$(awk '$1 == "disabled" { print $2, $3 }' "$work/gui")
	echo "| capture | wall A | wall B | A/B | cpu A | cpu B | A/B |"
	echo "|---|---|---|---|---|---|---|"
	echo "$ga $gb" | awk '{ printf "| bulk | %s | %s | %.2f | %s | %s | %.2f |\n", $1, $3, $1 / $3, $2, $4, $2 / $4 }'
else
	echo "Wireshark GUI: skipped (needs xvfb, wireshark-qt, xdotool and imagemagick)"
fi

if [ -n "$big_rounds" ]; then
	# once each: a capture this size takes minutes a run
	repeats=1
	"$build/tests/plugin/vhu_ws_gencap" bulk "$work/big.pcapng" "$big_rounds"
	chmod a+r "$work/big.pcapng"
	rm -f "$work/quarter.pcapng" "$work/half.pcapng"
	n=$(messages "$work/big.pcapng")
	echo
	echo "The same on $n messages ($(stat -c %s "$work/big.pcapng") bytes), one run each:"
	echo
	echo "| capture | messages | wall A | wall B | wall C | A/B | cpu A | cpu B | cpu C | A/B | plugin cpu µs/message |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	summary_row big "$work/big.pcapng"
	echo
	echo "| capture | messages | plugin | records only | bytes/message |"
	echo "|---|---|---|---|---|"
	echo "| big | $n | $(memory "$work/big.pcapng" "$n") |"
fi
