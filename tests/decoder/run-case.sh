#!/bin/sh
# run-case.sh - runs vhost-user-decode on a capture and compares stdout,
# stderr and the exit status with the golden files of the case.
#
# usage: run-case.sh DECODER CAPDIR GOLDENDIR CASE STATUS ARGS...
#   the decoder runs in CAPDIR (so messages name captures without a path)
#   with ARGS; golden files are GOLDENDIR/CASE.out and CASE.err.
# VHU_UPDATE_GOLDEN=1 writes the golden files instead of comparing (then
# read them and check them by eye before committing).
set -u
decoder=$1 capdir=$2 golden=$3 case=$4 want=$5
shift 5
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

cd "$capdir" || exit 1
NO_COLOR= "$decoder" "$@" >"$out" 2>"$err"
got=$?

if [ "${VHU_UPDATE_GOLDEN:-}" = 1 ]; then
	cp "$out" "$golden/$case.out"
	cp "$err" "$golden/$case.err"
	echo "regenerated $case (exit $got)"
	[ "$got" = "$want" ] || { echo "$case: exit status $got, want $want"; exit 1; }
	exit 0
fi

status=0
if [ "$got" != "$want" ]; then
	echo "$case: exit status $got, want $want"
	status=1
fi
if ! diff -u "$golden/$case.out" "$out"; then
	echo "$case: stdout differs from $golden/$case.out"
	status=1
fi
if ! diff -u "$golden/$case.err" "$err"; then
	echo "$case: stderr differs from $golden/$case.err"
	status=1
fi
exit $status
