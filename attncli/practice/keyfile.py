"""key.json: every student's exercises and the exact value of every question, and reading it back."""

from __future__ import annotations

import math
from dataclasses import dataclass

from attncli.errors import AttncliError
from attncli.practice.questions import KINDS, LEVELS, RULE_NAMES, Question, Rule
from attncli.practice.tolerance import RELATIVE, half_unit
from attncli.safe_text import clipped, visible

FORMAT = "attncli practice key"
VERSION = 1  # bump when the meaning of a field changes, or when Draws would draw other numbers
SCORING = ("1 point per question when it is right or follows from your earlier answer; "
           "0 when it is wrong, missing or not a number")


@dataclass(frozen=True, eq=False)
class Key:
    """What grading needs: the course, the tolerance and each student's questions in order."""

    seed: str
    level: str
    decimals: int
    students: dict[str, tuple[Question, ...]]  # roster order


def key_document(seed: str, level: str, decimals: int, sheets: list[tuple[str, tuple]]) -> dict:
    """The key as a JSON document; sheets pairs each student id with their exercises."""
    from attncli import __version__

    return {
        "format": FORMAT,
        "version": VERSION,
        "written_by": f"attncli {__version__}",
        "seed": seed,
        "level": level,
        "decimals": decimals,
        "tolerance": {"absolute": half_unit(decimals), "relative": RELATIVE},
        "scoring": SCORING,
        "students": [
            {"student": student, "exercises": [_exercise_doc(ex) for ex in exercises]}
            for student, exercises in sheets
        ],
    }


def _exercise_doc(ex) -> dict:
    return {
        "id": ex.id,
        "mode": ex.mode,
        "focus": ex.focus_token,
        "scenario": ex.scenario,
        "questions": [
            {
                "id": q.id, "kind": q.kind, "expected": q.expected, "prompt": q.prompt,
                "arithmetic": list(q.arithmetic), "depends": list(q.depends),
                "rule": None if q.rule is None else q.rule.to_json(),
            }
            for q in ex.questions
        ],
    }


def dumps(doc: dict) -> str:
    """Strict JSON text, the same bytes for the same document."""
    from attncli.files import json_text

    return json_text(doc) + "\n"


def read_key(text: str, origin: str) -> Key:
    """Read key.json text; one AttncliError naming the file when it is not a key this version reads."""
    from attncli.files import parse_json

    doc = parse_json(text, origin)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AttncliError(f'not an attncli answer key (it has no "format": "{FORMAT}"); '
                           "give the key.json that the worksheet command wrote", origin=origin)
    if doc.get("version") != VERSION:
        raise AttncliError(f"a key of version {doc.get('version')!r}, but this attncli reads version {VERSION}; "
                           "grade with the attncli that wrote it, or write the sheets and key again", origin=origin)
    try:
        return _key(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise AttncliError(f"a damaged key: {_what(e)}; write the sheets and key again", origin=origin) from None


def _what(e: Exception) -> str:
    if isinstance(e, KeyError):
        return f"missing field {clipped(repr(e.args[0]))}"
    return clipped(str(e), 300) or type(e).__name__


def _key(doc: dict) -> Key:
    level, decimals = doc["level"], doc["decimals"]
    if level not in LEVELS:
        raise ValueError(f"unknown level {clipped(repr(level))}")
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 12:
        raise ValueError(f"decimals is {clipped(repr(decimals))}, not a whole number from 0 to 12")
    students: dict[str, tuple[Question, ...]] = {}
    for entry in doc["students"]:
        student = _text(entry["student"], "student")
        if student in students:
            raise ValueError(f"student {student!r} appears twice")
        students[student] = tuple(_question(q) for ex in entry["exercises"] for q in ex["questions"])
    if not isinstance(doc["seed"], str):
        raise ValueError(f"seed is {clipped(repr(doc['seed']))}, not text")
    return Key(seed=doc["seed"], level=level, decimals=decimals, students=students)


def _text(value, name: str) -> str:
    """A label from the key, shown, never obeyed, as the same label from an answer file is."""
    if not isinstance(value, str):
        raise ValueError(f"{name} is {clipped(repr(value))}, not text")
    return visible(value)


def _question(doc: dict) -> Question:
    kind, expected = doc["kind"], doc["expected"]
    if kind not in KINDS:
        raise ValueError(f"unknown question kind {kind!r}")
    if isinstance(expected, bool) or not isinstance(expected, (int, float)):
        raise ValueError(f"question {_text(doc['id'], 'question id')!r} has expected value {clipped(repr(expected))}, "
                         "not a number")
    rule = doc.get("rule")
    if rule is not None and rule.get("name") not in RULE_NAMES:
        raise ValueError(f"question {_text(doc['id'], 'question id')!r} has an unknown rule")
    rule = None if rule is None else Rule.from_json(rule)
    if rule is not None and not all(math.isfinite(v) for v in (rule.factor, rule.shift, *rule.weights)):
        raise ValueError(f"question {_text(doc['id'], 'question id')!r} has a rule with a number that is not finite")
    return Question(
        id=_text(doc["id"], "question id"), kind=kind, expected=float(expected),
        prompt=_text(doc.get("prompt", ""), "prompt"), hint="",
        arithmetic=tuple(_text(a, "arithmetic") for a in doc.get("arithmetic", ())),
        depends=tuple(_text(d, "dependency") for d in doc.get("depends", ())),
        rule=rule,
    )
