"""The smaller pieces of JAX's top-level API (tracejit/_api_extras.py, tracejit/debug.py):
disable_jit, eval_shape's ShapeDtypeStruct, custom_gradient, closure_convert, make_jaxpr,
pure_callback, debug.print/callback, and the host-array identities."""

import threading
from functools import partial

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64

# ---------------------------------------------------------------------------
# disable_jit


def test_disable_jit_runs_the_python_function():
    effects = []

    @tj.jit
    def f(x):
        effects.append(1)
        return x * 2

    with tj.disable_jit():
        assert f(2) == 4 and f(2) == 4
    assert len(effects) == 2  # each call ran the Python function
    x = np.ones(3)
    f.compile(x)  # machine code ready: later calls take jit's lean path
    n = len(effects)
    np.testing.assert_array_equal(f(x), 2 * x)
    assert len(effects) == n
    with tj.disable_jit():
        seen = []

        @tj.jit
        def g(x):
            seen.append(float(x.sum()))  # a concrete value: no ConcretizationError
            return x

        g(x)
        f(x)  # the lean path too
        with tj.disable_jit(False):
            f(x)  # jit is back on in the inner context
    assert seen == [3.0] and len(effects) == n + 1
    f(x)
    assert len(effects) == n + 1  # and after the context, compiled again


def test_disable_jit_is_per_thread():
    effects = []
    f = tj.jit(lambda x: effects.append(1) or x + 1)
    f(np.float64(1.0))
    other = []
    with tj.disable_jit():
        t = threading.Thread(target=lambda: other.append(f(np.float64(1.0))))
        t.start()
        t.join()
    assert other == [2.0] and len(effects) == 1  # the other thread kept jit


def test_ensure_compile_time_eval_and_identities():
    with tj.ensure_compile_time_eval():
        assert tj.jit(lambda x: x + np.arange(3).sum())(np.float64(1.0)) == 4.0
    tree = {"a": np.ones(2), "b": [1.0, (2,)]}
    assert tj.block_until_ready(tree) is tree
    put = tj.device_put(tree)
    assert tj.tree.structure(put) == tj.tree.structure(tree)
    assert all(isinstance(v, np.ndarray) for v in tj.tree.leaves(put))
    a = np.arange(3.0)
    assert tj.device_put(a) is a and tj.device_put(a, may_alias=False) is not a
    with pytest.raises(ValueError, match="may_alias and donate"):
        tj.device_put(a, may_alias=True, donate=True)
    got = tj.device_get((np.ones(1), 2))
    assert isinstance(got[0], np.ndarray) and got[1] == 2
    with pytest.raises(tj.ConcretizationError):
        tj.jit(lambda x: tj.device_get(x))(np.ones(2))


# ---------------------------------------------------------------------------
# shapes, types, IR


def test_eval_shape_returns_shape_dtype_structs():
    s = tj.ShapeDtypeStruct((3, 4), np.float32)
    out = tj.eval_shape(
        lambda a, b: {"y": tnp.tanh(a @ b)}, s, tj.ShapeDtypeStruct((4, 2), "float32")
    )
    assert out == {"y": tj.ShapeDtypeStruct((3, 2), np.float32)}
    assert repr(out["y"]) == "ShapeDtypeStruct(shape=(3, 2), dtype=float32)"
    assert out["y"].ndim == 2 and out["y"].size == 6 and hash(out["y"]) == hash(out["y"].update())
    assert tj.eval_shape(lambda x: x.sum(), np.ones((2, 2))) == tj.ShapeDtypeStruct((), np.float64)
    assert tj.typeof(np.ones(2, np.float32)) == tj.ShapedArray((2,), np.dtype(np.float32))
    ir = tj.make_jaxpr(lambda x, n: tnp.sin(x) * n, static_argnums=1)(np.ones(3), 2)
    assert isinstance(ir, tj.IR) and "sin" in str(ir)
    ir, shape = tj.make_jaxpr(lambda x: {"s": x.sum()}, return_shape=True)(np.ones(3))
    assert shape == {"s": tj.ShapeDtypeStruct((), np.float64)}
    inc = tj.named_call(lambda x: x + 1, name="inc")
    assert inc.__name__ == "inc" and inc(1) == 2
    assert tj.tree_util.tree_map is tj.tree.map and tj.tree_util.tree_flatten_with_path


def test_eval_shape_equals_jax():
    jax, jnp = jax_x64()
    f = lambda a, b: (a @ b, {"m": a.max(axis=0)})  # noqa: E731
    mine = tj.eval_shape(f, tj.ShapeDtypeStruct((3, 4), np.float32), np.ones((4, 2)))
    theirs = jax.eval_shape(f, jax.ShapeDtypeStruct((3, 4), np.float32), np.ones((4, 2)))
    assert repr(mine) == repr(theirs)


# ---------------------------------------------------------------------------
# derivatives


@tj.custom_gradient
def _square(x):
    return x**2, lambda g: g * x  # a bare cotangent for one argument, as JAX allows


@tj.custom_gradient
def _mul(x, y):
    return x * y, lambda g: (y, x)


def test_custom_gradient():
    assert _square(3.0) == 9.0
    assert tj.grad(_square)(3.0) == 3.0
    assert tj.grad(tj.grad(_square))(3.0) == 1.0
    assert tj.grad(_mul, argnums=(0, 1))(3.0, 4.0) == (4.0, 3.0)
    np.testing.assert_array_equal(tj.vmap(tj.grad(_square))(np.arange(3.0)), np.arange(3.0))

    @tj.custom_gradient
    def f(x):
        return tnp.sum(tnp.sin(x)), lambda g: (tnp.cos(x) * tnp.arange(3.0, 6.0),)

    x = np.arange(3.0)
    np.testing.assert_allclose(tj.grad(f)(x), np.cos(x) * np.arange(3.0, 6.0))


def test_custom_gradient_equals_jax():
    jax, jnp = jax_x64()

    def rule(np_):
        def f(x, y):
            return np_.sin(x) * y, lambda g: (g * 2.0 * y, g * np_.cos(x))

        return f

    x, y = np.array([0.3, 1.2]), np.array([2.0, -1.0])
    loss = lambda f: lambda x, y: (f(x, y) ** 2).sum()  # noqa: E731
    mine = tj.grad(loss(tj.custom_gradient(rule(tnp))), argnums=(0, 1))(x, y)
    theirs = jax.grad(loss(jax.custom_gradient(rule(jnp))), argnums=(0, 1))(x, y)
    assert_trees_close(mine, theirs)


def test_closure_convert_hoists_traced_values():
    """JAX's test: a custom_vjp of a closure sees the closed-over value as an argument."""

    @partial(tj.custom_vjp, nondiff_argnums=(0,))
    def cos_after(fn, x, *args):
        return tnp.cos(fn(x, *args))

    def fwd(fn, x, *args):
        return cos_after(fn, x, *args), (x, args)

    def bwd(fn, res, g):
        x, args = res
        return (17.0 * x, *[42.0 * a for a in args])

    cos_after.defvjp(fwd, bwd)

    def solve(c, x):
        converted, consts = tj.closure_convert(lambda x: tnp.sum((x - c) ** 2.0), x)
        assert len(consts) <= 1
        return cos_after(converted, x, *consts)

    c, x = 2.0 * np.ones(2), np.ones(2)
    assert solve(c, x) == pytest.approx(np.cos(2.0))
    g_c, g_x = tj.grad(solve, argnums=(0, 1))(c, x)
    np.testing.assert_allclose(g_c, 42.0 * c)
    np.testing.assert_allclose(g_x, 17.0 * x)
    converted, consts = tj.closure_convert(lambda x: x * 3.0, 1.0)
    assert consts == [] and converted(2.0) == 6.0
    with pytest.raises(TypeError, match="same pytree structure"):
        converted((2.0,))


def test_checkpoint_policies_are_accepted():
    names = ["everything_saveable", "nothing_saveable", "dots_saveable", "checkpoint_dots"]
    for name in names:
        policy = getattr(tj.checkpoint_policies, name)
        f = tj.checkpoint(lambda x: tnp.sin(x) ** 2, policy=policy)
        assert tj.grad(f)(0.5) == pytest.approx(np.sin(1.0))
    assert callable(tj.checkpoint_policies.save_only_these_names("a", "b"))


# ---------------------------------------------------------------------------
# callbacks into Python


def test_pure_callback_where_values_are_concrete():
    spec = tj.ShapeDtypeStruct((3,), np.float32)
    out = tj.pure_callback(lambda x: np.sin(x), spec, np.arange(3.0))
    assert out.dtype == np.float32 and np.allclose(out, np.sin(np.arange(3.0)))

    def f(x):
        # no tangent may reach the callback (as in JAX): differentiate around it
        c = tj.pure_callback(np.cos, tj.ShapeDtypeStruct((), np.float64), tj.stop_gradient(x))
        return x * c

    assert f(2.0) == pytest.approx(2 * np.cos(2.0))
    assert tj.grad(f)(2.0) == pytest.approx(np.cos(2.0))  # the callback's value, no derivative
    with pytest.raises(TypeError, match="do not support JVP"):
        tj.grad(lambda x: tj.pure_callback(np.cos, tj.ShapeDtypeStruct((), np.float64), x))(2.0)
    with pytest.raises(tj.ConcretizationError, match="pure_callback.*disable_jit"):
        tj.jit(f)(np.float64(2.0))
    with pytest.raises(TypeError, match="shape"):
        tj.pure_callback(lambda x: x, tj.ShapeDtypeStruct((2,), np.float64), np.ones(3))
    with tj.disable_jit():
        assert tj.jit(f)(np.float64(2.0)) == pytest.approx(2 * np.cos(2.0))


def test_debug_print_and_callback(capsys):
    tj.debug.print("x = {x}, y = {}", np.arange(3), x=1.5)
    tj.grad(lambda x: (tj.debug.print("primal {}", x), x * x)[1])(3.0)
    seen = []
    tj.debug.callback(lambda a, b: seen.append((a, b)), np.ones(1), b=2)
    assert capsys.readouterr().out == "x = 1.5, y = [0 1 2]\nprimal 3.0\n"
    assert len(seen) == 1 and seen[0][1] == 2
    with pytest.raises(tj.ConcretizationError, match="debug.print"):
        tj.jit(lambda x: (tj.debug.print("{}", x), x)[1])(np.ones(2))
    with pytest.raises(tj.ConcretizationError):
        tj.vmap(lambda x: (tj.debug.print("{}", x), x)[1])(np.ones(2))
    with tj.disable_jit():
        tj.jit(lambda x: (tj.debug.print("seen {}", x), x)[1])(np.ones(2))
    assert capsys.readouterr().out == "seen [1. 1.]\n"
