"""custom_jvp and custom_vjp with JAX's calling conventions (nondiff_argnums, defjvps,
pytrees, keyword arguments, Python control flow, nesting) and JAX's errors; ported in
spirit from JAX's CustomJVPTest / CustomVJPTest, with JAX (float64) as the oracle."""

import functools

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64


def both(build):
    """build(lib, np_) for tracejit and for JAX; compare what they return."""
    jax, jnp = jax_x64()
    assert_trees_close(build(tj, tnp), build(jax, jnp))


# ---------------------------------------------------------------------------
# custom_jvp


def test_custom_jvp_basic_and_invariance():
    def build(lib, np_):
        @lib.custom_jvp
        def f(x):
            return np_.sin(x)

        f.defjvp(lambda p, t: (f(p[0]), 2 * np_.cos(p[0]) * t[0]))

        @lib.custom_jvp
        def g(x):
            return np_.cos(2 * x) / 2.0

        g.defjvp(lambda p, t: (g(p[0]), 3 * t[0]))

        def g2(x):
            return lib.jvp(g, (x,), (x,))[0]

        def g3(x):
            return lib.jvp(g2, (x,), (x,))[0]

        x = 3.0
        return (
            f(x),
            lib.jvp(f, (x,), (1.0,)),
            lib.grad(f)(x),
            lib.grad(lib.grad(f))(x),
            lib.jvp(g, (1.0,), (1.0,)),
            lib.jvp(g2, (1.0,), (1.0,)),
            lib.jvp(g3, (1.0,), (1.0,)),
        )

    both(build)


def test_custom_jvp_python_control_flow_pytrees_and_kwargs():
    def build(lib, np_):
        @lib.custom_jvp
        def f(x):
            return np_.sin(x) if x > 0 else np_.cos(x)

        f.defjvp(lambda p, t: (f(p[0]), (2 if p[0] > 0 else 3) * t[0]))

        @lib.custom_jvp
        def h(x):
            return {"b": np_.sin(x["a"])}

        h.defjvp(lambda p, t: (h(p[0]), {"b": 2 * np_.cos(p[0]["a"]) * t[0]["a"]}))

        @lib.custom_jvp
        def my_fun(x, y, c=1.0):
            return c * (x + y)

        my_fun.defjvp(lambda p, t: (my_fun(*p), t[2]))  # kwargs arrive positionally

        def k(x, y):
            return np_.sum(np_.square(my_fun(x, y, c=2.0)))

        return (
            lib.jvp(f, (2.0,), (1.0,)),
            lib.jvp(f, (-2.0,), (1.0,)),
            lib.grad(f)(2.0),
            lib.grad(f)(-2.0),
            lib.jvp(h, ({"a": 3.0},), ({"a": 3.0},)),
            lib.grad(lambda x: h(x)["b"])({"a": 3.0}),
            lib.jvp(k, (10.0, 5.0), (1.0, 1.0)),
        )

    both(build)


def test_custom_jvp_nondiff_argnums_and_defjvps():
    def build(lib, np_):
        @functools.partial(lib.custom_jvp, nondiff_argnums=(0,))
        def app(f, x):
            return f(x)

        app.defjvp(lambda f, p, t: (app(f, p[0]), 3 * t[0]))

        @lib.custom_jvp
        def f(x, y):
            return x**2 * y

        f.defjvps(None, lambda y_dot, out, x, y: x**2 * y_dot)

        @lib.custom_jvp
        def g(x, y):
            return x * y

        g.defjvps(lambda xd, out, x, y: 2 * xd * y, lambda yd, out, x, y: 5 * yd * x)
        return (
            lib.jvp(lambda x: app(lambda y: 2 * y, x), (1.0,), (1.0,)),
            lib.grad(f, 1)(2.0, 3.0),
            lib.grad(f, (0, 1))(2.0, 3.0),
            lib.grad(g, (0, 1))(2.0, 3.0),
            lib.jvp(g, (2.0, 3.0), (1.0, 1.0)),
        )

    both(build)
    # the function argument passes through untouched
    assert tj.custom_jvp(lambda f, x: f(x), nondiff_argnums=(0,))


def test_custom_jvp_in_scan_and_under_vmap():
    def build(lib, np_):
        @lib.custom_jvp
        def f(x):
            return 3 * x

        f.defjvp(lambda p, t: (f(p[0]), 2 * t[0]))

        def foo(x):
            out, _ = lib.lax.scan(lambda c, _: (f(c), None), x, None, length=1)
            return out

        x = np.arange(3.0)
        return (
            lib.grad(foo)(3.0),
            lib.grad(lib.grad(foo))(3.0),
            lib.vmap(foo)(np.ones(3)),
            lib.grad(lambda x: lib.vmap(foo)(x).sum())(x),
        )

    both(build)


def test_custom_jvp_errors():
    @tj.custom_jvp
    def foo(x):
        return x**2

    with pytest.raises(AttributeError, match="No JVP defined for custom_jvp function foo"):
        foo(2.0)
    with pytest.raises(AttributeError, match="No JVP defined for custom_jvp function foo"):
        tj.grad(foo)(2.0)

    @tj.custom_jvp
    def f(x):
        return (x**2,)

    @f.defjvp
    def f_jvp(primals, tangents):
        return f(primals[0]), [2 * primals[0] * tangents[0], primals[0]]

    f(2.0)  # fine without differentiation
    with pytest.raises(TypeError, match=r"equal container \(pytree\) structures, but got"):
        tj.jvp(f, (2.0,), (1.0,))

    @tj.custom_jvp
    def g(x):
        return x**2

    g.defjvp(lambda p, t: (g(p[0]), tnp.reshape(t[0], (1,))))
    with pytest.raises(TypeError, match=r"Expected float32\[\] \(tangent type of float32\[\]\)"):
        tj.jvp(g, (np.float32(2.0),), (np.float32(1.0),))

    @tj.custom_jvp
    def h(x):
        return x**2

    h.defjvp(lambda p, t: t[0])
    with pytest.raises(TypeError, match=r"must produce a pair \(list or tuple of length two\)"):
        tj.jvp(h, (2.0,), (1.0,))


# ---------------------------------------------------------------------------
# custom_vjp


def test_custom_vjp_basic_invariance_and_control_flow():
    def build(lib, np_):
        @lib.custom_vjp
        def f(x):
            return np_.sin(x)

        f.defvjp(lambda x: (f(x), np_.cos(x)), lambda c, g: (2 * c * g,))

        @lib.custom_vjp
        def g(x):
            return np_.cos(2 * x) / 2.0

        g.defvjp(lambda x: (g(x), x), lambda x, ct: (ct * 3,))

        def g2(x):
            return lib.value_and_grad(g)(x)[0]

        @lib.custom_vjp
        def h(x):
            return np_.sin(x) if x > 0 else np_.cos(x)

        h.defvjp(lambda x: (h(x), x), lambda x, ct: ((2 if x > 0 else 3) * ct,))
        return (
            f(3.0),
            lib.grad(f)(3.0),
            lib.value_and_grad(f)(3.0),
            lib.grad(g)(1.0),
            lib.grad(g2)(1.0),
            lib.value_and_grad(h)(2.0),
            lib.value_and_grad(h)(-2.0),
        )

    both(build)


def test_custom_vjp_pytrees_kwargs_nondiff_and_none_cotangents():
    def build(lib, np_):
        @lib.custom_vjp
        def f(x):
            return {"b": np_.sin(x["a"])}

        f.defvjp(
            lambda x: (f(x), {"r": np_.cos(x["a"])}),
            lambda res, g: ({"a": 2 * res["r"] * g["b"]},),
        )

        @lib.custom_vjp
        def my_fun(x, y, c=1.0):
            return c * (x + y)

        my_fun.defvjp(lambda x, y, c=1.0: (my_fun(x, y, c), None), lambda _, g: (g, g, g))

        @functools.partial(lib.custom_vjp, nondiff_argnums=(0,))
        def app(f, x):
            return f(x)

        app.defvjp(lambda f, x: (app(f, x), np_.cos(x)), lambda f, c, g: (c * g,))

        @lib.custom_vjp
        def mul(x, y):
            return x * y

        mul.defvjp(lambda x, y: (mul(x, y), (x, y)), lambda r, g: (r[1] * g, None))
        return (
            lib.grad(lambda x: f(x)["b"])({"a": 3.0}),
            lib.grad(lambda x, y: np_.sum(np_.square(my_fun(x, y, c=2.0))))(10.0, 5.0),
            lib.value_and_grad(lambda x: app(lambda y: 2 * y, x))(1.0),
            lib.grad(mul, (0, 1))(2.0, 3.0),
        )

    both(build)


def test_custom_vjp_vmap_and_scan():
    def build(lib, np_):
        @lib.custom_vjp
        def f(x):
            return np_.sin(x)

        f.defvjp(lambda x: (f(x), np_.cos(x)), lambda c, g: (2 * c * g,))

        def foo(x):
            out, _ = lib.lax.scan(lambda c, _: (f(c), None), x, None, length=1)
            return out

        x, xx = np.arange(3.0), np.arange(6.0).reshape(2, 3)
        return (
            lib.vmap(f)(x),
            lib.vmap(lib.vmap(f))(xx),
            lib.vmap(lib.grad(f))(x),
            lib.vmap(lib.vmap(lib.value_and_grad(f)))(xx),
            lib.grad(lambda x: lib.vmap(lib.vmap(f))(x).sum())(xx),
            lib.grad(foo)(3.0),
            lib.grad(lib.grad(foo))(3.0),
            lib.grad(lambda x: lib.vmap(foo)(x).sum())(x),
        )

    both(build)


def test_custom_vjp_errors():
    @tj.custom_vjp
    def foo(x):
        return x**2

    with pytest.raises(AttributeError, match="No VJP defined for custom_vjp function foo"):
        foo(2.0)

    @tj.custom_vjp
    def f(x):
        return tnp.sin(x)

    f.defvjp(lambda x: (f(x), tnp.cos(x)), lambda c, g: (2 * c * g,))
    with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff \(jvp\)"):
        tj.jvp(f, (3.0,), (1.0,))
    with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff \(jvp\)"):
        tj.jvp(tj.vmap(f), (np.arange(3.0),), (np.ones(3),))

    @tj.custom_vjp
    def ident(x):
        return x

    ident.defvjp(lambda x: (x, None), lambda _, g: g)
    with pytest.raises(TypeError, match="Custom VJP bwd rule must produce an output with the same"):
        tj.grad(ident)(2.0)

    @functools.partial(tj.custom_vjp, nondiff_argnums=(0, 1))
    def clip_gradient(lo, hi, x):
        return x

    clip_gradient.defvjp(lambda lo, hi, x: (x, None), lambda lo, hi, _, g: (tnp.clip(g, lo, hi),))
    assert tj.grad(lambda x: clip_gradient(-0.5, 0.5, x))(1.0) == 1.0 * 0.5
    with pytest.raises(tj.TracerLeakError, match="nondiff_argnums"):
        tj.grad(lambda x: clip_gradient(-1.0, x + 1, x))(1.0)


def test_custom_vjp_with_a_jvp_rule_works_in_forward_mode():
    @tj.custom_vjp
    def f(x):
        return tnp.sin(x)

    f.defvjp(lambda x: (f(x), tnp.cos(x)), lambda c, g: (c * g,))
    f.defjvp(lambda p, t: (f(p[0]), tnp.cos(p[0]) * t[0]))
    np.testing.assert_allclose(tj.jvp(f, (0.3,), (1.0,))[1], np.cos(0.3))
    np.testing.assert_allclose(tj.grad(f)(0.3), np.cos(0.3))
