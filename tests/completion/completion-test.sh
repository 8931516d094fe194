#!/bin/bash
# SPDX-License-Identifier: MIT
# completion-test.sh - the bash completions complete as a user expects:
# options from the programs' own --help, request names from the core's
# tables (comma lists too), fixed values, and the traced command's own
# completion after "--".
#
#   completion-test.sh COMPLETION_DIR BIN_DIR...
#
# COMPLETION_DIR holds the generated completion files, the BIN_DIRs the
# built vhost-user-capture and vhost-user-decode.  Skipped without
# bash-completion.
set -u

dir=${1:?usage: completion-test.sh COMPLETION_DIR BIN_DIR...}
shift
for bin in "$@"; do
	PATH=$bin:$PATH
done
SKIP=77
bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || { echo "bash-completion is not installed"; exit $SKIP; }

# shellcheck disable=SC1090
. "$bc"
# shellcheck disable=SC1091
. "$dir/vhost-user-decode"
# shellcheck disable=SC1091
. "$dir/vhost-user-capture"
# Outside a real completion compopt (spacing only) has nothing to act on.
compopt() { :; }
failed=0

# complete LINE : COMPREPLY for the command line LINE (cursor at its end).
complete_line() {
	local line=$1 func
	read -r -a COMP_WORDS <<<"$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	func=$(complete -p "${COMP_WORDS[0]}" | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
	"$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}

# expect LINE WORD... : every WORD is among the completions of LINE.
expect() {
	local line=$1 w
	shift
	complete_line "$line"
	for w in "$@"; do
		if ! printf '%s\n' "${COMPREPLY[@]}" | grep -qx -- "$w"; then
			echo "FAIL: '$line' does not offer '$w' (got: ${COMPREPLY[*]:0:12})"
			failed=1
		fi
	done
}

# expect_only LINE WORD : LINE completes to exactly WORD.
expect_only() {
	complete_line "$1"
	if [ "${#COMPREPLY[@]}" -ne 1 ] || [ "${COMPREPLY[0]}" != "$2" ]; then
		echo "FAIL: '$1' gives '${COMPREPLY[*]}', want '$2'"
		failed=1
	fi
}

expect "vhost-user-decode --" --read= --verbose --two-pass --request= --stats --diff
expect_only "vhost-user-decode --request set_mem" set_mem_table
expect_only "vhost-user-decode --request get_features,set_vring_ad" get_features,set_vring_addr
expect "vhost-user-decode --request gpu_" gpu_update gpu_get_display_info
expect "vhost-user-decode -T " text json
expect "vhost-user-decode --from " front-end back-end
expect "vhost-user-decode --channel " main backend gpu
expect "vhost-user-capture -" -w --sockets --all-unix --
# After "--" the command's own completion: command names first.
expect_only "vhost-user-capture -w x.pcapng -- vhost-user-decod" vhost-user-decode
# ... and then that command's options.
expect "vhost-user-capture -w x.pcapng -- vhost-user-decode --st" --stats --strict

[ $failed -eq 0 ] && echo "PASS: completions"
exit $failed
