#!/bin/bash
# expert-gui.sh - the findings of a broken capture in Wireshark's Expert
# Information: tshark -z expert counts them as vhost-user-decode --check
# does, and the GUI (Qt, on a private Xvfb display) opens the dialog on the
# capture and lists the rule's group with each of its messages under it.
#
# usage: expert-gui.sh SRC PLUGIN DECODER CAPTURE RULE OUTDIR
#
# The dialog is read back from a screenshot with OCR (tesseract): the line
# of the rule's group (its severity and the summary of the rule's row in
# core/vhu_diag.h), then one line per finding, each starting with the frame
# --check names.  The screenshot stays in OUTDIR/expert-dialog.png.  Exit 77
# when a program it needs is missing.
set -u
src=$1 plugin=$2 decoder=$3 capture=$4 rule=$5 out=$6
width=1400
height=900

die() {
	echo "FAIL: expert-gui: $*" >&2
	exit 1
}

for tool in Xvfb wireshark tshark xdotool import convert tesseract python3; do
	command -v "$tool" >/dev/null || { echo "$tool missing: skipped"; exit 77; }
done
[ -f "$plugin" ] || die "no plugin $plugin"

# wait_for WHAT SECONDS CMD...: poll CMD every 0.1 s.
wait_for() {
	local what=$1 tries=$(($2 * 10))
	shift 2
	while [ $tries -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		kill -0 "${ws_pid:-$$}" 2>/dev/null || { echo "expert-gui: wireshark ended" >&2; return 1; }
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "expert-gui: timed out waiting for $what" >&2
	return 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-expert.XXXXXX") || exit 1
# shellcheck source=../../scripts/wireshark-gui-lib.sh
. "$src/scripts/wireshark-gui-lib.sh"
trap 'stop_started; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
mkdir -p "$out" || exit 1

gui_private_setup "$plugin"
cp "$capture" "$work/broken.pcapng" && chmod 644 "$work/broken.pcapng" || exit 1
gui_main_geometry

# ---- what --check finds, and the rule's summary ----------------------------

"$decoder" --check -T json -r "$capture" >"$work/check.json"
frames=$(python3 -c '
import json, sys
print(" ".join(str(f["frame"]) for f in map(json.loads, open(sys.argv[1])) if f["finding"] == sys.argv[2]))
' "$work/check.json" "$rule")
[ -n "$frames" ] || die "--check finds no $rule in $capture"
severity=$(python3 -c '
import json, sys
s = {f["severity"] for f in map(json.loads, open(sys.argv[1])) if f["finding"] == sys.argv[2]}
print({"error": "Error", "warning": "Warning", "note": "Note"}[s.pop()])
' "$work/check.json" "$rule")
# the summary the plugin registers for the rule's expert info
summary=$(python3 -c '
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"X\(\w+, \"%s\",[^\n]*\\\n\s*\"([^\"]+)\"" % re.escape(sys.argv[2]), text)
print(m.group(1) if m else "")
' "$src/core/vhu_diag.h" "$rule")
[ -n "$summary" ] || die "no rule $rule in core/vhu_diag.h"
echo "--check: $rule ($severity) on frames $frames: $summary"

# ---- tshark -z expert: the same count ----------------------------------------

[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$home" "$work/broken.pcapng"
"${run_as[@]}" "${ws_env[@]}" tshark -q -z expert -r "$work/broken.pcapng" >"$work/expert.txt" 2>&1 ||
	{ cat "$work/expert.txt"; die "tshark -z expert failed"; }
want=$(echo "$frames" | wc -w)
python3 - "$work/check.json" "$rule" "$work/expert.txt" <<'END' || die "tshark -z expert disagrees with --check"
import collections, json, re, sys
findings = [f for f in map(json.loads, open(sys.argv[1])) if f["finding"] == sys.argv[2]]
by_text = collections.Counter(f["text"] for f in findings)
expert = open(sys.argv[3]).read()
for text, n in by_text.items():
    if not re.search(r"^\s*%d\s+\S+\s+vhost-user\s+%s\s*$" % (n, re.escape(text)), expert, re.M):
        print(expert)
        sys.exit("no line '%d ... vhost-user %s' in tshark -z expert" % (n, text))
print("tshark -z expert: %s" % ", ".join("%d x %s" % (n, t) for t, n in by_text.items()))
END

# ---- the GUI -------------------------------------------------------------------

gui_start_xvfb
"${run_as[@]}" "${ws_env[@]}" DISPLAY="$DISPLAY" wireshark -r "$work/broken.pcapng" \
	>"$work/wireshark.log" 2>&1 &
ws_pid=$!
pids="$ws_pid $pids"
main_win=
find_main_window() {
	main_win=$(xdotool search --onlyvisible --name '^broken\.pcapng$' | head -n 1)
	[ -n "$main_win" ]
}
wait_for "wireshark's main window" 120 find_main_window || { cat "$work/wireshark.log"; die "no main window"; }
sleep 2
xdotool windowfocus --sync "$main_win"

# The expert indicator at the left end of the status bar opens the dialog.
expert_win=
find_expert_window() {
	expert_win=$(xdotool search --onlyvisible --name ' Expert Information ' | head -n 1)
	[ -n "$expert_win" ]
}
for try in 1 2 3; do
	xdotool mousemove --sync 16 $((height - 12)) click 1
	wait_for "the Expert Information dialog" 20 find_expert_window && break
done
[ -n "$expert_win" ] || die "the Expert Information dialog did not open"
echo "dialog: $(xdotool getwindowname "$expert_win")"

# Expand every group (Right on a group opens it, Down walks on), then
# read the dialog back, until the rule's group shows with its messages
# (the dialog fills in as it reads the file again).
read_dialog() {
	local x y i
	x=$(xdotool getwindowgeometry --shell "$expert_win" | sed -n 's/^X=//p')
	y=$(xdotool getwindowgeometry --shell "$expert_win" | sed -n 's/^Y=//p')
	xdotool windowfocus --sync "$expert_win"
	xdotool mousemove --sync $((x + 200)) $((y + 41)) click 1
	for i in $(seq 12); do
		xdotool key --delay 40 Right Down
	done
	# the selection to the last row, away from the error groups at the
	# top: a selected row reads badly
	xdotool key --delay 40 End
	xdotool mousemove --sync $((width - 1)) $((height - 1))
	sleep 0.5
	import -window "$expert_win" "$work/dialog.png" || return 1
	convert "$work/dialog.png" -crop 840x400+0+0 +repage -colorspace Gray -resize 300% \
		-normalize "$work/ocr.png" || return 1
	tesseract "$work/ocr.png" - --psm 6 >"$work/ocr.txt" 2>/dev/null || return 1
	python3 - "$work/ocr.txt" "$severity" "$summary" $frames <<'END'
import re, sys
lines = [l.strip() for l in open(sys.argv[1]) if l.strip()]
severity, summary, frames = sys.argv[2], sys.argv[3], sys.argv[4:]
for i, l in enumerate(lines):
    if severity in l and summary in l:
        under = lines[i + 1:i + 1 + len(frames)]
        got = [re.match(r"(\d+)\s", u).group(1) for u in under if re.match(r"\d+\s", u)]
        if sorted(got, key=int) == sorted(frames, key=int):
            print("Expert Information: %s | %s, then frames %s" % (severity, summary, " ".join(got)))
            sys.exit(0)
sys.exit(1)
END
}
found=
for try in $(seq 10); do
	if read_dialog; then
		found=1
		break
	fi
	sleep 2
done
cp "$work/dialog.png" "$out/expert-dialog.png" 2>/dev/null
if [ -z "$found" ]; then
	echo "what the dialog reads as:"
	cat "$work/ocr.txt"
	die "the dialog does not list the group '$severity | $summary' with frames $frames"
fi
echo "ok: $capture: $rule grouped in Expert Information (picture: $out/expert-dialog.png)"
exit 0
