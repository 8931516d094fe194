#!/bin/bash
# run-main-job.sh - the toolkit's main job: record a live vhost-user handshake and print it.
#
# Usage: scripts/run-main-job.sh [--sample FILE] [--out DIR]
#
# Installs the dependencies, builds the toolkit (build-main/), then runs two
# DPDK testpmd processes that talk vhost-user to each other, no VM needed:
#   back-end:  testpmd with net_vhost (the vhost-user server socket)
#   front-end: testpmd with virtio_user (connects, negotiates, starts rings)
# each under the capture shim (vhost-user-capture -w FILE -- dpdk-testpmd ...).
# The front-end sends a burst (start tx_first), stops and quits, which makes
# it fetch the ring bases (GET_VRING_BASE).  The session is then decoded
# with vhost-user-decode and printed.
#
#   --sample FILE  decode FILE (e.g. samples/dpdk-pair-server.pcapng) instead
#                  of running the peers: for machines where they cannot run
#   --out DIR      where to leave the captures (default build-main/main-job)

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${VHU_BUILD_DIR:-$top/build-main}
out=$build/main-job
sample=

while [ $# -gt 0 ]; do
	case $1 in
	--sample) sample=${2:?--sample needs a file}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "run-main-job: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
if [ -n "$sample" ]; then
	# Resolve before anything changes directory.
	[ -f "$sample" ] || { echo "run-main-job: no such file $sample" >&2; exit 1; }
	sample=$(cd "$(dirname "$sample")" && pwd)/$(basename "$sample")
fi

say() {
	echo "== $*"
}

say "dependencies"
"$top/scripts/install-deps.sh" || exit 1

say "build in $build"
mkdir -p "$build"
# The programs and the Wireshark plugin; the tests are run-all-tests.sh's job.
if ! { cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVHU_BUILD_TESTS=OFF &&
       cmake --build "$build" -j "$(nproc)"; } \
       >"$build/vhu-build.log" 2>&1; then
	tail -n 40 "$build/vhu-build.log"
	echo "run-main-job: build failed (log: $build/vhu-build.log)" >&2
	exit 1
fi
capture=$build/capture-shim/vhost-user-capture
decode=$build/decoder/vhost-user-decode

if [ -n "$sample" ]; then
	say "decoding the bundled capture $sample"
	"$decode" -r "$sample" && "$decode" -r "$sample" --stats -q
	exit
fi

# ---- the live handshake ----------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-main-job.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

say "live handshake: testpmd net_vhost (back-end) <-> testpmd virtio_user (front-end)"
"$top/scripts/dpdk-pair-session.sh" --capture "$capture" "$work" ||
	{ echo "run-main-job: the DPDK session failed; try --sample samples/dpdk-pair-server.pcapng" >&2; exit 1; }

mkdir -p "$out"
cp "$work/fe.pcapng" "$work/be.pcapng" "$out/"
# One file with both sides (each message appears twice: as sent, as received).
if command -v mergecap >/dev/null; then
	mergecap -w "$out/both.pcapng" "$out/fe.pcapng" "$out/be.pcapng"
fi

say "the session, as the front-end sent and received it ($out/fe.pcapng)"
"$decode" -r "$out/fe.pcapng" || exit 1
echo
say "summary"
"$decode" -r "$out/fe.pcapng" --stats -q || exit 1
echo
say "captures left in $out: fe.pcapng (front-end), be.pcapng (back-end), both.pcapng (merged)"
say "open one in Wireshark:  wireshark $out/both.pcapng   (filter: vhost_user)"
