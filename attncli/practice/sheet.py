"""A worksheet as plain blocks (headings, paragraphs, tables, blanks), written as markdown or HTML."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from attncli.practice.questions import LEVEL_WORDS, show
from attncli.practice.tolerance import describe

BLANK = "__________"


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    blanks: bool = False  # the last column is left empty, to be filled in


def sheet_blocks(student: str, seed: str, level: str, decimals: int, exercises) -> list:
    """Everything on one student's sheet, in order."""
    blocks: list = [
        Heading(1, f"Attention by hand: {student}"),
        Para(f"Course seed {seed!r}. This sheet asks for {LEVEL_WORDS[level]}."),
        Para(f"In each exercise, compute the row of the query named, step by step, and write each answer in "
             f"its blank to {decimals} decimals; use a calculator for e^x. Q, K and V are computed for you "
             "from the embeddings and weights (Q = X·W_Q, K = X·W_K, V = X·W_V)."),
        Para(f"Tolerance: {describe(decimals)}. Scoring: 1 point per question; an answer computed correctly "
             "from one of your own earlier wrong answers also gets its point (it follows from your earlier answer)."),
        Para(f"To hand in: copy your answers into {student}.answers.yaml, one number after each colon."),
    ]
    for n, ex in enumerate(exercises, 1):
        blocks += _exercise_blocks(n, ex)
    return blocks


def exercise_blocks(n: int, ex) -> list:
    """One exercise as on a sheet: heading, facts, matrices and the questions' table (for `quiz` too)."""
    return _exercise_blocks(n, ex)


def _exercise_blocks(n: int, ex) -> list:
    sc, head = ex.evaluation.scenario, ex.evaluation.steps.heads[0]
    me = ex.focus_token
    kind = {"self": "self-attention", "causal": "self-attention with a causal mask",
            "cross": "cross-attention"}[ex.mode]
    root = int(round(head.d_k ** 0.5))
    tokens = "Query tokens" if sc.is_cross else "Tokens"
    facts = (f"{tokens}: {', '.join(sc.tokens)}. d_model = {sc.x.shape[1]}, d_k = {head.d_k} "
             f"(√d_k = {root}), d_v = {head.d_v}.")
    blocks = [Heading(2, f"Exercise {n}: {kind}, the row of {me}"), Para(facts)]
    if ex.mode == "causal":
        seen = sc.tokens[: ex.focus + 1]
        hidden = sc.tokens[ex.focus + 1:]
        blocks.append(Para(f"Causal mask: each token sees itself and the tokens before it, so {me} sees "
                           f"{', '.join(seen)}; {', '.join(hidden)} {'is' if len(hidden) == 1 else 'are'} hidden "
                           "(weight 0)."))
    if ex.mode == "cross":
        blocks.append(Para(f"Cross-attention: the queries come from {', '.join(sc.tokens)}; the keys and values "
                           f"from the source tokens {', '.join(sc.key_tokens)} (the encoder's side)."))
    blocks.append(_matrix("Embeddings X", sc.x, sc.tokens))
    if sc.is_cross:
        blocks.append(_matrix("Source embeddings", sc.source_x, sc.key_tokens))
    weights = sc.heads[0]
    blocks += [_matrix("W_Q", weights.w_q), _matrix("W_K", weights.w_k), _matrix("W_V", weights.w_v),
               _matrix("Q (given)", head.q, sc.tokens), _matrix("K (given)", head.k, sc.key_tokens),
               _matrix("V (given)", head.v, sc.key_tokens)]
    rows = tuple((str(i), q.id, q.prompt, "") for i, q in enumerate(ex.questions, 1))
    blocks.append(Table("Questions", ("#", "id", "compute", "your answer"), rows, blanks=True))
    return blocks


def _matrix(caption: str, m, row_names=None) -> Table:
    names = row_names or [str(i + 1) for i in range(m.shape[0])]
    header = ("",) + tuple(str(j + 1) for j in range(m.shape[1]))
    return Table(caption, header, tuple((name, *(show(v) for v in row)) for name, row in zip(names, m)))


# ---- markdown ---------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(blocks: list) -> str:
    parts = []
    for b in blocks:
        if isinstance(b, Heading):
            parts.append(f"{'#' * b.level} {_md(b.text)}")
        elif isinstance(b, Para):
            parts.append(_md(b.text))
        else:
            lines = [f"**{_md(b.caption)}**", "", "| " + " | ".join(_md(h) for h in b.header) + " |",
                     "|" + "|".join("---" if i == 0 or b.blanks else "---:" for i in range(len(b.header))) + "|"]
            for row in b.rows:
                cells = [_md(c) for c in row]
                if b.blanks:
                    cells = [cells[0], f"`{row[1]}`", *cells[2:-1], BLANK]
                lines.append("| " + " | ".join(cells) + " |")
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


# ---- HTML -------------------------------------------------------------------------------------

_CSS = """
body { font-family: Georgia, "Times New Roman", serif; color: #000; background: #fff;
       max-width: 50em; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.4em 0 1.2em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.2em; }
th, td { border: 1px solid #777; padding: 0.2em 0.6em; text-align: right; }
th:first-child, td.text { text-align: left; }
td.blank { min-width: 9em; height: 1.8em; }
code { font-family: "Courier New", monospace; }
tr { page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
""".strip()


def to_html(blocks: list, title: str) -> str:
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{esc(title)}</title>", f"<style>\n{_CSS}\n</style>", "</head>", "<body>"]
    for b in blocks:
        if isinstance(b, Heading):
            parts.append(f"<h{b.level}>{esc(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            parts.append(f"<p>{esc(b.text)}</p>")
        else:
            parts.append(_html_table(b))
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _html_table(t: Table) -> str:
    esc = html.escape
    lines = ["<table>", f"<caption>{esc(t.caption)}</caption>",
             "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in t.header) + "</tr>"]
    for row in t.rows:
        if t.blanks:
            cells = (f"<td>{esc(row[0])}</td><td class=\"text\"><code>{esc(row[1])}</code></td>"
                     + "".join(f'<td class="text">{esc(c)}</td>' for c in row[2:-1]) + '<td class="blank"></td>')
        else:
            cells = f"<th>{esc(row[0])}</th>" + "".join(f"<td>{esc(c)}</td>" for c in row[1:])
        lines.append(f"<tr>{cells}</tr>")
    lines.append("</table>")
    return "\n".join(lines)
