"""Simplification before lowering: inlining, constant folding, algebra, CSE and DCE.

Autodiff leaves a lot behind: `x * 1`, `t + 0`, tangents multiplied by broadcast zeros,
broadcasts to the shape an operand already has, the same residual computed twice. Each
pass here is a plain IR -> IR function that keeps the program's value; `simplify_ir`
runs them to a fixed point. Rewrites are exact for finite and non-finite values alike,
except `x + 0 -> x`, which keeps a -0.0 that NumPy would turn into +0.0.
"""

from __future__ import annotations

import numpy as np

from ..ir import IR, Eqn, Lit, Var, dce
from ..ops import elementwise as _ew
from ..trace import Primitive
from .accumulate import (
    batch_scanned_products,
    forward_scanned_views,
    hoist_scan_accumulators,
    transpose_invariant_matrices,
)

__all__ = [
    "simplify_ir",
    "simplify_bodies",
    "inline_calls",
    "fold_constants",
    "clean_algebra",
    "cse",
    "prune",
]

# primitives that only wrap a sub-program: the parameter naming it (calls to inline)
CALLS = {
    "jit": "ir",
    "custom_jvp_call": "fun_ir",
    "custom_vjp_call": "fun_ir",
    "checkpoint": "body",
}

# elementwise primitives accept a 0-d operand in place of a full one (it broadcasts)
ELEMENTWISE = frozenset(p.name for p in vars(_ew).values() if isinstance(p, Primitive))

FOLD_MAX_SIZE = 64  # constant folding keeps results up to this many elements


def simplify_ir(ir: IR) -> IR:
    """The same function with less work: calls inlined, constants folded, algebraic
    identities applied, common subexpressions shared, sums of products carried through
    scans moved after them, products of scanned inputs with loop invariants batched before
    them, dead code removed (to a fixed point); loop-invariant matrices read across their
    rows inside a scan transposed once before it.
    """
    ir = simplify_bodies(inline_calls(ir))
    for _ in range(4):
        n = len(ir.eqns)
        ir = batch_scanned_products(forward_scanned_views(hoist_scan_accumulators(ir)))
        ir = prune(cse(clean_algebra(fold_constants(ir))))
        if len(ir.eqns) == n:
            break
    return prune(transpose_invariant_matrices(ir))


# ---------------------------------------------------------------------------
# shared machinery: rebuild an IR through a substitution of atoms


def _rebuild(ir: IR, step) -> IR:
    """Walk the equations; `step(eqn, ins, sub)` returns the equations to keep for it
    (usually [eqn] with inputs substituted) after possibly adding `sub[out.id] = atom`."""
    sub: dict[int, object] = {}

    def look(a):
        return sub.get(a.id, a) if type(a) is Var else a

    eqns = []
    for eqn in ir.eqns:
        ins = tuple(look(a) for a in eqn.inputs)
        eqns += step(eqn, ins, sub)
    outs = tuple(look(a) for a in ir.outs)
    return IR(ir.invars, ir.constvars, ir.consts, tuple(eqns), outs)


def _with_inputs(eqn: Eqn, ins) -> Eqn:
    if ins == eqn.inputs:
        return eqn
    return Eqn(eqn.prim, tuple(ins), eqn.outs, eqn.params, eqn.src)


# ---------------------------------------------------------------------------
# inlining, and the bodies of control flow


def simplify_bodies(ir: IR) -> IR:
    """body ≡ simplify_ir(body) for every program held in a parameter (cond branches,
    loop bodies): the same function of the same inputs."""

    def sub(v):
        if isinstance(v, IR):
            return simplify_ir(v)
        if isinstance(v, tuple) and v and all(isinstance(b, IR) for b in v):
            return tuple(simplify_ir(b) for b in v)
        return v

    def step(eqn, ins, _sub):
        if eqn.prim.name in CALLS or not any(
            isinstance(v, IR) or (isinstance(v, tuple) and v and isinstance(v[0], IR))
            for v in eqn.params.values()
        ):
            return [_with_inputs(eqn, ins)]
        params = {k: sub(v) for k, v in eqn.params.items()}
        return [Eqn(eqn.prim, ins, eqn.outs, params, eqn.src)]

    return _rebuild(ir, step)


def inline_calls(ir: IR) -> IR:
    """call(f)(xs) = f(xs): replace jit / custom-rule / checkpoint calls by their bodies,
    with fresh variables each time a body is inlined (so SSA holds)."""
    if not any(e.prim.name in CALLS for e in ir.eqns):
        return ir
    constvars, consts = list(ir.constvars), list(ir.consts)
    seen_consts = {id(c): v for v, c in zip(constvars, consts, strict=True)}
    eqns: list[Eqn] = []

    def splice(body: IR, args, env):
        local = dict(env)
        for v, a in zip(body.invars, args, strict=True):
            local[v.id] = a
        for v, c in zip(body.constvars, body.consts, strict=True):
            if id(c) not in seen_consts:
                seen_consts[id(c)] = v
                constvars.append(v)
                consts.append(c)
            local[v.id] = seen_consts[id(c)]

        def look(a):
            return local.get(a.id, a) if type(a) is Var else a

        for eqn in body.eqns:
            ins = [look(a) for a in eqn.inputs]
            key = CALLS.get(eqn.prim.name)
            if key is not None:
                outs = splice(eqn.params[key], ins, {})
                for v, o in zip(eqn.outs, outs, strict=True):
                    local[v.id] = o
                continue
            fresh = tuple(Var(v.aval) for v in eqn.outs)
            for v, f in zip(eqn.outs, fresh, strict=True):
                local[v.id] = f
            eqns.append(Eqn(eqn.prim, tuple(ins), fresh, eqn.params, eqn.src))
        return [look(a) for a in body.outs]

    outs = splice(IR(ir.invars, (), (), ir.eqns, ir.outs), list(ir.invars), {})
    return IR(ir.invars, tuple(constvars), tuple(consts), tuple(eqns), tuple(outs))


# ---------------------------------------------------------------------------
# constant folding


def fold_constants(ir: IR) -> IR:
    """f(c1, ..., cn) = its value when every input is a literal or a captured constant:
    evaluated once now (NumPy impl) if the result has at most FOLD_MAX_SIZE elements."""
    known = {
        v.id: c for v, c in zip(ir.constvars, ir.consts, strict=True) if np.size(c) <= FOLD_MAX_SIZE
    }
    new_consts: list[tuple[Var, np.ndarray]] = []

    def step(eqn, ins, sub):
        if eqn.prim.multiple_results or any(isinstance(p, IR) for p in eqn.params.values()):
            return [_with_inputs(eqn, ins)]
        if any(type(a) is Var and a.id not in known for a in ins):
            return [_with_inputs(eqn, ins)]
        (out,) = eqn.outs
        if None in out.aval.shape or out.aval.size > FOLD_MAX_SIZE:
            return [_with_inputs(eqn, ins)]
        vals = [a.val if type(a) is Lit else known[a.id] for a in ins]
        try:
            with np.errstate(all="ignore"):
                val = np.asarray(eqn.prim.impl(*vals, **eqn.params))
        except Exception:  # leave it for run time, where the error names the user's line
            return [_with_inputs(eqn, ins)]
        if val.shape != out.aval.shape or val.dtype != out.aval.dtype:
            return [_with_inputs(eqn, ins)]
        if val.ndim == 0:
            sub[out.id] = Lit(val)
        else:
            var = Var(out.aval)
            new_consts.append((var, np.ascontiguousarray(val)))
            known[var.id] = val
            sub[out.id] = var
        return []

    new = _rebuild(ir, step)
    if not new_consts:
        return new
    cv = new.constvars + tuple(v for v, _ in new_consts)
    cs = new.consts + tuple(c for _, c in new_consts)
    return IR(new.invars, cv, cs, new.eqns, new.outs)


# ---------------------------------------------------------------------------
# algebraic clean-up


def _lit_is(a, value) -> bool:
    return type(a) is Lit and a.val.dtype != np.bool_ and bool(a.val == value)


def clean_algebra(ir: IR) -> IR:
    """x*1 = x, x/1 = x, x+0 = x, x-0 = x, tmul(t,1) = t, tmul(0,d) = 0, -(-x) = x,
    identity broadcasts/reshapes/transposes/casts vanish, and zeros stay symbolic."""
    defs: dict[int, Eqn] = {}  # var id -> defining equation (after rewriting)
    uses = _use_counts(ir)
    uniform = _uniform_consts(ir)  # const var id -> the Lit every element equals
    zeros = {i for i, lit in uniform.items() if _lit_is(lit, 0)}  # var ids holding zeros

    def is_zero(a) -> bool:
        return _lit_is(a, 0) or (type(a) is Var and a.id in zeros)

    def step(eqn, ins, sub):
        eqn = _with_inputs(eqn, ins)
        name = eqn.prim.name
        if name in ELEMENTWISE and len(eqn.outs) == 1:
            eqn = _unbroadcast_scalars(eqn, defs, uniform)
            ins = eqn.inputs
        if not eqn.prim.multiple_results:
            (out,) = eqn.outs
            rule = _RULES.get(name)
            res = rule(eqn, ins, is_zero, defs, uses) if rule else None
            if isinstance(res, list):  # new equations, the last one defining out
                for e in res[:-1]:
                    defs[e.outs[0].id] = e
                eqn, ins, before = res[-1], res[-1].inputs, res[:-1]
                for v in eqn.outs:
                    defs[v.id] = eqn
                return before + [eqn]
            if isinstance(res, Eqn):
                eqn, ins = res, res.inputs
            elif res is not None and res.aval == out.aval:
                sub[out.id] = res
                return []
            if name in _ZERO_PRESERVING and ins and is_zero(ins[0]):
                zeros.add(out.id)
            if name == "tmul" and is_zero(ins[0]):
                zeros.add(out.id)
        for v in eqn.outs:
            defs[v.id] = eqn
        return [eqn]

    return _rebuild(ir, step)


_ZERO_PRESERVING = {
    "broadcast_in_dim",
    "reshape",
    "transpose",
    "squeeze",
    "expand_dims",
    "neg",
    "convert_element_type",
    "reduce_sum",
}


UNIFORM_MAX_SIZE = 1 << 20  # constants up to this size are checked for being uniform


def _uniform_consts(ir: IR) -> dict:
    """Captured constants whose elements are all equal (autodiff's broadcast ones and
    zeros are the usual ones), as the literal they equal."""
    out = {}
    for v, c in zip(ir.constvars, ir.consts, strict=True):
        c = np.asarray(c)
        if 0 < c.size <= UNIFORM_MAX_SIZE and c.dtype.kind in "biuf":
            first = c.reshape(-1)[0]
            if first == first and np.all(c == first):
                out[v.id] = Lit(np.asarray(first, c.dtype))
    return out


def _unbroadcast_scalars(eqn: Eqn, defs, uniform) -> Eqn:
    """An elementwise operand broadcast from a literal (or a uniform constant) becomes
    the literal itself (0-d operands broadcast), if another operand keeps the shape."""
    shape = eqn.outs[0].aval.shape
    ins = list(eqn.inputs)
    for k, a in enumerate(ins):
        if type(a) is not Var:
            continue
        d = defs.get(a.id)
        if a.id in uniform:
            lit = uniform[a.id]
        elif d is not None and d.prim.name == "broadcast_in_dim" and type(d.inputs[0]) is Lit:
            lit = d.inputs[0]
        else:
            continue
        if any(b.aval.shape == shape for j, b in enumerate(ins) if j != k):
            ins[k] = lit
    return _with_inputs(eqn, ins)


def _use_counts(ir: IR) -> dict:
    uses: dict[int, int] = {}
    for a in [a for e in ir.eqns for a in e.inputs] + list(ir.outs):
        if type(a) is Var:
            uses[a.id] = uses.get(a.id, 0) + 1
    return uses


def _same(eqn, ins, is_zero, defs, uses):
    return ins[0]


def _add(eqn, ins, is_zero, defs, uses):
    x, y = ins
    return x if is_zero(y) else y if is_zero(x) else None


def _sub(eqn, ins, is_zero, defs, uses):
    return ins[0] if is_zero(ins[1]) else None


def _mul(eqn, ins, is_zero, defs, uses):
    x, y = ins
    return x if _lit_is(y, 1) else y if _lit_is(x, 1) else None


def _div(eqn, ins, is_zero, defs, uses):
    return ins[0] if _lit_is(ins[1], 1) else None


def _tmul(eqn, ins, is_zero, defs, uses):
    t, d = ins
    if is_zero(t):
        return t if t.aval == eqn.outs[0].aval else Lit(np.zeros((), eqn.outs[0].aval.dtype))
    if _lit_is(d, 1) or _lit_is(t, 1):
        return t if _lit_is(d, 1) else d
    # tmul(t, d) = t * d when t is a nonzero literal, or d a finite one (up to the sign of 0)
    if (type(t) is Lit and t.val != 0) or (type(d) is Lit and np.isfinite(d.val)):
        return Eqn(_ew.mul_p, ins, eqn.outs, {}, eqn.src)
    return None


def _neg(eqn, ins, is_zero, defs, uses):
    (x,) = ins
    d = defs.get(x.id) if type(x) is Var else None
    if d is not None and d.prim.name == "neg":
        return d.inputs[0]
    return x if is_zero(x) and type(x) is Var else None


def _identity_if(pred):
    def rule(eqn, ins, is_zero, defs, uses):
        return ins[0] if pred(eqn, ins[0]) else None

    return rule


def _transpose(eqn, ins, is_zero, defs, uses):
    (x,) = ins
    perm = eqn.params["perm"]
    if perm == tuple(range(len(perm))):
        return x
    d = defs.get(x.id) if type(x) is Var else None
    if d is not None and d.prim.name == "dot_general" and perm == (1, 0) and uses.get(x.id) == 1:
        # (x·y)ᵀ = y·x for one free axis each: the transpose becomes operand order
        (xc, yc), (xb, yb) = d.params["dimension_numbers"]
        if not xb and all(
            a.aval.ndim == len(c) + 1 for a, c in zip(d.inputs, (xc, yc), strict=True)
        ):
            params = dict(d.params, dimension_numbers=((yc, xc), ((), ())))
            return Eqn(d.prim, d.inputs[::-1], eqn.outs, params, eqn.src)
    if d is not None and d.prim.name == "transpose":
        inner = d.params["perm"]
        composed = tuple(inner[p] for p in perm)
        if composed == tuple(range(len(perm))):
            return d.inputs[0]
        return Eqn(eqn.prim, (d.inputs[0],), eqn.outs, {"perm": composed}, eqn.src)
    if d is not None and d.prim.name in ELEMENTWISE and uses.get(x.id) == 1:
        return _transpose_broadcasts(eqn, d, perm, defs)
    return None


def _transpose_broadcasts(eqn, d, perm, defs):
    """f(bcast(a), bcast(b))ᵀ = f(bcast'(a), bcast'(b)): a transpose of an elementwise
    function of broadcasts (an outer product, say) moves into the broadcasts' axes."""
    shape = eqn.outs[0].aval.shape
    new, args = [], []
    for a in d.inputs:
        if a.aval.ndim == 0:
            args.append(a)
            continue
        b = defs.get(a.id) if type(a) is Var else None
        if b is None or b.prim.name != "broadcast_in_dim":
            return None
        dims = tuple(perm.index(k) for k in b.params["broadcast_dimensions"])
        if list(dims) != sorted(dims):
            return None
        wide = Var(a.aval.update(shape=shape))
        params = {"shape": shape, "broadcast_dimensions": dims}
        new.append(Eqn(b.prim, b.inputs, (wide,), params, b.src))
        args.append(wide)
    return new + [Eqn(d.prim, tuple(args), eqn.outs, d.params, d.src)]


def _reshape(eqn, ins, is_zero, defs, uses):
    (x,) = ins
    if x.aval.shape == eqn.outs[0].aval.shape:
        return x
    d = defs.get(x.id) if type(x) is Var else None
    if d is not None and d.prim.name == "reshape":
        return Eqn(eqn.prim, (d.inputs[0],), eqn.outs, eqn.params, eqn.src)
    return None


def _dot_general(eqn, ins, is_zero, defs, uses):
    """A product contracting only size-1 axes is an outer product: x_i y_j, an elementwise
    product of broadcasts that fuses with what consumes it (no BLAS call, no temporary)."""
    from ..ops.shape import broadcast_in_dim_p, squeeze_p

    (xc, yc), (xb, _) = eqn.params["dimension_numbers"]
    x, y = ins
    (out,) = eqn.outs
    if xb or eqn.params.get("preferred_element_type") is not None:
        return None
    if any(x.aval.shape[i] != 1 for i in xc) or out.aval.size > FOLD_MAX_SIZE * 1024:
        return None
    new, parts, start = [], [], 0
    for a, axes in ((x, xc), (y, yc)):
        if axes:
            squeezed = Var(
                a.aval.update(shape=tuple(n for i, n in enumerate(a.aval.shape) if i not in axes))
            )
            new.append(Eqn(squeeze_p, (a,), (squeezed,), {"dimensions": tuple(axes)}, eqn.src))
            a = squeezed
        dims = tuple(range(start, start + a.aval.ndim))
        start += a.aval.ndim
        if a.aval.shape != out.aval.shape:
            wide = Var(out.aval.update(dtype=a.aval.dtype))
            params = {"shape": out.aval.shape, "broadcast_dimensions": dims}
            new.append(Eqn(broadcast_in_dim_p, (a,), (wide,), params, eqn.src))
            a = wide
        parts.append(a)
    return new + [Eqn(_ew.mul_p, tuple(parts), eqn.outs, {}, eqn.src)]


def _select(eqn, ins, is_zero, defs, uses):
    p, x, y = ins
    if x is y:
        return x
    if type(p) is Lit:
        return x if bool(p.val) else y
    return None


_RULES = {
    "dot_general": _dot_general,
    "add": _add,
    "sub": _sub,
    "mul": _mul,
    "div": _div,
    "tmul": _tmul,
    "neg": _neg,
    "select": _select,
    "transpose": _transpose,
    "reshape": _reshape,
    "stop_gradient": _same,
    "broadcast_in_dim": _identity_if(lambda e, x: x.aval.shape == e.outs[0].aval.shape),
    "convert_element_type": _identity_if(lambda e, x: x.aval.dtype == e.outs[0].aval.dtype),
    "squeeze": _identity_if(lambda e, x: not e.params["dimensions"]),
    "expand_dims": _identity_if(lambda e, x: not e.params["dimensions"]),
    "reduce_sum": _identity_if(lambda e, x: not e.params["axes"]),
    "reduce_max": _identity_if(lambda e, x: not e.params["axes"]),
    "reduce_min": _identity_if(lambda e, x: not e.params["axes"]),
}


# ---------------------------------------------------------------------------
# common subexpressions


def _atom_key(a):
    if type(a) is Lit:
        return ("lit", a.val.dtype.str, a.val.tobytes())
    return a.id


def cse(ir: IR) -> IR:
    """Two equations with the same primitive, parameters and inputs compute the same
    values (primitives are pure): keep the first, point uses of the second at it."""
    seen: dict[tuple, Eqn] = {}

    def step(eqn, ins, sub):
        eqn = _with_inputs(eqn, ins)
        try:
            key = (eqn.prim, tuple(sorted(eqn.params.items())), tuple(map(_atom_key, ins)))
            hash(key)
        except TypeError:  # unhashable parameters: keep the equation as it is
            return [eqn]
        prev = seen.get(key)
        if prev is None:
            seen[key] = eqn
            return [eqn]
        for v, p in zip(eqn.outs, prev.outs, strict=True):
            sub[v.id] = p
        return []

    return _rebuild(ir, step)


# ---------------------------------------------------------------------------
# dead code


def prune(ir: IR) -> IR:
    """Only what the outputs need: dead equations and unused constants are dropped."""
    ir = dce(ir)
    used = {a.id for e in ir.eqns for a in e.inputs if type(a) is Var}
    used |= {a.id for a in ir.outs if type(a) is Var}
    keep = [(v, c) for v, c in zip(ir.constvars, ir.consts, strict=True) if v.id in used]
    if len(keep) == len(ir.constvars):
        return ir
    return IR(ir.invars, tuple(v for v, _ in keep), tuple(c for _, c in keep), ir.eqns, ir.outs)
