#!/bin/sh
# Runs the libFuzzer target for a bounded time, starting from a corpus of
# every sample message written by the stand-alone driver's seed.
# usage: run-fuzz.sh LIBFUZZER_BINARY DRIVER_BINARY SECONDS
set -eu
fuzzer=$1
seconds=${3:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
# -runs=0 just loads; a short first run with -seed makes the run repeatable
"$fuzzer" -max_total_time="$seconds" -seed=1 -max_len=65536 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" 2>"$work/log" || {
	tail -40 "$work/log"
	echo "libFuzzer found a crash, a leak or a timeout (see above)"
	exit 1
}
grep -E "stat::number_of_executed_units|Done" "$work/log" | head -3
