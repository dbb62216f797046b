#!/usr/bin/env bash
# Long runs stay flat (RELIABILITY.md): trains the digits model for many epochs (default
# 1000) with a run directory, reads the process's resident memory (VmRSS in
# /proc/PID/status) after every epoch, and fails if it grows after the first epochs.
#   bash Scripts/soak.sh [EPOCHS]      (release build; CI runs 1000, about 35 s)
# Pass: the largest RSS over the last tenth of the run is at most the largest over epochs
# 10–20 plus max(8 MiB, 5%), and the fitted slope from epoch 20 on, times the run's length,
# stays under the same allowance.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-1000}"
source Scripts/release-loom.sh  # LOOM_SCRATCH_PATH: a build folder of one's own
build_release_loom --quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$loom" "$epochs" "$work" <<'PY'
import json, subprocess, sys, time
loom, epochs, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

start = time.time()
process = subprocess.Popen([loom, "train", "--epochs", str(epochs), "--json", "--output", f"{work}/soak"],
                           stdout=subprocess.PIPE, text=True)
samples = []  # (epoch, KiB)
for line in process.stdout:
    if not line.startswith("{"):
        continue
    record = json.loads(line)
    if "epoch" in record and "testAccuracy" in record:
        samples.append((record["epoch"], rss_kib(process.pid)))
process.wait()
elapsed = time.time() - start
if process.returncode != 0 or len(samples) != epochs:
    print(f"FAIL: the soak run exited {process.returncode} after {len(samples)} of {epochs} epochs")
    sys.exit(1)
rss = dict(samples)
early = max(rss[e] for e in range(10, min(20, epochs) + 1))
late = max(v for e, v in samples if e > epochs - max(epochs // 10, 1))
tail = [(e, v) for e, v in samples if e >= 20]
n = len(tail)
mean_e = sum(e for e, _ in tail) / n
mean_v = sum(v for _, v in tail) / n
slope = sum((e - mean_e) * (v - mean_v) for e, v in tail) / max(sum((e - mean_e) ** 2 for e, _ in tail), 1e-9)
allowance = max(8 * 1024, early * 0.05)
print(f"  {epochs} epochs in {elapsed:.1f} s; VmRSS (MiB) at epochs "
      + ", ".join(f"{e}: {rss[e] / 1024:.1f}" for e in sorted({1, 2, 5, 10, 20, 50, 100, epochs // 2, epochs}) if e in rss))
print(f"  max over epochs 10-20: {early / 1024:.1f} MiB; max over the last tenth: {late / 1024:.1f} MiB; "
      f"slope from epoch 20: {slope:.3f} KiB/epoch ({slope * epochs / 1024:.2f} MiB over the run)")
ok = late <= early + allowance and slope * epochs <= allowance
print(("ok" if ok else "FAIL") + f": resident memory {'stays flat' if ok else 'grows'} (allowance {allowance / 1024:.1f} MiB)")
sys.exit(0 if ok else 1)
PY
