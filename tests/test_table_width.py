"""Every table fits the width it is given: it shows each column or says how many it shows, never drops one silently."""

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from attncli.cli import app
from attncli.layout import Look, text_width
from attncli.render_terminal import matrix_block
from attncli.views import MatrixView

runner = CliRunner()
TOKENS = ("<|im_start|>", "The", "dog", "ate", "his", "dinner", "because", "he", "was", "hungry", ".")
CAUSAL = ("random: {seed: 0, tokens: [" + ", ".join(f'"{t}"' for t in TOKENS) + "], d_model: 4}\n"
          "mask: causal\n")
CAPTION = re.compile(r" (\S[^()]*\(\d+×\d+\))")
NOTE = re.compile(r"showing \d+ of \d+ rows,\s+\d+ of \d+\s+columns")


def key_tables(out: str) -> list[tuple[str, list[str], str]]:
    """Each n×n table of the output: its caption, the labels of its header line, and the text below it
    down to the next blank line, all cut to the caption's own columns (tables may stand side by side)."""
    lines = out.splitlines()
    tables = []
    for k, line in enumerate(lines):
        captions = [m for m in CAPTION.finditer(line) if m.group(1).endswith(f"({len(TOKENS)}×{len(TOKENS)})")]
        starts = [m.start() for m in CAPTION.finditer(line)] + [None]
        for m in captions:
            if k + 2 >= len(lines) or lines[k + 2][m.start() + 1:m.start() + 2] != "─":
                continue  # a heading that ends like a caption, not a table
            end = starts[starts.index(m.start()) + 1]
            below = []
            for later in lines[k + 1:]:
                if not later.strip():
                    break
                below.append(later[m.start():end])
            tables.append((m.group(1), below[0].split(), " ".join(" ".join(below[1:]).split())))
    return tables


def test_explain_of_a_causal_eleven_token_scenario_shows_every_column_or_says_so(write):
    path = write(CAUSAL)
    for width in (40, 60, 80):
        out = runner.invoke(app, ["explain", path, "--width", str(width), "--no-color"]).stdout
        tables = key_tables(out)
        assert any(caption.startswith("may attend") for caption, _, _ in tables), out
        assert len(tables) == 5  # S, scaled, may attend, masked, A
        for caption, header, below in tables:
            assert header == list(TOKENS) or NOTE.search(below), (width, caption, header, below)
            if header != list(TOKENS):
                assert "--format json has them all" in below, (width, caption)
        assert max(len(line) for line in out.splitlines()) <= width


def _views(draw_labels, n_cols: int, kind: str) -> MatrixView:
    rng = np.random.default_rng(n_cols)
    n_rows = len(draw_labels[0])
    values = {"flags": rng.random((n_rows, n_cols)) > 0.5, "weights": rng.random((n_rows, n_cols)),
              "plain": rng.normal(scale=100, size=(n_rows, n_cols)),
              "colours": rng.random((n_rows, n_cols))}[kind]
    return MatrixView("caption", values, tuple(draw_labels[0]), tuple(draw_labels[1]), kind=kind)


label = st.text(alphabet=st.sampled_from("abcXYZ<|>_.猫"), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 14), st.integers(1, 30), st.sampled_from(["flags", "weights", "plain", "colours"]),
       st.integers(40, 200), st.booleans(), st.integers(1, 6), st.data())
def test_a_matrix_never_passes_its_width_and_says_when_it_leaves_columns_out(n_rows, n_cols, kind, width, color,
                                                                            precision, data):
    if kind == "colours":
        n_cols = 3
    rows = data.draw(st.lists(label, min_size=n_rows, max_size=n_rows))
    cols = data.draw(st.lists(label, min_size=n_cols, max_size=n_cols))
    view = _views((rows, cols), n_cols, kind)
    laid = matrix_block(view, precision, look=Look(color, width))
    assert laid.width <= width
    assert all(text_width(line) == laid.width for line in laid.lines)
    headers = [text for text, style in laid.lines[1] if style == "bold" and text]
    shown = [h for h in headers if h != "…"]
    assert shown, "not one column"
    for h in shown:  # a label as it is, or its start cut short with …
        assert h in cols or h.endswith("…") and any(c.startswith(h[:-1]) for c in cols), h
    text = " ".join(" ".join("".join(t for t, _ in line) for line in laid.lines).split())
    counts = re.search(r"showing (\d+) of (\d+) rows,\s+(\d+) of (\d+)\s+columns", text)
    if len(shown) < n_cols:
        assert counts and "--format json has them all" in text, text
        assert (int(counts.group(3)), int(counts.group(4)), int(counts.group(2))) == (len(shown), n_cols, n_rows)
    else:
        assert "…" not in headers


def grid_text(grid, width: int, color: bool) -> str:
    import io

    from rich.console import Console

    from attncli.render_terminal import _grid

    console = Console(file=io.StringIO(), width=width, record=True, color_system="truecolor" if color else None,
                      highlight=False, emoji=False)
    for part in _grid(grid, Look(color, width)):
        console.print(part)
    return console.export_text()


number = st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.{abs(int(x)) % 5}f}")
name = st.text(alphabet=st.sampled_from("abc XYZ-_.[],"), min_size=1, max_size=30).map(str.strip).filter(bool)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 12), st.integers(1, 6), st.integers(40, 160), st.booleans(), st.booleans(), st.data())
def test_a_grid_cuts_no_number_short_and_says_when_it_leaves_columns_out(n_cols, n_rows, width, shaded, color, data):
    from attncli.views import Grid

    headers = ("name",) + tuple(f"c{j}" for j in range(1, n_cols + 1))
    rows = tuple((data.draw(name),) + tuple(data.draw(number) for _ in range(n_cols)) for _ in range(n_rows))
    shades = tuple(tuple(None if j == 0 else 0.5 for j in range(n_cols + 1)) for _ in rows) if shaded else None
    out = grid_text(Grid(headers, rows, "T", shades=shades), width, color)
    assert max(len(line) for line in out.splitlines()) <= width
    words = out.split()
    shown = [j for j in range(1, n_cols + 1) if f"c{j}" in words]
    for j in shown:  # every number of a column shown is shown whole
        assert all(row[j] in words for row in rows), (j, out)
    text = " ".join(words)
    if len(shown) < n_cols:
        assert f"showing {len(shown) + 1} of {n_cols + 1} columns; --export FILE.md has them all" in text, out
    else:
        assert "showing" not in text


def test_a_grade_at_40_columns_keeps_every_answer_and_status_whole_and_folds_the_names():
    out = runner.invoke(app, ["grade", "tests/golden/grade/key.json", "tests/golden/grade/student-01.answers.yaml",
                              "--width", "40", "--no-color"]).stdout
    question = out[out.index(" question "):out.index("First mistake")].split()
    assert "-0.08" in question and "0.5" in question and "wrong" in question  # whole, where Rich cut them short
    assert "e1.S[hen,owl" in question and "]" in question  # the question's name folded, not cut
    assert "showing 3 of 5 columns; --export FILE.md\nhas them all" in out  # the per-student table, at its width
