"""The Python API as a user calls it: array-likes in, the seed's numbers out, the CLI's words on mistakes."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import reference
from conftest import SEED_YAML
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from typer.testing import CliRunner

import attncli
from attncli.cli import app

SEED_ROW = [0.448, 0.172, 0.380]
SEED_OUTPUT = [1.2747, 2.3637]
X = [[1.0, 2.0, 3.0], [0.5, 1.0, 1.5], [2.0, 1.0, 0.5]]
W_Q = [[0.6, -0.2], [0.1, 0.5], [-0.3, 0.4]]
W_K = [[0.2, 0.3], [-0.4, 0.7], [0.5, -0.1]]
W_V = [[0.9, 0.1], [0.2, 0.8], [-0.1, 0.6]]


def cli_error(yaml_text, tmp_path, *args):
    """The one-line message `attncli explain` prints for a scenario, without 'Error: file:line: '."""
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    result = CliRunner().invoke(app, ["explain", str(path), *args])
    assert result.exit_code == 1, result.output
    return result.stderr.strip().split(": ", 2)[-1]


def api_error(call):
    with pytest.raises(attncli.AttncliError) as info:
        call()
    return str(info.value)


# ---- the seed through every door ------------------------------------------------------------------


@pytest.mark.parametrize("source", ["dog_ate_dinner", SEED_YAML, "file", "pathlike"])
def test_load_and_run_give_the_seed_row(source, tmp_path):
    if source in ("file", "pathlike"):
        path = tmp_path / "seed.yaml"
        path.write_text(SEED_YAML, encoding="utf-8")
        source = str(path) if source == "file" else path
    steps = attncli.run(attncli.load(source))
    np.testing.assert_allclose(steps.heads[0].weights[0], SEED_ROW, atol=5e-4)
    np.testing.assert_allclose(steps.output[0], SEED_OUTPUT, atol=1e-4)
    assert steps.query_tokens == ("dog", "ate", "dinner")


def test_results_are_typed_read_only_records_with_their_labels_as_fields():
    import typing

    steps = attncli.run("dog_ate_dinner")
    head = steps.heads[0]
    hints = typing.get_type_hints(attncli.HeadSteps)
    assert hints["weights"] is np.ndarray and "query_tokens" in hints
    assert "evaluation" in attncli.AttentionSteps.__match_args__
    again = attncli.HeadSteps(**{**vars(head), "query_tokens": ("a", "b", "c")})
    assert again.query_tokens == ("a", "b", "c") and again.weights is head.weights
    assert head._replace(key_tokens=("x", "y", "z")).key_tokens == ("x", "y", "z") and head.key_tokens[0] == "dog"
    with pytest.raises(AttributeError, match="read-only"):
        steps.output = None


def test_the_done_when_line_prints_the_seed_row():
    out = subprocess.run([sys.executable, "-c", "import attncli; print(attncli.run(attncli.load('dog_ate_dinner'))"
                          ".heads[0].weights[0])"], capture_output=True, text=True, check=True).stdout
    assert [round(float(w), 3) for w in out.strip("[] \n").split()] == SEED_ROW


def test_run_results_carry_the_json_contract():
    steps = attncli.run("dog_ate_dinner")
    doc = steps.to_dict()
    assert doc["heads"][0]["weights"] == steps.heads[0].weights.tolist()
    assert doc["output"] == steps.output.tolist()
    np.testing.assert_allclose(steps.heads[0].scores[0], [2.71, 1.355, 2.475], atol=1e-12)
    assert steps.heads[0].d_k == 2 and steps.heads[0].scale == pytest.approx(1 / math.sqrt(2), rel=1e-15)


def test_one_line_yaml_text_is_yaml_and_a_missing_name_is_the_clis_error():
    sc = attncli.load("{embeddings: [[1, 0], [0, 1]], W_Q: [[1], [0]], W_K: [[1], [0]], W_V: [[1], [2]]}")
    assert sc.tokens == ("t0", "t1")
    message = api_error(lambda: attncli.load("dog_ate_diner"))
    assert message.startswith("dog_ate_diner: no such file or built-in scenario") and "did you mean dog_ate_dinner" in message


def test_yaml_text_errors_name_the_line():
    message = api_error(lambda: attncli.load(SEED_YAML.replace("[0.5, 1.0, 1.5]", "[0.5, 1.0]")))
    assert message == "<text>:5: embeddings row 1 (line 5) has 2 numbers, but row 0 has 3"


# ---- attention(q, k, v) ---------------------------------------------------------------------------


def seed_qkv():
    x = np.array(X)
    return x @ np.array(W_Q), x @ np.array(W_K), x @ np.array(W_V)


@pytest.mark.parametrize("convert", [lambda m: m.tolist(), lambda m: m.astype(np.float32), lambda m: m,
                                     lambda m: tuple(map(tuple, m.tolist()))], ids=["lists", "float32", "float64", "tuples"])
def test_attention_takes_array_likes_and_computes_in_float64(convert):
    q, k, v = seed_qkv()
    head = attncli.attention(convert(q), convert(k), convert(v))
    assert head.weights.dtype == np.float64 and head.q.dtype == np.float64
    expected = attncli.attention(np.asarray(convert(q), dtype=np.float64), np.asarray(convert(k), dtype=np.float64),
                                 np.asarray(convert(v), dtype=np.float64))
    np.testing.assert_array_equal(head.weights, expected.weights)  # float32 widened, then computed in float64
    np.testing.assert_allclose(head.weights[0], SEED_ROW, atol=5e-4)
    assert head.scale == 1 / math.sqrt(2)  # d_k inferred from q's width


def test_attention_scale_and_masks():
    q, k, v = seed_qkv()
    unscaled = attncli.attention(q, k, v, scale=1.0)
    np.testing.assert_allclose(unscaled.weights[0], [0.488, 0.126, 0.386], atol=1e-3)
    causal = attncli.attention(q, k, v, mask="causal")
    np.testing.assert_allclose(causal.weights[1], [0.6175, 0.3825, 0], atol=1e-3)
    assert causal.weights[0, 0] == 1.0 and causal.weights[0, 1] == 0.0
    allowed = [[1, 0, 1], [1, 1, 1], [0, 0, 1]]
    from_ints = attncli.attention(q, k, v, mask=allowed)
    from_bools = attncli.attention(q, k, v, mask=np.array(allowed, dtype=bool))
    np.testing.assert_array_equal(from_ints.weights, from_bools.weights)
    assert from_ints.weights[2].tolist() == [0.0, 0.0, 1.0]


@pytest.mark.parametrize("args, kwargs, message", [
    (([1, 2], [[1, 2]], [[1]]), {}, "q should be a list of rows, like [[1, 2, 3]], not a flat list of numbers"),
    (([[1, 2], [3]], [[1, 2]], [[1]]), {}, "q row 1 has 1 number, but row 0 has 2"),
    (([], [[1]], [[1]]), {}, "q is empty; it should be a list of rows, like [[1, 2], [3, 4]]"),
    (([[1, 2]], [[1]], [[1]]), {}, "q has 2 columns but k has 1: queries and keys need the same width d_k to take "
                                   "their dot products"),
    (([[1]], [[1], [2]], [[1]]), {}, "k has 2 rows but v has 1: every key needs its value (one row of v per row of k)"),
    (([[1, float("nan")]], [[1, 2]], [[1]]), {}, "q row 0, column 1 is nan: NaN and infinity are not allowed"),
    (([["a"]], [[1]], [[1]]), {}, "q row 0, column 0 is 'a', not a number"),
    (([[True]], [[1]], [[1]]), {}, "q holds booleans (True/False), not numbers"),
    (([[[1]]], [[1]], [[1]]), {}, "q should be a matrix (a list of rows), not a 3-dimensional array of shape (1, 1, 1)"),
    (([[1]], [[1]], [[1]]), {"scale": 0}, "scale must be a positive number (the scores are multiplied by it), "
                                          "or None for 1/√d_k, not 0"),
    (([[1]], [[1]], [[1]]), {"mask": "upper"}, "mask should be a boolean array (True = may attend) or \"causal\", "
                                               "not 'upper'"),
    (([[1]], [[1]], [[1]]), {"mask": [[1, 1]]}, "mask is 1×2, but it needs one row per query and one column per key: 1×1"),
    (([[1]], [[1]], [[1]]), {"mask": [[0.5]]}, "mask row 0, column 0 is 0.5; it should be True or 1 (may attend) or "
                                               "False or 0 (hidden)"),
    (([[1]], [[1]], [[1]]), {"mask": [[0]]}, "the mask hides every key from query 'q0' (row 0): softmax over no keys "
                                             "is 0/0 (PyTorch gives NaN); let every query see at least one key"),
    (([[1e200]], [[1e200]], [[1]]), {}, "S = Q·Kᵀ overflows float64 at [q0, k0] (value inf): the numbers are too "
                                        "large to compute with; scale q, k or v down"),
])
def test_attention_refuses_bad_input_in_words(args, kwargs, message):
    assert api_error(lambda: attncli.attention(*args, **kwargs)) == message


# ---- the same mistakes in the CLI and the API: the same words ----------------------------------------


def test_shape_mistakes_read_as_the_cli_words_them(tmp_path):
    flat = cli_error(SEED_YAML.replace("  - [1.0, 2.0, 3.0]\n  - [0.5, 1.0, 1.5]\n  - [2.0, 1.0, 0.5]",
                                       "  [1.0, 2.0, 3.0]"), tmp_path)
    assert flat == "embeddings should be a list of rows, like [[1, 2, 3]], not a flat list of numbers"
    assert api_error(lambda: attncli.multi_head([1.0, 2.0, 3.0], [(W_Q, W_K, W_V)])) == flat.replace("embeddings", "x")

    narrow = SEED_YAML.replace("W_K: [[0.2, 0.3], [-0.4, 0.7], [0.5, -0.1]]", "W_K: [[0.2], [-0.4], [0.5]]")
    cli = cli_error(narrow, tmp_path)
    api = api_error(lambda: attncli.multi_head(X, [(W_Q, [[0.2], [-0.4], [0.5]], W_V)]))
    assert cli == api == ("W_Q has 2 columns but W_K has 1: queries and keys need the same width d_k to take "
                          "their dot products")

    short = SEED_YAML.replace("W_Q: [[0.6, -0.2], [0.1, 0.5], [-0.3, 0.4]]", "W_Q: [[0.6, -0.2], [0.1, 0.5]]")
    cli = cli_error(short, tmp_path)
    api = api_error(lambda: attncli.multi_head(X, [(W_Q[:2], W_K, W_V)]))
    assert cli.replace("the embeddings have", "x has") == api == \
        "W_Q has 2 rows, but x has d_model = 3 columns (W_Q is d_model × d_k)"

    masked = SEED_YAML + "mask: [[1, 0], [1, 1]]\n"
    cli = cli_error(masked, tmp_path)
    api = api_error(lambda: attncli.multi_head(X, [(W_Q, W_K, W_V)], mask=[[1, 0], [1, 1]]))
    assert cli == api == "mask is 2×2, but it needs one row per query and one column per key: 3×3"


def test_run_temperature_error_is_the_clis_without_the_flag():
    result = CliRunner().invoke(app, ["explain", "--temperature", "0"])
    assert result.exit_code == 2
    api = api_error(lambda: attncli.run("dog_ate_dinner", temperature=0))
    assert result.stderr.strip() == "Error: --" + api


# ---- multi_head and run's options -------------------------------------------------------------------


def test_multi_head_takes_dicts_tuples_and_head_weights_alike():
    two = attncli.load("two_heads")
    x, w_o = two.x.tolist(), two.w_o.tolist()
    as_dicts = [{"name": h.name, "W_Q": h.w_q.tolist(), "W_K": h.w_k.tolist(), "W_V": h.w_v.tolist()} for h in two.heads]
    as_tuples = [(h.w_q, h.w_k.astype(np.float32), h.w_v) for h in two.heads]
    expected = attncli.run(two)
    for heads in (as_dicts, as_tuples, list(two.heads)):
        got = attncli.multi_head(x, heads, w_o=w_o, tokens=two.tokens)
        np.testing.assert_array_equal(got.output, expected.output)
        for mine, theirs in zip(got.heads, expected.heads):
            np.testing.assert_array_equal(mine.weights, theirs.weights)


def test_multi_head_cross_attention_agrees_with_the_loop_reference():
    rng = np.random.default_rng(3)
    x, source = rng.standard_normal((2, 3)), rng.standard_normal((4, 3))
    w_q, w_k, w_v = rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.standard_normal((3, 5))
    steps = attncli.multi_head(x, [(w_q, w_k, w_v)], source=source, source_tokens="a b c d")
    scores, weights, output = reference.attention(x.tolist(), w_q.tolist(), w_k.tolist(), w_v.tolist(),
                                                  source=source.tolist())
    np.testing.assert_allclose(steps.heads[0].scores, scores, rtol=1e-12)
    np.testing.assert_allclose(steps.heads[0].weights, weights, rtol=1e-12)
    np.testing.assert_allclose(steps.output, output, rtol=1e-12)
    assert steps.key_tokens == ("a", "b", "c", "d")


def test_multi_head_refuses_unknown_keys_and_twins():
    bad = {"W_Q": W_Q, "W_K": W_K, "W_v2": W_V}
    assert api_error(lambda: attncli.multi_head(X, [bad])) == "heads[0]: unknown key 'W_v2'; did you mean W_V?"
    twins = [{"name": "a", "W_Q": W_Q, "W_K": W_K, "W_V": W_V}] * 2
    assert api_error(lambda: attncli.multi_head(X, twins)) == "two heads are named 'a'; head names must differ"
    assert api_error(lambda: attncli.multi_head(X, [(W_Q, W_K, W_V)], w_o=[[1]])) == (
        "W_O has 1 row, but the heads' outputs concatenate to Σ d_v = 2 = 2 columns")


def test_run_scale_mask_and_temperature_match_the_cli():
    runner = CliRunner()
    import json

    for kwargs, flags in (({"scale": False}, ["--no-scale"]), ({"mask": True}, ["--mask"]),
                          ({"temperature": 0.5}, ["--temperature", "0.5"]), ({"mask": "causal"}, ["--mask"])):
        doc = json.loads(runner.invoke(app, ["explain", *flags, "--format", "json"]).stdout)
        got = attncli.run("dog_ate_dinner", **kwargs)
        assert got.heads[0].weights.tolist() == doc["heads"][0]["weights"], kwargs
    own = attncli.run("dog_ate_dinner", mask=[[1, 1, 0], [1, 1, 1], [0, 0, 1]])
    assert own.heads[0].weights[0, 2] == 0.0 and own.heads[0].weights[2].tolist() == [0.0, 0.0, 1.0]


def test_comparison_speaks_in_arguments_not_flags():
    cmp = attncli.comparison("dog_ate_dinner", scale=False)
    assert cmp.change == "Without scaling"
    assert "0.448" in cmp._repr_html_() and "0.488" in cmp._repr_html_()
    message = api_error(lambda: attncli.comparison("dog_ate_dinner", scale=True))
    assert message.startswith("scale=True changes nothing: the scenario already divides by √d_k")


# ---- a property: the API agrees with the loop reference on any finite input --------------------------

finite = st.floats(-5, 5, allow_nan=False, width=32)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_attention_agrees_with_the_loop_reference(data):
    n_q, n_k, d_k, d_v = (data.draw(st.integers(1, 5)) for _ in range(4))
    q = data.draw(hnp.arrays(np.float32, (n_q, d_k), elements=finite))
    k = data.draw(hnp.arrays(np.float32, (n_k, d_k), elements=finite))
    v = data.draw(hnp.arrays(np.float32, (n_k, d_v), elements=finite))
    causal = data.draw(st.booleans())
    head = attncli.attention(q.tolist(), k, v, mask="causal" if causal else None)
    identity = np.eye(d_k).tolist()
    allowed = np.tril(np.ones((n_q, n_k), dtype=bool)).tolist() if causal else None
    # Q = q·I and K = k·I: the reference projects, so give it identities on float64 copies.
    _, weights, _ = reference.attention(q.astype(np.float64).tolist(), identity, identity, np.eye(d_k, d_v).tolist(),
                                        source=k.astype(np.float64).tolist(), allowed=allowed)
    np.testing.assert_allclose(head.weights, weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(head.output, head.weights @ v.astype(np.float64), rtol=1e-12, atol=1e-12)


# ---- the package: light, typed, documented -------------------------------------------------------------


def test_import_attncli_loads_neither_rich_typer_yaml_nor_numpy():
    code = ("import sys, attncli; before = sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'typer', 'yaml', "
            "'numpy'}); attncli.attention([[1.0]], [[1.0]], [[2.0]]); "
            "after = sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'typer', 'yaml'}); print(before, after)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] []"


def test_run_does_not_load_rich_or_typer():
    code = ("import sys, attncli; attncli.run(attncli.load('dog_ate_dinner')); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'typer', 'click'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves_is_documented_and_shadows_no_submodule():
    package = Path(attncli.__file__).parent
    submodules = {p.stem for p in package.glob("*.py")} | {p.name for p in package.iterdir() if p.is_dir()}
    for name in attncli.__all__:
        value = getattr(attncli, name)
        assert name not in submodules, name  # `from attncli import x` would get the wrong thing
        doc = value.__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip().split("\n\n")[0].strip(), name
    assert (package / "py.typed").is_file()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        attncli.nope


def test_a_plain_pip_install_ships_every_subpackage_and_py_typed():
    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {".".join(p.relative_to(root).parent.parts) for p in (root / "attncli").rglob("__init__.py")}
    assert found <= set(config["packages"])  # attncli.views was once missing: explain failed after `pip install .`
    assert "py.typed" in config["package-data"]["attncli"]


def test_run_mask_keeps_or_replaces_the_scenarios_masks_as_documented():
    padded = attncli.load("tokens: [a, b, c]\nembeddings: [[1, 0], [0, 1], [1, 1]]\nW_Q: [[1], [0]]\nW_K: [[1], [0]]\n"
                          "W_V: [[1], [2]]\nkey_padding: [0, 1, 0]\n")
    weights = {repr(m): attncli.run(padded, mask=m).heads[0].weights for m in (None, True, "causal", False)}
    assert np.all(weights["None"][:, 1] == 0)  # the scenario's padding
    np.testing.assert_array_equal(weights["True"], weights["'causal'"])  # causal on top of the padding, as --mask
    assert weights["True"][1].tolist() == [1.0, 0.0, 0.0] and weights["True"][0, 2] == 0
    assert np.all(weights["False"] > 0)  # every mask off, as --no-mask
    assert api_error(lambda: attncli.run(padded, mask="upper")) == (
        "mask should be a boolean array (True = may attend) or \"causal\", not 'upper'")


def test_the_arrays_of_every_result_are_read_only():
    """Read-only means the numbers too: an array changed in place would no longer be the step it names."""
    steps = attncli.run("two_heads")
    arrays = {"weights": steps.heads[0].weights, "q": steps.heads[1].q, "output": steps.output,
              "concat": steps.concat, "scenario x": steps.scenario.x, "W_Q": steps.scenario.heads[0].w_q,
              "attention weights": attncli.attention(X, X, X).weights,
              "comparison stats": attncli.comparison("dog_ate_dinner", scale=False).variant_stats.entropy}
    for name, array in arrays.items():
        assert not array.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 5
    assert attncli.run("two_heads").heads[0].weights[0, 0] == steps.heads[0].weights[0, 0] != 5


def test_arrays_given_to_the_api_stay_writable():
    q, mask = np.array(X), np.tril(np.ones((3, 3), dtype=bool))
    steps = attncli.attention(q, q, q, mask=mask)
    attncli.multi_head(q, [(W_Q, W_K, W_V)], mask=mask)
    q[0, 0], mask[0, 1] = 7.0, True
    assert q.flags.writeable and mask.flags.writeable
    assert not steps.allowed[0, 1] and not steps.allowed.flags.writeable


def test_unnamed_heads_are_named_from_0():
    steps = attncli.multi_head(X, [(W_Q, W_K, W_V), (W_Q, W_K, W_V)])
    assert [h.name for h in steps.heads] == ["head 0", "head 1"]
