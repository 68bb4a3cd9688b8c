"""What `compare` shows: both weight matrices, the per-row statistics and the verdict in words."""

from __future__ import annotations

import numpy as np

from attncli.compare import Comparison
from attncli.numbers import fixed
from attncli.scenario import Evaluation, Scenario
from attncli.views import Bullets, Grid, Matrices, MatrixView, Page, Paragraph, Title, View
from attncli.views.walkthrough import explain_json

STATS_HEADERS = ("query", "entropy H (nats)", "largest weight", "perplexity e^H (effective keys)",
                 "softmax Jacobian ‖J‖_F")
SATURATED = 0.99  # the sweep's threshold: a row with this much on one key passes almost no gradient
SMALL = 0.05  # a change of every weight below this is called small
MAX_ROWS_TOLD = 6  # longer scenarios get the row that moved most


def _heads(cmp: Comparison) -> list[tuple[str, int]]:
    """('head 0 (name): ', 0) per head when there are several; ('', 0) for one."""
    heads = cmp.baseline.steps.heads
    if len(heads) == 1:
        return [("", 0)]
    return [(f"head {i} ({h.name}): ", i) for i, h in enumerate(heads)]


def view(cmp: Comparison, precision: int = 3) -> View:
    """Both runs side by side for every head, the row statistics, and what they show."""
    sc = cmp.baseline.scenario
    n_q, n_k = len(sc.tokens), len(sc.key_tokens)
    matrices = tuple(Matrices(tuple(
        MatrixView(f"{label}{side} A ({n_q}×{n_k})", ev.steps.heads[i].weights, sc.tokens, sc.key_tokens, "weights")
        for side, ev in (("baseline", cmp.baseline), ("variant", cmp.variant)))) for label, i in _heads(cmp))
    grids = tuple(Grid(STATS_HEADERS, stats_rows(cmp, precision, i), f"{label}per query: baseline → variant")
                  for label, i in _heads(cmp))
    words = verdict(cmp, precision)
    title = Title(f"Compare: {sc.name}", f"baseline (as written)  vs  variant: {cmp.change.lower()}", sc.description)
    pages = (
        Page("Weights", (title, *_default_note(cmp), *matrices)),
        Page("Per query", grids),
        Page("Verdict", (Bullets(words),)),
    )
    return View(f"compare {sc.name}", pages, lambda: comparison_json(cmp, words), precision)


def _default_note(cmp: Comparison) -> tuple[Paragraph, ...]:
    if cmp.chosen:
        return ()
    flag = "--no-scale" if cmp.baseline.settings.scaled else "--scale"
    return (Paragraph(f"No variant was given, so the variant is {flag}, the lesson's main comparison: the same "
                      "scenario with its scaling by √d_k turned " + ("off" if flag == "--no-scale" else "on")
                      + ". Choose another with --scale/--no-scale, --temperature T or --mask/--no-mask.", "note"),)


def stats_rows(cmp: Comparison, precision: int, head: int = 0) -> tuple[tuple[str, ...], ...]:
    """Per query row, baseline → variant, as text."""
    b, v = cmp.head_stats[head] if cmp.head_stats else (cmp.baseline_stats, cmp.variant_stats)
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


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _factor(x: float, p: int) -> str:
    """A ratio: fixed decimals in the usual range, powers of ten outside it (1e-12 is not 0.000)."""
    return fixed(x, p) if 10 ** -p <= x < 1e6 else f"{x:.{p}e}"


def verdict(cmp: Comparison, precision: int = 3) -> tuple[str, ...]:
    """The difference in a teacher's words, each sentence chosen by the numbers it describes."""
    lines = []
    for label, i in _heads(cmp):
        lines += [label[0].upper() + label[1:] + line if label else line for line in _head_verdict(cmp, i, precision)]
    lines += _cross_causal(cmp)
    return tuple(lines)


def _visible(ev: Evaluation, head: int) -> np.ndarray:
    allowed = ev.steps.heads[head].allowed
    n_q, n_k = ev.steps.heads[head].weights.shape
    return np.ones((n_q, n_k), dtype=bool) if allowed is None else allowed


def _row_lines(cmp: Comparison, head: int, p: int) -> list[str]:
    """One sentence per changed row (or the row that moved most), and one for the rows that did not change."""
    sc, change = cmp.baseline.scenario, cmp.change
    wb, wv = cmp.baseline.steps.heads[head].weights, cmp.variant.steps.heads[head].weights
    seen_b, seen_v = _visible(cmp.baseline, head), _visible(cmp.variant, head)
    shown_same = [all(fixed(a, p) == fixed(b, p) for a, b in zip(wb[i], wv[i])) for i in range(len(sc.tokens))]
    moved = np.abs(wv - wb).max(axis=1)  # (n_q,)
    rows = range(len(sc.tokens)) if len(sc.tokens) <= MAX_ROWS_TOLD else [int(np.argmax(moved))]
    lines = []
    if len(sc.tokens) > MAX_ROWS_TOLD:
        k = rows[0]
        label = repr(sc.tokens[k]) + (f" (row {k})" if sc.tokens.count(sc.tokens[k]) > 1 else "")
        lines.append(f"Of the {len(sc.tokens)} rows, {label} moves most: one of its weights "
                     f"changes by {fixed(moved[k], p)}.")
    for i in rows:
        if shown_same[i]:
            continue
        j = int(np.argmax(wv[i]))
        tok = repr(sc.tokens[i]) + (f" (row {i})" if sc.tokens.count(sc.tokens[i]) > 1 else "")
        lost = [repr(sc.key_tokens[k]) for k in np.flatnonzero(seen_b[i] & ~seen_v[i])]
        gained = [repr(sc.key_tokens[k]) for k in np.flatnonzero(seen_v[i] & ~seen_b[i])]
        sight = ""
        if lost:
            sight += f" can no longer see {_names(lost)} and"
        if gained:
            sight += f" can now also see {_names(gained)} and"
        if fixed(wv[i, j], p) == fixed(wb[i, j], p):
            others = float(np.abs(np.delete(wv[i] - wb[i], j)).max())
            lines.append(f"{change}, {tok}{sight} still puts {fixed(wv[i, j], p)} on {_target(sc, i, j)}; "
                         f"its other weights change by up to {_factor(others, p)}.")
        else:
            lines.append(f"{change}, {tok}{sight} puts {fixed(wv[i, j], p)} on {_target(sc, i, j)} "
                         f"instead of {fixed(wb[i, j], p)}.")
    same = [repr(sc.tokens[i]) + (f" (row {i})" if sc.tokens.count(sc.tokens[i]) > 1 else "")
            for i in range(len(sc.tokens)) if shown_same[i]]
    if same:
        lines.append(f"Unchanged to {p} decimal{'s' if p > 1 else ''}: "
                     f"{'every row' if len(same) == len(sc.tokens) else _names(same)}.")
    return lines


def _head_verdict(cmp: Comparison, head: int, p: int) -> list[str]:
    b, v = cmp.head_stats[head] if cmp.head_stats else (cmp.baseline_stats, cmp.variant_stats)
    wb, wv = cmp.baseline.steps.heads[head].weights, cmp.variant.steps.heads[head].weights
    seen_b, seen_v = _visible(cmp.baseline, head), _visible(cmp.variant, head)
    n = len(b.entropy)
    lines = _row_lines(cmp, head, p)
    biggest = float(np.abs(wv - wb).max())
    lines.append(f"The largest change of any weight is {fixed(biggest, p)}"
                 + (f", a small change (every weight moves by less than {SMALL})." if biggest < SMALL else "."))
    average = (f"On average the largest weight goes from {fixed(b.max_weight.mean(), p)} to "
               f"{fixed(v.max_weight.mean(), p)}, the entropy from {fixed(b.entropy.mean(), p)} to "
               f"{fixed(v.entropy.mean(), p)} nats and the perplexity e^H, the effective number of keys, from "
               f"{fixed(b.effective_keys.mean(), p)} to {fixed(v.effective_keys.mean(), p)}")
    if not np.array_equal(seen_b, seen_v):
        lines.append(f"{average}. The mask changes which keys each query may see (on average "
                     f"{fixed(seen_v.sum(axis=1).mean(), p)} keys instead of {fixed(seen_b.sum(axis=1).mean(), p)}): "
                     "the weights are spread over a different set of keys, not sharpened.")
    else:
        lines.append(f"{average}: {_sharpness(b.entropy, v.entropy)}.")
    lines += _saturation_lines(b, v, p, seen_b.sum(axis=1) > 1, seen_v.sum(axis=1) > 1)
    lines += _gradient_lines(cmp, head, b, v, p)
    return lines


def _sharpness(before: np.ndarray, after: np.ndarray) -> str:
    tol = 1e-12
    sharper = int((after < before - tol).sum())
    flatter = int((after > before + tol).sum())
    n = len(before)
    if sharper == n:
        return "every row is sharper (lower entropy)"
    if flatter == n:
        return "every row is flatter (higher entropy)"
    if sharper == flatter == 0:
        return "no row's entropy changes"
    rest = n - sharper - flatter
    return (f"{sharper} of {n} rows are sharper (lower entropy), {flatter} flatter"
            + (f" and {rest} unchanged" if rest else ""))


def _rows(count: int, n: int) -> str:
    return f"{count} of {n} rows {'is' if count == 1 else 'are'}"


def _saturation_lines(b, v, p: int, choice_b: np.ndarray, choice_v: np.ndarray) -> list[str]:
    """Saturated rows (largest weight ≥ 0.99) among rows that have more than one key to choose from."""
    n = len(b.max_weight)
    hit_b, hit_v = (b.max_weight >= SATURATED) & choice_b, (v.max_weight >= SATURATED) & choice_v
    sat_b, sat_v = int(hit_b.sum()), int(hit_v.sum())
    if sat_b == sat_v == 0:
        return []
    where = f"largest weight at least {SATURATED}"
    if sat_v > sat_b:
        words = (f"{_rows(sat_v, n)} saturated in the variant ({where}), {sat_b} in the baseline: "
                 "softmax has saturated there")
    elif sat_v < sat_b:
        words = f"{_rows(sat_b, n)} saturated in the baseline ({where}), {sat_v} in the variant"
    else:
        words = f"{_rows(sat_v, n)} saturated ({where}) in both"
    if not (choice_b.all() and choice_v.all()):
        words += " (rows with a single visible key are not counted)"
    worst = max([float(g) for g in v.grad_norm[hit_v]] + [float(g) for g in b.grad_norm[hit_b]])
    return [f"{words}; a saturated row here has ‖J‖ of at most {_factor(worst, p)}, so little gradient passes back "
            "through it." if worst < 0.01 else f"{words}."]


def _gradient_lines(cmp: Comparison, head: int, b, v, p: int) -> list[str]:
    """Per-row ratios of the softmax Jacobian, variant over baseline: median and range, never a ratio of means."""
    usable = (b.grad_norm > 0) & (v.grad_norm > 0)
    left_out = int((~usable).sum())
    if not usable.any():
        return []
    ratio = v.grad_norm[usable] / b.grad_norm[usable]  # (rows,)
    med, lo, hi = float(np.median(ratio)), float(ratio.min()), float(ratio.max())
    if lo != 1 or hi != 1:
        if {_factor(x, p) for x in (lo, hi, 1 / lo, 1 / hi)} == {_factor(1.0, p)}:
            words = (f"Per row, the softmax Jacobian ‖J‖ changes by factors that round to {_factor(1.0, p)} at "
                     f"{p} decimal{'s' if p > 1 else ''}")
            return [_left_out(words, left_out) + "."] + _scale_line(cmp, head, p)
    if hi < 1:
        # The factor printed is baseline over variant, so its median is taken over those ratios: with an
        # even number of rows the median of 1/r is not 1/median(r).
        shrink = float(np.median(b.grad_norm[usable] / v.grad_norm[usable]))
        words = (f"Per row, the softmax Jacobian ‖J‖ is smaller in the variant in every row, by a factor of "
                 f"{_factor(shrink, p)} (median; from {_factor(1 / hi, p)} to {_factor(1 / lo, p)})")
    elif lo > 1:
        words = (f"Per row, the softmax Jacobian ‖J‖ is larger in the variant in every row, by a factor of "
                 f"{_factor(med, p)} (median; from {_factor(lo, p)} to {_factor(hi, p)})")
    elif lo == hi == 1:
        words = "Per row, the softmax Jacobian ‖J‖ is the same in both"
    else:
        words = (f"Per row, the softmax Jacobian ‖J‖ of the variant over that of the baseline has median "
                 f"{_factor(med, p)} and runs from {_factor(lo, p)} to {_factor(hi, p)}: smaller in some rows, "
                 "larger in others" if lo < 1 < hi else
                 f"Per row, the softmax Jacobian ‖J‖ of the variant over that of the baseline has median "
                 f"{_factor(med, p)} and runs from {_factor(lo, p)} to {_factor(hi, p)}")
    return [_left_out(words, left_out) + "."] + _scale_line(cmp, head, p)


def _left_out(words: str, left_out: int) -> str:
    if left_out:
        words += f" ({left_out} row{'s' if left_out > 1 else ''} with one visible key, where ‖J‖ = 0, left out)"
    return words


def _scale_line(cmp: Comparison, head: int, p: int) -> list[str]:
    sb, sv = cmp.baseline.steps.heads[head].scale, cmp.variant.steps.heads[head].scale
    if sb == sv:
        return []
    return [f"The gradient reaching the raw scores S is ‖J‖ times the factor S is multiplied by: "
            f"{_factor(sb, p)} in the baseline, {_factor(sv, p)} in the variant."]


def _cross_causal(cmp: Comparison) -> list[str]:
    sc = cmp.baseline.scenario
    if not sc.is_cross or not (cmp.baseline.settings.causal or cmp.variant.settings.causal):
        return []
    return [CROSS_CAUSAL]


CROSS_CAUSAL = ("Warning: a causal mask on cross-attention is aligned to the upper left, as PyTorch's is_causal "
                "does: query i sees source keys 0 to i. The source is another sentence, not earlier tokens of "
                "the same one, so this mask does not mean 'no peeking at the future' here.")


def _stats(stats: core.RowStats, i: int) -> dict:
    return {"entropy": float(stats.entropy[i]), "max_weight": float(stats.max_weight[i]),
            "effective_keys": float(stats.effective_keys[i]), "grad_norm": float(stats.grad_norm[i])}


def _rows_json(cmp: Comparison, head: int) -> list[dict]:
    b, v = cmp.head_stats[head] if cmp.head_stats else (cmp.baseline_stats, cmp.variant_stats)
    return [{"token": token, "baseline": _stats(b, i), "variant": _stats(v, i)}
            for i, token in enumerate(cmp.baseline.scenario.tokens)]


def comparison_json(cmp: Comparison, words: tuple[str, ...]) -> dict:
    """The JSON of `compare`: both runs in full, and the row statistics of every head ("rows": the first)."""
    return {
        "change": cmp.change,
        "default_variant": not cmp.chosen,
        "baseline": explain_json(cmp.baseline),
        "variant": explain_json(cmp.variant),
        "rows": _rows_json(cmp, 0),
        "head_rows": [{"head": i, "name": h.name, "rows": _rows_json(cmp, i)}
                      for i, h in enumerate(cmp.baseline.steps.heads)],
        "saturation_threshold": SATURATED,
        "verdict": list(words),
    }
