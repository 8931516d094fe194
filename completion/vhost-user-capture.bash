# bash completion for vhost-user-capture                   -*- shell-script -*-
# SPDX-License-Identifier: MIT
# Options first; after "--" (or the first word that is not an option) the
# command and its own arguments complete as that command's do.

_vhost_user_capture()
{
	local cur prev words cword split
	_init_completion -s || return

	local i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--)
			_command_offset $((i + 1))
			return
			;;
		-w | --sockets | -p | --duration)
			((i++))
			;;
		--merge)
			;;
		-*) ;;
		*)
			_command_offset $i
			return
			;;
		esac
	done

	case $prev in
	-w)
		_filedir 'pcapng'
		return
		;;
	--sockets)
		_filedir
		return
		;;
	-p)
		_pids
		return
		;;
	--duration)
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '$(_parse_help "$1" --help) --' -- "$cur"))
		return
	fi
	_filedir
} &&
	complete -F _vhost_user_capture vhost-user-capture
