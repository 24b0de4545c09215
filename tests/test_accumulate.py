"""Scan-carried sums of products become one product after the loop (and the program keeps
its value): tracejit/transforms/accumulate.py."""

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tracejit.trace import eval_ir
from tracejit.transforms.accumulate import hoist_scan_accumulators
from tracejit.transforms.simplify import simplify_bodies, simplify_ir


def _scans(ir):
    return [e for e in ir.eqns if e.prim.name == "scan"]


def _rnn_loss(params, h0, xs, ys, reverse=False):
    Wx, Wh, b, wo = params

    def step(h, x):
        h = tnp.tanh(x @ Wx + h @ Wh + b)
        return h, h

    _, hs = tj.lax.scan(step, h0, xs, reverse=reverse)
    e = hs @ wo - ys
    return 0.5 * tnp.sum(e * e)


def _rnn_args(batch=None, steps=7, hidden=5, features=3, seed=0):
    rng = np.random.default_rng(seed)
    params = (
        rng.standard_normal((features, hidden)) / 2,
        rng.standard_normal((hidden, hidden)) / 3,
        rng.standard_normal(hidden) / 5,
        rng.standard_normal(hidden),
    )
    lead = () if batch is None else (batch,)
    xs = rng.standard_normal((steps, *lead, features))
    ys = rng.standard_normal((steps, *lead))
    return params, np.zeros((*lead, hidden)), xs, ys


def _carries(ir):
    return sum(e.params["num_carry"] for e in _scans(ir))


@pytest.mark.parametrize("batch", [None, 4])
@pytest.mark.parametrize("reverse", [False, True])
def test_rnn_gradient_keeps_its_value_and_loses_its_weight_carries(batch, reverse):
    args = _rnn_args(batch)
    ir = tj.make_ir(tj.grad(lambda *a: _rnn_loss(*a, reverse=reverse)))(*args)
    flat = tj.tree.leaves(args)
    want = eval_ir(ir, flat)
    hoisted = simplify_ir(ir)  # autodiff's leftovers cleared, then the sums hoisted
    for g, w in zip(eval_ir(hoisted, flat), want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    # the two weight gradients leave the reverse loop: two carries fewer, and a matrix
    # product after the last loop
    assert _carries(hoisted) == _carries(ir) - 2
    names = [e.prim.name for e in hoisted.eqns]
    last_scan = len(names) - 1 - names[::-1].index("scan")
    assert "dot_general" in names[last_scan + 1 :]


def test_jit_of_rnn_gradient_matches_the_interpreter():
    args = _rnn_args(batch=3, steps=6)
    g = tj.grad(_rnn_loss)
    want = g(*args)
    got = tj.jit(g).compile(*args)(*args)
    tj.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12), got, want)


def _accumulating(u_of, v_of, transpose=False):
    """A scan whose carry sums outer products of two per-step values."""

    def f(W0, xs, c):
        def step(W, x):
            u, v = u_of(x, c), v_of(x, c)
            t = tnp.outer(v, u) if transpose else tnp.outer(u, v)
            return W + t, tnp.sum(u)

        return tj.lax.scan(step, W0, xs)

    return f


@pytest.mark.parametrize("transpose", [False, True])
def test_outer_products_of_step_values_are_hoisted(transpose):
    rng = np.random.default_rng(1)
    xs, c = rng.standard_normal((6, 4)), rng.standard_normal(4)
    f = _accumulating(lambda x, c: tnp.sin(x) * c, lambda x, c: x[:3] + 1.0, transpose)
    W0 = np.ones((3, 4) if transpose else (4, 3))
    ir = tj.make_ir(f)(W0, xs, c)
    out = hoist_scan_accumulators(ir)
    assert _carries(out) == 0
    want = eval_ir(ir, [W0, xs, c])
    got = eval_ir(out, [W0, xs, c])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    ref = W0 + sum(
        np.outer(*((x[:3] + 1, np.sin(x) * c) if transpose else (np.sin(x) * c, x[:3] + 1)))
        for x in xs
    )
    np.testing.assert_allclose(got[0], ref, rtol=1e-12)


def test_a_loop_invariant_factor_or_a_carry_read_elsewhere_stays_in_the_loop():
    rng = np.random.default_rng(2)
    xs, c = rng.standard_normal((5, 4)), rng.standard_normal(4)
    invariant = _accumulating(lambda x, c: c, lambda x, c: x)
    ir = tj.make_ir(invariant)(np.zeros((4, 4)), xs, c)
    assert hoist_scan_accumulators(ir) is ir

    def reads_carry(W0, xs):
        def step(W, x):
            return W + tnp.outer(x, x), tnp.sum(W)

        return tj.lax.scan(step, W0, xs)

    ir = tj.make_ir(reads_carry)(np.zeros((4, 4)), xs)
    assert hoist_scan_accumulators(ir) is ir


def test_empty_scan_sums_to_the_initial_carry():
    f = _accumulating(lambda x, c: x * c, lambda x, c: x)
    W0, xs, c = np.full((4, 4), 2.0), np.zeros((0, 4)), np.ones(4)
    ir = tj.make_ir(f)(W0, xs, c)
    got = eval_ir(hoist_scan_accumulators(ir), [W0, xs, c])
    np.testing.assert_array_equal(got[0], W0)


def test_stacked_outputs_are_computed_in_their_rows():
    """A scan output made by a loop nest is written into its row of the stack (no copy),
    also when it is the next carry (which then views the row, and is copied once after the
    loop: the final carry returned must not alias the stack)."""

    def f(h0, xs):
        def step(h, x):
            h = tnp.tanh(h * x + 1.0)
            return h, (h, 1.0 - h * h)

        return tj.lax.scan(step, h0, xs)

    rng = np.random.default_rng(3)
    h0, xs = rng.standard_normal(4), rng.standard_normal((6, 4))
    jf = tj.jit(f)
    src = jf.lower(h0, xs).source
    copies = [line for line in src.splitlines() if "[it1] = " in line]
    assert not copies  # both outputs computed in their rows
    got, want = jf.compile(h0, xs)(h0, xs), f(h0, xs)
    close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)  # noqa: E731
    tj.tree.map(close, got, want)
    h, (hs, _) = got
    h += 1.0  # the final carry is its own array
    close(hs[-1], want[1][0][-1])


def test_an_invariant_matrix_read_across_its_rows_is_transposed_before_the_loop():
    from tracejit.transforms.accumulate import transpose_invariant_matrices

    def f(W, h0, xs):
        def step(h, x):
            h = tnp.tanh(h @ W.T + x)  # a vector times W transposed: strided reads of W
            return h, h

        return tj.lax.scan(step, h0, xs)

    rng = np.random.default_rng(4)
    W, h0, xs = rng.standard_normal((5, 5)), rng.standard_normal(5), rng.standard_normal((7, 5))
    ir = simplify_bodies(tj.make_ir(f)(W, h0, xs))
    out = transpose_invariant_matrices(ir)
    names = [e.prim.name for e in out.eqns]
    assert names.index("transpose") < names.index("scan")
    (scan,) = _scans(out)
    dot = next(e for e in scan.params["body"].eqns if e.prim.name == "dot_general")
    assert dot.params["dimension_numbers"][0][1] == (0,)  # contracts the transposed rows
    for g, w in zip(eval_ir(out, [W, h0, xs]), eval_ir(ir, [W, h0, xs]), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13)
    got = tj.jit(f).compile(W, h0, xs)(W, h0, xs)
    tj.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12), got, f(W, h0, xs))


@pytest.mark.parametrize("reverse", [False, True])
def test_a_stack_of_incoming_carries_is_the_stack_of_outgoing_ones_shifted(reverse):
    from tracejit.transforms.accumulate import forward_scanned_views

    def f(h0, xs):
        def step(h, x):
            new = tnp.sin(h) * x
            return new, (new, h.reshape(1, -1))  # the next carry, and the one received

        return tj.lax.scan(step, h0, xs, reverse=reverse)

    rng = np.random.default_rng(5)
    h0, xs = rng.standard_normal(3), rng.standard_normal((6, 3))
    ir = tj.make_ir(f)(h0, xs)
    out = forward_scanned_views(ir)
    (scan,) = _scans(out)
    assert len(scan.outs) == len(_scans(ir)[0].outs) - 1  # the incoming stack is derived
    for g, w in zip(eval_ir(out, [h0, xs]), eval_ir(ir, [h0, xs]), strict=True):
        np.testing.assert_array_equal(g, w)
    got = tj.jit(f).compile(h0, xs)(h0, xs)
    tj.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-13), got, f(h0, xs))


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("side", ["x @ W", "W @ x", "X_t @ W"])
def test_products_of_scanned_inputs_with_invariants_are_batched_before_the_loop(side, reverse):
    from tracejit.transforms.accumulate import batch_scanned_products

    rng = np.random.default_rng(6)
    W = rng.standard_normal((4, 4))
    xs = rng.standard_normal((5, 2, 4) if side == "X_t @ W" else (5, 4))

    def f(W, xs):
        def step(h, x):
            p = W @ x if side == "W @ x" else x @ W
            h = tnp.tanh(p + 0.5 * h)  # the product needs no carry
            return h, tnp.sum(h)

        h0 = tnp.zeros(xs.shape[1:])
        return tj.lax.scan(step, h0, xs, reverse=reverse)

    ir = simplify_bodies(tj.make_ir(f)(W, xs))
    out = batch_scanned_products(ir)
    names = [e.prim.name for e in out.eqns]
    assert names.index("dot_general") < names.index("scan")
    (scan,) = _scans(out)
    assert "dot_general" not in [e.prim.name for e in scan.params["body"].eqns]
    for g, w in zip(eval_ir(out, [W, xs]), eval_ir(ir, [W, xs]), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13)
    got = tj.jit(f).compile(W, xs)(W, xs)
    tj.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12), got, f(W, xs))


def test_a_product_needing_the_carry_stays_in_the_loop():
    from tracejit.transforms.accumulate import batch_scanned_products

    def f(W, xs):
        return tj.lax.scan(lambda h, x: (tnp.tanh((x * h) @ W), h), tnp.ones(3), xs)

    ir = simplify_bodies(tj.make_ir(f)(np.eye(3), np.ones((4, 3))))
    assert batch_scanned_products(ir) is ir
