#!/usr/bin/env bash
# Runs `loom train` in tmux panes 60 and 160 columns wide and checks the captured screens: the
# progress bar is one line, redrawn in place, narrower than the pane (no wrap, no scrolling
# trail of bars); then checks that piped output holds no control codes, that --quiet prints
# one line, and that a redirected experiment writes its first line while it runs.
#   bash Scripts/check-terminal.sh      (from the package root; run by .ci/run; needs tmux:
#                                        bash Scripts/install-dependencies.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v tmux > /dev/null; then
    echo "FAIL: tmux is not installed (bash Scripts/install-dependencies.sh)"; exit 1
fi
source Scripts/release-loom.sh
build_release_loom --quiet
work="$(mktemp -d)"
sessions=()
trap 'for s in "${sessions[@]}"; do tmux kill-session -t "$s" 2> /dev/null || true; done; rm -rf "$work"' EXIT
export LANG=C.UTF-8
failures=0
checks=0

# Wide layers and small batches: a few seconds an epoch, so the bar is seen mid-epoch.
train=("$loom" train --hidden 1024,1024 --batch-size 8 --epochs 2 --no-shuffle)
for columns in 60 160; do
    session="loom-terminal-check-$$-$columns"
    sessions+=("$session")
    tmux -u new-session -d -s "$session" -x "$columns" -y 24 "${train[*]}; echo loom-finished; sleep 60"
    for i in $(seq 1 600); do
        tmux capture-pane -p -J -t "$session" > "$work/screen-$columns-$i.txt"
        grep -q loom-finished "$work/screen-$columns-$i.txt" && break
        sleep 0.15
    done
    tmux capture-pane -p -t "$session" > "$work/final-$columns.txt"
    checks=$((checks + 1))
    if ! python3 - "$columns" "$work" <<'PY'
import glob, sys
columns, work = int(sys.argv[1]), sys.argv[2]
screens = sorted(glob.glob(f"{work}/screen-{columns}-*.txt"))
bar_screens, problems = 0, []
for path in screens:
    rows = [row.rstrip("\n") for row in open(path, encoding="utf-8")]
    bars = [row for row in rows if "░" in row or "█" in row]
    if len(bars) > 1:
        problems.append(f"{len(bars)} bar lines on one screen (a redraw that did not return to its line):\n" + "\n".join(bars))
    for bar in bars:
        if len(bar.rstrip()) >= columns:
            problems.append(f"a bar line of {len(bar.rstrip())} characters in {columns} columns (it wraps): {bar}")
    bar_screens += bool(bars)
final = open(f"{work}/final-{columns}.txt", encoding="utf-8").read()
if "test accuracy" not in final or "loom-finished" not in final:
    problems.append("the run did not finish on screen:\n" + final)
if bar_screens == 0:
    problems.append("no screen showed the bar")
for problem in problems[:3]:
    print(f"FAIL ({columns} columns): {problem}")
if not problems:
    example = next(row for path in screens for row in open(path, encoding="utf-8") if "░" in row or "█" in row).rstrip()
    print(f"ok: {columns} columns: one bar line redrawn in place on {bar_screens} of {len(screens)} screens, e.g.\n    {example}")
sys.exit(1 if problems else 0)
PY
    then failures=$((failures + 1)); fi
done

checks=$((checks + 1))
"$loom" train --epochs 2 | cat > "$work/piped.txt"
if LC_ALL=C grep -q $'[\r\x1b]' "$work/piped.txt"; then
    echo "FAIL: piped output holds control codes:"; cat -A "$work/piped.txt" | head -5; failures=$((failures + 1))
elif [ "$(grep -c '^epoch ' "$work/piped.txt")" -ne 2 ]; then
    echo "FAIL: piped output has no plain line per epoch:"; cat "$work/piped.txt"; failures=$((failures + 1))
else
    echo "ok: piped output is $(wc -l < "$work/piped.txt") plain lines, one per epoch, no control codes"
fi

checks=$((checks + 1))
"$loom" train --epochs 2 --quiet > "$work/quiet.txt"
if [ "$(wc -l < "$work/quiet.txt")" -ne 1 ] || ! grep -q '^test accuracy' "$work/quiet.txt"; then
    echo "FAIL: --quiet printed more than the result:"; cat "$work/quiet.txt"; failures=$((failures + 1))
else
    echo "ok: --quiet prints one line: $(cat "$work/quiet.txt")"
fi

checks=$((checks + 1))
"$loom" experiment init-variance --output "$work/init" --no-chart > "$work/experiment.log" &
experiment=$!
sleep 3
if kill -0 "$experiment" 2> /dev/null && [ -s "$work/experiment.log" ]; then
    echo "ok: a redirected experiment wrote its first line while running: $(head -c 60 "$work/experiment.log")…"
else
    echo "FAIL: after 3 s the redirected experiment had written $(wc -c < "$work/experiment.log") bytes"; failures=$((failures + 1))
fi
kill "$experiment" 2> /dev/null || true
wait "$experiment" 2> /dev/null || true

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
