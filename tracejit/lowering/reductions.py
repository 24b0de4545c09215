"""Reductions in fused loop nests: identities, updates, accumulators.

A reduction whose axes are the innermost of its loop nest accumulates in a scalar
(`e_` for output e; argmax keeps `e_v`, the best value, and `e_i`, its index) started
before the reduced loops and stored after them; otherwise the accumulator is the output
array itself (and `e_v` for argmax), updated at every point. NaN propagates as in NumPy:
max/min return NaN if any element is NaN, argmax/argmin its first index.
"""

from __future__ import annotations

import numpy as np

from .rules import cast, np_dtype, render_lit

__all__ = ["REDUCE", "ARG_REDUCE", "init_acc", "update_acc", "finish_acc"]


def _lowest(dt) -> str:
    dt = np.dtype(dt)
    if dt == np.bool_:
        return "False"
    return "-np.inf" if dt.kind == "f" else render_lit(np.iinfo(dt).min)


def _highest(dt) -> str:
    dt = np.dtype(dt)
    if dt == np.bool_:
        return "True"
    return "np.inf" if dt.kind == "f" else render_lit(np.iinfo(dt).max)


def _acc(op, bool_op):
    def update(acc, v, dt):
        if np.dtype(dt) == np.bool_:
            return f"{acc} {bool_op} {v}"
        return cast(dt, f"{acc} {op} {v}")

    return update


def _extreme(cmp):
    def update(acc, v, dt):
        nan = f" or {v} != {v}" if np.dtype(dt).kind == "f" else ""
        return f"{v} if {v} {cmp} {acc}{nan} else {acc}"

    return update


REDUCE = {
    "reduce_sum": (lambda dt: render_lit(np.zeros((), dt)), _acc("+", "or")),
    "reduce_prod": (lambda dt: render_lit(np.ones((), dt)), _acc("*", "and")),
    "reduce_max": (_lowest, _extreme(">")),
    "reduce_min": (_highest, _extreme("<")),
}
ARG_REDUCE = {"argmax": (_lowest, ">"), "argmin": (_highest, "<")}


def _typed(text: str, dt) -> str:
    """An identity's text with dtype dt (kernels.full takes the dtype from the value;
    literals are typed already, except infinities)."""
    return f"{np_dtype(dt)}({text})" if "inf" in text and np.dtype(dt) != np.float64 else text


def init_acc(gen, m, array: bool) -> None:
    """Set reduction m's accumulator to its identity (before the loops it spans)."""
    v = m.outs[0]
    x_dt, dt = m.inputs[0].aval.dtype, v.aval.dtype
    shape = gen.shape_text(v)
    if m.prim.name in ARG_REDUCE:
        ident, _ = ARG_REDUCE[m.prim.name]
        if array:
            gen.line(f"{gen.array(v)}_v = kernels.full({shape}, {ident(x_dt)})")
            gen.line(f"{gen.array(v)} = kernels.full({shape}, {np_dtype(dt)}(-1))")
        else:
            gen.line(f"{gen.scalar(v)}v = {ident(x_dt)}")
            gen.line(f"{gen.scalar(v)}i = -1")
        return
    ident, _ = REDUCE[m.prim.name]
    if array:
        gen.line(f"{gen.array(v)} = kernels.full({shape}, {_typed(ident(dt), dt)})")
    else:
        gen.line(f"{gen.scalar(v)} = {ident(dt)}")


def update_acc(gen, m, val, idx, axes, suffix: bool, parallel_sum: bool) -> None:
    """Fold the operand's value at the current point, `val`, into the accumulator."""
    v, x = m.outs[0], m.inputs[0]
    if suffix:
        ref, ref_v, ref_i = gen.scalar(v), gen.scalar(v) + "v", gen.scalar(v) + "i"
    else:
        at = "[" + ", ".join(i for k, i in enumerate(idx) if k not in axes) + "]"
        at = "[()]" if at == "[]" else at
        ref = ref_i = gen.array(v) + at
        ref_v = gen.array(v) + "_v" + at
    if m.prim.name in ARG_REDUCE:
        _, cmp = ARG_REDUCE[m.prim.name]
        (axis,) = axes
        nan = f" or ({val} != {val} and {ref_v} == {ref_v})" if x.aval.dtype.kind == "f" else ""
        gen.line(f"if {ref_i} < 0 or {val} {cmp} {ref_v}{nan}:", gen.eqn_text(m))
        gen.line(f"    {ref_v} = {val}")
        gen.line(f"    {ref_i} = {idx[axis]}")
        return
    _, update = REDUCE[m.prim.name]
    if parallel_sum:
        gen.line(f"{ref} += {val}", gen.eqn_text(m))
    else:
        gen.line(f"{ref} = {update(ref, val, v.aval.dtype)}", gen.eqn_text(m))


def finish_acc(gen, m, kept_idx) -> None:
    """Store a scalar accumulator into the output (after the reduced loops)."""
    v = m.outs[0]
    is_arg = m.prim.name in ARG_REDUCE
    if v.aval.ndim == 0:
        if is_arg:  # the 0-d result is the scalar e_
            gen.line(f"{gen.scalar(v)} = {gen.scalar(v)}i")
        return
    src = gen.scalar(v) + ("i" if is_arg else "")
    gen.line(f"{gen.array(v)}[{', '.join(kept_idx)}] = {src}")
