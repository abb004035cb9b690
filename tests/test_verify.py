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
