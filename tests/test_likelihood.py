"""Tests for mselib.likelihood: log-likelihoods, the Gaussian MLE, properties and bad input.

The oracles are independent of the code under test: ``scipy.stats.norm.logpdf`` and
``scipy.stats.laplace.logpdf`` summed term by term, exact rational arithmetic for the
residual sums, ``numpy.linalg.lstsq``, and numerical maximisation of the likelihood with
``scipy.optimize.minimize``.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import optimize, stats

import mselib as ml

EPS = float(np.finfo(np.float64).eps)
Y_TRUE = [3, -0.5, 2, 7]
Y_PRED = [2.5, 0.0, 2, 8]

VALUE = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, allow_subnormal=False).map(
    lambda x: 0.0 if abs(x) < 1e-100 else x
)
SCALE = st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False)


@st.composite
def pairs(draw, max_n=30):
    n = draw(st.integers(1, max_n))
    return (
        draw(arrays(np.float64, n, elements=VALUE)),
        draw(arrays(np.float64, n, elements=VALUE)),
    )


def exact_sums(y_true, y_pred):
    """(SSE, SAE) in exact rational arithmetic."""
    e = [Fraction(float(a)) - Fraction(float(b)) for a, b in zip(y_true, y_pred, strict=True)]
    return sum(d * d for d in e), sum(abs(d) for d in e)


def line_data(seed, n=40, noise="normal"):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 2, n)
    X = np.column_stack([np.ones(n), x, x**2])
    eps = rng.standard_normal(n) if noise == "normal" else rng.laplace(size=n)
    return X, X @ np.array([1.0, -0.5, 0.25]) + 0.3 * eps


# ------------------------------------------------------------------ gaussian_log_likelihood
def test_gaussian_classic_example_exact_form():
    # SSE = 3/2, n = 4: log L = -2 log(2 pi s2) - 3 / (4 s2)
    for s2 in (0.375, 1.0, 2.5):
        expected = -2 * math.log(2 * math.pi * s2) - 0.75 / s2
        got = ml.gaussian_log_likelihood(Y_TRUE, Y_PRED, sigma2=s2)
        assert math.isclose(got, expected, rel_tol=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_gaussian_matches_scipy_norm_logpdf(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    y, mu = rng.normal(size=n) * 10, rng.normal(size=n) * 10
    s2 = float(rng.uniform(0.01, 50))
    oracle = math.fsum(stats.norm.logpdf(y, loc=mu, scale=math.sqrt(s2)))
    got = ml.gaussian_log_likelihood(y, mu, sigma2=s2)
    assert math.isclose(got, oracle, rel_tol=1e-12)


def test_gaussian_accepts_columns_integers_float32_and_numpy_scalars():
    ref = ml.gaussian_log_likelihood([1.0, 2.0, 4.0], [1.0, 3.0, 3.0], sigma2=2.0)
    assert ml.gaussian_log_likelihood([[1], [2], [4]], [1, 3, 3], sigma2=np.float32(2.0)) == ref
    assert ml.gaussian_log_likelihood(np.float32([1, 2, 4]), [[1.0], [3.0], [3.0]], sigma2=2) == ref
    assert isinstance(ref, float)


@given(pairs(), SCALE)
def test_gaussian_is_exactly_the_formula_in_the_mse(pair, s2):
    y, mu = pair
    n = len(y)
    sse, _ = exact_sums(y, mu)
    expected = -n / 2 * (math.log(2 * math.pi) + math.log(s2)) - float(sse) / (2 * s2)
    got = ml.gaussian_log_likelihood(y, mu, sigma2=s2)
    assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12 * (n + float(sse) / s2))


@given(pairs(), SCALE, SCALE)
def test_gaussian_is_maximised_in_sigma2_at_sse_over_n(pair, s2, factor):
    y, mu = pair
    mse = ml.mse(y, mu)
    assume(mse > 1e-6)
    best = ml.gaussian_log_likelihood(y, mu, sigma2=mse)
    # the maximum value is the profile likelihood -n/2 (log(2 pi SSE/n) + 1)
    n = len(y)
    assert math.isclose(
        best, -n / 2 * (math.log(2 * math.pi * mse) + 1), rel_tol=1e-12, abs_tol=1e-9
    )
    for other in (s2, mse * factor, mse / factor):
        assert ml.gaussian_log_likelihood(y, mu, sigma2=other) <= best + 1e-9 * (1 + abs(best))


@given(pairs(), SCALE)
def test_gaussian_is_decreasing_in_the_sse_for_fixed_sigma2(pair, s2):
    y, mu = pair
    worse = mu + np.where(y >= mu, -1.0, 1.0)  # every residual grows by 1 in magnitude
    worse_ll = ml.gaussian_log_likelihood(y, worse, sigma2=s2)
    assert worse_ll < ml.gaussian_log_likelihood(y, mu, sigma2=s2)


@given(pairs(), SCALE)
def test_gaussian_is_symmetric_in_y_true_and_y_pred(pair, s2):
    y, mu = pair
    forward = ml.gaussian_log_likelihood(y, mu, sigma2=s2)
    assert forward == ml.gaussian_log_likelihood(mu, y, sigma2=s2)


# ------------------------------------------------------------------- laplace_log_likelihood
@pytest.mark.parametrize("seed", range(5))
def test_laplace_matches_scipy_laplace_logpdf(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 200))
    y, mu = rng.normal(size=n) * 10, rng.normal(size=n) * 10
    b = float(rng.uniform(0.01, 50))
    oracle = math.fsum(stats.laplace.logpdf(y, loc=mu, scale=b))
    assert math.isclose(ml.laplace_log_likelihood(y, mu, b=b), oracle, rel_tol=1e-12)


@given(pairs(), SCALE)
def test_laplace_is_exactly_the_formula_in_the_mae(pair, b):
    y, mu = pair
    n = len(y)
    _, sae = exact_sums(y, mu)
    expected = -n * (math.log(2) + math.log(b)) - float(sae) / b
    got = ml.laplace_log_likelihood(y, mu, b=b)
    assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12 * (n + float(sae) / b))


@given(pairs(), SCALE)
def test_laplace_is_maximised_in_b_at_the_mae(pair, factor):
    y, mu = pair
    mae = ml.mae(y, mu)
    assume(mae > 1e-6)
    best = ml.laplace_log_likelihood(y, mu, b=mae)
    n = len(y)
    assert math.isclose(best, -n * (math.log(2 * mae) + 1), rel_tol=1e-12, abs_tol=1e-9)
    for other in (mae * factor, mae / factor):
        assert ml.laplace_log_likelihood(y, mu, b=other) <= best + 1e-9 * (1 + abs(best))


def test_laplace_location_mle_is_the_median():
    rng = np.random.default_rng(7)
    y = rng.laplace(size=31) + 2.0
    res = optimize.minimize_scalar(
        lambda m: -ml.laplace_log_likelihood(y, np.full(31, m), b=1.0),
        bounds=(y.min(), y.max()),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert abs(res.x - np.median(y)) < 1e-8
    # scipy's own Laplace fit: location = median, scale = mean absolute deviation from it
    loc, scale = stats.laplace.fit(y)
    assert loc == pytest.approx(np.median(y), abs=1e-12)
    assert scale == pytest.approx(ml.mae(y, np.full(31, np.median(y))), rel=1e-12)


# ------------------------------------------------------------------------- gaussian_mle
def test_gaussian_mle_small_example_by_hand():
    fit = ml.gaussian_mle([[1, 0], [1, 1], [1, 2], [1, 3]], [0, 1, 1, 3])
    assert isinstance(fit, ml.GaussianMLE) and isinstance(fit, tuple)
    np.testing.assert_allclose(fit.theta, [-0.1, 0.9], rtol=4 * EPS)
    assert fit.sigma2 == pytest.approx(0.7 / 4, rel=1e-14)
    theta, sigma2 = fit
    assert theta is fit.theta and sigma2 == fit.sigma2


@pytest.mark.parametrize("seed", range(4))
def test_gaussian_mle_matches_lstsq_and_the_mse_of_the_residuals(seed):
    X, y = line_data(seed)
    fit = ml.gaussian_mle(X, y)
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(fit.theta, ref, rtol=1e-10, atol=1e-12)
    residuals = y - X @ ref
    assert fit.sigma2 == pytest.approx(math.fsum(residuals**2) / len(y), rel=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_gaussian_mle_is_the_numerical_maximiser(seed):
    X, y = line_data(10 + seed, noise="laplace")  # the MLE formula does not care what y is
    n, p = X.shape

    def negative(params):
        theta, log_s2 = params[:p], params[p]
        s2 = math.exp(log_s2)
        r = y - X @ theta
        value = -ml.gaussian_log_likelihood(y, X @ theta, sigma2=s2)
        grad = np.r_[-(X.T @ r) / s2, n / 2 - (r @ r) / (2 * s2)]
        return value, grad

    res = optimize.minimize(
        negative, np.zeros(p + 1), jac=True, method="BFGS", options={"gtol": 1e-11}
    )
    fit = ml.gaussian_mle(X, y)
    np.testing.assert_allclose(res.x[:p], fit.theta, rtol=0, atol=1e-7)
    assert math.exp(res.x[p]) == pytest.approx(fit.sigma2, rel=1e-7)
    # and the maximum value is the profile log-likelihood
    assert -res.fun == pytest.approx(-n / 2 * (math.log(2 * math.pi * fit.sigma2) + 1), rel=1e-12)


def test_gaussian_mle_sigma2_is_biased_by_n_minus_p_over_n():
    # E[sigma2_hat] = (n - p) / n * sigma^2: a Monte Carlo with a 5-standard-error bound
    rng = np.random.default_rng(3)
    n, p, reps = 6, 3, 3000
    X = np.column_stack([np.ones(n), np.arange(n), np.arange(n) ** 2]).astype(float)
    draws = np.array([ml.gaussian_mle(X, rng.standard_normal(n)).sigma2 for _ in range(reps)])
    se = draws.std(ddof=1) / math.sqrt(reps)
    assert abs(draws.mean() - (n - p) / n) < 5 * se


def test_gaussian_mle_forwards_options_to_ols():
    X = [[1, 1], [2, 2], [3, 3]]
    with pytest.raises(np.linalg.LinAlgError, match="rank-deficient"):
        ml.gaussian_mle(X, [1, 2, 4])
    with pytest.warns(ml.SingularDesignWarning):
        fit = ml.gaussian_mle(X, [1, 2, 4], on_singular="warn")
    np.testing.assert_allclose(fit.theta, np.linalg.pinv(np.array(X, float)) @ [1, 2, 4])
    for method in ("exact", "qr"):
        fit = ml.gaussian_mle([[1, 0], [1, 1], [1, 2], [1, 3]], [0, 1, 1, 3], method=method)
        np.testing.assert_allclose(fit.theta, [-0.1, 0.9], rtol=1e-14)
    with pytest.raises(ValueError, match="method must be one of"):
        ml.gaussian_mle([[1.0]], [1.0], method="svd")


def test_gaussian_mle_exact_fit_gives_zero_variance():
    fit = ml.gaussian_mle([[1, 0], [1, 1]], [2, 5])
    np.testing.assert_allclose(fit.theta, [2, 3], rtol=1e-15)
    assert fit.sigma2 == 0.0


# --------------------------------------------------------------------------- bad input
LL_FUNCS = [ml.gaussian_log_likelihood, ml.laplace_log_likelihood]
LL_IDS = ["gaussian", "laplace"]
SCALE_NAME = {ml.gaussian_log_likelihood: "sigma2", ml.laplace_log_likelihood: "b"}
MEANING = {
    ml.gaussian_log_likelihood: "the noise variance",
    ml.laplace_log_likelihood: "the Laplace scale",
}


def call(func, y_true, y_pred, scale):
    """``func(y_true, y_pred, sigma2=scale)`` or ``(..., b=scale)``: the scale is keyword-only."""
    return func(y_true, y_pred, **{SCALE_NAME[func]: scale})


@pytest.mark.parametrize("func", LL_FUNCS, ids=LL_IDS)
@pytest.mark.parametrize(
    ("scale", "error", "got"),
    [
        (0.0, ValueError, "0.0"),
        (-1.0, ValueError, "-1.0"),
        (math.nan, ValueError, "nan"),
        (math.inf, ValueError, "inf"),
        (True, TypeError, "bool True"),
        ("1", TypeError, "str '1'"),
        ([1.0], TypeError, r"list \[1.0\]"),
        (None, TypeError, "NoneType None"),
    ],
)
def test_bad_scale(func, scale, error, got):
    # The message names the argument, says what it must be, and repeats what it got.
    expected = "a finite number" if error is ValueError else "a real number"
    match = rf"^{SCALE_NAME[func]} must be {expected} > 0 \({MEANING[func]}\); got {got}\.$"
    with pytest.raises(error, match=match):
        call(func, [1.0, 2.0], [1.0, 2.5], scale)


def test_the_scale_is_keyword_only():
    with pytest.raises(TypeError, match="positional argument"):
        ml.gaussian_log_likelihood([1.0, 2.0], [1.0, 2.5], 1.0)
    with pytest.raises(TypeError, match="positional argument"):
        ml.laplace_log_likelihood([1.0, 2.0], [1.0, 2.5], 1.0)


@pytest.mark.parametrize("func", LL_FUNCS, ids=LL_IDS)
@pytest.mark.parametrize(
    ("y_true", "y_pred", "error", "match"),
    [
        ([1.0, 2.0], [1.0], ValueError, "same shape.*different numbers of samples"),
        ([1.0, 2.0], [[1.0, 2.0]], ValueError, "same shape"),
        ([], [], ValueError, "y_true is empty"),
        (3.0, 3.0, ValueError, "must be 1-D .* 0-D scalar"),
        ([1.0, math.nan], [1.0, 2.0], ValueError, r"y_true contains NaN at index 1"),
        ([1.0, 2.0], [1.0, math.inf], ValueError, r"y_pred contains \+inf at index 1"),
        ([True, False], [1.0, 0.0], TypeError, "y_true must hold real numbers"),
        ([1.0, 2.0], ["a", "b"], TypeError, "y_pred must hold real numbers"),
        ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]], ValueError, "takes one output"),
    ],
)
def test_bad_targets(func, y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        call(func, y_true, y_pred, 1.0)


@pytest.mark.parametrize("func", LL_FUNCS, ids=LL_IDS)
def test_several_outputs_message_names_the_function_and_the_shape(func):
    with pytest.raises(ValueError, match=rf"{func.__name__} takes one output.*\(2, 3\).*3 outputs"):
        call(func, np.zeros((2, 3)), np.ones((2, 3)), 1.0)


@pytest.mark.parametrize("func", LL_FUNCS, ids=LL_IDS)
def test_overflow_is_reported_not_returned(func):
    with pytest.raises(ValueError, match=r"log-likelihood overflows float64.*too small"):
        call(func, [0.0, 1e150], [0.0, -1e150], 1e-200)
    # a large but representable value is returned
    assert math.isfinite(call(func, [0.0, 1e100], [0.0, -1e100], 1e-100))
    # residual sums beyond float64 with a scale of 1: the log-likelihood itself overflows
    with pytest.raises(ValueError, match=r"log-likelihood overflows float64.*too small"):
        call(func, [1.7e308, 1.7e308], [0.0, 0.0], 1.0)


@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        ([1.0, 2.0], [1.0, 2.0], ValueError, "X must be 2-D"),
        ([[1.0], [2.0]], [1.0], ValueError, "y must have shape"),
        ([[1.0], [math.nan]], [1.0, 2.0], ValueError, "X contains NaN"),
        ([[1.0], [2.0]], [1.0, math.inf], ValueError, r"y contains \+inf"),
        ([["a"], ["b"]], [1.0, 2.0], TypeError, "X must hold real numbers"),
    ],
)
def test_gaussian_mle_bad_input(X, y, error, match):
    with pytest.raises(error, match=match):
        ml.gaussian_mle(X, y)


# ------------------------------------------------------------ the whole float64 range
# Oracle: mpmath at 60 digits on the exact binary values of the inputs.


def mp_log_likelihood(kind, y_true, y_pred, scale):
    import mpmath

    with mpmath.workdps(60):
        pairs_ = zip(y_true, y_pred, strict=True)
        e = [mpmath.mpf(float(a)) - mpmath.mpf(float(b)) for a, b in pairs_]
        n, s = len(e), mpmath.mpf(float(scale))
        if kind == "gaussian":
            value = -n * mpmath.log(2 * mpmath.pi * s) / 2 - sum(d * d for d in e) / (2 * s)
        else:
            value = -n * mpmath.log(2 * s) - sum(abs(d) for d in e) / s
        return float(value)


@pytest.mark.parametrize(
    ("func", "kind", "y_true", "y_pred", "scale", "approx"),
    [
        # SSE = 4e400 overflows, SSE / (2 sigma2) = 2e100 does not
        (ml.gaussian_log_likelihood, "gaussian", [1e200, 0.0], [-1e200, 0.0], 1e300, -2.0e100),
        # y - y_pred = 3.4e308 overflows, SAE / b = 3.4e8 does not
        (ml.laplace_log_likelihood, "laplace", [1.7e308], [-1.7e308], 1e300, -3.4e8),
        # the squares underflow (9e-324) and sigma2 is subnormal
        (ml.gaussian_log_likelihood, "gaussian", [3e-162, 0.0], [0.0, 0.0], 1e-320, 734.9889138),
        (ml.laplace_log_likelihood, "laplace", [3e-322, 0.0], [0.0, 1e-323], 1e-320, 1472.25),
        # SSE = 4e616 and sigma2 near the largest float64
        (ml.gaussian_log_likelihood, "gaussian", [1e308], [-1e308], 1.7e308, -1.176e308),
        # one sample: SSE = 1.02e309 and SSE / sigma2 overflow, SSE / (2 sigma2) does not
        (ml.gaussian_log_likelihood, "gaussian", [1.6e154], [-1.6e154], 3.0, -1.7067e308),
        # SSE = 1.44e308 is finite, SSE / sigma2 overflows, SSE / (2 sigma2) does not
        (ml.gaussian_log_likelihood, "gaussian", [1.2e154], [0.0], 0.5, -1.44e308),
    ],
)
def test_log_likelihood_across_the_float64_range_matches_mpmath(
    func, kind, y_true, y_pred, scale, approx
):
    pytest.importorskip("mpmath")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning leaks
        got = call(func, y_true, y_pred, scale)
    want = mp_log_likelihood(kind, y_true, y_pred, scale)
    assert math.isclose(got, approx, rel_tol=1e-2)
    assert abs(got - want) <= 4 * EPS * abs(want)


@pytest.mark.parametrize("k", [-535, -530, -500, -400, -1, 1, 300, 500, 511])
@pytest.mark.parametrize("seed", range(3))
def test_log_likelihood_scaling_law_by_powers_of_two(k, seed):
    # y, y_pred scaled by 2**k and sigma2 by 4**k (b by 2**k): log L shifts by -n k log 2,
    # for both likelihoods; the unscaled problem is the oracle. From |k| ~ 512 on the
    # plain squares overflow or underflow.
    rng = np.random.default_rng(seed)
    n = 5
    y, p = rng.normal(size=n), rng.normal(size=n)
    s2, b = 0.75, 1.25  # short mantissas: exact even when 4**k sigma2 is subnormal
    ys, ps = np.ldexp(y, k), np.ldexp(p, k)
    g0 = ml.gaussian_log_likelihood(y, p, sigma2=s2)
    g = ml.gaussian_log_likelihood(ys, ps, sigma2=math.ldexp(s2, 2 * k))
    assert math.isclose(g, g0 - n * k * math.log(2), rel_tol=0, abs_tol=1e-12 * (1 + abs(g)))
    l0 = ml.laplace_log_likelihood(y, p, b=b)
    lap = ml.laplace_log_likelihood(ys, ps, b=math.ldexp(b, k))
    assert math.isclose(lap, l0 - n * k * math.log(2), rel_tol=0, abs_tol=1e-12 * (1 + abs(lap)))


def test_gaussian_mle_sigma2_is_representable_although_the_sse_is_not():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ml.gaussian_mle([[1.0], [1.0]], [1.3e154, -1.3e154])
    assert fit.theta.tolist() == [0.0]
    # SSE / n = (1.3e154)**2 exactly in rationals, rounded once
    want = float(Fraction(1.3e154) ** 2)
    assert abs(fit.sigma2 - want) <= 2 * EPS * want
    # tiny residuals: SSE underflows into subnormals, SSE / n does not lose digits
    tiny = ml.gaussian_mle([[1.0], [1.0]], [3e-162, -3e-162]).sigma2
    want = float(Fraction(3e-162) ** 2)
    assert abs(tiny - want) <= 2 * EPS * want
    # a variance that is itself beyond float64 is still reported
    with pytest.raises(ValueError, match=r"SSE / n overflows float64.*Rescale"):
        ml.gaussian_mle([[1.0], [1.0]], [1.4e154, -1.4e154])
