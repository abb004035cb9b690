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
import warnings
from fractions import Fraction

import exact_oracle
import numpy as np
import pytest
from hypothesis import assume, given
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
    if alpha == 0 and p >= n:  # interpolation: some h_ii = 1
        with pytest.raises(ValueError, match="leverage"):
            ml.loo_mse(X, y)
        return
    # near h_ii = 1 the refusal threshold (1 - h_ii <= 100 max(n, p) eps) and the
    # accuracy of the brute force are both in question (seed=5, n=5, p=4: 1 - h = 2e-7
    # is accepted, correctly): leave that region to the tests that target it
    assume(alpha > 0 or 1 - np.max(np.diag(smoother(X, 0.0))) > 1e-9)
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


# ---------------------------------------------------------------- the whole float64 range
# Oracles: exact rational refits (fractions.Fraction), and the same problem at a moderate
# scale: with X' = c X, alpha' = c^2 alpha (c a power of two) loo_mse, kfold_mse and gcv
# are unchanged and effective_dof too; y' = d y multiplies the three MSEs by d^2.
exact_solve = exact_oracle.solve


def exact_ridge_predict(X_train, y_train, X_test, alpha: Fraction) -> list[Fraction]:
    """Ridge refitted exactly, by the smaller of the primal and dual systems.

    With alpha = 0: least squares (minimum-norm when n <= p), for X_train of full rank.
    """
    n, p = len(X_train), len(X_train[0])
    if n <= p:  # w = X^T (X X^T + alpha I)^{-1} y
        gram = [[sum(a * b for a, b in zip(X_train[i], X_train[j], strict=True))
                 + (alpha if i == j else 0) for j in range(n)] for i in range(n)]
        z = exact_solve(gram, y_train)
        w = [sum(X_train[i][t] * z[i] for i in range(n)) for t in range(p)]
    else:  # (X^T X + alpha I) w = X^T y
        gram = [[sum(X_train[r][i] * X_train[r][j] for r in range(n))
                 + (alpha if i == j else 0) for j in range(p)] for i in range(p)]
        w = exact_solve(gram, [sum(X_train[r][i] * y_train[r] for r in range(n))
                               for i in range(p)])
    return [sum(a * b for a, b in zip(x, w, strict=True)) for x in X_test]


def exact_kfold(X: np.ndarray, y: np.ndarray, k: int, alpha: float, seed: int) -> float:
    """K-fold (k = n: leave-one-out) by exact refits on the documented folds."""
    Xf = [[Fraction(float(v)) for v in row] for row in X]
    yf = [Fraction(float(v)) for v in y]
    order = np.random.default_rng(seed).permutation(len(y))
    total = Fraction(0)
    for held in np.array_split(order, k):
        kept = [int(i) for i in order if i not in held]
        pred = exact_ridge_predict([Xf[i] for i in kept], [yf[i] for i in kept],
                                   [Xf[int(i)] for i in held], Fraction(alpha))
        total += sum((yf[int(i)] - q) ** 2 for i, q in zip(held, pred, strict=True))
    return float(total / len(y))


def exact_gcv(X: np.ndarray, y: np.ndarray, alpha: float) -> float:
    """GCV from I - S = alpha (X X^T + alpha I)^{-1}, exactly."""
    Xf = [[Fraction(float(v)) for v in row] for row in X]
    n, a = len(Xf), Fraction(alpha)
    gram = [[sum(u * v for u, v in zip(Xf[i], Xf[j], strict=True)) + (a if i == j else 0)
             for j in range(n)] for i in range(n)]
    residual = [a * v for v in exact_solve(gram, [Fraction(float(v)) for v in y])]
    trace_i_minus_s = sum(a * exact_solve(gram, [Fraction(int(i == j)) for j in range(n)])[i]
                          for i in range(n))
    return float(sum(r * r for r in residual) / n / (trace_i_minus_s / n) ** 2)


def short_problem(seed: int, n: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Entries with 20 significant bits: scaled by 2**-1050 they are still exact."""
    rng = np.random.default_rng(seed)
    return (np.round(rng.normal(size=(n, p)) * 2**20) / 2**20,
            np.round(rng.normal(size=n) * 2**20) / 2**20)


@pytest.mark.parametrize("alpha", [1e-14, 1e-12, 1e-10, 1e-8, 1e-6, 1e-3, 1.0, 1e4])
@pytest.mark.parametrize(("n", "p"), [(3, 5), (2, 6), (4, 4), (5, 3), (6, 2)])
def test_small_alpha_matches_exact_refits(n, p, alpha):
    # n <= p with a small alpha: 1 - h_ii and e_i are both of the order of alpha; they
    # used to be computed as 1 - f_j and y - U (f * U^T y), losing about eps / alpha
    # (wrong from the 7th digit at alpha = 1e-8, refused as h_ii = 1 at 1e-13).
    X, y = short_problem(n * 10 + p, n, p)
    exact = exact_kfold(X, y, n, alpha, 0)
    assert ml.loo_mse(X, y, alpha=alpha) == pytest.approx(exact, rel=1e-13)
    assert ml.kfold_mse(X, y, k=n, alpha=alpha, seed=0) == pytest.approx(exact, rel=1e-13)
    assert ml.gcv(X, y, alpha=alpha) == pytest.approx(exact_gcv(X, y, alpha), rel=1e-13)


def test_small_alpha_reproducers():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((4, 4)), rng.standard_normal(4)
    exact = exact_kfold(X, y, 4, 1e-13, 0)
    assert ml.loo_mse(X, y, alpha=1e-13) == pytest.approx(exact, rel=1e-13)
    assert ml.kfold_mse(X, y, alpha=1e-13, k=4, seed=0) == pytest.approx(exact, rel=1e-13)
    X, y = short_problem(1, 3, 5)
    for alpha in (1e-300, 5e-324):  # far below any rounding of s^2, yet alpha > 0
        limit = exact_kfold(X, y, 3, 1e-40, 0)
        assert ml.loo_mse(X, y, alpha=alpha) == pytest.approx(limit, rel=1e-13)
        assert ml.kfold_mse(X, y, k=3, alpha=alpha, seed=0) == pytest.approx(limit, rel=1e-13)
    with pytest.raises(ValueError, match="leverage h_ii = 1"):  # alpha = 0 interpolates
        ml.loo_mse(X, y)


@pytest.mark.parametrize("e", [511, 510, 300, -300, -520, -530, -536])
@pytest.mark.parametrize(("n", "p"), [(8, 3), (4, 4), (3, 5)])
def test_scaling_by_powers_of_two_changes_nothing(n, p, e):
    # s_j^2 used to overflow (e = 510: 9%, 0.9%, 0.9%, 1% off) or fall into subnormals.
    X, y = short_problem(e % 97, n, p)
    c, alpha = 2.0**e, 0.75  # c^2 alpha exact down to e = -536
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in (ml.loo_mse, ml.gcv):
            assert f(c * X, y, alpha=c * c * alpha) == pytest.approx(
                f(X, y, alpha=alpha), rel=1e-13
            )
        assert ml.kfold_mse(c * X, y, k=3, alpha=c * c * alpha, seed=2) == pytest.approx(
            ml.kfold_mse(X, y, k=3, alpha=alpha, seed=2), rel=1e-13
        )
        assert ml.effective_dof(c * X, alpha=c * c * alpha) == pytest.approx(
            ml.effective_dof(X, alpha=alpha), rel=1e-13
        )
        d = 2.0 ** (500 if e < 0 else -500)  # and y far from 1: the MSEs times d^2
        assert ml.loo_mse(c * X, d * y, alpha=c * c * alpha) == pytest.approx(
            d * d * ml.loo_mse(X, y, alpha=alpha), rel=1e-13
        )
        assert ml.kfold_mse(c * X, d * y, k=3, alpha=c * c * alpha, seed=2) == pytest.approx(
            d * d * ml.kfold_mse(X, y, k=3, alpha=alpha, seed=2), rel=1e-13
        )


def test_dof_when_s_squared_or_alpha_leaves_the_range():
    # 3 * 2^1024 / (2^1024 + 2^1023) = 2: s^2 overflowed, alpha / s^2 became 0
    assert ml.effective_dof(np.eye(3) * 2.0**512, alpha=2.0**1023) == 2.0
    assert ml.effective_dof(np.eye(3) * 2.0**-530, alpha=2.0**-1060) == 1.5
    # 2^1200 / (2^1200 + 1) rounds to 1, and 1 / (1 + 1) = 1/2
    assert ml.effective_dof(np.diag([2.0**600, 1.0]), alpha=1.0) == 1.5
    # alpha / s^2 = 2^1100 and 2^-1100: the factors are 2^-1100 (0 in float64) and 1
    assert ml.effective_dof(np.diag([2.0**-550, 1.0]), alpha=1.0) == 0.5
    assert ml.effective_dof(np.eye(2) * 2.0**550, alpha=1.0) == 2.0
    tiny = ml.effective_dof(np.eye(2) * 2.0**-530, alpha=2.0**20)  # 2 * 2^-1080 / (1 + ...)
    assert tiny == 2 * 2.0**-1080


def test_kfold_on_subnormal_data():
    # f / s used to overflow: "MSE overflows (got nan)" and six RuntimeWarnings.
    X, y = short_problem(3, 9, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ml.kfold_mse(X * 2.0**-1040, y * 2.0**-480, k=3, seed=0) == pytest.approx(
            ml.kfold_mse(X, y, k=3, seed=0) * 2.0**-960, rel=1e-13
        )
        assert ml.loo_mse(X * 2.0**-1040, y * 2.0**-480) == pytest.approx(
            ml.loo_mse(X, y) * 2.0**-960, rel=1e-13
        )
        rng = np.random.default_rng(3)  # the reported case: X rounded to subnormals
        X, y = rng.standard_normal((9, 3)) * 2.0**-1040, rng.standard_normal(9) * 2.0**-480
        assert ml.kfold_mse(X, y, k=3, seed=0) == pytest.approx(
            exact_kfold(X, y, 3, 0.0, 0), rel=1e-12
        )
        assert ml.loo_mse(X, y) == pytest.approx(exact_kfold(X, y, 9, 0.0, 0), rel=1e-12)


def test_kfold_with_training_rows_far_smaller_than_a_held_out_row():
    # One row 2^1030 times the others: each training fold is scaled on its own.
    X0, y0 = short_problem(21, 9, 2)
    X, y = X0 * 2.0**-1040, y0 * 2.0**-700
    X[4], y[4] = X0[4] * 2.0**-10, y0[4] * 2.0**-200
    for alpha in (2.0**-2090, 0.75):
        assert ml.kfold_mse(X, y, k=3, alpha=alpha, seed=1) == pytest.approx(
            exact_kfold(X, y, 3, alpha, 1), rel=1e-12
        )


def test_zero_singular_values_with_a_wide_scale():
    # s_j = 0 beside s_1 = 2^600: alpha / s_j^2 is infinite, and must not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ml.effective_dof(np.diag([2.0**600, 0.0]), alpha=1.0) == 1.0
        X = np.array([[2.0**600, 0.0], [0.0, 0.0], [2.0**599, 0.0], [0.0, 0.0]])
        y = np.array([1.0, 2.0, 3.0, 4.0])
        # alpha = 1 is nothing beside 2^1200: least squares on the first column
        assert ml.loo_mse(X, y, alpha=1.0) == pytest.approx(brute_loo(X, y, 0.0), rel=1e-14)
        assert ml.gcv(X, y, alpha=1.0) == pytest.approx(ml.gcv(X, y, alpha=0.0), rel=1e-14)
        assert ml.kfold_mse(X, y, k=2, alpha=1.0, seed=0) == pytest.approx(
            exact_kfold(X, y, 2, 1.0, 0), rel=1e-14
        )


def test_kfold_with_a_singular_value_far_below_the_largest():
    # s_2 / s_1 = 2^-950 and alpha tiny: g_2 = f_2 / s_2 is near 2^124 times the scale of
    # the training fold, the predictions are summed row by row on their own scale.
    X0, y = short_problem(4, 8, 2)
    X = X0 * [1.0, 2.0**-950]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for alpha in (5e-324, 1.0):
            assert ml.kfold_mse(X, y, k=2, alpha=alpha, seed=0) == pytest.approx(
                exact_kfold(X, y, 2, alpha, 0), rel=1e-13
            )
        # entries 2^-1060 times the largest are subnormal once X is scaled: finite,
        # no warning, but only normwise accurate (the second column is not resolved)
        X = X0 * [2.0**1000, 2.0**-60]
        assert math.isfinite(ml.kfold_mse(X, y, k=2, alpha=5e-324, seed=0))
