"""vmap behaves like JAX's: in_axes (int, None, negative, tuple/list of pytree prefixes),
out_axes (None, negative, pytrees), axis_size, keyword arguments mapped over axis 0,
nesting, composition with the autodiff transforms, and JAX's errors. Results are
compared with a Python loop and with jax.vmap (float64)."""

import collections
import functools

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64

R = np.random.RandomState(1)


def loop(f, in_axes, *args):
    """vmap's meaning: stack f over slices of the mapped arguments (out_axes 0)."""
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    n = next(np.shape(a)[ax] for a, ax in zip(args, axes, strict=True) if ax is not None)
    outs = [
        f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes, strict=True)])
        for i in range(n)
    ]
    return tj.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *outs)


@pytest.mark.parametrize(
    "in_axes",
    [0, 1, -1, (0, None), (None, 1), (-1, 0), [1, None], (-2, -1)],
)
def test_vmap_in_axes_match_a_loop(in_axes):
    x, y = R.randn(3, 3), R.randn(3, 3)

    def f(a, b):
        return {"dot": tnp.dot(a, b), "s": tnp.sin(a) * b}

    axes = tuple(in_axes) if isinstance(in_axes, list) else in_axes
    got = tj.vmap(f, in_axes)(x, y)
    want = loop(f, axes, x, y)
    assert_trees_close(got, want, check_dtypes=False)


def test_vmap_structured_in_axes():
    A, B, C, D, K = 2, 3, 4, 5, 6
    x, y, z = np.ones((K, A, B)), np.ones((B, K, C)), np.ones((C, D, K))

    def foo(tree_arg):
        x, (y, z) = tree_arg
        return tnp.dot(x, tnp.dot(y, z))

    assert tj.vmap(foo, in_axes=((0, (1, 2)),))((x, (y, z))).shape == (6, 2, 5)
    Point = collections.namedtuple("Point", ["x", "y"])
    assert tj.vmap(foo, in_axes=((0, Point(1, 2)),))((x, Point(y, z))).shape == (6, 2, 5)

    def bar(tree_arg):
        x, dct = tree_arg
        return tnp.dot(x, tnp.dot(dct["a"], dct["b"]))

    assert tj.vmap(bar, in_axes=((0, {"a": 1, "b": 2}),))((x, {"a": y, "b": z})).shape == (
        6,
        2,
        5,
    )
    od = collections.OrderedDict
    got = tj.vmap(bar, in_axes=((0, od([("a", 1), ("b", 2)])),))((x, od([("a", y), ("b", z)])))
    assert got.shape == (6, 2, 5)
    d = {"a": 5.0, "b": np.ones(2)}
    f = lambda dct, x, y: dct["a"] + dct["b"] + x + y  # noqa: E731
    out1 = tj.vmap(f, (None, 0, 0))(d, np.zeros(3), np.arange(3.0))
    out2 = tj.vmap(f, [None, 0, 0])(d, np.zeros(3), np.arange(3.0))
    np.testing.assert_array_equal(out1, out2)


def test_vmap_out_axes():
    x = R.randn(3, 4)
    assert tj.vmap(lambda v: v * 2, out_axes=1)(x).shape == (4, 3)
    assert tj.vmap(lambda v: v * 2, in_axes=1, out_axes=-1)(np.ones((2, 3, 4))).shape == (2, 4, 3)
    out = tj.vmap(lambda v: {"a": v, "b": (v, 2 * v)}, out_axes={"a": 0, "b": (1, -1)})(x)
    assert out["a"].shape == (3, 4) and out["b"][0].shape == (4, 3) and out["b"][1].shape == (4, 3)
    # None for outputs that do not depend on the mapped inputs; broadcast when 0
    v, c = tj.vmap(lambda v: (v, 1.0), out_axes=(0, None))(np.ones(3))
    assert v.shape == (3,) and np.shape(c) == () and c == 1.0
    np.testing.assert_array_equal(tj.vmap(lambda v: 3.0)(np.ones(2)), [3.0, 3.0])
    assert tj.vmap(lambda v: None)(np.ones(2)) is None
    np.testing.assert_array_equal(tj.vmap(lambda v: v.shape[0])(np.ones((3, 2))), [2, 2, 2])


def test_vmap_axis_size_kwargs_and_passthrough():
    np.testing.assert_array_equal(tj.vmap(lambda: 1.0, axis_size=3)(), np.ones(3))
    assert tj.vmap(lambda v: v, in_axes=None, axis_size=3)(np.ones(2)).shape == (3, 2)
    # keyword arguments are mapped over axis 0, whatever in_axes says (as JAX)
    np.testing.assert_array_equal(
        tj.vmap(lambda x, y: x * y)(np.ones(3), y=np.arange(3.0)), [0, 1, 2]
    )
    got = tj.vmap(lambda x, y: x * y, in_axes=(None,))(np.float64(2), y=np.arange(3.0))
    np.testing.assert_array_equal(got, [0, 2, 4])
    np.testing.assert_array_equal(tj.vmap(lambda x: x * 2)(x=np.ones(3)), [2, 2, 2])
    # a non-array argument with in_axes None passes through
    got = tj.vmap(lambda f, x: f(x), (None, 0))(lambda x: x + 1, np.arange(3))
    np.testing.assert_array_equal(got, [1, 2, 3])
    assert tj.vmap(lambda x: x * 2)(np.ones((0, 3))).shape == (0, 3)


def test_vmap_nested_and_matches_jax():
    jax, jnp = jax_x64()
    x, y = np.arange(3.0), np.arange(4.0)

    def f(np_, lib):
        return lib.vmap(lib.vmap(lambda a, b: np_.sin(a) * b, (0, None)), (None, 0))

    assert_trees_close(f(tnp, tj)(x, y), f(jnp, jax)(x, y))
    xx = R.randn(2, 3, 4)

    def g(np_, lib):
        return lib.vmap(lib.vmap(lambda m: {"s": np_.sum(m), "m": m * 2}, in_axes=1), in_axes=2)

    assert_trees_close(g(tnp, tj)(xx), g(jnp, jax)(xx))


@pytest.mark.parametrize(
    "make, args, err, match",
    [
        (
            lambda: tj.vmap(lambda x, y: tnp.sum(x) + tnp.sum(y), in_axes=(0, 1)),
            (np.ones((10, 4)), np.ones((10, 2))),
            ValueError,
            "vmap got inconsistent sizes for array axes to be mapped:\n"
            r"  \* one axis had size 10: axis 0 of argument x of type float64\[10,4\];\n"
            r"  \* one axis had size 2: axis 1 of argument y of type float64\[10,2\]",
        ),
        (
            lambda: tj.vmap(lambda x, y, z: None, in_axes=(0, 1, 0)),
            (np.ones((10, 4)), np.ones((10, 2)), np.ones((10, 4))),
            ValueError,
            r"most axes \(2 of them\) had size 10, e.g. axis 0 of argument x",
        ),
        (
            lambda: tj.vmap(lambda x: x, axis_size=3),
            (np.ones(2),),
            ValueError,
            "the `axis_size` argument was 3",
        ),
        (
            lambda: tj.vmap(lambda x: x),
            (1.0,),
            ValueError,
            "vmap was requested to map its argument along axis 0, which implies that its rank "
            "should be at least 1, but is only 0",
        ),
        (
            lambda: tj.vmap(lambda x: x, in_axes=1),
            (np.ones(2),),
            ValueError,
            "rank should be at least 2, but is only 1",
        ),
        (
            lambda: tj.vmap(lambda x: x, in_axes=-3),
            (np.ones((3, 2)),),
            ValueError,
            "rank should be at least 3, but is only 2",
        ),
        (
            lambda: tj.vmap(lambda x: x, in_axes=None),
            (np.ones(2),),
            ValueError,
            "vmap must have at least one non-None value in in_axes",
        ),
        (
            lambda: tj.vmap(lambda: 1.0),
            (),
            ValueError,
            "at least one argument containing an array or axis_size must be specified",
        ),
        (
            lambda: tj.vmap(lambda x: x, in_axes=(0, 0)),
            (np.ones(3),),
            ValueError,
            r"but got len\(in_axes\)=2, len\(args\)=1",
        ),
        (
            lambda: tj.vmap(lambda x: x, out_axes=(2, 3)),
            (np.ones(2),),
            ValueError,
            "out_axes specification must be a tree prefix of the corresponding value",
        ),
        (
            lambda: tj.vmap(lambda t: t, in_axes=((0, 0, 0),)),
            ((np.ones(2), np.ones(2)),),
            ValueError,
            "in_axes specification must be a tree prefix of the corresponding value",
        ),
        (
            lambda: tj.vmap(lambda x: x, out_axes=None),
            (np.ones(2),),
            ValueError,
            "at vmap out_axes, got axis spec None but output was batched on axis 0",
        ),
        (
            lambda: tj.vmap(lambda x: (x, x), out_axes=(0, None)),
            (np.ones(2),),
            ValueError,
            r"at vmap out_axes\[1\], got axis spec None",
        ),
    ],
)
def test_vmap_errors(make, args, err, match):
    with pytest.raises(err, match=match):
        make()(*args)


def test_vmap_axes_spec_type_errors():
    with pytest.raises(TypeError, match="vmap in_axes must be an int, None, or .*"):
        tj.vmap(lambda x: x, in_axes=(np.array([1.0, 2.0]),))(np.ones(2))
    with pytest.raises(TypeError, match="vmap out_axes must be an int, None, or .*"):
        tj.vmap(lambda x: x, out_axes=(np.array([1.0, 2.0]),))(np.ones(2))
    with pytest.raises(TypeError, match="vmap in_axes must be an int, None, or a tuple"):
        tj.vmap(lambda d: d["a"], in_axes={"a": 0})({"a": np.ones(3)})
    with pytest.raises(TypeError, match="vmap in_axes must be an int, None, or a tuple"):
        tj.vmap(lambda x: x, in_axes="a")(np.ones(3))


def test_vmap_of_python_control_flow_says_what_to_do():
    with pytest.raises(tj.ConcretizationError, match="tracejit.numpy.where"):
        tj.vmap(lambda x: x if x > 0 else -x)(np.arange(-1.0, 2.0))


# ---------------------------------------------------------------------------
# composition with autodiff


def mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = tnp.tanh(tnp.dot(x, w1) + b1)
    logit = tnp.dot(h, w2) + b2
    return tnp.sum(tnp.logaddexp(0.0, logit) - y * logit)


def mlp_params(rng, n_in=3, n_hidden=4):
    return (
        (rng.randn(n_in, n_hidden), rng.randn(n_hidden)),
        (rng.randn(n_hidden), np.float64(rng.randn())),
    )


def test_per_example_gradients_equal_a_loop_of_grad():
    rng = np.random.RandomState(2)
    params, xs, ys = mlp_params(rng), rng.randn(5, 3), rng.randint(0, 2, 5).astype(float)
    got = tj.vmap(tj.grad(mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    want = tj.tree.map(
        lambda *g: np.stack(g),
        *[tj.grad(mlp_loss)(params, x, y) for x, y in zip(xs, ys, strict=True)],
    )
    assert_trees_close(got, want)
    # and the batch gradient is their sum, the other way round
    total = tj.grad(lambda p: tnp.sum(tj.vmap(mlp_loss, (None, 0, 0))(p, xs, ys)))(params)
    assert_trees_close(total, tj.tree.map(lambda g: g.sum(0), got))


def test_make_ir_of_vmap_grad_is_batched_dot_general_without_loops():
    rng = np.random.RandomState(3)
    params, xs, ys = mlp_params(rng), rng.randn(5, 3), np.ones(5)
    ir = tj.make_ir(tj.vmap(tj.grad(mlp_loss), in_axes=(None, 0, 0)))(params, xs, ys)
    names = [e.prim.name for e in ir.eqns]
    assert not {"scan", "while", "cond"} & set(names)
    dots = [e for e in ir.eqns if e.prim.name == "dot_general"]
    assert dots
    for e in dots:  # every matrix product carries the batch (as a batch or free dim)
        assert any(d == 5 for d in e.outs[0].aval.shape), str(e.outs[0].aval)
    # the IR does not grow with the batch: no per-example unrolling
    ir9 = tj.make_ir(tj.vmap(tj.grad(mlp_loss), in_axes=(None, 0, 0)))(
        params, rng.randn(9, 3), np.ones(9)
    )
    assert len(ir9.eqns) == len(ir.eqns)


def test_jacobians_are_built_with_vmap():
    def f(x):
        return tnp.sin(x) * tnp.sum(x**2)

    for jac in (tj.jacfwd, tj.jacrev):
        small = tj.make_ir(jac(f))(np.ones(3))
        big = tj.make_ir(jac(f))(np.ones(30))
        assert len(small.eqns) == len(big.eqns)  # one batched program, not one per column
    x = R.randn(4)
    np.testing.assert_allclose(tj.jacfwd(f)(x), tj.jacrev(f)(x), rtol=1e-12)


def test_vmap_composes_with_jvp_vjp_and_custom_rules():
    jax, jnp = jax_x64()
    xs, ts = R.randn(4, 3), R.randn(4, 3)

    def jv(lib, np_):
        return lib.vmap(lambda x, t: lib.jvp(lambda v: np_.sin(v) * np_.sum(v), (x,), (t,)))

    assert_trees_close(jv(tj, tnp)(xs, ts), jv(jax, jnp)(xs, ts))

    def vj(lib, np_):
        return lib.vmap(lambda x, c: lib.vjp(lambda v: np_.cos(v) * v, x)[1](c))

    assert_trees_close(vj(tj, tnp)(xs, ts), vj(jax, jnp)(xs, ts))

    def with_custom(lib, np_):
        @lib.custom_jvp
        def f(x):
            return np_.sin(x)

        f.defjvp(lambda p, t: (f(p[0]), 2 * np_.cos(p[0]) * t[0]))

        @lib.custom_vjp
        def g(x):
            return 3 * x

        g.defvjp(lambda x: (g(x), np_.cos(x)), lambda c, ct: (2 * c * ct,))
        x = np.arange(3.0)
        xx = np.arange(6.0).reshape(2, 3)
        return (
            lib.vmap(f)(x),
            lib.vmap(lib.vmap(f))(xx),
            lib.vmap(lib.grad(f))(x),
            lib.jvp(lib.vmap(f), (x,), (x,)),
            lib.vmap(lambda x: lib.jvp(lib.vmap(f), (x,), (x,)))(xx),
            lib.vmap(g)(x),
            lib.vmap(lib.grad(g))(x),
            lib.vmap(lib.value_and_grad(g))(x),
            lib.grad(lambda x: lib.vmap(g)(x).sum())(x),
            lib.vmap(lib.grad(lambda x: lib.vmap(g)(x).sum()))(xx),
        )

    assert_trees_close(with_custom(tj, tnp), with_custom(jax, jnp))


def test_grad_of_vmap_with_unbatched_params():
    jax, jnp = jax_x64()
    xs = R.randn(6, 3)
    w = R.randn(3)

    def loss(lib, np_, w):
        return np_.sum(lib.vmap(lambda w, x: np_.tanh(np_.dot(w, x)), (None, 0))(w, xs) ** 2)

    assert_trees_close(
        tj.grad(functools.partial(loss, tj, tnp))(w), jax.grad(functools.partial(loss, jax, jnp))(w)
    )
