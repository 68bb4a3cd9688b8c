"""What `attncli model` shows for one real head (explain's walkthrough on its numbers) and for a link query."""

from __future__ import annotations

from attncli.numbers import fixed
from attncli.scenario import Evaluation
from attncli.views import Grid, Page, Paragraph, Title, View, gallery, walkthrough
from attncli.views.gallery import kind_words, tokens_line

SAME = 1e-12  # recomputed weights this close to the forward pass's are the same numbers


def _match_note(name: str, difference: float, float32: bool, biases: bool = True) -> str:
    if difference <= SAME:
        slices = "W_Q, W_K, W_V and their biases" if biases else "W_Q, W_K and W_V"
        return (f"These are the model's own numbers: recomputing {name} from X and its slices of {slices}, "
                f"as `explain` does, gives the attention weights of the model's forward pass "
                f"(largest difference {difference:.1e}).")
    run = "float32 forward pass" if float32 else "forward pass"
    return (f"Recomputed in float64 from X and the head's slices, these weights differ from the model's {run} "
            f"by up to {difference:.1e}.")


def head_view(ev: Evaluation, *, model: str, layer: int, head: int, pattern: str, difference: float,
              float32: bool, precision: int, by_hand: tuple[str, ...] = (), focus_token: str = "",
              shared: Paragraph | None = None, focus_row: int | None = None, focus: dict | None = None) -> View:
    """Explain's walkthrough of one head, after the model's tokens and what the head's weights show.

    shared: for a decoder, which query heads share its key/value head; focus_row: the by-hand row, which the
    q·k picture marks; focus: that row's numbers for the JSON, as `explain --focus` gives them.
    """
    name = f"L{layer}H{head}"
    by_hand_title = f"By hand: the row of {focus_token}" if by_hand else "By hand"
    extra = {"model": model, "layer": layer, "head": head, **({"focus": focus} if focus is not None else {})}
    inner = walkthrough.view(ev, precision, None, by_hand, by_hand_title, extra=extra,
                             pictures=walkthrough.Pictures(focus_row or 0))
    d_k = ev.steps.heads[0].d_k
    if ev.scenario.rope is not None:
        about = (f"{name} is layer {layer}, head {head} of {model} (both from 0), a causal language model. X is the "
                 f"hidden state entering layer {layer} after its RMSNorm; the head has d_k = {d_k} columns of the "
                 "layer's W_Q, and of W_K and W_V through its key/value head (no biases). Then RoPE rotates q and k "
                 "by position, and the causal mask hides every later token: −∞ above the diagonal, before softmax.")
    else:
        about = (f"{name} is layer {layer}, head {head} of {model} (both from 0). X is the hidden state "
                 f"entering layer {layer}; each head has d_k = {d_k} columns of the "
                 "layer's W_Q, W_K and W_V, and a bias for each.")
    intro = (Paragraph(tokens_line(ev.scenario.tokens)), Paragraph(about)) + ((shared,) if shared else ()) + (
             Paragraph(pattern),
             Paragraph(_match_note(name, difference, float32, ev.scenario.heads[0].b_q is not None), "note"))
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


# ---- built from a model's run: what commands.model shows ----------------------------------------


def pattern_sentence(weights, tokens, causal: bool = False) -> str:
    """What one head's weights show: its pattern and the share of the weight it takes, or that it is broad."""
    from attncli.pretrained import KINDS, head_pattern

    found = head_pattern(weights, tokens, causal)
    words = lambda kind: kind_words(kind, KINDS, tokens, causal)
    if found.kind == "broad":
        return (f"Its pattern: broad. No one pattern gets half of the weight on average; the largest, "
                f"{words(max(found.shares, key=found.shares.get))}, gets {found.share:.2f}.")
    return f"Its pattern: {words(found.kind)}, which gets {found.share:.2f} of each row's weight on average."


def one_head(run, layer: int, head: int, row: int | None, float32: bool, precision: int) -> View:
    """One real head's four steps as explain shows them, recomputed from X and the head's slices."""
    import numpy as np

    from attncli.pretrained import head_evaluation

    h = run.head(layer, head)
    ev = head_evaluation(run, layer, head)
    difference = float(np.max(np.abs(ev.steps.heads[0].weights - h.steps.weights)))
    by_hand: tuple[str, ...] = ()
    focus = None
    if row is not None:
        from attncli.views import handcalc

        by_hand = tuple(handcalc.focus_lines(ev, row, precision))
        focus = handcalc.focus_json(ev, row)
        if h.rope_base is not None:
            from attncli.views.decoder import rope_lines

            by_hand = tuple(rope_lines(ev.steps.heads[0], row, run.tokens, precision)) + ("",) + by_hand
    shared = None
    if h.kv_head is not None:
        from attncli.views.decoder import shared_kv_paragraph

        n_kv = len({other.kv_head for other in run.layers[layer].heads})
        shared = shared_kv_paragraph(layer, head, h.kv_head, len(run.layers[layer].heads), n_kv)
    return head_view(ev, model=run.model, layer=layer, head=head,
                     pattern=pattern_sentence(h.steps.weights, run.tokens, run.causal), difference=difference,
                     float32=float32, precision=precision, by_hand=by_hand,
                     focus_token=run.tokens[row] if row is not None else "", shared=shared, focus_row=row,
                     focus=focus)


def gallery_then_clearest(run, float32: bool, precision: int, model: str | None = None) -> View:
    """Every head as a gallery, then the clearest one's four steps; the JSON stays the gallery's.

    model: the --model given (None for the default), which says whether measured labels apply."""
    from attncli.pretrained import KINDS, clearest_head
    from attncli.views import Banner

    shown = gallery.of_run(run, model)
    layer, head, pattern, fallback = clearest_head(run)
    top = max(pattern.shares, key=pattern.shares.get) if pattern.kind == "broad" else pattern.kind
    name, words = f"L{layer}H{head}", kind_words(top, KINDS, run.tokens, run.causal)
    if fallback:
        sinks = "first token" if run.causal else "first token, [SEP]"
        why = (f"Every head here is broad or a sink ({sinks}); of them all, {name} gives the largest "
               f"share of its weight to one pattern: {words}.")
    else:
        labels = "broad or first token" if run.causal else "broad, first token or [SEP]"
        why = (f"Of the heads not labelled {labels}, {name}'s pattern ({words}) takes the "
               "largest share of the weight.")
    steps = one_head(run, layer, head, None, float32, precision)
    first = steps.pages[0]
    opening = (Banner(f"One head, step by step: {name}"), Paragraph(why))
    pages = shown.pages + (Page(first.heading, opening + first.blocks),) + steps.pages[1:]
    return shown._replace(pages=pages, precision=precision)


def link_of(run, source: int, target: int, precision: int, model: str | None = None,
            repeats: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())) -> View:
    """Every head of the run with the weight token source gives token target, ranked by its excess over
    the other tokens' mean; repeats: every position of each of the two tokens, when given as words."""
    from attncli.pretrained.patterns import link_ranking

    labels = {key: gallery.SHORT[kind] for key, kind in gallery.labels_of_run(run, model).items()}
    notes = (occurrence_note(run.tokens, source, repeats[0], target),
             occurrence_note(run.tokens, target, repeats[1], source, second=True))
    ranking = link_ranking(run, source, target, causal=bool(getattr(run, "causal", False)))
    return link_view(model=run.model, tokens=run.tokens, source=source, target=target, ranking=ranking,
                     labels=labels, precision=precision, notes=notes)
