"""Text → the model's tokens, by the Hugging Face `tokenizers` library, without padding or truncation."""

from __future__ import annotations

import os
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
        # lexists, not is_file: a broken link or a device under these names is refused by name, not passed over
        if os.path.lexists(json_path):
            self.source = json_path
            self._tok = _from_json(json_path)
        elif os.path.lexists(vocab_path):
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
        from attncli import limits
        from attncli.safe_text import visible

        if not isinstance(text, str):
            raise AttncliError(f"the text should be a string (str), not {type(text).__name__}")
        most = limits.max_model_text(self.config.max_position_embeddings)
        if len(text) > most:  # before tokenizing: 5 MB of text takes the tokenizer 6 s and 1 GB
            raise AttncliError(f"the text is {len(text):,} characters long; for a model that reads at most "
                               f"{self.config.max_position_embeddings} tokens, attncli takes at most {most:,}")
        bad = next((c for c in text if "\ud800" <= c <= "\udfff"), None)
        if bad is not None:  # a byte of the command line that was not UTF-8, which Python keeps as a surrogate
            raise AttncliError(f"the text holds {visible(bad)}, which is not a character: give the text as UTF-8")
        try:
            enc = self._tok.encode(text)
        except Exception as e:  # the library's own refusal, whatever its type
            raise AttncliError(f"the tokenizer cannot read this text ({first_line(e)})", origin=str(self.source)) from None
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
        return Tokenized(tokens=tuple(visible(t) for t in enc.tokens), ids=tuple(enc.ids), type_ids=tuple(enc.type_ids))


def _read(path: Path) -> str:
    """A tokenizer file's text, read within the model-file limit (see files.read_file_bounded)."""
    from attncli import limits
    from attncli.files import read_file_bounded

    data = read_file_bounded(path, limits.max_model_file_bytes(), limits.MODEL_FILE_ENV)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise AttncliError(f"not UTF-8 text (byte 0x{data[e.start]:02x})", origin=str(path), line=line) from None


def _from_json(path: Path):
    from tokenizers import Tokenizer

    text = _read(path)
    try:
        return Tokenizer.from_str(text)
    except Exception as e:  # tokenizers raises a bare Exception for malformed files
        raise AttncliError(f"not a readable tokenizer file ({first_line(e)})", origin=str(path)) from None


# What Rust's str::trim_end removes (char::is_whitespace), as WordPiece.read_file does to each line;
# str.rstrip() would also remove U+001C–U+001F.
_RUST_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
                   "\u200a\u2028\u2029\u202f\u205f\u3000"


def vocabulary(text: str) -> dict[str, int]:
    """vocab.txt → {token: id}, as the tokenizers library's WordPiece.read_file: one token a line, id = line number."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return {line.rstrip(_RUST_WHITESPACE): index for index, line in enumerate(lines)}


def _from_vocab(path: Path, lowercase: bool):
    from tokenizers import BertWordPieceTokenizer

    vocab = vocabulary(_read(path))
    try:
        return BertWordPieceTokenizer(vocab, lowercase=lowercase)
    except Exception as e:  # a vocab without [CLS]/[SEP]
        raise AttncliError(f"not a usable WordPiece vocabulary ({first_line(e)})", origin=str(path)) from None


def _lowercase(path: Path) -> bool:
    """do_lower_case from tokenizer_config.json; BERT's tokenizer lowercases when it is not given."""
    if not os.path.lexists(path):
        return True
    from attncli.files import parse_json

    settings = parse_json(_read(path), str(path))
    value = settings.get("do_lower_case", True) if isinstance(settings, dict) else True
    return value if isinstance(value, bool) else True
