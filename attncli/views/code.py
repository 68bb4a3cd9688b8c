"""The code of each step: the NumPy or PyTorch lines that compute what the step shows.

`explain --code numpy|torch` puts these beside the steps, so a handout maps S = Q·Kᵀ to `q @ k.T`.
Run in order on the scenario's arrays they give the step's numbers (tests/test_code_lines.py runs
them). Matrices of up to MAX_LITERAL numbers are written out, so a handout of a small scenario runs
as it stands.
"""

from __future__ import annotations

import numpy as np

from attncli.scenario import Evaluation
from attncli.views import Code, Heading, Page, Paragraph, View

LANGUAGES = ("numpy", "torch")
MAX_LITERAL = 64  # numbers per matrix written out; larger ones are named in a comment

_SOFTMAX = (
    "def softmax(s):  # row by row; subtracting each row's max keeps exp from overflowing",
    "    e = np.exp(s - s.max(axis=-1, keepdims=True))",
    "    return e / e.sum(axis=-1, keepdims=True)",
)


def step_lines(ev: Evaluation, language: str) -> dict[str, tuple[str, ...]]:
    """The lines of every step, keyed by the step numbers of the walkthrough ("0", "1", "1.4"), and "concat"
    and "W_O" for the steps after the heads, whose numbers depend on what the walkthrough shows."""
    steps = ev.steps
    multi = len(steps.heads) > 1
    lines = {"0": _setup(ev, language)}
    for index in range(len(steps.heads)):
        tag = f"{index}." if multi else ""
        for number, code in _head_lines(ev, index, language).items():
            lines[tag + number] = code
    outs = [f"out_{i}" for i in range(len(steps.heads))] if multi else ["out"]
    if multi:
        join = "np.concatenate" if language == "numpy" else "torch.cat"
        axis = "axis" if language == "numpy" else "dim"
        lines["concat"] = (f"concat = {join}([{', '.join(outs)}], {axis}=-1)",)
    if steps.w_o is not None:
        plus = " + b_O" if steps.b_o is not None else ""
        defs = [_literal("W_O", steps.w_o, language)]
        if steps.b_o is not None:
            defs.append(_literal("b_O", steps.b_o, language))
        lines["W_O"] = (*defs, f"output = {'concat' if multi else 'out'} @ W_O{plus}")
    return lines


def _setup(ev: Evaluation, language: str) -> tuple[str, ...]:
    sc = ev.scenario
    if language == "numpy":
        head = ("import numpy as np",)
    else:
        head = ("import math", "import torch", "import torch.nn.functional as F")
    arrays = [_literal("x", sc.x, language)]
    if sc.is_cross:
        arrays.append(_literal("source", sc.source_x, language))
    return head + tuple(arrays) + (_SOFTMAX if language == "numpy" else ())


def _head_lines(ev: Evaluation, index: int, language: str) -> dict[str, tuple[str, ...]]:
    sc, settings, head, w = ev.scenario, ev.settings, ev.steps.heads[index], ev.scenario.heads[index]
    numpy = language == "numpy"
    kv = "source" if sc.is_cross else "x"
    defs = [_literal(name, m, language) for name, m in (("W_Q", w.w_q), ("W_K", w.w_k), ("W_V", w.w_v),
                                                        ("b_Q", w.b_q), ("b_K", w.b_k), ("b_V", w.b_v)) if m is not None]
    bias = {name: f" + {name}" if b is not None else "" for name, b in (("b_Q", w.b_q), ("b_K", w.b_k), ("b_V", w.b_v))}
    out = {"1": (*defs, f"q, k, v = x @ W_Q{bias['b_Q']}, {kv} @ W_K{bias['b_K']}, {kv} @ W_V{bias['b_V']}"),
           "2": ("scores = q @ k.T" if numpy else "scores = q @ k.transpose(-2, -1)",)}
    t = settings.temperature
    divide = f" / {t!r}" if t != 1.0 else ""
    if settings.scaled:
        sqrt = "np.sqrt" if numpy else "math.sqrt"
        out["3"] = ("d_k = q.shape[-1]", f"scaled = scores / {sqrt}(d_k){divide}")
    else:
        out["3"] = (f"scaled = scores{divide}" + ("" if divide else "  # no scaling"),)
    entering, step = "scaled", 4  # the walkthrough numbers its steps in order: a mask is step 4
    if head.allowed is not None:
        out["4"] = (_allowed(ev, head.allowed, numpy),
                    "masked = np.where(allowed, scaled, -np.inf)" if numpy
                    else 'masked = scaled.masked_fill(~allowed, float("-inf"))')
        entering, step = "masked", 5
    out[str(step)] = (f"weights = softmax({entering})" if numpy else f"weights = F.softmax({entering}, dim=-1)",)
    name = f"out_{index}" if len(sc.heads) > 1 else "out"
    out[str(step + 1)] = (f"{name} = weights @ v",)
    if not numpy:
        first, last = (3, step + 2) if sc.rope is not None else (2, step + 1)
        out[str(step + 1)] += (f"# steps {first} to {last} in one call, PyTorch's fused attention:",
                               f"{name} = F.scaled_dot_product_attention({_sdpa_args(ev, head.allowed)})")
    if sc.rope is not None:  # RoPE is the walkthrough's step 2: every later step moves on by one
        out = {"1": out["1"], "2": _rope_lines(sc.rope, numpy), **{str(int(k) + 1): v for k, v in out.items() if k != "1"}}
    return out


def _rope_lines(base: float, numpy: bool) -> tuple[str, ...]:
    """RoPE, rotate-half form: pair p (with p + d_k/2) of the row at position m turns by m·base^(−2p/d_k)."""
    lib, cat = ("np", "np.concatenate") if numpy else ("torch", "torch.cat")
    f64 = "" if numpy else ", dtype=torch.float64"
    axis = "axis" if numpy else "dim"
    return (f"half = q.shape[1] // 2  # RoPE: turn pair p (dimensions p, p + half) of row m by m·base^(−2p/d_k)",
            f"angles = {lib}.arange(len(q){f64})[:, None] * (1.0 / {base!r} ** ({lib}.arange(0, 2 * half, 2{f64}) "
            f"/ (2 * half)))",
            f"cos, sin = {lib}.cos(angles), {lib}.sin(angles)",
            f"q = {cat}([q[:, :half] * cos - q[:, half:] * sin, q[:, half:] * cos + q[:, :half] * sin], {axis}=1)",
            f"k = {cat}([k[:, :half] * cos - k[:, half:] * sin, k[:, half:] * cos + k[:, :half] * sin], {axis}=1)")


def _allowed(ev: Evaluation, allowed: np.ndarray, numpy: bool) -> str:
    """The mask as code: tril for the causal mask alone, the matrix itself otherwise."""
    sc, settings = ev.scenario, ev.settings
    only_causal = settings.causal and not (settings.use_mask_matrix and
                                           (sc.mask_matrix is not None or sc.key_padding is not None))
    if only_causal:
        return ("allowed = np.tril(np.ones(scores.shape, dtype=bool))  # causal: no query sees a later key" if numpy
                else "allowed = torch.ones(scores.shape, dtype=torch.bool).tril()  # causal")
    return _literal("allowed", allowed, "numpy" if numpy else "torch")


def _sdpa_args(ev: Evaluation, allowed: np.ndarray | None) -> str:
    settings, sc = ev.settings, ev.scenario
    args = ["q", "k", "v"]
    if allowed is not None:
        only_causal = settings.causal and not (settings.use_mask_matrix and
                                               (sc.mask_matrix is not None or sc.key_padding is not None))
        args.append("is_causal=True" if only_causal else "attn_mask=allowed")
    t = settings.temperature
    if settings.scaled and t != 1.0:
        args.append(f"scale=1 / (math.sqrt(q.shape[-1]) * {t!r})")
    elif not settings.scaled:
        args.append(f"scale={1 / t!r}" if t == 1.0 else f"scale=1 / {t!r}")
    return ", ".join(args)


def _literal(name: str, m: np.ndarray, language: str) -> str:
    """`name = np.array([...])` with every float exactly (shortest round-trip), or a comment when large."""
    if m.size > MAX_LITERAL:
        shape = "×".join(str(n) for n in m.shape)
        return f"# {name}: the {shape} matrix shown above ({m.size} numbers, too many to write here)"
    if m.dtype == bool:
        body = repr(m.tolist())
        return f"{name} = np.array({body})" if language == "numpy" else f"{name} = torch.tensor({body})"
    body = repr([[float(v) for v in row] for row in m] if m.ndim == 2 else [float(v) for v in m])
    return f"{name} = np.array({body})" if language == "numpy" else f"{name} = torch.tensor({body}, dtype=torch.float64)"


def _after_heads_key(heading: str) -> str | None:
    """The key of the steps after the heads, found by their heading: their numbers vary."""
    if heading.startswith("Concatenate the heads"):
        return "concat"
    if heading.startswith("Output = concat·W_O"):
        return "W_O"
    return None


def with_code(view: View, ev: Evaluation, language: str) -> View:
    """The view with each step's lines after its heading and lesson, and in the JSON under "code"."""
    lines = step_lines(ev, language)
    pages, placed, shown = [], set(), {}
    for page in view.pages:
        blocks, pending = [], None
        for block in page.blocks:
            if pending is not None and not (isinstance(block, Paragraph) and block.role == "lesson"):
                blocks.append(pending)
                pending = None
            blocks.append(block)
            if isinstance(block, Heading):
                key = _after_heads_key(block.text) or block.number
                # Once per step: the q·k picture repeats step 2's number, and its code once is enough.
                if key in lines and block.number not in placed:
                    pending = Code(language, lines[key])
                    placed.add(block.number)
                    shown[block.number] = lines[key]
        if pending is not None:
            blocks.append(pending)
        pages.append(Page(page.heading, tuple(blocks)))

    def document() -> dict:
        doc = view.document()
        doc["code"] = {"language": language, "steps": {number: list(code) for number, code in shown.items()}}
        return doc

    return View(view.title, tuple(pages), document, view.precision)
