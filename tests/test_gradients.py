"""Tests for mselib.gradients: exact values, properties (hypothesis), and every bad input.

The oracles are independent of the code under test: exact rational arithmetic
(``fractions.Fraction``), hand-computed values, and finite differences of
``mselib.mse`` (itself tested against scikit-learn and exact sums). Every
floating-point comparison states its error bound and why it holds.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mselib.gradients import linear_mse_grad, mse_grad, numerical_gradient
from mselib.metrics import mse

EPS = float(np.finfo(np.float64).eps)
Y_TRUE = [3, -0.5, 2, 7]
Y_PRED = [2.5, 0.0, 2, 8]

# Bounded floats, no subnormals, nonzero magnitudes at least 1e-100 (as in the metric tests),
# so that differences of distinct values never underflow to zero.
VALUE = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, allow_subnormal=False).map(
    lambda x: 0.0 if abs(x) < 1e-100 else x
)
SMALL = st.floats(-10, 10, allow_nan=False, allow_infinity=False, allow_subnormal=False).map(
    lambda x: 0.0 if abs(x) < 1e-100 else x
)


@st.composite
def pairs(draw, max_n=30):
    """(y_true, y_pred), 1-D of one length; y_pred copies some entries of y_true."""
    n = draw(st.integers(1, max_n))
    y_true = draw(arrays(np.float64, n, elements=VALUE))
    other = draw(arrays(np.float64, n, elements=VALUE))
    same = draw(arrays(np.bool_, n))
    return y_true, np.where(same, y_true, other)


@st.composite
def weighted_pairs(draw):
    """(y_true, y_pred, w) with non-negative weights with a positive sum.

    Weights are 0 or at least 1e-3, so that w_i * residual_i / W never underflows to 0.
    """
    y_true, y_pred = draw(pairs())
    weight = st.floats(0, 10, allow_subnormal=False).map(lambda v: 0.0 if v < 1e-3 else v)
    w = draw(arrays(np.float64, len(y_true), elements=weight))
    return y_true, y_pred, (w if w.sum() > 0 else w + 1.0)


def exact_grad(y_true, y_pred, w=None):
    """d MSE / d y_pred in exact rational arithmetic (one output)."""
    t = [Fraction(float(v)) for v in y_true]
    p = [Fraction(float(v)) for v in y_pred]
    ws = [Fraction(1)] * len(t) if w is None else [Fraction(float(v)) for v in w]
    total = sum(ws)
    return [-2 * wi * (a - b) / total for wi, a, b in zip(ws, t, p, strict=True)]


def as_floats(values):
    return np.array([float(v) for v in values])


# ----------------------------------------------------------------------------- mse_grad
def test_classic_example_by_hand():
    # residuals (0.5, -0.5, 0, -1); gradient -(2/4) * residual
    assert mse_grad(Y_TRUE, Y_PRED).tolist() == [-0.25, 0.25, 0.0, 0.5]
    assert [Fraction(v) for v in mse_grad(Y_TRUE, Y_PRED)] == exact_grad(Y_TRUE, Y_PRED)


def test_weighted_example_exact():
    w = [1, 2, 3, 0]
    got = mse_grad(Y_TRUE, Y_PRED, sample_weight=w)
    ml_exact = as_floats(exact_grad(Y_TRUE, Y_PRED, w))  # -2 w_i e_i / 6
    np.testing.assert_allclose(got, ml_exact, rtol=4 * EPS, atol=0)
    assert got[3] == 0.0  # a zero weight: that prediction does not affect the loss


def test_returns_float64_of_the_shape_of_y_pred():
    assert mse_grad([1, 2, 3], [1, 2, 4]).dtype == np.float64  # integers in, floats out
    assert mse_grad([1.0, 2.0], [[1.5], [2.5]]).shape == (2, 1)
    assert mse_grad([[1.0], [2.0]], [1.5, 2.5]).shape == (2,)
    g32 = mse_grad(np.float32([1, 2]), np.float32([1.5, 2]))
    assert g32.dtype == np.float64 and g32.tolist() == [0.5, 0.0]


def test_multioutput_is_the_gradient_of_the_uniform_average():
    y_true = np.array([[0.5, 1], [-1, 1], [7, -6]])
    y_pred = np.array([[0, 2], [-1, 2], [8, -5]], dtype=float)
    got = mse_grad(y_true, y_pred)
    assert got.shape == (3, 2)
    # d/d y_pred[i, j] of mean_j( mean_i e_ij^2 ) = 2 (y_pred - y_true) / (n k), exact here
    assert got.tolist() == ((y_pred - y_true) * 2 / 6).tolist()
    w = np.array([1.0, 0.0, 3.0])
    numeric = numerical_gradient(
        lambda p: mse(y_true, p.reshape(3, 2), sample_weight=w), y_pred.ravel()
    ).reshape(3, 2)
    np.testing.assert_allclose(mse_grad(y_true, y_pred, sample_weight=w), numeric, atol=1e-9)


def test_sum_of_components_is_the_derivative_along_a_common_shift():
    # The "single number" -(2/n) sum(y - yhat) is d/dc MSE(y, yhat + c) at c = 0.
    y_true, y_pred = np.array(Y_TRUE), np.array(Y_PRED)
    shift = numerical_gradient(lambda c: mse(y_true, y_pred + c[0]), [0.0])[0]
    single_number = -2 / 4 * float(np.sum(y_true - y_pred))
    assert math.isclose(float(np.sum(mse_grad(y_true, y_pred))), single_number, rel_tol=1e-15)
    assert math.isclose(shift, single_number, rel_tol=1e-9)
    # ... and it can vanish while the gradient does not:
    g = mse_grad([0.0, 0.0], [1.0, -1.0])
    assert g.sum() == 0.0 and g.tolist() == [1.0, -1.0]


@given(pairs())
def test_matches_exact_arithmetic(data):
    y_true, y_pred = data
    exact = as_floats(exact_grad(y_true, y_pred))
    # two roundings (difference, product) and the rounded factor 2/n: at most 3 units of EPS
    np.testing.assert_allclose(mse_grad(y_true, y_pred), exact, rtol=3 * EPS, atol=0)


@given(weighted_pairs())
def test_weighted_matches_exact_arithmetic(data):
    y_true, y_pred, w = data
    exact = as_floats(exact_grad(y_true, y_pred, w))
    # the weight sum is rounded too: at most n + 4 units of EPS (n <= 30)
    got = mse_grad(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(got, exact, rtol=(len(w) + 4) * EPS, atol=0)


@given(pairs())
def test_zero_exactly_where_the_prediction_is_right(data):
    y_true, y_pred = data
    g = mse_grad(y_true, y_pred)
    assert np.array_equal(g == 0, y_true == y_pred)
    assert (not g.any()) == np.array_equal(y_true, y_pred)  # zero vector iff y_pred == y_true


@given(weighted_pairs())
def test_weighted_zero_exactly_where_the_weighted_residual_is(data):
    y_true, y_pred, w = data
    g = mse_grad(y_true, y_pred, sample_weight=w)
    assert np.array_equal(g == 0, (y_true == y_pred) | (w == 0))


@given(pairs(), st.data())
def test_directional_derivative_is_g_dot_v(data, draw):
    """(MSE(p + t v) - MSE(p - t v)) / 2t = g.v: exact for a quadratic, up to rounding."""
    y_true, y_pred = data
    n = len(y_true)
    v = draw.draw(arrays(np.float64, n, elements=st.floats(-1, 1, allow_subnormal=False)))
    t = 0.5
    a, b = y_pred + t * v, y_pred - t * v
    m_a, m_b = mse(y_true, a), mse(y_true, b)
    g = mse_grad(y_true, y_pred)
    finite_difference = (m_a - m_b) / (2 * t)
    # Error sources: each mse is rounded (relative error below 64 EPS for n <= 30), each
    # entry of a and b is rounded (changing the loss by |dMSE/da_i| * EPS |a_i|), and the
    # dot product g.v. A wrong gradient (sign, factor 2, index) misses by far more.
    bound = (
        64 * EPS * (m_a + m_b)
        + 2 * EPS * np.sum(np.abs(a - y_true) * np.abs(a) + np.abs(b - y_true) * np.abs(b)) / n
    ) / (2 * t) + 64 * EPS * float(np.sum(np.abs(g * v)))
    assert abs(finite_difference - float(g @ v)) <= bound


def _numeric_bound(f_scale, x, g, h_taken):
    """Error bound of a central difference of a quadratic: rounding only.

    ``f_scale`` bounds |f| at the two points; its rounding (64 EPS) is divided by the step
    actually taken. The midpoint of the two rounded points differs from x by up to
    EPS (|x| + h), which moves the gradient by the curvature (at most 2) times that.
    """
    return 64 * EPS * f_scale / h_taken + 8 * EPS * (np.abs(g) + 2 * (np.abs(x) + h_taken))


def _steps(x):
    h = np.cbrt(EPS) * np.maximum(1.0, np.abs(x))
    return (x + h) - (x - h)


@given(pairs())
def test_agrees_with_numerical_gradient(data):
    y_true, y_pred = data
    g = mse_grad(y_true, y_pred)
    numeric = numerical_gradient(lambda p: mse(y_true, p), y_pred)
    f_scale = mse(y_true, y_pred) + np.max(np.abs(g)) * np.max(_steps(y_pred)) + 1e-300
    bound = _numeric_bound(2 * f_scale, y_pred, g, _steps(y_pred))
    assert np.all(np.abs(numeric - g) <= bound)


@given(weighted_pairs())
def test_weighted_is_the_gradient_of_the_weighted_mse(data):
    y_true, y_pred, w = data
    g = mse_grad(y_true, y_pred, sample_weight=w)
    numeric = numerical_gradient(lambda p: mse(y_true, p, sample_weight=w), y_pred)
    f_scale = (
        mse(y_true, y_pred, sample_weight=w) + np.max(np.abs(g)) * np.max(_steps(y_pred)) + 1e-300
    )
    bound = _numeric_bound(2 * f_scale, y_pred, g, _steps(y_pred))
    assert np.all(np.abs(numeric - g) <= bound)


# ------------------------------------------------------------------------ linear_mse_grad
def test_linear_by_hand():
    X = [[1, 1], [1, 2], [1, 3]]
    # residual Xw - y = (0, 0, 1); X^T r = (1, 3); times 2/3
    got = linear_mse_grad(X, [1, 2, 2], w=[0, 1])
    np.testing.assert_allclose(got, [2 / 3, 2.0], rtol=EPS)
    assert linear_mse_grad(X, [1, 2, 3], w=[0, 1]).tolist() == [0.0, 0.0]


def test_linear_is_the_chain_rule_and_matches_numerical_gradient():
    rng = np.random.default_rng(20261124)
    X = rng.normal(size=(40, 3))
    y = rng.normal(size=40)
    w = rng.normal(size=3)
    g = linear_mse_grad(X, y, w=w)
    np.testing.assert_allclose(g, X.T @ mse_grad(y, X @ w), rtol=1e-13)
    numeric = numerical_gradient(lambda v: mse(y, X @ v), w)
    np.testing.assert_allclose(numeric, g, rtol=1e-8, atol=1e-10)


@st.composite
def linear_problems(draw):
    n, p = draw(st.integers(1, 20)), draw(st.integers(1, 5))
    X = draw(arrays(np.float64, (n, p), elements=SMALL))
    y = draw(arrays(np.float64, n, elements=SMALL))
    w = draw(arrays(np.float64, p, elements=SMALL))
    return X, y, w


@given(linear_problems())
def test_linear_matches_exact_arithmetic(problem):
    X, y, w = problem
    n, p = X.shape
    F = [[Fraction(float(v)) for v in row] for row in X]
    fy, fw = [Fraction(float(v)) for v in y], [Fraction(float(v)) for v in w]
    r = [sum(F[i][k] * fw[k] for k in range(p)) - fy[i] for i in range(n)]
    exact = as_floats([2 * sum(F[i][k] * r[i] for i in range(n)) / n for k in range(p)])
    # Standard dot-product bounds: each residual is off by at most (p + 1) EPS times
    # sum_k |X_ik w_k| + |y_i|; X^T r and the factor 2/n add (n + 2) EPS relative.
    scale = np.abs(X).T @ (np.abs(X) @ np.abs(w) + np.abs(y)) * 2 / n
    bound = 2 * (n + p + 3) * EPS * scale
    assert np.all(np.abs(linear_mse_grad(X, y, w=w) - exact) <= bound)


@given(linear_problems())
def test_linear_zero_at_the_least_squares_solution(problem):
    X, _, w = problem
    y = X @ w  # a perfect fit (rounded): the gradient is zero up to rounding of X @ w
    scale = np.abs(X).T @ (np.abs(X) @ np.abs(w)) * 2 / X.shape[0]
    assert np.all(np.abs(linear_mse_grad(X, y, w=w)) <= 4 * (X.shape[1] + X.shape[0]) * EPS * scale)


# --------------------------------------------------------------------- numerical_gradient
def test_numerical_gradient_of_a_cubic_has_error_h_squared():
    # ((x + h)^3 - (x - h)^3) / 2h = 3 x^2 + h^2 exactly: the truncation error is O(h^2).
    for h in (1e-1, 1e-2, 1e-3):
        got = numerical_gradient(lambda v: float(np.sum(v**3)), [1.0, -2.0], eps=h)
        taken = (np.array([1.0, -2.0]) + h) - (np.array([1.0, -2.0]) - h)
        error = got - np.array([3.0, 12.0])
        np.testing.assert_allclose(error, (taken / 2) ** 2, rtol=1e-5)


def test_numerical_gradient_default_step_on_smooth_functions():
    # Truncation error h^2 |f'''| / 6 (here |f'''| <= 1) plus rounding, about EPS |f| / h.
    x = np.array([0.3, -1.2, 2.5, 40.0])
    h = np.cbrt(EPS) * np.maximum(1.0, np.abs(x))
    error = numerical_gradient(lambda v: np.sum(np.sin(v)), x) - np.cos(x)
    assert np.all(np.abs(error) <= h**2 / 6 + 8 * EPS * 4 / h)
    assert abs(error[3]) > 1e-9  # at x = 40 the step is 40 times larger: truncation shows
    np.testing.assert_allclose(
        numerical_gradient(lambda v: np.exp(v[0]) * v[1], [1.0, 2.0]),
        [2 * math.e, math.e],
        rtol=1e-9,
    )


def test_numerical_gradient_default_step_is_scaled_to_x():
    seen = []

    def record(v):
        seen.append(v.copy())
        return float(np.sum(v))

    x = np.array([0.0, 1e4])
    numerical_gradient(record, x)
    h = np.cbrt(EPS)
    assert seen[0][0] == h and seen[1][0] == -h  # |x| < 1: absolute step cbrt(eps)
    assert math.isclose(seen[2][1] - 1e4, h * 1e4, rel_tol=1e-9)  # relative step for |x| > 1
    assert [len(seen), seen[0][1], seen[2][0]] == [4, 1e4, 0.0]  # one coordinate at a time


def test_numerical_gradient_is_not_fooled_by_a_function_that_mutates_its_argument():
    def destructive(v):
        value = float(np.sum(v**2))
        v[:] = 1e6
        return value

    np.testing.assert_allclose(numerical_gradient(destructive, [1.0, 2.0]), [2.0, 4.0], rtol=1e-9)


@pytest.mark.parametrize(
    "value", [1.5, np.float32(1.5), np.array(1.5), 2, np.int64(2)], ids=lambda v: type(v).__name__
)
def test_numerical_gradient_accepts_real_scalars(value):
    assert numerical_gradient(lambda v: value, [0.0]).tolist() == [0.0]


def test_numerical_gradient_accepts_integer_points_and_steps():
    got = numerical_gradient(lambda v: float(v @ v), np.array([1, 2]), eps=0.5)
    assert got.dtype == np.float64 and got.tolist() == [2.0, 4.0]
    assert numerical_gradient(lambda v: float(v @ v), [1.0, 2.0], eps=[0.5, 0.25]).tolist() == [
        2.0,
        4.0,
    ]


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (([1, 2], [1, 2, 3]), {}, ValueError, r"same shape.*different numbers of samples"),
        (([1, 2], [[1, 2]]), {}, ValueError, r"same shape.*A row \(1, n\)"),
        (([1, np.nan], [1, 2]), {}, ValueError, r"y_true contains NaN at index 1"),
        (([1, 2], [1, -np.inf]), {}, ValueError, r"y_pred contains -inf at index 1"),
        (([1e308, -1e308], [-1e308, 1e308]), {}, ValueError, r"gradient of the MSE overflows"),
        (([True, False], [1, 2]), {}, TypeError, r"y_true must hold real numbers.*bool"),
        (([1, 2], ["a", "b"]), {}, TypeError, r"y_pred must hold real numbers"),
        (([1, 2], [1 + 1j, 2]), {}, TypeError, r"y_pred must hold real numbers.*complex"),
        (([], []), {}, ValueError, r"y_true is empty"),
        ((3.0, 3.0), {}, ValueError, r"y_true must be 1-D .* or 2-D .*; got a 0-D scalar"),
        (([1, 2], [1, 2]), {"sample_weight": [0, 0]}, ValueError, r"sample_weight sums to zero"),
        (([1, 2], [1, 2]), {"sample_weight": [1, -1]}, ValueError, r"must be non-negative"),
        (([1, 2], [1, 2]), {"sample_weight": [1]}, ValueError, r"sample_weight must be 1-D"),
        (([1, 2], [1, 2]), {"sample_weight": [1, np.nan]}, ValueError, r"sample_weight.*NaN"),
        (([1, 2], [1, 2]), {"multioutput": "raw_values"}, TypeError, r"multioutput"),
    ],
)
def test_mse_grad_rejects(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        mse_grad(*args, **kwargs)


X3 = [[1.0], [2.0], [3.0]]


@pytest.mark.parametrize(
    ("X", "y", "w", "error", "match"),
    [
        ([1, 2, 3], [1, 2, 3], [1], ValueError, r"X must be 2-D .*got 1-D.*reshape\(-1, 1\)"),
        (np.ones((2, 2, 2)), [1, 2], [1, 2], ValueError, r"X must be 2-D .*got 3-D"),
        (np.ones((0, 2)), [], [1, 2], ValueError, r"X is empty \(shape \(0, 2\)\)"),
        ([[1 + 1j]], [1], [1], TypeError, r"X must hold real numbers"),
        ([[np.nan], [2], [3]], [1, 2, 3], [1], ValueError, r"X contains NaN at index \(0, 0\)"),
        (X3, [[1], [2], [3]], [1], ValueError, r"y must be 1-D with shape \(3,\).*ravel y"),
        (X3, [1, 2], [1], ValueError, r"y must have shape \(3,\) \(one target per row.*\(2,\)"),
        (X3, [1, 2, np.inf], [1], ValueError, r"y contains \+inf at index 2"),
        (X3, [1, 2, 3], [1, 2], ValueError, r"w must have shape \(1,\) \(one weight per col"),
        (X3, [1, 2, 3], 1.0, ValueError, r"w must be 1-D .*0-D scalar"),
        (X3, [1, 2, 3], [np.nan], ValueError, r"w contains NaN"),
        (X3, [1, 2, 3], [True], TypeError, r"w must hold real numbers"),
        ([[1e200], [1], [1]], [1, 2, 3], [1e200], ValueError, r"overflows float64.*Rescale"),
    ],
)
def test_linear_mse_grad_rejects(X, y, w, error, match):
    with pytest.raises(error, match=match):
        linear_mse_grad(X, y, w=w)


def _square(v):
    return float(v @ v)


@pytest.mark.parametrize(
    ("f", "x", "kwargs", "error", "match"),
    [
        (3, [1.0], {}, TypeError, r"f must be callable"),
        (_square, [[1.0, 2.0]], {}, ValueError, r"x must be 1-D .*ravel x"),
        (_square, [], {}, ValueError, r"x is empty"),
        (_square, [1.0, np.nan], {}, ValueError, r"x contains NaN at index 1"),
        (_square, ["a"], {}, TypeError, r"x must hold real numbers"),
        (lambda v: v, [1.0, 2.0], {}, ValueError, r"f must return a scalar; got .*shape \(2,\)"),
        (lambda v: np.nan, [1.0], {}, ValueError, r"f must return a finite number; got nan"),
        (lambda v: "1", [1.0], {}, TypeError, r"f must return a real number; got str"),
        (lambda v: None, [1.0], {}, TypeError, r"f must return a real number; got NoneType"),
        (lambda v: True, [1.0], {}, TypeError, r"f must return a real number; got a bool"),
        (_square, [1.0], {"eps": 0}, ValueError, r"eps must be finite and positive; got 0.0\."),
        (_square, [1.0, 2.0], {"eps": [1, -1]}, ValueError, r"positive; got -1.0 at index 1"),
        (_square, [1.0], {"eps": np.inf}, ValueError, r"eps must be finite and positive"),
        (_square, [1.0, 2.0], {"eps": [1e-3]}, ValueError, r"eps must be .* shape \(2,\)"),
        (_square, [1.0], {"eps": "x"}, TypeError, r"eps must hold real numbers"),
        (_square, [1e10], {"eps": 1e-10}, ValueError, r"= 10000000000.0 is lost to rounding"),
        (_square, [1e308], {"eps": 1e308}, ValueError, r"x\[0\] = 1e\+308 overflows"),
    ],
)
def test_numerical_gradient_rejects(f, x, kwargs, error, match):
    with pytest.raises(error, match=match):
        numerical_gradient(f, x, **kwargs)


def test_linear_mse_grad_takes_w_by_keyword_only():
    with pytest.raises(TypeError, match="positional argument"):
        linear_mse_grad(X3, [1, 2, 3], [1])


# -------------------------------------------------------- numerical_gradient at the float64 edge
def test_numerical_gradient_values_near_the_largest_float_do_not_overflow():
    # f(x + h) - f(x - h) = 2.6e308 overflows, though both values and the slope are finite:
    # the difference is taken on halved values, which changes no digit of the quotient.
    big = 1.3e308

    def f(v):
        return big * math.tanh(v[0])

    got = numerical_gradient(f, [0.0], eps=1.0)
    assert np.isfinite(got).all()
    assert got[0] == pytest.approx(big * math.tanh(1.0), rel=1e-15)
    # the same quotient as the plain formula wherever that one does not overflow
    small = numerical_gradient(lambda v: 1e300 * math.tanh(v[0]), [0.0], eps=1.0)
    assert small[0] == (1e300 * math.tanh(1.0) - 1e300 * math.tanh(-1.0)) / 2.0


def test_numerical_gradient_huge_step_does_not_overflow():
    # x +- h = +-1.7e308 are finite but their difference is not.
    assert numerical_gradient(lambda v: v[0], [0.0], eps=1.7e308).tolist() == [1.0]


@pytest.mark.parametrize(
    ("f", "x", "eps"),
    [
        (lambda v: 1e10 * np.sign(v[0]), [0.0], 1e-300),  # a jump and a tiny step
        (lambda v: 1.7e308 * np.sign(v[0]), [0.0], 0.25),  # a slope beyond float64
        (lambda v: 1e300 * np.sign(v[0]), [0.0], 1e-10),
    ],
)
def test_numerical_gradient_reports_a_quotient_beyond_float64(f, x, eps):
    with np.errstate(all="raise"), pytest.raises(
        ValueError, match=r"central difference for x\[0\] overflows float64.*h = .*larger eps"
    ):
        numerical_gradient(f, x, eps=eps)


# ------------------------------------------------------------ y_pred - y_true overflows
def rounded_exact_grad(y_true, y_pred, w=None):
    """2 w_i / (k W) (y_pred - y_true), in rationals, rounded once per component."""
    t, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    t2, p2 = t.reshape(t.shape[0], -1), p.reshape(p.shape[0], -1)
    n, k = t2.shape
    ws = [Fraction(1)] * n if w is None else [Fraction(float(v)) for v in w]
    total = sum(ws)
    rows = [
        [float(2 * ws[i] / (k * total) * (Fraction(p2[i, j]) - Fraction(t2[i, j])))
         for j in range(k)]
        for i in range(n)
    ]
    return np.array(rows).reshape(p.shape)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "w"),
    [
        ([-1e308, 0, 0, 0], [1e308, 0, 0, 0], None),
        ([-1e308, 0, 0, 0], [1e308, 0, 0, 0], [1, 1, 1, 1]),
        ([1.7e308, 3.0, -1.0, 0.0], [-1.7e308, 1.0, 2.5, 0.0], None),
        ([1.7e308, 3.0, -1.0], [-1.7e308, 1.0, 2.5], [1e-300, 1.0, 1e300]),
        ([[1e308, 1.0], [0.0, 2.0]], [[-1e308, 3.0], [0.0, -2.0]], [1.0, 3.0]),
        ([[-1.5e308], [1.0], [2.0], [5.0]], [1.5e308, 0.0, 0.0, 0.0], None),
    ],
)
def test_mse_grad_when_the_difference_overflows_but_the_gradient_does_not(y_true, y_pred, w):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning leaks
        got = mse_grad(y_true, y_pred, sample_weight=w)
    want = rounded_exact_grad(y_true, y_pred, w)
    assert got.shape == np.shape(y_pred)
    assert np.all(np.abs(got - want) <= 4 * EPS * np.abs(want) + 1e-320)


def test_mse_grad_still_reports_a_gradient_beyond_float64():
    with pytest.raises(ValueError, match=r"gradient of the MSE overflows"):
        mse_grad([-1e308], [1e308])  # 2 * 2e308
    with pytest.raises(ValueError, match=r"gradient of the MSE overflows"):
        mse_grad([-1e308, 0.0], [1e308, 0.0], sample_weight=[1.0, 1e-300])


@pytest.mark.parametrize("seed", range(5))
def test_mse_grad_ordinary_inputs_are_the_plain_formula_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    y, p = rng.normal(size=50) * 100, rng.normal(size=50) * 100
    assert mse_grad(y, p).tobytes() == ((p - y) * (2.0 / 50)).tobytes()
