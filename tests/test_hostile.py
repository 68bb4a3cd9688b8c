"""The hostile corpus in tests/corpus, run through the installed program: one message each, no traceback."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def attncli():
    return shutil.which("attncli") or str(Path(sys.executable).parent / "attncli")


def run(*args, **kwargs):
    return subprocess.run([attncli(), *args], capture_output=True, text=True, timeout=60, **kwargs)


def test_every_corpus_file_has_an_expectation():
    files = {p.name for p in CORPUS.iterdir() if p.name != "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_case(name, tmp_path):
    # Run from an empty directory with the file copied in, so messages name it as a user would.
    shutil.copy(CORPUS / name, tmp_path / name)
    done = run("explain", name, "--format", "json", cwd=tmp_path)
    message = EXPECTED[name]
    if message == "":
        assert done.returncode == 0, done.stderr
        json.loads(done.stdout)
        return
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"Error: {name}{message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written, nothing run
    assert not Path("/tmp/attncli-pwned").exists()


def test_limits_can_be_raised(tmp_path):
    shutil.copy(CORPUS / "random_many_tokens.yaml", tmp_path / "r.yaml")
    done = run("explain", "r.yaml", cwd=tmp_path, env={**os.environ, "ATTNCLI_MAX_FILE_BYTES": "10"})
    assert done.returncode == 1
    assert "the file is larger than 10 bytes; raise the limit with ATTNCLI_MAX_FILE_BYTES=<bytes>" in done.stderr


def test_pipe_closed_early_ends_quietly(tmp_path):
    (tmp_path / "big.yaml").write_text("random: {seed: 1, tokens: 200, d_model: 8}\n")
    for fmt in ("rich", "json", "markdown"):
        proc = subprocess.Popen([attncli(), "explain", "big.yaml", "--format", fmt], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.readline()
        proc.stdout.close()  # what `| head -1` does
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
        assert "Traceback" not in err and "Error" not in err and "Exception" not in err, err
        assert proc.returncode in (0, 1), proc.returncode  # issue 13: a closed pipe is a quiet exit 1


def test_ctrl_c_exits_130_without_a_traceback():
    proc = subprocess.Popen([attncli(), "explain", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    time.sleep(1.0)  # not a timing assertion: only lets the program reach its read of stdin
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Traceback" not in err
