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
    # from `attncli patterns` only (pretrained/measured.py), never from one sentence's weights
    "coreference": "a pronoun → its antecedent, with evidence on attncli's labelled set",
    "agreement": "a verb → its subject, with evidence on attncli's labelled set",
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


def head_labels(run, measured: dict | None = None) -> dict:
    """(layer, head) → kind for every head: measured evidence (pretrained/measured.py) where there is
    some, else the label this sentence's weights give."""
    measured = measured or {}
    causal = getattr(run, "causal", False)
    return {(h.layer, h.head): measured.get((h.layer, h.head)) or label_head(h.steps.weights, run.tokens, causal)
            for layer in run.layers for h in layer.heads}


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
    baseline: float | None = None  # the mean weight the other tokens that can see `to` give it, in that head
    excess: float | None = None  # weight − baseline: what from gives to beyond what every token does


def link_ranking(run, from_index: int, to_index: int, *, causal: bool = False) -> list[LinkScore]:
    """Every head with A[from, to], the mean A[r, to] over the other rows r, and their difference, ranked by
    that excess, highest first (ties: L, H). In a decoder (causal) only rows r ≥ to can see to; when no
    other row can, there is no baseline and the ranking is by weight."""
    n = len(run.tokens)
    for name, i in (("from", from_index), ("to", to_index)):
        if not 0 <= i < n:
            raise UsageError(f"the {name} position {i} is outside the {n} tokens (0 to {n - 1})")
    others = [r for r in range(n) if r != from_index and (not causal or r >= to_index)]
    scores = []
    for layer in run.layers:
        for h in layer.heads:
            a = h.steps.weights  # (n, n)
            weight = float(a[from_index, to_index])
            if others:
                baseline = float(np.mean(a[others, to_index]))
                scores.append(LinkScore(h.layer, h.head, weight, baseline, weight - baseline))
            else:
                scores.append(LinkScore(h.layer, h.head, weight))
    key = (lambda s: (-s.excess, s.layer, s.head)) if others else (lambda s: (-s.weight, s.layer, s.head))
    return sorted(scores, key=key)


def token_index(tokens, word: str) -> int:
    """The position of word among the tokens: exact match first, then ignoring case; the first occurrence."""
    return pick_token(tokens, word)[0]


def pick_token(tokens, wanted: str) -> tuple[int, tuple[int, ...]]:
    """The token a word or a position from 0 names, and every position of that word (one, unless repeated).

    A word is matched exactly first, then ignoring case; a repeated word means its first occurrence.
    A number that is not itself a token is a position, as for --focus.
    """
    for same in (lambda t: t == wanted, lambda t: t.casefold() == wanted.casefold()):
        found = tuple(i for i, token in enumerate(tokens) if same(token))
        if found:
            return found[0], found
    if wanted.isascii() and wanted.isdigit():
        index = int(wanted)
        if index < len(tokens):
            return index, (index,)
        raise UsageError(f"position {index} is outside the {len(tokens)} tokens (0 to {len(tokens) - 1})")
    raise UsageError(f"{wanted!r} is not one of the tokens: {' '.join(tokens)} (or give a position from 0)")
