#!/usr/bin/env python3
"""Reference Hessians of small MLP losses (float64), computed once with PyTorch.

Loom's HessianReferenceTests compare `hessian(of:at:)`, `gradient(at:of:)` and
`hessianVectorProduct` against the numbers this script writes. PyTorch is NOT a dependency
of Loom: the numbers are committed, and this script only documents (and can regenerate) them.

How to run (from the repository root; the CPU-only wheel is enough):

    python3 -m venv /tmp/hessvenv
    /tmp/hessvenv/bin/pip install torch==2.13.0+cpu      # or: --find-links /opt/wheels
    /tmp/hessvenv/bin/python Scripts/reference/hessian_mlp.py

It writes, deterministically (no random numbers anywhere):

    Scripts/reference/hessian_mlp.json               all inputs and results, for humans/tools
    Tests/LoomTests/Fixtures/HessianMLPFixture.swift the same numbers as Swift literals
                                                     (generated; do not edit by hand)

Convention (the lecture's, see DESIGN.md): rows are examples,
    Z_1 = X,  Z_{i+1} = σ_i(Z_i W_i + 1 b_iᵀ),  σ_L = identity,
with W_i stored [in, out] (not PyTorch's [out, in]) and b_i of shape [out].
The parameter vector θ is W1, b1, W2, b2 concatenated in that order, each flattened row-major.

Cases:
  tanh_cross_entropy  3 → 4 (tanh) → 3 logits, 5 examples, integer labels,
                      loss = mean over examples of −log softmax(logits)[label].
  relu_mse            3 → 4 (ReLU) → 2 outputs, 5 examples, real targets,
                      loss = mean over all 5·2 elements of (output − target)²
                      (PyTorch's MSELoss with reduction='mean'). Every ReLU pre-activation
                      is at least 0.05 away from 0, so the kink never matters.

Inputs and parameters come from fixed sin/cos formulas of their indices (see `table`).
The Hessian comes from torch.autograd.functional.hessian and is cross-checked against
torch.func.jacfwd(jacrev(f)) and against central differences of the gradient; the
discrepancies are recorded in the JSON.
"""

import json
import math
import os
import sys

import torch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
JSON_PATH = os.path.join(ROOT, "Scripts", "reference", "hessian_mlp.json")
SWIFT_PATH = os.path.join(ROOT, "Tests", "LoomTests", "Fixtures", "HessianMLPFixture.swift")
COMMAND = "python Scripts/reference/hessian_mlp.py"

torch.set_default_dtype(torch.float64)


def table(rows, cols, scale, a, b, c, fn=math.sin):
    """A [rows, cols] float64 tensor with entries scale · fn(a + b·i + c·j)."""
    return torch.tensor([[scale * fn(a + b * i + c * j) for j in range(cols)] for i in range(rows)],
                        dtype=torch.float64)


def sizes_of(layer_sizes):
    """Shapes of W1, b1, W2, b2, … in θ order."""
    shapes = []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        shapes += [(n_in, n_out), (n_out,)]
    return shapes


def unflatten(theta, layer_sizes):
    parts, offset = [], 0
    for shape in sizes_of(layer_sizes):
        n = math.prod(shape)
        parts.append(theta[offset:offset + n].reshape(shape))
        offset += n
    assert offset == theta.numel()
    return parts


def forward(theta, x, layer_sizes, activation):
    parts = unflatten(theta, layer_sizes)
    z = x
    pre = []
    layers = len(layer_sizes) - 1
    for i in range(layers):
        w, b = parts[2 * i], parts[2 * i + 1]
        a = z @ w + b  # Z W + 1 bᵀ, W is [in, out]
        pre.append(a)
        z = activation(a) if i < layers - 1 else a
    return z, pre


def make_case(name, activation_name, loss_name, layer_sizes, x, target, theta):
    activation = {"tanh": torch.tanh, "relu": torch.relu}[activation_name]

    def loss_fn(t):
        out, _ = forward(t, x, layer_sizes, activation)
        if loss_name == "softmax_cross_entropy":
            logp = torch.log_softmax(out, dim=1)
            return -logp.gather(1, target.view(-1, 1)).mean()
        if loss_name == "mse":
            return ((out - target) ** 2).mean()
        raise ValueError(loss_name)

    _, pre = forward(theta, x, layer_sizes, activation)
    min_abs_hidden_preactivation = min(float(p.abs().min()) for p in pre[:-1])
    if activation_name == "relu":
        assert min_abs_hidden_preactivation >= 0.05, f"{name}: a ReLU input is near the kink"

    t = theta.detach().clone().requires_grad_(True)
    loss = loss_fn(t)
    (grad,) = torch.autograd.grad(loss, t)
    hessian = torch.autograd.functional.hessian(loss_fn, theta.detach().clone())

    # Independent cross-checks (recorded, and asserted loosely).
    hessian_fwd_rev = torch.func.jacfwd(torch.func.jacrev(loss_fn))(theta.detach().clone())
    cross_check_func = float((hessian - hessian_fwd_rev).abs().max())
    eps = 1e-5

    def grad_at(v):
        v = v.detach().clone().requires_grad_(True)
        return torch.autograd.grad(loss_fn(v), v)[0]

    fd = torch.stack([(grad_at(theta + eps * e) - grad_at(theta - eps * e)) / (2 * eps)
                      for e in torch.eye(theta.numel())], dim=0)
    cross_check_fd = float((hessian - fd).abs().max())
    symmetry = float((hessian - hessian.T).abs().max())
    assert cross_check_func <= 1e-12 * max(1.0, float(hessian.abs().max())), cross_check_func
    assert cross_check_fd <= 1e-7, cross_check_fd

    n = theta.numel()
    return {
        "name": name,
        "activation": activation_name,
        "loss": loss_name,
        "layer_sizes": layer_sizes,
        "parameter_shapes": [list(s) for s in sizes_of(layer_sizes)],
        "parameter_count": n,
        "input_shape": list(x.shape),
        "inputs": x.flatten().tolist(),
        "labels": target.tolist() if loss_name == "softmax_cross_entropy" else None,
        "target_shape": list(target.shape) if loss_name == "mse" else None,
        "targets": target.flatten().tolist() if loss_name == "mse" else None,
        "theta": theta.tolist(),
        "loss_value": loss.detach().item(),
        "gradient": grad.tolist(),
        "hessian_shape": [n, n],
        "hessian": hessian.flatten().tolist(),
        "checks": {
            "max_abs_hessian": float(hessian.abs().max()),
            "max_abs_diff_vs_torch_func_jacfwd_jacrev": cross_check_func,
            "max_abs_diff_vs_central_difference_of_gradient_eps_1e-5": cross_check_fd,
            "max_abs_asymmetry": symmetry,
            "min_abs_hidden_preactivation": min_abs_hidden_preactivation,
        },
    }


def tanh_case():
    sizes = [3, 4, 3]
    x = table(5, 3, 1.0, 0.3, 1.7, 0.9)
    w1 = table(3, 4, 0.8, 0.1, 1.3, 2.1, math.cos)
    b1 = table(1, 4, 0.2, 0.5, 0.0, 1.1).flatten()
    w2 = table(4, 3, 0.9, 0.7, 2.3, 1.9)
    b2 = table(1, 3, 0.1, 0.2, 0.0, 1.7, math.cos).flatten()
    labels = torch.tensor([0, 2, 1, 2, 0], dtype=torch.int64)
    theta = torch.cat([w1.flatten(), b1, w2.flatten(), b2])
    return make_case("tanh_cross_entropy", "tanh", "softmax_cross_entropy", sizes, x, labels, theta)


def relu_case():
    sizes = [3, 4, 2]
    x = table(5, 3, 1.0, 0.4, 1.1, 2.3, math.cos)
    w1 = table(3, 4, 0.9, 0.2, 1.9, 0.7)
    b1 = table(1, 4, 0.3, 1.5, 0.0, 2.9).flatten()
    w2 = table(4, 2, 0.8, 0.6, 1.4, 2.6, math.cos)
    b2 = table(1, 2, 0.1, 0.9, 0.0, 1.3).flatten()
    targets = table(5, 2, 0.5, 1.2, 0.8, 1.6)
    theta = torch.cat([w1.flatten(), b1, w2.flatten(), b2])
    return make_case("relu_mse", "relu", "mse", sizes, x, targets, theta)


def swift_doubles(values, indent="        ", per_line=4):
    # repr() of a Python float is the shortest string that round-trips, and Swift parses
    # decimal literals correctly rounded, so the Swift Double equals the Python float exactly.
    items = [repr(float(v)) for v in values]
    lines = [indent + ", ".join(items[i:i + per_line]) + "," for i in range(0, len(items), per_line)]
    return "[\n" + "\n".join(lines) + "\n" + indent[:-4] + "]"


def swift_case(identifier, case):
    labels = case["labels"]
    targets = case["targets"]
    out = []
    out.append(f"    /// `{case['name']}`: layers {case['layer_sizes']}, {case['activation']} hidden, "
               f"{case['loss']} loss (mean), {case['input_shape'][0]} examples.")
    out.append(f"    static let {identifier} = HessianMLPReferenceCase(")
    out.append(f"        name: {json.dumps(case['name'])},")
    out.append(f"        activation: .{case['activation']},")
    out.append(f"        loss: .{'softmaxCrossEntropy' if case['loss'] == 'softmax_cross_entropy' else 'meanSquaredError'},")
    out.append(f"        layerSizes: {case['layer_sizes']},")
    out.append(f"        inputShape: {case['input_shape']},")
    out.append(f"        inputs: {swift_doubles(case['inputs'], indent=' ' * 12)},")
    out.append(f"        labels: {labels if labels is not None else '[]'},")
    out.append(f"        targetShape: {case['target_shape'] if case['target_shape'] is not None else '[]'},")
    out.append(f"        targets: {swift_doubles(targets, indent=' ' * 12) if targets is not None else '[]'},")
    out.append(f"        theta: {swift_doubles(case['theta'], indent=' ' * 12)},")
    out.append(f"        lossValue: {repr(case['loss_value'])},")
    out.append(f"        gradient: {swift_doubles(case['gradient'], indent=' ' * 12)},")
    out.append(f"        hessian: {swift_doubles(case['hessian'], indent=' ' * 12)}")
    out.append("    )")
    return "\n".join(out)


def main():
    cases = [tanh_case(), relu_case()]
    meta = {
        "generator": "Scripts/reference/hessian_mlp.py",
        "command": COMMAND,
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "dtype": "float64",
        "convention": "Z_{i+1} = sigma(Z_i W_i + 1 b_i^T), W_i stored [in, out], last layer identity; "
                      "theta = concat(W1.flatten(), b1, W2.flatten(), b2), row-major",
        "hessian_method": "torch.autograd.functional.hessian (cross-checked: torch.func.jacfwd(jacrev), "
                          "central differences of the gradient)",
    }
    with open(JSON_PATH, "w") as f:
        json.dump({"meta": meta, "cases": cases}, f, indent=1)
        f.write("\n")

    swift = [
        "// GENERATED by Scripts/reference/hessian_mlp.py — do not edit by hand.",
        f"// Command: {COMMAND}",
        f"// PyTorch {torch.__version__}, Python {meta['python_version']}, float64. The same numbers, with",
        "// the cross-check results, are in Scripts/reference/hessian_mlp.json.",
        "//",
        "// Convention: Z_{i+1} = σ(Z_i W_i + 1 b_iᵀ), W_i stored [in, out], last layer identity;",
        "// θ = W1 (row-major), b1, W2 (row-major), b2. `hessian` is the [P, P] matrix row-major.",
        "",
        "struct HessianMLPReferenceCase: Sendable {",
        "    enum Activation: Sendable { case tanh, relu }",
        "    enum Loss: Sendable { case softmaxCrossEntropy, meanSquaredError }",
        "    let name: String",
        "    let activation: Activation",
        "    let loss: Loss",
        "    let layerSizes: [Int]",
        "    let inputShape: [Int]",
        "    let inputs: [Double]",
        "    /// Class labels (softmax cross-entropy only).",
        "    let labels: [Int64]",
        "    /// Regression targets (mean squared error only).",
        "    let targetShape: [Int]",
        "    let targets: [Double]",
        "    let theta: [Double]",
        "    let lossValue: Double",
        "    let gradient: [Double]",
        "    let hessian: [Double]",
        "}",
        "",
        "enum HessianMLPFixture {",
        swift_case("tanhCrossEntropy", cases[0]),
        "",
        swift_case("reluMeanSquaredError", cases[1]),
        "",
        "    static let all: [HessianMLPReferenceCase] = [tanhCrossEntropy, reluMeanSquaredError]",
        "}",
        "",
    ]
    os.makedirs(os.path.dirname(SWIFT_PATH), exist_ok=True)
    with open(SWIFT_PATH, "w") as f:
        f.write("\n".join(swift))

    for c in cases:
        print(c["name"], "P =", c["parameter_count"], "loss =", c["loss_value"], c["checks"])


if __name__ == "__main__":
    main()
