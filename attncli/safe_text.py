"""The one boundary for text that came from outside (a scenario file, a file name, a model's tokens).

Such text may hold terminal escape sequences (ESC ] 52 writes the clipboard, ESC [ 2J clears the
screen), bidi overrides that reorder what is shown, or bytes that are not text at all. `visible`
turns every such character into a visible, ASCII, Python-style escape, so it is printed, never obeyed:

- C0 controls (U+0000–U+001F, ESC and BEL among them), DEL (U+007F) and C1 controls (U+0080–U+009F)
  become `\\x1b`, `\\x07`, `\\x7f`, `\\x9b`; TAB, LF and CR become `\\t`, `\\n`, `\\r`;
- bidi embeddings, overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
  U+061C), the line and paragraph separators (U+2028, U+2029) and other lone surrogates become
  `\\u202e`, `\\ud800`; a byte of a file name that is not UTF-8 (which Python keeps as a surrogate,
  U+DC80–U+DCFF) becomes `\\xff`, the byte itself;
- the noncharacters U+FFFE and U+FFFF, which XML (so SVG and HTML) and YAML refuse, become `\\ufffe`, `\\uffff`.

With multiline=True (a description), LF and TAB are kept as they are. Everything else, letters of
any script, emoji and joiners included, is kept. The result holds no such character, so applying
`visible` twice changes nothing. A backslash is kept as written: the text "\\x1b" typed into a file
and a real ESC both show as \\x1b.
"""

from __future__ import annotations

import re

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# Every character these match is one str.isprintable() rejects (Cc, Cf, Zl, Zp, Cs, Cn), so printable text
# needs no search; the patterns are compiled on first use (~2 ms, which explain's start-up would pay).
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
_UNSAFE_MULTILINE = ("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
                     "\ufffe\uffff]")


def _unsafe(text: str, multiline: bool) -> re.Match | None:
    """The first character `visible` would escape, or None."""
    if (text.replace("\n", "").replace("\t", "") if multiline else text).isprintable():
        return None
    return re.search(_UNSAFE_MULTILINE if multiline else _UNSAFE, text)


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as Python keeps it in a file name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, multiline: bool = False) -> str:
    """The text with every control, bidi or non-text character shown as an escape (see the module)."""
    if _unsafe(text, multiline) is None:  # the common case: no copy
        return text
    return re.sub(_UNSAFE_MULTILINE if multiline else _UNSAFE, _escape, text)


def is_safe(text: str, *, multiline: bool = False) -> bool:
    """Whether `visible` would leave the text unchanged."""
    return _unsafe(text, multiline) is None


def clipped(text: str, limit: int = 60) -> str:
    """visible(text), cut after `limit` characters with the full length said: a value a message echoes
    (an answer, an id, a token) is named, not repeated whole, however long it is. The result holds at
    most limit + 25 characters."""
    shown = visible(text[:limit + 1])
    if len(text) > limit or len(shown) > limit:
        return f"{shown[:limit]}… ({len(text):,} characters)"
    return shown
