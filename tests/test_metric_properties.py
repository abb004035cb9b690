"""Property tests (hypothesis) for mselib.metrics: the identities the book states.

Values are bounded floats in [-1e6, 1e6] with no NaN, inf or subnormals, and
nonzero magnitudes of at least 1e-100, so squares of distinct values' differences
never underflow to zero. Tolerances are relative and stated per property.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mselib.metrics import huber, mae, mse, nmse, r2, rmse

RTOL = 1e-12  # sums in a different order differ by a few ulps per term
SYMMETRIC = [mse, rmse, mae, huber]
VALUE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False).map(
    lambda x: 0.0 if abs(x) < 1e-100 else x
)


@st.composite
def targets(draw, max_n=30, single=False):
    """(y_true, y_pred) of a shared shape; y_pred copies some entries of y_true."""
    n = draw(st.integers(1, max_n))
    k = None if single else draw(st.sampled_from([None, 1, 2, 3]))
    shape = (n,) if k is None else (n, k)
    y_true = draw(arrays(np.float64, shape, elements=VALUE))
    other = draw(arrays(np.float64, shape, elements=VALUE))
    same = draw(arrays(np.bool_, shape))
    return y_true, np.where(same, y_true, other)


@st.composite
def weighted(draw, single=False):
    """(y_true, y_pred, sample_weight) with weights None or non-negative with a positive sum."""
    y_true, y_pred = draw(targets(single=single))
    if draw(st.booleans()):
        return y_true, y_pred, None
    elements = st.floats(0, 10, allow_subnormal=False)
    w = draw(arrays(np.float64, len(y_true), elements=elements))
    return y_true, y_pred, (w if w.sum() > 0 else w + 1.0)


def columns(y):
    return y.reshape(y.shape[0], -1)


def well_conditioned(y_true, w=None):
    """Every output varies (with weights: visibly in float64), and its weighted variance
    is not swamped by its mean (condition number below 1e3)."""
    y = columns(y_true)
    mean = np.average(y, axis=0, weights=w)
    var = np.average((y - mean) ** 2, axis=0, weights=w)
    return bool(np.all(var > 1e-6 * (mean**2 + var)) and np.all(var > 1e-250))


def close(a, b, rtol=RTOL):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=0)


@given(targets())
def test_non_negative(yy):
    y_true, y_pred = yy
    for f in SYMMETRIC:
        assert np.all(f(y_true, y_pred, multioutput="raw_values") >= 0)
    if well_conditioned(y_true):
        assert np.all(nmse(y_true, y_pred, multioutput="raw_values") >= 0)
        assert np.all(r2(y_true, y_pred, multioutput="raw_values") <= 1)


@given(targets())
def test_zero_iff_equal(yy):
    y_true, y_pred = yy
    differs = np.any(columns(y_true) != columns(y_pred), axis=0)
    for f in SYMMETRIC:
        assert f(y_true, y_true) == 0.0
        raw = f(y_true, y_pred, multioutput="raw_values")
        np.testing.assert_array_equal(raw > 0, differs)
    if well_conditioned(y_true):
        assert nmse(y_true, y_true) == 0.0
        assert r2(y_true, y_true) == 1.0


@given(weighted())
def test_symmetric(case):
    y_true, y_pred, w = case
    for f in SYMMETRIC:  # e and -e have the same square and absolute value: exact
        a = f(y_true, y_pred, sample_weight=w, multioutput="raw_values")
        b = f(y_pred, y_true, sample_weight=w, multioutput="raw_values")
        np.testing.assert_array_equal(a, b)


@given(targets(), st.integers(-8, 8), st.sampled_from([1.0, -1.0]))
def test_scaling_by_powers_of_two(yy, exponent, sign):
    # powers of two scale every value exactly, so the identities hold to rounding
    y_true, y_pred = yy
    c = sign * 2.0**exponent
    close(mse(c * y_true, c * y_pred), c * c * mse(y_true, y_pred))
    close(rmse(c * y_true, c * y_pred), abs(c) * rmse(y_true, y_pred))
    close(mae(c * y_true, c * y_pred), abs(c) * mae(y_true, y_pred))


@given(
    st.integers(1, 30).flatmap(
        lambda n: st.tuples(*[arrays(np.int64, n, elements=st.integers(-1000, 1000))] * 2)
    ),
    st.integers(-50, 50),
)
def test_scaling_by_any_integer(yy, c):
    y_true, y_pred = (y.astype(np.float64) for y in yy)  # c * y is exact here
    close(mse(c * y_true, c * y_pred), c * c * mse(y_true, y_pred))
    close(rmse(c * y_true, c * y_pred), abs(c) * rmse(y_true, y_pred))
    close(mae(c * y_true, c * y_pred), abs(c) * mae(y_true, y_pred))


@given(weighted(single=True))
def test_rmse_squared_is_mse(case):
    y_true, y_pred, w = case
    close(rmse(y_true, y_pred, sample_weight=w) ** 2, mse(y_true, y_pred, sample_weight=w))


@given(weighted())
def test_r2_is_one_minus_nmse(case):
    y_true, y_pred, w = case
    assume(well_conditioned(y_true, w))
    n = nmse(y_true, y_pred, sample_weight=w, multioutput="raw_values")
    np.testing.assert_allclose(r2(y_true, y_pred, sample_weight=w, multioutput="raw_values"),
                               1 - n, rtol=RTOL, atol=RTOL)


@given(targets(max_n=15), st.data())
def test_integer_weights_equal_repeated_rows(yy, data):
    y_true, y_pred = yy
    n = len(y_true)
    w = data.draw(arrays(np.int64, n, elements=st.integers(0, 4)))
    assume(w.sum() > 0)
    rep_t, rep_p = np.repeat(y_true, w, axis=0), np.repeat(y_pred, w, axis=0)
    for f in SYMMETRIC:
        close(f(y_true, y_pred, sample_weight=w, multioutput="raw_values"),
              f(rep_t, rep_p, multioutput="raw_values"))
    if well_conditioned(rep_t):
        # the variance is computed around a mean rounded differently in the two
        # orders; with condition number below 1e3 that costs at most ~1e-10
        a = nmse(y_true, y_pred, sample_weight=w, multioutput="raw_values")
        b = nmse(rep_t, rep_p, multioutput="raw_values")
        close(a, b, rtol=1e-9)
        np.testing.assert_allclose(r2(y_true, y_pred, sample_weight=w, multioutput="raw_values"),
                                   r2(rep_t, rep_p, multioutput="raw_values"),
                                   rtol=0, atol=1e-9 * max(1.0, float(np.max(a))))


@given(weighted(), st.randoms(use_true_random=False))
def test_permutation_invariant(case, random):
    y_true, y_pred, w = case
    order = list(range(len(y_true)))
    random.shuffle(order)
    pw = None if w is None else w[order]
    for f in SYMMETRIC:
        close(f(y_true[order], y_pred[order], sample_weight=pw, multioutput="raw_values"),
              f(y_true, y_pred, sample_weight=w, multioutput="raw_values"))
    if well_conditioned(y_true, w):
        close(nmse(y_true[order], y_pred[order], sample_weight=pw, multioutput="raw_values"),
              nmse(y_true, y_pred, sample_weight=w, multioutput="raw_values"), rtol=1e-9)


@given(targets(), st.floats(1.0, 100.0))
def test_huber_is_half_mse_for_large_delta(yy, factor):
    y_true, y_pred = yy
    largest = float(np.max(np.abs(y_true - y_pred)))
    delta = factor * largest if largest > 0 else factor
    close(huber(y_true, y_pred, delta=delta, multioutput="raw_values"),
          mse(y_true, y_pred, multioutput="raw_values") / 2)


@given(targets(), st.floats(1e-3, 1e3))
def test_huber_bounded_by_mse_and_mae(yy, delta):
    # L(e) <= e^2 / 2 and L(e) <= delta |e|, term by term
    y_true, y_pred = yy
    h = huber(y_true, y_pred, delta=delta, multioutput="raw_values")
    assert np.all(h <= mse(y_true, y_pred, multioutput="raw_values") / 2 * (1 + RTOL))
    assert np.all(h <= delta * mae(y_true, y_pred, multioutput="raw_values") * (1 + RTOL))


@given(targets())
def test_mae_at_most_rmse(yy):
    y_true, y_pred = yy  # the power-mean inequality
    mae_raw = mae(y_true, y_pred, multioutput="raw_values")
    assert np.all(mae_raw <= rmse(y_true, y_pred, multioutput="raw_values") * (1 + RTOL))


@given(weighted(single=True))
def test_column_equals_vector(case):
    y_true, y_pred, w = case
    col_t, col_p = y_true.reshape(-1, 1), y_pred.reshape(-1, 1)
    for f in SYMMETRIC:
        assert f(col_t, col_p, sample_weight=w) == f(y_true, y_pred, sample_weight=w)
        assert f(col_t, y_pred, sample_weight=w) == f(y_true, col_p, sample_weight=w)
    if well_conditioned(y_true, w):
        assert r2(col_t, col_p, sample_weight=w) == r2(y_true, y_pred, sample_weight=w)


@given(targets())
def test_float32_input_equals_its_float64_values(yy):
    y32 = [y.astype(np.float32) for y in yy]
    y64 = [y.astype(np.float64) for y in y32]
    for f in SYMMETRIC:
        np.testing.assert_array_equal(f(*y32, multioutput="raw_values"),
                                      f(*y64, multioutput="raw_values"))


@given(targets(single=True))
def test_scalar_results_are_python_floats(yy):
    for f in SYMMETRIC:
        value = f(*yy)
        assert type(value) is float and math.isfinite(value)
