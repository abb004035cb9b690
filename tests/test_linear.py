"""Tests for mselib.linear: ols, ols_normal_equations, gradient_descent.

Expected values come from outside mselib: exact rational arithmetic
(``fractions.Fraction``), problems whose exact solution is known by construction,
``numpy.linalg.lstsq`` and ``numpy.linalg.pinv``.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import exact_oracle
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mselib as ml
import mselib._exact as exact_engine
import mselib._refine as refine_engine
import mselib._validation as _validation
import mselib.gradients as gradients
import mselib.linear as linear
import mselib.selection as selection

METHODS = ["exact", "qr"]


# ---------------------------------------------------------------- exact oracles
exact_lstsq = exact_oracle.lstsq


def ulps_off(w: np.ndarray, exact: list[Fraction]) -> float:
    """Largest error in units of the last place of the correctly rounded value."""
    return max(
        float(abs(Fraction(float(a)) - x) / Fraction(np.spacing(abs(float(x)))))
        for a, x in zip(w, exact, strict=True)
    )


def lre(w: np.ndarray, exact: list[Fraction]) -> float:
    """Correct significant digits, minimum over coefficients, capped at 17."""
    out = []
    for a, x in zip(w, exact, strict=True):
        err = abs(Fraction(float(a)) - x)
        out.append(17.0 if err == 0 else -math.log10(float(err / abs(x))))
    return min(17.0, min(out))


def powers(x: np.ndarray, degree: int) -> np.ndarray:
    X = np.ones((x.size, degree + 1))
    for k in range(1, degree + 1):
        X[:, k] = X[:, k - 1] * x
    return X


def integer_polynomial(n: int, degree: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """x = 0..n-1; y = sum_k x^k + scale * d with d orthogonal to the design, so w = 1."""
    X = powers(np.arange(float(n)), degree)
    D = np.zeros((n - degree - 1, n))
    stencil = [math.comb(degree + 1, k) * (-1) ** k for k in range(degree + 2)]
    for i in range(n - degree - 1):
        D[i, i : i + degree + 2] = stencil
    e = np.where(np.arange(n - degree - 1) % 2 == 0, 1.0, -1.0)
    d = D.T @ e  # D annihilates polynomials of degree <= `degree`: X^T d = 0 exactly
    assert not np.any(X.T @ d)
    return X, X.sum(axis=1) + scale * d


def decimal_polynomial(degree: int) -> tuple[np.ndarray, np.ndarray, list[Fraction]]:
    """Filip-like: 82 decimal x in [-8.8, -3.1], decimal y; exact solution of the decimals."""
    rng = np.random.default_rng(7)
    xs = [f"{v:.9f}" for v in np.sort(rng.uniform(-8.8, -3.1, 82))]
    xv = np.array([float(s) for s in xs])
    ys = [f"{v:.4f}" for v in 0.85 + 0.04 * np.sin(1.3 * xv) + 0.002 * rng.standard_normal(82)]
    xf, yf = [Fraction(s) for s in xs], [Fraction(s) for s in ys]
    Xf = [[xi**k for k in range(degree + 1)] for xi in xf]
    p = degree + 1
    M = [
        [sum(r[i] * r[j] for r in Xf) for j in range(p)]
        + [sum(r[i] * t for r, t in zip(Xf, yf, strict=True))]
        for i in range(p)
    ]
    for c in range(p):
        M[c] = [v / M[c][c] for v in M[c]]
        for r in range(p):
            if r != c:
                M[r] = [a - M[r][c] * b for a, b in zip(M[r], M[c], strict=True)]
    return powers(xv, degree), np.array([float(s) for s in ys]), [M[r][p] for r in range(p)]


# ---------------------------------------------------------------- exact solutions
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [0.0, 1.0, 1e2, 1e4, 1e6])
def test_integer_polynomial_with_orthogonal_residual_gives_all_ones(method, scale):
    X, y = integer_polynomial(21, 5, scale)  # like NIST Wampler 1, 3, 4, 5
    w = ml.ols(X, y, method=method)
    if method == "exact":
        np.testing.assert_array_equal(w, np.ones(6))
    else:
        assert np.max(np.abs(w - 1)) <= 2 * np.spacing(1.0)


def test_normal_equations_lose_digits_where_ols_does_not():
    X, y = integer_polynomial(21, 5, 1e4)
    assert lre(ml.ols(X, y), [Fraction(1)] * 6) == 17.0
    assert lre(ml.ols_normal_equations(X, y), [Fraction(1)] * 6) < 9  # measured: about 6
    assert lre(np.linalg.lstsq(X, y, rcond=None)[0], [Fraction(1)] * 6) < 10


@pytest.mark.parametrize("seed", range(6))
def test_exact_method_is_correctly_rounded(seed):
    rng = np.random.default_rng(seed)
    n, p = int(rng.integers(3, 40)), int(rng.integers(1, 6))
    p = min(p, n)
    X = rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-6, 6, p)
    y = rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3)
    exact = exact_lstsq(X, y)
    np.testing.assert_array_equal(ml.ols(X, y, method="exact"), [float(v) for v in exact])
    assert ulps_off(ml.ols(X, y, method="qr"), exact) <= 2


@given(
    st.lists(
        st.lists(st.integers(-50, 50), min_size=3, max_size=3), min_size=4, max_size=12
    ),
    st.lists(st.integers(-1000, 1000), min_size=12, max_size=12),
)
def test_exact_method_matches_rationals_on_integer_data(rows, targets):
    X = np.array(rows, dtype=float)
    y = np.array(targets[: len(rows)], dtype=float)
    if np.linalg.matrix_rank(X) < 3:
        with pytest.raises(np.linalg.LinAlgError, match="rank"):
            ml.ols(X, y, method="exact")
        return
    try:
        w = ml.ols(X, y, method="exact")
    except np.linalg.LinAlgError as err:  # full rank but numerically singular
        assert "numerically singular" in str(err)
        return
    np.testing.assert_array_equal(w, [float(v) for v in exact_lstsq(X, y)])


@pytest.mark.parametrize("degree", [3, 5, 8, 10])
@pytest.mark.parametrize("method", METHODS)
def test_decimal_polynomial_within_one_digit_of_the_limit(degree, method):
    X, y, exact = decimal_polynomial(degree)
    limit = lre(np.array([float(v) for v in exact_lstsq(X, y)]), exact)
    assert lre(ml.ols(X, y, method=method), exact) >= limit - 1.0


def test_auto_method_takes_exact_for_small_and_qr_for_large(monkeypatch):
    calls = []
    monkeypatch.setattr(linear, "_solve_exact", lambda *a: calls.append("exact") or np.zeros(2))
    monkeypatch.setattr(linear, "_solve_qr", lambda *a: calls.append("qr") or np.zeros(2))
    ml.ols(np.ones((10, 2)), np.ones(10))
    ml.ols(np.ones((200_000, 2)), np.ones(200_000))
    ml.ols(np.ones((100, 41)), np.ones(100))  # more than 40 features
    assert calls == ["exact", "qr", "qr"]


def test_auto_method_bounds_the_cost_of_the_exact_path(monkeypatch):
    # One row of 1e-300 among standard normal values makes the exact path's integers
    # about 1,000 bits wide: 23 s (measured) instead of 0.3 s. "auto" must see it coming.
    calls = []
    monkeypatch.setattr(linear, "_solve_exact", lambda *a: calls.append("exact") or np.zeros(40))
    monkeypatch.setattr(linear, "_solve_qr", lambda *a: calls.append("qr") or np.zeros(40))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((365, 40))
    ml.ols(X, rng.standard_normal(365))
    X[0] = 1e-300
    ml.ols(X, rng.standard_normal(365))
    small = rng.standard_normal((100, 10))
    small[0] = 1e-300  # a small problem may still take it: 10 features
    ml.ols(small, rng.standard_normal(100))
    assert calls == ["exact", "qr", "exact"]
    # ~35x: 23 s vs 0.3 s
    assert exact_engine._exact_cost(365, 40, 1053) > 30 * exact_engine._EXACT_BUDGET


@pytest.mark.parametrize("method", ["exact", "qr", "auto"])
@pytest.mark.parametrize("scale_exponent", [-1060, -1040, -600, 600, 1000])
def test_solution_is_invariant_under_scaling_by_powers_of_two(method, scale_exponent):
    # Subnormal or huge data: scaling X and y together leaves w unchanged, exactly when the
    # scaling is exact; no "singular" verdict and no overflow warning on the way.
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((50, 3)), rng.standard_normal(50)
    Xs, ys = np.ldexp(X, scale_exponent), np.ldexp(y, scale_exponent)
    exact = np.array_equal(np.ldexp(Xs, -scale_exponent), X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = ml.ols(Xs, ys, method=method)
    reference = np.linalg.lstsq(np.ldexp(Xs, -scale_exponent), np.ldexp(ys, -scale_exponent),
                                rcond=None)[0]
    np.testing.assert_allclose(w, reference, rtol=1e-12 if exact else 1e-6)


@pytest.mark.parametrize("long_double", [True, False])
def test_qr_large_residual_problem_with_and_without_extended_precision(monkeypatch, long_double):
    # 3000 x 4 polynomial with a residual 1e8 times larger than the fit: the
    # kappa^2 |r| term defeats plain QR; refinement recovers all ones.
    have = long_double and refine_engine._HAVE_LONGDOUBLE
    monkeypatch.setattr(refine_engine, "_HAVE_LONGDOUBLE", have)
    X, y = integer_polynomial(3000, 3, 1e6)
    X /= 2048.0 ** np.arange(4)  # exact: powers of two; the solution becomes 2048**k
    w = ml.ols(X, y, method="qr")
    assert ulps_off(w, [Fraction(2048**k) for k in range(4)]) <= 2


# ---------------------------------------------------------------- agreement with numpy
@pytest.mark.parametrize("shape", [(5, 1), (30, 4), (500, 12), (4000, 30)])
def test_agrees_with_lstsq_when_well_conditioned(shape):
    rng = np.random.default_rng(sum(shape))
    X = rng.standard_normal(shape)
    y = X @ rng.standard_normal(shape[1]) + 0.1 * rng.standard_normal(shape[0])
    reference = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(ml.ols(X, y), reference, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ml.ols_normal_equations(X, y), reference, rtol=1e-10)


def test_accepts_integer_and_float32_input_as_their_float64_values():
    X = np.array([[1, 0], [1, 1], [1, 2], [1, 3]])
    y32 = np.array([0.1, 1.2, 1.9, 3.2], dtype=np.float32)
    expected = ml.ols(X.astype(float), y32.astype(float))
    np.testing.assert_array_equal(ml.ols(X, y32), expected)
    np.testing.assert_array_equal(ml.ols(X.tolist(), y32.tolist()), expected)


def test_zero_target_gives_zero_coefficients():
    X = np.random.default_rng(0).standard_normal((20, 3))
    for method in METHODS:
        np.testing.assert_array_equal(ml.ols(X, np.zeros(20), method=method), np.zeros(3))


# ---------------------------------------------------------------- rank deficiency
def collinear_designs():
    x = np.linspace(0.0, 1.0, 12)
    one = np.ones(12)
    return {
        "repeated column": np.column_stack([one, x, x]),
        "exact multiple": np.column_stack([one, x, 2 * x]),
        "zero column": np.column_stack([one, x, np.zeros(12)]),
        "sum of columns": np.column_stack([one, x, one + x]),
        "more features than samples": np.random.default_rng(1).standard_normal((3, 5)),
    }


@pytest.mark.parametrize("name", list(collinear_designs()))
@pytest.mark.parametrize("method", METHODS)
def test_rank_deficiency_is_reported(name, method):
    X = collinear_designs()[name]
    y = np.random.default_rng(2).standard_normal(X.shape[0])
    with pytest.raises(np.linalg.LinAlgError, match=r"rank-deficient|numerically singular"):
        ml.ols(X, y, method=method)
    with pytest.warns(ml.SingularDesignWarning, match="minimum-norm"):
        w = ml.ols(X, y, method=method, on_singular="warn")
    np.testing.assert_allclose(w, np.linalg.pinv(X) @ y, rtol=1e-9, atol=1e-12)


def test_exact_rank_is_named_in_the_message():
    X = collinear_designs()["repeated column"]
    with pytest.raises(np.linalg.LinAlgError, match=r"exact rank 2 < n_features = 3"):
        ml.ols(X, np.arange(12.0), method="exact")


def test_minimum_norm_solution_is_exact_for_a_repeated_column():
    # y = 3 x: any w with w1 + w2 = 3 fits; the minimum-norm one splits it evenly.
    x = np.arange(1.0, 6.0)
    with pytest.warns(ml.SingularDesignWarning):
        w = ml.ols(np.column_stack([x, x]), 3 * x, method="exact", on_singular="warn")
    np.testing.assert_array_equal(w, [1.5, 1.5])
    # scaled copy x and 4x (exact): w1 + 4 w2 = 3 and w orthogonal to (4, -1)
    with pytest.warns(ml.SingularDesignWarning):
        w = ml.ols(np.column_stack([x, 4 * x]), 3 * x, method="exact", on_singular="warn")
    expected = [Fraction(3, 17), Fraction(12, 17)]
    np.testing.assert_array_equal(w, [float(v) for v in expected])


@pytest.mark.parametrize("method", METHODS)
def test_hopeless_conditioning_is_reported(method):
    x = np.linspace(-9.0, -3.0, 82)
    X = powers(x, 20)  # condition number of the scaled design ~1e17
    with pytest.raises(np.linalg.LinAlgError, match="numerically singular"):
        ml.ols(X, np.sin(x), method=method)


def test_cond_limit_option():
    X, y = integer_polynomial(21, 5, 0.0)  # scaled condition number about 2e3
    with pytest.raises(np.linalg.LinAlgError, match="cond_limit = 100"):
        ml.ols(X, y, cond_limit=100)
    np.testing.assert_array_equal(ml.ols(X, y, cond_limit=1e4), np.ones(6))


def test_refinement_failure_is_a_warning_not_silence(monkeypatch):
    monkeypatch.setattr(refine_engine, "_MAX_ITER", 1)
    X, y, _ = decimal_polynomial(10)
    with pytest.warns(ml.SingularDesignWarning, match="did not converge"):
        ml.ols(X, y, method="qr")


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("X", "y", "error", "message"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], ValueError, r"X must be 2-D.*reshape\(-1, 1\)"),
        ([[1.0], [2.0]], [[1.0], [2.0]], ValueError, r"y must be 1-D.*ravel y"),
        ([[1.0], [2.0]], [1.0, 2.0, 3.0], ValueError, r"y must have shape \(2,\)"),
        ([[1.0], [np.nan]], [1.0, 2.0], ValueError, r"X contains NaN at index \(1, 0\)"),
        ([[1.0], [2.0]], [1.0, np.inf], ValueError, r"y contains \+inf at index 1"),
        ([[1j], [2.0]], [1.0, 2.0], TypeError, r"X must hold real numbers.*complex"),
        ([["a"], ["b"]], [1.0, 2.0], TypeError, r"X must hold real numbers.*strings"),
        (np.empty((0, 2)), [], ValueError, r"X is empty"),
        ([[True], [False]], [1.0, 2.0], TypeError, r"X must hold real numbers.*booleans"),
    ],
)
@pytest.mark.parametrize("func", [ml.ols, ml.ols_normal_equations])
def test_bad_input_is_refused_with_a_clear_message(func, X, y, error, message):
    with pytest.raises(error, match=message):
        func(X, y)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "svd"}, ValueError, r"method must be one of 'auto', 'exact', 'qr'; got 'svd'"),
        ({"on_singular": "ignore"}, ValueError, r"on_singular must be one of 'raise', 'warn'"),
        ({"cond_limit": -1.0}, ValueError, r"cond_limit must be a finite number > 0; got -1\.0\."),
        ({"cond_limit": np.nan}, ValueError, r"cond_limit must be a finite number > 0; got nan\."),
        ({"cond_limit": "big"}, TypeError, r"cond_limit must be a real number > 0; got str 'big'"),
        ({"cond_limit": True}, TypeError, r"cond_limit must be a real number > 0; got bool True"),
    ],
)
def test_bad_options_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        ml.ols([[1.0], [2.0]], [1.0, 2.0], **kwargs)


def test_solution_overflow_is_an_error():
    X = np.array([[1e-300], [2e-300]])
    with pytest.raises(ValueError, match="overflows float64"):
        ml.ols(X, [1e300, 2e300], method="exact")


# ---------------------------------------------------------------- gradient descent
def test_gradient_descent_path_follows_the_update_rule():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    w0 = rng.standard_normal(3)
    path = ml.gradient_descent(X, y, step=0.1, n_steps=5, w0=w0)
    assert path.shape == (6, 3)
    np.testing.assert_array_equal(path[0], w0)
    w = w0.copy()
    for k in range(5):
        w = w - 0.1 * (2 / 20) * X.T @ (X @ w - y)  # written out, not via mselib
        np.testing.assert_allclose(path[k + 1], w, rtol=1e-13)


def test_gradient_descent_reaches_the_closed_form_below_two_over_L():
    rng = np.random.default_rng(4)
    X = np.column_stack([np.ones(50), rng.standard_normal((50, 2))])
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.standard_normal(50)
    L = 2 / 50 * np.linalg.norm(X, 2) ** 2
    path = ml.gradient_descent(X, y, step=1.9 / L, n_steps=3000)
    np.testing.assert_allclose(path[-1], ml.ols(X, y), rtol=1e-10)
    with pytest.raises(ValueError, match=r"diverged.*expected step < 2 / L"):
        ml.gradient_descent(X, y, step=3 / L, n_steps=5000)


def test_gradient_descent_from_zero_reaches_the_minimum_norm_solution():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(30)
    X = np.column_stack([np.ones(30), x, x])  # rank 2
    y = 1.0 + 2.0 * x + 0.1 * rng.standard_normal(30)
    L = 2 / 30 * np.linalg.norm(X, 2) ** 2
    path = ml.gradient_descent(X, y, step=1.0 / L, n_steps=4000)
    np.testing.assert_allclose(path[-1], np.linalg.pinv(X) @ y, rtol=1e-10)
    assert path[-1][1] == pytest.approx(path[-1][2], rel=1e-12)


def test_zero_steps_return_the_start():
    np.testing.assert_array_equal(
        ml.gradient_descent([[1.0], [2.0]], [1.0, 2.0], step=0.1, n_steps=0), [[0.0]]
    )


def test_gradient_descent_path_is_exactly_the_public_gradient_step():
    # Bit for bit: w_{k+1} = w_k - step * linear_mse_grad(X, y, w_k), as documented.
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((40, 4)), rng.standard_normal(40)
    path = ml.gradient_descent(X, y, step=0.05, n_steps=150, w0=np.ones(4))
    w = np.ones(4)
    for k in range(150):
        w = w - 0.05 * ml.linear_mse_grad(X, y, w=w)
        np.testing.assert_array_equal(path[k + 1], w)


def first_overflow(X, y, step, n_steps):
    """The step at which the gradient iteration from zero first leaves float64, or None."""
    w = np.zeros(X.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, n_steps + 1):
            residual = X @ w
            residual -= y
            grad = X.T @ residual
            grad *= 2.0 / X.shape[0]
            w = w - step * grad
            if not np.all(np.isfinite(w)):
                return k
    return None


@pytest.mark.parametrize("scale", [1.0, 1e150])
def test_gradient_descent_reports_the_first_step_that_overflows(scale):
    # Non-finite iterates are looked for in blocks of steps, not at every step: the
    # error must still name the first one, whatever its place in a block, and a path
    # that stops just before it must come back finite.
    rng = np.random.default_rng(7)
    X, y = scale * rng.standard_normal((30, 3)), rng.standard_normal(30)
    L = 2 / 30 * np.linalg.norm(X, 2) ** 2
    step = 3.0 / L
    k = first_overflow(X, y, step, 10_000)
    assert k is not None and k > 1
    for n_steps in (k, k + 1, k + 63, k + 64, 10_000):
        with pytest.raises(ValueError, match=rf"overflowed float64 at step {k}; expected step"):
            ml.gradient_descent(X, y, step=step, n_steps=n_steps)
    path = ml.gradient_descent(X, y, step=step, n_steps=k - 1)
    assert np.all(np.isfinite(path))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"step": 0.0, "n_steps": 3}, ValueError, r"step must be a finite number > 0; got 0\.0\."),
        ({"step": np.inf, "n_steps": 3}, ValueError, r"step must be a finite number > 0; got inf"),
        ({"step": "big", "n_steps": 3}, TypeError,
         r"step must be a real number > 0; got str 'big'"),
        ({"step": 0.1, "n_steps": -1}, ValueError, r"n_steps must be an integer >= 0; got -1\."),
        ({"step": 0.1, "n_steps": 2.5}, TypeError,
         r"n_steps must be an integer >= 0; got float 2\.5"),
        ({"step": 0.1, "n_steps": True}, TypeError,
         r"n_steps must be an integer >= 0; got bool True"),
        ({"step": 0.1, "n_steps": 3, "w0": [1.0, 2.0]}, ValueError, r"w0 must have shape \(1,\)"),
    ],
)
def test_gradient_descent_bad_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        ml.gradient_descent([[1.0], [2.0]], [1.0, 2.0], **kwargs)


def test_no_warning_on_regular_problems():
    X, y, _ = decimal_polynomial(10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ml.ols(X, y)
        ml.ols(X, y, method="qr")


# ---------------------------------------------------------------- validation happens once
def _recording(check, check_name, log):
    def wrapper(*args, **kwargs):
        log.append((check_name, args[1] if len(args) > 1 else kwargs.get("name")))
        return check(*args, **kwargs)

    return wrapper


@pytest.fixture
def check_log(monkeypatch):
    """Every call of a check of mselib._validation, as bound in the modules of the linear
    model, as (check, argument name) pairs."""
    log: list[tuple[str, str]] = []
    for module in (linear, selection, gradients):
        for attr, value in list(vars(module).items()):
            home = getattr(value, "__module__", "")
            if attr.startswith("check_") and home == _validation.__name__:
                monkeypatch.setattr(module, attr, _recording(value, attr, log))
    return log


_XS = [[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 5.0]]
_YS = [0.0, 1.0, 1.0, 3.0, 4.0]
_DESIGN = [("check_design", "X"), ("check_vector", "y")]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: ml.ols(_XS, _YS), [*_DESIGN, ("check_choice", "method"),
                                    ("check_choice", "on_singular")]),
        (lambda: ml.ols(_XS, _YS, method="qr", cond_limit=1e10),
         [*_DESIGN, ("check_choice", "method"), ("check_choice", "on_singular"),
          ("check_scalar", "cond_limit")]),
        (lambda: ml.ols_normal_equations(_XS, _YS),
         _DESIGN),
        (lambda: ml.ridge(_XS, _YS, alpha=1.0),
         [*_DESIGN, ("check_scalar", "alpha"), ("check_flag", "fit_intercept")]),
        (lambda: ml.leverage(_XS), [("check_design", "X")]),
        (lambda: ml.ols_inference(_XS, _YS), _DESIGN),
        (lambda: ml.james_stein([1.0, 2.0, 3.0], sigma2=1.0),
         [("check_vector", "x"), ("check_scalar", "sigma2"), ("check_flag", "positive_part")]),
        (lambda: ml.loo_mse(_XS, _YS),
         [*_DESIGN, ("check_scalar", "alpha"), ("check_finite_value", "the leave-one-out MSE")]),
        (lambda: ml.kfold_mse(_XS, _YS, k=3, alpha=0.5, seed=1),
         [*_DESIGN, ("check_scalar", "k"), ("check_scalar", "alpha"), ("check_scalar", "seed"),
          ("check_finite_value", "the K-fold cross-validation MSE")]),
        (lambda: ml.gcv(_XS, _YS, alpha=0.5),
         [*_DESIGN, ("check_scalar", "alpha"), ("check_finite_value", "the GCV score")]),
        (lambda: ml.effective_dof(_XS, alpha=0.5),
         [("check_design", "X"), ("check_scalar", "alpha")]),
    ],
    ids=["ols", "ols-options", "ols_normal_equations", "ridge", "leverage", "ols_inference",
         "james_stein", "loo_mse", "kfold_mse", "gcv", "effective_dof"],
)
def test_each_argument_is_checked_once(check_log, call, expected):
    # A public function checks its arguments at the boundary, then calls private
    # kernels: no argument is checked twice, and no public function is called again
    # on checked data (its checks would show up here).
    call()
    assert check_log == expected


@pytest.mark.parametrize("n_steps", [0, 1, 500])
def test_gradient_descent_checks_x_once_whatever_the_number_of_steps(check_log, n_steps):
    ml.gradient_descent(_XS, _YS, step=0.01, n_steps=n_steps, w0=[0.5, 0.5])
    assert check_log == [*_DESIGN, ("check_scalar", "step"), ("check_scalar", "n_steps"),
                         ("check_vector", "w0")]


@pytest.mark.parametrize(
    "call",
    [
        lambda X, y: ml.ols(X, y, on_singular="warn"),
        lambda X, y: ml.ols(X, y, method="qr", on_singular="warn"),
        lambda X, y: ml.gaussian_mle(X, y, on_singular="warn"),
    ],
)
def test_singular_design_warning_points_at_the_callers_line(call):
    X = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])  # column 2 = 2 x column 1
    with pytest.warns(ml.SingularDesignWarning) as record:
        call(X, np.array([1.0, 2.0, 2.0]))
    assert {w.filename for w in record} == {__file__}


def test_auto_never_takes_the_unbounded_exact_minimum_norm_path(monkeypatch):
    # The cost model prices the full-rank exact solution. A rank-deficient X (always when
    # n < p) would need the exact minimum-norm one, whose integers widen with the spread
    # of the column exponents (measured: 95 s for 30 x 40, 12.9 s for 300 x 30 with a
    # repeated column). "auto" must not reach it, and "raise" must not compute it.
    seen = []
    original = exact_engine._exact_solution

    def spy(X, y, *, min_norm=True):
        seen.append(min_norm)
        return original(X, y, min_norm=min_norm)

    monkeypatch.setattr(linear, "_exact_solution", spy)
    rng = np.random.default_rng(8)
    wide = rng.standard_normal((30, 40))
    for on_singular in ("raise", "warn"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ml.SingularDesignWarning)
            try:
                ml.ols(wide, rng.standard_normal(30), on_singular=on_singular)
            except np.linalg.LinAlgError:
                pass
    assert seen == []  # n < p: the QR path, never the exact one
    X = rng.standard_normal((300, 30))
    X[:, 5] = X[:, 4]
    y = rng.standard_normal(300)
    with pytest.raises(np.linalg.LinAlgError, match="exact rank 29 < n_features = 30"):
        ml.ols(X, y)
    with pytest.warns(ml.SingularDesignWarning, match="exact rank 29"):
        w_auto = ml.ols(X, y, on_singular="warn")
    with pytest.raises(np.linalg.LinAlgError, match="exact rank 29"):
        ml.ols(X, y, method="exact")
    assert seen == [False, False, False]
    # The SVD's minimum-norm solution: the repeated column's weight is split evenly.
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    assert np.allclose(w_auto, ref, rtol=1e-12, atol=1e-14)
    assert w_auto[4] == pytest.approx(w_auto[5], rel=1e-12)


# ---------------------------------------------------------------- extreme scales
# Oracles: the same problem at a moderate scale, solved by numpy.linalg.lstsq or in
# exact rationals, and scaled back by powers of two (exact).
@pytest.mark.parametrize(
    ("X", "y", "kwargs"),
    [
        ([[1e-10], [2e-10]], [1e300, 2e300], {}),
        ([[1e-10, 1e-10]], [1e300], {"on_singular": "warn"}),
        ([[1e-300, 1e-300], [1e-300, 1e-300]], [1e10, 1e10], {"on_singular": "warn"}),
    ],
    ids=["full rank", "n < p", "rank-deficient"],
)
def test_qr_solution_overflow_is_an_error(X, y, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.SingularDesignWarning)
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=r"least-squares solution overflows float64"):
            ml.ols(X, y, method="qr", **kwargs)


def test_min_norm_solution_at_extreme_scales():
    # (c X)^+ (d y) = (d / c) X^+ y for powers of two c, d.
    X, y = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), np.array([1.0, 2.0, 4.0])
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    for c, d in ((-1000, -100), (1000, -20), (-500, 500), (0, 1000)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ml.SingularDesignWarning)
            warnings.simplefilter("error", RuntimeWarning)
            w = ml.ols(np.ldexp(X, c), np.ldexp(y, d), method="qr", on_singular="warn")
        np.testing.assert_allclose(w, np.ldexp(ref, d - c), rtol=1e-13)


@pytest.mark.parametrize("scale", [2.0**-530, 2.0**-540, 1e160, 2.0**-1000, 2.0**900])
def test_normal_equations_at_extreme_scales(scale):
    X = np.c_[np.ones(5), np.arange(5.0)] * scale
    y = np.array([0.0, 1, 1, 3, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = ml.ols_normal_equations(X, y)
    expected = [float(v) for v in exact_lstsq(X, y)]
    np.testing.assert_allclose(w, expected, rtol=1e-13)
    Xm = np.c_[np.ones(5), np.arange(5.0)]  # the moderate problem, by lstsq
    e = math.frexp(scale)[1] - 1
    if scale == 2.0**e:
        np.testing.assert_allclose(w, np.ldexp(np.linalg.lstsq(Xm, y)[0], -e), rtol=1e-13)


def test_normal_equations_mixed_column_scales_and_y():
    rng = np.random.default_rng(5)
    Xm, ym = np.c_[np.ones(8), rng.standard_normal((8, 2))], rng.standard_normal(8)
    col, ye = np.array([-600, 0, 700]), 200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = ml.ols_normal_equations(np.ldexp(Xm, col), np.ldexp(ym, ye))
    np.testing.assert_allclose(w, np.ldexp(np.linalg.lstsq(Xm, ym)[0], ye - col), rtol=1e-12)
    with pytest.raises(ValueError, match=r"normal-equations solution overflows float64"):
        ml.ols_normal_equations(np.ldexp(Xm, [-600, 0, -700]), np.ldexp(ym, 900))


def test_normal_equations_unchanged_on_moderate_data():
    # The textbook formula, as written, whenever nothing overflows or underflows.
    rng = np.random.default_rng(8)
    for _ in range(50):
        X, y = rng.standard_normal((12, 3)) * 1e3, rng.standard_normal(12)
        w = ml.ols_normal_equations(X, y)
        assert np.array_equal(w, np.linalg.solve(X.T @ X, X.T @ y))


@pytest.mark.parametrize(
    ("X", "y", "step", "bound"),
    [
        (np.ones((2, 1)) * 1e200, [1.0, 1.0], 1.0, r"2 / L = 1e-400 \(below the smallest"),
        (np.ones((2, 1)) * 1e-200, [1e300, 1.0], 1e300, r"2 / L = 1e\+400 \(above the largest"),
        (np.ones((2, 1)) * 1e150, [1.0, 1.0], 1.0, r"2 / L = 1e-300 \(L = 2/n \* sigma_max\(X\)"
         r"\^2 = 2e\+300\)"),
    ],
)
def test_gradient_descent_divergence_bound_beyond_float64(X, y, step, bound):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"diverged: the iterate overflowed .*" + bound):
            ml.gradient_descent(X, y, step=step, n_steps=3)


@pytest.mark.parametrize("n_steps", [10**19, 2**62, 2**63 - 1])
def test_gradient_descent_path_too_large_is_refused(n_steps):
    with pytest.raises(ValueError, match=rf"n_steps = {n_steps} is too large: .* needs "
                                         rf"{(n_steps + 1) * 2 * 8} bytes"):
        ml.gradient_descent(np.ones((3, 2)), [1.0, 1.0, 1.0], step=0.1, n_steps=n_steps)


def test_gradient_descent_memory_error_is_explained(monkeypatch):
    def no_memory(shape, *args, **kwargs):
        raise MemoryError(f"Unable to allocate 74.5 GiB for an array with shape {shape}")

    monkeypatch.setattr(linear.np, "empty", no_memory)
    with pytest.raises(ValueError, match=r"n_steps = 10000000000 is too large: the path .* "
                                         r"\(10000000001, 1\) needs 80000000008 bytes "
                                         r"\(74\.51 GiB\) .*\(MemoryError"):
        ml.gradient_descent(np.ones((2, 1)), [1.0, 1.0], step=0.1, n_steps=10**10)
