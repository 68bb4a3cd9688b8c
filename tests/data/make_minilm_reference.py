"""Regenerate minilm_reference.json: transformers' numbers for all-MiniLM-L6-v2 (needs torch and transformers).

    python tests/data/make_minilm_reference.py
"""

import json
import sys
from pathlib import Path

import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from attncli.model.locate import default_model_dir  # noqa: E402

SENTENCES = [
    "The dog ate his dinner because he was hungry.",
    "The keys to the cabinet are on the table.",
    "Héllo wörld! 猫 🐶 visit https://example.com/a?b=1 [SEP] ok",
]
HEADS = [(0, 2), (2, 7), (4, 5), (5, 11)]
HIDDEN = {"layers": [0, 3, 6], "dims": [0, 8]}  # hidden_states[layer][:, dims[0]:dims[1]]


def main() -> None:
    folder = default_model_dir()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    out = {"model": "sentence-transformers/all-MiniLM-L6-v2", "transformers": transformers.__version__,
           "torch": torch.__version__, "heads": HEADS, "hidden": HIDDEN, "sentences": []}
    models = {name: transformers.BertModel.from_pretrained(str(folder), attn_implementation="eager",
                                                           dtype=dtype).eval()
              for name, dtype in (("float64", torch.float64), ("float32", torch.float32))}
    for text in SENTENCES:
        encoded = tokenizer(text, return_tensors="pt")
        entry = {"text": text, "tokens": tokenizer.convert_ids_to_tokens(encoded["input_ids"][0]),
                 "ids": encoded["input_ids"][0].tolist()}
        for name, model in models.items():
            with torch.no_grad():
                result = model(**encoded, output_attentions=True, output_hidden_states=True)
            lo, hi = HIDDEN["dims"]
            entry[name] = {
                "attentions": [result.attentions[layer][0, h].double().tolist() for layer, h in HEADS],
                "hidden": [result.hidden_states[layer][0, :, lo:hi].double().tolist() for layer in HIDDEN["layers"]],
            }
        out["sentences"].append(entry)
    path = Path(__file__).with_name("minilm_reference.json")
    path.write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
