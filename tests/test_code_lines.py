"""The code shown beside each step (explain --code) is run on the scenario's arrays and must give the
step's numbers: NumPy always, PyTorch where it is installed."""

import json
import re

import numpy as np
import pytest
from conftest import oracle
from typer.testing import CliRunner

import attncli
from attncli.cli import app
from attncli.numbers import fixed
from attncli.views.code import step_lines

LANGUAGES = ["numpy", "torch"]
torch = None  # imported by needs() for the torch cases: skipped where absent, unless CI requires it


def needs(language):
    global torch
    if language == "torch":
        torch = oracle("torch")


BIASED = """\
tokens: [a, b, c, d]
embeddings: [[1, 0, 2], [0, 1, -1], [1, 1, 0], [0.5, -2, 1]]
heads:
  - name: first
    W_Q: [[0.5, -1], [1, 0.25], [0, 1]]
    W_K: [[1, 0], [0, 1], [1, 1]]
    W_V: [[1, 2], [0, 1], [-1, 0]]
    b_Q: [0.1, -0.2]
    b_K: [0.3, 0.0]
    b_V: [1, -1]
  - name: second
    W_Q: [[0.2], [0.4], [-0.6]]
    W_K: [[1], [-1], [0.5]]
    W_V: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
W_O: [[1, 0], [0, 1], [1, 1], [0, 2], [-1, 0]]
b_O: [0.5, -0.5]
mask: [[1, 1, 0, 1], [1, 1, 1, 1], [0, 1, 1, 1], [1, 0, 0, 1]]
key_padding: [0, 0, 0, 1]
"""

CASES = [("dog_ate_dinner", {}), ("dog_ate_dinner", {"mask": True}), ("dog_ate_dinner", {"scale": False}),
         ("dog_ate_dinner", {"temperature": 0.5}), ("dog_ate_dinner", {"scale": False, "temperature": 2.0}),
         ("dog_ate_dinner", {"mask": [[1, 0, 1], [1, 1, 0], [0, 0, 1]]}), ("paint_mixing", {}), ("translation", {}),
         ("two_heads", {}), ("two_heads", {"mask": True}), ("saturation", {"mask": True}), (BIASED, {})]


def as_tensor(language, m):
    if m is None:
        return None
    return np.array(m) if language == "numpy" else torch.from_numpy(np.array(m))


def as_numpy(value):
    return value.numpy() if torch is not None and isinstance(value, torch.Tensor) else np.asarray(value)


def close(value, expected):
    np.testing.assert_allclose(as_numpy(value), expected, rtol=1e-10, atol=1e-12)


def run_lines(lines, env):
    exec("\n".join(lines), env)  # noqa: S102 - our own generated code, which is what is under test


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("source, options", CASES, ids=[f"{s.split(':')[0][:14]}-{sorted(o)}" for s, o in CASES])
def test_each_steps_lines_compute_that_steps_numbers(language, source, options):
    needs(language)
    ev = attncli.run(attncli.load(source), **options).evaluation
    sc, steps = ev.scenario, ev.steps
    lines = step_lines(ev, language)
    # The scenario's arrays, for matrices too large to be written out; literals, where written, must match them.
    env = {"x": as_tensor(language, sc.x), "source": as_tensor(language, sc.source_x)}
    run_lines(lines["0"], env)
    close(env["x"], sc.x)
    multi = len(steps.heads) > 1
    for i, (head, w) in enumerate(zip(steps.heads, sc.heads)):
        tag = f"{i}." if multi else ""
        env.update({name: as_tensor(language, m) for name, m in (("W_Q", w.w_q), ("W_K", w.w_k), ("W_V", w.w_v))})
        run_lines(lines[tag + "1"], env)
        for name, m in (("W_Q", w.w_q), ("b_Q", w.b_q), ("b_V", w.b_v)):
            if m is not None:
                close(env[name], m)
        close(env["q"], head.q), close(env["k"], head.k), close(env["v"], head.v)
        run_lines(lines[tag + "2"], env)
        close(env["scores"], head.scores)
        run_lines(lines[tag + "3"], env)
        close(env["scaled"], head.scaled_scores)
        softmax_step = 4  # steps are numbered in order: with a mask, the mask is step 4
        if head.allowed is not None:
            run_lines(lines[tag + "4"], env)
            assert as_numpy(env["allowed"]).tolist() == head.allowed.tolist()
            close(env["masked"], head.masked_scores)
            softmax_step = 5
        else:
            assert tag + "6" not in lines
        run_lines(lines[tag + str(softmax_step)], env)
        close(env["weights"], head.weights)
        env.pop("out", None)
        run_lines(lines[tag + str(softmax_step + 1)], env)
        close(env[f"out_{i}" if multi else "out"], head.output)
    if multi:
        run_lines(lines["concat"], env)
        close(env["concat"], steps.concat)
    if steps.w_o is not None:
        run_lines(lines["W_O"], env)
        close(env["output"], steps.output)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_markdown_handout_runs_as_it_stands_and_reproduces_its_tables(language):
    needs(language)
    result = CliRunner().invoke(app, ["explain", "--code", language, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    handout = result.stdout
    blocks = re.findall(r"```python\n(.*?)\n```", handout, flags=re.S)
    assert len(blocks) == 6  # inputs, projection, scores, scale, softmax, output
    env = {}
    for block in blocks:
        exec(block, env)  # noqa: S102
    table = handout.split("**A (3×3)**", 1)[1]
    shown = re.findall(r"\| \*\*(\w+)\*\* \| (.*?) \|\n", table)[:3]
    for (token, cells), row in zip(shown, as_numpy(env["weights"])):
        assert cells.split(" | ") == [fixed(float(w), 3) for w in row], token
    assert shown[0] == ("dog", "0.448 | 0.172 | 0.380")
    output_table = handout.split("**Output (3×2)**", 1)[1]
    assert re.search(r"\| \*\*dog\*\* \| (.*?) \|\n", output_table).group(1) == " | ".join(
        fixed(float(c), 3) for c in as_numpy(env["out"])[0])


def test_the_lines_are_the_ones_the_issue_names():
    ev = attncli.run("dog_ate_dinner", mask=True).evaluation
    numpy, torch_lines = step_lines(ev, "numpy"), step_lines(ev, "torch")
    assert numpy["2"] == ("scores = q @ k.T",)
    assert numpy["3"][-1] == "scaled = scores / np.sqrt(d_k)"
    assert numpy["5"] == ("weights = softmax(masked)",) and "def softmax(s):" in "\n".join(numpy["0"])
    assert numpy["6"] == ("out = weights @ v",)
    assert torch_lines["5"] == ("weights = F.softmax(masked, dim=-1)",)
    assert torch_lines["6"][-1] == "out = F.scaled_dot_product_attention(q, k, v, is_causal=True)"


def test_code_appears_beside_its_step_in_the_terminal_and_in_json():
    runner = CliRunner()
    result = runner.invoke(app, ["explain", "--code", "numpy", "--no-color", "--width", "120"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("Step 2  Scores") < out.index("scores = q @ k.T") < out.index("Step 3  Scale")
    doc = json.loads(runner.invoke(app, ["explain", "--code", "torch", "--format", "json"]).stdout)
    assert doc["code"]["language"] == "torch" and doc["code"]["steps"]["2"] == ["scores = q @ k.transpose(-2, -1)"]
    bad = runner.invoke(app, ["explain", "--code", "jax"])
    assert bad.exit_code == 2


@pytest.mark.parametrize("args", [["--mask"], ["two_heads"], ["two_heads", "--mask"], ["translation", "--mask"]])
def test_a_masked_or_multi_head_handout_runs_in_order(args):
    """The markdown handout's code blocks, run top to bottom, give the numbers in its JSON (the mask is step 4)."""
    import re

    from typer.testing import CliRunner

    from attncli.cli import app

    runner = CliRunner()
    md = runner.invoke(app, ["explain", *args, "--code", "numpy", "--format", "markdown"]).stdout
    doc = json.loads(runner.invoke(app, ["explain", *args, "--format", "json"]).stdout)
    namespace: dict = {}
    exec("\n".join(re.findall(r"```python\n(.*?)```", md, re.S)), namespace)
    final = namespace["output"] if "output" in namespace else namespace["out"]
    np.testing.assert_allclose(final, doc["output"], atol=1e-12)
