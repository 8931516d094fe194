#!/bin/sh
# run-bench.sh - messages/s and peak RSS of vhost-user-decode (one-line, -V,
# JSON, --check) and of tshark with the plugin (summary, -V, -T json), on
# captures of 10k, 100k and 1M messages made by gen-mix.c: the mix of eight
# connections and a one-connection GET_FEATURES ping-pong.  Prints a markdown
# table, then the ratios of the same run (see RESULTS.md).
#
# usage: bench/decoder/run-bench.sh BUILD_DIR [MESSAGES...]
#   BUILD_DIR: a build tree with decoder/vhost-user-decode and, for the
#   tshark rows, plugin/plugins/<ver>/epan/vhost-user.so.
#   VHU_BENCH_TSHARK_V_MAX: largest capture tshark -V and -T json are run
#   on (100000).
#   VHU_BENCH_CAPTURES: which captures (default "mix pingpong").
set -eu
build=$(cd "$1" && pwd)
shift
sizes=${*:-10000 100000 1000000}
src=$(cd "$(dirname "$0")/../.." && pwd)
decoder=$build/decoder/vhost-user-decode
plugins=$build/plugin/plugins
tv_max=${VHU_BENCH_TSHARK_V_MAX:-100000}
captures=${VHU_BENCH_CAPTURES:-mix pingpong}
work=$(mktemp -d /tmp/vhu-bench.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

cc -O2 -std=gnu11 -I"$src/core" -I"$src/tests/common" "$src/bench/decoder/gen-mix.c" \
	"$src/tests/common/capgen.c" "$src/core/vhu_pcapng.c" "$src/core/vhu_record.c" \
	-o "$work/gen-mix"

# measure NAME MESSAGES COMMAND...: one table row from /usr/bin/time -v
# (also kept in $work/rows for the ratios)
measure() {
	name=$1 n=$2
	shift 2
	# wall-clock in ns around time(1), whose own figure has 10 ms steps
	t0=$(date +%s%N)
	/usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
	t1=$(date +%s%N)
	awk -v name="$name" -v n="$n" -v cap="$kind" -v ns=$((t1 - t0)) '
		/Maximum resident set size/ { rss = $NF }
		/User time \(seconds\)/ { cpu += $NF }
		/System time \(seconds\)/ { cpu += $NF }
		END {
			s = ns / 1e9
			printf "| %s | %s | %d | %.3f | %.2f | %.0f | %.1f |\n", name, cap, n, s,
			       cpu, (s > 0 ? n / s : 0), rss / 1024
		}' "$work/time" | tee -a "$work/rows"
}

# ratios COLUMN: for each capture and size, tshark's seconds over the
# decoder's (summary / one-line, -V / -V, -T json / -T json) and --check
# over one-line; COLUMN 4 is wall-clock, 5 CPU (user + system: on a shared
# machine the one that says what the tool itself costs)
ratios() {
	echo
	echo "| capture | messages | one-line vs tshark | -V vs tshark -V | JSON vs tshark -T json | --check / one-line |"
	echo "|---|---:|---:|---:|---:|---:|"
	awk -F' [|] ' -v col="$1" '
		{ sub(/^[|] /, ""); key = $2 " " $3; t[key, $1] = $col + 0; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
		function r(a, b) { return (a > 0 && b > 0) ? sprintf("%.1fx", a / b) : "-" }
		END {
			for (i = 1; i <= n; i++) {
				k = order[i]; split(k, p, " ")
				printf "| %s | %s | %s | %s | %s | %s |\n", p[1], p[2],
				       r(t[k, "tshark + plugin"], t[k, "vhost-user-decode"]),
				       r(t[k, "tshark + plugin -V"], t[k, "vhost-user-decode -V"]),
				       r(t[k, "tshark + plugin -T json"], t[k, "vhost-user-decode -T json"]),
				       r(t[k, "vhost-user-decode --check"], t[k, "vhost-user-decode"])
			}
		}' "$work/rows"
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

echo "| tool | capture | messages | seconds | CPU seconds | messages/s | peak RSS (MiB) |"
echo "|---|---|---:|---:|---:|---:|---:|"
: >"$work/rows"
for n in $sizes; do
	for kind in $captures; do
		cap=$work/$kind-$n.pcapng
		if [ "$kind" = mix ]; then
			"$work/gen-mix" "$n" "$cap"
		else
			"$work/gen-mix" "$n" "$cap" "$kind"
		fi
		chmod 644 "$cap"
		measure "vhost-user-decode" "$n" "$decoder" "$cap"
		measure "vhost-user-decode -V" "$n" "$decoder" -V "$cap"
		measure "vhost-user-decode -T json" "$n" "$decoder" -T json "$cap"
		measure "vhost-user-decode --check" "$n" "$decoder" --check "$cap"
		measure "vhost-user-decode -2 -V" "$n" "$decoder" -2 -V "$cap"
		measure "vhost-user-decode --stats -q" "$n" "$decoder" --stats -q "$cap"
		if [ -d "$plugins" ] && command -v tshark >/dev/null; then
			measure "tshark + plugin" "$n" "$work/tshark" -n -r "$cap"
			if [ "$n" -le "$tv_max" ]; then
				measure "tshark + plugin -V" "$n" "$work/tshark" -n -V -r "$cap"
				measure "tshark + plugin -T json" "$n" "$work/tshark" -n -T json -r "$cap"
			fi
		fi
		rm -f "$cap"
	done
done
echo
echo "Wall-clock ratios:"
ratios 4
echo
echo "CPU-time ratios:"
ratios 5
