"""The process as entry.py runs it: an environment no terminal has still gives the view."""

import os
import subprocess

import pytest

from conftest import program, program_env


@pytest.mark.parametrize("value", ["9" * 5000, "٣" * 5000, "-5", "80x", ""])
def test_a_terminal_size_in_the_environment_that_is_none_is_ignored(value, tmp_path):
    env = program_env({**os.environ, "COLUMNS": value, "LINES": value})
    done = subprocess.run(program() + ["explain", "--export", str(tmp_path / "x.txt")], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and (tmp_path / "x.txt").read_text(encoding="utf-8")
