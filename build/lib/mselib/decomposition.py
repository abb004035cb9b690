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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mselib._threads import one_blas_thread
from mselib._validation import (
    check_choice,
    check_count,
    check_finite_rows,
    check_generator,
    check_nonnegative_real,
    check_returned,
    check_user_function,
    check_vector,
)

__all__ = ["BiasVariance", "bias_variance", "polynomial_fit_predict"]

FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray], ArrayLike]
NOISES = ("normal", "uniform", "laplace")
@dataclass(frozen=True)
class BiasVariance:
    """Monte Carlo estimates of the terms of the learning-form decomposition.

    Each term is averaged over the test points (with one test point it is the
    pointwise decomposition) and comes with its standard error (``*_se``).

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
        ``noise_sd`` is negative; ``noise`` is unknown; or ``f`` or ``fit_predict``
        returns an array of the wrong shape or with NaN/inf.

    Notes
    -----
    Memory: one ``(n_datasets, n_train)`` and a few ``(n_datasets, n_test)`` float64
    arrays, and an ``(n_test, n_test)`` Gram matrix (or ``(n_datasets, n_datasets)``,
    whichever is smaller). Time: linear in those array sizes, plus
    ``O(n_datasets * n_test * min(n_datasets, n_test))`` for the Gram matrix, which
    dominates beyond a few hundred test points. The matrix products run on one BLAS
    thread (see ``benchmarks/bench_decomposition.py``).

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
    sd = check_nonnegative_real(noise_sd, "noise_sd")
    reps = check_count(n_datasets, "n_datasets", minimum=2)
    gen = check_generator(rng, "rng")
    kind = check_choice(noise, "noise", NOISES)
    n_train, n_test = xs.size, xt.size

    f_train = check_returned(f(xs.copy()), "f", xs.shape, "f(x) has the shape of x")
    f_test = check_returned(f(xt.copy()), "f", xt.shape, "f(x) has the shape of x")
    y_train = f_train + _noise(gen, kind, sd, (reps, n_train))
    test_noise = _noise(gen, kind, sd, (reps, n_test))
    pred = check_returned(
        fit_predict(xs.copy(), y_train, xt.copy()),
        "fit_predict",
        (reps, n_test),
        "one row per training set, one column per test point",
    )
    with one_blas_thread():
        return _terms(pred, f_test, test_noise)


def _terms(pred: np.ndarray, f_test: np.ndarray, test_noise: np.ndarray) -> BiasVariance:
    """The estimates and standard errors from predictions ``(R, m)`` and test noise ``(R, m)``."""
    reps, n_test = pred.shape
    root = math.sqrt(reps)
    mean_pred = pred.mean(axis=0)
    centred = pred - mean_pred
    # Variance: the per-training-set terms are averaged over the test points, then over sets.
    var_terms = np.einsum("rj,rj->r", centred, centred) * (reps / ((reps - 1) * n_test))
    var_point = np.einsum("rj,rj->j", centred, centred) / (reps - 1)
    # Bias^2: (mean prediction - f)^2 overshoots bias^2 by Var/reps on average; remove it.
    offset = mean_pred - f_test
    bias_sq = float(np.mean(offset**2 - var_point / reps))
    # bias_sq is the U-statistic sum_{r != s} <a_r, a_s> / (m R (R - 1)) with a_r = pred_r - f,
    # whose variance is exactly 4 delta'Sigma delta / (m^2 R) + 2 tr(Sigma^2) / (m^2 R (R - 1)),
    # delta = E pred - f, Sigma the covariance of a prediction row over training sets.
    # offset'Sigma offset overshoots delta'Sigma delta by tr(Sigma^2) / R on average: remove
    # it, floored at 0 (conservative when the bias is near zero).
    spread = centred @ offset
    gram = centred.T @ centred if n_test <= reps else centred @ centred.T
    quad = float(spread @ spread) / (reps - 1)
    trace_sq = float(np.sum(gram * gram)) / (reps - 1) ** 2
    quad = max(quad - trace_sq / reps, 0.0)
    bias_sq_se = math.sqrt(4 * quad / reps + 2 * trace_sq / (reps * (reps - 1))) / n_test

    miss = f_test - pred  # f(x) - fhat(x), per training set and test point
    noise_terms = np.einsum("rj,rj->r", test_noise, test_noise) / n_test
    total_terms = np.einsum("rj,rj->r", miss + test_noise, miss + test_noise) / n_test
    cross_terms = 2 * np.einsum("rj,rj->r", test_noise, miss) / n_test

    def mean_se(terms: np.ndarray) -> tuple[float, float]:
        return float(terms.mean()), float(terms.std(ddof=1)) / root

    variance, variance_se = mean_se(var_terms)
    noise_mean, noise_se = mean_se(noise_terms)
    total, total_se = mean_se(total_terms)
    cross, cross_se = mean_se(cross_terms)
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


def polynomial_fit_predict(
    degree: int, domain: tuple[float, float] | None = None
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
        each call, as in :meth:`numpy.polynomial.Polynomial.fit`.

    Returns
    -------
    callable
        ``fit_predict(x_train, y_train, x_test)`` with ``x_train`` of shape ``(n,)``,
        ``y_train`` of shape ``(n_sets, n)`` and ``x_test`` of shape ``(m,)``,
        returning predictions of shape ``(n_sets, m)``. It raises ``ValueError``
        when the fit is not unique (fewer distinct training inputs than
        ``degree + 1``) or the design is numerically rank deficient.

    Examples
    --------
    Two training sets on the same inputs, fitted by straight lines at once:

    >>> import numpy as np
    >>> fit_line = polynomial_fit_predict(1)
    >>> x = np.array([0.0, 1.0, 2.0])
    >>> y = np.array([[1.0, 3.0, 5.0],     # the line 1 + 2x
    ...               [0.0, 0.0, 3.0]])    # least squares: -0.5 + 1.5x
    >>> fit_line(x, y, np.array([0.0, 4.0])).round(12)
    array([[ 1. ,  9. ],
           [-0.5,  5.5]])
    """
    deg = check_count(degree, "degree", minimum=0)
    if domain is not None:
        bounds = check_vector(domain, "domain")
        if bounds.size != 2 or not bounds[0] < bounds[1]:
            raise ValueError(f"domain must be a pair (low, high) with low < high; got {domain!r}.")
        low, high = float(bounds[0]), float(bounds[1])
    vander = np.polynomial.legendre.legvander

    def fit_predict(x_train: ArrayLike, y_train: ArrayLike, x_test: ArrayLike) -> np.ndarray:
        xs = check_vector(x_train, "x_train")
        xt = check_vector(x_test, "x_test")
        ys = check_finite_rows(
            y_train, "y_train", xs.size, "one training set per row, one column per input"
        )
        distinct = np.unique(xs).size
        if distinct < deg + 1:
            raise ValueError(
                f"a polynomial of degree {deg} needs at least {deg + 1} distinct training "
                f"inputs for a unique least-squares fit; x_train has {distinct}."
            )
        lo, hi = (xs.min(), xs.max()) if domain is None else (low, high)
        scale = 2.0 / (hi - lo) if hi > lo else 0.0  # only degree 0 reaches hi == lo
        design = vander((xs - lo) * scale - 1.0, deg)
        with one_blas_thread():
            coef, _, rank, _ = np.linalg.lstsq(design, ys.T, rcond=None)
            pred = vander((xt - lo) * scale - 1.0, deg) @ coef
        if rank < deg + 1:
            raise ValueError(
                f"the degree-{deg} design matrix is numerically rank deficient (rank {rank} "
                f"of {deg + 1}); the fit is not determined by the data. Use a lower degree "
                f"or more spread-out training inputs."
            )
        return np.ascontiguousarray(pred.T)

    return fit_predict
