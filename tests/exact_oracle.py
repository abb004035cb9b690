"""Exact rational arithmetic, the oracle the least-squares tests compare against.

Independent of mselib: plain Gauss-Jordan elimination on :class:`fractions.Fraction`.
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
