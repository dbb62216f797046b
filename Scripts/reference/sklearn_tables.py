#!/usr/bin/env python3
"""Loom's defaults against scikit-learn's MLPClassifier / MLPRegressor on the committed tables.

    python3 Scripts/reference/sklearn_tables.py PATH/TO/loom > Scripts/reference/sklearn_tables.txt

Both train on Data/<name>-train.csv and score on Data/<name>-test.csv (the same rows), with the
same preprocessing: numbers imputed by the median and standardized, categories one-hot,
regression targets standardized for training. scikit-learn runs with its defaults (one hidden
layer of 100, Adam, 200 epochs at most, tol 1e-4), Loom with its own (`loom train --data ...
--target ...` and nothing else), five seeds each; the table gives the mean and the range.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Data")
loom = sys.argv[1]
tables = [("iris", "species", "classification"), ("wine", "cultivar", "classification"), ("grunfeld", "invest", "regression")]
seeds = range(5)

print(f"scikit-learn {sklearn.__version__}; Loom {subprocess.run([loom, '--version'], capture_output=True, text=True).stdout.strip()}")
print("| table | task | train / test rows | scikit-learn (mean, range) | Loom defaults (mean, range) | Loom − scikit-learn |")
print("|---|---|---|---|---|---|")
for name, target, task in tables:
    train = pd.read_csv(os.path.join(root, f"{name}-train.csv"))
    test = pd.read_csv(os.path.join(root, f"{name}-test.csv"))
    features = [c for c in train.columns if c != target]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(train[c])]
    categorical = [c for c in features if c not in numeric]
    prepare = ColumnTransformer([("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
                                 ("categories", OneHotEncoder(handle_unknown="error"), categorical)])
    theirs, ours = [], []
    for seed in seeds:
        if task == "classification":
            model = make_pipeline(prepare, MLPClassifier(random_state=seed))
            model.fit(train[features], train[target].astype(str))
            theirs.append(accuracy_score(test[target].astype(str), model.predict(test[features])))
        else:
            model = make_pipeline(prepare, TransformedTargetRegressor(MLPRegressor(random_state=seed), transformer=StandardScaler()))
            model.fit(train[features], train[target])
            theirs.append(r2_score(test[target], model.predict(test[features])))
        with tempfile.TemporaryDirectory() as run:
            subprocess.run([loom, "train", "--data", os.path.join(root, f"{name}-train.csv"), "--test", os.path.join(root, f"{name}-test.csv"),
                            "--target", target, "--seed", str(seed), "--output", run], check=True, capture_output=True)
            summary = json.load(open(os.path.join(run, "summary.json")))
            ours.append(summary["testAccuracy"] if task == "classification" else summary["testR2"])
    unit = "accuracy" if task == "classification" else "R²"
    f = (lambda v: f"{100 * v:.1f}%") if task == "classification" else (lambda v: f"{v:.3f}")
    gap = np.mean(ours) - np.mean(theirs)
    print(f"| {name} | {task} ({unit}) | {len(train)} / {len(test)} | {f(np.mean(theirs))} ({f(min(theirs))}–{f(max(theirs))}) "
          f"| {f(np.mean(ours))} ({f(min(ours))}–{f(max(ours))}) | {('+' if gap >= 0 else '−')}{f(abs(gap))} |")
