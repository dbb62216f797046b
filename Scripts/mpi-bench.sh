#!/usr/bin/env bash
# Data-parallel benchmark (DISTRIBUTED.md): steps/s and allreduce time per step for 1 and 2
# ranks on this machine, release build. Usage: Scripts/mpi-bench.sh [epochs]
# Fashion-MNIST (Debian's dataset-fashion-mnist) when present, else the bundled digits.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-1}"
command -v mpirun > /dev/null || { echo "mpirun not found: bash Scripts/install-dependencies.sh"; exit 1; }
source Scripts/release-loom.sh
build_release_loom --quiet
dataset=digits
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && dataset=fashion-mnist
run=(train --dataset "$dataset" --hidden 512,512 --batch-size 256 --epochs "$epochs" --no-shuffle)
root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
cores=$(nproc)
echo "== $dataset, MLP with hidden 512,512, global batch 256, $epochs epoch(s), $cores cores, $(mpirun --version | head -1)"
echo "-- 1 process, no MPI, LOOM_NUM_THREADS=$cores"
LOOM_NUM_THREADS=$cores "$loom" "${run[@]}" | grep -E "^(test accuracy|epoch .*samples)"
for ranks in 1 2; do
    threads=$(( cores / ranks > 0 ? cores / ranks : 1 ))
    echo "-- mpirun -np $ranks, LOOM_NUM_THREADS=$threads per rank"
    mpirun "${root[@]}" --oversubscribe -np "$ranks" -x LOOM_NUM_THREADS=$threads \
        "$loom" "${run[@]}" --distributed | grep -E "^(test accuracy|distributed:|epoch .*samples)"
done
if command -v mpicc > /dev/null; then
    bench="$(mktemp -d)/mpi-allreduce-bench"
    mpicc -O2 -o "$bench" Scripts/mpi-allreduce-bench.c
    echo "-- the same allreduce alone (669706 gradients + 3 totals), after a barrier"
    mpirun "${root[@]}" --oversubscribe -np 2 "$bench" 669709 200
fi
