"""The hostile corpus in tests/corpus through the CLI: one message each, no traceback; a real process for
what only a process shows (limits from the environment, a closed pipe, Ctrl-C)."""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import program, program_env
from typer.testing import CliRunner

from attncli.cli import app

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def run(*args, env=None, **kwargs):
    return subprocess.run([*program(), *args], capture_output=True, text=True, timeout=60, env=program_env(env),
                          **kwargs)


def test_every_corpus_file_has_an_expectation():
    files = {p.name for p in CORPUS.iterdir() if p.name != "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_case(name, tmp_path, monkeypatch):
    # In-process (a process each cost 36 s); from an empty directory with the file copied in, so
    # messages name it as a user would.
    shutil.copy(CORPUS / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, ["explain", name, "--format", "json"])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exc_info  # no traceback
    message = EXPECTED[name]
    if message == "":
        assert done.exit_code == 0, done.stderr
        json.loads(done.stdout)
        return
    assert done.exit_code == 1
    assert done.stdout == ""
    assert done.stderr == f"Error: {name}{message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written, nothing run
    assert not Path("/tmp/attncli-pwned").exists()


def test_limits_can_be_raised(tmp_path):
    shutil.copy(CORPUS / "random_many_tokens.yaml", tmp_path / "r.yaml")
    done = run("explain", "r.yaml", cwd=tmp_path, env={**os.environ, "ATTNCLI_MAX_FILE_BYTES": "10"})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == ("Error: r.yaml: the file is larger than 10 bytes; "
                           "raise the limit with ATTNCLI_MAX_FILE_BYTES=<bytes> if you mean it\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


def test_pipe_closed_early_ends_quietly(tmp_path):
    (tmp_path / "big.yaml").write_text("random: {seed: 1, tokens: 200, d_model: 8}\n")
    for fmt in ("rich", "json", "markdown"):
        proc = subprocess.Popen([*program(), "explain", "big.yaml", "--format", fmt], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=program_env())
        proc.stdout.readline()
        proc.stdout.close()  # what `| head -1` does
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
        assert "Traceback" not in err and "Error" not in err and "Exception" not in err, err
        assert proc.returncode in (0, 1), proc.returncode  # a closed pipe is a quiet exit 1


def test_ctrl_c_exits_130_without_a_traceback():
    proc = subprocess.Popen([*program(), "explain", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=program_env())
    time.sleep(1.0)  # not a timing assertion: only lets the program reach its read of stdin
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Traceback" not in err
