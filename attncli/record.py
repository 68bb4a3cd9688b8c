"""Record: named, read-only fields, for the plain data that every start of the command line defines."""


class Record:
    """Named fields, set once by __init__ and read-only after: a frozen dataclass without its cost.

    A subclass writes out its __init__ (the fields, their types, defaults and shapes) and stores the
    arguments with `self._set(locals())`. Defining a frozen dataclass compiles four functions when its
    module is imported, about 3 M instructions each, and a NamedTuple one, about 0.7 M; a Record
    compiles nothing (benchmarks/startup.py). Equality is identity, as for `eq=False` dataclasses: the
    fields are often arrays. Records that only some commands import may stay dataclasses.
    """

    def _set(self, arguments: dict) -> None:
        """Keep __init__'s arguments (its locals()) as the fields."""
        vars(self).update((name, value) for name, value in arguments.items() if name != "self")

    def _replace(self, **changes):
        """A copy with some fields changed, as NamedTuple._replace and dataclasses.replace make."""
        unknown = sorted(changes.keys() - vars(self).keys())
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
