"""Input checks shared by every metric in :mod:`mselib.metrics`.

This is the one place that decides what a valid input is. Every error is a
``ValueError`` (bad value or shape) or a ``TypeError`` (bad type) whose message
names the argument, says what was received and what was expected.

Finiteness of ``y_true`` and ``y_pred`` is not scanned up front: the metrics
accumulate sums of non-negative terms, which are finite exactly when every
term is, and call :func:`raise_nonfinite` only when a sum is not finite. That
keeps the common path at one pass over memory.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple, NoReturn

import numpy as np

_REAL_KINDS = "iuf"  # signed and unsigned integers, floating point
_KIND_NAMES = {
    "b": "booleans",
    "c": "complex numbers",
    "O": "Python objects",
    "U": "strings",
    "S": "bytes",
    "M": "datetimes",
    "m": "timedeltas",
    "V": "structured/void records",
}
UNIFORM_STRINGS = ("raw_values", "uniform_average")
R2_STRINGS = ("raw_values", "uniform_average", "variance_weighted")


class Checked(NamedTuple):
    """Validated arguments of a metric call.

    ``y_true`` and ``y_pred`` have the same shape: ``(n,)`` for one output
    (a column ``(n, 1)`` is flattened to this) or ``(n, k)`` with ``k >= 2``.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    sample_weight: np.ndarray | None
    weight_sum: float  # n when unweighted
    multioutput: str | np.ndarray  # a valid string or float64 weights of shape (k,)
    n_outputs: int


def _as_real_array(value: Any, name: str) -> np.ndarray:
    """Convert ``value`` to an ndarray of a real (integer or float) dtype, without copying."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name} could not be converted to a numeric array; expected a rectangular "
            f"array-like of real numbers, but it looks ragged (nested sequences of "
            f"different lengths) or mixes types. numpy said: {exc}"
        ) from None
    kind = arr.dtype.kind
    if kind not in _REAL_KINDS:
        what = _KIND_NAMES.get(kind, "a non-numeric type")
        raise TypeError(
            f"{name} must hold real numbers (an integer or floating dtype); got dtype "
            f"{arr.dtype} ({what}). Convert explicitly, e.g. np.asarray({name}, dtype=float)."
        )
    return arr


def _check_target(value: Any, name: str) -> np.ndarray:
    arr = _as_real_array(value, name)
    if arr.ndim not in (1, 2):
        got = (
            f"a 0-D scalar ({arr.item()!r})"
            if arr.ndim == 0
            else f"{arr.ndim}-D input with shape {arr.shape}"
        )
        raise ValueError(
            f"{name} must be 1-D (n_samples,) or 2-D (n_samples, n_outputs); got {got}."
        )
    if arr.size == 0:
        raise ValueError(
            f"{name} is empty (shape {arr.shape}); expected at least one sample and one output."
        )
    return arr


def _describe(shape: tuple[int, ...]) -> str:
    n, k = shape[0], (shape[1] if len(shape) == 2 else 1)
    return f"{n} sample{'s' * (n != 1)} x {k} output{'s' * (k != 1)}"


def check_targets(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return ``y_true`` and ``y_pred`` as real arrays of one common shape.

    The shapes must agree exactly; the only identification made is that a
    column ``(n, 1)`` and a vector ``(n,)`` are the same single output, as in
    scikit-learn. Nothing is ever broadcast.
    """
    t = _check_target(y_true, "y_true")
    p = _check_target(y_pred, "y_pred")
    ts = t.shape if not (t.ndim == 2 and t.shape[1] == 1) else t.shape[:1]
    ps = p.shape if not (p.ndim == 2 and p.shape[1] == 1) else p.shape[:1]
    if ts != ps:
        kt, kp = (t.shape[1] if t.ndim == 2 else 1), (p.shape[1] if p.ndim == 2 else 1)
        if t.shape[0] != p.shape[0]:
            hint = f" They have different numbers of samples ({t.shape[0]} vs {p.shape[0]})."
        else:
            hint = f" They have different numbers of outputs ({kt} vs {kp})."
        if any(x.ndim == 2 and x.shape[0] == 1 < x.shape[1] for x in (t, p)):
            hint += " A row (1, n) is one sample with n outputs, not a vector: ravel it."
        raise ValueError(
            f"y_true and y_pred must have the same shape (a column (n, 1) may pair with a "
            f"vector (n,); nothing is broadcast); got y_true with shape {t.shape} "
            f"({_describe(t.shape)}) and y_pred with shape {p.shape} ({_describe(p.shape)})."
            + hint
        )
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    return t, p


def _locate_nonfinite(arr: np.ndarray) -> str | None:
    """Describe the first NaN/inf in ``arr``, or return None when it has none."""
    if arr.dtype.kind != "f":
        return None
    bad = ~np.isfinite(arr)
    if not bad.any():
        return None
    flat = int(np.argmax(bad))
    index: Any = np.unravel_index(flat, arr.shape)
    index = tuple(int(i) for i in index) if arr.ndim > 1 else int(index[0])
    count = int(np.count_nonzero(bad))
    value = arr.flat[flat]
    label = "NaN" if np.isnan(value) else ("+inf" if value > 0 else "-inf")
    return f"{label} at index {index} ({count} non-finite value{'s' * (count != 1)})"


def _check_weights(
    value: Any, name: str, length: int, length_name: str
) -> tuple[np.ndarray, float]:
    """1-D, length ``length``, finite, non-negative, positive sum; returns (weights, sum)."""
    w = _as_real_array(value, name)
    if w.ndim != 1 or w.shape[0] != length:
        raise ValueError(
            f"{name} must be 1-D with one weight per {length_name}, shape ({length},); "
            f"got shape {w.shape}."
        )
    low, high = w.min(), w.max()  # NaN, if any, shows in both
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name} contains {_locate_nonfinite(w)}; expected finite weights.")
    if low < 0:
        i = int(np.argmax(w < 0))
        raise ValueError(f"{name} must be non-negative; got {w[i]} at index {i}.")
    if high == 0:
        raise ValueError(
            f"{name} sums to zero (all {length} weights are 0); expected at least one "
            f"positive weight."
        )
    if not 2.0**-64 <= high <= 2.0**64:
        # Only ratios of weights matter. Scaling by a power of two is exact and keeps
        # weighted sums clear of float64 overflow and of underflow into subnormals.
        w = np.ldexp(w.astype(np.float64), -math.frexp(float(high))[1])
    return w, float(np.sum(w, dtype=np.float64))


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
    weights, _ = _check_weights(multioutput, "multioutput", n_outputs, f"output (k = {n_outputs})")
    return weights.astype(np.float64)


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
    if sample_weight is None:
        w, total = None, float(n)
    else:
        w, total = _check_weights(sample_weight, "sample_weight", n, f"sample (n = {n})")
    return Checked(t, p, w, total, check_multioutput(multioutput, k, allowed), k)


def check_delta(delta: Any) -> float:
    """The Huber threshold: a finite, positive real number."""
    if isinstance(delta, (bool, np.bool_)) or not isinstance(delta, numbers.Real):
        raise TypeError(
            f"delta must be a real number (a finite positive float); "
            f"got {type(delta).__name__} {delta!r}."
        )
    value = float(delta)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"delta must be a finite positive number; got {delta!r}.")
    return value


def raise_nonfinite(quantity: str, **arrays: np.ndarray | None) -> NoReturn:
    """Explain why a sum of ``quantity`` terms is not finite, and raise ``ValueError``.

    Called only after a metric's accumulated sum came out NaN or inf: either an
    input holds NaN/inf (reported with its first index), or every input is
    finite and the sum overflowed float64.
    """
    for name, arr in arrays.items():
        where = None if arr is None else _locate_nonfinite(arr)
        if where is not None:
            raise ValueError(f"{name} contains {where}; expected finite values only.")
    given = [name for name, arr in arrays.items() if arr is not None]
    largest = max(float(np.max(np.abs(arr))) for arr in arrays.values() if arr is not None)
    raise ValueError(
        f"the sum of {quantity} overflows float64: {', '.join(given)} "
        f"{'is' if len(given) == 1 else 'are'} finite but too "
        f"large (largest |value| {largest:.3g}); expected inputs for which this sum stays "
        f"below {np.finfo(np.float64).max:.3g}. Rescale them (divide by a common factor)."
    )


def check_variance(
    spread: np.ndarray, total_squares: np.ndarray, first_values: np.ndarray, metric: str,
    weighted: bool,
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
        f"expected y_true with at least two distinct values in each output. "
        f"(scikit-learn's r2_score returns 1.0 or 0.0 here by convention; mselib raises.)"
    )


def check_finite_result(values: np.ndarray | float, metric: str) -> None:
    """Raise ``ValueError`` if a metric overflowed float64 although every sum was finite.

    This happens only at the edge of the float64 range: averaging per-output values
    near 1.8e308, or nmse/r2 when Var(y_true) is tiny next to the squared errors.
    """
    if not np.isfinite(values).all():
        raise ValueError(
            f"{metric} overflows float64: y_true and y_pred are finite, but the value "
            f"exceeds {np.finfo(np.float64).max:.3g} (for nmse and r2: the squared errors "
            f"dwarf the variance of y_true); expected inputs rescaled to a moderate range."
        )
