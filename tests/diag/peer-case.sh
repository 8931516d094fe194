#!/bin/sh
# peer-case.sh - records one test-peer script under the capture shim and
# checks what vhost-user-decode --check finds in it (check_findings.py).
#
# usage: peer-case.sh PYTHON LAUNCHER PEER DECODER SCRIPT STATUS [RULE:REQUEST ...]
# SCRIPT+healthy runs the script without its fault (--healthy).
set -u
python=$1 launcher=$2 peer=$3 decoder=$4 script=$5
shift 5
healthy=
case $script in
*+healthy) script=${script%+healthy} healthy=--healthy ;;
esac
dir=$(mktemp -d "${TMPDIR:-/tmp}/vhu-diag.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT

# The pair's own exit status is the peer tests' business (peer.pair.*):
# here only the capture matters, and that it holds both processes.
TMPDIR=$dir "$launcher" -q -w "$dir/cap.pcapng" -- "$peer" pair --script "$script" \
	$healthy --timeout 5000 >"$dir/pair.log" 2>&1
grep -q "as documented" "$dir/pair.log" || {
	echo "FAIL: $script did not end as documented:"
	cat "$dir/pair.log"
	exit 1
}
exec "$python" "$(dirname "$0")/check_findings.py" "$decoder" "$dir/cap.pcapng" "$@"
