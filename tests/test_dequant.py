"""attncli's dequantisation of Q4_0, Q4_1 and Q8_0 against the gguf library's, bit for bit, on any bytes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attncli.pretrained import dequant

gguf = pytest.importorskip("gguf", reason="the model extra is not installed")
from gguf.quants import dequantize  # noqa: E402

KINDS = {"Q4_0": 2, "Q4_1": 3, "Q8_0": 8}


def theirs(raw: np.ndarray, kind: int) -> np.ndarray:
    return dequantize(raw, gguf.GGMLQuantizationType(kind)).astype(np.float32, copy=False)


def ours(raw: np.ndarray, kind: int, dtype=np.float32) -> np.ndarray:
    out = np.empty((*raw.shape[:-1], raw.shape[-1] // dequant.LAYOUT[kind][0] * dequant.BLOCK), dtype=dtype)
    dequant.into(raw, kind, out)
    return out


def finite_scales(raw: np.ndarray, kind: int) -> np.ndarray:
    """The bytes with every scale (and minimum) replaced by a finite float16 of the same bits where it was finite."""
    size, head = dequant.LAYOUT[kind]
    blocks = raw.reshape(-1, size).copy()
    halves = blocks[:, :head].copy().view(np.float16)
    halves[~np.isfinite(halves)] = np.float16(0.5)
    blocks[:, :head] = halves.view(np.uint8)
    return blocks.reshape(raw.shape)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(sorted(KINDS.values())), rows=st.integers(1, 5), blocks=st.integers(1, 4),
       seed=st.integers(0, 2**32 - 1))
def test_every_byte_pattern_dequantises_to_gguf_s_float32_values_bit_for_bit(kind, rows, blocks, seed):
    size = dequant.LAYOUT[kind][0]
    raw = finite_scales(np.random.default_rng(seed).integers(0, 256, (rows, blocks * size), dtype=np.uint8), kind)
    expected = theirs(raw, kind)
    assert ours(raw, kind).tobytes() == expected.tobytes()
    # into a float64 array: the float32 values, exactly, not recomputed in float64
    assert ours(raw, kind, np.float64).tobytes() == expected.astype(np.float64).tobytes()


@pytest.mark.parametrize("name", KINDS)
def test_subnormal_huge_and_negative_zero_scales_round_as_gguf_does(name):
    kind = KINDS[name]
    size, head = dequant.LAYOUT[kind]
    special = np.array([6e-8, -6e-8, 65504, -65504, -0.0, 0.0, 1e-5, 3.14], dtype=np.float16)
    blocks = np.random.default_rng(1).integers(0, 256, (len(special) ** 2, size), dtype=np.uint8)
    pairs = np.stack(np.meshgrid(special, special), axis=-1).reshape(-1, 2)  # every (d, m) pair
    blocks[:, :head] = pairs[:, :head // 2].astype(np.float16).view(np.uint8).reshape(len(pairs), head)
    assert ours(blocks, kind).tobytes() == theirs(blocks, kind).tobytes()


def test_a_tensor_larger_than_one_chunk_is_dequantised_whole():
    kind = KINDS["Q4_1"]
    n_blocks = dequant.CHUNK * 2 + 3  # two full chunks and a remainder
    raw = finite_scales(np.random.default_rng(2).integers(0, 256, (n_blocks, 20), dtype=np.uint8), kind)
    assert ours(raw, kind).tobytes() == theirs(raw, kind).tobytes()

