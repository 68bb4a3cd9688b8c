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
        # A message may quote a file name or a file's text: shown, never obeyed (see safe_text).
        from attncli.safe_text import visible

        message = visible(self.message, multiline=True)
        if self.origin is None:
            return message
        origin = visible(self.origin)
        where = origin if self.line is None else f"{origin}:{self.line}"
        return f"{where}: {message}"


class UsageError(AttncliError):
    """A bad flag or flag value: exit status 2, as for Typer's own usage errors."""

    exit_code = 2
