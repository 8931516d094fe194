#!/bin/sh
# check-clean.sh - a capture of healthy peers gives no finding of the rules
# (docs/diagnosis.md) of severity error or warning.  The real-peer tests
# (tests/realpeers/lib.sh, tests/newpeers/run.sh) run it on every capture
# they record.
#
# usage: check-clean.sh DECODER CAPTURE [KNOWN-RULE...]
# A known rule is a real peer's own deviation from the spec, shown in its
# sample: its findings are printed but allowed.  Prints the findings and
# exits 1 if there are any others.
set -u
decoder=$1 capture=$2
shift 2
out=$("$decoder" --check -r "$capture" 2>&1)
# frame, connection, severity, rule, text; the summary line has no severity
all=$(printf '%s\n' "$out" | awk '$3 == "error" || $3 == "warning"')
bad=$(printf '%s\n' "$all" | awk -v known=" $* " 'NF && index(known, " " $4 " ") == 0')
if [ -n "$all" ]; then
	echo "findings on a healthy capture ($capture):"
	printf '%s\n' "$all"
fi
[ -z "$bad" ]
