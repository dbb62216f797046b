#!/usr/bin/env python3
"""Small NumPy tables for Tests/LoomTrainingTests (run once; the outputs are committed).

- linear.npz (stored): x [80, 3] float64 in Fortran order, y [80] float32 = 2 x0 − x1 + 0.5 x2 + 3.
- blobs.npz (deflated): x [90, 2] float32, three separated clusters, y [90] class names ("left", "right", "top").
- blobs.npy: the same as one [90, 3] float64 array, the last column the class index 0, 1, 2.
"""
import os

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "LoomTrainingTests", "Fixtures", "tables")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)
x = np.asfortranarray(rng.normal(size=(80, 3)))
y = (2 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] + 3).astype("<f4")
np.savez(os.path.join(out, "linear.npz"), x=x, y=y)
centers = np.array([[-4, 0], [4, 0], [0, 5]])
labels = np.repeat(np.arange(3), 30)
points = (centers[labels] + rng.normal(scale=0.7, size=(90, 2))).astype("<f4")
names = np.array(["left", "right", "top"])[labels]
np.savez_compressed(os.path.join(out, "blobs.npz"), x=points, y=names)
np.save(os.path.join(out, "blobs.npy"), np.column_stack([points.astype("<f8"), labels]))
