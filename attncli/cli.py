"""The attncli command line: a thin layer that calls one core function per command.

Heavy modules (NumPy, PyYAML, Rich, the core) are imported inside the commands, so that
`attncli --help` starts as fast as Typer itself.
"""

import enum
import functools
import math
import sys
from typing import Annotated, Optional

import typer

from attncli.typer_fast import App

# App: typer.Typer whose commands convert plain option values without pydantic (~80 ms a start).
app = App(
    name="attncli",
    help="Learn the attention mechanism of transformers by computing it, one step at a time.",
    epilog="Start with: attncli explain --focus dog; then attncli compare --no-scale; in class, attncli explain --step.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_show_locals=False,
    # Plain help and usage errors: Rich-formatted ones import typer.rich_utils (~40 ms per start).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DEFAULT_SCENARIO = "dog_ate_dinner"


class OutputFormat(str, enum.Enum):
    rich = "rich"
    json = "json"
    markdown = "markdown"


def _complete_scenario(incomplete: str) -> list[str]:
    """The built-in names, then the .yaml files that start with what was typed."""
    from pathlib import Path

    from attncli.loader import builtin_names

    folder = Path(incomplete).parent if "/" in incomplete else Path(".")
    files = sorted(str(p) if "/" in incomplete else p.name for p in folder.glob("*.y*ml") if p.is_file())
    return [name for name in builtin_names() + files if name.startswith(incomplete)]


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
StepOpt = Annotated[bool, typer.Option("--step", help="Presenter mode: one step per screen; Enter/→ next, ←/b back, q quit.")]
ExportOpt = Annotated[
    Optional[str],
    typer.Option("--export", help="Also save the view to FILE: .svg, .html or .txt as shown, .md or .json.", metavar="FILE"),
]
WidthOpt = Annotated[
    Optional[int],
    typer.Option(min=40, max=1000, help="Columns to lay tables out in (default: the terminal's); wider tables elide their middle."),
]


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


def _console(no_color: bool, width: int | None = None):
    from rich.console import Console

    # emoji=False: no ':name:' codes in user text, and no emoji table loaded at start.
    return Console(highlight=False, no_color=no_color or None, width=width, emoji=False)


def _uses_colour(console) -> bool:
    return console.color_system is not None and not console.no_color


def _check_temperature(temperature: float) -> None:
    from attncli.errors import UsageError

    if not math.isfinite(temperature) or temperature <= 0:
        raise UsageError(f"--temperature must be a positive number, not {temperature:g} "
                         "(it divides the scores: below 1 sharpens the weights, above 1 flattens them)")


def _check_export(export: str | None) -> None:
    if export is not None:
        from attncli.output import export_suffix

        export_suffix(export)


def _deliver(output_format: OutputFormat, *, pages, json_doc, markdown, title: str, no_color: bool,
             width: int | None, step: bool, export: str | None) -> None:
    """Write the export file if asked, then show the view in the format asked, paged with --step."""
    if export is not None:
        from attncli import output

        output.export(export, pages=pages, json_doc=json_doc, markdown=markdown, title=title, width=width)
    if output_format is OutputFormat.json:
        from attncli.formats import dumps

        _emit_text(dumps(json_doc()))
    elif output_format is OutputFormat.markdown:
        _emit_text(markdown())
    else:
        console = _console(no_color, width)
        views = pages(_uses_colour(console), console.width)
        if step:
            from attncli import output

            if output.interactive(console):
                output.present(console, views, title)
                return
        from attncli.render import joined

        console.print(joined(views))
    if export is not None:
        _print_note(f"saved {export}")


def _print_note(message: str) -> None:
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, highlight=False, soft_wrap=True).print(Text(message, style="dim"))


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
    head: Annotated[
        Optional[str], typer.Option(help="Walk through one head only: its name, or its number from 1.")
    ] = None,
    tiled: Annotated[
        bool, typer.Option("--tiled", help="Also compute one query row (--focus, default the first) block by block, as FlashAttention does.")
    ] = False,
    block: Annotated[Optional[int], typer.Option(min=1, help="Keys per block for --tiled.")] = None,
    precision: PrecisionOpt = 3,
    output_format: FormatOpt = OutputFormat.rich,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
    step: StepOpt = False,
    export: ExportOpt = None,
) -> None:
    """Walk through attention step by step.

    Q, K, V, the scores, the division by √d_k, the mask, softmax and the output, each with a line
    on why it is there. With --focus, one row written out by hand, as in the seed.
    """
    from attncli import loader, walkthrough
    from attncli.scenario import evaluate, settings_for

    _check_temperature(temperature)
    _check_export(export)
    sc = loader.load(scenario)
    row = only = lines = None
    if focus is not None or head is not None or tiled:
        from attncli import handcalc  # only for these options: explain's start-up is measured

        row = handcalc.resolve_focus(sc.tokens, focus) if focus is not None else None
        only = handcalc.resolve_head(tuple(h.name for h in sc.heads), head) if head is not None else None
    ev = evaluate(sc, settings_for(sc, scale=scale, mask=mask, temperature=temperature))
    if row is not None:
        lines = handcalc.focus_lines(ev, row, precision, only or 0)
    if tiled:
        n_k = len(sc.key_tokens)
        lines = (lines + [""] if lines else []) + handcalc.tiled_lines(
            ev, row or 0, precision, min(block or handcalc.default_block(n_k), n_k), only or 0)
    walk = walkthrough.build(ev, precision, only)

    def pages(color: bool, columns: int) -> list:
        from attncli.render import walkthrough_pages

        return walkthrough_pages(walk, precision, color=color, focus_lines=lines, width=columns)

    def json_doc() -> dict:
        from attncli.formats import explain_json

        return explain_json(ev)

    def markdown() -> str:
        from attncli.formats import walkthrough_markdown

        return walkthrough_markdown(walk, precision, lines)

    _deliver(
        output_format, pages=pages, json_doc=json_doc, markdown=markdown,
        title=sc.name, no_color=no_color, width=width, step=step, export=export,
    )


@app.command()
@user_errors
def compare(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    scale: Annotated[
        Optional[bool],
        typer.Option("--scale/--no-scale", help="Variant: divide by √d_k, or not (the opposite of the scenario)."),
    ] = None,
    temperature: Annotated[Optional[float], typer.Option(help="Variant: divide the scores by T after scaling.")] = None,
    mask: Annotated[Optional[bool], typer.Option("--mask/--no-mask", help="Variant: causal mask on, or every mask off.")] = None,
    sweep_dk: Annotated[
        Optional[str],
        typer.Option("--sweep-dk", help="Sweep d_k, e.g. 2,8,32,128,512: scaled against unscaled on random data."),
    ] = None,
    precision: PrecisionOpt = 3,
    output_format: FormatOpt = OutputFormat.rich,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
    step: StepOpt = False,
    export: ExportOpt = None,
) -> None:
    """Compare a scenario with a variant: why divide by √d_k?

    The scenario as written and changed by a flag, side by side, with the entropy, largest weight
    and softmax gradient of every row; or, with --sweep-dk, the same numbers across d_k.
    """
    from attncli import compare as comparing
    from attncli import formats, loader
    from attncli.errors import UsageError
    from attncli.scenario import settings_for

    if temperature is not None:
        _check_temperature(temperature)
    _check_export(export)
    if sweep_dk is not None:
        if temperature is not None or mask is not None or scale is True:
            raise UsageError("--sweep-dk compares scaled against unscaled on its own random data; "
                             "it takes no --scale, --temperature or --mask")
        _sweep(comparing.parse_dks(sweep_dk), output_format, no_color, width)
        return
    sc = loader.load(scenario)
    base = settings_for(sc)
    variant, change = comparing.variant_settings(base, scale=scale, mask=mask, temperature=temperature)
    cmp = comparing.compare(sc, base, variant, change)

    def pages(color: bool, columns: int) -> list:
        from attncli.render import comparison_pages

        return comparison_pages(cmp, precision, color=color, width=columns)

    _deliver(
        output_format, pages=pages, json_doc=lambda: formats.comparison_json(cmp),
        markdown=lambda: formats.comparison_markdown(cmp, precision),
        title=f"compare {sc.name}", no_color=no_color, width=width, step=step, export=export,
    )


def _sweep(dks: tuple[int, ...], output_format: OutputFormat, no_color: bool, width: int | None) -> None:
    from attncli import compare as comparing
    from attncli import formats

    rows = comparing.sweep(dks)
    conclusion = comparing.sweep_conclusion(rows)
    settings = {"seed": comparing.SWEEP_SEED, "tokens": comparing.SWEEP_TOKENS, "d_model": comparing.SWEEP_D_MODEL}
    if output_format is OutputFormat.json:
        _emit_text(formats.dumps(formats.sweep_json(rows, conclusion, settings)))
    elif output_format is OutputFormat.markdown:
        _emit_text(formats.sweep_markdown(rows, conclusion))
    else:
        from attncli.render import sweep_view

        _console(no_color, width).print(sweep_view(rows, conclusion, **settings))


@app.command()
@user_errors
def complexity(
    max_n: Annotated[int, typer.Option("--max-n", min=128, max=65536, help="Largest n; n doubles from 128.")] = 8192,
    d: Annotated[int, typer.Option("--d", min=1, max=1024, help="Width of the queries, keys and values.")] = 64,
    use_tiled: Annotated[bool, typer.Option("--tiled", help="Measure the online-softmax core, which never holds n×n.")] = False,
    output_format: FormatOpt = OutputFormat.rich,
    no_color: NoColorOpt = False,
) -> None:
    """Measure how attention's cost grows with n: O(n²).

    n doubles from 128; the time, the scores held and the peak memory of each size, and the
    fitted growth exponents. --tiled measures the online-softmax core, which never holds n×n.
    """
    from attncli import complexity as cost
    from attncli.errors import UsageError

    if not use_tiled and max_n > 16384:
        raise UsageError(f"--max-n {max_n}: the four-step core would hold three {max_n}×{max_n} float64 "
                         f"matrices ({3 * max_n * max_n * 8 / 2**30:.0f} GB); use --tiled, or --max-n 16384 or less")
    ns = cost.sizes(max_n)
    results = []
    if output_format is OutputFormat.rich and sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("measuring", total=sum(n * n for n in ns))
            for n in ns:
                progress.update(task, description=f"n = {n}")
                results.append(cost.measure(n, d, use_tiled=use_tiled))
                progress.advance(task, n * n)
    else:
        results = [cost.measure(n, d, use_tiled=use_tiled) for n in ns]
    time_exp = cost.growth_exponent(ns, [r.seconds for r in results])
    memory_exp = cost.growth_exponent(ns, [r.peak_bytes for r in results])
    words = cost.verdict(time_exp, memory_exp, use_tiled)
    if output_format is OutputFormat.json:
        from attncli import formats

        _emit_text(formats.dumps({
            "d": d, "tiled": use_tiled,
            "rows": [{"n": r.n, "seconds": r.seconds, "peak_bytes": r.peak_bytes, "matrix_bytes": r.matrix_bytes}
                     for r in results],
            "time_exponent": time_exp, "memory_exponent": memory_exp, "verdict": words,
        }))
        return
    if output_format is OutputFormat.markdown:
        from attncli import formats

        _emit_text(formats.complexity_markdown(results, time_exp, memory_exp, words, d=d, use_tiled=use_tiled))
        return
    from attncli.render import complexity_view

    _console(no_color).print(complexity_view(results, time_exp, memory_exp, words, d=d, use_tiled=use_tiled))


@app.command()
@user_errors
def scenarios() -> None:
    """List the built-in scenarios."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from attncli import loader

    table = Table(box=box.SIMPLE_HEAD, title="Built-in scenarios (use the name in place of a file)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("description")
    for name in loader.builtin_names():
        sc = loader.load(name)
        first = sc.description.split(". ")[0].rstrip(".")  # the first sentence; `show NAME` has the rest
        table.add_row(name, Text(sc.name), Text(first + "." if first else ""))
    _console(False).print(table)


@app.command()
@user_errors
def show(name: Annotated[str, typer.Argument(help="A built-in scenario name.", autocompletion=_complete_scenario)]) -> None:
    """Print a built-in scenario's YAML, to copy."""
    from attncli import loader
    from attncli.errors import AttncliError

    if name not in loader.builtin_names():
        raise AttncliError(f"no built-in scenario {name!r}; the built-ins are {', '.join(loader.builtin_names())}")
    _emit_text(loader.builtin_text(name))


@app.command()
@user_errors
def new(
    file: Annotated[str, typer.Argument(help="Where to write the scenario (.yaml).", metavar="FILE")],
    tokens: Annotated[str, typer.Option(help="The tokens, separated by spaces.")] = "the cat sat",
    d_model: Annotated[int, typer.Option("--d-model", min=1, max=64, help="Embedding width.")] = 4,
    d_k: Annotated[int, typer.Option("--d-k", min=1, max=64, help="Width of queries and keys.")] = 2,
    d_v: Annotated[Optional[int], typer.Option("--d-v", min=1, max=64, help="Width of values (default: d_k).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random starting numbers.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write a commented starter scenario to edit."""
    from pathlib import Path

    from attncli.errors import AttncliError, UsageError
    from attncli.output import write_atomic
    from attncli.starter import starter_yaml

    words = tokens.split()
    if not words:
        raise UsageError("--tokens: give at least one token, such as --tokens \"the cat sat\"")
    if len(words) > 64:
        raise UsageError(f"--tokens: {len(words)} tokens is more than a starter needs (64 at most)")
    if Path(file).exists() and not force:
        raise AttncliError("already exists; use --force to overwrite it", origin=file)
    write_atomic(file, starter_yaml(words, d_model, d_k, d_v or d_k, seed))
    _print_note(f"wrote {file}: try `attncli explain {file}`")


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files (or built-in names) to check.", metavar="FILE...")],
) -> None:
    """List every problem in scenario files.

    Every problem of each file, not only the first; exit status 1 if any file is bad.
    """
    from attncli import loader

    bad = 0
    for file in files:
        problems = loader.validate(file)
        if problems:
            bad += 1
            for problem in problems:
                sys.stdout.write(f"{problem}\n")
            sys.stdout.write(f"{file}: {len(problems)} problem{'s' if len(problems) > 1 else ''}\n")
        else:
            sys.stdout.write(f"{file}: ok\n")
    if bad:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format.

    For editors that validate and complete YAML, such as VS Code with the YAML extension.
    """
    from attncli.formats import dumps
    from attncli.schema import scenario_schema

    _emit_text(dumps(scenario_schema()))


def main() -> None:
    """The console-script entry point."""
    app()
