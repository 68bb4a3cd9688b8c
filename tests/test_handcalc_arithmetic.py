"""Every arithmetic line of --focus and --tiled is redone from its own printed numbers.

A line that says '=' must give its printed result when its printed numbers are redone and rounded to
the shown decimals; a line that says '≈' must not (else it should say '='), and must be off only by
what rounding the shown numbers can explain.
"""

import math
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from attncli import loader
from attncli.cli import app
from attncli.numbers import fixed
from attncli.scenario import Settings, evaluate, random_scenario, settings_for
from attncli.views import handcalc

runner = CliRunner()
RELATION = re.compile(r" (=|≈) ")
NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?"


def to_python(expr: str) -> str:
    """The printed arithmetic as Python: × and · multiply, √n is a square root, [..] a vector, ∞ is inf."""
    expr = expr.replace("×", "*").replace("·", "*").replace("-∞", "(-math.inf)")
    expr = re.sub(r"√(\d+)", r"math.sqrt(\1)", expr)
    expr = re.sub(r"\bexp\(", "math.exp(", expr)
    expr = re.sub(r"\[([^\[\]]*)\]", r"np.array([\1])", expr)
    return expr


def value(text: str):
    text = text.strip().rstrip(".")
    if text.startswith("["):
        return np.array([float(x) for x in text[1:-1].split(",")])
    return float(text)


def shown(x, p: int) -> str:
    if isinstance(x, np.ndarray):
        return "[" + ", ".join(fixed(float(v), p) for v in x) + "]"
    return fixed(float(x), p)


def dot(x, y) -> float:
    """A dot product summed left to right, as a person adds the products up (and as np.dot may not)."""
    return sum((float(a) * float(b) for a, b in zip(x, y)), 0.0)


def unwrapped(lines: list[str]) -> list[str]:
    """Lines as written before wrapping: a line that ends in ',' or '+' goes on on the next one."""
    out: list[str] = []
    for raw in lines:
        if out and out[-1].rstrip().endswith((",", "+")):
            out[-1] = out[-1].rstrip() + " " + raw.strip()
        else:
            out.append(raw)
    return out


def arithmetic(lines: list[str]) -> list[tuple[str, str, str]]:
    """(expression, relation, result) for every line that computes something, wrapped lines and output
    sums joined up; a query written once (q_he = [...]) stands in for its name (q_he·[...] is a dot product)."""
    out, pending, queries = [], None, {}
    for raw in unwrapped(lines):
        line = raw.strip()
        query = re.fullmatch(r"(q_\S+) = (\[[^\]]*\])", line)
        if query:
            queries[query.group(1)] = query.group(2)
            continue
        line = re.sub(r"(q_\S+)·(\[[^\]]*\])", lambda m: f"dot({queries[m.group(1)]}, {m.group(2)})", line)
        if pending is not None:  # the weighted sum of value rows runs over several lines
            if line.startswith("+ ") or (line.startswith("= ") and "×" in line):
                pending += " + " + line[2:] if line.startswith("+ ") else line[2:]
                continue
            if line.startswith(("= ", "≈ ")):
                out.append((pending, line[0], line[2:]))
            pending = None
            continue
        if re.match(r"Output_\S+ = [\d.]+×V_", line):
            pending = ""
            continue
        parts = RELATION.split(line)
        if len(parts) < 3 or not re.fullmatch(rf"\[?{NUMBER}(, {NUMBER})*\]?\.?", parts[-1].strip()):
            continue
        expr = parts[-3].split(": ")[-1]
        expr = re.sub(r"^.*divide each score by ", "", expr)
        if not re.search(r"[×/+√]|exp\(|max\(|dot\(", expr):
            continue
        out.append((expr, parts[-2], parts[-1]))
    return out


def check(lines: list[str], p: int) -> int:
    """Redo every line; return how many were checked."""
    found = arithmetic(lines)
    for expr, relation, result in found:
        redone = eval(to_python(expr), {"math": math, "np": np, "dot": dot})
        printed = value(result)
        agrees = shown(redone, p) == shown(printed, p)
        if relation == "=":
            assert agrees, f"{expr} = {result}: the printed numbers give {redone}"
        else:
            assert not agrees, f"{expr} ≈ {result}: the printed numbers give it exactly; say '='"
            scale = max(1.0, float(np.max(np.abs(printed))))
            numbers = len(re.findall(NUMBER, expr))
            assert np.max(np.abs(redone - printed)) <= numbers * 10.0 ** -p * scale * 3, (expr, result, redone)
    return len(found)


def every_row(ev, p, block=2):
    for head in range(len(ev.steps.heads)):
        for row in range(len(ev.scenario.tokens)):
            focus = handcalc.focus_lines(ev, row, p, head)
            tiled = handcalc.tiled_lines(ev, row, p, min(block, len(ev.scenario.key_tokens)), head)
            yield focus, tiled


@pytest.mark.parametrize("name", loader.builtin_names())
@pytest.mark.parametrize("p", [1, 3, 6])
@pytest.mark.parametrize("flags", [{}, {"scale": False}, {"mask": True}, {"temperature": 0.7}])
def test_builtin_hand_calculations_add_up(name, p, flags):
    sc = loader.load(name)
    ev = evaluate(sc, settings_for(sc, **flags))
    checked = 0
    for focus, tiled in every_row(ev, p):
        checked += check(focus, p) + check(tiled, p)
    assert checked > 0


@pytest.mark.parametrize("seed", range(12))
def test_random_hand_calculations_add_up(seed):
    rng = np.random.default_rng(seed)
    n, d_k = int(rng.integers(2, 7)), int(rng.integers(1, 9))
    sc = random_scenario(name="r", origin="test", seed=seed, tokens=tuple(f"t{i}" for i in range(n)),
                         d_model=int(rng.integers(1, 9)), d_k=d_k, d_v=int(rng.integers(1, 4)))
    settings = Settings(scaled=bool(seed % 2), causal=seed % 3 == 0, temperature=[1.0, 0.3, 2.5][seed % 3])
    ev = evaluate(sc, settings)
    for p in (2, 3, 5):
        for focus, tiled in every_row(ev, p, block=int(rng.integers(1, n + 1))):
            assert check(focus, p) >= n + 2  # a score line per key, the sum and a weight at least
            check(tiled, p)


def test_the_seeds_sum_is_redone_from_its_own_numbers():
    out = runner.invoke(app, ["explain", "--focus", "dog", "--tiled", "--no-color", "--width", "200"]).stdout
    assert "sum = 6.795 + 2.607 + 5.755 = 15.157" in out
    assert "exp(1.916) ≈ 6.795" in out  # exp(1.916) is 6.7937...: the shown 1.916 does not give 6.795
    assert check([line.strip().strip("│") for line in out.splitlines()], 3) > 20


def test_a_wrong_line_is_caught():
    with pytest.raises(AssertionError):
        check(["   sum = 2.798 + 1.673 + 1.598 = 6.068"], 3)
    with pytest.raises(AssertionError):
        check(["   A[x,y] = 1.615 / 4.221 ≈ 0.383"], 3)  # 0.3826… gives 0.383 exactly: '≈' is wrong


@pytest.mark.parametrize("temperature", [1e-4, 0.013, 37.5, 1e4])
@pytest.mark.parametrize("scaled", [True, False])
def test_extreme_temperatures_still_add_up(temperature, scaled):
    sc = random_scenario(name="r", origin="test", seed=3, tokens=("a", "b", "c", "d"), d_model=6, d_k=4, d_v=2)
    ev = evaluate(sc, Settings(scaled=scaled, causal=True, temperature=temperature))
    for p in (1, 3):
        for focus, tiled in every_row(ev, p, block=3):
            assert check(focus, p) > 0
            check(tiled, p)
