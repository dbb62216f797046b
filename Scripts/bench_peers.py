"""The peers of Loom's MLP benchmark, one framework per process, and the comparisons.

    python3 bench_peers.py numpy|torch|jax [--widths 784,512,512,10] [--batch 128] [--only sgd]
    python3 bench_peers.py compare --loom PATH/loom-bench [--rounds 3] [--busy] [--fma PATH/fma_peak]
    python3 bench_peers.py scaling --loom PATH/loom-bench [--rounds 1] [--fma PATH/fma_peak] [--svg FILE]
    python3 bench_peers.py isa-check

The first form prints one JSON object per measurement, with the same model, batch, optimizers, timing
scheme and synthetic data as `loom-bench mlp` (Benchmarks/LoomBenchmarks/TrainingBench.swift):
by default MLP 784-512-512-10 (ReLU), float32, batch 128, a full training step (forward, softmax
cross-entropy, backward, optimizer step) per call; inference at batch 1024.
SGD lr 0.1; heavy-ball momentum 0.9 with lr 0.01; Adam lr 1e-3 (β 0.9/0.999, ε 1e-8).
Timing: 0.3 s warm-up, then 7 windows of ≥ 0.25 s (longer for big shapes); median and spread.

`compare` runs Loom and each peer, one process at a time, in interleaved rounds, and prints a
Markdown table of the medians over rounds, Loom's ratios, each figure as a % of the FMA ceiling
measured in the same run (Benchmarks/fma_peak.c, 2 threads, at the start and the end), and the
peak RSS. With --busy every round runs each framework twice, alone and beside one CPU-bound
process of another program (`python3 -c "while True: pass"`), and prints both tables and how each
ratio moved. `scaling` times the SGD step of 784-W-W-10 for widths 256, 1024, 4096 and batches
32, 128, 1024 in Loom, PyTorch and JAX and prints the table (and an SVG plot with --svg).
`isa-check` prints the instruction set each peer is running with under the current environment
(Scripts/bench-peers.sh --isa sets it). Scripts/bench-peers.sh sets up the environment and calls these.
"""
import json
import sys
import time

import numpy as np

WIDTHS = [784, 512, 512, 10]
BATCH, INFER_BATCH = 128, 1024
WARMUP, WINDOW, SAMPLES = 0.3, 0.25, 7
OPTIMIZERS = ["sgd", "momentum", "adam"]
INFER = True  # the inference measurement runs only for the default shape


def step_flop(widths, batch):
    """FLOP of one training step: forward, every weight gradient, every input gradient but the
    first layer's (the same count as trainingStepFLOP in TrainingBench.swift)."""
    layers = [2.0 * batch * a * b for a, b in zip(widths, widths[1:])]
    return 2 * sum(layers) + sum(layers[1:])


def infer_flop(widths):
    return sum(2.0 * a * b for a, b in zip(widths, widths[1:]))


def configure(argv):
    """Reads --widths/--batch/--only for one framework's process; sizes the windows to the step."""
    global WIDTHS, BATCH, OPTIMIZERS, INFER, WARMUP, WINDOW, SAMPLES
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("framework")
    parser.add_argument("--widths", default="784,512,512,10")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--only", default=None)
    args = parser.parse_args(argv)
    WIDTHS = [int(w) for w in args.widths.split(",")]
    BATCH = args.batch
    if args.only:
        OPTIMIZERS = [args.only]
    INFER = WIDTHS == [784, 512, 512, 10] and BATCH == 128 and not args.only
    # As loom-bench's `shape` mode: at least three steps a window at a conservative 120 GFLOP/s.
    seconds = step_flop(WIDTHS, BATCH) / 120e9
    WINDOW = max(WINDOW, 3 * seconds)
    WARMUP = max(WARMUP, 2 * seconds)
    SAMPLES = 5 if seconds > 0.1 else SAMPLES
    return args.framework


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
    return [(rng.random((batch, WIDTHS[0]), dtype=np.float32), rng.integers(0, WIDTHS[-1], batch))
            for _ in range(count)]


def kaiming(seed):
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(WIDTHS, WIDTHS[1:]):
        params.append((rng.standard_normal((n_in, n_out), dtype=np.float32) * np.float32(np.sqrt(2 / n_in)),
                       np.zeros(n_out, np.float32)))
    return params



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
            layers = len(params) // 2
            hs = [x]
            for l in range(layers):
                z = hs[-1] @ params[2 * l] + params[2 * l + 1]
                hs.append(np.maximum(z, 0) if l < layers - 1 else z)
            z = hs[-1] - hs[-1].max(axis=1, keepdims=True)
            e = np.exp(z)
            p = e / e.sum(axis=1, keepdims=True)
            p[np.arange(BATCH), y] -= 1
            d = p / BATCH
            grads = [None] * len(params)
            for l in reversed(range(layers)):
                grads[2 * l], grads[2 * l + 1] = hs[l].T @ d, d.sum(0)
                if l > 0:
                    d = (d @ params[2 * l].T) * (hs[l] > 0)
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
    if not INFER:
        return
    trained = kaiming(0)

    def infer():
        h = big
        for l, (w, b) in enumerate(trained):
            h = h @ w + b
            if l < len(trained) - 1:
                h = np.maximum(h, 0)
        return h

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
            if k < len(WIDTHS) - 2:
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
    if not INFER:
        return
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

    for opt, fn in [(o, {"sgd": sgd, "momentum": momentum, "adam": adam}[o]) for o in OPTIMIZERS]:
        params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in kaiming(0)]
        zeros = tmap(jnp.zeros_like, params)
        box = [params, {"sgd": (), "momentum": zeros, "adam": (zeros, zeros, jnp.float32(0))}[opt], None]
        i = [0]

        def step():
            x, y = batches[i[0] % len(batches)]
            i[0] += 1
            box[0], box[1], box[2] = fn(box[0], box[1], x, y)

        emit("jax", opt, "steps/s", measure(step, finish=lambda: box[2].block_until_ready()))
    if not INFER:
        return
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in kaiming(0)]
    infer_fn = jax.jit(forward)
    out = [None]

    def infer():
        out[0] = infer_fn(params, big)

    emit("jax", "infer", "samples/s", measure(infer, INFER_BATCH, finish=lambda: out[0].block_until_ready()))


# ---------------------------------------------------------------- the comparison
FRAMEWORKS = ["loom", "numpy", "torch", "jax"]
LABELS = {"loom": "Loom", "numpy": "NumPy (OpenBLAS, hand-written)", "torch": "PyTorch eager", "jax": "JAX jit"}
COLUMNS = [("sgd", "SGD steps/s"), ("momentum", "momentum steps/s"), ("adam", "Adam steps/s"),
           ("infer", "inference samples/s (batch 1024)")]


def run_one(framework, loom, widths=None, batch=None, only=None):
    """Runs one framework's process; returns {name: median} and its peak RSS in MiB."""
    import os
    import subprocess
    if framework == "loom":
        cmd = [loom, "mlp784"] if widths is None else [loom, "shape", "-".join(map(str, widths)), str(batch), only or "sgd"]
    else:
        cmd = [sys.executable, __file__, framework]
        if widths is not None:
            cmd += ["--widths", ",".join(map(str, widths)), "--batch", str(batch), "--only", only or "sgd"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{framework} failed with status {status}: {' '.join(cmd)}")
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
    if framework == "loom" and widths is None:
        results.update(loom_bound(loom))
    return results, usage.ru_maxrss / 1024


def loom_bound(loom):
    """`loom-bench bound`, a process of its own (its buffers stay out of the peak RSS above):
    each model benchmark against its matrix products alone, in alternating windows.
    Returns {"products sgd": rate, "ratio sgd": model / products, ...; "infer" likewise}."""
    import subprocess
    out = subprocess.run([loom, "bound"], capture_output=True, text=True, check=True).stdout
    bound = {}
    for line in out.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            # "bound 784-512-512-10 b128 sgd 2t products", "... b1024 infer 2t ratio"
            _, _, _, key, _, kind = record["name"].split()
            if kind in ("products", "ratio"):
                bound[f"{kind} {key}"] = record["median"]
    return bound


def fma_ceiling(fma, isa):
    """The 2-thread FMA ceiling (GFLOP/s) of the given kernel path, measured now."""
    import subprocess
    if not fma:
        return None
    out = subprocess.run([fma, "--json", "1"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        record = json.loads(line)
        if record["name"] == f"fma_peak {isa} 2t":
            return record["median"]
    return None


class Hog:
    """One CPU-bound process of another program, for --busy."""

    def __enter__(self):
        import subprocess
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)  # let the scheduler see it running
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def active_isa():
    import os
    isa = os.environ.get("LOOM_ISA")
    if isa in ("avx2", "avx512", "portable"):
        return isa
    flags = open("/proc/cpuinfo").read()
    return "avx512" if " avx512f" in flags else "avx2" if " avx2" in flags else "portable"


def rounds_of(loom, rounds, busy):
    """Medians over interleaved rounds: {condition: {framework: {name: median}}}, peak RSS."""
    import statistics
    conditions = ["quiet", "busy"] if busy else ["quiet"]
    samples = {c: {f: {} for f in FRAMEWORKS} for c in conditions}
    memory = {f: 0.0 for f in FRAMEWORKS}
    for r in range(rounds):
        order = FRAMEWORKS[r % len(FRAMEWORKS):] + FRAMEWORKS[:r % len(FRAMEWORKS)]
        for framework in order:
            for condition in conditions:
                if condition == "busy":
                    with Hog():
                        results, rss = run_one(framework, loom)
                else:
                    results, rss = run_one(framework, loom)
                print(f"round {r + 1} {condition} {framework}: " + ", ".join(f"{k} {v:.2f}" if k.startswith("ratio") else f"{k} {v:,.0f}" for k, v in results.items())
                      + f", peak RSS {rss:.0f} MiB", file=sys.stderr, flush=True)
                memory[framework] = max(memory[framework], rss)
                for name, value in results.items():
                    samples[condition][framework].setdefault(name, []).append(value)
    return {c: {f: {k: statistics.median(v) for k, v in samples[c][f].items()} for f in FRAMEWORKS}
            for c in conditions}, memory


BOUND_LABEL = "Loom's matrix products alone (`loom-bench bound`: the bound of the row above)"


def bound_cell(loom, key, work, ceiling):
    """The rate of a column's matrix products alone, its % of the ceiling, and the model
    benchmark's rate as a share of it, measured in one process in alternating windows."""
    bound, ratio = loom.get(f"products {key}"), loom.get(f"ratio {key}")
    if bound is None or ratio is None:
        return "—"
    pct = f", {100 * bound * work * 1e-9 / ceiling:.0f}%" if ceiling else ""
    return f"{bound:,.0f}{pct} (Loom at {100 * ratio:.0f}% of it)"


def print_table(med, memory, ceiling, title):
    work = {"sgd": step_flop(WIDTHS, BATCH), "momentum": step_flop(WIDTHS, BATCH), "adam": step_flop(WIDTHS, BATCH),
            "infer": infer_flop(WIDTHS)}
    print(f"\n{title}\n")
    print("| framework | " + " | ".join(t for _, t in COLUMNS) + " | peak RSS (MiB) |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for f in FRAMEWORKS:
        cells = []
        for key, _ in COLUMNS:
            value = med[f].get(key)
            if value is None:
                cells.append("—")
                continue
            pct = f", {100 * value * work[key] * 1e-9 / ceiling:.0f}%" if ceiling else ""
            if f == "loom":
                cells.append(f"**{value:,.0f}**{pct}")
            else:
                cells.append(f"{value:,.0f}{pct} (Loom {med['loom'][key] / value:.2f}×)")
        print(f"| {LABELS[f]} | " + " | ".join(cells) + f" | {memory[f]:.0f} |")
        if f == "loom" and any(k.startswith("products ") for k in med["loom"]):
            print(f"| {BOUND_LABEL} | " + " | ".join(bound_cell(med["loom"], key, work[key], ceiling) for key, _ in COLUMNS) + " | — |")


def compare(loom, rounds, busy, fma):
    isa = active_isa()
    before = fma_ceiling(fma, isa)
    med, memory = rounds_of(loom, rounds, busy)
    after = fma_ceiling(fma, isa)
    ceiling = max(before, after) if before and after else before or after
    if ceiling:
        print(f"FMA ceiling ({isa}, 2 threads, Benchmarks/fma_peak.c) in this run: {before:.1f} GFLOP/s before, "
              f"{after:.1f} after; % of ceiling below uses {ceiling:.1f} (the higher). A step is "
              f"{step_flop(WIDTHS, BATCH) * 1e-9:.3f} GFLOP, an inference sample {infer_flop(WIDTHS) * 1e-6:.3f} MFLOP.")
    print_table(med["quiet"], memory, ceiling, f"Alone: medians of {rounds} interleaved rounds "
                "(value, % of the FMA ceiling, Loom's ratio to the peer).")
    if busy:
        print_table(med["busy"], memory, ceiling, "Beside one CPU-bound process (`python3 -c \"while True: pass\"`), "
                    "the same rounds:")
        print("\nLoom's ratio to each peer, alone → busy (a ratio that falls means Loom lost more than the peer):\n")
        print("| peer | " + " | ".join(t for _, t in COLUMNS) + " |")
        print("|---" * (len(COLUMNS) + 1) + "|")
        for f in FRAMEWORKS[1:]:
            cells = []
            for key, _ in COLUMNS:
                q, b = med["quiet"], med["busy"]
                if key in q[f] and key in b[f]:
                    rq, rb = q["loom"][key] / q[f][key], b["loom"][key] / b[f][key]
                    cells.append(f"{rq:.2f}× → {rb:.2f}× {'kept' if rb >= rq else 'fell'}")
                else:
                    cells.append("—")
            print(f"| {LABELS[f]} | " + " | ".join(cells) + " |")
        print("\nWhat each framework kept of its speed when busy: " + "; ".join(
            f"{LABELS[f]} " + "/".join(f"{100 * med['busy'][f][k] / med['quiet'][f][k]:.0f}%"
                                       for k, _ in COLUMNS if k in med['busy'][f]) for f in FRAMEWORKS) + ".")


SCALING_WIDTHS, SCALING_BATCHES = [256, 1024, 4096], [32, 128, 1024]
SCALING_FRAMEWORKS = ["loom", "torch", "jax"]


def scaling(loom, rounds, fma, svg):
    import statistics
    isa = active_isa()
    ceiling = fma_ceiling(fma, isa)
    rates, memory = {}, {}
    for r in range(rounds):
        for i, width in enumerate(SCALING_WIDTHS):
            for batch in SCALING_BATCHES:
                k = (i + r) % len(SCALING_FRAMEWORKS)
                for framework in SCALING_FRAMEWORKS[k:] + SCALING_FRAMEWORKS[:k]:
                    results, rss = run_one(framework, loom, widths=[784, width, width, 10], batch=batch, only="sgd")
                    rates.setdefault((width, batch, framework), []).append(results["sgd"])
                    memory[(width, batch, framework)] = max(memory.get((width, batch, framework), 0), rss)
                    print(f"round {r + 1} 784-{width}-{width}-10 b{batch} {framework}: {results['sgd']:,.2f} steps/s",
                          file=sys.stderr, flush=True)
    after = fma_ceiling(fma, isa)
    ceiling = max(ceiling, after) if ceiling and after else ceiling or after
    print(f"FMA ceiling ({isa}, 2 threads) in this run: {ceiling:.1f} GFLOP/s. SGD step of 784-W-W-10, "
          f"float32, 2 threads; steps/s (% of the ceiling); medians of {rounds} round(s).\n")
    print("| width | batch | GFLOP a step | " + " | ".join(LABELS[f] for f in SCALING_FRAMEWORKS)
          + " | Loom / best peer | peak RSS MiB (" + " / ".join(LABELS[f] for f in SCALING_FRAMEWORKS) + ") |")
    print("|---" * (len(SCALING_FRAMEWORKS) + 5) + "|")
    table = []
    for width in SCALING_WIDTHS:
        for batch in SCALING_BATCHES:
            flop = step_flop([784, width, width, 10], batch)
            med = {f: statistics.median(rates[(width, batch, f)]) for f in SCALING_FRAMEWORKS}
            pct = {f: 100 * med[f] * flop * 1e-9 / ceiling for f in SCALING_FRAMEWORKS}
            table.append((width, batch, flop, med, pct))
            best = max(med[f] for f in SCALING_FRAMEWORKS[1:])
            print(f"| {width} | {batch} | {flop * 1e-9:.3f} | "
                  + " | ".join(f"{med[f]:,.1f} ({pct[f]:.0f}%)" for f in SCALING_FRAMEWORKS)
                  + f" | {med['loom'] / best:.2f}× | "
                  + " / ".join(f"{memory[(width, batch, f)]:.0f}" for f in SCALING_FRAMEWORKS) + " |")
    if svg:
        write_svg(svg, table, ceiling)
        print(f"\nPlot: {svg}")


def write_svg(path, table, ceiling):
    """% of the ceiling against batch size, one panel per width, one line per framework."""
    colors = {"loom": "#1f77b4", "torch": "#d62728", "jax": "#2ca02c"}
    pw, ph, left, top, gap = 260, 200, 50, 40, 30
    width = left + len(SCALING_WIDTHS) * (pw + gap) + 120
    height = top + ph + 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14">SGD step of 784-W-W-10: % of the 2-thread FMA ceiling '
           f'({ceiling:.0f} GFLOP/s) against batch size</text>']
    import math
    xs = [math.log2(b) for b in SCALING_BATCHES]
    for p, w in enumerate(SCALING_WIDTHS):
        x0 = left + p * (pw + gap)
        out.append(f'<rect x="{x0}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
        out.append(f'<text x="{x0 + pw / 2}" y="{top - 6}" text-anchor="middle">width {w}</text>')
        for tick in range(0, 101, 25):
            y = top + ph - ph * tick / 100
            out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{y}" y2="{y}" stroke="#eee"/>')
            if p == 0:
                out.append(f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end">{tick}%</text>')
        def px(b):
            return x0 + 20 + (pw - 40) * (math.log2(b) - xs[0]) / (xs[-1] - xs[0])
        for b in SCALING_BATCHES:
            out.append(f'<text x="{px(b)}" y="{top + ph + 16}" text-anchor="middle">{b}</text>')
        for f in SCALING_FRAMEWORKS:
            pts = [(px(batch), top + ph - ph * min(pct[f], 100) / 100)
                   for (wd, batch, _, _, pct) in table if wd == w]
            out.append(f'<polyline fill="none" stroke="{colors[f]}" stroke-width="2" points="'
                       + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
            out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colors[f]}"/>' for x, y in pts]
    out.append(f'<text x="{left + len(SCALING_WIDTHS) * (pw + gap) / 2}" y="{top + ph + 36}" '
               f'text-anchor="middle">batch size</text>')
    lx = left + len(SCALING_WIDTHS) * (pw + gap)
    for i, f in enumerate(SCALING_FRAMEWORKS):
        y = top + 20 + 20 * i
        out.append(f'<line x1="{lx}" x2="{lx + 20}" y1="{y}" y2="{y}" stroke="{colors[f]}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 26}" y="{y + 4}">{LABELS[f]}</text>')
    out.append('</svg>')
    with open(path, "w") as handle:
        handle.write("\n".join(out) + "\n")


def isa_check():
    """What each peer runs with under this environment, read back from the libraries themselves."""
    import os
    import subprocess
    lines = [f"CPU: {active_isa() if 'LOOM_ISA' not in os.environ else 'LOOM_ISA=' + os.environ['LOOM_ISA']}"]
    try:
        import threadpoolctl
        blas = [i for i in threadpoolctl.threadpool_info() if i.get("internal_api") == "openblas"]
        lines.append(f"NumPy OpenBLAS {blas[0]['version']}: kernel {blas[0]['architecture']} "
                     f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})" if blas else "NumPy: no OpenBLAS found")
    except ImportError:
        lines.append("NumPy: threadpoolctl missing, OpenBLAS kernel unknown")
    torch_probe = ("import torch; a = torch.ones(256, 256); a @ a; "
                   "print(torch.backends.cpu.get_cpu_capability())")
    probe = subprocess.run([sys.executable, "-c", torch_probe], capture_output=True, text=True,
                           env=dict(os.environ, MKL_VERBOSE="1"))
    mkl = [l for l in probe.stderr.splitlines() + probe.stdout.splitlines() if "MKL_VERBOSE oneMKL" in l or "Intel(R) MKL" in l]
    lines.append(f"PyTorch ATen kernels: {probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else '?'} "
                 f"(ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', 'unset')}); MKL "
                 f"(MKL_ENABLE_INSTRUCTIONS={os.environ.get('MKL_ENABLE_INSTRUCTIONS', 'unset')}): "
                 + (mkl[0].split(" for ")[-1] if mkl else "no MKL_VERBOSE line"))
    import tempfile
    with tempfile.TemporaryDirectory() as dump:
        flags = os.environ.get("XLA_FLAGS", "")
        jax_probe = ("import jax, jax.numpy as jnp; f = jax.jit(lambda a, b: jnp.tanh(a @ b)); "
                     "f(jnp.ones((256, 256)), jnp.ones((256, 256))).block_until_ready()")
        subprocess.run([sys.executable, "-c", jax_probe], capture_output=True, text=True,
                       env=dict(os.environ, XLA_FLAGS=f"{flags} --xla_dump_to={dump}"))
        import glob
        import re
        regs = set()
        for obj in glob.glob(f"{dump}/*.o"):
            asm = subprocess.run(["objdump", "-d", obj], capture_output=True, text=True).stdout
            regs |= set(re.findall(r"%([xyz])mm", asm))
        widest = "zmm (AVX-512)" if "z" in regs else "ymm (AVX/AVX2)" if "y" in regs else "xmm only"
        hlo = " ".join(open(p).read() for p in glob.glob(f"{dump}/*after_optimizations.txt"))
        dot = "YNNPACK (ynn_fusion)" if "ynn_fusion" in hlo else "oneDNN" if "onednn" in hlo.lower() else "XLA's own emitter"
        lines.append(f"JAX: XLA_FLAGS='{flags.strip()}'; widest register in the code XLA generated: {widest}; "
                     f"the matrix product runs in {dot}")
    # The matrix products themselves (MKL on AMD prints no instruction set, and YNNPACK picks its
    # kernels on its own): 512^3 float32 on one thread with the restriction and without it. A
    # restriction that takes effect shows as a slower product on a CPU that has the wider unit.
    speed = ("import sys, time\n"
             "if sys.argv[1] == 'torch':\n"
             "    import torch; torch.set_num_threads(1); a = torch.rand(512, 512); f = lambda: a @ a\n"
             "else:\n"
             "    import jax, jax.numpy as jnp; a = jnp.ones((512, 512)); g = jax.jit(lambda x: x @ x)\n"
             "    f = lambda: g(a).block_until_ready()\n"
             "for _ in range(20): f()\n"
             "n, t = 0, time.perf_counter()\n"
             "while time.perf_counter() - t < 0.5: f(); n += 1\n"
             "print(2 * 512 ** 3 * n / (time.perf_counter() - t) * 1e-9)")
    names = ["MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY", "DNNL_MAX_CPU_ISA", "XLA_FLAGS"]
    free = {k: v for k, v in os.environ.items() if k not in names}
    one = dict(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               XLA_FLAGS=os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false")
    for peer in ("torch", "jax"):
        rates = []
        for env in (dict(os.environ, **one), dict(free, **dict(one, XLA_FLAGS="--xla_cpu_multi_thread_eigen=false"))):
            out = subprocess.run([sys.executable, "-c", speed, peer], capture_output=True, text=True, env=env)
            rates.append(float(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else float("nan"))
        lines.append(f"{'PyTorch (MKL)' if peer == 'torch' else 'JAX'} sgemm 512^3, 1 thread: {rates[0]:.1f} GFLOP/s "
                     f"with these settings, {rates[1]:.1f} without")
    print("\n".join(lines))


if __name__ == "__main__":
    import argparse
    mode = sys.argv[1]
    if mode in ("compare", "scaling"):
        parser = argparse.ArgumentParser()
        parser.add_argument("mode")
        parser.add_argument("--loom", required=True)
        parser.add_argument("--rounds", type=int, default=3 if mode == "compare" else 1)
        parser.add_argument("--busy", action="store_true")
        parser.add_argument("--fma", default=None)
        parser.add_argument("--svg", default=None)
        arguments = parser.parse_args()
        if mode == "compare":
            compare(arguments.loom, arguments.rounds, arguments.busy, arguments.fma)
        else:
            scaling(arguments.loom, arguments.rounds, arguments.fma, arguments.svg)
    elif mode == "isa-check":
        isa_check()
    else:
        {"numpy": run_numpy, "torch": run_torch, "jax": run_jax}[configure(sys.argv[1:])]()
