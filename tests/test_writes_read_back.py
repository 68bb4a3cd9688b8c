"""Whatever attncli writes, attncli reads back: answer templates and keys for any course seed, starter
scenarios for any tokens, a real head saved from any text, model name or vocabulary, SVG that is
well-formed XML, JSON that prints no control character; and a course is written whole or not at all."""

import json
import os
import re
import resource
import signal
import subprocess
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from attncli import commands, loader
from attncli.cli import app
from attncli.errors import AttncliError, UsageError
from attncli.files import check_reads_back, json_text, write_all_atomic
from attncli.practice.answers import parse_submission
from attncli.practice.exercises import Options
from attncli.practice.grading import grade_submission
from attncli.practice.keyfile import read_key
from attncli.practice.worksheet import build_sheets, write_sheets
from attncli.pretrained.scenario_out import head_scenario, head_scenario_yaml
from attncli.safe_text import visible
from attncli.yaml_text import yaml_string
from conftest import program

runner = CliRunner()
# What no output may carry raw: C0 (but LF and TAB), DEL, C1, bidi controls, separators, surrogates, noncharacters.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                 "\ud800-\udfff\ufffe\uffff]")
# Text as a hostile user types it: every plane, with the characters that broke readers before made likely.
HOSTILE_CHARS = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from("\x00\x1b\x07\x85\x90\x9b\u2028\u2029\u202e\u2066\ufeff\ufffe\uffff\"'\\:#-[]{}&*!|>%@` \t\r\n"),
)
HOSTILE_TEXT = st.text(HOSTILE_CHARS, min_size=1, max_size=80)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- worksheet: templates and key read back for any seed --------------------------------------


@FAST
@given(seed=HOSTILE_TEXT)
def test_every_file_of_a_course_reads_back_whatever_the_seed(seed):
    assume(seed.strip())
    files = dict(build_sheets(["ada"], seed, "scores", Options(exercises=1)))
    key = read_key(files["key.json"], "key.json")
    assert key.seed == seed
    submission = parse_submission(files["ada.answers.yaml"], "ada.answers.yaml")
    assert submission.student == "ada" and submission.seed == seed and not submission.invalid
    graded = grade_submission(key, submission)  # the seed matches: no "answers for another course"
    assert {q.status for q in graded.questions} == {"missing"}
    for name, text in files.items():
        assert not RAW.findall(text.replace("\n", "").replace("\t", "")), name


def test_a_seed_with_a_byte_that_is_not_utf8_is_refused_before_anything_is_written(tmp_path):
    result = runner.invoke(app, ["worksheet", "--count", "2", "--seed", "course\udcff", "--out", str(tmp_path / "c")])
    assert result.exit_code == 1
    assert result.stderr == "Error: the course seed holds bytes that are not UTF-8 text; give it as text\n"
    assert not (tmp_path / "c").exists()


def test_the_seeds_of_the_report_read_back_by_the_program(tmp_path):
    """U+2028 and a C1 character in the seed: on grading day every template still reads."""
    seed = "maths\u2028\x85\x9b31m 2026 "
    made = subprocess.run(program() + ["worksheet", "--count", "2", "--seed", seed, "--out", "c", "--level", "scores"],
                          capture_output=True, cwd=tmp_path, timeout=60)
    assert made.returncode == 0, made.stderr
    done = subprocess.run(program() + ["grade", "c/key.json", "c/student-01.answers.yaml",
                                       "c/student-02.answers.yaml", "--format", "json"],
                          capture_output=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0 and done.stderr == b""
    assert not RAW.findall(done.stdout.decode())
    doc = json.loads(done.stdout)
    assert doc["seed"] == seed and [s["student"] for s in doc["students"]] == ["student-01", "student-02"]


# ---- new: starter scenarios read back for any tokens ------------------------------------------


@FAST
@given(words=st.lists(st.text(HOSTILE_CHARS, min_size=1, max_size=1200).filter(lambda w: w.split() == [w]),
                      min_size=1, max_size=5))
def test_a_starter_reads_back_with_its_tokens_or_is_refused(words, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("new") / "s.yaml")
    try:
        commands.new(path, tokens=" ".join(words), d_model=3, d_k=2, d_v=None, seed=0, force=True)
    except UsageError as refused:
        assert str(refused).startswith("--tokens: ")
        assert any(visible(w) != w or len(w) > 1000 for w in words)
        return
    assert loader.load(path).tokens == tuple(words)


def test_new_names_a_token_too_long_to_read_back(tmp_path):
    result = runner.invoke(app, ["new", str(tmp_path / "s.yaml"), "--tokens", "a " + "b" * 1500])
    assert result.exit_code == 2
    assert result.stderr == ("Error: --tokens: " + "b" * 60 + "… (1,500 characters) is longer than the 1,000 "
                             "characters attncli reads in a token\n")
    result = runner.invoke(app, ["new", str(tmp_path / "s.yaml"), "--tokens", "a b\uffff"])
    assert result.exit_code == 2 and "b\\uffff holds a control character, a noncharacter" in result.stderr
    assert not (tmp_path / "s.yaml").exists()


# ---- model --save: a saved head reads back for any text, model name, vocabulary and width ----


def fake_run(text: str, model: str, tokens: list[str], d_model: int, d_head: int):
    rng = np.random.default_rng(len(tokens) * 7 + d_model)
    n = len(tokens)
    head = SimpleNamespace(name="L0H0", x=rng.normal(size=(n, d_model)) * 1e3,
                           **{f"w_{p}": rng.normal(size=(d_model, d_head)) for p in "qkv"},
                           **{f"b_{p}": rng.normal(size=d_head) for p in "qkv"})
    return SimpleNamespace(model=model, text=text, tokens=tokens, head=lambda layer, h: head)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(HOSTILE_TEXT, st.integers(1, 60_000).map(lambda n: "ab\x1b" * n)),
       model=st.one_of(HOSTILE_TEXT, st.just("/m/" + "deep/" * 900)),
       tokens=st.lists(st.one_of(HOSTILE_TEXT, st.just("\x85" * 3000)), min_size=1, max_size=6),
       d_model=st.integers(1, 300), d_head=st.integers(1, 64))
def test_a_saved_head_reads_back_whatever_the_text_model_or_tokens(text, model, tokens, d_model, d_head):
    run = fake_run(text, model, tokens, d_model, d_head)
    written = head_scenario_yaml(head_scenario(run, 0, 0))
    check_reads_back(written, "h.yaml")  # well inside the file limit here
    back = loader.parse(written, origin="h.yaml")
    assert len(back.tokens) == len(tokens)
    assert all(t == visible(t) and len(t) <= 1000 for t in back.tokens)
    assert [t for t, orig in zip(back.tokens, tokens) if len(visible(orig)) <= 900] == \
        [visible(orig) for orig in tokens if len(visible(orig)) <= 900]
    assert np.array_equal(back.x, run.head(0, 0).x)  # every number exactly
    assert np.array_equal(back.heads[0].w_q, run.head(0, 0).w_q)


def test_a_saved_head_larger_than_the_reader_takes_is_refused_before_writing(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNCLI_MAX_FILE_BYTES", "20000")
    run = fake_run("the cat sat", "tiny", ["the", "cat", "sat"] * 10, 64, 16)
    text = head_scenario_yaml(head_scenario(run, 0, 0))
    with pytest.raises(AttncliError) as refused:
        check_reads_back(text, "h.yaml")
    assert str(refused.value) == (f"h.yaml: this would be a file of {len(text.encode()):,} bytes, and attncli reads "
                                  "files of at most 20,000; nothing was written: use a shorter text, or raise the "
                                  "limit with ATTNCLI_MAX_FILE_BYTES=<bytes> when writing and when reading it")


def test_save_onto_a_folder_says_so_without_suggesting_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    result = runner.invoke(app, ["model", "the cat", "--layer", "0", "--head", "0", "--save", "adir"])
    assert result.exit_code == 1
    assert result.stderr == "Error: adir: is a directory, not a regular file; give a file name to write\n"


# ---- SVG and JSON: well-formed and printable whatever the tokens ------------------------------


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tokens=st.lists(HOSTILE_TEXT.filter(lambda t: t.strip()), min_size=2, max_size=3))
def test_an_svg_export_is_well_formed_xml_whatever_the_tokens(tokens, tmp_path_factory):
    folder = tmp_path_factory.mktemp("svg")
    n = len(tokens)
    rows = ", ".join("[" + ", ".join("1.0" if i == j else "0.5" for j in range(2)) + "]" for i in range(n))
    (folder / "s.yaml").write_text(
        f"tokens: [{', '.join(yaml_string(t) for t in tokens)}]\nembeddings: [{rows}]\n"
        "W_Q: [[1, 0], [0, 1]]\nW_K: [[1, 0], [0, 1]]\nW_V: [[1, 0], [0, 1]]\n", encoding="utf-8")
    result = runner.invoke(app, ["explain", str(folder / "s.yaml"), "--export", str(folder / "s.svg"),
                                 "-f", "json"])
    assert result.exit_code == 0, result.output
    ET.parse(folder / "s.svg")  # raises on a character XML refuses
    assert not RAW.findall(result.stdout.replace("\n", ""))
    assert json.loads(result.stdout)["query_tokens"] == [visible(t) for t in tokens]


@given(st.recursive(st.one_of(st.text(HOSTILE_CHARS), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                              st.none()),
                    lambda inner: st.one_of(st.lists(inner, max_size=4),
                                            st.dictionaries(st.text(HOSTILE_CHARS, max_size=8), inner, max_size=4)),
                    max_leaves=20))
def test_json_attncli_writes_reads_back_and_prints_no_control_character(document):
    text = json_text(document)
    assert json.loads(text) == document
    assert not RAW.findall(text.replace("\n", ""))


# ---- a course is written whole or not at all ---------------------------------------------------


def test_a_write_that_fails_part_way_leaves_nothing(tmp_path):
    def disk_full(f):
        f.write("half")
        raise OSError(28, "No space left on device")

    files = [("ada.md", "sheet"), ("ada.answers.yaml", "answers"), ("key.json", disk_full)]
    with pytest.raises(AttncliError, match=r"key.json: cannot write: No space left on device"):
        write_sheets(str(tmp_path / "c"), files)
    assert sorted(os.listdir(tmp_path / "c")) == []


def test_overwriting_that_fails_part_way_keeps_every_old_file(tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("old", encoding="utf-8")

    def fails(f):
        raise OSError(28, "No space left on device")

    with pytest.raises(AttncliError):
        write_all_atomic([(str(tmp_path / "a.txt"), "new"), (str(tmp_path / "b.txt"), fails)])
    assert [(tmp_path / n).read_text(encoding="utf-8") for n in ("a.txt", "b.txt")] == ["old", "old"]
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_worksheet_on_a_full_disk_writes_no_sheet_without_its_key(tmp_path):
    """A file-size limit (as a nearly full disk) that lets the sheets through but not the key."""
    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))  # a sheet takes < 60 KB; the key, 19 KB a student

    done = subprocess.run(program() + ["worksheet", "--count", "10", "--out", "c"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, preexec_fn=small_files)
    assert done.returncode == 1
    assert done.stderr == "Error: c/key.json: cannot write: File too large\n"
    assert os.listdir(tmp_path / "c") == []


def test_worksheet_refuses_a_folder_in_a_files_place_without_suggesting_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c" / "key.json").mkdir(parents=True)
    for extra in ([], ["--force"]):
        result = runner.invoke(app, ["worksheet", "--count", "2", "--out", "c", *extra])
        assert result.exit_code == 1
        assert result.stderr == "Error: c/key.json: is a directory, not a regular file; give a file name to write\n"
    assert os.listdir(tmp_path / "c") == ["key.json"]


def test_model_save_writes_only_what_reads_back(tmp_path, monkeypatch):
    pytest.importorskip("safetensors", reason="the model extra is not installed")
    pytest.importorskip("tokenizers", reason="the model extra is not installed")
    from tiny_bert import write_tiny_bert

    tiny = str(write_tiny_bert(tmp_path / "tiny", seed=3))
    long_text = "the dog ate " * 5_000  # 60,000 characters: the description quotes its start
    path = tmp_path / "long.yaml"
    done = runner.invoke(app, ["model", long_text, "--model", tiny, "--layer", "0", "--head", "0", "--save", str(path)])
    if done.exit_code == 0:
        assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
    else:  # more tokens than the tiny model's positions: refused before anything is written
        assert not path.exists() and done.stderr.count("\n") == 1
    monkeypatch.setenv("ATTNCLI_MAX_FILE_BYTES", "3000")
    small = tmp_path / "small.yaml"
    done = runner.invoke(app, ["model", "the dog ate his dinner", "--model", tiny, "--layer", "0", "--head", "0",
                               "--save", str(small)])
    assert done.exit_code == 1 and not small.exists()
    assert re.fullmatch(rf"Error: {re.escape(str(small))}: this would be a file of [0-9,]+ bytes, and attncli reads "
                        r"files of at most 3,000; nothing was written: use a shorter text, or raise the limit with "
                        r"ATTNCLI_MAX_FILE_BYTES=<bytes> when writing and when reading it\n", done.stderr)
