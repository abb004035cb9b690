"""Every public function checks each argument once, at the boundary.

The design rule (DESIGN.md, section 2): a public function validates its arguments, then
hands checked arrays to private kernels; it never calls another public function on data
it has already checked. Every array check in mselib goes through
``_validation._as_real_array(value, name)`` and every scalar check through
``check_scalar``/``check_flag``/``check_choice``, so counting those calls by argument
name, for one public call, shows whether an argument was checked twice.
"""

from __future__ import annotations

import collections
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mselib as ml
from mselib import _validation

LEAVES = ("_as_real_array", "check_scalar", "check_flag", "check_choice", "check_generator")


def _modules() -> list[Any]:
    names = [m.name for m in pkgutil.iter_modules(ml.__path__)]
    return [importlib.import_module(f"mselib.{name}") for name in names if name != "verify"]


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[tuple[str, str]]:
    """Count leaf checks by (check, argument name), wherever a module bound them."""
    seen: collections.Counter[tuple[str, str]] = collections.Counter()
    for leaf in LEAVES:
        original = getattr(_validation, leaf)

        def counted(*args: Any, _original: Callable[..., Any] = original,
                    _leaf: str = leaf, **kwargs: Any) -> Any:
            name = kwargs.get("name", args[1] if len(args) > 1 else "?")
            seen[_leaf, str(name)] += 1
            return _original(*args, **kwargs)

        for module in _modules():
            if getattr(module, leaf, None) is original:
                monkeypatch.setattr(module, leaf, counted)
    return seen


RNG = np.random.default_rng(0)
N, P = 40, 3
X = np.column_stack([np.ones(N), RNG.normal(size=(N, P - 1))])
Y = X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(size=N)
YHAT = Y + RNG.normal(scale=0.3, size=N)
W = RNG.uniform(0.5, 2.0, size=N)
Y2 = np.column_stack([Y, 2 * Y + 1])
YHAT2 = np.column_stack([YHAT, 2 * YHAT])
LABELS = (Y > Y.mean()).astype(float)
LOGITS3 = RNG.normal(size=(N, 3))
CLASSES = RNG.integers(0, 3, size=N)

CALLS: dict[str, Callable[[], Any]] = {
    "mse": lambda: ml.mse(Y, YHAT, sample_weight=W),
    "mse multioutput": lambda: ml.mse(Y2, YHAT2, multioutput=[1.0, 3.0]),
    "rmse": lambda: ml.rmse(Y, YHAT, sample_weight=W),
    "mae": lambda: ml.mae(Y, YHAT, sample_weight=W),
    "huber": lambda: ml.huber(Y, YHAT, delta=0.5, sample_weight=W),
    "smooth_l1": lambda: ml.smooth_l1(Y, YHAT, beta=0.5, sample_weight=W),
    "pinball": lambda: ml.pinball(Y, YHAT, alpha=0.9, sample_weight=W),
    "nmse": lambda: ml.nmse(Y2, YHAT2, sample_weight=W),
    "r2": lambda: ml.r2(Y2, YHAT2, multioutput="variance_weighted", force_finite=False),
    "accumulator": lambda: ml.RegressionAccumulator().update(Y, YHAT, sample_weight=W),
    "mse_grad": lambda: ml.mse_grad(Y, YHAT, sample_weight=W),
    "linear_mse_grad": lambda: ml.linear_mse_grad(X, Y, w=np.zeros(P)),
    "numerical_gradient": lambda: ml.numerical_gradient(lambda v: float(v @ v), np.ones(3)),
    "ols auto": lambda: ml.ols(X, Y),
    "ols exact": lambda: ml.ols(X[:8], Y[:8], method="exact"),
    "ols qr": lambda: ml.ols(X, Y, method="qr", cond_limit=1e12),
    "ols_normal_equations": lambda: ml.ols_normal_equations(X, Y),
    "gradient_descent": lambda: ml.gradient_descent(X, Y, step=0.1, n_steps=25),
    "ridge": lambda: ml.ridge(X[:, 1:], Y, alpha=1.0),
    "leverage": lambda: ml.leverage(X),
    "ols_inference": lambda: ml.ols_inference(X, Y),
    "james_stein": lambda: ml.james_stein(Y[:5], sigma2=1.0, positive_part=True),
    "loo_mse": lambda: ml.loo_mse(X, Y, alpha=0.5),
    "kfold_mse": lambda: ml.kfold_mse(X, Y, k=5, alpha=0.5, seed=0),
    "gcv": lambda: ml.gcv(X, Y, alpha=0.5),
    "effective_dof": lambda: ml.effective_dof(X, alpha=0.5),
    "gaussian_log_likelihood": lambda: ml.gaussian_log_likelihood(Y, YHAT, sigma2=0.5),
    "laplace_log_likelihood": lambda: ml.laplace_log_likelihood(Y, YHAT, b=0.5),
    "gaussian_mle": lambda: ml.gaussian_mle(X, Y),
    "polynomial_fit_predict": lambda: ml.polynomial_fit_predict(2, domain=(-3.0, 3.0)),
    "sigmoid": lambda: ml.sigmoid(Y),
    "softmax": lambda: ml.softmax(LOGITS3),
    "binary_cross_entropy": lambda: ml.binary_cross_entropy(LABELS, Y, sample_weight=W),
    "binary_cross_entropy_grad": lambda: ml.binary_cross_entropy_grad(LABELS, Y),
    "softmax_cross_entropy": lambda: ml.softmax_cross_entropy(CLASSES, LOGITS3),
    "softmax_cross_entropy_grad": lambda: ml.softmax_cross_entropy_grad(CLASSES, LOGITS3),
}


def _fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    return np.full((y_train.shape[0], x_test.shape[0]), 0.5)


CALLS["bias_variance"] = lambda: ml.bias_variance(
    _fit_predict, np.sin, np.linspace(0, 1, 10), np.linspace(0, 1, 4),
    noise_sd=0.1, n_datasets=20, rng=np.random.default_rng(0),
)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_each_argument_is_checked_once(call: str, counts: collections.Counter) -> None:
    CALLS[call]()
    assert counts, "no check was counted: the leaves are no longer where this test looks"
    twice = {key: c for key, c in counts.items()
             if c > 1 and not key[1].startswith("the array returned")}
    assert not twice, f"{call} checks an argument more than once: {twice}"


def test_polynomial_fit_predict_checks_each_call_once(counts: collections.Counter) -> None:
    fit = ml.polynomial_fit_predict(2)
    counts.clear()
    fit(np.linspace(0, 1, 8), np.ones((3, 8)), np.linspace(0, 1, 5))
    twice = {key: c for key, c in counts.items() if c > 1}
    assert not twice, twice


def test_every_public_function_is_covered() -> None:
    """A new public function gets a line in CALLS (classes and checkers excepted)."""
    exempt = {"assert_close", "assert_sym_equal", "BiasVariance", "GaussianMLE",
              "OLSInference", "RidgeFit", "SingularDesignWarning", "RegressionAccumulator"}
    covered = {name.split()[0] for name in CALLS}
    assert set(ml.__all__) - exempt <= covered


def _mselib_imports(module: str) -> set[str]:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(ml.__file__).with_name(f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mselib"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mselib")}
    return found


def test_layers_import_downwards_only() -> None:
    """_validation imports nothing of mselib; a private engine imports no public module."""
    assert _mselib_imports("_validation") == set()
    engines = [m.name for m in pkgutil.iter_modules(ml.__path__) if m.name.startswith("_")]
    assert {"_accumulate", "_exact", "_extended", "_refine", "_validation"} <= set(engines)
    for engine in engines:
        public = {m for m in _mselib_imports(engine) if not m.split(".")[-1].startswith("_")}
        assert not public, f"{engine} imports public modules {public}"
