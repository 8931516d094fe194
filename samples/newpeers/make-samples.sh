#!/bin/bash
# make-samples.sh - regenerates the QEMU 11 / Rust back-end samples from a cross-checked run of tests/newpeers/run.sh.
#
# Usage: samples/newpeers/make-samples.sh BUILD_DIR [SCENARIO...]   (as root;
# ~2 min with the chroot cached in BUILD_DIR/chroots/sid-peers, ~4 min
# without; SCENARIO: fs vsock resize devstate, default all)
# A sample is kept only if its scenario passed the comparison with strace
# and QEMU's trace.  Both peers' captures are merged into one file.

set -eu

build=$(cd "${1:?usage: $0 BUILD_DIR [SCENARIO...]}" && pwd)
shift
scenarios=${*:-fs vsock resize devstate}
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
	bash "$src/tests/newpeers/run.sh" $scenarios

# sample SAMPLE SCENARIO FE BE : one pair's two captures in one file.
sample() {
	[ -d "$keep/$2" ] || return 0
	mergecap -F pcapng -w "$here/$1.pcapng" "$keep/$2/$3.pcapng" "$keep/$2/$4.pcapng"
}
sample qemu11-fs-virtiofsd fs fe be
sample qemu11-vsock-vhost-device-vsock vsock fe be
sample qemu11-blk-resize-qsd resize fe be
# the migration's two pairs: the source saves, the destination loads
sample qemu11-fs-devstate-save devstate fe be
sample qemu11-fs-devstate-load devstate fe2 be2
ls -l "$here"/*.pcapng
