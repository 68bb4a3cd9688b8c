"""A course's files: per student a sheet (markdown, HTML) and a blank answer file, and one key.json."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from attncli import render_html, render_markdown
from attncli.errors import AttncliError
from attncli.practice.exercises import Options, generate
from attncli.practice.keyfile import dumps, key_document
from attncli.practice.questions import check_level
from attncli.practice.sheet import sheet_view
from attncli.yaml_text import yaml_string

KEY_FILE = "key.json"
DEFAULT_SEED = "attncli"  # `worksheet --seed`'s default (cli.py): every course that gives none shares it
# key.json takes about 19 KB a student at the whole-row level; grade reads keys up to 5× the file limit.
MAX_STUDENTS = 1_000
# Safe as a file name on Linux, macOS and Windows: no separators, spaces or a trailing dot.
_SAFE_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9_-])?")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_.\[\],#-]*")
MAX_PROBLEMS_LISTED = 20  # a roster's bad lines named one by one; the rest are counted in one more line


def parse_roster(text: str, origin: str) -> tuple[list[str], list[AttncliError]]:
    """Student ids, one a line ('#' starts a comment line), and one problem per bad line.

    Blank lines are refused rather than skipped, as are ids that are unsafe as file names and
    ids repeated (compared ignoring case, since macOS and Windows file names do).
    """
    students, problems, first_line = [], [], {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    for number, raw in enumerate(lines, 1):
        student = raw.strip()
        if student.startswith("#"):
            continue
        if not student:
            problems.append(AttncliError("a blank line; remove it (one student id per line)",
                                         origin=origin, line=number))
        elif id_problem(student):
            problems.append(AttncliError(id_problem(student), origin=origin, line=number))
        elif student.lower() in first_line:
            problems.append(AttncliError(f"{student!r} is already on line {first_line[student.lower()]:,}; "
                                         "list each student once", origin=origin, line=number))
        else:
            first_line[student.lower()] = number
            students.append(student)
    if not students and not problems:
        problems.append(AttncliError("no student ids in the roster (one id per line)", origin=origin))
    if len(problems) > MAX_PROBLEMS_LISTED:
        more = len(problems) - MAX_PROBLEMS_LISTED
        problems[MAX_PROBLEMS_LISTED:] = [AttncliError(
            f"and {more:,} more bad line{'s' if more != 1 else ''}, from line {problems[MAX_PROBLEMS_LISTED].line:,}",
            origin=origin)]
    if len(students) > MAX_STUDENTS:
        problems.append(AttncliError(f"{len(students):,} students; a worksheet run takes at most {MAX_STUDENTS:,} "
                                     "(split the roster)", origin=origin))
    return students, problems


def id_problem(student: str) -> str | None:
    """Why a student id cannot name the student's files, or None when it can."""
    if _SAFE_ID.fullmatch(student) and student.lower().split(".")[0] not in _RESERVED:
        return None
    from attncli.safe_text import clipped

    return (f"{clipped(student)!r} cannot be a file name; use letters, digits, '.', '_' and '-' "
            "(up to 64, starting with a letter or digit)")


def numbered_roster(count: int) -> list[str]:
    """student-01 … student-N, zero-padded so they sort in order."""
    if not 1 <= count <= MAX_STUDENTS:
        raise AttncliError(f"the number of students must be from 1 to {MAX_STUDENTS}, not {count}")
    width = max(2, len(str(count)))
    return [f"student-{i:0{width}d}" for i in range(1, count + 1)]


def build_sheets(students: Sequence[str], seed: str, level: str,
                 options: Options = Options()) -> list[tuple[str, str]]:
    """(file name, text) of every file for the course: per student .md, .html and .answers.yaml, then key.json."""
    check_level(level)
    if not seed.strip():
        raise AttncliError("the course seed is empty; give any text, such as the course name and year")
    try:
        seed.encode("utf-8")
    except UnicodeEncodeError:  # a byte of the command line that was not UTF-8
        raise AttncliError("the course seed holds bytes that are not UTF-8 text; give it as text") from None
    if options.exercises < 1 or not 0 <= options.decimals <= 12:
        raise AttncliError(f"a sheet needs at least 1 exercise and 0 to 12 decimals, not {options.exercises} "
                           f"and {options.decimals}")
    if not students:
        raise AttncliError("no students to write sheets for")
    seen: set[str] = set()
    for student in students:
        if id_problem(student):
            raise AttncliError(id_problem(student))
        if student.lower() in seen:
            raise AttncliError(f"{student!r} is listed twice; list each student once")
        seen.add(student.lower())
    files, sheets = [], []
    for student in students:
        exercises = generate(seed, student, level, options)
        sheets.append((student, exercises))
        sheet = sheet_view(student, seed, level, options.decimals, exercises)
        files += [
            (f"{student}.md", render_markdown.render(sheet)),
            (f"{student}.html", render_html.printable(sheet)),
            (f"{student}.answers.yaml", answer_template(student, seed, level, options.decimals, exercises)),
        ]
    files.append((KEY_FILE, dumps(key_document(seed, level, options.decimals, sheets))))
    return files


def answer_template(student: str, seed: str, level: str, decimals: int, exercises) -> str:
    """The blank answer file: `student:`, `seed:` and every question id with an empty value."""
    example = f"{0.448:.{decimals}f}" if decimals else "3"
    # yaml_string: a seed may hold any character, and the file must read back on grading day.
    lines = [
        f"# Answers of {student} (course seed {yaml_string(seed)}, level {level}).",
        f"# Write each answer after its colon as a number with {decimals} decimals, such as {example};",
        "# leave it blank to skip a question. Lines starting with # are comments.",
        f"student: {yaml_string(student)}",
        f"seed: {yaml_string(seed)}",
        "answers:",
    ]
    for n, ex in enumerate(exercises, 1):
        lines.append(f"  # Exercise {n}: the row of {ex.focus_token}")
        lines += [f"  {_yaml_key(q.id)}:" for q in ex.questions]
    return "\n".join(lines) + "\n"


def _yaml_key(text: str) -> str:
    return text if _PLAIN_KEY.fullmatch(text) else yaml_string(text)


def check_targets(out_dir: str, files: Sequence[tuple[str, str]]) -> list[Path]:
    """The paths the files will take in out_dir; AttncliError when out_dir is a file, or when one of the
    paths is a folder or a device, which no overwriting (--force) could replace."""
    from attncli.files import check_writable, existing_kind

    folder = Path(out_dir)
    kind = existing_kind(out_dir)  # a path too long for the system is one line here, with its name
    if kind not in (None, "a directory"):
        raise AttncliError(f"is {kind}, not a folder to write the sheets into", origin=out_dir)
    targets = [folder / name for name, _ in files]
    for target in targets:
        check_writable(str(target))
    return targets


def write_sheets(out_dir: str, files: Sequence[tuple[str, str]], *, overwrite: bool = False) -> list[str]:
    """Write the files into out_dir (made if missing), all or none; refuse, writing nothing, if any
    exists already, or is a folder or a device that no overwriting could replace."""
    from attncli.files import make_folders, write_all_atomic

    targets = check_targets(out_dir, files)
    existing = [t for t in targets if t.exists()]
    if existing and not overwrite:
        raise AttncliError(f"{len(existing)} of the files exist already, such as {existing[0].name}; nothing was "
                           "written, so nothing is lost: choose another folder or allow overwriting", origin=out_dir)
    try:
        make_folders(out_dir)
    except OSError as e:
        raise AttncliError(f"cannot make the folder: {e.strerror or e}", origin=out_dir) from None
    write_all_atomic([(str(target), text) for target, (_, text) in zip(targets, files)])
    return [str(t) for t in targets]


def make_worksheets(students: Sequence[str], seed: str, level: str, out: str, force: bool) -> list[str]:
    """Write the key and each student's sheets and answer file into out, none if any exists (unless force);
    the lines that tell the teacher what was written."""
    from attncli.safe_text import clipped

    files = build_sheets(students, seed, level)
    check_targets(out, files)  # a folder in a file's place: --force would not help, so do not suggest it
    existing = [name for name, _ in files if (Path(out) / name).exists()]
    if existing and not force:
        raise AttncliError(f"{len(existing)} of the {len(files)} files exist already, such as {existing[0]}; "
                           "nothing was written: use --force to overwrite them, or another folder", origin=out)
    write_sheets(out, files, overwrite=force)
    folder = out.rstrip("/") or "/"
    many = len(students) != 1
    return [
        f"wrote {len(files)} files in {folder}/: {KEY_FILE} (the answer key: keep it from the students) and, for "
        f"{'each of ' if many else ''}{len(students)} student{'s' if many else ''} ({_listed(students)}), "
        "<student>.md and <student>.html (the sheet) and <student>.answers.yaml (to fill in)",
        f"course seed {clipped(repr(seed), 200)}: the same --seed and ids give the same sheets again"
        if seed != DEFAULT_SEED else
        f"course seed {seed!r}, the default: any course without --seed gets these same sheets, so give your own, "
        "such as --seed 'physics-2026'",
        f"grade with: attncli grade {folder}/{KEY_FILE} ANSWER-FILES...",
    ]


def _listed(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 4 else f"{names[0]}, {names[1]} … {names[-1]}"
