"""An independent BERT encoder forward written with plain Python loops and math.erf, for tiny models."""

from __future__ import annotations

import math

from reference import attention


def _linear(x, w_out_in, b):
    """x·Wᵀ + b with W stored (d_out, d_in) as in PyTorch."""
    return [[sum(row[t] * w_out_in[o][t] for t in range(len(row))) + b[o] for o in range(len(b))] for row in x]


def _layer_norm(x, gamma, beta, eps):
    out = []
    for row in x:
        mean = sum(row) / len(row)
        var = sum((v - mean) ** 2 for v in row) / len(row)
        out.append([(v - mean) / math.sqrt(var + eps) * g + b for v, g, b in zip(row, gamma, beta)])
    return out


def _gelu(v):
    return 0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0)))


def forward(tensors: dict, config: dict, ids: list[int]):
    """(hidden states per layer incl. embeddings, [[(scores, weights, output) per head] per layer])."""
    t = {k: v.astype(float).tolist() for k, v in tensors.items()}
    eps = config["layer_norm_eps"]
    x = [[w + p + ty for w, p, ty in zip(t["embeddings.word_embeddings.weight"][i],
                                         t["embeddings.position_embeddings.weight"][pos],
                                         t["embeddings.token_type_embeddings.weight"][0])]
         for pos, i in enumerate(ids)]
    x = _layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)
    hidden, heads = [x], []
    n_heads = config["num_attention_heads"]
    d = config["hidden_size"] // n_heads
    for n in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{n}."
        # a bias is a weight on a constant input 1: the loop reference then needs no bias argument
        x1 = [row + [1.0] for row in x]
        layer_heads, concat = [], [[] for _ in x]
        for h in range(n_heads):
            def aug(name):
                w, b = t[p + f"attention.self.{name}.weight"], t[p + f"attention.self.{name}.bias"]
                return [[w[h * d + c][r] for c in range(d)] for r in range(len(x[0]))] + [b[h * d:(h + 1) * d]]
            s, a, o = attention(x1, aug("query"), aug("key"), aug("value"))
            layer_heads.append((s, a, o))
            for i, row in enumerate(o):
                concat[i].extend(row)
        heads.append(layer_heads)
        attn = _linear(concat, t[p + "attention.output.dense.weight"], t[p + "attention.output.dense.bias"])
        h1 = _layer_norm([[u + v for u, v in zip(r1, r2)] for r1, r2 in zip(x, attn)],
                         t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"], eps)
        inter = [[_gelu(v) for v in row] for row in
                 _linear(h1, t[p + "intermediate.dense.weight"], t[p + "intermediate.dense.bias"])]
        out = _linear(inter, t[p + "output.dense.weight"], t[p + "output.dense.bias"])
        x = _layer_norm([[u + v for u, v in zip(r1, r2)] for r1, r2 in zip(h1, out)],
                        t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"], eps)
        hidden.append(x)
    return hidden, heads

