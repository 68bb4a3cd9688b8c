"""Tiny random Llama decoders written as GGUF files with gguf.GGUFWriter (no network, no real weights).

W_Q and W_K are stored interleaved, as llama.cpp's converter writes them, so readers must undo it.
Q8_0, Q4_1 and F32 tensors all appear; a byte-level BPE vocabulary knows a few words whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SPECIALS = ["<unk>", "<|im_start|>", "<|im_end|>"]
WORDS = ["the", "dog", "ate", "his", "dinner", "because", "he", "was", "hungry", "cat", "sat", "on", "mat",
         "apple", "table", "river", "garden", "window", "pencil", "orange", "yellow", "bridge", "candle"]


def byte_alphabet() -> list[str]:
    """GPT-2's printable stand-ins for the 256 bytes, in byte order."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def vocabulary() -> tuple[list[str], list[str], list[int]]:
    """(tokens, merges, token types): specials, the byte alphabet, then every word built letter by letter,
    with and without the space marker Ġ."""
    tokens = SPECIALS + byte_alphabet()
    merges = []
    # the spaced forms first: a merge's rank is its place, and Ġ + d must win over d + o in "Ġdog"
    for spelled in ["Ġ" + w for w in WORDS] + WORDS:
        for i in range(2, len(spelled) + 1):
            piece = spelled[:i]
            if piece not in tokens:
                merges.append(f"{spelled[:i - 1]} {spelled[i - 1]}")
                tokens.append(piece)
    types = [3 if t in SPECIALS[1:] else (2 if t == "<unk>" else 1) for t in tokens]
    return tokens, merges, types


CONFIG = dict(n_layers=2, d_model=64, n_heads=4, n_kv_heads=2, d_ff=96, context_length=32, rms_eps=1e-5,
              rope_base=10000.0)


def interleave(w: np.ndarray, n_heads: int) -> np.ndarray:
    """llama.cpp's permutation of W_Q/W_K rows (convert_hf_to_gguf's permute), from transformers' layout."""
    return w.reshape(n_heads, 2, w.shape[0] // n_heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def weights(seed: int = 0, **overrides) -> dict:
    """Random float32 weights in transformers' layout (d_out, d_in), under GGUF names, with W_Q/W_K un-interleaved."""
    c = {**CONFIG, **overrides}
    rng = np.random.default_rng(seed)
    d, ff, dh = c["d_model"], c["d_ff"], c["d_model"] // c["n_heads"]
    vocab = len(vocabulary()[0])
    r = lambda *shape, s=0.2: (rng.standard_normal(shape) * s).astype(np.float32)
    w = {"token_embd.weight": r(vocab, d, s=1.0), "output_norm.weight": 1 + r(d, s=0.1)}
    for i in range(c["n_layers"]):
        w.update({
            f"blk.{i}.attn_norm.weight": 1 + r(d, s=0.1), f"blk.{i}.attn_q.weight": r(d, d, s=0.4),
            f"blk.{i}.attn_k.weight": r(c["n_kv_heads"] * dh, d, s=0.4), f"blk.{i}.attn_v.weight": r(c["n_kv_heads"] * dh, d),
            f"blk.{i}.attn_output.weight": r(d, d), f"blk.{i}.ffn_norm.weight": 1 + r(d, s=0.1),
            f"blk.{i}.ffn_gate.weight": r(ff, d), f"blk.{i}.ffn_up.weight": r(ff, d), f"blk.{i}.ffn_down.weight": r(d, ff),
        })
    return w


# which GGML type each tensor is stored as: the embeddings Q8_0 (as SmolLM2's), attention Q4_1, the rest mixed
def storage(name: str) -> str:
    if name == "token_embd.weight":
        return "Q8_0"
    if "norm" in name or "ffn_down" in name:
        return "F32"
    return "Q4_1" if "attn" in name or "ffn_gate" in name else "Q8_0"


def write_tiny_llama(path: Path, seed: int = 0, *, arch: str = "llama", tensors: dict | None = None,
                     types: dict | None = None, **overrides) -> Path:
    """A GGUF file of a random tiny Llama; returns its path. types: tensor name → GGML type name."""
    import gguf
    from gguf.quants import quantize

    c = {**CONFIG, **overrides}
    tensors = weights(seed, **overrides) if tensors is None else tensors
    tokens, merges, token_types = vocabulary()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name("tiny llama")
    w.add_block_count(c["n_layers"])
    w.add_context_length(c["context_length"])
    w.add_embedding_length(c["d_model"])
    w.add_feed_forward_length(c["d_ff"])
    w.add_head_count(c["n_heads"])
    w.add_head_count_kv(c["n_kv_heads"])
    w.add_layer_norm_rms_eps(c["rms_eps"])
    w.add_rope_freq_base(c["rope_base"])
    w.add_rope_dimension_count(c["d_model"] // c["n_heads"])
    w.add_vocab_size(len(tokens))
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(tokens)
    w.add_token_types(token_types)
    w.add_token_merges(merges)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(False)
    for name, array in tensors.items():
        if ".attn_q." in name:
            array = interleave(array, c["n_heads"])
        elif ".attn_k." in name:
            array = interleave(array, c["n_kv_heads"])
        kind = gguf.GGMLQuantizationType[(types or {}).get(name, storage(name))]
        if kind == gguf.GGMLQuantizationType.F32:
            w.add_tensor(name, array.astype(np.float32))
        else:
            w.add_tensor(name, quantize(array.astype(np.float32), kind), raw_dtype=kind)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def dequantized(path: Path) -> dict:
    """Every tensor as float32 in (d_out, d_in) layout, read by gguf's own GGUFReader (an independent reader)."""
    import gguf
    from gguf.quants import dequantize

    reader = gguf.GGUFReader(str(path))
    out = {}
    for t in reader.tensors:
        shape = tuple(int(s) for s in reversed(t.shape.tolist()))
        out[t.name] = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(shape)
    return out
