"""The scenario rules, written once: reader.py (YAML, whose problems carry file lines) and api.py (arrays)
both ask here, so a rule reads the same from `attncli validate` and from `attncli.attention`.

Each check returns its problems as words (with the key they belong to, where several keys are checked
at once) and never raises: the reader reports every problem of a file, the API raises the first.
Rows, columns and entries count from 0; a file's line, where the reader knows it, counts from 1.
"""

from __future__ import annotations

import math

import numpy as np

from attncli.errors import AttncliError, UsageError

TEMPERATURE_WHY = "it divides the scores: below 1 sharpens the weights, above 1 flattens them"


def count(n: int, noun: str) -> str:
    """'1 row', '3 rows', '2 entries'."""
    if n == 1:
        return f"1 {noun}"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return f"{n} {noun[:-1]}ies"
    return f"{n} {noun}s"


def at_line(line: int | None) -> str:
    """' (line 5)' for a position in a file, counted from 1 as editors do; nothing without one."""
    return "" if line is None else f" (line {line})"


def ragged_row(where: str, i: int, n: int, width: int, line: int | None = None) -> str:
    """Row i of a matrix is longer or shorter than row 0."""
    return f"{where} row {i}{at_line(line)} has {count(n, 'number')}, but row 0 has {width}"


def not_a_row(where: str, i: int, what: str, line: int | None = None) -> str:
    return f"{where} row {i}{at_line(line)} should be a list of numbers, not {what}"


def not_finite(where: str, i: int, j: int, value: float) -> str:
    return f"{where} row {i}, column {j} is {value}: NaN and infinity are not allowed"


def first_not_finite(a: np.ndarray, where: str) -> str | None:
    """The first cell of a matrix that is NaN or infinite, named by row and column."""
    bad = np.argwhere(~np.isfinite(a))
    if not bad.size:
        return None
    i, j = (int(n) for n in bad[0])
    return not_finite(where, i, j, a[i, j])


def shown(value, limit: int = 60) -> str:
    """A value quoted in a message, on one line and cut short: an array is named by its shape."""
    if isinstance(value, np.ndarray) and value.ndim:
        return f"an array of shape {value.shape}"
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else f"{text[:limit - 1]}…"


def temperature(value, name: str = "temperature") -> str | None:
    """A temperature must be a positive, finite number."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok and math.isfinite(value) and value > 0:
        return None
    return f"{name} must be a positive number, not {f'{value:g}' if ok else shown(value)} ({TEMPERATURE_WHY})"


def tokens(n_tokens: int, where: str, rows_key: str, n_rows: int) -> str | None:
    """One token per row of the matrix the tokens label."""
    if n_tokens == n_rows:
        return None
    return f"there are {n_tokens} {where}, but {rows_key} has {count(n_rows, 'row')} (one per token)"


def head(w: dict, b: dict, prefix: str, d_model: int, d_source: int | None, owner: str,
         source_owner: str) -> list[tuple[str, str]]:
    """(key, problem) for each rule one head's weights break.

    w: W_Q, W_K and W_V as matrices; b: b_Q, b_K and b_V as vectors or None. owner names the matrix of
    d_model columns the queries come from ("the embeddings have", "x has"); source_owner the keys' and
    values' one (the same, or the source's for cross-attention).
    """
    problems = []
    expected = {"W_Q": (d_model, owner, "d_model × d_k"), "W_K": (d_source or d_model, source_owner, "d_model × d_k"),
                "W_V": (d_source or d_model, source_owner, "d_model × d_v")}
    for key, (rows, who, shape) in expected.items():
        if w[key].shape[0] != rows:
            problems.append((key, f"{prefix}{key} has {count(w[key].shape[0], 'row')}, but {who} "
                                  f"d_model = {count(rows, 'column')} ({key} is {shape})"))
    if w["W_Q"].shape[1] != w["W_K"].shape[1]:
        problems.append(("W_K", f"{prefix}W_Q has {count(w['W_Q'].shape[1], 'column')} but W_K has "
                                f"{w['W_K'].shape[1]}: queries and keys need the same width d_k to take their "
                                "dot products"))
    for key in ("b_Q", "b_K", "b_V"):
        width = w["W_" + key[-1]].shape[1]
        if b.get(key) is not None and b[key].shape[0] != width:
            problems.append((key, f"{prefix}{key} has {count(b[key].shape[0], 'entry')}, but W_{key[-1]} has "
                                  f"{count(width, 'column')} (one bias per column)"))
    return problems


def output_projection(w_o: np.ndarray, b_o: np.ndarray | None, head_widths: list[int]) -> list[tuple[str, str]]:
    """(key, problem) for W_O (Σ d_v × d_out) and b_O (d_out) against the heads' value widths."""
    problems = []
    total = sum(head_widths)
    if w_o.shape[0] != total:
        widths = " + ".join(str(width) for width in head_widths)
        problems.append(("W_O", f"W_O has {count(w_o.shape[0], 'row')}, but the heads' outputs concatenate to "
                                f"Σ d_v = {widths} = {total} columns"))
    if b_o is not None and b_o.shape[0] != w_o.shape[1]:
        problems.append(("b_O", f"b_O has {count(b_o.shape[0], 'entry')}, but W_O has "
                                f"d_out = {count(w_o.shape[1], 'column')}"))
    return problems


def rope(base: float, head_widths: dict[str, int]) -> list[tuple[str, str]]:
    """RoPE's rules: a positive base, and an even d_k in every head (dimensions turn in pairs)."""
    problems = []
    if not base > 0:
        problems.append(("base", f"rope base is {base:g}; it should be a positive number (Llama uses 10000)"))
    for name, d_k in head_widths.items():
        if d_k % 2:
            problems.append(("rope", f"RoPE turns q and k in pairs of dimensions, so d_k must be even; "
                                     f"{name!r} has d_k = {d_k}"))
            break
    return problems


def first_line(error: Exception) -> str:
    """The first line of a library's error message, for one-line messages."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def matrix_size(shape: tuple[int, ...], where: str) -> str | None:
    """A matrix's rows, columns and numbers within the limits a scenario file has, known from its shape alone."""
    from attncli import limits

    rows, cols = shape[:1], shape[1:]
    if any(n > limits.max_tokens() for n in rows) or any(n > limits.max_dim() for n in cols) \
            or math.prod(shape) > limits.max_cells():
        return f"{where} has shape {' × '.join(f'{n:,}' for n in shape)}; {limits.describe_size_limits()}"
    return None


def steps_size(n_q: int, n_k: int, n_heads: int) -> str | None:
    """Every head's n_q × n_k scores, scaled scores and weights, bounded by the cell limit and by the memory
    free now (which matters once the limit is raised), before they are allocated."""
    from attncli import limits

    cells = 3 * n_q * n_k * n_heads
    if cells > limits.max_cells():
        return (f"{n_q} queries × {n_k} keys × {n_heads} head(s) need {cells:,} numbers for the attention steps; "
                f"{limits.describe_size_limits()}")
    if cells > 1_000_000:  # only then is it worth reading the free memory
        free = limits.available_memory()
        need = 8 * cells * 2  # float64, and NumPy's temporaries
        if free is not None and need > 0.8 * free:
            return (f"the attention steps need about {need / 2**30:.1f} GB, and this machine has "
                    f"{free / 2**30:.1f} GB free; use fewer queries or keys")
    return None


def check_temperature(value: float) -> None:
    """--temperature as a flag: a bad value is a usage error (exit 2)."""
    problem = temperature(value, "--temperature")
    if problem:
        raise UsageError(problem)


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
