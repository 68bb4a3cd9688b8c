"""Next-token generation with the KV cache: the prompt in one parallel pass, then one new row per step.

With the cache, each new token's query is the only new row of every head's attention: the keys and
values of the earlier positions are kept, not recomputed. Without it, every step runs the whole prefix
again. Both give the same numbers; the cache saves the work, which `Generation` counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from attncli import core
from attncli.errors import AttncliError, UsageError
from attncli.pretrained.llama import decoder_layer

TOP = 5  # next-token candidates shown per step


@dataclass(frozen=True)
class Candidate:
    token: str
    id: int
    p: float  # probability after temperature and top-k


@dataclass(frozen=True, eq=False)
class GenerationStep:
    """One new token: the candidates, the one chosen, and the query row of the watched head that chose it."""

    token: str
    id: int
    top: tuple[Candidate, ...]
    cache_len: int  # keys (and values) the predicting query read: the prompt and every token fed since
    weights: np.ndarray  # (cache_len,) the watched head's weights from the predicting position over every key


@dataclass(frozen=True, eq=False)
class Generation:
    """A generated continuation and what it cost."""

    model: str
    prompt_tokens: tuple[str, ...]
    prompt_ids: tuple[int, ...]
    steps: tuple[GenerationStep, ...]
    text: str  # the prompt followed by the new tokens, decoded
    cache: bool
    layer: int
    head: int
    greedy: bool
    seconds_per_token: float
    work_cached: int  # multiply-adds of attention (projections of q, k, v; q·k; A·V) with the cache
    work_recomputed: int  # the same, recomputing the whole prefix at every step
    max_difference: float  # the largest |cached − recomputed| over the watched head's rows
    stopped: bool  # the model chose its end-of-text token before max_new_tokens


def attention_work(config, lengths, cached: bool) -> int:
    """Multiply-adds of all layers' attention to predict one token after each of the given sequence lengths."""
    d, dh, h, kv = config.d_model, config.d_head, config.n_heads, config.n_kv_heads
    projections = d * (h + 2 * kv) * dh  # one row through W_Q, W_K, W_V
    total = 0
    for i, n in enumerate(lengths):
        rows = n if (i == 0 or not cached) else 1
        total += rows * projections + 2 * h * rows * n * dh  # q·k for every (row, key), then A·V
    return total * config.n_layers


def sample_ids(logits: np.ndarray, temperature: float | None, top_k: int | None, rng) -> tuple[int, np.ndarray]:
    """(the chosen id, the probabilities it was drawn from): greedy without temperature and top-k."""
    z = np.asarray(logits, dtype=np.float64) / (temperature or 1.0)
    if top_k is not None and top_k < z.size:
        cut = np.partition(z, -top_k)[-top_k]
        z = np.where(z >= cut, z, -np.inf)
    p = core.softmax(z)
    if temperature is None and top_k is None:
        return int(np.argmax(z)), p
    return int(rng.choice(p.size, p=p)), p


def top_ids(p: np.ndarray, k: int) -> np.ndarray:
    """The k largest entries' indices, largest first, ties by lower index (as a stable sort of −p gives)."""
    if k >= p.size:
        return np.argsort(-p, kind="stable")
    cut = np.partition(p, -k)[-k]  # the k-th largest value: everything above it, and enough of it, qualify
    above = np.flatnonzero(p > cut)
    tied = np.flatnonzero(p == cut)[:k - above.size]
    chosen = np.concatenate([above, tied])
    return chosen[np.argsort(-p[chosen], kind="stable")]


def check_sampling(max_new_tokens: int, temperature: float | None, top_k: int | None, limit: int,
                   flags: bool = False) -> None:
    """Refuse values that sample nothing; flags: name the command line's options, else the Python arguments."""
    name = {"max_new_tokens": "--max-new-tokens", "top_k": "--top-k", "temperature": "--temperature"}.get \
        if flags else str
    greedy = "leave it out" if flags else "None"
    if not 1 <= max_new_tokens <= limit:
        raise UsageError(f"{name('max_new_tokens')} is {max_new_tokens}; give 1 to {limit}")
    if temperature is not None and not (np.isfinite(temperature) and temperature > 0):
        raise UsageError(f"{name('temperature')} is {temperature}; give a positive number ({greedy} for greedy "
                         "choice)")
    if top_k is not None and top_k < 1:
        raise UsageError(f"{name('top_k')} is {top_k}; give a whole number from 1")


MAX_NEW_TOKENS = 512


def generate(model, text: str, *, max_new_tokens: int = 20, temperature: float | None = None, top_k: int | None = None,
             seed: int = 0, layer: int | None = None, head: int | None = None, cache: bool = True) -> Generation:
    """Continue text token by token (greedy unless temperature or top_k is given), watching one head."""
    config = model.config
    check_sampling(max_new_tokens, temperature, top_k, MAX_NEW_TOKENS)
    layer = config.n_layers // 2 if layer is None else layer
    head = 0 if head is None else head
    if not 0 <= layer < config.n_layers:
        raise UsageError(f"layer {layer} does not exist: this model has layers 0 to {config.n_layers - 1}")
    if not 0 <= head < config.n_heads:
        raise UsageError(f"head {head} does not exist: each layer has heads 0 to {config.n_heads - 1}")
    encoded = model.tokenizer.encode(text)
    ids = list(encoded.ids)
    total = len(ids) + max_new_tokens - 1
    if total > config.context_length:
        raise AttncliError(f"the prompt ({len(ids)} tokens) and {max_new_tokens} new tokens need {total} positions; "
                           f"this model reads at most {config.context_length}")
    model.check_memory(total, keep_steps=False, hold=True)
    model.hold_weights()  # every step reads every layer again: read them once, before the clock starts
    rng = np.random.default_rng(seed)
    steps, lengths, past = [], [], None
    started = time.perf_counter()
    for t in range(max_new_tokens):
        if cache:
            new = ids if past is None else ids[-1:]
            logits, rows, past = _step(model, new, len(ids) - len(new), past, layer, head)
        else:
            logits, rows, _ = _step(model, ids, 0, None, layer, head)
        rows = rows[-1]  # the predicting position's row
        lengths.append(len(ids))
        chosen, p = sample_ids(logits, temperature, top_k, rng)
        order = top_ids(p, TOP)
        top = tuple(Candidate(model.tokenizer.token(int(i)), int(i), float(p[i])) for i in order)
        steps.append(GenerationStep(token=model.tokenizer.token(chosen), id=chosen, top=top, cache_len=len(ids),
                                    weights=rows))
        if chosen == model.tokenizer.eos:
            break
        ids.append(chosen)
    seconds = (time.perf_counter() - started) / len(steps)
    stopped = steps[-1].id == model.tokenizer.eos
    fed = ids if stopped else ids[:-1]  # every position whose query predicted a token
    difference = _recomputed_difference(model, fed, len(encoded.ids), steps, layer, head)
    new_ids = [s.id for s in steps]
    return Generation(model=model.name, prompt_tokens=encoded.tokens, prompt_ids=encoded.ids, steps=tuple(steps),
                      text=model.tokenizer.decode(list(encoded.ids[1:]) + new_ids), cache=cache, layer=layer,
                      head=head, greedy=temperature is None and top_k is None, seconds_per_token=seconds,
                      work_cached=attention_work(config, lengths, True),
                      work_recomputed=attention_work(config, lengths, False), max_difference=difference,
                      stopped=stopped)


def _step(model, new_ids, n_past: int, past, layer: int, head: int, through: int | None = None):
    """Run the new ids at positions n_past…; (last row's logits, the watched head's new rows, the new cache).

    through: stop after that layer, with no logits (the watched head's rows need no more).
    """
    config = model.config
    x = model.embed(new_ids)
    positions = np.arange(n_past, n_past + len(new_ids))
    cache, watched = [], None
    for i in range(config.n_layers if through is None else through + 1):
        keys, values = (None, None) if past is None else past[i]
        run, block = decoder_layer(i, x, model.layer(i), config, positions, model.widen, keys, values, steps=False)
        if i == layer:
            watched = block.weights[head]  # (n_new, n_past + n_new)
        cache.append((block.keys, block.values))
        x = run.output
    return None if through is not None else model.logits(x[-1:])[0], watched, cache


def _recomputed_difference(model, fed, n_prompt: int, steps, layer: int, head: int) -> float:
    """One causal pass over every fed token gives each step's row as if the prefix were recomputed."""
    _, full, _ = _step(model, fed, 0, None, layer, head, through=layer)  # (len(fed), len(fed))
    worst = 0.0
    for t, step in enumerate(steps):
        row = full[n_prompt - 1 + t, :step.cache_len]
        worst = max(worst, float(np.max(np.abs(row - step.weights))))
    return worst
