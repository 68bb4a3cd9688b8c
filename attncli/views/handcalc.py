"""One query row written out as a hand calculation, in the seed's notation (plain text, no Rich)."""

from __future__ import annotations

import math
import textwrap

import numpy as np

from attncli.numbers import fixed, trim, vector
from attncli.scenario import Evaluation

# Up to here exp() of a score is shown as is; past it, exp(s − max) so that no figure overflows.
_PLAIN_EXP_LIMIT = 30.0


def _label(token: str) -> str:
    return token if token.isidentifier() else f"'{token}'"


def focus_lines(ev: Evaluation, row: int, precision: int, head_index: int = 0) -> list[str]:
    """The arithmetic of one query row, in the seed's four steps: scores, scale, softmax, weighted sum."""
    head = ev.steps.heads[head_index]
    which = f" (head {head.name!r})" if len(ev.steps.heads) > 1 else ""
    return (_score_lines(ev, head, row, precision, which) + [""] + _scale_lines(ev, head, row, precision)
            + [""] + _softmax_lines(ev, head, row, precision) + [""] + _output_lines(ev, head, row, precision))


def _score_lines(ev: Evaluation, head, row: int, p: int, which: str) -> list[str]:
    me, q = ev.scenario.tokens[row], head.q[row]
    lines = [f"1. Scores{which}: the query of {_label(me)} dotted with every key."]
    for j, key in enumerate(ev.scenario.key_tokens):
        products = " + ".join(f"({trim(a, p)}×{trim(b, p)})" for a, b in zip(q, head.k[j]))
        lines.append(f"   S[{me},{key}] = {products} = {trim(head.scores[row, j], p)}")
    return lines


def _scale_lines(ev: Evaluation, head, row: int, p: int) -> list[str]:
    d_k, temperature = head.d_k, ev.settings.temperature
    if not ev.settings.scaled and temperature == 1.0:
        return ["2. Scale: off; the scores go into softmax as they are."]
    if ev.settings.scaled:
        divisor = f"√{d_k}" if temperature == 1.0 else f"(√{d_k}·{trim(temperature, p)})"
        why = f"√{d_k} = {trim(math.sqrt(d_k), p)}; "
    else:
        divisor, why = trim(temperature, p), "the temperature; "
    lines = [f"2. Scale: divide each score by {divisor} ({why}factor {trim(head.scale, p)})."]
    for j in range(len(ev.scenario.key_tokens)):
        lines.append(f"   {trim(head.scores[row, j], p)} / {divisor} = {trim(head.scaled_scores[row, j], p)}")
    return lines


def _softmax_lines(ev: Evaluation, head, row: int, p: int) -> list[str]:
    me, k_tokens = ev.scenario.tokens[row], ev.scenario.key_tokens
    z = head.softmax_input[row]
    visible = np.isfinite(z)
    shift = 0.0 if np.max(np.abs(z[visible])) <= _PLAIN_EXP_LIMIT else float(np.max(z[visible]))
    if shift:
        lines = [f"3. Softmax: exponentiate each score minus the row's largest ({trim(shift, p)}), "
                 "so that nothing overflows (the weights come out the same), then divide by the sum."]
    else:
        lines = ["3. Softmax: exponentiate each score, then divide by their sum."]
    exps = np.where(visible, np.exp(np.where(visible, z - shift, 0.0)), 0.0)
    for j, key in enumerate(k_tokens):
        if not visible[j]:
            lines.append(f"   exp(−∞) = 0   ({key} is hidden by the mask)")
        elif shift:
            lines.append(f"   exp({trim(z[j], p)} − {trim(shift, p)}) = {trim(exps[j], p)}")
        else:
            lines.append(f"   exp({trim(z[j], p)}) = {trim(exps[j], p)}")
    total = exps.sum()
    lines.append(f"   sum = {' + '.join(trim(e, p) for e in exps[visible])} = {trim(total, p)}")
    for j, key in enumerate(k_tokens):
        if not visible[j]:
            lines.append(f"   A[{me},{key}] = 0 (hidden)")
        else:
            lines.append(f"   A[{me},{key}] = {trim(exps[j], p)} / {trim(total, p)} = {fixed(head.weights[row, j], p)}")
    lines.append(f"   A[{me}] = {vector(head.weights[row], p)}")
    return lines


def _output_lines(ev: Evaluation, head, row: int, p: int) -> list[str]:
    me, k_tokens = ev.scenario.tokens[row], ev.scenario.key_tokens
    lines = ["4. Weighted sum of the value rows:"]
    terms = " + ".join(f"{fixed(head.weights[row, j], p)}×V_{_label(key)}" for j, key in enumerate(k_tokens))
    lines.append(f"   Output_{_label(me)} = {terms}")
    pad = " " * len(f"   Output_{_label(me)} ")
    for j in range(len(k_tokens)):
        sign = "=" if j == 0 else "+"
        lines.append(f"{pad}{sign} {fixed(head.weights[row, j], p)}×{vector(head.v[j], p)}")
    exact = head.output[row]
    lines.append(f"{pad}= {vector(exact, p)}")
    rounded = np.round(head.weights[row], p) @ head.v
    if vector(rounded, p) != vector(exact, p):
        keep = lambda v: v.replace(" ", "\u00a0")  # textwrap breaks only at ASCII spaces: vectors stay whole
        note = (f"Note: with the weights rounded to {p} decimals first, a hand calculation gets "
                f"{keep(vector(rounded, p))}; the exact output is {keep(vector(exact, p + 1))}. attncli "
                "computes in float64 and rounds only what it shows, so the last digit can differ from a "
                "rounded hand calculation.")
        wrapped = textwrap.wrap(note, width=72, initial_indent="   ", subsequent_indent="   ")
        lines += [""] + [line.replace("\u00a0", " ") for line in wrapped]
    return lines


def default_block(n_k: int) -> int:
    """Keys per block for the online-softmax walk: 2 for small rows, about a quarter otherwise."""
    return 2 if n_k <= 8 else -(-n_k // 4)


def tiled_lines(ev: Evaluation, row: int, precision: int, block: int, head_index: int = 0) -> list[str]:
    """One query row computed FlashAttention's way: block by block, with a running max and sum."""
    from attncli.tiled import online_softmax_row

    head = ev.steps.heads[head_index]
    k_tokens = ev.scenario.key_tokens
    me = ev.scenario.tokens[row]
    p = precision
    z = head.softmax_input[row]
    steps = online_softmax_row(z, head.v, block)
    num = lambda x: "−∞" if x == -np.inf else trim(x, p)
    lines = [
        f"Online softmax for {_label(me)}, {block} key{'s' if block > 1 else ''} per block: the row of scores "
        "is never held whole.",
        "Keep a running max m, a running sum l of exp(score − m), and acc, the running Σ exp(score − m)·V.",
        f"Start: m = −∞, l = 0, acc = {vector(np.zeros(head.d_v), p)}",
    ]
    rescaled = False
    for b, step in enumerate(steps, 1):
        keys = k_tokens[step.start:step.stop]
        lines.append("")
        lines.append(f"Block {b} ({', '.join(keys)}): scores {', '.join(num(s) for s in step.scores)}")
        lines.append(f"   m = max({num(step.m_before)}, {', '.join(num(s) for s in step.scores)}) = {num(step.m_after)}")
        if step.m_before != -np.inf:
            lines.append(f"   rescale = exp({num(step.m_before)} − {num(step.m_after)}) = {trim(step.rescale, p)}")
            rescaled |= step.rescale != 1.0
        exps = " + ".join(f"exp({num(s)} − {num(step.m_after)})" for s in step.scores if s != -np.inf) or "0"
        carried = f"{trim(step.rescale, p)}×{trim(steps[b - 2].l_after, p)} + " if b > 1 else ""
        lines.append(f"   l = {carried}{exps} = {trim(step.l_after, p)}")
        lines.append(f"   acc = {vector(step.acc_after, p)}")
    final = steps[-1].acc_after / steps[-1].l_after
    lines.append("")
    lines.append(f"Output_{_label(me)} = acc / l = {vector(final, p)}")
    lines.append(f"The four-step A·V gives {vector(head.output[row], p)}: the same "
                 f"(they differ by {float(np.max(np.abs(final - head.output[row]))):.1e}, rounding only).")
    if not rescaled:
        lines.append("No later block raised the max here, so nothing had to be rescaled; when one does, "
                     "l and acc are multiplied by exp(m_old − m_new) before the new block is added.")
    return lines
