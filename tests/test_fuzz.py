"""Fuzzing: whatever the file holds, the only outcomes are a result or the one user-error type.

CI runs a bounded number of examples; for a long run: HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py
"""

import io
import json
import math
import os
import re

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from attncli import layout, loader, render_markdown, render_terminal
from attncli.deliver import dumps
from attncli.views import handcalc, walkthrough
from attncli.cli import app
from attncli.errors import AttncliError
from attncli.scenario_keys import names as key_names
from attncli.scenario import evaluate, settings_for

KEYS = list(key_names()) + ["W_v", "junk", "tokens"]

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e3, 1e3),
    st.sampled_from([0.0, -0.0, 5e-324, 1e-310, 1e300, -1e300, 1e154, 1.7976931348623157e308]),
    st.integers(-(10**400), 10**400),
)
scalars = st.one_of(numbers, st.text(max_size=8), st.booleans(), st.none(),
                    st.sampled_from(["1e-3", "2E+1", "nan", ".inf", "0x10", "on", "causal", "~", "[b]"]))
trees = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
                     max_leaves=25)


def matrices(rows, cols, cell=numbers):
    return st.lists(st.lists(cell, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def near_valid(draw):
    """Scenarios of the right shape (mostly), with edge values and occasional wrong shapes or keys."""
    n, d, d_k, d_v = (draw(st.integers(1, 4)) for _ in range(4))
    cell = st.one_of(st.floats(-1e3, 1e3), numbers) if draw(st.booleans()) else st.floats(-10, 10)
    doc = {"embeddings": draw(matrices(n, d, cell))}
    n_k, d_src = n, d
    if draw(st.booleans()):
        n_k, d_src = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        doc["source"] = {"embeddings": draw(matrices(n_k, d_src, cell))}
    w_q = draw(matrices(d, d_k, cell))
    heads = [{"W_Q": w_q, "W_K": draw(matrices(d_src, d_k, cell)), "W_V": draw(matrices(d_src, d_v, cell))}
             for _ in range(draw(st.integers(1, 3)))]
    if len(heads) == 1 and draw(st.booleans()):
        doc.update(heads[0])
    else:
        doc["heads"] = heads
        if draw(st.booleans()):
            doc["W_O"] = draw(matrices(d_v * len(heads), draw(st.integers(1, 3)), cell))
        if draw(st.booleans()):
            heads[-1]["W_K"] = heads[0]["W_K"]  # the same object twice: safe_dump writes an anchor and an alias
    if draw(st.booleans()):
        doc["tokens"] = draw(st.lists(st.text(min_size=0, max_size=5), min_size=n, max_size=n + draw(st.integers(0, 1))))
    mask = draw(st.sampled_from([None, "causal", True, False, "matrix", "padding"]))
    if mask == "matrix":
        doc["mask"] = draw(matrices(n, n_k, st.sampled_from([0, 1, True, 2])))
    elif mask == "padding":
        doc["key_padding"] = draw(st.lists(st.sampled_from([0, 1]), min_size=n_k, max_size=n_k))
    elif mask is not None:
        doc["mask"] = mask
    if draw(st.booleans()):
        doc[draw(st.sampled_from(KEYS))] = draw(trees)
    return doc


def dump(doc):
    try:
        return yaml.safe_dump(doc, allow_unicode=True)
    except (OverflowError, ValueError):
        return yaml.safe_dump(json.loads(json.dumps(doc, default=str)), allow_unicode=True)


def must_not_break(text):
    """Load, evaluate and render a scenario; only AttncliError may escape."""
    try:
        sc = loader.parse(text, origin="fuzz.yaml")
        ev = evaluate(sc, settings_for(sc))
    except AttncliError as error:
        assert str(error).startswith("fuzz.yaml") and "\n" not in str(error)
        return None
    lines = handcalc.focus_lines(ev, 0, 3)
    view = walkthrough.view(ev, 3, by_hand=tuple(lines))
    dumps(view.document())  # strict JSON: raises on any NaN or infinity
    for head in ev.steps.heads:
        assert np.all(np.isfinite(head.weights)) and np.allclose(head.weights.sum(axis=1), 1.0)
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(render_terminal.joined(render_terminal.render_pages(view, color=False, width=100)))
    render_markdown.render(view)
    return ev


settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@given(trees)
def test_random_trees(tree):
    must_not_break(dump(tree if isinstance(tree, dict) else {"embeddings": tree}))


@given(near_valid())
def test_near_valid_scenarios(doc):
    must_not_break(dump(doc))


@given(st.text(max_size=200))
def test_random_text(text):
    must_not_break(text)


@given(st.binary(max_size=200))
def test_random_bytes_through_the_cli(data):
    result = CliRunner().invoke(app, ["explain", "-", "--format", "json"], input=data)
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert result.stderr.startswith("Error: <stdin>") and result.stderr.count("\n") == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


@settings(max_examples=60)
@given(near_valid(), st.sampled_from(["rich", "json", "markdown"]), st.booleans(), st.booleans(), st.floats(0.01, 100))
def test_whole_cli(doc, fmt, scale, mask, temperature):
    args = ["explain", "-", "--format", fmt, "--temperature", repr(temperature),
            "--scale" if scale else "--no-scale", "--mask" if mask else "--no-mask", "--focus", "0"]
    result = CliRunner().invoke(app, args, input=dump(doc))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1) or (result.exit_code == 2 and "--temperature" in result.stderr)
    if result.exit_code == 0 and fmt == "json":
        out = json.loads(result.stdout)
        assert all(math.isfinite(v) for row in out["output"] for v in row)
    else:
        assert "Traceback" not in result.output


# ---- text from the file: control characters, aliases of text, extreme but legal sizes ------------

# Characters that must be shown, never obeyed, mixed with ordinary letters of several scripts.
HOSTILE_CHARS = list("\x1b\x07\x08\r\x0b\x0c\x7f\x85\x9b\u202a\u202e\u2066\u2069\u200e\u200f\u061c\n\t|\\`*[]")
hostile_text = st.text(alphabet=st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters(codec="utf-8")),
                       min_size=1, max_size=12).filter(str.strip)
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
SGR = re.compile("\x1b\\[[0-9;]*m")


@settings(max_examples=60)
@given(st.integers(1, 4), hostile_text, hostile_text, st.data())
def test_text_from_a_file_is_shown_never_obeyed(n, name, description, data):
    tokens = data.draw(st.lists(hostile_text, min_size=n, max_size=n))
    heads = [{"name": data.draw(hostile_text), "W_Q": [[1.0]], "W_K": [[0.5]], "W_V": [[2.0]]} for _ in range(2)]
    doc = {"name": name, "description": description, "tokens": tokens, "embeddings": [[float(i)] for i in range(n)],
           "heads": heads}
    try:
        sc = loader.parse(dump(doc), origin="fuzz\x1b[2J.yaml")
        ev = evaluate(sc, settings_for(sc))
    except AttncliError as error:  # two head names the same: a refusal, which must be clean too
        assert RAW.search(str(error)) is None
        return
    view = walkthrough.view(ev, 3, by_hand=tuple(handcalc.focus_lines(ev, 0, 3)))
    out = io.StringIO()
    Console(file=out, width=100, color_system="truecolor", force_terminal=True).print(
        render_terminal.joined(render_terminal.render_pages(view, color=True, width=100)))
    for text in (SGR.sub("", out.getvalue()), render_markdown.render(view), dumps(view.document())):
        assert RAW.search(text) is None


@settings(max_examples=40)
@given(st.text(alphabet="abcxyz", min_size=1, max_size=60), st.integers(1, 400))
def test_aliases_of_text_never_expand_the_file(token, copies):
    text = (f"tokens: [&t {token}" + ", *t" * (copies - 1) + "]\nembeddings: ["
            + ", ".join(["[1]"] * copies) + "]\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[1]]\n")
    try:
        sc = loader.parse(text, origin="fuzz.yaml")
    except AttncliError as error:
        assert "YAML aliases (*name) expand" in str(error)
        return
    assert sum(map(len, sc.tokens)) <= len(text)  # what was read is no more than what was written


@settings(max_examples=20)
@given(st.integers(1, 1000), st.integers(1, 10_000), st.integers(1, 8))
def test_extreme_but_legal_sizes_are_read(token_length, description_length, n_heads):
    doc = {"name": "n" * token_length, "description": "d" * description_length,
           "tokens": ["t" * token_length], "embeddings": [[1.0]],
           "heads": [{"W_Q": [[1.0]], "W_K": [[1.0]], "W_V": [[1.0]]} for _ in range(n_heads)]}
    sc = loader.parse(dump(doc), origin="fuzz.yaml")
    assert sc.tokens == ("t" * token_length,) and len(sc.description) == description_length
    doc["tokens"] = ["t" * 1001]
    with pytest.raises(AttncliError, match="at most 1,000 characters"):
        loader.parse(dump(doc), origin="fuzz.yaml")


@pytest.mark.parametrize("doc", [
    {"embeddings": [[2.2250738585e-313]], "heads": [{"W_Q": [[0.0, 0.0]], "W_K": [[1.0, 1.0]], "W_V": [[0.0]]}]},
    {"embeddings": [[1e150], [1e-300]], "W_Q": [[1.0, 1e-5]], "W_K": [[1e-8, 1.0]], "W_V": [[1.0]]},
])
def test_the_qk_picture_of_subnormal_or_huge_vectors(doc):
    """Found by the fuzz test: a subnormal span made the picture's scale infinite and a pixel NaN."""
    must_not_break(dump(doc))  # drawn, or refused with one AttncliError: never a ValueError


@pytest.mark.parametrize("size", [1e-200, 1.0, 1e200])
def test_the_share_the_qk_plane_keeps_does_not_depend_on_the_vectors_size(size):
    """Found by the fuzz test: squaring singular values near 1e200 overflowed, and the share became NaN."""
    from attncli.views.pictures import plane

    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    s = np.linalg.svd(np.vstack([q, k]), compute_uv=False)
    with np.errstate(all="raise"):
        kept = plane(q * size, k * size)[2]
    assert kept == pytest.approx(float((s[:2] ** 2).sum() / (s ** 2).sum()), rel=1e-12)


def test_scores_whose_squares_overflow_have_a_variance_too_large_for_float64_not_infinity():
    """Scores near 1e295 are finite, but their variance is not a float64: the lesson says so instead of ∞."""
    sc = loader.parse(dump({"embeddings": [[1e150], [1e-300]], "W_Q": [[1.0, 1e-5]], "W_K": [[1e-8, 1.0]],
                            "W_V": [[1.0]]}), origin="huge.yaml")
    ev = evaluate(sc, settings_for(sc))
    assert np.all(np.isfinite(ev.steps.heads[0].scores))
    blocks = [b for page in walkthrough.view(ev, 3).pages for b in page.blocks]
    lessons = [b.text for b in blocks if getattr(b, "role", "") == "lesson"]
    scale = next(text for text in lessons if "brings the variance back to 1" in text)
    assert "variance too large for float64, and too large for float64 after dividing by √2" in scale
    assert "∞" not in scale and "inf" not in scale


def test_drawn_lines_are_cropped_to_the_room_even_with_wide_characters():
    """Laid-out lines (matrices, the q·k canvas) never wrap: a line wider than the console is cropped."""
    from rich.cells import cell_len

    lines = [(("猫" * 50, "bold"),), (("ab", ""), ("🐕" * 30, "cyan"))]
    console = Console(width=40, file=io.StringIO(), no_color=True)
    console.print(layout.Drawn(lines))
    shown = console.file.getvalue().splitlines()
    assert len(shown) == 2 and all(cell_len(line) <= 40 for line in shown)
    assert shown[0].startswith("猫" * 20)


@given(st.lists(st.text(max_size=12), max_size=5))
def test_laid_out_widths_are_rich_cell_widths(texts):
    """The layout's shortcut for printable ASCII measures every text as Rich does."""
    from rich.cells import cell_len

    assert layout.text_width([(text, "") for text in texts]) == sum(cell_len(text) for text in texts)
