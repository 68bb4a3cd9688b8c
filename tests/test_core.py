"""The core against the seed's figures, a loop-by-loop reference, and the properties softmax must keep."""

import math
import typing

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from attncli import core

X = np.array([[1.0, 2.0, 3.0], [0.5, 1.0, 1.5], [2.0, 1.0, 0.5]])
W_Q = np.array([[0.6, -0.2], [0.1, 0.5], [-0.3, 0.4]])
W_K = np.array([[0.2, 0.3], [-0.4, 0.7], [0.5, -0.1]])
W_V = np.array([[0.9, 0.1], [0.2, 0.8], [-0.1, 0.6]])
SEED_HEAD = core.HeadWeights("head 1", W_Q, W_K, W_V)


def seed_steps(**kwargs):
    return core.attention(X, [SEED_HEAD], **kwargs)


def test_seed_projections():
    head = seed_steps().heads[0]
    np.testing.assert_allclose(head.q[0], [-0.10, 2.00], atol=1e-12)
    np.testing.assert_allclose(head.k[0], [0.90, 1.40], atol=1e-12)
    np.testing.assert_allclose(head.k[1], [0.45, 0.70], atol=1e-12)
    np.testing.assert_allclose(head.k[2], [0.25, 1.25], atol=1e-12)
    np.testing.assert_allclose(head.v[0], [1.0, 3.5], atol=1e-12)


def test_seed_scores_round_to_the_seeds_figures():
    scores = seed_steps().heads[0].scores[0]
    # The seed prints 2.71, 1.36 and 2.48: the exact values are 2.71, 1.355 and 2.475.
    np.testing.assert_allclose(scores, [2.71, 1.355, 2.475], atol=1e-12)
    assert [round(s, 2) for s in (2.71, 1.355 + 1e-9, 2.475 + 1e-9)] == [2.71, 1.36, 2.48]


def test_seed_weights_and_output():
    head = seed_steps().heads[0]
    np.testing.assert_allclose(head.scale, 1 / math.sqrt(2), rtol=1e-15)
    assert np.round(head.weights[0], 3).tolist() == [0.448, 0.172, 0.380]
    np.testing.assert_allclose(head.output[0], [1.2747, 2.3637], atol=1e-4)
    # The seed's 2.363 is what the rounded weights give; exact float64 rounds to 2.364.
    assert round(float(head.output[0, 1]), 3) == 2.364
    assert round(float(np.array([0.448, 0.172, 0.380]) @ head.v[:, 1]), 3) == 2.363


def test_seed_without_scaling_and_with_causal_mask():
    unscaled = seed_steps(scaled=False).heads[0]
    np.testing.assert_allclose(unscaled.weights[0], [0.488, 0.126, 0.386], atol=1e-3)
    assert unscaled.scale == 1.0
    masked = seed_steps(allowed=core.causal_mask(3, 3)).heads[0]
    np.testing.assert_allclose(masked.weights[1], [0.6175, 0.3825, 0.0], atol=1e-4)
    assert masked.weights[0].tolist() == [1.0, 0.0, 0.0]
    assert masked.masked_scores[0, 1] == -np.inf


def test_causal_mask_is_aligned_to_the_upper_left():
    assert core.causal_mask(2, 4).tolist() == [[True, False, False, False], [True, True, False, False]]


def test_softmax_of_a_row_with_no_finite_entry_is_nan_not_a_number_passed_off():
    w = core.softmax(np.array([[-np.inf, -np.inf], [0.0, -np.inf]]))
    assert np.all(np.isnan(w[0]))
    assert w[1].tolist() == [1.0, 0.0]


def test_softmax_survives_huge_scores():
    w = core.softmax(np.array([[1000.0, 999.0, -1000.0]]))
    assert np.all(np.isfinite(w))
    np.testing.assert_allclose(w[0, :2], [1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1))])


finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw):
    n_q = draw(st.integers(1, 6))
    n_k = draw(st.integers(1, 6))
    d_model = draw(st.integers(1, 5))
    d_k = draw(st.integers(1, 5))
    d_v = draw(st.integers(1, 4))
    cross = draw(st.booleans())
    if not cross:
        n_k = n_q
    x = draw(hnp.arrays(np.float64, (n_q, d_model), elements=finite))
    source = draw(hnp.arrays(np.float64, (n_k, d_model), elements=finite)) if cross else None
    w_q = draw(hnp.arrays(np.float64, (d_model, d_k), elements=finite))
    w_k = draw(hnp.arrays(np.float64, (d_model, d_k), elements=finite))
    w_v = draw(hnp.arrays(np.float64, (d_model, d_v), elements=finite))
    allowed = draw(hnp.arrays(bool, (n_q, n_k)))
    allowed[np.arange(n_q), draw(st.lists(st.integers(0, n_k - 1), min_size=n_q, max_size=n_q))] = True
    use_mask = draw(st.booleans())
    return dict(x=x, source=source, w_q=w_q, w_k=w_k, w_v=w_v, allowed=allowed if use_mask else None,
                scaled=draw(st.booleans()), temperature=draw(st.sampled_from([1.0, 0.5, 2.0])))


def run(p):
    return core.attention(p["x"], [core.HeadWeights("h", p["w_q"], p["w_k"], p["w_v"])], source=p["source"],
                          scaled=p["scaled"], temperature=p["temperature"], allowed=p["allowed"]).heads[0]


@settings(max_examples=200, deadline=None)
@given(problems())
def test_core_agrees_with_a_loop_reference(p):
    head = run(p)
    scores, weights, output = reference.attention(
        p["x"].tolist(), p["w_q"].tolist(), p["w_k"].tolist(), p["w_v"].tolist(),
        source=None if p["source"] is None else p["source"].tolist(), scaled=p["scaled"],
        temperature=p["temperature"], allowed=None if p["allowed"] is None else p["allowed"].tolist())
    np.testing.assert_allclose(head.scores, scores, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(head.weights, weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(head.output, output, rtol=1e-9, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_rows_sum_to_one_and_masked_weights_are_exactly_zero(p):
    head = run(p)
    np.testing.assert_allclose(head.weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(head.weights >= 0)
    if p["allowed"] is not None:
        assert np.all(head.weights[~p["allowed"]] == 0.0)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=8), elements=finite),
       st.floats(-500, 500))
def test_softmax_is_shift_invariant(z, shift):
    np.testing.assert_allclose(core.softmax(z + shift), core.softmax(z), rtol=1e-9, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, (4, 5), elements=st.floats(-20, 20)))
def test_row_stats_match_their_definitions(z):
    a = core.softmax(z)
    stats = core.row_stats(a)
    for i, row in enumerate(a.tolist()):
        entropy, top, grad = reference.row_stats(row)
        assert stats.entropy[i] == pytest.approx(entropy, abs=1e-9)
        assert stats.max_weight[i] == top
        assert stats.grad_norm[i] == pytest.approx(grad, abs=1e-9)
        assert stats.effective_keys[i] == pytest.approx(math.exp(entropy), rel=1e-9)


def test_row_stats_of_one_hot_and_uniform_rows():
    stats = core.row_stats(np.array([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]]))
    assert stats.entropy.tolist() == [0.0, pytest.approx(math.log(4))]
    assert stats.grad_norm[0] == 0.0
    assert stats.effective_keys[1] == pytest.approx(4.0)


def test_heads_concatenate_and_project_through_w_o():
    rng = np.random.default_rng(1)
    h1 = core.HeadWeights("a", *(rng.standard_normal((3, 2)) for _ in range(3)))
    h2 = core.HeadWeights("b", rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 1)))
    w_o = rng.standard_normal((3, 5))
    steps = core.attention(X, [h1, h2], w_o=w_o)
    np.testing.assert_allclose(steps.concat, np.hstack([steps.heads[0].output, steps.heads[1].output]))
    np.testing.assert_allclose(steps.output, steps.concat @ w_o)
    assert steps.heads[1].scale == pytest.approx(0.5)


def test_records_take_their_annotated_fields_in_order_and_stay_read_only():
    head = core.HeadWeights("h", W_Q, w_k=W_K, w_v=W_V)
    assert core.HeadWeights.__match_args__ == ("name", "w_q", "w_k", "w_v", "b_q", "b_k", "b_v")
    assert head.b_q is None and head.w_k is W_K
    assert typing.get_type_hints(core.HeadSteps)["weights"] is np.ndarray  # what type checkers and help() read
    for make, message in [(lambda: core.HeadWeights("h", W_Q, W_K), "is missing 'w_v'"),
                          (lambda: core.HeadWeights("h", W_Q, W_K, W_V, bq=1), "unexpected field 'bq'"),
                          (lambda: core.HeadWeights("h", W_Q, W_K, W_V, name="g"), "'name' twice"),
                          (lambda: core.HeadWeights(*range(8)), "takes 7 fields but 8 were given")]:
        with pytest.raises(TypeError, match=message):
            make()
    with pytest.raises(AttributeError, match="read-only"):
        head.name = "other"
    with pytest.raises(AttributeError, match="read-only"):
        del head.w_q
    with pytest.raises(AttributeError, match="read-only"):
        head.__init__("g", W_Q, W_K, W_V)
    changed = head._replace(name="other")
    assert (changed.name, head.name) == ("other", "h")
    assert type(changed) is core.HeadWeights and changed.w_q is head.w_q and changed.b_q is None
    with pytest.raises(TypeError, match="has no field 'nmae'"):
        head._replace(nmae="x")
    assert repr(core.HeadWeights("h", 1, 2, 3)) == "HeadWeights(name='h', w_q=1, w_k=2, w_v=3, b_q=None, b_k=None, b_v=None)"
