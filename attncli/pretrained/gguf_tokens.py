"""Text → a GGUF model's tokens: a byte-level BPE tokenizer built with `tokenizers` from the file's vocabulary and merges."""

from __future__ import annotations

from attncli.errors import AttncliError
from attncli.pretrained.tokens import Tokenized

CONTROL = 3  # tokenizer.ggml.token_type of a special token such as <|im_start|>


class GGUFTokenizer:
    """The file's byte-level BPE; encode() prepends the BOS token, as the model was trained to read."""

    def __init__(self, fields: dict, origin: str, context_length: int):
        from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

        self.origin, self.context_length = origin, context_length
        kind = fields.get("tokenizer.ggml.model")
        if kind != "gpt2":
            raise AttncliError(f"the tokenizer is {kind!r}; attncli builds byte-level BPE tokenizers "
                               "(tokenizer.ggml.model \"gpt2\") from GGUF files", origin=origin)
        tokens, merges = fields.get("tokenizer.ggml.tokens"), fields.get("tokenizer.ggml.merges")
        if not isinstance(tokens, list) or not tokens or not isinstance(merges, list):
            raise AttncliError("the file has no tokenizer.ggml.tokens and tokenizer.ggml.merges", origin=origin)
        pairs = [tuple(m.split(" ")) for m in merges]
        if any(len(p) != 2 for p in pairs):
            raise AttncliError("a merge in tokenizer.ggml.merges is not two tokens separated by a space",
                               origin=origin)
        self.vocab = tokens
        bos = fields.get("tokenizer.ggml.bos_token_id", 1)
        if not isinstance(bos, int) or not 0 <= bos < len(tokens):
            raise AttncliError(f"tokenizer.ggml.bos_token_id is {bos!r}, not a token of the vocabulary", origin=origin)
        eos = fields.get("tokenizer.ggml.eos_token_id")
        self.bos, self.eos = bos, eos if isinstance(eos, int) and 0 <= eos < len(tokens) else None
        tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=pairs))
        byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        if fields.get("tokenizer.ggml.pre") == "smollm":  # llama.cpp's and SmolLM2's own: digits one by one
            tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
        else:
            tok.pre_tokenizer = byte_level
        tok.decoder = decoders.ByteLevel()
        kinds = fields.get("tokenizer.ggml.token_type") or []
        special = [AddedToken(t, special=True, normalized=False) for t, k in zip(tokens, kinds) if k == CONTROL]
        if special:
            tok.add_special_tokens(special)
        self._tok = tok

    def encode(self, text: str) -> Tokenized:
        """BOS + the text's tokens, or an AttncliError for empty text or text past the context length."""
        from attncli import limits
        from attncli.safe_text import visible

        if not isinstance(text, str):
            raise AttncliError(f"the text should be a string (str), not {type(text).__name__}")
        most = limits.max_model_text(self.context_length)
        if len(text) > most:  # before tokenizing, which takes seconds and memory on megabytes of text
            raise AttncliError(f"the text is {len(text):,} characters long; for a model that reads at most "
                               f"{self.context_length} tokens, attncli takes at most {most:,}")
        bad = next((c for c in text if "\ud800" <= c <= "\udfff"), None)
        if bad is not None:  # a byte of the command line that was not UTF-8, which Python keeps as a surrogate
            raise AttncliError(f"the text holds {visible(bad)}, which is not a character: give the text as UTF-8")
        if not text.strip():
            raise AttncliError("the text is empty: give at least one word")
        ids = (self.bos,) + tuple(self._tok.encode(text, add_special_tokens=False).ids)
        if len(ids) > self.context_length:
            raise AttncliError(f"the text is {len(ids)} tokens long with {self.token(self.bos)}; "
                               f"this model reads at most {self.context_length}")
        return Tokenized(tokens=tuple(self.token(i) for i in ids), ids=ids, type_ids=(0,) * len(ids))

    def encode_plain(self, text: str) -> tuple[int, ...]:
        """The ids of text alone: no BOS, no checks."""
        return tuple(self._tok.encode(text, add_special_tokens=False).ids)

    def token(self, token_id: int) -> str:
        """How a token is shown: its text without the leading space, control characters made visible."""
        from attncli.safe_text import visible

        text = self._tok.decode([token_id], skip_special_tokens=False)
        shown = text.strip()
        if not shown:
            shown = "␣" * len(text) if text and set(text) == {" "} else (text or self.vocab[token_id])
        return visible(shown)

    def decode(self, ids) -> str:
        """The text the ids spell (special tokens included), control characters left for the caller to show."""
        return self._tok.decode(list(ids), skip_special_tokens=False)
