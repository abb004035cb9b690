"""Speed of ``mselib.bias_variance`` with vectorised polynomial fits, against a per-set loop.

Run from the repository root::

    .venv/bin/python benchmarks/bench_decomposition.py        # about 15-30 s

The workload is the simulation of chapter 3: 2,000 training sets of 20 equally
spaced inputs, normal noise (sigma = 0.3), a smooth bump as the true function,
101 test points, least-squares polynomials of degrees 1 to 12. It is timed three
ways, each for all 12 degrees:

* ``vectorised``: ``mselib.bias_variance`` with ``mselib.polynomial_fit_predict``,
  which fits all 2,000 training sets of a degree with one ``np.linalg.lstsq`` call;
* ``loop``: the same call, but the fit/predict routine loops over the training sets
  and fits each with ``np.polynomial.Legendre.fit`` (what one writes first);
* ``overhead``: the same call with an intercept-only model (a row mean), i.e. the
  cost of drawing the noise and computing the terms and their standard errors.

The candidates are sampled in turn (round robin) with ``time.perf_counter``, and
speed is reported as a ratio to ``vectorised`` timed in the same process, because
absolute times on shared cores drift. The vectorised and loop runs use the same
seeds, hence the same data, and their decompositions must agree to rounding: the
largest relative difference is printed. Nothing here asserts.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

import mselib

SEED = 20261203
DEGREES = range(1, 13)
N_DATASETS = 2_000
SIGMA = 0.3
X_TRAIN = np.linspace(0.0, 1.0, 20)
X_TEST = np.linspace(0.0, 1.0, 101)
ROUNDS = 3


def bump(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + 16.0 * (2.0 * x - 1.2) ** 2)


def looped_fit_predict(degree: int) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Fit each training set (row) on its own with NumPy's Legendre.fit."""

    def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
        return np.array(
            [np.polynomial.Legendre.fit(x_train, y, degree)(x_test) for y in y_train]
        )

    return fit_predict


def mean_model(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    return np.repeat(y_train.mean(axis=1, keepdims=True), x_test.size, axis=1)


def all_degrees(make_fit, n_datasets: int = N_DATASETS, x_test: np.ndarray = X_TEST):
    """One decomposition per degree, seeded per degree as in the chapter."""
    return [
        mselib.bias_variance(
            make_fit(degree), bump, X_TRAIN, x_test, noise_sd=SIGMA, n_datasets=n_datasets,
            rng=np.random.default_rng(SEED + 100 + degree),
        )
        for degree in DEGREES
    ]


CANDIDATES = {
    "vectorised": lambda: all_degrees(mselib.polynomial_fit_predict),
    "loop (Legendre.fit per set)": lambda: all_degrees(looped_fit_predict),
    "overhead (row-mean model)": lambda: all_degrees(lambda degree: mean_model),
}


def fmt(seconds: float) -> str:
    return f"{seconds * 1e3:8.1f} ms" if seconds < 1 else f"{seconds:8.2f} s "


def main() -> None:
    start = time.perf_counter()
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{d['internal_api']} {d['version']} ({d['num_threads']} threads)"
            for d in threadpool_info()
            if d["user_api"] == "blas"
        )
    except ImportError:  # pragma: no cover
        blas = "unknown"
    print(
        f"# bias_variance benchmark\n\nPython {platform.python_version()}, numpy "
        f"{np.__version__}, BLAS {blas}, {os.cpu_count()} CPUs, {platform.machine()}\n"
    )
    print(
        f"Workload: {N_DATASETS} training sets x {len(DEGREES)} degrees, n_train = "
        f"{X_TRAIN.size}, {X_TEST.size} test points.\n"
    )

    results = {name: run() for name, run in CANDIDATES.items()}  # warm-up, and the results
    times: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    for _ in range(ROUNDS):
        for name, run in CANDIDATES.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)

    ref = statistics.median(times["vectorised"])
    print("| implementation               | median (12 degrees) |   min      | ratio |")
    print("|------------------------------|---------------------|------------|-------|")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name:<28} | {fmt(med):>19} | {fmt(min(ts)):>10} | {med / ref:5.1f} |")

    fields = ("bias_sq", "variance", "noise", "total")
    worst = max(
        abs(getattr(a, f) - getattr(b, f)) / abs(getattr(b, f))
        for a, b in zip(results["vectorised"], results["loop (Legendre.fit per set)"], strict=True)
        for f in fields
        if getattr(b, f) != 0
    )
    print(f"\nvectorised vs loop, same data: largest relative difference of a term {worst:.1e}")

    print("\n## Scaling of the vectorised path (one run each, all 12 degrees)\n")
    for n_sets, n_test in ((20_000, 101), (2_000, 1_001)):
        t0 = time.perf_counter()
        all_degrees(mselib.polynomial_fit_predict, n_datasets=n_sets,
                    x_test=np.linspace(0.0, 1.0, n_test))
        elapsed = time.perf_counter() - t0
        print(f"- {n_sets} training sets, {n_test} test points: {fmt(elapsed).strip()} "
              f"({elapsed / ref:.1f} x the 2,000-set workload)")
    print(f"\n(total {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
