"""Views as Rich renderables for the terminal, presenter mode and SVG/HTML/text exports; never computes, never prints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from attncli.numbers import fixed, rgb_hex
from attncli.views import (Banner, Bars, Boxed, Bullets, Grid, Heading, Matrices, MatrixView, Page, Paragraph,
                           Title, View)
from attncli.views.walkthrough import FORMULA

# Viridis: sequential, perceptually uniform and readable with every common colour-vision deficiency.
_VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#fde725"]
GLYPHS = " ░▒▓█"


def heat_colour(w: float) -> str:
    """The viridis colour of a weight in [0, 1], as #rrggbb."""
    w = min(max(float(w), 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(w), len(_VIRIDIS) - 2)
    t = w - i
    a, b = (tuple(int(code[k:k + 2], 16) for k in (1, 3, 5)) for code in (_VIRIDIS[i], _VIRIDIS[i + 1]))
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def glyph(w: float) -> str:
    """A block glyph for a weight in [0, 1], for output without colour: ' ' below 0.2 … '█' from 0.8."""
    return GLYPHS[min(int(max(float(w), 0.0) * len(GLYPHS)), len(GLYPHS) - 1)]


def heat_legend(color: bool) -> Text:
    """What the shading means: the same 0 → 1 scale in every table."""
    text = Text("weight scale: 0 ", style="dim")
    if color:
        for w in np.linspace(0, 1, 11):
            text.append("  ", style=f"on {heat_colour(w)}")
    else:
        for k, g in enumerate(GLYPHS):
            text.append(f" [{k / 5:.1f}, {(k + 1) / 5:.1f}{']' if k == 4 else ')'}='{g}'")
    text.append(" 1")
    return text


MAX_ROWS = 40  # rows shown per table before the middle ones are elided


def _kept(n: int, room: int) -> list[int | None]:
    """Indices to show out of n when only `room` fit: the first and last ones, None for the gap."""
    if n <= room:
        return list(range(n))
    head = room // 2
    tail = room - 1 - head
    return list(range(head)) + [None] + list(range(n - tail, n))


def _cell_width(view: MatrixView, precision: int) -> int:
    """The widest a cell of this matrix gets, from its largest magnitude."""
    if view.kind == "flags":
        return 1
    finite = np.abs(view.values[np.isfinite(view.values)])
    widest = len(fixed(float(finite.max()) if finite.size else 0.0, precision)) + 1  # room for a sign
    return widest + 2 if view.kind == "weights" else widest


@dataclass(frozen=True, eq=False)
class Laid:
    """A rendered matrix: lines of styled text, all `width` cells wide."""

    lines: tuple[Text, ...]
    width: int


_GAP = 2  # spaces between columns


def matrix_block(view: MatrixView, precision: int, *, color: bool = True, width: int | None = None) -> Laid:
    """A labelled matrix as aligned text; weights shaded by value (glyphs without colour); middle rows
    and columns elided when it would not fit `width`.

    Laid out by hand rather than as a rich Table: a walkthrough holds a dozen matrices, and measuring
    Rich tables was half of `attncli explain`'s start-up (see benchmarks/startup.py).
    """
    n_rows, n_cols = view.values.shape
    rows = _kept(n_rows, MAX_ROWS)
    labels = {i: str(view.row_labels[i]) for i in rows if i is not None}
    label_width = max([cell_len(t) for t in labels.values()] + [1])
    room = n_cols if width is None else max(2, (width - 1 - label_width) // (_cell_width(view, precision) + _GAP))
    cols = _kept(n_cols, room)
    cells = {i: {j: _cell(view.values[i, j], view.kind, precision, color) for j in cols if j is not None}
             for i in labels}
    headers = {j: ("…" if j is None else str(view.col_labels[j])) for j in cols}
    col_width = {}
    for j in cols:
        widest = max((cells[i][j].cell_len for i in cells), default=1) if j is not None else 1
        col_width[j] = max(widest, cell_len(headers[j]))

    def line(label: Text, row_cells: list[Text]) -> Text:
        text = Text(" ")
        text.append_text(label)
        text.append(" " * (label_width - label.cell_len))
        for j, cell in zip(cols, row_cells):
            pad = col_width[j] - cell.cell_len
            left = pad // 2 if view.kind == "flags" or j is None else pad
            text.append(" " * (_GAP + left))
            text.append_text(cell)
            text.append(" " * (pad - left))
        return text

    # Every piece of text carries a style, so the padding between them stays a separate run of spaces:
    # exported SVG then places each number itself instead of relying on leading spaces.
    header = line(Text(""), [Text(headers[j], style="bold") for j in cols])  # user text: Text, never markup
    lines = [Text(" " + view.caption, style="bold"), header, Text(" " + "─" * (header.cell_len - 1), style="dim")]
    for i in rows:
        if i is None:
            lines.append(line(Text("⋮", style="dim"), [Text("⋮", style="dim") for _ in cols]))
        else:
            lines.append(line(Text(labels[i], style="bold"),
                              [Text("…", style="dim") if j is None else cells[i][j] for j in cols]))
    if view.kind == "colours":
        for i, line_text in zip(rows, lines[3:]):
            if i is not None:
                line_text.append("  ")
                line_text.append_text(swatch(view.values[i], color))
    if len(rows) < n_rows or len(cols) < n_cols:
        shown_rows, shown_cols = (sum(i is not None for i in kept) for kept in (rows, cols))
        lines.append(Text(f" showing {shown_rows} of {n_rows} rows, {shown_cols} of {n_cols} columns; "
                          "--format json has them all", style="dim"))
    block_width = max(t.cell_len for t in lines)
    for t in lines:
        t.append(" " * (block_width - t.cell_len))
    return Laid(tuple(lines), block_width)


def side_by_side(blocks: list[Laid], width: int | None, gap: int = 4) -> Text:
    """Blocks next to each other, starting a new band where the width runs out."""
    bands: list[list[Laid]] = []
    used = 0
    for block in blocks:
        if bands and (width is None or used + gap + block.width <= width):
            bands[-1].append(block)
            used += gap + block.width
        else:
            bands.append([block])
            used = block.width
    out = Text(no_wrap=True, overflow="crop")
    for b, band in enumerate(bands):
        if b:
            out.append("\n\n")
        height = max(len(block.lines) for block in band)
        for k in range(height):
            if k:
                out.append("\n")
            for n, block in enumerate(band):
                if n:
                    out.append(" " * gap)
                out.append_text(block.lines[k] if k < len(block.lines) else Text(" " * block.width))
    return out


def swatch(rgb, color: bool) -> Text:
    """A patch of the colour and its hex code; the code alone without colour."""
    code = rgb_hex(rgb)
    text = Text()
    if color:
        text.append("████", style=code)
        text.append(" ")
    text.append(code)
    return text


def _cell(value, kind: str, precision: int, color: bool) -> Text:
    if kind == "flags":
        return Text("✓", style="green") if value else Text("✗", style="red")
    text = fixed(float(value), precision)
    if kind != "weights":
        return Text(text, style="default")
    if color:
        fg = "black" if value > 0.55 else "white"
        return Text(f" {text} ", style=f"{fg} on {heat_colour(value)}")
    return Text(f"{text} {glyph(value)}", style="default")


def title_panel(title: str, description: str = "", subtitle: str = FORMULA) -> Panel:
    lines = [Text(title, style="bold"), Text(subtitle)]
    if description:
        lines.append(Text(description, style="dim"))
    return Panel(Group(*lines), box=box.ROUNDED, expand=False)


def render_page(page: Page, precision: int = 3, *, color: bool = True, width: int | None = None) -> Group:
    """One page of a view as Rich renderables."""
    parts: list[RenderableType] = []
    previous = None
    for block in page.blocks:
        if isinstance(block, Matrices) and isinstance(previous, Matrices):
            parts.append(Text(""))
        parts.extend(_render_block(block, precision, color, width))
        previous = block
    return Group(*parts)


def render_pages(view: View, *, color: bool = True, width: int | None = None) -> list[RenderableType]:
    """Every page of a view, for presenter mode or to be joined."""
    return [render_page(page, view.precision, color=color, width=width) for page in view.pages]


def _render_block(block, precision: int, color: bool, width: int | None) -> list[RenderableType]:
    if isinstance(block, Title):
        return [title_panel(block.title, block.description, block.subtitle), Text("")]
    if isinstance(block, Banner):
        return [Panel(Text(block.text, style="bold"), box=box.HEAVY, expand=False)]
    if isinstance(block, Heading):
        return [Text.assemble((f"Step {block.number}  ", "bold cyan"), (block.text, "bold"))]
    if isinstance(block, Paragraph):
        return [Text(block.text, style=_PARAGRAPH_STYLES[block.role])]
    if isinstance(block, Matrices):
        return _render_matrices(block, precision, color, width)
    if isinstance(block, Grid):
        return [grid_table(block.headers, block.rows, block.title, block.numeric)]
    if isinstance(block, Boxed):
        return [Panel(Text("\n".join(block.lines)), title=block.title, title_align="left", box=box.ROUNDED,
                      expand=False)]
    if isinstance(block, Bullets):
        return [Text("• " + line) for line in block.lines]
    if isinstance(block, Bars):
        return [Text(block.title, style="bold"), _bars(block)]
    from attncli.views import Code  # imported here: one added hunk in a file others edit too

    if isinstance(block, Code):
        return [Panel(Text("\n".join(block.lines), style="green"), title=block.language, title_align="left",
                      box=box.ROUNDED, expand=False, border_style="dim")]
    raise TypeError(f"no terminal rendering for {type(block).__name__}")


_PARAGRAPH_STYLES = {"plain": "", "lesson": "italic", "note": "dim", "strong": "bold"}


def _render_matrices(block: Matrices, precision: int, color: bool, width: int | None) -> list[RenderableType]:
    out: list[RenderableType] = [side_by_side([matrix_block(v, precision, color=color, width=width)
                                                         for v in block.views], width)]
    if any(view.kind == "weights" for view in block.views):
        out.append(heat_legend(color))
    if any(view.kind == "colours" for view in block.views):
        out.append(Text("each row of numbers is a red, green, blue colour from 0 to 1", style="dim"))
    return out


def _bars(block: Bars) -> Text:
    plot = Text()
    for label, length, value in block.bars:
        plot.append(f" {label}  ", style="bold")
        plot.append("█" * max(1, round(50 * length)), style="cyan")
        plot.append(f" {value}\n")
    return plot


def joined(pages: list[RenderableType]) -> Group:
    parts: list[RenderableType] = []
    for page in pages:
        if parts:
            parts.append(Text(""))
        parts.append(page)
    return Group(*parts)


def grid_table(headers, rows, title: str = "", numeric: bool = True) -> Table:
    """A plain table of text cells: the first column bold, numbers right-aligned; long tables elided."""
    table = Table(title=Text(title, style="bold") if title else None, box=box.SIMPLE_HEAD, pad_edge=False)
    for k, header in enumerate(headers):
        table.add_column(Text(header), justify="right" if k and numeric else "left", style="bold" if k == 0 else None)
    for i in _kept(len(rows), MAX_ROWS):
        table.add_row(*(Text(cell) for cell in (rows[i] if i is not None else ["⋮"] * len(headers))))
    return table
