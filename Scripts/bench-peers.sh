#!/usr/bin/env bash
# Loom against NumPy, PyTorch and JAX on the MLP of issue 6, in one run:
#   MLP 784-512-512-10 (ReLU), float32, batch 128, 2 threads; steps/s of a full training step
#   with SGD, momentum and Adam, and inference samples/s at batch 1024.
# Creates a virtual environment from PyPI (NumPy, PyTorch CPU, JAX CPU) on first use, builds
# loom-bench in release mode, runs every framework one at a time in interleaved rounds and
# prints a Markdown table of medians and of Loom's ratios (BENCHMARKS.md holds the latest).
#
# Usage: Scripts/bench-peers.sh [rounds]      (default 3)
# Environment: LOOM_BENCH_VENV (default .build-bench-venv), LOOM_SCRATCH (SwiftPM scratch
# path, default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
venv="${LOOM_BENCH_VENV:-.build-bench-venv}"
scratch="${LOOM_SCRATCH:-.build}"

if ! "$venv/bin/python" -c "import numpy, torch, jax" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    # The CPU build of PyTorch (no CUDA libraries); the plain wheel where that one is not found.
    "$venv/bin/pip" install --quiet numpy "jax[cpu]" "torch==2.13.0+cpu" \
        || "$venv/bin/pip" install --quiet numpy "jax[cpu]" torch
fi
swift build -c release --product loom-bench --scratch-path "$scratch" >&2

# Two threads everywhere. OPENBLAS_CORETYPE is unset so NumPy's OpenBLAS picks its best
# (AVX-512) kernel rather than the Haswell one this machine's environment forces.
export LOOM_NUM_THREADS=2 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
unset OPENBLAS_CORETYPE
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs) model $(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | xargs);" \
     "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$venv/bin/python" Scripts/bench_peers.py compare --loom "$scratch/release/loom-bench" --rounds "$rounds"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
