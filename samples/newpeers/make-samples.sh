#!/bin/bash
# make-samples.sh - regenerates the QEMU 11 / Rust back-end samples from a cross-checked run of tests/newpeers/run.sh.
#
# Usage: samples/newpeers/make-samples.sh BUILD_DIR [SCENARIO...]   (as root;
# ~2 min with the chroot cached in BUILD_DIR/chroots/sid-peers, ~4 min
# without; SCENARIO: fs vsock resize devstate gpu, default all)
# A sample is kept only if its scenario passed the comparison with strace
# and QEMU's trace.  Both peers' captures are merged into one file.  The
# GPU run's screen is 320x240, and its sample ends the GPU socket after
# the first GPU_UPDATE (307,232 bytes, five records; cut-gpu-updates.py):
# the updates that follow are alike.

set -eu

build=$(cd "${1:?usage: $0 BUILD_DIR [SCENARIO...]}" && pwd)
shift
scenarios=${*:-fs vsock resize devstate gpu}
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
VHU_NP_GPU_SCREEN=320x240 \
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
if [ -d "$keep/gpu" ]; then
	for p in fe be; do
		python3 "$here/cut-gpu-updates.py" "$keep/gpu/$p.pcapng" "$keep/gpu/$p-cut.pcapng" 1
	done
	sample qemu11-gpu-vhost-user-gpu gpu fe-cut be-cut
fi
ls -l "$here"/*.pcapng
