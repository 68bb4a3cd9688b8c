"""Start-up time of attncli against what it cannot avoid, measured side by side in one run.

Usage: python benchmarks/startup.py [--runs N] [--instructions]   (with attncli installed in this Python's environment)

Method (as hyperfine does it): for each command, warm-up runs first, then the commands are run in
interleaved rounds (60 by default) so that drift in the machine's load hits them all alike; the medians
of wall-clock time are compared, with a 95 % bootstrap interval that says how far the run's own noise
could move each ratio. Beside them, the ratios of the fastest runs and of median CPU time (user +
system of the child), which other processes' load disturbs much less than the wall-clock medians.
Targets: `attncli --help` ≤ 1.15 × `python -c "import typer"`, and `attncli explain` (the seed)
≤ 1.15 × `python -c "import numpy, yaml, rich.console, rich.table, typer"`.

What Typer's first call costs, and how attncli avoids it (found with -X importtime and cProfile,
Typer 0.29.2 on this 2-core machine):

- Typer 0.29 coerces every parameter value that is not a bool flag through a pydantic TypeAdapter,
  built lazily the first time a parameter is processed (typer.core._TyperParameter.get_runtime_param,
  asked even for a value of None, so the group's --install-completion pays too). The first adapter
  imports pydantic and pydantic_core (~45 ms) and each adapter's schema takes ~1-2 ms: about 80 ms
  before the command body starts. `--help` does not pay it (eager, it exits first); any command
  does, even with default values only. attncli.typer_fast.App confines the remedy to attncli's own
  group and commands: their classes turn their parameters (--help included) into subclasses of
  Typer's whose get_runtime_param converts plain str, int, float, bool and Enum values as Typer
  does (checked against Typer's own coercion by a property test) and hands every other value,
  every bad one included, to Typer's coercion. pydantic is then imported only to word a usage
  error; another Typer app in the same process is untouched (tests/test_typer_isolation.py).
  Until this, attncli.params replaced that private method process-wide, which broke other apps.
- With rich_markup_mode="rich" (the default when Rich is installed), help and every usage error
  import typer.rich_utils, which pulls in rich.markdown and markdown_it (~40 ms). attncli uses
  plain help (rich_markup_mode=None): the same content, and usage errors on one line.
- Rendering a dozen rich Tables (measured once per column, then rendered) cost ~14 ms cold, as much
  as all of attncli's own imports; explain's matrices are laid out as aligned rich Text instead
  (render.matrix_block), ~3 ms. Rich tables remain where there are few (compare, scenarios).
- Smaller: importlib.resources imports zipfile and tempfile (use importlib.util.find_spec);
  json is imported only for --format json; the console skips the emoji table (emoji=False);
  dataclasses holding arrays skip the generated __eq__ (eq=False), which was also meaningless.
- cli.py postpones its annotations, and typer_fast evaluates only the command that runs, once
  (Typer would evaluate every annotation string of every command about nine times).

Measured here, medians of 30 interleaved runs, non-editable install, on a quiet machine (with
attncli.params, the process-wide patch this replaced):
  import typer 48.9 ms, attncli --help 54.8 ms (1.12); baseline imports 120.5 ms,
  attncli explain 136.2 ms (1.13). Before this work: 2.31 and 1.65. An editable install adds its
  import hook to every start (and to the baselines less), so measure a plain `pip install .`.
With attncli.typer_fast (Typer 0.29.2), measured while other sessions kept the load at 6-10 on the
2 cores, four runs of 40-60 rounds: --help / import typer 1.08-1.19 by wall-clock medians,
1.11-1.39 by fastest runs, 1.13-1.17 by CPU time; explain / baseline imports 1.05-1.17, 1.00-1.13,
1.12-1.17: under such load a single run lands either side of 1.15; rerun on a quiet machine.
Head to head in the same rounds (CPU time), typer_fast against the old patch: explain 0.94,
--help 1.00: the same work, as expected (no pydantic either way); the spread is the load's.
typer_fast's own import costs 0.35 ms (its number patterns compile on first use).

After issues 11-16 (twelve commands, views, the API layer, the q·k picture, the text sanitiser), on a
quiet machine, 10-15 rounds: --help / import typer 1.09-1.19, explain / baseline imports 1.22-1.29 by CPU
time, OVER the target. What brought it back (each step measured with --instructions, whose counts are
the same from run to run; explain went from 1.314 to 1.140 times the baseline's instructions, --help from
1.239 to 1.099; the version before issues 11-16 counts 1.175 and 1.137):
- Records: Python 3.11 compiles functions for each dataclass and NamedTuple it defines (a frozen
  dataclass about 3 M instructions, a NamedTuple about 0.5 M), and explain's start defined 4 of the
  one and 28 of the other. They are attncli.record.Record subclasses now, which read their fields
  from the class's annotations and compile nothing (about 30 M instructions, 4 % of the baseline).
- Rendering: a dozen matrices as rich Text were split, wrapped and re-measured on print; they are laid
  out as (text, style) runs and printed as segments (render_terminal.Drawn): about a third of the
  rendering's instructions, with the same characters and colours on every built-in.
- Typer evaluates a command's annotation strings about nine times while building it; typer_fast
  evaluates the run command's once. A run that names no command (--help) builds the commands as
  names and help only.
- explain no longer runs through the API's result wrappers (which import compare.py); printable text
  skips the sanitiser's patterns; tempfile and shlex are imported where they are used.
And one cost that instruction counts cannot see. Imported from inside Typer's call stack (as every
command's own imports are), NumPy's nested imports kept crossing a boundary of CPython 3.11's frame
stack, which it allocates in 16 KB chunks: `strace -e trace=munmap attncli explain` showed about 400
chunks mapped and unmapped, and explain took 25 ms longer (440 against 414 ms, medians of 30, on this
machine while slow) than when NumPy was imported first. typer_fast.App(preload=("numpy",)) imports it
before Typer's calls when a command is about to run; now one chunk is unmapped, as for the baseline.
Measured afterwards (non-editable install, this 2-core machine running three times slower than when
quiet: `import typer` 120-155 ms against 49 ms): thirteen runs of 30 rounds, one after another, gave
explain / baseline imports 1.04 to 1.25 by wall-clock medians (their median 1.12) and --help / import
typer 1.07 to 1.21 (median 1.12); CPU time alike. One run's time varies by 13-14 % (sd / median) here,
so a ratio of medians of 30 rounds moves by up to ±0.09: hence the 60 rounds and the interval. Two runs
so: explain 1.13 (95 % interval 1.08-1.20) and 1.17 (1.11-1.20); --help 1.13 (1.08-1.18) and 1.10
(1.05-1.14). Counted instead: explain 1.140, --help 1.099. Of the baseline's instructions, explain's
remaining extra is about 4 % importing attncli's modules, 2.6 % Typer building and parsing the command
(0.6 % of it evaluating the command's annotations), 6 % laying out and printing the view (2 % of it
Rich wrapping the paragraphs), and 1 % loading and computing the scenario.
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


def once(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run of argv."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "COLUMNS": "100"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def instructions(argv: list[str]) -> int:
    """Instructions one run of argv executes, counted by valgrind: the same on every run and under any load.

    Hash seeds are fixed and OpenBLAS keeps to one thread, whose idle threads otherwise spin for a
    varying number of instructions while NumPy is imported.
    """
    if argv[0] == attncli():
        argv = [sys.executable, *argv]  # valgrind runs the console script's interpreter, not the script
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True,
                          env={**os.environ, "COLUMNS": "100", "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"})
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def count_instructions() -> int:
    """The ratios by instructions executed, not time: a check of the same ratios that load cannot move."""
    if shutil.which("valgrind") is None:
        print("--instructions needs valgrind (apt install valgrind)", file=sys.stderr)
        return 2
    # The median of three: now and then a run counts a few million more (a collection, a hash of an address).
    counts = {name: statistics.median(instructions(argv) for _ in range(3)) for name, argv in COMMANDS.items()}
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
    for argv in COMMANDS.values():
        for _ in range(args.warmup):
            once(argv)
    wall: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            w, c = once(argv)
            wall[name].append(w)
            cpu[name].append(c)
    medians = {name: statistics.median(t) for name, t in wall.items()}
    cpu_medians = {name: statistics.median(t) for name, t in cpu.items()}
    for name, median in medians.items():
        print(f"{name:34s} median {median * 1000:7.1f} ms  (min {min(wall[name]) * 1000:6.1f})"
              f"  cpu {cpu_medians[name] * 1000:7.1f} ms")
    worst = 0.0
    for ours, baseline in RATIOS:
        ratio = medians[ours] / medians[baseline]
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= TARGET else f"OVER the {TARGET} target"
        fastest = min(wall[ours]) / min(wall[baseline])
        steady = cpu_medians[ours] / cpu_medians[baseline]
        low, high = interval(wall[ours], wall[baseline])
        print(f"{ours} / {baseline}: {ratio:.2f}  {verdict}  (95 % interval {low:.2f}-{high:.2f}; "
              f"fastest runs {fastest:.2f}, cpu time {steady:.2f})")
        if low <= TARGET < high:
            print(f"  the interval spans {TARGET}: on this machine the verdict is within the noise; rerun with more "
                  "--runs on a quieter machine, or count --instructions")
    return 0 if worst <= TARGET else 1


def interval(ours: list[float], baseline: list[float], resamples: int = 2000) -> tuple[float, float]:
    """A 95 % bootstrap interval for the ratio of medians: how far this run's noise could move it.

    On a busy virtual machine one run's time varies by 10-15 % (sd / median), which moves a ratio of
    medians of 30 rounds by up to ±0.09; the interval says how much of a verdict is the machine's.
    """
    import random

    draw = random.Random(0)  # the same interval for the same times
    ratios = sorted(statistics.median(draw.choices(ours, k=len(ours))) /
                    statistics.median(draw.choices(baseline, k=len(baseline))) for _ in range(resamples))
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


if __name__ == "__main__":
    sys.exit(main())
