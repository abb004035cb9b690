"""Exact rational arithmetic, the oracle the least-squares and ratio tests compare against.

Independent of mselib: plain Gauss-Jordan elimination on :class:`fractions.Fraction`, and the
weighted SSE / SST of float inputs; plus samples that span the whole float64 range.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def fractions(A) -> list[list[Fraction]]:
    """The exact values of a float64 matrix, as lists of Fractions."""
    return [[Fraction(float(v)) for v in row] for row in np.asarray(A, dtype=float)]


def solve(A: list[list[Fraction]], b: list[Fraction]) -> list[Fraction]:
    """Solve ``A x = b`` exactly by Gauss-Jordan elimination (A square and nonsingular)."""
    m = len(A)
    rows = [[*row, value] for row, value in zip(A, b, strict=True)]
    for c in range(m):
        pivot = next(r for r in range(c, m) if rows[r][c] != 0)
        rows[c], rows[pivot] = rows[pivot], rows[c]
        rows[c] = [v / rows[c][c] for v in rows[c]]
        for r in range(m):
            if r != c and rows[r][c] != 0:
                factor = rows[r][c]
                rows[r] = [v - factor * w for v, w in zip(rows[r], rows[c], strict=True)]
    return [row[m] for row in rows]


def lstsq(X, y) -> list[Fraction]:
    """The exact least-squares solution of the float64 data (X of full column rank)."""
    Xf = fractions(X)
    yf = [Fraction(float(v)) for v in np.asarray(y, dtype=float)]
    p = len(Xf[0])
    gram = [[sum(r[i] * r[j] for r in Xf) for j in range(p)] for i in range(p)]
    rhs = [sum(r[i] * t for r, t in zip(Xf, yf, strict=True)) for i in range(p)]
    return solve(gram, rhs)


def nmse(y, p, w=None) -> float:
    """Weighted SSE / SST of the float inputs in exact arithmetic, rounded once to float64."""
    ys, ps = [Fraction(float(v)) for v in y], [Fraction(float(v)) for v in p]
    ws = [Fraction(1)] * len(ys) if w is None else [Fraction(float(v)) for v in w]
    total = sum(ws)
    mean = sum(a * b for a, b in zip(ws, ys, strict=True)) / total
    sse = sum(a * (b - c) ** 2 for a, b, c in zip(ws, ys, ps, strict=True))
    sst = sum(a * (b - mean) ** 2 for a, b in zip(ws, ys, strict=True))
    return float(sse / sst)


def wide_samples(rng: np.random.Generator, n: int, style: str):
    """``(y, p, w)``: n samples whose weights span 1e-300..1e300; y spread over a random decade,
    clustered a few ulps of 1e8 apart (the mean rounds), or subnormal."""
    if style == "spread":
        y = rng.normal(size=n) * 10.0 ** rng.uniform(-5, 5)
    elif style == "clustered":
        y = 1e8 + rng.integers(-3, 4, size=n) * 2.0**-26
    else:
        y = rng.integers(-3, 4, size=n) * 5e-324
    p = y + rng.normal(size=n) * 10.0 ** rng.uniform(-5, 5)
    w = 10.0 ** rng.uniform(-300, 300, size=n)
    return y, p, w


WIDE_STYLES = ("spread", "clustered", "subnormal")
