"""The online-softmax (tiled) core equals the four-step core; complexity reports its measurements."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from attncli import complexity, core, tiled
from attncli.cli import app

runner = CliRunner()


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 8), st.booleans(), st.integers(1, 16), st.integers(1, 16),
       st.integers(0, 2**32 - 1))
def test_tiled_equals_the_four_step_core(n_q, n_k, d, causal, key_block, query_block, seed):
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((n_q, d)) * 3, rng.standard_normal((n_k, d)) * 3
    v = rng.standard_normal((n_k, 3))
    allowed = core.causal_mask(n_q, n_k) if causal else None
    expected = core.attend(q, k, v, scale=0.5, allowed=allowed).output
    out = tiled.tiled_attention(q, k, v, scale=0.5, causal=causal, key_block=key_block, query_block=query_block)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_tiled_on_two_workers_and_float32():
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((300, 16)) for _ in range(3))
    expected = core.attend(q, k, v, scale=0.25, allowed=core.causal_mask(300, 300)).output
    out = tiled.tiled_attention(q, k, v, scale=0.25, causal=True, key_block=64, query_block=50, workers=2)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    out32 = tiled.tiled_attention(*(x.astype(np.float32) for x in (q, k, v)), scale=0.25, causal=True)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, expected, atol=1e-4)


def test_online_softmax_row_rescales_when_the_max_moves():
    z = np.array([0.0, 1.0, 5.0, 2.0])
    v = np.eye(4)
    steps = tiled.online_softmax_row(z, v, block=1)
    assert [s.m_after for s in steps] == [0.0, 1.0, 5.0, 5.0]
    assert steps[2].rescale == pytest.approx(np.exp(1.0 - 5.0))
    np.testing.assert_allclose(steps[-1].acc_after / steps[-1].l_after, core.softmax(z[None])[0], rtol=1e-14)


def test_explain_tiled_walks_the_seed_row():
    out = runner.invoke(app, ["explain", "--tiled", "--no-color"]).stdout
    assert "Block 0 (dog, ate): scores 1.916, 0.958" in out
    assert "Output_dog = acc / l = [2.843, 5.272] / 2.231 ≈ [1.275, 2.364]" in out
    out = runner.invoke(app, ["explain", "translation", "--tiled", "--focus", "black", "--block", "1", "--no-color"]).stdout
    assert "rescale = exp(0.464 - 2.078) = 0.199" in out


def test_complexity_json_reports_quadratic_memory():
    result = runner.invoke(app, ["complexity", "--max-n", "2048", "--d", "16", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [r["n"] for r in doc["rows"]] == [128, 256, 512, 1024, 2048]
    assert doc["memory_exponent"] == pytest.approx(2.0, abs=0.1)  # tracemalloc counts bytes, not time
    # No timing assertion: a time law is either stated with its fit, or refused with a reason.
    fit = doc["time_fit"]
    assert (doc["time_exponent"] is None) == (fit["refused"] is not None)
    assert all(r["seconds"] > 0 and len(r["times"]) >= 3 for r in doc["rows"])
    assert doc["rows"][-1]["matrix_bytes"] == 2048 * 2048 * 8


def test_complexity_tiled_memory_grows_about_linearly():
    doc = json.loads(runner.invoke(app, ["complexity", "--tiled", "--max-n", "4096", "--d", "64", "--format", "json"]).stdout)
    assert 0.7 < doc["memory_exponent"] < 1.2
    assert doc["tiled"] is True


def test_growth_exponent_fit():
    ns = [128, 256, 512, 1024, 2048, 4096]
    assert complexity.growth_exponent(ns, [n**2 for n in ns]) == pytest.approx(2.0)
    assert complexity.growth_exponent([128], [1.0]) is None


def test_complexity_usage_errors():
    result = runner.invoke(app, ["complexity", "--max-n", "32768"])
    assert result.exit_code == 2 and "use --tiled, or --max-n 16384 or less" in result.stderr
    result = runner.invoke(app, ["complexity", "--max-n", "64"])
    assert result.exit_code == 2


def test_fit_uses_only_sizes_where_work_dominates():
    ns = [128, 256, 512, 1024, 2048, 4096]
    # A fixed cost of 1.0 plus work growing as n²: the small sizes are mostly overhead.
    times = [1.0 + (n / 512) ** 2 for n in ns]
    growth = complexity.fit_growth(ns, times, floor=complexity.WORK_OVER_OVERHEAD * times[0])
    assert growth.used == (1024, 2048, 4096) and not growth.reason
    assert 1.6 < growth.exponent < 2.0  # the leftover fixed cost bends it below 2; all sizes would give far less
    everything = complexity.fit_growth(ns, times)
    assert everything.reason or everything.exponent < 1.5


def test_fit_refuses_two_sizes_and_a_poor_fit():
    two = complexity.fit_growth([1024, 2048], [1.0, 4.0])
    assert two.exponent is None and "at least 3" in two.reason
    overhead = complexity.fit_growth([128, 256, 512], [1.0, 1.1, 2.5], floor=2.0)
    assert "only 1 size reached twice the smallest" in overhead.reason and "at least 3" in overhead.reason
    noisy = complexity.fit_growth([128, 256, 512, 1024], [1.0, 8.0, 2.0, 30.0])
    assert noisy.reason.startswith("the sizes do not lie on one power law") and noisy.r2 < complexity.MIN_R2
    exact = complexity.fit_growth([128, 256, 512], [n**2 for n in (128, 256, 512)])
    assert exact.exponent == pytest.approx(2.0) and exact.r2 == pytest.approx(1.0) and not exact.reason


def test_complexity_sentences_follow_the_fit():
    from attncli.complexity import Growth
    from attncli.views import complexity as costs

    close = costs.verdict(Growth(2.1, (512, 1024, 2048), 0.999), Growth(2.0, (128, 256, 512), 1.0), False)
    assert "close to n²" in close[0] and "close to n²" in close[1] and "--tiled" in close[1]
    low = costs.verdict(Growth(0.6, (512, 1024, 2048), 0.99), Growth(1.0, (128, 256, 512), 1.0), True)
    assert "below n²" in low[0] and "close to n" in low[1] and "O(n·d) memory" in low[1]
    assert "every query still meets every key" in low[0]
    refused = costs.verdict(Growth(None, (4096,), None, "only 1 size"), Growth(2.0, (128, 256, 512), 1.0), False)
    assert refused[0].startswith("No growth law for time: only 1 size") and "Raise --max-n" in refused[0]
    assert not any("n^" in w for w in refused[:1])
