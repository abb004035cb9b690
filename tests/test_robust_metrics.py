"""Tests for the robust and asymmetric metrics: mselib.smooth_l1 and mselib.pinball.

Oracles, all independent of mselib: exact rational arithmetic (``fractions.Fraction``)
for unit values, scikit-learn's ``mean_pinball_loss`` for the pinball loss, and the
element-wise PyTorch formula for the smooth L1 loss written out with ``np.where``.
Property tests (hypothesis) check the identities chapter 7 states.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import mean_pinball_loss

import mselib as ml
from mselib import _accumulate, _threads

Y_TRUE = [3, -0.5, 2, 7]
Y_PRED = [2.5, 0.0, 2, 8]
Y2_TRUE = [[0.5, 1], [-1, 1], [7, -6]]
Y2_PRED = [[0, 2], [-1, 2], [8, -5]]
RTOL = 1e-12  # sums in a different order differ by a few ulps per term


# ---------------------------------------------------------------- exact oracles
def exact_smooth_l1(beta):
    b = Fraction(beta)
    return lambda e: e * e / (2 * b) if abs(e) < b else abs(e) - b / 2


def exact_pinball(alpha):
    a = Fraction(alpha)
    return lambda e: a * e if e >= 0 else (a - 1) * e


def exact_mean(loss, y_true, y_pred, w=None):
    """Per-output weighted mean of loss(t - p), in exact arithmetic."""
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    t, p = t.reshape(len(t), -1), p.reshape(len(p), -1)
    ws = [Fraction(1)] * len(t) if w is None else [Fraction(float(v)) for v in w]
    out = []
    for j in range(t.shape[1]):
        terms = [
            wi * loss(Fraction(float(a)) - Fraction(float(b)))
            for wi, a, b in zip(ws, t[:, j], p[:, j], strict=True)
        ]
        out.append(sum(terms) / sum(ws))
    return out


def torch_smooth_l1(y_true, y_pred, beta, w=None):
    """PyTorch's SmoothL1Loss formula, element-wise with np.where, then averaged."""
    e = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    a = np.abs(e)
    loss = np.where(a < beta, 0.5 * e * e / beta, a - 0.5 * beta)
    return np.atleast_1d(np.average(loss, axis=0, weights=w))


def direct_pinball(y_true, y_pred, alpha, w=None):
    e = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    loss = np.where(e >= 0, alpha * e, (alpha - 1) * e)
    return np.atleast_1d(np.average(loss, axis=0, weights=w))


# ------------------------------------------------------------------ unit values
def test_smooth_l1_worked_example_exact():
    # every |e| <= 1 is below beta = 1: e^2 / 2 on average, (1/8 + 1/8 + 0 + 1/2) / 4
    assert exact_mean(exact_smooth_l1(1), Y_TRUE, Y_PRED) == [Fraction(3, 16)]
    assert ml.smooth_l1(Y_TRUE, Y_PRED) == 0.1875
    for beta in (0.25, 0.5, 0.75, 2, 3):
        expected = exact_mean(exact_smooth_l1(beta), Y_TRUE, Y_PRED)[0]
        assert ml.smooth_l1(Y_TRUE, Y_PRED, beta=beta) == pytest.approx(float(expected), rel=1e-15)


def test_smooth_l1_branches_and_boundary():
    # |e| < beta: e^2 / (2 beta); |e| >= beta: |e| - beta / 2; equal at |e| = beta
    assert ml.smooth_l1([0.0], [0.25], beta=0.5) == 0.0625
    assert ml.smooth_l1([0.0], [-3.0], beta=0.5) == 2.75
    assert ml.smooth_l1([0.0], [2.0], beta=2.0) == 1.0
    assert ml.smooth_l1([0.0], [math.nextafter(2.0, 0)], beta=2.0) == pytest.approx(1.0, rel=1e-15)
    assert ml.smooth_l1([0], [10], beta=1e-3) == pytest.approx(10 - 0.5e-3, rel=1e-15)
    # S_beta(e) <= |e|: a tiny beta never overflows what the MAE does not
    assert ml.smooth_l1([1e300], [0.0], beta=1e-10) == pytest.approx(1e300, rel=1e-15)


def test_smooth_l1_beta_zero_is_mae():
    # PyTorch: "When beta is set to 0, this is equivalent to L1Loss."
    assert ml.smooth_l1(Y_TRUE, Y_PRED, beta=0) == ml.mae(Y_TRUE, Y_PRED) == 0.5
    w = [1, 2, 0, 3]
    assert ml.smooth_l1(Y_TRUE, Y_PRED, beta=0.0, sample_weight=w) == ml.mae(
        Y_TRUE, Y_PRED, sample_weight=w
    )


def test_pinball_exact_values():
    # errors t - p = [0.5, -0.5, 0, -1]: one under-prediction of 0.5, over-predictions 1.5
    for alpha in (0, 0.1, 0.25, 0.5, 0.9, 1):
        expected = exact_mean(exact_pinball(alpha), Y_TRUE, Y_PRED)[0]
        manual = (Fraction(alpha) * Fraction(1, 2) + (1 - Fraction(alpha)) * Fraction(3, 2)) / 4
        assert expected == manual
        assert ml.pinball(Y_TRUE, Y_PRED, alpha=alpha) == pytest.approx(float(manual), rel=1e-15)
    assert ml.pinball(Y_TRUE, Y_PRED) == 0.25  # alpha = 0.5: half the MAE


def test_weighted_and_multioutput_exact():
    w = [1, 2, 0, 3]
    for beta in (0.5, 1.0):
        expected = exact_mean(exact_smooth_l1(beta), Y_TRUE, Y_PRED, w)[0]
        got = ml.smooth_l1(Y_TRUE, Y_PRED, beta=beta, sample_weight=w)
        assert got == pytest.approx(float(expected), rel=1e-15)
    expected = exact_mean(exact_pinball(0.8), Y_TRUE, Y_PRED, w)[0]
    assert ml.pinball(Y_TRUE, Y_PRED, alpha=0.8, sample_weight=w) == pytest.approx(
        float(expected), rel=1e-15
    )
    raw = ml.smooth_l1(Y2_TRUE, Y2_PRED, beta=0.5, multioutput="raw_values")
    expected_raw = exact_mean(exact_smooth_l1(0.5), Y2_TRUE, Y2_PRED)
    np.testing.assert_allclose(raw, [float(v) for v in expected_raw], rtol=1e-15)
    raw = ml.pinball(Y2_TRUE, Y2_PRED, alpha=0.3, multioutput="raw_values")
    expected_raw = exact_mean(exact_pinball(0.3), Y2_TRUE, Y2_PRED)
    np.testing.assert_allclose(raw, [float(v) for v in expected_raw], rtol=1e-15)
    weighted_average = ml.pinball(Y2_TRUE, Y2_PRED, alpha=0.3, multioutput=[1, 3])
    assert weighted_average == pytest.approx(float(expected_raw[0] + 3 * expected_raw[1]) / 4)


def test_returns_python_float_and_float64_arrays():
    for f in (ml.smooth_l1, ml.pinball):
        assert type(f(Y_TRUE, Y_PRED)) is float
        raw = f(Y2_TRUE, Y2_PRED, multioutput="raw_values")
        assert isinstance(raw, np.ndarray) and raw.dtype == np.float64 and raw.shape == (2,)
        col_t = np.asarray(Y_TRUE).reshape(-1, 1)
        assert f(col_t, Y_PRED) == f(Y_TRUE, Y_PRED)


def test_input_is_not_modified():
    yt, yp, w = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])
    for f in (ml.smooth_l1, ml.pinball):
        f(yt, yp, sample_weight=w)
    np.testing.assert_array_equal(yt, [1.0, 2.0, 4.0])
    np.testing.assert_array_equal(yp, [1.5, 2.0, 3.0])
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0])


# ----------------------------------------------------------- scikit-learn parity
def data(shape, weighted, seed=20240601):
    rng = np.random.default_rng([seed, *shape, weighted])
    y_true = rng.normal(3.0, 2.0, shape)
    y_pred = y_true + rng.normal(0.0, 0.7, shape)
    w = rng.uniform(0.1, 2.0, shape[0]) if weighted else None
    return y_true, y_pred, w


@pytest.mark.parametrize("alpha", [0.0, 0.05, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", [(1,), (5,), (100,), (100, 1), (37, 3)], ids=str)
def test_pinball_matches_scikit_learn(shape, weighted, alpha):
    y_true, y_pred, w = data(shape, weighted)
    k = shape[1] if len(shape) == 2 else 1
    options = ["raw_values", "uniform_average"] + ([np.linspace(1.0, 2.0, k)] if k > 1 else [])
    for multioutput in options:
        got = ml.pinball(y_true, y_pred, alpha=alpha, sample_weight=w, multioutput=multioutput)
        want = mean_pinball_loss(
            y_true, y_pred, alpha=alpha, sample_weight=w, multioutput=multioutput
        )
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-15, err_msg=str(multioutput))
        assert isinstance(got, float) == (not isinstance(want, np.ndarray))


# ------------------------------------------------- blocked path, float32 input
@pytest.fixture(params=["pinned", "serial"])
def block_mode(request, monkeypatch):
    """Run with BLAS pinned by threadpoolctl, or with the fallback used without it."""
    if request.param == "serial":
        monkeypatch.setattr(_threads, "_controller", False)
    return request.param


@pytest.mark.parametrize("shape", [(3 * _accumulate._BLOCK + 123,), (70_001, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_many_blocks_match_direct_formula(block_mode, shape, dtype):
    rng = np.random.default_rng(17)
    y_true = rng.standard_normal(shape).astype(dtype)
    y_pred = rng.standard_normal(shape).astype(dtype)
    w = rng.uniform(0, 2, shape[0])
    for weights in (None, w):
        for beta in (0.3, 1.0):
            ours = ml.smooth_l1(y_true, y_pred, beta=beta, sample_weight=weights,
                                multioutput="raw_values")
            expected = torch_smooth_l1(y_true, y_pred, beta, weights)
            np.testing.assert_allclose(ours, expected, rtol=1e-12)
        for alpha in (0.1, 0.75):
            ours = ml.pinball(y_true, y_pred, alpha=alpha, sample_weight=weights,
                              multioutput="raw_values")
            expected = direct_pinball(y_true, y_pred, alpha, weights)
            np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_float32_input_gives_the_float64_answer():
    rng = np.random.default_rng(23)
    a32 = rng.standard_normal(100_000).astype(np.float32)
    b32 = rng.standard_normal(100_000).astype(np.float32)
    a64, b64 = a32.astype(np.float64), b32.astype(np.float64)
    assert ml.smooth_l1(a32, b32, beta=0.5) == ml.smooth_l1(a64, b64, beta=0.5)
    assert ml.pinball(a32, b32, alpha=0.2) == ml.pinball(a64, b64, alpha=0.2)


# ------------------------------------------------------------ property tests
VALUE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False).map(
    lambda x: 0.0 if abs(x) < 1e-100 else x
)
POSITIVE = st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False)
LEVEL = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def targets(draw, max_n=30):
    """(y_true, y_pred, sample_weight) of a shared shape; weights None or valid."""
    n = draw(st.integers(1, max_n))
    k = draw(st.sampled_from([None, 1, 3]))
    shape = (n,) if k is None else (n, k)
    y_true = draw(arrays(np.float64, shape, elements=VALUE))
    other = draw(arrays(np.float64, shape, elements=VALUE))
    same = draw(arrays(np.bool_, shape))
    w = None
    if draw(st.booleans()):
        w = draw(arrays(np.float64, n, elements=st.floats(0, 10, allow_subnormal=False)))
        w = w if w.sum() > 0 else w + 1.0
    return y_true, np.where(same, y_true, other), w


def close(a, b, rtol=RTOL, atol=8 * 2.0**-1074):
    # a result in the subnormal range has an absolute precision of 2**-1074: a few steps
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@given(targets(), POSITIVE)
def test_huber_is_delta_times_smooth_l1(case, delta):
    y_true, y_pred, w = case
    h = ml.huber(y_true, y_pred, delta=delta, sample_weight=w, multioutput="raw_values")
    s = ml.smooth_l1(y_true, y_pred, beta=delta, sample_weight=w, multioutput="raw_values")
    close(h, delta * s)


@given(targets(), POSITIVE)
def test_smooth_l1_between_mae_minus_half_beta_and_mae(case, beta):
    # |e| - beta/2 <= S_beta(e) <= |e| term by term, so S_beta -> MAE as beta -> 0
    y_true, y_pred, w = case
    s = ml.smooth_l1(y_true, y_pred, beta=beta, sample_weight=w, multioutput="raw_values")
    m = ml.mae(y_true, y_pred, sample_weight=w, multioutput="raw_values")
    assert np.all(s <= m * (1 + RTOL))
    assert np.all(s >= (m - beta / 2) - RTOL * m)


@given(targets(), st.floats(1.0, 100.0))
def test_smooth_l1_is_mse_over_two_beta_for_large_beta(case, factor):
    y_true, y_pred, w = case
    largest = float(np.max(np.abs(y_true - y_pred)))
    beta = factor * largest * 1.01 if largest > 0 else factor
    close(ml.smooth_l1(y_true, y_pred, beta=beta, sample_weight=w, multioutput="raw_values"),
          ml.mse(y_true, y_pred, sample_weight=w, multioutput="raw_values") / (2 * beta))


@given(targets(), POSITIVE, st.integers(-8, 8))
def test_units_smooth_l1_scales_by_a_huber_by_a_squared(case, size, exponent):
    # powers of two scale exactly: S_{a b}(a e) = a S_b(e) but L_{a d}(a e) = a^2 L_d(e)
    y_true, y_pred, w = case
    a = 2.0**exponent
    s = ml.smooth_l1(y_true, y_pred, beta=size, sample_weight=w)
    h = ml.huber(y_true, y_pred, delta=size, sample_weight=w)
    # a subnormal result is rounded to 2**-1074: scaled by a (or a**2), so is that error
    tiny = 4 * 2.0**-1074
    close(ml.smooth_l1(a * y_true, a * y_pred, beta=a * size, sample_weight=w), a * s,
          atol=tiny * max(a, 1.0))
    close(ml.huber(a * y_true, a * y_pred, delta=a * size, sample_weight=w), a * a * h,
          atol=tiny * max(a * a, 1.0))


@given(targets())
def test_pinball_at_one_half_is_half_the_mae(case):
    y_true, y_pred, w = case
    close(ml.pinball(y_true, y_pred, alpha=0.5, sample_weight=w, multioutput="raw_values"),
          ml.mae(y_true, y_pred, sample_weight=w, multioutput="raw_values") / 2)


@given(targets(), LEVEL)
def test_pinball_swap_is_one_minus_alpha_and_pair_sums_to_mae(case, alpha):
    y_true, y_pred, w = case
    p = ml.pinball(y_true, y_pred, alpha=alpha, sample_weight=w, multioutput="raw_values")
    q = ml.pinball(y_pred, y_true, alpha=1 - alpha, sample_weight=w, multioutput="raw_values")
    m = ml.mae(y_true, y_pred, sample_weight=w, multioutput="raw_values")
    # 1 - (1 - alpha) differs from alpha by one rounding: relative 1e-16 of the larger part
    close(p, q, rtol=RTOL, atol=1e-15 * float(np.max(m)))
    r = ml.pinball(y_true, y_pred, alpha=1 - alpha, sample_weight=w, multioutput="raw_values")
    close(p + r, m, rtol=RTOL, atol=1e-15 * float(np.max(m)))
    assert np.all(p >= 0)


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=25), LEVEL)
def test_pinball_minimised_by_the_alpha_quantile(values, alpha):
    # the mean pinball loss of a constant is piecewise linear and convex, with its
    # kinks at the data: its minimum over the reals is attained at a data point
    y = np.asarray(values, dtype=np.float64)
    q = float(np.quantile(y, alpha, method="inverted_cdf"))  # smallest y with F(y) >= alpha

    def loss(c):
        return ml.pinball(y, np.full(y.size, c), alpha=alpha)

    best = min(loss(c) for c in np.unique(y))
    assert loss(q) <= best * (1 + RTOL) + 1e-12
    # the condition #{y < q} <= alpha n <= #{y <= q}, in exact arithmetic
    n, a = len(values), Fraction(alpha)
    assert sum(v < q for v in values) <= a * n <= sum(v <= q for v in values)


@given(targets(), POSITIVE)
# Found by hypothesis: a miss of 1e-96 with weight 1e-300 has an exact mean of 5e-493, below
# the smallest float64, so the right answer is 0 although the predictions differ.
@example((np.zeros(2), np.array([0.0, 1e-96]), np.array([1.0, 1e-300])), 1.0)
def test_smooth_l1_symmetric_and_zero_iff_equal(case, beta):
    y_true, y_pred, w = case
    assume(w is None or np.all(w > 0))
    a = ml.smooth_l1(y_true, y_pred, beta=beta, sample_weight=w, multioutput="raw_values")
    b = ml.smooth_l1(y_pred, y_true, beta=beta, sample_weight=w, multioutput="raw_values")
    np.testing.assert_array_equal(a, b)
    differs = np.any((y_true != y_pred).reshape(len(y_true), -1), axis=0)
    # Positive exactly where the exact mean is a positive float64: a mean below the smallest
    # subnormal (a tiny miss with a tiny weight, say) rounds to 0, and 0 is then right.
    exact = exact_mean(exact_smooth_l1(beta), y_true, y_pred, w)
    representable = np.array([float(value) > 0 for value in exact])
    assert np.all(representable <= differs)  # exact arithmetic: positive only if some miss
    np.testing.assert_array_equal(a > 0, representable)


# ------------------------------------------------------------------ bad inputs
V = [1.0, 2.0, 3.0, 4.0]
NAN, INF = float("nan"), float("inf")
BAD = [
    # (id, metric, args, kwargs, exception, message regex)
    ("beta-negative", ml.smooth_l1, (V, V), {"beta": -0.5}, ValueError,
     r"beta must be a finite number >= 0; got -0.5"),
    ("beta-nan", ml.smooth_l1, (V, V), {"beta": NAN}, ValueError,
     r"beta must be a finite number >= 0; got nan"),
    ("beta-inf", ml.smooth_l1, (V, V), {"beta": INF}, ValueError,
     r"beta must be a finite number >= 0; got inf"),
    ("beta-string", ml.smooth_l1, (V, V), {"beta": "1"}, TypeError,
     r"beta must be a real number >= 0; got str '1'\."),
    ("beta-bool", ml.smooth_l1, (V, V), {"beta": True}, TypeError,
     r"beta must be a real number.*got bool True"),
    ("beta-none", ml.smooth_l1, (V, V), {"beta": None}, TypeError,
     r"beta must be a real number.*got NoneType None"),
    ("alpha-above-one", ml.pinball, (V, V), {"alpha": 1.5}, ValueError,
     r"alpha must be a finite number in \[0, 1\] \(a quantile level\); got 1.5\.$"),
    ("alpha-negative", ml.pinball, (V, V), {"alpha": -0.1}, ValueError,
     r"alpha must be a finite number in \[0, 1\] \(a quantile level\); got -0.1\.$"),
    ("alpha-nan", ml.pinball, (V, V), {"alpha": NAN}, ValueError,
     r"alpha must be a finite number in \[0, 1\] \(a quantile level\); got nan\.$"),
    ("alpha-string", ml.pinball, (V, V), {"alpha": "0.5"}, TypeError,
     r"alpha must be a real number in \[0, 1\] \(a quantile level\); got str '0.5'"),
    ("alpha-bool", ml.pinball, (V, V), {"alpha": False}, TypeError,
     r"alpha must be a real number.*got bool False"),
    ("alpha-array", ml.pinball, (V, V), {"alpha": [0.1, 0.9]}, TypeError,
     r"alpha must be a real number.*got list \[0.1, 0.9\]"),
    ("shape-smooth_l1", ml.smooth_l1, (V, V[:3]), {}, ValueError,
     r"same shape.*different numbers of samples \(4 vs 3\)"),
    ("row-pinball", ml.pinball, ([V], V), {}, ValueError, r"same shape.*ravel"),
    ("nan-smooth_l1", ml.smooth_l1, ([1, NAN, 3, 4], V), {}, ValueError,
     r"y_true contains NaN at index 1 \(1 non-finite value\); expected finite"),
    ("inf-pinball", ml.pinball, (V, [1, 2, 3, -INF]), {}, ValueError,
     r"y_pred contains -inf at index 3"),
    ("weights-pinball", ml.pinball, (V, V), {"sample_weight": [1, -1, 1, 1]}, ValueError,
     r"sample_weight must be non-negative; got -1 at index 1"),
    ("multioutput-smooth_l1", ml.smooth_l1, (V, V), {"multioutput": "variance_weighted"},
     ValueError, r"only defined for r2"),
    ("complex-pinball", ml.pinball, (np.array(V) + 1j, V), {}, TypeError,
     r"y_true must hold real numbers"),
    ("overflow-smooth_l1", ml.smooth_l1, ([1.7e308], [-1.7e308]), {}, ValueError,
     r"the sum of smooth L1 losses overflows float64: y_true, y_pred are finite"),
    ("overflow-pinball", ml.pinball, ([1.7e308], [-1.7e308]), {"alpha": 0.9}, ValueError,
     r"the sum of pinball losses overflows float64: y_true, y_pred are finite"),
]


@pytest.mark.parametrize(
    ("metric", "args", "kwargs", "exc", "message"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_input_is_refused_with_a_clear_message(metric, args, kwargs, exc, message):
    with pytest.raises(exc, match=message):
        metric(*args, **kwargs)
