"""Every mistake in the Python API is one AttncliError in words, and the command line's limits hold before any work."""

import decimal
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import attncli
from attncli import core, limits

EYE = [[1.0, 0.0], [0.0, 1.0]]
NONE_MASK = [[True, None], [True, True]]
SIZE = limits.describe_size_limits()


def message(call) -> str:
    with pytest.raises(attncli.AttncliError) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize("call,words", [
    (lambda: attncli.attention(EYE, EYE, EYE, mask=NONE_MASK),
     "mask row 0, column 1 is None; it should be True or 1 (may attend) or False or 0 (hidden)"),
    (lambda: attncli.attention(EYE, EYE, EYE, mask=np.array(NONE_MASK, dtype=object)),
     "mask row 0, column 1 is None; it should be True or 1 (may attend) or False or 0 (hidden)"),
    (lambda: attncli.attention(EYE, EYE, EYE, mask=np.array([[1, "yes"], [1, 1]], dtype=object)),
     "mask row 0, column 1 is 'yes'; it should be True or 1 (may attend) or False or 0 (hidden)"),
    (lambda: attncli.multi_head(EYE, [(EYE, EYE, EYE)], mask=NONE_MASK),
     "mask row 0, column 1 is None; it should be True or 1 (may attend) or False or 0 (hidden)"),
    (lambda: attncli.softmax([[]]), "x is empty: softmax needs at least one score in each row, like [1.0, 2.0]"),
    (lambda: attncli.softmax([]), "x is empty: softmax needs at least one score in each row, like [1.0, 2.0]"),
    (lambda: attncli.softmax("abc"), "x should be a row of scores like [1.0, 2.0], or a list of rows, not text"),
    (lambda: attncli.softmax(None), "x should be a row of scores like [1.0, 2.0], or a list of rows, not None"),
    (lambda: attncli.softmax(3.0), "x should be a row of scores like [1.0, 2.0], or a list of rows, not a single number"),
    (lambda: attncli.softmax([[1, 2], [3]]), "x row 1 has 1 number, but row 0 has 2"),
    (lambda: attncli.softmax([[1, "a"]]), "x row 0, column 1 is 'a', not a number"),
    (lambda: attncli.softmax([[1j, 2]]), "x holds complex numbers; attention here is over real numbers"),
    (lambda: attncli.softmax([[np.inf, 1]]),
     "x row 0, column 0 is inf: a +∞ score makes its row ∞/∞, not a number (-∞ is allowed: weight 0)"),
    (lambda: attncli.softmax([1, np.nan]), "x entry 1 is nan: NaN is not a score"),
    (lambda: attncli.softmax([[0, 1], [-np.inf, -np.inf]]),
     "x row 1 is all -∞: softmax over no entries is 0/0; leave at least one entry finite"),
    (lambda: attncli.softmax([-np.inf]), "x is all -∞: softmax over no entries is 0/0; leave at least one entry finite"),
    (lambda: attncli.model(5), "model() takes your text as a string (str), not int"),
    (lambda: attncli.model(b"the dog"), "model() takes your text as a string (str), not bytes"),
    (lambda: attncli.model("the dog", name=5),
     "name should be a model directory or a hub id (a string), or None for the default, not int"),
    (lambda: attncli.model("the dog", float32="yes"), "float32 should be True or False, not 'yes'"),
    (lambda: attncli.comparison(5), "comparison() takes a Scenario (from attncli.load) or a name, path or YAML text, "
                                    "not int"),
    (lambda: attncli.multi_head(EYE, [(EYE, EYE, EYE)], tokens=5),
     "tokens should be a list of names, one per row of x, or one string of words, not int"),
    (lambda: attncli.multi_head([[1.0]], [([[1]], [[1]], [[1]])], tokens=["x" * 5000]),
     "tokens[0] is 5,000 characters long; a name holds at most 1,000"),
    (lambda: attncli.attention([[10 ** 400]], [[1]], [[1]]),
     "q row 0, column 0 is a whole number of 401 digits, too large for float64 (at most about 1.8e308)"),
    (lambda: attncli.attention([[decimal.Decimal(1)]], [[1]], [[1]]), "q row 0, column 0 is Decimal('1'), not a number"),
    (lambda: attncli.attention(np.array([[1, None]], dtype=object), [[1, 0]], [[1]]),
     "q row 0, column 1 is None, not a number"),
    (lambda: attncli.load("a" * 5000), f"{'a' * 5000}: cannot read the file: File name too long"),
])
def test_every_mistake_is_one_attncli_error_in_words(call, words):
    assert message(call) == words


def test_softmax_of_a_finite_or_partly_hidden_row_matches_the_core():
    rows = [[1.0, 2.0, -np.inf], [1e308, -1e308, 0.0]]
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(attncli.softmax(rows), core.softmax(np.array(rows)))
    assert attncli.softmax([0.0, 0.0]).tolist() == [0.5, 0.5]


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(-np.inf))))
def test_softmax_never_returns_nan_it_refuses_in_words(x):
    try:
        out = attncli.softmax(x)
    except attncli.AttncliError as error:
        assert str(error).startswith(("x ", "x["))
    else:
        assert np.isfinite(out).all() and np.allclose(out.sum(axis=-1), 1.0)


@pytest.mark.parametrize("rows", [
    np.array([[1.0, 0.0], [0.0, 1.0]], dtype=object),
    np.array([np.array([1.0, 0.0]), np.array([0.0, 1.0])], dtype=object),
    np.array([[1, 0], [0, 1]], dtype=object) * 1,
    np.array([[np.float32(1), 0], [0, np.int8(1)]], dtype=object),
])
def test_an_object_array_of_equal_rows_is_read_as_numbers(rows):
    got = attncli.attention(rows, EYE, EYE)
    want = attncli.attention(EYE, EYE, EYE)
    np.testing.assert_array_equal(got.weights, want.weights)


def test_a_one_dimensional_object_array_of_equal_rows_is_read_as_numbers():
    rows = np.empty(2, dtype=object)
    rows[0], rows[1] = [1.0, 0.0], [0.0, 1.0]
    np.testing.assert_array_equal(attncli.attention(rows, EYE, EYE).weights, attncli.attention(EYE, EYE, EYE).weights)


# ---- the command line's limits, before anything is allocated ------------------------------------------


def peak_bytes(call) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(attncli.AttncliError):
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


LONG = np.random.default_rng(0).standard_normal((30_000, 4))
SQUARE = np.zeros((3000, 3000))


@pytest.mark.parametrize("call,words", [
    (lambda: attncli.attention(LONG, LONG, LONG),
     f"30000 queries × 30000 keys × 1 head(s) need 2,700,000,000 numbers for the attention steps; {SIZE}"),
    (lambda: attncli.multi_head(LONG, [(np.eye(4), np.eye(4), np.eye(4))]),
     f"30000 queries × 30000 keys × 1 head(s) need 2,700,000,000 numbers for the attention steps; {SIZE}"),
    (lambda: attncli.softmax(SQUARE), f"x has shape 3,000 × 3,000; {SIZE}"),
    (lambda: attncli.attention(np.zeros((1, 200_000)), [[1]], [[1]]), f"q has shape 1 × 200,000; {SIZE}"),
    (lambda: attncli.attention([[1]], [[1]], [[1]], mask=[[True]] * 1_000_000),
     "mask is 1000000×1, but it needs one row per query and one column per key: 1×1"),
])
def test_the_limits_hold_before_the_arrays_are_made(call, words):
    assert message(call) == words
    assert peak_bytes(call) < 50_000_000  # the refused steps would take gigabytes


def test_attention_on_30000_tokens_as_lists_is_refused_before_the_lists_are_converted():
    rows = LONG.tolist()
    assert peak_bytes(lambda: attncli.attention(rows, rows, rows)) < 50_000_000


def test_a_raised_cell_limit_still_refuses_what_free_memory_cannot_hold(monkeypatch):
    monkeypatch.setenv(limits.CELLS_ENV, str(10 ** 12))
    monkeypatch.setattr(limits, "available_memory", lambda: 2 ** 30)
    words = message(lambda: attncli.attention(LONG, LONG, LONG))
    assert words == ("the attention steps need about 40.2 GB, and this machine has 1.0 GB free; "
                     "use fewer queries or keys")


def test_run_and_comparison_bound_the_steps_of_a_scenario_built_in_python(monkeypatch):
    sc = attncli.load("dog_ate_dinner")
    monkeypatch.setenv(limits.CELLS_ENV, "20")
    assert message(lambda: attncli.run(sc)).startswith("3 queries × 3 keys × 1 head(s) need 27 numbers")
    assert message(lambda: attncli.comparison(sc, scale=False)).startswith("3 queries × 3 keys × 2 head(s) need 54")


def test_yaml_text_over_the_file_limit_is_refused_before_it_is_parsed():
    text = "name: x\ntokens: [a]\nembeddings: [[1]]\n# " + "c" * 15_000_000 + "\n"
    words = message(lambda: attncli.load(text))
    assert words == ("<text>: the text is larger than 5,000,000 bytes; raise the limit with "
                     "ATTNCLI_MAX_FILE_BYTES=<bytes> if you mean it")
    assert peak_bytes(lambda: attncli.load(text)) < 50_000_000


def test_yaml_text_is_measured_in_utf8_bytes(monkeypatch):
    monkeypatch.setenv(limits.FILE_ENV, "100")
    assert message(lambda: attncli.load("# " + "é" * 60 + "\nname: x\n")).startswith("<text>: the text is larger "
                                                                                      "than 100 bytes")


def test_names_from_python_are_shown_never_obeyed():
    steps = attncli.multi_head(EYE, [{"name": "h\x1b[2J", "W_Q": EYE, "W_K": EYE, "W_V": EYE}],
                               tokens=["a\x07", "b\u202e"])
    assert steps.scenario.tokens == ("a\\x07", "b\\u202e")
    assert steps.scenario.heads[0].name == "h\\x1b[2J"


# ---- the class, not only the cases: any value in any argument is a result or an AttncliError -----------

WEIRD = [None, 5, 2.5, float("nan"), float("inf"), True, "abc", "", b"x", [], [[]], [[None]], [1, 2], [[1, 2], [3]],
         np.array([]), np.zeros((0, 2)), np.zeros((2, 0)), np.array(EYE, dtype=object),
         np.array([[1, None], [2, 3]], dtype=object), {"a": 1}, {1, 2}, object(), np.float64(1), np.array(1.0),
         [[1j, 2]], [["1", "2"], ["3", "4"]], [[decimal.Decimal(1), 0], [0, 1]], np.array(EYE, dtype=np.float16),
         np.array([[1, 2], [3, 4]], dtype="datetime64[s]"), np.array(EYE).astype("U3"), [[10 ** 400, 0], [0, 1]],
         np.array([[np.nan, 0], [0, 1]]), [[1e308, 1e308], [1, 1]], "causal", np.eye(2, dtype=bool),
         [[True, False], [False, False]], np.ones((2, 2, 2))]
HEAD = (EYE, EYE, EYE)
CALLS = {
    "softmax": lambda w: attncli.softmax(w),
    "attention q": lambda w: attncli.attention(w, EYE, EYE),
    "attention v": lambda w: attncli.attention(EYE, EYE, w),
    "attention mask": lambda w: attncli.attention(EYE, EYE, EYE, mask=w),
    "attention scale": lambda w: attncli.attention(EYE, EYE, EYE, scale=w),
    "multi_head x": lambda w: attncli.multi_head(w, [HEAD]),
    "multi_head heads": lambda w: attncli.multi_head(EYE, w),
    "multi_head a head": lambda w: attncli.multi_head(EYE, [w]),
    "multi_head W_Q": lambda w: attncli.multi_head(EYE, [{"W_Q": w, "W_K": EYE, "W_V": EYE}]),
    "multi_head name": lambda w: attncli.multi_head(EYE, [{"name": w, "W_Q": EYE, "W_K": EYE, "W_V": EYE}]),
    "multi_head b_Q": lambda w: attncli.multi_head(EYE, [{"b_Q": w, "W_Q": EYE, "W_K": EYE, "W_V": EYE}]),
    "multi_head source": lambda w: attncli.multi_head(EYE, [HEAD], source=w),
    "multi_head w_o": lambda w: attncli.multi_head(EYE, [HEAD], w_o=w),
    "multi_head b_o": lambda w: attncli.multi_head(EYE, [HEAD], w_o=EYE, b_o=w),
    "multi_head mask": lambda w: attncli.multi_head(EYE, [HEAD], mask=w),
    "multi_head scale": lambda w: attncli.multi_head(EYE, [HEAD], scale=w),
    "multi_head temperature": lambda w: attncli.multi_head(EYE, [HEAD], temperature=w),
    "multi_head tokens": lambda w: attncli.multi_head(EYE, [HEAD], tokens=w),
    "multi_head source_tokens": lambda w: attncli.multi_head(EYE, [HEAD], source=EYE, source_tokens=w),
    "run": lambda w: attncli.run(w),
    "run mask": lambda w: attncli.run("dog_ate_dinner", mask=w),
    "run scale": lambda w: attncli.run("dog_ate_dinner", scale=w),
    "run temperature": lambda w: attncli.run("dog_ate_dinner", temperature=w),
    "load": lambda w: attncli.load(w),
    "comparison": lambda w: attncli.comparison(w),
    "comparison scale": lambda w: attncli.comparison("dog_ate_dinner", scale=w),
    "comparison mask": lambda w: attncli.comparison("dog_ate_dinner", mask=w),
    "comparison temperature": lambda w: attncli.comparison("dog_ate_dinner", temperature=w),
    "display": lambda w: attncli.display(w),
}


@pytest.mark.parametrize("call", CALLS)
def test_any_value_in_any_argument_gives_a_result_or_one_attncli_error(call):
    for value in WEIRD:
        try:
            CALLS[call](value)
        except attncli.AttncliError as error:
            assert "\n" not in str(error) and str(error), (call, value)
        except Exception as error:  # noqa: BLE001  (the point: no other type may escape)
            pytest.fail(f"{call}({value!r}) raised {type(error).__name__}: {error}")


def test_a_models_run_and_its_heads_take_any_value_too(tmp_path):
    pytest.importorskip("tokenizers", reason="the model extra is not installed")
    from tiny_bert import write_tiny_bert

    folder = str(write_tiny_bert(tmp_path / "m"))
    run = attncli.model("the dog", name=folder)
    calls = {"text": lambda w: attncli.model(w, name=folder), "name": lambda w: attncli.model("the dog", name=w),
             "float32": lambda w: attncli.model("the dog", name=folder, float32=w),
             "layer": lambda w: run.head(w, 0), "head": lambda w: run.head(0, w)}
    for call, value in [(c, v) for c in calls for v in WEIRD + [-1, 10 ** 30, "\x00", "/dev/zero", "a" * 5000]]:
        if call == "name" and isinstance(value, str) and value not in ("\x00", "/dev/zero", "a" * 5000):
            continue  # a word may be a hub id: not looked up here
        try:
            calls[call](value)
        except attncli.AttncliError:
            pass
        except Exception as error:  # noqa: BLE001
            pytest.fail(f"{call}={value!r} raised {type(error).__name__}: {error}")
    assert message(lambda: run.head("0", 0)) == "layer should be a whole number (from 0), not '0'"
