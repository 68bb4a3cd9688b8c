"""Every interpretive sentence printed by explain, compare and the sweep, checked against its numbers.

Each sentence must match one kind in a table (a pattern and a check); a sentence of no known kind fails,
so a new kind of sentence cannot be added without a condition that proves it. Checks recompute from
the JSON (full precision), independently of the code that chose the words.
"""

import json
import re
import shlex
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from attncli import loader
from attncli.cli import app
from attncli.numbers import fixed

runner = CliRunner()
BUILTINS = loader.builtin_names()
P = 3
SAT = 0.99


def run_json(*args):
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout)


def variants(name):
    """Every variant flag that changes something in this scenario."""
    sc = loader.load(name)
    out = [["--no-scale"] if sc.scale else ["--scale"], ["--temperature", "0.5"], ["--temperature", "2"]]
    out.append(["--mask"] if not sc.causal else ["--no-mask"])
    if sc.mask_matrix is not None or sc.key_padding is not None:
        out.append(["--no-mask"])
    return out


# ---------------------------------------------------------------- compare


class Row:
    """One head's numbers from the compare JSON."""

    def __init__(self, doc, head):
        b, v = doc["baseline"]["heads"][head], doc["variant"]["heads"][head]
        self.wb, self.wv = np.array(b["weights"]), np.array(v["weights"])
        self.vis_b = self._visible(b)
        self.vis_v = self._visible(v)
        self.rows = doc["head_rows"][head]["rows"]
        self.scale_b, self.scale_v = b["scale"], v["scale"]
        self.tokens, self.keys = doc["baseline"]["query_tokens"], doc["baseline"]["key_tokens"]
        self.cross = doc["baseline"]["cross_attention"]

    def _visible(self, h):
        if "masked_scores" not in h:
            return np.ones_like(np.array(h["weights"]), dtype=bool)
        return np.array([[x is not None for x in row] for row in h["masked_scores"]])

    def stat(self, side, key):
        return np.array([r[side][key] for r in self.rows])

    def same(self, i):
        return all(fixed(a, P) == fixed(b, P) for a, b in zip(self.wb[i], self.wv[i]))

    def row_of(self, token, number):
        if number is not None:
            return int(number)
        matches = [i for i, t in enumerate(self.tokens) if repr(t) == token]
        assert len(matches) == 1, f"{token!r} is ambiguous without a row number"
        return matches[0]

    def target(self, i, j):
        if not self.cross and i == j:
            return "itself"
        where = f" (key {j})" if self.keys.count(self.keys[j]) > 1 else ""
        return f"{self.keys[j]!r}{where}"


def same_number(text, value):
    """The sentence's number is value as shown: fixed decimals, or a power of ten for very small or large."""
    return text == (fixed(value, P) if 10.0**-P <= abs(value) < 1e6 else f"{value:.{P}e}")


def names(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check_row(m, h: Row):
    i = h.row_of(m["tok"], m["row"])
    j = int(np.argmax(h.wv[i]))
    assert not h.same(i), "a row that did not change is told as a change"
    assert m["target"] == h.target(i, j)
    assert m["x"] == fixed(h.wv[i, j], P)
    lost = [repr(h.keys[k]) for k in np.flatnonzero(h.vis_b[i] & ~h.vis_v[i])]
    gained = [repr(h.keys[k]) for k in np.flatnonzero(h.vis_v[i] & ~h.vis_b[i])]
    assert (m["lost"] or None) == (names(lost) if lost else None)
    assert (m["gained"] or None) == (names(gained) if gained else None)
    if m["kind"] == "puts":
        assert m["y"] == fixed(h.wb[i, j], P) and m["x"] != m["y"]
    else:
        assert fixed(h.wb[i, j], P) == m["x"]
        assert same_number(m["d"], float(np.abs(np.delete(h.wv[i] - h.wb[i], j)).max()))


def check_unchanged(m, h: Row):
    listed = m["which"]
    same = [i for i in range(len(h.tokens)) if h.same(i)]
    if listed == "every row":
        assert len(same) == len(h.tokens)
        return
    for i in same:
        label = repr(h.tokens[i]) + (f" (row {i})" if h.tokens.count(h.tokens[i]) > 1 else "")
        assert label in listed
    assert listed.count("'") == 2 * len(same)


def check_moves_most(m, h: Row):
    moved = np.abs(h.wv - h.wb).max(axis=1)
    i = h.row_of(m["tok"], m["row"])
    assert int(m["n"]) == len(h.tokens) > 6 and i == int(np.argmax(moved))
    assert m["d"] == fixed(moved[i], P)


def check_largest(m, h: Row):
    biggest = float(np.abs(h.wv - h.wb).max())
    assert m["d"] == fixed(biggest, P)
    assert bool(m["small"]) == (biggest < 0.05)


def check_average(m, h: Row):
    for key, a, b in (("max_weight", "a", "b"), ("entropy", "c", "d"), ("effective_keys", "e", "f")):
        assert m[a] == fixed(h.stat("baseline", key).mean(), P)
        assert m[b] == fixed(h.stat("variant", key).mean(), P)
    masks_differ = not np.array_equal(h.vis_b, h.vis_v)
    assert bool(m["mask"]) == masks_differ, "a mask change is told as sharpening, or the reverse"
    if masks_differ:
        assert m["g"] == fixed(h.vis_v.sum(axis=1).mean(), P) and m["h"] == fixed(h.vis_b.sum(axis=1).mean(), P)
        return
    eb, ev = h.stat("baseline", "entropy"), h.stat("variant", "entropy")
    sharper, flatter = int((ev < eb - 1e-12).sum()), int((ev > eb + 1e-12).sum())
    n = len(eb)
    words = m["sharp"]
    if words.startswith("every row is sharper"):
        assert sharper == n
    elif words.startswith("every row is flatter"):
        assert flatter == n
    elif words == "no row's entropy changes":
        assert sharper == flatter == 0
    else:
        got = re.match(r"(\d+) of (\d+) rows are sharper \(lower entropy\), (\d+) flatter(?: and (\d+) unchanged)?$", words)
        assert got, words
        assert (int(got[1]), int(got[2]), int(got[3])) == (sharper, n, flatter)
        assert int(got[4] or 0) == n - sharper - flatter
        assert 0 < sharper + flatter and sharper != n and flatter != n


def check_saturation(m, h: Row):
    choice_b, choice_v = h.vis_b.sum(axis=1) > 1, h.vis_v.sum(axis=1) > 1
    sat_b = int(((h.stat("baseline", "max_weight") >= SAT) & choice_b).sum())
    sat_v = int(((h.stat("variant", "max_weight") >= SAT) & choice_v).sum())
    count, n = int(m["count"]), int(m["n"])
    assert n == len(h.tokens)
    if m["which"] == "variant":
        assert (count, int(m["other"])) == (sat_v, sat_b) and sat_v > sat_b
    elif m["which"] == "baseline":
        assert (count, int(m["other"])) == (sat_b, sat_v) and sat_b > sat_v
    else:
        assert count == sat_b == sat_v > 0
    assert bool(m["single"]) == (not (choice_b.all() and choice_v.all()))
    if m["worst"]:
        hit = np.concatenate([h.stat("variant", "grad_norm")[(h.stat("variant", "max_weight") >= SAT) & choice_v],
                              h.stat("baseline", "grad_norm")[(h.stat("baseline", "max_weight") >= SAT) & choice_b]])
        assert float(m["worst"]) == pytest.approx(hit.max(), rel=1e-3, abs=10.0**-P) and hit.max() < 0.01


def check_ratio(m, h: Row):
    gb, gv = h.stat("baseline", "grad_norm"), h.stat("variant", "grad_norm")
    usable = (gb > 0) & (gv > 0)
    ratio = gv[usable] / gb[usable]
    med, lo, hi = np.median(ratio), ratio.min(), ratio.max()
    assert int(m["left"] or 0) == int((~usable).sum())
    if m["same"]:
        assert lo == hi == 1
        return
    kind = m["kind"]
    if kind == "smaller":
        assert hi < 1
        expect = (np.median(gb[usable] / gv[usable]), 1 / hi, 1 / lo)
    elif kind == "larger":
        assert lo > 1
        expect = (med, lo, hi)
    else:
        expect = (med, lo, hi)
        assert bool(m["mixed"]) == (lo < 1 < hi)
    for got, want in zip((m["m"], m["lo"], m["hi"]), expect):
        assert same_number(got, want)
    assert int(m["left"] or 0) == int((~usable).sum())


def check_ratio_near_one(m, h: Row):
    gb, gv = h.stat("baseline", "grad_norm"), h.stat("variant", "grad_norm")
    usable = (gb > 0) & (gv > 0)
    ratio = gv[usable] / gb[usable]
    assert m["one"] == fixed(1.0, P) and not (ratio == 1).all()
    assert all(fixed(x, P) == fixed(1.0, P) for x in np.concatenate([ratio, 1 / ratio]))
    assert int(m["left"] or 0) == int((~usable).sum())


def check_scale_factor(m, h: Row):
    assert h.scale_b != h.scale_v
    assert same_number(m["b"], h.scale_b) and same_number(m["v"], h.scale_v)


def check_cross(m, doc):
    assert doc["baseline"]["cross_attention"]
    assert doc["baseline"]["masked"] or doc["variant"]["masked"]


ROW = (r"(?:With|Without|At)[^,]*(?:, [^,']*)?, (?P<tok>'[^']*')(?: \(row (?P<row>\d+)\))?"
       r"(?: can no longer see (?P<lost>.+?) and)?(?: can now also see (?P<gained>.+?) and)? ")
COMPARE_KINDS = [
    (ROW + r"(?P<kind>puts) (?P<x>[\d.]+) on (?P<target>itself|'[^']*'(?: \(key \d+\))?) instead of (?P<y>[\d.]+)\.$",
     check_row),
    (ROW + r"(?P<kind>still) puts (?P<x>[\d.]+) on (?P<target>itself|'[^']*'(?: \(key \d+\))?); its other weights "
     r"change by up to (?P<d>\S+)\.$", check_row),
    (r"Unchanged to \d+ decimals?: (?P<which>.+)\.$", check_unchanged),
    (r"Of the (?P<n>\d+) rows, (?P<tok>'[^']*')(?: \(row (?P<row>\d+)\))? moves most: one of its weights changes by "
     r"(?P<d>[\d.]+)\.$", check_moves_most),
    (r"The largest change of any weight is (?P<d>[\d.]+)(?P<small>, a small change \(every weight moves by less "
     r"than 0\.05\))?\.$", check_largest),
    (r"On average the largest weight goes from (?P<a>[\d.]+) to (?P<b>[\d.]+), the entropy from (?P<c>[\d.]+) to "
     r"(?P<d>[\d.]+) nats and the perplexity e\^H, the effective number of keys, from (?P<e>[\d.]+) to "
     r"(?P<f>[\d.]+)(?:: (?P<sharp>.+)|(?P<mask>\. The mask changes which keys each query may see \(on average "
     r"(?P<g>[\d.]+) keys instead of (?P<h>[\d.]+)\): the weights are spread over a different set of keys, not "
     r"sharpened))\.$", check_average),
    (r"(?P<count>\d+) of (?P<n>\d+) rows (?:is|are|were) saturated (?:in the (?P<which>variant|baseline) )?"
     r"\(largest weight at least 0\.99\)(?:, (?P<other>\d+) in the (?:baseline|variant)(?:: softmax has saturated "
     r"there)?| in both)(?P<single> \(rows with a single visible key are not counted\))?(?:; a saturated row here has "
     r"‖J‖ of at most (?P<worst>\S+), so little gradient passes back through it)?\.$", check_saturation),
    (r"Per row, the softmax Jacobian ‖J‖ (?:(?P<same>is the same in both)|is (?P<kind>smaller|larger) in the variant in every row, by a factor of "
     r"(?P<m>\S+) \(median; from (?P<lo>\S+) to (?P<hi>\S+)\)|of the variant over that of the baseline has median "
     r"(?P<m2>\S+) and runs from (?P<lo2>\S+) to (?P<hi2>\S+)(?P<mixed>: smaller in some rows, larger in others)?)"
     r"(?: \((?P<left>\d+) rows? with one visible key, where ‖J‖ = 0, left out\))?\.$", check_ratio),
    (r"The gradient reaching the raw scores S is ‖J‖ times the factor S is multiplied by: (?P<b>\S+) in the "
     r"baseline, (?P<v>\S+) in the variant\.$", check_scale_factor),
    (r"Per row, the softmax Jacobian ‖J‖ changes by factors that round to (?P<one>\S+) at \d+ decimals?"
     r"(?: \((?P<left>\d+) rows? with one visible key, where ‖J‖ = 0, left out\))?\.$", check_ratio_near_one),
]
CROSS = re.compile(r"Warning: a causal mask on cross-attention is aligned to the upper left")


def check_compare_sentence(sentence, doc):
    if CROSS.match(sentence):
        check_cross(None, doc)
        return
    head = 0
    got = re.match(r"Head (\d+) \([^)]*\): (.*)$", sentence)
    if got:
        head, sentence = int(got[1]), got[2]
    h = Row(doc, head)
    for pattern, checker in COMPARE_KINDS:
        m = re.match(pattern, sentence)
        if m:
            groups = m.groupdict()
            if checker is check_ratio and groups.get("m") is None and not groups.get("same"):
                groups.update(kind="mixed", m=groups["m2"], lo=groups["lo2"], hi=groups["hi2"])
            checker(groups, h)
            return
    pytest.fail(f"a sentence of no known kind: {sentence!r}")


@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("precision", [1, 3, 6])
def test_every_compare_sentence_holds(name, precision, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "P", precision)  # the checks read numbers at this precision
    for flags in variants(name):
        result = runner.invoke(app, ["compare", name, *flags, "--format", "json", "--precision", str(precision)])
        if result.exit_code == 2 and "change nothing" in result.stderr:
            continue
        assert result.exit_code == 0, (flags, result.output)
        doc = json.loads(result.stdout)
        assert doc["verdict"], flags
        for sentence in doc["verdict"]:
            check_compare_sentence(sentence, doc)
        heads = len(doc["baseline"]["heads"])
        if heads > 1:  # every head told, labelled
            for i in range(heads):
                assert any(s.startswith(f"Head {i} (") for s in doc["verdict"])


def test_a_false_compare_sentence_is_caught():
    doc = run_json("compare", "--no-scale")
    with pytest.raises(AssertionError):
        check_compare_sentence("Without scaling, 'dog' puts 0.488 on itself instead of 0.488.", doc)
    with pytest.raises(AssertionError):
        check_compare_sentence(doc["verdict"][4].replace("every row is sharper", "every row is flatter"), doc)
    with pytest.raises(pytest.fail.Exception):
        check_compare_sentence("That is why attention divides by √d_k.", doc)


def test_mask_is_not_called_sharper():
    for name in BUILTINS:
        result = runner.invoke(app, ["compare", name, "--mask", "--format", "json"])
        if result.exit_code:
            continue
        assert not any("sharper" in s for s in json.loads(result.stdout)["verdict"]), name


# ---------------------------------------------------------------- the sweep


def check_sweep(doc):
    rows = doc["sweep"]
    raw = lambda key: [r["unscaled"][key] for r in rows]
    scl = lambda key: [r["scaled"][key] for r in rows]
    n = rows[0]["unscaled"]["rows"]
    words = doc["sentences"]
    for sentence in words:
        if sentence.startswith("Without scaling, the variance"):
            grows = "grows with d_k" in sentence
            assert grows == (len(rows) > 1 and all(b > a for a, b in zip(raw("score_var"), raw("score_var")[1:])))
            if len(rows) > 1 and not grows:
                assert "does not grow steadily" in sentence
            close = all(0.5 <= v / r["d_k"] <= 2 for v, r in zip(raw("score_var"), rows))
            assert ("close to d_k itself" in sentence) == close
            near = all(0.5 <= v <= 2 for v in scl("score_var"))
            assert (", within a factor of 2 of 1" in sentence) == near
            for v in (min(scl("score_var")), max(scl("score_var")), raw("score_var")[0], raw("score_var")[-1]):
                assert fixed(v, P) in sentence
        elif sentence.startswith("A row is saturated"):
            counts = raw("saturated_rows")
            if len(set(counts)) == 1:
                assert f"{counts[0]} of {n} rows are saturated at every d_k shown" in sentence
            elif all(b >= a for a, b in zip(counts, counts[1:])):
                assert "never fall" in sentence and f"{counts[-1]} of {n} at d_k = {rows[-1]['d_k']}" in sentence
            else:
                assert "go up and down" in sentence
            assert ("no row saturates at any d_k shown" in sentence) == (max(scl("saturated_rows")) == 0)
        elif sentence.startswith("With scaling, the median per-row ‖J‖"):
            last = rows[-1]
            lo, hi = last["unscaled"]["jacobian_p10"], last["unscaled"]["jacobian_p90"]
            s_lo, s_hi = last["scaled"]["jacobian_p10"], last["scaled"]["jacobian_p90"]
            assert f"runs from {fixed(lo, P)} to {fixed(hi, P)} without scaling" in sentence
            assert ("less than a tenth of the scaled one" in sentence) == (lo < s_lo / 10)
            assert ("at least as large" in sentence) == (lo < s_lo / 10 and hi >= s_hi)
        elif sentence.startswith("The gradient reaching the raw scores S"):
            raw_larger = [r["d_k"] for r in rows if r["unscaled"]["grad_scores_median"] > r["scaled"]["grad_scores_median"]]
            scaled_larger = [r["d_k"] for r in rows if r["scaled"]["grad_scores_median"] > r["unscaled"]["grad_scores_median"]]
            got_raw = re.search(r"larger without scaling at d_k = ([\d, ]+?)(?: and|\.)", sentence)
            got_scaled = re.search(r"larger with scaling at d_k = ([\d, ]+?)\.", sentence)
            assert [int(x) for x in got_raw[1].split(", ")] == raw_larger if raw_larger else got_raw is None
            assert [int(x) for x in got_scaled[1].split(", ")] == scaled_larger if scaled_larger else got_scaled is None
            assert ("does not simply make the typical gradient larger" in sentence) == bool(raw_larger)
            if "more than half of the unscaled rows have saturated" in sentence:
                assert all(2 * r["unscaled"]["saturated_rows"] > n for r in rows if r["d_k"] in scaled_larger)
        elif sentence.startswith("That is why attention divides by √d_k"):
            assert all(r["scaled"]["saturated_rows"] == 0 for r in rows)
            assert all(0.5 <= v <= 2 for v in scl("score_var"))
            assert 4 * raw("saturated_rows")[-1] >= n
            if "the more rows saturate" in sentence:
                counts = raw("saturated_rows")
                assert all(b >= a for a, b in zip(counts, counts[1:])) and counts[-1] > counts[0]
        elif sentence.startswith("At d_k = ") and "fewer than a quarter" in sentence:
            assert 4 * raw("saturated_rows")[-1] < n
        elif sentence.startswith("With scaling, some rows still saturate"):
            assert not (all(r["scaled"]["saturated_rows"] == 0 for r in rows)
                        and all(0.5 <= v <= 2 for v in scl("score_var")))
        elif sentence.startswith("Why ‖J‖ is not monotonic"):
            medians = raw("jacobian_median")
            peak = int(np.argmax(medians))
            rises = re.search(r"rises up to d_k = (\d+), then falls", sentence)
            if rises:
                assert int(rises[1]) == rows[peak]["d_k"] and 0 < peak < len(rows) - 1
                assert all(b > a for a, b in zip(medians[:peak], medians[1:peak + 1]))
                assert all(b < a for a, b in zip(medians[peak:], medians[peak + 1:]))
        else:
            pytest.fail(f"a sweep sentence of no known kind: {sentence!r}")
    assert any(s.startswith(("That is why", "At d_k = ", "With scaling, some")) for s in words)


@pytest.mark.parametrize("dks", ["2,8,32,128,512", "2,8", "1", "512,2", "8,32", "4096", "1,2,3,4,5,6,7,8"])
def test_every_sweep_sentence_holds(dks):
    check_sweep(run_json("compare", "--sweep-dk", dks))


def test_the_readme_sweep_claims():
    """The README's √d_k paragraph quotes this table: 40 of 64 rows at d_k = 512, raw median larger up to 128."""
    rows = run_json("compare", "--sweep-dk", "2,8,32,128,512")["sweep"]
    assert rows[-1]["unscaled"]["saturated_rows"] == 40 and rows[-1]["unscaled"]["rows"] == 64
    assert all(r["scaled"]["saturated_rows"] == 0 for r in rows)
    raw_larger = [r["d_k"] for r in rows if r["unscaled"]["grad_scores_median"] > r["scaled"]["grad_scores_median"]]
    assert raw_larger == [2, 8, 32, 128]
    readme = (__import__("pathlib").Path(__file__).parents[1] / "README.md").read_text()
    assert "40 of 64 at d_k = 512" in readme and "larger up to d_k = 128" in readme


def test_a_false_sweep_conclusion_is_caught():
    doc = run_json("compare", "--sweep-dk", "2,8")
    doc["sentences"].append("That is why attention divides by √d_k: without it, the larger d_k, the more rows saturate.")
    with pytest.raises(AssertionError):
        check_sweep(doc)


# ---------------------------------------------------------------- explain


@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("flags", [[], ["--no-scale"], ["--temperature", "2"]])
def test_the_scale_lesson_states_this_scenarios_variance(name, flags):
    from attncli import commands
    from attncli.views import Paragraph

    view = commands.explain(name, **{"scale": False} if flags == ["--no-scale"] else {},
                            **({"temperature": 2.0} if flags[:1] == ["--temperature"] else {}))
    doc = view.document()
    for index, head in enumerate(doc["heads"]):
        step = f"Step {index}." if len(doc["heads"]) > 1 else "Step "
        page = next(p for p in view.pages if p.heading.startswith(step) and "Scale" in p.heading)
        lesson = next(b.text for b in page.blocks if isinstance(b, Paragraph) and b.role == "lesson")
        scores = np.array(head["scores"])  # (n_q, n_k)
        if "masked_scores" in head:  # a hidden score never reaches softmax: no statistic counts it
            scores = scores[np.array([[v is not None for v in row] for row in head["masked_scores"]])]
        raw = float(np.var(scores))
        assert f"variance {fixed(raw, P)}" in lesson
        if doc["scaled"]:
            assert "for random q and k whose entries have variance 1" in lesson  # the assumption, named
            # after √d_k alone: a temperature divides the scores once more, in a sentence of its own
            after = float(np.var(scores / np.sqrt(head["d_k"])))
            assert f"{fixed(after, P)} after dividing by √{head['d_k']}" in lesson
        else:
            assert "brings the variance back" not in lesson


# ---------------------------------------------------------------- hints


HINT = re.compile(r"`(attncli [^`]+)`")


def hints_in(text):
    return set(HINT.findall(text))


def test_every_hint_runs():
    outputs = []
    for name in BUILTINS:
        for flags in [[], ["--no-scale"], ["--focus", "0", "--tiled"]]:
            outputs.append(runner.invoke(app, ["explain", name, *flags, "--no-color", "--width", "300"]).output)
        for flags in variants(name):
            outputs.append(runner.invoke(app, ["compare", name, *flags, "--no-color", "--width", "300"]).output)
    for dks in ("1", "8,32", "2,8,32,128,512"):
        outputs.append(runner.invoke(app, ["compare", "--sweep-dk", dks, "--no-color", "--width", "300"]).output)
    outputs.append(runner.invoke(app, ["complexity", "--max-n", "256", "--d", "8", "--no-color", "--width", "300"]).output)
    from attncli.complexity import Growth
    from attncli.views import complexity as costs

    outputs += costs.verdict(Growth(2.0, (128, 256, 512), 1.0), Growth(2.0, (128, 256, 512), 1.0), False, max_n=256, d=8)
    hints = set().union(*(hints_in(o) for o in outputs))
    assert any("compare" in h and "--no-scale" in h for h in hints)
    assert any("--sweep-dk" in h for h in hints) and any("complexity --tiled" in h for h in hints)
    for hint in sorted(hints):
        args = shlex.split(hint)[1:]
        if args and args[0] in ("explain", "compare") and "FILE" in args:
            continue
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"the hint `{hint}` fails: {result.output}"


def test_the_saturation_hint_names_the_scenario():
    out = runner.invoke(app, ["explain", "saturation", "--no-color", "--width", "300"]).output
    assert "`attncli compare saturation --no-scale`" in out


@pytest.mark.parametrize("seed", range(10))
def test_every_compare_sentence_holds_on_random_scenarios(seed, write):
    rng = np.random.default_rng(seed)
    n, d_k = int(rng.integers(2, 9)), int(rng.choice([1, 2, 4, 16, 64, 256]))
    words = ["the", "cat", "sat", "on", "a", "mat", "and", "slept"]
    tokens = [words[i] for i in rng.integers(0, len(words), n)]  # repeats on purpose
    causal = "mask: causal\n" if seed % 3 == 0 else ""
    path = write(f"random: {{seed: {seed}, tokens: [{', '.join(tokens)}], d_model: 8, d_k: {d_k}, d_v: 2}}\n{causal}")
    flags_list = [["--no-scale"], ["--temperature", "0.25"], ["--temperature", "3"],
                  ["--no-mask"] if causal else ["--mask"], ["--no-scale", "--temperature", "0.5"]]
    for flags in flags_list:
        result = runner.invoke(app, ["compare", path, *flags, "--format", "json"])
        assert result.exit_code == 0, (flags, result.output)
        doc = json.loads(result.stdout)
        for sentence in doc["verdict"]:
            check_compare_sentence(sentence, doc)


@pytest.mark.parametrize("temperature", ["1", "5", "50"])
def test_paint_notes_hold(temperature):
    from attncli import commands
    from attncli.views import Paragraph

    view = commands.explain("paint_mixing", temperature=float(temperature))
    doc = view.document()
    weights = np.array(doc["heads"][0]["weights"])
    notes = [b.text for page in view.pages for b in page.blocks
             if isinstance(b, Paragraph) and " is mixed " in b.text]
    assert len(notes) == len(doc["query_tokens"])
    for i, note in enumerate(notes):
        m = re.match(r"'(.+?)' is mixed (mostly|in the largest shares) from '(.+?)' \(([\d.]+)\) and '(.+?)' "
                     r"\(([\d.]+)\)", note)
        assert m and m[1] == doc["query_tokens"][i]
        top = np.argsort(-weights[i], kind="stable")[:2]
        assert [m[3], m[5]] == [doc["key_tokens"][j] for j in top]
        assert [m[4], m[6]] == [fixed(weights[i, j], P) for j in top]
        assert (m[2] == "mostly") == (weights[i, top].sum() > 0.5)
