"""Transforms through tracejit.numpy: grad vs finite differences, vmap vs a loop, the kink
and removable-singularity conventions, and a sample compared with jax.numpy (x64)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import jax_x64

rng = np.random.default_rng(2)
A = rng.normal(size=(3, 4))
B = rng.normal(size=(4,))
POS = rng.uniform(0.5, 2.0, size=(3, 4))
UNIT = rng.uniform(-0.8, 0.8, size=(3, 4))
BIG = rng.uniform(1.2, 3.0, size=(3, 4))
S = rng.normal(size=(3, 3))
SPD = S @ S.T + 3 * np.eye(3)
W = rng.normal(size=(3, 4))  # a fixed weighting, so outputs are not symmetric

UNARY = {
    "sin": A,
    "cos": A,
    "tan": UNIT,
    "arctan": A,
    "sinh": A,
    "cosh": A,
    "tanh": A,
    "arcsinh": A,
    "exp": A,
    "exp2": A,
    "expm1": A,
    "cbrt": POS,
    "square": A,
    "log": POS,
    "log1p": POS,
    "log2": POS,
    "log10": POS,
    "sqrt": POS,
    "reciprocal": POS,
    "arcsin": UNIT,
    "arccos": UNIT,
    "arctanh": UNIT,
    "arccosh": BIG,
    "deg2rad": A,
    "rad2deg": A,
    "sinc": A,
    "abs": A,
    "negative": A,
    "positive": A,
    "nan_to_num": A,
    "fabs": A,
}
BINARY = {
    "add": (A, B),
    "subtract": (A, B),
    "multiply": (A, B),
    "divide": (A, POS),
    "power": (POS, A),
    "float_power": (POS, A),
    "arctan2": (A, POS),
    "hypot": (A, B),
    "logaddexp": (A, B),
    "logaddexp2": (A, B),
    "maximum": (A, B),
    "minimum": (A, B),
    "fmax": (A, B),
    "fmin": (A, B),
    "remainder": (POS, 0.7),
    "copysign": (A, B),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_grads(name):
    f = getattr(tnp, name)
    tj.check_grads(lambda x: tnp.sum(f(x) * W), (UNARY[name],), order=2)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_grads(name):
    f = getattr(tnp, name)
    x, y = BINARY[name]
    if isinstance(y, float):
        tj.check_grads(lambda x: tnp.sum(f(x, y) * W), (x,), order=2)
    else:
        tj.check_grads(lambda x, y: tnp.sum(f(x, y) * W), (x, y), order=2)


REDUCE = {
    "sum": {},
    "mean": {"axis": 0},
    "var": {"axis": 1, "ddof": 1},
    "std": {},
    "prod": {"axis": 1},
    "max": {"axis": 0},
    "min": {},
    "ptp": {"axis": 1},
    "cumsum": {"axis": 1},
    "cumprod": {"axis": 0},
    "nansum": {},
    "nanmean": {"axis": 0},
    "average": {"axis": 1, "weights": B},
}


@pytest.mark.parametrize("name", list(REDUCE))
def test_reduction_grads(name):
    f = getattr(tnp, name)
    kw = REDUCE[name]
    tj.check_grads(lambda x: tnp.sum(tnp.sin(f(x, **kw))), (A,), order=2)


def test_prod_grad_with_zeros():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5]])
    g = tj.grad(lambda x: tnp.sum(tnp.prod(x, axis=1)))(x)
    np.testing.assert_allclose(g, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])


SHAPE_FNS = {
    "reshape": lambda x: tnp.reshape(x, (4, 3)),
    "transpose": lambda x: tnp.transpose(x),
    "concatenate": lambda x: tnp.concatenate([x, 2 * x[:1]], axis=0),
    "stack": lambda x: tnp.stack([x, x * x], axis=1),
    "split": lambda x: tnp.split(x, [1, 3], axis=1)[1],
    "tile": lambda x: tnp.tile(x, (2, 1)),
    "repeat": lambda x: tnp.repeat(x, [1, 0, 2], axis=0),
    "roll": lambda x: tnp.roll(x, (1, -1), axis=(0, 1)),
    "flip": lambda x: tnp.flip(x),
    "rot90": lambda x: tnp.rot90(x),
    "pad": lambda x: tnp.pad(x, 1, constant_values=0.5),
    "pad_reflect": lambda x: tnp.pad(x, ((1, 2), (2, 1)), mode="reflect"),
    "pad_edge": lambda x: tnp.pad(x, 2, mode="edge"),
    "diag": lambda x: tnp.diag(x[0], 1),
    "diagonal": lambda x: tnp.diagonal(x, 1),
    "trace": lambda x: tnp.trace(x, -1),
    "tril": lambda x: tnp.tril(x),
    "triu": lambda x: tnp.triu(x, 1),
    "sort": lambda x: tnp.sort(x, axis=1),
    "take": lambda x: tnp.take(x, [3, 0, 0], axis=1),
    "where": lambda x: tnp.where(x > 0, x, x * x),
    "clip": lambda x: tnp.clip(x, -0.3, 0.4),
    "broadcast_to": lambda x: tnp.broadcast_to(x, (2, 3, 4)),
    "moveaxis": lambda x: tnp.moveaxis(x[None], 0, -1),
    "linspace": lambda x: tnp.linspace(x[0], x[1], 5),
    "meshgrid": lambda x: tnp.meshgrid(x[0], x[1])[0],
}


@pytest.mark.parametrize("name", list(SHAPE_FNS))
def test_shape_fn_grads(name):
    f = SHAPE_FNS[name]
    out_w = None

    def g(x):
        nonlocal out_w
        y = f(x)
        if out_w is None:
            out_w = np.random.default_rng(0).normal(size=tnp.shape(y))
        return tnp.sum(tnp.sin(y) * out_w)

    tj.check_grads(g, (A,), order=2)


PRODUCT_FNS = {
    "dot": lambda x, y: tnp.dot(x, y.T),
    "matmul": lambda x, y: x @ y.T,
    "matmul_vec": lambda x, y: tnp.matmul(x, y[0]),
    "tensordot": lambda x, y: tnp.tensordot(x, y, axes=([1], [1])),
    "inner": lambda x, y: tnp.inner(x, y),
    "outer": lambda x, y: tnp.outer(x, y[0]),
    "kron": lambda x, y: tnp.kron(x[:2], y[:2, :2]),
    "vdot": lambda x, y: tnp.vdot(x, y),
    "einsum_mm": lambda x, y: tnp.einsum("ij,kj->ik", x, y),
    "einsum_diag": lambda x, y: tnp.einsum("ii->i", x @ y.T),
    "einsum_chain": lambda x, y: tnp.einsum("ij,kj,kl->il", x, y, x),
    "einsum_batch": lambda x, y: tnp.einsum("ij,ij->i", x, y),
}


@pytest.mark.parametrize("name", list(PRODUCT_FNS))
def test_product_grads(name):
    f = PRODUCT_FNS[name]
    tj.check_grads(lambda x, y: tnp.sum(tnp.sin(f(x, y))), (A, W), order=2)


LINALG_FNS = {
    "inv": lambda a: tnp.linalg.inv(a),
    "solve": lambda a: tnp.linalg.solve(a, a[0]),
    "det": lambda a: tnp.linalg.det(a),
    "slogdet": lambda a: tnp.linalg.slogdet(a)[1],
    "cholesky": lambda a: tnp.linalg.cholesky(a),
    "eigvalsh": lambda a: tnp.linalg.eigvalsh(a),
    "pinv": lambda a: tnp.linalg.pinv(a[:, :2]),
    "svdvals": lambda a: tnp.linalg.svd(a, compute_uv=False),
    "matrix_power": lambda a: tnp.linalg.matrix_power(a / 4, 3),
    "matrix_power_neg": lambda a: tnp.linalg.matrix_power(a, -1),
    "norm": lambda a: tnp.linalg.norm(a),
    "norm_1": lambda a: tnp.linalg.norm(a[0], 1),
    "norm_3": lambda a: tnp.linalg.norm(a[0], 3),
    "norm_inf": lambda a: tnp.linalg.norm(a, np.inf),
    "norm_nuc": lambda a: tnp.linalg.norm(a, "nuc"),
    "norm_2": lambda a: tnp.linalg.norm(a, 2),
    "norm_axis": lambda a: tnp.linalg.norm(a, axis=1, keepdims=True),
}


@pytest.mark.parametrize("name", list(LINALG_FNS))
def test_linalg_grads(name):
    f = LINALG_FNS[name]
    a = SPD + 0.3 * np.triu(S)  # not symmetric: solve/inv/det see a general matrix
    if name in ("cholesky", "eigvalsh"):
        a = SPD
    tj.check_grads(lambda a: tnp.sum(tnp.sin(f(a))), (a,), order=1)


# ---------------------------------------------------------------------------
# kinks and removable singularities: never NaN, minimum-norm subgradient


def _all_modes_grad(f, x):
    """grad by reverse mode, and by forward mode (jacfwd), which must agree."""
    g_rev = tj.grad(f)(x)
    g_fwd = tj.jacfwd(f)(x)
    np.testing.assert_allclose(g_rev, g_fwd, atol=1e-12)
    return g_rev


@pytest.mark.parametrize(
    "f",
    [
        lambda x: tnp.linalg.norm(x),
        lambda x: tnp.linalg.norm(x, 2),
        lambda x: tnp.linalg.norm(x, 3),
        lambda x: tnp.linalg.norm(x.reshape(2, 2), "fro"),
        lambda x: tnp.linalg.vector_norm(x),
        lambda x: tnp.hypot(x[0], x[1]),
        lambda x: tnp.std(x),
        lambda x: tnp.std(x, ddof=1),
        lambda x: tnp.sum(tnp.abs(x)),
    ],
    ids=["norm", "norm2", "norm3", "fro", "vector_norm", "hypot", "std", "std_ddof", "abs"],
)
def test_zero_gradient_at_the_kink(f):
    g = _all_modes_grad(f, np.zeros(4))
    np.testing.assert_array_equal(g, np.zeros(4))
    if f(np.ones(4)) != 0:  # std is also flat at any constant vector
        x = rng.normal(size=4)
        np.testing.assert_allclose(tj.grad(f)(x), tj.jacfwd(f)(x), atol=1e-12)


def test_norm_gradient_away_from_zero_and_under_vmap():
    x = rng.normal(size=(5, 4))
    x[2] = 0.0
    g = tj.vmap(tj.grad(lambda v: tnp.linalg.norm(v)))(x)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(g, np.where(n > 0, x / np.where(n > 0, n, 1), 0))
    assert not np.any(np.isnan(tj.hessian(lambda v: tnp.linalg.norm(v))(np.zeros(3))))


def test_sinc_at_zero():
    assert tnp.sinc(0.0) == 1.0
    assert _all_modes_grad(tnp.sinc, 0.0) == 0.0
    d2 = tj.grad(tj.grad(tnp.sinc))(0.0)
    np.testing.assert_allclose(d2, -(math.pi**2) / 3)
    x = np.array([-1.5, -1e-3, 1e-3, 0.7])
    h = 1e-6
    np.testing.assert_allclose(
        tj.vmap(tj.grad(tnp.sinc))(x), (np.sinc(x + h) - np.sinc(x - h)) / (2 * h), rtol=1e-6
    )


def test_ties_split_the_gradient():
    gx, gy = tj.grad(lambda x, y: tnp.maximum(x, y), argnums=(0, 1))(1.0, 1.0)
    assert (gx, gy) == (0.5, 0.5)
    gx, gy = tj.grad(lambda x, y: tnp.minimum(x, y), argnums=(0, 1))(1.0, 1.0)
    assert (gx, gy) == (0.5, 0.5)
    assert tj.grad(lambda x: tnp.clip(x, 0.0, 1.0))(0.0) == 0.5
    assert tj.grad(lambda x: tnp.clip(x, 0.0, 1.0))(1.0) == 0.5
    assert tj.grad(lambda x: tnp.clip(x, 0.0, 1.0))(0.5) == 1.0
    gx, gy = tj.grad(lambda x, y: tnp.logaddexp(x, y), argnums=(0, 1))(0.3, 0.3)
    np.testing.assert_allclose((gx, gy), (0.5, 0.5))
    g = tj.grad(lambda x: tnp.max(x))(np.array([1.0, 3.0, 3.0, 3.0]))
    np.testing.assert_allclose(g, [0, 1 / 3, 1 / 3, 1 / 3])
    assert tj.grad(tnp.abs)(0.0) == 0.0


def test_logaddexp_infinities():
    assert tnp.logaddexp(-np.inf, -np.inf) == -np.inf
    assert tnp.logaddexp(np.inf, np.inf) == np.inf
    assert tnp.logaddexp(-np.inf, 1.0) == 1.0
    assert tj.grad(lambda x: tnp.logaddexp(x, -np.inf))(2.0) == 1.0


# ---------------------------------------------------------------------------
# vmap vs a loop, on compositions


def _softmax_xent(w, x, y):
    logits = x @ w
    m = tnp.max(logits, axis=-1, keepdims=True)
    lse = m[..., 0] + tnp.log(tnp.sum(tnp.exp(logits - m), axis=-1))
    return tnp.mean(lse - tnp.take_along_axis(logits, y[..., None], -1)[..., 0])


def test_vmap_matches_loop_on_compositions():
    w = rng.normal(size=(4, 3))
    xs = rng.normal(size=(6, 5, 4))
    ys = rng.integers(0, 3, size=(6, 5))
    loss_grads = tj.vmap(tj.grad(_softmax_xent), in_axes=(None, 0, 0))(w, xs, ys)
    loop = np.stack([tj.grad(_softmax_xent)(w, x, y) for x, y in zip(xs, ys, strict=True)])
    np.testing.assert_allclose(loss_grads, loop, atol=1e-12)

    def g(x):
        y = tnp.einsum("ij,jk->ik", x, x.T) + tnp.linalg.norm(x, axis=0)[:, None].sum()
        return tnp.concatenate([tnp.sort(y, axis=0), tnp.cumsum(x, axis=1)], axis=1)

    xs = rng.normal(size=(4, 3, 3))
    np.testing.assert_allclose(tj.vmap(g)(xs), np.stack([g(x) for x in xs]), atol=1e-12)
    np.testing.assert_allclose(
        tj.vmap(g, in_axes=2, out_axes=1)(xs),
        np.stack([g(xs[:, :, k]) for k in range(3)], axis=1),
        atol=1e-12,
    )


def test_jit_matches_eager():
    w = rng.normal(size=(4, 3))
    xs = rng.normal(size=(5, 4))
    ys = rng.integers(0, 3, size=5)
    loss_and_grad = tj.jit(tj.value_and_grad(_softmax_xent))
    got = loss_and_grad(w, xs, ys)
    want = (_softmax_xent(w, xs, ys), tj.grad(_softmax_xent)(w, xs, ys))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def test_softmax_xent_grad_vs_finite_differences():
    w = rng.normal(size=(4, 3))
    x = rng.normal(size=(5, 4))
    y = rng.integers(0, 3, size=5)
    tj.check_grads(lambda w: _softmax_xent(w, x, y), (w,), order=2)


def test_concretization_errors_are_clear():
    with pytest.raises(tj.ConcretizationError):
        tj.make_ir(lambda x: tnp.nonzero(x))(A)
    with pytest.raises(tj.ConcretizationError, match="repeat"):
        tj.vmap(lambda r: tnp.repeat(A, r, axis=0))(np.array([[1, 2, 0], [0, 1, 1]]))
    with pytest.raises(tj.ConcretizationError):
        tj.vmap(lambda x: tnp.arange(x))(np.array([1, 2]))


# ---------------------------------------------------------------------------
# jax.numpy as an oracle (x64), on a sample


JAX_SAMPLE = [
    ("sin", (A,), {}),
    ("sin", (A.astype(np.float32),), {}),
    ("add", (A.astype(np.float32), 2.0), {}),
    ("true_divide", (np.arange(4), 3), {}),
    ("power", (POS, A), {}),
    ("logaddexp", (A, B), {}),
    ("hypot", (A, B), {}),
    ("sinc", (A,), {}),
    ("clip", (A, -0.2, 0.3), {}),
    ("mean", (A,), {"axis": 0}),
    ("var", (A,), {"axis": 1, "ddof": 1}),
    ("std", (A,), {}),
    ("argmax", (A,), {"axis": 1}),
    ("cumsum", (A,), {"axis": 1}),
    ("sort", (A,), {"axis": 0}),
    ("einsum", ("ij,kj->ik", A, A), {}),
    ("matmul", (A, A.T), {}),
    ("kron", (A, S), {}),
    ("tensordot", (A, A, ([1], [1])), {}),
    ("roll", (A, 2), {"axis": 1}),
    ("pad", (A, 2), {"mode": "reflect"}),
    ("diag", (B, 1), {}),
    ("tril", (A, -1), {}),
    ("take_along_axis", (A, np.argsort(A, 1), 1), {}),
    ("nan_to_num", (np.array([np.nan, 1.0]),), {}),
    ("linspace", (0.0, 1.0, 7), {}),
    ("where", (A > 0, A, -A.astype(np.float32)), {}),
]


@pytest.mark.parametrize("name,args,kwargs", JAX_SAMPLE, ids=[s[0] for s in JAX_SAMPLE])
def test_matches_jax_numpy(name, args, kwargs):
    _, jnp = jax_x64()  # (skips without JAX; the tests above run either way)
    want = getattr(jnp, name)(*args, **kwargs)
    got = getattr(tnp, name)(*args, **kwargs)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, atol=1e-12)
    assert np.asarray(got).dtype == np.asarray(want).dtype


def test_grads_match_jax():
    jax, jnp = jax_x64()

    def f(mod, w, x):
        h = mod.tanh(x @ w[:4])
        h = h * mod.linalg.norm(h, axis=1, keepdims=True) + mod.sinc(h) - mod.clip(h, -0.1, 0.1)
        return (
            mod.sum(mod.logaddexp(h, 0.5) ** 2)
            + mod.linalg.slogdet(SPD + w[4:7, :3].T @ w[4:7, :3])[1]
        )

    w = rng.normal(size=(7, 3))
    x = rng.normal(size=(5, 4))
    want = jax.jit(jax.grad(lambda w: f(jnp, w, x)))(w)
    np.testing.assert_allclose(tj.grad(lambda w: f(tnp, w, x))(w), want, rtol=1e-9)
    tj.check_grads(lambda w: f(tnp, w, x), (w,), order=2, modes=("rev",))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_logaddexp_derivative_of_nan_is_nan():
    """A NaN input is not a pair of equal infinities: its derivative is NaN (as JAX), while
    equal infinities keep their finite derivative."""
    nan = float("nan")
    for f in (tnp.logaddexp, tnp.logaddexp2):
        assert np.isnan(tj.grad(lambda x, f=f: f(x, 0.0))(nan))
        assert np.isnan(tj.grad(lambda y, f=f: f(1.0, y))(nan))
        assert np.isfinite(tj.grad(lambda x, f=f: f(x, np.inf))(np.inf))
    assert np.isnan(tj.grad(tj.nn.softplus)(nan))
    tj.check_grads(tj.nn.softplus, (nan,), order=1)  # NaN == NaN in the check
