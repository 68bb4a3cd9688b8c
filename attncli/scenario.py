"""A validated scenario (tokens and matrices) and how to run it through the core."""

import numpy as np

from attncli import core
from attncli.errors import AttncliError, UsageError
from attncli.record import Record
from attncli.safe_text import clipped


class Scenario(Record):
    """Everything a YAML scenario says, as validated float64 arrays."""

    name: str
    origin: str  # how error messages name it: a file path, or "built-in NAME"
    tokens: tuple[str, ...]  # query tokens, one per row of x
    x: np.ndarray  # (n_q, d_model) query-side embeddings
    heads: tuple[core.HeadWeights, ...]
    description: str = ""
    source_tokens: tuple[str, ...] | None = None  # key/value tokens for cross-attention
    source_x: np.ndarray | None = None  # (n_k, d_model_source)
    w_o: np.ndarray | None = None  # (Σ d_v, d_out)
    b_o: np.ndarray | None = None  # (d_out,)
    causal: bool = False
    mask_matrix: np.ndarray | None = None  # (n_q, n_k) bool, True = may attend
    key_padding: np.ndarray | None = None  # (n_k,) bool, True = padding, nobody attends to it
    scale: bool = True
    color_values: bool = False  # value rows are red, green, blue in [0, 1]: show them as paint
    rope: float | None = None  # RoPE's base: q and k are rotated by positions 0 … n−1 after the projection

    @property
    def is_cross(self) -> bool:
        return self.source_x is not None

    @property
    def key_tokens(self) -> tuple[str, ...]:
        return self.source_tokens if self.source_tokens is not None else self.tokens


class Settings(Record):
    """How a scenario was run: the scenario's own choices after any flags."""

    scaled: bool
    causal: bool
    temperature: float = 1.0
    use_mask_matrix: bool = True  # False after --no-mask


class Evaluation(Record):
    """A scenario, the settings it ran with, and every intermediate step."""

    scenario: Scenario
    settings: Settings
    steps: core.AttentionSteps

    @property
    def masked(self) -> bool:
        return self.steps.heads[0].allowed is not None


def find_row(tokens: tuple[str, ...], wanted: str) -> int:
    """The row a token names (or a row index from 0, when no token is spelled so)."""
    matches = [i for i, t in enumerate(tokens) if t == wanted]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        rows = " or ".join(str(i) for i in matches)
        raise UsageError(f"token {wanted!r} appears {len(matches)} times; pick its row by number: {rows}")
    if wanted.isascii() and wanted.lstrip("-").isdigit():
        index = int(wanted) if len(wanted) < 20 else None  # int() refuses 4,300 digits; no row needs 20
        if index is not None and 0 <= index < len(tokens):
            return index
        raise UsageError(f"row {clipped(wanted)} is out of range; there are {len(tokens)} rows (0 to {len(tokens) - 1})")
    raise UsageError(f"no query token {clipped(wanted)!r}; the tokens are {clipped(', '.join(tokens), 200)} "
                     f"(or give a row index from 0 to {len(tokens) - 1})")


def find_head(names: tuple[str, ...], wanted: str) -> int:
    """The head a name or a number from 0 picks."""
    if wanted in names:
        return names.index(wanted)
    if wanted.isascii() and wanted.isdigit() and len(wanted) < 20 and int(wanted) < len(names):
        return int(wanted)
    listed = ", ".join(f"{i} ({name})" for i, name in enumerate(names))
    raise UsageError(f"no head {clipped(wanted)!r}; the heads are {clipped(listed, 200)}")


def settings_for(
    scenario: Scenario,
    *,
    scale: bool | None = None,
    mask: bool | None = None,
    temperature: float = 1.0,
) -> Settings:
    """The scenario's settings with flags applied: None keeps what the scenario says."""
    return Settings(
        scaled=scenario.scale if scale is None else scale,
        causal=scenario.causal if mask is None else mask,
        temperature=temperature,
        use_mask_matrix=mask is not False,
    )


def allowed_matrix(scenario: Scenario, settings: Settings) -> np.ndarray | None:
    """Which keys each query may see, combining causal, matrix and padding masks; None: all."""
    n_q, n_k = len(scenario.tokens), len(scenario.key_tokens)
    allowed = np.ones((n_q, n_k), dtype=bool)
    used = False
    if settings.causal:
        allowed &= core.causal_mask(n_q, n_k)
        used = True
    if settings.use_mask_matrix and scenario.mask_matrix is not None:
        allowed &= scenario.mask_matrix
        used = True
    if settings.use_mask_matrix and scenario.key_padding is not None:
        allowed &= ~scenario.key_padding[None, :]
        used = True
    return allowed if used else None


def evaluate(scenario: Scenario, settings: Settings) -> Evaluation:
    """Run the scenario; refuse masks that hide every key and results that overflow."""
    allowed = allowed_matrix(scenario, settings)
    if allowed is not None:
        blind = np.flatnonzero(~allowed.any(axis=1))
        if blind.size:
            i = int(blind[0])
            raise AttncliError(
                f"the mask hides every key from query {scenario.tokens[i]!r} (row {i}): "
                "softmax over no keys is 0/0 (PyTorch gives NaN); let every query see at least one key",
                origin=scenario.origin,
            )
    with np.errstate(over="ignore", invalid="ignore"):
        steps = core.attention(
            scenario.x,
            scenario.heads,
            source=scenario.source_x,
            scaled=settings.scaled,
            temperature=settings.temperature,
            allowed=allowed,
            w_o=scenario.w_o,
            b_o=scenario.b_o,
            rope_base=scenario.rope,
        )
    _check_finite(scenario, steps)
    return Evaluation(scenario=scenario, settings=settings, steps=steps)


def _check_finite(scenario: Scenario, steps: core.AttentionSteps) -> None:
    """Name the first step and cell where float64 overflowed, instead of showing inf or NaN."""
    q_tokens, k_tokens = scenario.tokens, scenario.key_tokens
    multi = len(steps.heads) > 1
    for head in steps.heads:
        prefix = f"{head.name}: " if multi else ""
        checks = [
            ("Q", head.q, q_tokens, None),
            ("K", head.k, k_tokens, None),
            ("V", head.v, k_tokens, None),
            ("S = Q·Kᵀ", head.scores, q_tokens, k_tokens),
            ("the scores entering softmax, S·scale", head.scaled_scores, q_tokens, k_tokens),
            ("the weights A", head.weights, q_tokens, k_tokens),
            ("the output A·V", head.output, q_tokens, None),
        ]
        for label, matrix, rows, cols in checks:
            bad = np.argwhere(~np.isfinite(matrix))
            if bad.size:
                i, j = (int(n) for n in bad[0])
                cell = f"[{rows[i]}, {cols[j]}]" if cols else f"row {i} ({rows[i]}), column {j}"  # from 0, as everywhere
                raise AttncliError(
                    f"{prefix}{label} overflows float64 at {cell} (value {matrix[i, j]}): "
                    "the numbers are too large to compute with; scale the embeddings or weights down",
                    origin=scenario.origin,
                )
    bad = np.argwhere(~np.isfinite(steps.output))
    if bad.size:
        i, j = (int(n) for n in bad[0])
        raise AttncliError(
            f"the output after W_O overflows float64 at row {i} ({q_tokens[i]}), column {j}: "
            "scale W_O down",
            origin=scenario.origin,
        )


def random_scenario(
    *,
    name: str,
    origin: str,
    seed: int,
    tokens: tuple[str, ...],
    d_model: int,
    d_k: int,
    d_v: int,
    description: str = "",
    causal: bool = False,
    scale: bool = True,
) -> Scenario:
    """Embeddings ~ N(0, 1) and W ~ N(0, 1/d_model), so q·k has variance ≈ d_k (why attention divides by √d_k)."""
    rng = np.random.default_rng(seed)
    n = len(tokens)
    x = rng.standard_normal((n, d_model))  # (n, d_model)
    std = 1.0 / np.sqrt(d_model)
    w_q = rng.standard_normal((d_model, d_k)) * std
    w_k = rng.standard_normal((d_model, d_k)) * std
    w_v = rng.standard_normal((d_model, d_v)) * std
    return Scenario(
        name=name,
        origin=origin,
        description=description,
        tokens=tokens,
        x=x,
        heads=(core.HeadWeights("head 0", w_q, w_k, w_v),),
        causal=causal,
        scale=scale,
    )
