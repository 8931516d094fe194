#!/bin/bash
# run-all-tests.sh - the whole test suite, twice: a -Werror build, then an ASan+UBSan build.
#
# Installs the dependencies, configures and builds each variant in its own
# directory (build-ci/ and build-ci-sanitize/ at the top of the tree, or
# under $VHU_BUILD_ROOT), runs ctest in each, and ends with one line:
#   N passed, N failed
# counting the ctest results of both builds (a build that does not compile
# counts as one failure).  Exits non-zero if anything failed.

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build_root=${VHU_BUILD_ROOT:-$top}
jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0

"$top/scripts/install-deps.sh" || { echo "0 passed, 1 failed"; exit 1; }

# count_junit FILE : adds the results of a ctest JUnit report to the totals.
count_junit() {
	local counts
	counts=$(python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
ok = bad = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
	status = case.get("status", "run")
	failed = case.find("failure") is not None or case.find("error") is not None
	if status == "fail" or failed:
		bad += 1
	elif status == "run":
		ok += 1
	# "notrun": skipped (ctest SKIP_RETURN_CODE) or disabled: neither
print(ok, bad)
PY
	) || counts="0 1"
	set -- $counts
	passed=$((passed + $1))
	failed=$((failed + $2))
}

# run_variant NAME CMAKE-OPTIONS... : configure, build, test one variant.
run_variant() {
	local name=$1 dir=$build_root/build-ci-$1
	shift
	echo "== $name: configure and build in $dir"
	mkdir -p "$dir"
	if ! cmake -S "$top" -B "$dir" -DVHU_WERROR=ON "$@" >"$dir/vhu-configure.log" 2>&1; then
		tail -n 30 "$dir/vhu-configure.log"
		echo "== $name: configure FAILED"
		failed=$((failed + 1))
		return
	fi
	if ! cmake --build "$dir" -j "$jobs" >"$dir/vhu-build.log" 2>&1; then
		grep -E 'error|Error' "$dir/vhu-build.log" | head -n 40
		echo "== $name: build FAILED (full log: $dir/vhu-build.log)"
		failed=$((failed + 1))
		return
	fi
	echo "== $name: ctest"
	rm -f "$dir/ctest-junit.xml"
	# --timeout: a bound for tests that set none (a hung test must not
	# hold the whole run).
	(cd "$dir" && ctest -j "$jobs" --timeout 900 --output-on-failure --output-junit ctest-junit.xml)
	if [ -f "$dir/ctest-junit.xml" ]; then
		count_junit "$dir/ctest-junit.xml"
	else
		echo "== $name: ctest wrote no report"
		failed=$((failed + 1))
	fi
}

mkdir -p "$build_root"
run_variant werror -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_variant sanitize -DCMAKE_BUILD_TYPE=Debug -DVHU_SANITIZE=ON

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
