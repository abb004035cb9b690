"""Monte Carlo estimates of the bias-variance decomposition of a learned predictor.

With data :math:`y = f(x) + \\varepsilon`, a predictor :math:`\\hat f` fitted on a
random training set, and a test point :math:`x` with a fresh target
:math:`y = f(x) + \\varepsilon'`, the expected test error splits as

.. math::

    \\mathbb E\\big[(y - \\hat f(x))^2\\big]
    = \\big(f(x) - \\mathbb E \\hat f(x)\\big)^2 + \\operatorname{Var} \\hat f(x) + \\sigma^2,

the expectation running over training sets and test noise, at a fixed :math:`x`.
:func:`bias_variance` estimates every term by simulating many training sets at
once (one call of the user's fit/predict routine for all of them), with a
standard error for each; :func:`polynomial_fit_predict` is a fit/predict routine
for least-squares polynomials that fits all training sets with one solve.

Inputs are checked with the generic checks of :mod:`mselib._validation`; the check of
a matrix of training sets belongs to this module and lives here. Every quadratic
quantity is computed on inputs scaled by powers of two (exact), so that squares of
large or tiny values neither overflow nor underflow; a result that does not fit in
float64 is reported, never returned as ``inf``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from mselib._threads import one_blas_thread
from mselib._validation import (
    _as_real_array,
    _locate_nonfinite,
    check_choice,
    check_generator,
    check_returned,
    check_scalar,
    check_user_function,
    check_vector,
)

__all__ = ["BiasVariance", "bias_variance", "polynomial_fit_predict"]

FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray], ArrayLike]
NOISES = ("normal", "uniform", "laplace")
_ZERO = -4096  # the exponent given to an all-zero array: below every float64 exponent
# Magnitudes in [2**-_BAND, 2**_BAND] are used as they are: their squares, fourth powers and
# sums of those stay far from float64 overflow and underflow. Others are scaled into [0.5, 1).
_BAND = 200


class BiasVariance(NamedTuple):
    """Monte Carlo estimates of the terms of the learning-form decomposition.

    Each term is averaged over the test points (with one test point it is the
    pointwise decomposition) and comes with its standard error (``*_se``). A named
    tuple, like the other results of mselib: read the fields by name.

    Attributes
    ----------
    bias_sq : float
        :math:`(f(x) - \\mathbb E \\hat f(x))^2`, estimated without bias: the squared
        distance of the mean prediction from :math:`f(x)` minus ``variance / n_datasets``
        (the part of that distance due to averaging finitely many fits). It can
        come out slightly negative when the true bias is zero.
    variance : float
        :math:`\\operatorname{Var} \\hat f(x)` over training sets (divisor ``n_datasets - 1``).
    noise : float
        The mean squared test noise, estimating :math:`\\sigma^2`.
    total : float
        The simulated test risk :math:`\\mathbb E[(y - \\hat f(x))^2]`: each fit is
        scored on its own fresh noisy test targets.
    cross : float
        :math:`2\\,\\mathbb E[\\varepsilon' (f(x) - \\hat f(x))]`, which is zero in
        expectation when the test noise has mean zero and is independent of the
        training set. Up to rounding, ``total = bias_sq + variance + noise + cross``
        holds exactly for the estimates, so ``cross`` is the simulated gap between
        the test risk and the sum of the three components.
    bias_sq_se, variance_se, noise_se, total_se, cross_se : float
        Standard errors: for ``bias_sq`` from the exact variance of a U-statistic
        (see :func:`bias_variance`); for the others, the standard deviation of the
        per-training-set terms divided by :math:`\\sqrt{\\text{n\\_datasets}}`.
    n_datasets : int
        The number of simulated training sets.
    n_test : int
        The number of test points averaged over.
    """

    bias_sq: float
    variance: float
    noise: float
    total: float
    cross: float
    bias_sq_se: float
    variance_se: float
    noise_se: float
    total_se: float
    cross_se: float
    n_datasets: int
    n_test: int

    @property
    def sum_of_components(self) -> float:
        """``bias_sq + variance + noise``: the right-hand side of the decomposition."""
        return self.bias_sq + self.variance + self.noise

    @property
    def sum_of_components_se(self) -> float:
        """A conservative standard error of :attr:`sum_of_components`.

        The noise term is independent of the other two; ``bias_sq`` and ``variance``
        come from the same fits and may be correlated, so their standard errors are
        added (the bound of the Cauchy-Schwarz inequality) rather than combined in
        quadrature.
        """
        return math.hypot(self.bias_sq_se + self.variance_se, self.noise_se)

    def __str__(self) -> str:
        rows = [
            ("bias^2", self.bias_sq, self.bias_sq_se),
            ("variance", self.variance, self.variance_se),
            ("noise", self.noise, self.noise_se),
            ("sum", self.sum_of_components, self.sum_of_components_se),
            ("test risk", self.total, self.total_se),
        ]
        head = f"{self.n_datasets} training sets, {self.n_test} test point(s)"
        return "\n".join([head] + [f"{k:<10}{v:10.4f} ± {s:.4f}" for k, v, s in rows])


def _noise(rng: np.random.Generator, kind: str, sd: float, shape: tuple[int, int]) -> np.ndarray:
    """Zero-mean noise with standard deviation ``sd``."""
    if kind == "normal":
        return sd * rng.standard_normal(shape)
    if kind == "uniform":  # U(-a, a) has variance a^2 / 3
        return rng.uniform(-sd * math.sqrt(3.0), sd * math.sqrt(3.0), shape)
    return rng.laplace(0.0, sd / math.sqrt(2.0), shape)  # Laplace(b) has variance 2 b^2


def _scaled(*arrays: np.ndarray) -> tuple[list[np.ndarray], int]:
    """The arrays times ``2**-e`` and ``e``, with a power of two common to all of them.

    ``e = 0`` (the arrays themselves, no copy) when the largest magnitude is within
    ``[2**-_BAND, 2**_BAND]``; otherwise the largest magnitude is scaled into [0.5, 1),
    which is exact. All-zero arrays get ``e = _ZERO``, below every float64 exponent, so
    that they never set a common scale.
    """
    top = max(max(float(a.max()), -float(a.min())) for a in arrays)
    if top == 0:
        return list(arrays), _ZERO
    if 2.0**-_BAND <= top <= 2.0**_BAND:
        return list(arrays), 0
    e = math.frexp(top)[1]
    return [np.ldexp(a, -e) for a in arrays], e


def _shift(arr: np.ndarray, e: int) -> np.ndarray:
    """``arr * 2**e`` (``arr`` itself when ``e = 0``)."""
    return arr if e == 0 else np.ldexp(arr, e)


def _unscale(value: float, exponent: int, what: str) -> float:
    """``value * 2**exponent``, or ``ValueError`` naming ``what`` if that overflows."""
    try:
        return math.ldexp(value, exponent)
    except OverflowError:
        mantissa, power = math.frexp(value)
        decimal = math.log10(abs(mantissa)) + (power + exponent) * math.log10(2.0)
        raise ValueError(
            f"{what} overflows float64 (about 1e{decimal:.0f}) although every input is "
            f"finite: the predictions, f(x_test) or the noise are so large that their "
            f"squares exceed about 1.8e308. Expected values below about 1e154: rescale f, "
            f"noise_sd and the fitted model by a common factor."
        ) from None


def bias_variance(
    fit_predict: FitPredict,
    f: Callable[[np.ndarray], ArrayLike],
    x_train: ArrayLike,
    x_test: ArrayLike,
    *,
    noise_sd: float,
    n_datasets: int,
    rng: np.random.Generator,
    noise: str = "normal",
) -> BiasVariance:
    """Estimate bias², variance, noise and test risk of a learner by simulation.

    The design is fixed: every training set has the inputs ``x_train`` and targets
    ``f(x_train) + noise``, with fresh noise for each of the ``n_datasets`` sets. Each
    fitted predictor is evaluated at ``x_test`` and scored against its own fresh
    test targets ``f(x_test) + noise'``. All training sets go to ``fit_predict`` in
    one call, so a vectorised learner fits them all at once.

    Parameters
    ----------
    fit_predict : callable
        ``fit_predict(x_train, y_train, x_test) -> predictions``, where ``y_train`` has
        shape ``(n_datasets, n_train)`` (one training set per row) and the result
        has shape ``(n_datasets, n_test)``: row ``r`` holds the predictions at
        ``x_test`` of the model fitted to row ``r``. See :func:`polynomial_fit_predict`.
    f : callable
        The true regression function; ``f(x)`` returns an array of the shape of ``x``.
    x_train : array_like, shape (n_train,)
        The training inputs, shared by all training sets. Finite.
    x_test : array_like, shape (n_test,)
        The points at which the decomposition is taken; the terms are averaged over
        them. Pass ``[x0]`` for the pointwise decomposition at ``x0``.
    noise_sd : float
        The standard deviation :math:`\\sigma \\ge 0` of the noise.
    n_datasets : int
        How many training sets to simulate; at least 2.
    rng : numpy.random.Generator
        The source of all randomness, e.g. ``np.random.default_rng(seed)``.
    noise : {"normal", "uniform", "laplace"}, optional
        The noise distribution, always with mean 0 and standard deviation ``noise_sd``.
        The decomposition does not depend on it. Default ``"normal"``.

    Returns
    -------
    BiasVariance
        The four terms and the cross term, averaged over ``x_test``, with standard errors.

    Raises
    ------
    TypeError
        If ``rng`` is not a Generator, a count is not an integer, a function is not
        callable, or an array is not real.
    ValueError
        If an array is not 1-D, empty or not finite; a count is too small;
        ``noise_sd`` is negative; ``noise`` is unknown; ``f`` or ``fit_predict``
        returns an array of the wrong shape or with NaN/inf; the simulated training
        targets overflow float64; or an estimate or a standard error does not fit in
        float64 (predictions or noise so large that their squares exceed about
        1.8e308): the message names the term. No ``inf`` or NaN is ever returned.

    Notes
    -----
    Memory: one ``(n_datasets, n_train)`` and a few ``(n_datasets, n_test)`` float64
    arrays, and an ``(n_test, n_test)`` Gram matrix (or ``(n_datasets, n_datasets)``,
    whichever is smaller). Time: linear in those array sizes, plus
    ``O(n_datasets * n_test * min(n_datasets, n_test))`` for the Gram matrix, which
    dominates beyond a few hundred test points. The matrix products run on one BLAS
    thread (see ``benchmarks/bench_decomposition.py``). The routine returned by
    :func:`polynomial_fit_predict` is called on the checked arrays directly, so
    nothing is validated twice.

    **Range.** The squares, products and fourth powers behind the estimates and
    their standard errors are taken on the predictions, the errors and the test
    noise each scaled by a power of two (exact, unlike dividing by a maximum) when
    their magnitudes are beyond about ``1e-60`` or ``1e60``, and scaled back at the
    end; so is ``noise_sd`` when the noise is drawn, which changes no bit. Values
    anywhere in the float64 range therefore give the estimates and standard errors
    to full precision whenever these are themselves representable; one that
    exceeds about 1.8e308 is an error naming it.

    ``bias_sq`` equals :math:`\\frac{1}{m R (R-1)} \\sum_{r \\ne s} a_r^\\top a_s` with
    :math:`a_r` the row of errors :math:`\\hat f_r(x_j) - f(x_j)` of training set
    :math:`r`, :math:`R` training sets and :math:`m` test points: an unbiased
    U-statistic whose variance is exactly
    :math:`4 \\delta^\\top \\Sigma \\delta / (m^2 R)
    + 2 \\operatorname{tr}(\\Sigma^2) / (m^2 R (R-1))`,
    with :math:`\\delta` the bias at the test points and :math:`\\Sigma` the covariance of
    the predictions there. Its standard error plugs in unbiased estimates of both
    terms, with the first floored at zero; the second keeps it from collapsing to zero
    when the bias is zero, where the floor makes it conservative (up to about 1.5
    times too large).

    Examples
    --------
    Predict with the mean of the training targets (an intercept-only model). At
    ``x = 0.5`` its bias is :math:`f(0.5) - \\bar f = 0.5 - 0.5 = 0` for
    :math:`f(x) = x` on a symmetric design, and its variance is :math:`\\sigma^2/n = 0.04`:

    >>> import numpy as np
    >>> def mean_model(x_train, y_train, x_test):
    ...     return np.repeat(y_train.mean(axis=1, keepdims=True), len(x_test), axis=1)
    >>> result = bias_variance(mean_model, lambda x: x, np.linspace(0, 1, 25), [0.5],
    ...                        noise_sd=1.0, n_datasets=20_000,
    ...                        rng=np.random.default_rng(0))
    >>> abs(result.variance - 1 / 25) < 4 * result.variance_se
    True
    >>> abs(result.bias_sq) < 4 * result.bias_sq_se
    True
    >>> abs(result.total - result.sum_of_components) < 4 * result.cross_se
    True
    """
    check_user_function(
        fit_predict, "fit_predict", "fit_predict(x_train, y_train, x_test) -> predictions"
    )
    check_user_function(f, "f", "the true function f(x) -> array of the shape of x")
    xs = check_vector(x_train, "x_train")
    xt = check_vector(x_test, "x_test")
    sd = check_scalar(noise_sd, "noise_sd", low=0.0, meaning="a standard deviation")
    reps = check_scalar(n_datasets, "n_datasets", kind="int", low=2)
    gen = check_generator(rng, "rng")
    kind = check_choice(noise, "noise", NOISES)
    n_train, n_test = xs.size, xt.size

    f_train = check_returned(f(xs.copy()), "f", xs.shape, "f(x) has the shape of x")
    f_test = check_returned(f(xt.copy()), "f", xt.shape, "f(x) has the shape of x")
    # A noise_sd outside [2**-_BAND, 2**_BAND] is scaled into [0.5, 1) and the noise
    # scaled back by 2**shift: bit for bit the noise for noise_sd itself, but the test
    # noise is never formed at a scale where it could overflow.
    shift = math.frexp(sd)[1] if sd > 0 and not 2.0**-_BAND <= sd <= 2.0**_BAND else 0
    unit = math.ldexp(sd, -shift)
    with np.errstate(over="ignore"):  # diagnosed just below
        y_train = f_train + _shift(_noise(gen, kind, unit, (reps, n_train)), shift)
    test_noise = _noise(gen, kind, unit, (reps, n_test))
    where = _locate_nonfinite(y_train)
    if where is not None:
        raise ValueError(
            f"the simulated training targets f(x_train) + noise overflow float64 ({where}): "
            f"largest |f(x_train)| is {float(np.max(np.abs(f_train))):.3g} and noise_sd = "
            f"{sd!r}; expected targets below about 1.8e308. Rescale f and noise_sd."
        )
    if isinstance(fit_predict, _PolynomialFitPredict):  # checked here: not twice
        pred = fit_predict._fit(xs, y_train, xt)
    else:
        pred = check_returned(
            fit_predict(xs.copy(), y_train, xt.copy()),
            "fit_predict",
            (reps, n_test),
            "one row per training set, one column per test point",
        )
    with one_blas_thread():
        result = _terms(pred, f_test, test_noise, shift)
    if not (math.isfinite(result.sum_of_components) and math.isfinite(result.sum_of_components_se)):
        raise ValueError(
            "bias^2 + variance + noise, or its standard error, overflows float64 although "
            "each term is finite; expected terms below about 1e308: rescale f, noise_sd "
            "and the fitted model by a common factor."
        )
    return result


def _terms(
    pred: np.ndarray, f_test: np.ndarray, noise: np.ndarray, noise_exp: int
) -> BiasVariance:
    """The estimates and standard errors from predictions ``(R, m)``, ``f`` at the test
    points ``(m,)`` and test noise ``noise * 2**noise_exp`` ``(R, m)``.

    Each array of magnitudes that could overflow or underflow when squared is scaled by
    a power of two to a largest magnitude in [0.5, 1), and every estimate is scaled
    back at the end; scaling by a power of two is exact, so the estimates are those of
    the unscaled formulas, bit for bit, wherever those do not overflow or underflow.
    """
    reps, n_test = pred.shape
    root = math.sqrt(reps)
    (pred, f_test), top = _scaled(pred, f_test)
    top = 0 if top == _ZERO else top
    mean_pred = pred.mean(axis=0)
    # true values: centred * 2**(top + c), offset * 2**(top + o), and so on
    (centred,), c = _scaled(pred - mean_pred)
    (offset,), o = _scaled(mean_pred - f_test)
    k = max(c, o)
    # Variance: the per-training-set terms are averaged over the test points, then over sets.
    var_terms = np.einsum("rj,rj->r", centred, centred) * (reps / ((reps - 1) * n_test))
    var_point = np.einsum("rj,rj->j", centred, centred) / (reps - 1)
    # Bias^2: (mean prediction - f)^2 overshoots bias^2 by Var/reps on average; remove it.
    # Both in units of 2**(2 (top + k)).
    shown = _shift(offset, o - k)
    bias_sq = float(np.mean(shown**2 - _shift(var_point, 2 * (c - k)) / reps))
    bias_sq = _unscale(bias_sq, 2 * (top + k), "the squared bias")
    # bias_sq is the U-statistic sum_{r != s} <a_r, a_s> / (m R (R - 1)) with a_r = pred_r - f,
    # whose variance is exactly 4 delta'Sigma delta / (m^2 R) + 2 tr(Sigma^2) / (m^2 R (R - 1)),
    # delta = E pred - f, Sigma the covariance of a prediction row over training sets.
    # offset'Sigma offset overshoots delta'Sigma delta by tr(Sigma^2) / R on average: remove
    # it, floored at 0 (conservative when the bias is near zero). Both in units of
    # 2**(4 top + 2 c + 2 k).
    spread = centred @ offset
    gram = centred.T @ centred if n_test <= reps else centred @ centred.T
    quad = math.ldexp(float(spread @ spread) / (reps - 1), 2 * (o - k))
    trace_sq = math.ldexp(float(np.sum(gram * gram)) / (reps - 1) ** 2, 2 * (c - k))
    quad = max(quad - trace_sq / reps, 0.0)
    bias_sq_se = math.sqrt(4 * quad / reps + 2 * trace_sq / (reps * (reps - 1))) / n_test
    bias_sq_se = _unscale(bias_sq_se, 2 * top + c + k, "the standard error of bias^2")

    # f(x) - fhat(x) per training set and test point, and the test noise, each scaled;
    # their sum in the units of the larger.
    (miss,), m = _scaled(f_test - pred)
    (noise,), n = _scaled(noise)
    t = max(top + m, noise_exp + n)
    residual = _shift(miss, top + m - t) + _shift(noise, noise_exp + n - t)
    noise_terms = np.einsum("rj,rj->r", noise, noise) / n_test
    total_terms = np.einsum("rj,rj->r", residual, residual) / n_test
    cross_terms = 2 * np.einsum("rj,rj->r", noise, miss) / n_test

    def mean_se(terms: np.ndarray, exponent: int, what: str) -> tuple[float, float]:
        return (
            _unscale(float(terms.mean()), exponent, what),
            _unscale(float(terms.std(ddof=1)) / root, exponent, f"the standard error of {what}"),
        )

    variance, variance_se = mean_se(var_terms, 2 * (top + c), "the variance of the predictions")
    noise_mean, noise_se = mean_se(noise_terms, 2 * (noise_exp + n), "the noise term")
    total, total_se = mean_se(total_terms, 2 * t, "the test risk")
    cross, cross_se = mean_se(cross_terms, top + m + noise_exp + n, "the cross term")
    return BiasVariance(
        bias_sq=bias_sq,
        variance=variance,
        noise=noise_mean,
        total=total,
        cross=cross,
        bias_sq_se=bias_sq_se,
        variance_se=variance_se,
        noise_se=noise_se,
        total_se=total_se,
        cross_se=cross_se,
        n_datasets=reps,
        n_test=n_test,
    )


def _check_finite_rows(value: Any, name: str, n_columns: int, meaning: str) -> np.ndarray:
    """A 2-D array of finite reals with ``n_columns`` columns, returned as float64."""
    arr = _as_real_array(value, name)
    if arr.ndim != 2 or arr.shape[1] != n_columns or arr.shape[0] == 0:
        raise ValueError(
            f"{name} must have shape (n_sets, {n_columns}), n_sets >= 1 ({meaning}); "
            f"got shape {arr.shape}."
        )
    where = _locate_nonfinite(arr)
    if where is not None:
        raise ValueError(f"{name} contains {where}; expected finite values only.")
    return arr.astype(np.float64, copy=False)


class _PolynomialFitPredict:
    """``fit_predict(x_train, y_train, x_test)``: least-squares polynomials, one per row.

    Returned by :func:`polynomial_fit_predict`, which documents it. Calling it checks
    the arguments; :func:`bias_variance` calls the unchecked kernel :meth:`_fit` on
    the arrays it has already checked.
    """

    __slots__ = ("degree", "domain")

    def __init__(self, degree: int, domain: tuple[float, float] | None) -> None:
        self.degree = degree
        self.domain = domain

    def __repr__(self) -> str:
        extra = "" if self.domain is None else f", domain={self.domain!r}"
        return f"polynomial_fit_predict({self.degree}{extra})"

    def __call__(self, x_train: ArrayLike, y_train: ArrayLike, x_test: ArrayLike) -> np.ndarray:
        xs = check_vector(x_train, "x_train")
        xt = check_vector(x_test, "x_test")
        ys = _check_finite_rows(
            y_train, "y_train", xs.size, "one training set per row, one column per input"
        )
        return self._fit(xs, ys, xt)

    def _fit(self, xs: np.ndarray, ys: np.ndarray, xt: np.ndarray) -> np.ndarray:
        """The predictions ``(n_sets, m)`` from checked float64 arrays."""
        deg = self.degree
        distinct = np.unique(xs).size
        if distinct < deg + 1:
            raise ValueError(
                f"a polynomial of degree {deg} needs at least {deg + 1} distinct training "
                f"inputs for a unique least-squares fit; x_train has {distinct}."
            )
        lo, hi = (float(xs.min()), float(xs.max())) if self.domain is None else self.domain
        # x near 1e-310 would make 2 / (hi - lo) infinite, x near 1e308 make hi - lo
        # infinite: such inputs are scaled by a power of two first (exact).
        top = max(abs(lo), abs(hi), float(xs.max()), -float(xs.min()))
        shift = 0 if 2.0**-_BAND <= top <= 2.0**_BAND else -math.frexp(top)[1]
        lo, hi = math.ldexp(lo, shift), math.ldexp(hi, shift)
        scale = 2.0 / (hi - lo) if hi > lo else 0.0  # only degree 0 reaches hi == lo
        vander = np.polynomial.legendre.legvander
        with np.errstate(over="ignore", invalid="ignore"):  # diagnosed just below
            design = vander((np.ldexp(xs, shift) - lo) * scale - 1.0, deg)
        if _locate_nonfinite(design) is not None:
            raise ValueError(
                f"x_train lies too far outside domain {self.domain!r}: the degree-{deg} "
                f"Legendre design overflows float64 (x_train spans "
                f"[{float(xs.min())!r}, {float(xs.max())!r}]); expected training inputs "
                f"in or near the domain."
            )
        # Each training set whose targets are tiny or huge is scaled by its own power
        # of two (exact, and the fit of one row does not depend on the others).
        row_top = np.max(np.abs(ys), axis=1)
        exps = np.zeros(ys.shape[0], dtype=int)
        if np.any((row_top > 2.0**_BAND) | ((row_top < 2.0**-_BAND) & (row_top > 0))):
            exps = np.frexp(row_top)[1]
            ys = np.ldexp(ys, -exps[:, None])
        with one_blas_thread():
            coef, _, rank, _ = np.linalg.lstsq(design, ys.T, rcond=None)
            with np.errstate(over="ignore", invalid="ignore"):  # diagnosed below
                pred = vander((np.ldexp(xt, shift) - lo) * scale - 1.0, deg) @ coef
                pred = np.ldexp(pred, exps)
        if rank < deg + 1:
            raise ValueError(
                f"the degree-{deg} design matrix is numerically rank deficient (rank {rank} "
                f"of {deg + 1}); the fit is not determined by the data. Use a lower degree "
                f"or more spread-out training inputs."
            )
        where = _locate_nonfinite(pred.T)
        if where is not None:
            raise ValueError(
                f"the fitted polynomials overflow float64 at x_test ({where} in the "
                f"predictions of shape (n_sets, n_test)): x_test spans "
                f"[{float(xt.min())!r}, {float(xt.max())!r}], training inputs "
                f"[{float(xs.min())!r}, {float(xs.max())!r}]; expected test points "
                f"nearer the training inputs, or smaller targets."
            )
        return np.ascontiguousarray(pred.T)


def polynomial_fit_predict(
    degree: int, *, domain: tuple[float, float] | None = None
) -> Callable[[ArrayLike, ArrayLike, ArrayLike], np.ndarray]:
    """A fit/predict routine for least-squares polynomials, vectorised over training sets.

    The returned function fits a polynomial of the given degree to every row of
    ``y_train`` by least squares and evaluates each fit at ``x_test``. Because the
    training inputs are shared, all rows are solved with one call of
    :func:`numpy.linalg.lstsq` (SVD of the design, one right-hand side per training
    set). The design uses the Legendre basis on ``domain`` mapped to
    :math:`[-1, 1]`, which stays well conditioned where raw powers
    :math:`1, x, x^2, \\dots` do not.

    Parameters
    ----------
    degree : int
        The polynomial degree, >= 0.
    domain : (float, float), optional
        The interval mapped to :math:`[-1, 1]`. Default: the range of ``x_train`` at
        each call, as in :meth:`numpy.polynomial.Polynomial.fit`. Keyword-only.

    Returns
    -------
    callable
        ``fit_predict(x_train, y_train, x_test)`` with ``x_train`` of shape ``(n,)``,
        ``y_train`` of shape ``(n_sets, n)`` and ``x_test`` of shape ``(m,)``,
        returning predictions of shape ``(n_sets, m)``. It raises ``ValueError``
        when the fit is not unique (fewer distinct training inputs than
        ``degree + 1``), the design is numerically rank deficient, ``x_train`` lies
        so far outside `domain` that the design overflows, or a prediction
        overflows float64 (``x_test`` far outside the training range).

    Raises
    ------
    TypeError
        If `degree` is not an integer or `domain` is not real.
    ValueError
        If `degree` is negative or `domain` is not a finite pair ``low < high``.

    Notes
    -----
    Inputs anywhere in the float64 range are accepted: before the map to
    :math:`[-1, 1]`, inputs outside about :math:`[10^{-60}, 10^{60}]` in magnitude
    (subnormal ones included) are scaled by a power of two, which is exact, and so
    is each training set whose targets are that small or large; the predictions
    are scaled back. Without this, ``x`` near ``1e-310`` would give the factor
    ``2 / (high - low) = inf`` and an SVD of NaNs.

    Examples
    --------
    Two training sets on the same inputs, fitted by straight lines at once:

    >>> import numpy as np
    >>> fit_line = polynomial_fit_predict(1)
    >>> fit_line
    polynomial_fit_predict(1)
    >>> x = np.array([0.0, 1.0, 2.0])
    >>> y = np.array([[1.0, 3.0, 5.0],     # the line 1 + 2x
    ...               [0.0, 0.0, 3.0]])    # least squares: -0.5 + 1.5x
    >>> fit_line(x, y, np.array([0.0, 4.0])).round(12)
    array([[ 1. ,  9. ],
           [-0.5,  5.5]])
    """
    deg = check_scalar(degree, "degree", kind="int", low=0)
    bounds = None
    if domain is not None:
        pair = check_vector(domain, "domain")
        if pair.size != 2 or not pair[0] < pair[1]:
            raise ValueError(f"domain must be a pair (low, high) with low < high; got {domain!r}.")
        bounds = (float(pair[0]), float(pair[1]))
    return _PolynomialFitPredict(deg, bounds)
