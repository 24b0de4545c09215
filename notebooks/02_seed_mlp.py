# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The seed example: a small classifier, end to end
#
# The network tracejit was built around: **Dense(10) → relu → Dense(1) → sigmoid**,
# trained with **binary cross-entropy** and **Adam** on a synthetic 2-D data set (two
# interleaved half-moons). Everything comes from tracejit:
#
# * `tracejit.nn`: layers as `(init, apply)` pairs (like `jax.example_libraries.stax`),
#   activations and losses (like `jax.nn` and optax's losses);
# * `tracejit.optim`: Adam as a pure `(init, update)` pair over pytrees (like optax);
# * `tracejit.random`: explicit keys for the initial weights (like `jax.random`);
# * `tj.value_and_grad` and `tj.jit` for the training step.
#
# Then we compare its speed with the same step written by hand in NumPy.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tracejit as tj
from tracejit import nn, optim, random

# %% [markdown]
# ## Data: two moons


# %%
def two_moons(n, noise, rng):
    """Points on two interleaved half circles, label 0 or 1, with Gaussian noise."""
    t = rng.uniform(0.0, np.pi, n)
    label = rng.integers(0, 2, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.where(label[:, None] == 0, upper, lower) + rng.normal(0.0, noise, (n, 2))
    return x, label.astype(np.float64)[:, None]


rng = np.random.default_rng(0)
x_train, y_train = two_moons(1000, 0.2, rng)
x_test, y_test = two_moons(1000, 0.2, rng)

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.scatter(*x_train.T, c=y_train[:, 0], cmap="coolwarm", s=6)
ax.set_title("training set: 1000 points")
ax.set_aspect("equal")
plt.show()

# %% [markdown]
# ## The model, the loss, the optimiser
#
# `nn.serial` chains layers. `init(key, input_shape)` returns the output shape and the
# parameters, a list with one entry per layer (`(W, b)` for `Dense`, `()` for the
# activations). Parameters are plain pytrees of NumPy arrays.

# %%
init_net, apply_net = nn.serial(nn.Dense(10), nn.Relu, nn.Dense(1), nn.Sigmoid)
out_shape, params0 = init_net(random.key(0), (-1, 2))
print("output shape:", out_shape)
print("parameter shapes:", tj.tree.map(np.shape, params0))


def loss_fn(params, x, y):
    return nn.binary_cross_entropy(apply_net(params, x), y)


opt = optim.adam(0.05)


def step(params, opt_state, x, y):
    loss, grads = tj.value_and_grad(loss_fn)(params, x, y)
    updates, opt_state = opt.update(grads, opt_state, params)
    return optim.apply_updates(params, updates), opt_state, loss


train_step = tj.jit(step)


def accuracy(params, x, y):
    return float(np.mean((apply_net(params, x) > 0.5) == (y > 0.5)))


# %% [markdown]
# ## Training
#
# One full-batch step is `value_and_grad` of the loss plus the Adam update, compiled as
# one Numba function. `compile` waits for the machine code once, before the loop (the
# first call would otherwise run on the NumPy interpreter while Numba compiles).

# %%
t0 = time.perf_counter()
train_step.compile(params0, opt.init(params0), x_train, y_train)
print(f"traced and compiled in {time.perf_counter() - t0:.2f} s")

params, opt_state = params0, opt.init(params0)
losses = []
t0 = time.perf_counter()
for _ in range(500):
    params, opt_state, loss = train_step(params, opt_state, x_train, y_train)
    losses.append(float(loss))
train_time = time.perf_counter() - t0
print(f"500 steps in {train_time:.2f} s; loss {losses[0]:.3f} -> {losses[-1]:.3f}")
print(
    f"accuracy: train {accuracy(params, x_train, y_train):.3f}, "
    f"test {accuracy(params, x_test, y_test):.3f}"
)

assert losses[-1] < 0.25 * losses[0]
assert accuracy(params, x_test, y_test) > 0.95

# %% [markdown]
# ## Loss curve and decision boundary

# %%
gx, gy = np.meshgrid(np.linspace(-1.6, 2.6, 200), np.linspace(-1.1, 1.6, 150))
grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
prob = apply_net(params, grid).reshape(gx.shape)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.semilogy(losses)
ax1.set_xlabel("step")
ax1.set_ylabel("binary cross-entropy")
ax1.set_title("training loss")
ax2.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.6)
ax2.contour(gx, gy, prob, levels=[0.5], colors="black")
ax2.scatter(*x_test.T, c=y_test[:, 0], cmap="coolwarm", s=4, edgecolors="none")
ax2.set_title("P(label = 1) and the 0.5 boundary, on the test set")
ax2.set_aspect("equal")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The same step by hand in NumPy
#
# To know what tracejit saves you, here is the step written out: forward pass, the
# backward pass derived by hand, and Adam. It must compute the same thing; we check it
# against `train_step` on the first step.

# %%
LR, B1, B2, EPS = 0.05, 0.9, 0.999, 1e-8


def numpy_step(params, moments, x, y):
    (w1, c1), _, (w2, c2), _ = params
    count, mu, nu = moments
    h = x @ w1 + c1
    a = np.maximum(h, 0.0)
    prob = 1.0 / (1.0 + np.exp(-(a @ w2 + c2)))
    p = np.clip(prob, 1e-12, 1.0 - 1e-12)
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    dz = (prob - y) / len(x)  # d loss / d logit, through the sigmoid
    dh = (dz @ w2.T) * (h > 0.0)
    grads = [x.T @ dh, dh.sum(0), a.T @ dz, dz.sum(0)]
    count += 1
    new = []
    for i, (w, g) in enumerate(zip((w1, c1, w2, c2), grads)):
        mu[i] = B1 * mu[i] + (1.0 - B1) * g
        nu[i] = B2 * nu[i] + (1.0 - B2) * g * g
        m_hat, v_hat = mu[i] / (1.0 - B1**count), nu[i] / (1.0 - B2**count)
        new.append(w - LR * m_hat / (np.sqrt(v_hat) + EPS))
    return [(new[0], new[1]), (), (new[2], new[3]), ()], (count, mu, nu), loss


def numpy_moments(params):
    leaves = [w for layer in params for w in layer]
    return 0, [np.zeros_like(w) for w in leaves], [np.zeros_like(w) for w in leaves]


p_np, _, loss_np = numpy_step(params0, numpy_moments(params0), x_train, y_train)
p_tj, _, loss_tj = train_step(params0, opt.init(params0), x_train, y_train)
assert np.isclose(loss_np, loss_tj)
for a, b in zip(tj.tree.leaves(p_np), tj.tree.leaves(p_tj)):
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
print("one step: hand-written NumPy and tracejit agree")

# %% [markdown]
# ## Speed
#
# Steps per second for three versions of the same training step, on the same 1000
# points:
#
# * `jit(train_step)`: traced once, compiled by Numba;
# * the hand-written NumPy step (eager NumPy, gradient derived by hand);
# * tracejit without `jit`: `value_and_grad` traces and runs the step again at every
#   call, one NumPy operation at a time (the convenience of autograd, its speed too).
#
# A step on 1000 points is small, so the per-operation overhead of eager NumPy is a
# large part of its time; the compiled step pays one call. (Numbers depend on the
# machine and on how busy it is.)


# %%
def steps_per_second(run, budget=0.4):
    """Best rate over three runs of n steps, n chosen so that a run takes about budget/3."""
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < budget / 6:
        run(1)
        n += 1
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        run(n)
        best = max(best, n / (time.perf_counter() - t))
    return best


state = {}


def run_jit(n):
    p, s = state.get("jit", (params0, opt.init(params0)))
    for _ in range(n):
        p, s, _ = train_step(p, s, x_train, y_train)
    state["jit"] = (p, s)


def run_numpy(n):
    p, m = state.get("numpy", (params0, numpy_moments(params0)))
    for _ in range(n):
        p, m, _ = numpy_step(p, m, x_train, y_train)
    state["numpy"] = (p, m)


def run_eager(n):
    p, s = state.get("eager", (params0, opt.init(params0)))
    for _ in range(n):
        p, s, _ = step(p, s, x_train, y_train)
    state["eager"] = (p, s)


rates = {
    "tracejit jit": steps_per_second(run_jit),
    "NumPy by hand": steps_per_second(run_numpy),
    "tracejit, no jit": steps_per_second(run_eager, budget=0.3),
}
for name, r in rates.items():
    print(f"{name:18} {r:9.0f} steps/s   {1e6 / r:8.1f} µs/step")

fig, ax = plt.subplots(figsize=(6, 2.2))
ax.barh(list(rates), list(rates.values()), color=["C0", "0.6", "C1"])
ax.set_xlabel("training steps per second (more is better)")
ax.invert_yaxis()
plt.show()
