"""Mergeable accumulators for the metrics, out of core and on Dask (chapter 11).

The metrics of :mod:`mselib.metrics` are ratios of sums. Computed over the parts
of a data set, those sums merge by addition, and the variance of ``y_true`` that
:func:`~mselib.nmse` and :func:`~mselib.r2` divide by merges by the pairwise
update of Chan, Golub and LeVeque (1979), which is exact in exact arithmetic:

.. math:: \\Omega = \\Omega_A + \\Omega_B, \\quad \\delta = \\bar y_B - \\bar y_A, \\quad
          \\bar y = \\bar y_A + \\delta \\frac{\\Omega_B}{\\Omega}, \\quad
          M_2 = M_{2,A} + M_{2,B} + \\delta^2 \\frac{\\Omega_A \\Omega_B}{\\Omega}.

:class:`RegressionAccumulator` keeps these statistics for data that arrive in
chunks (a file read piece by piece, a NumPy memmap, a stream), and merges with
other accumulators. The Dask path (:func:`dask_metric`, reached by calling
``mselib.mse`` and friends on Dask arrays) computes the same statistics chunk by
chunk and merges them with Dask's own tree reduction, so no chunk is ever
concatenated with another and memory stays at a few chunks.

Within a chunk every sum is accumulated in float64 blocks by the engine the
metrics use (:mod:`mselib._accumulate`, which scales the terms by powers of two
when they would overflow or underflow, weights included); the sums of
different chunks are added with compensation (Knuth's TwoSum), so the error does
not grow with the number of chunks. A chunk's M2 is formed by the corrected
two-pass formula around its refined mean, as the metrics form the variance, and
means are kept as a base value plus an offset (the chunk's float64 mean and what it
lost to rounding; a constant output's value and 0), so that merging the means of
data far from zero keeps their digits.
``import mselib`` does not import Dask: Dask arrays are recognised by the module
of their type, and Dask is imported only when one is met.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from mselib._accumulate import (
    _CONSTANT_HINT,
    _QUANTITY,
    R2_STRINGS,
    UNIFORM_STRINGS,
    _centred_squares,
    _combine,
    _first_positive,
    _ratio,
    _scaled_sums,
    _squares,
    _to_quarters,
    check_multioutput,
    check_r2_samples,
    check_variance,
)
from mselib._validation import _as_real_array, check_flag, check_targets

__all__ = ["RegressionAccumulator"]

# ----------------------------------------------------------------------------------------------
# The state of a part of the data, packed in one float64 vector so that Dask can move, stack and
# reduce it like any array. Header slots, then blocks of one value per output.
_N, _EXP, _OMEGA, _OMEGA_LO = 0, 1, 2, 3
_BAD = {"y_true": 4, "y_pred": 8, "sample_weight": 12}  # each: row, column, count, code
_NEG_ROW, _NEG_VALUE = 16, 17  # the first negative weight
_LARGEST = 18  # max |value| of all inputs, for overflow messages
_HEAD = 19
# Sums of squares are kept as (hi + lo) * 4**-k with an integer k per output, as the metrics
# scale them (mselib._accumulate._squares): right from subnormal to huge data.
# The mean is _FIRST + _MEAN: per chunk, the float64 mean of y_true and the residual it lost
# to rounding (for a constant output, its value and 0); after merges, a base value and offset.
# The sum of absolute errors is (hi + lo) * 2**k, with k from _ABS_K (_NO_ABS when it is 0).
_SQ, _SQ_LO, _SQ_K, _ABS, _ABS_LO, _M2, _M2_LO, _M2_K, _MEAN, _FIRST, _CONST, _ABS_K = range(12)
_FIELDS = 12
_NO_ABS = -(1 << 20)
_LABELS = ("NaN", "+inf", "-inf")

_KINDS = {  # which statistics each metric needs
    "mse": frozenset({"sq"}),
    "rmse": frozenset({"sq"}),
    "mae": frozenset({"abs"}),
    "nmse": frozenset({"sq", "var"}),
    "r2": frozenset({"sq", "var"}),
}
_ALL_KINDS = frozenset({"sq", "abs", "var"})
_LARGE = 2.0**960  # a chunk sum this large may overflow once merged: remember the inputs' size


def _length(k: int) -> int:
    return _HEAD + _FIELDS * k


def _block(vec: np.ndarray, field: int, k: int) -> np.ndarray:
    """The view of one per-output field of a packed state."""
    start = _HEAD + field * k
    return vec[start : start + k]


def _blank(k: int) -> np.ndarray:
    """The state of no data: sums 0, no error recorded, no first value, constant."""
    vec = np.zeros(_length(k))
    for slot in _BAD.values():
        vec[slot] = np.inf
    vec[_NEG_ROW] = np.inf
    _block(vec, _FIRST, k)[:] = np.nan
    _block(vec, _CONST, k)[:] = 1.0
    _block(vec, _ABS_K, k)[:] = _NO_ABS
    return vec


def _record_nonfinite(vec: np.ndarray, name: str, arr: np.ndarray, offset: int) -> None:
    """Record the first NaN/inf of ``arr`` (its global row and column) and their count."""
    if arr.dtype.kind != "f":
        return
    bad = ~np.isfinite(arr)  # only on the error path
    count = int(np.count_nonzero(bad))
    if not count:
        return
    flat = int(np.argmax(bad))
    index = np.unravel_index(flat, arr.shape)
    value = arr.flat[flat]
    code = 0 if np.isnan(value) else (1 if value > 0 else 2)
    slot = _BAD[name]
    column = int(index[1]) if arr.ndim == 2 else 0
    vec[slot : slot + 4] = offset + int(index[0]), column, count, code


def _largest(*arrays: np.ndarray | None) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return max(
            float(max(np.max(a), -np.min(a))) for a in arrays if a is not None and a.size
        )


def _chunk_weights(
    w: np.ndarray, offset: int, vec: np.ndarray
) -> tuple[np.ndarray, float, int, float] | None:
    """Checked weights of a chunk, their scaled sum, binary scale and largest; None if invalid.

    As the metrics check weights, but a chunk whose weights are all zero is valid
    (others may carry the weight). The weights themselves are not rescaled (the kernels
    scale each product); the chunk's sums are stored divided by ``2**exp``, the power of
    two of its largest weight, so that chunks weighted on any scale still merge.
    """
    low, high = w.min(), w.max()
    if not (math.isfinite(low) and math.isfinite(high)):
        _record_nonfinite(vec, "sample_weight", w, offset)
        return None
    if low < 0:
        i = int(np.argmax(w < 0))
        vec[_NEG_ROW], vec[_NEG_VALUE] = offset + i, w[i]
        return None
    w = w.astype(np.float64, copy=False)
    exp = math.frexp(float(high))[1] if high > 0 else 0
    return w, float(np.sum(np.ldexp(w, -exp))), exp, float(high)


def _chunk_state(
    t: np.ndarray,
    p: np.ndarray,
    w: np.ndarray | None,
    *,
    offset: int,
    kinds: frozenset[str],
    k: int,
) -> np.ndarray:
    """The packed state of one chunk of checked targets (rows ``offset ...``).

    Invalid values are recorded in the state, not raised: the caller decides when to
    raise (at once for :class:`RegressionAccumulator`, after the merge on Dask).
    """
    vec = _blank(k)
    n = t.shape[0]
    vec[_N] = n
    if n == 0:
        return vec
    omega, exp, w_max = float(n), 0, 1.0
    if w is not None:
        checked = _chunk_weights(w, offset, vec)
        if checked is None:
            return vec
        w, omega, exp, w_max = checked
    vec[_EXP], vec[_OMEGA] = exp, omega
    try:
        if "sq" in kinds:
            sums, shift = _squares(t, p, w, ("y_true", "y_pred"), w_max)
            # stored divided by 2**exp, as every weighted sum of the chunk
            sums, shift = _to_quarters(sums, -2 * shift - exp)
            _block(vec, _SQ, k)[:], _block(vec, _SQ_K, k)[:] = sums, shift
        if "abs" in kinds:
            sums, top = _scaled_sums("abs", t, p, w, w_max=w_max)
            mant, power = np.frexp(sums)  # kept scaled: the sum may exceed float64
            _block(vec, _ABS, k)[:] = mant
            _block(vec, _ABS_K, k)[:] = np.where(mant == 0, _NO_ABS, power + top - exp)
    except ValueError:  # a NaN/inf in the inputs
        _record_nonfinite(vec, "y_true", t, offset)
        _record_nonfinite(vec, "y_pred", p, offset)
        return vec
    if "var" in kinds and omega > 0:
        _variance_part(vec, t, w, omega, k, exp, w_max)
    huge = np.any(_block(vec, _SQ_K, k) < 0) or np.any(_block(vec, _M2_K, k) < 0)
    if huge or not _abs_below(vec, k, _LARGE):
        vec[_LARGEST] = _largest(t, p, w)
    return vec


def _variance_part(
    vec: np.ndarray, t: np.ndarray, w: np.ndarray | None, omega: float, k: int, exp: int,
    w_max: float,
) -> None:
    """Mean, M2 (corrected two-pass), first value and constancy of ``y_true``.

    ``omega`` is the total weight divided by ``2**exp``; ``w`` the weights as given.
    """
    names = ("y_true", None)
    y0 = np.asarray(t[0 if w is None else _first_positive(w)], dtype=np.float64)
    spread, _ = _scaled_sums("abs", t, y0, w, names=names, w_max=w_max)  # 0 iff constant
    # M2 as mselib.metrics computes SST (corrected two-pass, around the refined float64
    # mean m), and the mean as m + offset with offset = sum_i w_i (y_i - m) / W, what m
    # lost to rounding: merges need those digits. A constant output keeps its value y0
    # as first value and offset 0, so merges and messages see the data's own value.
    m, x = math.frexp(omega)  # omega = (2 m) 2**(x - 1), and dividing by 2 m cannot overflow
    total = (2.0 * m, x - 1 + exp)
    mean, m2, shift, (ds, dtop) = _centred_squares(t, w, total, w_max)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        offset = np.ldexp(ds / total[0], np.asarray(dtop) - total[1]).ravel()
    constant = (spread == 0).ravel()
    m2, shift = _to_quarters(m2, -2 * shift - exp)
    _block(vec, _MEAN, k)[:] = np.where(constant, 0.0, offset)
    _block(vec, _M2, k)[:], _block(vec, _M2_K, k)[:] = m2, shift
    _block(vec, _FIRST, k)[:] = np.where(constant, y0.ravel(), mean.ravel())
    _block(vec, _CONST, k)[:] = spread == 0


def _abs_below(vec: np.ndarray, k: int, bound: float) -> bool:
    with np.errstate(over="ignore", invalid="ignore"):
        true = np.ldexp(_block(vec, _ABS, k), _block(vec, _ABS_K, k).astype(np.int64))
        return bool(np.all(np.abs(true) < bound))


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a + b = s + err`` exactly (Knuth's TwoSum), element-wise."""
    with np.errstate(over="ignore", invalid="ignore"):
        s = a + b
        b_virtual = s - a
        err = (a - (s - b_virtual)) + (b - b_virtual)
    return s, err


def _add_into(out: np.ndarray, a: np.ndarray, b: np.ndarray, hi: slice, lo: slice,
              shift_a: Any, shift_b: Any) -> None:
    """``out[hi] + out[lo] = a * 2**shift_a + b * 2**shift_b``, compensated (hi, lo pairs)."""
    s, err = _two_sum(np.ldexp(a[hi], shift_a), np.ldexp(b[hi], shift_b))
    with np.errstate(invalid="ignore"):
        out[lo] = np.ldexp(a[lo], shift_a) + np.ldexp(b[lo], shift_b) + err
    out[hi] = s


def _field(k: int, field: int) -> slice:
    return slice(_HEAD + field * k, _HEAD + (field + 1) * k)


def _merge(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """The state of the data of ``a`` followed by the data of ``b``; both unchanged."""
    out = a.copy()
    out[_N] = a[_N] + b[_N]
    for slot in (*_BAD.values(), _NEG_ROW):
        if b[slot] < a[slot]:  # the first offending value, in data order
            width = 2 if slot == _NEG_ROW else 4
            out[slot : slot + width] = b[slot : slot + width]
    for slot in _BAD.values():
        out[slot + 2] = a[slot + 2] + b[slot + 2]  # counts add up
    out[_LARGEST] = max(a[_LARGEST], b[_LARGEST])
    # Weighted sums carry the binary scale of their weights: align to the larger one.
    positive_a, positive_b = a[_OMEGA] > 0, b[_OMEGA] > 0
    exp = max(a[_EXP], b[_EXP]) if positive_a == positive_b else (
        a[_EXP] if positive_a else b[_EXP]
    )
    out[_EXP] = exp
    wa, wb = int(a[_EXP] - exp), int(b[_EXP] - exp)
    _add_into(out, a, b, slice(_OMEGA, _OMEGA + 1), slice(_OMEGA_LO, _OMEGA_LO + 1), wa, wb)
    abs_a, abs_b = _block(a, _ABS_K, k).astype(np.int64), _block(b, _ABS_K, k).astype(np.int64)
    abs_a = np.where(abs_a == _NO_ABS, _NO_ABS, abs_a + wa)
    abs_b = np.where(abs_b == _NO_ABS, _NO_ABS, abs_b + wb)
    abs_k = np.maximum(abs_a, abs_b)  # the larger part keeps its digits
    _block(out, _ABS_K, k)[:] = abs_k
    _add_into(out, a, b, _field(k, _ABS), _field(k, _ABS_LO),
              np.maximum(abs_a - abs_k, -2000), np.maximum(abs_b - abs_k, -2000))
    # Sums of squares (hi + lo) * 4**-k, each weighed by 2**wa or 2**wb: align to the scale
    # of the larger part (no overflow; what the alignment loses to underflow is negligible
    # next to the larger part, which keeps its digits).
    ka, kb = _block(a, _SQ_K, k), _block(b, _SQ_K, k)
    sq_k = np.minimum((2 * ka - wa) // 2, (2 * kb - wb) // 2)
    _block(out, _SQ_K, k)[:] = sq_k
    _add_into(out, a, b, _field(k, _SQ), _field(k, _SQ_LO),
              wa + 2 * (sq_k - ka).astype(int), wb + 2 * (sq_k - kb).astype(int))
    big_a, big_b = a[_OMEGA] + a[_OMEGA_LO], b[_OMEGA] + b[_OMEGA_LO]  # each at its own scale
    omega_a, omega_b = math.ldexp(big_a, wa), math.ldexp(big_b, wb)  # the larger is normal
    if big_a == 0 or big_b == 0:
        source = b if big_a == 0 else a
        for field in (_M2, _M2_LO, _M2_K, _MEAN, _FIRST, _CONST):
            _block(out, field, k)[:] = _block(source, field, k)
        shift = wb if omega_a == 0 else wa
        for field in (_M2, _M2_LO):
            _block(out, field, k)[:] = np.ldexp(_block(source, field, k), shift)
        return out
    # Means are stored as offsets from a base value, that of the heavier part in the merged
    # state, so that the offset stays small. The difference of the means is formed from the
    # differences of first values and of offsets, each with its rounding error (TwoSum):
    # a first value far from the mean (a tiny weight) then costs no digits.
    off_a, off_b = _block(a, _MEAN, k), _block(b, _MEAN, k)
    first_a, first_b = _block(a, _FIRST, k), _block(b, _FIRST, k)
    omega = omega_a + omega_b
    with np.errstate(over="ignore", invalid="ignore"):
        s1, e1 = _two_sum(first_b, -first_a)
        s2, e2 = _two_sum(off_b, -off_a)
        delta = (s1 + s2) + (e1 + e2)
        # (equal first values, 0.0 and -0.0 say, keep the first: error messages show it)
        anchor_b = (omega_b > omega_a) & (first_a != first_b)
        _block(out, _MEAN, k)[:] = np.where(
            anchor_b,
            off_b - delta * math.ldexp(big_a / omega, wa),
            off_a + delta * math.ldexp(big_b / omega, wb),
        )
        _block(out, _FIRST, k)[:] = np.where(anchor_b, first_b, first_a)
    # Chan, Golub and LeVeque: M2 = M2_A + M2_B + delta^2 Omega_A Omega_B / Omega, all
    # scaled by 4**k with k small enough that none of the three terms overflows, and the
    # correction formed from mantissas and exponents: Omega_A Omega_B / Omega may be far
    # below the smallest float64 while delta^2 is far above the largest.
    ka, kb = _block(a, _M2_K, k), _block(b, _M2_K, k)
    md, xd = np.frexp(delta)
    mr, xr = math.frexp(big_a * big_b / omega)
    top = 2 * xd.astype(np.int64) + (xr + wa + wb)  # the correction is md**2 mr 2**top
    k_delta = np.where(delta != 0, (-top) // 2, np.iinfo(np.int32).max)
    m2_k = np.minimum(np.minimum((2 * ka - wa) // 2, (2 * kb - wb) // 2), k_delta)
    _block(out, _M2_K, k)[:] = m2_k
    _add_into(out, a, b, _field(k, _M2), _field(k, _M2_LO),
              wa + 2 * (m2_k - ka).astype(int), wb + 2 * (m2_k - kb).astype(int))
    with np.errstate(over="ignore", invalid="ignore"):
        correction = np.ldexp(md * md * mr, top + 2 * m2_k.astype(np.int64))
    m2, m2_lo = _block(out, _M2, k), _block(out, _M2_LO, k)
    s, err = _two_sum(m2.copy(), correction)
    with np.errstate(invalid="ignore"):
        m2_lo += err
    m2[:] = s
    same = (_block(a, _CONST, k) == 1) & (_block(b, _CONST, k) == 1) & (first_a == first_b)
    _block(out, _CONST, k)[:] = same
    return out


def _total(vec: np.ndarray, field: int, k: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return _block(vec, field, k) + _block(vec, field + 1, k)


# ----------------------------------------------------------------------------------------------
# Errors: raised in the order and with the words of mselib.metrics on the whole data.


def _raise_inputs(vec: np.ndarray, k: int, weight_dtype: np.dtype | None) -> None:
    """Raise the error mselib.metrics would raise for the invalid values recorded in ``vec``."""
    slot = _BAD["sample_weight"]
    if vec[slot + 2]:
        where = _where(vec, "sample_weight", 1)
        raise ValueError(f"sample_weight contains {where}; expected finite weights.")
    if math.isfinite(vec[_NEG_ROW]):
        value = np.asarray(vec[_NEG_VALUE]).astype(weight_dtype or np.float64)[()]
        raise ValueError(
            f"sample_weight must be non-negative; got {value} at index {int(vec[_NEG_ROW])}."
        )
    for name in ("y_true", "y_pred"):
        if vec[_BAD[name] + 2]:
            where = _where(vec, name, k)
            raise ValueError(f"{name} contains {where}; expected finite values only.")


def _where(vec: np.ndarray, name: str, k: int) -> str:
    slot = _BAD[name]
    row, column, count, code = (int(v) for v in vec[slot : slot + 4])
    index: Any = (row, column) if k > 1 else row
    return f"{_LABELS[code]} at index {index} ({count} non-finite value{'s' * (count != 1)})"


def _raise_zero_weights(vec: np.ndarray) -> None:
    if vec[_OMEGA] == 0:
        n = int(vec[_N])
        raise ValueError(
            f"sample_weight sums to zero (all {n} weights are 0); expected at least one "
            f"positive weight."
        )


def _overflow_error(kind: str, vec: np.ndarray, weighted: bool) -> None:
    """mselib.metrics' error when the mean of ``kind`` ("abs" or "sq") overflows float64."""
    given, largest = ["y_true", "y_pred"], vec[_LARGEST]
    if weighted:
        given.append("sample_weight")
    what = "the mean squared error" if kind == "sq" else f"the sum of {_QUANTITY[kind]}"
    raise ValueError(
        f"{what} overflows float64: {', '.join(given)} "
        f"{'is' if len(given) == 1 else 'are'} finite but too large (largest |value| "
        f"{largest:.3g}); expected inputs for which "
        f"{'it' if kind == 'sq' else 'this sum'} stays below "
        f"{np.finfo(np.float64).max:.3g}. Rescale them (divide by a common factor)."
    )


# ----------------------------------------------------------------------------------------------
# From the merged state to the metric, as mselib.metrics computes it on the whole data.


def _finish(
    vec: np.ndarray,
    metric: str,
    k: int,
    multioutput: str | np.ndarray,
    *,
    weighted: bool,
    weight_dtype: np.dtype | None = None,
    force_finite: bool = True,
) -> float | np.ndarray:
    """The metric of the data whose merged state is ``vec`` (``multioutput`` checked)."""
    _raise_inputs(vec, k, weight_dtype)
    if weighted:
        _raise_zero_weights(vec)
    omega = vec[_OMEGA] + vec[_OMEGA_LO]
    sq, sq_k = _total(vec, _SQ, k), _block(vec, _SQ_K, k).astype(int)
    if metric == "mae":
        with np.errstate(over="ignore"):
            values = np.ldexp(_total(vec, _ABS, k) / omega, _block(vec, _ABS_K, k).astype(int))
        if not np.isfinite(values).all():
            _overflow_error("abs", vec, weighted)
        return _combine(values, multioutput, metric)
    if metric == "rmse":  # the root before undoing the scale, as mselib.rmse
        with np.errstate(over="ignore"):  # an overflow is explained by _combine
            values = np.ldexp(np.sqrt(sq / omega), -sq_k)
        return _combine(values, multioutput, metric)
    if metric == "mse":
        with np.errstate(over="ignore"):
            values = np.ldexp(sq / omega, -2 * sq_k)
        if not np.isfinite(values).all():
            _overflow_error("sq", vec, weighted)
        return _combine(values, multioutput, metric)
    sst, sst_k = _total(vec, _M2, k), _block(vec, _M2_K, k).astype(int)
    shift = sst_k - sq_k
    constant = _block(vec, _CONST, k) == 1
    spread = np.where(constant, 0.0, 1.0)  # zero exactly when the output is constant
    first = _block(vec, _FIRST, k).copy()
    first = first.reshape(()) if k == 1 else first
    hint = _CONSTANT_HINT[metric]
    if metric == "nmse":
        check_variance(spread, sst, first, "nmse", weighted=weighted, hint=hint)
        return _combine(_ratio(sq, sst, shift, "nmse"), multioutput, "nmse")
    if force_finite:
        sst = np.where(constant, 0.0, sst)
        varies = ~constant
        check_variance(spread[varies], sst[varies], first, "r2", weighted=weighted, hint=hint)
    else:
        check_variance(spread, sst, first, "r2", weighted=weighted, hint=hint)
    constant = sst == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = _ratio(np.where(constant, 0.0, sq), np.where(constant, 1.0, sst), shift, "r2")
    scores = 1.0 - ratio
    scores = np.where(constant, np.where(sq == 0, 1.0, 0.0), scores)
    how = multioutput
    if isinstance(how, str) and how == "variance_weighted":
        if constant.all():
            how = "uniform_average"
        else:  # the true sums of squares, relative to the largest, as mselib.r2
            exponents = np.where(constant, 0, np.frexp(sst)[1] - 2 * sst_k)
            with np.errstate(under="ignore"):
                how = np.ldexp(sst, -2 * sst_k - int(exponents.max()))
    return _combine(scores, how, "r2")


def _check_weight_shape(w: np.ndarray, n: int) -> None:
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(
            f"sample_weight must be 1-D with one weight per sample (n = {n}), shape ({n},); "
            f"got shape {w.shape}."
        )


# ----------------------------------------------------------------------------------------------
class RegressionAccumulator:
    r"""Regression metrics of data that arrive in chunks, with accumulators that merge.

    Feed chunks with :meth:`update`, combine accumulators of disjoint parts of the
    data with :meth:`merge`, and ask for :meth:`mse`, :meth:`rmse`, :meth:`mae`,
    :meth:`r2` or :meth:`nmse` at any time. The answers are those of the metric
    functions on the concatenation of the chunks, to float64 rounding, whatever the
    chunking and the order of the merges; memory is a few vectors of one value per
    output, whatever the number of samples.

    Per output it keeps the total weight :math:`\Omega = \sum_i \omega_i`, the
    weighted sums of squared and absolute errors, and the weighted mean and sum of
    squared deviations :math:`M_2` of `y_true`, merged by the pairwise update of Chan,
    Golub and LeVeque.

    Notes
    -----
    *Validation.* Each chunk is checked as the metric functions check their input,
    with the same messages: shapes, dtypes, weights (1-D, finite, non-negative), and
    NaN or inf in `y_true`/`y_pred`. An index in an error message counts samples
    from the start of the accumulated data. A chunk that is refused leaves the
    accumulator unchanged. The number of outputs is fixed by the first chunk.

    *Weights.* A chunk given without `sample_weight` counts each of its samples with
    weight 1, so weighted and unweighted chunks may be mixed: the result is that of
    the concatenated data with weight 1 for every sample of an unweighted chunk. A
    chunk whose weights are all zero is accepted (it adds samples, not weight); the
    metrics raise, as the functions do, if the total weight is zero.

    *Accuracy.* Within a chunk the sums are accumulated in float64 blocks, as in
    :func:`~mselib.mse`; the sums of chunks are added with compensation, so the
    error does not grow with the number of chunks.

    Examples
    --------
    >>> import numpy as np
    >>> import mselib as ml
    >>> y_true = np.array([3, -0.5, 2, 7])
    >>> y_pred = np.array([2.5, 0.0, 2, 8])
    >>> acc = ml.RegressionAccumulator()
    >>> acc.update(y_true[:3], y_pred[:3]).update(y_true[3:], y_pred[3:])
    RegressionAccumulator(n_samples=4, n_outputs=1)
    >>> acc.mse(), ml.mse(y_true, y_pred)
    (0.375, 0.375)
    >>> left = ml.RegressionAccumulator().update(y_true[:1], y_pred[:1])
    >>> right = ml.RegressionAccumulator().update(y_true[1:], y_pred[1:])
    >>> both = left.merge(right)
    >>> round(both.r2(), 12), round(ml.r2(y_true, y_pred), 12)
    (0.948608137045, 0.948608137045)
    >>> both.update([1.0, np.nan], [1.0, 2.0])  # refused: nothing is added
    Traceback (most recent call last):
    ...
    ValueError: y_true contains NaN at index 5 (1 non-finite value); expected finite values only.
    >>> both.n_samples
    4
    """

    __slots__ = ("_k", "_vec", "_weight_dtype", "_weighted")

    def __init__(self) -> None:
        self._vec: np.ndarray | None = None
        self._k: int | None = None
        self._weighted = False
        self._weight_dtype: np.dtype | None = None

    # -- state ---------------------------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        """The number of samples (rows) accumulated so far."""
        return 0 if self._vec is None else int(self._vec[_N])

    @property
    def n_outputs(self) -> int | None:
        """The number of outputs, fixed by the first chunk (None before it)."""
        return self._k

    def __repr__(self) -> str:
        return f"RegressionAccumulator(n_samples={self.n_samples}, n_outputs={self._k})"

    def update(
        self, y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None
    ) -> RegressionAccumulator:
        """Add one chunk of samples; return the accumulator itself.

        Parameters
        ----------
        y_true : array-like of shape (n_chunk,) or (n_chunk, n_outputs)
            Ground-truth target values of the chunk: real numbers.
        y_pred : array-like of the same shape as `y_true`
            Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
        sample_weight : array-like of shape (n_chunk,), optional
            Finite non-negative weights of the chunk's samples. Default: all 1.

        Returns
        -------
        RegressionAccumulator
            ``self``, so that updates chain.

        Raises
        ------
        ValueError
            For the inputs :func:`~mselib.mse` refuses (with its messages), for a
            chunk whose number of outputs differs from the first chunk's, and for a
            sum that overflows float64. The accumulator is then unchanged.
        TypeError
            On non-real input.

        Examples
        --------
        >>> import mselib as ml
        >>> acc = ml.RegressionAccumulator().update([[1, 2], [3, 4]], [[1, 2], [3, 5]])
        >>> acc.mse(multioutput="raw_values")
        array([0. , 0.5])
        >>> acc.update([1, 2], [1, 2])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: this chunk has 1 output (shape (2,)), but the accumulator has 2 outputs, ...
        """
        t, p = check_targets(y_true, y_pred)
        k = t.shape[1] if t.ndim == 2 else 1
        if self._k is not None and k != self._k:
            raise ValueError(
                f"this chunk has {k} output{'s' * (k != 1)} (shape {np.shape(y_true)}), but "
                f"the accumulator has {self._k} output{'s' * (self._k != 1)}, fixed by its "
                f"first chunk; expected shape (n, {self._k})"
                + (" or (n,)." if self._k == 1 else ".")
            )
        w = None
        if sample_weight is not None:
            w = _as_real_array(sample_weight, "sample_weight")
            _check_weight_shape(w, t.shape[0])
        vec = _chunk_state(t, p, w, offset=self.n_samples, kinds=_ALL_KINDS, k=k)
        _raise_inputs(vec, k, None if w is None else w.dtype)
        merged = vec if self._vec is None else _merge(self._vec, vec, k)
        self._vec, self._k = merged, k
        if w is not None:
            self._weighted, self._weight_dtype = True, w.dtype
        return self

    def merge(self, other: RegressionAccumulator) -> RegressionAccumulator:
        """A new accumulator for the data of ``self`` followed by those of ``other``.

        Neither accumulator changes. In exact arithmetic the merge is associative
        and commutative, so any tree of merges of the parts gives the statistics of
        the whole; in float64 the results agree to rounding.

        Parameters
        ----------
        other : RegressionAccumulator
            The accumulator of another, disjoint part of the data, with the same
            number of outputs (or empty).

        Returns
        -------
        RegressionAccumulator
            A new accumulator.

        Raises
        ------
        TypeError
            If `other` is not a :class:`RegressionAccumulator`.
        ValueError
            If the two have different numbers of outputs, or their sums together
            overflow float64.

        Examples
        --------
        >>> import mselib as ml
        >>> a = ml.RegressionAccumulator().update([1.0, 2.0], [1.5, 2.0])
        >>> b = ml.RegressionAccumulator().update([3.0], [2.0])
        >>> a.merge(b).mse(), ml.mse([1.0, 2.0, 3.0], [1.5, 2.0, 2.0])
        (0.4166666666666667, 0.4166666666666667)
        """
        if not isinstance(other, RegressionAccumulator):
            raise TypeError(
                f"other must be a RegressionAccumulator; got {type(other).__name__}."
            )
        result = RegressionAccumulator()
        if self._vec is None or other._vec is None:
            source = other if self._vec is None else self
            result._vec = None if source._vec is None else source._vec.copy()
            result._k, result._weighted = source._k, source._weighted
            result._weight_dtype = source._weight_dtype
            return result
        if self._k != other._k:
            raise ValueError(
                f"cannot merge accumulators with different numbers of outputs: {self._k} "
                f"and {other._k}."
            )
        k = self._k
        assert k is not None
        weighted = self._weighted or other._weighted
        merged = _merge(self._vec, other._vec, k)
        result._vec, result._k, result._weighted = merged, k, weighted
        result._weight_dtype = self._weight_dtype or other._weight_dtype
        return result

    # -- metrics -------------------------------------------------------------------------------
    def _value(self, metric: str, multioutput: Any, **options: Any) -> float | np.ndarray:
        if self._vec is None or self._k is None:
            raise ValueError(
                f"the accumulator is empty, so {metric} is undefined; add data with "
                f"update(y_true, y_pred) first."
            )
        allowed = R2_STRINGS if metric == "r2" else UNIFORM_STRINGS
        how = check_multioutput(multioutput, self._k, allowed)
        if metric == "r2":
            check_r2_samples(self.n_samples)
        return _finish(
            self._vec,
            metric,
            self._k,
            how,
            weighted=self._weighted,
            weight_dtype=self._weight_dtype,
            **options,
        )

    def mse(self, *, multioutput: Any = "uniform_average") -> float | np.ndarray:
        """Mean squared error of the data so far, as :func:`mselib.mse`.

        Parameters
        ----------
        multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
            How per-output values are combined (see :func:`mselib.mse`).

        Returns
        -------
        float or numpy.ndarray
            A Python float, or a float64 array of shape ``(n_outputs,)``.

        Examples
        --------
        >>> import mselib as ml
        >>> ml.RegressionAccumulator().update([3, -0.5], [2.5, 0.0]).mse()
        0.25
        """
        return self._value("mse", multioutput)

    def rmse(self, *, multioutput: Any = "uniform_average") -> float | np.ndarray:
        """Root mean squared error of the data so far, as :func:`mselib.rmse`.

        Parameters
        ----------
        multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
            How per-output values are combined (see :func:`mselib.rmse`).

        Returns
        -------
        float or numpy.ndarray
            A Python float, or a float64 array of shape ``(n_outputs,)``.

        Examples
        --------
        >>> import mselib as ml
        >>> ml.RegressionAccumulator().update([3, -0.5], [2.5, 0.0]).rmse()
        0.5
        """
        return self._value("rmse", multioutput)

    def mae(self, *, multioutput: Any = "uniform_average") -> float | np.ndarray:
        """Mean absolute error of the data so far, as :func:`mselib.mae`.

        Parameters
        ----------
        multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
            How per-output values are combined (see :func:`mselib.mae`).

        Returns
        -------
        float or numpy.ndarray
            A Python float, or a float64 array of shape ``(n_outputs,)``.

        Examples
        --------
        >>> import mselib as ml
        >>> ml.RegressionAccumulator().update([3, -0.5], [2.5, 0.0]).mae()
        0.5
        """
        return self._value("mae", multioutput)

    def r2(
        self, *, multioutput: Any = "uniform_average", force_finite: bool = True
    ) -> float | np.ndarray:
        """Coefficient of determination of the data so far, as :func:`mselib.r2`.

        Parameters
        ----------
        multioutput : {"raw_values", "uniform_average", "variance_weighted"} or array-like
            How per-output values are combined (see :func:`mselib.r2`).
        force_finite : bool, default=True
            For an output of `y_true` that is constant: True gives 1.0 (perfect
            predictions) or 0.0, False raises ``ValueError`` (see :func:`mselib.r2`).

        Returns
        -------
        float or numpy.ndarray
            A Python float, or a float64 array of shape ``(n_outputs,)``.

        Examples
        --------
        >>> import mselib as ml
        >>> acc = ml.RegressionAccumulator().update([2, 2], [1, 3]).update([2], [2])
        >>> acc.r2()  # constant y_true: scikit-learn's convention
        0.0
        """
        return self._value(
            "r2", multioutput, force_finite=check_flag(force_finite, "force_finite")
        )

    def nmse(self, *, multioutput: Any = "uniform_average") -> float | np.ndarray:
        """Normalised mean squared error of the data so far, as :func:`mselib.nmse`.

        Parameters
        ----------
        multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
            How per-output values are combined (see :func:`mselib.nmse`).

        Returns
        -------
        float or numpy.ndarray
            A Python float, or a float64 array of shape ``(n_outputs,)``.

        Examples
        --------
        >>> import mselib as ml
        >>> acc = ml.RegressionAccumulator().update([0.0, 2.0], [0.0, 1.0])
        >>> acc.nmse(), ml.nmse([0.0, 2.0], [0.0, 1.0])
        (0.5, 0.5)
        """
        return self._value("nmse", multioutput)


# ----------------------------------------------------------------------------------------------
# Dask: recognised without importing it; reduced chunk by chunk with Dask's tree reduction.


def is_lazy(*arrays: Any) -> bool:
    """Whether any argument is a Dask collection (checked without importing Dask).

    Parameters
    ----------
    *arrays : object
        The arguments of a metric call (`y_true`, `y_pred`, `sample_weight`).

    Returns
    -------
    bool
        True if the type of some argument is defined in a ``dask`` module.

    Examples
    --------
    >>> import numpy as np
    >>> from mselib.streaming import is_lazy
    >>> is_lazy(np.zeros(3), [1.0, 2.0], None)
    False
    >>> class Array:  # what is_lazy looks at: the module that defines the type
    ...     pass
    >>> Array.__module__ = "dask.array.core"
    >>> is_lazy(np.zeros(3), Array())
    True
    """
    for x in arrays:
        module = type(x).__module__
        if module == "dask" or module.startswith("dask."):
            return True
    return False


def _dask_array() -> Any:
    try:
        import dask.array as da
    except ImportError as err:  # pragma: no cover - dask is installed with the book
        raise ImportError(
            "mselib's metrics on Dask arrays need Dask: pip install 'dask[array]' "
            "(and 'distributed' for a cluster)."
        ) from err
    return da


def _lazy_input(x: Any, name: str, da: Any) -> tuple[Any, np.ndarray]:
    """A Dask array or a checked NumPy array, and a stand-in of its shape and dtype."""
    if not is_lazy(x):
        arr = _as_real_array(x, name)
        return arr, arr
    if not isinstance(x, da.Array):
        if not hasattr(x, "to_dask_array"):
            raise TypeError(
                f"{name} is a Dask {type(x).__name__}; expected a Dask array "
                f"(dask.array.Array) or a NumPy array."
            )
        x = x.to_dask_array(lengths=True)
    if any(isinstance(s, float) and math.isnan(s) for s in x.shape):
        raise ValueError(
            f"{name} has unknown chunk sizes (shape {x.shape}); call "
            f"{name}.compute_chunk_sizes() first."
        )
    # A zero-strided view with the shape and dtype: the checks see no data and copy none.
    return x, np.broadcast_to(np.zeros((), dtype=x.dtype), x.shape)


def _block_state(
    t: np.ndarray,
    p: np.ndarray,
    *w: np.ndarray,
    kinds: frozenset[str],
    k: int,
    block_info: dict | None = None,
) -> np.ndarray:
    """The packed state of one block, as a row: shape ``(1, L)``. Inputs are 2-D blocks."""
    offset = block_info[0]["array-location"][0][0] if block_info else 0
    if k == 1:
        t, p = t[:, 0], p[:, 0]
    weights = w[0][:, 0] if w else None
    state = _chunk_state(t, p, weights, offset=offset, kinds=kinds, k=k)
    return state[None, :]


def _keep(x: np.ndarray, axis: Any = None, keepdims: bool = True, **_: Any) -> np.ndarray:
    return x


def _merge_rows(
    x: np.ndarray, axis: Any = None, keepdims: bool = True, *, k: int, **_: Any
) -> np.ndarray:
    """Merge the stacked states of consecutive parts (rows, in data order) into one row."""
    if x.shape[0] <= 1:
        return x
    rows = list(x)
    while len(rows) > 1:  # pairwise, adjacent parts only: data order is kept
        rows = [
            _merge(rows[i], rows[i + 1], k) if i + 1 < len(rows) else rows[i]
            for i in range(0, len(rows), 2)
        ]
    return rows[0][None, :]


def _finish_block(x: np.ndarray, **options: Any) -> float | np.ndarray:
    if x.size == 0:  # Dask probing the output type
        return np.empty((0,) * (options["multioutput"] == "raw_values"))
    value = _finish(x[0], **options)
    return np.asarray(value, dtype=np.float64)


def dask_metric(
    name: str,
    y_true: Any,
    y_pred: Any,
    *,
    sample_weight: Any = None,
    multioutput: Any = "uniform_average",
    compute: bool = True,
    split_every: int | None = None,
    **options: Any,
) -> Any:
    """A metric of Dask arrays, reduced chunk by chunk with Dask's tree reduction.

    ``mselib.mse``, ``rmse``, ``mae``, ``r2`` and ``nmse`` call this when an argument
    is a Dask array. Each chunk's statistics are computed where the chunk is (one
    pass over it, in float64 blocks), and Dask merges them in a tree: no chunk is
    concatenated with another, and no chunk is converted to a NumPy array of the
    whole.

    Parameters
    ----------
    name : {"mse", "rmse", "mae", "r2", "nmse"}
        The metric.
    y_true, y_pred : dask.array.Array or array-like
        As for the metric functions; at least one of the three arrays is a Dask
        array. The others are chunked like it: `y_pred` and `sample_weight` are
        rechunked to the row chunks of `y_true` (or of the first Dask argument),
        and the outputs of one row chunk always form one block.
    sample_weight : dask.array.Array or array-like of shape (n_samples,), optional
        Sample weights, as for the metric functions.
    multioutput : str or array-like
        As for the metric functions.
    compute : bool, default=True
        True: compute and return a Python float (an array for ``"raw_values"``).
        False: return the lazy result, a 0-d (or 1-d) Dask array.
    split_every : int, optional
        How many partial states one merge step takes (Dask's default if None).
    **options
        ``force_finite`` for ``"r2"``.

    Returns
    -------
    float, numpy.ndarray or dask.array.Array

    Raises
    ------
    ValueError, TypeError
        What can be checked without the data (shapes, dtypes, `multioutput`, the
        number of samples for r2) is checked at the call, with the messages of the
        metric functions. Invalid values (NaN or inf, negative weights, weights that
        sum to zero, constant `y_true` for nmse) are found while computing, and raise
        then with the messages the metric functions give on the whole data.

    Examples
    --------
    >>> import dask
    >>> import dask.array as da
    >>> import numpy as np
    >>> import mselib as ml
    >>> y_true = da.from_array(np.array([3, -0.5, 2, 7]), chunks=2)
    >>> y_pred = np.array([2.5, 0.0, 2, 8])
    >>> with dask.config.set(scheduler="synchronous"):
    ...     ml.mse(y_true, y_pred), ml.r2(y_true, y_pred)
    (0.375, 0.9486081370449679)
    >>> lazy = ml.mse(y_true, y_pred, compute=False)
    >>> type(lazy).__name__, lazy.shape
    ('Array', ())
    """
    if name not in _KINDS:
        raise ValueError(f"name must be one of {', '.join(map(repr, _KINDS))}; got {name!r}.")
    force_finite = True
    if name == "r2":
        force_finite = check_flag(options.pop("force_finite", True), "force_finite")
    if options:
        raise TypeError(f"{name} got unexpected keyword arguments: {', '.join(options)}.")
    da = _dask_array()
    t, t_meta = _lazy_input(y_true, "y_true", da)
    p, p_meta = _lazy_input(y_pred, "y_pred", da)
    t_meta, p_meta = check_targets(t_meta, p_meta)  # the messages of the metrics
    n, k = t_meta.shape[0], (t_meta.shape[1] if t_meta.ndim == 2 else 1)
    w = None
    if sample_weight is not None:
        w, w_meta = _lazy_input(sample_weight, "sample_weight", da)
        _check_weight_shape(w_meta, n)
    how = check_multioutput(multioutput, k, R2_STRINGS if name == "r2" else UNIFORM_STRINGS)
    if name == "r2":
        check_r2_samples(n)
    arrays = _aligned(da, [t, p] + ([] if w is None else [w]), k)
    states = da.map_blocks(
        _block_state,
        *arrays,
        kinds=_KINDS[name],
        k=k,
        chunks=((1,) * arrays[0].numblocks[0], (_length(k),)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )
    merge = partial(_merge_rows, k=k)
    reduced = da.reduction(
        states,
        _keep,
        merge,
        combine=merge,
        axis=0,
        keepdims=True,
        dtype=np.float64,
        split_every=split_every,
        concatenate=True,
        meta=np.empty((0, 0)),
    )
    raw = isinstance(how, str) and how == "raw_values"
    finish: Callable[..., Any] = partial(
        _finish_block,
        metric=name,
        k=k,
        multioutput=how,
        weighted=w is not None,
        weight_dtype=None if w is None else w.dtype,
        force_finite=force_finite,
    )
    if raw:
        result = reduced.map_blocks(
            finish, drop_axis=0, chunks=((k,),), dtype=np.float64, meta=np.empty((0,))
        )
    else:
        result = reduced.map_blocks(
            finish, drop_axis=[0, 1], dtype=np.float64, meta=np.empty(())
        )
    if not compute:
        return result
    value = result.compute()
    return np.asarray(value, dtype=np.float64) if raw else float(value)


def _aligned(da: Any, arrays: list[Any], k: int) -> list[Any]:
    """Dask arrays of shape (n, k) or (n, 1) with the row chunks of the first Dask input."""
    lazy = [a for a in arrays if isinstance(a, da.Array)]
    rows = lazy[0].chunks[0] if lazy else (arrays[0].shape[0],)
    out = []
    for index, a in enumerate(arrays):
        if a.ndim == 2 and k == 1:  # a column (n, 1): one output
            a = a[:, 0]
        width = k if index < 2 else 1
        if isinstance(a, da.Array):
            a = a.rechunk({0: rows} if a.ndim == 1 else {0: rows, 1: -1})
        else:
            a = da.from_array(a, chunks=(rows,) + ((width,),) * (a.ndim - 1))
        out.append(a[:, None] if a.ndim == 1 else a)
    return out
