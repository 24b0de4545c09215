"""The core: tracing to IR, the checker, golden IR text, and user-facing errors."""

import os

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tracejit.ir import IR, IRError, Var, check_ir
from tracejit.trace import PRIMITIVES

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")


def loss(w, x, y):
    pred = tnp.tanh(x @ w)
    return tnp.mean((pred - y) ** 2)


def mlp(params, x):
    (w1, b1), (w2, b2) = params
    h = tnp.maximum(x @ w1 + b1, 0.0)
    return (h @ w2 + b2).sum()


W = np.zeros((3, 2))
X = np.zeros((4, 3))
Y = np.zeros((4, 2))
P = ((np.zeros((3, 5)), np.zeros(5)), (np.zeros((5, 1)), np.zeros(1)))

PROGRAMS = {
    "loss": lambda: tj.make_ir(loss)(W, X, Y),
    "grad_loss": lambda: tj.make_ir(tj.grad(loss))(W, X, Y),
    "vmap_grad_mlp": lambda: tj.make_ir(tj.vmap(tj.grad(mlp), (None, 0)))(P, np.zeros((8, 3))),
    "scan": lambda: tj.make_ir(lambda x: tj.lax.scan(lambda c, v: (c * v, c + v), 1.0, x))(
        np.zeros(5)
    ),
}


def _strip_src(text):
    """Source columns change with every edit of this file; compare the program only."""
    return "\n".join(line.split("  #")[0].rstrip() for line in text.splitlines())


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_golden_ir(name):
    ir = PROGRAMS[name]()
    check_ir(ir)
    text = _strip_src(str(ir))
    path = os.path.join(GOLDEN, f"{name}.txt")
    if os.environ.get("TRACEJIT_UPDATE_GOLDEN") or not os.path.exists(path):
        with open(path, "w") as f:
            f.write(text + "\n")
    with open(path) as f:
        assert text == f.read().rstrip("\n"), f"IR of {name} changed; see {path}"


def test_ir_lines_name_the_users_line():
    ir = tj.make_ir(loss)(W, X, Y)
    assert all(e.src and e.src.startswith("test_core.py:") for e in ir.eqns)
    assert "test_core.py:" in str(ir)
    assert ir._repr_markdown_().startswith("```")


def test_vmap_grad_ir_is_batched_dot_general_without_loops():
    text = str(PROGRAMS["vmap_grad_mlp"]())
    assert "dot_general" in text
    assert "scan" not in text and "while" not in text


def test_grad_ir_has_no_dead_equations():
    ir = tj.make_ir(tj.grad(loss))(W, X, Y)
    used = {a.id for e in ir.eqns for a in e.inputs if isinstance(a, Var)}
    used |= {a.id for a in ir.outs if isinstance(a, Var)}
    assert all(any(v.id in used for v in e.outs) for e in ir.eqns)


def test_checker_rejects_rebinding_and_unbound_vars():
    ir = tj.make_ir(lambda x: tnp.sin(x) + 1.0)(1.0)
    eqn = ir.eqns[0]
    rebound = IR(ir.invars, ir.constvars, ir.consts, (eqn, eqn) + ir.eqns[1:], ir.outs)
    with pytest.raises(IRError, match="bound twice"):
        check_ir(rebound)
    unbound = IR(ir.invars, ir.constvars, ir.consts, ir.eqns[1:], ir.outs)
    with pytest.raises(IRError, match="before it is bound"):
        check_ir(unbound)


def test_closed_over_arrays_become_constants():
    c = np.arange(3.0)
    ir = tj.make_ir(lambda x: x * c)(np.ones(3))
    assert len(ir.consts) == 1 and ir.consts[0] is c


def test_every_primitive_documents_its_rules():
    for name, p in PRIMITIVES.items():
        assert callable(p.impl) and callable(p.shape), name


# --- errors ------------------------------------------------------------------


def test_shape_mismatch_names_the_op_and_shapes():
    from tracejit.ops.elementwise import add

    with pytest.raises(tj.TraceError, match=r"add: operand shapes \(3,\) and \(4,\) differ"):
        tj.make_ir(lambda a, b: add(a, b))(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="broadcast"):
        tj.make_ir(lambda a, b: a + b)(np.ones(3), np.ones(4))


def test_unsupported_argument_type():
    with pytest.raises(TypeError, match="not a valid argument"):
        tj.grad(lambda s: 1.0)("a string")


def test_concretization_error_names_the_line_and_fixes():
    def f(x):
        if x > 0:  # a Python branch on a traced value
            return x
        return -x

    with pytest.raises(tj.ConcretizationError) as e:
        tj.make_ir(f)(1.0)
    msg = str(e.value)
    assert "test_core.py:" in msg
    assert "tnp.where" in msg or "tracejit.numpy.where" in msg
    assert "lax.cond" in msg and "static_argnums" in msg


def test_concretization_inside_vmap_explains_batching():
    with pytest.raises(tj.ConcretizationError, match="vmap"):
        tj.vmap(lambda x: x if x > 0 else -x)(np.ones(3))


def test_python_control_flow_works_under_grad():
    def f(x):
        return x**2 if x > 0 else -x

    assert float(tj.grad(f)(3.0)) == 6.0
    assert float(tj.grad(f)(-3.0)) == -1.0


def test_tracer_leak_is_reported():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2

    tj.grad(f)(1.0)
    with pytest.raises(tj.TracerLeakError, match="escaped"):
        leaked[0] + 1.0


def test_numpy_on_a_tracer_is_refused_or_dispatched():
    # np.sin on a tracer dispatches to tnp.sin; np.asarray(tracer) is refused clearly
    assert float(tj.grad(lambda x: np.sin(x))(0.0)) == 1.0
    with pytest.raises(tj.TraceError, match="tracejit.numpy"):
        tj.grad(lambda x: np.asarray(x).sum())(1.0)


def test_unsupported_numpy_function():
    with pytest.raises(NotImplementedError, match="fromregex"):
        _ = tnp.fromregex
    with pytest.raises(AttributeError):
        _ = tnp.some_function_that_numpy_does_not_have


def test_grad_of_int_input_and_nonscalar_output():
    with pytest.raises(TypeError, match="inexact"):
        tj.grad(lambda x: x * 2.0)(3)
    with pytest.raises(TypeError, match="scalar"):
        tj.grad(lambda x: x * 2.0)(np.ones(3))
