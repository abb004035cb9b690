"""One BLAS thread at a time: the pinning shared by every module of mselib.

On two shared cores a multi-threaded BLAS call slows badly whenever the other core
is busy, and waking OpenBLAS's threads between small blocks costs more than the work
(measured in ``benchmarks/``). Block loops and small dense solves therefore run with
BLAS pinned to one thread. ``threadpoolctl`` is optional and imported on first use
(about 20 ms); without it nothing is pinned. One re-entrant lock serialises the
pinnings, so the process-wide limits are restored in order, also when pinned code
calls other pinned code.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
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
