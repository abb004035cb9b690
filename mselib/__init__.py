"""mselib: the numeric companion of the executable textbook on the Mean Squared Error.

Every chapter of the book checks its derivations against these functions, and
these functions are checked against independent oracles (scikit-learn, exact
rational arithmetic, finite differences) in ``tests/``.

The public API is re-exported here; notebooks use ``import mselib as ml``.
"""

from mselib.classification import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from mselib.decomposition import BiasVariance, bias_variance, polynomial_fit_predict
from mselib.gradients import linear_mse_grad, mse_grad, numerical_gradient
from mselib.likelihood import (
    GaussianMLE,
    gaussian_log_likelihood,
    gaussian_mle,
    laplace_log_likelihood,
)
from mselib.linear import (
    OLSInference,
    RidgeFit,
    SingularDesignWarning,
    gradient_descent,
    james_stein,
    leverage,
    ols,
    ols_inference,
    ols_normal_equations,
    ridge,
)
from mselib.metrics import huber, mae, mse, nmse, pinball, r2, rmse, smooth_l1
from mselib.selection import effective_dof, gcv, kfold_mse, loo_mse
from mselib.streaming import RegressionAccumulator
from mselib.verify import assert_close, assert_sym_equal

__all__ = [
    "BiasVariance",
    "GaussianMLE",
    "OLSInference",
    "RegressionAccumulator",
    "RidgeFit",
    "SingularDesignWarning",
    "assert_close",
    "assert_sym_equal",
    "bias_variance",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "effective_dof",
    "gaussian_log_likelihood",
    "gaussian_mle",
    "gcv",
    "gradient_descent",
    "huber",
    "james_stein",
    "kfold_mse",
    "laplace_log_likelihood",
    "leverage",
    "linear_mse_grad",
    "loo_mse",
    "mae",
    "mse",
    "mse_grad",
    "nmse",
    "numerical_gradient",
    "ols",
    "ols_inference",
    "ols_normal_equations",
    "pinball",
    "polynomial_fit_predict",
    "r2",
    "ridge",
    "rmse",
    "sigmoid",
    "smooth_l1",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
]

__version__ = "0.3.1"
