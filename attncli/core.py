"""Scaled dot-product attention, softmax(Q·Kᵀ/√d_k)·V, as visible steps: pure NumPy, float64, no I/O."""

import numpy as np

from attncli.record import Record


class HeadSteps(Record):
    """Every intermediate of one attention head, under the paper's names."""

    name: str
    q: np.ndarray  # (n_q, d_k)
    k: np.ndarray  # (n_k, d_k)
    v: np.ndarray  # (n_k, d_v)
    scores: np.ndarray  # (n_q, n_k)  S = Q·Kᵀ
    scale: float  # the factor S is multiplied by: 1/√d_k (over the temperature), or 1
    scaled_scores: np.ndarray  # (n_q, n_k)
    allowed: np.ndarray | None  # (n_q, n_k) bool, True where query i may see key j; None: no mask
    masked_scores: np.ndarray | None  # (n_q, n_k) scaled scores with −∞ where hidden; None: no mask
    weights: np.ndarray  # (n_q, n_k) A = softmax(...), each row sums to 1
    output: np.ndarray  # (n_q, d_v)  A·V
    rope_base: float | None = None  # with RoPE: q and k above are rotated by position; these are before
    q_raw: np.ndarray | None = None  # (n_q, d_k) X·W_Q before the rotation
    k_raw: np.ndarray | None = None  # (n_k, d_k)

    @property
    def d_k(self) -> int:
        return self.q.shape[1]

    @property
    def d_v(self) -> int:
        return self.v.shape[1]

    @property
    def softmax_input(self) -> np.ndarray:
        """What softmax was applied to, (n_q, n_k): the scaled scores, with −∞ where masked."""
        return self.scaled_scores if self.masked_scores is None else self.masked_scores


class AttentionSteps(Record):
    """All heads, their concatenation and the optional output projection W_O."""

    heads: tuple[HeadSteps, ...]
    concat: np.ndarray  # (n_q, Σ d_v)
    w_o: np.ndarray | None  # (Σ d_v, d_out)
    output: np.ndarray  # (n_q, d_out), or the concatenation when there is no W_O
    b_o: np.ndarray | None = None  # (d_out,)


class HeadWeights(Record):
    """The learned projections of one head."""

    name: str
    w_q: np.ndarray  # (d_model, d_k)
    w_k: np.ndarray  # (d_model_source, d_k)
    w_v: np.ndarray  # (d_model_source, d_v)
    b_q: np.ndarray | None = None  # (d_k,)  Q = X·W_Q + b_Q, as nn.Linear does
    b_k: np.ndarray | None = None  # (d_k,)
    b_v: np.ndarray | None = None  # (d_v,)

    def project(self, x: np.ndarray, kv_input: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Q, K, V: the queries from x, the keys and values from kv_input (x itself for self-attention)."""
        q = _affine(x, self.w_q, self.b_q)  # (n_q, d_k)
        k = _affine(kv_input, self.w_k, self.b_k)  # (n_k, d_k)
        v = _affine(kv_input, self.w_v, self.b_v)  # (n_k, d_v)
        return q, k, v


def _affine(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    return x @ w if b is None else x @ w + b


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for any finite input; −∞ entries get weight exactly 0.

    A row with no finite entry has no softmax (0/0) and comes out NaN: callers that must not show
    NaN check for it (scenario.evaluate refuses such masks, and overflowed scores, by name).
    """
    x = np.asarray(x, dtype=np.float64)
    row_max = x.max(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Subtracting the row max changes nothing mathematically but keeps exp() from overflowing.
        e = np.exp(x - row_max)
        return e / e.sum(axis=-1, keepdims=True)


def causal_mask(n_q: int, n_k: int) -> np.ndarray:
    """True where query i may see key j (j ≤ i), aligned to the upper left like PyTorch's is_causal."""
    return np.tril(np.ones((n_q, n_k), dtype=bool))


def rope_angles(positions, d_k: int, base: float) -> np.ndarray:
    """θ = position · base^(−2p/d_k) for each pair p = 0 … d_k/2 − 1: (n, d_k/2), in radians."""
    inv_freq = 1.0 / base ** (np.arange(0, d_k, 2, dtype=np.float64) / d_k)  # (d_k/2,)
    return np.asarray(positions, dtype=np.float64)[:, None] * inv_freq  # (n, d_k/2)


def rope(x: np.ndarray, positions, base: float) -> np.ndarray:
    """Rotary position embedding, rotate-half form: the pair (x_p, x_{p+d/2}) turns by its angle θ_p.

    Rotated q·k then depends on the two positions only through their difference, because
    R(θ_i)ᵀ·R(θ_j) = R(θ_j − θ_i) for rotations of the plane.
    """
    x = np.asarray(x)  # (n, d_k)
    half = x.shape[1] // 2
    angles = rope_angles(positions, x.shape[1], base)  # (n, d_k/2)
    cos, sin = np.cos(angles).astype(x.dtype, copy=False), np.sin(angles).astype(x.dtype, copy=False)
    x1, x2 = x[:, :half], x[:, half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=1)  # (n, d_k)


def scale_factor(d_k: int, scaled: bool = True, temperature: float = 1.0) -> float:
    """The factor the scores are multiplied by: 1/√d_k when scaled, then divided by the temperature."""
    base = 1.0 / np.sqrt(d_k) if scaled else 1.0
    return float(base / temperature)


def attend(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    *,
    scale: float,
    allowed: np.ndarray | None = None,
    name: str = "head 0",
) -> HeadSteps:
    """The four steps for given Q, K, V: scores, scale, (mask), softmax, weighted sum."""
    scores = q @ k.T  # (n_q, n_k)
    scaled_scores = scores * scale  # (n_q, n_k)
    masked_scores = None
    if allowed is not None:
        masked_scores = np.where(allowed, scaled_scores, -np.inf)
    weights = softmax(scaled_scores if masked_scores is None else masked_scores)  # (n_q, n_k)
    output = weights @ v  # (n_q, d_v)
    return HeadSteps(
        name=name,
        q=q,
        k=k,
        v=v,
        scores=scores,
        scale=scale,
        scaled_scores=scaled_scores,
        allowed=allowed,
        masked_scores=masked_scores,
        weights=weights,
        output=output,
    )


def attention(
    x: np.ndarray,
    heads: tuple[HeadWeights, ...] | list[HeadWeights],
    *,
    source: np.ndarray | None = None,
    scaled: bool = True,
    temperature: float = 1.0,
    allowed: np.ndarray | None = None,
    w_o: np.ndarray | None = None,
    b_o: np.ndarray | None = None,
    rope_base: float | None = None,
) -> AttentionSteps:
    """Self-attention over x, or cross-attention from x (queries) to source (keys and values).

    rope_base: rotate q and k by their positions 0 … n−1 after the projection (RoPE), as Llama does.
    """
    x = np.asarray(x, dtype=np.float64)  # (n_q, d_model)
    kv_input = x if source is None else np.asarray(source, dtype=np.float64)  # (n_k, d_model_source)
    steps = []
    for head in heads:
        q, k, v = head.project(x, kv_input)
        scale = scale_factor(q.shape[1], scaled, temperature)
        if rope_base is None:
            steps.append(attend(q, k, v, scale=scale, allowed=allowed, name=head.name))
            continue
        q_rot, k_rot = rope(q, np.arange(q.shape[0]), rope_base), rope(k, np.arange(k.shape[0]), rope_base)
        done = attend(q_rot, k_rot, v, scale=scale, allowed=allowed, name=head.name)
        steps.append(done._replace(rope_base=rope_base, q_raw=q, k_raw=k))
    concat = np.concatenate([h.output for h in steps], axis=1)  # (n_q, Σ d_v)
    output = concat if w_o is None else _affine(concat, w_o, b_o)  # (n_q, d_out)
    return AttentionSteps(heads=tuple(steps), concat=concat, w_o=w_o, output=output, b_o=b_o)


class RowStats(Record):
    """How peaked each row of attention weights is, and how much gradient softmax passes back."""

    entropy: np.ndarray  # (n_q,) nats; 0 for one-hot, ln(n_k) for uniform
    max_weight: np.ndarray  # (n_q,)
    effective_keys: np.ndarray  # (n_q,) e^entropy: how many keys the row really uses
    grad_norm: np.ndarray  # (n_q,) ‖diag(a) − a·aᵀ‖_F, the softmax Jacobian's size


def row_stats(weights: np.ndarray) -> RowStats:
    """Entropy, largest weight, effective number of keys and softmax gradient size per row."""
    a = np.asarray(weights, dtype=np.float64)  # (n_q, n_k)
    with np.errstate(divide="ignore", invalid="ignore"):
        # 0·log 0 is 0 by continuity; masked keys have weight exactly 0.
        terms = np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0)), 0.0)
    entropy = np.maximum(-terms.sum(axis=1), 0.0)
    # ‖diag(a) − a·aᵀ‖_F² = Σ_i a_i²(1 − a_i)² + Σ_i a_i² Σ_{j≠i} a_j², with 1 − a_i taken as Σ_{j≠i} a_j:
    # sums of positive terms only, so a near one-hot row keeps its tiny gradient accurately.
    rest = _sum_of_others(a)  # (n_q, n_k)
    rest_sq = _sum_of_others(a**2)  # (n_q, n_k)
    grad_norm = np.sqrt((a**2 * rest**2 + a**2 * rest_sq).sum(axis=1))
    return RowStats(
        entropy=entropy,
        max_weight=a.max(axis=1),
        effective_keys=np.exp(entropy),
        grad_norm=grad_norm,
    )


def _sum_of_others(m: np.ndarray) -> np.ndarray:
    """Σ_{j≠i} m[r, j] for every entry, from exclusive prefix and suffix sums (no subtraction)."""
    zeros = np.zeros((m.shape[0], 1))
    before = np.concatenate([zeros, np.cumsum(m, axis=1)[:, :-1]], axis=1)
    after = np.concatenate([np.cumsum(m[:, ::-1], axis=1)[:, -2::-1], zeros], axis=1)
    return before + after
