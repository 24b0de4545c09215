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
# # DQN on cart-pole
#
# Deep Q-learning (Mnih et al. 2015) learns `Q(s, a)`, the return expected after taking
# action `a` in state `s`, by regressing it on the one-step target
# `r + γ max_a' Q_target(s', a')`. Two ingredients make it stable enough to work:
#
# * a **replay buffer**: training batches are drawn from past transitions, not the
#   latest (correlated) ones;
# * a **target network**: a copy of the Q-network, refreshed every few hundred steps,
#   provides the targets, so they do not move with every update.
#
# The environment is the classic cart-pole, written in NumPy below (the equations of
# Gym's `CartPole-v1`): push a cart left or right to keep a pole upright; reward 1 per
# step, an episode ends when the pole tilts past 12° or the cart leaves the track, or
# after 200 steps.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tracejit as tj
import tracejit.numpy as tnp
from tracejit import nn, optim, random

# %% [markdown]
# ## The environment


# %%
class CartPole:
    """Cart-pole (Barto, Sutton & Anderson 1983) with Gym's CartPole-v1 constants."""

    gravity, cart_mass, pole_mass, half_length, force, dt = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02

    def __init__(self, seed, max_steps=200):
        self.rng = np.random.default_rng(seed)
        self.max_steps = max_steps

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, size=4)  # x, x', θ, θ'
        self.t = 0
        return self.state.copy()

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force if action == 1 else -self.force
        cos, sin = np.cos(theta), np.sin(theta)
        total = self.cart_mass + self.pole_mass
        pml = self.pole_mass * self.half_length
        tmp = (force + pml * theta_dot**2 * sin) / total
        theta_acc = (self.gravity * sin - cos * tmp) / (
            self.half_length * (4 / 3 - self.pole_mass * cos**2 / total)
        )
        x_acc = tmp - pml * theta_acc * cos / total
        self.state = np.array(
            [
                x + self.dt * x_dot,
                x_dot + self.dt * x_acc,
                theta + self.dt * theta_dot,
                theta_dot + self.dt * theta_acc,
            ]
        )
        self.t += 1
        failed = abs(self.state[0]) > 2.4 or abs(self.state[2]) > 12 * np.pi / 180
        return self.state.copy(), 1.0, failed, self.t >= self.max_steps


env = CartPole(seed=1)
rng = np.random.default_rng(0)
random_returns = []
for _ in range(50):
    env.reset()
    ret, done = 0.0, False
    while not done:
        _, r, failed, timeout = env.step(rng.integers(2))
        ret, done = ret + r, failed or timeout
    random_returns.append(ret)
print(f"random policy: mean return {np.mean(random_returns):.1f} (the maximum is 200)")

# %% [markdown]
# ## Q-network, loss and update
#
# A two-layer MLP maps the 4 state variables to the 2 action values. The loss is the
# Huber loss between `Q(s, a)` and the target, which the target network computes
# (`stop_gradient` is implicit: the target parameters are a separate argument that we
# do not differentiate).

# %%
init_q, q_values = nn.serial(nn.Dense(32), nn.Relu, nn.Dense(32), nn.Relu, nn.Dense(2))
_, params = init_q(random.key(0), (-1, 4))
GAMMA = 0.99
opt = optim.adam(1e-3)


def td_loss(params, target_params, s, a, r, s_next, failed):
    q = tnp.sum(q_values(params, s) * nn.one_hot(a, 2), axis=1)
    q_next = tnp.max(q_values(target_params, s_next), axis=1)
    target = r + GAMMA * (1.0 - failed) * q_next  # no future after a failure
    return nn.huber_loss(q, target)


@tj.jit
def train_step(params, target_params, opt_state, s, a, r, s_next, failed):
    loss, grads = tj.value_and_grad(td_loss)(params, target_params, s, a, r, s_next, failed)
    updates, opt_state = opt.update(grads, opt_state, params)
    return optim.apply_updates(params, updates), opt_state, loss


@tj.jit
def greedy_action(params, s):
    return tnp.argmax(q_values(params, s))


# %% [markdown]
# ## The replay buffer and the training loop
#
# The buffer is a ring of NumPy arrays. Actions are ε-greedy, with ε decaying from 1 to
# 0.05 over the first 2000 steps. After 500 warm-up transitions, each environment step
# is followed by one update on a batch of 64 transitions drawn from the buffer; the
# target network is refreshed every 500 steps. Training stops once the last 20 episodes
# average 180 or more, or after 12000 steps.


# %%
class ReplayBuffer:
    def __init__(self, capacity, rng):
        self.s = np.zeros((capacity, 4))
        self.a = np.zeros(capacity, np.int64)
        self.r = np.zeros(capacity)
        self.s_next = np.zeros((capacity, 4))
        self.failed = np.zeros(capacity)
        self.capacity, self.size, self.pos, self.rng = capacity, 0, 0, rng

    def add(self, s, a, r, s_next, failed):
        i = self.pos
        self.s[i], self.a[i], self.r[i], self.s_next[i], self.failed[i] = s, a, r, s_next, failed
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, n):
        i = self.rng.integers(0, self.size, size=n)
        return self.s[i], self.a[i], self.r[i], self.s_next[i], self.failed[i]


BATCH, WARMUP, TARGET_EVERY, MAX_STEPS = 64, 500, 500, 12_000
buffer = ReplayBuffer(10_000, np.random.default_rng(2))
opt_state = opt.init(params)
target_params = params

t0 = time.perf_counter()
example_batch = (
    np.zeros((BATCH, 4)),
    np.zeros(BATCH, np.int64),
    np.zeros(BATCH),
    np.zeros((BATCH, 4)),
    np.zeros(BATCH),
)
train_step.compile(params, target_params, opt_state, *example_batch)
greedy_action.compile(params, np.zeros(4))
print(f"traced and compiled in {time.perf_counter() - t0:.2f} s")

env = CartPole(seed=1)
returns, losses = [], []
best = (-1.0, params)  # (20-episode average, params)
steps = 0
t0 = time.perf_counter()
while steps < MAX_STEPS:
    s, ret, done = env.reset(), 0.0, False
    while not done:
        eps = max(0.05, 1.0 - steps / 2000)
        a = int(rng.integers(2)) if rng.random() < eps else int(greedy_action(params, s))
        s_next, r, failed, timeout = env.step(a)
        buffer.add(s, a, r, s_next, float(failed))
        s, ret, done, steps = s_next, ret + r, failed or timeout, steps + 1
        if buffer.size >= WARMUP:
            params, opt_state, loss = train_step(
                params, target_params, opt_state, *buffer.sample(BATCH)
            )
            losses.append(float(loss))
        if steps % TARGET_EVERY == 0:
            target_params = params
    returns.append(ret)
    average = np.mean(returns[-20:])
    if len(returns) >= 20 and average > best[0]:
        best = (average, params)
    if len(returns) >= 20 and average >= 180:
        break
print(
    f"{len(returns)} episodes, {steps} steps in {time.perf_counter() - t0:.1f} s; "
    f"best 20-episode average return {best[0]:.1f}"
)

# %% [markdown]
# ## The return curve

# %%
smooth = np.convolve(returns, np.ones(20) / 20, mode="valid")
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
ax1.plot(returns, ".", ms=3, color="0.6", label="episode return")
ax1.plot(np.arange(19, len(returns)), smooth, color="C0", label="average of the last 20")
ax1.axhline(np.mean(random_returns), color="C3", ls="--", label="random policy")
ax1.set_xlabel("episode")
ax1.set_ylabel("return")
ax1.legend(fontsize=8)
ax2.semilogy(np.convolve(losses, np.ones(100) / 100, mode="valid"))
ax2.set_xlabel("update")
ax2.set_title("TD loss (moving average of 100)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The learnt policy
#
# The greedy policy from the best parameters (the ones behind the best 20-episode
# average), on 10 fresh episodes, and one episode's trajectory.

# %%
policy = best[1]
eval_env = CartPole(seed=123)
eval_returns, trajectory = [], []
for episode in range(10):
    s, ret, done = eval_env.reset(), 0.0, False
    while not done:
        s, r, failed, timeout = eval_env.step(int(greedy_action(policy, s)))
        ret, done = ret + r, failed or timeout
        if episode == 0:
            trajectory.append(s)
    eval_returns.append(ret)
print("greedy returns:", eval_returns)

trajectory = np.array(trajectory)
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.plot(trajectory[:, 0], label="cart position x (fails at ±2.4)")
ax.plot(np.degrees(trajectory[:, 2]) / 10, label="pole angle θ / 10° (fails at ±1.2)")
ax.set_xlabel("time step")
ax.set_title("one greedy episode")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

assert np.mean(smooth[-5:]) > 3 * np.mean(smooth[:5])  # the return curve rose
assert np.mean(eval_returns) >= 120  # a random policy gets about 21
