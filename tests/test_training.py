"""End-to-end training with the transforms: the seed MLP by plain gradient descent with
tj.grad, and a tanh RNN (hidden 32, 50 steps) trained with jit(grad) through scan."""

import numpy as np

import tracejit as tj
import tracejit.numpy as tnp
from tracejit import lax


def test_seed_mlp_trains_by_plain_gradient_descent():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(float)  # XOR-like: needs the hidden layer
    params = [
        (rng.normal(size=(2, 10)) * 0.8, np.zeros(10)),
        (rng.normal(size=(10, 1)) * 0.3, np.zeros(1)),
    ]

    def loss(params, x, y):
        (w1, b1), (w2, b2) = params
        h = tnp.maximum(x @ w1 + b1, 0.0)  # Dense(10, relu)
        p = 1 / (1 + tnp.exp(-(h @ w2 + b2)[:, 0]))  # Dense(1, sigmoid)
        p = tnp.clip(p, 1e-7, 1 - 1e-7)
        return -tnp.mean(y * tnp.log(p) + (1 - y) * tnp.log(1 - p))  # binary cross-entropy

    grad = tj.grad(loss)
    first = float(loss(params, x, y))
    for _ in range(150):
        g = grad(params, x, y)
        params = tj.tree.map(lambda p, d: p - 0.5 * d, params, g)
    last = float(loss(params, x, y))
    assert last < 0.6 * first


def test_tanh_rnn_trains_with_jit_grad_through_scan():
    rng = np.random.default_rng(1)
    hidden, steps, batch = 32, 50, 16
    xs = rng.normal(size=(steps, batch, 1))
    target = np.tanh(np.cumsum(xs[:, :, 0], axis=0)[-1] / 4)  # a running sum, squashed

    def loss(params, xs, target):
        w, u, v = params

        def step(h, x):
            return tnp.tanh(h @ w + x @ u), None

        h, _ = lax.scan(step, tnp.zeros((batch, hidden)), xs)
        return tnp.mean((h @ v - target) ** 2)

    params = (
        rng.normal(size=(hidden, hidden)) * 0.5 / np.sqrt(hidden),
        rng.normal(size=(1, hidden)) * 0.5,
        rng.normal(size=(hidden,)) * 0.1,
    )
    step = tj.jit(tj.value_and_grad(loss))
    opt = tj.optim.adam(2e-2)
    state = opt.init(params)
    first, _ = step(params, xs, target)
    for _ in range(100):
        val, g = step(params, xs, target)
        updates, state = opt.update(g, state, params)
        params = tj.optim.apply_updates(params, updates)
    assert float(val) < 0.5 * float(first)
    # the compiled gradient is the interpreted one
    _, g_eager = tj.value_and_grad(loss)(params, xs, target)
    for a, b in zip(step(params, xs, target)[1], g_eager):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
