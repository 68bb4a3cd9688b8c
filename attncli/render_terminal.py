"""Views as Rich renderables for the terminal, presenter mode and SVG/HTML/text exports; never computes, never prints."""

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from attncli.layout import (GLYPHS, Drawn, Laid, Look, Run, clipped, glyph, kept_indices, pad_block, text_width,
                            wrapped)
from attncli.limits import MAX_ROWS
from attncli.numbers import fixed, rgb_hex
from attncli.palette import cell_style, heat_colour, shade
from attncli.safe_text import visible
from attncli.views import (FORMULA, Banner, Bars, Boxed, Bullets, Grid, Heading, HeadGrid, Matrices, MatrixView,
                           Page, Paragraph, Title, View)


def heat_legend(color: bool, system: str | None = "truecolor") -> Text:
    """What the shading means: the same 0 → 1 scale in every table, one swatch per band of 0.1."""
    text = Text("weight scale: 0 ")
    if color:
        for w in list(np.arange(10) / 10 + 0.05) + [1.0]:
            text.append("  ", style=f"on {shade(w, system)}")
        text.append(" 1 (bands of 0.1; exactly 1 on its own)")
        return text
    else:
        for k, g in enumerate(GLYPHS):
            text.append(f" [{k / 5:.1f}, {(k + 1) / 5:.1f}{']' if k == 4 else ')'}='{g}'")
    text.append(" 1")
    return text


def _cell_width(view: MatrixView, precision: int) -> int:
    """The widest a cell of this matrix gets, from its largest magnitude."""
    if view.kind == "flags":
        return 1
    finite = view.values[np.isfinite(view.values)]
    # The longest text is that of the largest or of the most negative value: no room kept for a sign
    # that no value has (weights are never negative, and a 12×12 A then fits 120 columns).
    widest = max((len(fixed(float(v), precision)) for v in (finite.max(), finite.min())) if finite.size else (1,))
    if view.kind != "weights":
        return widest
    return widest + 2 + (view.previous is not None)  # shaded with a space either side; ▲/▼ after a change


_GAP = 2  # spaces between columns


def matrix_block(view: MatrixView, precision: int, *, color: bool = True, width: int | None = None,
                 look: Look | None = None) -> Laid:
    """A labelled matrix as aligned text; weights shaded by value (glyphs without colour); middle rows
    and columns elided when it would not fit `width`, and a note saying so.

    Laid out by hand rather than as a rich Table: a walkthrough holds a dozen matrices, and measuring
    Rich tables was half of `attncli explain`'s start-up (see benchmarks/startup.py).
    """
    look = look or Look(color, width)
    n_rows, n_cols = view.values.shape
    rows, cols, labels, headers = _kept(view, precision, look)
    label_width = max([cell_len(t) for t in labels.values()] + [1])
    cells = {i: {j: _cell(view, i, j, precision, look) for j in cols if j is not None} for i in labels}
    col_width = {j: max([cell_len(headers[j])] + [text_width(cells[i][j]) for i in cells if j is not None]) for j in cols}
    centred = view.kind == "flags"

    def line(label: Run, row_cells: list) -> list:
        runs = [(" ", ""), label, (" " * (label_width - cell_len(label[0])), "")]
        for j, cell in zip(cols, row_cells):
            pad = col_width[j] - text_width(cell)
            left = pad // 2 if centred or j is None else pad
            runs += [(" " * (_GAP + left), ""), *cell, (" " * (pad - left), "")]
        return runs

    # Every piece of text is its own run, so the padding between them stays a separate run of spaces:
    # exported SVG then places each number itself instead of relying on leading spaces.
    header = line(("", ""), [[(headers[j], "bold")] for j in cols])  # user text: a run, never markup
    room = None if look.width is None else look.width - 1
    lines = [[(" " + part, "bold")] for part in wrapped(view.caption, room)]
    lines += [header, [(" " + "─" * (text_width(header) - 1), "")]]
    top = len(lines)
    for i in rows:
        if i is None:
            lines.append(line(("⋮", ""), [[("⋮", "")] for _ in cols]))
        else:
            lines.append(line((labels[i], "bold"), [[("…", "")] if j is None else cells[i][j] for j in cols]))
    if view.kind == "colours":
        for i, runs in zip(rows, lines[top:]):
            if i is not None:
                runs += [("  ", "")] + swatch(view.values[i], look.color)
    shown_rows, shown_cols = (sum(i is not None for i in kept) for kept in (rows, cols))
    if shown_rows < n_rows or shown_cols < n_cols:
        note = (f"showing {shown_rows} of {n_rows} rows, {shown_cols} of {n_cols} columns;",
                "--format json has them all")
        parts = wrapped(" ".join(note), room)
        if len(parts) > 1:  # a narrow screen: each half of the note on lines of its own
            parts = wrapped(note[0], room) + wrapped(note[1], room)
        lines += [[(" " + part, "")] for part in parts]
    return pad_block(lines, top + rows.index(view.focus) if view.focus in rows else None)


def _kept(view: MatrixView, precision: int, look: Look) -> tuple[list, list, dict, dict]:
    """Which rows and columns of the matrix fit the look, and their labels (cut short with … only when not
    even one column would fit beside them): (rows, columns, row labels, column headers), None for a gap.

    Each column takes the width of its header or of its widest cell, whichever is larger: a column of
    ✓/✗ under 'because' is as wide as 'because'.
    """
    n_rows, n_cols = view.values.shape
    rows = kept_indices(n_rows, table_rows(look), view.focus)
    labels = {i: str(view.row_labels[i]) for i in rows if i is not None}
    cell = _cell_width(view, precision)
    width = look.width
    if width is None:
        return rows, list(range(n_cols)), labels, {j: str(view.col_labels[j]) for j in range(n_cols)}
    width -= _SWATCH[look.color] if view.kind == "colours" else 0
    # Only the first and last few columns can be shown: each takes at least a cell and the gap before it.
    most = min(n_cols, max(1, width // (_GAP + 1)))
    ends = sorted(set(range(most)) | set(range(n_cols - most, n_cols)))
    headers = {j: str(view.col_labels[j]) for j in ends}
    label_width = max([cell_len(t) for t in labels.values()] + [1])
    narrowest = 1 + label_width + _GAP + max(cell_len(headers[0]), cell) + (_GAP + 1 if n_cols > 1 else 0)
    if narrowest > width:  # one column and the gap's … must fit: long labels are cut short
        cap = max(1, (width - 2 * _GAP - 2 - cell) // 2)
        labels = {i: clipped(t, cap) for i, t in labels.items()}
        headers = {j: clipped(t, cap) for j, t in headers.items()}
        label_width = max([cell_len(t) for t in labels.values()] + [1])
    span = {j: _GAP + max(cell_len(headers[j]), cell) for j in ends}
    for room in range(most, 1, -1):
        cols = kept_indices(n_cols, room)
        if 1 + label_width + sum(_GAP + 1 if j is None else span[j] for j in cols) <= width:
            break
    else:  # the first column and the gap's …: what the labels were cut to fit
        cols = [0, None] if n_cols > 1 else [0]
    headers = {j: "…" if j is None else headers[j] for j in cols}
    return rows, cols, labels, headers


_SWATCH = {True: 16, False: 9}  # the cells a colour's swatch takes after its row: "  ▕████▏ #rrggbb", or its code


def side_by_side(blocks: list[Laid], width: int | None, gap: int = 4) -> Drawn:
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
    out: list[tuple] = []
    anchor = None
    for b, band in enumerate(bands):
        if b:
            out.append(())
        if anchor is None:
            anchor = min((len(out) + block.anchor for block in band if block.anchor is not None), default=None)
        for k in range(max(len(block.lines) for block in band)):
            line: list = []
            for n, block in enumerate(band):
                if n:
                    line.append((" " * gap, ""))
                line.extend(block.lines[k] if k < len(block.lines) else ((" " * block.width, ""),))
            out.append(tuple(line))
    return Drawn(out, max(sum(block.width for block in band) + gap * (len(band) - 1) for band in bands), anchor)


def swatch(rgb, color: bool) -> list:
    """A patch of the colour in a frame (so white shows on a white page, black on black) and its hex
    code; the code alone without colour."""
    code = rgb_hex(rgb)
    return [("▕", ""), ("████", code), ("▏ ", ""), (code, "")] if color else [(code, "")]


def table_rows(look: Look) -> int:
    """Rows a table shows before eliding its middle: MAX_ROWS, or what fits the screen in presenter mode."""
    return MAX_ROWS if look.height is None else max(3, min(MAX_ROWS, look.height - 8))


def _cell(view: MatrixView, i: int, j: int, precision: int, look: Look) -> list:
    """The runs of one cell: a number, a shaded weight (with ▲/▼ after a live change), or a flag."""
    value, kind = view.values[i, j], view.kind
    if kind == "flags":
        return [("✓", "green")] if value else [("✗", "red")]
    text = fixed(float(value), precision)
    if kind != "weights":
        return [(text, "default")]
    cell = [(f" {text} ", cell_style(value, look.system))] if look.color else \
        [(f"{text} {glyph(value)}", "default")]
    if view.previous is not None:
        moved = float(value) - float(view.previous[i, j])
        cell.append(("▲" if moved > MOVED else "▼" if moved < -MOVED else " ", "bold"))
    return cell


MOVED = 0.01  # a weight that changed by more than this after a live change gets ▲ or ▼


def title_panel(title: str, description: str = "", subtitle: str = FORMULA) -> Panel:
    # titles may quote a file, a folder's name or the user's sentence: shown, never obeyed (visible is idempotent)
    lines = [Text(visible(title), style="bold"), Text(visible(subtitle))]
    if description:
        lines.append(Text(visible(description, multiline=True)))
    return Panel(Group(*lines), box=box.ROUNDED, expand=False)


def render_page(page: Page, precision: int = 3, *, color: bool = True, width: int | None = None,
                look: Look | None = None) -> Group:
    """One page of a view as Rich renderables."""
    look = look or Look(color, width)
    parts: list[RenderableType] = []
    previous = None
    for block in page.blocks:
        if isinstance(block, Matrices) and isinstance(previous, Matrices):
            parts.append(Text(""))
        parts.extend(_render_block(block, precision, look))
        previous = block
    return Group(*parts)


def render_pages(view: View, *, color: bool = True, width: int | None = None,
                 look: Look | None = None) -> list[RenderableType]:
    """Every page of a view, for presenter mode or to be joined."""
    look = look or Look(color, width)
    return [render_page(page, view.precision, look=look) for page in view.pages]


def _render_block(block, precision: int, look: Look) -> list[RenderableType]:
    from attncli.views.pictures import Heatmaps, Plot

    color, width = look.color, look.width
    if isinstance(block, Plot):
        from attncli.render_pictures import plot_lines

        return plot_lines(block, look)
    if isinstance(block, Heatmaps):
        from attncli.render_pictures import heatmap_block, heatmap_legend

        return [side_by_side([heatmap_block(v, look) for v in block.views], width), heatmap_legend(look)]
    if isinstance(block, Title):
        return [title_panel(block.title, block.description, block.subtitle), Text("")]
    if isinstance(block, Banner):
        return [Panel(Text(block.text, style="bold"), box=box.HEAVY, expand=False)]
    if isinstance(block, Heading):
        return [Text.assemble((f"Step {block.number}  ", "bold cyan"), (block.text, "bold"))]
    if isinstance(block, Paragraph):
        return [Text(block.text, style=_PARAGRAPH_STYLES[block.role])]
    if isinstance(block, Matrices):
        return _render_matrices(block, precision, look)
    if isinstance(block, Grid):
        return _grid(block, look)
    if isinstance(block, Boxed):
        return [Panel(Text("\n".join(block.lines)), title=Text(block.title), title_align="left", box=box.ROUNDED,
                      expand=False)]
    if isinstance(block, Bullets):
        return [Text("• " + line) for line in block.lines]
    if isinstance(block, Bars):
        return [Text(block.title, style="bold"), _bars(block)]
    from attncli.views import Code

    if isinstance(block, Code):
        return [Panel(Text("\n".join(block.lines), style="green"), title=block.language, title_align="left",
                      box=box.ROUNDED, expand=False, border_style="dim")]
    if isinstance(block, HeadGrid):
        return head_grid(block, color, width)
    raise TypeError(f"no terminal rendering for {type(block).__name__}")


# Nothing dim or italic: lessons and notes are read from the back of a room; a lesson is set off by colour.
_PARAGRAPH_STYLES = {"plain": "", "lesson": "cyan", "note": "", "strong": "bold"}


def _render_matrices(block: Matrices, precision: int, look: Look) -> list[RenderableType]:
    if look.fit and any(v.kind == "weights" and _elided(v, precision, look) for v in block.views):
        from attncli.views.pictures import Heatmaps

        return [Text("The table of weights does not fit this screen, so each weight is one cell "
                     "(--format json has every number):")] + _render_block(Heatmaps(block.views), precision, look)
    out: list[RenderableType] = [side_by_side([matrix_block(v, precision, look=look) for v in block.views],
                                              look.width)]
    if any(view.kind == "weights" for view in block.views):
        out.append(heat_legend(look.color, look.system))
    if any(view.previous is not None for view in block.views):
        out.append(Text(f"▲/▼: the weight rose/fell by more than {MOVED} with the last change"))
    if any(view.kind == "colours" for view in block.views):
        out.append(Text("each row of numbers is a red, green, blue colour from 0 to 1"))
    return out


def _elided(view: MatrixView, precision: int, look: Look) -> bool:
    """Whether the table of this matrix would leave rows or columns out at this size."""
    rows, cols, _, _ = _kept(view, precision, look)
    return None in rows or None in cols


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


def grid_table(headers, rows, title: str = "", numeric: bool = True, shades=None,
               system: str | None = "truecolor", widths: list[int] | None = None) -> Table:
    """A plain table of text cells: the first column bold, numbers right-aligned; long tables elided.

    shades: per cell a weight to shade it by (None: plain); a shaded table's cells never wrap, so that each
    row stays one line. widths: each column's width, its text wrapped (a long name in the first column
    folded, even in a shaded table) to fit it."""
    table = Table(title=Text(title, style="bold") if title else None, box=box.SIMPLE_HEAD, pad_edge=False)
    for k, header in enumerate(headers):
        fixed_width = {} if widths is None else {"width": widths[k], "overflow": "ellipsis" if k else "fold"}
        table.add_column(Text(header), justify="right" if k and numeric else "left", style="bold" if k == 0 else None,
                         no_wrap=shades is not None and not (k == 0 and widths), **fixed_width)
    for i in kept_indices(len(rows), MAX_ROWS):
        if i is None:
            table.add_row(*(Text("⋮") for _ in headers))
        else:
            row_shades = shades[i] if shades is not None else (None,) * len(rows[i])
            table.add_row(*(Text(cell) if w is None else Text(cell, style=cell_style(w, system))
                            for cell, w in zip(rows[i], row_shades)))
    return table


def _grid(block: Grid, look: Look) -> list[RenderableType]:
    """A Grid; its narrow rows where the table would not fit the width, and the weight scale when shaded."""
    rows, note = block.rows, ""
    if block.narrow is not None and look.width is not None and grid_width(block.headers, block.rows) > look.width:
        rows, note = block.narrow, block.narrow_note
    shaded = block.shades is not None and look.color
    headers, shades, widths, kept = block.headers, block.shades if shaded else None, None, ""
    if look.width is not None and grid_width(headers, rows) > look.width:
        headers, rows, shades, widths, kept = _fitting(headers, rows, shades, look.width)
    out: list[RenderableType] = [grid_table(headers, rows, block.title, block.numeric, shades, look.system, widths)]
    out += [Text(line) for line in (note, kept) if line]
    if shaded:
        out.append(heat_legend(True, look.system))
    return out


FOLD = 10  # the narrowest a table's first column is folded to, to keep the other columns whole
CUT = 4  # the narrowest a column of words is cut to ("penc…"); a column with numbers is never cut


def _fitting(headers, rows, shades, width: int) -> tuple:
    """A table too wide for `width`, laid out so that no number is cut short: (headers, rows, shades, each
    column's width, a note when columns are left out).

    Squeezed by Rich, such a table cuts its numbers short ("0.…"). Here a cell with a number stays whole,
    words wrap at spaces (in a shaded table they stay on one line) and may be cut short with … (to CUT
    cells), the names in the first column fold onto more lines (to FOLD cells at least), and when that is
    still too wide the middle columns are left out and a note says how many show.
    """
    wrap = shades is None
    columns = list(zip(headers, *rows))
    full = [max(_text_width(cell) for cell in column) for column in columns]
    least = [max([min(_least(column[0], wrap), CUT)] + [_least(cell, wrap, j > 0) for cell in column[1:]])
             for j, column in enumerate(columns)]
    least[0] = min(least[0], FOLD)  # a name longer than FOLD is folded onto more lines (the row's only wrap)
    n = len(headers)
    cols = list(range(n))
    spare = lambda cols: width - (sum(1 if j is None else least[j] for j in cols) + 3 * (len(cols) - 1) + 2)
    room = n - 1
    while spare(cols) < 0 and room > 1:
        room -= 1
        cols = [0] + [None if j is None else j + 1 for j in kept_indices(n - 1, room)]
    widths = [1 if j is None else least[j] for j in cols]
    extra = max(spare(cols), 0)
    while extra:  # what is left goes a cell at a time to the columns short of their full width
        short = [k for k, j in enumerate(cols) if j is not None and widths[k] < full[j]]
        if not short:
            break
        for k in short[:extra]:
            widths[k] += 1
        extra -= min(extra, len(short))
    if len(cols) == n:
        return headers, rows, shades, widths, ""
    pick = lambda row: tuple("…" if j is None else row[j] for j in cols)
    if shades is not None:
        shades = tuple(tuple(None if j is None else row[j] for j in cols) for row in shades)
    shown = sum(j is not None for j in cols)
    return (pick(headers), tuple(pick(row) for row in rows), shades, widths,
            f"showing {shown} of {n} columns; --export FILE.md has them all")


def _least(cell: str, wrap: bool, cut: bool = False) -> int:
    """The fewest cells a table cell can take: a short label with a number in it whole ('f .88', '9/31');
    other text, its longest word when it may wrap (each number whole), and with cut and no digit, CUT."""
    widest = max((cell_len(word) for word in (cell.split() if wrap else cell.split("\n"))), default=0)
    if any(ch.isdigit() for ch in cell):
        whole = _text_width(cell)
        return whole if whole <= WHOLE else widest
    return min(widest, CUT) if cut else widest


WHOLE = 12  # a label with a number up to this long is never broken across lines


def _text_width(cell: str) -> int:
    """The cells a table cell takes across: its longest line."""
    return max(cell_len(line) for line in cell.split("\n"))


def grid_width(headers, rows) -> int:
    """The cells grid_table takes across: its columns, 3 between two of them (a space either side of the
    box's blank rule) and 1 at each edge."""
    widths = [max(_text_width(cell) for cell in column) for column in zip(headers, *rows)]
    return sum(widths) + 3 * (len(widths) - 1) + 2


def head_grid(block: HeadGrid, color: bool, width: int | None) -> list[RenderableType]:
    """Each layer on a row of its own, its heads side by side: a heatmap of one cell per weight when a
    layer fits `width` so in one band, else a thumbnail of spans of tokens per head, a layer
    to a row (a long text, a model with many heads)."""
    width = width or 120
    layers: dict[int, list] = {}
    for tile in block.tiles:
        layers.setdefault(tile.layer, []).append(tile)
    label_width = max([cell_len(t) for t in block.row_labels] + [1])
    n = len(block.col_labels)
    tile_width = max([n] + [cell_len(f"{t.name} {t.kind}") for t in block.tiles])
    most = max(len(heads) for heads in layers.values())
    out: list[RenderableType] = [Text(block.title, style="bold")] if block.title else []
    per_band = max(1, (width - label_width) // (_GAP + tile_width))
    if label_width + _GAP + tile_width <= width and most <= per_band:
        out.append(Text("Column letters are the keys' initials ([CLS] → C, [SEP] → S), in the order of the tokens."))
        for heads in layers.values():
            for start in range(0, len(heads), per_band):
                laid = _full_band(block, heads[start:start + per_band], tile_width, label_width, color)
                out += [Drawn(laid.lines, laid.width), Text("")]
    else:
        out += _thumbnails(block, list(layers.items()), most, color, width)
    out.append(heat_legend(color))
    return out


def _full_band(block: HeadGrid, band: list, tile_width: int, label_width: int, color: bool) -> Laid:
    """Heads side by side, one cell per weight, the keys' initials above each and the queries to the left."""
    n_rows, n_cols = len(block.row_labels), len(block.col_labels)
    cols, rows = list(range(n_cols)), kept_indices(n_rows, MAX_ROWS)
    axis = ("".join(block.col_labels), "dim")
    names, axes = [(" " * label_width, "")], [(" " * label_width, "")]
    for tile in band:
        heading = f"{tile.name} {tile.kind}"
        names += [(" " * _GAP, ""), (tile.name, "bold"), (" " + tile.kind + " " * (tile_width - cell_len(heading)), "")]
        axes += [(" " * _GAP, ""), axis, (" " * (tile_width - n_cols), "")]
    lines = [names, axes]
    for i in rows:
        label = "⋮" if i is None else block.row_labels[i]
        line = [(label + " " * (label_width - cell_len(label)), "bold")]
        for tile in band:
            line += [(" " * _GAP, ""), *_tile_row(tile.weights, i, cols, color), (" " * (tile_width - n_cols), "")]
        lines.append(line)
    return pad_block(lines)


def _thumbnails(block: HeadGrid, layers: list, most: int, color: bool, width: int) -> list[RenderableType]:
    from attncli.views.gallery import pooled, span_words, spans

    n = len(block.col_labels)
    label_width = max(len(f"{n - 1}–{n - 1}"), len(f"L{layers[-1][0]}"))
    cell = max(2, min(n, (width - label_width) // most - 1))  # a tile's columns, a space between tiles
    per_band = max(1, (width - label_width) // (cell + 1))
    cols = spans(n, cell)
    rows = spans(n, max(1, (len(cols) + 1) // 2))  # a terminal cell is about twice as tall as wide: tiles look square
    words = (f"{len(block.tiles)} heads, one row per layer: each cell is the share of its weight that "
             f"{span_words(rows, 'query', 'queries')} (positions on the left, from 0) gives "
             f"{span_words(cols, 'key', 'keys')}, left to right; --layer L --head H shows one head whole.")
    out: list[RenderableType] = [Text(words)]
    fit = lambda text: (text if len(text) <= len(cols) else text[:len(cols) - 1] + "…").ljust(len(cols))
    widest = max((heads for _, heads in layers), key=len)
    lines: list[list] = []
    for start in range(0, len(widest), per_band):  # the heads' numbers once, above every layer's row
        lines.append([(" " * label_width, "")] + [piece for tile in widest[start:start + per_band]
                                                   for piece in ((" ", ""), (fit(_head_number(tile.head, len(cols))),
                                                                             "bold"))])
    for layer, heads in layers:
        for start in range(0, len(heads), per_band):
            band = heads[start:start + per_band]
            title = [(f"L{layer}".ljust(label_width), "bold")]
            for tile in band:
                title += [(" ", ""), (fit(tile.kind), "bold" if tile.kind != "broad" else "")]
            lines.append(title)
            grids = [pooled(tile.weights, rows, cols) for tile in band]
            for r, (a, b) in enumerate(rows):
                line = [(f"{a}–{b - 1}" if b - a > 1 else f"{a}").rjust(label_width), "dim"]
                line = [line]
                for grid in grids:
                    line += [(" ", ""), *_tile_row(grid, r, list(range(len(cols))), color)]
                lines.append(line)
    laid = pad_block(lines)
    return out + [Drawn(laid.lines, laid.width), Text("")]


def _head_number(head: int, room: int) -> str:
    """H10 above a head's thumbnail, or 10 where H10 would be cut to H…."""
    return f"H{head}" if len(f"H{head}") <= room else str(head)


def _tile_row(weights: np.ndarray, i: int | None, cols: list[int | None], color: bool) -> list:
    """One row of a head's heatmap: a coloured block per weight, or a shade glyph without colour."""
    if i is None:
        return [("·" * len(cols), "dim")]
    return [("·", "dim") if j is None else ("█", heat_colour(weights[i, j])) if color else (glyph(weights[i, j]), "")
            for j in cols]
