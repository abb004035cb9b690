"""Time per step of ``mselib.gradient_descent`` against a bare NumPy loop.

Run from the repository root::

    .venv/bin/python benchmarks/bench_gradient_descent.py        # ~25 s

``mselib.gradient_descent`` checks X, y and its options once, then takes fixed steps
``w <- w - step * 2/n X^T (X w - y)`` with the private kernel of
``mselib.linear_mse_grad``, storing every iterate and looking for an overflow once
every 64 steps. The reference is the same update in a bare loop that checks nothing
and keeps only the last iterate::

    w -= (lr * 2 / n) * (X.T @ (X @ w - y))

(The parentheses matter: ``lr * 2 / n * X.T @ r`` groups left to right and scales
the whole matrix ``X.T`` on every step, which at 10,000 x 50 makes the "bare" loop
about four times slower and the comparison meaningless.)

For each size the two are timed round robin in the same process
(``time.perf_counter``), once with BLAS at its default thread count and once with
both pinned to one thread (steadier on a shared machine); the tables give the
median time per step and the ratio of the medians. Target: mselib within 1.5x of the
bare loop. Nothing asserts; the last iterates of the two are compared as a sanity
check (they differ only by rounding: mselib scales by ``2/n`` and by the step in two
multiplications, as ``linear_mse_grad`` and the documented update do).
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

import mselib

SEED = 20261205
SIZES = [(100, 5), (1_000, 20), (10_000, 50)]
REPEATS = 7
TARGET_SECONDS = 0.15  # per timed run: enough steps to swamp the timer and call overhead


def problem(n: int, p: int) -> tuple[np.ndarray, np.ndarray, float]:
    """A well-conditioned design, targets, and a safe step 1 / L."""
    rng = np.random.default_rng(SEED + n + p)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + 0.1 * rng.standard_normal(n)
    lipschitz = 2.0 / n * float(np.linalg.norm(X, 2)) ** 2
    return X, y, 1.0 / lipschitz


def bare_loop(X: np.ndarray, y: np.ndarray, lr: float, n_steps: int) -> np.ndarray:
    n, p = X.shape
    w = np.zeros(p)
    for _ in range(n_steps):
        w -= (lr * 2 / n) * (X.T @ (X @ w - y))
    return w


def with_mselib(X: np.ndarray, y: np.ndarray, lr: float, n_steps: int) -> np.ndarray:
    return mselib.gradient_descent(X, y, step=lr, n_steps=n_steps)[-1]


def seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(n: int, p: int) -> dict[str, float]:
    X, y, lr = problem(n, p)
    bare_loop(X, y, lr, 20)  # wake BLAS before calibrating
    per_step = seconds(lambda: bare_loop(X, y, lr, 200)) / 200
    n_steps = max(100, int(TARGET_SECONDS / per_step))
    impls = {"bare": bare_loop, "mselib": with_mselib}
    for impl in impls.values():  # warm-up at full length (allocations, BLAS threads)
        impl(X, y, lr, n_steps)
    times: dict[str, list[float]] = {name: [] for name in impls}
    for _ in range(REPEATS):
        for name, impl in impls.items():
            times[name].append(seconds(lambda impl=impl: impl(X, y, lr, n_steps)) / n_steps)
    w_bare, w_lib = bare_loop(X, y, lr, n_steps), with_mselib(X, y, lr, n_steps)
    bare, lib = statistics.median(times["bare"]), statistics.median(times["mselib"])
    return {
        "steps": n_steps,
        "bare": bare,
        "mselib": lib,
        "ratio": lib / bare,
        "agree": float(np.max(np.abs(w_lib - w_bare)) / np.max(np.abs(w_bare))),
    }


def main() -> None:
    print(f"mselib {mselib.__version__} from {mselib.__file__}")
    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}, {platform.machine()}")
    print(f"median of {REPEATS} round-robin runs, time per step in microseconds")
    for threads in (None, 1):
        print(f"\nBLAS threads: {'default' if threads is None else threads}")
        print(f"{'n x p':>12} {'steps':>7} {'bare loop':>10} {'mselib':>10} {'ratio':>6}"
              f" {'rel. diff':>10}")
        with threadpool_limits(limits=threads, user_api="blas"):
            for n, p in SIZES:
                r = measure(n, p)
                print(f"{f'{n} x {p}':>12} {r['steps']:>7} {r['bare'] * 1e6:>10.2f} "
                      f"{r['mselib'] * 1e6:>10.2f} {r['ratio']:>6.2f} {r['agree']:>10.1e}")
    print("\ntarget: ratio <= 1.5 (mselib per step within 1.5x of the bare NumPy loop)")


if __name__ == "__main__":
    main()
