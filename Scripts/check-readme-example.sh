#!/usr/bin/env bash
# The README's Swift program and the getting-started article are Examples/GettingStarted/main.swift,
# character for character; then it is compiled and run, and must reach 90% test accuracy.
#   bash Scripts/check-readme-example.sh      (from the package root; run by .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import re, sys
example = open("Examples/GettingStarted/main.swift").read()
failures = 0
for path in ["README.md", "Sources/Loom/Loom.docc/GettingStarted.md"]:
    blocks = re.findall(r"```swift\n(.*?)```", open(path).read(), re.S)
    programs = [block for block in blocks if block.startswith("import Foundation\nimport Loom\n")]
    if programs != [example]:
        failures += 1
        print(f"FAIL: {path}'s Swift program differs from Examples/GettingStarted/main.swift (or is missing)")
    else:
        print(f"ok: {path} holds Examples/GettingStarted/main.swift, {example.count(chr(10))} lines")
sys.exit(1 if failures else 0)
PY
swift build --product GettingStarted > /dev/null
output="$("$(swift build --show-bin-path)/GettingStarted")"
echo "$output" | tail -n 2
accuracy=$(echo "$output" | sed -n 's/^test accuracy //p')
python3 -c "import sys; a = float(sys.argv[1]); print('ok: the example trains to', a); sys.exit(0 if a >= 0.9 else 1)" "${accuracy:-0}"
