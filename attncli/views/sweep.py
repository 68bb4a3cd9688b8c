"""What `compare --sweep-dk` shows: per d_k, scaled against unscaled, and what the table says."""

from __future__ import annotations

import math

import numpy as np

from attncli.compare import PERCENTILES, SATURATED, SWEEP_D_MODEL, SWEEP_SEED, SWEEP_TOKENS, SweepRow
from attncli.numbers import fixed
from attncli.views import Grid, Page, Paragraph, Title, View

LOW, HIGH = PERCENTILES
# Two-line headers for the terminal (markdown joins the lines); "raw" is the unscaled run.
SCORE_HEADERS = ("d_k", "var\nscaled", "var\nraw", "max w\nscaled", "max w\nraw", "saturated\nscaled", "saturated\nraw")
JACOBIAN_HEADERS = ("d_k", "‖J‖ median\nscaled", f"‖J‖ p{LOW}–p{HIGH}\nscaled", "‖J‖ median\nraw",
                    f"‖J‖ p{LOW}–p{HIGH}\nraw")
GRADIENT_HEADERS = ("d_k", "factor\nscaled", "∂A/∂S median\nscaled", "∂A/∂S median\nraw")


def view(rows: list[SweepRow], precision: int = 3) -> View:
    words = conclusion(rows, precision)
    settings = {"seed": SWEEP_SEED, "tokens": SWEEP_TOKENS, "d_model": SWEEP_D_MODEL}
    title = Title("Why divide by √d_k?", "softmax(Q·Kᵀ / √d_k) against softmax(Q·Kᵀ)",
                  f"{SWEEP_TOKENS} random tokens (seed {SWEEP_SEED}), embeddings ~ N(0, 1), "
                  f"W ~ N(0, 1/{SWEEP_D_MODEL}): every entry of q and k has variance ≈ 1, so q·k has variance "
                  "≈ d_k. Each d_k run scaled and unscaled. ‖J‖ is the Frobenius norm of one row's softmax "
                  "Jacobian; ∂A/∂S is ‖J‖ times the factor the raw scores S are multiplied by "
                  "(1/√d_k scaled, 1 raw): the chain rule.")
    grids = (
        Grid(SCORE_HEADERS, score_cells(rows, precision),
             "var: variance of the scores entering softmax; max w: mean largest weight; "
             f"saturated: rows with largest weight ≥ {SATURATED}"),
        Grid(JACOBIAN_HEADERS, jacobian_cells(rows, precision),
             f"per-row softmax Jacobian ‖J‖: median and {LOW}th–{HIGH}th percentile"),
        Grid(GRADIENT_HEADERS, gradient_cells(rows, precision),
             "the gradient reaching the raw scores S, per row: median"),
    )
    page = Page("The √d_k sweep", (title, *grids, *(Paragraph(w) for w in words)))

    def document() -> dict:
        return {**settings, "saturation_threshold": SATURATED, "percentiles": list(PERCENTILES),
                "sweep": [{"d_k": r.d_k, "scaled": r.scaled, "unscaled": r.unscaled} for r in rows],
                "conclusion": " ".join(words), "sentences": list(words)}

    return View("Why divide by √d_k?", (page,), document, precision)


def _share(side: dict) -> str:
    return f"{side['saturated_rows']}/{side['rows']}"


def score_cells(rows: list[SweepRow], p: int) -> tuple[tuple[str, ...], ...]:
    return tuple((str(r.d_k), fixed(r.scaled["score_var"], p), fixed(r.unscaled["score_var"], p),
                  fixed(r.scaled["max_weight"], p), fixed(r.unscaled["max_weight"], p),
                  _share(r.scaled), _share(r.unscaled)) for r in rows)


def _range(side: dict, key: str, p: int) -> str:
    return f"{fixed(side[f'{key}_p{LOW}'], p)}–{fixed(side[f'{key}_p{HIGH}'], p)}"


def jacobian_cells(rows: list[SweepRow], p: int) -> tuple[tuple[str, ...], ...]:
    return tuple((str(r.d_k), fixed(r.scaled["jacobian_median"], p), _range(r.scaled, "jacobian", p),
                  fixed(r.unscaled["jacobian_median"], p), _range(r.unscaled, "jacobian", p)) for r in rows)


def gradient_cells(rows: list[SweepRow], p: int) -> tuple[tuple[str, ...], ...]:
    return tuple((str(r.d_k), fixed(r.scaled["scale"], p), fixed(r.scaled["grad_scores_median"], p),
                  fixed(r.unscaled["grad_scores_median"], p)) for r in rows)


def _near_one(v: float) -> bool:
    return 0.5 <= v <= 2.0


def _dks(values: list[int]) -> str:
    return ", ".join(str(d) for d in values)


def _between(values: list[float], p: int) -> str:
    """'is 0.5' for one value (or values that show the same), 'stays between 0.4 and 0.6' otherwise."""
    low, high = fixed(min(values), p), fixed(max(values), p)
    return f"is {low}" if low == high else f"stays between {low} and {high}"


def conclusion(rows: list[SweepRow], p: int = 3) -> tuple[str, ...]:
    """What this table shows, each sentence chosen by a condition on its own numbers."""
    words = [_variance_sentence(rows, p), _saturation_sentence(rows), _jacobian_sentence(rows, p),
             _gradient_sentence(rows), _lesson_sentence(rows), _jacobian_note(rows, p)]
    return tuple(w for w in words if w)


def _variance_sentence(rows: list[SweepRow], p: int) -> str:
    raw = [r.unscaled["score_var"] for r in rows]
    scaled = [r.scaled["score_var"] for r in rows]
    near_dk = all(_near_one(v / r.d_k) for v, r in zip(raw, rows))
    tracks = (", close to d_k itself (within a factor of 2)" if near_dk
              else ", not close to d_k (more than a factor of 2 off)")
    if len(rows) == 1:
        raw_words = f"is {fixed(raw[0], p)} at d_k = {rows[0].d_k}{tracks}"
    else:
        trend = "grows with d_k" if all(b > a for a, b in zip(raw, raw[1:])) else "does not grow steadily with d_k"
        raw_words = (f"{trend}, from {fixed(raw[0], p)} at d_k = {rows[0].d_k} to {fixed(raw[-1], p)} at "
                     f"d_k = {rows[-1].d_k}{tracks}")
    near = "within" if all(_near_one(v) for v in scaled) else "not always within"
    return (f"Without scaling, the variance of the scores entering softmax {raw_words}; "
            f"divided by √d_k it {_between(scaled, p)}, {near} a factor of 2 of 1.")


def _saturation_sentence(rows: list[SweepRow]) -> str:
    raw = [r.unscaled["saturated_rows"] for r in rows]
    scaled = [r.scaled["saturated_rows"] for r in rows]
    n = rows[0].unscaled["rows"]
    if len(set(raw)) == 1:
        raw_words = f"{raw[0]} of {n} rows are saturated at every d_k shown"
    elif all(b >= a for a, b in zip(raw, raw[1:])):
        raw_words = (f"the saturated rows never fall as d_k grows: {raw[0]} of {n} at d_k = {rows[0].d_k}, "
                     f"{raw[-1]} of {n} at d_k = {rows[-1].d_k}")
    else:
        raw_words = f"the saturated rows go up and down with d_k, between {min(raw)} and {max(raw)} of {n}"
    scaled_words = ("no row saturates at any d_k shown" if max(scaled) == 0
                    else f"at most {max(scaled)} of {n} rows saturate")
    return (f"A row is saturated when its largest weight is at least {SATURATED}. Without scaling, {raw_words}; "
            f"with scaling, {scaled_words}.")


def _jacobian_sentence(rows: list[SweepRow], p: int) -> str:
    last = rows[-1]
    s_med = [r.scaled["jacobian_median"] for r in rows]
    lo, hi = last.unscaled[f"jacobian_p{LOW}"], last.unscaled[f"jacobian_p{HIGH}"]
    s_lo, s_hi = last.scaled[f"jacobian_p{LOW}"], last.scaled[f"jacobian_p{HIGH}"]
    words = (f"With scaling, the median per-row ‖J‖ {_between(s_med, p)}. "
             f"At d_k = {last.d_k}, the {LOW}th to {HIGH}th percentile of ‖J‖ runs from {fixed(lo, p)} to "
             f"{fixed(hi, p)} without scaling, and from {fixed(s_lo, p)} to {fixed(s_hi, p)} with it")
    if lo < s_lo / 10:
        words += f": without scaling the {LOW}th percentile is less than a tenth of the scaled one"
        if hi >= s_hi:
            words += (f", while the {HIGH}th is at least as large: saturated rows pass almost nothing, "
                      "the rest as much as ever")
    return words + "."


def _gradient_sentence(rows: list[SweepRow]) -> str:
    n = rows[0].unscaled["rows"]
    raw_larger = [r for r in rows if r.unscaled["grad_scores_median"] > r.scaled["grad_scores_median"]]
    scaled_larger = [r for r in rows if r.scaled["grad_scores_median"] > r.unscaled["grad_scores_median"]]
    parts = []
    if raw_larger:
        parts.append(f"larger without scaling at d_k = {_dks([r.d_k for r in raw_larger])}")
    if scaled_larger:
        parts.append(f"larger with scaling at d_k = {_dks([r.d_k for r in scaled_larger])}")
    if not parts:
        parts.append("the same with and without scaling at every d_k")
    words = ("The gradient reaching the raw scores S is ‖J‖ times the factor S is multiplied by (1/√d_k scaled, "
             f"1 raw); its median is {' and '.join(parts)}.")
    if raw_larger:
        words += " So scaling does not simply make the typical gradient larger"
        if scaled_larger and all(2 * r.unscaled["saturated_rows"] > n for r in scaled_larger):
            words += ("; where it is larger with scaling, more than half of the unscaled rows have saturated")
        if all(r.scaled["saturated_rows"] == 0 for r in rows):
            words += ("; what scaling buys is that no row saturates, and every row's gradient carries the same "
                      "known factor 1/√d_k")
        words += "."
    return words


def _lesson_sentence(rows: list[SweepRow]) -> str:
    last = rows[-1]
    n = last.unscaled["rows"]
    scaled_clean = all(r.scaled["saturated_rows"] == 0 for r in rows)
    scaled_near = all(_near_one(r.scaled["score_var"]) for r in rows)
    raw_counts = [r.unscaled["saturated_rows"] for r in rows]
    if not (scaled_clean and scaled_near):
        return ("With scaling, some rows still saturate or the variance strays more than a factor of 2 from 1 "
                "here, so this table does not show the usual case for √d_k.")
    if raw_counts[-1] * 4 < n:
        return (f"At d_k = {last.d_k}, fewer than a quarter of the unscaled rows saturate, so this table does "
                "not yet show why attention divides by √d_k; try `attncli compare --sweep-dk 2,8,32,128,512`.")
    never_fall = all(b >= a for a, b in zip(raw_counts, raw_counts[1:]))
    rising = len(rows) > 1 and never_fall and raw_counts[-1] > raw_counts[0]
    trend = ("the larger d_k, the more rows saturate and stop passing gradient" if rising
             else f"{raw_counts[-1]} of {n} rows saturate at d_k = {last.d_k}")
    return (f"That is why attention divides by √d_k: without it, {trend}; with it, softmax sees scores of "
            "variance near 1 at every d_k shown, and no row saturates.")


def _jacobian_note(rows: list[SweepRow], p: int) -> str:
    n = rows[0].unscaled["rows"]
    uniform = math.sqrt(n - 1) / n  # ‖diag(a) − a·aᵀ‖_F for a = 1/n everywhere
    words = (f"Why ‖J‖ is not monotonic: a uniform row over {n} keys has ‖J‖ = √{n - 1}/{n} "
             f"≈ {fixed(uniform, p)}, "
             f"a row split evenly between two keys has {fixed(0.5, p)} and a one-hot row has 0: small at both ends, "
             "larger in between, so as rows sharpen ‖J‖ can first rise, then fall.")
    medians = [r.unscaled["jacobian_median"] for r in rows]
    peak = int(np.argmax(medians))
    rises = all(b > a for a, b in zip(medians[:peak], medians[1:peak + 1]))
    falls = all(b < a for a, b in zip(medians[peak:], medians[peak + 1:]))
    if 0 < peak < len(rows) - 1 and rises and falls:
        words += f" Here the unscaled median rises up to d_k = {rows[peak].d_k}, then falls."
    elif 0 < peak < len(rows) - 1:
        words += f" Here the unscaled median is largest at d_k = {rows[peak].d_k}, with smaller values on both sides."
    return words
