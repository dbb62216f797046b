#!/usr/bin/env python3
"""Issue 13's CSV benchmark: Loom's CSVReader against pandas.read_csv (C engine) on one
200,000 x 50 numeric file, in one run.

Generates the file (seeded), then runs Loom (`loom-csv-bench`, release build) and pandas
alternately, one process per read, `rounds` times each; reports the median read time (timed
inside each process, the read alone) and the peak RSS of each process (`/usr/bin/time -f %M`)
beyond a baseline process of the same kind that reads a one-row file.

    swift build -c release --product loom-csv-bench
    python3 Benchmarks/csv_reading.py [--rounds 5] [--rows 200000] [--columns 50]

Needs numpy and pandas (pip install numpy pandas); Loom itself needs no Python.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parent.parent

PANDAS = """
import sys, time, json
import pandas
start = time.perf_counter()
frame = pandas.read_csv(sys.argv[1], engine="c")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": len(frame), "columns": frame.shape[1]}))
"""


def timed(command):
    """Runs `command` under /usr/bin/time; returns its JSON line and its peak RSS in KiB."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        out = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + command,
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1]), int(rss.read().strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--directory", default=str(root / ".build" / "csv-bench"))
    parser.add_argument("--bin", default=None, help="loom-csv-bench (default: the release build)")
    arguments = parser.parse_args()

    import numpy
    import pandas
    directory = pathlib.Path(arguments.directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"numeric_{arguments.rows}x{arguments.columns}_seed{arguments.seed}.csv"
    if not path.exists():
        values = numpy.random.default_rng(arguments.seed).standard_normal((arguments.rows, arguments.columns))
        names = [f"x{j}" for j in range(arguments.columns)]
        pandas.DataFrame(values, columns=names).to_csv(path, index=False)
    tiny = directory / "baseline.csv"
    tiny.write_text(",".join(f"x{j}" for j in range(arguments.columns)) + "\n" + ",".join(["0.5"] * arguments.columns) + "\n")

    binary = arguments.bin or subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=root,
                                             check=True, capture_output=True, text=True).stdout.strip() + "/loom-csv-bench"
    loom = lambda file: [binary, str(file)]
    python = lambda file: [sys.executable, "-c", PANDAS, str(file)]

    size = path.stat().st_size
    float32_mb = arguments.rows * arguments.columns * 4 / 1e6
    print(f"file {path.name}: {size / 1e6:.1f} MB, table {float32_mb:.1f} MB as float32; "
          f"numpy {numpy.__version__}, pandas {pandas.__version__}, LOOM_NUM_THREADS={os.environ.get('LOOM_NUM_THREADS', 'all cores')}")
    _, loom_base = timed(loom(tiny))
    _, pandas_base = timed(python(tiny))
    loom_times, pandas_times, loom_rss, pandas_rss = [], [], [], []
    for round in range(arguments.rounds):
        result, rss = timed(loom(path))
        assert result["rows"] == arguments.rows and result["numeric_columns"] == arguments.columns, result
        loom_times.append(result["seconds"]); loom_rss.append(rss)
        result, rss = timed(python(path))
        assert result["rows"] == arguments.rows, result
        pandas_times.append(result["seconds"]); pandas_rss.append(rss)
        print(f"round {round + 1}: Loom {loom_times[-1]:.3f} s ({(rss and loom_rss[-1]) / 1024:.0f} MiB), "
              f"pandas {pandas_times[-1]:.3f} s ({pandas_rss[-1] / 1024:.0f} MiB)")
    loom_median, pandas_median = statistics.median(loom_times), statistics.median(pandas_times)
    loom_extra = (max(loom_rss) - loom_base) * 1024 / 1e6
    pandas_extra = (max(pandas_rss) - pandas_base) * 1024 / 1e6
    print(f"Loom   median {loom_median:.3f} s ({size / 1e6 / loom_median:.0f} MB/s), peak RSS {max(loom_rss) / 1024:.0f} MiB, "
          f"{loom_extra:.1f} MB above its baseline of {loom_base / 1024:.0f} MiB ({loom_extra / float32_mb:.2f}x the float32 table)")
    print(f"pandas median {pandas_median:.3f} s ({size / 1e6 / pandas_median:.0f} MB/s), peak RSS {max(pandas_rss) / 1024:.0f} MiB, "
          f"{pandas_extra:.1f} MB above its baseline of {pandas_base / 1024:.0f} MiB")
    print(f"Loom is {pandas_median / loom_median:.2f}x as fast as pandas (target >= 1.5x); "
          f"memory {loom_extra:.1f} MB vs target <= {2 * float32_mb:.0f} MB")


if __name__ == "__main__":
    main()
