"""Colours of SVG and HTML exports: light for printed handouts, dark for slides.

Each of the sixteen ANSI colours is chosen so that text in it reads at 4.5:1 or more on the
theme's background (tests/test_presenter.py computes it); the heatmap's cells carry their own
background and text colours (palette.py) and look the same in both themes.
"""

from __future__ import annotations

THEMES = ("light", "dark")

# black, red, green, yellow, blue, magenta, cyan, white; then the bright ones
_LIGHT = dict(
    background=(255, 255, 255), foreground=(17, 17, 17),
    normal=[(0, 0, 0), (166, 0, 0), (0, 112, 0), (112, 84, 0), (0, 64, 176), (138, 0, 138), (0, 98, 118),
            (84, 84, 84)],
    bright=[(90, 90, 90), (184, 0, 0), (0, 120, 40), (120, 90, 0), (20, 80, 200), (150, 30, 150), (0, 110, 130),
            (40, 40, 40)],
)
_DARK = dict(
    background=(24, 24, 24), foreground=(236, 236, 236),
    normal=[(150, 150, 150), (240, 110, 110), (110, 210, 110), (230, 200, 90), (120, 160, 255), (230, 130, 230),
            (100, 210, 230), (220, 220, 220)],
    bright=[(170, 170, 170), (255, 140, 140), (140, 235, 140), (250, 225, 120), (150, 185, 255), (245, 160, 245),
            (140, 230, 245), (255, 255, 255)],
)


def colours(name: str) -> dict:
    """The theme's background, foreground and ANSI colours as RGB triples."""
    return _LIGHT if name == "light" else _DARK


def export_theme(name: str):
    """The Rich TerminalTheme of an export theme."""
    from rich.terminal_theme import TerminalTheme

    c = colours(name)
    return TerminalTheme(c["background"], c["foreground"], c["normal"], c["bright"])
