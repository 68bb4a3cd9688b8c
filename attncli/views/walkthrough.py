"""What `explain` shows, as plain data: one page per step, each with the lesson of why it exists.

Every renderer reads these pages (terminal, presenter mode, markdown, exports), so they never disagree.
"""

import numpy as np

from attncli.numbers import fixed, rgb_hex
from attncli.record import Record
from attncli.scenario import Evaluation
from attncli.views import (FORMULA, Banner, Boxed, Heading, Matrices, MatrixView, Page, Paragraph, Title, View, dims,
                           matrix_json)

_dims = dims


class Section(Record):
    """One step: a heading, a line that teaches why it exists, and rows of matrices side by side."""

    number: str
    heading: str
    lesson: str
    rows: tuple[tuple[MatrixView, ...], ...]
    banner: str = ""  # a head's name above its first step
    notes: tuple[str, ...] = ()  # lines after the matrices, computed from the numbers
    pictures: tuple = ()  # blocks from views/pictures.py, after the matrices

    def page(self) -> Page:
        blocks: list = [Banner(self.banner)] if self.banner else []
        blocks += [Heading(self.number, self.heading), Paragraph(self.lesson, "lesson")]
        blocks += [Matrices(row) for row in self.rows]
        blocks += list(self.pictures)
        blocks += [Paragraph(note) for note in self.notes]
        return Page(f"Step {self.number}: {self.heading}", tuple(blocks))


class Pictures(Record):
    """How explain draws: whose dot products the q·k plot shows, A as a compact heatmap, and the
    evaluation before a live change (presenter mode), whose weights the ▲/▼ marks compare with."""

    focus: int = 0
    compact: bool = False
    before: Evaluation | None = None


def view(ev: Evaluation, precision: int = 3, only_head: int | None = None,
         by_hand: tuple[str, ...] = (), by_hand_title: str = "By hand", extra: dict | None = None,
         pictures: Pictures = Pictures()) -> View:
    """The explain view: every step as a page, then the hand calculation (if any) and the cost."""
    sc = ev.scenario
    sections = sections_of(ev, precision, only_head, pictures)
    first = sections[0].page()
    intro = [Title(sc.name, FORMULA, sc.description)] + [Paragraph(n) for n in _notes(ev)]
    pages = [Page(first.heading, tuple(intro) + first.blocks)] + [s.page() for s in sections[1:]]
    if by_hand:
        pages.append(Page(by_hand_title, (Boxed(by_hand_title, by_hand),)))
    pages.append(Page("Cost", (Paragraph(_cost(ev), "note"),)))

    def document() -> dict:
        doc = explain_json(ev)
        if extra:
            doc.update(extra)
        return doc

    return View(sc.name, tuple(pages), document, precision)


def _notes(ev: Evaluation) -> list[str]:
    sc = ev.scenario
    if not sc.is_cross:
        return []
    notes = [f"Cross-attention: each query ({', '.join(sc.tokens)}) looks at the keys and values of the "
             f"source ({', '.join(sc.key_tokens)}). Rows are queries, columns are source tokens."
             + (" In the title, → points from the queries to the keys they attend to." if "→" in sc.name else "")]
    return notes


CROSS_CAUSAL = ("Warning: a causal mask on cross-attention is aligned to the upper left, as PyTorch's is_causal "
                "does: query i sees source keys 0 to i. The source is another sentence, not earlier tokens of "
                "the same one, so this mask does not mean 'no peeking at the future' here.")


def scenario_argument(origin: str) -> str | None:
    """How a hint names the scenario on the command line: a built-in's name, a quoted path; None for stdin
    and for a file name with control characters, which a hint could only show escaped, not run."""
    import os

    from attncli.safe_text import is_safe

    if origin == "<stdin>" or not is_safe(origin):
        return None
    if origin.endswith(" (built-in)"):
        return origin[: -len(" (built-in)")]
    if not os.path.isfile(origin):  # a real model's head, say: no file to name until it is saved
        return None
    import shlex

    return shlex.quote(origin)


def _cost(ev: Evaluation) -> str:
    n_q, n_k = len(ev.scenario.tokens), len(ev.scenario.key_tokens)
    allowed = ev.steps.heads[0].allowed
    kept = n_q * n_k if allowed is None else int(allowed.sum())
    scores = f"Cost: {n_q} queries × {n_k} keys = {n_q * n_k} scores per head"
    if kept < n_q * n_k:  # a mask that hides some: the words say how many it leaves, and why the order stays
        n = n_q
        if n_q == n_k and np.array_equal(allowed, np.tril(np.ones((n, n), bool))):
            mask = "the causal mask" if ev.settings.causal else "the mask"
            return (f"{scores}, of which {mask} leaves {kept}: n(n+1)/2 = {n}·{n + 1}/2. That count still grows "
                    "as n², so even skipping the hidden ones the work grows as O(n²·d) and the weights take O(n²) "
                    "memory: the price of attention.")
        order = "O(n²·d) and the weights take O(n²)" if n_q == n_k else "O(n_q·n_k·d) and the weights take O(n_q·n_k)"
        return (f"{scores}, of which the mask leaves {kept}. All {n_q * n_k} are computed before the mask sets the "
                f"hidden ones to -∞, so the work grows as {order} memory: the price of attention.")
    if ev.scenario.is_cross:
        return (f"{scores}. Every query meets every key, "
                "so time grows as O(n_q·n_k·d) and the weights take O(n_q·n_k) memory; when a decoder attends "
                "to itself, n_q = n_k = n and that is O(n²·d) and O(n²): the price of attention.")
    return (f"{scores}. Every query meets every key, "
            "so time grows as O(n²·d) and the weights take O(n²) memory: the price of attention.")


def sections_of(ev: Evaluation, precision: int = 3, only_head: int | None = None,
                pictures: Pictures = Pictures()) -> list[Section]:
    """Every step from the inputs to the output; with only_head, that head's steps alone."""
    sc, steps = ev.scenario, ev.steps
    inputs = [MatrixView(f"embeddings X ({sc.x.shape[0]}×{sc.x.shape[1]})", sc.x, sc.tokens, _dims(sc.x.shape[1]))]
    if sc.is_cross:
        sx = sc.source_x
        inputs.append(MatrixView(f"source embeddings ({sx.shape[0]}×{sx.shape[1]})", sx, sc.key_tokens,
                                 _dims(sx.shape[1])))
    sections = [Section(
        "0", "Inputs",
        "Each token is a row of numbers, its embedding. Learned matrices W_Q, W_K, W_V turn it into "
        "a query (what it looks for), a key (what it offers) and a value (what it hands over).",
        (tuple(inputs),),
    )]
    multi = len(steps.heads) > 1
    per_head = 0
    for index in range(len(steps.heads)) if only_head is None else [only_head]:
        head_sections = _head_sections(ev, index, precision, multi, pictures)
        per_head = len({section.number for section in head_sections})  # the q·k picture shares step 2
        sections.extend(head_sections)
    after = per_head + 1  # the step after each head's last
    if multi and only_head is None:
        sections.append(_glance_section(ev, pictures, after))
        after += 1
    if multi or steps.w_o is not None:
        sections.extend(_combine_sections(ev, after))
    return sections


class _HeadContext(Record):
    """What every step of one head needs to name its matrices."""

    ev: Evaluation
    head_index: int  # which of ev.steps.heads
    precision: int
    tag: str  # "2." before step numbers when there are several heads
    pictures: Pictures = Pictures()

    @property
    def head(self):
        return self.ev.steps.heads[self.head_index]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.ev.scenario.tokens), len(self.ev.scenario.key_tokens)

    @property
    def value_dims(self) -> tuple[str, ...]:
        return ("R", "G", "B") if self.ev.scenario.color_values else _dims(self.head.d_v)

    @property
    def paint(self) -> str:
        return "colours" if self.ev.scenario.color_values else "plain"


def _head_sections(ev: Evaluation, index: int, p: int, multi: bool, pictures: Pictures = Pictures()) -> list[Section]:
    """The four steps for one head: project, scores (and their picture), scale (and mask),
    softmax, weighted sum."""
    ctx = _HeadContext(ev, index, p, f"{index}." if multi else "", pictures)
    head = ctx.head
    project = _project_section(ctx)
    if multi:
        banner = f"Head {index}: {head.name} (d_k = {head.d_k}, d_v = {head.d_v})"
        project = Section(project.number, project.heading, project.lesson, project.rows, banner=banner)
    geometry = _geometry_section(ctx)
    out = [project] + ([_rope_section(ctx)] if head.rope_base is not None else [])
    out += [_scores_section(ctx), geometry, _scale_section(ctx)]
    if head.allowed is not None:
        out.append(_mask_section(ctx))
    out += [_softmax_section(ctx), _output_section(ctx, multi)]
    # Numbered in order, so a RoPE or mask step moves the later ones on: 1, 2, 3, 4 (mask), 5, 6;
    # the q·k picture is a second page of the scores' step.
    numbered, k = [], 0
    for section in out:
        k += section is not geometry
        numbered.append(section._replace(number=f"{ctx.tag}{k}"))
    return numbered


ROPE_SHIFT = 7  # how far the RoPE step moves every position to show that the scores stay


def rope_shift_check(head, shift: int = ROPE_SHIFT) -> tuple[int, int, float, float]:
    """(i, j, S[i, j], the same score with both positions moved by shift): the rotated q·k sees only i − j."""
    from attncli.core import rope

    i, j = head.q_raw.shape[0] - 1, 0
    q = rope(head.q_raw[i:i + 1], [i + shift], head.rope_base)[0]
    k = rope(head.k_raw[j:j + 1], [j + shift], head.rope_base)[0]
    return i, j, float(head.scores[i, j]), float(q @ k)


def _rope_section(ctx: _HeadContext) -> Section:
    sc, head, p = ctx.ev.scenario, ctx.head, ctx.precision
    (n_q, n_k), d_k = ctx.shape, head.d_k
    half, base = d_k // 2, head.rope_base
    i, j, score, shifted = rope_shift_check(head)
    lesson = (f"Before any score, each row of Q and K turns by its position: dimension p pairs with p + {half}, "
              f"and the pair p of the row at position m (from 0) turns by the angle m·{base:g}^(−2p/{d_k}) radians. "
              f"A rotation turned back by another leaves only the difference of the angles, so q_i·k_j depends "
              f"on the positions i and j only through i − j. Check: S[{sc.tokens[i]}, {sc.key_tokens[j]}] = "
              f"{score:.{p}f} at positions {i} and {j}; rotated as if at {i + ROPE_SHIFT} and {j + ROPE_SHIFT} "
              f"instead, it is {shifted:.{p}f} (difference {abs(shifted - score):.1e}).")
    rows = ((MatrixView(f"Q, rotated ({n_q}×{d_k})", head.q, sc.tokens, _dims(d_k)),
             MatrixView(f"K, rotated ({n_k}×{d_k})", head.k, sc.key_tokens, _dims(d_k))),)
    return Section(f"{ctx.tag}2", f"RoPE: rotate q and k by position (base {base:g})", lesson, rows)


def _project_section(ctx: _HeadContext) -> Section:
    sc, head, w = ctx.ev.scenario, ctx.head, ctx.ev.scenario.heads[ctx.head_index]
    (n_q, n_k), d_k, d_v = ctx.shape, head.d_k, head.d_v
    d_q, d_kv = w.w_q.shape[0], w.w_k.shape[0]
    kv = "source" if sc.is_cross else "X"
    plus = {name: f" + {name}" if b is not None else "" for name, b in (("b_Q", w.b_q), ("b_K", w.b_k), ("b_V", w.b_v))}
    weights = [MatrixView(f"W_Q ({d_q}×{d_k})", w.w_q, _dims(d_q), _dims(d_k)),
               MatrixView(f"W_K ({d_kv}×{d_k})", w.w_k, _dims(d_kv), _dims(d_k)),
               MatrixView(f"W_V ({d_kv}×{d_v})", w.w_v, _dims(d_kv), _dims(d_v))]
    biases = [MatrixView(f"{name} ({b.shape[0]})", b[None, :], ("b",), _dims(b.shape[0]))
              for name, b in (("b_Q", w.b_q), ("b_K", w.b_k), ("b_V", w.b_v)) if b is not None]
    if sc.is_cross:
        lesson = (f"W_Q turns each of the {n_q} queries' embeddings into a query; W_K and W_V turn each of the "
                  f"{n_k} source embeddings into a key and a value. Q and K share the width d_k = {d_k}, so "
                  "queries and keys can be compared by dot products.")
    else:
        lesson = (f"The same three matrices are applied to every token. Q and K share the width d_k = {d_k}, so "
                  "queries and keys can be compared by dot products.")
    rows = [tuple(weights)] + ([tuple(biases)] if biases else []) + [(
        MatrixView(f"Q ({n_q}×{d_k})", head.q, sc.tokens, _dims(d_k)) if head.q_raw is None else
        MatrixView(f"Q before RoPE ({n_q}×{d_k})", head.q_raw, sc.tokens, _dims(d_k)),
        MatrixView(f"K ({n_k}×{d_k})", head.k, sc.key_tokens, _dims(d_k)) if head.k_raw is None else
        MatrixView(f"K before RoPE ({n_k}×{d_k})", head.k_raw, sc.key_tokens, _dims(d_k)),
        MatrixView(f"V ({n_k}×{d_v})", head.v, sc.key_tokens, ctx.value_dims, kind=ctx.paint))]
    return Section(f"{ctx.tag}1", f"Project: Q = X·W_Q{plus['b_Q']}, K = {kv}·W_K{plus['b_K']}, "
                   f"V = {kv}·W_V{plus['b_V']}", lesson, tuple(rows))


def _scores_section(ctx: _HeadContext) -> Section:
    sc, (n_q, n_k) = ctx.ev.scenario, ctx.shape
    return Section(
        f"{ctx.tag}2", f"Scores: S = Q·Kᵀ ({n_q}×{n_k})",
        "S[i, j] is the dot product of query i with key j: how well what token i looks for matches "
        "what token j offers. Rows are queries, columns are keys.",
        ((MatrixView(f"S ({n_q}×{n_k})", ctx.head.scores, sc.tokens, sc.key_tokens, focus=ctx.pictures.focus),),),
    )


def _geometry_section(ctx: _HeadContext) -> Section:
    """Step 2 again, as a picture: the focused query's arrow against every key's."""
    from attncli.views.pictures import qk_plot

    sc, head = ctx.ev.scenario, ctx.head
    plot = qk_plot(head.q, head.k, head.scores, sc.tokens, sc.key_tokens, ctx.pictures.focus, ctx.precision)
    return Section(
        f"{ctx.tag}2", "Scores as a picture: queries and keys as arrows",
        "A dot product is large when two arrows are long and point the same way: q·k = |q|·|k|·cos θ. "
        "Perpendicular arrows score 0; opposite ones score below 0.",
        (), pictures=(plot,),
    )


def _variance(scores: np.ndarray, p: int) -> str:
    """The scores' variance as a number, or, when squaring them overflows, that it is too large for float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        variance = float(np.var(scores))
    return fixed(variance, p) if np.isfinite(variance) else "too large for float64"


def _scale_section(ctx: _HeadContext) -> Section:
    sc, settings, p, d_k = ctx.ev.scenario, ctx.ev.settings, ctx.precision, ctx.head.d_k
    temperature = settings.temperature
    scores, allowed = ctx.head.scores, ctx.head.allowed
    # What softmax weighs: a score the mask hides never reaches it, so it counts in no statistic.
    kept = scores if allowed is None else scores[allowed]  # (n_allowed,)
    hidden = 0 if allowed is None else int(allowed.size - allowed.sum())
    which = "These scores" if not hidden else f"The {kept.size} scores that the next step's mask leaves"
    left_out = f" (the {hidden} it hides are left out)" if hidden else ""
    raw_var = _variance(kept, p)
    if settings.scaled:
        heading = f"Scale: S / √d_k = S / √{d_k} (× {fixed(1 / np.sqrt(d_k), p)})"
        lesson = (f"Dot products of d_k numbers grow with d_k: for random q and k whose entries have variance 1, "
                  f"q·k has variance d_k, which pushes softmax into saturation where its gradients vanish, and "
                  f"dividing by √d_k brings the variance back to 1. {which} have variance "
                  f"{raw_var}, and {_variance(kept / np.sqrt(d_k), p)} after dividing by √{d_k}{left_out}.")
        hint = scenario_argument(sc.origin)
        if hint is not None:
            lesson += f" See it with `attncli compare {hint} --no-scale`."
    else:
        heading = "Scale: off (the scores are used as they are)"
        lesson = ("Scaling is turned off, so softmax sees the raw dot products, whose variance grows with d_k: "
                  f"with a large d_k it saturates towards one key. {which} have variance {raw_var}{left_out}.")
    if temperature != 1.0:
        heading += f", then ÷ temperature {fixed(temperature, p)}"
        lesson += (f" The temperature {fixed(temperature, p)} divides the scores once more: "
                   "below 1 sharpens the weights, above 1 flattens them.")
    (n_q, n_k) = ctx.shape
    if settings.scaled:
        caption = f"scaled scores ({n_q}×{n_k})"
    elif temperature != 1.0:
        caption = f"scores ÷ temperature ({n_q}×{n_k})"
    else:
        caption = f"scores as they are ({n_q}×{n_k})"
    return Section(f"{ctx.tag}3", heading, lesson,
                   ((MatrixView(caption, ctx.head.scaled_scores, sc.tokens, sc.key_tokens,
                                focus=ctx.pictures.focus),),))


def _mask_section(ctx: _HeadContext) -> Section:
    sc, head, (n_q, n_k) = ctx.ev.scenario, ctx.head, ctx.shape
    return Section(
        f"{ctx.tag}4", f"Mask: {_mask_words(ctx.ev)}",
        "Hidden positions get -∞ added before softmax, so their weight comes out exactly 0. "
        "Query i may look only at the keys marked ✓.",
        ((MatrixView(f"may attend ({n_q}×{n_k})", head.allowed, sc.tokens, sc.key_tokens, kind="flags"),
          MatrixView(f"masked scores ({n_q}×{n_k})", head.masked_scores, sc.tokens, sc.key_tokens)),),
        notes=(CROSS_CAUSAL,) if sc.is_cross and ctx.ev.settings.causal else (),
    )


def _softmax_section(ctx: _HeadContext) -> Section:
    sc, settings, (n_q, n_k) = ctx.ev.scenario, ctx.ev.settings, ctx.shape
    softmax_of = "S/√d_k" if settings.scaled else "S"
    if settings.temperature != 1.0:
        softmax_of += "/T"
    if ctx.head.allowed is not None:
        softmax_of += " + mask"
    a = _weights_view(ctx.ev, ctx.head_index, ctx.pictures.before, f"A ({n_q}×{n_k})")._replace(
        focus=ctx.pictures.focus)
    heading = f"Softmax: A = softmax({softmax_of}), row by row ({n_q}×{n_k})"
    lesson = ("Each row becomes a probability distribution over the keys: weights of at least 0 that sum "
              "to 1, saying how much of each value the query takes.")
    if ctx.pictures.compact:
        from attncli.views.pictures import Heatmaps

        return Section(f"{ctx.tag}4", heading, lesson, (), pictures=(Heatmaps((a,)),))
    return Section(f"{ctx.tag}4", heading, lesson, ((a,),))


def _weights_view(ev: Evaluation, index: int, before: Evaluation | None, caption: str) -> MatrixView:
    """A head's weights, with the weights before a live change when there are some of the same shape."""
    sc, weights = ev.scenario, ev.steps.heads[index].weights
    previous = before.steps.heads[index].weights if before is not None else None
    if previous is not None and previous.shape != weights.shape:
        previous = None
    return MatrixView(caption, weights, sc.tokens, sc.key_tokens, kind="weights", previous=previous)


def _glance_section(ev: Evaluation, pictures: Pictures, number: int) -> Section:
    """Every head's A side by side, one glyph per weight: the heads' different patterns at a glance."""
    from attncli.views.pictures import Heatmaps

    views = tuple(_weights_view(ev, i, pictures.before, f"A of {head.name}") for i, head in enumerate(ev.steps.heads))
    return Section(
        str(number), "Every head's weights at a glance",
        "The same tokens, a different A per head: each head has its own W_Q and W_K, so its queries look "
        "for something else in its keys.",
        (), pictures=(Heatmaps(views),),
    )


def _output_section(ctx: _HeadContext, multi: bool) -> Section:
    sc, head, (n_q, _) = ctx.ev.scenario, ctx.head, ctx.shape
    label = "head output" if multi else "Output"
    return Section(
        f"{ctx.tag}5", f"Output = A·V ({n_q}×{head.d_v})",
        "Each output row is a weighted average of the value rows, with that row's weights"
        + (": the blended paint, mixed from the cans in the proportions attention chose." if sc.color_values
           else ", so it carries most of what the keys it attends to hand over."),
        ((MatrixView(f"{label} ({n_q}×{head.d_v})", head.output, sc.tokens, ctx.value_dims, kind=ctx.paint),),),
        notes=_paint_notes(ctx.ev, ctx.head_index, ctx.precision) if sc.color_values else (),
    )


def _paint_notes(ev: Evaluation, index: int, p: int = 3) -> tuple[str, ...]:
    """Which cans each order was mixed from, in words: the output is the blended paint."""
    head = ev.steps.heads[index]
    k_tokens = ev.scenario.key_tokens
    notes = []
    for token, weights, rgb in zip(ev.scenario.tokens, head.weights, head.output):
        top = np.argsort(-weights, kind="stable")[:2]
        cans = " and ".join(f"{k_tokens[j]!r} ({fixed(weights[j], p)})" for j in top if weights[j] > 0)
        # "mostly" only when these cans give more than half the paint; else they are only the largest shares.
        how = "mostly" if weights[top].sum() > 0.5 else "in the largest shares"
        notes.append(f"{token!r} is mixed {how} from {cans}: the blended paint is {rgb_hex(rgb)}.")
    return tuple(notes)


def _mask_words(ev: Evaluation) -> str:
    sc, settings = ev.scenario, ev.settings
    words = []
    if settings.causal:
        words.append("causal (no query sees a later key)")
    if settings.use_mask_matrix and sc.mask_matrix is not None:
        words.append("the scenario's mask matrix")
    if settings.use_mask_matrix and sc.key_padding is not None:
        pads = [t for t, pad in zip(sc.key_tokens, sc.key_padding) if pad]
        words.append(f"padding keys hidden ({', '.join(pads)})" if pads else "key padding (none hidden)")
    return "; ".join(words)


def _combine_sections(ev: Evaluation, first: int) -> list[Section]:
    steps, sc = ev.steps, ev.scenario
    n_q = len(sc.tokens)
    widths = [h.d_v for h in steps.heads]
    multi = len(steps.heads) > 1
    cols = tuple(f"{h.name}:{i + 1}" if multi else str(i + 1) for h in steps.heads for i in range(h.d_v))
    total = sum(widths)
    out = []
    if multi:
        out.append(Section(
            str(first), f"Concatenate the heads: {n_q}×({' + '.join(map(str, widths))}) = {n_q}×{total}",
            "Every head attends in its own way; their outputs are laid side by side.",
            ((MatrixView(f"concat ({n_q}×{total})", steps.concat, sc.tokens, cols),),),
        ))
    if steps.w_o is not None:
        w_o = steps.w_o
        out.append(Section(
            str(first + 1 if multi else first),
            f"Output = concat·W_O{' + b_O' if steps.b_o is not None else ''} ({n_q}×{w_o.shape[1]})",
            "W_O mixes what the heads found into one vector per token.",
            ((MatrixView(f"W_O ({w_o.shape[0]}×{w_o.shape[1]})", w_o, cols, _dims(w_o.shape[1])),
              MatrixView(f"Output ({n_q}×{w_o.shape[1]})", steps.output, sc.tokens, _dims(w_o.shape[1]))),),
        ))
    return out


def explain_json(ev: Evaluation) -> dict:
    """The JSON contract of `explain --format json` (see the README)."""
    heads = []
    for head, weights in zip(ev.steps.heads, ev.scenario.heads):
        entry = {"name": head.name, "d_k": head.d_k, "d_v": head.d_v, "scale": head.scale}
        for key, bias in (("b_Q", weights.b_q), ("b_K", weights.b_k), ("b_V", weights.b_v)):
            if bias is not None:
                entry[key] = [float(b) for b in bias]
        if head.rope_base is not None:
            entry.update({"Q_before_rope": matrix_json(head.q_raw), "K_before_rope": matrix_json(head.k_raw)})
        entry.update({"Q": matrix_json(head.q), "K": matrix_json(head.k), "V": matrix_json(head.v),
                      "scores": matrix_json(head.scores), "scaled_scores": matrix_json(head.scaled_scores)})
        if head.masked_scores is not None:
            entry["masked_scores"] = [[float(v) if np.isfinite(v) else None for v in row] for row in head.masked_scores]
        entry["weights"] = matrix_json(head.weights)
        entry["output"] = matrix_json(head.output)
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
        **({"rope": {"base": ev.scenario.rope}} if ev.scenario.rope is not None else {}),
        "heads": heads,
    }
    if len(ev.steps.heads) > 1:
        doc["concat"] = matrix_json(ev.steps.concat)
    doc["output"] = matrix_json(ev.steps.output)
    return doc


def explained(ev, row: int | None, only: int | None, tiled: bool, block: int | None, precision: int,
              code: str | None, compact: bool, before=None) -> View:
    """explain's view: the walkthrough, with a row by hand (row), block by block (tiled) and each step's code."""
    sc = ev.scenario
    lines: list[str] = []
    extra: dict = {}
    if row is not None or tiled:
        from attncli.views import handcalc  # only for these options: explain's start-up is measured

        if row is not None:
            lines = handcalc.focus_lines(ev, row, precision, only or 0)
            extra["focus"] = handcalc.focus_json(ev, row, only or 0)
        if tiled:
            n_k = len(sc.key_tokens)
            size = min(block or handcalc.default_block(n_k), n_k)
            lines += ([""] if lines else []) + handcalc.tiled_lines(
                ev, row or 0, precision, size, only or 0, with_legend=row is None)
            extra["tiled"] = handcalc.tiled_json(ev, row or 0, size, only or 0)
    pictures = Pictures(row or 0, compact, before)
    shown = view(ev, precision, only, tuple(lines), extra=extra or None, pictures=pictures)
    if code is not None:
        from attncli.views.code import with_code

        shown = with_code(shown, ev, code)
    return shown
