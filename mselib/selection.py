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
no :math:`X^\top X` and no inverse is formed. Each public function checks its
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
    """What the estimates need of :math:`S(\\alpha) = U \\operatorname{diag}(f) U^\\top`."""

    residual: np.ndarray  # e = y - S y
    one_minus_h: np.ndarray  # 1 - S_ii, computed without cancellation where it matters
    trace: float  # tr S = sum(f)


# ----------------------------------------------------------------------------------
# Private kernels: X and y already checked, alpha a float >= 0.


def _svd(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with one_blas_thread():
        return np.linalg.svd(X, full_matrices=False)


def _shrinkage(s: np.ndarray, alpha: float, shape: tuple[int, int]) -> np.ndarray:
    r"""The factors :math:`f_j = s_j^2 / (s_j^2 + \alpha)`, and 0/1 for ``alpha = 0``.

    With ``alpha = 0`` a singular value at or below ``max(n, p) * eps * s_max`` (the
    cutoff of :func:`numpy.linalg.lstsq`) counts as zero. Written as
    :math:`1 / (1 + \alpha / s_j^2)`, which neither overflows for huge :math:`s_j`
    nor divides by zero for :math:`s_j = 0`.
    """
    if s.size == 0 or s[0] == 0:
        return np.zeros_like(s)
    if alpha == 0:
        return (s > max(shape) * _EPS * s[0]).astype(np.float64)
    with np.errstate(divide="ignore", over="ignore"):
        ratio = alpha / (s * s)  # inf where s == 0 (or s * s underflows)
    return 1.0 / (1.0 + ratio)


def _smoother(X: np.ndarray, y: np.ndarray, alpha: float) -> _Smoother:
    r"""Residuals, :math:`1 - h_{ii}` and :math:`\operatorname{tr} S` of ridge on (X, y)."""
    U, s, _ = _svd(X)
    f = _shrinkage(s, alpha, X.shape)
    coords = U.T @ y
    residual = y - U @ (f * coords)
    U2 = U * U
    # 1 - h_ii = (1 - sum_j U_ij^2) + sum_j U_ij^2 (1 - f_j): the first term is the
    # part of e_i outside the column space, the second is a sum of non-negative terms.
    outside = np.clip(1.0 - U2.sum(axis=1), 0.0, None)
    one_minus_h = outside + U2 @ (1.0 - f)
    return _Smoother(residual, one_minus_h, float(f.sum()))


def _mean_square(values: np.ndarray, quantity: str) -> float:
    scale = float(np.max(np.abs(values))) if values.size else 0.0
    if scale == 0 or not math.isfinite(scale):
        total = scale  # 0.0, or inf reported below
    else:
        scaled = values / scale
        total = scale * scale * float(np.dot(scaled, scaled)) / values.size
    return check_finite_value(total, quantity, "expected y of a moderate scale; rescale y.")


def _ridge_coef(X: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    r"""Ridge or minimum-norm least-squares coefficients, :math:`V \operatorname{diag}(g) U^\top y`.

    :math:`g_j = f_j / s_j` (and 0 where :math:`f_j = 0`).

    Only used on data already checked: the training folds of :func:`kfold_mse`.
    """
    U, s, Vt = _svd(X)
    f = _shrinkage(s, alpha, X.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(f > 0, f / np.where(s > 0, s, 1.0), 0.0)
    return Vt.T @ (gain * (U.T @ y))


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
        If some :math:`h_{ii} = 1` (to within ``100 * max(n, p) * eps``): the fit
        without point :math:`i` cannot predict at :math:`x_i` (least squares with
        ``alpha=0`` on a point that alone determines a direction of the fit, for
        example when ``n_samples <= n_features``). Also on shapes other than
        ``(n, p)`` and ``(n,)``, empty input, NaN or inf, a negative or non-finite
        ``alpha``, or a result that overflows float64.
    TypeError
        On non-real input or a non-real ``alpha``.

    See Also
    --------
    kfold_mse : K-fold cross-validation; ``k = n_samples`` gives the same value.
    gcv : The same with every :math:`h_{ii}` replaced by their mean.
    leverage : The diagonal :math:`h_{ii}` of the hat matrix (``alpha = 0``).
    sklearn.linear_model.RidgeCV : With ``cv=None`` and ``fit_intercept=False``, its
        ``best_score_`` for one ``alpha`` is minus this value (an exact
        leave-one-out error, although its option is called ``gcv_mode``).

    Notes
    -----
    From the thin SVD :math:`X = U \operatorname{diag}(s) V^\top`:
    :math:`S = U \operatorname{diag}(f) U^\top` with :math:`f_j = s_j^2 / (s_j^2 +
    \alpha)`, and :math:`1 - h_{ii} = (1 - \sum_j U_{ij}^2) + \sum_j U_{ij}^2 (1 -
    f_j)`, a sum of non-negative terms, so that a leverage close to 1 keeps its
    relative accuracy in :math:`1 - h_{ii}` as far as the SVD allows.

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
    fit = _smoother(design, target, penalty)
    tol = _LEVERAGE_SLACK * max(n, p) * _EPS
    if np.any(fit.one_minus_h <= tol):
        i = int(np.argmax(fit.one_minus_h <= tol))
        raise ValueError(
            f"loo_mse is undefined: observation {i} has leverage h_ii = 1 (1 - h_ii = "
            f"{fit.one_minus_h[i]:.3g} <= {tol:.3g}), so the fit without it cannot "
            f"predict at its x (X has shape {design.shape}, alpha = {penalty!r}); "
            f"expected every h_ii < 1. Use alpha > 0, or drop the column only that "
            f"observation determines."
        )
    with np.errstate(over="ignore"):
        loo_residual = fit.residual / fit.one_minus_h
    return _mean_square(loo_residual, "the leave-one-out MSE")


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
    errors = np.empty(n)
    for j in range(folds):
        held = order[bounds[j] : bounds[j + 1]]
        kept = np.concatenate([order[: bounds[j]], order[bounds[j + 1] :]])
        coef = _ridge_coef(design[kept], target[kept], penalty)
        errors[held] = target[held] - design[held] @ coef
    return _mean_square(errors, "the K-fold cross-validation MSE")


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
    fit = _smoother(design, target, penalty)
    gap = 1.0 - fit.trace / n
    if gap <= _LEVERAGE_SLACK * max(design.shape) * _EPS:
        raise ValueError(
            f"gcv is undefined: tr S = {fit.trace:.17g} equals n_samples = {n} (the fit "
            f"interpolates the data, X has shape {design.shape}, alpha = {penalty!r}), "
            f"so GCV is 0 / 0; expected tr S < n. Use alpha > 0."
        )
    with np.errstate(over="ignore"):
        scaled = fit.residual / gap
    return _mean_square(scaled, "the GCV score")


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
    with one_blas_thread():
        s = np.linalg.svd(design, compute_uv=False)
    return float(_shrinkage(s, penalty, design.shape).sum())
