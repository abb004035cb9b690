"""Regression metrics: MSE and its relatives, exact in float64 and one pass over memory.

Every metric takes ``(y_true, y_pred, *, sample_weight=None,
multioutput="uniform_average")`` and returns the value scikit-learn returns
where scikit-learn has the metric. Inputs are checked in
:mod:`mselib._validation`; the sums are accumulated in float64 block by block
by :func:`_sums`, so float32, float16 and integer inputs give the float64
answer and no temporary the size of the input is ever made.
"""

from __future__ import annotations

import contextlib
import math
import threading
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from mselib import streaming as _streaming
from mselib._threads import can_pin, one_blas_thread
from mselib._validation import (
    R2_STRINGS,
    Checked,
    check_alpha,
    check_args,
    check_finite_result,
    check_nonnegative_real,
    check_positive_real,
    check_variance,
    raise_nonfinite,
)

__all__ = ["huber", "mae", "mse", "nmse", "pinball", "r2", "rmse", "smooth_l1"]

MultiOutput = Literal["raw_values", "uniform_average"] | ArrayLike

# Block sizes. Large temporaries are slow on machines that hand idle memory back
# to the host, so differences go block by block into reusable float64 buffers.
# OpenBLAS runs a dot product of more than 10000 elements on several threads,
# and waking them costs more than the product itself (measured 224 us against
# 27 us per 64K block), so long loops pin BLAS to one thread with threadpoolctl
# (64K blocks, 512 KiB, stay in L2); without threadpoolctl, blocks stay small.
_SERIAL = 8192
_BLOCK = 1 << 16
_PIN_ABOVE = 1 << 15  # elements; below, serial blocks beat the 8-15 us cost of pinning
_local = threading.local()  # per-thread reusable block buffers


def _buffers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Two flat float64 work buffers of ``size`` elements, reused across calls.

    Reuse matters: a fresh 512 KiB array is mapped and page-faulted on each call.
    """
    if size > _BLOCK:  # only with more than _BLOCK outputs (one row per block)
        return np.empty(size), np.empty(size)
    pair = getattr(_local, "pair", None)
    if pair is None:
        pair = _local.pair = (np.empty(_BLOCK), np.empty(_BLOCK))
    return pair[0][:size], pair[1][:size]


def _plan(size: int) -> tuple[int, contextlib.AbstractContextManager[Any]]:
    """Elements per block for ``size`` input elements, and the context for the loop."""
    if size <= _SERIAL:
        return size, contextlib.nullcontext()
    if size <= _PIN_ABOVE or not can_pin():
        return _SERIAL, contextlib.nullcontext()
    return _BLOCK, one_blas_thread()


_QUANTITY = {
    "sq": "squared errors",
    "abs": "absolute errors",
    "huber": "Huber losses",
    "smooth_l1": "smooth L1 losses",
    "pinball": "pinball losses",
    "diff": "deviations",
}
_QUANTITY_CENTRED = {  # the sums over y_true alone (nmse and r2 denominators)
    "sq": "squared deviations of y_true from its mean",
    "abs": "absolute deviations of y_true from its first value",
    "diff": "values of y_true",
}


def _sums(
    kind: str,
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray | None = None,
    param: float = 1.0,
    names: tuple[str, str | None] = ("y_true", "y_pred"),
    shift: np.ndarray | None = None,
    check: bool = True,
) -> np.ndarray:
    """Per-output sums :math:`\\sum_i w_i f(a_i - b_i)` in float64, block by block.

    ``kind`` picks ``f``: ``"sq"`` :math:`e^2`, ``"abs"`` :math:`|e|`, ``"huber"``
    the Huber loss with threshold ``param``, ``"smooth_l1"`` the smooth L1 loss
    with ``beta = param > 0``, ``"pinball"`` the pinball loss at quantile level
    ``alpha = param``, ``"diff"`` :math:`e` itself; ``"maxabs"`` takes the maximum
    of :math:`|e|` over the samples of positive weight instead of a sum.
    ``shift`` (integers, per output) scales the differences by ``2**shift`` first, exactly
    (with ``ldexp``, which also reaches the factors beyond float64 that subnormal data need).
    With ``check=False`` a non-finite sum is returned as it is instead of explained.
    ``a`` is ``(n,)`` or ``(n, k)``; ``b`` has the shape of ``a``, or is one float64
    row of shape ``a.shape[1:]`` subtracted from every sample (for centring).
    ``w`` is None (unit weights) or validated sample weights. Returns shape ``(k,)``.

    Each block of differences lands in one reusable float64 buffer, so the
    whole call costs one pass over the inputs and O(block) extra memory. A sum
    of terms is finite iff every term is, so NaN/inf inputs are detected from
    the result, and only then located by :func:`raise_nonfinite`.
    """
    n = a.shape[0]
    width = a.shape[1] if a.ndim == 2 else 1
    block, context = _plan(n * width)
    rows = max(1, block // width)
    flat, flat_aux = _buffers(rows * width)
    row_b = b.ndim < a.ndim
    parts = np.empty((-(-n // rows), width))  # one row of partial sums per block
    # Overflow and NaN are diagnosed below from the sums; numpy need not warn first.
    with context, np.errstate(over="ignore", invalid="ignore"):
        for block_index, i in enumerate(range(0, n, rows)):
            j = min(i + rows, n)
            e, x = flat[: (j - i) * width], flat_aux[: (j - i) * width]
            if a.ndim == 2:
                e, x = e.reshape(j - i, width), x.reshape(j - i, width)
            ai, bi = a[i:j], (b if row_b else b[i:j])
            # Casting into the buffers first is faster than a mixed-dtype ufunc loop.
            if ai.dtype != np.float64:
                np.copyto(e, ai)
                ai = e
            if bi.dtype != np.float64:
                np.copyto(x, bi)
                bi = x
            np.subtract(ai, bi, out=e)
            if shift is not None:
                np.ldexp(e, shift, out=e)
            parts[block_index] = _reduce(kind, e, x, None if w is None else w[i:j], param)
        combine = np.maximum if kind == "maxabs" else np.add
        total = parts[0] if len(parts) == 1 else combine.reduce(parts)
    if check and not all(map(math.isfinite, total.tolist())):
        if names[1] is None:
            raise_nonfinite(_QUANTITY_CENTRED[kind], **{names[0]: a}, sample_weight=w)
        raise_nonfinite(_QUANTITY[kind], **{names[0]: a, names[1]: b}, sample_weight=w)
    return total


def _reduce(
    kind: str, e: np.ndarray, aux: np.ndarray, w: np.ndarray | None, param: float
) -> np.ndarray | float:
    """Per-output :math:`\\sum_i w_i f(e_i)` of one block; may overwrite ``e`` and ``aux``."""
    y = None  # the sum is sum_i w_i x_i y_i, with y omitted when None
    if kind == "maxabs":
        np.abs(e, out=e)
        if w is not None:
            e[w == 0] = 0.0  # samples of weight 0 do not count
        return e.max(axis=0)
    if kind == "sq":
        y = e
    elif kind == "abs":
        np.abs(e, out=e)
    elif kind == "huber":
        # huber(e) = 2 s (|e| - s) with s = min(|e|, delta) / 2: branch-free, and
        # the halving and doubling are exact.
        np.abs(e, out=e)
        np.multiply(e, 0.5, out=aux)
        np.minimum(aux, 0.5 * param, out=aux)
        np.subtract(e, aux, out=e)
        y = aux
    elif kind == "smooth_l1":
        # S(e) = 2 (m/2 / beta) (|e| - m/2) with m = min(|e|, beta). Not huber / beta, whose
        # product beta (|e| - beta/2) underflows for tiny beta and overflows for large |e|:
        # here one factor lies in [0, 1/2] and the other in [0, |e|].
        np.abs(e, out=e)
        np.minimum(e, param, out=aux)
        np.multiply(aux, 0.5, out=aux)
        np.subtract(e, aux, out=e)
        np.divide(aux, param, out=aux)
        y = aux
    elif kind == "pinball":
        # alpha max(e, 0) + (1 - alpha) max(-e, 0); both parts are exact, and
        # neither is formed as a difference of larger numbers (no cancellation).
        np.maximum(e, 0.0, out=aux)  # under-prediction, y_true > y_pred
        np.subtract(aux, e, out=e)  # over-prediction: max(-e, 0)
        np.multiply(aux, param, out=aux)
        np.multiply(e, 1.0 - param, out=e)
        np.add(e, aux, out=e)
    if y is not None and (w is not None or e.ndim == 2):
        np.multiply(e, y, out=e)
        y = None
    if y is not None:
        part = np.dot(e, y)
    elif w is not None:
        part = w @ e
    else:
        part = e.sum(axis=0)
    return 2.0 * part if kind in ("huber", "smooth_l1") else part


def _combine(values: np.ndarray, multioutput: str | np.ndarray, metric: str) -> float | np.ndarray:
    """Reduce per-output values as scikit-learn does."""
    if isinstance(multioutput, str) and multioutput == "raw_values":
        return values
    with np.errstate(over="ignore", invalid="ignore"):
        if isinstance(multioutput, str):  # uniform: np.mean, without its overhead
            result = float(np.add.reduce(values)) / values.size
        else:
            result = float(np.average(values, weights=multioutput))
    check_finite_result(result, metric)
    return result


# Below this a sum of squares may have lost digits to underflow (a square below 2**-1022
# is subnormal): it is then computed again from differences scaled by a power of two.
_TINY = 2.0**-900


def _squares(
    a: np.ndarray, b: np.ndarray, w: np.ndarray | None, names: tuple[str, str | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-output :math:`\\sum_i w_i (a_i - b_i)^2` as ``(sums, k)``: the sum is ``sums * 4**-k``.

    ``k`` is 0 unless the plain sum overflowed, or is so small that squaring lost digits
    to underflow; then the differences are scaled by :math:`2^k` (exact) so that the
    largest is in [1/2, 1), and the sum is formed again: one more pass over the inputs,
    only in that case. A metric built from it (an RMSE, a ratio of two such sums) is then
    right across the whole float64 range, not only where the squares are representable.
    """
    sums = _sums("sq", a, b, w, names=names, check=False)
    k = np.zeros(sums.shape, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        redo = ~np.isfinite(sums) | (sums < _TINY)
    if redo.any():
        largest = _sums("maxabs", a, b, w, names=names, check=False)
        if not np.isfinite(largest).all():  # NaN or inf in the inputs: say where
            _sums("sq", a, b, w, names=names)
        redo &= largest > 0
        if redo.any():
            k = np.where(redo, -np.frexp(largest)[1], 0)
            scaled = _sums("sq", a, b, w, names=names, shift=k)
            sums = np.where(redo, scaled, sums)
    return sums, k


def _mean_of(kind: str, c: Checked, param: float = 1.0) -> np.ndarray:
    if kind == "sq":
        sums, k = _squares(c.y_true, c.y_pred, c.sample_weight, ("y_true", "y_pred"))
        with np.errstate(over="ignore"):
            mean = np.ldexp(sums / c.weight_sum, -2 * k)
        if not np.isfinite(mean).all():
            raise_nonfinite(
                "squared errors", subject="the mean squared error",
                y_true=c.y_true, y_pred=c.y_pred, sample_weight=c.sample_weight,
            )
        return mean
    return _sums(kind, c.y_true, c.y_pred, c.sample_weight, param) / c.weight_sum


def _first_positive(w: np.ndarray) -> int:
    """Index of the first positive weight (one exists), without an n-sized temporary."""
    for i in range(0, w.shape[0], _BLOCK):
        hits = np.flatnonzero(w[i : i + _BLOCK])
        if hits.size:
            return i + int(hits[0])
    raise AssertionError("validated weights have a positive sum")  # pragma: no cover


def _sse_sst(
    c: Checked, metric: str, *, constant_ok: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-output weighted sums of squared errors and of squared deviations of y_true.

    The deviations are taken from the weighted mean, as scikit-learn does. Whether
    an output is constant is decided exactly, from the weighted absolute
    deviations from its first positively weighted value, not from the sum of
    squares: a rounded mean leaves a tiny positive sum even for constant data.
    A constant output raises ``ValueError``, unless ``constant_ok``: its ``sst`` is
    then exactly 0. The sums come scaled, with the shift ``s`` such that
    :math:`\\mathrm{SSE}/\\mathrm{SST}` is ``(sse / sst) * 4**s``: the ratio keeps its
    digits however small or large the data are. The last item is the scale of ``sst``:
    the true SST is ``sst * 4**-k_sst``.
    """
    t, w = c.y_true, c.sample_weight
    y0 = np.asarray(t[0 if w is None else _first_positive(w)], dtype=np.float64)
    spread = _sums("abs", t, y0, w, names=("y_true", None))
    mean = _sums("diff", t, np.zeros_like(y0), w, names=("y_true", None)) / c.weight_sum
    sse, k_sse = _squares(t, c.y_pred, w, ("y_true", "y_pred"))
    sst, k_sst = _squares(t, mean.reshape(y0.shape), w, ("y_true", None))
    hint = _CONSTANT_HINT[metric]
    if constant_ok:
        sst = np.where(spread == 0, 0.0, sst)
        varies = spread != 0  # only an output that varies can still fail: by underflow
        check_variance(spread[varies], sst[varies], y0, metric, weighted=w is not None, hint=hint)
    else:
        check_variance(spread, sst, y0, metric, weighted=w is not None, hint=hint)
    # SSE/SST = (sse / sst) * 4**(k_sst - k_sse): the shift is applied to the ratio.
    return sse, sst, k_sst - k_sse, k_sst


_CONSTANT_HINT = {
    "r2": " (r2 with force_finite=True, the default, returns scikit-learn's 1.0 or 0.0 here.)",
    "nmse": " (nmse has no conventional value here; r2(..., force_finite=True) gives "
    "scikit-learn's 1.0 or 0.0 for R^2 = 1 - NMSE.)",
}


def _ratio(sse: np.ndarray, sst: np.ndarray, shift: np.ndarray, metric: str) -> np.ndarray:
    with np.errstate(over="ignore"):
        ratio = np.ldexp(sse / sst, 2 * shift)
    check_finite_result(ratio, metric)
    return ratio


def mse(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
    compute: bool = True,
) -> float | np.ndarray:
    r"""Mean squared error.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``;
        no other broadcasting is done.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        ``"raw_values"`` returns one value per output; ``"uniform_average"``
        (default) their mean; an array gives their weighted mean.
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, or a sum that overflows float64.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes).

    See Also
    --------
    rmse : Its square root, in the units of `y`.
    mae : The mean absolute error, less sensitive to outliers.
    sklearn.metrics.mean_squared_error : The reference this function matches.

    Notes
    -----
    For output :math:`j` with sample weights :math:`w_i` (all 1 by default),

    .. math:: \operatorname{MSE}_j = \frac{\sum_{i=1}^n w_i (y_{ij} - \hat y_{ij})^2}
              {\sum_{i=1}^n w_i}.

    The sums are accumulated in float64 whatever the input dtype, in blocks of
    64K elements, so one call costs one pass over the inputs. Integers are
    converted to float64, which is exact up to :math:`2^{53}`.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.mse([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.375
    >>> ml.mse([3, -0.5, 2, 7], [2.5, 0.0, 2, 8], sample_weight=[1, 1, 1, 0])
    0.16666666666666666
    >>> y_true = [[0.5, 1], [-1, 1], [7, -6]]
    >>> y_pred = [[0, 2], [-1, 2], [8, -5]]
    >>> ml.mse(y_true, y_pred, multioutput="raw_values")
    array([0.41666667, 1.        ])
    >>> ml.mse(y_true, y_pred, multioutput=[0.3, 0.7])
    0.825
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "mse", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    return _combine(_mean_of("sq", c), c.multioutput, "mse")


def rmse(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
    compute: bool = True,
) -> float | np.ndarray:
    r"""Root mean squared error.

    With several outputs, the per-output RMSEs are averaged (as scikit-learn's
    ``root_mean_squared_error``), which is not the square root of the averaged MSE.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output RMSEs are combined (see :func:`mse`).
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, or a sum that overflows float64.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes).

    See Also
    --------
    mse : The mean squared error.
    sklearn.metrics.root_mean_squared_error : The reference this function matches.

    Notes
    -----
    .. math:: \operatorname{RMSE}_j = \sqrt{\operatorname{MSE}_j}
              = \sqrt{\frac{\sum_i w_i (y_{ij} - \hat y_{ij})^2}{\sum_i w_i}}.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.rmse([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.6123724356957945
    >>> ml.rmse([[0.5, 1], [-1, 1], [7, -6]], [[0, 2], [-1, 2], [8, -5]])
    0.8227486121839513
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "rmse", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    sums, k = _squares(c.y_true, c.y_pred, c.sample_weight, ("y_true", "y_pred"))
    # The root before undoing the scale: RMSE = sqrt(sums / W) / 2**k has no underflow.
    return _combine(np.ldexp(np.sqrt(sums / c.weight_sum), -k), c.multioutput, "rmse")


def mae(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
    compute: bool = True,
) -> float | np.ndarray:
    r"""Mean absolute error.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, or a sum that overflows float64.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes).

    See Also
    --------
    mse : Penalises large errors quadratically.
    huber : Quadratic for small errors, linear for large ones.
    sklearn.metrics.mean_absolute_error : The reference this function matches.

    Notes
    -----
    .. math:: \operatorname{MAE}_j = \frac{\sum_i w_i \lvert y_{ij} - \hat y_{ij}\rvert}
              {\sum_i w_i}.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.mae([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    >>> ml.mae([[0.5, 1], [-1, 1], [7, -6]], [[0, 2], [-1, 2], [8, -5]],
    ...        multioutput="raw_values")
    array([0.5, 1. ])
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "mae", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    return _combine(_mean_of("abs", c), c.multioutput, "mae")


def huber(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    delta: float = 1.0,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
) -> float | np.ndarray:
    r"""Mean Huber loss (Huber 1964).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    delta : float, default=1.0
        Threshold between the quadratic and the linear regime; a finite
        positive real number.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, a `delta` that is not finite and
        positive, or a sum that overflows float64.
    TypeError
        On non-real input, or a `delta` that is not a real number.

    See Also
    --------
    mse : The limit ``2 * huber`` as `delta` exceeds every absolute error.
    mae : The behaviour of ``huber / delta`` for small `delta`.

    Notes
    -----
    .. math:: L_\delta(e) = \begin{cases} \tfrac12 e^2 & \lvert e\rvert \le \delta,\\
              \delta\left(\lvert e\rvert - \tfrac12\delta\right) & \text{otherwise,}
              \end{cases}
              \qquad
              H_j = \frac{\sum_i w_i L_\delta(y_{ij} - \hat y_{ij})}{\sum_i w_i}.

    It is computed branch-free as :math:`L_\delta(e) = 2s(\lvert e\rvert - s)` with
    :math:`s = \min(\lvert e\rvert, \delta)/2`. scikit-learn has no Huber metric
    (only ``HuberRegressor``), so there is nothing to match there.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.huber([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.1875
    >>> ml.huber([3, -0.5, 2, 7], [2.5, 0.0, 2, 8], delta=0.5)
    0.15625
    """
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    threshold = check_positive_real(delta, "delta")
    return _combine(_mean_of("huber", c, threshold), c.multioutput, "huber")


def smooth_l1(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    beta: float = 1.0,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
) -> float | np.ndarray:
    r"""Mean smooth L1 loss, as PyTorch's ``SmoothL1Loss``: the Huber loss divided by `beta`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    beta : float, default=1.0
        Threshold between the quadratic and the linear regime; a finite real
        number ``>= 0``. ``beta=0`` gives the mean absolute error, as in PyTorch.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, a `beta` that is negative or not
        finite, or a sum that overflows float64.
    TypeError
        On non-real input, or a `beta` that is not a real number.

    See Also
    --------
    huber : Equal to ``beta * smooth_l1`` with ``delta = beta``.
    mae : The limit ``beta -> 0`` (and the value at ``beta = 0``).
    torch.nn.SmoothL1Loss : The convention this function follows
        (``reduction="mean"``).

    Notes
    -----
    .. math:: S_\beta(e) = \begin{cases} \dfrac{e^2}{2\beta} & \lvert e\rvert < \beta,\\[1ex]
              \lvert e\rvert - \tfrac12\beta & \text{otherwise,}
              \end{cases}
              \qquad
              S_j = \frac{\sum_i w_i S_\beta(y_{ij} - \hat y_{ij})}{\sum_i w_i}.

    :math:`S_\beta = L_\beta / \beta` for the Huber loss :math:`L_\beta` of
    :func:`huber`; the two coincide only at ``beta = delta = 1``. It is computed as
    :math:`S_\beta(e) = 2\,\frac{m/2}{\beta}\,(\lvert e\rvert - m/2)` with
    :math:`m = \min(\lvert e\rvert, \beta)`, whose factors neither underflow for a tiny
    `beta` nor overflow for a large error, as :math:`L_\beta/\beta` would. Unlike the Huber loss,
    :math:`S_\beta` is in the units of the target: :math:`S_{a\beta}(ae) = a S_\beta(e)`
    for :math:`a > 0`.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.smooth_l1([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.1875
    >>> ml.smooth_l1([0, 0], [0.25, 3], beta=0.5)
    1.40625
    >>> ml.smooth_l1([3, -0.5, 2, 7], [2.5, 0.0, 2, 8], beta=0)  # the MAE
    0.5
    """
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    b = check_nonnegative_real(beta, "beta")
    values = _mean_of("smooth_l1", c, b) if b > 0 else _mean_of("abs", c)
    return _combine(values, c.multioutput, "smooth_l1")


def pinball(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    alpha: float = 0.5,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
) -> float | np.ndarray:
    r"""Mean pinball (quantile) loss: an asymmetric absolute error.

    An under-prediction (``y_true > y_pred``) costs `alpha` per unit, an
    over-prediction ``1 - alpha``; the constant that minimises it is an
    `alpha`-quantile of `y_true`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers (integer or float dtype).
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    alpha : float, default=0.5
        The quantile level, a real number in ``[0, 1]``. ``alpha=0.5`` gives half
        the mean absolute error.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On shapes that differ, empty input, NaN or inf anywhere, invalid
        weights, an unknown `multioutput`, an `alpha` outside ``[0, 1]``, or a
        sum that overflows float64.
    TypeError
        On non-real input, or an `alpha` that is not a real number.

    See Also
    --------
    mae : Equal to ``2 * pinball`` at ``alpha = 0.5``.
    sklearn.metrics.mean_pinball_loss : The reference this function matches.

    Notes
    -----
    With :math:`e = y - \hat y`,

    .. math:: \rho_\alpha(e) = \alpha \max(e, 0) + (1 - \alpha) \max(-e, 0),
              \qquad
              P_j = \frac{\sum_i w_i \rho_\alpha(y_{ij} - \hat y_{ij})}{\sum_i w_i}.

    The loss is not symmetric: swapping `y_true` and `y_pred` is the same as
    replacing `alpha` by ``1 - alpha``.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.pinball([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.25
    >>> ml.pinball([1, 2, 3], [2, 2, 2], alpha=0.9)
    0.3333333333333333
    >>> ml.pinball([1, 2, 3], [2, 2, 2], alpha=0.9, multioutput="raw_values")
    array([0.33333333])
    """
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    return _combine(_mean_of("pinball", c, check_alpha(alpha)), c.multioutput, "pinball")


def nmse(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: MultiOutput = "uniform_average",
    compute: bool = True,
) -> float | np.ndarray:
    r"""Normalised mean squared error: MSE divided by the variance of `y_true`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers, not constant in any output.
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How per-output values are combined (see :func:`mse`).
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        If an output of `y_true` is constant (zero variance, including a single
        sample), and for the input errors listed under :func:`mse`.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes).

    See Also
    --------
    r2 : Equal to ``1 - nmse``.
    mse : The numerator.

    Notes
    -----
    With the population (divide-by-:math:`n`) variance, weighted as the mean,

    .. math:: \operatorname{NMSE}_j = \frac{\operatorname{MSE}_j}{\operatorname{Var}_w(y_j)}
              = \frac{\sum_i w_i (y_{ij} - \hat y_{ij})^2}{\sum_i w_i (y_{ij} - \bar y_j)^2},
              \qquad \bar y_j = \frac{\sum_i w_i y_{ij}}{\sum_i w_i}.

    A constant output makes the ratio undefined; mselib raises ``ValueError``
    naming the output rather than returning a conventional value.
    NMSE = 1 is the score of always predicting the mean.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.nmse([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.05139186295503212
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "nmse", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput)
    sse, sst, shift, _ = _sse_sst(c, "nmse")
    return _combine(_ratio(sse, sst, shift, "nmse"), c.multioutput, "nmse")


def r2(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: Literal["variance_weighted"] | MultiOutput = "uniform_average",
    force_finite: bool = True,
    compute: bool = True,
) -> float | np.ndarray:
    r"""Coefficient of determination :math:`R^2 = 1 - \mathrm{NMSE}`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground-truth target values: real numbers, not constant in any output.
    y_pred : array-like of the same shape as `y_true`
        Predicted values. A column ``(n, 1)`` pairs with a vector ``(n,)``.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative sample weights with a positive sum. Default: all 1.
    multioutput : {"raw_values", "uniform_average", "variance_weighted"} or array-like
        As for :func:`mse`; ``"variance_weighted"`` weights each output's
        :math:`R^2` by the (weighted) variance of that output of `y_true`.
    force_finite : bool, default=True
        What to return for an output of `y_true` that is constant, where the formula
        divides by zero: with True (scikit-learn's default and values), 1.0 if the
        predictions of that output are perfect and 0.0 otherwise; with False, raise
        ``ValueError`` naming the output.
    compute : bool, default=True
        Only for Dask input (any argument a Dask array, reduced chunk by chunk):
        True returns the computed value, False the lazy result, a Dask array.
        Ignored for NumPy input.

    Returns
    -------
    float or numpy.ndarray
        A Python float, or a float64 array of shape ``(n_outputs,)`` for
        ``multioutput="raw_values"``.

    Raises
    ------
    ValueError
        On fewer than two samples (scikit-learn returns NaN with a warning); if
        an output of `y_true` is constant and ``force_finite=False``; and for the
        input errors listed under :func:`mse`.
    TypeError
        On non-real input (bool, complex, strings, objects, datetimes), or a
        `force_finite` that is not a bool.

    See Also
    --------
    nmse : Equal to ``1 - r2``.
    sklearn.metrics.r2_score : The reference this function matches on
        non-constant outputs.

    Notes
    -----
    .. math:: R^2_j = 1 - \frac{\sum_i w_i (y_{ij} - \hat y_{ij})^2}
              {\sum_i w_i (y_{ij} - \bar y_j)^2}.

    When an output of `y_true` is constant the formula divides by zero. As in
    scikit-learn, ``force_finite=True`` gives 1.0 for perfect predictions of that
    output and 0.0 otherwise (a convention, not a value of the formula), and
    ``"variance_weighted"`` falls back to a uniform average when every output is
    constant. With ``force_finite=False`` scikit-learn returns NaN or -inf;
    mselib raises ``ValueError`` naming the constant output instead. With a single
    sample scikit-learn returns NaN with a warning; mselib raises.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.r2([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.9486081370449679
    >>> y_true = [[0.5, 1], [-1, 1], [7, -6]]
    >>> y_pred = [[0, 2], [-1, 2], [8, -5]]
    >>> ml.r2(y_true, y_pred, multioutput="variance_weighted")
    0.9382566585956417
    >>> ml.r2([2, 2, 2], [2, 2, 2]), ml.r2([2, 2, 2], [1, 2, 3])  # constant y_true
    (1.0, 0.0)
    >>> ml.r2([2, 2, 2], [1, 2, 3], force_finite=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: y_true is constant (every sample equals 2.0), so its variance is zero, ...
    """
    if _streaming.is_lazy(y_true, y_pred, sample_weight):
        return _streaming.dask_metric(
            "r2", y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput,
            force_finite=force_finite, compute=compute,
        )
    c = check_args(y_true, y_pred, sample_weight, multioutput, R2_STRINGS)
    if not isinstance(force_finite, (bool, np.bool_)):
        raise TypeError(f"force_finite must be True or False; got {force_finite!r}.")
    if c.y_true.shape[0] < 2:
        raise ValueError(
            f"r2 needs at least two samples; got {c.y_true.shape[0]} (with one sample the "
            "variance of y_true is zero whatever it is; scikit-learn returns NaN here)."
        )
    sse, sst, shift, k_sst = _sse_sst(c, "r2", constant_ok=bool(force_finite))
    constant = sst == 0  # only with force_finite: an exactly constant output
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = 1.0 - _ratio(sse, np.where(constant, 1.0, sst), shift, "r2")
    scores = np.where(constant, np.where(sse == 0, 1.0, 0.0), scores)
    how = c.multioutput
    if isinstance(how, str) and how == "variance_weighted":
        # Weight each output's R^2 by its sum of squares, as scikit-learn does; when every
        # output is constant those weights are all zero and it averages uniformly.
        if constant.all():
            how = "uniform_average"
        else:  # the true sums of squares, relative to the largest (scales differ per output)
            exponents = np.where(constant, 0, np.frexp(sst)[1] - 2 * k_sst)
            with np.errstate(under="ignore"):
                how = np.ldexp(sst, -2 * k_sst - int(exponents.max()))
    return _combine(scores, how, "r2")
