import importlib
import os
import sys
from pathlib import Path

import pytest

import attncli

sys.path.insert(0, str(Path(__file__).parent))

# The folder that holds the attncli package the tests import: site-packages, or the checkout when
# the suite runs from the source tree (`python -m pytest` without installing).
PACKAGE_ROOT = Path(attncli.__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "attncli"


def _source_tree_shim() -> None:
    """From the source tree (nothing installed), every real process and the notebook kernel still find
    attncli: the checkout goes on PYTHONPATH, and an `attncli` on PATH runs `python -m attncli`."""
    import shutil
    import tempfile

    if SCRIPT.exists() or shutil.which("attncli"):
        return
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")) if p)
    folder = Path(tempfile.mkdtemp(prefix="attncli-shim-"))
    shim = folder / "attncli"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m attncli "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    os.environ["PATH"] = f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"


_source_tree_shim()

# What the suite's expectations assume of the terminal. A user's own settings (many keep NO_COLOR, some
# FORCE_COLOR or a narrow COLUMNS) would otherwise change what Rich draws and fail tests that are right.
PINNED_ENVIRONMENT = {"TERM": "xterm"}
CLEARED_ENVIRONMENT = ("NO_COLOR", "FORCE_COLOR", "COLORTERM", "CLICOLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE",
                       "TTY_INTERACTIVE", "COLUMNS", "LINES", "JUPYTER_COLUMNS", "JUPYTER_LINES",
                       "DATABRICKS_RUNTIME_VERSION", "ATTNCLI_MAX_FILE_BYTES", "ATTNCLI_MAX_CELLS",
                       "ATTNCLI_MAX_OUTPUT_BYTES")


def _pin(environ) -> None:
    for name in CLEARED_ENVIRONMENT:
        environ.pop(name, None)
    environ.update(PINNED_ENVIRONMENT)


_pin(os.environ)  # for what modules read while the tests are collected


@pytest.fixture(autouse=True)
def pinned_environment(monkeypatch):
    """Every test starts from the same terminal settings, whatever the user's are, and leaves them so."""
    for name in CLEARED_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in PINNED_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


def program() -> list[str]:
    """The command line of attncli as a real process: the installed script, else `python -m attncli`."""
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "attncli"]


def program_env(env: dict | None = None) -> dict:
    """An environment for program(): from the source tree, the checkout goes on PYTHONPATH."""
    env = dict(os.environ if env is None else env)
    if not SCRIPT.exists():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
    return env


def oracle(module: str):
    """Import a reference implementation (torch…): skipped where absent, unless CI requires it."""
    if os.environ.get("ATTNCLI_REQUIRE_ORACLES") == "1":
        try:
            return importlib.import_module(module)
        except ImportError as error:
            pytest.fail(f"ATTNCLI_REQUIRE_ORACLES=1 but the oracle {module} cannot be imported: {error}")
    return pytest.importorskip(module, reason=f"{module} is not installed; .ci/run installs it")

SEED_YAML = """\
name: The dog ate his dinner
tokens: [dog, ate, dinner]
embeddings:
  - [1.0, 2.0, 3.0]
  - [0.5, 1.0, 1.5]
  - [2.0, 1.0, 0.5]
W_Q: [[0.6, -0.2], [0.1, 0.5], [-0.3, 0.4]]
W_K: [[0.2, 0.3], [-0.4, 0.7], [0.5, -0.1]]
W_V: [[0.9, 0.1], [0.2, 0.8], [-0.1, 0.6]]
"""


@pytest.fixture
def write(tmp_path):
    """Write a scenario file and return its path as a string."""

    def _write(text, name="s.yaml", mode="w"):
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return str(path)

    return _write
