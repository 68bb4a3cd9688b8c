"""What attncli.model returns, as a notebook user meets it: short reprs, HTML, the public HeadSteps, read-only arrays."""

import base64
import re
import struct
import zlib

import numpy as np
import pytest
from tiny_bert import write_tiny_bert

import attncli
from attncli.palette import heat_colour


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = write_tiny_bert(tmp_path_factory.mktemp("model") / "m", seed=3)
    return attncli.model("the dog ate his dinner because he was hungry", name=str(folder))


def test_every_repr_is_one_short_line(run):
    for shown in (repr(run), repr(run.layers[0]), repr(run.head(1, 2)), repr(run.head(1, 2).steps)):
        assert len(shown) < 2000 and "\n" not in shown, shown[:200]
    assert repr(run).startswith("<ModelRun m on 'the dog ate his dinner because he was hungry': 11 tokens, "
                                "2 layers × 3 heads;")


def test_a_long_text_is_shortened_in_the_repr(tmp_path):
    folder = write_tiny_bert(tmp_path / "m", seed=3)
    long = attncli.model("the dog ate " + "x" * 500, name=str(folder))
    assert len(repr(long)) < 300 and "…" in repr(long)


def test_a_head_s_steps_are_the_public_head_steps_labelled_with_the_tokens(run):
    steps = run.head(1, 2).steps
    assert isinstance(steps, attncli.HeadSteps)
    assert steps.query_tokens == steps.key_tokens == run.tokens
    assert "<table" in steps._repr_html_() and ">dog</th>" in steps._repr_html_()
    assert "Step 2" in steps.to_markdown() and callable(steps.explain)
    np.testing.assert_array_equal(run.weights[1, 2], steps.weights)


def test_explain_shows_a_real_head_s_every_step(run, capsys):
    run.head(0, 1).steps.explain()
    out = capsys.readouterr().out
    assert "Step 1  Q, K, V as given" in out and "Step 5" in out and "hungry" in out


def _pixels(png: bytes) -> np.ndarray:
    """The RGB pixels of a PNG with filter 0 on every row, as head_grid_html writes it."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    raw = zlib.decompress(png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8])
    rows = [raw[r * (3 * width + 1):(r + 1) * (3 * width + 1)] for r in range(height)]
    assert all(row[0] == 0 for row in rows)
    return np.frombuffer(b"".join(row[1:] for row in rows), dtype=np.uint8).reshape(height, width, 3)


def test_the_run_shows_the_gallery_of_every_head_in_html(run):
    html = run._repr_html_()
    names = re.findall(r'alt="(L\dH\d): ', html)
    assert names == [f"L{layer}H{head}" for layer in range(2) for head in range(3)]
    pictures = re.findall(r"data:image/png;base64,([^\"]+)", html)
    assert len(pictures) == 6
    weights = run.head(1, 2).steps.weights
    pixels = _pixels(base64.b64decode(pictures[5]))
    assert pixels.shape == (11, 11, 3)
    for i, j in ((0, 0), (3, 7), (10, 10)):
        assert "#" + bytes(pixels[i, j]).hex() == heat_colour(weights[i, j])
    assert "every head on your sentence" in html and "hungry" in html
    # the rows labelled with the tokens and the columns with their initials, as the page's sentences say
    assert html.count(">hungry</div>") == 6
    assert re.findall(r">(.)</span>", html)[:11] == ["C", "t", "d", "a", "h", "d", "b", "h", "w", "h", "S"]


def test_a_head_run_shows_its_steps(run):
    head = run.head(0, 0)
    assert head._repr_html_() == head.steps._repr_html_()


def test_the_arrays_of_a_model_run_are_read_only(run):
    arrays = {"weights": run.weights, "embeddings": run.embeddings, "layer output": run.layers[1].output,
              "head x": run.head(0, 0).x, "w_q slice": run.head(0, 1).w_q, "steps": run.head(1, 0).steps.scores}
    for name, array in arrays.items():
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 5
        assert not array.flags.writeable, name
