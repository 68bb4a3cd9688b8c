"""`attncli model --model PATH.gguf`, `model --induction` and `generate` as a user meets them, on a tiny GGUF file."""

import json
import subprocess

import numpy as np
import pytest

pytest.importorskip("gguf", reason="the model extra is not installed")
pytest.importorskip("tokenizers", reason="the model extra is not installed")

from conftest import program, program_env  # noqa: E402
from tiny_llama import write_tiny_llama  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from attncli.cli import app  # noqa: E402
from attncli.pretrained import load_model  # noqa: E402

TEXT = "the dog ate his dinner because he was hungry"
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(write_tiny_llama(tmp_path_factory.mktemp("gguf") / "tiny.gguf", seed=5))


@pytest.fixture(scope="module")
def tiny_run(tiny):
    return load_model(tiny).run(TEXT)


def ok_json(*args):
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(args, code: int, message: str) -> None:
    """One line on stderr, the status asked, nothing on stdout, no traceback."""
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stdout) == (code, ""), result.output
    assert result.stderr == f"Error: {message}\n"


def test_the_gallery_json_adds_kv_head_and_causal(tiny, tiny_run):
    doc = ok_json("model", TEXT, "--model", tiny)
    assert set(doc) == {"model", "tokens", "causal", "heads"} and doc["causal"] is True
    assert doc["tokens"] == list(tiny_run.tokens) and doc["tokens"][0] == "<|im_start|>"
    assert len(doc["heads"]) == 8 and set(doc["heads"][0]) == {"layer", "head", "kv_head", "kind", "weights"}
    assert [h["kv_head"] for h in doc["heads"][:4]] == [0, 0, 1, 1]
    weights = np.array([h["weights"] for h in doc["heads"]]).reshape(tiny_run.weights.shape)
    np.testing.assert_allclose(weights, tiny_run.weights, rtol=0, atol=1e-15)
    assert "next" not in {h["kind"] for h in doc["heads"]}  # no query sees the next token


def test_one_head_shows_rope_the_shared_head_and_the_causal_mask(tiny):
    result = runner.invoke(app, ["model", TEXT, "--model", tiny, "--layer", "1", "--head", "3", "--focus", "ate",
                                 "--no-color", "--width", "120"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "RoPE: rotate q and k by position (base 10000)" in out
    assert "L1H3 reads key/value head 1, shared by L1H2, L1H3" in out
    assert "Mask: causal" in out
    assert "RoPE of the query of ate (position 3)" in out and "p=7" in out and "p=8 " not in out  # 8 pairs
    assert "at 10, 7:" in out  # the shift by 7 positions


def test_a_saved_head_explains_to_the_same_weights(tiny, tiny_run, tmp_path):
    path = tmp_path / "h.yaml"
    result = runner.invoke(app, ["model", TEXT, "--model", tiny, "--layer", "0", "--head", "1", "--save", str(path)])
    assert result.exit_code == 0, result.output
    doc = ok_json("explain", str(path))
    assert doc["rope"] == {"base": 10000.0} and doc["masked"] is True
    np.testing.assert_allclose(doc["heads"][0]["weights"], tiny_run.head(0, 1).steps.weights, rtol=0, atol=1e-12)


def test_generate_json_has_exactly_the_contracts_keys_and_the_cache_changes_nothing(tiny):
    cached = ok_json("generate", "the dog", "--model", tiny, "--max-new-tokens", "6")
    assert set(cached) == {"model", "prompt_tokens", "steps", "text", "cache"} and cached["cache"] is True
    assert cached["prompt_tokens"] == ["<|im_start|>", "the", "dog"]
    step = cached["steps"][0]
    assert set(step) == {"token", "id", "top", "cache_len"} and step["cache_len"] == 3
    assert set(step["top"][0]) == {"token", "id", "p"} and len(step["top"]) == 5
    assert step["top"][0]["id"] == step["id"]  # greedy
    again = ok_json("generate", "the dog", "--model", tiny, "--max-new-tokens", "6", "--no-cache")
    assert again["cache"] is False
    assert [s["id"] for s in again["steps"]] == [s["id"] for s in cached["steps"]]


def test_generate_shows_each_step_and_the_work_saved(tiny):
    result = runner.invoke(app, ["generate", "the dog", "--model", tiny, "--max-new-tokens", "4", "--layer", "1",
                                 "--head", "0", "--no-color", "--width", "120"])
    assert result.exit_code == 0, result.output
    assert "L1H0:" in result.stdout and "One row per new token" in result.stdout
    assert "times as much" in result.stdout and "differ by at most" in result.stdout


def test_the_induction_lesson_json(tiny):
    doc = ok_json("model", "--induction", "--model", tiny, "--length", "5", "--seed", "2")
    assert set(doc) == {"model", "seed", "ids", "tokens", "scores", "top", "loss_copy1", "loss_copy2", "ablation"}
    assert doc["seed"] == 2 and len(doc["ids"]) == 11 and np.array(doc["scores"]).shape == (2, 4)
    assert set(doc["ablation"]) == {"top", "loss_top", "random", "loss_random"}
    assert doc["top"][0]["score"] == max(max(row) for row in doc["scores"])


@pytest.mark.parametrize("args, code, message", [
    (["generate", "the dog", "--temperature", "0"], 2,
     "--temperature is 0.0; give a positive number (leave it out for greedy choice)"),
    (["generate", "the dog", "--max-new-tokens", "0"], 2, "--max-new-tokens is 0; give 1 to 512"),
    (["generate", "the dog", "--layer", "1"], 2,
     "--layer and --head pick the watched head together; give both, or neither"),
    (["generate", "the dog", "--layer", "5", "--head", "0"], 2,
     "--layer: layer 5 does not exist: this model has layers 0 to 1"),
    (["model", "--induction", "the dog"], 2, "--induction makes its own word sequence: give no sentence with it"),
    (["model"], 2, "give a sentence in quotes (or --induction for the induction lesson)"),
])
def test_bad_usage_is_one_line(tiny, args, code, message):
    refused([*args, "--model", tiny], code, message)


def test_a_file_that_is_not_gguf_and_an_encoder_for_generate_are_refused(tmp_path):
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello")
    refused(["generate", "the dog", "--model", str(bad)], 1,
            f"{bad}: not a GGUF file (it does not start with the bytes GGUF)")
    refused(["model", TEXT, "--model", str(bad)], 1, f"{bad}: not a GGUF file (it does not start with the bytes GGUF)")


def test_generate_as_a_real_process(tiny, tmp_path):
    done = subprocess.run([*program(), "generate", "the dog", "--model", tiny, "--max-new-tokens", "3",
                           "--format", "json"], capture_output=True, text=True, env=program_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["steps"]) == 3
    done = subprocess.run([*program(), "model", "--induction", "--model", str(tmp_path / "nowhere.gguf")],
                          capture_output=True, text=True, env=program_env(), timeout=300)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"Error: {tmp_path / 'nowhere.gguf'}: no such GGUF file\n"
