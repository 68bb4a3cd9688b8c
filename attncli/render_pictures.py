"""Drawing views/pictures.py blocks with characters: a braille plot of q and k, glyph-per-cell heatmaps.

A small braille canvas rather than a plotting library: the plot is a few arrows from the origin with
a label beside each, which needs per-label placement and Rich styles that plotext (ANSI strings,
no labels at points) does not give, and a runtime dependency for ~60 lines is not worth it.
"""

from __future__ import annotations

import math

from rich.cells import cell_len
from rich.text import Text

from attncli.palette import BANDS, band, shade
from attncli.layout import Drawn, Laid, Look, kept_indices, pad_block
from attncli.views import MatrixView
from attncli.views.pictures import Plot

_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # braille bit of pixel (x % 2, y % 4)
ROLE_STYLE = {"focus": "bold magenta", "query": "magenta", "key": "cyan", "axis": "bright_black"}
RAMP = " .:-=+*#%@█"  # one glyph per band of 0.1 (and █ for exactly 1), for output without colour


class Canvas:
    """Braille pixels (2 × 4 per character) with a colour per character and text laid on top."""

    def __init__(self, cols: int, rows: int):
        self.cols, self.rows = cols, rows
        self.bits = [[0] * cols for _ in range(rows)]
        self.colour = [[""] * cols for _ in range(rows)]
        self.text: dict[tuple[int, int], tuple[str, str]] = {}
        self.axis_rows: set[int] = set()  # where the axes run: no label goes on them
        self.axis_cols: set[int] = set()

    def dot(self, px: int, py: int, style: str) -> None:
        c, r = px // 2, py // 4
        if 0 <= c < self.cols and 0 <= r < self.rows and px >= 0 and py >= 0:
            self.bits[r][c] |= _DOTS[py % 4][px % 2]
            self.colour[r][c] = style

    def line(self, x0: int, y0: int, x1: int, y1: int, style: str) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for s in range(steps + 1):
            self.dot(round(x0 + (x1 - x0) * s / steps), round(y0 + (y1 - y0) * s / steps), style)

    def free(self, row: int, col: int, length: int, over_dots: bool = True) -> bool:
        """Room for a label: on the canvas, off the axes, a space from other text; over no arrow's dots
        unless `over_dots`."""
        if not (0 <= row < self.rows and col >= 0 and col + length <= self.cols) or row in self.axis_rows:
            return False
        if any(col <= c < col + length for c in self.axis_cols):
            return False
        if any((row, c) in self.text for c in range(col - 1, col + length + 1)):
            return False
        return over_dots or not any(self.bits[row][c] for c in range(col, col + length))

    def write(self, row: int, col: int, label: str, style: str) -> None:
        for k, ch in enumerate(label):
            if 0 <= col + k < self.cols:
                self.text[(row, col + k)] = (ch, style)

    def lines(self) -> list[tuple]:
        """Each row as runs: characters of one style together, a few runs per line."""
        laid_on: dict[int, list] = {}  # the text on each row, gathered once
        for (row, col), cell in self.text.items():
            laid_on.setdefault(row, []).append((col, cell))
        out = []
        for r in range(self.rows):
            chars = [chr(0x2800 + bits) if bits else " " for bits in self.bits[r]]
            styles = [style if bits else "" for bits, style in zip(self.bits[r], self.colour[r])]
            for col, (ch, style) in laid_on.get(r, ()):
                chars[col], styles[col] = ch, style
            runs: list[tuple[str, str]] = []
            start = 0
            for c in range(1, self.cols + 1):
                if c == self.cols or styles[c] != styles[start]:
                    runs.append(("".join(chars[start:c]), styles[start]))
                    start = c
            out.append(tuple(runs))
        return out


def plot_lines(plot: Plot, look: Look) -> list:
    """The plot as lines: title, canvas with axes through the origin, what the axes are, the legend."""
    cols = max(30, min((look.width or 80) - 2, 72))
    rows = 16 if look.height is None else max(8, min(16, look.height - 10))
    canvas = Canvas(cols, rows)
    # Laid out in units of the largest coordinate, so that subnormal or huge vectors still give finite pixels.
    big = max(abs(v) for p in plot.points for v in (p.x, p.y)) if plot.points else 0.0
    unit = big if math.isfinite(big) and big > 0 else 1.0
    xs = [p.x / unit for p in plot.points] + [0.0]
    ys = [p.y / unit for p in plot.points] + [0.0]
    x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(ys), max(ys)
    span_x, span_y = (x_hi - x_lo) or 1.0, (y_hi - y_lo) or 1.0
    # One scale for both axes (a braille pixel is about square), so angles between arrows are true.
    width_px, height_px = 2 * cols - 1, 4 * rows - 1
    scale = min(width_px * 0.7 / span_x, height_px * 0.9 / span_y)
    x0 = (width_px - span_x * scale) / 2 - x_lo * scale
    y0 = (height_px - span_y * scale) / 2 + y_hi * scale

    def px(x: float, y: float) -> tuple[int, int]:
        return round(x0 + x / unit * scale), round(y0 - y / unit * scale)

    ox, oy = px(0.0, 0.0)
    canvas.line(0, oy, width_px, oy, ROLE_STYLE["axis"])
    canvas.line(ox, 0, ox, height_px, ROLE_STYLE["axis"])
    canvas.axis_rows, canvas.axis_cols = {oy // 4}, {ox // 2}
    for p in plot.points:
        x, y = px(p.x, p.y)
        if p.role == "query":
            canvas.dot(x, y, ROLE_STYLE["query"])
        else:
            canvas.line(ox, oy, x, y, ROLE_STYLE[p.role])
    marked = [p for p in plot.points if p.role != "query"]
    for p in marked:  # markers before labels, so that no label hides a point
        x, y = px(p.x, p.y)
        canvas.write(y // 4, x // 2, "●", ROLE_STYLE[p.role])
    # Labels where there is room, off the axes and clear of other labels: the focused query first, then
    # the keys by score, then the queries; near its point, over no arrow if it can be.
    ranked = sorted(plot.points, key=lambda p: ({"focus": 0, "key": 1, "query": 2}[p.role], -_score(p)))
    unplaced = []
    for p in ranked:
        x, y = px(p.x, p.y)
        row, col = y // 4, x // 2
        label = _label(p)
        size = cell_len(label)
        near, far = ([(row + dr, c) for dr in rows for c in (col + 2, col - 1 - size, col + 1, col - size)]
                     for rows in ((0, -1, 1), (-2, 2)))
        tries = [(s, over) for spots in (near, far) for over in (False, True) for s in spots]
        spot = next((s for s, over in tries if canvas.free(s[0], s[1], size, over)), None)
        if spot is not None:
            canvas.write(spot[0], spot[1], label, "bold" if p.role == "focus" else "")
        elif p.role != "query":
            unplaced.append(label)
    out = [Text(plot.title, style="bold"), Drawn(canvas.lines())]
    if unplaced:
        out.append(Text(f"no room beside their points: {', '.join(unplaced)}"))
    return out + [Text(plot.axes), Text(plot.legend)] + [Text(note) for note in plot.notes]


def _label(p) -> str:
    """'k:the#4 6.250', 'q:dog', 'q:the#0 = 0' for a zero vector."""
    text = ("k:" if p.role == "key" else "q:") + p.label
    if p.zero and p.role != "key":
        text += " = 0"
    elif p.zero:
        text += f" = 0 → {p.note}"
    elif p.note:
        text += f" {p.note}"
    return text


def _score(p) -> float:
    try:
        return float(p.note)
    except ValueError:
        return 0.0


def heatmap_block(view: MatrixView, look: Look) -> Laid:
    """A weight matrix as one coloured cell (or glyph) per weight, labels on both axes: 40+ tokens fit 80 columns."""
    values = view.values
    n_rows, n_cols = values.shape
    width = look.width or 100
    row_labels = [_abbreviate(str(t), 10) for t in view.row_labels]
    label_width = max(cell_len(t) for t in row_labels)
    col_labels = [str(t) for t in view.col_labels]
    longest = max(cell_len(t) for t in col_labels)
    room = width - label_width - 3
    if n_cols * (longest + 1) <= min(room, 8 * n_cols):  # few columns: labels read across, wide cells
        cell, upright = longest + 1, True
    else:
        cell, upright = (2 if 2 * n_cols <= room else 1), False
    cols = kept_indices(n_cols, max(2, room // cell))
    tall = 1 if upright else min(max(cell_len(t) for t in col_labels), 6)  # rows of column labels
    rows = list(range(n_rows))  # every row, however tall: presenter mode pages it like any step
    lines = [[(" " + view.caption, "bold")]]
    indent = (" " * (label_width + 2), "")
    if upright:
        lines.append([indent] + [(("…" if j is None else col_labels[j]).rjust(cell), "bold") for j in cols])
    else:
        for k in range(tall):
            words = ["…" if j is None else _abbreviate(col_labels[j], tall) for j in cols]
            lines.append([indent] + [((word[k] if k < len(word) else " ").ljust(cell), "bold") for word in words])
    for i in rows:
        line = [(" ", ""), (row_labels[i].ljust(label_width), "bold"), (" ", "")]
        for j in cols:
            if j is None:
                line.append(("…".center(cell), ""))
            elif look.color:
                line.append((" " * cell, f"on {shade(values[i, j], look.system)}"))
            else:
                line.append((RAMP[band(values[i, j])] * cell, ""))
        lines.append(line)
    if len(cols) < n_cols:
        shown = sum(j is not None for j in cols)
        lines.append([(f" showing all {n_rows} rows, {shown} of {n_cols} columns", "")])
    return pad_block(lines, 1 + tall + view.focus if view.focus is not None else None)


def heatmap_legend(look: Look) -> Text:
    """What a compact cell means: ten bands of 0.1, as colours or as glyphs."""
    text = Text("each cell one weight: 0 ")
    for k in range(BANDS + 1):
        w = min((k + 0.5) / BANDS, 1.0)
        if look.color:
            text.append(" ", style=f"on {shade(w, look.system)}")
        else:
            text.append(RAMP[k])
    text.append(" 1 (bands of 0.1; the last is exactly 1)" if look.color else " 1 (bands of 0.1; █ is exactly 1)")
    return text


def _abbreviate(text: str, room: int) -> str:
    return text if cell_len(text) <= room else text[:room - 1] + "…"
