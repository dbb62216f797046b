#!/usr/bin/env bash
# End-to-end acceptance of the main job, in release mode. Run by .ci/run after the tests.
#   bash Scripts/acceptance.sh            (from the package root)
# Checks: the default run reaches 95% on the bundled digits; MNIST (784-512-512-10, Adam,
# 3 epochs) reaches 97.5% when ../shared/data/mnist exists; Fashion-MNIST (5 epochs)
# reaches 87% when Debian's dataset-fashion-mnist is installed; a run killed with SIGKILL
# and resumed ends with a byte-identical checkpoint; bad input gets one clear line and a
# non-zero exit, and leaves no partial file.
set -euo pipefail
cd "$(dirname "$0")/.."

source Scripts/release-loom.sh
build_release_loom
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# Reads a summary's test accuracy and checks it against a threshold.
accuracy_at_least() {  # summary.json threshold label
    python3 - "$1" "$2" "$3" <<'PY' && pass "$3" || fail "$3"
import json, sys
summary = json.load(open(sys.argv[1]))
accuracy, threshold = summary["testAccuracy"], float(sys.argv[2])
print(f"  {sys.argv[3]}: test accuracy {accuracy:.4f} (needs >= {threshold}) in {summary['seconds']:.1f} s")
sys.exit(0 if accuracy >= threshold else 1)
PY
}

echo "== the main job: loom train (bundled digits)"
start=$(date +%s%N)
"$loom" train --output "$work/digits" | tail -n 2
echo "  wall time $(( ($(date +%s%N) - start) / 1000000 )) ms"
accuracy_at_least "$work/digits/summary.json" 0.95 "digits default run"

echo "== your own data: a committed table, then predictions for new rows"
"$loom" train --data Data/iris-train.csv --test Data/iris-test.csv --target species --output "$work/iris" | tail -n 2 | head -n 1
accuracy_at_least "$work/iris/summary.json" 0.9 "iris (Data/iris-*.csv)"
printf 'petal_width,petal_length,sepal_width,sepal_length\n0.2,1.5,3.4,5.0\n2.3,5.2,3.0,6.7\n' > "$work/new-flowers.csv"
if "$loom" predict "$work/iris/checkpoint.safetensors" "$work/new-flowers.csv" --output "$work/predictions.csv" > /dev/null \
    && [ "$(cut -d, -f1 "$work/predictions.csv" | tr '\n' ' ')" = "prediction setosa virginica " ]; then
    pass "loom predict on new rows, columns in another order: $(tr '\n' ' ' < "$work/predictions.csv" | cut -c1-80)…"
else
    fail "loom predict on new rows: $(cat "$work/predictions.csv" 2>/dev/null)"
fi
"$loom" train --data Data/grunfeld-train.csv --test Data/grunfeld-test.csv --target invest --output "$work/grunfeld" | tail -n 2 | head -n 1
python3 - "$work/grunfeld/summary.json" <<'PY' && pass "grunfeld regression" || fail "grunfeld regression"
import json, sys
summary = json.load(open(sys.argv[1]))
print(f"  grunfeld: test R² {summary['testR2']:.4f} (needs >= 0.9)")
sys.exit(0 if summary["task"] == "regression" and summary["testR2"] >= 0.9 else 1)
PY

mnist="${LOOM_MNIST_DIR:-../shared/data/mnist}"
if [ -d "$mnist" ]; then
    echo "== MNIST 784-512-512-10, Adam, 3 epochs"
    "$loom" train --dataset mnist --data "$mnist" --hidden 512,512 --epochs 3 --batch-size 128 --output "$work/mnist" | tail -n 1
    accuracy_at_least "$work/mnist/summary.json" 0.975 "MNIST 3 epochs"
else
    echo "skip: MNIST ($mnist not found)"
fi

if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    echo "== Fashion-MNIST 784-512-512-10, Adam, 5 epochs"
    "$loom" train --dataset fashion-mnist --hidden 512,512 --epochs 5 --batch-size 128 --output "$work/fashion" | tail -n 1
    accuracy_at_least "$work/fashion/summary.json" 0.87 "Fashion-MNIST 5 epochs"
else
    echo "skip: Fashion-MNIST (install dataset-fashion-mnist)"
fi

echo "== resume after SIGKILL gives a byte-identical checkpoint"
args=(train --epochs 40 --dropout 0.2 --seed 3)
"$loom" "${args[@]}" --output "$work/whole" > /dev/null
for delay in 0.15 0.35 0.6; do
    run="$work/killed-$delay"
    "$loom" "${args[@]}" --output "$run" > /dev/null &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    if [ -f "$run/checkpoint.safetensors" ]; then
        "$loom" train --output "$run" --resume > /dev/null
    else
        "$loom" "${args[@]}" --output "$run" > /dev/null  # killed before the first checkpoint
    fi
    if cmp -s "$work/whole/checkpoint.safetensors" "$run/checkpoint.safetensors"; then
        pass "killed after ${delay}s and resumed: identical checkpoint"
    else
        fail "killed after ${delay}s and resumed: the checkpoint differs"
    fi
done

echo "== bad input: one line, non-zero exit, nothing left behind"
printf 'not an idx file' > "$work/bad.idx"
head -c 1000 "$work/digits/checkpoint.safetensors" > "$work/truncated.safetensors"
mkdir -p "$work/badidx"
cp Sources/LoomData/Resources/digits/*.gz "$work/badidx/"
head -c 3000 Sources/LoomData/Resources/digits/train-images-idx3-ubyte.gz > "$work/badidx/train-images-idx3-ubyte.gz"
mkdir -p "$work/mismatch" && cp Sources/LoomData/Resources/digits/*.gz "$work/mismatch/"
cp Sources/LoomData/Resources/digits/test-labels-idx1-ubyte.gz "$work/mismatch/train-labels-idx1-ubyte.gz"
python3 - "$work" <<'PY'
import json, os, struct, sys
work = sys.argv[1]
# A checkpoint whose first weight has the wrong shape for the default model.
header = {"layers.0.weight": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 24]}}
text = json.dumps(header).encode()
open(os.path.join(work, "wrongshape.safetensors"), "wb").write(struct.pack("<Q", len(text)) + text + bytes(24))
open(os.path.join(work, "badheader.safetensors"), "wb").write(struct.pack("<Q", 7) + b"{broken")
PY
check_bad() {  # label, then the command
    local label="$1"; shift
    local before after
    before=$(find "$work" -type f | sort | md5sum)
    if "$@" > "$work/out.txt" 2> "$work/err.txt"; then fail "$label: exited 0"; return; fi
    after=$(find "$work" -type f ! -name out.txt ! -name err.txt | sort | md5sum)
    local lines
    lines=$(cat "$work/out.txt" "$work/err.txt" | grep -c . || true)
    if grep -q -E "Fatal error|Stack dump|backtrace|0x0000" "$work/err.txt"; then fail "$label: crashed"; return; fi
    echo "  $label -> $(head -n 1 "$work/err.txt")"
    [ "$lines" -ge 1 ] || { fail "$label: no message"; return; }
    pass "$label"
}
check_bad "missing IDX directory" "$loom" train --dataset mnist --data "$work/nowhere"
check_bad "truncated gzip IDX" "$loom" train --dataset mnist --data "$work/badidx"
check_bad "image/label count mismatch" "$loom" train --dataset mnist --data "$work/mismatch"
check_bad "not an IDX file" "$loom" predict "$work/digits/checkpoint.safetensors" "$work/bad.idx"
check_bad "truncated checkpoint" "$loom" evaluate "$work/truncated.safetensors" --config "$work/digits/config.json"
check_bad "malformed safetensors header" "$loom" train --initial-weights "$work/badheader.safetensors" --epochs 1
check_bad "checkpoint shape mismatch" "$loom" train --initial-weights "$work/wrongshape.safetensors" --epochs 1
check_bad "negative learning rate" "$loom" train --learning-rate=-0.1
check_bad "zero batch size" "$loom" train --batch-size 0
check_bad "unknown optimizer" "$loom" train --optimizer sgdd
check_bad "bad widths" "$loom" train --hidden 64,x
check_bad "zero width" "$loom" train --hidden 64,0
check_bad "output is a file" "$loom" train --output "$work/bad.idx"
# Newton-CG without a line search raises the digits' loss 300-fold in its first step: the run
# must say so and how to prevent it, in the library's terms (the config.json field) and the
# command line's (the flag).
if ! "$loom" train --optimizer newton-cg --epochs 3 > "$work/out.txt" 2> "$work/err.txt"; then
    fail "Newton-CG without a line search: exited non-zero ($(head -n 1 "$work/err.txt"))"
elif grep -q -- '--line-search' "$work/out.txt" && grep -q 'optimizer.lineSearch' "$work/out.txt"; then
    echo "  $(grep -m1 -- '--line-search' "$work/out.txt" | cut -c1-150)..."
    pass "Newton-CG without a line search is advised to use one"
else
    fail "Newton-CG without a line search: no advice in $(tr '\n' ' ' < "$work/out.txt" | cut -c1-300)"
fi
if find "$work" -name '*.tmp' | grep -q .; then fail "temporary files left behind"; else pass "no temporary files left"; fi

# ---- installed binary: begin ------------------------------------------------------------
# `loom` copied alone into a directory and run with its build folder out of reach, as after
# `cp loom /usr/local/bin/` and a clean: nothing (datasets, bundles) may come from the build.
# Further steps that the installed binary must pass belong inside this block, before `end`.
echo "== installed binary: loom copied alone, build folder out of reach"
installed="$work/installed"
mkdir -p "$installed/bin" "$installed/cwd"
cp "$loom" "$installed/bin/loom"
scratch="${LOOM_SCRATCH_PATH:-.build}"
scratch="$(cd "$scratch" && pwd -P)"
hidden="$scratch.hidden-by-acceptance-$$"
restore_scratch() { if [ -d "$hidden" ] && [ ! -e "$scratch" ]; then mv "$hidden" "$scratch"; fi; }
trap 'restore_scratch; rm -rf "$work"' EXIT
mv "$scratch" "$hidden"
(
    cd "$installed/cwd"
    expected='^loom [0-9]+\.[0-9]+\.[0-9]+ \(git ([0-9a-f]{7,}|unknown)\)$'
    if version=$("$installed/bin/loom" --version) && [[ "$version" =~ $expected ]]; then
        pass "installed loom --version: $version"
    else
        fail "installed loom --version printed '${version:-nothing}'"
    fi
    if "$installed/bin/loom" train --epochs 1 --output "$installed/run" > "$installed/train.txt" 2>&1 \
        && [ -f "$installed/run/checkpoint.safetensors" ]; then
        pass "installed loom train --epochs 1: $(tail -n 2 "$installed/train.txt" | head -n 1)"
    else
        fail "installed loom train --epochs 1: $(tail -n 3 "$installed/train.txt")"
    fi
    # The exported model travels alone: another directory, no config.json, no run beside it.
    mkdir -p "$installed/lone"
    if "$installed/bin/loom" export "$installed/run/checkpoint.safetensors" --output "$installed/lone/model.safetensors" \
            > "$installed/export.txt" 2>&1 \
        && [ "$(ls "$installed/lone")" = "model.safetensors" ]; then
        pass "installed loom export: $(cat "$installed/export.txt")"
    else
        fail "installed loom export: $(tail -n 3 "$installed/export.txt")"
    fi
    if "$installed/bin/loom" inspect "$installed/lone/model.safetensors" > "$installed/inspect.txt" 2>&1 \
        && grep -q "total 26122 parameters" "$installed/inspect.txt" && grep -q "loom.version" "$installed/inspect.txt"; then
        pass "installed loom inspect on the lone model: $(sed -n 2p "$installed/inspect.txt")"
    else
        fail "installed loom inspect: $(tail -n 3 "$installed/inspect.txt")"
    fi
    if "$installed/bin/loom" evaluate "$installed/lone/model.safetensors" > "$installed/evaluate.txt" 2>&1 \
        && grep -q "^digits test: accuracy" "$installed/evaluate.txt"; then
        pass "installed loom evaluate on the lone model: $(cat "$installed/evaluate.txt")"
    else
        fail "installed loom evaluate: $(tail -n 3 "$installed/evaluate.txt")"
    fi
    exit "$failures"
) || failures=$?
restore_scratch
# ---- installed binary: end --------------------------------------------------------------

echo "== acceptance: $failures failure(s)"
[ "$failures" -eq 0 ]
