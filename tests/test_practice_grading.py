"""Tolerance at its edges, and grading: full marks, a named mistake, follow-through credit, bad files."""

import json
import math

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from attncli.errors import AttncliError
from attncli.practice.answers import parse_submission
from attncli.practice.exercises import Options
from attncli.practice.grading import grade, grade_files, judge
from attncli.practice.questions import Question, Rule
from attncli.practice.keyfile import read_key
from attncli.practice.schemas import ANSWERS_SCHEMA, GRADE_SCHEMA
from attncli.practice.tolerance import accepts
from attncli.practice.worksheet import build_sheets

# ---- tolerance ----------------------------------------------------------------------------------


@pytest.mark.parametrize("expected, given, ok", [
    (0.44751, 0.448, True), (0.44751, 0.4475, True),  # rounding either way at 3 decimals
    (0.448, 0.4485, True),  # exactly half a unit away counts
    (0.448, 0.44849, True), (0.448, 0.44851, False),  # just inside, just outside
    (-1.2345, -1.234, True), (-1.2345, -1.2351, False), (-1.2345, 1.2345, False),  # sign matters
    (0.0, 0.0, True), (0.0, -0.0004, True), (0.0, 0.0006, False), (0.0, -0.0006, False),
    (20085.5, 20087.4, True), (20085.5, 20087.6, False),  # 0.01 % of a big value: 2.00855
    (-20085.5, -20083.6, True), (-20085.5, -20083.4, False), (-20085.5, 20085.5, False),
])
def test_tolerance_edges(expected, given, ok):
    assert accepts(expected, given, 3) is ok


@pytest.mark.parametrize("given", [math.nan, math.inf, -math.inf, "0.448", None, True, [0.448]])
def test_non_numbers_are_never_accepted(given):
    assert accepts(0.448, given, 3) is False
    assert accepts(1.0, given, 3) is False


@given(st.floats(-1e6, 1e6), st.integers(0, 6))
def test_the_value_rounded_to_the_asked_decimals_is_always_accepted(x, decimals):
    assert accepts(x, round(x, decimals), decimals)
    assert not accepts(x, x + 2 * 10.0 ** -decimals + 0.0002 * abs(x), decimals)


# ---- grading ------------------------------------------------------------------------------------

SEED = "attention-2026"


@pytest.fixture(scope="module")
def course():
    files = dict(build_sheets(["ada", "bo", "cy"], SEED, "row"))
    return files, read_key(files["key.json"], "key.json")


def by_hand(questions, decimals=3, wrong=None, slip=0.0):
    """Answers as a careful student writes them: each step from their own rounded earlier answers.

    `wrong`: a question id the student gets wrong by `slip`; later steps go on from that answer.
    """
    answers = {}
    for q in questions:
        value = q.recompute(answers)
        value = q.expected if value is None else value
        if q.id == wrong:
            value += slip
        answers[q.id] = round(value, decimals)
    return answers


def answer_file(student, answers, seed=SEED):
    lines = [f'student: "{student}"', f'seed: "{seed}"', "answers:"]
    lines += [f"  {qid}: {'' if v is None else v}" for qid, v in answers.items()]
    return "\n".join(lines) + "\n"


def test_a_correct_answer_file_gets_full_marks(course):
    files, key = course
    answers = by_hand(key.students["ada"])
    report = grade(key, [("ada.yaml", answer_file("ada", answers))])
    (ada,) = report.students
    assert ada.score == ada.max == len(key.students["ada"]) and ada.mistakes == ()
    assert report.errors == () and report.missing == ("bo", "cy")
    doc = report.to_json()
    jsonschema.validate(doc, GRADE_SCHEMA)
    jsonschema.validate(yaml.safe_load(answer_file("ada", answers)), ANSWERS_SCHEMA)
    assert doc["students"][0]["score"] == doc["students"][0]["max"]
    assert all(q["ok"] and q["given"] is not None for q in doc["students"][0]["questions"])


def test_a_mistake_is_named_and_what_follows_from_it_keeps_its_points(course):
    files, key = course
    questions = key.students["bo"]
    first_score = questions[0].id
    answers = by_hand(questions, wrong=first_score, slip=0.5)
    (bo,) = grade(key, [("bo.yaml", answer_file("bo", answers))]).students
    status = {q.id: q.status for q in bo.questions}
    assert status[first_score] == "wrong" and [q.id for q in bo.mistakes] == [first_score]
    scaled = next(q.id for q in questions if q.depends == (first_score,))
    assert status[scaled] == "follows"  # wrong against the key, right from bo's own S
    assert bo.score == bo.max - 1
    row = next(r for r in grade(key, [("bo.yaml", answer_file("bo", answers))]).csv_rows() if r[0] == "bo")
    assert row[1:4] == [str(len(questions) - 1), str(len(questions)), f"{100 * (len(questions) - 1) / len(questions):.1f}"]
    assert row[5] == first_score


def test_a_wrong_step_from_right_inputs_is_wrong_and_so_is_a_guess(course):
    files, key = course
    questions = key.students["cy"]
    weight = next(q for q in questions if q.kind == "weight" and q.depends)
    answers = by_hand(questions, wrong=weight.id, slip=0.1)
    (cy,) = grade(key, [("cy.yaml", answer_file("cy", answers))]).students
    status = {q.id: q.status for q in cy.questions}
    assert status[weight.id] == "wrong"
    outputs = [q for q in questions if q.kind == "output" and weight.id in q.depends]
    for out in outputs:  # the outputs used cy's wrong weight correctly
        coefficient = out.rule.weights[out.depends.index(weight.id)]
        # a value entry of 0 hides the slip: then the output may also match the key outright
        assert status[out.id] in (("follows",) if abs(coefficient) * 0.1 > 0.001 else ("ok", "follows"))
    assert "follows" in {status[out.id] for out in outputs}
    outputs = [out.id for out in outputs if status[out.id] == "follows"]
    answers[outputs[0]] += 1.0  # and a guess on top of a wrong weight does not follow from anything
    (cy,) = grade(key, [("cy.yaml", answer_file("cy", answers))]).students
    assert {q.id: q.status for q in cy.questions}[outputs[0]] == "wrong"


def test_rounding_carried_from_accepted_answers_is_right_not_a_mistake():
    # Weights 0.4444 and 0.5556, given to 3 decimals as 0.444 and 0.556 (both within tolerance);
    # the output from them, 4.44 − 5.56 = −1.12, is 0.008 from the exact −1.112, yet right.
    w1 = Question("A1", "weight", 0.4444, "", "", ())
    w2 = Question("A2", "weight", 0.5556, "", "", ())
    out = Question("out", "output", 0.4444 * 10 - 0.5556 * 10, "", "", (), depends=("A1", "A2"),
                   rule=Rule("dot", weights=(10.0, -10.0)))
    given = {"A1": 0.444, "A2": 0.556, "out": -1.12}
    assert not accepts(out.expected, -1.12, 3)
    assert judge(out, -1.12, given, {"A1": "ok", "A2": "ok"}, 3) == "ok"
    assert judge(out, -1.12, given, {"A1": "ok", "A2": "wrong"}, 3) == "follows"
    assert judge(out, -1.13, given, {"A1": "ok", "A2": "ok"}, 3) == "wrong"
    assert judge(out, None, given, {"A1": "ok", "A2": "ok"}, 3) == "missing"
    assert judge(out, -1.12, {"A1": 0.444}, {"A1": "ok"}, 3) == "wrong"  # A2 blank: nothing to follow from


def test_blank_text_and_nan_answers(course):
    files, key = course
    questions = key.students["ada"]
    answers = by_hand(questions)
    answers[questions[0].id] = None
    text = answer_file("ada", answers)
    text = text.replace(f"{questions[1].id}: {answers[questions[1].id]}", f"{questions[1].id}: about two")
    text = text.replace(f"{questions[2].id}: {answers[questions[2].id]}", f"{questions[2].id}: .nan")
    text = text.replace(f"{questions[3].id}: {answers[questions[3].id]}", f"{questions[3].id}: 0,5")
    report = grade(key, [("ada.yaml", text)])
    (ada,) = report.students
    status = [q.status for q in ada.questions[:4]]
    assert status == ["missing", "invalid", "invalid", "invalid"]
    assert ada.score == ada.max - 4
    notes = [str(n) for n in ada.notes]
    assert notes[0] == f"ada.yaml:5: {questions[1].id}: 'about two' is not a number"
    assert notes[1] == f"ada.yaml:6: {questions[2].id}: .nan is not a number; write the value you computed"
    assert "write the decimal point as a dot (0.5)" in notes[2]
    doc = report.to_json()
    jsonschema.validate(doc, GRADE_SCHEMA)
    assert doc["students"][0]["questions"][1]["given"] is None


def test_bad_files_are_reported_one_line_each_and_the_others_graded(course, tmp_path):
    files, key = course
    good = answer_file("ada", by_hand(key.students["ada"]))
    cases = {
        "broken.yaml": "student: bo\nanswers: [1, 2\n",
        "stranger.yaml": answer_file("zed", {"e1.S[a,b]": 1.0}),
        "other-seed.yaml": answer_file("bo", by_hand(key.students["bo"]), seed="attention-2025"),
        "list.yaml": "- 1\n- 2\n",
        "nobody.yaml": "answers:\n  x: 1\n",
        "again.yaml": good,
        "wrong-sheet.yaml": 'student: "cy"\nanswers:\n  e1.S[foo,bar]: 1.0\n',
    }
    paths = [tmp_path / "ada.yaml"]
    paths[0].write_text(good, encoding="utf-8")
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(tmp_path / name)
    (tmp_path / "latin1.yaml").write_bytes("student: b\xf6\n".encode("latin-1"))
    paths += [tmp_path / "latin1.yaml", tmp_path / "absent.yaml", tmp_path]
    key_path = tmp_path / "key.json"
    key_path.write_text(files["key.json"], encoding="utf-8")
    report = grade_files(str(key_path), [str(p) for p in paths])
    assert [s.student for s in report.students] == ["ada"] and report.students[0].score == report.students[0].max
    messages = {e.origin.rsplit("/", 1)[-1]: str(e).split(": ", 1)[1] for e in report.errors}
    assert messages["broken.yaml"].startswith("invalid YAML")
    assert messages["stranger.yaml"] == "student 'zed' is not in this key (it has ada, bo, cy)"
    assert messages["other-seed.yaml"] == "answers for course seed 'attention-2025', but the key is for 'attention-2026'"
    assert messages["list.yaml"].startswith("not an answer file")
    assert messages["nobody.yaml"].startswith("no `student:` line")
    assert messages["again.yaml"].startswith("a second answer file for ada")
    assert messages["wrong-sheet.yaml"].startswith("none of its question ids are in the key for cy")
    assert messages["latin1.yaml"].startswith("not UTF-8")
    assert messages["absent.yaml"] == "no such file"
    assert messages[tmp_path.name] == "is a directory, not a file"
    assert all("\n" not in str(e) for e in report.errors)
    # bo's and cy's files were given but not graded: they are not students without a file
    assert report.missing == ()
    status = {u.origin.rsplit("/", 1)[-1]: (u.student, u.status) for u in report.ungraded}
    assert status["broken.yaml"] == ("", "unreadable") and status["latin1.yaml"] == ("", "unreadable")
    assert status["other-seed.yaml"] == ("bo", "not graded") and status["wrong-sheet.yaml"] == ("cy", "not graded")
    assert status["again.yaml"] == ("ada", "not graded") and status["absent.yaml"] == ("", "unreadable")
    jsonschema.validate(report.to_json(), GRADE_SCHEMA)


def test_json_answer_files_are_read_too(course):
    files, key = course
    answers = by_hand(key.students["bo"])
    qids = list(answers)
    doc = {"student": "bo", "answers": {**answers, qids[0]: None}}
    text = json.dumps(doc).replace(f'"{qids[1]}": {answers[qids[1]]}', f'"{qids[1]}": NaN')
    (bo,) = grade(key, [("bo.json", text)]).students
    status = [q.status for q in bo.questions]
    assert status[:2] == ["missing", "invalid"] and set(status[2:]) == {"ok"}
    assert str(bo.notes[0]) == f"bo.json: {qids[1]}: NaN is not a number; write the value you computed"


def test_answered_twice_and_unknown_ids_are_noted(course):
    files, key = course
    q = key.students["ada"][0]
    sub = parse_submission(f'student: "ada"\nanswers:\n  {q.id}: 1\n  {q.id}: 2\n  e9.S[x,y]: 3\n', "a.yaml")
    assert str(sub.invalid[q.id]) == f"a.yaml:4: {q.id} is answered twice; keep one"
    (ada,) = grade(key, [("a.yaml", f'student: "ada"\nanswers:\n  {q.id}: {q.expected}\n  e9.S[x,y]: 3\n')]).students
    assert ada.questions[0].status == "ok" and ada.score == 1
    assert [str(n) for n in ada.notes] == ["a.yaml:4: e9.S[x,y] is not a question on ada's sheet; ignored"]


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(version=2), "a key of version 2, but this attncli reads version 1"),
    (lambda d: d.pop("format"), 'not an attncli answer key'),
    (lambda d: d["students"][0].pop("exercises"), "a damaged key: missing field 'exercises'"),
    (lambda d: d["students"][0]["exercises"][0]["questions"][0].update(expected="x"), "a damaged key: question"),
])
def test_a_key_from_another_version_or_damaged_is_one_clear_error(course, change, message):
    files, _ = course
    doc = json.loads(files["key.json"])
    change(doc)
    with pytest.raises(AttncliError) as caught:
        read_key(json.dumps(doc), "old/key.json")
    assert str(caught.value).startswith("old/key.json: " + message)
    with pytest.raises(AttncliError, match=r"key.json:1: not valid JSON"):
        read_key("{nope", "key.json")


def test_small_course_round_trip_at_every_level():
    for level in ("scores", "scaled", "softmax", "row"):
        files = dict(build_sheets(["ada"], SEED, level, Options(exercises=2)))
        key = read_key(files["key.json"], "key.json")
        blank = grade(key, [("ada.answers.yaml", files["ada.answers.yaml"])]).students[0]
        assert blank.score == 0 and {q.status for q in blank.questions} == {"missing"}
        full = grade(key, [("a.yaml", answer_file("ada", by_hand(key.students["ada"])))]).students[0]
        assert full.score == full.max > 0


def test_a_sheet_of_zeros_earns_no_follow_on_credit(tmp_path):
    """0/√d_k = 0 and 0 + 0 = 0 are right arithmetic, but a sheet filled with 0 has computed nothing."""
    from typer.testing import CliRunner

    from attncli.cli import app

    runner = CliRunner()
    out = tmp_path / "sheets"
    assert runner.invoke(app, ["worksheet", "--count", "1", "--seed", "s", "--out", str(out)]).exit_code == 0
    blank = (out / "student-01.answers.yaml").read_text(encoding="utf-8")
    zeros = "\n".join(line + " 0" if line.startswith("  ") and line.rstrip().endswith(":") else line
                      for line in blank.splitlines())
    (tmp_path / "student-01.answers.yaml").write_text(zeros + "\n", encoding="utf-8")
    result = runner.invoke(app, ["grade", str(out / "key.json"), str(tmp_path / "student-01.answers.yaml"),
                                 "--format", "json"])
    doc = json.loads(result.stdout)
    statuses = [q["status"] for q in doc["students"][0]["questions"]]
    assert all(q["given"] == 0 for q in doc["students"][0]["questions"])
    assert "follows" not in statuses and doc["students"][0]["score"] == statuses.count("ok")
