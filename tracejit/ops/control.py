"""Control-flow primitives holding sub-programs: cond, scan, while.

Each body is an IR; every rule is an IR -> IR transform of the bodies (jvp_ir,
partial_eval_ir, transpose_ir, vmap_ir), so control flow composes with every transform.

- cond(index, *ops; branches): runs branches[index] (index clamped).
- scan(*consts, *init, *xs; body, num_consts, num_carry, length, reverse):
  body(consts, carry, x_i) -> (carry, y_i); returns (final carry, stacked ys).
- while(*cond_consts, *body_consts, *init; cond_ir, body_ir, cond_nconsts, body_nconsts).
"""

from __future__ import annotations

import numpy as np

from ..ir import IR, Eqn, ShapedArray, Var, dce
from ..trace import Primitive, TraceError, eval_ir, trace_to_ir
from .common import UndefinedPrimal, moveaxis_to, shape_error, shape_of

# transforms import ops (for rules), so control-flow rules import transforms lazily


def _tf():
    from .. import transforms
    from ..transforms.partial_eval import partial_eval_ir

    return transforms, partial_eval_ir


def _zeros(aval: ShapedArray):
    return np.zeros(aval.shape, aval.dtype)


def _permute_ir(ir: IR, in_perm=None, out_perm=None) -> IR:
    """The same program with inputs / outputs reordered: new input k = old in_perm[k]."""
    ins = ir.invars if in_perm is None else tuple(ir.invars[i] for i in in_perm)
    outs = ir.outs if out_perm is None else tuple(ir.outs[i] for i in out_perm)
    return IR(ins, ir.constvars, ir.consts, ir.eqns, outs)


def _groups(seq, *sizes):
    out, i = [], 0
    for n in sizes:
        out.append(list(seq[i : i + n]))
        i += n
    out.append(list(seq[i:]))
    return out


def _reads(ir: IR) -> set:
    """Ids of the variables an IR reads (in its equations or as outputs)."""
    ids = {a.id for e in ir.eqns for a in e.inputs if type(a) is Var}
    return ids | {a.id for a in ir.outs if type(a) is Var}


def _only(ir: IR, keep_outs, keep_ins=None) -> IR:
    """ir computing only the outputs in keep_outs (dead code dropped), taking only the
    inputs in keep_ins (those it no longer reads)."""
    outs = tuple(o for o, k in zip(ir.outs, keep_outs, strict=True) if k)
    ins = ir.invars if keep_ins is None else tuple(v for v, k in zip(ir.invars, keep_ins) if k)
    return dce(IR(ins, ir.constvars, ir.consts, ir.eqns, outs))


def _pick(seq, keep) -> tuple:
    return tuple(a for a, k in zip(seq, keep, strict=True) if k)


def _batched_aval(aval: ShapedArray, size: int) -> ShapedArray:
    return aval.update(shape=(size,) + aval.shape)


def _to_axis0(x, d, size):
    """x with its batch axis at 0; an unbatched x is broadcast along a new axis 0."""
    from .shape import broadcast_in_dim

    if d is None:
        s = shape_of(x)
        return broadcast_in_dim(
            x, shape=(size,) + s, broadcast_dimensions=tuple(range(1, len(s) + 1))
        )
    return moveaxis_to(x, d, 0)


def vmap_ir_at0(ir: IR, in_dims, size: int, out_batched) -> IR:
    """vmap_ir whose output k is batched at axis 0 if out_batched[k], else unbatched."""
    transforms, _ = _tf()
    vir, dims = transforms.vmap_ir(ir, in_dims, size)
    for d, b in zip(dims, out_batched):
        if d is not None and not b:
            raise TraceError("vmap: a loop output expected to be unbatched came out batched")

    def fn(*args):
        outs = eval_ir(vir, list(args))
        return [_to_axis0(o, d, size) if b else o for o, d, b in zip(outs, dims, out_batched)]

    new, closure = trace_to_ir(fn, list(vir.in_avals))
    assert not closure
    return new


# ---------------------------------------------------------------------------
# cond


def _cond_impl(index, *ops, branches):
    i = int(np.clip(np.asarray(index), 0, len(branches) - 1))
    return tuple(eval_ir(branches[i], list(ops)))


def _cond_shape(index, *ops, branches):
    if index.shape != () or not np.issubdtype(index.dtype, np.integer):
        raise shape_error("cond", f"the branch index must be an integer scalar, got {index}")
    outs = branches[0].out_avals
    for b in branches:
        if tuple(b.in_avals) != tuple(ops):
            raise shape_error("cond", f"branch inputs {b.in_avals} differ from operands {ops}")
        if b.out_avals != outs:
            raise shape_error("cond", f"branches return different types: {outs} and {b.out_avals}")
    return outs


def _cond_jvp(primals, tangents, *, branches):
    transforms, _ = _tf()
    index, ops = primals[0], primals[1:]
    nz = [t is not None for t in tangents[1:]]
    out_nz = [False] * len(branches[0].outs)
    for b in branches:
        out_nz = [a or c for a, c in zip(out_nz, transforms.jvp_ir(b, nz)[1])]
    jb = tuple(transforms.jvp_ir(b, nz, instantiate=out_nz)[0] for b in branches)
    res = cond_p.bind(index, *ops, *[t for t in tangents[1:] if t is not None], branches=jb)
    n = len(out_nz)
    it = iter(res[n:])
    return list(res[:n]), [next(it) if z else None for z in out_nz]


def _cond_partial_eval(eqn: Eqn, mask):
    _, partial_eval_ir = _tf()
    if mask[0]:
        raise TraceError("cond: the branch index cannot depend on a tangent")
    branches = eqn.params["branches"]
    ops_mask = list(mask[1:])
    out_unk = [False] * len(eqn.outs)
    for b in branches:
        out_unk = [a or c for a, c in zip(out_unk, partial_eval_ir(b, ops_mask)[2])]
    splits = [partial_eval_ir(b, ops_mask, instantiate=out_unk) for b in branches]
    res_avals = [[v.aval for v in k.outs[len(k.outs) - n :]] for k, _, _, n in splits]
    all_res = [a for avs in res_avals for a in avs]
    n_known_out = sum(not u for u in out_unk)

    def known_branch(b):
        k = splits[b][0]

        def fn(*ins):
            outs = eval_ir(k, list(ins))
            slots = []
            for j, avs in enumerate(res_avals):
                slots += outs[n_known_out:] if j == b else [_zeros(a) for a in avs]
            return outs[:n_known_out] + slots

        return trace_to_ir(fn, list(k.in_avals))[0]

    def unknown_branch(b):
        u = splits[b][1]
        start = sum(len(a) for a in res_avals[:b])
        mine = slice(start, start + len(res_avals[b]))

        def fn(*ins):
            res, rest = ins[: len(all_res)], ins[len(all_res) :]
            return eval_ir(u, list(res[mine]) + list(rest))

        return trace_to_ir(fn, all_res + [a for a in u.in_avals[len(res_avals[b]) :]])[0]

    ops = eqn.inputs[1:]
    res_vars = tuple(Var(a) for a in all_res)
    known = Eqn(
        cond_p,
        (eqn.inputs[0],) + tuple(a for a, m in zip(ops, ops_mask) if not m),
        tuple(v for v, u in zip(eqn.outs, out_unk) if not u) + res_vars,
        {"branches": tuple(known_branch(b) for b in range(len(branches)))},
        eqn.src,
    )
    unknown = Eqn(
        cond_p,
        (eqn.inputs[0],) + res_vars + tuple(a for a, m in zip(ops, ops_mask) if m),
        tuple(v for v, u in zip(eqn.outs, out_unk) if u),
        {"branches": tuple(unknown_branch(b) for b in range(len(branches)))},
        eqn.src,
    )
    return [known], [unknown]


def _cond_transpose(cts, index, *ops, branches):
    transforms, _ = _tf()
    lin = [isinstance(o, UndefinedPrimal) for o in ops]
    res = [o for o in ops if not isinstance(o, UndefinedPrimal)]
    cts = [_zeros(a) if c is None else c for c, a in zip(cts, branches[0].out_avals)]
    tb = tuple(transforms.transpose_ir(b, lin) for b in branches)
    outs = iter(cond_p.bind(index, *res, *cts, branches=tb))
    return [None] + [next(outs) if m else None for m in lin]


def _cond_vmap(args, dims, *, branches):
    from .elementwise import eq, lit, max, min, select
    from .shape import broadcast_in_dim

    index, ops = args[0], args[1:]
    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    n_out = len(branches[0].outs)
    vb = [vmap_ir_at0(b, dims[1:], size, [True] * n_out) for b in branches]
    if dims[0] is None:
        return cond_p.bind(index, *ops, branches=tuple(vb)), [0] * n_out
    # a batched index: every branch runs on the whole batch, then each lane selects its own
    # result (the lowering may turn this back into a per-lane branch)
    idx = moveaxis_to(index, dims[0], 0)
    idx = min(max(idx, lit(0, idx)), lit(len(branches) - 1, idx))
    results = [eval_ir(b, list(ops)) for b in vb]
    outs = list(results[0])
    for k in range(1, len(branches)):
        for j in range(n_out):
            s = shape_of(outs[j])
            pred = broadcast_in_dim(eq(idx, lit(k, idx)), shape=s, broadcast_dimensions=(0,))
            outs[j] = select(pred, results[k][j], outs[j])
    return outs, [0] * n_out


def _cond_dce(eqn: Eqn, used):
    """Unused outputs leave every branch; operands no branch then reads leave the cond."""
    branches = [_only(b, used) for b in eqn.params["branches"]]
    read = set().union(*(_reads(b) for b in branches))
    keep = [any(b.invars[k].id in read for b in branches) for k in range(len(eqn.inputs) - 1)]
    if all(used) and all(keep):
        return eqn
    branches = tuple(_only(b, [True] * len(b.outs), keep) for b in branches)
    ins = (eqn.inputs[0],) + _pick(eqn.inputs[1:], keep)
    return Eqn(eqn.prim, ins, _pick(eqn.outs, used), dict(eqn.params, branches=branches), eqn.src)


cond_p = Primitive(
    "cond",
    impl=_cond_impl,
    shape=_cond_shape,
    jvp=_cond_jvp,
    transpose=_cond_transpose,
    vmap=_cond_vmap,
    partial_eval=_cond_partial_eval,
    dce=_cond_dce,
    multiple_results=True,
    doc="cond(index, *ops; branches): branches[clamp(index)](*ops).",
)


# ---------------------------------------------------------------------------
# scan


def _scan_impl(*args, body, num_consts, num_carry, length, reverse):
    consts, carry, xs = _groups(args, num_consts, num_carry)
    if length is None:  # a dynamic length: read it off the xs (a while_loop's tape)
        length = np.shape(xs[0])[0]
    ys = []
    for i in range(length - 1, -1, -1) if reverse else range(length):
        out = eval_ir(body, consts + carry + [x[i] for x in xs])
        carry, y = out[:num_carry], out[num_carry:]
        ys.append(y)
    if reverse:
        ys.reverse()
    y_avals = body.out_avals[num_carry:]
    stacked = [
        np.stack([np.asarray(y[k]) for y in ys]) if length else _zeros(_batched_aval(a, 0))
        for k, a in enumerate(y_avals)
    ]
    return tuple([np.asarray(c) for c in carry] + stacked)


def _scan_shape(*avals, body, num_consts, num_carry, length, reverse):
    consts, carry, xs = _groups(avals, num_consts, num_carry)
    if length is None and not xs:
        raise shape_error("scan", "a scan of dynamic length needs xs")
    for x in xs:
        if not x.shape or (length is not None and x.shape[0] != length):
            raise shape_error("scan", f"xs leaf {x} does not have leading length {length}")
    want = consts + carry + [x.update(shape=x.shape[1:]) for x in xs]
    if list(body.in_avals) != want:
        raise shape_error("scan", f"body takes {body.in_avals}, given {want}")
    outs = body.out_avals
    if list(outs[:num_carry]) != carry:
        raise shape_error(
            "scan",
            f"the body returns a carry of type {outs[:num_carry]} but the initial carry is "
            f"{carry}; the carry must keep its shape and dtype",
        )
    return tuple(carry) + tuple(_batched_aval(a, length) for a in outs[num_carry:])


def _fixed_point(step, start):
    cur = list(start)
    while True:
        new = [a or b for a, b in zip(cur, step(cur))]
        if new == cur:
            return cur
        cur = new


def _scan_jvp(primals, tangents, *, body, num_consts, num_carry, length, reverse):
    transforms, _ = _tf()
    nzc, nzcar, nzx = _groups([t is not None for t in tangents], num_consts, num_carry)
    nzcar = _fixed_point(lambda c: transforms.jvp_ir(body, nzc + c + nzx)[1][:num_carry], nzcar)
    n_y = len(body.outs) - num_carry
    jb, out_nz = transforms.jvp_ir(body, nzc + nzcar + nzx, instantiate=nzcar + [False] * n_y)
    nt = [sum(nzc), sum(nzcar), sum(nzx)]
    nc, ncar, nx = num_consts, num_carry, len(primals) - num_consts - num_carry
    n_in = nc + ncar + nx
    # jvp_ir orders (consts, carry, xs, t_consts, t_carry, t_xs); scan wants groups
    pos = list(range(n_in))
    t0 = n_in
    in_perm = (
        pos[:nc]
        + list(range(t0, t0 + nt[0]))
        + pos[nc : nc + ncar]
        + list(range(t0 + nt[0], t0 + nt[0] + nt[1]))
        + pos[nc + ncar :]
        + list(range(t0 + nt[0] + nt[1], t0 + sum(nt)))
    )
    n_out = len(body.outs)
    ty_nz = out_nz[num_carry:]
    out_perm = (
        list(range(ncar))
        + list(range(n_out, n_out + nt[1]))
        + list(range(ncar, n_out))
        + list(range(n_out + nt[1], n_out + nt[1] + sum(ty_nz)))
    )
    jb = _permute_ir(jb, in_perm, out_perm)
    pc, pcar, px = _groups(primals, num_consts, num_carry)
    tc, tcar, tx = _groups(tangents, num_consts, num_carry)
    tcar = [(_zeros(_aval(p)) if t is None else t) for p, t, z in zip(pcar, tcar, nzcar) if z]
    res = scan_p.bind(
        *pc,
        *[t for t in tc if t is not None],
        *pcar,
        *tcar,
        *px,
        *[t for t in tx if t is not None],
        body=jb,
        num_consts=nc + nt[0],
        num_carry=ncar + nt[1],
        length=length,
        reverse=reverse,
    )
    carry, tcarry, ys, tys = _groups(res, ncar, nt[1], n_y)
    it_c, it_y = iter(tcarry), iter(tys)
    return carry + ys, [next(it_c) if z else None for z in nzcar] + [
        next(it_y) if z else None for z in ty_nz
    ]


def _aval(x):
    return x.aval if hasattr(x, "aval") else ShapedArray(np.shape(x), np.asarray(x).dtype)


def _scan_partial_eval(eqn: Eqn, mask):
    _, partial_eval_ir = _tf()
    p = eqn.params
    body, nc, ncar = p["body"], p["num_consts"], p["num_carry"]
    mc, mcar, mx = _groups(list(mask), nc, ncar)
    n_y = len(body.outs) - ncar
    mcar = _fixed_point(lambda c: partial_eval_ir(body, mc + c + mx)[2][:ncar], mcar)
    known_b, unk_b, out_unk, n_res = partial_eval_ir(
        body, mc + mcar + mx, instantiate=mcar + [False] * n_y
    )
    res = list(known_b.outs[len(known_b.outs) - n_res :])
    # a residual that is a loop-invariant const goes to the linear scan as a const; the
    # rest are stacked per iteration as extra outputs of the primal scan
    const_pos = {v.id: i for i, v in enumerate(body.invars[:nc]) if not mc[i]}
    const_res = [r for r in res if type(r) is Var and r.id in const_pos]
    # a residual that is a known x_t is read from the xs themselves, not stacked again
    xs_pos = {v.id: i for i, v in enumerate(body.invars[nc + ncar :]) if not mx[i]}
    xs_res = [r for r in res if type(r) is Var and r.id in xs_pos]
    stacked_res = [r for r in res if not (type(r) is Var and (r.id in const_pos or r.id in xs_pos))]
    n_known_out = len(known_b.outs) - n_res
    known_body = IR(
        known_b.invars,
        known_b.constvars,
        known_b.consts,
        known_b.eqns,
        known_b.outs[:n_known_out] + tuple(stacked_res),
    )

    known_body = dce(known_body)
    ins_c, ins_car, ins_x = _groups(eqn.inputs, nc, ncar)
    outs_car, outs_y = eqn.outs[:ncar], eqn.outs[ncar:]
    stacked_vars = tuple(Var(_batched_aval(r.aval, p["length"])) for r in stacked_res)
    known = Eqn(
        scan_p,
        tuple(a for a, m in zip(ins_c, mc) if not m)
        + tuple(a for a, m in zip(ins_car, mcar) if not m)
        + tuple(a for a, m in zip(ins_x, mx) if not m),
        tuple(v for v, u in zip(outs_car, out_unk[:ncar]) if not u)
        + tuple(v for v, u in zip(outs_y, out_unk[ncar:]) if not u)
        + stacked_vars,
        dict(
            p,
            body=known_body,
            num_consts=sum(not m for m in mc),
            num_carry=sum(not m for m in mcar),
        ),
        eqn.src,
    )
    # unknown body invars: (res..., unknown consts, unknown carry, unknown xs) ->
    # reorder to (const res, unknown consts, unknown carry, stacked res, unknown xs)
    res_index = {r.id: i for i, r in enumerate(res)}
    nu = [sum(mc), sum(mcar), sum(mx)]
    perm = (
        [res_index[r.id] for r in const_res]
        + list(range(n_res, n_res + nu[0] + nu[1]))
        + [res_index[r.id] for r in stacked_res + xs_res]
        + list(range(n_res + nu[0] + nu[1], n_res + sum(nu)))
    )
    unknown = Eqn(
        scan_p,
        tuple(ins_c[const_pos[r.id]] for r in const_res)
        + tuple(a for a, m in zip(ins_c, mc) if m)
        + tuple(a for a, m in zip(ins_car, mcar) if m)
        + stacked_vars
        + tuple(ins_x[xs_pos[r.id]] for r in xs_res)
        + tuple(a for a, m in zip(ins_x, mx) if m),
        tuple(v for v, u in zip(outs_car, out_unk[:ncar]) if u)
        + tuple(v for v, u in zip(outs_y, out_unk[ncar:]) if u),
        dict(p, body=_permute_ir(unk_b, perm), num_consts=len(const_res) + nu[0], num_carry=nu[1]),
        eqn.src,
    )
    return [known], [unknown]


def _scan_transpose(cts, *args, body, num_consts, num_carry, length, reverse):
    transforms, _ = _tf()
    from .elementwise import add

    consts, carry, xs = _groups(args, num_consts, num_carry)
    # every carry is linear here; one starting from a constant (an instantiated zero
    # tangent) simply receives a cotangent nobody reads
    lin_c = [isinstance(c, UndefinedPrimal) for c in consts]
    lin_x = [isinstance(x, UndefinedPrimal) for x in xs]
    res_c = [c for c, m in zip(consts, lin_c) if not m]
    res_x = [x for x, m in zip(xs, lin_x) if not m]
    out_avals = body.out_avals
    cts = [
        _zeros(_scan_out_aval(a, k, num_carry, length)) if c is None else c
        for k, (c, a) in enumerate(zip(cts, out_avals))
    ]
    ct_carry, ct_ys = cts[:num_carry], cts[num_carry:]
    lin_mask = lin_c + [True] * num_carry + lin_x
    tb = transforms.transpose_ir(body, lin_mask)  # (res_c, res_x_i, ct_carry, ct_y_i) -> cts
    n_lc, n_rc, n_rx = sum(lin_c), len(res_c), len(res_x)
    acc_avals = [c.aval for c in consts if isinstance(c, UndefinedPrimal)]

    def tbody(*a):
        rc, acc, ctc, rx, cty = _groups(a, n_rc, n_lc, num_carry, n_rx)
        outs = eval_ir(tb, rc + rx + ctc + cty)
        c_ct, car_ct, x_ct = _groups(outs, n_lc, num_carry)
        return [add(s, c) for s, c in zip(acc, c_ct)] + car_ct + x_ct

    in_avals = (
        [_aval(r) for r in res_c]
        + acc_avals
        + list(out_avals[:num_carry])
        + [_aval(r).update(shape=_aval(r).shape[1:]) for r in res_x]
        + list(out_avals[num_carry:])
    )
    tbody_ir, closure = trace_to_ir(tbody, in_avals)
    assert not closure
    res = scan_p.bind(
        *res_c,
        *[_zeros(a) for a in acc_avals],
        *ct_carry,
        *res_x,
        *ct_ys,
        body=tbody_ir,
        num_consts=n_rc,
        num_carry=n_lc + num_carry,
        length=length,
        reverse=not reverse,
    )
    c_ct, car_ct, x_ct = _groups(res, n_lc, num_carry)
    it_c, it_x = iter(c_ct), iter(x_ct)
    car_ct = [c if isinstance(a, UndefinedPrimal) else None for c, a in zip(car_ct, carry)]
    return (
        [next(it_c) if m else None for m in lin_c]
        + car_ct
        + [next(it_x) if m else None for m in lin_x]
    )


def _scan_out_aval(a, k, num_carry, length):
    return a if k < num_carry else _batched_aval(a, length)


def _scan_vmap(args, dims, *, body, num_consts, num_carry, length, reverse):
    transforms, _ = _tf()
    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    consts, carry, xs = _groups(args, num_consts, num_carry)
    dc, dcar, dx = _groups(dims, num_consts, num_carry)
    consts = [moveaxis_to(c, d, 0) for c, d in zip(consts, dc)]
    dc = [None if d is None else 0 for d in dc]
    xs = [moveaxis_to(x, d, 1) for x, d in zip(xs, dx)]  # axis 0 stays the scan axis
    dx_slice = [None if d is None else 0 for d in dx]

    def carry_out_batched(cb):
        _, out_dims = transforms.vmap_ir(body, dc + [0 if b else None for b in cb] + dx_slice, size)
        return [d is not None for d in out_dims[:num_carry]]

    cb = _fixed_point(carry_out_batched, [d is not None for d in dcar])
    n_y = len(body.outs) - num_carry
    vb = vmap_ir_at0(body, dc + [0 if b else None for b in cb] + dx_slice, size, cb + [True] * n_y)
    carry = [_to_axis0(c, d, size) if b else c for c, d, b in zip(carry, dcar, cb)]
    res = scan_p.bind(
        *consts,
        *carry,
        *xs,
        body=vb,
        num_consts=num_consts,
        num_carry=num_carry,
        length=length,
        reverse=reverse,
    )
    return list(res), [0 if b else None for b in cb] + [1] * n_y


def _scan_dce(eqn: Eqn, used):
    """Stacked outputs no one uses are not computed; a carry goes when neither the caller
    nor a kept part of the body reads it; consts and xs the body no longer reads go."""
    p = eqn.params
    body, nc, ncar = p["body"], p["num_consts"], p["num_carry"]
    nx = len(eqn.inputs) - nc - ncar
    used_y = list(used[ncar:])
    carry_ids = [v.id for v in body.invars[nc : nc + ncar]]

    def step(live):
        read = _reads(_only(body, list(live) + used_y))
        return [i in read for i in carry_ids]

    live = _fixed_point(step, used[:ncar])
    read = _reads(_only(body, live + used_y))
    keep = [v.id in read for v in body.invars[:nc]] + live
    keep += [v.id in read for v in body.invars[nc + ncar :]]
    length = p["length"]
    if length is None and nx and not any(keep[nc + ncar :]):
        length = eqn.inputs[-1].aval.shape[0]
        if length is None:  # a run-time length is read off the xs: keep one
            keep[-1] = True
    if all(keep) and all(live + used_y):
        return eqn
    new_body = _only(body, live + used_y, keep)
    params = dict(p, body=new_body, num_consts=sum(keep[:nc]), num_carry=sum(live), length=length)
    outs = _pick(eqn.outs, live + used_y)
    return Eqn(eqn.prim, _pick(eqn.inputs, keep), outs, params, eqn.src)


scan_p = Primitive(
    "scan",
    impl=_scan_impl,
    shape=_scan_shape,
    jvp=_scan_jvp,
    transpose=_scan_transpose,
    vmap=_scan_vmap,
    partial_eval=_scan_partial_eval,
    dce=_scan_dce,
    multiple_results=True,
    doc="scan(*consts, *init, *xs; body, ...): a loop carrying state, stacking outputs.",
)


# ---------------------------------------------------------------------------
# while


def _while_impl(*args, cond_ir, body_ir, cond_nconsts, body_nconsts):
    cc, bc, carry = _groups(args, cond_nconsts, body_nconsts)
    while bool(eval_ir(cond_ir, cc + carry)[0]):
        carry = eval_ir(body_ir, bc + carry)
    return tuple(np.asarray(c) for c in carry)


def _while_shape(*avals, cond_ir, body_ir, cond_nconsts, body_nconsts):
    cc, bc, carry = _groups(avals, cond_nconsts, body_nconsts)
    if list(body_ir.out_avals) != carry:
        raise shape_error(
            "while_loop",
            f"the body returns {body_ir.out_avals} but the carry is {carry}; the carry must "
            "keep its shape and dtype",
        )
    pred = cond_ir.out_avals
    if len(pred) != 1 or pred[0].shape != () or pred[0].dtype != np.bool_:
        raise shape_error("while_loop", f"cond_fun must return a boolean scalar, got {pred}")
    return tuple(carry)


def _extend_ir(ir: IR, extra_avals, position: int) -> IR:
    """The same program with unused inputs of the given types inserted at `position`."""
    extra = tuple(Var(a) for a in extra_avals)
    ins = ir.invars[:position] + extra + ir.invars[position:]
    return IR(ins, ir.constvars, ir.consts, ir.eqns, ir.outs)


def _while_jvp(primals, tangents, *, cond_ir, body_ir, cond_nconsts, body_nconsts):
    transforms, _ = _tf()
    cc, bc, carry = _groups(primals, cond_nconsts, body_nconsts)
    _, tbc, tcar = _groups(tangents, cond_nconsts, body_nconsts)
    nzb = [t is not None for t in tbc]
    nzc = _fixed_point(
        lambda c: transforms.jvp_ir(body_ir, nzb + c)[1], [t is not None for t in tcar]
    )
    jb, _ = transforms.jvp_ir(body_ir, nzb + nzc, instantiate=nzc)
    nb, ncar, ntb, ntc = len(bc), len(carry), sum(nzb), sum(nzc)
    in_perm = (
        list(range(nb))
        + list(range(nb + ncar, nb + ncar + ntb))
        + list(range(nb, nb + ncar))
        + list(range(nb + ncar + ntb, nb + ncar + ntb + ntc))
    )
    jb = _permute_ir(jb, in_perm)
    t_avals = [_aval(c) for c, z in zip(carry, nzc) if z]
    jc = _extend_ir(cond_ir, t_avals, len(cond_ir.invars))
    tcar = [(_zeros(_aval(p)) if t is None else t) for p, t, z in zip(carry, tcar, nzc) if z]
    res = while_p.bind(
        *cc,
        *bc,
        *[t for t in tbc if t is not None],
        *carry,
        *tcar,
        cond_ir=jc,
        body_ir=jb,
        cond_nconsts=cond_nconsts,
        body_nconsts=nb + ntb,
    )
    it = iter(res[ncar:])
    return list(res[:ncar]), [next(it) if z else None for z in nzc]


def _while_partial_eval(eqn: Eqn, mask):
    """Reverse mode through a data-dependent trip count. The primal loop records its
    carry at the start of every iteration on a tape that grows as needed (leading
    dimension unknown until run time); the linear part is a scan over that tape which
    recomputes each step's residuals from the recorded carry."""
    _, partial_eval_ir = _tf()
    p = eqn.params
    cond_ir, body_ir = p["cond_ir"], p["body_ir"]
    ncc, nbc = p["cond_nconsts"], p["body_nconsts"]
    mcc, mb, mcar = _groups(list(mask), ncc, nbc)
    if any(mcc):
        raise TraceError("while_loop: the loop condition cannot depend on a tangent")
    mcar = _fixed_point(lambda c: partial_eval_ir(body_ir, mb + c)[2], mcar)
    known_b, unk_b, out_unk, n_res = partial_eval_ir(body_ir, mb + mcar, instantiate=mcar)
    n_known_out = len(known_b.outs) - n_res
    cc, bc, carry = _groups(eqn.inputs, ncc, nbc)
    known_carry = [v for v, m in zip(cond_ir.invars[ncc:], mcar) if not m]
    used = {a.id for e in cond_ir.eqns for a in e.inputs if type(a) is Var}
    used |= {a.id for a in cond_ir.outs if type(a) is Var}
    if any(v.id in used for v, m in zip(cond_ir.invars[ncc:], mcar) if m):
        raise TraceError("while_loop: the loop condition cannot depend on a tangent")
    k_cond = IR(
        cond_ir.invars[:ncc] + tuple(known_carry),
        cond_ir.constvars,
        cond_ir.consts,
        cond_ir.eqns,
        cond_ir.outs,
    )

    k_body = dce(
        IR(
            known_b.invars,
            known_b.constvars,
            known_b.consts,
            known_b.eqns,
            known_b.outs[:n_known_out],
        )
    )
    k_carry_avals = [v.aval for v in known_carry]
    tape = tuple(Var(a.update(shape=(None,) + a.shape)) for a in k_carry_avals)
    known = Eqn(
        while_record_p,
        tuple(cc)
        + tuple(a for a, m in zip(bc, mb) if not m)
        + tuple(a for a, m in zip(carry, mcar) if not m),
        tuple(v for v, u in zip(eqn.outs, mcar) if not u) + tape,
        {
            "cond_ir": k_cond,
            "body_ir": k_body,
            "cond_nconsts": ncc,
            "body_nconsts": sum(not m for m in mb),
        },
        eqn.src,
    )
    kb_avals = [a.aval for a, m in zip(bc, mb) if not m]
    ub_avals = [a.aval for a, m in zip(bc, mb) if m]
    uc_avals = [a.aval for a, m in zip(carry, mcar) if m]

    def step(*args):
        kb, ub, tcar, kcar = _groups(args, len(kb_avals), len(ub_avals), len(uc_avals))
        res = eval_ir(known_b, kb + kcar)[n_known_out:]
        return eval_ir(unk_b, list(res) + ub + tcar)

    lin_body = trace_to_ir(step, kb_avals + ub_avals + uc_avals + k_carry_avals)[0]
    unknown = Eqn(
        scan_p,
        tuple(a for a, m in zip(bc, mb) if not m)
        + tuple(a for a, m in zip(bc, mb) if m)
        + tuple(a for a, m in zip(carry, mcar) if m)
        + tape,
        tuple(v for v, u in zip(eqn.outs, mcar) if u),
        {
            "body": lin_body,
            "num_consts": len(kb_avals) + len(ub_avals),
            "num_carry": len(uc_avals),
            "length": None,
            "reverse": False,
        },
        eqn.src,
    )
    return [known], [unknown]


def _while_record_impl(*args, cond_ir, body_ir, cond_nconsts, body_nconsts):
    cc, bc, carry = _groups(args, cond_nconsts, body_nconsts)
    tape = [[] for _ in carry]
    while bool(eval_ir(cond_ir, cc + carry)[0]):
        for t, c in zip(tape, carry):
            t.append(np.asarray(c))
        carry = eval_ir(body_ir, bc + carry)
    stacked = [
        np.stack(t) if t else np.zeros((0,) + np.shape(c), np.asarray(c).dtype)
        for t, c in zip(tape, carry)
    ]
    return tuple([np.asarray(c) for c in carry] + stacked)


def _while_record_shape(*avals, cond_ir, body_ir, cond_nconsts, body_nconsts):
    carry = _while_shape(
        *avals,
        cond_ir=cond_ir,
        body_ir=body_ir,
        cond_nconsts=cond_nconsts,
        body_nconsts=body_nconsts,
    )
    return tuple(carry) + tuple(a.update(shape=(None,) + a.shape) for a in carry)


def _while_record_vmap(args, dims, **params):
    raise TraceError(
        "vmap of the reverse-mode derivative of a while_loop is not supported (each lane "
        "has its own trip count); apply vmap inside grad instead: grad(vmap(f)), or use "
        "fori_loop / scan with a static trip count"
    )


while_record_p = Primitive(
    "while_record",
    impl=_while_record_impl,
    shape=_while_record_shape,
    vmap=_while_record_vmap,
    multiple_results=True,
    doc="A while loop that also returns its carries at the start of every iteration "
    "(the tape read by reverse mode); the tape's length is known only at run time.",
)


def _while_vmap(args, dims, *, cond_ir, body_ir, cond_nconsts, body_nconsts):
    from .elementwise import convert_element_type, select
    from .reduce import reduce_max
    from .shape import broadcast_in_dim

    transforms, _ = _tf()
    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    cc, bc, carry = _groups(args, cond_nconsts, body_nconsts)
    dcc, dbc, dcar = _groups(dims, cond_nconsts, body_nconsts)
    cc = [moveaxis_to(c, d, 0) for c, d in zip(cc, dcc)]
    bc = [moveaxis_to(c, d, 0) for c, d in zip(bc, dbc)]
    dcc = [None if d is None else 0 for d in dcc]
    dbc = [None if d is None else 0 for d in dbc]

    def step(cb):
        _, od = transforms.vmap_ir(body_ir, dbc + [0 if b else None for b in cb], size)
        return [d is not None for d in od]

    cb = _fixed_point(step, [d is not None for d in dcar])
    _, pd = transforms.vmap_ir(cond_ir, dcc + [0 if b else None for b in cb], size)
    if pd[0] is not None:
        cb = [True] * len(carry)  # lanes stop at different times: every carry is per lane
    carry_dims = [0 if b else None for b in cb]
    vbody = vmap_ir_at0(body_ir, dbc + carry_dims, size, cb)
    vcond = vmap_ir_at0(cond_ir, dcc + carry_dims, size, [pd[0] is not None])
    carry = [_to_axis0(c, d, size) if b else c for c, d, b in zip(carry, dcar, cb)]
    if pd[0] is None:
        res = while_p.bind(
            *cc,
            *bc,
            *carry,
            cond_ir=vcond,
            body_ir=vbody,
            cond_nconsts=cond_nconsts,
            body_nconsts=body_nconsts,
        )
        return list(res), carry_dims

    # batched predicate: loop while any lane runs; a finished lane keeps its carry
    def any_cond(*a):
        (p,) = eval_ir(vcond, list(a))
        as_int = convert_element_type(p, new_dtype=np.int32)
        return [convert_element_type(reduce_max(as_int, axes=(0,)), new_dtype=np.bool_)]

    def masked_body(*a):
        cca, bca, car = _groups(a, cond_nconsts, body_nconsts)
        (p,) = eval_ir(vcond, cca + car)
        new = eval_ir(vbody, bca + car)
        out = []
        for n, o in zip(new, car):
            s = shape_of(o)
            pb = broadcast_in_dim(p, shape=s, broadcast_dimensions=(0,)) if s != (size,) else p
            out.append(select(pb, n, o))
        return out

    avals = [_aval(x) for x in cc + bc + carry]
    c_ir = trace_to_ir(any_cond, [_aval(x) for x in cc + carry])[0]
    b_ir = trace_to_ir(masked_body, avals)[0]
    res = while_p.bind(
        *cc,
        *cc,
        *bc,
        *carry,
        cond_ir=c_ir,
        body_ir=b_ir,
        cond_nconsts=cond_nconsts,
        body_nconsts=cond_nconsts + body_nconsts,
    )
    return list(res), [0] * len(carry)


def _while_dce(eqn: Eqn, used):
    """A carry goes when neither the caller, the condition nor a kept part of the body
    reads it; consts that the condition or the kept body no longer read go."""
    p = eqn.params
    cond, body, cc, bc = p["cond_ir"], p["body_ir"], p["cond_nconsts"], p["body_nconsts"]
    in_cond = _reads(cond)
    cond_carry = [v.id in in_cond for v in cond.invars[cc:]]

    def step(live):
        read = _reads(_only(body, live))
        return [v.id in read for v in body.invars[bc:]]

    live = _fixed_point(step, [u or c for u, c in zip(used, cond_carry, strict=True)])
    read = _reads(_only(body, live))
    keep_c = [v.id in in_cond for v in cond.invars[:cc]] + live
    keep_b = [v.id in read for v in body.invars[:bc]] + live
    if all(keep_c) and all(keep_b):
        return eqn
    params = dict(
        p,
        cond_ir=_only(cond, [True], keep_c),
        body_ir=_only(body, live, keep_b),
        cond_nconsts=sum(keep_c[:cc]),
        body_nconsts=sum(keep_b[:bc]),
    )
    cci, bci, init = _groups(eqn.inputs, cc, bc)
    ins = _pick(cci, keep_c[:cc]) + _pick(bci, keep_b[:bc]) + _pick(init, live)
    return Eqn(eqn.prim, ins, _pick(eqn.outs, live), params, eqn.src)


while_p = Primitive(
    "while",
    impl=_while_impl,
    shape=_while_shape,
    jvp=_while_jvp,
    vmap=_while_vmap,
    partial_eval=_while_partial_eval,
    dce=_while_dce,
    multiple_results=True,
    doc="while(*cond_consts, *body_consts, *init): iterate body while cond holds.",
)

__all__ = ["cond_p", "scan_p", "while_p", "while_record_p", "vmap_ir_at0"]
