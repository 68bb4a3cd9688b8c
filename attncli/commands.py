"""What each command computes and shows, without the command line: one function per command, each
returning a View for deliver.py. cli.py declares the options and calls these; errors from the
library are worded here with the option they came from."""

from __future__ import annotations

import math
from contextlib import contextmanager

from attncli.errors import AttncliError, Problems, UsageError
from attncli.views import View

DEFAULT_SCENARIO = "dog_ate_dinner"  # the worked example, "The dog ate his dinner"


def scenario_names(incomplete: str) -> list[str]:
    """Tab completion of a SCENARIO: the built-in names, then the .yaml files that start with what was typed."""
    from pathlib import Path

    from attncli.loader import builtin_names

    folder = Path(incomplete).parent if "/" in incomplete else Path(".")
    files = sorted(str(p) if "/" in incomplete else p.name for p in folder.glob("*.y*ml") if p.is_file())
    try:
        names = builtin_names()
    except AttncliError:  # no built-ins folder: Tab still completes files, and explain says what is wrong
        names = []
    return [name for name in names + files if name.startswith(incomplete)]


@contextmanager
def option(name: str):
    """Name the option a library usage error came from: 'no head 'x'' becomes '--head: no head 'x''."""
    try:
        yield
    except UsageError as error:
        raise UsageError(f"{name}: {error.message}", origin=error.origin, line=error.line) from None


def check_temperature(temperature: float) -> None:
    if not math.isfinite(temperature) or temperature <= 0:
        raise UsageError(f"--temperature must be a positive number, not {temperature:g} "
                         "(it divides the scores: below 1 sharpens the weights, above 1 flattens them)")


def blame_temperature(temperature: float | None, run):
    """run(temperature), where an overflow that only the temperature causes is the flag's fault (exit 2),
    not the scenario's: 1e-320 is a legal float whose reciprocal is not."""
    try:
        return run(temperature)
    except UsageError:
        raise
    except AttncliError as error:
        if temperature is None or temperature == 1.0:
            raise
        try:
            run(1.0)
        except AttncliError:
            raise error from None
        raise UsageError(f"--temperature {temperature!r}: dividing the scores by it overflows float64; "
                         "use a temperature nearer 1") from None


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
    from attncli import loader
    from attncli.scenario import evaluate, find_head, find_row, settings_for

    check_temperature(temperature)
    sc = loader.load(DEFAULT_SCENARIO if scenario is None else scenario)
    with option("--focus"):
        row = find_row(sc.tokens, focus) if focus is not None else None
    _check_hand_size(len(sc.key_tokens), "--focus" if row is not None else "--tiled" if tiled else None)
    with option("--head"):
        only = find_head(tuple(h.name for h in sc.heads), head) if head is not None else None
    if block is not None and not tiled:
        raise UsageError("--block sets the keys per block of --tiled; add --tiled, or leave --block out")
    ev = blame_temperature(temperature, lambda t: evaluate(sc, settings_for(sc, scale=scale, mask=mask, temperature=t)))
    view = _explain_view(ev, row, only, tiled, block, precision, code, compact)
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
        built = _explain_view(now, knobs.focus, only, tiled, block, precision, code, compact, before=last[0])
        last[0] = now
        return built

    return view, Live(start, rebuild, sc.tokens)


def _explain_view(ev, row: int | None, only: int | None, tiled: bool, block: int | None, precision: int,
                  code: str | None, compact: bool, before=None) -> View:
    from attncli.views import walkthrough

    sc = ev.scenario
    lines: list[str] = []
    extra: dict = {}
    if row is not None or tiled:
        from attncli.views import handcalc  # only for these options: explain's start-up is measured

        if row is not None:
            lines = handcalc.focus_lines(ev, row, precision, only or 0)
            extra["focus"] = handcalc.focus_json(ev, row, only or 0)
        if tiled:
            n_k = len(sc.key_tokens)
            size = min(block or handcalc.default_block(n_k), n_k)
            lines += ([""] if lines else []) + handcalc.tiled_lines(
                ev, row or 0, precision, size, only or 0, with_legend=row is None)
            extra["tiled"] = handcalc.tiled_json(ev, row or 0, size, only or 0)
    pictures = walkthrough.Pictures(row or 0, compact, before)
    shown = walkthrough.view(ev, precision, only, tuple(lines), extra=extra or None, pictures=pictures)
    if code is not None:
        from attncli.views.code import with_code

        shown = with_code(shown, ev, code)
    return shown


def _check_hand_size(n_k: int, flag: str | None) -> None:
    """A hand calculation writes a term per key: refuse, before any work, one too long to read."""
    from attncli import limits

    if flag is not None and n_k > limits.max_hand_keys():
        raise UsageError(f"{flag}: writing a row out by hand takes a term per key, and this scenario has {n_k:,} keys; "
                         f"attncli writes it for at most {limits.max_hand_keys():,} keys (the view without {flag} "
                         "shows every step)")


def compare_or_sweep(scenario: str | None, *, scale: bool | None, mask: bool | None, temperature: float | None,
                     sweep_dk: str | None, precision: int = 3) -> View:
    """compare's view: the scenario against a variant, or with --sweep-dk the sweep, which takes no other input."""
    if sweep_dk is None:
        return compare(DEFAULT_SCENARIO if scenario is None else scenario, scale=scale, mask=mask,
                       temperature=temperature, precision=precision)
    if temperature is not None or mask is not None or scale is not None or scenario is not None:
        raise UsageError("--sweep-dk compares scaled against unscaled on its own random data; "
                         "it takes no SCENARIO, --scale/--no-scale, --temperature or --mask")
    return sweep(sweep_dk, precision)


def compare(scenario: str, *, scale: bool | None = None, mask: bool | None = None,
            temperature: float | None = None, precision: int = 3) -> View:
    """The scenario as written against a variant changed by the flags."""
    from attncli import compare as comparing
    from attncli import loader
    from attncli.scenario import evaluate, settings_for
    from attncli.views import comparison

    if temperature is not None:
        check_temperature(temperature)
    sc = loader.load(scenario)
    base = settings_for(sc)
    variant, change = comparing.variant_settings(base, scale=scale, mask=mask, temperature=temperature)

    def run(t: float):
        if t == temperature:
            return comparing.compare(sc, base, variant, change)
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
    from attncli.views import complexity as costs

    if not use_tiled and max_n > 16384:
        raise UsageError(f"--max-n {max_n}: the four-step core would hold three {max_n}×{max_n} float64 "
                         f"matrices ({3 * max_n * max_n * 8 / 2**30:.0f} GB); use --tiled, or --max-n 16384 or less")
    from attncli import limits

    need = cost_peak_bytes(max_n, d, use_tiled)
    free = limits.available_memory()
    if free is not None and need > 0.8 * free:
        raise UsageError(f"--max-n {max_n}: the largest size needs about {need / 2**30:.1f} GB at its peak, and this "
                         f"machine has {free / 2**30:.1f} GB free; use a smaller --max-n"
                         f"{'' if use_tiled else ', or --tiled'}")
    ns = cost.sizes(max_n)
    results = _measure_with_progress(ns, d, use_tiled) if progress else [
        cost.measure(n, d, use_tiled=use_tiled) for n in ns]
    time_growth = cost.fit_growth(ns, [r.seconds for r in results], floor=cost.WORK_OVER_OVERHEAD * results[0].seconds)
    memory_growth = cost.fit_growth(ns, [r.peak_bytes for r in results],
                                    floor=cost.WORK_OVER_OVERHEAD * results[0].peak_bytes)
    return costs.view(results, time_growth, memory_growth, d=d, use_tiled=use_tiled,
                      max_n=max_n, precision=precision)


def cost_peak_bytes(n: int, d: int, use_tiled: bool) -> int:
    """Memory one measurement may hold at its peak: Q, K, V and, without tiling, about four n×n
    float64 matrices (scores, scaled scores, weights and a temporary; 8.3 GB measured at n = 16384)."""
    return 8 * (4 * n * d + (0 if use_tiled else 4 * n * n))


def _measure_with_progress(ns: list[int], d: int, use_tiled: bool) -> list:
    from rich.console import Console
    from rich.progress import Progress

    from attncli import complexity as cost

    results = []
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("measuring", total=sum(n * n for n in ns))
        for n in ns:
            progress.update(task, description=f"n = {n}")
            results.append(cost.measure(n, d, use_tiled=use_tiled))
            progress.advance(task, n * n)
    return results


def scenarios() -> View:
    """The built-in scenarios."""
    from attncli import loader
    from attncli.views import catalog

    return catalog.view([(name, loader.load(name)) for name in loader.builtin_names()])


def show(name: str) -> str:
    """A built-in scenario's YAML text."""
    import difflib

    from attncli import loader

    names = loader.builtin_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise AttncliError(f"no built-in scenario {name!r}; the built-ins are {', '.join(names)}{hint}")
    return loader.builtin_text(name)


def new(file: str, *, tokens: str, d_model: int, d_k: int, d_v: int | None, seed: int, force: bool) -> None:
    """Write a commented starter scenario, never over an existing file unless forced."""
    from pathlib import Path

    from attncli.files import check_writable, write_atomic
    from attncli.safe_text import is_safe, visible
    from attncli.starter import starter_yaml

    words = tokens.split()
    if not words:
        raise UsageError("--tokens: give at least one token, such as --tokens \"the cat sat\"")
    if len(words) > 64:
        raise UsageError(f"--tokens: {len(words)} tokens is more than a starter needs (64 at most)")
    for word in words:
        if not is_safe(word):
            raise UsageError(f"--tokens: {visible(word)} holds a control character or a byte that is not UTF-8 text")
    check_writable(file)  # a directory or a device: --force would not help, so do not suggest it
    if Path(file).exists() and not force:
        raise AttncliError("already exists; use --force to overwrite it", origin=file)
    write_atomic(file, starter_yaml(words, d_model, d_k, d_v or d_k, seed))


def validate(files: list[str]) -> tuple[list[str], bool]:
    """The report of every problem of each file, and whether all were valid."""
    from attncli import loader
    from attncli.reader import MAX_PROBLEMS
    from attncli.safe_text import visible

    lines, ok = [], True
    for file in files:
        problems = loader.validate(file)
        if problems:
            ok = False
            lines += [str(problem) for problem in problems]
            if len(problems) >= MAX_PROBLEMS:
                lines.append(f"{visible(file)}: {MAX_PROBLEMS} problems, and validate stopped reading there; "
                             "fix these, then validate again")
            else:
                lines.append(f"{visible(file)}: {len(problems)} problem{'s' if len(problems) > 1 else ''}")
        else:
            lines.append(f"{visible(file)}: ok")
    return lines, ok


QUIZ_DECIMALS = 3


def quiz(scenario: str | None, *, level: str, seed: int | None, row: str | None, no_color: bool = False) -> None:
    """Practice one query row on the terminal, one step at a time; answers may also come piped, one a line."""
    from attncli.deliver import terminal
    from attncli.practice.questions import check_level

    with option("--level"):
        check_level(level)
    console = terminal(no_color)
    if scenario is None:
        seed, questions = _generated_quiz(console, level, seed, row)
    else:
        questions = _scenario_quiz(console, scenario, level, seed, row)
    _ask_all(console, questions)
    if scenario is None:
        again = f"attncli quiz --seed {seed}" + ("" if level == "row" else f" --level {level}")
        _say(console, f"Redo this exercise: {again}; a new one: attncli quiz", "dim")


def _generated_quiz(console, level: str, seed: int | None, row: str | None):
    import secrets

    from attncli.practice.exercises import Options, make_exercise
    from attncli.render_terminal import render_page
    from attncli.views.practice import EXERCISE_PRECISION, exercise_page

    if row is not None:
        raise UsageError("--row picks a row of a SCENARIO; a generated exercise asks about the row it was made "
                         "for (give a SCENARIO, such as dog_ate_dinner, to choose the row)")
    if seed is None:
        seed = secrets.randbelow(100_000)
        _say(console, f"Exercise {seed}: to redo it later, attncli quiz --seed {seed}", "dim")
    ex = make_exercise(str(seed), "quiz", 1, level, Options(exercises=1))
    console.print(render_page(exercise_page(seed, ex), EXERCISE_PRECISION, color=_colour(console), width=console.width))
    return seed, ex.questions


def _scenario_quiz(console, scenario: str, level: str, seed: int | None, row: str | None):
    from attncli import loader
    from attncli.practice.questions import LEVEL_WORDS
    from attncli.practice.quiz import scenario_questions, seed_row
    from attncli.scenario import find_row

    if row is not None and seed is not None:
        raise UsageError("--row and --seed both choose the row; give one of them")
    if scenario == "-":
        raise UsageError("the quiz reads its answers from standard input, so the scenario cannot come from it "
                         "too; save the scenario to a file and give its name")
    sc = loader.load(scenario)
    with option("--row"):
        index = find_row(sc.tokens, row) if row is not None else seed_row(sc, seed) if seed is not None else 0
    questions = scenario_questions(sc, level, row=index)
    head = sc.heads[0]
    d_k = head.w_q.shape[1]
    facts = [f"d_k = {d_k}", "divided by √d_k" if sc.scale else "not scaled"]
    if sc.causal or sc.mask_matrix is not None or sc.key_padding is not None:
        facts.append("causal mask" if sc.causal else "a mask: hidden keys get weight 0")
    facts += [f"head {head.name!r}, the first of {len(sc.heads)}"] if len(sc.heads) > 1 else []
    _say(console, f"{sc.name}: the row of {sc.tokens[index]} (row {index}); {LEVEL_WORDS[level]}.", "bold")
    _say(console, f"({'; '.join(facts)})", "dim")
    return questions


def _ask_all(console, questions) -> None:
    """The quiz loop: ask, read a line (None at the end of input or on Ctrl-C), answer, and sum up."""
    import sys

    from attncli.practice.quiz import COMMANDS, Quiz
    from attncli.practice.tolerance import describe
    from attncli.views.practice import LONG_LINE, is_long

    _say(console, "")
    if is_long(questions):
        _say(console, f"Long sums and vectors are shortened to their first and last terms (lines over {LONG_LINE} "
                      "characters); the answers are checked against the exact values all the same.", "dim")
    _say(console, f"{len(questions)} questions; answer to {QUIZ_DECIMALS} decimals: {describe(QUIZ_DECIMALS)}.")
    _say(console, f"Type a number, or {COMMANDS}.")
    state = Quiz(questions, QUIZ_DECIMALS)
    interactive, again = sys.stdin.isatty(), False
    while state.current is not None:
        asked = state.ask()
        if again:  # after a hint or a typo, the question again without its numbers
            asked = asked[:1]
        else:
            _say(console, "")
        _say(console, asked[0], "bold")
        for line in asked[1:]:
            _say(console, line)
        feedback = state.respond(_read_answer(interactive))
        again = feedback.status in ("hint", "invalid")
        for n, line in enumerate(feedback.lines):
            _say(console, line, _FEEDBACK_STYLES.get(feedback.status, "") if n == 0 else "")
    _say(console, "")
    _say(console, "Summary", "bold")
    for line in state.summary():
        _say(console, line)


_FEEDBACK_STYLES = {"ok": "bold green", "follows": "yellow", "wrong": "bold red", "hint": "cyan",
                    "invalid": "magenta", "skipped": "dim", "quit": "dim"}


def _read_answer(interactive: bool) -> str | None:
    import sys

    try:
        if interactive:
            return input("> ")
        line = sys.stdin.readline()
        return line.rstrip("\r\n") if line else None
    except (EOFError, KeyboardInterrupt):
        if interactive:
            print()
        return None


def _say(console, text: str, style: str = "") -> None:
    from rich.text import Text

    from attncli.views.practice import shorten

    console.print(Text(shorten(text), style=style), soft_wrap=True)


def _colour(console) -> bool:
    from attncli.deliver import uses_colour

    return uses_colour(console)


def worksheet(*, roster: str | None, count: int | None, seed: str, out: str, level: str, force: bool) -> list[str]:
    """Write every student's sheet and blank answer file and the key; the lines to tell the teacher."""
    from pathlib import Path

    from attncli.practice.answers import read_file
    from attncli.practice.worksheet import KEY_FILE, build_sheets, numbered_roster, parse_roster, write_sheets

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
        files = build_sheets(students, seed, level)
    existing = [name for name, _ in files if (Path(out) / name).exists()]
    if existing and not force:
        raise AttncliError(f"{len(existing)} of the {len(files)} files exist already, such as {existing[0]}; "
                           "nothing was written: use --force to overwrite them, or another folder", origin=out)
    write_sheets(out, files, overwrite=force)
    folder = out.rstrip("/") or "/"
    many = len(students) != 1
    return [
        f"wrote {len(files)} files in {folder}/: {KEY_FILE} (the answer key: keep it from the students) and, for "
        f"{'each of ' if many else ''}{len(students)} student{'s' if many else ''} ({_listed(students)}), "
        "<student>.md and <student>.html (the sheet) and <student>.answers.yaml (to fill in)",
        f"course seed {seed!r}: the same --seed and ids give the same sheets again",
        f"grade with: attncli grade {folder}/{KEY_FILE} ANSWER-FILES...",
    ]


def _listed(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 4 else f"{names[0]}, {names[1]} … {names[-1]}"


def grade(key: str, submissions: list[str], how) -> None:
    """Grade answer files against key.json and deliver the grades; then the files not graded, one line each."""
    from attncli.deliver import deliver
    from attncli.practice.grading import grade_files
    from attncli.views.practice import grade_view

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


def _run_model(text: str, model: str | None, float32: bool):
    import numpy as np

    from attncli.pretrained import load_model

    return load_model(model, np.float32 if float32 else np.float64).run(text)


def _one_head(run, layer: int, head: int):
    with option("--layer"):
        run.head(layer, 0)
    with option("--head"):
        return run.head(layer, head)


def head_evaluation(run, layer: int, head: int):
    """The head as explain would run it: a Scenario of X and its slices, evaluated by the same core."""
    from attncli.pretrained.scenario_out import head_evaluation as evaluation

    return evaluation(run, layer, head)


def model(text: str | None, *, layer: int | None = None, head: int | None = None, model: str | None = None,
          focus: str | None = None, link: tuple[str, str] | None = None, float32: bool = False,
          precision: int = 3, induction: bool = False, length: int = 20, seed: int = 0) -> View:
    """A real model on text: one head's walkthrough, every head as a gallery, or heads ranked by one link;
    with induction, the induction lesson on a seeded random word sequence."""
    if induction:
        return induction_lesson(model, length=length, seed=seed, text=text, layer=layer, link=link, float32=float32,
                                precision=precision)
    if text is None:
        raise UsageError("give a sentence in quotes (or --induction for the induction lesson)")
    check_model_flags(layer, head, focus, link, None)
    run = _run_model(text, model, float32)
    if link is not None:
        return _link(run, link, precision)
    if layer is None:
        return _gallery_and_one_head(run, float32, precision)
    return _head_walkthrough(run, layer, head, focus, float32, precision)


def _gallery_and_one_head(run, float32: bool, precision: int) -> View:
    """Every head as a gallery, then the clearest one's four steps; the JSON stays the gallery's."""
    from attncli.pretrained import KINDS, clearest_head
    from attncli.views import Banner, Page, Paragraph
    from attncli.views.gallery import kind_words

    gallery = _gallery(run)
    layer, head, pattern, fallback = clearest_head(run)
    top = max(pattern.shares, key=pattern.shares.get) if pattern.kind == "broad" else pattern.kind
    name, words = f"L{layer}H{head}", kind_words(top, KINDS, run.tokens, run.causal)
    if fallback:
        sinks = "first token" if run.causal else "first token, [SEP]"
        why = (f"Every head here is broad or a sink ({sinks}); of them all, {name} gives the largest "
               f"share of its weight to one pattern: {words}.")
    else:
        labels = "broad or first token" if run.causal else "broad, first token or [SEP]"
        why = (f"Of the heads not labelled {labels}, {name}'s pattern ({words}) takes the "
               "largest share of the weight.")
    steps = _head_walkthrough(run, layer, head, None, float32, precision)
    first = steps.pages[0]
    opening = (Banner(f"One head, step by step: {name}"), Paragraph(why))
    pages = gallery.pages + (Page(first.heading, opening + first.blocks),) + steps.pages[1:]
    return View(gallery.title, pages, gallery.document, precision)


def _head_walkthrough(run, layer: int, head: int, focus: str | None, float32: bool, precision: int) -> View:
    import numpy as np

    from attncli.pretrained import KINDS, head_pattern
    from attncli.scenario import find_row
    from attncli.views import model as model_view
    from attncli.views.gallery import kind_words

    h = _one_head(run, layer, head)
    with option("--focus"):
        row = find_row(run.tokens, focus) if focus is not None else None
    ev = head_evaluation(run, layer, head)
    difference = float(np.max(np.abs(ev.steps.heads[0].weights - h.steps.weights)))
    found = head_pattern(h.steps.weights, run.tokens, run.causal)
    words = lambda kind: kind_words(kind, KINDS, run.tokens, run.causal)
    if found.kind == "broad":
        pattern = (f"Its pattern: broad. No one pattern gets half of the weight on average; the largest, "
                   f"{words(max(found.shares, key=found.shares.get))}, gets {found.share:.2f}.")
    else:
        pattern = f"Its pattern: {words(found.kind)}, which gets {found.share:.2f} of each row's weight on average."
    by_hand: tuple[str, ...] = ()
    if row is not None:
        from attncli.views import handcalc

        by_hand = tuple(handcalc.focus_lines(ev, row, precision))
        if h.rope_base is not None:
            from attncli.views.decoder import rope_lines

            by_hand = tuple(rope_lines(ev.steps.heads[0], row, run.tokens, precision)) + ("",) + by_hand
    shared = None
    if h.kv_head is not None:
        from attncli.views.decoder import shared_kv_paragraph

        n_kv = len({other.kv_head for other in run.layers[layer].heads})
        shared = shared_kv_paragraph(layer, head, h.kv_head, len(run.layers[layer].heads), n_kv)
    return model_view.head_view(ev, model=run.model, layer=layer, head=head, pattern=pattern, difference=difference,
                                float32=float32, precision=precision, by_hand=by_hand,
                                focus_token=run.tokens[row] if row is not None else "", shared=shared)


def _gallery(run) -> View:
    from attncli.pretrained import KINDS, label_head
    from attncli.pretrained.patterns import THRESHOLD
    from attncli.views import gallery

    heads = [(h.layer, h.head, label_head(h.steps.weights, run.tokens, run.causal), h.steps.weights)
             for layer in run.layers for h in layer.heads]
    kv_heads = {h.head: h.kv_head for h in run.layers[0].heads}
    return gallery.view(model=run.model, text=run.text, tokens=run.tokens, heads=heads, kinds=KINDS,
                        threshold=THRESHOLD, causal=run.causal, kv_heads=kv_heads)


def _link(run, link: tuple[str, str], precision: int) -> View:
    from attncli.pretrained import label_head, link_ranking, token_index
    from attncli.views import gallery
    from attncli.views import model as model_view

    with option("--link"):
        source, target = (token_index(run.tokens, word) for word in link)
    labels = {(h.layer, h.head): gallery.SHORT[label_head(h.steps.weights, run.tokens, run.causal)]
              for layer in run.layers for h in layer.heads}
    return model_view.link_view(model=run.model, tokens=run.tokens, source=source, target=target,
                                ranking=link_ranking(run, source, target), labels=labels, precision=precision)


def model_save(text: str, file: str, *, layer: int | None, head: int | None, model: str | None = None,
               float32: bool = False, force: bool = False, focus: str | None = None,
               link: tuple[str, str] | None = None) -> None:
    """Write one real head as an ordinary scenario, never over an existing file unless forced."""
    from pathlib import Path

    from attncli.files import write_atomic
    from attncli.pretrained import head_scenario, head_scenario_yaml

    if text is None:
        raise UsageError("--save writes one head on your sentence: give the sentence in quotes")
    check_model_flags(layer, head, focus, link, file)
    if Path(file).exists() and not force:
        raise AttncliError("already exists; use --force to overwrite it", origin=file)
    run = _run_model(text, model, float32)
    _one_head(run, layer, head)
    write_atomic(file, head_scenario_yaml(head_scenario(run, layer, head)))


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
    from attncli.pretrained.generate import check_sampling, MAX_NEW_TOKENS, generate as run_generation
    from attncli.views.decoder import generation_view

    if (layer is None) != (head is None):
        raise UsageError("--layer and --head pick the watched head together; give both, or neither")
    check_sampling(max_new_tokens, temperature, top_k, MAX_NEW_TOKENS)
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
