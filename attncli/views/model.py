"""What `attncli model` shows for one real head (explain's walkthrough on its numbers) and for a link query."""

from __future__ import annotations

from attncli.numbers import fixed
from attncli.scenario import Evaluation
from attncli.views import Bars, Page, Paragraph, Title, View, gallery, walkthrough
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
              shared: Paragraph | None = None) -> View:
    """Explain's walkthrough of one head, after the model's tokens and what the head's weights show."""
    name = f"L{layer}H{head}"
    by_hand_title = f"By hand: the row of {focus_token}" if by_hand else "By hand"
    inner = walkthrough.view(ev, precision, None, by_hand, by_hand_title,
                             extra={"model": model, "layer": layer, "head": head})
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


def link_view(*, model: str, tokens, source: int, target: int, ranking, labels: dict, precision: int,
              shown: int = 12) -> View:
    """Every head ranked by the weight one token gives another: the top ones as bars, all in JSON."""
    a, b = tokens[source], tokens[target]
    top = ranking[0]
    best = f"L{top.layer}H{top.head}"
    if top.weight >= 0.5:
        verdict = f"{best} gives {a} → {b} {fixed(top.weight, precision)}: more than half of {a}'s attention."
    else:
        verdict = (f"No head gives {b} half of {a}'s attention; the most is {fixed(top.weight, precision)}, "
                   f"in {best}.")
    names = [f"L{s.layer}H{s.head}" for s in ranking[:shown]]
    wide = max(len(n) for n in names)
    bars = tuple((f"{n:<{wide}} {labels[(s.layer, s.head)]:<5}", s.weight, fixed(s.weight, precision))
                 for n, s in zip(names, ranking[:shown]))
    blocks = (Title(f"{model}: which heads link {a} → {b}?", "A[from, to] in every head, highest first",
                    f"Row {source} ({a}), column {target} ({b}) of each head's attention weights A."),
              Paragraph(tokens_line(tokens)),
              Bars(f"The {len(bars)} highest of {len(ranking)} heads (label: the head's pattern)", bars),
              Paragraph(verdict, "strong"))

    def document() -> dict:
        return {"model": model, "tokens": list(tokens), "from": a, "to": b,
                "ranking": [{"layer": s.layer, "head": s.head, "weight": s.weight} for s in ranking]}

    return View(f"{model}: {a} → {b}", (Page(f"{a} → {b}", blocks),), document, precision)


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
    if row is not None:
        from attncli.views import handcalc

        by_hand = tuple(handcalc.focus_lines(ev, row, precision))
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
                     focus_token=run.tokens[row] if row is not None else "", shared=shared)


def gallery_then_clearest(run, float32: bool, precision: int) -> View:
    """Every head as a gallery, then the clearest one's four steps; the JSON stays the gallery's."""
    from attncli.pretrained import KINDS, clearest_head
    from attncli.views import Banner

    shown = gallery.of_run(run)
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
    return View(shown.title, pages, shown.document, precision)


def link_of(run, source: int, target: int, precision: int) -> View:
    """Every head of the run ranked by the weight token source gives token target."""
    from attncli.pretrained import label_head, link_ranking

    labels = {(h.layer, h.head): gallery.SHORT[label_head(h.steps.weights, run.tokens, run.causal)]
              for layer in run.layers for h in layer.heads}
    return link_view(model=run.model, tokens=run.tokens, source=source, target=target,
                     ranking=link_ranking(run, source, target), labels=labels, precision=precision)
