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
# # tracejit in ten minutes
#
# tracejit gives NumPy code JAX's composable transforms: `grad` differentiates,
# `vmap` batches, `jit` compiles with Numba, and they nest in any order. You write
# ordinary NumPy with `tracejit.numpy` (imported as `tnp`) and get NumPy arrays back.
#
# This notebook covers `grad`, `vmap`, `jit`, `make_ir` (the traced program),
# `jit(f).source` (the generated code), and a small timing against NumPy.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tracejit as tj
import tracejit.numpy as tnp

# %% [markdown]
# ## `grad`
#
# `tj.grad(f)` returns a function that computes the derivative of a scalar function.
# It composes with itself, so `grad(grad(f))` is the second derivative.


# %%
def f(x):
    return tnp.tanh(x) * tnp.exp(-0.1 * x**2)


df = tj.grad(f)
d2f = tj.grad(tj.grad(f))
print(f(1.0), df(1.0), d2f(1.0))

# central differences agree
h = 1e-5
assert np.isclose(df(1.0), (f(1.0 + h) - f(1.0 - h)) / (2 * h), rtol=1e-7)
assert np.isclose(d2f(1.0), (df(1.0 + h) - df(1.0 - h)) / (2 * h), rtol=1e-6)

# %% [markdown]
# ## `vmap`
#
# `grad(f)` takes a scalar. `vmap` maps it over an axis without a Python loop: the
# batched program is traced once and runs as whole-array operations.

# %%
xs = np.linspace(-6, 6, 400)
ys, dys, d2ys = f(xs), tj.vmap(df)(xs), tj.vmap(d2f)(xs)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(xs, ys, label="f")
ax.plot(xs, dys, label="f′ = vmap(grad(f))")
ax.plot(xs, d2ys, label="f″ = vmap(grad(grad(f)))")
ax.axhline(0, color="0.8", lw=0.8)
ax.legend()
ax.set_title("A function and its derivatives, all from one definition")
plt.show()

assert np.allclose(dys[::40], [df(x) for x in xs[::40]])

# %% [markdown]
# `vmap` works on any function of arrays, with `in_axes` saying which argument is
# batched. Here: per-example gradients of a least-squares loss, one row of `X` at a
# time, without writing the loop.

# %%
rng = np.random.default_rng(0)
X = rng.normal(size=(32, 5))
y = X @ np.arange(1.0, 6.0) + 0.1 * rng.normal(size=32)
w = np.zeros(5)


def loss(w, x, y):
    return (tnp.dot(x, w) - y) ** 2


per_example = tj.vmap(tj.grad(loss), in_axes=(None, 0, 0))(w, X, y)
print(per_example.shape)
assert per_example.shape == (32, 5)
assert np.allclose(per_example, 2 * (X @ w - y)[:, None] * X)

# %% [markdown]
# ## `make_ir`: what tracejit sees
#
# Every transform starts by *tracing* the function: calling it with abstract values
# (shape and dtype only) and recording each primitive operation. `make_ir` shows the
# result. Each line is one equation, with the source line it came from.


# %%
def mse(w, x, y):
    return tnp.mean((x @ w - y) ** 2)


print(tj.make_ir(mse)(w, X, y))

# %% [markdown]
# `grad` is a program transformation: its IR is a new program that computes the
# gradient (forward pass, then the transposed linear part).

# %%
print(tj.make_ir(tj.grad(mse))(w, X, y))

# %% [markdown]
# ## `jit`: compile with Numba
#
# `tj.jit(f)` traces once per argument signature (shapes and dtypes), simplifies the
# IR, and generates plain Python + NumPy source that Numba compiles. The first call
# runs on the NumPy interpreter while machine code is compiled in the background;
# `.compile(*args)` waits for it.

# %%
grad_mse = tj.jit(tj.grad(mse))
g = grad_mse(w, X, y)  # first call: traced, answered by the interpreter
grad_mse.compile(w, X, y)  # block until machine code is ready
g2 = grad_mse(w, X, y)  # machine code

g_numpy = 2 / len(y) * X.T @ (X @ w - y)
assert np.allclose(g, g_numpy) and np.allclose(g2, g_numpy)

# %% [markdown]
# The generated source is one attribute away. Variable names match the IR, each line
# carries its equation as a comment, and chains of elementwise operations and
# reductions become one loop nest (no temporary array per operation).

# %%
print(grad_mse.source)

# %% [markdown]
# ## Gradient descent, compiled
#
# Put it together: a jitted update step for least squares.


# %%
@tj.jit
def step(w, X, y):
    return w - 0.1 * tj.grad(mse)(w, X, y)


w_fit = np.zeros(5)
losses = []
for _ in range(100):
    w_fit = step(w_fit, X, y)
    losses.append(float(mse(w_fit, X, y)))

fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(losses)
ax.set_xlabel("step")
ax.set_ylabel("mean squared error")
plt.show()

w_lstsq = np.linalg.lstsq(X, y, rcond=None)[0]
assert losses[-1] < 0.01 * losses[0]
assert np.allclose(w_fit, w_lstsq, atol=1e-3)

# %% [markdown]
# ## How fast?
#
# We time one function, a smooth loss and its gradient written by hand in NumPy,
# against `jit` of the same expression and its `grad`. On small arrays NumPy pays
# a few microseconds of call overhead per operation; the compiled function pays it
# once. On large arrays the fused loop avoids writing temporaries.
# (Best of seven batches; on a busy machine, read them as rough ratios.)


# %%
def softplus_loss(x):
    return tnp.sum(tnp.logaddexp(0.0, x) - 0.5 * x + 0.1 * x**2)


def softplus_loss_np(x):
    return np.sum(np.logaddexp(0.0, x) - 0.5 * x + 0.1 * x**2)


def softplus_grad_np(x):
    return 1 / (1 + np.exp(-x)) - 0.5 + 0.2 * x


def bench(fn, *args, budget=0.1):
    """Seconds per call: the best of 7 batches, each about budget/7 long."""
    fn(*args)
    n, t0 = 1, time.perf_counter()
    while time.perf_counter() - t0 < budget / 7:
        fn(*args)
        n += 1
    times = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(n):
            fn(*args)
        times.append((time.perf_counter() - t) / n)
    return min(times)


rows = []
for size in (100, 100_000):
    x = np.random.default_rng(1).normal(size=size)
    jf = tj.jit(softplus_loss).compile(x)
    jg = tj.jit(tj.grad(softplus_loss)).compile(x)
    assert np.isclose(jf(x), softplus_loss_np(x))
    assert np.allclose(jg(x), softplus_grad_np(x))
    rows.append(
        (
            size,
            bench(softplus_loss_np, x),
            bench(jf, x),
            bench(softplus_grad_np, x),
            bench(jg, x),
        )
    )

print(f"{'size':>8} {'numpy f':>10} {'jit f':>10} {'numpy df':>10} {'jit grad':>10}  (µs)")
for size, *ts in rows:
    print(f"{size:>8} " + " ".join(f"{t * 1e6:10.1f}" for t in ts))

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
for ax, (size, *ts) in zip(axes, rows):
    labels = ["NumPy f", "jit(f)", "NumPy f′ (by hand)", "jit(grad(f))"]
    ax.barh(labels, np.array(ts) * 1e6, color=["0.6", "C0", "0.6", "C1"])
    ax.set_xlabel("µs per call")
    ax.set_title(f"{size:,} elements")
    ax.invert_yaxis()
fig.tight_layout()
plt.show()

# %% [markdown]
# Next: `03_kinks` for what derivatives mean where a function is not differentiable,
# and `07_how_it_works` for the IR of each transform and the compile cache.
