"""Attention exercises with numbers a person can handle, the same from the same seed on every machine.

Embeddings are small whole numbers (−2…2) and weights one-decimal numbers (−1.0…1.0), so Q, K and
V have one decimal and the scores two; d_k is 4 or 9 (1 on request) so √d_k is exact. The first
exercise of a sheet is plain self-attention; with `twist`, later ones use a causal mask (when the
level reaches softmax, where a mask matters) or cross-attention. Exponentials are left to a
calculator, as most courses allow: a table of e^x at the needed points would give the answers away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attncli.practice.draws import Draws
from attncli.practice.questions import LEVELS, Question, check_level, row_questions

WORDS = ("cat", "dog", "sat", "ran", "sun", "sky", "red", "big", "old", "fox", "owl", "ate",
         "hat", "cup", "tea", "map", "pen", "box", "bee", "ant", "hen", "cow", "pig", "bus")
SOURCE_WORDS = ("le", "chat", "chien", "mange", "noir", "petit", "soleil", "rouge", "lait", "pain",
                "vert", "lune")
MODES = ("self", "causal", "cross")
_MAX_SCALED = 4.0  # |score/√d_k| on the asked row: e^4 ≈ 55 is still a number to write down
_MIN_SPREAD = 0.5  # the row's scaled scores must differ, or the weights are all equal
_ATTEMPTS = 1000


@dataclass(frozen=True)
class Options:
    """How a sheet's exercises are made."""

    exercises: int = 2  # per student
    decimals: int = 3  # answers are asked, and checked, to this many decimals
    d_k: tuple[int, ...] = (4, 9)  # each a perfect square; 1 makes the scaling step a division by 1
    twist: bool = True  # exercises after the first use a causal mask or cross-attention


@dataclass(frozen=True, eq=False)
class Exercise:
    """One generated problem: the scenario, the row to compute and its questions."""

    id: str  # "e1", the prefix of its question ids
    level: str
    mode: str  # self | causal | cross
    scenario: dict  # a mapping `attncli explain` accepts when written to a YAML file
    focus: int  # the query row asked about
    questions: tuple[Question, ...]
    evaluation: object  # attncli.scenario.Evaluation the expected values come from

    @property
    def focus_token(self) -> str:
        return self.scenario["tokens"][self.focus]


def scenario_yaml(mapping: dict) -> str:
    """The scenario mapping as YAML text for `attncli explain`."""
    import yaml

    return yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)


def generate(seed: str, student: str, level: str, options: Options = Options()) -> tuple[Exercise, ...]:
    """The exercises of one student's sheet."""
    return tuple(make_exercise(seed, student, n, level, options) for n in range(1, options.exercises + 1))


def make_exercise(seed: str, student: str, number: int, level: str, options: Options = Options()) -> Exercise:
    """Exercise `number` (from 1) of `student` under course `seed`: drawn until its row is tractable."""
    check_level(level)
    bad = [d for d in options.d_k if d < 1 or int(round(d ** 0.5)) ** 2 != d]
    if bad or not options.d_k:
        raise ValueError(f"d_k must be perfect squares, got {options.d_k}")
    mode = _mode(seed, student, number, level, options)
    for attempt in range(_ATTEMPTS):
        draws = Draws(seed, student, number, attempt)
        mapping, focus = _draw(draws, mode, options)
        if _tractable(mapping, focus):
            return _build(mapping, focus, f"e{number}", level, mode, student)
    raise RuntimeError(f"no tractable exercise in {_ATTEMPTS} attempts")  # would be a bug in the bounds


def _mode(seed: str, student: str, number: int, level: str, options: Options) -> str:
    if number == 1 or not options.twist:
        return "self"
    if LEVELS.index(level) < LEVELS.index("softmax"):
        return "cross"  # a mask changes nothing before softmax
    return Draws(seed, student, number, "mode").pick(("causal", "cross"))


def _draw(draws: Draws, mode: str, options: Options) -> tuple[dict, int]:
    n_q = draws.between(3, 4) if mode == "causal" else draws.between(2, 4)
    n_k = draws.between(2, 4) if mode == "cross" else n_q
    d_model = draws.between(2, 3)
    d_k = draws.pick(options.d_k)
    d_v = 2
    whole = lambda rows, cols: [[draws.between(-2, 2) for _ in range(cols)] for _ in range(rows)]
    tenths = lambda rows, cols: [[draws.between(-10, 10) / 10 for _ in range(cols)] for _ in range(rows)]
    mapping: dict = {"tokens": draws.sample(WORDS, n_q), "embeddings": whole(n_q, d_model)}
    if mode == "cross":
        mapping["source"] = {"tokens": draws.sample(SOURCE_WORDS, n_k), "embeddings": whole(n_k, d_model)}
    mapping["W_Q"] = tenths(d_model, d_k)
    mapping["W_K"] = tenths(d_model, d_k)
    mapping["W_V"] = tenths(d_model, d_v)
    mapping["mask"] = "causal" if mode == "causal" else False
    mapping["scale"] = True
    # Causal: a row that sees two keys or more and hides one at least.
    focus = draws.between(1, n_q - 2) if mode == "causal" else draws.below(n_q)
    return mapping, focus


def _tractable(mapping: dict, focus: int) -> bool:
    """No all-zero token or value column, and the asked row's scaled scores small and not all alike."""
    x = np.array(mapping["embeddings"], dtype=np.float64)  # (n_q, d_model)
    src = np.array(mapping["source"]["embeddings"], dtype=np.float64) if "source" in mapping else x
    if not (x.any(axis=1).all() and src.any(axis=1).all()):
        return False
    w_q, w_k, w_v = (np.array(mapping[k], dtype=np.float64) for k in ("W_Q", "W_K", "W_V"))
    q, k, v = x[focus] @ w_q, src @ w_k, src @ w_v  # (d_k,), (n_k, d_k), (n_k, d_v)
    z = (k @ q) / np.sqrt(w_q.shape[1])  # (n_k,)
    if mapping["mask"] == "causal":
        z = z[: focus + 1]
    return bool(np.abs(z).max() <= _MAX_SCALED and np.ptp(z) >= _MIN_SPREAD and np.abs(v).sum(axis=0).all())


def _build(mapping: dict, focus: int, exercise_id: str, level: str, mode: str, student: str) -> Exercise:
    """Read the mapping as `attncli explain` would, run it, and ask the focus row's questions."""
    from attncli import loader
    from attncli.scenario import evaluate, settings_for

    sc = loader.parse(scenario_yaml(mapping), origin=f"{student} {exercise_id}")
    ev = evaluate(sc, settings_for(sc))
    questions = row_questions(ev, focus, level, prefix=f"{exercise_id}.")
    return Exercise(id=exercise_id, level=level, mode=mode, scenario=mapping, focus=focus,
                    questions=questions, evaluation=ev)
