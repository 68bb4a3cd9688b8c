"""The Python API: attention on your own arrays, scenarios loaded and run, results that show themselves.

Inputs are array-likes (lists of rows, NumPy arrays of any real type), computed in float64. Every
problem is an AttncliError worded as the command line words it, with Python's row numbers (from 0).
Nothing here imports Typer or Rich; YAML is imported only to read a scenario.
"""

from __future__ import annotations

import difflib
import math
import os
from typing import Any, Mapping, Sequence, Union

import numpy as np

from attncli import checks, core
from attncli import scenario as scenarios
from attncli.errors import AttncliError
from attncli.results import AttentionSteps, Comparison, HeadSteps, Scenario, display

HeadWeights = core.HeadWeights
ArrayLike = Any  # a list of rows, or a NumPy array; converted to float64
HeadSpec = Union[core.HeadWeights, Mapping[str, ArrayLike], Sequence[ArrayLike]]
MaskSpec = Union[None, bool, str, ArrayLike]

__all__ = ["AttentionSteps", "Comparison", "HeadSteps", "HeadWeights", "Scenario", "attention", "builtin_names",
           "comparison", "display", "load", "multi_head", "run", "softmax"]


def softmax(x: ArrayLike) -> np.ndarray:
    """Row-wise softmax in float64 (over the last axis); -∞ entries get weight exactly 0."""
    a = _numbers(x, "x", "a row of scores like [1.0, 2.0], or a list of rows")
    if a.ndim == 0:
        raise AttncliError("x should be a row of scores like [1.0, 2.0], or a list of rows, not a single number")
    if a.size == 0:
        raise AttncliError("x is empty: softmax needs at least one score in each row, like [1.0, 2.0]")
    bad = np.argwhere(np.isnan(a) | (a == np.inf))
    if bad.size:
        index = tuple(int(n) for n in bad[0])
        why = ("NaN is not a score" if np.isnan(a[index]) else
               "a +∞ score makes its row ∞/∞, not a number (-∞ is allowed: weight 0)")
        raise AttncliError(f"{_place(index, 'x')} is {a[index]}: {why}")
    empty = np.argwhere(~np.isfinite(a).any(axis=-1, keepdims=True))
    if empty.size:
        at = _place(tuple(int(n) for n in empty[0][:-1]), "x", row=True)
        raise AttncliError(f"{at} is all -∞: softmax over no entries is 0/0; leave at least one entry finite")
    with np.errstate(over="ignore"):  # a score far below its row's largest has weight 0, as it should
        return core.softmax(a)


def builtin_names() -> list[str]:
    """The names of the scenarios shipped with attncli, for load()."""
    from attncli import loader

    return loader.builtin_names()


def attention(q: ArrayLike, k: ArrayLike, v: ArrayLike, *, scale: float | None = None,
              mask: MaskSpec = None) -> HeadSteps:
    """softmax(Q·Kᵀ·scale)·V, every step kept; scale None is 1/√d_k, mask True = may attend or "causal"."""
    q, k, v = as_matrix(q, "q"), as_matrix(k, "k"), as_matrix(v, "v")  # (n_q, d_k), (n_k, d_k), (n_k, d_v)
    if q.shape[1] != k.shape[1]:
        raise AttncliError(f"q has {checks.count(q.shape[1], 'column')} but k has {k.shape[1]}: "
                           "queries and keys need the same width d_k to take their dot products")
    if k.shape[0] != v.shape[0]:
        raise AttncliError(f"k has {checks.count(k.shape[0], 'row')} but v has {v.shape[0]}: every key needs its value "
                           "(one row of v per row of k)")
    _check_steps_size(q.shape[0], k.shape[0], 1)
    factor = _scale_factor(scale, q.shape[1])
    allowed = _mask_matrix(mask, q.shape[0], k.shape[0], causal_words=("causal",))
    q_labels, k_labels = tuple(f"q{i}" for i in range(q.shape[0])), tuple(f"k{j}" for j in range(k.shape[0]))
    if allowed is not None:
        _refuse_blind_rows(allowed, q_labels, origin=None)
    with np.errstate(over="ignore", invalid="ignore"):
        steps = core.attend(q, k, v, scale=factor, allowed=allowed, name="attention")
    _check_finite(steps, q_labels, k_labels)
    return HeadSteps.of(steps, q_labels, k_labels)


def multi_head(x: ArrayLike, heads: Sequence[HeadSpec] | HeadSpec, *, source: ArrayLike | None = None,
               w_o: ArrayLike | None = None, b_o: ArrayLike | None = None, mask: MaskSpec = None,
               scale: bool = True, temperature: float = 1.0, tokens: Sequence[str] | None = None,
               source_tokens: Sequence[str] | None = None) -> AttentionSteps:
    """Multi-head attention over x (or from x to source): each head a dict, a (W_Q, W_K, W_V) tuple or HeadWeights."""
    x = as_matrix(x, "x")  # (n_q, d_model)
    src = None if source is None else as_matrix(source, "source")  # (n_k, d_model_source)
    weights = head_weights(heads, x.shape[1], None if src is None else src.shape[1])
    out_w, out_b = _output_projection(w_o, b_o, weights)
    names = _tokens(tokens, x.shape[0], "tokens", "x", "t")
    src_names = None if src is None else _tokens(source_tokens, src.shape[0], "source_tokens", "source", "s")
    if src is None and source_tokens is not None:
        raise AttncliError("source_tokens name the rows of source; give source too, or leave source_tokens out")
    n_k = x.shape[0] if src is None else src.shape[0]
    causal, matrix = _scenario_mask(mask, x.shape[0], n_k)
    sc = Scenario(name="multi-head attention", origin="multi_head()", tokens=names, x=x, heads=weights,
                  source_tokens=src_names, source_x=src, w_o=out_w, b_o=out_b, causal=causal, mask_matrix=matrix,
                  scale=_flag(scale, "scale"))
    return run(sc, temperature=temperature)


def load(source: str | os.PathLike) -> Scenario:
    """A scenario from a built-in name, a file path, or YAML text (a string with a newline, ': ' or a leading '{')."""
    from attncli import loader

    if isinstance(source, os.PathLike):
        return Scenario.of(loader.load(os.fspath(source)))
    if not isinstance(source, str):
        raise AttncliError(f"load() takes a built-in name, a file path or YAML text, not {type(source).__name__}")
    _check_text_size(source)
    if _is_yaml_text(source):
        return Scenario.of(loader.parse(source, origin="<text>"))
    return Scenario.of(loader.load(source))


def _check_text_size(text: str) -> None:
    """YAML text is bounded as a scenario file is, before it is parsed (15 MB would take 13 s and 1.5 GB)."""
    from attncli import limits

    limit = limits.max_file_bytes()
    if len(text) > limit or (len(text) * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit):
        raise AttncliError(f"the text is larger than {limit:,} bytes; raise the limit with {limits.FILE_ENV}=<bytes> "
                           "if you mean it", origin="<text>")


def _check_steps_size(n_q: int, n_k: int, n_heads: int) -> None:
    problem = checks.steps_size(n_q, n_k, n_heads)
    if problem:
        raise AttncliError(problem)


def _is_yaml_text(source: str) -> bool:
    """YAML text, not a name or path: a newline, a 'key: value' or a flow mapping. 'C:\\x.yaml' stays a path."""
    return "\n" in source or ": " in source or source.lstrip().startswith("{")


def run(scenario: scenarios.Scenario | str, *, scale: bool | None = None, mask: MaskSpec = None,
        temperature: float = 1.0) -> AttentionSteps:
    """Every step of a scenario; scale and mask None keep the scenario's choice, mask False turns every mask off."""
    sc = load(scenario) if isinstance(scenario, (str, os.PathLike)) else scenario
    if not isinstance(sc, scenarios.Scenario):
        raise AttncliError(f"run() takes a Scenario (from attncli.load) or a name, path or YAML text, "
                           f"not {type(scenario).__name__}")
    _check_temperature(temperature)
    _check_steps_size(len(sc.tokens), len(sc.key_tokens), len(sc.heads))
    scaled = None if scale is None else _flag(scale, "scale")
    if mask is None or isinstance(mask, (bool, np.bool_)) or (isinstance(mask, str) and mask == "causal"):
        on = None if mask is None else mask == "causal" or mask is True or mask is np.True_
        settings = scenarios.settings_for(sc, scale=scaled, mask=on, temperature=float(temperature))
    else:  # a matrix of its own replaces every mask the scenario has
        causal, matrix = _scenario_mask(mask, len(sc.tokens), len(sc.key_tokens))
        sc = sc._replace(causal=causal, mask_matrix=matrix, key_padding=None)
        settings = scenarios.settings_for(sc, scale=scaled, temperature=float(temperature))
    ev = scenarios.evaluate(sc, settings)
    return AttentionSteps.of(scenarios.Evaluation(Scenario.of(ev.scenario), ev.settings, ev.steps))


def comparison(scenario: scenarios.Scenario | str, *, scale: bool | None = None, mask: bool | None = None,
            temperature: float | None = None) -> Comparison:
    """The scenario as written against a variant changed by scale, mask or temperature (none: scaling flipped)."""
    from attncli import compare as comparing
    from attncli.errors import UsageError

    sc = load(scenario) if isinstance(scenario, (str, os.PathLike)) else scenario
    if not isinstance(sc, scenarios.Scenario):
        raise AttncliError(f"comparison() takes a Scenario (from attncli.load) or a name, path or YAML text, "
                           f"not {type(scenario).__name__}")
    if temperature is not None:
        _check_temperature(temperature)
    _check_steps_size(len(sc.tokens), len(sc.key_tokens), 2 * len(sc.heads))  # the scenario and its variant
    base = scenarios.settings_for(sc)
    try:
        variant, change = comparing.variant_settings(
            base, scale=None if scale is None else _flag(scale, "scale"),
            mask=None if mask is None else _flag(mask, "mask"),
            temperature=None if temperature is None else float(temperature))
        cmp = comparing.compare(sc, base, variant, change, not comparing.is_default_variant(scale, mask, temperature))
    except UsageError as error:  # the command line's words name its flags; here they are arguments
        message = error.message.replace("--no-scale", "scale=False").replace("--scale", "scale=True")
        message = message.replace("--no-mask", "mask=False").replace("--mask", "mask=True")
        raise AttncliError(message.replace("--temperature", "temperature="), origin=error.origin) from None
    return Comparison.of(cmp)


# ---- array-likes to checked float64 arrays ---------------------------------------------------------


def model(text: str, *, name: str | None = None, float32: bool = False):
    """A pretrained model on your text: every layer's and head's steps (a ModelRun).

    `name`: "minilm" (default, the encoder all-MiniLM-L6-v2), "smollm2" (the decoder SmolLM2-135M-Instruct,
    causal, with RoPE and shared key/value heads), a GGUF file (a Llama decoder), a BERT model directory
    or a hub id. `.weights` is every head's attention weights, (layers, heads, n, n); `.tokens` the tokens
    (a decoder's start with its BOS token); `.head(layer, head).steps` one head's HeadSteps.
    Needs tokenizers with safetensors (encoders) or gguf (decoders), and the model's weights package.
    """
    from attncli.model_run import ModelRun
    from attncli.pretrained import load_model

    if not isinstance(text, str):
        raise AttncliError(f"model() takes your text as a string (str), not {type(text).__name__}")
    if name is not None and not isinstance(name, (str, os.PathLike)):
        raise AttncliError(f"name should be a model directory or a hub id (a string), or None for the default, "
                           f"not {type(name).__name__}")
    float32 = _flag(float32, "float32")
    return ModelRun.of(load_model(None if name is None else os.fspath(name),
                                  dtype=np.float32 if float32 else np.float64).run(text))


def generate(text: str, *, name: str = "smollm2", max_new_tokens: int = 20, temperature: float | None = None,
             top_k: int | None = None, seed: int = 0, layer: int | None = None, head: int | None = None,
             cache: bool = True, float32: bool = False):
    """Continue text with a causal language model (default SmolLM2), one token at a time: a Generation.

    Greedy unless temperature or top_k is given (then drawn with seed). `.steps[i]` holds each new token,
    its top 5 candidates with probabilities, the cache length and the watched head's (layer, head) weights
    from the predicting position over every cached key; `.text` the prompt and continuation.
    """
    from attncli.pretrained import load_model
    from attncli.pretrained.generate import generate as run_generation

    if not isinstance(text, str):
        raise AttncliError(f"generate() takes your prompt as a string (str), not {type(text).__name__}")
    if not isinstance(name, (str, os.PathLike)):
        raise AttncliError(f"name should be \"smollm2\" or a GGUF file's path, not {type(name).__name__}")
    for what, value, optional in (("max_new_tokens", max_new_tokens, False), ("top_k", top_k, True),
                                  ("seed", seed, False), ("layer", layer, True), ("head", head, True)):
        if not (value is None and optional) and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
            raise AttncliError(f"{what} should be a whole number{' or None' if optional else ''}, "
                               f"not {type(value).__name__}")
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))):
        raise AttncliError(f"temperature should be a number or None, not {type(temperature).__name__}")
    if seed < 0:
        raise AttncliError(f"seed should be 0 or more, not {seed}")
    float32, cache = _flag(float32, "float32"), _flag(cache, "cache")
    found = load_model(os.fspath(name), dtype=np.float32 if float32 else np.float64)
    if not found.causal:
        raise AttncliError(f"{found.name} is an encoder: it sees the whole text at once and predicts no next "
                           "token; generate with name=\"smollm2\" or a GGUF file")
    return run_generation(found, text, max_new_tokens=max_new_tokens, temperature=temperature, top_k=top_k,
                          seed=seed, layer=layer, head=head, cache=cache)


def as_matrix(value: ArrayLike, where: str) -> np.ndarray:
    """A non-empty 2-D float64 array of finite numbers, or an AttncliError naming what is wrong."""
    if isinstance(value, (str, bytes)):
        raise AttncliError(f"{where} should be a list of rows of numbers, like [[1, 2], [3, 4]], not text")
    a = _numbers(value, where, "a list of rows of numbers, like [[1, 2], [3, 4]]")
    if a.ndim == 0:
        raise AttncliError(f"{where} should be a list of rows, like [[1, 2], [3, 4]], not a single number")
    if a.ndim == 1:
        if a.size == 0:
            raise AttncliError(f"{where} is empty; it should be a list of rows, like [[1, 2], [3, 4]]")
        raise AttncliError(f"{where} should be a list of rows, like [[1, 2, 3]], not a flat list of numbers")
    if a.ndim > 2:
        raise AttncliError(f"{where} should be a matrix (a list of rows), not a {a.ndim}-dimensional array "
                           f"of shape {a.shape}")
    if a.shape[0] == 0:
        raise AttncliError(f"{where} is empty; it should be a list of rows, like [[1, 2], [3, 4]]")
    if a.shape[1] == 0:
        raise AttncliError(f"{where} row 0 is empty")
    return _finite(a, where)


def as_vector(value: ArrayLike, where: str) -> np.ndarray:
    """A non-empty 1-D float64 array of finite numbers, such as a bias."""
    a = _numbers(value, where, "a flat list of numbers, like [0.1, -0.2]")
    if a.ndim != 1:
        raise AttncliError(f"{where} should be a flat list of numbers, like [0.1, -0.2]")
    if a.size == 0:
        raise AttncliError(f"{where} is empty; it should be a list of numbers, like [0.1, -0.2]")
    return _finite(a[None, :], where)[0]


def _place(index: tuple[int, ...], where: str, row: bool = False) -> str:
    """'x row 1, column 2' for a matrix cell, 'x entry 2' for a vector's, 'x[0, 1, 2]' beyond; row=True: a row."""
    if row:
        return f"{where} row {index[0]}" if len(index) == 1 else (where if not index else f"{where}[{', '.join(map(str, index))}]")
    if len(index) == 2:
        return f"{where} row {index[0]}, column {index[1]}"
    if len(index) == 1:
        return f"{where} entry {index[0]}"
    return f"{where}[{', '.join(map(str, index))}]"


def _claimed_size(value: Any) -> tuple[int, ...] | None:
    """The shape an array-like says it has, found without converting it: an array's shape, or a list's
    length and its first row's; None when it says nothing."""
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, (int, np.integer)) for n in shape):
        return tuple(int(n) for n in shape)
    if isinstance(value, (list, tuple)):
        first = value[0] if value else None
        return (len(value), len(first)) if isinstance(first, (list, tuple)) else (len(value),)
    return None


def _check_input_size(value: Any, where: str) -> None:
    """The command line's bounds on a matrix, applied before anything is allocated for it."""
    shape = _claimed_size(value)
    problem = None if shape is None else checks.matrix_size(shape, where)
    if problem:
        raise AttncliError(problem)


_NUMBER_TYPES = (int, float, np.integer, np.floating)


def _numbers(value: Any, where: str, wanted: str) -> np.ndarray:
    """value as a float64 array (any number of axes), or an AttncliError naming the first cell that is not a
    real number; bounded by the command line's limits before it is converted."""
    if isinstance(value, (str, bytes)):
        raise AttncliError(f"{where} should be {wanted}, not text")
    if value is None:
        raise AttncliError(f"{where} should be {wanted}, not None")
    _check_input_size(value, where)
    try:
        a = np.asarray(value)
    except (ValueError, TypeError, OverflowError):
        a = None
    if a is None or (a.dtype == object and a.ndim == 1 and a.size and isinstance(a[0], (list, tuple, np.ndarray))):
        # rows numpy could not stack (of unequal length), or rows kept as objects: read row by row
        a = np.array(_regular_rows(value, where), dtype=object)
    if a.dtype == object:
        a = _object_numbers(a, where)
    return _real(a, where)


def _object_numbers(a: np.ndarray, where: str) -> np.ndarray:
    """An object array of equal rows (built from Python numbers, or holding None): checked cell by cell."""
    out = np.empty(a.shape, dtype=np.float64)
    for index, cell in np.ndenumerate(a):
        if isinstance(cell, (bool, np.bool_)) or not isinstance(cell, _NUMBER_TYPES):
            raise AttncliError(f"{_place(index, where)} is {checks.shown(cell)}, not a number")
        try:
            out[index] = float(cell)
        except OverflowError:
            raise AttncliError(f"{_place(index, where)} is a whole number of {len(str(abs(int(cell))))} digits, "
                               "too large for float64 (at most about 1.8e308)") from None
    return out


def _real(a: np.ndarray, where: str) -> np.ndarray:
    if a.dtype.kind == "b":
        raise AttncliError(f"{where} holds booleans (True/False), not numbers")
    if a.dtype.kind in "US":
        for index, cell in np.ndenumerate(a):
            try:
                float(cell)
            except ValueError:
                raise AttncliError(f"{_place(index, where)} is {checks.shown(str(cell))}, not a number") from None
        a = a.astype(np.float64)
    if a.dtype.kind == "c":
        raise AttncliError(f"{where} holds complex numbers; attention here is over real numbers")
    if a.dtype.kind not in "iuf":
        raise AttncliError(f"{where} should hold numbers, not {a.dtype}")
    return a.astype(np.float64)


def _finite(a: np.ndarray, where: str) -> np.ndarray:
    problem = checks.first_not_finite(a, where)
    if problem:
        raise AttncliError(problem)
    return a


def _regular_rows(value: Any, where: str) -> list[list]:
    """The rows as lists when they are equally long lists of numbers; else name the row whose length
    differs (as the scenario reader does), or say what is not a number."""
    try:
        rows = list(value)
    except TypeError:
        raise AttncliError(f"{where} should be a list of rows of numbers, not {type(value).__name__}") from None
    width = None
    for i, row in enumerate(rows):
        try:
            n = len(row)
        except TypeError:
            raise AttncliError(checks.not_a_row(where, i, checks.shown(row))) from None
        if width is None:
            width = n
        elif n != width:
            raise AttncliError(checks.ragged_row(where, i, n, width))
        for j, cell in enumerate(row):
            if not isinstance(cell, _NUMBER_TYPES) or isinstance(cell, (bool, np.bool_)):
                raise AttncliError(f"{where} row {i}, column {j} is {checks.shown(cell)}, not a number")
    return [list(row) for row in rows]


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise AttncliError(f"{where} should be True or False, not {checks.shown(value)}")
    return bool(value)


def _check_temperature(temperature: Any) -> None:
    problem = checks.temperature(temperature)
    if problem:
        raise AttncliError(problem)


def _scale_factor(scale: Any, d_k: int) -> float:
    if scale is None:
        return core.scale_factor(d_k)
    ok = isinstance(scale, (int, float, np.integer, np.floating)) and not isinstance(scale, (bool, np.bool_))
    if not ok or not math.isfinite(scale) or scale <= 0:
        raise AttncliError(f"scale must be a positive number (the scores are multiplied by it), or None for "
                           f"1/√d_k, not {checks.shown(scale)}")
    return float(scale)


def _mask_matrix(mask: MaskSpec, n_q: int, n_k: int, causal_words: tuple[str, ...]) -> np.ndarray | None:
    """True where query i may see key j, from None, "causal" or a 0/1 or boolean matrix."""
    if mask is None:
        return None
    if isinstance(mask, str):
        if mask in causal_words:
            return core.causal_mask(n_q, n_k)
        raise AttncliError(f"mask should be a boolean array (True = may attend) or \"causal\", not {checks.shown(mask)}")
    shape = _claimed_size(mask)
    if shape is not None and len(shape) == 2 and shape != (n_q, n_k):  # before converting it, however large
        raise AttncliError(f"mask is {shape[0]}×{shape[1]}, but it needs one row per query and one column "
                           f"per key: {n_q}×{n_k}")
    try:
        a = np.asarray(mask)
    except (ValueError, TypeError):
        a = None
    if a is None or a.ndim != 2:
        raise AttncliError("mask should be a matrix of booleans, one row per query and one column per key "
                           f"({n_q}×{n_k}), True where the query may attend")
    if a.dtype.kind != "b":
        if a.dtype.kind in "iuf":
            bad = np.argwhere(~np.isin(a, (0, 1)))
        elif a.dtype == object:  # built from Python values: True, 1 and 0.0 are flags, None and 'yes' are not
            is_flag = np.frompyfunc(lambda c: isinstance(c, (bool, np.bool_)) or (
                isinstance(c, _NUMBER_TYPES) and c in (0, 1)), 1, 1)
            bad = np.argwhere(~is_flag(a).astype(bool))
        else:
            bad = np.argwhere(np.ones(a.shape, bool))
        if bad.size:
            i, j = (int(n) for n in bad[0])
            cell = a[i, j].item() if isinstance(a[i, j], np.generic) else a[i, j]
            raise AttncliError(f"mask row {i}, column {j} is {checks.shown(cell)}; it should be True or 1 (may attend) "
                               "or False or 0 (hidden)")
        a = a.astype(bool)
    if a.shape != (n_q, n_k):
        raise AttncliError(f"mask is {a.shape[0]}×{a.shape[1]}, but it needs one row per query and one column "
                           f"per key: {n_q}×{n_k}")
    return a.copy()  # the result's copy: results are read-only, the caller's array stays the caller's


def _scenario_mask(mask: MaskSpec, n_q: int, n_k: int) -> tuple[bool, np.ndarray | None]:
    """A scenario's (causal, mask matrix) from None/False (none), True/"causal", or a matrix."""
    if mask is None or mask is False:
        return False, None
    if mask is True or (isinstance(mask, str) and mask == "causal"):
        return True, None
    return False, _mask_matrix(mask, n_q, n_k, causal_words=())


def _refuse_blind_rows(allowed: np.ndarray, labels: tuple[str, ...], origin: str | None) -> None:
    blind = np.flatnonzero(~allowed.any(axis=1))
    if blind.size:
        i = int(blind[0])
        raise AttncliError(f"the mask hides every key from query {labels[i]!r} (row {i}): softmax over no keys "
                           "is 0/0 (PyTorch gives NaN); let every query see at least one key", origin=origin)


def _check_finite(steps: core.HeadSteps, rows: tuple[str, ...], cols: tuple[str, ...]) -> None:
    """Name the first step and cell where float64 overflowed, instead of returning inf or NaN."""
    checks = (("S = Q·Kᵀ", steps.scores, cols), ("the scaled scores S·scale", steps.scaled_scores, cols),
              ("the weights A", steps.weights, cols), ("the output A·V", steps.output, None))
    for label, matrix, labels in checks:
        bad = np.argwhere(~np.isfinite(matrix))
        if bad.size:
            i, j = (int(n) for n in bad[0])
            cell = f"[{rows[i]}, {labels[j]}]" if labels else f"row {i}, column {j}"
            raise AttncliError(f"{label} overflows float64 at {cell} (value {matrix[i, j]}): the numbers are "
                               "too large to compute with; scale q, k or v down")


def _tokens(tokens: Sequence[str] | None, n: int, where: str, rows_of: str, prefix: str) -> tuple[str, ...]:
    if tokens is None:
        return tuple(f"{prefix}{i}" for i in range(n))
    if isinstance(tokens, str):
        tokens = tokens.split()
    if isinstance(tokens, bytes) or not isinstance(tokens, (Sequence, np.ndarray)) or \
            (isinstance(tokens, np.ndarray) and tokens.ndim != 1):
        raise AttncliError(f"{where} should be a list of names, one per row of {rows_of}, or one string of "
                           f"words, not {type(tokens).__name__}")
    problem = checks.tokens(len(tokens), where, rows_of, n)  # before the names are made: a list may be any length
    if problem:
        raise AttncliError(problem)
    return tuple(_label(t, f"{where}[{i}]") for i, t in enumerate(tokens))


def _label(text: Any, where: str) -> str:
    """A token's or a head's name as the scenario reader takes it: bounded, and shown, never obeyed."""
    from attncli import limits
    from attncli.safe_text import visible

    text = str(text)
    if len(text) > limits.max_text():
        raise AttncliError(f"{where} is {len(text):,} characters long; a name holds at most {limits.max_text():,}")
    return visible(text)


# ---- heads and the output projection -----------------------------------------------------------

_HEAD_KEYS = ("name", "W_Q", "W_K", "W_V", "b_Q", "b_K", "b_V")


def head_weights(heads: Sequence[HeadSpec] | HeadSpec, d_model: int,
                 d_source: int | None) -> tuple[core.HeadWeights, ...]:
    """Checked HeadWeights from dicts, (W_Q, W_K, W_V) tuples or HeadWeights; one head alone is a list of one."""
    if isinstance(heads, (core.HeadWeights, Mapping)):
        heads = [heads]
    if isinstance(heads, (str, bytes)) or not isinstance(heads, Sequence):
        raise AttncliError("heads should be a list of heads: dicts with W_Q, W_K and W_V, (W_Q, W_K, W_V) "
                           f"tuples or HeadWeights, not {type(heads).__name__}")
    if not heads:
        raise AttncliError("heads is empty; give at least one head")
    out, seen = [], set()
    for i, spec in enumerate(heads):
        fields = _head_fields(spec, i)
        name = fields.get("name")
        if name is not None and (isinstance(name, (bool, np.bool_)) or not isinstance(name, (str, int, np.integer))):
            raise AttncliError(f"heads[{i}] name should be text, not {type(name).__name__}")
        name = _label(f"head {i}" if name is None or name == "" else name, f"heads[{i}] name")
        if name in seen:
            raise AttncliError(f"two heads are named {name!r}; head names must differ")
        seen.add(name)
        out.append(_head(fields, f"head {name!r}: " if len(heads) > 1 else "", name, d_model, d_source))
    return tuple(out)


def _head_fields(spec: HeadSpec, i: int) -> dict:
    if isinstance(spec, core.HeadWeights):
        return {"name": spec.name, "W_Q": spec.w_q, "W_K": spec.w_k, "W_V": spec.w_v,
                "b_Q": spec.b_q, "b_K": spec.b_k, "b_V": spec.b_v}
    if isinstance(spec, Mapping):
        fields = {}
        for key, value in spec.items():
            canonical = next((k for k in _HEAD_KEYS if k.lower() == str(key).lower()), None)
            if canonical is None:
                lowered = {k.lower(): k for k in _HEAD_KEYS}
                close = difflib.get_close_matches(str(key).lower(), lowered, n=1, cutoff=0.6)
                hint = f"; did you mean {lowered[close[0]]}?" if close else f" (known keys: {', '.join(_HEAD_KEYS)})"
                raise AttncliError(f"heads[{i}]: unknown key {checks.shown(key)}{hint}")
            fields[canonical] = value
        missing = [k for k in ("W_Q", "W_K", "W_V") if k not in fields]
        if missing:
            raise AttncliError(f"heads[{i}]: missing key {missing[0]!r}")
        return fields
    if isinstance(spec, Sequence) and not isinstance(spec, (str, bytes)) and len(spec) == 3:
        return dict(zip(("W_Q", "W_K", "W_V"), spec))
    raise AttncliError(f"heads[{i}] should be a dict with W_Q, W_K and W_V, a (W_Q, W_K, W_V) tuple or "
                       "HeadWeights")


def _head(fields: dict, prefix: str, name: str, d_model: int, d_source: int | None) -> core.HeadWeights:
    """The reader's checks of one head, with the reader's words."""
    w = {key: as_matrix(fields[key], f"{prefix}{key}") for key in ("W_Q", "W_K", "W_V")}
    b = {key: None if fields.get(key) is None else as_vector(fields[key], f"{prefix}{key}")
         for key in ("b_Q", "b_K", "b_V")}
    problems = checks.head(w, b, prefix, d_model, d_source, "x has", "x has" if d_source is None else "source has")
    if problems:
        raise AttncliError(problems[0][1])
    return core.HeadWeights(name, w["W_Q"], w["W_K"], w["W_V"], b["b_Q"], b["b_K"], b["b_V"])


def _output_projection(w_o: ArrayLike | None, b_o: ArrayLike | None,
                       heads: tuple[core.HeadWeights, ...]) -> tuple[np.ndarray | None, np.ndarray | None]:
    if w_o is None:
        if b_o is not None:
            raise AttncliError("b_O is added after W_O; give w_o too, or leave b_o out")
        return None, None
    out_w = as_matrix(w_o, "W_O")  # (Σ d_v, d_out)
    out_b = None if b_o is None else as_vector(b_o, "b_O")
    problems = checks.output_projection(out_w, out_b, [h.w_v.shape[1] for h in heads])
    if problems:
        raise AttncliError(problems[0][1])
    return out_w, out_b
