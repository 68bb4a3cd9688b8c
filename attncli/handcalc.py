"""One query row written out as a hand calculation, in the seed's notation (plain text, no Rich)."""

from __future__ import annotations

import math

import numpy as np

from attncli.errors import UsageError
from attncli.fmt import fixed, trim, vector
from attncli.scenario import Evaluation

# Up to here exp() of a score is shown as is; past it, exp(s − max) so that no figure overflows.
_PLAIN_EXP_LIMIT = 30.0


def resolve_focus(tokens: tuple[str, ...], focus: str) -> int:
    """The row a --focus value names: a token (first match wins over an index) or a 0-based index."""
    matches = [i for i, t in enumerate(tokens) if t == focus]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        rows = " or ".join(f"--focus {i}" for i in matches)
        raise UsageError(f"--focus: token {focus!r} appears {len(matches)} times; pick a row with {rows}")
    try:
        index = int(focus)
    except ValueError:
        raise UsageError(f"--focus: no query token {focus!r}; the tokens are {', '.join(tokens)} "
                         f"(or give a row index from 0 to {len(tokens) - 1})") from None
    if not 0 <= index < len(tokens):
        raise UsageError(f"--focus: row {index} is out of range; there are {len(tokens)} rows (0 to {len(tokens) - 1})")
    return index


def resolve_head(names: tuple[str, ...], head: str) -> int:
    """The head a --head value names: its name, or its number counted from 1."""
    if head in names:
        return names.index(head)
    if head.isdigit() and 1 <= int(head) <= len(names):
        return int(head) - 1
    listed = ", ".join(f"{i + 1} ({name})" for i, name in enumerate(names))
    raise UsageError(f"--head: no head {head!r}; the heads are {listed}")


def _label(token: str) -> str:
    return token if token.isidentifier() else f"'{token}'"


def focus_lines(ev: Evaluation, row: int, precision: int, head_index: int = 0) -> list[str]:
    """The arithmetic of one query row: scores, scaling, exponentials, weights, output."""
    head = ev.steps.heads[head_index]
    q_tokens, k_tokens = ev.scenario.tokens, ev.scenario.key_tokens
    me = q_tokens[row]
    p = precision
    which = f" (head {head.name!r})" if len(ev.steps.heads) > 1 else ""
    lines = [f"1. Scores{which}: the query of {_label(me)} dotted with every key."]
    q = head.q[row]
    for j, key in enumerate(k_tokens):
        products = " + ".join(f"({trim(a, p)}×{trim(b, p)})" for a, b in zip(q, head.k[j]))
        lines.append(f"   S[{me},{key}] = {products} = {trim(head.scores[row, j], p)}")

    d_k, temperature = head.d_k, ev.settings.temperature
    lines.append("")
    if not ev.settings.scaled and temperature == 1.0:
        lines.append("2. Scale: off; the scores go into softmax as they are.")
    else:
        if ev.settings.scaled:
            divisor = f"√{d_k}" if temperature == 1.0 else f"(√{d_k}·{trim(temperature, p)})"
            why = f"√{d_k} = {trim(math.sqrt(d_k), p)}; "
        else:
            divisor, why = trim(temperature, p), "the temperature; "
        lines.append(f"2. Scale: divide each score by {divisor} ({why}factor {trim(head.scale, p)}).")
        for j in range(len(k_tokens)):
            lines.append(f"   {trim(head.scores[row, j], p)} / {divisor} = {trim(head.scaled_scores[row, j], p)}")

    z = head.scaled_scores[row] if head.masked_scores is None else head.masked_scores[row]
    visible = np.isfinite(z)
    shift = 0.0 if np.max(np.abs(z[visible])) <= _PLAIN_EXP_LIMIT else float(np.max(z[visible]))
    lines.append("")
    if shift:
        lines.append(f"3. Softmax: exponentiate each score minus the row's largest ({trim(shift, p)}), "
                     "so that nothing overflows (the weights come out the same), then divide by the sum.")
    else:
        lines.append("3. Softmax: exponentiate each score, then divide by their sum.")
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
            continue
        lines.append(f"   A[{me},{key}] = {trim(exps[j], p)} / {trim(total, p)} = {fixed(head.weights[row, j], p)}")
    lines.append(f"   A[{me}] = {vector(head.weights[row], p)}")

    lines.append("")
    lines.append("4. Weighted sum of the value rows:")
    terms = " + ".join(f"{fixed(head.weights[row, j], p)}×V_{_label(key)}" for j, key in enumerate(k_tokens))
    lines.append(f"   Output_{_label(me)} = {terms}")
    pad = " " * len(f"   Output_{_label(me)} ")
    filled = " + ".join(f"{fixed(head.weights[row, j], p)}×{vector(head.v[j], p)}" for j in range(len(k_tokens)))
    lines.append(f"{pad}= {filled}")
    exact = head.output[row]
    lines.append(f"{pad}= {vector(exact, p)}")
    rounded = np.round(head.weights[row], p) @ head.v
    if vector(rounded, p) != vector(exact, p):
        lines.append("")
        lines.append(
            f"   Note: with the weights rounded to {p} decimals first, a hand calculation gets "
            f"{vector(rounded, p)}; the exact output is {vector(exact, p + 1)}. attncli computes in "
            "float64 and rounds only what it shows, so the last digit can differ from a rounded "
            "hand calculation."
        )
    return lines
