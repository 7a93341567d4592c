#!/bin/bash
# The whole test suite: unit tests and fuzz-corpus replays under gcc, clang
# and an ASan+UBSan build, then the command-level bats tests (as root, on the
# simulated GPU host). Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

[ "$(id -u)" = 0 ] || { echo "test.sh: run as root" >&2; exit 1; }
bash scripts/install-deps.sh || exit 1

passed=0
failed=0
failures=()

count_meson() { # BUILDDIR LABEL
        local log=$1/meson-logs/testlog.json p f
        p=$(grep -c '"result": "OK"' "$log" 2>/dev/null) || p=0
        f=$(grep -cE '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" 2>/dev/null) || f=0
        passed=$((passed + p))
        failed=$((failed + f))
        ((f == 0)) || failures+=("$2: $f failed (see $log)")
}

run_meson() { # BUILDDIR LABEL [meson options…]
        local dir=$1 label=$2
        shift 2
        echo "== $label: build"
        if ! CC=${CC:-gcc} bash scripts/build.sh "$dir" "$@"; then
                ninja -C "$dir" 2>&1 | tail -30
                failed=$((failed + 1))
                failures+=("$label: build failed")
                return
        fi
        echo "== $label: meson test"
        meson test -C "$dir" --print-errorlogs --num-processes 2 >"$dir/test-output.txt" 2>&1
        tail -12 "$dir/test-output.txt"
        count_meson "$dir" "$label"
}

# The race tests need the test-only pause points (-Dtest_hooks, never in a release build).
run_meson build gcc -Dtest_hooks=true
CC=clang run_meson build-clang clang -Dtest_hooks=true
run_meson build-asan "asan+ubsan" -Db_sanitize=address,undefined -Db_lundef=false -Dtest_hooks=true

echo "== simulated GPU host self-test"
bash tests/fixtures/selftest.sh >build/simhost-selftest.txt 2>&1
tail -3 build/simhost-selftest.txt
read -r p f < <(tail -1 build/simhost-selftest.txt | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p')
if [ -z "${p:-}" ]; then
        failed=$((failed + 1))
        failures+=("simhost self-test: no summary")
else
        passed=$((passed + p))
        failed=$((failed + f))
        ((f == 0)) || failures+=("simhost self-test: $f failed")
fi

echo "== bats: command-level tests"
export NVCR_BUILD=$PWD/build
bats --tap tests/integration >build/bats.tap 2>&1
cat build/bats.tap
p=$(grep -c '^ok ' build/bats.tap) || p=0
f=$(grep -c '^not ok ' build/bats.tap) || f=0
passed=$((passed + p))
failed=$((failed + f))
((f == 0)) || failures+=("bats: $f failed")
if ((p + f == 0)); then
        failed=$((failed + 1))
        failures+=("bats: no test ran")
fi

echo "== bats: malicious-image tests (tests/security)"
bats --tap tests/security >build/bats-security.tap 2>&1
cat build/bats-security.tap
p=$(grep -c '^ok ' build/bats-security.tap) || p=0
f=$(grep -c '^not ok ' build/bats-security.tap) || f=0
passed=$((passed + p))
failed=$((failed + f))
((f == 0)) || failures+=("bats security: $f failed")
if ((p + f == 0)); then
        failed=$((failed + 1))
        failures+=("bats security: no test ran")
fi

echo "== bats: installing (meson install, the Debian packages; tests/packaging)"
bats --tap tests/packaging >build/bats-packaging.tap 2>&1
cat build/bats-packaging.tap
p=$(grep -c '^ok ' build/bats-packaging.tap) || p=0
f=$(grep -c '^not ok ' build/bats-packaging.tap) || f=0
passed=$((passed + p))
failed=$((failed + f))
((f == 0)) || failures+=("bats packaging: $f failed")
if ((p + f == 0)); then
        failed=$((failed + 1))
        failures+=("bats packaging: no test ran")
fi

for m in "${failures[@]}"; do echo "FAILED: $m"; done
echo "$passed passed, $failed failed"
((failed == 0))
