"""Usage errors and help: Typer's own words, pinned, for every command."""

import pytest
from typer.testing import CliRunner

from attncli.cli import app


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


@pytest.mark.parametrize("argv, stderr", PINNED, ids=[" ".join(argv) for argv, _ in PINNED])
def test_usage_errors_are_pinned(argv, stderr, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ours = CliRunner().invoke(app, argv, prog_name="attncli")
    assert (ours.exit_code, ours.stderr, ours.stdout) == (2, stderr, "")


@pytest.mark.parametrize("argv", [["--help"], [], ["--help", "explain"], *([name, "--help"] for name in
                                  ("explain", "compare", "complexity", "scenarios", "show", "new", "validate"))])
def test_help_lists_the_commands_and_starts_with_usage(argv):
    ours = CliRunner().invoke(app, argv, prog_name="attncli", env={"COLUMNS": "100"})
    assert ours.exit_code == (0 if argv else 2)  # no arguments: Click's help, with its usage status
    shown = ours.stdout + ours.stderr  # without arguments Click writes the help to stderr
    assert shown.startswith("Usage: attncli")
    if argv[:1] in ([], ["--help"]):  # the group's help, which lists every command and its help
        assert "  explain     Walk through attention step by step." in shown


VIEW_OPTIONS = {"--format", "--export", "--theme", "--width", "--step", "--no-color"}


def test_every_command_that_shows_a_view_takes_the_same_output_options():
    import typer.main

    group = typer.main.get_command(app)
    takes = {name: {opt for param in command.params for opt in param.opts}
             for name, command in group.commands.items()}
    views = {name for name, options in takes.items() if "--format" in options}
    assert views == {"explain", "compare", "complexity", "scenarios", "grade", "model", "patterns", "generate"}
    for name in views:
        assert VIEW_OPTIONS <= takes[name], (name, VIEW_OPTIONS - takes[name])
