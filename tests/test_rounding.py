"""Numbers are rounded as a person rounds them: a final 5 away from zero, in every place a number is shown."""

import json
import re
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from attncli.cli import app
from attncli.numbers import fixed, trim
from attncli.practice.grading import GradeReport, QuestionGrade, StudentGrade
from attncli.practice.questions import show
from attncli.views.practice import percent

runner = CliRunner()


def by_hand(x: float, places: int) -> str:
    """What a person writes: the number to 15 significant digits, rounded half away from zero."""
    return format(Decimal(f"{x:.15g}").quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


def test_half_values_round_away_from_zero():
    assert fixed(0.6775, 3) == "0.678" and fixed(-0.6775, 3) == "-0.678"
    assert fixed(2.675, 2) == "2.68" and fixed(5.8125, 3) == "5.813" and fixed(2.5, 0) == "3"
    assert fixed(0.55 * 2.25, 3) == "1.238"  # 1.2374999999999998 in float64, 1.2375 on paper
    assert fixed(0.6774999, 3) == "0.677" and fixed(0.67751, 3) == "0.678" and fixed(-0.0004, 3) == "0.000"
    assert trim(0.6775, 3) == "0.678" and show(0.6775, 3) == "0.678" and show(2.5, 0) == "3"


@given(st.floats(-1e6, 1e6), st.integers(0, 6))
@example(0.6775, 3)
@example(0.55 * 2.25, 3)
@example(-2.675, 2)
def test_every_number_is_shown_as_a_person_rounds_it(x, places):
    expected = by_hand(x, places)
    if expected.lstrip("-").strip("0.") == "":
        expected = expected.lstrip("-")
    assert fixed(x, places) == expected


def test_the_score_table_and_the_hand_calculation_round_half_up():
    """dog_ate_dinner has S[ate, ate] = 0.6775 and S[ate, dinner] = 0.55 × 2.25 = 1.2375."""
    table = runner.invoke(app, ["explain", "--no-color", "--width", "120"]).stdout
    row = next(line for line in table.splitlines() if line.split()[:2] == ["ate", "1.355"])
    assert row.split()[:4] == ["ate", "1.355", "0.678", "1.238"]
    focus = runner.invoke(app, ["explain", "--focus", "ate", "--no-color", "--width", "120"]).stdout
    assert "= 0.678" in focus and "= 1.238" in focus
    assert not re.search(r"\b(0\.677|1\.237)\b", focus)
    assert "Numbers are rounded as by hand, a final 5 away from zero: 0.6775 shows as 0.678." in " ".join(
        line.strip(" │") for line in focus.splitlines())
    markdown = runner.invoke(app, ["explain", "--format", "markdown"]).stdout
    assert "| **ate** | 1.355 | 0.678 | 1.238 |" in markdown


def test_json_keeps_the_exact_numbers():
    doc = json.loads(runner.invoke(app, ["explain", "--format", "json"]).stdout)
    assert doc["heads"][0]["scores"][1][1] == 0.6775


def test_the_gradebook_rounds_percentages_half_up():
    questions = tuple(QuestionGrade(f"e1.q{i}", "score", 1.0, 1.0 if i == 0 else 9.0, "ok" if i == 0 else "wrong")
                      for i in range(16))
    report = GradeReport(key=None, students=(StudentGrade("ada", "ada.yaml", questions),))
    assert report.csv_rows()[1][3] == "6.3"  # 100/16 = 6.25
    assert percent(1, 8) == "13%"  # 12.5
