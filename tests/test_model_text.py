"""The sentence and the model folder's name are text from outside: shown, never obeyed, in every output of `model`."""

import json
import re
import xml.etree.ElementTree as ElementTree

import pytest

pytest.importorskip("safetensors", reason="the model extra is not installed")
pytest.importorskip("tokenizers", reason="the model extra is not installed")

from markdown_it import MarkdownIt  # noqa: E402  (Rich's own dependency: CommonMark, as GitHub reads it)
from tiny_bert import tiny_config, write_tiny_bert  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from attncli.cli import app  # noqa: E402
from attncli.pretrained import load_model  # noqa: E402

runner = CliRunner()
# a terminal title (OSC 0), clear screen, a C1 CSI, HTML that would run, backticks that would close a code span,
# and U+FFFF, which XML refuses
HOSTILE = ("the dog \x1b]0;PWNED\x07\x1b[2J\x9b <img src=x onerror=alert(1)>\n\n<script>alert(1)</script> "
           "`` \u202e \uffff ate")
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")  # what no output may hold raw
MODES = {"gallery": [], "one head": ["--layer", "0", "--head", "1"], "link": ["--link", "dog", "ate"]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    # a folder name is shown as the model's name: it may hold escapes too
    return write_tiny_bert(tmp_path_factory.mktemp("models") / "tiny\x1b[31m", config=tiny_config(
        max_position_embeddings=128))


def model(folder, *args):
    result = runner.invoke(app, ["model", HOSTILE, "--model", str(folder), *args])
    assert result.exit_code == 0, result.output
    return result


def test_the_run_keeps_the_text_it_tokenized_but_shows_it_escaped(folder):
    run = load_model(str(folder)).run(HOSTILE)
    assert run.text.startswith("the dog \\x1b]0;PWNED\\x07\\x1b[2J\\x9b <img") and "\\n\\n<script>" in run.text
    assert run.model == "tiny\\x1b[31m"
    assert run.tokens[:3] == ("[CLS]", "the", "dog") and not any(RAW.search(t) for t in run.tokens)


@pytest.mark.parametrize("mode", MODES)
def test_the_terminal_shows_the_sentence_and_obeys_none_of_it(folder, mode):
    out = model(folder, *MODES[mode], "--no-color", "--width", "200").stdout
    assert not RAW.search(out)
    if mode == "gallery":
        assert "tiny\\x1b[31m: every head on your sentence" in out
        assert "\\x1b]0;PWNED\\x07\\x1b[2J\\x9b <img src=x onerror=alert(1)>\\n\\n<script>" in out


@pytest.mark.parametrize("mode", MODES)
def test_markdown_holds_no_raw_control_and_no_live_html(folder, mode):
    text = model(folder, *MODES[mode], "--format", "markdown").stdout
    assert not RAW.search(text)
    html = MarkdownIt("commonmark").render(text)
    assert "<script" not in html and "<img" not in html


def test_the_markdown_title_is_one_code_span_however_many_backticks_the_sentence_holds(folder):
    text = model(folder, "--format", "markdown").stdout
    subtitle = text.split("\n\n")[1]
    assert subtitle.startswith("```the dog ") and subtitle.endswith("```") and subtitle.count("```") == 2
    html = MarkdownIt("commonmark").render(subtitle)
    assert html.startswith("<p><code>the dog ") and html.count("<code>") == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("suffix", [".svg", ".html", ".md", ".txt", ".json"])
def test_every_export_holds_no_raw_control_and_svg_is_well_formed_xml(folder, tmp_path, mode, suffix):
    path = tmp_path / f"out{suffix}"
    model(folder, *MODES[mode], "--export", str(path))
    text = path.read_text(encoding="utf-8")
    assert not RAW.search(text)
    if suffix == ".svg":
        ElementTree.fromstring(text)
    if suffix == ".html":
        assert "<script" not in text and "<img" not in text
    if suffix == ".json":
        json.loads(text)


def test_a_title_from_any_view_is_escaped_by_the_renderers_themselves():
    """Defence in depth: a title that reached a renderer raw (a view built by hand) is still shown, not obeyed."""
    import io

    from rich.console import Console

    from attncli.render_html import render as render_html
    from attncli.render_markdown import render as render_markdown
    from attncli.render_terminal import title_panel
    from attncli.views import Page, Title, View

    view = View("t\x1b]0;x\x07", (Page("p", (Title("T\x1b[2J", "s\x07`<script>", "d\x9b"),)),), dict)
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(title_panel("T\x1b[2J", "d\x9b", "s\x07"))
    for text in (console.file.getvalue(), render_markdown(view), render_html(view)):
        assert not RAW.search(text)
    assert "<script" not in MarkdownIt("commonmark").render(render_markdown(view))
