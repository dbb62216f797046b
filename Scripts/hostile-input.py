#!/usr/bin/env python3
"""Hostile input against the release `loom` (RELIABILITY.md). Run by .ci/run:

    python3 Scripts/hostile-input.py [LOOM]     (default .build/release/loom)

Hundreds of bad files, options and faults across every subcommand (train, evaluate, predict,
export, inspect, report, datasets, every experiment) and every file kind Loom reads (IDX,
gzip, CSV, .npy/.npz, safetensors checkpoints and models, config.json, metrics.jsonl,
result.json). Each case is classified:

- crash:   the process died by a signal (a trap, a segfault, an abort);
- hang:    it ran past its timeout;
- loss:    a run directory or file it had no business changing was changed (hashed before and
           after every case; the lock file `.loom-lock`, which holds only a process id, aside);
- silent:  it exited 0 where an error was due;
- unclear: the error was not one line (ArgumentParser's usage lines aside), or it showed a raw
           DecodingError / NSCocoaErrorDomain / Fatal error dump;
- failed:  it failed where success was due.

The script ends with "N passed, N failed" and exits 1 on any failure. Python standard library only.
"""
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOM = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/release/loom"))
WORK = tempfile.mkdtemp(prefix="loom-hostile-")
RAW_DUMPS = ("DecodingError", "NSCocoaErrorDomain", "Error Domain=", "Fatal error", "codingPath", "CodingKeys", "Swift/")
results = {"crash": [], "hang": [], "loss": [], "silent": [], "unclear": [], "failed": []}
passed = 0
protected = []  # paths whose contents no case may change


def path(*parts):
    return os.path.join(WORK, *parts)


def write(name, data):
    p = path(name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return p


def digest(root):
    """The hash of every file under `root` (a file or a directory), the lock file aside."""
    found = {}
    if os.path.isfile(root) or os.path.islink(root):
        items = [root]
    else:
        items = [os.path.join(d, n) for d, _, names in os.walk(root) for n in names]
    for item in items:
        if os.path.basename(item) == ".loom-lock":
            continue
        st = os.lstat(item)
        if stat.S_ISREG(st.st_mode):
            with open(item, "rb") as f:
                found[item] = hashlib.sha256(f.read()).hexdigest()
        else:
            found[item] = f"mode {stat.S_IFMT(st.st_mode)}"
    return found


def snapshot():
    state = {}
    for p in protected:
        state.update(digest(p))
    return state


def run(args, timeout=60, stdin=None):
    start = time.time()
    try:
        done = subprocess.run([LOOM] + args, cwd=WORK, input=stdin, capture_output=True, timeout=timeout)
        return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"), time.time() - start
    except subprocess.TimeoutExpired:
        return None, "", "", time.time() - start


def error_lines(stderr):
    lines = [l for l in stderr.splitlines() if l.strip()]
    # ArgumentParser follows a usage error with the usage and a pointer to --help.
    return [l for l in lines if not (l.startswith("Usage:") or l.startswith("  See '") or l.startswith("        ")
                                     or l.startswith("Help:") or l.startswith("  - ") or l.startswith("resuming after"))]


def case(name, args, expect="error", timeout=60, contains=None, stdin=None):
    """Runs one case. `expect`: "error" (a clean refusal), "ok" (success) or "any" (either, cleanly).
    `contains`: text the error (or output) must include."""
    global passed
    before = snapshot()
    status, out, err, seconds = run(args, timeout, stdin)
    after = snapshot()
    kind, detail = None, ""
    lines = error_lines(err)
    if status is None:
        kind, detail = "hang", f"no exit after {timeout} s"
    elif status < 0 or (status > 128 and status not in (130, 143)):
        kind, detail = "crash", f"killed by signal {-status if status < 0 else status - 128}: {err.strip()[-300:]}"
    elif before != after:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        kind, detail = "loss", f"changed {changed[:3]}"
    elif expect == "error" and status == 0:
        kind, detail = "silent", f"exit 0: {out.strip()[-200:]}"
    elif expect == "ok" and status != 0:
        kind, detail = "failed", f"exit {status}: {err.strip()[:300]}"
    elif status != 0 and (len(lines) != 1 or any(d in err for d in RAW_DUMPS)):
        kind, detail = "unclear", f"{len(lines)} lines: {err.strip()[:400]}"
    elif contains and contains not in (err if status != 0 else out + err):
        kind, detail = "unclear", f"expected {contains!r} in: {(err or out).strip()[:300]}"
    if kind:
        results[kind].append(name)
        print(f"FAIL [{kind}] {name}: loom {' '.join(args)[:160]}\n      {detail}")
    else:
        passed += 1
        shown = (lines[0] if status != 0 and lines else "exit 0")[:150]
        print(f"ok   {name} ({seconds:.2f} s): {shown}")
    return status, out, err


# ---------------------------------------------------------------- fixtures

def idx(type_code, shape, payload, rank=None):
    header = bytes([0, 0, type_code, len(shape) if rank is None else rank]) + b"".join(struct.pack(">I", s) for s in shape)
    return header + payload


def mnist_dir(name, train=(40, 28, 28), test=(10, 28, 28), labels=None, test_labels=None, images=None, compress=False,
              override=None):
    """An MNIST-style directory: good files unless `override` replaces one by name."""
    rng = random.Random(1)
    files = {
        "train-images-idx3-ubyte": idx(8, list(train), bytes(rng.randrange(256) for _ in range(train[0] * train[1] * train[2]))),
        "train-labels-idx1-ubyte": idx(8, [train[0]], bytes(labels or [i % 10 for i in range(train[0])])),
        "t10k-images-idx3-ubyte": idx(8, list(test), bytes(rng.randrange(256) for _ in range(test[0] * test[1] * test[2]))),
        "t10k-labels-idx1-ubyte": idx(8, [test[0]], bytes(test_labels or [i % 10 for i in range(test[0])])),
    }
    files.update(override or {})
    for file, data in files.items():
        if compress:
            write(f"{name}/{file}.gz", gzip.compress(data))
        else:
            write(f"{name}/{file}", data)
    return path(name)


def safetensors(tensors, metadata=None):
    """tensors: name -> (dtype, shape, bytes)."""
    header, offset, data = {}, 0, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def read_safetensors(p):
    with open(p, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    return header, raw[8 + n:]


def rewrite_safetensors(source, name, edit_header=None, edit_data=None):
    header, data = read_safetensors(source)
    if edit_header:
        edit_header(header)
    if edit_data:
        data = edit_data(data)
    text = json.dumps(header).encode()
    return write(name, struct.pack("<Q", len(text)) + text + data)


def npy(array_bytes, descr, shape, fortran=False, version=1, header_text=None):
    text = header_text or f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {tuple(shape)!r}, }}"
    pad = 64 - (10 + len(text) + 1) % 64
    text = text + " " * pad + "\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode() + array_bytes
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(text)) + text.encode() + array_bytes


def floats(values):
    return struct.pack(f"<{len(values)}d", *values)


def npz(entries, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()


def table_csv(rows=60, seed=0):
    rng = random.Random(seed)
    lines = ["a,b,c,label"]
    for i in range(rows):
        k = i % 3
        lines.append(f"{k + rng.random():.3f},{2 * k + rng.random():.3f},{rng.random():.3f},{'xyz'[k]}")
    return "\n".join(lines) + "\n"


def setup():
    print(f"== fixtures in {WORK}")
    tiny = ["--epochs", "1", "--hidden", "8", "--seed", "1"]
    for args in (["train"] + tiny + ["--output", path("base")],
                 ["train", "--data", write("good.csv", table_csv()), "--target", "label", "--epochs", "1", "--hidden", "8",
                  "--output", path("table")],
                 ["export", path("base/checkpoint.safetensors"), "--output", path("model.safetensors")],
                 ["experiment", "init-variance", "--depth", "3", "--width", "16", "--batch-size", "8", "--no-chart",
                  "--output", path("experiment")]):
        status, out, err, _ = run(args, timeout=300)
        if status != 0:
            sys.exit(f"fixture failed: loom {' '.join(args)}: {err}")
    shutil.copytree(path("base"), path("pristine-base"))
    protected.extend([path("base"), path("table"), path("experiment"), path("model.safetensors"), path("good.csv")])


# ---------------------------------------------------------------- cases

def train_option_cases():
    """Every numeric option of `loom train` with values from outside its domain."""
    numeric = ["--batch-size", "--epochs", "--learning-rate", "--momentum", "--dampening", "--weight-decay", "--beta1",
               "--beta2", "--epsilon", "--alpha", "--dropout", "--label-smoothing", "--clip-norm", "--warmup-epochs",
               "--schedule-step", "--schedule-gamma", "--test-fraction", "--validation-fraction", "--early-stopping",
               "--negative-slope", "--max-parameters", "--depth", "--width", "--seed", "--max-skipped-fraction"]
    needs = {"--momentum": ["--optimizer", "sgd"], "--dampening": ["--optimizer", "sgd"], "--alpha": ["--optimizer", "rmsprop"],
             "--negative-slope": ["--activation", "leaky-relu"], "--max-parameters": ["--optimizer", "newton"],
             "--schedule-step": ["--schedule", "step"], "--schedule-gamma": ["--schedule", "exponential"],
             "--depth": ["--width", "8"], "--width": ["--depth", "2"], "--early-stopping": ["--validation-fraction", "0.2"],
             "--validation-fraction": [], "--max-skipped-fraction": ["--on-divergence", "skip-batch"]}
    bad = ["nan", "inf", "-inf", "-1", "1e308", "9223372036854775807", "abc", ""]
    for option in numeric:
        for value in bad:
            if option == "--seed" and value in ("9223372036854775807",):
                continue  # a valid seed
            if option in ("--learning-rate", "--epsilon", "--clip-norm", "--weight-decay", "--schedule-gamma", "--negative-slope") \
                    and value in ("1e308", "9223372036854775807"):
                continue  # large but legal (PyTorch takes them too), and would train
            if option == "--negative-slope" and value == "-1":
                continue  # legal, as in PyTorch
            if option in ("--max-parameters", "--schedule-step", "--warmup-epochs") and value in ("1e308", "9223372036854775807"):
                continue
            if option == "--early-stopping" and value == "9223372036854775807":
                continue  # legal: never stops early
            case(f"train {option} {value!r}", ["train", "--epochs", "1", "--hidden", "4"] + needs.get(option, []) + [option, value])
    for args in (["--hidden", ""], ["--hidden", "0"], ["--hidden", "-3"], ["--hidden", "8,,8"], ["--hidden", "8,x"],
                 ["--hidden", "10000000,10000000"], ["--hidden", "30000,30000"], ["--depth", "1000000000", "--width", "1"],
                 ["--depth", "3"], ["--hidden", "8", "--depth", "2", "--width", "2"], ["--optimizer", "bogus"],
                 ["--activation", "bogus"], ["--schedule", "bogus"], ["--initializer", "bogus"], ["--normalization", "bogus"],
                 ["--momentum", "0.9"], ["--momentum", "inf"], ["--beta1", "0.9", "--optimizer", "sgd"],
                 ["--momentum-form", "bogus", "--optimizer", "sgd"], ["--loss", "bogus"], ["--task", "bogus"],
                 ["--resume"], ["--resume", "--output", path("nowhere")], ["--output", ""], ["--output", "   "],
                 ["--output", "/proc/loom-cannot-write"], ["--output", path("good.csv")], ["--resume", "--force", "--output", path("x")],
                 ["--initial-weights", path("nowhere.safetensors")], ["--initial-weights", path("good.csv")],
                 ["--dataset", "mnist", "--data", path("nowhere")], ["--data", path("nowhere.csv")], ["--target", "y"],
                 ["--features", "a"], ["--bogus-flag"], ["extra-argument"], ["--epochs"], ["--test", path("good.csv")],
                 ["--distributed-timeout", "nan"], ["--early-stopping", "3"], ["--line-search"], ["--centered"],
                 ["--nesterov", "--optimizer", "adam"], ["--amsgrad", "--optimizer", "sgd"], ["--no-bias-correction", "--optimizer", "sgd"]):
        case(f"train {' '.join(args)[:60]!r}", ["train", "--epochs", "1"] + args, timeout=60)
    case("train --hidden 30000,30000 says what it needs and what the machine has",
         ["train", "--hidden", "30000,30000"], contains="of memory; this machine has")


def idx_cases():
    bad = {
        "zero images": mnist_dir("idx-zero", train=(0, 28, 28), labels=[]),
        "zero rows": mnist_dir("idx-zero-rows", train=(40, 0, 28), test=(10, 0, 28)),
        "test images of another size": mnist_dir("idx-other-size", test=(10, 14, 14)),
        "labels out of range": mnist_dir("idx-labels", labels=[200] * 40),
        "count mismatch": mnist_dir("idx-mismatch", override={"train-labels-idx1-ubyte": idx(8, [39], bytes(39))}),
        "wrong magic": mnist_dir("idx-magic", override={"train-images-idx3-ubyte": b"\x01\x02\x08\x03" + bytes(100)}),
        "unknown type": mnist_dir("idx-type", override={"train-images-idx3-ubyte": idx(0x42, [1, 1, 1], b"\x00")}),
        "rank 0": mnist_dir("idx-rank0", override={"train-images-idx3-ubyte": bytes([0, 0, 8, 0])}),
        "rank 255 short": mnist_dir("idx-rank255", override={"train-images-idx3-ubyte": bytes([0, 0, 8, 255])}),
        "truncated header": mnist_dir("idx-trunc-header", override={"train-images-idx3-ubyte": bytes([0, 0, 8, 3, 0, 0])}),
        "truncated data": mnist_dir("idx-trunc-data", override={"train-images-idx3-ubyte": idx(8, [40, 28, 28], bytes(100))}),
        "extra bytes": mnist_dir("idx-extra", override={"train-images-idx3-ubyte": idx(8, [1, 2, 2], bytes(9))}),
        "huge sizes": mnist_dir("idx-huge", override={"train-images-idx3-ubyte": idx(8, [0xFFFFFFFF] * 3, b"")}),
        "zero with huge sizes": mnist_dir("idx-zero-huge", override={"train-images-idx3-ubyte": idx(8, [0, 0xFFFFFFFF, 0xFFFFFFFF], b"")}),
        "float images": mnist_dir("idx-float", override={"train-images-idx3-ubyte": idx(0x0D, [40, 28, 28], bytes(40 * 784 * 4))}),
        "rank-2 labels": mnist_dir("idx-labels-rank", override={"train-labels-idx1-ubyte": idx(8, [40, 1], bytes(40))}),
        "empty file": mnist_dir("idx-empty", override={"t10k-images-idx3-ubyte": b""}),
        "labels are images": mnist_dir("idx-swapped", override={"train-labels-idx1-ubyte": idx(8, [40, 28, 28], bytes(40 * 784))}),
        "zero test images": mnist_dir("idx-zero-test", test=(0, 28, 28), test_labels=[]),
    }
    for name, directory in bad.items():
        expect = "any" if name in ("zero test images",) else "error"
        case(f"IDX: {name}", ["train", "--dataset", "mnist", "--data", directory, "--epochs", "1", "--hidden", "4"], expect=expect)
        if name in ("test images of another size", "count mismatch", "truncated data", "zero images", "labels out of range"):
            case(f"IDX via evaluate: {name}", ["evaluate", path("base/checkpoint.safetensors"), "--dataset", "mnist", "--data", directory])
            case(f"IDX via experiment zero-init: {name}",
                 ["experiment", "zero-init", "--dataset", "mnist", "--data", directory, "--epochs", "1", "--hidden", "4",
                  "--no-chart", "--output", path(f"exp-{len(name)}")])
    good = mnist_dir("idx-good")
    case("IDX: a good directory trains", ["train", "--dataset", "mnist", "--data", good, "--epochs", "1", "--hidden", "4"], expect="ok")
    gz = mnist_dir("idx-gz", compress=True)
    case("IDX: gzip files train", ["train", "--dataset", "mnist", "--data", gz, "--epochs", "1", "--hidden", "4"], expect="ok")
    images = gzip.compress(idx(8, [40, 28, 28], bytes(40 * 784)))
    for name, data in (("truncated gzip", images[: len(images) // 2]), ("corrupt gzip", images[:20] + bytes(50) + images[70:]),
                       ("gzip with trailing garbage", images + b"garbage!"), ("gzip header only", images[:10]),
                       ("flipped CRC", images[:-8] + bytes(4) + images[-4:])):
        directory = mnist_dir(f"gz-{name.replace(' ', '-')}", compress=True)
        write(f"gz-{name.replace(' ', '-')}/train-images-idx3-ubyte.gz", data)
        case(f"gzip: {name}", ["train", "--dataset", "mnist", "--data", directory, "--epochs", "1", "--hidden", "4"])
    # A bomb just under the 2 GiB limit: 2 MB that inflate to 2.1 GB. It must be refused
    # (here the labels do not match) without allocating several times the output.
    count = 2_100_000_000 // 784
    bomb = mnist_dir("gz-bomb", compress=True)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path("gz-bomb/train-images-idx3-ubyte.gz"), "wb") as f:
        f.write(compressor.compress(idx(8, [count, 28, 28], b"")))
        block = bytes(1 << 24)
        remaining = count * 784
        while remaining > 0:
            f.write(compressor.compress(block[: min(remaining, len(block))]))
            remaining -= len(block)
        f.write(compressor.flush())
    before = os.times()
    case("gzip: a 2 MB bomb inflating to 2.1 GB", ["train", "--dataset", "mnist", "--data", bomb, "--epochs", "1"], timeout=120)
    peak_kb = resource_peak_kb()
    if peak_kb is not None:
        bounded = peak_kb < 6 * 1024 * 1024
        record(bounded, f"gzip bomb: peak resident memory {peak_kb / 1024 / 1024:.1f} GiB (at most 6 GiB)")


def resource_peak_kb():
    try:
        import resource
        return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    except Exception:
        return None


def record(ok, name):
    global passed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        results["failed"].append(name)
        print(f"FAIL [failed] {name}")


def csv_cases():
    texts = {
        "empty": "", "header only": "a,b,label\n", "one row": "a,label\n1,x\n", "ragged rows": "a,b,label\n1,2,x\n1,y\n3,4,5,z\n",
        "unterminated quote": 'a,label\n"1,x\n2,y\n', "non-UTF-8": b"a,label\n\xff\xfe,x\n1,y\n",
        "NaN and inf cells": "a,b,label\nnan,inf,x\n-inf,1,y\n1,2,x\n3,4,y\n",
        "1e308 cells": "a,label\n" + "".join(f"{'1e308' if i % 2 else '-1e308'},{'xy'[i % 2]}\n" for i in range(40)),
        "missing target column": "a,b\n1,2\n3,4\n", "duplicate headers": "a,a,label\n1,2,x\n3,4,y\n",
        "single class": "a,label\n" + "".join(f"{i},x\n" for i in range(30)), "empty cells": "a,b,label\n,,\n,,\n1,2,x\n",
        "only missing target": "a,label\n1,\n2,\n3,\n", "a NUL byte": "a,label\n1\x00,x\n2,y\n",
        "a huge field": "a,label\n" + "9" * 2_000_000 + ",x\n1,y\n", "BOM and CRLF": "\ufeffa,label\r\n1,x\r\n2,y\r\n3,x\r\n4,y\r\n",
        "text features": "a,label\nred,x\nblue,y\ngreen,x\nred,y\n", "10000 columns": ",".join(f"c{i}" for i in range(10000)) + ",label\n"
                                                                                               + ",".join("1" for _ in range(10000)) + ",x\n",
        "constant target (regression)": "a,label\n" + "".join(f"{i},5\n" for i in range(30)),
        "one column": "label\nx\ny\nx\n", "quotes in header": '"a,b",label\n1,x\n2,y\n',
    }
    for name, text in texts.items():
        p = write(f"csv/{name.replace(' ', '-')}.csv", text)
        expect = "any" if name in ("NaN and inf cells", "1e308 cells", "BOM and CRLF", "text features", "duplicate headers", "a NUL byte",
                                   "constant target (regression)", "quotes in header", "empty cells", "10000 columns") else "error"
        case(f"CSV: {name}", ["train", "--data", p, "--target", "label", "--epochs", "1", "--hidden", "4"], expect=expect)
    good = path("good.csv")
    for args in (["--target", "nope"], ["--target", ""], ["--target", "label,label"], ["--features", "nope"], ["--features", ""],
                 ["--target", "label", "--features", "label"], ["--target", "label", "--test-fraction", "0.999"],
                 ["--target", "label", "--test", path("csv/empty.csv")], ["--target", "label", "--test", path("csv/ragged-rows.csv")],
                 ["--target", "label", "--task", "regression"], ["--target", "label", "--missing", "bogus"],
                 ["--target", "label", "--loss", "huber"]):
        case(f"CSV options {' '.join(args)[:50]!r}", ["train", "--data", good, "--epochs", "1", "--hidden", "4"] + args,
             expect="any" if args[-1] == "huber" else "error")
    gz = write("csv/corrupt.csv.gz", gzip.compress(table_csv().encode())[:-30])
    case("CSV: a truncated .csv.gz", ["train", "--data", gz, "--target", "label", "--epochs", "1"])
    bomb = write("csv/bomb.csv.gz", gzip.compress(b"a,label\n" + b"1,x\n" * 5_000_000))
    case("CSV: a 20 MB .csv.gz of one repeated row", ["train", "--data", bomb, "--target", "label", "--epochs", "1", "--hidden", "4"],
         expect="any", timeout=120)
    # The table model on hostile tables.
    model = path("table/checkpoint.safetensors")
    for name in ("empty", "header only", "ragged rows", "non-UTF-8", "missing target column", "text features", "one column"):
        p = path(f"csv/{name.replace(' ', '-')}.csv")
        case(f"predict on CSV: {name}", ["predict", model, p], expect="any" if name == "missing target column" else "error")
        case(f"evaluate on CSV: {name}", ["evaluate", model, p])
    case("predict: a good table", ["predict", model, good], expect="ok")
    case("predict --limit 0", ["predict", model, good, "--limit", "0"])
    case("predict --limit -1", ["predict", model, good, "--limit", "-1"])


def numpy_cases():
    x = floats([float(i % 7) for i in range(60 * 3)])
    y = floats([float(i % 3) for i in range(60)])
    good_x, good_y = npy(x, "<f8", [60, 3]), npy(y, "<f8", [60])
    bad = {
        "bad magic": b"\x93NUMPX\x01\x00" + good_x[8:], "version 9": npy(x, "<f8", [60, 3], version=9),
        "header length past the end": good_x[:8] + struct.pack("<H", 60000) + good_x[10:],
        "object dtype": npy(b"", "|O", [0]), "complex dtype": npy(x, "<c16", [30, 3]), "structured dtype": npy(x, "", [60, 3],
            header_text="{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (60,), }"),
        "fortran order": npy(x, "<f8", [60, 3], fortran=True), "shape larger than data": npy(x, "<f8", [6000, 3]),
        "shape smaller than data": npy(x, "<f8", [10, 3]), "huge shape": npy(x, "<f8", [2**62, 2**62]),
        "negative shape": npy(x, "<f8", [-1, 3], header_text="{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }"),
        "rank 3": npy(x, "<f8", [10, 6, 3]), "rank 0": npy(x[:8], "<f8", []), "unknown header key": npy(x, "<f8", [60, 3],
            header_text="{'descr': '<f8', 'fortran_order': False, 'shape': (60, 3), 'extra': 1, }"),
        "not a dict": npy(x, "<f8", [60, 3], header_text="[1, 2, 3]"), "empty": b"", "NaN values": npy(floats([float("nan")] * 180), "<f8", [60, 3]),
        "big-endian": npy(struct.pack(">180d", *[1.0] * 180), ">f8", [60, 3]), "unsigned bytes": npy(bytes(180), "|u1", [60, 3]),
        "bool": npy(bytes(180), "|b1", [60, 3]), "strings": npy(b"a" * 180 * 4, "<U1", [60, 3]),
    }
    for name, data in bad.items():
        p = write(f"npy/{name.replace(' ', '-')}.npy", data)
        expect = "any" if name in ("big-endian", "unsigned bytes", "bool", "NaN values", "fortran order", "strings", "rank 3") else "error"
        case(f".npy: {name}", ["train", "--data", p, "--target", "0", "--epochs", "1", "--hidden", "4"], expect=expect)
    archives = {
        "not a zip": b"PK\x03\x04 not really", "empty zip": npz({}), "no y": npz({"x.npy": good_x}),
        "x and y of different rows": npz({"x.npy": good_x, "y.npy": npy(y[:80], "<f8", [10])}),
        "y of rank 2": npz({"x.npy": good_x, "y.npy": npy(x, "<f8", [60, 3])}),
        "a corrupt member": npz({"x.npy": good_x, "y.npy": b"\x93NUMPY garbage"}),
        "deflated members": npz({"x.npy": good_x, "y.npy": good_y}, zipfile.ZIP_DEFLATED),
        "truncated": npz({"x.npy": good_x, "y.npy": good_y})[:300],
        "a deflate bomb": npz({"x.npy": npy(bytes(400_000_000), "<f8", [50_000_000, 1]), "y.npy": good_y}, zipfile.ZIP_DEFLATED),
        "duplicate members": npz({"x.npy": good_x, "y.npy": good_y}) ,
    }
    for name, data in archives.items():
        p = write(f"npz/{name.replace(' ', '-')}.npz", data)
        expect = "any" if name in ("deflated members", "duplicate members", "y of rank 2") else "error"
        case(f".npz: {name}", ["train", "--data", p, "--epochs", "1", "--hidden", "4"], expect=expect, timeout=120)
    good = write("npz/good.npz", npz({"x.npy": good_x, "y.npy": good_y}))
    case(".npz: a good archive trains", ["train", "--data", good, "--epochs", "1", "--hidden", "4"], expect="ok")
    for args in (["--target", "z"], ["--features", "z"], ["--target", "x", "--features", "x"]):
        case(f".npz options {' '.join(args)!r}", ["train", "--data", good, "--epochs", "1", "--hidden", "4"] + args)


def model_file_cases():
    checkpoint = path("base/checkpoint.safetensors")
    header, data = read_safetensors(checkpoint)
    metadata = header["__metadata__"]
    description = json.loads(metadata["loom.model"])
    def with_json(key, edit):
        """A header edit that applies `edit` to the JSON held in metadata `key`."""
        def apply(h):
            value = json.loads(h["__metadata__"][key])
            edit(value)
            h["__metadata__"][key] = json.dumps(value)
        return apply
    def with_model(edit):
        return with_json("loom.model", edit)
    def with_configuration(edit):
        return with_json("loom.configuration", edit)
    def set_meta(key, value):
        def apply(h):
            if value is None:
                h["__metadata__"].pop(key, None)
            else:
                h["__metadata__"][key] = value
        return apply
    first = sorted(k for k in header if k.startswith("model.") and k.endswith("weight"))[0]
    files = {
        "empty file": write("models/empty.safetensors", b""),
        "7 bytes": write("models/short.safetensors", b"\x01" * 7),
        "header length 2^64-1": write("models/huge-header.safetensors", b"\xff" * 8 + b"{}"),
        "header not JSON": write("models/not-json.safetensors", struct.pack("<Q", 5) + b"{{{{{"),
        "header an array": write("models/array.safetensors", struct.pack("<Q", 2) + b"[]"),
        "no tensors": write("models/no-tensors.safetensors", safetensors({}, {"format": "loom-model-1"})),
        "truncated data": write("models/truncated.safetensors", open(checkpoint, "rb").read()[:-100]),
        "loom.model not JSON": rewrite_safetensors(checkpoint, "models/model-not-json.safetensors", set_meta("loom.model", "{")),
        "loom.model empty object": rewrite_safetensors(checkpoint, "models/model-empty.safetensors", set_meta("loom.model", "{}")),
        "loom.model huge widths": rewrite_safetensors(checkpoint, "models/model-huge.safetensors",
                                                      with_model(lambda d: d["architecture"].__setitem__("widths", [64, 1000000000, 10]))),
        "loom.model zero width": rewrite_safetensors(checkpoint, "models/model-zero.safetensors",
                                                     with_model(lambda d: d["architecture"].__setitem__("widths", [64, 0, 10]))),
        "loom.model negative width": rewrite_safetensors(checkpoint, "models/model-negative.safetensors",
                                                         with_model(lambda d: d["architecture"].__setitem__("widths", [64, -8, 10]))),
        "loom.model one width": rewrite_safetensors(checkpoint, "models/model-one.safetensors",
                                                    with_model(lambda d: d["architecture"].__setitem__("widths", [64]))),
        "loom.model other widths": rewrite_safetensors(checkpoint, "models/model-other.safetensors",
                                                       with_model(lambda d: d["architecture"].__setitem__("widths", [64, 9, 10]))),
        "loom.model dropout 2": rewrite_safetensors(checkpoint, "models/model-dropout.safetensors",
                                                    with_model(lambda d: d["architecture"].__setitem__("dropout", 2))),
        "loom.model 1000 hidden layers": rewrite_safetensors(checkpoint, "models/model-deep.safetensors",
                                                             with_model(lambda d: d["architecture"].__setitem__("widths", [64] + [1] * 100000 + [10]))),
        "loom.model wrong type": rewrite_safetensors(checkpoint, "models/model-type.safetensors",
                                                     with_model(lambda d: d.__setitem__("architecture", "mlp"))),
        "loom.model no class names": rewrite_safetensors(checkpoint, "models/model-classes.safetensors",
                                                         with_model(lambda d: d.__setitem__("target", {}))),
        "loom.model deep nesting": rewrite_safetensors(checkpoint, "models/model-nest.safetensors", set_meta("loom.model", "[" * 100000)),
        "loom.configuration not JSON": rewrite_safetensors(checkpoint, "models/config-not-json.safetensors",
                                                           set_meta("loom.configuration", "nope")),
        "loom.configuration hiddenWidths [0]": rewrite_safetensors(checkpoint, "models/config-zero.safetensors",
                                                                   with_configuration(lambda c: c["model"].__setitem__("hiddenWidths", [0]))),
        "loom.configuration batchSize -1": rewrite_safetensors(checkpoint, "models/config-batch.safetensors",
                                                               with_configuration(lambda c: c.__setitem__("batchSize", -1))),
        "loom.configuration schemaVersion 99": rewrite_safetensors(checkpoint, "models/config-version.safetensors",
                                                                   with_configuration(lambda c: c.__setitem__("schemaVersion", 99))),
        "no description and no config.json": rewrite_safetensors(checkpoint, "models/bare/checkpoint.safetensors",
                                                                 set_meta("loom.model", None)),
        "epochs not a number": rewrite_safetensors(checkpoint, "models/epochs.safetensors", set_meta("epochs", "many")),
        "a weight with NaN": rewrite_safetensors(checkpoint, "models/nan.safetensors",
                                                 edit_data=lambda d: struct.pack("<f", float("nan")) * (len(d) // 4)),
        "a weight as int64": rewrite_safetensors(checkpoint, "models/int64.safetensors",
                                                 lambda h: h[first].__setitem__("dtype", "I64")),
        "a weight of another shape": rewrite_safetensors(checkpoint, "models/shape.safetensors",
                                                         lambda h: h[first].__setitem__("shape", list(reversed(h[first]["shape"])))),
        "a missing weight": rewrite_safetensors(checkpoint, "models/missing.safetensors", lambda h: h.pop(first)),
        "offsets past the end": rewrite_safetensors(checkpoint, "models/offsets.safetensors",
                                                    lambda h: h[first].__setitem__("data_offsets", [0, 10**12])),
        "a CSV file": path("good.csv"), "a directory": path("base"), "no such file": path("nowhere.safetensors"),
    }
    expect_any = {"a weight with NaN", "epochs not a number", "loom.configuration not JSON", "loom.configuration hiddenWidths [0]",
                  "loom.configuration batchSize -1", "loom.configuration schemaVersion 99"}
    for name, p in files.items():
        expect = "any" if name in expect_any else "error"
        case(f"inspect: {name}", ["inspect", p], expect=expect)
        case(f"evaluate: {name}", ["evaluate", p], expect=expect)
        if name in ("loom.model huge widths", "loom.model other widths", "truncated data", "a missing weight", "empty file",
                    "loom.model not JSON", "a weight of another shape", "no such file", "a directory"):
            case(f"export: {name}", ["export", p, "--output", path("exported.safetensors")])
            case(f"predict: {name}", ["predict", p, path("good.csv")])
            # Initial weights are read as tensors alone: a bad description does not matter there.
            case(f"train --initial-weights: {name}", ["train", "--initial-weights", p, "--epochs", "1", "--hidden", "8"],
                 expect="any" if name.startswith("loom.model") else "error")
    # The model of another class count or input size than the data.
    case("evaluate: a table model on the digits", ["evaluate", path("table/checkpoint.safetensors"), "--dataset", "digits"])
    case("evaluate: a digits model on a table", ["evaluate", checkpoint, path("good.csv")])
    case("evaluate: a digits model on MNIST's 28×28", ["evaluate", checkpoint, "--dataset", "mnist", "--data", path("idx-good")])
    case("predict: a digits model on a CSV", ["predict", checkpoint, path("good.csv")])
    case("export --output onto its own input", ["export", path("model.safetensors"), "--output", path("model.safetensors")],
         expect="any")
    case("export --output a directory", ["export", checkpoint, "--output", path("base")])
    case("export --output \"\"", ["export", checkpoint, "--output", ""])


def configuration_cases():
    """--resume reads config.json and metrics.jsonl from the run directory."""
    base = path("pristine-base")
    config = json.load(open(os.path.join(base, "config.json")))
    def variant(name, text=None, edit=None, metrics=None, remove=None):
        directory = path(f"resume/{name.replace(' ', '-').replace('/', '-')}")
        shutil.copytree(base, directory)
        if edit:
            c = json.loads(json.dumps(config))
            edit(c)
            text = json.dumps(c)
        if text is not None:
            write(os.path.relpath(os.path.join(directory, "config.json"), WORK), text)
        if metrics is not None:
            write(os.path.relpath(os.path.join(directory, "metrics.jsonl"), WORK), metrics)
        if remove:
            os.remove(os.path.join(directory, remove))
        return directory
    def at(keys, value):
        def edit(c):
            target = c
            for k in keys[:-1]:
                target = target[k]
            target[keys[-1]] = value
        return edit
    variants = {
        "empty config.json": variant("empty", text=""), "not JSON": variant("not-json", text="{"),
        "an array": variant("array", text="[1,2]"), "a number": variant("number", text="3"),
        "NaN literal": variant("nan-literal", text='{"schemaVersion": 2, "batchSize": NaN}'),
        "schemaVersion 99": variant("v99", edit=at(["schemaVersion"], 99)),
        "schemaVersion a string": variant("vstr", edit=at(["schemaVersion"], "2")),
        "hiddenWidths [0]": variant("hw0", edit=at(["model", "hiddenWidths"], [0])),
        "hiddenWidths [-5]": variant("hwneg", edit=at(["model", "hiddenWidths"], [-5])),
        "hiddenWidths huge": variant("hwhuge", edit=at(["model", "hiddenWidths"], [10**9, 10**9])),
        "hiddenWidths 1e30": variant("hw1e30", edit=at(["model", "hiddenWidths"], [1e30])),
        "hiddenWidths a string": variant("hwstr", edit=at(["model", "hiddenWidths"], "8")),
        "hiddenWidths 100000 layers": variant("hwdeep", edit=at(["model", "hiddenWidths"], [1] * 100000)),
        # config.json names only what differs from the defaults (the batch size is absent unless
        # given), so the out-of-range value is put in as a field of its own.
        "batchSize 0": variant("b0", edit=at(["batchSize"], 0)), "batchSize 2^63": variant("bbig", text=(
            '{"batchSize": 9223372036854775808, ' + json.dumps({k: v for k, v in config.items() if k != "batchSize"})[1:])),
        "batchSize 1.5": variant("bfrac", edit=at(["batchSize"], 1.5)), "epochs -1": variant("eneg", edit=at(["epochs"], -1)),
        "an unknown field": variant("unknown", edit=at(["bogus"], 1)),
        "an unknown optimizer": variant("opt", edit=at(["optimizer", "name"], "bogus")),
        "momentum for adam": variant("mom", edit=lambda c: c["optimizer"].__setitem__("momentum", 0.9)),
        "learningRate \"inf\"": variant("lrinf", edit=at(["optimizer", "learningRate"], "inf")),
        "learningRate -1": variant("lrneg", edit=at(["optimizer", "learningRate"], -1)),
        "dropout 1": variant("drop", edit=at(["model", "dropout"], 1)),
        "seed negative": variant("seed", edit=at(["seed"], -1)),
        "deep nesting": variant("nest", text='{"schemaVersion": 2, "model": ' + "[" * 50000 + "]" * 50000 + "}"),
        "a NUL byte": variant("nul", text='{"schemaVersion": 2\x00}'),
        "non-UTF-8": variant("utf8", text=b'{"schemaVersion": 2, "data": {"file": "\xff\xfe"}}'),
        "data.file missing": variant("datafile", edit=at(["data", "file"], path("nowhere.csv"))),
        "legacy layout with bad fields": variant("legacy", text='{"hidden": "x", "optimizer": 3}'),
        "maximumSkippedFraction 2": variant("skip", edit=at(["maximumSkippedFraction"], 2)),
        "no config.json": variant("noconfig", remove="config.json"),
        "no checkpoint": variant("nockpt", remove="checkpoint.safetensors"),
        "no metrics.jsonl": variant("nometrics", remove="metrics.jsonl"),
        "metrics.jsonl not JSON": variant("metrics", metrics="{not json\n"),
        "metrics.jsonl with a NaN": variant("metricsnan", metrics='{"epoch": NaN}\n'),
        "metrics.jsonl empty": variant("metricsempty", metrics=""),
        "hiddenWidths of another network": variant("other", edit=at(["model", "hiddenWidths"], [16])),
    }
    for name, directory in variants.items():
        epochs = ["--epochs", "3"] if name not in ("epochs -1",) else []
        case(f"config.json (--resume): {name}", ["train", "--output", directory, "--resume"] + epochs, timeout=60)
    case("--resume on an empty directory", ["train", "--output", tempfile.mkdtemp(dir=WORK), "--resume"])
    case("--resume --epochs -1", ["train", "--output", variant("extend"), "--resume", "--epochs", "-1"])
    case("--resume --epochs 2 extends the finished run", ["train", "--output", path("resume/extend"), "--resume", "--epochs", "2"],
         expect="ok")
    case("--resume with another --hidden", ["train", "--output", path("resume/extend"), "--resume", "--hidden", "16"])
    case("evaluate: a checkpoint whose config.json is corrupt", ["evaluate", path("resume/not-json/checkpoint.safetensors")], expect="any")


def report_cases():
    result = json.load(open(path("experiment/result.json")))
    def variant(name, edit=None, text=None):
        directory = path(f"report/{name.replace(' ', '-')}")
        os.makedirs(directory, exist_ok=True)
        if edit:
            r = json.loads(json.dumps(result))
            edit(r)
            text = json.dumps(r)
        write(os.path.relpath(os.path.join(directory, "result.json"), WORK), text)
        return directory
    def all_values(value):
        def edit(r):
            for figure in r["figures"]:
                for series in figure["series"]:
                    series["y"] = [value if i % 2 else -value if isinstance(value, float) else value for i in range(len(series["y"]))]
                    if "x" in series:
                        series["x"] = [value] * len(series["x"])
        return edit
    def heat(values, rows=("a",), columns=("b",)):
        def edit(r):
            r["figures"].append({"name": "h", "title": "h", "caption": "", "series": [],
                                 "xAxis": {"title": "x", "scale": "linear"}, "yAxis": {"title": "y", "scale": "linear"},
                                 "heatMap": {"rowLabels": list(rows), "columnLabels": list(columns), "values": values, "valueLabel": "v"}})
        return edit
    def log_axes(r):
        for figure in r["figures"]:
            figure["yAxis"]["scale"] = "logarithmic"
    cases = {
        "values near ±1e308": (variant("e308", all_values(1e308)), "any"),
        "values at the largest double": (variant("max", all_values(sys.float_info.max)), "any"),
        "subnormal values": (variant("subnormal", all_values(5e-324)), "any"),
        "NaN and inf as strings": (variant("nanstr", all_values("nan")), "any"),
        "inf as strings": (variant("infstr", all_values("inf")), "any"),
        "NaN literals": (variant("nanlit", text=json.dumps(result).replace('"seconds": ', '"seconds": NaN, "x": ')), "error"),
        "log axes over ±1e308": (variant("log", lambda r: (all_values(1e308)(r), log_axes(r))), "any"),
        "a heat map of extremes": (variant("heat", heat([[1e308, -1e308]], columns=("b", "c"))), "any"),
        "a heat map shaped unlike its labels": (variant("heatbad", heat([[1, 2], [3]], rows=("a",), columns=("b",))), "error"),
        "empty": (variant("empty", text=""), "error"), "not JSON": (variant("notjson", text="{"), "error"),
        "an array": (variant("array", text="[]"), "error"), "no figures field": (variant("nofigures", lambda r: r.pop("figures")), "error"),
        "figures a string": (variant("figstr", lambda r: r.__setitem__("figures", "x")), "error"),
        "x and y of different lengths": (variant("xy", lambda r: [s.__setitem__("x", [1.0]) for f in r["figures"] for s in f["series"]]), "any"),
        "an unknown axis scale": (variant("scale", lambda r: [f["xAxis"].__setitem__("scale", "cubic") for f in r["figures"]]), "error"),
        "deep nesting": (variant("nest", text="[" * 100000), "error"),
        "markup in titles": (variant("markup", lambda r: r.__setitem__("title", "</section><script>alert(1)</script>")), "any"),
        "a 100000-point series": (variant("long", lambda r: r["figures"][0]["series"][0].update(
            {"y": [float(i) for i in range(100000)], "x": [float(i) for i in range(100000)]})), "any"),
    }
    for name, (directory, expect) in cases.items():
        case(f"report: {name}", ["report", directory, "--output", path("report.html")], expect=expect, timeout=30)
    # A training run has no result.json and is a report of its own (learning curves); a
    # directory that is neither kind of run is refused.
    case("report: a training run (no result.json)", ["report", path("base"), "--output", path("report.html")], expect="ok")
    os.makedirs(path("neither-run"), exist_ok=True)
    case("report: a directory that is neither kind of run", ["report", path("neither-run"), "--output", path("report.html")])
    case("report: no such directory", ["report", path("nowhere"), "--output", path("report.html")])
    case("report: no directories", ["report"])
    # --output must replace only a regular file.
    fifo = path("report-fifo")
    os.mkfifo(fifo)
    os.symlink(path("good.csv"), path("report-link"))
    targets = {"a FIFO": fifo, "a symbolic link": path("report-link"), "a directory": path("base"), "\"\"": ""}
    try:
        os.mknod(path("report-device"), stat.S_IFCHR | 0o666, os.makedev(1, 3))
        targets["a device"] = path("report-device")
    except (PermissionError, OSError):
        print("skip: report --output onto a device (cannot make a device node here)")
    protected.extend(p for p in targets.values() if p)
    for name, target in targets.items():
        case(f"report --output onto {name}", ["report", path("experiment"), "--output", target])
    case("report --output into a missing directory", ["report", path("experiment"), "--output", path("missing/dir/report.html")],
         expect="any")
    case("report: a good directory", ["report", path("experiment"), "--output", path("good-report.html")], expect="ok")


def experiment_cases():
    bad = {
        "init-variance": [["--depth", "100000"], ["--depth", "-1"], ["--width", "0"], ["--width", "10000000"], ["--batch-size", "0"],
                          ["--batch-size", "1000000000"], ["--scales", ""], ["--scales", "nan"], ["--scales", "-1"], ["--scales", "x,y"],
                          ["--seed", "-1"]],
        "zero-init": [["--hidden", "0"], ["--hidden", ""], ["--hidden", "100000000"], ["--epochs", "0"], ["--epochs", "1000000000"],
                      ["--learning-rate", "nan"], ["--learning-rate", "-1"], ["--limit", "0"], ["--limit", "-5"], ["--dataset", "bogus"]],
        "weight-drift": [["--widths", "200000"], ["--widths", ""], ["--widths", "0"], ["--depth", "100000"], ["--depth", "0"],
                         ["--epochs", "-1"], ["--learning-rate", "inf"]],
        "optimizers": [["--hidden", "2000"], ["--steps", "0"], ["--steps", "100000000000"], ["--newton-steps", "-1"],
                       ["--batch-size", "0"], ["--momentum", "nan"], ["--momentum", "2"], ["--adam-learning-rate", "0"],
                       ["--l2", "-1"], ["--l2", "inf"]],
        "width-depth": [["--depths", "100000"], ["--depths", ""], ["--widths", "0"], ["--widths", "1000000000"], ["--epochs", "0"],
                        ["--depths", "1,x"]],
        "trainability": [["--depths", "100000"], ["--width", "0"], ["--width", "100000000"], ["--epochs", "0"],
                         ["--learning-rate", "-1"]],
        "hessian": [["--hidden", "100000,100000"], ["--hidden", "0"], ["--hidden", "100000000"], ["--top-eigenvalues", "0"],
                    ["--top-eigenvalues", "100000000"], ["--lanczos-steps", "0"], ["--trace-samples", "-1"],
                    ["--density-probes", "0"], ["--epochs", "-1"]],
    }
    for experiment, argument_lists in bad.items():
        for args in argument_lists:
            case(f"experiment {experiment} {' '.join(args)!r}", ["experiment", experiment, "--no-chart", "--output", path("exp-bad")] + args,
                 timeout=60)
        case(f"experiment {experiment} --output \"\"", ["experiment", experiment, "--output", ""])
        case(f"experiment {experiment} --output a training run", ["experiment", experiment, "--output", path("base")])
        case(f"experiment {experiment} --output a file", ["experiment", experiment, "--output", path("good.csv")])
        case(f"experiment {experiment} --bogus", ["experiment", experiment, "--bogus"])
    case("experiment bogus", ["experiment", "bogus"])
    # The case: it had no size check and hung; the spectrum now comes from
    # Hessian-vector products, so any network is allowed, and it must end.
    case("experiment hessian --hidden 2000", ["experiment", "hessian", "--hidden", "2000", "--epochs", "1", "--limit", "200",
                                              "--no-chart", "--output", path("exp-hessian")], expect="any", timeout=120)
    case("experiment with no subcommand", ["experiment"], expect="any")


def fault_cases():
    # Two writers of one run directory: the second is refused with the first one's process id.
    directory = path("concurrent")
    # Far more epochs than the few seconds below (200 ended before the second signal on a Zen 4).
    first = subprocess.Popen([LOOM, "train", "--epochs", "100000", "--hidden", "8", "--output", directory], cwd=WORK,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(os.path.join(directory, "config.json")):
            break
        time.sleep(0.05)
    case("a second writer of a run directory", ["train", "--epochs", "1", "--output", directory, "--force"],
         contains=f"process {first.pid}")
    case("an experiment into a directory being trained", ["experiment", "init-variance", "--depth", "3", "--width", "4",
                                                           "--no-chart", "--output", directory], contains="another loom process")
    # SIGTERM and SIGINT: 143 / 130, one line naming the checkpoint, no temporary file.
    for sig, status in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        time.sleep(1.0)
        first.send_signal(sig)
        try:
            code = first.wait(timeout=30)
        except subprocess.TimeoutExpired:
            first.kill()
            code = None
        temporaries = [n for n in os.listdir(directory) if n.endswith(".tmp")]
        record(code == status and not temporaries, f"{sig.name} during training: exit {code} (expected {status}), "
                                                   f"{len(temporaries)} temporary files")
        first = subprocess.Popen([LOOM, "train", "--output", directory, "--resume"], cwd=WORK,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first.kill()
    first.wait()
    for sig, status in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        process = subprocess.Popen([LOOM, "experiment", "width-depth", "--widths", "16,32", "--depths", "1,2", "--epochs", "100000",
                                    "--no-chart", "--output", path(f"exp-signal-{status}")], cwd=WORK,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Far more epochs than 1.5 s can run on any host (50 finished before the signal on a
        # Zen 4), so the signal always lands mid-experiment.
        time.sleep(1.5)
        process.send_signal(sig)
        code = process.wait(timeout=30)
        err = process.stderr.read().decode()
        temporaries = [n for n in os.listdir(path(f"exp-signal-{status}")) if n.endswith(".tmp")]
        record(code == status and len(error_lines(err)) == 1 and not temporaries,
               f"{sig.name} during an experiment: exit {code} (expected {status}), {err.strip()!r}")
    case("train --output onto a finished run without --force", ["train", "--epochs", "1", "--output", path("base")],
         contains="--force")
    case("train --output onto the table run without --force", ["train", "--epochs", "1", "--output", path("table")])
    case("datasets --data a missing directory", ["datasets", "--data", path("nowhere")])
    case("datasets --data a bad IDX directory", ["datasets", "--data", path("idx-magic")])
    case("datasets", ["datasets"], expect="ok")
    case("no subcommand", [], expect="any")
    case("help", ["--help"], expect="ok")
    case("an unknown subcommand", ["bogus"])
    case("train with stdin closed", ["train", "--epochs", "1", "--hidden", "4"], expect="ok", stdin=b"")
    # Read-only files and directories (root ignores the permission bits: then it is allowed).
    readonly = path("readonly")
    os.makedirs(readonly)
    os.chmod(readonly, 0o500)
    case("train --output a read-only directory", ["train", "--epochs", "1", "--hidden", "4", "--output", readonly],
         expect="error" if os.geteuid() != 0 else "any")


def main():
    if not os.access(LOOM, os.X_OK):
        sys.exit(f"no loom at {LOOM}: run `swift build -c release` first")
    start = time.time()
    try:
        setup()
        for group in (train_option_cases, idx_cases, csv_cases, numpy_cases, model_file_cases, configuration_cases,
                      report_cases, experiment_cases, fault_cases):
            print(f"== {group.__name__.replace('_', ' ')}")
            group()
    finally:
        os.chmod(path("readonly"), 0o700) if os.path.exists(path("readonly")) else None
        shutil.rmtree(WORK, ignore_errors=True)
    failed = sum(len(v) for v in results.values())
    print(f"== hostile input: {passed + failed} cases in {time.time() - start:.0f} s: "
          + ", ".join(f"{len(v)} {k}" for k, v in results.items()))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
