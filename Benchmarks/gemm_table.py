"""Loom's GEMM against NumPy's OpenBLAS restricted to the same instruction set, with the FMA
ceiling of the same run: the tables of Benchmarks/GEMM.md.

    python3 Benchmarks/gemm_table.py --loom .build/release/loom-bench --fma /tmp/fma_peak --isa avx2 [--rounds 2]

For each round: the FMA ceiling (Benchmarks/fma_peak.c, 1 and 2 threads), Loom's products on the
chosen path (LOOM_ISA), then NumPy on 1 and on 2 threads with OPENBLAS_CORETYPE set to the
OpenBLAS kernel of that instruction set (avx512: SkylakeX, avx2: Haswell, portable: Nehalem,
SSE4.2 without AVX, the nearest of OpenBLAS's to Loom's SSE2 portable build). Each figure is the
median over rounds of each round's median; the ceiling is the highest of the run. The OpenBLAS
kernel actually loaded is read back with threadpoolctl and printed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

CORETYPE = {"avx512": "SkylakeX", "avx2": "Haswell", "portable": "Nehalem"}


def lines(cmd, env):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return out, [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--loom", required=True)
    parser.add_argument("--fma", required=True)
    parser.add_argument("--isa", choices=sorted(CORETYPE), required=True)
    parser.add_argument("--rounds", type=int, default=2)
    a = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    ceiling = {}
    loom, blas = {}, {}
    kernel = "?"
    for _ in range(a.rounds):
        _, peaks = lines([a.fma, "--json", "1"], os.environ)
        for r in peaks:
            isa, threads = r["name"].split()[1:3]
            if isa == a.isa:
                ceiling[threads] = max(ceiling.get(threads, 0), r["median"])
        env = dict(os.environ, LOOM_ISA=a.isa)
        _, records = lines([a.loom, "gemm"], env)
        for r in records:
            precision, shape, threads, isa = r["name"].split(" ", 1)[0], r["name"].split()[1:-2], r["name"].split()[-2], r["name"].split()[-1]
            if isa == a.isa:
                loom.setdefault((precision, " ".join(shape), threads), []).append(r["median"])
        for threads in (1, 2):
            env = dict(os.environ, OPENBLAS_CORETYPE=CORETYPE[a.isa], OPENBLAS_NUM_THREADS=str(threads))
            labels = list(dict.fromkeys(shape for (_, shape, _) in loom))  # Loom's products, in its order
            out, records = lines([sys.executable, os.path.join(here, "numpy_gemm.py"), str(threads), *labels], env)
            kernel = out.stderr.strip() or kernel
            for r in records:
                precision, rest = r["name"].split(" ", 1)
                shape = " ".join(rest.split()[:-2])
                blas.setdefault((precision, shape, f"{threads}t"), []).append(r["median"])
    print(f"Path {a.isa}; OpenBLAS with OPENBLAS_CORETYPE={CORETYPE[a.isa]} ({kernel}). FMA ceiling in this run "
          f"(float32; float64 is half): {ceiling.get('1t', 0):.1f} GFLOP/s on 1 thread, {ceiling.get('2t', 0):.1f} on 2; "
          f"medians of {a.rounds} rounds.\n")
    print("| product (M×K×N) | threads | Loom GFLOP/s | % of ceiling | OpenBLAS GFLOP/s | % of ceiling | Loom / OpenBLAS |")
    print("|---|---|---|---|---|---|---|")
    for key in sorted(loom, key=lambda k: (k[0], list(loom).index(k))):
        precision, shape, threads = key
        peak = ceiling.get(threads, 0) / (2 if precision == "dgemm" else 1)
        mine = statistics.median(loom[key])
        theirs = statistics.median(blas[key]) if key in blas else None
        pct = lambda v: f"{100 * v / peak:.0f}%" if peak else "—"
        if theirs:
            print(f"| {precision} {shape} | {threads[:-1]} | {mine:.1f} | {pct(mine)} | {theirs:.1f} | {pct(theirs)} | {mine / theirs:.2f} |")
        else:
            print(f"| {precision} {shape} | {threads[:-1]} | {mine:.1f} | {pct(mine)} | — | — | — |")


if __name__ == "__main__":
    main()
