"""Transposition of linear IR: the backward pass of reverse mode."""

from __future__ import annotations

import numpy as np

from ..ir import IR, Lit, Var
from ..ops.common import UndefinedPrimal, shape_error
from ..ops.elementwise import add
from ..trace import _SRC, bind, trace_to_ir


def transpose_ir(ir: IR, linear) -> IR:
    """A linear IR computes ys = L(xs_lin; res); its transpose computes xs_ct = Lᵀ ys_ct.

    Non-linear inputs (residuals) are evaluated forwards first; then the equations are
    walked backwards, each linear one mapping its output cotangent to its inputs'.
    The result takes (residuals, ys_ct) and returns one cotangent per linear input.
    """
    linear = list(linear)
    res_avals = [v.aval for v, lin in zip(ir.invars, linear) if not lin]

    def fn(*args):
        res, cts = args[: len(res_avals)], args[len(res_avals) :]
        return backward_pass(ir, linear, res, cts)

    new, closure = trace_to_ir(fn, res_avals + list(ir.out_avals))
    assert not closure
    return new


def backward_pass(ir: IR, linear, res, cts_out) -> list:
    env: dict[int, object] = {}
    lin_ids: set[int] = set()
    it = iter(res)
    for v, lin in zip(ir.invars, linear):
        if lin:
            lin_ids.add(v.id)
        else:
            env[v.id] = next(it)
    for v, c in zip(ir.constvars, ir.consts):
        env[v.id] = c

    def read(a):
        return a.val if type(a) is Lit else env[a.id]

    saved = _SRC[0]
    try:
        lin_eqns = []
        for eqn in ir.eqns:  # forward: the non-linear part (functions of residuals)
            if any(type(a) is Var and a.id in lin_ids for a in eqn.inputs):
                lin_eqns.append(eqn)
                lin_ids.update(v.id for v in eqn.outs)
                continue
            _SRC[0] = eqn.src
            out = bind(eqn.prim, *[read(a) for a in eqn.inputs], **eqn.params)
            for v, o in zip(eqn.outs, out if eqn.prim.multiple_results else [out]):
                env[v.id] = o

        ct_env: dict[int, object] = {}

        def accum(v, ct):
            if ct is None:
                return
            prev = ct_env.get(v.id)
            ct_env[v.id] = ct if prev is None else add(prev, ct)

        for a, ct in zip(ir.outs, cts_out):
            if type(a) is Var and a.id in lin_ids:
                accum(a, ct)
        for eqn in reversed(lin_eqns):
            _SRC[0] = eqn.src
            cts = [ct_env.pop(v.id, None) for v in eqn.outs]
            if all(c is None for c in cts):
                continue
            if eqn.prim.transpose is None:
                raise shape_error(
                    eqn.prim.name,
                    f"no transpose rule: '{eqn.prim.name}' is not linear, yet it appeared "
                    "in linear (tangent) code; add transpose= to its primitive if it is linear",
                )
            ins = [
                UndefinedPrimal(a.aval) if type(a) is Var and a.id in lin_ids else read(a)
                for a in eqn.inputs
            ]
            ct_arg = cts if eqn.prim.multiple_results else cts[0]
            cts_in = eqn.prim.transpose(ct_arg, *ins, **eqn.params)
            for a, c in zip(eqn.inputs, cts_in):
                if type(a) is Var and a.id in lin_ids:
                    accum(a, c)
    finally:
        _SRC[0] = saved
    return [
        ct_env.get(v.id, None) if ct_env.get(v.id) is not None else _zeros(v.aval)
        for v, lin in zip(ir.invars, linear)
        if lin
    ]


def _zeros(aval):
    return np.zeros(aval.shape, aval.dtype)
