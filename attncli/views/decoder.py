"""What a causal language model adds to the lessons: RoPE by hand, shared key/value heads, generation with
the KV cache, and the induction lesson. Plain data blocks; the numbers come from attncli.pretrained."""

from __future__ import annotations

import numpy as np

from attncli.numbers import fixed
from attncli.safe_text import visible
from attncli.views import Bars, Bullets, Grid, Page, Paragraph, Title, View, matrix_json
from attncli.views.gallery import tokens_line

INDUCTION_THRESHOLD = 0.5  # as for the gallery's patterns: half of the weight on the target, on average
SHIFT = 7  # positions every token is moved by to show that RoPE's scores see only differences


def rope_lines(head, row: int, tokens, precision: int) -> list[str]:
    """By hand, the RoPE of one query row: every pair's angle and rotation, then the shift check.

    head: a core.HeadSteps with rope_base, q_raw and k_raw (the head's rows before rotation).
    """
    from attncli.core import rope, rope_angles

    p, base = precision, head.rope_base
    d = head.q_raw.shape[1]
    half = d // 2
    angles = rope_angles([row], d, base)[0]  # (half,)
    q, q_rot = head.q_raw[row], head.q[row]
    lines = [f"RoPE of the query of {tokens[row]} (position {row}): pair p joins dimensions p and p + {half}, "
             f"turned by θ_p = {row}·{base:g}^(−2p/{d}); (a, b) → (a·cos θ − b·sin θ, b·cos θ + a·sin θ).", ""]
    for i in range(half):
        a, b = q[i], q[i + half]
        lines.append(f"   p={i:<2} θ = {fixed(angles[i], p)}  ({fixed(a, p)}, {fixed(b, p)}) → "
                     f"({fixed(q_rot[i], p)}, {fixed(q_rot[i + half], p)})")
    lines.append("")
    lines.append(f"Each key row turns the same way by its own position. q·k then depends on the positions only "
                 f"through their difference: moving every token {SHIFT} positions on leaves every score as it is.")
    for j in sorted({0, max(0, row - 1), row}):
        moved_q = rope(head.q_raw[row:row + 1], [row + SHIFT], base)[0]
        moved_k = rope(head.k_raw[j:j + 1], [j + SHIFT], base)[0]
        moved = float(moved_q @ moved_k)
        lines.append(f"   S[{tokens[row]}, {tokens[j]}] at positions {row}, {j}: {fixed(head.scores[row, j], p)}; "
                     f"at {row + SHIFT}, {j + SHIFT}: {fixed(moved, p)} (difference {abs(moved - head.scores[row, j]):.1e})")
    return lines


def shared_kv_paragraph(layer: int, head: int, kv_head: int, n_heads: int, n_kv_heads: int) -> Paragraph:
    """Which query heads read the same key/value head (grouped-query attention)."""
    group = n_heads // n_kv_heads
    sharing = [f"L{layer}H{h}" for h in range(kv_head * group, (kv_head + 1) * group)]
    others = [name for name in sharing if name != f"L{layer}H{head}"]
    return Paragraph(
        f"Shared keys and values: each layer has {n_heads} query heads but only {n_kv_heads} key/value heads, "
        f"each read by {group} query heads (head h reads key/value head h // {group}). L{layer}H{head} reads "
        f"key/value head {kv_head}, shared by {', '.join(sharing)}: its W_K, W_V, K and V are the same numbers "
        f"for {' and '.join(others) if others else 'no other head'}; only W_Q and Q are its own.")


# ---- generation -------------------------------------------------------------------------------------

GLYPHS = "·░▒▓█"  # weight in [0, 0.2), [0.2, 0.4), [0.4, 0.6), [0.6, 0.8), [0.8, 1]


def strip(weights, group: int = 10, between: str = " ") -> str:
    """One character per key, darker for more weight (see GLYPHS), in groups of ten, for counting."""
    glyphs = "".join(GLYPHS[min(4, int(w * 5))] for w in weights)
    return between.join(glyphs[i:i + group] for i in range(0, len(glyphs), group))


def lines(cells) -> str:
    """One entry a line, each without spaces: a narrow column cuts an entry (…) but never wraps it onto the next
    line, so each stays level with its number in the next column."""
    return "\n".join(cell.replace(" ", "␣") for cell in cells)


def generation_view(gen, precision: int = 3, shown_keys: int = 4) -> View:
    """Each new token with its candidates, the cache length and the watched head's row; then what the cache saved."""
    from attncli.pretrained.generate import top_ids

    name = f"L{gen.layer}H{gen.head}"
    how = "greedy: the most probable token each time" if gen.greedy else "drawn at random from the probabilities"
    blocks = [Title(f"{gen.model}: generating after your prompt", f"{len(gen.steps)} new tokens, {how}"),
              Paragraph(tokens_line(gen.prompt_tokens)),
              Paragraph(f"The prompt runs in one parallel pass (every row of every head at once, the causal mask "
                        f"hiding later tokens); then each new token adds one query row per head, which reads "
                        f"every cached key and value. {'The cache keeps the keys and values of earlier positions.' if gen.cache else 'Without the cache (--no-cache), each step runs the whole prefix again.'}",
                        "lesson")]
    rows = []
    context = gen.prompt_tokens + tuple(s.token for s in gen.steps)
    for t, step in enumerate(gen.steps):
        order = top_ids(step.weights, shown_keys)
        rows.append((str(t + 1), step.token, str(step.cache_len),  # then a line per candidate, and per key
                     lines(c.token for c in step.top), lines(fixed(c.p, precision) for c in step.top),
                     strip(step.weights, between="\n"),
                     lines(context[int(j)] for j in order), lines(fixed(step.weights[j], precision) for j in order)))
    blocks.append(Grid(("step", "chosen", "keys", "top 5", "p", f"{name} weights", "largest", "weight"),
                       tuple(rows), "One row per new token", numeric=False))
    blocks.append(Paragraph(f"keys: how many keys (and values) the predicting query reads, its own included. "
                            f"{name} weights: that query row's weight on each of them, one character a key in order "
                            f"from {gen.prompt_tokens[0]}, ten a line: · below 0.2, ░ 0.2 to 0.4, ▒ 0.4 to "
                            "0.6, ▓ 0.6 to 0.8, █ 0.8 or more; the keys it weights most on the right. p: the "
                            "probability of the next token.", "note"))
    saved = gen.work_recomputed / gen.work_cached if gen.work_cached else float("nan")
    end = " The model chose its end-of-text token, so it stopped there." if gen.stopped else ""
    blocks += [Paragraph(f"Text: {visible(gen.text)}{end}", "strong"),
               Bullets((f"Time per token: {gen.seconds_per_token * 1000:.0f} ms.",
                        f"Attention work (multiply-adds of the q, k, v projections, q·k and A·V in all layers): "
                        f"{gen.work_cached:,} with the cache; {gen.work_recomputed:,} recomputing the whole prefix "
                        f"at every step, {saved:.1f} times as much.",
                        f"Cached against recomputed: {name}'s rows differ by at most {gen.max_difference:.1e} "
                        "(one causal pass over the whole text gives every recomputed row).")),
               Paragraph(f"Watch another head with --layer L --head H; sample with --temperature T --top-k K "
                         f"--seed S; run without the cache with --no-cache.", "note")]

    def document() -> dict:
        return {"model": gen.model, "prompt_tokens": list(gen.prompt_tokens),
                "steps": [{"token": s.token, "id": s.id,
                           "top": [{"token": c.token, "id": c.id, "p": c.p} for c in s.top],
                           "cache_len": s.cache_len} for s in gen.steps],
                "text": gen.text, "cache": gen.cache}

    return View(f"{gen.model}: generate", (Page("Generate", tuple(blocks)),), document, precision)


# ---- induction --------------------------------------------------------------------------------------

def induction_view(found, precision: int = 3, shown: int = 10) -> View:
    """Every head's induction score, the top heads, the loss per copy and the ablation."""
    L = found.copy_length
    n_layers, n_heads = found.scores.shape
    uniform = float(np.mean([1.0 / (i + 1) for i in range(L + 1, 2 * L + 1)]))
    top = found.top[:shown]
    best_l, best_h, best = found.top[0]
    bars = tuple((f"L{l}H{h}", s, fixed(s, precision)) for l, h, s in top)
    table = tuple((f"L{l}",) + tuple(fixed(found.scores[l, h], 2) for h in range(n_heads)) for l in range(n_layers))
    halved = found.loss_copy2 < found.loss_copy1 / 2
    lower = found.loss_copy2 < found.loss_copy1
    if halved:
        copies = (f"The second copy's loss, {found.loss_copy2:.2f} nats per token, is less than half the first's "
                  f"({found.loss_copy1:.2f}): having seen the words once, the model predicts them far better.")
    elif lower:
        copies = (f"The second copy's loss, {found.loss_copy2:.2f} nats per token, is lower than the first's "
                  f"({found.loss_copy1:.2f}), though not by half.")
    else:
        copies = (f"The second copy's loss, {found.loss_copy2:.2f} nats per token, is not lower than the first's "
                  f"({found.loss_copy1:.2f}): on this sequence the repetition did not help.")
    names = lambda pairs: ", ".join(f"L{l}H{h}" for l, h in pairs)
    strong = [(l, h) for l, h, s in found.top if s >= INDUCTION_THRESHOLD]
    if strong:
        labelled = (f"Labelled induction, by the gallery's rule (at least {INDUCTION_THRESHOLD:g} of the weight on "
                    f"the pattern's target, on average): {names(strong)}.")
    else:
        labelled = f"No head gives the token after the first occurrence {INDUCTION_THRESHOLD:g} of its weight on average."
    if found.loss_top > found.loss_random:
        ablation = (f"Zeroing the {len(found.ablated_top)} best induction heads ({names(found.ablated_top)}) raises "
                    f"the second copy's loss from {found.loss_copy2:.2f} to {found.loss_top:.2f}; zeroing "
                    f"{len(found.ablated_random)} random others ({names(found.ablated_random)}) gives "
                    f"{found.loss_random:.2f}: the copying depends on these heads more than on random ones.")
    else:
        ablation = (f"Zeroing the {len(found.ablated_top)} best induction heads ({names(found.ablated_top)}) gives a "
                    f"second-copy loss of {found.loss_top:.2f}, no more than zeroing {len(found.ablated_random)} "
                    f"random others ({names(found.ablated_random)}): {found.loss_random:.2f}.")
    blocks = (Title(f"{found.model}: induction heads", f"{len(found.words)} random words, twice (seed {found.seed})"),
              Paragraph("Words, each one token, run together without spaces: " + " ".join(found.words)),
              Paragraph(f"An induction head, at a token it has seen before, looks at the token that followed it "
                        f"last time, so the model can predict it. Score of a head: the mean weight from each of "
                        f"the {L} second-copy tokens to the token after its first occurrence (spreading weight "
                        f"evenly would give {uniform:.3f}).", "lesson"),
              Bars(f"The {len(bars)} highest of {n_layers * n_heads} heads", bars),
              Paragraph(f"The top head is L{best_l}H{best_h}, score {fixed(best, precision)}. {labelled}", "strong"),
              Grid(("layer",) + tuple(f"H{h}" for h in range(n_heads)), table, "Every head's induction score",
                   shades=tuple((None,) + tuple(float(s) for s in row) for row in found.scores)),
              Paragraph(copies), Paragraph(ablation),
              Paragraph("Another sequence: --seed S; longer: --length N.", "note"))

    def document() -> dict:
        return {"model": found.model, "seed": found.seed, "ids": list(found.ids), "tokens": list(found.tokens),
                "scores": matrix_json(found.scores),
                "top": [{"layer": l, "head": h, "score": s} for l, h, s in found.top[:shown]],
                "loss_copy1": found.loss_copy1, "loss_copy2": found.loss_copy2,
                "ablation": {"top": [list(p) for p in found.ablated_top], "loss_top": found.loss_top,
                             "random": [list(p) for p in found.ablated_random], "loss_random": found.loss_random}}

    return View(f"{found.model}: induction heads", (Page("Induction heads", blocks),), document, precision)
