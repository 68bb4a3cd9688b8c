"""YAML nodes to validated values: the scenario format's rules, each problem named by file and line.

The YAML is composed into nodes with PyYAML's safe loader (see loader.py) and never constructed into
Python objects: every value is read from its node, so each message can name the line it came from, no
tag can run code, and YAML 1.1 surprises (`on` as a boolean, `1e-3` as a string) are handled here.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import Callable, NoReturn

import numpy as np
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from attncli import core, limits
from attncli.errors import AttncliError
from attncli.scenario import Scenario, random_scenario

_TAG = "tag:yaml.org,2002:"
# What PyYAML's resolver may give a plain scalar; `2001-12-14` resolves to a timestamp, but is just text here.
_PLAIN_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")}
NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_TRUE = {"true", "yes", "on", "y"}
_FALSE = {"false", "no", "off", "n"}

TOP_KEYS = (
    "name", "description", "tokens", "embeddings", "W_Q", "W_K", "W_V", "W_O",
    "heads", "source", "mask", "key_padding", "scale", "random", "color_values",
)
HEAD_KEYS = ("name", "W_Q", "W_K", "W_V")
SOURCE_KEYS = ("tokens", "embeddings")
RANDOM_KEYS = ("seed", "tokens", "d_model", "d_k", "d_v")
_KEY_HELP = {
    "embeddings": "n × d_model: one row of numbers per token",
    "W_Q": "d_model × d_k: turns each embedding into a query",
    "W_K": "d_model × d_k: turns each embedding into a key",
    "W_V": "d_model × d_v: turns each embedding into a value",
}


def is_empty(root) -> bool:
    """A document with nothing in it: no node, or a lone null (`---` alone, only comments)."""
    return root is None or (isinstance(root, ScalarNode) and root.tag == _TAG + "null")


def _kind(node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    return f"{node.value!r}"


class _Reported(Exception):
    """A branch of the file was abandoned after its problems were recorded (validate only)."""


MAX_PROBLEMS_PER_MATRIX = 10


class Reader:
    """Reads composed YAML nodes into arrays, naming the file and line of every problem.

    By default the first problem raises. With collect=True (`attncli validate`), problems that
    need not stop the reading are recorded in self.problems and reading goes on.
    """

    def __init__(self, origin: str, text_length: int, collect: bool = False):
        self.origin = origin
        self.text_length = text_length
        self.cells = 0  # numbers read so far, bounded by limits.max_cells() and by the text's length
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
        self.problems.append(self._error(node, message))

    def attempt(self, read: Callable, *args):
        """read(*args), or None with its problem recorded when collecting."""
        try:
            return read(*args)
        except _Reported:
            return None
        except AttncliError as error:
            if self.problems is None:
                raise
            self.problems.append(error)
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
            self.fail(node, f"{where} is {text!r}, a boolean, not a number")
        if node.tag == _TAG + "null" or text == "":
            self.fail(node, f"{where} is empty; it should be a number")
        if not NUMBER.fullmatch(text):
            if text.lower().lstrip("+-.") in ("nan", "inf", "infinity"):
                self.fail(node, f"{where} is {text}: NaN and infinity are not allowed")
            self.fail(node, f"{where} is {text!r}, not a number")
        value = float(text)
        if not np.isfinite(value):
            self.fail(node, f"{where} is {text}, too large for float64 (the largest is about 1.8e308)")
        return value

    def integer(self, node, where: str, *, minimum: int = 0) -> int:
        value = self.number(node, where)
        if value != int(value) or not re.fullmatch(r"[-+]?\d+", node.value.strip()):
            self.fail(node, f"{where} should be a whole number, not {node.value.strip()!r}")
        if value < minimum:
            self.fail(node, f"{where} should be at least {minimum}, not {int(value)}")
        return int(value)

    def boolean(self, node, where: str) -> bool:
        self._check_tag(node, where)
        if isinstance(node, ScalarNode):
            text = node.value.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        self.fail(node, f"{where} should be true or false, not {_kind(node)}")

    def string(self, node, where: str) -> str:
        self._check_tag(node, where)
        if not isinstance(node, ScalarNode):
            self.fail(node, f"{where} should be text, not {_kind(node)}")
        if node.tag == _TAG + "null":
            self.fail(node, f"{where} is empty")
        # The node's text as written: a token `on` stays "on", never becomes True.
        return node.value

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
            if not isinstance(row, SequenceNode):
                self.fail(row, f"{where} row {i + 1} should be a list of numbers, not {_kind(row)}")
            self._check_tag(row, f"{where} row {i + 1}")
            if width is None:
                width = len(row.value)
                if width == 0:
                    self.fail(row, f"{where} row 1 is empty")
                if width > limits.max_dim():
                    self.fail(row, f"{where} row 1 has {width} numbers; {limits.describe_size_limits()}")
            elif len(row.value) != width:
                self.fail(row, f"{where} row {i + 1} has {_count(len(row.value), 'number')}, but row 1 has {width}")
        self.cells += len(rows) * width
        if self.cells > self.text_length:
            # Written out, every number takes at least two characters: only aliases can get here.
            self.fail(node, f"{where}: YAML aliases (*name) expand this {self.text_length:,}-character file into "
                      f"{self.cells:,} numbers; write the numbers out instead of multiplying them with aliases")
        if self.cells > limits.max_cells():
            self.fail(node, f"{where} brings the scenario to {self.cells} numbers; {limits.describe_size_limits()}")
        out = np.empty((len(rows), width), dtype=np.float64 if cell == self.number else object)
        bad = 0
        for i, row in enumerate(rows):
            for j, value in enumerate(row.value):
                try:
                    out[i, j] = cell(value, f"{where} row {i + 1}, column {j + 1}")
                except AttncliError as error:
                    if self.problems is None:
                        raise
                    self.problems.append(error)
                    bad += 1
                    if bad == MAX_PROBLEMS_PER_MATRIX:
                        raise _Reported() from None
        if bad:
            raise _Reported()
        return out

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
            name = self.string(item, f"{where} entry {i + 1}")
            if not name.strip():
                self.fail(item, f"{where} entry {i + 1} is empty")
            names.append(name)
        return tuple(names)

    # ---- the scenario ----------------------------------------------------------------------

    def survey(self, root) -> None:
        """Read every value on its own, recording each problem: validate's first pass."""
        keys = self.mapping(root, "the scenario", TOP_KEYS)
        if "random" not in keys:
            required = ["embeddings"] + ([] if "heads" in keys else ["W_Q", "W_K", "W_V"])
            for key in required:
                if key not in keys:
                    self.report(root, f"missing key {key!r} ({_KEY_HELP[key]})")
        for key in ("name", "description"):
            if key in keys:
                self.attempt(self.string, keys[key], key)
        for key in ("scale", "color_values"):
            if key in keys:
                self.attempt(self.boolean, keys[key], key)
        for key in ("embeddings", "W_Q", "W_K", "W_V", "W_O"):
            if key in keys:
                self.attempt(self.matrix, keys[key], key)
        if "tokens" in keys:
            self.attempt(self.tokens, keys["tokens"], "tokens")
        if "mask" in keys:
            if isinstance(keys["mask"], SequenceNode):
                self.attempt(self.matrix, keys["mask"], "mask", self.flag)
            else:
                self.attempt(self._mask, keys["mask"], 0, 0)
        if "key_padding" in keys:
            items = self.attempt(self.sequence, keys["key_padding"], "key_padding") or []
            for i, item in enumerate(items):
                self.attempt(self.flag, item, f"key_padding entry {i + 1}")
        if "source" in keys:
            src = self.attempt(self.mapping, keys["source"], "source", SOURCE_KEYS) or {}
            if "embeddings" in src:
                self.attempt(self.matrix, src["embeddings"], "source embeddings")
            if "tokens" in src:
                self.attempt(self.tokens, src["tokens"], "source tokens")
        if "heads" in keys:
            for i, item in enumerate(self.attempt(self.sequence, keys["heads"], "heads") or []):
                spec = self.attempt(self.mapping, item, f"heads entry {i + 1}", HEAD_KEYS) or {}
                if "name" in spec:
                    self.attempt(self.string, spec["name"], f"heads entry {i + 1} name")
                for key in ("W_Q", "W_K", "W_V"):
                    if key in spec:
                        self.attempt(self.matrix, spec[key], f"heads entry {i + 1} {key}")
        if "random" in keys:
            spec = self.attempt(self.mapping, keys["random"], "random", RANDOM_KEYS) or {}
            for key in ("seed", "d_model", "d_k", "d_v"):
                if key in spec:
                    self.attempt(self.integer, spec[key], f"random {key}")
        self.cells = 0  # the second pass counts again


    def scenario(self, root, default_name: str) -> Scenario:
        if is_empty(root):
            raise AttncliError(
                "the file is empty; a scenario needs at least embeddings, W_Q, W_K and W_V "
                "(see `attncli show dog_ate_dinner`)",
                origin=self.origin,
            )
        keys = self.mapping(root, "the scenario", TOP_KEYS)
        name = self.string(keys["name"], "name") if "name" in keys else default_name
        description = self.string(keys["description"], "description") if "description" in keys else ""
        scale = self.boolean(keys["scale"], "scale") if "scale" in keys else True
        if "random" in keys:
            return self._random(keys, root, name, description, scale)

        if "embeddings" not in keys:
            self.fail(root, f"missing key 'embeddings' ({_KEY_HELP['embeddings']})")
        x = self.matrix(keys["embeddings"], "embeddings")  # (n_q, d_model)
        tokens = self._tokens_for(keys.get("tokens"), x, "tokens", "embeddings", "t")

        source_tokens = source_x = None
        if "source" in keys:
            src = self.mapping(keys["source"], "source", SOURCE_KEYS)
            if "embeddings" not in src:
                self.fail(keys["source"], "source: missing key 'embeddings' (the encoder's rows, n_k × d_model)")
            source_x = self.matrix(src["embeddings"], "source embeddings")  # (n_k, d_source)
            source_tokens = self._tokens_for(src.get("tokens"), source_x, "source tokens", "source embeddings", "s")

        heads = self._heads(keys, root, x.shape[1], None if source_x is None else source_x.shape[1])
        w_o = None
        if "W_O" in keys:
            w_o = self.matrix(keys["W_O"], "W_O")  # (Σ d_v, d_out)
            total_dv = sum(h.w_v.shape[1] for h in heads)
            if w_o.shape[0] != total_dv:
                widths = " + ".join(str(h.w_v.shape[1]) for h in heads)
                self.report(
                    keys["W_O"],
                    f"W_O has {_count(w_o.shape[0], 'row')}, but the heads' outputs concatenate to "
                    f"Σ d_v = {widths} = {total_dv} columns",
                )
        n_q, n_k = len(tokens), len(source_tokens or tokens)
        self._check_weights_size(root, n_q, n_k, len(heads))
        color_values = self.boolean(keys["color_values"], "color_values") if "color_values" in keys else False
        if color_values:
            for h in heads:
                if h.w_v.shape[1] != 3:
                    self.report(keys["color_values"], f"color_values needs d_v = 3 (red, green, blue), but "
                              f"{h.name}'s W_V has {_count(h.w_v.shape[1], 'column')}")
            if w_o is not None:
                self.report(keys["color_values"], "color_values shows each head's values as paint; it cannot be "
                          "combined with W_O, whose output is no longer a colour")
        causal, mask_matrix = self._mask(keys.get("mask"), n_q, n_k)
        key_padding = self._key_padding(keys.get("key_padding"), n_k)
        return Scenario(
            name=name,
            origin=self.origin,
            description=description,
            tokens=tokens,
            x=x,
            heads=heads,
            source_tokens=source_tokens,
            source_x=source_x,
            w_o=w_o,
            causal=causal,
            mask_matrix=mask_matrix,
            key_padding=key_padding,
            scale=scale,
            color_values=color_values,
        )

    def _check_weights_size(self, node, n_q: int, n_k: int, n_heads: int) -> None:
        """Every head holds n_q × n_k scores, scaled scores and weights: bound them before computing."""
        cells = 3 * n_q * n_k * n_heads
        if cells > limits.max_cells():
            self.report(node, f"{n_q} queries × {n_k} keys × {n_heads} head(s) need {cells:,} numbers for "
                      f"the attention steps; {limits.describe_size_limits()}")

    def _tokens_for(self, node, x, where: str, rows_key: str, prefix: str) -> tuple[str, ...]:
        if node is None:
            return tuple(f"{prefix}{i}" for i in range(x.shape[0]))
        tokens = self.tokens(node, where)
        if len(tokens) != x.shape[0]:
            self.report(node, f"there are {len(tokens)} {where}, but {rows_key} has {_count(x.shape[0], 'row')} (one per token)")
        return tokens

    def _heads(self, keys: dict, root, d_model: int, d_source: int | None) -> tuple[core.HeadWeights, ...]:
        if "heads" in keys:
            extra = [k for k in ("W_Q", "W_K", "W_V") if k in keys]
            if extra:
                self.fail(keys[extra[0]], f"{extra[0]} at the top level cannot be combined with heads: "
                          "give every head its own W_Q, W_K and W_V")
            items = self.sequence(keys["heads"], "heads")
            if not items:
                self.fail(keys["heads"], "heads is empty; give at least one head")
            heads = []
            for i, item in enumerate(items):
                spec = self.mapping(item, f"heads entry {i + 1}", HEAD_KEYS)
                name = self.string(spec["name"], f"heads entry {i + 1} name") if "name" in spec else f"head {i + 1}"
                if any(h.name == name for h in heads):
                    self.fail(spec.get("name", item), f"two heads are named {name!r}; head names must differ")
                heads.append(self._head(spec, item, f"head {name!r}: ", name, d_model, d_source))
            return tuple(heads)
        return (self._head(keys, root, "", "head 1", d_model, d_source),)

    def _head(self, spec: dict, node, prefix: str, name: str, d_model: int, d_source: int | None):
        for key in ("W_Q", "W_K", "W_V"):
            if key not in spec:
                self.fail(node, f"{prefix}missing key {key!r} ({_KEY_HELP[key]})")
        w = {key: self.matrix(spec[key], f"{prefix}{key}") for key in ("W_Q", "W_K", "W_V")}
        kv_from = "the source embeddings have" if d_source is not None else "the embeddings have"
        expected = {"W_Q": (d_model, "the embeddings have"), "W_K": (d_source or d_model, kv_from),
                    "W_V": (d_source or d_model, kv_from)}
        for key, (rows, owner) in expected.items():
            if w[key].shape[0] != rows:
                self.report(spec[key], f"{prefix}{key} has {_count(w[key].shape[0], 'row')}, but {owner} "
                          f"d_model = {_count(rows, 'column')} ({key} is {_KEY_HELP[key].split(':')[0]})")
        if w["W_Q"].shape[1] != w["W_K"].shape[1]:
            self.report(spec["W_K"], f"{prefix}W_Q has {_count(w['W_Q'].shape[1], 'column')} but W_K has {w['W_K'].shape[1]}: "
                      "queries and keys need the same width d_k to take their dot products")
        return core.HeadWeights(name, w["W_Q"], w["W_K"], w["W_V"])

    def _mask(self, node, n_q: int, n_k: int) -> tuple[bool, np.ndarray | None]:
        if node is None:
            return False, None
        self._check_tag(node, "mask")
        if isinstance(node, ScalarNode):
            text = node.value.strip().lower()
            if text in _TRUE or text == "causal":
                return True, None
            if text in _FALSE or text == "none":
                return False, None
            self.fail(node, f"mask should be false, true, causal or a 0/1 matrix, not {node.value!r}")
        matrix = self.matrix(node, "mask", cell=self.flag).astype(bool)
        if matrix.shape != (n_q, n_k):
            self.report(node, f"mask is {matrix.shape[0]}×{matrix.shape[1]}, but it needs one row per query "
                      f"and one column per key: {n_q}×{n_k}")
        return False, matrix

    def _key_padding(self, node, n_k: int) -> np.ndarray | None:
        if node is None:
            return None
        items = self.sequence(node, "key_padding")
        flags = np.array([self.flag(item, f"key_padding entry {i + 1}") for i, item in enumerate(items)], dtype=bool)
        if flags.shape != (n_k,):
            self.report(node, f"key_padding has {_count(len(items), 'entry')}, but there are {_count(n_k, 'key')} (one 0/1 per key)")
        return flags

    def _random(self, keys: dict, root, name: str, description: str, scale: bool) -> Scenario:
        clash = [k for k in ("embeddings", "tokens", "W_Q", "W_K", "W_V", "W_O", "heads", "source") if k in keys]
        if clash:
            self.fail(keys[clash[0]], f"{clash[0]} cannot be combined with random: "
                      "random draws its own tokens, embeddings and weights")
        spec = self.mapping(keys["random"], "random", RANDOM_KEYS)
        if "d_model" not in spec:
            self.fail(keys["random"], "random: missing key 'd_model' (the embedding width)")
        seed = self.integer(spec["seed"], "random seed") if "seed" in spec else 0
        d_model = self.integer(spec["d_model"], "random d_model", minimum=1)
        d_k = self.integer(spec["d_k"], "random d_k", minimum=1) if "d_k" in spec else d_model
        d_v = self.integer(spec["d_v"], "random d_v", minimum=1) if "d_v" in spec else d_k
        tokens_node = spec.get("tokens")
        if tokens_node is None:
            tokens: tuple[str, ...] = tuple(f"t{i}" for i in range(8))
        elif isinstance(tokens_node, ScalarNode):
            count = self.integer(tokens_node, "random tokens", minimum=1)
            if count > limits.max_tokens():
                self.fail(tokens_node, f"random tokens is {count}; {limits.describe_size_limits()}")
            tokens = tuple(f"t{i}" for i in range(count))
        else:
            tokens = self.tokens(tokens_node, "random tokens")
        n = len(tokens)
        for what, size in (("d_model", d_model), ("d_k", d_k), ("d_v", d_v)):
            if size > limits.max_dim():
                self.fail(spec[what], f"random {what} is {size}; {limits.describe_size_limits()}")
        total = n * d_model + d_model * (2 * d_k + d_v)
        if total > limits.max_cells():
            self.fail(keys["random"], f"random would draw {total:,} numbers; {limits.describe_size_limits()}")
        self._check_weights_size(keys["random"], n, n, 1)
        causal, mask_matrix = self._mask(keys.get("mask"), n, n)
        drawn = random_scenario(
            name=name, origin=self.origin, seed=seed, tokens=tokens, d_model=d_model, d_k=d_k, d_v=d_v,
            description=description, causal=causal, scale=scale,
        )
        return replace(drawn, mask_matrix=mask_matrix, key_padding=self._key_padding(keys.get("key_padding"), n))


def _suggest(key: str, known: tuple[str, ...]) -> str:
    """', did you mean W_V?' for W_v, or the list of known keys when nothing is close."""
    for candidate in known:
        if candidate.lower() == key.lower():
            return f"; did you mean {candidate}?"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]}?"
    return f" (known keys: {', '.join(known)})"


def _count(n: int, noun: str) -> str:
    """'1 row', '3 rows', '2 entries'."""
    if n == 1:
        return f"1 {noun}"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return f"{n} {noun[:-1]}ies"
    return f"{n} {noun}s"
