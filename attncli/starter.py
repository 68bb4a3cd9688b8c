"""The commented starter scenario that `attncli new` writes."""

from __future__ import annotations

import re

import numpy as np

from attncli.scenario_keys import find
from attncli.yaml_text import yaml_string


def _token(text: str) -> str:
    # Plain words stay plain; anything YAML could misread is written as a quoted string.
    return text if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", text) and text.lower() not in {
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "causal", "none"} else yaml_string(text)


def _rows(m: np.ndarray, indent: str = "  ") -> str:
    return "\n".join(f"{indent}- [{', '.join(f'{x:.2f}' for x in row)}]" for row in m)


def starter_yaml(tokens: list[str], d_model: int, d_k: int, d_v: int, seed: int) -> str:
    """A valid scenario with small random numbers and a comment on every key."""
    rng = np.random.default_rng(seed)
    n = len(tokens)
    x = rng.uniform(-1, 1, (n, d_model))
    w_q, w_k = rng.uniform(-1, 1, (d_model, d_k)), rng.uniform(-1, 1, (d_model, d_k))
    w_v = rng.uniform(-1, 1, (d_model, d_v))
    names = ", ".join(_token(t) for t in tokens)
    return f"""\
# An attncli scenario. Explain it with `attncli explain FILE`; check it with `attncli validate FILE`.
# For completion in your editor: `attncli schema > attncli.schema.json`, then keep this line:
# yaml-language-server: $schema=./attncli.schema.json

{_comment("name")}
name: My scenario
{_comment("description")}
description: {n} tokens, embeddings of width {d_model}, projected to d_k = {d_k} and d_v = {d_v}.

{_comment("tokens")}
tokens: [{names}]

{_comment("embeddings")} Numbers may be 1, 0.5 or 1e-3.
embeddings:
{_rows(x)}

{_comment("W_Q")}
W_Q:
{_rows(w_q)}

{_comment("W_K")}
W_K:
{_rows(w_k)}

{_comment("W_V")}
W_V:
{_rows(w_v)}

{_comment("mask")}
mask: false

{_comment("scale")} Try `attncli compare FILE --no-scale`.
scale: true
"""


def _comment(name: str) -> str:
    """The key's line of help from the key table, as a YAML comment."""
    return f"# {find(name).described}."


def starter_tokens(text: str) -> list[str]:
    """The tokens of a starter scenario, split at spaces: at least one, at most 64, each printable text
    no longer than the reader takes in a token (the starter must read back)."""
    from attncli.errors import UsageError
    from attncli.limits import max_text
    from attncli.safe_text import clipped, is_safe

    words = text.split()
    if not words:
        raise UsageError("give at least one token, such as --tokens \"the cat sat\"")
    if len(words) > 64:
        raise UsageError(f"{len(words)} tokens is more than a starter needs (64 at most)")
    for word in words:
        if not is_safe(word):
            raise UsageError(f"{clipped(word)} holds a control character, a noncharacter or a byte that is not "
                             "UTF-8 text")
        if len(word) > max_text():
            raise UsageError(f"{clipped(word)} is longer than the {max_text():,} characters attncli reads in a token")
    return words
