"""f(x) = tanh(x) exp(-x²) + sin(x): its gradient at a 0-d input (dispatch-bound) and the
gradient of sum(f(x)) over 1e3..1e6 elements (one fused pass: read x, write the gradient).

Hand-derived: f'(x) = (1 - tanh²x) exp(-x²) - 2x tanh(x) exp(-x²) + cos(x).
"""

import numpy as np

from benchmarks.workload import Workload


def f(xp, x):
    return xp.tanh(x) * xp.exp(-x * x) + xp.sin(x)


def dfdx(x):
    t, e = np.tanh(x), np.exp(-x * x)
    return (1.0 - t * t) * e - 2.0 * x * t * e + np.cos(x)


def _dfdx_loop(x):  # the hand-written Numba kernel: one pass, no temporaries
    out = np.empty_like(x)
    for i in range(x.size):
        xi = x[i]
        t, e = np.tanh(xi), np.exp(-xi * xi)
        out[i] = (1.0 - t * t) * e - 2.0 * xi * t * e + np.cos(xi)
    return out


# ---------------------------------------------------------------- scalar


def scalar_inputs(size):
    return {"x": np.array(0.3)}


def scalar_reference(inputs):
    return dfdx(inputs["x"])


def build_scalar_ad(fw, inputs):
    g = fw.jit(fw.grad(lambda x: f(fw.np, x)))
    return fw.prepare(g, fw.asarray(inputs["x"]))


def build_scalar_numba(inputs):
    import numba

    g, x = numba.njit(dfdx, cache=True), float(inputs["x"])
    return lambda: g(x)


SCALAR = Workload(
    name="scalar_grad",
    description="grad of tanh(x)·exp(-x²)+sin(x) at a 0-d input (dispatch-bound)",
    sizes=(0,),
    size_label="0-d",
    make_inputs=scalar_inputs,
    reference=scalar_reference,
    build_ad=build_scalar_ad,
    build_numba=build_scalar_numba,
    notes={"numba": "the hand-derived f' on a Python float"},
)

# ---------------------------------------------------------------- elementwise


def elementwise_inputs(size):
    return {"x": np.random.default_rng(0).uniform(-3.0, 3.0, size)}


def elementwise_reference(inputs):
    return dfdx(inputs["x"])


def build_elementwise_ad(fw, inputs):
    g = fw.jit(fw.grad(lambda x: fw.np.sum(f(fw.np, x))))
    return fw.prepare(g, fw.asarray(inputs["x"]))


def build_elementwise_numba(inputs):
    import numba

    g, x = numba.njit(_dfdx_loop, cache=True), inputs["x"]
    return lambda: g(x)


ELEMENTWISE = Workload(
    name="elementwise_grad",
    description="grad of sum(tanh(x)·exp(-x²)+sin(x)) (one fused pass)",
    sizes=(1_000, 100_000, 1_000_000),
    size_label="n={}",
    make_inputs=elementwise_inputs,
    reference=elementwise_reference,
    build_ad=build_elementwise_ad,
    build_numba=build_elementwise_numba,
    min_bytes=lambda n: 16.0 * n,  # read x, write the gradient
    notes={"numba": "hand-written loop, one pass"},
)

WORKLOADS = (SCALAR, ELEMENTWISE)
