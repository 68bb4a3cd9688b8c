"""worksheet, grade and quiz against hostile files and answers: one damaged file costs only itself, every
message is one short line, every list of problems is capped, and the work stays linear."""

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attncli import loader
from attncli.cli import app
from attncli.limits import max_answer_chars, max_answers, max_tries
from attncli.practice.quiz import Quiz, read_answer_line, scenario_questions
from attncli.practice.grading import MAX_UNKNOWN_LISTED, csv_cell
from attncli.practice.worksheet import MAX_PROBLEMS_LISTED, build_sheets
from attncli.views.practice import shorten
from conftest import program

runner = CliRunner()
SEED = "attention-2026"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def invoke(*args, stdin=None):
    return runner.invoke(app, [str(a) for a in args], input=stdin)


@pytest.fixture
def course(tmp_path, monkeypatch):
    """Three students' files in sheets/, the key as a dict, and a helper that writes right answers."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sheets").mkdir()
    for name, text in build_sheets(["ada", "bo", "cy"], SEED, "scores"):
        (tmp_path / "sheets" / name).write_text(text, encoding="utf-8")
    key = json.loads((tmp_path / "sheets" / "key.json").read_text(encoding="utf-8"))

    def right(student: str) -> dict:
        entry = next(s for s in key["students"] if s["student"] == student)
        return {"student": student, "seed": SEED,
                "answers": {q["id"]: round(q["expected"], 3) for ex in entry["exercises"] for q in ex["questions"]}}

    return key, right


# ---- a damaged JSON file ---------------------------------------------------------------------------


@pytest.mark.parametrize("damage, message", [
    ('{"student": "bo", "answers": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "bo.json:1: not readable JSON: lists or objects nested too deeply inside each other"),
    ('{"student": ' + "7" * 5000 + ', "answers": {}}',
     "bo.json: student '" + "7" * 60 + "… (5,000 characters)' is not in this key (it has ada, bo, cy)"),
    (b'{"student": "bo",\n "answers": {"x": "\xff"}}', "bo.json:2: not UTF-8 text (byte 0xff); save the file as UTF-8"),
])
def test_one_damaged_answer_file_does_not_stop_the_class(course, damage, message, tmp_path):
    key, right = course
    (tmp_path / "ada.json").write_text(json.dumps(right("ada")), encoding="utf-8")
    (tmp_path / "bo.json").write_bytes(damage if isinstance(damage, bytes) else damage.encode())
    result = invoke("grade", "sheets/key.json", "ada.json", "bo.json", "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"
    doc = json.loads(result.stdout)
    assert [(s["student"], s["score"] == s["max"]) for s in doc["students"]] == [("ada", True)]


def test_answers_too_large_or_not_numbers_are_judged_one_by_one(course, tmp_path):
    key, right = course
    answers = right("ada")
    first, second, third, *_ = answers["answers"]
    text = json.dumps(answers).replace(json.dumps(answers["answers"][first]), "1e400", 1)
    text = text.replace(f'"{second}": {json.dumps(answers["answers"][second])}', f'"{second}": NaN', 1)
    text = text.replace(f'"{third}": {json.dumps(answers["answers"][third])}', f'"{third}": ' + "9" * 5000, 1)
    (tmp_path / "ada.json").write_text(text, encoding="utf-8")
    result = invoke("grade", "sheets/key.json", "ada.json", "--format", "json")
    assert result.exit_code == 0, result.stderr
    ada = json.loads(result.stdout)["students"][0]
    assert [q["status"] for q in ada["questions"][:3]] == ["invalid"] * 3
    assert ada["score"] == ada["max"] - 3
    assert ada["notes"] == [f"ada.json: {first}: 1e400 is too large",
                            f"ada.json: {second}: NaN is not a number; write the value you computed",
                            f"ada.json: {third}: {'9' * 60}… (5,000 characters) is too large"]


@pytest.mark.parametrize("expected, message", [
    ("1e400", "sheets/key.json:{line}: 1e400 is too large for a number"),
    ("NaN", "sheets/key.json:{line}: NaN is not a number JSON allows"),
    ("1" * 5000, "sheets/key.json:{line}: a number with 5,000 digits is too large"),
])
def test_a_key_with_a_number_out_of_range_is_one_line(course, expected, message, tmp_path):
    path = tmp_path / "sheets" / "key.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if '"expected": ' in line)
    lines[at] = re.sub(r'"expected": [^,]+', f'"expected": {expected}', lines[at])
    path.write_text("\n".join(lines), encoding="utf-8")
    result = invoke("grade", "sheets/key.json", "x.yaml", "--format", "json")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"Error: {message.format(line=at + 1)}\n"


def test_a_key_nested_too_deeply_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "key.json").write_text('{"format": ' + "[" * 50_000, encoding="utf-8")
    result = invoke("grade", "key.json", "x.yaml")
    assert result.exit_code == 1
    assert result.stderr == "Error: key.json:1: not readable JSON: lists or objects nested too deeply inside each other\n"


def test_an_escape_sequence_in_a_key_question_id_is_shown_not_obeyed(course, tmp_path):
    key, right = course
    answers = right("ada")
    evil = "e1.S[\x1b]0;pwned\x07\x1b[2J]"
    path = tmp_path / "sheets" / "key.json"
    first = next(iter(answers["answers"]))
    path.write_text(path.read_text(encoding="utf-8").replace(json.dumps(first), json.dumps(evil)), encoding="utf-8")
    answers["answers"][evil] = answers["answers"].pop(first) + 1  # a mistake: the id is in the mistakes column
    (tmp_path / "ada.json").write_text(json.dumps(answers), encoding="utf-8")
    for fmt in ("rich", "csv", "json"):
        result = invoke("grade", "sheets/key.json", "ada.json", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert not RAW.findall(result.stdout), fmt
        assert "e1.S[\\x1b]0;pwned\\x07\\x1b[2J]" in result.stdout.replace("\\\\", "\\"), fmt


def test_the_wrong_roster_echoes_a_megabyte_id_in_a_short_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.txt").write_text("ada\n" + "=" * 1_000_000 + "\n", encoding="utf-8")
    result = invoke("worksheet", "--roster", "roster.txt", "--out", "sheets")
    assert result.exit_code == 1 and len(result.stderr) < 300, result.stderr[:300]
    assert result.stderr.startswith("Error: roster.txt:2: '" + "=" * 60 + "… (1,000,000 characters)' cannot be a file")
    assert not (tmp_path / "sheets").exists()


def test_a_roster_of_100000_bad_lines_gives_a_capped_list(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.txt").write_text("bad id\n" * 100_000, encoding="utf-8")
    result = invoke("worksheet", "--roster", "roster.txt", "--out", "sheets")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == MAX_PROBLEMS_LISTED + 1
    assert lines[0].startswith("Error: roster.txt:1: 'bad id' cannot be a file name")
    assert lines[-1] == f"Error: roster.txt: and {100_000 - MAX_PROBLEMS_LISTED:,} more bad lines, from line 21"


def test_an_answer_file_of_unknown_ids_gives_a_capped_report(course, tmp_path):
    key, right = course
    answers = right("ada")
    answers["answers"].update({f"q{i}": 1 for i in range(9_000)})
    (tmp_path / "ada.json").write_text(json.dumps(answers), encoding="utf-8")
    result = invoke("grade", "sheets/key.json", "ada.json", "--format", "json")
    assert result.exit_code == 0, result.stderr
    notes = json.loads(result.stdout)["students"][0]["notes"]
    assert notes[0] == "ada.json: q0 is not a question on ada's sheet; ignored"
    assert notes[MAX_UNKNOWN_LISTED:] == [
        f"ada.json: and {9_000 - MAX_UNKNOWN_LISTED:,} more question ids that are not on ada's sheet; ignored"]
    shown = invoke("grade", "sheets/key.json", "ada.json")
    assert shown.exit_code == 0 and len(shown.stdout.splitlines()) < 100


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_an_answer_file_of_300000_ids_is_refused_after_reading_the_first_ones(course, tmp_path, suffix):
    key, right = course
    answers = right("ada")
    answers["answers"].update({f"q{i}": 1 for i in range(300_000)})
    text = json.dumps(answers) if suffix == "json" else \
        "student: ada\nanswers:\n" + "".join(f"  {qid}: {value}\n" for qid, value in answers["answers"].items())
    (tmp_path / f"ada.{suffix}").write_text(text, encoding="utf-8")
    (tmp_path / "bo.json").write_text(json.dumps(right("bo")), encoding="utf-8")
    result = invoke("grade", "sheets/key.json", f"ada.{suffix}", "bo.json", "--format", "csv")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: ada.{suffix}: more than {max_answers():,} answers; an answer file holds one line "
                             "per question of a sheet (the worksheet command writes a blank one)\n")
    assert result.stdout.splitlines()[1].startswith("bo,")


# ---- the gradebook -----------------------------------------------------------------------------


@pytest.mark.parametrize("text, cell", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "\\t=1"), ("\r=1", "\\r=1"),
    ("a=1", "a=1"), ("student-01", "student-01"), ("e1.S[a,b]", "e1.S[a,b]"),
])
def test_csv_cells_never_start_a_formula(text, cell):
    assert csv_cell(text) == cell


def test_the_gradebook_neutralises_student_chosen_file_names(course, tmp_path):
    key, right = course
    (tmp_path / "=cmd.json").write_text(json.dumps(right("ada")), encoding="utf-8")
    (tmp_path / "@x.yaml").write_text(f"student: bo\nseed: {SEED}\nanswers:\n", encoding="utf-8")
    result = invoke("grade", "sheets/key.json", "=cmd.json", "@x.yaml", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert [row[4] for row in rows[1:3]] == ["'=cmd.json", "'@x.yaml"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# ---- linear text handling -----------------------------------------------------------------------


HOSTILE_LINES = ["x" * 1_000_000, "a + " * 6 + "x" * 1_000_000, ("[" + "a" * 50) * 20_000, "[" + "a, " * 300_000,
                 "1 + 2 + 3 + 4 + 5 + 6 + 7 " + "x" * 1_000_000, "=" * 1_000_000, "+" * 1_000_000]


def test_shortening_a_long_line_takes_linear_time():
    """A megabyte line with nothing to shorten: linear matching takes milliseconds, the quadratic
    backtracking this replaced about eight hours; the subprocess's limit only stops a hang."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from attncli.views.practice import shorten; "
            "from test_practice_hostile import HOSTILE_LINES; "
            "print(sum(shorten(line) == line for line in HOSTILE_LINES))")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{len(HOSTILE_LINES)}\n"  # none has a chain of 8 terms or a list of 8 entries


def test_shortening_still_cuts_long_sums_and_vectors():
    terms = " + ".join(f"({i}×0.5)" for i in range(40))
    assert shorten(f"o = {terms} = 1") == "o = (0×0.5) + (1×0.5) + (2×0.5) + … 35 more … + (38×0.5) + (39×0.5) = 1"
    vector = "[" + ", ".join(str(i) for i in range(60)) + "]"
    assert shorten(f"v = {vector} and more text to pass the limit of a long line of one hundred and sixty chars") \
        == "v = [0, 1, 2, … 55 more …, 58, 59] and more text to pass the limit of a long line of one hundred and sixty chars"


def test_a_60000_character_quiz_answer_is_one_short_line():
    result = subprocess.run(program() + ["quiz", "dog_ate_dinner"], input="x" * 60_000 + "\n" + "9" * 9_000 + "\nq\n",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stdout.splitlines() if "not a number" in line or "too large" in line]
    assert said == [f"a line of more than {max_answer_chars():,} characters is not a number; type a number, "
                    "or h for a hint, s to skip, q to quit",
                    "9" * 60 + "… (9,000 characters) is too large; type a number, or h for a hint, s to skip, q to quit"]


def test_a_million_piped_hints_stop_the_quiz_after_the_limit():
    result = subprocess.run(program() + ["quiz", "dog_ate_dinner"], input="h\n" * 1_000_000,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("hint: ") for line in lines) == max_tries()
    assert f"{max_tries()} lines in a row without an answer to this question; stopped here." in lines
    assert lines[-1] == "total: 0/0 (stopped after 0 of 15)"


def test_tries_count_only_in_a_row():
    questions = scenario_questions(loader.load("dog_ate_dinner"), "row")
    quiz = Quiz(questions)
    for _ in range(3):
        for _ in range(max_tries() - 1):
            assert quiz.respond("oops").status == "invalid"
        assert quiz.respond(f"{quiz.current.expected:.3f}").status == "ok"
    assert [quiz.respond("h").status for _ in range(max_tries())][-2:] == ["hint", "quit"]
    assert quiz.current is None


@pytest.mark.parametrize("piped, lines", [
    ("1.5\r\n2\n", ["1.5", "2"]),
    ("7" * 20_000 + "\n3\n", ["7" * (10_001), "3"]),
    ("7" * 20_000, ["7" * (10_001)]),
    ("7" * 10_000 + "\n", ["7" * 10_000]),
    ("", []),
])
def test_a_piped_answer_line_is_read_up_to_the_limit_and_the_rest_skipped(piped, lines):
    stream = io.StringIO(piped)
    read = []
    while (line := read_answer_line(stream)) is not None:
        read.append(line)
    assert read == lines


@pytest.mark.parametrize("change, message", [
    (lambda q: q.update(rule={"name": "times", "factor": "nan"}),
     "question {id!r} has a rule with a number that is not finite"),
    (lambda q: q.update(expected="x" * 100_000),
     "question {id!r} has expected value '" + "x" * 59 + "… (100,002 characters), not a number"),
    (lambda q: q.update(id=["x"] * 50_000),
     "question id is ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',… (250,000 characters), not text"),
    (lambda q: q.update(arithmetic=[{"a": 1}]), "arithmetic is {{'a': 1}}, not text"),
])
def test_a_damaged_key_is_one_short_line(course, tmp_path, change, message):
    path = tmp_path / "sheets" / "key.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    first = doc["students"][0]["exercises"][0]["questions"][0]
    qid = first["id"]
    change(first)
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = invoke("grade", "sheets/key.json", "x.yaml")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: sheets/key.json: a damaged key: {message.format(id=qid)}; "
                             "write the sheets and key again\n")


def test_a_scenario_number_of_5000_digits_is_named_by_its_length(tmp_path):
    digits = "9" * 5000
    (tmp_path / "s.yaml").write_text(f"tokens: [a, b]\nembeddings: [[{digits}, 1], [1, 1]]\nW_Q: [[1, 0], [0, 1]]\n"
                                     f"W_K: [[1, 0], [0, 1]]\nW_V: [[1, 0], [0, 1]]\nmask: [[1, {digits}], [1, 1]]\n",
                                     encoding="utf-8")
    result = invoke("validate", tmp_path / "s.yaml")
    assert result.exit_code == 1
    assert "embeddings row 0 (line 2), column 0 is " + "9" * 60 + "… (5,000 characters), too large for float64" \
        in result.stdout
    assert "should be 1 (may attend) or 0 (hidden), not '" + "9" * 60 + "… (5,000 characters)'" in result.stdout
    assert len(result.stdout) < 1000


def test_file_names_with_escape_sequences_are_shown_in_every_format(course, tmp_path):
    key, right = course
    evil_key, evil_answers = "k\x1b[31mey\u202e.json", "an\x1b]0;x\x07s.json"
    (tmp_path / evil_key).write_bytes((tmp_path / "sheets" / "key.json").read_bytes())
    answers = right("ada")
    first = next(iter(answers["answers"]))
    answers["answers"][first] += 1
    (tmp_path / evil_answers).write_text(json.dumps(answers), encoding="utf-8")
    for fmt in ("rich", "json", "csv"):
        result = invoke("grade", evil_key, evil_answers, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert not RAW.findall(result.stdout.replace("\x1b[", "")) and "\x1b" not in result.stdout, fmt
    shown = invoke("grade", evil_key, evil_answers).stdout
    assert "k\\x1b[31mey\\u202e.json: course seed 'attention-2026', 3 students" in shown
    assert "ada (an\\x1b]0;x\\x07s.json): " in shown


@pytest.mark.parametrize("target", ["sheets/key.json", "ada.json", "./sheets/../ada.json"])
def test_an_export_never_replaces_the_key_or_an_answer_file(course, tmp_path, target):
    key, right = course
    (tmp_path / "ada.json").write_text(json.dumps(right("ada")), encoding="utf-8")
    before = {name: (tmp_path / name).read_bytes() for name in ("sheets/key.json", "ada.json")}
    result = invoke("grade", "sheets/key.json", "ada.json", "--export", target)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {target}: is the key or an answer file being graded; attncli will not "
                             "overwrite it: choose another file name\n")
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


def test_worksheet_into_a_folder_1000_levels_deep(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    deep = "x/" * 1000  # pathlib's mkdir -p recurses once per level: a RecursionError
    result = invoke("worksheet", "--count", "1", "--out", deep)
    assert result.exit_code == 0, result.output
    assert (tmp_path / deep / "key.json").is_file()
    folder = tmp_path / deep  # removed level by level: shutil.rmtree, as pytest's cleanup, recurses too
    for file in folder.iterdir():
        file.unlink()
    while folder != tmp_path:
        folder.rmdir()
        folder = folder.parent
    too_long = "y/" * 3000  # past the system's limit on a path
    result = invoke("worksheet", "--count", "1", "--out", too_long)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {too_long}: cannot write: File name too long\n"
