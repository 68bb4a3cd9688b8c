"""What `scenarios` shows: the built-in scenarios, each with the first sentence of its description."""

from __future__ import annotations

from attncli.scenario import Scenario
from attncli.views import Grid, Page, View


def view(builtins: list[tuple[str, Scenario]]) -> View:
    rows = tuple((name, sc.name, first_sentence(sc.description)) for name, sc in builtins)
    grid = Grid(("name", "title", "description"), rows, "Built-in scenarios (use the name in place of a file)",
                numeric=False)

    def document() -> dict:
        return {"scenarios": [{"name": name, "title": sc.name, "description": sc.description} for name, sc in builtins]}

    return View("Built-in scenarios", (Page("Built-in scenarios", (grid,)),), document)


def first_sentence(text: str) -> str:
    """The first sentence; `attncli show NAME` has the rest."""
    first = text.split(". ")[0].rstrip(".")
    return first + "." if first else ""
