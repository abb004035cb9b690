"""Unit tests for mselib.metrics: exact hand-computed values and every bad input.

Expected values are computed here, independently of mselib: with exact rational
arithmetic (``fractions.Fraction``), by hand, or with ``math.fsum``.
"""

from __future__ import annotations

import math
import threading
import warnings
from fractions import Fraction

import exact_oracle
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mselib.metrics as metrics
from mselib import _accumulate, _threads
from mselib.metrics import huber, mae, mse, nmse, r2, rmse

Y_TRUE = [3, -0.5, 2, 7]
Y_PRED = [2.5, 0.0, 2, 8]
Y2_TRUE = [[0.5, 1], [-1, 1], [7, -6]]
Y2_PRED = [[0, 2], [-1, 2], [8, -5]]
ALL = [mse, rmse, mae, huber, nmse, r2]


# ---------------------------------------------------------------- exact oracles
def _frac_cols(y):
    """Columns of y as lists of Fractions (a vector is one column)."""
    arr = np.asarray(y, dtype=float)
    arr = arr.reshape(len(arr), -1)
    return [[Fraction(float(v)) for v in arr[:, j]] for j in range(arr.shape[1])]


def _frac_weights(w, n):
    return [Fraction(1)] * n if w is None else [Fraction(float(v)) for v in w]


def exact_mean_loss(loss, y_true, y_pred, w=None):
    """Per-output weighted mean of loss(t - p), in exact arithmetic."""
    out = []
    for t, p in zip(_frac_cols(y_true), _frac_cols(y_pred), strict=True):
        ws = _frac_weights(w, len(t))
        out.append(sum(wi * loss(a - b) for wi, a, b in zip(ws, t, p, strict=True)) / sum(ws))
    return out


def exact_nmse(y_true, y_pred, w=None):
    out = []
    for t, p in zip(_frac_cols(y_true), _frac_cols(y_pred), strict=True):
        ws = _frac_weights(w, len(t))
        mean = sum(wi * a for wi, a in zip(ws, t, strict=True)) / sum(ws)
        sse = sum(wi * (a - b) ** 2 for wi, a, b in zip(ws, t, p, strict=True))
        sst = sum(wi * (a - mean) ** 2 for wi, a in zip(ws, t, strict=True))
        out.append(sse / sst)
    return out


def exact_huber(delta):
    d = Fraction(delta)
    return lambda e: e * e / 2 if abs(e) <= d else d * (abs(e) - d / 2)


def square(e):
    return e * e


# ------------------------------------------------------------ the 0.375 example
def test_classic_example_exact():
    assert exact_mean_loss(square, Y_TRUE, Y_PRED) == [Fraction(3, 8)]
    assert mse(Y_TRUE, Y_PRED) == 0.375
    assert mae(Y_TRUE, Y_PRED) == 0.5
    assert huber(Y_TRUE, Y_PRED) == 0.1875  # every |e| <= 1: half the MSE
    assert huber(Y_TRUE, Y_PRED, delta=0.5) == float(
        exact_mean_loss(exact_huber(0.5), Y_TRUE, Y_PRED)[0]
    )
    assert rmse(Y_TRUE, Y_PRED) == math.sqrt(0.375)
    exact = exact_nmse(Y_TRUE, Y_PRED)[0]
    assert exact == Fraction(3, 2) / Fraction(467, 16)  # SSE = 3/2, SST = 467/16
    assert nmse(Y_TRUE, Y_PRED) == pytest.approx(float(exact), rel=1e-15)
    assert r2(Y_TRUE, Y_PRED) == pytest.approx(float(1 - exact), rel=1e-15)


def test_returns_python_float_and_float64_arrays():
    for f in ALL:
        assert type(f(Y_TRUE, Y_PRED)) is float
        raw = f(Y2_TRUE, Y2_PRED, multioutput="raw_values")
        assert isinstance(raw, np.ndarray) and raw.dtype == np.float64 and raw.shape == (2,)
        raw1 = f(Y_TRUE, Y_PRED, multioutput="raw_values")
        assert raw1.shape == (1,)


# ----------------------------------------------------------- weighted, by hand
def test_weighted_by_hand():
    w = [1, 2, 0, 3]
    # errors t - p = [0.5, -0.5, 0, -1]; weighted squares 1/4 + 2/4 + 0 + 3 over 6
    assert mse(Y_TRUE, Y_PRED, sample_weight=w) == 0.625
    assert mae(Y_TRUE, Y_PRED, sample_weight=w) == 0.75  # (0.5 + 1 + 0 + 3) / 6
    assert rmse(Y_TRUE, Y_PRED, sample_weight=w) == math.sqrt(0.625)
    assert huber(Y_TRUE, Y_PRED, sample_weight=w, delta=0.5) == pytest.approx(
        float(exact_mean_loss(exact_huber(0.5), Y_TRUE, Y_PRED, w)[0]), rel=1e-15
    )
    for f, expected in [(nmse, exact_nmse(Y_TRUE, Y_PRED, w)[0])]:
        assert f(Y_TRUE, Y_PRED, sample_weight=w) == pytest.approx(float(expected), rel=1e-15)
    expected_r2 = 1 - exact_nmse(Y_TRUE, Y_PRED, w)[0]
    assert r2(Y_TRUE, Y_PRED, sample_weight=w) == pytest.approx(float(expected_r2), rel=1e-15)


def test_zero_weight_rows_are_ignored():
    w = [1, 1, 0, 1]
    kept = [0, 1, 3]
    yt, yp = np.asarray(Y_TRUE)[kept], np.asarray(Y_PRED)[kept]
    for f in ALL:
        assert f(Y_TRUE, Y_PRED, sample_weight=w) == pytest.approx(f(yt, yp), rel=1e-15)


# -------------------------------------------------------------- multi-output
def test_multioutput_by_hand():
    raw = mse(Y2_TRUE, Y2_PRED, multioutput="raw_values")
    np.testing.assert_array_equal(raw, [5 / 12, 1.0])  # (1/4 + 0 + 1) / 3 and (1 + 1 + 1) / 3
    assert mse(Y2_TRUE, Y2_PRED) == pytest.approx((5 / 12 + 1) / 2, rel=1e-15)
    assert mse(Y2_TRUE, Y2_PRED, multioutput=[0.3, 0.7]) == pytest.approx(
        0.3 * 5 / 12 + 0.7, rel=1e-15
    )
    assert mse(Y2_TRUE, Y2_PRED, multioutput=[0, 1]) == 1.0
    np.testing.assert_array_equal(mae(Y2_TRUE, Y2_PRED, multioutput="raw_values"), [0.5, 1.0])


def test_rmse_averages_per_output_roots():
    per_output = [math.sqrt(5 / 12), 1.0]
    assert rmse(Y2_TRUE, Y2_PRED) == pytest.approx(sum(per_output) / 2, rel=1e-15)
    # ... which is not the root of the averaged MSE
    assert rmse(Y2_TRUE, Y2_PRED) != pytest.approx(math.sqrt(mse(Y2_TRUE, Y2_PRED)), rel=1e-3)


def test_r2_multioutput_by_hand():
    per = [1 - v for v in exact_nmse(Y2_TRUE, Y2_PRED)]
    np.testing.assert_allclose(
        r2(Y2_TRUE, Y2_PRED, multioutput="raw_values"), [float(v) for v in per], rtol=1e-15
    )
    # variance_weighted: weights are the per-output sums of squares of y_true
    cols = _frac_cols(Y2_TRUE)
    sst = [sum((a - sum(c) / len(c)) ** 2 for a in c) for c in cols]
    expected = sum(s * v for s, v in zip(sst, per, strict=True)) / sum(sst)
    assert r2(Y2_TRUE, Y2_PRED, multioutput="variance_weighted") == pytest.approx(
        float(expected), rel=1e-15
    )


def test_column_and_vector_pair_up():
    col_t = np.asarray(Y_TRUE).reshape(-1, 1)
    col_p = np.asarray(Y_PRED).reshape(-1, 1)
    for f in ALL:
        assert f(col_t, Y_PRED) == f(Y_TRUE, col_p) == f(col_t, col_p) == f(Y_TRUE, Y_PRED)


def test_huber_regimes_and_boundary():
    # |e| = delta exactly is in the quadratic branch; both branches agree there
    assert huber([0.0], [2.0], delta=2.0) == 2.0  # 0.5 * 2^2
    assert huber([0.0], [3.0], delta=2.0) == 4.0  # 2 * (3 - 1)
    assert huber([0.0], [-3.0], delta=2.0) == 4.0
    assert huber([0], [10], delta=1e-3) == pytest.approx(1e-3 * (10 - 0.5e-3), rel=1e-15)


# -------------------------------------------------------------- dtypes
def test_float32_accumulates_in_float64():
    rng = np.random.default_rng(20240601)
    n = 2_000_000
    y_true = rng.standard_normal(n).astype(np.float32)
    y_pred = (y_true + 0.1 * rng.standard_normal(n)).astype(np.float32)
    diff = y_true.astype(np.float64) - y_pred.astype(np.float64)  # exact
    reference = math.fsum((diff * diff).tolist()) / n
    ours = mse(y_true, y_pred)
    assert abs(ours - reference) / reference < 1e-13  # measured 3.6e-15
    assert mse(y_true, y_pred) == mse(y_true.astype(np.float64), y_pred.astype(np.float64))
    # the naive float32 computations are several orders of magnitude worse
    d32 = y_true - y_pred
    naive_mean = float(np.mean(d32**2))
    naive_dot = float(np.dot(d32, d32)) / n
    assert abs(naive_mean - reference) / reference > 1e-10
    assert abs(naive_dot - reference) / reference > 1e-10


def test_integer_and_small_dtypes_do_not_wrap():
    # uint8 arithmetic would give (0 - 255) % 256 = 1
    assert mse(np.array([0], np.uint8), np.array([255], np.uint8)) == 255.0**2
    assert mae(np.array([0, 200], np.uint8), np.array([255, 0], np.uint8)) == 227.5
    big = 2**53
    assert mse(np.array([big], np.int64), np.array([-big], np.int64)) == float(2 * big) ** 2
    half = np.array([1.5, 2.5], np.float16)
    assert mse(half, np.array([0, 0], np.int8)) == (1.5**2 + 2.5**2) / 2
    assert mse([1, 2], np.array([1.5, 2.5], np.float32)) == 0.25


def test_long_double_is_accepted():
    yt = np.array(Y_TRUE, dtype=np.longdouble)
    assert mse(yt, Y_PRED) == 0.375


# ------------------------------------------------- blocked path, layouts, threads
@pytest.fixture(params=["pinned", "serial"])
def block_mode(request, monkeypatch):
    """Run with BLAS pinned by threadpoolctl, or with the fallback used without it."""
    if request.param == "serial":
        monkeypatch.setattr(_threads, "_controller", False)
    return request.param


def _reference(kind, y_true, y_pred, w=None, delta=1.0):
    e = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    a = np.abs(e)
    loss = {
        "sq": e * e,
        "abs": a,
        "huber": np.where(a <= delta, 0.5 * e * e, delta * (a - 0.5 * delta)),
    }
    return np.average(loss[kind], axis=0, weights=w)


@pytest.mark.parametrize("shape", [(3 * _accumulate._BLOCK + 123,), (70_001, 3), (50_000, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_many_blocks_match_direct_formula(block_mode, shape, dtype):
    rng = np.random.default_rng(7)
    y_true = rng.standard_normal(shape).astype(dtype)
    y_pred = rng.standard_normal(shape).astype(dtype)
    w = rng.uniform(0, 2, shape[0])
    for f, kind in [(mse, "sq"), (mae, "abs"), (huber, "huber")]:
        for weights in (None, w):
            ours = f(y_true, y_pred, sample_weight=weights, multioutput="raw_values")
            expected = np.atleast_1d(_reference(kind, y_true, y_pred, weights))
            np.testing.assert_allclose(ours, expected, rtol=1e-12)
    yt64 = y_true.astype(np.float64).reshape(shape[0], -1)
    var = np.average((yt64 - np.average(yt64, axis=0, weights=w)) ** 2, axis=0, weights=w)
    expected = _reference("sq", y_true, y_pred, w) / var
    np.testing.assert_allclose(nmse(y_true, y_pred, sample_weight=w, multioutput="raw_values"),
                               np.atleast_1d(expected), rtol=1e-10)


def test_strided_and_fortran_inputs():
    rng = np.random.default_rng(11)
    big_t = rng.standard_normal((200_000, 4))
    big_p = rng.standard_normal((200_000, 4))
    yt, yp = big_t[::2, 1:], np.asfortranarray(big_p[::2, 1:])
    np.testing.assert_allclose(mse(yt, yp, multioutput="raw_values"),
                               np.mean((yt - yp) ** 2, axis=0), rtol=1e-12)
    v, u = big_t[::3, 2], big_p[::3, 0]
    assert mse(v, u) == pytest.approx(float(np.mean((v - u) ** 2)), rel=1e-12)


def test_more_outputs_than_a_block():
    rng = np.random.default_rng(3)
    yt = rng.standard_normal((3, _accumulate._BLOCK + 5))
    yp = rng.standard_normal(yt.shape)
    np.testing.assert_allclose(mse(yt, yp, multioutput="raw_values"),
                               np.mean((yt - yp) ** 2, axis=0), rtol=1e-12)


def test_threads_agree_and_blas_limit_is_restored():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [d["num_threads"] for d in threadpoolctl.threadpool_info()]
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(400_000), rng.standard_normal(400_000)
    expected = mse(a, b)
    results = []

    def work():
        results.extend(mse(a, b) for _ in range(5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 20
    assert [d["num_threads"] for d in threadpoolctl.threadpool_info()] == before


def test_long_loops_split_between_two_threads_give_the_serial_result(monkeypatch):
    # From _SPLIT_ABOVE elements on, the blocks are shared by two threads; each block's
    # partial sum lands in its own row, so the result is bit for bit the serial one.
    rng = np.random.default_rng(9)
    n = _accumulate._SPLIT_ABOVE + 12_345
    a, b = rng.standard_normal(n), rng.standard_normal(n).astype(np.float32)
    w = rng.uniform(0, 2, n)
    split = [mse(a, b), mae(a, b, sample_weight=w), r2(a, b), huber(a, b, sample_weight=w)]
    monkeypatch.setattr(_accumulate, "_SPLIT_ABOVE", 2 * n)
    serial = [mse(a, b), mae(a, b, sample_weight=w), r2(a, b), huber(a, b, sample_weight=w)]
    assert split == serial
    monkeypatch.undo()
    b = b.astype(np.float64)
    b[n - 3] = np.nan  # in the half the worker thread sums
    with pytest.raises(ValueError, match=rf"y_pred contains NaN at index {n - 3} \(1 non-finite"):
        mse(a, b)


@pytest.mark.parametrize("split", [True, False])
def test_block_sums_are_folded_in_groups_so_memory_does_not_grow_with_n(monkeypatch, split):
    # Block sums are kept for _GROUP blocks at a time, then added to the total. With groups
    # of 3 blocks of 1024 elements, 20 blocks make 7 groups (the last of 2 blocks); the
    # result must be the exact mean to float64 accuracy (oracle: Fraction), for 1 and 2
    # outputs, weighted or not, on one thread or two.
    monkeypatch.setattr(_accumulate, "_BLOCK", 1024)
    monkeypatch.setattr(_accumulate, "_SERIAL", 256)
    monkeypatch.setattr(_accumulate, "_PIN_ABOVE", 512)
    monkeypatch.setattr(_accumulate, "_GROUP", 3)
    monkeypatch.setattr(_accumulate, "_SPLIT_ABOVE", 0 if split else 10**9)
    monkeypatch.setattr(_accumulate, "_local", threading.local())  # buffers of the new size
    groups = []
    if split:  # count the groups: one split loop per group
        real = _accumulate.run_split
        monkeypatch.setattr(_accumulate, "run_split",
                            lambda work, count: (groups.append(count), real(work, count)))
    rng = np.random.default_rng(21)
    n = 20 * 1024 - 5
    for shape in [(n,), (n // 2, 2)]:
        a = rng.standard_normal(shape)
        b = rng.standard_normal(shape).astype(np.float32)
        w = rng.uniform(0, 2, shape[0])
        for weights in (None, w):
            omega = [Fraction(1)] * shape[0] if weights is None else list(map(Fraction, w))
            d = a.reshape(shape[0], -1) - b.reshape(shape[0], -1).astype(np.float64)
            total = sum(omega)
            exact = [
                sum(o * Fraction(float(x)) ** 2 for o, x in zip(omega, col, strict=True)) / total
                for col in d.T
            ]
            got = mse(a, b, sample_weight=weights, multioutput="raw_values")
            np.testing.assert_allclose(got, [float(x) for x in exact], rtol=1e-14)
            # 2**-600 times smaller: the squares underflow, and the robust path (blocks of
            # _SERIAL elements, also folded in groups) forms the sums from scaled terms.
            tiny = rmse(np.ldexp(a, -600), np.ldexp(b.astype(np.float64), -600),
                        sample_weight=weights, multioutput="raw_values")
            np.testing.assert_allclose(np.ldexp(tiny, 600), [math.sqrt(x) for x in exact],
                                       rtol=1e-14)
    if split:  # 20 blocks in groups of 3, 3, 3, 3, 3, 3, 2; eight plain passes
        assert groups == [3, 3, 3, 3, 3, 3, 2] * 8


def test_one_pooled_worker_even_when_calls_follow_each_other_fast():
    # The split loop uses the calling thread and one pooled worker. A pool of two would
    # start a second worker (with block buffers of its own) whenever a call is submitted
    # before the first worker is marked idle again, which happens under load.
    n = _accumulate._SPLIT_ABOVE + 1
    a = np.ones(n)
    for _ in range(50):
        mse(a, a)
    names = [t.name for t in threading.enumerate() if t.name.startswith("mselib")]
    assert len(names) <= 1, names
    assert _threads._worker_pool()._max_workers == 1


def test_input_is_not_modified():
    yt = np.array([1.0, 2.0, 4.0])
    yp = np.array([1.5, 2.0, 3.0])
    w = np.array([1.0, 2.0, 3.0])
    for f in ALL:
        f(yt, yp, sample_weight=w)
    np.testing.assert_array_equal(yt, [1.0, 2.0, 4.0])
    np.testing.assert_array_equal(yp, [1.5, 2.0, 3.0])
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0])


# ------------------------------------------------------------------ bad inputs
V = [1.0, 2.0, 3.0, 4.0]
NAN, INF = float("nan"), float("inf")
BAD = [
    # (id, metric, args, kwargs, exception, message regex)
    ("row-vs-vector", mse, ([V], V), {}, ValueError,
     r"y_true and y_pred must have the same shape.*\(1, 4\).*\(4,\).*ravel"),
    ("2-cols-vs-vector", mse, (np.ones((4, 2)), V), {}, ValueError,
     r"same shape.*y_true with shape \(4, 2\).*y_pred with shape \(4,\)"),
    ("different-lengths", mae, (V, V[:3]), {}, ValueError,
     r"same shape.*different numbers of samples \(4 vs 3\)"),
    ("k-vs-j-outputs", mse, (np.ones((4, 2)), np.ones((4, 3))), {}, ValueError,
     r"same shape.*\(4, 2\).*\(4, 3\)"),
    ("empty", mse, ([], []), {}, ValueError,
     r"y_true is empty \(shape \(0,\)\); expected at least one sample"),
    ("zero-outputs", mse, (np.ones((3, 0)), np.ones((3, 0))), {}, ValueError,
     r"y_true is empty \(shape \(3, 0\)\); expected at least one sample and one output"),
    ("nan-y_true", mse, ([1, 2, NAN, 4], V), {}, ValueError,
     r"y_true contains NaN at index 2 \(1 non-finite value\); expected finite"),
    ("inf-y_pred", mae, (V, [1, INF, 3, -INF]), {}, ValueError,
     r"y_pred contains \+inf at index 1 \(2 non-finite values\); expected finite"),
    ("nan-2d", huber, (np.ones((2, 2)), [[1, 1], [1, NAN]]), {}, ValueError,
     r"y_pred contains NaN at index \(1, 1\)"),
    ("nan-weight", mse, (V, V), {"sample_weight": [1, NAN, 1, 1]}, ValueError,
     r"sample_weight contains NaN at index 1 \(1 non-finite value\); expected finite weights"),
    ("inf-weight", mse, (V, V), {"sample_weight": [1, 1, INF, 1]}, ValueError,
     r"sample_weight contains \+inf at index 2"),
    ("complex", mse, (np.array(V) + 1j, V), {}, TypeError,
     r"y_true must hold real numbers \(an integer or floating dtype\); got dtype complex128"),
    ("strings", mse, (V, ["1", "2", "3", "4"]), {}, TypeError,
     r"y_pred must hold real numbers.*got dtype <U1 \(strings\)"),
    ("bool", rmse, ([True, False], [1.0, 0.0]), {}, TypeError,
     r"y_true must hold real numbers.*got dtype bool \(booleans\)"),
    ("object-none", mse, ([1, None, 3], [1, 2, 3]), {}, TypeError,
     r"y_true must hold real numbers.*got dtype object"),
    ("datetime", mse, (np.array(["2024-01-01"], dtype="M8[D]"), [1.0]), {}, TypeError,
     r"y_true must hold real numbers.*datetimes"),
    ("ragged", mse, ([[1, 2], [3]], [[1, 2], [3, 4]]), {}, ValueError,
     r"y_true could not be converted to a numeric array; expected a rectangular.*ragged"),
    ("scalar", mse, (3.0, 3.0), {}, ValueError,
     r"y_true must be 1-D \(n_samples,\) or 2-D \(n_samples, n_outputs\); "
     r"got a 0-D scalar \(3.0\)"),
    ("3-d", mse, (np.ones((2, 2, 2)), np.ones((2, 2, 2))), {}, ValueError,
     r"y_true must be 1-D.*or 2-D.*got 3-D input with shape \(2, 2, 2\)"),
    ("negative-weight", mse, (V, V), {"sample_weight": [1, -1, 1, 1]}, ValueError,
     r"sample_weight must be non-negative; got -1 at index 1"),
    ("zero-sum-weights", mae, (V, V), {"sample_weight": [0, 0, 0, 0]}, ValueError,
     r"sample_weight sums to zero.*expected at least one positive weight"),
    ("weight-length", mse, (V, V), {"sample_weight": [1, 1, 1]}, ValueError,
     r"sample_weight must be 1-D with one weight per sample \(n = 4\), shape \(4,\); "
     r"got shape \(3,\)"),
    ("weights-2d", mse, (V, V), {"sample_weight": [[1], [1], [1], [1]]}, ValueError,
     r"sample_weight must be 1-D.*shape \(4,\); got shape \(4, 1\)"),
    ("weights-strings", mse, (V, V), {"sample_weight": ["a", "b", "c", "d"]}, TypeError,
     r"sample_weight must hold real numbers"),
    ("multioutput-length", mse, (Y2_TRUE, Y2_PRED), {"multioutput": [1, 1, 1]}, ValueError,
     r"multioutput must be 1-D with one weight per output \(k = 2\), shape \(2,\); "
     r"got shape \(3,\)"),
    ("multioutput-unknown", mse, (V, V), {"multioutput": "mean"}, ValueError,
     r"multioutput must be one of 'raw_values', 'uniform_average' or an array-like of 1 "
     r"non-negative output weights; got 'mean'"),
    ("multioutput-negative", r2, (Y2_TRUE, Y2_PRED), {"multioutput": [1, -1]}, ValueError,
     r"multioutput must be non-negative; got -1 at index 1"),
    ("multioutput-zero", mae, (Y2_TRUE, Y2_PRED), {"multioutput": [0, 0]}, ValueError,
     r"multioutput sums to zero.*expected at least one positive weight"),
    ("multioutput-nan", mae, (Y2_TRUE, Y2_PRED), {"multioutput": [NAN, 1]}, ValueError,
     r"multioutput contains NaN at index 0"),
    ("variance_weighted-mse", mse, (V, V), {"multioutput": "variance_weighted"}, ValueError,
     r"multioutput must be one of 'raw_values', 'uniform_average'.*only defined for r2"),
    ("variance_weighted-nmse", nmse, (V, V), {"multioutput": "variance_weighted"}, ValueError,
     r"only defined for r2"),
    ("delta-zero", huber, (V, V), {"delta": 0}, ValueError,
     r"delta must be a finite number > 0; got 0"),
    ("delta-negative", huber, (V, V), {"delta": -1.5}, ValueError,
     r"delta must be a finite number > 0; got -1.5"),
    ("delta-nan", huber, (V, V), {"delta": NAN}, ValueError,
     r"delta must be a finite number > 0; got nan"),
    ("delta-inf", huber, (V, V), {"delta": INF}, ValueError,
     r"delta must be a finite number > 0; got inf"),
    ("delta-string", huber, (V, V), {"delta": "1.0"}, TypeError,
     r"delta must be a real number > 0; got str '1.0'\."),
    ("delta-bool", huber, (V, V), {"delta": True}, TypeError,
     r"delta must be a real number.*got bool True"),
    ("constant-r2", r2, ([2, 2, 2], [1, 2, 3]), {"force_finite": False}, ValueError,
     r"y_true is constant \(every sample equals 2.0\), so its variance is zero.*r2.*"
     r"expected y_true with at least two distinct values"),
    ("constant-column-nmse", nmse, ([[1, 5], [2, 5]], [[1, 2], [3, 4]]), {}, ValueError,
     r"output 1 of y_true is constant.*nmse.*expected y_true with at least two distinct"),
    ("constant-where-weighted", r2, ([1, 3, 3], [1, 2, 3]),
     {"sample_weight": [0, 1, 2], "force_finite": False},
     ValueError, r"y_true is constant \(every sample with positive weight equals 3.0\)"),
    ("variance-tiny-ratio-overflows", nmse, ([0.0, 1e-170], [1.0, 1.0]), {}, ValueError,
     r"nmse overflows float64: y_true and y_pred are finite"),
    ("single-sample-r2", r2, ([1.5], [1.0]), {}, ValueError,
     r"r2 needs at least two samples; got 1"),
    ("force-finite-not-bool", r2, (V, V), {"force_finite": "yes"}, TypeError,
     r"force_finite must be True or False; got str 'yes'\."),
    ("output-weights-one-output", mse, (V, V), {"multioutput": [2.0]}, ValueError,
     r"multioutput as output weights needs several outputs; y_true has one output"),
    ("overflow-mse", mse, ([1e200, 1.0], [-1e200, 2.0]), {}, ValueError,
     r"the mean squared error overflows float64: y_true, y_pred are finite but too large "
     r"\(largest \|value\| 1e\+200\); expected inputs for which it stays below"),
    ("overflow-sum", mse, ([1e154] * 4, [-1e154] * 4), {}, ValueError,
     r"mean squared error overflows float64"),
    ("overflow-mae", mae, ([1.7e308], [-1.7e308]), {}, ValueError,
     r"the sum of absolute errors overflows float64: y_true, y_pred are finite"),
    ("overflow-huber", huber, ([1.7e308], [-1.7e308]), {}, ValueError,
     r"the sum of Huber losses overflows float64"),
    ("overflow-weighted", mse, ([1e200, 0.0], [0.0, 0.0]), {"sample_weight": [1.0, 2.0]},
     ValueError, r"overflows float64: y_true, y_pred, sample_weight are finite"),
    ("constant-huge", nmse, ([1.7e308, 1.7e308], [1.0, 2.0]), {}, ValueError,
     r"y_true is constant \(every sample equals 1.7e\+308\)"),
    ("overflow-nmse-ratio", nmse, ([0.0, 1e-150], [1e10, 0.0]), {}, ValueError,
     r"nmse overflows float64: y_true and y_pred are finite.*expected inputs rescaled"),
]


@pytest.mark.parametrize(
    ("metric", "args", "kwargs", "exc", "match"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_input(metric, args, kwargs, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error must come without numpy warnings first
        with pytest.raises(exc, match=match):
            metric(*args, **kwargs)


@pytest.mark.parametrize("metric", ALL)
def test_every_metric_validates(metric):
    with pytest.raises(ValueError, match=r"y_true and y_pred must have the same shape"):
        metric([[1.0, 2.0, 3.0]], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"y_pred must hold real numbers"):
        metric([1.0, 2.0], [1 + 0j, 2.0])
    with pytest.raises(ValueError, match=r"y_true contains NaN at index 0"):
        metric([NAN, 2.0, 3.0], [1.0, 2.0, 4.0])


def test_nonfinite_in_a_late_block_is_located():
    n = 5 * _accumulate._BLOCK
    yt, yp = np.zeros(n), np.ones(n)
    yp[n - 7] = np.nan
    with pytest.raises(ValueError, match=rf"y_pred contains NaN at index {n - 7} \(1 non-finite"):
        mse(yt, yp)
    with pytest.raises(ValueError, match=r"y_true contains \+inf"):
        r2(np.where(np.arange(n) == 3, np.inf, yt), yt)


def test_nan_in_zero_weight_row_is_still_an_error():
    with pytest.raises(ValueError, match=r"y_true contains NaN at index 1"):
        mse([1.0, NAN], [1.0, 2.0], sample_weight=[1.0, 0.0])


def test_weighted_constant_output_uses_positive_weights_only():
    # constant among positively weighted samples, but not overall: still undefined
    with pytest.raises(ValueError, match=r"constant"):
        nmse([9.0, 0.1, 0.1, 0.1], [1.0, 2.0, 3.0, 4.0], sample_weight=[0, 1, 1, 1])
    # a value that does not round-trip through the mean exactly is still "constant"
    with pytest.raises(ValueError, match=r"every sample equals 0.1"):
        r2([0.1] * 7, [0.2] * 7, force_finite=False)
    assert r2([0.1] * 7, [0.2] * 7) == 0.0 and r2([0.1] * 7, [0.1] * 7) == 1.0


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_variance_dominated_by_a_tiny_weight(order):
    # Found by hypothesis: a shifted mean (y0 + mean(y - y0)) loses this case.
    y_true = np.array([0.0, 349526.0842725812])[order]
    y_pred = np.zeros(2)
    w = np.array([3.0, 3.58510811e-188])[order]
    expected = exact_nmse(y_true, y_pred, w)[0]
    assert nmse(y_true, y_pred, sample_weight=w) == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize("scale", [1e-300, 2.0**-70, 1e300, 2.0**1000])
def test_only_ratios_of_weights_matter(scale):
    # huge or tiny weights: each product is scaled by powers of two (no overflow, no subnormals)
    w = np.array([1.0, 2.0, 0.0, 3.0])
    for f in ALL:
        assert f(Y_TRUE, Y_PRED, sample_weight=w * scale) == pytest.approx(
            f(Y_TRUE, Y_PRED, sample_weight=w), rel=1e-15
        )
    assert mse(Y2_TRUE, Y2_PRED, multioutput=[scale, 2 * scale]) == pytest.approx(
        mse(Y2_TRUE, Y2_PRED, multioutput=[1, 2]), rel=1e-15
    )


# ------------------------------------------------------------------ the whole float64 range
@given(
    st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30),
    st.data(),
    st.integers(-1060, 1000),
)
def test_scale_by_a_power_of_two_scales_the_metrics_exactly(values, data, k):
    # Scaling y and y_pred by 2**k is exact; the metrics must follow, down to the subnormals:
    # squaring tiny errors would underflow, so mselib scales before squaring.
    y_true = np.array(values)
    y_pred = y_true + np.array(data.draw(st.lists(st.floats(-1, 1), min_size=len(values),
                                                  max_size=len(values))))
    yt, yp = np.ldexp(y_true, k), np.ldexp(y_pred, k)
    if not (np.array_equal(np.ldexp(yt, -k), y_true) and np.array_equal(np.ldexp(yp, -k), y_pred)):
        return  # scaling rounded (subnormal): the data themselves changed
    e = y_true - y_pred
    if np.all(e == 0) or np.ptp(y_true) == 0:
        return
    assert rmse(yt, yp) == pytest.approx(np.ldexp(rmse(y_true, y_pred), k), rel=1e-12)
    try:
        expected = nmse(y_true, y_pred)
    except ValueError as error:  # the ratio itself is beyond float64 (tiny Var(y_true))
        assert "nmse overflows float64" in str(error)
        with pytest.raises(ValueError, match="nmse overflows float64"):
            nmse(yt, yp)
        return
    assert nmse(yt, yp) == pytest.approx(expected, rel=1e-12)
    assert r2(yt, yp) == pytest.approx(r2(y_true, y_pred), rel=1e-12, abs=1e-12)


def test_huge_errors_whose_squares_overflow():
    # The squares overflow float64, the RMSE and the ratios do not: scaled before squaring.
    assert rmse([1e200, 1.0], [-1e200, 2.0]) == pytest.approx(2e200 / np.sqrt(2), rel=1e-15)
    assert r2([1e200, -1e200], [1e200, -1e200]) == 1.0
    y, p = np.array([1e200, -1e200, 3e199]), np.array([9e199, -1e200, 0.0])
    exact = exact_nmse(y, p, None)[0]
    assert nmse(y, p) == pytest.approx(float(exact), rel=1e-14)


def test_tiny_errors_keep_their_digits():
    assert rmse([1e-170], [0.0]) == 1e-170
    assert rmse([3e-200, 4e-200], [0.0, 0.0]) == pytest.approx(np.sqrt(12.5) * 1e-200, rel=1e-15)
    assert mse([1e-170], [0.0]) == 0.0  # the true 1e-340 is below the smallest float64
    y, p = [0.0, 1e-160, 2e-160], [0.0, 1.1e-160, 2e-160]
    exact = exact_nmse(y, p, None)[0]
    assert nmse(y, p) == pytest.approx(float(exact), rel=1e-14)
    assert r2(y, p) == pytest.approx(1 - float(exact), rel=1e-14)


def test_variance_weighted_with_outputs_of_very_different_scales():
    rng = np.random.default_rng(3)
    big = rng.normal(size=50) * 1e200
    small = rng.normal(size=50) * 1e-200
    y = np.column_stack([big, small])
    p = y + np.column_stack([rng.normal(size=50) * 1e199, rng.normal(size=50) * 1e-199])
    # the small output's variance is 1e-800 of the big one's: its weight is nil
    got = r2(y, p, multioutput="variance_weighted")
    assert got == pytest.approx(r2(big, p[:, 0]), rel=1e-14)


def test_float16_weights_are_used_exactly_and_quietly():
    rng = np.random.default_rng(4)
    y, p = rng.normal(size=200), rng.normal(size=200)
    w16 = rng.uniform(0, 60000, 200).astype(np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = mse(y, p, sample_weight=w16)
    assert got == pytest.approx(mse(y, p, sample_weight=w16.astype(np.float64)), rel=1e-15)


@pytest.mark.parametrize(
    ("metric", "kwargs", "name"),
    [(huber, {"delta": 10**400}, "delta"), (metrics.pinball, {"alpha": -(10**400)}, "alpha"),
     (metrics.smooth_l1, {"beta": 10**400}, "beta")],
)
def test_integers_beyond_float64_are_a_clear_error(metric, kwargs, name):
    with pytest.raises(ValueError, match=rf"{name} must be .*integer too large for float64"):
        metric([1.0], [2.0], **kwargs)


def test_masked_arrays_are_refused_unless_nothing_is_masked():
    masked = np.ma.masked_array([1.0, 2.0, 100.0], mask=[0, 0, 1])
    with pytest.raises(ValueError, match=r"y_true is a masked array with 1 masked entry"):
        mse(masked, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"sample_weight is a masked array"):
        mse([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], sample_weight=masked)
    plain = np.ma.masked_array([1.0, 2.0, 100.0], mask=[0, 0, 0])
    assert mse(plain, [1.0, 2.0, 3.0]) == mse([1.0, 2.0, 100.0], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("error", "beta", "expected"),
    [
        (1e-300, 1e-310, Fraction(1e-300) - Fraction(1e-310) / 2),  # beta tiny: no underflow
        (1e300, 1e-10, Fraction(1e300) - Fraction(1e-10) / 2),
        (1e308, 1e300, Fraction(1e308) - Fraction(1e300) / 2),  # beta * |e| would overflow
        (1e-10, 1e300, Fraction(1e-10) ** 2 / (2 * Fraction(1e300))),  # quadratic branch
    ],
)
def test_smooth_l1_across_the_float64_range(error, beta, expected):
    # (a subnormal beta carries fewer digits; halving it rounds: hence 1e-14, not 1 ulp)
    assert metrics.smooth_l1([0.0], [error], beta=beta) == pytest.approx(float(expected), rel=1e-14)


# ---------------------------------------------------------------- adversarial accuracy
_exact_ratio = exact_oracle.nmse


def _ulps(got, want):
    return abs(got - want) / math.ulp(want)


@pytest.mark.parametrize(
    ("y", "p", "w"),
    [
        ([0.0, 5e-324], [0.0, 0.0], None),  # mean 2.5e-324 rounds to 0 or 5e-324
        ([1e8, 1e8 + 1.4901161193847656e-08], [1e8, 1e8], None),  # mean halfway
        ([0.8, -1.5], [12.7, 7.3], [1e-4, 1e30]),  # the mean rounds by an ulp
        ([100000000.00000003, 100000000.00000001], [100000049.40588674, 99999973.50786516],
         [3.7558268592135037e133, 1.0244416632110478e97]),
        ([-0.9783079515153658, 5.50475114036066e-06],
         [-0.97833794297624678, -1.3529232648530287e-03], [8.58, 2.06e203]),
    ],
)
def test_nmse_and_r2_are_not_swamped_by_the_rounding_of_the_mean(y, p, w):
    want = _exact_ratio(y, p, w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _ulps(nmse(y, p, sample_weight=w), want) <= 4
        assert _ulps(1.0 - r2(y, p, sample_weight=w), want) <= 4 + abs(want) / math.ulp(1.0)
        assert r2(y, p, sample_weight=w) == pytest.approx(1.0 - want, rel=1e-14, abs=1e-300)


@st.composite
def _wide(draw):
    """A few samples whose weights span 1e-300..1e300 and whose y may be tightly clustered."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, style = draw(st.integers(2, 7)), draw(st.sampled_from(exact_oracle.WIDE_STYLES))
    return exact_oracle.wide_samples(rng, n, style)


@given(_wide())
def test_nmse_is_right_to_a_few_ulps_with_weights_across_the_range(data):
    y, p, w = data
    try:
        want = _exact_ratio(y, p, w)
    except (ZeroDivisionError, OverflowError):  # constant y_true, or beyond float64
        return
    if not 0 < want < 1e300:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _ulps(nmse(y, p, sample_weight=w), want) <= 4


@pytest.mark.parametrize("metric", [mse, mae, rmse])
def test_uniform_average_does_not_overflow_when_the_average_is_finite(metric):
    v = 1.3e154
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = metric([[0.0, 0.0]], [[v, v]])
        assert got == metric([[0.0, 0.0]], [[v, v]], multioutput=[1, 1])
        assert math.isfinite(got)
        assert mae([[0.0, 0.0]], [[1.7e308, 1.7e308]]) == 1.7e308


def test_overflow_message_names_only_what_applies():
    with pytest.raises(ValueError, match="mean squared error overflows") as info:
        mse([0.0], [1.4e154 * 1e1])
    assert "nmse" not in str(info.value)
    with pytest.raises(ValueError, match=r"nmse overflows float64.*variance of y_true"):
        nmse([0.0, 5e-324], [1e300, 1e300])
    try:
        _accumulate.check_finite_result(math.inf, "mse")
    except ValueError as err:
        assert "nmse" not in str(err) and "variance" not in str(err)


@pytest.mark.parametrize(
    ("weights", "multioutput"),
    [([1e308] * 3, "uniform_average"), ([1.0, 2.0, 3.0], [1e308, 1e308])],
)
def test_weights_summing_past_float64_warn_nothing(weights, multioutput):
    y_true, y_pred = [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]], [[1.5, 2.0], [2.0, 3.0], [2.0, 4.5]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = mse(y_true, y_pred, sample_weight=weights, multioutput=multioutput)
    cols = _frac_cols(y_true), _frac_cols(y_pred)
    ws = _frac_weights(weights, 3)
    per = [
        sum(a * (b - c) ** 2 for a, b, c in zip(ws, t, q, strict=True)) / sum(ws)
        for t, q in zip(*cols, strict=True)
    ]
    out = [Fraction(1), Fraction(1)] if isinstance(multioutput, str) else [
        Fraction(v) for v in multioutput]
    want = float(sum(a * b for a, b in zip(out, per, strict=True)) / sum(out))
    assert _ulps(got, want) <= 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mse([1.0, 2, 3], [1.5, 2, 2], sample_weight=[1e308] * 3) == pytest.approx(
            1.25 / 3, rel=1e-15)


def _exact_huber(e, delta):
    e, d = abs(Fraction(e)), Fraction(delta)
    return e * e / 2 if e <= d else d * (e - d / 2)


@pytest.mark.parametrize("param", [5e-324, 1.5e-323, 2.5e-323, 2.0**-1022 + 5e-324, 3e-310])
@pytest.mark.parametrize("error", [1.0, 1e300, 1e-320, 7e-323, 1.7e308])
def test_huber_and_smooth_l1_with_a_subnormal_threshold(param, error):
    from mselib.metrics import smooth_l1

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got_h = huber([0.0], [error], delta=param)
        got_s = smooth_l1([0.0], [error], beta=param)
    want_h = _exact_huber(error, param)
    want_s = want_h / Fraction(param)
    if want_h:
        assert _ulps(got_h, float(want_h)) <= 2
    assert _ulps(got_s, float(want_s)) <= 2


def test_an_rmse_past_float64_is_refused_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="rmse overflows float64"):
            rmse([-1.7e308, 1.7e308], [1.7e308, -1.7e308])
