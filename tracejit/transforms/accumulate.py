"""Sums of products carried through a scan become one matrix product after it.

The reverse pass of a loop over linear layers accumulates each weight's gradient in a
carry, one outer (or matrix) product per step:

    scan body:  dW' = dW + dot_general(x_t, d_t)      (or x_t[:, None] * d_t[None, :])

When the carry `dW` is read only by that sum, the loop need not carry it at all: the
factors `x_t` and `d_t` are stacked as outputs (or taken from the scanned inputs they
already are), and after the loop

    dW = dW0 + dot_general(X, D)   contracting the step axis as well

computes the same sum as a single product: one vectorised loop nest or BLAS call instead
of T small read-modify-write passes over dW. Sums are reassociated (the step axis is
summed inside the product), as any blocked matrix product does.
"""

from __future__ import annotations

from ..ir import IR, Eqn, Var, dce
from ..ops.dot import dot_general_p
from ..ops.elementwise import add_p
from ..ops.shape import RESHAPES, concatenate_p, reshape_p, slice_p, transpose_p

__all__ = [
    "hoist_scan_accumulators",
    "forward_scanned_views",
    "transpose_invariant_matrices",
    "batch_scanned_products",
]

# stacked factors kept up to this many elements per scan (beyond it the carry is cheaper
# than the memory)
MAX_STACKED = 1 << 22


def hoist_scan_accumulators(ir: IR) -> IR:
    """The same function, with every scan-carried sum of products computed after its loop.
    (Nested bodies are handled by the caller, which simplifies every body first.)"""
    return _rewrite_scans(ir, _hoist)


def _rewrite_scans(ir: IR, rewrite) -> IR:
    """ir with each scan equation replaced by `rewrite(eqn)` (a list of equations; [eqn]
    when it leaves the loop as it is)."""
    eqns: list[Eqn] = []
    changed = False
    for eqn in ir.eqns:
        new = rewrite(eqn) if eqn.prim.name == "scan" else [eqn]
        changed |= new != [eqn]
        eqns += new
    if not changed:
        return ir
    return IR(ir.invars, ir.constvars, ir.consts, tuple(eqns), ir.outs)


def _uses(body: IR) -> dict:
    n: dict[int, int] = {}
    for e in body.eqns:
        for a in e.inputs:
            if type(a) is Var:
                n[a.id] = n.get(a.id, 0) + 1
    for a in body.outs:
        if type(a) is Var:
            n[a.id] = n.get(a.id, 0) + 1
    return n


def _factors(t: Var, defs: dict):
    """t as a product of two body values: (u, v, contract_u, contract_v, perm), meaning
    t = transpose(dot_general(u, v, contract), perm) (perm None: no transpose)."""
    e = defs.get(t.id)
    if e is None:
        return None
    if e.prim.name == "dot_general":
        (uc, vc), (ub, _) = e.params["dimension_numbers"]
        if ub or e.params.get("preferred_element_type") is not None:
            return None
        u, v = e.inputs
        return (u, v, tuple(uc), tuple(vc), None) if type(u) is type(v) is Var else None
    if e.prim.name != "mul":
        return None
    bu, bv = (defs.get(a.id) if type(a) is Var else None for a in e.inputs)
    if bu is None or bv is None or not bu.prim.name == bv.prim.name == "broadcast_in_dim":
        return None
    (u,), (v,) = bu.inputs, bv.inputs
    du = tuple(bu.params["broadcast_dimensions"])
    dv = tuple(bv.params["broadcast_dimensions"])
    shape = t.aval.shape
    if type(u) is not Var or type(v) is not Var or not du or not dv:
        return None
    if sorted(du + dv) != list(range(len(shape))):
        return None  # not an outer product: some axis comes from both or neither
    if u.aval.shape != tuple(shape[d] for d in du) or v.aval.shape != tuple(shape[d] for d in dv):
        return None  # a size-1 axis broadcast: not a plain outer product
    order = du + dv  # the axes of dot_general(u, v) with nothing contracted
    perm = tuple(order.index(d) for d in range(len(shape)))
    return u, v, (), (), None if perm == tuple(range(len(shape))) else perm


def _hoist(eqn: Eqn) -> list[Eqn]:
    p = eqn.params
    body, nc, nk, length = p["body"], p["num_consts"], p["num_carry"], p["length"]
    if length is None or nk == 0:
        return [eqn]
    defs = {o.id: e for e in body.eqns for o in e.outs}
    uses = _uses(body)
    carry_in = body.invars[nc : nc + nk]
    xs_in = {v.id: i for i, v in enumerate(body.invars[nc + nk :])}
    consts = {v.id for v in body.invars[:nc]}
    plans, stacked = {}, 0
    for k, (c, o) in enumerate(zip(carry_in, body.outs[:nk])):
        e = defs.get(o.id) if type(o) is Var else None
        if e is None or e.prim.name != "add" or uses.get(c.id) != 1 or uses.get(o.id) != 1:
            continue
        a, b = e.inputs
        t = b if a is c else a if b is c else None
        if type(t) is not Var or t.aval != c.aval or t.aval.dtype.kind != "f":
            continue
        f = _factors(t, defs)
        if f is None or f[0].id in consts or f[1].id in consts:
            continue  # a loop-invariant factor: the carry is cheaper
        stacked += length * (f[0].aval.size + f[1].aval.size)
        if stacked > MAX_STACKED:
            break
        plans[k] = f
    if not plans:
        return [eqn]

    # the loop without those carries, stacking the factors it does not already scan over
    keep = [k for k in range(nk) if k not in plans]
    new_ys: list[Var] = []  # body values to stack, in order
    for u, v, *_ in plans.values():
        for w in (u, v):
            if _scanned(w, xs_in, defs) is None and w not in new_ys:
                new_ys.append(w)
    new_body = dce(
        IR(
            body.invars[:nc] + tuple(carry_in[k] for k in keep) + body.invars[nc + nk :],
            body.constvars,
            body.consts,
            body.eqns,
            tuple(body.outs[k] for k in keep) + body.outs[nk:] + tuple(new_ys),
        )
    )
    ins = eqn.inputs
    stacked_vars = [Var(w.aval.update(shape=(length, *w.aval.shape))) for w in new_ys]
    loop = Eqn(
        eqn.prim,
        ins[:nc] + tuple(ins[nc + k] for k in keep) + ins[nc + nk :],
        tuple(eqn.outs[k] for k in keep) + eqn.outs[nk:] + tuple(stacked_vars),
        {**p, "body": new_body, "num_carry": len(keep)},
        eqn.src,
    )
    out = [loop]

    def stacked_of(w: Var) -> Var:
        if w in new_ys:
            return stacked_vars[new_ys.index(w)]
        i, shape = _scanned(w, xs_in, defs)
        xs = ins[nc + nk + i]
        want = (length, *shape)
        if xs.aval.shape == want:
            return xs
        r = Var(xs.aval.update(shape=want))
        out.append(Eqn(reshape_p, (xs,), (r,), {"new_sizes": want}, eqn.src))
        return r

    for k, (u, v, uc, vc, perm) in plans.items():
        dn = (((0, *(d + 1 for d in uc)), (0, *(d + 1 for d in vc))), ((), ()))
        params = {"dimension_numbers": dn, "preferred_element_type": None}
        U, V = stacked_of(u), stacked_of(v)
        (aval,) = dot_general_p.shape_rule([U.aval, V.aval], params)
        s = Var(aval)
        out.append(Eqn(dot_general_p, (U, V), (s,), params, eqn.src))
        if perm is not None:
            st = Var(carry_in[k].aval)
            out.append(Eqn(transpose_p, (s,), (st,), {"perm": perm}, eqn.src))
            s = st
        out.append(Eqn(add_p, (ins[nc + k], s), (eqn.outs[k],), {}, eqn.src))
    return out


def forward_scanned_views(ir: IR) -> IR:
    """A scan output stacking each step's slice of a scanned input (or a reshape of it) is
    that input, reshaped; one stacking a carry as the step received it, when the carry's
    next value is stacked too, is that stack shifted by one step behind the initial value.
    The loop stops copying them (autodiff saves such residuals)."""
    return _rewrite_scans(ir, _forward_views)


def _forward_views(eqn: Eqn) -> list[Eqn]:
    p = eqn.params
    body, nc, nk, length = p["body"], p["num_consts"], p["num_carry"], p["length"]
    if length is None:
        return [eqn]
    defs = {o.id: e for e in body.eqns for o in e.outs}
    xs_in = {v.id: i for i, v in enumerate(body.invars[nc + nk :])}
    carry_in = {v.id: k for k, v in enumerate(body.invars[nc : nc + nk])}
    ys_of = {}  # var id -> index of a ys output returning it
    for m, y in enumerate(body.outs[nk:]):
        if type(y) is Var:
            ys_of.setdefault(y.id, m)
    views, shifted = {}, {}  # ys index -> (xs index, step shape) | (carry, its ys, shape)
    for j, y in enumerate(body.outs[nk:]):
        if type(y) is Var:
            found = _scanned(y, xs_in, defs)
            if found is not None:
                views[j] = found
                continue
            found = _scanned(y, carry_in, defs)
            if found is not None and length >= 1:
                k, shape = found
                nxt = body.outs[k]
                m = ys_of.get(nxt.id) if type(nxt) is Var else None
                if m is not None and m != j:
                    shifted[j] = (k, m, shape)
    shifted = {j: v for j, v in shifted.items() if v[1] not in shifted}
    if not views and not shifted:
        return [eqn]
    keep = [j for j in range(len(body.outs) - nk) if j not in views and j not in shifted]
    new_body = dce(
        IR(
            body.invars,
            body.constvars,
            body.consts,
            body.eqns,
            body.outs[:nk] + tuple(body.outs[nk + j] for j in keep),
        )
    )
    outs = eqn.outs
    loop = Eqn(
        eqn.prim,
        eqn.inputs,
        outs[:nk] + tuple(outs[nk + j] for j in keep),
        {**p, "body": new_body},
        eqn.src,
    )
    out = [loop]
    for j, (i, shape) in views.items():
        xs, ys = eqn.inputs[nc + nk + i], outs[nk + j]  # (an identity reshape folds away)
        out.append(Eqn(reshape_p, (xs,), (ys,), {"new_sizes": (length, *shape)}, eqn.src))
    for j, (k, m, shape) in shifted.items():
        init, stack = eqn.inputs[nc + k], outs[nk + m]
        step = stack.aval.shape[1:]
        first = Var(init.aval.update(shape=(1, *step)))
        out.append(Eqn(reshape_p, (init,), (first,), {"new_sizes": (1, *step)}, eqn.src))
        rest = Var(stack.aval.update(shape=(length - 1, *step)))
        lo, hi = (1, length) if p["reverse"] else (0, length - 1)  # the steps that fed others
        bounds = {
            "start_indices": (lo, *(0 for _ in step)),
            "limit_indices": (hi, *step),
            "strides": None,
        }
        out.append(Eqn(slice_p, (stack,), (rest,), bounds, eqn.src))
        whole = Var(stack.aval)
        parts = (rest, first) if p["reverse"] else (first, rest)
        out.append(Eqn(concatenate_p, parts, (whole,), {"dimension": 0}, eqn.src))
        ys = outs[nk + j]
        out.append(Eqn(reshape_p, (whole,), (ys,), {"new_sizes": (length, *shape)}, eqn.src))
    return out


def _scanned(w: Var, xs_in: dict, defs: dict):
    """(index of the scanned input, shape) if w is that input's slice, or a reshape of it
    (so its stack is the input itself, reshaped); else None."""
    shape = w.aval.shape
    while w.id not in xs_in:
        e = defs.get(w.id)
        if e is None or e.prim.name not in RESHAPES:
            return None
        w = e.inputs[0]
        if type(w) is not Var:
            return None
    return xs_in[w.id], shape


def transpose_invariant_matrices(ir: IR) -> IR:
    """A loop-invariant matrix that a scan body contracts on its last axis (x @ W.T, as the
    backward pass of x @ W does) is transposed once before the loop: the product inside
    then reads W's rows contiguously instead of striding across them every step."""
    return _rewrite_scans(ir, _transpose_consts)


def _transpose_consts(eqn: Eqn) -> list[Eqn]:
    p = eqn.params
    body, nc = p["body"], p["num_consts"]
    consts = {v.id: k for k, v in enumerate(body.invars[:nc])}
    uses: dict[int, list] = {}
    for e in body.eqns:
        for a in e.inputs:
            if type(a) is Var and a.id in consts:
                uses.setdefault(a.id, []).append(e)
    chosen = {}  # const index -> its body invar
    for cid, es in uses.items():
        c = body.invars[consts[cid]]
        if c.aval.ndim != 2 or any(a is c for a in body.outs):
            continue
        if all(_reads_rows_across(e, c) for e in es):
            chosen[consts[cid]] = c
    if not chosen:
        return [eqn]
    new_in = {k: Var(c.aval.update(shape=c.aval.shape[::-1])) for k, c in chosen.items()}
    body_eqns = []
    for e in body.eqns:
        if (
            e.prim.name == "dot_general"
            and type(e.inputs[1]) is Var
            and e.inputs[1].id in {c.id for c in chosen.values()}
        ):
            k = consts[e.inputs[1].id]
            (xc, _), batch = e.params["dimension_numbers"]
            params = {**e.params, "dimension_numbers": ((xc, (0,)), batch)}
            e = Eqn(e.prim, (e.inputs[0], new_in[k]), e.outs, params, e.src)
        body_eqns.append(e)
    order = sorted(chosen)
    new_body = IR(
        body.invars[:nc] + tuple(new_in[k] for k in order) + body.invars[nc:],
        body.constvars,
        body.consts,
        tuple(body_eqns),
        body.outs,
    )
    out, outer = [], []
    for k in order:
        w = eqn.inputs[k]
        wt = Var(w.aval.update(shape=w.aval.shape[::-1]))
        out.append(Eqn(transpose_p, (w,), (wt,), {"perm": (1, 0)}, eqn.src))
        outer.append(wt)
    ins = eqn.inputs[:nc] + tuple(outer) + eqn.inputs[nc:]
    params = {**p, "body": dce(new_body), "num_consts": nc + len(order)}
    return out + [Eqn(eqn.prim, ins, eqn.outs, params, eqn.src)]


def _reads_rows_across(e: Eqn, c: Var) -> bool:
    """e is a small product x @ c.T: c the right operand, contracted on its last axis, with
    at most one row of x (a matrix-vector product, where BLAS's call overhead dominates)."""
    if e.prim.name != "dot_general" or e.inputs[1] is not c or e.inputs[0] is c:
        return False
    (xc, yc), (xb, _) = e.params["dimension_numbers"]
    if xb or tuple(yc) != (1,) or len(xc) != 1:
        return False
    x = e.inputs[0]
    rows = x.aval.size // max(x.aval.shape[xc[0]], 1)
    return rows <= 1


def batch_scanned_products(ir: IR) -> IR:
    """A product of each step's slice of a scanned input with a loop-invariant operand
    (x_t @ W, the input projection of a recurrent layer) is computed for every step at
    once before the loop, as one matrix product (X @ W); the loop reads its rows."""
    return _rewrite_scans(ir, _batch_products)


def _batch_products(eqn: Eqn) -> list[Eqn]:
    p = eqn.params
    body, nc, nk, length = p["body"], p["num_consts"], p["num_carry"], p["length"]
    if length is None:
        return [eqn]
    consts = {v.id: k for k, v in enumerate(body.invars[:nc])}
    xs_in = {v.id: i for i, v in enumerate(body.invars[nc + nk :])}
    outs = {a.id for a in body.outs if type(a) is Var}
    before, new_xs, new_in, kept, budget = [], [], [], [], MAX_STACKED
    for e in body.eqns:
        side = _scanned_side(e, xs_in, consts)
        y = e.outs[0]
        if side is None or y.id in outs or length * y.aval.size > budget:
            kept.append(e)
            continue
        budget -= length * y.aval.size
        contract = e.params["dimension_numbers"][0]
        xc, wc = contract[side], contract[1 - side]
        x, w = e.inputs[side], e.inputs[1 - side]
        xs, w = eqn.inputs[nc + nk + xs_in[x.id]], eqn.inputs[consts[w.id]]  # outside the loop
        xc = tuple(a + 1 for a in xc)  # the step axis leads, a free axis of the product
        dims = ((xc, wc), ((), ())) if side == 0 else ((wc, xc), ((), ()))
        stacked = Var(y.aval.update(shape=(length, *y.aval.shape)))
        params = {**e.params, "dimension_numbers": dims}
        if side == 0:
            before.append(Eqn(e.prim, (xs, w), (stacked,), params, e.src))
        else:  # w's free axes come first: move the step axis to the front
            nw = w.aval.ndim - len(wc)
            raw = Var(y.aval.update(shape=(*y.aval.shape[:nw], length, *y.aval.shape[nw:])))
            before.append(Eqn(e.prim, (w, xs), (raw,), params, e.src))
            perm = (nw, *range(nw), *range(nw + 1, raw.aval.ndim))
            before.append(Eqn(transpose_p, (raw,), (stacked,), {"perm": perm}, e.src))
        new_xs.append(stacked)
        new_in.append(y)  # the body reads the product's row as a new scanned input
    if not before:
        return [eqn]
    new_body = IR(body.invars + tuple(new_in), body.constvars, body.consts, tuple(kept), body.outs)
    loop = Eqn(eqn.prim, eqn.inputs + tuple(new_xs), eqn.outs, {**p, "body": new_body}, eqn.src)
    return before + [loop]


def _scanned_side(e: Eqn, xs_in: dict, consts: dict):
    """0 or 1: the operand of a plain product e that is a scanned input's slice, when the
    other is loop-invariant; else None."""
    if e.prim.name != "dot_general" or e.params["dimension_numbers"][1][0]:
        return None
    a, b = e.inputs
    if type(a) is not Var or type(b) is not Var:
        return None
    if a.id in xs_in and b.id in consts:
        return 0
    if b.id in xs_in and a.id in consts:
        return 1
    return None
