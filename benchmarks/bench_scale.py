"""The MSE of data on disk, from 1e6 to 1e9 elements: time, memory and accuracy.

For each dtype (float32, float64) and size n, ``y_true`` and ``y_pred`` are written block by
block to ``.npy`` files in a scratch directory (they never exist in memory whole), and the
MSE is computed four ways:

``memmap``    ``mselib.mse`` on the two files opened with ``np.load(mmap_mode="r")``
``stream``    ``mselib.RegressionAccumulator`` fed chunks read into two reused buffers (no
              mapping at all); it accumulates what all five metrics need, so 5 passes over
              ``y_true`` per chunk
``dask``      ``mselib.mse`` on Dask arrays whose chunks map the files piece by piece
              (``--scheduler threads``, the default, or ``processes``: a LocalCluster of two
              single-threaded workers on 127.0.0.1)

Each is compared with

* one read of the data from the page cache: ``np.add.reduce`` over fresh memory maps of both
  files (so that it pays for mapping the pages, as every method does), run twice in fresh
  processes right before each method; ``time/read`` is the method's time over the best of
  these reads (the ``read (s)`` column);
* the exact MSE, up to a few units of float64 rounding: ``math.fsum`` of the float64 squares of
  the float64 differences. For float32 input the differences and squares are exact; for float64
  input each term is within 3u of the exact one and all terms are positive, so the reference is
  within 4u = 4.4e-16 of the exact MSE (fsum adds without error, then rounds once).

Every measurement runs in a fresh child process (so that no heap is left over from the data
generation or the reference). Memory is sampled every 2 ms from ``/proc/<pid>/status`` of that
process and of its children (the Dask workers): ``anon`` is the peak of the resident anonymous
memory (what the processes allocated, RssAnon) above its level just before the call, after
the imports; ``file`` the peak of the resident pages of mapped files (RssFile: the page cache
mapped in, which the kernel reclaims at will; ``np.add.reduce`` and ``mselib.mse`` on a memmap map
the whole file, the Dask chunks map one piece each).

Targets: ``anon`` independent of n (a few tens of MiB at most), relative error at most 1e-14
for every method at every n (float64 accumulation), time within 2x of one read.

    .venv/bin/python benchmarks/bench_scale.py                       # 1e6 ... 1e8, ~1 min
    .venv/bin/python benchmarks/bench_scale.py --sizes 1e6 1e7 1e8 1e9 --dir /work  # ~10 min

Sizes whose files do not fit on the disk (with 2 GiB to spare) are skipped, with a message.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import mselib as ml

BLOCK = 1 << 22  # elements per block written, read and checked
MIB = 2**20


# ---------------------------------------------------------------------------------- memory
def _status(pid: int) -> dict[str, int]:
    """RssAnon and RssFile of a process, in bytes (0 if it is gone)."""
    values = {"RssAnon": 0, "RssFile": 0}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in values:
                    values[key] = int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return values


def _tree() -> list[int]:
    """This process and its descendants (the Dask workers, if any)."""
    pids, frontier = [os.getpid()], [os.getpid()]
    while frontier:
        parent = frontier.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children", encoding="ascii") as f:
                children = [int(c) for c in f.read().split()]
        except FileNotFoundError:
            children = []
        pids += children
        frontier += children
    return pids


class PeakMemory:
    """Peak RssAnon and RssFile of the process tree while the block runs, every 2 ms."""

    def __enter__(self) -> PeakMemory:
        self.base = self._sample()
        self.peak = dict(self.base)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> dict[str, int]:
        total = {"RssAnon": 0, "RssFile": 0}
        for pid in _tree():
            for key, value in _status(pid).items():
                total[key] += value
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            for key, value in self._sample().items():
                self.peak[key] = max(self.peak[key], value)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for key, value in self._sample().items():
            self.peak[key] = max(self.peak[key], value)

    @property
    def anon(self) -> float:
        return (self.peak["RssAnon"] - self.base["RssAnon"]) / MIB

    @property
    def file(self) -> float:
        return self.peak["RssFile"] / MIB


# ---------------------------------------------------------------------------------- data
def write(directory: Path, dtype: np.dtype, n: int, seed: int) -> dict[str, Path]:
    """y_true ~ N(0, 1) and y_pred = y_true + N(0, 1/4), block by block, as .npy files."""
    rng = np.random.default_rng(seed)
    paths = {name: directory / f"{name}-{np.dtype(dtype).name}-{n}.npy" for name in ("t", "p")}
    files = {
        name: np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n,))
        for name, path in paths.items()
    }
    for i in range(0, n, BLOCK):
        m = min(BLOCK, n - i)
        t = rng.standard_normal(m)
        files["t"][i : i + m] = t
        files["p"][i : i + m] = t + 0.5 * rng.standard_normal(m)
    for f in files.values():
        f.flush()
    del files
    return paths


def reference_mse(t: np.ndarray, p: np.ndarray) -> float:
    """math.fsum of the float64 squares of the float64 differences, over one chain."""

    def squares():
        for i in range(0, len(t), BLOCK):
            d = t[i : i + BLOCK].astype(np.float64)
            d -= p[i : i + BLOCK]
            d *= d
            yield d.tolist()

    return math.fsum(itertools.chain.from_iterable(squares())) / len(t)


class NpyOnDisk:
    """A 1-D .npy file as an array-like for Dask: each slice maps the file afresh."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        header = np.load(self.path, mmap_mode="r")
        self.shape, self.dtype, self.ndim = header.shape, header.dtype, 1

    def __getitem__(self, index):
        return np.load(self.path, mmap_mode="r")[index]

    def __dask_tokenize__(self):
        return (self.path, self.shape, str(self.dtype))


def stream_mse(paths: dict[str, Path], chunk: int) -> float:
    """RegressionAccumulator over chunks read into two reused buffers: no memory map at all."""
    header = {name: np.load(path, mmap_mode="r") for name, path in paths.items()}
    dtype, n = header["t"].dtype, header["t"].shape[0]
    offsets = {name: m.offset for name, m in header.items()}
    del header
    buffers = {name: np.empty(chunk, dtype=dtype) for name in paths}
    acc = ml.RegressionAccumulator()
    files = {name: open(path, "rb") for name, path in paths.items()}
    try:
        for name, f in files.items():
            f.seek(offsets[name])
        for i in range(0, n, chunk):
            m = min(chunk, n - i)
            for name, f in files.items():
                f.readinto(memoryview(buffers[name][:m]).cast("B"))
            acc.update(buffers["t"][:m], buffers["p"][:m])
    finally:
        for f in files.values():
            f.close()
    return acc.mse()


# ---------------------------------------------------------------------------------- runs
def mapped(paths: dict[str, Path]) -> tuple[np.ndarray, np.ndarray]:
    """Fresh memory maps of both files: their pages are faulted in on first touch."""
    return np.load(paths["t"], mmap_mode="r"), np.load(paths["p"], mmap_mode="r")


def one_read(paths: dict[str, Path]) -> float:
    t, p = mapped(paths)
    return float(np.add.reduce(t)) + float(np.add.reduce(p))


def child(method: str, paths: dict[str, Path], chunk: int, scheduler: str) -> None:
    """Run one method once in this (fresh) process and print: value seconds anon file."""
    call = {
        "one read": lambda: one_read(paths),
        "memmap": lambda: ml.mse(*mapped(paths)),
        "stream": lambda: stream_mse(paths, chunk),
    }.get(method)
    client = cluster = None
    if method == "dask":
        import dask
        import dask.array as da

        if scheduler == "processes":
            import logging

            from dask.distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   silence_logs=logging.CRITICAL)
            client = Client(cluster)
        else:
            dask.config.set(scheduler="threads", num_workers=2)
        dt = da.from_array(NpyOnDisk(paths["t"]), chunks=chunk)
        dp = da.from_array(NpyOnDisk(paths["p"]), chunks=chunk)
        ml.mse(da.ones(10, chunks=5), da.ones(10, chunks=5))  # warm up imports and workers

        def call():
            return ml.mse(dt, dp)

    with PeakMemory() as memory:
        start = time.perf_counter()
        value = call()
        elapsed = time.perf_counter() - start
    print(f"{value!r} {elapsed!r} {memory.anon!r} {memory.file!r}")
    if client is not None:
        client.close()
        cluster.close()


def measure(method: str, paths: dict[str, Path], chunk: int, scheduler: str):
    """(value, seconds, anon MiB, file MiB) of one method, run in a fresh process."""
    chunk = chunk[method == "stream"] if isinstance(chunk, tuple) else chunk
    command = [sys.executable, __file__, "--child", method, "--chunk", str(chunk),
               "--scheduler", scheduler, "--paths", str(paths["t"]), str(paths["p"])]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    value, seconds, anon, file = (float(v) for v in out.stdout.split()[-4:])
    return value, seconds, anon, file


def run(paths: dict[str, Path], chunk: tuple[int, int], scheduler: str) -> tuple[list, float]:
    """Rows (method, relative error, time / read, anon, file) and the time of one read."""
    exact = reference_mse(*mapped(paths))
    methods = ["memmap", "stream"] + ([] if scheduler == "none" else ["dask"])
    read = math.inf
    rows = []
    for method in methods:
        # one read of the page cache, timed right before each method: the best of them
        read = min(read, min(measure("one read", paths, chunk, scheduler)[1] for _ in "ab"))
        value, seconds, anon, file = measure(method, paths, chunk, scheduler)
        rows.append((method, abs(value - exact) / exact, seconds / read, anon, file))
    return rows, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7, 1e8])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory")
    parser.add_argument("--chunk", type=int, default=1 << 22,
                        help="elements per Dask chunk")
    parser.add_argument("--stream-chunk", type=int, default=1 << 20,
                        help="elements per chunk of the stream")
    parser.add_argument("--scheduler", choices=["threads", "processes", "none"],
                        default="threads")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: one measurement
    parser.add_argument("--paths", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, dict(zip("tp", args.paths, strict=True)), args.chunk, args.scheduler)
        return

    scratch = Path(tempfile.mkdtemp(prefix="mse-bench-", dir=args.dir))
    print(f"scratch {scratch}; Dask ({args.scheduler}): chunks of {args.chunk:,} elements; "
          f"stream: {args.stream_chunk:,}")
    print(f"{'dtype':>7} {'n':>6} {'method':>8} {'rel. error':>10} {'time/read':>9} "
          f"{'anon MiB':>8} {'file MiB':>8}   read (s)")
    try:
        for dtype, size in itertools.product(args.dtypes, args.sizes):
            n = int(size)
            need = 2 * n * np.dtype(dtype).itemsize
            free = shutil.disk_usage(scratch).free
            if need + 2 * 2**30 > free:
                print(f"{dtype:>7} {size:6.0e}  skipped: needs {need / 2**30:.1f} GiB, "
                      f"{free / 2**30:.1f} GiB free")
                continue
            start = time.perf_counter()
            paths = write(scratch, np.dtype(dtype), n, seed=n)
            written = time.perf_counter() - start
            rows, read = run(paths, (args.chunk, args.stream_chunk), args.scheduler)
            for name, rel, ratio, anon, file in rows:
                print(f"{dtype:>7} {size:6.0e} {name:>8} {rel:10.1e} {ratio:9.2f} "
                      f"{anon:8.1f} {file:8.1f}   {read:.3f}")
            print(f"{dtype:>7} {size:6.0e}  (files written in {written:.0f} s)", flush=True)
            for path in paths.values():
                path.unlink()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
