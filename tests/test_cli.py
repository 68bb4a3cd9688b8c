"""The CLI as a user meets it: through CliRunner, and once as the installed `attncli` program."""

import json
import re
import subprocess
import sys

import jsonschema
import numpy as np
import pytest
import reference
import yaml
from conftest import SCRIPT, SEED_YAML, program, program_env
from typer.testing import CliRunner

from attncli import loader
from attncli.cli import app

runner = CliRunner()


def invoke(*args, **kwargs):
    return runner.invoke(app, list(args), **kwargs)


def explain_json(*args):
    result = invoke("explain", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_explain_shows_every_step_of_the_seed():
    result = invoke("explain")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for needle in ("The dog ate his dinner", "Q (3×2)", "K (3×2)", "V (3×2)", "S = Q·Kᵀ (3×3)",
                   "S / √2", "softmax", "Output = A·V (3×2)", "0.448", "0.172", "0.380", "1.275", "2.364"):
        assert needle in out, needle
    assert result.stderr == ""


def test_explain_json_matches_the_seed():
    doc = explain_json()
    assert doc["scenario"] == "The dog ate his dinner"
    assert doc["query_tokens"] == doc["key_tokens"] == ["dog", "ate", "dinner"]
    assert doc["scaled"] is True and doc["masked"] is False
    assert doc["scale"] == pytest.approx(1 / np.sqrt(2), rel=1e-15)
    head = doc["heads"][0]
    assert head["d_k"] == 2 and "masked_scores" not in head
    np.testing.assert_allclose(head["weights"][0], [0.448, 0.172, 0.380], atol=5e-4)
    np.testing.assert_allclose(doc["output"][0], [1.2747, 2.3637], atol=1e-4)
    assert doc["output"] == head["output"]
    np.testing.assert_allclose(head["scores"][0], [2.71, 1.355, 2.475], atol=1e-12)


def test_explain_json_no_scale_and_mask():
    doc = explain_json("--no-scale")
    assert doc["scaled"] is False and doc["scale"] == 1.0
    np.testing.assert_allclose(doc["heads"][0]["weights"][0], [0.488, 0.126, 0.386], atol=1e-3)
    doc = explain_json("--mask")
    assert doc["masked"] is True
    head = doc["heads"][0]
    np.testing.assert_allclose(head["weights"][1], [0.6175, 0.3825, 0], atol=1e-3)
    assert head["weights"][1][2] == 0.0
    assert head["masked_scores"][0][1] is None and head["masked_scores"][1][1] is not None


def test_mask_flag_overrides_the_scenario(write):
    path = write(SEED_YAML + "mask: causal\nscale: false\n")
    assert explain_json(path)["masked"] is True
    doc = explain_json(path, "--no-mask", "--scale")
    assert doc["masked"] is False and doc["scaled"] is True


def test_json_is_strict_and_full_precision():
    result = invoke("explain", "--format", "json")
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout
    doc = json.loads(result.stdout)
    from attncli import loader
    from attncli.scenario import evaluate, settings_for

    sc = loader.load("dog_ate_dinner")
    exact = evaluate(sc, settings_for(sc)).steps.heads[0].weights
    assert doc["heads"][0]["weights"] == exact.tolist()  # every float64 bit survives the round trip


def test_focus_writes_out_the_seeds_arithmetic():
    out = invoke("explain", "--focus", "dog").stdout
    assert "S[dog,dog] = (-0.10×0.90) + (2.00×1.40) = 2.71" in out
    assert "S[dog,ate] = (-0.10×0.45) + (2.00×0.70) = 1.355" in out
    assert "A[dog] = [0.448, 0.172, 0.380]" in out
    assert "Output_dog = 0.448×V_dog + 0.172×V_ate + 0.380×V_dinner" in out
    assert "[1.275, 2.364]" in out
    assert "[1.275, 2.363]" in out and "[1.2747, 2.3637]" in out  # the rounding lesson
    assert invoke("explain", "--focus", "0").stdout == out


def test_focus_errors_are_usage_errors():
    result = invoke("explain", "--focus", "cat")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: --focus: no query token 'cat'; the tokens are dog, ate, dinner "
                                     "(or give a row index from 0 to 2)")
    result = invoke("explain", "--focus", "7")
    assert result.exit_code == 2 and "row 7 is out of range" in result.stderr


def test_focus_on_a_duplicate_token_asks_for_an_index(write):
    path = write("tokens: [the, cat, the]\nembeddings: [[1], [2], [3]]\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[1]]\n")
    result = invoke("explain", path, "--focus", "the")
    assert result.exit_code == 2
    assert "--focus: token 'the' appears 2 times; pick its row by number: 0 or 2" in result.stderr
    assert invoke("explain", path, "--focus", "2").exit_code == 0


def test_focus_with_mask_shows_hidden_keys():
    out = invoke("explain", "--mask", "--focus", "ate").stdout
    assert "exp(-∞) = 0" in out and "A[ate] = [0.618, 0.382, 0.000]" in out


def test_markdown_format():
    result = invoke("explain", "--format", "markdown", "--focus", "dog")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("# The dog ate his dinner")
    assert "| **dog** | 0.448 | 0.172 | 0.380 |" in out
    assert "S[dog,dog] = (-0.10×0.90) + (2.00×1.40) = 2.71" in out


def test_precision_and_no_colour_glyphs():
    out = invoke("explain", "--precision", "5", "--no-color").stdout
    assert "0.44833" in out and "\x1b[" not in out
    assert "0.44833 ▒" in out  # weights carry a block glyph when there is no colour


def test_colour_shading_when_forced():
    result = runner.invoke(app, ["explain"], color=True, env={"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm-256color"})
    assert "\x1b[" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["explain", "--temperature", "0"], "--temperature must be a positive number, not 0"),
    (["explain", "--temperature", "-1"], "--temperature must be a positive number, not -1"),
    (["explain", "--temperature", "nan"], "--temperature must be a positive number, not nan"),
])
def test_bad_values_are_usage_errors(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("args", [["explain", "--precision", "-1"], ["explain", "--format", "xml"], ["explain", "--bogus"]])
def test_typer_usage_errors_exit_2(args):
    result = invoke(*args)
    assert result.exit_code == 2 and result.stdout == ""


def test_bad_file_is_one_line_on_stderr_with_exit_1(write):
    path = write(SEED_YAML.replace("W_V", "W_v"))
    result = invoke("explain", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {path}:9: unknown key 'W_v'; did you mean W_V?\n"


def test_random_scenario_matches_the_reference(write):
    path = write("random: {seed: 3, tokens: 5, d_model: 4, d_k: 3, d_v: 2}\nmask: causal\n")
    doc = explain_json(path)
    from attncli import loader

    sc = loader.load(path)
    head = sc.heads[0]
    _, weights, output = reference.attention(sc.x.tolist(), head.w_q.tolist(), head.w_k.tolist(), head.w_v.tolist(),
                                             allowed=np.tril(np.ones((5, 5), bool)).tolist())
    np.testing.assert_allclose(doc["heads"][0]["weights"], weights, atol=1e-12)
    np.testing.assert_allclose(doc["output"], output, atol=1e-12)


def test_stdin_scenario():
    result = invoke("explain", "-", "--format", "json", input=SEED_YAML)
    assert result.exit_code == 0
    np.testing.assert_allclose(json.loads(result.stdout)["output"][0], [1.2747, 2.3637], atol=1e-4)


def test_scenarios_lists_builtins_and_show_prints_yaml():
    out = invoke("scenarios").stdout
    assert "dog_ate_dinner" in out and "The dog ate his dinner" in out
    shown = invoke("show", "dog_ate_dinner").stdout
    assert "W_Q: [[0.6, -0.2], [0.1, 0.5], [-0.3, 0.4]]" in shown
    result = invoke("show", "nope")
    assert result.exit_code == 1 and "no built-in scenario 'nope'" in result.stderr


def test_every_command_has_help():
    import typer.main

    group = typer.main.get_command(app)
    assert group.commands
    for name, command in group.commands.items():
        assert command.help, name
        result = invoke(name, "--help")
        assert result.exit_code == 0 and "Usage" in result.stdout, name
    assert "explain" in invoke("--help").stdout


def test_installed_entry_point_runs_as_a_subprocess(tmp_path):
    if not SCRIPT.exists():
        pytest.skip(f"no installed `attncli` script at {SCRIPT}: the suite runs from the source tree")
    done = subprocess.run([str(SCRIPT), "explain", "--format", "json"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(json.loads(done.stdout)["heads"][0]["weights"][0], [0.448, 0.172, 0.380], atol=5e-4)


def test_python_m_attncli_runs_the_same_cli(tmp_path):
    done = subprocess.run([sys.executable, "-m", "attncli", "explain", "missing.yaml"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60, env=program_env())
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "Error: missing.yaml: no such file\n")


def run_program(*args, cwd):
    return subprocess.run([*program(), *args], capture_output=True, text=True, cwd=cwd, timeout=60, env=program_env())


def test_usage_error_in_a_real_process_exits_2_with_one_message(tmp_path):
    done = run_program("explain", "--precision", "-1", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert "--precision" in done.stderr and "Traceback" not in done.stderr


# One real process per command, each checked by what it printed; CliRunner covers the details.
def check_explain(out, cwd):
    assert "A[dog] = [0.448, 0.172, 0.380]" in out


def check_compare(out, cwd):
    np.testing.assert_allclose(json.loads(out)["variant"]["heads"][0]["weights"][0], [0.488, 0.126, 0.386], atol=1e-3)


def check_complexity(out, cwd):
    rows = json.loads(out)["rows"]
    assert [(r["n"], r["matrix_bytes"]) for r in rows] == [(128, 128 * 128 * 8), (256, 256 * 256 * 8)]


def check_scenarios(out, cwd):
    assert "dog_ate_dinner" in out and "The dog ate his dinner" in out


def check_show(out, cwd):
    assert out == loader.builtin_text("dog_ate_dinner")


def check_new_then_validate(out, cwd):
    assert (cwd / "x.yaml").is_file()
    done = run_program("validate", "x.yaml", cwd=cwd)
    assert (done.returncode, done.stdout, done.stderr) == (0, "x.yaml: ok\n", "")


def check_schema(out, cwd):
    jsonschema.validate(yaml.safe_load(SEED_YAML), json.loads(out))


@pytest.mark.parametrize("args, check", [
    (["explain", "--focus", "dog", "--no-color"], check_explain),
    (["compare", "--no-scale", "--format", "json"], check_compare),
    (["complexity", "--max-n", "256", "--format", "json"], check_complexity),
    (["scenarios"], check_scenarios),
    (["show", "dog_ate_dinner"], check_show),
    (["new", "x.yaml"], check_new_then_validate),
    (["schema"], check_schema),
], ids=["explain", "compare", "complexity", "scenarios", "show", "new+validate", "schema"])
def test_each_command_runs_as_a_real_process(tmp_path, args, check):
    done = run_program(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    check(done.stdout, tmp_path)


TWO_UNNAMED_HEADS = """\
tokens: [a, b]
embeddings: [[1, 0], [0, 1]]
heads:
  - {W_Q: [[1, 0], [0, 1]], W_K: [[1, 0], [0, 1]], W_V: [[1, 0], [0, 1]]}
  - {W_Q: [[0, 1], [1, 0]], W_K: [[1, 0], [0, 1]], W_V: [[1, 0], [0, 1]]}
"""


def test_unnamed_heads_are_named_from_0_as_they_are_counted(write):
    """'Head 0: head 1' named one head twice: a default name is the head's index."""
    path = write(TWO_UNNAMED_HEADS)
    doc = json.loads(runner.invoke(app, ["explain", path, "--format", "json"]).stdout)
    assert [h["name"] for h in doc["heads"]] == ["head 0", "head 1"]
    shown = runner.invoke(app, ["explain", path, "--no-color"]).stdout
    assert "Head 0: head 0 (d_k = 2, d_v = 2)" in shown and "Head 1: head 1 (d_k = 2, d_v = 2)" in shown
    single = json.loads(runner.invoke(app, ["explain", write(SEED_YAML, "one.yaml"), "--format", "json"]).stdout)
    assert single["heads"][0]["name"] == "head 0"


def test_every_usage_line_names_its_arguments_in_one_style():
    """Typer's brackets ({required}, [optional], ... for several) around upper-case names, as the README writes them."""
    import typer.main

    group = typer.main.get_command(app)
    names = sorted(group.commands)
    assert len(names) >= 12
    style = re.compile(r"Usage: attncli [a-z]+ \[OPTIONS\](?: (?:\{[A-Z][A-Z_]*\}|\[[A-Z][A-Z_]*\])(?:\.\.\.)?)*")
    for name in names:
        first = runner.invoke(app, [name, "--help"], prog_name="attncli").stdout.splitlines()[0]
        assert style.fullmatch(first), first
