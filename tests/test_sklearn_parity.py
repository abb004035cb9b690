"""Differential tests: mselib against scikit-learn on seeded random data.

scikit-learn is the oracle where it has the metric: mean_squared_error,
root_mean_squared_error, mean_absolute_error and r2_score (nmse = 1 - r2_score).
The one documented difference, constant y_true in nmse/r2, is tested at the end.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import mselib as ml

SEED = 20240601
RTOL = 1e-12
SHAPES = [(1,), (5,), (100,), (100, 1), (37, 3)]
PAIRS = [
    (ml.mse, skm.mean_squared_error),
    (ml.rmse, skm.root_mean_squared_error),
    (ml.mae, skm.mean_absolute_error),
    (ml.r2, skm.r2_score),
]


def data(shape, weighted, seed=SEED):
    rng = np.random.default_rng([seed, *shape, weighted])
    y_true = rng.normal(3.0, 2.0, shape)
    y_pred = y_true + rng.normal(0.0, 0.7, shape)  # so R^2 is well away from 0
    w = rng.uniform(0.1, 2.0, shape[0]) if weighted else None
    return y_true, y_pred, w


def multioutputs(shape, with_variance_weighted):
    k = shape[1] if len(shape) == 2 else 1
    options = ["raw_values", "uniform_average"]
    if k > 1:  # scikit-learn refuses output weights for a single output (tested below)
        options.append(np.linspace(1.0, 2.0, k))
    return [*options, "variance_weighted"] if with_variance_weighted else options


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_matches_scikit_learn(ours, theirs, shape, weighted):
    y_true, y_pred, w = data(shape, weighted)
    if ours is ml.r2 and shape[0] < 2:  # scikit-learn: NaN and a warning
        with pytest.raises(ValueError, match="r2 needs at least two samples"):
            ours(y_true, y_pred, sample_weight=w)
        return
    for multioutput in multioutputs(shape, with_variance_weighted=ours is ml.r2):
        got = ours(y_true, y_pred, sample_weight=w, multioutput=multioutput)
        want = theirs(y_true, y_pred, sample_weight=w, multioutput=multioutput)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=str(multioutput))
        assert isinstance(got, float) == (not isinstance(want, np.ndarray))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("shape", [s for s in SHAPES if s[0] > 1], ids=str)
def test_nmse_is_one_minus_r2_score(shape, weighted):
    y_true, y_pred, w = data(shape, weighted)
    for multioutput in multioutputs(shape, with_variance_weighted=False):
        got = ml.nmse(y_true, y_pred, sample_weight=w, multioutput=multioutput)
        want = 1 - np.asarray(skm.r2_score(y_true, y_pred, sample_weight=w,
                                           multioutput=multioutput))
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=0)  # 1 - x costs a digit


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_column_against_vector_matches(ours, theirs):
    y_true, y_pred, w = data((100,), True)
    got = ours(y_true.reshape(-1, 1), y_pred, sample_weight=w, multioutput="raw_values")
    want = theirs(y_true.reshape(-1, 1), y_pred, sample_weight=w, multioutput="raw_values")
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_float32_matches_scikit_learn_on_float64(ours, theirs):
    # scikit-learn computes float32 input in float32; mselib gives the float64 answer
    y_true, y_pred, _ = data((1000, 2), False)
    t32, p32 = y_true.astype(np.float32), y_pred.astype(np.float32)
    want = theirs(t32.astype(np.float64), p32.astype(np.float64), multioutput="raw_values")
    np.testing.assert_allclose(ours(t32, p32, multioutput="raw_values"), want, rtol=RTOL)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
@pytest.mark.parametrize("shape", [(5,), (5, 1)], ids=str)
def test_output_weights_for_one_output_are_refused(ours, theirs, shape):
    # scikit-learn refuses custom output weights when there is one output ("useful only
    # in multi-output cases"; rmse in 1.9 lets them through); mselib refuses them always.
    y_true, y_pred, _ = data(shape, False)
    if theirs is not skm.root_mean_squared_error:
        with pytest.raises(ValueError, match="multi-output"):
            theirs(y_true, y_pred, multioutput=[2.0])
    with pytest.raises(ValueError, match="needs several outputs"):
        ours(y_true, y_pred, multioutput=[2.0])


@pytest.mark.parametrize("shape", [(3,), (3, 2)], ids=str)
@pytest.mark.parametrize("multioutput", ["raw_values", "uniform_average", "variance_weighted"])
def test_r2_constant_y_true_as_scikit_learn(shape, multioutput):
    # force_finite=True (the default in both): 1.0 for a perfect fit of a constant output,
    # 0.0 otherwise; variance_weighted falls back to uniform when every output is constant.
    rng = np.random.default_rng(7)
    cases = [np.full(shape, 2.0)]
    if len(shape) == 2:  # one constant output beside a varying one
        cases.append(np.column_stack([np.full(3, 2.0), rng.normal(size=3)]))
    for y_true in cases:
        for y_pred in (y_true.copy(), y_true + rng.normal(size=shape)):
            got = ml.r2(y_true, y_pred, multioutput=multioutput)
            want = skm.r2_score(y_true, y_pred, multioutput=multioutput)
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)
            for weighted in (None, rng.uniform(0.5, 2.0, 3)):
                got = ml.r2(y_true, y_pred, sample_weight=weighted, multioutput=multioutput)
                want = skm.r2_score(y_true, y_pred, sample_weight=weighted, multioutput=multioutput)
                np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


@pytest.mark.parametrize("metric", [ml.r2, ml.nmse])
def test_constant_y_true_with_no_convention_raises(metric):
    # nmse has no conventional value; r2 raises when asked not to force a finite value.
    constant = np.array([2.0, 2.0, 2.0])
    kwargs = {"force_finite": False} if metric is ml.r2 else {}
    for y_pred in (constant, [1.0, 2.0, 3.0]):
        with pytest.raises(ValueError, match="y_true is constant"):
            metric(constant, y_pred, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(skm.r2_score([1.0], [2.0]))
    with pytest.raises(ValueError, match=r"y_true is constant|at least two samples"):
        metric([1.0], [2.0])
