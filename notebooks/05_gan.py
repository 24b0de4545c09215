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
# # A GAN on a ring of Gaussians
#
# A generative adversarial network (Goodfellow et al. 2014) trains two networks against
# each other: a **generator** `G` that turns noise into samples, and a **discriminator**
# `D` that tells real samples from generated ones. The target here is the classic toy
# problem: eight Gaussians on a circle of radius 2. It is easy to look at, and it shows
# GAN failure modes plainly (a collapsed generator covers one or two of the modes).
#
# One training step updates `D` and then `G`, with the non-saturating generator loss.
# The whole step, including drawing real and noise samples with `tracejit.random`, is
# one compiled function.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tracejit as tj
import tracejit.numpy as tnp
from tracejit import nn, optim, random

RADIUS, MODES, STD = 2.0, 8, 0.05
NOISE_DIM, BATCH = 4, 128


def sample_target(key, n):
    """n points from the ring: a random mode, plus Gaussian noise of std STD."""
    k_mode, k_noise = random.split(key)
    angle = random.randint(k_mode, (n,), 0, MODES) * (2 * np.pi / MODES)
    centres = RADIUS * tnp.stack([tnp.cos(angle), tnp.sin(angle)], axis=1)
    return centres + STD * random.normal(k_noise, (n, 2))


target = sample_target(random.key(42), 2000)
fig, ax = plt.subplots(figsize=(3.5, 3.5))
ax.scatter(*target.T, s=2)
ax.set_aspect("equal")
ax.set_title("the target distribution")
plt.show()

# %% [markdown]
# ## Networks and losses
#
# Both networks are small MLPs from `nn.serial`. The discriminator outputs a logit;
# with `nn.softplus`, its loss is the binary cross-entropy of "real" against "fake"
# written stably: `-log σ(D(x)) = softplus(-D(x))`.

# %%
init_g, generate = nn.serial(nn.Dense(64), nn.Tanh, nn.Dense(64), nn.Tanh, nn.Dense(2))
init_d, discriminate = nn.serial(nn.Dense(64), nn.Tanh, nn.Dense(64), nn.Tanh, nn.Dense(1))

k_g, k_d, key = random.split(random.key(0), 3)
params_g = init_g(k_g, (-1, NOISE_DIM))[1]
params_d = init_d(k_d, (-1, 2))[1]


def d_loss(params_d, params_g, real, noise):
    fake = generate(params_g, noise)
    return tnp.mean(nn.softplus(-discriminate(params_d, real))) + tnp.mean(
        nn.softplus(discriminate(params_d, fake))
    )


def g_loss(params_g, params_d, noise):
    return tnp.mean(nn.softplus(-discriminate(params_d, generate(params_g, noise))))


opt_d = optim.adam(1e-3, b1=0.5)
opt_g = optim.adam(1e-3, b1=0.5)


@tj.jit
def train_step(params_d, params_g, state_d, state_g, key):
    key, k_real, k_noise_d, k_noise_g = random.split(key, 4)
    real = sample_target(k_real, BATCH)
    noise_d = random.normal(k_noise_d, (BATCH, NOISE_DIM))
    loss_d, grads_d = tj.value_and_grad(d_loss)(params_d, params_g, real, noise_d)
    updates, state_d = opt_d.update(grads_d, state_d, params_d)
    params_d = optim.apply_updates(params_d, updates)

    noise_g = random.normal(k_noise_g, (BATCH, NOISE_DIM))
    loss_g, grads_g = tj.value_and_grad(g_loss)(params_g, params_d, noise_g)
    updates, state_g = opt_g.update(grads_g, state_g, params_g)
    params_g = optim.apply_updates(params_g, updates)
    return params_d, params_g, state_d, state_g, key, loss_d, loss_g


# %% [markdown]
# ## Training
#
# 1500 steps; every 300 we keep a batch of generated samples to watch the generator
# find the ring.

# %%
state_d, state_g = opt_d.init(params_d), opt_g.init(params_g)
t0 = time.perf_counter()
train_step.compile(params_d, params_g, state_d, state_g, key)
print(f"traced and compiled in {time.perf_counter() - t0:.2f} s")

fixed_noise = random.normal(random.key(1), (1000, NOISE_DIM))
snapshots = {0: generate(params_g, fixed_noise)}
losses = []
t0 = time.perf_counter()
for step in range(1, 1501):
    params_d, params_g, state_d, state_g, key, loss_d, loss_g = train_step(
        params_d, params_g, state_d, state_g, key
    )
    losses.append((float(loss_d), float(loss_g)))
    if step % 300 == 0:
        snapshots[step] = generate(params_g, fixed_noise)
print(f"1500 steps in {time.perf_counter() - t0:.2f} s")

# %%
fig, axes = plt.subplots(
    1, len(snapshots), figsize=(2.3 * len(snapshots), 2.5), sharex=True, sharey=True
)
for ax, (step, x) in zip(axes, snapshots.items()):
    ax.scatter(*target.T, s=1, color="0.8")
    ax.scatter(*x.T, s=1, color="C3")
    ax.set_title(f"step {step}")
    ax.set_aspect("equal")
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
fig.suptitle("generated samples (red) against the target (grey)")
fig.tight_layout()
plt.show()

fig, ax = plt.subplots(figsize=(6, 3))
losses = np.array(losses)
ax.plot(losses[:, 0], lw=0.5, label="discriminator")
ax.plot(losses[:, 1], lw=0.5, label="generator")
ax.axhline(2 * np.log(2), color="0.5", ls="--", lw=0.8)
ax.axhline(np.log(2), color="0.5", ls=":", lw=0.8)
ax.set_xlabel("step")
ax.legend()
ax.set_title("losses (dashed: the equilibrium values 2 log 2 and log 2)")
plt.show()

# %% [markdown]
# GAN losses do not fall the way a supervised loss does: at the equilibrium the
# discriminator cannot tell real from fake, its loss is `2 log 2` and the generator's
# `log 2`. Whether the generator is good is judged from its samples.
#
# ## A quantitative check
#
# Two numbers: the mean distance of generated samples to the circle of radius 2 (the
# target's own is `STD·√(π/2) ≈ 0.06`; the untrained generator's is over 1), and how
# many of the eight modes get at least 5% of the samples that land near the ring.

# %%
x = generate(params_g, random.normal(random.key(7), (4000, NOISE_DIM)))
r = np.linalg.norm(x, axis=1)
ring_distance = np.mean(np.abs(r - RADIUS))
mode = np.round(np.arctan2(x[:, 1], x[:, 0]) / (2 * np.pi / MODES)).astype(int) % MODES
near = np.abs(r - RADIUS) < 0.3
share = np.bincount(mode[near], minlength=MODES) / len(x)
untrained = np.mean(np.abs(np.linalg.norm(snapshots[0], axis=1) - RADIUS))
print(f"mean distance to the ring: {ring_distance:.3f} (untrained: {untrained:.3f})")
print("share of samples near each mode:", np.round(share, 3))

assert ring_distance < 0.25
assert np.sum(share >= 0.05) >= 6
