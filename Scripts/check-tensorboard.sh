#!/usr/bin/env bash
# Reads the event files of a training run, a resumed run and an experiment with TensorBoard's
# own EventAccumulator (from PyPI) and checks them against metrics.jsonl and result.json.
#   bash Scripts/check-tensorboard.sh      (from the package root; run by .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/release-loom.sh
build_release_loom --quiet
python3 Scripts/check-tensorboard.py "$loom"
