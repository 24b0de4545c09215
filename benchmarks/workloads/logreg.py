"""Logistic regression: loss and gradient w.r.t. the weights, 1000 examples × 100 features.

loss(w) = mean(log(1 + exp(-y ⊙ Xw))), y ∈ {-1, +1};
∇loss = Xᵀ(-y ⊙ σ(-y ⊙ Xw)) / n.
"""

import numpy as np

from benchmarks.workload import Workload

FEATURES = 100


def loss(xp, w, X, y):
    return xp.mean(xp.log(1.0 + xp.exp(-y * (X @ w))))


def make_inputs(n):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, FEATURES))
    w = 0.1 * rng.standard_normal(FEATURES)
    y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
    return {"w": w, "X": X, "y": y}


def value_and_grad(w, X, y):  # NumPy, and also Numba-compatible as written
    m = y * (X @ w)
    value = np.mean(np.log(1.0 + np.exp(-m)))
    r = -y / (1.0 + np.exp(m)) / X.shape[0]
    return value, r @ X  # r @ X rather than X.T @ r: contiguous operands for Numba's BLAS


def reference(inputs):
    return value_and_grad(inputs["w"], inputs["X"], inputs["y"])


def build_ad(fw, inputs):
    vg = fw.jit(fw.value_and_grad(lambda w, X, y: loss(fw.np, w, X, y)))
    return fw.prepare(vg, *fw.asarray((inputs["w"], inputs["X"], inputs["y"])))


def build_numba(inputs):
    import numba

    vg = numba.njit(value_and_grad, cache=True)
    w, X, y = inputs["w"], inputs["X"], inputs["y"]
    return lambda: vg(w, X, y)


WORKLOADS = (
    Workload(
        name="logreg_value_and_grad",
        description="logistic regression value_and_grad, X 1000×100",
        sizes=(1000,),
        size_label="{}×100",
        make_inputs=make_inputs,
        reference=reference,
        build_ad=build_ad,
        build_numba=build_numba,
        min_bytes=lambda n: 8.0 * n * FEATURES,  # X must be read at least once
        notes={"numba": "the NumPy reference under numba.njit"},
    ),
)
