"""Tiny random BERT models in the Hugging Face layout, built in a test's temporary directory (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "dog", "ate", "his", "dinner", "because", "he", "was", "hungry", "cat", "sat", "on", "mat",
         "keys", "to", "cabinet", "are", "table", "a", ".", ",", "!", "?", "##s", "##ing", "##ed", "run"]


def tiny_config(**overrides) -> dict:
    config = {
        "model_type": "bert", "architectures": ["BertModel"], "hidden_act": "gelu",
        "vocab_size": len(SPECIALS) + len(WORDS), "hidden_size": 12, "num_hidden_layers": 2,
        "num_attention_heads": 3, "intermediate_size": 20, "max_position_embeddings": 16,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "position_embedding_type": "absolute",
        "pad_token_id": 0, "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
    }
    config.update(overrides)
    return config


def tiny_tensors(config: dict, seed: int, std: float = 0.5) -> dict:
    """Random float32 weights under the names BertModel uses."""
    rng = np.random.default_rng(seed)
    d, ff = config["hidden_size"], config["intermediate_size"]

    def r(*shape, scale=std):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    t = {
        "embeddings.word_embeddings.weight": r(config["vocab_size"], d, scale=1.0),
        "embeddings.position_embeddings.weight": r(config["max_position_embeddings"], d, scale=1.0),
        "embeddings.token_type_embeddings.weight": r(config["type_vocab_size"], d, scale=1.0),
        "embeddings.LayerNorm.weight": 1 + r(d, scale=0.1), "embeddings.LayerNorm.bias": r(d, scale=0.1),
    }
    for n in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{n}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            t[p + name + ".weight"], t[p + name + ".bias"] = r(d, d), r(d, scale=0.2)
        t[p + "intermediate.dense.weight"], t[p + "intermediate.dense.bias"] = r(ff, d), r(ff, scale=0.2)
        t[p + "output.dense.weight"], t[p + "output.dense.bias"] = r(d, ff), r(d, scale=0.2)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[p + ln + ".weight"], t[p + ln + ".bias"] = 1 + r(d, scale=0.1), r(d, scale=0.1)
    return t


def write_tiny_bert(folder: Path, *, seed: int = 0, config: dict | None = None, prefix: str = "",
                    tokenizer_json: bool = True, vocab_txt: bool = True, std: float = 0.5) -> Path:
    """A complete tiny model directory; returns it."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    config = config or tiny_config()
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    tensors = {prefix + k: v for k, v in tiny_tensors(config, seed, std).items()}
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(SPECIALS + WORDS) + "\n", encoding="utf-8")
    if tokenizer_json:
        from tokenizers import BertWordPieceTokenizer
        from tokenizers.models import WordPiece

        BertWordPieceTokenizer(WordPiece.read_file(str(vocab)), lowercase=True).save(str(folder / "tokenizer.json"))
    if not vocab_txt:
        vocab.unlink()
    return folder
