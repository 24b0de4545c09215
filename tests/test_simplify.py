"""simplify_ir keeps a program's value and removes the work autodiff leaves behind.

The law: eval_ir(simplify_ir(ir)) ≡ eval_ir(ir), checked on random programs (and their
gradients) built from primitives; plus one small program per rewrite showing it fires.
`random_programs` and `run_program` are shared with tests/test_jit.py.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tracejit as tj
from tracejit.ops import elementwise as ew
from tracejit.ops import reduce as red
from tracejit.ops import shape as sh
from tracejit.trace import eval_ir
from tracejit.transforms.simplify import simplify_ir

# ---------------------------------------------------------------------------
# random programs over a matrix x (3, 4), a vector y (4,) and a scalar s ()

SHAPES = {"x": (3, 4), "y": (4,), "s": ()}
UNARY = ["tanh", "sin", "cos", "neg", "logistic", "abs"]
BINARY = ["add", "sub", "mul", "max", "min", "select_gt", "safe_div"]


def _apply(op, a, b):
    if op == "select_gt":
        return ew.select(ew.gt(a, b), a, b)
    if op == "safe_div":
        return ew.div(a, ew.add(ew.mul(b, b), ew.lit(1.0, b)))
    return getattr(ew, op)(a, b)


def _to_matrix(v):
    """Any pool value as a (3, 4) matrix, by broadcasting or reducing."""
    shape = np.shape(v) if not hasattr(v, "aval") else v.aval.shape
    if shape == (3, 4):
        return v
    if shape == (4,):
        return sh.broadcast_in_dim(v, shape=(3, 4), broadcast_dimensions=(1,))
    return sh.broadcast_in_dim(v, shape=(3, 4), broadcast_dimensions=())


instruction = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(UNARY), st.integers(0, 99)),
    st.tuples(st.just("binary"), st.sampled_from(BINARY), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("scalar"), st.sampled_from(BINARY), st.integers(0, 99), st.floats(-2, 2)),
    st.tuples(
        st.just("reduce"),
        st.sampled_from(["sum", "max"]),
        st.integers(0, 99),
        st.sampled_from([(0,), (1,), (0, 1)]),
    ),
    st.tuples(st.just("transpose2"), st.integers(0, 99)),
    st.tuples(
        st.just("noop"), st.sampled_from(["mul1", "add0", "negneg", "cast"]), st.integers(0, 99)
    ),
)
random_programs = st.lists(instruction, min_size=1, max_size=12)


def run_program(prog, x, y, s):
    """Interpret `prog` with primitive binders (so it traces); returns (scalar, matrix)."""
    pool = [_to_matrix(x), _to_matrix(y), _to_matrix(s)]
    for ins in prog:
        kind, op = ins[0], ins[1]
        if kind == "unary":
            pool.append(getattr(ew, op)(pool[ins[2] % len(pool)]))
        elif kind == "binary":
            pool.append(_apply(op, pool[ins[2] % len(pool)], pool[ins[3] % len(pool)]))
        elif kind == "scalar":
            a = pool[ins[2] % len(pool)]
            pool.append(_apply(op, a, ew.lit(round(ins[3], 3), a)))
        elif kind == "reduce":
            a, axes = pool[ins[2] % len(pool)], ins[3]
            r = getattr(red, f"reduce_{op}")(a, axes=axes)
            kept = tuple(i for i in range(2) if i not in axes)
            pool.append(sh.broadcast_in_dim(r, shape=(3, 4), broadcast_dimensions=kept))
        elif kind == "transpose2":
            a = pool[op % len(pool)]
            pool.append(sh.transpose(sh.transpose(a, perm=(1, 0)), perm=(1, 0)))
        else:
            a = pool[ins[2] % len(pool)]
            if op == "mul1":
                pool.append(ew.mul(a, ew.lit(1.0, a)))
            elif op == "add0":
                pool.append(ew.add(ew.lit(0.0, a), a))
            elif op == "negneg":
                pool.append(ew.neg(ew.neg(a)))
            else:
                pool.append(ew.convert_element_type(a, new_dtype=np.float64))
    out = pool[-1]
    return red.reduce_sum(out, axes=(0, 1)), out


def program_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2, 2, SHAPES[k]) for k in "xys"]


def _check_same(ir, args):
    want = eval_ir(ir, args)
    got = eval_ir(simplify_ir(ir), args)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)
        assert np.shape(g) == np.shape(w) and np.asarray(g).dtype == np.asarray(w).dtype


@settings(max_examples=60, deadline=None)
@given(random_programs)
def test_simplify_keeps_value(prog):
    args = program_inputs()
    _check_same(tj.make_ir(lambda x, y, s: run_program(prog, x, y, s))(*args), args)


@settings(max_examples=40, deadline=None)
@given(random_programs)
def test_simplify_keeps_gradient(prog):
    args = program_inputs(1)
    g = tj.grad(lambda x, y, s: run_program(prog, x, y, s)[0], argnums=(0, 1, 2))
    _check_same(tj.make_ir(g)(*args), args)


# ---------------------------------------------------------------------------
# each rewrite fires


def _prims(ir):
    return [e.prim.name for e in ir.eqns]


def test_algebraic_identities_vanish():
    def f(x):
        a = ew.mul(x, ew.lit(1.0, x))
        b = ew.add(a, ew.lit(0.0, x))
        c = ew.neg(ew.neg(b))
        d = ew.div(c, ew.lit(1.0, x))
        return ew.tmul(d, ew.lit(1.0, x))

    assert _prims(simplify_ir(tj.make_ir(f)(np.ones(3)))) == []


def test_transposes_compose_and_cancel():
    def f(x):
        return sh.transpose(sh.transpose(x, perm=(1, 0, 2)), perm=(1, 0, 2))

    assert _prims(simplify_ir(tj.make_ir(f)(np.ones((2, 3, 4))))) == []


def test_cse_and_dce():
    def f(x):
        _unused = ew.exp(ew.cos(x))
        return ew.add(ew.sin(x), ew.sin(x))

    assert _prims(simplify_ir(tj.make_ir(f)(np.ones(3)))) == ["sin", "add"]


def test_constants_fold():
    c = np.arange(3.0)

    def f(x):
        return ew.mul(x, ew.exp(ew.add(c, ew.lit(1.0, c))))

    ir = simplify_ir(tj.make_ir(f)(np.ones(3)))
    assert _prims(ir) == ["mul"]
    np.testing.assert_allclose(ir.consts[0], np.exp(c + 1))


def test_zero_tangents_disappear_from_gradient():
    # d/dx sum(x * y) with y held: autodiff multiplies by broadcast ones; none survive
    ir = simplify_ir(
        tj.make_ir(tj.grad(lambda x, y: red.reduce_sum(ew.mul(x, y), axes=(0,))))(
            np.ones(3), np.ones(3)
        )
    )
    assert len(ir.eqns) <= 1 and not ir.consts
