"""NumPy/OpenBLAS reference for loom-bench's GEMM shapes, same timing scheme and JSON lines.

Usage: numpy_gemm.py THREADS LABEL..., each LABEL as loom-bench names a product: "MxKxN",
with " At" / " Bt" when that operand is a transposed view ("784x128x512 At"). gemm_table.py
passes the labels of the products loom-bench timed, so both time the same list. By hand
(unset OPENBLAS_CORETYPE, which this machine's environment sets to Haswell):
    env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 python3 Benchmarks/numpy_gemm.py 1 "128x784x512" "784x128x512 At"
"""
import os, sys, time, json
import numpy as np
def bench(name, f, flops, samples=9, window=0.04):
    t_end = time.perf_counter() + 0.06
    while time.perf_counter() < t_end: f()
    rates = []
    for _ in range(samples):
        calls = 0; t0 = time.perf_counter()
        while True:
            f(); calls += 1
            el = time.perf_counter() - t0
            if el >= window: break
        rates.append(flops * calls / el * 1e-9)
    rates.sort()
    print(json.dumps({"name": name, "unit": "GFLOP/s", "median": round(rates[len(rates)//2], 3), "min": round(rates[0], 3), "max": round(rates[-1], 3), "samples": samples}), flush=True)
threads = int(sys.argv[1])
try:  # report which OpenBLAS kernel is active (needs threadpoolctl)
    import threadpoolctl
    info = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpoolctl.threadpool_info()]
    print("# blas:", info, file=sys.stderr)
except ImportError:
    print("# threadpoolctl not installed: OpenBLAS kernel unknown", file=sys.stderr)
rng = np.random.default_rng(0)
if len(sys.argv) < 3:
    sys.exit(__doc__)


def shape(label):
    """(m, k, n, A transposed, B transposed) from a label such as "784x128x512 At"."""
    dims, *marks = label.split()
    m, k, n = (int(v) for v in dims.split("x"))
    return m, k, n, "At" in marks, "Bt" in marks


shapes = [shape(label) for label in sys.argv[2:]]
for dt, pre in [(np.float32, "sgemm"), (np.float64, "dgemm")]:
    for (m,k,n,ta,tb) in shapes:
        A = rng.uniform(-1,1,(k,m)).astype(dt).T if ta else rng.uniform(-1,1,(m,k)).astype(dt)
        B = rng.uniform(-1,1,(n,k)).astype(dt).T if tb else rng.uniform(-1,1,(k,n)).astype(dt)
        C = np.empty((m,n), dt)
        label = f"{m}x{k}x{n}" + (" At" if ta else "") + (" Bt" if tb else "")
        bench(f"{pre} {label} {threads}t numpy", lambda: np.matmul(A, B, out=C), 2.0*m*n*k)
