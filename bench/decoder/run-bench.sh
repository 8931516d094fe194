#!/bin/sh
# run-bench.sh - messages/s and peak RSS of vhost-user-decode (one-line, -V,
# JSON) and of tshark with the plugin, on mixed captures of 10k, 100k and 1M
# messages made by gen-mix.c.  Prints a markdown table (see RESULTS.md).
#
# usage: bench/decoder/run-bench.sh BUILD_DIR [MESSAGES...]
#   BUILD_DIR: a build tree with decoder/vhost-user-decode and, for the
#   tshark rows, plugin/plugins/<ver>/epan/vhost-user.so.
#   VHU_BENCH_TSHARK_V_MAX: largest capture tshark -V is run on (100000).
set -eu
build=$(cd "$1" && pwd)
shift
sizes=${*:-10000 100000 1000000}
src=$(cd "$(dirname "$0")/../.." && pwd)
decoder=$build/decoder/vhost-user-decode
plugins=$build/plugin/plugins
tv_max=${VHU_BENCH_TSHARK_V_MAX:-100000}
work=$(mktemp -d /tmp/vhu-bench.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

cc -O2 -std=gnu11 -I"$src/core" -I"$src/tests/common" "$src/bench/decoder/gen-mix.c" \
	"$src/tests/common/capgen.c" "$src/core/vhu_pcapng.c" "$src/core/vhu_record.c" \
	-o "$work/gen-mix"

# measure NAME MESSAGES COMMAND...: one table row from /usr/bin/time -v
measure() {
	name=$1 n=$2
	shift 2
	/usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
	awk -v name="$name" -v n="$n" '
		/Elapsed \(wall clock\)/ {
			t = $NF; s = 0; k = split(t, p, ":")
			for (i = 1; i <= k; i++) s = s * 60 + p[i]
		}
		/Maximum resident set size/ { rss = $NF }
		END {
			printf "| %s | %d | %.2f | %.0f | %.1f |\n", name, n, s, (s > 0 ? n / s : 0), rss / 1024
		}' "$work/time"
}

# tshark loads plugins from WIRESHARK_PLUGIN_DIR only when not root; the
# helper execs (setpriv, env, tshark: one process, so time measures tshark)
cat >"$work/tshark" <<EOT
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups \\
	env HOME="$work" WIRESHARK_CONFIG_DIR="$work" WIRESHARK_PLUGIN_DIR="$plugins" \\
	tshark "\$@"
EOT
chmod 755 "$work/tshark"

echo "| tool | messages | seconds | messages/s | peak RSS (MiB) |"
echo "|---|---:|---:|---:|---:|"
for n in $sizes; do
	cap=$work/mix-$n.pcapng
	"$work/gen-mix" "$n" "$cap"
	chmod 644 "$cap"
	measure "vhost-user-decode" "$n" "$decoder" "$cap"
	measure "vhost-user-decode -V" "$n" "$decoder" -V "$cap"
	measure "vhost-user-decode -T json" "$n" "$decoder" -T json "$cap"
	measure "vhost-user-decode -2 -V" "$n" "$decoder" -2 -V "$cap"
	measure "vhost-user-decode --stats -q" "$n" "$decoder" --stats -q "$cap"
	if [ -d "$plugins" ] && command -v tshark >/dev/null; then
		measure "tshark + plugin" "$n" "$work/tshark" -n -r "$cap"
		if [ "$n" -le "$tv_max" ]; then
			measure "tshark + plugin -V" "$n" "$work/tshark" -n -V -r "$cap"
		fi
	fi
	rm -f "$cap"
done
