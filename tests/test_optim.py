"""tracejit.optim: every optimiser against a reference update written in NumPy, over a few
steps on a pytree of parameters, eagerly and under jit."""

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tracejit import optim

LR = 0.1
STEPS = 4


@pytest.fixture(autouse=True)
def _sync_compile(monkeypatch):
    monkeypatch.setenv("TRACEJIT_SYNC_COMPILE", "1")


def _params(small: bool = False):
    """A pytree of parameters; the small one (a matrix and a 0-d array) keeps the
    compiled test's kernel small, as Numba's compile time grows with it."""
    rng = np.random.default_rng(0)
    if small:
        return {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=())}
    return {
        "w": rng.normal(size=(3, 2)),
        "b": rng.normal(size=(2,)),
        "layers": [rng.normal(size=(4,)), (rng.normal(size=(2, 2)),)],
    }


def _grads(step, small: bool = False):
    """A different gradient pytree at each step, some entries large (for clipping)."""
    rng = np.random.default_rng(100 + step)
    return tj.tree.map(lambda p: rng.normal(size=p.shape) * (1 + 3 * step), _params(small))


# ---------------------------------------------------------------------------
# references: one function per optimiser, (param, grad, state, t) -> (param, state), on one
# array, t the 1-based step; the state is a dict the function fills on its first call


def ref_sgd(p, g, s, t):
    return p - LR * g, s


def ref_momentum(beta, nesterov):
    def update(p, g, s, t):
        s["t"] = g + beta * s.get("t", 0.0)
        step = g + beta * s["t"] if nesterov else s["t"]
        return p - LR * step, s

    return update


def ref_rmsprop(decay=0.9, eps=1e-8, centered=False, momentum=None):
    def update(p, g, s, t):
        s["nu"] = decay * s.get("nu", 0.0) + (1 - decay) * g * g
        if centered:
            s["mu"] = decay * s.get("mu", 0.0) + (1 - decay) * g
            step = g / np.sqrt(s["nu"] - s["mu"] ** 2 + eps)
        else:
            step = g / np.sqrt(s["nu"] + eps)
        if momentum is not None:
            s["t"] = step + momentum * s.get("t", 0.0)
            step = s["t"]
        return p - LR * step, s

    return update


def ref_adam(b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0, lr=lambda t: LR):
    def update(p, g, s, t):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1**t)
        v_hat = s["v"] / (1 - b2**t)
        step = m_hat / (np.sqrt(v_hat) + eps) + weight_decay * p
        return p - lr(t) * step, s

    return update


def _schedule(count):
    return 0.2 * 0.5 ** (count / 2)


CASES = {
    "sgd": (optim.sgd(LR), ref_sgd),
    "momentum": (optim.momentum(LR, 0.9), ref_momentum(0.9, False)),
    "nesterov": (optim.nesterov(LR, 0.9), ref_momentum(0.9, True)),
    "sgd_momentum_arg": (optim.sgd(LR, momentum=0.5), ref_momentum(0.5, False)),
    "rmsprop": (optim.rmsprop(LR), ref_rmsprop()),
    "rmsprop_centered": (
        optim.rmsprop(LR, decay=0.8, centered=True),
        ref_rmsprop(0.8, centered=True),
    ),  # fmt: skip
    "rmsprop_momentum": (optim.rmsprop(LR, momentum=0.9), ref_rmsprop(momentum=0.9)),
    "adam": (optim.adam(LR), ref_adam()),
    "adam_betas": (optim.adam(LR, b1=0.5, b2=0.9, eps=1e-3), ref_adam(0.5, 0.9, 1e-3)),
    "adamw": (optim.adamw(LR, weight_decay=0.01), ref_adam(weight_decay=0.01)),
    "adam_schedule": (
        optim.adam(optim.exponential_decay(0.2, 2, 0.5)),
        ref_adam(lr=lambda t: _schedule(t - 1)),  # the rate at the count before the update
    ),
}


def _reference(ref, steps=STEPS, small: bool = False):
    params = _params(small)
    leaves, treedef = tj.tree.flatten(params)
    states = [{} for _ in leaves]
    for t in range(1, steps + 1):
        gl = tj.tree.leaves(_grads(t - 1, small))
        for i, (p, g) in enumerate(zip(leaves, gl, strict=True)):
            leaves[i], states[i] = ref(p, g, states[i], t)
    return treedef.unflatten(leaves)


def _run(opt, update, steps=STEPS):
    params = _params()
    state = opt.init(params)
    for t in range(steps):
        updates, state = update(_grads(t), state, params)
        params = optim.apply_updates(params, updates)
    return params, state


def _assert_trees_close(got, want, rtol=1e-12):
    assert tj.tree.structure(got) == tj.tree.structure(want)
    for a, b in zip(tj.tree.leaves(got), tj.tree.leaves(want), strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("name", sorted(CASES))
def test_optimiser_matches_numpy_reference(name):
    opt, ref = CASES[name]
    got, state = _run(opt, opt.update)
    _assert_trees_close(got, _reference(ref))
    # the state is a pytree of arrays with an integer step count where there is one
    for leaf in tj.tree.leaves(state):
        assert isinstance(leaf, (np.ndarray, np.generic))


def _step_all(grads, states, params):
    """One step of every optimiser, each on its own params: one compiled kernel for all."""
    out = []
    for name, s, p in zip(sorted(CASES), states, params, strict=True):
        updates, s = CASES[name][0].update(grads, s, p)
        out.append((optim.apply_updates(p, updates), s))
    return out


STEP_ALL_JIT = tj.jit(_step_all)


def test_optimisers_under_jit():
    params = [_params(small=True) for _ in CASES]
    states = [CASES[n][0].init(p) for n, p in zip(sorted(CASES), params, strict=True)]
    for t in range(STEPS):
        params, states = zip(*STEP_ALL_JIT(_grads(t, True), states, params), strict=True)
    for name, p in zip(sorted(CASES), params, strict=True):
        _assert_trees_close(p, _reference(CASES[name][1], small=True), rtol=1e-10)
    adam_state = states[sorted(CASES).index("adam")]
    assert adam_state[0].count == STEPS and adam_state[0].count.dtype == np.int64


def test_float32_params_stay_float32():
    params = tj.tree.map(lambda p: p.astype(np.float32), _params())
    for name in ("adam", "rmsprop_centered", "nesterov", "adamw"):
        opt = CASES[name][0]
        state = opt.init(params)
        updates, state = opt.update(tj.tree.map(lambda p: p * 0.5, params), state, params)
        new = optim.apply_updates(params, updates)
        assert all(x.dtype == np.float32 for x in tj.tree.leaves((updates, new))), name


def test_clip_by_global_norm_and_chain():
    grads = _grads(3)
    norm = np.sqrt(sum(np.sum(g**2) for g in tj.tree.leaves(grads)))
    np.testing.assert_allclose(optim.global_norm(grads), norm)
    clip = optim.clip_by_global_norm(1.0)
    clipped, _ = clip.update(grads, clip.init(grads))
    np.testing.assert_allclose(optim.global_norm(clipped), 1.0)
    for c, g in zip(tj.tree.leaves(clipped), tj.tree.leaves(grads), strict=True):
        np.testing.assert_allclose(c, g / norm)  # same direction
    small, _ = optim.clip_by_global_norm(2 * norm).update(grads, ())
    _assert_trees_close(small, grads, rtol=0)
    zero = tj.tree.map(np.zeros_like, grads)  # a zero norm: no NaN from the untaken branch
    _assert_trees_close(optim.clip_by_global_norm(1.0).update(zero, ())[0], zero, rtol=0)
    # chain(clip, sgd) against NumPy, eagerly and jitted
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.sgd(LR))
    params = _params()
    state = opt.init(params)
    want = tj.tree.map(lambda p, g: p - LR * g / norm, params, grads)
    for update in (opt.update, tj.jit(opt.update)):
        updates, _ = update(grads, state, params)
        _assert_trees_close(optim.apply_updates(params, updates), want)
    clipped, _ = optim.clip(0.5).update(grads, ())
    assert max(np.abs(c).max() for c in tj.tree.leaves(clipped)) == 0.5


def test_weight_decay_mask_and_errors():
    params = _params()
    mask = tj.tree.map(lambda p: p.ndim > 1, params)  # decay matrices only
    opt = optim.add_decayed_weights(0.1, mask)
    zeros = tj.tree.map(np.zeros_like, params)
    got, _ = opt.update(zeros, opt.init(params), params)
    want = tj.tree.map(lambda p: 0.1 * p if p.ndim > 1 else 0 * p, params)
    _assert_trees_close(got, want)
    with pytest.raises(ValueError, match="needs params"):
        opt.update(zeros, opt.init(params))


def test_schedules():
    counts = np.arange(6)
    np.testing.assert_allclose(optim.constant_schedule(0.3)(counts[0]), 0.3)
    np.testing.assert_allclose(
        optim.linear_schedule(1.0, 0.0, 4, transition_begin=1)(counts), [1, 1, 0.75, 0.5, 0.25, 0]
    )
    np.testing.assert_allclose(optim.exponential_decay(1.0, 2, 0.5)(counts), 0.5 ** (counts / 2))
    np.testing.assert_allclose(
        optim.exponential_decay(1.0, 2, 0.5, staircase=True, end_value=0.3)(counts),
        np.maximum(0.5 ** (counts // 2), 0.3),
    )
    np.testing.assert_allclose(
        optim.cosine_decay_schedule(2.0, 4, alpha=0.1)(counts),
        2.0 * (0.9 * 0.5 * (1 + np.cos(np.pi * np.minimum(counts, 4) / 4)) + 0.1),
    )


def test_training_loop_under_jit_decreases_a_loss():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    params = {"w": np.zeros(3), "b": np.zeros(())}
    opt = optim.chain(optim.clip_by_global_norm(10.0), optim.adamw(0.1, weight_decay=1e-4))

    def loss(p):
        return tnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    @tj.jit
    def step(p, s):
        value, g = tj.value_and_grad(loss)(p)
        updates, s = opt.update(g, s, p)
        return optim.apply_updates(p, updates), s, value

    state = opt.init(params)
    first = None
    for _ in range(200):
        params, state, value = step(params, state)
        first = value if first is None else first
    assert value < 1e-3 * first
    np.testing.assert_allclose(params["w"], [1.0, -2.0, 0.5], atol=0.02)
