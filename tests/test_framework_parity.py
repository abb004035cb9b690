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
import inspect
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


# --- rem-fw-sample-weights: PyTorch's weighted losses ---------------------------------------------


def torch_weighted_convention(y_true, y_pred, weight, reduction="mean"):
    """F.mse_loss(..., weight=): one weight per element; "mean" divides by the sum of weights."""
    w = np.asarray(weight, float)
    if reduction == "none":
        return w * torch_convention(y_true, y_pred, "none")
    mean = ml.mse(np.ravel(y_true), np.ravel(y_pred), sample_weight=w.ravel())
    return mean if reduction == "mean" else mean * w.sum()


def run_torch_weighted(torch, y_true, y_pred, weight, reduction="mean", loss="mse_loss",
                       dtype="float64", **options):
    t, p, w = (torch.as_tensor(np.asarray(a, float), dtype=getattr(torch, dtype))
               for a in (y_true, y_pred, weight))
    function = getattr(torch.nn.functional, loss)
    return function(p, t, weight=w, reduction=reduction, **options).numpy()  # (input, target)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_torch_weighted_mse(torch, reduction):
    w = np.array([1.0, 1.0, 1.0, 0.0])
    squares = [(Fraction(a) - Fraction(b)) ** 2 for a, b in zip(Y, Y_HAT, strict=True)]
    terms = [Fraction(wk) * s for wk, s in zip(w, squares, strict=True)]
    exact = {"mean": sum(terms) / 3, "sum": sum(terms), "none": terms}[reduction]
    for dtype in ("float64", "float32"):
        got = run_torch_weighted(torch, Y, Y_HAT, w, reduction, dtype=dtype)
        np.testing.assert_allclose(got, np.array(exact, dtype=float), rtol=1e-7, atol=0)
    got = run_torch_weighted(torch, Y, Y_HAT, w, reduction)
    np.testing.assert_allclose(got, torch_weighted_convention(Y, Y_HAT, w, reduction), rtol=1e-15)
    # Random data: per-element weights, 1-D and 2-D, in float64.
    for k, shape in enumerate([(1,), (17,), (50, 3), (8, 1), (4, 5, 2)]):
        y_true, y_pred = random_batch(shape, k)
        weight = np.random.default_rng([SEED, k, 7]).uniform(0.0, 3.0, size=shape)
        got = run_torch_weighted(torch, y_true, y_pred, weight, reduction)
        want = torch_weighted_convention(y_true, y_pred, weight, reduction)
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=str(shape))
        if reduction == "mean":  # a weighted mean: scaling every weight changes nothing
            scaled = run_torch_weighted(torch, y_true, y_pred, 10 * weight, reduction)
            np.testing.assert_allclose(scaled, got, rtol=1e-13)
        if reduction == "sum":  # and the sum scales with them
            scaled = run_torch_weighted(torch, y_true, y_pred, 10 * weight, reduction)
            np.testing.assert_allclose(scaled, 10 * got, rtol=1e-13)


def test_torch_weighted_mse_with_sample_weights_is_sklearn(torch):
    # One weight per sample, repeated over the d outputs: scikit-learn's weighted MSE.
    rng = np.random.default_rng(SEED + 5)
    y_true, y_pred = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    omega = rng.uniform(0.0, 2.0, size=30)
    repeated = torch.as_tensor(omega)[:, None].expand(30, 4)  # the idiom a reader would use
    got = float(run_torch_weighted(torch, y_true, y_pred, repeated.numpy()))
    sklearn_value = mean_squared_error(y_true, y_pred, sample_weight=omega)
    assert math.isclose(got, sklearn_value, rel_tol=1e-12)
    assert math.isclose(got, ml.mse(y_true, y_pred, sample_weight=omega), rel_tol=1e-12)
    # ... which is not Keras's default, mean(omega) times it (exm: ex-fw-keras-weights).
    assert not math.isclose(got, omega.mean() * sklearn_value, rel_tol=1e-3)


def test_torch_weight_shapes(torch):
    y_true, y_pred = random_batch((30, 4), 11)
    omega = np.linspace(0.5, 2.0, 30)
    # The weight must have exactly the input's shape: per-sample shapes are refused.
    for shape in [(30,), (30, 1), (1, 4), (4,), (30, 4, 1)]:
        weight = np.ones(shape) if shape != (30,) and shape != (30, 1) else omega.reshape(shape)
        with pytest.raises(ValueError, match="Weights and input must have the same size"):
            run_torch_weighted(torch, y_true, y_pred, weight)
    # The input's shape, not the target's: a column of predictions against a vector of targets
    # takes a (4, 1) weight, and the broadcast table (the trap) is weighted row by row.
    column, w = Y_HAT.reshape(-1, 1), np.array([[1.0], [1.0], [1.0], [0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "different to the input size"
        got = float(run_torch_weighted(torch, Y, column, w))
        with pytest.raises(ValueError, match="same size"):
            run_torch_weighted(torch, Y[:, None], Y_HAT, w)  # input of shape (4,)
    table = (Y[None, :] - column) ** 2  # (4, 4): row i is prediction i against every target
    assert math.isclose(got, float((w * table).sum() / w.sum()), rel_tol=1e-15)
    assert got != ml.mse(Y, Y_HAT, sample_weight=w.ravel())
    # Weights are not validated: all zero gives 0/0 = NaN, negative ones are used as given;
    # mselib and scikit-learn refuse both.
    assert np.isnan(run_torch_weighted(torch, Y, Y_HAT, np.zeros(4)))
    negative = np.array([1.0, 1.0, 1.0, -1.0])
    assert float(run_torch_weighted(torch, Y, Y_HAT, negative)) == -0.25
    for bad in (np.zeros(4), negative):
        with pytest.raises(ValueError):
            ml.mse(Y, Y_HAT, sample_weight=bad)
    with pytest.raises(ValueError):
        mean_squared_error(Y, Y_HAT, sample_weight=np.zeros(4))
    # The module takes no weights at all.
    for module in (torch.nn.MSELoss, torch.nn.HuberLoss, torch.nn.L1Loss, torch.nn.SmoothL1Loss):
        with pytest.raises(TypeError):
            module(weight=torch.ones(4))


def test_torch_weighted_huber_and_l1(torch):
    # PyTorch 2.13: the weighted "mean" of huber_loss divides by the number of elements N,
    # that of l1_loss (like mse_loss) by the sum of the weights; smooth_l1_loss has no weight.
    w = np.array([1.0, 1.0, 1.0, 0.0])
    assert float(run_torch_weighted(torch, Y, Y_HAT, w, loss="huber_loss")) == 1 / 16
    assert math.isclose(float(run_torch_weighted(torch, Y, Y_HAT, w, loss="l1_loss")), 1 / 3,
                        rel_tol=1e-15)
    assert "weight" not in inspect.signature(torch.nn.functional.smooth_l1_loss).parameters
    for k, shape in enumerate([(17,), (50, 3)]):
        y_true, y_pred = random_batch(shape, 20 + k)
        weight = np.random.default_rng([SEED, k, 8]).uniform(0.0, 3.0, size=shape)
        t, p, wf = y_true.ravel(), y_pred.ravel(), weight.ravel()
        for delta in (0.5, 1.0, 2.0):
            got = float(run_torch_weighted(torch, y_true, y_pred, weight, loss="huber_loss",
                                           delta=delta))
            weighted_mean = ml.huber(t, p, delta=delta, sample_weight=wf)
            assert math.isclose(got, weighted_mean * wf.sum() / wf.size, rel_tol=1e-12)
            assert not math.isclose(got, weighted_mean, rel_tol=1e-3)
            got_sum = float(run_torch_weighted(torch, y_true, y_pred, weight, "sum",
                                               loss="huber_loss", delta=delta))
            assert math.isclose(got_sum, weighted_mean * wf.sum(), rel_tol=1e-12)
        got = float(run_torch_weighted(torch, y_true, y_pred, weight, loss="l1_loss"))
        assert math.isclose(got, ml.mae(t, p, sample_weight=wf), rel_tol=1e-12)


def keras_weighted_values(per_sample, weight):
    """Keras's rule for weights: match a trailing axis of length 1, then broadcast like NumPy."""
    weight = np.asarray(weight, float)
    if weight.ndim == per_sample.ndim + 1 and weight.shape[-1] == 1:
        per_sample = per_sample[..., None]
    return per_sample * weight


def test_keras_square_weight(keras):
    # B = d = 3 and a weight of the targets' shape, meant per element to keep sample 0 only:
    # Keras broadcasts it against the 3 per-sample values without a word.
    y_true = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 4.0, 4.0]])
    y_pred = np.zeros((3, 3))
    w = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    m = keras_per_sample(y_true, y_pred)
    np.testing.assert_allclose(m, [14 / 3, 0, 16], rtol=1e-15)
    table = run_keras(keras, y_true, y_pred, "none", w)
    assert table.shape == (3, 3)  # entry (i, j) = w[i, j] * m[j]: row i weights sample j
    np.testing.assert_allclose(table, w * m[None, :], rtol=RTOL32)
    silent = float(run_keras(keras, y_true, y_pred, "mean_with_sample_weight", w))
    assert math.isclose(silent, 62 / 9, rel_tol=RTOL32)  # (14/3 + 0 + 16) / 3
    assert math.isclose(float(run_keras(keras, y_true, y_pred, sample_weight=w)), 62 / 27,
                        rel_tol=RTOL32)  # the default divides by the 9 entries
    meant = ml.mse(y_true.ravel(), y_pred.ravel(), sample_weight=w.ravel())
    assert math.isclose(meant, 14 / 3, rel_tol=1e-15)
    column = run_keras(keras, y_true[..., None], y_pred[..., None], "mean_with_sample_weight", w)
    assert math.isclose(float(column), meant, rel_tol=RTOL32)  # the per-element intent
    with pytest.raises(ValueError, match=r"sample_weight must be 1-D.*got shape \(3, 3\)"):
        ml.mse(y_true, y_pred, sample_weight=w)
    with pytest.raises(ValueError):
        mean_squared_error(y_true, y_pred, sample_weight=w)
    # Random square batches: Keras weights sample j by the column sum of w, never per element.
    for size in (2, 4, 7):
        y_true, y_pred = random_batch((size, size), 30 + size)
        w = np.random.default_rng([SEED, size]).uniform(0.0, 2.0, (size, size))
        m = keras_per_sample(y_true, y_pred)
        for reduction in ("none", "sum", "sum_over_batch_size", "mean_with_sample_weight"):
            want = keras_weighted_values(m, w)
            if reduction == "sum":
                want = want.sum()
            elif reduction == "sum_over_batch_size":
                want = want.sum() / size**2
            elif reduction == "mean_with_sample_weight":
                want = want.sum() / w.sum()
            got = run_keras(keras, y_true, y_pred, reduction, w)
            np.testing.assert_allclose(got, want, rtol=RTOL32, err_msg=reduction)
        silent = float(run_keras(keras, y_true, y_pred, "mean_with_sample_weight", w))
        assert math.isclose(silent, float(np.dot(w.sum(axis=0), m) / w.sum()), rel_tol=RTOL32)
        meant = ml.mse(y_true.ravel(), y_pred.ravel(), sample_weight=w.ravel())
        assert not math.isclose(silent, meant, rel_tol=1e-3)


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("b", [1, 2, 3, 4, 5])
def test_keras_weight_of_the_targets_shape(keras, b, d):
    # A (B, d) weight: accepted exactly when d = 1 (one weight per sample, right), B = d or
    # B = 1 (both silently wrong); otherwise Keras on PyTorch raises.
    y_true, y_pred = random_batch((b, d), 40)
    w = np.random.default_rng([SEED, b, d, 1]).uniform(0.5, 2.0, (b, d))
    m = keras_per_sample(y_true, y_pred)
    if not (d == 1 or b == d or b == 1):
        with pytest.raises(RuntimeError, match="must match the size"):
            run_keras(keras, y_true, y_pred, "none", w)
        with pytest.raises(ValueError):
            keras_weighted_values(m, w)
        return
    got = run_keras(keras, y_true, y_pred, "none", w)
    np.testing.assert_allclose(got, keras_weighted_values(m, w), rtol=RTOL32)
    mws = float(run_keras(keras, y_true, y_pred, "mean_with_sample_weight", w))
    meant = ml.mse(y_true.ravel(), y_pred.ravel(), sample_weight=w.ravel())
    if d == 1:  # one weight per sample: scikit-learn's weighted mean
        assert math.isclose(mws, meant, rel_tol=RTOL32)
    elif b == 1:  # every weight multiplies the one per-sample value: the weights cancel
        assert math.isclose(mws, float(m[0]), rel_tol=RTOL32)
        assert not math.isclose(mws, meant, rel_tol=1e-3)


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


# --- Huber and Smooth L1 (chapter 7's ml.huber and ml.smooth_l1) against torch.nn -----------------

HUBER_DELTAS = [1e-3, 0.25, 0.3, 1.0, 1.5, 3.0, 1e3]
SMOOTH_L1_BETAS = [0.0, 1e-3, 0.25, 0.3, 1.0, 1.5, 3.0, 1e3]


def threshold_batches(threshold, seed):
    """Data whose errors sit below, exactly on, and above |e| = threshold, and random data.

    The first batch has targets 0, so every error is exactly the prediction's negative and
    |e| = threshold is hit exactly, on both signs; the second is random 2-D data around it.
    """
    c = float(threshold)
    ratios = np.array([0.0, 0.5, 1 - 2.0**-30, 1.0, 1 + 2.0**-30, 2.0, 10.0])
    near = [math.nextafter(c, 0.0), c, math.nextafter(c, math.inf)]
    rng = np.random.default_rng([SEED, seed])
    errors = np.concatenate([ratios * c, -ratios * c, near, -np.array(near),
                             rng.normal(0.0, 2 * c if c > 0 else 1.0, 20)])
    y_true, y_pred = np.zeros_like(errors), -errors
    assert np.any(np.abs(y_true - y_pred) == c)  # the boundary is hit exactly
    scale = c if c > 0 else 1.0
    y2, p2 = rng.normal(0.0, 2 * scale, (25, 3)), rng.normal(0.0, 2 * scale, (25, 3))
    return [(y_true, y_pred), (y2, p2)]


def mselib_elementwise(metric, y_true, y_pred, **param):
    """The loss of every element: one sample with N outputs, one value per output."""
    t, p = np.asarray(y_true, float).reshape(1, -1), np.asarray(y_pred, float).reshape(1, -1)
    return metric(t, p, multioutput="raw_values", **param).reshape(np.shape(y_true))


def run_torch_module(torch, module, y_true, y_pred, dtype="float64"):
    t = torch.as_tensor(np.asarray(y_true), dtype=getattr(torch, dtype))
    p = torch.as_tensor(np.asarray(y_pred), dtype=getattr(torch, dtype))
    return module(p, t).numpy()  # (input, target)


def check_reductions(torch, make, metric, y_true, y_pred, **param):
    """torch "none", "mean", "sum" against mselib: per element, the mean of all N, N times it."""
    n = np.size(y_true)
    none = run_torch_module(torch, make("none"), y_true, y_pred)
    np.testing.assert_allclose(none, mselib_elementwise(metric, y_true, y_pred, **param),
                               rtol=1e-15, atol=0)
    # mselib's mean of a (B, d) array is the mean of the d per-output means: on a rectangular
    # batch, that is the mean of all N elements (thm-fw-keras-equal-rows), which torch takes.
    mean = float(run_torch_module(torch, make("mean"), y_true, y_pred))
    flat = metric(np.ravel(y_true), np.ravel(y_pred), **param)
    for ours in (metric(y_true, y_pred, **param), flat):
        assert math.isclose(mean, ours, rel_tol=1e-13, abs_tol=0), (mean, ours)
    total = float(run_torch_module(torch, make("sum"), y_true, y_pred))
    assert math.isclose(total, n * metric(y_true, y_pred, **param), rel_tol=1e-13)


@pytest.mark.parametrize("delta", HUBER_DELTAS)
def test_torch_huber_loss(torch, delta):
    def make(reduction):
        return torch.nn.HuberLoss(reduction=reduction, delta=delta)

    for y_true, y_pred in threshold_batches(delta, 1):
        check_reductions(torch, make, ml.huber, y_true, y_pred, delta=delta)
    # On the boundary both branches give delta^2 / 2, exactly.
    at = run_torch_module(torch, make("none"), [0.0, 0.0], [delta, -delta])
    assert np.array_equal(at, [0.5 * delta * delta] * 2)
    assert ml.huber([0.0], [delta], delta=delta) == 0.5 * delta * delta
    # The functional form and the float32 default agree on the example.
    got = torch.nn.functional.huber_loss(torch.tensor(Y_HAT), torch.tensor(Y), delta=delta)
    assert math.isclose(float(got), ml.huber(Y, Y_HAT, delta=delta), rel_tol=1e-15)
    got32 = run_torch_module(torch, make("mean"), Y, Y_HAT, dtype="float32")
    assert math.isclose(float(got32), ml.huber(Y, Y_HAT, delta=delta), rel_tol=1e-6)


def test_torch_huber_refuses_delta_zero(torch):
    # delta = 0 is not a Huber loss: PyTorch and mselib both refuse it (and negative values).
    for delta in (0.0, -1.0):
        with pytest.raises(RuntimeError, match="non-positive values for delta"):
            run_torch_module(torch, torch.nn.HuberLoss(delta=delta), Y, Y_HAT)
        with pytest.raises(ValueError, match="delta"):
            ml.huber(Y, Y_HAT, delta=delta)


@pytest.mark.parametrize("beta", SMOOTH_L1_BETAS)
def test_torch_smooth_l1_loss(torch, beta):
    def make(reduction):
        return torch.nn.SmoothL1Loss(reduction=reduction, beta=beta)

    for y_true, y_pred in threshold_batches(beta, 2):
        check_reductions(torch, make, ml.smooth_l1, y_true, y_pred, beta=beta)
    if beta > 0:  # on the boundary both branches give beta / 2
        at = run_torch_module(torch, make("none"), [0.0, 0.0], [beta, -beta])
        np.testing.assert_allclose(at, [0.5 * beta] * 2, rtol=1e-15)
        # Huber = beta * Smooth L1, in PyTorch as in mselib.
        y_true, y_pred = random_batch((40,), 3)
        huber = float(run_torch_module(torch, torch.nn.HuberLoss(delta=beta), y_true, y_pred))
        smooth = float(run_torch_module(torch, make("mean"), y_true, y_pred))
        assert math.isclose(huber, beta * smooth, rel_tol=1e-13)
    got = torch.nn.functional.smooth_l1_loss(torch.tensor(Y_HAT), torch.tensor(Y), beta=beta)
    assert math.isclose(float(got), ml.smooth_l1(Y, Y_HAT, beta=beta), rel_tol=1e-15)


def test_torch_smooth_l1_beta_zero_is_l1(torch):
    # beta = 0: PyTorch computes L1Loss; mselib's smooth_l1 is the MAE.
    for y_true, y_pred in threshold_batches(1.0, 4):
        for reduction in ("none", "mean", "sum"):
            smooth = run_torch_module(torch, torch.nn.SmoothL1Loss(reduction=reduction, beta=0.0),
                                      y_true, y_pred)
            l1 = run_torch_module(torch, torch.nn.L1Loss(reduction=reduction), y_true, y_pred)
            assert np.array_equal(smooth, l1)
        mean = float(run_torch_module(torch, torch.nn.SmoothL1Loss(beta=0.0), y_true, y_pred))
        for ours in (ml.smooth_l1(y_true, y_pred, beta=0.0), ml.mae(y_true, y_pred)):
            assert math.isclose(mean, ours, rel_tol=1e-13)
    assert ml.smooth_l1(Y, Y_HAT, beta=0) == 0.5 == float(
        run_torch_module(torch, torch.nn.SmoothL1Loss(beta=0.0), Y, Y_HAT)
    )
    # A tiny beta approaches it, from below (S_beta(e) >= |e| - beta / 2).
    for beta in (1e-3, 1e-6):
        smooth = float(run_torch_module(torch, torch.nn.SmoothL1Loss(beta=beta), Y, Y_HAT))
        assert 0.5 - beta / 2 <= smooth < 0.5
    with pytest.raises(RuntimeError, match="negative values for beta"):
        run_torch_module(torch, torch.nn.SmoothL1Loss(beta=-1.0), Y, Y_HAT)
    with pytest.raises(ValueError, match="beta"):
        ml.smooth_l1(Y, Y_HAT, beta=-1.0)
