"""The four-step core, the tiled (online-softmax) core and PyTorch's SDPA, side by side in one run.

Usage: python benchmarks/core.py [--sizes 512,1024,...] [--dtypes float32,float64] [--big 65536]

For each n (d = 64) and dtype it prints the median time of each implementation, the ratios to
PyTorch's scaled_dot_product_attention when torch is installed (else to the four-step core), and
the peak memory NumPy allocated (tracemalloc). --big runs the tiled core alone at that n and reports
its peak memory: the n×n matrix of the four-step core (n² × 8 bytes, 34 GB at 65,536) never exists.
Target: tiled float32 at n = 4096 within 1.5 × SDPA's time; n = 65,536 under 1 GB.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc

import numpy as np

from attncli import core, tiled

D = 64


def median_time(fn, runs: int) -> float:
    fn()  # warm-up: BLAS threads, page faults, torch's dispatch
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="512,1024,2048,4096,8192,16384")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--max-four-step", type=int, default=8192, help="largest n for the n×n core")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big", type=int, default=0, help="also run the tiled core alone at this n")
    args = parser.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        torch = None
        print("torch is not installed: ratios are against the four-step core")
    rng = np.random.default_rng(0)
    worst_4096 = None
    print(f"{'n':>6} {'dtype':>8} {'four-step':>11} {'tiled':>10} {'sdpa':>10} {'tiled/sdpa':>11} "
          f"{'four/sdpa':>10} {'peak four':>10} {'peak tiled':>11}")
    for dtype_name in args.dtypes.split(","):
        dtype = np.dtype(dtype_name)
        for n in (int(x) for x in args.sizes.split(",")):
            q, k, v = (rng.standard_normal((n, D)).astype(dtype) for _ in range(3))
            scale = 1 / np.sqrt(D)
            runs = args.runs if n <= 4096 else max(1, args.runs // 2)
            t_tiled = median_time(lambda: tiled.tiled_attention(q, k, v, scale=scale), runs)
            m_tiled = peak_bytes(lambda: tiled.tiled_attention(q, k, v, scale=scale))
            t_four = m_four = None
            if n <= args.max_four_step:
                t_four = median_time(lambda: core.attend(q, k, v, scale=scale), runs)
                m_four = peak_bytes(lambda: core.attend(q, k, v, scale=scale))
            t_sdpa = None
            if torch is not None:
                tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))
                t_sdpa = median_time(lambda: F.scaled_dot_product_attention(tq, tk, tv), runs)
            base = t_sdpa or t_four
            fmt_t = lambda t: f"{t * 1000:9.1f}ms" if t is not None else f"{'-':>11}"
            fmt_m = lambda b: f"{b / 2**20:8.1f}MB" if b is not None else f"{'-':>10}"
            ratio = lambda t: f"{t / base:10.2f}" if (t is not None and base) else f"{'-':>10}"
            print(f"{n:>6} {dtype_name:>8} {fmt_t(t_four)} {fmt_t(t_tiled)} {fmt_t(t_sdpa)} {ratio(t_tiled):>11} "
                  f"{ratio(t_four)} {fmt_m(m_four)} {fmt_m(m_tiled):>11}")
            if n == 4096 and dtype_name == "float32" and t_sdpa:
                worst_4096 = t_tiled / t_sdpa
    ok = True
    if worst_4096 is not None:
        ok = worst_4096 <= 1.5
        print(f"tiled float32 at n = 4096: {worst_4096:.2f} × SDPA ({'ok' if ok else 'OVER the 1.5 target'})")
    if args.big:
        q, k, v = (rng.standard_normal((args.big, D)).astype(np.float32) for _ in range(3))
        start = time.perf_counter()
        peak = peak_bytes(lambda: tiled.tiled_attention(q, k, v, scale=1 / np.sqrt(D)))
        inputs = 3 * q.nbytes
        print(f"tiled float32 at n = {args.big}: {time.perf_counter() - start:.1f} s, peak {peak / 2**20:.0f} MB "
              f"allocated beyond the {inputs / 2**20:.0f} MB of inputs (the n×n matrix alone would be "
              f"{args.big**2 * 4 / 2**30:.0f} GB)")
        ok = ok and peak + inputs < 2**30
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
