#!/usr/bin/env bash
# Builds the DocC documentation of every library module (swift-docc-plugin) and fails on any
# warning: an unresolved symbol link, an article or topic that names nothing.
#   bash Scripts/check-documentation.sh      (from the package root; run by .ci/run)
# The archives land in .build/plugins/Swift-DocC/outputs/MODULE.doccarchive.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=(Loom LoomNN LoomOptimizers LoomData LoomTraining LoomExperiments LoomDistributed LoomCommandLine)
targets=()
for module in "${modules[@]}"; do
    [ -f "Sources/$module/$module.docc/$module.md" ] || { echo "FAIL: Sources/$module has no DocC catalog"; exit 1; }
    targets+=(--target "$module")
done
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
start=$SECONDS
if ! swift package generate-documentation "${targets[@]}" --warnings-as-errors > "$log" 2>&1; then
    grep -E "warning|error" "$log" | head -40
    echo "FAIL: the documentation has warnings or errors (full log above, first 40 lines)"
    exit 1
fi
for module in "${modules[@]}"; do
    archive=".build/plugins/Swift-DocC/outputs/$module.doccarchive"
    [ -d "$archive/data/documentation" ] || { echo "FAIL: no archive for $module"; exit 1; }
done
echo "ok: ${#modules[@]} modules documented without warnings in $((SECONDS - start)) s"
