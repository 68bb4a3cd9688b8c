"""An independent attention written with plain Python loops and math, to check the NumPy core against."""

import math


def matmul(a, b):
    return [[sum(a[i][t] * b[t][j] for t in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def attention(x, w_q, w_k, w_v, *, source=None, scaled=True, temperature=1.0, allowed=None):
    """Returns (scores, weights, output) for one head, computed one number at a time."""
    kv = x if source is None else source
    q, k, v = matmul(x, w_q), matmul(kv, w_k), matmul(kv, w_v)
    d_k = len(q[0])
    factor = (1 / math.sqrt(d_k) if scaled else 1.0) / temperature
    scores, weights, output = [], [], []
    for i in range(len(q)):
        row = [sum(q[i][t] * k[j][t] for t in range(d_k)) for j in range(len(k))]
        scores.append(row)
        z = [s * factor if allowed is None or allowed[i][j] else None for j, s in enumerate(row)]
        top = max(s for s in z if s is not None)
        e = [0.0 if s is None else math.exp(s - top) for s in z]
        total = sum(e)
        a = [val / total for val in e]
        weights.append(a)
        output.append([sum(a[j] * v[j][c] for j in range(len(v))) for c in range(len(v[0]))])
    return scores, weights, output


def row_stats(a):
    """(entropy, max weight, ‖diag(a) − a·aᵀ‖_F) of one row, from the definitions."""
    entropy = -sum(p * math.log(p) for p in a if p > 0)
    n = len(a)
    jac = [[(a[i] if i == j else 0.0) - a[i] * a[j] for j in range(n)] for i in range(n)]
    grad = math.sqrt(sum(c * c for r in jac for c in r))
    return entropy, max(a), grad
