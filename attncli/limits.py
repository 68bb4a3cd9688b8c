"""Size limits that keep a hostile or mistaken file from eating the machine; each can be raised."""

from __future__ import annotations

import os

FILE_ENV = "ATTNCLI_MAX_FILE_BYTES"
CELLS_ENV = "ATTNCLI_MAX_CELLS"

_DEFAULT_FILE_BYTES = 5_000_000
_DEFAULT_CELLS = 4_000_000  # numbers in one scenario: about 32 MB of float64
_MAX_TOKENS = 100_000  # entries in any one list; the n×n weights are bounded by max_cells too
_MAX_DIM = 100_000
_MAX_TEXT = 1_000  # characters in a token, a name or a key: longer is not a label, and slows every table
_MAX_PROSE = 10_000  # characters in a description
_MAX_HEADS = 256  # a real layer has at most 128; each head is a page of the walk-through
_MAX_NUMBER_DIGITS = 300  # digits of one integer in a JSON file: 10^309 overflows a float; int() refuses 4,300
_MAX_ANSWERS = 10_000  # answers in one answer file: a sheet asks a few dozen questions
_MAX_TRIES = 50  # lines in a row without an answer to one quiz question (hints, typos) before the quiz stops
_MAX_ANSWER_CHARS = 10_000  # characters read of one typed or piped quiz line; the rest of the line is skipped
_MAX_HAND_KEYS = 2_000  # keys a hand calculation (--focus, --tiled) writes out term by term
MODEL_FILE_ENV = "ATTNCLI_MAX_MODEL_FILE_BYTES"
# A tokenizer.json or vocab.txt: BERT's are under 2 MB, Llama 3's is 9 MB; a 50 MB vocabulary takes the
# tokenizer library 11 s and 800 MB to build.
_DEFAULT_MODEL_FILE_BYTES = 16_000_000
_TEXT_PER_POSITION = 100  # characters of a model's TEXT per position it reads: a longer word is one [UNK] anyway
_MAX_SET_SENTENCES = 500  # sentences in a labelled set (attncli patterns): each is a run of the model
_MAX_SET_PAIRS = 20  # labelled pairs of one kind in one sentence
OUTPUT_ENV = "ATTNCLI_MAX_OUTPUT_BYTES"
_DEFAULT_OUTPUT_BYTES = 50_000_000  # JSON or markdown of one view, estimated before it is written


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def max_file_bytes() -> int:
    return _env_int(FILE_ENV, _DEFAULT_FILE_BYTES)


def max_model_file_bytes() -> int:
    """A model folder's tokenizer files; its config is a settings file, bounded by max_file_bytes."""
    return _env_int(MODEL_FILE_ENV, _DEFAULT_MODEL_FILE_BYTES)


def max_model_text(positions: int) -> int:
    """Characters of text tokenized for a model that reads `positions` tokens, checked before tokenizing."""
    return _TEXT_PER_POSITION * positions


def max_cells() -> int:
    return _env_int(CELLS_ENV, _DEFAULT_CELLS)


def _fixed(value: int):
    """A limit the environment does not change, read as the others are."""
    return lambda: value


max_tokens = _fixed(_MAX_TOKENS)
max_dim = _fixed(_MAX_DIM)
max_heads = _fixed(_MAX_HEADS)
max_number_digits = _fixed(_MAX_NUMBER_DIGITS)
max_answers = _fixed(_MAX_ANSWERS)
max_tries = _fixed(_MAX_TRIES)
max_answer_chars = _fixed(_MAX_ANSWER_CHARS)
max_hand_keys = _fixed(_MAX_HAND_KEYS)
max_set_sentences = _fixed(_MAX_SET_SENTENCES)
max_set_pairs = _fixed(_MAX_SET_PAIRS)


def max_text(multiline: bool = False) -> int:
    return _MAX_PROSE if multiline else _MAX_TEXT


def max_output_bytes() -> int:
    return _env_int(OUTPUT_ENV, _DEFAULT_OUTPUT_BYTES)


def available_memory() -> int | None:
    """Bytes of memory free for a new allocation (MemAvailable on Linux, or a container's smaller
    cgroup allowance); None where unknown."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            found += [int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f, \
                open("/sys/fs/cgroup/memory.current", encoding="ascii") as g:
            ceiling = f.read().strip()
            if ceiling != "max":
                found.append(int(ceiling) - int(g.read().strip()))
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def describe_size_limits() -> str:
    return (
        f"attncli reads at most {max_cells():,} numbers per scenario and {_MAX_TOKENS:,} rows or columns "
        f"per matrix (raise the first with {CELLS_ENV}=<count>)"
    )


MAX_ROWS = 40  # rows of a table shown before the middle ones are elided


def check_hand_keys(n_k: int, flag: str | None) -> None:
    """A hand calculation writes a term per key: refuse, before any work, one too long to read."""
    from attncli.errors import UsageError

    if flag is not None and n_k > max_hand_keys():
        raise UsageError(f"{flag}: writing a row out by hand takes a term per key, and this scenario has {n_k:,} keys; "
                         f"attncli writes it for at most {max_hand_keys():,} keys (the view without {flag} "
                         "shows every step)")
