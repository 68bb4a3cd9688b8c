"""attncli's Typer app: Typer's own parsing, without pydantic's start-up for plain option values.

Typer 0.29 converts every option value through a pydantic TypeAdapter built on first use (~80 ms a
start). `App` is typer.Typer whose group and commands are `Group` and `Command`; these turn their own
parameters into FastOption/FastArgument, subclasses of Typer's whose coercion (Typer's hook,
`get_runtime_param`) converts plain str, int, float, bool and Enum values as Typer does and hands
everything else (other types, unusual spellings, every bad value) to Typer's own coercion, so
results and error messages are Typer's. Nothing outside attncli's commands changes; if the hook is
missing (another Typer version), Typer parses as usual. Measured in benchmarks/startup.py.
"""

from __future__ import annotations

import enum
import math
import re

import typer
from typer import core

# The spellings converted here; each gives what Python's int()/float() give, as pydantic does.
# Signs, spaces, underscores, "inf"/"nan" and the like are valid too: Typer's coercion takes them.
# Compiled on first use (re caches them): --help and default values never need them.
_INT = r"-?[0-9]{1,18}"
_FLOAT = r"-?(?:[0-9]{1,300}\.?[0-9]{0,300}|\.[0-9]{1,300})(?:[eE][-+]?[0-9]{1,3})?"
# pydantic's lax booleans (case-insensitive) after Typer strips the value; "" is False in Typer.
_BOOLS = {"": False, "0": False, "off": False, "f": False, "false": False, "n": False, "no": False,
          "1": True, "on": True, "t": True, "true": True, "y": True, "yes": True}


class _Delegate(Exception):
    """This value is for Typer's own coercion to convert or reject."""


def _number(kind: type, value, info):
    """An int or float from a plain spelling, clamped or range-checked as Typer does."""
    if type(value) is kind:
        number = value
    elif type(value) is str and re.fullmatch(_INT if kind is int else _FLOAT, value, re.ASCII):
        number = kind(value)
    else:
        raise _Delegate
    if kind is float and not math.isfinite(number):
        raise _Delegate
    low, high = info.min, info.max
    if info.clamp:  # typer._adapters._build_number_adapter's clamp_number
        if low is not None and number < low:
            return kind(low)
        if high is not None and number > high:
            return kind(high)
    elif (low is not None and number < low) or (high is not None and number > high):
        raise _Delegate  # Typer words the range error
    return number


def _boolean(value) -> bool:
    if type(value) is bool:
        return value
    if type(value) is str and value.isascii() and value.strip().lower() in _BOOLS:
        return _BOOLS[value.strip().lower()]
    raise _Delegate


def _choice(kind: type[enum.Enum], value, info, ctx):
    """The member whose value is written exactly (or, if case-insensitive, up to case)."""
    if isinstance(value, kind):
        return value
    if type(value) is not str or getattr(ctx, "token_normalize_func", None) is not None:
        raise _Delegate
    wanted = value if info.case_sensitive else value.casefold()
    for member in kind:
        written = str(member.value)
        if (written if info.case_sensitive else written.casefold()) == wanted:
            return member
    raise _Delegate


STR_PAIR = tuple[str, str]


def _convert(kind: type, value, info, ctx):
    if kind == STR_PAIR:
        if type(value) is tuple and len(value) == 2 and all(type(v) is str for v in value):
            return value
        raise _Delegate
    if kind is str:
        if type(value) is str:
            return value
        raise _Delegate
    if kind is bool:
        return _boolean(value)
    if kind is int or kind is float:
        return _number(kind, value, info)
    return _choice(kind, value, info, ctx)


def _simple_kind(param) -> type | None:
    """str, int, float, bool or an Enum, single-valued and without a custom parser, or a pair of str; else None."""
    descriptor = getattr(param, "type_descriptor", None)
    info = getattr(descriptor, "parameter_info", None)
    if info is None or getattr(descriptor, "file_annotation", None) is not None:
        return None
    if getattr(info, "parser", None) is not None or param.multiple:
        return None
    if param.nargs != 1:  # only a pair of words, as `model --link FROM TO`
        return STR_PAIR if param.nargs == 2 and getattr(descriptor, "annotation", None) == STR_PAIR else None
    if not all(hasattr(info, name) for name in ("min", "max", "clamp", "case_sensitive")):
        return None
    kind = getattr(descriptor, "annotation", None)
    if kind in (str, int, float, bool) or (isinstance(kind, type) and issubclass(kind, enum.Enum)):
        return kind
    return None


class _Coercion:
    """Stands in for Typer's RuntimeParam: converts plain values, passes the rest to Typer's."""

    __slots__ = ("kind", "info", "typers")

    def __init__(self, kind: type, info, typers):
        self.kind, self.info, self.typers = kind, info, typers

    def coerce(self, value, param, ctx):
        if value is None:  # as RuntimeParam.coerce does for a single value
            return None
        try:
            return _convert(self.kind, value, self.info, ctx)
        except _Delegate:
            return self.typers().coerce(value, param=param, ctx=ctx)


def _with_coercion(typer_class: type) -> type:
    """A subclass of Typer's parameter class that gives Typer attncli's coercion."""

    class Fast(typer_class):
        __doc__ = f"A {typer_class.__name__} that converts plain values without pydantic."

        def get_runtime_param(self):
            typers = super().get_runtime_param
            coercion = self.__dict__.get("_attncli_coercion")
            if coercion is None:
                kind = _simple_kind(self)
                if kind is None:
                    return typers()
                coercion = self._attncli_coercion = _Coercion(kind, self.type_descriptor.parameter_info, typers)
            return coercion

    Fast.__name__ = Fast.__qualname__ = typer_class.__name__.replace("Typer", "Fast")
    return Fast


# Typer's parameter classes and the hook they call for a coercion; without them, no change.
_TYPER_PARAMETERS = [getattr(core, name, None) for name in ("TyperOption", "TyperArgument")]
_HOOKED = hasattr(core, "TyperCommand") and hasattr(core, "TyperGroup") and all(
    callable(getattr(cls, "get_runtime_param", None)) for cls in _TYPER_PARAMETERS)
_FAST = {cls: _with_coercion(cls) for cls in _TYPER_PARAMETERS} if _HOOKED else {}


def _use_fast_parameters(command, ctx) -> None:
    """Re-class the command's own Typer parameters, --help included (same layout, one method more)."""
    for param in command.get_params(ctx):
        fast = _FAST.get(type(param))
        if fast is not None:
            param.__class__ = fast


# Typer builds parameters with fixed classes (typer.main._get_param) and adds the completion and
# help options after building the command, so the command class adopts its parameters when parsing.
class Command(getattr(core, "TyperCommand", object)):
    """A TyperCommand whose options and arguments convert plain values without pydantic."""

    def parse_args(self, ctx, args):
        _use_fast_parameters(self, ctx)
        return super().parse_args(ctx, args)


class Group(getattr(core, "TyperGroup", object)):
    """A TyperGroup whose own options (--install-completion, ...) convert values without pydantic."""

    def parse_args(self, ctx, args):
        _use_fast_parameters(self, ctx)
        return super().parse_args(ctx, args)


class App(typer.Typer):
    """typer.Typer made of `Group` and `Command`s, unless given other classes.

    preload: modules every command imports, imported before Typer's call stack is built when the
    arguments name a command and ask for no help, before they are parsed (so a usage error in them
    pays for the import too). Imported from inside that stack, a large package such as NumPy makes
    CPython 3.11 allocate and free a 16 KB chunk of its frame stack hundreds of times: its nested
    imports keep crossing a chunk's boundary (measured in benchmarks/startup.py).
    """

    def __init__(self, *args, preload: tuple[str, ...] = (), **kwargs):
        if kwargs.get("cls") is None and _HOOKED:
            kwargs["cls"] = Group
        super().__init__(*args, **kwargs)
        self.preload = preload

    def command(self, *args, **kwargs):
        if kwargs.get("cls") is None and _HOOKED:
            kwargs["cls"] = Command
        return super().command(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        """Build only what this run needs. Typer otherwise builds every command's parameters first
        (about 2 ms a command): `attncli explain` builds explain alone, and a run that names no
        command (`--help`, `--version`, a mistyped command) builds each command as a name and its
        help, which is all the group's help and its "no such command" error show. Shell completion
        still gets every command in full."""
        import os
        import sys

        given = args[0] if args else kwargs.get("args")
        words = list(given) if given is not None else sys.argv[1:]  # as Click's main() reads them
        completing = any(key.startswith("_") and key.endswith("_COMPLETE") for key in os.environ)
        wanted = words[0] if words else ""
        keep = [info for info in self.registered_commands if _command_name(info) == wanted]
        named = {_command_name(info) for info in self.registered_commands}.intersection(words)
        if completing or self.registered_callback is None or (named and not keep):
            chosen = None  # every command in full: completion, or a command after a group option
        else:
            chosen = keep or [_help_only(info) for info in self.registered_commands]
        for info in [self.registered_callback] + (self.registered_commands if chosen is None else chosen):
            if info is not None and info.callback is not None:
                _evaluate_annotations(info.callback)
        helps = (self.info.context_settings or {}).get("help_option_names", ["--help"])
        if keep and not completing and not set(helps).intersection(words):
            from importlib import import_module

            for module in self.preload:
                import_module(module)
        if chosen is None:
            return super().__call__(*args, **kwargs)
        every = self.registered_commands
        self.registered_commands = chosen
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.registered_commands = every


def _evaluate_annotations(callback) -> None:
    """Turn a command's postponed annotations into the objects they name, once.

    Typer reads a command's parameters from its signature about nine times while building it, and
    evaluates every annotation string each time: for explain's twenty options, 1.5 % of its start-up
    (benchmarks/startup.py --instructions). The annotations of attncli's own functions are evaluated
    here once instead, with typing.get_type_hints, as Typer would evaluate them.
    """
    import inspect
    import typing

    function = inspect.unwrap(callback)
    annotations = getattr(function, "__annotations__", None)
    if isinstance(annotations, dict) and any(isinstance(value, str) for value in annotations.values()):
        annotations.update(typing.get_type_hints(function, include_extras=True))


def _help_only(info):
    """A copy of a registered command with no parameters: its name and help as the group lists them."""
    import copy

    def stand_in() -> None:
        raise RuntimeError(f"{name}: built for the group's help only")  # never run: no command was named

    name = _command_name(info)
    stand_in.__name__ = info.callback.__name__ if info.callback is not None else name
    stand_in.__doc__ = getattr(info.callback, "__doc__", None)
    light = copy.copy(info)
    light.name = name
    light.callback = stand_in
    return light


def _command_name(info) -> str:
    """The name a registered command is called by, as Typer derives it from the function."""
    if info.name:
        return info.name
    return info.callback.__name__.lower().replace("_", "-") if info.callback is not None else ""
