#!/usr/bin/env bash
# Sanitizers over Loom (RELIABILITY.md); run by .ci/run. Each uses its own scratch folder.
#   bash Scripts/sanitizers.sh [thread|address|valgrind]…   (default: thread address)
# thread:   ThreadSanitizer on the multi-threaded kernels' tests: the C kernels and worker
#           pool (LoomKernelTests), and the Swift elementwise, reduction and matmul kernels run
#           on the pool (ReliabilityParallelTests, ForwardElementwise/Reduction/Matmul tests).
# address:  AddressSanitizer with LeakSanitizer on a short training run (2 epochs, with a
#           checkpoint, a resume, evaluate and predict): no out-of-bounds access, no leak.
# valgrind: memcheck on a release build's 1-epoch run (by hand; not in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/release-loom.sh
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(thread address)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0

for mode in "${modes[@]}"; do
    case "$mode" in
    thread)
        echo "== ThreadSanitizer: kernel tests"
        filter='LoomKernelTests|ReliabilityParallelTests|ForwardElementwise|ForwardReduction|ForwardMatmul'
        if TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
            swift test --scratch-path .build-tsan --sanitize=thread --filter "$filter" > "$work/tsan.log" 2>&1; then
            grep -E "^✔ Test run|Executed .* tests" "$work/tsan.log" | tail -n 2 | sed 's/^/  /'
            echo "ok: ThreadSanitizer reports no race"
        else
            grep -E -A 30 "WARNING: ThreadSanitizer" "$work/tsan.log" | head -n 60 || tail -n 40 "$work/tsan.log"
            echo "FAIL: ThreadSanitizer"
            status=1
        fi
        ;;
    address)
        echo "== AddressSanitizer + LeakSanitizer: a short run, resume, evaluate, predict"
        swift build --scratch-path .build-asan --sanitize=address --product loom > "$work/asan-build.log" 2>&1 \
            || { tail -n 30 "$work/asan-build.log"; echo "FAIL: ASan build"; status=1; continue; }
        loom="$(swift build --scratch-path .build-asan --sanitize=address --show-bin-path)/loom"
        export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=86"
        export LSAN_OPTIONS="report_objects=1"
        ok=1
        run() { "$loom" "$@" > "$work/asan.out" 2> "$work/asan.err" || { echo "  loom $* -> exit $?"; head -n 40 "$work/asan.err"; ok=0; }; }
        run train --epochs 1 --dropout 0.1 --hidden 32 --output "$work/run"
        python3 - "$work/run/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["epochs"] = 2; json.dump(c, open(sys.argv[1], "w"))
PY
        run train --output "$work/run" --resume
        run evaluate "$work/run/checkpoint.safetensors"
        run predict "$work/run/checkpoint.safetensors" Sources/LoomData/Resources/digits/test-images-idx3-ubyte.gz --limit 3
        if [ "$ok" -eq 1 ]; then echo "ok: AddressSanitizer and LeakSanitizer report nothing"; else echo "FAIL: AddressSanitizer/LeakSanitizer"; status=1; fi
        unset ASAN_OPTIONS LSAN_OPTIONS
        ;;
    valgrind)
        echo "== valgrind memcheck: 1 epoch, release build"
        build_release_loom --quiet
        # valgrind 3.19 cannot read the toolchain's DWARF 5: run a copy without debug info.
        cp "$loom" "$work/loom" && strip --strip-debug "$work/loom"
        loom="$work/loom"
        if valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=87 \
            "$loom" train --epochs 1 --hidden 32 > "$work/vg.out" 2> "$work/vg.err"; then
            grep -E "definitely lost|indirectly lost|ERROR SUMMARY" "$work/vg.err" | sed 's/^/  /'
            echo "ok: valgrind reports no definite leak and no error"
        else
            grep -E -B 2 -A 20 "definitely lost in|Invalid (read|write)" "$work/vg.err" | head -n 60
            echo "FAIL: valgrind"
            status=1
        fi
        ;;
    *) echo "unknown mode $mode"; exit 2 ;;
    esac
done
exit $status
