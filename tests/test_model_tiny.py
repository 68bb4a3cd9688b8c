"""The NumPy BERT forward on tiny random models built here: loop references, transformers, and bad models."""

import json

import numpy as np
import pytest

pytest.importorskip("safetensors", reason="the model extra is not installed")
pytest.importorskip("tokenizers", reason="the model extra is not installed")

import reference  # noqa: E402
import reference_bert  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tiny_bert import WORDS, tiny_config, tiny_tensors, write_tiny_bert  # noqa: E402

from attncli import core  # noqa: E402
from attncli.errors import AttncliError, UsageError  # noqa: E402
from attncli.pretrained import load_model  # noqa: E402
from attncli.pretrained.scenario_out import head_scenario, head_scenario_yaml  # noqa: E402

TEXT = "The dog ate his dinner because he was hungry."


@pytest.fixture
def tiny(tmp_path):
    return write_tiny_bert(tmp_path / "tiny")


def test_tokens_are_cls_word_pieces_sep_and_nothing_is_padded(tiny):
    model = load_model(str(tiny))
    assert model.tokenize("The cats ran!") == ("[CLS]", "the", "cat", "##s", "[UNK]", "!", "[SEP]")
    assert model.tokenize("dog")[-1] == "[SEP]" and len(model.tokenize("dog")) == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_head_equals_the_loop_reference(tmp_path, seed):
    folder = write_tiny_bert(tmp_path / "m", seed=seed)
    run = load_model(str(folder)).run(TEXT)
    for layer in run.layers:
        for h in layer.heads:
            # the bias as the weight of a constant input 1, so the loop reference needs no bias
            x1 = np.hstack([h.x, np.ones((len(run.tokens), 1))])
            aug = [np.vstack([w, b]).tolist() for w, b in ((h.w_q, h.b_q), (h.w_k, h.b_k), (h.w_v, h.b_v))]
            scores, weights, output = reference.attention(x1.tolist(), *aug)
            assert np.allclose(h.steps.scores, scores, rtol=0, atol=1e-12)
            assert np.allclose(h.steps.scaled_scores, np.array(scores) / np.sqrt(h.w_q.shape[1]), rtol=0, atol=1e-12)
            assert np.allclose(h.steps.weights, weights, rtol=0, atol=1e-13)
            assert np.allclose(h.steps.output, output, rtol=0, atol=1e-12)
            assert h.steps.q.shape == (len(run.tokens), 4) and h.steps.allowed is None


@pytest.mark.parametrize("seed, eps", [(3, 1e-12), (4, 1e-5)])
def test_the_whole_forward_equals_a_plain_loop_bert(tmp_path, seed, eps):
    config = tiny_config(layer_norm_eps=eps)
    folder = write_tiny_bert(tmp_path / "m", seed=seed, config=config)
    run = load_model(str(folder)).run(TEXT)
    hidden, heads = reference_bert.forward(tiny_tensors(config, seed), config, list(run.ids))
    for mine, theirs in zip(run.hidden_states, hidden, strict=True):
        assert np.allclose(mine, theirs, rtol=0, atol=1e-12)
    for layer, ref_layer in zip(run.layers, heads, strict=True):
        for h, (_, weights, output) in zip(layer.heads, ref_layer, strict=True):
            assert np.allclose(h.steps.weights, weights, rtol=0, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), layers=st.integers(1, 3), heads=st.integers(1, 4), d_head=st.integers(1, 5),
       words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=10), std=st.floats(0.1, 2.0))
def test_random_shapes_and_texts_equal_the_plain_loop_bert(tmp_path_factory, seed, layers, heads, d_head, words, std):
    config = tiny_config(num_hidden_layers=layers, num_attention_heads=heads, hidden_size=heads * d_head,
                         max_position_embeddings=40)  # ten words of at most three pieces fit
    folder = write_tiny_bert(tmp_path_factory.mktemp("m"), seed=seed, config=config, std=std)
    run = load_model(str(folder)).run(" ".join(words))
    hidden, ref_heads = reference_bert.forward(tiny_tensors(config, seed, std), config, list(run.ids))
    for mine, theirs in zip(run.hidden_states, hidden, strict=True):
        assert np.allclose(mine, theirs, rtol=0, atol=1e-11)
    for layer, ref_layer in zip(run.layers, ref_heads, strict=True):
        for h, (scores, weights, output) in zip(layer.heads, ref_layer, strict=True):
            # a dot product's rounding scales with Σ|q_i·k_i|, not with |q·k|: deep layers at std 2 cancel
            terms = np.abs(h.steps.q) @ np.abs(h.steps.k).T
            assert (np.abs(h.steps.scores - np.array(scores)) <= 1e-12 + 1e-12 * terms).all()
            assert np.allclose(h.steps.weights, weights, rtol=0, atol=1e-12)
            # Rounding grows with the size of the values (std 2 gives outputs near 30): 1e-12 relative.
            assert np.allclose(h.steps.output, output, rtol=0, atol=1e-12 * max(1.0, np.abs(output).max()))


def test_each_head_input_is_the_hidden_state_entering_its_layer(tiny):
    run = load_model(str(tiny)).run(TEXT)
    assert run.layers[0].heads[2].x is run.embeddings
    assert np.array_equal(run.layers[1].heads[0].x, run.layers[0].output)
    assert np.allclose(run.weights.sum(axis=-1), 1.0, atol=1e-15)


def _transformers_run(folder, text, dtype):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    model = transformers.BertModel.from_pretrained(str(folder), attn_implementation="eager", dtype=dtype,
                                                   add_pooling_layer=False).eval()
    with torch.no_grad():
        out = model(**tokenizer(text, return_tensors="pt"), output_attentions=True, output_hidden_states=True)
    return ([a[0].numpy() for a in out.attentions], [s[0].numpy() for s in out.hidden_states],
            tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"]))


@pytest.mark.parametrize("seed, prefix", [(5, ""), (6, "bert.")])
def test_the_forward_equals_transformers_in_float64(tmp_path, seed, prefix):
    torch = pytest.importorskip("torch")
    folder = write_tiny_bert(tmp_path / "m", seed=seed, prefix=prefix)
    attentions, hidden, tokens = _transformers_run(folder, TEXT, torch.float64)
    run = load_model(str(folder)).run(TEXT)
    assert list(run.tokens) == tokens
    for layer, theirs in zip(run.layers, attentions, strict=True):
        assert np.abs(np.stack([h.steps.weights for h in layer.heads]) - theirs).max() < 1e-12
    for mine, theirs in zip(run.hidden_states, hidden, strict=True):
        assert np.abs(mine - theirs).max() < 1e-12


def test_float32_on_request_stays_close_to_float64(tiny):
    run32 = load_model(str(tiny), dtype=np.float32).run(TEXT)
    run64 = load_model(str(tiny)).run(TEXT)
    assert run32.embeddings.dtype == np.float32 and run32.layers[-1].output.dtype == np.float32
    assert run32.layers[0].heads[0].w_q.dtype == np.float32
    assert np.abs(run32.weights - run64.weights).max() < 1e-5
    with pytest.raises(AttncliError, match="float64 or float32"):
        load_model(str(tiny), dtype=np.int32)


def test_a_vocab_only_model_tokenizes_like_its_tokenizer_json(tmp_path):
    config = tiny_config(max_position_embeddings=40)
    both = load_model(str(write_tiny_bert(tmp_path / "both", seed=7, config=config)))
    vocab_only = load_model(str(write_tiny_bert(tmp_path / "vocab", seed=7, config=config, tokenizer_json=False)))
    for text in [TEXT, "THE Cats, on the MAT!", "the [SEP] dog", "héllo wörld 猫 🐶 https://x.y/z?a=1"]:
        assert vocab_only.tokenize(text) == both.tokenize(text)
    assert np.array_equal(vocab_only.run(TEXT).weights, both.run(TEXT).weights)


def test_ranges_and_text_errors_are_one_line(tiny):
    model = load_model(str(tiny))
    run = model.run(TEXT)
    with pytest.raises(UsageError, match="layer 2 does not exist: this model has layers 0 to 1"):
        run.head(2, 0)
    with pytest.raises(UsageError, match="head 3 does not exist: each layer has heads 0 to 2"):
        run.head(0, 3)
    for empty in ["", "   ", "\n\t"]:
        with pytest.raises(AttncliError, match="the text is empty"):
            model.run(empty)
    with pytest.raises(AttncliError, match="the text is 17 tokens long with \\[CLS\\] and \\[SEP\\]; "
                                           "this model reads at most 16"):
        model.run("dog " * 15)
    assert len(model.run("dog " * 14).tokens) == 16


# ---- the head as a scenario ---------------------------------------------------------------------

def test_a_saved_head_recomputes_to_the_same_weights(tiny):
    import yaml

    run = load_model(str(tiny)).run(TEXT)
    scenario = yaml.safe_load(head_scenario_yaml(head_scenario(run, 1, 2)))
    assert scenario["tokens"] == list(run.tokens) and scenario["scale"] is True
    x = np.array(scenario["embeddings"])
    q, k, v = (x @ np.array(scenario[f"W_{n}"]) + np.array(scenario[f"b_{n}"]) for n in "QKV")
    steps = core.attend(q, k, v, scale=core.scale_factor(q.shape[1]))
    assert np.array_equal(x, run.layers[1].x)
    assert np.abs(steps.weights - run.head(1, 2).steps.weights).max() < 1e-12


# ---- bad model directories ----------------------------------------------------------------------

def _edit_config(folder, **changes):
    config = json.loads((folder / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("changes, message", [
    ({"model_type": "gpt2"}, "model_type is 'gpt2'; attncli runs BERT encoders only"),
    ({"hidden_act": "relu"}, "hidden_act is 'relu'"),
    ({"position_embedding_type": "relative_key"}, "supports \"absolute\" only"),
    ({"num_attention_heads": 5}, "hidden_size 12 is not a multiple of num_attention_heads 5"),
    ({"hidden_size": "12"}, "hidden_size is '12'; it should be a positive whole number"),
    ({"num_hidden_layers": 3}, "the tensor encoder.layer.2.attention.self.query.weight is missing"),
    ({"intermediate_size": 21}, "has shape \\[20, 12\\]; config.json says \\[21, 12\\]"),
    ({"is_decoder": True}, "set up as a decoder"),
    ({"layer_norm_eps": -1}, "layer_norm_eps is -1"),
])
def test_a_bad_config_is_named_in_one_line(tiny, changes, message):
    _edit_config(tiny, **changes)
    with pytest.raises(AttncliError, match=message) as info:
        load_model(str(tiny))
    assert "\n" not in str(info.value) and str(tiny) in str(info.value)


def test_missing_and_corrupt_files_are_named(tiny, tmp_path):
    (tiny / "model.safetensors").write_bytes((tiny / "model.safetensors").read_bytes()[:500])
    with pytest.raises(AttncliError, match="model.safetensors: not a readable safetensors file"):
        load_model(str(tiny))
    (tiny / "model.safetensors").unlink()
    with pytest.raises(AttncliError, match="model.safetensors: there is no model.safetensors"):
        load_model(str(tiny))
    (tiny / "config.json").write_text("{not json")
    with pytest.raises(AttncliError, match="config.json:1: not valid JSON"):
        load_model(str(tiny))
    (tiny / "config.json").unlink()
    with pytest.raises(AttncliError, match="there is no config.json"):
        load_model(str(tiny))
    with pytest.raises(AttncliError, match="no such model directory"):
        load_model(str(tmp_path / "nowhere" / "x" / "y"))
    with pytest.raises(AttncliError, match="vocab.txt: not a GGUF file"):  # a file is read as a GGUF decoder
        load_model(str(tiny / "vocab.txt"))


def test_a_model_without_tokenizer_files_or_with_a_broken_one_is_named(tmp_path):
    folder = write_tiny_bert(tmp_path / "m", tokenizer_json=False, vocab_txt=False)
    with pytest.raises(AttncliError, match="neither a tokenizer.json nor a vocab.txt"):
        load_model(str(folder))
    (folder / "tokenizer.json").write_text("[1, 2]")
    with pytest.raises(AttncliError, match="tokenizer.json: not a readable tokenizer file"):
        load_model(str(folder))


def test_nan_weights_are_refused_by_tensor_name(tmp_path):
    from safetensors.numpy import load_file, save_file

    folder = write_tiny_bert(tmp_path / "m")
    tensors = load_file(str(folder / "model.safetensors"))
    tensors["encoder.layer.1.output.dense.bias"][3] = np.nan
    save_file(tensors, str(folder / "model.safetensors"))
    with pytest.raises(AttncliError, match="encoder.layer.1.output.dense.bias holds NaN or infinite values"):
        load_model(str(folder))


def test_a_tokenizer_beyond_the_vocabulary_is_refused(tiny):
    _edit_config(tiny, vocab_size=10)
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(tiny / "model.safetensors"))
    tensors["embeddings.word_embeddings.weight"] = tensors["embeddings.word_embeddings.weight"][:10]
    save_file(tensors, str(tiny / "model.safetensors"))
    with pytest.raises(AttncliError, match="beyond the model's vocab_size 10"):
        load_model(str(tiny)).run(TEXT)


# ---- the Hugging Face cache ---------------------------------------------------------------------

def _fake_cache(cache, repo_id, source):
    """A snapshot in huggingface_hub's cache layout: models--org--name/{refs/main, snapshots/<sha>/…}."""
    sha = "0" * 40
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / sha
    snap.mkdir(parents=True)
    for f in source.iterdir():
        (snap / f.name).write_bytes(f.read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)


def test_a_hub_id_is_read_from_the_cache_and_an_unknown_one_offline_says_what_to_do(tiny, tmp_path, monkeypatch):
    hub = pytest.importorskip("huggingface_hub")
    from huggingface_hub import constants

    cache = tmp_path / "cache"
    _fake_cache(cache, "someone/tiny-bert", tiny)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)
    model = load_model("someone/tiny-bert")
    assert model.name == "someone/tiny-bert" and model.directory.parent.name == "snapshots"
    assert np.array_equal(model.run(TEXT).weights, load_model(str(tiny)).run(TEXT).weights)
    with pytest.raises(AttncliError) as info:
        load_model("someone/other-bert")
    message = str(info.value)
    assert "\n" not in message and "someone/other-bert is not in the Hugging Face cache" in message
    assert "hf download someone/other-bert" in message and hub is not None
