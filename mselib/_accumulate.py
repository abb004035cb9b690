"""Blocked float64 sums, the one engine the metrics share.

:mod:`mselib.metrics` and :mod:`mselib.streaming` validate their arguments, then
hand checked arrays to the kernels here. Sums are accumulated in float64 block by
block (:func:`_sums`), so float32, float16 and integer inputs give the float64
answer and no temporary the size of the input is made; long loops run on two
threads. A sum whose terms would overflow or underflow in float64 is formed again
with every factor split into mantissa and exponent (:func:`_scaled_sums`), so that
a metric is right to a few ulps across the whole float64 range, tiny weights next
to huge ones included.

The checks of the metric family's own arguments (``multioutput``, a constant
``y_true``, a result beyond float64) live here too: both public modules use them,
and this module imports no public one, so there is no import cycle.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple, cast

import numpy as np

from mselib._threads import can_pin, one_blas_thread, run_split, worker_count
from mselib._validation import (
    _check_weights,
    check_targets,
    raise_nonfinite,
)

# ----------------------------------------------------------------------------------------------
# The arguments every metric shares, checked.

UNIFORM_STRINGS = ("raw_values", "uniform_average")
R2_STRINGS = ("raw_values", "uniform_average", "variance_weighted")


class Checked(NamedTuple):
    """Validated arguments of a metric call.

    ``y_true`` and ``y_pred`` have the same shape: ``(n,)`` for one output
    (a column ``(n, 1)`` is flattened to this) or ``(n, k)`` with ``k >= 2``.
    ``sample_weight`` holds the weights exactly as given (float64, never rescaled);
    their sum is ``weight_sum * 2**weight_exp`` (``weight_exp`` is 0 unless the plain
    sum overflows) and ``weight_max`` is the largest (1.0 when unweighted).
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    sample_weight: np.ndarray | None
    weight_sum: float  # n when unweighted
    multioutput: str | np.ndarray  # a valid string or float64 weights of shape (k,)
    n_outputs: int
    weight_exp: int = 0
    weight_max: float = 1.0


def check_multioutput(
    multioutput: Any, n_outputs: int, allowed: tuple[str, ...] = UNIFORM_STRINGS
) -> str | np.ndarray:
    """Return a valid multioutput string, or float64 output weights of shape ``(n_outputs,)``."""
    if isinstance(multioutput, str):
        if multioutput not in allowed:
            extra = ""
            if multioutput == "variance_weighted":
                extra = " ('variance_weighted' is only defined for r2)"
            raise ValueError(
                f"multioutput must be one of {', '.join(map(repr, allowed))} or an array-like "
                f"of {n_outputs} non-negative output weights; got {multioutput!r}{extra}."
            )
        return multioutput
    if n_outputs == 1:
        raise ValueError(
            "multioutput as output weights needs several outputs; y_true has one output, "
            f"so got weights {np.asarray(multioutput).tolist()!r} for nothing to weigh. "
            "Expected 'raw_values' or 'uniform_average' (as scikit-learn, which accepts "
            "custom weights only in multi-output cases)."
        )
    weights = _check_weights(multioutput, "multioutput", n_outputs, f"output (k = {n_outputs})")
    return weights.values.astype(np.float64)


def check_args(
    y_true: Any,
    y_pred: Any,
    sample_weight: Any,
    multioutput: Any,
    allowed: tuple[str, ...] = UNIFORM_STRINGS,
) -> Checked:
    """Check every argument a metric shares and return them normalised."""
    t, p = check_targets(y_true, y_pred)
    n = t.shape[0]
    k = t.shape[1] if t.ndim == 2 else 1
    how = check_multioutput(multioutput, k, allowed)
    if sample_weight is None:
        return Checked(t, p, None, float(n), how, k)
    w = _check_weights(sample_weight, "sample_weight", n, f"sample (n = {n})")
    return Checked(t, p, w.values, w.total, how, k, w.exp, w.largest)


def check_r2_samples(n: int) -> None:
    """r2 needs two samples: with one, the variance of ``y_true`` is zero whatever it is."""
    if n < 2:
        raise ValueError(
            f"r2 needs at least two samples; got {n} (with one sample the "
            "variance of y_true is zero whatever it is; scikit-learn returns NaN here)."
        )


def check_variance(
    spread: np.ndarray, total_squares: np.ndarray, first_values: np.ndarray, metric: str,
    weighted: bool, hint: str = "",
) -> None:
    """Raise ``ValueError`` if an output of ``y_true`` has zero (weighted) variance.

    ``spread`` holds the weighted sums of absolute deviations from the first
    positively weighted value, zero exactly when the output is constant;
    ``total_squares`` the weighted sums of squared deviations from the mean.
    """
    bad = np.flatnonzero((spread == 0) | (total_squares == 0))
    if bad.size == 0:
        return
    j = int(bad[0])
    which = "y_true" if first_values.size == 1 else f"output {j} of y_true"
    if spread[j] == 0:
        samples = "every sample with positive weight" if weighted else "every sample"
        reason = f"is constant ({samples} equals {first_values.flat[j]}), so its variance is zero"
    else:
        reason = "varies so little that its variance underflows float64 to zero"
    raise ValueError(
        f"{which} {reason}, and {metric}, which divides by Var(y_true), is undefined; "
        f"expected y_true with at least two distinct values in each output.{hint}"
    )


def check_finite_result(values: np.ndarray | float, metric: str) -> None:
    """Raise ``ValueError`` if a metric overflowed float64 although every sum was finite.

    This happens only at the edge of the float64 range: averaging per-output values
    near 1.8e308, or nmse/r2 when Var(y_true) is tiny next to the squared errors.
    """
    finite = math.isfinite(values) if isinstance(values, float) else np.isfinite(values).all()
    if not finite:
        why = ""
        if metric in ("nmse", "r2"):
            why = " (the squared errors dwarf the variance of y_true)"
        raise ValueError(
            f"{metric} overflows float64: y_true and y_pred are finite, but the value "
            f"exceeds {np.finfo(np.float64).max:.3g}{why}; expected inputs rescaled to a "
            f"moderate range."
        )


# ----------------------------------------------------------------------------------------------
# Block sizes. Large temporaries are slow on machines that hand idle memory back
# to the host, so differences go block by block into reusable float64 buffers.
# OpenBLAS runs a dot product of more than 10000 elements on several threads,
# and waking them costs more than the product itself (measured 224 us against
# 27 us per 64K block), so long loops pin BLAS to one thread with threadpoolctl
# (64K blocks, 512 KiB, stay in L2); without threadpoolctl, blocks stay small.
# From _SPLIT_ABOVE elements on, the blocks are shared between two threads (each with
# its own buffers): NumPy and BLAS release the GIL, so both cores stream memory.
_SERIAL = 8192
_BLOCK = 1 << 16
_PIN_ABOVE = 1 << 15  # elements; below, serial blocks beat the 8-15 us cost of pinning
_SPLIT_ABOVE = 1 << 20  # elements; below, waking a second thread costs more than it saves
# Block sums are kept for this many blocks at a time, then added to the total, so the extra
# memory does not grow with n (2**28 elements per group; fewer blocks give one group).
_GROUP = 1 << 12
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
_CONSTANT_HINT = {
    "r2": " (r2 with force_finite=True, the default, returns scikit-learn's 1.0 or 0.0 here.)",
    "nmse": " (nmse has no conventional value here; r2(..., force_finite=True) gives "
    "scikit-learn's 1.0 or 0.0 for R^2 = 1 - NMSE.)",
}


def _raise_sum(
    kind: str, a: np.ndarray, b: np.ndarray, w: np.ndarray | None,
    names: tuple[str, str | None], subject: str | None = None,
) -> None:
    """Explain a sum of ``kind`` terms that is not finite (NaN/inf inputs, or overflow)."""
    if names[1] is None:
        raise_nonfinite(_QUANTITY_CENTRED[kind], subject=subject, **{names[0]: a},
                        sample_weight=w)
    raise_nonfinite(_QUANTITY[kind], subject=subject, **{names[0]: a, names[1]: b},
                    sample_weight=w)


def _sums(
    kind: str,
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray | None = None,
    param: float = 1.0,
    names: tuple[str, str | None] = ("y_true", "y_pred"),
    check: bool = True,
) -> np.ndarray:
    """Per-output sums :math:`\\sum_i w_i f(a_i - b_i)` in float64, block by block.

    ``kind`` picks ``f``: ``"sq"`` :math:`e^2`, ``"abs"`` :math:`|e|`, ``"huber"``
    the Huber loss with threshold ``param``, ``"smooth_l1"`` the smooth L1 loss
    with ``beta = param > 0``, ``"pinball"`` the pinball loss at quantile level
    ``alpha = param``, ``"diff"`` :math:`e` itself.
    With ``check=False`` a non-finite sum is returned as it is instead of explained.
    ``a`` is ``(n,)`` or ``(n, k)``; ``b`` has the shape of ``a``, or is one float64
    row of shape ``a.shape[1:]`` subtracted from every sample (for centring).
    ``w`` is None (unit weights) or validated sample weights. Returns shape ``(k,)``.

    Each block of differences lands in one reusable float64 buffer, and the block
    sums are added to the total every ``_GROUP`` blocks, so the whole call costs one
    pass over the inputs and O(block) extra memory; from ``_SPLIT_ABOVE`` elements
    on, the blocks are split between two threads. A sum
    of terms is finite iff every term is, so NaN/inf inputs are detected from
    the result, and only then located by :func:`raise_nonfinite`. The plain products
    may overflow or lose digits to underflow: :func:`_scaled_sums` decides.
    """
    n = a.shape[0]
    width = a.shape[1] if a.ndim == 2 else 1
    if n * width <= _SERIAL:  # one block: the lean path (no loop, no thread, no pinning)
        e, x = _buffers(n * width)
        if a.ndim == 2:
            e, x = e.reshape(n, width), x.reshape(n, width)
        with np.errstate(over="ignore", invalid="ignore"):
            ai, bi = a, b
            if ai.dtype != np.float64:
                np.copyto(e, ai)
                ai = e
            if bi.dtype != np.float64:
                np.copyto(x, np.broadcast_to(bi, x.shape) if bi.ndim < a.ndim else bi)
                bi = x
            np.subtract(ai, bi, out=e)
            total = np.reshape(_reduce(kind, e, x, w, param), (width,))
        if check and not all(map(math.isfinite, total.tolist())):
            _raise_sum(kind, a, b, w, names)
        return total
    block, context = _plan(n * width)
    rows = max(1, block // width)
    row_b = b.ndim < a.ndim
    count = -(-n // rows)
    parts = np.empty((min(count, _GROUP), width))  # one row of partial sums per block

    def loop(indices: Iterator[int], first: int) -> None:
        """Blocks ``first + k`` for ``k`` in ``indices``; the sum of block ``first + k`` goes to
        ``parts[k]``."""
        flat, flat_aux = _buffers(rows * width)
        # Overflow and NaN are diagnosed from the sums; numpy need not warn first.
        with np.errstate(over="ignore", invalid="ignore"):
            for k in indices:
                block_index = first + k
                i = block_index * rows
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
                parts[k] = _reduce(kind, e, x, None if w is None else w[i:j], param)

    split = n * width > _SPLIT_ABOVE and worker_count() > 1
    total = None
    with context, np.errstate(over="ignore", invalid="ignore"):
        for first in range(0, count, _GROUP):
            size = min(_GROUP, count - first)
            if split:
                run_split(functools.partial(loop, first=first), size)
            else:
                loop(iter(range(size)), first)
            group = np.add.reduce(parts[:size])  # a new array: parts is reused
            total = group if total is None else total + group
    if check and not all(map(math.isfinite, total.tolist())):
        _raise_sum(kind, a, b, w, names)
    return total


def _reduce(
    kind: str, e: np.ndarray, aux: np.ndarray, w: np.ndarray | None, param: float
) -> np.ndarray | float:
    """Per-output :math:`\\sum_i w_i f(e_i)` of one block; may overwrite ``e`` and ``aux``."""
    y = None  # the sum is sum_i w_i x_i y_i, with y omitted when None
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


# ----------------------------------------------------------------------------------------------
# Sums across the whole float64 range: every term as mantissa * 2**exponent.

# Below this (times the largest weight, if above 1) a plain sum may have lost digits to
# underflow: a product below 2**-1022 is subnormal. It is then formed again, scaled.
_TINY = 2.0**-900
_NO_TERM = -(1 << 30)  # the exponent of a zero term, below every real one
# A huber/smooth_l1 threshold below this has a half that may round (subnormal): the plain
# kernel halves it, so such sums are always formed from scaled terms.
_EXACT_HALF = 2.0**-1021


def _exp_sum(mant: np.ndarray, exp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(s, E)`` per column with :math:`\\sum_i m_i 2^{x_i} = s\\, 2^E`, the largest term near 1.

    Each term is scaled by a power of two relative to the largest (exact, unless it falls
    below 2**-1022 of the largest, where it cannot matter), so nothing overflows.
    """
    with np.errstate(invalid="ignore"):
        top = np.max(np.where(mant != 0, exp, _NO_TERM), axis=0)
    top = np.where(top == _NO_TERM, 0, top)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        return np.add.reduce(np.ldexp(mant, exp - top), axis=0), top


def _terms(
    kind: str, e: np.ndarray, extra: np.ndarray | int, param: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each term ``f(e * 2**extra)`` as ``(mantissa, exponent)``, with no overflow or underflow.

    ``extra`` is 1 where ``a - b`` overflowed and ``e`` holds ``a/2 - b/2`` instead.
    """
    m, x = np.frexp(e)
    x = x.astype(np.int64) + extra
    if kind == "sq":
        return m * m, 2 * x
    if kind == "abs":
        return np.abs(m), x
    if kind == "diff":
        return m, x
    if kind == "pinball":
        mc, xc = np.frexp(np.where(e > 0, param, 1.0 - param))
        return np.abs(m) * mc, x + xc
    # huber and smooth_l1: quadratic for small |e|, linear (|e| - param/2) beyond
    size = np.abs(e)
    quadratic = (size <= param) if kind == "huber" else (size < param)
    if not np.isscalar(extra):  # an error that overflowed is beyond any threshold
        quadratic &= np.asarray(extra) == 0
    if param >= _EXACT_HALF:
        with np.errstate(under="ignore"):
            d = size - np.ldexp(0.5 * param, -np.asarray(extra))
        md, xd = np.frexp(d)
        xd = xd.astype(np.int64) + extra
    else:  # param / 2 would round: form |e| - param / 2 scaled by 2**64 (exact halving)
        small = size < 2.0**900  # beyond, param / 2 is far below half an ulp of |e|
        with np.errstate(over="ignore", invalid="ignore"):
            d = np.where(small, np.ldexp(size, 64) - math.ldexp(param, 63), size)
        md, xd = np.frexp(d)
        xd = xd.astype(np.int64) + extra - np.where(small, 64, 0)
    mp, xp = math.frexp(param)
    if kind == "huber":  # e**2 / 2, or delta * (|e| - delta / 2)
        return np.where(quadratic, m * m, mp * md), np.where(quadratic, 2 * x - 1, xp + xd)
    # smooth_l1: e**2 / (2 beta), or |e| - beta / 2
    return np.where(quadratic, m * m / mp, md), np.where(quadratic, 2 * x - 1 - xp, xd)


def _robust_sums(
    kind: str,
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray | None,
    param: float,
    names: tuple[str, str | None],
) -> tuple[np.ndarray, np.ndarray]:
    """Per-output ``(s, E)`` with :math:`\\sum_i w_i f(a_i - b_i) = s\\, 2^E`, any magnitudes.

    Every factor of every term (weight, error, threshold) is split into mantissa and
    exponent, so no product overflows or loses digits to underflow; blocks of terms are
    added relative to their largest. About three times the cost of :func:`_sums`: only
    called when the plain sum is not trustworthy.
    """
    n = a.shape[0]
    width = a.shape[1] if a.ndim == 2 else 1
    rows = max(1, _SERIAL // width)
    row_b = b.ndim < a.ndim
    count = -(-n // rows)
    parts = np.empty((min(count, _GROUP), width))  # per block, reused for each group
    exps = np.empty((min(count, _GROUP), width), dtype=np.int64)
    total: tuple[np.ndarray, np.ndarray] | None = None
    with np.errstate(over="ignore", invalid="ignore"):
        for block_index in range(count):
            k = block_index % _GROUP
            i = block_index * rows
            j = min(i + rows, n)
            ai = a[i:j].astype(np.float64, copy=False)
            bi = np.asarray(b if row_b else b[i:j], dtype=np.float64)
            e = ai - bi
            extra: Any = 0
            if not np.isfinite(e).all():  # a - b may overflow although both are finite
                over = ~np.isfinite(e) & np.isfinite(ai) & np.isfinite(bi)
                if over.any():
                    e = np.where(over, ai * 0.5 - bi * 0.5, e)
                    extra = over.astype(np.int64)
            mant, exp = _terms(kind, e, extra, param)
            if w is not None:
                mw, xw = np.frexp(w[i:j])
                if mant.ndim == 2:
                    mw, xw = mw[:, None], xw[:, None]
                mant, exp = mant * mw, exp + xw
            parts[k], exps[k] = _exp_sum(mant, exp)
            if k == _GROUP - 1 or block_index == count - 1:  # a group is complete: fold it
                group = _exp_sum(parts[: k + 1], exps[: k + 1])  # relative to the largest
                if total is not None:
                    group = _exp_sum(np.stack([total[0], group[0]]), np.stack([total[1], group[1]]))
                total = group
    s, top = cast("tuple[np.ndarray, np.ndarray]", total)  # n > 0: at least one block
    if not np.isfinite(s).all():  # only NaN or inf in the inputs: say where
        _raise_sum(kind, a, b, w, names)
    return s, top


def _scaled_sums(
    kind: str,
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray | None = None,
    param: float = 1.0,
    names: tuple[str, str | None] = ("y_true", "y_pred"),
    w_max: float = 1.0,
) -> tuple[np.ndarray, np.ndarray | int]:
    """Per-output ``(s, E)`` with :math:`\\sum_i w_i f(a_i - b_i) = s\\, 2^E`, right to a few ulps.

    First the plain float64 sum (``E = 0``). It is kept unless it is not finite, or so
    small next to the largest weight ``w_max`` that an underflowing product may have
    lost digits that matter; those outputs are formed again by :func:`_robust_sums`,
    one more pass, only in that case. So weights and errors may each span the whole
    float64 range: a tiny weight next to a huge one keeps its term.
    """
    if kind in ("huber", "smooth_l1") and param < _EXACT_HALF:
        return _robust_sums(kind, a, b, w, param, names)
    sums = _sums(kind, a, b, w, param, names, check=False)
    floor = _TINY * max(1.0, w_max)
    if sums.shape == (1,):  # one output: Python floats are quicker than ufuncs
        value = float(sums[0])
        if math.isfinite(value) and abs(value) >= floor:
            return sums, 0
    with np.errstate(invalid="ignore"):
        good = np.isfinite(sums) & (np.abs(sums) >= floor)
    if good.all():
        return sums, np.zeros(sums.shape, dtype=np.int64)
    robust, top = _robust_sums(kind, a, b, w, param, names)
    return np.where(good, sums, robust), np.where(good, 0, top)


def _squares(
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray | None,
    names: tuple[str, str | None],
    w_max: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-output :math:`\\sum_i w_i (a_i - b_i)^2` as ``(sums, k)``: the sum is ``sums * 4**-k``.

    ``k`` is 0 unless the plain sum overflowed, or is so small that a product lost
    digits to underflow; then the sum is formed from scaled terms (:func:`_scaled_sums`).
    A metric built from it (an RMSE, a ratio of two such sums) is then right across the
    whole float64 range, not only where the squares are representable.
    """
    return _to_quarters(*_scaled_sums("sq", a, b, w, 1.0, names, w_max))


# The scale of a sum of squares that is 0: no constraint when sums are aligned (merged).
_ZERO_SCALE = 1 << 20


def _to_quarters(sums: np.ndarray, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sums * 2**top`` written as ``s * 4**-k`` with ``s`` in [1/2, 2) (or 0, with a huge ``k``).

    Normalised, so that aligning two such sums to the larger scale (as merges do) loses
    only what is negligible next to the larger sum.
    """
    m, e = np.frexp(sums)
    total = e.astype(np.int64) + np.asarray(top, dtype=np.int64)
    odd = total % 2
    k = np.where(m == 0, _ZERO_SCALE, -(total - odd) // 2)
    return np.ldexp(m, odd), k


def _weight_split(c: Checked) -> tuple[float, int]:
    """The total weight as ``(m, x)``: :math:`W = m\\, 2^x` with ``m`` in [1, 2).

    Dividing by ``m`` never makes a number larger, so a sum near the float64 maximum
    divided by it cannot overflow; the power of two is applied last.
    """
    m, x = math.frexp(c.weight_sum)
    return 2.0 * m, x - 1 + c.weight_exp


def _per_weight(sums: np.ndarray, top: np.ndarray | int, c: Checked) -> np.ndarray:
    """``sums * 2**top / W``: a weighted mean, with a single rounding of scale."""
    m, x = _weight_split(c)
    if isinstance(top, int) and sums.shape == (1,):  # one output, plain sum: no ufuncs
        try:
            return np.array([math.ldexp(float(sums[0]) / m, top - x)])
        except OverflowError:
            return np.array([math.inf])
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(sums / m, top - x)


def _mean_of(kind: str, c: Checked, param: float = 1.0) -> np.ndarray:
    """Per-output weighted mean of the ``kind`` terms; an overflow is explained."""
    sums, top = _scaled_sums(
        kind, c.y_true, c.y_pred, c.sample_weight, param, w_max=c.weight_max
    )
    mean = _per_weight(sums, top, c)
    if not all(map(math.isfinite, mean.tolist())):
        _raise_sum(kind, c.y_true, c.y_pred, c.sample_weight, ("y_true", "y_pred"),
                   subject="the mean squared error" if kind == "sq" else None)
    return mean


def _root_mean_square(c: Checked) -> np.ndarray:
    """Per-output RMSE: the root taken before the scale is undone, so nothing underflows."""
    sums, k = _squares(c.y_true, c.y_pred, c.sample_weight, ("y_true", "y_pred"), c.weight_max)
    m, x = _weight_split(c)
    # sqrt(sums 4**-k / (m 2**x)) = sqrt(sums / (m 2**r)) 2**(-k - h) with x = 2h + r.
    h, r = divmod(x, 2)
    with np.errstate(over="ignore"):  # an overflow is explained by _combine
        return np.ldexp(np.sqrt(sums / (m * 2.0**r)), -k - h)


def _first_positive(w: np.ndarray) -> int:
    """Index of the first positive weight (one exists), with O(_SERIAL) temporaries."""
    for i in range(0, w.shape[0], _SERIAL):
        block = w[i : i + _SERIAL]
        k = int(np.argmax(block > 0))  # the first True, or 0 if there is none
        if block[k] > 0:
            return i + k
    raise AssertionError("validated weights have a positive sum")  # pragma: no cover


def _weighted_mean_row(
    t: np.ndarray, w: np.ndarray | None, total: tuple[float, int], w_max: float
) -> np.ndarray:
    """Per-output weighted mean of ``t``, with :math:`W = m 2^x` given as ``total = (m, x)``."""
    zero = np.zeros(t.shape[1:])
    sums, top = _scaled_sums("diff", t, zero, w, names=("y_true", None), w_max=w_max)
    m, x = total
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(sums / m, np.asarray(top) - x).reshape(zero.shape)


def _centred_squares(
    t: np.ndarray, w: np.ndarray | None, total: tuple[float, int], w_max: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray | int]]:
    r"""Weighted mean and sum of squared deviations of ``t``, by the corrected two-pass formula.

    Returns ``(mean, sst, k, (s, E))``: the float64 mean ``m`` (a row), the true
    :math:`\mathrm{SST} = \sum_i w_i (t_i - \bar t)^2` as ``sst * 4**-k``, and
    :math:`\sum_i w_i (t_i - m) = s\, 2^E`. The mean ``m`` is rounded, by some
    :math:`\delta`, and :math:`\sum_i w_i (t_i - m)^2` exceeds SST by :math:`W\delta^2`,
    which can swamp SST (a tiny spread, a heavy weight). It is removed as
    :math:`(\sum_i w_i (t_i - m))^2 / W` (Björck; Chan, Golub and LeVeque 1983); when that
    removes more than a quarter of the sum, the mean is first refined,
    :math:`m \leftarrow m + \sum_i w_i (t_i - m) / W`, which brings it within about half
    an ulp of :math:`\bar t` (then :math:`W\delta^2 \le \mathrm{SST}`), and both sums are
    taken again around it.
    Every sum is formed from scaled terms where needed (:func:`_scaled_sums`), so
    subnormal and huge ``t`` keep their digits.
    """
    names = ("y_true", None)
    m, x = total
    lost = math.log2(t.shape[0]) - 1074 + 60  # what underflow may cost the plain sum, +60 bits

    def deviations(
        centre: np.ndarray, sst: np.ndarray, k: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | int]:
        # The plain sum is kept unless the products may have lost, to underflow, more than
        # 2**-60 of the sum's natural scale sqrt(W * SST'), by Cauchy-Schwarz its bound.
        # (Its size says nothing here: it is small by cancellation, by design.)
        plain = _sums("diff", t, centre, w, 1.0, names, check=False)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = 0.5 * (np.frexp(sst)[1] - 2 * k + x)
            ok = np.isfinite(plain) & (sst > 0) & (lost <= scale)
        if ok.all():
            return plain, 0
        robust, top = _robust_sums("diff", t, centre, w, 1.0, names)
        return np.where(ok, plain, robust), np.where(ok, 0, top)

    def correction(ds: np.ndarray, dtop: np.ndarray | int, k: np.ndarray) -> np.ndarray:
        # (s 2**E)**2 / W, at the scale of sst (4**k); never above sst (Cauchy-Schwarz)
        ms, xs = np.frexp(ds)
        power = 2 * (xs.astype(np.int64) + np.asarray(dtop, dtype=np.int64)) - x + 2 * k
        power = np.clip(power, -1 << 20, 1 << 20)
        with np.errstate(under="ignore"):
            return np.ldexp(ms * ms / m, power)

    mean = _weighted_mean_row(t, w, total, w_max)
    sst, k = _squares(t, mean, w, names, w_max)
    ds, dtop = deviations(mean, sst, k)
    fix = correction(ds, dtop, k)
    if np.any(4.0 * fix > sst):  # the rounding of the mean costs digits: refine it
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            refined = mean + np.ldexp(ds / m, np.asarray(dtop) - x).reshape(mean.shape)
        refined = np.where(np.isfinite(refined), refined, mean)
        if not np.array_equal(refined, mean):
            mean = refined
            sst, k = _squares(t, mean, w, names, w_max)
            ds, dtop = deviations(mean, sst, k)
            fix = correction(ds, dtop, k)
    corrected = np.maximum(sst - np.where(sst == 0, 0.0, fix), 0.0)
    changed = corrected != sst
    if changed.any():  # renormalise what the subtraction shrank
        s2, k2 = _to_quarters(corrected, -2 * k)
        sst, k = np.where(changed, s2, sst), np.where(changed, k2, k)
    return mean, sst, k, (ds, dtop)


def _sse_sst(
    c: Checked, metric: str, *, constant_ok: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Per-output weighted sums of squared errors and of squared deviations of y_true.

    The deviations are taken from the weighted mean, as scikit-learn does, but by the
    corrected two-pass formula (:func:`_centred_squares`), so the rounding of the mean
    does not inflate SST. Whether
    an output is constant is decided exactly, from the weighted absolute
    deviations from its first positively weighted value, not from the sum of
    squares: a rounded mean leaves a tiny positive sum even for constant data.
    A constant output raises ``ValueError``, unless ``constant_ok``: its ``sst`` is
    then exactly 0. The sums come scaled, with the shift ``s`` such that
    :math:`\mathrm{SSE}/\mathrm{SST}` is ``(sse / sst) * 4**s``: the ratio keeps its
    digits however small or large the data are. The last item is the scale of ``sst``:
    the true SST is ``sst * 4**-k_sst``.
    """
    t, w, top_w = c.y_true, c.sample_weight, c.weight_max
    y0 = np.asarray(t[0 if w is None else _first_positive(w)], dtype=np.float64)
    names = ("y_true", None)
    spread, _ = _scaled_sums("abs", t, y0, w, names=names, w_max=top_w)
    sse, k_sse = _squares(t, c.y_pred, w, ("y_true", "y_pred"), top_w)
    _, sst, k_sst, _ = _centred_squares(t, w, _weight_split(c), top_w)
    hint = _CONSTANT_HINT[metric]
    if constant_ok:
        sst = np.where(spread == 0, 0.0, sst)
        varies = spread != 0  # only an output that varies can still fail: by underflow
        check_variance(spread[varies], sst[varies], y0, metric, weighted=w is not None, hint=hint)
    else:
        check_variance(spread, sst, y0, metric, weighted=w is not None, hint=hint)
    # SSE/SST = (sse / sst) * 4**(k_sst - k_sse): the shift is applied to the ratio.
    return sse, sst, k_sst - k_sse, k_sst


def _ratio(sse: np.ndarray, sst: np.ndarray, shift: np.ndarray, metric: str) -> np.ndarray:
    """``(sse / sst) * 4**shift``, refused if it overflows."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratio = np.ldexp(sse / sst, 2 * np.asarray(shift).astype(np.int64))
    check_finite_result(ratio, metric)
    return ratio


def _combine(values: np.ndarray, multioutput: str | np.ndarray, metric: str) -> float | np.ndarray:
    """Reduce per-output values as scikit-learn does."""
    if isinstance(multioutput, str) and multioutput == "raw_values":
        return values
    if values.shape == (1,) and isinstance(multioutput, str):  # one output: itself
        result = float(values[0])
        check_finite_result(result, metric)
        return result
    with np.errstate(over="ignore", invalid="ignore"):
        if isinstance(multioutput, str):  # uniform: np.mean, without its overhead
            result = float(np.add.reduce(values)) / values.size
            if not math.isfinite(result) and np.isfinite(values).all():
                # the sum overflowed, not the mean: average a quarter of each (exact
                # scaling; what a tiny value loses is negligible next to the sum)
                with np.errstate(under="ignore"):
                    quarter = float(np.add.reduce(np.ldexp(values, -2))) / values.size
                try:
                    result = math.ldexp(quarter, 2)
                except OverflowError:
                    result = math.inf
        else:
            result = float(_weighted_mean(values, multioutput))
    check_finite_result(result, metric)
    return result


# ----------------------------------------------------------------------------------------------
# Weighted means and shares of values already computed (classification, gradients).


def _weight_total(w: np.ndarray) -> tuple[float, int]:
    """``(m, x)`` with :math:`\\sum_i w_i = m\\, 2^x`, ``m`` in [1, 2), for checked weights."""
    with np.errstate(over="ignore"):  # an overflowing sum is taken again, scaled
        total, exp = float(np.sum(w)), 0
    if not math.isfinite(total):
        exp, total = 64, float(np.sum(np.ldexp(w, -64)))
    m, x = math.frexp(total)
    return 2.0 * m, x - 1 + exp


def _weighted_mean(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:math:`\\sum_i w_i v_i / \\sum_i w_i` over axis 0, right across the float64 range.

    Each product is formed from mantissas and exponents, so a tiny weight next to a huge
    one keeps its term and no product overflows. NaN/inf values give a non-finite result.
    """
    mv, xv = np.frexp(values)
    mw, xw = np.frexp(w)
    if values.ndim == 2:
        mw, xw = mw[:, None], xw[:, None]
    with np.errstate(invalid="ignore"):
        s, top = _exp_sum(mv * mw, xv.astype(np.int64) + xw)
    m, x = _weight_total(w)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return np.ldexp(s / m, top - x)


def _weighted_share(
    values: np.ndarray, w: np.ndarray, factor: float = 1.0, total: tuple[float, int] | None = None
) -> np.ndarray:
    """``values_i * factor * w_i / W`` element-wise (by rows of a 2-D ``values``).

    ``W`` is the sum of ``w``, or ``total = (m, x)`` with :math:`W = m 2^x`. The product
    is formed from mantissas and exponents: :math:`w_i / W` may underflow while the
    product with a huge value does not.
    """
    m, x = _weight_total(w) if total is None else total
    mv, xv = np.frexp(values)
    mw, xw = np.frexp(w)
    if values.ndim == 2:
        mw, xw = mw[:, None], xw[:, None]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return np.ldexp(mv * mw * (factor / m), xv.astype(np.int64) + xw - x)
