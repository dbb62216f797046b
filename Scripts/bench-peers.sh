#!/usr/bin/env bash
# Loom against NumPy, PyTorch and JAX on the MLP benchmark, in one run:
#   MLP 784-512-512-10 (ReLU), float32, batch 128, 2 threads; steps/s of a full training step
#   with SGD, momentum and Adam, and inference samples/s at batch 1024; each figure also as a
#   % of the FMA ceiling measured in the same run (Benchmarks/fma_peak.c).
# Uses the Python that has NumPy, PyTorch and JAX, or creates a virtual environment from PyPI;
# builds loom-bench in release mode; runs every framework one at a time in interleaved rounds
# and prints Markdown tables (BENCHMARKS.md holds the latest).
#
# Usage: Scripts/bench-peers.sh [--isa avx2|avx512|portable|native] [--busy] [--scaling] [--gemm] [rounds]
#   --isa      puts Loom and every peer on one instruction set (default native: each its best):
#                Loom     LOOM_ISA=avx2|avx512|portable
#                NumPy    OPENBLAS_CORETYPE=Haswell|SkylakeX|Nehalem
#                PyTorch  MKL_ENABLE_INSTRUCTIONS=AVX2|AVX512|SSE4_2, ATEN_CPU_CAPABILITY=avx2|avx512|default,
#                         DNNL_MAX_CPU_ISA=AVX2|AVX512_CORE|SSE41
#                JAX      XLA_FLAGS=--xla_cpu_max_isa=AVX2|AVX512|SSE4_2
#              (portable: Loom's SSE2 build against the peers' SSE4 kernels, the nearest they have)
#              and prints what each library reports it runs with (bench_peers.py isa-check).
#   --busy     every round runs each framework alone and beside one CPU-bound process of
#              another program, and prints both tables and how Loom's ratios moved.
#   --scaling  the SGD step of 784-W-W-10 for W = 256, 1024, 4096 and batches 32, 128, 1024
#              (Loom, PyTorch, JAX), table and Benchmarks/scaling.svg.
#   --gemm     Loom's GEMM on the chosen path against OpenBLAS on the same ISA (Benchmarks/GEMM.md).
# Environment: LOOM_BENCH_VENV (default .build-bench-venv), LOOM_SCRATCH (SwiftPM scratch
# path, default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
isa=native busy="" mode=compare rounds=""
while [ $# -gt 0 ]; do
    case "$1" in
        --isa) isa="${2:?--isa needs avx2, avx512 or native}"; shift 2 ;;
        --isa=*) isa="${1#--isa=}"; shift ;;
        --busy) busy=--busy; shift ;;
        --scaling) mode=scaling; shift ;;
        --gemm) mode=gemm; shift ;;
        [0-9]*) rounds="$1"; shift ;;
        *) echo "bench-peers.sh: unknown argument $1 (see the header of this script)" >&2; exit 2 ;;
    esac
done
case "$isa" in native|avx2|avx512|portable) ;; *) echo "bench-peers.sh: --isa must be avx2, avx512, portable or native, not $isa" >&2; exit 2 ;; esac
venv="${LOOM_BENCH_VENV:-.build-bench-venv}"
scratch="${LOOM_SCRATCH:-.build}"

python=python3
if ! python3 -c "import numpy, torch, jax, threadpoolctl" 2>/dev/null; then
    python="$venv/bin/python"
    if ! "$python" -c "import numpy, torch, jax, threadpoolctl" 2>/dev/null; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --upgrade pip
        # The CPU build of PyTorch (no CUDA libraries); the plain wheel where that one is not found.
        "$venv/bin/pip" install --quiet numpy threadpoolctl "jax[cpu]" "torch==2.13.0+cpu" \
            || "$venv/bin/pip" install --quiet numpy threadpoolctl "jax[cpu]" torch
    fi
fi
swift build -c release --product loom-bench --scratch-path "$scratch" >&2
fma="$scratch/fma_peak"
cc -O2 -pthread Benchmarks/fma_peak.c -o "$fma"

# Two threads everywhere.
export LOOM_NUM_THREADS=2 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
unset OPENBLAS_CORETYPE LOOM_ISA MKL_ENABLE_INSTRUCTIONS ATEN_CPU_CAPABILITY DNNL_MAX_CPU_ISA
flags="$(grep -m1 '^flags' /proc/cpuinfo)"
if [ "$isa" = avx512 ] && ! grep -qw avx512f <<<"$flags"; then
    echo "bench-peers.sh: this CPU has no AVX-512 (flags of /proc/cpuinfo); run --isa avx2 or native" >&2
    exit 2
fi
case "$isa" in
    avx2)
        export LOOM_ISA=avx2 OPENBLAS_CORETYPE=Haswell MKL_ENABLE_INSTRUCTIONS=AVX2 \
               ATEN_CPU_CAPABILITY=avx2 DNNL_MAX_CPU_ISA=AVX2 XLA_FLAGS="${XLA_FLAGS:-} --xla_cpu_max_isa=AVX2" ;;
    avx512)
        export LOOM_ISA=avx512 OPENBLAS_CORETYPE=SkylakeX MKL_ENABLE_INSTRUCTIONS=AVX512 \
               ATEN_CPU_CAPABILITY=avx512 DNNL_MAX_CPU_ISA=AVX512_CORE XLA_FLAGS="${XLA_FLAGS:-} --xla_cpu_max_isa=AVX512" ;;
    portable)
        export LOOM_ISA=portable OPENBLAS_CORETYPE=Nehalem MKL_ENABLE_INSTRUCTIONS=SSE4_2 \
               ATEN_CPU_CAPABILITY=default DNNL_MAX_CPU_ISA=SSE41 XLA_FLAGS="${XLA_FLAGS:-} --xla_cpu_max_isa=SSE4_2" ;;
esac
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs) model $(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "$(nproc) CPUs; --isa $isa; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" Scripts/bench_peers.py isa-check
case "$mode" in
    compare) "$python" Scripts/bench_peers.py compare --loom "$scratch/release/loom-bench" --fma "$fma" --rounds "${rounds:-3}" $busy ;;
    scaling) "$python" Scripts/bench_peers.py scaling --loom "$scratch/release/loom-bench" --fma "$fma" --rounds "${rounds:-1}" \
                 --svg Benchmarks/scaling.svg ;;
    gemm) "$python" Benchmarks/gemm_table.py --loom "$scratch/release/loom-bench" --fma "$fma" \
              --isa "$( [ "$isa" = native ] && { grep -qw avx512f <<<"$flags" && echo avx512 || echo avx2; } || echo "$isa")" \
              --rounds "${rounds:-2}" ;;
esac
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
