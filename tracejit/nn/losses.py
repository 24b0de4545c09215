"""Loss functions: cross-entropies from probabilities and from logits, squared error, Huber.

Each returns the mean over examples by default; ``reduction="sum"`` sums, and
``reduction="none"`` returns one loss per example (per element for the regression
losses), as optax's functions do. Labels may be floats (0/1 targets, one-hot or soft
class probabilities) or, for the categorical losses, integer class indices.

The ``*_with_logits`` forms (optax: sigmoid_binary_cross_entropy, softmax_cross_entropy)
are exact for any logits and are what to train with; the probability forms clip
probabilities into [eps, 1 - eps] so that a saturated prediction gives a large finite
loss rather than inf.
"""

from __future__ import annotations

import numpy as np

from .. import numpy as tnp
from .activations import _inexact, log_softmax, softplus

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "huber_loss",
    "mean_squared_error",
    "sigmoid_binary_cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy_with_integer_labels",
]


def _reduce(loss, reduction: str):
    if reduction == "mean":
        return tnp.mean(loss)
    if reduction == "sum":
        return tnp.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _like(labels, x):
    """Float labels in x's dtype."""
    return tnp.asarray(labels, x.dtype)


def binary_cross_entropy(probs, labels, *, eps: float = 1e-12, reduction: str = "mean"):
    """-(y log p + (1 - y) log(1 - p)) for predicted probabilities p of the label y = 1."""
    p = tnp.clip(_inexact(probs), eps, 1.0 - eps)
    y = _like(labels, p)
    return _reduce(-(y * tnp.log(p) + (1.0 - y) * tnp.log1p(-p)), reduction)


def sigmoid_binary_cross_entropy(logits, labels, *, reduction: str = "mean"):
    """binary_cross_entropy(sigmoid(logits), labels) computed stably:
    softplus(x) - y x."""
    x = _inexact(logits)
    return _reduce(softplus(x) - _like(labels, x) * x, reduction)


binary_cross_entropy_with_logits = sigmoid_binary_cross_entropy


def _class_term(logp, labels, axis: int):
    """-sum over classes of labels * log p; integer labels pick their class's log p."""
    labels = tnp.asarray(labels)
    if np.issubdtype(labels.dtype, np.integer):
        picked = tnp.take_along_axis(logp, tnp.expand_dims(labels, axis), axis=axis)
        return -tnp.squeeze(picked, axis=axis)
    return -tnp.sum(_like(labels, logp) * logp, axis=axis)


def categorical_cross_entropy(
    probs, labels, *, axis: int = -1, eps: float = 1e-12, reduction: str = "mean"
):
    """-sum_c y_c log p_c along the class axis, for predicted probabilities p."""
    p = tnp.clip(_inexact(probs), eps, 1.0)
    return _reduce(_class_term(tnp.log(p), labels, axis), reduction)


def softmax_cross_entropy(logits, labels, *, axis: int = -1, reduction: str = "mean"):
    """categorical_cross_entropy(softmax(logits), labels), computed as -sum y log_softmax."""
    return _reduce(_class_term(log_softmax(logits, axis=axis), labels, axis), reduction)


def softmax_cross_entropy_with_integer_labels(logits, labels, *, axis: int = -1, reduction="mean"):
    """softmax_cross_entropy with class indices as labels (optax's name)."""
    labels = tnp.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integer class indices, got {labels.dtype}")
    return softmax_cross_entropy(logits, labels, axis=axis, reduction=reduction)


def mean_squared_error(predictions, targets, *, reduction: str = "mean"):
    """(predictions - targets)**2, averaged over every element by default."""
    p = _inexact(predictions)
    return _reduce(tnp.square(p - _like(targets, p)), reduction)


def huber_loss(predictions, targets, *, delta: float = 1.0, reduction: str = "mean"):
    """e**2 / 2 for |e| <= delta, delta (|e| - delta / 2) beyond, e = predictions - targets.

    Written as optax does, with q = min(|e|, delta): q**2 / 2 + delta (|e| - q). The
    derivative is continuous, so the tie in min at |e| = delta gives the true derivative
    (delta sign(e)), and abs'(0) = 0 gives 0 at e = 0.
    """
    p = _inexact(predictions)
    err = tnp.abs(p - _like(targets, p))
    quadratic = tnp.minimum(err, delta)
    return _reduce(0.5 * quadratic**2 + delta * (err - quadratic), reduction)
