"""Second order: the dense Hessian of the 10-d Rosenbrock function, and a Hessian-vector
product (forward-over-reverse, jvp of grad) of an MLP loss.

Rosenbrock f(x) = Σᵢ 100 (x_{i+1} - x_i²)² + (1 - x_i)² has a tridiagonal Hessian:
H_ii = 1200 x_i² - 400 x_{i+1} + 2 (i < n-1), plus 200 (i > 0); H_{i,i+1} = -400 x_i.
"""

import numpy as np

from benchmarks.workload import Workload
from benchmarks.workloads import _mlp

# ---------------------------------------------------------------- Rosenbrock Hessian


def rosenbrock(xp, x):
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x):  # loops: NumPy reference and, under numba.njit, the Numba one
    n = x.shape[0]
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
    return H


def rosenbrock_inputs(n):
    return {"x": np.random.default_rng(0).uniform(-2.0, 2.0, n)}


def build_rosenbrock_ad(fw, inputs):
    h = fw.jit(fw.hessian(lambda x: rosenbrock(fw.np, x)))
    return fw.prepare(h, fw.asarray(inputs["x"]))


def build_rosenbrock_numba(inputs):
    import numba

    h, x = numba.njit(rosenbrock_hessian, cache=True), inputs["x"]
    return lambda: h(x)


ROSENBROCK = Workload(
    name="hessian_rosenbrock",
    description="dense Hessian of the Rosenbrock function",
    sizes=(10,),
    size_label="{}-d",
    make_inputs=rosenbrock_inputs,
    reference=lambda inputs: rosenbrock_hessian(inputs["x"]),
    build_ad=build_rosenbrock_ad,
    build_numba=build_rosenbrock_numba,
    notes={"numpy": "hand-derived tridiagonal Hessian, a Python loop"},
)

# ---------------------------------------------------------------- MLP Hessian-vector product

MLP_SIZES = (64, 128, 128, 10)


def hvp_inputs(batch):
    rng = np.random.default_rng(0)
    x, y = _mlp.data(rng, batch, MLP_SIZES[0], MLP_SIZES[-1])
    params = _mlp.init(MLP_SIZES, rng)
    v = _mlp.init(MLP_SIZES, rng)
    return {"params": params, "v": v, "x": x, "y": y}


def hvp_reference(inputs):
    """Pearlmutter's R-operator by hand: R(·) = d/dε (·)(params + ε v) at ε = 0.

    ReLU masks do not move with ε, so R(h_l) = mask_l ⊙ (R(h_{l-1}) W_l + h_{l-1} V_l + c_l);
    the softmax gives R(d_L) = (p ⊙ R(z) - p Σ p ⊙ R(z)) / n; then each backprop line
    differentiates by the product rule."""
    params, v, x, y = inputs["params"], inputs["v"], inputs["x"], inputs["y"]
    hs, logp = _mlp.forward(params, x)  # hs[l] is the input of layer l
    rh, rhs = np.zeros_like(x), []
    for l, ((W, _), (V, c)) in enumerate(zip(params, v, strict=True)):
        rhs.append(rh)
        ra = rh @ W + hs[l] @ V + c
        rh = ra * (hs[l + 1] > 0) if l + 1 < len(hs) else ra
    rz = rh  # R of the logits
    p, n = np.exp(logp), x.shape[0]
    d = (p - y) / n
    rd = (p * rz - p * (p * rz).sum(axis=-1, keepdims=True)) / n
    out = []
    for (W, _), (V, _), h, rh in zip(
        reversed(params), reversed(v), reversed(hs), reversed(rhs), strict=True
    ):
        out.append((rh.T @ d + h.T @ rd, rd.sum(axis=0)))
        mask = h > 0
        d, rd = (d @ W.T) * mask, (rd @ W.T + d @ V.T) * mask
    return tuple(reversed(out))


def build_hvp_ad(fw, inputs):
    grad = fw.grad(lambda p, x, y: _mlp.loss(fw.np, p, x, y))

    def hvp(params, v, x, y):
        return fw.jvp(lambda p: grad(p, x, y), (params,), (v,))[1]

    args = fw.asarray((inputs["params"], inputs["v"], inputs["x"], inputs["y"]))
    return fw.prepare(fw.jit(hvp), *args)


HVP = Workload(
    name="hvp_mlp",
    description="Hessian-vector product (jvp of grad) of an MLP 64-128-128-10 loss",
    sizes=(128,),
    size_label="batch {}",
    make_inputs=hvp_inputs,
    reference=hvp_reference,
    build_ad=build_hvp_ad,
    notes={"numpy": "Pearlmutter's R-operator, derived by hand"},
)

WORKLOADS = (ROSENBROCK, HVP)
