"""The heads `attncli patterns` finds evidence for on the built-in set, per installed model.

The gallery calls a head coreference or agreement only when it is listed here; everywhere else the
condition-based labels stand. Measuring takes a run of the model per sentence, too slow for every
gallery, so the result is kept here and tests/test_patterns_minilm.py measures it again.
"""

from __future__ import annotations

# --model alias → kind → the heads whose 95 % interval lies above the best baseline, best first
EVIDENCE: dict[str, dict[str, tuple[tuple[int, int], ...]]] = {
    "minilm": {"agreement": (), "coreference": ((1, 3), (5, 2))},
    "smollm2": {"agreement": ((13, 8),), "coreference": ()},
}
LABELLED_KINDS = ("coreference", "agreement")  # the kinds the gallery takes from here


def measured_labels(alias: str | None) -> dict:
    """(layer, head) → kind, for the heads with evidence in the model an alias names; empty for any other model."""
    found = EVIDENCE.get(alias or "", {})
    labels = {}
    for kind in LABELLED_KINDS:
        for head in found.get(kind, ()):
            labels.setdefault(head, kind)
    return labels
