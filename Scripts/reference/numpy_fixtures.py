#!/usr/bin/env python3
"""Writes the small .npy / .npz fixtures of Tests/LoomDataTests/Fixtures (NumpyReaderTests).

Each array's values are simple (arange-based) so the tests can state them; the files are
committed, so the tests need no Python. Rerun: python3 Scripts/reference/numpy_fixtures.py
"""
import pathlib
import numpy as np

out = pathlib.Path(__file__).resolve().parent.parent.parent / "Tests" / "LoomDataTests" / "Fixtures"
out.mkdir(parents=True, exist_ok=True)
base = np.arange(6).reshape(2, 3)            # [[0 1 2] [3 4 5]]
arrays = {
    "f4_le": (base / 4).astype("<f4"), "f4_be": (base / 4).astype(">f4"), "f8_be": (base / 8).astype(">f8"),
    "f2": (base - 2.5).astype("<f2"), "i1": (base - 3).astype("i1"), "i2_be": (base - 3).astype(">i2"),
    "i4": (base - 3).astype("<i4"), "i8_be": (base * -(2**40)).astype(">i8"), "u1": (base + 250).astype("u1"),
    "u2_be": (base + 65530).astype(">u2"), "u4": (base * 800000000).astype("<u4"), "u8": (base.astype("<u8") + 2**62).astype("<u8"),
    "b1": (base % 2 == 0), "U": np.array([["a", "bé", "ccc"], ["", "日本", "x"]], dtype="<U3"),
    "U_be": np.array(["big", "é"], dtype=">U3"), "S": np.array([b"ab", b"", b"xyz"], dtype="S3"),
    "f4_fortran": np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)),
    "i8_fortran_be": np.asfortranarray(base.astype(">i8")), "scalar": np.array(7.5, dtype="<f8"),
    "empty": np.zeros((0, 3), dtype="<f4"),
}
for name, array in arrays.items():
    np.save(out / f"{name}.npy", array)
# Versions 2.0 and 3.0 (NumPy writes them only when needed: force them).
with open(out / "v2.npy", "wb") as f:
    np.lib.format.write_array(f, base.astype("<f4"), version=(2, 0))
with open(out / "v3.npy", "wb") as f:
    np.lib.format.write_array(f, np.array(["ü"], dtype="<U1"), version=(3, 0))
np.save(out / "object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
np.savez(out / "stored.npz", a=base.astype("<f4"), b=np.array(["x", "yz"]), c=np.arange(3, dtype=">i2"))
np.savez_compressed(out / "deflated.npz", a=base.astype("<f4"), b=np.array(["x", "yz"]), c=np.arange(1000, dtype="<i8"))
print("wrote", len(list(out.iterdir())), "files to", out)
