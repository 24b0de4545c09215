"""The MLP shared by mlp_step, per_example_grads and hvp_mlp: ReLU hidden layers, softmax
cross-entropy against one-hot labels, params a tuple of (W, b) pairs. Not a workload.

Hand-derived backprop, with z the logits and p = softmax(z):
  d_L = (p - y) / n;   gW_l = h_{l-1}ᵀ d_l,  gb_l = Σ d_l;   d_{l-1} = (d_l W_lᵀ) ⊙ [a_{l-1} > 0]
"""

import numpy as np


def init(sizes, rng):
    return tuple(
        (rng.standard_normal((m, n)) * np.sqrt(2.0 / m), 0.1 * rng.standard_normal(n))
        for m, n in zip(sizes[:-1], sizes[1:], strict=True)
    )


def data(rng, batch, n_in, n_out):
    x = rng.standard_normal((batch, n_in))
    y = np.eye(n_out)[rng.integers(0, n_out, batch)]
    return x, y


def loss(xp, params, x, y):
    """Mean softmax cross-entropy; x may be one example (n_in,) or a batch (batch, n_in)."""
    h = x
    for W, b in params[:-1]:
        h = xp.maximum(h @ W + b, 0.0)
    W, b = params[-1]
    z = h @ W + b
    z = z - xp.max(z, axis=-1, keepdims=True)
    logp = z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))
    n = x.shape[0] if x.ndim == 2 else 1
    return -xp.sum(y * logp) / n


def forward(params, x):
    """NumPy forward pass keeping what backprop needs: the layer inputs h and softmax p."""
    hs = [x]
    for W, b in params[:-1]:
        hs.append(np.maximum(hs[-1] @ W + b, 0.0))
    W, b = params[-1]
    z = hs[-1] @ W + b
    z = z - z.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return hs, logp


def loss_and_grads(params, x, y, per_example=False):
    """NumPy loss and gradients; per_example gives each example's gradient (batch first)."""
    hs, logp = forward(params, x)
    n = x.shape[0]
    losses = -(y * logp).sum(axis=-1)
    d = np.exp(logp) - y if per_example else (np.exp(logp) - y) / n
    grads = []
    for (W, _), h in zip(reversed(params), reversed(hs), strict=True):
        if per_example:
            grads.append((h[:, :, None] * d[:, None, :], d))
        else:
            grads.append((h.T @ d, d.sum(axis=0)))
        d = (d @ W.T) * (h > 0)
    return (losses if per_example else losses.mean()), tuple(reversed(grads))
