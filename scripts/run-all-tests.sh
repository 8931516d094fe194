#!/bin/bash
# run-all-tests.sh - the whole test suite: a -Werror build, an ASan+UBSan
# build, and a clang build that runs the libFuzzer target.
#
# Installs the dependencies, configures and builds each variant in its own
# directory (build-ci-werror/, build-ci-sanitize/, build-ci-fuzz/ at the top of the tree, or
# under $VHU_BUILD_ROOT), runs ctest in each, and ends with one line:
#   N passed, N failed
# counting the ctest results of every build (a build that does not compile
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
# VARIANT_CC (compiler) and VARIANT_CTEST (extra ctest arguments) tune it.
run_variant() {
	local name=$1 dir=$build_root/build-ci-$1
	local cc=${VARIANT_CC:-cc} extra=${VARIANT_CTEST:-}
	shift
	echo "== $name: configure and build in $dir"
	mkdir -p "$dir"
	if ! CC=$cc cmake -S "$top" -B "$dir" -DVHU_WERROR=ON "$@" >"$dir/vhu-configure.log" 2>&1; then
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
	# shellcheck disable=SC2086 # extra holds several arguments
	(cd "$dir" && ctest -j "$jobs" --timeout 900 --output-on-failure --output-junit ctest-junit.xml $extra)
	if [ -f "$dir/ctest-junit.xml" ]; then
		count_junit "$dir/ctest-junit.xml"
	else
		echo "== $name: ctest wrote no report"
		failed=$((failed + 1))
	fi
}

mkdir -p "$build_root"
# 1. gcc -Werror, everything: real peers, the plugin against Wireshark 4.4
#    and 4.6 in debootstrap chroots, the newest QEMU in a sid chroot.
VARIANT_CTEST="" run_variant werror -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVHU_CHROOT_TESTS=ON
# 2. ASan + UBSan, every test that runs our code on this machine (the
#    chroot tests build there with the chroot's own compiler: not repeated).
VARIANT_CTEST="-LE chroot|newpeers" run_variant sanitize -DCMAKE_BUILD_TYPE=Debug -DVHU_SANITIZE=ON
# 3. clang: the libFuzzer target over the record reader, reassembler,
#    session and walker, under ASan + UBSan, for a bounded time.
VARIANT_CC=clang VARIANT_CTEST="-R ^core\\." run_variant fuzz -DCMAKE_BUILD_TYPE=Debug \
	-DVHU_SANITIZE=ON -DVHU_FUZZ=ON -DVHU_FUZZ_SECONDS=120 \
	-DVHU_BUILD_SHIM=OFF -DVHU_BUILD_DECODER=OFF -DVHU_BUILD_PLUGIN=OFF

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
