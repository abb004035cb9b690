"""One BLAS thread at a time: the pinning shared by every module of mselib.

On two shared cores a multi-threaded BLAS call slows badly whenever the other core
is busy, and waking OpenBLAS's threads between small blocks costs more than the work
(measured in ``benchmarks/``). Block loops and small dense solves therefore run with
BLAS pinned to one thread. ``threadpoolctl`` is optional and imported on first use
(about 20 ms); without it nothing is pinned. One re-entrant lock serialises the
pinnings, so the process-wide limits are restored in order, also when pinned code
calls other pinned code.

A long block loop may also be split between the calling thread and one pooled worker
(:func:`run_split`): NumPy and BLAS release the GIL inside their loops, so both cores
stream memory while each BLAS call stays on one thread.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

_controller: Any = None  # threadpoolctl.ThreadpoolController, or False if unavailable
_lock = threading.RLock()


def can_pin() -> bool:
    """Whether BLAS can be pinned (threadpoolctl is importable)."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
            _controller = False
    return bool(_controller)


@contextlib.contextmanager
def _pinned() -> Iterator[None]:
    with _lock, _controller.limit(limits=1, user_api="blas"):
        yield


def one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """A context in which BLAS runs on one thread (a no-op without threadpoolctl)."""
    return _pinned() if can_pin() else contextlib.nullcontext()


# ----------------------------------------------------------------------------------------------
# Two cores for one long loop: NumPy releases the GIL inside its loops, so a block loop split
# between the calling thread and one worker runs on both cores.
_pool: Any = None
_pool_lock = threading.Lock()


def _worker_pool() -> Any:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                from concurrent.futures import ThreadPoolExecutor

                # One worker: the calling thread is the other. A second pooled thread would
                # only appear in a race (a call submitted before the worker is marked idle
                # again), and would hold block buffers of its own.
                _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mselib")
    return _pool


def worker_count() -> int:
    """How many threads a long block loop is split between (the cores, at most 2)."""
    return min(2, os.cpu_count() or 1)


def run_split(work: Callable[[Iterator[int]], None], count: int) -> None:
    """Run ``work(indices)`` on the calling thread and one pooled worker, sharing ``range(count)``.

    Each thread takes the next index as it becomes free, so a core taken by another
    process slows the loop instead of stalling it: the calling thread then does most of
    the work, and all of it if the worker has not started by the end. ``work`` must
    write one output per index. An exception in either thread is raised here.
    """
    if count < 2 or worker_count() < 2:
        work(iter(range(count)))
        return
    shared = itertools.count()  # next() is atomic under the GIL

    def indices() -> Iterator[int]:
        for i in shared:
            if i >= count:
                return
            yield i

    future = _worker_pool().submit(work, indices())
    try:
        work(indices())
    finally:
        if not future.cancel():  # it started: wait for its last index
            future.result()
