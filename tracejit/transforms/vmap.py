"""Batching: vmap of an IR, one batching rule per primitive, no loop over the batch."""

from __future__ import annotations

from ..ir import IR, Lit
from ..ops.common import shape_error
from ..trace import _SRC, bind, trace_to_ir


def vmap_ir(ir: IR, in_dims, axis_size: int) -> tuple[IR, list]:
    """IR f: xs -> ys becomes IR F: Xs -> Ys with Ys[..., i, ...] = f(Xs[..., i, ...]).

    `in_dims[k]` is the batch axis of input k (None: shared by every element). Returns
    the batched IR and each output's batch axis (None: the output is not batched).
    """
    in_dims = list(in_dims)
    out_dims: list = []

    def fn(*args):
        outs, dims = vmap_eval(ir, args, in_dims)
        out_dims[:] = dims
        return outs

    avals = []
    for v, d in zip(ir.invars, in_dims):
        s = v.aval.shape
        avals.append(v.aval if d is None else v.aval.update(shape=s[:d] + (axis_size,) + s[d:]))
    new, closure = trace_to_ir(fn, avals)
    assert not closure
    return new, out_dims


def vmap_eval(ir: IR, args, in_dims) -> tuple[list, list]:
    env: dict[int, tuple] = {}
    for v, c in zip(ir.constvars, ir.consts):
        env[v.id] = (c, None)
    for v, x, d in zip(ir.invars, args, in_dims):
        env[v.id] = (x, d)

    def read(a):
        return (a.val, None) if type(a) is Lit else env[a.id]

    saved = _SRC[0]
    try:
        for eqn in ir.eqns:
            _SRC[0] = eqn.src
            xs, ds = zip(*(read(a) for a in eqn.inputs)) if eqn.inputs else ((), ())
            if all(d is None for d in ds):
                out = bind(eqn.prim, *xs, **eqn.params)
                outs = list(out) if eqn.prim.multiple_results else [out]
                dims = [None] * len(outs)
            else:
                if eqn.prim.vmap is None:
                    raise shape_error(
                        eqn.prim.name,
                        f"vmap: no batching rule for '{eqn.prim.name}'; "
                        f"add vmap= to {eqn.prim.name}_p",
                    )
                out, dim = eqn.prim.vmap(list(xs), list(ds), **eqn.params)
                outs, dims = (list(out), list(dim)) if eqn.prim.multiple_results else ([out], [dim])
            for v, o, d in zip(eqn.outs, outs, dims):
                env[v.id] = (o, d)
    finally:
        _SRC[0] = saved
    res = [read(a) for a in ir.outs]
    return [x for x, _ in res], [d for _, d in res]
