"""Attention without the n×n matrix: FlashAttention's online softmax over blocks of keys (pure NumPy).

For each query the softmax is built up block by block with a running max m, a running sum l of
exp(score − m), and an accumulator of exp(score − m)·v; when a later block raises the max, what
was summed so far is rescaled by exp(m_old − m_new). The result equals softmax(S)·V exactly (up to
rounding) while only an (n_q × block) slice of scores ever exists.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np


def tiled_attention(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    *,
    scale: float,
    causal: bool = False,
    key_block: int = 512,
    query_block: int = 1024,
    workers: int = 2,
) -> np.ndarray:
    """softmax(Q·Kᵀ·scale (+ causal mask))·V in the dtype of q, with memory O(n·d + blocks)."""
    n_q = q.shape[0]
    out = np.empty((n_q, v.shape[1]), dtype=np.result_type(q, v))
    starts = range(0, n_q, query_block)

    def one(start: int) -> None:
        stop = min(start + query_block, n_q)
        out[start:stop] = _query_block(q[start:stop], k, v, scale, causal, start, key_block)

    if workers > 1 and len(starts) > 1:
        # NumPy's matmul and exp release the GIL, so query blocks run on both cores.
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, starts))
    else:
        for start in starts:
            one(start)
    return out


def _query_block(q, k, v, scale, causal, q_offset, key_block):
    dtype = np.result_type(q, v)
    n, n_k = q.shape[0], k.shape[0]
    m = np.full(n, -np.inf, dtype=dtype)  # (n,) running max
    l = np.zeros(n, dtype=dtype)  # (n,) running sum of exp(s − m)
    acc = np.zeros((n, v.shape[1]), dtype=dtype)  # (n, d_v) running Σ exp(s − m)·v
    q_scaled = q * dtype.type(scale)  # scale Q once instead of every block of scores
    last_key = n_k if not causal else min(n_k, q_offset + n)
    for start in range(0, last_key, key_block):
        stop = min(start + key_block, last_key)
        s = q_scaled @ k[start:stop].T  # (n, b)
        if causal and stop > q_offset + 1:
            rows = np.arange(q_offset, q_offset + n)[:, None]
            cols = np.arange(start, stop)[None, :]
            s = np.where(cols <= rows, s, -np.inf)
        m_new = np.maximum(m, s.max(axis=1))  # (n,)
        seen = np.isfinite(m_new)  # causal rows that have not reached a visible key yet stay empty
        m_safe = np.where(seen, m_new, 0)
        alpha = np.exp(np.where(seen, m - m_safe, 0))  # rescale what was summed before
        s -= m_safe[:, None]
        np.exp(s, out=s)  # p = exp(s − m_new), in place: the block's only (n × b) buffer
        l = alpha * l + s.sum(axis=1)
        acc *= alpha[:, None]
        acc += s @ v[start:stop]
        m = np.where(seen, m_new, m)
    return acc / l[:, None]


@dataclass(frozen=True, eq=False)
class OnlineStep:
    """One block of keys in the online softmax of one query row."""

    start: int
    stop: int
    scores: np.ndarray  # (b,) scaled scores of this block (−∞ where masked)
    m_before: float
    m_after: float
    rescale: float  # exp(m_before − m_after): how much the earlier sums shrink
    l_after: float
    acc_after: np.ndarray  # (d_v,)


def online_softmax_row(z: np.ndarray, v: np.ndarray, block: int) -> tuple[OnlineStep, ...]:
    """The online softmax of one row of scaled scores z (n_k,), block by block."""
    m, l = -np.inf, 0.0
    acc = np.zeros(v.shape[1])
    steps = []
    for start in range(0, len(z), block):
        stop = min(start + block, len(z))
        s = z[start:stop]
        m_new = max(m, float(np.max(s)))
        if m_new == -np.inf:  # every key so far hidden: nothing to add yet
            steps.append(OnlineStep(start, stop, s, m, m, 1.0, l, acc.copy()))
            continue
        rescale = float(np.exp(m - m_new)) if m != -np.inf else 0.0
        p = np.exp(s - m_new)
        l = rescale * l + float(p.sum())
        acc = rescale * acc + p @ v[start:stop]
        steps.append(OnlineStep(start, stop, s, m, m_new, rescale, l, acc.copy()))
        m = m_new
    return tuple(steps)
