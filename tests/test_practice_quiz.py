"""The quiz through piped answers: one a line, EOF quits; on any scenario and on generated exercises."""

import io

import pytest

from attncli import loader
from attncli.practice.questions import row_questions, show
from attncli.practice.quiz import Quiz, generated_questions, run_quiz, scenario_questions
from attncli.scenario import evaluate, settings_for


def piped(questions, text, decimals=3):
    """Run the quiz as `printf TEXT | attncli quiz` would: answers from a stream, output collected."""
    stream, out = io.StringIO(text), []

    def read_line():
        line = stream.readline()
        return line.rstrip("\n") if line else None

    def write(text, style):
        if text:  # blank lines only space the questions out on a screen
            out.append(text)

    quiz = run_quiz(questions, read_line, write, decimals)
    return quiz, out


def exact(questions, decimals=3):
    return "".join(f"{q.expected:.{decimals}f}\n" for q in questions)


@pytest.mark.parametrize("name", loader.builtin_names())
@pytest.mark.parametrize("level", ["scores", "row"])
def test_every_built_in_can_be_finished_with_the_right_answers(name, level):
    questions = scenario_questions(loader.load(name), level)
    quiz, out = piped(questions, exact(questions))
    assert quiz.current is None and not quiz.quit
    assert set(quiz.statuses.values()) == {"ok"}
    assert out[-1] == f"total: {len(questions)}/{len(questions)}"


def test_the_seed_row_of_dog_step_by_step():
    questions = scenario_questions(loader.load("dog_ate_dinner"), "row")
    assert [q.id for q in questions][:3] == ["S[dog,dog]", "S[dog,ate]", "S[dog,dinner]"]
    weights = [q.expected for q in questions if q.kind == "weight"]
    assert [round(w, 3) for w in weights] == [0.448, 0.172, 0.380]  # the worked example's A[dog]
    outputs = [q.expected for q in questions if q.kind == "output"]
    assert [round(o, 4) for o in outputs] == [1.2747, 2.3637]


def test_wrong_answer_shows_that_step_then_goes_on():
    questions = scenario_questions(loader.load("dog_ate_dinner"), "scores")
    quiz, out = piped(questions, "2.71\n1.3\n2.475\n")
    assert quiz.statuses == {"S[dog,dog]": "ok", "S[dog,ate]": "wrong", "S[dog,dinner]": "ok"}
    wrong_at = out.index("not quite: 1.3; the step is:")
    assert out[wrong_at + 1] == "   S[dog,ate] = (-0.1×0.45) + (2×0.7) = 1.355"
    assert out[wrong_at + 2].startswith("3/3  S[dog,dinner]")
    assert out[-2:] == ["scores: 2/3", "total: 2/3"]


def test_hint_skip_text_and_quit():
    questions = scenario_questions(loader.load("dog_ate_dinner"), "row")
    quiz, out = piped(questions, "h\n2.71\ns\nabc\n0,5\n\n2.475\nq\n1\n")
    assert "hint: (-0.1×0.9) + (2×1.4)" in out
    assert "   S[dog,ate] = (-0.1×0.45) + (2×0.7) = 1.355" in out  # a skip shows the step too
    assert "'abc' is not a number; type a number, or h for a hint, s to skip, q to quit" in out
    assert any("write the decimal point as a dot (0.5)" in line for line in out)
    assert "nothing typed; type a number, or h for a hint, s to skip, q to quit" in out
    assert quiz.quit and quiz.statuses == {"S[dog,dog]": "ok", "S[dog,ate]": "skipped", "S[dog,dinner]": "ok"}
    assert out[-2:] == ["scores: 2/3", f"total: 2/3 (stopped after 3 of {len(questions)})"]


def test_end_of_input_is_quit_with_the_score_so_far():
    questions = scenario_questions(loader.load("dog_ate_dinner"), "row")
    quiz, out = piped(questions, "2.71\n")
    assert quiz.quit and out[-4:] == ["Stopped here.", "Summary", "scores: 1/1", f"total: 1/1 (stopped after 1 of {len(questions)})"]


def test_following_from_a_wrong_answer_counts_and_says_so():
    sc = loader.load("dog_ate_dinner")
    questions = scenario_questions(sc, "softmax")
    wrong_s = 2.0  # instead of 2.71
    quiz, out = piped(questions, f"{wrong_s}\n1.355\n2.475\n{show(wrong_s / 2 ** 0.5, 3)}\n")
    assert quiz.statuses["scaled[dog,dog]"] == "follows"
    assert "follows from your earlier answer: right for the numbers you had; with the exact ones:" in out
    assert out[-3:] == ["scores: 2/3", "scaling: 1/1", f"total: 3/4 (stopped after 4 of {len(questions)})"]


def test_summary_per_step_kind_for_a_whole_row():
    questions = generated_questions(7, "row")
    answers = [f"{q.expected:.3f}" if q.kind != "exp" else "99" for q in questions]
    quiz, out = piped(questions, "\n".join(answers) + "\n")
    n = {kind: sum(q.kind == kind for q in questions) for kind in ("score", "scaled", "exp", "sum", "weight", "output")}
    softmax = n["exp"] + n["sum"] + n["weight"]
    assert out[-5:] == [f"scores: {n['score']}/{n['score']}", f"scaling: {n['scaled']}/{n['scaled']}",
                        f"softmax: {softmax - n['exp']}/{softmax}", f"output: {n['output']}/{n['output']}",
                        f"total: {len(questions) - n['exp']}/{len(questions)}"]


def test_a_seed_picks_the_row_and_a_masked_row_asks_for_zero():
    sc = loader.load("dog_ate_dinner")
    rows = {scenario_questions(sc, "scores", seed=s)[0].id.split(",")[0] for s in range(12)}
    assert rows == {"S[dog", "S[ate", "S[dinner"}
    assert scenario_questions(sc, "scores", seed=5) == scenario_questions(sc, "scores", seed=5)
    ev = evaluate(sc, settings_for(sc, mask=True))
    questions = row_questions(ev, 1, "row")
    hidden = [q for q in questions if q.id == "A[ate,dinner]"][0]
    assert hidden.expected == 0.0 and "hidden by the mask" in hidden.prompt
    assert not any(q.id in ("S[ate,dinner]", "exp[ate,dinner]") for q in questions)
    quiz, _ = piped(questions, exact(questions))
    assert set(quiz.statuses.values()) == {"ok"}


def test_quiz_state_machine_directly():
    questions = generated_questions("abc", "scaled")
    quiz = Quiz(questions)
    assert quiz.ask()[0].startswith(f"1/{len(questions)}  ") and quiz.ask()[1].lstrip().startswith("q_")
    assert quiz.respond("h").status == "hint" and quiz.index == 0
    assert quiz.respond(f"{questions[0].expected}").status == "ok" and quiz.index == 1
    assert quiz.respond(None).status == "quit" and quiz.current is None


MINUS = "\u2212"


@pytest.mark.parametrize("yaml_tail", ["mask: true\n", "embeddings_scale: 40\n"], ids=["masked", "shifted"])
def test_the_quiz_and_the_key_write_the_ascii_minus_sign(write, yaml_tail):
    """The README promises the ASCII minus (-0.10, -∞): the quiz's prompts, hints and sums, and so key.json, use it."""
    from conftest import SEED_YAML

    if yaml_tail.startswith("embeddings_scale"):  # scores past 30: exp(z - max), with a negative max
        text = SEED_YAML.replace("[1.0, 2.0, 3.0]", "[-30.0, -60.0, -90.0]").replace("[0.5, 1.0, 1.5]", "[-15.0, -30.0, -45.0]").replace("[2.0, 1.0, 0.5]", "[-60.0, -30.0, -15.0]")
    else:
        text = SEED_YAML + yaml_tail
    questions = scenario_questions(loader.load(write(text)), "row", row=0)
    words = [w for q in questions for w in (q.prompt, q.hint, *q.arithmetic)]
    assert not [w for w in words if MINUS in w]
    if yaml_tail.startswith("mask"):
        assert "a hidden key gets exp(-∞) = 0" in words
    else:
        exps = [q for q in questions if q.kind == "exp"]
        assert exps and all(" - " in q.hint for q in exps), [q.hint for q in exps]


def test_a_worksheet_key_has_no_unicode_minus():
    from attncli.practice.worksheet import build_sheets

    files = dict(build_sheets(["ada", "bo"], "minus", "row"))
    assert all(MINUS not in text for text in files.values())
