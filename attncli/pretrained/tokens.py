"""Text → the model's tokens, by the Hugging Face `tokenizers` library, without padding or truncation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from attncli.checks import first_line
from attncli.errors import AttncliError
from attncli.pretrained.config import BertConfig


@dataclass(frozen=True)
class Tokenized:
    """The tokens of one text as the model sees them, [CLS] and [SEP] included."""

    tokens: tuple[str, ...]
    ids: tuple[int, ...]
    type_ids: tuple[int, ...]


class ModelTokenizer:
    """tokenizer.json when the model has one, else a WordPiece tokenizer built from vocab.txt."""

    def __init__(self, directory: Path, config: BertConfig):
        self.config = config
        json_path, vocab_path = directory / "tokenizer.json", directory / "vocab.txt"
        if json_path.is_file():
            self.source = json_path
            self._tok = _from_json(json_path)
        elif vocab_path.is_file():
            self.source = vocab_path
            self._tok = _from_vocab(vocab_path, _lowercase(directory / "tokenizer_config.json"))
        else:
            raise AttncliError("there is neither a tokenizer.json nor a vocab.txt in the model directory",
                               origin=str(directory))
        # A saved tokenizer.json may pad every text to a fixed length (all-MiniLM-L6-v2's pads to 128)
        # and cut long ones: both would silently change the sentence the learner gave.
        self._tok.no_padding()
        self._tok.no_truncation()
        self._template = len(self._tok.encode("").ids)

    def encode(self, text: str) -> Tokenized:
        """The tokens of text, or an AttncliError for empty text or text longer than the model reads."""
        enc = self._tok.encode(text)
        if not text.strip() or len(enc.ids) <= self._template:
            raise AttncliError("the text is empty: give at least one word")
        limit = self.config.max_position_embeddings
        if len(enc.ids) > limit:
            raise AttncliError(f"the text is {len(enc.ids)} tokens long with [CLS] and [SEP]; "
                               f"this model reads at most {limit}")
        bad = [i for i in enc.ids if i >= self.config.vocab_size]
        if bad:
            raise AttncliError(f"the tokenizer gives token id {bad[0]}, beyond the model's vocab_size "
                               f"{self.config.vocab_size}: tokenizer and weights do not belong together",
                               origin=str(self.source))
        if any(t >= self.config.type_vocab_size for t in enc.type_ids):
            raise AttncliError("the tokenizer gives a token type the model has no embedding for",
                               origin=str(self.source))
        # A vocabulary is a downloaded file, and the text may hold anything: tokens are shown, never obeyed.
        from attncli.safe_text import visible

        return Tokenized(tokens=tuple(visible(t) for t in enc.tokens), ids=tuple(enc.ids), type_ids=tuple(enc.type_ids))


def _from_json(path: Path):
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_file(str(path))
    except Exception as e:  # tokenizers raises a bare Exception for malformed files
        raise AttncliError(f"not a readable tokenizer file ({first_line(e)})", origin=str(path)) from None


def _from_vocab(path: Path, lowercase: bool):
    from tokenizers import BertWordPieceTokenizer
    from tokenizers.models import WordPiece

    try:
        # read the vocabulary first: building from a file name is deprecated in tokenizers
        return BertWordPieceTokenizer(WordPiece.read_file(str(path)), lowercase=lowercase)
    except Exception as e:  # a vocab without [CLS]/[SEP], or not text
        raise AttncliError(f"not a usable WordPiece vocabulary ({first_line(e)})", origin=str(path)) from None


def _lowercase(path: Path) -> bool:
    """do_lower_case from tokenizer_config.json; BERT's tokenizer lowercases when it is not given."""
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("do_lower_case", True)
    except (OSError, ValueError, AttributeError):
        return True
    return value if isinstance(value, bool) else True
