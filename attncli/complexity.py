"""The cost of attention, measured: time and memory of attention as n doubles, and a fitted growth law
that is stated only when the measurements support one."""

from __future__ import annotations

import math
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from attncli import core, tiled

FIRST_N = 128
TILED_BLOCK = 64  # small blocks, so the O(n·d) part of the tiled core's memory shows
# The smallest size's time bounds the fixed cost c (calls, allocation, thread start-up): in a size taking at
# least 2c, work is at least half the time (it dominates), so only those are fitted.
WORK_OVER_OVERHEAD = 2
MIN_POINTS = 3  # a line through two points always fits: no growth law from fewer
MIN_R2 = 0.98  # below this the sizes do not lie on one power law
RUNS = 5  # timed runs per size; the median of their per-call times is kept
LONG_RUN = 0.5  # seconds: a size whose single call takes longer is timed 3 times, not 5
# As timeit's autorange: a run repeats the call 1, 2, 5, 10, 20, … times until it lasts this long, so
# the clock's resolution and what a run costs apart from the calls are spread over many calls. Shorter
# than timeit's 0.2 s: 50 ms is still 50,000 times the clock's microsecond, and 5 runs of each of the
# default 6 sizes stay a few seconds of CPU time.
MIN_RUN = 0.05


@dataclass(frozen=True)
class Measurement:
    n: int
    seconds: float  # per call: the median over the timed runs
    peak_bytes: int  # the most NumPy held at once during one call (tracemalloc)
    matrix_bytes: int  # what the scores of one head take: n² float64, or one block when tiled
    times: tuple[float, ...] = ()  # per call, in each timed run, for the spread
    calls: int = 1  # calls per timed run

    @property
    def spread(self) -> float:
        """Slowest run over fastest: 1.0 when every run took the same time."""
        return max(self.times) / min(self.times) if self.times else 1.0


@dataclass(frozen=True)
class Growth:
    """A power law value ≈ c·n^exponent fitted over `used`, or the reason none is stated."""

    exponent: float | None
    used: tuple[int, ...]  # the sizes the fit went through
    r2: float | None  # of log(value) against log(n)
    reason: str = ""  # why no law is stated; empty when one is


def sizes(max_n: int) -> list[int]:
    """128, 256, … up to max_n."""
    out, n = [], FIRST_N
    while n <= max_n:
        out.append(n)
        n *= 2
    return out


def _runner(n: int, d: int, use_tiled: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal((n, d)) for _ in range(3))
    scale = 1 / math.sqrt(d)
    if use_tiled:
        return lambda: tiled.tiled_attention(q, k, v, scale=scale, key_block=TILED_BLOCK, query_block=TILED_BLOCK,
                                             workers=1)
    return lambda: core.attend(q, k, v, scale=scale)


def _clock() -> float:
    """CPU seconds of this process: other programs on the machine do not count, as wall time would."""
    return time.process_time()


def _run_time(run, calls: int, clock) -> float:
    start = clock()
    for _ in range(calls):
        run()
    return clock() - start


def calls_per_run(run, clock=_clock, min_run: float = MIN_RUN) -> tuple[int, float]:
    """As timeit.Timer.autorange: the first of 1, 2, 5, 10, 20, 50, … calls that take at least
    `min_run` seconds together, and the time they took."""
    base = 1
    while True:
        for factor in (1, 2, 5):
            calls = base * factor
            took = _run_time(run, calls, clock)
            if took >= min_run:
                return calls, took
        base *= 10


def per_call_times(run, runs: int = RUNS, clock=_clock) -> tuple[list[float], int]:
    """The time per call in each of `runs` runs (3 when one call is long), and the calls in a run."""
    calls, took = calls_per_run(run, clock)
    if took / calls > LONG_RUN:
        runs = min(runs, 3)
    return [_run_time(run, calls, clock) / calls for _ in range(runs)], calls


@contextmanager
def one_blas_thread():
    """BLAS held to one thread while timing; yields whether it is.

    CPU time is the clock, and BLAS worker threads that wait for work spend CPU time too: with several
    of them the smallest sizes measure the waiting, not the arithmetic. threadpoolctl, where installed,
    limits them for this block alone; otherwise the command line has set OPENBLAS_NUM_THREADS (and
    OMP_NUM_THREADS, MKL_NUM_THREADS) to 1 before NumPy loaded, which is when BLAS reads them.
    """
    import os

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield all(os.environ.get(name) == "1" for name in BLAS_THREAD_VARIABLES)
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield True


BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def measure(n: int, d: int, *, use_tiled: bool, runs: int = RUNS, seed: int = 0, clock=_clock) -> Measurement:
    """Time attention over n random tokens of width d as timeit does (the median per-call time of
    several runs of many calls), and its peak memory."""
    run = _runner(n, d, use_tiled, seed)
    matrix = min(n, TILED_BLOCK) ** 2 * 8 if use_tiled else n * n * 8
    run()  # warm-up: first-touch page faults, BLAS start-up
    times, calls = per_call_times(run, runs, clock)
    tracemalloc.start()
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return Measurement(n, float(np.median(times)), peak, matrix, tuple(times), calls)


def fit_growth(ns: list[int], values: list[float], *, floor: float = 0.0) -> Growth:
    """Fit log(value) = a + e·log(n) over the sizes whose value is at least `floor` (work, not overhead)."""
    points = [(n, v) for n, v in zip(ns, values) if v > 0 and v >= floor]
    used = tuple(n for n, _ in points)
    if len(points) < MIN_POINTS:
        some = f"only {len(points)} size{'' if len(points) == 1 else 's'}"
        why = f"{some} reached twice the smallest size's value, where the growth is measured" if floor > 0 else some
        return Growth(None, used, None, f"{why}; a growth law needs at least {MIN_POINTS} (two points always "
                                        "lie on a line)")
    x = np.log([n for n, _ in points])
    y = np.log([v for _, v in points])
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / total if total > 0 else 1.0
    if r2 < MIN_R2:
        return Growth(float(slope), used, r2, f"the sizes do not lie on one power law (R² = {r2:.3f} < {MIN_R2})")
    return Growth(float(slope), used, r2)


def growth_exponent(ns: list[int], values: list[float]) -> float | None:
    """The fitted exponent over every size, or None when no growth law can be stated."""
    growth = fit_growth(ns, values)
    return growth.exponent if not growth.reason else None


def check_size(max_n: int, d: int, use_tiled: bool) -> None:
    """Refuse, before any work, a largest size the four-step core or this machine's memory cannot hold."""
    from attncli import limits
    from attncli.errors import UsageError

    if not use_tiled and max_n > 16384:
        raise UsageError(f"--max-n {max_n}: the four-step core would hold three {max_n}×{max_n} float64 "
                         f"matrices ({3 * max_n * max_n * 8 / 2**30:.0f} GB); use --tiled, or --max-n 16384 or less")
    need = peak_bytes(max_n, d, use_tiled)
    free = limits.available_memory()
    if free is not None and need > 0.8 * free:
        raise UsageError(f"--max-n {max_n}: the largest size needs about {need / 2**30:.1f} GB at its peak, and this "
                         f"machine has {free / 2**30:.1f} GB free; use a smaller --max-n"
                         f"{'' if use_tiled else ', or --tiled'}")


def peak_bytes(n: int, d: int, use_tiled: bool) -> int:
    """Memory one measurement may hold at its peak: Q, K, V and, without tiling, about four n×n
    float64 matrices (scores, scaled scores, weights and a temporary; 8.3 GB measured at n = 16384)."""
    return 8 * (4 * n * d + (0 if use_tiled else 4 * n * n))


def measure_all(ns: list[int], d: int, use_tiled: bool, tick=None) -> list[Measurement]:
    """Measure each size in turn; tick(description, work done) follows along (a progress bar)."""
    results = []
    for n in ns:
        if tick is not None:
            tick(f"n = {n}", 0)
        results.append(measure(n, d, use_tiled=use_tiled))
        if tick is not None:
            tick(f"n = {n}", n * n)
    return results


def growths(ns: list[int], results: list[Measurement]) -> tuple[Growth, Growth]:
    """The growth of time and of peak memory with n, each fitted over the sizes where work dominates."""
    time_growth = fit_growth(ns, [r.seconds for r in results], floor=WORK_OVER_OVERHEAD * results[0].seconds)
    memory_growth = fit_growth(ns, [r.peak_bytes for r in results], floor=WORK_OVER_OVERHEAD * results[0].peak_bytes)
    return time_growth, memory_growth
