"""The attncli command line: a thin layer that calls one core function per command.

Heavy modules (NumPy, PyYAML, Rich, the core) are imported inside the commands, so that
`attncli --help` starts as fast as Typer itself.
"""

from __future__ import annotations

import enum
import functools
import math
import sys
from typing import Annotated, Optional

import typer

app = typer.Typer(
    name="attncli",
    help="Learn the attention mechanism of transformers by computing it, one step at a time.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DEFAULT_SCENARIO = "dog_ate_dinner"


class OutputFormat(str, enum.Enum):
    rich = "rich"
    json = "json"
    markdown = "markdown"


def _complete_scenario(incomplete: str) -> list[str]:
    from attncli.loader import builtin_names

    return [name for name in builtin_names() if name.startswith(incomplete)]


ScenarioArg = Annotated[
    str,
    typer.Argument(
        help="A scenario YAML file, '-' for standard input, or a built-in name (see `attncli scenarios`).",
        autocompletion=_complete_scenario,
        show_default=True,
    ),
]
PrecisionOpt = Annotated[int, typer.Option(min=0, max=12, help="Decimals shown (the computation is always float64).")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="rich for the terminal, json or markdown.")]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour: weights get block glyphs instead of shading.")]


def user_errors(command):
    """Turn the one user-error type into a one-line message on stderr and its exit status."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from attncli.errors import AttncliError

        try:
            return command(*args, **kwargs)
        except AttncliError as error:
            _print_error(str(error))
            raise typer.Exit(error.exit_code) from None

    return wrapper


def _print_error(message: str) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(Text.assemble(("Error: ", "bold red"), message))


def _console(no_color: bool):
    from rich.console import Console

    return Console(highlight=False, no_color=no_color or None)


def _uses_colour(console) -> bool:
    return console.color_system is not None and not console.no_color


def _check_temperature(temperature: float) -> None:
    from attncli.errors import UsageError

    if not math.isfinite(temperature) or temperature <= 0:
        raise UsageError(f"--temperature must be a positive number, not {temperature:g} "
                         "(it divides the scores: below 1 sharpens the weights, above 1 flattens them)")


def _emit_text(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command()
@user_errors
def explain(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    focus: Annotated[
        Optional[str],
        typer.Option(help="Write out the arithmetic of one query row by hand: a token, or a row index from 0."),
    ] = None,
    scale: Annotated[
        Optional[bool],
        typer.Option("--scale/--no-scale", help="Divide the scores by √d_k (default: what the scenario says)."),
    ] = None,
    mask: Annotated[
        Optional[bool],
        typer.Option("--mask/--no-mask", help="Causal mask on, or every mask off (default: the scenario's)."),
    ] = None,
    temperature: Annotated[float, typer.Option(help="Divide the scores by T after scaling.")] = 1.0,
    precision: PrecisionOpt = 3,
    output_format: FormatOpt = OutputFormat.rich,
    no_color: NoColorOpt = False,
) -> None:
    """Walk through attention step by step: Q, K, V, scores, scaling, mask, softmax, output."""
    from attncli import formats, handcalc, loader, walkthrough
    from attncli.scenario import evaluate, settings_for

    _check_temperature(temperature)
    sc = loader.load(scenario)
    row = handcalc.resolve_focus(sc.tokens, focus) if focus is not None else None
    ev = evaluate(sc, settings_for(sc, scale=scale, mask=mask, temperature=temperature))
    if output_format is OutputFormat.json:
        _emit_text(formats.dumps(formats.explain_json(ev)))
        return
    lines = handcalc.focus_lines(ev, row, precision) if row is not None else None
    walk = walkthrough.build(ev, precision)
    if output_format is OutputFormat.markdown:
        _emit_text(formats.walkthrough_markdown(walk, precision, lines))
        return
    from attncli.render import walkthrough_view

    console = _console(no_color)
    console.print(walkthrough_view(walk, precision, color=_uses_colour(console), focus_lines=lines))


@app.command()
@user_errors
def scenarios() -> None:
    """List the built-in scenarios with their descriptions."""
    from rich import box
    from rich.table import Table

    from attncli import loader

    table = Table(box=box.SIMPLE_HEAD, title="Built-in scenarios (use the name in place of a file)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("description")
    for name in loader.builtin_names():
        sc = loader.load(name)
        table.add_row(name, sc.name, sc.description)
    _console(False).print(table)


@app.command()
@user_errors
def show(name: Annotated[str, typer.Argument(help="A built-in scenario name.", autocompletion=_complete_scenario)]) -> None:
    """Print a built-in scenario's YAML, to copy and edit."""
    from attncli import loader
    from attncli.errors import AttncliError

    if name not in loader.builtin_names():
        raise AttncliError(f"no built-in scenario {name!r}; the built-ins are {', '.join(loader.builtin_names())}")
    _emit_text(loader.builtin_text(name))


def main() -> None:
    """The console-script entry point."""
    app()
