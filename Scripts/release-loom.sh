# Sourced by the scripts that run the release `loom` (acceptance, reliability, benchmarks):
#   build_release_loom [--quiet]
# builds it (the build's output shown, or dropped with --quiet) and sets $loom to the binary.
# LOOM_SCRATCH_PATH: a build folder of one's own (default: the package's .build).
build_release_loom() {
    local scratch=(${LOOM_SCRATCH_PATH:+--scratch-path "$LOOM_SCRATCH_PATH"})
    if [ "${1:-}" = --quiet ]; then
        swift build -c release "${scratch[@]}" --product loom > /dev/null
    else
        swift build -c release "${scratch[@]}" --product loom
    fi
    loom="$(swift build -c release "${scratch[@]}" --show-bin-path)/loom"
}
