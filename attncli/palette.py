"""The heatmap's shades for each kind of terminal, and the contrast of text on them (WCAG 2).

A 24-bit terminal (and every SVG or HTML export) shades each weight with its own colour along
viridis. Fewer colours cannot follow that ramp (in 256 colours every weight from 0.16 to 0.37 got
one entry), so there weights fall into ten bands of 0.1 and a band of their own for exactly 1 (a
row with one visible key): weights 0.1 apart always land in different bands, and each band has a
colour that stays distinct: xterm entries in 256 colours, a ramp of the ANSI colours in 16. Text
on a shade is black or white, whichever contrasts more; the tests check 4.5:1 (WCAG AA) on all.
"""

from __future__ import annotations

BANDS = 10  # bands of 0.1 below 1; a weight of exactly 1 is band 10

# Viridis-like (purple → blue → teal → green → yellow), each an xterm 256-colour entry, so a
# 256-colour terminal shows exactly these and a 24-bit one (or an export) the same RGB.
SHADES_256 = (53, 54, 61, 25, 31, 30, 36, 71, 149, 220, 227)
# The sixteen ANSI colours cannot follow viridis; these ten rise in lightness from black.
SHADES_16 = ("black", "blue", "magenta", "bright_black", "bright_blue", "cyan", "green", "bright_cyan",
             "bright_green", "bright_yellow", "bright_white")


# Viridis: sequential, perceptually uniform and readable with every common colour-vision deficiency.
_VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#fde725")


def heat_colour(w: float) -> str:
    """The viridis colour of a weight in [0, 1], as #rrggbb, for 24-bit colour."""
    w = min(max(float(w), 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(w), len(_VIRIDIS) - 2)
    t = w - i
    a, b = (tuple(int(code[k:k + 2], 16) for k in (1, 3, 5)) for code in (_VIRIDIS[i], _VIRIDIS[i + 1]))
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def band(w: float) -> int:
    """The band 0 … 10 of a weight in [0, 1]: [0, 0.1) is 0, [0.9, 1) is 9, 1 is 10."""
    # Rounded first: 0.7 + 0.1 is 0.7999999999999999 in binary, and must land a band above 0.7.
    return min(max(int(round(float(w) * BANDS, 9)), 0), BANDS)


def shade(w: float, system: str | None = "truecolor") -> str:
    """The Rich colour of a weight for a colour system: its own in "truecolor", its band's in "256",
    "standard" and "windows" (16 colours)."""
    if system == "truecolor":
        return heat_colour(w)
    k = band(w)
    return SHADES_16[k] if system in ("standard", "windows") else f"color({SHADES_256[k]})"


def rgb(colour: str) -> tuple[int, int, int]:
    """The RGB a colour name shows as (the 16 ANSI colours as Rich's standard palette has them)."""
    from rich.color import Color

    triplet = Color.parse(colour).get_truecolor()
    return triplet.red, triplet.green, triplet.blue


def luminance(colour: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    def linear(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio, from 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on the colour."""
    background = rgb(colour)
    return "black" if contrast(background, (0, 0, 0)) >= contrast(background, (255, 255, 255)) else "white"


def cell_style(w: float, system: str | None = "truecolor") -> str:
    """The Rich style of a number on its weight's shade: the band's colour and the text that reads on it."""
    background = shade(w, system)
    return f"{'#000000' if text_on(background) == 'black' else '#ffffff'} on {background}"
