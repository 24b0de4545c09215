"""Partial evaluation: split an IR into what is known now and what must wait.

Used by reverse mode: the JVP of a program is split into a primal IR (known: depends
only on primal inputs) and a linear IR (unknown: depends on tangents), joined by
residuals. Primitives holding sub-programs (cond, scan) split themselves with a
`partial_eval` rule; every other equation goes wholly to one side.
"""

from __future__ import annotations

from ..ir import IR, Var, dce


def partial_eval_ir(ir: IR, unknown_in, instantiate=False) -> tuple[IR, IR, list[bool], int]:
    """Split IR xs -> ys by which inputs are unknown.

    known:   IR (known xs) -> (known ys, residuals)
    unknown: IR (residuals, unknown xs) -> unknown ys
    `instantiate[k]` forces output k to the unknown side even if it is known (it is then
    passed through as a residual). Returns (known, unknown, out_unknown, n_residuals).
    """
    n_out = len(ir.outs)
    inst = [instantiate] * n_out if isinstance(instantiate, bool) else list(instantiate)
    unknown: set[int] = {v.id for v, u in zip(ir.invars, unknown_in) if u}
    known_eqns, unknown_eqns = [], []
    for eqn in ir.eqns:
        mask = [type(a) is Var and a.id in unknown for a in eqn.inputs]
        if not any(mask):
            known_eqns.append(eqn)
            continue
        rule = getattr(eqn.prim, "partial_eval", None)
        if rule is not None and not all(m for m, a in zip(mask, eqn.inputs) if type(a) is Var):
            kn, un = rule(eqn, mask)
            known_eqns += kn
            unknown_eqns += un
            for e in un:
                unknown.update(v.id for v in e.outs)
        else:
            unknown_eqns.append(eqn)
            unknown.update(v.id for v in eqn.outs)

    out_unknown = [(type(a) is Var and a.id in unknown) or f for a, f in zip(ir.outs, inst)]
    ys_known = tuple(a for a, u in zip(ir.outs, out_unknown) if not u)
    ys_unknown = tuple(a for a, u in zip(ir.outs, out_unknown) if u)

    residuals: dict[int, Var] = {}
    uses = [a for e in unknown_eqns for a in e.inputs] + list(ys_unknown)
    for a in uses:
        if type(a) is Var and a.id not in unknown:
            residuals.setdefault(a.id, a)
    res = tuple(residuals.values())
    known_in = tuple(v for v, u in zip(ir.invars, unknown_in) if not u)
    unknown_in_vars = tuple(v for v, u in zip(ir.invars, unknown_in) if u)
    known = IR(known_in, ir.constvars, ir.consts, tuple(known_eqns), ys_known + res)
    # constants read by the unknown side arrive as residuals, so it needs none of its own
    unk = IR(res + unknown_in_vars, (), (), tuple(unknown_eqns), ys_unknown)
    return dce(known), dce(unk), out_unknown, len(res)


def linearize_ir(ir: IR, n_known_in: int, n_known_out: int) -> tuple[IR, IR, int]:
    """Split a JVP IR (xs, ts) -> (ys, dys) into primal xs -> (ys, res) and
    linear (res, ts) -> dys. Returns (primal_ir, linear_ir, number of residuals)."""
    n_in, n_out = len(ir.invars), len(ir.outs)
    unknown_in = [i >= n_known_in for i in range(n_in)]
    inst = [k >= n_known_out for k in range(n_out)]
    known, linear, out_unknown, n_res = partial_eval_ir(ir, unknown_in, inst)
    assert out_unknown == inst, "a primal output depends on tangents"
    return known, linear, n_res
