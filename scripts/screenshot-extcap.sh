#!/bin/bash
# screenshot-extcap.sh - Wireshark (Qt, under Xvfb) capturing live through vhost-user-extcap.
#
# Usage: scripts/screenshot-extcap.sh [--build DIR] [--out DIR] [--peer dpdk|test-peer]
#
# Shows, in a private Wireshark set-up (the built plugin, extcap program and
# "vhost-user" profile; as root Wireshark runs as nobody), and checks each:
#   OUT/wireshark-extcap-list.png     the welcome page: "vhost-user: launch"
#                                     in the interface list (wireshark -D has it)
#   OUT/wireshark-extcap-options.png  its options dialog, which Wireshark opens
#                                     when a capture starts without the
#                                     required command line
#   OUT/wireshark-extcap-live.png     a live capture of a real session (two
#                                     DPDK testpmd processes, or the test peer
#                                     where testpmd is missing), with the
#                                     vhost-user profile; the capture Wireshark
#                                     saved decodes with the whole handshake
#
#   --build DIR  build tree (default build-shot; configured and built when missing)
#   --out DIR    where to write the PNG files (default docs/images)
#   --peer NAME  dpdk (default) or test-peer
#
# Needs xvfb, wireshark-qt, xdotool and imagemagick.  Exit status 0 when
# every picture was taken and every check held.

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-shot
out=$top/docs/images
peer=dpdk
width=1200
height=800

die() {
	echo "screenshot-extcap: $*" >&2
	# What the screen showed, for the one who reads the failure.
	[ -n "${DISPLAY:-}" ] && [ -n "${out:-}" ] &&
		import -window root "$out/screenshot-extcap-failure.png" 2>/dev/null &&
		echo "screenshot-extcap: the screen at the failure: $out/screenshot-extcap-failure.png" >&2
	exit 1
}

say() {
	echo "== $*"
}

while [ $# -gt 0 ]; do
	case $1 in
	--build) build=${2:?--build needs a directory}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--peer) peer=${2:?--peer needs dpdk or test-peer}; shift 2 ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
for tool in Xvfb wireshark xdotool import; do
	command -v "$tool" >/dev/null ||
		die "$tool is missing (apt-get install xvfb wireshark-qt xdotool imagemagick)"
done
[ "$peer" = dpdk ] && ! command -v dpdk-testpmd >/dev/null && peer=test-peer
mkdir -p "$out" "$build" || exit 1
out=$(cd "$out" && pwd)
build=$(cd "$build" && pwd)

extcap=$build/extcap/vhost-user-extcap
capture=$build/capture-shim/vhost-user-capture
decode=$build/decoder/vhost-user-decode
testpeer=$build/tests/peer/vhu-test-peer
plugin=$(find "$build/plugin/plugins" -path '*/epan/vhost-user.so' 2>/dev/null | head -n 1)
if [ ! -x "$extcap" ] || [ ! -x "$capture" ] || [ ! -x "$testpeer" ] || [ -z "$plugin" ]; then
	say "build in $build"
	{ cmake -S "$top" -B "$build" && cmake --build "$build" -j "$(nproc)"; } \
		>"$build/vhu-shot-build.log" 2>&1 || die "build failed (log: $build/vhu-shot-build.log)"
	plugin=$(find "$build/plugin/plugins" -path '*/epan/vhost-user.so' | head -n 1)
	[ -n "$plugin" ] || die "the build made no Wireshark plugin"
fi

# ---- a private Wireshark set-up --------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-extcap-shot.XXXXXX") || exit 1
# shellcheck source=wireshark-gui-lib.sh
. "$top/scripts/wireshark-gui-lib.sh"
trap 'stop_started; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

gui_private_setup "$plugin"
mkdir -p "$work/extcap" "$work/run" "$work/tmp"
cp "$extcap" "$work/extcap/"
cp -r "$top/profile/vhost-user" "$home/.config/wireshark/profiles/"
chmod 777 "$work/run" "$work/tmp"
ws_env+=(WIRESHARK_EXTCAP_DIR="$work/extcap" VHU_CAPTURE="$capture" TMPDIR="$work/tmp")
gui_main_geometry

# wait_for WHAT SECONDS CMD... : poll CMD every 0.2 s.
wait_for() {
	local what=$1 tries=$(($2 * 5))
	shift 2
	while [ $tries -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.2
		tries=$((tries - 1))
	done
	echo "screenshot-extcap: timed out waiting for $what" >&2
	return 1
}

say "starting Xvfb"
gui_start_xvfb

# wireshark_bg ARGS... : wireshark in the background, pid in ws_pid.
wireshark_bg() {
	"${run_as[@]}" "${ws_env[@]}" DISPLAY="$DISPLAY" wireshark "$@" >>"$work/wireshark.log" 2>&1 &
	ws_pid=$!
	pids="$ws_pid $pids"
}

# window NAME-REGEX : the id of a visible window with that title, in win.
win=
window() {
	win=$(xdotool search --onlyvisible --name "$1" | head -n 1)
	[ -n "$win" ]
}

# shot FILE : the whole screen, after the window in $win has drawn.
shot() {
	xdotool windowfocus --sync "$win" 2>/dev/null
	xdotool mousemove --sync $((width - 1)) $((height - 1))
	sleep 2
	import -window root "$1" || die "import failed"
	echo "$1"
}

quit_wireshark() {
	kill -TERM "$ws_pid" 2>/dev/null
	wait "$ws_pid" 2>/dev/null
}

# ---- 1. the interface list -------------------------------------------------

say "the interface list"
"${run_as[@]}" "${ws_env[@]}" wireshark -D >"$work/interfaces.txt" 2>&1
grep -q 'vhost-user-launch (vhost-user: launch' "$work/interfaces.txt" ||
	{ cat "$work/interfaces.txt" >&2; die "wireshark -D does not list vhost-user-launch"; }
wireshark_bg -C vhost-user -Y vhost_user
main=
main_window() {
	window "^The Wireshark Network Analyzer" && main=$win
}
wait_for "the welcome page" 90 main_window || { cat "$work/wireshark.log" >&2; exit 1; }
sleep 3
shot "$work/list.png"

# ---- 2. the options dialog -------------------------------------------------

# Select the last interface of the list (ours: the only extcap program in
# the private extcap directory) and start a capture (Ctrl+E): without the
# required command line, Wireshark opens the interface's options dialog.
say "the options dialog"
open_options() {
	xdotool windowfocus --sync "$main"
	xdotool mousemove --sync $((width / 2)) 237 click 1
	sleep 0.5
	xdotool key End
	sleep 0.5
	xdotool key ctrl+e
	wait_for "the interface options dialog" 20 window "Interface Options: vhost-user"
}
# The list is filled in the background (each extcap program is asked in
# turn): try again while it is not there yet.
tries=0
until open_options; do
	tries=$((tries + 1))
	[ $tries -lt 4 ] || { cat "$work/wireshark.log" >&2; die "no interface options dialog"; }
done
dialog=$win
shot "$work/options.png"

# ---- 3. a live capture -----------------------------------------------------

if [ "$peer" = dpdk ]; then
	cmd="$top/scripts/dpdk-pair-session.sh $work/run/dpdk"
else
	cmd="$testpeer pair --script handshake"
fi
say "a live capture: $cmd"
# The command line field is the first of the dialog (its left half holds
# the labels); "Save" sits left of "Close" and "Help" at the bottom right.
# Then Ctrl+E starts the capture, which ends when the command does.
eval "$(xdotool getwindowgeometry --shell "$dialog")"
xdotool windowfocus --sync "$dialog"
xdotool mousemove --sync $((X + WIDTH * 60 / 100)) $((Y + 61)) click 1
sleep 0.3
xdotool type --delay 10 "$cmd"
sleep 0.3
xdotool mousemove --sync $((X + WIDTH - 224)) $((Y + HEIGHT - 24)) click 1
dialog_closed() {
	! xdotool search --onlyvisible --name "Interface Options" >/dev/null
}
wait_for "the options dialog to close" 20 dialog_closed || die "the options dialog did not take the command"
xdotool windowfocus --sync "$main"
xdotool key ctrl+e
live=
capture_file() {
	live=$(find "$work/tmp" -name 'wireshark_vhost-user*' -size +0 | head -n 1)
	[ -n "$live" ] && ! "${run_as[@]}" pgrep -u 65534 -f vhost-user-extcap >/dev/null
}
wait_for "the capture to end" 120 capture_file || { ls -la "$work/tmp" >&2; cat "$work/wireshark.log" >&2; exit 1; }
sleep 3
# Back to the first message: a click into the packet list gives it the
# focus, Ctrl+Home goes to its top (the list was following the capture).
xdotool windowfocus --sync "$main"
xdotool mousemove --sync $((width / 3)) 124 click 1
sleep 0.5
xdotool key ctrl+Home
sleep 1
win=$main
shot "$work/live.png"
quit_wireshark
"$decode" -r "$live" >"$work/live.txt" || die "the live capture does not decode cleanly"
for req in GET_FEATURES SET_MEM_TABLE SET_VRING_KICK; do
	grep -q " $req" "$work/live.txt" || die "no $req in the live capture"
done

cp "$work/list.png" "$out/wireshark-extcap-list.png"
cp "$work/options.png" "$out/wireshark-extcap-options.png"
cp "$work/live.png" "$out/wireshark-extcap-live.png"
say "pictures in $out: wireshark-extcap-list.png, wireshark-extcap-options.png, wireshark-extcap-live.png"
