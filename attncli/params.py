"""Option values parsed without Typer 0.29's pydantic adapters, which cost ~80 ms on every start.

Typer 0.29 coerces every non-flag parameter through a pydantic TypeAdapter, built lazily on first
use; importing pydantic and building the adapters is most of a command's start-up. attncli's options
are all str, int, float, bool or an Enum (optionally None), which need nothing of pydantic. For those,
`install()` gives Typer a plain coercer; any other parameter, or another Typer version without this
hook, keeps Typer's own parsing. See benchmarks/startup.py for the measurements.
"""

from __future__ import annotations

import enum
import types
import typing


def _simple_kind(annotation) -> type | None:
    """str, int, float, bool or an Enum class, with any `| None` removed; None for anything else."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            return None
        annotation = args[0]
    if annotation in (str, int, float, bool):
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    return None


def coerce(kind: type, value, low=None, high=None):
    """Turn a command-line string into `kind`, raising ValueError with a message for the user."""
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        result = value
    elif issubclass(kind, enum.Enum):
        try:
            result = kind(value)
        except ValueError:
            choices = ", ".join(repr(member.value) for member in kind)
            raise ValueError(f"{value!r} is not one of {choices}.") from None
    elif kind is int:
        try:
            result = int(_ascii(str(value).strip()))
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number.") from None
    elif kind is float:
        try:
            result = float(_ascii(str(value).strip()))
        except ValueError:
            raise ValueError(f"{value!r} is not a number.") from None
    elif kind is bool:
        result = bool(value)
    else:
        result = str(value)
    if (low is not None and result < low) or (high is not None and result > high):
        bounds = f"from {low} to {high}" if low is not None and high is not None else (
            f"at least {low}" if low is not None else f"at most {high}")
        raise ValueError(f"{result} is out of range: it must be {bounds}.")
    return result


def _ascii(text: str) -> str:
    """Python's int() and float() read '３' and '١' as digits; on a command line they are a mistake."""
    if not text.isascii():
        raise ValueError(text)
    return text


class _SimpleCoercer:
    """What Typer's RuntimeParam does for one value, for the simple kinds above."""

    __slots__ = ("kind", "low", "high", "bad_parameter")

    def __init__(self, kind: type, low, high, bad_parameter: type):
        self.kind, self.low, self.high, self.bad_parameter = kind, low, high, bad_parameter

    def coerce(self, value, param, ctx):
        if value is None:
            return None
        try:
            return coerce(self.kind, value, self.low, self.high)
        except ValueError as error:
            raise self.bad_parameter(str(error), ctx=ctx, param=param) from None


def install() -> None:
    """Let Typer coerce attncli's simple option types without building pydantic adapters."""
    try:
        from typer import core as typer_core
        from typer._click.exceptions import BadParameter
    except ImportError:
        return
    parameter_class = getattr(typer_core, "_TyperParameter", None)
    original = getattr(parameter_class, "get_runtime_param", None)
    if original is None or getattr(original, "attncli", False):
        return

    def get_runtime_param(self):
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            kind = _simple_kind(descriptor.annotation)
            if kind is None or descriptor.file_annotation is not None or self.multiple or self.nargs != 1:
                return original(self)
            info = descriptor.parameter_info
            self._runtime_param = _SimpleCoercer(kind, getattr(info, "min", None), getattr(info, "max", None),
                                                 BadParameter)
        return self._runtime_param

    get_runtime_param.attncli = True
    parameter_class.get_runtime_param = get_runtime_param
