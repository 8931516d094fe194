#!/bin/bash
# make-samples.sh - regenerates the QEMU 11 / Rust back-end samples from a cross-checked run of tests/newpeers/run.sh.
#
# Usage: samples/newpeers/make-samples.sh BUILD_DIR   (as root; ~1 min with
# the chroot cached in BUILD_DIR/chroots/sid-peers, ~2 min without)
# A sample is kept only if its scenario passed the comparison with strace
# and QEMU's trace.  Both peers' captures are merged into one file.

set -eu

build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
command -v mergecap >/dev/null || { echo "make-samples: mergecap (wireshark-common) is missing" >&2; exit 1; }

keep=$(mktemp -d "${TMPDIR:-/tmp}/vhu-np-samples.XXXXXX")
trap 'rm -rf "$keep"' EXIT

VHU_SRC=$src \
VHU_CAPTURE=$build/capture-shim/vhost-user-capture \
VHU_DECODE=$build/decoder/vhost-user-decode \
VHU_NP_BUILD=$build \
VHU_NP_KEEP=$keep \
	bash "$src/tests/newpeers/run.sh" fs vsock

mergecap -F pcapng -w "$here/qemu11-fs-virtiofsd.pcapng" "$keep/fs/fe.pcapng" "$keep/fs/be.pcapng"
mergecap -F pcapng -w "$here/qemu11-vsock-vhost-device-vsock.pcapng" \
	"$keep/vsock/fe.pcapng" "$keep/vsock/be.pcapng"
ls -l "$here"/*.pcapng
