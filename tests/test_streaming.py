"""mselib.streaming: the mergeable accumulator and the Dask path agree with the metrics.

Every result is compared with the metric functions of mselib on the concatenated data
(themselves checked against scikit-learn in test_sklearn_parity.py): the same values to
float64 rounding whatever the chunking, the weights, the number of outputs and the order
of the merges, and the same errors with the same messages.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import exact_oracle
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mselib as ml
from mselib.streaming import dask_metric, is_lazy

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("mse", "rmse", "mae", "nmse", "r2")

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")


def outcome(call):
    """("ok", value) or ("error", type, message): two computations are compared on both."""
    try:
        return ("ok", call())
    except (ValueError, TypeError) as error:
        return ("error", type(error).__name__, str(error))


def assert_same(got, expected, label=""):
    assert got[0] == expected[0], (label, got, expected)
    if got[0] == "error":
        assert got[1:] == expected[1:], label
    else:
        ml.assert_close(got[1], expected[1], rtol=1e-12, atol=1e-13, label=label)


def all_outcomes(source, t, p, w):
    """Every metric and multioutput choice from ``source(name, **kw)``, next to mselib's."""
    for name in METRICS:
        choices = ["raw_values", "uniform_average"]
        if name == "r2":
            choices.append("variance_weighted")
        if t.ndim == 2 and t.shape[1] > 1:
            choices.append(np.arange(1.0, t.shape[1] + 1))
        for how in choices:
            options = {"multioutput": how}
            expected = outcome(
                lambda name=name, o=options: getattr(ml, name)(t, p, sample_weight=w, **o)
            )
            got = outcome(lambda name=name, o=options: source(name, **o))
            yield f"{name} {how}", got, expected


@st.composite
def chunked_data(draw, max_n=40):
    n = draw(st.integers(1, max_n))
    k = draw(st.integers(1, 3))
    two_d = k > 1 or draw(st.booleans())
    shape = (n, k) if two_d else (n,)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = 10.0 ** draw(st.sampled_from([-150, -3, 0, 5, 150]))
    t = rng.normal(0.0, scale, shape)
    if draw(st.booleans()):  # values with ties and constant outputs
        t = np.round(t / scale) * scale
    p = t + rng.normal(0.0, scale, shape) * draw(st.sampled_from([0.0, 0.1, 1.0]))
    w = None
    if draw(st.booleans()):
        w = rng.random(n) * (rng.random(n) < 0.8)
        if not w.any():
            w[0] = 1.0
    cuts = sorted(draw(st.lists(st.integers(1, max(1, n - 1)), max_size=6)))
    bounds = [0, *[c for c in cuts if 0 < c < n], n]
    bounds = sorted(set(bounds))
    return t, p, w, bounds


def accumulate(t, p, w, bounds):
    acc = ml.RegressionAccumulator()
    for i, j in itertools.pairwise(bounds):
        acc.update(t[i:j], p[i:j], sample_weight=None if w is None else w[i:j])
    return acc


@given(chunked_data())
def test_accumulator_equals_the_metrics_on_the_concatenation(data):
    t, p, w, bounds = data
    acc = accumulate(t, p, w, bounds)
    assert acc.n_samples == t.shape[0]
    for label, got, expected in all_outcomes(
        lambda name, **o: getattr(acc, name)(**o), t, p, w
    ):
        assert_same(got, expected, label)


@given(chunked_data(), st.randoms(use_true_random=False))
def test_any_tree_of_merges_gives_the_same_metrics(data, rnd):
    t, p, w, bounds = data
    parts = [
        accumulate(t[i:j], p[i:j], None if w is None else w[i:j], [0, j - i])
        for i, j in itertools.pairwise(bounds)
    ]
    rnd.shuffle(parts)
    while len(parts) > 1:  # merge two random parts until one is left
        a = parts.pop(rnd.randrange(len(parts)))
        b = parts.pop(rnd.randrange(len(parts)))
        parts.append(a.merge(b))
    acc = parts[0]
    for label, got, expected in all_outcomes(
        lambda name, **o: getattr(acc, name)(**o), t, p, w
    ):
        if expected[0] == "error" and "index" in expected[2]:
            continue  # an index in a message depends on the data order, shuffled here
        if expected[0] == "error":  # a constant output: 0.0 or -0.0 comes first
            got, expected = (
                (r[0], r[1], r[2].replace("equals -0.0", "equals 0.0")) for r in (got, expected)
            )
        assert_same(got, expected, label)


@pytest.mark.slow  # about 10 s: .ci/run runs it; chapter 11 runs Dask on a cluster
@given(chunked_data(max_n=30), st.integers(2, 4), st.booleans())
def test_dask_path_equals_the_metrics(data, split_every, lazy_weights):
    t, p, w, bounds = data
    chunks = tuple(np.diff(bounds).tolist())
    dt = da.from_array(t, chunks=(chunks, *t.shape[1:]))
    dw = w if w is None or not lazy_weights else da.from_array(w, chunks=3)
    with dask.config.set(scheduler="synchronous"):
        for label, got, expected in all_outcomes(
            lambda name, **o: dask_metric(
                name, dt, p, sample_weight=dw, split_every=split_every, **o
            ),
            t,
            p,
            w,
        ):
            assert_same(got, expected, label)


def test_mixed_weighted_and_unweighted_chunks_count_unit_weights():
    rng = np.random.default_rng(1)
    t, p, w = rng.normal(size=(30, 2)), rng.normal(size=(30, 2)), rng.random(30)
    acc = ml.RegressionAccumulator().update(t[:10], p[:10]).update(
        t[10:], p[10:], sample_weight=w[10:]
    )
    weights = np.concatenate([np.ones(10), w[10:]])
    for name in METRICS:
        ml.assert_close(
            getattr(acc, name)(multioutput="raw_values"),
            getattr(ml, name)(t, p, sample_weight=weights, multioutput="raw_values"),
            rtol=1e-13,
            label=name,
        )


def test_chunks_of_zero_weight_are_accepted_and_extreme_weights_merge():
    rng = np.random.default_rng(2)
    t, p = rng.normal(size=40), rng.normal(size=40)
    w = np.concatenate([np.zeros(10), 1e-30 * rng.random(10), 1e30 * rng.random(20)])
    acc = accumulate(t, p, w, [0, 10, 20, 40])
    for name in METRICS:
        ml.assert_close(
            getattr(acc, name)(), getattr(ml, name)(t, p, sample_weight=w), rtol=1e-13
        )
    zero = ml.RegressionAccumulator().update(t[:10], p[:10], sample_weight=np.zeros(10))
    expected = outcome(lambda: ml.mse(t[:10], p[:10], sample_weight=np.zeros(10)))
    assert outcome(zero.mse) == expected


def test_a_refused_chunk_leaves_the_accumulator_unchanged():
    rng = np.random.default_rng(3)
    t, p = rng.normal(size=(12, 2)), rng.normal(size=(12, 2))
    acc = ml.RegressionAccumulator().update(t[:6], p[:6])
    before = (acc.n_samples, acc.mse(multioutput="raw_values"), acc.r2())
    bad_t = t[6:].copy()
    bad_t[2, 1] = np.nan
    bad_w = np.ones(6)
    bad_w[4] = -1.0
    refusals = [
        ((bad_t, p[6:]), {}, "y_true contains NaN at index (8, 1) (1 non-finite value)"),
        ((t[6:], p[6:]), {"sample_weight": bad_w}, "got -1.0 at index 10."),
        ((t[6:], p[6:, :1]), {}, "must have the same shape"),
        ((t[6:, 0], p[6:, 0]), {}, "this chunk has 1 output (shape (6,)), but the accumulator"),
        ((t[6:] > 0, p[6:]), {}, "must hold real numbers"),
        ((t[6:], p[6:]), {"sample_weight": np.ones(5)}, "one weight per sample (n = 6)"),
    ]
    for args, options, message in refusals:
        with pytest.raises((ValueError, TypeError), match=re.escape(message)):
            acc.update(*args, **options)
        after = (acc.n_samples, acc.mse(multioutput="raw_values"), acc.r2())
        assert after[0] == before[0] and after[2] == before[2]
        assert np.array_equal(after[1], before[1])


def test_messages_for_invalid_values_are_those_of_the_metrics_on_the_whole():
    rng = np.random.default_rng(4)
    t, p, w = rng.normal(size=(50, 3)), rng.normal(size=(50, 3)), rng.random(50)
    t[31, 2], t[44, 0], p[7, 1] = np.inf, np.nan, np.nan
    for name in METRICS:
        expected = outcome(lambda name=name: getattr(ml, name)(t, p, sample_weight=w))
        assert expected[0] == "error" and "index (31, 2) (2 non-finite values)" in expected[2]
        with dask.config.set(scheduler="synchronous"):
            lazy = getattr(ml, name)(da.from_array(t, chunks=9), p, sample_weight=w,
                                     compute=False)  # nothing is checked before compute
            assert outcome(lazy.compute)[1:] == (expected[1], expected[2])


def test_dask_checks_what_it_can_before_computing():
    x = da.zeros((10, 2), chunks=3)
    cases = [
        (lambda: ml.mse(x, np.zeros((10, 3))), np.zeros((10, 2)), np.zeros((10, 3))),
        (lambda: ml.mse(x > 0, np.zeros((10, 2))), np.zeros((10, 2)) > 0, np.zeros((10, 2))),
        (lambda: ml.r2(x[:1], np.zeros((1, 2))), np.zeros((1, 2)), np.zeros((1, 2))),
    ]
    for call, a, b in cases:
        expected = outcome(lambda a=a, b=b: ml.r2(a, b) if a.shape[0] == 1 else ml.mse(a, b))
        assert outcome(call) == expected
    with pytest.raises(ValueError, match="one weight per sample"):
        ml.mse(x, x, sample_weight=da.ones(9, chunks=3), compute=False)
    with pytest.raises(ValueError, match="'variance_weighted' is only defined for r2"):
        ml.mse(x, x, multioutput="variance_weighted", compute=False)
    unknown = x[x[:, 0] > 0]
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        ml.mse(unknown, unknown)
    with pytest.raises(TypeError, match="force_finite must be True or False"):
        ml.r2(x, x, force_finite=1)
    with pytest.raises(ValueError, match="name must be one of"):
        dask_metric("huber", x, x)


def test_lazy_result_and_rechunking():
    rng = np.random.default_rng(5)
    t, p = rng.normal(size=(100, 2)), rng.normal(size=(100, 2))
    dt = da.from_array(t, chunks=(17, 1))  # split outputs too: rechunked to whole rows
    dp = da.from_array(p, chunks=(40, 2))
    with dask.config.set(scheduler="synchronous"):
        lazy = ml.r2(dt, dp, multioutput="raw_values", compute=False)
        assert isinstance(lazy, da.Array) and lazy.shape == (2,)
        ml.assert_close(lazy.compute(), ml.r2(t, p, multioutput="raw_values"), rtol=1e-13)
        value = ml.rmse(t, dp)  # only y_pred lazy
        assert isinstance(value, float)
        ml.assert_close(value, ml.rmse(t, p), rtol=1e-14)
        column = da.from_array(t[:, :1], chunks=10)  # (n, 1) pairs with (n,)
        ml.assert_close(ml.mae(column, p[:, 0]), ml.mae(t[:, 0], p[:, 0]), rtol=1e-14)


def test_accumulator_edge_cases():
    acc = ml.RegressionAccumulator()
    assert repr(acc) == "RegressionAccumulator(n_samples=0, n_outputs=None)"
    with pytest.raises(ValueError, match="the accumulator is empty"):
        acc.mse()
    with pytest.raises(TypeError, match="must be a RegressionAccumulator"):
        acc.merge([1.0])
    one = ml.RegressionAccumulator().update([[1.0], [2.0]], [0.0, 0.0])  # (n, 1) and (n,)
    assert one.n_outputs == 1 and one.mse() == 2.5
    two = ml.RegressionAccumulator().update([[1.0, 2.0]], [[0.0, 0.0]])
    with pytest.raises(ValueError, match="different numbers of outputs: 1 and 2"):
        one.merge(two)
    merged = acc.merge(one)
    assert merged is not one and merged.mse() == 2.5
    with pytest.raises(ValueError, match="r2 needs at least two samples; got 1"):
        two.r2()
    with pytest.raises(ValueError, match="multioutput must be one of"):
        one.mse(multioutput="variance_weighted")
    with pytest.raises(TypeError, match="force_finite"):
        one.r2(force_finite="yes")


def test_merge_leaves_both_unchanged():
    rng = np.random.default_rng(6)
    t, p = rng.normal(size=20), rng.normal(size=20)
    a = ml.RegressionAccumulator().update(t[:8], p[:8])
    b = ml.RegressionAccumulator().update(t[8:], p[8:])
    values = (a.mse(), a.r2(), b.mse(), b.r2())
    a.merge(b).update(t, p)
    assert (a.mse(), a.r2(), b.mse(), b.r2()) == values


def test_a_memmap_is_read_block_by_block_like_an_array(tmp_path):
    rng = np.random.default_rng(7)
    t = rng.normal(size=(5000, 2)).astype(np.float32)
    p = (t + rng.normal(size=t.shape)).astype(np.float32)
    np.save(tmp_path / "t.npy", t)
    np.save(tmp_path / "p.npy", p)
    mt = np.load(tmp_path / "t.npy", mmap_mode="r")
    mp = np.load(tmp_path / "p.npy", mmap_mode="r")
    for name in METRICS:
        assert getattr(ml, name)(mt, mp) == getattr(ml, name)(t, p)
    acc = accumulate(mt, mp, None, [0, 1234, 5000])
    ml.assert_close(acc.r2(), ml.r2(t, p), rtol=1e-13, atol=1e-14)


def test_is_lazy_and_the_numpy_path_do_not_import_dask():
    code = (
        "import sys, numpy as np, mselib as ml\n"
        "from mselib.streaming import is_lazy\n"
        "assert not is_lazy(np.zeros(2), [1.0, 2.0], None)\n"
        "a = ml.RegressionAccumulator().update([1.0, 2.0], [1.0, 3.0])\n"
        "assert a.r2() == ml.r2([1.0, 2.0], [1.0, 3.0])\n"
        "assert 'dask' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    assert is_lazy(np.zeros(2), da.zeros(2)) and not is_lazy(None)


@pytest.mark.slow  # starts two worker processes: .ci/run runs it
def test_on_a_local_cluster_of_two_processes():
    from dask.distributed import Client, LocalCluster

    rng = np.random.default_rng(8)
    t = rng.normal(size=(20_000, 3))
    p = t + rng.normal(size=t.shape)
    w = rng.random(20_000)
    bad = t.copy()
    bad[12_345, 1] = np.nan
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster),
    ):
        for chunks in (1000, 7001):
            dt = da.from_array(t, chunks=(chunks, 3))
            for name in METRICS:
                ml.assert_close(
                    getattr(ml, name)(dt, p, sample_weight=w, multioutput="raw_values"),
                    getattr(ml, name)(t, p, sample_weight=w, multioutput="raw_values"),
                    rtol=1e-12,
                    label=f"{name}, chunks of {chunks}",
                )
        expected = outcome(lambda: ml.mse(bad, p))
        assert outcome(lambda: ml.mse(da.from_array(bad, chunks=3000), p)) == expected


def test_a_missing_dask_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)  # makes `import dask` raise ImportError
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"need Dask: pip install 'dask\[array\]'"):
        dask_metric("mse", np.zeros(3), np.zeros(3))


# ---------------------------------------------------------------- weights across the range
_exact_nmse = exact_oracle.nmse


def test_accumulator_nmse_with_weights_far_apart_matches_the_function():
    y = [-0.9783079515153658, 5.50475114036066e-06]
    p = [-0.97833794297624678, -1.3529232648530287e-03]
    w = [8.58, 2.06e203]
    want = _exact_nmse(y, p, w)  # 4.629106131349466e+196
    acc = ml.RegressionAccumulator().update(y, p, sample_weight=w)
    assert acc.nmse() == pytest.approx(want, rel=4e-16)
    assert acc.r2() == pytest.approx(1.0 - want, rel=4e-16)
    assert acc.nmse() == pytest.approx(ml.nmse(y, p, sample_weight=w), rel=4e-16)


@st.composite
def wide_chunked(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, style = draw(st.integers(2, 8)), draw(st.sampled_from(exact_oracle.WIDE_STYLES))
    t, p, w = exact_oracle.wide_samples(rng, n, style)
    cuts = sorted(set(draw(st.lists(st.integers(1, n - 1), max_size=4))))
    return t, p, w, [0, *cuts, n]


@given(wide_chunked())
def test_accumulator_equals_the_functions_with_weights_across_the_range(data):
    t, p, w, bounds = data
    try:
        want = _exact_nmse(t, p, w)
    except (ZeroDivisionError, OverflowError):  # constant y_true, or beyond float64
        return
    if not 0 < want < 1e300:
        return
    acc = accumulate(t, p, w, bounds)
    got, function = acc.nmse(), ml.nmse(t, p, sample_weight=w)
    ulp = math.ulp(want)
    assert abs(got - want) <= 4 * ulp, (got, want)
    assert abs(function - want) <= 4 * ulp, (function, want)
    assert acc.r2() == pytest.approx(ml.r2(t, p, sample_weight=w), rel=1e-14, abs=4 * ulp)


def test_a_sum_of_absolute_errors_past_float64_fails_only_mae():
    t, p = [-1e308, 0.0], [1e308, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        acc = ml.RegressionAccumulator().update(t, p)
        assert acc.rmse() == ml.rmse(t, p) == pytest.approx(math.sqrt(2) * 1e308, rel=1e-15)
        assert acc.mae() == ml.mae(t, p) == 1e308
        assert acc.nmse() == ml.nmse(t, p)
        split = ml.RegressionAccumulator().update(t[:1], p[:1]).update(t[1:], p[1:])
        assert split.mae() == 1e308
        tiny = ml.RegressionAccumulator().update([5e-324, 0.0], [0.0, 0.0]).update([1e-320], [0])
        assert tiny.mae() == ml.mae([5e-324, 0.0, 1e-320], [0.0, 0.0, 0.0])
        big = ml.RegressionAccumulator().update([-1.7e308, 1.7e308], [1.7e308, -1.7e308])
        with pytest.raises(ValueError, match="the sum of absolute errors overflows"):
            big.mae()
        with pytest.raises(ValueError, match="rmse overflows float64"):
            big.rmse()
