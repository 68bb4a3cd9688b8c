"""What `explain` shows, as plain data: sections of labelled matrices with their lessons.

Both the Rich renderer and the markdown writer read this, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attncli.fmt import fixed, rgb_hex
from attncli.scenario import Evaluation

FORMULA = "Attention(Q, K, V) = softmax(Q·Kᵀ / √d_k) · V"


@dataclass(frozen=True, eq=False)
class MatrixView:
    """A matrix with its caption and labels; kind says how to show it."""

    caption: str
    values: np.ndarray
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    kind: str = "plain"  # "plain" | "weights" (shaded 0..1) | "flags" (✓/✗) | "colours" (rows are RGB)


@dataclass(frozen=True, eq=False)
class Section:
    """One step: a heading, a line that teaches why it exists, and rows of matrices side by side."""

    number: str
    heading: str
    lesson: str
    rows: tuple[tuple[MatrixView, ...], ...]
    banner: str = ""  # a head's name above its first step
    notes: tuple[str, ...] = ()  # lines after the matrices, computed from the numbers


@dataclass(frozen=True, eq=False)
class Walkthrough:
    title: str
    description: str
    notes: tuple[str, ...]
    sections: tuple[Section, ...]
    cost: str


def _dims(n: int) -> tuple[str, ...]:
    return tuple(str(i + 1) for i in range(n))


def build(ev: Evaluation, precision: int = 3, only_head: int | None = None) -> Walkthrough:
    """Every step from the inputs to the output; with only_head, that head's steps alone."""
    sc, steps = ev.scenario, ev.steps
    q_tokens, k_tokens = sc.tokens, sc.key_tokens
    notes = []
    if sc.is_cross:
        notes.append(
            f"Cross-attention: each query ({', '.join(q_tokens)}) looks at the keys and values of the "
            f"source ({', '.join(k_tokens)}). Rows are queries, columns are source tokens."
        )
    inputs = [MatrixView(f"embeddings X ({sc.x.shape[0]}×{sc.x.shape[1]})", sc.x, q_tokens, _dims(sc.x.shape[1]))]
    if sc.is_cross:
        sx = sc.source_x
        inputs.append(MatrixView(f"source embeddings ({sx.shape[0]}×{sx.shape[1]})", sx, k_tokens, _dims(sx.shape[1])))
    sections = [Section(
        "0", "Inputs",
        "Each token is a row of numbers, its embedding. Learned matrices W_Q, W_K, W_V turn it into "
        "a query (what it looks for), a key (what it offers) and a value (what it hands over).",
        (tuple(inputs),),
    )]
    multi = len(steps.heads) > 1
    for index in range(len(steps.heads)) if only_head is None else [only_head]:
        sections.extend(_head_sections(ev, index, precision, multi))
    if multi or steps.w_o is not None:
        sections.extend(_combine_sections(ev))
    n_q, n_k = len(q_tokens), len(k_tokens)
    cost = (f"Cost: {n_q} queries × {n_k} keys = {n_q * n_k} scores per head. Every query meets every key, "
            "so time grows as O(n²·d) and the weights take O(n²) memory: the price of attention.")
    return Walkthrough(sc.name, sc.description, tuple(notes), tuple(sections), cost)


def _head_sections(ev: Evaluation, index: int, p: int, multi: bool) -> list[Section]:
    sc, head = ev.scenario, ev.steps.heads[index]
    w = sc.heads[index]
    q_tokens, k_tokens = sc.tokens, sc.key_tokens
    n_q, n_k, d_k, d_v = len(q_tokens), len(k_tokens), head.d_k, head.d_v
    tag = f"{index + 1}." if multi else ""
    kv = "source" if sc.is_cross else "X"
    d_q, d_kv = w.w_q.shape[0], w.w_k.shape[0]
    paint = "colours" if sc.color_values else "plain"
    value_dims = ("R", "G", "B") if sc.color_values else _dims(d_v)
    out = [Section(
        f"{tag}1", f"Project: Q = X·W_Q, K = {kv}·W_K, V = {kv}·W_V",
        f"The same three matrices are applied to every token. Q and K share the width d_k = {d_k}, so "
        "queries and keys can be compared by dot products.",
        (
            (MatrixView(f"W_Q ({d_q}×{d_k})", w.w_q, _dims(d_q), _dims(d_k)),
             MatrixView(f"W_K ({d_kv}×{d_k})", w.w_k, _dims(d_kv), _dims(d_k)),
             MatrixView(f"W_V ({d_kv}×{d_v})", w.w_v, _dims(d_kv), _dims(d_v))),
            (MatrixView(f"Q ({n_q}×{d_k})", head.q, q_tokens, _dims(d_k)),
             MatrixView(f"K ({n_k}×{d_k})", head.k, k_tokens, _dims(d_k)),
             MatrixView(f"V ({n_k}×{d_v})", head.v, k_tokens, value_dims, kind=paint)),
        ),
        banner=f"Head {index + 1}: {head.name} (d_k = {d_k}, d_v = {d_v})" if multi else "",
    )]
    out.append(Section(
        f"{tag}2", f"Scores: S = Q·Kᵀ ({n_q}×{n_k})",
        "S[i, j] is the dot product of query i with key j: how well what token i looks for matches "
        "what token j offers. Rows are queries, columns are keys.",
        ((MatrixView(f"S ({n_q}×{n_k})", head.scores, q_tokens, k_tokens),),),
    ))
    temperature = ev.settings.temperature
    if ev.settings.scaled:
        heading = f"Scale: S / √d_k = S / √{d_k} (× {fixed(1 / np.sqrt(d_k), p)})"
        lesson = (f"Dot products of d_k numbers grow with d_k (their variance is about d_k), which pushes "
                  f"softmax into saturation where its gradients vanish. Dividing by √{d_k} brings the "
                  "variance back to about 1. See it with `attncli compare --no-scale`.")
    else:
        heading = "Scale: off (the scores are used as they are)"
        lesson = ("Scaling is turned off, so softmax sees the raw dot products: with a large d_k it "
                  "saturates towards one key. Compare with `attncli compare --scale`.")
    if temperature != 1.0:
        heading += f", then ÷ temperature {fixed(temperature, p)}"
        lesson += (f" The temperature {fixed(temperature, p)} divides the scores once more: "
                   "below 1 sharpens the weights, above 1 flattens them.")
    out.append(Section(f"{tag}3", heading, lesson,
                       ((MatrixView(f"scaled scores ({n_q}×{n_k})", head.scaled_scores, q_tokens, k_tokens),),)))
    softmax_of = "S/√d_k" if ev.settings.scaled else "S"
    if temperature != 1.0:
        softmax_of += "/T"
    if head.allowed is not None:
        out.append(Section(
            f"{tag}3m", f"Mask: {_mask_words(ev)}",
            "Hidden positions get −∞ added before softmax, so their weight comes out exactly 0. "
            "Query i may look only at the keys marked ✓.",
            ((MatrixView(f"may attend ({n_q}×{n_k})", head.allowed, q_tokens, k_tokens, kind="flags"),
              MatrixView(f"masked scores ({n_q}×{n_k})", head.masked_scores, q_tokens, k_tokens)),),
        ))
        softmax_of += " + mask"
    out.append(Section(
        f"{tag}4", f"Softmax: A = softmax({softmax_of}), row by row ({n_q}×{n_k})",
        "Each row becomes a probability distribution over the keys: weights of at least 0 that sum "
        "to 1, saying how much of each value the query takes.",
        ((MatrixView(f"A ({n_q}×{n_k})", head.weights, q_tokens, k_tokens, kind="weights"),),),
    ))
    label = "head output" if multi else "Output"
    out.append(Section(
        f"{tag}5", f"Output = A·V ({n_q}×{d_v})",
        "Each output row is a weighted average of the value rows, with that row's weights: the "
        "blended paint, mixed from the cans in the proportions attention chose.",
        ((MatrixView(f"{label} ({n_q}×{d_v})", head.output, q_tokens, value_dims, kind=paint),),),
        notes=_paint_notes(ev, index) if sc.color_values else (),
    ))
    return out


def _paint_notes(ev: Evaluation, index: int) -> tuple[str, ...]:
    """Which cans each order was mixed from, in words: the output is the blended paint."""
    head = ev.steps.heads[index]
    k_tokens = ev.scenario.key_tokens
    notes = []
    for token, weights, rgb in zip(ev.scenario.tokens, head.weights, head.output):
        top = np.argsort(-weights, kind="stable")[:2]
        cans = " and ".join(f"{k_tokens[j]!r} ({weights[j]:.2f})" for j in top if weights[j] > 0)
        notes.append(f"{token!r} is mixed mostly from {cans}: the blended paint is {rgb_hex(rgb)}.")
    return tuple(notes)


def _mask_words(ev: Evaluation) -> str:
    sc, settings = ev.scenario, ev.settings
    words = []
    if settings.causal:
        words.append("causal (no query sees a later key)")
    if settings.use_mask_matrix and sc.mask_matrix is not None:
        words.append("the scenario's mask matrix")
    if settings.use_mask_matrix and sc.key_padding is not None:
        pads = [t for t, pad in zip(sc.key_tokens, sc.key_padding) if pad]
        words.append(f"padding keys hidden ({', '.join(pads)})" if pads else "key padding (none hidden)")
    return "; ".join(words)


def _combine_sections(ev: Evaluation) -> list[Section]:
    steps, sc = ev.steps, ev.scenario
    n_q = len(sc.tokens)
    widths = [h.d_v for h in steps.heads]
    multi = len(steps.heads) > 1
    cols = tuple(f"{h.name}:{i + 1}" if multi else str(i + 1) for h in steps.heads for i in range(h.d_v))
    total = sum(widths)
    out = []
    if multi:
        out.append(Section(
            "6", f"Concatenate the heads: {n_q}×({' + '.join(map(str, widths))}) = {n_q}×{total}",
            "Every head attends in its own way; their outputs are laid side by side.",
            ((MatrixView(f"concat ({n_q}×{total})", steps.concat, sc.tokens, cols),),),
        ))
    if steps.w_o is not None:
        w_o = steps.w_o
        out.append(Section(
            "7" if multi else "6", f"Output = concat·W_O ({n_q}×{w_o.shape[1]})",
            "W_O mixes what the heads found into one vector per token.",
            ((MatrixView(f"W_O ({w_o.shape[0]}×{w_o.shape[1]})", w_o, cols, _dims(w_o.shape[1])),
              MatrixView(f"Output ({n_q}×{w_o.shape[1]})", steps.output, sc.tokens, _dims(w_o.shape[1]))),),
        ))
    return out
