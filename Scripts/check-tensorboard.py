#!/usr/bin/env python3
"""Checks Loom's TensorBoard event files with TensorBoard's own reader (EventAccumulator):
a classification run with a validation split, a resumed regression run and an experiment, each
tag's steps and values against the run's metrics.jsonl or result.json.
    python3 Scripts/check-tensorboard.py path/to/loom      (run by Scripts/check-tensorboard.sh)
Installs tensorboard from PyPI when it is missing (Loom itself needs it neither to build nor
to pass its tests)."""
import json
import math
import os
import subprocess
import sys
import tempfile

try:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "tensorboard"], check=True)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

loom = sys.argv[1]
failures = 0

# metrics.jsonl's field for each tag Loom writes (Sources/LoomTraining/TensorBoard/EventFileWriter.swift).
TAGS = {
    "loss/train": "trainLoss", "loss/validation": "validationLoss", "loss/test": "testLoss",
    "accuracy/train": "trainAccuracy", "accuracy/validation": "validationAccuracy", "accuracy/test": "testAccuracy",
    "r2/validation": "validationR2", "r2/test": "testR2", "rmse/test": "testRMSE", "mae/test": "testMAE",
    "learning_rate": "learningRate", "seconds": "seconds",
}


def fail(message):
    global failures
    failures += 1
    print("FAIL: " + message)


def close(a, b):
    """float32, as TensorBoard stores simple_value."""
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-30)


def load(directory):
    files = [name for name in os.listdir(directory) if name.startswith("events.out.tfevents.")]
    if len(files) != 1:
        fail(f"{directory}: {len(files)} event files, expected 1")
    accumulator = EventAccumulator(directory, size_guidance={"scalars": 0})
    accumulator.Reload()
    return accumulator


def check_run(directory, expected_tags):
    metrics = [json.loads(line) for line in open(os.path.join(directory, "metrics.jsonl"))]
    accumulator = load(directory)
    tags = set(accumulator.Tags()["scalars"])
    if not expected_tags <= tags:
        fail(f"{directory}: tags {sorted(tags)} lack {sorted(expected_tags - tags)}")
    checked = 0
    for tag in sorted(tags):
        field = TAGS.get(tag)
        if field is None:
            fail(f"{directory}: unexpected tag {tag}")
            continue
        events = accumulator.Scalars(tag)
        expected = [(m["epoch"], m[field]) for m in metrics if m.get(field) is not None]
        if [e.step for e in events] != [step for step, _ in expected]:
            fail(f"{directory}: {tag} has steps {[e.step for e in events]}, metrics.jsonl {[s for s, _ in expected]}")
            continue
        for event, (step, value) in zip(events, expected):
            if not close(event.value, value):
                fail(f"{directory}: {tag} at epoch {step} is {event.value}, metrics.jsonl says {value}")
            checked += 1
    print(f"ok: {directory}: {len(tags)} tags, {checked} values match metrics.jsonl over {len(metrics)} epochs")


def check_experiment(directory):
    result = json.load(open(os.path.join(directory, "result.json")))
    accumulator = load(directory)
    tags = set(accumulator.Tags()["scalars"])
    checked = 0
    for figure in result["figures"]:
        whole = all(float(x).is_integer() for series in figure["series"] for x in series["x"])
        for series in figure["series"]:
            tag = f"{figure['name']}/{series['name']}"
            points = [(int(x) if whole else i, y) for i, (x, y) in enumerate(zip(series["x"], series["y"]))
                      if isinstance(y, (int, float)) and math.isfinite(y)]
            if tag not in tags:
                if points:
                    fail(f"{directory}: no tag {tag}")
                continue
            events = accumulator.Scalars(tag)
            if [(e.step) for e in events] != [s for s, _ in points] or not all(close(e.value, y) for e, (_, y) in zip(events, points)):
                fail(f"{directory}: {tag} differs from result.json")
            checked += len(points)
    if checked == 0:
        fail(f"{directory}: no series values checked")
    print(f"ok: {directory}: {len(tags)} tags, {checked} series values match result.json")


outcomes = []


def checked(check, *arguments):
    before = failures
    check(*arguments)
    outcomes.append(failures == before)


def loom_run(*arguments):
    subprocess.run([loom, *arguments], check=True, stdout=subprocess.DEVNULL)


with tempfile.TemporaryDirectory() as work:
    classification = os.path.join(work, "digits")
    loom_run("train", "--epochs", "4", "--validation-fraction", "0.2", "--output", classification, "--quiet")
    checked(check_run, classification, {"loss/train", "loss/validation", "loss/test", "accuracy/train", "accuracy/validation",
                               "accuracy/test", "learning_rate"})

    regression = os.path.join(work, "grunfeld")
    loom_run("train", "--data", "Data/grunfeld.csv", "--target", "invest", "--epochs", "3", "--output", regression, "--quiet")
    loom_run("train", "--output", regression, "--resume", "--epochs", "5", "--quiet")
    checked(check_run, regression, {"loss/train", "loss/test", "r2/test", "rmse/test", "mae/test", "learning_rate"})

    experiment = os.path.join(work, "zero-init")
    loom_run("experiment", "zero-init", "--epochs", "2", "--limit", "300", "--output", experiment, "--no-chart")
    checked(check_experiment, experiment)

passed = sum(1 for ok in outcomes if ok)
print(f"{passed} passed, {len(outcomes) - passed} failed")
sys.exit(1 if failures or passed != len(outcomes) else 0)
