"""A loaded decoder (Llama from GGUF): config, tokenizer and lazily dequantised weights, ready to run on a text.

Weights are dequantised layer by layer as a pass needs them, so a forward pass holds one layer's
feed-forward at a time; generation keeps every layer (it runs them all at each new token).
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
                                      read_layer, rms_norm)

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
        self._layers: dict[int, LlamaLayer] = {}
        self._output: np.ndarray | None = None
        self.keep_weights = False  # generation sets it: every layer is read again at each new token

    def kv_head(self, head: int) -> int:
        return self.config.kv_head(head)

    def tokenize(self, text: str) -> tuple[str, ...]:
        """The tokens the model sees for text, the BOS token first."""
        return self.tokenizer.encode(text).tokens

    # ---- weights ---------------------------------------------------------------------------------

    def layer(self, i: int) -> LlamaLayer:
        found = self._layers.get(i)
        if found is None:
            found = read_layer(self.file, self.config, i)
            if self.keep_weights:  # converted once, not at every token
                found = LlamaLayer(**{k: v.astype(self.dtype) for k, v in vars(found).items()})  # keeps the layout
                self._layers[i] = found
        return found

    def embed(self, ids) -> np.ndarray:
        """The token embeddings of ids, (n, d_model): only those rows are dequantised."""
        return self.file.tensor("token_embd.weight", rows=list(ids)).astype(self.dtype)

    def logits(self, hidden: np.ndarray) -> np.ndarray:
        """Final RMSNorm, then scores against every vocabulary entry: (n, vocab), in a few blocks of rows."""
        x = rms_norm(hidden, self.file.tensor("output_norm.weight").astype(self.dtype), self.config.rms_eps)
        vocab = self.config.vocab_size
        if self.keep_weights:
            if self._output is None:
                self._output = self.file.tensor(self.output_name).astype(self.dtype)
            return x @ self._output.T
        out = np.empty((x.shape[0], vocab), dtype=self.dtype)
        for start in range(0, vocab, VOCAB_CHUNK):
            rows = self.file.tensor(self.output_name, rows=range(start, min(vocab, start + VOCAB_CHUNK)))
            out[:, start:start + rows.shape[0]] = x @ rows.T.astype(self.dtype, copy=False)
        return out

    def check_memory(self, n: int, keep_steps: bool = True) -> None:
        """Refuse, before allocating, a pass that needs more memory than is free."""
        from attncli.limits import available_memory

        c = self.config
        item = self.dtype.itemsize
        one_layer = 4 * (2 * c.d_model * c.d_model + 2 * c.d_model * c.n_kv_heads * c.d_head + 3 * c.d_model * c.d_ff)
        kept = 4 * (2 * c.d_model * c.d_model + 2 * c.d_model * c.n_kv_heads * c.d_head) * c.n_layers
        steps = c.n_layers * c.n_heads * n * n * item * 5 if keep_steps else 0  # scores, scaled, masked, weights
        vectors = c.n_layers * n * (c.d_model * 8 + c.d_ff * 3) * item
        output = VOCAB_CHUNK * c.d_model * (4 + item) + n * c.vocab_size * item
        need = one_layer * 3 + kept + steps + vectors + output
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
            run, _, _ = decoder_layer(i, x, self.layer(i), self.config, positions, zeroed=zeroed)
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
