"""Lowering rules, keyed by primitive name: how each primitive becomes Python source.

Four kinds, by how the primitive reads its operands (codegen.py decides fusion from
the kind alone):

- SCALAR: elementwise. `rule(eqn, args) -> expression` on scalar expressions, one per
  operand; runs inside a fused loop nest (or once, for 0-d values).
- REMAP: the output at a point is an operand element somewhere else (broadcast,
  transpose, slice, pad, gather, ...). `rule(ctx, eqn, idx) -> expression` given the
  output's loop indices; operands are whole arrays (materialised before the loop).
- REDUCE (reductions.py): `(identity(dtype), update(acc, v, dtype))`, accumulated inside
  the loop nest of the fused group that computes the operand.
- ARRAY: everything else, `rule(ctx, eqn)` emitting statements on whole arrays (BLAS
  calls, sorts, explicit loops); see array_rules.py.

A primitive defined elsewhere may instead carry `lower=` itself: a format string is a
SCALAR template over its operands (`"({0} + {1})"`), a callable an ARRAY rule.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir import Lit

__all__ = [
    "SCALAR",
    "REMAP",
    "VMATH_NAMES",
    "VMATH32_NAMES",
    "render_lit",
    "np_dtype",
    "cast",
]

_NATIVE = {np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_)}


def np_dtype(dt) -> str:
    """Source text naming a dtype: np.float64, np.bool_, ..."""
    dt = np.dtype(dt)
    return "np.bool_" if dt == np.bool_ else f"np.{dt.name}"


def cast(dt, expr: str) -> str:
    """`expr` rounded or wrapped to dtype dt. Numba computes on float64/int64 scalars, so
    narrower types are cast after each operation, as NumPy rounds after each one."""
    dt = np.dtype(dt)
    return expr if dt in _NATIVE else f"{np_dtype(dt)}({expr})"


def render_lit(val) -> str:
    """A literal's source text, of its exact dtype."""
    val = np.asarray(val)
    dt, v = val.dtype, val.item()
    if dt == np.bool_:
        return repr(bool(v))
    if dt.kind == "f":
        if math.isnan(v):
            text = "np.nan"
        elif math.isinf(v):
            text = "np.inf" if v > 0 else "-np.inf"
        else:
            text = repr(float(v))
        return text if dt == np.float64 else f"{np_dtype(dt)}({text})"
    if dt.kind in "iu":
        return repr(int(v)) if dt == np.int64 else f"{np_dtype(dt)}({int(v)})"
    if dt.kind == "c":
        return f"{np_dtype(dt)}({complex(v)!r})"
    raise NotImplementedError(f"literal of dtype {dt}")


def _zero(dt) -> str:
    return render_lit(np.zeros((), dt))


# ---------------------------------------------------------------------------
# SCALAR: elementwise primitives


def _out_dt(eqn):
    return eqn.outs[0].aval.dtype


def _in_dt(eqn, k=0):
    return eqn.inputs[k].aval.dtype


def _binop(op, bool_op=None):
    def rule(eqn, args):
        dt = _in_dt(eqn)
        if dt == np.bool_ and bool_op:
            return f"({args[0]} {bool_op} {args[1]})"
        return cast(_out_dt(eqn), f"({args[0]} {op} {args[1]})")

    return rule


def _unop(template):
    def rule(eqn, args):
        return cast(_out_dt(eqn), template.format(*args))

    return rule


def _maxmin(cmp, bool_op):
    # NumPy's scalar loop: (a >= b or isnan(a)) ? a : b, so NaN wins from either side
    def rule(eqn, args):
        a, b = args
        if _in_dt(eqn) == np.bool_:
            return f"({a} {bool_op} {b})"
        if _in_dt(eqn).kind != "f":
            return f"({a} if {a} {cmp} {b} else {b})"
        return f"({a} if {a} {cmp} {b} or {a} != {a} else {b})"

    return rule


def _tmul(eqn, args):
    t, d = args
    dt = _out_dt(eqn)
    return f"({cast(dt, f'{t} * {d}')} if {t} != 0 else {_zero(dt)})"


def _sign(eqn, args):
    (x,) = args
    dt = _out_dt(eqn)
    one, zero = render_lit(np.ones((), dt)), _zero(dt)
    if dt.kind == "u":
        return f"({one} if {x} > 0 else {zero})"
    if dt.kind == "f":
        neg = render_lit(-np.ones((), dt))
        return f"({one} if {x} > 0 else ({neg} if {x} < 0 else ({zero} if {x} == 0 else {x})))"
    return f"({one} if {x} > 0 else ({cast(dt, '-1')} if {x} < 0 else {zero}))"


def _convert(eqn, args):
    (x,) = args
    src, dst = _in_dt(eqn), _out_dt(eqn)
    if dst == np.bool_:
        return f"({x} != 0)"
    return f"{np_dtype(dst)}({x})" if src != dst else x


def _integer_pow(eqn, args):
    (x,) = args
    y = eqn.params["y"]
    dt = _out_dt(eqn)
    if y == 0:
        return render_lit(np.ones((), dt))
    prod = " * ".join([x] * abs(y)) if abs(y) <= 4 else f"{x} ** {abs(y)}"
    prod = cast(dt, f"({prod})")
    return prod if y > 0 else cast(dt, f"({render_lit(np.ones((), dt))} / {prod})")


def _float_only(fn):
    def rule(eqn, args):
        if _out_dt(eqn).kind != "f":
            return args[0]  # floor/ceil/round of an integer is itself
        return fn(eqn, args)

    return rule


def _not(eqn, args):
    return f"(not {args[0]})" if _in_dt(eqn) == np.bool_ else cast(_out_dt(eqn), f"(~{args[0]})")


def _pow(eqn, args):
    return cast(_out_dt(eqn), f"({args[0]} ** {args[1]})")


# name -> (math function text, VMATH key or None); the vectorisable variant is used when
# tracejit/lowering/vmath.py provides one
_TRANSCENDENTAL = {
    "exp": ("math.exp({0})", "exp"),
    "exp2": ("np.exp2({0})", "exp2"),
    "expm1": ("math.expm1({0})", "expm1"),
    "log": ("math.log({0})", "log"),
    "log1p": ("math.log1p({0})", "log1p"),
    "log2": ("math.log2({0})", "log2"),
    "sqrt": ("math.sqrt({0})", None),
    "rsqrt": ("(1.0 / math.sqrt({0}))", None),
    "cbrt": ("np.cbrt({0})", None),
    "sin": ("math.sin({0})", "sin"),
    "cos": ("math.cos({0})", "cos"),
    "tan": ("math.tan({0})", None),
    "asin": ("math.asin({0})", None),
    "acos": ("math.acos({0})", None),
    "atan": ("math.atan({0})", "arctan"),
    "sinh": ("math.sinh({0})", None),
    "cosh": ("math.cosh({0})", None),
    "tanh": ("math.tanh({0})", "tanh"),
    "asinh": ("math.asinh({0})", None),
    "acosh": ("math.acosh({0})", None),
    "atanh": ("math.atanh({0})", None),
    "logistic": ("(1.0 / (1.0 + math.exp(-{0})))", "logistic"),
    "erf": ("math.erf({0})", "erf"),
    "erf_inv": ("erfinv_scalar({0})", None),
}


def _vmath_table(name: str) -> dict:
    """vmath.VMATH (or VMATH32), read from the module's source: importing vmath imports
    Numba (~0.5 s), which a first call, run by the interpreter, must not wait for."""
    import ast
    import os
    import re

    try:
        with open(os.path.join(os.path.dirname(__file__), "vmath.py"), encoding="utf-8") as f:
            m = re.search(rf"^{name} = (\{{.*?\}})$", f.read(), re.S | re.M)
        return dict(ast.literal_eval(m.group(1))) if m else {}
    except (OSError, SyntaxError, ValueError):  # no vmath: plain libm calls
        return {}


VMATH_NAMES = _vmath_table("VMATH")  # key -> function name in tracejit.lowering.vmath
VMATH32_NAMES = _vmath_table("VMATH32")  # the same, float32 in and out


def _transcendental(name):
    text, key = _TRANSCENDENTAL[name]

    def rule(eqn, args):
        dt = _out_dt(eqn)
        if dt.kind != "f":
            raise NotImplementedError(f"{name} of {dt}")
        if dt == np.float32 and key in VMATH32_NAMES:
            return f"{VMATH32_NAMES[key]}({args[0]})"
        fn = VMATH_NAMES.get(key) if key else None
        return cast(dt, f"{fn}({args[0]})" if fn else text.format(args[0]))

    return rule


SCALAR = {
    "add": _binop("+", "|"),
    "sub": _binop("-"),
    "mul": _binop("*", "&"),
    "div": _binop("/"),
    "floor_divide": _binop("//"),
    "rem": _binop("%"),
    "pow": _pow,
    "integer_pow": _integer_pow,
    "neg": _unop("(-{0})"),
    "tmul": _tmul,
    "max": _maxmin(">=", "|"),
    "min": _maxmin("<=", "&"),
    "atan2": _unop("math.atan2({0}, {1})"),
    "eq": lambda eqn, a: f"({a[0]} == {a[1]})",
    "ne": lambda eqn, a: f"({a[0]} != {a[1]})",
    "lt": lambda eqn, a: f"({a[0]} < {a[1]})",
    "le": lambda eqn, a: f"({a[0]} <= {a[1]})",
    "gt": lambda eqn, a: f"({a[0]} > {a[1]})",
    "ge": lambda eqn, a: f"({a[0]} >= {a[1]})",
    "and": lambda eqn, a: f"({a[0]} & {a[1]})",
    "or": lambda eqn, a: f"({a[0]} | {a[1]})",
    "xor": lambda eqn, a: f"({a[0]} ^ {a[1]})",
    "not": _not,
    "select": lambda eqn, a: f"({a[1]} if {a[0]} else {a[2]})",
    "convert_element_type": _convert,
    "stop_gradient": lambda eqn, a: a[0],
    "abs": _unop("abs({0})"),
    "sign": _sign,
    "floor": _float_only(_unop("np.floor({0})")),
    "ceil": _float_only(_unop("np.ceil({0})")),
    "round": _float_only(_unop("np.rint({0})")),
}
SCALAR.update({name: _transcendental(name) for name in _TRANSCENDENTAL})


# ---------------------------------------------------------------------------
# REMAP: the output at index idx reads an operand elsewhere


def _index(name: str, idx) -> str:
    return f"{name}[{', '.join(idx)}]" if idx else f"{name}[()]"


def _bid(ctx, eqn, idx):
    (x,) = eqn.inputs
    bd = eqn.params["broadcast_dimensions"]
    out_shape = eqn.outs[0].aval.shape
    if x.aval.ndim == 0:
        return ctx.scalar(x)
    # a size-1 operand axis stretched to a longer output axis always reads element 0
    sub = ["0" if x.aval.shape[i] == 1 != out_shape[d] else idx[d] for i, d in enumerate(bd)]
    return _index(ctx.array(x), sub)


def _transpose(ctx, eqn, idx):
    (x,) = eqn.inputs
    perm = eqn.params["perm"]
    sub = [None] * len(perm)
    for k, p in enumerate(perm):
        sub[p] = idx[k]
    return _index(ctx.array(x), sub)


def _affine(i: str, start: int, stride: int) -> str:
    term = i if stride == 1 else f"{stride} * {i}"
    return term if start == 0 else f"{start} + {term}"


def _slice(ctx, eqn, idx):
    (x,) = eqn.inputs
    starts = eqn.params["start_indices"]
    strides = eqn.params.get("strides") or (1,) * len(starts)
    sub = [_affine(i, s, k) for i, s, k in zip(idx, starts, strides, strict=True)]
    return _index(ctx.array(x), sub)


def _rev(ctx, eqn, idx):
    (x,) = eqn.inputs
    dims = eqn.params["dimensions"]
    sub = [f"{ctx.dim(x, k)} - 1 - {i}" if k in dims else i for k, i in enumerate(idx)]
    return _index(ctx.array(x), sub)


def _pad(ctx, eqn, idx):
    x, pv = eqn.inputs
    conds, sub = [], []
    for k, (i, (lo, _hi, interior)) in enumerate(
        zip(idx, eqn.params["padding_config"], strict=True)
    ):
        j = i if lo == 0 else f"({i} - {lo})" if lo > 0 else f"({i} + {-lo})"
        n = ctx.dim(x, k)
        if interior:
            step = interior + 1
            conds.append(f"{j} % {step} == 0 and 0 <= {j} // {step} < {n}")
            sub.append(f"{j} // {step}")
        else:
            conds.append(f"0 <= {j} < {n}")
            sub.append(j)
    cond = " and ".join(conds) or "True"
    return f"({_index(ctx.array(x), sub)} if {cond} else {ctx.scalar(pv)})"


def _concatenate(ctx, eqn, idx):
    d = eqn.params["dimension"]
    parts, offset = [], "0"
    for x in eqn.inputs:
        sub = list(idx)
        sub[d] = idx[d] if offset == "0" else f"{idx[d]} - ({offset})"
        parts.append((_index(ctx.array(x), sub), offset))
        n = ctx.dim(x, d)
        offset = n if offset == "0" else f"{offset} + {n}"
    expr = parts[-1][0]
    for (read, _), (_, nxt) in zip(reversed(parts[:-1]), reversed(parts[1:]), strict=True):
        expr = f"({read} if {idx[d]} < {nxt} else {expr})"
    return expr


def _iota(ctx, eqn, idx):
    return cast(eqn.outs[0].aval.dtype, idx[eqn.params["dimension"]])


def _clip(i: str, n: str) -> str:
    return f"min(max({i}, 0), {n} - 1)"


def _gather(ctx, eqn, idx):
    # out[pre, j..., post] = x[pre, clip(idx[j...]), post]
    x, ix = eqn.inputs
    axis = eqn.params["axis"]
    k = ix.aval.ndim
    at = _index(ctx.array(ix), idx[axis : axis + k]) if k else ctx.scalar(ix)
    sub = list(idx[:axis]) + [_clip(at, ctx.dim(x, axis))] + list(idx[axis + k :])
    return _index(ctx.array(x), sub)


def _take_along(ctx, eqn, idx):
    x, ix = eqn.inputs
    axis = eqn.params["axis"]
    sub = list(idx)
    sub[axis] = _clip(_index(ctx.array(ix), idx), ctx.dim(x, axis))
    return _index(ctx.array(x), sub)


def _dynamic_slice(ctx, eqn, idx):
    # starts are clamped so the whole window fits: s = clip(start, 0, n - size)
    x, *starts = eqn.inputs
    sizes = eqn.params["slice_sizes"]
    sub = []
    for k, (i, s, size) in enumerate(zip(idx, starts, sizes, strict=True)):
        lim = f"{ctx.dim(x, k)} - {size}"
        sub.append(f"min(max({ctx.scalar(s)}, 0), {lim}) + {i}")
    return _index(ctx.array(x), sub)


REMAP = {
    "broadcast_in_dim": _bid,
    "transpose": _transpose,
    "slice": _slice,
    "rev": _rev,
    "pad": _pad,
    "concatenate": _concatenate,
    "iota": _iota,
    "gather": _gather,
    "take_along_axis": _take_along,
    "dynamic_slice": _dynamic_slice,
}


def scalar_rule(prim):
    """The SCALAR rule of a primitive, from this table or its own `lower=` template."""
    rule = SCALAR.get(prim.name)
    if rule is None and isinstance(prim.lower, str):
        template = prim.lower
        return lambda eqn, args: template.format(*args)
    return rule


def lit_text(a: Lit) -> str:
    return render_lit(a.val)
