"""Grading answer files against key.json, with partial credit that follows the chain of steps.

Each question is
- ok: within the tolerance of the key, or computed correctly (within the tolerance) from the
  student's own earlier answers when those were all ok, so rounding carried from accepted
  answers never costs a point;
- follows: wrong against the key only because an earlier answer of the same student was wrong,
  and computed correctly from the student's own earlier answers ("follows from your earlier answer");
  a zero carried from zeros gets no such credit, as a sheet filled with 0 would otherwise score;
- wrong, missing (blank) or invalid (not a number).
Scoring: 1 point for ok and for follows, 0 otherwise; max is the number of questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from attncli.errors import AttncliError
from attncli.numbers import fixed
from attncli.practice.answers import Submission, parse_submission, read_file
from attncli.practice.keyfile import Key, read_key
from attncli.practice.questions import Question
from attncli.practice.tolerance import accepts
from attncli.safe_text import clipped, visible

STATUSES = ("ok", "follows", "wrong", "missing", "invalid")
CREDIT = {"ok": 1, "follows": 1, "wrong": 0, "missing": 0, "invalid": 0}
STATUS_WORDS = {"ok": "right", "follows": "follows from your earlier answer", "wrong": "wrong",
                "missing": "not answered", "invalid": "not a number"}


def judge(question: Question, given: float | None, answers: Mapping[str, float],
          statuses: Mapping[str, str], decimals: int) -> str:
    """ok, follows, wrong or missing for one answer, given the same student's earlier answers."""
    if given is None:
        return "missing"
    if accepts(question.expected, given, decimals):
        return "ok"
    redone = question.recompute(answers)
    if redone is None or not accepts(redone, given, decimals):
        return "wrong"
    if accepts(0.0, redone, decimals) and not accepts(0.0, question.expected, decimals):
        return "wrong"  # zero carried from zeros (a sheet filled with 0) is no computation to credit
    return "ok" if all(statuses.get(d) == "ok" for d in question.depends) else "follows"


@dataclass(frozen=True)
class QuestionGrade:
    id: str
    kind: str
    expected: float
    given: float | None
    status: str  # one of STATUSES
    arithmetic: tuple[str, ...] = ()  # the key's worked step, for feedback on a mistake

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def credit(self) -> int:
        return CREDIT[self.status]


@dataclass(frozen=True, eq=False)
class StudentGrade:
    student: str
    origin: str
    questions: tuple[QuestionGrade, ...]
    notes: tuple[AttncliError, ...] = ()  # answers that are not numbers, unknown question ids

    @property
    def score(self) -> int:
        return sum(q.credit for q in self.questions)

    @property
    def max(self) -> int:
        return len(self.questions)

    @property
    def mistakes(self) -> tuple[QuestionGrade, ...]:
        return tuple(q for q in self.questions if q.status in ("wrong", "invalid"))

    @property
    def not_answered(self) -> int:
        """How many questions were left blank: a blank sheet is not a perfect one."""
        return sum(q.status == "missing" for q in self.questions)

    def summary(self) -> str:
        """The mistakes and blanks in a few words: 'e1.S[a,b]; 3 not answered', '24 not answered' or 'none'."""
        parts = [", ".join(q.id for q in self.mistakes), f"{self.not_answered} not answered" if self.not_answered else ""]
        return "; ".join(p for p in parts if p) or "none"


@dataclass(frozen=True, eq=False)
class Ungraded:
    """A file given to grade that was not graded, and why."""

    origin: str
    student: str  # as the file says, or as its name says (<student>.answers.yaml); "" when neither tells
    status: str  # "unreadable" (could not be read or parsed) or "not graded" (another course, a second file...)
    error: AttncliError

    @property
    def reason(self) -> str:
        where = f"line {self.error.line}: " if self.error.line else ""
        return visible(where + self.error.message)


@dataclass(frozen=True, eq=False)
class GradeReport:
    key: Key
    students: tuple[StudentGrade, ...]
    errors: tuple[AttncliError, ...] = ()  # files that could not be graded at all
    missing: tuple[str, ...] = field(default=())  # students in the key with no file among those given
    ungraded: tuple[Ungraded, ...] = ()  # the files of `errors`, with their status and student

    def to_json(self) -> dict:
        """{"students": [{"student", "score", "max", "questions": [{"id", "expected", "given", "ok", ...}]}], ...}"""
        return {
            "seed": self.key.seed,
            "students": [_student_json(s) for s in self.students],
            "ungraded": [{"student": u.student, "file": _shown(u.origin), "status": u.status, "reason": u.reason}
                         for u in self.ungraded],
            "missing": list(self.missing),
            "errors": [_error_json(e) for e in self.errors],
        }

    def csv_rows(self) -> list[list[str]]:
        """A gradebook: a header, one row per graded student, then the files not graded, then students without one.

        Students choose their ids and file names, so every text cell goes through csv_cell."""
        rows = [["student", "score", "max", "percent", "file", "mistakes", "not answered", "status", "reason"]]
        for s in self.students:
            percent = 100.0 * s.score / s.max if s.max else 0.0
            rows.append([csv_cell(s.student), str(s.score), str(s.max), fixed(percent, 1), csv_cell(s.origin),
                         csv_cell(" ".join(q.id for q in s.mistakes)), str(s.not_answered), "graded", ""])
        rows += [[csv_cell(u.student), "", "", "", csv_cell(u.origin), "", "", u.status, csv_cell(u.reason)]
                 for u in self.ungraded]
        rows += [[csv_cell(student), "", "", "", "", "", "", "no file", "no answer file among those given"]
                 for student in self.missing]
        return rows

    def csv_text(self) -> str:
        import csv
        import io

        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(self.csv_rows())
        return buffer.getvalue()


# A spreadsheet reads a cell starting with one of these as a formula (=HYPERLINK(…), +cmd|…, @SUM(…)).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """Text as a gradebook cell: control characters shown, and a leading ' before a character that would
    start a formula, as OWASP recommends against CSV injection, so the cell stays text."""
    text = visible(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _student_json(s: StudentGrade) -> dict:
    return {
        "student": s.student,
        "file": s.origin,
        "score": s.score,
        "max": s.max,
        "status": "graded",
        "mistakes": [q.id for q in s.mistakes],
        "not_answered": s.not_answered,
        "questions": [
            {"id": q.id, "kind": q.kind, "expected": q.expected, "given": q.given, "ok": q.ok,
             "status": q.status, "credit": q.credit}
            for q in s.questions
        ],
        "notes": [str(n) for n in s.notes],
    }


def _shown(origin: str) -> str:
    return visible(origin)


def _error_json(e: AttncliError) -> dict:
    return {"file": e.origin, "line": e.line, "message": e.message}


MAX_UNKNOWN_LISTED = 10  # question ids not on a sheet, named one by one; the rest are counted


def grade_submission(key: Key, sub: Submission) -> StudentGrade:
    """Grade one parsed file; AttncliError when it is for another course or an unknown student."""
    if sub.seed is not None and sub.seed != key.seed:
        raise AttncliError(f"answers for course seed {clipped(sub.seed)!r}, but the key is for {clipped(key.seed)!r}",
                           origin=sub.origin)
    questions = key.students.get(sub.student)
    if questions is None:
        known = list(key.students)
        shown = ", ".join(known[:5]) + (f" and {len(known) - 5} more" if len(known) > 5 else "")
        raise AttncliError(f"student {clipped(sub.student)!r} is not in this key (it has {shown})", origin=sub.origin)
    ids = {q.id for q in questions}
    unknown = [qid for qid in list(sub.answers) + list(sub.invalid) if qid not in ids]
    if unknown and not any(qid in ids for qid in list(sub.answers) + list(sub.invalid)):
        raise AttncliError(f"none of its question ids are in the key for {sub.student} (such as "
                           f"{clipped(unknown[0])!r}): is it from another course seed or another sheet?",
                           origin=sub.origin)
    notes = [sub.invalid[qid] for qid in sub.invalid if qid in ids]
    notes += [AttncliError(f"{clipped(qid)} is not a question on {sub.student}'s sheet; ignored",
                           origin=sub.origin, line=sub.lines.get(qid)) for qid in unknown[:MAX_UNKNOWN_LISTED]]
    if len(unknown) > MAX_UNKNOWN_LISTED:
        notes.append(AttncliError(f"and {len(unknown) - MAX_UNKNOWN_LISTED:,} more question ids that are not on "
                                  f"{sub.student}'s sheet; ignored", origin=sub.origin))
    statuses: dict[str, str] = {}
    graded = []
    for q in questions:
        given = sub.answers.get(q.id)
        status = "invalid" if q.id in sub.invalid else judge(q, given, sub.answers, statuses, key.decimals)
        statuses[q.id] = status
        graded.append(QuestionGrade(q.id, q.kind, q.expected, given, status, q.arithmetic))
    return StudentGrade(sub.student, sub.origin, tuple(graded), tuple(notes))


def grade(key: Key, files: Sequence[tuple[str, str | AttncliError]]) -> GradeReport:
    """Grade each (origin, text) pair; a file that cannot be graded becomes an error, the rest go on."""
    students, errors, ungraded, seen = [], [], [], {}
    for origin, text in files:
        student, status = "", "unreadable"
        try:
            if isinstance(text, AttncliError):
                raise text
            sub = parse_submission(text, origin)
            student, status = sub.student, "not graded"
            if sub.student in seen:
                raise AttncliError(f"a second answer file for {sub.student} (the first is {seen[sub.student]}); "
                                   "not graded", origin=origin)
            students.append(grade_submission(key, sub))
            seen[sub.student] = origin
        except AttncliError as error:
            errors.append(error)
            ungraded.append(Ungraded(origin, student or _student_named(origin, key), status, error))
    accounted = set(seen) | {u.student for u in ungraded}
    missing = tuple(s for s in key.students if s not in accounted)
    return GradeReport(key=key, students=tuple(students), errors=tuple(errors), missing=missing,
                       ungraded=tuple(ungraded))


_ANSWER_SUFFIXES = (".answers.yaml", ".answers.yml", ".answers.json", ".yaml", ".yml", ".json")


def _student_named(origin: str, key: Key) -> str:
    """The key's student whose answer file this is by its name (worksheet writes <student>.answers.yaml), or ""."""
    from pathlib import PurePath

    name = PurePath(origin).name
    for suffix in _ANSWER_SUFFIXES:
        if name.endswith(suffix) and name[:-len(suffix)] in key.students:
            return name[:-len(suffix)]
    return ""


def grade_files(key_path: str, paths: Sequence[str]) -> GradeReport:
    """Read the key (an error in it stops everything) and grade every file it can read."""
    from attncli import limits

    # A key holds every student's exercises: a class of MAX_STUDENTS needs more than one scenario file's limit.
    key = read_key(read_file(key_path, 5 * limits.max_file_bytes()), key_path)
    files: list[tuple[str, str | AttncliError]] = []
    for path in paths:
        try:
            files.append((path, read_file(path)))
        except AttncliError as error:
            files.append((path, error))
    return grade(key, files)
