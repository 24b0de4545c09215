"""Partial evaluation: split a JVP IR into a primal IR and a linear IR."""

from __future__ import annotations

from ..ir import IR, Var, dce


def linearize_ir(ir: IR, n_known_in: int, n_known_out: int) -> tuple[IR, IR, int]:
    """Split IR (xs, ts) -> (ys, dys) into  primal: xs -> (ys, residuals)
    and  linear: (residuals, ts) -> dys.

    An equation goes to the linear side when any input depends on ts (the inputs past the
    first `n_known_in`); everything else is primal. Residuals are the primal values the
    linear side reads. Returns (primal_ir, linear_ir, number of residuals).
    """
    unknown: set[int] = {v.id for v in ir.invars[n_known_in:]}
    known_eqns, unknown_eqns = [], []
    for eqn in ir.eqns:
        if any(type(a) is Var and a.id in unknown for a in eqn.inputs):
            unknown_eqns.append(eqn)
            unknown.update(v.id for v in eqn.outs)
        else:
            known_eqns.append(eqn)
    ys, dys = ir.outs[:n_known_out], ir.outs[n_known_out:]
    assert not any(type(a) is Var and a.id in unknown for a in ys), "primal output is linear"

    residuals: dict[int, Var] = {}
    for a in [a for e in unknown_eqns for a in e.inputs] + list(dys):
        if type(a) is Var and a.id not in unknown:
            residuals.setdefault(a.id, a)
    res = tuple(residuals.values())
    primal = IR(ir.invars[:n_known_in], ir.constvars, ir.consts, tuple(known_eqns), ys + res)
    linear = IR(res + ir.invars[n_known_in:], (), (), tuple(unknown_eqns), dys)
    return dce(primal), dce(linear), len(res)
