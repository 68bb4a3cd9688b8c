"""Presenter mode: one page at a time, full screen, driven by single keys."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager


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


@contextmanager
def _exit_on_sigterm():
    """SIGTERM (`kill`) unwinds like Ctrl-C: the screen, cursor and echo come back, then exit 143."""
    import signal

    def terminate(signum, frame):
        raise SystemExit(128 + signal.SIGTERM)

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except (ValueError, OSError):  # not the main thread: leave the signal alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def present(console, pages: list, title: str) -> None:
    """One page at a time, full screen: Enter, space or → forward; ← or b back; q quits.

    The alternate screen is left on every exit, Ctrl-C included, so the terminal comes back as it was.
    """
    from rich.text import Text

    index = 0
    with _exit_on_sigterm(), console.screen(hide_cursor=True), _keyboard() as read_key:
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
