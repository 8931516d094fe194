#!/bin/sh
# SPDX-License-Identifier: MIT
# profile-test.sh - the "vhost-user" Wireshark profile, read by tshark with
# the built plugin: its columns show connection, direction, request, reply
# latency and fd count; its colouring rules paint malformed messages red
# and nothing of a healthy session; every display filter button compiles
# and finds what it names.
#
#   profile-test.sh PROFILE_DIR SAMPLES_DIR
#
# Environment: VHU_PLUGIN_SO, VHU_WS_VERSION_DIR, VHU_PRELOAD, TSHARK (as
# tests/plugin); VHU_CAPTURE and VHU_TEST_PEER record a session of every
# channel.  As root, tshark runs as nobody (it ignores
# WIRESHARK_PLUGIN_DIR and personal profiles for root).
set -u

profile=${1:?usage: profile-test.sh PROFILE_DIR SAMPLES_DIR}
samples=${2:?}
: "${VHU_PLUGIN_SO:?}" "${VHU_WS_VERSION_DIR:?}"
TSHARK=${TSHARK:-tshark}
SKIP=77

work=$(mktemp -d "${TMPDIR:-/tmp}/vhu-profile-test.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/plugins/$VHU_WS_VERSION_DIR/epan" "$work/home/.config/wireshark/profiles"
cp "$VHU_PLUGIN_SO" "$work/plugins/$VHU_WS_VERSION_DIR/epan/vhost-user.so"
cp -r "$profile" "$work/home/.config/wireshark/profiles/vhost-user"
healthy=$work/healthy.pcapng
broken=$work/broken.pcapng
cp "$samples/dpdk-pair-server.pcapng" "$healthy"
cp "$samples/peer-broken-oversize.pcapng" "$broken"
chmod -R a+rwX "$work"

# shellcheck source=../common/as-user.sh
. "$(dirname "$0")/../common/as-user.sh"

ws() {
	$as_user env HOME="$work/home" WIRESHARK_PLUGIN_DIR="$work/plugins" TZ=UTC LC_ALL=C \
		LD_PRELOAD="${VHU_PRELOAD:-}" ASAN_OPTIONS=detect_leaks=0 \
		"$TSHARK" -C vhost-user "$@" 2>"$work/stderr"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Columns: frame 9 of the DPDK sample is the back-end's GET_FEATURES reply.
line=$(ws -r "$healthy" -Y frame.number==9) || fail "tshark -C vhost-user failed: $(cat "$work/stderr")"
for want in "9797.1" "data sent" "VHOST_USER_GET_FEATURES" "0.000771698" "GET_FEATURES reply"; do
	case $line in
	*"$want"*) ;;
	*) fail "column '$want' missing in: $line" ;;
	esac
done
line=$(ws -r "$healthy" -Y 'vhost_user.request == 5 && vhost_user.flags.reply == 0' | head -n 1)
echo "$line" | grep -Eq 'VHOST_USER_SET_MEM_TABLE +1 +SET_MEM_TABLE' ||
	fail "no fd count on SET_MEM_TABLE: $line"

# Colours: with --color tshark applies the profile's rules and names the
# rule that matched each frame.
rules() {
	ws --color -r "$1" -T fields -e frame.coloring_rule.name | sort | uniq -c
}
# expect_rule RULES-FILE NAME : some frame was coloured by rule NAME.
expect_rule() {
	grep -q " vhost-user $2\$" "$1" || fail "no frame coloured '$2' ($(cat "$1"))"
}
rules "$broken" >"$work/broken.rules" || fail "tshark --color failed"
expect_rule "$work/broken.rules" "malformed or error"
rules "$healthy" >"$work/healthy.rules"
if grep -q "malformed or error" "$work/healthy.rules"; then
	fail "a frame of the healthy DPDK session is coloured as an error"
fi
expect_rule "$work/healthy.rules" "reply"
expect_rule "$work/healthy.rules" "request"
expect_rule "$work/healthy.rules" "capture event (connect, accept, close, process start)"
# The colours themselves, as tshark paints them on a terminal (24-bit
# background 48;2;R;G;B): a reply light blue, an error red.
painted() {
	# script(1) needs a pseudo-terminal (none in a chroot without devpts).
	script -qec true /dev/null >/dev/null 2>&1 ||
		{ echo "no pseudo-terminal: painted colours not checked"; return 0; }
	script -qec "$as_user env TERM=xterm-256color COLORTERM=truecolor HOME='$work/home' WIRESHARK_PLUGIN_DIR='$work/plugins' \
		LD_PRELOAD='${VHU_PRELOAD:-}' ASAN_OPTIONS=detect_leaks=0 \
		'$TSHARK' -C vhost-user --color -r '$1' -Y '$2'" /dev/null | head -n 1 |
		grep -q "48;2;$3m" || fail "'$2' in $1 is not painted $3"
}
painted "$healthy" 'vhost_user.flags.reply == 1' '220;238;255'
painted "$broken" '_ws.expert.severity == error' '176;20;20'
# Every channel: the test peer's session of every request.
if [ -n "${VHU_CAPTURE:-}" ] && [ -n "${VHU_TEST_PEER:-}" ]; then
	(cd "$work" && "$VHU_CAPTURE" -q -w "$work/all.pcapng" -- "$VHU_TEST_PEER" pair --script all) \
		>"$work/peer.log" 2>&1 || fail "the test peer failed: $(tail -n 5 "$work/peer.log")"
	chmod a+r "$work/all.pcapng"
	rules "$work/all.pcapng" >"$work/all.rules"
	expect_rule "$work/all.rules" "back-end channel"
	expect_rule "$work/all.rules" "GPU socket"
fi

# Buttons: each filter compiles and matches.
count() {
	ws -r "$1" -Y "$2" | wc -l
}
grep '^"TRUE"' "$profile/dfilter_buttons" | while IFS= read -r row; do
	label=$(echo "$row" | cut -d'"' -f4)
	filter=$(echo "$row" | cut -d'"' -f6)
	case $label in
	Errors) file=$broken ;;
	*) file=$healthy ;;
	esac
	n=$(count "$file" "$filter")
	[ "$n" -gt 0 ] || fail "button $label matches nothing ($(cat "$work/stderr"))"
	echo "button $label: $n frames"
done || exit 1
echo "PASS: profile"
