#!/bin/sh
# expect-status.sh STATUS TEXT CMD...: runs CMD, passes if it exits with
# STATUS and its stderr/stdout contain TEXT (a fixed string).
want=$1
text=$2
shift 2
out=$("$@" 2>&1)
got=$?
printf '%s\n' "$out"
if [ "$got" -ne "$want" ]; then
	echo "expect-status: exit $got, expected $want" >&2
	exit 1
fi
if ! printf '%s\n' "$out" | grep -qF -- "$text"; then
	echo "expect-status: output lacks: $text" >&2
	exit 1
fi
exit 0
