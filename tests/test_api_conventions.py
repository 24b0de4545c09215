"""The autodiff issue's "done when" items through the public API: jacfwd == jacrev and
hessian vs finite differences on test functions, the kink table row by row (the
documented differences from JAX), where/sqrt NaN-safety, integer inputs, and autograd's
style: check_grads over a list of NumPy functions written with tracejit.numpy."""

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp

R = np.random.RandomState(4)


# ---------------------------------------------------------------------------
# jacobians and hessians on test functions


def rosenbrock(x):
    return tnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


X5, LABELS = R.randn(5, 3), np.array([0, 2, 1, 1, 0])
X4, Y4 = R.randn(4, 2), R.randn(4)


def softmax_xent(w):
    x, labels = X5, LABELS
    logits = tnp.dot(x, tnp.reshape(w, (3, 3)))
    logp = logits - tnp.log(tnp.sum(tnp.exp(logits), axis=1, keepdims=True))
    return -tnp.mean(logp[np.arange(5), labels])


def logdet(a):
    m = tnp.reshape(a, (3, 3))
    return tnp.linalg.slogdet(tnp.dot(m, m.T) + 3.0 * tnp.eye(3))[1]


def mlp_loss(p):
    x, y = X4, Y4
    w1, b1, w2 = p[:6].reshape(2, 3), p[6:9], p[9:12]
    h = tnp.tanh(tnp.dot(x, w1) + b1)
    return tnp.mean((tnp.dot(h, w2) - y) ** 2)


FUNCTIONS = [
    (rosenbrock, R.randn(4)),
    (softmax_xent, R.randn(9)),
    (logdet, R.randn(9)),
    (mlp_loss, R.randn(12)),
]


def fd_hessian(f, x, eps=1e-4):
    g = tj.grad(f)
    cols = [(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(x.size)]
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("f, x", FUNCTIONS, ids=lambda v: getattr(v, "__name__", ""))
def test_jacfwd_equals_jacrev_and_hessian_matches_finite_differences(f, x):
    g = tj.grad(f)
    np.testing.assert_allclose(tj.jacfwd(g)(x), tj.jacrev(g)(x), rtol=1e-10, atol=1e-12)
    h = tj.hessian(f)(x)
    np.testing.assert_allclose(h, fd_hessian(f, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)
    tj.check_grads(f, (x,), order=2)


# ---------------------------------------------------------------------------
# the kink table: minimum-norm subgradients (documented differences from JAX)


def test_kink_table_rows():
    grad = tj.grad
    if hasattr(tj, "nn") and hasattr(tj.nn, "relu"):
        assert grad(tj.nn.relu)(0.0) == 0.0
    assert grad(tnp.abs)(0.0) == 0.0  # JAX: 1
    assert grad(tnp.maximum, (0, 1))(1.0, 1.0) == (0.5, 0.5)
    assert grad(tnp.minimum, (0, 1))(1.0, 1.0) == (0.5, 0.5)
    assert grad(tnp.clip, (0, 1, 2))(1.0, 1.0, 2.0) == (0.5, 0.5, 0.0)  # at the lower bound
    assert grad(tnp.clip, (0, 1, 2))(2.0, 1.0, 2.0) == (0.5, 0.0, 0.5)  # at the upper bound
    x = np.array([3.0, 1.0, 3.0, 3.0])
    np.testing.assert_allclose(grad(tnp.max)(x), [1 / 3, 0, 1 / 3, 1 / 3])
    np.testing.assert_allclose(grad(tnp.min)(-x), [1 / 3, 0, 1 / 3, 1 / 3])
    for f in (tnp.floor, tnp.ceil, tnp.round, tnp.sign):
        assert grad(f)(1.0) == 0.0 and grad(f)(1.5) == 0.0
    assert grad(lambda v: (v > 0).astype(np.float64))(0.0) == 0.0
    np.testing.assert_array_equal(grad(tnp.linalg.norm)(np.zeros(3)), np.zeros(3))  # JAX: NaN
    assert grad(tnp.sqrt)(0.0) == np.inf


def test_sort_with_ties_is_a_permutation():
    x = np.array([2.0, 1.0, 2.0, 0.0])
    jac = tj.jacrev(tnp.sort)(x)
    np.testing.assert_array_equal(jac.sum(0), np.ones(4))  # each input to one place
    np.testing.assert_array_equal(jac.sum(1), np.ones(4))
    np.testing.assert_array_equal(jac @ x, np.sort(x))
    np.testing.assert_array_equal(jac, tj.jacfwd(tnp.sort)(x))
    np.testing.assert_array_equal(np.argmax(jac, axis=1), np.argsort(x, kind="stable"))


def test_where_and_zero_tangents_are_nan_safe():
    assert tj.grad(lambda x: tnp.where(x > 0, tnp.sqrt(x), 0.0))(-1.0) == 0.0  # JAX: NaN
    assert tj.grad(lambda x: tnp.where(x > 0, tnp.log(x), x))(-2.0) == 1.0
    # a zero tangent times an infinite partial derivative is 0 (a linear map sends 0 to 0)
    assert tj.jvp(tnp.sqrt, (0.0,), (0.0,))[1] == 0.0
    assert tj.grad(lambda x, y: x + tnp.sqrt(y), 0)(1.0, 0.0) == 1.0
    # a NaN that the forward pass really produced on the taken path propagates
    with np.errstate(invalid="ignore"):
        assert np.isnan(tj.grad(tnp.sqrt)(-1.0))


def test_integer_inputs():
    # zero tangents flow through integer arguments
    out, t = tj.jvp(lambda x, n: x**n, (2.0, 3), (1.0, np.zeros((), tj.dtypes.float0)))
    assert out == 8.0 and t == 12.0
    assert tj.grad(lambda x, n: x**n)(2.0, 3) == 12.0
    assert tj.grad(lambda x, i: x[i] * 2.0)(np.arange(3.0), 1)[1] == 2.0
    with pytest.raises(TypeError, match="grad requires real- or complex-valued inputs"):
        tj.grad(lambda x, n: x**n, argnums=1)(2.0, 3)


# ---------------------------------------------------------------------------
# autograd's style: check_grads over NumPy functions


def pos(*shape):
    return np.abs(R.randn(*shape)) + 0.5


M = R.randn(3, 3)
SPD = M @ M.T + 3 * np.eye(3)

UNARY = [
    (tnp.sin, R.randn(3)),
    (tnp.cos, R.randn(3)),
    (tnp.tan, 0.3 * R.randn(3)),
    (tnp.tanh, R.randn(3)),
    (tnp.exp, R.randn(3)),
    (tnp.log, pos(3)),
    (tnp.log1p, pos(3)),
    (tnp.expm1, R.randn(3)),
    (tnp.sqrt, pos(3)),
    (tnp.arctan, R.randn(3)),
    (tnp.sinh, R.randn(3)),
    (tnp.cosh, R.randn(3)),
    (tnp.square, R.randn(3)),
    (tnp.abs, pos(3)),
    (lambda x: x**3.5, pos(3)),
    (lambda x: 1.0 / x, pos(3)),
    (tnp.sum, R.randn(2, 3)),
    (lambda x: tnp.sum(x, axis=1), R.randn(2, 3)),
    (tnp.mean, R.randn(2, 3)),
    (tnp.prod, pos(4)),
    (tnp.var, R.randn(5)),
    (tnp.std, R.randn(5)),
    (lambda x: tnp.max(x, axis=0), R.randn(3, 2)),
    (tnp.cumsum, R.randn(4)),
    (lambda x: tnp.transpose(x), R.randn(2, 3)),
    (lambda x: tnp.reshape(x, (3, 2)), R.randn(2, 3)),
    (lambda x: tnp.concatenate([x, 2 * x]), R.randn(3)),
    (lambda x: tnp.stack([x, x**2], axis=1), R.randn(3)),
    (lambda x: x[::-1, 1:], R.randn(3, 3)),
    (lambda x: tnp.einsum("ij,jk->ik", x, x), R.randn(3, 3)),
    (lambda x: tnp.outer(x, x), R.randn(3)),
    (lambda x: tnp.where(x > 0, x**2, -x), R.randn(4) + 0.1),
    (tnp.linalg.inv, SPD),
    (tnp.linalg.det, SPD),
    (lambda a: tnp.linalg.slogdet(a)[1], SPD),
    (lambda a: tnp.linalg.solve(a, np.arange(3.0)), SPD),
    (tnp.linalg.cholesky, SPD),
    (tnp.linalg.norm, R.randn(4)),
]


@pytest.mark.parametrize("f, x", UNARY, ids=lambda v: getattr(v, "__name__", ""))
def test_check_grads_numpy_functions(f, x):
    tj.check_grads(f, (x,), order=2, modes=("fwd", "rev"))


BINARY = [
    (lambda x, y: x + y, R.randn(3), R.randn(3)),
    (lambda x, y: x * y, R.randn(3), R.randn(2, 3)),
    (lambda x, y: x / y, R.randn(3), pos(3)),
    (lambda x, y: x**y, pos(3), R.randn(3)),
    (tnp.dot, R.randn(2, 3), R.randn(3)),
    (tnp.matmul, R.randn(2, 3), R.randn(3, 2)),
    (tnp.arctan2, R.randn(3), R.randn(3)),
    (tnp.logaddexp, R.randn(3), R.randn(3)),
    (tnp.maximum, R.randn(3), R.randn(3)),
    (
        lambda x, y: tnp.hypot(x, y) if hasattr(tnp, "hypot") else tnp.sqrt(x**2 + y**2),
        pos(3),
        pos(3),
    ),
]


@pytest.mark.parametrize("f, x, y", BINARY, ids=lambda v: getattr(v, "__name__", ""))
def test_check_grads_binary_numpy_functions(f, x, y):
    tj.check_grads(f, (x, y), order=2, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------
# errors and checks with JAX's types (a JAX test's pytest.raises(TypeError) passes)


def test_concretization_errors_are_type_errors_with_jax_names():
    from tracejit import errors

    cases = [
        (lambda x: 1.0 if x > 0 else 2.0, errors.TracerBoolConversionError),
        (lambda x: int(x), errors.TracerIntegerConversionError),
        (lambda x: [1, 2][x], errors.TracerIntegerConversionError),
        (lambda x: float(x), errors.ConcretizationTypeError),
        (lambda x: np.asarray(x), errors.TracerArrayConversionError),
    ]
    for f, kind in cases:
        with pytest.raises(kind, match="traced value") as e:
            tj.jit(f)(np.int64(1))
        assert isinstance(e.value, TypeError) and isinstance(e.value, tj.TraceError)
    assert issubclass(errors.TracerBoolConversionError, tj.ConcretizationError)
    assert errors.ConcretizationTypeError is tj.ConcretizationError
    assert errors.UnexpectedTracerError is tj.TracerLeakError
    assert issubclass(tj.TracerLeakError, TypeError)


def test_unhashable_static_argument_is_a_value_error():
    with pytest.raises(ValueError, match="Non-hashable static arguments"):
        tj.jit(lambda x, y: x, static_argnums=1)(1.0, [1, 2])
    with pytest.raises(ValueError, match="static argument 'y' of type dict"):
        tj.jit(lambda x, y: x, static_argnames="y")(1.0, y={})
    assert tj.jit(lambda x, y: x * y[0], static_argnums=1)(2.0, (3,)) == 6.0


def test_duplicate_argnums_raise_as_in_jax():
    f = lambda x, y: x * y  # noqa: E731
    for transform in (tj.grad, tj.value_and_grad, tj.jacfwd, tj.jacrev, tj.hessian):
        with pytest.raises(TypeError, match="more than once"):
            transform(f, argnums=(0, 0))(2.0, 3.0)
    with pytest.raises(TypeError, match="more than once"):
        tj.grad(f, argnums=(0, -2))(2.0, 3.0)  # the same argument, counted from the end
    assert tj.grad(f, argnums=(1, 0))(2.0, 3.0) == (2.0, 3.0)


def test_check_grads_treats_nan_as_equal_to_nan():
    from tracejit.test_util import check_grads

    check_grads(tnp.sin, (float("nan"),), order=1)
    check_grads(tnp.sin, (np.array([0.5, np.nan]),), order=2)
    with pytest.raises(tj.testing.GradCheckError):  # a real mismatch still fails
        check_grads(lambda x: tj.lax.stop_gradient(x) * x, (1.0,), order=1, nudge=False)
