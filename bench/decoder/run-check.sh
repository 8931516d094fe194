#!/bin/sh
# run-check.sh - what the rules cost: vhost-user-decode --check against one
# line per message on the same capture in the same run, and --check's peak
# RSS on a flood of requests that are never answered.  Prints markdown
# tables (see RESULTS.md).
#
# usage: bench/decoder/run-check.sh BUILD_DIR [ROUNDS] [MESSAGES...]
#   ROUNDS: runs of each case, the best CPU time counts (default 3)
set -eu
build=$(cd "$1" && pwd)
rounds=${2:-3}
[ $# -ge 2 ] && shift 2 || shift $#
sizes=${*:-100000 1000000}
src=$(cd "$(dirname "$0")/../.." && pwd)
decoder=$build/decoder/vhost-user-decode
work=$(mktemp -d /tmp/vhu-bench-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

cc -O2 -std=gnu11 -I"$src/core" -I"$src/tests/common" "$src/bench/decoder/gen-mix.c" \
	"$src/tests/common/capgen.c" "$src/core/vhu_pcapng.c" "$src/core/vhu_record.c" \
	-o "$work/gen-mix"

# best CAP ARGS...: "cpu_seconds peak_rss_kib", the best of $rounds runs
best() {
	cap=$1
	shift
	i=0
	while [ $i -lt "$rounds" ]; do
		/usr/bin/time -f "%U %S %M" -o "$work/t" "$decoder" "$@" "$cap" >/dev/null 2>&1 || true
		tail -n 1 "$work/t" | awk '{ printf "%.2f %d\n", $1 + $2, $3 }'
		i=$((i + 1))
	done | sort -n | head -1
}

echo "| capture | messages | one line (CPU s) | --check (CPU s) | ratio | one line RSS (MiB) | --check RSS (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for kind in mix flood; do
	for n in $sizes; do
		cap=$work/$kind-$n.pcapng
		if [ $kind = flood ]; then
			"$work/gen-mix" "$n" "$cap" flood
		else
			"$work/gen-mix" "$n" "$cap"
		fi
		set -- $(best "$cap" -r) $(best "$cap" --check -r)
		awk -v k=$kind -v n="$n" -v a="$1" -v ra="$2" -v b="$3" -v rb="$4" 'BEGIN {
			printf "| %s | %d | %.2f | %.2f | %.2fx | %.1f | %.1f |\n",
			       k, n, a, b, (a > 0 ? b / a : 0), ra / 1024, rb / 1024 }'
		rm -f "$cap"
	done
done
