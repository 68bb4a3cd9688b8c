"""The one exception type for everything a user got wrong: caught in cli.py, printed as one line."""

from __future__ import annotations


class AttncliError(Exception):
    """A problem with the user's input or request, reported without a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, origin: str | None = None, line: int | None = None):
        self.message = message
        self.origin = origin
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.origin is None:
            return self.message
        where = self.origin if self.line is None else f"{self.origin}:{self.line}"
        return f"{where}: {self.message}"


class UsageError(AttncliError):
    """A bad flag or flag value: exit status 2, as for Typer's own usage errors."""

    exit_code = 2
