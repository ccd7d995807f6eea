"""Start-up cost of the `nst` command: CPU seconds (user+sys) and peak memory per invocation.

CPU time, not wall time: on a shared, loaded machine wall time measures the neighbours.
Peers in the same run: a bare interpreter (`python -c pass`) and `python -c "import torch"`,
the floor and the ceiling of what a command costs.

    .venv/bin/python scripts/bench_startup.py [--repeat 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
NST = [str(VENV_BIN / "nst")]
PY = [sys.executable]

CASES = {
    "python -c pass (floor)": PY + ["-c", "pass"],
    "python -c 'import torch' (ceiling)": PY + ["-c", "import torch"],
    "nst --help": NST + ["--help"],
    "nst image --help": NST + ["image", "--help"],
    "nst video --help": NST + ["video", "--help"],
    "nst image (argument error)": NST + ["image"],
    "nst image missing.png -s x.jpg -o o.png": NST + ["image", "missing.png", "-s", "x.jpg", "-o", "o.png"],
    "nst plugins list": NST + ["plugins", "list"],
    "nst --show-completion bash": NST + ["--show-completion", "bash"],
}


def measure(cmd: list[str]) -> tuple[float, float, int]:
    """(cpu seconds, wall seconds, peak RSS in MB) of one run of ``cmd``."""
    import time

    env = {**os.environ, "COLUMNS": "100"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss // 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--only", help="substring of the case names to run")
    args = ap.parse_args()
    rows = {}
    for name, cmd in CASES.items():
        if args.only and args.only not in name:
            continue
        runs = [measure(cmd) for _ in range(args.repeat)]
        cpu = statistics.median(r[0] for r in runs)
        rows[name] = {"cpu_s": round(cpu, 3), "wall_s": round(statistics.median(r[1] for r in runs), 3),
                      "max_rss_mb": max(r[2] for r in runs)}
    floor = rows.get("python -c pass (floor)", {}).get("cpu_s")
    print(f"{'command':45s} {'CPU s':>7s} {'wall s':>7s} {'RSS MB':>7s} {'x floor':>8s}")
    for name, row in rows.items():
        ratio = f"{row['cpu_s'] / floor:8.1f}" if floor else ""
        print(f"{name:45s} {row['cpu_s']:7.2f} {row['wall_s']:7.2f} {row['max_rss_mb']:7d} {ratio}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
