"""Every class of bad scenario gets one exact message naming the file, the place and the problem."""

import json
from pathlib import Path

import numpy as np
import pytest

from attncli import loader
from attncli.errors import AttncliError
from attncli.scenario import evaluate, settings_for

W = "W_Q: [[1], [2]]\nW_K: [[1], [2]]\nW_V: [[1], [2]]\n"
OK = "embeddings: [[1, 2]]\n" + W

BAD = [
    ("", ": the file is empty; a scenario needs at least embeddings, W_Q, W_K and W_V (see `attncli show dog_ate_dinner`)"),
    ("# only a comment\n", ": the file is empty; a scenario needs at least embeddings, W_Q, W_K and W_V (see `attncli show dog_ate_dinner`)"),
    ("- 1\n- 2\n", ":1: the scenario should be a mapping of keys (name, description, tokens, embeddings, ...), not a list"),
    (W, ":1: missing key 'embeddings' (n × d_model: one row of numbers per token)"),
    ("embeddings: [[1, 2]]\nW_Q: [[1], [2]]\nW_V: [[1], [2]]\n", ":1: missing key 'W_K' (d_model × d_k: turns each embedding into a key)"),
    ("embeddings: [[1, 2]]\nW_Q: [[1], [2]]\nW_K: [[1], [2]]\nW_v: [[1], [2]]\n", ":4: unknown key 'W_v'; did you mean W_V?"),
    (OK + "colour: red\n", ":5: unknown key 'colour' (known keys: name, description, tokens, embeddings, W_Q, W_K, W_V, b_Q, b_K, b_V, heads, W_O, b_O, source, mask, key_padding, scale, color_values, rope, random)"),
    ("embeddings: [[1, abc]]\n" + W, ":1: embeddings row 0 (line 1), column 1 is 'abc', not a number"),
    ("embeddings: [[1, yes]]\n" + W, ":1: embeddings row 0 (line 1), column 1 is 'yes', a boolean, not a number"),
    ("embeddings: [[1, true]]\n" + W, ":1: embeddings row 0 (line 1), column 1 is 'true', a boolean, not a number"),
    ("embeddings: [[1, ~]]\n" + W, ":1: embeddings row 0 (line 1), column 1 is empty; it should be a number"),
    ("embeddings: [[1, .nan]]\n" + W, ":1: embeddings row 0 (line 1), column 1 is .nan: NaN and infinity are not allowed"),
    ("embeddings: [[1, -.inf]]\n" + W, ":1: embeddings row 0 (line 1), column 1 is -.inf: NaN and infinity are not allowed"),
    ("embeddings: [[1, 'NaN']]\n" + W, ":1: embeddings row 0 (line 1), column 1 is NaN: NaN and infinity are not allowed"),
    ("embeddings: [[1, 1e999]]\n" + W, ":1: embeddings row 0 (line 1), column 1 is 1e999, too large for float64 (the largest is about 1.8e308)"),
    ("embeddings: [[1, {a: 1}]]\n" + W, ":1: embeddings row 0 (line 1), column 1 should be a number, not a mapping"),
    ("embeddings:\n  - [1, 2]\n  - [1]\n" + W, ":3: embeddings row 1 (line 3) has 1 number, but row 0 has 2"),
    ("embeddings: [1, 2]\n" + W, ":1: embeddings should be a list of rows, like [[1, 2, 3]], not a flat list of numbers"),
    ("embeddings: []\n" + W, ":1: embeddings is empty; it should be a list of rows, like [[1, 2], [3, 4]]"),
    ("embeddings: [[1, 2, 3]]\n" + W, ":2: W_Q has 2 rows, but the embeddings have d_model = 3 columns (W_Q is d_model × d_k)"),
    ("embeddings: [[1, 2]]\nW_Q: [[1], [2]]\nW_K: [[1, 0], [2, 0]]\nW_V: [[1], [2]]\n",
     ":3: W_Q has 1 column but W_K has 2: queries and keys need the same width d_k to take their dot products"),
    ("embeddings: [[1, 2]]\nW_Q: [[1], [2]]\nW_K: [[1], [2]]\nW_V: [[1], [2], [3]]\n",
     ":4: W_V has 3 rows, but the embeddings have d_model = 2 columns (W_V is d_model × d_v)"),
    ("tokens: [a, b]\n" + OK, ":1: there are 2 tokens, but embeddings has 1 row (one per token)"),
    ("tokens: [a, [b]]\nembeddings: [[1, 2], [3, 4]]\n" + W, ":1: tokens entry 1 should be text, not a list"),
    (OK + "mask: sometimes\n", ":5: mask should be false, true, causal or a 0/1 matrix, not 'sometimes'"),
    (OK + "scale: 2\n", ":5: scale should be true or false, not '2'"),
    (OK + "W_Q: [[1], [2]]\n", ":5: key W_Q appears twice (first on line 2)"),
    ("embeddings: !!python/object/apply:os.system ['echo hi']\n" + W,
     ":1: embeddings: the YAML tag !!python/object/apply:os.system is not allowed (attncli reads plain YAML only)"),
    ("name: [a]\n" + OK, ":1: name should be text, not a list"),
]


# PyYAML's pure-Python parser words syntax errors differently from libyaml's, which the wheels ship.
YAML_SYNTAX = [
    ("tokens: [dog, ate\nembeddings: [[1]]\n", ":2: invalid YAML: while parsing a flow sequence: did not find expected ',' or ']'"),
    ("embeddings: [[1]]\n---\nembeddings: [[2]]\n", ":2: invalid YAML: expected a single document in the stream: but found another document"),
    ("embeddings: *x\n", ":1: invalid YAML: found undefined alias"),
    ("tokens:\n\t- a\n", ":2: invalid YAML: a tab character: YAML indents with spaces only"),
    ("embeddings: " + "[" * 2000 + "]" * 2000 + "\n", ":1: invalid YAML: while increasing flow level: exceeded maximum nesting depth"),
]


@pytest.mark.skipif(not __import__("yaml").__with_libyaml__, reason="messages pinned for libyaml")
@pytest.mark.parametrize("text, message", YAML_SYNTAX, ids=[m[:40] for _, m in YAML_SYNTAX])
def test_yaml_syntax_errors_name_the_line(write, text, message):
    path = write(text)
    with pytest.raises(AttncliError) as caught:
        loader.load(path)
    assert str(caught.value) == path + message


def test_alias_bombs_are_refused_before_they_expand(write):
    row = "[" + ", ".join(["1.5"] * 300) + "]"
    text = f"embeddings: [&r {row}, " + ", ".join(["*r"] * 299) + "]\nW_Q: &w [" + ", ".join(["[1]"] * 300) + "]\nW_K: *w\nW_V: *w\n"
    path = write(text)
    with pytest.raises(AttncliError) as caught:
        loader.load(path)
    assert str(caught.value) == (f"{path}:1: embeddings: YAML aliases (*name) expand this {len(text):,}-character file "
                                 "into 90,000 numbers; write the numbers out instead of multiplying them with aliases")


@pytest.mark.parametrize("text, message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_scenarios_give_one_exact_message(write, text, message):
    path = write(text)
    with pytest.raises(AttncliError) as caught:
        loader.load(path)
    assert str(caught.value) == path + message


def test_overflow_is_refused_naming_the_cell(write):
    path = write("tokens: [big]\nembeddings: [[1e200, 1e200]]\nW_Q: [[1e200], [1]]\nW_K: [[1], [2]]\nW_V: [[1], [2]]\n")
    sc = loader.load(path)
    with pytest.raises(AttncliError) as caught:
        evaluate(sc, settings_for(sc))
    assert str(caught.value) == (f"{path}: Q overflows float64 at row 0 (big), column 0 (value inf): the numbers "
                                 "are too large to compute with; scale the embeddings or weights down")


def test_scores_that_overflow_name_the_query_and_key(write):
    path = write("tokens: [a, b]\nembeddings: [[1e160], [1e160]]\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[1]]\n")
    sc = loader.load(path)
    with pytest.raises(AttncliError, match=r"S = Q·Kᵀ overflows float64 at \[a, a\]"):
        evaluate(sc, settings_for(sc))


def test_a_mask_that_hides_every_key_is_refused(write):
    path = write("tokens: [a, b]\nembeddings: [[1, 2], [3, 4]]\n" + W + "mask: [[1, 0], [0, 0]]\n")
    sc = loader.load(path)
    with pytest.raises(AttncliError) as caught:
        evaluate(sc, settings_for(sc))
    assert str(caught.value) == (f"{path}: the mask hides every key from query 'b' (row 1): softmax over no keys "
                                 "is 0/0 (PyTorch gives NaN); let every query see at least one key")


def test_file_level_problems(tmp_path, write):
    with pytest.raises(AttncliError, match="no such file$"):
        loader.load(str(tmp_path / "missing.yaml"))
    with pytest.raises(AttncliError, match="is a directory, not a scenario file"):
        loader.load(str(tmp_path))
    with pytest.raises(AttncliError, match=r":2: not UTF-8 text \(byte 0xe9\); save the file as UTF-8"):
        loader.load(write(b"name: ok\nname2: caf\xe9\n"))
    with pytest.raises(AttncliError, match=r":1: invalid YAML: character '\\x00' \(#x0000\) is not allowed"):
        loader.load(write(b"name: a\x00b\n"))
    with pytest.raises(AttncliError, match=r"no such file or built-in scenario .*did you mean dog_ate_dinner\?"):
        loader.load("dog_ate_diner")


def test_unreadable_file(write):
    import os

    path = write(OK)
    os.chmod(path, 0)
    if os.access(path, os.R_OK):  # root reads anything
        pytest.skip("running as root: permissions do not stop reads")
    with pytest.raises(AttncliError, match="permission denied"):
        loader.load(path)


def test_odd_but_valid_scenarios(write):
    sc = loader.load(write(
        "tokens: [on, 'no', café, 🐕, on]\n"
        "embeddings: [[1e-3, 2E+1], [1, -2], [.5, 3.], ['1e-3', 0], [010, 0]]\n"
        "W_Q: [[1], [2]]\nW_K: [[1], [2]]\nW_V: [[1], [2]]\n"
    ))
    assert sc.tokens == ("on", "no", "café", "🐕", "on")
    np.testing.assert_array_equal(sc.x[:, 0], [1e-3, 1.0, 0.5, 1e-3, 10.0])
    assert sc.x[0, 1] == 20.0
    assert sc.name == "s"  # the file's stem


def test_one_token_and_defaults(write):
    sc = loader.load(write("embeddings: [[2]]\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[3]]\n"))
    assert sc.tokens == ("t0",)
    ev = evaluate(sc, settings_for(sc))
    assert ev.steps.heads[0].weights.tolist() == [[1.0]]
    assert ev.steps.output.tolist() == [[6.0]]


def test_mask_values(write):
    for text, causal in (("causal", True), ("true", True), ("false", False), ("none", False)):
        assert loader.load(write(OK + f"mask: {text}\n")).causal is causal


def test_tags_never_run_code(write, tmp_path):
    marker = tmp_path / "ran"
    path = write(f"name: !!python/object/apply:os.system ['touch {marker}']\n" + OK)
    with pytest.raises(AttncliError, match="not allowed"):
        loader.load(path)
    assert not marker.exists()


def test_builtins_load_and_evaluate():
    for name in loader.builtin_names():
        sc = loader.load(name)
        ev = evaluate(sc, settings_for(sc))
        assert np.all(np.isfinite(ev.steps.output))


def test_readme_key_list_is_the_key_table():
    from pathlib import Path

    from attncli.scenario_keys import markdown_list

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    listed = readme.split("<!-- keys:start -->\n")[1].split("\n<!-- keys:end -->")[0]
    assert listed == markdown_list()


def test_biases_are_added_as_nn_linear_does(write):
    path = write("embeddings: [[1, 2], [0, 1]]\nW_Q: [[1], [0]]\nW_K: [[0], [1]]\nW_V: [[1], [1]]\n"
                 "b_Q: [0.5]\nb_K: [-1]\nb_V: [2]\n")
    sc = loader.load(path)
    steps = evaluate(sc, settings_for(sc)).steps.heads[0]
    x = np.array([[1, 2], [0, 1]], dtype=float)
    np.testing.assert_array_equal(steps.q, x @ [[1], [0]] + 0.5)
    np.testing.assert_array_equal(steps.k, x @ [[0], [1]] - 1)
    np.testing.assert_array_equal(steps.v, x @ [[1], [1]] + 2)


@pytest.mark.parametrize("extra, message", [
    ("b_Q: [1, 2]\n", ":5: b_Q has 2 entries, but W_Q has 1 column (one bias per column)"),
    ("b_K: []\n", ":5: b_K is empty; it should be a list of numbers, like [0.1, -0.2]"),
    ("b_V: [x]\n", ":5: b_V entry 0 is 'x', not a number"),
    ("b_O: [1]\n", ":5: b_O is added after W_O; give W_O too, or leave b_O out"),
])
def test_bad_biases(write, extra, message):
    path = write(OK + extra)
    with pytest.raises(AttncliError) as caught:
        loader.load(path)
    assert str(caught.value) == path + message


# ---- where the built-ins come from ----------------------------------------------------------------

# Runs the CLI from a copy of the source tree, isolated (-I -S: no PYTHONPATH, no site-packages .pth
# files, so neither an installed nor an editable attncli is found): only the dependencies are added.
FROM_SOURCE = """
import sys
sys.path[:0] = [sys.argv[1]]
sys.path += sys.argv[2:]
import attncli
assert attncli.__file__.startswith(sys.argv[1]), attncli.__file__
from attncli.entry import main
sys.argv = ["attncli", "explain", "only_here", "--format", "json"]
main()
"""


def run_from_source(tree):
    import subprocess
    import sys

    import rich
    import typer
    import yaml

    deps = sorted({str(Path(m.__file__).resolve().parent.parent) for m in (np, yaml, typer, rich)})
    return subprocess.run([sys.executable, "-I", "-S", "-c", FROM_SOURCE, str(tree), *deps],
                          capture_output=True, text=True, timeout=60)


def source_tree(tmp_path, with_scenarios=True):
    """A plain checkout: attncli/ (an installed copy holds scenarios/ inside; a checkout does not) and,
    beside it, scenarios/ with one scenario only found there."""
    import shutil

    import attncli

    tree = tmp_path / "checkout"
    skip = shutil.ignore_patterns("__pycache__", "scenarios")
    shutil.copytree(Path(attncli.__file__).parent, tree / "attncli", ignore=skip)
    if with_scenarios:
        (tree / "scenarios").mkdir()
        (tree / "scenarios" / "only_here.yaml").write_text(loader.builtin_text("dog_ate_dinner"), encoding="utf-8")
    return tree


def test_builtins_load_from_a_plain_checkout_on_sys_path(tmp_path):
    done = run_from_source(source_tree(tmp_path))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["scenario"] == "The dog ate his dinner"
    np.testing.assert_allclose(doc["heads"][0]["weights"][0], [0.448, 0.172, 0.380], atol=5e-4)


def test_missing_builtins_folder_is_one_clean_error(tmp_path):
    tree = source_tree(tmp_path, with_scenarios=False)
    done = run_from_source(tree)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (f"Error: the built-in scenarios are missing: attncli.scenarios is not installed and "
                           f"there is no folder {tree.resolve() / 'scenarios'}; reinstall attncli\n")
