"""A loaded decoder (Llama from GGUF): config, tokenizer and lazily dequantised weights, ready to run on a text.

Weights are dequantised layer by layer as a pass needs them, so a forward pass holds one layer's
feed-forward at a time; generation holds every layer (it runs them all at each new token).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attncli.errors import AttncliError
from attncli.pretrained.config import ModelShape
from attncli.pretrained.forward import ModelRun
from attncli.pretrained.gguf_file import GGUFFile
from attncli.pretrained.gguf_tokens import GGUFTokenizer
from attncli.pretrained.llama import (LlamaConfig, LlamaLayer, VOCAB_CHUNK, check_tensors, decoder_layer, read_config,
                                      Widen, read_layer, rms_norm, tensor_shapes)

MB = 1 << 20


class DecoderModel(ModelShape):
    """A Llama-architecture causal language model read from a GGUF file."""

    causal = True

    def __init__(self, name: str, path: Path, dtype=np.float64):
        self.name, self.path, self.dtype = name, Path(path), np.dtype(dtype)
        self.file = GGUFFile(self.path)
        self.config: LlamaConfig = read_config(self.file)
        self.output_name = check_tensors(self.file, self.config)
        self.tokenizer = GGUFTokenizer(self.file.fields, str(self.path), self.config.context_length)
        self._layers: dict[int, LlamaLayer] = {}  # every layer once hold_weights has run, else none
        self._output: np.ndarray | None = None
        self.widen = Widen(self.dtype)  # float32 weights → self.dtype, one product at a time

    def kv_head(self, head: int) -> int:
        return self.config.kv_head(head)

    def tokenize(self, text: str) -> tuple[str, ...]:
        """The tokens the model sees for text, the BOS token first."""
        return self.tokenizer.encode(text).tokens

    # ---- weights ---------------------------------------------------------------------------------

    def layer(self, i: int) -> LlamaLayer:
        """Layer i's weights: held ones when hold_weights ran, else dequantised now as float32."""
        found = self._layers.get(i)
        return read_layer(self.file, self.config, i) if found is None else found

    def hold_weights(self) -> None:
        """Dequantise every layer and the output matrix once, into one block of float32 (Widen reads it as float64).

        For passes that read every layer many times (generation, the induction lesson). One block, not
        270 arrays: fresh memory costs a page fault per page, and a large block gets large pages. Two
        threads fill it: NumPy lets go of the interpreter inside each step, and on a virtual machine
        the first touch of fresh memory, not the arithmetic, takes most of the time.
        """
        from concurrent.futures import ThreadPoolExecutor

        if self._output is not None:
            return
        layer_size = self._size(n for n in tensor_shapes(self.config) if n.startswith("blk.0."))
        block = np.empty(self.held_bytes() // 4, dtype=np.float32)

        def load(i: int):
            taken = i * layer_size

            def empty(shape):  # layer i's part of the block, handed out in the order read_layer asks
                nonlocal taken
                start, taken = taken, taken + int(np.prod(shape))
                return block[start:taken].reshape(shape)

            if i < self.config.n_layers:
                return read_layer(self.file, self.config, i, empty)
            return self.file.tensor(self.output_name, out=empty(self.file.info(self.output_name).shape))

        pool = ThreadPoolExecutor(max_workers=2)
        try:
            *layers, output = pool.map(load, range(self.config.n_layers + 1))
        finally:  # a bad tensor stops the loading, not only the result
            pool.shutdown(cancel_futures=True)
        self._layers = dict(enumerate(layers))
        self._output = output

    def _size(self, names) -> int:
        return sum(int(np.prod(self.file.info(n).shape)) for n in names)

    def held_bytes(self) -> int:
        """The memory hold_weights takes."""
        names = [name for name in tensor_shapes(self.config) if name.startswith("blk.")] + [self.output_name]
        return self._size(names) * 4  # float32

    def embed(self, ids) -> np.ndarray:
        """The token embeddings of ids, (n, d_model): only those rows are dequantised."""
        return self.file.tensor("token_embd.weight", rows=list(ids)).astype(self.dtype)

    def logits(self, hidden: np.ndarray) -> np.ndarray:
        """Final RMSNorm, then scores against every vocabulary entry: (n, vocab), in a few blocks of rows."""
        x = rms_norm(hidden, self.file.tensor("output_norm.weight").astype(self.dtype), self.config.rms_eps)
        vocab = self.config.vocab_size
        out = np.empty((x.shape[0], vocab), dtype=self.dtype)
        for start in range(0, vocab, VOCAB_CHUNK):
            stop = min(vocab, start + VOCAB_CHUNK)
            rows = self._output[start:stop] if self._output is not None else \
                self.file.tensor(self.output_name, rows=range(start, stop))
            out[:, start:stop] = self.widen.product(x, rows.T)
        return out

    def check_memory(self, n: int, keep_steps: bool = True, hold: bool = False) -> None:
        """Refuse, before allocating, a pass that needs more memory than is free (hold: with hold_weights)."""
        from attncli.limits import available_memory

        c = self.config
        item = self.dtype.itemsize
        one_layer = 4 * (2 * c.d_model * c.d_model + 2 * c.d_model * c.n_kv_heads * c.d_head + 3 * c.d_model * c.d_ff)
        weights = self.held_bytes() if hold or self._output is not None else one_layer * 3
        steps = c.n_layers * c.n_heads * n * n * item * 5 if keep_steps else 0  # scores, scaled, masked, weights
        vectors = c.n_layers * n * (c.d_model * 8 + c.d_ff * 3) * item
        output = VOCAB_CHUNK * c.d_model * (4 + item) + n * c.vocab_size * item
        need = weights + steps + vectors + output
        free = available_memory()
        if free is not None and need > 0.8 * free:  # as for an encoder's weights: room left for the rest
            raise AttncliError(f"running {self.name} on {n} tokens needs about {need // MB:,} MB of memory, and "
                               f"{free // MB:,} MB is free (attncli uses at most 80 %): give a shorter text")

    # ---- forward ---------------------------------------------------------------------------------

    def forward(self, ids, *, logits: bool = False, zeroed=frozenset()) -> tuple[np.ndarray, tuple, np.ndarray | None]:
        """Every layer on ids from position 0: (embeddings, layers, logits or None).

        zeroed: (layer, head) pairs whose output A·V is replaced by zeros before W_O (an ablation).
        """
        self.check_memory(len(ids))
        x = self.embed(ids)
        embeddings = x
        positions = np.arange(len(ids))
        layers = []
        for i in range(self.config.n_layers):
            run, _ = decoder_layer(i, x, self.layer(i), self.config, positions, self.widen, zeroed=zeroed)
            layers.append(run)
            x = run.output
        return embeddings, tuple(layers), self.logits(x) if logits else None

    def run(self, text: str, *, logits: bool = False) -> ModelRun:
        """The forward pass on text (BOS first), with every layer's and head's intermediate steps."""
        encoded = self.tokenizer.encode(text)
        embeddings, layers, scores = self.forward(encoded.ids, logits=logits)
        return ModelRun(model=self.name, text=text, tokens=encoded.tokens, ids=encoded.ids, embeddings=embeddings,
                        layers=layers, causal=True, logits=scores)

    def run_ids(self, ids, *, logits: bool = False, zeroed=frozenset(), text: str = "") -> ModelRun:
        """The forward pass on given token ids (the caller chose them, BOS included)."""
        ids = tuple(int(i) for i in ids)
        embeddings, layers, scores = self.forward(ids, logits=logits, zeroed=zeroed)
        tokens = tuple(self.tokenizer.token(i) for i in ids)
        return ModelRun(model=self.name, text=text, tokens=tokens, ids=ids, embeddings=embeddings, layers=layers,
                        causal=True, logits=scores)


def load_decoder(path: Path, name: str | None = None, dtype=np.float64) -> DecoderModel:
    """A GGUF file → DecoderModel, after checking its header, metadata, tensors and tokenizer."""
    import importlib.util

    missing = [lib for lib in ("gguf", "tokenizers") if importlib.util.find_spec(lib) is None]
    if missing:
        raise AttncliError(f"running a GGUF model needs {' and '.join(missing)}: pip install {' '.join(missing)}")
    return DecoderModel(name or Path(path).name, path, dtype)
