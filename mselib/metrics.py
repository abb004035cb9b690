"""Regression metrics: MSE and its relatives, exact in float64 and one pass over memory.

Every metric takes ``(y_true, y_pred, *, sample_weight=None,
multioutput="uniform_average")`` and returns the value scikit-learn returns
where scikit-learn has the metric. Each function checks
its arguments once (:mod:`mselib._validation`, :mod:`mselib._accumulate`), then hands
the checked arrays to the engine of :mod:`mselib._accumulate`, which accumulates the
sums in float64 block by block: float32, float16 and integer inputs give the float64
answer, no temporary the size of the input is made, and the result is right across
the whole float64 range, also with weights that span it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from mselib import streaming as _streaming
from mselib._accumulate import (
    R2_STRINGS,
    _combine,
    _mean_of,
    _ratio,
    _root_mean_square,
    _sse_sst,
    check_args,
    check_r2_samples,
)
from mselib._validation import check_flag, check_scalar

__all__ = ["huber", "mae", "mse", "nmse", "pinball", "r2", "rmse", "smooth_l1"]

MultiOutput = Literal["raw_values", "uniform_average"] | ArrayLike


def mse(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
    compute: bool = True,
) -> float | np.ndarray:
    r"""Mean squared error.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``;
        no other broadcasting is done.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        ``"raw_values"`` returns one value per output; ``"uniform_average"``
        (default) their mean; an array gives their weighted mean.
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, or a sum that overflows float64.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes).

    See Also
    --------
    rmse : Its square root, in the units of `y`.
    mae : The mean absolute error, less sensitive to outliers.
    sklearn.metrics.mean_squared_error : The reference this function matches.

    Notes
    -----
    For output :math:`j` with sample weights :math:`w_i` (all 1 by default),

    .. math:: \operatorname{MSE}_j = \frac{\sum_{i=1}^n w_i (y_{ij} - \hat y_{ij})^2}
              {\sum_{i=1}^n w_i}.

    The sums are accumulated in float64 whatever the input dtype, in blocks of
    64K elements, so one call costs one pass over the inputs. Integers are
    converted to float64, which is exact up to :math:`2^{53}`.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.mse([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.375
    >>> ml.mse([3, -0.5, 2, 7], [2.5, 0.0, 2, 8], sample_weight=[1, 1, 1, 0])
    0.16666666666666666
    >>> y_true = [[0.5, 1], [-1, 1], [7, -6]]
    >>> y_pred = [[0, 2], [-1, 2], [8, -5]]
    >>> ml.mse(y_true, y_pred, multioutput="raw_values")
    array([0.41666667, 1.        ])
    >>> ml.mse(y_true, y_pred, multioutput=[0.3, 0.7])
    0.825
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "mse", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    return _combine(_mean_of("sq", c), c.multioutput, "mse")


def rmse(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
    compute: bool = True,
) -> float | np.ndarray:
    r"""Root mean squared error.

    With several outputs, the per-output RMSEs are averaged (as scikit-learn's
    ``root_mean_squared_error``), which is not the square root of the averaged MSE.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output RMSEs are combined (see :func:`mse`).
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, or a sum that overflows float64.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes).

    See Also
    --------
    mse : The mean squared error.
    sklearn.metrics.root_mean_squared_error : The reference this function matches.

    Notes
    -----
    .. math:: \operatorname{RMSE}_j = \sqrt{\operatorname{MSE}_j}
              = \sqrt{\frac{\sum_i w_i (y_{ij} - \hat y_{ij})^2}{\sum_i w_i}}.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.rmse([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.6123724356957945
    >>> ml.rmse([[0.5, 1], [-1, 1], [7, -6]], [[0, 2], [-1, 2], [8, -5]])
    0.8227486121839513
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "rmse", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    return _combine(_root_mean_square(c), c.multioutput, "rmse")


def mae(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
    compute: bool = True,
) -> float | np.ndarray:
    r"""Mean absolute error.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, or a sum that overflows float64.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes).

    See Also
    --------
    mse : Penalises large errors quadratically.
    huber : Quadratic for small errors, linear for large ones.
    sklearn.metrics.mean_absolute_error : The reference this function matches.

    Notes
    -----
    .. math:: \operatorname{MAE}_j = \frac{\sum_i w_i \lvert y_{ij} - \hat y_{ij}\rvert}
              {\sum_i w_i}.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.mae([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    >>> ml.mae([[0.5, 1], [-1, 1], [7, -6]], [[0, 2], [-1, 2], [8, -5]],
    ...        multioutput="raw_values")
    array([0.5, 1. ])
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "mae", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    return _combine(_mean_of("abs", c), c.multioutput, "mae")


def huber(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    delta: float = 1.0,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
) -> float | np.ndarray:
    r"""Mean Huber loss (Huber 1964).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    delta : float, default=1.0
        Threshold between the quadratic and the linear regime; a finite
        positive real number.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, a `delta` that is not finite and
        positive, or a sum that overflows float64.
    TypeError
        On non-real input, or a `delta` that is not a real number.

    See Also
    --------
    mse : The limit ``2 * huber`` as `delta` exceeds every absolute error.
    mae : The behaviour of ``huber / delta`` for small `delta`.

    Notes
    -----
    .. math:: L_\delta(e) = \begin{cases} \tfrac12 e^2 & \lvert e\rvert \le \delta,\\
              \delta\left(\lvert e\rvert - \tfrac12\delta\right) & \text{otherwise,}
              \end{cases}
              \qquad
              H_j = \frac{\sum_i w_i L_\delta(y_{ij} - \hat y_{ij})}{\sum_i w_i}.

    It is computed branch-free as :math:`L_\delta(e) = 2s(\lvert e\rvert - s)` with
    :math:`s = \min(\lvert e\rvert, \delta)/2`. scikit-learn has no Huber metric
    (only ``HuberRegressor``), so there is nothing to match there.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.huber([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.1875
    >>> ml.huber([3, -0.5, 2, 7], [2.5, 0.0, 2, 8], delta=0.5)
    0.15625
    """
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    threshold = check_scalar(delta, "delta", low=0, closed="neither")
    return _combine(_mean_of("huber", c, threshold), c.multioutput, "huber")


def smooth_l1(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    beta: float = 1.0,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
) -> float | np.ndarray:
    r"""Mean smooth L1 loss, as PyTorch's ``SmoothL1Loss``: the Huber loss divided by `beta`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    beta : float, default=1.0
        Threshold between the quadratic and the linear regime; a finite real
        number ``>= 0``. ``beta=0`` gives the mean absolute error, as in PyTorch.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, a `beta` that is negative or not
        finite, or a sum that overflows float64.
    TypeError
        On non-real input, or a `beta` that is not a real number.

    See Also
    --------
    huber : Equal to ``beta * smooth_l1`` with ``delta = beta``.
    mae : The limit ``beta -> 0`` (and the value at ``beta = 0``).
    torch.nn.SmoothL1Loss : The convention this function follows
        (``reduction="mean"``).

    Notes
    -----
    .. math:: S_\beta(e) = \begin{cases} \dfrac{e^2}{2\beta} & \lvert e\rvert < \beta,\\[1ex]
              \lvert e\rvert - \tfrac12\beta & \text{otherwise,}
              \end{cases}
              \qquad
              S_j = \frac{\sum_i w_i S_\beta(y_{ij} - \hat y_{ij})}{\sum_i w_i}.

    :math:`S_\beta = L_\beta / \beta` for the Huber loss :math:`L_\beta` of
    :func:`huber`; the two coincide only at ``beta = delta = 1``. It is computed as
    :math:`S_\beta(e) = 2\,\frac{m/2}{\beta}\,(\lvert e\rvert - m/2)` with
    :math:`m = \min(\lvert e\rvert, \beta)`, whose factors neither underflow for a tiny
    `beta` nor overflow for a large error, as :math:`L_\beta/\beta` would. Unlike the Huber loss,
    :math:`S_\beta` is in the units of the target: :math:`S_{a\beta}(ae) = a S_\beta(e)`
    for :math:`a > 0`.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.smooth_l1([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.1875
    >>> ml.smooth_l1([0, 0], [0.25, 3], beta=0.5)
    1.40625
    >>> ml.smooth_l1([3, -0.5, 2, 7], [2.5, 0.0, 2, 8], beta=0)  # the MAE
    0.5
    """
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    b = check_scalar(beta, "beta", low=0)
    values = _mean_of("smooth_l1", c, b) if b > 0 else _mean_of("abs", c)
    return _combine(values, c.multioutput, "smooth_l1")


def pinball(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    alpha: float = 0.5,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
) -> float | np.ndarray:
    r"""Mean pinball (quantile) loss: an asymmetric absolute error.

    An under-prediction (``y_true > y_pred``) costs `alpha` per unit, an
    over-prediction ``1 - alpha``; the constant that minimises it is an
    `alpha`-quantile of `y_true`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    alpha : float, default=0.5
        The quantile level, a real number in ``[0, 1]``. ``alpha=0.5`` gives half
        the mean absolute error.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, an `alpha` outside ``[0, 1]``, or a
        sum that overflows float64.
    TypeError
        On non-real input, or an `alpha` that is not a real number.

    See Also
    --------
    mae : Equal to ``2 * pinball`` at ``alpha = 0.5``.
    sklearn.metrics.mean_pinball_loss : The reference this function matches.

    Notes
    -----
    With :math:`e = y - \hat y`,

    .. math:: \rho_\alpha(e) = \alpha \max(e, 0) + (1 - \alpha) \max(-e, 0),
              \qquad
              P_j = \frac{\sum_i w_i \rho_\alpha(y_{ij} - \hat y_{ij})}{\sum_i w_i}.

    The loss is not symmetric: swapping `y_true` and `y_pred` is the same as
    replacing `alpha` by ``1 - alpha``.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.pinball([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.25
    >>> ml.pinball([1, 2, 3], [2, 2, 2], alpha=0.9)
    0.3333333333333333
    >>> ml.pinball([1, 2, 3], [2, 2, 2], alpha=0.9, multioutput="raw_values")
    array([0.33333333])
    """
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    level = check_scalar(alpha, "alpha", low=0, high=1, meaning="a quantile level")
    return _combine(_mean_of("pinball", c, level), c.multioutput, "pinball")


def nmse(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
    compute: bool = True,
) -> float | np.ndarray:
    r"""Normalised mean squared error: MSE divided by the variance of `y_true`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers, not constant in any output.
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        If an output of `y_true` is constant (zero variance, including a single
        sample), and for the input errors listed under :func:`mse`.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes).

    See Also
    --------
    r2 : Equal to ``1 - nmse``.
    mse : The numerator.

    Notes
    -----
    With the population (divide-by-:math:`n`) variance, weighted as the mean,

    .. math:: \operatorname{NMSE}_j = \frac{\operatorname{MSE}_j}{\operatorname{Var}_w(y_j)}
              = \frac{\sum_i w_i (y_{ij} - \hat y_{ij})^2}{\sum_i w_i (y_{ij} - \bar y_j)^2},
              \qquad \bar y_j = \frac{\sum_i w_i y_{ij}}{\sum_i w_i}.

    A constant output makes the ratio undefined; mselib raises ``ValueError``
    naming the output rather than returning a conventional value.
    NMSE = 1 is the score of always predicting the mean.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.nmse([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.05139186295503212
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "nmse", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    sse, sst, shift, _ = _sse_sst(c, "nmse")
    return _combine(_ratio(sse, sst, shift, "nmse"), c.multioutput, "nmse")


def r2(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: Literal["variance_weighted"] | MultiOutput = "uniform_average",
    force_finite: bool = True,
    compute: bool = True,
) -> float | np.ndarray:
    r"""Coefficient of determination :math:`R^2 = 1 - \mathrm{NMSE}`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers, not constant in any output.
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average", "variance_weighted"} or array-like
        As for :func:`mse`; ``"variance_weighted"`` weights each output's
        :math:`R^2` by the (weighted) variance of that output of `y_true`.
    force_finite : bool, default=True
        What to return for an output of `y_true` that is constant, where the formula
        divides by zero: with True (scikit-learn's default and values), 1.0 if the
        predictions of that output are perfect and 0.0 otherwise; with False, raise
        ``ValueError`` naming the output.
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On fewer than two samples (scikit-learn returns NaN with a warning); if
        an output of `y_true` is constant and ``force_finite=False``; and for the
        input errors listed under :func:`mse`.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes), or a
        `force_finite` that is not a bool.

    See Also
    --------
    nmse : Equal to ``1 - r2``.
    sklearn.metrics.r2_score : The reference this function matches on
        non-constant outputs.

    Notes
    -----
    .. math:: R^2_j = 1 - \frac{\sum_i w_i (y_{ij} - \hat y_{ij})^2}
              {\sum_i w_i (y_{ij} - \bar y_j)^2}.

    When an output of `y_true` is constant the formula divides by zero. As in
    scikit-learn, ``force_finite=True`` gives 1.0 for perfect predictions of that
    output and 0.0 otherwise (a convention, not a value of the formula), and
    ``"variance_weighted"`` falls back to a uniform average when every output is
    constant. With ``force_finite=False`` scikit-learn returns NaN or -inf;
    mselib raises ``ValueError`` naming the constant output instead. With a single
    sample scikit-learn returns NaN with a warning; mselib raises.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.r2([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.9486081370449679
    >>> y_true = [[0.5, 1], [-1, 1], [7, -6]]
    >>> y_pred = [[0, 2], [-1, 2], [8, -5]]
    >>> ml.r2(y_true, y_pred, multioutput="variance_weighted")
    0.9382566585956417
    >>> ml.r2([2, 2, 2], [2, 2, 2]), ml.r2([2, 2, 2], [1, 2, 3])  # constant y_true
    (1.0, 0.0)
    >>> ml.r2([2, 2, 2], [1, 2, 3], force_finite=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: y_true is constant (every sample equals 2.0), so its variance is zero, ...
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "r2", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            force_finite=force_finite, compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput, R2_STRINGS)
    forced = check_flag(force_finite, "force_finite")
    check_r2_samples(c.y_true.shape[0])
    sse, sst, shift, k_sst = _sse_sst(c, "r2", constant_ok=forced)
    constant = sst == 0  # only with force_finite: an exactly constant output
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant output gets 0 / 1 here
        ratio = _ratio(np.where(constant, 0.0, sse), np.where(constant, 1.0, sst), shift, "r2")
    scores = 1.0 - ratio
    scores = np.where(constant, np.where(sse == 0, 1.0, 0.0), scores)
    how = c.multioutput
    if isinstance(how, str) and how == "variance_weighted":
        # Weight each output's R^2 by its sum of squares, as scikit-learn does; when every
        # output is constant those weights are all zero and it averages uniformly.
        if constant.all():
            how = "uniform_average"
        else:  # the true sums of squares, relative to the largest (scales differ per output)
            exponents = np.where(constant, 0, np.frexp(sst)[1] - 2 * k_sst)
            with np.errstate(under="ignore"):
                how = np.ldexp(sst, -2 * k_sst - int(exponents.max()))
    return _combine(scores, how, "r2")
