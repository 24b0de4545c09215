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
# # A variational autoencoder on 8×8 digits
#
# A VAE (Kingma & Welling 2014) learns an encoder `q(z | x)` and a decoder `p(x | z)`
# by maximising the evidence lower bound
#
# $$\mathrm{ELBO}(x) = \mathbb{E}_{q(z|x)} \log p(x|z)
#   - \mathrm{KL}(q(z|x) \,\|\, \mathcal N(0, I)).$$
#
# The expectation is estimated with one sample, drawn with the **reparameterisation
# trick**: `z = μ + σ ⊙ ε` with `ε ~ N(0, I)` from `tracejit.random`, so the sample is a
# differentiable function of μ and σ and `grad` flows through it. The noise is drawn
# inside the compiled training step, from a key that the step splits and returns, as
# in JAX.
#
# Data: scikit-learn's 8×8 handwritten digits (1797 images) if scikit-learn is
# installed, otherwise a synthetic set of 8×8 strokes.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tracejit as tj
import tracejit.numpy as tnp
from tracejit import nn, optim, random

# %%
try:
    from sklearn.datasets import load_digits

    images = load_digits().images / 16.0  # (1797, 8, 8), pixel values in [0, 1]
    source = "scikit-learn digits"
except ImportError:  # a synthetic stand-in: random horizontal, vertical and diagonal strokes
    rng = np.random.default_rng(0)
    images = np.zeros((1800, 8, 8))
    for img in images:
        for _ in range(rng.integers(1, 3)):
            kind, pos = rng.integers(3), rng.integers(1, 7)
            if kind == 0:
                img[pos, 1:7] = 1.0
            elif kind == 1:
                img[1:7, pos] = 1.0
            else:
                img[np.arange(8), np.arange(8)] = 1.0
    images = np.clip(images + 0.1 * rng.normal(size=images.shape), 0.0, 1.0)
    source = "synthetic strokes"

x_all = images.reshape(len(images), 64)
perm = np.random.default_rng(0).permutation(len(x_all))
x_train, x_test = x_all[perm[:1500]], x_all[perm[1500:]]
print(f"{source}: {len(x_train)} training and {len(x_test)} test images of 8×8 pixels")


def tile(flat_images, cols):
    """Images of 64 pixels as one picture, `cols` per row, a blank pixel between them."""
    rows = -(-len(flat_images) // cols)
    out = np.zeros((rows * 9 + 1, cols * 9 + 1))
    for k, img in enumerate(flat_images):
        r, c = divmod(k, cols)
        out[1 + 9 * r : 9 + 9 * r, 1 + 9 * c : 9 + 9 * c] = img.reshape(8, 8)
    return out


fig, ax = plt.subplots(figsize=(9, 1.8))
ax.imshow(tile(x_train[:24], 12), cmap="gray_r", vmin=0, vmax=1)
ax.set_title("training images")
ax.axis("off")
plt.show()

# %% [markdown]
# ## Model
#
# The encoder maps an image to the mean and log-variance of a 2-D Gaussian; the decoder
# maps a latent point to 64 pixel logits (each pixel a Bernoulli probability, with the
# grey levels as soft targets). A 2-D latent space is small, but it can be drawn.

# %%
LATENT = 2
init_enc, encode = nn.serial(nn.Dense(128), nn.Relu, nn.Dense(2 * LATENT))
init_dec, decode = nn.serial(nn.Dense(128), nn.Relu, nn.Dense(64))

k_enc, k_dec, key = random.split(random.key(0), 3)
params = {"enc": init_enc(k_enc, (-1, 64))[1], "dec": init_dec(k_dec, (-1, LATENT))[1]}


def negative_elbo(params, x, eps):
    """Per-image -ELBO, averaged over the batch; eps ~ N(0, I) gives the sample."""
    h = encode(params["enc"], x)
    mu, logvar = h[:, :LATENT], h[:, LATENT:]
    z = mu + tnp.exp(0.5 * logvar) * eps  # the reparameterisation trick
    logits = decode(params["dec"], z)
    rec = nn.sigmoid_binary_cross_entropy(logits, x, reduction="none").sum(axis=1)
    kl = 0.5 * tnp.sum(tnp.exp(logvar) + mu**2 - 1.0 - logvar, axis=1)
    return tnp.mean(rec + kl), (tnp.mean(rec), tnp.mean(kl))


opt = optim.adam(2e-3)


@tj.jit
def train_step(params, opt_state, key, x):
    key, k_eps = random.split(key)
    eps = random.normal(k_eps, (x.shape[0], LATENT))
    (loss, parts), grads = tj.value_and_grad(negative_elbo, has_aux=True)(params, x, eps)
    updates, opt_state = opt.update(grads, opt_state, params)
    return optim.apply_updates(params, updates), opt_state, key, loss, parts


# %% [markdown]
# ## Training
#
# Minibatches of 100 images, 80 epochs. The key is split inside the step and the new
# key returned: the same starting key gives the same run, compiled or not.

# %%
BATCH, EPOCHS = 100, 80
opt_state = opt.init(params)
t0 = time.perf_counter()
train_step.compile(params, opt_state, key, x_train[:BATCH])
print(f"traced and compiled in {time.perf_counter() - t0:.2f} s")

order_rng = np.random.default_rng(1)
history = []  # (epoch mean loss, reconstruction, KL)
t0 = time.perf_counter()
for _ in range(EPOCHS):
    order = order_rng.permutation(len(x_train))
    sums = np.zeros(3)
    for i in range(0, len(x_train), BATCH):
        batch = x_train[order[i : i + BATCH]]
        params, opt_state, key, loss, (rec, kl) = train_step(params, opt_state, key, batch)
        sums += (loss, rec, kl)
    history.append(sums / (len(x_train) // BATCH))
history = np.array(history)
print(
    f"{EPOCHS} epochs in {time.perf_counter() - t0:.2f} s; "
    f"-ELBO {history[0, 0]:.1f} -> {history[-1, 0]:.1f} nats per image"
)

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(history[:, 0], label="-ELBO")
ax.plot(history[:, 1], label="reconstruction (cross-entropy)")
ax.plot(history[:, 2], label="KL to the prior")
ax.set_xlabel("epoch")
ax.set_ylabel("nats per image")
ax.legend()
plt.show()

test_eps = random.normal(random.key(1), (len(x_test), LATENT))
test_loss = float(negative_elbo(params, x_test, test_eps)[0])
print(f"test -ELBO: {test_loss:.1f} nats per image")
assert history[-1, 0] < 0.75 * history[0, 0]
assert test_loss < 1.15 * history[-1, 0]  # no gross overfitting

# %% [markdown]
# ## Reconstructions
#
# Test images (top) and their reconstructions through the mean of `q(z | x)` (bottom).


# %%
def reconstruct(params, x):
    mu = encode(params["enc"], x)[:, :LATENT]
    return nn.sigmoid(decode(params["dec"], mu))


recon = reconstruct(params, x_test)
fig, ax = plt.subplots(figsize=(9, 1.8))
ax.imshow(tile(np.concatenate([x_test[:12], recon[:12]]), 12), cmap="gray_r", vmin=0, vmax=1)
ax.axis("off")
plt.show()

mean_image_error = np.mean((x_test - x_train.mean(0)) ** 2)
recon_error = np.mean((x_test - recon) ** 2)
print(f"mean squared error per pixel: {recon_error:.4f} (the mean image: {mean_image_error:.4f})")
assert recon_error < 0.7 * mean_image_error

# %% [markdown]
# ## Samples and the latent space
#
# Left: decoded samples `z ~ N(0, I)` from the prior. Right: the test images encoded
# (their latent means), coloured by digit class when the labels are known; the classes
# separate although the VAE never saw a label.

# %%
z = random.normal(random.key(2), (48, LATENT))
samples = nn.sigmoid(decode(params["dec"], z))

grid = np.linspace(-2, 2, 8)
z_grid = np.array([[gx, -gy] for gy in grid for gx in grid])
manifold = nn.sigmoid(decode(params["dec"], z_grid))

fig = plt.figure(figsize=(11, 4))
ax = fig.add_subplot(1, 3, 1)
ax.imshow(tile(samples, 8), cmap="gray_r", vmin=0, vmax=1)
ax.set_title("samples from the prior")
ax.axis("off")
ax = fig.add_subplot(1, 3, 2)
ax.imshow(tile(manifold, 8), cmap="gray_r", vmin=0, vmax=1)
ax.set_title("decoded grid over z ∈ [-2, 2]²")
ax.axis("off")
ax = fig.add_subplot(1, 3, 3)
mu_test = encode(params["enc"], x_test)[:, :LATENT]
if source == "scikit-learn digits":
    labels = load_digits().target[perm[1500:]]
    sc = ax.scatter(*mu_test.T, c=labels, cmap="tab10", s=8)
    fig.colorbar(sc, ax=ax, ticks=range(10))
else:
    ax.scatter(*mu_test.T, s=8)
ax.set_title("test images in latent space")
fig.tight_layout()
plt.show()

# %% [markdown]
# A simple check that samples look like data: each sample's distance to its nearest
# training image, against the same for images of uniform noise with the same mean
# brightness. Samples from a working model sit much closer to the data.


# %%
def nearest_distance(a, b):
    d2 = (a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None, :]
    return np.sqrt(np.maximum(d2.min(1), 0.0))


noise = np.random.default_rng(3).uniform(size=samples.shape)
noise *= samples.mean() / noise.mean()
d_samples = nearest_distance(samples, x_train).mean()
d_noise = nearest_distance(noise, x_train).mean()
print(f"mean distance to the nearest training image: samples {d_samples:.2f}, noise {d_noise:.2f}")
assert d_samples < 0.6 * d_noise
