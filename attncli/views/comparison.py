"""What `compare` shows: both weight matrices, the per-row statistics and the verdict in words."""

from __future__ import annotations

import numpy as np

from attncli import core
from attncli.compare import Comparison
from attncli.numbers import fixed
from attncli.scenario import Evaluation, Scenario
from attncli.views import Bullets, Grid, Matrices, MatrixView, Page, Paragraph, Title, View
from attncli.views.walkthrough import explain_json

STATS_HEADERS = ("query", "entropy (nats)", "largest weight", "keys attended (e^H)", "softmax gradient ‖J‖_F")


def view(cmp: Comparison, precision: int = 3) -> View:
    """Both runs side by side, the row statistics, and what they show."""
    sc = cmp.baseline.scenario
    n_q, n_k = len(sc.tokens), len(sc.key_tokens)
    matrices = tuple(MatrixView(f"{label} A ({n_q}×{n_k})", ev.steps.heads[0].weights, sc.tokens, sc.key_tokens,
                                "weights") for label, ev in (("baseline", cmp.baseline), ("variant", cmp.variant)))
    words = verdict(cmp)
    pages = (
        Page("Weights", (Title(f"Compare: {sc.name}", f"baseline (as written)  vs  variant: {cmp.change.lower()}",
                               sc.description), Matrices(matrices))),
        Page("Per query", (Grid(STATS_HEADERS, stats_rows(cmp, precision), "per query: baseline → variant"),)),
        Page("Verdict", (Bullets(words),)),
    )
    return View(f"compare {sc.name}", pages, lambda: comparison_json(cmp, words), precision)


def stats_rows(cmp: Comparison, precision: int) -> tuple[tuple[str, ...], ...]:
    """Per query row, baseline → variant, as text."""
    b, v = cmp.baseline_stats, cmp.variant_stats
    pairs = ((b.entropy, v.entropy), (b.max_weight, v.max_weight), (b.effective_keys, v.effective_keys),
             (b.grad_norm, v.grad_norm))
    return tuple((token, *(f"{fixed(x[i], precision)} → {fixed(y[i], precision)}" for x, y in pairs))
                 for i, token in enumerate(cmp.baseline.scenario.tokens))


def _target(scenario: Scenario, i: int, j: int) -> str:
    if not scenario.is_cross and i == j:
        return "itself"
    keys = scenario.key_tokens
    where = f" (key {j})" if keys.count(keys[j]) > 1 else ""
    return f"{keys[j]!r}{where}"


def verdict(cmp: Comparison) -> tuple[str, ...]:
    """The difference in a teacher's words, each sentence chosen by the numbers it describes."""
    base, var, b, v, change = cmp.baseline, cmp.variant, cmp.baseline_stats, cmp.variant_stats, cmp.change
    sc = base.scenario
    wb, wv = base.steps.heads[0].weights, var.steps.heads[0].weights
    # Each row told the way a teacher would say it; for long scenarios, the row that moved most.
    moved = np.abs(v.max_weight - b.max_weight)
    shown = range(len(sc.tokens)) if len(sc.tokens) <= 6 else [int(np.argmax(moved))]
    lines = []
    for i in shown:
        j = int(np.argmax(wv[i]))
        lines.append(f"{change}, {sc.tokens[i]!r} puts {wv[i, j]:.2f} on "
                     f"{_target(sc, i, j)} instead of {wb[i, j]:.2f}.")
    sharper = v.entropy.mean() < b.entropy.mean()
    lines.append(
        f"On average the largest weight goes from {b.max_weight.mean():.3f} to {v.max_weight.mean():.3f} and the "
        f"entropy from {b.entropy.mean():.3f} to {v.entropy.mean():.3f} nats: the variant is "
        f"{'sharper' if sharper else 'flatter'}, each query attending to about {v.effective_keys.mean():.1f} keys "
        f"instead of {b.effective_keys.mean():.1f}."
    )
    saturated = float((v.max_weight > 0.95).mean())
    if saturated > 0.5:
        ratio = b.grad_norm.mean() / max(v.grad_norm.mean(), 1e-300)
        lines.append(
            f"{saturated:.0%} of the rows put more than 0.95 on one key: softmax has saturated, and its gradient "
            f"is {ratio:.1f}× smaller than in the baseline, so learning through it stalls."
        )
    return tuple(lines)


def _stats(stats: core.RowStats, i: int) -> dict:
    return {"entropy": float(stats.entropy[i]), "max_weight": float(stats.max_weight[i]),
            "effective_keys": float(stats.effective_keys[i]), "grad_norm": float(stats.grad_norm[i])}


def comparison_json(cmp: Comparison, words: tuple[str, ...]) -> dict:
    """The JSON of `compare`: both runs in full, and the row statistics of the first head."""
    return {
        "change": cmp.change,
        "baseline": explain_json(cmp.baseline),
        "variant": explain_json(cmp.variant),
        "rows": [{"token": token, "baseline": _stats(cmp.baseline_stats, i), "variant": _stats(cmp.variant_stats, i)}
                 for i, token in enumerate(cmp.baseline.scenario.tokens)],
        "verdict": list(words),
    }
