#!/usr/bin/env python3
"""Writes the small real tables under Data/ (run once; the outputs are committed).

- iris.csv: UCI Iris (Fisher 1936), CC BY 4.0, as scikit-learn 1.9 ships it
  (sklearn/datasets/data/iris.csv), with named columns and species names.
- wine.csv: UCI Wine (Aeberhard & Forina 1991), CC BY 4.0, as scikit-learn ships it
  (wine_data.csv), with named columns; the cultivar is 0, 1 or 2.
- grunfeld.csv: Grunfeld's investment data (1958), public domain, as statsmodels ships it
  (statsmodels.datasets.grunfeld): yearly gross investment of 11 US firms, 1935-1954.

Each table is also split once, with a fixed seed, into <name>-train.csv and <name>-test.csv
(80/20, stratified by class for the classification tables), so that Loom (`--test`) and
scikit-learn (Scripts/reference/sklearn_tables.py) train and test on exactly the same rows.
"""
import csv
import os
import sys

import numpy as np
import sklearn
from sklearn.datasets import load_iris, load_wine
import statsmodels.datasets.grunfeld as grunfeld

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Data")
os.makedirs(root, exist_ok=True)


def write(name, header, rows):
    with open(os.path.join(root, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def split(name, header, rows, strata=None, seed=13):
    rng = np.random.default_rng(seed)
    indices = np.arange(len(rows))
    test = []
    if strata is None:
        rng.shuffle(indices)
        test = sorted(indices[: round(0.2 * len(rows))])
    else:
        for value in sorted(set(strata)):
            members = [i for i in indices if strata[i] == value]
            rng.shuffle(members)
            test += members[: round(0.2 * len(members))]
        test = sorted(test)
    held = set(test)
    write(f"{name}.csv", header, rows)
    write(f"{name}-train.csv", header, [rows[i] for i in indices if i not in held] if strata is None
          else [rows[i] for i in range(len(rows)) if i not in held])
    write(f"{name}-test.csv", header, [rows[i] for i in test])


def fmt(x):
    return f"{x:.6g}"


iris = load_iris()
header = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
rows = [[fmt(v) for v in x] + [iris.target_names[t]] for x, t in zip(iris.data, iris.target)]
# the train file keeps the file's row order
rows_sorted = rows
split("iris", header, rows_sorted, strata=[r[-1] for r in rows_sorted])

wine = load_wine()
header = [n.replace("/", "_per_").replace(" ", "_") for n in wine.feature_names] + ["cultivar"]
rows = [[fmt(v) for v in x] + [str(t)] for x, t in zip(wine.data, wine.target)]
split("wine", header, rows, strata=[r[-1] for r in rows])

g = grunfeld.load_pandas().data
header = ["firm", "year", "value", "capital", "invest"]
rows = [[r.firm, str(int(r.year)), fmt(r.value), fmt(r.capital), fmt(r.invest)] for r in g.itertuples()]
split("grunfeld", header, rows)
print(f"wrote Data/ (scikit-learn {sklearn.__version__}, numpy {np.__version__})", file=sys.stderr)
