"""Reading one student's answer file (YAML, or JSON by its .json suffix).

The format, which `worksheet` writes as a blank template:

    student: "student-01"
    seed: "attention-2026"      # optional; when present it must be the key's course seed
    answers:
      e1.S[cat,sat]: 1.25
      e1.scaled[cat,sat]:       # empty: not answered
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attncli.errors import AttncliError

_TOP_KEYS = ("student", "seed", "answers")


@dataclass(frozen=True, eq=False)
class Submission:
    """One file's answers: numbers by question id; blanks are absent, bad values listed apart."""

    origin: str
    student: str
    seed: str | None
    answers: dict[str, float]
    invalid: dict[str, AttncliError] = field(default_factory=dict)  # id → why it is not a number
    lines: dict[str, int] = field(default_factory=dict)  # id → line in the file (YAML only)


def read_file(path: str, limit: int | None = None) -> str:
    """The text of an answer or key file (at most `limit` bytes, default the file limit), or one AttncliError."""
    from attncli.files import read_text

    return read_text(path, limit)


def parse_submission(text: str, origin: str) -> Submission:
    """Read answer-file text; raise AttncliError when the file as a whole cannot be graded."""
    if origin.lower().endswith(".json"):
        entries, top = _json_entries(text, origin)
    else:
        entries, top = _yaml_entries(text, origin)
    from attncli.safe_text import clipped, visible  # what a report repeats from the file is shown, never obeyed

    student = visible(top.get("student") or "")
    if not student:
        raise AttncliError("no `student:` line; the first line should be student: <your id>", origin=origin)
    submission = Submission(origin=origin, student=student, seed=top.get("seed"), answers={})
    for qid, raw, line in entries:
        qid = visible(qid)
        where = dict(origin=origin, line=line)
        if qid in submission.answers or qid in submission.invalid:
            submission.invalid[qid] = AttncliError(f"{clipped(qid)} is answered twice; keep one", **where)
            submission.answers.pop(qid, None)
            continue
        value, problem = raw
        if problem:
            submission.invalid[qid] = AttncliError(f"{clipped(qid)}: {problem}", **where)
        elif value is not None:
            submission.answers[qid] = value
        if line is not None:
            submission.lines[qid] = line
    return submission


def _bad_shape(origin: str, line: int | None = None) -> AttncliError:
    return AttncliError("not an answer file: expected `student: <id>` and `answers:` with one question id "
                        "per line (the worksheet command writes a blank one)", origin=origin, line=line)


def _too_many(origin: str) -> AttncliError:
    from attncli.limits import max_answers

    return AttncliError(f"more than {max_answers():,} answers; an answer file holds one line per question "
                        "of a sheet (the worksheet command writes a blank one)", origin=origin)


def _check_count(text: str, origin: str) -> None:
    """Refuse a file of more than max_answers entries after reading only that many: building the whole
    tree of 377,000 entries first would take half a minute."""
    import yaml

    from attncli.limits import max_answers

    scalars = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            scalars += isinstance(event, yaml.ScalarEvent)
            if scalars > 2 * max_answers() + 4:  # a key and a value each, and student, seed, answers
                raise _too_many(origin)
    except (yaml.YAMLError, RecursionError):
        return  # _compose says what is wrong, with its line


def _yaml_entries(text: str, origin: str):
    import yaml

    _check_count(text, origin)
    root = _compose(text, origin)
    if not isinstance(root, yaml.MappingNode):
        raise _bad_shape(origin)
    top, answers = {}, None
    for key, value in root.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name == "answers":
            answers = value
        elif name in ("student", "seed"):
            # The raw text: an id such as 0012 stays 0012 instead of becoming the number 12; a quoted
            # seed keeps its spaces, as worksheet wrote it.
            if not isinstance(value, yaml.ScalarNode) or not value.value.strip():
                raise AttncliError(f"`{name}:` should be followed by text", origin=origin, line=key.start_mark.line + 1)
            top[name] = value.value if name == "seed" and value.style in ('"', "'") else value.value.strip()
    if answers is None or (isinstance(answers, yaml.ScalarNode) and answers.value.strip()):
        raise _bad_shape(origin)
    if isinstance(answers, yaml.ScalarNode):  # `answers:` with nothing under it
        return [], top
    if not isinstance(answers, yaml.MappingNode):
        raise _bad_shape(origin, answers.start_mark.line + 1)
    if not all(isinstance(k, yaml.ScalarNode) for k, _ in answers.value):
        raise _bad_shape(origin, answers.start_mark.line + 1)
    entries = [(k.value, _yaml_value(v), k.start_mark.line + 1) for k, v in answers.value]
    return entries, top


def _compose(text: str, origin: str):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise AttncliError(f"invalid YAML: {e.problem or 'cannot be read'}", origin=origin,
                           line=mark.line + 1 if mark else None) from None
    except (yaml.YAMLError, RecursionError):
        raise AttncliError("invalid YAML: cannot be read", origin=origin) from None
    finally:
        loader.dispose()


def _yaml_value(node) -> tuple[float | None, str | None]:
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        return None, "a list or mapping, not a number"
    text = node.value.strip()
    if node.tag.endswith(":null") or text == "":
        return None, None
    if node.tag.endswith(":bool"):
        return None, f"{text!r} is a yes/no value, not a number"
    return number_text(text)


def number_text(text: str) -> tuple[float | None, str | None]:
    """A typed or written answer as a number, or why it is not one (a comma for a point is named)."""
    from attncli.reader import NUMBER
    from attncli.safe_text import clipped

    if NUMBER.fullmatch(text):
        value = float(text)
        return (value, None) if value not in (float("inf"), float("-inf")) else (None, f"{clipped(text)} is too large")
    if text.lower().lstrip("+-.") in ("nan", "inf", "infinity"):
        return None, f"{text} is not a number; write the value you computed"
    if NUMBER.fullmatch(text.replace(",", ".", 1)):
        return None, (f"{clipped(text)!r} is not a number: write the decimal point as a dot "
                      f"({clipped(text.replace(',', '.', 1))})")
    return None, f"{clipped(text)!r} is not a number"


def _json_entries(text: str, origin: str):
    from attncli.files import parse_json
    from attncli.limits import max_answers

    # Numbers out of range arrive as text, to be judged one answer at a time.
    doc = parse_json(text, origin, numbers_as_text=True, object_pairs_hook=_Object)
    if not isinstance(doc, dict) or not isinstance(doc.get("answers", {}), dict) or "answers" not in doc:
        raise _bad_shape(origin)
    top = {k: str(doc[k]) for k in ("student", "seed") if isinstance(doc.get(k), (str, int)) and doc.get(k) != ""}
    if len(doc["answers"].pairs) > max_answers():
        raise _too_many(origin)
    return [(str(k), _json_value(v), None) for k, v in doc["answers"].pairs], top


class _Object(dict):
    """A JSON object that keeps its pairs in order, repeated keys included, so a repeat is reported."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self.pairs = pairs


def _json_value(value) -> tuple[float | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"{str(value).lower()} is a yes/no value, not a number"
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            number = float("inf")
        return (number, None) if abs(number) != float("inf") else (None, f"{value} is too large")
    if isinstance(value, str):  # NaN, Infinity and numbers too large arrive here as text too
        return number_text(value.strip())
    return None, "a list or mapping, not a number"
