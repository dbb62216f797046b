#!/usr/bin/env bash
# Crashes lose nothing (RELIABILITY.md). Release build; run by .ci/run.
#   bash Scripts/kill-resume.sh [KILLS]      (default 20)
# 1. SIGKILL at random moments: one run directory is killed KILLS times, each time at a random
#    delay (seeded, printed), and restarted with --resume. After every kill the last complete
#    checkpoint must load (`loom evaluate`); at the end the resumed run's checkpoint must be
#    byte-identical to an uninterrupted run's.
# 2. SIGTERM and SIGINT at random moments: each run exits 143 or 130 with one line naming the
#    last checkpoint, leaves no temporary file, and the resumed run ends byte-identical too.
# 3. A write that fails (file-size limit, EFBIG) stops the run with one clear line, leaves the
#    previous checkpoint byte-identical and no temporary file; resuming then finishes exactly.
# 4. A full disk (a tiny tmpfs, when this user may mount one) and an unwritable --output are
#    reported before training starts.
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-20}"

source Scripts/release-loom.sh  # LOOM_SCRATCH_PATH: a build folder of one's own
build_release_loom --quiet
work="$(mktemp -d)"
mounted=""
cleanup() { [ -z "$mounted" ] || umount "$mounted" 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

echo "== $kills SIGKILLs at random moments, each followed by --resume"
# Runs "${args[@]}" uninterrupted into $work/whole, the checkpoint the resumed runs must match.
reference_run() {
    rm -rf "$work/whole"
    local start=$(date +%s%N)
    "$loom" "${args[@]}" --output "$work/whole" > /dev/null
    echo "  uninterrupted run of ${args[2]} epochs: $(( ($(date +%s%N) - start) / 1000000 )) ms"
}
args=(train --epochs 400 --dropout 0.2 --seed 3)  # 10-12 s: the kills land all along the run
reference_run
# Starts the run in $run in the background (resuming it once it has a checkpoint); sets $pid.
start_run() {
    if [ -f "$run/checkpoint.safetensors" ]; then
        "$loom" train --output "$run" --resume > /dev/null 2> "$work/err.txt" &
    else
        "$loom" "${args[@]}" --output "$run" > /dev/null 2> "$work/err.txt" &
    fi
    pid=$!
}
# Finishes the run in $run and compares its final checkpoint with the uninterrupted one's.
finish_and_compare() {
    "$loom" train --output "$run" --resume > /dev/null 2>&1 || "$loom" "${args[@]}" --output "$run" > /dev/null
    if cmp -s "$work/whole/checkpoint.safetensors" "$run/checkpoint.safetensors"; then
        pass "$1, resumed: byte-identical final checkpoint"
    else
        fail "after $1 the resumed checkpoint differs from the uninterrupted one"
    fi
}
run="$work/killed"
RANDOM=7  # the delays are reproducible
loadable=0
for i in $(seq 1 "$kills"); do
    delay=$(printf '0.%03d' $(( RANDOM % 900 + 50 )))
    start_run
    sleep "$delay"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    if [ -s "$work/err.txt" ] && ! grep -q "^resuming" "$work/err.txt"; then
        fail "kill $i: the run printed an error: $(head -n 1 "$work/err.txt")"
    fi
    epochs="none"
    if [ -f "$run/checkpoint.safetensors" ]; then
        if "$loom" evaluate "$run/checkpoint.safetensors" > "$work/eval.txt" 2>&1; then
            loadable=$((loadable + 1))
            epochs=$(python3 -c 'import json,struct,sys; f=open(sys.argv[1],"rb"); n=struct.unpack("<Q",f.read(8))[0]; print(json.loads(f.read(n))["__metadata__"]["epochs"])' "$run/checkpoint.safetensors")
        else
            fail "kill $i after ${delay}s: the checkpoint does not load: $(head -n 1 "$work/eval.txt")"
        fi
    fi
    echo "  kill $i after ${delay}s: checkpoint at epoch $epochs"
done
finish_and_compare "$kills kills ($loadable checkpoints checked loadable)"
if find "$run" -name '*.tmp' | grep -q .; then fail "temporary files left after the final resume"; else pass "no temporary files left"; fi

echo "== $kills SIGTERMs and SIGINTs at random moments: exit 143/130, one line naming the checkpoint, then --resume"
# Each signalled run makes progress only between its start and the signal, about the delay
# (0.5 s on average, 10 s over 20 signals): a run of 400 epochs (10 s on a Zen 4) finished
# before the last signals arrived and exited 0. Three times as long, the signals land in it.
args=(train --epochs 1200 --dropout 0.2 --seed 3)
reference_run
run="$work/signalled"
for i in $(seq 1 "$kills"); do
    delay=$(printf '0.%03d' $(( RANDOM % 900 + 50 )))
    if [ $((i % 2)) -eq 0 ]; then signal=TERM status=143; else signal=INT status=130; fi
    start_run
    sleep "$delay"
    kill -s "$signal" "$pid" 2> /dev/null || true
    code=0
    wait "$pid" 2> /dev/null || code=$?
    message="$(grep -v '^resuming' "$work/err.txt" | head -n 1)"
    if [ "$code" -ne "$status" ]; then
        fail "SIG$signal $i after ${delay}s: exit status $code, expected $status ($message)"
    elif [ "$(grep -vc '^resuming' "$work/err.txt")" -ne 1 ] || ! grep -q "interrupted by SIG$signal" "$work/err.txt"; then
        fail "SIG$signal $i: not one line saying so: $(cat "$work/err.txt")"
    fi
    if find "$run" -name '*.tmp' | grep -q .; then fail "SIG$signal $i: a temporary file was left"; fi
    echo "  SIG$signal $i after ${delay}s: exit $code: $message"
done
finish_and_compare "$kills SIGTERM/SIGINT"

echo "== a failed checkpoint write (file-size limit) keeps the previous checkpoint"
short=(train --epochs 4 --hidden 32 --seed 5)
"$loom" "${short[@]}" --output "$work/four" > /dev/null
"$loom" train --epochs 2 --hidden 32 --seed 5 --output "$work/limited" > /dev/null
# Extend the finished 2-epoch run to 4 epochs, so --resume has epochs left to train.
python3 - "$work/limited/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["epochs"] = 4; json.dump(c, open(sys.argv[1], "w"))
PY
cp "$work/limited/checkpoint.safetensors" "$work/before.safetensors"
size_kb=$(( $(stat -c %s "$work/before.safetensors") / 1024 / 2 ))
# The limit is below one checkpoint; XFSZ ignored, so write() fails with EFBIG instead.
if (ulimit -f "$size_kb"; trap '' XFSZ; exec "$loom" train --output "$work/limited" --resume) > /dev/null 2> "$work/err.txt"; then
    fail "the run with a file-size limit exited 0"
else
    echo "  -> $(grep -v '^resuming' "$work/err.txt" | head -n 1)"
    grep -q "cannot write .*checkpoint.safetensors" "$work/err.txt" && pass "the failed write is reported" || fail "no clear message: $(cat "$work/err.txt")"
    cmp -s "$work/before.safetensors" "$work/limited/checkpoint.safetensors" && pass "the previous checkpoint is untouched" || fail "the previous checkpoint changed"
    if find "$work/limited" -name '*.tmp' | grep -q .; then fail "a temporary file was left"; else pass "no temporary file left"; fi
    "$loom" train --output "$work/limited" --resume > /dev/null
    cmp -s "$work/four/checkpoint.safetensors" "$work/limited/checkpoint.safetensors" \
        && pass "resuming after the failed write ends byte-identical to an uninterrupted run" || fail "resuming after the failed write differs"
fi

echo "== a full disk and an unwritable directory are reported before training"
mkdir -p "$work/tiny"
if mount -t tmpfs -o size=256k tmpfs "$work/tiny" 2> /dev/null; then
    mounted="$work/tiny"
    if "$loom" train --output "$work/tiny/run" > "$work/out.txt" 2> "$work/err.txt"; then
        fail "training on a 256 KiB file system exited 0"
    else
        echo "  -> $(head -n 1 "$work/err.txt")"
        grep -q "bytes free" "$work/err.txt" && pass "full disk reported" || fail "full disk: unclear message"
        grep -q "^epoch" "$work/out.txt" && fail "full disk: training started first" || pass "full disk: before the first epoch"
    fi
else
    echo "skip: full disk (cannot mount a tmpfs as $(id -un))"
fi
if "$loom" train --output /proc/loom-cannot-write > /dev/null 2> "$work/err.txt"; then
    fail "an unwritable --output exited 0"
else
    echo "  -> $(head -n 1 "$work/err.txt")"
    grep -q "cannot write to /proc/loom-cannot-write" "$work/err.txt" && pass "unwritable --output reported" || fail "unwritable --output: unclear message"
fi

echo "== kill-resume: $failures failure(s)"
[ "$failures" -eq 0 ]
