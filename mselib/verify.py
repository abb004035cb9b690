"""The checks that the chapters call, so that every check in the book reads the same.

Two kinds of claim are checked in the book:

* a symbolic identity, ``lhs == rhs`` for all values of the symbols, checked with
  :func:`assert_sym_equal`;
* a numeric agreement between two independent computations, checked with
  :func:`assert_close` and an explicit tolerance.

Both raise :class:`AssertionError` with both sides shown when the claim fails, so
a notebook cell that calls them fails loudly under ``pytest --nbval``.

SymPy is needed only by :func:`assert_sym_equal`, and is imported when that function
is first called: ``import mselib`` does not import it. Install it with the extra
``pip install "mselib[verify]"``.
"""

from __future__ import annotations

import decimal
import math
import numbers
from fractions import Fraction
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from mselib._validation import _KIND_NAMES, check_flag, check_scalar, refuse_masked

if TYPE_CHECKING:
    import sympy as sp

__all__ = ["assert_close", "assert_sym_equal"]

# What an object array may hold: Python ints beyond int64, alongside floats.
_EXACT_TYPES = (numbers.Integral, float, np.floating, Fraction)

_EXACT_INT = 2**53  # every integer up to this size is a float64
# Whether np.longdouble is wider than float64 (80-bit or 128-bit); then it is compared as is.
_EXTENDED = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


def _sympy() -> ModuleType:
    try:
        import sympy
    except ImportError as error:  # pragma: no cover - exercised in the package-only CI step
        raise ImportError(
            "assert_sym_equal needs SymPy, which is not installed; "
            'install it with: pip install "mselib[verify]" (or pip install sympy)'
        ) from error
    return sympy


def assert_sym_equal(lhs: sp.Basic, rhs: sp.Basic, *, label: str = "identity") -> None:
    """Assert that two SymPy expressions (or matrices) are identical.

    The difference ``lhs - rhs`` is simplified and must be exactly zero (for a
    matrix, every entry must be zero). Equality that holds only for some values of
    the symbols fails: declare assumptions on the symbols (``real=True``,
    ``positive=True``) where the identity needs them.

    Parameters
    ----------
    lhs, rhs : sympy expression or sympy Matrix
        The two sides of the claimed identity.
    label : str, optional
        A name for the claim, shown in the error message.

    Raises
    ------
    AssertionError
        If the simplified difference is not zero; the message shows both sides and
        the simplified difference.
    TypeError
        If only one side is a matrix, or the matrices differ in shape.

    Examples
    --------
    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", real=True)
    >>> assert_sym_equal((a - b)**2, a**2 - 2*a*b + b**2, label="square of a difference")
    >>> assert_sym_equal((a - b)**2, a**2 - b**2)
    Traceback (most recent call last):
    ...
    AssertionError: identity does not hold:
      lhs = (a - b)**2
      rhs = a**2 - b**2
      lhs - rhs simplifies to 2*b*(-a + b), not 0
    """
    sp = _sympy()
    lhs_is_matrix = isinstance(lhs, sp.MatrixBase)
    rhs_is_matrix = isinstance(rhs, sp.MatrixBase)
    if lhs_is_matrix != rhs_is_matrix:
        raise TypeError(
            f"{label}: cannot compare a matrix with a scalar expression "
            f"(lhs is {type(lhs).__name__}, rhs is {type(rhs).__name__})"
        )
    if lhs_is_matrix and lhs.shape != rhs.shape:
        raise TypeError(f"{label}: matrix shapes differ: lhs {lhs.shape}, rhs {rhs.shape}")
    difference = sp.simplify(lhs - rhs)
    is_zero = difference.is_zero_matrix if lhs_is_matrix else difference == 0
    if not is_zero:
        raise AssertionError(
            f"{label} does not hold:\n  lhs = {lhs}\n  rhs = {rhs}\n"
            f"  lhs - rhs simplifies to {difference}, not 0"
        )


def _as_compared_array(value: ArrayLike, name: str, label: str) -> np.ndarray:
    """``value`` as an ndarray of booleans, integers or floats, checked for `assert_close`.

    A Python int too large for int64/uint64 gives an object array of ints, kept as is so
    that it is compared exactly.
    """
    if isinstance(value, np.ma.MaskedArray):
        refuse_masked(
            value, name, prefix=f"{label}: ",
            remedy=f"Compare the unmasked values explicitly, e.g. keep = "
            f"~np.ma.getmaskarray({name}) and index both sides with keep.",
        )
        value = np.ma.getdata(value)
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(
            f"{label}: {name} could not be converted to a numeric array; expected a "
            f"rectangular array-like of real numbers, but it looks ragged (nested sequences "
            f"of different lengths) or mixes types. numpy said: {exc}"
        ) from None
    kind = arr.dtype.kind
    if kind == "f" and not isinstance(value, (np.ndarray, np.generic)):
        # A sequence mixing floats with integers beyond 2**53: keep those integers exact.
        try:
            objects = np.array(value, dtype=object)
        except (ValueError, TypeError):  # pragma: no cover - numpy converted it just above
            objects = None
        if objects is not None and objects.shape == arr.shape and _beyond_float64(objects):
            return objects
    if kind == "O" and all(isinstance(v, _EXACT_TYPES) for v in arr.flat):
        return arr  # integers beyond int64/uint64, maybe with floats: compared exactly
    if kind == "c":
        raise TypeError(
            f"{label}: {name} must be real numbers, got an array of dtype {arr.dtype} "
            "(complex values are not compared part by part; compare .real and .imag)"
        )
    if kind not in "biuf":
        what = _KIND_NAMES.get(kind, "a non-numeric type")
        if kind == "O":
            types = sorted({type(v).__name__ for v in arr.flat})
            what = f"Python objects of type {', '.join(types)}"
        raise TypeError(
            f"{label}: {name} must be real numbers (booleans, integers or floats), got an "
            f"array of dtype {arr.dtype} ({what})"
        )
    return arr


def _is_integer(arr: np.ndarray) -> bool:
    """Whether ``arr`` holds integers (an object array holds Python ints beyond int64)."""
    return arr.dtype.kind in "biuO"


def _beyond_float64(arr: np.ndarray) -> bool:
    """Whether some integer of ``arr`` is not exactly a float64 (|value| > 2**53)."""
    if arr.dtype.kind == "O":
        return any(isinstance(v, numbers.Integral) and abs(int(v)) > _EXACT_INT for v in arr.flat)
    if arr.dtype.kind in "iu" and arr.dtype.itemsize >= 8 and arr.size:
        return max(abs(int(arr.min())), abs(int(arr.max()))) > _EXACT_INT
    return False


def _exact(value: object) -> Fraction | int:
    """The exact value of a finite real number (int, numpy integer or float) as int/Fraction."""
    if isinstance(value, (numbers.Integral, np.integer, np.bool_)):
        return int(value)
    return Fraction(*value.as_integer_ratio())  # type: ignore[attr-defined]


def _finite(arr: np.ndarray) -> np.ndarray:
    """Where ``arr`` (of any kind `assert_close` accepts) is finite."""
    if arr.dtype.kind == "f":
        return np.isfinite(arr)
    if arr.dtype.kind == "O":
        flags = [not isinstance(v, (float, np.floating)) or bool(np.isfinite(v)) for v in arr.flat]
        return np.array(flags, dtype=bool).reshape(arr.shape)
    return np.ones(arr.shape, dtype=bool)


def _exact_array(arr: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """Object array of exact values (int or Fraction); 0 where ``arr`` is not finite."""
    flat_finite = finite.ravel()
    out = np.empty(arr.size, dtype=object)
    out[:] = [_exact(v) if ok else 0 for v, ok in zip(arr.flat, flat_finite, strict=True)]
    return out.reshape(arr.shape)


def _as_float(value: object) -> float:
    """``value`` rounded to a Python float; +-inf when it is beyond the float64 range."""
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return float(value)
    try:
        with np.errstate(over="ignore"):
            result = float(value)  # type: ignore[arg-type]
    except OverflowError:
        result = math.inf
    if math.isinf(result):
        return math.copysign(math.inf, value > 0 or -1)  # type: ignore[operator]
    return result


def _show(value: object, digits: int) -> str:
    """``value`` with ``digits`` significant digits, whatever its size or type."""
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return str(float(value))
    if isinstance(value, (np.floating, float)):
        value = _exact(value)
    exact = Fraction(value)  # type: ignore[arg-type]
    if exact == 0:
        return "0"
    with decimal.localcontext() as ctx:
        ctx.prec = max(digits, 2)
        dec = (decimal.Decimal(exact.numerator) / decimal.Decimal(exact.denominator)).normalize()
    return f"{dec:.{digits}g}"


def _full(value: object) -> str:
    """A value exactly as it was given: integers in full, floats to their last digit."""
    if isinstance(value, (numbers.Integral, np.integer, np.bool_)):
        return str(int(value))
    if isinstance(value, np.floating):
        return (
            np.format_float_positional(value, unique=True, trim="-")
            if (np.isfinite(value) and 1e-4 <= abs(value) < 1e16)
            else np.format_float_scientific(value, unique=True, trim="-")
        )
    return repr(value)


def assert_close(
    actual: ArrayLike,
    expected: ArrayLike,
    *,
    rtol: float,
    atol: float = 0.0,
    label: str = "values",
    equal_nan: bool = False,
) -> float:
    """Assert that two numeric results agree within a stated tolerance.

    The test is ``|actual - expected| <= atol + rtol * |expected|`` element-wise,
    as in :func:`numpy.testing.assert_allclose`. The shapes must be equal: nothing
    is broadcast, so a column and a row never agree by accident.

    Parameters
    ----------
    actual, expected : array_like
        The two results. Use two *independent* computations (say the lambdified
        SymPy formula and ``mselib``), never a value produced by the code under test.
    rtol : float
        Relative tolerance; keyword-only and required, so that every check states it.
    atol : float, optional
        Absolute tolerance, for values that are zero or close to it. Default 0.
    label : str, optional
        A name for the comparison, shown in the error message.
    equal_nan : bool, optional
        Whether a NaN in ``actual`` agrees with a NaN at the same place in
        ``expected``. Default False: a NaN anywhere fails, because a check that
        two computations both broke proves nothing. Infinities agree only with an
        infinity of the same sign, whatever the tolerance.

    Returns
    -------
    float
        The largest absolute difference found (0.0 for exact agreement), rounded to
        the nearest float64. A difference beyond the float64 range (possible only
        with a tolerance that large, e.g. ``1e308`` against ``-1e308`` with
        ``rtol=2.5``) is returned as ``inf``: the check itself is exact.

    Raises
    ------
    AssertionError
        If any element is outside the tolerance; the message gives the largest
        absolute and relative differences and where they occur.
    ValueError
        If the shapes differ, `actual` or `expected` is ragged or is a masked array
        with masked entries (the values under the mask are never compared), or a
        tolerance is negative or not finite.
    TypeError
        If a tolerance is not a real number, `equal_nan` is not a bool, `label` is
        not a str, or `actual` or `expected` is not real (booleans, integers and
        floats are; complex numbers, strings and other objects are not).

    Notes
    -----
    How the two sides are compared depends on their types:

    * Floats (float16 to float64, and integers up to ``2**53`` in size against
      them) are compared in float64, as :func:`numpy.testing.assert_allclose` does.
    * Integers are compared exactly, never through float64, which would drop the
      low bits above ``2**53``: when both sides are integers (NumPy integer or
      bool arrays, or Python ints of any size), or when one side holds an integer
      larger than ``2**53`` in magnitude (also inside a list mixing it with floats,
      which NumPy alone would round to float64), the test is made in exact rational
      arithmetic (:class:`fractions.Fraction`), with the tolerances and any float
      side taken at their exact binary values. An integer never agrees with a NaN
      or an infinity.
    * Extended precision (``np.longdouble`` where it is wider than float64) is
      compared in ``np.longdouble``, so its low bits count.
    * Where ``actual - expected`` or ``atol + rtol*|expected|`` overflows for
      finite values, that element is decided exactly in rational arithmetic
      instead, so an overflow never makes a failing comparison pass (nor a
      passing one fail), and no overflow warning is emitted.

    Examples
    --------
    >>> assert_close(0.1 + 0.2, 0.3, rtol=1e-15)
    5.551115123125783e-17
    >>> assert_close(float("nan"), float("nan"), rtol=0.1, label="nan")
    Traceback (most recent call last):
    ...
    AssertionError: nan: 1 of 1 values outside atol + rtol*|expected| (rtol=0.1, atol=0)
      largest absolute difference inf at index (): actual nan, expected nan
      largest relative difference inf
    >>> assert_close(float("nan"), float("nan"), rtol=0.1, equal_nan=True)
    0.0
    >>> assert_close([1.0, 2.0], [1.0, 2.1], rtol=1e-3, label="demo")
    Traceback (most recent call last):
    ...
    AssertionError: demo: 1 of 2 values outside atol + rtol*|expected| (rtol=0.001, atol=0)
      largest absolute difference 0.1 at index (1,): actual 2, expected 2.1
      largest relative difference 0.0476
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a str; got {type(label).__name__} {label!r}.")
    rtol = check_scalar(rtol, "rtol", low=0.0, meaning="a relative tolerance")
    atol = check_scalar(atol, "atol", low=0.0, meaning="an absolute tolerance")
    equal_nan = check_flag(equal_nan, "equal_nan")
    actual_arr = _as_compared_array(actual, "actual", label)
    expected_arr = _as_compared_array(expected, "expected", label)
    if actual_arr.shape != expected_arr.shape:
        raise ValueError(
            f"{label}: shapes differ: actual {actual_arr.shape}, expected {expected_arr.shape} "
            "(nothing is broadcast)"
        )
    if actual_arr.size == 0:
        return 0.0
    pair = (actual_arr, expected_arr)
    if all(map(_is_integer, pair)) or any(
        _is_integer(arr) and _beyond_float64(arr) for arr in pair
    ):
        return _close_exact(actual_arr, expected_arr, rtol, atol, label, equal_nan)
    extended = _EXTENDED and any(arr.dtype == np.longdouble for arr in pair)
    work = np.longdouble if extended else np.float64
    actual_arr, expected_arr = actual_arr.astype(work), expected_arr.astype(work)
    with np.errstate(invalid="ignore", over="ignore"):
        abs_diff = np.abs(actual_arr - expected_arr)
        tolerance = atol + rtol * np.abs(expected_arr)
    # Equal infinities agree (inf - inf would be NaN); NaNs agree only when asked.
    same_inf = np.isinf(actual_arr) & (actual_arr == expected_arr)
    both_nan = np.isnan(actual_arr) & np.isnan(expected_arr) if equal_nan else False
    abs_diff = np.where(same_inf | both_nan, 0.0, abs_diff)
    finite = np.isfinite(actual_arr) & np.isfinite(expected_arr)
    with np.errstate(invalid="ignore"):
        within = np.array(finite & (abs_diff <= tolerance))
    # Finite values whose difference or tolerance overflowed: decide those exactly.
    overflowed = finite & ~(np.isfinite(abs_diff) & np.isfinite(tolerance))
    exact_diffs = {}
    for i in np.flatnonzero(overflowed):
        a, e = _exact(actual_arr.flat[i]), _exact(expected_arr.flat[i])
        difference = exact_diffs[int(i)] = abs(a - e)
        within.flat[i] = difference <= Fraction(atol) + Fraction(rtol) * abs(e)
        abs_diff.flat[i] = _as_float(difference)
    bad = ~(within | same_inf | both_nan)
    if bad.any():
        # A NaN on one side only counts as an infinite difference in the report.
        report = np.where(np.isnan(abs_diff), np.inf, abs_diff)
        worst = np.unravel_index(int(np.argmax(report)), report.shape)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            rel = np.where(report == 0, 0.0, report / np.abs(expected_arr))
        for i, difference in exact_diffs.items():
            e = abs(_exact(expected_arr.flat[i]))
            rel.flat[i] = _as_float(difference / e) if e else np.inf
        flat_worst = int(np.ravel_multi_index(worst, report.shape)) if worst else 0
        largest_rel = np.max(np.where(np.isnan(rel), np.inf, rel))
        if extended or flat_worst in exact_diffs:
            shown = (
                f"{_show(exact_diffs.get(flat_worst, report[worst]), 3)} "
                f"at index {tuple(map(int, worst))}: "
                f"actual {_full(actual_arr[worst])}, expected {_full(expected_arr[worst])}\n"
                f"  largest relative difference {_show(largest_rel, 3)}"
            )
        else:
            shown = (
                f"{report[worst]:.3g} at index {tuple(map(int, worst))}: "
                f"actual {actual_arr[worst]:.6g}, expected {expected_arr[worst]:.6g}\n"
                f"  largest relative difference {largest_rel:.3g}"
            )
        raise AssertionError(
            f"{label}: {int(bad.sum())} of {bad.size} values outside "
            f"atol + rtol*|expected| (rtol={rtol:g}, atol={atol:g})\n"
            f"  largest absolute difference {shown}"
        )
    return _as_float(abs_diff.max())


def _close_exact(
    actual_arr: np.ndarray,
    expected_arr: np.ndarray,
    rtol: float,
    atol: float,
    label: str,
    equal_nan: bool,
) -> float:
    """`assert_close` in exact rational arithmetic; one side at least holds integers."""
    finite_actual, finite_expected = _finite(actual_arr), _finite(expected_arr)
    finite = finite_actual & finite_expected
    # Two non-finite floats agree as in the float path: equal infinities, NaNs if asked.
    agree = np.zeros(actual_arr.shape, dtype=bool)
    for i in np.flatnonzero(~finite_actual & ~finite_expected):
        a, e = float(actual_arr.flat[i]), float(expected_arr.flat[i])
        agree.flat[i] = (math.isinf(a) and a == e) or (equal_nan and a != a and e != e)
    actual_ex = _exact_array(actual_arr, finite).ravel()
    expected_ex = _exact_array(expected_arr, finite).ravel()
    flat_finite, flat_agree = finite.ravel(), agree.ravel()
    atol_ex, rtol_ex = Fraction(atol), Fraction(rtol)
    # An integer never agrees with a NaN or an infinity: such a pair counts as inf.
    diffs: list[Fraction | int | float] = [
        abs(a - e) if ok else (0 if same else math.inf)
        for a, e, ok, same in zip(actual_ex, expected_ex, flat_finite, flat_agree, strict=True)
    ]
    bad = [
        not same and (not ok or d > atol_ex + rtol_ex * abs(e))
        for d, e, ok, same in zip(diffs, expected_ex, flat_finite, flat_agree, strict=True)
    ]
    if any(bad):
        flat_worst = max(range(len(diffs)), key=diffs.__getitem__)
        worst = np.unravel_index(flat_worst, actual_arr.shape)
        rels = [
            (d / abs(e) if e != 0 and d != math.inf else (0 if d == 0 else math.inf))
            for d, e in zip(diffs, expected_ex, strict=True)
        ]
        raise AssertionError(
            f"{label}: {sum(bad)} of {len(bad)} values outside "
            f"atol + rtol*|expected| (rtol={rtol:g}, atol={atol:g})\n"
            f"  largest absolute difference {_show(diffs[flat_worst], 3)} "
            f"at index {tuple(map(int, worst))}: "
            f"actual {_full(actual_arr[worst])}, expected {_full(expected_arr[worst])}\n"
            f"  largest relative difference {_show(max(rels), 3)}"
        )
    return _as_float(max(diffs))
