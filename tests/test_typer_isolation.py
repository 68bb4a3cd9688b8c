"""attncli's fast option parsing stays inside attncli's commands and converts values as Typer does."""

import copy
import enum
import json
import math
import subprocess
import sys
from typing import Annotated, Optional

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from attncli import typer_fast
from attncli.cli import app


def run_python(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "100", **(env or {})})
    assert done.returncode == 0, done.stderr
    return done


# Another program's Typer app, run case by case in one process; argv[1] says whether attncli is there.
OTHER_APP = r'''
import contextlib, enum, io, json, os, sys

if sys.argv[1] == "after-attncli":
    import attncli.cli
    with contextlib.redirect_stdout(io.StringIO()):  # build and run attncli's commands first
        attncli.cli.app(["explain", "--precision", "2", "--format", "json"], standalone_mode=False)

import typer

class Colour(str, enum.Enum):
    red = "red"
    blue = "blue"

other = typer.Typer(rich_markup_mode=None)

@other.command()
def main(verbose: bool = typer.Option(False, envvar="OTHER_VERBOSE"),
         level: int = typer.Option(5, min=0, max=10, clamp=True),
         ratio: float = typer.Option(0.5, min=0.0, max=1.0),
         count: int = typer.Option(1, envvar="OTHER_COUNT"),
         colour: Colour = Colour.red):
    print(repr(verbose), repr(level), repr(ratio), repr(count), repr(colour))

CASES = [([], {"OTHER_VERBOSE": word}) for word in
         ("false", "FALSE", "0", "no", "off", "f", "n", "", " false ", "true", "1", "yes", "on", "maybe")]
CASES += [(args, {}) for args in (["--level", "99"], ["--level", "-3"], ["--level", "7"], ["--level", "x"],
                                  ["--ratio", "2"], ["--ratio", "abc"], ["--ratio", "1e-1"], ["--count", "+5"],
                                  ["--colour", "green"], ["--colour", "blue"], ["--bogus"])]
CASES += [([], {"OTHER_COUNT": "1_000"}), ([], {"OTHER_COUNT": "ten"})]
results = []
for args, env in CASES:
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            other(args, prog_name="other")
        except SystemExit as end:
            code = end.code
    for name in env:
        del os.environ[name]
    results.append([args, env, code, out.getvalue(), err.getvalue()])
print(json.dumps(results, indent=1))
'''


def test_another_typer_app_behaves_the_same_after_attncli_runs():
    alone = json.loads(run_python(OTHER_APP, "alone").stdout)
    after = json.loads(run_python(OTHER_APP, "after-attncli").stdout)
    assert after == alone
    shown = {(tuple(args), tuple(env.items())): (code, out, err) for args, env, code, out, err in alone}
    # What Typer documents, so that the comparison above is between correct runs.
    assert shown[((), (("OTHER_VERBOSE", "false"),))][1].startswith("False ")
    assert shown[((), (("OTHER_VERBOSE", "off"),))][1].startswith("False ")
    assert shown[((), (("OTHER_VERBOSE", "yes"),))][1].startswith("True ")
    assert shown[(("--level", "99"), ())][1].split()[1] == "10"
    assert shown[(("--level", "-3"), ())][1].split()[1] == "0"
    assert shown[(("--ratio", "2"), ())][0] == 2
    assert "Input should be less than or equal to 1" in shown[(("--ratio", "2"), ())][2]


def test_explain_never_imports_pydantic():
    code = ("import sys\n"
            "from attncli.cli import app\n"
            "for argv in (['explain'], ['explain', '--precision', '4', '--width', '80', '--temperature', '0.5',"
            " '--focus', 'dog', '--tiled', '--block', '2', '--format', 'markdown', '--no-scale'],"
            " ['compare', '--temperature', '2', '--format', 'json']):\n"
            "    app(argv, standalone_mode=False)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')), file=sys.stderr)")
    done = run_python(code)
    assert done.stderr == "[]\n"


# What attncli's users see for bad usage: Typer's words, pinned.
USAGE = "Usage: attncli explain [OPTIONS] [SCENARIO]\nTry 'attncli explain -h' for help.\n\nError: "
PINNED = [
    (["explain", "--precision", "x"],
     USAGE + "Invalid value for '--precision': Input should be a valid integer, unable to parse string as an integer\n"),
    (["explain", "--precision", "13"], USAGE + "Invalid value for '--precision': Input should be less than or equal to 12\n"),
    (["explain", "--precision", "-1"],
     USAGE + "Invalid value for '--precision': Input should be greater than or equal to 1\n"),
    (["explain", "--precision", "0"],  # 0 decimals would show every weight as 0 or 1
     USAGE + "Invalid value for '--precision': Input should be greater than or equal to 1\n"),
    (["explain", "--precision", "2.5"],
     USAGE + "Invalid value for '--precision': Input should be a valid integer, unable to parse string as an integer\n"),
    (["explain", "--format", "xml"],
     USAGE + "Invalid value for '--format' / '-f': Value error, 'xml' is not one of 'rich', 'json', 'markdown'.\n"),
    (["explain", "-f", "JSON"],
     USAGE + "Invalid value for '--format' / '-f': Value error, 'JSON' is not one of 'rich', 'json', 'markdown'.\n"),
    (["explain", "--bogus"], USAGE + "No such option: --bogus (Possible options: --focus)\n"),
    (["explain", "--width", "39"], USAGE + "Invalid value for '--width': Input should be greater than or equal to 40\n"),
    (["explain", "--width", "1001"], USAGE + "Invalid value for '--width': Input should be less than or equal to 1000\n"),
    (["explain", "--width", "wide"],
     USAGE + "Invalid value for '--width': Input should be a valid integer, unable to parse string as an integer\n"),
    (["explain", "--temperature", "warm"],
     USAGE + "Invalid value for '--temperature': Input should be a valid number, unable to parse string as a number\n"),
    (["explain", "--block", "0"], USAGE + "Invalid value for '--block': Input should be greater than or equal to 1\n"),
    (["explain", "--precision"], "Error: Option '--precision' requires an argument.\n"),
    (["compare", "--temperature", "x"],
     "Usage: attncli compare [OPTIONS] [SCENARIO]\nTry 'attncli compare -h' for help.\n\nError: Invalid value for "
     "'--temperature': Input should be a valid number, unable to parse string as a number\n"),
    (["complexity", "--max-n", "64"],
     "Usage: attncli complexity [OPTIONS]\nTry 'attncli complexity -h' for help.\n\nError: Invalid value for "
     "'--max-n': Input should be greater than or equal to 128\n"),
    (["new", "s.yaml", "--d-k", "0"],
     "Usage: attncli new [OPTIONS] {FILE}\nTry 'attncli new -h' for help.\n\nError: Invalid value for '--d-k': "
     "Input should be greater than or equal to 1\n"),
    (["frobnicate"],
     "Usage: attncli [OPTIONS] COMMAND [ARGS]...\nTry 'attncli -h' for help.\n\nError: No such command 'frobnicate'.\n"),
    (["explian", "--focus", "dog"], "Usage: attncli [OPTIONS] COMMAND [ARGS]...\nTry 'attncli -h' for help.\n\n"
     "Error: No such command 'explian'. Did you mean 'explain'?\n"),
    (["--bogus", "explain"],
     "Usage: attncli [OPTIONS] COMMAND [ARGS]...\nTry 'attncli -h' for help.\n\nError: No such option: --bogus\n"),
]


def plain_twin() -> typer.Typer:
    """attncli's app with Typer's own classes, every command built in full: what Typer alone would print."""
    twin = copy.copy(app)
    twin.__class__ = typer.Typer  # not App.__call__, which builds only what a run names
    twin.registered_commands = [copy.copy(info) for info in app.registered_commands]
    for info in twin.registered_commands:
        info.cls = None
    return twin


@pytest.mark.parametrize("argv, stderr", PINNED, ids=[" ".join(argv) for argv, _ in PINNED])
def test_usage_errors_are_pinned_and_worded_as_typer_words_them(argv, stderr, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    ours = runner.invoke(app, argv, prog_name="attncli")
    assert (ours.exit_code, ours.stderr, ours.stdout) == (2, stderr, "")
    typers = runner.invoke(plain_twin(), argv, prog_name="attncli")
    assert typers.stderr == ours.stderr


@pytest.mark.parametrize("argv", [["--help"], [], ["--help", "explain"], *([name, "--help"] for name in
                                  ("explain", "compare", "complexity", "scenarios", "show", "new", "validate"))])
def test_help_is_what_typer_shows(argv):
    runner = CliRunner()
    ours = runner.invoke(app, argv, prog_name="attncli", env={"COLUMNS": "100"})
    assert ours.exit_code == (0 if argv else 2)  # no arguments: Click's help, with its usage status
    shown = ours.stdout + ours.stderr  # without arguments Click writes the help to stderr
    assert shown.startswith("Usage: attncli")
    if argv[:1] in ([], ["--help"]):  # the group's help, which lists every command and its help
        assert "  explain     Walk through attention step by step." in shown
    typers = runner.invoke(plain_twin(), argv, prog_name="attncli", env={"COLUMNS": "100"})
    assert (ours.stdout, ours.stderr, ours.exit_code) == (typers.stdout, typers.stderr, typers.exit_code)


# A Typer release that renames what attncli hooks into: attncli then parses as Typer does, slower.
RENAMES = {
    "the hook get_runtime_param": (
        "import typer.core as c\n"
        "P = c._TyperParameter\n"
        "P.runtime_coercion = P.get_runtime_param\n"
        "del P.get_runtime_param\n"
        "original = P.process_value\n"
        "def process_value(self, ctx, value):  # Typer's process_value, calling the new name\n"
        "    self.get_runtime_param = self.runtime_coercion\n"
        "    try:\n"
        "        return original(self, ctx, value)\n"
        "    finally:\n"
        "        del self.get_runtime_param\n"
        "P.process_value = process_value\n"),
    "typer.core.TyperOption": (  # as attncli sees it; Typer's own lazy imports still find it
        "import typer.core as c\n"
        "kept = c.TyperOption\n"
        "del c.TyperOption\n"
        "import attncli.cli\n"
        "c.TyperOption = kept\n"),
    "the cache _runtime_param": (
        "import typer.core as c\n"
        "from typer._coercion import build_runtime_param\n"
        "def get_runtime_param(self):\n"
        "    self.__dict__.pop('_runtime_param', None)\n"
        "    if '_cache' not in self.__dict__:\n"
        "        self._cache = build_runtime_param(self.type_descriptor)\n"
        "    return self._cache\n"
        "c._TyperParameter.get_runtime_param = get_runtime_param\n"),
}
EXPLAIN = ("import io, sys, contextlib\n"
           "from attncli.cli import app\n"
           "for argv in (['explain', '--precision', '4', '--width', '90', '--focus', 'dog'], ['explain', '--precision', '13']):\n"
           "    err = io.StringIO()\n"
           "    with contextlib.redirect_stderr(err):\n"
           "        try:\n"
           "            app(argv, prog_name='attncli')\n"
           "        except SystemExit as end:\n"
           "            print('exit', end.code)\n"
           "    print(err.getvalue())\n"
           "    print('pydantic imported:', 'pydantic' in sys.modules)\n")


@pytest.fixture(scope="module")
def normal() -> str:
    return run_python(EXPLAIN).stdout


@pytest.mark.parametrize("renamed", RENAMES)
def test_a_renamed_typer_internal_falls_back_to_typers_own_parsing(renamed, normal):
    changed = run_python(RENAMES[renamed] + EXPLAIN).stdout
    assert "Output = A·V" in normal and "Input should be less than or equal to 12" in normal
    assert normal.count("pydantic imported: False") == 1  # the bad value is Typer's to word
    if renamed == "the cache _runtime_param":  # attncli does not read Typer's cache: still fast
        assert changed == normal
    else:
        assert changed == normal.replace("pydantic imported: False", "pydantic imported: True")


class Colour(str, enum.Enum):
    red = "red"
    Blue = "Blue"
    three = "3"


def sample(
    plain_int: int = 0,
    ranged_int: Annotated[int, typer.Option(min=0, max=12)] = 3,
    clamped_int: Annotated[int, typer.Option(min=-5, max=5, clamp=True)] = 0,
    open_int: Annotated[Optional[int], typer.Option(min=40)] = None,
    plain_float: float = 1.0,
    ranged_float: Annotated[float, typer.Option(min=0.5, max=2.5)] = 1.0,
    clamped_float: Annotated[float, typer.Option(max=1.5, clamp=True)] = 1.0,
    flag: Annotated[bool, typer.Option(envvar="FLAG")] = False,
    maybe: Annotated[Optional[bool], typer.Option("--maybe/--no-maybe")] = None,
    text: str = "x",
    colour: Colour = Colour.red,
    loose_colour: Annotated[Colour, typer.Option(case_sensitive=False)] = Colour.red,
) -> None:
    """Every kind attncli converts itself."""


def sample_command(cls):
    one = typer.Typer(add_completion=False)
    one.command(cls=cls)(sample)
    command = typer.main.get_command(one)
    command.make_context("sample", [])  # parsing is when attncli's command adopts its parameters
    return command


FAST, TYPERS = sample_command(typer_fast.Command), sample_command(None)
WORDS = ["false", "true", "0", "1", "no", "yes", "off", "on", "f", "t", "n", "y", "", "red", "blue", "3", "x"]
VALUES = st.one_of(
    st.from_regex(r"\s?[-+]?[0-9_]{0,20}\s?", fullmatch=True),
    st.from_regex(r"[-+]?[0-9]{0,12}\.?[0-9]{0,12}([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.floats().map(repr), st.integers().map(str), st.text(max_size=6),
    st.sampled_from(WORDS).flatmap(lambda w: st.sampled_from([w, w.upper(), w.title(), f" {w} ", f"{w}\t"])),
    st.integers(min_value=-10**20, max_value=10**20), st.floats(), st.booleans(), st.none(), st.sampled_from(list(Colour)),
)


def outcome(command, name: str, value):
    """What a parameter makes of a value: the result (with its type) or Typer's error message."""
    param = next(p for p in command.params if p.name == name)
    try:
        result = param.process_value(typer.Context(command), value)
    except typer.BadParameter as error:
        return "error", error.message
    if isinstance(result, float) and math.isnan(result):
        return "nan", float
    return repr(result), type(result)


def test_the_sample_commands_use_the_two_coercions():
    assert {type(p).__name__ for p in FAST.params} == {"FastOption"}
    assert {type(p).__name__ for p in TYPERS.params} == {"TyperOption"}


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_every_value_converts_as_typer_converts_it(value):
    for param in TYPERS.params:
        assert outcome(FAST, param.name, value) == outcome(TYPERS, param.name, value), param.name


PRELOADED = r'''
import inspect, sys, typer
from attncli.typer_fast import App

sys.path.insert(0, sys.argv[1])
# How deep the import was asked for: the frames below the import machinery's own.
(open(sys.argv[1] + "/heavy.py", "w")).write(
    "import inspect\nDEPTH = len([f for f in inspect.stack() if 'importlib' not in f.filename]) - 1\n")
app = App(preload=("heavy",), context_settings={"help_option_names": ["-h", "--help"]})

@app.command()
def run() -> None:
    import heavy
    print(heavy.DEPTH, len(inspect.stack()))

@app.command()
def other() -> None:
    pass

sys.argv = ["prog", *sys.argv[2:]]
try:
    app()
finally:
    print("imported" if "heavy" in sys.modules else "not imported", file=sys.stderr)
'''


def test_preloaded_modules_are_imported_below_typers_calls_and_only_when_a_command_runs(tmp_path):
    # Imported from inside Typer's call stack, NumPy's nested imports made CPython 3.11 allocate and
    # free a frame-stack chunk ~400 times (25 ms of explain's start-up): preload imports it lower down.
    done = subprocess.run([sys.executable, "-c", PRELOADED, str(tmp_path), "run"], capture_output=True, text=True,
                          timeout=120)
    at_import, in_command = (int(n) for n in done.stdout.split())
    assert done.stderr.strip() == "imported"
    assert at_import <= 2 < in_command - 5  # the script and App.__call__; the command runs inside Typer's calls
    for argv in (["--help"], ["run", "--help"], ["run", "-h"], []):
        done = subprocess.run([sys.executable, "-c", PRELOADED, str(tmp_path), *argv], capture_output=True,
                              text=True, timeout=120)
        assert done.stderr.strip().splitlines()[-1] == "not imported", argv


def test_attncli_preloads_numpy_for_commands_only():
    assert app.preload == ("numpy",)
    code = "import sys; from attncli.cli import main; sys.argv = ['attncli', *sys.argv[1:]]; " \
           "import atexit; atexit.register(lambda: print('numpy' in sys.modules, file=sys.stderr)); main()"
    cases = ((["--help"], "False"), (["explain", "--help"], "False"), (["--bogus"], "False"), (["schema"], "True"),
             (["explain", "--bogus"], "True"))  # parsed after the preload: a usage error pays for it too
    for argv, expected in cases:
        done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
        assert done.stderr.strip().splitlines()[-1] == expected, (argv, done.stderr)
