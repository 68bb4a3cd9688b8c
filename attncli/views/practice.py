"""What `quiz` and `grade` show: a generated exercise as blocks, long arithmetic shortened, a class's grades."""

from __future__ import annotations

import re

from attncli.views import Grid, Heading, Page, Paragraph, Title, View

LONG_LINE = 160  # characters: past this, sums and vectors are shortened to their first and last terms
_KEEP_FIRST, _KEEP_LAST = 3, 2
# A chain of at least 8 terms joined by " + " (terms have no spaces: "(0.1×2)", "0.6449", "A[x,y]×V[y,1]").
# Linear time on any line: a chain starts only where a term does (the lookbehind), and the first term is
# taken whole, never given back ((?=(…))\1 is an atomic group): a 60,000-character word without a " + "
# is then one failed try, not 60,000 tries of 60,000 characters.
_SUM = re.compile(r"(?<![^\s=+])(?=([^\s=+]+))\1(?: \+ [^\s=+]+){7,}")
# A bracketed list of at least 8 entries: "[0.1, -2, 3.5, ...]".
_VECTOR = re.compile(r"\[(?=([^\[\],]+))\1(?:, [^\[\],]+){7,}\]")


def shorten(line: str, limit: int = LONG_LINE) -> str:
    """The line, or, when longer than limit, with long sums and vectors cut to their first and last terms."""
    if len(line) <= limit:
        return line
    line = _SUM.sub(lambda m: _cut(m.group(0).split(" + "), " + "), line)
    return _VECTOR.sub(lambda m: "[" + _cut(m.group(0)[1:-1].split(", "), ", ") + "]", line)


def _cut(terms: list[str], joiner: str) -> str:
    hidden = len(terms) - _KEEP_FIRST - _KEEP_LAST
    return joiner.join(terms[:_KEEP_FIRST] + [f"… {hidden} more …"] + terms[-_KEEP_LAST:])


SHORTENED = (f"Long sums and vectors are shortened to their first and last terms (lines over {LONG_LINE} "
             "characters); the answers are checked against the exact values all the same.")


def is_long(questions) -> bool:
    """Whether any line of these questions would be shortened."""
    return any(len(line) > LONG_LINE for q in questions
               for line in (q.prompt, q.hint, *q.arithmetic, *q.data))


def exercise_page(number: int | str, ex) -> Page:
    """A generated exercise: what it is (as its sheet says) and the given Q, K and V side by side."""
    from attncli.practice.sheet import exercise_facts, exercise_title
    from attncli.views import Matrices, MatrixView, dims

    sc, head = ex.evaluation.scenario, ex.evaluation.steps.heads[0]
    blocks: list = [Title(f"Exercise {number}", exercise_title(ex)), *exercise_facts(ex)]
    blocks.append(Paragraph("Given (Q = X·W_Q, K = X·W_K, V = X·W_V, computed for you):", "note"))
    blocks.append(Matrices((MatrixView("Q", head.q, sc.tokens, dims(head.d_k)),
                            MatrixView("K", head.k, sc.key_tokens, dims(head.d_k)),
                            MatrixView("V", head.v, sc.key_tokens, dims(head.d_v)))))
    return Page(f"Exercise {number}", tuple(blocks))


EXERCISE_PRECISION = 1  # Q, K and V of a generated exercise have one decimal: whole numbers × tenths


# ---- grade ------------------------------------------------------------------------------------


def grade_view(report, key_path: str) -> View:
    """A class's grades: one row per student, then each student's mistakes with what was expected."""
    from attncli.practice.grading import STATUS_WORDS
    from attncli.practice.questions import LEVEL_WORDS
    from attncli.practice.tolerance import describe
    from attncli.limits import MAX_ROWS
    from attncli.safe_text import clipped, visible

    key = report.key
    # File names are the students' choice, and a seed any text: shown, never obeyed.
    seed = clipped(repr(key.seed), 200)
    blocks: list = [Title("Grades", f"{visible(key_path)}: course seed {seed}, {len(key.students)} "
                                    f"student{'s' if len(key.students) != 1 else ''}",
                          f"Questions on {LEVEL_WORDS[key.level]}. Tolerance: {describe(key.decimals)}.")]
    rows = tuple((s.student, str(s.score), str(s.max), percent(s.score, s.max), s.summary()) for s in report.students)
    rows += tuple((u.student or "?", "—", "—", "—", f"file {u.status}") for u in report.ungraded)
    blocks.append(Grid(("student", "score", "max", "%", "mistakes"), rows, "Per student"))
    if len(rows) > MAX_ROWS:
        blocks.append(Paragraph("The table shows the first and last students; --format csv lists all.", "note"))
    for u in report.ungraded:
        from attncli.safe_text import visible

        whose = f" ({u.student})" if u.student else ""
        blocks.append(Paragraph(f"{visible(u.origin)}{whose}: {u.status}: {u.reason}", "note"))
    if report.missing:
        blocks.append(Paragraph(f"No answer file for: {', '.join(report.missing)}.", "note"))
    if report.students:
        blocks += [Paragraph(""), _by_kind(report.students)]
    for s in report.students:
        blocks.append(Paragraph(""))
        blocks += _student_blocks(s, key.decimals, STATUS_WORDS)
    blocks += [Paragraph("")]
    blocks.append(Paragraph("Scoring: 1 point for a right answer and for one that follows from the student's own "
                            "earlier wrong answer; 0 for wrong, blank or not a number.", "note"))
    return View("Grades", (Page("Grades", tuple(blocks)),), report.to_json)


def percent(score: int, most: int) -> str:
    from attncli.numbers import fixed  # 12.5 % shows as 13 %, as a person rounds it

    return f"{fixed(100.0 * score / most, 0)}%" if most else "—"


def _student_blocks(s, decimals: int, words: dict) -> list:
    from attncli.practice.questions import show

    from attncli.safe_text import visible

    title = f"{s.student} ({visible(s.origin)}): {s.score}/{s.max}, {percent(s.score, s.max)}"
    not_ok = [q for q in s.questions if q.status != "ok"]
    if not not_ok:
        blocks: list = [Paragraph(f"{title}: every answer right.", "strong")]
    else:
        rows = tuple((q.id, show(q.expected, decimals + 1), "—" if q.given is None else show(q.given, 9),
                      words[q.status]) for q in not_ok)
        blocks = [Paragraph(title, "strong"), Grid(("question", "expected", "given", "status"), rows)]
        wrong = [q for q in not_ok if q.status == "wrong"]
        if wrong and wrong[0].arithmetic:
            blocks.append(Paragraph(f"First mistake, {wrong[0].id}: {shorten(wrong[0].arithmetic[0])}", "note"))
    blocks += [Paragraph(str(note), "note") for note in s.notes]
    return blocks


def _by_kind(students) -> Grid:
    from attncli.practice.quiz import GROUPS

    counts: dict[str, list[int]] = {}
    for s in students:
        for q in s.questions:
            right_asked = counts.setdefault(GROUPS[q.kind], [0, 0])
            right_asked[0] += q.credit
            right_asked[1] += 1
    rows = tuple((group, str(r), str(a), percent(r, a)) for group, (r, a) in counts.items())
    return Grid(("step", "points", "asked", "%"), rows, "Per step, over the class")
