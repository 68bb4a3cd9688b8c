"""Induction heads: on a random word sequence repeated twice, heads that look at what followed the token's
first occurrence, which is how a model predicts the second copy.

score(head) = mean over second-copy positions i of A[i, i − L + 1], where L is the copy's length in tokens:
the weight from each second-copy token to the token after the same token one copy earlier (uniform
attention would give about 1/i).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attncli.errors import UsageError
from attncli.pretrained.words import WORDS

ABLATED = 5  # heads zeroed in each ablation


@dataclass(frozen=True, eq=False)
class Induction:
    """The induction lesson's numbers on one seeded sequence."""

    model: str
    seed: int
    words: tuple[str, ...]
    ids: tuple[int, ...]
    tokens: tuple[str, ...]
    copy_length: int  # tokens in one copy
    scores: np.ndarray  # (layers, heads)
    top: tuple[tuple[int, int, float], ...]  # (layer, head, score), highest first
    loss_copy1: float  # mean next-token loss in nats over the first copy's tokens
    loss_copy2: float  # … over the second copy's
    ablated_top: tuple[tuple[int, int], ...]
    loss_top: float  # the second copy's loss with the top heads' outputs zeroed
    ablated_random: tuple[tuple[int, int], ...]
    loss_random: float  # … with as many random other heads zeroed


def induction_ids(tokenizer, length: int, seed: int) -> tuple[tuple[str, ...], tuple[int, ...], int]:
    """(the words, BOS + one copy + the same copy again, the copy's length in tokens).

    The words are drawn without repetition from those the tokenizer keeps whole as one token (written
    without a space before them), so each word is one position and a copy is `length` tokens long.
    """
    pool = [w for w in WORDS if len(tokenizer.encode_plain(w)) == 1]
    if not 1 <= length <= len(pool):
        raise UsageError(f"--length is {length}; give 1 to {len(pool)} (the words of the list that are one token)")
    rng = np.random.default_rng(seed)
    words = tuple(pool[i] for i in rng.choice(len(pool), size=length, replace=False))
    copy = tuple(i for w in words for i in tokenizer.encode_plain(w))
    return words, (tokenizer.bos, *copy, *copy), len(copy)


def next_token_losses(logits: np.ndarray, ids) -> np.ndarray:
    """−log p(ids[t + 1] | ids[…t]) for every t, in nats: (n − 1,)."""
    z = np.asarray(logits[:-1], dtype=np.float64)  # (n − 1, vocab)
    top = z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z - top).sum(axis=1)) + top[:, 0]
    targets = np.asarray(ids[1:], dtype=np.intp)
    return log_norm - z[np.arange(len(targets)), targets]


def scores_of(layers, copy_length: int) -> np.ndarray:
    """Every head's induction score, (layers, heads)."""
    L = copy_length
    rows = np.arange(L + 1, 2 * L + 1)  # second-copy positions
    cols = rows - L + 1  # the token after the same token in the first copy
    return np.array([[float(h.steps.weights[rows, cols].mean()) for h in layer.heads] for layer in layers])


def induction(model, *, length: int = 20, seed: int = 0) -> Induction:
    """Run the lesson: scores, top heads, loss per copy, and the ablation of the top heads against random ones."""
    if not model.causal:
        raise UsageError("the induction lesson needs a causal language model: use --model smollm2 or a GGUF file")
    words, ids, L = induction_ids(model.tokenizer, length, seed)
    model.check_memory(len(ids), hold=True)
    model.hold_weights()  # three passes over the same weights
    run = model.run_ids(ids, logits=True)
    scores = scores_of(run.layers, L)
    losses = next_token_losses(run.logits, ids)  # loss[t] predicts position t + 1
    first, second = losses[:L], losses[L:]  # targets 1…L, then L+1…2L
    order = sorted(((float(scores[l, h]), l, h) for l in range(scores.shape[0]) for h in range(scores.shape[1])),
                   key=lambda s: (-s[0], s[1], s[2]))
    top = tuple((l, h, s) for s, l, h in order)
    ablated_top = tuple((l, h) for l, h, _ in top[:ABLATED])
    others = [(l, h) for l, h, _ in top[ABLATED:]]
    picked = np.random.default_rng(seed).choice(len(others), size=min(ABLATED, len(others)), replace=False)
    ablated_random = tuple(sorted(others[i] for i in picked))
    loss_top = _second_copy_loss(model, ids, L, ablated_top)
    loss_random = _second_copy_loss(model, ids, L, ablated_random)
    return Induction(model=model.name, seed=seed, words=words, ids=ids, tokens=run.tokens, copy_length=L,
                     scores=scores, top=top, loss_copy1=float(first.mean()), loss_copy2=float(second.mean()),
                     ablated_top=ablated_top, loss_top=loss_top, ablated_random=ablated_random, loss_random=loss_random)


def _second_copy_loss(model, ids, L: int, zeroed) -> float:
    _, _, logits = model.forward(ids, logits=True, zeroed=frozenset(zeroed))
    return float(next_token_losses(logits, ids)[L:].mean())
