r"""Extended-precision arithmetic: residuals and gradients to about twice float64 precision.

* Error-free transformations (Knuth's :func:`_two_sum`, Dekker's :func:`_split` and
  :func:`_two_prod`) and the double-double sum :func:`_sum_dd` built on them.
* :func:`_residual_dd` and :func:`_gradient_dd`: ``y - X w`` and ``X^T r`` in
  double-double, block by block (:func:`_blocks`).
* :func:`_gradient_long`: ``X^T (y - X w)`` in x87 80-bit extended precision, where
  the platform has it (:data:`_HAVE_LONGDOUBLE`).
* :func:`_residual_compensated`: ``y - X w`` by Dot2 (Ogita, Rump and Oishi 2005),
  rounded to float64.

The refinement engine :mod:`mselib._refine` and the standard errors of
:func:`mselib.ols_inference` use them. A private engine: it takes float64 arrays
already checked and imports nothing else of mselib.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

_U = float(np.finfo(np.float64).eps) / 2  # unit roundoff, 2**-53
_BLOCK_ROWS = 4096  # rows per block for double-double residuals
_BLOCK_ROWS_LONG = 1024  # rows per block for 80-bit residuals (a block stays in L2)
_HAVE_LONGDOUBLE = np.finfo(np.longdouble).nmant >= 63  # x87 80-bit extended
_U_LONG = float(np.finfo(np.longdouble).eps) / 2 if _HAVE_LONGDOUBLE else _U


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's error-free sum: ``a + b = s + e`` exactly, ``s = fl(a + b)``."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's split ``a = hi + lo``, each half with at most 26 significant bits."""
    c = 134217729.0 * a  # 2**27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's error-free product: ``a * b = p + e`` exactly, ``p = fl(a * b)``."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _sum_dd(terms: np.ndarray, err: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum ``terms`` along axis 0, plus small corrections ``err``, in double-double.

    A pairwise tree of error-free additions; their rounding errors and ``err`` are
    summed in ordinary floating point, which is accurate to O(u^2) relative to the
    terms (the idea of Sum2 in Ogita, Rump and Oishi 2005). Returns ``(hi, lo)``.
    """
    s, err = terms, err.copy()
    while s.shape[0] > 1:
        half = s.shape[0] // 2
        hi, lo = _two_sum(s[:half], s[half : 2 * half])
        err += lo.sum(axis=0)
        if s.shape[0] % 2:
            hi[0], lo = _two_sum(hi[0], s[-1])
            err += lo
        s = hi
    return _two_sum(s[0], err)


def _blocks(n: int, size: int = _BLOCK_ROWS) -> Iterator[slice]:
    """Slices of ``size`` consecutive rows (the last may be shorter) covering ``range(n)``."""
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _residual_dd(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, r: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``y - r - X w`` (``r`` a double-double pair, or absent) in double-double."""
    n, p = X.shape
    hi, lo = np.empty(n), np.empty(n)
    w_hi, w_lo = _split(w)
    for rows in _blocks(n):
        block = X[rows]
        x_hi, x_lo = _split(block)
        terms = np.empty((p + 2, block.shape[0]))
        prod = np.multiply(block, w, out=terms[:p].T)
        err = ((x_hi * w_hi - prod) + x_hi * w_lo + x_lo * w_hi) + x_lo * w_lo
        terms[:p] *= -1.0
        terms[p] = y[rows]
        terms[p + 1] = 0.0 if r is None else -r[0][rows]
        correction = -err.sum(axis=1)
        if r is not None:
            correction -= r[1][rows]
        hi[rows], lo[rows] = _sum_dd(terms, correction)
    return hi, lo


def _gradient_dd(X: np.ndarray, r: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``X^T (r_hi + r_lo)`` in double-double, rounded to float64."""
    p = X.shape[1]
    total_hi, total_lo = np.zeros(p), np.zeros(p)
    for rows in _blocks(X.shape[0]):
        block, r_hi = X[rows], r[0][rows, None]
        prod, err = _two_prod(block, r_hi)
        hi, lo = _sum_dd(prod, err.sum(axis=0) + r[1][rows] @ block)
        total_hi, e = _two_sum(total_hi, hi)
        total_lo += e + lo
    return total_hi + total_lo


def _gradient_long(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, reverse: bool = False
) -> tuple[np.ndarray, float]:
    """``X^T (y - X w)`` in 80-bit extended precision, and ``|y - X w|_2``.

    With ``reverse``, rows and columns are taken in the opposite order: the same
    quantity with different rounding errors, to measure them.
    """
    g = np.zeros(X.shape[1], dtype=np.longdouble)
    flip = slice(None, None, -1) if reverse else slice(None)
    w_long = w[flip].astype(np.longdouble)
    r_sq = 0.0
    blocks = list(_blocks(X.shape[0], _BLOCK_ROWS_LONG))
    for rows in reversed(blocks) if reverse else blocks:
        block = X[rows][flip, flip].astype(np.longdouble)
        r = y[rows][flip] - np.dot(block, w_long)
        g += np.dot(r, block)
        r_sq += float(np.dot(r, r))
    return g[flip].astype(np.float64), math.sqrt(r_sq)


def _residual_compensated(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``y - X w`` as if computed in twice the working precision, then rounded.

    Dot2 of Ogita, Rump and Oishi (2005), one column at a time for all rows: each
    product is split exactly into its rounded value and error (Dekker), each sum into
    its rounded value and error (Knuth), and the errors are summed on the side.
    Falls back to the plain residual if a product overflows the splitting.
    """
    s = y.copy()
    c = np.zeros_like(y)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(X.shape[1]):
            prod, err = _two_prod(X[:, j], -w[j])
            s, e = _two_sum(s, prod)
            c += err + e
        out = s + c
    if not np.all(np.isfinite(out)):
        return y - X @ w
    return out
