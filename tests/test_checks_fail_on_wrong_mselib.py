"""The chapters' checks can fail: each one catches a deliberately wrong mselib.

For each public mselib function below, every chapter that calls it is executed (nbclient, a
fresh kernel, no output comparison) with that one function perturbed: its result is multiplied
by ``1 + 1e-6`` (a relative error far below what a plot or a printed table would show). Some
check in some chapter must then raise an ``AssertionError``; a run that completes, or that stops
on any other error, fails this test. The chapters are tried in order and the first one that
catches the perturbation ends the search.

This is slow (a few minutes), so it is not part of the README's test command: ``.ci/run``
runs it in a step of its own::

    MSE_BOOK_MUTATION=1 python -m pytest -q tests/test_checks_fail_on_wrong_mselib.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
RELATIVE_ERROR = 1e-6

# Functions whose result is a number, an array, a tuple of them, or a function returning one.
PERTURBED = [
    "mse",
    "rmse",
    "mae",
    "huber",
    "smooth_l1",
    "pinball",
    "nmse",
    "r2",
    "mse_grad",
    "linear_mse_grad",
    "numerical_gradient",
    "ols",
    "gradient_descent",
    "gaussian_mle",
    "gaussian_log_likelihood",
    "laplace_log_likelihood",
    "polynomial_fit_predict",
    "sigmoid",
    "softmax",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "ridge",
    "leverage",
    "ols_inference",
    "james_stein",
    "loo_mse",
    "kfold_mse",
    "gcv",
    "effective_dof",
]

# Injected as the first cell: replaces ml.<name> by a wrapper that nudges its result.
PATCH = """\
import functools as _functools
import numpy as _np
import mselib as _mselib

def _nudge(value):
    if callable(value):
        return _functools.wraps(value)(lambda *a, **k: _nudge(value(*a, **k)))
    if isinstance(value, tuple) and hasattr(value, "_replace"):
        return type(value)(*(_nudge(v) for v in value))
    if isinstance(value, (float, _np.floating)):
        return type(value)(value * (1 + {eps!r}))
    if isinstance(value, _np.ndarray) and value.dtype.kind == "f":
        return value * (1 + {eps!r})
    return value

_original = _mselib.{name}
_mselib.{name} = _functools.wraps(_original)(lambda *a, **k: _nudge(_original(*a, **k)))
"""

pytestmark = pytest.mark.skipif(
    os.environ.get("MSE_BOOK_MUTATION") != "1",
    reason="slow (minutes): set MSE_BOOK_MUTATION=1 (.ci/run does)",
)


def chapters_calling(name: str) -> list[Path]:
    call = re.compile(rf"\bml\.{name}\(")
    return [path for path in CHAPTERS if call.search(path.read_text(encoding="utf-8"))]


def run_perturbed(path: Path, name: str, eps: float = RELATIVE_ERROR) -> str | None:
    """Run the chapter with ``ml.<name>`` perturbed; the error's name, or None if it ran through."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    patch = nbformat.v4.new_code_cell(PATCH.format(name=name, eps=eps))
    nb.cells.insert(0, patch)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute()
    except CellExecutionError as error:
        return error.ename
    return None


def test_every_perturbed_function_is_used_by_a_chapter():
    unused = [name for name in PERTURBED if not chapters_calling(name)]
    assert not unused, f"no chapter calls {unused}: perturbing them proves nothing"
    assert len(PERTURBED) >= 10


def test_the_harness_alone_breaks_nothing():
    # The same wrapper with a zero nudge: the chapter must run through, so that a failure
    # below is caused by the perturbation and not by the patching itself.
    assert run_perturbed(CHAPTERS[0], "mse", eps=0.0) is None


@pytest.mark.parametrize("name", PERTURBED)
def test_some_check_fails_when_mselib_is_wrong(name):
    outcomes = {}
    for path in chapters_calling(name):
        outcomes[path.name] = run_perturbed(path, name)
        if outcomes[path.name] == "AssertionError":
            return
    pytest.fail(
        f"ml.{name} off by a relative {RELATIVE_ERROR:g}: no check failed "
        f"(chapter: error raised, None if it ran through): {outcomes}"
    )
