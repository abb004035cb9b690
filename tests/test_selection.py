"""Tests for loo_mse, kfold_mse, gcv and effective_dof (mselib.selection).

Every expected value comes from outside mselib: n brute-force refits with
``numpy.linalg.solve`` / ``numpy.linalg.lstsq``, exact rational arithmetic
(``fractions.Fraction``), the smoother matrix formed explicitly, and scikit-learn
(``cross_val_score`` / ``cross_val_predict`` with ``LeaveOneOut`` and ``KFold``, and
``RidgeCV``, whose ``cv=None`` mode is an exact leave-one-out error).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression, Ridge, RidgeCV
from sklearn.model_selection import KFold, LeaveOneOut, cross_val_predict, cross_val_score

import mselib as ml


# ---------------------------------------------------------------- independent oracles
def refit_coef(X: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge by its normal equations, or minimum-norm least squares by lstsq."""
    if alpha > 0:
        return np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ y)
    return np.linalg.lstsq(X, y, rcond=None)[0]


def brute_loo(X: np.ndarray, y: np.ndarray, alpha: float) -> float:
    """n refits, each without one observation."""
    errors = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        errors.append(y[i] - X[i] @ refit_coef(X[keep], y[keep], alpha))
    return float(np.mean(np.square(errors)))


def brute_kfold(X: np.ndarray, y: np.ndarray, k: int, alpha: float, seed: int) -> float:
    """K-fold by the documented assignment, with numpy.array_split for the folds."""
    order = np.random.default_rng(seed).permutation(len(y))
    errors = np.empty(len(y))
    for held in np.array_split(order, k):
        keep = np.setdiff1d(order, held)
        errors[held] = y[held] - X[held] @ refit_coef(X[keep], y[keep], alpha)
    return float(np.mean(errors**2))


def smoother(X: np.ndarray, alpha: float) -> np.ndarray:
    """S = X (X^T X + alpha I)^{-1} X^T formed explicitly (S = X X^+ for alpha = 0)."""
    if alpha > 0:
        return X @ np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T)
    return X @ np.linalg.pinv(X)


def problem(seed: int, n: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.2, 5.0, size=p)
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    return X, y


ALPHAS = (0.0, 1e-3, 0.5, 3.0, 1e3)
SHAPES = ((5, 1), (8, 3), (20, 5), (31, 12))


# ---------------------------------------------------------------- leave-one-out
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize(("n", "p"), SHAPES)
def test_loo_matches_n_refits(n, p, alpha):
    X, y = problem(n * 100 + p, n, p)
    assert ml.loo_mse(X, y, alpha=alpha) == pytest.approx(brute_loo(X, y, alpha), rel=1e-10)


def test_loo_exact_rational():
    # A line through 4 points: LOO residuals (1/3, 2/7, -1, 4/3), so LOO = 1310/1764.
    X = np.array([[1.0, 0], [1, 1], [1, 2], [1, 3]])
    expected = (Fraction(1, 3) ** 2 + Fraction(2, 7) ** 2 + 1 + Fraction(4, 3) ** 2) / 4
    assert ml.loo_mse(X, [0.0, 1, 1, 3]) == pytest.approx(float(expected), rel=1e-14)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 7.0])
def test_loo_matches_sklearn_leave_one_out(alpha):
    X, y = problem(7, 15, 4)
    model = (
        Ridge(alpha=alpha, fit_intercept=False)
        if alpha > 0
        else LinearRegression(fit_intercept=False)
    )
    scores = cross_val_score(model, X, y, cv=LeaveOneOut(), scoring="neg_mean_squared_error")
    assert ml.loo_mse(X, y, alpha=alpha) == pytest.approx(-scores.mean(), rel=1e-10)


@pytest.mark.parametrize("alpha", [1e-4, 0.3, 7.0, 500.0])
def test_loo_matches_ridgecv_exact_leave_one_out(alpha):
    # RidgeCV with cv=None computes leave-one-out errors in closed form (its gcv_mode
    # chooses how, not whether it is GCV): cv_results_ holds the n squared LOO errors
    # and best_score_ is minus their mean.
    X, y = problem(8, 25, 6)
    fit = RidgeCV(
        alphas=[alpha], fit_intercept=False, gcv_mode="svd", store_cv_results=True
    ).fit(X, y)
    assert fit.cv_results_.shape == (25, 1)
    ours = ml.loo_mse(X, y, alpha=alpha)
    assert ours == pytest.approx(-fit.best_score_, rel=1e-9)
    assert ours == pytest.approx(fit.cv_results_[:, 0].mean(), rel=1e-9)


def test_loo_with_intercept_column_differs_from_sklearn_fit_intercept():
    # The column of ones is penalised by loo_mse, not by Ridge(fit_intercept=True).
    X, y = problem(9, 20, 2)
    y = y + 50.0
    ones = np.column_stack([np.ones(20), X])
    free = -cross_val_score(
        Ridge(alpha=5.0), X, y, cv=LeaveOneOut(), scoring="neg_mean_squared_error"
    ).mean()
    penalised = -cross_val_score(
        Ridge(alpha=5.0, fit_intercept=False), ones, y, cv=LeaveOneOut(),
        scoring="neg_mean_squared_error",
    ).mean()
    ours = ml.loo_mse(ones, y, alpha=5.0)
    assert ours == pytest.approx(penalised, rel=1e-10)
    assert abs(ours - free) > 0.01 * free
    # alpha = 0: nothing is penalised and the two conventions agree
    ols_free = -cross_val_score(
        LinearRegression(), X, y, cv=LeaveOneOut(), scoring="neg_mean_squared_error"
    ).mean()
    assert ml.loo_mse(ones, y) == pytest.approx(ols_free, rel=1e-10)


def test_loo_rank_deficient_least_squares():
    # A repeated column: the fits are not unique, their predictions at x_i are.
    X, y = problem(10, 12, 3)
    X = np.column_stack([X, 2 * X[:, 1]])
    assert ml.loo_mse(X, y) == pytest.approx(brute_loo(X, y, 0.0), rel=1e-9)


def test_loo_refuses_leverage_one():
    X, y = problem(11, 10, 2)
    dummy = np.zeros(10)
    dummy[3] = 1.0  # a column only observation 3 has: h_33 = 1
    X = np.column_stack([X, dummy])
    assert np.linalg.matrix_rank(np.delete(X, 3, axis=0)) == 2  # the refit cannot see it
    with pytest.raises(ValueError, match=r"observation 3 has leverage h_ii = 1"):
        ml.loo_mse(X, y)
    # ridge keeps h_33 < 1: the LOO fit then predicts 0 from the dummy column
    assert ml.loo_mse(X, y, alpha=0.1) == pytest.approx(brute_loo(X, y, 0.1), rel=1e-10)


def test_loo_refuses_interpolation():
    X, y = problem(12, 6, 6)
    with pytest.raises(ValueError, match=r"leverage h_ii = 1 .*shape \(6, 6\)"):
        ml.loo_mse(X, y)
    with pytest.raises(ValueError, match="leverage h_ii = 1"):
        ml.loo_mse(np.random.default_rng(0).normal(size=(5, 9)), np.ones(5))  # p > n
    assert ml.loo_mse(X, y, alpha=1.0) == pytest.approx(brute_loo(X, y, 1.0), rel=1e-10)


def test_loo_high_leverage_keeps_accuracy():
    # One point far out: h close to 1, LOO residual large but exact.
    x = np.concatenate([np.linspace(0, 1, 9), [1e4]])
    X = np.column_stack([np.ones(10), x])
    y = np.sin(np.arange(10.0))
    h = ml.leverage(X)
    assert 1 - h.max() < 1e-6
    assert ml.loo_mse(X, y) == pytest.approx(brute_loo(X, y, 0.0), rel=1e-7)


def test_loo_zero_design():
    # S = 0: every fit predicts 0, the LOO MSE is the mean of y^2.
    assert ml.loo_mse(np.zeros((4, 2)), [1.0, 2, 3, 4]) == pytest.approx(7.5)
    assert ml.loo_mse(np.zeros((4, 2)), [1.0, 2, 3, 4], alpha=2.0) == pytest.approx(7.5)


# ---------------------------------------------------------------- K-fold
@pytest.mark.parametrize("alpha", [0.0, 0.7])
@pytest.mark.parametrize(("n", "k"), [(10, 2), (11, 3), (20, 5), (23, 10), (9, 9)])
def test_kfold_matches_brute_force(n, k, alpha):
    X, y = problem(n + k, n, 3)
    for seed in (0, 1, 12345):
        assert ml.kfold_mse(X, y, k=k, alpha=alpha, seed=seed) == pytest.approx(
            brute_kfold(X, y, k, alpha, seed), rel=1e-10
        )


@pytest.mark.parametrize(("n", "k"), [(20, 5), (23, 5), (17, 4)])
def test_kfold_matches_sklearn_on_the_permuted_rows(n, k):
    X, y = problem(3 * n, n, 4)
    seed, alpha = 42, 0.9
    order = np.random.default_rng(seed).permutation(n)
    Xp, yp = X[order], y[order]
    model = Ridge(alpha=alpha, fit_intercept=False)
    pred = cross_val_predict(model, Xp, yp, cv=KFold(k))
    ours = ml.kfold_mse(X, y, k=k, alpha=alpha, seed=seed)
    assert ours == pytest.approx(np.mean((yp - pred) ** 2), rel=1e-10)
    # cross_val_score averages the k fold MSEs: the same after weighting by fold size
    scores = -cross_val_score(model, Xp, yp, cv=KFold(k), scoring="neg_mean_squared_error")
    sizes = [len(test) for _, test in KFold(k).split(Xp)]
    assert ours == pytest.approx(np.average(scores, weights=sizes), rel=1e-10)
    if n % k == 0:
        assert ours == pytest.approx(scores.mean(), rel=1e-10)
    else:
        assert abs(ours - scores.mean()) > 1e-12


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_kfold_with_k_equal_n_is_leave_one_out(alpha):
    X, y = problem(13, 14, 3)
    for seed in (0, 7):
        assert ml.kfold_mse(X, y, k=14, alpha=alpha, seed=seed) == pytest.approx(
            ml.loo_mse(X, y, alpha=alpha), rel=1e-10
        )


def test_kfold_is_deterministic_and_depends_on_the_seed():
    X, y = problem(14, 30, 3)
    a = ml.kfold_mse(X, y, k=5, seed=3)
    assert ml.kfold_mse(X, y, k=5, seed=3) == a
    assert ml.kfold_mse(X, y, k=5, seed=4) != a
    assert ml.kfold_mse(X, y, k=5, seed=np.int64(3)) == a


def test_kfold_rank_deficient_training_folds_use_minimum_norm():
    X, y = problem(15, 8, 5)  # 2 folds: 4 training points for 5 features
    assert ml.kfold_mse(X, y, k=2, seed=0) == pytest.approx(
        brute_kfold(X, y, 2, 0.0, 0), rel=1e-9
    )


# ---------------------------------------------------------------- GCV and dof
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize(("n", "p"), SHAPES)
def test_gcv_and_dof_match_the_explicit_smoother(n, p, alpha):
    X, y = problem(n * 7 + p, n, p)
    S = smoother(X, alpha)
    trace = np.trace(S)
    assert ml.effective_dof(X, alpha=alpha) == pytest.approx(trace, rel=1e-10, abs=1e-12)
    expected = np.mean((y - S @ y) ** 2) / (1 - trace / n) ** 2
    assert ml.gcv(X, y, alpha=alpha) == pytest.approx(expected, rel=1e-9)


def test_dof_at_zero_is_the_rank():
    X, _ = problem(16, 10, 4)
    X = np.column_stack([X, X[:, 0] + X[:, 1]])
    assert ml.effective_dof(X, alpha=0.0) == np.linalg.matrix_rank(X) == 4
    assert ml.effective_dof(np.zeros((3, 2)), alpha=0.0) == 0.0
    assert ml.effective_dof(np.zeros((3, 2)), alpha=1.0) == 0.0


def test_dof_exact_small_case():
    # singular values 3 and 1: 9/(9 + a) + 1/(1 + a)
    X = np.diag([3.0, 1.0])
    for a in (0.5, 1.0, 4.0):
        exact = Fraction(9) / (9 + Fraction(a)) + 1 / (1 + Fraction(a))
        assert ml.effective_dof(X, alpha=a) == pytest.approx(float(exact), rel=1e-15)


def test_gcv_equals_loo_when_leverages_are_equal():
    # Cosines and sines at n equally spaced angles: orthogonal columns, h_ii = p / n.
    n = 12
    t = 2 * np.pi * np.arange(n) / n
    X = np.column_stack([np.ones(n), np.cos(t), np.sin(t), np.cos(2 * t), np.sin(2 * t)])
    y = np.random.default_rng(17).normal(size=n)
    assert np.allclose(np.diag(smoother(X, 0.0)), 5 / 12)
    for alpha in (0.0, 0.4, 6.0):
        assert ml.gcv(X, y, alpha=alpha) == pytest.approx(ml.loo_mse(X, y, alpha=alpha), rel=1e-10)


def test_gcv_refuses_interpolation():
    X, y = problem(18, 5, 7)
    with pytest.raises(ValueError, match=r"gcv is undefined: tr S = .* equals n_samples = 5"):
        ml.gcv(X, y, alpha=0.0)
    assert math.isfinite(ml.gcv(X, y, alpha=1e-3))


# ---------------------------------------------------------------- properties
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(3, 25),
    p=st.integers(1, 6),
    alpha=st.sampled_from([0.0, 1e-2, 1.0, 100.0]),
)
def test_property_loo_is_brute_force_and_order_free(seed, n, p, alpha):
    X, y = problem(seed, n, p)
    if alpha == 0 and (p >= n or np.max(np.diag(smoother(X, 0.0))) > 1 - 1e-6):
        with pytest.raises(ValueError, match="leverage"):
            ml.loo_mse(X, y)
        return
    value = ml.loo_mse(X, y, alpha=alpha)
    assert value == pytest.approx(brute_loo(X, y, alpha), rel=1e-7)
    perm = np.random.default_rng(seed).permutation(n)
    assert ml.loo_mse(X[perm], y[perm], alpha=alpha) == pytest.approx(value, rel=1e-10)


@given(
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-3, 0.5, 4.0, 1e3]),
    alpha=st.sampled_from([0.0, 0.1, 10.0]),
)
def test_property_scaling(seed, scale, alpha):
    # (cX, cy) with penalty c^2 alpha has the same fits times c: estimates times c^2.
    X, y = problem(seed, 15, 3)
    c2 = scale * scale
    for f in (ml.loo_mse, ml.gcv):
        assert f(scale * X, scale * y, alpha=c2 * alpha) == pytest.approx(
            c2 * f(X, y, alpha=alpha), rel=1e-9
        )
    assert ml.kfold_mse(scale * X, scale * y, k=3, alpha=c2 * alpha, seed=1) == pytest.approx(
        c2 * ml.kfold_mse(X, y, k=3, alpha=alpha, seed=1), rel=1e-9
    )


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 20), p=st.integers(1, 8))
def test_property_dof_decreases_from_rank_to_zero(seed, n, p):
    X, _ = problem(seed, n, p)
    values = [ml.effective_dof(X, alpha=a) for a in (0.0, 1e-3, 0.1, 1.0, 10.0, 1e3, 1e9)]
    assert values[0] == np.linalg.matrix_rank(X)
    assert all(a >= b for a, b in itertools.pairwise(values))
    assert 0 <= values[-1] < 1e-5 * max(1, n * p)


# ---------------------------------------------------------------- bad input
X_OK, Y_OK = problem(19, 6, 2)


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: ml.loo_mse(X_OK[:, 0], Y_OK), ValueError, r"X must be 2-D .*got 1-D"),
        (lambda: ml.loo_mse(X_OK, Y_OK[:5]), ValueError, r"y must have shape \(6,\)"),
        (lambda: ml.loo_mse(X_OK, Y_OK[:, None]), ValueError, r"y must be 1-D"),
        (lambda: ml.loo_mse(X_OK, Y_OK, alpha=-1.0), ValueError,
         r"alpha must be a finite number >= 0; got -1\.0\."),
        (lambda: ml.loo_mse(X_OK, Y_OK, alpha=np.nan), ValueError,
         r"alpha must be a finite number >= 0; got nan\."),
        (lambda: ml.loo_mse(X_OK, Y_OK, alpha=True), TypeError,
         r"alpha must be a real number >= 0; got bool True\."),
        (lambda: ml.loo_mse(X_OK, Y_OK, alpha="1"), TypeError,
         r"alpha must be a real number >= 0; got str '1'\."),
        (lambda: ml.loo_mse(X_OK + 1j, Y_OK), TypeError, r"X must hold real numbers"),
        (lambda: ml.loo_mse(np.where(X_OK > 0, np.nan, X_OK), Y_OK), ValueError, r"X contains NaN"),
        (lambda: ml.loo_mse(X_OK, np.full(6, np.inf)), ValueError, r"y contains \+inf"),
        (lambda: ml.loo_mse(X_OK, Y_OK, 0.5), TypeError, r"positional"),
        (lambda: ml.gcv(X_OK, Y_OK), TypeError, r"alpha"),
        (lambda: ml.gcv(np.empty((0, 2)), [], alpha=1.0), ValueError, r"X is empty"),
        (lambda: ml.effective_dof(X_OK, alpha=-2), ValueError,
         r"alpha must be a finite number >= 0; got -2\."),
        (lambda: ml.effective_dof([1.0, 2.0], alpha=1.0), ValueError, r"X must be 2-D"),
        (lambda: ml.kfold_mse(X_OK, Y_OK, k=1, seed=0), ValueError,
         r"k must be an integer >= 2; got 1\."),
        (lambda: ml.kfold_mse(X_OK, Y_OK, k=7, seed=0), ValueError, r"k must be at most .* = 6"),
        (lambda: ml.kfold_mse(X_OK, Y_OK, k=2.0, seed=0), TypeError,
         r"k must be an integer >= 2; got float 2\.0\."),
        (lambda: ml.kfold_mse(X_OK, Y_OK, k=2, seed=-1), ValueError,
         r"seed must be an integer >= 0; got -1\."),
        (lambda: ml.kfold_mse(X_OK, Y_OK, k=2, seed=1.5), TypeError,
         r"seed must be an integer >= 0; got float 1\.5\."),
        (lambda: ml.kfold_mse(X_OK, Y_OK, k=2, seed=None), TypeError,
         r"seed must be an integer >= 0; got NoneType None\."),
        (lambda: ml.kfold_mse(X_OK, Y_OK, k=2), TypeError, r"seed"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_overflow_is_reported():
    X, y = problem(20, 10, 2)
    with pytest.raises(ValueError, match="overflows float64"):
        ml.loo_mse(X, 1e200 * y)
    with pytest.raises(ValueError, match="overflows float64"):
        ml.gcv(X, 1e200 * y, alpha=1.0)
    with pytest.raises(ValueError, match="overflows float64"):
        ml.kfold_mse(X, 1e200 * y, k=2, seed=0)
    # huge X alone is fine: the estimates do not depend on its scale at alpha = 0
    assert ml.loo_mse(1e150 * X, y) == pytest.approx(ml.loo_mse(X, y), rel=1e-9)
    assert ml.effective_dof(1e200 * X, alpha=1.0) == pytest.approx(2.0)
