"""How numbers are shown: rounding happens here, and only here, at display time."""

from __future__ import annotations

import math


def fixed(x: float, precision: int) -> str:
    """x with exactly `precision` decimals; never '-0.000', and -∞ as a symbol (one minus sign: ASCII).

    Rounding is a person's: a number whose decimal form ends in 5 just past the last shown digit
    rounds away from zero (0.6775 → 0.678, 2.675 → 2.68), where the float just below it
    (0.67749999…) would round down.
    """
    x = float(x)
    if math.isinf(x):
        return "-∞" if x < 0 else "∞"
    if abs(x) >= 1e9:
        return f"{x:.{precision}e}"  # no 300-digit integers in a table
    text = _half_away(x, precision) or f"{x:.{precision}f}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return text


SIGNIFICANT = 15  # digits of x's decimal form: every decimal this short survives float64, the noise after it does not


def _half_away(x: float, precision: int) -> str | None:
    """x rounded half away from zero when its decimal form ends in 5 just past `precision`, else None.

    The decimal form is x to 15 significant digits: 0.55 × 2.25 is 1.2374999999999998 in float64 and
    1.2375 on paper, and a student rounds 1.2375.
    """
    form = f"{x:.{SIGNIFICANT}g}"
    if "e" not in form and (not form.endswith("5") or "." not in form
                            or len(form) - form.index(".") != precision + 2):
        return None  # the common case, decided without Decimal
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(form)
    sign, digits, exponent = exact.as_tuple()
    if exponent != -(precision + 1) or digits[-1] != 5:
        return None
    return format(exact.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP), "f")


def trim(x: float, precision: int, min_decimals: int = 2) -> str:
    """x rounded to `precision` decimals, trailing zeros dropped down to `min_decimals` (as 2.71, -0.10)."""
    text = fixed(x, precision)
    if "." not in text or math.isinf(x):
        return text
    whole, frac = text.split(".")
    frac = frac.rstrip("0").ljust(min(min_decimals, precision), "0")
    return f"{whole}.{frac}" if frac else whole


def vector(values, precision: int) -> str:
    """[1.275, 2.364]"""
    return "[" + ", ".join(fixed(float(v), precision) for v in values) + "]"



def rgb_hex(rgb) -> str:
    """#rrggbb for red, green, blue in [0, 1] (clipped: paint cannot be brighter than white)."""
    return "#" + "".join(f"{round(min(max(float(c), 0.0), 1.0) * 255):02x}" for c in rgb)
