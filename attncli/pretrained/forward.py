"""A BERT encoder's forward pass in NumPy, keeping every head's four steps: one attention code path (core.attend)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attncli import core
from attncli.errors import AttncliError, UsageError
from attncli.pretrained.config import BertConfig
from attncli.pretrained.erf import gelu
from attncli.pretrained.weights import BertWeights, LayerWeights


@dataclass(frozen=True, eq=False)
class HeadRun:
    """One head of one layer on one text: its input, its slices of the weights and its four steps."""

    layer: int  # 0-based
    head: int  # 0-based
    x: np.ndarray  # (n, d_model) what the projections read: the layer's input (BERT), its RMSNorm (Llama)
    w_q: np.ndarray  # (d_model, d_head)
    b_q: np.ndarray | None  # (d_head,); None in a model without biases (Llama)
    w_k: np.ndarray  # a decoder's query heads share key/value heads: these are kv_head's slices
    b_k: np.ndarray | None
    w_v: np.ndarray
    b_v: np.ndarray | None
    w_o: np.ndarray  # (d_head, d_model) this head's rows of the attention output dense
    b_o: np.ndarray | None  # (d_model,) the layer's output bias, added once after all heads are summed
    steps: core.HeadSteps  # Q = X·W_Q + b_Q (then RoPE in a decoder), K, V, S, S/√d_k, (mask), A, A·V
    kv_head: int | None = None  # the key/value head this query head reads (decoders with shared K/V)
    rope_base: float | None = None  # RoPE's base when q and k are rotated by position (Llama)
    q_raw: np.ndarray | None = None  # (n, d_head) X·W_Q before the rotation; steps.q is after it
    k_raw: np.ndarray | None = None  # (n, d_head) X·W_K before the rotation
    positions: np.ndarray | None = None  # (n,) the positions the rows were rotated by

    @property
    def name(self) -> str:
        return f"L{self.layer}H{self.head}"


@dataclass(frozen=True, eq=False)
class LayerRun:
    """One block: its heads, then the output dense, feed-forward, residuals and norms (LayerNorm in BERT, RMSNorm in Llama)."""

    index: int
    x: np.ndarray  # (n, d_model) input
    heads: tuple[HeadRun, ...]
    attention_output: np.ndarray  # (n, d_model) concat(A·V)·W_O + b_O
    output: np.ndarray  # (n, d_model) the hidden state leaving the layer


@dataclass(frozen=True, eq=False)
class ModelRun:
    """A model's forward pass on one text."""

    model: str  # a name for display: the hub id or the directory's name
    text: str
    tokens: tuple[str, ...]
    ids: tuple[int, ...]
    embeddings: np.ndarray  # (n, d_model) layer 0's input: LayerNorm(word + position + type) in BERT
    layers: tuple[LayerRun, ...]
    causal: bool = False  # a decoder: query i sees keys j ≤ i only
    logits: np.ndarray | None = None  # (n, vocab) next-token scores, when the run computed them (decoders)

    @property
    def hidden_states(self) -> tuple[np.ndarray, ...]:
        """The embeddings then every layer's output, as transformers' output_hidden_states."""
        return (self.embeddings,) + tuple(layer.output for layer in self.layers)

    @property
    def weights(self) -> np.ndarray:
        """Every head's A, (n_layers, n_heads, n, n), as transformers' output_attentions stacked."""
        return np.stack([np.stack([h.steps.weights for h in layer.heads]) for layer in self.layers])

    def head(self, layer: int, head: int) -> HeadRun:
        """The head LlayerHhead (0-based), or a UsageError saying the valid range."""
        n_layers, n_heads = len(self.layers), len(self.layers[0].heads)
        for name, value in (("layer", layer), ("head", head)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                shown = " ".join(repr(value).split())
                raise UsageError(f"{name} should be a whole number (from 0), not {shown[:60]}")
        if not 0 <= layer < n_layers:
            raise UsageError(f"layer {layer} does not exist: this model has layers 0 to {n_layers - 1}")
        if not 0 <= head < n_heads:
            raise UsageError(f"head {head} does not exist: each layer has heads 0 to {n_heads - 1}")
        return self.layers[layer].heads[head]


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """(x − mean)/√(var + eps)·γ + β over the last axis, with the biased variance as PyTorch."""
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / np.sqrt(var + eps) * gamma + beta


def forward(weights: BertWeights, config: BertConfig, ids, type_ids, dtype) -> tuple[np.ndarray, tuple[LayerRun, ...]]:
    """Embeddings, then every layer; returns (embeddings, layers)."""
    n = len(ids)
    summed = (weights.word_rows(list(ids), dtype)  # (n, d_model)
              + weights.position[:n]
              + weights.token_type[np.asarray(type_ids, dtype=np.intp)])
    x = layer_norm(summed, weights.ln_gamma, weights.ln_beta, config.layer_norm_eps)
    _refuse_overflow(((summed, "the embeddings (word + position + token type)"), (x, "the embeddings' LayerNorm")),
                     dtype)
    embeddings = x
    layers = []
    for index, lw in enumerate(weights.layers):
        layer = _layer(index, x, lw, config)
        _refuse_overflow(_layer_steps(layer), dtype)
        layers.append(layer)
        x = layer.output
    return embeddings, tuple(layers)


def _layer_steps(layer: LayerRun):
    """Every number a layer shows, in the order computed, each with the words that name it."""
    where = f"layer {layer.index}"
    for h in layer.heads:
        s = h.steps
        yield from ((s.q, f"{h.name}'s Q"), (s.k, f"{h.name}'s K"), (s.v, f"{h.name}'s V"),
                    (s.scores, f"{h.name}'s scores S = Q·Kᵀ"), (s.scaled_scores, f"{h.name}'s scaled scores"),
                    (s.weights, f"{h.name}'s weights A"), (s.output, f"{h.name}'s output A·V"))
    yield from ((layer.attention_output, f"{where}'s attention output"),
                (layer.output, f"{where}'s output (LayerNorm, feed-forward, LayerNorm)"))


def _refuse_overflow(steps, dtype) -> None:
    """NaN or infinity is never shown as a result: name the first step where the numbers left the float range."""
    dtype = np.dtype(dtype)
    for values, what in steps:
        if not np.isfinite(values).all():
            hint = "; try float64: leave out --float32 (in Python, float32=False)" if dtype == np.float32 else ""
            raise AttncliError(f"the forward pass overflows {dtype.name} at {what}: the model's numbers go "
                               f"beyond ±{np.finfo(dtype).max:.1e}{hint}")


def _layer(index: int, x: np.ndarray, lw: LayerWeights, config: BertConfig) -> LayerRun:
    d = config.d_head
    scale = 1.0 / np.sqrt(d)
    heads = []
    for h in range(config.num_attention_heads):
        cols = slice(h * d, (h + 1) * d)
        w_q, w_k, w_v = lw.w_q[:, cols], lw.w_k[:, cols], lw.w_v[:, cols]  # (d_model, d_head) each
        b_q, b_k, b_v = lw.b_q[cols], lw.b_k[cols], lw.b_v[cols]  # (d_head,) each
        q, k, v = x @ w_q + b_q, x @ w_k + b_k, x @ w_v + b_v  # (n, d_head) each
        # an encoder's self-attention on one unpadded text: every token sees every token, so no mask
        steps = core.attend(q, k, v, scale=scale, allowed=None, name=f"L{index}H{h}")
        heads.append(HeadRun(layer=index, head=h, x=x, w_q=w_q, b_q=b_q, w_k=w_k, b_k=b_k, w_v=w_v, b_v=b_v,
                             w_o=lw.w_o[cols, :], b_o=lw.b_o, steps=steps))
    # core's softmax works in float64; the rest of a float32 run stays in float32, as the model would
    concat = np.concatenate([head.steps.output for head in heads], axis=1).astype(x.dtype, copy=False)  # (n, d_model)
    attention_output = concat @ lw.w_o + lw.b_o  # (n, d_model)
    eps = config.layer_norm_eps
    normed = layer_norm(x + attention_output, lw.ln1_gamma, lw.ln1_beta, eps)
    hidden = gelu(normed @ lw.w_1 + lw.b_1)  # (n, d_ff)
    output = layer_norm(normed + (hidden @ lw.w_2 + lw.b_2), lw.ln2_gamma, lw.ln2_beta, eps)
    return LayerRun(index=index, x=x, heads=tuple(heads), attention_output=attention_output, output=output)
