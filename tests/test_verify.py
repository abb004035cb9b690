"""The checks the chapters rely on must be able to fail: test both outcomes."""

import math

import numpy as np
import pytest
import sympy as sp

from mselib.verify import assert_close, assert_sym_equal

a, b = sp.symbols("a b", real=True)
x = sp.Symbol("x")


def test_sym_equal_accepts_identity():
    assert_sym_equal((a + b) ** 2, a**2 + 2 * a * b + b**2)


def test_sym_equal_rejects_non_identity_and_shows_both_sides():
    with pytest.raises(AssertionError, match=r"lhs = \(a \+ b\)\*\*2") as info:
        assert_sym_equal((a + b) ** 2, a**2 + b**2, label="bad")
    assert "rhs = a**2 + b**2" in str(info.value)
    assert "2*a*b" in str(info.value)


def test_sym_equal_needs_assumptions_to_hold():
    # sqrt(x^2) = x only for x >= 0: without assumptions the check must fail.
    with pytest.raises(AssertionError):
        assert_sym_equal(sp.sqrt(x**2), x)
    positive = sp.Symbol("p", positive=True)
    assert_sym_equal(sp.sqrt(positive**2), positive)


def test_sym_equal_matrices():
    m = sp.Matrix([[a, b], [b, a]])
    assert_sym_equal(m * m, sp.Matrix([[a**2 + b**2, 2 * a * b], [2 * a * b, a**2 + b**2]]))
    with pytest.raises(AssertionError):
        assert_sym_equal(m * m, m)
    with pytest.raises(TypeError, match="shapes differ"):
        assert_sym_equal(m, sp.Matrix([a, b]))
    with pytest.raises(TypeError, match="matrix with a scalar"):
        assert_sym_equal(m, a)


def test_close_returns_largest_difference():
    assert assert_close([1.0, 2.0], [1.0, 2.0], rtol=0.0) == 0.0
    diff = assert_close([1.0, 2.0 + 1e-12], [1.0, 2.0], rtol=1e-11)
    assert math.isclose(diff, 1e-12, rel_tol=1e-3)


def test_close_fails_outside_tolerance_and_reports():
    with pytest.raises(AssertionError, match=r"(?s)1 of 3 values outside.*index \(2,\)"):
        assert_close([1.0, 2.0, 3.1], [1.0, 2.0, 3.0], rtol=1e-3)


def test_close_uses_atol_near_zero():
    assert_close(1e-17, 0.0, rtol=1e-12, atol=1e-15)
    with pytest.raises(AssertionError):
        assert_close(1e-17, 0.0, rtol=1e-12)


def test_close_never_broadcasts():
    with pytest.raises(ValueError, match="shapes differ"):
        assert_close(np.ones((3, 1)), np.ones(3), rtol=1e-12)


def test_close_nan_fails_unless_asked():
    # Two computations that both broke agree on nothing: NaN fails by default.
    with pytest.raises(AssertionError):
        assert_close([np.nan, 1.0], [np.nan, 1.0], rtol=0.1)
    assert_close([np.nan, 1.0], [np.nan, 1.0], rtol=0.0, equal_nan=True)
    for a, b in [([np.nan], [1.0]), ([1.0], [np.nan])]:
        with pytest.raises(AssertionError):
            assert_close(a, b, rtol=1e-3, equal_nan=True)


@pytest.mark.parametrize(
    ("actual", "expected", "agree"),
    [
        (np.inf, np.inf, True),
        (-np.inf, -np.inf, True),
        (np.inf, -np.inf, False),
        (0.0, np.inf, False),  # |0 - inf| <= rtol*inf would let this through
        (np.inf, 0.0, False),
        (1e308, np.inf, False),
    ],
)
def test_close_infinities(actual, expected, agree):
    if agree:
        assert assert_close(actual, expected, rtol=0.5) == 0.0
    else:
        with pytest.raises(AssertionError):
            assert_close(actual, expected, rtol=0.5)


@pytest.mark.parametrize("bad", ["a", None, True, 1j])
def test_close_rejects_non_number_tolerance(bad):
    match = rf"^rtol must be a real number >= 0 \(a relative tolerance\); got {type(bad).__name__} "
    with pytest.raises(TypeError, match=match):
        assert_close(1.0, 1.0, rtol=bad)


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_close_rejects_non_bool_equal_nan(bad):
    match = rf"^equal_nan must be True or False; got {type(bad).__name__}"
    with pytest.raises(TypeError, match=match):
        assert_close(1.0, 1.0, rtol=0.1, equal_nan=bad)


def test_close_refuses_complex():
    with pytest.raises(TypeError, match="actual must be real numbers"):
        assert_close(1 + 1j, 1.0, rtol=0.1)


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_close_rejects_bad_tolerance(bad):
    with pytest.raises(ValueError, match=rf"^rtol must be a finite number >= 0 .*; got {bad!r}\.$"):
        assert_close(1.0, 1.0, rtol=bad)
    with pytest.raises(ValueError, match=rf"^atol must be a finite number >= 0 .*; got {bad!r}\.$"):
        assert_close(1.0, 1.0, rtol=0.1, atol=bad)


# --- integers and extended precision are compared without rounding to float64 ---


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (2**53 + 1, 2**53),
        (np.array([2**62 + 1]), np.array([2**62])),
        (np.array([2**63 + 1], dtype=np.uint64), np.array([2**63], dtype=np.uint64)),
        (2**70 + 1, 2**70),  # beyond int64: an object array of Python ints
        (2**53 + 1, float(2**53)),  # a large integer against a float
        (-(2**63) - 1, -(2**63)),
    ],
)
def test_close_compares_integers_exactly(actual, expected):
    with pytest.raises(AssertionError, match=r"largest absolute difference 1 at index"):
        assert_close(actual, expected, rtol=0)
    assert assert_close(actual, expected, rtol=0, atol=1) == 1.0
    assert assert_close(expected, expected, rtol=0) == 0.0


def test_close_integer_tolerance_is_exact():
    # |diff| = 2**11 and rtol*|expected| = 2**-52 * 2**63 = 2**11 exactly: on the boundary.
    big = np.array([2**63 - 1], dtype=np.uint64) + np.uint64(1)
    assert assert_close(big + np.uint64(2**11), big, rtol=2.0**-52) == 2.0**11
    with pytest.raises(AssertionError):
        assert_close(big + np.uint64(2**11 + 1), big, rtol=2.0**-52)


def test_close_integer_against_nan_or_inf_fails():
    for other in (np.nan, np.inf):
        with pytest.raises(AssertionError, match="difference inf"):
            assert_close(np.array([2**60, 1]), np.array([1.0, other]), rtol=1.0, equal_nan=True)


def test_close_small_integers_against_floats_unchanged():
    assert assert_close([1, 2, 3], [1.0, 2.0, 3.0], rtol=0) == 0.0
    assert assert_close(np.arange(4), np.arange(4), rtol=0) == 0.0
    assert assert_close(True, 1, rtol=0) == 0.0


@pytest.mark.skipif(
    np.finfo(np.longdouble).nmant <= np.finfo(np.float64).nmant,
    reason="np.longdouble is float64 on this platform",
)
def test_close_compares_longdouble_in_longdouble():
    eps = np.finfo(np.longdouble).eps
    one_plus = np.longdouble(1) + eps
    with pytest.raises(AssertionError, match=r"actual 1\.0+1, expected 1"):
        assert_close(one_plus, 1.0, rtol=0)
    with pytest.raises(AssertionError):
        assert_close(np.array([1.0], dtype=np.longdouble), np.array([one_plus]), rtol=0)
    assert assert_close(one_plus, 1.0, rtol=2 * float(eps)) == float(eps)
    assert assert_close(one_plus, one_plus, rtol=0) == 0.0


# --- overflow never lets a comparison pass, and never warns ---


def test_close_overflowing_difference_is_decided_exactly():
    with pytest.raises(AssertionError, match=r"difference 2e\+308 .*\n.*relative difference 2$"):
        assert_close(1e308, -1e308, rtol=1.8)
    # |diff| = 2e308 <= 2.5 * 1e308: it passes, and the difference beyond float64 is inf.
    assert assert_close(1e308, -1e308, rtol=2.5) == math.inf
    assert assert_close(1e308, -1e308, rtol=1.8, atol=1e308) == math.inf
    with pytest.raises(AssertionError, match="1 of 2 values"):
        assert_close([1.0, -1.7e308], [1.0, 1.7e308], rtol=1.99)
    assert assert_close([1.0, -1.7e308], [1.0, 1.7e308], rtol=2.0) == math.inf


def test_close_overflowing_tolerance_is_decided_exactly():
    # rtol*|expected| overflows to inf: that must not let any difference through.
    assert assert_close(1e300, 1e300, rtol=1e10) == 0.0
    assert assert_close(-1e308, 1e308, rtol=1e10) == math.inf
    # atol + rtol*|expected| = 2.55e308 and |diff| = 3.4e308 both overflow: still a failure.
    with pytest.raises(AssertionError):
        assert_close(1.7e308, -1.7e308, rtol=0.5, atol=1.7e308)
    assert assert_close(1.7e308, -1.7e308, rtol=1.0, atol=1.7e308) == math.inf


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    ("actual", "expected", "rtol"),
    [
        (1e300, 1e300, 1e10),  # overflow in multiply
        (1e308, -1e308, 2.5),  # overflow in subtract
        (1e308, -1e308, 1.8),
        (np.longdouble(1e308) * 10, 1e308, 100.0),
        (1e-320, 1e300, 0.0),
    ],
)
def test_close_emits_no_runtime_warning(actual, expected, rtol):
    try:
        assert_close(actual, expected, rtol=rtol)
    except AssertionError:
        pass


# --- masked arrays and input messages ---


def test_close_refuses_masked_entries():
    with pytest.raises(ValueError, match=r"^values: actual is a masked array with 1 masked entry"):
        assert_close(np.ma.array([1.0, 999.0], mask=[0, 1]), [1.0, 2.0], rtol=0)
    with pytest.raises(ValueError, match=r"expected is a masked array with 2 masked entries"):
        assert_close([1.0, 2.0], np.ma.array([1.0, 2.0], mask=[1, 1]), rtol=0)
    # A masked array without masked entries is just its data.
    assert assert_close(np.ma.array([1.0, 2.0], mask=[0, 0]), [1.0, 2.0], rtol=0) == 0.0
    with pytest.raises(AssertionError):
        assert_close(np.ma.array([1.0, 3.0]), [1.0, 2.0], rtol=0)


@pytest.mark.parametrize(("bad", "what"), [("a", "strings"), (object(), "type object")])
def test_close_refuses_non_numbers_with_fitting_message(bad, what):
    with pytest.raises(TypeError, match=rf"expected must be real numbers .*{what}") as info:
        assert_close(1.0, bad, rtol=0.1)
    assert "complex" not in str(info.value)


def test_close_names_the_ragged_argument():
    with pytest.raises(ValueError, match=r"^values: expected could not be converted .*ragged"):
        assert_close([1.0, 2.0], [[1.0, 2.0], [3.0]], rtol=0.1)
    with pytest.raises(ValueError, match=r"^demo: actual could not be converted"):
        assert_close([[1.0], [2.0, 3.0]], [1.0, 2.0], rtol=0.1, label="demo")


@pytest.mark.parametrize("bad", [None, 1, b"x"])
def test_close_rejects_non_str_label(bad):
    with pytest.raises(TypeError, match=rf"^label must be a str; got {type(bad).__name__}"):
        assert_close(1.0, 1.0, rtol=0.1, label=bad)


def test_close_keeps_large_integers_exact_in_mixed_sequences():
    # numpy would turn [2**53 + 1, 0.5] into float64 and drop the low bit.
    with pytest.raises(AssertionError, match=r"1 of 2 values.*\n.*actual 9007199254740993"):
        assert_close([2**53 + 1, 0.5], [2**53, 0.5], rtol=0)
    assert assert_close([2**70, 1.5], [2**70, 1.5], rtol=0) == 0.0
    with pytest.raises(AssertionError):
        assert_close([2**70, 1.5], [2**70, 1.25], rtol=0.1)


def test_close_exact_path_keeps_nan_and_inf_rules():
    big = [2**70, np.inf, -np.inf, np.nan]
    assert assert_close(big, big, rtol=0, equal_nan=True) == 0.0
    with pytest.raises(AssertionError, match="1 of 4 values"):
        assert_close(big, big, rtol=0)  # NaN fails by default
    with pytest.raises(AssertionError):
        assert_close([2**70, np.inf], [2**70, -np.inf], rtol=0.5)
