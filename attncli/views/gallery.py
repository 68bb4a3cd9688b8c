"""What `attncli model TEXT` shows without --layer/--head: every head of every layer as a small heatmap, labelled."""

from __future__ import annotations

import numpy as np

from attncli.views import JSON_NUMBER, Bullets, Grid, HeadGrid, HeadTile, Page, Paragraph, Title, View, matrix_json

SHORT = {"previous": "prev", "next": "next", "self": "self", "first": "first", "sep": "[SEP]",
         "punctuation": "punct", "coreference": "coref", "agreement": "agree", "broad": "broad"}
MEASURED = ("coreference", "agreement")  # labels that come from `attncli patterns`, not from this sentence
LABEL_WIDTH = 6  # characters of a token kept on the rows' axis
# One screen: the lines a gallery's heads may take. Files (markdown, HTML, text) have no screen height, so
# every format takes the same budget, about a laptop's full-height terminal or a projector's screen.
GALLERY_LINES = 50
# A layer of thumbnails takes a line of labels and, unless the text has only a few tokens or the layer very
# many heads, at least two lines of heatmap (80 to 120 columns give 2 to 6).
LAYER_LINES = 3
LISTED = 40  # a kind's heads are all named up to this many (MiniLM's lists); a longer list names its first NAMED
NAMED = 8
KEYS = {"previous": "the token before", "next": "the token after", "self": "the query's own token",
        "first": "token 0", "sep": "the [SEP] tokens", "punctuation": "the punctuation tokens"}
# A label with a number, where the words do not fit 80 columns (9 heads); the others are five letters at most.
LETTER = {"previous": "p", "next": "n", "self": "s", "first": "f", "sep": "S", "punctuation": "P"}


def one_row_per_layer(n_layers: int) -> bool:
    """Whether the gallery is a table of one text row per layer: the thumbnails would take more than a screen."""
    return n_layers * LAYER_LINES > GALLERY_LINES


def tokens_line(tokens) -> str:
    """The tokens as the model sees them, each with its position from 0."""
    return (f"{len(tokens)} tokens as the model sees them, numbered from 0: "
            + "  ".join(f"{i} {t}" for i, t in enumerate(tokens)))


def abbreviate(token: str, width: int = LABEL_WIDTH) -> str:
    return token if len(token) <= width else token[:width - 1] + "…"


def initial(token: str) -> str:
    """One character for a key's column: [CLS] → C, [SEP] → S, ##ing → i."""
    text = token.strip("[]#") or token
    return text[0] if text[0].isprintable() and not text[0].isspace() else "?"


def kind_words(kind: str, kinds: dict, tokens, causal: bool = False) -> str:
    words = "no one pattern gets half of the weight" if kind == "broad" else kinds[kind]
    if kind == "first" and causal and tokens:
        return f"{words}, the attention sink {tokens[0]}"
    return f"{words}, the [CLS] sink" if kind == "first" and tokens and tokens[0] == "[CLS]" else words


WEIGHT_ROW_DEPTH = 5  # a number of the JSON's weights: document → heads → a head → weights → a row


def view(*, model: str, text: str, tokens, heads, kinds: dict, threshold: float, causal: bool = False,
         kv_heads: dict | None = None) -> View:
    """heads: (layer, head, kind, weights) for every head, in layer then head order.

    causal: a decoder's run (row 0 left out of the labels' averages); kv_heads: head → its key/value head.
    """
    n_layers = len({layer for layer, *_ in heads})
    table = one_row_per_layer(n_layers)
    if table:
        shown = layer_table(heads, tokens, causal,
                            f"All {len(heads)} heads, a row per layer: pattern and the weight that earned it")
    else:
        tiles = tuple(HeadTile(f"L{layer}H{head}", SHORT[kind], weights, layer, head)
                      for layer, head, kind, weights in heads)
        shown = HeadGrid(tuple(abbreviate(t) for t in tokens), tuple(initial(t) for t in tokens), tiles,
                         f"All {len(heads)} heads ({n_layers} layer{'s' if n_layers != 1 else ''}): rows are "
                         "queries, columns keys")
    found, cut = [], False
    for kind in kinds:
        names = [f"L{layer}H{head}" for layer, head, k, _ in heads if k == kind]
        if names:
            found.append(f"{SHORT[kind]}: {kind_words(kind, kinds, tokens, causal)}; {named(names)}")
            cut = cut or len(names) > LISTED
    blocks = (Title(f"{model}: every head on your sentence", text),
              Paragraph(tokens_line(tokens)),
              shown,
              Paragraph(labels_note(heads, threshold, causal, table), "note"),
              Bullets(tuple(found)),
              Paragraph("One head step by step: attncli model TEXT --layer L --head H; which heads link two "
                        "words: --link FROM TO" + ("; every head's kind: --format json." if cut else "."), "note"))

    def document() -> dict:
        if not causal:
            return {"model": model, "tokens": list(tokens),
                    "heads": [{"layer": layer, "head": head, "kind": kind, "weights": matrix_json(weights)}
                              for layer, head, kind, weights in heads]}
        return {"model": model, "tokens": list(tokens), "causal": True,
                "heads": [{"layer": layer, "head": head, "kv_head": kv_heads[head], "kind": kind,
                           "weights": matrix_json(weights)} for layer, head, kind, weights in heads]}

    numbers = sum(weights.size for _, _, _, weights in heads)  # each as deliver.json_bytes counts it
    return View(f"{model}: all heads", (Page("All heads", blocks),), document,
                document_bytes=numbers * (2 * WEIGHT_ROW_DEPTH + JSON_NUMBER))


def labels_note(heads, threshold: float, causal: bool, table: bool) -> str:
    """What the labels mean; in the table, what its numbers are; in a causal model, why row 0 does not count."""
    words = (f"Each head is labelled by the pattern that gets, on average over its rows, at least {threshold:g} of "
             "the weight; broad: none does.")
    present = [k for k in KEYS if any(k == kind for _, _, kind, _ in heads)]
    if table and present:
        words += (" The number is that average, to two decimals (1.0 where it rounds to 1.00): the weight a row "
                  "gives the pattern's keys "
                  f"({', '.join(f'{SHORT[k]}: {KEYS[k]}' for k in present)}), over "
                  + ("rows 1…n−1 (the model is causal: row 0 sees only itself)." if causal
                     else "the rows that have such keys."))
    elif causal:
        words += (" The model is causal: each query sees only itself and the tokens before it, so "
                  + ("row 0" if table else "the upper right of every heatmap is empty, and row 0")
                  + ", which can only see itself, is left out of the averages.")
    if any(k in MEASURED for _, _, k, _ in heads):
        words += (" coref and agree come from attncli patterns instead: heads whose accuracy on attncli's "
                  "labelled set lies above every baseline.")
    return words


def named(names: list[str]) -> str:
    """How many heads and which: every name up to LISTED, else the first NAMED and how many more."""
    many = f"{len(names)} heads" if len(names) > 1 else "1 head"
    if len(names) <= LISTED:
        return f"{many}: {', '.join(names)}"
    return f"{many}: {', '.join(names[:NAMED])}, … ({len(names) - NAMED} more)"


def share_text(share: float) -> str:
    """A mean weight in three characters: .93, or 1.0 where it rounds to 1.00."""
    rounded = round(share, 2)
    return "1.0" if rounded >= 1 else f"{rounded:.2f}".removeprefix("0")


def layer_table(heads, tokens, causal: bool, title: str) -> Grid:
    """One text row per layer, a cell per head: its label and the mean weight that earned it (none for broad
    or a label from `attncli patterns`), shaded by that weight."""
    from attncli.pretrained.patterns import pattern_shares

    layers: dict[int, list] = {}
    for layer, head, kind, weights in heads:
        share = pattern_shares(weights, tokens, causal).get(kind)  # (n, n) → the mean weight on kind's keys
        layers.setdefault(layer, []).append((head, kind, share))
    first = next(iter(layers.values()))
    rows, narrow, shades = [], [], []
    for layer, cells in layers.items():
        rows.append((f"L{layer}",) + tuple(SHORT[k] + (f" {share_text(v)}" if v is not None else "")
                                           for _, k, v in cells))
        narrow.append((f"L{layer}",) + tuple(f"{LETTER[k]} {share_text(v)}" if v is not None else SHORT[k]
                                             for _, k, v in cells))
        shades.append((None,) + tuple(v for _, _, v in cells))
    letters = [k for k in LETTER if any(k == kind and v is not None for cells in layers.values()
                                         for _, kind, v in cells)]
    note = ("At this width each label with a number is its letter: "
            + ", ".join(f"{LETTER[k]} {SHORT[k]}" for k in letters) + "." if letters else "")
    return Grid(("layer",) + tuple(f"H{head}" for head, _, _ in first), tuple(rows), title, numeric=False,
                shades=tuple(shades), narrow=tuple(narrow), narrow_note=note)


def labels_of_run(run, model: str | None = None) -> dict:
    """(layer, head) → kind: coreference or agreement where `attncli patterns` found evidence for the model
    --model names, else the pattern this sentence's weights show. None (the default, or a run from the
    Python API): the short name of the installed model the run names, if it is one (no evidence else)."""
    from attncli.pretrained.locate import SHORT_NAMES
    from attncli.pretrained.measured import measured_labels
    from attncli.pretrained.patterns import head_labels

    if model is None:
        model = next((alias for alias, name in SHORT_NAMES.items() if name == run.model), "")
    return head_labels(run, measured_labels(model))


def of_run(run, model: str | None = None) -> View:
    """Every head of a model's run as a gallery, each labelled with its pattern."""
    from attncli.pretrained import KINDS
    from attncli.pretrained.patterns import THRESHOLD

    causal = getattr(run, "causal", False)
    labels = labels_of_run(run, model)
    heads = [(h.layer, h.head, labels[(h.layer, h.head)], h.steps.weights) for layer in run.layers for h in layer.heads]
    kv_heads = {h.head: h.kv_head for h in run.layers[0].heads}
    return view(model=run.model, text=run.text, tokens=run.tokens, heads=heads, kinds=KINDS, threshold=THRESHOLD,
                causal=causal, kv_heads=kv_heads)


# A long text's thumbnails: the gallery's renderer asks for spans that fit its width and draws what
# pooled gives (the arithmetic stays here, with the views).
def spans(n: int, parts: int) -> list[tuple[int, int]]:
    """n positions cut into `parts` spans as even as can be: [(start, end), …]."""
    edges = [round(n * k / parts) for k in range(parts + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def span_words(cut: list[tuple[int, int]], one: str, many: str) -> str:
    """How many positions each of these spans holds, in words: "one key", "a span of 2 keys", "… of 1 or 2 keys"."""
    sizes = {b - a for a, b in cut}
    low, high = min(sizes), max(sizes)
    if high == 1:
        return f"one {one}"
    count = str(low) if low == high else f"{low} or {high}" if high == low + 1 else f"{low} to {high}"
    return f"a span of {count} {many}"


def pooled(weights: np.ndarray, rows: list[tuple[int, int]], cols: list[tuple[int, int]]) -> np.ndarray:
    """The share of its weight a span of queries gives a span of keys: summed over the keys, averaged over
    the queries, so each row of the result still sums to 1 and a sharp pattern stays sharp."""
    by_key = np.stack([weights[:, a:b].sum(axis=1) for a, b in cols], axis=1)  # (n, len(cols))
    return np.stack([by_key[a:b].mean(axis=0) for a, b in rows])  # (len(rows), len(cols))
