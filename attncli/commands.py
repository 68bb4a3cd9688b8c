"""What each command computes and shows, without the command line: one function per command, each
returning a View for deliver.py. cli.py declares the options and calls these; errors from the
library are worded here with the option they came from."""

from __future__ import annotations

import math
from contextlib import contextmanager

from attncli.errors import AttncliError, UsageError
from attncli.views import View


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


def explain(scenario: str, *, focus: str | None = None, scale: bool | None = None, mask: bool | None = None,
            temperature: float = 1.0, head: str | None = None, tiled: bool = False, block: int | None = None,
            precision: int = 3) -> View:
    """Every step of one scenario, with one row by hand (focus) or block by block (tiled)."""
    from attncli import loader
    from attncli.scenario import evaluate, find_head, find_row, settings_for
    from attncli.views import walkthrough

    check_temperature(temperature)
    sc = loader.load(scenario)
    with option("--focus"):
        row = find_row(sc.tokens, focus) if focus is not None else None
    _check_hand_size(len(sc.key_tokens), "--focus" if row is not None else "--tiled" if tiled else None)
    with option("--head"):
        only = find_head(tuple(h.name for h in sc.heads), head) if head is not None else None
    ev = blame_temperature(temperature, lambda t: evaluate(sc, settings_for(sc, scale=scale, mask=mask, temperature=t)))
    lines: list[str] = []
    if row is not None or tiled:
        from attncli.views import handcalc  # only for these options: explain's start-up is measured

        if row is not None:
            lines = handcalc.focus_lines(ev, row, precision, only or 0)
        if tiled:
            n_k = len(sc.key_tokens)
            lines += ([""] if lines else []) + handcalc.tiled_lines(
                ev, row or 0, precision, min(block or handcalc.default_block(n_k), n_k), only or 0)
    return walkthrough.view(ev, precision, only, tuple(lines))


def _check_hand_size(n_k: int, flag: str | None) -> None:
    """A hand calculation writes a term per key: refuse, before any work, one too long to read."""
    from attncli import limits

    if flag is not None and n_k > limits.max_hand_keys():
        raise UsageError(f"{flag}: writing a row out by hand takes a term per key, and this scenario has {n_k:,} keys; "
                         f"attncli writes it for at most {limits.max_hand_keys():,} keys (the view without {flag} "
                         "shows every step)")


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
    from dataclasses import replace

    def run(t: float):
        if t == temperature:
            return comparing.compare(sc, base, variant, change)
        return evaluate(sc, replace(variant, temperature=t))  # only whether the rest of the variant overflows

    result = blame_temperature(temperature, run)
    return comparison.view(result, precision)


def sweep(dks: str) -> View:
    """Scaled against unscaled softmax across d_k, on seeded random data."""
    from attncli import compare as comparing
    from attncli.views import sweep as sweeping

    with option("--sweep-dk"):
        values = comparing.parse_dks(dks)
    return sweeping.view(comparing.sweep(values))


def complexity(max_n: int, d: int, use_tiled: bool, progress: bool) -> View:
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
    time_exp = cost.growth_exponent(ns, [r.seconds for r in results])
    memory_exp = cost.growth_exponent(ns, [r.peak_bytes for r in results])
    return costs.view(results, time_exp, memory_exp, d=d, use_tiled=use_tiled)


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
