"""tracejit.nn: activations and losses against their formulas in NumPy and against jax.nn,
the kink convention, initialisers, stax-style layers, and the seed network training."""

import math

import numpy as np
import pytest
from scipy import special

import tracejit as tj
from tracejit import nn, random

X = np.concatenate([np.linspace(-7.0, 7.0, 29), [-1.0, 1.0, 6.0, 1e-3, -1e-3]])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


@pytest.fixture(autouse=True)
def _sync_compile(monkeypatch):
    monkeypatch.setenv("TRACEJIT_SYNC_COMPILE", "1")


def _elu(x, a=1.0):
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))


FORMULAS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.01 * x),
    "elu": _elu,
    "celu": lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0)),
    "selu": lambda x: SELU_SCALE * _elu(x, SELU_ALPHA),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "sigmoid": special.expit,
    "silu": lambda x: x * special.expit(x),
    "softplus": lambda x: np.logaddexp(x, 0),
    "log_sigmoid": lambda x: -np.logaddexp(-x, 0),
    "soft_sign": lambda x: x / (np.abs(x) + 1),
    "tanh": np.tanh,
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
}


# ---------------------------------------------------------------------------
# activations


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_activation_matches_formula_and_keeps_float32(name):
    f = getattr(nn, name)
    np.testing.assert_allclose(f(X), FORMULAS[name](X), rtol=1e-14, atol=1e-15)
    assert f(X.astype(np.float32)).dtype == np.float32
    assert f(X).shape == X.shape and np.ndim(f(0.5)) == 0


def test_gelu_exact_and_aliases():
    np.testing.assert_allclose(
        nn.gelu(X, approximate=False), X * special.ndtr(X), rtol=1e-13, atol=1e-15
    )
    assert nn.swish is nn.silu and nn.hard_swish is nn.hard_silu


Z = np.random.default_rng(0).normal(size=(3, 4))
MASK = Z > -0.5
B = np.array([1.0, -1.0, 2.0, 0.0])
LABELS = np.array([[0, 2], [3, -1]])
SMOOTH = X[(np.abs(X) != 1.0) & (X != 6.0) & (X != 0.0) & (X != -3.0)]  # away from kinks
AXES = (-1, 0, None, (0, 1))
INITS = ["glorot_uniform", "he_normal"]  # uniform and truncated normal variance scaling


def _nn_values(lib, grad, asarray=np.asarray):
    """The same computations with jax.nn (lib=jax.nn) or tracejit.nn, as a flat list."""
    x, smooth, z, mask, b, labels = map(asarray, (X, SMOOTH, Z, MASK, B, LABELS))

    def derivative(f):  # of an elementwise f, at each point
        return grad(lambda v: f(v).sum())(smooth)

    out = []
    for name in sorted(FORMULAS):
        f = getattr(lib, name)
        out += [f(x), derivative(f)]
    out += [lib.gelu(x, approximate=False), derivative(lambda v: lib.gelu(v, False))]
    for axis in AXES:
        out += [lib.softmax(z, axis), lib.log_softmax(z, axis), lib.logsumexp(z, axis)]
    out += [lib.softmax(z, where=mask), *lib.logsumexp(z, 1, b=b, return_sign=True)]
    out += [lib.one_hot(labels, 3), lib.one_hot(labels, 4, axis=0)]
    return out


@pytest.fixture(scope="module")
def jax_oracle():
    """jax.nn's values, initialisers and a stax network, computed in one XLA compilation."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    from jax.example_libraries import stax

    def compute(key):
        k = jax.random.wrap_key_data(key)
        inits = [getattr(jax.nn.initializers, n)()(k, (4, 3, 5)) for n in INITS]
        inits.append(jax.nn.initializers.normal(0.3)(k, (6,)))
        init_net = stax.serial(stax.Dense(10), stax.Relu, stax.Dense(1), stax.Sigmoid)[0]
        _, params = init_net(k, (-1, 2))
        return _nn_values(jax.nn, jax.grad, jax.numpy.asarray), inits, params

    values, inits, params = jax.jit(compute)(random.key(5))
    return jax.tree.map(np.asarray, (values, inits, params))


def test_activations_and_gradients_match_jax(jax_oracle):
    mine = _nn_values(nn, tj.grad)
    for k, (m, t) in enumerate(zip(mine, jax_oracle[0], strict=True)):
        # atol: gelu's 1 + tanh cancels in the far left tail, differently in each
        np.testing.assert_allclose(m, t, rtol=1e-12, atol=1e-13, err_msg=f"value {k}")


# the derivative at each kink: the minimum-norm element of the Clarke subdifferential
KINKS = [
    ("relu at 0", nn.relu, 0.0, 0.0),
    ("relu6 at 0", nn.relu6, 0.0, 0.0),
    ("relu6 at 6", nn.relu6, 6.0, 0.0),
    ("hard_tanh at 1", nn.hard_tanh, 1.0, 0.0),
    ("hard_tanh at -1", nn.hard_tanh, -1.0, 0.0),
    ("hard_sigmoid at -3", nn.hard_sigmoid, -3.0, 0.0),
    ("leaky_relu(0.01) at 0", nn.leaky_relu, 0.0, 0.01),
    ("leaky_relu(0.2) at 0", lambda x: nn.leaky_relu(x, 0.2), 0.0, 0.2),
    ("leaky_relu(-0.5) at 0", lambda x: nn.leaky_relu(x, -0.5), 0.0, 0.0),  # [-0.5, 1] holds 0
    ("leaky_relu(3) at 0", lambda x: nn.leaky_relu(x, 3.0), 0.0, 1.0),  # [1, 3]
    ("elu(0.5) at 0", lambda x: nn.elu(x, 0.5), 0.0, 0.5),
    ("elu(2) at 0", lambda x: nn.elu(x, 2.0), 0.0, 1.0),
    ("selu at 0", nn.selu, 0.0, SELU_SCALE),  # [scale, scale * alpha]
    ("elu at 0 (smooth)", nn.elu, 0.0, 1.0),
    ("softplus at 0 (smooth)", nn.softplus, 0.0, 0.5),
]


@pytest.mark.parametrize("case", KINKS, ids=[k[0] for k in KINKS])
def test_kink_derivatives(case):
    _, f, x, want = case
    assert tj.grad(f)(x) == want
    # forward mode too, batched, with tangents +1 and -1 (a one-sided rule would show)
    _, t = tj.jvp(f, (np.array([x, x]),), (np.array([1.0, -1.0]),))
    np.testing.assert_array_equal(t, [want, -want])


def test_kink_derivatives_compiled():
    """The convention survives simplification and lowering (a few kinks, one kernel)."""
    some = ("relu", "relu6", "leaky_relu(0.2)", "elu(2)", "hard_tanh")
    kinks = [k for k in KINKS if k[0].split(" at")[0] in some]
    fs = [f for _, f, _, _ in kinks]

    def all_kinks(xs):
        return [tj.grad(f)(x) for f, x in zip(fs, xs, strict=True)]

    xs = [np.float64(x) for _, _, x, _ in kinks]
    np.testing.assert_array_equal(tj.jit(all_kinks)(xs), [w for _, _, _, w in kinks])


def test_normalised_exponentials():
    z = np.array([[1000.0, 1000.0, -1000.0], [0.0, -np.inf, 1.0]])
    s = nn.softmax(z)
    np.testing.assert_allclose(s[0], [0.5, 0.5, 0.0], atol=1e-300)
    assert np.all(np.isfinite(s)) and s[1, 1] == 0.0
    np.testing.assert_allclose(nn.log_softmax(z)[0, :2], np.log(0.5))
    np.testing.assert_allclose(nn.logsumexp(z, axis=1), special.logsumexp(z, axis=1))
    np.testing.assert_allclose(
        nn.logsumexp(z, axis=1, keepdims=True), special.logsumexp(z, axis=1, keepdims=True)
    )
    # -inf entries: zero gradient and no NaN; the gradient of logsumexp is softmax
    g = tj.grad(lambda v: nn.logsumexp(v))(z[1])
    np.testing.assert_allclose(g, special.softmax(z[1]))
    assert g[1] == 0.0
    # an all -inf slice: value -inf, gradient 0 (not NaN)
    allneg = np.full(3, -np.inf)
    assert nn.logsumexp(allneg) == -np.inf
    np.testing.assert_array_equal(tj.grad(nn.logsumexp)(allneg), 0.0)
    # Jacobian-vector products of softmax and log_softmax against their formulas
    v = np.array([0.3, -1.2, 2.0])
    s = special.softmax(v)
    u = np.array([1.0, 2.0, -1.0])
    _, t = tj.jvp(nn.softmax, (v,), (u,))
    np.testing.assert_allclose(t, s * (u - s @ u))
    _, t = tj.jvp(nn.log_softmax, (v,), (u,))
    np.testing.assert_allclose(t, u - s @ u)
    # masked softmax: masked entries 0, the others normalised among themselves
    mask = np.array([True, False, True])
    sm = special.softmax(v[mask])
    np.testing.assert_allclose(nn.softmax(v, where=mask), [sm[0], 0.0, sm[1]])
    assert nn.log_softmax(v, where=mask)[1] == -np.inf


def test_one_hot_and_standardize():
    np.testing.assert_array_equal(
        nn.one_hot(np.array([0, 2, 3, -1]), 3), [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]
    )
    assert nn.one_hot(np.array([1]), 2, dtype=np.float32).dtype == np.float32
    z = np.random.default_rng(1).normal(size=(4, 6)) * 3 + 2
    s = nn.standardize(z, epsilon=0.0)
    np.testing.assert_allclose(s.mean(-1), 0, atol=1e-14)
    np.testing.assert_allclose(s.std(-1), 1)


# ---------------------------------------------------------------------------
# losses

P = np.array([0.05, 0.3, 0.5, 0.8, 0.99])
Y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])


def test_binary_cross_entropy():
    want = -(Y * np.log(P) + (1 - Y) * np.log(1 - P))
    np.testing.assert_allclose(nn.binary_cross_entropy(P, Y, reduction="none"), want)
    np.testing.assert_allclose(nn.binary_cross_entropy(P, Y), want.mean())
    np.testing.assert_allclose(
        nn.binary_cross_entropy(P, Y.astype(int), reduction="sum"), want.sum()
    )
    # saturated probabilities: large but finite
    assert np.isfinite(nn.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0])))
    logits = special.logit(P)
    np.testing.assert_allclose(nn.sigmoid_binary_cross_entropy(logits, Y, reduction="none"), want)
    big = np.array([-800.0, 800.0])
    np.testing.assert_allclose(
        nn.binary_cross_entropy_with_logits(big, np.array([1.0, 0.0]), reduction="none"),
        [800.0, 800.0],
    )
    # the gradient with respect to the logits: sigmoid(z) - y
    g = tj.grad(lambda z: nn.sigmoid_binary_cross_entropy(z, Y, reduction="sum"))(logits)
    np.testing.assert_allclose(g, P - Y, atol=1e-14)


def test_categorical_cross_entropy():
    logits = np.random.default_rng(2).normal(size=(4, 3))
    probs = special.softmax(logits, axis=1)
    labels = np.array([0, 2, 1, 2])
    onehot = np.eye(3)[labels]
    want = -np.log(probs[np.arange(4), labels])
    np.testing.assert_allclose(nn.categorical_cross_entropy(probs, onehot, reduction="none"), want)
    np.testing.assert_allclose(nn.categorical_cross_entropy(probs, labels), want.mean())
    np.testing.assert_allclose(nn.softmax_cross_entropy(logits, onehot), want.mean())
    np.testing.assert_allclose(
        nn.softmax_cross_entropy_with_integer_labels(logits, labels, reduction="none"), want
    )
    soft = np.full((4, 3), 1 / 3)
    np.testing.assert_allclose(
        nn.softmax_cross_entropy(logits, soft, reduction="none"), -np.log(probs).mean(1)
    )
    np.testing.assert_allclose(
        nn.softmax_cross_entropy(logits.T, onehot.T, axis=0, reduction="none"), want
    )
    g = tj.grad(lambda z: nn.softmax_cross_entropy(z, onehot, reduction="sum"))(logits)
    np.testing.assert_allclose(g, probs - onehot, atol=1e-14)
    with pytest.raises(TypeError, match="integer"):
        nn.softmax_cross_entropy_with_integer_labels(logits, onehot)


def test_regression_losses():
    pred = np.array([0.0, 0.5, 1.5, -3.0, 2.0])
    targ = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    e = pred - targ
    np.testing.assert_allclose(nn.mean_squared_error(pred, targ), np.mean(e**2))
    np.testing.assert_allclose(nn.mean_squared_error(pred, targ, reduction="none"), e**2)
    huber = np.where(np.abs(e) <= 1, 0.5 * e**2, np.abs(e) - 0.5)
    np.testing.assert_allclose(nn.huber_loss(pred, targ, reduction="none"), huber)
    huber2 = np.where(np.abs(e) <= 2, 0.5 * e**2, 2 * (np.abs(e) - 1))
    np.testing.assert_allclose(nn.huber_loss(pred, targ, delta=2.0, reduction="sum"), huber2.sum())
    # the Huber loss is C1: at |e| = delta the derivative is delta sign(e), at 0 it is 0
    g = tj.vmap(tj.grad(lambda p: nn.huber_loss(p, 0.0, delta=1.0)))(np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="reduction"):
        nn.mean_squared_error(pred, targ, reduction="avg")


# ---------------------------------------------------------------------------
# initialisers


def test_initializers_shapes_and_variances():
    init = nn.initializers
    key = random.key(3)
    shape = (200, 300)
    fan_in, fan_out = shape
    targets = {
        "glorot_uniform": 2 / (fan_in + fan_out),
        "glorot_normal": 2 / (fan_in + fan_out),
        "he_uniform": 2 / fan_in,
        "he_normal": 2 / fan_in,
        "lecun_uniform": 1 / fan_in,
        "lecun_normal": 1 / fan_in,
    }
    n = fan_in * fan_out
    for name, var in targets.items():
        w = getattr(init, name)()(key, shape)
        assert w.shape == shape and w.dtype == np.float64
        # the sample variance of n draws: relative standard error about sqrt(2 / n)
        assert abs(w.var() / var - 1) < 5 * math.sqrt(2 / n), name
        if name.endswith("uniform"):
            assert np.abs(w).max() <= math.sqrt(3 * var)
        else:  # truncated at two standard deviations of the untruncated normal
            assert np.abs(w).max() <= 2 * math.sqrt(var) / 0.87962566103423978
    assert init.glorot_uniform(dtype=np.float32)(key, (3, 4)).dtype == np.float32
    np.testing.assert_array_equal(init.zeros(key, (2, 3)), 0)
    np.testing.assert_array_equal(init.constant(0.5)(key, (2,)), 0.5)
    assert init.normal(0.1)(key, (5,)).shape == (5,)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.glorot_uniform()(key, (5,))


def test_initializers_match_jax(jax_oracle):
    key = random.key(5)
    mine = [getattr(nn.initializers, name)()(key, (4, 3, 5)) for name in INITS]
    mine.append(nn.initializers.normal(0.3)(key, (6,)))
    for name, m, t in zip(INITS + ["normal"], mine, jax_oracle[1], strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12, err_msg=name)


# ---------------------------------------------------------------------------
# stax-style layers


def test_stax_shapes_and_apply():
    init, apply = nn.serial(nn.Dense(10), nn.Relu, nn.Dense(1), nn.Sigmoid)
    out_shape, params = init(random.key(0), (-1, 2))
    assert out_shape == (-1, 1)
    assert [tuple(np.shape(a) for a in layer) for layer in params] == [
        ((2, 10), (10,)),
        (),
        ((10, 1), (1,)),
        (),
    ]
    x = np.random.default_rng(0).normal(size=(7, 2))
    (w1, b1), _, (w2, b2), _ = params
    np.testing.assert_allclose(
        apply(params, x), special.expit(np.maximum(x @ w1 + b1, 0) @ w2 + b2)
    )
    init, apply = nn.serial(nn.Flatten, nn.Dense(4), nn.Tanh, nn.Dense(3), nn.LogSoftmax)
    out_shape, params = init(random.key(1), (5, 2, 3))
    assert out_shape == (5, 3)
    out = apply(params, np.ones((5, 2, 3)))
    assert out.shape == (5, 3)
    np.testing.assert_allclose(np.exp(out).sum(1), 1.0)
    # a residual block: FanOut, parallel, FanInSum
    init, apply = nn.serial(nn.FanOut(2), nn.parallel(nn.Dense(3), nn.Identity), nn.FanInSum)
    out_shape, params = init(random.key(2), (4, 3))
    assert out_shape == (4, 3)
    x = np.ones((4, 3))
    (w, b), () = params[1]
    np.testing.assert_allclose(apply(params, x), x @ w + b + x)
    init, apply = nn.serial(nn.FanOut(2), nn.parallel(nn.Dense(2), nn.Dense(5)), nn.FanInConcat())
    assert init(random.key(2), (4, 3))[0] == (4, 7)


def test_stax_dropout():
    init, apply = nn.serial(nn.Dense(50), nn.Dropout(0.75))
    _, params = init(random.key(0), (-1, 8))
    x = np.ones((20, 8))
    a, b = apply(params, x, rng=random.key(1)), apply(params, x, rng=random.key(1))
    np.testing.assert_array_equal(a, b)
    full = nn.Dense(50)[1](params[0], x)
    kept = a != 0
    assert 0.6 < kept.mean() < 0.9  # stax's rate is the probability of keeping
    np.testing.assert_allclose(a[kept], full[kept] / 0.75)
    with pytest.raises(ValueError, match="needs a key"):
        apply(params, x)


def test_stax_init_matches_jax(jax_oracle):
    init, _ = nn.serial(nn.Dense(10), nn.Relu, nn.Dense(1), nn.Sigmoid)
    _, params = init(random.key(5), (-1, 2))
    jparams = jax_oracle[2]
    assert [len(layer) for layer in params] == [len(layer) for layer in jparams]
    for mine, theirs in zip(tj.tree.leaves(params), tj.tree.leaves(jparams), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------
# the seed network trains


def test_seed_mlp_trains():
    from tracejit import demo

    x, y = demo.two_moons(400, 0.2, np.random.default_rng(0))
    _, params = demo.init_net(random.key(0), (-1, 2))
    state = demo.opt.init(params)
    step = tj.jit(demo.step)
    losses = []
    for _ in range(300):
        params, state, loss = step(params, state, x, y)
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0] and losses[-1] < 0.15
    assert np.all(np.diff(losses[::50]) < 0)
    assert demo.accuracy(params, x, y) > 0.9
    # the jitted step is the step
    p_eager, s_eager, l_eager = demo.step(params, state, x, y)
    p_jit, s_jit, l_jit = step(params, state, x, y)
    np.testing.assert_allclose(l_jit, l_eager, rtol=1e-12)
    for a, b in zip(
        tj.tree.leaves((p_jit, s_jit)), tj.tree.leaves((p_eager, s_eager)), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_demo_runs(capsys):
    from tracejit import demo

    demo.main(["--steps", "200", "--points", "300"])
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line[:5].strip().isdigit()]
    losses = [float(r[1]) for r in rows]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert "accuracy" in out and "hand-written NumPy" in out and "steps/s" in out
