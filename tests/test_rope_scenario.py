"""The scenario key `rope: {base: B}`: read, checked, run, and the built-in scenario `rope`."""

import re

import numpy as np
import pytest

from attncli import core, loader
from attncli.errors import AttncliError
from attncli.scenario import evaluate, settings_for

BASE = """\
tokens: [a, b, c]
embeddings: [[1, 0, 2, 1], [0, 1, 1, 0], [2, 1, 0, 1]]
W_Q: [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]]
W_K: [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
W_V: [[1, 0], [0, 1], [1, 1], [0, 0]]
"""


def test_rope_rotates_q_and_k_after_the_projection(write):
    sc = loader.load(write(BASE + "rope:\n  base: 100\n"))
    assert sc.rope == 100.0
    head = evaluate(sc, settings_for(sc)).steps.heads[0]
    x, w = sc.x, sc.heads[0]
    np.testing.assert_array_equal(head.q_raw, x @ w.w_q)
    np.testing.assert_allclose(head.q, core.rope(x @ w.w_q, np.arange(3), 100.0), rtol=0, atol=0)
    np.testing.assert_allclose(head.scores, head.q @ head.k.T, rtol=0, atol=0)
    plain = loader.load(write(BASE))
    assert not np.allclose(evaluate(plain, settings_for(plain)).steps.heads[0].weights, head.weights)


@pytest.mark.parametrize("extra, message", [
    ("rope:\n  base: 0\n", "rope base is 0; it should be a positive number (Llama uses 10000)"),
    ("rope:\n  base: yes\n", "rope base is 'yes', a boolean, not a number"),
    ("rope: {}\n", "rope: missing key 'base'"),
    ("rope:\n  base: 10\n  theta: 3\n", "unknown key 'theta'"),
])
def test_a_bad_rope_is_named(write, extra, message):
    with pytest.raises(AttncliError, match=re.escape(message)):
        loader.load(write(BASE + extra))


def test_rope_needs_an_even_d_k_and_one_sequence(write):
    odd = BASE.replace("W_Q: [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]]",
                       "W_Q: [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]")
    odd = odd.replace("W_K: [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]",
                      "W_K: [[0, 1, 0], [1, 0, 0], [0, 0, 0], [0, 0, 1]]")
    with pytest.raises(AttncliError, match="RoPE turns q and k in pairs of dimensions, so d_k must be even"):
        loader.load(write(odd + "rope:\n  base: 10\n"))
    cross = BASE + "source:\n  embeddings: [[1, 0, 0, 0]]\nrope:\n  base: 10\n"
    with pytest.raises(AttncliError, match="source cannot be combined with rope"):
        loader.load(write(cross))


def test_the_builtin_rope_scenario_keeps_scores_when_every_position_moves():
    sc = loader.load("rope")
    ev = evaluate(sc, settings_for(sc))
    head = ev.steps.heads[0]
    assert sc.causal and sc.rope == 100.0
    assert head.scores[0, 1] == pytest.approx(head.scores[2, 3], abs=1e-15)  # the, cat one apart, twice
    moved_q, moved_k = core.rope(head.q_raw, np.arange(4) + 5, 100.0), core.rope(head.k_raw, np.arange(4) + 5, 100.0)
    np.testing.assert_allclose(moved_q @ moved_k.T, head.scores, rtol=0, atol=1e-12)
    assert not np.allclose(head.q[0], head.q[2])  # the same word at two positions asks differently


@pytest.mark.parametrize("language", ["numpy", "torch"])
def test_the_code_view_rotates_in_step_2_and_reproduces_every_step(language):
    import attncli
    from attncli.views.code import step_lines

    ev = attncli.run(attncli.load("rope")).evaluation
    head, lines = ev.steps.heads[0], step_lines(ev, language)
    assert any("angles" in line for line in lines["2"]) and lines["3"][0].startswith("scores = q @ k")
    if language == "torch":
        from conftest import oracle

        torch = oracle("torch")
        env = {"x": torch.tensor(ev.scenario.x), "torch": torch, "F": torch.nn.functional}
    else:
        env = {"x": ev.scenario.x, "np": np}
    for step in sorted(lines, key=int):
        exec("\n".join(lines[step]), env)  # noqa: S102 - our own generated code, which is what is under test
    as_array = lambda v: v.numpy() if hasattr(v, "numpy") else np.asarray(v)
    np.testing.assert_allclose(as_array(env["q"]), head.q, rtol=0, atol=1e-15)
    np.testing.assert_allclose(as_array(env["weights"]), head.weights, rtol=0, atol=1e-15)
    np.testing.assert_allclose(as_array(env["out"]), head.output, rtol=0, atol=1e-15)
