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

from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from mselib._validation import check_flag, check_scalar

if TYPE_CHECKING:
    import sympy as sp

__all__ = ["assert_close", "assert_sym_equal"]


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
        The largest absolute difference found (0.0 for exact agreement).

    Raises
    ------
    AssertionError
        If any element is outside the tolerance; the message gives the largest
        absolute and relative differences and where they occur.
    ValueError
        If the shapes differ, or a tolerance is negative or not finite.
    TypeError
        If a tolerance is not a real number, `equal_nan` is not a bool, or `actual`
        or `expected` is not real.

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
    rtol = check_scalar(rtol, "rtol", low=0.0, meaning="a relative tolerance")
    atol = check_scalar(atol, "atol", low=0.0, meaning="an absolute tolerance")
    equal_nan = check_flag(equal_nan, "equal_nan")
    arrays = []
    for name, value in (("actual", actual), ("expected", expected)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"{label}: {name} must be real numbers, got an array of dtype {arr.dtype} "
                "(complex values are not compared part by part; compare .real and .imag)"
            )
        arrays.append(arr.astype(np.float64))
    actual_arr, expected_arr = arrays
    if actual_arr.shape != expected_arr.shape:
        raise ValueError(
            f"{label}: shapes differ: actual {actual_arr.shape}, expected {expected_arr.shape} "
            "(nothing is broadcast)"
        )
    if actual_arr.size == 0:
        return 0.0
    with np.errstate(invalid="ignore"):
        abs_diff = np.abs(actual_arr - expected_arr)
    # Equal infinities agree (inf - inf would be NaN); NaNs agree only when asked.
    same_inf = np.isinf(actual_arr) & (actual_arr == expected_arr)
    both_nan = np.isnan(actual_arr) & np.isnan(expected_arr) if equal_nan else False
    abs_diff = np.where(same_inf | both_nan, 0.0, abs_diff)
    finite = np.isfinite(actual_arr) & np.isfinite(expected_arr)
    with np.errstate(invalid="ignore"):
        within = finite & (abs_diff <= atol + rtol * np.abs(expected_arr))
    bad = ~(within | same_inf | both_nan)
    if bad.any():
        # A NaN on one side only counts as an infinite difference in the report.
        report = np.where(np.isnan(abs_diff), np.inf, abs_diff)
        worst = np.unravel_index(int(np.argmax(report)), report.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(report == 0, 0.0, report / np.abs(expected_arr))
        raise AssertionError(
            f"{label}: {int(bad.sum())} of {bad.size} values outside "
            f"atol + rtol*|expected| (rtol={rtol:g}, atol={atol:g})\n"
            f"  largest absolute difference {report[worst]:.3g} "
            f"at index {tuple(map(int, worst))}: "
            f"actual {actual_arr[worst]:.6g}, expected {expected_arr[worst]:.6g}\n"
            f"  largest relative difference {np.max(np.where(np.isnan(rel), np.inf, rel)):.3g}"
        )
    return float(abs_diff.max())
