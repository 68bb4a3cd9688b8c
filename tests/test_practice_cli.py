"""quiz, worksheet and grade as a user meets them: in process, once each as a real program, quiz once on a pty."""

import csv as csv_module
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from attncli import loader
from attncli.cli import app
from attncli.numbers import fixed
from attncli.practice.questions import show
from attncli.practice.quiz import generated_questions, scenario_questions
from attncli.practice.schemas import ANSWERS_SCHEMA, GRADE_SCHEMA, KEY_SCHEMA
from attncli.practice.worksheet import DEFAULT_SEED

runner = CliRunner()


def invoke(*args, stdin=None):
    return runner.invoke(app, [str(a) for a in args], input=stdin)


def program() -> list[str]:
    """The installed console script, or the module when it is not on PATH."""
    exe = shutil.which("attncli") or str(Path(sys.executable).parent / "attncli")
    return [exe] if Path(exe).exists() else [sys.executable, "-m", "attncli"]


def exact(questions, decimals=3):
    return "".join(f"{q.expected:.{decimals}f}\n" for q in questions)


# ---- quiz ---------------------------------------------------------------------------------------


def test_quiz_on_the_seed_right_wrong_hint_skip_quit():
    result = invoke("quiz", "dog_ate_dinner", stdin="2.71\n1.3\nh\n2.475\ns\nq\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("The dog ate his dinner: the row of dog (row 0); "
                        "the whole row: scores, scaling, softmax and the output.")
    assert "right (2.71)" in lines
    wrong = lines.index("not quite: 1.3; the step is:")
    assert lines[wrong + 1] == "   S[dog,ate] = (-0.1×0.45) + (2×0.7) = 1.355"  # that step's arithmetic
    assert "hint: (-0.1×0.25) + (2×1.25)" in lines
    skipped = lines.index("skipped; the step is:")
    assert lines[skipped + 1] == "   2.71 / √2 = 2.71 / 1.414214 = 1.9163"
    assert lines[-4:] == ["Summary", "scores: 2/3", "scaling: 0/1", "total: 2/4 (stopped after 4 of 15)"]
    assert result.stderr == ""


def test_quiz_finished_with_the_right_answers_sums_up_per_step_kind():
    questions = scenario_questions(loader.load("dog_ate_dinner"), "row")
    result = invoke("quiz", "dog_ate_dinner", stdin=exact(questions))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-6:] == ["Summary", "scores: 3/3", "scaling: 3/3", "softmax: 7/7",
                                               "output: 2/2", "total: 15/15"]
    assert "Stopped here." not in result.stdout


def test_quiz_end_of_input_quits_with_the_score_so_far():
    result = invoke("quiz", "dog_ate_dinner", "--level", "scores", stdin="2.71\n")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-5:] == ["Stopped here.", "", "Summary", "scores: 1/1",
                                               "total: 1/1 (stopped after 1 of 3)"]


@pytest.mark.parametrize("name", loader.builtin_names())
def test_quiz_finishes_on_every_built_in(name):
    questions = scenario_questions(loader.load(name), "softmax")
    result = invoke("quiz", name, "--level", "softmax", stdin=exact(questions))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"total: {len(questions)}/{len(questions)}"


def test_quiz_on_saturation_stays_readable_and_says_it_shortened():
    sc = loader.load("saturation")
    questions = scenario_questions(sc, "row")
    result = invoke("quiz", "saturation", stdin="s\n" + exact(questions[1:]))
    assert result.exit_code == 0
    out = result.stdout
    assert "Long sums and vectors are shortened to their first and last terms" in out
    assert "… 507 more …" in out and "… 509 more …" not in out  # 512 products: 3 first, 2 last
    assert max(len(line) for line in out.splitlines()) < 200
    assert out.splitlines()[-1] == f"total: {len(questions) - 1}/{len(questions)}"  # a skip counts as asked
    exact_score = show(questions[0].expected)
    assert f"= {exact_score}" in out  # the shortened step still ends on the exact result


def test_quiz_row_and_seed_pick_the_row():
    result = invoke("quiz", "translation", "--row", "2", "--level", "scores", stdin="q\n")
    assert result.stdout.splitlines()[0].startswith("Cross-attention: the black cat → le chat noir dort: the row of cat (row 2)")
    by_token = invoke("quiz", "dog_ate_dinner", "--row", "ate", "--level", "scores", stdin="q\n")
    assert "the row of ate (row 1)" in by_token.stdout and "1/3  S[ate,dog] = q_ate · k_dog" in by_token.stdout
    seeded = [invoke("quiz", "dog_ate_dinner", "--seed", "5", stdin="q\n").stdout for _ in range(2)]
    assert seeded[0] == seeded[1]


def test_generated_quiz_shows_the_exercise_and_its_seed_redoes_it():
    questions = generated_questions(7, "scaled")
    result = invoke("quiz", "--seed", "7", "--level", "scaled", stdin=exact(questions))
    assert result.exit_code == 0
    out = result.stdout
    assert "Exercise 7" in out and "Given (Q = X·W_Q, K = X·W_K, V = X·W_V, computed for you):" in out
    from attncli.practice.exercises import Options, make_exercise
    from attncli.practice.sheet import exercise_facts, exercise_title

    ex = make_exercise("7", "quiz", 1, "scaled", Options(exercises=1))  # as the sheet describes it
    assert exercise_title(ex) in out and all(fact.text[:40] in out for fact in exercise_facts(ex))
    assert out.splitlines()[-2:] == [f"total: {len(questions)}/{len(questions)}",
                                     "Redo this exercise: attncli quiz --seed 7 --level scaled; a new one: attncli quiz"]
    wide = invoke("quiz", "--seed", "42", "--level", "scores", stdin="q\n").stdout.splitlines()  # d_k = 9
    shown = wide[:next(i for i, line in enumerate(wide) if line.endswith("questions; answer to 3 decimals: "
                                                                       "an answer counts when it is within 0.0005 of "
                                                                       "the exact value (half a unit in the third "
                                                                       "decimal) or within 0.01% of it."))]
    assert max(len(line) for line in shown) <= 80  # Q, K and V wrap onto bands instead of being cut off
    assert [line.split()[0] for line in shown if re.fullmatch(r" [QKV](\s+[QKV])*\s*", line)] == ["Q", "K"]
    assert any(re.fullmatch(r" K\s+V\s*", line) for line in shown)
    drawn = invoke("quiz", "--level", "scores", stdin="q\n")
    first = drawn.stdout.splitlines()[0]
    seed = re.fullmatch(r"Exercise (\d+): to redo it later, attncli quiz --seed \1", first).group(1)
    again = invoke("quiz", "--seed", seed, "--level", "scores", stdin="q\n")
    assert again.stdout.splitlines() == drawn.stdout.splitlines()[1:]


@pytest.mark.parametrize("args, code, message", [
    (["quiz", "dog_ate_dinner", "--row", "cat"], 2,
     "Error: --row: no query token 'cat'; the tokens are dog, ate, dinner (or give a row index from 0 to 2)"),
    (["quiz", "dog_ate_dinner", "--row", "7"], 2,
     "Error: --row: row 7 is out of range; there are 3 rows (0 to 2)"),
    (["quiz", "--row", "1"], 2,
     "Error: --row picks a row of a SCENARIO; a generated exercise asks about the row it was made for "
     "(give a SCENARIO, such as dog_ate_dinner, to choose the row)"),
    (["quiz", "dog_ate_dinner", "--row", "1", "--seed", "2"], 2,
     "Error: --row and --seed both choose the row; give one of them"),
    (["quiz", "missing.yaml"], 1, "Error: missing.yaml: no such file"),
    (["quiz", "-"], 2, "Error: the quiz reads its answers from standard input, so the scenario cannot come from it "
                       "too; save the scenario to a file and give its name"),
])
def test_quiz_errors(args, code, message):
    result = invoke(*args, stdin="q\n")
    assert result.exit_code == code and result.stderr == message + "\n" and result.stdout == ""


def test_quiz_bad_level_is_a_usage_error():
    result = invoke("quiz", "--level", "all")
    assert result.exit_code == 2 and "'all' is not one of 'scores', 'scaled', 'softmax', 'row'" in result.stderr


def test_quiz_as_a_program_with_piped_answers(tmp_path):
    done = subprocess.run(program() + ["quiz", "dog_ate_dinner", "--level", "scores"], input="2.71\n1.3\n2.475\n",
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines()[-3:] == ["Summary", "scores: 2/3", "total: 2/3"]


def test_quiz_through_a_pseudo_terminal(tmp_path):
    import pty
    import select

    main_fd, sub_fd = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "NO_COLOR": "1"}
    proc = subprocess.Popen(program() + ["quiz", "dog_ate_dinner", "--level", "scores"], stdin=sub_fd,
                            stdout=sub_fd, stderr=sub_fd, cwd=tmp_path, env=env, close_fds=True)
    os.close(sub_fd)
    screen, seen = b"", 0  # seen: where the next wait starts, so an earlier prompt cannot satisfy it

    def read_until(needle: bytes) -> None:
        nonlocal screen, seen
        while needle not in screen[seen:]:
            ready, _, _ = select.select([main_fd], [], [], 60)  # a guard against a hang, not a timing
            assert ready, f"no {needle!r} on the screen: {screen.decode(errors='replace')}"
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:  # the program ended and closed the terminal
                chunk = b""
            assert chunk, f"the program ended before {needle!r}: {screen.decode(errors='replace')}"
            screen += chunk
        seen = screen.index(needle, seen) + len(needle)

    try:
        read_until(b"1/3  S[dog,dog]")
        read_until(b"> ")
        os.write(main_fd, b"2.71\n")
        read_until(b"2/3  S[dog,ate]")
        read_until(b"> ")
        os.write(main_fd, b"1.3\n")
        read_until(b"3/3  S[dog,dinner]")
        read_until(b"> ")
        os.write(main_fd, b"q\n")
        read_until(b"total: 1/2 (stopped after 2 of 3)")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main_fd)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode("utf-8")).replace("\r\n", "\n")
    assert "> 2.71\nright (2.71)" in text  # the terminal echoes what was typed, after the prompt
    assert "> 1.3\nnot quite: 1.3; the step is:\n   S[dog,ate] = (-0.1×0.45) + (2×0.7) = 1.355" in text
    assert "Stopped here.\n\nSummary\nscores: 1/2\ntotal: 1/2 (stopped after 2 of 3)" in text


# ---- worksheet ----------------------------------------------------------------------------------


def test_worksheet_writes_the_course_and_says_so(tmp_path):
    out = tmp_path / "sheets"
    result = invoke("worksheet", "--count", "2", "--seed", "attention-2026", "--out", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "key.json", "student-01.answers.yaml", "student-01.html", "student-01.md",
        "student-02.answers.yaml", "student-02.html", "student-02.md"]
    assert result.stderr.splitlines() == [
        f"wrote 7 files in {out}/: key.json (the answer key: keep it from the students) and, for each of 2 students "
        "(student-01, student-02), <student>.md and <student>.html (the sheet) and <student>.answers.yaml (to fill in)",
        "course seed 'attention-2026': the same --seed and ids give the same sheets again",
        f"grade with: attncli grade {out}/key.json ANSWER-FILES...",
    ]
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    jsonschema.validate(key, KEY_SCHEMA)
    assert key["seed"] == "attention-2026" and key["level"] == "row"
    blank = yaml.safe_load((out / "student-02.answers.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(blank, ANSWERS_SCHEMA)
    assert blank["student"] == "student-02" and set(blank["answers"].values()) == {None}
    assert list(blank["answers"]) == [q["id"] for ex in key["students"][1]["exercises"] for q in ex["questions"]]
    assert "background: #fff" in (out / "student-01.html").read_text(encoding="utf-8")


def test_worksheet_key_agrees_with_explain(tmp_path):
    out = tmp_path / "sheets"
    assert invoke("worksheet", "--count", "1", "--seed", "s", "--out", out, "--level", "softmax").exit_code == 0
    for ex in json.loads((out / "key.json").read_text(encoding="utf-8"))["students"][0]["exercises"]:
        scenario = tmp_path / f"{ex['id']}.yaml"
        scenario.write_text(yaml.safe_dump(ex["scenario"]), encoding="utf-8")
        doc = json.loads(invoke("explain", scenario, "--format", "json").stdout)
        row = doc["query_tokens"].index(ex["focus"])
        weights = [q["expected"] for q in ex["questions"] if q["kind"] == "weight"]
        np.testing.assert_allclose(weights, doc["heads"][0]["weights"][row], rtol=0, atol=1e-12)


def test_worksheet_never_overwrites_without_force(tmp_path):
    out = tmp_path / "sheets"
    invoke("worksheet", "--count", "2", "--seed", "a", "--out", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = invoke("worksheet", "--count", "2", "--seed", "b", "--out", out)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {out}: 7 of the 7 files exist already, such as student-01.md; nothing was "
                             "written: use --force to overwrite them, or another folder\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    forced = invoke("worksheet", "--count", "2", "--seed", "b", "--out", out, "--force")
    assert forced.exit_code == 0 and (out / "key.json").read_bytes() != before["key.json"]


def test_worksheet_roster_problems_one_line_each_nothing_written(tmp_path):
    roster = tmp_path / "class.txt"
    roster.write_text("# 4b\nada\n\nbo\nAda\nme/you\n", encoding="utf-8")
    result = invoke("worksheet", "--roster", roster, "--seed", "s", "--out", tmp_path / "out")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {roster}:3: a blank line; remove it (one student id per line)",
        f"Error: {roster}:5: 'Ada' is already on line 2; list each student once",
        f"Error: {roster}:6: 'me/you' cannot be a file name; use letters, digits, '.', '_' and '-' "
        "(up to 64, starting with a letter or digit)",
    ]
    assert not (tmp_path / "out").exists()
    roster.write_text("ada\nbo\n", encoding="utf-8")
    assert invoke("worksheet", "--roster", roster, "--seed", "s", "--out", tmp_path / "out").exit_code == 0
    assert (tmp_path / "out" / "bo.answers.yaml").is_file()


@pytest.mark.parametrize("args, code, message", [
    (["--seed", "s", "--out", "x"], 2,
     "Error: give --roster FILE (one student id a line) or --count N (student-01 … student-N)"),
    (["--roster", "r.txt", "--count", "2", "--seed", "s", "--out", "x"], 2,
     "Error: give --roster FILE or --count N, not both"),
    (["--roster", "absent.txt", "--seed", "s", "--out", "x"], 1, "Error: absent.txt: no such file"),
    (["--count", "2", "--seed", " ", "--out", "x"], 2,
     "Error: --seed: the course seed is empty; give any text, such as the course name and year"),
    (["--count", "2", "--seed", "s", "--out", "taken"], 1,
     "Error: taken: is a file, not a folder to write the sheets into"),
])
def test_worksheet_errors(args, code, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("", encoding="utf-8")
    result = invoke("worksheet", *args)
    assert result.exit_code == code and result.stderr == message + "\n"
    assert not (tmp_path / "x").exists()


# ---- grade --------------------------------------------------------------------------------------


def fill(key: dict, student: str, change=None) -> dict:
    """A student's answers from key.json, rounded to the asked decimals; change(answers) may spoil some."""
    entry = next(s for s in key["students"] if s["student"] == student)
    answers = {q["id"]: round(q["expected"], key["decimals"]) for ex in entry["exercises"] for q in ex["questions"]}
    if change:
        change(answers)
    return {"student": student, "seed": key["seed"], "answers": answers}


def one_mistake_and_one_that_follows(answers: dict) -> None:
    """S wrong by 1; its scaled score computed from the wrong S (so it follows); the rest exact."""
    s_id = next(qid for qid in answers if ".S[" in qid)
    scaled_id = s_id.replace(".S[", ".scaled[")
    root = answers[s_id] / answers[scaled_id] if answers[scaled_id] else None
    answers[s_id] = round(answers[s_id] + 1, 3)
    answers[scaled_id] = round(answers[s_id] / root, 3)


def course(tmp_path: Path):
    """The Done-when flow up to grading: three sheets, one answer file right, one with a mistake."""
    done = subprocess.run(program() + ["worksheet", "--count", "3", "--seed", "attention-2026", "--out", "sheets/"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    key = json.loads((tmp_path / "sheets" / "key.json").read_text(encoding="utf-8"))
    answers = tmp_path / "answers"
    answers.mkdir()
    for student, change in (("student-01", None), ("student-02", one_mistake_and_one_that_follows)):
        text = yaml.safe_dump(fill(key, student, change), sort_keys=False)
        (answers / f"{student}.answers.yaml").write_text(text, encoding="utf-8")
    return key


def grade_program(tmp_path, *args):
    files = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "answers").glob("*.yaml"))  # answers/*.yaml
    return subprocess.run(program() + ["grade", "sheets/key.json", *files, *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)


def test_done_when_full_marks_and_a_named_mistake(tmp_path):
    course(tmp_path)
    done = grade_program(tmp_path, "--format", "json")
    assert done.returncode == 0 and done.stderr == ""
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, GRADE_SCHEMA)
    right, spoiled = doc["students"]
    assert right["student"] == "student-01" and right["score"] == right["max"] > 0
    assert spoiled["student"] == "student-02" and spoiled["score"] == spoiled["max"] - 1
    wrong = [q for q in spoiled["questions"] if q["status"] == "wrong"]
    follows = [q for q in spoiled["questions"] if q["status"] == "follows"]
    assert len(wrong) == 1 and wrong[0]["id"].startswith("e1.S[") and not wrong[0]["ok"]
    assert wrong[0]["given"] == pytest.approx(wrong[0]["expected"] + 1, abs=1e-3)
    assert [q["id"] for q in follows] == [wrong[0]["id"].replace(".S[", ".scaled[")] and follows[0]["credit"] == 1
    assert doc["missing"] == ["student-03"]

    shown = grade_program(tmp_path)
    assert shown.returncode == 0
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert f"student-01      {right['score']}    {right['max']}   100%            none" in lines
    mistake = wrong[0]["id"]
    percent = f"{100 * spoiled['score'] / spoiled['max']:.0f}%"
    assert any(re.fullmatch(rf"student-02\s+{spoiled['score']}\s+{spoiled['max']}\s+{percent}\s+{re.escape(mistake)}",
                            line) for line in lines)
    assert any(re.fullmatch(rf"{re.escape(mistake)}\s+{re.escape(show(wrong[0]['expected']))}\s+"
                            rf"{re.escape(show(wrong[0]['given']))}\s+wrong", line) for line in lines)
    assert any(line.endswith("follows from your earlier answer") for line in lines)
    assert "No answer file for: student-03." in lines

    csv = grade_program(tmp_path, "--format", "csv")
    assert csv.stdout.splitlines() == [
        "student,score,max,percent,file,mistakes,not answered,status,reason",
        f"student-01,{right['score']},{right['max']},100.0,answers/student-01.answers.yaml,,0,graded,",
        f"student-02,{spoiled['score']},{spoiled['max']},{fixed(100 * spoiled['score'] / spoiled['max'], 1)},"
        f"answers/student-02.answers.yaml,\"{mistake}\",0,graded,",
        "student-03,,,,,,,no file,no answer file among those given",
    ]


def test_a_blank_sheet_is_not_answered_in_every_format(tmp_path):
    """A blank sheet scores 0 with every question not answered, never 'mistakes: none' like a perfect one."""
    course(tmp_path)
    blank = tmp_path / "answers" / "student-02.answers.yaml"
    blank.write_text((tmp_path / "sheets" / "student-02.answers.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    doc = json.loads(grade_program(tmp_path, "--format", "json").stdout)
    jsonschema.validate(doc, GRADE_SCHEMA)
    empty = doc["students"][1]
    n = empty["max"]
    assert n > 0 and (empty["student"], empty["score"], empty["not_answered"], empty["mistakes"]) == ("student-02", 0, n, [])
    assert doc["students"][0]["not_answered"] == 0
    lines = [line.strip() for line in grade_program(tmp_path).stdout.splitlines()]
    assert any(re.fullmatch(rf"student-02\s+0\s+{n}\s+0%\s+{n} not answered", line) for line in lines)
    rows = list(csv_module.reader(io.StringIO(grade_program(tmp_path, "--format", "csv").stdout)))
    assert dict(zip(rows[0], rows[2])) == {
        "student": "student-02", "score": "0", "max": str(n), "percent": "0.0",
        "file": "answers/student-02.answers.yaml", "mistakes": "", "not answered": str(n), "status": "graded",
        "reason": ""}


def test_an_unreadable_file_is_reported_as_such_not_as_no_file(tmp_path):
    """A file that cannot be read is named unreadable, with its reason, in every format: its student did hand one in."""
    course(tmp_path)
    (tmp_path / "answers" / "student-02.answers.yaml").write_bytes(b"student: \xff\n")
    done = grade_program(tmp_path, "--format", "json")
    assert done.returncode == 1
    assert done.stderr == "Error: answers/student-02.answers.yaml:1: not UTF-8 text (byte 0xff); save the file as UTF-8\n"
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, GRADE_SCHEMA)
    assert doc["ungraded"] == [{"student": "student-02", "file": "answers/student-02.answers.yaml",
                                "status": "unreadable", "reason": "line 1: not UTF-8 text (byte 0xff); save the file as UTF-8"}]
    assert doc["missing"] == ["student-03"]
    lines = [line.strip() for line in grade_program(tmp_path).stdout.splitlines()]
    assert any(re.fullmatch(r"student-02\s+—\s+—\s+—\s+file unreadable", line) for line in lines)
    assert ("answers/student-02.answers.yaml (student-02): unreadable: line 1: not UTF-8 text (byte 0xff); save the "
            "file as UTF-8") in " ".join(lines)
    assert "No answer file for: student-03." in lines
    rows = grade_program(tmp_path, "--format", "csv").stdout.splitlines()
    assert rows[2:] == [
        "student-02,,,,answers/student-02.answers.yaml,,,unreadable,line 1: not UTF-8 text (byte 0xff); save the file as UTF-8",
        "student-03,,,,,,,no file,no answer file among those given"]


def test_grade_names_each_bad_file_and_grades_the_others(tmp_path, monkeypatch):
    key = course(tmp_path)
    monkeypatch.chdir(tmp_path)
    Path("answers/broken.yaml").write_text("student: [\n", encoding="utf-8")
    Path("answers/zed.yaml").write_text("student: zed\nanswers:\n  x: 1\n", encoding="utf-8")
    first_id = next(iter(fill(key, "student-03")["answers"]))
    spoil = lambda answers: answers.update({first_id: "NOT-A-NUMBER"})
    text = yaml.safe_dump(fill(key, "student-03", spoil), sort_keys=False).replace("NOT-A-NUMBER", ".nan")
    Path("answers/nan.yaml").write_text(text, encoding="utf-8")
    result = invoke("grade", "sheets/key.json", "answers/student-01.answers.yaml", "answers/broken.yaml",
                    "answers/zed.yaml", "answers/nan.yaml", "answers/absent.yaml", "--format", "json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: answers/broken.yaml:2: invalid YAML: did not find expected node content",
        "Error: answers/zed.yaml: student 'zed' is not in this key (it has student-01, student-02, student-03)",
        "Error: answers/absent.yaml: no such file",
    ]
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, GRADE_SCHEMA)
    assert [s["student"] for s in doc["students"]] == ["student-01", "student-03"]
    nan = doc["students"][1]
    assert nan["questions"][0]["given"] is None and nan["questions"][0]["status"] == "invalid"
    assert nan["score"] == nan["max"] - 1
    assert any(note.endswith(f"{first_id}: .nan is not a number; write the value you computed") for note in nan["notes"])


def test_grade_key_problems_stop_everything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("grade", "nokey.json", "a.yaml")
    assert result.exit_code == 1 and result.stderr == "Error: nokey.json: no such file\n" and result.stdout == ""
    Path("old.json").write_text('{"format": "attncli practice key", "version": 0}', encoding="utf-8")
    result = invoke("grade", "old.json", "a.yaml")
    assert result.exit_code == 1 and result.stderr == (
        "Error: old.json: a key of version 0, but this attncli reads version 1; grade with the attncli that "
        "wrote it, or write the sheets and key again\n")
    assert invoke("grade", "old.json").exit_code == 2
    assert invoke("grade", "old.json", "a.yaml", "--format", "xml").exit_code == 2


def test_worksheet_without_a_seed_uses_a_stated_default(tmp_path):
    """`attncli worksheet --count 3 --out sheets/` works, and says which seed it used."""
    out = tmp_path / "sheets"
    result = runner.invoke(app, ["worksheet", "--count", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert ("course seed 'attncli', the default: any course without --seed gets these same sheets, so give your "
            "own, such as --seed 'physics-2026'") in " ".join(result.stderr.split())
    shown_help = " ".join(runner.invoke(app, ["worksheet", "--help"]).stdout.split())
    assert f"[default: {DEFAULT_SEED}]" in shown_help  # the CLI's default is the one commands.py names
    again = tmp_path / "again"
    assert runner.invoke(app, ["worksheet", "--count", "3", "--out", str(again), "--seed", "attncli"]).exit_code == 0
    assert (out / "key.json").read_bytes() == (again / "key.json").read_bytes()
