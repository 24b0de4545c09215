"""Control flow lowered to native Python/Numba control flow inside the one kernel.

cond -> if/elif/else, scan -> a for loop writing stacked outputs in place, while -> a
while loop. Each body IR is inlined where it runs (its own fusion groups close inside
the branch or loop body); its inputs are the operands' names, its constants are
parameters of the kernel (hoisted by the generator). Loop carries are named after the
equation's outputs and updated with one tuple assignment per iteration, so a body that
swaps carries is right.
"""

from __future__ import annotations

from ..ir import Lit, Var
from .rules import render_lit

__all__ = ["CONTROL"]


def _text(gen, a, like) -> str:
    """Source for atom a where a value of like's type is expected."""
    if type(a) is Lit:
        return render_lit(a.val)
    if like.aval.ndim == 0:
        return gen.scalar(a) if gen.kind.get(a.id) == "scalar" else f"{gen.array(a)}[()]"
    return gen.array(a)


def _target(gen, v) -> str:
    return gen.scalar(v) if v.aval.ndim == 0 else gen.array(v)


def _assign(gen, targets, sources, own=False) -> None:
    """targets = sources, as one tuple assignment. own: array targets get copies, buffers
    the loop may then overwrite in place."""
    if not targets:
        return
    lhs = ", ".join(_target(gen, t) for t in targets)
    rhs = ", ".join(
        _text(gen, s, t) + (".copy()" if own and t.aval.ndim and type(s) is not Lit else "")
        for s, t in zip(sources, targets, strict=True)
    )
    gen.line(f"{lhs} = {rhs}")
    for t in targets:
        gen.kind[t.id] = "scalar" if t.aval.ndim == 0 else "array"


def _cond(gen, eqn):
    index, *ops = eqn.inputs
    branches = eqn.params["branches"]
    gen.line("", gen.eqn_text(eqn))
    idx = gen.scalar(index)
    for k, body in enumerate(branches):
        if len(branches) == 1:
            head = None
        elif k == 0:
            head = f"if {idx} <= 0:"
        elif k < len(branches) - 1:
            head = f"elif {idx} == {k}:"
        else:
            head = "else:"
        if head:
            gen.line(head)
            gen.indent += 1
        outs = gen.inline(body, ops)
        _assign(gen, list(eqn.outs), outs)
        if head:
            gen.indent -= 1


def _scan(gen, eqn):
    p = eqn.params
    body, nc, ncar, reverse = p["body"], p["num_consts"], p["num_carry"], p["reverse"]
    consts, init, xs = eqn.inputs[:nc], eqn.inputs[nc : nc + ncar], eqn.inputs[nc + ncar :]
    carry, ys = eqn.outs[:ncar], eqn.outs[ncar:]
    gen.line("", gen.eqn_text(eqn))
    _assign(gen, list(carry), list(init), own=True)
    n = gen.dim(xs[0], 0) if p["length"] is None else str(p["length"])
    for y in ys:
        gen.line(f"{gen.array(y)} = np.empty({gen.shape_text(y)}, {_np_dtype(y)})")
        gen.kind[y.id] = "array"
    it = gen.tmp("it")
    gen.line(f"for {it} in range({n} - 1, -1, -1):" if reverse else f"for {it} in range({n}):")
    gen.indent += 1
    slices = []
    for x, v in zip(xs, body.invars[nc + ncar :], strict=True):
        s = gen.fresh_like(v)
        gen.line(f"{_target(gen, s)} = {gen.array(x)}[{it}]")
        gen.kind[s.id] = "scalar" if s.aval.ndim == 0 else "array"
        slices.append(s)
    carried = [(k, nc + k) for k in range(len(carry))]
    rows = [(ncar + j, f"{gen.array(y)}[{it}]") for j, y in enumerate(ys)]
    outs = gen.inline(body, list(consts) + list(carry) + slices, carried, rows)
    for y, o in zip(ys, outs[ncar:], strict=True):
        if type(o) is Var and o.id in gen.in_rows:
            continue  # already computed in place
        gen.line(f"{gen.array(y)}[{it}] = {_text(gen, o, y if y.aval.ndim > 1 else o)}")
    _assign(gen, list(carry), outs[:ncar])
    gen.indent -= 1
    for c, o in zip(carry, outs[:ncar], strict=True):
        if type(o) is Var and o.id in gen.in_rows:  # the carry views a row of a stack
            gen.line(f"{gen.array(c)} = {gen.array(c)}.copy()")


def _while(gen, eqn):
    p = eqn.params
    cc, bc = p["cond_nconsts"], p["body_nconsts"]
    cconsts, bconsts, init = eqn.inputs[:cc], eqn.inputs[cc : cc + bc], eqn.inputs[cc + bc :]
    carry = list(eqn.outs)
    gen.line("", gen.eqn_text(eqn))
    _assign(gen, carry, list(init), own=True)
    gen.line("while True:")
    gen.indent += 1
    (pred,) = gen.inline(p["cond_ir"], list(cconsts) + carry)
    gen.line(f"if not {_text(gen, pred, pred) if type(pred) is not Lit else render_lit(pred.val)}:")
    gen.line("    break")
    carried = [(k, bc + k) for k in range(len(carry))]
    outs = gen.inline(p["body_ir"], list(bconsts) + carry, carried)
    _assign(gen, carry, outs)
    gen.indent -= 1


def _while_record(gen, eqn):
    """A while loop that also stacks its carries at the start of each iteration (the tape
    reverse mode reads). The tapes grow by doubling; their length is known at the end."""
    p = eqn.params
    cc, bc = p["cond_nconsts"], p["body_nconsts"]
    cconsts, bconsts, init = eqn.inputs[:cc], eqn.inputs[cc : cc + bc], eqn.inputs[cc + bc :]
    carry, tapes = list(eqn.outs[: len(init)]), list(eqn.outs[len(init) :])
    gen.line("", gen.eqn_text(eqn))
    _assign(gen, carry, list(init))
    n = gen.tmp("n")
    gen.line(f"{n} = 0")
    for t, c in zip(tapes, carry, strict=True):
        gen.line(f"{gen.array(t)} = np.empty({_stacked(gen, c, '16')}, {_np_dtype(c)})")
    gen.line("while True:")
    gen.indent += 1
    (pred,) = gen.inline(p["cond_ir"], list(cconsts) + carry)
    gen.line(f"if not {_text(gen, pred, pred)}:")
    gen.line("    break")
    gen.line(f"if {n} == {gen.array(tapes[0])}.shape[0]:", "full: double the tapes")
    for t, c in zip(tapes, carry, strict=True):
        grown = gen.tmp("grown")
        size = f"2 * {n}"
        gen.line(f"    {grown} = np.empty({_stacked(gen, c, size)}, {_np_dtype(c)})")
        gen.line(f"    {grown}[:{n}] = {gen.array(t)}")
        gen.line(f"    {gen.array(t)} = {grown}")
    for t, c in zip(tapes, carry, strict=True):
        gen.line(f"{gen.array(t)}[{n}] = {_target(gen, c)}")
    gen.line(f"{n} += 1")
    outs = gen.inline(p["body_ir"], list(bconsts) + carry)
    _assign(gen, carry, outs)
    gen.indent -= 1
    for t in tapes:
        gen.line(f"{gen.array(t)} = {gen.array(t)}[:{n}].copy()")
        gen.kind[t.id] = "array"


def _stacked(gen, v, lead: str) -> str:
    dims = [lead] + gen.dims_of(v)
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _np_dtype(v) -> str:
    from .rules import np_dtype

    return np_dtype(v.aval.dtype)


CONTROL = {"cond": _cond, "scan": _scan, "while": _while, "while_record": _while_record}
