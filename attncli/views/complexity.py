"""What `complexity` shows: the measurements, a bar plot of time against n, and the fitted growth."""

from __future__ import annotations

from attncli.complexity import Measurement
from attncli.views import Bars, Grid, Page, Paragraph, Title, View

HEADERS = ("n", "time", "× previous", "scores held", "peak memory")


def view(results: list[Measurement], time_exp: float | None, memory_exp: float | None, *, d: int,
         use_tiled: bool) -> View:
    title = (f"Attention cost as n doubles (d = {d}, "
             f"{'tiled online softmax' if use_tiled else 'four-step core, float64'})")
    growth = f"time ~ n^{time_exp:.2f}, memory ~ n^{memory_exp:.2f}" if time_exp is not None else ""
    words = verdict(time_exp, memory_exp, use_tiled)
    top = max(r.seconds for r in results)
    bars = Bars("time against n", tuple((f"n = {r.n:>6}", r.seconds / top, f"{r.seconds * 1000:.1f} ms")
                                        for r in results))
    page = Page("Cost", (Title(title, "the seed: time O(n²·d), memory O(n²) per head and layer"),
                         Grid(HEADERS, table(results)), bars, Paragraph(growth, "strong"), Paragraph(words)))

    def document() -> dict:
        return {"d": d, "tiled": use_tiled,
                "rows": [{"n": r.n, "seconds": r.seconds, "peak_bytes": r.peak_bytes, "matrix_bytes": r.matrix_bytes}
                         for r in results],
                "time_exponent": time_exp, "memory_exponent": memory_exp, "verdict": words}

    return View(title, (page,), document)


def verdict(time_exp: float | None, memory_exp: float | None, use_tiled: bool) -> str:
    if time_exp is None or memory_exp is None:
        return "Too few sizes to fit a growth rate; raise --max-n."
    words = (f"Time grows as n^{time_exp:.2f}: doubling the tokens multiplies the work by about "
             f"{2 ** time_exp:.1f}, because every query meets every key (O(n²·d)). ")
    if use_tiled:
        words += (f"Memory grows only as n^{memory_exp:.2f}: the online softmax keeps a running max, sum and "
                  "output per query and one block of scores, never the n×n matrix.")
    else:
        words += (f"Memory grows as n^{memory_exp:.2f}: the n×n scores and weights are stored. "
                  "That quadratic cost is what limits context length; try --tiled.")
    return words


def _size(b: float) -> str:
    for unit in ("B", "KB", "MB"):
        if b < 1024:
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1024
    return f"{b:.1f} GB"


def table(results: list[Measurement]) -> tuple[tuple[str, ...], ...]:
    """One row of text per size."""
    rows, previous = [], None
    for r in results:
        rows.append((str(r.n), f"{r.seconds * 1000:.2f} ms", f"{r.seconds / previous:.1f}" if previous else "",
                     _size(r.matrix_bytes), _size(r.peak_bytes)))
        previous = r.seconds
    return tuple(rows)
