"""Colour that holds everywhere: distinct shades in 256 and 16 colours, readable text on every shade
and in every export theme, computed (WCAG 2 contrast), not eyeballed."""

import html
import re

import numpy as np
import pytest
from rich.color import Color, ColorSystem
from rich.console import Console
from typer.testing import CliRunner

from attncli import palette, themes
from attncli.cli import app
from attncli.layout import Look
from attncli.render_terminal import matrix_block, side_by_side
from attncli.views import MatrixView

runner = CliRunner()
WEIGHTS = np.round(np.arange(0, 0.901, 0.01), 2)  # every w with w + 0.1 still a weight
SYSTEMS = {"256": ColorSystem.EIGHT_BIT, "standard": ColorSystem.STANDARD}


def shown(colour: str, system: str):
    """What a terminal of this colour system receives for a Rich colour: its palette number."""
    return Color.parse(colour).downgrade(SYSTEMS[system]).number


@pytest.mark.parametrize("system", ["256", "standard"])
def test_weights_a_tenth_apart_get_different_colours(system):
    for w in WEIGHTS:
        assert shown(palette.shade(w, system), system) != shown(palette.shade(w + 0.1, system), system), w


@pytest.mark.parametrize("system", ["256", "standard"])
def test_every_band_reaches_the_terminal_as_its_own_colour(system):
    """End to end: a row of ten weights drawn by a console of that colour system sends ten backgrounds."""
    row = np.append(np.arange(10) / 10 + 0.05, 1.0)[None, :]
    view = MatrixView("A", row, ("q",), tuple(str(k) for k in range(11)), kind="weights")
    console = Console(color_system=system, force_terminal=True, width=200, record=True)
    with console.capture() as capture:
        console.print(side_by_side([matrix_block(view, 3, look=Look(True, 200, system=system))], 200))
    backgrounds = re.findall(r"\x1b\[[0-9;]*?(?:4[0-7]|10[0-7]|48;5;\d+)m", capture.get())
    codes = {re.search(r"(4[0-7]|10[0-7]|48;5;\d+)m$", b).group(1) for b in backgrounds}
    assert len(codes) == 11, codes


def test_a_smooth_ramp_would_have_collapsed_in_256_colours():
    """Why bands: the 24-bit viridis ramp sends 0.2 and 0.3 to one 256-colour entry."""
    assert palette.band(1.0) == 10 and palette.band(0.999) == 9 and palette.band(0.0) == 0
    assert shown(palette.heat_colour(0.2), "256") == shown(palette.heat_colour(0.3), "256")
    assert shown(palette.shade(0.2, "256"), "256") != shown(palette.shade(0.3, "256"), "256")


def test_24_bit_colour_gives_each_weight_its_own_shade():
    assert palette.shade(0.37, "truecolor") == palette.heat_colour(0.37)
    assert len({palette.shade(w, "truecolor") for w in WEIGHTS}) == len(WEIGHTS)


@pytest.mark.parametrize("system", ["truecolor", "256", "standard"])
def test_numbers_on_every_shade_reach_4_5_to_1(system):
    for w in np.linspace(0, 1, 201):  # every band, and the 24-bit ramp finely
        style = palette.cell_style(w, system)
        fg, bg = style.split(" on ")
        ratio = palette.contrast(palette.rgb(fg), palette.rgb(bg))
        assert ratio >= 4.5, (w, style, ratio)


def test_contrast_matches_wcag_reference_values():
    assert palette.contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert palette.contrast((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("theme", themes.THEMES)
def test_every_text_colour_of_a_theme_reads_on_its_background(theme):
    c = themes.colours(theme)
    for colour in [c["foreground"]] + c["normal"] + c["bright"]:
        if theme == "light" and colour == c["normal"][7] or theme == "dark" and colour == c["normal"][0]:
            pass  # ANSI "white" on light (and "black" on dark) still has to read: checked like the rest
        assert palette.contrast(colour, c["background"]) >= 4.5, (theme, colour)


def svg_texts(svg: str):
    """Each text run of a Rich SVG with its colour and the colour behind it."""
    fills = {name: fill for name, fill in re.findall(r"\.(terminal-\d+-r\d+) \{ fill: (#[0-9a-f]{6})", svg)}
    page = re.search(r'<rect fill="(#[0-9a-f]{6})" stroke', svg).group(1)
    rects = [(float(x), float(y), float(h), fill) for fill, x, y, h in
             re.findall(r'<rect fill="(#[0-9a-f]{6})" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', svg)]
    for cls, x, y, text in re.findall(r'<text class="(terminal-\d+-r\d+)" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        x, y = float(x), float(y)
        behind = next((fill for rx, ry, rh, fill in rects if rx == x and ry < y <= ry + rh), page)
        yield html.unescape(text), fills[cls], behind


def hex_rgb(code: str):
    return tuple(int(code[k:k + 2], 16) for k in (1, 3, 5))


@pytest.mark.parametrize("theme", themes.THEMES)
@pytest.mark.parametrize("args", [["explain"], ["explain", "--focus", "dog"], ["explain", "paint_mixing"],
                                  ["explain", "two_heads", "--compact"], ["compare", "--no-scale"]])
def test_svg_exports_pass_the_contrast_test(tmp_path, theme, args):
    path = tmp_path / "x.svg"
    result = runner.invoke(app, [*args, "--export", str(path), "--theme", theme, "--width", "100"])
    assert result.exit_code == 0, result.output
    svg = path.read_text()
    checked = 0
    for text, fg, bg in svg_texts(svg):
        if not text.strip("\xa0 ") or all(0x2500 <= ord(ch) <= 0x28FF or ch in "\xa0 " for ch in text):
            continue  # spaces, rules, blocks and braille dots are drawing, not text
        assert palette.contrast(hex_rgb(fg), hex_rgb(bg)) >= 4.5, (text, fg, bg)
        checked += 1
    assert checked > 50
    background = re.search(r'<rect fill="(#[0-9a-f]{6})" stroke', svg).group(1)
    assert background == ("#ffffff" if theme == "light" else "#181818")


def test_no_dim_or_italic_text_in_explain():
    console = Console(color_system="truecolor", force_terminal=True, width=100)
    from attncli import commands
    from attncli.render_terminal import joined, render_pages

    with console.capture() as capture:
        console.print(joined(render_pages(commands.explain("dog_ate_dinner", focus="dog"),
                                          look=Look(True, 100))))
    attributes = set()
    for params in re.findall(r"\x1b\[([0-9;]*)m", capture.get()):
        codes = [int(p) for p in params.split(";") if p]
        while codes:
            code = codes.pop(0)
            if code in (38, 48):  # a colour: 5;n or 2;r;g;b follow
                del codes[:2 if codes[0] == 5 else 4]
            else:
                attributes.add(code)
    assert 1 in attributes  # bold is there: the parse sees attributes
    assert not attributes & {2, 3}, "dim (2) or italic (3) text"


# ---- exports -----------------------------------------------------------------------------------

def test_text_exports_carry_the_glyphs_and_their_legend(tmp_path):
    path = tmp_path / "a.txt"
    assert runner.invoke(app, ["explain", "--export", str(path), "--width", "80"]).exit_code == 0
    text = path.read_text()
    assert "0.448 ▒" in text and "0.172  " in text  # the weight and its shading glyph (0.172 < 0.2: blank)
    assert "[0.4, 0.6)='▒'" in text  # the legend says what the glyphs mean
    compact = tmp_path / "c.txt"
    assert runner.invoke(app, ["explain", "two_heads", "--compact", "--export", str(compact)]).exit_code == 0
    assert " .:-=+*#%@█ 1" in compact.read_text()


def test_exports_take_the_width_asked_or_the_terminals(tmp_path, monkeypatch):
    from attncli import deliver

    path = tmp_path / "a.txt"
    runner.invoke(app, ["explain", "--export", str(path), "--width", "60"])
    assert max(len(line) for line in path.read_text().splitlines()) == 60
    monkeypatch.setattr(deliver, "_terminal_width", lambda: 132)
    runner.invoke(app, ["explain", "--export", str(path)])
    assert max(len(line) for line in path.read_text().splitlines()) == 132


def test_light_is_the_default_export_theme_and_dark_is_asked_for(tmp_path):
    runner.invoke(app, ["explain", "--export", str(tmp_path / "l.html")])
    runner.invoke(app, ["explain", "--export", str(tmp_path / "d.html"), "--theme", "dark"])
    assert "background-color: #ffffff" in (tmp_path / "l.html").read_text()
    assert "background-color: #181818" in (tmp_path / "d.html").read_text()
    bad = runner.invoke(app, ["explain", "--export", str(tmp_path / "x.svg"), "--theme", "sepia"])
    assert bad.exit_code == 2 and "--theme sepia: use light or dark" in bad.stderr


def test_a_swatch_has_a_frame_that_shows_on_any_page():
    from attncli.render_terminal import swatch

    white = swatch((1.0, 1.0, 1.0), True)
    assert "".join(text for text, _ in white) == "▕████▏ #ffffff"
    assert white[0] == ("▕", "")  # the frame is in the text's own colour, not the swatch's
    assert ("████", "#ffffff") in white
