#!/bin/sh
# split-processes.sh PEER SCRIPT BACKEND_IO FRONTEND_IO: runs the back-end
# and the front-end as two separate commands on a socket path, each with
# its own I/O mode, and passes if both exit 0.
peer=$1
script=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT

"$peer" backend --socket "$dir/sock" --script "$script" --io "$3" &
backend=$!
"$peer" frontend --socket "$dir/sock" --script "$script" --io "$4"
fe=$?
wait "$backend"
be=$?
echo "split-processes: front-end exit $fe, back-end exit $be"
[ "$fe" -eq 0 ] && [ "$be" -eq 0 ]
