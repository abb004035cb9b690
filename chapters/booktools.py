"""Small helpers the chapter notebooks share: ``from booktools import show, irls``.

They are the book's presentation and reference code, not part of ``mselib``: ``show`` writes a
derivation step as displayed math, and ``irls`` is a plain NumPy fit (iteratively reweighted
least squares) that chapters use as an oracle independent of ``mselib``. The doctests below run
with the rest of the test suite (``pytest`` collects ``chapters/``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def latex_step(lhs: str, rhs: object, *, order: str | None = None) -> str:
    """The LaTeX of one derivation step, ``lhs = rhs``.

    ``rhs`` is a SymPy expression (printed with :func:`sympy.latex`, in the term ``order``
    given, e.g. ``"rev-lex"`` for :math:`y_i - \\hat y_i` rather than SymPy's
    :math:`-\\hat y_i + y_i`) or a string of LaTeX, used as it is.

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> latex_step(r"\\frac{d}{dx} x^2", sp.diff(x**2, x))
    '\\\\frac{d}{dx} x^2 = 2 x'
    >>> latex_step("a", r"\\alpha")
    'a = \\\\alpha'
    """
    if isinstance(rhs, str):
        return f"{lhs} = {rhs}"
    import sympy as sp

    return f"{lhs} = {sp.latex(rhs, order=order)}"


def show(lhs: str, rhs: object, *, order: str | None = None) -> None:
    """Display one derivation step as ``lhs = rhs``, the way one would write it on a board."""
    from IPython.display import Math, display

    display(Math(latex_step(lhs, rhs, order=order)))


def irls(
    X: np.ndarray,
    y: np.ndarray,
    weight: Callable[[np.ndarray], np.ndarray],
    *,
    tol: float = 1e-12,
    max_iter: int = 500,
) -> tuple[np.ndarray, int]:
    """Minimise :math:`\\sum_i \\rho(r_i)` with :math:`\\rho'(r) = r\\,\\omega(r)` by IRLS.

    Weighted least squares, repeated: each step solves it with the weights
    ``weight(residuals)`` of the last step (``numpy.linalg.lstsq``, no ``mselib``), starting
    from ordinary least squares, until no coefficient moves by more than
    ``tol * (1 + max|coef|)``. Returns the coefficients and the number of steps.

    >>> X = np.column_stack([np.ones(5), np.arange(5.0)])
    >>> y = np.array([0.0, 1.0, 2.0, 3.0, 40.0])           # a line and one outlier
    >>> huber = lambda r: np.minimum(1.0, 1.0 / np.maximum(np.abs(r), 1e-300))
    >>> coef, steps = irls(X, y, huber)
    >>> np.round(coef, 6).tolist()                          # least squares: [-7.2, 8.2]
    [-0.5, 1.5]
    >>> psi = np.clip(y - X @ coef, -1.0, 1.0)              # Huber's estimating equation
    >>> bool(np.allclose(X.T @ psi, 0.0, atol=1e-9))
    True
    >>> irls(X, y, lambda r: np.ones_like(r))[1]            # unit weights: least squares
    1
    """
    coef = np.linalg.lstsq(X, y, rcond=None)[0]
    for step in range(1, max_iter + 1):
        root = np.sqrt(weight(y - X @ coef))
        new = np.linalg.lstsq(X * root[:, None], y * root, rcond=None)[0]
        if np.max(np.abs(new - coef)) <= tol * (1 + np.max(np.abs(coef))):
            return new, step
        coef = new
    raise RuntimeError(f"IRLS did not converge in {max_iter} steps")
