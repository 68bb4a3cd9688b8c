"""The suite's results do not depend on the user's terminal settings (conftest pins them)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HOSTILE = [{"NO_COLOR": "1"}, {"FORCE_COLOR": "1", "COLUMNS": "50", "TERM": "dumb"}]


@pytest.mark.parametrize("settings", HOSTILE, ids=["NO_COLOR", "FORCE_COLOR-narrow-dumb"])
def test_the_colour_tests_pass_whatever_the_users_terminal_settings(settings):
    """test_colour.py draws in colour and at set widths: a user's NO_COLOR or COLUMNS must not fail it."""
    tests = Path(__file__).parent
    # The tests that failed under a user's NO_COLOR or COLUMNS before the environment was pinned.
    chosen = "every_band_reaches_the_terminal or exports_take_the_width"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", chosen,
                           str(tests / "test_colour.py")],
                          capture_output=True, text=True, cwd=tests.parent, env={**os.environ, **settings}, timeout=1800)
    assert re.search(r"^3 passed", done.stdout, re.M), done.stdout[-3000:]
    assert done.returncode == 0, done.stdout[-3000:]


def test_each_test_starts_without_the_users_colour_settings():
    assert "NO_COLOR" not in os.environ and "FORCE_COLOR" not in os.environ and "COLUMNS" not in os.environ
    assert os.environ["TERM"] == "xterm"
