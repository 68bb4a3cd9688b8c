"""YAML that attncli writes (starter scenarios, a model's saved head, answer templates): every scalar
written so that attncli's own reader takes it back unchanged, whatever characters it holds."""

from __future__ import annotations

import math


def yaml_float(x: float) -> str:
    """repr(x), which round-trips, with a '.0' added where YAML 1.1 would read 1e-05 as text."""
    text = repr(x)
    if not math.isfinite(x):
        raise ValueError(f"{text} cannot be written to a scenario")
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar that reads back as text, whatever characters it holds: what YAML
    refuses raw (C0 and C1 controls, U+FFFE, U+FFFF, lone surrogates) or reads as a line break
    (NEL, U+2028, U+2029) is written as an escape; so is a byte-order mark."""
    out = []
    for c in text:
        code = ord(c)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= code < 0x7F or (code >= 0xA0 and c.isprintable() and c not in _YAML_BREAKS_AND_BOM):
            out.append(c)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


_YAML_BREAKS_AND_BOM = {"\u2028", "\u2029", "\ufeff"}
