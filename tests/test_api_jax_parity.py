"""grad, value_and_grad, jvp, linearize, vjp, jacfwd, jacrev, hessian, linear_transpose,
stop_gradient and eval_shape behave like JAX's: names, signatures, pytree structures,
dtypes and values (JAX float64 as the oracle), and the same error types for the same
mistakes. Ported in spirit from JAX's public api tests."""

import collections
import functools

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import FLOAT0, assert_trees_close, jax_x64

R = np.random.RandomState(0)


# ---------------------------------------------------------------------------
# grad and value_and_grad


def test_grad_argnums_and_kwargs():
    def f(x, y, z, flag=False):
        assert flag
        return 1.0 * x + 2.0 * y + 3.0 * z

    assert tj.grad(f)(1.0, 1.0, 1.0, flag=True) == 1.0
    assert tj.grad(f, argnums=1)(1.0, 1.0, 1.0, flag=True) == 2.0
    assert tj.grad(f, argnums=(2, 0))(1.0, 1.0, 1.0, flag=True) == (3.0, 1.0)
    assert tj.grad(f, argnums=[2, 0])(1.0, 1.0, 1.0, flag=True) == (3.0, 1.0)
    assert tj.grad(f, argnums=-1)(1.0, 1.0, 1.0, flag=True) == 3.0
    assert tj.grad(f, argnums=(-3,))(1.0, 1.0, 1.0, flag=True) == (1.0,)


def test_value_and_grad_argnums():
    def f(x, y, z, flag=False):
        assert flag
        return 1.0 * x + 2.0 * y + 3.0 * z

    y = f(1.0, 1.0, 1.0, flag=True)
    assert tj.value_and_grad(f)(1.0, 1.0, 1.0, flag=True) == (y, 1.0)
    assert tj.value_and_grad(f, argnums=1)(1.0, 1.0, 1.0, flag=True) == (y, 2.0)
    assert tj.value_and_grad(f, argnums=(2, 0))(1.0, 1.0, 1.0, flag=True) == (y, (3.0, 1.0))


def test_grad_results_are_numpy_arrays_of_the_input_dtype():
    g = tj.grad(lambda x: x**2)(3.0)  # a Python float is float64 (JAX with x64 too)
    assert type(g) is np.ndarray and g.shape == () and g.dtype == np.float64
    g32 = tj.grad(lambda x: (x**2).sum())(np.ones(3, np.float32))
    assert g32.dtype == np.float32 and g32.shape == (3,)


def test_grad_matches_jax_on_pytrees():
    jax, jnp = jax_x64()
    Point = collections.namedtuple("Point", ["x", "y"])
    args = ({"a": 2.0, "b": (R.randn(3), [R.randn(2, 2)])}, Point(1.5, R.randn(3)))

    def f(np_, d, p):
        s = d["a"] * np_.sum(np_.sin(d["b"][0])) + np_.sum(d["b"][1][0] ** 2)
        return s * p.x + np_.sum(p.y * d["b"][0])

    for argnums in (0, 1, (0, 1), (1, 0)):
        got = tj.grad(functools.partial(f, tnp), argnums)(*args)
        want = jax.grad(functools.partial(f, jnp), argnums)(*args)
        assert_trees_close(got, want)
    assert isinstance(tj.grad(functools.partial(f, tnp), 1)(*args), Point)


def test_grad_has_aux_structures_match_jax():
    jax, jnp = jax_x64()

    def f(np_, x):
        return np_.sum(x**3), {"sq": x**2, "n": (3.0, [np_.sum(x)])}

    x = R.randn(3)
    assert_trees_close(
        tj.grad(functools.partial(f, tnp), has_aux=True)(x),
        jax.grad(functools.partial(f, jnp), has_aux=True)(x),
    )
    got = tj.value_and_grad(functools.partial(f, tnp), has_aux=True)(x)
    want = jax.value_and_grad(functools.partial(f, jnp), has_aux=True)(x)
    assert_trees_close(got, want)
    (value, aux), g = got  # ((value, aux), grad), as JAX
    assert isinstance(aux, dict) and value.shape == () and g.shape == (3,)
    for leaf in tj.tree.leaves(aux):
        assert not isinstance(leaf, tj.trace.Tracer)


def test_grad_and_aux_nested_and_constant():
    def f(x):
        _, aux = tj.grad(lambda x: (x**3, [x**3]), has_aux=True)(x)
        return aux[0] * tnp.sin(x)

    np.testing.assert_allclose(
        tj.grad(f)(4.0), tj.grad(lambda x: x**3 * tnp.sin(x))(4.0), rtol=1e-14
    )
    g, aux = tj.grad(lambda x: (x**3, [x**2, 4.0]), has_aux=True)(4.0)
    assert g == 48.0 and aux == [16.0, 4.0]


def test_grad_allow_int_gives_float0():
    grad_x, grad_i = tj.grad(lambda x, i: x[i], argnums=(0, 1), allow_int=True)(np.ones(2), 1)
    np.testing.assert_array_equal(grad_x, [0.0, 1.0])
    assert grad_i.dtype == FLOAT0 and grad_i.shape == ()
    value, g = tj.value_and_grad(
        lambda p: tj.lax.cond(p, lambda _: 1.0, lambda _: 2.0, 1.0), allow_int=True
    )(True)
    assert value == 1.0 and g.dtype == FLOAT0


def test_grad_holomorphic():
    g = tj.grad(tnp.sin, holomorphic=True)(1 + 2j)
    np.testing.assert_allclose(g, np.cos(1 + 2j), rtol=1e-14)
    with pytest.raises(TypeError, match="holomorphic=True requires inputs with complex dtype"):
        tj.grad(lambda x: x**2, holomorphic=True)(3.0)
    with pytest.raises(TypeError, match="requires real-valued outputs"):
        tj.grad(tnp.sin)(1 + 2j)
    assert float(tj.grad(lambda x: x * 2.0, holomorphic=False, reduce_axes=())(3.0)) == 2.0


@pytest.mark.parametrize(
    "fun, args, match",
    [
        (lambda x: x**2, (3,), r"grad requires real- or complex-valued inputs \(input dtype"),
        (lambda x: 1.0, (True,), "but got bool. If you want to use Boolean- or integer-valued"),
        (lambda x: x, (np.zeros(3),), "Gradient only defined for scalar-output functions. Output"),
        (lambda x: (x, x), (1.0,), "Gradient only defined for scalar-output functions. "),
        (lambda x: (), (np.zeros(3),), "Gradient only defined for scalar-output functions. "),
        (lambda x: x * np.ones(1), (1.0,), r"Output had shape: \(1,\)"),
        (lambda x: x**2 + 1j, (3.0,), r"grad requires real-valued outputs \(output dtype"),
        (lambda x: (x > 0).astype(int), (1.0,), "but got int64. For differentiation of"),
        (lambda x: x, ("foo",), "'foo' of type <.*'str'> is not a valid JAX type"),
    ],
)
def test_grad_errors_are_jax_type_errors(fun, args, match):
    with pytest.raises(TypeError, match=match):
        tj.grad(fun)(*args)


def test_grad_argnums_error_messages():
    def f(x, y):
        return x + y

    with pytest.raises(TypeError, match="argnums=0 requires at least 1 positional arguments"):
        functools.partial(tj.grad(f, argnums=0), x=0.0)(y=1.0)
    with pytest.raises(TypeError, match="argnums=2 requires at least 3 positional arguments"):
        tj.grad(f, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="two-element tuple"):
        tj.grad(lambda x: x**2, has_aux=True)(1.0)


def test_transformed_functions_keep_names():
    for t in (tj.grad, tj.value_and_grad, tj.jacfwd, tj.jacrev, tj.hessian, tj.vmap):
        assert t(np.sin).__name__ == "sin"


# ---------------------------------------------------------------------------
# jvp and linearize


def test_jvp_pytrees_and_has_aux_match_jax():
    jax, jnp = jax_x64()

    def f(np_, d, xs):
        return {"o": d["a"] * np_.sin(xs[0]), "p": (np_.sum(xs[1]) * d["b"],)}

    prim = ({"a": 2.0, "b": R.randn(2)}, [R.randn(3), R.randn(4)])
    tan = ({"a": 1.0, "b": R.randn(2)}, [R.randn(3), R.randn(4)])
    got = tj.jvp(functools.partial(f, tnp), prim, tan)
    assert_trees_close(got, jax.jvp(functools.partial(f, jnp), prim, tan))

    def g(np_, x):
        return np_.sin(x), {"aux": x * 2}

    got = tj.jvp(functools.partial(g, tnp), (1.0,), (1.0,), has_aux=True)
    want = jax.jvp(functools.partial(g, jnp), (1.0,), (1.0,), has_aux=True)
    assert len(got) == 3
    assert_trees_close(got, want)


def test_jvp_argument_errors():
    with pytest.raises(TypeError, match="must have the same tree structure"):
        tj.jvp(lambda x, y: x * y, (np.float32(2),), ())
    with pytest.raises(TypeError, match="must have the same tree structure"):
        tj.jvp(lambda x: x, (np.float32(2),), [np.float32(2)])
    with pytest.raises(TypeError, match="do not match; dtypes must be equal"):
        tj.jvp(lambda x: -x, (np.float16(2),), (np.float32(4),))
    with pytest.raises(ValueError, match="different primal and tangent shapes"):
        tj.jvp(lambda x: x + 1, (np.array([1.0, 2.0, 3.0]),), (np.ones(4),))
    with pytest.raises(TypeError, match="must be tuples or lists; found float and tuple"):
        tj.jvp(lambda x, y: x + y, 0.0, (1.0,))
    with pytest.raises(TypeError, match="must be tuples or lists; found tuple and ndarray"):
        tj.jvp(lambda x, y: x + y, (0.0,), np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="tangent dtype must be float0"):
        tj.jvp(lambda x: x * 2, (1,), (1.0,))


def test_jvp_of_integers_uses_float0():
    zero = np.zeros((), FLOAT0)
    out, t = tj.jvp(lambda x: x, (1,), (zero,))
    assert out == 1 and t.dtype == FLOAT0 and t.shape == ()
    out, t = tj.jvp(lambda x: x + 1, (np.arange(3),), (np.zeros(3, FLOAT0),))
    assert t.dtype == FLOAT0 and t.shape == (3,)
    out, t = tj.jvp(lambda x, i: x * i, (2.0, 3), (1.0, zero))  # zero tangents flow
    assert out == 6.0 and t == 3.0 and t.dtype == np.float64
    out, t = tj.jvp(lambda x: (x > 0, x * 2), (1.0,), (1.0,))
    assert t[0].dtype == FLOAT0 and t[1] == 2.0


def test_linearize_matches_jvp_and_jax():
    jax, jnp = jax_x64()
    x, y = R.randn(3), R.randn(3)
    out, f_jvp = tj.linearize(lambda a, b: tnp.sin(a) * b, x, y)
    want_out, want_jvp = jax.linearize(lambda a, b: jnp.sin(a) * b, x, y)
    tx, ty = R.randn(3), R.randn(3)
    assert_trees_close(out, want_out)
    assert_trees_close(f_jvp(tx, ty), want_jvp(tx, ty))
    assert_trees_close(f_jvp(tx, ty), tj.jvp(lambda a, b: tnp.sin(a) * b, (x, y), (tx, ty))[1])

    out, f_jvp, aux = tj.linearize(lambda a: (a**2, {"a": a}), 3.0, has_aux=True)
    assert out == 9.0 and f_jvp(1.0) == 6.0 and aux == {"a": 3.0}

    _, f_jvp = tj.linearize(tnp.sum, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="inconsistent with the original primal values"):
        f_jvp(np.ones((3, 2)))


# ---------------------------------------------------------------------------
# vjp


def test_vjp_pytrees_has_aux_and_tuples_match_jax():
    jax, jnp = jax_x64()

    def f(np_, d, x):
        return [d["a"] * np_.sum(x), {"v": np_.exp(d["b"]) * x[:2]}], {"aux": x}

    args = ({"a": 2.0, "b": R.randn(2)}, R.randn(3))
    out, vjp_fn, aux = tj.vjp(functools.partial(f, tnp), *args, has_aux=True)
    w_out, w_vjp, w_aux = jax.vjp(functools.partial(f, jnp), *args, has_aux=True)
    assert_trees_close((out, aux), (w_out, w_aux))
    ct = [1.5, {"v": R.randn(2)}]
    assert_trees_close(vjp_fn(ct), w_vjp(ct))
    assert isinstance(vjp_fn(ct), tuple)  # one cotangent per primal, always a tuple


def test_vjp_cotangent_errors():
    _, pullback = tj.vjp(lambda x, y: x * y, np.float32(3), np.float32(4))
    # JAX raised TypeError for these, now ValueError; tracejit's error is both
    with pytest.raises(TypeError, match="tree structure"):
        pullback((np.float32(7), np.float32(100)))
    with pytest.raises(ValueError, match="float16"):
        pullback(np.float16(42))
    with pytest.raises(ValueError, match=r"got float64\[4\], but expected float64\[3\]"):
        tj.vjp(lambda x: x * 2, np.ones(3))[1](np.ones(4))


def test_vjp_integer_inputs_and_outputs():
    _, pullback = tj.vjp(lambda x, i: x * i, 2.0, 3)
    gx, gi = pullback(1.0)
    assert gx == 3.0 and gi.dtype == FLOAT0
    _, pullback = tj.vjp(lambda x: (x * 2, x > 0), 2.0)
    (g,) = pullback((1.0, np.zeros((), FLOAT0)))
    assert g == 2.0


# ---------------------------------------------------------------------------
# jacobians and hessian


@pytest.mark.parametrize("jacfun", [tj.jacfwd, tj.jacrev])
def test_jacobian_of_linear_and_tanh(jacfun):
    A, x = R.randn(4, 3), R.randn(3)
    np.testing.assert_allclose(jacfun(lambda x: tnp.dot(A, x))(x), A, rtol=1e-14)
    j = jacfun(lambda x: tnp.tanh(tnp.dot(A, x)))(x)
    np.testing.assert_allclose(j, tj.jacfwd(lambda x: tnp.tanh(tnp.dot(A, x)))(x), rtol=1e-12)


@pytest.mark.parametrize("name", ["jacfwd", "jacrev"])
def test_jacobian_on_pytrees_matches_jax(name):
    jax, jnp = jax_x64()
    ours, theirs = getattr(tj, name), getattr(jax, name)
    x, y = R.randn(2), R.randn(3)
    cases = [
        (lambda np_: lambda x, y: (x, y), (), (0.0, 1.0)),
        (lambda np_: lambda x, y: (x, y), (1,), (0.0, 1.0)),
        (lambda np_: lambda x, y: (x, y), ((0, 1),), (0.0, 1.0)),
        (lambda np_: lambda x: x[:2], (), ((1.0, 2.0, 3.0),)),
        (lambda np_: lambda x, y: {"x": x, "xy": np_.outer(x, y)}, (), (x, y)),
        (lambda np_: lambda x, y: {"x": x, "xy": np_.outer(x, y)}, ((0, 1),), (x, y)),
        (lambda np_: lambda x, y: [np_.sum(x * y[:2]), x * 2], ((1, 0),), (x, y)),
        (lambda np_: lambda d: {"s": d["a"] * d["b"]}, (), ({"a": x, "b": 2.0},)),
    ]
    for make, extra, args in cases:
        assert_trees_close(ours(make(tnp), *extra)(*args), theirs(make(jnp), *extra)(*args))


def test_hessian_matches_jax():
    jax, jnp = jax_x64()
    A, x = R.randn(4, 4), R.randn(4)
    np.testing.assert_allclose(tj.hessian(lambda x: tnp.dot(x, tnp.dot(A, x)))(x), A + A.T)
    assert_trees_close(
        tj.hessian(lambda x: tnp.array(x) ** 2)((1.0, 2.0)),
        jax.hessian(lambda x: jnp.array(x) ** 2)((1.0, 2.0)),
    )
    d = {"a": R.randn(2), "b": 3.0}
    assert_trees_close(
        tj.hessian(lambda d: tnp.sum(d["a"] ** 3) * d["b"])(d),
        jax.hessian(lambda d: jnp.sum(d["a"] ** 3) * d["b"])(d),
    )
    u, v = R.randn(2), R.randn(3)
    assert_trees_close(
        tj.hessian(lambda u, v: tnp.sum(tnp.outer(u, v) ** 2), argnums=(0, 1))(u, v),
        jax.hessian(lambda u, v: jnp.sum(jnp.outer(u, v) ** 2), argnums=(0, 1))(u, v),
    )
    got = tj.hessian(lambda x: (tnp.sum(x**3), x), has_aux=True)(np.arange(2.0))
    want = jax.hessian(lambda x: (jnp.sum(x**3), x), has_aux=True)(np.arange(2.0))
    assert_trees_close(got, want)


def test_nested_jacobian_shapes():
    def f(x, u):
        return tnp.dot(x, x) + tnp.dot(u, u)

    x, u = np.ones(5), np.ones(2)
    fwd, rev = tj.jacfwd, tj.jacrev
    for outer in (fwd, rev):
        for inner in (fwd, rev):
            assert outer(inner(f, 0), 0)(x, u).shape == (5, 5)
            assert outer(inner(f, 1), 1)(x, u).shape == (2, 2)
            assert outer(inner(f, 1), 0)(x, u).shape == (2, 5)
            assert outer(inner(f, 0), 1)(x, u).shape == (5, 2)


@pytest.mark.parametrize("jacfun", [tj.jacfwd, tj.jacrev])
def test_jacobian_has_aux_kwargs_and_dtypes(jacfun):
    j, aux = jacfun(lambda x: (x**2, {"x3": x * 3}), has_aux=True)(np.arange(2.0))
    np.testing.assert_array_equal(j, np.diag([0.0, 2.0]))
    np.testing.assert_array_equal(aux["x3"], [0.0, 3.0])
    assert jacfun(lambda x, a=1.0: x * a)(3.0, a=2.0) == 2.0
    j32 = jacfun(lambda x: x * 2)(np.ones(2, np.float32))
    assert j32.dtype == np.float32 and j32.shape == (2, 2)
    assert jacfun(lambda x: x * 2, holomorphic=False)(3.0) == 2.0
    assert jacfun(lambda x: x * 2)(np.ones((0, 2))).shape == (0, 2, 0, 2)


def test_jacobian_dtype_errors_and_integers():
    with pytest.raises(TypeError, match=r"jacfwd requires real-valued inputs"):
        tj.jacfwd(lambda x: x**2)(3.0 + 1j)
    with pytest.raises(TypeError, match=r"jacfwd requires real-valued inputs"):
        tj.jacfwd(lambda x: x * 2)(np.arange(2))
    with pytest.raises(TypeError, match="jacfwd with holomorphic=True requires inputs"):
        tj.jacfwd(lambda x: x**2, holomorphic=True)(3.0)
    with pytest.raises(TypeError, match="jacrev with holomorphic=True requires inputs"):
        tj.jacrev(lambda x: x**2, holomorphic=True)(3.0)
    with pytest.raises(TypeError, match="jacrev requires real-valued outputs"):
        tj.jacrev(tnp.sin)(1 + 2j)
    with pytest.raises(TypeError, match="jacrev requires real-valued outputs"):
        tj.jacrev(lambda x: x > 0)(np.arange(2.0))
    with pytest.raises(TypeError, match="jacrev requires real- or complex-valued inputs"):
        tj.jacrev(lambda x: x * 2)(np.arange(2))
    # integer outputs (jacfwd) and inputs (jacrev, allow_int) get zero blocks of their own
    # integer dtype, as JAX's (grad with allow_int still gives float0, tested above)
    j = tj.jacfwd(lambda x: (x * 2, x > 0))(np.arange(2.0))
    assert j[0].shape == (2, 2) and j[1].dtype == np.bool_ and j[1].shape == (2, 2)
    jx, ji = tj.jacrev(lambda x, i: x * i, argnums=(0, 1), allow_int=True)(np.ones(2), 3)
    np.testing.assert_array_equal(jx, 3 * np.eye(2))
    assert ji.dtype == np.int64 and ji.shape == (2,) and not ji.any()


# ---------------------------------------------------------------------------
# linear_transpose, stop_gradient, eval_shape


def test_linear_transpose_matches_jax():
    jax, jnp = jax_x64()

    def f(np_, x, y):
        return {"s": 2 * x + np_.sum(y), "v": y[::-1] * 3}

    args = (1.0, R.randn(3))
    ct = {"s": 1.5, "v": R.randn(3)}
    got = tj.linear_transpose(functools.partial(f, tnp), *args)(ct)
    assert_trees_close(got, jax.linear_transpose(functools.partial(f, jnp), *args)(ct))
    aval = tj.ShapedArray((2,), np.dtype(np.float64))
    (ct,) = tj.linear_transpose(lambda x: 2 * x, aval)(np.ones(2))
    np.testing.assert_array_equal(ct, [2.0, 2.0])
    with pytest.raises(TypeError, match="cotangent type does not match function output"):
        tj.linear_transpose(lambda x: 2 * x, np.ones(2))(np.ones(3))


def test_stop_gradient_on_values_and_pytrees():
    assert tj.grad(lambda x: x * tj.stop_gradient(x))(3.0) == 3.0
    assert tj.jvp(lambda x: tj.stop_gradient(x) ** 2, (3.0,), (1.0,))[1] == 0.0
    tree = tj.stop_gradient({"a": 1.0, "b": (np.ones(2),)})
    assert tj.tree.structure(tree) == tj.tree.structure({"a": 1.0, "b": (np.ones(2),)})
    g = tj.grad(lambda d: tnp.sum(d["w"] * tj.stop_gradient(d)["w"]))({"w": np.arange(3.0)})
    np.testing.assert_array_equal(g["w"], np.arange(3.0))


def test_eval_shape():
    out = tj.eval_shape(
        lambda x, y: tnp.tanh(tnp.dot(x, y) + 3.0), np.ones((2, 3)), np.ones((3, 4))
    )
    assert out.shape == (2, 4) and out.dtype == np.float64
    out = tj.eval_shape(lambda x, y: {"hi": x[0] + x[1] + y}, (np.ones(2), np.ones(2)), 3.0)
    assert tj.tree.map(lambda a: a.shape, out) == {"hi": (2,)}

    class Spec:
        def __init__(self, shape, dtype):
            self.shape, self.dtype = shape, dtype

    out = tj.eval_shape(
        lambda A, b, x: tnp.dot(A, x) + b,
        Spec((3, 4), np.float32),
        Spec((5,), np.float32),
        Spec((4, 5), np.float32),
    )
    assert out.shape == (3, 5) and out.dtype == np.float32
    with pytest.raises(Exception, match="dot|shape"):
        tj.eval_shape(lambda x, y: tnp.dot(x, y), np.ones((3, 3)), np.ones((4, 4)))


# ---------------------------------------------------------------------------
# nesting: closures over outer tracers, perturbation confusion, higher order


def test_perturbation_confusion():
    jax, jnp = jax_x64()
    # d/dx [x * d/dy (x + y)] = 1: the inner derivative must not see x's perturbation
    assert tj.grad(lambda x: x * tj.grad(lambda y: x + y)(1.0))(2.0) == 1.0
    assert tj.grad(lambda x: tj.grad(lambda y: x * y)(1.0))(2.0) == 1.0
    got = tj.jvp(lambda x: tj.jvp(lambda y: x * y, (1.0,), (1.0,))[1], (2.0,), (1.0,))
    assert got == (2.0, 1.0)

    def f(g, jvp_, x):  # the same closure pattern through both APIs
        def inner(y):
            return jvp_(lambda z: x * y * z, (y,), (1.0,))[1]

        return g(inner)(x)

    assert_trees_close(f(tj.grad, tj.jvp, 1.5), f(jax.grad, jax.jvp, 1.5))
    # a closed-over outer tracer inside vmap inside grad
    g = tj.grad(lambda w: tnp.sum(tj.vmap(lambda x: tnp.sin(w * x))(np.arange(3.0))))(0.5)
    np.testing.assert_allclose(g, np.sum(np.arange(3.0) * np.cos(0.5 * np.arange(3.0))))


def test_higher_order():
    x = 0.7
    d = tnp.sin
    signs = [np.cos, lambda v: -np.sin(v), lambda v: -np.cos(v), np.sin]
    for want in signs:
        d = tj.grad(d)
        np.testing.assert_allclose(d(x), want(x), rtol=1e-14)

    def f(x):
        return tnp.sum(tnp.sin(x) * x**2) * tnp.sum(x)

    x = R.randn(3)
    h = tj.hessian(f)(x)
    for hh in (tj.jacfwd(tj.jacrev(f))(x), tj.jacrev(tj.jacfwd(f))(x), tj.jacfwd(tj.jacfwd(f))(x)):
        np.testing.assert_allclose(hh, h, rtol=1e-12)
    np.testing.assert_allclose(h, h.T, rtol=1e-12)
    v = R.randn(3)
    hvp = tj.jvp(tj.grad(f), (x,), (v,))[1]
    np.testing.assert_allclose(hvp, h @ v, rtol=1e-12)
    np.testing.assert_allclose(tj.grad(lambda x: tnp.vdot(tj.grad(f)(x), v))(x), h @ v, rtol=1e-12)


# ---------------------------------------------------------------------------
# Python control flow on values under grad (outside jit), as in autograd


def test_python_control_flow_under_grad():
    def f(x):
        return x if x > 0 else -x

    assert tj.grad(f)(1.0) == 1.0 and tj.grad(f)(-1.0) == -1.0

    def doubling(x):
        while x < 10.0:  # the trip count depends on the input
            x = x * 2.0
        return x

    assert tj.grad(doubling)(1.5) == 8.0  # 1.5 -> 12 in three doublings
    assert tj.grad(doubling)(3.0) == 4.0  # 3 -> 12 in two
    assert tj.grad(tj.grad(lambda x: doubling(x) ** 2))(3.0) == 32.0

    def poly(x, n):
        acc = 0.0
        for k in range(int(n)):
            acc = acc + x**k
        return acc

    assert tj.grad(poly)(2.0, 4) == 1 + 2 * 2 + 3 * 4  # d/dx (1 + x + x^2 + x^3)

    def newton_sqrt(a):
        x = a
        while tnp.abs(x * x - a) > 1e-12:
            x = 0.5 * (x + a / x)
        return x

    np.testing.assert_allclose(tj.grad(newton_sqrt)(2.0), 0.5 / np.sqrt(2.0), rtol=1e-8)


def test_jacobian_integer_blocks_match_jax():
    jax, _ = jax_x64()
    f = lambda x: (x**2, 3)  # noqa: E731
    assert_trees_close(tj.jacfwd(f)(3.0), jax.jacfwd(f)(3.0))
    g = lambda x: (x, x.astype(np.int64))  # noqa: E731
    assert_trees_close(tj.jacfwd(g)(np.ones(3)), jax.jacfwd(g)(np.ones(3)))
    h = lambda x: x * 2.0  # noqa: E731
    for x in (np.arange(3), np.arange(3, dtype=np.int32)):
        want = jax.jacrev(h, allow_int=True)(x)
        assert_trees_close(tj.jacrev(h, allow_int=True)(x), want)
