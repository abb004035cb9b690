"""Accuracy and speed of ``mselib.ols`` against the normal equations, NumPy and plain QR.

Run from the repository root::

    .venv/bin/python benchmarks/bench_ols.py        # ~30 s

Accuracy is the log relative error, LRE = -log10(|estimate - exact| / |exact|), the
number of correct significant digits, minimum over the coefficients, clipped to
[0, 16]. "exact" is the solution of the problem as posed (decimal data, or integer
data with a solution known by construction), computed here with
``fractions.Fraction``, independently of mselib. The float64 design matrix already
rounds decimal data, so no method can beat the "limit": the exact rational solution
of the same float64 input, rounded once to float64.

Speed is the ratio of medians against ``np.linalg.lstsq`` on a well-conditioned
10,000 x 50 problem, timed round robin in the same process, with BLAS at its
default thread count and with both pinned to one thread. Nothing asserts; the
targets are printed next to the measurements.
"""

from __future__ import annotations

import functools
import math
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from fractions import Fraction

import numpy as np
from threadpoolctl import threadpool_limits

import mselib

SEED = 20261124


# ---------------------------------------------------------------------------- exact oracles
def exact_least_squares(X: list[list[Fraction]], y: list[Fraction]) -> list[Fraction]:
    """Solve the normal equations X^T X w = X^T y in rational arithmetic (full rank)."""
    p = len(X[0])
    cols = list(zip(*X, strict=True))
    gram = [[sum(a * b for a, b in zip(cols[i], cols[j], strict=True)) for j in range(p)]
            for i in range(p)]
    rhs = [sum(a * b for a, b in zip(cols[i], y, strict=True)) for i in range(p)]
    M = [[*row, b] for row, b in zip(gram, rhs, strict=True)]
    for c in range(p):  # Gauss-Jordan; exact, so any nonzero pivot will do
        piv = next(r for r in range(c, p) if M[r][c] != 0)
        M[c], M[piv] = M[piv], M[c]
        inv = 1 / M[c][c]
        M[c] = [v * inv for v in M[c]]
        for r in range(p):
            if r != c and M[r][c] != 0:
                f = M[r][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c], strict=True)]
    return [M[r][p] for r in range(p)]


def to_fractions(A: np.ndarray) -> list:
    return [[Fraction(float(v)) for v in row] for row in np.atleast_2d(A)]


def lre(estimate: np.ndarray, exact: list[Fraction]) -> float:
    """Correct significant digits, minimum over coefficients, clipped to [0, 16]."""
    if not np.all(np.isfinite(estimate)):
        return 0.0
    digits = []
    for e, x in zip(estimate, exact, strict=True):
        err = abs(Fraction(float(e)) - x)
        digits.append(16.0 if err == 0 else -math.log10(float(err / abs(x))))
    return float(min(16.0, max(0.0, min(digits))))


# ---------------------------------------------------------------------------- the problems
def powers(x: np.ndarray, degree: int) -> np.ndarray:
    """The raw polynomial design [1, x, ..., x^degree] by repeated multiplication."""
    X = np.ones((x.size, degree + 1))
    for k in range(1, degree + 1):
        X[:, k] = X[:, k - 1] * x
    return X


def decimal_polynomial(degree: int) -> tuple[np.ndarray, np.ndarray, list[Fraction]]:
    """82 points like NIST's Filip: x with 10 significant digits in [-8.8, -3.1], y with 4.

    The problem is the decimal data; the float64 input rounds it, so the limit is
    below 16 digits and falls as the degree (and the condition number) grows.
    """
    rng = np.random.default_rng(SEED)
    xs = [f"{v:.9f}" for v in np.sort(rng.uniform(-8.8, -3.1, 82))]
    xv = np.array([float(s) for s in xs])
    ys = [f"{v:.4f}" for v in 0.85 + 0.04 * np.sin(1.3 * xv) + 0.002 * rng.standard_normal(82)]
    xf, yf = [Fraction(s) for s in xs], [Fraction(s) for s in ys]
    exact = exact_least_squares([[xi**k for k in range(degree + 1)] for xi in xf], yf)
    return powers(xv, degree), np.array([float(s) for s in ys]), exact


def integer_polynomial(scale: int) -> tuple[np.ndarray, np.ndarray, list[Fraction]]:
    """Like NIST's Wampler 1, 3-5: x = 0..20, degree 5, every coefficient exactly 1.

    y = sum_k x^k + scale * d, with d an integer vector orthogonal to every polynomial
    of degree <= 5 on these points (d = D^T e for the sixth-difference operator D),
    so the least-squares solution is exactly all ones whatever the residual's size.
    """
    x = np.arange(21.0)
    X = powers(x, 5)
    D = np.zeros((15, 21))
    binom = [math.comb(6, k) * (-1) ** k for k in range(7)]
    for i in range(15):
        D[i, i : i + 7] = binom
    e = np.where(np.arange(15) % 2 == 0, 1.0, -1.0)
    d = D.T @ e  # integers up to a few hundred
    y = X.sum(axis=1) + scale * d
    return X, y, [Fraction(1)] * 6


def decimal_coefficients() -> tuple[np.ndarray, np.ndarray, list[Fraction]]:
    """Like NIST's Wampler 2: y = sum_k 10^-k x^k, exactly, as decimals rounded to float64."""
    x = np.arange(21)
    coef = [Fraction(1, 10**k) for k in range(6)]
    yf = [sum(c * int(xi) ** k for k, c in enumerate(coef)) for xi in x]
    return powers(x.astype(float), 5), np.array([float(v) for v in yf]), coef


def offset_intercept() -> tuple[np.ndarray, np.ndarray, list[Fraction]]:
    """An intercept with features far from zero (like Longley's years and GNP): 40 x 4."""
    rng = np.random.default_rng(SEED + 1)
    year = 1947.0 + np.arange(40)
    big = 1.0e5 + np.round(1000 * rng.random(40))
    X = np.column_stack([np.ones(40), year, big, year * big])
    y = np.round(1000 * rng.random(40)) + 6e4
    return X, y, exact_least_squares(to_fractions(X), [Fraction(float(v)) for v in y])


def random_design(n: int, p: int) -> tuple[np.ndarray, np.ndarray, list[Fraction]]:
    rng = np.random.default_rng(SEED + 2)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + 0.1 * rng.standard_normal(n)
    return X, y, exact_least_squares(to_fractions(X), [Fraction(float(v)) for v in y])


def problems() -> dict[str, tuple[np.ndarray, np.ndarray, list[Fraction]]]:
    out = {f"decimal poly, degree {d}": decimal_polynomial(d) for d in (1, 3, 5, 7, 9, 10)}
    for scale in (0, 1, 100, 10_000):
        out[f"integer poly deg 5, residual x{scale}"] = integer_polynomial(scale)
    out["decimal coefficients deg 5"] = decimal_coefficients()
    out["intercept + offset features"] = offset_intercept()
    out["random 2000 x 20"] = random_design(2000, 20)
    return out


# ---------------------------------------------------------------------------- the solvers
def householder_qr(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    Q, R = np.linalg.qr(X)
    return np.linalg.solve(R, Q.T @ y)


SOLVERS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "mselib.ols": lambda X, y: mselib.ols(X, y),
    "normal eq.": mselib.ols_normal_equations,
    "inv(X'X)X'y": lambda X, y: np.linalg.inv(X.T @ X) @ (X.T @ y),
    "lstsq": lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0],
    "Householder QR": householder_qr,
}


def accuracy_table() -> list[tuple[str, float, float]]:
    print("## Accuracy: correct digits (LRE, min over coefficients, clipped to [0, 16])\n")
    names = list(SOLVERS)
    print(f"| {'problem':<36} | cond(X)  | limit | " + " | ".join(names) + " |")
    print(f"|{'-' * 38}|----------|-------|" + "|".join("-" * (len(m) + 2) for m in names) + "|")
    rows = []
    for name, (X, y, exact) in problems().items():
        limit_solution = exact_least_squares(to_fractions(X), [Fraction(float(v)) for v in y])
        limit = lre(np.array([float(v) for v in limit_solution]), exact)
        cells = []
        for solver_name, solver in SOLVERS.items():
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    digits = lre(solver(X, y), exact)
                except np.linalg.LinAlgError:
                    digits = 0.0
            cells.append(f"{digits:{len(solver_name)}.1f}")
            if solver_name == "mselib.ols":
                rows.append((name, limit, digits))
        cond = np.linalg.cond(X)
        print(f"| {name:<36} | {cond:8.1e} | {limit:5.1f} | " + " | ".join(cells) + " |")
    return rows


# ---------------------------------------------------------------------------- speed
def time_round_robin(funcs: dict[str, Callable[[], object]], samples: int = 25) -> dict:
    for f in funcs.values():  # warm up
        f()
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(samples):
        for name, f in funcs.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    return times


def speed() -> list[float]:
    rng = np.random.default_rng(SEED + 3)
    X = rng.standard_normal((10_000, 50))
    y = X @ rng.standard_normal(50) + 0.1 * rng.standard_normal(10_000)
    funcs = {
        "np.linalg.lstsq": lambda: np.linalg.lstsq(X, y, rcond=None),
        "mselib.ols": lambda: mselib.ols(X, y),
        "normal equations": lambda: mselib.ols_normal_equations(X, y),
    }
    print("\n## Speed on a well-conditioned 10,000 x 50 problem\n")
    print("| BLAS threads | implementation   | median    | ratio to lstsq |")
    print("|--------------|------------------|-----------|----------------|")
    ratios = []
    for label, limits in (("default", None), ("1", 1)):
        with threadpool_limits(limits=limits, user_api="blas"):
            times = time_round_robin(funcs)
        ref = statistics.median(times["np.linalg.lstsq"])
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"| {label:<12} | {name:<16} | {med * 1e3:6.2f} ms | {med / ref:14.2f} |")
        ratios.append(statistics.median(times["mselib.ols"]) / ref)
    return ratios


def _ols_quietly(X: np.ndarray, y: np.ndarray, method: str, on_singular: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            mselib.ols(X, y, method=method, on_singular=on_singular)
        except np.linalg.LinAlgError:
            pass


def auto_cliffs() -> float:
    """Worst cases for method="auto": time of mselib.ols against method="qr" on the same data."""
    print("\n## method='auto' on designs that make the exact path expensive\n")
    print("| design | on_singular | auto | qr | ratio |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(8)
    wide = rng.standard_normal((30, 40))
    repeated = rng.standard_normal((300, 30))
    repeated[:, 5] = repeated[:, 4]
    spread = rng.standard_normal((365, 40))
    spread[0] = 1e-300
    scaled = rng.standard_normal((365, 40))
    scaled[:, 5] = scaled[:, 4]
    scaled[:, ::2] *= 2.0**-900
    cases = {
        "30 x 40 (n < p)": wide,
        "300 x 30, a repeated column": repeated,
        "365 x 40, first row 1e-300": spread,
        "365 x 40, repeated column, columns 2^-900": scaled,
    }
    worst = 0.0
    for name, X in cases.items():
        y = rng.standard_normal(X.shape[0])
        for on_singular in ("raise", "warn"):
            calls = {m: functools.partial(_ols_quietly, X, y, m, on_singular)
                     for m in ("auto", "qr")}
            times = time_round_robin(calls, 5)
            auto, qr = (statistics.median(times[m]) for m in ("auto", "qr"))
            worst = max(worst, auto)
            print(f"| {name} | {on_singular} | {auto * 1e3:.1f} ms | {qr * 1e3:.1f} ms "
                  f"| {auto / qr:.1f} |")
    return worst


def main() -> None:
    start = time.perf_counter()
    print(
        f"# mselib.ols benchmark\n\nPython {platform.python_version()}, numpy {np.__version__}, "
        f"longdouble with {np.finfo(np.longdouble).nmant + 1}-bit significand\n"
    )
    rows = accuracy_table()
    ratios = speed()
    worst_auto = auto_cliffs()
    print("\n## Targets\n")
    worst = max(rows, key=lambda r: r[1] - r[2])
    print(
        f"- accuracy: mselib.ols within one digit of the limit on every problem; largest "
        f"shortfall {worst[1] - worst[2]:.2f} digits ({worst[0]})"
    )
    print(
        f"- speed: mselib.ols / lstsq = {ratios[0]:.2f} (default threads), {ratios[1]:.2f} "
        f"(one thread); target <= 3"
    )
    print(f"- method='auto' on the hard designs: slowest {worst_auto:.2f} s; target <= 0.3 s")
    print(f"\n(total {time.perf_counter() - start:.0f} s)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
