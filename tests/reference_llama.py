"""A Llama forward pass in plain Python loops (math module only), for tests: slow, obvious, independent.

Weights come from gguf's own GGUFReader; W_Q and W_K rows are un-interleaved here with index arithmetic
(llama.cpp's row 2i + e of a head is dimension i + e·d_head/2 in the rotate-half layout).
"""

from __future__ import annotations

import math


def uninterleave(rows: list, n_heads: int) -> list:
    d_head = len(rows) // n_heads
    half = d_head // 2
    out = [None] * len(rows)
    for h in range(n_heads):
        for i in range(half):
            for e in range(2):
                out[h * d_head + e * half + i] = rows[h * d_head + 2 * i + e]
    return out


def matvec(w: list, x: list) -> list:
    """w: (d_out, d_in) rows; x: (d_in,) → (d_out,)."""
    return [math.fsum(wi * xi for wi, xi in zip(row, x)) for row in w]


def rms_norm(x: list, g: list, eps: float) -> list:
    scale = 1.0 / math.sqrt(math.fsum(v * v for v in x) / len(x) + eps)
    return [v * scale * gi for v, gi in zip(x, g)]


def rotate(v: list, m: int, base: float) -> list:
    half = len(v) // 2
    out = list(v)
    for p in range(half):
        theta = m / base ** (2 * p / len(v))
        a, b = v[p], v[p + half]
        out[p] = a * math.cos(theta) - b * math.sin(theta)
        out[p + half] = b * math.cos(theta) + a * math.sin(theta)
    return out


def forward(w: dict, ids: list, c: dict) -> tuple[list, list]:
    """(attention weights [layer][head][i][j], logits [i][v]) for token ids, in float64 Python floats."""
    tolist = lambda a: a.astype(float).tolist()
    H, KV, d = c["n_heads"], c["n_kv_heads"], c["d_model"]
    dh = d // H
    x = [tolist(w["token_embd.weight"][i]) for i in ids]
    n = len(ids)
    attentions = []
    for layer in range(c["n_layers"]):
        p = lambda name: tolist(w[f"blk.{layer}.{name}.weight"])
        wq, wk = uninterleave(p("attn_q"), H), uninterleave(p("attn_k"), KV)
        wv, wo = p("attn_v"), p("attn_output")
        xn = [rms_norm(row, p("attn_norm"), c["rms_eps"]) for row in x]
        q = [rotate_heads(matvec(wq, row), m, H, c["rope_base"]) for m, row in enumerate(xn)]
        k = [rotate_heads(matvec(wk, row), m, KV, c["rope_base"]) for m, row in enumerate(xn)]
        v = [matvec(wv, row) for row in xn]
        layer_weights, concat = [], [[0.0] * d for _ in range(n)]
        for h in range(H):
            g = h // (H // KV)
            a_head = []
            for i in range(n):
                qi = q[i][h * dh:(h + 1) * dh]
                scores = [math.fsum(a * b for a, b in zip(qi, k[j][g * dh:(g + 1) * dh])) / math.sqrt(dh)
                          if j <= i else -math.inf for j in range(n)]
                top = max(scores)
                e = [math.exp(s - top) if s != -math.inf else 0.0 for s in scores]
                total = math.fsum(e)
                a = [t / total for t in e]
                a_head.append(a)
                for t in range(dh):
                    concat[i][h * dh + t] = math.fsum(a[j] * v[j][g * dh + t] for j in range(n))
            layer_weights.append(a_head)
        attentions.append(layer_weights)
        x = [[xi + oi for xi, oi in zip(x[i], matvec(wo, concat[i]))] for i in range(n)]
        xn = [rms_norm(row, p("ffn_norm"), c["rms_eps"]) for row in x]
        gate, up, down = p("ffn_gate"), p("ffn_up"), p("ffn_down")
        for i in range(n):
            hidden = [gv / (1.0 + math.exp(-gv)) * uv for gv, uv in zip(matvec(gate, xn[i]), matvec(up, xn[i]))]
            x[i] = [xi + oi for xi, oi in zip(x[i], matvec(down, hidden))]
    final = [rms_norm(row, tolist(w["output_norm.weight"]), c["rms_eps"]) for row in x]
    table = tolist(w.get("output.weight", w["token_embd.weight"]))
    return attentions, [matvec(table, row) for row in final]


def rotate_heads(v: list, m: int, n_heads: int, base: float) -> list:
    dh = len(v) // n_heads
    return [x for h in range(n_heads) for x in rotate(v[h * dh:(h + 1) * dh], m, base)]
