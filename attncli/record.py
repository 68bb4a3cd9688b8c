"""Record: the fields a class annotates, read-only, for the plain data that every start defines."""

try:
    from typing import dataclass_transform  # Python 3.11+: type checkers read Record's fields as a dataclass's
except ImportError:  # Python 3.10: type checkers take the line above; at run time it only marks the class
    def dataclass_transform(**kwargs):
        return lambda cls: cls


@dataclass_transform(eq_default=False, frozen_default=True)
class Record:
    """A frozen dataclass without its cost: fields are the class's annotations, as for @dataclass.

    Defining a frozen dataclass compiles its __init__, __repr__, __setattr__ and __delattr__ when its
    module is imported (about 3 M instructions a class), a NamedTuple its __new__ (about 0.5 M); a
    Record compiles nothing, and every start of the command line defines dozens of them
    (benchmarks/startup.py). __init__ takes the fields in order, positionally or by name, with the
    annotated defaults. Equality is identity, as for `eq=False` dataclasses: fields are often arrays.
    Records that only some commands define (presenter mode, practice, a model) may stay dataclasses.
    """

    __match_args__: tuple[str, ...] = ()  # the fields, in order (also for `match`)
    _defaults: dict = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = [name for name in cls.__dict__.get("__annotations__", {}) if not name.startswith("_")]
        cls.__match_args__ = cls.__match_args__ + tuple(name for name in own if name not in cls.__match_args__)
        cls._defaults = {**cls._defaults, **{name: cls.__dict__[name] for name in own if name in cls.__dict__}}

    def __init__(self, *args, **kwargs) -> None:
        fields, kind = self.__match_args__, type(self).__name__
        if vars(self):
            raise AttributeError(f"{kind} is read-only")
        if len(args) > len(fields):
            raise TypeError(f"{kind}() takes {len(fields)} fields but {len(args)} were given")
        given = dict(zip(fields, args))
        for name, value in kwargs.items():
            if name not in fields:
                raise TypeError(f"{kind}() got an unexpected field {name!r}")
            if name in given:
                raise TypeError(f"{kind}() got {name!r} twice")
            given[name] = value
        missing = [name for name in fields if name not in given and name not in self._defaults]
        if missing:
            raise TypeError(f"{kind}() is missing {', '.join(map(repr, missing))}")
        vars(self).update((name, given[name] if name in given else self._defaults[name]) for name in fields)

    def _replace(self, **changes):
        """A copy with some fields changed, as NamedTuple._replace and dataclasses.replace make."""
        unknown = sorted(changes.keys() - set(self.__match_args__))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {unknown[0]!r}")
        copy = object.__new__(type(self))
        vars(copy).update(vars(self), **changes)
        return copy

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only; ._replace({name}=...) makes a changed copy")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"
