"""What `attncli model` shows for one real head (explain's walkthrough on its numbers) and for a link query."""

from __future__ import annotations

from attncli.numbers import fixed
from attncli.scenario import Evaluation
from attncli.views import Grid, Page, Paragraph, Title, View, walkthrough

SAME = 1e-12  # recomputed weights this close to the forward pass's are the same numbers


def tokens_line(tokens) -> str:
    """The tokens as the model sees them, each with its position from 0."""
    return (f"{len(tokens)} tokens as the model sees them, numbered from 0: "
            + "  ".join(f"{i} {t}" for i, t in enumerate(tokens)))


def _match_note(name: str, difference: float, float32: bool) -> str:
    if difference <= SAME:
        return (f"These are the model's own numbers: recomputing {name} from X and its slices of W_Q, W_K, W_V "
                f"and their biases, as `explain` does, gives the attention weights of the model's forward pass "
                f"(largest difference {difference:.1e}).")
    run = "float32 forward pass" if float32 else "forward pass"
    return (f"Recomputed in float64 from X and the head's slices, these weights differ from the model's {run} "
            f"by up to {difference:.1e}.")


def head_view(ev: Evaluation, *, model: str, layer: int, head: int, pattern: str, difference: float,
              float32: bool, precision: int, by_hand: tuple[str, ...] = (), focus_token: str = "") -> View:
    """Explain's walkthrough of one head, after the model's tokens and what the head's weights show."""
    name = f"L{layer}H{head}"
    by_hand_title = f"By hand: the row of {focus_token}" if by_hand else "By hand"
    inner = walkthrough.view(ev, precision, None, by_hand, by_hand_title,
                             extra={"model": model, "layer": layer, "head": head})
    intro = (Paragraph(tokens_line(ev.scenario.tokens)),
             Paragraph(f"{name} is layer {layer}, head {head} of {model} (both from 0). X is the hidden state "
                       f"entering layer {layer}; each head has d_k = {ev.steps.heads[0].d_k} columns of the "
                       "layer's W_Q, W_K and W_V, and a bias for each."),
             Paragraph(pattern),
             Paragraph(_match_note(name, difference, float32), "note"))
    first = inner.pages[0]
    pages = (Page(first.heading, first.blocks[:1] + intro + first.blocks[1:]),) + inner.pages[1:]
    return View(inner.title, pages, inner.document, precision)


def occurrence_note(tokens, index: int, found: tuple[int, ...], other: int, second: bool = False) -> str:
    """Which occurrence of a repeated token a link means (FROM, or TO when second), and how to pick another."""
    if len(found) < 2:
        return ""
    place = found.index(index)
    nth = ("first", "second", "third")[place] if place < 3 else f"occurrence number {place + 1}"
    where = ", ".join(str(i) for i in found)
    choice = next(i for i in found if i != index)
    example = f"--link {other} {choice}" if second else f"--link {choice} {other}"
    return (f"{tokens[index]} appears {len(found)} times (positions {where}); this is the {nth}, position {index}. "
            f"Give a position to choose another, such as {example}.")


def link_view(*, model: str, tokens, source: int, target: int, ranking, labels: dict, precision: int,
              shown: int = 12, notes: tuple[str, ...] = ()) -> View:
    """Every head with the weight one token gives another and what the other tokens give it, ranked by the excess."""
    a, b = tokens[source], tokens[target]
    p = precision
    by_excess = ranking[0].excess is not None
    if by_excess:
        subtitle = (f"ranked by the excess: A[{a}, {b}] minus the mean weight the other tokens give {b} "
                    "in the same head, highest first")
        headers = ("head", "pattern", f"{a} → {b}", f"others → {b}", "excess")
        rows = tuple((f"L{s.layer}H{s.head}", labels[(s.layer, s.head)], fixed(s.weight, p), fixed(s.baseline, p),
                      fixed(s.excess, p)) for s in ranking[:shown])
    else:
        subtitle = f"ranked by A[{a}, {b}], highest first: no other token can attend to {b}"
        headers = ("head", "pattern", f"{a} → {b}")
        rows = tuple((f"L{s.layer}H{s.head}", labels[(s.layer, s.head)], fixed(s.weight, p)) for s in ranking[:shown])
    blocks = [Title(f"{model}: which heads link {a} → {b}?", subtitle,
                    f"Row {source} ({a}), column {target} ({b}) of each head's attention weights A."),
              Paragraph(tokens_line(tokens))]
    blocks += [Paragraph(note, "note") for note in notes if note]
    blocks += [Grid(headers, rows, f"The first {len(rows)} of {len(ranking)} heads (pattern: the head's label "
                                   "in the gallery)"),
               Paragraph(link_verdict(ranking, a, b, p), "strong")]
    also = link_weight_note(ranking, a, b, p)
    if also:
        blocks.append(Paragraph(also))

    def document() -> dict:
        return {"model": model, "tokens": list(tokens), "from": a, "to": b, "from_position": source,
                "to_position": target,
                "ranking": [{"layer": s.layer, "head": s.head, "weight": s.weight, "baseline": s.baseline,
                             "excess": s.excess} for s in ranking]}

    return View(f"{model}: {a} → {b}", (Page(f"{a} → {b}", tuple(blocks)),), document, precision)


def link_verdict(ranking, a: str, b: str, p: int) -> str:
    """The top head's link, in words chosen by the sign of its excess."""
    top = ranking[0]
    name = f"L{top.layer}H{top.head}"
    if top.excess is None:
        return f"{name} gives {a} → {b} the most weight, {fixed(top.weight, p)}."
    if top.excess > 0:
        return (f"{name} gives {a} → {b} {fixed(top.weight, p)}: {fixed(top.excess, p)} more than the other tokens "
                f"give {b} on average in that head ({fixed(top.baseline, p)}).")
    return (f"No head gives {a} → {b} more than the other tokens give {b} on average; the nearest is {name}, "
            f"{fixed(top.weight, p)} against {fixed(top.baseline, p)}.")


def link_weight_note(ranking, a: str, b: str, p: int) -> str:
    """When the heaviest link is not the top excess, what the other tokens give there too."""
    heaviest = min(ranking, key=lambda s: (-s.weight, s.layer, s.head))
    if ranking[0].excess is None or heaviest is ranking[0]:
        return ""
    return (f"The largest weight, {fixed(heaviest.weight, p)}, is in L{heaviest.layer}H{heaviest.head}, where the "
            f"other tokens give {b} {fixed(heaviest.baseline, p)} on average.")
