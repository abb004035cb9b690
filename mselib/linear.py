r"""Least squares for the linear model :math:`\hat y = Xw`: the public API.

* :func:`ols`: the least-squares coefficients, as accurate as the float64 data
  allow. Small problems are solved exactly in rational arithmetic and rounded
  once; larger ones by Householder QR followed by iterative refinement with
  residuals computed in extended precision. A rank-deficient or hopelessly
  ill-conditioned design is reported (an error or a warning, by option), never
  returned as silent garbage.
* :func:`ols_normal_equations`: the textbook formula
  :math:`w = (X^\top X)^{-1} X^\top y`, kept to show how many digits it loses.
* :func:`gradient_descent`: the path of fixed-step gradient descent on the MSE.
* :func:`ridge`, :func:`leverage`, :func:`ols_inference` and :func:`james_stein`:
  shrinkage, the hat matrix and standard errors.

Each public function checks its arguments once, with :mod:`mselib._validation`
(real, finite, no broadcasting), and hands the checked float64 arrays to private
kernels: the engines :mod:`mselib._exact` (exact rational arithmetic),
:mod:`mselib._refine` (QR with iterative refinement) and :mod:`mselib._extended`
(extended-precision residuals). This module decides which engine runs and reports
singular designs; :mod:`mselib.likelihood` and :mod:`mselib.selection` reuse its
private :func:`_check_problem` and :func:`_least_squares`.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Callable
from decimal import Decimal, localcontext
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from mselib._exact import _exact_is_cheap, _exact_solution, _to_float
from mselib._extended import _residual_compensated
from mselib._refine import _column_exponents, _condition, _refined_qr
from mselib._threads import one_blas_thread
from mselib._validation import (
    check_choice,
    check_design,
    check_flag,
    check_scalar,
    check_vector,
)
from mselib.gradients import _linear_grad

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
_MAX = float(np.finfo(np.float64).max)
_NORMAL = float(np.finfo(np.float64).smallest_normal)
_CHECK_EVERY = 64  # gradient descent looks for a non-finite iterate every this many steps


class SingularDesignWarning(UserWarning):
    """X is rank-deficient or too ill-conditioned for its float64 data to fix a solution."""


# ----------------------------------------------------------------------------------
# Choosing an engine and reporting singular designs. The kernels take a design and
# targets already checked, and options already checked.


def _default_cond_limit(n: int, p: int) -> float:
    """``1 / (max(n, p) * eps)``: the rank cutoff of :func:`numpy.linalg.matrix_rank`."""
    return 1 / (max(n, p) * _EPS)


def _report_singular(message: str, on_singular: str) -> None:
    if on_singular == "raise":
        raise np.linalg.LinAlgError(
            message + " Remove or combine the dependent columns (for polynomials, centre "
            "and scale x or use an orthogonal basis such as numpy.polynomial.Legendre), or "
            "pass on_singular='warn' to get the minimum-norm solution with a warning."
        )
    _warn(message + " Returning the minimum-norm least-squares solution.")


def _warn(message: str) -> None:
    """Warn with :class:`SingularDesignWarning`, attributed to the user's line.

    The warning points at the first caller outside mselib, however deep the call.
    """
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, SingularDesignWarning, stacklevel=level)


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


def _solve_exact(
    X: np.ndarray, y: np.ndarray, on_singular: str, limit: float, min_norm: bool = True
) -> np.ndarray:
    """The exact path. A rank-deficient X gets the exact minimum-norm solution only with
    ``on_singular="warn"`` and ``min_norm``; with ``"raise"`` none is computed."""
    n, p = X.shape
    w, rank = _exact_solution(X, y, min_norm=min_norm and on_singular == "warn")
    if rank < p:
        _report_singular(_singular_message(rank, n, p, math.inf, limit), on_singular)
        return _to_float(w) if w is not None else _min_norm_svd(X, y)
    kappa = _condition(np.linalg.qr(np.ldexp(X, -_column_exponents(X)), mode="r"))
    if kappa >= limit:
        _report_singular(_singular_message(None, n, p, kappa, limit), on_singular)
        return _min_norm_svd(X, y)
    return _to_float(w)


def _check_solution(w: np.ndarray) -> np.ndarray:
    """``w`` if every coefficient is finite; else the ValueError of :func:`_to_float`."""
    if not np.all(np.isfinite(w)):
        raise ValueError(
            "the least-squares solution overflows float64 (a coefficient exceeds "
            f"{np.finfo(np.float64).max:.3g}); expected data whose solution is representable. "
            "Rescale the columns of X or y."
        )
    return w


def _exponent(v: np.ndarray) -> int:
    """The ``e`` such that ``ldexp(v, -e)`` has its largest |entry| in [1, 2) (0 if v is 0)."""
    top = float(np.max(np.abs(v))) if v.size else 0.0
    return math.frexp(top)[1] - 1 if top > 0 else 0


def _safe_exponent(v: np.ndarray, bound: int = 200) -> int:
    """:func:`_exponent`, or 0 when ``v`` is moderate (largest |entry| within 2**+-bound).

    Scaling by ``2**-e`` is exact, but is applied only where it is needed, so that
    results on moderately scaled data stay bit-for-bit those of the unscaled formulas.
    """
    e = _exponent(v)
    return e if abs(e) > bound else 0


def _min_norm_svd(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The minimum-norm solution for X truncated at its numerical rank (``lstsq``'s cutoff).

    X and y are each scaled by a power of two (exact) when their magnitudes are
    extreme: ``(cX)^+ (dy) = (d / c) X^+ y``. Raises ValueError if the solution
    overflows float64.
    """
    x_exp, y_exp = _safe_exponent(X), _safe_exponent(y)
    with one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        w = np.linalg.lstsq(np.ldexp(X, -x_exp), np.ldexp(y, -y_exp), rcond=None)[0]
        return _check_solution(np.ldexp(w, y_exp - x_exp))


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
        _warn(
            f"iterative refinement did not converge (condition number of X with unit-norm "
            f"columns {kappa:.3g}); the solution may have fewer correct digits than the "
            f"data allow. method='exact' solves the problem in rational arithmetic."
        )
    return _check_solution(w)


_Kernel = Callable[[np.ndarray, np.ndarray, str, float], np.ndarray]


def _solver(design: np.ndarray, method: str) -> _Kernel:
    """The kernel for ``method`` (``"auto"`` resolved by the cost of the exact path).

    Returned rather than called, so that a warning it emits points at the same
    frame whichever public function asked for the solution.
    """
    if method == "exact":
        return _solve_exact
    if method == "auto" and _exact_is_cheap(design):
        return _solve_exact_bounded
    return _solve_qr


def _solve_exact_bounded(
    X: np.ndarray, y: np.ndarray, on_singular: str, limit: float
) -> np.ndarray:
    """``"auto"``'s exact path: a rank-deficient X gets the SVD's minimum-norm solution,
    since the cost of the exact one is not bounded by the model that chose this path."""
    return _solve_exact(X, y, on_singular, limit, False)


# ----------------------------------------------------------------------------------
# Public API


def _check_problem(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """X of shape ``(n, p)`` and y of shape ``(n,)``, checked and as float64.

    The one check of a regression problem, shared with :mod:`mselib.selection` and
    :mod:`mselib.likelihood`.
    """
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
        at most 40 features and no more features than samples) whose cost, modelled
        from ``n``, ``p`` and the spread of the exponents in each column, is at most
        that of 365 x 40 standard normal data (about 0.3 s), and ``"qr"``
        otherwise: both reach the same accuracy, and "auto" never takes the exact
        path where its big integers would grow long (one row of 1e-300 among values
        near 1 makes them 1,000 bits wide), nor computes an exact minimum-norm
        solution for a rank-deficient X.
    on_singular : {"raise", "warn"}, default "raise"
        What to do when X is rank-deficient (its exact rank, with ``"exact"``, is below
        ``n_features``) or numerically singular (the condition number of X with its
        columns scaled to unit norm is at least `cond_limit`): raise
        :class:`numpy.linalg.LinAlgError`, or emit a :class:`SingularDesignWarning` and
        return the minimum-norm least-squares solution: exact when
        ``method="exact"`` finds the exact rank below ``n_features`` (this can take
        long: its integers widen with the spread of the column exponents); otherwise
        from the SVD, with singular
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
        limit = _default_cond_limit(n, p)
    else:
        limit = check_scalar(cond_limit, "cond_limit", low=0, closed="neither")
    return _solver(design, method)(design, target, on_singular, limit)


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
    ValueError
        If the solution overflows float64, or on invalid input as for :func:`ols`.
    TypeError
        On invalid input, as for :func:`ols`.

    See Also
    --------
    ols : Accurate least squares.

    Notes
    -----
    When a column of X or y has entries beyond about :math:`2^{\pm 200}` in
    magnitude, so that :math:`X^\top X` or :math:`X^\top y` could overflow or
    underflow, each column of X (and y) is first scaled by a power of two, which is
    exact and changes the solution only by the same powers of two; the scaled
    :math:`X^\top X` is still formed and solved, and still loses digits to the
    square of the condition number (of X with its columns so scaled). Moderately
    scaled data are used as given.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.ols_normal_equations([[1, 0], [1, 1], [1, 2], [1, 3]], [1, 3, 5, 7])
    array([1., 2.])
    """
    design, target = _check_problem(X, y)
    col_exp = _column_exponents(design)
    y_exp = _exponent(target)
    if np.all(np.abs(col_exp) <= 200) and abs(y_exp) <= 200:
        col_exp, y_exp = np.zeros_like(col_exp), 0  # moderate: the formula as written
    design = np.ldexp(design, -col_exp)
    target = np.ldexp(target, -y_exp)
    gram = design.T @ design
    rhs = design.T @ target
    with np.errstate(over="ignore", invalid="ignore"):
        w = np.ldexp(np.linalg.solve(gram, rhs), y_exp - col_exp)
    if not np.all(np.isfinite(w)):
        raise ValueError(
            "the normal-equations solution overflows float64 (a coefficient exceeds "
            f"{np.finfo(np.float64).max:.3g}, or X^T X is too nearly singular); expected "
            "data whose solution is representable. Rescale the columns of X or y, or use "
            "ols."
        )
    return w


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
        On invalid input; when `n_steps` is so large that the path, ``(n_steps + 1) *
        n_features * 8`` bytes, cannot be allocated (the message gives the size); or
        when the iterates overflow float64 (a step above :math:`2 / L` makes them grow
        geometrically): the message gives :math:`2 / L`, computed without overflow
        and flagged when it is itself beyond the float64 range.
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
    p = design.shape[1]
    eta = check_scalar(step, "step", low=0, closed="neither")
    count = check_scalar(n_steps, "n_steps", kind="int", low=0)
    start = (
        np.zeros(p)
        if w0 is None
        else check_vector(w0, "w0", p, f" (one weight per column of X, n_features = {p})")
    )
    try:
        path = np.empty((count + 1, p))
    except (MemoryError, ValueError, OverflowError) as err:
        need = (count + 1) * p * 8
        raise ValueError(
            f"n_steps = {count} is too large: the path of shape (n_steps + 1, n_features) = "
            f"({count + 1}, {p}) needs {need} bytes ({need / 2**30:.4g} GiB) of float64, "
            f"which could not be allocated ({type(err).__name__}: {err}); expected a path "
            f"that fits in memory (at most {np.iinfo(np.intp).max} bytes can be addressed). "
            f"Use fewer steps."
        ) from None
    path[0] = start
    _descend(design, target, eta, path)
    return path


def _descend(X: np.ndarray, y: np.ndarray, eta: float, path: np.ndarray) -> None:
    """Fill ``path[1:]`` with gradient steps from ``path[0]``; X, y and ``eta`` are checked.

    Each step is ``w - eta * (2/n X^T (X w - y))``, rounded as written, with the
    kernel of :func:`mselib.linear_mse_grad` (which may return inf/NaN on overflow).
    The iterates are scanned for NaN/inf once every ``_CHECK_EVERY`` steps and at the
    end, not at every step, and the first non-finite one is reported: at most
    ``_CHECK_EVERY - 1`` steps after it are computed in vain.
    """
    count = path.shape[0] - 1
    checked = 0  # path[: checked + 1] is known to be finite
    with np.errstate(over="ignore", invalid="ignore"):  # diagnosed below
        for k in range(count):
            w = path[k]
            grad = _linear_grad(X, y, w)
            grad *= eta
            np.subtract(w, grad, out=path[k + 1])
            if k + 1 - checked == _CHECK_EVERY or k + 1 == count:
                finite = np.isfinite(path[checked + 1 : k + 2]).all(axis=1)
                if not finite.all():
                    _raise_diverged(X, eta, checked + 1 + int(np.argmin(finite)))
                checked = k + 1


def _raise_diverged(X: np.ndarray, eta: float, step: int) -> None:
    """Explain that gradient descent overflowed float64 at ``step``, with the bound 2 / L."""
    x_exp = _exponent(X)  # sigma_max(X) = 2**x_exp * sigma_max(X / 2**x_exp), exactly
    sigma = float(np.linalg.norm(np.ldexp(X, -x_exp), 2))
    mantissa = 2.0 / X.shape[0] * sigma * sigma  # L = mantissa * 2**(2 * x_exp)
    raise ValueError(
        f"gradient descent diverged: the iterate overflowed float64 at step {step}; "
        f"expected step < 2 / L = {_format_pow2(2.0 / mantissa, -2 * x_exp)} "
        f"(L = 2/n * sigma_max(X)^2 = {_format_pow2(mantissa, 2 * x_exp)}); "
        f"got step = {eta!r}."
    )


def _format_pow2(mantissa: float, exponent: int) -> str:
    """``mantissa * 2**exponent`` to 6 digits, saying so when it is outside float64."""
    with np.errstate(over="ignore", under="ignore"):
        value = float(np.ldexp(mantissa, exponent))
    if math.isfinite(value) and (value == 0) == (mantissa == 0) and abs(value) >= _NORMAL:
        return f"{value:.6g}"
    with localcontext() as ctx:
        ctx.prec = 40
        exact = Decimal(mantissa) * Decimal(2) ** exponent
    where = "above the largest float64" if abs(exact) > 1 else "below the smallest normal float64"
    return f"{float(exact.scaleb(-exact.adjusted())):.6g}e{exact.adjusted():+d} ({where})"


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


def _full_rank_r(X: np.ndarray, function: str) -> tuple[np.ndarray, np.ndarray]:
    """``(R, e)``: R of a thin QR of ``ldexp(X, -e)``, after checking X's column rank.

    ``e`` holds the per-column power-of-two exponents of :func:`_column_exponents`
    (zeros when every column is moderate, within 2**+-200), so that the QR neither
    overflows nor underflows: Householder QR commutes exactly with such scaling.
    The test is the one :func:`ols` applies by default: the condition number of X
    with unit-norm columns must stay below ``1 / (max(n, p) * eps)``.
    """
    n, p = X.shape
    if n < p:
        raise np.linalg.LinAlgError(
            f"{function} needs X of full column rank; got X with shape {X.shape}, "
            f"n_samples = {n} < n_features = {p}, so its rank is at most {n}."
        )
    col_exp = _column_exponents(X)
    if np.all(np.abs(col_exp) <= 200):
        col_exp = np.zeros_like(col_exp)
    with one_blas_thread():
        R = np.linalg.qr(np.ldexp(X, -col_exp), mode="r")
    limit = _default_cond_limit(n, p)
    kappa = _condition(R)
    if not kappa < limit:
        raise np.linalg.LinAlgError(
            f"{function} needs X of full column rank; X is rank-deficient or numerically "
            f"singular: the condition number of X with unit-norm columns is {kappa:.3g} "
            f">= {limit:.3g} = 1 / (max(n, p) * eps). Remove or combine dependent columns."
        )
    return R, col_exp


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
    X and y of extreme magnitude (beyond about :math:`2^{\pm 200}`) are scaled by
    powers of two, exactly, and the factors :math:`s_j / (s_j^2 + \alpha)` are
    carried as a float times a power of two; the means are computed on data scaled
    down by a power of two when their sums would overflow. Only a coefficient or
    intercept that itself exceeds the float64 range raises.

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
    penalty = check_scalar(alpha, "alpha", low=0)
    intercept_wanted = check_flag(fit_intercept, "fit_intercept")
    # X and y are scaled by powers of two (exact) when extreme: X' = X 2**-x_exp,
    # y' = y 2**-y_exp; then s = s' 2**x_exp and every factor is kept as a float
    # times a power of two, so that nothing overflows or underflows on the way.
    x_exp, y_exp = _safe_exponent(design), _safe_exponent(target)
    design, target = np.ldexp(design, -x_exp), np.ldexp(target, -y_exp)
    if intercept_wanted:
        x_mean, y_mean = _mean(design), float(_mean(target))
        design = design - x_mean
        target = target - y_mean
    with one_blas_thread():
        U, s, Vt = np.linalg.svd(design, full_matrices=False)
    s_frac, s_exp = np.frexp(s)  # s' = s_frac * 2**s_exp, s_frac in [0.5, 1) or 0
    if penalty == 0:
        cutoff = max(n, p) * _EPS * (float(s[0]) if s.size else 0.0)
        kept = s > cutoff
        factor = np.where(kept, 1 / np.where(kept, s_frac, 1.0), 0.0)  # 1 / s'
        f_exp = -s_exp
    else:
        # s / (s^2 + alpha) = s_frac / (s_frac^2 2**-shift + a_frac 2**(r - shift))
        #                     * 2**(-x_exp - s_exp - shift), with r, shift as below.
        a_frac, a_exp = math.frexp(penalty)
        r = a_exp - 2 * x_exp - 2 * s_exp
        shift = np.maximum(r, 0)
        with np.errstate(under="ignore"):
            denom = np.ldexp(s_frac * s_frac, -shift) + np.ldexp(a_frac, r - shift)
        # denom >= 1/4 unless s = 0 (then the factor is 0 and denom may underflow to 0)
        factor = s_frac / np.where(s_frac > 0, denom, 1.0)
        f_exp = -s_exp - shift
    # term_j = factor_j (U^T y')_j 2**(f_exp_j - x_exp + y_exp); coef = V term
    term = factor * (U.T @ target)
    t_exp = f_exp - x_exp + y_exp
    nonzero = term != 0  # a zero term may carry any exponent: leave it out of the max
    top = int(np.max((np.frexp(term)[1] + t_exp)[nonzero])) if np.any(nonzero) else 0
    with np.errstate(over="ignore", under="ignore"):
        coef_scaled = Vt.T @ np.ldexp(term, t_exp - top)  # coef = coef_scaled * 2**top
        coef = np.ldexp(coef_scaled, top)
        intercept = (
            _intercept(y_mean, y_exp, x_mean, x_exp, coef_scaled, top)
            if intercept_wanted
            else 0.0
        )
    if not (np.all(np.isfinite(coef)) and math.isfinite(intercept)):
        raise ValueError(
            "the ridge solution overflows float64 although X and y are finite; expected "
            "data whose solution is representable. Rescale the columns of X or y."
        )
    return RidgeFit(coef, intercept)


def _mean(v: np.ndarray) -> np.ndarray:
    """``v.mean(axis=0)``, computed on ``v / 2**k`` when the plain sum overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = v.mean(axis=0)
    if np.all(np.isfinite(mean)):
        return mean
    k = v.shape[0].bit_length() + 1  # |sum of v / 2**k| < 2**1024
    return np.ldexp(np.ldexp(v, -k).mean(axis=0), k)


def _intercept(
    y_mean: float, y_exp: int, x_mean: np.ndarray, x_exp: int, coef: np.ndarray, c_exp: int
) -> float:
    """``b = 2**y_exp y_mean - 2**(x_exp + c_exp) x_mean @ coef``, without overflow or
    underflow on the way.

    The dot product is taken of ``x_mean`` and ``coef`` scaled by powers of two, so
    the scaling is exact and the result is what the plain formula gives whenever
    that does not overflow.
    """
    m_exp, w_exp = _exponent(x_mean), _exponent(coef)
    dot = float(np.ldexp(x_mean, -m_exp) @ np.ldexp(coef, -w_exp))
    d_exp = m_exp + w_exp + x_exp + c_exp
    top = max(d_exp, y_exp + math.frexp(y_mean)[1])
    return float(np.ldexp(np.ldexp(y_mean, y_exp - top) - np.ldexp(dot, d_exp - top), top))


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

    Notes
    -----
    H is invariant under scaling the columns of X, so columns of extreme magnitude
    (beyond about :math:`2^{\pm 200}`) are first scaled by powers of two, which is
    exact. The computed squared row norms can miss the bounds by an ulp of rounding
    (1 + 2.2e-16, or 0.19999999999999993 for ``1/5``); they are clipped to
    :math:`[0, 1]`, and to at least ``1 / n_samples`` when X has a constant non-zero
    column, so the documented bounds hold exactly (the sum then equals
    ``n_features`` up to rounding).

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
    n = design.shape[0]
    _, col_exp = _full_rank_r(design, "leverage")
    with one_blas_thread():
        Q = np.linalg.qr(np.ldexp(design, -col_exp), mode="reduced")[0]
    h = np.einsum("ij,ij->i", Q, Q)
    low = 1.0 / n if _has_constant_column(design) else 0.0
    return np.clip(h, low, 1.0)


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
    never formed. Columns of X and y of extreme magnitude (beyond about
    :math:`2^{\pm 200}`) are scaled by powers of two before the QR factorisation and
    the sums of squares, and the results scaled back exactly, so that nothing
    overflows or underflows on the way; a standard error that itself exceeds the
    float64 range raises ValueError. Residuals are computed in compensated
    arithmetic (Dot2 of Ogita, Rump and Oishi 2005), which matters when the fitted
    values are differences of large terms. On NIST's Longley data the certified
    values are reproduced to about 12 significant digits or better.

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
    R, col_exp = _full_rank_r(design, "ols_inference")
    # Everything below works on X and y scaled by powers of two (exact), and scales
    # back at the end: X' = X 2**-col_exp, y' = y 2**-y_exp, w' = w 2**(col_exp - y_exp),
    # so that a coefficient that underflows float64 does not spoil the residuals.
    y_exp = _exponent(target)
    if abs(y_exp) <= 200 and not np.any(col_exp):
        y_exp = 0  # moderate data: the formulas as written
    design, target = np.ldexp(design, -col_exp), np.ldexp(target, -y_exp)
    w = _solver(design, "auto")(design, target, "raise", _default_cond_limit(n, p))
    with np.errstate(over="ignore", under="ignore"):
        coef = _check_solution(np.ldexp(w, y_exp - col_exp))
        resid = _residual_compensated(design, target, w)
    r_exp = _safe_exponent(resid)  # SSE = sse * 4**(r_exp + y_exp), SST = sst * 4**y_exp
    resid = np.ldexp(resid, -r_exp)
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
    with np.errstate(over="ignore", under="ignore"):
        r2 = 1.0 - float(np.ldexp(sse / sst, 2 * r_exp))
        resid_std = float(np.ldexp(s, r_exp + y_exp))
        std_err = np.ldexp(
            s * np.sqrt(np.einsum("ij,ij->i", r_inv, r_inv)), r_exp + y_exp - col_exp
        )
    if not (math.isfinite(resid_std) and np.all(np.isfinite(std_err))):
        raise ValueError(
            f"the standard errors overflow float64 (s = {_format_pow2(s, r_exp + y_exp)}); "
            "expected X and y whose standard errors are representable. Rescale the "
            "columns of X or y."
        )
    return OLSInference(coef, std_err, resid_std, r2, dof)


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
        0). For ``p == 2`` the estimate is :math:`x`, also at 0. Also if the estimate
        itself overflows float64, and on invalid input.
    TypeError
        On non-real input, a non-real ``sigma2`` or a non-bool ``positive_part``.

    See Also
    --------
    ridge : Shrinkage of regression coefficients by a penalty.

    Notes
    -----
    :math:`\lVert x\rVert^2` is computed on :math:`x / \max_i |x_i|`, and when the
    ratio :math:`(p - 2)\sigma^2 / \lVert x\rVert^2` (or an intermediate of it) is
    beyond the float64 range it is carried as a float times a power of two: only an
    estimate that is itself beyond the range raises.

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
    variance = check_scalar(sigma2, "sigma2", low=0, closed="neither")
    clip = check_flag(positive_part, "positive_part")
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
    norm2 = float(np.dot(scaled, scaled))
    ratio = (p - 2) * (variance / top) / top / norm2
    if not math.isfinite(ratio):  # an intermediate overflowed: ratio = frac * 2**exp
        (v_frac, v_exp), (t_frac, t_exp) = math.frexp(variance), math.frexp(top)
        frac, exp = (p - 2) * v_frac / (t_frac * t_frac) / norm2, v_exp - 2 * t_exp
        if clip or exp < 1000:  # the factor is finite (0 when clipped)
            with np.errstate(over="ignore"):
                ratio = float(np.ldexp(frac, exp))
        else:  # factor * x = x - ratio * x, with |ratio| > 2**1000 >> 1
            with np.errstate(over="ignore", under="ignore"):
                x_frac, x_exp = np.frexp(obs)
                out = -np.ldexp(frac * x_frac, exp + x_exp)
            return _check_estimate(out, variance, top)
    factor = 1.0 - ratio
    if clip:
        factor = max(0.0, factor)
    with np.errstate(over="ignore"):
        return _check_estimate(factor * obs, variance, top)


def _check_estimate(out: np.ndarray, variance: float, top: float) -> np.ndarray:
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"the James-Stein estimate (1 - (p - 2) sigma2 / |x|^2) x overflows float64 "
            f"(sigma2 = {variance!r}, max |x| = {top!r}); expected an estimate that is "
            f"representable. Rescale x and sigma2 together."
        )
    return out
