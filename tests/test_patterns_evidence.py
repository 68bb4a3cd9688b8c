"""The statistics of `attncli patterns`, each checked against a slower, independent computation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from attncli.errors import AttncliError
from attncli.pretrained.evidence import (PATTERN_ITSELF, TokenPair, first_tokens, measure_kind, measure_set,
                                         token_pairs, token_starts, wilson)
from attncli.pretrained.labelled import parse_set, words_of

Z = 1.959963984540054


@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_is_where_the_score_test_stops_rejecting(kn):
    k, n = kn
    low, high = wilson(k, n)
    # the interval's ends solve (k/n − p)² = z² p (1 − p) / n, the score test at its boundary
    roots = np.sort(np.roots([n + Z * Z, -(2 * k + Z * Z), k * k / n]).real)
    assert low == pytest.approx(max(0.0, roots[0]), abs=1e-12)
    assert high == pytest.approx(min(1.0, roots[1]), abs=1e-12)
    assert 0 <= low <= k / n <= high <= 1


def test_wilson_known_values():
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775327998628892))
    assert wilson(8, 10) == pytest.approx((0.4902, 0.9433), abs=5e-5)
    assert wilson(10, 10)[1] == 1.0 and wilson(0, 3)[0] == 0.0


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _naive(kind, pairs, weights, causal):
    """Every number measure_kind returns, by loops over pairs and heads."""
    L, H = weights[0].shape[:2]
    acc, col = np.zeros((L, H)), np.zeros((L, H))
    for p in pairs:
        a = weights[p.sentence]
        n = a.shape[-1]
        keys = range(p.source + 1) if causal else range(n)
        for l in range(L):
            for h in range(H):
                row = a[l, h, p.source]
                acc[l, h] += max(keys, key=lambda k: (row[k], -k)) == p.target
                others = [r for r in range(n) if r != p.source]
                mean = {k: sum(a[l, h, r, k] for r in others) / len(others) for k in keys}
                col[l, h] += max(keys, key=lambda k: (mean[k], -k)) == p.target
    shifts = [p.target - p.source for p in pairs]
    best = max(sorted(set(shifts), key=lambda d: (abs(d), d)), key=shifts.count)
    return {"accuracy": acc / len(pairs), "column": col.max() / len(pairs),
            "offset": (best, shifts.count(best) / len(pairs)),
            "first": np.mean([p.target == 0 for p in pairs]),
            "chance": np.mean([1 / (p.source + 1 if causal else weights[p.sentence].shape[-1]) for p in pairs])}


@st.composite
def problems(draw):
    causal = draw(st.booleans())
    L, H = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    weights, pairs = [], []
    for s in range(draw(st.integers(1, 3))):
        n = draw(st.integers(3, 7))
        # continuous random scores: no two weights tie, so "the largest" is one token in both computations
        scores = np.random.default_rng(draw(st.integers(0, 2**32))).normal(0, draw(st.sampled_from([0.5, 2, 6])),
                                                                          (L, H, n, n))
        if causal:
            scores = np.where(np.tril(np.ones((n, n), bool)), scores, -np.inf)
        weights.append(_softmax(scores))
        for _ in range(draw(st.integers(1, 4))):
            source = draw(st.integers(1, n - 1))
            target = draw(st.integers(0, source - 1)) if causal else draw(st.integers(0, n - 1).filter(lambda t: t != source))
            pairs.append(TokenPair(s, source, target, None))
    return causal, weights, pairs


@settings(max_examples=60, deadline=None)
@given(problems())
def test_accuracy_and_baselines_equal_a_loop_over_every_pair_and_head(problem):
    causal, weights, pairs = problem
    got = measure_kind("agreement", pairs, weights, causal)
    want = _naive("agreement", pairs, weights, causal)
    for h in got.heads:
        assert h.accuracy == pytest.approx(want["accuracy"][h.layer, h.head])
        assert (h.low, h.high) == wilson(h.correct, len(pairs))
    assert [h.accuracy for h in got.heads] == sorted((h.accuracy for h in got.heads), reverse=True)
    b = got.baselines
    assert b.column == pytest.approx(want["column"])
    assert (b.offset, b.offset_accuracy) == (want["offset"][0], pytest.approx(want["offset"][1]))
    assert b.first == pytest.approx(want["first"]) and b.chance == pytest.approx(want["chance"])
    bar = max(b.accuracy(name) for name in got.compared)
    assert got.baseline_accuracy == bar
    assert [h.name for h in got.evidence] == [h.name for h in got.heads if h.low > bar]


def test_a_head_that_always_points_right_is_evidence_and_a_margin_is_right_minus_wrong():
    n = 6
    a = np.full((1, 2, n, n), 1 / n)
    a[0, 0, 5] = [0.05, 0.6, 0.05, 0.05, 0.2, 0.05]  # head 0: the dependent 5 looks at 1, less at 4
    weights = [a] * 40
    pairs = [TokenPair(s, 5, 1, 4) for s in range(40)]
    result = measure_kind("agreement", pairs, weights, causal=False)
    best = result.best
    assert (best.layer, best.head, best.accuracy) == (0, 0, 1.0)
    assert best.margin.mean == pytest.approx(0.4) and best.margin.positive == 40
    # every pair has the same offset: that baseline is right on all of them, so nothing beats it
    assert result.baselines.offset_accuracy == 1.0 and result.best_baseline == "offset"
    assert result.evidence == ()
    shifted = [np.roll(a, 1, axis=(2, 3))] * 40  # the same head one token later: offsets now differ
    mixed = measure_kind("agreement", pairs[:20] + [TokenPair(s, 0, 2, 5) for s in range(20, 40)],
                         weights[:20] + shifted, causal=False)
    assert mixed.best.accuracy == 1.0 and mixed.baselines.offset_accuracy == 0.5
    assert [h.name for h in mixed.evidence] == ["L0H0"]


def test_kinds_that_are_their_own_baseline_compare_with_the_others():
    assert PATTERN_ITSELF == {"positional": ("offset",), "separator": ("first", "column")}
    n = 5
    a = np.zeros((1, 1, n, n))
    a[0, 0, np.arange(1, n), np.arange(n - 1)] = 1
    a[0, 0, 0, 0] = 1
    pairs = [TokenPair(0, i, i - 1, None) for i in range(1, n)]
    result = measure_kind("positional", pairs, [a], causal=True)
    assert result.baselines.offset_accuracy == 1.0 and "offset" not in result.compared
    assert result.best.accuracy == 1.0 and result.evidence and result.best_baseline != "offset"
    separator = measure_kind("separator", [TokenPair(0, i, 0, None) for i in range(1, n)], [a], causal=True)
    assert separator.compared == ("offset", "chance")


def test_tokens_line_up_with_words_across_wordpiece_bpe_and_special_tokens():
    text = "The café's keys, unlocked."
    words = words_of(text)
    assert [w.text for w in words] == ["The", "café's", "keys", "unlocked"]
    wordpiece = ["[CLS]", "the", "cafe", "'", "s", "keys", ",", "un", "##lock", "##ed", ".", "[SEP]"]
    assert token_starts(text, wordpiece) == [None, 0, 4, 8, 9, 11, 15, 17, 19, 23, 25, None]
    assert first_tokens(text, words, wordpiece) == ((1, 2, 5, 7), 2)
    bpe = ["<|im_start|>", "The", "Ġcafé", "'s", "Ġkeys", ",", "Ġunlocked", "."]
    assert first_tokens(text, words, bpe) == ((1, 2, 4, 6), 1)
    shown = ["<|im_start|>", "The", "café", "'s", "␣", "keys", ",", "unlocked", "."]  # as attncli shows them
    assert first_tokens("The café's  keys, unlocked.", words, shown) == ((1, 2, 5, 7), 1)
    assert first_tokens("The zyx runs", words_of("The zyx runs"), ["[CLS]", "the", "[UNK]", "runs", "[SEP]"]) == \
        ((1, 2, 3), 0)
    with pytest.raises(AttncliError, match="cannot line up the model's token 'dog' with the text at 'cat'"):
        token_starts("The cat", ["the", "dog"])


SET = """\
sentences:
  - text: The keys to the cabinet are here.
    agreement:
      - 5 are -> 1 keys not 4 cabinet
  - text: He said that the dog ran.
    coreference:
      - 0 He -> 4 dog
"""


def test_a_decoder_counts_only_pairs_that_point_left():
    lset = parse_set(SET, origin="s.yaml")
    tokens = [["<s>", "The", "Ġkeys", "Ġto", "Ġthe", "Ġcabinet", "Ġare", "Ġhere", "."],
              ["<s>", "He", "Ġsaid", "Ġthat", "Ġthe", "Ġdog", "Ġran", "."]]
    pairs, dropped = token_pairs(lset, tokens, "agreement", causal=True)
    assert (pairs, dropped) == ([TokenPair(0, 6, 2, 5)], 0)
    pairs, dropped = token_pairs(lset, tokens, "coreference", causal=True)
    assert (pairs, dropped) == ([], 1)
    pairs, _ = token_pairs(lset, tokens, "coreference", causal=False)
    assert pairs == [TokenPair(1, 1, 5, None)]
    assert len(token_pairs(lset, tokens, "separator", causal=True)[0]) == 8 + 7


def test_a_sentence_the_model_refuses_is_named_by_file_and_line():
    lset = parse_set(SET, origin="s.yaml")

    def run_text(text):
        raise AttncliError("the text is 600 tokens long")

    with pytest.raises(AttncliError) as caught:
        measure_set(lset, run_text, model="m", causal=False)
    assert str(caught.value) == "s.yaml:2: sentence 'The keys to the cabinet are here.': the text is 600 tokens long"


def test_tokens_that_do_not_spell_the_sentence_are_named_by_file_and_line():
    lset = parse_set(SET, origin="s.yaml")

    def run_text(text):
        return ["[CLS]", "x", "[SEP]"], np.full((1, 1, 3, 3), 1 / 3)

    for kinds in (("agreement",), ("coreference",), ("positional",)):
        if kinds == ("positional",):
            assert measure_set(lset, run_text, model="m", causal=False, kinds=kinds).kinds[0].pairs == 4
            continue
        with pytest.raises(AttncliError) as caught:
            measure_set(lset, run_text, model="m", causal=False, kinds=kinds)
        line = 2 if kinds == ("agreement",) else 5
        assert str(caught.value) == f"s.yaml:{line}: cannot line up the model's token 'x' with the text at " \
                                    f"{'The keys to the cabi' if line == 2 else 'He said that the dog'!r}"
