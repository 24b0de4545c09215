"""python -m tracejit.demo: train the seed network and compare its speed.

The seed example: Dense(10) -> relu -> Dense(1) -> sigmoid, binary cross-entropy, Adam,
full-batch on two interleaved half-moons (2000 points). One training step is
``value_and_grad(loss)`` plus the Adam update, and it runs three ways:

  tj.jit(step)        traced once, compiled by Numba; the first calls run on the
                      interpreter while Numba compiles in a background thread
  step                tracejit without jit: traced again at every call, NumPy ops
  numpy_step          the same step written by hand in NumPy (forward, backward, Adam)

The loss column falls; ms/step shows the switch from the interpreter to machine code.
Options: --steps N (default 1000), --points N (default 2000), --seed N.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tracejit as tj
from tracejit import nn, optim, random

LEARNING_RATE = 0.05


def two_moons(n: int, noise: float, rng: np.random.Generator):
    """Points on two interleaved half circles, label 0 or 1, with Gaussian noise."""
    t = rng.uniform(0.0, np.pi, n)
    label = rng.integers(0, 2, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.where(label[:, None] == 0, upper, lower) + rng.normal(0.0, noise, (n, 2))
    return x, label.astype(np.float64)[:, None]


init_net, apply_net = nn.serial(nn.Dense(10), nn.Relu, nn.Dense(1), nn.Sigmoid)
opt = optim.adam(LEARNING_RATE)


def loss_fn(params, x, y):
    return nn.binary_cross_entropy(apply_net(params, x), y)


def step(params, opt_state, x, y):
    """One full-batch Adam step: returns the new params and state, and the loss before."""
    loss, grads = tj.value_and_grad(loss_fn)(params, x, y)
    updates, opt_state = opt.update(grads, opt_state, params)
    return optim.apply_updates(params, updates), opt_state, loss


def numpy_step(params, moments, x, y, b1=0.9, b2=0.999, eps=1e-8):
    """``step`` by hand in NumPy: the same forward pass, backward pass and Adam update."""
    (w1, c1), _, (w2, c2), _ = params
    count, mu, nu = moments
    h = x @ w1 + c1
    a = np.maximum(h, 0.0)
    z = a @ w2 + c2
    prob = 1.0 / (1.0 + np.exp(-z))
    p = np.clip(prob, 1e-12, 1.0 - 1e-12)
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    dz = (prob - y) / len(x)  # d loss / d z through the sigmoid
    da = dz @ w2.T
    dh = da * (h > 0.0)
    grads = [x.T @ dh, dh.sum(0), a.T @ dz, dz.sum(0)]
    count += 1
    new = []
    for i, (w, g) in enumerate(zip((w1, c1, w2, c2), grads, strict=True)):
        mu[i] = b1 * mu[i] + (1.0 - b1) * g
        nu[i] = b2 * nu[i] + (1.0 - b2) * g * g
        m_hat, v_hat = mu[i] / (1.0 - b1**count), nu[i] / (1.0 - b2**count)
        new.append(w - LEARNING_RATE * m_hat / (np.sqrt(v_hat) + eps))
    return [(new[0], new[1]), (), (new[2], new[3]), ()], (count, mu, nu), loss


def steps_per_second(run, min_time: float = 0.25, repeats: int = 3) -> float:
    """Best rate over a few timed runs of ``run(n)``, n grown until a run takes min_time."""

    def timed(n):
        t0 = time.perf_counter()
        run(n)
        return time.perf_counter() - t0

    n, dt = 1, timed(1)
    while dt < min_time:
        n = max(2 * n, int(1.2 * n * min_time / max(dt, 1e-9)))
        dt = timed(n)
    return max([n / dt] + [n / timed(n) for _ in range(repeats - 1)])


def accuracy(params, x, y) -> float:
    return float(np.mean((apply_net(params, x) > 0.5) == (y > 0.5)))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    x, y = two_moons(args.points, 0.2, rng)
    x_test, y_test = two_moons(1000, 0.2, rng)
    _, params = init_net(random.key(args.seed), (-1, 2))
    opt_state = opt.init(params)
    print("tracejit demo: Dense(10) -> relu -> Dense(1) -> sigmoid, binary cross-entropy,")
    print(f"Adam(lr={LEARNING_RATE}), full batch: two moons, {args.points} training points\n")

    jstep = tj.jit(step)
    print(" step      loss   ms/step   (tj.jit(step); value_and_grad + Adam inside)")
    t_start = t_block = time.perf_counter()
    first_call = None
    for i in range(args.steps + 1):
        params, opt_state, loss = jstep(params, opt_state, x, y)
        if first_call is None:
            first_call = time.perf_counter() - t_start
        if i % 100 == 0:
            now = time.perf_counter()
            ms = 1e3 * (now - t_block) / (100 if i else 1)
            print(f"{i:5d}  {float(loss):8.4f}  {ms:8.3f}")
            t_block = now
    train_time = time.perf_counter() - t_start
    t0 = time.perf_counter()
    jstep.compile(params, opt_state, x, y)  # returns at once if machine code is ready
    waited = time.perf_counter() - t0
    print(
        f"\n{args.steps} steps in {train_time:.2f} s; the first call returned after "
        f"{1e3 * first_call:.0f} ms (interpreter, while Numba compiled in the background)"
    )
    if waited > 0.01:
        print(f"waited {waited:.2f} s more for machine code")
    print(
        f"accuracy: {100 * accuracy(params, x, y):.1f}% on the training points, "
        f"{100 * accuracy(params, x_test, y_test):.1f}% on 1000 new points\n"
    )

    state = {"jit": (params, opt_state), "eager": (params, opt_state)}

    def run_jit(n):
        p, s = state["jit"]
        for _ in range(n):
            p, s, _ = jstep(p, s, x, y)
        state["jit"] = (p, s)

    def run_eager(n):
        p, s = state["eager"]
        for _ in range(n):
            p, s, _ = step(p, s, x, y)
        state["eager"] = (p, s)

    flat = [params[0][0], params[0][1], params[2][0], params[2][1]]
    np_state = {
        "p": params,
        "m": (0, [np.zeros_like(w) for w in flat], [np.zeros_like(w) for w in flat]),
    }

    def run_numpy(n):
        p, m = np_state["p"], np_state["m"]
        for _ in range(n):
            p, m, _ = numpy_step(p, m, x, y)
        np_state["p"], np_state["m"] = p, m

    rates = {
        "tj.jit(step)": steps_per_second(run_jit),
        "step without jit (tracejit on NumPy)": steps_per_second(run_eager, repeats=2),
        "hand-written NumPy": steps_per_second(run_numpy),
    }
    print(f"speed of one training step ({args.points} points, best of a few runs):")
    top = rates["tj.jit(step)"]
    for name, rate in rates.items():
        rel = "" if name == "tj.jit(step)" else f"   tj.jit is {top / rate:.1f}x faster"
        print(f"  {name:38s} {rate:9.0f} steps/s  {1e3 / rate:7.3f} ms{rel}")


if __name__ == "__main__":
    main()
