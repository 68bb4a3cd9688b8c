"""Views of API results: one head's steps on raw q, k, v; a run's summary; a scenario before it runs."""

from __future__ import annotations

import numpy as np

from attncli import core
from attncli.numbers import fixed
from attncli.scenario import Evaluation, Scenario
from attncli.views import Banner, Heading, Matrices, MatrixView, Page, Paragraph, Title, View, dims, matrix_json
from attncli.views import FORMULA
from attncli.views.walkthrough import explain_json


def _labels(labels: tuple[str, ...], n: int, prefix: str) -> tuple[str, ...]:
    return labels if len(labels) == n else tuple(f"{prefix}{i}" for i in range(n))


def head_view(head: core.HeadSteps, full: bool = False, precision: int = 3) -> View:
    """attention(q, k, v): the weights and output, or with full every step from Q, K, V."""
    n_q, n_k = head.scores.shape
    rows = _labels(getattr(head, "query_tokens", ()), n_q, "q")
    cols = _labels(getattr(head, "key_tokens", ()), n_k, "k")
    about = (f"{n_q} queries, {n_k} keys, d_k = {head.d_k}, d_v = {head.d_v}; scores × {fixed(head.scale, precision)}"
             + ("; masked" if head.allowed is not None else ""))
    weights = MatrixView(f"A = softmax ({n_q}×{n_k})", head.weights, rows, cols, kind="weights")
    output = MatrixView(f"Output = A·V ({n_q}×{head.d_v})", head.output, rows, dims(head.d_v))
    title = Title("attention(q, k, v)", FORMULA, about)
    if not full:
        return View("attention", (Page("Attention", (title, Matrices((weights, output)))),),
                    lambda: head_json(head), precision)
    pages = [
        Page("Step 1: Q, K, V", (title, Heading("1", "Q, K, V as given"),
                                 Paragraph("Queries (what each token looks for), keys (what it offers) and values "
                                           "(what it hands over); Q and K share the width d_k.", "lesson"),
                                 Matrices((MatrixView(f"Q ({n_q}×{head.d_k})", head.q, rows, dims(head.d_k)),
                                           MatrixView(f"K ({n_k}×{head.d_k})", head.k, cols, dims(head.d_k)),
                                           MatrixView(f"V ({n_k}×{head.d_v})", head.v, cols, dims(head.d_v)))))),
        _page("2", f"Scores: S = Q·Kᵀ ({n_q}×{n_k})", "S[i, j] is the dot product of query i with key j.",
              MatrixView(f"S ({n_q}×{n_k})", head.scores, rows, cols)),
        _page("3", f"Scale: S × {fixed(head.scale, precision)}",
              "Dividing by √d_k keeps the scores' variance near 1, so softmax does not saturate.",
              MatrixView(f"scaled scores ({n_q}×{n_k})", head.scaled_scores, rows, cols)),
    ]
    if head.allowed is not None:
        pages.append(Page("Step 3m: Mask", (
            Heading("3m", "Mask: hidden keys get -∞"),
            Paragraph("Hidden positions get -∞ before softmax, so their weight comes out exactly 0.", "lesson"),
            Matrices((MatrixView(f"may attend ({n_q}×{n_k})", head.allowed, rows, cols, kind="flags"),
                      MatrixView(f"masked scores ({n_q}×{n_k})", head.masked_scores, rows, cols))))))
    pages.append(_page("4", f"Softmax: A = softmax(...), row by row ({n_q}×{n_k})",
                       "Each row becomes weights of at least 0 that sum to 1.", weights))
    pages.append(_page("5", f"Output = A·V ({n_q}×{head.d_v})",
                       "Each output row is a weighted average of the value rows.", output))
    return View("attention", tuple(pages), lambda: head_json(head), precision)


def _page(number: str, heading: str, lesson: str, matrix: MatrixView) -> Page:
    return Page(f"Step {number}: {heading}", (Heading(number, heading), Paragraph(lesson, "lesson"),
                                              Matrices((matrix,))))


def head_json(head: core.HeadSteps) -> dict:
    """One head under the JSON contract's names."""
    entry = {"name": head.name, "d_k": head.d_k, "d_v": head.d_v, "scale": head.scale,
             "Q": matrix_json(head.q), "K": matrix_json(head.k), "V": matrix_json(head.v),
             "scores": matrix_json(head.scores), "scaled_scores": matrix_json(head.scaled_scores)}
    if head.masked_scores is not None:
        entry["masked_scores"] = [[float(v) if np.isfinite(v) else None for v in row] for row in head.masked_scores]
    entry["weights"] = matrix_json(head.weights)
    entry["output"] = matrix_json(head.output)
    return entry


def summary_view(ev: Evaluation, precision: int = 3) -> View:
    """A run at a glance: each head's weights (shaded) and output, then the final output."""
    sc, steps = ev.scenario, ev.steps
    n_q, n_k = len(sc.tokens), len(sc.key_tokens)
    multi = len(steps.heads) > 1
    blocks: list = [Title(sc.name, FORMULA, sc.description)]
    for i, head in enumerate(steps.heads):
        if multi:
            blocks.append(Banner(f"Head {i}: {head.name} (d_k = {head.d_k}, d_v = {head.d_v})"))
        blocks.append(Matrices((
            MatrixView(f"A ({n_q}×{n_k})", head.weights, sc.tokens, sc.key_tokens, kind="weights"),
            MatrixView(f"{'head output' if multi else 'Output'} ({n_q}×{head.d_v})", head.output, sc.tokens,
                       ("R", "G", "B") if sc.color_values else dims(head.d_v),
                       kind="colours" if sc.color_values else "plain"))))
    if multi or steps.w_o is not None:
        d_out = steps.output.shape[1]
        blocks.append(Matrices((MatrixView(f"Output ({n_q}×{d_out})", steps.output, sc.tokens, dims(d_out)),)))
    blocks.append(Paragraph("Every step: .explain()", "note"))
    return View(sc.name, (Page(sc.name, tuple(blocks)),), lambda: explain_json(ev), precision)


def scenario_view(sc: Scenario, precision: int = 3) -> View:
    """A scenario before it runs: its embeddings, each head's projections and its settings."""
    blocks: list = [Title(sc.name, FORMULA, sc.description)]
    inputs = [MatrixView(f"embeddings X ({sc.x.shape[0]}×{sc.x.shape[1]})", sc.x, sc.tokens, dims(sc.x.shape[1]))]
    if sc.source_x is not None:
        sx = sc.source_x
        inputs.append(MatrixView(f"source embeddings ({sx.shape[0]}×{sx.shape[1]})", sx, sc.key_tokens,
                                 dims(sx.shape[1])))
    blocks.append(Matrices(tuple(inputs)))
    for i, w in enumerate(sc.heads):
        if len(sc.heads) > 1:
            blocks.append(Banner(f"Head {i}: {w.name}"))
        blocks.append(Matrices(tuple(MatrixView(f"{name} ({m.shape[0]}×{m.shape[1]})", m, dims(m.shape[0]),
                                                dims(m.shape[1]))
                                     for name, m in (("W_Q", w.w_q), ("W_K", w.w_k), ("W_V", w.w_v)))))
    masks = [m for m, on in (("causal mask", sc.causal), ("mask matrix", sc.mask_matrix is not None),
                             ("key padding", sc.key_padding is not None)) if on]
    blocks.append(Paragraph(f"Scores {'divided by √d_k' if sc.scale else 'not scaled'}; "
                            f"{' and '.join(masks) if masks else 'no mask'}. Run it: attncli.run(scenario).", "note"))
    return View(sc.name, (Page(sc.name, tuple(blocks)),), lambda: {"scenario": sc.name, "tokens": list(sc.tokens)},
                precision)
