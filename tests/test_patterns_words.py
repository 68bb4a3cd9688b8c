"""Every sentence `attncli patterns` and `model --link` print, checked against its numbers by a condition table.

Each sentence must match one kind in a table (a pattern and a check); a sentence of no known kind fails,
so a new kind of sentence cannot be added without a condition that proves it. The checks recompute from
the view's JSON document at full precision, not from the code that chose the words.
"""

import re
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attncli.numbers import fixed
from attncli.pretrained.evidence import SetResult, TokenPair, measure_kind
from attncli.pretrained.patterns import link_ranking
from attncli.views import Banner, Paragraph
from attncli.views import model as model_view
from attncli.views import patterns as patterns_view

P = 3
NOT_COMPARED = {"positional": {"offset"}, "separator": {"first", "column"}}
POINTS = {"agreement": "a verb to its subject", "coreference": "a pronoun to its antecedent",
          "positional": "each token to the token before it", "separator": "each token to the first token"}


def sentences(view):
    """The text of every sentence-bearing block, with the kind section it belongs to."""
    kind = None
    for page in view.pages:
        for block in page.blocks:
            if isinstance(block, Banner):
                kind = block.text.split(":")[0]
                yield kind, block.text
            elif isinstance(block, Paragraph):
                yield kind, block.text


def _bar(k):
    """The best compared baseline, (name, accuracy), recomputed from the kind's JSON."""
    b = k["baselines"]
    values = {"offset": b["offset"]["accuracy"], "column": b["column"], "first": b["first"], "chance": b["chance"]}
    compared = [n for n in ("offset", "column", "first", "chance") if n not in NOT_COMPARED.get(k["kind"], set())]
    best = max(compared, key=lambda n: (values[n], -compared.index(n)))
    return best, values[best]


def _baseline_words(k, name):
    b = k["baselines"]
    return {"offset": f"the fixed offset {b['offset']['offset']:+d}", "first": "always the first token",
            "chance": "chance"}.get(name) or "the column mean in L"


def plural_for_many(n, noun: str) -> None:
    """The noun is plural exactly when the number is not 1: no "1 pairs", no "3 pair"."""
    assert noun.endswith("s") == (int(n) != 1), (n, noun)


def check_intro(m, k, doc, facts):
    assert m["model"] == doc["model"]
    assert (m["kind"] == "a decoder") == facts.causal
    assert int(m["split"] or m["split1"] or 0) == facts.split_words
    assert m["split"] is None or int(m["split"]) > 1


def check_banner(m, k, doc, facts):
    assert m["kind"] == k["kind"] and int(m["n"]) == k["pairs"]
    plural_for_many(m["n"], m["noun"])
    assert m["dropped"] is None or int(m["dropped"]) > 1


def check_verdict(m, k, doc, facts):
    best = k["heads"][0]
    assert m["head"] == f"L{best['layer']}H{best['head']}"
    assert int(m["right"]) == round(best["accuracy"] * k["pairs"]) and int(m["of"]) == k["pairs"]
    plural_for_many(m["of"], m["noun"])
    assert (m["acc"], m["low"], m["high"]) == (fixed(best["accuracy"], P), fixed(best["low"], P), fixed(best["high"], P))
    name, bar = _bar(k)
    assert m["against"].startswith(_baseline_words(k, name)) and m["bar"] == fixed(bar, P)
    above = [h for h in k["heads"] if h["low"] > bar]
    if m["verdict"] == "Evidence":
        assert best["low"] > bar and m["points"] == POINTS[k["kind"]]
        assert int(m["count"] or 1) == len(above) and (m["count"] is None) == (len(above) == 1)
        if m["names"]:
            named = [f"L{h['layer']}H{h['head']}" for h in above]
            shown = ", ".join(named[:8]) + (f" and {len(named) - 8} more" if len(named) > 8 else "")
            assert m["names"] == shown
        assert k["verdict"] is not None
    else:
        assert best["low"] <= bar and not above and k["verdict"] is None and m["kind"] == k["kind"]


def check_margin(m, k, doc, facts):
    best = k["heads"][0]
    margin = best["margin"]
    assert m["head"] == f"L{best['layer']}H{best['head']}"
    assert int(m["n"]) == margin["pairs"] and (m["one"] is not None) == (margin["pairs"] == 1)
    if m["all"]:
        assert margin["positive"] == margin["pairs"] and m["low"] == fixed(margin["min"], P) and margin["min"] > 0
    elif m["none"]:
        assert margin["positive"] == 0 and margin["max"] <= 0
    else:
        assert int(m["pos"]) == margin["positive"] and 0 < margin["positive"] < margin["pairs"]
        assert (m["lo"], m["hi"]) == (fixed(margin["min"], P), fixed(margin["max"], P))


def check_empty(m, k, doc, facts):
    assert m["kind"] not in {kk["kind"] for kk in doc["kinds"]}


def check_static(m, k, doc, facts):
    pass


NUM = r"-?\d+\.\d+"
PATTERN_TABLE = [
    (rf"^(?P<model>.+) is (?P<kind>an encoder|a decoder): (every token sees every token|only pairs that point left "
     rf"count)\. (Every labelled word is one token here\.|(?P<split>\d+) labelled words are cut into several tokens "
     rf"here; their first token stands for them\.|(?P<split1>1) labelled word is cut into several tokens here; its "
     rf"first token stands for it\.)$", check_intro),
    (r"^A verdict needs the best head's 95 % Wilson interval to lie above the best baseline: the best fixed offset, "
     r"the column mean \(the token the other tokens attend to most, in the head where that rule does best\), always "
     r"the first token, and chance \(a uniform pick\)\.$", check_static),
    (r"^(?P<kind>\w+): [^,]+, (?P<n>\d+) (?P<noun>pairs?)(; ((?P<dropped>\d+) labelled pairs point right, which a "
     r"decoder's dependent cannot see, and do not count|1 labelled pair points right, which a decoder's dependent "
     r"cannot see, and does not count))?$", check_banner),
    (rf"^(?P<verdict>Evidence): (?P<head>L\d+H\d+) points (?P<points>.+) in (?P<right>\d+) of (?P<of>\d+) "
     rf"(?P<noun>pairs?) "
     rf"\((?P<acc>{NUM}), 95 % interval (?P<low>{NUM}) to (?P<high>{NUM})\), above the best baseline, "
     rf"(?P<against>.+) \((?P<bar>{NUM})\)\.( (?P<count>\d+) heads' intervals lie above it: (?P<names>[^.]+)\.)?$",
     check_verdict),
    (rf"^(?P<verdict>No evidence): the best head, (?P<head>L\d+H\d+), is right in (?P<right>\d+) of (?P<of>\d+) "
     rf"(?P<noun>pairs?) "
     rf"\((?P<acc>{NUM}), 95 % interval (?P<low>{NUM}) to (?P<high>{NUM})\), and that interval does not lie above the "
     rf"best baseline, (?P<against>.+) \((?P<bar>{NUM})\)\. The set gives no evidence of a head for (?P<kind>\w+) in "
     rf"this model\.$", check_verdict),
    (rf"^(?P<head>L\d+H\d+)'s margin \(weight on the right word minus the wrong one\) is "
     rf"((?P<all>positive on (all (?P<n>[2-9]|\d\d+) pairs that name|(?P<one>the only pair that names)) a wrong word "
     rf"\(smallest (?P<low>{NUM})\))"
     rf"|(?P<none>negative or zero on (all (?P<n2>[2-9]|\d\d+) pairs that name|(?P<one2>the only pair that names)) a "
     rf"wrong word: it prefers the wrong word)"
     rf"|positive on (?P<pos>\d+) of (?P<n3>\d+) pairs that name a wrong word; it ranges from (?P<lo>{NUM}) to (?P<hi>{NUM}))\.$",
     check_margin),
    (r"^The set labels no (?P<kind>\w+) pairs\.$", check_empty),
]


def check_patterns_view(view, facts):
    doc = view.document()
    by_kind = {k["kind"]: k for k in doc["kinds"]}
    seen = 0
    for kind, text in sentences(view):
        matches = [(re.match(p, text), check) for p, check in PATTERN_TABLE if re.match(p, text)]
        assert len(matches) == 1, f"a sentence of no known kind, or of several: {text!r}"
        m, check = matches[0]
        groups = m.groupdict()
        if check is check_margin:
            groups["one"] = groups.get("one") or groups.get("one2")
            groups["n"] = groups.get("n") or groups.get("n2") or groups.get("n3") or (1 if groups["one"] else None)
        check(groups, by_kind.get(kind), doc, facts)
        seen += 1
    return seen


KINDS = ("agreement", "coreference", "positional", "separator")


@st.composite
def set_results(draw):
    causal = draw(st.booleans())
    L, H = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32)))
    n_sent = draw(st.integers(1, 4))
    weights = []
    for _ in range(n_sent):
        n = int(rng.integers(3, 9))
        scores = rng.normal(0, draw(st.sampled_from([0.5, 3, 8])), (L, H, n, n))
        if causal:
            scores = np.where(np.tril(np.ones((n, n), bool)), scores, -np.inf)
        e = np.exp(scores - scores.max(-1, keepdims=True))
        weights.append(e / e.sum(-1, keepdims=True))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=0, max_size=4, unique=True))
    results = []
    for kind in KINDS:
        if kind not in kinds:
            continue
        pairs = []
        for s, a in enumerate(weights):
            n = a.shape[-1]
            for source in range(1, n):
                if kind == "positional":
                    pairs.append(TokenPair(s, source, source - 1, None))
                elif kind == "separator":
                    pairs.append(TokenPair(s, source, 0, None))
                elif rng.random() < 0.5:
                    target = int(rng.integers(0, source))
                    others = [o for o in range(source) if o != target]
                    other = int(rng.choice(others)) if others and kind == "coreference" else None
                    pairs.append(TokenPair(s, source, target, other))
        if pairs:
            results.append(measure_kind(kind, pairs, weights, causal, dropped=int(rng.integers(0, 3)) if causal else 0))
    empty = tuple(k for k in KINDS if k in kinds and k not in {r.kind for r in results})
    return SetResult(model="m", set_name="s", causal=causal, kinds=tuple(results), empty=empty, sentences=n_sent,
                     split_words=int(rng.integers(0, 3)))


@settings(max_examples=80, deadline=None)
@given(set_results())
def test_every_patterns_sentence_holds_for_its_numbers(result):
    assert check_patterns_view(patterns_view.view(result, precision=P), result) >= 2


def test_a_verdict_appears_only_with_evidence_and_says_which_baseline():
    n = 6
    a = np.full((1, 2, n, n), 1 / n)
    a[0, 0, 5] = [0.05, 0.6, 0.05, 0.05, 0.2, 0.05]
    same_offset = measure_kind("agreement", [TokenPair(0, 5, 1, 4)] * 30, [a], causal=False)
    result = SetResult("m", "s", False, (same_offset,), (), 1, 0)
    texts = [t for _, t in sentences(patterns_view.view(result))]
    assert any(t.startswith("No evidence: the best head, L0H0, is right in 30 of 30 pairs") and
               "the fixed offset -4 (1.000)" in t for t in texts)
    assert result.kinds[0].evidence == () and patterns_view.view(result).document()["kinds"][0]["verdict"] is None


# ---- --link -------------------------------------------------------------------------------------

def _fake_run(weights, tokens):
    layers = [SimpleNamespace(heads=[SimpleNamespace(layer=i, head=h, steps=SimpleNamespace(weights=w))
                                     for h, w in enumerate(layer)]) for i, layer in enumerate(weights)]
    return SimpleNamespace(tokens=tokens, layers=layers)


def check_link_top(m, doc, causal):
    r = doc["ranking"]
    top = r[0]
    assert m["head"] == f"L{top['layer']}H{top['head']}"
    assert (m["a"], m["b"]) == (doc["from"], doc["to"])
    if m["kind"] == "more":
        assert top["excess"] > 0 and m["w"] == fixed(top["weight"], P) and m["x"] == fixed(top["excess"], P)
        assert m["base"] == fixed(top["baseline"], P)
    elif m["kind"] == "none":
        assert all(s["excess"] <= 0 for s in r) and m["w"] == fixed(top["weight"], P)
        assert m["base"] == fixed(top["baseline"], P)
    else:
        assert top["baseline"] is None and top["weight"] == max(s["weight"] for s in r)
    excesses = [s["excess"] for s in r]
    if excesses[0] is not None:
        assert excesses == sorted(excesses, reverse=True)


def check_link_heaviest(m, doc, causal):
    r = doc["ranking"]
    heaviest = max(r, key=lambda s: (s["weight"], -s["layer"], -s["head"]))
    assert m["head"] == f"L{heaviest['layer']}H{heaviest['head']}" and heaviest is not r[0]
    assert m["w"] == fixed(heaviest["weight"], P) and m["base"] == fixed(heaviest["baseline"], P)


def check_link_occurrence(m, doc, causal):
    tokens = doc["tokens"]
    places = [i for i, t in enumerate(tokens) if t == m["tok"]]
    assert [int(x) for x in m["where"].split(", ")] == places and int(m["count"]) == len(places) > 1
    pos = int(m["pos"])
    place = places.index(pos)
    assert m["nth"] == (("first", "second", "third")[place] if place < 3 else f"occurrence number {place + 1}")
    choice = next(i for i in places if i != pos)
    a, b = int(m["a"]), int(m["b"])
    about_from = pos == doc["from_position"] and m["tok"] == doc["from"]
    about_to = pos == doc["to_position"] and m["tok"] == doc["to"]
    assert (about_from and (a, b) == (choice, doc["to_position"])) or \
        (about_to and (a, b) == (doc["from_position"], choice))


LINK_TABLE = [
    (rf"^(?P<head>L\d+H\d+) gives (?P<a>.+) → (?P<b>.+) (?P<w>{NUM}): (?P<x>{NUM}) more than the other tokens give "
     rf"(?P=b) on average in that head \((?P<base>{NUM})\)\.$", check_link_top, "more"),
    (rf"^No head gives (?P<a>.+) → (?P<b>.+) more than the other tokens give (?P=b) on average; the nearest is "
     rf"(?P<head>L\d+H\d+), (?P<w>{NUM}) against (?P<base>{NUM})\.$", check_link_top, "none"),
    (rf"^(?P<head>L\d+H\d+) gives (?P<a>.+) → (?P<b>.+) the most weight, (?P<w>{NUM})\.$", check_link_top, "raw"),
    (rf"^The largest weight, (?P<w>{NUM}), is in (?P<head>L\d+H\d+), where the other tokens give (?P<b>.+) "
     rf"(?P<base>{NUM}) on average\.$", check_link_heaviest, None),
    (r"^(?P<tok>.+) appears (?P<count>\d+) times \(positions (?P<where>[\d, ]+)\); this is the (?P<nth>first|second|third|occurrence number \d+), position "
     r"(?P<pos>\d+)\. Give a position to choose another, such as --link (?P<a>\d+) (?P<b>\d+)\.$", check_link_occurrence,
     None),
]


def check_link_view(view, causal=False):
    doc = view.document()
    count = 0
    for _, text in sentences(view):
        if text.startswith(f"{len(doc['tokens'])} tokens as the model sees them"):
            continue
        found = [(re.match(p, text), check, kind) for p, check, kind in LINK_TABLE if re.match(p, text)]
        assert len(found) == 1, f"a sentence of no known kind, or of several: {text!r}"
        m, check, kind = found[0]
        groups = dict(m.groupdict(), kind=kind)
        check(groups, doc, causal)
        count += 1
    return count


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32), st.booleans(), st.sampled_from([0.3, 2, 8]), st.data())
def test_every_link_sentence_holds_for_its_numbers(seed, causal, spread, data):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8))
    scores = rng.normal(0, spread, (2, 3, n, n))
    if causal:
        scores = np.where(np.tril(np.ones((n, n), bool)), scores, -np.inf)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    weights = e / e.sum(-1, keepdims=True)
    tokens = [f"t{int(i)}" for i in rng.integers(0, 3, n)]  # repeated tokens on purpose
    source = data.draw(st.integers(0, n - 1))
    target = data.draw(st.integers(0, source if causal else n - 1))
    ranking = link_ranking(_fake_run(weights, tokens), source, target, causal=causal)
    found = tuple(i for i, t in enumerate(tokens) if t == tokens[source])
    found_to = tuple(i for i, t in enumerate(tokens) if t == tokens[target])
    notes = (model_view.occurrence_note(tokens, source, found, target),
             model_view.occurrence_note(tokens, target, found_to, source, second=True))
    labels = {(s.layer, s.head): "broad" for s in ranking}
    view = model_view.link_view(model="m", tokens=tokens, source=source, target=target, ranking=ranking,
                                labels=labels, precision=P, notes=notes)
    assert check_link_view(view, causal) >= 1


def test_link_baseline_is_the_mean_the_other_rows_give_and_ranks_by_the_excess():
    a = np.zeros((1, 2, 3, 3))
    a[0, 0] = [[0.2, 0.8, 0.0], [0.1, 0.9, 0.0], [0.1, 0.7, 0.2]]  # everyone looks at token 1
    a[0, 1] = [[0.5, 0.5, 0.0], [0.8, 0.1, 0.1], [0.8, 0.1, 0.1]]  # only token 0 does
    ranking = link_ranking(_fake_run(a, ["x", "y", "z"]), 0, 1)
    assert [(s.head, s.weight, s.baseline) for s in ranking] == [(1, 0.5, pytest.approx(0.1)),
                                                                (0, 0.8, pytest.approx(0.8))]
    assert ranking[0].excess == pytest.approx(0.4) and ranking[1].excess == pytest.approx(0.0)
    causal = link_ranking(_fake_run(a, ["x", "y", "z"]), 2, 2, causal=True)  # no other row sees token 2
    assert all(s.baseline is None for s in causal) and causal[0].weight == 0.2


def check_readme_table(kinds, column: int) -> None:
    """The README's patterns table quotes, from `column` on, each kind's best head, best baseline and verdict."""
    from pathlib import Path

    from attncli.views import patterns as patterns_view

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for k in kinds:
        best = k.best
        row = next(line for line in text.splitlines() if line.startswith(f"| {k.kind} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        want = (f"{best.name} {best.accuracy:.2f} [{best.low:.2f}, {best.high:.2f}]",
                f"{patterns_view.baseline_name(k, k.best_baseline)} ({k.baseline_accuracy:.2f})")
        assert tuple(cells[column:column + 2]) == want, row
        assert cells[column + 2].startswith("yes" if k.evidence else "no")
