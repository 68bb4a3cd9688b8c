"""Results show themselves: HTML for Jupyter (rendered from the views, readable in light and dark themes),
markdown elsewhere, and explain() for every step."""

import re
from html.parser import HTMLParser

import numpy as np
import pytest

import attncli
from attncli import commands
from attncli.render_html import contrast, render, text_on, weight_colours
from attncli.palette import heat_colour


class Cells(HTMLParser):
    """Every element's inline style, and the text of each table cell with its style."""

    def __init__(self):
        super().__init__()
        self.styles, self.cells, self._open = [], [], None

    def handle_starttag(self, tag, attrs):
        style = dict(attrs).get("style", "")
        self.styles.append(style)
        if tag == "td":
            self._open = [style, ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._open is not None:
            self.cells.append(tuple(self._open))
            self._open = None


def parse(html):
    parser = Cells()
    parser.feed(html)
    return parser


def style_value(style, prop):
    match = re.search(rf"(?:^|;)\s*{prop}:\s*([^;]+)", style)
    return match.group(1).strip() if match else None


def test_every_weight_shade_gets_text_at_aa_contrast():
    for w in np.linspace(0, 1, 1001):
        background, text = weight_colours(w)
        assert background == heat_colour(w)  # the terminal's palette, not a second one
        assert contrast(background, text) >= 4.5, w
    assert text_on("#440154") == "#ffffff" and text_on("#fde725") == "#000000"
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)


def test_the_html_repr_shows_the_seeds_weights_shaded():
    html = attncli.run("dog_ate_dinner")._repr_html_()
    cells = parse(html).cells
    shaded = [(style, text) for style, text in cells if style_value(style, "background")]
    assert [text for _, text in shaded[:3]] == ["0.448", "0.172", "0.380"]
    for style, text in shaded:
        background, colour = style_value(style, "background"), style_value(style, "color")
        assert background == heat_colour(float(text)) and contrast(background, colour) >= 4.5
    assert "1.275" in html and "2.364" in html


@pytest.mark.parametrize("view", [
    lambda: commands.explain("dog_ate_dinner", focus="dog", tiled=True, code="numpy"),
    lambda: commands.explain("two_heads", mask=True, code="torch"),
    lambda: commands.explain("paint_mixing"),
    lambda: commands.compare("dog_ate_dinner", scale=False),
    lambda: commands.sweep("2,8"),
    lambda: commands.scenarios(),
], ids=["focus-tiled-code", "two-heads-mask", "paint", "compare", "sweep", "scenarios"])
def test_every_view_renders_as_html_readable_in_light_and_dark_themes(view):
    html = render(view())
    for style in parse(html).styles:
        colour = style_value(style, "color")
        # A fixed text colour only on its own fixed background; otherwise the theme's colour is inherited.
        assert colour in (None, "inherit") or style_value(style, "background") not in (None, "none"), style
    assert html.startswith('<div class="attncli"') and html.endswith("</div>")
    assert "<script" not in html


def test_user_text_is_escaped():
    sc = attncli.load("tokens: ['<b>x</b>', '&']\nembeddings: [[1], [2]]\nW_Q: [[1]]\nW_K: [[1]]\nW_V: [[1]]\n")
    html = attncli.run(sc)._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html and "&amp;" in html


def test_markdown_repr_and_the_other_results():
    steps = attncli.run("dog_ate_dinner")
    assert "| **dog** | 0.448 | 0.172 | 0.380 |" in steps._repr_markdown_()
    head = attncli.attention([[1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0], [3.0]])
    assert "| **q0** | 0.670 | 0.330 |" in head._repr_markdown_()
    assert [t for _, t in parse(head._repr_html_()).cells if t in ("0.670", "0.330")] == ["0.670", "0.330"]
    full = head.to_markdown()
    for step in ("Step 1", "Step 2", "Step 3", "Step 4", "Step 5"):
        assert step in full
    scenario_html = attncli.load("dog_ate_dinner")._repr_html_()
    assert "W_Q (3×2)" in scenario_html and "no mask" in scenario_html
    cmp = attncli.comparison("dog_ate_dinner", temperature=0.5)
    assert "At temperature 0.5" in cmp._repr_html_() and cmp.to_dict()["change"] == "At temperature 0.5"


def test_explain_outside_a_notebook_prints_every_step(capsys):
    attncli.run("dog_ate_dinner").explain()
    out = capsys.readouterr().out
    for needle in ("Step 0", "Step 2  Scores", "Step 4", "0.448", "1.275"):
        assert needle in out
    attncli.display(attncli.attention([[1.0]], [[1.0]], [[2.0]]))
    assert "Step 5" in capsys.readouterr().out
    with pytest.raises(attncli.AttncliError, match="not ndarray"):
        attncli.display(np.zeros((2, 2)))


def test_a_grid_with_blanks_leaves_its_last_column_to_be_written_in():
    from attncli import render_markdown
    from attncli.views import Grid, Page, View

    grid = Grid(("#", "compute", "your answer"), (("1", "a | b", "secret"), ("2", "c", "")), "Questions",
                numeric=False, blanks=True)
    view = View("t", (Page("p", (grid,)),), dict)
    md = render_markdown.render(view)
    assert md.splitlines()[-2:] == ["| 1 | a \\| b | __________ |", "| 2 | c | __________ |"]
    page = render(view)
    assert page.count('<td class="blank"') == 2 and "secret" not in page and "a | b" in page
    shown = render_markdown.render(View("t", (Page("p", (grid._replace(blanks=False),)),), dict))
    assert "secret" in shown and "__________" not in shown  # without blanks, the last column is shown as given


def test_a_printable_page_is_a_whole_document_to_print():
    from attncli.render_html import printable
    from attncli.views import Grid, Page, Paragraph, View

    view = View("Sheet <1>", (Page("p", (Paragraph("a & b"), Grid(("q", "answer"), (("x", ""),), blanks=True))),),
                dict)
    page = printable(view)
    assert page.startswith("<!DOCTYPE html>\n") and page.endswith("</html>\n")
    assert "<title>Sheet &lt;1&gt;</title>" in page and "<p " in page and "a &amp; b" in page
    assert "serif" in page and "border: 1px solid #777" in page and "page-break-inside: avoid" in page
    assert "td.blank { min-width: 9em; height: 1.8em; }" in page and '<td class="blank"' in page
    assert 'class="attncli"' not in page  # the page's own serif face, not the notebook's wrapper
