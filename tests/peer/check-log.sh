#!/bin/sh
# check-log.sh PEER IO: runs the `all` script in pair mode with --log and
# checks the log: every message one side sent, the other side received
# with the same name, flags, size, fd count and channel; every request id
# of the three channels was sent; the fd-carrying lines are as documented.
peer=$1
io=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
log=$dir/log

"$peer" pair --script all --io "$io" --log "$log" || exit 1

# "sent ... role=X" must match "recv ... role=<other side>".
awk '$1 == "sent" {
	$1 = ""
	$NF = ($NF == "role=frontend") ? "role=backend" : "role=frontend"
	print }' "$log" | sort >"$dir/sent"
awk '$1 == "recv" { $1 = ""; print }' "$log" | sort >"$dir/recv"
if ! cmp -s "$dir/sent" "$dir/recv"; then
	echo "check-log: sent and received messages differ:" >&2
	diff "$dir/sent" "$dir/recv" >&2
	exit 1
fi

# Distinct requests sent by the requesting side of each channel.
count() {
	awk -v sel="$1" '$1 == "sent" && index($0, sel) { print $2 }' "$log" |
		sort -u | wc -l
}
fe=$(count "chan=main role=frontend")
be=$(count "chan=backend role=backend")
gpu=$(count "chan=gpu role=backend")
if [ "$fe" -ne 45 ] || [ "$be" -ne 10 ] || [ "$gpu" -ne 12 ]; then
	echo "check-log: $fe front-end, $be back-end, $gpu GPU requests (want 45, 10, 12)" >&2
	exit 1
fi

for line in \
	"sent VHOST_USER_SET_MEM_TABLE flags=0x9 size=72 nfds=2 chan=main role=frontend" \
	"sent VHOST_USER_SET_MEM_TABLE flags=0x5 size=72 nfds=0 chan=main role=backend" \
	"sent VHOST_USER_SET_MEM_TABLE flags=0x1 size=8 nfds=0 chan=main role=frontend" \
	"sent VHOST_USER_SET_BACKEND_REQ_FD flags=0x9 size=0 nfds=1 chan=main role=frontend" \
	"sent VHOST_USER_GPU_SET_SOCKET flags=0x9 size=0 nfds=1 chan=main role=frontend" \
	"sent VHOST_USER_SET_DEVICE_STATE_FD flags=0x1 size=8 nfds=1 chan=main role=frontend" \
	"sent VHOST_USER_POSTCOPY_ADVISE flags=0x5 size=0 nfds=1 chan=main role=backend" \
	"sent VHOST_USER_GET_INFLIGHT_FD flags=0x5 size=24 nfds=1 chan=main role=backend" \
	"sent VHOST_USER_CREATE_CRYPTO_SESSION flags=0x1 size=1072 nfds=0 chan=main role=frontend" \
	"sent VHOST_USER_GET_SHMEM_CONFIG flags=0x5 size=2056 nfds=0 chan=main role=backend" \
	"sent VHOST_USER_SET_VRING_CALL flags=0x9 size=8 nfds=0 chan=main role=frontend" \
	"sent VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG flags=0x9 size=24 nfds=0 chan=backend role=backend" \
	"sent VHOST_USER_BACKEND_SHARED_OBJECT_LOOKUP flags=0x5 size=8 nfds=1 chan=backend role=frontend" \
	"sent VHOST_USER_GPU_CURSOR_UPDATE flags=0x0 size=16404 nfds=0 chan=gpu role=backend" \
	"sent VHOST_USER_GPU_DMABUF_SCANOUT2 flags=0x0 size=48 nfds=1 chan=gpu role=backend" \
	"sent VHOST_USER_GPU_DMABUF_UPDATE flags=0x4 size=0 nfds=0 chan=gpu role=frontend"; do
	if ! grep -qxF "$line" "$log"; then
		echo "check-log: missing: $line" >&2
		exit 1
	fi
done
echo "check-log: $(wc -l <"$log") lines consistent"
