"""Forward-mode differentiation of an IR, with symbolic zero tangents."""

from __future__ import annotations

import numpy as np

from ..ir import IR, Lit, ShapedArray
from ..ops.common import is_float, shape_error, shape_of
from ..ops.elementwise import _bcast_to, add
from ..trace import _SRC, TraceError, bind, trace_to_ir


def jvp_ir(ir: IR, nonzeros, instantiate=False, primals=None) -> tuple[IR, list[bool]]:
    """IR (xs) -> ys  becomes  IR (xs, ts) -> (ys, J ts), one tangent per nonzero input.

    Tangents of inputs not in `nonzeros` are symbolic zeros and cost nothing; the second
    result says which outputs got a (possibly) nonzero tangent, in the order emitted.
    `instantiate[k]` (or True for all) forces a tangent output k, as zeros if need be.
    `primals` (optional) are the inputs' values: the program is then traced on them, so
    user rules (custom_jvp, custom_vjp) may branch on concrete values, as outside jit.
    """
    n = len(ir.invars)
    nonzeros = list(nonzeros)
    inst = [instantiate] * len(ir.outs) if isinstance(instantiate, bool) else list(instantiate)
    out_nz: list[bool] = []

    def fn(*args):
        primals, it = args[:n], iter(args[n:])
        tangents = [next(it) if nz else None for nz in nonzeros]
        outs, touts = jvp_eval(ir, primals, tangents)
        touts = [
            zeros_like_aval(_aval(o)) if t is None and f and is_float(_aval(o).dtype) else t
            for o, t, f in zip(outs, touts, inst)
        ]
        out_nz[:] = [t is not None for t in touts]
        return list(outs) + [t for t in touts if t is not None]

    tan_avals = [v.aval for v, nz in zip(ir.invars, nonzeros) if nz]
    ins = list(ir.in_avals) if primals is None else list(primals)
    new, closure = trace_to_ir(fn, ins + tan_avals)
    assert not closure, "jvp_ir: a rule closed over an outer tracer"
    return new, out_nz


def jvp_eval(ir: IR, primals, tangents) -> tuple[list, list]:
    """Evaluate `ir` on (primal, tangent) pairs; a tangent None is a symbolic zero."""
    env: dict[int, tuple] = {}
    for v, c in zip(ir.constvars, ir.consts):
        env[v.id] = (c, None)
    for v, x, t in zip(ir.invars, primals, tangents):
        env[v.id] = (x, t)

    def read(a):
        return (a.val, None) if type(a) is Lit else env[a.id]

    saved = _SRC[0]
    try:
        for eqn in ir.eqns:
            _SRC[0] = eqn.src
            xs, ts = zip(*(read(a) for a in eqn.inputs)) if eqn.inputs else ((), ())
            outs, touts = jvp_eqn(eqn.prim, list(xs), list(ts), eqn.params, eqn.outs)
            for v, o, t in zip(eqn.outs, outs, touts):
                env[v.id] = (o, t)
    finally:
        _SRC[0] = saved
    res = [read(a) for a in ir.outs]
    return [x for x, _ in res], [t for _, t in res]


def jvp_eqn(prim, xs, ts, params, out_vars=None):
    """One equation's primal outputs and output tangents (None: symbolic zero)."""
    if all(t is None for t in ts):
        out = bind(prim, *xs, **params)
        outs = list(out) if prim.multiple_results else [out]
        return outs, [None] * len(outs)
    rule = prim.jvp
    if rule is None:
        out_avals = prim.shape_rule([_aval(x) for x in xs], params)
        if not any(is_float(a.dtype) for a in out_avals):
            out = bind(prim, *xs, **params)
            outs = list(out) if prim.multiple_results else [out]
            return outs, [None] * len(outs)
        raise shape_error(
            prim.name,
            f"no differentiation rule for '{prim.name}'; add jvp= to {prim.name}_p",
        )
    if callable(rule):
        outs, touts = rule(xs, ts, **params)
        return list(outs), list(touts)
    out = bind(prim, *xs, **params)
    if not is_float(_aval(out).dtype):
        return [out], [None]
    total = None
    for i, t in enumerate(ts):
        if t is None:
            continue
        if rule[i] is None:
            raise TraceError(f"{prim.name}: operand {i} is not differentiable")
        c = rule[i](t, out, *xs, **params)
        if c is not None:
            total = c if total is None else add(total, c)
    if total is not None:
        total = _bcast_to(total, shape_of(out))
    return [out], [total]


def zeros_like_aval(aval: ShapedArray) -> np.ndarray:
    return np.zeros(aval.shape, aval.dtype)


def _aval(x) -> ShapedArray:
    if hasattr(x, "aval"):
        return x.aval
    x = np.asarray(x)
    return ShapedArray(x.shape, x.dtype)
