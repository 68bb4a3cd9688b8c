"""Which heads follow a pattern on a labelled set, with intervals and baselines (as Clark et al. 2019 measure BERT).

A head is right on a pair when the largest weight in the dependent's row goes to the labelled token.
Words map to tokens by their first subword: a word's row and column are those of its first token.
Its accuracy on a kind is the share of pairs it gets right, with a 95 % Wilson interval. Baselines
predict the same pairs without looking at the dependent's row: the best fixed offset, the token the
other tokens attend to most (column mean, in the head where that does best), the first token, and
chance (a uniform pick among the tokens the dependent can see). A head is evidence for a pattern
only when its interval's lower end lies above the best baseline that is not the pattern itself.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

from attncli.errors import AttncliError
from attncli.pretrained.labelled import KINDS, LABELLED, LabelledSet

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile: a two-sided 95 % interval
BASELINES = ("offset", "column", "first", "chance")
# Baselines that restate a kind's own definition: positional pairs are an offset, separator pairs the
# first token (and a head whose column favourite is the first token is a separator head).
PATTERN_ITSELF = {"positional": ("offset",), "separator": ("first", "column")}
WHAT = {  # kind → what its pairs link, for a learner
    "agreement": "a verb → its subject",
    "coreference": "a pronoun → its antecedent",
    "positional": "each token → the token before it",
    "separator": "each token → the first token",
}
POINTS = {kind: link.replace(" → ", " to ") for kind, link in WHAT.items()}  # what a head that follows it does


@dataclass(frozen=True)
class TokenPair:
    sentence: int  # index in the set
    source: int  # token positions from 0
    target: int
    other: int | None  # the wrong candidate's token, when the set names one the dependent can see


@dataclass(frozen=True)
class Margin:
    """Weight on the right token minus weight on the wrong one, over a head's controlled pairs."""

    mean: float
    low: float  # the smallest
    high: float  # the largest
    positive: int  # pairs where it is above 0
    pairs: int


@dataclass(frozen=True)
class HeadScore:
    layer: int
    head: int
    correct: int
    pairs: int
    accuracy: float
    low: float  # the 95 % Wilson interval
    high: float
    margin: Margin | None = None

    @property
    def name(self) -> str:
        return f"L{self.layer}H{self.head}"


@dataclass(frozen=True)
class Baselines:
    offset: int | None  # the best fixed offset (target − source), None when there are no pairs
    offset_accuracy: float
    column: float  # the column-mean rule's accuracy in the head where it does best
    column_head: tuple[int, int]
    first: float
    chance: float

    def accuracy(self, name: str) -> float:
        return self.offset_accuracy if name == "offset" else getattr(self, name)


@dataclass(frozen=True)
class KindResult:
    kind: str
    pairs: int  # the pairs that count
    dropped: int  # pairs that point right, which a decoder's dependent cannot see
    heads: tuple[HeadScore, ...]  # every head, highest accuracy first (ties: layer, head)
    baselines: Baselines
    compared: tuple[str, ...]  # the baselines the verdict compares with (not the pattern itself)
    best_baseline: str  # the most accurate of them (ties: in BASELINES' order)
    evidence: tuple[HeadScore, ...]  # heads whose interval lies above the best baseline, best first

    @property
    def best(self) -> HeadScore:
        return self.heads[0]

    @property
    def baseline_accuracy(self) -> float:
        return self.baselines.accuracy(self.best_baseline)


@dataclass(frozen=True)
class SetResult:
    model: str
    set_name: str
    causal: bool
    kinds: tuple[KindResult, ...]  # the kinds that have pairs, in KINDS' order
    empty: tuple[str, ...]  # the kinds asked for that have no pairs in the set
    sentences: int
    split_words: int  # labelled words the tokenizer cuts into several tokens (their first one stands for them)


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a proportion correct/n (n ≥ 1), clipped to [0, 1]."""
    p = correct / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # at 0 and n the ends are exactly 0 and 1; rounding would leave 1e-17 or 0.9999999999999999
    return (0.0 if correct == 0 else max(0.0, centre - half)), (1.0 if correct == n else min(1.0, centre + half))


# ---- words → tokens -------------------------------------------------------------------------

# byte-level BPE and SentencePiece spell spaces so; attncli shows a token of spaces alone as ␣
_MARKERS = {"Ġ": " ", "▁": " ", "Ċ": "\n", "ĉ": "\t", "␣": " "}


_UNKNOWN = ("[UNK]", "<unk>")


def _fold(text: str) -> str:
    """Case and accents dropped, as an uncased WordPiece tokenizer does."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _special(token: str) -> bool:
    return (token.startswith("[") and token.endswith("]")) or (token.startswith("<") and token.endswith(">"))


def token_starts(text: str, tokens) -> list[int | None]:
    """For each token, the character of text where it starts; None for special tokens and pure spaces.

    The tokens are matched against the text in order, ignoring case, accents, spaces and the subword
    markers (## in WordPiece, Ġ in byte-level BPE, ▁ in SentencePiece); an AttncliError if they do not match.
    """
    folded, where = [], []  # the folded text, and for each of its characters the original's index
    for i, c in enumerate(text):
        for f in _fold(c):
            folded.append(f)
            where.append(i)
    flat = "".join(folded)
    at, starts = 0, []
    for token in tokens:
        piece = token[2:] if token.startswith("##") and len(token) > 2 else token
        piece = "".join(_MARKERS.get(c, c) for c in piece)
        piece = "".join(_fold(piece).split())
        while at < len(flat) and flat[at].isspace():
            at += 1
        if token in _UNKNOWN and at < len(flat):  # stands for a whole pre-token the vocabulary lacks
            end = at + 1
            while flat[at].isalnum() and end < len(flat) and flat[end].isalnum():
                end += 1
            starts.append(where[at])
            at = end
        elif piece and flat.startswith(piece, at):
            starts.append(where[at])
            at += len(piece)
        elif not piece or _special(token):
            starts.append(None)
        else:
            raise AttncliError(f"cannot line up the model's token {token!r} with the text at "
                               f"{text[where[at]:where[at] + 20] if at < len(flat) else '(its end)'!r}")
    return starts


def first_tokens(text: str, words, tokens) -> tuple[tuple[int, ...], int]:
    """Each word's first token, and how many words the tokenizer splits into several tokens."""
    starts = token_starts(text, tokens)
    owner = []  # the word each token belongs to, or None
    for start in starts:
        owner.append(None if start is None else
                     next((w for w, word in enumerate(words) if word.start <= start < word.end), None))
    first = []
    for w, word in enumerate(words):
        mine = [t for t, o in enumerate(owner) if o == w]
        if not mine:
            raise AttncliError(f"no token of the model covers the word {word.text!r}")
        first.append(mine[0])
    split = sum(1 for w in range(len(words)) if owner.count(w) > 1)
    return tuple(first), split


# ---- pairs ------------------------------------------------------------------------------------

def token_pairs(lset: LabelledSet, tokens_per_sentence, kind: str, causal: bool):
    """The kind's pairs as token positions, and how many were dropped because they point right (decoder)."""
    pairs, dropped = [], 0
    for s, (sentence, tokens) in enumerate(zip(lset.sentences, tokens_per_sentence)):
        n = len(tokens)
        if kind == "positional":
            pairs += [TokenPair(s, i, i - 1, None) for i in range(1, n)]
            continue
        if kind == "separator":
            pairs += [TokenPair(s, i, 0, None) for i in range(1, n)]
            continue
        labelled = sentence.pairs.get(kind, ())
        if not labelled:
            continue
        try:
            first, _ = first_tokens(sentence.text, sentence.words, tokens)
        except AttncliError as e:
            raise AttncliError(e.message, origin=lset.origin, line=sentence.line) from None
        for p in labelled:
            source, target = first[p.source], first[p.target]
            other = first[p.other] if p.other is not None else None
            if causal and target > source:
                dropped += 1
                continue
            if causal and other is not None and other > source:
                other = None  # the dependent cannot see it: no margin
            pairs.append(TokenPair(s, source, target, other))
    return pairs, dropped


# ---- measuring --------------------------------------------------------------------------------

def measure_kind(kind: str, pairs, weights_per_sentence, causal: bool, dropped: int = 0) -> KindResult:
    """Every head's accuracy on the pairs, the baselines and the heads that beat them.

    weights_per_sentence: for each sentence of the set, every head's A as (layers, heads, n, n).
    """
    if not pairs:
        raise ValueError("measure_kind needs at least one pair")
    n_layers, n_heads = weights_per_sentence[pairs[0].sentence].shape[:2]
    correct = np.zeros((n_layers, n_heads), dtype=np.int64)
    column_correct = np.zeros((n_layers, n_heads), dtype=np.int64)
    margins = []  # (layers, heads) arrays, one per controlled pair
    by_sentence: dict[int, list[TokenPair]] = {}
    for p in pairs:
        by_sentence.setdefault(p.sentence, []).append(p)
    for s, group in by_sentence.items():
        a = np.asarray(weights_per_sentence[s], dtype=np.float64)  # (L, H, n, n)
        n = a.shape[-1]
        src = np.array([p.source for p in group])
        tgt = np.array([p.target for p in group])
        rows = a[:, :, src, :]  # (L, H, p, n): each pair's dependent row in every head
        correct += (rows.argmax(axis=-1) == tgt).sum(axis=-1)
        # column mean over the other rows: what the head gives each token regardless of who asks
        others = (a.sum(axis=2)[:, :, None, :] - rows) / max(n - 1, 1)  # (L, H, p, n)
        if causal:
            hidden = np.arange(n)[None, :] > src[:, None]  # (p, n): keys right of the dependent
            others = np.where(hidden, -np.inf, others)
        column_correct += (others.argmax(axis=-1) == tgt).sum(axis=-1)
        for j, p in enumerate(group):
            if p.other is not None:
                margins.append(rows[:, :, j, p.target] - rows[:, :, j, p.other])
    total = len(pairs)
    stacked = np.stack(margins) if margins else None  # (m, L, H)
    heads = []
    for layer in range(n_layers):
        for head in range(n_heads):
            k = int(correct[layer, head])
            low, high = wilson(k, total)
            margin = None
            if stacked is not None:
                m = stacked[:, layer, head]
                margin = Margin(mean=float(m.mean()), low=float(m.min()), high=float(m.max()),
                                positive=int((m > 0).sum()), pairs=len(m))
            heads.append(HeadScore(layer, head, k, total, k / total, low, high, margin))
    heads.sort(key=lambda h: (-h.correct, h.layer, h.head))
    baselines = _baselines(pairs, weights_per_sentence, causal, column_correct)
    compared = tuple(b for b in BASELINES if b not in PATTERN_ITSELF.get(kind, ()))
    best_baseline = max(compared, key=lambda b: (baselines.accuracy(b), -compared.index(b)))
    bar = baselines.accuracy(best_baseline)
    evidence = tuple(h for h in heads if h.low > bar)
    return KindResult(kind=kind, pairs=total, dropped=dropped, heads=tuple(heads), baselines=baselines,
                      compared=compared, best_baseline=best_baseline, evidence=evidence)


def _baselines(pairs, weights_per_sentence, causal: bool, column_correct: np.ndarray) -> Baselines:
    total = len(pairs)
    shifts = Counter(p.target - p.source for p in pairs)
    offset, hits = min(shifts.items(), key=lambda item: (-item[1], abs(item[0]), item[0]))
    best = np.unravel_index(int(np.argmax(column_correct)), column_correct.shape)  # first of equals
    visible = [p.source + 1 if causal else weights_per_sentence[p.sentence].shape[-1] for p in pairs]
    return Baselines(offset=offset, offset_accuracy=hits / total,
                     column=int(column_correct[best]) / total, column_head=(int(best[0]), int(best[1])),
                     first=sum(p.target == 0 for p in pairs) / total,
                     chance=float(np.mean([1 / v for v in visible])))


def measure_set(lset: LabelledSet, run_text, *, model: str, causal: bool, kinds=KINDS) -> SetResult:
    """Run the model on every sentence (run_text: text → (tokens, weights (L, H, n, n))) and measure each kind."""
    tokens_list, weights_list = [], []
    for sentence in lset.sentences:
        try:
            tokens, weights = run_text(sentence.text)
        except AttncliError as e:
            raise AttncliError(f"sentence {sentence.text!r}: {e.message}", origin=lset.origin,
                               line=sentence.line) from None
        tokens_list.append(tuple(tokens))
        weights_list.append(weights)
    results, empty = [], []
    for kind in (k for k in KINDS if k in kinds):
        pairs, dropped = token_pairs(lset, tokens_list, kind, causal)
        if pairs:
            results.append(measure_kind(kind, pairs, weights_list, causal, dropped))
        else:
            empty.append(kind)
    split = 0
    for sentence, tokens in zip(lset.sentences, tokens_list):
        if any(sentence.pairs.get(k) for k in LABELLED if k in kinds):
            try:
                split += _split_labelled(sentence, tokens)
            except AttncliError as e:
                raise AttncliError(e.message, origin=lset.origin, line=sentence.line) from None
    return SetResult(model=model, set_name=lset.name, causal=causal, kinds=tuple(results), empty=tuple(empty),
                     sentences=len(lset.sentences), split_words=split)


def _split_labelled(sentence, tokens) -> int:
    starts = token_starts(sentence.text, tokens)
    used = {w for pairs in sentence.pairs.values() for p in pairs
            for w in (p.source, p.target, p.other) if w is not None}
    count = 0
    for w in used:
        word = sentence.words[w]
        if sum(1 for s in starts if s is not None and word.start <= s < word.end) > 1:
            count += 1
    return count



# ---- a model's runner -------------------------------------------------------------------------

MODEL_ALIASES = {"minilm": None}  # --model names for an installed default; None: all-MiniLM-L6-v2


def model_runner(ref: str | None):
    """(the model's name, whether it is a decoder, text → (tokens, weights (L, H, n, n))) for --model ref."""
    from attncli.pretrained.load import load_model

    model = load_model(MODEL_ALIASES.get(ref, ref) if ref is not None else None)

    def run_text(text: str):
        run = model.run(text)
        return run.tokens, run.weights

    return model.name, bool(getattr(model, "causal", False)), run_text


def measure_model(set_ref: str | None, model_ref: str | None, kinds=KINDS) -> SetResult:
    """`attncli patterns`: the set (built-in when set_ref is None) read first, then the model run on each sentence."""
    from attncli.pretrained.labelled import load_set

    lset = load_set(set_ref)
    name, causal, run_text = model_runner(model_ref)
    return measure_set(lset, run_text, model=name, causal=causal, kinds=kinds)
