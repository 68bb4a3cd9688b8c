"""How numbers are shown: rounding happens here, and only here, at display time."""

from __future__ import annotations

import math


def fixed(x: float, precision: int) -> str:
    """x with exactly `precision` decimals; never '-0.000', and -∞ as a symbol (one minus sign: ASCII)."""
    if math.isinf(x):
        return "-∞" if x < 0 else "∞"
    if abs(x) >= 1e9:
        return f"{x:.{precision}e}"  # no 300-digit integers in a table
    text = f"{x:.{precision}f}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return text


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
