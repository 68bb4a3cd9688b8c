"""What the API returns: the core's step records, able to show themselves.

In Jupyter each result renders as HTML (the shaded weights and tables of the views), elsewhere as
markdown or a one-line repr; `.explain()` shows every step. The HTML and markdown are rendered
from Views, never recomputed. Nothing here needs Jupyter: IPython is used only when it is running.
"""

from __future__ import annotations

import sys
from typing import Any

from attncli import compare as comparing
from attncli import core
from attncli import scenario as scenarios
from attncli.record import Record
from attncli.views import View


class _Shows:
    """Display hooks shared by every result: Jupyter's _repr_html_ and _repr_markdown_, and explain()."""

    def view(self, full: bool = False, precision: int = 3) -> View:
        """The View this result shows: a summary, or with full=True every step."""
        raise NotImplementedError

    def _repr_html_(self) -> str:
        from attncli.render_html import render

        return render(self.view())

    def _repr_markdown_(self) -> str:
        from attncli.render_markdown import render

        return render(self.view())

    def to_html(self, full: bool = True, precision: int = 3) -> str:
        """A self-contained HTML fragment with inline styles: every step, or with full=False the summary."""
        from attncli.render_html import render

        return render(self.view(full, precision))

    def to_markdown(self, full: bool = True, precision: int = 3) -> str:
        """GitHub markdown, as `--format markdown` writes it."""
        from attncli.render_markdown import render

        return render(self.view(full, precision))

    def explain(self, precision: int = 3) -> None:
        """Show every step: inline HTML in Jupyter, text in a terminal."""
        display(self, precision=precision)

    def _about(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        # One line, not a dump of every array: the tables are in str(), HTML and explain().
        return f"<{type(self).__name__} {self._about()}>"

    def __str__(self) -> str:
        from attncli.render_markdown import render

        return render(self.view())


def display(what: Any, *, precision: int = 3) -> None:
    """Show a result's full walkthrough (or any View): inline HTML in a Jupyter kernel, text elsewhere."""
    if not isinstance(what, (View, _Shows)):
        from attncli.errors import AttncliError

        raise AttncliError(f"display() shows what attncli returns (steps, scenarios, comparisons), "
                           f"not {type(what).__name__}")
    view = what if isinstance(what, View) else what.view(True, precision)
    shell = _kernel()
    if shell is not None:
        from IPython.display import HTML
        from IPython.display import display as show

        from attncli.render_html import render

        show(HTML(render(view)))
        return
    from attncli.deliver import Delivery, deliver

    deliver(view, Delivery())


def _kernel() -> Any:
    """The running Jupyter kernel's shell, or None (plain Python, or IPython in a terminal)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if getattr(shell, "kernel", None) is not None else None


def _copy(source: Record, cls: type, **extra: Any) -> Any:
    """An instance of the display subclass with the same fields, and `extra` ones or changed ones."""
    return freeze(cls(**{**vars(source), **extra}))


def freeze(result: Any) -> Any:
    """The result, with every array it holds (in its fields, their fields, tuples) made read-only.

    Results are records of what was computed: an array changed in place would no longer be the
    step it names, and every view drawn from it would disagree with the others.
    """
    import numpy as np

    seen: set[int] = set()
    stack = [result]
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        elif isinstance(value, (tuple, list)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif hasattr(value, "__dict__") and (isinstance(value, Record) or hasattr(value, "__dataclass_fields__")):
            stack.extend(vars(value).values())
    return result


class HeadSteps(_Shows, core.HeadSteps):
    """One head's steps (q, k, v, scores, scaled_scores, masked_scores, weights, output), with row labels."""

    query_tokens: tuple[str, ...] = ()
    key_tokens: tuple[str, ...] = ()

    @classmethod
    def of(cls, steps: core.HeadSteps, query_tokens: tuple[str, ...], key_tokens: tuple[str, ...]) -> "HeadSteps":
        return _copy(steps, cls, query_tokens=query_tokens, key_tokens=key_tokens)

    def view(self, full: bool = False, precision: int = 3) -> View:
        from attncli.views import steps

        return steps.head_view(self, full, precision)

    def _about(self) -> str:
        n_q, n_k = self.scores.shape
        return (f"{self.name!r}: {n_q} queries × {n_k} keys, d_k = {self.d_k}, d_v = {self.d_v}; "
                ".weights, .output, .explain()")

    def to_dict(self) -> dict:
        """The head's entry of the JSON contract (`explain --format json`)."""
        from attncli.views import steps

        return steps.head_json(self)


class AttentionSteps(_Shows, core.AttentionSteps):
    """Every head's steps (`.heads[i].weights`), their concatenation and `.output`, as the JSON contract names them."""

    evaluation: scenarios.Evaluation | None = None

    @classmethod
    def of(cls, ev: scenarios.Evaluation) -> "AttentionSteps":
        sc = ev.scenario
        heads = tuple(HeadSteps.of(h, sc.tokens, sc.key_tokens) for h in ev.steps.heads)
        return _copy(ev.steps, cls, heads=heads, evaluation=ev)

    @property
    def scenario(self) -> scenarios.Scenario:
        return self.evaluation.scenario

    @property
    def query_tokens(self) -> tuple[str, ...]:
        return self.evaluation.scenario.tokens

    @property
    def key_tokens(self) -> tuple[str, ...]:
        return self.evaluation.scenario.key_tokens

    def view(self, full: bool = False, precision: int = 3) -> View:
        from attncli.views import steps, walkthrough

        return walkthrough.view(self.evaluation, precision) if full else steps.summary_view(self.evaluation, precision)

    def _about(self) -> str:
        n = len(self.heads)
        return (f"{self.scenario.name!r}: {n} head{'s' if n > 1 else ''}, {len(self.query_tokens)} queries × "
                f"{len(self.key_tokens)} keys, output {self.output.shape[0]}×{self.output.shape[1]}; "
                ".heads[i].weights, .output, .explain()")

    def to_dict(self) -> dict:
        """The JSON contract of `explain --format json`, as Python lists and numbers."""
        from attncli.views.walkthrough import explain_json

        return explain_json(self.evaluation)


class Scenario(_Shows, scenarios.Scenario):
    """A validated scenario: tokens, embeddings x, heads (HeadWeights), W_O, masks, as float64 arrays."""

    @classmethod
    def of(cls, sc: scenarios.Scenario) -> "Scenario":
        return sc if isinstance(sc, cls) else _copy(sc, cls)

    def view(self, full: bool = False, precision: int = 3) -> View:
        from attncli.views import steps, walkthrough

        if full:
            return walkthrough.view(scenarios.evaluate(self, scenarios.settings_for(self)), precision)
        return steps.scenario_view(self, precision)

    def _about(self) -> str:
        return f"{self.name!r} from {self.origin}: tokens {', '.join(self.tokens)}; attncli.run(scenario)"


class Comparison(_Shows, comparing.Comparison):
    """A scenario against a variant: `.baseline` and `.variant` evaluations, row statistics and `.change`."""

    @classmethod
    def of(cls, cmp: comparing.Comparison) -> "Comparison":
        return _copy(cmp, cls)

    def view(self, full: bool = False, precision: int = 3) -> View:
        from attncli.views import comparison

        return comparison.view(self, precision)

    def _about(self) -> str:
        return f"{self.baseline.scenario.name!r}: as written against {self.change.lower()}"

    def to_dict(self) -> dict:
        """The JSON of `compare --format json`."""
        from attncli.views import comparison

        return comparison.comparison_json(self, comparison.verdict(self))

