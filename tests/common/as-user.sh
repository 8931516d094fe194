# SPDX-License-Identifier: MIT
# as-user.sh - sourced by the tests that run Wireshark's programs.  Sets
# as_user to the prefix that runs a command unprivileged: tshark and
# wireshark ignore WIRESHARK_PLUGIN_DIR, WIRESHARK_EXTCAP_DIR and personal
# profiles when root runs them, so root runs them as nobody.  Exits 77
# (skipped) when root cannot drop its privileges.
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || { echo "setpriv missing: cannot drop root"; exit 77; }
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	as_user=""
fi
