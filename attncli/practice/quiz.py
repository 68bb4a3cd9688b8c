"""Interactive practice without a terminal: a state machine that asks, checks and explains one step at a time.

Type a number to answer, h for a hint, s to skip (the step is shown, so the next ones can go on),
q to quit. A wrong answer shows the arithmetic of that one step, then the quiz goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from attncli.limits import max_answer_chars, max_tries
from attncli.practice.answers import number_text
from attncli.practice.grading import judge
from attncli.practice.questions import Question, show
from attncli.practice.tolerance import describe

GROUPS = {"score": "scores", "scaled": "scaling", "exp": "softmax", "sum": "softmax", "weight": "softmax",
          "output": "output"}
COMMANDS = "h for a hint, s to skip, q to quit"


@dataclass(frozen=True)
class Feedback:
    status: str  # ok | follows | wrong | skipped | hint | invalid | quit
    lines: tuple[str, ...]


@dataclass
class Quiz:
    """Where a quiz stands: the questions, the next one, and every answer so far."""

    questions: Sequence[Question]
    decimals: int = 3
    index: int = 0
    answers: dict[str, float] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # ok | follows | wrong | skipped
    quit: bool = False
    tries: int = 0  # lines in a row without an answer to the current question

    @property
    def current(self) -> Question | None:
        return None if self.quit or self.index >= len(self.questions) else self.questions[self.index]

    def ask(self) -> list[str]:
        """The lines that pose the current question."""
        q = self.current
        lines = [f"{self.index + 1}/{len(self.questions)}  {q.prompt}"]
        lines += [f"      {d}" for d in q.data]
        return lines

    def respond(self, text: str | None) -> Feedback:
        """Take one line typed by the student; None is the end of input, taken as q."""
        q = self.current
        if q is None:
            return Feedback("quit", ())
        word = "q" if text is None else text.strip()
        if word.lower() in ("q", "quit"):
            self.quit = True
            return Feedback("quit", ("Stopped here.",))
        if word.lower() in ("h", "hint", "?"):
            return self._retry(Feedback("hint", (f"hint: {q.hint}",)))
        if word.lower() in ("s", "skip"):
            return self._advance(q, "skipped", None, ("skipped; the step is:", *(f"   {a}" for a in q.arithmetic)))
        if len(word) > max_answer_chars():  # what read_answer_line cut off: no number is this long
            value, problem = None, f"a line of more than {max_answer_chars():,} characters is not a number"
        else:
            value, problem = number_text(word) if word else (None, "nothing typed")
        if problem:
            return self._retry(Feedback("invalid", (f"{problem}; type a number, or {COMMANDS}",)))
        status = judge(q, value, {**self.answers, q.id: value}, self.statuses, self.decimals)
        if status == "ok":
            lines = (f"right ({show(q.expected, self.decimals + 1)})",)
        elif status == "follows":
            lines = ("follows from your earlier answer: right for the numbers you had; with the exact ones:",
                     *(f"   {a}" for a in q.arithmetic))
        else:
            lines = (f"not quite: {show(value, self.decimals + 1)}; the step is:", *(f"   {a}" for a in q.arithmetic))
        return self._advance(q, status, value, lines)

    def _retry(self, feedback: Feedback) -> Feedback:
        """A hint or a typo; past max_tries in a row (piped input that never answers) the quiz stops."""
        self.tries += 1
        if self.tries < max_tries():
            return feedback
        self.quit = True
        return Feedback("quit", (*feedback.lines,
                                 f"{max_tries()} lines in a row without an answer to this question; stopped here."))

    def _advance(self, q: Question, status: str, value: float | None, lines: tuple[str, ...]) -> Feedback:
        self.tries = 0
        if value is not None:
            self.answers[q.id] = value
        self.statuses[q.id] = status
        self.index += 1
        return Feedback(status, lines)

    def tally(self) -> dict[str, tuple[int, int]]:
        """Per step kind: (right or following, asked), in the order the steps come."""
        counts: dict[str, list[int]] = {}
        for q in self.questions:
            if q.id in self.statuses:
                right_asked = counts.setdefault(GROUPS[q.kind], [0, 0])
                right_asked[0] += self.statuses[q.id] in ("ok", "follows")
                right_asked[1] += 1
        return {group: (r, a) for group, (r, a) in counts.items()}

    def summary(self) -> list[str]:
        tally = self.tally()
        right = sum(r for r, _ in tally.values())
        asked = sum(a for _, a in tally.values())
        lines = [f"{group}: {r}/{a}" for group, (r, a) in tally.items()]
        stopped = f" (stopped after {asked} of {len(self.questions)})" if asked < len(self.questions) else ""
        return lines + [f"total: {right}/{asked}{stopped}"]


def read_answer_line(stream) -> str | None:
    """One line of piped answers without its line end, None at the end of input; of a line longer than
    max_answer_chars, only the first max_answer_chars + 1 characters are kept, so memory stays bounded."""
    line = stream.readline(max_answer_chars() + 1)
    if not line:
        return None
    if not line.endswith("\n") and len(line) > max_answer_chars():
        while (rest := stream.readline(1 << 16)) and not rest.endswith("\n"):
            pass
    return line.rstrip("\r\n")


STYLES = {"ok": "bold green", "follows": "yellow", "wrong": "bold red", "hint": "cyan", "invalid": "magenta",
          "skipped": "dim", "quit": "dim"}


def run_quiz(questions: Sequence[Question], read_line: Callable[[], str | None], write: Callable[[str, str], None],
             decimals: int = 3) -> Quiz:
    """The quiz loop, for the terminal and for tests alike: ask, read a line, answer, and sum up.

    read_line returns one typed line, None (or raises EOFError) at the end of input; write(text, style)
    shows one line, style a Rich style name or "" (STYLES gives each answer's). After a hint or a typo
    the question is asked again without its numbers.
    """
    quiz = Quiz(questions, decimals)
    write(f"{len(questions)} questions; answer to {decimals} decimals: {describe(decimals)}.", "")
    write(f"Type a number, or {COMMANDS}.", "")
    again = False
    while quiz.current is not None:
        asked = quiz.ask()
        if again:
            asked = asked[:1]
        else:
            write("", "")
        write(asked[0], "bold")
        for line in asked[1:]:
            write(line, "")
        try:
            text = read_line()
        except EOFError:
            text = None
        feedback = quiz.respond(text)
        again = feedback.status in ("hint", "invalid")
        for n, line in enumerate(feedback.lines):
            write(line, STYLES.get(feedback.status, "") if n == 0 else "")
    write("", "")
    write("Summary", "bold")
    for line in quiz.summary():
        write(line, "")
    return quiz


def scenario_questions(scenario, level: str, row: int | None = None, seed: int | str | None = None,
                       head: int = 0) -> tuple[Question, ...]:
    """The questions of one row of any scenario (built-in, file or a model's saved head), with its own settings.

    Without a row, the seed picks one (the same seed, the same row); without either, the first row.
    """
    from attncli.practice.questions import row_questions
    from attncli.scenario import evaluate, settings_for

    ev = evaluate(scenario, settings_for(scenario))
    if row is None:
        row = 0 if seed is None else seed_row(scenario, seed)
    return row_questions(ev, row, level, head_index=head)


def seed_row(scenario, seed: int | str) -> int:
    """The query row a seed picks: the same seed, the same row."""
    from attncli.practice.draws import Draws

    return Draws("quiz row", str(seed)).below(len(scenario.tokens))


def generated_questions(seed: int | str, level: str) -> tuple[Question, ...]:
    """A fresh exercise from a seed, for a quiz without a scenario."""
    from attncli.practice.exercises import Options, make_exercise

    return make_exercise(str(seed), "quiz", 1, level, Options(exercises=1)).questions


def introduction(scenario, row: int, level: str) -> tuple[str, str]:
    """What a quiz on a scenario's row asks, and the facts of the scenario it depends on."""
    from attncli.practice.questions import LEVEL_WORDS

    head = scenario.heads[0]
    facts = [f"d_k = {head.w_q.shape[1]}", "divided by √d_k" if scenario.scale else "not scaled"]
    if scenario.causal or scenario.mask_matrix is not None or scenario.key_padding is not None:
        facts.append("causal mask" if scenario.causal else "a mask: hidden keys get weight 0")
    facts += [f"head {head.name!r}, the first of {len(scenario.heads)}"] if len(scenario.heads) > 1 else []
    return (f"{scenario.name}: the row of {scenario.tokens[row]} (row {row}); {LEVEL_WORDS[level]}.",
            f"({'; '.join(facts)})")


def line_reader(stream):
    """A function that reads one answer a call: at a prompt from a terminal, else a line of the stream;
    None at the end of input or on Ctrl-C."""
    interactive = stream.isatty()

    def read() -> str | None:
        try:
            if interactive:
                return input("> ")
            return read_answer_line(stream)
        except (EOFError, KeyboardInterrupt):
            if interactive:
                print()
            return None

    return read


def generated_quiz(say, level: str, seed: int | None, row: str | None):
    """The seed (drawn and said when not given) and its one-exercise sheet."""
    import secrets

    from attncli.errors import UsageError
    from attncli.practice.exercises import Options, make_exercise

    if row is not None:
        raise UsageError("--row picks a row of a SCENARIO; a generated exercise asks about the row it was made "
                         "for (give a SCENARIO, such as dog_ate_dinner, to choose the row)")
    if seed is None:
        seed = secrets.randbelow(100_000)
        say(f"Exercise {seed}: to redo it later, attncli quiz --seed {seed}", "dim")
    return seed, make_exercise(str(seed), "quiz", 1, level, Options(exercises=1))


def scenario_quiz(say, scenario: str, level: str, seed: int | None, row: str | None):
    """The questions on one row of a scenario, after saying what it is."""
    from attncli import loader
    from attncli.errors import option
    from attncli.errors import UsageError
    from attncli.scenario import find_row

    if row is not None and seed is not None:
        raise UsageError("--row and --seed both choose the row; give one of them")
    if scenario == "-":
        raise UsageError("the quiz reads its answers from standard input, so the scenario cannot come from it "
                         "too; save the scenario to a file and give its name")
    sc = loader.load(scenario)
    with option("--row"):
        index = find_row(sc.tokens, row) if row is not None else seed_row(sc, seed) if seed is not None else 0
    what, facts = introduction(sc, index, level)
    say(what, "bold")
    say(facts, "dim")
    return scenario_questions(sc, level, row=index)
