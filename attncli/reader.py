"""YAML nodes to validated values: the scenario format's rules, each problem named by file and line.

The YAML is composed into nodes with PyYAML's safe loader (see loader.py) and never constructed into
Python objects: every value is read from its node, so each message can name the line it came from, no
tag can run code, and YAML 1.1 surprises (`on` as a boolean, `1e-3` as a string) are handled here.
"""

from __future__ import annotations

import difflib
import re
from typing import Callable, NoReturn

import numpy as np
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from attncli import checks, core, limits, scenario_keys
from attncli.errors import AttncliError
from attncli.safe_text import clipped, visible
from attncli.scenario import Scenario, random_scenario
from attncli.scenario_keys import Key

_TAG = "tag:yaml.org,2002:"
# What PyYAML's resolver may give a plain scalar; `2001-12-14` resolves to a timestamp, but is just text here.
_PLAIN_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")}
NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_TRUE = {"true", "yes", "on", "y"}
_FALSE = {"false", "no", "off", "n"}

def is_empty(root) -> bool:
    """A document with nothing in it: no node, or a lone null (`---` alone, only comments)."""
    return root is None or (isinstance(root, ScalarNode) and root.tag == _TAG + "null")


def _kind(node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    return f"{clipped(node.value)!r}"  # a megabyte of digits is named by its length, not repeated


class _Reported(Exception):
    """A branch of the file was abandoned after its problems were recorded (validate only)."""


MAX_PROBLEMS_PER_MATRIX = 10
MAX_PROBLEMS = 100  # per file, in validate's report


class TooManyProblems(Exception):
    """validate found MAX_PROBLEMS problems in one file and stopped reading it."""


class Reader:
    """Reads composed YAML nodes into arrays, naming the file and line of every problem.

    By default the first problem raises. With collect=True (`attncli validate`), problems that
    need not stop the reading are recorded in self.problems and reading goes on.
    """

    def __init__(self, origin: str, text_length: int, collect: bool = False):
        self.origin = origin
        self.text_length = text_length
        self.cells = 0  # numbers read so far, bounded by limits.max_cells() and by the text's length
        self.chars = 0  # characters of text read so far, bounded by the text's length (aliases repeat them)
        self.expanded = False  # an alias expansion was reported: validate says so once, not per alias
        self.problems: list[AttncliError] | None = [] if collect else None

    def _error(self, node, message: str) -> AttncliError:
        line = node.start_mark.line + 1 if node is not None else None
        return AttncliError(message, origin=self.origin, line=line)

    def fail(self, node, message: str) -> NoReturn:
        raise self._error(node, message)

    def report(self, node, message: str) -> None:
        """A problem after which reading can go on: raised at once, or recorded when collecting."""
        if self.problems is None:
            self.fail(node, message)
        self._record(self._error(node, message))

    def _record(self, error: AttncliError) -> None:
        """Keep a problem for validate; past MAX_PROBLEMS, stop reading: the report stays readable and
        its cost bounded (a file of 100,000 unknown keys would otherwise take a line and a search each)."""
        self.problems.append(error)
        if len(self.problems) >= MAX_PROBLEMS:
            raise TooManyProblems()

    def attempt(self, read: Callable, *args):
        """read(*args), or None with its problem recorded when collecting."""
        try:
            return read(*args)
        except _Reported:
            return None
        except AttncliError as error:
            if self.problems is None:
                raise
            self._record(error)
            return None

    def _check_tag(self, node, where: str) -> None:
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace(_TAG, "!!")
            self.fail(node, f"{where}: the YAML tag {tag} is not allowed (attncli reads plain YAML only)")

    # ---- scalars -------------------------------------------------------------------------

    def number(self, node, where: str) -> float:
        self._check_tag(node, where)
        if not isinstance(node, ScalarNode):
            self.fail(node, f"{where} should be a number, not {_kind(node)}")
        text = node.value.strip()
        if node.tag == _TAG + "bool":
            self.fail(node, f"{where} is {clipped(text)!r}, a boolean, not a number")
        if node.tag == _TAG + "null" or text == "":
            self.fail(node, f"{where} is empty; it should be a number")
        if not NUMBER.fullmatch(text):
            if text.lower().lstrip("+-.") in ("nan", "inf", "infinity"):
                self.fail(node, f"{where} is {clipped(text)}: NaN and infinity are not allowed")
            self.fail(node, f"{where} is {clipped(text)!r}, not a number")
        value = float(text)
        if not np.isfinite(value):
            self.fail(node, f"{where} is {clipped(text)}, too large for float64 (the largest is about 1.8e308)")
        return value

    def integer(self, node, where: str, *, minimum: int = 0) -> int:
        self.number(node, where)  # the same refusals as for any number (tags, booleans, empty, too large)
        text = node.value.strip()
        if not re.fullmatch(r"[-+]?[0-9]+", text):
            self.fail(node, f"{where} should be a whole number, not {clipped(text)!r}")
        value = int(text)  # exactly as written: a seed of 99999999999999999999 is not 10^20
        if value < minimum:
            self.fail(node, f"{where} should be at least {minimum}, not {value}")
        return value

    def boolean(self, node, where: str) -> bool:
        self._check_tag(node, where)
        if isinstance(node, ScalarNode):
            text = node.value.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        self.fail(node, f"{where} should be true or false, not {_kind(node)}")

    def string(self, node, where: str, *, multiline: bool = False) -> str:
        self._check_tag(node, where)
        if not isinstance(node, ScalarNode):
            self.fail(node, f"{where} should be text, not {_kind(node)}")
        if node.tag == _TAG + "null":
            self.fail(node, f"{where} is empty")
        text = node.value
        if len(text) > limits.max_text(multiline):
            self.fail(node, f"{where} is {len(text):,} characters long; attncli reads at most {limits.max_text(multiline):,} "
                      f"characters in {'a description' if multiline else 'a token, name or key'}")
        self.chars += len(text)
        if self.chars > self.text_length:
            # Written out, text takes at least as many characters in the file: only aliases can get here.
            self._expansion(node, f"{where}: YAML aliases (*name) expand this {self.text_length:,}-character file into "
                      f"{self.chars:,} characters of text; write the text out instead of repeating it with aliases")
        # The node's text as written (a token `on` stays "on", never becomes True), with escape
        # sequences and bidi overrides made visible here, once, so no output path can obey them.
        return visible(text, multiline=multiline)

    # ---- containers ----------------------------------------------------------------------

    def mapping(self, node, where: str, known: tuple[str, ...]) -> dict:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{where} should be a mapping of keys ({', '.join(known[:4])}, ...), not {_kind(node)}")
        at = f"{where}: " if where != "the scenario" else ""
        self._check_tag(node, where)
        found: dict = {}
        for key_node, value_node in node.value:
            key = self.string(key_node, f"{at}a key")
            if key in found:
                first = found[key][0].start_mark.line + 1
                self.report(key_node, f"{at}key {key} appears twice (first on line {first})")
            elif key not in known:
                self.report(key_node, f"{at}unknown key {key!r}{_suggest(key, known)}")
            else:
                found[key] = (key_node, value_node)
        return {key: value for key, (_, value) in found.items()}

    def sequence(self, node, where: str) -> list:
        self._check_tag(node, where)
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{where} should be a list, not {_kind(node)}")
        if len(node.value) > limits.max_tokens():
            self.fail(node, f"{where} has {len(node.value)} entries; {limits.describe_size_limits()}")
        return node.value

    def matrix(self, node, where: str, cell: Callable | None = None) -> np.ndarray:
        """A non-empty list of equally long rows of numbers (or of what `cell` reads)."""
        cell = cell or self.number
        rows = self.sequence(node, where)
        if not rows:
            self.fail(node, f"{where} is empty; it should be a list of rows, like [[1, 2], [3, 4]]")
        if isinstance(rows[0], ScalarNode):
            self.fail(node, f"{where} should be a list of rows, like [[1, 2, 3]], not a flat list of numbers")
        width = None
        for i, row in enumerate(rows):
            line = row.start_mark.line + 1
            if not isinstance(row, SequenceNode):
                self.fail(row, checks.not_a_row(where, i, _kind(row), line))
            label = f"{where} row {i}{checks.at_line(line)}"
            self._check_tag(row, label)
            if width is None:
                width = len(row.value)
                if width == 0:
                    self.fail(row, f"{label} is empty")
                if width > limits.max_dim():
                    self.fail(row, f"{label} has {width} numbers; {limits.describe_size_limits()}")
            elif len(row.value) != width:
                self.fail(row, checks.ragged_row(where, i, len(row.value), width, line))
        self._count_cells(node, where, len(rows) * width)
        out = np.empty((len(rows), width), dtype=np.float64 if cell == self.number else object)
        bad = 0
        for i, row in enumerate(rows):
            label = f"{where} row {i}{checks.at_line(row.start_mark.line + 1)}"
            for j, value in enumerate(row.value):
                try:
                    out[i, j] = cell(value, f"{label}, column {j}")
                except AttncliError as error:
                    if self.problems is None:
                        raise
                    self._record(error)
                    bad += 1
                    if bad == MAX_PROBLEMS_PER_MATRIX:
                        raise _Reported() from None
        if bad:
            raise _Reported()
        return out

    def _count_cells(self, node, where: str, count: int) -> None:
        """Bound the numbers read so far by the limit and by the file's length (aliases multiply them)."""
        self.cells += count
        if self.cells > self.text_length:
            # Written out, every number takes at least two characters: only aliases can get here.
            self._expansion(node, f"{where}: YAML aliases (*name) expand this {self.text_length:,}-character file into "
                      f"{self.cells:,} numbers; write the numbers out instead of multiplying them with aliases")
        if self.cells > limits.max_cells():
            self.fail(node, f"{where} brings the scenario to {self.cells} numbers; {limits.describe_size_limits()}")

    def _expansion(self, node, message: str) -> NoReturn:
        """An alias bomb: reported once; every later branch that hits it is abandoned in silence."""
        if self.expanded and self.problems is not None:
            raise _Reported()
        self.expanded = True
        self.fail(node, message)

    def flag(self, node, where: str) -> bool:
        """A mask cell: 1/0 or true/false."""
        self._check_tag(node, where)
        if isinstance(node, ScalarNode):
            text = node.value.strip().lower()
            if text in ("1", "1.0") or text in _TRUE:
                return True
            if text in ("0", "0.0") or text in _FALSE:
                return False
        self.fail(node, f"{where} should be 1 (may attend) or 0 (hidden), not {_kind(node)}")

    def tokens(self, node, where: str) -> tuple[str, ...]:
        items = self.sequence(node, where)
        if not items:
            self.fail(node, f"{where} is empty")
        names = []
        for i, item in enumerate(items):
            name = self.string(item, f"{where} entry {i}")
            if not name.strip():
                self.fail(item, f"{where} entry {i} is empty")
            names.append(name)
        return tuple(names)

    # ---- one value of any kind in the key table ---------------------------------------------

    def vector(self, node, where: str) -> np.ndarray:
        """A non-empty flat list of numbers, such as a bias."""
        items = self.sequence(node, where)
        if not items:
            self.fail(node, f"{where} is empty; it should be a list of numbers, like [0.1, -0.2]")
        self._count_cells(node, where, len(items))
        return np.array([self.number(item, f"{where} entry {i}") for i, item in enumerate(items)])

    def flags(self, node, where: str) -> np.ndarray:
        items = self.sequence(node, where)
        return np.array([self.flag(item, f"{where} entry {i}") for i, item in enumerate(items)], dtype=bool)

    def mask_value(self, node, where: str):
        """True for causal, False for none, or a 0/1 matrix (its shape is checked against the tokens later)."""
        self._check_tag(node, where)
        if isinstance(node, ScalarNode):
            text = node.value.strip().lower()
            if text in _TRUE or text == "causal":
                return True
            if text in _FALSE or text == "none":
                return False
            self.fail(node, f"{where} should be false, true, causal or a 0/1 matrix, not {clipped(node.value)!r}")
        return self.matrix(node, where, cell=self.flag).astype(bool)

    def count_or_tokens(self, node, where: str, minimum: int = 1) -> tuple[str, ...]:
        if not isinstance(node, ScalarNode):
            return self.tokens(node, where)
        count = self.integer(node, where, minimum=minimum)
        if count > limits.max_tokens():
            self.fail(node, f"{where} is {count}; {limits.describe_size_limits()}")
        return tuple(f"t{i}" for i in range(count))

    def value(self, key: Key, node, where: str):
        """Read one value the way the key table says; mappings are read with `keys`."""
        if key.kind == "integer":
            return self.integer(node, where, minimum=key.minimum or 0)
        if key.kind == "count_or_tokens":
            return self.count_or_tokens(node, where, key.minimum or 1)
        if key.kind == "text" and key.name == "description":
            return self.string(node, where, multiline=True)
        readers = {"text": self.string, "bool": self.boolean, "number": self.number, "matrix": self.matrix, "vector": self.vector,
                   "tokens": self.tokens, "mask": self.mask_value, "flags": self.flags}
        return readers[key.kind](node, where)

    def keys(self, node, where: str, table: tuple[Key, ...]) -> dict:
        """A mapping's nodes by key, with missing required keys and excluded pairs reported."""
        found = self.mapping(node, where, scenario_keys.names(table))
        at = "" if where == "the scenario" else f"{where}: "
        for key in table:
            if key.name in found:
                clash = [other for other in key.excludes if other in found]
                if clash:
                    self.fail(found[clash[0]], f"{at}{clash[0]} cannot be combined with {key.name}: "
                              f"{_EXCLUDES_WHY.get(key.name, '')}")
            elif key.required_unless is not None and not any(k in found for k in key.required_unless):
                self.report(node, f"{at}missing key {key.name!r} ({key.described})")
        return found

    # ---- the scenario ----------------------------------------------------------------------

    def survey(self, root) -> None:
        """Read every value on its own, recording each problem: validate's first pass."""
        self._survey(root, "the scenario", scenario_keys.KEYS, "")
        self.cells = self.chars = 0  # the second pass counts again
        self.expanded = False

    def _survey(self, node, where: str, table: tuple[Key, ...], prefix: str) -> None:
        found = self.attempt(self.keys, node, where, table) or {}
        for key in table:
            if key.name not in found:
                continue
            value, label = found[key.name], f"{prefix}{key.name}"
            if key.kind == "mapping":
                self._survey(value, label, key.children, f"{label} ")
            elif key.kind == "mappings":
                for i, item in enumerate(self.attempt(self.sequence, value, label) or []):
                    self._survey(item, f"{label} entry {i}", key.children, f"{label} entry {i} ")
            else:
                self.attempt(self.value, key, value, label)

    def optional(self, found: dict, name: str, where: str, table: tuple[Key, ...] = scenario_keys.KEYS, default=None):
        """The value of an optional key, read as the table says, or the default."""
        if name not in found:
            return default
        return self.value(scenario_keys.find(name, table), found[name], where)

    def scenario(self, root, default_name: str) -> Scenario:
        if is_empty(root):
            raise AttncliError(
                "the file is empty; a scenario needs at least embeddings, W_Q, W_K and W_V "
                "(see `attncli show dog_ate_dinner`)",
                origin=self.origin,
            )
        found = self.keys(root, "the scenario", scenario_keys.KEYS)
        common = {
            "name": self.optional(found, "name", "name", default=visible(default_name)),
            "description": self.optional(found, "description", "description", default=""),
            "scale": self.optional(found, "scale", "scale", default=True),
        }
        if "random" in found:
            return self._random(found, common)
        x = self.matrix(found["embeddings"], "embeddings")  # (n_q, d_model)
        tokens = self._tokens_for(found.get("tokens"), x, "tokens", "embeddings", "t")
        source_tokens = source_x = None
        if "source" in found:
            src = self.keys(found["source"], "source", scenario_keys.SOURCE_KEYS)
            source_x = self.matrix(src["embeddings"], "source embeddings")  # (n_k, d_source)
            source_tokens = self._tokens_for(src.get("tokens"), source_x, "source tokens", "source embeddings", "s")
        heads = self._heads(found, root, x.shape[1], None if source_x is None else source_x.shape[1])
        w_o, b_o = self._output_projection(found, heads)
        n_q, n_k = len(tokens), len(source_tokens or tokens)
        self._check_weights_size(root, n_q, n_k, len(heads))
        color_values = self._color_values(found, heads, w_o)
        causal, mask_matrix = self._mask(found.get("mask"), n_q, n_k)
        return Scenario(
            **common, origin=self.origin, tokens=tokens, x=x, heads=heads,
            source_tokens=source_tokens, source_x=source_x, w_o=w_o, b_o=b_o,
            causal=causal, mask_matrix=mask_matrix, key_padding=self._key_padding(found.get("key_padding"), n_k),
            color_values=color_values, rope=self._rope(found, heads),
        )

    def _rope(self, found: dict, heads) -> float | None:
        """RoPE's base, checked by the shared rules (checks.rope)."""
        if "rope" not in found:
            return None
        spec = self.keys(found["rope"], "rope", scenario_keys.ROPE_KEYS)
        if "base" not in spec:
            return None  # reported by keys() as missing
        base = self.number(spec["base"], "rope base")
        for key, problem in checks.rope(base, {h.name: h.w_q.shape[1] for h in heads}):
            self.fail(spec["base"] if key == "base" else found["rope"], problem)
        return base

    def _output_projection(self, found: dict, heads) -> tuple[np.ndarray | None, np.ndarray | None]:
        if "W_O" not in found:
            if "b_O" in found:
                self.report(found["b_O"], "b_O is added after W_O; give W_O too, or leave b_O out")
            return None, None
        w_o = self.matrix(found["W_O"], "W_O")  # (Σ d_v, d_out)
        b_o = self.optional(found, "b_O", "b_O")
        for key, problem in checks.output_projection(w_o, b_o, [h.w_v.shape[1] for h in heads]):
            self.report(found[key], problem)
        return w_o, b_o

    def _color_values(self, found: dict, heads, w_o) -> bool:
        color_values = self.optional(found, "color_values", "color_values", default=False)
        if color_values:
            for h in heads:
                if h.w_v.shape[1] != 3:
                    self.report(found["color_values"], f"color_values needs d_v = 3 (red, green, blue), but "
                                f"{h.name}'s W_V has {checks.count(h.w_v.shape[1], 'column')}")
            if w_o is not None:
                self.report(found["color_values"], "color_values shows each head's values as paint; it cannot be "
                            "combined with W_O, whose output is no longer a colour")
        return color_values

    def _check_weights_size(self, node, n_q: int, n_k: int, n_heads: int) -> None:
        """Every head holds n_q × n_k scores, scaled scores and weights: bound them before computing."""
        problem = checks.steps_size(n_q, n_k, n_heads)
        if problem:
            self.report(node, problem)

    def _tokens_for(self, node, x, where: str, rows_key: str, prefix: str) -> tuple[str, ...]:
        if node is None:
            return tuple(f"{prefix}{i}" for i in range(x.shape[0]))
        tokens = self.tokens(node, where)
        problem = checks.tokens(len(tokens), where, rows_key, x.shape[0])
        if problem:
            self.report(node, problem)
        return tokens

    def _heads(self, found: dict, root, d_model: int, d_source: int | None) -> tuple[core.HeadWeights, ...]:
        if "heads" not in found:
            return (self._head(found, "", "head 0", d_model, d_source),)
        items = self.sequence(found["heads"], "heads")
        if not items:
            self.fail(found["heads"], "heads is empty; give at least one head")
        if len(items) > limits.max_heads():
            self.fail(found["heads"], f"heads has {len(items):,} entries; attncli shows at most {limits.max_heads()} "
                      "heads (a real model's layer has at most about 128)")
        heads, seen = [], set()
        for i, item in enumerate(items):
            spec = self.keys(item, f"heads entry {i}", scenario_keys.HEAD_KEYS)
            name = self.optional(spec, "name", f"heads entry {i} name", scenario_keys.HEAD_KEYS, f"head {i}")
            if name in seen:  # a set: 100,000 heads must not cost 100,000² comparisons
                self.fail(spec.get("name", item), f"two heads are named {name!r}; head names must differ")
            seen.add(name)
            heads.append(self._head(spec, f"head {name!r}: ", name, d_model, d_source))
        return tuple(heads)

    def _head(self, spec: dict, prefix: str, name: str, d_model: int, d_source: int | None) -> core.HeadWeights:
        w = {key: self.matrix(spec[key], f"{prefix}{key}") for key in ("W_Q", "W_K", "W_V")}
        b = {key: self.optional(spec, key, f"{prefix}{key}", scenario_keys.HEAD_KEYS) for key in ("b_Q", "b_K", "b_V")}
        kv_from = "the source embeddings have" if d_source is not None else "the embeddings have"
        for key, problem in checks.head(w, b, prefix, d_model, d_source, "the embeddings have", kv_from):
            self.report(spec[key], problem)
        return core.HeadWeights(name, w["W_Q"], w["W_K"], w["W_V"], b["b_Q"], b["b_K"], b["b_V"])

    def _mask(self, node, n_q: int, n_k: int) -> tuple[bool, np.ndarray | None]:
        if node is None:
            return False, None
        value = self.mask_value(node, "mask")
        if isinstance(value, bool):
            return value, None
        if value.shape != (n_q, n_k):
            self.report(node, f"mask is {value.shape[0]}×{value.shape[1]}, but it needs one row per query "
                        f"and one column per key: {n_q}×{n_k}")
        return False, value

    def _key_padding(self, node, n_k: int) -> np.ndarray | None:
        if node is None:
            return None
        flags = self.flags(node, "key_padding")
        if flags.shape != (n_k,):
            self.report(node, f"key_padding has {checks.count(len(flags), 'entry')}, but there are {checks.count(n_k, 'key')} (one 0/1 per key)")
        return flags

    def _random(self, found: dict, common: dict) -> Scenario:
        table = scenario_keys.RANDOM_KEYS
        spec = self.keys(found["random"], "random", table)
        seed = self.optional(spec, "seed", "random seed", table, 0)
        d_model = self.optional(spec, "d_model", "random d_model", table)
        d_k = self.optional(spec, "d_k", "random d_k", table, d_model)
        d_v = self.optional(spec, "d_v", "random d_v", table, d_k)
        tokens = self.optional(spec, "tokens", "random tokens", table, tuple(f"t{i}" for i in range(8)))
        n = len(tokens)
        for what, size in (("d_model", d_model), ("d_k", d_k), ("d_v", d_v)):
            if size > limits.max_dim():
                self.fail(spec[what], f"random {what} is {size}; {limits.describe_size_limits()}")
        total = n * d_model + d_model * (2 * d_k + d_v)
        if total > limits.max_cells():
            self.fail(found["random"], f"random would draw {total:,} numbers; {limits.describe_size_limits()}")
        self._check_weights_size(found["random"], n, n, 1)
        causal, mask_matrix = self._mask(found.get("mask"), n, n)
        drawn = random_scenario(origin=self.origin, seed=seed, tokens=tokens, d_model=d_model, d_k=d_k, d_v=d_v,
                                causal=causal, **common)
        color_values = self._color_values(found, drawn.heads, None)
        return drawn._replace(mask_matrix=mask_matrix, key_padding=self._key_padding(found.get("key_padding"), n),
                              color_values=color_values, rope=self._rope(found, drawn.heads))


_EXCLUDES_WHY = {
    "rope": "RoPE rotates queries and keys by their positions in one sequence; cross-attention has two",
    "heads": "give every head its own W_Q, W_K and W_V",
    "random": "random draws its own tokens, embeddings and weights",
}


def _suggest(key: str, known: tuple[str, ...]) -> str:
    """', did you mean W_V?' for W_v, or the list of known keys when nothing is close."""
    for candidate in known:
        if candidate.lower() == key.lower():
            return f"; did you mean {candidate}?"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]}?"
    return f" (known keys: {', '.join(known)})"

