r"""Iterative refinement of a Householder QR least-squares solution.

:func:`_refined_qr` factors X once (scaling its columns by powers of two only
when they could overflow or underflow), estimates the condition number
(:func:`_condition`) and then refines the solution until the corrections fall
below the last bits of every coefficient (:class:`_Progress`):

* :func:`_refine_semi_normal`: the corrected semi-normal equations, for
  :math:`\kappa^2 u \le 10^{-4}`; gradients in 80-bit extended precision where
  :func:`_long_suffices` shows that is enough, otherwise in double-double.
* :func:`_refine_augmented`: Björck's refinement of the augmented system, for
  worse-conditioned X.

The QR helpers :func:`_apply_reflectors` and :func:`_tri_solve` work on the raw
factors of :func:`numpy.linalg.qr`. The accurate residuals and gradients come from
:mod:`mselib._extended`. A private engine: it takes float64 arrays already checked
and imports nothing public; singular designs are reported by its caller,
:mod:`mselib.linear`.
"""

from __future__ import annotations

import math

import numpy as np

from mselib._extended import (
    _HAVE_LONGDOUBLE,
    _U_LONG,
    _gradient_dd,
    _gradient_long,
    _residual_dd,
    _two_sum,
)

_U = float(np.finfo(np.float64).eps) / 2  # unit roundoff, 2**-53
_MAX_ITER = 30


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

def _condition(R: np.ndarray) -> float:
    """2-norm condition number of ``R`` (and of X) with columns scaled to unit norm.

    The columns are first scaled by powers of two (exact) so that their norms neither
    overflow nor underflow, whatever the magnitude of ``R``.
    """
    R = np.ldexp(R, -_column_exponents(R))
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
