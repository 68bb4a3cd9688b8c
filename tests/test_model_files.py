"""A model folder read as warily as a scenario file: bounded reads, links, foreign tensor types, overflow, and
the folder's files never overwritten."""

import json
import os
import subprocess

import numpy as np
import pytest

pytest.importorskip("safetensors", reason="the model extra is not installed")
pytest.importorskip("tokenizers", reason="the model extra is not installed")

from conftest import program, program_env  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from tiny_bert import SPECIALS, WORDS, tiny_config, tiny_tensors, write_tiny_bert  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from attncli import limits  # noqa: E402
from attncli.cli import app  # noqa: E402
from attncli.errors import AttncliError  # noqa: E402
from attncli.pretrained import load_model  # noqa: E402
from attncli.pretrained.tokens import vocabulary  # noqa: E402

TEXT = "The dog ate his dinner."
runner = CliRunner()
MODEL_FILE = "is one of the files of the model this was computed from; attncli will not overwrite it: choose another file name"


@pytest.fixture
def tiny(tmp_path):
    return write_tiny_bert(tmp_path / "tiny")


def refused(args, message: str, code: int = 1) -> None:
    """One line on stderr, the status asked, nothing on stdout, no traceback."""
    result = runner.invoke(app, ["model", *args])
    assert (result.exit_code, result.stdout) == (code, ""), result.output
    assert result.stderr == f"Error: {message}\n"


# ---- every file examined before it is read, and read within a limit ----------------------------------


@pytest.mark.parametrize("name", ["config.json", "tokenizer.json", "model.safetensors"])
def test_a_model_file_that_is_a_link_to_dev_zero_is_refused_unread(tiny, name):
    (tiny / name).unlink()
    (tiny / name).symlink_to("/dev/zero")
    refused([TEXT, "--model", str(tiny)],
            f"{tiny / name}: is a character device, not a regular file; attncli reads only regular files")


def test_vocab_txt_and_tokenizer_config_linked_to_dev_zero_are_refused(tmp_path):
    folder = write_tiny_bert(tmp_path / "m", tokenizer_json=False)
    (folder / "tokenizer_config.json").symlink_to("/dev/zero")
    with pytest.raises(AttncliError, match="tokenizer_config.json: is a character device, not a regular file"):
        load_model(str(folder))
    (folder / "tokenizer_config.json").unlink()
    (folder / "vocab.txt").unlink()
    (folder / "vocab.txt").symlink_to("/dev/zero")
    with pytest.raises(AttncliError, match="vocab.txt: is a character device, not a regular file"):
        load_model(str(folder))


def test_a_named_pipe_for_config_json_is_refused_without_waiting_for_a_writer(tiny):
    (tiny / "config.json").unlink()
    os.mkfifo(tiny / "config.json")
    with pytest.raises(AttncliError, match="config.json: is a named pipe, not a regular file"):
        load_model(str(tiny))


@pytest.mark.parametrize("name,keep_json", [("tokenizer.json", True), ("vocab.txt", False)])
def test_a_2_gb_tokenizer_file_is_refused_by_its_size_before_the_tokenizer_library_sees_it(tmp_path, name, keep_json):
    folder = write_tiny_bert(tmp_path / "m", tokenizer_json=keep_json)
    with open(folder / name, "r+b") as f:
        f.truncate(2 * 1024**3)  # sparse: no disk is used, and nothing is read
    limit = limits.max_model_file_bytes()
    refused([TEXT, "--model", str(folder)],
            f"{folder / name}: the file is 2,147,483,648 bytes, larger than {limit:,}; raise the limit with "
            "ATTNCLI_MAX_MODEL_FILE_BYTES=<bytes> if you mean it")


def test_the_model_file_limit_can_be_raised_and_lowered(tiny, monkeypatch):
    size = (tiny / "tokenizer.json").stat().st_size
    monkeypatch.setenv(limits.MODEL_FILE_ENV, str(size - 1))
    with pytest.raises(AttncliError, match=f"larger than {size - 1:,}"):
        load_model(str(tiny))
    monkeypatch.setenv(limits.MODEL_FILE_ENV, str(size))
    assert load_model(str(tiny)).tokenize("dog") == ("[CLS]", "dog", "[SEP]")


def test_config_json_over_the_file_limit_is_refused(tiny, monkeypatch):
    (tiny / "config.json").write_text(json.dumps(tiny_config(padding="x" * 2000)))
    monkeypatch.setenv(limits.FILE_ENV, "1000")
    with pytest.raises(AttncliError, match=r"config.json: the file is 2,\d{3} bytes, larger than 1,000"):
        load_model(str(tiny))


@pytest.mark.parametrize("text,message", [
    ("[" * 100_000, "not readable JSON: lists or objects nested too deeply"),
    ('{"model_type": "bert", "hidden_size": 1' + "0" * 5000 + "}", "a number with 5,001 digits is too large"),
    ('{"layer_norm_eps": NaN}', "NaN is not a number JSON allows"),
])
def test_config_json_that_json_loads_chokes_on_is_one_line(tiny, text, message):
    (tiny / "config.json").write_text(text)
    result = runner.invoke(app, ["model", TEXT, "--model", str(tiny)])
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1, result.output


def test_a_tokenizer_config_that_is_not_json_is_named_not_ignored(tmp_path):
    folder = write_tiny_bert(tmp_path / "m", tokenizer_json=False)
    (folder / "tokenizer_config.json").write_text("[" * 100_000)
    with pytest.raises(AttncliError, match="tokenizer_config.json:1: not readable JSON"):
        load_model(str(folder))


def test_a_broken_link_among_the_tokenizer_files_is_named_not_passed_over(tiny):
    (tiny / "tokenizer.json").unlink()
    (tiny / "tokenizer.json").symlink_to(tiny / "gone.json")
    refused([TEXT, "--model", str(tiny)],
            f"{tiny / 'tokenizer.json'}: is a broken link: it points to {str(tiny / 'gone.json')!r}, which does not exist")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=6),
                max_size=12),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_vocab_txt_is_read_as_the_tokenizers_library_reads_it(tmp_path_factory, lines, newline, final_newline):
    from tokenizers.models import WordPiece

    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    path.write_bytes((newline.join(lines) + (newline if final_newline and lines else "")).encode("utf-8"))
    assert vocabulary(path.read_bytes().decode("utf-8")) == WordPiece.read_file(str(path))


# ---- the model's path: a link to nowhere is a path gone wrong, not a hub id ---------------------------


def test_a_broken_link_or_a_loop_given_as_the_model_is_named_as_such(tmp_path):
    broken, loop_a, loop_b = tmp_path / "broken", tmp_path / "loop-a", tmp_path / "loop-b"
    broken.symlink_to(tmp_path / "nowhere")
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    folder = "a model is a directory holding config.json, model.safetensors and tokenizer.json or vocab.txt"
    refused([TEXT, "--model", str(broken)],
            f"{broken}: is a broken link: it points to {str(tmp_path / 'nowhere')!r}, which does not exist; {folder}")
    refused([TEXT, "--model", str(loop_a)], f"{loop_a}: is a link that leads back to itself (a loop of links); {folder}")
    refused([TEXT, "--model", "/dev/zero"], f"/dev/zero: is a character device; {folder}")


def test_a_broken_link_that_looks_like_a_hub_id_is_not_looked_up_on_the_hub(tmp_path):
    """As a real process, from a folder holding a link named like a hub id (org/name): one line, exit 1."""
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "name").symlink_to(tmp_path / "nowhere")
    done = subprocess.run(program() + ["model", TEXT, "--model", "org/name"], capture_output=True, cwd=tmp_path,
                          env=program_env({**os.environ, "HF_HUB_OFFLINE": "1"}), timeout=60)
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode().startswith("Error: org/name: is a broken link: it points to ")
    assert b"Hugging Face" not in done.stderr and b"Traceback" not in done.stderr


# ---- tensor types NumPy lacks, and numbers beyond float32 ---------------------------------------------


def _save_with_bfloat16(tensors: dict, bfloat16: set, path) -> dict:
    """A safetensors file written by its published layout, the tensors in `bfloat16` stored as BF16 (the upper
    half of each float32, rounded to nearest even); returns every tensor as the float32 the file now holds."""
    header, chunks, offset, held = {"__metadata__": {"format": "pt"}}, [], 0, {}
    for key, value in tensors.items():
        value = np.ascontiguousarray(value, dtype=np.float32)
        if key in bfloat16:
            bits = value.view(np.uint32).astype(np.uint64)
            upper = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
            data, held[key] = upper.tobytes(), (upper.astype(np.uint32) << 16).view(np.float32)
        else:
            data, held[key] = value.tobytes(), value
        header[key] = {"dtype": "BF16" if key in bfloat16 else "F32", "shape": list(value.shape),
                       "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(chunks))
    return held


@pytest.mark.parametrize("which", ["the word table", "every tensor"])
def test_bfloat16_tensors_among_float32_ones_are_widened_exactly(tmp_path, which):
    config = tiny_config()
    tensors = tiny_tensors(config, seed=4)
    bf16 = {"embeddings.word_embeddings.weight"} if which == "the word table" else set(tensors)
    mixed = write_tiny_bert(tmp_path / "mixed", seed=4)
    held = _save_with_bfloat16(tensors, bf16, mixed / "model.safetensors")
    plain = write_tiny_bert(tmp_path / "plain", seed=4)
    save_file(held, str(plain / "model.safetensors"), metadata={"format": "pt"})
    for dtype in (np.float64, np.float32):
        got, want = load_model(str(mixed), dtype).run(TEXT), load_model(str(plain), dtype).run(TEXT)
        assert np.array_equal(got.weights, want.weights) and np.array_equal(got.layers[-1].output, want.layers[-1].output)


def test_bfloat16_agrees_with_torch_where_torch_is_installed(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file as save_torch

    tensors = tiny_tensors(tiny_config(), seed=5)
    folder = write_tiny_bert(tmp_path / "m", seed=5)
    as_torch = {k: torch.from_numpy(v).to(torch.bfloat16) for k, v in tensors.items()}
    save_torch(as_torch, str(folder / "model.safetensors"))
    plain = write_tiny_bert(tmp_path / "plain", seed=5)
    save_file({k: v.float().numpy() for k, v in as_torch.items()}, str(plain / "model.safetensors"))
    assert np.array_equal(load_model(str(folder)).run(TEXT).weights, load_model(str(plain)).run(TEXT).weights)


def test_an_integer_tensor_is_refused_by_its_type(tmp_path):
    tensors = tiny_tensors(tiny_config(), seed=0)
    tensors["embeddings.word_embeddings.weight"] = tensors["embeddings.word_embeddings.weight"].astype(np.int32)
    folder = write_tiny_bert(tmp_path / "m")
    save_file(tensors, str(folder / "model.safetensors"))
    with pytest.raises(AttncliError, match=r"the tensor embeddings.word_embeddings.weight holds I32 values; attncli "
                                           r"reads floating-point tensors \(F16, BF16, F32, F64\)"):
        load_model(str(folder))


@pytest.fixture
def near_float32_max(tmp_path):
    """Word and position embeddings near 3e38: their sum overflows float32, not float64."""
    tensors = tiny_tensors(tiny_config(), seed=0)
    for key in ("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight"):
        tensors[key] = np.clip(tensors[key].astype(np.float64) * 1e38, -3e38, 3e38).astype(np.float32)
    folder = write_tiny_bert(tmp_path / "huge")
    save_file(tensors, str(folder / "model.safetensors"))
    return folder


@pytest.mark.parametrize("mode", [[], ["--layer", "0", "--head", "1"], ["--link", "dog", "ate"]])
def test_a_float32_overflow_is_refused_by_its_step_never_shown_as_nan(near_float32_max, mode):
    refused([TEXT, "--model", str(near_float32_max), "--float32", *mode],
            "the forward pass overflows float32 at the embeddings (word + position + token type): the model's "
            "numbers go beyond ±3.4e+38; try float64: leave out --float32 (in Python, float32=False)")


def test_the_same_model_in_float64_runs_and_every_number_is_finite(near_float32_max):
    run = load_model(str(near_float32_max)).run(TEXT)
    assert all(np.isfinite(h).all() for h in run.hidden_states) and np.isfinite(run.weights).all()
    result = runner.invoke(app, ["model", TEXT, "--model", str(near_float32_max), "--no-color"])
    assert result.exit_code == 0 and "nan" not in result.stdout.lower(), result.output


def test_an_overflow_inside_a_layer_names_the_head_and_step(tmp_path):
    tensors = tiny_tensors(tiny_config(), seed=0)
    key = "encoder.layer.1.attention.self.key.weight"
    tensors[key] = np.full_like(tensors[key], 3e38)
    folder = write_tiny_bert(tmp_path / "m")
    save_file(tensors, str(folder / "model.safetensors"))
    with pytest.raises(AttncliError, match=r"^the forward pass overflows float32 at L1H0's K: "):
        load_model(str(folder), np.float32).run(TEXT)


def test_weights_that_would_not_fit_in_free_memory_are_refused_before_they_are_read(tiny, monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 10_000)
    with pytest.raises(AttncliError, match=r"model.safetensors: the model's weights need about 0.0 GB in float64, "
                                           r"and this machine has 0.0 GB free; in float32 \(--float32\) it needs"):
        load_model(str(tiny))


# ---- the sentence itself ------------------------------------------------------------------------------


def test_a_sentence_longer_than_the_model_could_read_is_refused_before_it_is_tokenized(tiny):
    positions = tiny_config()["max_position_embeddings"]
    with pytest.raises(AttncliError, match=f"^the text is 5,000,000 characters long; for a model that reads at most "
                                           f"{positions} tokens, attncli takes at most {100 * positions:,}$"):
        load_model(str(tiny)).run("dog " * 1_250_000)


def test_a_sentence_with_bytes_that_are_not_utf8_is_one_line(tiny):
    """What Python makes of a command-line byte that is not UTF-8: a lone surrogate."""
    refused(["the dog \udc9b ate", "--model", str(tiny)],
            "the text holds \\x9b, which is not a character: give the text as UTF-8")


# ---- the model's files are never overwritten ----------------------------------------------------------


@pytest.mark.parametrize("name,how", [
    ("tokenizer.json", ["--export"]), ("config.json", ["--export"]),
    *[(name, ["--layer", "0", "--head", "0", *force, "--save"])
      for name in ("tokenizer.json", "vocab.txt", "model.safetensors", "config.json") for force in ([], ["--force"])],
])
def test_export_and_save_never_replace_the_models_own_files(tiny, name, how):
    before = (tiny / name).read_bytes()
    refused([TEXT, "--model", str(tiny), *how, str(tiny / name)], f"{tiny / name}: {MODEL_FILE}")
    assert (tiny / name).read_bytes() == before


def test_export_through_a_link_to_a_model_file_is_refused(tiny, tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tiny / "tokenizer.json")
    before = (tiny / "tokenizer.json").read_bytes()
    refused([TEXT, "--model", str(tiny), "--export", str(link)], f"{link}: {MODEL_FILE}")
    assert (tiny / "tokenizer.json").read_bytes() == before


def test_an_export_beside_the_models_files_is_written(tiny):
    result = runner.invoke(app, ["model", TEXT, "--model", str(tiny), "--export", str(tiny / "gallery.md")])
    assert result.exit_code == 0, result.output
    assert (tiny / "gallery.md").read_text().startswith("# tiny: every head on your sentence")


def test_export_onto_a_model_file_as_a_real_process_leaves_it_whole(tiny):
    before = (tiny / "tokenizer.json").read_bytes()
    done = subprocess.run(program() + ["model", TEXT, "--model", str(tiny), "--export", str(tiny / "tokenizer.json")],
                          capture_output=True, env=program_env(), timeout=60)
    assert (done.returncode, done.stderr.decode()) == (1, f"Error: {tiny / 'tokenizer.json'}: {MODEL_FILE}\n")
    assert (tiny / "tokenizer.json").read_bytes() == before



def test_a_model_that_is_one_file_is_itself_kept(tmp_path):
    from attncli.pretrained.locate import model_files

    single = tmp_path / "model.gguf"
    single.write_bytes(b"GGUF")
    assert model_files(str(single)) == (str(single),)
