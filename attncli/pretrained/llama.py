"""A Llama-architecture decoder from a GGUF file: its config, weights and forward pass, keeping every head's steps.

The arithmetic is transformers' LlamaForCausalLM (eager attention), in float64 by default:
RMSNorm → Q, K, V → RoPE on q and k → causal softmax(q·kᵀ/√d_head) → ·V → W_O → residual,
RMSNorm → SwiGLU feed-forward → residual; a final RMSNorm, then logits against the output matrix
(the token embeddings when they are tied). Query head h reads key/value head h // (n_heads / n_kv_heads).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attncli import core
from attncli.errors import AttncliError
from attncli.pretrained.config import Shape
from attncli.pretrained.gguf_file import GGUFFile

ARCHITECTURE = "llama"
VOCAB_CHUNK = 4096  # rows of the output matrix dequantised (or widened) at a time: 19 MB in float64, in cache


@dataclass(frozen=True)
class LlamaConfig(Shape):
    """The shape of a Llama decoder and the constants of its arithmetic, from the GGUF metadata."""

    n_layers: int
    n_heads: int  # query heads per layer
    n_kv_heads: int  # key/value heads per layer, each shared by n_heads / n_kv_heads query heads
    d_model: int
    d_ff: int
    vocab_size: int
    context_length: int
    rms_eps: float
    rope_base: float

    @property
    def group(self) -> int:
        """How many query heads share one key/value head."""
        return self.n_heads // self.n_kv_heads

    def kv_head(self, head: int) -> int:
        """The key/value head query head `head` reads: h // group (llama.cpp and transformers agree)."""
        return head // self.group


def read_config(f: GGUFFile) -> LlamaConfig:
    """The GGUF metadata → LlamaConfig, or an AttncliError naming what is missing or unsupported."""
    fields, origin = f.fields, str(f.path)
    arch = fields.get("general.architecture")
    if arch != ARCHITECTURE:
        raise AttncliError(f"the model's architecture is {arch!r}; attncli runs Llama-architecture decoders "
                           f"(general.architecture \"llama\") from GGUF files", origin=origin)

    def whole(key: str, default=None) -> int:
        value = fields.get(f"{arch}.{key}", default)
        if value is None:
            raise AttncliError(f"the metadata {arch}.{key} is missing", origin=origin)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise AttncliError(f"the metadata {arch}.{key} is {value!r}; it should be a positive whole number",
                               origin=origin)
        return value

    n_heads = whole("attention.head_count")
    tokens = fields.get("tokenizer.ggml.tokens")
    vocab = len(tokens) if isinstance(tokens, list) and tokens else whole("vocab_size")
    eps = fields.get(f"{arch}.attention.layer_norm_rms_epsilon")
    if isinstance(eps, bool) or not isinstance(eps, float) or not 0 < eps < 1:
        raise AttncliError(f"the metadata {arch}.attention.layer_norm_rms_epsilon is {eps!r}; it should be a "
                           "small positive number", origin=origin)
    base = fields.get(f"{arch}.rope.freq_base", 10000.0)
    if isinstance(base, bool) or not isinstance(base, (int, float)) or not 1 < base < 1e12:
        raise AttncliError(f"the metadata {arch}.rope.freq_base is {base!r}; it should be a number above 1",
                           origin=origin)
    scaling = fields.get(f"{arch}.rope.scaling.type", "none")
    if scaling != "none":
        raise AttncliError(f"the model scales RoPE ({arch}.rope.scaling.type {scaling!r}); attncli computes "
                           "plain RoPE only", origin=origin)
    config = LlamaConfig(n_layers=whole("block_count"), n_heads=n_heads,
                         n_kv_heads=whole("attention.head_count_kv", n_heads), d_model=whole("embedding_length"),
                         d_ff=whole("feed_forward_length"), vocab_size=vocab, context_length=whole("context_length"),
                         rms_eps=float(eps), rope_base=float(base))
    if config.d_model % n_heads or config.d_head % 2:
        raise AttncliError(f"embedding_length {config.d_model} does not split into {n_heads} heads of an even "
                           "width", origin=origin)
    if n_heads % config.n_kv_heads:
        raise AttncliError(f"{n_heads} query heads do not share {config.n_kv_heads} key/value heads evenly",
                           origin=origin)
    rope_dims = fields.get(f"{arch}.rope.dimension_count", config.d_head)
    if rope_dims != config.d_head:
        raise AttncliError(f"RoPE turns {rope_dims} of each head's {config.d_head} dimensions; attncli computes "
                           "RoPE over whole heads only", origin=origin)
    return config


@dataclass(frozen=True, eq=False)
class LlamaLayer:
    """One decoder block's weights as float32, every matrix as x·W (d_in, d_out): the file's rows transposed."""

    attn_norm: np.ndarray  # (d_model,)
    w_q: np.ndarray  # (d_model, n_heads·d_head), head h owns columns h·d_head … (h+1)·d_head
    w_k: np.ndarray  # (d_model, n_kv_heads·d_head)
    w_v: np.ndarray  # (d_model, n_kv_heads·d_head)
    w_o: np.ndarray  # (n_heads·d_head, d_model)
    ffn_norm: np.ndarray  # (d_model,)
    w_gate: np.ndarray  # (d_model, d_ff)
    w_up: np.ndarray  # (d_model, d_ff)
    w_down: np.ndarray  # (d_ff, d_model)


def tensor_shapes(config: LlamaConfig) -> dict[str, tuple[int, ...]]:
    """Every tensor the forward pass reads, by GGUF name, with its shape rows first."""
    d, ff, kv = config.d_model, config.d_ff, config.n_kv_heads * config.d_head
    shapes = {"token_embd.weight": (config.vocab_size, d), "output_norm.weight": (d,)}
    for i in range(config.n_layers):
        shapes.update({
            f"blk.{i}.attn_norm.weight": (d,), f"blk.{i}.attn_q.weight": (d, d),
            f"blk.{i}.attn_k.weight": (kv, d), f"blk.{i}.attn_v.weight": (kv, d),
            f"blk.{i}.attn_output.weight": (d, d), f"blk.{i}.ffn_norm.weight": (d,),
            f"blk.{i}.ffn_gate.weight": (ff, d), f"blk.{i}.ffn_up.weight": (ff, d),
            f"blk.{i}.ffn_down.weight": (d, ff),
        })
    return shapes


def check_tensors(f: GGUFFile, config: LlamaConfig) -> str:
    """Every tensor present, of a readable type and the config's shape; returns the output matrix's name."""
    shapes = tensor_shapes(config)
    output = "output.weight" if "output.weight" in f.tensors else "token_embd.weight"  # tied when absent
    shapes[output] = (config.vocab_size, config.d_model)
    for name, shape in shapes.items():
        t = f.info(name)
        if t.shape != shape:
            raise AttncliError(f"the tensor {name} has shape {list(t.shape)}; the metadata says {list(shape)}",
                               origin=str(f.path))
    return output


def unpermute(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Undo llama.cpp's interleaving of W_Q's (and W_K's) rows, as transformers' GGUF loader does.

    llama.cpp stores each head's rows so that pairs (0, 1), (2, 3), … rotate together; transformers'
    rotate-half RoPE pairs dimension p with p + d_head/2. (d_out, d_in) → (d_out, d_in).
    """
    half = w.shape[0] // n_heads // 2
    return w.reshape(n_heads, half, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def read_layer(f: GGUFFile, config: LlamaConfig, i: int, empty=None) -> LlamaLayer:
    """Layer i's weights: the values the quantised blocks stand for, exactly, in arrays from empty(shape).

    empty: where the values go, float32 arrays by default; a model that holds every layer hands out
    slices of one float64 block. W_Q's and W_K's rows are taken in unpermute's order as they are read.
    """
    empty = empty or (lambda shape: np.empty(shape, dtype=np.float32))
    q_rows = unpermute(np.arange(config.d_model), config.n_heads)
    k_rows = unpermute(np.arange(config.n_kv_heads * config.d_head), config.n_kv_heads)

    def t(name: str, rows=None) -> np.ndarray:
        full = f"blk.{i}.{name}.weight"
        return f.tensor(full, rows=rows, out=empty(f.info(full).shape))

    return LlamaLayer(
        attn_norm=t("attn_norm"),
        w_q=t("attn_q", q_rows).T,
        w_k=t("attn_k", k_rows).T,
        w_v=t("attn_v").T,
        w_o=t("attn_output").T,
        ffn_norm=t("ffn_norm"),
        w_gate=t("ffn_gate").T,
        w_up=t("ffn_up").T,
        w_down=t("ffn_down").T,
    )


def rms_norm(x: np.ndarray, gamma: np.ndarray, eps: float) -> np.ndarray:
    """x / √(mean(x²) + eps) · γ over the last axis."""
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * gamma


def silu(x: np.ndarray) -> np.ndarray:
    """x·σ(x), the gate of SwiGLU."""
    with np.errstate(over="ignore"):  # exp(−x) → ∞ for very negative x gives 0, the right limit
        return x / (1.0 + np.exp(-x))


class Widen:
    """Products of activations with float32 weights, in the activations' dtype, through a small widened copy.

    The weights stay float32 (the values the quantised blocks stand for, exactly): half the memory of
    float64, and half the bytes a generated token reads. Each product copies a block of the weights'
    columns into a float64 buffer about the size of a core's cache and multiplies it there, block by
    block: float64 arithmetic, as x @ w.astype(float64) up to the order of additions. A generated
    token takes about 80 ms this way, against 115 to 145 ms widening whole matrices
    (benchmarks/decoder.py measures both).
    """

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self._buffers: dict[tuple[int, int], np.ndarray] = {}  # by (rows, columns)

    def product(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """x·w in self.dtype: (n, d_in) · (d_in, d_out) → (n, d_out)."""
        if w.dtype == self.dtype:
            return x @ w
        rows, columns = w.shape
        width = max(1, min(columns, BLOCK_BYTES // (rows * self.dtype.itemsize)))
        buffer = self._buffers.get((rows, width))
        if buffer is None:  # columns contiguous, as the weights hold them (each a row of the file)
            buffer = self._buffers[(rows, width)] = np.empty((width, rows), dtype=self.dtype).T
        out = np.empty((x.shape[0], columns), dtype=self.dtype)
        for a in range(0, columns, width):
            b = min(columns, a + width)
            np.copyto(buffer[:, :b - a], w[:, a:b])
            np.matmul(x, buffer[:, :b - a], out=out[:, a:b])
        return out


BLOCK_BYTES = 2 << 20  # a widened block: 1 to 4 MB all did well here, whole matrices (7 MB) worse


def feed_forward(x: np.ndarray, lw: LlamaLayer, widen: Widen) -> np.ndarray:
    """SwiGLU: (silu(x·W_gate) ⊙ x·W_up)·W_down."""
    gate = silu(widen.product(x, lw.w_gate))  # (n, d_ff)
    return widen.product(gate * widen.product(x, lw.w_up), lw.w_down)


def causal_allowed(n_new: int, n_past: int) -> np.ndarray | None:
    """True where new query i (at position n_past + i) may see key j (j ≤ n_past + i); None when all may."""
    if n_new == 1:
        return None  # the one new row sees every cached key and itself
    return np.arange(n_past + n_new)[None, :] <= (n_past + np.arange(n_new))[:, None]  # (n_new, n_past + n_new)


@dataclass(frozen=True, eq=False)
class AttentionBlock:
    """One layer's attention on some new positions: every head's steps, the output, and the keys/values to cache."""

    heads: tuple  # HeadRun per query head; empty when the steps were not kept
    weights: tuple[np.ndarray, ...]  # per query head, (n_new, n_past + n_new): each new row's attention weights
    output: np.ndarray  # (n_new, d_model) concat(A·V)·W_O
    keys: tuple[np.ndarray, ...]  # per key/value head, (n_past + n_new, d_head), rotated
    values: tuple[np.ndarray, ...]


def attention(layer: int, xn: np.ndarray, lw: LlamaLayer, config: LlamaConfig, positions: np.ndarray, widen: Widen,
              past_keys=None, past_values=None, zeroed=frozenset(), steps: bool = True) -> AttentionBlock:
    """Masked self-attention of the new rows xn (already RMS-normed) over the cached keys and themselves.

    zeroed: (layer, head) pairs whose A·V enters W_O as zeros (an ablation); their steps are kept as computed.
    steps: keep every head's steps; without them the query heads that share a key/value head are
    attended together, as rows of one query matrix (rows of attention are independent), which is what
    a generated token needs: the output, the cache and the weights.
    """
    dh, dtype = config.d_head, xn.dtype
    n_new = xn.shape[0]
    n_past = 0 if past_keys is None else past_keys[0].shape[0]
    q_all = widen.product(xn, lw.w_q)  # (n_new, H·dh)
    k_all = widen.product(xn, lw.w_k)  # (n_new, KV·dh)
    v_all = widen.product(xn, lw.w_v)  # (n_new, KV·dh)
    keys, values, raw_keys = [], [], []
    for g in range(config.n_kv_heads):
        cols = slice(g * dh, (g + 1) * dh)
        k_raw = k_all[:, cols]  # (n_new, dh)
        k = core.rope(k_raw, positions, config.rope_base)
        v = v_all[:, cols]
        raw_keys.append(k_raw)
        keys.append(k if past_keys is None else np.concatenate([past_keys[g], k]))  # (n_past + n_new, dh)
        values.append(v if past_values is None else np.concatenate([past_values[g], v]))
    allowed = causal_allowed(n_new, n_past)
    scale = 1.0 / np.sqrt(dh)
    if steps:
        heads = _heads(layer, xn, lw, config, positions, q_all, keys, values, raw_keys, allowed, scale, n_past)
        weights, outputs = tuple(h.steps.weights for h in heads), [h.steps.output for h in heads]
    else:
        heads, weights, outputs = (), [], []
        group, n_k = config.group, n_past + n_new
        for g in range(config.n_kv_heads):
            q_raw = q_all[:, g * group * dh:(g + 1) * group * dh]  # (n_new, group·dh): the group's heads side by side
            q_raw = q_raw.reshape(n_new, group, dh).swapaxes(0, 1).reshape(group * n_new, dh)  # (group·n_new, dh)
            q = core.rope(q_raw, np.tile(positions, group), config.rope_base)
            stacked = core.attend(q, keys[g], values[g], scale=scale,
                                  allowed=None if allowed is None else np.tile(allowed, (group, 1)))
            weights.extend(stacked.weights.reshape(group, n_new, n_k))  # (n_new, n_k) per head
            outputs.extend(stacked.output.reshape(group, n_new, dh))
        weights = tuple(weights)
    outputs = [np.zeros_like(o) if (layer, h) in zeroed else o for h, o in enumerate(outputs)]
    concat = np.concatenate(outputs, axis=1).astype(dtype, copy=False)  # (n_new, H·dh)
    return AttentionBlock(heads=tuple(heads), weights=weights, output=widen.product(concat, lw.w_o), keys=tuple(keys),
                          values=tuple(values))


def _heads(layer, xn, lw, config, positions, q_all, keys, values, raw_keys, allowed, scale, n_past) -> list:
    """Every query head attended on its own, with its steps and its slices of the weights (HeadRun)."""
    from attncli.pretrained.forward import HeadRun

    dh, heads = config.d_head, []
    for h in range(config.n_heads):
        g = config.kv_head(h)
        cols, kv_cols = slice(h * dh, (h + 1) * dh), slice(g * dh, (g + 1) * dh)
        q_raw = q_all[:, cols]  # (n_new, dh)
        q = core.rope(q_raw, positions, config.rope_base)
        steps = core.attend(q, keys[g], values[g], scale=scale, allowed=allowed, name=f"L{layer}H{h}")
        if n_past == 0:  # every key is new: the steps can show q and k before their rotation too
            steps = steps._replace(rope_base=config.rope_base, q_raw=q_raw, k_raw=raw_keys[g])
        heads.append(HeadRun(layer=layer, head=h, x=xn, w_q=lw.w_q[:, cols], b_q=None, w_k=lw.w_k[:, kv_cols],
                             b_k=None, w_v=lw.w_v[:, kv_cols], b_v=None, w_o=lw.w_o[cols, :], b_o=None, steps=steps,
                             kv_head=g, rope_base=config.rope_base, q_raw=q_raw, k_raw=raw_keys[g],
                             positions=np.asarray(positions)))
    return heads


def decoder_layer(layer: int, x: np.ndarray, lw: LlamaLayer, config: LlamaConfig, positions: np.ndarray,
                  widen: Widen, past_keys=None, past_values=None, zeroed=frozenset(), steps: bool = True):
    """One block on the new rows x: (LayerRun, its AttentionBlock: the weights, and the keys and values to cache)."""
    from attncli.pretrained.forward import LayerRun

    dtype = x.dtype
    xn = rms_norm(x, lw.attn_norm.astype(dtype, copy=False), config.rms_eps)  # (n_new, d_model)
    block = attention(layer, xn, lw, config, positions, widen, past_keys, past_values, zeroed, steps)
    mid = x + block.output
    normed = rms_norm(mid, lw.ffn_norm.astype(dtype, copy=False), config.rms_eps)
    output = mid + feed_forward(normed, lw, widen)
    run = LayerRun(index=layer, x=x, heads=block.heads, attention_output=block.output, output=output)
    return run, block
