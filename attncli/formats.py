"""The machine-readable formats: strict JSON at full precision, and GitHub markdown for handouts."""

from __future__ import annotations

import numpy as np

from attncli.fmt import fixed
from attncli.scenario import Evaluation
from attncli.walkthrough import FORMULA, MatrixView, Walkthrough


def _matrix(m: np.ndarray) -> list[list[float]]:
    return [[float(v) for v in row] for row in m]


def _hidden_as_null(m: np.ndarray) -> list[list[float | None]]:
    return [[float(v) if np.isfinite(v) else None for v in row] for row in m]


def explain_json(ev: Evaluation) -> dict:
    """The JSON contract of `explain --format json` (see the README)."""
    heads = []
    for head in ev.steps.heads:
        entry = {
            "name": head.name,
            "d_k": head.d_k,
            "d_v": head.d_v,
            "scale": head.scale,
            "Q": _matrix(head.q),
            "K": _matrix(head.k),
            "V": _matrix(head.v),
            "scores": _matrix(head.scores),
            "scaled_scores": _matrix(head.scaled_scores),
        }
        if head.masked_scores is not None:
            entry["masked_scores"] = _hidden_as_null(head.masked_scores)
        entry["weights"] = _matrix(head.weights)
        entry["output"] = _matrix(head.output)
        heads.append(entry)
    scales = {h.scale for h in ev.steps.heads}
    doc = {
        "scenario": ev.scenario.name,
        "query_tokens": list(ev.scenario.tokens),
        "key_tokens": list(ev.scenario.key_tokens),
        "cross_attention": ev.scenario.is_cross,
        "scaled": ev.settings.scaled,
        # One factor when every head shares d_k; each head carries its own in heads[i].scale.
        "scale": scales.pop() if len(scales) == 1 else None,
        "temperature": ev.settings.temperature,
        "masked": ev.masked,
        "heads": heads,
    }
    if len(ev.steps.heads) > 1:
        doc["concat"] = _matrix(ev.steps.concat)
    doc["output"] = _matrix(ev.steps.output)
    return doc


def _stats(stats, i: int) -> dict:
    return {
        "entropy": float(stats.entropy[i]),
        "max_weight": float(stats.max_weight[i]),
        "effective_keys": float(stats.effective_keys[i]),
        "grad_norm": float(stats.grad_norm[i]),
    }


def comparison_json(cmp) -> dict:
    """The JSON of `compare`: both runs in full, and the row statistics of the first head."""
    return {
        "change": cmp.change,
        "baseline": explain_json(cmp.baseline),
        "variant": explain_json(cmp.variant),
        "rows": [
            {"token": token, "baseline": _stats(cmp.baseline_stats, i), "variant": _stats(cmp.variant_stats, i)}
            for i, token in enumerate(cmp.baseline.scenario.tokens)
        ],
        "verdict": list(cmp.verdict),
    }


def sweep_json(rows, conclusion: str, settings: dict) -> dict:
    return {
        **settings,
        "sweep": [{"d_k": r.d_k, "scaled": r.scaled, "unscaled": r.unscaled} for r in rows],
        "conclusion": conclusion,
    }


def markdown_grid(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_md_escape(h.replace("\n", " ")) for h in headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def comparison_markdown(cmp, precision: int = 3) -> str:
    """Both weight matrices, the per-row statistics and the verdict, for a handout."""
    from attncli.compare import stats_table

    sc = cmp.baseline.scenario
    n_q, n_k = len(sc.tokens), len(sc.key_tokens)
    tables = [markdown_table(MatrixView(f"{label} A ({n_q}×{n_k})", ev.steps.heads[0].weights, sc.tokens, sc.key_tokens),
                             precision)
              for label, ev in (("baseline", cmp.baseline), ("variant", cmp.variant))]
    headers, rows = stats_table(cmp, precision)
    parts = [f"# Compare: {sc.name}", f"Baseline (as written) against the variant: {cmp.change.lower()}.",
             *tables, markdown_grid(headers, rows), "\n".join(f"- {line}" for line in cmp.verdict)]
    return "\n\n".join(parts) + "\n"


def sweep_markdown(rows, conclusion: str) -> str:
    from attncli.compare import SWEEP_HEADERS, sweep_cells

    return f"# Why divide by √d_k?\n\n{markdown_grid(SWEEP_HEADERS, sweep_cells(rows))}\n\n{conclusion}\n"


def complexity_markdown(results, time_exp, memory_exp, words: str, *, d: int, use_tiled: bool) -> str:
    from attncli.complexity import describe, table

    title, growth = describe(time_exp, memory_exp, d=d, use_tiled=use_tiled)
    return f"# {title}\n\n{markdown_grid(*table(results))}\n\n{growth}\n\n{words}\n"


def dumps(doc: dict) -> str:
    """Strict JSON: a NaN or infinity here is a bug, so refuse it rather than print it."""
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)


def _md_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|")


def markdown_table(view: MatrixView, precision: int) -> str:
    head = "| | " + " | ".join(_md_escape(c) for c in view.col_labels) + " |"
    rule = "|---|" + "---:|" * len(view.col_labels)
    lines = [f"**{_md_escape(view.caption)}**", "", head, rule]
    for label, row in zip(view.row_labels, view.values):
        if view.kind == "flags":
            cells = ["✓" if v else "✗" for v in row]
        else:
            cells = [fixed(float(v), precision) for v in row]
        lines.append(f"| **{_md_escape(label)}** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def walkthrough_markdown(walk: Walkthrough, precision: int = 3, focus_lines: list[str] | None = None) -> str:
    parts = [f"# {walk.title}", "", f"`{FORMULA}`", ""]
    if walk.description:
        parts += [walk.description, ""]
    parts += [note + "\n" for note in walk.notes]
    for section in walk.sections:
        if section.banner:
            parts += [f"## {section.banner}", ""]
        parts += [f"### Step {section.number}: {section.heading}", "", f"*{section.lesson}*", ""]
        for row in section.rows:
            for view in row:
                parts += [markdown_table(view, precision), ""]
    if focus_lines:
        parts += ["### By hand", "", "```", *focus_lines, "```", ""]
    parts += [walk.cost, ""]
    return "\n".join(parts)
