"""The one exception type for everything a user got wrong: caught in cli.py, printed as one line."""

from __future__ import annotations

from contextlib import contextmanager


class AttncliError(Exception):
    """A problem with the user's input or request, reported without a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, origin: str | None = None, line: int | None = None):
        self.message = message
        self.origin = origin
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        # A message may quote a file name or a file's text: shown, never obeyed (see safe_text).
        from attncli.safe_text import visible

        message = visible(self.message, multiline=True)
        if self.origin is None:
            return message
        origin = visible(self.origin)
        where = origin if self.line is None else f"{origin}:{self.line}"
        return f"{where}: {message}"

    def lines(self) -> list[str]:
        """What stderr shows, one line a problem."""
        return [str(self)]


class UsageError(AttncliError):
    """A bad flag or flag value: exit status 2, as for Typer's own usage errors."""

    exit_code = 2


class Problems(AttncliError):
    """Several independent problems (a roster's bad lines, answer files not graded), one line each."""

    def __init__(self, problems: list[AttncliError]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}")

    def lines(self) -> list[str]:
        return [str(problem) for problem in self.problems]


@contextmanager
def option(name: str):
    """Name the option a library usage error came from: 'no head 'x'' becomes '--head: no head 'x''."""
    try:
        yield
    except UsageError as error:
        raise UsageError(f"{name}: {error.message}", origin=error.origin, line=error.line) from None
