#!/bin/bash
# SPDX-License-Identifier: MIT
# gui-first-paint.sh - how long Wireshark's GUI takes from its start to the
# first rows of a capture's packet list, with the plugin and with the
# vhost_user layer disabled (--disable-protocol vhost_user, records only).
#
#   bench/plugin/gui-first-paint.sh PLUGIN CAPTURE [REPEATS]
#
# PLUGIN is a built vhost-user.so, CAPTURE a capture file.  Wireshark
# (Qt) runs on a private Xvfb display with a private home (as nobody when
# run as root: root ignores plugin directories).  While it reads a file it
# shows an empty packet list and names its window after the file only
# when the reading is done; the first paint is the first moment the window
# has that name and the rows under the list's header are drawn (a
# screenshot of them has more than a few colours).  The two configurations
# take turns REPEATS times (default 3); the best of each is printed, in
# seconds, start-up included: wall-clock time, and the CPU time Wireshark
# had used by then (user + system, which other load on the machine does
# not inflate):
#   plugin WALL CPU
#   disabled WALL CPU
# Needs xvfb, wireshark-qt, xdotool and imagemagick.  Only the processes
# it starts are stopped, by their pid.

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
plugin=${1:?usage: gui-first-paint.sh PLUGIN CAPTURE [REPEATS]}
capture=${2:?usage: gui-first-paint.sh PLUGIN CAPTURE [REPEATS]}
repeats=${3:-3}
# shellcheck disable=SC2034 # both read by wireshark-gui-lib.sh
width=1400
height=900
# Rows 2 to 4 of the packet list at this size (below its header).
rows_crop=600x60+0+130
# A run that has not painted by then has failed.
limit_s=600

die() {
	echo "gui-first-paint: $*" >&2
	exit 1
}

for tool in Xvfb wireshark xdotool import convert; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-gui-bench.XXXXXX") || exit 1
# shellcheck source=../../scripts/wireshark-gui-lib.sh
. "$top/scripts/wireshark-gui-lib.sh"
cleanup() {
	stop_started
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for WHAT SECONDS CMD...: poll CMD every 0.1 s
wait_for() {
	local what=$1 tries=$(($2 * 10))
	shift 2
	while [ $tries -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "gui-first-paint: timed out waiting for $what" >&2
	return 1
}

gui_private_setup "$plugin"
gui_main_geometry
name=$(basename "$capture")
cp "$capture" "$work/$name" || exit 1
chmod 644 "$work/$name"
gui_start_xvfb

now() {
	date +%s.%N
}

# painted: the window is named after the file and its first rows are drawn
painted() {
	xdotool search --onlyvisible --name "^$name\$" >/dev/null || return 1
	import -window root -crop "$rows_crop" +repage "$work/rows.png" || return 1
	[ "$(convert "$work/rows.png" -format %k info:)" -gt 20 ]
}

# cpu_of PID: its user + system time so far, in seconds
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/$1/stat"
}

# first_paint ARGS...: seconds from wireshark's start to its first paint,
# wall-clock and CPU
first_paint() {
	local t0 t1 ws cpu
	t0=$(now)
	"${run_as[@]}" "${ws_env[@]}" DISPLAY="$DISPLAY" wireshark -r "$work/$name" "$@" \
		>"$work/wireshark.log" 2>&1 &
	ws=$!
	pids="$ws $pids"
	if ! wait_for "the packet list" "$limit_s" painted; then
		cat "$work/wireshark.log" >&2
		return 1
	fi
	t1=$(now)
	cpu=$(cpu_of "$ws")
	kill -TERM "$ws" 2>/dev/null
	wait "$ws" 2>/dev/null
	pids=${pids/$ws /}
	echo "$(echo "$t1 - $t0" | bc -l) $cpu"
}

: >"$work/a"
: >"$work/b"
for ((i = 0; i < repeats; i++)); do
	first_paint >>"$work/a" || die "wireshark did not paint with the plugin"
	first_paint --disable-protocol vhost_user >>"$work/b" ||
		die "wireshark did not paint with vhost_user disabled"
done
# best_of FILE: the least wall-clock and the least CPU time
best_of() {
	printf "%.2f %.2f" "$(sort -n -k1 "$1" | head -n 1 | cut -d' ' -f1)" \
		"$(sort -n -k2 "$1" | head -n 1 | cut -d' ' -f2)"
}
echo "plugin $(best_of "$work/a")"
echo "disabled $(best_of "$work/b")"
