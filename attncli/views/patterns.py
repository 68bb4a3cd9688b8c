"""What `attncli patterns` shows: per kind, the best heads with intervals, the baselines, a verdict only on evidence."""

from __future__ import annotations

from attncli.numbers import fixed
from attncli.views import Banner, Grid, Page, Paragraph, Title, View

TOP = 3  # heads shown per kind; the JSON has every head
SHOWN = 8  # heads named in a verdict
BASELINE_WORDS = {
    "offset": "the best fixed offset",
    "column": "the column mean",
    "first": "always the first token",
    "chance": "chance",
}



def count(n: int, one: str, many: str) -> str:
    """A number and its noun, singular for 1: "1 pair", "3 pairs"."""
    return f"{n} {one if n == 1 else many}"


def wrong_word_pairs(n: int) -> str:
    """The pairs that name a wrong word, as the margin sentences say them."""
    return "the only pair that names a wrong word" if n == 1 else f"all {n} pairs that name a wrong word"


def baseline_name(kind, name: str) -> str:
    """The baseline as a learner reads it, with its offset or its head."""
    b = kind.baselines
    if name == "offset":
        return f"the fixed offset {b.offset:+d}"
    if name == "column":
        return f"the column mean in L{b.column_head[0]}H{b.column_head[1]}"
    return BASELINE_WORDS[name]


def verdict(kind, precision: int) -> str:
    """The sentence that says whether the set gives evidence: chosen by whether the interval clears the bar."""
    from attncli.pretrained.evidence import POINTS

    best, bar = kind.best, kind.baseline_accuracy
    against = f"{baseline_name(kind, kind.best_baseline)} ({fixed(bar, precision)})"
    interval = f"95 % interval {fixed(best.low, precision)} to {fixed(best.high, precision)}"
    if kind.evidence:
        more = ""
        if len(kind.evidence) > 1:
            names = [h.name for h in kind.evidence]
            listed = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
            more = f" {len(names)} heads' intervals lie above it: {listed}."
        return (f"Evidence: {best.name} points {POINTS[kind.kind]} in {best.correct} of "
                f"{count(best.pairs, 'pair', 'pairs')} "
                f"({fixed(best.accuracy, precision)}, {interval}), above the best baseline, {against}.{more}")
    return (f"No evidence: the best head, {best.name}, is right in {best.correct} of "
            f"{count(best.pairs, 'pair', 'pairs')} "
            f"({fixed(best.accuracy, precision)}, {interval}), and that interval does not lie above the best "
            f"baseline, {against}. The set gives no evidence of a head for {kind.kind} in this model.")


def margin_sentence(kind, precision: int) -> str:
    """What the controlled margin of the most accurate head shows, by its sign over the pairs."""
    best = kind.best
    m = best.margin
    if m.positive == m.pairs:
        shape = f"positive on {wrong_word_pairs(m.pairs)} (smallest {fixed(m.low, precision)})"
    elif m.positive == 0:
        shape = f"negative or zero on {wrong_word_pairs(m.pairs)}: it prefers the wrong word"
    else:
        shape = (f"positive on {m.positive} of {m.pairs} pairs that name a wrong word; it ranges from "
                 f"{fixed(m.low, precision)} to {fixed(m.high, precision)}")
    return f"{best.name}'s margin (weight on the right word minus the wrong one) is {shape}."


def view(result, *, precision: int = 3) -> View:
    p = precision
    what = ("a decoder: only pairs that point left count" if result.causal
            else "an encoder: every token sees every token")
    blocks = [Title(f"{result.model}: attention patterns with evidence",
                    f"{result.set_name}, {count(result.sentences, 'sentence', 'sentences')}",
                    "A head is right on a pair when the largest weight in the dependent's row goes to the labelled "
                    "token; a word is its first subword token."),
              Paragraph(f"{result.model} is {what}. "
                        + ("1 labelled word is cut into several tokens here; its first token stands for it."
                           if result.split_words == 1 else
                           f"{result.split_words} labelled words are cut into several tokens here; their first "
                           "token stands for them." if result.split_words else
                           "Every labelled word is one token here.")),
              Paragraph("A verdict needs the best head's 95 % Wilson interval to lie above the best baseline: "
                        "the best fixed offset, the column mean (the token the other tokens attend to most, in the "
                        "head where that rule does best), always the first token, and chance (a uniform pick).",
                        "note")]
    for kind in result.kinds:
        blocks += _kind_blocks(kind, p)
    for name in result.empty:
        blocks.append(Paragraph(f"The set labels no {name} pairs.", "note"))

    def document() -> dict:
        return {"model": result.model, "set": result.set_name, "kinds": [_kind_json(k, p) for k in result.kinds]}

    return View(f"{result.model}: attention patterns", (Page("Patterns", tuple(blocks)),), document, precision)


def _kind_blocks(kind, p: int) -> list:
    from attncli.pretrained.evidence import BASELINES, WHAT

    dropped = ("; 1 labelled pair points right, which a decoder's dependent cannot see, and does not count"
               if kind.dropped == 1 else
               f"; {kind.dropped} labelled pairs point right, which a decoder's dependent cannot see, and do not "
               "count" if kind.dropped else "")
    margin = kind.best.margin is not None
    headers = ("head", "right", "accuracy", "95 % interval") + (("mean margin", "margin > 0") if margin else ())
    rows = []
    for h in kind.heads[:TOP]:
        row = (h.name, f"{h.correct}/{h.pairs}", fixed(h.accuracy, p), f"{fixed(h.low, p)} to {fixed(h.high, p)}")
        if margin:
            row += (fixed(h.margin.mean, p), f"{h.margin.positive}/{h.margin.pairs}")
        rows.append(row)
    base_rows = []
    for name in BASELINES:
        note = "yes" if name in kind.compared else "no: the pattern itself"
        base_rows.append((baseline_name(kind, name), fixed(kind.baselines.accuracy(name), p), note))
    most = (f"The {min(TOP, len(kind.heads))} most accurate of {len(kind.heads)} heads" if len(kind.heads) > 1
            else "The one head")
    blocks = [Banner(f"{kind.kind}: {WHAT[kind.kind]}, {count(kind.pairs, 'pair', 'pairs')}{dropped}"),
              Grid(headers, tuple(rows), most, numeric=True),
              Grid(("baseline", "accuracy", "in the verdict"), tuple(base_rows), "Baselines on the same pairs", numeric=False),
              Paragraph(verdict(kind, p), "strong")]
    if margin:
        blocks.append(Paragraph(margin_sentence(kind, p)))
        by_margin = sorted(kind.heads, key=lambda h: (-h.margin.mean, h.layer, h.head))[:TOP]
        blocks.append(Grid(("head", "mean margin", "smallest", "largest", "margin > 0"),
                           tuple((h.name, fixed(h.margin.mean, p), fixed(h.margin.low, p), fixed(h.margin.high, p),
                                  f"{h.margin.positive}/{h.margin.pairs}") for h in by_margin),
                           (f"The {len(by_margin)} highest mean margins" if len(by_margin) > 1 else "The mean margin")
                           + " over " + wrong_word_pairs(kind.best.margin.pairs).replace("all ", "the ", 1)))
    return blocks


def _kind_json(kind, p: int) -> dict:
    b = kind.baselines
    heads = []
    for h in kind.heads:
        entry = {"layer": h.layer, "head": h.head, "accuracy": h.accuracy, "low": h.low, "high": h.high}
        if h.margin is not None:
            entry["margin"] = {"mean": h.margin.mean, "min": h.margin.low, "max": h.margin.high,
                               "positive": h.margin.positive, "pairs": h.margin.pairs}
        heads.append(entry)
    return {"kind": kind.kind, "pairs": kind.pairs,
            "baselines": {"offset": {"offset": b.offset, "accuracy": b.offset_accuracy}, "column": b.column,
                          "first": b.first, "chance": b.chance},
            "heads": heads, "verdict": verdict(kind, p) if kind.evidence else None}
