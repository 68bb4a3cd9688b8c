"""`attncli patterns` as a user meets it: a tiny model with a set of its own words, every refusal, the real program."""

import json
import subprocess

import pytest

pytest.importorskip("safetensors", reason="the model extra is not installed")
pytest.importorskip("tokenizers", reason="the model extra is not installed")

from conftest import oracle, program, program_env  # noqa: E402
from tiny_bert import write_tiny_bert  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from attncli.cli import app  # noqa: E402
from attncli.pretrained import locate  # noqa: E402

runner = CliRunner()
TINY_SET = """\
name: tiny words
sentences:
  - text: The dog ate his dinner because he was hungry.
    coreference:
      - 3 his -> 1 dog
      - 6 he -> 1 dog not 4 dinner
  - text: The keys to the cabinet are on the table.
    agreement:
      - 5 are -> 1 keys not 4 cabinet
  - text: The cat sat on the mat.
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(write_tiny_bert(tmp_path_factory.mktemp("models") / "tiny", seed=3))


@pytest.fixture
def tiny_set(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SET, encoding="utf-8")
    return str(path)


def invoke(*args):
    return runner.invoke(app, ["patterns", *args])


def test_json_has_the_documented_shape_with_heads_sorted_by_accuracy(tiny, tiny_set):
    result = invoke("--model", tiny, "--set", tiny_set, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"model", "set", "kinds"} and (doc["model"], doc["set"]) == ("tiny", "tiny words")
    assert [k["kind"] for k in doc["kinds"]] == ["agreement", "coreference", "positional", "separator"]
    for k in doc["kinds"]:
        assert set(k) == {"kind", "pairs", "baselines", "heads", "verdict"}
        assert set(k["baselines"]) == {"offset", "column", "first", "chance"}
        assert set(k["baselines"]["offset"]) == {"offset", "accuracy"}
        assert len(k["heads"]) == 6
        assert [h["accuracy"] for h in k["heads"]] == sorted((h["accuracy"] for h in k["heads"]), reverse=True)
        for h in k["heads"]:
            assert set(h) - {"margin"} == {"layer", "head", "accuracy", "low", "high"}
            assert h["low"] <= h["accuracy"] <= h["high"]
            assert ("margin" in h) == (k["kind"] in ("agreement", "coreference"))
    assert [k["pairs"] for k in doc["kinds"]] == [1, 2, 11 + 11 + 8, 11 + 11 + 8]
    # 2 and 1 pairs cannot make an interval narrow enough for any verdict
    assert doc["kinds"][0]["verdict"] is None and doc["kinds"][1]["verdict"] is None


def test_kind_measures_one_kind_only(tiny, tiny_set):
    result = invoke("--model", tiny, "--set", tiny_set, "--kind", "coreference", "--no-color", "--width", "200")
    assert result.exit_code == 0, result.output
    assert "coreference: a pronoun → its antecedent, 2 pairs" in result.stdout
    assert "agreement:" not in result.stdout and "positional:" not in result.stdout
    assert "No evidence: the best head," in result.stdout


def refused(args, code, message):
    result = invoke(*args)
    assert (result.exit_code, result.stdout) == (code, ""), result.output
    assert result.stderr == f"Error: {message}\n"


def test_a_bad_set_is_named_by_file_and_line_and_exits_1(tiny, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sentences:\n  - text: The dog ran.\n    agreement:\n      - 2 runs -> 1 dog\n", encoding="utf-8")
    refused(["--model", tiny, "--set", str(bad)], 1,
            f"{bad}:4: sentence 0: agreement: word 2 is 'ran', not 'runs'; the words are 0 The  1 dog  2 ran")
    refused(["--model", tiny, "--set", str(tmp_path / "none.yaml")], 1, f"{tmp_path / 'none.yaml'}: no such file")


def test_a_kind_the_set_does_not_label_is_refused(tiny, tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text("sentences:\n  - text: The cat sat on the mat.\n", encoding="utf-8")
    refused(["--model", tiny, "--set", str(plain), "--kind", "agreement"], 1, f"{plain}: the set labels no agreement pairs")
    result = invoke("--kind", "syntax")
    assert result.exit_code == 2 and result.stdout == ""
    assert "'syntax' is not one of 'agreement', 'coreference', 'positional', 'separator'" in result.stderr


def test_a_word_the_vocabulary_lacks_lines_up_as_its_unknown_token(tiny, tmp_path):
    # the tiny vocabulary has no "zebra": WordPiece gives [UNK], which still lines up with the word
    odd = tmp_path / "odd.yaml"
    odd.write_text("sentences:\n  - text: The zebra ate.\n    agreement:\n      - 2 ate -> 1 zebra\n", encoding="utf-8")
    result = invoke("--model", tiny, "--set", str(odd), "--kind", "agreement", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kinds"][0]["pairs"] == 1


def test_the_real_program_measures_minilm_on_the_built_in_set(tmp_path):
    oracle(locate.DEFAULT_PACKAGE)
    done = subprocess.run([*program(), "patterns", "--kind", "coreference", "--format", "json"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=300, env=program_env())
    assert done.returncode == 0, done.stderr
    (kind,) = json.loads(done.stdout)["kinds"]
    assert kind["kind"] == "coreference" and kind["pairs"] == 41
    assert kind["verdict"].startswith("Evidence: L1H3 points a pronoun to its antecedent in 30 of 41 pairs")


def test_an_export_never_replaces_the_set_it_was_computed_from(tiny, tmp_path):
    # JSON is YAML: a set may be a .json file, which --export could otherwise write over
    path = tmp_path / "set.json"
    path.write_text(json.dumps({"sentences": [{"text": "The dog ate.", "agreement": ["2 ate -> 1 dog"]}]}),
                    encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    refused(["--model", tiny, "--set", str(path), "--export", str(tmp_path / "." / "set.json")], 1,
            f"{tmp_path / '.' / 'set.json'}: is the labelled set this was computed from; attncli will not overwrite "
            "it: choose another file name")
    assert path.read_text(encoding="utf-8") == before
