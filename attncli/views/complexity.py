"""What `complexity` shows: the measurements, a bar plot of time against n, and the growth they support."""

from __future__ import annotations

from attncli.complexity import MIN_POINTS, MIN_RUN, WORK_OVER_OVERHEAD, Growth, Measurement
from attncli.numbers import fixed
from attncli.views import Bars, Grid, Page, Paragraph, Title, View

# Units in the headers and headers on two lines (markdown joins them), so that a cell is a number alone
# and the table fits 80 columns.
HEADERS = ("n", "ms/call\n(median)", "fastest–\nslowest (ms)", "×\nprevious", "scores\nheld (MB)", "memory\npeak (MB)",
           "fitted")
NEAR = 0.3  # an exponent within this of the expected one is called close to it


def view(results: list[Measurement], time_growth: Growth, memory_growth: Growth, *, d: int, use_tiled: bool,
         max_n: int, precision: int = 3, one_thread: bool = True) -> View:
    p = precision
    core_words = "tiled online softmax" if use_tiled else "four-step core, float64"
    title = f"Attention cost as n doubles (d = {d}, {core_words})"
    words = verdict(time_growth, memory_growth, use_tiled, p, max_n=max_n, d=d)
    top = max(r.seconds for r in results)
    bars = Bars("time per call against n (median)", tuple((f"n = {r.n:>6}", r.seconds / top,
                                                           f"{fixed(r.seconds * 1000, p)} ms") for r in results))
    floor = WORK_OVER_OVERHEAD * results[0].seconds
    threads = ("BLAS is held to one thread while timing, since its idle threads' waiting would count as CPU time too."
               if one_thread else "BLAS could not be held to one thread here (install threadpoolctl, or set "
               "OPENBLAS_NUM_THREADS=1), so its idle threads' waiting may count in the time of the small sizes.")
    note = (f"Time is CPU time of this process (other programs do not count), per call, measured as timeit does: "
            f"each run repeats the call until it lasts at least {MIN_RUN} s ({_calls(results)}), and the median of "
            f"{_runs(results)} runs is kept. "
            f"{threads} "
            f"The smallest size's {fixed(results[0].seconds * 1000, p)} ms bounds the fixed cost of a call; time is "
            f"fitted only over sizes taking at least {WORK_OVER_OVERHEAD}× that ({fixed(floor * 1000, p)} ms), where "
            "the work is at least half of it. Memory likewise: over sizes whose peak is at least "
            f"{WORK_OVER_OVERHEAD}× the smallest size's, where what grows with n outweighs what does not.")
    page = Page("Cost", (Title(title, "expected: time O(n²·d); memory O(n²) per head and layer, O(n·d) tiled"),
                         Grid(HEADERS, table(results, time_growth, p)), bars, Paragraph(note, "note"),
                         Paragraph(growth_line(time_growth, memory_growth, p), "strong"),
                         *(Paragraph(w) for w in words)))

    def document() -> dict:
        return {"d": d, "tiled": use_tiled, "clock": "process CPU time per call", "blas_one_thread": one_thread,
                "fit_floor_seconds": floor,
                "rows": [{"n": r.n, "seconds": r.seconds, "times": list(r.times), "calls_per_run": r.calls,
                          "peak_bytes": r.peak_bytes, "matrix_bytes": r.matrix_bytes} for r in results],
                "time_exponent": None if time_growth.reason else time_growth.exponent,
                "memory_exponent": None if memory_growth.reason else memory_growth.exponent,
                "time_fit": _growth_json(time_growth), "memory_fit": _growth_json(memory_growth),
                "verdict": " ".join(words), "sentences": list(words)}

    return View(title, (page,), document, precision)


def _calls(results: list[Measurement]) -> str:
    first, last = results[0], results[-1]
    words = lambda r: f"{r.calls} call{'' if r.calls == 1 else 's'} at n = {r.n}"
    return words(first) if first is last else f"{words(first)}, {words(last)}"


def _runs(results: list[Measurement]) -> str:
    counts = sorted({len(r.times) or 1 for r in results}, reverse=True)
    return " or ".join(str(c) for c in counts)


def _growth_json(g: Growth) -> dict:
    return {"exponent": g.exponent, "sizes": list(g.used), "r2": g.r2, "refused": g.reason or None}


def _law(name: str, g: Growth, p: int) -> str:
    if g.reason:
        return f"{name}: no growth law stated"
    return (f"{name} ~ n^{fixed(g.exponent, p)} over n = {g.used[0]}…{g.used[-1]} "
            f"({len(g.used)} sizes, R² = {fixed(g.r2, p)})")


def growth_line(time_growth: Growth, memory_growth: Growth, p: int) -> str:
    return f"{_law('time', time_growth, p)}; {_law('memory', memory_growth, p)}"


def verdict(time_growth: Growth, memory_growth: Growth, use_tiled: bool, p: int = 3, *, max_n: int = 4096,
            d: int = 64) -> tuple[str, ...]:
    """What the fits support, each sentence chosen by a condition on them."""
    return (_time_words(time_growth, use_tiled, p, max_n), _memory_words(memory_growth, use_tiled, p, max_n, d))


def _time_words(g: Growth, use_tiled: bool, p: int, max_n: int) -> str:
    work = ("The tiled core does the same O(n²·d) work as the four-step one: every query still meets every key, "
            "block by block." if use_tiled else "Every query meets every key: O(n²·d) work.")
    if g.reason:
        hint = (f" Raise --max-n (now {max_n}) for more sizes." if len(g.used) < MIN_POINTS else
                " The timings are too noisy (the fastest–slowest column shows how much runs of one size differ); "
                "run it again on a quieter machine.")
        return f"No growth law for time: {g.reason}.{hint} {work}"
    e = g.exponent
    words = (f"Time grows as n^{fixed(e, p)} from n = {g.used[0]} to {g.used[-1]}: doubling the tokens multiplies "
             f"the time by about {fixed(2 ** e, p)}. ")
    if abs(e - 2) <= NEAR:
        return words + f"That is close to n², as the work predicts. {work}"
    if e < 2:
        return words + (f"That is below n² over these sizes: the measured time does not yet follow the n²·d work "
                        f"alone. {work}")
    return words + (f"That is above n² over these sizes: the measured time grows faster than the n²·d arithmetic "
                    f"alone. {work}")


def _memory_words(g: Growth, use_tiled: bool, p: int, max_n: int, d: int) -> str:
    if g.reason:
        return f"No growth law for memory: {g.reason}."
    e = g.exponent
    words = f"Peak memory grows as n^{fixed(e, p)}"
    if use_tiled:
        if abs(e - 1) <= NEAR:
            return (words + ": close to n. The online softmax keeps a running max, sum and output per query and "
                    "one block of scores, never the n×n matrix: O(n·d) memory.")
        return words + (": not close to n, so at these sizes something other than the per-query state dominates "
                        "the peak.")
    if abs(e - 2) <= NEAR:
        return (words + ": close to n², because the n×n scores and weights are stored. That quadratic cost is what "
                f"limits context length; compare `attncli complexity --tiled --max-n {max_n} --d {d}`.")
    return words + ": not close to n², so at these sizes something other than the n×n matrices dominates the peak."


def table(results: list[Measurement], time_growth: Growth | None = None, p: int = 3) -> tuple[tuple[str, ...], ...]:
    """One row of text per size, numbers without units (the headers have them)."""
    rows, previous = [], None
    used = set(time_growth.used) if time_growth else set()
    for r in results:
        spread = (f"{fixed(min(r.times) * 1000, p)}–{fixed(max(r.times) * 1000, p)}" if r.times else "")
        rows.append((str(r.n), fixed(r.seconds * 1000, p), spread, fixed(r.seconds / previous, p) if previous else "",
                     fixed(r.matrix_bytes / 2**20, p), fixed(r.peak_bytes / 2**20, p), "yes" if r.n in used else "no"))
        previous = r.seconds
    return tuple(rows)
