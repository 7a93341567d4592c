# Shared setup of the command-level tests: simulated GPU hosts built once per
# file with tests/fixtures/mksimhost, and ways to run the CLI against them.
CLI=${NVCR_BUILD:-$BATS_TEST_DIRNAME/../../build}/cmd/cli/nvidia-container-cli
FIXTURES=$BATS_TEST_DIRNAME/../fixtures

# A world-readable scratch dir: the NVML helper drops to nobody.
scratch_dir() {
        local d
        d=$(mktemp -d /tmp/nvcr-bats.XXXXXX)
        chmod 0755 "$d"
        echo "$d"
}

# make_sim NAME [mksimhost options…] -> $SCRATCH/NAME
make_sim() {
        local name=$1
        shift
        "$FIXTURES/mksimhost" "$@" "$SCRATCH/$name" >/dev/null
}

# cli_on SIMDIR ARGS…: the CLI with every host path pointed at the simulated host.
cli_on() {
        local sim=$1
        shift
        "$CLI" --root="$sim/root" --proc-root="$sim/proc" --sys-root="$sim/sys" \
                --cache-dir="${CACHE_DIR:-}" "$@"
}

# sim_fact SIMDIR KEY: a value of SIMDIR/sim.env
sim_fact() {
        (. "$1/sim.env" && eval "echo \"\${$2}\"")
}

# info_field OUTPUT LABEL N: the value of the Nth (0-based) occurrence of "LABEL:".
info_field() {
        printf '%s\n' "$1" | grep "^$2:" | sed -n "$(($3 + 1))p" | sed -E "s/^$2: +//"
}

# built_with_test_hooks: the build has the test-only pause points (-Dtest_hooks=true).
built_with_test_hooks() {
        local f=$NVCR_BUILD_DIR/meson-info/intro-buildoptions.json
        [ -f "$f" ] && [ "$(jq -r '.[] | select(.name == "test_hooks") | .value' "$f")" = true ]
}
