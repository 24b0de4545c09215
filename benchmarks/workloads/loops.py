"""Gradients through loops: a tanh RNN unrolled with lax.scan, and a damped oscillator
integrated with lax.fori_loop. torch and autograd run the same loops in Python."""

import numpy as np

from benchmarks.workload import Workload

# ---------------------------------------------------------------- RNN through scan

HIDDEN, FEATURES = 32, 8


def rnn_loss(fw, params, h0, xs, ys):
    """h_t = tanh(x_t Wx + h_{t-1} Wh + b); loss = ½ mean((h_t · wo - y_t)²)."""
    Wx, Wh, b, wo = params

    def step(h, x):
        h = fw.np.tanh(x @ Wx + h @ Wh + b)
        return h, h

    _, hs = fw.lax.scan(step, h0, xs)
    e = hs @ wo - ys
    return 0.5 * fw.np.sum(e * e) / xs.shape[0]


def rnn_grad(Wx, Wh, b, wo, h0, xs, ys):
    """Backpropagation through time by hand, in NumPy."""
    T, n = xs.shape[0], h0.shape[0]
    H = np.empty((T + 1, n))
    H[0] = h0
    for t in range(T):
        H[t + 1] = np.tanh(xs[t] @ Wx + H[t] @ Wh + b)
    de = (H[1:] @ wo - ys) / T
    gWx, gWh, gb = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh = np.zeros(n)
    for t in range(T - 1, -1, -1):
        da = (dh + de[t] * wo) * (1.0 - H[t + 1] ** 2)
        gWx += np.outer(xs[t], da)
        gWh += np.outer(H[t], da)
        gb += da
        dh = Wh @ da
    return gWx, gWh, gb, de @ H[1:]


def _rnn_grad_loops(Wx, Wh, b, wo, h0, xs, ys):
    """The same BPTT as scalar loops for Numba: it compiles in a fraction of the time
    that np.outer and vector @ matrix take under Numba, and runs faster."""
    T, F = xs.shape
    n = h0.shape[0]
    H = np.empty((T + 1, n))
    H[0] = h0
    for t in range(T):
        for j in range(n):
            a = b[j]
            for k in range(F):
                a += xs[t, k] * Wx[k, j]
            for k in range(n):
                a += H[t, k] * Wh[k, j]
            H[t + 1, j] = np.tanh(a)
    gWx, gWh, gb, gwo = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b), np.zeros_like(wo)
    dh, da = np.zeros(n), np.empty(n)
    for t in range(T - 1, -1, -1):
        e = -ys[t]
        for j in range(n):
            e += H[t + 1, j] * wo[j]
        e /= T
        for j in range(n):
            gwo[j] += e * H[t + 1, j]
            da[j] = (dh[j] + e * wo[j]) * (1.0 - H[t + 1, j] ** 2)
            gb[j] += da[j]
        for k in range(F):
            for j in range(n):
                gWx[k, j] += xs[t, k] * da[j]
        for k in range(n):
            s = 0.0
            for j in range(n):
                gWh[k, j] += H[t, k] * da[j]
                s += Wh[k, j] * da[j]
            dh[k] = s
    return gWx, gWh, gb, gwo


def rnn_inputs(steps):
    rng = np.random.default_rng(0)
    params = (
        rng.standard_normal((FEATURES, HIDDEN)) / np.sqrt(FEATURES),
        rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN),
        0.1 * rng.standard_normal(HIDDEN),
        rng.standard_normal(HIDDEN) / np.sqrt(HIDDEN),
    )
    xs, ys = rng.standard_normal((steps, FEATURES)), rng.standard_normal(steps)
    return {"params": params, "h0": np.zeros(HIDDEN), "xs": xs, "ys": ys}


def rnn_reference(inputs):
    return rnn_grad(*inputs["params"], inputs["h0"], inputs["xs"], inputs["ys"])


def build_rnn_ad(fw, inputs):
    g = fw.jit(fw.grad(lambda p, h0, xs, ys: rnn_loss(fw, p, h0, xs, ys)))
    args = fw.asarray((inputs["params"], inputs["h0"], inputs["xs"], inputs["ys"]))
    return fw.prepare(g, *args)


def build_rnn_numba(inputs):
    import numba

    g = numba.njit(_rnn_grad_loops, cache=True)
    args = (*inputs["params"], inputs["h0"], inputs["xs"], inputs["ys"])
    return lambda: g(*args)


RNN = Workload(
    name="rnn_scan_grad",
    description="grad of a tanh RNN loss (hidden 32) through lax.scan",
    sizes=(50,),
    size_label="{} steps",
    make_inputs=rnn_inputs,
    reference=rnn_reference,
    build_ad=build_rnn_ad,
    build_numba=build_rnn_numba,
    notes={
        "numba": "hand-written BPTT, scalar loops",
        "torch": "Python loop",
        "autograd": "Python loop",
    },
)

# ---------------------------------------------------------------- integrator through fori_loop

K, DT = 1.0, 0.01  # stiffness and time step


def final_energy(fw, c, x0, v0, steps):
    """Semi-implicit Euler for x'' = -K x - c x'; the energy ½(v² + K x²) at the end."""

    def body(i, state):
        x, v = state
        v = v + DT * (-K * x - c * v)
        return x + DT * v, v

    x, v = fw.lax.fori_loop(0, steps, body, (x0, v0))
    return 0.5 * (v * v + K * x * x)


def denergy_dc(c, x0, v0, steps):
    """Forward sensitivities (dx/dc, dv/dc) carried by hand; Python floats, Numba-able."""
    x, v, dx, dv = x0, v0, 0.0, 0.0
    for _ in range(steps):
        a, da = -K * x - c * v, -K * dx - v - c * dv
        v, dv = v + DT * a, dv + DT * da
        x, dx = x + DT * v, dx + DT * dv
    return v * dv + K * x * dx


def fori_inputs(steps):
    return {"c": np.array(0.3), "x0": np.array(1.0), "v0": np.array(0.0), "steps": steps}


def fori_reference(inputs):
    return denergy_dc(*(float(inputs[k]) for k in ("c", "x0", "v0")), inputs["steps"])


def build_fori_ad(fw, inputs):
    steps = inputs["steps"]  # static: closed over, not traced
    g = fw.jit(fw.grad(lambda c, x0, v0: final_energy(fw, c, x0, v0, steps)))
    return fw.prepare(g, *fw.asarray((inputs["c"], inputs["x0"], inputs["v0"])))


def build_fori_numba(inputs):
    import numba

    g = numba.njit(denergy_dc, cache=True)
    args = (*(float(inputs[k]) for k in ("c", "x0", "v0")), inputs["steps"])
    return lambda: g(*args)


FORI = Workload(
    name="fori_integrator_grad",
    description="d(final energy)/d(damping) through a lax.fori_loop integrator",
    sizes=(1000,),
    size_label="{} steps",
    make_inputs=fori_inputs,
    reference=fori_reference,
    build_ad=build_fori_ad,
    build_numba=build_fori_numba,
    notes={
        "numpy": "forward sensitivities in a Python loop over floats",
        "torch": "Python loop",
        "autograd": "Python loop",
    },
)

WORKLOADS = (RNN, FORI)
