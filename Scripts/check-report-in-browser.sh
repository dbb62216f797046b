#!/usr/bin/env bash
# Renders a `loom report` page in a real browser (headless Chromium from Debian's packages)
# and checks that it is not blank and that every figure loaded with a non-zero size; the page
# mixes experiments and training runs.
#   bash Scripts/check-report-in-browser.sh            (from the package root; run by .ci/run)
# Skips (exit 0, with a message) when no Chromium is installed:
#   apt-get install chromium   (or: bash Scripts/install-dependencies.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" > /dev/null; then browser="$candidate"; break; fi
done
if [ -z "$browser" ]; then
    echo "skip: report browser check (no chromium; install Debian's chromium package)"
    exit 0
fi

source Scripts/release-loom.sh
build_release_loom
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== three experiments on reduced grids (line plots, log axes, a heat map)"
"$loom" experiment init-variance --depth 12 --width 64 --output "$work/init-variance" --no-chart | tail -n 1
"$loom" experiment zero-init --epochs 2 --limit 300 --output "$work/zero-init" --no-chart | tail -n 1
"$loom" experiment width-depth --width 8,32 --depth 1,2 --epochs 1 --output "$work/width-depth" --no-chart | tail -n 1
echo "== and two training runs (learning curves, the runs compared, configurations side by side)"
"$loom" train --epochs 3 --validation-fraction 0.2 --output "$work/adam" --quiet
"$loom" train --epochs 3 --optimizer sgd --learning-rate 0.05 --output "$work/sgd" --quiet
"$loom" report "$work/init-variance" "$work/zero-init" "$work/width-depth" "$work/adam" "$work/sgd" --output "$work/report.html"
for text in 'id="training-runs"' 'Configurations side by side' 'Test loss per epoch, every run' 'adam: loss per epoch' 'sgd: accuracy per epoch'; do
    grep -q "$text" "$work/report.html" || { echo "FAIL: the report lacks $text"; exit 1; }
done

# A copy of the page with a probe that measures every figure after load; the report itself
# carries no script.
probe='<script>window.addEventListener("load", () => { const figures = [...document.querySelectorAll("svg, img")]; const drawn = figures.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && (e.tagName !== "IMG" || e.naturalWidth > 0); }); const p = document.createElement("pre"); p.id = "figure-check"; p.textContent = "figures-drawn " + drawn.length + "/" + figures.length; document.body.appendChild(p); });</script>'
PROBE="$probe" python3 -c 'import os, sys; page = open(sys.argv[1]).read(); open(sys.argv[2], "w").write(page.replace("</body>", os.environ["PROBE"] + "</body>"))' "$work/report.html" "$work/probe.html"
expected=$(grep -o '<svg ' "$work/report.html" | wc -l)
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000 --user-data-dir="$work/profile")
"$browser" "${flags[@]}" --dump-dom "file://$work/probe.html" 2> "$work/browser.log" > "$work/dom.html" || true
"$browser" "${flags[@]}" --window-size=1200,2400 --screenshot="$work/report.png" "file://$work/report.html" 2>> "$work/browser.log" > /dev/null || true

python3 - "$work/report.png" "$work/dom.html" "$expected" <<'PY'
import re, struct, sys, zlib
png, dom, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
failures = 0
try:
    data = open(png, "rb").read()
except OSError:
    data = b""
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print("FAIL: no screenshot was written"); sys.exit(1)
# Decode the PNG (8-bit RGB/RGBA, no interlace, as Chromium writes it) and count colours.
width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
idat, pos = b"", 8
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT": idat += data[pos + 8:pos + 8 + length]
    pos += 12 + length
raw = zlib.decompress(idat)
channels = {2: 3, 6: 4}[colour]
stride = width * channels
previous, colours, dark = bytearray(stride), set(), 0
for y in range(height):
    row_start = y * (stride + 1)
    kind, row = raw[row_start], bytearray(raw[row_start + 1:row_start + 1 + stride])
    for i in range(stride):
        left = row[i - channels] if i >= channels else 0
        up, corner = previous[i], previous[i - channels] if i >= channels else 0
        if kind == 1: row[i] = (row[i] + left) & 255
        elif kind == 2: row[i] = (row[i] + up) & 255
        elif kind == 3: row[i] = (row[i] + (left + up) // 2) & 255
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
    if y % 4 == 0:
        for x in range(0, width, 4):
            pixel = bytes(row[x * channels:x * channels + 3])
            colours.add(pixel)
            if sum(pixel) < 300: dark += 1
    previous = row
print(f"  screenshot {width}×{height}: {len(colours)} distinct colours, {dark} dark samples")
if len(colours) < 16 or dark < 100:
    print("FAIL: the screenshot is blank or nearly uniform"); failures += 1
else:
    print("ok: the page renders (not blank)")
match = re.search(r"figures-drawn (\d+)/(\d+)", open(dom).read())
if not match:
    print("FAIL: the figure probe did not run (see the browser log)"); failures += 1
else:
    drawn, total = int(match.group(1)), int(match.group(2))
    print(f"  figures with a non-zero size: {drawn} of {total} (the report embeds {expected})")
    if drawn != total or total != expected or total == 0:
        print("FAIL: not every figure loaded"); failures += 1
    else:
        print("ok: every figure loaded")
sys.exit(1 if failures else 0)
PY
