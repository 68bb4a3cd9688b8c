"""Views: what a command shows, as plain data that every renderer (terminal, markdown, files) shares.

A view builder turns computed steps into a View: pages of blocks (titles, headings, lessons,
labelled matrices, tables, bars) and a JSON document. Renderers turn blocks into Rich or markdown
and never compute; deliver.py sends a view to the terminal, presenter mode or a file.

Blocks are Records (record.py): read-only plain data that costs nothing to define, which matters
because every start defines all of them (benchmarks/startup.py).
"""

from typing import Callable, Union

import numpy as np

from attncli.record import Record

FORMULA = "Attention(Q, K, V) = softmax(Q·Kᵀ / √d_k) · V"


class MatrixView(Record):
    """A matrix with its caption and labels; kind says how to show it."""

    caption: str
    values: np.ndarray
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    kind: str = "plain"  # "plain" | "weights" (shaded 0..1) | "flags" (✓/✗) | "colours" (rows are RGB)
    previous: np.ndarray | None = None  # the values before a live change: moved weights get ▲/▼
    focus: int | None = None  # the row the lesson is about: never elided, kept on screen in presenter mode


class Title(Record):
    title: str
    subtitle: str = ""
    description: str = ""


class Heading(Record):
    """A step's heading: 'Step 3  Scale: ...'."""

    number: str
    text: str


class Banner(Record):
    """A band above a group of steps, such as one head's name."""

    text: str


class Paragraph(Record):
    text: str
    role: str = "plain"  # "plain" | "lesson" (why a step exists) | "note" (secondary) | "strong"


class Matrices(Record):
    """Matrices side by side."""

    views: tuple[MatrixView, ...]


class Grid(Record):
    """A table of text cells: the first column names the row; numeric columns are right-aligned."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    numeric: bool = True  # False: every column is text, left-aligned
    blanks: bool = False  # True: the last column is left empty, for answers written in by hand
    shades: tuple[tuple[float | None, ...], ...] | None = None  # per cell, 0 to 1: shaded as a weight (None: plain)
    narrow: tuple[tuple[str, ...], ...] | None = None  # the rows in fewer characters, for a screen too narrow for them
    narrow_note: str = ""  # what the narrow cells mean, shown under them when they are used


class Boxed(Record):
    """Lines of preformatted text in a box, such as a hand calculation."""

    title: str
    lines: tuple[str, ...]


class Bullets(Record):
    lines: tuple[str, ...]


class Bars(Record):
    """A horizontal bar plot: (label, length from 0 to 1, value as text) per bar."""

    title: str
    bars: tuple[tuple[str, float, str], ...]


class Code(Record):
    """The lines of code that compute a step, in `language` ("numpy" or "torch"): the bridge from arithmetic to code."""

    language: str
    lines: tuple[str, ...]


class HeadTile(Record):
    """One head of a gallery: its name (L0H2), a short label of its pattern, and its weights."""

    name: str
    kind: str
    weights: np.ndarray  # (n, n) in [0, 1]
    layer: int = 0  # the gallery shows one row per layer
    head: int = 0


class HeadGrid(Record):
    """Many heads as compact heatmaps sharing axes: the renderer fits as many to a row as the width allows."""

    row_labels: tuple[str, ...]  # the query tokens, abbreviated
    col_labels: tuple[str, ...]  # the key tokens, one character each
    tiles: tuple[HeadTile, ...]
    title: str = ""


Block = Union[Title, Heading, Banner, Paragraph, Matrices, Grid, Boxed, Bullets, Bars, Code, HeadGrid]


class Page(Record):
    """What presenter mode shows on one screen; `heading` names it in the step list."""

    heading: str
    blocks: tuple[Block, ...]


class View(Record):
    """Everything one command shows: pages for people, a JSON document for programs."""

    title: str
    pages: tuple[Page, ...]
    document: Callable[[], dict]  # built only when JSON is asked for
    precision: int = 3  # decimals the renderers show
    document_bytes: int = 0  # a part of the JSON's size known before document() builds it (0: none known)



def dims(n: int) -> tuple[str, ...]:
    """Column labels 1 … n for the width of a matrix."""
    return tuple(str(i + 1) for i in range(n))


JSON_NUMBER = 26  # a float64's longest repr (24 characters), its comma and newline: the JSON size estimates' unit


def matrix_json(m: np.ndarray) -> list[list[float]]:
    return [[float(v) for v in row] for row in m]
