"""Tests for mselib.classification: sigmoid, softmax, cross-entropies and their gradients.

Oracles, all independent of the code under test: values in 50-digit arithmetic
(``mpmath``, a dependency of SymPy) for the functions themselves and at extreme
logits, analytic limits, scikit-learn's ``log_loss`` on probabilities where those
are not clipped, and central differences (``mselib.numerical_gradient``) for the
gradients. Property tests (hypothesis) check the identities chapter 6 uses.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import log_loss

import mselib as ml

mpmath.mp.dps = 50
# Overflow, NaN or division by zero raise; underflow to 0 is expected and correct.
STRICT = {"over": "raise", "invalid": "raise", "divide": "raise"}
TINY = 1e-300  # below this an exact value may round to a subnormal or to 0

# Target probabilities k / 1024: 1 - y is exact, so relabelling loses nothing.
SOFT_LABEL = st.integers(0, 1024).map(lambda k: k / 1024)
LOGIT = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, allow_subnormal=False)
MODERATE = st.floats(-30, 30, allow_nan=False, allow_infinity=False, allow_subnormal=False)


# ------------------------------------------------------------------ exact oracles (mpmath)
def mp_sigmoid(z):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(float(z))))


def mp_bce(y, z):
    """Mean of -y log s(z) - (1 - y) log(1 - s(z)) in 50 digits, s = sigmoid."""
    total = mpmath.mpf(0)
    for yi, zi in zip(y, z, strict=True):
        zi = mpmath.mpf(float(zi))
        yi = mpmath.mpf(float(yi))
        total += yi * mpmath.log1p(mpmath.exp(-zi)) + (1 - yi) * mpmath.log1p(mpmath.exp(zi))
    return total / len(y)


def mp_softmax_ce(labels, logits):
    total = mpmath.mpf(0)
    for c, row in zip(labels, logits, strict=True):
        row = [mpmath.mpf(float(v)) for v in row]
        total += mpmath.log(mpmath.fsum(mpmath.exp(v) for v in row)) - row[int(c)]
    return total / len(labels)


def close(actual, exact, rtol):
    """``actual`` within ``rtol`` of an mpmath value (or both below TINY in magnitude)."""
    exact = float(exact)
    if abs(exact) < TINY:
        return abs(actual) < TINY
    return abs(actual - exact) <= rtol * abs(exact)


# ----------------------------------------------------------------------------- sigmoid
@pytest.mark.parametrize(
    "z", [-1000.0, -745.5, -700.0, -40.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 37.0, 40.0, 1000.0]
)
def test_sigmoid_against_mpmath(z):
    # Correct to a few ulps, including where exp(-z) would overflow (z = -1000).
    assert close(ml.sigmoid(z), mp_sigmoid(z), rtol=4e-16)


def test_sigmoid_limits_and_shapes():
    with np.errstate(**STRICT):  # no warning
        p = ml.sigmoid(np.array([-1000.0, 1000.0]))
    assert p.tolist() == [0.0, 1.0]
    assert ml.sigmoid(0) == 0.5 and isinstance(ml.sigmoid(0), float)
    assert ml.sigmoid(np.zeros((2, 3), dtype=np.float32)).shape == (2, 3)
    assert ml.sigmoid(np.zeros((2, 3), dtype=np.float32)).dtype == np.float64
    assert ml.sigmoid([]).shape == (0,)


@given(arrays(np.float64, st.integers(1, 20), elements=LOGIT))
def test_sigmoid_properties(z):
    p, q = ml.sigmoid(z), ml.sigmoid(-z)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p + q, 1.0, rtol=0, atol=2.3e-16)  # sigma(-z) = 1 - sigma(z)
    order = np.argsort(z, kind="stable")
    assert np.all(np.diff(p[order]) >= 0)  # monotone


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (np.nan, ValueError, r"z is nan; expected a finite number"),
        ([0.0, np.inf], ValueError, r"z contains \+inf at index 1"),
        ([True, False], TypeError, r"z must hold real numbers.*bool"),
        ("1.0", TypeError, r"z must hold real numbers"),
        ([1 + 2j], TypeError, r"complex"),
    ],
)
def test_sigmoid_bad_input(bad, error, message):
    with pytest.raises(error, match=message):
        ml.sigmoid(bad)


# ----------------------------------------------------------------------------- softmax
def test_softmax_against_mpmath_and_extremes():
    logits = [[1.0, 2.0, 3.0], [-1000.0, 1000.0, 0.0], [1e300, -1e300, 0.0]]
    with np.errstate(**STRICT):
        p = ml.softmax(logits)
    for row, prow in zip(logits, p, strict=True):
        denominator = mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in row)
        for v, pv in zip(row, prow, strict=True):
            assert close(pv, mpmath.exp(mpmath.mpf(v)) / denominator, rtol=1e-15)
    assert p[1].tolist() == [0.0, 1.0, 0.0]


@given(
    arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 5)), elements=MODERATE),
    st.floats(-100, 100),
)
def test_softmax_properties(z, shift):
    p = ml.softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    # adding a constant to every logit of a row changes nothing (up to rounding of z + shift)
    np.testing.assert_allclose(ml.softmax(z + shift), p, rtol=1e-12, atol=1e-300)


# ------------------------------------------------------------- binary cross-entropy: values
@pytest.mark.parametrize(
    ("y", "z", "limit"),
    [
        (1, -1000.0, 1000.0),  # confidently wrong: -log sigma(-1000) = 1000 + log1p(e^-1000)
        (0, 1000.0, 1000.0),
        (1, 1000.0, 0.0),  # confidently right: e^-1000 underflows; 0.0 is correctly rounded
        (0, -1000.0, 0.0),
        (1, -1e300, 1e300),
    ],
)
def test_bce_at_extreme_logits(y, z, limit):
    with np.errstate(**STRICT):
        value = ml.binary_cross_entropy([y], [z])
        grad = ml.binary_cross_entropy_grad([y], [z])
    assert value == limit
    assert close(value, mp_bce([y], [z]), rtol=1e-15)
    # the gradient p - y tends to -1 (y = 1) or +1 (y = 0) when wrong, to 0 when right
    expected = 0.0 if limit == 0 else (-1.0 if y == 1 else 1.0)
    assert abs(grad[0] - expected) < 1e-300 or grad[0] == expected


def test_bce_small_losses_keep_their_digits():
    # Confidently right: the loss is about e^-|z|. The form softplus(z) - y z gives 0 here.
    z = np.array([20.0, 40.0, 300.0, 700.0])
    for zi in z:
        assert close(ml.binary_cross_entropy([1], [zi]), mp_bce([1], [zi]), rtol=4e-16)
        assert close(ml.binary_cross_entropy([0], [-zi]), mp_bce([0], [-zi]), rtol=4e-16)
        g = ml.binary_cross_entropy_grad([1], [zi])[0]
        assert close(g, -mp_sigmoid(-zi), rtol=4e-16)  # sigma(z) - 1, not rounded to 0


def test_bce_against_mpmath_random():
    rng = np.random.default_rng(61)
    for size in (1, 7, 50):
        z = rng.normal(scale=rng.choice([0.1, 3.0, 100.0]), size=size)
        y = rng.integers(0, 2, size=size)
        assert close(ml.binary_cross_entropy(y, z), mp_bce(y, z), rtol=1e-14)
        soft = rng.uniform(0, 1, size=size)  # target probabilities (soft labels)
        assert close(ml.binary_cross_entropy(soft, z), mp_bce(soft, z), rtol=1e-12)


def test_bce_matches_sklearn_log_loss_where_finite():
    rng = np.random.default_rng(62)
    for size in (2, 30, 1000):
        z = rng.normal(scale=5.0, size=size)
        y = rng.integers(0, 2, size=size)
        weights = rng.uniform(0, 2, size=size)
        p = 1 / (1 + np.exp(-z))  # |z| < 36 here, so log_loss does not clip p
        assert np.max(np.abs(z)) < 30
        expected = log_loss(y, p, labels=[0, 1])
        assert math.isclose(ml.binary_cross_entropy(y, z), expected, rel_tol=1e-12)
        expected_w = log_loss(y, p, labels=[0, 1], sample_weight=weights)
        got_w = ml.binary_cross_entropy(y, z, sample_weight=weights)
        assert math.isclose(got_w, expected_w, rel_tol=1e-12)


def test_bce_weights_are_repetitions():
    z = np.array([-2.0, 0.5, 3.0])
    y = np.array([1, 0, 1])
    repeated = ml.binary_cross_entropy(np.repeat(y, [2, 0, 3]), np.repeat(z, [2, 0, 3]))
    weighted = ml.binary_cross_entropy(y, z, sample_weight=[2, 0, 3])
    assert math.isclose(weighted, repeated, rel_tol=1e-15)
    # scaling all weights by a power of two changes nothing, even at the edge of float64
    tiny = ml.binary_cross_entropy(y, z, sample_weight=np.array([2, 0, 3]) * 2.0**-1000)
    assert tiny == weighted


@given(
    st.integers(1, 20).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=LOGIT),
            arrays(np.float64, n, elements=SOFT_LABEL),
        )
    )
)
def test_bce_properties(args):
    z, y = args
    value = ml.binary_cross_entropy(y, z)
    assert math.isfinite(value) and value >= 0
    # bounded by the largest |z| plus log 2: the loss grows at most linearly in the logit
    assert value <= np.max(np.abs(z)) + math.log(2) + 1e-12
    # relabelling: swapping the classes and negating the logits gives the same loss
    assert math.isclose(ml.binary_cross_entropy(1 - y, -z), value, rel_tol=1e-12, abs_tol=1e-300)


@given(st.integers(1, 20).flatmap(lambda n: arrays(np.float64, n, elements=LOGIT)))
def test_bce_hard_labels_agree_with_two_class_softmax(z):
    # K = 2 with logits (0, z): softmax gives class 1 the probability sigma(z).
    y = (np.arange(z.size) % 2).astype(int)
    two_class = np.column_stack([np.zeros_like(z), z])
    assert math.isclose(
        ml.softmax_cross_entropy(y, two_class),
        ml.binary_cross_entropy(y, z),
        rel_tol=1e-12,
        abs_tol=1e-300,
    )
    g2 = ml.softmax_cross_entropy_grad(y, two_class)
    np.testing.assert_allclose(g2[:, 1], ml.binary_cross_entropy_grad(y, z), rtol=1e-12, atol=0)


# ---------------------------------------------------------- binary cross-entropy: gradient
def test_bce_grad_against_central_differences():
    rng = np.random.default_rng(63)
    for size, weighted in ((1, False), (5, False), (8, True)):
        z = rng.normal(scale=3.0, size=size)
        y = rng.uniform(0, 1, size=size)
        w = rng.uniform(0, 2, size=size) if weighted else None
        numeric = ml.numerical_gradient(
            lambda v, y=y, w=w: ml.binary_cross_entropy(y, v, sample_weight=w), z
        )
        analytic = ml.binary_cross_entropy_grad(y, z, sample_weight=w)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-10)


def test_bce_grad_is_p_minus_y_over_n():
    rng = np.random.default_rng(64)
    z = rng.normal(scale=10.0, size=12)
    y = rng.integers(0, 2, size=12)
    exact = [(mp_sigmoid(zi) - int(yi)) / 12 for zi, yi in zip(z, y, strict=True)]
    grad = ml.binary_cross_entropy_grad(y, z)
    for g, e in zip(grad, exact, strict=True):
        assert close(g, e, rtol=1e-15)


@given(
    st.integers(1, 20).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=LOGIT),
            arrays(np.float64, n, elements=st.floats(0, 1)),
        )
    )
)
def test_bce_grad_properties(args):
    z, y = args
    g = ml.binary_cross_entropy_grad(y, z)
    n = z.size
    assert np.all(np.abs(g) <= 1 / n * (1 + 1e-15))
    # the sign says which way to move the logit: down where p > y, up where p < y
    p = ml.sigmoid(z)
    assert np.all(np.sign(g)[np.abs(p - y) > 1e-12] == np.sign(p - y)[np.abs(p - y) > 1e-12])


# ---------------------------------------------------------------- softmax cross-entropy
def test_softmax_ce_at_extreme_logits():
    logits = [[-1000.0, 1000.0, 0.0], [1000.0, -1000.0, 0.0], [0.0, 0.0, 0.0]]
    with np.errstate(**STRICT):
        values = [ml.softmax_cross_entropy([0], [row]) for row in logits]
        grads = [ml.softmax_cross_entropy_grad([0], [row]) for row in logits]
    assert values[0] == 2000.0 and values[1] == 0.0  # analytic limits
    assert close(values[2], mpmath.log(3), rtol=1e-15)
    for row, value in zip(logits, values, strict=True):
        assert close(value, mp_softmax_ce([0], [row]), rtol=1e-15)
    assert grads[0].tolist() == [[-1.0, 1.0, 0.0]]  # p - e_y with p = (0, 1, 0)
    assert grads[1].tolist() == [[-0.0, 0.0, 0.0]] or np.all(np.abs(grads[1]) < 1e-300)


def test_softmax_ce_small_losses_keep_their_digits():
    # Confidently right: the loss is log1p(sum of e^-margin), tiny; log(1 + tiny) would lose it.
    for row in ([11.0, 0.0], [40.0, 0.0, 0.0], [700.0, 0.0, 650.0]):
        value = ml.softmax_cross_entropy([0], [row])
        assert value > 0
        assert close(value, mp_softmax_ce([0], [row]), rtol=1e-15)


def test_softmax_ce_against_mpmath_and_sklearn():
    rng = np.random.default_rng(65)
    for n, k in ((1, 2), (6, 3), (40, 5)):
        z = rng.normal(scale=4.0, size=(n, k))
        labels = rng.integers(0, k, size=n)
        value = ml.softmax_cross_entropy(labels, z)
        assert close(value, mp_softmax_ce(labels, z), rtol=1e-13)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # moderate logits: no clipping
        assert math.isclose(value, log_loss(labels, p, labels=range(k)), rel_tol=1e-12)
        w = rng.uniform(0, 2, size=n)
        assert math.isclose(
            ml.softmax_cross_entropy(labels, z, sample_weight=w),
            log_loss(labels, p, labels=range(k), sample_weight=w),
            rel_tol=1e-12,
        )


def test_softmax_ce_grad_against_central_differences():
    rng = np.random.default_rng(66)
    for n, k, weighted in ((1, 3, False), (4, 3, False), (5, 4, True)):
        z = rng.normal(scale=2.0, size=(n, k))
        labels = rng.integers(0, k, size=n)
        w = rng.uniform(0, 2, size=n) if weighted else None

        def loss(flat, labels=labels, w=w, n=n, k=k):
            return ml.softmax_cross_entropy(labels, flat.reshape(n, k), sample_weight=w)

        numeric = ml.numerical_gradient(loss, z.ravel()).reshape(n, k)
        analytic = ml.softmax_cross_entropy_grad(labels, z, sample_weight=w)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-10)


def test_softmax_ce_grad_is_p_minus_onehot_and_keeps_digits():
    z = np.array([[40.0, 0.0, 0.0], [2.0, -1.0, 0.5]])
    labels = np.array([0, 2])
    grad = ml.softmax_cross_entropy_grad(labels, z)
    for i, (row, c) in enumerate(zip(z, labels, strict=True)):
        denominator = mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in row)
        for k, v in enumerate(row):
            exact = (mpmath.exp(mpmath.mpf(v)) / denominator - (k == c)) / 2
            assert close(grad[i, k], exact, rtol=1e-14)
    assert grad[0, 0] < 0  # about -4.2e-18, where p_y - 1 would round to 0


@given(
    arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=LOGIT),
    st.data(),
)
def test_softmax_ce_properties(z, data):
    n, k = z.shape
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    value = ml.softmax_cross_entropy(labels, z)
    assert math.isfinite(value) and value >= 0
    spread = np.max(z.max(axis=1) - z.min(axis=1))
    assert value <= spread + math.log(k) + 1e-9
    g = ml.softmax_cross_entropy_grad(labels, z)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, rtol=0, atol=4e-16)
    assert np.all(g[np.arange(n), labels] <= 0)  # the true class's logit is always pushed up
    assert np.all(np.abs(g) <= 1 / n * (1 + 1e-15))


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("fn", [ml.binary_cross_entropy, ml.binary_cross_entropy_grad])
@pytest.mark.parametrize(
    ("y", "z", "kw", "error", "message"),
    [
        ([1, 0], [0.0], {}, ValueError, r"y_true must have shape \(1,\).*got shape \(2,\)"),
        ([1], [[0.0]], {}, ValueError, r"logits must be 1-D.*ravel logits"),
        ([[1], [0]], [0.0, 1.0], {}, ValueError, r"y_true must be 1-D.*ravel y_true"),
        ([0.5, 2.0], [0.0, 0.0], {}, ValueError, r"y_true must hold labels.*2\.0 at index 1"),
        ([-0.1], [0.0], {}, ValueError, r"in \[0, 1\]; got -0\.1 at index 0"),
        ([np.nan], [0.0], {}, ValueError, r"y_true contains NaN"),
        ([1], [np.inf], {}, ValueError, r"logits contains \+inf"),
        ([True], [0.0], {}, TypeError, r"y_true must hold real numbers.*bool"),
        ([1], ["a"], {}, TypeError, r"logits must hold real numbers"),
        ([], [], {}, ValueError, r"logits is empty"),
        ([1, 0], [0.0, 0.0], {"sample_weight": [1.0]}, ValueError, r"sample_weight must be 1-D"),
        ([1, 0], [0.0, 0.0], {"sample_weight": [1, -1]}, ValueError, r"non-negative"),
        ([1, 0], [0.0, 0.0], {"sample_weight": [0, 0]}, ValueError, r"sums to zero"),
    ],
)
def test_binary_bad_input(fn, y, z, kw, error, message):
    with pytest.raises(error, match=message):
        fn(y, z, **kw)


@pytest.mark.parametrize("fn", [ml.softmax_cross_entropy, ml.softmax_cross_entropy_grad])
@pytest.mark.parametrize(
    ("y", "z", "error", "message"),
    [
        ([[1, 0]], [[0.0, 1.0]], ValueError, r"looks one-hot.*argmax\(axis=1\)"),
        ([1.0], [[0.0, 1.0]], TypeError, r"integer class labels.*float64.*dtype=int"),
        ([2], [[0.0, 1.0]], ValueError, r"class labels in 0, \.\.\., 1.*got 2 at index 0"),
        ([-1], [[0.0, 1.0]], ValueError, r"got -1 at index 0"),
        ([0, 1], [[0.0, 1.0]], ValueError, r"one class label per row of logits, shape \(1,\)"),
        ([0], [0.0, 1.0], ValueError, r"logits must be 2-D.*For one sample pass one row"),
        ([0], [[1.0]], ValueError, r"at least 2 columns"),
        ([0], np.zeros((0, 3)), ValueError, r"logits is empty"),
        ([0], [[0.0, np.nan]], ValueError, r"logits contains NaN at index \(0, 1\)"),
        ([True], [[0.0, 1.0]], TypeError, r"y_true must hold real numbers.*bool"),
    ],
)
def test_softmax_bad_input(fn, y, z, error, message):
    with pytest.raises(error, match=message):
        fn(y, z)


def test_softmax_ce_overflow_is_reported():
    # The exact loss here is 2e308, beyond float64: an error, not inf.
    with pytest.raises(ValueError, match=r"softmax cross-entropy overflows float64"):
        ml.softmax_cross_entropy([1], [[1e308, -1e308]])


def test_softmax_bad_logits():
    with pytest.raises(ValueError, match=r"logits must be 2-D"):
        ml.softmax([1.0, 2.0])
    with pytest.raises(TypeError, match=r"logits must hold real numbers"):
        ml.softmax([["a", "b"]])
