"""A BERT encoder's weights from model.safetensors, checked against its config, in the chosen precision."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attncli.checks import first_line
from attncli.errors import AttncliError
from attncli.pretrained.config import BertConfig

WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


@dataclass(frozen=True, eq=False)
class LayerWeights:
    """One encoder block, with every matrix as x·W (d_in, d_out): PyTorch's Linear weight transposed."""

    w_q: np.ndarray  # (d_model, d_model), head h owns columns h·d_head … (h+1)·d_head
    b_q: np.ndarray  # (d_model,)
    w_k: np.ndarray
    b_k: np.ndarray
    w_v: np.ndarray
    b_v: np.ndarray
    w_o: np.ndarray  # (d_model, d_model), head h owns rows h·d_head … (h+1)·d_head
    b_o: np.ndarray
    ln1_gamma: np.ndarray  # (d_model,) LayerNorm after attention + residual
    ln1_beta: np.ndarray
    w_1: np.ndarray  # (d_model, d_ff)
    b_1: np.ndarray  # (d_ff,)
    w_2: np.ndarray  # (d_ff, d_model)
    b_2: np.ndarray
    ln2_gamma: np.ndarray  # (d_model,) LayerNorm after the feed-forward + residual
    ln2_beta: np.ndarray


@dataclass(frozen=True, eq=False)
class BertWeights:
    """Everything but the word-embedding table, which stays in the file: only looked-up rows are read."""

    path: Path
    prefix: str  # "" or "bert." (checkpoints saved from a task model)
    position: np.ndarray  # (max_positions, d_model)
    token_type: np.ndarray  # (type_vocab_size, d_model)
    ln_gamma: np.ndarray  # (d_model,) LayerNorm of the embeddings
    ln_beta: np.ndarray
    layers: tuple[LayerWeights, ...]

    def word_rows(self, ids: list[int], dtype) -> np.ndarray:
        """The word embeddings of the given token ids, (n, d_model), read from the float32 table on disk."""
        key = self.prefix + WORD_EMBEDDINGS
        with _opened(self.path) as f:
            table = f.get_slice(key)
            if table.get_dtype() == _BF16:
                rows = _bfloat16(self.path, key, ids)
            else:
                rows = np.concatenate([table[i:i + 1] for i in ids], axis=0)
        if not np.isfinite(rows).all():
            raise AttncliError(f"{WORD_EMBEDDINGS} holds NaN or infinite values", origin=str(self.path))
        return rows.astype(dtype)


_LAYER_TENSORS = {  # field: (name under encoder.layer.N., shape as (rows, cols) of config names)
    "w_q": ("attention.self.query.weight", ("d", "d")), "b_q": ("attention.self.query.bias", ("d",)),
    "w_k": ("attention.self.key.weight", ("d", "d")), "b_k": ("attention.self.key.bias", ("d",)),
    "w_v": ("attention.self.value.weight", ("d", "d")), "b_v": ("attention.self.value.bias", ("d",)),
    "w_o": ("attention.output.dense.weight", ("d", "d")), "b_o": ("attention.output.dense.bias", ("d",)),
    "ln1_gamma": ("attention.output.LayerNorm.weight", ("d",)),
    "ln1_beta": ("attention.output.LayerNorm.bias", ("d",)),
    "w_1": ("intermediate.dense.weight", ("ff", "d")), "b_1": ("intermediate.dense.bias", ("ff",)),
    "w_2": ("output.dense.weight", ("d", "ff")), "b_2": ("output.dense.bias", ("d",)),
    "ln2_gamma": ("output.LayerNorm.weight", ("d",)), "ln2_beta": ("output.LayerNorm.bias", ("d",)),
}


def read_weights(path: Path, config: BertConfig, dtype) -> BertWeights:
    """model.safetensors → BertWeights in dtype, or an AttncliError naming the file and the tensor."""
    sizes = {"d": config.hidden_size, "ff": config.intermediate_size, "vocab": config.vocab_size,
             "pos": config.max_position_embeddings, "types": config.type_vocab_size}
    with _opened(path) as f:
        keys = set(f.keys())
        prefix = "bert." if "bert." + WORD_EMBEDDINGS in keys else ""

        def get(name: str, shape: tuple[str, ...]) -> np.ndarray:
            return _tensor(f, keys, path, prefix + name, tuple(sizes[s] for s in shape), dtype)

        # the word table is only checked here: word_rows reads the rows a sentence needs
        _check_shape(f, keys, path, prefix + WORD_EMBEDDINGS, (sizes["vocab"], sizes["d"]))
        _check_float(f, path, prefix + WORD_EMBEDDINGS)
        wanted = [(f"encoder.layer.{n}.{name}", shape) for n in range(config.num_hidden_layers)
                  for name, shape in _LAYER_TENSORS.values()] + list(_EMBEDDING_TENSORS)
        for name, shape in wanted:  # every shape from the header first: the memory they need is known
            _check_shape(f, keys, path, prefix + name, tuple(sizes[s] for s in shape))
        _check_memory([int(np.prod([sizes[s] for s in shape], dtype=np.int64)) for _, shape in wanted],
                      np.dtype(dtype), path)
        layers = []
        for n in range(config.num_hidden_layers):
            arrays = {field: get(f"encoder.layer.{n}.{name}", shape) for field, (name, shape) in _LAYER_TENSORS.items()}
            # Linear layers store (d_out, d_in); the paper's x·W wants (d_in, d_out)
            for field in ("w_q", "w_k", "w_v", "w_o", "w_1", "w_2"):
                arrays[field] = arrays[field].T
            layers.append(LayerWeights(**arrays))
        return BertWeights(
            path=path,
            prefix=prefix,
            position=get("embeddings.position_embeddings.weight", ("pos", "d")),
            token_type=get("embeddings.token_type_embeddings.weight", ("types", "d")),
            ln_gamma=get("embeddings.LayerNorm.weight", ("d",)),
            ln_beta=get("embeddings.LayerNorm.bias", ("d",)),
            layers=tuple(layers),
        )


_EMBEDDING_TENSORS = (("embeddings.position_embeddings.weight", ("pos", "d")),
                      ("embeddings.token_type_embeddings.weight", ("types", "d")),
                      ("embeddings.LayerNorm.weight", ("d",)), ("embeddings.LayerNorm.bias", ("d",)))


def _check_memory(counts: list[int], dtype: np.dtype, path: Path) -> None:
    """Refuse weights that would not fit in the memory free now, before any is read: a file's header may
    claim tensors of any size (a sparse file costs no disk), and running out of memory ends a process
    without a word."""
    from attncli.limits import available_memory

    # what is kept, plus the largest tensor read (at most float64) and converted at the same time
    need = sum(counts) * dtype.itemsize + 2 * 8 * max(counts, default=0)
    free = available_memory()
    if free is not None and need > 0.8 * free:
        smaller = "" if dtype.itemsize == 4 else "; in float32 (--float32) it needs about half"
        raise AttncliError(f"the model's weights need about {need / 2**30:.1f} GB in {dtype.name}, and this machine "
                           f"has {free / 2**30:.1f} GB free{smaller}", origin=str(path))


class _opened:
    """safe_open with the library's own errors (a truncated or foreign file) turned into one line."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        from safetensors import safe_open

        from attncli.files import regular_file_size

        try:
            regular_file_size(self.path)  # a device, a pipe or a broken link is named, never opened
        except FileNotFoundError:
            raise AttncliError("there is no model.safetensors in the model directory", origin=str(self.path)) from None
        try:
            self._ctx = safe_open(str(self.path), framework="numpy")
            return self._ctx.__enter__()
        except Exception as e:  # safetensors raises its own SafetensorError, OSError or others
            raise AttncliError(f"not a readable safetensors file ({first_line(e)})", origin=str(self.path)) from None

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def _check_shape(f, keys: set, path: Path, key: str, shape: tuple[int, ...]) -> None:
    if key not in keys:
        raise AttncliError(f"the tensor {key} is missing", origin=str(path))
    found = tuple(f.get_slice(key).get_shape())
    if found != shape:
        raise AttncliError(f"the tensor {key} has shape {list(found)}; config.json says {list(shape)}",
                           origin=str(path))


_BF16 = "BF16"
_FLOATS = ("F16", _BF16, "F32", "F64")
_MAX_HEADER = 100_000_000  # the safetensors format's own bound on its JSON header


def _check_float(f, path: Path, key: str) -> None:
    found = f.get_slice(key).get_dtype()
    if found not in _FLOATS:
        raise AttncliError(f"the tensor {key} holds {found} values; attncli reads floating-point tensors "
                           f"({', '.join(_FLOATS)})", origin=str(path))


def _bfloat16(path: Path, key: str, rows: list[int] | None = None) -> np.ndarray:
    """A bfloat16 tensor (or some of its rows) as float32, exactly: NumPy has no bfloat16, and a bfloat16
    is the upper half of the float32 with the same value. Read by the safetensors layout (an 8-byte
    header length, a JSON header of dtype, shape and data offsets, then the data), which safe_open has
    already checked."""
    import json

    with open(path, "rb") as fh:
        length = int.from_bytes(fh.read(8), "little")
        if length > _MAX_HEADER:
            raise AttncliError("not a readable safetensors file (its header is too large)", origin=str(path))
        info = json.loads(fh.read(length))[key]
        start, _ = info["data_offsets"]
        shape = tuple(info["shape"])
        row = int(np.prod(shape[1:], dtype=np.int64)) * 2  # bytes of one row
        base = 8 + length + start
        if rows is None:
            fh.seek(base)
            raw = np.frombuffer(fh.read(int(np.prod(shape, dtype=np.int64)) * 2), dtype="<u2")
            out_shape = shape
        else:
            chunks = []
            for i in rows:
                fh.seek(base + i * row)
                chunks.append(fh.read(row))
            raw = np.frombuffer(b"".join(chunks), dtype="<u2")
            out_shape = (len(rows),) + shape[1:]
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(out_shape)


def _tensor(f, keys: set, path: Path, key: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    _check_shape(f, keys, path, key, shape)
    _check_float(f, path, key)
    try:
        array = _bfloat16(path, key) if f.get_slice(key).get_dtype() == _BF16 else f.get_tensor(key)
    except Exception as e:
        raise AttncliError(f"the tensor {key} cannot be read ({first_line(e)})", origin=str(path)) from None
    if array.dtype.kind != "f":
        raise AttncliError(f"the tensor {key} holds {array.dtype} values, not floating-point numbers",
                           origin=str(path))
    if not np.isfinite(array).all():
        raise AttncliError(f"the tensor {key} holds NaN or infinite values", origin=str(path))
    return array.astype(dtype)
