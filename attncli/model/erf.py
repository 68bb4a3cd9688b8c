"""The error function erf and the exact GELU x·Φ(x) that BERT uses, vectorised in NumPy.

NumPy has no erf, and the tanh form of GELU moves real attention weights by up to 4e-3, so this is
W. J. Cody's rational Chebyshev approximation ("Rational Chebyshev approximations for the error
function", Math. Comp. 23, 1969, pp. 631-638; the CALERF routine of netlib's specfun). Against
math.erf its absolute error is at most 2.3e-16 (one unit in the last place of 1.0; up to 4 units of
the result just above |x| = 0.46875, where erf = 1 − erfc cancels), and it is exact for most x.
"""

from __future__ import annotations

import numpy as np

# erf(x) = x·R(x²) for |x| ≤ 0.46875
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
# erfc(x) = e^(−x²)·R(x) for 0.46875 < x ≤ 4
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
# erfc(x) = e^(−x²)/x·(1/√π + R(1/x²)/x²) for x > 4
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRT_1_PI = 5.6418958354775628695e-1
_THRESH = 0.46875
_XSMALL = 1.11e-16  # below it erf(x) = 2x/√π to the last bit and x² would only underflow
_XBIG = 26.543  # above it erfc(x) underflows to 0


def erf(x: np.ndarray) -> np.ndarray:
    """erf(x) elementwise in float64, to within 2.3e-16."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    near = y <= _THRESH
    mid = (y > _THRESH) & (y <= 4.0)
    far = ~(near | mid)  # includes NaN, which stays NaN
    out = np.empty_like(x)
    out[near] = _erf_near(x[near])
    erfc_mid = _erfc_mid(y[mid])
    erfc_far = _erfc_far(y[far])
    # 1 − erfc computed as (0.5 − erfc) + 0.5, as Cody does, to keep the last bit
    out[mid] = np.copysign((0.5 - erfc_mid) + 0.5, x[mid])
    out[far] = np.copysign((0.5 - erfc_far) + 0.5, x[far])
    return out


def _erf_near(x: np.ndarray) -> np.ndarray:
    y = np.abs(x)
    ysq = np.where(y > _XSMALL, y * y, 0.0)
    num, den = _A[4] * ysq, ysq
    for a, b in zip(_A[:3], _B[:3]):
        num = (num + a) * ysq
        den = (den + b) * ysq
    return x * (num + _A[3]) / (den + _B[3])


def _erfc_mid(y: np.ndarray) -> np.ndarray:
    num, den = _C[8] * y, y
    for c, d in zip(_C[:7], _D[:7]):
        num = (num + c) * y
        den = (den + d) * y
    return _times_exp_minus_square(y, (num + _C[7]) / (den + _D[7]))


def _erfc_far(y: np.ndarray) -> np.ndarray:
    big = ~(y < _XBIG)  # also NaN, handled below
    yc = np.where(big, 4.0, y)  # a harmless stand-in where the answer is known
    ysq = 1.0 / (yc * yc)
    num, den = _P[5] * ysq, ysq
    for p, q in zip(_P[:4], _Q[:4]):
        num = (num + p) * ysq
        den = (den + q) * ysq
    r = (_SQRT_1_PI - ysq * (num + _P[4]) / (den + _Q[4])) / yc
    r = _times_exp_minus_square(yc, r)
    return np.where(np.isnan(y), np.nan, np.where(big, 0.0, r))


def _times_exp_minus_square(y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """r·e^(−y²), with y² split into an exact part (y rounded to 1/16) and a small rest."""
    y16 = np.trunc(y * 16.0) / 16.0
    rest = (y - y16) * (y + y16)
    return np.exp(-y16 * y16) * np.exp(-rest) * r


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU(x) = x·Φ(x) = ½·x·(1 + erf(x/√2)): Hugging Face's "gelu", not the tanh approximation."""
    x = np.asarray(x)
    # computed in float64 whatever x is, then given back in x's precision, as PyTorch would
    x64 = x.astype(np.float64, copy=False)
    return (x64 * 0.5 * (1.0 + erf(x64 * np.sqrt(0.5)))).astype(x.dtype, copy=False)
