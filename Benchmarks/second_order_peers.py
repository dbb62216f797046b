#!/usr/bin/env python3
"""The second-order table of BENCHMARKS.md, in one run: Loom (loom-bench second-order, and
`loom experiment hessian` on MNIST) beside JAX, PyTorch and NumPy (OpenBLAS's LAPACK dsyevd).

    swift build -c release --product loom-bench --product loom
    pip install numpy torch==2.13.0+cpu jax      # the peers only; Loom needs none of them
    python3 Benchmarks/second_order_peers.py [--mnist DIR] [--skip-mnist]

Inputs are rebuilt from the integer formulas of Benchmarks/LoomBenchmarks/SecondOrderBench.swift,
so every library sees the same matrices and the same network:
  matrix   a_ij = ((i·j + 3(i + j)) · 2654435761 mod 1000003) / 1000003 − ½   (n = 650, 2000)
  network  MLP 64-16-10 (ReLU), cross-entropy over 1,437 examples x_ij = ((7i + 13j) mod 17)/16,
           labels i mod 10, θ_p = 0.3 sin(1.3p + 0.5), W stored [in, out], float64.
Each timing is the fastest of a few calls after a warm-up (JIT compilation excluded for JAX).
The peers run with as many threads as they like; NumPy is also timed with one OpenBLAS thread,
since on a shared 2-core machine OpenBLAS's spinning threads can be many times slower.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

# The peers' Newton step solves (H + SHIFT·I) p = −g: this network's Hessian is singular (dead
# units, constant inputs), where an unshifted solve fails; Loom's step runs its safeguard.
SHIFT = 1e-4
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def fastest(fn, repeats=3, warm=True):
    if warm:
        fn()
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def loom_bench(directory):
    binary = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.strip()
    out = subprocess.run([os.path.join(binary, "loom-bench"), "second-order", directory],
                         capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {row["name"]: row for row in rows}, binary


def benchmark_matrix(n):
    import numpy as np
    i = np.arange(n, dtype=np.int64)
    k = (np.outer(i, i) + 3 * (i[:, None] + i[None, :])) * 2654435761 % 1000003
    return k.astype(np.float64) / 1000003 - 0.5


def network_inputs():
    import numpy as np
    i = np.arange(1437)[:, None]
    j = np.arange(64)[None, :]
    x = ((7 * i + 13 * j) % 17).astype(np.float64) / 16
    y = np.arange(1437) % 10
    theta = 0.3 * np.sin(1.3 * np.arange(64 * 16 + 16 + 160 + 10) + 0.5)
    v = np.cos(0.7 * np.arange(theta.size))
    return x, y, theta, v


def numpy_eigh(threads):
    """Timings in a subprocess, so that OPENBLAS_NUM_THREADS takes effect."""
    code = f"""
import json, sys, time, numpy as np
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
from second_order_peers import benchmark_matrix, fastest
result = {{}}
for n in (650, 2000):
    a = benchmark_matrix(n)
    result[f"eigh {{n}}"] = fastest(lambda: np.linalg.eigh(a), repeats=2 if n == 650 else 1, warm=n == 650)
    result[f"eigvalsh {{n}}"] = fastest(lambda: np.linalg.eigvalsh(a), repeats=2 if n == 650 else 1, warm=n == 650)
    result[f"values {{n}}"] = np.linalg.eigvalsh(a).tolist()
print(json.dumps(result))
"""
    env = dict(os.environ)
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def jax_times():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    x, y, theta, v = (jnp.asarray(a) for a in network_inputs())

    def loss(t):
        w1 = t[:1024].reshape(64, 16); b1 = t[1024:1040]
        w2 = t[1040:1200].reshape(16, 10); b2 = t[1200:]
        logits = jax.nn.relu(x @ w1 + b1) @ w2 + b2
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(1437), y])

    grad = jax.jit(jax.grad(loss))
    hvp = jax.jit(lambda t, d: jax.grad(lambda s: jnp.vdot(jax.grad(loss)(s), d))(t))
    hessian = jax.jit(jax.hessian(loss))
    newton = jax.jit(lambda t: t - jnp.linalg.solve(jax.hessian(loss)(t) + SHIFT * jnp.eye(t.size), jax.grad(loss)(t)))
    block = lambda f: (lambda: jax.block_until_ready(f()))
    return {
        "gradient": fastest(block(lambda: grad(theta)), repeats=20),
        "hvp": fastest(block(lambda: hvp(theta, v)), repeats=20),
        "hessian": fastest(block(lambda: hessian(theta))),
        "newton": fastest(block(lambda: newton(theta))),
    }


def torch_times():
    import torch
    from torch.func import grad, hessian
    torch.set_default_dtype(torch.float64)
    x, y, theta, v = (torch.as_tensor(a) for a in network_inputs())

    def loss(t):
        w1 = t[:1024].reshape(64, 16); b1 = t[1024:1040]
        w2 = t[1040:1200].reshape(16, 10); b2 = t[1200:]
        return torch.nn.functional.cross_entropy(torch.relu(x @ w1 + b1) @ w2 + b2, y)

    def hvp():
        return torch.func.jvp(grad(loss), (theta,), (v,))[1]

    def newton():
        return theta - torch.linalg.solve(hessian(loss)(theta) + SHIFT * torch.eye(theta.numel()), grad(loss)(theta))

    return {
        "gradient": fastest(lambda: grad(loss)(theta), repeats=20),
        "hvp": fastest(hvp, repeats=20),
        "hessian": fastest(lambda: hessian(loss)(theta)),
        "newton": fastest(newton),
    }


def ulps(loom_values, reference):
    import numpy as np
    loom_values, reference = np.asarray(loom_values), np.asarray(reference)
    return float(np.abs(loom_values - reference).max() / np.spacing(np.abs(reference).max()))


def main():
    import numpy as np
    mnist = None
    if "--mnist" in sys.argv:
        mnist = sys.argv[sys.argv.index("--mnist") + 1]
    elif os.path.isdir(os.path.join(ROOT, "..", "shared", "data", "mnist")):
        mnist = os.path.join(ROOT, "..", "shared", "data", "mnist")
    directory = tempfile.mkdtemp(prefix="loom-second-order-")
    loom, binary = loom_bench(directory)
    peers = {"jax": jax_times(), "torch": torch_times()}
    lapack_default, lapack_single = numpy_eigh(None), numpy_eigh(1)
    mnist_seconds = None
    if mnist and "--skip-mnist" not in sys.argv:
        start = time.perf_counter()
        subprocess.run([os.path.join(binary, "loom"), "experiment", "hessian", "--hidden", "512,512", "--dataset", "mnist",
                        "--data", mnist, "--output", os.path.join(directory, "hessian-mnist")], check=True, capture_output=True)
        mnist_seconds = time.perf_counter() - start

    def get(name):
        return loom[name]["seconds"]

    lines = ["| measurement | Loom | JAX | PyTorch | NumPy / OpenBLAS LAPACK (default threads; 1 thread) | Loom vs best peer |",
             "|---|---|---|---|---|---|"]

    def row(label, mine, jax_value=None, torch_value=None, lapack=None):
        cells = [f"{mine:.4g} s"]
        for value in (jax_value, torch_value):
            cells.append(f"{value:.4g} s" if value is not None else "—")
        cells.append(f"{lapack[0]:.4g} s; {lapack[1]:.4g} s" if lapack else "—")
        best = min(v for v in (jax_value, torch_value, *(lapack or ())) if v is not None)
        cells.append(f"{best / mine:.2f}× ({'faster' if mine < best else 'slower'})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    mlp = "MLP 64-16-10, 1,437 examples, f64"
    row(f"gradient, {mlp}", get("gradient MLP 64-16-10 digits-shaped f64"), peers["jax"]["gradient"], peers["torch"]["gradient"])
    row(f"one Hessian-vector product, {mlp}", get("hvp MLP 64-16-10 digits-shaped f64"), peers["jax"]["hvp"], peers["torch"]["hvp"])
    row(f"dense Hessian (1,210²), {mlp}", get("hessian MLP 64-16-10 digits-shaped f64"), peers["jax"]["hessian"], peers["torch"]["hessian"])
    row(f"Newton step (Hessian + solve), {mlp}", get("newton step MLP 64-16-10 digits-shaped f64"), peers["jax"]["newton"], peers["torch"]["newton"])
    for n in (650, 2000):
        backend = "lapack" if f"eigendecomposition n={n} lapack (values and vectors)" in loom else "swift"
        for suffix in ([backend, "swift"] if backend == "lapack" else ["swift"]):
            row(f"eigendecomposition n = {n}, values and vectors (Loom: {suffix})",
                get(f"eigendecomposition n={n} {suffix} (values and vectors)"),
                lapack=(lapack_default[f"eigh {n}"], lapack_single[f"eigh {n}"]))
            row(f"eigenvalues only n = {n} (Loom: {suffix})", get(f"eigenvalues n={n} {suffix}"),
                lapack=(lapack_default[f"eigvalsh {n}"], lapack_single[f"eigvalsh {n}"]))
    lines.append("")
    hvp_ratio = get("hvp MLP 64-16-10 digits-shaped f64") / get("gradient MLP 64-16-10 digits-shaped f64")
    lines.append(f"- One HVP costs {hvp_ratio:.2f} gradients in Loom "
                 f"(JAX {peers['jax']['hvp'] / peers['jax']['gradient']:.2f}, PyTorch {peers['torch']['hvp'] / peers['torch']['gradient']:.2f}).")
    lines.append(f"- Cholesky n = 1,210 (Swift): {get('cholesky n=1210'):.4g} s.")
    for n in (650, 2000):
        for suffix in ("lapack", "swift"):
            path = os.path.join(directory, f"loom-eigenvalues-{n}-{suffix}.txt")
            if os.path.exists(path):
                lines.append(f"- n = {n}, Loom {suffix}: eigenvalues within {ulps(np.loadtxt(path), lapack_default[f'values {n}']):.0f} ulp "
                             f"of max|λ| of NumPy's (bound asked: 10·n = {10 * n}).")
    lines.append(f"- LAPACK loaded by Loom: {loom['lapack']['library']}.")
    if mnist_seconds is not None:
        lines.append(f"- `loom experiment hessian --hidden 512,512 --dataset mnist` (669,706 parameters): {mnist_seconds:.1f} s end to end.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
