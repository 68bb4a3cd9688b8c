"""Where a view goes: the terminal, presenter mode one page at a time, or a file for slides and handouts.

Every command builds a View and hands it to `deliver`, so --format, --export and --step work alike
for all of them.
"""

import sys
from contextlib import contextmanager
from pathlib import Path

from attncli.errors import AttncliError, UsageError
from attncli.files import write_atomic
from attncli.record import Record
from attncli.safe_text import visible
from attncli.views import JSON_NUMBER, View

EXPORT_SUFFIXES = (".svg", ".html", ".txt", ".md", ".json")
EXPORT_WIDTH = 100  # columns of an exported picture when there is no terminal to measure and no --width


class Delivery(Record):
    """How the user asked to see a view."""

    output_format: str = "rich"  # rich | json | markdown (grade: or csv)
    no_color: bool = False
    width: int | None = None
    step: bool = False
    export: str | None = None
    theme: str = "light"  # of SVG and HTML exports: light for print, dark for slides
    source: str | None = None  # the scenario file the view was computed from: an export never replaces it
    model_files: tuple[str, ...] = ()  # the files of the model the view was computed from: nor them


def delivery(output_format: str, no_color: bool = False, width: int | None = None, step: bool = False,
             export: str | None = None, theme: str = "light", source: str | None = None) -> Delivery:
    """The output options as a Delivery; a bad --export file type or --theme is a usage error before any work."""
    if export is not None:
        export_suffix(export)
    if theme not in ("light", "dark"):
        raise UsageError(f"--theme {theme}: use light or dark")
    return Delivery(output_format, no_color, width, step, export, theme, source)


@contextmanager
def progress_bar(total: int, shown: bool = True):
    """A transient progress bar on stderr; yields tick(description, work done). Not shown: tick does nothing."""
    if not shown:
        yield lambda description, amount=0: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("measuring", total=total)
        yield lambda description, amount=0: bar.update(task, description=description, advance=amount)


def shows_progress(how: Delivery) -> bool:
    """A progress bar on stderr only for a person watching the terminal view."""
    return how.output_format == "rich" and sys.stderr.isatty()


def export_suffix(path: str) -> str:
    """The file type of an --export path, or a usage error before anything is computed."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "no extension"
        raise UsageError(f"--export {path}: {shown} is not a type attncli writes; "
                         f"use {', '.join(EXPORT_SUFFIXES[:-1])} or {EXPORT_SUFFIXES[-1]}")
    return suffix


def deliver(view: View, how: Delivery, live=None, text: str | None = None) -> None:
    """Write the export file if asked, then show the view in the format asked, paged with --step.

    live (a knobs.Live) lets presenter mode rebuild the view with other settings (explain's t, s, m, f);
    text is the view in a format only its command writes (grade's CSV), printed as it is.
    """
    wanted = {how.output_format} | ({export_suffix(how.export)} if how.export else set())
    if wanted & {"markdown", ".md"}:
        check_output_size(markdown_bytes(view), "markdown")
    document = None
    if wanted & {"json", ".json"}:
        check_output_size(view.document_bytes, "JSON")  # before building a document too large to write
        document = view.document()  # as large as the scenario's limits allow; its text is what may not be
        check_output_size(json_bytes(document), "JSON")
    if how.export is not None:
        if how.model_files:
            keep = {"protect": how.model_files, "protected": MODEL_FILE}
        else:
            keep = {"protect": (how.source,) if how.source not in (None, "-") else ()}
        export(view, how.export, how.width, how.theme, document=document, **keep)
    if text is not None:
        emit(text)
    elif how.output_format == "json":
        write_json(sys.stdout, document)
    elif how.output_format == "markdown":
        from attncli.render_markdown import render

        emit(render(view))
    else:
        _to_terminal(view, how, live)
    if how.export is not None:
        note(f"saved {how.export}")


def _to_terminal(view: View, how: Delivery, live=None) -> None:
    from attncli.render_terminal import Look, joined, render_pages

    console = terminal(how.no_color, how.width)
    if how.step:
        from attncli import presenter

        if presenter.interactive(console):
            presenter.present(console, view, color=uses_colour(console), live=live)
            return
    look = Look(uses_colour(console), console.width, system=console.color_system)
    console.print(joined(render_pages(view, look=look)))


def terminal(no_color: bool, width: int | None = None):
    from rich.console import Console

    # emoji=False: no ':name:' codes in user text, and no emoji table loaded at start.
    console = Console(highlight=False, no_color=no_color or None, width=width, emoji=False)
    if console.width < 20:  # COLUMNS=0 or a broken terminal size: print at a usual width, never nothing
        console.width = 80
    return console


def uses_colour(console) -> bool:
    return console.color_system is not None and not console.no_color


MODEL_FILE = "one of the files of the model this was computed from"


def export(view: View, path: str, width: int | None, theme: str = "light", protect: tuple[str, ...] = (),
           document: dict | None = None, protected: str = "the scenario this was computed from") -> None:
    """Save the view: SVG, HTML and text from Rich's recording console, as the terminal shows it
    (text with glyphs for the shading, as it has no colour); markdown and JSON as their formats.
    Never over a file in `protect`."""
    suffix = export_suffix(path)
    from attncli.files import check_writable

    check_writable(path)  # before the work of rendering
    if suffix == ".json":
        write_atomic(path, lambda f: write_json(f, view.document() if document is None else document),
                     protect=protect, protected=protected)
        return
    if suffix == ".md":
        from attncli.render_markdown import render

        write_atomic(path, render(view), protect=protect, protected=protected)
        return
    import io

    from rich.console import Console

    from attncli.render_terminal import Look, render_pages
    from attncli.themes import export_theme

    columns = width or _terminal_width()
    recorder = Console(record=True, file=io.StringIO(), width=columns, color_system="truecolor",
                       force_terminal=True, highlight=False, emoji=False)
    look = Look(color=suffix != ".txt", width=columns)
    for n, page in enumerate(render_pages(view, look=look)):
        if n:
            recorder.print()
        recorder.print(page)
    if suffix == ".svg":
        text = recorder.export_svg(title=f"attncli: {visible(view.title)}", theme=export_theme(theme))
    elif suffix == ".html":
        text = recorder.export_html(inline_styles=True, theme=export_theme(theme))
    else:
        text = recorder.export_text()
    write_atomic(path, text, protect=protect, protected=protected)


# ---- output size: estimated from the view before anything is written --------------------------



def check_output_size(estimate: int, what: str) -> None:
    """Refuse, before writing, a view whose text would pass limits.max_output_bytes()."""
    from attncli import limits

    if estimate > limits.max_output_bytes():
        raise AttncliError(f"the {what} of this view would take about {estimate:,} bytes; attncli writes at most "
                           f"{limits.max_output_bytes():,} (raise it with {limits.OUTPUT_ENV}=<bytes>, or use "
                           "the terminal view, which shows the corners of large matrices)")


def _markdown_number(values, precision: int) -> int:
    """The widest cell numbers.fixed makes of these values, with its ' | ' separator."""
    import numpy as np

    largest = float(np.max(np.abs(values.astype(np.float64)))) if values.size else 0.0
    if not np.isfinite(largest) or largest >= 1e9:
        return 3 + precision + 8  # -1.234e+308
    return 3 + 1 + len(str(int(largest))) + 1 + precision  # -123.456


def markdown_bytes(view: View) -> int:
    """An upper estimate of the view's markdown: every number, label and sentence of its pages."""
    from attncli.views import Grid, Matrices

    total = 0
    for page in view.pages:
        for block in page.blocks:
            if isinstance(block, Matrices):
                for m in block.views:
                    total += m.values.size * _markdown_number(m.values, view.precision) + len(m.caption)
                    total += 2 * (sum(map(len, m.row_labels)) + sum(map(len, m.col_labels)))  # | becomes \|
            elif isinstance(block, Grid):
                total += sum(len(cell) + 3 for row in (block.headers, *block.rows) for cell in row)
                total += sum((max(cell.count("\n") for cell in row) * (3 * len(row) + 2)) for row in block.rows)
            else:
                total += 16 + 2 * sum(len(str(v)) for v in vars(block).values())
    return total


def json_bytes(document, depth: int = 1) -> int:
    """An upper estimate of the document's text as `dumps` writes it (indent 2, text as written)."""
    if isinstance(document, dict):
        return sum(2 * depth + 6 * len(key) + 6 + json_bytes(value, depth + 1) for key, value in document.items()) + 4
    if isinstance(document, (list, tuple)):
        if document and all(type(item) in (float, int, bool) for item in document[:1]) and \
                type(document[-1]) in (float, int, bool):  # a row of numbers, as matrix_json makes them
            return len(document) * (2 * depth + JSON_NUMBER) + 4
        return sum(2 * depth + json_bytes(item, depth + 1) for item in document) + 4
    if isinstance(document, str):
        return 6 * len(document) + 2
    return JSON_NUMBER


def write_json(f, document: dict) -> None:
    """Strict JSON streamed to f chunk by chunk: no second copy of a large document in memory."""
    from attncli.files import json_chunks

    for chunk in json_chunks(document):
        f.write(chunk)
    f.write("\n")


def _terminal_width() -> int:
    """The terminal's width when there is one (exports look like the screen), else EXPORT_WIDTH."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            continue
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and len(columns) < 6 and int(columns) >= 40 else EXPORT_WIDTH


def dumps(doc: dict) -> str:
    """Strict JSON: a NaN or infinity here is a bug, so refuse it rather than print it."""
    from attncli.files import json_text

    return json_text(doc)


def emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def print_error(message: str) -> None:
    """One problem on stderr, its text shown rather than obeyed."""
    from rich.console import Console
    from rich.text import Text

    from attncli.safe_text import visible

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(Text.assemble(("Error: ", "bold red"), visible(message, multiline=True)))


def note(message: str) -> None:
    """A line for the person at the terminal, on stderr so that pipes carry only the view."""
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, highlight=False, soft_wrap=True).print(Text(visible(message), style="dim"))


def keeping_model_files(how, model: str | None):
    """The delivery, with the model's files kept from an --export, as explain keeps its scenario."""
    if how.export is None:
        return how
    from attncli.pretrained.locate import model_files

    return how._replace(model_files=model_files(model))


def keeping_set(how, model: str | None, set_file: str | None):
    """The delivery of `patterns`, with the labelled set and the model's files kept from an --export."""
    from attncli.pretrained.evidence import MODEL_ALIASES

    if how.export is not None and set_file is not None:
        from attncli.files import check_not_protected

        check_not_protected(how.export, (set_file,), "the labelled set this was computed from")
    return keeping_model_files(how, MODEL_ALIASES.get(model, model) if model is not None else None)
