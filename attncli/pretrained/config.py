"""A BERT encoder's config.json, read and checked: the numbers the forward pass depends on; and the
shape every model and config answers to under the same names, encoder or decoder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from attncli.errors import AttncliError

SUPPORTED_ACTIVATION = "gelu"  # Hugging Face's name for the exact erf GELU


class Shape:
    """d_head from d_model and n_heads, whatever a config calls them."""

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads


class ModelShape:
    """A model's layers and heads, read from its config."""

    @property
    def n_layers(self) -> int:
        return self.config.n_layers

    @property
    def n_heads(self) -> int:
        return self.config.n_heads


@dataclass(frozen=True)
class BertConfig(Shape):
    """The shape of a BERT encoder and the constants of its arithmetic."""

    vocab_size: int
    hidden_size: int  # d_model
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float

    @property
    def d_model(self) -> int:
        return self.hidden_size

    @property
    def n_layers(self) -> int:
        return self.num_hidden_layers

    @property
    def n_heads(self) -> int:
        return self.num_attention_heads


_INTS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
         "intermediate_size", "max_position_embeddings")


def read_config(path: Path) -> BertConfig:
    """config.json → BertConfig, or an AttncliError naming the file and what is wrong."""
    from attncli import limits
    from attncli.files import decode, parse_json, read_file_bounded

    limit, origin = limits.max_file_bytes(), str(path)
    try:
        data = read_file_bounded(path, limit, limits.FILE_ENV)
    except FileNotFoundError:
        raise AttncliError("there is no config.json in the model directory", origin=origin) from None
    raw = parse_json(decode(data, origin, limit), origin)
    if not isinstance(raw, dict):
        raise AttncliError("should hold a JSON object of settings", origin=str(path))
    return _check(raw, str(path))


def _check(raw: dict, origin: str) -> BertConfig:
    kind = raw.get("model_type")
    if kind != "bert":
        raise AttncliError(
            f"model_type is {kind!r}; attncli runs BERT encoders only (model_type \"bert\")", origin=origin)
    if raw.get("is_decoder") or raw.get("add_cross_attention"):
        raise AttncliError("this BERT is set up as a decoder; attncli runs BERT encoders only", origin=origin)
    act = raw.get("hidden_act", SUPPORTED_ACTIVATION)
    if act != SUPPORTED_ACTIVATION:
        raise AttncliError(f"hidden_act is {act!r}; attncli computes the exact GELU (\"gelu\") only", origin=origin)
    pos = raw.get("position_embedding_type", "absolute")
    if pos != "absolute":
        raise AttncliError(f"position_embedding_type is {pos!r}; attncli supports \"absolute\" only", origin=origin)
    values = {name: _positive_int(raw, name, origin) for name in _INTS}
    values["type_vocab_size"] = _positive_int({"type_vocab_size": raw.get("type_vocab_size", 2)},
                                              "type_vocab_size", origin)
    eps = raw.get("layer_norm_eps", 1e-12)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < 1:
        raise AttncliError(f"layer_norm_eps is {eps!r}; it should be a small positive number", origin=origin)
    config = BertConfig(layer_norm_eps=float(eps), **values)
    if config.hidden_size % config.num_attention_heads:
        raise AttncliError(f"hidden_size {config.hidden_size} is not a multiple of num_attention_heads "
                           f"{config.num_attention_heads}", origin=origin)
    return config


def _positive_int(raw: dict, name: str, origin: str) -> int:
    value = raw.get(name)
    if value is None:
        raise AttncliError(f"{name} is missing", origin=origin)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AttncliError(f"{name} is {value!r}; it should be a positive whole number", origin=origin)
    return value
