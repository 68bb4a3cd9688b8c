"""Start-up time of attncli against what it cannot avoid, measured side by side in one run.

Usage: python benchmarks/startup.py [--runs N]   (with attncli installed in this Python's environment)

Method (as hyperfine does it): for each command, warm-up runs first, then the commands are run in
interleaved rounds so that drift in the machine's load hits them all alike; the medians are compared.
Targets: `attncli --help` ≤ 1.15 × `python -c "import typer"`, and `attncli explain` (the seed)
≤ 1.15 × `python -c "import numpy, yaml, rich.console, rich.table, typer"`.

What Typer's first call costs, and how attncli avoids it (Typer 0.29):
FINDINGS
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def attncli() -> str:
    return shutil.which("attncli") or str(Path(sys.executable).parent / "attncli")


COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import typer": [sys.executable, "-c", "import typer"],
    "attncli --help": [attncli(), "--help"],
    "import numpy, yaml, rich, typer": [sys.executable, "-c", "import numpy, yaml, rich.console, rich.table, typer"],
    "attncli explain": [attncli(), "explain"],
}
RATIOS = [("attncli --help", "import typer"), ("attncli explain", "import numpy, yaml, rich, typer")]
TARGET = 1.15


def once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "COLUMNS": "100"})
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    for argv in COMMANDS.values():
        for _ in range(args.warmup):
            once(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            times[name].append(once(argv))
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        print(f"{name:34s} median {median * 1000:7.1f} ms  (min {min(times[name]) * 1000:6.1f})")
    worst = 0.0
    for ours, baseline in RATIOS:
        ratio = medians[ours] / medians[baseline]
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= TARGET else f"OVER the {TARGET} target"
        print(f"{ours} / {baseline}: {ratio:.2f}  {verdict}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
