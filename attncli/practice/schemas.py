"""JSON Schemas (draft 2020-12) of the practice files: key.json, an answer file and `grade --format json`."""

from __future__ import annotations

from attncli.practice.keyfile import FORMAT, VERSION
from attncli.practice.questions import KINDS, LEVELS, RULE_NAMES

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_NUMBER_OR_NULL = {"type": ["number", "null"]}

_RULE = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"enum": list(RULE_NAMES)},
        "factor": {"type": "number"},
        "shift": {"type": "number"},
        "weights": {"type": "array", "items": {"type": "number"}},
    },
}

_KEY_QUESTION = {
    "type": "object",
    "required": ["id", "kind", "expected", "depends", "rule"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "kind": {"enum": list(KINDS)},
        "expected": {"type": "number"},
        "prompt": {"type": "string"},
        "arithmetic": {"type": "array", "items": {"type": "string"}},
        "depends": {"type": "array", "items": {"type": "string"}},
        "rule": {"anyOf": [{"type": "null"}, _RULE]},
    },
}

KEY_SCHEMA = {
    "$schema": _DRAFT,
    "title": "attncli practice key (key.json)",
    "type": "object",
    "required": ["format", "version", "seed", "level", "decimals", "students"],
    "properties": {
        "format": {"const": FORMAT},
        "version": {"const": VERSION},
        "written_by": {"type": "string"},
        "seed": {"type": "string", "minLength": 1},
        "level": {"enum": list(LEVELS)},
        "decimals": {"type": "integer", "minimum": 0, "maximum": 12},
        "tolerance": {
            "type": "object",
            "properties": {"absolute": {"type": "number"}, "relative": {"type": "number"}},
        },
        "scoring": {"type": "string"},
        "students": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["student", "exercises"],
                "additionalProperties": False,
                "properties": {
                    "student": {"type": "string", "minLength": 1},
                    "exercises": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "focus", "scenario", "questions"],
                            "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string"},
                                "mode": {"enum": ["self", "causal", "cross"]},
                                "focus": {"type": "string"},
                                "scenario": {"type": "object",
                                             "description": "a scenario mapping, as `attncli schema` describes"},
                                "questions": {"type": "array", "items": _KEY_QUESTION},
                            },
                        },
                    },
                },
            },
        },
    },
}

ANSWERS_SCHEMA = {
    "$schema": _DRAFT,
    "title": "attncli answer file (<student>.answers.yaml, or .json)",
    "type": "object",
    "required": ["student", "answers"],
    "additionalProperties": False,
    "properties": {
        "student": {"type": "string", "minLength": 1},
        "seed": {"type": "string", "description": "the course seed; when given it must match the key's"},
        "answers": {
            "type": ["object", "null"],
            "description": "question id → the number computed, or empty (null) when not answered",
            "additionalProperties": _NUMBER_OR_NULL,
        },
    },
}

_GRADED_QUESTION = {
    "type": "object",
    "required": ["id", "expected", "given", "ok"],
    "properties": {
        "id": {"type": "string"},
        "kind": {"enum": list(KINDS)},
        "expected": {"type": "number"},
        "given": _NUMBER_OR_NULL,
        "ok": {"type": "boolean"},
        "status": {"enum": ["ok", "follows", "wrong", "missing", "invalid"]},
        "credit": {"type": "number", "minimum": 0, "maximum": 1},
    },
}

def _list_of(required: list[str], properties: dict) -> dict:
    """An array of objects with these required keys and these properties."""
    return {"type": "array", "items": {"type": "object", "required": required, "properties": properties}}


GRADE_SCHEMA = {
    "$schema": _DRAFT,
    "title": "attncli grade --format json",
    "type": "object",
    "required": ["students"],
    "properties": {
        "seed": {"type": "string"},
        "students": _list_of(["student", "score", "max", "questions"], {
            "student": {"type": "string"},
            "file": {"type": "string"},
            "score": {"type": "number", "minimum": 0},
            "max": {"type": "number", "minimum": 0},
            "status": {"const": "graded"},
            "mistakes": {"type": "array", "items": {"type": "string"}},
            "not_answered": {"type": "integer", "minimum": 0},
            "questions": {"type": "array", "items": _GRADED_QUESTION},
            "notes": {"type": "array", "items": {"type": "string"}},
        }),
        "ungraded": _list_of(["student", "file", "status", "reason"], {
            "student": {"type": "string"},
            "file": {"type": "string"},
            "status": {"enum": ["unreadable", "not graded"]},
            "reason": {"type": "string"},
        }),
        "missing": {"type": "array", "items": {"type": "string"}},
        "errors": _list_of(["file", "message"], {
            "file": {"type": ["string", "null"]},
            "line": {"type": ["integer", "null"]},
            "message": {"type": "string"},
        }),
    },
}
