"""GGUF's one-scale block formats dequantised straight into the caller's float array, a bounded chunk at a time.

gguf.quants.dequantize works 16 rows at a time and returns new float32 arrays. Generation keeps all
135 M weights of SmolLM2 as float64, and going through those float32 copies cost about 0.6 s of
arithmetic and touched twice the memory (benchmarks/decoder.py). These functions compute the same
float32 values as gguf does, in the same order (d·q, then + m, each rounded to float32), and write
them into `out` of any float dtype; tests/test_dequant.py checks them bit for bit against
gguf.quants.dequantize. Other types go through gguf.
"""

from __future__ import annotations

import numpy as np

BLOCK = 32  # numbers per block in Q4_0, Q4_1 and Q8_0
CHUNK = 1 << 14  # blocks per step: a reused float32 scratch of 2 MB, whatever the tensor's size
# type number → bytes per block, and bytes of scales before the quants (d, or d and m)
LAYOUT = {2: (18, 2), 3: (20, 4), 8: (34, 2)}  # Q4_0, Q4_1, Q8_0


def handles(kind: int) -> bool:
    """Whether `into` dequantises this GGML type itself."""
    return kind in LAYOUT


def scales(raw: np.ndarray, kind: int) -> np.ndarray:
    """Every block's scale (and minimum) as float32, (blocks, 1 or 2): the values are finite exactly when these are."""
    size, head = LAYOUT[kind]
    blocks = raw.reshape(-1, size)
    return np.ascontiguousarray(blocks[:, :head]).view(np.float16).astype(np.float32)


def into(raw: np.ndarray, kind: int, out: np.ndarray) -> None:
    """Dequantise raw bytes (rows…, bytes per row) of type `kind` into out (rows…, numbers per row)."""
    size, _ = LAYOUT[kind]
    blocks = raw.reshape(-1, size)  # (n_blocks, size) uint8
    flat = out.reshape(-1, BLOCK)  # (n_blocks, 32): a view, so the values land in out
    scratch = np.empty((min(CHUNK, len(blocks)), BLOCK), dtype=np.float32)
    for start in range(0, len(blocks), CHUNK):
        part, dest = blocks[start:start + CHUNK], flat[start:start + CHUNK]
        _block(part, kind, scratch[:len(part)], dest)


def _block(part: np.ndarray, kind: int, q: np.ndarray, dest: np.ndarray) -> None:
    d = np.ascontiguousarray(part[:, 0:2]).view(np.float16).astype(np.float32)  # (n, 1)
    if kind == 8:  # Q8_0: 32 signed bytes, value = q·d
        np.multiply(part[:, 2:].view(np.int8), d, out=dest, dtype=np.float32, casting="unsafe")
        return
    nibbles = part[:, 4:] if kind == 3 else part[:, 2:]  # (n, 16): numbers 0…15 in the low halves, 16…31 high
    np.bitwise_and(nibbles, 0x0F, out=q[:, :16], casting="unsafe")
    np.right_shift(nibbles, 4, out=q[:, 16:], casting="unsafe")
    if kind == 2:  # Q4_0: value = (q − 8)·d
        np.subtract(q, 8, out=q)
        np.multiply(q, d, out=dest, dtype=np.float32, casting="unsafe")
        return
    m = np.ascontiguousarray(part[:, 2:4]).view(np.float16).astype(np.float32)  # Q4_1: value = q·d + m
    np.multiply(q, d, out=q)
    np.add(q, m, out=dest, dtype=np.float32, casting="unsafe")
