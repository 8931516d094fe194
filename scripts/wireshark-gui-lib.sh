# SPDX-License-Identifier: MIT
# wireshark-gui-lib.sh - sourced by the scripts that drive Wireshark's GUI
# under Xvfb (screenshot-wireshark.sh, screenshot-extcap.sh).
#
# The sourcing script sets work (its private directory), width and height,
# and defines die and wait_for.  This file gives it:
#   pids, stop_started      the processes it started, and a stop for them only
#   gui_private_setup P     a private Wireshark home in $work/home with the
#                           plugin P in $work/plugins; sets home, run_as (as
#                           root, Wireshark runs as nobody: root ignores
#                           WIRESHARK_PLUGIN_DIR) and ws_env (with the
#                           sanitizer runtimes of VHU_PRELOAD, if set)
#   gui_main_geometry       Wireshark's main window at 0,0, width x height
#                           (recent_common: more lines may be appended)
#   gui_start_xvfb          a private X display of width x height; exports DISPLAY

pids=
stop_started() {
	local pid
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	pids=
}

gui_private_setup() {
	local plugin=$1 release
	# plugins/<major.minor>/epan/vhost-user.so
	release=$(basename "$(dirname "$(dirname "$plugin")")")
	run_as=()
	[ "$(id -u)" = 0 ] && run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	home=$work/home
	mkdir -p "$home/.config/wireshark/profiles" "$home/runtime" "$work/plugins/$release/epan"
	cp "$plugin" "$work/plugins/$release/epan/"
	chmod 700 "$home/runtime"
	chmod 755 "$work"
	ws_env=(env HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_RUNTIME_DIR="$home/runtime"
		XDG_CACHE_HOME="$home/.cache" WIRESHARK_PLUGIN_DIR="$work/plugins")
	# A sanitized plugin needs the sanitizer runtimes loaded first in
	# Wireshark (VHU_PRELOAD, as the plugin tests set it).
	[ -n "${VHU_PRELOAD:-}" ] &&
		ws_env+=(LD_PRELOAD="$VHU_PRELOAD" ASAN_OPTIONS=detect_leaks=0)
	return 0
}

gui_main_geometry() {
	cat >"$home/.config/wireshark/recent_common" <<END
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: $width
gui.geometry_main_height: $height
gui.geometry_main_maximized: FALSE
END
}

gui_start_xvfb() {
	# The private home belongs to the user Wireshark runs as.
	[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$home"
	: >"$work/display"
	Xvfb -displayfd 3 -screen 0 "${width}x${height}x24" -nolisten tcp -noreset \
		3>"$work/display" >"$work/xvfb.log" 2>&1 &
	pids="$pids $!"
	wait_for "Xvfb to pick a display" 20 grep -q '[0-9]' "$work/display" ||
		{ cat "$work/xvfb.log" >&2; exit 1; }
	DISPLAY=:$(head -n 1 "$work/display")
	export DISPLAY
}
