"""Tests for ridge, leverage, ols_inference and james_stein (mselib.linear).

Every expected value comes from outside mselib: scikit-learn's ``Ridge``, exact rational
arithmetic (``fractions.Fraction``) on the float64 data, ``numpy.linalg.pinv`` and
``numpy.linalg.lstsq``, the hat matrix formed by brute force, and NIST's certified values
for the Longley data.
"""

from __future__ import annotations

import itertools
import math
import warnings
from fractions import Fraction

import exact_oracle
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

import mselib as ml

# ---------------------------------------------------------------- exact oracles
frac_matrix = exact_oracle.fractions
frac_solve = exact_oracle.solve


def gram(A: list[list[Fraction]]) -> list[list[Fraction]]:
    p = len(A[0])
    return [[sum(r[i] * r[j] for r in A) for j in range(p)] for i in range(p)]


def exact_ridge(X, y, alpha: float, fit_intercept: bool) -> tuple[list[Fraction], Fraction]:
    """(X_c^T X_c + alpha I) w = X_c^T y_c in rationals, b = ybar - xbar^T w."""
    A, t = frac_matrix(X), [Fraction(float(v)) for v in y]
    n, p = len(A), len(A[0])
    if fit_intercept:
        xbar = [sum(r[j] for r in A) / n for j in range(p)]
        ybar = sum(t) / n
        A = [[r[j] - xbar[j] for j in range(p)] for r in A]
        t = [v - ybar for v in t]
    M = gram(A)
    for j in range(p):
        M[j][j] += Fraction(alpha)
    rhs = [sum(r[j] * v for r, v in zip(A, t, strict=True)) for j in range(p)]
    w = frac_solve(M, rhs)
    b = ybar - sum(xj * wj for xj, wj in zip(xbar, w, strict=True)) if fit_intercept else 0
    return w, Fraction(b)


def exact_inverse_diag(X) -> list[Fraction]:
    """The diagonal of (X^T X)^{-1}, exactly."""
    M = gram(frac_matrix(X))
    p = len(M)
    return [frac_solve(M, [Fraction(int(i == j)) for i in range(p)])[j] for j in range(p)]


def exact_sse(X, y) -> Fraction:
    A, t = frac_matrix(X), [Fraction(float(v)) for v in y]
    p = len(A[0])
    w = frac_solve(gram(A), [sum(r[j] * v for r, v in zip(A, t, strict=True)) for j in range(p)])
    fitted = [sum(a * b for a, b in zip(r, w, strict=True)) for r in A]
    return sum((v - f) ** 2 for v, f in zip(t, fitted, strict=True))


def close(actual, expected, rtol: float) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=0
    )


# ---------------------------------------------------------------- ridge
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [1e-3, 0.5, 3.0, 100.0])
def test_ridge_matches_sklearn(fit_intercept, alpha):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(40, 5)) + 2.0
    y = X @ rng.normal(size=5) + 1.5 + rng.normal(size=40)
    fit = ml.ridge(X, y, alpha=alpha, fit_intercept=fit_intercept)
    ref = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky").fit(X, y)
    close(fit.coef, ref.coef_, 1e-10)
    if fit_intercept:
        close(fit.intercept, ref.intercept_, 1e-10)
    else:
        assert fit.intercept == 0.0 and isinstance(fit.intercept, float)
    assert isinstance(fit, ml.RidgeFit) and fit.coef.shape == (5,)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [1e-8, 1e-4, 1.0])
def test_ridge_exact_on_ill_conditioned_design(fit_intercept, alpha):
    # Polynomial columns x, x^2, ..., x^6 on [1, 2]: condition number about 1e8 (centred).
    x = np.linspace(1.0, 2.0, 25)
    X = np.column_stack([x**k for k in range(1, 7)])
    y = np.sin(3 * x) + 0.1 * np.cos(17 * x)
    fit = ml.ridge(X, y, alpha=alpha, fit_intercept=fit_intercept)
    w, b = exact_ridge(X, y, alpha, fit_intercept)
    # The SVD route loses about kappa(X) * u relative to the largest coefficient.
    scale = max(abs(float(v)) for v in w)
    np.testing.assert_allclose(fit.coef, [float(v) for v in w], rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(fit.intercept, float(b), rtol=0, atol=1e-6 * scale)
    ref = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="svd").fit(X, y)
    np.testing.assert_allclose(fit.coef, ref.coef_, rtol=0, atol=1e-6 * scale)


def test_ridge_alpha_zero_is_least_squares():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30)
    close(ml.ridge(X, y, alpha=0, fit_intercept=False).coef, np.linalg.lstsq(X, y)[0], 1e-12)
    ones = np.column_stack([np.ones(30), X])
    full = np.linalg.lstsq(ones, y)[0]
    fit = ml.ridge(X, y, alpha=0.0)
    close(fit.coef, full[1:], 1e-12)
    close(fit.intercept, full[0], 1e-12)


def test_ridge_alpha_zero_rank_deficient_is_minimum_norm():
    rng = np.random.default_rng(13)
    base = rng.normal(size=(20, 2))
    X = np.column_stack([base, base[:, 0] + base[:, 1]])  # rank 2
    y = rng.normal(size=20)
    close(ml.ridge(X, y, alpha=0.0, fit_intercept=False).coef, np.linalg.pinv(X) @ y, 1e-10)


def test_ridge_shrinks_and_tends_to_zero():
    rng = np.random.default_rng(14)
    X, y = rng.normal(size=(25, 3)), rng.normal(size=25)
    norms = [np.linalg.norm(ml.ridge(X, y, alpha=a).coef) for a in (0.0, 1.0, 10.0, 1e3, 1e9)]
    assert all(a > b for a, b in itertools.pairwise(norms))
    assert norms[-1] < 1e-7


def test_ridge_one_sample_with_intercept_predicts_the_sample():
    fit = ml.ridge([[2.0, 3.0]], [5.0], alpha=1.0)
    assert np.all(fit.coef == 0) and fit.intercept == 5.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"alpha": -1.0}, ValueError, r"alpha must be a finite number >= 0; got -1\.0\."),
        ({"alpha": math.inf}, ValueError, r"alpha must be a finite number >= 0; got inf\."),
        ({"alpha": "1"}, TypeError, r"alpha must be a real number >= 0; got str '1'\."),
        ({"alpha": 1.0, "fit_intercept": 1}, TypeError,
         r"fit_intercept must be True or False; got int 1\."),
    ],
)
def test_ridge_rejects_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        ml.ridge([[1.0], [2.0]], [1.0, 2.0], **kwargs)


def test_ridge_rejects_bad_arrays():
    with pytest.raises(ValueError, match=r"X must be 2-D .* got 1-D"):
        ml.ridge([1.0, 2.0], [1.0, 2.0], alpha=1.0)
    with pytest.raises(ValueError, match=r"y must have shape \(2,\)"):
        ml.ridge([[1.0], [2.0]], [1.0, 2.0, 3.0], alpha=1.0)
    with pytest.raises(ValueError, match=r"X contains NaN at index \(1, 0\)"):
        ml.ridge([[1.0], [np.nan]], [1.0, 2.0], alpha=1.0)
    with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'alpha'"):
        ml.ridge([[1.0], [2.0]], [1.0, 2.0])  # type: ignore[call-arg]


def test_ridge_options_are_keyword_only():
    with pytest.raises(TypeError):
        ml.ridge([[1.0], [2.0]], [1.0, 2.0], 1.0)  # type: ignore[misc]


# ---------------------------------------------------------------- leverage
def brute_force_hat(X) -> list[Fraction]:
    """diag(X (X^T X)^{-1} X^T) in exact rationals."""
    A = frac_matrix(X)
    M = gram(A)
    p = len(M)
    cols = [frac_solve(M, [Fraction(int(i == j)) for i in range(p)]) for j in range(p)]
    inv = [[cols[j][i] for j in range(p)] for i in range(p)]
    return [sum(r[i] * inv[i][j] * r[j] for i in range(p) for j in range(p)) for r in A]


def test_leverage_matches_exact_hat_matrix():
    X = np.array([[1, 0, 2], [1, 1, 0], [1, 2, 5], [1, 3, 1], [1, 4, 4], [1, 7, 0]], float)
    close(ml.leverage(X), [float(v) for v in brute_force_hat(X)], 1e-14)


def test_leverage_matches_pinv():
    rng = np.random.default_rng(21)
    X = rng.normal(size=(50, 6))
    close(ml.leverage(X), np.diag(X @ np.linalg.pinv(X)), 1e-12)


@given(
    n=st.integers(2, 30),
    p=st.integers(1, 6),
    intercept=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_leverage_properties(n, p, intercept, seed):
    assume(p < n)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    if intercept:
        X[:, 0] = 1.0
    h = ml.leverage(X)
    assert h.shape == (n,)
    assert math.isclose(h.sum(), p, rel_tol=1e-12)
    assert np.all(h >= -1e-15) and np.all(h <= 1 + 1e-12)
    if intercept:
        assert np.all(h >= 1 / n - 1e-14)


def test_leverage_one_for_a_point_alone_in_its_column():
    X = np.column_stack([np.ones(5), [0, 0, 0, 0, 1.0], [1.0, 2, 3, 5, 4]])
    assert math.isclose(ml.leverage(X)[4], 1.0, rel_tol=1e-14)


@pytest.mark.parametrize(
    "X",
    [[[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], [[1.0, 2.0, 3.0]], [[0.0, 1.0], [0.0, 2.0]]],
    ids=["dependent columns", "fewer rows than columns", "zero column"],
)
def test_leverage_needs_full_column_rank(X):
    with pytest.raises(np.linalg.LinAlgError, match=r"leverage needs X of full column rank"):
        ml.leverage(X)


def test_leverage_rejects_bad_input():
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        ml.leverage([1.0, 2.0])
    with pytest.raises(TypeError, match=r"X must hold real numbers"):
        ml.leverage([["a"], ["b"]])


# ---------------------------------------------------------------- ols_inference
def test_ols_inference_exact_on_integer_data():
    X = np.array([[1, 2, 0], [1, 3, 1], [1, 5, 0], [1, 7, 3], [1, 8, 2], [1, 11, 1], [1, 4, 4]])
    y = np.array([3, 1, 4, 1, 5, 9, 2], dtype=float)
    fit = ml.ols_inference(X, y)
    n, p = X.shape
    sse = exact_sse(X, y)
    s2 = sse / (n - p)
    se2 = [s2 * d for d in exact_inverse_diag(X)]
    close(fit.std_err**2, [float(v) for v in se2], 1e-13)
    close(fit.resid_std**2, float(s2), 1e-14)
    ybar = Fraction(int(y.sum()), n)
    sst = sum((Fraction(int(v)) - ybar) ** 2 for v in y)
    close(fit.r2, float(1 - sse / sst), 1e-14)
    assert fit.dof == n - p and isinstance(fit.dof, int)
    close(fit.coef, np.linalg.lstsq(X.astype(float), y)[0], 1e-12)


def test_ols_inference_uncentred_r2_without_constant_column():
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 2.0], [5.0, 7.0]])
    y = np.array([2.0, 1.0, 6.0, 3.0, 9.0])
    fit = ml.ols_inference(X, y)
    sse = exact_sse(X, y)
    close(fit.r2, float(1 - sse / sum(Fraction(v) ** 2 for v in y)), 1e-14)
    centred = 1 - float(sse) / float(np.sum((y - y.mean()) ** 2))
    assert not math.isclose(fit.r2, centred, rel_tol=1e-6)


def test_ols_inference_reproduces_nist_longley():
    data = np.array(
        [
            [60323, 83.0, 234289, 2356, 1590, 107608, 1947],
            [61122, 88.5, 259426, 2325, 1456, 108632, 1948],
            [60171, 88.2, 258054, 3682, 1616, 109773, 1949],
            [61187, 89.5, 284599, 3351, 1650, 110929, 1950],
            [63221, 96.2, 328975, 2099, 3099, 112075, 1951],
            [63639, 98.1, 346999, 1932, 3594, 113270, 1952],
            [64989, 99.0, 365385, 1870, 3547, 115094, 1953],
            [63761, 100.0, 363112, 3578, 3350, 116219, 1954],
            [66019, 101.2, 397469, 2904, 3048, 117388, 1955],
            [67857, 104.6, 419180, 2822, 2857, 118734, 1956],
            [68169, 108.4, 442769, 2936, 2798, 120445, 1957],
            [66513, 110.8, 444546, 4681, 2637, 121950, 1958],
            [68655, 112.6, 482704, 3813, 2552, 123366, 1959],
            [69564, 114.2, 502601, 3931, 2514, 125368, 1960],
            [69331, 115.7, 518173, 4806, 2572, 127852, 1961],
            [70551, 116.9, 554894, 4007, 2827, 130081, 1962],
        ]
    )
    X = np.column_stack([np.ones(16), data[:, 1:]])
    fit = ml.ols_inference(X, data[:, 0])
    coef = [-3482258.63459582, 15.0618722713733, -0.358191792925910e-01, -2.02022980381683,
            -1.03322686717359, -0.511041056535807e-01, 1829.15146461355]
    se = [890420.383607373, 84.9149257747669, 0.334910077722432e-01, 0.488399681651699,
          0.214274163161675, 0.226073200069370, 455.478499142212]
    close(fit.coef, coef, 1e-13)
    close(fit.std_err, se, 1e-11)
    close(fit.resid_std, 304.854073561965, 1e-13)
    close(fit.r2, 0.995479004577296, 1e-13)
    assert fit.dof == 9


def test_ols_inference_errors():
    with pytest.raises(ValueError, match=r"more samples than features .* shape \(2, 2\)"):
        ml.ols_inference([[1.0, 0.0], [1.0, 1.0]], [1.0, 2.0])
    with pytest.raises(np.linalg.LinAlgError, match=r"ols_inference needs X of full column"):
        ml.ols_inference([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"R\^2 is undefined: y is constant"):
        ml.ols_inference([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match=r"R\^2 is undefined: y is zero"):
        ml.ols_inference([[1.0], [2.0], [3.0]], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"y must be 1-D with shape \(3,\) .* ravel y"):
        ml.ols_inference([[1.0], [2.0], [3.0]], [[1.0], [2.0], [3.0]])


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 25))
def test_ols_inference_std_err_matches_pinv(seed, n):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y = rng.normal(size=n)
    fit = ml.ols_inference(X, y)
    w = np.linalg.lstsq(X, y)[0]
    s2 = np.sum((y - X @ w) ** 2) / (n - 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.sqrt(s2 * np.diag(np.linalg.pinv(X.T @ X)))
    close(fit.std_err, ref, 1e-8)


# ---------------------------------------------------------------- james_stein
@given(
    x=st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=12),
    sigma2=st.floats(1e-3, 1e3),
)
def test_james_stein_formula_and_shrinkage(x, sigma2):
    x_arr = np.array(x)
    r2 = math.fsum(v * v for v in x)
    assume(r2 > 1e-6)
    p = len(x)
    factor = 1 - (p - 2) * sigma2 / r2
    close(ml.james_stein(x, sigma2=sigma2), factor * x_arr, 1e-12)
    plus = ml.james_stein(x, sigma2=sigma2, positive_part=True)
    close(plus, max(factor, 0.0) * x_arr, 1e-12)
    assert np.linalg.norm(plus) <= np.linalg.norm(x_arr) * (1 + 1e-15)
    assert np.all(plus * x_arr >= 0)  # never flips a sign


def test_james_stein_small_p():
    close(ml.james_stein([3.0, -4.0], sigma2=7.0), [3.0, -4.0], 0)  # p = 2: x itself
    close(ml.james_stein([2.0], sigma2=4.0), [2.0 + 4.0 / 2.0], 1e-15)  # p = 1: x + s2/x
    close(ml.james_stein([0.0, 0.0], sigma2=1.0), [0.0, 0.0], 0)


def test_james_stein_zero_vector():
    assert np.all(ml.james_stein(np.zeros(4), sigma2=1.0, positive_part=True) == 0)
    with pytest.raises(ValueError, match=r"x is the zero vector \(p = 4\); the plain estimate"):
        ml.james_stein(np.zeros(4), sigma2=1.0)
    with pytest.raises(ValueError, match=r"x is the zero vector \(p = 1\); for p = 1"):
        ml.james_stein([0.0], sigma2=1.0, positive_part=True)


def test_james_stein_extreme_scales_do_not_overflow():
    # |x|^2 overflows (2.5e309) or underflows (2.5e-319) float64; the factor is exact.
    for x, sigma2 in (([3e154, 4e154, 0.0], 1.25e308), ([3e-160, 4e-160, 0.0], 5e-320)):
        norm2 = sum(Fraction(v) ** 2 for v in x)
        factor = 1 - Fraction(sigma2) / norm2
        assert 0.5 < factor < 1
        close(ml.james_stein(x, sigma2=sigma2), [float(factor * Fraction(v)) for v in x], 1e-13)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sigma2": 0.0}, ValueError, r"sigma2 must be a finite number > 0; got 0\.0\."),
        ({"sigma2": -1.0}, ValueError, r"sigma2 must be a finite number > 0; got -1\.0\."),
        ({"sigma2": None}, TypeError, r"sigma2 must be a real number > 0; got NoneType None\."),
        ({"sigma2": 1.0, "positive_part": "yes"}, TypeError,
         r"positive_part must be True or False; got str 'yes'\."),
    ],
)
def test_james_stein_rejects_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        ml.james_stein([1.0, 2.0, 3.0], **kwargs)


def test_james_stein_rejects_bad_x():
    with pytest.raises(ValueError, match=r"x must be 1-D"):
        ml.james_stein([[1.0, 2.0, 3.0]], sigma2=1.0)
    with pytest.raises(ValueError, match=r"x is empty"):
        ml.james_stein([], sigma2=1.0)
    with pytest.raises(ValueError, match=r"x contains \+inf at index 1"):
        ml.james_stein([1.0, np.inf, 2.0], sigma2=1.0)


# ---------------------------------------------------------------- extreme scales
# Each problem below is the power-of-two scaling of a moderate one; the oracle solves
# the moderate problem by numpy (lstsq, pinv), scikit-learn or Fraction, and scales
# the answer back exactly.
def moderate_leverage(X) -> np.ndarray:
    """diag of X X^+ for X with columns scaled to [1, 2): H is invariant to that."""
    top = np.max(np.abs(X), axis=0)
    Xm = np.ldexp(X, -(np.frexp(top)[1] - 1))
    return np.diag(Xm @ np.linalg.pinv(Xm))


@pytest.mark.parametrize(
    "X",
    [
        np.c_[np.ones(6), np.arange(6.0) * 2.0**520],
        np.c_[np.ones(4), np.arange(4.0)] * 1e160,
        np.c_[np.ones(5), np.arange(5.0)] * 2.0**-540,
        np.c_[np.ones(5) * 1e-300, np.arange(5.0) * 1e300],
        np.c_[np.ones(7) * 5e-324, np.arange(7.0) ** 2 * (1.7e308 / 36)],
    ],
    ids=["2**520", "1e160", "2**-540", "1e-300 and 1e300", "subnormal and huge"],
)
def test_leverage_at_extreme_scales(X):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = ml.leverage(X)
    close(h, [float(v) for v in brute_force_hat(X)], 1e-14)
    close(h, moderate_leverage(X), 1e-13)


def test_leverage_bounds_hold_exactly():
    assert ml.leverage(np.random.default_rng(1).standard_normal((4, 4))).max() <= 1.0
    assert np.all(ml.leverage(np.ones((5, 1))) >= 1 / 5)
    rng = np.random.default_rng(2026)
    for _ in range(400):
        n = int(rng.integers(1, 12))
        p = int(rng.integers(1, n + 1))
        X = rng.standard_normal((n, p)) * 10.0 ** rng.integers(-3, 4)
        intercept = bool(rng.integers(2))
        if intercept:
            X[:, 0] = rng.choice([1.0, 0.1, -3.0])
        try:
            h = ml.leverage(X)
        except np.linalg.LinAlgError:
            continue
        assert np.all(h >= (1 / n if intercept else 0.0)) and np.all(h <= 1.0), (n, p, h)
        assert math.isclose(h.sum(), p, rel_tol=1e-12)


def oracle_inference(X, y, x_exp, y_exp):
    """coef, std_err, s, r2 of the moderate problem X 2**-x_exp, y 2**-y_exp, scaled back."""
    Xm, ym = np.ldexp(X, -np.asarray(x_exp)), np.ldexp(y, -y_exp)
    n, p = Xm.shape
    w = np.linalg.lstsq(Xm, ym, rcond=None)[0]
    resid = ym - Xm @ w
    s = math.sqrt(resid @ resid / (n - p))
    pinv = np.linalg.pinv(Xm)
    se = s * np.sqrt(np.sum(pinv * pinv, axis=1))
    centred = bool(np.any(np.all(Xm == Xm[0], axis=0) & (Xm[0] != 0)))
    dev = ym - ym.mean() if centred else ym
    r2 = 1 - (resid @ resid) / (dev @ dev)
    return (np.ldexp(w, y_exp - np.asarray(x_exp)), np.ldexp(se, y_exp - np.asarray(x_exp)),
            math.ldexp(s, y_exp), r2)


@pytest.mark.parametrize(
    ("x_exp", "y_exp"),
    [([0, 520], 0), ([0, -540], 0), ([-520, -520], 0), ([532, 532], 0), ([0, 0], -565),
     ([0, 0], 996), ([0, 0], -520), ([-500, 500], 400), ([1000, -1000], 0)],
)
def test_ols_inference_at_extreme_scales(x_exp, y_exp):
    rng = np.random.default_rng(0)
    Xm = np.c_[np.ones(6), rng.standard_normal(6)]
    ym = rng.standard_normal(6) + Xm @ [0.5, 2.0]
    X, y = np.ldexp(Xm, x_exp), np.ldexp(ym, y_exp)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ml.ols_inference(X, y)
    coef, se, s, r2 = oracle_inference(X, y, x_exp, y_exp)
    close(fit.coef, coef, 1e-13)
    close(fit.std_err, se, 1e-12)
    close(fit.resid_std, s, 1e-13)
    assert math.isclose(fit.r2, r2, rel_tol=1e-14)
    assert np.all(np.isfinite(fit.std_err))


def test_ols_inference_reported_examples():
    X = np.c_[np.ones(5), np.arange(5.0)] * 2.0**-520
    y = np.array([0.0, 1, 1, 3, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ml.ols_inference(X, y)
        assert np.all(np.isfinite(fit.std_err)) and 1e155 < fit.std_err[0] < 1e157
        X0 = np.c_[np.ones(5), np.arange(5.0)]
        base = ml.ols_inference(X0, y)
        for c in (1e-170, 1e300, 2.0**-520):
            scaled = ml.ols_inference(X0, y * c)
            assert math.isclose(scaled.r2, base.r2, rel_tol=1e-14)
            close(scaled.std_err, base.std_err * c, 1e-14)
        X = np.c_[np.ones(6), np.random.default_rng(0).standard_normal(6) * 2.0**-540]
        fit = ml.ols_inference(X, np.arange(6.0))
    coef, se, s, r2 = oracle_inference(X, np.arange(6.0), [0, -540], 0)
    close(fit.coef, coef, 1e-13)
    close(fit.std_err, se, 1e-12)
    close(fit.resid_std, s, 1e-13)
    assert math.isclose(fit.r2, r2, rel_tol=1e-13)


def test_ols_inference_unrepresentable_std_err_is_an_error():
    # y is orthogonal to X: coef = 0, but s = 2**31 / sqrt(3) and the standard error
    # s / |x| = 2**1031 / sqrt(6) is not a float64.
    X = np.array([[1.0], [1.0], [0.0], [0.0]]) * 2.0**-1000
    with pytest.raises(ValueError, match=r"standard errors overflow float64"):
        ml.ols_inference(X, np.array([1.0, -1.0, 1.0, -1.0]) * 2.0**30)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 1e-3, 1.0, 50.0])
@pytest.mark.parametrize(
    ("x_exp", "y_exp"),
    [(300, 0), (-300, 0), (500, -500), (-500, 500), (0, 1000), (532, 0), (-520, 0),
     (1000, -1000)],
)
def test_ridge_at_extreme_scales_matches_sklearn(fit_intercept, alpha, x_exp, y_exp):
    # ridge(X 2**e, y 2**f, alpha 4**e) = (coef 2**(f - e), intercept 2**f).
    Xm = np.c_[np.arange(5.0), np.arange(5.0) ** 2]
    ym = np.array([0.0, 1, 1, 3, 2])
    X, y = np.ldexp(Xm, x_exp), np.ldexp(ym, y_exp)
    with np.errstate(all="ignore"):
        scaled_alpha = float(np.ldexp(alpha, 2 * x_exp))
    if alpha and float(np.ldexp(scaled_alpha, -2 * x_exp)) != alpha:
        pytest.skip("alpha * 4**e is not a float64 (or is subnormal, hence rounded)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ml.ridge(X, y, alpha=scaled_alpha, fit_intercept=fit_intercept)
    if alpha == 0:
        ref = np.linalg.lstsq(Xm - Xm.mean(0) if fit_intercept else Xm,
                              ym - ym.mean() if fit_intercept else ym, rcond=None)[0]
        b = ym.mean() - Xm.mean(0) @ ref if fit_intercept else 0.0
    else:
        model = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="svd").fit(Xm, ym)
        ref, b = model.coef_, float(model.intercept_)
    close(fit.coef, np.ldexp(ref, y_exp - x_exp), 1e-10)
    assert math.isclose(fit.intercept, math.ldexp(b, y_exp), rel_tol=1e-10, abs_tol=0)


def test_ridge_reported_examples():
    X = np.c_[np.arange(5.0), np.arange(5.0) ** 2]
    y = np.array([0.0, 1, 1, 3, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ml.ridge(X * 1e160, y, alpha=1.0)
    # X' = X 1e160, alpha' = 1 <=> X, alpha = 1e-320 (no longer a normal float): exact.
    w, b = exact_ridge(X * 1e160, y, 1.0, True)
    close(fit.coef, [float(v) for v in w], 1e-12)
    close(fit.coef, [1.17142857e-160, -1.42857143e-161], 1e-8)
    assert math.isclose(fit.intercept, float(b), rel_tol=1e-12)
    # The means no longer overflow: representable solutions are returned.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ml.ridge([[1e308], [1e308], [-1e308], [0.0]], [1.0, 2, 3, 4], alpha=1.0)
        w, b = exact_ridge([[1e308], [1e308], [-1e308], [0.0]], [1.0, 2, 3, 4], 1.0, True)
        close(fit.coef, [float(v) for v in w], 1e-13)
        assert math.isclose(fit.intercept, float(b), rel_tol=1e-13)
        fit = ml.ridge([[1.0], [2.0], [3.0]], [1.5e307, 1.5e307, -1e307], alpha=0.0)
        close(fit.coef, [-1.25e307], 1e-14)
        assert math.isclose(fit.intercept, 9.5e307 / 3, rel_tol=1e-14)
        # ... while this intercept, 3.17e308, truly is not a float64.
        with pytest.raises(ValueError, match=r"ridge solution overflows float64"):
            ml.ridge([[1.0], [2.0], [3.0]], [1.5e308, 1.5e308, -1e308], alpha=0.0)


def test_james_stein_factor_beyond_float64_range():
    # The factor 1 - 998e306 / 4000 = -2.495e305 and the estimate -4.99e305 are finite.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ml.james_stein(2.0 * np.ones(1000), sigma2=1e306)
        exact = (1 - 998 * Fraction(1e306) / 4000) * 2
        close(out, np.full(1000, float(exact)), 1e-15)
        # The ratio (p - 2) sigma2 / |x|^2 = 9.2e499 is not a float64, the estimate is.
        x = [1e-300, 0.0, 3e-301]
        ratio = Fraction(1e-100) / sum(Fraction(v) ** 2 for v in x)
        close(ml.james_stein(x, sigma2=1e-100), [float((1 - ratio) * Fraction(v)) for v in x],
              1e-15)
        assert np.all(ml.james_stein(x, sigma2=1e-100, positive_part=True) == 0)
        close(ml.james_stein([1e-300], sigma2=1e-100), [1e200], 1e-15)  # p = 1: x + s2/x
    with pytest.raises(ValueError, match=r"James-Stein estimate .* overflows float64"):
        ml.james_stein([1e-10, 0.0, 0.0], sigma2=1e300)
