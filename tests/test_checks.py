"""The scenario rules are written once (attncli.checks): a YAML file and the Python API get the same words."""

import re

import pytest
from typer.testing import CliRunner

import attncli
from attncli import checks
from attncli.cli import app

RAGGED = """\
tokens: [a, b]
embeddings:
  - [1.0, 2.0]
  - [3.0]
W_Q: [[1, 0], [0, 1]]
W_K: [[1, 0], [0, 1]]
W_V: [[1, 0], [0, 1]]
"""


def test_a_ragged_matrix_gives_the_same_words_from_validate_load_and_the_api(write):
    path = write(RAGGED)
    shown = CliRunner().invoke(app, ["validate", path])
    assert shown.exit_code == 1
    assert shown.stdout.splitlines()[0] == f"{path}:4: embeddings row 1 (line 4) has 1 number, but row 0 has 2"
    with pytest.raises(attncli.AttncliError) as loaded:
        attncli.load(path)
    assert str(loaded.value) == shown.stdout.splitlines()[0]
    with pytest.raises(attncli.AttncliError) as computed:
        attncli.attention([[1.0, 2.0], [3.0]], [[1.0, 0.0]], [[1.0, 0.0]])
    assert str(computed.value) == "q row 1 has 1 number, but row 0 has 2"
    rule = re.sub(r"^.*?: embeddings| \(line \d+\)", "", str(loaded.value))
    assert rule == str(computed.value).removeprefix("q")


def test_counts_and_positions():
    assert [checks.count(n, "entry") for n in (1, 2)] == ["1 entry", "2 entries"]
    assert checks.count(3, "key") == "3 keys"  # a vowel before the y: keys, not kies
    assert checks.at_line(None) == "" and checks.at_line(5) == " (line 5)"


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf"), True, "2"])
def test_a_temperature_must_be_a_positive_number(value):
    problem = checks.temperature(value)
    assert problem.startswith("temperature must be a positive number, not ") and "divides the scores" in problem
    with pytest.raises(attncli.AttncliError, match="temperature must be a positive number"):
        attncli.run("dog_ate_dinner", temperature=value)


def test_head_rules_name_the_key_they_belong_to():
    import numpy as np

    w = {"W_Q": np.zeros((3, 2)), "W_K": np.zeros((3, 4)), "W_V": np.zeros((2, 2))}
    b = {"b_Q": np.zeros(3), "b_K": None, "b_V": None}
    problems = checks.head(w, b, "", 3, None, "x has", "x has")
    assert [key for key, _ in problems] == ["W_V", "W_K", "b_Q"]
    assert problems[0][1] == "W_V has 2 rows, but x has d_model = 3 columns (W_V is d_model × d_v)"
