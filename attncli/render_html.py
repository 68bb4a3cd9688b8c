"""Views as a self-contained HTML fragment with inline styles, for Jupyter and web pages; never computes.

Readable in light and dark themes: text inherits the page's colour, and every shaded cell sets both its
background (the terminal's viridis) and a text colour with at least 4.5:1 contrast against it (WCAG AA).
"""

from __future__ import annotations

from html import escape

from attncli.numbers import fixed, rgb_hex
from attncli.safe_text import visible
from attncli.views import (Banner, Bars, Boxed, Bullets, Code, Grid, Heading, HeadGrid, Matrices, MatrixView, Paragraph,
                           Title, View)

MAX_ROWS = 40  # rows (and columns) shown per table before the middle ones are elided, as in the terminal
_RULE = "rgba(127, 127, 127, 0.5)"  # grey lines and boxes: visible on white and on black
_SHADE = "rgba(127, 127, 127, 0.15)"
_MONO = "font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
# Flags as explicit pairs of background and text colour, so they read the same in any theme.
_YES = ("#c8e6c9", "#1b5e20")
_NO = ("#ffcdd2", "#b71c1c")


def render(view: View) -> str:
    """The whole view as one <div>: every page, every block, numbers at the view's precision."""
    return ('<div class="attncli" style="font-family: system-ui, -apple-system, sans-serif; line-height: 1.4; '
            f'color: inherit">\n' + _body(view) + "\n</div>")


def _body(view: View) -> str:
    parts = [_block(block, view.precision) for page in view.pages for block in page.blocks]
    return "\n".join(p for p in parts if p)


# Black on white in a serif face, every table cell ruled, and no table or heading split from what follows it.
_PRINT_CSS = """
body { font-family: Georgia, "Times New Roman", serif; color: #000; background: #fff;
       max-width: 50em; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.4em 0 1.2em; }
th, td { border: 1px solid #777; }
td.blank { min-width: 9em; height: 1.8em; }
tr { page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } div { page-break-after: avoid; } }
""".strip()


def printable(view: View) -> str:
    """The view as a standalone HTML page to print, such as a worksheet: black on white, serif, ruled tables."""
    return "\n".join(["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                      f"<title>{escape(visible(view.title))}</title>", f"<style>\n{_PRINT_CSS}\n</style>", "</head>", "<body>",
                      _body(view), "</body>", "</html>"]) + "\n"


def _block(block, precision: int) -> str:
    if isinstance(block, Title):
        lines = [f'<div style="font-weight: bold; font-size: 1.2em">{escape(visible(block.title))}</div>']
        if block.subtitle:
            lines.append(f'<code style="{_MONO}">{escape(visible(block.subtitle))}</code>')
        if block.description:
            lines.append(f'<div style="font-style: italic">{escape(visible(block.description, multiline=True))}</div>')
        return (f'<div style="border: 1px solid {_RULE}; border-radius: 6px; padding: 0.4em 0.8em; margin: 0.5em 0; '
                f'display: inline-block">{"".join(lines)}</div>')
    if isinstance(block, Banner):
        return (f'<div style="font-weight: bold; border: 2px solid {_RULE}; padding: 0.2em 0.6em; margin-top: 1em; '
                f'display: inline-block">{escape(block.text)}</div>')
    if isinstance(block, Heading):
        return (f'<h4 style="margin: 1em 0 0.3em">Step {escape(block.number)}&nbsp;&nbsp;'
                f'{escape(block.text)}</h4>')
    if isinstance(block, Paragraph):
        style = {"lesson": "font-style: italic", "note": "font-size: 0.9em", "strong": "font-weight: bold"}
        return f'<p style="margin: 0.3em 0; {style.get(block.role, "")}">{escape(block.text)}</p>'
    if isinstance(block, Matrices):
        return _matrices(block, precision)
    if isinstance(block, Grid):
        return _grid(block)
    if isinstance(block, Boxed):
        return (f'<div style="font-weight: bold; margin-top: 0.8em">{escape(block.title)}</div>'
                f'<pre style="{_MONO}; border: 1px solid {_RULE}; border-radius: 6px; padding: 0.5em; '
                f'color: inherit; background: none">{escape(chr(10).join(block.lines))}</pre>')
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in block.lines) + "</ul>"
    if isinstance(block, Bars):
        return _bars(block)
    if isinstance(block, Code):
        return code_html(block)
    if isinstance(block, HeadGrid):
        return head_grid_html(block)
    from attncli.views.pictures import Heatmaps, Plot

    if isinstance(block, Plot):  # the terminal's braille picture, as text
        from attncli.render_pictures import plot_lines
        from attncli.layout import Look

        text = "\n".join(line.plain for line in plot_lines(block, Look(color=False, width=80)))
        return (f'<pre style="{_MONO}; color: inherit; background: none; line-height: 1.15">'
                f'{escape(text)}</pre>')
    if isinstance(block, Heatmaps):
        return "".join(matrix_html(view, precision) for view in block.views)
    raise TypeError(f"no HTML for {type(block).__name__}")


def code_html(block: Code) -> str:
    """The lines that compute a step, labelled with their language."""
    return (f'<pre style="{_MONO}; background: {_SHADE}; color: inherit; border-radius: 4px; padding: 0.4em 0.6em; '
            f'margin: 0.3em 0" title="{escape(block.language)}"><code>{escape(chr(10).join(block.lines))}</code></pre>')


# ---- colours -------------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = []
    for k in (1, 3, 5):
        c = int(colour[k:k + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours, from 1 to 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever contrasts more with the background (always at least 4.58:1)."""
    return "#000000" if contrast(background, "#000000") >= contrast(background, "#ffffff") else "#ffffff"


def weight_colours(w: float) -> tuple[str, str]:
    """(background, text) of a weight's cell: the terminal's viridis shade and a readable text colour."""
    from attncli.palette import heat_colour  # one palette for terminal, exports and notebooks

    bg = heat_colour(w)
    return bg, text_on(bg)


# ---- tables --------------------------------------------------------------------------------------


def _kept(n: int, room: int = MAX_ROWS) -> list[int | None]:
    """Indices to show out of n: the first and last ones, None for the elided middle."""
    if n <= room:
        return list(range(n))
    head = room // 2
    return list(range(head)) + [None] + list(range(n - (room - 1 - head), n))


_TD = f"padding: 2px 7px; text-align: right; {_MONO}; white-space: nowrap"
_TH = f"padding: 2px 7px; text-align: right; font-weight: bold; white-space: nowrap; border-bottom: 1px solid {_RULE}"


def matrix_html(view: MatrixView, precision: int) -> str:
    """One labelled matrix as a table; weights shaded by value, flags as ✓/✗, colours with a swatch."""
    n_rows, n_cols = view.values.shape
    rows, cols = _kept(n_rows), _kept(n_cols)
    head = "".join(f'<th style="{_TH}">{"…" if j is None else escape(str(view.col_labels[j]))}</th>' for j in cols)
    if view.kind == "colours":
        head += f'<th style="{_TH}"></th>'
    body = []
    for i in rows:
        if i is None:
            body.append("<tr>" + f'<td style="{_TD}">⋮</td>' * (len(cols) + 1) + "</tr>")
            continue
        cells = [f'<th style="{_TH}; text-align: left; border-bottom: none">{escape(str(view.row_labels[i]))}</th>']
        cells += [f'<td style="{_TD}">…</td>' if j is None else _cell(view.values[i, j], view.kind, precision)
                  for j in cols]
        if view.kind == "colours":
            code = rgb_hex(view.values[i])
            cells.append(f'<td style="{_TD}"><span style="display: inline-block; width: 2.5em; height: 1em; '
                         f'vertical-align: middle; background: {code}; border: 1px solid {_RULE}"></span> {code}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if len(rows) < n_rows or len(cols) < n_cols:
        note = (f'<div style="font-size: 0.85em">showing {sum(i is not None for i in rows)} of {n_rows} rows, '
                f'{sum(j is not None for j in cols)} of {n_cols} columns</div>')
    return (f'<div><div style="font-weight: bold; margin-bottom: 0.2em">{escape(view.caption)}</div>'
            f'<table style="border-collapse: collapse; margin: 0">'
            f'<thead><tr><th style="{_TH}"></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{note}</div>')


def _cell(value, kind: str, precision: int) -> str:
    if kind == "flags":
        bg, fg = _YES if value else _NO
        return f'<td style="{_TD}; text-align: center; background: {bg}; color: {fg}">{"✓" if value else "✗"}</td>'
    text = escape(fixed(float(value), precision))
    if kind == "weights":
        bg, fg = weight_colours(float(value))
        return f'<td style="{_TD}; background: {bg}; color: {fg}">{text}</td>'
    return f'<td style="{_TD}">{text}</td>'


def _matrices(block: Matrices, precision: int) -> str:
    tables = "".join(matrix_html(view, precision) for view in block.views)
    out = f'<div style="display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; margin: 0.4em 0">{tables}</div>'
    if any(view.kind == "weights" for view in block.views):
        out += legend()
    return out


def legend() -> str:
    """The weight scale: the same 0 → 1 shading in every table."""
    swatches = "".join(f'<span style="display: inline-block; width: 1.4em; height: 0.9em; vertical-align: middle; '
                       f'background: {weight_colours(k / 10)[0]}"></span>' for k in range(11))
    return f'<div style="font-size: 0.85em; margin-bottom: 0.4em">weight scale: 0 {swatches} 1</div>'


_BLANK_CELL = f'<td class="blank" style="min-width: 9em; height: 1.8em; border-bottom: 1px solid {_RULE}"></td>'


def _grid(block: Grid) -> str:
    align = ["left"] + ["right" if block.numeric else "left"] * (len(block.headers) - 1)
    head = "".join(f'<th style="{_TH}; text-align: {a}">{escape(h)}</th>' for h, a in zip(block.headers, align))
    body = []
    for i in _kept(len(block.rows)):
        row = ["⋮"] * len(block.headers) if i is None else block.rows[i]
        shades = block.shades[i] if block.shades is not None and i is not None else (None,) * len(row)
        cells = [f'<td style="padding: 2px 7px; text-align: {a}{"; font-weight: bold" if k == 0 else ""}'
                 f'{_shaded(w)}">{"<br>".join(map(escape, c.split(chr(10))))}</td>'
                 for k, (c, a, w) in enumerate(zip(row, align, shades))]  # a cell's lines stay lines
        if block.blanks and i is not None:
            cells[-1] = _BLANK_CELL
        body.append("<tr>" + "".join(cells) + "</tr>")
    title = f'<div style="font-weight: bold; margin-top: 0.6em">{escape(block.title)}</div>' if block.title else ""
    return (f'{title}<table style="border-collapse: collapse; margin: 0.3em 0"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>' + (legend() if block.shades is not None else ""))


def _shaded(w: float | None) -> str:
    """A table cell's background and text colour for a weight, as the terminal shades it; nothing for None."""
    if w is None:
        return ""
    bg, fg = weight_colours(w)
    return f"; background: {bg}; color: {fg}; white-space: nowrap"


def _bars(block: Bars) -> str:
    rows = "".join(
        f'<tr><td style="padding: 2px 7px; font-weight: bold">{escape(label)}</td>'
        f'<td style="padding: 2px 7px; width: 20em"><div style="background: #26828e; height: 0.9em; '
        f'width: {max(1.0, 100 * length):.1f}%"></div></td><td style="{_TD}">{escape(value)}</td></tr>'
        for label, length, value in block.bars)
    return (f'<div style="font-weight: bold; margin-top: 0.6em">{escape(block.title)}</div>'
            f'<table style="border-collapse: collapse">{rows}</table>')


# ---- a gallery of heads --------------------------------------------------------------------------

TILE_PIXEL = 8  # CSS pixels per weight in a gallery tile: a 12-token head is 96 pixels square


def head_grid_html(block: HeadGrid) -> str:
    """Every head as a small picture of its weights (one pixel square per weight, never elided), labelled."""
    from attncli.palette import heat_colour

    n_q, n_k = len(block.row_labels), len(block.col_labels)
    labels = "".join(f'<div style="height: {TILE_PIXEL}px; line-height: {TILE_PIXEL}px">{escape(label)}</div>'
                     for label in block.row_labels)
    axis = f'<div style="{_MONO}; font-size: {TILE_PIXEL}px; text-align: right; padding-right: 3px">{labels}</div>'
    # the keys' initials over the columns, one to a column of pixels, as the terminal's gallery has them
    letters = "".join(f'<span style="display: inline-block; width: {TILE_PIXEL}px; text-align: center">'
                      f'{escape(letter)}</span>' for letter in block.col_labels)
    columns = (f'<div style="{_MONO}; font-size: {TILE_PIXEL}px; line-height: {TILE_PIXEL + 2}px; '
               f'white-space: nowrap">{letters}</div>')
    tiles = []
    for tile in block.tiles:
        rgb = bytes(int(heat_colour(w)[k:k + 2], 16) for row in tile.weights for w in row for k in (1, 3, 5))
        about = f"{tile.name}: {tile.kind}"
        picture = (f'<img src="data:image/png;base64,{_png(rgb, n_q, n_k)}" width="{n_k * TILE_PIXEL}" '
                   f'height="{n_q * TILE_PIXEL}" alt="{escape(about)}" title="{escape(about)}" '
                   'style="display: block; image-rendering: pixelated; image-rendering: crisp-edges">')
        tiles.append(f'<div><div style="{_MONO}; font-size: 0.85em; white-space: nowrap">{escape(about)}</div>'
                     f'<div style="display: flex; align-items: flex-end">{axis}<div>{columns}{picture}</div></div></div>')
    title = f'<div style="font-weight: bold; margin-top: 0.6em">{escape(block.title)}</div>' if block.title else ""
    note = ('<div style="font-size: 0.85em">In each picture the rows are the queries, top to bottom, and the columns '
            'the keys, left to right, in the order of the tokens; brighter is more weight.</div>')
    return (f'{title}{note}<div style="display: flex; flex-wrap: wrap; gap: 0.8em; align-items: flex-start; '
            f'margin: 0.4em 0">{"".join(tiles)}</div>{legend()}')


def _png(rgb: bytes, height: int, width: int) -> str:
    """An RGB image (rows of width×3 bytes) as a base64 PNG: a gallery stays small at any text length."""
    import base64
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    stride = 3 * width
    raw = b"".join(b"\x00" + rgb[r * stride:(r + 1) * stride] for r in range(height))  # filter 0 on every row
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode("ascii")
