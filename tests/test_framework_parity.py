"""Parity of mselib with the real PyTorch and Keras on every convention of chapter 8.

Chapter 8 (``chapters/08_frameworks.ipynb``) prints every number with NumPy,
scikit-learn and mselib, and names the test here that proves PyTorch or Keras
returns the same number. PyTorch and Keras are an optional extra
(``requirements-frameworks.txt``); without it the framework tests are skipped with
the reason below, and the scikit-learn tests still run. CI installs the extra and
sets ``MSE_BOOK_REQUIRE_FRAMEWORKS=1``, which turns a missing framework into a
failure instead of a skip.

Keras 3 runs on the PyTorch backend (``KERAS_BACKEND=torch``), so no TensorFlow.
"""

from __future__ import annotations

import importlib
import math
import os
import warnings
from fractions import Fraction

import numpy as np
import pytest
from sklearn.metrics import mean_squared_error

import mselib as ml

# Keras reads its backend once, on its first import (in the fixture below).
os.environ.setdefault("KERAS_BACKEND", "torch")

SEED = 20260808
RTOL32 = 1e-5  # Keras reduces in float32 (see test_float32_inputs); conventions differ far more
REASON = (
    "{name} is not installed: it is part of the optional extra "
    "(pip install -r requirements-frameworks.txt; Keras runs with KERAS_BACKEND=torch)"
)
REQUIRED = os.environ.get("MSE_BOOK_REQUIRE_FRAMEWORKS") == "1"

Y = np.array([3.0, -0.5, 2.0, 7.0])  # the worked example of chapter 1
Y_HAT = np.array([2.5, 0.0, 2.0, 8.0])
Y2, Y2_HAT = Y.reshape(2, 2), Y_HAT.reshape(2, 2)  # the same numbers as a batch of two


def _framework(name: str):
    if REQUIRED:  # CI: the extra must be there, so an import error fails the test
        return importlib.import_module(name)
    return pytest.importorskip(name, reason=REASON.format(name=name))


@pytest.fixture(scope="module")
def torch():
    return _framework("torch")


@pytest.fixture(scope="module")
def keras(torch):
    module = _framework("keras")
    assert module.backend.backend() == "torch", "Keras must run on PyTorch: KERAS_BACKEND=torch"
    return module


# --- the conventions, reproduced with mselib (the same combinations as the chapter) ------------


def torch_convention(y_true, y_pred, reduction):
    """nn.MSELoss on equal shapes: the mean, the sum, or the elementwise squared errors."""
    t, p = np.asarray(y_true, float).reshape(-1), np.asarray(y_pred, float).reshape(-1)
    if reduction == "mean":
        return ml.mse(t, p)
    if reduction == "sum":
        return t.size * ml.mse(t, p)
    one_sample = ml.mse(t[None, :], p[None, :], multioutput="raw_values")
    return one_sample.reshape(np.shape(y_true))


def keras_per_sample(y_true, y_pred):
    """The mean over the last axis: samples become outputs after transposing."""
    return ml.mse(np.asarray(y_true).T, np.asarray(y_pred).T, multioutput="raw_values")


def keras_convention(y_true, y_pred, reduction="sum_over_batch_size", sample_weight=None):
    """keras.losses.MeanSquaredError on (B, d) targets."""
    per_sample = keras_per_sample(y_true, y_pred)
    w = np.ones(per_sample.size) if sample_weight is None else np.asarray(sample_weight, float)
    if reduction in ("none", None):
        return w * per_sample
    total = float(np.dot(w, per_sample))
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight":
        return total / float(w.sum())
    return total / per_sample.size  # "sum_over_batch_size" and its alias "mean"


# --- helpers that call the frameworks ---------------------------------------------------------


def run_torch(torch, y_true, y_pred, reduction="mean", dtype="float32", functional=False):
    t = torch.as_tensor(np.asarray(y_true), dtype=getattr(torch, dtype))
    p = torch.as_tensor(np.asarray(y_pred), dtype=getattr(torch, dtype))
    if functional:
        return torch.nn.functional.mse_loss(p, t, reduction=reduction).numpy()
    return torch.nn.MSELoss(reduction=reduction)(p, t).numpy()  # (input, target)


def run_keras(keras, y_true, y_pred, reduction="sum_over_batch_size", sample_weight=None,
              dtype=None):
    loss = keras.losses.MeanSquaredError(reduction=reduction, dtype=dtype)
    return loss(y_true, y_pred, sample_weight=sample_weight).detach().numpy()  # a torch tensor


def random_batch(shape, seed):
    rng = np.random.default_rng([SEED, seed, *shape])
    return rng.normal(size=shape), rng.normal(size=shape)


# --- exm-fw-classic -----------------------------------------------------------------------------


def test_classic_example(torch, keras):
    assert ml.mse(Y, Y_HAT) == 0.375
    # The seed article's calls: float32 tensors, and Keras on the 1-D and 2-D forms.
    torch_value = torch.nn.MSELoss()(torch.tensor(Y_HAT.tolist()), torch.tensor(Y.tolist()))
    assert torch_value.dtype == torch.float32 and torch_value.item() == 0.375
    for y_true, y_pred in ((Y.tolist(), Y_HAT.tolist()), (Y2.tolist(), Y2_HAT.tolist())):
        value = run_keras(keras, y_true, y_pred)
        assert value.dtype == np.float32 and float(value) == 0.375


# --- rem-fw-torch-reductions --------------------------------------------------------------------


@pytest.mark.parametrize("functional", [False, True], ids=["MSELoss", "mse_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_torch_reductions(torch, reduction, functional):
    # The example, exactly (float32 holds every value here), as a vector and as a 2 x 2 batch.
    for y_true, y_pred in ((Y, Y_HAT), (Y2, Y2_HAT)):
        got = run_torch(torch, y_true, y_pred, reduction, functional=functional)
        assert np.array_equal(got, torch_convention(y_true, y_pred, reduction))
    assert np.array_equal(run_torch(torch, Y, Y_HAT, "none"), [0.25, 0.25, 0.0, 1.0])
    assert run_torch(torch, Y, Y_HAT, "sum") == 1.5
    # Random data in float64, 1-D and 2-D.
    for k, shape in enumerate([(1,), (17,), (50, 3), (8, 1)]):
        y_true, y_pred = random_batch(shape, k)
        got = run_torch(torch, y_true, y_pred, reduction, dtype="float64", functional=functional)
        np.testing.assert_allclose(got, torch_convention(y_true, y_pred, reduction), rtol=1e-12)


# --- rem-fw-keras-reductions, thm-fw-keras-equal-rows ---------------------------------------------


@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "mean", "sum", "none", None, "mean_with_sample_weight"]
)
def test_keras_reductions(keras, reduction):
    got = run_keras(keras, Y2, Y2_HAT, reduction)
    assert np.array_equal(got, keras_convention(Y2, Y2_HAT, reduction))
    expected = {"sum": 0.75, "none": [0.25, 0.5], None: [0.25, 0.5]}.get(reduction, 0.375)
    assert np.array_equal(got, expected)
    for k, shape in enumerate([(50, 3), (1, 4), (6, 1), (7, 2)]):
        y_true, y_pred = random_batch(shape, k)
        got = run_keras(keras, y_true, y_pred, reduction)  # float32, see test_float32_inputs
        np.testing.assert_allclose(got, keras_convention(y_true, y_pred, reduction), rtol=RTOL32)


def test_keras_default_equals_the_overall_mean_on_rectangular_batches(torch, keras):
    y_true, y_pred = random_batch((50, 3), 99)
    reference = math.fsum(((y_true - y_pred) ** 2).ravel()) / y_true.size
    assert math.isclose(float(run_keras(keras, y_true, y_pred)), reference, rel_tol=RTOL32)
    torch_value = float(run_torch(torch, y_true, y_pred, dtype="float64"))
    for value in (torch_value, ml.mse(y_true, y_pred)):
        assert math.isclose(value, reference, rel_tol=1e-12)


def test_keras_vector_is_one_sample(keras):
    # A 1-D target is one sample with n outputs: one value, nothing left for the batch.
    assert np.array_equal(run_keras(keras, Y, Y_HAT, "none"), np.float32(0.375))
    assert np.array_equal(run_keras(keras, Y[:, None], Y_HAT[:, None], "none"), [0.25, 0.25, 0, 1])
    w = np.array([1.0, 1.0, 1.0, 0.0])
    # Weights of length n multiply the single value: the mean weight times the MSE ...
    assert float(run_keras(keras, Y, Y_HAT, sample_weight=w)) == ml.mse(Y, Y_HAT) * w.mean()
    assert float(run_keras(keras, Y, Y_HAT, sample_weight=w)) == 0.28125
    # ... and mean_with_sample_weight cancels them.
    assert float(run_keras(keras, Y, Y_HAT, "mean_with_sample_weight", w)) == ml.mse(Y, Y_HAT)
    # As a column, the weights weight the samples.
    col, col_hat = Y[:, None], Y_HAT[:, None]
    assert float(run_keras(keras, col, col_hat, sample_weight=w)) == keras_convention(
        col, col_hat, sample_weight=w
    )
    assert float(run_keras(keras, col, col_hat, sample_weight=w)) == 0.125
    weighted = float(run_keras(keras, col, col_hat, "mean_with_sample_weight", w))
    assert math.isclose(weighted, ml.mse(Y, Y_HAT, sample_weight=w), rel_tol=1e-6)
    assert math.isclose(weighted, 1 / 6, rel_tol=1e-6)


# --- exm-fw-ragged --------------------------------------------------------------------------------


def test_keras_ragged(keras):
    y_pad = np.array([[3.0, -0.5, 2.0], [7.0, 0.0, 0.0]])
    p_pad = np.array([[2.5, 0.0, 2.0], [8.0, 0.0, 0.0]])
    w = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    overall = ml.mse(Y, Y_HAT)
    per_row = [ml.mse(Y[:3], Y_HAT[:3]), ml.mse(Y[3:], Y_HAT[3:])]
    mean_of_rows = float(np.mean(per_row))
    assert Fraction(mean_of_rows).limit_denominator(100) == Fraction(7, 12) != overall

    # 1. Padded to (2, 3): each row is divided by the padded length 3.
    got = run_keras(keras, y_pad, p_pad, "none")
    np.testing.assert_allclose(got, keras_per_sample(y_pad, p_pad), rtol=RTOL32)
    np.testing.assert_allclose(got, [1 / 6, 1 / 3], rtol=RTOL32)
    assert math.isclose(float(run_keras(keras, y_pad, p_pad)), 0.25, rel_tol=1e-6)

    # 2. Padded to (2, 3, 1) with per-element weights that mask the pads.
    y3, p3 = y_pad[..., None], p_pad[..., None]
    weighted_overall = ml.mse(y_pad.ravel(), p_pad.ravel(), sample_weight=w.ravel())
    assert weighted_overall == overall == 0.375
    assert float(run_keras(keras, y3, p3, sample_weight=w)) == weighted_overall * w.sum() / w.size
    assert float(run_keras(keras, y3, p3, sample_weight=w)) == 0.25
    assert float(run_keras(keras, y3, p3, "mean_with_sample_weight", w)) == weighted_overall
    assert float(run_keras(keras, y3, p3, "sum", w)) == 1.5
    assert not math.isclose(float(run_keras(keras, y3, p3, "mean_with_sample_weight", w)),
                            mean_of_rows, rel_tol=1e-3)

    # 3. A (2, 3) weight with (2, 3) targets is not per element: it does not fit the two
    #    per-sample values, and Keras (on PyTorch) raises.
    with pytest.raises(RuntimeError):
        run_keras(keras, y_pad, p_pad, sample_weight=w)


# --- rem-fw-sample-weights ------------------------------------------------------------------------


def test_keras_sample_weight(keras):
    w2 = np.array([1.0, 0.0])
    assert float(run_keras(keras, Y2, Y2_HAT, sample_weight=w2)) == 0.125
    assert float(run_keras(keras, Y2, Y2_HAT, "mean_with_sample_weight", w2)) == 0.25
    assert mean_squared_error(Y2, Y2_HAT, sample_weight=w2) == ml.mse(Y2, Y2_HAT, sample_weight=w2)
    rng = np.random.default_rng(SEED + 4)
    y_true, y_pred = rng.normal(size=(40, 3)), rng.normal(size=(40, 3))
    w = rng.uniform(0.0, 3.0, size=40)
    for reduction in ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"):
        got = run_keras(keras, y_true, y_pred, reduction, sample_weight=w)
        want = keras_convention(y_true, y_pred, reduction, w)
        np.testing.assert_allclose(got, want, rtol=RTOL32, err_msg=str(reduction))
    # The default is mean(w) times scikit-learn's weighted MSE; mean_with_sample_weight is it.
    sklearn_value = mean_squared_error(y_true, y_pred, sample_weight=w)
    default = float(run_keras(keras, y_true, y_pred, sample_weight=w))
    assert math.isclose(default, w.mean() * sklearn_value, rel_tol=RTOL32)
    weighted = run_keras(keras, y_true, y_pred, "mean_with_sample_weight", w)
    assert math.isclose(float(weighted), sklearn_value, rel_tol=RTOL32)


def test_keras_metric_accumulates_per_sample(keras):
    metric = keras.metrics.MeanSquaredError()
    metric.update_state(Y2, Y2_HAT)
    assert float(metric.result()) == 0.375
    extra_true, extra_pred = np.array([[1.0, 1.0]]), np.array([[1.0, 3.0]])
    metric.update_state(extra_true, extra_pred)
    per_sample = np.concatenate(
        [keras_per_sample(Y2, Y2_HAT), keras_per_sample(extra_true, extra_pred)]
    )
    assert math.isclose(float(metric.result()), float(np.mean(per_sample)), rel_tol=1e-6)
    assert math.isclose(float(metric.result()), 11 / 12, rel_tol=1e-6)


# --- rem-fw-sklearn-multioutput (scikit-learn is always installed: never skipped) ----------------


@pytest.mark.parametrize("multioutput", ["raw_values", "uniform_average", [0.3, 0.7]], ids=str)
@pytest.mark.parametrize("weights", [None, [1.0, 0.0], [2.0, 1.0]], ids=str)
def test_sklearn_sample_weight_and_multioutput(multioutput, weights):
    ours = ml.mse(Y2, Y2_HAT, sample_weight=weights, multioutput=multioutput)
    theirs = mean_squared_error(Y2, Y2_HAT, sample_weight=weights, multioutput=multioutput)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)
    # An independent computation in exact fractions.
    w = [Fraction(1)] * 2 if weights is None else [Fraction(x) for x in weights]
    per_output = [
        sum(w[r] * (Fraction(Y2[r, c]) - Fraction(Y2_HAT[r, c])) ** 2 for r in range(2)) / sum(w)
        for c in range(2)
    ]
    if multioutput == "raw_values":
        expected = [float(v) for v in per_output]
    elif multioutput == "uniform_average":
        expected = float(sum(per_output) / 2)
    else:
        expected = float(sum(Fraction(v) * m for v, m in zip(multioutput, per_output, strict=True)))
    np.testing.assert_allclose(ours, expected, rtol=1e-15)
    if weights is None:
        np.testing.assert_array_equal(
            ml.mse(Y2, Y2_HAT, multioutput="raw_values"), [0.125, 0.625]
        )


# --- exm-fw-broadcast-trap, thm-fw-broadcast-value ----------------------------------------------


def test_broadcast_trap_without_frameworks():
    column = Y_HAT.reshape(-1, 1)
    wrong = np.mean((Y - column) ** 2)
    assert wrong == 517 / 32
    s2 = np.var(Y) + np.var(Y_HAT) + (Y.mean() - Y_HAT.mean()) ** 2  # Eq. (eq-fw-broadcast-value)
    assert math.isclose(wrong, s2, rel_tol=1e-15)
    assert mean_squared_error(Y, column) == ml.mse(Y, column) == ml.mse(Y[:, None], Y_HAT) == 0.375
    for bad in (Y_HAT[:3], Y_HAT[None, :], np.column_stack([Y_HAT, Y_HAT])):
        with pytest.raises(ValueError, match="must have the same shape"):
            ml.mse(Y, bad)


def test_broadcast_trap(torch, keras):
    column = Y_HAT.reshape(-1, 1)
    wrong = np.mean((Y - column) ** 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = run_torch(torch, Y, column, dtype="float64")
        got32 = run_torch(torch, Y, column)  # the float32 default: 517/32 is exact there too
    assert got == wrong == got32
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert any("different to the input size" in m for m in messages), messages
    # Keras squeezes the trailing axis of length 1, whichever side has it.
    assert float(run_keras(keras, Y, column)) == 0.375
    assert float(run_keras(keras, Y[:, None], Y_HAT)) == 0.375


# --- rem-fw-float32, exm-fw-float32-offset -------------------------------------------------------


@pytest.mark.parametrize("size", [10**2, 10**4, 10**6])
def test_float32_accuracy(torch, keras, size):
    scale = 2**10  # values k / 1024, exact in float32; the exact MSE is an integer sum
    rng = np.random.default_rng([SEED, size])
    k_true = np.rint(rng.normal(0.0, 4.0, size) * scale).astype(np.int64)
    k_pred = k_true + np.rint(rng.normal(0.5, 1.0, size) * scale).astype(np.int64)
    diff = k_true - k_pred
    exact = Fraction(int(np.dot(diff, diff)), size * scale**2)
    y32, p32 = (k_true / scale).astype(np.float32), (k_pred / scale).astype(np.float32)

    def rel(value):
        return float(abs(Fraction(float(value)) - exact) / exact)

    assert rel(ml.mse(y32, p32)) <= 4 * 2.0**-53
    assert rel(run_torch(torch, y32, p32)) <= 1e-6
    assert rel(run_keras(keras, y32[:, None], p32[:, None])) <= 1e-6
    assert rel(run_keras(keras, y32, p32)) <= 1e-6


def test_float32_inputs(torch, keras):
    rng = np.random.default_rng(SEED + 2)
    target = 1e4 + rng.normal(size=10_000)
    prediction = target + 1e-3 * rng.normal(size=10_000)
    exact64 = math.fsum((target - prediction) ** 2) / target.size
    t32, p32 = target.astype(np.float32), prediction.astype(np.float32)
    exact32 = math.fsum((t32.astype(np.float64) - p32.astype(np.float64)) ** 2) / target.size
    assert exact32 / exact64 - 1 > 0.05  # rounding the inputs to float32 costs over 5 %
    # Keras computes in floatx() = float32 by default, also for float64 arrays.
    keras_default = run_keras(keras, target, prediction)
    assert keras_default.dtype == np.float32
    assert math.isclose(float(keras_default), exact32, rel_tol=1e-5)
    # dtype="float64" keeps the inputs in float64, so the input rounding is gone; but on the
    # PyTorch backend Keras 3 still takes the mean in float32 (its type promotion maps 64-bit
    # types to 32-bit on every backend but TensorFlow): float32 accuracy, not float64.
    keras64 = float(run_keras(keras, target, prediction, dtype="float64"))
    assert 1e-12 < abs(keras64 / exact64 - 1) <= 1e-6
    assert math.isclose(float(run_torch(torch, target, prediction, dtype="float64")), exact64,
                        rel_tol=1e-12)
    assert math.isclose(float(run_torch(torch, target, prediction)), exact32, rel_tol=1e-5)
    assert math.isclose(ml.mse(t32, p32), exact32, rel_tol=1e-12)
