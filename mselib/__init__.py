"""mselib: the numeric companion of the executable textbook on the Mean Squared Error.

Every chapter of the book checks its derivations against these functions, and
these functions are checked against independent oracles (scikit-learn, exact
rational arithmetic, finite differences) in ``tests/``.

The public API is re-exported here; notebooks use ``import mselib as ml``.
"""

from mselib.metrics import huber, mae, mse, nmse, r2, rmse
from mselib.verify import assert_close, assert_sym_equal

__all__ = [
    "assert_close",
    "assert_sym_equal",
    "huber",
    "mae",
    "mse",
    "nmse",
    "r2",
    "rmse",
]

__version__ = "0.1.0"
