"""The scenario format as a JSON Schema, generated from the key table, for editors and checks."""

from __future__ import annotations

from attncli.reader import NUMBER
from attncli.scenario_keys import KEYS, Key

_NUMBER = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "pattern": "^" + NUMBER.pattern + "$",
         "description": "a number in exponent form, such as 1e-3 (YAML 1.1 reads it as text)"},
    ]
}
_FLAG = {"anyOf": [{"enum": [0, 1]}, {"type": "boolean"}], "description": "1 (may attend) or 0 (hidden)"}
_TOKENS = {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}}


def _matrix(cell: dict) -> dict:
    return {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1, "items": cell}}


def _kind(key: Key) -> dict:
    if key.kind == "mapping":
        return _object(key.children)
    if key.kind == "mappings":
        return {"type": "array", "minItems": 1, "items": _object(key.children)}
    if key.kind == "integer":
        return {"type": "integer", "minimum": key.minimum or 0}
    if key.kind == "count_or_tokens":
        return {"anyOf": [{"type": "integer", "minimum": key.minimum or 1}, _TOKENS]}
    return {
        "text": {"type": "string"},
        "bool": {"type": "boolean"},
        "number": _NUMBER,
        "matrix": _matrix(_NUMBER),
        "vector": {"type": "array", "minItems": 1, "items": _NUMBER},
        "tokens": _TOKENS,
        "flags": {"type": "array", "items": _FLAG},
        "mask": {"anyOf": [{"type": "boolean"}, {"enum": ["causal", "none"]}, _matrix(_FLAG)]},
    }[key.kind]


def _object(keys: tuple[Key, ...]) -> dict:
    schema: dict = {
        "type": "object",
        "additionalProperties": False,
        "properties": {key.name: {"description": key.described, **_kind(key)} for key in keys},
    }
    required = [key.name for key in keys if key.required_unless == ()]
    if required:
        schema["required"] = required
    rules = []
    for key in keys:
        if key.required_unless:
            rules.append({"if": {"not": {"anyOf": [{"required": [k]} for k in key.required_unless]}},
                          "then": {"required": [key.name]}})
        for other in key.excludes:
            rules.append({"not": {"required": [key.name, other]}})
    if rules:
        schema["allOf"] = rules
    return schema


def scenario_schema() -> dict:
    """JSON Schema (draft 2020-12) of an attncli scenario."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://attncli.invalid/scenario.schema.json",
        "title": "attncli scenario",
        "description": "Tokens, embeddings and weights for `attncli explain` and `attncli compare`.",
        **_object(KEYS),
    }
