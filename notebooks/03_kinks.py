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
# # Derivatives where there are none: kinks, `where`, straight-through, custom rules
#
# Real models are full of functions that are not differentiable everywhere: `relu`,
# `abs`, `max`, `clip`, rounding, norms. tracejit's rule at a kink is one sentence:
#
# > **At a kink, the derivative is the minimum-norm subgradient of the primitive.**
#
# The subgradients of `abs` at 0 are every slope in [-1, 1]; the one closest to zero is
# 0. For `maximum(x, y)` at a tie they are the convex hull of (1, 0) and (0, 1); the
# shortest is (½, ½). For `max` over k tied elements it is 1/k each. And a tangent (or
# cotangent) of zero stays zero even when multiplied by an infinite or NaN partial
# derivative: a linear map sends 0 to 0. That last rule is what makes `where` safe.
#
# This notebook computes the table live, compares it with JAX (described, not
# imported), then shows `where`-NaN safety, straight-through rounding, gradient clipping
# with `custom_vjp`, and `check_grads`.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tracejit as tj
import tracejit.numpy as tnp
from tracejit import nn

# %% [markdown]
# ## The kink table
#
# Each row is computed twice, by reverse mode (`grad`) and forward mode (`jacfwd`);
# both must give the convention. The last column is what JAX gives for the same
# expression with `jax.numpy` (from JAX's rules; JAX is not imported here).


# %%
ties = np.array([1.0, 3.0, 3.0, 3.0])
table = [
    # (expression, function, point, argnums, convention, what JAX gives)
    ("nn.relu(x), x=0", nn.relu, (0.0,), 0, 0.0, "0"),
    ("maximum(x, 0), x=0", lambda x: tnp.maximum(x, 0.0), (0.0,), 0, 0.5, "0.5"),
    ("nn.leaky_relu, x=0", nn.leaky_relu, (0.0,), 0, 0.01, "1"),
    ("nn.hard_tanh, x=1", nn.hard_tanh, (1.0,), 0, 0.0, "1"),
    ("abs(x), x=0", tnp.abs, (0.0,), 0, 0.0, "1"),
    ("sign(x), x=0", tnp.sign, (0.0,), 0, 0.0, "0"),
    ("maximum(x, y), x=y", tnp.maximum, (1.0, 1.0), (0, 1), (0.5, 0.5), "(0.5, 0.5)"),
    ("minimum(x, y), x=y", tnp.minimum, (1.0, 1.0), (0, 1), (0.5, 0.5), "(0.5, 0.5)"),
    ("clip(x, 0, 1), x=0", lambda x: tnp.clip(x, 0.0, 1.0), (0.0,), 0, 0.5, "0.5 (lax.clamp: 0)"),
    ("clip(x, 0, 1), x=1", lambda x: tnp.clip(x, 0.0, 1.0), (1.0,), 0, 0.5, "0.5 (lax.clamp: 0)"),
    ("max([1,3,3,3])", tnp.max, (ties,), 0, np.array([0, 1, 1, 1]) / 3, "1/3 each tie"),
    ("floor(x), x=1", tnp.floor, (1.0,), 0, 0.0, "0"),
    ("round(x), x=0.5", tnp.round, (0.5,), 0, 0.0, "0"),
    ("norm(x), x=0", tnp.linalg.norm, (np.zeros(3),), 0, np.zeros(3), "NaN"),
    ("sqrt(x), x=0", tnp.sqrt, (0.0,), 0, np.inf, "inf"),
]


def fmt(v):
    if isinstance(v, tuple):
        return ", ".join(fmt(a) for a in v)
    a = np.asarray(v, float)
    return f"{a:.3g}" if a.ndim == 0 else "[" + " ".join(f"{e:.2g}" for e in a) + "]"


print(f"{'expression':20} {'grad (reverse)':20} {'jacfwd (forward)':20} JAX gives (jax.nn, jnp)")
for name, fn, args, argnums, want, jax_says in table:
    rev = tj.grad(fn, argnums=argnums)(*args)
    fwd = tj.jacfwd(fn, argnums=argnums)(*args)
    print(f"{name:20} {fmt(rev):20} {fmt(fwd):20} {jax_says}")
    for got in (rev, fwd):
        np.testing.assert_array_equal(np.asarray(got, float), np.asarray(want, float))

# %% [markdown]
# Three things to read from it:
#
# * **The convention applies per primitive, and composites inherit it through the chain
#   rule.** `nn.relu` has derivative 0 at 0, the minimum-norm subgradient of relu (the
#   slopes there are [0, 1]). Written as `maximum(x, 0)` it is a tie of `maximum`, whose
#   minimum-norm subgradient *in both arguments* is (½, ½); the constant 0 drops its
#   half, leaving ½. `clip` is `maximum` then `minimum`, so it too gives ½ at each bound.
#   JAX behaves the same way on these (its `jax.nn.relu` has a custom rule for exactly
#   this reason).
# * **`tracejit.nn` activations follow the convention at their kinks**: `leaky_relu` at 0
#   takes the slope nearest zero of {0.01, 1}, `hard_tanh` at ±1 takes 0 from {0, 1}.
#   JAX's versions pick the slope of one side (1 in both cases).
# * **Other differences from JAX: `abs` and `norm` at 0.** JAX's `abs` uses the
#   derivative of the `x ≥ 0` side, 1; tracejit takes 0, the middle of [-1, 1]. JAX's
#   `norm` computes `sqrt(sum(x**2))`, whose derivative at 0 is `inf · 0 = NaN`;
#   tracejit gives 0, the minimum-norm subgradient (every vector in the unit ball is a
#   subgradient there). Gradients of distances, `std` and `hypot` between equal points
#   stay finite.
# * **An infinite derivative is not a kink.** `sqrt` at 0 really has slope +∞, and
#   tracejit reports it.
#
# A picture of the same thing: each function (grey) with its derivative computed by
# `vmap(grad(f))` on a grid that contains the kink exactly, and the kink's value marked.

# %%
kinked = [
    ("nn.relu", nn.relu, 0.0),
    ("maximum(x, 0)", lambda x: tnp.maximum(x, 0.0), 0.0),
    ("abs", tnp.abs, 0.0),
    ("clip(x, -1, 1)", lambda x: tnp.clip(x, -1.0, 1.0), 1.0),
    ("round", tnp.round, 0.5),
    ("norm([x, 0])", lambda x: tnp.linalg.norm(tnp.stack([x, 0.0 * x])), 0.0),
]
grid = np.linspace(-2, 2, 401)  # contains -1, 0, 0.5 and 1 exactly
fig, axes = plt.subplots(2, 3, figsize=(10, 5), sharex=True)
for ax, (name, fn, kink) in zip(axes.flat, kinked):
    ax.plot(grid, [fn(x) for x in grid], color="0.6", label="f")
    ax.plot(grid, tj.vmap(tj.grad(fn))(grid), ".", ms=2, label="f′")
    ax.plot([kink], [tj.grad(fn)(kink)], "o", color="C3", label="f′ at the kink")
    ax.set_title(name)
axes[0, 0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## `where` does not leak NaN
#
# A classic trap: `where(x > 0, sqrt(x), 0)` is a perfectly good function, but at
# `x = -1` the unselected branch `sqrt(-1)` is NaN and so is its derivative. Reverse
# mode multiplies that derivative by the branch's cotangent, which is 0, and in IEEE
# arithmetic `0 · NaN = NaN`. JAX returns NaN here (and at `x = 0`, from `0 · inf`) and
# recommends the "double `where`" trick (clean the input of `sqrt` too). In tracejit a
# zero cotangent stays zero, so the gradient is 0 without the trick.

# %%
safe = lambda x: tnp.where(x > 0, tnp.sqrt(x), 0.0)  # noqa: E731
for x in (-1.0, 0.0, 4.0):
    print(f"grad at {x:4}: {tj.grad(safe)(x)}")
assert tj.grad(safe)(-1.0) == 0.0
assert tj.grad(safe)(0.0) == 0.0
assert tj.grad(safe)(4.0) == 0.25

# the same holds in forward mode, at second order and under vmap
xs = np.array([-1.0, 0.0, 4.0])
assert np.array_equal(tj.vmap(tj.grad(safe))(xs), [0.0, 0.0, 0.25])
assert np.array_equal(tj.vmap(tj.grad(tj.grad(safe)))(xs), [0.0, 0.0, -1 / 32])
assert tj.jvp(safe, (-1.0,), (1.0,))[1] == 0.0

# and for an entropy term with a guarded log (as in NumPy, the discarded branch computes
# 0 · log 0 = NaN in the forward pass; errstate silences NumPy's warning about it)
x_log = np.array([0.0, 0.5, 1.0])
with np.errstate(invalid="ignore", divide="ignore"):
    g = tj.grad(lambda p: tnp.sum(tnp.where(p > 0, p * tnp.log(p), 0.0)))(x_log)
print("grad of sum(p log p) guarded at p=0:", g)
assert np.all(np.isfinite(g))

# %% [markdown]
# ## Straight-through rounding
#
# Rounding has derivative 0 almost everywhere, so a model that quantises its weights
# gets no gradient through them. The straight-through estimator rounds in the forward
# pass and pretends the rounding was the identity in the backward pass:
# `tj.straight_through(f)(x) = x + stop_gradient(f(x) - x)`.
#
# Below, a weight vector quantised to multiples of ¼ is fitted to a target. With plain
# `round` its gradient is exactly zero and nothing moves; with the straight-through
# estimator it learns.

# %%
quantise = lambda w: tnp.round(4 * w) / 4  # noqa: E731
quantise_st = tj.straight_through(quantise)
target = np.array([0.75, -1.25, 2.0, 0.5])


def fit(q, steps=60, lr=0.1):
    w = np.zeros(4) + 0.1
    loss = lambda w: tnp.sum((q(w) - target) ** 2)  # noqa: E731
    step = tj.jit(lambda w: w - lr * tj.grad(loss)(w))
    history = []
    for _ in range(steps):
        history.append(float(loss(w)))
        w = step(w)
    return w, history


w_plain, hist_plain = fit(quantise)
w_st, hist_st = fit(quantise_st)

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(hist_plain, label="round (zero gradient)")
ax.plot(hist_st, label="straight_through(round)")
ax.set_xlabel("step")
ax.set_ylabel("loss")
ax.legend()
plt.show()

print("quantised weights:", quantise(w_st), "target:", target)
assert hist_plain[-1] == hist_plain[0]  # stuck
assert hist_st[-1] == 0.0  # the quantised weights hit the target exactly
assert tj.grad(lambda w: tnp.sum(quantise_st(w)))(np.array([0.3])) == 1.0

# %% [markdown]
# ## Gradient clipping with `custom_vjp`
#
# `custom_vjp` replaces the backward pass of a function. Here the function is the
# identity, and its backward pass clips the incoming cotangent: a per-value gradient
# clip you can put anywhere in a model. `nondiff_argnums` marks the bounds as
# configuration, not inputs to differentiate.


# %%
from functools import partial  # noqa: E402


@partial(tj.custom_vjp, nondiff_argnums=(0, 1))
def clip_gradient(lo, hi, x):
    return x  # identity in the forward pass


def clip_gradient_fwd(lo, hi, x):
    return x, None  # no residuals needed


def clip_gradient_bwd(lo, hi, res, ct):
    return (tnp.clip(ct, lo, hi),)  # one cotangent per differentiable input


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)

t = np.linspace(0, 10, 500)
f_plain = lambda x: tnp.sin(3 * x)  # noqa: E731
f_clipped = lambda x: clip_gradient(-1.0, 1.0, tnp.sin(3 * x))  # noqa: E731
g_plain = tj.vmap(tj.grad(f_plain))(t)
g_clip = tj.vmap(tj.grad(lambda x: 2 * clip_gradient(-0.75, 0.75, f_plain(x))))(t)

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(t, f_plain(t), color="0.6", label="sin(3x)")
ax.plot(t, g_plain, label="grad: 3 cos(3x)")
ax.plot(t, g_clip, label="grad of 2·clip_gradient(±0.75, sin(3x))")
ax.legend(fontsize=8, loc="lower left")
plt.show()

assert np.allclose(f_clipped(t), f_plain(t))  # forward unchanged
assert np.allclose(g_clip, 3 * np.cos(3 * t) * np.clip(2.0, -0.75, 0.75))
assert np.allclose(
    tj.jit(tj.grad(lambda x: 2 * clip_gradient(-0.75, 0.75, tnp.sin(3 * x))))(1.0),
    3 * np.cos(3.0) * 0.75,
)

# %% [markdown]
# The cotangent arriving at `clip_gradient` is 2 (from the `2 ·`), which is clipped to
# 0.75 before it meets the chain rule for `sin(3x)`.
#
# ## `check_grads`
#
# `tj.check_grads(f, args, order)` compares forward and reverse mode with central
# finite differences, up to the given order. It is the first thing to run on a custom
# rule. Here it passes on a correct rule for softplus and catches a wrong one (which
# returns sigmoid(x)² as the derivative instead of sigmoid(x)).


# %%
@tj.custom_jvp
def softplus(x):
    return tnp.logaddexp(0.0, x)


@softplus.defjvp
def softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1 + tnp.exp(-x))


@tj.custom_jvp
def softplus_wrong(x):
    return tnp.logaddexp(0.0, x)


@softplus_wrong.defjvp
def softplus_wrong_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus_wrong(x), t / (1 + tnp.exp(-x)) ** 2  # wrong: squared


x0 = np.array([-1.5, 0.3, 2.0])
tj.check_grads(softplus, (x0,), order=2)
print("softplus: derivatives agree with finite differences up to order 2")

try:
    tj.check_grads(softplus_wrong, (x0,), order=1)
except AssertionError as err:
    caught = err
    print("softplus_wrong:", str(err).splitlines()[0])
else:
    caught = None
assert caught is not None

# %% [markdown]
# `check_grads` also knows about kinks: finite differences straddling a kink are
# meaningless, so when a check fails it retries once at a point nudged slightly away
# (`nudge=True`, the default). `nn.relu` at exactly 0 passes for that reason; with
# `nudge=False` the finite difference (½) disagrees with the convention (0).

# %%
tj.check_grads(nn.relu, (np.array([0.0, 1.0]),), order=1)
try:
    tj.check_grads(nn.relu, (np.array([0.0, 1.0]),), order=1, nudge=False)
    at_kink_fails = False
except AssertionError:
    at_kink_fails = True
print("check at the kink without nudge fails:", at_kink_fails)
assert at_kink_fails
