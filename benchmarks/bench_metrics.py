"""Speed, memory and float32 accuracy of ``mselib.mse`` against NumPy and scikit-learn.

Run from the repository root::

    .venv/bin/python benchmarks/bench_metrics.py

Speed is reported as a ratio to a reference pass, ``np.dot(a, b)``, timed in the
same process and interleaved with the candidates (round robin), because absolute
times on shared cores drift. Nothing here asserts; the targets are printed next to
the measurements (mse <= 1.5x one np.dot pass at n = 1e7, <= 20 us per call at
n = 1e3). The load average is printed too: on two shared cores another process
takes the second core that both np.dot and mselib's split block loop count on.
See benchmarks/README.md.
"""

from __future__ import annotations

import itertools
import math
import os
import platform
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator

import numpy as np
import sklearn
from sklearn.metrics import mean_squared_error

import mselib
from mselib import _accumulate
from mselib._threads import run_split

SIZES = [10**3, 10**5, 10**7]
DTYPES = [np.float64, np.float32]
SEED = 20240601
TARGET_BUDGET = 0.25  # seconds of work per candidate and size (at least 5 samples)


def candidates(a: np.ndarray, b: np.ndarray) -> dict[str, Callable[[], object]]:
    return {
        "np.dot(a, b) [reference]": lambda: np.dot(a, b),
        "mselib.mse": lambda: mselib.mse(a, b),
        "np.mean((a - b)**2)": lambda: np.mean((a - b) ** 2),
        "sklearn mean_squared_error": lambda: mean_squared_error(a, b),
    }


def time_round_robin(funcs: dict[str, Callable[[], object]], n: int) -> dict[str, list[float]]:
    """Per-call times (seconds), sampling each function in turn so drift hits all alike."""
    for f in funcs.values():  # warm up: caches, lazy imports, the block buffers
        f()
    calls = max(1, int(2e5 // n))  # batch small calls so one sample lasts ~0.1-2 ms or more
    samples = 5 if n >= 10**7 else 15
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(samples):
        for name, f in funcs.items():
            start = time.perf_counter()
            for _ in range(calls):
                f()
            times[name].append((time.perf_counter() - start) / calls)
    return times


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:7.2f} {unit}"
    return f"{seconds / 1e-9:7.1f} ns"


def speed_table() -> dict[tuple[int, str], dict[str, list[float]]]:
    rng = np.random.default_rng(SEED)
    results = {}
    print("## Speed (per call; ratio = median / median of the reference pass)\n")
    print(f"| {'n':>8} | dtype   | {'implementation':<27} | {'median':>10} | {'min':>10} | ratio |")
    print(f"|{'-' * 10}|---------|{'-' * 29}|{'-' * 12}|{'-' * 12}|-------|")
    for n, dtype in itertools.product(SIZES, DTYPES):
        a = rng.standard_normal(n).astype(dtype)
        b = (a + 0.1 * rng.standard_normal(n)).astype(dtype)
        times = time_round_robin(candidates(a, b), n)
        results[(n, np.dtype(dtype).name)] = times
        ref = statistics.median(times["np.dot(a, b) [reference]"])
        for name, ts in times.items():
            med = statistics.median(ts)
            print(
                f"| {n:>8.0e} | {np.dtype(dtype).name:<7} | {name:<27} | {fmt_time(med):>10} "
                f"| {fmt_time(min(ts)):>10} | {med / ref:5.2f} |"
            )
        del a, b
    return results


def peak_memory(n: int = 10**7) -> None:
    rng = np.random.default_rng(SEED + 1)
    print(f"\n## Peak extra memory at n = {n:.0e} "
          "(tracemalloc, first call: both threads' buffers)\n")
    print("| dtype   | implementation              | peak extra | input (a and b) | ratio |")
    print("|---------|-----------------------------|------------|-----------------|-------|")
    for dtype in DTYPES:
        a = rng.standard_normal(n).astype(dtype)
        b = rng.standard_normal(n).astype(dtype)
        for name, f in list(candidates(a, b).items())[1:]:
            _accumulate._local = threading.local()  # count every thread's buffers too
            tracemalloc.start()
            f()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = a.nbytes + b.nbytes
            print(
                f"| {np.dtype(dtype).name:<7} | {name:<27} | {peak / 2**20:7.2f} MiB "
                f"| {size / 2**20:11.1f} MiB | {peak / size:5.3f} |"
            )
        del a, b


def float32_accuracy(n: int = 10**7) -> None:
    rng = np.random.default_rng(SEED + 2)
    a = rng.standard_normal(n).astype(np.float32)
    b = (a + 0.1 * rng.standard_normal(n)).astype(np.float32)
    # Reference: differences of float32 values are exact in float64; their float64
    # squares carry one rounding each (relative 1.1e-16), summed exactly by fsum.
    chunks = (
        ((a[i : i + 2**20].astype(np.float64) - b[i : i + 2**20]) ** 2).tolist()
        for i in range(0, n, 2**20)
    )
    exact = math.fsum(itertools.chain.from_iterable(chunks)) / n
    d32 = a - b
    values = {
        "mselib.mse": mselib.mse(a, b),
        "np.mean((a - b)**2) [float32]": float(np.mean(d32**2)),
        "np.dot(d, d) / n [float32]": float(np.dot(d32, d32)) / n,
        "sklearn mean_squared_error": float(mean_squared_error(a, b)),
        "float64 upcast, np.mean": float(np.mean((a.astype(np.float64) - b) ** 2)),
    }
    print(f"\n## float32 accuracy at n = {n:.0e} (reference: math.fsum in float64)\n")
    print(f"reference value {exact!r}\n")
    print("| implementation                 | relative error |")
    print("|--------------------------------|----------------|")
    for name, value in values.items():
        print(f"| {name:<30} | {abs(value - exact) / exact:14.2e} |")


def threads_and_conversion(n: int = 10**7) -> dict[str, float]:
    """The split block loop against one thread, and the cost of the float32 conversion.

    Returns, for float32, the time of the conversion alone on both cores as a ratio to
    np.dot: a floor under any NumPy kernel that forms the differences in float64.
    """
    rng = np.random.default_rng(SEED + 3)
    print(f"\n## Two threads, and the float32 block conversion, at n = {n:.0e}\n")
    print("| dtype   | np.dot  | mse, 2 threads | mse, 1 thread | conversion only "
          "| conversion only, 2 threads |")
    print("|---------|---------|----------------|---------------|-----------------"
          "|----------------------------|")
    split = _accumulate._SPLIT_ABOVE
    floor = {}
    step = _accumulate._BLOCK
    count = -(-n // step)
    local = threading.local()
    for dtype in DTYPES:
        a = rng.standard_normal(n).astype(dtype)
        b = rng.standard_normal(n).astype(dtype)

        def serial(a: np.ndarray = a, b: np.ndarray = b) -> object:
            _accumulate._SPLIT_ABOVE = 2 * n
            try:
                return mselib.mse(a, b)
            finally:
                _accumulate._SPLIT_ABOVE = split

        def convert_blocks(indices: Iterator[int], a: np.ndarray = a, b: np.ndarray = b) -> None:
            # what the float32 path must do at least: cast both inputs to float64, block by
            # block, into this thread's buffer (no subtraction, no sum)
            if not hasattr(local, "block"):
                local.block = np.empty(step)
            block = local.block
            for k in indices:
                i, j = k * step, min(k * step + step, n)
                np.copyto(block[: j - i], a[i:j])
                np.copyto(block[: j - i], b[i:j])

        funcs = {
            "dot": lambda a=a, b=b: np.dot(a, b),
            "two": lambda a=a, b=b: mselib.mse(a, b),
            "one": serial,
            "convert": lambda: convert_blocks(iter(range(count))),
            "convert2": lambda: run_split(convert_blocks, count),
        }
        times = time_round_robin(funcs, n)
        med = {name: statistics.median(ts) for name, ts in times.items()}
        ref = med["dot"]
        name = np.dtype(dtype).name
        if dtype is not np.float64:
            floor[name] = med["convert2"] / ref
        print(
            f"| {name:<7} | {fmt_time(ref)} | {med['two'] / ref:8.2f} x     "
            f"| {med['one'] / ref:7.2f} x     | "
            + (
                "(none: float64 is not cast) | (none) |"
                if dtype is np.float64
                else f"{fmt_time(med['convert'])} ({med['convert'] / med['one']:.0%} "
                f"of the one-thread mse) | {fmt_time(med['convert2'])} "
                f"({med['convert2'] / ref:.2f} x np.dot) |"
            )
        )
        del a, b
    return floor


def steady_state(n: int = 10**7, pause: float = 1.5, calls: int = 15) -> dict[str, float]:
    """mse / np.dot with each timed in its own run of consecutive calls, after a pause.

    Interleaved with np.dot, mse's second thread shares a core with OpenBLAS's worker
    threads, which keep spinning for up to about a second after a multi-threaded call
    (measured here: mse at 1e7 takes 5.0 ms before any large np.dot, 7.0 ms right
    after one, 5.4 ms a second later). Both figures are reported.
    """
    rng = np.random.default_rng(SEED + 4)
    print(f"\n## Steady state at n = {n:.0e}: each in its own run, after a {pause} s pause\n")
    print("| dtype   | np.dot     | mselib.mse | ratio |")
    print("|---------|------------|------------|-------|")
    ratios = {}
    for dtype in DTYPES:
        a = rng.standard_normal(n).astype(dtype)
        b = (a + 0.1 * rng.standard_normal(n)).astype(dtype)
        med = {}
        pair = {"dot": lambda a=a, b=b: np.dot(a, b), "mse": lambda a=a, b=b: mselib.mse(a, b)}
        for name, f in pair.items():
            f()
            time.sleep(pause)
            ts = []
            for _ in range(calls):
                start = time.perf_counter()
                f()
                ts.append(time.perf_counter() - start)
            med[name] = statistics.median(ts)
        name = np.dtype(dtype).name
        ratios[name] = med["mse"] / med["dot"]
        print(f"| {name:<7} | {fmt_time(med['dot'])} | {fmt_time(med['mse'])} "
              f"| {ratios[name]:5.2f} |")
        del a, b, pair
    return ratios


def targets(
    results: dict[tuple[int, str], dict[str, list[float]]],
    steady: dict[str, float],
    floor: dict[str, float],
) -> None:
    print("\n## Targets\n")
    for dtype in ("float64", "float32"):
        t = results[(10**7, dtype)]
        ratio = statistics.median(t["mselib.mse"]) / statistics.median(
            t["np.dot(a, b) [reference]"]
        )
        best = min(t["mselib.mse"]) / min(t["np.dot(a, b) [reference]"])
        print(f"- n = 1e7, {dtype}: mselib.mse / np.dot = {steady[dtype]:.2f} in steady "
              f"state; interleaved with np.dot {ratio:.2f} (median), {best:.2f} (min); "
              f"target <= 1.5")
        if dtype in floor:
            print(f"  - floor: casting both {dtype} inputs to float64, block by block on both "
                  f"cores, with no arithmetic at all, takes {floor[dtype]:.2f} x np.dot")
    for dtype in ("float64", "float32"):
        per_call = statistics.median(results[(10**3, dtype)]["mselib.mse"])
        print(f"- n = 1e3, {dtype}: {per_call * 1e6:.1f} us per call; target < 20 us")


def main() -> None:
    start = time.perf_counter()
    blas = [
        f"{d['internal_api']} {d['version']} ({d['num_threads']} threads)"
        for d in __import__("threadpoolctl").threadpool_info()
        if d["user_api"] == "blas"
    ]
    print(
        f"# mselib benchmark\n\nPython {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, BLAS {', '.join(blas) or 'unknown'}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    results = speed_table()
    floor = threads_and_conversion()
    peak_memory()
    float32_accuracy()
    steady = steady_state()
    targets(results, steady, floor)
    print(f"\nload average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\n(total {time.perf_counter() - start:.0f} s)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
