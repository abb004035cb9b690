r"""Gradients of the MSE, and a central-difference checker to test them against.

* :func:`mse_grad`: the gradient of :func:`mselib.mse` with respect to the predictions,
  a vector with one component per prediction.
* :func:`linear_mse_grad`: the gradient of the MSE of a linear model
  :math:`\hat y = Xw` with respect to its weights, :math:`\tfrac{2}{n} X^\top (Xw - y)`.
* :func:`numerical_gradient`: central differences for any scalar function, the
  independent oracle the analytic gradients are checked against.

Inputs are checked with the generic checks of :mod:`mselib._validation`, with the rules
of the metrics: real numbers only, no broadcasting, no NaN or inf. The check of a
finite-difference step belongs to this module alone and lives here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from mselib._accumulate import _weight_split, _weighted_share, check_args
from mselib._validation import (
    _as_real_array,
    check_design,
    check_finite_output,
    check_scalar_result,
    check_user_function,
    check_vector,
)

__all__ = ["linear_mse_grad", "mse_grad", "numerical_gradient"]


def mse_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> np.ndarray:
    r"""Gradient of the mean squared error with respect to the predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        The predictions the gradient is taken at. A column ``(n, 1)`` pairs with a
        vector ``(n,)``; no other broadcasting is done.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.

    Returns
    -------
    numpy.ndarray
        float64 array of the shape of `y_pred`: the partial derivative of
        ``mse(y_true, y_pred, sample_weight=sample_weight)`` with respect to each
        prediction. It is a vector, one component per prediction, not a number.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid weights,
        or a gradient that overflows float64.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes).

    See Also
    --------
    mse : The function differentiated.
    linear_mse_grad : The gradient with respect to the weights of a linear model.
    numerical_gradient : Central differences, to check it.

    Notes
    -----
    With weights :math:`w_i` (all 1 by default), :math:`W = \sum_i w_i`, and
    :math:`k` outputs averaged uniformly (the default of :func:`mse`),

    .. math:: \frac{\partial\,\mathrm{MSE}}{\partial \hat y_{ij}}
              = -\frac{2 w_i}{k W}\,(y_{ij} - \hat y_{ij}),

    which for one output and no weights is :math:`-\tfrac{2}{n}(y_i - \hat y_i)`.
    The sum of the components, :math:`-\tfrac{2}{n}\sum_i (y_i - \hat y_i)`, is the
    derivative with respect to shifting every prediction by the same amount; it
    is not the gradient. Each component is computed with two roundings (three
    with weights), so it is correct to a few units in the last place, unless it
    is so small (below about 1e-308) that it falls into float64's subnormal
    range or underflows to 0. Where :math:`\hat y_{ij} - y_{ij}` itself overflows
    although the gradient does not, the difference is taken of halves and the
    result doubled last, with the same accuracy.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.mse_grad([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    array([-0.25,  0.25,  0.  ,  0.5 ])
    >>> ml.mse_grad([3, -0.5, 2, 7], [2.5, 0.0, 2, 8], sample_weight=[1, 1, 1, 0])
    array([-0.33333333,  0.33333333,  0.        ,  0.        ])
    >>> ml.mse_grad([[1.0], [2.0]], [[1.5], [1.0]])  # the shape of y_pred is kept
    array([[ 0.5],
           [-1. ]])
    """
    c = check_args(y_true, y_pred, sample_weight, "uniform_average")
    shape = np.shape(y_pred)  # validated above: rectangular, so this cannot fail
    scale = 2.0 / (c.weight_sum * c.n_outputs)
    with np.errstate(over="ignore", invalid="ignore"):  # diagnosed just below
        diff = np.subtract(c.y_pred, c.y_true, dtype=np.float64)
        grad = _scaled_errors(diff, c, scale)
        if not np.isfinite(diff).all():  # y_pred - y_true overflowed: halve, then double
            grad = _halved_errors(diff, grad, c, scale)
    check_finite_output(
        grad,
        "the gradient of the MSE",
        y_true=c.y_true,
        y_pred=c.y_pred,
        sample_weight=c.sample_weight,
    )
    return grad.reshape(shape)


def _scaled_errors(diff: np.ndarray, c: Any, scale: float) -> np.ndarray:
    """Each error times ``(2 / k) w_i / W``, or ``scale = 2 / (k n)``; may overwrite ``diff``."""
    if c.sample_weight is None:
        diff *= scale
        return diff
    # (2 / k) w_i / W times each error, scaled by powers of two: no underflow
    return _weighted_share(diff, c.sample_weight, 2.0 / c.n_outputs, _weight_split(c))


def _halved_errors(diff: np.ndarray, grad: np.ndarray, c: Any, scale: float) -> np.ndarray:
    """``grad`` with its components where ``y_pred - y_true`` overflowed formed again.

    There the difference is taken of halves, ``y_pred/2 - y_true/2`` (exact but for
    the one rounding of the difference), scaled like every other error, and doubled
    last: the component is inf only if the gradient itself is beyond float64.
    """
    over = ~np.isfinite(diff)
    half = np.subtract(
        np.multiply(c.y_pred, 0.5, dtype=np.float64), np.multiply(c.y_true, 0.5, dtype=np.float64)
    )
    half = np.where(over, half, 0.0)
    fixed = _scaled_errors(half, c, scale)
    return np.where(over, fixed * 2.0, grad)


def linear_mse_grad(X: ArrayLike, y: ArrayLike, *, w: ArrayLike) -> np.ndarray:
    r"""Gradient of the MSE of a linear model with respect to its weights.

    For the model :math:`\hat y = Xw` the loss is
    :math:`\mathrm{MSE}(w) = \tfrac1n \lVert y - Xw \rVert^2`, and its gradient is

    .. math:: \nabla_w \mathrm{MSE}(w) = \frac{2}{n} X^\top (Xw - y).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix: real, finite, at least one row and one column. Add a
        column of ones for an intercept.
    y : array-like of shape (n_samples,)
        The targets: real and finite. A column ``(n, 1)`` is rejected rather than
        broadcast against ``Xw``.
    w : array-like of shape (n_features,)
        The weights the gradient is taken at (keyword-only).

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n_features,)``.

    Raises
    ------
    ValueError
        On shapes other than ``(n, p)``, ``(n,)``, ``(p,)``, empty input, NaN or
        inf anywhere, or a gradient that overflows float64.
    TypeError
        On non-real input.

    See Also
    --------
    mse_grad : The gradient with respect to the predictions; this one is
        ``X.T @ mse_grad(y, X @ w)`` (the chain rule).
    numerical_gradient : Central differences, to check it.

    Notes
    -----
    Computed as two matrix-vector products in float64 (inputs of other real
    dtypes are converted): the residual :math:`r = Xw - y`, then
    :math:`\tfrac2n X^\top r`. No matrix :math:`X^\top X` is formed.

    Examples
    --------
    >>> import mselib as ml
    >>> X = [[1, 1], [1, 2], [1, 3]]  # an intercept column and one feature
    >>> ml.linear_mse_grad(X, [1, 2, 2], w=[0, 1])
    array([0.66666667, 2.        ])
    >>> ml.linear_mse_grad(X, [1, 2, 3], w=[0, 1])  # a perfect fit: zero gradient
    array([0., 0.])
    """
    design = check_design(X, "X")
    n, p = design.shape
    target = check_vector(y, "y", n, f" (one target per row of X, n_samples = {n})")
    weights = check_vector(w, "w", p, f" (one weight per column of X, n_features = {p})")
    with np.errstate(over="ignore", invalid="ignore"):  # diagnosed just below
        grad = _linear_grad(design, target, weights)
    check_finite_output(grad, "the gradient 2/n X^T (Xw - y)", X=design, y=target, w=weights)
    return grad


def _linear_grad(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``2/n X^T (Xw - y)`` on checked float64 arrays.

    It may hold inf/NaN on overflow: the caller silences NumPy's warnings (one
    ``np.errstate`` around a loop of calls, not one per call) and diagnoses it.
    """
    residual = X @ w
    residual -= y
    grad = X.T @ residual
    grad *= 2.0 / X.shape[0]
    return grad


def _check_step(eps: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate a finite-difference step and return the points ``(x + h, x - h)``.

    ``eps`` is ``None`` (the default step :math:`h_i = \\epsilon^{1/3} \\max(1, |x_i|)`,
    with :math:`\\epsilon` the float64 machine epsilon), a positive number used for
    every entry, or an array of one positive step per entry of ``x``. Each step must
    be large enough that ``x_i + h_i`` and ``x_i - h_i`` differ in float64, and small
    enough that both stay finite.
    """
    if eps is None:
        h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))
    else:
        arr = _as_real_array(eps, "eps")
        if arr.ndim != 0 and arr.shape != x.shape:
            raise ValueError(
                f"eps must be a positive number or an array of shape {x.shape} (one step per "
                f"entry of x); got shape {arr.shape}."
            )
        h = np.broadcast_to(arr, x.shape).astype(np.float64)  # a scalar means one step for all
        bad = ~(np.isfinite(h) & (h > 0))
        if bad.any():
            i = int(np.argmax(bad))
            at = "" if arr.ndim == 0 else f" at index {i}"
            raise ValueError(f"eps must be finite and positive; got {float(h[i])!r}{at}.")
    with np.errstate(over="ignore"):
        plus, minus = x + h, x - h
    bad = ~(np.isfinite(plus) & np.isfinite(minus) & (plus > minus))
    if bad.any():
        i = int(np.argmax(bad))
        why = (
            "overflows float64"
            if not (np.isfinite(plus[i]) and np.isfinite(minus[i]))
            else "is lost to rounding (x + h == x - h in float64)"
        )
        raise ValueError(
            f"the step for x[{i}] = {float(x[i])!r} {why}: eps gives h = {float(h[i])!r}; "
            f"expected a step above about 1.1e-16 * |x[{i}]| for which x +- h stays finite. "
            f"Leave eps=None for the default step."
        )
    return plus, minus


def _difference_quotient(high: float, low: float, plus: float, minus: float, i: int) -> float:
    """``(high - low) / (plus - minus)`` without a spurious overflow; raise if it is not finite.

    ``high`` and ``low`` are the finite values of f at the finite points ``plus > minus``.
    Either difference can overflow although both operands are finite (values of
    opposite sign near 1.8e308); halving both operands first is exact (outside the
    subnormal range) and leaves the quotient unchanged, so it is done only then. What
    still overflows is a quotient beyond float64: a slope above about 1.8e308.
    """
    rise, run = high - low, plus - minus
    if not (math.isfinite(rise) and math.isfinite(run)):
        rise, run = 0.5 * high - 0.5 * low, 0.5 * plus - 0.5 * minus
    slope = rise / run  # Python floats: an overflow gives inf, not an exception
    if not math.isfinite(slope):
        raise ValueError(
            f"the central difference for x[{i}] overflows float64: "
            f"(f(x + h) - f(x - h)) / (2h) with f values {high!r} and {low!r} and "
            f"h = {0.5 * plus - 0.5 * minus!r}; expected a quotient below about 1.8e308. "
            f"f is steeper than float64 can hold here (a jump, or a step far too small): "
            f"rescale f or use a larger eps."
        )
    return slope


def numerical_gradient(
    f: Callable[[np.ndarray], Any], x: ArrayLike, *, eps: ArrayLike | None = None
) -> np.ndarray:
    r"""Gradient of a scalar function by central differences.

    Parameters
    ----------
    f : callable
        ``f(v)`` takes a 1-D float64 array of the shape of `x` and returns a real
        number (a Python or NumPy scalar, or a 0-D array). It is called ``2 n``
        times, each time with a fresh copy of the perturbed point.
    x : array-like of shape (n,)
        The point: a non-empty 1-D array of finite real numbers (converted to float64).
    eps : float or array-like of shape (n,), optional
        The step :math:`h_i` for each coordinate. Default:
        :math:`h_i = \epsilon^{1/3} \max(1, \lvert x_i \rvert)`, about
        :math:`6 \times 10^{-6} \max(1, \lvert x_i \rvert)`, with :math:`\epsilon`
        the float64 machine epsilon.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n,)``: the estimate of :math:`\nabla f(x)`.

    Raises
    ------
    ValueError
        If `x` is not 1-D, is empty or holds NaN/inf; if a step is not finite and
        positive, is lost to rounding or overflows; if `f` returns a non-scalar or a
        non-finite value; or if a difference quotient overflows float64 (a slope
        beyond about 1.8e308: f jumps, or the step is far too small).
    TypeError
        If `f` is not callable, or `x`, `eps` or a value of `f` is not real.

    See Also
    --------
    mse_grad, linear_mse_grad : Analytic gradients this function checks.

    Notes
    -----
    Component :math:`i` is

    .. math:: g_i = \frac{f(x + h_i e_i) - f(x - h_i e_i)}{(x_i + h_i) - (x_i - h_i)},

    with the denominator the step actually taken in floating point, not
    :math:`2 h_i`. Where the numerator or the denominator alone would overflow
    (values of `f` of opposite sign near 1.8e308), both are halved first, which
    changes no digit of the quotient; a quotient that itself exceeds float64 is an
    error, never ``inf``. **Accuracy.** For :math:`f` three times continuously
    differentiable, the truncation error is :math:`h_i^2 \lvert\partial_i^3 f\rvert / 6`,
    that is :math:`O(h^2)` (second order); it is zero when :math:`f` is a polynomial of
    degree at most 2 in :math:`x_i`, as the MSE is. Rounding in the two values of
    :math:`f` adds about :math:`\epsilon \lvert f \rvert / h_i`. The default step,
    proportional to :math:`\epsilon^{1/3}`, balances the two: the total error is
    about :math:`\epsilon^{2/3} \approx 4 \times 10^{-11}` times the scale of
    :math:`f` and its third derivative. Expect 8 to 10 correct digits, not 16.

    Examples
    --------
    >>> import numpy as np
    >>> import mselib as ml
    >>> g = ml.numerical_gradient(lambda v: np.sum(v**3), [1.0, -2.0])
    >>> np.allclose(g, [3.0, 12.0], rtol=1e-9)
    True
    >>> y = [3, -0.5, 2, 7]
    >>> g = ml.numerical_gradient(lambda p: ml.mse(y, p), [2.5, 0.0, 2, 8])
    >>> np.allclose(g, ml.mse_grad(y, [2.5, 0.0, 2, 8]), rtol=1e-9, atol=1e-10)
    True
    """
    check_user_function(f, "f", "taking a 1-D float64 array and returning a real number")
    point = check_vector(x, "x")
    plus, minus = _check_step(eps, point)
    grad = np.empty(point.shape)
    for i in range(point.size):
        values = []
        for shifted in (plus[i], minus[i]):
            trial = point.copy()
            trial[i] = shifted
            values.append(check_scalar_result(f(trial), "f"))
        grad[i] = _difference_quotient(*values, float(plus[i]), float(minus[i]), i)
    return grad
