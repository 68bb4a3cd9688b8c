"""What each command computes and shows, without the command line: one function per command, each
returning a View for deliver.py. cli.py declares the options and calls these; errors from the
library are worded here with the option they came from."""

from __future__ import annotations

from attncli.errors import AttncliError, Problems, UsageError, option
from attncli.checks import blame_temperature, check_temperature
from attncli.views import View

DEFAULT_SCENARIO = "dog_ate_dinner"  # the worked example, "The dog ate his dinner"


def explain(scenario: str | None, *, focus: str | None = None, scale: bool | None = None, mask: bool | None = None,
            temperature: float = 1.0, head: str | None = None, tiled: bool = False, block: int | None = None,
            precision: int = 3, code: str | None = None, compact: bool = False) -> View:
    """Every step of one scenario, with one row by hand (focus) or block by block (tiled), and each step's code."""
    return explain_live(scenario, focus=focus, scale=scale, mask=mask, temperature=temperature, head=head,
                        tiled=tiled, block=block, precision=precision, code=code, compact=compact, live=False)[0]


def explain_live(scenario: str | None, *, focus: str | None = None, scale: bool | None = None, mask: bool | None = None,
                 temperature: float = 1.0, head: str | None = None, tiled: bool = False, block: int | None = None,
                 precision: int = 3, code: str | None = None, compact: bool = False, live: bool = True):
    """explain's view and (with live) a knobs.Live that rebuilds it with other settings, for presenter mode."""
    from attncli import limits, loader
    from attncli.scenario import evaluate, find_head, find_row, settings_for
    from attncli.views.walkthrough import explained

    check_temperature(temperature)
    sc = loader.load(DEFAULT_SCENARIO if scenario is None else scenario)
    with option("--focus"):
        row = find_row(sc.tokens, focus) if focus is not None else None
    limits.check_hand_keys(len(sc.key_tokens), "--focus" if row is not None else "--tiled" if tiled else None)
    with option("--head"):
        only = find_head(tuple(h.name for h in sc.heads), head) if head is not None else None
    if block is not None and not tiled:
        raise UsageError("--block sets the keys per block of --tiled; add --tiled, or leave --block out")
    ev = blame_temperature(temperature, lambda t: evaluate(sc, settings_for(sc, scale=scale, mask=mask, temperature=t)))
    view = explained(ev, row, only, tiled, block, precision, code, compact)
    if not live:
        return view, None
    from attncli.knobs import Knobs, Live  # only for presenter mode: explain's start-up is measured

    start = Knobs(temperature, ev.settings.scaled, ev.masked, row)
    last = [ev]

    def rebuild(knobs: Knobs) -> View:
        # The mask flag as given while the mask is as it started: --mask would turn a scenario's own
        # padding or matrix mask into a causal one.
        flag = mask if knobs.masked == start.masked else knobs.masked
        now = evaluate(sc, settings_for(sc, scale=knobs.scaled, mask=flag, temperature=knobs.temperature))
        built = explained(now, knobs.focus, only, tiled, block, precision, code, compact, before=last[0])
        last[0] = now
        return built

    return view, Live(start, rebuild, sc.tokens)


def compare(scenario: str | None, *, scale: bool | None = None, mask: bool | None = None,
            temperature: float | None = None, sweep_dk: str | None = None, precision: int = 3) -> View:
    """The scenario as written against a variant changed by the flags; or the sweep, which takes no other input."""
    from attncli import compare as comparing
    from attncli import loader
    from attncli.scenario import evaluate, settings_for
    from attncli.views import comparison

    if sweep_dk is not None:
        if temperature is not None or mask is not None or scale is not None or scenario is not None:
            raise UsageError("--sweep-dk compares scaled against unscaled on its own random data; "
                             "it takes no SCENARIO, --scale/--no-scale, --temperature or --mask")
        return sweep(sweep_dk, precision)
    if temperature is not None:
        check_temperature(temperature)
    sc = loader.load(DEFAULT_SCENARIO if scenario is None else scenario)
    base = settings_for(sc)
    variant, change = comparing.variant_settings(base, scale=scale, mask=mask, temperature=temperature)

    def run(t: float):
        if t == temperature:
            return comparing.compare(sc, base, variant, change, not comparing.is_default_variant(scale, mask, temperature))
        return evaluate(sc, variant._replace(temperature=t))  # only whether the rest of the variant overflows

    result = blame_temperature(temperature, run)
    return comparison.view(result, precision)


def sweep(dks: str, precision: int = 3) -> View:
    """Scaled against unscaled softmax across d_k, on seeded random data."""
    from attncli import compare as comparing
    from attncli.views import sweep as sweeping

    with option("--sweep-dk"):
        values = comparing.parse_dks(dks)
    return sweeping.view(comparing.sweep(values), precision)


def complexity(max_n: int, d: int, use_tiled: bool, progress: bool, precision: int = 3) -> View:
    """Time and memory of attention as n doubles, and the fitted growth."""
    from attncli import complexity as cost
    from attncli.deliver import progress_bar
    from attncli.views import complexity as costs

    cost.check_size(max_n, d, use_tiled)
    ns = cost.sizes(max_n)
    with cost.one_blas_thread() as one_thread, progress_bar(sum(n * n for n in ns), shown=progress) as tick:
        results = cost.measure_all(ns, d, use_tiled, tick)
    time_growth, memory_growth = cost.growths(ns, results)
    return costs.view(results, time_growth, memory_growth, d=d, use_tiled=use_tiled, max_n=max_n, precision=precision,
                      one_thread=one_thread)


def scenarios() -> View:
    """The built-in scenarios."""
    from attncli import loader
    from attncli.views import catalog

    return catalog.view([(name, loader.load(name)) for name in loader.builtin_names()])


def new(file: str, *, tokens: str, d_model: int, d_k: int, d_v: int | None, seed: int, force: bool) -> None:
    """Write a commented starter scenario, never over an existing file unless forced."""
    from pathlib import Path

    from attncli.files import check_writable, write_atomic
    from attncli.starter import starter_tokens, starter_yaml

    with option("--tokens"):
        words = starter_tokens(tokens)
    check_writable(file)  # a directory or a device: --force would not help, so do not suggest it
    if Path(file).exists() and not force:
        raise AttncliError("already exists; use --force to overwrite it", origin=file)
    write_atomic(file, starter_yaml(words, d_model, d_k, d_v or d_k, seed))


QUIZ_DECIMALS = 3


def quiz(scenario: str | None, *, level: str, seed: int | None, row: str | None, no_color: bool = False) -> None:
    """Practice one query row on the terminal, one step at a time; answers may also come piped, one a line."""
    import sys

    from rich.text import Text

    from attncli.deliver import terminal, uses_colour
    from attncli.practice.questions import check_level
    from attncli.practice.quiz import generated_quiz, line_reader, run_quiz, scenario_quiz
    from attncli.render_terminal import render_page
    from attncli.views.practice import EXERCISE_PRECISION, SHORTENED, exercise_page, is_long, shorten

    with option("--level"):
        check_level(level)
    console = terminal(no_color)

    def say(text: str, style: str = "") -> None:
        console.print(Text(shorten(text), style=style), soft_wrap=True)

    if scenario is None:
        seed, ex = generated_quiz(say, level, seed, row)
        console.print(render_page(exercise_page(seed, ex), EXERCISE_PRECISION, color=uses_colour(console),
                                  width=console.width))
        questions = ex.questions
    else:
        questions = scenario_quiz(say, scenario, level, seed, row)
    say("")
    if is_long(questions):
        say(SHORTENED, "dim")
    run_quiz(questions, line_reader(sys.stdin), say, QUIZ_DECIMALS)
    if scenario is None:
        again = f"attncli quiz --seed {seed}" + ("" if level == "row" else f" --level {level}")
        say(f"Redo this exercise: {again}; a new one: attncli quiz", "dim")


def worksheet(*, roster: str | None, count: int | None, seed: str, out: str, level: str, force: bool) -> list[str]:
    """Write every student's sheet and blank answer file and the key; the lines to tell the teacher."""
    from attncli.practice.answers import read_file
    from attncli.practice.worksheet import make_worksheets, numbered_roster, parse_roster

    if roster is not None and count is not None:
        raise UsageError("give --roster FILE or --count N, not both")
    if roster is None and count is None:
        raise UsageError("give --roster FILE (one student id a line) or --count N (student-01 … student-N)")
    if roster is not None:
        students, problems = parse_roster(read_file(roster), roster)
        if problems:
            raise Problems(problems)
    else:
        students = numbered_roster(count)
    with option("--seed"):
        if not seed.strip():
            raise UsageError("the course seed is empty; give any text, such as the course name and year")
    with option("--level"):
        return make_worksheets(students, seed, level, out, force)


def grade(key: str, submissions: list[str], how) -> None:
    """Grade answer files against key.json and deliver the grades; then the files not graded, one line each."""
    from attncli.deliver import deliver
    from attncli.files import check_not_protected
    from attncli.practice.grading import grade_files
    from attncli.views.practice import grade_view

    if how.export is not None:  # the teacher's key and the students' answers outlive any export
        check_not_protected(how.export, (key, *submissions), "the key or an answer file being graded")
    report = grade_files(key, submissions)
    deliver(grade_view(report, key), how, text=report.csv_text() if how.output_format == "csv" else None)
    if report.errors:
        raise Problems(list(report.errors))


def check_model_flags(layer, head, focus, link, save) -> None:
    """The combinations of `model`'s options that mean nothing, refused before the model is loaded."""
    if (layer is None) != (head is None):
        raise UsageError("--layer and --head pick one head together; give both (numbered from 0, as L3H1), "
                         "or neither for every head")
    if link is not None and layer is not None:
        raise UsageError("--link ranks every head by one link; it takes no --layer or --head")
    if layer is None:
        for flag, value in (("--focus", focus), ("--save", save)):
            if value is not None:
                raise UsageError(f"{flag} works on one head: give --layer and --head too")
    if link is not None and focus is not None:
        raise UsageError("--focus writes one head's row by hand; --link ranks every head: give one of them")


def _one_head(run, layer: int, head: int):
    with option("--layer"):
        run.head(layer, 0)
    with option("--head"):
        return run.head(layer, head)


def model(text: str | None, *, layer: int | None = None, head: int | None = None, model: str | None = None,
          focus: str | None = None, link: tuple[str, str] | None = None, float32: bool = False,
          precision: int = 3, induction: bool = False, length: int = 20, seed: int = 0) -> View:
    """A real model on text: one head's walkthrough, every head as a gallery, or heads ranked by one link;
    with induction, the induction lesson on a seeded random word sequence."""
    from attncli.pretrained import run_text
    from attncli.views import model as shown

    if induction:
        return induction_lesson(model, length=length, seed=seed, text=text, layer=layer, link=link, float32=float32,
                                precision=precision)
    if text is None:
        raise UsageError("give a sentence in quotes (or --induction for the induction lesson)")
    check_model_flags(layer, head, focus, link, None)
    run = run_text(text, model, float32)
    if link is not None:
        from attncli.pretrained.patterns import pick_token

        with option("--link"):
            (source, found), (target, found_to) = (pick_token(run.tokens, word) for word in link)
        return shown.link_of(run, source, target, precision, model=model, repeats=(found, found_to))
    if layer is None:
        return shown.gallery_then_clearest(run, float32, precision, model=model)
    from attncli.scenario import find_row

    _one_head(run, layer, head)
    with option("--focus"):
        row = find_row(run.tokens, focus) if focus is not None else None
    return shown.one_head(run, layer, head, row, float32, precision)


def model_save(text: str, file: str, *, layer: int | None, head: int | None, model: str | None = None,
               float32: bool = False, force: bool = False, focus: str | None = None,
               link: tuple[str, str] | None = None) -> None:
    """Write one real head as an ordinary scenario, never over an existing file unless forced."""
    from pathlib import Path

    from attncli.deliver import MODEL_FILE, note
    from attncli.files import check_not_protected, check_reads_back, check_writable, write_atomic
    from attncli.pretrained import head_scenario, head_scenario_yaml, run_text
    from attncli.pretrained.locate import model_files

    if text is None:
        raise UsageError("--save writes one head on your sentence: give the sentence in quotes")
    check_model_flags(layer, head, focus, link, file)
    check_writable(file)  # a directory or a device: --force would not help, so do not suggest it
    keep = model_files(model)
    check_not_protected(file, keep, MODEL_FILE)  # likewise a file of the model itself
    if Path(file).exists() and not force:
        raise AttncliError("already exists; use --force to overwrite it", origin=file)
    run = run_text(text, model, float32)
    _one_head(run, layer, head)
    text = head_scenario_yaml(head_scenario(run, layer, head))
    check_reads_back(text, file)
    write_atomic(file, text, protect=keep, protected=MODEL_FILE)
    note(f"wrote {file}: try `attncli explain {file}`")


def induction_lesson(model: str | None, *, length: int = 20, seed: int = 0, text: str | None = None,
                     layer: int | None = None, link=None, float32: bool = False, precision: int = 3) -> View:
    """`model --induction`: induction scores of every head on a seeded random word sequence, repeated."""
    import numpy as np

    from attncli.pretrained import load_model
    from attncli.pretrained.induction import induction
    from attncli.views.decoder import induction_view

    if text is not None:
        raise UsageError("--induction makes its own word sequence: give no sentence with it")
    if layer is not None or link is not None:
        raise UsageError("--induction scores every head: it takes no --layer, --head or --link")
    found = load_model(model or "smollm2", np.float32 if float32 else np.float64)
    if not found.causal:
        raise UsageError(f"{found.name} is an encoder: every token sees every other, so nothing is predicted from "
                         "what came before; the induction lesson needs --model smollm2 or a GGUF file")
    return induction_view(induction(found, length=length, seed=seed), precision)


def generate(text: str, *, model: str | None = None, max_new_tokens: int = 20, temperature: float | None = None,
             top_k: int | None = None, seed: int = 0, layer: int | None = None, head: int | None = None,
             cache: bool = True, float32: bool = False, precision: int = 3) -> View:
    """`generate`: continue text token by token with the KV cache, watching one head."""
    import numpy as np

    from attncli.pretrained import load_model
    from attncli.pretrained.generate import MAX_NEW_TOKENS, check_sampling
    from attncli.pretrained.generate import generate as run_generation
    from attncli.views.decoder import generation_view

    if (layer is None) != (head is None):
        raise UsageError("--layer and --head pick the watched head together; give both, or neither")
    check_sampling(max_new_tokens, temperature, top_k, MAX_NEW_TOKENS, flags=True)
    found = load_model(model or "smollm2", np.float32 if float32 else np.float64)
    if not found.causal:
        raise UsageError(f"{found.name} is an encoder: it reads the whole text at once and predicts no next "
                         "token; use --model smollm2 or a GGUF file")
    with option("--layer"):
        if layer is not None and not 0 <= layer < found.n_layers:
            raise UsageError(f"layer {layer} does not exist: this model has layers 0 to {found.n_layers - 1}")
    with option("--head"):
        gen = run_generation(found, text, max_new_tokens=max_new_tokens, temperature=temperature, top_k=top_k,
                             seed=seed, layer=layer, head=head, cache=cache)
    return generation_view(gen, precision)


def patterns(*, model: str | None = None, set_file: str | None = None, kind: str | None = None,
             precision: int = 3) -> View:
    """Every head's accuracy on a labelled set, per kind, against baselines, with a verdict only on evidence."""
    from attncli.pretrained.evidence import measure_model
    from attncli.pretrained.labelled import KINDS
    from attncli.views import patterns as patterns_view

    result = measure_model(set_file, model, KINDS if kind is None else (kind,))
    if not result.kinds:
        raise AttncliError(f"the set labels no {kind} pairs", origin=set_file or "the built-in set")
    return patterns_view.view(result, precision=precision)
