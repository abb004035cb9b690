r"""The exact least-squares solver: rational arithmetic on the float64 data, and its cost.

Every float64 is an integer times a power of two, so a column of X is an integer
vector times one power of two, and the normal equations of the float64 data are
integer equations. They are solved here by fraction-free (Bareiss) elimination:
integer arithmetic with exact divisions, no rounding anywhere, and the result is
rounded to float64 once (:func:`_to_float`).

* :func:`_exact_solution`: the exact least-squares solution (minimum-norm when X is
  rank-deficient) and the exact rank of X.
* :func:`_exact_is_cheap`: the cost model that lets ``method="auto"`` of
  :func:`mselib.ols` take this path only where its big integers stay short.

A private engine: it takes float64 arrays already checked (2-D X, 1-D y, finite)
and imports nothing else of mselib.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

_EXACT_PRODUCTS = 300_000  # n * p * (p + 1) / 2 integer products at most in exact mode
_EXACT_MAX_FEATURES = 40  # elimination costs ~p**3 products of integers of ~p * 100 bits
_EXACT_MAX_BITS = 4096  # widest integer column (53 bits + the spread of exponents)


def _integer_columns(A: np.ndarray) -> tuple[list[list[int]], list[int]]:
    """Write ``A[:, j] = ints[j] * 2**exps[j]`` exactly, with Python integers."""
    mant, expo = np.frexp(A)
    mant_int = (mant * 2.0**53).astype(np.int64)  # exact: |mant| < 1
    cols, exps = [], []
    for j in range(A.shape[1]):
        m, e = mant_int[:, j], expo[:, j]
        nonzero = m != 0
        low = int(e[nonzero].min()) if nonzero.any() else 0
        shift = np.where(nonzero, e - low, 0)
        cols.append([int(mi) << int(si) for mi, si in zip(m.tolist(), shift.tolist(), strict=True)])
        exps.append(low - 53)
    return cols, exps


def _exact_cost(n: int, p: int, bits: int) -> float:
    """A model of the time of the exact path, in arbitrary units.

    Forming the integer Gram matrix takes ``n p^2 / 2`` products of ``bits``-bit
    integers; Bareiss elimination ``p^3 / 3`` products of integers of about ``p bits``
    bits. CPython multiplies big integers in time about ``bits**1.3`` in this range
    (Karatsuba, measured: 365 x 40 normal data took 1.2 s at 68 bits, 22 s at 463 bits).
    """
    return n * p * p * bits**1.3 + 0.35 * p**3 * (p * bits) ** 1.3


# "auto" takes the exact path when its modelled cost is at most that of a 365 x 40 design
# of standard normal data (68-bit columns): about 0.3 s on one core of the CI machine.
_EXACT_BUDGET = _exact_cost(365, 40, 68)


def _column_bits(A: np.ndarray) -> int:
    """The bit width of the widest integer column :func:`_integer_columns` would build."""
    _, expo = np.frexp(A)
    spread = 0
    for j in range(A.shape[1]):
        nz = A[:, j] != 0
        if nz.any():
            spread = max(spread, int(expo[nz, j].max() - expo[nz, j].min()))
    return 53 + spread


def _exact_is_cheap(X: np.ndarray) -> bool:
    """Whether ``method="auto"`` takes the exact path for the checked design ``X``.

    Only small problems with at least as many rows as columns qualify (at most
    ``_EXACT_MAX_FEATURES`` columns and ``_EXACT_PRODUCTS`` integer products); for
    those the exponents are measured and the modelled cost must stay within
    ``_EXACT_BUDGET``. The model prices the full-rank solution; a rank-deficient X
    found on this path is not solved exactly (see :func:`_exact_solution`).
    """
    n, p = X.shape
    # n < p: X is rank-deficient, and only the (unmodelled) minimum-norm path is left.
    small = p <= min(n, _EXACT_MAX_FEATURES) and n * p * (p + 1) // 2 <= _EXACT_PRODUCTS
    if small:  # only then is it worth measuring the exponents
        bits = _column_bits(X)
        small = bits <= _EXACT_MAX_BITS and _exact_cost(n, p, bits) <= _EXACT_BUDGET
    return small


def _bareiss(M: list[list[int]], ncols: int) -> list[int]:
    """Fraction-free row echelon form of the integer matrix ``M``, in place.

    Eliminates on the first ``ncols`` columns (the others are right-hand sides) and
    returns the pivot columns. Every division is exact (Sylvester's identity), so
    the entries stay integers: minors of the original matrix.
    """
    pivots: list[int] = []
    previous = 1
    row = 0
    for col in range(ncols):
        found = next((i for i in range(row, len(M)) if M[i][col] != 0), None)
        if found is None:
            continue
        M[row], M[found] = M[found], M[row]
        top = M[row]
        pivot = top[col]
        for i in range(row + 1, len(M)):
            current = M[i]
            factor = current[col]
            M[i] = [
                (a * pivot - factor * b) // previous if k > col else 0
                for k, (a, b) in enumerate(zip(current, top, strict=True))
            ]
        previous = pivot
        pivots.append(col)
        row += 1
        if row == len(M):
            break
    return pivots


def _solve_integer(A: list[list[int]], B: list[list[int]]) -> tuple[list[list[int]], int] | None:
    """Solve ``A X = B`` exactly for a square integer ``A``: ``X = N / D``, integers.

    Returns ``(N, D)`` with ``D = +-det(A) != 0``, or None when ``A`` is singular.
    """
    m, k = len(A), len(B[0])
    M = [[*a, *b] for a, b in zip(A, B, strict=True)]
    if len(_bareiss(M, m)) < m:
        return None
    det = M[m - 1][m - 1]
    N = [[0] * k for _ in range(m)]
    for j in range(k):  # back substitution, multiplied through by det: exact divisions
        for i in reversed(range(m)):
            acc = M[i][m + j] * det - sum(M[i][c] * N[c][j] for c in range(i + 1, m))
            N[i][j] = acc // M[i][i]
    return N, det


def _gram_integer(X: np.ndarray, y: np.ndarray) -> tuple[list[list[int]], list[int]]:
    """``[C^T C | C^T d]`` for integer columns ``C`` of X and ``d`` of y, and the exponents.

    ``X[:, j] = C[:, j] * 2**e[j]`` and ``y = d * 2**e[p]``.
    """
    cols, exps = _integer_columns(np.column_stack([X, y]))
    C = np.array(cols, dtype=object)  # (p + 1, n) Python integers
    G = C.dot(C.T)  # exact: integer products and sums
    p = X.shape[1]
    return [[int(G[j, k]) for k in range(p + 1)] for j in range(p)], exps


def _exact_solution(
    X: np.ndarray, y: np.ndarray, *, min_norm: bool = True
) -> tuple[list[Fraction] | None, int]:
    """The exact least-squares solution of the float64 data and the exact rank of X.

    Full rank: the unique solution. Otherwise, with ``min_norm=False``, None and the
    rank (found at the cost of one elimination on the Gram matrix); with
    ``min_norm=True`` the minimum-norm solution, whose cost this module's model does
    not bound (its integers widen by the spread of the column exponents): with ``S``
    the pivot columns, ``B = X[:, S]`` is a basis of the column space and
    ``X = B F`` with ``F = (B^T B)^{-1} B^T X``; then ``w = F^T (F F^T)^{-1} c``,
    where ``c = (B^T B)^{-1} B^T y`` fits ``y`` on the basis.
    """
    n, p = X.shape
    G, exps = _gram_integer(X, y)
    if n >= p:
        solved = _solve_integer([row[:p] for row in G], [[row[p]] for row in G])
        if solved is not None:
            N, det = solved
            return [
                Fraction(N[k][0], det) * Fraction(2) ** (exps[p] - exps[k]) for k in range(p)
            ], p
    if not min_norm:  # the rank of X is that of its Gram matrix, whatever the scaling
        return None, len(_bareiss([row[:p] for row in G], p))
    # Rank-deficient. The minimum norm is not invariant under scaling columns, so go
    # back to the true scale: multiply column k by 2**(e_k - e_min), an integer.
    low = min(exps[:p])
    shift = [e - low for e in exps[:p]]
    Gt = [[G[j][k] << (shift[j] + shift[k]) for k in range(p)] for j in range(p)]
    bt = [G[j][p] << shift[j] for j in range(p)]
    echelon = [list(row) for row in Gt]
    S = _bareiss(echelon, p)
    r = len(S)
    if r == 0:
        return [Fraction(0)] * p, 0
    basis = [[Gt[i][j] for j in S] for i in S]
    solved = _solve_integer(basis, [[*Gt[i], bt[i]] for i in S])
    assert solved is not None  # B^T B is nonsingular
    NF, D = solved  # F = NF[:, :p] / D, c = NF[:, p] / D
    K = [
        [sum(a * b for a, b in zip(NF[i][:p], NF[j][:p], strict=True)) for j in range(r)]
        for i in range(r)
    ]
    solved = _solve_integer(K, [[D * NF[i][p]] for i in range(r)])  # (F F^T) z = c
    assert solved is not None  # F has full row rank
    Nz, D2 = solved
    unit = Fraction(2) ** (exps[p] - low)
    return [
        Fraction(sum(NF[i][k] * Nz[i][0] for i in range(r)), D * D2) * unit for k in range(p)
    ], r


def _to_float(values: list[Fraction]) -> np.ndarray:
    """Round exact values to float64 (correctly rounded: int / int is in CPython)."""
    try:
        return np.array([float(v) for v in values])
    except OverflowError:
        raise ValueError(
            "the least-squares solution overflows float64 (a coefficient exceeds "
            f"{np.finfo(np.float64).max:.3g}); expected data whose solution is representable. "
            "Rescale the columns of X or y."
        ) from None
