"""The scenario format as a JSON Schema, so that editors validate and complete scenario files."""

from __future__ import annotations

from attncli.reader import NUMBER

_NUMBER_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "pattern": "^" + NUMBER.pattern + "$",
         "description": "a number in exponent form, such as 1e-3 (YAML 1.1 reads it as text)"},
    ]
}
_FLAG = {"anyOf": [{"enum": [0, 1]}, {"type": "boolean"}], "description": "1 (may attend) or 0 (hidden)"}


def _matrix(description: str, cell: dict = _NUMBER_SCHEMA) -> dict:
    return {
        "description": description,
        "type": "array",
        "minItems": 1,
        "items": {"type": "array", "minItems": 1, "items": cell},
    }


_TOKENS = {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]},
           "description": "one name per row; taken as written, so `on` is a word, not a boolean"}
_WEIGHTS = {
    "W_Q": _matrix("d_model × d_k: turns each embedding into a query"),
    "W_K": _matrix("d_model × d_k: turns each embedding into a key"),
    "W_V": _matrix("d_model × d_v: turns each embedding into a value"),
}


def scenario_schema() -> dict:
    """JSON Schema (draft 2020-12) of an attncli scenario."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://attncli.invalid/scenario.schema.json",
        "title": "attncli scenario",
        "description": "Tokens, embeddings and weights for `attncli explain` and `attncli compare`.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "description": "title shown above the walkthrough; default: the file's stem"},
            "description": {"type": "string", "description": "shown under the title"},
            "tokens": _TOKENS,
            "embeddings": _matrix("n × d_model: one row of numbers per token (the queries' side)"),
            **_WEIGHTS,
            "W_O": _matrix("(Σ d_v) × d_out: mixes the concatenated heads' outputs"),
            "heads": {
                "type": "array", "minItems": 1, "description": "several heads instead of the top-level W_Q, W_K, W_V",
                "items": {
                    "type": "object", "additionalProperties": False, "required": ["W_Q", "W_K", "W_V"],
                    "properties": {"name": {"type": "string"}, **_WEIGHTS},
                },
            },
            "source": {
                "type": "object", "additionalProperties": False, "required": ["embeddings"],
                "description": "cross-attention: keys and values come from these rows (the encoder)",
                "properties": {"tokens": _TOKENS, "embeddings": _matrix("n_k × d_model of the source")},
            },
            "mask": {
                "description": "false, true or causal (query i sees keys j ≤ i), or an n_q × n_k matrix of 0/1",
                "anyOf": [{"type": "boolean"}, {"enum": ["causal", "none"]}, _matrix("1 = may attend", _FLAG)],
            },
            "key_padding": {"type": "array", "items": _FLAG, "description": "1 = padding: nobody attends to that key"},
            "scale": {"type": "boolean", "description": "divide the scores by √d_k (default true)"},
            "color_values": {"type": "boolean", "description": "value rows are red, green, blue in [0, 1]: shown as paint"},
            "random": {
                "type": "object", "additionalProperties": False, "required": ["d_model"],
                "description": "draw embeddings ~ N(0, 1) and weights ~ N(0, 1/d_model) instead of writing them",
                "properties": {
                    "seed": {"type": "integer", "minimum": 0},
                    "tokens": {"anyOf": [{"type": "integer", "minimum": 1}, _TOKENS]},
                    "d_model": {"type": "integer", "minimum": 1},
                    "d_k": {"type": "integer", "minimum": 1},
                    "d_v": {"type": "integer", "minimum": 1},
                },
            },
        },
        "anyOf": [
            {"required": ["random"]},
            {"required": ["embeddings", "heads"]},
            {"required": ["embeddings", "W_Q", "W_K", "W_V"]},
        ],
    }
