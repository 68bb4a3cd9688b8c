"""Pictures of attention: queries and keys as arrows in the plane, and A as a compact heatmap.

Plain data like the other blocks; render_terminal.py draws them with characters, render_markdown.py
writes them as short tables.
"""

import numpy as np

from attncli.numbers import fixed
from attncli.record import Record
from attncli.views import MatrixView


class Point(Record):
    """One vector drawn from the origin: a query or a key, with a note written beside it."""

    label: str
    x: float
    y: float
    role: str  # "query" | "focus" (the query whose dot products are shown) | "key"
    note: str = ""
    zero: bool = False  # the vector itself (not only its projection) is all zeros


class Plot(Record):
    """Queries and keys in the plane; `axes` says what the two axes are; `notes`, what the numbers show
    that the picture cannot (a zero vector is a dot at the origin, like a very short arrow)."""

    title: str
    points: tuple[Point, ...]
    axes: str
    legend: str
    notes: tuple[str, ...] = ()


class Heatmaps(Record):
    """Weight matrices as one glyph per cell, side by side, for patterns (a diagonal, a sink) at a glance."""

    views: tuple[MatrixView, ...]


def plane(q: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Q and K as 2-D points: themselves when d_k = 2 (None), else their first two principal directions
    and the share of Σ‖·‖² those keep.

    Uncentred (an SVD of the stacked rows, not of their deviations from the mean), so the origin
    stays where it is and an angle between arrows still says how well a query and a key align.
    """
    d_k = q.shape[1]
    if d_k == 2:
        return q, k, None
    stacked = np.vstack([q, k])  # (n_q + n_k, d_k)
    _, s, vt = np.linalg.svd(stacked, full_matrices=False)
    basis = vt[:2].T if vt.shape[0] >= 2 else np.hstack([vt.T, np.zeros((d_k, 1))])  # (d_k, 2)
    for c in range(basis.shape[1]):  # a sign convention, so the picture does not flip between runs
        if basis[np.argmax(np.abs(basis[:, c])), c] < 0:
            basis[:, c] = -basis[:, c]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # relative to the largest: no overflow
        relative = s / s[0] if s.size and s[0] > 0 else np.ones(1)
        kept = float(np.sum(relative[:2] ** 2) / np.sum(relative ** 2))
    return q @ basis, k @ basis, kept


def told_apart(tokens) -> list[str]:
    """Token names, a repeated one with its row from 0 (the#0, the#4), so that two labels never read the same."""
    tokens = [str(t) for t in tokens]
    return [t if tokens.count(t) == 1 else f"{t}#{i}" for i, t in enumerate(tokens)]


def qk_plot(q: np.ndarray, k: np.ndarray, scores: np.ndarray, q_tokens, k_tokens, focus: int,
            precision: int) -> Plot:
    """The focused query against every key, with the dot products S[focus, j] written beside the keys."""
    pq, pk, kept = plane(q, k)
    q_names, k_names = told_apart(q_tokens), told_apart(k_tokens)
    points = [Point(t, float(x), float(y), "focus" if i == focus else "query", zero=not np.any(q[i]))
              for i, (t, (x, y)) in enumerate(zip(q_names, pq))]
    points += [Point(t, float(x), float(y), "key", fixed(float(scores[focus, j]), precision), not np.any(k[j]))
               for j, (t, (x, y)) in enumerate(zip(k_names, pk))]
    d_k = q.shape[1]
    if kept is None:
        axes = "the plane of Q and K (d_k = 2): each arrow is a row of Q or K, drawn as it is"
    elif not np.isfinite(kept):  # an SVD that overflowed: no share to state
        axes = (f"d_k = {d_k}: the first two principal components of Q and K; "
                f"the numbers are the exact {d_k}-D dot products")
    else:
        axes = (f"d_k = {d_k}: the first two principal components of Q and K, which keep "
                f"{100 * kept:.0f}% of their squared length; the numbers are the exact {d_k}-D dot products")
    me = q_names[focus]
    legend = (f"q: queries (magenta; {me!r} bold, with its arrow), k: keys (cyan). Beside each key "
              f"q_{me}·k, its score{' (where there is room; the rest are listed below it)' if len(points) > 12 else ''}.")
    notes = []
    if not np.any(q[focus]):
        notes.append(f"q_{me} is the zero vector (all {d_k} numbers 0): a dot at the origin with no arrow, "
                     "so every score in its row is 0, whatever the keys.")
    zero_keys = [name for name, row in zip(k_names, k) if not np.any(row)]
    if zero_keys:
        which = ", ".join(f"k_{name}" for name in zero_keys)
        notes.append(f"{which} {'is the zero vector' if len(zero_keys) == 1 else 'are zero vectors'} "
                     f"(all {d_k} numbers 0): {'a dot' if len(zero_keys) == 1 else 'dots'} at the origin, "
                     "scoring 0 with every query.")
    return Plot(f"q·k as geometry: query {me!r} (row {focus}) against every key", tuple(points), axes, legend,
                tuple(notes))
