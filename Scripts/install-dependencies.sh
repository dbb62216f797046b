#!/usr/bin/env bash
# Installs what Loom needs from Debian's packages, only what is missing:
# - zlib1g-dev: zlib's headers, for reading gzip-compressed IDX files (needed to build);
# - dataset-fashion-mnist: Fashion-MNIST under /usr/share/datasets (optional: `loom train
#   --dataset fashion-mnist` and the acceptance run use it);
# - chromium: a headless browser for Scripts/check-report-in-browser.sh (optional: the check
#   skips without it);
# - tmux: a terminal for Scripts/check-terminal.sh (optional: only that check needs it);
# - tensorboard (PyPI, with pip): its EventAccumulator reads Loom's event files in
#   Scripts/check-tensorboard.py (optional: Loom needs it neither to build nor to test);
# - openmpi-bin, libopenmpi-dev: Open MPI, for `mpirun … loom train --distributed` and its
#   tests (optional: Loom loads libmpi at run time, builds without it, and the tests skip).
# Needs root (or sudo) on Debian/Ubuntu; elsewhere it says what to install and exits.
set -euo pipefail
if command -v python3 > /dev/null && ! python3 -c "import tensorboard" 2> /dev/null; then
    python3 -m pip install -q tensorboard || echo "could not install tensorboard from PyPI (only Scripts/check-tensorboard.py needs it)"
fi
missing=()
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
command -v chromium > /dev/null || missing+=(chromium)
command -v tmux > /dev/null || missing+=(tmux)
command -v mpirun > /dev/null || missing+=(openmpi-bin)
[ -f /usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h ] || [ -f /usr/include/x86_64-linux-gnu/mpi/mpi.h ] || missing+=(libopenmpi-dev)
if [ ${#missing[@]} -eq 0 ]; then
    echo "all present"
    exit 0
fi
if ! command -v apt-get > /dev/null; then
    echo "please install: ${missing[*]} (zlib's headers are required to build)"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
