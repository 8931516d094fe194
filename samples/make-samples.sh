#!/bin/bash
# make-samples.sh - regenerates the sample captures in this folder from real runs.
#
# Usage: samples/make-samples.sh BUILD_DIR [SAMPLE...]
# With SAMPLE names (e.g. qemu-net-mq), only those are made again.
# BUILD_DIR is a built tree (vhost-user-capture, vhost-user-decode,
# vhu-test-peer).  Each real-peer scenario of tests/realpeers/ runs once,
# cross-checked as in ctest; its two per-process captures are merged into
# one file here.  The test peer's broken-* scripts give the failure samples.
# Runs in /run/vhost-user-samples so the paths recorded in the captures
# (socket paths, command lines) say nothing about the machine that made them.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR [SAMPLE...]}" && pwd)
shift
only=" $* "
capture=$build/capture-shim/vhost-user-capture
decode=$build/decoder/vhost-user-decode
peer=$build/tests/peer/vhu-test-peer
for p in "$capture" "$decode" "$peer"; do
	[ -x "$p" ] || { echo "make-samples: $p is not built" >&2; exit 1; }
done
command -v mergecap >/dev/null || { echo "make-samples: mergecap (wireshark-common) is missing" >&2; exit 1; }

base=/run/vhost-user-samples
rm -rf "$base"
mkdir -p "$base"
trap 'rm -rf "$base"' EXIT
export TMPDIR=$base VHU_SRC=$top VHU_CAPTURE=$capture VHU_DECODE=$decode
export VHU_RP_GUEST=$base/guest
"$top/tests/realpeers/make-guest.sh" "$VHU_RP_GUEST"

wanted() {
	[ "$only" = "  " ] || [[ $only == *" $1 "* ]]
}

# scenario SAMPLE SCRIPT [ARGS...] : one real run, every peer's capture
# (both sides; both pairs of a migration, both back-ends of a reconnect)
# in SAMPLE.pcapng.
scenario() {
	local sample=$1 keep=$base/keep-$1 f files=()
	shift
	wanted "$sample" || return 0
	echo "== $sample"
	VHU_RP_KEEP=$keep "$top/tests/realpeers/$@"
	for f in "$keep"/fe*.pcapng "$keep"/be*.pcapng; do
		[ -s "$f" ] && files+=("$f")
	done
	mergecap -w "$here/$sample.pcapng" "${files[@]}"
	chmod 644 "$here/$sample.pcapng"
}

scenario dpdk-pair-server dpdk-pair.sh server
scenario dpdk-pair-client dpdk-pair.sh client
scenario qemu-blk-qsd-firmware qemu-blk.sh firmware
scenario qemu-blk-qsd-guest qemu-blk.sh guest
scenario qemu-net-dpdk qemu-net-dpdk.sh
scenario qemu-fs-virtiofsd qemu-fs.sh
scenario qemu-net-mq qemu-net-dpdk.sh mq
scenario qemu-net-iotlb qemu-net-dpdk.sh iotlb
scenario qemu-net-migrate qemu-net-phases.sh migrate
scenario qemu-net-reconnect qemu-net-phases.sh reconnect
scenario uml-blk-qsd uml-blk.sh

# The test peer's failure scripts: both sides (one fork) in one file.
for s in broken-close broken-flags broken-fds broken-oversize; do
	wanted "peer-$s" || continue
	echo "== peer-$s"
	rm -f "$base/$s.pcapng"
	# Found through PATH: the recorded command line is then just its name.
	(cd "$base" && PATH=$(dirname "$peer"):$PATH \
		"$capture" -q -w "$base/$s.pcapng" -- vhu-test-peer pair --script "$s") || true
	[ -s "$base/$s.pcapng" ] || { echo "make-samples: no capture for $s" >&2; exit 1; }
	cp "$base/$s.pcapng" "$here/peer-$s.pcapng"
	chmod 644 "$here/peer-$s.pcapng"
done

# Every sample must decode: the real runs cleanly (status 0), the broken
# ones with their problem reported (status 1), none unreadable (status 2).
for f in "$here"/*.pcapng; do
	rc=0
	"$decode" -r "$f" -q >/dev/null 2>&1 || rc=$?
	case $(basename "$f"):$rc in
	peer-broken-*:1|*:0) ;;
	*) echo "make-samples: $f: vhost-user-decode exit status $rc" >&2; exit 1 ;;
	esac
done
ls -l "$here"/*.pcapng
