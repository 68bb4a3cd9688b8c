"""Reproducible whole numbers from SHA-256: the same seed gives the same numbers on every machine.

NumPy does not promise the same stream from every Generator method across versions, and Python's
hash() of a string changes from run to run, so each draw hashes a canonical JSON encoding of
(scheme, seed parts, counter) and reads the first 8 bytes of the digest as an integer.
"""

from __future__ import annotations

import hashlib
import json

SCHEME = "attncli-practice/1"  # change it only with the key version: old seeds would give new numbers


class Draws:
    """A counter-based stream: draw k is SHA-256 of [SCHEME, *parts, k]."""

    def __init__(self, *parts: str | int):
        self._parts = [SCHEME, *parts]
        self._count = 0

    def below(self, n: int) -> int:
        """A whole number in 0..n-1 (the modulo bias of 2⁶⁴ mod n is below 10⁻¹⁷ for small n)."""
        if n < 1:
            raise ValueError("below(n) needs n >= 1")
        text = json.dumps([*self._parts, self._count], ensure_ascii=False, separators=(",", ":"))
        self._count += 1
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % n

    def between(self, low: int, high: int) -> int:
        """A whole number in low..high, both included."""
        return low + self.below(high - low + 1)

    def pick(self, items):
        return items[self.below(len(items))]

    def sample(self, items, k: int) -> list:
        """k different items in drawn order (a partial Fisher–Yates shuffle)."""
        pool = list(items)
        for i in range(k):
            j = i + self.below(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]
