"""custom_jvp, custom_vjp, checkpoint, straight_through and check_grads."""

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp


@tj.custom_jvp
def safe_log1pexp(x):
    return tnp.log1p(tnp.exp(x))


@safe_log1pexp.defjvp
def _(primals, tangents):
    (x,), (t,) = primals, tangents
    return safe_log1pexp(x), t * tj.nn.sigmoid(x) if hasattr(tj, "nn") else t / (1 + tnp.exp(-x))


def test_custom_jvp_used_in_all_modes():
    x = 3.0
    want = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(tj.grad(safe_log1pexp)(x), want)
    np.testing.assert_allclose(tj.jvp(safe_log1pexp, (x,), (1.0,))[1], want)
    np.testing.assert_allclose(
        tj.vmap(tj.grad(safe_log1pexp))(np.array([x, -x])), 1 / (1 + np.exp(-np.array([x, -x])))
    )
    np.testing.assert_allclose(tj.grad(tj.grad(safe_log1pexp))(x), want * (1 - want), rtol=1e-6)


def test_custom_jvp_rule_is_what_runs():
    @tj.custom_jvp
    def f(x):
        return tnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 100.0 * t[0]))
    assert float(tj.grad(f)(1.0)) == 100.0
    assert float(tj.grad(lambda x: tj.vmap(f)(x).sum())(np.ones(2))[0]) == 100.0


def test_custom_jvp_nondiff_argnums():
    @tj.custom_jvp
    def scale(k, x):
        return k * x

    scale.nondiff_argnums = (0,)

    @scale.defjvp
    def _(k, primals, tangents):
        return scale(k, primals[0]), 2 * k * tangents[0]

    assert float(tj.grad(lambda x: scale(3.0, x))(1.0)) == 6.0


def clip_gradient(lo, hi):
    @tj.custom_vjp
    def f(x):
        return x

    def fwd(x):
        return x, None

    def bwd(_, g):
        return (tnp.clip(g, lo, hi),)

    f.defvjp(fwd, bwd)
    return f


def test_custom_vjp_gradient_clipping():
    f = clip_gradient(-0.5, 0.5)
    assert float(tj.grad(lambda x: 3.0 * f(x))(1.0)) == 0.5
    np.testing.assert_allclose(tj.vmap(tj.grad(lambda x: 3.0 * f(x)))(np.ones(3)), 0.5)
    np.testing.assert_allclose(tj.grad(lambda x: (3.0 * tj.vmap(f)(x)).sum())(np.ones(3)), 0.5)


def test_custom_vjp_residuals_and_forward_mode_rules():
    @tj.custom_vjp
    def f(x, y):
        return tnp.sin(x) * y

    def fwd(x, y):
        return f(x, y), (tnp.cos(x), tnp.sin(x), y)

    def bwd(res, g):
        c, s, y = res
        return g * c * y, g * s

    f.defvjp(fwd, bwd)
    tj.check_grads(f, (0.7, 1.3), order=1, modes=("rev",))
    with pytest.raises(tj.TraceError, match="needs a JVP rule"):
        tj.jvp(f, (0.7, 1.3), (1.0, 0.0))

    @f.defjvp
    def _(p, t):
        (x, y), (tx, ty) = p, t
        return f(x, y), tnp.cos(x) * y * tx + tnp.sin(x) * ty

    tj.check_grads(f, (0.7, 1.3), order=1, modes=("fwd", "rev"))


def test_checkpoint_same_gradient_fewer_residuals():
    def block(x):
        for _ in range(4):
            x = tnp.sin(x) * 1.1
        return x

    x = np.linspace(-1, 1, 5)
    plain = tj.grad(lambda v: block(v).sum())(x)
    remat = tj.grad(lambda v: tj.checkpoint(block)(v).sum())(x)
    np.testing.assert_allclose(plain, remat)
    from tracejit.api import trace_fn
    from tracejit.ops.common import is_float
    from tracejit.transforms import jvp_ir, linearize_ir

    def n_residuals(f):
        ir, cl, leaves, _ = trace_fn(f, (x,))
        j, _ = jvp_ir(ir, [is_float(np.float64)] * len(ir.invars))
        return linearize_ir(j, len(ir.invars), len(ir.outs))[2]

    assert n_residuals(lambda v: tj.checkpoint(block)(v).sum()) < n_residuals(
        lambda v: block(v).sum()
    )


def test_straight_through_rounding():
    st_round = tj.straight_through(tnp.round)
    np.testing.assert_allclose(st_round(np.array([0.4, 1.6])), [0.0, 2.0])
    np.testing.assert_allclose(tj.grad(lambda x: (st_round(x) * 3.0).sum())(np.ones(2)), 3.0)


def test_check_grads_catches_a_wrong_rule():
    @tj.custom_jvp
    def bad(x):
        return tnp.sin(x)

    bad.defjvp(lambda p, t: (bad(p[0]), 2.0 * t[0]))
    with pytest.raises(AssertionError, match="mismatch"):
        tj.check_grads(bad, (0.3,), order=1, modes=("fwd",), nudge=False)
    tj.check_grads(lambda x: tnp.sin(x) * x**2, (np.array([0.3, 1.2]),), order=2)
    # autograd's curried spelling
    tj.check_grads(lambda x, y: tnp.sin(x) * y, order=2)(np.array([0.3, 1.2]), 0.5)
    with pytest.raises(AssertionError, match="mismatch"):
        tj.check_grads(bad, modes=("fwd",), order=1, nudge=False)(0.3)


def test_custom_vjp_with_jvp_rule_under_jacfwd():
    @tj.custom_vjp
    def f(x):
        return tnp.sin(x)

    f.defvjp(lambda x: (f(x), tnp.cos(x)), lambda c, g: (g * c,))

    @f.defjvp
    def _(p, t):
        return f(p[0]), tnp.cos(p[0]) * t[0]

    x = np.arange(3.0)
    np.testing.assert_allclose(tj.jacfwd(f)(x), np.diag(np.cos(x)), atol=1e-15)
    np.testing.assert_allclose(tj.jacrev(f)(x), np.diag(np.cos(x)), atol=1e-15)
