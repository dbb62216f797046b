#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (Fuzz/corpus/<target>/), small valid and
near-valid inputs from which libFuzzer mutates. Run once; the output is committed.
    python3 Fuzz/make-corpus.py
"""
import gzip, json, os, struct

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data)


def idx(type_code, shape, payload):
    return bytes([0, 0, type_code, len(shape)]) + b"".join(struct.pack(">I", s) for s in shape) + payload


# IDX: each element type, an image-like rank-3 array, labels, an empty array, gzip-wrapped.
write("idx", "uint8-images", idx(0x08, [2, 3, 3], bytes(range(18))))
write("idx", "uint8-labels", idx(0x08, [4], bytes([0, 1, 9, 3])))
write("idx", "int8", idx(0x09, [1, 2], bytes([0x80, 0x7F])))
write("idx", "int16", idx(0x0B, [2], bytes([0xFF, 0xFE, 0x01, 0x00])))
write("idx", "int32", idx(0x0C, [1], struct.pack(">i", -5)))
write("idx", "float32", idx(0x0D, [2], struct.pack(">ff", 1.5, -0.25)))
write("idx", "float64", idx(0x0E, [1], struct.pack(">d", 3.0)))
write("idx", "empty", idx(0x08, [0, 28, 28], b""))
write("idx", "gzip-images", gzip.compress(idx(0x08, [2, 2, 2], bytes(range(8))), mtime=0))

# gzip: one member, two members, an empty member, a highly compressible block.
write("gzip", "one", gzip.compress(b"hello loom " * 4, mtime=0))
write("gzip", "two-members", gzip.compress(b"first", mtime=0) + gzip.compress(b"second", mtime=0))
write("gzip", "empty", gzip.compress(b"", mtime=0))
write("gzip", "zeros", gzip.compress(bytes(4096), mtime=0))


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


# safetensors: every dtype Loom reads, a Loom-like checkpoint for MLP [2, 2], metadata, a scalar.
write("safetensors", "dtypes", safetensors({
    "f32": ("F32", [2], struct.pack("<ff", 1, 2)), "f64": ("F64", [1], struct.pack("<d", 3)),
    "i32": ("I32", [1, 1], struct.pack("<i", 4)), "i64": ("I64", [], struct.pack("<q", 5)),
}))
write("safetensors", "mlp", safetensors({
    "layers.0.weight": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)), "layers.0.bias": ("F32", [2], struct.pack("<2f", 0, 1)),
}, {"format": "loom-checkpoint-1", "epochs": "1"}))
write("safetensors", "empty-tensor", safetensors({"e": ("F32", [0, 3], b"")}))
write("safetensors", "only-metadata", safetensors({}, {"k": "v"}))

# The command line: `loom train` options separated by NUL bytes, config.json files (version 2
# as `loom train --output D` writes them, and version 1, the flat layout older releases wrote,
# which --resume still reads), and `loom experiment` arguments after the marker byte 0x01.
def arguments(*words):
    return b"\0".join(w.encode() for w in words)


def experiment(*words):
    return b"\x01" + arguments(*words)


def config(fields):
    return json.dumps(fields, indent=2, sort_keys=True).encode()


write("command-line", "default", b"")
write("command-line", "sgd", arguments("--optimizer", "sgd", "--learning-rate", "0.1", "--momentum", "0.9", "--momentum-form", "heavy-ball", "--nesterov"))
write("command-line", "hidden", arguments("--hidden", "64,32", "--activation", "leaky-relu", "--negative-slope", "0.2", "--dropout", "0.1"))
write("command-line", "depth", arguments("--depth", "2", "--width", "8", "--normalization", "batch", "--initializer", "xavier-uniform"))
write("command-line", "schedule", arguments("--schedule", "cosine", "--warmup-epochs", "2", "--epochs", "10", "--clip-norm", "1"))
write("command-line", "adam", arguments("--optimizer", "adamw", "--beta1", "0.8", "--beta2", "0.99", "--amsgrad", "--weight-decay", "0.01"))
write("command-line", "newton", arguments("--optimizer", "newton", "--depth", "0", "--width", "1", "--line-search", "--max-parameters", "100"))
write("command-line", "resume", arguments("--output", "runs/x", "--resume", "--epochs", "30"))
write("command-line", "divergence", arguments("--on-divergence", "skip-batch", "--seed", "7", "--label-smoothing", "0.1", "--no-shuffle"))
# What `loom train --output D --epochs 1` writes to D/config.json.
write("command-line", "config-default", config({
    "schemaVersion": 2, "batchSize": 32, "data": {"dataset": "digits"}, "divergencePolicy": "stop", "epochs": 1,
    "labelSmoothing": 0, "model": {"activation": "relu", "dropout": 0, "hiddenWidths": [128, 128],
                                   "initializer": "kaiming-normal", "normalization": "none"},
    "optimizer": {"amsgrad": False, "beta1": 0.9, "beta2": 0.999, "biasCorrection": True, "epsilon": 1e-08,
                  "learningRate": 0.001, "name": "adam", "weightDecay": 0},
    "schedule": "constant", "seed": 0, "shuffle": True, "warmupEpochs": 0,
}))
# `loom train --optimizer sgd --momentum 0.9 --momentum-form heavy-ball --nesterov --schedule step
# --schedule-step 3 --hidden 16 --activation leaky-relu --negative-slope 0.2 --clip-norm 1`.
write("command-line", "config-sgd", config({
    "schemaVersion": 2, "batchSize": 32, "data": {"dataset": "digits"}, "divergencePolicy": "stop", "epochs": 1,
    "gradientClipNorm": 1, "labelSmoothing": 0,
    "model": {"activation": {"name": "leaky-relu", "negativeSlope": 0.2}, "dropout": 0, "hiddenWidths": [16],
              "initializer": "kaiming-normal", "normalization": "none"},
    "optimizer": {"dampening": 0, "learningRate": 0.01, "momentum": 0.9, "momentumForm": "heavy-ball", "name": "sgd",
                  "nesterov": True, "weightDecay": 0},
    "schedule": {"gamma": 0.1, "name": "step", "stepSize": 3}, "seed": 0, "shuffle": True, "warmupEpochs": 0,
}))
# A version 2 file names only what differs from the defaults.
write("command-line", "config-sparse", config({
    "schemaVersion": 2, "model": {"hiddenWidths": [8], "normalization": "layer", "dropout": 0.1},
    "optimizer": {"name": "newton-cg", "lineSearch": "armijo"}, "schedule": {"name": "cosine"}, "warmupEpochs": 1,
}))
write("command-line", "config-v1-default", config({
    "dataset": "digits", "hiddenWidths": [128, 128], "activation": "relu", "negativeSlope": 0.01,
    "initializer": "kaiming-normal", "normalization": "none", "dropout": 0, "optimizer": "adam",
    "learningRate": 0.001, "momentum": 0, "momentumForm": "ema", "dampening": 0, "nesterov": False,
    "weightDecay": 0, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "amsgrad": False,
    "biasCorrection": True, "alpha": 0.99, "centered": False, "lineSearch": False, "batchSize": 32,
    "epochs": 20, "schedule": "constant", "scheduleStep": 10, "scheduleGamma": 0.1, "warmupEpochs": 0,
    "labelSmoothing": 0, "shuffle": True, "seed": 0, "divergencePolicy": "stop",
}))
# Tests/LoomTrainingTests/Fixtures/legacy-nesterov/config.json, with a step schedule.
write("command-line", "config-v1-nesterov", config({
    "activation": "relu", "alpha": 0.99, "amsgrad": False, "batchSize": 32, "beta1": 0.9, "beta2": 0.999,
    "biasCorrection": True, "centered": False, "dampening": 0, "dataset": "digits", "divergencePolicy": "stop",
    "dropout": 0, "epochs": 3, "epsilon": 1e-08, "hiddenWidths": [16], "initializer": "kaiming-normal",
    "labelSmoothing": 0, "learningRate": 0.05, "lineSearch": False, "momentum": 0.9, "momentumForm": "ema",
    "negativeSlope": 0.01, "nesterov": True, "normalization": "none", "optimizer": "sgd", "schedule": "step",
    "scheduleGamma": 0.5, "scheduleStep": 2, "seed": 7, "shuffle": True, "warmupEpochs": 0, "weightDecay": 0,
}))
# `loom experiment NAME …`: each experiment with the options scripts and the README use.
write("command-line", "experiment-init-variance", experiment("init-variance", "--depth", "12", "--width", "64", "--batch-size", "32", "--scales", "1,2.5"))
write("command-line", "experiment-zero-init", experiment("zero-init", "--epochs", "2", "--limit", "300", "--hidden", "16,16", "--learning-rate", "0.1"))
write("command-line", "experiment-weight-drift", experiment("weight-drift", "--widths", "16,64", "--depth", "2", "--epochs", "1", "--seed", "3"))
write("command-line", "experiment-optimizers", experiment("optimizers", "--hidden", "4", "--batch-size", "32", "--steps", "20", "--newton-steps", "2",
                                                          "--momentum", "0.5", "--adam-learning-rate", "0.01", "--l2", "0"))
write("command-line", "experiment-width-depth", experiment("width-depth", "--widths", "8,32", "--depths", "0,2", "--epochs", "1", "--dataset", "digits"))
write("command-line", "experiment-hessian", experiment("hessian", "--hidden", "2", "--epochs", "1", "--limit", "40", "--output", "runs/h", "--no-chart"))

# config.json alone (FuzzConfiguration): the command-line target's configurations.
for name in sorted(os.listdir(os.path.join(root, "command-line"))):
    if name.startswith("config-"):
        with open(os.path.join(root, "command-line", name), "rb") as f:
            data = f.read()
        write("configuration", name, data[data.index(b"{"):] if b"{" in data else data)

# CSV (FuzzCSV): classes, numbers with gaps, quoting, a semicolon table, CRLF, gzip.
write("csv", "classes", b"a,b,label\n1,2,x\n3,4,y\n5,6,x\n")
write("csv", "missing", b"a,b,y\n1,,2.5\n,3,NA\n4,5,6\n")
write("csv", "quoted", b'name,"value, with comma"\n"a ""b""",1\n"multi\nline",2\n')
write("csv", "semicolon", b"a;b\n1,5;2\n3;4\n")
write("csv", "crlf-bom", b"\xef\xbb\xbfa,b\r\n1,2\r\n")
write("csv", "gzip", gzip.compress(b"a,label\n1,x\n2,y\n", mtime=0))


def npy(raw, descr, shape, fortran=False):
    text = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {tuple(shape)!r}, }}"
    text += " " * (64 - (10 + len(text) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode() + raw


def npz(entries):
    import io, zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries.items():
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


# .npy / .npz (FuzzNumpy; an .npz starts with "P"): each dtype kind, Fortran order, a scalar.
write("numpy", "f8", npy(struct.pack("<4d", 1, 2, 3, 4), "<f8", [2, 2]))
write("numpy", "f4-fortran", npy(struct.pack("<6f", *range(6)), "<f4", [2, 3], fortran=True))
write("numpy", "i8", npy(struct.pack("<3q", -1, 0, 7), "<i8", [3]))
write("numpy", "u1", npy(bytes([1, 2]), "|u1", [2]))
write("numpy", "bool", npy(bytes([0, 1]), "|b1", [2]))
write("numpy", "unicode", npy("ab".encode("utf-32-le"), "<U1", [2]))
write("numpy", "scalar", npy(struct.pack("<d", 5), "<f8", []))
write("numpy", "npz", npz({"x.npy": npy(struct.pack("<4d", 1, 2, 3, 4), "<f8", [2, 2]), "y.npy": npy(struct.pack("<2q", 0, 1), "<i8", [2])}))

# Model files (FuzzModelFile): Fuzz/corpus/model-file/ holds `loom export` of two small runs
# (`loom train --hidden 4 --epochs 1`, and the same on a table), written by hand: this script
# does not run loom.
