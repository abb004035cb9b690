r"""Gaussian and Laplace log-likelihoods of a regression model, and the Gaussian MLE.

For observations :math:`y_i = \hat y_i + \varepsilon_i` with independent noise,

* :func:`gaussian_log_likelihood`: :math:`\varepsilon_i \sim N(0, \sigma^2)`, giving
  :math:`-\tfrac n2 \log(2\pi\sigma^2) - \mathrm{SSE}/(2\sigma^2)`;
* :func:`laplace_log_likelihood`: :math:`\varepsilon_i \sim \mathrm{Laplace}(0, b)`, giving
  :math:`-n \log(2b) - \mathrm{SAE}/b`;
* :func:`gaussian_mle`: the maximiser of the Gaussian log-likelihood of the linear
  model :math:`\hat y = X\theta` over :math:`\theta` and :math:`\sigma^2` jointly, that is
  the least-squares coefficients of :func:`mselib.ols` and :math:`\hat\sigma^2 = \mathrm{SSE}/n`.

The sums of squared and absolute errors are those of :func:`mselib.mse` and
:func:`mselib.mae` (times ``n``), so they are accumulated in float64 whatever the input
dtype; where such a sum overflows or underflows float64 it is formed from terms scaled
by powers of two, so a log-likelihood (or :math:`\hat\sigma^2`) is returned whenever it
is itself representable. Inputs are checked with the generic checks of
:mod:`mselib._validation`; the one check that belongs to likelihoods alone (one output)
lives here.
"""

from __future__ import annotations

import math
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from mselib._accumulate import _scaled_sums
from mselib._validation import (
    check_finite_output,
    check_finite_value,
    check_scalar,
    check_targets,
)
from mselib.linear import _check_problem, _least_squares

__all__ = ["GaussianMLE", "gaussian_log_likelihood", "gaussian_mle", "laplace_log_likelihood"]

_LOG_2PI = math.log(2 * math.pi)
_LOG_2 = math.log(2.0)


def _scaled_sum(
    kind: str, t: np.ndarray, p: np.ndarray, names: tuple[str, str]
) -> tuple[float, int]:
    """``(s, E)`` with :math:`\\sum_i f(t_i - p_i) = s\\, 2^E` for one output, any magnitudes.

    ``E`` is 0 when the plain float64 sum is finite and far from underflow (ordinary
    inputs: the sum is then the metrics' own, bit for bit); otherwise the terms were
    formed scaled by powers of two, so a sum beyond float64 or below its normal range
    is still right to a few ulps.
    """
    sums, top = _scaled_sums(kind, t, p, names=names)
    return float(sums[0]), int(np.asarray(top).reshape(-1)[0])


def _scaled_ratio(s: float, top: int, scale: float) -> float:
    """:math:`s\\, 2^{top} / scale` rounded from one quotient of mantissas; inf if it overflows.

    ``scale`` may be subnormal: its exact mantissa and exponent are used, so nothing
    underflows or overflows before the final power of two.
    """
    ms, xs = math.frexp(s)
    mc, xc = math.frexp(scale)
    try:
        return math.ldexp(ms / mc, xs + top - xc)
    except OverflowError:
        return math.inf


def _check_one_output(y_true: np.ndarray, function: str) -> None:
    """Refuse targets with several outputs: ``y_true`` as returned by ``check_targets``.

    A likelihood with one noise scale is defined for one output; a column ``(n, 1)``
    has already been flattened to ``(n,)`` and passes.
    """
    if y_true.ndim == 2:
        raise ValueError(
            f"{function} takes one output: y_true and y_pred of shape (n_samples,) or "
            f"(n_samples, 1); got shape {y_true.shape} ({y_true.shape[1]} outputs). "
            f"Call it once per output column."
        )


def _check_scale(value: Any, name: str, meaning: str) -> float:
    """The noise scale of a likelihood: a finite real number > 0."""
    return check_scalar(value, name, low=0.0, closed="neither", meaning=meaning)


class GaussianMLE(NamedTuple):
    """The maximum-likelihood estimates of a linear model with Gaussian noise.

    Attributes
    ----------
    theta : numpy.ndarray
        float64 array of shape ``(n_features,)``: the least-squares coefficients.
    sigma2 : float
        The noise variance :math:`\\hat\\sigma^2 = \\mathrm{SSE}/n`, the MSE of the
        residuals. It is biased low: its expectation is :math:`(n - p)\\sigma^2 / n`.
    """

    theta: np.ndarray
    sigma2: float


def gaussian_log_likelihood(y_true: ArrayLike, y_pred: ArrayLike, *, sigma2: float) -> float:
    r"""Log-likelihood of ``y_true`` under independent Gaussian noise around ``y_pred``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, 1)
        The observations: real and finite.
    y_pred : array-like of the same shape as `y_true`
        The means :math:`f(x_i; \theta)` the model predicts. A column ``(n, 1)`` pairs
        with a vector ``(n,)``; nothing else is broadcast.
    sigma2 : float
        The noise variance :math:`\sigma^2`: a finite real number > 0 (a variance, not a
        standard deviation). Keyword-only.

    Returns
    -------
    float
        :math:`\log L = \sum_i \log \varphi(y_i; \hat y_i, \sigma^2)
        = -\tfrac n2 \log(2\pi\sigma^2) - \tfrac{1}{2\sigma^2}\sum_i (y_i - \hat y_i)^2`,
        with :math:`\varphi` the normal density.

    Raises
    ------
    ValueError
        On shapes that differ, several outputs, empty input, NaN or inf, a `sigma2`
        that is not finite and positive, or a result that overflows float64 (a
        `sigma2` far too small for the residuals).
    TypeError
        On non-real input, or a `sigma2` that is not a real number.

    See Also
    --------
    gaussian_mle : The maximiser over a linear model's coefficients and `sigma2`.
    laplace_log_likelihood : The same for Laplace noise, where the MAE takes the MSE's place.
    mse : ``SSE / n``; the log-likelihood is ``-n/2 * (log(2 pi sigma2) + mse / sigma2)``.

    Notes
    -----
    For fixed `sigma2` this is a decreasing affine function of the MSE, so every
    model that minimises the MSE maximises the likelihood. For fixed predictions it is
    largest at ``sigma2 = mse(y_true, y_pred)``.

    Examples
    --------
    >>> import math
    >>> import mselib as ml
    >>> y, y_hat = [3, -0.5, 2, 7], [2.5, 0.0, 2, 8]  # SSE = 1.5, MSE = 0.375
    >>> ll = ml.gaussian_log_likelihood(y, y_hat, sigma2=0.375)
    >>> round(ll, 10)
    -3.7140956268
    >>> math.isclose(ll, -2 * math.log(2 * math.pi * 0.375) - 2, rel_tol=1e-15)
    True
    >>> ll > ml.gaussian_log_likelihood(y, y_hat, sigma2=1.0)
    True
    >>> ml.gaussian_log_likelihood(y, y_hat, sigma2=0.0)
    Traceback (most recent call last):
    ...
    ValueError: sigma2 must be a finite number > 0 (the noise variance); got 0.0.
    """
    t, p = check_targets(y_true, y_pred)
    _check_one_output(t, "gaussian_log_likelihood")
    s2 = _check_scale(sigma2, "sigma2", "the noise variance")
    n = t.shape[0]
    sse, top = _scaled_sum("sq", t, p, ("y_true", "y_pred"))
    value = math.inf
    if top == 0:  # the ordinary case, unchanged: SSE is a plain float64 sum
        with np.errstate(over="ignore"):
            value = -0.5 * n * (_LOG_2PI + math.log(s2) + sse / n / s2)
    if not math.isfinite(value):  # SSE = sse 2**top, beyond float64 or scaled up from underflow
        # SSE / (2 sigma2) formed from mantissas and exponents: it is inf only if the
        # log-likelihood itself is beyond float64 (the other term is at most ~1e3 n).
        value = -0.5 * n * (_LOG_2PI + math.log(s2)) - _scaled_ratio(sse, top - 1, s2)
    return check_finite_value(
        value,
        "the Gaussian log-likelihood",
        f"sigma2 = {s2!r} is too small for residuals this large; expected a larger sigma2.",
    )


def laplace_log_likelihood(y_true: ArrayLike, y_pred: ArrayLike, *, b: float) -> float:
    r"""Log-likelihood of ``y_true`` under independent Laplace noise around ``y_pred``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, 1)
        The observations: real and finite.
    y_pred : array-like of the same shape as `y_true`
        The centres (medians) the model predicts. A column ``(n, 1)`` pairs with a
        vector ``(n,)``; nothing else is broadcast.
    b : float
        The Laplace scale :math:`b`: a finite real number > 0. The density is
        :math:`\exp(-\lvert e\rvert / b) / (2b)`, with variance :math:`2b^2`.
        Keyword-only.

    Returns
    -------
    float
        :math:`\log L = -n \log(2b) - \tfrac1b \sum_i \lvert y_i - \hat y_i \rvert`.

    Raises
    ------
    ValueError
        On shapes that differ, several outputs, empty input, NaN or inf, a `b` that
        is not finite and positive, or a result that overflows float64.
    TypeError
        On non-real input, or a `b` that is not a real number.

    See Also
    --------
    gaussian_log_likelihood : The same for Gaussian noise.
    mae : ``SAE / n``; the log-likelihood is ``-n * (log(2 b) + mae / b)``.

    Notes
    -----
    For fixed `b` this is a decreasing affine function of the MAE: the maximum-likelihood
    model minimises the MAE (for a constant model, the median). For fixed predictions
    it is largest at ``b = mae(y_true, y_pred)``.

    Examples
    --------
    >>> import math
    >>> import mselib as ml
    >>> y, y_hat = [3, -0.5, 2, 7], [2.5, 0.0, 2, 8]  # SAE = 2, MAE = 0.5
    >>> ll = ml.laplace_log_likelihood(y, y_hat, b=0.5)
    >>> math.isclose(ll, -4 * math.log(1.0) - 4, abs_tol=1e-15)  # -n log(2b) - SAE / b
    True
    >>> ml.laplace_log_likelihood(y, y_hat, b=2)
    -6.545177444479562
    """
    t, p = check_targets(y_true, y_pred)
    _check_one_output(t, "laplace_log_likelihood")
    scale = _check_scale(b, "b", "the Laplace scale")
    n = t.shape[0]
    sae, top = _scaled_sum("abs", t, p, ("y_true", "y_pred"))
    value = math.inf
    if top == 0:  # the ordinary case, unchanged: SAE is a plain float64 sum
        with np.errstate(over="ignore"):
            value = -n * (_LOG_2 + math.log(scale) + sae / n / scale)
    if not math.isfinite(value):  # SAE = sae 2**top: beyond float64, or scaled up from underflow
        value = -n * (_LOG_2 + math.log(scale)) - _scaled_ratio(sae, top, scale)
    return check_finite_value(
        value,
        "the Laplace log-likelihood",
        f"b = {scale!r} is too small for residuals this large; expected a larger b.",
    )


def gaussian_mle(
    X: ArrayLike,
    y: ArrayLike,
    *,
    method: Literal["auto", "exact", "qr"] = "auto",
    on_singular: Literal["raise", "warn"] = "raise",
    cond_limit: float | None = None,
) -> GaussianMLE:
    r"""Maximum-likelihood estimates for :math:`y = X\theta + \varepsilon` with Gaussian noise.

    With independent :math:`\varepsilon_i \sim N(0, \sigma^2)`, the log-likelihood
    :math:`-\tfrac n2 \log(2\pi\sigma^2) - \lVert y - X\theta\rVert^2 / (2\sigma^2)` is
    maximised jointly over :math:`\theta` and :math:`\sigma^2 > 0` by the least-squares
    coefficients :math:`\hat\theta` (whatever :math:`\sigma^2`) and
    :math:`\hat\sigma^2 = \mathrm{SSE}(\hat\theta)/n`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The design matrix: real and finite (a column of ones gives an intercept).
    y : array-like of shape (n_samples,)
        The observations: real and finite.
    method : {"auto", "exact", "qr"}, default="auto"
        Passed to :func:`mselib.ols`, which computes :math:`\hat\theta`.
    on_singular : {"raise", "warn"}, default="raise"
        Passed to :func:`mselib.ols`: what to do when X is rank-deficient.
    cond_limit : float, optional
        Passed to :func:`mselib.ols`: the condition number from which X counts as
        numerically singular.

    Returns
    -------
    GaussianMLE
        A named tuple ``(theta, sigma2)``: the coefficients, a float64 array of shape
        ``(n_features,)``, and :math:`\hat\sigma^2`, equal to ``mse(y, X @ theta)``, a float.

    Raises
    ------
    numpy.linalg.LinAlgError
        If X is rank-deficient or numerically singular and ``on_singular="raise"``:
        the maximiser in :math:`\theta` is then not unique.
    ValueError, TypeError
        On invalid input, as for :func:`mselib.ols`; ValueError also if
        :math:`\hat\sigma^2` itself overflows float64 (SSE alone may exceed it).

    See Also
    --------
    ols : The coefficients.
    gaussian_log_likelihood : The function maximised.

    Notes
    -----
    :math:`\hat\sigma^2` divides by :math:`n`: it is the MLE, and it is biased, with
    :math:`\mathbb E[\hat\sigma^2] = (n - p)\sigma^2 / n` for a full-rank X with
    :math:`p` columns; ``n * sigma2 / (n - p)`` is the unbiased estimate that regression
    tables report. When the fit is exact (for instance :math:`n = p`),
    :math:`\hat\sigma^2 = 0` and the likelihood is unbounded: no :math:`\sigma^2 > 0`
    maximises it.

    Examples
    --------
    >>> import mselib as ml
    >>> X = [[1, 0], [1, 1], [1, 2], [1, 3]]
    >>> fit = ml.gaussian_mle(X, [0, 1, 1, 3])
    >>> fit.theta  # the least-squares line -0.1 + 0.9 x
    array([-0.1,  0.9])
    >>> round(fit.sigma2, 12)  # residuals 0.1, 0.2, -0.7, 0.4: SSE = 0.7, n = 4
    0.175
    >>> theta, sigma2 = fit  # a plain tuple, too
    """
    design, target = _check_problem(X, y)  # checked once, here
    theta = _least_squares(
        design, target, method=method, on_singular=on_singular, cond_limit=cond_limit
    )
    with np.errstate(over="ignore", invalid="ignore"):
        fitted = design @ theta
    check_finite_output(fitted, "X @ theta", X=design)
    # The mean of the squared residuals: the metrics' float64 block kernel, or, when
    # that sum overflows or is near underflow, the same sum formed from scaled terms,
    # so SSE / n is right whenever it is representable (SSE itself need not be).
    names = ("y", "X @ theta")
    n = target.shape[0]
    sse, top = _scaled_sum("sq", target, fitted, names)
    if top == 0:
        return GaussianMLE(theta, sse / n)
    sigma2 = _scaled_ratio(sse, top, float(n))
    if not math.isfinite(sigma2):  # SSE / n itself is beyond float64
        raise ValueError(
            f"the noise variance SSE / n overflows float64 although y and X @ theta are "
            f"finite (largest |y| {float(np.max(np.abs(target))):.3g}); expected residuals "
            f"whose mean square stays below 1.8e+308. Rescale y and X (divide by a common factor)."
        )
    return GaussianMLE(theta, sigma2)
