"""The scenario format, described once: every key, its kind, its shape, its help and when it is required.

The reader's passes, `attncli schema`, the `new` template's comments and the README's key list all come
from KEYS. Adding a key (say `b_Q`) starts here: the survey pass, the schema and the docs follow; only
the build pass in reader.py, which turns values into a Scenario, needs to be told what the key means.
"""

from attncli.record import Record


class Key(Record):
    """One key of a scenario mapping (or of a nested mapping such as a head or `random`)."""

    name: str
    kind: str  # text | bool | number | matrix | vector | tokens | mask | flags | integer | count_or_tokens | mapping | mappings
    help: str
    shape: str = ""  # e.g. "d_model × d_k"; empty when the kind says it all
    required_unless: tuple[str, ...] | None = None  # None: optional; (): always required; else unless a sibling is there
    excludes: tuple[str, ...] = ()  # sibling keys that cannot be combined with this one
    children: tuple["Key", ...] = ()  # the keys of a mapping (or of each mapping in a list)
    minimum: int | None = None  # integers: the smallest allowed

    @property
    def described(self) -> str:
        """'d_model × d_k: turns each embedding into a query', or the help alone."""
        return f"{self.shape}: {self.help}" if self.shape else self.help

    def child(self, name: str) -> "Key":
        return next(k for k in self.children if k.name == name)


def _projections(required_unless: tuple[str, ...] | None) -> tuple[Key, ...]:
    return (
        Key("W_Q", "matrix", "turns each embedding into a query",
            "d_model × d_k", required_unless),
        Key("W_K", "matrix", "turns each embedding into a key",
            "d_model × d_k", required_unless),
        Key("W_V", "matrix", "turns each embedding into a value",
            "d_model × d_v", required_unless),
        Key("b_Q", "vector", "added to every query: Q = X·W_Q + b_Q (as in PyTorch's nn.Linear)", "d_k"),
        Key("b_K", "vector", "added to every key: K = X·W_K + b_K", "d_k"),
        Key("b_V", "vector", "added to every value: V = X·W_V + b_V", "d_v"),
    )


_TOKENS_HELP = "one name per row; taken as written, so `on` is a word, not a boolean; duplicates allowed"

HEAD_KEYS = (Key("name", "text", "how the head is called in headings and --head"), *_projections(()))

SOURCE_KEYS = (
    Key("tokens", "tokens", _TOKENS_HELP + "; default s0, s1, …"),
    Key("embeddings", "matrix", "the encoder's rows, which give the keys and values", "n_k × d_model", ()),
)

RANDOM_KEYS = (
    Key("seed", "integer", "the same seed gives the same numbers on every machine (default 0)", minimum=0),
    Key("tokens", "count_or_tokens", "a list of names, or how many tokens (default 8: t0 … t7)", minimum=1),
    Key("d_model", "integer", "the embedding width", required_unless=(), minimum=1),
    Key("d_k", "integer", "the width of queries and keys (default d_model)", minimum=1),
    Key("d_v", "integer", "the width of values (default d_k)", minimum=1),
)

ROPE_KEYS = (
    Key("base", "number", "the base b of the angles: pair p of a row at position m turns by m·b^(−2p/d_k) "
        "(Llama uses 10000, SmolLM2 100000)", required_unless=()),
)

KEYS = (
    Key("name", "text", "the title shown above the walkthrough; default: the file's stem"),
    Key("description", "text", "shown under the title"),
    Key("tokens", "tokens", _TOKENS_HELP + "; default t0, t1, …"),
    Key("embeddings", "matrix", "one row of numbers per token", "n × d_model", ("random",)),
    *_projections(("heads", "random")),
    Key("heads", "mappings", "several heads, each with its own name, W_Q, W_K, W_V (and biases), instead of "
        "the top-level ones", excludes=("W_Q", "W_K", "W_V", "b_Q", "b_K", "b_V"), children=HEAD_KEYS),
    Key("W_O", "matrix", "mixes the concatenated heads' outputs", "(Σ d_v) × d_out"),
    Key("b_O", "vector", "added to the output after W_O", "d_out"),
    Key("source", "mapping", "cross-attention: queries come from the top-level tokens, keys and values from "
        "these rows (the encoder)", children=SOURCE_KEYS),
    Key("mask", "mask", "false, true or causal (query i sees keys j ≤ i), or an n_q × n_k matrix of 0/1 "
        "(1 = may attend, like a boolean attn_mask in PyTorch)"),
    Key("key_padding", "flags", "one 0/1 per key; 1 = padding: nobody attends to that key", "n_k"),
    Key("scale", "bool", "divide the scores by √d_k, as the paper does (default true)"),
    Key("color_values", "bool", "value rows are red, green, blue in [0, 1]: shown as paint (needs d_v = 3)"),
    Key("rope", "mapping", "rotary position embedding (RoPE): after the projection, each query and key row "
        "is rotated by its position 0, 1, …, so q·k depends on positions only through their difference "
        "(needs an even d_k; self-attention only)", excludes=("source",), children=ROPE_KEYS),
    Key("random", "mapping", "draw embeddings ~ N(0, 1) and weights ~ N(0, 1/d_model) instead of writing them, "
        "so q·k has variance ≈ d_k", excludes=("embeddings", "tokens", "W_Q", "W_K", "W_V", "b_Q", "b_K", "b_V",
                                               "W_O", "b_O", "heads", "source"), children=RANDOM_KEYS),
)


def names(keys: tuple[Key, ...] = KEYS) -> tuple[str, ...]:
    return tuple(k.name for k in keys)


def find(name: str, keys: tuple[Key, ...] = KEYS) -> Key:
    return next(k for k in keys if k.name == name)


def markdown_list() -> str:
    """The README's list of keys, generated (a test keeps the README equal to it)."""
    lines = []
    for key in KEYS:
        lines.append(f"- `{key.name}`{_required_words(key)}: {key.described}.")
        for child in key.children:
            lines.append(f"  - `{child.name}`{_required_words(child)}: {child.described}.")
    return "\n".join(lines)


def _required_words(key: Key) -> str:
    if key.required_unless is None:
        return ""
    if not key.required_unless:
        return " (required)"
    return f" (required unless {' or '.join(key.required_unless)} is given)"
