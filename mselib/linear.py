r"""Least squares for the linear model :math:`\hat y = Xw`.

* :func:`ols`: the least-squares coefficients, as accurate as the float64 data
  allow. Small problems are solved exactly in rational arithmetic and rounded
  once; larger ones by Householder QR followed by iterative refinement with
  residuals computed in extended precision. A rank-deficient or hopelessly
  ill-conditioned design is reported (an error or a warning, by option), never
  returned as silent garbage.
* :func:`ols_normal_equations`: the textbook formula
  :math:`w = (X^\top X)^{-1} X^\top y`, kept to show how many digits it loses.
* :func:`gradient_descent`: the path of fixed-step gradient descent on the MSE.

Inputs are checked in :mod:`mselib._validation`: real, finite, no broadcasting.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from fractions import Fraction
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from mselib._threads import one_blas_thread
from mselib._validation import (
    check_choice,
    check_count,
    check_design,
    check_finite_output,
    check_nonnegative_real,
    check_positive_real,
    check_vector,
)
from mselib.gradients import linear_mse_grad

__all__ = [
    "OLSInference",
    "RidgeFit",
    "SingularDesignWarning",
    "gradient_descent",
    "james_stein",
    "leverage",
    "ols",
    "ols_inference",
    "ols_normal_equations",
    "ridge",
]

_EPS = float(np.finfo(np.float64).eps)  # 2**-52
_U = _EPS / 2  # unit roundoff, 2**-53
_EXACT_PRODUCTS = 300_000  # n * p * (p + 1) / 2 integer products at most in exact mode
_EXACT_MAX_FEATURES = 40  # elimination costs ~p**3 products of integers of ~p * 100 bits
_EXACT_MAX_BITS = 4096  # widest integer column (53 bits + the spread of exponents)
_MAX_ITER = 30
_BLOCK_ROWS = 4096  # rows per block for double-double residuals
_BLOCK_ROWS_LONG = 1024  # rows per block for 80-bit residuals (a block stays in L2)
_HAVE_LONGDOUBLE = np.finfo(np.longdouble).nmant >= 63  # x87 80-bit extended
_U_LONG = float(np.finfo(np.longdouble).eps) / 2 if _HAVE_LONGDOUBLE else _U


class SingularDesignWarning(UserWarning):
    """X is rank-deficient or too ill-conditioned for its float64 data to fix a solution."""


# ----------------------------------------------------------------------------------
# Exact rational arithmetic. Every float64 is an integer times a power of two, so a
# column of X is an integer vector times one power of two, and the normal equations
# of the float64 data are integer equations, solved here by fraction-free (Bareiss)
# elimination: integer arithmetic with exact divisions, no rounding anywhere.


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


def _exact_solution(X: np.ndarray, y: np.ndarray) -> tuple[list[Fraction], int]:
    """The exact least-squares solution of the float64 data and the exact rank of X.

    Full rank: the unique solution. Otherwise the minimum-norm solution: with ``S``
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


# ----------------------------------------------------------------------------------
# Floating point: Householder QR, then iterative refinement with accurate residuals.


def _apply_reflectors(h: np.ndarray, tau: np.ndarray, v: np.ndarray, transpose: bool) -> np.ndarray:
    """``Q^T v`` (or ``Q v``) for the factors ``(h, tau)`` of ``np.linalg.qr(mode="raw")``.

    ``h`` is the C-ordered ``(p, n)`` array: row ``k`` holds the Householder vector
    ``v_k`` below its implicit leading 1, and ``H_k = I - tau_k v_k v_k^T``.
    """
    v = v.copy()
    order = range(tau.size) if transpose else reversed(range(tau.size))
    for k in order:
        s = tau[k] * (v[k] + h[k, k + 1 :] @ v[k + 1 :])
        v[k] -= s
        v[k + 1 :] -= s * h[k, k + 1 :]
    return v


def _tri_solve(R: np.ndarray, b: np.ndarray, transpose: bool = False) -> np.ndarray:
    """Solve ``R x = b`` (or ``R^T x = b``) for the upper triangular ``R`` by substitution."""
    p = R.shape[0]
    x = np.empty(p)
    if transpose:  # R^T is lower triangular: forward substitution
        for k in range(p):
            x[k] = (b[k] - R[:k, k] @ x[:k]) / R[k, k]
    else:
        for k in reversed(range(p)):
            x[k] = (b[k] - R[k, k + 1 :] @ x[k + 1 :]) / R[k, k]
    return x


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


def _condition(R: np.ndarray) -> float:
    """2-norm condition number of ``R`` (and of X) with columns scaled to unit norm."""
    norms = np.linalg.norm(R, axis=0)
    if not np.all(norms > 0):
        return math.inf
    sv = np.linalg.svd(R / norms, compute_uv=False)
    return math.inf if sv[-1] == 0 else float(sv[0] / sv[-1])


class _Progress:
    """Sizes of the corrections, to decide when refinement has converged or stalled."""

    def __init__(self) -> None:
        self.sizes: list[float] = []

    def update(self, w: np.ndarray, dw: np.ndarray) -> tuple[bool, bool]:
        """``(stop, converged)`` after ``w`` has received the correction ``dw``.

        The size of a correction is its largest component relative to the
        coefficient. Converged: the correction was at most two units in the last
        place, or the contraction seen so far predicts that the next one will be
        below half a unit. Stalled: three steps without halving.
        """
        floor = _U * float(np.max(np.abs(w)))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.abs(dw) / np.maximum(np.abs(w), floor)
        size = float(np.max(np.where(dw == 0, 0.0, ratio)))
        previous = self.sizes[-1] if self.sizes else math.inf
        self.sizes.append(size)
        if size <= 4 * _U or (previous < math.inf and size * size <= previous * _U / 2):
            return True, True
        stalled = len(self.sizes) >= 3 and size > previous / 2
        return stalled or len(self.sizes) >= _MAX_ITER, False


def _long_floor(R: np.ndarray, y_norm: float, r_norm: float, w: np.ndarray, n: int) -> np.ndarray:
    """Estimate of the error the extended-precision gradient leaves in each coefficient.

    Rounding ``y - Xw`` perturbs the residual by ``delta_r``, about
    ``u_L (|y| + |X||w|)`` in norm, which moves ``w`` by ``X^+ delta_r``
    (``X^+ = R^{-1} Q^T``; a rounding error has no preferred direction, so row ``j``
    of ``X^+`` picks up about ``1/sqrt(n)`` of it); rounding ``X^T r`` adds about
    ``u_L |X_j| |r|`` to component ``j``, which moves ``w`` by ``(R^T R)^{-1}`` times
    it. The factors 4 are margins. An underestimate costs at most a few units
    in the last place; the refinement itself stalls, and switches to double-double,
    when extended precision is far from enough.
    """
    p = R.shape[0]
    r_inv = np.linalg.solve(R, np.eye(p))
    col_norms = np.linalg.norm(R, axis=0)  # the column norms of X
    scale = y_norm + float(np.linalg.norm(col_norms)) * float(np.linalg.norm(w))
    first = np.linalg.norm(r_inv, axis=1) * scale * 4 / math.sqrt(n)
    second = np.abs(r_inv @ r_inv.T) @ col_norms * r_norm * 4
    return _U_LONG * (first + second)


def _refine_semi_normal(X: np.ndarray, y: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, bool]:
    r"""Corrected semi-normal equations: ``w += (R^T R)^{-1} X^T (y - X w)``, repeated.

    The correction comes from an accurate gradient and is solved with the computed
    ``R``; its relative error is about ``kappa^2 u``, so the iteration contracts
    when ``kappa^2 u`` is well below 1, and converges to the exact solution up to
    the precision of the gradient. Extended precision first; double-double when
    :func:`_long_suffices` finds that extended is not enough.
    """
    w = _tri_solve(R, _tri_solve(R, X.T @ y, transpose=True))
    progress = _Progress()
    finished, converged = progress.update(w, w)
    use_long = _HAVE_LONGDOUBLE
    r_norm = math.inf
    while not finished:
        if use_long:
            g, r_norm = _gradient_long(X, y, w)
        else:
            g = _gradient_dd(X, _residual_dd(X, y, w))
        dw = _tri_solve(R, _tri_solve(R, g, transpose=True))
        w = w + dw
        finished, converged = progress.update(w, dw)
        if finished and use_long and not (converged and _long_suffices(X, y, R, w, r_norm)):
            use_long, progress, finished = False, _Progress(), False
    return w, converged


def _long_suffices(
    X: np.ndarray, y: np.ndarray, R: np.ndarray, w: np.ndarray, r_norm: float
) -> bool:
    """Whether extended precision has fixed every coefficient to a few units in the last place.

    First the estimate of :func:`_long_floor`; if it is not clearly small, a
    measurement: the correction that the gradient computed in the opposite order
    (other rounding errors) asks for must stay below about half a unit in the last place.
    """
    allowed = 2 * _U * np.abs(w)
    if np.all(_long_floor(R, float(np.linalg.norm(y)), r_norm, w, X.shape[0]) <= allowed):
        return True
    g, _ = _gradient_long(X, y, w, reverse=True)
    dw = _tri_solve(R, _tri_solve(R, g, transpose=True))
    return bool(np.all(np.abs(dw) <= _U * np.abs(w)))


def _refine_augmented(
    X: np.ndarray, y: np.ndarray, h: np.ndarray, tau: np.ndarray, R: np.ndarray
) -> tuple[np.ndarray, bool]:
    """Björck's refinement of the augmented system ``r + X w = y``, ``X^T r = 0``.

    Both ``w`` and the residual ``r`` (a double-double pair) are refined, with the
    residuals of both equations in double-double and corrections solved with the
    Householder factors. Contracts when ``kappa u`` is well below 1.
    """
    n, p = X.shape
    w = np.zeros(p)
    r = (np.zeros(n), np.zeros(n))
    progress = _Progress()
    while True:
        f_hi, f_lo = _residual_dd(X, y, w, r)
        g = -_gradient_dd(X, r)
        c = _apply_reflectors(h, tau, f_hi + f_lo, transpose=True)
        hv = _tri_solve(R, g, transpose=True)
        dw = _tri_solve(R, c[:p] - hv)
        c[:p] = hv
        dr = _apply_reflectors(h, tau, c, transpose=False)
        w = w + dw
        r_hi, err = _two_sum(r[0], dr)
        r = _two_sum(r_hi, r[1] + err)
        finished, converged = progress.update(w, dw)
        if finished:
            return w, converged


def _column_exponents(v: np.ndarray) -> np.ndarray:
    """Per column, the ``e`` such that ``ldexp(v, -e)`` has its largest |entry| in [1, 2).

    Scaling by ``ldexp`` rather than by a factor ``2**-e`` also works for subnormal
    columns, whose factor ``2**-e`` (above ``2**1024``) is not a float64.
    """
    top = np.max(np.abs(v), axis=0)
    return np.frexp(np.where(top > 0, top, 1.0))[1] - 1


def _report_singular(message: str, on_singular: str) -> None:
    if on_singular == "raise":
        raise np.linalg.LinAlgError(
            message + " Remove or combine the dependent columns (for polynomials, centre "
            "and scale x or use an orthogonal basis such as numpy.polynomial.Legendre), or "
            "pass on_singular='warn' to get the minimum-norm solution with a warning."
        )
    warnings.warn(
        message + " Returning the minimum-norm least-squares solution.",
        SingularDesignWarning,
        stacklevel=4,
    )


def _singular_message(rank: int | None, n: int, p: int, kappa: float, limit: float) -> str:
    if rank is not None or n < p:
        what = f"exact rank {rank}" if rank is not None else f"rank at most n_samples = {n}"
        extra = f"; n_samples = {n} < n_features" if n < p and rank is not None else ""
        return (
            f"X is rank-deficient: {what} < n_features = {p} (its columns are "
            f"linearly dependent{extra}), so the least-squares minimiser is not unique."
        )
    return (
        f"X is numerically singular: the condition number of X with its columns scaled to "
        f"unit norm is {kappa:.3g} >= cond_limit = {limit:.3g}, so its smallest singular "
        f"value cannot be told from rounding noise and the float64 data do not determine "
        f"the least-squares solution."
    )


def _solve_exact(X: np.ndarray, y: np.ndarray, on_singular: str, limit: float) -> np.ndarray:
    n, p = X.shape
    w, rank = _exact_solution(X, y)
    if rank < p:
        _report_singular(_singular_message(rank, n, p, math.inf, limit), on_singular)
        return _to_float(w)
    kappa = _condition(np.linalg.qr(np.ldexp(X, -_column_exponents(X)), mode="r"))
    if kappa >= limit:
        _report_singular(_singular_message(None, n, p, kappa, limit), on_singular)
        return _min_norm_svd(X, y)
    return _to_float(w)


def _min_norm_svd(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The minimum-norm solution for X truncated at its numerical rank (``lstsq``'s cutoff)."""
    with one_blas_thread():
        return np.linalg.lstsq(X, y, rcond=None)[0]


def _solve_qr(X: np.ndarray, y: np.ndarray, on_singular: str, limit: float) -> np.ndarray:
    n, p = X.shape
    if n < p:
        _report_singular(_singular_message(None, n, p, math.inf, limit), on_singular)
        return _min_norm_svd(X, y)
    with one_blas_thread():
        w, kappa, converged = _refined_qr(X, y, limit)
    if w is None:
        _report_singular(_singular_message(None, n, p, kappa, limit), on_singular)
        return _min_norm_svd(X, y)
    if not converged:
        warnings.warn(
            f"iterative refinement did not converge (condition number of X with unit-norm "
            f"columns {kappa:.3g}); the solution may have fewer correct digits than the "
            f"data allow. method='exact' solves the problem in rational arithmetic.",
            SingularDesignWarning,
            stacklevel=3,
        )
    return w


def _refined_qr(
    X: np.ndarray, y: np.ndarray, limit: float
) -> tuple[np.ndarray | None, float, bool]:
    """``(w, kappa, converged)``; ``w`` is None when X is numerically singular."""
    p = X.shape[1]
    # Householder QR is invariant under scaling columns by powers of two, so X is
    # scaled only when its magnitudes could overflow or underflow the products of
    # the double-double arithmetic.
    col_exp = np.zeros(p, dtype=int)
    h, tau = np.linalg.qr(X, mode="raw")
    with np.errstate(over="ignore"):  # an overflow here only means: scale X first
        norms = np.linalg.norm(np.triu(h[:, :p].T), axis=0)  # column norms of R and of X
    if not np.all((norms > 2.0**-300) & (norms < 2.0**300)):
        col_exp = _column_exponents(X)
        X = np.ldexp(X, -col_exp)
        h, tau = np.linalg.qr(X, mode="raw")
    R = np.triu(h[:, :p].T)
    kappa = _condition(R)
    if not kappa < limit:
        return None, kappa, False
    y_top = float(np.max(np.abs(y)))
    if y_top == 0:
        return np.zeros(p), kappa, True
    y_exp = math.frexp(y_top)[1] - 1
    ys = np.ldexp(y, -y_exp)
    if kappa**2 * _U <= 1e-4:
        w, converged = _refine_semi_normal(X, ys, R)
    else:
        w, converged = _refine_augmented(X, ys, np.ascontiguousarray(h), tau, R)
    with np.errstate(over="ignore"):  # an overflowing solution is reported by the caller
        return np.ldexp(w, y_exp - col_exp), kappa, converged


# ----------------------------------------------------------------------------------
# Public API


def _check_problem(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    design = check_design(X, "X")
    n = design.shape[0]
    target = check_vector(y, "y", n, f" (one target per row of X, n_samples = {n})")
    return design, target


def ols(
    X: ArrayLike,
    y: ArrayLike,
    *,
    method: Literal["auto", "exact", "qr"] = "auto",
    on_singular: Literal["raise", "warn"] = "raise",
    cond_limit: float | None = None,
) -> np.ndarray:
    r"""Ordinary least squares, as accurate as the float64 data allow.

    Returns the :math:`w` that minimises :math:`\mathrm{MSE}(w) = \tfrac1n \lVert y - Xw
    \rVert^2`, computed so that it agrees with the exact least-squares solution of the
    given float64 ``X`` and ``y`` (what rational arithmetic would return) to within a
    few units in the last place, whenever that solution is determined by the data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix: real and finite. Add a column of ones for an intercept.
    y : array-like of shape (n_samples,)
        The targets: real and finite. A column ``(n, 1)`` is rejected, not broadcast.
    method : {"auto", "exact", "qr"}, default "auto"
        ``"exact"`` solves the normal equations in exact rational arithmetic (every
        float64 number is an integer times a power of two) and rounds the result
        once; its cost grows like ``n * p**2`` products of big integers.
        ``"qr"`` uses Householder QR followed by iterative refinement with residuals
        computed in extended precision (x87 80-bit or double-double). ``"auto"``
        takes ``"exact"`` for small problems (``n * p * (p + 1) / 2`` up to 300,000,
        at most 40 features) whose cost, modelled from ``n``, ``p`` and the spread of
        the exponents in each column, is at most that of 365 x 40 standard normal
        data (about 0.3 s), and ``"qr"`` otherwise: both reach the same accuracy, and
        "auto" never takes the exact path where its big integers would grow long
        (one row of 1e-300 among values near 1 makes them 1,000 bits wide).
    on_singular : {"raise", "warn"}, default "raise"
        What to do when X is rank-deficient (its exact rank, with ``"exact"``, is below
        ``n_features``) or numerically singular (the condition number of X with its
        columns scaled to unit norm is at least `cond_limit`): raise
        :class:`numpy.linalg.LinAlgError`, or emit a :class:`SingularDesignWarning` and
        return the minimum-norm least-squares solution: exact when ``"exact"`` finds
        the exact rank below ``n_features``; otherwise from the SVD, with singular
        values below ``max(n, p) * eps`` times the largest treated as zero, as
        :func:`numpy.linalg.lstsq` computes it.
    cond_limit : float, optional
        The condition number of X with unit-norm columns from which X counts as
        numerically singular. Default ``1 / (max(n, p) * eps)``, with ``eps`` the
        float64 machine epsilon: the rank cutoff of :func:`numpy.linalg.matrix_rank`,
        below which a singular value cannot be told from rounding noise (about
        5.5e13 for 82 samples, 4.5e11 for 10,000).

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n_features,)``.

    Raises
    ------
    numpy.linalg.LinAlgError
        If X is rank-deficient or numerically singular and ``on_singular="raise"``.
    ValueError
        On shapes other than ``(n, p)`` and ``(n,)``, empty input, NaN or inf, an
        unknown option, or a solution that overflows float64.
    TypeError
        On non-real input or a non-real `cond_limit`.

    Warns
    -----
    SingularDesignWarning
        With ``on_singular="warn"`` on a singular design; and whenever iterative
        refinement fails to converge (then ``method="exact"`` is the remedy).

    See Also
    --------
    ols_normal_equations : The textbook formula, which loses twice as many digits.
    gradient_descent : The iterative route to the same minimiser.
    numpy.linalg.lstsq : SVD-based least squares, which drops directions whose
        singular value is below ``max(n, p) * eps`` times the largest.

    Notes
    -----
    The target is the exact least-squares solution of the float64 data. Rounding the
    data to float64 limits what *any* method can recover (the condition number
    amplifies that rounding); a method's own rounding errors come on top. The normal
    equations square the condition number ``kappa``; Householder QR alone loses about
    ``kappa * u`` plus ``kappa**2 * u * |r| / (|X| |w|)``, with ``u = 2**-53`` and
    ``r`` the residual. Iterative refinement removes the method's own losses: with
    ``X = QR``, the corrected semi-normal equations
    :math:`w \leftarrow w + (R^\top R)^{-1} X^\top (y - Xw)` (when
    :math:`\kappa^2 u \le 10^{-4}`, ``kappa`` of X with unit-norm columns) or Björck's
    refinement of the augmented system :math:`r + Xw = y,\ X^\top r = 0` (otherwise)
    are repeated, with :math:`y - Xw` and :math:`X^\top r` computed to about twice the
    working precision, until the correction is below the last bits of every
    coefficient. Extended precision is used only where an error estimate, and if
    needed a second evaluation with other rounding errors, shows it is enough.

    References: Å. Björck, *Numerical Methods for Least Squares Problems*, SIAM,
    1996; T. Ogita, S. M. Rump, S. Oishi, "Accurate sum and dot product", SIAM J.
    Sci. Comput. 26(6), 2005; E. H. Bareiss, "Sylvester's identity and multistep
    integer-preserving Gaussian elimination", Math. Comp. 22, 1968.

    Examples
    --------
    >>> import numpy as np
    >>> import mselib as ml
    >>> X = [[1, 0], [1, 1], [1, 2], [1, 3]]  # an intercept and one feature
    >>> ml.ols(X, [1, 3, 5, 7])  # y = 1 + 2 x exactly
    array([1., 2.])
    >>> ml.ols(X, [0, 1, 1, 3])  # least squares: intercept -0.1, slope 0.9
    array([-0.1,  0.9])

    A repeated column makes the minimiser non-unique:

    >>> ml.ols([[1, 1], [2, 2], [3, 3]], [1, 2, 3])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    numpy.linalg.LinAlgError: X is rank-deficient: exact rank 1 < n_features = 2 ...
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     ml.ols([[1, 1], [2, 2], [3, 3]], [1, 2, 3], on_singular="warn")  # minimum norm
    array([0.5, 0.5])
    """
    design, target = _check_problem(X, y)
    return _least_squares(
        design, target, method=method, on_singular=on_singular, cond_limit=cond_limit
    )


def _least_squares(
    design: np.ndarray, target: np.ndarray, *, method: Any, on_singular: Any, cond_limit: Any
) -> np.ndarray:
    """:func:`ols` on a design and targets already checked (its options are checked here)."""
    method = check_choice(method, "method", ("auto", "exact", "qr"))
    on_singular = check_choice(on_singular, "on_singular", ("raise", "warn"))
    n, p = design.shape
    if cond_limit is None:
        limit = 1 / (max(n, p) * _EPS)
    else:
        limit = check_positive_real(cond_limit, "cond_limit")
    if method == "auto":
        small = p <= _EXACT_MAX_FEATURES and n * p * (p + 1) // 2 <= _EXACT_PRODUCTS
        if small:  # only then is it worth measuring the exponents
            bits = _column_bits(design)
            small = bits <= _EXACT_MAX_BITS and _exact_cost(n, p, bits) <= _EXACT_BUDGET
        method = "exact" if small else "qr"
    if method == "exact":
        return _solve_exact(design, target, on_singular, limit)
    return _solve_qr(design, target, on_singular, limit)


def ols_normal_equations(X: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Least squares by the textbook formula :math:`w = (X^\top X)^{-1} X^\top y`.

    Kept to be shown failing: forming :math:`X^\top X` squares the condition number,
    so about twice as many digits are lost as the data require. Use :func:`ols`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix: real and finite.
    y : array-like of shape (n_samples,)
        The targets: real and finite.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n_features,)``: the solution of
        :math:`X^\top X w = X^\top y` by LU with partial pivoting
        (:func:`numpy.linalg.solve`), which is already kinder than multiplying by an
        explicit inverse.

    Raises
    ------
    numpy.linalg.LinAlgError
        If :math:`X^\top X` is exactly singular in floating point. A nearly singular
        one is *not* detected: the result is then silently inaccurate.
    ValueError, TypeError
        On invalid input, as for :func:`ols`.

    See Also
    --------
    ols : Accurate least squares.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.ols_normal_equations([[1, 0], [1, 1], [1, 2], [1, 3]], [1, 3, 5, 7])
    array([1., 2.])
    """
    design, target = _check_problem(X, y)
    with np.errstate(over="ignore", invalid="ignore"):
        gram = design.T @ design
        rhs = design.T @ target
    check_finite_output(gram, "X^T X", X=design)
    check_finite_output(rhs, "X^T y", X=design, y=target)
    return np.linalg.solve(gram, rhs)


def gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    *,
    step: float,
    n_steps: int,
    w0: ArrayLike | None = None,
) -> np.ndarray:
    r"""Fixed-step gradient descent on :math:`\mathrm{MSE}(w) = \tfrac1n \lVert y - Xw \rVert^2`.

    Iterates :math:`w_{k+1} = w_k - \eta\, \nabla \mathrm{MSE}(w_k)` with the gradient
    :math:`\tfrac2n X^\top (X w_k - y)` of :func:`mselib.linear_mse_grad`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix: real and finite.
    y : array-like of shape (n_samples,)
        The targets: real and finite.
    step : float
        The step size :math:`\eta > 0`. The iteration converges for every start
        exactly when :math:`\eta < 2 / L`, with :math:`L = \tfrac2n \sigma_{\max}(X)^2`
        the largest eigenvalue of the Hessian :math:`\tfrac2n X^\top X`.
    n_steps : int
        The number of steps, at least 0.
    w0 : array-like of shape (n_features,), optional
        The starting point. Default: zeros. From zeros the iterates stay in the row
        space of X, so on a rank-deficient X they converge to the minimum-norm
        least-squares solution.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n_steps + 1, n_features)``: the path, starting with
        ``w0``.

    Raises
    ------
    ValueError
        On invalid input, or when the iterates overflow float64 (a step above
        :math:`2 / L` makes them grow geometrically); the message gives :math:`2 / L`.
    TypeError
        On non-real input, a non-real `step` or a non-integer `n_steps`.

    See Also
    --------
    ols : The closed-form minimiser the path converges to.
    mselib.linear_mse_grad : The gradient used at each step.

    Examples
    --------
    >>> import numpy as np
    >>> import mselib as ml
    >>> X = [[1, 0], [1, 1], [1, 2], [1, 3]]
    >>> path = ml.gradient_descent(X, [1, 3, 5, 7], step=0.1, n_steps=2000)
    >>> path.shape
    (2001, 2)
    >>> np.allclose(path[-1], ml.ols(X, [1, 3, 5, 7]), rtol=1e-12)
    True
    """
    design, target = _check_problem(X, y)
    n, p = design.shape
    eta = check_positive_real(step, "step")
    count = check_count(n_steps, "n_steps", minimum=0)
    start = (
        np.zeros(p)
        if w0 is None
        else check_vector(w0, "w0", p, f" (one weight per column of X, n_features = {p})")
    )
    path = np.empty((count + 1, p))
    path[0] = start
    for k in range(count):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                path[k + 1] = path[k] - eta * linear_mse_grad(design, target, path[k])
            finite = bool(np.all(np.isfinite(path[k + 1])))
        except ValueError:  # the inputs are valid, so the gradient itself overflowed
            finite = False
        if not finite:
            lipschitz = 2.0 / n * float(np.linalg.norm(design, 2)) ** 2
            raise ValueError(
                f"gradient descent diverged: the iterate overflowed float64 at step {k + 1}; "
                f"expected step < 2 / L = {2 / lipschitz:.6g} (L = 2/n * sigma_max(X)^2 = "
                f"{lipschitz:.6g}); got step = {eta!r}."
            )
    return path


# ----------------------------------------------------------------------------------
# Inference and shrinkage: ridge, leverage, standard errors, James-Stein.


class RidgeFit(NamedTuple):
    """The result of :func:`ridge`: ``coef`` of shape ``(n_features,)`` and ``intercept``."""

    coef: np.ndarray
    intercept: float


class OLSInference(NamedTuple):
    """The result of :func:`ols_inference`.

    ``coef`` and ``std_err`` have shape ``(n_features,)``; ``resid_std`` is
    :math:`s = \\sqrt{\\mathrm{SSE}/(n - p)}`, ``r2`` the coefficient of determination
    and ``dof`` the residual degrees of freedom :math:`n - p`.
    """

    coef: np.ndarray
    std_err: np.ndarray
    resid_std: float
    r2: float
    dof: int


def _check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}.")
    return bool(value)


def _full_rank_r(X: np.ndarray, function: str) -> np.ndarray:
    """R of a thin QR of X, after checking that X has full column rank numerically.

    The test is the one :func:`ols` applies by default: the condition number of X
    with unit-norm columns must stay below ``1 / (max(n, p) * eps)``.
    """
    n, p = X.shape
    if n < p:
        raise np.linalg.LinAlgError(
            f"{function} needs X of full column rank; got X with shape {X.shape}, "
            f"n_samples = {n} < n_features = {p}, so its rank is at most {n}."
        )
    R = np.linalg.qr(X, mode="r")
    norms = np.linalg.norm(R, axis=0)
    limit = 1 / (max(n, p) * _EPS)
    if np.all(norms > 0):
        sv = np.linalg.svd(R / norms, compute_uv=False)
        kappa = math.inf if sv[-1] == 0 else float(sv[0] / sv[-1])
    else:
        kappa = math.inf
    if not kappa < limit:
        raise np.linalg.LinAlgError(
            f"{function} needs X of full column rank; X is rank-deficient or numerically "
            f"singular: the condition number of X with unit-norm columns is {kappa:.3g} "
            f">= {limit:.3g} = 1 / (max(n, p) * eps). Remove or combine dependent columns."
        )
    return R


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


def _has_constant_column(X: np.ndarray) -> bool:
    return bool(np.any(np.all(X == X[0], axis=0) & (X[0] != 0)))


def ridge(
    X: ArrayLike, y: ArrayLike, *, alpha: float, fit_intercept: bool = True
) -> RidgeFit:
    r"""Ridge regression: minimise :math:`\lVert y - Xw - b\rVert^2 + \alpha\lVert w\rVert^2`.

    The convention of scikit-learn's :class:`~sklearn.linear_model.Ridge`: the penalty
    is on the sum (not the mean) of squared residuals, and the intercept :math:`b` is
    not penalised. With ``fit_intercept=True`` the columns of X and y are centred,
    :math:`w_\alpha = (X_c^\top X_c + \alpha I)^{-1} X_c^\top y_c` and
    :math:`b = \bar y - \bar x^\top w_\alpha`; otherwise :math:`b = 0` and X, y are
    used as given.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The features (without a column of ones when ``fit_intercept=True``): real, finite.
    y : array-like of shape (n_samples,)
        The targets: real and finite.
    alpha : float
        The penalty :math:`\alpha \ge 0` (called :math:`\lambda` in many texts).
        ``alpha=0`` gives least squares: the minimum-norm least-squares solution, with
        singular values of the (centred) X below ``max(n, p) * eps`` times the largest
        treated as zero, as :func:`numpy.linalg.lstsq` does.
    fit_intercept : bool, default True
        Whether to fit an unpenalised intercept.

    Returns
    -------
    RidgeFit
        ``coef``: float64 array of shape ``(n_features,)``; ``intercept``: a float,
        ``0.0`` when ``fit_intercept=False``.

    Raises
    ------
    ValueError
        On shapes other than ``(n, p)`` and ``(n,)``, empty input, NaN or inf, a
        negative or non-finite ``alpha``, or a result that overflows float64.
    TypeError
        On non-real input, a non-real ``alpha`` or a non-bool ``fit_intercept``.

    See Also
    --------
    ols : Least squares without a penalty, as accurate as the data allow.
    sklearn.linear_model.Ridge : The same estimator in scikit-learn.

    Notes
    -----
    Solved through the SVD :math:`X_c = U \operatorname{diag}(s) V^\top`:
    :math:`w_\alpha = V \operatorname{diag}\big(s_j / (s_j^2 + \alpha)\big) U^\top y_c`.
    No :math:`X^\top X` is formed, so an ill-conditioned X loses no more digits than
    the SVD does (about :math:`\kappa u` relative to the largest singular value).

    Examples
    --------
    >>> import mselib as ml
    >>> fit = ml.ridge([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0], alpha=1.0)
    >>> fit.coef  # (x_c^T x_c + 1)^{-1} x_c^T y_c = 4 / 3
    array([1.33333333])
    >>> round(fit.intercept, 12)  # 3 - 1 * 4/3
    1.666666666667
    >>> ml.ridge([[1.0], [2.0]], [1.0, 2.0], alpha=0.0, fit_intercept=False).coef
    array([1.])
    """
    design = check_design(X, "X")
    n, p = design.shape
    target = check_vector(y, "y", n, f" (one target per row of X, n_samples = {n})")
    penalty = check_nonnegative_real(alpha, "alpha")
    intercept_wanted = _check_flag(fit_intercept, "fit_intercept")
    if intercept_wanted:
        x_mean = design.mean(axis=0)
        y_mean = float(target.mean())
        design = design - x_mean
        target = target - y_mean
    with one_blas_thread():
        U, s, Vt = np.linalg.svd(design, full_matrices=False)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if penalty == 0:
            cutoff = max(n, p) * _EPS * (float(s[0]) if s.size else 0.0)
            factor = np.where(s > cutoff, 1 / np.where(s > cutoff, s, 1.0), 0.0)
        else:
            factor = s / (s * s + penalty)
        coef = Vt.T @ (factor * (U.T @ target))
        intercept = y_mean - float(x_mean @ coef) if intercept_wanted else 0.0
    if not (np.all(np.isfinite(coef)) and math.isfinite(intercept)):
        raise ValueError(
            "the ridge solution overflows float64 although X and y are finite; expected "
            "data whose solution is representable. Rescale the columns of X or y."
        )
    return RidgeFit(coef, intercept)


def leverage(X: ArrayLike) -> np.ndarray:
    r"""The leverages :math:`h_{ii}`, the diagonal of the hat matrix :math:`X(X^\top X)^{-1}X^\top`.

    Computed without forming :math:`H`: with the thin QR factorisation
    :math:`X = QR`, :math:`H = QQ^\top` and :math:`h_{ii}` is the squared norm of row
    :math:`i` of :math:`Q`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix (include the column of ones if the model has an intercept):
        real, finite, of full column rank.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n_samples,)``, entries in :math:`[0, 1]` summing to
        ``n_features``; at least ``1 / n_samples`` when X has a constant column.

    Raises
    ------
    numpy.linalg.LinAlgError
        If X does not have full column rank: ``n_samples < n_features``, or the
        condition number of X with unit-norm columns is at least
        ``1 / (max(n, p) * eps)`` (the default test of :func:`ols`).
    ValueError, TypeError
        On invalid input, as for :func:`ols`.

    See Also
    --------
    ols_inference : Standard errors, which use the same QR factor.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.leverage([[1, 0], [1, 1], [1, 2], [1, 3]])  # a line through 4 equally spaced x
    array([0.7, 0.3, 0.3, 0.7])
    >>> ml.leverage([[1, 1], [2, 2]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    numpy.linalg.LinAlgError: leverage needs X of full column rank; X is rank-deficient ...
    """
    design = check_design(X, "X")
    _full_rank_r(design, "leverage")
    with one_blas_thread():
        Q = np.linalg.qr(design, mode="reduced")[0]
    return np.einsum("ij,ij->i", Q, Q)


def ols_inference(X: ArrayLike, y: ArrayLike) -> OLSInference:
    r"""Least-squares coefficients with their standard errors, :math:`s` and :math:`R^2`.

    For the model :math:`y = Xw + \varepsilon` with uncorrelated noise of mean 0 and
    common variance :math:`\sigma^2`, :math:`\operatorname{Cov}(\hat w) =
    \sigma^2 (X^\top X)^{-1}`. The standard error of :math:`\hat w_j` estimates its
    square root with :math:`s^2 = \mathrm{SSE}/(n - p)` in place of :math:`\sigma^2`:
    :math:`s \sqrt{[(X^\top X)^{-1}]_{jj}}`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix (add a column of ones for an intercept): real, finite, of full
        column rank, with ``n_samples > n_features``.
    y : array-like of shape (n_samples,)
        The targets: real and finite.

    Returns
    -------
    OLSInference
        ``coef``: the least-squares coefficients of :func:`ols`; ``std_err``: their
        standard errors; ``resid_std``: :math:`s = \sqrt{\mathrm{SSE}/(n - p)}`;
        ``r2``: :math:`1 - \mathrm{SSE}/\mathrm{SST}`, *centred*
        (:math:`\mathrm{SST} = \sum_i (y_i - \bar y)^2`) when X has a constant
        non-zero column, and *uncentred* (:math:`\mathrm{SST} = \sum_i y_i^2`)
        otherwise, as R's ``lm`` reports it for a model without an intercept;
        ``dof``: :math:`n - p`.

    Raises
    ------
    numpy.linalg.LinAlgError
        If X does not have full column rank.
    ValueError
        If ``n_samples <= n_features`` (no degrees of freedom left for :math:`s`), if
        y is constant (centred) or zero (uncentred) so that :math:`R^2` is undefined,
        or on invalid input as for :func:`ols`.
    TypeError
        On non-real input.

    See Also
    --------
    ols : The coefficients alone.
    leverage : The diagonal of the hat matrix.

    Notes
    -----
    :math:`(X^\top X)^{-1} = R^{-1} R^{-\top}` for the R of a Householder QR of X, so
    the diagonal is the squared row norms of :math:`R^{-1}`; :math:`X^\top X` is
    never formed. Residuals are computed in compensated arithmetic (Dot2 of Ogita,
    Rump and Oishi 2005), which matters when the fitted values are differences of
    large terms. On NIST's Longley data the certified values are reproduced to
    about 12 significant digits or better.

    Examples
    --------
    >>> import mselib as ml
    >>> X = [[1, 0], [1, 1], [1, 2], [1, 3]]
    >>> fit = ml.ols_inference(X, [0, 1, 1, 3])
    >>> fit.coef
    array([-0.1,  0.9])
    >>> fit.std_err  # s = sqrt(0.7 / 2); diag((X^T X)^{-1}) = (0.7, 0.2)
    array([0.49497475, 0.26457513])
    >>> fit.dof, round(fit.r2, 12)  # SST = 4.75, SSE = 0.7
    (2, 0.852631578947)
    """
    design, target = _check_problem(X, y)
    n, p = design.shape
    if n <= p:
        raise ValueError(
            f"ols_inference needs more samples than features to estimate the noise "
            f"variance (n - p >= 1 degrees of freedom); got X with shape {design.shape}."
        )
    R = _full_rank_r(design, "ols_inference")
    coef = _least_squares(design, target, method="auto", on_singular="raise", cond_limit=None)
    resid = _residual_compensated(design, target, coef)
    sse = float(np.dot(resid, resid))
    centred = _has_constant_column(design)
    if centred:
        y_mean = math.fsum(target.tolist()) / n
        sst = float(np.dot(target - y_mean, target - y_mean))
    else:
        sst = float(np.dot(target, target))
    if not (sst > 0 and math.isfinite(sst) and math.isfinite(sse)):
        what = "constant" if centred else "zero"
        raise ValueError(
            f"R^2 is undefined: y is {what}, so SST = {sst!r} "
            f"({'centred' if centred else 'uncentred'}: X "
            f"{'has' if centred else 'has no'} constant column); expected y with "
            f"{'at least two distinct values' if centred else 'a non-zero entry'}."
        )
    with one_blas_thread():
        r_inv = np.linalg.solve(R, np.eye(p))
    dof = n - p
    s = math.sqrt(sse / dof)
    std_err = s * np.sqrt(np.einsum("ij,ij->i", r_inv, r_inv))
    return OLSInference(coef, std_err, s, 1.0 - sse / sst, dof)


def james_stein(x: ArrayLike, *, sigma2: float, positive_part: bool = False) -> np.ndarray:
    r"""The James-Stein estimate :math:`\big(1 - (p - 2)\sigma^2 / \lVert x\rVert^2\big)\, x`.

    For one observation :math:`x \sim N(\theta, \sigma^2 I_p)` with known
    :math:`\sigma^2`, it has a smaller expected squared error
    :math:`\mathbb E\lVert \hat\theta - \theta\rVert^2` than :math:`x` itself, for
    every :math:`\theta`, when :math:`p \ge 3`. The formula is computed for every
    :math:`p \ge 1`, but dominates :math:`x` only for :math:`p \ge 3`: for
    :math:`p = 2` it *is* :math:`x`; for :math:`p = 1` it pushes :math:`x` away from 0
    and has infinite risk.

    Parameters
    ----------
    x : array-like of shape (p,)
        The observation: real and finite, :math:`p \ge 1`.
    sigma2 : float
        The known noise variance :math:`\sigma^2 > 0`.
    positive_part : bool, default False
        Use the factor :math:`\max\big(0, 1 - (p - 2)\sigma^2 / \lVert x\rVert^2\big)`,
        which never flips the sign of :math:`x` and has a smaller risk still.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(p,)``.

    Raises
    ------
    ValueError
        If x is the zero vector where the estimate is undefined: ``p >= 3`` with
        ``positive_part=False`` (division by zero; the positive-part estimate is 0
        there), or ``p == 1`` (the estimate :math:`x + \sigma^2/x` is unbounded near
        0). For ``p == 2`` the estimate is :math:`x`, also at 0. Also on invalid input.
    TypeError
        On non-real input, a non-real ``sigma2`` or a non-bool ``positive_part``.

    See Also
    --------
    ridge : Shrinkage of regression coefficients by a penalty.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.james_stein([3.0, 0.0, 4.0], sigma2=5.0)  # factor 1 - 1 * 5 / 25 = 0.8
    array([2.4, 0. , 3.2])
    >>> ml.james_stein([1.0, 0.0, 0.0], sigma2=2.0)  # factor 1 - 2 = -1: the sign flips
    array([-1., -0., -0.])
    >>> ml.james_stein([1.0, 0.0, 0.0], sigma2=2.0, positive_part=True)
    array([0., 0., 0.])
    """
    obs = check_vector(x, "x")
    variance = check_positive_real(sigma2, "sigma2")
    clip = _check_flag(positive_part, "positive_part")
    p = obs.size
    if p == 2:
        return obs.copy()
    top = float(np.max(np.abs(obs)))
    if top == 0:
        if p >= 3 and clip:
            return np.zeros(p)
        why = (
            "the plain estimate divides by |x|^2 = 0 (positive_part=True gives 0 there)"
            if p >= 3
            else "for p = 1 the estimate x + sigma2 / x is unbounded as x -> 0"
        )
        raise ValueError(
            f"x is the zero vector (p = {p}); {why}. Expected x with a non-zero entry."
        )
    scaled = obs / top  # |x|^2 = top^2 * |scaled|^2 without overflow or underflow
    ratio = (p - 2) * (variance / top) / top / float(np.dot(scaled, scaled))
    factor = 1.0 - ratio
    if clip:
        factor = max(0.0, factor)
    if not math.isfinite(factor):
        raise ValueError(
            f"the shrinkage factor 1 - (p - 2) sigma2 / |x|^2 overflows float64 "
            f"(sigma2 = {variance!r}, max |x| = {top!r}); expected sigma2 / |x|^2 "
            f"representable. Rescale x and sigma2 together."
        )
    return factor * obs
