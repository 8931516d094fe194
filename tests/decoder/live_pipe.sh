#!/bin/sh
# live_pipe.sh - vhost-user-capture -w - piped into vhost-user-decode: the
# test peer's "all" script (every request of the three channels) decodes
# with no malformed message, and every front-end request shows up.
# usage: live_pipe.sh CAPTURE_LAUNCHER TEST_PEER DECODER
set -u
capture=$1 peer=$2 decoder=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$capture" -w - -- "$peer" pair --script all 2>"$dir/peer.err" |
	"$decoder" --stats >"$dir/out" 2>"$dir/err"
status=$?
if [ "$status" != 0 ]; then
	echo "decoder exit status $status"; cat "$dir/err"; exit 1
fi
if ! grep -q 'front-end exit 0, back-end exit 0' "$dir/peer.err"; then
	echo "the test peer failed:"; cat "$dir/peer.err"; exit 1
fi
missing=0
for name in GET_FEATURES SET_MEM_TABLE SET_BACKEND_REQ_FD GPU_SET_SOCKET \
	    GET_VRING_BASE_SKIP_DRAIN BACKEND_SHMEM_MAP GPU_DMABUF_SCANOUT2; do
	grep -q "VHOST_USER_$name " "$dir/out" || { echo "no $name in --stats"; missing=1; }
done
[ "$missing" = 0 ] || { cat "$dir/out"; exit 1; }
echo "$(grep -c '→' "$dir/out") messages decoded from the pipe"
