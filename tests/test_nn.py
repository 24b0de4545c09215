"""tracejit.nn: activations and losses against their formulas in NumPy and against jax.nn,
the kink convention, initialisers, stax-style layers, and the seed network training."""

import math

import numpy as np
import pytest
from scipy import special

import tracejit as tj
from tests._jax_oracle import jax_x64
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
    "mish": lambda x: x * np.tanh(np.logaddexp(x, 0)),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": lambda x: np.clip(x + 1, 0, 2) / 2,
    "squareplus": lambda x: (x + np.sqrt(x**2 + 4)) / 2,
    "log1mexp": lambda x: np.log(-np.expm1(-x)),  # -inf at 0, NaN below
}


# ---------------------------------------------------------------------------
# activations


@pytest.mark.parametrize("name", sorted(FORMULAS))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log1mexp: log(0), log(x < 0)
def test_activation_matches_formula_and_keeps_float32(name):
    f = getattr(nn, name)
    with np.errstate(divide="ignore", invalid="ignore"):
        want = FORMULAS[name](X)
    np.testing.assert_allclose(f(X), want, rtol=1e-14, atol=1e-15)
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
    out += [lib.logmeanexp(z), lib.logmeanexp(z, 0, where=mask, keepdims=True)]
    out += [lib.squareplus(x, 1.5), derivative(lambda v: lib.squareplus(v, 0.5))]
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


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log1mexp below 0 is NaN, as in JAX
def test_activations_and_gradients_match_jax(jax_oracle):
    mine = _nn_values(nn, tj.grad)
    for k, (m, t) in enumerate(zip(mine, jax_oracle[0], strict=True)):
        # atol: gelu's 1 + tanh cancels in the far left tail, differently in each
        np.testing.assert_allclose(m, t, rtol=1e-12, atol=1e-13, err_msg=f"value {k}")


# (name, function, point, derivative there): the README's convention, the minimum-norm
# element of the Clarke subdifferential; sparse_sigmoid and celu reach theirs through clip /
# maximum / minimum ties (README: 1/2 to each operand). JAX agrees except where noted.
SELU_SLOPE_AT_0 = SELU_SCALE  # [scale, scale * alpha]: the nearer zero (JAX: scale * alpha)
KINKS = [
    ("relu at 0", nn.relu, 0.0, 0.0),
    ("relu6 at 0", nn.relu6, 0.0, 0.0),
    ("relu6 at 6", nn.relu6, 6.0, 0.0),
    ("hard_tanh at 1", nn.hard_tanh, 1.0, 0.0),  # JAX: 1
    ("hard_tanh at -1", nn.hard_tanh, -1.0, 0.0),  # JAX: 1
    ("hard_sigmoid at -3", nn.hard_sigmoid, -3.0, 0.0),
    ("hard_sigmoid at 3", nn.hard_sigmoid, 3.0, 0.0),
    ("hard_silu at -3", nn.hard_silu, -3.0, 0.0),
    ("hard_silu at 3", nn.hard_silu, 3.0, 1.0),
    ("leaky_relu(0.01) at 0", nn.leaky_relu, 0.0, 0.01),  # JAX: 1
    ("leaky_relu(0.2) at 0", lambda x: nn.leaky_relu(x, 0.2), 0.0, 0.2),
    ("leaky_relu(-0.5) at 0", lambda x: nn.leaky_relu(x, -0.5), 0.0, 0.0),  # [-0.5, 1]
    ("leaky_relu(3) at 0", lambda x: nn.leaky_relu(x, 3.0), 0.0, 1.0),
    ("elu at 0", nn.elu, 0.0, 1.0),
    ("elu(0.5) at 0", lambda x: nn.elu(x, 0.5), 0.0, 0.5),
    ("elu(2) at 0", lambda x: nn.elu(x, 2.0), 0.0, 1.0),  # [1, 2]; JAX: 2
    ("elu(-0.5) at 0", lambda x: nn.elu(x, -0.5), 0.0, 0.0),  # [-0.5, 1]
    ("selu at 0", nn.selu, 0.0, SELU_SLOPE_AT_0),
    ("celu at 0", nn.celu, 0.0, 1.0),
    ("celu(2) at 0", lambda x: nn.celu(x, 2.0), 0.0, 1.0),
    ("sparse_plus at -1", nn.sparse_plus, -1.0, 0.0),
    ("sparse_plus at 1", nn.sparse_plus, 1.0, 1.0),
    ("sparse_sigmoid at -1", nn.sparse_sigmoid, -1.0, 0.25),
    ("sparse_sigmoid at 1", nn.sparse_sigmoid, 1.0, 0.25),
    ("soft_sign at 0", nn.soft_sign, 0.0, 1.0),
    ("squareplus at 0", nn.squareplus, 0.0, 0.5),
    ("mish at 0", nn.mish, 0.0, 0.6000000000000001),
    ("gelu at 0", nn.gelu, 0.0, 0.5),
    ("silu at 0", nn.silu, 0.0, 0.5),
    ("softplus at 0", nn.softplus, 0.0, 0.5),
    ("log_sigmoid at 0", nn.log_sigmoid, 0.0, 0.5),
    ("sigmoid at 0", nn.sigmoid, 0.0, 0.25),
    ("log1mexp at 0", nn.log1mexp, 0.0, np.inf),
]


@pytest.mark.parametrize("case", KINKS, ids=[k[0] for k in KINKS])
def test_kink_derivatives_follow_the_convention(case):
    _, f, x, want = case
    np.testing.assert_allclose(tj.grad(f)(x), want, rtol=1e-15)
    g32 = tj.grad(f)(np.float32(x))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, np.float32(want), rtol=1e-6)
    # forward mode too, batched, with tangents +1 and -1 (a one-sided rule would show)
    _, t = tj.jvp(f, (np.array([x, x]),), (np.array([1.0, -1.0]),))
    np.testing.assert_allclose(t, [want, -want], rtol=1e-15)


def test_kink_derivatives_compiled():
    """The kinks survive simplification and lowering (a few kinks, one kernel)."""
    some = ("relu", "relu6", "leaky_relu(0.2)", "elu(2)", "hard_tanh", "sparse_sigmoid")
    kinks = [k for k in KINKS if k[0].split(" at")[0] in some]
    fs = [f for _, f, _, _ in kinks]

    def all_kinks(xs):
        return [tj.grad(f)(x) for f, x in zip(fs, xs, strict=True)]

    xs = [np.float64(x) for _, _, x, _ in kinks]
    np.testing.assert_array_equal(tj.jit(all_kinks)(xs), [w for _, _, _, w in kinks])


# jax.nn's output dtype (x64) for int32 and int64 inputs
KEEPS_INT = ("relu", "hard_tanh", "identity")
DEFAULT_FLOAT = ("relu6", "elu", "celu", "selu", "leaky_relu", "hard_sigmoid", "hard_silu")
DEFAULT_FLOAT += ("sparse_plus", "sparse_sigmoid")
FLOAT_OF_WIDTH = ("gelu", "softplus", "soft_sign", "log_sigmoid", "tanh", "mish")
FLOAT_OF_WIDTH += ("squareplus", "log1mexp", "standardize", "softmax", "log_softmax")
FLOAT_OF_WIDTH += ("logsumexp", "logmeanexp")
INT_DTYPES = {n: ("int32", "int64") for n in KEEPS_INT}
INT_DTYPES |= {n: ("float64", "float64") for n in DEFAULT_FLOAT}
INT_DTYPES |= {n: ("float32", "float64") for n in FLOAT_OF_WIDTH}


@pytest.mark.parametrize("name", sorted(INT_DTYPES))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log1mexp of negative integers
def test_integer_inputs_give_jaxs_dtypes(name):
    f = getattr(nn, name)
    ints = np.array([3, 1, 0, -1, -2, 7])
    for dtype, want in zip((np.int32, np.int64), INT_DTYPES[name], strict=True):
        out = f(ints.astype(dtype))
        assert out.dtype == want, (dtype, out.dtype)
        np.testing.assert_allclose(out, f(ints.astype(np.float64)), rtol=1e-5)
    # a Python int is an int64
    assert f(np.array([1])).dtype == f([1]).dtype == INT_DTYPES[name][1]


def test_relu6_and_hard_tanh_of_integers():
    assert nn.relu6(1) == 1.0 and nn.relu6(1).dtype == np.float64
    np.testing.assert_array_equal(nn.hard_tanh(np.array([0, 1, 5], np.uint32)), [0, 1, 1])
    assert nn.hard_tanh(np.array([-5, 5], np.int8)).dtype == np.int8


JAX_TOO = sorted(set(FORMULAS) | {"glu", "standardize", "logsumexp", "logmeanexp"})
JAX_TOO += ["softmax", "log_softmax", "one_hot"]
POINTS = np.array([-6.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0])


# where tracejit's kink convention differs from jax.nn (the KINKS table above checks them)
OWN_KINKS = {"hard_tanh": (-1.0, 1.0), "leaky_relu": (0.0,), "elu": (0.0,), "selu": (0.0,)}


def _sweep(lib, grad, asarray):
    """Value and derivative (of a weighted sum) of each function on POINTS (float64, and
    0 in float32), and its output dtype for integer and bool inputs, "error" if it raises."""
    weights = np.linspace(0.3, 1.7, 7)
    out = {}
    for name in JAX_TOO:
        f = getattr(lib, name)
        f = (lambda v, f=f: f(v, 4)) if name == "one_hot" else f
        for x in (POINTS, np.array([0.0], np.float32), POINTS[:6]):
            if (name == "glu") != (len(x) == 6) or name == "one_hot":
                continue
            x = asarray(x)

            def total(v, f=f):
                y = f(v)
                return (y * weights[: y.size].astype(v.dtype).reshape(y.shape)).sum()

            out[name, str(x.dtype)] = (f(x), grad(total)(x))
        for dtype in (np.int8, np.int32, np.int64, np.uint32, np.bool_):
            try:
                out[name, np.dtype(dtype).name] = str(
                    f(asarray(np.array([2, 1, 0, 1], dtype))).dtype
                )
            except TypeError:
                out[name, np.dtype(dtype).name] = "error"
    return out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log1mexp below 0 is NaN, as in JAX
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jax.nn.one_hot of bool
def test_sweep_matches_jax():
    """Every function jax.nn also has, on -6, -3, -1, 0, 1, 3, 6: the same value, derivative
    and dtype; integer and bool inputs give JAX's dtype (where JAX raises TypeError,
    tracejit computes in float: sigmoid, silu, glu of integers, log_sigmoid, softmax,
    log_softmax, log1mexp, one_hot of bool)."""
    jax, jnp = jax_x64()
    want = _sweep(jax.nn, jax.grad, jnp.asarray)
    got = _sweep(nn, tj.grad, np.asarray)
    assert want.keys() == got.keys()
    for key, w in want.items():
        g = got[key]
        if isinstance(w, str):
            assert g == w or w == "error", (key, g, w)
            continue
        tol = dict(rtol=2e-6, atol=1e-7) if key[1] == "float32" else dict(rtol=1e-12, atol=1e-13)
        for k, (gv, wv) in enumerate(zip(g, w, strict=True)):
            wv = np.asarray(wv)
            if k == 1 and key[0] in OWN_KINKS:  # the derivative at the documented kinks
                x = POINTS if key[1] == "float64" else np.zeros(1)
                at = np.isin(x, OWN_KINKS[key[0]])
                wv = np.where(at, np.asarray(gv), wv)
            assert gv.dtype == wv.dtype and gv.shape == wv.shape, (key, gv.dtype, wv.dtype)
            # atol: gelu's 1 + tanh cancels at -6, differently in each
            np.testing.assert_allclose(gv, wv, **tol, err_msg=str(key))


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


def test_normalised_exponentials_of_empty_arrays():
    """An empty array has no maximum to subtract, and needs none: softmax and log_softmax
    return it, logsumexp gives -inf (an empty sum), logmeanexp NaN (0 / 0), as in JAX."""
    for shape, axis in (((0,), -1), ((2, 0), -1), ((0, 3), 0), ((0, 3), None)):
        x = np.zeros(shape)
        for f in (nn.softmax, nn.log_softmax):
            out = f(x, axis)
            assert out.shape == shape and out.dtype == np.float64
            assert tj.grad(lambda v, f=f, axis=axis: f(v, axis).sum())(x).shape == shape
            assert tj.jit(f, static_argnums=1)(x, axis).shape == shape
    np.testing.assert_array_equal(nn.logsumexp(np.zeros((0, 3)), axis=0), [-np.inf] * 3)
    assert nn.logsumexp(np.zeros(0)) == -np.inf
    with np.errstate(invalid="ignore"):
        assert np.isnan(nn.logmeanexp(np.zeros(0)))


def test_logmeanexp_and_squareplus():
    z = Z
    np.testing.assert_allclose(nn.logmeanexp(z), special.logsumexp(z) - np.log(z.size))
    np.testing.assert_allclose(
        nn.logmeanexp(z, axis=0, keepdims=True),
        special.logsumexp(z, axis=0, keepdims=True) - np.log(3),
    )
    row = z[0][MASK[0]]
    np.testing.assert_allclose(
        nn.logmeanexp(z, axis=1, where=MASK)[0], special.logsumexp(row) - np.log(row.size)
    )
    # the gradient of logmeanexp is softmax, as logsumexp's
    np.testing.assert_allclose(tj.grad(nn.logmeanexp)(z[1]), special.softmax(z[1]))
    np.testing.assert_allclose(nn.squareplus(X, 1.0), (X + np.sqrt(X**2 + 1)) / 2)
    assert nn.squareplus(np.float32(1.0), 4.0).dtype == np.float32


def _attention_numpy(
    q,
    k,
    v,
    bias=None,
    mask=None,
    *,
    scale=None,
    is_causal=False,
    query_seq_lengths=None,
    key_value_seq_lengths=None,
    local_window_size=None,
):
    """dot_product_attention by its definition (jax.nn's docstring), in float64 NumPy."""
    three_d = q.ndim == 3
    if three_d:
        q, k, v = q[None], k[None], v[None]
    B, T, N, H = q.shape
    S, K = k.shape[1], k.shape[2]
    k, v = np.repeat(k, N // K, axis=2), np.repeat(v, N // K, axis=2)  # head n reads n // G
    logits = np.einsum("btnh,bsnh->bnts", q, k) * (1 / np.sqrt(H) if scale is None else scale)
    logits = logits if bias is None else logits + bias
    keep = np.ones(logits.shape, bool) if mask is None else np.broadcast_to(mask, logits.shape)
    t, s = np.arange(T)[:, None], np.arange(S)[None, :]
    if is_causal:
        keep = keep & (s <= t)
    if local_window_size is not None:
        left, right = local_window_size
        keep = keep & (s >= t - left) & (s <= t + right)
    q_in = np.ones((B, T), bool)
    if query_seq_lengths is not None:
        q_in = np.arange(T) < query_seq_lengths[:, None]
    keep = keep & q_in[:, None, :, None]
    if key_value_seq_lengths is not None:
        keep = keep & (np.arange(S) < key_value_seq_lengths[:, None])[:, None, None, :]
    logits = np.where(keep, logits, -0.7 * np.finfo(np.float32).max)
    out = np.einsum("bnts,bsnh->btnh", special.softmax(logits, axis=-1), v)
    out = out * q_in[:, :, None, None]
    return out[0] if three_d else out


_R = np.random.default_rng(7)
B_, T_, S_, N_, K_, H_ = 2, 3, 4, 4, 2, 5
Q = _R.normal(size=(B_, T_, N_, H_))
KEY, VAL = _R.normal(size=(2, B_, S_, K_, H_))
ATTENTION_CASES = {
    "plain": {},
    "causal": dict(is_causal=True),
    "bias": dict(bias=_R.normal(size=(B_, 1, T_, S_))),
    "2d bias": dict(bias=_R.normal(size=(T_, S_))),
    "mask and scale": dict(mask=_R.random((1, N_, T_, S_)) > 0.3, scale=0.3),
    "fully masked row": dict(mask=np.arange(S_) < np.array([[[[0]], [[2]], [[3]], [[4]]]])),
    "seq lengths": dict(
        query_seq_lengths=np.array([2, 3], np.int32), key_value_seq_lengths=np.array([3, 1])
    ),
    "window and causal": dict(local_window_size=(1, 0), is_causal=True),
    "window": dict(local_window_size=1),
}
ATTENTION_IDS = sorted(ATTENTION_CASES)


def _numpy_case(case):
    kw = dict(ATTENTION_CASES[case])
    if isinstance(kw.get("local_window_size"), int):
        kw["local_window_size"] = (kw["local_window_size"],) * 2
    return kw


@pytest.mark.parametrize("case", ATTENTION_IDS)
def test_dot_product_attention_is_its_definition(case):
    kw = ATTENTION_CASES[case]
    np.testing.assert_allclose(
        nn.dot_product_attention(Q, KEY, VAL, **kw),
        _attention_numpy(Q, KEY, VAL, **_numpy_case(case)),
        rtol=1e-13,
        atol=1e-14,
    )


def test_dot_product_attention_shapes_gradients_and_jit():
    # (T, N, H) inputs are one batch; multi-query attention is K = 1
    out3 = nn.dot_product_attention(Q[0], KEY[0], VAL[0], bias=np.ones((N_, T_, S_)))
    np.testing.assert_allclose(out3, nn.dot_product_attention(Q, KEY, VAL)[0], rtol=1e-13)
    mqa = nn.dot_product_attention(Q, KEY[:, :, :1], VAL[:, :, :1])
    np.testing.assert_allclose(mqa, _attention_numpy(Q, KEY[:, :, :1], VAL[:, :, :1]), rtol=1e-13)
    out, lse = nn.dot_product_attention(Q[0], KEY[0], VAL[0], return_residual=True)
    logits = np.einsum("tnh,snh->nts", Q[0], np.repeat(KEY[0], 2, axis=1)) / np.sqrt(H_)
    np.testing.assert_allclose(lse, special.logsumexp(logits, axis=-1).T, rtol=1e-13)
    assert nn.dot_product_attention(*(a.astype(np.float32) for a in (Q, KEY, VAL))).dtype == (
        np.float32
    )
    kw = dict(mask=ATTENTION_CASES["fully masked row"]["mask"], is_causal=True)
    kw["query_seq_lengths"] = np.array([1, 3])

    def f(q, k, v):
        return nn.dot_product_attention(q, k, v, **kw)

    tj.check_grads(f, (Q, KEY, VAL), order=1, modes=("fwd", "rev"))

    def loss(q, k, v):
        return (f(q, k, v) ** 2).sum()

    args = (Q, KEY, VAL)
    np.testing.assert_allclose(tj.jit(f).compile(*args)(*args), f(*args), rtol=1e-13)
    g = tj.grad(loss, (0, 1, 2))
    for compiled, eager in zip(tj.jit(g).compile(*args)(*args), g(*args), strict=True):
        np.testing.assert_allclose(compiled, eager, rtol=1e-12, atol=1e-14)


def test_dot_product_attention_errors():
    with pytest.raises(ValueError, match="cudnn.*GPU"):
        nn.dot_product_attention(Q, KEY, VAL, implementation="cudnn")
    with pytest.raises(ValueError, match="implementation 'flash'"):
        nn.dot_product_attention(Q, KEY, VAL, implementation="flash")
    with pytest.raises(ValueError, match="multiple of the key/value heads, got 4 and 3"):
        nn.dot_product_attention(Q, np.zeros((2, 4, 3, 5)), np.zeros((2, 4, 3, 5)))
    with pytest.raises(ValueError, match="mask dtype should be bool"):
        nn.dot_product_attention(Q, KEY, VAL, mask=np.ones((T_, S_)))
    with pytest.raises(ValueError, match="value shape"):
        nn.dot_product_attention(Q, KEY, VAL[..., :3])
    with pytest.raises(ValueError, match="integer lengths"):
        nn.dot_product_attention(Q, KEY, VAL, query_seq_lengths=np.array([1.0, 2.0]))


@pytest.mark.parametrize("case", ATTENTION_IDS)
def test_dot_product_attention_matches_jax(case):
    """Values and gradients against jax.nn. JAX rounds the logits to float32 for the
    softmax (tracejit keeps float64), hence the tolerance."""
    jax, jnp = jax_x64()
    kw = ATTENTION_CASES[case]
    jkw = {n: (a.astype(np.int32) if n.endswith("lengths") else a) for n, a in kw.items()}

    def losses(lib, grad, kw):
        def loss(q, k, v):
            return (lib.dot_product_attention(q, k, v, **kw) ** 2).sum()

        return lib.dot_product_attention(Q, KEY, VAL, **kw), grad(loss, (0, 1, 2))(Q, KEY, VAL)

    mine, theirs = losses(nn, tj.grad, kw), losses(jax.nn, jax.grad, jkw)
    for m, t in zip(tj.tree.leaves(mine), tj.tree.leaves(theirs), strict=True):
        np.testing.assert_allclose(m, np.asarray(t), rtol=1e-5, atol=1e-6)


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
