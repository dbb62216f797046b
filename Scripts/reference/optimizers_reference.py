#!/usr/bin/env python3
"""Reference trajectories for Loom's optimizers.

Runs every optimizer configuration on one fixed, smooth, non-quadratic problem and writes
the parameter values after each step to Tests/LoomOptimizersTests/OptimizerReferenceData.swift
(Swift literals, since the test target has no resources) and a JSON copy beside this script.

  * PyTorch (float32): SGD plain / heavy ball / dampening / Nesterov / weight decay, Adam,
    Adam with coupled decay, AdamW, AMSGrad, RMSprop (plain, centered, momentum, all three
    with decay), Adagrad (plain, with decay options), and the learning-rate schedulers.
  * NumPy (float64): the lecture's formulas, which PyTorch does not have: momentum as a
    moving average with and without bias correction, the lecture's Nesterov (gradient at
    the look-ahead point theta - alpha u), and Adam without bias correction.

The problem: two parameters, W of shape [2, 4] and v of shape [3]; theta = concat(W.flat, v)
(11 values);  f(theta) = sum_k log(1 + exp(A_k . theta - y_k)) + 0.05 * ||theta||^2
with A [6, 11] and y [6] fixed below.

Usage (torch from PyPI, CPU wheel):
  python3 -m venv /tmp/optvenv && /tmp/optvenv/bin/pip install torch==2.13.0+cpu numpy
  /tmp/optvenv/bin/python Scripts/reference/optimizers_reference.py
"""
import json
import math
import os
import platform
import sys

import numpy as np
import torch

STEPS = 25
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWIFT_OUT = os.path.join(ROOT, "Tests", "LoomOptimizersTests", "OptimizerReferenceData.swift")
JSON_OUT = os.path.join(ROOT, "Scripts", "reference", "optimizers_reference.json")

# The problem, from closed-form expressions so it needs no random generator; the literals
# written to the Swift file are these values (float32-exact, so both dtypes see the same).
A = np.array([[round(math.sin(1.3 * k + 0.7 * j + 0.2), 3) for j in range(11)] for k in range(6)])
Y = np.array([round(0.5 * math.cos(2.1 * k), 3) for k in range(6)])
W0 = np.array([round(0.8 * math.cos(0.9 * i + 0.3), 3) for i in range(8)])
V0 = np.array([round(-0.6 * math.sin(1.7 * i + 0.1), 3) for i in range(3)])
DECAY = 0.05


def torch_loss(w, v, a, y):
    theta = torch.cat([w.reshape(8), v])
    z = a @ theta - y
    return torch.log(1 + torch.exp(z)).sum() + DECAY * (theta * theta).sum()


def numpy_gradient(theta):
    z = A @ theta - Y
    return A.T @ (1 / (1 + np.exp(-z))) + 2 * DECAY * theta


# name -> (constructor, kwargs). Swift's tests build the same configurations by name.
TORCH_RUNS = {
    "sgdPlain": (torch.optim.SGD, dict(lr=0.1)),
    "sgdHeavyBall": (torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgdDampening": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    "sgdNesterovPyTorch": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "sgdWeightDecay": (torch.optim.SGD, dict(lr=0.1, weight_decay=0.2)),
    "sgdHeavyBallWeightDecay": (torch.optim.SGD, dict(lr=0.05, momentum=0.8, weight_decay=0.2)),
    "adam": (torch.optim.Adam, dict(lr=0.05)),
    "adamWeightDecay": (torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.3)),
    "adamW": (torch.optim.AdamW, dict(lr=0.05, weight_decay=0.3)),
    "amsgrad": (torch.optim.Adam, dict(lr=0.05, amsgrad=True)),
    "adamWAmsgrad": (torch.optim.AdamW, dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    "rmsprop": (torch.optim.RMSprop, dict(lr=0.01)),
    "rmspropCentered": (torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    "rmspropMomentum": (torch.optim.RMSprop, dict(lr=0.01, momentum=0.9)),
    "rmspropCenteredMomentumDecay": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-4, momentum=0.5, centered=True, weight_decay=0.1)),
    "adagrad": (torch.optim.Adagrad, dict(lr=0.1)),
    "adagradOptions": (torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, eps=1e-6, weight_decay=0.1)),
}


def run_torch(constructor, kwargs):
    a = torch.tensor(A, dtype=torch.float32)
    y = torch.tensor(Y, dtype=torch.float32)
    w = torch.tensor(W0, dtype=torch.float32).reshape(2, 4).requires_grad_()
    v = torch.tensor(V0, dtype=torch.float32).requires_grad_()
    optimizer = constructor([w, v], **kwargs)
    trajectory = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        torch_loss(w, v, a, y).backward()
        optimizer.step()
        trajectory.append([float(x) for x in torch.cat([w.detach().reshape(8), v.detach()])])
    return trajectory


def run_ema_momentum(lr, beta, bias_correction, nesterov):
    """The lecture: u <- beta u + (1 - beta) grad f(point), theta <- theta - lr c_t u, with
    c_t = 1/(1 - beta^t) (t from 1) or 1, and point = theta - lr c_{t-1} u (Nesterov) or theta.
    Returns theta after each step (not the look-ahead point)."""
    theta = np.concatenate([W0, V0]).astype(np.float64)
    u = np.zeros_like(theta)
    last_scale = 0.0
    trajectory = []
    for t in range(1, STEPS + 1):
        point = theta - last_scale * u if nesterov else theta
        u = beta * u + (1 - beta) * numpy_gradient(point)
        scale = lr / (1 - beta ** t) if bias_correction else lr
        theta = theta - scale * u
        last_scale = scale
        trajectory.append([float(x) for x in theta])
    return trajectory


def run_adam_without_bias_correction(lr, beta1, beta2, eps):
    theta = np.concatenate([W0, V0]).astype(np.float64)
    m = np.zeros_like(theta)
    s = np.zeros_like(theta)
    trajectory = []
    for _ in range(STEPS):
        g = numpy_gradient(theta)
        m = beta1 * m + (1 - beta1) * g
        s = beta2 * s + (1 - beta2) * g * g
        theta = theta - lr * m / (np.sqrt(s) + eps)
        trajectory.append([float(x) for x in theta])
    return trajectory


NUMPY_RUNS = {
    "emaMomentum": lambda: run_ema_momentum(0.1, 0.9, False, False),
    "emaMomentumBiasCorrected": lambda: run_ema_momentum(0.1, 0.9, True, False),
    "lectureNesterov": lambda: run_ema_momentum(0.1, 0.9, False, True),
    "lectureNesterovBiasCorrected": lambda: run_ema_momentum(0.1, 0.8, True, True),
    "adamWithoutBiasCorrection": lambda: run_adam_without_bias_correction(0.05, 0.9, 0.999, 1e-8),
}


def torch_schedules():
    """Learning rates for t = 0 ... 29 from PyTorch's schedulers (base rate 0.1)."""
    def rates(make):
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        scheduler = make(optimizer)
        result = []
        for _ in range(30):
            result.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        return result
    sched = torch.optim.lr_scheduler
    return {
        "step": rates(lambda o: sched.StepLR(o, step_size=7, gamma=0.5)),
        "exponential": rates(lambda o: sched.ExponentialLR(o, gamma=0.9)),
        # Up to T_max only: past it PyTorch's cosine rises again, Loom's stays at eta_min.
        "cosine": rates(lambda o: sched.CosineAnnealingLR(o, T_max=29, eta_min=0.01)),
        "linearWarmup": rates(lambda o: sched.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=8)),
        "warmupThenCosine": rates(lambda o: sched.SequentialLR(
            o, [sched.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=5),
                sched.CosineAnnealingLR(o, T_max=24, eta_min=0.01)], milestones=[5])),
    }


def swift_array(values):
    return "[" + ", ".join(repr(float(x)) for x in values) + "]"


def main():
    torch.use_deterministic_algorithms(True)
    trajectories = {name: run_torch(c, k) for name, (c, k) in TORCH_RUNS.items()}
    lecture = {name: run() for name, run in NUMPY_RUNS.items()}
    schedules = torch_schedules()
    versions = f"torch {torch.__version__}, numpy {np.__version__}, Python {platform.python_version()}"
    command = "python3 Scripts/reference/optimizers_reference.py  (in a venv with torch==2.13.0+cpu and numpy)"

    lines = [
        "// Generated by Scripts/reference/optimizers_reference.py. Do not edit: rerun the script.",
        f"// Command: {command}",
        f"// Versions: {versions}",
        "//",
        "// The problem: W [2, 4] and v [3], theta = concat(W.flat, v),",
        f"// f(theta) = sum_k log(1 + exp(A_k . theta - y_k)) + {DECAY} * ||theta||^2.",
        f"// Each trajectory holds theta after steps 1 ... {STEPS}.",
        "",
        "enum OptimizerReferenceData {",
        f"    static let stepCount = {STEPS}",
        f"    static let decay = {DECAY}",
        "    static let coefficients: [[Double]] = [",
        *[f"        {swift_array(row)}," for row in A],
        "    ]",
        f"    static let targets: [Double] = {swift_array(Y)}",
        f"    static let initialWeight: [Double] = {swift_array(W0)}",
        f"    static let initialBias: [Double] = {swift_array(V0)}",
        "",
        "    /// PyTorch float32 runs, keyed by configuration name (see the script for the hyperparameters).",
        "    static let pytorch: [String: [[Double]]] = [",
    ]
    for name, (constructor, kwargs) in TORCH_RUNS.items():
        lines.append(f"        // torch.optim.{constructor.__name__}({', '.join(f'{k}={v}' for k, v in kwargs.items())})")
        lines.append(f'        "{name}": [')
        lines += [f"            {swift_array(step)}," for step in trajectories[name]]
        lines.append("        ],")
    lines += ["    ]", "", "    /// NumPy float64 runs of the lecture's formulas.", "    static let lecture: [String: [[Double]]] = ["]
    for name, steps in lecture.items():
        lines.append(f'        "{name}": [')
        lines += [f"            {swift_array(step)}," for step in steps]
        lines.append("        ],")
    lines += ["    ]", "", "    /// PyTorch's learning-rate schedulers, base rate 0.1, for t = 0 ..< 30.",
              "    static let schedules: [String: [Double]] = ["]
    lines += [f'        "{name}": {swift_array(rates)},' for name, rates in schedules.items()]
    lines += ["    ]", "}", ""]
    with open(SWIFT_OUT, "w") as f:
        f.write("\n".join(lines))
    with open(JSON_OUT, "w") as f:
        json.dump({"versions": versions, "steps": STEPS, "A": A.tolist(), "y": Y.tolist(), "W0": W0.tolist(),
                   "v0": V0.tolist(), "pytorch": trajectories, "lecture": lecture, "schedules": schedules}, f, indent=1)
    print(f"wrote {os.path.relpath(SWIFT_OUT, ROOT)} and {os.path.relpath(JSON_OUT, ROOT)} ({versions})", file=sys.stderr)


if __name__ == "__main__":
    main()
