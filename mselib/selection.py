r"""Estimating the test MSE of ridge and least squares (chapter 10).

* :func:`loo_mse`: the exact leave-one-out MSE, from one fit, through the identity
  :math:`y_i - \hat y_{-i}(x_i) = e_i / (1 - h_{ii})`.
* :func:`kfold_mse`: K-fold cross-validation, with a fold assignment fixed by a seed.
* :func:`gcv`: generalised cross-validation, :math:`h_{ii}` replaced by
  :math:`\operatorname{tr} S / n`.
* :func:`effective_dof`: the effective degrees of freedom
  :math:`\operatorname{tr} S(\alpha) = \sum_j s_j^2 / (s_j^2 + \alpha)`.

The model is the linear smoother :math:`\hat y = S(\alpha)\, y` of ridge regression
without an intercept: :math:`\hat w_\alpha` minimises
:math:`\lVert y - Xw \rVert^2 + \alpha \lVert w \rVert^2` with the penalty on *every*
column of the design matrix X, and ``alpha=0`` is least squares (the minimum-norm
solution when X is rank-deficient). For an intercept, add a column of ones to X; with
``alpha > 0`` it is then penalised too, unlike scikit-learn's ``fit_intercept=True``
(which centres the data and leaves the intercept free); the results agree with
scikit-learn's estimators fitted with ``fit_intercept=False``.

Everything is computed from the thin SVD :math:`X = U \operatorname{diag}(s) V^\top`:
no :math:`X^\top X` and no inverse is formed. X and y are scaled by powers of two
(exactly, and ``alpha`` with X) so that the singular values are near 1, and the
shrinkage factors :math:`s_j^2 / (s_j^2 + \alpha)` and :math:`\alpha / (s_j^2 +
\alpha)` are formed from mantissas and exponents: no step overflows or underflows
unless the result itself does, anywhere in the float64 range. Each public function checks its
arguments once, with :mod:`mselib._validation` (X and y by the rules of
:func:`mselib.ols`), and then calls the private kernels of this module on the checked
float64 arrays.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from mselib._threads import one_blas_thread
from mselib._validation import check_design, check_finite_value, check_scalar
from mselib.linear import _check_problem

__all__ = ["effective_dof", "gcv", "kfold_mse", "loo_mse"]

_EPS = float(np.finfo(np.float64).eps)  # 2**-52
_LEVERAGE_SLACK = 100  # 1 - h_ii <= 100 max(n, p) eps counts as h_ii = 1


class _Smoother(NamedTuple):
    r"""What the estimates need of :math:`S(\alpha) = U \operatorname{diag}(f) U^\top`.

    ``residual``, ``one_minus_h`` and ``gap`` are :math:`e = y - Sy` (of the scaled y),
    :math:`1 - h_{ii}` and :math:`n - \operatorname{tr} S`, each times the same power
    of two :math:`2^{-\text{scale}}`. ``scale`` is 0 when ``n > p``; when ``n <= p`` the
    factors :math:`1 - f_j` are normalised so that the largest is in [1, 2), which
    keeps them from underflowing and leaves the ratios the estimates take
    (:math:`e_i / (1 - h_{ii})` and :math:`e / \text{gap}`) unchanged.
    ``math.ldexp(one_minus_h[i], scale)`` is the true :math:`1 - h_{ii}` (for messages).
    """

    residual: np.ndarray  # e = y - S y, for y scaled by a power of two, times 2**-scale
    one_minus_h: np.ndarray  # (1 - S_ii) * 2**-scale, without cancellation where it matters
    gap: float  # (n - tr S) * 2**-scale, a sum of non-negative terms
    trace: float  # tr S = sum(f)
    scale: int


# ----------------------------------------------------------------------------------
# Private kernels: X and y already checked, alpha a float >= 0.


def _exponent(values: np.ndarray) -> int:
    """The ``e`` with ``ldexp(values, -e)`` largest in absolute value in [0.5, 1) (0 if all 0)."""
    top = float(np.max(np.abs(values))) if values.size else 0.0
    return math.frexp(top)[1] if top > 0 else 0


def _scaled(values: np.ndarray, exponent: int) -> np.ndarray:
    """``values * 2**-exponent``, exactly (entries tiny beside the largest may round)."""
    with np.errstate(under="ignore", over="ignore"):
        return np.ldexp(values, -exponent)


def _svd(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with one_blas_thread():
        return np.linalg.svd(X, full_matrices=False)


def _shrinkage(
    s: np.ndarray, alpha: float, shape: tuple[int, int], shift: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The factors :math:`f_j` and :math:`1 - f_j`, for the singular values ``s * 2**shift``.

    :math:`f_j = s_j^2 / (s_j^2 + \alpha) = 1 / (1 + r_j)` and :math:`1 - f_j =
    \alpha / (s_j^2 + \alpha) = r_j / (1 + r_j)`, with :math:`r_j = \alpha / s_j^2`
    formed from the mantissas and exponents of :math:`\alpha` and :math:`s_j`, so that
    neither :math:`s_j^2` nor :math:`r_j` overflows or underflows: each factor is
    correct to a few ulps, and is 0 (or subnormal) only when the exact one is that
    small. :math:`1 - f_j` is returned as ``mant * 2**expo`` (``mant`` in (0, 4)), which
    does not underflow at all. With ``alpha = 0``, a singular value at or below
    ``max(n, p) * eps * s_max`` (the cutoff of :func:`numpy.linalg.lstsq`) counts as
    zero: :math:`f_j \in \{0, 1\}`.
    """
    zero = np.zeros(s.shape, dtype=np.int64)
    if s.size == 0 or s[0] == 0:
        return np.zeros_like(s), np.ones_like(s), zero
    if alpha == 0:
        f = (s > max(shape) * _EPS * s[0]).astype(np.float64)
        return f, 1.0 - f, zero
    a_mant, a_exp = math.frexp(alpha)
    s_mant, s_exp = np.frexp(s)
    live = s > 0
    safe = np.where(live, s_mant, 1.0)
    ratio_mant = a_mant / (safe * safe)  # in (0.5, 4)
    ratio_exp = a_exp - 2 * (s_exp.astype(np.int64) + shift)  # r = ratio_mant * 2**ratio_exp
    huge = ~live | (ratio_exp > 64)  # r > 2**64: 1 + r rounds to r
    tiny = live & (ratio_exp < -64)  # r < 2**-62: 1 + r rounds to 1
    mid = ~huge & ~tiny
    r = np.ldexp(ratio_mant, np.where(mid, ratio_exp, 0))
    with np.errstate(under="ignore"):  # f = 1 / r, below 2**-62, may be subnormal or 0
        f = np.where(
            huge,
            np.where(live, np.ldexp(1.0 / ratio_mant, np.where(huge & live, -ratio_exp, 0)), 0.0),
            np.where(tiny, 1.0, 1.0 / (1.0 + r)),
        )
    comp_mant = np.where(huge, 1.0, np.where(tiny, ratio_mant, ratio_mant / (1.0 + r)))
    comp_exp = np.where(huge, 0, ratio_exp)
    return f, comp_mant, comp_exp


def _smoother(X: np.ndarray, y: np.ndarray, alpha: float, shift: int) -> _Smoother:
    r"""Residuals, :math:`1 - h_{ii}`, :math:`n - \operatorname{tr} S` of ridge on (X, y).

    X and y are scaled copies (largest entries in [0.5, 1)); the singular values of the
    caller's X are those of this X times ``2**shift``.
    """
    n, p = X.shape
    U, s, _ = _svd(X)
    f, comp_mant, comp_exp = _shrinkage(s, alpha, X.shape, shift)
    coords = U.T @ y
    U2 = U * U
    if n <= p:
        # U is square and orthogonal: S = U diag(f) U^T and I - S = U diag(1 - f) U^T
        # exactly, with nothing outside the column space. Every estimate is a ratio
        # homogeneous in 1 - f, which is therefore normalised by a power of two.
        mant, expo = np.frexp(comp_mant)
        expo = expo.astype(np.int64) + comp_exp
        scale = int(np.max(expo[mant > 0])) - 1 if np.any(mant > 0) else 0
        with np.errstate(under="ignore"):
            comp = np.ldexp(mant, np.clip(expo - scale, -2000, 2000))  # largest in [1, 2)
        residual = U @ (comp * coords)
        one_minus_h = U2 @ comp
        gap = float(comp.sum())
    else:
        # (1 - sum_j U_ij^2) is the part of 1 - h_ii outside the column space, with an
        # absolute rounding error of order eps, like e_i = y_i - (U (f * U^T y))_i
        # itself (its part outside is not computed any better from a complement of U);
        # hence the refusal threshold of loo_mse. The second term is a sum of
        # non-negative terms, each with its relative accuracy.
        scale = 0
        with np.errstate(under="ignore"):
            comp = np.ldexp(comp_mant, np.clip(comp_exp, -2000, 2000))
        residual = y - U @ (f * coords)
        outside = np.clip(1.0 - U2.sum(axis=1), 0.0, None)
        one_minus_h = outside + U2 @ comp
        gap = float((n - s.size) + comp.sum())
    return _Smoother(residual, one_minus_h, gap, float(f.sum()), scale)


def _mean_square(values: np.ndarray, exponent: int | np.ndarray, quantity: str) -> float:
    """The mean of ``(values * 2**exponent)**2``, without overflow or underflow on the way.

    Raises ValueError if the result overflows float64; it underflows to 0 (or a
    subnormal) only when the exact mean square does.
    """
    mant, expo = np.frexp(values)
    expo = expo.astype(np.int64) + exponent
    live = mant != 0
    if not np.any(live):
        return 0.0
    top = int(np.max(expo[live]))
    with np.errstate(under="ignore"):
        scaled = np.ldexp(mant, np.clip(expo - top, -2000, 0))  # largest in [0.5, 1)
    mean = float(np.dot(scaled, scaled)) / values.size
    try:
        total = math.ldexp(mean, 2 * top)
    except OverflowError:
        total = math.inf
    return check_finite_value(total, quantity, "expected y of a moderate scale; rescale y.")


def _ridge_predict(
    X: np.ndarray, y: np.ndarray, X_test: np.ndarray, alpha: float, shift: int
) -> tuple[np.ndarray, np.ndarray]:
    r"""Predictions of ridge or minimum-norm least squares fitted on (X, y), at X_test.

    The coefficients are :math:`V \operatorname{diag}(g) U^\top y` with :math:`g_j = f_j
    / s_j` (0 where :math:`f_j = 0`), for a scaled X (largest entry in [0.5, 1)) whose
    singular values times ``2**shift`` are those of the caller's; so the penalty is
    :math:`\alpha\, 2^{-2\,\text{shift}}` on this scale. Returned as ``(mant, expo)``,
    the predictions being ``mant * 2**expo``: when some :math:`g_j` would overflow (a
    singular value below about :math:`2^{-900}` that the penalty does not damp; only
    possible when X holds entries that are subnormal on this scale), each row is summed
    on its own scale instead of forming the coefficients.

    Only used on data already checked: the training folds of :func:`kfold_mse`.
    """
    U, s, Vt = _svd(X)
    f, _, _ = _shrinkage(s, alpha, X.shape, shift)
    coords = U.T @ y
    s_mant, s_exp = np.frexp(s)
    keep = f > 0
    gain_exp = np.where(keep, -s_exp.astype(np.int64), 0)
    if np.max(gain_exp, initial=0) < 900:
        gain = np.where(keep, f / np.where(keep, s, 1.0), 0.0)
        return X_test @ (Vt.T @ (gain * coords)), np.zeros(X_test.shape[0], dtype=np.int64)
    terms = (X_test @ Vt.T) * np.where(keep, f / np.where(keep, s_mant, 1.0), 0.0) * coords
    t_mant, t_exp = np.frexp(terms)
    t_exp = t_exp.astype(np.int64) + gain_exp
    expo = np.max(np.where(t_mant != 0, t_exp, np.iinfo(np.int64).min), axis=1, initial=0)
    with np.errstate(under="ignore"):
        mant = np.ldexp(t_mant, np.clip(t_exp - expo[:, None], -2000, 0)).sum(axis=1)
    return mant, expo


def _difference(
    a: np.ndarray, b: np.ndarray, shift: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``a - b * 2**shift`` as ``(values, exponents)``: ``values * 2**exponents``, per entry.

    Each entry is scaled to the larger of its two terms, so that neither overflows.
    """
    a_exp = np.frexp(a)[1].astype(np.int64)
    b_exp = np.frexp(b)[1].astype(np.int64) + shift
    common = np.maximum(np.where(a != 0, a_exp, b_exp), np.where(b != 0, b_exp, a_exp))
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        values = np.ldexp(a, np.clip(-common, -2000, 2000)) - np.ldexp(
            b, np.clip(shift - common, -2000, 2000)
        )
    return values, common


def _fold_bounds(n: int, k: int) -> np.ndarray:
    """Fold boundaries: the first ``n % k`` folds hold ``n // k + 1`` points, others ``n // k``."""
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    return np.concatenate([[0], np.cumsum(sizes)])


# ----------------------------------------------------------------------------------
# Public API


def loo_mse(X: ArrayLike, y: ArrayLike, *, alpha: float = 0.0) -> float:
    r"""The exact leave-one-out MSE of ridge regression or least squares, from one fit.

    Leaving out observation :math:`i` and refitting on the other :math:`n - 1` gives
    the prediction :math:`\hat y_{-i}(x_i)`; the leave-one-out MSE is
    :math:`\frac1n \sum_i (y_i - \hat y_{-i}(x_i))^2` (PRESS / n). For ridge and least
    squares, :math:`y_i - \hat y_{-i}(x_i) = e_i / (1 - h_{ii})`, with :math:`e = y -
    S y` the residuals of the fit on all :math:`n` points and :math:`h_{ii}` the
    diagonal of the smoother :math:`S = X (X^\top X + \alpha I)^{-1} X^\top` (the
    leverages when ``alpha = 0``), so no refit is needed.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix: real, finite. Every column is penalised; add a column of
        ones for an intercept (penalised too when ``alpha > 0``).
    y : array-like of shape (n_samples,)
        The targets: real and finite.
    alpha : float, default 0.0
        The ridge penalty :math:`\alpha \ge 0` on :math:`\lVert w \rVert^2` (on the sum,
        not the mean, of squared residuals: scikit-learn's ``Ridge``). ``alpha=0`` is
        least squares; for a rank-deficient X, the minimum-norm solution, with singular
        values below ``max(n, p) * eps`` times the largest treated as zero.

    Returns
    -------
    float
        The leave-one-out MSE.

    Raises
    ------
    ValueError
        If some :math:`h_{ii} = 1` to within rounding (:math:`1 - h_{ii} \le
        100 \max(n, p)\, \varepsilon`, relative to :math:`\max_j (1 - f_j)` when
        ``n_samples <= n_features``): the fit without point :math:`i` cannot predict
        at :math:`x_i` (least squares with ``alpha=0`` on a point that alone
        determines a direction of the fit, for example when ``n_samples <=
        n_features``). With ``alpha > 0`` every :math:`h_{ii} < 1`; it is then refused
        only when ``n_samples > n_features`` and :math:`1 - h_{ii}` is so small (a
        point that alone determines a direction, and a tiny ``alpha``) that rounding
        error of order :math:`\varepsilon` would dominate it. Also on shapes other than
        ``(n, p)`` and ``(n,)``, empty input, NaN or inf, a negative or non-finite
        ``alpha``, or a result that overflows float64.
    TypeError
        On non-real input or a non-real ``alpha``.

    See Also
    --------
    kfold_mse : K-fold cross-validation; ``k = n_samples`` gives the same value (to
        rounding) wherever ``loo_mse`` is defined.
    gcv : The same with every :math:`h_{ii}` replaced by their mean.
    leverage : The diagonal :math:`h_{ii}` of the hat matrix (``alpha = 0``).
    sklearn.linear_model.RidgeCV : With ``cv=None`` and ``fit_intercept=False``, its
        ``best_score_`` for one ``alpha`` is minus this value (an exact
        leave-one-out error, although its option is called ``gcv_mode``).

    Notes
    -----
    From the thin SVD :math:`X = U \operatorname{diag}(s) V^\top`:
    :math:`S = U \operatorname{diag}(f) U^\top` with :math:`f_j = s_j^2 / (s_j^2 +
    \alpha)`, and :math:`1 - f_j = \alpha / (s_j^2 + \alpha)` computed as such (not
    as a difference). When ``n_samples <= n_features``, U is square, so that
    :math:`e = U \operatorname{diag}(1 - f) U^\top y` and :math:`1 - h_{ii} =
    \sum_j U_{ij}^2 (1 - f_j)` exactly, without cancellation: both keep their
    relative accuracy however small ``alpha`` is, and their ratio does not depend on
    its size (as ``alpha`` tends to 0 the leave-one-out MSE tends to a finite limit,
    although at ``alpha = 0`` it is undefined). Otherwise :math:`1 - h_{ii} = (1 -
    \sum_j U_{ij}^2) + \sum_j U_{ij}^2 (1 - f_j)`, a sum of non-negative terms whose
    first (the part outside the column space) carries an absolute rounding error of
    order :math:`\varepsilon`, as does :math:`e_i`: the threshold above. X and y are
    first scaled by powers of two (exactly), and ``alpha`` with X, so that no
    :math:`s_j^2` or :math:`\alpha / s_j^2` overflows or underflows: the result is
    as accurate for X and y anywhere in the float64 range as near 1.

    Examples
    --------
    >>> import mselib as ml
    >>> X = [[1, 0], [1, 1], [1, 2], [1, 3]]  # intercept and slope
    >>> y = [0, 1, 1, 3]  # e = (.1, .2, -.7, .4) and h = (.7, .3, .3, .7)
    >>> round(ml.loo_mse(X, y), 12)  # mean of (1/3)^2, (2/7)^2, 1^2, (4/3)^2
    0.742630385488
    >>> round(ml.loo_mse([[1], [1], [1]], [1, 2, 6]), 12)  # y_i - mean of the others
    10.5
    >>> ml.loo_mse([[1, 0], [1, 1]], [1, 2])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: loo_mse is undefined: observation 0 has leverage h_ii = 1 ...
    """
    design, target = _check_problem(X, y)
    penalty = check_scalar(alpha, "alpha", low=0)
    n, p = design.shape
    x_exp, y_exp = _exponent(design), _exponent(target)
    fit = _smoother(_scaled(design, x_exp), _scaled(target, y_exp), penalty, x_exp)
    tol = _LEVERAGE_SLACK * max(n, p) * _EPS
    if np.any(fit.one_minus_h <= tol):
        i = int(np.argmax(fit.one_minus_h <= tol))
        raise ValueError(
            f"loo_mse is undefined: observation {i} has leverage h_ii = 1 to within "
            f"rounding (1 - h_ii = {math.ldexp(float(fit.one_minus_h[i]), fit.scale):.3g} "
            f"<= {math.ldexp(tol, fit.scale):.3g}), so the fit without it cannot "
            f"predict at its x (X has shape {design.shape}, alpha = {penalty!r}); "
            f"expected every h_ii < 1. Use alpha > 0 (or a larger alpha), or drop the "
            f"column only that observation determines."
        )
    loo_residual = fit.residual / fit.one_minus_h  # no overflow: 1 - h_ii > tol
    return _mean_square(loo_residual, y_exp, "the leave-one-out MSE")


def kfold_mse(
    X: ArrayLike, y: ArrayLike, *, k: int, alpha: float = 0.0, seed: int
) -> float:
    r"""K-fold cross-validation MSE of ridge regression or least squares.

    The observations are split into ``k`` folds; for each fold the model is fitted on
    the other ``k - 1`` and predicts the held-out ones. The result is the mean of the
    ``n`` held-out squared errors, :math:`\frac1n \sum_i (y_i - \hat y_{-\kappa(i)}
    (x_i))^2`, where :math:`\kappa(i)` is the fold of observation :math:`i`. (When
    ``k`` divides ``n`` this is also the mean of the ``k`` fold MSEs; otherwise that
    mean weighs the points of the smaller folds more.)

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix: real, finite. Every column is penalised; add a column of
        ones for an intercept (penalised too when ``alpha > 0``).
    y : array-like of shape (n_samples,)
        The targets: real and finite.
    k : int
        The number of folds, ``2 <= k <= n_samples``. ``k = n_samples`` is leave-one-out.
    alpha : float, default 0.0
        The ridge penalty :math:`\alpha \ge 0`, as in :func:`loo_mse`. With
        ``alpha=0`` each fold is fitted by minimum-norm least squares (singular values
        below ``max(n, p) * eps`` times the largest treated as zero).
    seed : int
        The seed of the fold assignment, an integer ``>= 0``:
        ``order = np.random.default_rng(seed).permutation(n)``, and fold ``j`` holds
        the observations ``order[b[j]:b[j + 1]]``, where the first ``n % k`` folds
        have ``n // k + 1`` observations and the others ``n // k``. These are the folds
        of scikit-learn's ``KFold(k)`` (without shuffling) applied to the rows
        ``X[order]``, ``y[order]``.

    Returns
    -------
    float
        The K-fold cross-validation MSE.

    Raises
    ------
    ValueError
        If ``k < 2`` or ``k > n_samples``, if ``seed`` is negative, on shapes other
        than ``(n, p)`` and ``(n,)``, empty input, NaN or inf, a negative or
        non-finite ``alpha``, or a result that overflows float64.
    TypeError
        On non-real input, a non-real ``alpha``, or a non-integer ``k`` or ``seed``.

    See Also
    --------
    loo_mse : Leave-one-out from a single fit.
    sklearn.model_selection.cross_val_predict : With ``KFold(k)`` on the permuted rows
        and ``Ridge(alpha, fit_intercept=False)``, the same held-out predictions.

    Examples
    --------
    >>> import numpy as np
    >>> import mselib as ml
    >>> X = [[1.0], [1.0], [1.0], [1.0]]
    >>> y = [1.0, 2.0, 3.0, 6.0]  # the model is the mean of the training fold
    >>> round(ml.kfold_mse(X, y, k=4, seed=0), 12)  # k = n: leave-one-out, 56/9
    6.222222222222
    >>> np.random.default_rng(0).permutation(4)  # the folds: {2, 0} and {1, 3}
    array([2, 0, 1, 3])
    >>> round(ml.kfold_mse(X, y, k=2, seed=0), 12)  # (1^2 + 3^2 + 0^2 + 4^2) / 4
    6.5
    >>> ml.kfold_mse(X, y, k=5, seed=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: k must be at most n_samples = 4 (each fold holds at least one ...
    """
    design, target = _check_problem(X, y)
    n = design.shape[0]
    folds = check_scalar(k, "k", kind="int", low=2)
    if folds > n:
        raise ValueError(
            f"k must be at most n_samples = {n} (each fold holds at least one "
            f"observation); got k = {folds}."
        )
    penalty = check_scalar(alpha, "alpha", low=0)
    start = check_scalar(seed, "seed", kind="int", low=0)
    order = np.random.default_rng(start).permutation(n)
    bounds = _fold_bounds(n, folds)
    y_exp = _exponent(target)
    scaled_y = _scaled(target, y_exp)
    errors = np.empty(n)  # in units of 2**error_exp
    error_exp = np.zeros(n, dtype=np.int64)
    for j in range(folds):
        held = order[bounds[j] : bounds[j + 1]]
        kept = np.concatenate([order[: bounds[j]], order[bounds[j + 1] :]])
        # The training rows and the held-out rows each scaled to their largest entry
        # (the held-out ones may dwarf the others); the error of each held-out point
        # is then formed on its own scale, so that nothing overflows on the way.
        x_exp = _exponent(design[kept])
        held_exp = _exponent(design[held])
        pred, pred_exp = _ridge_predict(
            _scaled(design[kept], x_exp), scaled_y[kept],
            _scaled(design[held], held_exp), penalty, x_exp,
        )  # times 2**(held_exp - x_exp)
        errors[held], error_exp[held] = _difference(
            scaled_y[held], pred, pred_exp + (held_exp - x_exp)
        )
    return _mean_square(errors, error_exp + y_exp, "the K-fold cross-validation MSE")


def gcv(X: ArrayLike, y: ArrayLike, *, alpha: float) -> float:
    r"""Generalised cross-validation (GCV), the approximate leave-one-out MSE.

    :math:`\operatorname{GCV}(\alpha) = \frac1n \lVert y - Sy \rVert^2 /
    (1 - \operatorname{tr} S/n)^2`: the leave-one-out MSE of :func:`loo_mse` with every
    leverage :math:`h_{ii}` replaced by their mean :math:`\operatorname{tr} S / n`
    (Craven and Wahba 1979; Golub, Heath and Wahba 1979). It equals the leave-one-out
    MSE when all :math:`h_{ii}` are equal.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix: real, finite; every column penalised, as in :func:`loo_mse`.
    y : array-like of shape (n_samples,)
        The targets: real and finite.
    alpha : float
        The ridge penalty :math:`\alpha \ge 0`; ``alpha=0`` is (minimum-norm) least
        squares, for which :math:`\operatorname{tr} S` is the rank of X.

    Returns
    -------
    float
        The GCV score.

    Raises
    ------
    ValueError
        If :math:`\operatorname{tr} S = n` (least squares that interpolates the data:
        ``alpha=0`` and rank X = n_samples), where GCV is 0 / 0. Also on invalid input,
        as for :func:`loo_mse`.
    TypeError
        On non-real input or a non-real ``alpha``.

    See Also
    --------
    effective_dof : :math:`\operatorname{tr} S(\alpha)`.
    loo_mse : The exact leave-one-out MSE.

    Examples
    --------
    >>> import mselib as ml
    >>> X = [[1, 0], [1, 1], [1, 2], [1, 3]]
    >>> round(ml.gcv(X, [0, 1, 1, 3], alpha=0.0), 12)  # (0.7 / 4) / (1 - 2/4)**2
    0.7
    """
    design, target = _check_problem(X, y)
    penalty = check_scalar(alpha, "alpha", low=0)
    n = design.shape[0]
    x_exp, y_exp = _exponent(design), _exponent(target)
    fit = _smoother(_scaled(design, x_exp), _scaled(target, y_exp), penalty, x_exp)
    gap = fit.gap / n  # 1 - tr S / n, times 2**-scale
    if gap <= _LEVERAGE_SLACK * max(design.shape) * _EPS:
        raise ValueError(
            f"gcv is undefined: tr S = {fit.trace:.17g} equals n_samples = {n} (the fit "
            f"interpolates the data, X has shape {design.shape}, alpha = {penalty!r}), "
            f"so GCV is 0 / 0; expected tr S < n. Use alpha > 0."
        )
    scaled = fit.residual / gap  # no overflow: gap > tol
    return _mean_square(scaled, y_exp, "the GCV score")


def effective_dof(X: ArrayLike, *, alpha: float) -> float:
    r"""The effective degrees of freedom of ridge, :math:`\operatorname{tr} S(\alpha)`.

    :math:`\operatorname{tr} S(\alpha) = \sum_j s_j^2 / (s_j^2 + \alpha)`, where
    :math:`s_j` are the singular values of X and :math:`S(\alpha) = X (X^\top X +
    \alpha I)^{-1} X^\top`. It falls from the rank of X at ``alpha = 0`` towards 0 as
    ``alpha`` grows, and enters the optimism :math:`2\sigma^2 \operatorname{tr} S / n`
    of the training MSE.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix: real, finite.
    alpha : float
        The ridge penalty :math:`\alpha \ge 0`. ``alpha=0`` gives the rank of X
        (singular values below ``max(n, p) * eps`` times the largest count as zero).

    Returns
    -------
    float
        :math:`\operatorname{tr} S(\alpha)`, in :math:`[0, \min(n, p)]`.

    Raises
    ------
    ValueError
        On a shape other than ``(n, p)``, empty input, NaN or inf, or a negative or
        non-finite ``alpha``.
    TypeError
        On non-real input or a non-real ``alpha``.

    See Also
    --------
    gcv : Uses :math:`\operatorname{tr} S(\alpha)`.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.effective_dof([[3.0, 0.0], [0.0, 1.0]], alpha=1.0)  # 9/10 + 1/2
    1.4
    >>> ml.effective_dof([[1.0, 1.0], [2.0, 2.0]], alpha=0.0)  # rank 1
    1.0
    """
    design = check_design(X, "X")
    penalty = check_scalar(alpha, "alpha", low=0)
    x_exp = _exponent(design)
    with one_blas_thread():
        s = np.linalg.svd(_scaled(design, x_exp), compute_uv=False)
    return float(_shrinkage(s, penalty, design.shape, x_exp)[0].sum())
