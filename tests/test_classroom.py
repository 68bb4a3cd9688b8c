"""The classroom: presenter mode in a real pseudo-terminal, exports, authoring, paint, completion."""

import json
import os
import re
import select
import subprocess
import time
import xml.etree.ElementTree as ET

import jsonschema
import pytest
import yaml
from conftest import program, program_env
from typer.testing import CliRunner

from attncli import loader
from attncli.cli import app
from attncli.schema import scenario_schema

runner = CliRunner()


# ---- presenter mode ---------------------------------------------------------------------------

class Terminal:
    """attncli running in a pseudo-terminal: keys in, screens out."""

    def __init__(self, *args, rows=50, cols=110):
        import fcntl
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = program_env({**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)})
        env.pop("NO_COLOR", None)
        def controlling_terminal():
            # As in a real terminal: a session of its own whose controlling tty is the pty, so that
            # Ctrl-C typed there reaches it as SIGINT.
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([*program(), *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                                     preexec_fn=controlling_terminal)
        os.close(slave)
        self.seen = ""

    def read_until(self, pattern: str, deadline: float = 30.0) -> str:
        """Everything printed until `pattern` appears (a generous deadline, not a timing check)."""
        end = time.monotonic() + deadline
        start = len(self.seen)
        while time.monotonic() < end:
            if re.search(pattern, self.seen[start:]):
                return self.seen[start:]
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:
                    break
        raise AssertionError(f"{pattern!r} never appeared; last output: {self.seen[-500:]!r}")

    def key(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait(self) -> int:
        try:
            code = self.proc.wait(timeout=30)
        finally:
            try:
                while select.select([self.master], [], [], 0.2)[0]:
                    self.seen += os.read(self.master, 65536).decode("utf-8", "replace")
            except OSError:
                pass
            os.close(self.master)
        return code


def test_presenter_steps_forward_back_and_quits_cleanly():
    term = Terminal("explain", "--step")
    screen = term.read_until(r"q quit")
    assert "\x1b[?1049h" in term.seen  # the alternate screen: the user's scrollback is left alone
    assert "The dog ate his dinner" in screen and "Inputs" not in screen  # the title on a page of its own
    term.key("\r")
    assert "Inputs" in term.read_until(r"Step 0 Inputs")
    term.key("\r")
    assert "Project" in term.read_until(r"Step 1 Project")
    term.key("\x1b[C")  # →
    assert "S = Q·Kᵀ" in term.read_until(r"Step 2 Scores")
    term.key("\x1b[D")  # ←
    term.read_until(r"Step 1 Project")
    term.key(" ")
    term.read_until(r"Step 2 Scores")
    term.key("b")
    term.read_until(r"Step 1 Project")
    term.key("q")
    assert term.wait() == 0
    assert term.seen.rstrip().endswith("\x1b[?1049l") or "\x1b[?1049l" in term.seen[-200:]
    assert "Traceback" not in term.seen


def test_presenter_ctrl_c_restores_the_terminal():
    term = Terminal("compare", "--no-scale", "--step")
    term.read_until(r"q quit")
    term.key("\x03")
    assert term.wait() == 130
    assert "\x1b[?1049l" in term.seen and "Traceback" not in term.seen


def test_step_without_a_terminal_prints_every_step():
    result = runner.invoke(app, ["explain", "--step", "--no-color"])
    assert result.exit_code == 0
    for heading in ("Step 0", "Step 1", "Step 2", "Step 3", "Step 4", "Step 5"):
        assert heading in result.stdout


# ---- exports -----------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".svg", ".html", ".txt", ".md", ".json"])
def test_exports_carry_the_weights(tmp_path, suffix):
    path = tmp_path / f"seed{suffix}"
    result = runner.invoke(app, ["explain", "--export", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    if suffix == ".json":
        weights = json.loads(text)["heads"][0]["weights"][0]
        assert [round(w, 3) for w in weights] == [0.448, 0.172, 0.38]
    elif suffix == ".svg":
        root = ET.fromstring(text)  # well-formed XML
        assert root.tag.endswith("svg")
        flat = text.replace("&#160;", " ")
        assert all(w in flat for w in ("0.448", "0.172", "0.380", "1.275"))
    else:
        assert all(w in text for w in ("0.448", "0.172", "0.380"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left behind


def svg_cell_fills(text: str) -> dict[str, set[str]]:
    """Each text drawn on a background in a Rich SVG, and the fills of the rectangles behind it."""
    svg = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(text)
    rects = [(r.get("fill"), float(r.get("x")), float(r.get("y")), float(r.get("height")))
             for r in root.iter(f"{svg}rect") if r.get("x") is not None and r.get("shape-rendering")]
    fills = {}
    for t in root.iter(f"{svg}text"):
        x, y = float(t.get("x")), float(t.get("y"))
        behind = {fill for fill, rx, ry, rh in rects if rx == x and ry <= y <= ry + rh}
        if behind:
            fills.setdefault((t.text or "").replace("\xa0", " ").strip(), set()).update(behind)
    return fills


def test_svg_export_shades_each_weight_in_its_own_colour(tmp_path):
    from attncli.palette import heat_colour
    from attncli.scenario import evaluate, settings_for

    assert runner.invoke(app, ["explain", "--export", str(tmp_path / "a.svg")]).exit_code == 0
    fills = svg_cell_fills((tmp_path / "a.svg").read_text(encoding="utf-8"))
    sc = loader.load("dog_ate_dinner")
    weights = evaluate(sc, settings_for(sc)).steps.heads[0].weights  # (n_q, n_k)
    assert len({heat_colour(w) for w in weights.flat}) == weights.size  # nine colours to tell apart
    for w in weights.flat:
        assert fills.get(f"{w:.3f}") == {heat_colour(w)}, f"{w:.3f}"


def test_heat_colours_run_along_viridis_from_dark_to_light():
    from attncli.palette import heat_colour

    assert heat_colour(0) == heat_colour(-0.5) == "#440154" and heat_colour(1) == heat_colour(2) == "#fde725"
    rgb = [[int(c[k:k + 2], 16) for k in (1, 3, 5)] for c in map(heat_colour, [i / 20 for i in range(21)])]
    luma = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in rgb]
    assert all(a < b for a, b in zip(luma, luma[1:]))  # a heavier weight is always a lighter cell


def test_html_export_is_a_page(tmp_path):
    runner.invoke(app, ["compare", "--no-scale", "--export", str(tmp_path / "c.html")])
    html = (tmp_path / "c.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html>") and "0.488" in html


def test_export_errors(tmp_path):
    result = runner.invoke(app, ["explain", "--export", str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert "'.png' is not a type attncli writes; use .svg, .html, .txt, .md or .json" in result.stderr
    result = runner.invoke(app, ["explain", "--export", str(tmp_path / "missing" / "x.svg")])
    assert result.exit_code == 1 and "cannot write: there is no directory" in result.stderr
    result = runner.invoke(app, ["explain", "--export", str(tmp_path)])
    assert result.exit_code == 2  # a directory has no file type
    assert list(tmp_path.iterdir()) == []


def test_failed_export_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.svg"
    path.write_text("old")
    import attncli.files as output

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", broken)
    result = runner.invoke(app, ["explain", "--export", str(path)])
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.svg"]


# ---- authoring ---------------------------------------------------------------------------------

def test_new_validate_explain_round_trip(tmp_path):
    path = str(tmp_path / "x.yaml")
    assert runner.invoke(app, ["new", path]).exit_code == 0
    assert runner.invoke(app, ["validate", path]).stdout == f"{path}: ok\n"
    assert runner.invoke(app, ["explain", path]).exit_code == 0
    again = runner.invoke(app, ["new", path])
    assert again.exit_code == 1 and "already exists; use --force to overwrite it" in again.stderr
    assert runner.invoke(app, ["new", path, "--force", "--tokens", "on no yes 🐕", "--d-model", "3", "--d-k", "5"]).exit_code == 0
    sc = loader.load(path)
    assert sc.tokens == ("on", "no", "yes", "🐕") and sc.x.shape == (4, 3) and sc.heads[0].w_q.shape == (3, 5)


def test_validate_lists_every_problem(write):
    path = write("tokens: [a, b]\nembeddings: [[1, x], [2, yes]]\nW_Q: [[1], [2]]\nW_v: [[1], [2]]\nW_K: [[1], [.nan]]\n")
    result = runner.invoke(app, ["validate", path, "dog_ate_dinner"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:1: missing key 'W_V' (d_model × d_v: turns each embedding into a value)",
        f"{path}:2: embeddings row 0 (line 2), column 1 is 'x', not a number",
        f"{path}:2: embeddings row 1 (line 2), column 1 is 'yes', a boolean, not a number",
        f"{path}:4: unknown key 'W_v'; did you mean W_V?",
        f"{path}:5: W_K row 1 (line 5), column 0 is .nan: NaN and infinity are not allowed",
        f"{path}: 5 problems",
        "dog_ate_dinner: ok",
    ]


def test_validate_lists_every_shape_problem(write):
    path = write("tokens: [a, b, c]\nembeddings: [[1, 2], [3, 4]]\nW_Q: [[1], [2], [3]]\nW_K: [[1, 1], [2, 2]]\n"
                 "W_V: [[1], [2], [3]]\n")
    lines = runner.invoke(app, ["validate", path]).stdout.splitlines()
    assert lines[-1] == f"{path}: 4 problems"
    assert f"{path}:1: there are 3 tokens, but embeddings has 2 rows (one per token)" in lines


def test_show_and_schema_validate_the_builtins():
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in loader.builtin_names():
        shown = runner.invoke(app, ["show", name]).stdout
        jsonschema.validate(yaml.safe_load(shown), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"embeddings": [[1]], "W_Q": [[1]], "W_K": [[1]], "W_V": [[1]], "W_v": 1}, schema)
    jsonschema.validate(yaml.safe_load("embeddings: [[1e-3]]\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[1]]\n"), scenario_schema())


# ---- paint mixing, wide scenarios, completion -------------------------------------------------

def test_paint_mixing_swatches_and_words():
    plain = runner.invoke(app, ["explain", "paint_mixing", "--no-color"]).stdout
    assert "#f8b61f" in plain and "#ffd91a" in plain  # the blended paint of 'sunflower', the yellow can
    assert "'sunflower' is mixed mostly from 'yellow' (0.586) and 'orange' (0.295)" in plain
    coloured = runner.invoke(app, ["explain", "paint_mixing"], color=True,
                             env={"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm-256color",
                                  "COLORTERM": "truecolor"}).stdout
    assert "\x1b[38;2;248;182;31m████" in coloured  # a swatch in the output's own colour


def test_color_values_need_three_value_columns(write):
    path = write("embeddings: [[1]]\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[1, 1]]\ncolor_values: true\n")
    result = runner.invoke(app, ["explain", path])
    assert result.exit_code == 1
    assert "color_values needs d_v = 3 (red, green, blue), but head 0's W_V has 2 columns" in result.stderr


def test_wide_tables_elide_their_middle_and_say_so(write):
    path = write("random: {seed: 0, tokens: 40, d_model: 4}\n")
    out = runner.invoke(app, ["explain", path, "--width", "80", "--no-color"]).stdout
    assert "…" in out and "showing" in out and "--format json has them all" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    wide = runner.invoke(app, ["explain", path, "--width", "400", "--no-color"]).stdout
    assert "t39" in wide and "showing 40 of 40 rows, 40 of 40 columns" not in wide


def test_completion_offers_builtins_and_yaml_files(tmp_path, monkeypatch):
    # What bash runs on Tab: the program with _ATTNCLI_COMPLETE set; in-process, named as installed.
    (tmp_path / "mine.yaml").write_text("x")
    monkeypatch.chdir(tmp_path)
    env = {"_ATTNCLI_COMPLETE": "complete_bash", "COMP_WORDS": "attncli explain ", "COMP_CWORD": "2"}
    done = runner.invoke(app, [], prog_name="attncli", env=env)
    assert done.exit_code == 0, done.output
    assert done.stdout.split() == [*loader.builtin_names(), "mine.yaml"]
    assert {"dog_ate_dinner", "paint_mixing", "two_heads"} <= set(loader.builtin_names())
    env["COMP_WORDS"] = "attncli explain mi"
    assert runner.invoke(app, [], prog_name="attncli", env=env).stdout.split() == ["mine.yaml"]
    # Typer installs and shows the script itself (`attncli --install-completion`); which shell it writes for
    # depends on the process's ancestors, so only the offer is checked here.
    shown = runner.invoke(app, ["--help"], prog_name="attncli", env={"COLUMNS": "100"})
    assert "--install-completion" in shown.stdout and "--show-completion" in shown.stdout
