"""Tests for mselib.decomposition against closed forms, and every bad input.

The closed forms are computed here, independently of mselib. For a linear smoother,
predictions ``H y`` with a fixed matrix ``H`` (rows: test points, columns: training
inputs), the mean prediction is ``H f(x_train)`` and the variance at test point j is
``sigma^2 * sum_k H[j, k]^2``; ``H`` is built from monomials with ``np.linalg.pinv``,
not from mselib's Legendre basis and ``lstsq``. Monte Carlo estimates must lie within
four standard errors of the closed forms (seeded, so the tests are deterministic).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mselib.decomposition import BiasVariance, bias_variance, polynomial_fit_predict

SIGMA = 0.5
X_TRAIN = np.linspace(-1.0, 2.0, 12)
X_TEST = np.array([-0.5, 0.3, 1.1, 1.9])
Z = 4.0  # standard errors allowed between an estimate and its closed form
STRICT = {"over": "raise", "invalid": "raise", "divide": "raise"}  # no unguarded overflow


def truth(x):
    return np.sin(2.0 * x) + 0.3 * x**2


def mean_model(x_train, y_train, x_test):
    """Intercept-only model: predict the mean of the training targets everywhere."""
    return np.repeat(y_train.mean(axis=1, keepdims=True), x_test.size, axis=1)


def smoother(x_train, x_test, degree):
    """H with predictions at x_test = H @ y for a least-squares polynomial (monomials, pinv)."""
    centre, half = x_train.mean(), np.ptp(x_train) / 2
    train = np.vander((x_train - centre) / half, degree + 1)
    test = np.vander((x_test - centre) / half, degree + 1)
    return test @ np.linalg.pinv(train)


def exact_terms(hat, f_train, f_test, sigma):
    """Closed-form (bias^2, variance, noise, total), averaged over the test points."""
    bias_sq = float(np.mean((f_test - hat @ f_train) ** 2))
    variance = float(sigma**2 * np.mean(np.sum(hat**2, axis=1)))
    noise = sigma**2
    return bias_sq, variance, noise, bias_sq + variance + noise


def assert_matches(result: BiasVariance, exact, z=Z):
    names = ("bias_sq", "variance", "noise", "total")
    for name, value in zip(names, exact, strict=True):
        estimate, se = getattr(result, name), getattr(result, name + "_se")
        assert abs(estimate - value) <= z * se + 1e-12, (name, estimate, value, se)


# ------------------------------------------------------------------ closed forms
def test_sample_mean_model_pointwise():
    """Mean of n targets at a fixed x0: bias f(x0) - mean f(x_train), variance sigma^2/n."""
    x0 = np.array([0.3])
    result = bias_variance(
        mean_model, truth, X_TRAIN, x0, noise_sd=SIGMA, n_datasets=40_000,
        rng=np.random.default_rng(1),
    )
    bias = truth(x0)[0] - truth(X_TRAIN).mean()
    variance = SIGMA**2 / X_TRAIN.size
    exact = (bias**2, variance, SIGMA**2, bias**2 + variance + SIGMA**2)
    assert_matches(result, exact)
    assert result.n_datasets == 40_000 and result.n_test == 1


def test_sample_mean_model_zero_bias():
    """f constant: the mean model is unbiased, and bias^2 is estimated near 0 (not forced >= 0)."""
    result = bias_variance(
        mean_model, lambda x: np.full(x.shape, 3.0), X_TRAIN, X_TEST, noise_sd=SIGMA,
        n_datasets=5_000, rng=np.random.default_rng(2),
    )
    assert abs(result.bias_sq) <= Z * result.bias_sq_se
    assert result.bias_sq_se > 0  # the second-order term keeps it honest at zero bias
    assert abs(result.variance - SIGMA**2 / X_TRAIN.size) <= Z * result.variance_se


def test_shrunken_mean_has_known_bias():
    """c times the mean of the targets, f = mu: bias (c - 1) mu, variance c^2 sigma^2 / n."""
    mu, c = 2.0, 0.6

    def shrunk(x_train, y_train, x_test):
        return c * mean_model(x_train, y_train, x_test)

    result = bias_variance(
        shrunk, lambda x: np.full(x.shape, mu), X_TRAIN, X_TEST, noise_sd=SIGMA,
        n_datasets=20_000, rng=np.random.default_rng(3),
    )
    bias_sq, variance = ((c - 1) * mu) ** 2, c**2 * SIGMA**2 / X_TRAIN.size
    assert_matches(result, (bias_sq, variance, SIGMA**2, bias_sq + variance + SIGMA**2))


@pytest.mark.parametrize("degree", [0, 1, 2, 3, 5, 8])
@pytest.mark.parametrize("noise", ["normal", "uniform", "laplace"])
def test_polynomial_fit_against_linear_smoother(degree, noise):
    hat = smoother(X_TRAIN, X_TEST, degree)
    exact = exact_terms(hat, truth(X_TRAIN), truth(X_TEST), SIGMA)
    result = bias_variance(
        polynomial_fit_predict(degree), truth, X_TRAIN, X_TEST, noise_sd=SIGMA,
        n_datasets=4_000, rng=np.random.default_rng(10 + degree), noise=noise,
    )
    assert_matches(result, exact)
    assert abs(result.cross) <= Z * result.cross_se


def test_components_sum_to_the_simulated_risk():
    result = bias_variance(
        polynomial_fit_predict(2), truth, X_TRAIN, X_TEST, noise_sd=SIGMA, n_datasets=3_000,
        rng=np.random.default_rng(4),
    )
    # The estimates satisfy total = components + cross to rounding, and cross is
    # zero within its standard error (test noise independent of the fit).
    assert math.isclose(
        result.total, result.sum_of_components + result.cross, rel_tol=1e-12, abs_tol=1e-15
    )
    assert abs(result.total - result.sum_of_components) <= Z * result.cross_se
    assert result.sum_of_components_se >= max(result.bias_sq_se, result.noise_se)


def test_noise_free_data_have_no_variance():
    result = bias_variance(
        polynomial_fit_predict(1), truth, X_TRAIN, X_TEST, noise_sd=0.0, n_datasets=2,
        rng=np.random.default_rng(5),
    )
    hat = smoother(X_TRAIN, X_TEST, 1)
    bias_sq = float(np.mean((truth(X_TEST) - hat @ truth(X_TRAIN)) ** 2))
    assert result.variance == pytest.approx(0.0, abs=1e-25)
    assert result.noise == 0.0 and result.cross == 0.0
    assert result.bias_sq == pytest.approx(bias_sq, rel=1e-10)
    assert result.total == pytest.approx(bias_sq, rel=1e-10)


@pytest.mark.parametrize("mu_shift", [0.0, 1.0])
def test_standard_errors_match_the_spread_over_repeated_runs(mu_shift):
    """Over 300 independent small runs, the root mean square of each standard error
    matches the standard deviation of the estimate. At zero bias (mu_shift = 0) the
    standard error of bias_sq is conservative by design (documented): never too small."""
    hat = smoother(X_TRAIN, X_TEST[:2], 1)

    def f(x):
        return mu_shift * x**2  # a straight line is unbiased for mu_shift = 0

    bias_sq, variance, noise, total = exact_terms(hat, f(X_TRAIN), f(X_TEST[:2]), SIGMA)
    exact = {"bias_sq": bias_sq, "variance": variance, "noise": noise, "total": total,
             "cross": 0.0}
    rng = np.random.default_rng(6)
    runs = [
        bias_variance(polynomial_fit_predict(1), f, X_TRAIN, X_TEST[:2], noise_sd=SIGMA,
                      n_datasets=200, rng=rng)
        for _ in range(300)
    ]
    for name, value in exact.items():
        estimates = np.array([getattr(r, name) for r in runs])
        rms_se = np.sqrt(np.mean([getattr(r, name + "_se") ** 2 for r in runs]))
        ratio = estimates.std(ddof=1) / rms_se
        low = 0.55 if (name == "bias_sq" and mu_shift == 0) else 0.85
        assert low < ratio < 1.15, (name, ratio)
        # unbiased: the mean of 300 estimates is within 4 of its standard errors
        assert abs(estimates.mean() - value) < Z * estimates.std(ddof=1) / np.sqrt(300), name


def test_same_generator_state_same_result_and_str():
    runs = [
        bias_variance(
            mean_model, truth, X_TRAIN, X_TEST, noise_sd=SIGMA, n_datasets=50,
            rng=np.random.default_rng(7),
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    text = str(runs[0])
    assert text.splitlines()[0] == "50 training sets, 4 test point(s)"
    assert [line.split()[0] for line in text.splitlines()[1:]] == [
        "bias^2", "variance", "noise", "sum", "test", ]


def test_user_functions_cannot_mutate_the_inputs():
    x_train, x_test = X_TRAIN.copy(), X_TEST.copy()

    def vandal(xs, ys, xt):
        xs[:] = 0.0
        xt[:] = 0.0
        return mean_model(xs, ys, xt)

    bias_variance(vandal, truth, x_train, x_test, noise_sd=SIGMA, n_datasets=3,
                  rng=np.random.default_rng(8))
    assert np.array_equal(x_train, X_TRAIN) and np.array_equal(x_test, X_TEST)


# ------------------------------------------------------------ polynomial_fit_predict
@pytest.mark.parametrize("degree", [0, 1, 4, 9])
def test_polynomial_fit_predict_matches_numpy_fit_per_row(degree):
    rng = np.random.default_rng(20 + degree)
    x = np.sort(rng.uniform(-3, 5, 15))
    ys = rng.normal(size=(6, 15))
    x_test = np.linspace(-3, 5, 7)
    got = polynomial_fit_predict(degree)(x, ys, x_test)
    expected = np.array([np.polynomial.Polynomial.fit(x, y, degree)(x_test) for y in ys])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_polynomial_fit_predict_reproduces_a_polynomial_and_honours_domain():
    x = np.linspace(0, 10, 11)
    coefs = [1.0, -2.0, 0.5, 0.01]
    y = np.polynomial.polynomial.polyval(x, coefs)[None, :]
    x_test = np.array([-1.0, 3.3, 12.0])
    expected = np.polynomial.polynomial.polyval(x_test, coefs)[None, :]
    for domain in (None, (0.0, 10.0), (-5.0, 20.0)):
        got = polynomial_fit_predict(3, domain=domain)(x, y, x_test)
        np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_polynomial_degree_zero_with_one_distinct_input():
    got = polynomial_fit_predict(0)(np.array([2.0, 2.0]), np.array([[1.0, 3.0]]), np.array([7.0]))
    assert got.shape == (1, 1) and got[0, 0] == pytest.approx(2.0)


def test_polynomial_fit_predict_errors():
    with pytest.raises(ValueError, match="needs at least 4 distinct training inputs"):
        polynomial_fit_predict(3)(np.array([0.0, 1.0, 1.0, 2.0]), np.ones((1, 4)), np.zeros(1))
    with pytest.raises(ValueError, match="numerically rank deficient"):
        # 5e-324 maps to -1 exactly on the scaled domain: distinct inputs, duplicate rows
        polynomial_fit_predict(2)(np.array([0.0, 5e-324, 1.0]), np.ones((1, 3)), np.zeros(1))
    with pytest.raises(ValueError, match=r"y_train must have shape \(n_sets, 3\)"):
        polynomial_fit_predict(1)(np.arange(3.0), np.ones(3), np.zeros(1))
    with pytest.raises(ValueError, match="y_train contains NaN"):
        polynomial_fit_predict(1)(np.arange(3.0), np.array([[1.0, np.nan, 2.0]]), np.zeros(1))
    with pytest.raises(ValueError, match=r"^degree must be an integer >= 0; got -1\.$"):
        polynomial_fit_predict(-1)
    with pytest.raises(TypeError, match=r"^degree must be an integer >= 0; got float 2.0\.$"):
        polynomial_fit_predict(2.0)
    with pytest.raises(ValueError, match="low < high"):
        polynomial_fit_predict(1, domain=(1.0, 1.0))
    with pytest.raises(ValueError, match="low < high"):
        polynomial_fit_predict(1, domain=(0.0, 1.0, 2.0))
    with pytest.raises(ValueError, match="domain contains NaN"):
        polynomial_fit_predict(1, domain=(0.0, np.nan))


# ------------------------------------------------------------------ bad inputs
def call(**changes):
    args = dict(
        fit_predict=mean_model, f=truth, x_train=X_TRAIN, x_test=X_TEST, noise_sd=SIGMA,
        n_datasets=10, rng=np.random.default_rng(0),
    )
    args.update(changes)
    return bias_variance(**args)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"rng": 42}, TypeError, r"rng must be a numpy.random.Generator.*default_rng\(42\)"),
        ({"rng": None}, TypeError, r"default_rng\(None\)"),
        ({"rng": np.random.RandomState(0)}, TypeError, "Legacy RandomState"),
        ({"n_datasets": 1}, ValueError, r"^n_datasets must be an integer >= 2; got 1\.$"),
        ({"n_datasets": 0}, ValueError, "n_datasets must be an integer >= 2; got 0"),
        ({"n_datasets": 100.0}, TypeError, "n_datasets must be an integer >= 2; got float"),
        ({"n_datasets": True}, TypeError, "got bool"),
        (
            {"noise_sd": -0.1},
            ValueError,
            r"^noise_sd must be a finite number >= 0 \(a standard deviation\); got -0.1\.$",
        ),
        ({"noise_sd": math.inf}, ValueError, "noise_sd must be a finite number"),
        ({"noise_sd": math.nan}, ValueError, "noise_sd must be a finite number"),
        ({"noise_sd": "0.5"}, TypeError, r"noise_sd must be a real number >= 0 .*got str '0.5'"),
        ({"noise": "cauchy"}, ValueError, "noise must be one of 'normal', 'uniform', 'laplace'"),
        ({"x_train": X_TRAIN[:, None]}, ValueError, r"x_train must be 1-D .* shape \(12, 1\)"),
        ({"x_test": 0.5}, ValueError, r"x_test must be 1-D .*Wrap a single value"),
        ({"x_test": []}, ValueError, "x_test is empty"),
        ({"x_train": [0.0, np.nan]}, ValueError, r"x_train contains NaN at index 1"),
        ({"x_test": [0.0, -np.inf]}, ValueError, r"x_test contains -inf at index 1"),
        ({"x_train": [1 + 1j, 2]}, TypeError, "x_train must hold real numbers"),
        ({"x_train": ["a", "b"]}, TypeError, "x_train must hold real numbers"),
        ({"fit_predict": "ols"}, TypeError, "fit_predict must be callable"),
        ({"f": 3.0}, TypeError, "f must be callable"),
        ({"f": lambda x: 0.0}, ValueError, r"f returned an array of shape \(\); expected"),
        ({"f": lambda x: x * np.nan}, ValueError, "f returned NaN at index 0"),
        ({"f": lambda x: x.astype(complex)}, TypeError, "must hold real numbers"),
        (
            {"fit_predict": lambda xs, ys, xt: ys.mean(axis=1)},
            ValueError,
            r"fit_predict returned an array of shape \(10,\); expected shape \(10, 4\) "
            r"\(one row per training set",
        ),
        (
            {"fit_predict": lambda xs, ys, xt: mean_model(xs, ys, xt).T},
            ValueError,
            r"shape \(4, 10\); expected shape \(10, 4\)",
        ),
        (
            {"fit_predict": lambda xs, ys, xt: np.full((10, 4), np.inf)},
            ValueError,
            r"fit_predict returned \+inf at index \(0, 0\)",
        ),
    ],
)
def test_bad_inputs(changes, error, message):
    with pytest.raises(error, match=message):
        call(**changes)


# ------------------------------------------------------------------ the result and the API
def test_result_is_a_named_tuple_with_its_properties():
    result = call(n_datasets=20)
    assert isinstance(result, BiasVariance) and isinstance(result, tuple)
    assert result._fields[:5] == ("bias_sq", "variance", "noise", "total", "cross")
    assert len(result) == 12 and result[0] == result.bias_sq
    assert result.sum_of_components == result.bias_sq + result.variance + result.noise
    assert result.sum_of_components_se == math.hypot(
        result.bias_sq_se + result.variance_se, result.noise_se
    )
    assert str(result).startswith("20 training sets, 4 test point(s)")
    assert repr(result).startswith("BiasVariance(bias_sq=")
    with pytest.raises(AttributeError):
        result.bias_sq = 0.0  # immutable
    assert "standard error" in BiasVariance.__doc__


def test_domain_is_keyword_only_and_the_routine_has_a_readable_repr():
    with pytest.raises(TypeError, match="positional argument"):
        polynomial_fit_predict(1, (0.0, 1.0))
    assert repr(polynomial_fit_predict(3)) == "polynomial_fit_predict(3)"
    assert repr(polynomial_fit_predict(1, domain=(0, 2))) == (
        "polynomial_fit_predict(1, domain=(0.0, 2.0))"
    )


def test_polynomial_routine_is_not_validated_twice_inside_bias_variance(monkeypatch):
    # bias_variance has checked x_train, x_test and made y_train itself: the routine
    # of polynomial_fit_predict is run on them without its own checks.
    import mselib.decomposition as dec

    calls = []
    original = dec.check_vector

    def counting(value, name, *args, **kwargs):
        calls.append(name)
        return original(value, name, *args, **kwargs)

    monkeypatch.setattr(dec, "check_vector", counting)
    monkeypatch.setattr(dec, "_check_finite_rows", lambda *a, **k: pytest.fail("checked twice"))
    fast = bias_variance(polynomial_fit_predict(2), truth, X_TRAIN, X_TEST, noise_sd=SIGMA,
                         n_datasets=30, rng=np.random.default_rng(9))
    assert calls == ["x_train", "x_test"]
    # a plain function wrapping the same routine is checked as any user function: same result
    monkeypatch.undo()
    fit = polynomial_fit_predict(2)
    slow = bias_variance(lambda xs, ys, xt: fit(xs, ys, xt), truth, X_TRAIN, X_TEST,
                         noise_sd=SIGMA, n_datasets=30, rng=np.random.default_rng(9))
    assert slow == fast


# ------------------------------------------------------------ hostile inputs: range of float64
@pytest.mark.parametrize("scale", [2.0**-500, 1e-150, 1e100, 1e150, 1e152])
def test_estimates_scale_exactly_with_the_data(scale):
    """Scaling f and noise_sd by s scales every estimate by s^2: no overflow, no underflow."""
    base = call(n_datasets=200)
    scaled = call(f=lambda x: scale * truth(x), noise_sd=scale * SIGMA, n_datasets=200)
    for name in BiasVariance._fields[:10]:
        value = getattr(scaled, name)
        assert math.isfinite(value), name
        assert value == pytest.approx(getattr(base, name) * scale**2, rel=1e-12), name


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (  # the variance of predictions near 1e200 is near 1e400 (and enters bias^2)
            {"fit_predict": lambda xs, ys, xt: np.outer(np.arange(10.0) - 4.5, np.ones(4)) * 1e200},
            r"(squared bias|variance of the predictions) overflows float64 \(about 1e4\d\d\)",
        ),
        (  # constant predictions: no variance, but the squared bias is near 1.8e600
            {"fit_predict": lambda xs, ys, xt: np.full((10, 4), 2.0**997)},
            r"the squared bias overflows float64.*below about 1e154",
        ),
        ({"noise_sd": 1e200}, r"overflows float64 \(about 1e\d{3}\)"),
        (
            {"noise_sd": 1e308},
            r"training targets f\(x_train\) \+ noise overflow float64 .*noise_sd = 1e\+308",
        ),
        (
            {"f": lambda x: np.full(x.shape, 1.7e308), "noise_sd": 1e307},
            r"training targets .* overflow float64.*largest \|f\(x_train\)\| is 1.7e\+308",
        ),
    ],
)
def test_overflowing_estimates_are_reported_not_returned(changes, message):
    with np.errstate(**STRICT), pytest.raises(ValueError, match=message):
        call(**changes)


def test_huge_but_representable_predictions_give_finite_standard_errors():
    # Predictions near 1e150: squares near 1e300 are fine, fourth powers (behind the
    # standard error of bias^2) are not, unless computed on scaled values. Scaling the
    # predictions and f by 2**500 scales every estimate by exactly 2**1000.
    table = 1 + np.random.default_rng(3).normal(size=(40, 4))

    with np.errstate(**STRICT):
        result = call(fit_predict=lambda xs, ys, xt: table * 2.0**500,
                      f=lambda x: truth(x) * 2.0**500, n_datasets=40, noise_sd=0.0)
    reference = call(fit_predict=lambda xs, ys, xt: table, n_datasets=40, noise_sd=0.0)
    assert all(math.isfinite(v) for v in result)
    assert result.bias_sq_se > 0 and result.variance_se > 0
    for name in BiasVariance._fields[:10]:
        assert getattr(result, name) == getattr(reference, name) * 2.0**1000, name


def test_tiny_predictions_keep_their_standard_errors():
    # Near 1e-100 every square is near 1e-200 and every fourth power underflows to 0
    # without scaling; the standard error of bias^2 would then come out as 0.
    rng = np.random.default_rng(4)
    table = 1e-100 * (1 + rng.normal(size=(40, 4)))
    result = call(fit_predict=lambda xs, ys, xt: table, f=lambda x: np.zeros(x.shape),
                  n_datasets=40)
    reference = call(fit_predict=lambda xs, ys, xt: table * 1e100, f=lambda x: np.zeros(x.shape),
                     n_datasets=40)
    assert result.bias_sq_se == pytest.approx(reference.bias_sq_se * 1e-200, rel=1e-12)
    assert result.variance_se == pytest.approx(reference.variance_se * 1e-200, rel=1e-12)


# ---------------------------------------------------- hostile inputs: polynomial_fit_predict
LINE_X = np.array([1.0, 2.0, 3.0, 4.0])
LINE_Y = np.array([[1.0, 2.0, 3.0, 5.0]])


@pytest.mark.parametrize("x_scale", [1e-310, 5e-324 * 2**20, 1e-200, 1e200, 4e307])
def test_polynomial_fit_predict_on_extreme_inputs(x_scale, capfd):
    # x near 1e-310 used to give 2 / (high - low) = inf, NaNs in the design, "SVD did not
    # converge" and LAPACK complaints on stderr. Scaling x by a power of two changes nothing.
    expected = polynomial_fit_predict(2)(LINE_X, LINE_Y, np.array([2.5, 3.5]))
    with np.errstate(**STRICT):
        got = polynomial_fit_predict(2)(LINE_X * x_scale, LINE_Y, np.array([2.5, 3.5]) * x_scale)
    np.testing.assert_allclose(got, expected, rtol=1e-6 if x_scale < 1e-300 else 1e-12)
    out, err = capfd.readouterr()
    assert err == "" and out == ""


def test_polynomial_fit_predict_on_targets_spanning_the_float64_range(capfd):
    x = np.array([0.0, 1.0, 2.0])
    ys = np.array([[1e-300, 1e300, 1e-300], [1e300, 1e300, 1e300], [1e-310, 2e-310, 3e-310],
                   [1.7e308, -1.7e308, 1.7e308]])
    with np.errstate(**STRICT):
        got = polynomial_fit_predict(1)(x, ys, np.array([0.5, 1.0]))
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[0], [1e300 / 3, 1e300 / 3], rtol=1e-12)
    np.testing.assert_allclose(got[1], [1e300, 1e300], rtol=1e-12)
    np.testing.assert_allclose(got[2], [1.5e-310, 2e-310], rtol=1e-6)  # subnormal: few digits
    np.testing.assert_allclose(got[3], [1.7e308 / 3, 1.7e308 / 3], rtol=1e-12)
    out, err = capfd.readouterr()
    assert err == "" and out == ""


@pytest.mark.parametrize(
    ("degree", "x", "y", "x_test", "kwargs", "message"),
    [
        (1, [0.0, 1.0, 2.0], [[1.7e308, -1.7e308, 1.7e308]], [1e300], {},
         r"fitted polynomials overflow float64 at x_test .*x_test spans \[1e\+300"),
        (3, [0.0, 1.0, 2.0, 3.0], [[1.0, 2.0, 3.0, 4.0]], [1e120], {},
         r"fitted polynomials overflow float64 at x_test"),
        (3, [1e300, 2e300, 3e300, 4e300], [[1.0, 2.0, 3.0, 4.0]], [0.5], {"domain": (0.0, 1.0)},
         r"x_train lies too far outside domain \(0.0, 1.0\): the degree-3 Legendre design "
         r"overflows float64"),
    ],
)
def test_polynomial_fit_predict_reports_overflow(degree, x, y, x_test, kwargs, message, capfd):
    routine = polynomial_fit_predict(degree, **kwargs)
    with np.errstate(**STRICT), pytest.raises(ValueError, match=message):
        routine(np.array(x), np.array(y), np.array(x_test))
    out, err = capfd.readouterr()
    assert err == "" and out == ""
