"""A worksheet as view blocks (title, paragraphs, tables with blanks); render_markdown and render_html write it."""

from attncli.practice.questions import LEVEL_WORDS, show
from attncli.practice.tolerance import describe
from attncli.views import Banner, Grid, Page, Paragraph, Title, View


def sheet_view(student: str, seed: str, level: str, decimals: int, exercises) -> View:
    """Everything on one student's sheet, in order."""
    blocks: list = [
        Title(f"Attention by hand: {student}"),
        Paragraph(f"Course seed {seed!r}. This sheet asks for {LEVEL_WORDS[level]}."),
        Paragraph(f"In each exercise, compute the row of the query named, step by step, and write each answer in "
                  f"its blank to {decimals} decimals; use a calculator for e^x. Q, K and V are computed for you "
                  "from the embeddings and weights (Q = X·W_Q, K = X·W_K, V = X·W_V)."),
        Paragraph(f"Tolerance: {describe(decimals)}. Scoring: 1 point per question; an answer computed correctly "
                  "from one of your own earlier wrong answers also gets its point (it follows from your earlier "
                  "answer)."),
        Paragraph(f"To hand in: copy your answers into {student}.answers.yaml, one number after each colon."),
    ]
    for n, ex in enumerate(exercises, 1):
        blocks += [Banner(f"Exercise {n}: {exercise_title(ex)}"), *exercise_facts(ex), *_given(ex), _questions(ex)]
    return View(f"Attention by hand: {student}", (Page(student, tuple(blocks)),), dict)


def exercise_title(ex) -> str:
    """What the exercise is: 'self-attention, the row of hen'."""
    kind = {"self": "self-attention", "causal": "self-attention with a causal mask",
            "cross": "cross-attention"}[ex.mode]
    return f"{kind}, the row of {ex.focus_token}"


def exercise_facts(ex) -> list[Paragraph]:
    """The exercise's tokens and sizes, and what its mask or its source side means (for `quiz` too)."""
    sc, head = ex.evaluation.scenario, ex.evaluation.steps.heads[0]
    root = int(round(head.d_k ** 0.5))
    tokens = "Query tokens" if sc.is_cross else "Tokens"
    facts = [Paragraph(f"{tokens}: {', '.join(sc.tokens)}. d_model = {sc.x.shape[1]}, d_k = {head.d_k} "
                       f"(√d_k = {root}), d_v = {head.d_v}.")]
    if ex.mode == "causal":
        seen = sc.tokens[: ex.focus + 1]
        hidden = sc.tokens[ex.focus + 1:]
        facts.append(Paragraph(f"Causal mask: each token sees itself and the tokens before it, so {ex.focus_token} "
                               f"sees {', '.join(seen)}; {', '.join(hidden)} {'is' if len(hidden) == 1 else 'are'} "
                               "hidden (weight 0)."))
    if ex.mode == "cross":
        facts.append(Paragraph(f"Cross-attention: the queries come from {', '.join(sc.tokens)}; the keys and values "
                               f"from the source tokens {', '.join(sc.key_tokens)} (the encoder's side)."))
    return facts


def _given(ex) -> list[Grid]:
    """The embeddings, the weights and the Q, K and V computed from them, each value exact."""
    sc, head = ex.evaluation.scenario, ex.evaluation.steps.heads[0]
    weights = sc.heads[0]
    source = [_matrix("Source embeddings", sc.source_x, sc.key_tokens)] if sc.is_cross else []
    return [_matrix("Embeddings X", sc.x, sc.tokens), *source,
            _matrix("W_Q", weights.w_q), _matrix("W_K", weights.w_k), _matrix("W_V", weights.w_v),
            _matrix("Q (given)", head.q, sc.tokens), _matrix("K (given)", head.k, sc.key_tokens),
            _matrix("V (given)", head.v, sc.key_tokens)]


def _questions(ex) -> Grid:
    rows = tuple((str(i), q.id, q.prompt, "") for i, q in enumerate(ex.questions, 1))
    return Grid(("#", "id", "compute", "your answer"), rows, "Questions", numeric=False, blanks=True)


def _matrix(caption: str, m, row_names=None) -> Grid:
    """A matrix as text cells of up to 4 decimals, trailing zeros dropped: the exact values of an exercise."""
    names = row_names or [str(i + 1) for i in range(m.shape[0])]
    header = ("",) + tuple(str(j + 1) for j in range(m.shape[1]))
    return Grid(header, tuple((name, *(show(v) for v in row)) for name, row in zip(names, m)), caption)
