#!/bin/sh
# run-bench.sh - vhost-user-decode --diff against decoding both captures one
# line per message, in the same run, on two generated captures of N
# messages (bench/decoder/gen-mix.c) that differ by a few deleted records.
# Prints a markdown table (see RESULTS.md).
#
# usage: bench/diff/run-bench.sh BUILD_DIR [MESSAGES...]
#   BUILD_DIR: a build tree with decoder/vhost-user-decode.
#   ROUNDS (default 3): each command runs that many times, in turns; the
#   table shows the median.
set -eu
build=$(cd "$1" && pwd)
shift
sizes=${*:-100000 1000000}
rounds=${ROUNDS:-3}
src=$(cd "$(dirname "$0")/../.." && pwd)
decoder=$build/decoder/vhost-user-decode
work=$(mktemp -d /tmp/vhu-bench-diff.XXXXXX)
trap 'rm -rf "$work"' EXIT

command -v editcap >/dev/null || { echo "run-bench: editcap (wireshark-common) is missing" >&2; exit 1; }
cc -O2 -std=gnu11 -I"$src/core" -I"$src/tests/common" "$src/bench/decoder/gen-mix.c" \
	"$src/tests/common/capgen.c" "$src/core/vhu_pcapng.c" "$src/core/vhu_record.c" \
	-o "$work/gen-mix"

# once NAME COMMAND...: "wall cpu rss_kib" of one run, output to /dev/null
once() {
	name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
	# (time writes "Command exited with non-zero status 1" first: diff
	# exits 1 when the captures differ)
	tail -n 1 "$work/time" | awk -v name="$name" '{ printf "%s %s %.2f %s\n", name, $1, $2 + $3, $4 }' \
		>>"$work/runs"
}

# median NAME COLUMN: the median of a column over the rounds of NAME
median() {
	awk -v name="$1" -v col="$2" '$1 == name { print $col }' "$work/runs" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

echo "| messages | command | wall s | CPU s | peak RSS (MiB) |"
echo "|---:|---|---:|---:|---:|"
for n in $sizes; do
	a=$work/a-$n.pcapng
	b=$work/b-$n.pcapng
	"$work/gen-mix" "$n" "$a"
	# B: A without ten requests spread over the capture, each a whole
	# record (ten messages missing; deleting half of a split reply would
	# desynchronise the rest of that connection's replies instead)
	frames=$("$decoder" "$a" | awk -v n="$n" '
		BEGIN { k = 1; next_at = int(n * 1.08 / 11) }
		k <= 10 && $1 >= next_at && index($0, "front-end\342\206\222back-end") {
			printf "%d ", $1; k++; next_at = int(n * 1.08 * k / 11)
		}')
	# shellcheck disable=SC2086
	editcap "$a" "$b" $frames
	: >"$work/runs"
	r=0
	while [ "$r" -lt "$rounds" ]; do
		once decode-a "$decoder" "$a"
		once decode-b "$decoder" "$b"
		once diff "$decoder" --diff "$a" "$b"
		r=$((r + 1))
	done
	"$decoder" --diff "$a" "$b" >"$work/diff.out" || true
	for c in decode-a decode-b diff; do
		printf "| %d | %s | %s | %s | %.1f |\n" "$n" "$c" "$(median $c 2)" "$(median $c 3)" \
			"$(median $c 4 | awk '{ print $1 / 1024 }')"
	done
	awk -v n="$n" -v da="$(median decode-a 3)" -v db="$(median decode-b 3)" -v d="$(median diff 3)" \
		-v wa="$(median decode-a 2)" -v wb="$(median decode-b 2)" -v w="$(median diff 2)" \
		'BEGIN { printf "| %d | diff / (decode A + decode B) | %.2fx | %.2fx | |\n", n, \
			(wa + wb > 0 ? w / (wa + wb) : 0), (da + db > 0 ? d / (da + db) : 0) }'
	echo "| $n | hunks in the diff | $(grep -c '^@@' "$work/diff.out") | | |"
	rm -f "$a" "$b"
done
