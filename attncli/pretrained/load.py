"""A loaded model: config, weights and tokenizer together, ready to run on a text."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attncli.errors import AttncliError
from attncli.pretrained.config import BertConfig, ModelShape, read_config
from attncli.pretrained.forward import ModelRun, forward
from attncli.pretrained.locate import is_gguf_ref, locate, locate_gguf, require_libraries
from attncli.pretrained.tokens import ModelTokenizer
from attncli.pretrained.weights import BertWeights, read_weights


class Model(ModelShape):
    """A BERT encoder read from a Hugging Face model directory."""

    causal = False

    def __init__(self, name: str, directory: Path, config: BertConfig, weights: BertWeights,
                 tokenizer: ModelTokenizer, dtype):
        self.name = name
        self.directory = directory
        self.config = config
        self.weights = weights
        self.tokenizer = tokenizer
        self.dtype = np.dtype(dtype)

    def tokenize(self, text: str) -> tuple[str, ...]:
        """The tokens the model sees for text, [CLS] and [SEP] included."""
        return self.tokenizer.encode(text).tokens

    def run(self, text: str) -> ModelRun:
        """The forward pass on text, with every layer's and head's intermediate steps."""
        from attncli.safe_text import visible

        encoded = self.tokenizer.encode(text)
        with np.errstate(over="ignore", invalid="ignore"):  # forward names the first step that overflows
            embeddings, layers = forward(self.weights, self.config, encoded.ids, encoded.type_ids, self.dtype)
        # the text is shown in titles and exports, on one line: its control characters shown, never obeyed
        return ModelRun(model=self.name, text=visible(text), tokens=encoded.tokens, ids=encoded.ids,
                        embeddings=embeddings, layers=layers)


def load_model(ref: str | None = None, dtype=np.float64):
    """A model, encoder or decoder, behind one interface (see attncli.pretrained).

    ref: None or "minilm" (the installed all-MiniLM-L6-v2), "smollm2" (the installed SmolLM2-135M-Instruct),
    a GGUF file (a Llama decoder), a model directory or a hub id (a BERT encoder).
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise AttncliError(f"a model runs in float64 or float32, not {dtype}")
    if is_gguf_ref(ref):
        from attncli.pretrained.decoder import load_decoder

        path, name = locate_gguf(ref)
        return load_decoder(path, name, dtype)
    require_libraries()
    directory, name = locate(ref)
    config = read_config(directory / "config.json")
    tokenizer = ModelTokenizer(directory, config)
    weights = read_weights(directory / "model.safetensors", config, dtype)
    return Model(name, directory, config, weights, tokenizer, dtype)


def run_text(text: str, ref: str | None = None, float32: bool = False):
    """The model ref (default: the installed MiniLM) run on text, in float32 or float64."""
    return load_model(ref, np.float32 if float32 else np.float64).run(text)


def weights_and_tokens(text: str, ref: str | None = None, dtype=np.float64) -> tuple[np.ndarray, tuple[str, ...]]:
    """(every head's attention weights (layers, heads, n, n), the n tokens) of a model on text, encoder or decoder."""
    run = load_model(ref, dtype).run(text)
    return run.weights, run.tokens
