"""The labelled set: the built-in one's design (checked by hand and here), and a user's set read with file:line errors."""

import re

import pytest

from attncli.errors import AttncliError
from attncli.pretrained.labelled import WORD, load_set, parse_set, words_of

BUILT_IN = load_set(None)


def test_words_are_runs_of_letters_and_digits_numbered_from_0():
    assert [w.text for w in words_of("The dog's bowl, 2 cafés — don't!")] == ["The", "dog's", "bowl", "2", "cafés",
                                                                              "don't"]
    assert words_of("... !") == ()


def test_the_built_in_set_has_at_least_60_sentences_and_every_labelled_kind():
    assert len(BUILT_IN.sentences) >= 60
    assert BUILT_IN.count("agreement") >= 25 and BUILT_IN.count("coreference") >= 30


def _words(sentence, pair):
    w = sentence.words
    return w[pair.source].text, w[pair.target].text, None if pair.other is None else w[pair.other].text


def test_agreement_crosses_a_phrase_or_clause_whose_noun_has_the_other_number():
    crossing = []
    for s in BUILT_IN.sentences:
        for p in s.pairs.get("agreement", ()):
            if p.other is not None and p.target < p.other < p.source:
                crossing.append(_words(s, p))
    assert len(crossing) >= 20
    # the subject and the distractor differ in number: one of them ends in s, or is an irregular plural
    plural = {"children", "women", "men"}
    for verb, subject, distractor in crossing:
        is_plural = [n.endswith("s") or n in plural for n in (subject, distractor)]
        assert is_plural[0] != is_plural[1], (verb, subject, distractor)


def test_controlled_coreference_comes_in_swapped_versions_with_the_antecedent_farther_in_half():
    controlled = [(s, p) for s in BUILT_IN.sentences for p in s.pairs.get("coreference", ())
                  if p.other is not None and {s.words[p.target].text, s.words[p.other].text} & {"boy", "king", "man", "father", "brother", "uncle"}]
    assert len(controlled) >= 24
    farther = sum(abs(p.source - p.target) > abs(p.source - p.other) for _, p in controlled)
    assert farther * 2 == len(controlled)
    texts = {s.text for s, _ in controlled}
    for s, p in controlled:
        a, b = s.words[p.target].text, s.words[p.other].text
        swapped = re.sub(rf"\b({a}|{b})\b", lambda m: b if m.group() == a else a, s.text)
        assert swapped in texts, f"no swapped version of {s.text!r}"


def test_every_pair_names_its_words_as_they_are_written():
    for s in BUILT_IN.sentences:
        for kind, pairs in s.pairs.items():
            for p in pairs:
                assert len({p.source, p.target, p.other} - {None}) == (2 if p.other is None else 3)
                assert all(WORD.fullmatch(s.words[i].text) for i in (p.source, p.target))


GOOD = """\
name: mine
sentences:
  - text: The keys to the cabinet are here.
    agreement:
      - 5 are -> 1 keys not 4 cabinet
"""


def test_a_users_set_reads_its_name_pairs_and_lines(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    lset = load_set(str(path))
    assert lset.name == "mine" and lset.origin == str(path)
    (pair,) = lset.sentences[0].pairs["agreement"]
    assert (pair.source, pair.target, pair.other, pair.line) == (5, 1, 4, 5)


@pytest.mark.parametrize("text, message", [
    ("", "mine.yaml: the file is empty; a labelled set is a mapping with `sentences:`, a list of sentences, "
         "each with its `text:` and its pairs"),
    ("name: x\n", "mine.yaml:1: the set has no `sentences:`, the list of labelled sentences"),
    ("sentences: []\n", "mine.yaml:1: sentences is empty; give at least one sentence"),
    ("sentence: []\n", "mine.yaml:1: the set: unknown key 'sentence'; did you mean sentences?"),
    ("sentences:\n  - txt: a\n", "mine.yaml:2: sentence 0: unknown key 'txt'; did you mean text?"),
    ("sentences:\n  - agreement: []\n", "mine.yaml:2: sentence 0 has no `text:`"),
    ("sentences:\n  - text: '...'\n", "mine.yaml:2: sentence 0: the text '...' has no words"),
    ("sentences:\n  - text: The dog runs.\n    agreement:\n      - 2 runs => 1 dog\n",
     "mine.yaml:4: sentence 0: agreement: '2 runs => 1 dog' is not a pair; a pair reads `5 are -> 1 keys` "
     "(word numbers from 0, then the word), optionally followed by `not 4 cabinet`"),
    ("sentences:\n  - text: The dog runs.\n    agreement:\n      - 3 runs -> 1 dog\n",
     "mine.yaml:4: sentence 0: agreement: there is no word 3; the words are 0 The  1 dog  2 runs"),
    ("sentences:\n  - text: The dog runs.\n    agreement:\n      - 2 run -> 1 dog\n",
     "mine.yaml:4: sentence 0: agreement: word 2 is 'runs', not 'run'; the words are 0 The  1 dog  2 runs"),
    ("sentences:\n  - text: The dog runs.\n    agreement:\n      - 2 runs -> 2 runs\n",
     "mine.yaml:4: sentence 0: agreement: '2 runs -> 2 runs' names word 2 twice; a pair links two different words"),
    ("sentences:\n  - text: The dog runs.\n    coreference:\n      - 2 runs -> 1 dog\n      - 2 runs -> 1 dog not 0 the\n",
     "mine.yaml:5: sentence 0: coreference: the pair 2 -> 1 is listed twice"),
    ("sentences:\n  - text: The dog runs.\n    agreement: 2 runs -> 1 dog\n",
     "mine.yaml:3: sentence 0: agreement should be a list, not '2 runs -> 1 dog'"),
    ("sentences:\n  - text: The dog runs.\n    agreement:\n      - [2, 1]\n",
     "mine.yaml:4: sentence 0: agreement: a pair should be text, not a list"),
    ("sentences:\n  - text: [a]\n", "mine.yaml:2: sentence 0: text should be text, not a list"),
    ("sentences:\n\t- text: a\n", "mine.yaml:2: invalid YAML: a tab character: YAML indents with spaces only"),
])
def test_a_users_set_with_a_mistake_is_refused_naming_file_and_line(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(AttncliError) as caught:
        load_set("mine.yaml")
    assert str(caught.value) == message


def test_a_missing_file_or_a_folder_is_named(tmp_path):
    with pytest.raises(AttncliError, match=r"nope\.yaml: no such file"):
        load_set(str(tmp_path / "nope.yaml"))
    with pytest.raises(AttncliError, match="is a directory, not a labelled set"):
        load_set(str(tmp_path))


def test_text_from_the_file_is_made_visible_before_it_goes_anywhere():
    lset = parse_set("sentences:\n  - text: \"The dog\\e[2J runs.\"\n", origin="x.yaml")
    assert "\x1b" not in lset.sentences[0].text and "\\x1b" in lset.sentences[0].text


def test_too_many_sentences_or_pairs_are_refused():
    from attncli import limits

    most = limits.max_set_sentences()
    text = "sentences:\n" + "  - text: a b\n" * (most + 1)
    with pytest.raises(AttncliError, match=f"big.yaml:2: sentences has {most + 1:,} entries; attncli reads at most {most:,}"):
        parse_set(text, origin="big.yaml")
    pairs = "".join(f"      - 1 b -> 0 a not {i} w\n" for i in range(2, 3 + limits.max_set_pairs()))
    text = "sentences:\n  - text: a b " + " ".join("w" * 25) + "\n    agreement:\n" + pairs
    with pytest.raises(AttncliError, match=f"big.yaml:4: sentence 0: agreement has 21 pairs; at most 20 per sentence"):
        parse_set(text, origin="big.yaml")
