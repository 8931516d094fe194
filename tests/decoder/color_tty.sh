#!/bin/sh
# color_tty.sh - --color=auto colours on a terminal, not with NO_COLOR set,
# not on a pipe.  script(1) gives the decoder a pseudo-terminal.
# usage: color_tty.sh DECODER CAPTURE
set -u
decoder=$1 capture=$2
esc=$(printf '\033[')
on_tty=$(script -qec "env -u NO_COLOR '$decoder' '$capture'" /dev/null | grep -Fc "$esc")
no_color=$(script -qec "env NO_COLOR=1 '$decoder' '$capture'" /dev/null | grep -Fc "$esc")
piped=$(env -u NO_COLOR "$decoder" "$capture" | grep -Fc "$esc")
forced=$(env NO_COLOR=1 "$decoder" --color=always "$capture" | grep -Fc "$esc")
echo "coloured lines: tty $on_tty, NO_COLOR $no_color, pipe $piped, --color=always $forced"
[ "$on_tty" -gt 0 ] && [ "$no_color" = 0 ] && [ "$piped" = 0 ] && [ "$forced" -gt 0 ]
