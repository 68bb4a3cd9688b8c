"""Presenter mode: one step at a time, full screen, driven by single keys.

Every step is laid out for the screen it is on (re-measured before each drawing, so resizing the
terminal re-lays it): a step taller than the screen is paged with ↓/↑, a weight table that would
be elided becomes a compact heatmap, and the footer is one line that fits. With a Live view
(explain), t/T, s, m and f change the settings and the step is recomputed at once.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass

from attncli.errors import AttncliError


def interactive(console) -> bool:
    """Presenter mode needs a keyboard and a screen: both stdin and stdout are terminals."""
    return console.is_terminal and sys.stdin.isatty()


NEXT = {"\r", "\n", " ", "\x1b[C", "l", "n"}
PREVIOUS = {"\x1b[D", "b", "h", "p", "\x7f"}
DOWN = {"\x1b[B", "\x1b[6~", "j"}
UP = {"\x1b[A", "\x1b[5~", "k"}
QUIT = {"q", "Q", "\x1b", "\x04"}
HELP = "→ next ← back ↓↑ scroll o steps q quit"


class _Resized(Exception):
    """The terminal changed size while a key was awaited."""


@contextmanager
def _keyboard():
    """Read keys for the whole session: the terminal is put in cbreak mode once, so keys pressed while
    a page draws are kept (switching modes per key would flush them); Ctrl-C still interrupts, and
    the old settings come back on every exit. A resize (SIGWINCH) makes the next read raise _Resized."""
    try:
        import termios
        import tty
    except ImportError:  # Windows: click's getchar
        import typer

        yield lambda: [typer.getchar()]
        return
    import select

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    # A resize writes to a pipe that is watched with the keyboard: one that comes while a page is
    # drawn is still seen at the next wait (a flag checked before waiting could miss it).
    resized, poke = os.pipe()
    os.set_blocking(poke, False)

    def on_resize(signum, frame):
        try:
            os.write(poke, b"w")
        except BlockingIOError:  # the pipe is full of resizes not yet read: one more adds nothing
            pass

    old_handler = signal.signal(signal.SIGWINCH, on_resize)

    def read() -> list[str]:
        ready, _, _ = select.select([fd, resized], [], [])
        if resized in ready:
            os.read(resized, 4096)
            raise _Resized
        return split_keys(os.read(fd, 64).decode(sys.stdin.encoding or "utf-8", "replace"))

    try:
        tty.setcbreak(fd)
        yield read
    finally:
        signal.signal(signal.SIGWINCH, old_handler)
        os.close(resized)
        os.close(poke)
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


_KEY = re.compile(r"\x1b\[[0-9;]*[@-~]|\x1bO.|\x1b|.", re.S)


def split_keys(chunk: str) -> list[str]:
    """Keys typed faster than they were read arrive together: 'tt' is two keys, '\\x1b[C' one."""
    return _KEY.findall(chunk)


@dataclass
class _State:
    """Where the presenter is: the step, the line it is scrolled to, a typed step number, a message."""

    index: int = 0
    offset: int = 0
    typed: str | None = None  # digits typed so far to jump to a step
    message: str = ""
    overview: bool = False
    cursor: int = 0  # the step picked in the overview
    follow: bool = True  # keep the focus row on screen: until the reader scrolls this step themselves


def steps(view) -> list:
    """The view's pages, with a title on a page of its own (a title and a table rarely fit one screen)."""
    from attncli.views import Banner, Heading, Page, Title

    out = []
    for page in view.pages:
        first_step = next((k for k, b in enumerate(page.blocks) if isinstance(b, (Heading, Banner))), None)
        if isinstance(page.blocks[0], Title) and first_step:
            out.append(Page(view.title, page.blocks[:first_step]))
            page = Page(page.heading, page.blocks[first_step:])
        out.append(page)
    return out


def label(heading: str) -> tuple[str, str]:
    """('Step 2', 'Scores: ...') from a page heading 'Step 2: Scores: ...'; ('', heading) otherwise."""
    match = re.match(r"(Step \S+): (.*)", heading)
    return (match.group(1), match.group(2)) if match else ("", heading)


def present(console, view, *, color: bool = True, live=None) -> None:
    """One step at a time, full screen, until q. The alternate screen is left on every exit, Ctrl-C
    included, so the terminal comes back as it was."""
    from attncli import knobs as turning

    start = live.knobs if live is not None else None
    current = start
    pages = steps(view)
    state = _State()
    with _exit_on_sigterm(), console.screen(hide_cursor=True), _keyboard() as read_keys:
        while True:
            width, height = _size(console)
            body = height - 1
            if state.overview:
                lines = _overview_lines(pages, state, width)
                state.offset = state.cursor + 3 - body // 2
            else:
                lines, anchor = _layout(console, pages[state.index], view.precision, color, width, height)
                if state.follow and anchor is not None and not state.offset <= anchor < state.offset + body:
                    state.offset = anchor - body // 2
            state.offset = max(0, min(state.offset, len(lines) - body))
            changed = turning.describe(current, start, live.rows) if live is not None else ""
            _draw(console, lines[state.offset:state.offset + body], height,
                  _footer(pages, state, len(lines), body, width, changed))
            state.message = ""
            try:
                keys = read_keys()
            except _Resized:
                state.follow = True
                continue
            for key in keys:
                if state.overview:
                    if _overview_key(state, key, len(pages)) == "quit":
                        return
                    continue
                if key in QUIT and state.typed is None:
                    return
                if live is not None and key in "tTsmf" and len(key) == 1 and state.typed is None:
                    new = turning.turn(current, key, len(live.rows))
                    try:
                        rebuilt = live.rebuild(new)
                    except AttncliError as error:
                        state.message = error.message
                        continue
                    current = new
                    pages, state.index = _same_place(pages, state.index, steps(rebuilt))
                    state.follow = True  # f moves the focus row: show where it went
                    continue
                _move(state, key, pages, len(lines), body)


def _size(console) -> tuple[int, int]:
    """The screen's size now (the terminal may have been resized), at least 40×12."""
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
        width, height = size.columns, size.lines
    except OSError:
        width, height = console.size
    return max(40, width), max(12, height)


def _layout(console, page, precision: int, color: bool, width: int, height: int) -> tuple[list, int | None]:
    """The page as lines of segments at this size, with weight tables that would be elided drawn compact,
    and the line of the first focus row (None without one)."""
    from attncli.render_terminal import Look, render_page

    look = Look(color, width, height - 1, console.color_system if color else None, fit=True)
    options = console.options.update(width=width, height=None)
    lines: list = []
    anchor = None
    for part in render_page(page, precision, look=look).renderables:  # one at a time, to know where each starts
        if anchor is None and getattr(part, "anchor", None) is not None:
            anchor = len(lines) + part.anchor
        lines += console.render_lines(part, options, pad=False)
    return lines, anchor


def _draw(console, lines: list, height: int, footer) -> None:
    from rich.segment import Segment, Segments

    console.clear()
    segments = []
    for line in lines:
        segments.extend(line)
        segments.append(Segment.line())
    console.print(Segments(segments), end="")
    for _ in range(height - 1 - len(lines)):
        console.print()
    console.print(footer, end="", overflow="crop", no_wrap=True)


_NUMBER = re.compile(r"[-−]?\d[\d.,]*")


def clip(text: str, width: int) -> str:
    """The text in `width` cells: whole when it fits, else cut with '…' at its end, and never inside a
    number (a temperature of 0.5 must not read '0.')."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    if width < 1:
        return ""
    kept = set_cell_size(text, width - 1).rstrip()
    for number in _NUMBER.finditer(text):
        if number.start() < len(kept) < number.end():
            kept = text[:number.start()].rstrip()
            break
    return kept + "…"


def _footer(pages, state: _State, total: int, body: int, width: int, changed: str):
    """One line: the step's number and name, whether there is more below, the changed settings, the keys."""
    from rich.cells import cell_len, set_cell_size
    from rich.text import Text

    number, name = ("", "Steps") if state.overview else label(pages[state.index].heading)
    notes = []
    if not state.overview and total > body:
        last = min(state.offset + body, total)
        notes.append(f"↓ more below ({last}/{total} lines)" if last < total else f"end of step ({total} lines)")
    if state.typed is not None:
        notes.append(f"go to step {state.typed}_ Enter")
    if state.message:
        notes.append(state.message)
    if changed:
        notes.append(changed)
    if not state.overview:
        notes.append(HELP)
    left = f" {number + ' ' if number else ''}{name} "
    right = "  " + "  ·  ".join(notes) + " "
    while cell_len(right) > width - 14 and len(notes) > 1:  # keep the name readable; drop the help first
        notes.pop()
        right = "  " + "  ·  ".join(notes) + " "
    left = clip(left, max(0, width - cell_len(right)))
    room = width - cell_len(left)
    text = Text.assemble((left, "reverse bold"), (set_cell_size(clip(right, room), room), "bold"))
    return text


def _overview_lines(pages, state: _State, width: int) -> list:
    from rich.cells import set_cell_size
    from rich.segment import Segment
    from rich.style import Style

    heading = (" Steps: ↑/↓ then Enter opens one, or type its number and Enter; o goes back",
               " Live in explain: t/T temperature up/down (flatter/sharper)  s √d_k  m mask  f focus row")
    lines = [[Segment(set_cell_size(clip(line, width), width), Style(bold=True))] for line in heading] + [[]]
    for k, page in enumerate(pages):
        number, name = label(page.heading)
        text = set_cell_size(clip(f" {'▶' if k == state.cursor else ' '} {number:<9} {name}", width), width)
        lines.append([Segment(text, Style(reverse=k == state.cursor))])
    return lines


def _overview_key(state: _State, key: str, n: int) -> str | None:
    if key in DOWN:
        state.cursor = min(state.cursor + 1, n - 1)
    elif key in UP:
        state.cursor = max(state.cursor - 1, 0)
    elif key in {"\r", "\n", "\x1b[C"}:
        state.index, state.offset, state.overview, state.follow = state.cursor, 0, False, True
    elif key in {"o", "\x1b", "\x1b[D"}:
        state.overview, state.offset = False, 0
    elif key in {"\x1b[H", "g"}:
        state.cursor = 0
    elif key in {"\x1b[F", "G"}:
        state.cursor = n - 1
    elif key in {"q", "Q"}:
        return "quit"
    elif key.isdigit():
        state.overview, state.typed = False, key
    return None


def _move(state: _State, key: str, pages, total: int, body: int) -> None:
    """Next, back, scroll, jump to a typed step number, or open the overview."""
    index, offset = state.index, state.offset
    _step_or_scroll(state, key, pages, total, body)
    if state.index != index:
        state.follow = True
    elif state.offset != offset and state.typed is None and key in DOWN | UP | NEXT:
        state.follow = False  # the reader scrolls this step: leave them where they went


def _step_or_scroll(state: _State, key: str, pages, total: int, body: int) -> None:
    if state.typed is not None:
        if key.isdigit() or key == ".":
            state.typed += key
            return
        if key in {"\r", "\n"}:
            found = [k for k, page in enumerate(pages) if label(page.heading)[0] == f"Step {state.typed}"]
            if found:
                state.index, state.offset = found[0], 0
            else:
                state.message = f"no step {state.typed}"
        elif key == "\x7f" and state.typed:
            state.typed = state.typed[:-1]
            return
        state.typed = None
        return
    if key.isdigit():
        state.typed = key
    elif key in NEXT:
        if state.offset + body < total:  # the rest of this step first: nothing is skipped unseen
            state.offset += body - 1
        elif state.index < len(pages) - 1:
            state.index, state.offset = state.index + 1, 0
    elif key in PREVIOUS:
        state.index, state.offset = max(state.index - 1, 0), 0
    elif key in DOWN:
        state.offset = min(state.offset + body - 1, max(total - body, 0))
    elif key in UP:
        state.offset = max(state.offset - (body - 1), 0)
    elif key in {"\x1b[H", "g"}:
        state.index, state.offset = 0, 0
    elif key in {"\x1b[F", "G"}:
        state.index, state.offset = len(pages) - 1, 0
    elif key == "o":
        state.overview, state.cursor, state.offset = True, state.index, 0


def _kind(heading: str) -> tuple[str, str]:
    """('1', 'Softmax') for 'Step 1.5: Softmax: A = ...': the head and the step's name, without its number."""
    number, name = label(heading)
    if not number:
        return "", ""
    head = number[len("Step "):].rsplit(".", 1)[0] if "." in number else ""
    return head, re.split(r"[:(]", name)[0].strip()


def _same_place(old: list, index: int, new: list) -> tuple[list, int]:
    """The rebuilt pages and the step that matches the one on screen (same heading, else same number)."""
    heading = old[index].heading
    for k, page in enumerate(new):
        if page.heading == heading:
            return new, k
    # A knob can add or remove a step (the mask), renumbering the rest: stay on the same kind of step.
    kind = _kind(heading)
    rank = sum(_kind(p.heading) == kind for p in old[:index])
    same = [k for k, page in enumerate(new) if _kind(page.heading) == kind]
    if kind[1] and same:
        return new, same[min(rank, len(same) - 1)]
    number = label(heading)[0]
    rank = sum(label(p.heading)[0] == number for p in old[:index]) if number else 0
    same = [k for k, page in enumerate(new) if number and label(page.heading)[0] == number]
    if same:
        return new, same[min(rank, len(same) - 1)]
    return new, min(index, len(new) - 1)
