"""The peers of Loom's MLP benchmark (issue 6), one framework per process.

    python3 bench_peers.py numpy|torch|jax
    python3 bench_peers.py compare --loom PATH/loom-bench [--rounds 3]

The first form prints one JSON object per measurement, with the same model, batch, optimizers, timing
scheme and synthetic data as `loom-bench mlp` (Benchmarks/LoomBenchmarks/TrainingBench.swift):
MLP 784-512-512-10 (ReLU), float32, batch 128, a full training step (forward, softmax
cross-entropy, backward, optimizer step) per call; inference at batch 1024.
SGD lr 0.1; heavy-ball momentum 0.9 with lr 0.01; Adam lr 1e-3 (β 0.9/0.999, ε 1e-8).
Timing: 0.3 s warm-up, then 7 windows of ≥ 0.25 s; median and spread of steps/s.
The second runs Loom and each peer, one process at a time, in interleaved rounds, and prints a
Markdown table of the medians over rounds and of Loom's ratios (`Scripts/bench-peers.sh`
sets up the environment and calls it).
"""
import json
import sys
import time

import numpy as np

WIDTHS = [784, 512, 512, 10]
BATCH, INFER_BATCH = 128, 1024
WARMUP, WINDOW, SAMPLES = 0.3, 0.25, 7


def emit(framework, name, unit, values):
    values = sorted(values)
    print(json.dumps({"framework": framework, "name": name, "unit": unit,
                      "median": values[len(values) // 2], "min": values[0], "max": values[-1],
                      "samples": len(values)}), flush=True)


def measure(body, work=1.0, finish=lambda: None):
    end = time.perf_counter() + WARMUP
    while time.perf_counter() < end:
        body()
    finish()
    rates = []
    for _ in range(SAMPLES):
        calls, start = 0, time.perf_counter()
        while True:
            body()
            calls += 1
            if time.perf_counter() - start >= WINDOW:
                finish()
                break
        rates.append(work * calls / (time.perf_counter() - start))
    return rates


def data(batch, count, seed):
    rng = np.random.default_rng(seed)
    return [(rng.random((batch, WIDTHS[0]), dtype=np.float32), rng.integers(0, 10, batch))
            for _ in range(count)]


def kaiming(seed):
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(WIDTHS, WIDTHS[1:]):
        params.append((rng.standard_normal((n_in, n_out), dtype=np.float32) * np.float32(np.sqrt(2 / n_in)),
                       np.zeros(n_out, np.float32)))
    return params


OPTIMIZERS = ["sgd", "momentum", "adam"]


# ---------------------------------------------------------------- NumPy (hand-written)
def run_numpy():
    batches, big = data(BATCH, 8, 1), data(INFER_BATCH, 1, 2)[0][0]
    for opt in OPTIMIZERS:
        params = [p for layer in kaiming(0) for p in layer]
        state = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
        t = [0]
        i = [0]

        def step():
            x, y = batches[i[0] % len(batches)]
            i[0] += 1
            w1, b1, w2, b2, w3, b3 = params
            h1 = np.maximum(x @ w1 + b1, 0)
            h2 = np.maximum(h1 @ w2 + b2, 0)
            z = h2 @ w3 + b3
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            p = e / e.sum(axis=1, keepdims=True)
            p[np.arange(BATCH), y] -= 1
            dz = p / BATCH
            g3w, g3b = h2.T @ dz, dz.sum(0)
            d2 = (dz @ w3.T) * (h2 > 0)
            g2w, g2b = h1.T @ d2, d2.sum(0)
            d1 = (d2 @ w2.T) * (h1 > 0)
            g1w, g1b = x.T @ d1, d1.sum(0)
            grads = [g1w, g1b, g2w, g2b, g3w, g3b]
            t[0] += 1
            for k, (param, g) in enumerate(zip(params, grads)):
                if opt == "sgd":
                    param -= np.float32(0.1) * g
                elif opt == "momentum":
                    u = state[k][0]
                    u *= np.float32(0.9)
                    u += g
                    param -= np.float32(0.01) * u
                else:
                    m, v = state[k]
                    m *= np.float32(0.9); m += np.float32(0.1) * g
                    v *= np.float32(0.999); v += np.float32(0.001) * g * g
                    c1, c2 = 1 - 0.9 ** t[0], 1 - 0.999 ** t[0]
                    param -= np.float32(1e-3 / c1) * m / (np.sqrt(v / np.float32(c2)) + np.float32(1e-8))

        emit("numpy", opt, "steps/s", measure(step))
    w1, b1, w2, b2, w3, b3 = [p for layer in kaiming(0) for p in layer]

    def infer():
        h = np.maximum(big @ w1 + b1, 0)
        h = np.maximum(h @ w2 + b2, 0)
        return h @ w3 + b3

    emit("numpy", "infer", "samples/s", measure(infer, INFER_BATCH))


# ---------------------------------------------------------------- PyTorch eager
def run_torch():
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(2)
    batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data(BATCH, 8, 1)]
    big = torch.from_numpy(data(INFER_BATCH, 1, 2)[0][0])

    def model():
        layers = []
        for k, (w, b) in enumerate(kaiming(0)):
            lin = torch.nn.Linear(*w.shape)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.T.copy()))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if k < 2:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    for opt in OPTIMIZERS:
        net = model()
        optimizer = {"sgd": lambda: torch.optim.SGD(net.parameters(), lr=0.1),
                     "momentum": lambda: torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9),
                     "adam": lambda: torch.optim.Adam(net.parameters(), lr=1e-3)}[opt]()
        i = [0]

        def step():
            x, y = batches[i[0] % len(batches)]
            i[0] += 1
            loss = F.cross_entropy(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        emit("torch", opt, "steps/s", measure(step))
    net = model().eval()

    def infer():
        with torch.no_grad():
            return net(big)

    emit("torch", "infer", "samples/s", measure(infer, INFER_BATCH))


# ---------------------------------------------------------------- JAX jit (whole step)
def run_jax():
    import jax
    import jax.numpy as jnp
    batches = [(jnp.asarray(x), jnp.asarray(y)) for x, y in data(BATCH, 8, 1)]
    big = jnp.asarray(data(INFER_BATCH, 1, 2)[0][0])

    def forward(params, x):
        for k, (w, b) in enumerate(params):
            x = x @ w + b
            if k < len(params) - 1:
                x = jax.nn.relu(x)
        return x

    def loss_fn(params, x, y):
        logp = jax.nn.log_softmax(forward(params, x))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    tmap = jax.tree_util.tree_map

    @jax.jit
    def sgd(params, state, x, y):
        loss, g = jax.value_and_grad(loss_fn)(params, x, y)
        return tmap(lambda p, g: p - 0.1 * g, params, g), state, loss

    @jax.jit
    def momentum(params, state, x, y):
        loss, g = jax.value_and_grad(loss_fn)(params, x, y)
        u = tmap(lambda u, g: 0.9 * u + g, state, g)
        return tmap(lambda p, u: p - 0.01 * u, params, u), u, loss

    @jax.jit
    def adam(params, state, x, y):
        loss, g = jax.value_and_grad(loss_fn)(params, x, y)
        m, v, t = state
        t = t + 1
        m = tmap(lambda m, g: 0.9 * m + 0.1 * g, m, g)
        v = tmap(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
        c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
        params = tmap(lambda p, m, v: p - 1e-3 / c1 * m / (jnp.sqrt(v / c2) + 1e-8), params, m, v)
        return params, (m, v, t), loss

    for opt, fn in [("sgd", sgd), ("momentum", momentum), ("adam", adam)]:
        params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in kaiming(0)]
        zeros = tmap(jnp.zeros_like, params)
        box = [params, {"sgd": (), "momentum": zeros, "adam": (zeros, zeros, jnp.float32(0))}[opt], None]
        i = [0]

        def step():
            x, y = batches[i[0] % len(batches)]
            i[0] += 1
            box[0], box[1], box[2] = fn(box[0], box[1], x, y)

        emit("jax", opt, "steps/s", measure(step, finish=lambda: box[2].block_until_ready()))
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in kaiming(0)]
    infer_fn = jax.jit(forward)
    out = [None]

    def infer():
        out[0] = infer_fn(params, big)

    emit("jax", "infer", "samples/s", measure(infer, INFER_BATCH, finish=lambda: out[0].block_until_ready()))


# ---------------------------------------------------------------- the comparison
FRAMEWORKS = ["loom", "numpy", "torch", "jax"]
LABELS = {"loom": "Loom", "numpy": "NumPy (OpenBLAS, hand-written)", "torch": "PyTorch eager", "jax": "JAX jit"}


def run_one(framework, loom):
    """Runs one framework's process; returns {name: median} and its peak RSS in MiB."""
    import os
    import subprocess
    cmd = [loom, "mlp784"] if framework == "loom" else [sys.executable, __file__, framework]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{framework} failed with status {status}")
    results = {}
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        name = record["name"]
        if framework == "loom":
            if not name.startswith(("train ", "infer ")):
                continue
            name = "infer" if name.startswith("infer") else name.split()[3]
        results[name] = record["median"]
    return results, usage.ru_maxrss / 1024


def compare(loom, rounds):
    import statistics
    medians = {f: {} for f in FRAMEWORKS}
    memory = {f: 0.0 for f in FRAMEWORKS}
    for r in range(rounds):
        order = FRAMEWORKS[r % len(FRAMEWORKS):] + FRAMEWORKS[:r % len(FRAMEWORKS)]
        for framework in order:
            results, rss = run_one(framework, loom)
            print(f"round {r + 1} {framework}: " + ", ".join(f"{k} {v:,.0f}" for k, v in results.items())
                  + f", peak RSS {rss:.0f} MiB", file=sys.stderr, flush=True)
            memory[framework] = max(memory[framework], rss)
            for name, value in results.items():
                medians[framework].setdefault(name, []).append(value)
    columns = [("sgd", "SGD steps/s"), ("momentum", "momentum steps/s"), ("adam", "Adam steps/s"),
               ("infer", "inference samples/s (batch 1024)")]
    med = {f: {k: statistics.median(v) for k, v in medians[f].items()} for f in FRAMEWORKS}
    print("| framework | " + " | ".join(title for _, title in columns) + " | peak RSS (MiB) |")
    print("|---" * (len(columns) + 2) + "|")
    for f in FRAMEWORKS:
        cells = []
        for key, _ in columns:
            value = med[f].get(key)
            if value is None:
                cells.append("—")
            elif f == "loom":
                cells.append(f"**{value:,.0f}**")
            else:
                cells.append(f"{value:,.0f} (Loom {med['loom'][key] / value:.2f}×)")
        print(f"| {LABELS[f]} | " + " | ".join(cells) + f" | {memory[f]:.0f} |")
    print(f"\nMedians of {rounds} interleaved rounds; (Loom n×) is Loom's median over the peer's. "
          "Targets (issue 6): training ≥ 1.1× JAX and ≥ 2× PyTorch; inference ≥ 1.1× NumPy.")


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("mode")
        parser.add_argument("--loom", required=True)
        parser.add_argument("--rounds", type=int, default=3)
        arguments = parser.parse_args()
        compare(arguments.loom, arguments.rounds)
    else:
        {"numpy": run_numpy, "torch": run_torch, "jax": run_jax}[sys.argv[1]]()
