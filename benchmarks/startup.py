"""Start-up time of attncli against the same framework used plainly, measured side by side in one run.

Usage: python benchmarks/startup.py [--runs N] [--instructions]

The anchor is a minimal Typer app (ANCHOR below) that imports NumPy, PyYAML and Rich and parses a
path argument, a bool flag, an int, a float and an enum through Typer: what any Python CLI built
on these libraries pays before its own work. Targets, as ratios of median CPU time (user + system
of the child) over interleaved rounds: `attncli explain` <= 1.15 x the anchor's command, and
`attncli --help` <= 1.15 x the anchor's --help.

Method (as hyperfine does it): warm-up runs first, then the commands run in interleaved rounds (60
by default) so that drift in the machine's load hits them all alike. Beside the CPU-time ratios,
the ratios of wall-clock medians with a 95 % bootstrap interval that says how far the run's own
noise could move them, and of the fastest runs. --instructions counts instructions with valgrind
instead, which no load can move. attncli runs as installed (the `attncli` script) when it is, else
as `python -m attncli` from this checkout. Measurements and what they taught: docs/startup.md.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent

# The plain-Typer anchor: the libraries attncli's commands use, and the kinds of options explain parses.
ANCHOR = '''
import enum
from pathlib import Path
from typing import Annotated, Optional

import numpy
import rich.console
import rich.table
import typer
import yaml


class Format(str, enum.Enum):
    rich = "rich"
    json = "json"
    markdown = "markdown"


app = typer.Typer(rich_markup_mode=None)


@app.callback()
def main() -> None:
    """An anchor app: Typer used plainly."""


@app.command()
def explain(
    scenario: Annotated[Optional[Path], typer.Argument(help="A YAML file.")] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour.")] = False,
    precision: Annotated[int, typer.Option(min=1, max=12, help="Decimals.")] = 3,
    temperature: Annotated[float, typer.Option(help="Divide the scores by T.")] = 1.0,
    output_format: Annotated[Format, typer.Option("--format", help="The format.")] = Format.rich,
) -> None:
    """Parse, compute a little and print a table."""
    data = yaml.safe_load("x: [1.0, 2.0, 3.0]")
    weights = numpy.exp(numpy.asarray(data["x"]) / temperature)
    table = rich.table.Table("weight")
    for w in weights / weights.sum():
        table.add_row(f"{w:.{precision}f}")
    rich.console.Console(no_color=no_color).print(table)


@app.command()
def other() -> None:
    """A second command, so that the app is a group as attncli is."""


if __name__ == "__main__":
    app()
'''


def attncli() -> list[str]:
    """The installed `attncli` script, else this checkout run as `python -m attncli`."""
    script = shutil.which("attncli") or str(Path(sys.executable).parent / "attncli")
    return [script] if Path(script).exists() else [sys.executable, "-m", "attncli"]


def anchor() -> list[str]:
    path = Path(tempfile.gettempdir()) / "attncli_startup_anchor.py"
    if not path.exists() or path.read_text() != ANCHOR:
        path.write_text(ANCHOR)
    return [sys.executable, str(path)]


def commands() -> dict[str, list[str]]:
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "anchor --help": [*anchor(), "--help"],
        "attncli --help": [*attncli(), "--help"],
        "anchor explain": [*anchor(), "explain", "s.yaml", "--no-color", "--precision", "3", "--temperature", "1.5",
                           "--format", "rich"],
        "attncli explain": [*attncli(), "explain"],
    }


RATIOS = [("attncli --help", "anchor --help"), ("attncli explain", "anchor explain")]
TARGET = 1.15


def once(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run of argv."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=_env())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _env() -> dict:
    """COLUMNS fixed; compiled modules cached, as an installed package's are; from a checkout, the checkout
    on PYTHONPATH (for `python -m attncli`)."""
    env = {**os.environ, "COLUMNS": "100", "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "attncli-pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else a checkout's modules are compiled again at every start
    if not shutil.which("attncli"):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def instructions(argv: list[str]) -> int:
    """Instructions one run of argv executes, counted by valgrind: the same on every run and under any load.

    Hash seeds are fixed and OpenBLAS keeps to one thread, whose idle threads otherwise spin for a
    varying number of instructions while NumPy is imported.
    """
    if argv[0] != sys.executable:
        argv = [sys.executable, *argv]  # valgrind runs the console script's interpreter, not the script
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True,
                          env={**_env(), "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"})
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def count_instructions() -> int:
    """The ratios by instructions executed, not time: a check of the same ratios that load cannot move."""
    if shutil.which("valgrind") is None:
        print("--instructions needs valgrind (apt install valgrind)", file=sys.stderr)
        return 2
    # The median of three: now and then a run counts a few million more (a collection, a hash of an address).
    counts = {name: statistics.median(instructions(argv) for _ in range(3)) for name, argv in commands().items()}
    for name, count in counts.items():
        print(f"{name:34s} {count / 1e6:8.1f} M instructions")
    for ours, baseline in RATIOS:
        print(f"{ours} / {baseline}: {counts[ours] / counts[baseline]:.3f} by instructions")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions with valgrind instead of timing (slow, but the same every run)")
    args = parser.parse_args()
    if args.instructions:
        return count_instructions()
    argvs = commands()
    for argv in argvs.values():
        for _ in range(args.warmup):
            once(argv)
    wall: dict[str, list[float]] = {name: [] for name in argvs}
    cpu: dict[str, list[float]] = {name: [] for name in argvs}
    for _ in range(args.runs):
        for name, argv in argvs.items():
            w, c = once(argv)
            wall[name].append(w)
            cpu[name].append(c)
    medians = {name: statistics.median(t) for name, t in wall.items()}
    cpu_medians = {name: statistics.median(t) for name, t in cpu.items()}
    for name, median in medians.items():
        print(f"{name:18s} cpu {cpu_medians[name] * 1000:7.1f} ms   wall median {median * 1000:7.1f} ms "
              f"(min {min(wall[name]) * 1000:6.1f}, spread {spread(wall[name]):.0%})")
    worst = 0.0
    for ours, baseline in RATIOS:
        ratio = cpu_medians[ours] / cpu_medians[baseline]
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= TARGET else f"OVER the {TARGET} target"
        low, high = interval(cpu[ours], cpu[baseline])
        print(f"{ours} / {baseline}: {ratio:.2f} by cpu time, {verdict} (95 % interval {low:.2f}-{high:.2f}); "
              f"wall-clock medians {medians[ours] / medians[baseline]:.2f}, "
              f"fastest runs {min(wall[ours]) / min(wall[baseline]):.2f}")
        if low <= TARGET < high:
            print(f"  the interval spans {TARGET}: on this machine the verdict is within the noise; rerun with more "
                  "--runs on a quieter machine, or count --instructions")
    return 0 if worst <= TARGET else 1


def spread(times: list[float]) -> float:
    """Standard deviation over median: how much one run's time varies on this machine now."""
    return statistics.stdev(times) / statistics.median(times) if len(times) > 1 else 0.0


def interval(ours: list[float], baseline: list[float], resamples: int = 2000) -> tuple[float, float]:
    """A 95 % bootstrap interval for the ratio of medians: how far this run's noise could move it."""
    import random

    draw = random.Random(0)  # the same interval for the same times
    ratios = sorted(statistics.median(draw.choices(ours, k=len(ours))) /
                    statistics.median(draw.choices(baseline, k=len(baseline))) for _ in range(resamples))
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


if __name__ == "__main__":
    sys.exit(main())
