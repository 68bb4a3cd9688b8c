"""A GGUF file's header (metadata and tensor table) and its tensors, dequantised by the gguf library.

gguf.GGUFReader builds a NumPy view for every field part, 100,000 of them for a vocabulary of
49,152 tokens and their merges: about 2.4 s and 150 MB before the first tensor (benchmarks/model.py).
This reader parses the same header with struct in one pass (tests/test_gguf_file.py checks it field
for field and tensor for tensor against GGUFReader) and leaves the tensor data memory-mapped; the
gguf library's constants and dequantisation do the rest, except for Q4_0, Q4_1 and Q8_0, which
dequant.py turns into the same values faster and straight into the caller's array.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attncli.errors import AttncliError

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4  # GGML_MAX_DIMS
# The element types attncli dequantises, by GGML's type number: plain floats and the block formats the
# gguf library dequantises with one scale (and minimum) per block of 32.
SUPPORTED_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 30: "BF16"}

# GGUF value types: number → (struct format, size) for the scalars
_SCALARS = {0: ("<B", 1), 1: ("<b", 1), 2: ("<H", 2), 3: ("<h", 2), 4: ("<I", 4), 5: ("<i", 4),
            6: ("<f", 4), 7: ("<?", 1), 10: ("<Q", 8), 11: ("<q", 8), 12: ("<d", 8)}
_NUMPY = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1", 10: "<u8",
          11: "<i8", 12: "<f8"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class TensorInfo:
    """One entry of the tensor table: the name, GGML's dimensions (fastest first), the type, where its bytes are."""

    name: str
    dims: tuple[int, ...]  # GGML order: dims[0] is the length of a row
    type: int  # GGML type number
    offset: int  # from the start of the data section, as the file says
    start: int  # absolute position in the file
    n_bytes: int

    @property
    def shape(self) -> tuple[int, ...]:
        """NumPy's order, rows first: a Linear weight is (d_out, d_in), as in PyTorch."""
        return tuple(reversed(self.dims))

    @property
    def type_name(self) -> str:
        return SUPPORTED_TYPES.get(self.type) or _type_name(self.type)


class GGUFFile:
    """The header of a GGUF file, read once, and its tensors on demand (the data stays memory-mapped)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            raise AttncliError("no such file", origin=str(path)) from None
        except (OSError, ValueError) as e:  # a directory, no permission, an empty file (mmap refuses length 0)
            reason = "the file is empty" if isinstance(e, ValueError) else (e.strerror or type(e).__name__)
            raise AttncliError(f"cannot read it as a GGUF model ({reason})", origin=str(path)) from None
        self.size = len(self._map)
        self._pos = 0
        self.version, self.fields, self.tensors, self.data_start = self._header()

    # ---- the header ------------------------------------------------------------------------------

    def _fail(self, message: str):
        raise AttncliError(message, origin=str(self.path))

    def _take(self, n: int, what: str) -> int:
        start = self._pos
        if n < 0 or start + n > self.size:
            self._fail(f"the file ends inside {what} (at byte {start} of {self.size}): it is truncated or not GGUF")
        self._pos = start + n
        return start

    def _unpack(self, fmt: str, size: int, what: str):
        return struct.unpack_from(fmt, self._map, self._take(size, what))[0]

    def _string(self, what: str) -> str:
        n = self._unpack("<Q", 8, what)
        start = self._take(n, what)
        return self._map[start:start + n].decode("utf-8", errors="replace")

    def _strings(self, count: int, what: str) -> list[str]:
        """count strings in a row: _string's reading, in one loop (a vocabulary holds 100,000 of them)."""
        data, size, pos, out = self._map, self.size, self._pos, []
        for _ in range(count):
            if pos + 8 > size:
                break
            n = int.from_bytes(data[pos:pos + 8], "little")
            if pos + 8 + n > size:
                break
            out.append(data[pos + 8:pos + 8 + n].decode("utf-8", errors="replace"))
            pos += 8 + n
        self._pos = pos
        if len(out) < count:  # _string says where, and how the file ends
            self._string(what)
        return out

    def _value(self, kind: int, what: str):
        if kind in _SCALARS:
            return self._unpack(*_SCALARS[kind], what)
        if kind == _STRING:
            return self._string(what)
        if kind == _ARRAY:
            item = self._unpack("<I", 4, what)
            count = self._unpack("<Q", 8, what)
            if item in _NUMPY:
                size = np.dtype(_NUMPY[item]).itemsize
                start = self._take(count * size, what)
                values = np.frombuffer(self._map, dtype=_NUMPY[item], count=count, offset=start)
                return values.astype(bool).tolist() if item == 7 else values.tolist()
            if item == _STRING:
                if count > self.size // 8:
                    self._fail(f"{what} says it holds {count} strings, more than the file has room for")
                return self._strings(count, what)
            self._fail(f"{what} is an array of type {item}, which GGUF does not define")
        self._fail(f"{what} has value type {kind}, which GGUF does not define")

    def _header(self):
        magic = self._map[:4] if self.size >= 4 else b""
        if magic != MAGIC:
            self._fail("not a GGUF file (it does not start with the bytes GGUF)")
        self._pos = 4
        version = self._unpack("<I", 4, "the header")
        if version not in (2, 3):
            self._fail(f"GGUF version {version}; attncli reads versions 2 and 3")
        n_tensors = self._unpack("<Q", 8, "the header")
        n_fields = self._unpack("<Q", 8, "the header")
        if n_tensors > self.size // 24 or n_fields > self.size // 13:  # the smallest entry of each kind
            self._fail(f"the header promises {n_tensors} tensors and {n_fields} fields, more than the file holds")
        fields = {}
        for _ in range(n_fields):
            key = self._string("a metadata key")
            kind = self._unpack("<I", 4, f"the metadata {key!r}")
            fields[key] = self._value(kind, f"the metadata {key!r}")
        infos = []
        for _ in range(n_tensors):
            name = self._string("the tensor table")
            n_dims = self._unpack("<I", 4, f"the tensor {name}")
            if not 1 <= n_dims <= MAX_DIMS:
                self._fail(f"the tensor {name} has {n_dims} dimensions; GGUF allows 1 to {MAX_DIMS}")
            dims = tuple(self._unpack("<Q", 8, f"the tensor {name}") for _ in range(n_dims))
            kind = self._unpack("<I", 4, f"the tensor {name}")
            offset = self._unpack("<Q", 8, f"the tensor {name}")
            infos.append((name, dims, kind, offset))
        alignment = fields.get("general.alignment", DEFAULT_ALIGNMENT)
        if not isinstance(alignment, int) or isinstance(alignment, bool) or alignment < 1 or alignment & (alignment - 1):
            self._fail(f"general.alignment is {alignment!r}; it should be a power of two")
        data_start = -(-self._pos // alignment) * alignment
        tensors = {}
        for name, dims, kind, offset in infos:
            tensors[name] = self._tensor_info(name, dims, kind, offset, data_start)
        return version, fields, tensors, data_start

    def _tensor_info(self, name: str, dims, kind: int, offset: int, data_start: int) -> TensorInfo:
        n_bytes = _byte_count(kind, dims)
        if n_bytes == -1:
            self._fail(f"the tensor {name} has rows of {dims[0]} numbers, not whole blocks of its type {_type_name(kind)}")
        start = data_start + offset
        if n_bytes is not None and start + n_bytes > self.size:
            self._fail(f"the tensor {name} would lie at bytes {start} to {start + n_bytes}, past the end of the "
                       f"file ({self.size} bytes): the file is truncated or its tensor table is wrong")
        return TensorInfo(name=name, dims=tuple(dims), type=kind, offset=offset, start=start, n_bytes=n_bytes or 0)

    # ---- tensors ---------------------------------------------------------------------------------

    def info(self, name: str) -> TensorInfo:
        found = self.tensors.get(name)
        if found is None:
            self._fail(f"the tensor {name} is missing")
        if found.type not in SUPPORTED_TYPES:
            self._fail(f"the tensor {name} is stored as {found.type_name}; attncli reads "
                       f"{', '.join(SUPPORTED_TYPES.values())}")
        return found

    def raw(self, name: str) -> np.ndarray:
        """The tensor's bytes as stored, one row per row of the tensor: (rows…, bytes per row), uint8."""
        t = self.info(name)
        data = np.frombuffer(self._map, dtype=np.uint8, count=t.n_bytes, offset=t.start)
        return data.reshape(*t.shape[:-1], t.n_bytes // max(1, int(np.prod(t.shape[:-1]))))

    def tensor(self, name: str, rows=None, out: np.ndarray | None = None) -> np.ndarray:
        """The tensor (or the given rows of it) as float32, shaped rows first; refused if it holds NaN or ∞.

        rows: indices of the rows wanted, in that order. out: a float array of the result's shape to fill
        (of any float dtype: the values are float32's), instead of a new float32 array.
        """
        from attncli.pretrained import dequant

        t = self.info(name)
        data = self.raw(name)
        if rows is not None:
            data = data[np.asarray(rows, dtype=np.intp)]
        if dequant.handles(t.type):
            if not np.isfinite(dequant.scales(data, t.type)).all():  # q·d + m is finite exactly when d and m are
                self._fail(f"the tensor {name} holds NaN or infinite values")
            if out is None:
                out = np.empty((*data.shape[:-1], t.dims[0]), dtype=np.float32)
            dequant.into(data, t.type, out)
            return out
        from gguf import GGMLQuantizationType
        from gguf.quants import dequantize

        values = dequantize(data, GGMLQuantizationType(t.type)).astype(np.float32, copy=False)
        if not np.isfinite(values).all():
            self._fail(f"the tensor {name} holds NaN or infinite values")
        if out is None:
            return values
        out[...] = values
        return out

    def close(self) -> None:
        self._map.close()


def _type_name(kind: int) -> str:
    try:
        from gguf import GGMLQuantizationType

        return GGMLQuantizationType(kind).name
    except ValueError:
        return f"type {kind}"


def _byte_count(kind: int, dims) -> int | None:
    """The bytes a tensor of this type and shape occupies; None for a type GGML does not define, -1 for rows
    that are not whole blocks."""
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        block, size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
    except (ValueError, KeyError):
        return None
    if dims[0] % block:
        return -1
    elements_per_row = dims[0] // block * size
    return elements_per_row * int(np.prod(dims[1:], dtype=np.int64))
