"""Worksheets: rosters, the files for a course, byte-identical regeneration and a pinned sheet."""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from attncli.errors import AttncliError
from attncli.practice.exercises import Options
from attncli.practice.keyfile import read_key
from attncli.practice.schemas import ANSWERS_SCHEMA, KEY_SCHEMA
from attncli.practice.worksheet import build_sheets, numbered_roster, parse_roster, write_sheets

GOLDEN = Path(__file__).parent / "golden"


def test_roster_reads_ids_and_comments():
    students, problems = parse_roster("# class 4b\nada\n  bo  \ncy.lee\nd_9-x\n", "r.txt")
    assert students == ["ada", "bo", "cy.lee", "d_9-x"] and problems == []


def test_roster_names_every_bad_line_once():
    text = "ada\n\nbo\nAda\nme/you\nal ice\ncon\nx.\n\n"
    students, problems = parse_roster(text, "r.txt")
    assert students == ["ada", "bo"]
    lines = [str(p) for p in problems]
    assert lines == [
        "r.txt:2: a blank line; remove it (one student id per line)",
        "r.txt:4: 'Ada' is already on line 1; list each student once",
        "r.txt:5: 'me/you' cannot be a file name; use letters, digits, '.', '_' and '-' (up to 64, starting with a letter or digit)",
        "r.txt:6: 'al ice' cannot be a file name; use letters, digits, '.', '_' and '-' (up to 64, starting with a letter or digit)",
        "r.txt:7: 'con' cannot be a file name; use letters, digits, '.', '_' and '-' (up to 64, starting with a letter or digit)",
        "r.txt:8: 'x.' cannot be a file name; use letters, digits, '.', '_' and '-' (up to 64, starting with a letter or digit)",
        "r.txt:9: a blank line; remove it (one student id per line)",
    ]
    assert all("\n" not in line for line in lines)


def test_empty_roster_is_one_error():
    assert [str(p) for p in parse_roster("# nobody yet\n", "r.txt")[1]] == ["r.txt: no student ids in the roster (one id per line)"]


def test_numbered_roster():
    assert numbered_roster(3) == ["student-01", "student-02", "student-03"]
    assert numbered_roster(120)[-1] == "student-120" and numbered_roster(120)[0] == "student-001"
    with pytest.raises(AttncliError, match="from 1 to"):
        numbered_roster(0)


def test_course_files_and_their_contracts():
    files = dict(build_sheets(["ada", "bo"], "attention-2026", "row"))
    assert list(files) == ["ada.md", "ada.html", "ada.answers.yaml", "bo.md", "bo.html", "bo.answers.yaml", "key.json"]
    key_doc = yaml.safe_load(files["key.json"])
    jsonschema.validate(key_doc, KEY_SCHEMA)
    key = read_key(files["key.json"], "key.json")
    for student in ("ada", "bo"):
        blank = yaml.safe_load(files[f"{student}.answers.yaml"])
        jsonschema.validate(blank, ANSWERS_SCHEMA)
        assert blank["student"] == student and blank["seed"] == "attention-2026"
        # every question id of the key, in order, each with an empty value
        assert list(blank["answers"]) == [q.id for q in key.students[student]]
        assert set(blank["answers"].values()) == {None}
        for qid in blank["answers"]:
            assert html.escape(qid) in files[f"{student}.html"] and qid in files[f"{student}.md"]


def test_sheets_and_key_are_byte_identical_across_runs_and_processes(tmp_path):
    here = build_sheets(["ada", "bo"], "attention-2026", "softmax")
    assert here == build_sheets(["ada", "bo"], "attention-2026", "softmax")
    script = ("import sys; from attncli.practice.worksheet import build_sheets\n"
              "sys.stdout.write(repr(build_sheets(['ada', 'bo'], 'attention-2026', 'softmax')))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # another hash() seed: must change nothing
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True).stdout
    assert out == repr(here)


def test_pinned_sheet_stays_identical():
    files = dict(build_sheets(["student-01"], "attention-2026", "row"))
    for name in ("student-01.md", "student-01.answers.yaml"):
        golden = (GOLDEN / name).read_text(encoding="utf-8")
        assert files[name] == golden, f"{name} changed: regenerate tests/golden only if the change is meant"


def test_html_is_escaped_and_printable():
    seed = '<script>alert("x")</script> & co'
    files = dict(build_sheets(["ada"], seed, "scores", Options(exercises=1)))
    page = files["ada.html"]
    assert "<script>" not in page and html.escape(repr(seed)) in page
    assert re.search(r"(?<!\\)<", files["ada.md"]) is None and "\\<script>" in files["ada.md"]  # no raw HTML
    assert "background: #fff" in page and "color: #000" in page
    assert page.startswith("<!DOCTYPE html>") and f"<title>Attention by hand: ada</title>" in page
    # one blank answer cell per question, in HTML and in markdown
    questions = len(read_key(files["key.json"], "key.json").students["ada"])
    assert page.count('<td class="blank"') == questions and files["ada.md"].count("| __________ |") == questions
    # the seed survives the answer file as YAML text
    assert yaml.safe_load(files["ada.answers.yaml"])["seed"] == seed


def test_build_refuses_bad_input():
    with pytest.raises(AttncliError, match="seed is empty"):
        build_sheets(["ada"], "  ", "row")
    with pytest.raises(AttncliError, match="cannot be a file name"):
        build_sheets(["../ada"], "s", "row")
    with pytest.raises(AttncliError, match="listed twice"):
        build_sheets(["ada", "ADA"], "s", "row")
    with pytest.raises(AttncliError, match="cannot be a file name"):
        build_sheets(["ada\nbo"], "s", "row")
    with pytest.raises(AttncliError, match="at least 1 exercise"):
        build_sheets(["ada"], "s", "row", Options(exercises=0))
    with pytest.raises(AttncliError, match="level 'all' is not one of"):
        build_sheets(["ada"], "s", "all")


def test_write_sheets_never_overwrites_unless_asked(tmp_path):
    files = build_sheets(["ada"], "s", "scores", Options(exercises=1))
    out = tmp_path / "sheets" / "4b"
    written = write_sheets(str(out), files)
    assert sorted(Path(p).name for p in written) == sorted(name for name, _ in files)
    assert (out / "key.json").read_text(encoding="utf-8") == dict(files)["key.json"]
    (out / "ada.answers.yaml").write_text("student: ada\nanswers:\n  x: 1\n", encoding="utf-8")
    with pytest.raises(AttncliError, match="exist already.*nothing was written"):
        write_sheets(str(out), files)
    assert "x: 1" in (out / "ada.answers.yaml").read_text(encoding="utf-8")  # the student's work is kept
    write_sheets(str(out), files, overwrite=True)
    assert (out / "ada.answers.yaml").read_text(encoding="utf-8") == dict(files)["ada.answers.yaml"]
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    with pytest.raises(AttncliError, match="is a file, not a folder"):
        write_sheets(str(tmp_path / "plain"), files)
