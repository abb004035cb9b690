r"""Classification losses computed from logits, without overflow, and their gradients.

* :func:`sigmoid` and :func:`softmax`: logits to probabilities.
* :func:`binary_cross_entropy` and :func:`binary_cross_entropy_grad`: the mean
  negative Bernoulli log-likelihood of labels ``y`` in ``[0, 1]`` given logits
  :math:`z`, and its gradient with respect to the logits, :math:`(\sigma(z) - y)/n`.
* :func:`softmax_cross_entropy` and :func:`softmax_cross_entropy_grad`: the same
  for ``K`` classes, with integer class labels, and gradient :math:`(p - e_y)/n`.

All of them take *logits*, never probabilities: a probability of ``1e-300``
rounded to ``0`` has lost the information that the loss needs, while its logit
``-690.8`` has not. Every formula is arranged so that no ``exp`` is taken of a
positive number (the log-sum-exp trick), so logits of any finite size are
accepted: ``binary_cross_entropy([1], [-1000.0])`` is ``1000.0``, not ``inf``.
The MSE on probabilities (the Brier score) needs no function of its own: it is
``mselib.mse(y, sigmoid(z))``.

Inputs are checked with the generic checks of :mod:`mselib._validation`: real numbers
only, nothing is broadcast, NaN and inf are rejected. The checks that belong to
classification alone (labels in [0, 1], a logit matrix, integer class labels) live here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from mselib._accumulate import _weighted_mean, _weighted_share
from mselib._validation import (
    _as_real_array,
    _describe_ndim,
    check_finite,
    check_finite_output,
    check_real_array,
    check_sample_weight,
    check_vector,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
]


def _check_unit_interval(arr: np.ndarray, name: str, meaning: str) -> None:
    """Raise ``ValueError`` at the first entry of the 1-D ``arr`` outside ``[0, 1]``."""
    bad = ~((arr >= 0) & (arr <= 1))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} must hold {meaning} in [0, 1]; got {float(arr[i])!r} at index {i}."
        )


def _check_logit_matrix(value: Any, name: str = "logits") -> np.ndarray:
    """A finite 2-D real array ``(n_samples, n_classes)``, ``n_classes >= 2``, as float64."""
    arr = _as_real_array(value, name)
    if arr.ndim != 2:
        got = _describe_ndim(arr)
        hint = (
            " For one sample pass one row, [logits]; for two classes with one logit per "
            "sample use the binary functions."
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_classes); got {got}.{hint}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); expected at least one sample.")
    if arr.shape[1] < 2:
        raise ValueError(
            f"{name} must have at least 2 columns (one logit per class); got shape "
            f"{arr.shape}. For two classes with one logit per sample use the binary functions."
        )
    arr = arr.astype(np.float64, copy=False)
    check_finite(arr, name)
    return arr


def _check_class_labels(value: Any, name: str, n: int, n_classes: int) -> np.ndarray:
    """Integer class labels ``0 .. n_classes - 1``, one per sample: shape ``(n,)``, int64.

    One-hot rows are refused with a hint (``argmax``), floats with a hint to convert:
    a label is a class index, not a probability.
    """
    arr = _as_real_array(value, name)
    if arr.ndim == 2 and arr.shape == (n, n_classes):
        raise ValueError(
            f"{name} must be 1-D integer class labels, shape ({n},); got shape {arr.shape}, "
            f"which looks one-hot. Pass {name}.argmax(axis=1) instead."
        )
    if arr.ndim != 1 or arr.shape[0] != n:
        got = f"a 0-D scalar ({arr.item()!r})" if arr.ndim == 0 else f"shape {arr.shape}"
        raise ValueError(
            f"{name} must be 1-D with one class label per row of logits, shape ({n},); "
            f"got {got}."
        )
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integer class labels (an integer dtype); got dtype "
            f"{arr.dtype}. If the values are whole numbers, convert with "
            f"np.asarray({name}, dtype=int)."
        )
    bad = (arr < 0) | (arr >= n_classes)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} must hold class labels in 0, ..., {n_classes - 1} (logits has "
            f"{n_classes} columns); got {int(arr[i])} at index {i}."
        )
    return arr.astype(np.int64, copy=False)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) for float64 ``z``, from exp(-|z|) only: never overflows."""
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def _softplus(t: np.ndarray) -> np.ndarray:
    """log(1 + exp(t)) = max(t, 0) + log1p(exp(-|t|)): no overflow, small relative error."""
    return np.maximum(t, 0.0) + np.log1p(np.exp(-np.abs(t)))


def _binary_args(
    y_true: ArrayLike, logits: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float]:
    z = check_vector(logits, "logits")
    n = z.shape[0]
    y = check_vector(y_true, "y_true", n, f" (one label per logit, n_samples = {n})")
    _check_unit_interval(y, "y_true", "labels (0 or 1) or target probabilities")
    weights = check_sample_weight(sample_weight, n)
    return y, z, (None if weights is None else weights.values), float(n)


def _mean(values: np.ndarray, w: np.ndarray | None, total: float) -> np.ndarray:
    """The (weighted) mean over axis 0 of a (n,) or (n, k) array (``total``: n, unweighted)."""
    if w is None:
        return np.sum(values / total, axis=0)  # dividing first: a mean cannot overflow
    return _weighted_mean(values, w)  # each w_i v_i scaled by powers of two: no underflow


def sigmoid(z: ArrayLike) -> float | np.ndarray:
    r"""The logistic sigmoid :math:`\sigma(z) = 1/(1 + e^{-z})`, element-wise, for any finite z.

    Parameters
    ----------
    z : float or array-like of any shape
        Logits: finite real numbers (integer or float dtype).

    Returns
    -------
    float or numpy.ndarray
        A Python float for a scalar, else a float64 array of the shape of `z`, with
        values in ``[0, 1]``.

    Raises
    ------
    ValueError
        If `z` holds NaN or inf.
    TypeError
        If `z` is not real (bool, complex, strings, objects).

    See Also
    --------
    softmax : The generalisation to K classes.
    binary_cross_entropy : The loss that takes these logits.

    Notes
    -----
    Computed from :math:`e = e^{-|z|} \in (0, 1]` as :math:`1/(1 + e)` for
    :math:`z \ge 0` and :math:`e/(1 + e)` for :math:`z < 0`, so no exponential ever
    overflows, and each value is correct to a few units in the last place. For
    :math:`z < -745` the true value is below the smallest float64 and rounds to
    ``0.0``; for :math:`z > 37` it rounds to ``1.0``. Quantities such as
    :math:`\log\sigma(z)` should therefore be computed from `z` (as the losses in
    this module do), not from the rounded probability.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.sigmoid(0)
    0.5
    >>> ml.sigmoid([-1000.0, 0.0, 1000.0])  # no overflow warning, no NaN
    array([0. , 0.5, 1. ])
    >>> round(ml.sigmoid(1.0), 6)  # e / (1 + e)
    0.731059
    """
    arr = check_real_array(z, "z")
    p = _sigmoid(arr)
    return float(p) if p.ndim == 0 else p


def softmax(logits: ArrayLike) -> np.ndarray:
    r"""Row-wise softmax :math:`p_{ik} = e^{z_{ik}} / \sum_j e^{z_{ij}}` for any finite logits.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        One row of finite real logits per sample, at least two classes.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n_samples, n_classes)``: each row is a probability
        vector (non-negative, summing to 1 up to rounding).

    Raises
    ------
    ValueError
        If `logits` is not 2-D, is empty, has fewer than 2 columns, or holds NaN/inf.
    TypeError
        If `logits` is not real.

    See Also
    --------
    softmax_cross_entropy : The loss of these probabilities, computed from the logits.
    sigmoid : Two classes with logits ``(0, z)`` give ``(1 - sigmoid(z), sigmoid(z))``.

    Notes
    -----
    The row maximum is subtracted before exponentiating (softmax does not change
    when a constant is added to a row), so every exponent is at most 0 and none
    overflows; the largest entry of each row contributes :math:`e^0 = 1`, so the
    denominator is at least 1.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.softmax([[0.0, 0.0], [1000.0, 0.0]])
    array([[0.5, 0.5],
           [1. , 0. ]])
    >>> p = ml.softmax([[1.0, 2.0, 3.0]])
    >>> bool(abs(p.sum() - 1) < 1e-15)
    True
    """
    z = _check_logit_matrix(logits, "logits")
    with np.errstate(over="ignore"):  # z - max may be -inf for huge spreads: exp gives 0
        e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def binary_cross_entropy(
    y_true: ArrayLike, logits: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    r"""Mean binary cross-entropy (log loss) of labels given logits, stable for any finite logit.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels 0 or 1, or target probabilities in ``[0, 1]`` (soft labels).
    logits : array-like of shape (n_samples,)
        The model's logits :math:`z_i`; the predicted probability of class 1 is
        :math:`\sigma(z_i)`. Finite real numbers of any size.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative weights with a positive sum. Default: all 1.

    Returns
    -------
    float
        :math:`\frac{1}{W}\sum_i w_i \ell_i` with
        :math:`\ell_i = -y_i\log\sigma(z_i) - (1 - y_i)\log(1 - \sigma(z_i))`
        (natural logarithm), :math:`W = \sum_i w_i`.

    Raises
    ------
    ValueError
        On shapes other than two 1-D arrays of one length (nothing is broadcast; a
        column ``(n, 1)`` is refused), empty input, NaN or inf, labels outside
        ``[0, 1]``, or invalid weights.
    TypeError
        On non-real input (bool, complex, strings, objects).

    See Also
    --------
    binary_cross_entropy_grad : Its gradient with respect to the logits.
    sigmoid : The probabilities the loss scores.
    softmax_cross_entropy : The K-class version.

    Notes
    -----
    With :math:`\operatorname{softplus}(t) = \log(1 + e^t)` and
    :math:`-\log\sigma(z) = \operatorname{softplus}(-z)`,
    :math:`-\log(1 - \sigma(z)) = \operatorname{softplus}(z)`,

    .. math:: \ell_i = y_i \operatorname{softplus}(-z_i) + (1 - y_i)\operatorname{softplus}(z_i),

    and softplus is evaluated as :math:`\max(t, 0) + \operatorname{log1p}(e^{-|t|})`,
    which never overflows and keeps a small *relative* error even when the loss
    is tiny (a confident right answer, :math:`\ell \approx e^{-|z|}`). The
    algebraically equal form :math:`\operatorname{softplus}(z) - y z` would lose
    every digit there. For 0/1 labels the result equals scikit-learn's
    ``log_loss(y_true, sigmoid(logits))`` wherever that probability is not
    clipped (roughly :math:`|z| < 36`); beyond, ``log_loss`` clips the
    probability and caps the loss near 36, while this function stays exact.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.binary_cross_entropy([1, 0], [0.0, 0.0])  # log 2 for a coin flip
    0.6931471805599453
    >>> ml.binary_cross_entropy([1, 0], [-1000.0, 1000.0])  # confidently wrong: no overflow
    1000.0
    >>> ml.binary_cross_entropy([1, 0], [1000.0, -1000.0])  # confidently right
    0.0
    >>> ml.binary_cross_entropy([1, 0], [-1000.0, 0.0], sample_weight=[0, 1])
    0.6931471805599453
    """
    y, z, w, total = _binary_args(y_true, logits, sample_weight)
    losses = y * _softplus(-z) + (1.0 - y) * _softplus(z)
    value = _mean(losses, w, total)
    check_finite_output(np.atleast_1d(value), "the binary cross-entropy", y_true=y, logits=z)
    return float(value)


def binary_cross_entropy_grad(
    y_true: ArrayLike, logits: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> np.ndarray:
    r"""Gradient of :func:`binary_cross_entropy` with respect to the logits.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels 0 or 1, or target probabilities in ``[0, 1]``.
    logits : array-like of shape (n_samples,)
        The logits the gradient is taken at: finite real numbers of any size.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative weights with a positive sum. Default: all 1.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n_samples,)`` with components
        :math:`\frac{w_i}{W}\,(\sigma(z_i) - y_i)`, that is :math:`(p_i - y_i)/n`
        without weights. Each lies in ``[-1, 1]``.

    Raises
    ------
    ValueError, TypeError
        As :func:`binary_cross_entropy`.

    See Also
    --------
    binary_cross_entropy : The function differentiated.
    mselib.numerical_gradient : Central differences, to check it.

    Notes
    -----
    Computed as :math:`(1 - y_i)\,\sigma(z_i) - y_i\,\sigma(-z_i)`, equal to
    :math:`\sigma(z_i) - y_i` since :math:`1 - \sigma(z) = \sigma(-z)`. For 0/1
    labels this has a small relative error even when it is tiny: for
    :math:`y = 1`, :math:`z = 40` it gives :math:`-\sigma(-40) \approx -4.2\times
    10^{-18}`, where :math:`\sigma(40) - 1` rounds to 0. For a confidently wrong
    logit the component tends to :math:`\mp w_i/W`, never to 0.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.binary_cross_entropy_grad([1, 0], [0.0, 0.0])  # (0.5 - y) / 2
    array([-0.25,  0.25])
    >>> ml.binary_cross_entropy_grad([1, 0], [-1000.0, 1000.0])  # confidently wrong
    array([-0.5,  0.5])
    """
    y, z, w, total = _binary_args(y_true, logits, sample_weight)
    grad = (1.0 - y) * _sigmoid(z) - y * _sigmoid(-z)
    if w is None:
        grad /= total
    else:
        grad = _weighted_share(grad, w)  # w_i / W times each, without underflow
    return grad


def _softmax_args(
    y_true: ArrayLike, logits: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float]:
    z = _check_logit_matrix(logits, "logits")
    n, k = z.shape
    labels = _check_class_labels(y_true, "y_true", n, k)
    weights = check_sample_weight(sample_weight, n)
    return labels, z, (None if weights is None else weights.values), float(n)


def _shifted(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``s = z - max`` per row (every entry <= 0) and ``exp(s)``."""
    with np.errstate(over="ignore"):  # a spread beyond 1.8e308 gives -inf: exp gives 0
        s = z - z.max(axis=1, keepdims=True)
    return s, np.exp(s)


def softmax_cross_entropy(
    y_true: ArrayLike, logits: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    r"""Mean cross-entropy of integer class labels given K-class logits, stable for any logits.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Integer class labels in ``0, ..., n_classes - 1`` (an integer dtype). One-hot
        rows are refused: pass ``onehot.argmax(axis=1)``.
    logits : array-like of shape (n_samples, n_classes)
        One row of finite real logits per sample; ``n_classes >= 2``.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative weights with a positive sum. Default: all 1.

    Returns
    -------
    float
        :math:`\frac{1}{W}\sum_i w_i \bigl(-\log p_{i, y_i}\bigr)` with
        :math:`p_i = \operatorname{softmax}(z_i)`.

    Raises
    ------
    ValueError
        On a `logits` array that is not 2-D with at least 2 columns, labels of the
        wrong shape or outside ``0 .. n_classes - 1``, NaN or inf, invalid weights,
        or a loss that overflows float64 (logits spread by more than about 1.8e308).
    TypeError
        On non-real input, or labels that are not of an integer dtype.

    See Also
    --------
    softmax_cross_entropy_grad : Its gradient with respect to the logits.
    softmax : The probabilities the loss scores.
    binary_cross_entropy : The two-class version with one logit per sample.

    Notes
    -----
    :math:`-\log p_{iy} = \log\sum_k e^{z_{ik}} - z_{iy} = \log\sum_k e^{s_{ik}} - s_{iy}`
    with :math:`s_{ik} = z_{ik} - \max_j z_{ij} \le 0` (log-sum-exp with the maximum
    shifted out): the sum is between 1 and K, so its logarithm neither overflows
    nor underflows. The term :math:`e^0 = 1` of the maximum is taken out of the sum
    and the logarithm computed with ``log1p``, so a confident right answer
    (loss about :math:`e^{-\Delta}` for a margin :math:`\Delta`) keeps a small
    relative error. With integer labels each row costs one subtraction, not a dot
    product with a one-hot row. For logits ``(0, z)`` the loss equals
    :func:`binary_cross_entropy` with logit ``z``.

    Examples
    --------
    >>> import mselib as ml
    >>> ml.softmax_cross_entropy([0, 2], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # log 3
    1.0986122886681098
    >>> ml.softmax_cross_entropy([0], [[-1000.0, 1000.0, 0.0]])  # confidently wrong
    2000.0
    >>> ml.softmax_cross_entropy([1], [[0.0, 1000.0]])
    0.0
    """
    labels, z, w, total = _softmax_args(y_true, logits, sample_weight)
    s, e = _shifted(z)
    rows = np.arange(z.shape[0])
    e[rows, z.argmax(axis=1)] = 0.0  # the maximum contributes exp(0) = 1: use log1p for it
    with np.errstate(over="ignore", invalid="ignore"):  # diagnosed just below
        losses = np.log1p(e.sum(axis=1)) - s[rows, labels]
        value = _mean(losses, w, total)
    check_finite_output(np.atleast_1d(value), "the softmax cross-entropy", logits=z)
    return float(value)


def softmax_cross_entropy_grad(
    y_true: ArrayLike, logits: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> np.ndarray:
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Integer class labels in ``0, ..., n_classes - 1``.
    logits : array-like of shape (n_samples, n_classes)
        The logits the gradient is taken at.
    sample_weight : array-like of shape (n_samples,), optional
        Finite non-negative weights with a positive sum. Default: all 1.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n_samples, n_classes)``: row :math:`i` is
        :math:`\frac{w_i}{W}\,(p_i - e_{y_i})`, the predicted probabilities minus the
        one-hot label, that is :math:`(p_i - e_{y_i})/n` without weights. Each row
        sums to 0.

    Raises
    ------
    ValueError, TypeError
        As :func:`softmax_cross_entropy`.

    See Also
    --------
    softmax_cross_entropy : The function differentiated.
    binary_cross_entropy_grad : The two-class version.

    Notes
    -----
    The entry of the true class, :math:`p_{iy} - 1`, is computed as
    :math:`-\sum_{k \ne y} p_{ik}`, which keeps a small relative error when the
    model is confidently right (:math:`p_{iy} - 1` would round to 0).

    Examples
    --------
    >>> import mselib as ml
    >>> ml.softmax_cross_entropy_grad([0], [[0.0, 0.0]])
    array([[-0.5,  0.5]])
    >>> ml.softmax_cross_entropy_grad([0], [[-1000.0, 1000.0, 0.0]])  # confidently wrong
    array([[-1.,  1.,  0.]])
    """
    labels, z, w, total = _softmax_args(y_true, logits, sample_weight)
    _, e = _shifted(z)
    grad = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(z.shape[0])
    grad[rows, labels] = 0.0
    grad[rows, labels] = -grad.sum(axis=1)
    if w is None:
        grad *= 1.0 / total
    else:
        grad = _weighted_share(grad, w)  # w_i / W times each row, without underflow
    return grad
