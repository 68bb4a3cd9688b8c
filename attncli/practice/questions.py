"""The questions of one query row, in the order of the four steps, each with its exact value and its arithmetic."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from attncli.errors import UsageError

LEVELS = ("scores", "scaled", "softmax", "row")
LEVEL_WORDS = {
    "scores": "the scores S = q·k",
    "scaled": "the scores and their scaling by √d_k",
    "softmax": "scores, scaling and softmax (exponentials, their sum, the weights)",
    "row": "the whole row: scores, scaling, softmax and the output",
}
_LEVEL_KINDS = {
    "scores": ("score",),
    "scaled": ("score", "scaled"),
    "softmax": ("score", "scaled", "exp", "sum", "weight"),
    "row": ("score", "scaled", "exp", "sum", "weight", "output"),
}
KINDS = _LEVEL_KINDS["row"]
# Up to here exp() of a score is asked as is; past it, exp(z − max), as the --focus calculation does.
_PLAIN_EXP_LIMIT = 30.0


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise UsageError(f"level {level!r} is not one of: {', '.join(LEVELS)}")
    return level


def show(x: float, places: int = 4) -> str:
    """x to at most `places` decimals, trailing zeros dropped, never '-0': 2, -0.5, 1.3125."""
    from attncli.numbers import fixed  # the tables' rounding: half away from zero, as by hand

    text = fixed(float(x), places).rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def show_vector(values, places: int = 4) -> str:
    return "[" + ", ".join(show(v, places) for v in values) + "]"


@dataclass(frozen=True)
class Rule:
    """How a question's value follows from the values of the questions it depends on."""

    name: str  # times | exp | sum | divide | dot
    factor: float = 1.0  # times: value = dep × factor
    shift: float = 0.0  # exp: value = exp(dep − shift)
    weights: tuple[float, ...] = ()  # dot: value = Σ dep_j × weights_j

    def apply(self, values: Sequence[float]) -> float | None:
        """The value from the given values of the dependencies; None when it cannot be computed."""
        try:
            if self.name == "times":
                result = values[0] * self.factor
            elif self.name == "exp":
                result = math.exp(values[0] - self.shift)
            elif self.name == "sum":
                result = math.fsum(values)
            elif self.name == "divide":
                result = values[0] / values[1]
            elif self.name == "dot":
                result = math.fsum(v * w for v, w in zip(values, self.weights, strict=True))
            else:
                return None
        except (OverflowError, ZeroDivisionError, ValueError, IndexError):
            return None
        return result if math.isfinite(result) else None

    def to_json(self) -> dict:
        doc: dict = {"name": self.name}
        if self.name == "times":
            doc["factor"] = self.factor
        elif self.name == "exp":
            doc["shift"] = self.shift
        elif self.name == "dot":
            doc["weights"] = list(self.weights)
        return doc

    @classmethod
    def from_json(cls, doc: Mapping) -> Rule:
        return cls(name=str(doc["name"]), factor=float(doc.get("factor", 1.0)), shift=float(doc.get("shift", 0.0)),
                   weights=tuple(float(w) for w in doc.get("weights", ())))


RULE_NAMES = ("times", "exp", "sum", "divide", "dot")


@dataclass(frozen=True)
class Question:
    """One quantity to compute by hand, its exact value (float64, from attncli.core) and how to get it."""

    id: str  # stable and a plain YAML key: "S[dog,ate]", with an exercise prefix "e1.S[dog,ate]"
    kind: str  # one of KINDS
    expected: float
    prompt: str  # what to compute: "S[dog,ate] = q_dog · k_ate"
    hint: str  # the formula with the numbers put in, without the result
    arithmetic: tuple[str, ...]  # the worked step, result included
    data: tuple[str, ...] = ()  # numbers from the scenario this step needs: "q_dog = [-0.1, 2]"
    depends: tuple[str, ...] = ()  # earlier question ids this one is computed from
    rule: Rule | None = field(default=None)

    def recompute(self, given: Mapping[str, float]) -> float | None:
        """This question's value from given values of its dependencies; None if one is missing."""
        if self.rule is None or not self.depends or any(d not in given for d in self.depends):
            return None
        return self.rule.apply([given[d] for d in self.depends])


def kinds_for(level: str) -> tuple[str, ...]:
    return _LEVEL_KINDS[check_level(level)]


def labels(tokens: Sequence[str]) -> list[str]:
    """Token names for ids; a repeated token gets its position, as the#1 and the#4."""
    return [t if list(tokens).count(t) == 1 else f"{t}#{i + 1}" for i, t in enumerate(tokens)]


def row_questions(ev, row: int, level: str, *, head_index: int = 0, prefix: str = "") -> tuple[Question, ...]:
    """Every question of query row `row` that `level` asks, in the order a hand calculation goes."""
    kinds = kinds_for(level)
    head = ev.steps.heads[head_index]
    built = _RowBuilder(ev, head, row, prefix)
    out = built.scores()
    if "scaled" in kinds:
        out += built.scaled()
    if "exp" in kinds:
        out += built.softmax()
    if "output" in kinds:
        out += built.outputs()
    return tuple(out)


class _RowBuilder:
    """Builds the questions step by step; each step refers to the ids of the one before."""

    def __init__(self, ev, head, row: int, prefix: str):
        self.head, self.row, self.prefix = head, row, prefix
        self.q_labels = labels(ev.scenario.tokens)
        self.k_labels = labels(ev.scenario.key_tokens)
        self.me = self.q_labels[row]
        self.visible = np.isfinite(head.softmax_input[row])  # (n_k,) False where the mask hides a key
        # key index → (id, exact value, name) of the latest step for that key: the next step's input
        self.last: dict[int, tuple[str, float, str]] = {}

    def _id(self, name: str, *parts: str) -> str:
        return f"{self.prefix}{name}[{','.join(parts)}]"

    def scores(self) -> list[Question]:
        out = []
        q = self.head.q[self.row]
        for j, key in enumerate(self.k_labels):
            if not self.visible[j]:
                continue
            k = self.head.k[j]
            products = " + ".join(f"({show(a)}×{show(b)})" for a, b in zip(q, k))
            value = float(self.head.scores[self.row, j])
            qid = self._id("S", self.me, key)
            out.append(Question(
                id=qid, kind="score", expected=value,
                prompt=f"S[{self.me},{key}] = q_{self.me} · k_{key}",
                hint=products,
                arithmetic=(f"S[{self.me},{key}] = {products} = {show(value)}",),
                data=(f"q_{self.me} = {show_vector(q)}", f"k_{key} = {show_vector(k)}"),
            ))
            self.last[j] = (qid, value, f"S[{self.me},{key}]")
        return out

    def scaled(self) -> list[Question]:
        head = self.head
        if head.scale == 1.0:
            return []  # no scaling step: softmax reads the scores as they are
        exact_root = math.isqrt(head.d_k) ** 2 == head.d_k
        divisor = f"√{head.d_k}"
        root = show(math.sqrt(head.d_k)) if exact_root else show(math.sqrt(head.d_k), 6)
        by_root = abs(head.scale * math.sqrt(head.d_k) - 1.0) < 1e-12
        out = []
        for j, (prev, s, _) in sorted(self.last.items()):
            value = float(head.scaled_scores[self.row, j])
            if by_root:
                how = f"{show(s)} / {divisor} = {show(s)} / {root}"
            else:
                how = f"{show(s)} × {show(head.scale, 6)}"
            qid = self._id("scaled", self.me, self.k_labels[j])
            out.append(Question(
                id=qid, kind="scaled", expected=value,
                prompt=f"S[{self.me},{self.k_labels[j]}] / {divisor}" if by_root
                else f"S[{self.me},{self.k_labels[j]}] × {show(head.scale, 6)}",
                hint=how, arithmetic=(f"{how} = {show(value)}",),
                depends=(prev,), rule=Rule("times", factor=float(head.scale)),
            ))
            self.last[j] = (qid, value, f"scaled[{self.me},{self.k_labels[j]}]")
        return out

    def softmax(self) -> list[Question]:
        z = self.head.softmax_input[self.row]
        shift = 0.0 if np.max(np.abs(z[self.visible])) <= _PLAIN_EXP_LIMIT else float(np.max(z[self.visible]))
        out, exp_ids, exps = [], {}, {}
        for j, (prev, zj, prev_name) in sorted(self.last.items()):
            value = math.exp(float(z[j]) - shift)
            # One minus sign, ASCII, as in every table; a negative shift in parentheses reads as written.
            minus = f" - ({show(shift)})" if shift < 0 else f" - {show(shift)}"
            arg = f"{show(zj)}{minus}" if shift else show(zj)
            name = self.k_labels[j]
            qid = self._id("exp", self.me, name)
            what = f"exp({prev_name}" + (f"{minus})" if shift else ")")
            out.append(Question(
                id=qid, kind="exp", expected=value, prompt=what, hint=f"e^({arg})",
                arithmetic=(f"exp({arg}) = {show(value)}",), depends=(prev,), rule=Rule("exp", shift=shift),
            ))
            exp_ids[j], exps[j] = qid, value
        total = math.fsum(exps.values())
        sum_id = self._id("sum", self.me)
        terms = " + ".join(show(e) for e in exps.values())
        out.append(Question(
            id=sum_id, kind="sum", expected=total, prompt=f"the sum of the exponentials of row {self.me}",
            hint=terms, arithmetic=(f"sum = {terms} = {show(total)}",),
            depends=tuple(exp_ids.values()), rule=Rule("sum"),
        ))
        out += self._weights(exp_ids, exps, sum_id, total)
        return out

    def _weights(self, exp_ids: dict, exps: dict, sum_id: str, total: float) -> list[Question]:
        out = []
        for j, key in enumerate(self.k_labels):
            value = float(self.head.weights[self.row, j])
            qid = self._id("A", self.me, key)
            if not self.visible[j]:
                out.append(Question(
                    id=qid, kind="weight", expected=value, prompt=f"A[{self.me},{key}] ({key} is hidden by the mask)",
                    hint="a hidden key gets exp(-∞) = 0",
                    arithmetic=(f"A[{self.me},{key}] = exp(-∞) / {show(total)} = 0",),
                ))
                continue
            how = f"{show(exps[j])} / {show(total)}"
            out.append(Question(
                id=qid, kind="weight", expected=value, prompt=f"A[{self.me},{key}] = exp[{self.me},{key}] / sum",
                hint=how, arithmetic=(f"A[{self.me},{key}] = {how} = {show(value)}",),
                depends=(exp_ids[j], sum_id), rule=Rule("divide"),
            ))
        return out

    def outputs(self) -> list[Question]:
        head, row = self.head, self.row
        seen = [j for j in range(len(self.k_labels)) if self.visible[j]]
        weight_ids = tuple(self._id("A", self.me, self.k_labels[j]) for j in seen)
        out = []
        for c in range(head.d_v):
            value = float(head.output[row, c])
            terms = " + ".join(f"({show(head.weights[row, j])}×{show(head.v[j, c])})" for j in seen)
            column = " + ".join(f"A[{self.me},{self.k_labels[j]}]×V[{self.k_labels[j]},{c + 1}]" for j in seen)
            out.append(Question(
                id=self._id("out", self.me, str(c + 1)), kind="output", expected=value,
                prompt=f"Output_{self.me}, entry {c + 1} = {column}",
                hint=terms, arithmetic=(f"Output_{self.me}[{c + 1}] = {terms} = {show(value)}",),
                data=tuple(f"V[{self.k_labels[j]},{c + 1}] = {show(head.v[j, c])}" for j in seen),
                depends=weight_ids, rule=Rule("dot", weights=tuple(float(head.v[j, c]) for j in seen)),
            ))
        return out
