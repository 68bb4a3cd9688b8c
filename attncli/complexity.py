"""The seed's complexity table, measured: time and memory of attention as n doubles."""

from __future__ import annotations

import math
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

from attncli import core, tiled

FIRST_N = 128
FIT_FROM = 1024  # below this, fixed overheads hide the growth
TILED_BLOCK = 64  # small blocks, so the O(n·d) part of the tiled core's memory shows


@dataclass(frozen=True)
class Measurement:
    n: int
    seconds: float  # median of the timed runs
    peak_bytes: int  # the most NumPy held at once during one run (tracemalloc)
    matrix_bytes: int  # what the scores of one head take: n² float64, or one block when tiled


def sizes(max_n: int) -> list[int]:
    """128, 256, … up to max_n."""
    out, n = [], FIRST_N
    while n <= max_n:
        out.append(n)
        n *= 2
    return out


def measure(n: int, d: int, *, use_tiled: bool, runs: int = 3, seed: int = 0) -> Measurement:
    """Time one attention over n random tokens of width d, and its peak memory."""
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal((n, d)) for _ in range(3))
    scale = 1 / math.sqrt(d)
    if use_tiled:
        def run():
            return tiled.tiled_attention(q, k, v, scale=scale, key_block=TILED_BLOCK, query_block=TILED_BLOCK, workers=1)
        matrix = min(n, TILED_BLOCK) ** 2 * 8
    else:
        def run():
            return core.attend(q, k, v, scale=scale)
        matrix = n * n * 8
    run()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return Measurement(n, sorted(times)[len(times) // 2], peak, matrix)


def growth_exponent(ns: list[int], values: list[float]) -> float | None:
    """The slope of log(value) against log(n), fitted over n ≥ FIT_FROM (all points if too few)."""
    points = [(n, v) for n, v in zip(ns, values) if n >= FIT_FROM and v > 0]
    if len(points) < 2:
        points = [(n, v) for n, v in zip(ns, values) if v > 0]
    if len(points) < 2:
        return None
    x = np.log([p[0] for p in points])
    y = np.log([p[1] for p in points])
    return float(np.polyfit(x, y, 1)[0])
