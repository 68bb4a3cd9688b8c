"""One query row written out as a hand calculation, in textbook notation (plain text, no Rich)."""

from __future__ import annotations

import math
import re
import textwrap

import numpy as np

from attncli.numbers import fixed, trim, vector
from attncli.scenario import Evaluation

# Up to here exp() of a score is shown as is; past it, exp(s − max) so that no figure overflows.
_PLAIN_EXP_LIMIT = 30.0


def _label(token: str) -> str:
    return token if token.isidentifier() else f"'{token}'"


class _Shown:
    """Numbers as a line prints them, and the relation sign the printed numbers earn.

    A line says "=" when its printed numbers, redone in float64 and rounded to the shown decimals, give
    its printed result; "≈" when they give a different last digit (attncli carries the exact values on).
    """

    def __init__(self, p: int):
        self.p = p

    def num(self, x: float) -> str:
        return "-∞" if x == -np.inf else trim(x, self.p)

    @staticmethod
    def given(x: float) -> tuple[str, float]:
        """A number the user gave (the temperature), printed in full so a divisor never shows as 0."""
        text = f"{x:.12g}"
        return text, float(text)

    def value(self, x: float) -> float:
        """The number a reader sees: x rounded as printed."""
        return -math.inf if x == -np.inf else float(fixed(x, self.p))

    def minus(self, a: float, b: float) -> str:
        """'a - b', with a negative b in parentheses so the line reads (and evaluates) as written."""
        right = self.num(b)
        return f"{self.num(a)} - ({right})" if right.startswith("-") else f"{self.num(a)} - {right}"

    def sign(self, redone: float, exact: float) -> str:
        return "=" if fixed(redone, self.p) == fixed(exact, self.p) else "≈"

    def vector_sign(self, redone, exact) -> str:
        return "=" if vector(redone, self.p) == vector(exact, self.p) else "≈"


def legend(p: int) -> str:
    return (f"'=': the numbers on the line, redone, give its result to {p} decimals; '≈': they give a "
            "result that differs in the last digits, because each shown number is rounded (and exp "
            "magnifies the rounding of its argument) while attncli carries the exact float64 values on. "
            "Numbers are rounded as by hand, a final 5 away from zero: 0.6775 shows as 0.678.")


def focus_lines(ev: Evaluation, row: int, precision: int, head_index: int = 0) -> list[str]:
    """The arithmetic of one query row, in the four steps: scores, scale, softmax, weighted sum."""
    head = ev.steps.heads[head_index]
    which = f" (head {head_index}, {head.name!r})" if len(ev.steps.heads) > 1 else ""
    sh = _Shown(precision)
    wrapped = textwrap.wrap(legend(precision), width=72)
    rest = ([""] + _scale_lines(ev, head, row, sh) + [""] + _softmax_lines(ev, head, row, sh) + [""]
            + _output_lines(ev, head, row, sh))
    return wrapped + [""] + _score_lines(ev, head, row, sh, which) + [piece for line in rest for piece in _fit(line)]


def _fit(line: str) -> list[str]:
    """A line in WIDTH columns, continued under what follows its first '=' (a sum, a vector) or indented."""
    if len(line) <= WIDTH:
        return [line]
    lead = len(line) - len(line.lstrip())
    if line.lstrip().startswith(("= ", "+ ", "≈ ")):  # a weighted sum's next row: under the row's start
        return _wrapped(line, lead + 2)
    equals = line.find(" = ") + 3 if " = " in line else 0
    return _wrapped(line, equals if 0 < equals <= 30 else lead + 3)


# Up to this d_k each score is written as its products; past it (a real model's 32 or 64), the query is
# written once and each key as its vector, so that a score takes a few lines, not nine.
PRODUCTS_UP_TO = 8
WIDTH = 72  # a hand calculation's lines, continuation lines indented: readable in a box at 80 columns


def _wrapped(line: str, indent: int) -> list[str]:
    """A long line broken after a comma or a plus, never inside a number nor before its result; the
    continuation lines indented by `indent`."""
    text = re.sub(r" ([=≈]) (\S+)$", "\u00a0\\1\u00a0\\2", line.replace(" + ", "\u00a0+ "))
    out = textwrap.wrap(text, width=WIDTH, subsequent_indent=" " * indent, break_on_hyphens=False,
                        break_long_words=False)
    return [piece.replace("\u00a0", " ") for piece in out]


def _score_lines(ev: Evaluation, head, row: int, sh: _Shown, which: str) -> list[str]:
    me, q = ev.scenario.tokens[row], head.q[row]
    if head.d_k <= PRODUCTS_UP_TO:
        lines = _fit(f"1. Scores{which}: the query of {_label(me)} dotted with every key.")
    else:
        name = f"q_{_label(me)}"
        lines = _fit(f"1. Scores{which}: the query of {_label(me)} dotted with every key; {name} is written once, "
                     f"then each key's {head.d_k} numbers.")
        lines += _wrapped(f"   {name} = {vector(q, sh.p)}", len(f"   {name} = ["))
    for j, key in enumerate(ev.scenario.key_tokens):
        redone = sum(sh.value(a) * sh.value(b) for a, b in zip(q, head.k[j]))
        exact = head.scores[row, j]
        start = f"   S[{me},{key}] = "
        if head.d_k <= PRODUCTS_UP_TO:
            products = " + ".join(f"({sh.num(a)}×{sh.num(b)})" for a, b in zip(q, head.k[j]))
            line, indent = f"{start}{products} {sh.sign(redone, exact)} {sh.num(exact)}", len(start)
        else:
            line = f"{start}{name}·{vector(head.k[j], sh.p)} {sh.sign(redone, exact)} {sh.num(exact)}"
            indent = len(f"{start}{name}·[")
        lines += _wrapped(line, indent if indent <= 30 else 6)
    return lines


def _scale_lines(ev: Evaluation, head, row: int, sh: _Shown) -> list[str]:
    d_k, temperature = head.d_k, ev.settings.temperature
    if not ev.settings.scaled and temperature == 1.0:
        return ["2. Scale: off; the scores go into softmax as they are."]
    if ev.settings.scaled and temperature == 1.0:
        divisor, by = f"√{d_k}", math.sqrt(d_k)
    elif ev.settings.scaled:
        t_text, t = sh.given(temperature)
        divisor, by = f"(√{d_k}·{t_text})", math.sqrt(d_k) * t
    else:
        divisor, by = sh.given(temperature)
    exact_by = 1 / head.scale
    lines = [f"2. Scale: divide each score by {divisor} {sh.sign(by, exact_by)} {sh.num(exact_by)}."]
    for j in range(len(ev.scenario.key_tokens)):
        redone = sh.value(head.scores[row, j]) / by
        exact = head.scaled_scores[row, j]
        lines.append(f"   {sh.num(head.scores[row, j])} / {divisor} {sh.sign(redone, exact)} {sh.num(exact)}")
    return lines


def _softmax_lines(ev: Evaluation, head, row: int, sh: _Shown) -> list[str]:
    me, k_tokens = ev.scenario.tokens[row], ev.scenario.key_tokens
    z = head.softmax_input[row]
    visible = np.isfinite(z)
    top = float(np.max(z[visible]))
    # Shift by the row's largest when exp() would overflow, or when the largest exp() would show as 0 (then
    # the sum could too); after the shift the largest term is exp(0) = 1.
    plain = np.max(np.abs(z[visible])) <= _PLAIN_EXP_LIMIT and sh.value(math.exp(top)) > 0
    shift = 0.0 if plain else top
    if shift:
        lines = [f"3. Softmax: exponentiate each score minus the row's largest ({sh.num(shift)}), "
                 "so that nothing overflows (the weights come out the same), then divide by the sum."]
    else:
        lines = ["3. Softmax: exponentiate each score, then divide by their sum."]
    exps = np.where(visible, np.exp(np.where(visible, z - shift, 0.0)), 0.0)
    for j, key in enumerate(k_tokens):
        if not visible[j]:
            lines.append(f"   exp(-∞) = 0   ({key} is hidden by the mask)")
        elif shift:
            redone = math.exp(sh.value(z[j]) - sh.value(shift))
            lines.append(f"   exp({sh.minus(z[j], shift)}) {sh.sign(redone, exps[j])} {sh.num(exps[j])}")
        else:
            redone = math.exp(sh.value(z[j]))
            lines.append(f"   exp({sh.num(z[j])}) {sh.sign(redone, exps[j])} {sh.num(exps[j])}")
    total = float(exps.sum())
    redone = sum(sh.value(e) for e in exps[visible])
    lines.append(f"   sum = {' + '.join(sh.num(e) for e in exps[visible])} {sh.sign(redone, total)} {sh.num(total)}")
    for j, key in enumerate(k_tokens):
        if not visible[j]:
            lines.append(f"   A[{me},{key}] = 0 (hidden)")
        else:
            redone = sh.value(exps[j]) / sh.value(total)
            lines.append(f"   A[{me},{key}] = {sh.num(exps[j])} / {sh.num(total)} "
                         f"{sh.sign(redone, head.weights[row, j])} {fixed(head.weights[row, j], sh.p)}")
    lines.append(f"   A[{me}] = {vector(head.weights[row], sh.p)}")
    return lines


def _output_lines(ev: Evaluation, head, row: int, sh: _Shown) -> list[str]:
    me, k_tokens, p = ev.scenario.tokens[row], ev.scenario.key_tokens, sh.p
    lines = ["4. Weighted sum of the value rows:"]
    terms = " + ".join(f"{fixed(head.weights[row, j], p)}×V_{_label(key)}" for j, key in enumerate(k_tokens))
    lines.append(f"   Output_{_label(me)} = {terms}")
    pad = " " * len(f"   Output_{_label(me)} ")
    redone = np.zeros(head.d_v)
    for j in range(len(k_tokens)):
        sign = "=" if j == 0 else "+"
        lines.append(f"{pad}{sign} {fixed(head.weights[row, j], p)}×{vector(head.v[j], p)}")
        redone = redone + sh.value(head.weights[row, j]) * np.array([sh.value(x) for x in head.v[j]])
    exact = head.output[row]
    lines.append(f"{pad}{sh.vector_sign(redone, exact)} {vector(exact, p)}")
    if sh.vector_sign(redone, exact) == "≈":
        # textwrap breaks only at ASCII spaces: a short vector stays whole; a long one (a real model's 32
        # values) breaks after its commas, never inside a number.
        keep = lambda v: v.replace(" ", "\u00a0") if len(v) <= 40 else v
        note = (f"Note: the numbers shown, rounded to {p} decimals, give {keep(vector(redone, p))}; the exact "
                f"output is {keep(vector(exact, p + 1))}. attncli computes in float64 and rounds only what it "
                "shows, so the last digit can differ from a rounded hand calculation.")
        wrapped = textwrap.wrap(note, width=72, initial_indent="   ", subsequent_indent="   ", break_on_hyphens=False,
                                break_long_words=False)
        lines += [""] + [line.replace("\u00a0", " ") for line in wrapped]
    return lines


def default_block(n_k: int) -> int:
    """Keys per block for the online-softmax walk: 2 for small rows, about a quarter otherwise."""
    return 2 if n_k <= 8 else -(-n_k // 4)


def tiled_lines(ev: Evaluation, row: int, precision: int, block: int, head_index: int = 0,
                with_legend: bool = True) -> list[str]:
    """One query row computed FlashAttention's way: block by block, with a running max and sum."""
    from attncli.tiled import online_softmax_row

    head = ev.steps.heads[head_index]
    k_tokens = ev.scenario.key_tokens
    me = ev.scenario.tokens[row]
    sh = _Shown(precision)
    p = precision
    z = head.softmax_input[row]
    steps = online_softmax_row(z, head.v, block)
    lines = [
        f"Online softmax for {_label(me)}, {block} key{'s' if block > 1 else ''} per block: the row of scores "
        "is never held whole.",
        "Keep a running max m, a running sum l of exp(score - m), and acc, the running Σ exp(score - m)·V.",
        *(textwrap.wrap(legend(p), width=72) if with_legend else []),
        f"Start: m = -∞, l = 0, acc = {vector(np.zeros(head.d_v), p)}",
    ]
    rescaled = False
    for b, step in enumerate(steps):
        lines += [""] + _block_lines(step, b, steps, k_tokens, head, sh)
        rescaled |= b > 0 and step.m_before != -np.inf and step.rescale != 1.0
    last = steps[-1]
    final = last.acc_after / last.l_after
    redone = np.array([sh.value(a) for a in last.acc_after]) / sh.value(last.l_after)
    lines.append("")
    lines.append(f"Output_{_label(me)} = acc / l = {vector(last.acc_after, p)} / {sh.num(last.l_after)} "
                 f"{sh.vector_sign(redone, final)} {vector(final, p)}")
    gap = float(np.max(np.abs(final - head.output[row])))
    tiny = gap <= 1e-12 * max(1.0, float(np.max(np.abs(final))))
    same = "the same up to float64 rounding" if tiny else "not the same"
    lines.append(f"The four-step A·V gives {vector(head.output[row], p)}: {same} (they differ by {gap:.{p}e}).")
    if not rescaled:
        lines.append("No later block raised the max here, so nothing had to be rescaled; when one does, "
                     "l and acc are multiplied by exp(m_old - m_new) before the new block is added.")
    return lines


def _block_lines(step, b: int, steps, k_tokens, head, sh: _Shown) -> list[str]:
    """One block of the online softmax: new max, rescale, exponentials, running sum and accumulator."""
    p = sh.p
    keys = k_tokens[step.start:step.stop]
    lines = [f"Block {b} ({', '.join(keys)}): scores {', '.join(sh.num(s) for s in step.scores)}",
             f"   m = max({sh.num(step.m_before)}, {', '.join(sh.num(s) for s in step.scores)}) "
             f"= {sh.num(step.m_after)}"]
    if step.m_after == -np.inf:
        return lines + ["   every key of this block is hidden: l and acc stay as they are"]
    first = step.m_before == -np.inf
    if not first:
        redone = math.exp(sh.value(step.m_before) - sh.value(step.m_after))
        lines.append(f"   rescale = exp({sh.minus(step.m_before, step.m_after)}) "
                     f"{sh.sign(redone, step.rescale)} {sh.num(step.rescale)}")
    exps = []
    for s, key in zip(step.scores, keys):
        if s == -np.inf:
            lines.append(f"   exp(-∞) = 0   ({key} is hidden by the mask)")
            exps.append(0.0)
            continue
        e = float(np.exp(s - step.m_after))
        exps.append(e)
        redone = math.exp(sh.value(s) - sh.value(step.m_after))
        lines.append(f"   exp({sh.minus(s, step.m_after)}) {sh.sign(redone, e)} {sh.num(e)}")
    seen = [e for e, s in zip(exps, step.scores) if s != -np.inf]
    before = steps[b - 1] if b > 0 else None
    l_terms = ([f"{sh.num(step.rescale)}×{sh.num(before.l_after)}"] if not first else []) + [sh.num(e) for e in seen]
    redone_l = None
    carried = [sh.value(step.rescale) * sh.value(before.l_after)] if not first else []
    for term in carried + [sh.value(e) for e in seen]:
        redone_l = term if redone_l is None else redone_l + term  # the additions of the line, in its order
    lines.append(f"   l = {' + '.join(l_terms)} {sh.sign(redone_l, step.l_after)} {sh.num(step.l_after)}")
    values = [head.v[step.start + i] for i, s in enumerate(step.scores) if s != -np.inf]
    terms = [f"{sh.num(e)}×{vector(v, p)}" for e, v in zip(seen, values)]
    shown_v = lambda v: np.array([sh.value(x) for x in v])
    redone_acc = None if first else sh.value(step.rescale) * shown_v(before.acc_after)
    for e, v in zip(seen, values):
        term = sh.value(e) * shown_v(v)
        redone_acc = term if redone_acc is None else redone_acc + term
    terms = ([f"{sh.num(step.rescale)}×{vector(before.acc_after, p)}"] if not first else []) + terms
    lines.append(f"   acc = {' + '.join(terms)} {sh.vector_sign(redone_acc, step.acc_after)} "
                 f"{vector(step.acc_after, p)}")
    return lines


def _finite(x: float) -> float | None:
    """Strict JSON has no infinity: a hidden score is null."""
    return float(x) if np.isfinite(x) else None


def focus_json(ev: Evaluation, row: int, head_index: int = 0) -> dict:
    """The numbers of one row by hand, at full precision, for --format json."""
    head = ev.steps.heads[head_index]
    z = head.softmax_input[row]
    visible = np.isfinite(z)
    top = float(np.max(z[visible]))
    exps = np.where(visible, np.exp(np.where(visible, z - top, 0.0)), 0.0)
    return {
        "row": row, "token": ev.scenario.tokens[row], "head": head_index,
        "q": [float(x) for x in head.q[row]],
        "scores": [float(x) for x in head.scores[row]],
        "scale": head.scale,
        "softmax_input": [_finite(x) for x in z],
        "shift": top,  # exp(z - shift): the same weights, no overflow
        "exps": [float(e) for e in exps],
        "sum": float(exps.sum()),
        "weights": [float(w) for w in head.weights[row]],
        "output": [float(o) for o in head.output[row]],
    }


def tiled_json(ev: Evaluation, row: int, block: int, head_index: int = 0) -> dict:
    """The online softmax of one row, block by block, at full precision, for --format json."""
    from attncli.tiled import online_softmax_row

    head = ev.steps.heads[head_index]
    steps = online_softmax_row(head.softmax_input[row], head.v, block)
    keys = ev.scenario.key_tokens
    return {
        "row": row, "token": ev.scenario.tokens[row], "head": head_index, "block": block,
        "blocks": [{"keys": list(keys[s.start:s.stop]), "scores": [_finite(x) for x in s.scores],
                    "m_before": _finite(s.m_before), "m_after": _finite(s.m_after), "rescale": float(s.rescale),
                    "l": float(s.l_after), "acc": [float(a) for a in s.acc_after]} for s in steps],
        "output": [float(o) for o in steps[-1].acc_after / steps[-1].l_after],
    }
