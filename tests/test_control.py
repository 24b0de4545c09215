"""Control flow: values, JVPs and VJPs vs Python loops and finite differences; vmap vs
a loop (lanes taking different branches and stopping at different iterations)."""

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tracejit import lax


def fd_grad(f, x, eps=1e-6):
    x = np.asarray(x, float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# --- cond / switch -----------------------------------------------------------


def piecewise(x):
    return lax.cond(x > 0, lambda v: tnp.sin(v) * v, lambda v: v**3, x)


@pytest.mark.parametrize("x", [1.3, -0.7])
def test_cond_value_and_derivatives(x):
    want = np.sin(x) * x if x > 0 else x**3
    close(piecewise(x), want)
    close(tj.grad(piecewise)(x), fd_grad(piecewise, x))
    close(tj.jvp(piecewise, (x,), (1.0,))[1], fd_grad(piecewise, x))
    close(tj.grad(tj.grad(piecewise))(x), fd_grad(tj.grad(piecewise), x), 1e-5)


def test_cond_vmap_lanes_take_different_branches():
    xs = np.array([1.3, -0.7, 2.0, -2.0])
    close(tj.vmap(piecewise)(xs), [piecewise(x) for x in xs])
    close(tj.vmap(tj.grad(piecewise))(xs), [tj.grad(piecewise)(x) for x in xs])


def test_cond_closure_and_pytrees():
    def f(w, x):
        out = lax.cond(
            x.sum() > 0, lambda d: {"a": d["a"] * w}, lambda d: {"a": d["a"] + w}, {"a": x}
        )
        return out["a"].sum()

    x = np.array([0.5, 1.0])
    close(tj.grad(f)(2.0, x), 1.5)
    close(tj.grad(f, 1)(2.0, x), [2.0, 2.0])


def test_switch_clamps_index():
    branches = [lambda v: v + 1.0, lambda v: v * 2.0, lambda v: -v]
    for i, want in [(-3, 4.0), (0, 4.0), (1, 6.0), (2, -3.0), (7, -3.0)]:
        close(lax.switch(i, branches, 3.0), want)
    close(
        tj.vmap(lambda i, v: lax.switch(i, branches, v))(np.array([0, 1, 2]), np.ones(3)),
        [2.0, 2.0, -1.0],
    )


def test_cond_branch_type_mismatch_is_clear():
    with pytest.raises(TypeError, match="branches return different types"):
        lax.cond(True, lambda v: v, lambda v: tnp.ones(3), 1.0)


# --- scan -------------------------------------------------------------------


def rnn_loss(params, xs):
    w, u = params

    def step(h, x):
        h = tnp.tanh(w @ h + u * x)
        return h, h.sum()

    h, ys = lax.scan(step, tnp.zeros(3), xs)
    return (h**2).sum() + ys.sum()


def rnn_loss_loop(params, xs):
    w, u = params
    h, tot = np.zeros(3), 0.0
    for x in xs:
        h = np.tanh(w @ h + u * x)
        tot += h.sum()
    return (h**2).sum() + tot


def test_scan_matches_python_loop_and_fd():
    rng = np.random.default_rng(0)
    w, u, xs = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), rng.normal(size=7)
    close(rnn_loss((w, u), xs), rnn_loss_loop((w, u), xs))
    gw, gu = tj.grad(rnn_loss)((w, u), xs)
    close(gw, fd_grad(lambda w_: rnn_loss_loop((w_, u), xs), w))
    close(gu, fd_grad(lambda u_: rnn_loss_loop((w, u_), xs), u))
    close(tj.grad(rnn_loss, 1)((w, u), xs), fd_grad(lambda x_: rnn_loss_loop((w, u), x_), xs))


def test_scan_reverse_and_second_order():
    def f(x):
        c, ys = lax.scan(lambda c, v: (c * v + 1.0, c), 0.5, x, reverse=True)
        return c + (ys**2).sum()

    def loop(x):
        c, ys = 0.5, []
        for v in x[::-1]:
            ys.append(c)
            c = c * v + 1.0
        return c + sum(y * y for y in ys)

    x = np.array([0.3, -0.4, 0.9])
    close(f(x), loop(x))
    close(tj.grad(f)(x), fd_grad(loop, x))
    close(tj.hessian(f)(x), tj.jacfwd(tj.grad(f))(x))
    h = tj.hessian(f)(x)
    for i in range(3):
        close(h[i], fd_grad(lambda z, i=i: tj.grad(f)(z)[i], x), 1e-5)


def test_scan_vmap_matches_loop():
    rng = np.random.default_rng(1)
    w, u = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)
    xs = rng.normal(size=(4, 6))
    got = tj.vmap(lambda x: rnn_loss((w, u), x))(xs)
    close(got, [rnn_loss_loop((w, u), x) for x in xs])
    g = tj.vmap(tj.grad(lambda u_, x: rnn_loss((w, u_), x)), in_axes=(None, 0))(u, xs)
    close(g, [tj.grad(lambda u_, x=x: rnn_loss((w, u_), x))(u) for x in xs])


def test_scan_length_and_no_xs():
    c, ys = lax.scan(lambda c, _: (c + 1, c * 2), 0, None, length=4)
    assert int(c) == 4
    np.testing.assert_array_equal(ys, [0, 2, 4, 6])


def test_scan_carry_type_error():
    with pytest.raises(TypeError, match="carry"):
        lax.scan(lambda c, x: (c * np.ones(2), x), 1.0, np.ones(3))


def test_map():
    close(lax.map(lambda v: v**2, np.arange(4.0)), np.arange(4.0) ** 2)


# --- fori_loop and while_loop ------------------------------------------------


def integrator(k, n=50):
    def body(i, s):
        x, v = s
        v = v - 0.1 * (k * x + 0.3 * v)
        return x + 0.1 * v, v

    return lax.fori_loop(0, n, body, (1.0, 0.0))[0]


def test_fori_loop_grad_matches_fd():
    close(tj.grad(integrator)(2.0), fd_grad(integrator, 2.0))


def test_fori_loop_traced_bounds_is_a_while():
    f = lambda n: lax.fori_loop(0, n, lambda i, s: s + i, 0)  # noqa: E731
    assert int(f(5)) == 10
    assert [int(v) for v in tj.vmap(f)(np.array([3, 5]))] == [3, 10]


def newton_sqrt(a):
    def body(c):
        x, i = c
        return 0.5 * (x + a / x), i + 1

    def cond(c):
        x, i = c
        return (tnp.abs(x * x - a) > 1e-12) & (i < 100)

    return lax.while_loop(cond, body, (a, 0))[0]


def test_while_value_jvp_and_reverse_mode_with_data_dependent_trip_count():
    for a in [2.0, 9.0, 0.3]:
        close(newton_sqrt(a), np.sqrt(a))
        close(tj.jvp(newton_sqrt, (a,), (1.0,))[1], 0.5 / np.sqrt(a))
        close(tj.grad(newton_sqrt)(a), 0.5 / np.sqrt(a))


def test_while_vmap_lanes_stop_on_their_own():
    def doubling(x):
        return lax.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x)

    xs = np.array([1.0, 3.0, 11.0, 0.1])
    close(tj.vmap(doubling)(xs), [doubling(x) for x in xs])
    close(tj.vmap(newton_sqrt)(np.array([2.0, 16.0])), np.sqrt([2.0, 16.0]))
    close(
        tj.grad(lambda a: tj.vmap(newton_sqrt)(a).sum())(np.array([2.0, 16.0])),
        0.5 / np.sqrt([2.0, 16.0]),
    )


def test_while_reverse_mode_pytree_carry_and_jacrev():
    def f(x):
        def body(c):
            v, n = c
            return v * tnp.sin(v) + 2.0 * v, n + 1

        return lax.while_loop(lambda c: c[0].sum() < 10.0, body, (x, 0))[0]

    x = np.array([0.3, 0.5])
    close(tj.jacrev(f)(x), tj.jacfwd(f)(x))
    close(tj.grad(lambda z: f(z).sum())(x), fd_grad(lambda z: f(z).sum(), x), 1e-5)


def test_python_control_flow_inside_jit_like_trace_points_to_lax():
    with pytest.raises(tj.ConcretizationError, match="lax.cond"):
        tj.make_ir(lambda x: x if x > 0 else -x)(1.0)


def test_python_while_under_grad_with_input_dependent_trip_count():
    def f(x):
        y = x
        while y < 10.0:  # concrete values flow under grad, as in autograd
            y = y * 1.5
        return y

    close(tj.grad(f)(1.0), fd_grad(f, 1.0))


def test_checkpointed_scan_matches_scan_and_stores_fewer_residuals():
    def step(h, x):
        h = tnp.tanh(0.9 * h + x)
        return tnp.sin(h) * 1.01, h.sum()

    def loss(scan_fn, xs):
        h, ys = scan_fn(step, tnp.zeros(8), xs)
        return (h * h).sum() + ys.sum()

    xs = np.random.default_rng(0).normal(size=(101,))  # 101 = 10 segments of 10, then 1
    plain = lambda x: loss(lax.scan, x)  # noqa: E731
    remat = lambda x: loss(lax.checkpointed_scan, x)  # noqa: E731
    close(plain(xs), remat(xs))
    close(tj.grad(plain)(xs), tj.grad(remat)(xs))

    from tracejit.api import trace_fn
    from tracejit.transforms import jvp_ir, linearize_ir

    def residual_bytes(f):
        ir, _, _, _ = trace_fn(f, (xs,))
        j, _ = jvp_ir(ir, [True])
        primal, _, n_res = linearize_ir(j, 1, 1)
        return sum(v.aval.size for v in primal.outs[len(primal.outs) - n_res :])

    assert residual_bytes(remat) < residual_bytes(plain) / 2


# --- dead code inside control flow -------------------------------------------------


def _only_eqn(ir, name):
    (eqn,) = [e for e in ir.eqns if e.prim.name == name]
    return eqn


def test_scan_computes_only_what_is_used():
    """Unused stacked outputs, a carry nothing live reads, and the xs and consts only
    they needed leave the scan (ir.dce through scan's dce rule); a carry that a live
    one reads stays. Values and gradients are unchanged."""

    def f(w, v, xs, zs):
        def step(c, xz):
            x, z = xz
            a, b, n = c
            return (a * w + b, b + x, n + z * v), (a * 2.0, tnp.sin(z), n)

        (a, b, n), (ys, s, ns) = lax.scan(step, (0.0, 1.0, 0.0), (xs, zs))
        return tnp.sum(ys)

    args = (0.5, 3.0, np.linspace(0, 1, 5), np.linspace(1, 2, 5))
    eqn = _only_eqn(tj.jit(f).lower(*args).ir, "scan")
    p = eqn.params
    assert (p["num_consts"], p["num_carry"], len(eqn.outs)) == (1, 2, 3)  # w; a, b; ys
    assert len(eqn.inputs) == 1 + 2 + 1  # zs, v and n's carry are gone
    assert [o.aval.shape for o in eqn.outs] == [(), (), (5,)]
    close(tj.jit(f)(*args), f(*args), 1e-14)
    gw = tj.grad(f)(*args)
    close(tj.jit(tj.grad(f))(*args), gw, 1e-14)
    close(gw, fd_grad(lambda w: f(w, *args[1:]), args[0]))


def test_scan_without_used_xs_keeps_its_length():
    def f(c0, xs):
        (c, _), ys = lax.scan(lambda c, x: ((c[0] * 1.5, c[1] + x), c[0]), (c0, 0.0), xs)
        return ys

    eqn = _only_eqn(tj.jit(f).lower(2.0, np.arange(4.0)).ir, "scan")
    assert eqn.params["length"] == 4 and len(eqn.inputs) == 1  # only the init of c[0]
    compiled = tj.jit(f).compile(2.0, np.arange(4.0))  # machine code: a loop without xs
    close(compiled(2.0, np.arange(4.0)), 2.0 * 1.5 ** np.arange(4))


def test_cond_computes_only_what_is_used():
    def f(p, x, y):
        a, b = lax.cond(p, lambda x, y: (x * 2.0, tnp.exp(y)), lambda x, y: (x - 1.0, y), x, y)
        return a

    eqn = _only_eqn(tj.jit(f).lower(True, 3.0, 4.0).ir, "cond")
    assert len(eqn.outs) == 1 and len(eqn.inputs) == 2  # index and x
    assert all(len(b.outs) == 1 and len(b.invars) == 1 for b in eqn.params["branches"])
    for p in (True, False):
        close(tj.jit(f)(p, 3.0, 4.0), f(p, 3.0, 4.0), 1e-15)
        close(tj.jit(tj.grad(f, 1))(p, 3.0, 4.0), 2.0 if p else 1.0, 1e-15)


def test_while_loop_computes_only_what_is_used():
    """A carry that neither the result, the condition nor a live carry reads leaves the
    loop, with the const only it used; a carry the condition reads stays."""

    def f(x, s):
        def body(c):
            i, a, junk = c
            return i + 1, a * x, junk + tnp.sin(s * a)

        i, a, junk = lax.while_loop(lambda c: c[0] < 5, body, (0, 1.0, 0.0))
        return a

    eqn = _only_eqn(tj.jit(f).lower(1.5, 2.0).ir, "while")
    assert len(eqn.outs) == 2 and eqn.params["body_nconsts"] == 1  # i, a; x
    close(tj.jit(f)(1.5, 2.0), 1.5**5, 1e-14)
    close(tj.jit(tj.grad(f))(1.5, 2.0), 5 * 1.5**4, 1e-13)


# --- JAX's API details: weak carries, index types, keywords, errors -------------------


def test_python_number_carries_take_the_bodys_type():
    """`acc = 0` accumulating floats (JAX: a weakly typed initial carry)."""
    close(lax.fori_loop(0, 3, lambda i, c: c + 0.5, 0), 1.5, 0)
    c, _ = lax.scan(lambda c, x: (c + x, x), 0, tnp.arange(3.0))
    assert np.asarray(c).dtype == np.float64 and float(c) == 3.0
    v = lax.while_loop(lambda v: v < 2.5, lambda v: v + 0.75, 0)
    close(v, 3.0, 0)
    with pytest.raises(TypeError, match="carry output must have equal types"):
        lax.scan(lambda c, x: (c + x, x), np.int64(0), tnp.arange(3.0))  # a typed carry


def test_fori_loop_index_has_the_bounds_type():
    r = lax.fori_loop(np.int32(0), np.int32(4), lambda i, c: c + i, np.int32(0))
    assert r.dtype == np.int32 and int(r) == 6
    seen = []
    lax.fori_loop(0, np.int16(2), lambda i, c: seen.append(i.dtype) or c, 0.0)
    assert seen == [np.int16]  # a Python int bound takes the other's type
    with pytest.raises(TypeError, match="must have equal types, got int16 and int32"):
        lax.fori_loop(np.int16(0), np.int32(10), lambda i, c: c, 0)
    close(lax.fori_loop(0, 4, lambda i, c: c + i, 0, unroll=2), 6, 0)
    close(tj.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + i, 0))(5), 10, 0)


@pytest.mark.parametrize("n", [7, 6, 2, 0])
def test_map_with_batch_size_is_map(n):
    xs = {"a": np.arange(n * 2.0).reshape(n, 2), "b": np.arange(float(n))}

    def f(d):
        return tnp.sin(d["a"]).sum() * d["b"]

    want = lax.map(f, xs)
    close(lax.map(f, xs, batch_size=3), want, 1e-15)
    g = tj.grad(lambda xs: lax.map(f, xs, batch_size=3).sum())(xs)
    tj.tree.map(lambda a, b: close(a, b, 1e-14), g, tj.grad(lambda xs: lax.map(f, xs).sum())(xs))


def test_cond_operand_keyword():
    close(lax.cond(True, lambda x: x * 2, lambda x: x - 1, operand=3.0), 6.0, 0)
    with pytest.raises(TypeError, match="no positional operands"):
        lax.cond(True, lambda x: x, lambda x: x, 1.0, operand=2.0)


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: lax.switch(True, [lambda x: x, lambda x: -x], 1.0), TypeError, "Index type"),
        (lambda: lax.switch(0, [], 1.0), ValueError, "Empty branch sequence"),
        (lambda: lax.switch(np.zeros(2, int), [lambda x: x], 1.0), TypeError, "must be scalar"),
        (lambda: lax.cond(1j, lambda x: x, lambda x: x, 1.0), TypeError, "Pred type"),
        (lambda: lax.cond(np.ones(2), lambda x: x, lambda x: x, 1.0), TypeError, "scalar"),
        (lambda: lax.cond(True, 1, lambda x: x, 1.0), TypeError, "callable"),
        (lambda: lax.while_loop(lambda c: 3 - c, lambda c: c + 1, 0), TypeError, "boolean"),
        (
            lambda: lax.while_loop(lambda c: c < 3, lambda c: c + 0.5, np.int64(0)),
            TypeError,
            "identical",
        ),
        (lambda: lax.scan(42, 0, np.ones(3)), TypeError, "callable"),
        (lambda: lax.scan(lambda c, x: (c, x), 0, np.ones(3), unroll=-1), ValueError, "unroll"),
        (lambda: lax.scan(lambda c, x: (c, x), 0, 1.0), ValueError, "no leading axis"),
        (lambda: lax.scan(lambda c, x: (c, x), 0, None), ValueError, "no values to scan"),
        (lambda: lax.scan(lambda c, x: (c, x), 0, np.ones(3), length=4), ValueError, "disagrees"),
        (
            lambda: lax.scan(lambda c, x: (c, x), 0, (np.ones(3), np.ones(2))),
            ValueError,
            "different",
        ),
    ],
)
def test_control_flow_errors_read_as_jax(call, err, match):
    with pytest.raises(err, match=match):
        call()
