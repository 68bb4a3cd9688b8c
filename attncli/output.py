"""Where a view goes: the terminal, presenter mode one page at a time, or a file for slides."""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from attncli.errors import AttncliError, UsageError

EXPORT_SUFFIXES = (".svg", ".html", ".txt", ".md", ".json")
EXPORT_WIDTH = 100  # columns of an exported picture, unless --width says otherwise


def export_suffix(path: str) -> str:
    """The file type of an --export path, or a usage error before anything is computed."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "no extension"
        raise UsageError(f"--export {path}: {shown} is not a type attncli writes; "
                         f"use {', '.join(EXPORT_SUFFIXES[:-1])} or {EXPORT_SUFFIXES[-1]}")
    return suffix


def write_atomic(path: str, text: str) -> None:
    """Write the whole file or nothing: a temporary file beside it, renamed into place."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise AttncliError("is a directory; give a file name to write", origin=path)
    if not parent.is_dir():
        raise AttncliError(f"cannot write: there is no directory {str(parent)!r}", origin=path)
    fd, temporary = None, None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            fd = None
            f.write(text)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a saved file should not be
        os.replace(temporary, target)
        temporary = None
    except OSError as e:
        raise AttncliError(f"cannot write: {e.strerror or e}", origin=path) from None
    finally:
        if fd is not None:
            os.close(fd)
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def export(
    path: str,
    *,
    pages: Callable[[bool, int], list],
    json_doc: Callable[[], dict],
    markdown: Callable[[], str],
    title: str,
    width: int | None,
) -> None:
    """Save the view: SVG, HTML and text from Rich's recording console, exactly as the terminal
    shows it; markdown and JSON as their formats."""
    suffix = export_suffix(path)
    if suffix == ".json":
        from attncli.formats import dumps

        write_atomic(path, dumps(json_doc()) + "\n")
        return
    if suffix == ".md":
        write_atomic(path, markdown())
        return
    import io

    from rich.console import Console

    columns = width or EXPORT_WIDTH
    recorder = Console(record=True, file=io.StringIO(), width=columns, color_system="truecolor",
                       force_terminal=True, highlight=False, emoji=False)
    for n, page in enumerate(pages(True, columns)):
        if n:
            recorder.print()
        recorder.print(page)
    if suffix == ".svg":
        text = recorder.export_svg(title=f"attncli: {title}")
    elif suffix == ".html":
        text = recorder.export_html(inline_styles=True)
    else:
        text = recorder.export_text()
    write_atomic(path, text)


def interactive(console) -> bool:
    """Presenter mode needs a keyboard and a screen: both stdin and stdout are terminals."""
    return console.is_terminal and sys.stdin.isatty()


NEXT = {"\r", "\n", " ", "\x1b[C", "l", "n", "j", "\x1b[B", "\x1b[6~"}
PREVIOUS = {"\x1b[D", "b", "h", "p", "k", "\x1b[A", "\x1b[5~", "\x7f"}
QUIT = {"q", "Q", "\x1b", "\x04"}


@contextmanager
def _keyboard():
    """Read single keys for the whole session: the terminal is put in cbreak mode once, so keys
    pressed while a page draws are kept (switching modes per key would flush them); Ctrl-C still
    interrupts, and the old settings come back on every exit."""
    try:
        import termios
        import tty
    except ImportError:  # Windows: click's getchar
        import typer

        yield typer.getchar
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield lambda: os.read(fd, 32).decode(sys.stdin.encoding or "utf-8", "replace")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def present(console, pages: list, title: str) -> None:
    """One page at a time, full screen: Enter, space or → forward; ← or b back; q quits.

    The alternate screen is left on every exit, Ctrl-C included, so the terminal comes back as it was.
    """
    from rich.text import Text

    index = 0
    with console.screen(hide_cursor=True), _keyboard() as read_key:
        while True:
            console.clear()
            console.print(pages[index])
            console.print()
            console.print(Text.assemble(
                (f" {title}  ·  step {index + 1} of {len(pages)}  ", "reverse"),
                ("  Enter/space/→ next   ←/b back   q quit", "dim"),
            ))
            key = read_key()
            if key in QUIT:
                return
            if key in NEXT:
                index = min(index + 1, len(pages) - 1)
            elif key in PREVIOUS:
                index = max(index - 1, 0)
