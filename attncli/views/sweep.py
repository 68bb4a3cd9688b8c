"""What `compare --sweep-dk` shows: per d_k, scaled against unscaled, and what the table says."""

from __future__ import annotations

import numpy as np

from attncli.compare import SWEEP_D_MODEL, SWEEP_SEED, SWEEP_TOKENS, SweepRow
from attncli.views import Grid, Page, Paragraph, Title, View

# Two-line headers for the terminal (markdown joins the lines); "raw" is the unscaled run.
HEADERS = ("d_k", "var\nscaled", "var\nraw", "max w\nscaled", "max w\nraw",
           "entropy\nscaled", "entropy\nraw", "grad\nscaled", "grad\nraw")


def view(rows: list[SweepRow]) -> View:
    words = conclusion(rows)
    settings = {"seed": SWEEP_SEED, "tokens": SWEEP_TOKENS, "d_model": SWEEP_D_MODEL}
    title = Title("Why divide by √d_k?", "softmax(Q·Kᵀ / √d_k) against softmax(Q·Kᵀ)",
                  f"{SWEEP_TOKENS} random tokens (seed {SWEEP_SEED}), embeddings ~ N(0, 1), W ~ N(0, 1/{SWEEP_D_MODEL}): "
                  "q·k has variance ≈ d_k. Each d_k run scaled and unscaled; means over the rows.")
    grid = Grid(HEADERS, cells(rows), "scaled: softmax(S/√d_k)   raw: softmax(S)   means over the rows")
    page = Page("The √d_k sweep", (title, grid, Paragraph(words)))

    def document() -> dict:
        return {**settings, "sweep": [{"d_k": r.d_k, "scaled": r.scaled, "unscaled": r.unscaled} for r in rows],
                "conclusion": words}

    return View("Why divide by √d_k?", (page,), document)


def cells(rows: list[SweepRow]) -> tuple[tuple[str, ...], ...]:
    out = []
    for r in rows:
        line = [str(r.d_k)]
        for key, digits in (("score_var", 2), ("max_weight", 3), ("entropy", 3), ("grad_norm", 3)):
            line += [f"{r.scaled[key]:.{digits}f}", f"{r.unscaled[key]:.{digits}f}"]
        out.append(tuple(line))
    return tuple(out)


def conclusion(rows: list[SweepRow]) -> str:
    first, last = rows[0], rows[-1]
    return (
        f"From d_k = {first.d_k} to {last.d_k}, the unscaled score variance grows from "
        f"{first.unscaled['score_var']:.1f} to {last.unscaled['score_var']:.1f} (≈ d_k) and the mean largest weight "
        f"from {first.unscaled['max_weight']:.2f} to {last.unscaled['max_weight']:.2f}, while the gradient shrinks "
        f"from {first.unscaled['grad_norm']:.3f} to {last.unscaled['grad_norm']:.3f}; scaled by √d_k the variance "
        f"stays near 1 ({first.scaled['score_var']:.2f} … {last.scaled['score_var']:.2f}) and the largest weight near "
        f"{np.mean([r.scaled['max_weight'] for r in rows]):.2f}. That is why attention divides by √d_k."
    )
