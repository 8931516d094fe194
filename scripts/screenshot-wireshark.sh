#!/bin/bash
# screenshot-wireshark.sh - screenshots of Wireshark (Qt, under Xvfb) showing a live vhost-user capture.
#
# Usage: scripts/screenshot-wireshark.sh [--build DIR] [--capture FILE] [--out DIR]
#                                        [--frame N] [--peer dpdk|test-peer]
#
# Records a real vhost-user session with the capture shim (two dpdk-testpmd
# processes: a net_vhost back-end and a virtio_user front-end, no VM; the
# test peer when testpmd is missing or fails), opens the front-end's capture
# in wireshark on a private Xvfb display with the display filter vhost_user,
# selects the SET_MEM_TABLE message and expands its vhost-user tree, then
# opens Statistics > Flow Graph, and writes two PNG files:
#   OUT/wireshark-tree.png        the packet list and the expanded tree
#   OUT/wireshark-flow-graph.png  the flow graph of the session
#
#   --build DIR      build tree with the shim, the test peer and the plugin
#                    (default build-shot; configured and built when missing)
#   --capture FILE   show FILE instead of recording a session
#   --out DIR        where to write the PNG files (default docs/images)
#   --frame N        the packet to select (default: the first SET_MEM_TABLE)
#   --peer NAME      dpdk (default) or test-peer: which session to record
#
# Needs xvfb, wireshark-qt, tshark, xdotool and imagemagick (apt-get install
# xvfb wireshark-qt tshark xdotool imagemagick).  Wireshark ignores plugin
# directories when it runs as root: as root, wireshark and tshark are run as
# nobody (setpriv), with a private HOME.  Only the processes this script
# starts are stopped, by their pid.

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-shot
capture=
out=$top/docs/images
frame=
peer=dpdk
# The size of the pictures (and of the virtual screen).
width=1400
height=900

die() {
	echo "screenshot-wireshark: $*" >&2
	exit 1
}

say() {
	echo "== $*"
}

abspath() {
	echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
}

while [ $# -gt 0 ]; do
	case $1 in
	--build) build=${2:?--build needs a directory}; shift 2 ;;
	--capture) capture=${2:?--capture needs a file}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--frame) frame=${2:?--frame needs a number}; shift 2 ;;
	--peer) peer=${2:?--peer needs dpdk or test-peer}; shift 2 ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
case $peer in
dpdk|test-peer) ;;
*) die "--peer: dpdk or test-peer, not $peer" ;;
esac
if [ -n "$capture" ]; then
	[ -f "$capture" ] || die "no such file $capture"
	capture=$(abspath "$capture")
fi
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
mkdir -p "$build" || exit 1
build=$(cd "$build" && pwd)

for tool in Xvfb wireshark tshark xdotool import convert; do
	command -v "$tool" >/dev/null ||
		die "$tool is missing (apt-get install xvfb wireshark-qt tshark xdotool imagemagick)"
done

# ---- clean-up: only what this script started ------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-shot.XXXXXX") || exit 1
# shellcheck source=wireshark-gui-lib.sh
. "$top/scripts/wireshark-gui-lib.sh"
cleanup() {
	stop_started
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for WHAT SECONDS CMD... : poll CMD every 0.1 s; give up early when
# the processes in $watch (the ones that should make CMD true) are gone.
watch=
wait_for() {
	local what=$1 tries=$(($2 * 10)) pid
	shift 2
	while [ $tries -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		for pid in $watch; do
			kill -0 "$pid" 2>/dev/null && continue
			echo "screenshot-wireshark: gave up waiting for $what: process $pid ended" >&2
			return 1
		done
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "screenshot-wireshark: timed out waiting for $what" >&2
	return 1
}

# ---- the build -------------------------------------------------------------

shim=$build/capture-shim/vhost-user-capture
testpeer=$build/tests/peer/vhu-test-peer
find_plugin() {
	find "$build/plugin/plugins" -path '*/epan/vhost-user.so' 2>/dev/null | head -n 1
}
plugin=$(find_plugin)
if [ ! -x "$shim" ] || [ ! -x "$testpeer" ] || [ -z "$plugin" ]; then
	say "build in $build"
	{ cmake -S "$top" -B "$build" && cmake --build "$build" -j "$(nproc)"; } \
		>"$build/vhu-shot-build.log" 2>&1 ||
		{ tail -n 30 "$build/vhu-shot-build.log"; die "build failed (log: $build/vhu-shot-build.log)"; }
	plugin=$(find_plugin)
	[ -n "$plugin" ] || die "the build made no Wireshark plugin (is wireshark-dev installed?)"
fi

# ---- the session -----------------------------------------------------------

# record_dpdk FILE: testpmd net_vhost back-end <-> testpmd virtio_user
# front-end (scripts/dpdk-pair-session.sh), each under the shim; FILE gets
# the front-end's capture, which holds the whole handshake once (each
# request as sent, each reply as received).
record_dpdk() {
	"$top/scripts/dpdk-pair-session.sh" --capture "$shim" "$work/dpdk" &&
		cp "$work/dpdk/fe.pcapng" "$1"
}

# record_test_peer FILE: the repository's test peer (front-end and back-end
# in two processes), its QEMU-like handshake script, under the shim.
record_test_peer() {
	(cd "$work" && exec timeout -k 5 60 "$shim" -w "$1" -- "$testpeer" pair \
		--script handshake >peer.log 2>&1) || { tail -n 20 "$work/peer.log" >&2; return 1; }
}

if [ -z "$capture" ]; then
	capture=$work/session.pcapng
	if [ "$peer" = dpdk ]; then
		say "recording: dpdk-testpmd net_vhost (back-end) <-> dpdk-testpmd virtio_user (front-end)"
		if ! record_dpdk "$capture"; then
			watch=
			echo "screenshot-wireshark: the DPDK pair failed; recording the test peer instead" >&2
			stop_started
			rm -f "$capture"
			peer=test-peer
		fi
	fi
	if [ "$peer" = test-peer ]; then
		say "recording: vhu-test-peer pair --script handshake"
		record_test_peer "$capture" || die "the test peer failed"
	fi
else
	say "capture: $capture"
	cp "$capture" "$work/session.pcapng" || exit 1
	capture=$work/session.pcapng
fi

# ---- a private Wireshark set-up --------------------------------------------

gui_private_setup "$plugin"
chmod 644 "$capture"
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$home"

tshark_user() {
	"${run_as[@]}" "${ws_env[@]}" tshark "$@"
}

tshark_user -G plugins 2>/dev/null | grep -q vhost-user ||
	die "tshark does not load $plugin"
if [ -z "$frame" ]; then
	frame=$(tshark_user -r "$capture" -Y 'vhost_user.request == 5 && vhost_user.flags.reply == 0' \
		-T fields -e frame.number 2>/dev/null | head -n 1)
	[ -n "$frame" ] || die "no SET_MEM_TABLE request in $capture"
fi
say "frame $frame: $(tshark_user -r "$capture" -Y "frame.number == $frame" 2>/dev/null)"

# ---- Xvfb and wireshark ----------------------------------------------------

# Window and pane sizes, columns: the pictures should not depend on what a
# previous run left in a profile.  The byte view is hidden to leave the
# tree the room.
gui_main_geometry
cat >>"$home/.config/wireshark/recent_common" <<END
gui.geom.SequenceDialog.x: 0
gui.geom.SequenceDialog.y: 0
gui.geom.SequenceDialog.width: $width
gui.geom.SequenceDialog.height: $height
gui.geom.SequenceDialog.maximized: FALSE
END
cat >"$home/.config/wireshark/recent" <<END
gui.byte_view_show: FALSE
gui.geometry_main_upper_pane: 300
column.width: %m, 50, %t, 100, %s, 170, %d, 170, %p, 90, %L, 60, %i, 640
END
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$home"

say "starting Xvfb"
gui_start_xvfb
echo "display $DISPLAY"

say "starting wireshark"
"${run_as[@]}" "${ws_env[@]}" DISPLAY="$DISPLAY" wireshark -r "$capture" \
	-Y vhost_user -g "$frame" >"$work/wireshark.log" 2>&1 &
ws_pid=$!
pids="$ws_pid $pids"

# Wireshark names its main window after the file.
main_win=
find_main_window() {
	main_win=$(xdotool search --onlyvisible --name "^$(basename "$capture")\$" | head -n 1)
	[ -n "$main_win" ]
}
watch=$ws_pid
wait_for "wireshark's main window" 60 find_main_window ||
	{ cat "$work/wireshark.log" >&2; exit 1; }
# Let it read and dissect the file (two passes) and draw.
sleep 3
kill -0 "$ws_pid" 2>/dev/null || { cat "$work/wireshark.log" >&2; die "wireshark died"; }

key() {
	xdotool key --delay 80 "$@"
	sleep 0.4
}

# Without a window manager nothing has the focus: give it to wireshark.
xdotool windowfocus --sync "$main_win"

# Go to the packet again (Ctrl+G): -g selects it before the panes have
# their size, which leaves it at the bottom edge of the list.
key ctrl+g
xdotool type --delay 80 "$frame"
key Return

# The packet details pane: "Expand All" (Ctrl+Right) fills it with rows, so
# that a click in its middle lands on one and gives it the focus; then
# "Collapse All" (Ctrl+Left), go to the first of the four top-level items
# (frame, exported PDU, capture record, vhost-user message), down to the
# vhost-user message, and expand it with all its subtrees (Shift+Right).
key ctrl+Right
xdotool mousemove --sync $((width / 2)) $((height * 72 / 100)) click 1
sleep 0.4
key ctrl+Left
key Home
key Down Down Down
key shift+Right
xdotool mousemove --sync $((width - 1)) $((height - 1))
sleep 1
import -window root "$work/tree.png" || die "import failed"

# Statistics > Flow Graph.  The Statistics menu has a mnemonic (Alt+S),
# Flow Graph has none: walk down the menu.  It is the 17th item of
# Wireshark 4.0's menu; other releases have other items before it, so if
# the 17th opens something else, close that and try the others in turn,
# until a window titled "... Flow ..." appears.
flow_win=
find_flow_window() {
	flow_win=$(xdotool search --onlyvisible --name " Flow " | head -n 1)
	[ -n "$flow_win" ]
}
open_statistics_item() {
	local n=$1 i
	xdotool windowfocus --sync "$main_win"
	key alt+s
	for ((i = 0; i < n; i++)); do
		xdotool key Down
	done
	key Return
}
tries="16 $(seq 0 15) $(seq 17 45)"
for n in $tries; do
	open_statistics_item "$n"
	wait_for "" 3 find_flow_window 2>/dev/null && break
	# A dialog or a submenu opened instead: Escape closes either.
	key Escape
	key Escape
	key Escape
	kill -0 "$ws_pid" 2>/dev/null || die "wireshark died"
done
[ -n "$flow_win" ] || die "found no Flow Graph in the Statistics menu"
echo "Flow Graph is item $((n + 1)) of the Statistics menu"
xdotool windowfocus --sync "$flow_win"
sleep 2
# "Limit to display filter": only the vhost_user packets, not the records
# that merely start a message (their completion is drawn).  The check box
# sits at the dialog's bottom left corner.
flow_geometry=$(xdotool getwindowgeometry --shell "$flow_win")
flow_x=$(echo "$flow_geometry" | sed -n 's/^X=//p')
flow_y=$(echo "$flow_geometry" | sed -n 's/^Y=//p')
flow_height=$(echo "$flow_geometry" | sed -n 's/^HEIGHT=//p')
xdotool mousemove --sync $((flow_x + 17)) $((flow_y + flow_height - 55)) click 1
xdotool mousemove --sync $((width - 1)) $((height - 1))
sleep 2
import -window root "$work/flow.png" || die "import failed"

# Close the dialog, quit wireshark (Ctrl+Q), then stop Xvfb.
xdotool windowfocus --sync "$flow_win"
key Escape
xdotool windowfocus --sync "$main_win" 2>/dev/null
key ctrl+q
wait_for "wireshark to quit" 20 eval "! kill -0 $ws_pid" || kill -TERM "$ws_pid" 2>/dev/null

# ---- the pictures ----------------------------------------------------------

# keep_png SRC DEST: a PNG of the screen size, without metadata (no dates
# in the files, so that an unchanged picture is an unchanged file).
keep_png() {
	convert "$1" -crop "${width}x${height}+0+0" +repage -strip "$2" || exit 1
	# A blank screen has one colour; a picture of wireshark has hundreds.
	local colours
	colours=$(convert "$2" -format '%k' info:)
	[ "$colours" -gt 50 ] || die "$2 looks blank ($colours colours)"
	echo "$2: $(identify -format '%wx%h' "$2"), $colours colours"
}
say "pictures"
keep_png "$work/tree.png" "$out/wireshark-tree.png"
keep_png "$work/flow.png" "$out/wireshark-flow-graph.png"
