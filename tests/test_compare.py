"""`attncli compare`: the numbers behind "why divide by √d_k", checked against independent computations."""

import json
import math

import numpy as np
import pytest
import reference
from conftest import SEED_YAML
from typer.testing import CliRunner

from attncli import core
from attncli.cli import app

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, ["compare", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_no_scale_on_the_seed():
    doc = run_json("--no-scale")
    assert doc["baseline"]["scaled"] is True and doc["variant"]["scaled"] is False
    np.testing.assert_allclose(doc["baseline"]["heads"][0]["weights"][0], [0.448, 0.172, 0.380], atol=1e-3)
    np.testing.assert_allclose(doc["variant"]["heads"][0]["weights"][0], [0.488, 0.126, 0.386], atol=1e-3)
    for side in ("baseline", "variant"):
        for row, weights in zip(doc["rows"], doc[side]["heads"][0]["weights"]):
            entropy, top, grad = reference.row_stats(weights)
            assert row[side]["entropy"] == pytest.approx(entropy, abs=1e-9)
            assert row[side]["grad_norm"] == pytest.approx(grad, abs=1e-9)
            assert row[side]["max_weight"] == top
            assert row[side]["effective_keys"] == pytest.approx(math.exp(entropy), rel=1e-12)
    assert [r["token"] for r in doc["rows"]] == ["dog", "ate", "dinner"]
    assert doc["verdict"][0] == "Without scaling, 'dog' puts 0.488 on itself instead of 0.448."


def test_rich_output_shows_both_and_the_verdict():
    out = runner.invoke(app, ["compare", "--no-scale", "--no-color"]).stdout
    assert "baseline A (3×3)" in out and "variant A (3×3)" in out
    assert "0.448 → 0.488" in out
    assert "Without scaling, 'dog' puts 0.488 on itself instead of 0.448." in out


def test_saturation_builtin_saturates_only_unscaled():
    doc = run_json("saturation", "--no-scale")
    base = np.mean([r["baseline"]["max_weight"] for r in doc["rows"]])
    var = np.mean([r["variant"]["max_weight"] for r in doc["rows"]])
    assert var > 0.95 and base < 0.8
    assert any("softmax has saturated" in line for line in doc["verdict"])


def test_sweep_shows_variance_tracking_d_k():
    result = runner.invoke(app, ["compare", "--sweep-dk", "2,8,32,128,512", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["sweep"]
    assert [r["d_k"] for r in rows] == [2, 8, 32, 128, 512]
    for r in rows:
        if r["d_k"] >= 8:
            assert r["unscaled"]["score_var"] == pytest.approx(r["d_k"], rel=0.2)
            assert r["scaled"]["score_var"] == pytest.approx(1.0, rel=0.2)
    unscaled_max = [r["unscaled"]["max_weight"] for r in rows]
    scaled_max = [r["scaled"]["max_weight"] for r in rows]
    assert unscaled_max == sorted(unscaled_max) and unscaled_max[-1] > 0.85
    assert max(scaled_max) - min(scaled_max) < 0.1


def test_sweep_rich_and_markdown():
    out = runner.invoke(app, ["compare", "--sweep-dk", "8,32,512", "--no-color", "--width", "200"]).stdout
    assert "Why divide by √d_k?" in out and "That is why attention divides by √d_k" in out
    few = runner.invoke(app, ["compare", "--sweep-dk", "8,32", "--no-color", "--width", "200"]).stdout
    assert "does not yet show why attention divides by √d_k" in few and "That is why" not in few
    md = runner.invoke(app, ["compare", "--sweep-dk", "8,32", "--format", "markdown"]).stdout
    assert "| d_k | var scaled | var raw |" in md


def test_every_sweep_table_caption_says_what_its_columns_are():
    """The first caption names 'var' too, not only the columns after it."""
    from attncli.commands import sweep

    grids = [b for b in sweep("8,32", 3).pages[0].blocks if type(b).__name__ == "Grid"]
    assert grids[0].title == ("var: variance of the scores entering softmax; max w: mean largest weight; "
                              "saturated: rows with largest weight ≥ 0.99")
    md = runner.invoke(app, ["compare", "--sweep-dk", "8,32", "--format", "markdown"]).stdout
    assert "var: variance of the scores entering softmax; max w:" in md


def test_temperature_half_doubles_the_scores():
    doc = run_json("--temperature", "0.5")
    base = doc["baseline"]["heads"][0]
    var = doc["variant"]["heads"][0]
    expected = core.softmax(2 * np.array(base["scaled_scores"]))
    np.testing.assert_allclose(var["weights"], expected, atol=1e-12)
    assert var["scale"] == pytest.approx(2 * base["scale"], rel=1e-15)
    assert doc["change"] == "At temperature 0.5"


def test_mask_variant():
    doc = run_json("--mask")
    assert doc["variant"]["masked"] is True and doc["baseline"]["masked"] is False
    assert doc["variant"]["heads"][0]["weights"][0] == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("args, message", [
    (["--temperature", "0"], "--temperature must be a positive number, not 0"),
    (["--scale"], "--scale changes nothing: the scenario already divides by √d_k; try --no-scale"),
    (["--no-mask"], "the variant flags change nothing in this scenario"),
    (["--sweep-dk", "2,x"], "--sweep-dk: d_k takes whole numbers from 1 to 4096 separated by commas, like 2,8,32,128,512; 'x' is not one"),
    (["--sweep-dk", "0"], "'0' is not one"),
    (["--sweep-dk", "8", "--temperature", "2"], "--sweep-dk compares scaled against unscaled"),
    (["--sweep-dk", "8", "--no-scale"], "it takes no SCENARIO, --scale/--no-scale, --temperature or --mask"),
    (["saturation", "--sweep-dk", "8"], "it takes no SCENARIO"),
    (["--sweep-dk", "²"], "--sweep-dk: d_k takes whole numbers from 1 to 4096 separated by commas, like 2,8,32,128,512; '²' is not one"),
])
def test_usage_errors(args, message):
    result = runner.invoke(app, ["compare", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_bad_scenario_in_compare_is_exit_1(write):
    result = runner.invoke(app, ["compare", write("embeddings: [[1]]\n"), "--no-scale"])
    assert result.exit_code == 1 and "missing key 'W_Q'" in result.stderr


def test_markdown_compare():
    md = runner.invoke(app, ["compare", "--no-scale", "--format", "markdown"]).stdout
    assert md.startswith("# Compare: The dog ate his dinner")
    assert "| **dog** | 0.488 | 0.126 | 0.386 |" in md


def test_without_a_variant_flag_compare_turns_scaling_off_and_says_so():
    """The README's `compare --step` works: no flag compares against --no-scale, the lesson's main comparison."""
    default, chosen = run_json(), run_json("--no-scale")
    assert default["default_variant"] is True and chosen["default_variant"] is False
    assert default["change"] == chosen["change"] == "Without scaling"
    assert default["variant"] == chosen["variant"] and default["verdict"] == chosen["verdict"]
    shown = runner.invoke(app, ["compare", "--no-color", "--width", "200"])
    assert shown.exit_code == 0
    assert ("No variant was given, so the variant is --no-scale, the lesson's main comparison: the same scenario "
            "with its scaling by √d_k turned off. Choose another with --scale/--no-scale, --temperature T or "
            "--mask/--no-mask.") in " ".join(shown.stdout.split())
    assert "No variant was given" not in runner.invoke(app, ["compare", "--no-scale", "--no-color"]).stdout


def test_a_scenario_written_without_scaling_gets_scaling_as_its_default_variant(write):
    path = write(SEED_YAML + "scale: false\n")
    doc = json.loads(runner.invoke(app, ["compare", path, "--format", "json"]).stdout)
    assert doc["change"] == "With scaling" and doc["default_variant"] is True
    assert doc["baseline"]["scaled"] is False and doc["variant"]["scaled"] is True


def test_compare_step_runs_without_a_variant_flag():
    """Presenter mode on a screen that is not a terminal prints every page; it used to stop at 'needs a variant'."""
    result = runner.invoke(app, ["compare", "--step", "--no-color"])
    assert result.exit_code == 0, result.stderr
    assert "variant: without scaling" in result.stdout


def test_the_api_compares_against_no_scaling_by_default():
    import attncli

    cmp = attncli.comparison("dog_ate_dinner")
    assert cmp.change == "Without scaling" and not cmp.chosen and cmp.to_dict()["default_variant"] is True
