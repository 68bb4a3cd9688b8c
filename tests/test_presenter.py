"""Presenter mode at lecture sizes through a real pseudo-terminal: every screen fits, every step is
reached, and the live knobs give the numbers explain prints with the matching flags."""

import codecs
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from typer.testing import CliRunner

from attncli import commands, loader
from attncli.cli import app
from attncli.presenter import label, split_keys, steps

runner = CliRunner()
BUILTINS = loader.builtin_names()
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-B]|\x1b[=>]")
# The footer is the last thing drawn: a reversed name, then the rest of the line, each reset after.
FRAME_END = re.compile(r"\x1b\[1;7m[^\x1b]*\x1b\[0m\x1b\[1m[^\x1b]*\x1b\[0m\Z")


def attncli():
    return shutil.which("attncli") or str(Path(sys.executable).parent / "attncli")


class Screen:
    """attncli in a pseudo-terminal of a given size: keys in, whole frames (as plain text) out."""

    def __init__(self, *args, rows=24, cols=80, term="xterm-256color"):
        import fcntl
        import pty
        import struct
        import termios

        self.rows, self.cols = rows, cols
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": term}
        for name in ("NO_COLOR", "COLUMNS", "LINES", "COLORTERM", "FORCE_COLOR"):
            env.pop(name, None)
        self.proc = subprocess.Popen([attncli(), *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.seen = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a character may span two reads

    def frame(self, deadline: float = 30.0) -> str:
        """The next whole frame drawn, as text (a generous deadline, not a timing check)."""
        end = time.monotonic() + deadline
        start = len(self.seen)
        while time.monotonic() < end:
            if FRAME_END.search(self.seen[start:]):
                drawn = self.seen[start:]
                return ANSI.sub("", drawn[drawn.rfind("\x1b[2J"):]).replace("\r", "")
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.seen += self.decoder.decode(os.read(self.master, 65536))
                except OSError:
                    break
        raise AssertionError(f"no frame; last output: {self.seen[-400:]!r}")

    def press(self, keys: str) -> str:
        os.write(self.master, keys.encode())
        return self.frame()

    def quit(self) -> int:
        os.write(self.master, b"q")
        try:
            return self.proc.wait(timeout=30)
        finally:
            os.close(self.master)


def fits(frame: str, rows: int, cols: int) -> None:
    lines = frame.split("\n")
    assert len(lines) <= rows, f"{len(lines)} lines on a {rows}-line screen"
    wide = [line for line in lines if cell_len(line) > cols]
    assert not wide, f"lines wider than {cols}: {wide[:2]}"


def every_screen(screen: Screen) -> list[str]:
    """Press → until the screen stops changing: the last step's last screen."""
    frames = [screen.frame()]
    while len(frames) < 200:
        frames.append(screen.press(" "))
        if frames[-1] == frames[-2]:
            return frames[:-1]
    raise AssertionError("presenter mode never reached an end")


def rendered_heading(page) -> str:
    number, name = label(page.heading)
    return f"{number}  {name}" if number else ""


@pytest.mark.parametrize("size", [(24, 80), (40, 120)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("focus", [None, "0"], ids=["whole", "focus"])
@pytest.mark.parametrize("name", BUILTINS)
def test_every_screen_fits_and_every_step_is_shown(name, focus, size):
    rows, cols = size
    args = ["explain", name, "--step"] + (["--focus", focus] if focus else [])
    screen = Screen(*args, rows=rows, cols=cols)
    frames = every_screen(screen)
    assert screen.quit() == 0
    for frame in frames:
        fits(frame, rows, cols)
    shown = "\n".join(frames)
    view = commands.explain(name, focus=focus)
    for page in steps(view):
        heading = rendered_heading(page)
        if heading:  # long headings wrap: their first words must be on a screen
            assert heading[:cols - 10] in shown.replace("\n", ""), heading
    assert "Cost" in frames[-1]
    if focus:
        assert "By hand" in shown


def test_paging_within_a_step_shows_more_below_and_reaches_its_end():
    """The hand calculation (over 30 lines) on a 24-line screen: every line is reached by paging."""
    screen = Screen("explain", "--focus", "dog", "--step", rows=24, cols=80)
    screen.frame()
    frames = [screen.press("o"), screen.press("\x1b[F")]  # the last step in the list: Cost
    top = screen.press("\x1b[A\r")  # one up: By hand
    footer = top.rstrip().split("\n")[-1]
    total = re.search(r"↓ more below \(23/(\d+) lines\)", footer)
    assert "By hand" in footer and total and int(total.group(1)) > 30
    assert "1. Scores" in top and "[1.2747, 2.3637]" not in top
    bottom = screen.press("\x1b[B")
    assert "[1.2747, 2.3637]" in bottom and f"end of step ({total.group(1)} lines)" in bottom.rstrip().split("\n")[-1]
    assert "By hand" in screen.press("\x1b[A")  # back up within the step
    screen.press("\x1b[B")
    assert "Cost:" in screen.press(" ")  # at the end of a step, → goes on
    assert screen.quit() == 0
    assert all(frames)


def test_a_number_then_enter_jumps_and_the_overview_lists_the_steps():
    screen = Screen("explain", "--step", rows=24, cols=80)
    screen.frame()
    frame = screen.press("4\r")
    assert "Step 4  Softmax" in frame and frame.rstrip().split("\n")[-1].lstrip().startswith("Step 4 Softmax")
    overview = screen.press("o")
    for number in ("Step 0", "Step 1", "Step 2", "Step 3", "Step 4", "Step 5"):
        assert number in overview
    frame = screen.press("\x1b[A\r")  # one up from step 4 in the list, then open it
    assert "Step 3  Scale" in frame
    screen.press("o")
    frame = screen.press("5\r")  # a number typed in the list jumps too
    assert "Step 5  Output" in frame
    frame = screen.press("9\r")
    assert "no step 9" in frame
    assert screen.quit() == 0


def weights_on(frame: str, tokens) -> list[list[str]]:
    """The rows of the A table on a screen, as the printed numbers."""
    lines = frame.split("\n")
    top = next(k for k, line in enumerate(lines) if re.match(r"\s*A \(", line))
    rows = []
    for line in lines[top + 3: top + 3 + len(tokens)]:
        rows.append(re.findall(r"\d+\.\d{3}", line))
    return rows


def printed_weights(*flags, name="dog_ate_dinner", head=0) -> list[list[str]]:
    result = runner.invoke(app, ["explain", name, "--format", "json", *flags])
    weights = json.loads(result.stdout)["heads"][head]["weights"]
    return [[f"{w:.3f}" for w in row] for row in weights]


@pytest.mark.parametrize("keys, flags", [
    ("t", ["--temperature", "2"]),
    ("TT", ["--temperature", "0.25"]),
    ("tt", ["--temperature", "4"]),
    ("s", ["--no-scale"]),
    ("m", ["--mask"]),
    ("ss", []),
])
def test_knobs_give_what_explain_prints_with_the_flags(keys, flags):
    tokens = ("dog", "ate", "dinner")
    screen = Screen("explain", "--step", rows=24, cols=80)
    screen.frame()
    before = screen.press("4\r")
    assert weights_on(before, tokens) == printed_weights()
    for key in keys:
        after = screen.press(key)
    assert ("Step 5  Softmax" if keys == "m" else "Step 4  Softmax") in after  # the mask is a step of its own
    assert weights_on(after, tokens) == printed_weights(*flags)
    if flags:
        moved = any(abs(float(a) - float(b)) > 0.01 for ra, rb in zip(printed_weights(), printed_weights(*flags))
                    for a, b in zip(ra, rb))
        assert ("▲" in after or "▼" in after) == moved
    footer = after.rstrip().split("\n")[-1]
    expected = {"t": "T=2", "TT": "T=0.25", "tt": "T=4", "s": "√d_k off", "m": "mask on", "ss": None}[keys]
    if expected:
        assert expected in footer
    assert screen.quit() == 0


def test_knobs_on_a_multi_head_scenario_and_focus_moves():
    screen = Screen("explain", "two_heads", "--step", rows=40, cols=120)
    screen.frame()
    screen.press("1.4\r")
    after = screen.press("t")
    tokens = loader.load("two_heads").tokens
    assert weights_on(after, tokens) == printed_weights("--temperature", "2", name="two_heads", head=1)
    frame = screen.press("f")
    assert "focus the" in frame.rstrip().split("\n")[-1]
    assert screen.quit() == 0


def test_keys_typed_together_are_each_handled():
    assert split_keys("tt") == ["t", "t"]
    assert split_keys("\x1b[C\x1b[6~4\r") == ["\x1b[C", "\x1b[6~", "4", "\r"]
    assert split_keys("\x1b") == ["\x1b"]


def test_the_title_has_a_page_of_its_own():
    pages = steps(commands.explain("dog_ate_dinner"))
    assert [type(b).__name__ for b in pages[0].blocks] == ["Title"]
    assert label(pages[1].heading) == ("Step 0", "Inputs")


def test_resizing_relays_the_step():
    import fcntl
    import signal
    import struct
    import termios

    screen = Screen("explain", "--step", rows=40, cols=120)
    screen.frame()
    fcntl.ioctl(screen.master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    os.killpg(screen.proc.pid, signal.SIGWINCH)
    frame = screen.frame()
    fits(frame, 24, 80)
    assert screen.quit() == 0


@pytest.mark.parametrize("extra", [["two_heads", "--head", "1"], ["translation", "--tiled", "--focus", "1"],
                                   ["saturation", "--compact"]], ids=["head", "tiled", "compact"])
def test_head_tiled_and_compact_fit_too(extra):
    screen = Screen("explain", *extra, "--step", rows=24, cols=80)
    frames = every_screen(screen)
    assert screen.quit() == 0
    for frame in frames:
        fits(frame, 24, 80)
    options = dict(head="1") if "--head" in extra else dict(tiled=True, focus="1") if "--tiled" in extra else dict(compact=True)
    shown = "\n".join(frames).replace("\n", "")
    for page in steps(commands.explain(extra[0], **options)):
        heading = rendered_heading(page)
        if heading:
            assert heading[:70] in shown, heading


def test_a_48_token_heatmap_is_readable_at_80_columns(tmp_path):
    path = tmp_path / "r48.yaml"
    path.write_text("random: {seed: 0, tokens: 48, d_model: 8, d_k: 4}\nmask: causal\n")
    out = runner.invoke(app, ["explain", str(path), "--compact", "--width", "80", "--no-color"]).stdout
    block = out[out.index(" A (48×48)"):out.index("each cell one weight")].splitlines()
    assert all(cell_len(line) <= 80 for line in out.splitlines())
    rows = [line for line in block if re.match(r" t\d+ ", line)]
    assert len(rows) == 48  # every query row, none elided
    first = rows[0]
    assert first.split()[1] == "█"  # t0 sees only itself under the causal mask: a weight of exactly 1
    cells = [line[5:5 + 48] for line in rows]
    assert all(set(cell[i + 1:]) <= {" "} for i, cell in enumerate(cells))  # nothing above the diagonal
    header = block[1:4]
    assert "".join(line[5:6] for line in header).strip() == "t0"  # column labels read downwards


@pytest.mark.parametrize("term, pattern", [("xterm", r"\x1b\[[0-9;]*?(4[0-7]|10[0-7])m"),
                                           ("xterm-256color", r"\x1b\[[0-9;]*?48;5;(\d+)m")])
def test_a_16_or_256_colour_terminal_gets_a_distinct_shade_per_band(term, pattern):
    """dog_ate_dinner's A has weights in four bands (0.1x, 0.2x, 0.3x, 0.4x): four backgrounds arrive."""
    screen = Screen("explain", "--step", rows=24, cols=80, term=term)
    screen.frame()
    start = len(screen.seen)
    screen.press("4\r")
    drawn = screen.seen[start:]
    table = drawn[drawn.index(" A (3×3)"):drawn.index("weight scale")]
    assert len(set(re.findall(pattern, table))) == 4
    assert screen.quit() == 0


def test_presenter_draws_a_table_too_big_for_the_screen_as_a_heatmap(tmp_path):
    path = tmp_path / "r48.yaml"
    path.write_text("random: {seed: 0, tokens: 48, d_model: 8, d_k: 4}\n")
    screen = Screen("explain", str(path), "--step", rows=24, cols=80)
    screen.frame()
    frame = screen.press("4\r")
    assert "does not fit this screen, so each weight is one cell" in frame
    fits(frame, 24, 80)
    while "↓ more below" in frame:  # all 48 rows: the legend is below them
        frame = screen.press("\x1b[B")
        fits(frame, 24, 80)
    assert "each cell one weight: 0" in frame
    assert screen.quit() == 0


# ---- the q·k picture ---------------------------------------------------------------------------

def test_the_plane_is_q_and_k_themselves_when_d_k_is_2():
    from attncli.views.pictures import plane

    q, k = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[0.5, 0.5]])
    pq, pk, kept = plane(q, k)
    assert kept is None and (pq == q).all() and (pk == k).all()


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**6), st.integers(3, 12), st.integers(1, 6), st.integers(1, 6))
def test_principal_components_keep_dot_products_of_vectors_in_a_plane(seed, d_k, n_q, n_k):
    """Q and K that span only a plane lose nothing: the projection keeps every q·k (and says 100%)."""
    from attncli.views.pictures import plane

    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((d_k, 2)))[0]  # (d_k, 2), orthonormal
    q = rng.standard_normal((n_q, 2)) @ basis.T
    k = rng.standard_normal((n_k, 2)) @ basis.T
    pq, pk, kept = plane(q, k)
    assert kept == pytest.approx(1.0)
    np.testing.assert_allclose(pq @ pk.T, q @ k.T, atol=1e-9)


def test_the_plot_says_which_plane_it_draws_and_the_exact_dot_products():
    out = runner.invoke(app, ["explain", "dog_ate_dinner", "--width", "80", "--no-color"]).stdout
    assert "the plane of Q and K (d_k = 2)" in out
    assert "k:dog 2.710" in out and "k:dinner 2.475" in out and "k:ate 1.355" in out  # S[dog, ·], as the table
    precise = runner.invoke(app, ["explain", "--precision", "5", "--width", "80", "--no-color"]).stdout
    assert "k:dinner 2.47500" in precise  # --precision applies to the picture's numbers too
    wide = runner.invoke(app, ["explain", "saturation", "--width", "80", "--no-color"]).stdout
    assert re.search(r"d_k = 512: the first two principal components of Q and K, which keep \d+%", wide)


# ---- tall weights: every row, paged, the focus row on screen ------------------------------------

SENTENCE = "The dog ate his dinner because he was hungry."  # 12 tokens


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    pytest.importorskip("safetensors", reason="the model extra is not installed")
    pytest.importorskip("tokenizers", reason="the model extra is not installed")
    from tiny_bert import write_tiny_bert

    return str(write_tiny_bert(tmp_path_factory.mktemp("models") / "tiny", seed=3))


def heatmap_rows(frame: str, tokens) -> list[str]:
    """The row labels of the compact heatmap on a screen, in order."""
    return [line.split()[0] for line in frame.split("\n")
            if line.startswith(" ") and line.split() and line.split()[0] in tokens]


def test_a_real_heads_heatmap_hides_no_row_at_80x24_and_the_focus_row_is_on_the_first_screen(tiny_model):
    screen = Screen("model", SENTENCE, "--model", tiny_model, "--layer", "1", "--head", "2", "--focus", "he",
                    "--step", rows=24, cols=80)
    screen.frame()
    first = screen.press("4\r")
    fits(first, 24, 80)
    assert "each weight is one cell" in first and "showing" not in first
    tokens = ["[CLS]", "the", "dog", "ate", "his", "dinner", "because", "he", "was", "hungry", ".", "[SEP]"]
    assert "he" in heatmap_rows(first, tokens)  # the row the hand calculation is about
    seen = heatmap_rows(first, tokens)
    frame = first
    while "↓ more below" in frame.rstrip().split("\n")[-1]:  # it pages like any step
        frame = screen.press("\x1b[B")
        fits(frame, 24, 80)
        seen += [t for t in heatmap_rows(frame, tokens) if t not in seen]
    assert seen == tokens
    assert screen.quit() == 0


def test_a_12x12_real_head_keeps_its_numbers_at_120x40(tiny_model):
    screen = Screen("model", SENTENCE, "--model", tiny_model, "--layer", "1", "--head", "2", "--step",
                    rows=40, cols=120)
    screen.frame()
    frame = screen.press("4\r")
    fits(frame, 40, 120)
    assert "each weight is one cell" not in frame and "showing" not in frame
    result = runner.invoke(app, ["model", SENTENCE, "--model", tiny_model, "--layer", "1", "--head", "2",
                                 "--format", "json"])
    weights = [[f"{w:.3f}" for w in row] for row in json.loads(result.stdout)["heads"][0]["weights"]]
    assert weights_on(frame, range(12)) == weights
    assert screen.quit() == 0


def test_the_focus_row_of_a_tall_heatmap_is_on_screen_and_follows_f(tmp_path):
    path = tmp_path / "r48.yaml"
    path.write_text("random: {seed: 0, tokens: 48, d_model: 8, d_k: 4}\n")
    tokens = [f"t{i}" for i in range(48)]
    screen = Screen("explain", str(path), "--focus", "t47", "--step", rows=24, cols=80)
    screen.frame()
    frame = screen.press("4\r")
    fits(frame, 24, 80)
    assert "t47" in heatmap_rows(frame, tokens) and "t0" not in heatmap_rows(frame, tokens)
    frame = screen.press("f")  # the focus moves on to the next row, t0, at the top: the screen goes with it
    assert "focus t0" in frame.rstrip().split("\n")[-1] and "t0" in heatmap_rows(frame, tokens)
    assert screen.quit() == 0


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 200), st.integers(3, 60), st.data())
def test_a_table_elides_its_middle_but_never_the_focus_row(n, room, data):
    from attncli.layout import kept_indices

    keep = data.draw(st.integers(0, n - 1))
    kept = kept_indices(n, room, keep)
    shown = [i for i in kept if i is not None]
    assert keep in shown and shown == sorted(set(shown))
    assert len(shown) <= room and shown[0] == 0 and shown[-1] == n - 1
    assert all((a is None) != (b is None) for a, b in zip(kept, kept[1:]) if a is None or b is None)
    gaps = [k for k, i in enumerate(kept) if i is None]
    assert all(kept[g - 1] + 1 < kept[g + 1] for g in gaps)  # a gap stands for at least one hidden row
    assert (len(shown) == n) == (not gaps)


# ---- lines cut to the screen: an ellipsis, and never inside a number ----------------------------

def test_the_overview_cuts_lines_with_an_ellipsis_and_never_inside_a_number():
    screen = Screen("explain", "--temperature", "0.5", "--precision", "7", "--step", rows=24, cols=80)
    screen.frame()
    overview = screen.press("o")
    fits(overview, 24, 80)
    lines = overview.split("\n")
    assert lines[1].rstrip().endswith("…") and "Live in explain" in lines[1]  # 88 characters on 80 columns
    scale = next(line for line in lines if "Step 3" in line)
    # 83 characters: the temperature goes whole, not as 0.5 (a cut 0.5000000)
    assert scale.rstrip().endswith("then ÷ temperature…"), scale
    footer = screen.press("3\r").rstrip().split("\n")[-1]
    assert re.search(r"Step 3 Scale: .*…", footer) and not re.search(r"\d…", footer)
    assert screen.quit() == 0


@pytest.mark.parametrize("width, expected", [
    (80, "a temperature of 0.5"), (20, "a temperature of 0.5"), (19, "a temperature of…"),
    (17, "a temperature of…"), (16, "a temperature o…"), (2, "a…"), (1, "…"), (0, ""),
])
def test_clip_ends_in_an_ellipsis_and_keeps_numbers_whole(width, expected):
    from attncli.presenter import clip

    assert clip("a temperature of 0.5", width) == expected
    assert cell_len(clip("a temperature of 0.5", width)) <= width


def test_complexity_at_80x24_shows_every_number_whole():
    screen = Screen("complexity", "--max-n", "512", "--d", "8", "--step", rows=24, cols=80)
    frames = every_screen(screen)
    assert screen.quit() == 0
    shown = "\n".join(frames)
    for frame in frames:
        fits(frame, 24, 80)
    rows = {line for line in shown.split("\n") if re.match(r" (128|256|512) +\d", line)}
    assert len(rows) == 3 and not any("…" in row for row in rows)
    assert all(re.search(r"\d+\.\d{3}–\d+\.\d{3}", row) for row in rows)


def picture(name: str, width: int, *flags) -> list[str]:
    out = runner.invoke(app, ["explain", name, "--width", str(width), "--no-color", *flags]).stdout.split("\n")
    top = next(k for k, line in enumerate(out) if line.startswith("q·k as geometry"))
    return out[top:top + 30]


def test_the_arrows_picture_names_a_zero_query_and_tells_repeated_tokens_apart():
    lines = picture("two_heads", 80)  # head 0: the query of 'the' is all zeros
    text = "\n".join(lines)
    assert "q:the#0 = 0" in text and "q_the#0 is the zero vector (all 6 numbers 0)" in text
    assert "k:the#0 0.000" in text and "k:the#4 0.000" in text and "k:the " not in text


@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("width", [40, 80, 120])
def test_every_key_of_the_arrows_picture_is_labelled_once_and_off_the_axes(name, width):
    from attncli.layout import Drawn, Look
    from attncli.render_pictures import plot_lines
    from attncli.views.pictures import Plot, told_apart

    view = commands.explain(name)
    plot = next(b for page in view.pages for b in page.blocks if isinstance(b, Plot))
    parts = plot_lines(plot, Look(color=False, width=width))
    canvas = next(p for p in parts if isinstance(p, Drawn)).plain.split("\n")
    dotted = lambda ch: "\u2800" <= ch <= "\u28ff" or ch == "●"
    x_axis = max(canvas, key=lambda line: sum(map(dotted, line)))
    assert not re.search(r"[A-Za-z0-9]", x_axis)  # the x axis's row carries no label
    y_axis = max(range(len(canvas[0])), key=lambda c: sum(dotted(line[c]) for line in canvas))
    assert all(dotted(line[y_axis]) for line in canvas)  # nor does a label break the y axis
    text = "\n".join(p.plain for p in parts)
    for key in told_apart(loader.load(name).key_tokens):
        assert len(re.findall(rf"k:{re.escape(key)}(?: = 0 →)? -?\d", text)) == 1, key


def test_markdown_names_the_zero_query_too():
    md = runner.invoke(app, ["explain", "two_heads", "--format", "markdown"]).stdout
    assert "q_the#0 is the zero vector (all 6 numbers 0)" in md and "| query the#4 |" in md


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["0.5", "-12.75", "1,024", "√32", "×", " ", "  ", "temperature", "…"]),
                          st.text(alphabet="ab ()→", max_size=4)), max_size=12), st.integers(0, 60))
def test_clip_never_leaves_a_number_cut(pieces, width):
    from attncli.presenter import _NUMBER, clip

    text = "".join(pieces)
    cut = clip(text, width)
    assert cell_len(cut) <= width
    if cell_len(text) <= width:
        assert cut == text
        return
    assert cut.endswith("…") and text.startswith(cut[:-1]) or cut == "" == "…"[:width]
    whole = {(m.start(), m.group()) for m in _NUMBER.finditer(text)}
    assert all((m.start(), m.group()) in whole for m in _NUMBER.finditer(cut[:-1]))
