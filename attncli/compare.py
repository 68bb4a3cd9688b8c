"""A scenario against a variant of itself, and the √d_k sweep: the numbers behind "why scale?"."""

from __future__ import annotations

import numpy as np

from attncli import core
from attncli.errors import UsageError
from attncli.record import Record
from attncli.safe_text import clipped
from attncli.scenario import Evaluation, Scenario, Settings, allowed_matrix, evaluate, random_scenario

SWEEP_SEED = 0
SWEEP_TOKENS = 64
SWEEP_D_V = 4
SWEEP_D_MODEL = 512
MAX_SWEEP_DK = 4096


class Comparison(Record):
    """The scenario as written, a variant changed by flags, and how peaked each row is in both."""

    baseline: Evaluation
    variant: Evaluation
    baseline_stats: core.RowStats  # of the first head
    variant_stats: core.RowStats
    change: str  # "Without scaling", "At temperature 0.5", ...
    head_stats: tuple[tuple[core.RowStats, core.RowStats], ...] = ()  # (baseline, variant) for every head
    chosen: bool = True  # False: no variant was asked for, and the variant is the default one (scaling flipped)


def variant_settings(
    base: Settings, *, scale: bool | None, mask: bool | None, temperature: float | None
) -> tuple[Settings, str]:
    """The variant's settings and the words for what changed; a usage error when nothing does.

    With no variant asked for, the variant is the lesson's main comparison: the scenario with its
    scaling by √d_k turned off (or on, for a scenario written without it); see is_default_variant.
    """
    if scale is None and mask is None and temperature is None:
        scale = not base.scaled
    words = []
    scaled, causal, use_matrix, t = base.scaled, base.causal, base.use_mask_matrix, base.temperature
    if scale is not None:
        if scale == base.scaled:
            raise UsageError(f"--{'scale' if scale else 'no-scale'} changes nothing: the scenario already "
                             f"{'divides' if scale else 'does not divide'} by √d_k; try --{'no-scale' if scale else 'scale'}")
        scaled = scale
        words.append("with scaling" if scale else "without scaling")
    if temperature is not None:
        t = temperature
        words.append(f"at temperature {temperature:g}")
    if mask is not None:
        causal, use_matrix = mask, mask
        words.append("with the causal mask" if mask else "without any mask")
    variant = Settings(scaled=scaled, causal=causal, temperature=t, use_mask_matrix=use_matrix)
    change = " and ".join(words)
    return variant, change[0].upper() + change[1:]


def is_default_variant(scale: bool | None, mask: bool | None, temperature: float | None) -> bool:
    """Whether no variant was asked for, so that compare takes its default one."""
    return scale is None and mask is None and temperature is None


def compare(scenario: Scenario, base: Settings, variant: Settings, change: str, chosen: bool = True) -> Comparison:
    """Run both and describe the difference in plain words."""
    a, b = allowed_matrix(scenario, base), allowed_matrix(scenario, variant)
    same_mask = (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))
    if same_mask and (base.scaled, base.temperature) == (variant.scaled, variant.temperature):
        raise UsageError("the variant flags change nothing in this scenario; try --no-scale or --temperature 0.5")
    baseline_ev = evaluate(scenario, base)
    variant_ev = evaluate(scenario, variant)
    stats = tuple((core.row_stats(hb.weights), core.row_stats(hv.weights))
                  for hb, hv in zip(baseline_ev.steps.heads, variant_ev.steps.heads))
    return Comparison(baseline_ev, variant_ev, stats[0][0], stats[0][1], change, stats, chosen)


SATURATED = 0.99  # a row whose largest weight reaches this has (nearly) stopped passing gradient
PERCENTILES = (10, 90)  # the spread of per-row values: their 10th and 90th percentiles


class SweepRow(Record):
    d_k: int
    scaled: dict  # see _summary for the keys
    unscaled: dict


def parse_dks(text: str) -> tuple[int, ...]:
    """'32,2,8' → (2, 8, 32): sorted and without repeats; anything else is a usage error."""
    values = []
    for part in text.split(","):
        part = part.strip()
        if not (part.isascii() and part.isdigit()) or len(part) > 9 or not 1 <= int(part) <= MAX_SWEEP_DK:
            raise UsageError(f"d_k takes whole numbers from 1 to {MAX_SWEEP_DK} separated by commas, "
                             f"like 2,8,32,128,512; {clipped(part)!r} is not one")
        values.append(int(part))
    return tuple(sorted(set(values)))


def _spread(values: np.ndarray, prefix: str) -> dict:
    low, mid, high = np.percentile(values, [PERCENTILES[0], 50, PERCENTILES[1]])
    return {f"{prefix}_median": float(mid), f"{prefix}_p{PERCENTILES[0]}": float(low),
            f"{prefix}_p{PERCENTILES[1]}": float(high)}


def _summary(ev: Evaluation) -> dict:
    """Per-row facts of one run, summarised: what softmax saw, how peaked it came out, what gradient passes."""
    head = ev.steps.heads[0]
    stats = core.row_stats(head.weights)
    entering = head.softmax_input
    visible = entering[np.isfinite(entering)]
    # ∂A_i/∂S_i = J_i · scale by the chain rule: the gradient that reaches the raw scores S = Q·Kᵀ.
    reaching_s = stats.grad_norm * head.scale  # (n_q,)
    return {
        "score_var": float(np.var(visible)),
        "max_weight": float(stats.max_weight.mean()),
        "entropy": float(stats.entropy.mean()),
        "grad_norm": float(stats.grad_norm.mean()),  # the mean ‖J‖ over rows (kept; see the medians)
        "rows": int(len(stats.max_weight)),
        "saturated_rows": int((stats.max_weight >= SATURATED).sum()),
        "scale": float(head.scale),
        **_spread(stats.grad_norm, "jacobian"),
        **_spread(reaching_s, "grad_scores"),
    }


def sweep(dks: tuple[int, ...], *, seed: int = SWEEP_SEED, tokens: int = SWEEP_TOKENS, causal: bool = False) -> list[SweepRow]:
    """For each d_k, one random scenario run scaled and unscaled."""
    rows = []
    for d_k in dks:
        # W ~ N(0, 1/d_model) keeps every entry of q and k at variance ≈ 1, so q·k has variance ≈ d_k;
        # a wide d_model makes that average tight. The same seed gives the same embeddings at every d_k.
        sc = random_scenario(name=f"d_k = {d_k}", origin="sweep", seed=seed, tokens=tuple(f"t{i}" for i in range(tokens)),
                             d_model=SWEEP_D_MODEL, d_k=d_k, d_v=SWEEP_D_V)
        scaled = evaluate(sc, Settings(scaled=True, causal=causal))
        unscaled = evaluate(sc, Settings(scaled=False, causal=causal))
        rows.append(SweepRow(d_k, _summary(scaled), _summary(unscaled)))
    return rows
