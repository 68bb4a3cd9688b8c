"""The settings presenter mode can turn while a class watches: temperature, √d_k scaling, mask, focus row."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from attncli.numbers import trim

TEMPERATURES = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)  # what t and T step through


@dataclass(frozen=True)
class Knobs:
    """What explain was run with, as it is in effect (not as the flags spelled it)."""

    temperature: float
    scaled: bool
    masked: bool
    focus: int | None  # the query row written out by hand, or None


@dataclass(frozen=True, eq=False)
class Live:
    """A view that can be rebuilt with other knobs: `rebuild` raises AttncliError for settings it refuses."""

    knobs: Knobs
    rebuild: Callable[[Knobs], object]  # Knobs -> View
    rows: tuple[str, ...]  # the query tokens, for the focus


def colder(t: float) -> float:
    """The next temperature below t on the ladder (t itself at the bottom)."""
    return max([x for x in TEMPERATURES if x < t * (1 - 1e-9)], default=min(t, TEMPERATURES[0]))


def warmer(t: float) -> float:
    return min([x for x in TEMPERATURES if x > t * (1 + 1e-9)], default=max(t, TEMPERATURES[-1]))


def turn(knobs: Knobs, key: str, n_rows: int) -> Knobs | None:
    """The knobs after a key (t, T, s, m, f), or None when the key is not a knob."""
    # t flattens A (a warmer softmax), T sharpens it: a lecturer presses t to show weights spreading out.
    if key == "t":
        return replace(knobs, temperature=warmer(knobs.temperature))
    if key == "T":
        return replace(knobs, temperature=colder(knobs.temperature))
    if key == "s":
        return replace(knobs, scaled=not knobs.scaled)
    if key == "m":
        return replace(knobs, masked=not knobs.masked)
    if key == "f":
        return replace(knobs, focus=0 if knobs.focus is None else (knobs.focus + 1) % n_rows)
    return None


def describe(knobs: Knobs, start: Knobs, rows: tuple[str, ...]) -> str:
    """The settings that differ from the start, in a few words for the footer ('' when none do)."""
    words = []
    if knobs.temperature != start.temperature:
        words.append(f"T={trim(knobs.temperature, 2, 0)}")
    if knobs.scaled != start.scaled:
        words.append("√d_k on" if knobs.scaled else "√d_k off")
    if knobs.masked != start.masked:
        words.append("mask on" if knobs.masked else "mask off")
    if knobs.focus != start.focus and knobs.focus is not None:
        words.append(f"focus {rows[knobs.focus]}")
    return " ".join(words)
