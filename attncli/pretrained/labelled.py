"""A labelled set of sentences for `attncli patterns`: its YAML format, read with file:line errors, and its words.

A word is a run of letters and digits (an apostrophe inside it, as in "don't", keeps it one word);
punctuation is not a word. Words are numbered from 0 in each sentence, and a pair names both of its
words by number and spelling: `5 are -> 1 keys`, optionally `not 4 cabinet` (the wrong candidate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from attncli import limits
from attncli.errors import AttncliError

LABELLED = ("agreement", "coreference")  # the kinds a set labels by hand
GENERATED = ("positional", "separator")  # the kinds every sentence gives without labels
KINDS = LABELLED + GENERATED

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_PAIR = re.compile(r"\s*(\d+)\s+(\S+)\s*->\s*(\d+)\s+(\S+)(?:\s+not\s+(\d+)\s+(\S+))?\s*")
PAIR_FORM = "`5 are -> 1 keys` (word numbers from 0, then the word), optionally followed by `not 4 cabinet`"


@dataclass(frozen=True)
class Word:
    text: str
    start: int  # character offsets in the sentence
    end: int


@dataclass(frozen=True)
class Pair:
    """A labelled link between two words of a sentence, by word number from 0."""

    source: int  # the dependent word: the verb, the pronoun
    target: int  # the word it should point to: the subject, the antecedent
    other: int | None = None  # the wrong candidate, for a margin; None when none is named
    line: int | None = None  # where the pair is written, for messages


@dataclass(frozen=True)
class Sentence:
    text: str
    words: tuple[Word, ...]
    pairs: dict  # kind (of LABELLED) → tuple[Pair, ...]
    line: int | None = None


@dataclass(frozen=True)
class LabelledSet:
    name: str
    origin: str  # the file, or "built-in"
    sentences: tuple[Sentence, ...]

    def count(self, kind: str) -> int:
        return sum(len(s.pairs.get(kind, ())) for s in self.sentences)


def words_of(text: str) -> tuple[Word, ...]:
    """The words of a sentence, by the rule in this module's docstring."""
    return tuple(Word(m.group(), m.start(), m.end()) for m in WORD.finditer(text))


def builtin_path() -> Path:
    return Path(__file__).with_name("labelled_set.yaml")


def load_set(ref: str | None) -> LabelledSet:
    """The built-in set (ref None) or a user's YAML file, validated; problems name the file and line."""
    from attncli.files import read_text

    if ref is None:
        return parse_set(read_text(str(builtin_path()), origin="built-in"), origin="built-in",
                         default_name="attncli's labelled set")
    return parse_set(read_text(ref, what="a labelled set"), origin=ref, default_name=Path(ref).stem)


def parse_set(text: str, *, origin: str, default_name: str = "set") -> LabelledSet:
    """YAML text → a LabelledSet, or the first problem as an AttncliError with the file and line."""
    from attncli.loader import _compose
    from attncli.reader import Reader, is_empty

    root = _compose(text, origin)
    reader = Reader(origin, len(text))
    if is_empty(root):
        raise AttncliError("the file is empty; a labelled set is a mapping with `sentences:`, a list of "
                           "sentences, each with its `text:` and its pairs", origin=origin)
    top = reader.mapping(root, "the set", ("sentences", "name"))
    name = reader.string(top["name"], "name") if "name" in top else default_name
    if "sentences" not in top:
        reader.fail(root, "the set has no `sentences:`, the list of labelled sentences")
    items = reader.sequence(top["sentences"], "sentences")
    if not items:
        reader.fail(top["sentences"], "sentences is empty; give at least one sentence")
    if len(items) > limits.max_set_sentences():
        reader.fail(top["sentences"], f"sentences has {len(items):,} entries; attncli reads at most "
                                      f"{limits.max_set_sentences():,} (each is a run of the model)")
    sentences = tuple(_sentence(reader, node, i) for i, node in enumerate(items))
    return LabelledSet(name=name, origin=origin, sentences=sentences)


def _sentence(reader, node, index: int) -> Sentence:
    where = f"sentence {index}"
    fields = reader.mapping(node, where, ("text",) + LABELLED)
    if "text" not in fields:
        reader.fail(node, f"{where} has no `text:`")
    text = reader.string(fields["text"], f"{where}: text")
    words = words_of(text)
    if not words:
        reader.fail(fields["text"], f"{where}: the text {text!r} has no words")
    pairs = {}
    for kind in LABELLED:
        if kind not in fields:
            continue
        entries = reader.sequence(fields[kind], f"{where}: {kind}")
        if len(entries) > limits.max_set_pairs():
            reader.fail(fields[kind], f"{where}: {kind} has {len(entries)} pairs; at most {limits.max_set_pairs()} "
                                      "per sentence")
        found: list[Pair] = []
        for entry in entries:
            pair = _pair(reader, entry, f"{where}: {kind}", words)
            if any((p.source, p.target) == (pair.source, pair.target) for p in found):
                reader.fail(entry, f"{where}: {kind}: the pair {pair.source} -> {pair.target} is listed twice")
            found.append(pair)
        pairs[kind] = tuple(found)
    return Sentence(text=text, words=words, pairs=pairs, line=node.start_mark.line + 1)


def _pair(reader, node, where: str, words) -> Pair:
    text = reader.string(node, f"{where}: a pair")
    match = _PAIR.fullmatch(text)
    if match is None:
        reader.fail(node, f"{where}: {text!r} is not a pair; a pair reads {PAIR_FORM}")
    numbers = [int(match.group(i)) for i in (1, 3, 5) if match.group(i) is not None]
    spelled = [match.group(i) for i in (2, 4, 6) if match.group(i) is not None]
    listed = "  ".join(f"{i} {w.text}" for i, w in enumerate(words))
    for number, word in zip(numbers, spelled):
        if number >= len(words):
            reader.fail(node, f"{where}: there is no word {number}; the words are {listed}")
        if words[number].text.casefold() != word.casefold():
            reader.fail(node, f"{where}: word {number} is {words[number].text!r}, not {word!r}; "
                              f"the words are {listed}")
    if len(set(numbers)) < len(numbers):
        reader.fail(node, f"{where}: {text!r} names word {_repeated(numbers)} twice; "
                          "a pair links two different words")
    return Pair(source=numbers[0], target=numbers[1], other=numbers[2] if len(numbers) == 3 else None,
                line=node.start_mark.line + 1)


def _repeated(numbers: list[int]) -> int:
    return next(n for n in numbers if numbers.count(n) > 1)
