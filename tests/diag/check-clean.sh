#!/bin/sh
# check-clean.sh - a capture of healthy peers gives no finding of the rules
# (docs/diagnosis.md) of severity error or warning.  The real-peer tests
# (tests/realpeers/lib.sh, tests/newpeers/run.sh) run it on every capture
# they record.
#
# usage: check-clean.sh DECODER CAPTURE
# Prints the findings and exits 1 if there are any.
set -u
out=$("$1" --check -r "$2" 2>&1)
# frame, connection, severity, rule, text; the summary line has no severity
bad=$(printf '%s\n' "$out" | awk '$3 == "error" || $3 == "warning"')
if [ -n "$bad" ]; then
	echo "findings on a healthy capture ($2):"
	printf '%s\n' "$bad"
	exit 1
fi
exit 0
