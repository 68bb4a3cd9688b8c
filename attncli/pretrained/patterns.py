"""What a head's attention weights show: a pattern label per head, and heads ranked by one token-to-token link."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from attncli.errors import UsageError

THRESHOLD = 0.5  # a pattern names a head when its targets get at least half of the weight, on average

KINDS = {  # kind → what a learner reads
    "previous": "previous token",
    "next": "next token",
    "self": "itself",
    "first": "first token",
    "sep": "[SEP]",
    "punctuation": "punctuation",
    "broad": "broad",
}


@dataclass(frozen=True)
class HeadPattern:
    """A head's label and, for every candidate pattern, the mean weight its targets get."""

    kind: str  # a key of KINDS
    share: float  # the mean weight on the chosen pattern's targets (for broad: the largest of the shares)
    shares: dict  # kind → mean weight, for every pattern but broad


def pattern_shares(weights: np.ndarray, tokens, causal: bool = False) -> dict:
    """For each pattern, the weight on its targets averaged over the query rows that have a target.

    previous: A[i, i−1] over rows 1…n−1;  next: A[i, i+1] over rows 0…n−2;  self: A[i, i];
    first: A[i, 0] (the [CLS] sink in BERT, the BOS sink in a decoder);  sep: the summed weight on [SEP]
    tokens; punctuation: the summed weight on tokens made only of punctuation marks. 0 where a pattern
    has no target. In a causal model row 0 sees only itself and no row sees the next token, so row 0
    is left out of every average and next is 0.
    """
    a = np.asarray(weights, dtype=np.float64)  # (n, n)
    n = a.shape[0]
    idx = np.arange(n)
    rows = idx[1:] if causal and n > 1 else idx  # the rows that had a choice
    sep = np.array([t == "[SEP]" for t in tokens])
    punct = np.array([_is_punctuation(t) for t in tokens])
    return {
        "previous": float(a[idx[1:], idx[1:] - 1].mean()) if n > 1 else 0.0,
        "next": float(a[idx[:-1], idx[:-1] + 1].mean()) if n > 1 and not causal else 0.0,
        "self": float(a[rows, rows].mean()),
        "first": float(a[rows, 0].mean()),
        "sep": float(a[rows][:, sep].sum(axis=1).mean()),
        "punctuation": float(a[rows][:, punct].sum(axis=1).mean()),
    }


def head_pattern(weights: np.ndarray, tokens, causal: bool = False) -> HeadPattern:
    """The pattern whose targets get the largest mean weight, if that is ≥ THRESHOLD (0.5); else broad.

    So a head labelled "previous" gives, on average over its query rows, at least half of each row's
    weight to the token just before; "broad" means no listed pattern gets half of the weight on average.
    """
    shares = pattern_shares(weights, tokens, causal)
    kind = max(shares, key=shares.get)  # ties go to the first in KINDS' order
    if shares[kind] < THRESHOLD:
        return HeadPattern(kind="broad", share=shares[kind], shares=shares)
    return HeadPattern(kind=kind, share=shares[kind], shares=shares)


def label_head(weights: np.ndarray, tokens, causal: bool = False) -> str:
    """The kind of pattern a head's weights show: a key of KINDS (see head_pattern for the rule)."""
    return head_pattern(weights, tokens, causal).kind


SINKS = ("first", "sep")  # patterns where a head parks its weight on one token


def clearest_head(run) -> tuple[int, int, HeadPattern, bool]:
    """The head to show step by step: the one whose pattern takes the largest share of the weight among
    heads that are neither broad nor a sink; if every head is, the largest share of all. Ties go to the
    first in layer, then head, order. Returns (layer, head, its pattern, whether it was the fallback)."""
    found = [(h.layer, h.head, head_pattern(h.steps.weights, run.tokens, getattr(run, "causal", False)))
             for layer in run.layers for h in layer.heads]
    telling = [f for f in found if f[2].kind not in ("broad", *SINKS)]
    layer, head, pattern = max(telling or found, key=lambda f: f[2].share)  # max keeps the first of equals
    return layer, head, pattern, not telling


def _is_punctuation(token: str) -> bool:
    text = token[2:] if token.startswith("##") else token
    return bool(text) and all(unicodedata.category(c).startswith("P") for c in text)


@dataclass(frozen=True)
class LinkScore:
    layer: int
    head: int
    weight: float  # A[from, to] in that head


def link_ranking(run, from_index: int, to_index: int) -> list[LinkScore]:
    """Every head ranked by the weight token from_index gives token to_index, highest first (ties: L, H)."""
    n = len(run.tokens)
    for name, i in (("from", from_index), ("to", to_index)):
        if not 0 <= i < n:
            raise UsageError(f"the {name} position {i} is outside the {n} tokens (0 to {n - 1})")
    scores = [LinkScore(layer=h.layer, head=h.head, weight=float(h.steps.weights[from_index, to_index]))
              for layer in run.layers for h in layer.heads]
    return sorted(scores, key=lambda s: (-s.weight, s.layer, s.head))


def token_index(tokens, word: str) -> int:
    """The position of word among the tokens: exact match first, then ignoring case; the first occurrence."""
    for same in (lambda t: t == word, lambda t: t.casefold() == word.casefold()):
        for i, token in enumerate(tokens):
            if same(token):
                return i
    raise UsageError(f"{word!r} is not one of the tokens: {' '.join(tokens)}")
