"""attncli: learn the attention mechanism of transformers by computing it, one step at a time.

Use from Python::

    import attncli
    steps = attncli.run(attncli.load("dog_ate_dinner"))
    steps.heads[0].weights[0]      # the row of 'dog': [0.448, 0.172, 0.380]
    steps.explain()                # every step, inline in Jupyter or as text elsewhere

Importing attncli imports nothing heavy (not even NumPy): each name below is loaded on first use,
so `attncli --help` starts as fast as Typer and a notebook pays only for what it touches.
"""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: `typing` imports `re` and `enum`, the longest moment of
# start-up in which Ctrl-C would still be a traceback (attncli.entry takes over right after this file).
TYPE_CHECKING = False

__version__ = "0.1.0"

__all__ = [
    "AttentionSteps",
    "AttncliError",
    "Comparison",
    "HeadSteps",
    "HeadWeights",
    "Scenario",
    "attention",
    "builtin_names",
    "comparison",
    "display",
    "generate",
    "load",
    "model",
    "multi_head",
    "run",
    "softmax",
]

# Where each public name lives. No public name may be a submodule's name (`from attncli import compare`
# would get the function instead of the module); the real-model code is attncli.pretrained, so `model` is free.
_LAZY = {
    "AttncliError": "attncli.errors",
    "AttentionSteps": "attncli.api",
    "Comparison": "attncli.api",
    "HeadSteps": "attncli.api",
    "HeadWeights": "attncli.api",
    "Scenario": "attncli.api",
    "attention": "attncli.api",
    "builtin_names": "attncli.api",
    "comparison": "attncli.api",
    "display": "attncli.api",
    "generate": "attncli.api",
    "load": "attncli.api",
    "model": "attncli.api",
    "multi_head": "attncli.api",
    "run": "attncli.api",
    "softmax": "attncli.api",
}

if TYPE_CHECKING:  # type checkers and editors see the real names; nothing is imported at run time
    from typing import Any

    from attncli.api import (AttentionSteps, Comparison, HeadSteps, HeadWeights, Scenario, attention,
                             builtin_names, comparison, display, generate, load, model, multi_head, run, softmax)
    from attncli.errors import AttncliError


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'attncli' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
