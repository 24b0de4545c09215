"""Memory saved by rematerialisation: `tj.checkpoint` and `tj.lax.checkpointed_scan`.

Peak bytes allocated by NumPy (tracemalloc sees NumPy's buffers) while computing a
gradient, with and without checkpointing, in one run:

    python -m benchmarks.memory
"""

from __future__ import annotations

import tracemalloc

import numpy as np

import tracejit as tj
import tracejit.numpy as tnp
from tracejit import lax


def peak_bytes(fn, *args) -> tuple[int, object]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, out


def block(x, depth=12):
    for _ in range(depth):
        x = tnp.sin(x) * 1.01
    return x


def chain_loss(x, blocks=8):
    for _ in range(blocks):
        x = block(x)
    return x.sum()


def chain_loss_remat(x, blocks=8):
    for _ in range(blocks):
        x = tj.checkpoint(block)(x)
    return x.sum()


def step(h, x):
    h = tnp.tanh(0.9 * h + x)
    h = tnp.sin(h) * 1.01
    h = tnp.tanh(0.5 * h + 0.1)
    return h, None


def scan_loss(xs):
    h, _ = lax.scan(step, tnp.zeros(xs.shape[1]), xs)
    return (h * h).sum()


def scan_loss_remat(xs):
    h, _ = lax.checkpointed_scan(step, tnp.zeros(xs.shape[1]), xs)
    return (h * h).sum()


def rows():
    x = np.linspace(-1, 1, 200_000)
    xs = np.random.default_rng(0).normal(size=(400, 5_000)) * 0.1
    cases = [
        ("grad of 8 blocks of 12 ops, 2e5 floats", chain_loss, chain_loss_remat, x),
        ("grad through scan, T=400, carry 5e3 floats", scan_loss, scan_loss_remat, xs),
    ]
    out = []
    for name, plain, remat, arg in cases:
        p_plain, g_plain = peak_bytes(tj.grad(plain), arg)
        p_remat, g_remat = peak_bytes(tj.grad(remat), arg)
        np.testing.assert_allclose(g_plain, g_remat, rtol=1e-12, atol=1e-12)
        out.append((name, p_plain, p_remat))
    return out


def main() -> None:
    print("| workload (eager grad) | peak MB plain | peak MB checkpointed | saved |")
    print("| --- | ---: | ---: | ---: |")
    for name, a, b in rows():
        print(f"| {name} | {a / 1e6:.1f} | {b / 1e6:.1f} | {a / b:.1f}x |")


if __name__ == "__main__":
    main()
