#!/usr/bin/env bash
# Coverage-guided fuzzing of Loom's parsers with libFuzzer (the Swift toolchain ships it) and
# AddressSanitizer. Run by .ci/run with a bound per target.
#   bash Scripts/fuzz.sh [SECONDS] [TARGET…]     (default 45 s each; all eight targets)
# Targets: FuzzIDX (IDX, plain and gzip), FuzzGzip, FuzzSafeTensors, FuzzCommandLine
# (`loom train` and experiment options, config.json), FuzzConfiguration (config.json alone,
# read and written back), FuzzModelFile (a model file's loom.model / loom.configuration
# metadata, loaded as evaluate does), FuzzCSV (CSV, plain and gzip), FuzzNumpy (.npy, .npz). Each starts from the committed seeds in
# Fuzz/corpus/<name> (new inputs go to a scratch copy, so the repository stays clean) and stops
# at the first crash, leaving the input that caused it as Fuzz/crash-* for a test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-45}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzIDX FuzzGzip FuzzSafeTensors FuzzCommandLine FuzzConfiguration FuzzModelFile FuzzCSV FuzzNumpy)

scratch="$(pwd)/.build-fuzz"
# Fuzz/toolset.json adds `-sanitize=fuzzer,address` and links with lld (gold fails on the
# sanitized objects); the main package is never built with these flags.
build=(swift build -c release --scratch-path "$scratch" --toolset "$(pwd)/Fuzz/toolset.json")
( cd Fuzz && "${build[@]}" )
bin="$(cd Fuzz && "${build[@]}" --show-bin-path)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

corpus_name() {
    case "$1" in
        FuzzIDX) echo idx ;; FuzzGzip) echo gzip ;; FuzzSafeTensors) echo safetensors ;; FuzzCommandLine) echo command-line ;;
        FuzzConfiguration) echo configuration ;; FuzzModelFile) echo model-file ;; FuzzCSV) echo csv ;; FuzzNumpy) echo numpy ;;
    esac
}

status=0
for target in "${targets[@]}"; do
    name="$(corpus_name "$target")"
    mkdir -p "$work/$name"
    cp Fuzz/corpus/"$name"/* "$work/$name/"
    dictionary=()
    [ -f "Fuzz/$name.dict" ] && dictionary=(-dict="Fuzz/$name.dict")
    echo "== $target for ${seconds}s (seeds: Fuzz/corpus/$name)"
    # rss_limit: an allocation sized by an untrusted number shows up as a finding.
    if ASAN_OPTIONS=detect_leaks=0 "$bin/$target" "$work/$name" "${dictionary[@]}" -max_total_time="$seconds" \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 -max_len=8192 -print_final_stats=1 \
        -artifact_prefix="Fuzz/crash-$name-" > "$work/$target.log" 2>&1; then
        grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE" "$work/$target.log" | sed 's/^/  /'
        echo "ok: $target: no crash, $(ls "$work/$name" | wc -l) inputs in the corpus"
    else
        tail -n 40 "$work/$target.log"
        echo "FAIL: $target found a crash (input saved as Fuzz/crash-$name-*)"
        status=1
    fi
done
exit $status
