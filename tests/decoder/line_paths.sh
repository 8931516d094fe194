#!/bin/sh
# line_paths.sh - a run that prints each message's line and nothing else
# takes a message callback and a record loop of its own (dec_run.c's
# lines_only); with --stats the general ones print the same lines, say the
# same on stderr and end with the same status, the statistics after the
# lines.
# usage: line_paths.sh DECODER CAPTURE...
set -u
decoder=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
for cap in "$@"; do
	for color in never always; do
		"$decoder" --color=$color "$cap" >"$dir/line" 2>"$dir/line.err"
		s1=$?
		"$decoder" --color=$color --stats "$cap" >"$dir/stats" 2>"$dir/stats.err"
		s2=$?
		n=$(wc -c <"$dir/line")
		if [ "$s1" != "$s2" ] || ! cmp -s "$dir/line.err" "$dir/stats.err" ||
		   ! head -c "$n" "$dir/stats" | cmp -s - "$dir/line"; then
			echo "FAIL: $cap (colour $color): the lines alone and with --stats differ"
			fail=1
		fi
	done
done
exit $fail
