"""What several renderers share: how to lay a view out (Look), laid-out blocks of styled runs (Laid, Drawn),
which rows to keep when not all fit, and the glyphs that stand in for colour."""

from rich.cells import cell_len

from attncli.record import Record

# The heatmap's cells: viridis in 24-bit colour, palette.py's bands of it in 256 and 16 colours.
GLYPHS = " ░▒▓█"


def glyph(w: float) -> str:
    """A block glyph for a weight in [0, 1], for output without colour: ' ' below 0.2 … '█' from 0.8."""
    return GLYPHS[min(int(max(float(w), 0.0) * len(GLYPHS)), len(GLYPHS) - 1)]


class Look(Record):
    """How to lay a view out: colour or glyphs, the terminal's colour system, and the room there is.

    height: the rows a table may take before its middle rows are elided (presenter mode: the
    screen's); `fit`: a weight table that would be elided is drawn as a compact heatmap instead.
    """

    color: bool = True
    width: int | None = None
    height: int | None = None
    system: str | None = "truecolor"
    fit: bool = False


def kept_indices(n: int, room: int, keep: int | None = None) -> list[int | None]:
    """Indices to show out of n when only `room` fit: the first and last ones, None for the gap; `keep`
    (a focus row) is shown in the gap when it falls there."""
    if n <= room:
        return list(range(n))
    head = room // 2
    tail = room - 1 - head
    if keep is None or keep < head or keep >= n - tail:
        return list(range(head)) + [None] + list(range(n - tail, n))
    head = max(1, (room - 3) // 2)
    tail = max(1, room - 3 - head)
    head, tail = min(head, keep), min(tail, n - 1 - keep)  # no gap of nothing beside it
    before = [None] if keep > head else []
    after = [None] if keep < n - 1 - tail else []
    return list(range(head)) + before + [keep] + after + list(range(n - tail, n))


Run = tuple  # (text, style): a piece of a line in one Rich style; "" for none


class Laid(Record):
    """A laid-out block, such as a matrix: lines of runs, every line `width` cells wide; `anchor`, the
    line of its focus row, which presenter mode keeps on screen."""

    lines: tuple[tuple[Run, ...], ...]
    width: int
    anchor: int | None = None


def text_width(runs) -> int:
    """Terminal cells the runs take; printable ASCII, most of what a matrix holds, one cell a character."""
    return sum(len(text) if text.isascii() and text.isprintable() else cell_len(text) for text, _ in runs)


class Drawn:
    """Lines of runs printed as they are laid out: each run one Rich segment, no wrapping.

    A dozen matrices as rich Text would be split, wrapped and re-measured line by line on every print,
    about half of explain's rendering (docs/startup.md). A line wider than the room is cropped.
    """

    def __init__(self, lines, width: int | None = None, anchor: int | None = None):
        """width: of the widest line, measured here when not given; anchor: the line of a focus row."""
        self.lines = lines
        self.width = max((text_width(line) for line in lines), default=0) if width is None else width
        self.anchor = anchor

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        style = console.get_style
        room = options.max_width
        for line in self.lines:
            segments = [Segment(text, style(name) if name else None) for text, name in line if text]
            if self.width > room:
                segments = Segment.adjust_line_length(segments, room, pad=False)
            yield from segments
            yield Segment.line()

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement(self.width, self.width)

    @property
    def plain(self) -> str:
        """The text without styles, as rich Text's `plain`."""
        return "\n".join("".join(text for text, _ in line) for line in self.lines)


def pad_block(lines: list[list], anchor: int | None = None) -> Laid:
    """Lines of runs made one width, with spaces after the shorter ones."""
    widths = [text_width(runs) for runs in lines]
    block_width = max(widths)
    return Laid(tuple(tuple(runs) + ((" " * (block_width - w), ""),) for runs, w in zip(lines, widths)), block_width,
                anchor)


def clipped(text: str, room: int) -> str:
    """The text in at most `room` terminal cells: cut short with … when longer."""
    if cell_len(text) <= room:
        return text
    from rich.cells import set_cell_size

    return set_cell_size(text, max(room - 1, 0)).rstrip(" ") + "…"


def wrapped(text: str, room: int | None) -> list[str]:
    """The text as lines of at most `room` terminal cells, broken at spaces (a longer word is cut short)."""
    if room is None or cell_len(text) <= room:
        return [text]
    lines: list[str] = []
    for word in text.split(" "):
        if lines and cell_len(lines[-1]) + 1 + cell_len(word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(clipped(word, room))
    return lines
