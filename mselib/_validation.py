"""Generic input checks: arrays, shapes, dtypes, finiteness, weights and scalars.

This is the one place that decides what a valid input is; it imports no other
module of mselib. The checks of the metric family's own arguments (``multioutput``
and the like) live with the engine, in :mod:`mselib._accumulate`. Every error is a
``ValueError`` (bad value or shape) or a ``TypeError`` (bad type) whose message
names the argument, says what was received and what was expected.

Finiteness of ``y_true`` and ``y_pred`` is not scanned up front: callers that
accumulate sums of terms, which are finite exactly when every term is, call
:func:`raise_nonfinite` only when a sum is not finite. That keeps the common
path at one pass over memory.
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


class Weights(NamedTuple):
    """Checked weights: float64 values exactly as given, never rescaled.

    Their sum is ``total * 2**exp``: ``exp`` is 0 unless the plain float64 sum
    overflows. ``largest`` is the largest weight.
    """

    values: np.ndarray
    total: float
    exp: int
    largest: float


def refuse_masked(value: Any, name: str, *, prefix: str = "", remedy: str = "") -> None:
    """Raise ``ValueError`` if ``value`` is a masked array with masked entries.

    Converting it would silently use the values under the mask. ``prefix`` starts the
    message (a label); ``remedy`` replaces the default advice.
    """
    if isinstance(value, np.ma.MaskedArray) and np.ma.is_masked(value):
        count = int(np.ma.count_masked(value))
        remedy = remedy or (
            f"Expected a plain array: remove the masked samples from every argument (e.g. "
            f"keep = ~np.ma.getmaskarray({name}), then index each array with keep), or give "
            f"them sample_weight 0."
        )
        raise ValueError(
            f"{prefix}{name} is a masked array with {count} masked "
            f"entr{'ies' if count != 1 else 'y'}; mselib does not drop or fill them "
            f"silently. {remedy}"
        )


def _as_real_array(value: Any, name: str) -> np.ndarray:
    """Convert ``value`` to an ndarray of a real (integer or float) dtype, without copying.

    A masked array with masked entries is refused: converting it would silently use the
    values under the mask.
    """
    refuse_masked(value, name)
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
        got = _describe_ndim(arr)
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


def _describe_ndim(arr: np.ndarray) -> str:
    """How an array of the wrong dimension is described in error messages."""
    if arr.ndim == 0:
        return f"a 0-D scalar ({arr.item()!r})"
    return f"{arr.ndim}-D input with shape {arr.shape}"


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


def _check_weights(value: Any, name: str, length: int, length_name: str) -> Weights:
    """1-D, length ``length``, finite, non-negative, with a positive sum.

    The weights are returned as float64 (float16 and float32 convert exactly) and are
    never rescaled: a uniform power-of-two scale would turn a weight that is tiny next to
    a huge one into 0 or a subnormal. Kernels scale each product instead.
    """
    w = _as_real_array(value, name)
    if w.ndim != 1 or w.shape[0] != length:
        raise ValueError(
            f"{name} must be 1-D with one weight per {length_name}, shape ({length},); "
            f"got shape {w.shape}."
        )
    low, high = float(w.min()), float(w.max())  # NaN, if any, shows in both
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
    w = w.astype(np.float64, copy=False)
    with np.errstate(over="ignore"):  # an overflowing sum is diagnosed and redone below
        total, exp = float(np.sum(w)), 0
    if not math.isfinite(total):  # huge weights: the sum is kept as total * 2**64
        exp = 64
        total = float(np.sum(np.ldexp(w, -exp)))
    return Weights(w, total, exp, high)


def raise_nonfinite(
    quantity: str, *, subject: str | None = None, **arrays: np.ndarray | None
) -> NoReturn:
    """Explain why a sum of ``quantity`` terms is not finite, and raise ``ValueError``.

    Called only after an accumulated sum came out NaN or inf: either an
    input holds NaN/inf (reported with its first index), or every input is
    finite and the sum overflowed float64.
    """
    for name, arr in arrays.items():
        where = None if arr is None else _locate_nonfinite(arr)
        if where is not None:
            raise ValueError(f"{name} contains {where}; expected finite values only.")
    given = [name for name, arr in arrays.items() if arr is not None]
    largest = max(float(np.max(np.abs(arr))) for arr in arrays.values() if arr is not None)
    what = subject or f"the sum of {quantity}"
    raise ValueError(
        f"{what} overflows float64: {', '.join(given)} "
        f"{'is' if len(given) == 1 else 'are'} finite but too "
        f"large (largest |value| {largest:.3g}); expected inputs for which "
        f"{'this sum' if subject is None else 'it'} stays "
        f"below {np.finfo(np.float64).max:.3g}. Rescale them (divide by a common factor)."
    )


# ----------------------------------------------------------------------------------
# Options: scalars, flags, choices, generators, and functions supplied by the user.


def check_generator(value: Any, name: str) -> np.random.Generator:
    """A :class:`numpy.random.Generator`; a seed or a legacy ``RandomState`` is refused."""
    if isinstance(value, np.random.Generator):
        return value
    hint = ""
    if isinstance(value, (numbers.Integral, np.random.SeedSequence)) or value is None:
        hint = f" Pass np.random.default_rng({value!r}) instead of the seed itself."
    elif isinstance(value, np.random.RandomState):
        hint = " Legacy RandomState is not supported; use np.random.default_rng(seed)."
    raise TypeError(
        f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(seed)); "
        f"got {type(value).__name__} {value!r}.{hint}"
    )


def _to_float(value: numbers.Real, name: str, expected: str) -> float:
    """``float(value)``, with a clear ``ValueError`` for an integer beyond float64's range."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError(
            f"{name} must be {expected}; got an integer too large for float64 "
            f"({len(str(abs(int(value))))} digits, above the largest float64, about 1.8e308)."
        ) from None


_CLOSED = ("both", "left", "right", "neither")


def _bound_text(low: float | None, high: float | None, closed: str) -> str:
    """``'> 0'``, ``'>= 2'``, ``'in [0, 1]'``, ``'in (0, 1]'``: the range in words."""
    left_in = closed in ("both", "left")
    right_in = closed in ("both", "right")
    if low is not None and high is not None:
        return f"in {'[' if left_in else '('}{low:g}, {high:g}{']' if right_in else ')'}"
    if low is not None:
        return f"{'>=' if left_in else '>'} {low:g}"
    if high is not None:
        return f"{'<=' if right_in else '<'} {high:g}"
    return ""


def check_scalar(
    value: Any,
    name: str,
    *,
    kind: str = "real",
    low: float | None = None,
    high: float | None = None,
    closed: str = "both",
    meaning: str = "",
) -> Any:
    """Return ``value`` as a Python ``float`` (``kind="real"``) or ``int`` (``kind="int"``).

    A real must be finite; both kinds must lie in the range given by ``low``,
    ``high`` (either may be None) and ``closed`` (which ends belong to it:
    ``"both"``, ``"left"``, ``"right"`` or ``"neither"``). A bool is neither a real
    nor an integer here, and an integer too large for float64 is a ``ValueError``.
    ``meaning`` (``"a quantile level"``) is added to the error messages.

    Raises ``TypeError`` for a value of the wrong type and ``ValueError`` for one
    out of range, each naming ``name``, what it got and what was expected.
    """
    if kind not in ("real", "int") or closed not in _CLOSED:
        raise ValueError(f"check_scalar: unknown kind {kind!r} or closed {closed!r}")
    bound = _bound_text(low, high, closed)
    about = f" ({meaning})" if meaning else ""
    if kind == "int":
        expected = f"an integer {bound}".rstrip()
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            got = f"{type(value).__name__} {value!r}"
            raise TypeError(f"{name} must be {expected}{about}; got {got}.")
        result: Any = int(value)
        ok = True
    else:
        expected = f"a finite number {bound}".rstrip()
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{name} must be a real number {bound}{about}; "
                f"got {type(value).__name__} {value!r}."
            )
        result = _to_float(value, name, expected)
        ok = math.isfinite(result)
    if ok and low is not None:
        ok = result >= low if closed in ("both", "left") else result > low
    if ok and high is not None:
        ok = result <= high if closed in ("both", "right") else result < high
    if not ok:
        raise ValueError(f"{name} must be {expected}{about}; got {value!r}.")
    return result


def check_flag(value: Any, name: str) -> bool:
    """``True`` or ``False`` (a Python or NumPy bool); anything else is a ``TypeError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}.")
    return bool(value)


def check_user_function(value: Any, name: str, expected: str) -> None:
    """Refuse a non-callable ``value``; ``expected`` describes the call signature."""
    if not callable(value):
        raise TypeError(
            f"{name} must be callable, {expected}; got {type(value).__name__} {value!r}."
        )


def check_returned(value: Any, name: str, shape: tuple[int, ...], meaning: str) -> np.ndarray:
    """The array a user-supplied function returned: real, exactly ``shape``, finite.

    ``meaning`` explains the expected shape (which axis is what). Nothing is
    broadcast: a result of another shape is an error, never silently stretched.
    """
    arr = _as_real_array(value, f"the array returned by {name}")
    if arr.shape != shape:
        raise ValueError(
            f"{name} returned an array of shape {arr.shape}; expected shape {shape} "
            f"({meaning}). Nothing is broadcast."
        )
    where = _locate_nonfinite(arr)
    if where is not None:
        raise ValueError(
            f"{name} returned {where}; expected finite values only (a fit that "
            f"diverged or divided by zero?)."
        )
    return arr.astype(np.float64, copy=False)


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """One of the strings in ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}."
        )
    return value


# ----------------------------------------------------------------------------------------------
# Arrays: vectors, design matrices, and results that must be finite.


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` naming the first NaN/inf of ``arr``, if it holds any.

    One pass and no temporary the size of ``arr`` in the common case: a sum of
    finite values is finite unless it overflows, and only then, or when the sum
    is NaN/inf, is ``arr`` scanned element by element.
    """
    if arr.dtype.kind != "f":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.add.reduce(arr, axis=None))
    if math.isfinite(total):
        return
    where = _locate_nonfinite(arr)
    if where is not None:
        raise ValueError(f"{name} contains {where}; expected finite values only.")


def check_vector(value: Any, name: str, length: int | None = None, what: str = "") -> np.ndarray:
    """A non-empty, finite, 1-D real array, returned as float64 (no copy if it is already).

    With ``length``, the array must have exactly that many entries; ``what`` says
    what they are counted against (``"one per column of X"``). Nothing is broadcast:
    a column ``(n, 1)`` or a row ``(1, n)`` is rejected with a hint to ravel it.
    """
    arr = _as_real_array(value, name)
    expected = f"({length},)" if length is not None else "(n,)"
    if arr.ndim != 1:
        got = _describe_ndim(arr)
        hint = " Wrap a single value in a list: [x]." if arr.ndim == 0 else ""
        if arr.ndim == 2 and 1 in arr.shape:
            hint = f" A column or row is not a vector here (nothing is broadcast): ravel {name}."
        raise ValueError(f"{name} must be 1-D with shape {expected}{what}; got {got}.{hint}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); expected at least one entry.")
    if length is not None and arr.shape[0] != length:
        raise ValueError(
            f"{name} must have shape {expected}{what}; got shape {arr.shape}."
        )
    arr = arr.astype(np.float64, copy=False)
    check_finite(arr, name)
    return arr


def check_design(value: Any, name: str = "X") -> np.ndarray:
    """A non-empty, finite, 2-D real matrix ``(n_samples, n_features)``, returned as float64."""
    arr = _as_real_array(value, name)
    if arr.ndim != 2:
        got = _describe_ndim(arr)
        hint = " For one feature, pass a column: X.reshape(-1, 1)." if arr.ndim == 1 else ""
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features); got {got}.{hint}"
        )
    if arr.size == 0:
        raise ValueError(
            f"{name} is empty (shape {arr.shape}); expected at least one sample and one feature."
        )
    arr = arr.astype(np.float64, copy=False)
    check_finite(arr, name)
    return arr


def check_scalar_result(value: Any, name: str) -> float:
    """The value of an objective: a finite real scalar (Python or NumPy number, or 0-D array)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must return a real number; got a bool ({value!r}).")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        arr = np.asarray(None, dtype=object)
    if arr.dtype.kind not in _REAL_KINDS:
        raise TypeError(
            f"{name} must return a real number; got {type(value).__name__} {value!r}."
        )
    if arr.ndim != 0:
        raise ValueError(
            f"{name} must return a scalar; got an array of shape {arr.shape}. "
            f"For a vector-valued function, take the gradient of each output separately."
        )
    result = float(arr)
    if not math.isfinite(result):
        raise ValueError(f"{name} must return a finite number; got {result!r}.")
    return result


def check_finite_output(values: np.ndarray, quantity: str, **arrays: np.ndarray | None) -> None:
    """Raise ``ValueError`` if an element-wise result computed from ``arrays`` is not finite.

    The inputs are assumed already checked for NaN/inf (or are reported here with
    their first index); a non-finite result from finite inputs means that
    ``quantity`` overflowed float64.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.add.reduce(values, axis=None))
    if math.isfinite(total) or _locate_nonfinite(values) is None:
        return
    raise_nonfinite(quantity, subject=quantity, **arrays)


# ----------------------------------------------------------------------------------------------
# Arrays of any shape, and sample weights.


def check_real_array(value: Any, name: str) -> np.ndarray:
    """A finite real array of any shape (a scalar is 0-D), returned as float64."""
    arr = _as_real_array(value, name).astype(np.float64, copy=False)
    if arr.ndim == 0 and not math.isfinite(float(arr)):
        raise ValueError(f"{name} is {float(arr)!r}; expected a finite number.")
    check_finite(arr, name)
    return arr


def check_sample_weight(value: Any, n: int) -> Weights | None:
    """Optional weights for ``n`` samples: None, or the checked :class:`Weights`.

    The rules: 1-D of length ``n``, finite, non-negative, with
    a positive sum. The weights are not rescaled (see :func:`_check_weights`).
    """
    if value is None:
        return None
    return _check_weights(value, "sample_weight", n, f"sample (n = {n})")


# ----------------------------------------------------------------------------------------------
# Results: a value computed from finite inputs that must itself be finite.


def check_finite_value(value: float, quantity: str, hint: str) -> float:
    """Return ``value`` if it is finite; otherwise raise ``ValueError`` naming ``quantity``.

    For a result computed from inputs already checked to be finite: it can only be
    non-finite by overflowing float64, and ``hint`` says which input to change.
    """
    if not math.isfinite(value):
        raise ValueError(
            f"{quantity} overflows float64 (got {value!r}) although every input is finite; "
            f"{hint}"
        )
    return value
