"""Property tests (hypothesis) for mselib.metrics: the identities the book states.

Most values are bounded floats in [-1e6, 1e6] with no NaN, inf or subnormals, and
nonzero magnitudes of at least 1e-100, so squares of distinct values' differences
never underflow to zero. Tolerances are relative and stated per property. The last
section spans the whole float64 range instead, against exact rational oracles.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mselib.classification import binary_cross_entropy, binary_cross_entropy_grad
from mselib.gradients import mse_grad
from mselib.metrics import huber, mae, mse, nmse, pinball, r2, rmse, smooth_l1
from mselib.streaming import RegressionAccumulator

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


# ------------------------------------------- weights and errors across the float64 range
# Every weighted result is checked against an exact oracle: fractions.Fraction on the float
# inputs, rounded to float64 once. Weights and errors each span 1e-320 .. 1e300, so a weight
# may be 1e320 times another: a uniform rescaling of the weights (which turns the tiny one
# into 0) or a product w * e**2 formed in float64 (which overflows or underflows) fails.

MAGNITUDE = st.one_of(st.just(0.0), st.floats(1e-320, 1e300))
SIGNED = st.builds(lambda m, s: m * s, MAGNITUDE, st.sampled_from([1.0, -1.0]))
BIGGEST = Fraction(np.finfo(np.float64).max)


@st.composite
def wide_rows(draw, min_size=1):
    """(y_true, y_pred, sample_weight) lists whose values and weights span the float64 range."""
    rows = draw(st.lists(st.tuples(SIGNED, SIGNED, MAGNITUDE), min_size=min_size, max_size=6))
    weights = [r[2] for r in rows]
    assume(sum(weights) > 0)
    return [r[0] for r in rows], [r[1] for r in rows], weights


def exact_loss(kind, error, param):
    if kind == "sq":
        return error * error
    if kind == "abs":
        return abs(error)
    if kind == "huber":
        return error * error / 2 if abs(error) <= param else param * (abs(error) - param / 2)
    if kind == "smooth_l1":
        return error * error / (2 * param) if abs(error) < param else abs(error) - param / 2
    return param * error if error > 0 else (param - 1) * error  # pinball


def exact_weighted_mean(kind, y_true, y_pred, w, param=Fraction(1)):
    total = sum(map(Fraction, w))
    terms = (
        Fraction(wi) * exact_loss(kind, Fraction(t) - Fraction(p), param)
        for t, p, wi in zip(y_true, y_pred, w, strict=True)
    )
    return sum(terms) / total


def exact_sqrt(q):
    """The square root of a non-negative Fraction, to about 120 bits."""
    if q == 0:
        return Fraction(0)
    shift = (120 - (q.numerator.bit_length() - q.denominator.bit_length())) // 2
    scaled = q * Fraction(4) ** shift
    return Fraction(math.isqrt(scaled.numerator // scaled.denominator)) / Fraction(2) ** shift


def assert_float64_of(got, exact, label, rtol=1e-13):
    """``got`` is ``exact`` rounded to float64, to a few ulps (a few subnormal steps below)."""
    if abs(exact) > BIGGEST:  # beyond float64: the metric must have refused (not checked here)
        return
    want = float(exact)
    assert abs(got - want) <= max(abs(want) * rtol, 8 * 2.0**-1074), (label, got, want)


WIDE_METRICS = [
    ("sq", mse, {}, Fraction(1)),
    ("abs", mae, {}, Fraction(1)),
    ("huber", huber, {"delta": 2.5}, Fraction(2.5)),
    ("smooth_l1", smooth_l1, {"beta": 1e-3}, Fraction(1e-3)),
    ("pinball", pinball, {"alpha": 0.3}, Fraction(0.3)),
]


def test_a_tiny_weight_next_to_a_huge_one_keeps_its_term():
    # The example: 1e-310 * 1e200 / (1e20 + 1e-310) = 1e-130, not 0.
    exact = Fraction(1e-310) * Fraction(1e100) ** 2 / (Fraction(1e20) + Fraction(1e-310))
    got = mse([1e100, 0.0], [0.0, 0.0], sample_weight=[1e-310, 1e20])
    assert got == pytest.approx(float(exact), rel=4e-16) and got == pytest.approx(1e-130)
    assert rmse([1e100, 0.0], [0.0, 0.0], sample_weight=[1e-310, 1e20]) == pytest.approx(
        float(exact_sqrt(exact)), rel=4e-16
    )
    assert mae([1e100, 0.0], [0.0, 0.0], sample_weight=[1e-310, 1e20]) == pytest.approx(
        1e-230, rel=4e-16
    )
    acc = RegressionAccumulator().update([1e100], [0.0], sample_weight=[1e-310])
    acc.update([0.0], [0.0], sample_weight=[1e20])
    assert acc.mse() == pytest.approx(float(exact), rel=4e-16)
    grad = mse_grad([1e100, 0.0], [0.0, 0.0], sample_weight=[1e-310, 1e20])
    assert grad[0] == pytest.approx(-2 * 1e-310 * 1e100 / 1e20, rel=4e-16)


@given(wide_rows())
def test_weighted_metrics_across_the_float64_range(case):
    y_true, y_pred, w = case
    for kind, metric, options, param in WIDE_METRICS:
        exact = exact_weighted_mean(kind, y_true, y_pred, w, param)
        try:
            got = metric(y_true, y_pred, sample_weight=w, **options)
        except ValueError as error:  # only when the exact value is beyond float64
            assert "overflows float64" in str(error) and abs(exact) > BIGGEST / 2, (kind, error)
            continue
        assert_float64_of(got, exact, kind)
        if kind == "sq":
            assert_float64_of(rmse(y_true, y_pred, sample_weight=w), exact_sqrt(exact), "rmse")


@given(wide_rows(min_size=2))
def test_weighted_nmse_and_r2_across_the_float64_range(case):
    y_true, y_pred, w = case
    # Data: y_true of normal magnitude (a mean of subnormals rounds on the subnormal grid).
    assume(all(y == 0 or abs(y) > 1e-290 for y in y_true))
    total = sum(map(Fraction, w))
    mean = sum(Fraction(wi) * Fraction(y) for wi, y in zip(w, y_true, strict=True)) / total
    sst = sum(Fraction(wi) * (Fraction(y) - mean) ** 2 for wi, y in zip(w, y_true, strict=True))
    positive = {y for y, wi in zip(y_true, w, strict=True) if wi > 0}
    assume(sst > 0 and len(positive) > 1)
    assume(mean == 0 or mean * mean * total / sst < 1e6)  # the rounded mean costs no digits
    exact = exact_weighted_mean("sq", y_true, y_pred, w) * total / sst
    try:
        got = nmse(y_true, y_pred, sample_weight=w)
    except ValueError as error:  # beyond float64, or a variance below it
        assert "overflows float64" in str(error) or "underflows" in str(error), error
        return
    assert_float64_of(got, exact, "nmse", rtol=1e-10)
    r2_error = abs(r2(y_true, y_pred, sample_weight=w) - float(1 - exact))
    assert r2_error <= 1e-10 * max(1.0, float(exact)), ("r2", r2_error)  # 1 - NMSE cancels
    acc = RegressionAccumulator()
    for i in range(len(w)):  # one chunk per sample: every merge meets the range
        acc.update(y_true[i : i + 1], y_pred[i : i + 1], sample_weight=w[i : i + 1])
    assert_float64_of(acc.nmse(), exact, "accumulator nmse", rtol=1e-9)
    for name, kind in (("mse", "sq"), ("mae", "abs")):
        exact = exact_weighted_mean(kind, y_true, y_pred, w)
        try:
            value = getattr(acc, name)()
        except ValueError as error:  # only when the exact value is beyond float64
            assert "overflows float64" in str(error) and abs(exact) > BIGGEST / 2, error
            continue
        assert_float64_of(value, exact, f"accumulator {name}")


@given(wide_rows())
def test_weighted_gradient_and_cross_entropy_across_the_float64_range(case):
    y_true, y_pred, w = case
    total = sum(map(Fraction, w))
    try:
        grad = mse_grad(y_true, y_pred, sample_weight=w)
    except ValueError as error:  # p - t itself overflows
        assert "overflows float64" in str(error)
    else:
        for i, (t, p, wi) in enumerate(zip(y_true, y_pred, w, strict=True)):
            exact = 2 * Fraction(wi) * (Fraction(p) - Fraction(t)) / total
            assert_float64_of(grad[i], exact, f"mse_grad[{i}]", rtol=1e-15)
    # classification: logits across the range, labels 0/1; per-sample losses are exact inputs
    logits = [max(min(v, 1e300), -1e300) for v in y_pred]
    labels = [1.0 if v > 0 else 0.0 for v in y_true]
    losses = [binary_cross_entropy([y], [z]) for y, z in zip(labels, logits, strict=True)]
    exact = sum(Fraction(wi) * Fraction(loss) for wi, loss in zip(w, losses, strict=True)) / total
    got = binary_cross_entropy(labels, logits, sample_weight=w)
    assert_float64_of(got, exact, "binary_cross_entropy", rtol=1e-14)
    grads = [binary_cross_entropy_grad([y], [z])[0] for y, z in zip(labels, logits, strict=True)]
    got_grad = binary_cross_entropy_grad(labels, logits, sample_weight=w)
    for i, (g, wi) in enumerate(zip(grads, w, strict=True)):
        assert_float64_of(got_grad[i], Fraction(wi) * Fraction(g) / total, f"bce_grad[{i}]",
                          rtol=1e-15)
