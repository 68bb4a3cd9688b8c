"""Views as GitHub markdown, for handouts: every page, every block, every number at the view's precision."""

from __future__ import annotations

import re

from attncli.numbers import fixed
from attncli.safe_text import visible
from attncli.views import (Banner, Bars, Boxed, Bullets, Code, Grid, Heading, HeadGrid, Matrices, MatrixView,
                           Paragraph, Title, View)


def render(view: View) -> str:
    parts: list[str] = []
    levels = Levels()
    for page in view.pages:
        for block in page.blocks:
            parts.append(_block(block, view.precision, levels.of(block)))
    return "\n\n".join(p for p in parts if p) + "\n"


class Levels:
    """Heading levels that nest, one step at a time: the first title is #, a banner one below its title, a step
    one below the banner it belongs to (a numbered head's step, 0.1) or else its title. A title after a
    banner (one head's walkthrough under a gallery) goes one below that banner, and its steps below it."""

    def __init__(self):
        self.title = 0  # the current title's level; 0 before the first
        self.banner = 0  # the open banner's level; 0 when none is open

    def of(self, block) -> int:
        if isinstance(block, Title):
            self.title, self.banner = (self.banner or self.title) + 1, 0
            return self.title
        if isinstance(block, Banner):
            self.banner = max(self.title, 1) + 1
            return self.banner
        if isinstance(block, Heading) and "." not in block.number:
            self.banner = 0  # a step of the whole, such as the heads' concatenation, closes a head's banner
        if isinstance(block, (Heading, Boxed)):
            return (self.banner or max(self.title, 1)) + 1
        return 0


def _block(block, precision: int, level: int = 0) -> str:
    mark = "#" * level
    if isinstance(block, Title):
        parts = (f"{mark} {_escape(block.title)}", block.subtitle and _code_span(visible(block.subtitle)),
                 block.description and _escape(block.description))
        return "\n\n".join(part for part in parts if part)
    if isinstance(block, Banner):
        return f"{mark} {_escape(block.text)}"
    if isinstance(block, Heading):
        return f"{mark} Step {block.number}: {_escape(block.text)}"
    if isinstance(block, Paragraph):
        text = _escape(block.text)
        return {"lesson": f"*{text}*", "strong": f"**{text}**"}.get(block.role, text)
    if isinstance(block, Matrices):
        return "\n\n".join(matrix_table(view, precision) for view in block.views)
    if isinstance(block, Grid):
        table = grid(block.headers, block.rows, block.numeric, block.blanks)
        return f"**{_escape(block.title)}**\n\n{table}" if block.title else table
    if isinstance(block, Boxed):
        lines = [visible(line) for line in block.lines]
        fence = "`" * max(3, 1 + max((len(run) for line in lines for run in re.findall("`+", line)), default=0))
        return f"{mark} {_escape(block.title)}\n\n{fence}\n" + "\n".join(lines) + f"\n{fence}"
    if isinstance(block, Bullets):
        return "\n".join(f"- {_escape(line)}" for line in block.lines)
    if isinstance(block, Bars):
        return f"**{_escape(block.title)}**\n\n" + grid(("", "value"), tuple((label, value) for label, _, value in block.bars))
    if isinstance(block, Code):
        return "```python\n" + "\n".join(block.lines) + "\n```"
    from attncli.views.pictures import Heatmaps, Plot

    if isinstance(block, Plot):  # the picture's numbers: where each arrow ends, and its dot product
        rows = tuple((("key " if p.role == "key" else "query ") + p.label, fixed(p.x, precision), fixed(p.y, precision),
                      p.note) for p in block.points)
        notes = "".join(f"{_escape(note)}\n\n" for note in block.notes)
        return (f"**{_escape(block.title)}**\n\n{_escape(block.axes)}\n\n{notes}"
                + grid(("vector", "x", "y", "q·k"), rows))
    if isinstance(block, Heatmaps):
        return "\n\n".join(matrix_table(view, precision) for view in block.views)
    if isinstance(block, HeadGrid):
        return head_grid(block)
    raise TypeError(f"no markdown for {type(block).__name__}")


def _escape(text: str) -> str:
    """Text in a paragraph: control characters made visible; backslashes, pipes and '<' (raw HTML) escaped."""
    return visible(str(text), multiline=True).replace("\\", "\\\\").replace("|", "\\|").replace("<", "\\<")


def _code_span(text: str) -> str:
    """Text shown as code: fenced by more backticks than it holds in a row, so it cannot close the span
    early and leave the rest (a <script>, an <img onerror>) to be read as live HTML."""
    fence = "`" * (1 + max((len(run) for run in re.findall("`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    """Text in a table cell, which must stay on one line: a newline is shown as \\n."""
    return _escape(visible(str(text)))


BLANK = "__________"  # an answer's cell, to be written in by hand


def grid(headers, rows, numeric: bool = True, blanks: bool = False) -> str:
    lines = ["| " + " | ".join(_cell(h.replace("\n", " ")) for h in headers) + " |",
             "|---|" + ("---:|" if numeric else "---|") * (len(headers) - 1)]
    for row in rows:
        parts = [str(c).split("\n") for c in row]  # a cell of several lines: a table row a line, as on screen
        for k in range(max(map(len, parts))):
            cells = [_cell(part[k]) if k < len(part) else "" for part in parts]
            if blanks:
                cells[-1] = BLANK if k == 0 else ""
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def matrix_table(view: MatrixView, precision: int) -> str:
    head = "| | " + " | ".join(_cell(c) for c in view.col_labels) + " |"
    rule = "|---|" + "---:|" * len(view.col_labels)
    lines = [f"**{_cell(view.caption)}**", "", head, rule]
    for label, row in zip(view.row_labels, view.values):
        if view.kind == "flags":
            cells = ["✓" if v else "✗" for v in row]
        else:
            cells = [fixed(float(v), precision) for v in row]
        lines.append(f"| **{_cell(label)}** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def head_grid(block: HeadGrid) -> str:
    """A gallery as a table of the heads' labels, in the order given (markdown has no colour for the heatmaps)."""
    rows = tuple((tile.name, tile.kind) for tile in block.tiles)
    table = grid(("head", "pattern"), rows, numeric=False)
    return f"**{_escape(block.title)}**\n\n{table}" if block.title else table
