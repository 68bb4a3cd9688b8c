"""When a hand-computed answer counts as right."""

from __future__ import annotations

import math
import numbers

RELATIVE = 1e-4  # 0.01 % of the exact value: e^9 = 8103.08 need not be right to the third decimal
_FLOAT_SLACK = 1e-9  # 0.4475 → 0.448 is half a unit exactly, which binary floats may see as a hair more


def half_unit(decimals: int) -> float:
    """Half a unit in the last asked decimal: 0.0005 for 3 decimals."""
    return 0.5 * 10.0 ** (-decimals)


def accepts(expected: float, given, decimals: int) -> bool:
    """True when `given` is within half a unit of the last asked decimal of `expected`, or within 0.01 %.

    The rule: |given − expected| ≤ ½·10^(−decimals) (so 0.448 and 0.4475 both match 0.44751 at
    3 decimals, as rounding either way would), or |given − expected| ≤ 0.0001·|expected|. Both
    bounds are on the absolute difference, so the sign must be right: −0.5 never matches 0.5, and
    near zero only the absolute bound applies. NaN, infinity, booleans and text are never accepted.
    """
    if isinstance(given, bool) or not isinstance(given, numbers.Real):
        return False
    given, expected = float(given), float(expected)
    if not (math.isfinite(given) and math.isfinite(expected)):
        return False
    diff = abs(given - expected)
    return diff <= half_unit(decimals) * (1 + _FLOAT_SLACK) or diff <= RELATIVE * abs(expected)


def describe(decimals: int) -> str:
    """The rule in words, for sheets and the quiz."""
    return (f"an answer counts when it is within {half_unit(decimals):g} of the exact value "
            f"(half a unit in the {_ordinal(decimals)} decimal) or within {RELATIVE:.2%} of it")


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")
