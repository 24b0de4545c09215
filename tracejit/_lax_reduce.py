"""lax's reductions: named reductions over axes, argmax/argmin, cumulative reductions,
generic `reduce` and `reduce_window` with a Python computation, associative_scan, and
the implicitly differentiated solvers custom_root and custom_linear_solve.

A computation that traces to one monoid primitive (add, mul, max, min, bitwise
and/or/xor) reduces with that primitive; any other is folded in order, as XLA's CPU
backend does. Windows are strided slices of the padded operand (see _lax_conv.py).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import tree
from ._api_extras import closure_convert
from ._lax_conv import _pairs, _stack, _window_slices, padtype_to_pads
from ._lax_ops import _arr, accept
from ._lax_shape import _axes, _axis, _ndim, slice_in_dim, static_shape
from .api import jvp
from .ir import ShapedArray
from .ops import cumulative as cu
from .ops import elementwise as ew
from .ops import reduce as rd
from .ops import shape as sh
from .ops.common import dtype_of, shape_of
from .trace import trace_to_ir

__all__ = (
    "argmax argmin associative_scan cumlogsumexp cummax cummin cumprod cumsum "
    "custom_linear_solve custom_root reduce reduce_and reduce_max reduce_min reduce_or "
    "reduce_precision reduce_prod reduce_sum reduce_window reduce_xor"
).split()


# reductions


def _reduce_axes(x, axes):
    return tuple(sorted(_axes(axes, _ndim(x))))


def _empty_reduction(x, axes) -> bool:
    return any(shape_of(x)[a] == 0 for a in axes)


def _identity_fill(x, axes, value):
    out = tuple(s for i, s in enumerate(shape_of(x)) if i not in axes)
    return np.full(out, value, dtype_of(x))


def reduce_sum(operand, axes, *, out_sharding=None):
    x = accept("reduce_sum", _arr(operand), "iufc")
    return rd.reduce_sum(x, axes=_reduce_axes(x, axes))


def reduce_prod(operand, axes):
    x = accept("reduce_prod", _arr(operand), "iufc")
    return rd.reduce_prod(x, axes=_reduce_axes(x, axes))


def _lowest(dt):
    dt = np.dtype(dt)
    return -np.inf if dt.kind in "fc" else (False if dt == np.bool_ else np.iinfo(dt).min)


def _highest(dt):
    dt = np.dtype(dt)
    return np.inf if dt.kind in "fc" else (True if dt == np.bool_ else np.iinfo(dt).max)


def reduce_max(operand, axes):
    x = _arr(operand)
    axes = _reduce_axes(x, axes)
    if _empty_reduction(x, axes):
        return _identity_fill(x, axes, _lowest(dtype_of(x)))
    return rd.reduce_max(x, axes=axes)


def reduce_min(operand, axes):
    x = _arr(operand)
    axes = _reduce_axes(x, axes)
    if _empty_reduction(x, axes):
        return _identity_fill(x, axes, _highest(dtype_of(x)))
    return rd.reduce_min(x, axes=axes)


def fold_axes(x, axes, op, identity):
    """Reduce `axes` of x with an associative elementwise `op(a, b)`, as a balanced tree of
    strided slices (log depth); `identity` fills an empty reduction."""
    axes = tuple(sorted(axes))
    shp = shape_of(x)
    kept = tuple(i for i in range(len(shp)) if i not in axes)
    n = math.prod(shp[a] for a in axes)
    lead = tuple(shp[i] for i in kept)
    if n == 0:
        return np.full(lead, identity, dtype_of(x))
    y = sh.reshape(sh.transpose(x, perm=kept + axes), new_sizes=lead + (n,))
    last = len(lead)
    while n > 1:
        half = n // 2
        pair = op(slice_in_dim(y, 0, 2 * half, 2, last), slice_in_dim(y, 1, 2 * half, 2, last))
        y = (
            sh.concatenate(pair, slice_in_dim(y, n - 1, n, 1, last), dimension=last)
            if n % 2
            else pair
        )
        n = half + n % 2
    return sh.squeeze(y, dimensions=(last,))


def _bitwise_reduce(name, op, identity):
    def reduce(operand, axes):
        x = accept(name, _arr(operand), "iub")
        return fold_axes(x, _reduce_axes(x, axes), op, np.asarray(identity).astype(dtype_of(x)))

    reduce.__name__ = name
    reduce.__doc__ = f"Reduce `axes` with bitwise {name[7:]} (logical for bool)."
    return reduce


reduce_and = _bitwise_reduce("reduce_and", ew.and_, -1)
reduce_or = _bitwise_reduce("reduce_or", ew.or_, 0)
reduce_xor = _bitwise_reduce("reduce_xor", ew.xor, 0)


def argmax(operand, axis: int, index_dtype):
    return _arg("argmax", rd.argmax, operand, axis, index_dtype)


def argmin(operand, axis: int, index_dtype):
    return _arg("argmin", rd.argmin, operand, axis, index_dtype)


def _arg(name, fn, operand, axis, index_dtype):
    idt = np.dtype(index_dtype)
    if idt.kind not in "iu":
        raise TypeError(f"index_dtype must be an integer type, but got {idt.name}")
    x = _arr(operand)
    shp = shape_of(x)
    if not 0 <= int(axis) < len(shp):
        raise ValueError(f"Invalid axis {axis} for operand shape {shp}")
    if shp[axis] == 0:
        raise ValueError(
            "argmin and argmax require non-empty reduced dimension. "
            f"operand.shape={shp} axis={axis}"
        )
    return fn(x, axis=int(axis), index_dtype=idt)


def reduce_precision(operand, exponent_bits: int, mantissa_bits: int):
    """Round to the float format with the given exponent and mantissa bits: the formats
    of float16, float32 and float64 (a round trip through that dtype)."""
    x = accept("reduce_precision", _arr(operand), "f")
    for dt in (np.float16, np.float32, np.float64):
        fi = np.finfo(dt)
        if (fi.nexp, fi.nmant) == (int(exponent_bits), int(mantissa_bits)):
            if np.dtype(dt).itemsize >= dtype_of(x).itemsize:
                return x
            narrow = ew.convert_element_type(x, new_dtype=np.dtype(dt))
            return ew.convert_element_type(narrow, new_dtype=dtype_of(x))
    raise NotImplementedError(
        f"reduce_precision to exponent_bits={exponent_bits}, mantissa_bits={mantissa_bits}: "
        "only the float16, float32 and float64 formats are supported"
    )


# ---------------------------------------------------------------------------
# cumulative reductions (cumlogsumexp is in _lax_conv.py, with associative_scan)


def _cumulative(name, prim_fn):
    def cum(operand, axis: int = 0, reverse: bool = False):
        x = _arr(operand)
        return prim_fn(x, axis=_axis(axis, _ndim(x)), reverse=bool(reverse))

    cum.__name__ = name
    cum.__doc__ = f"lax.{name} along `axis`; reverse=True accumulates from the end."
    return cum


cumsum = _cumulative("cumsum", cu.cumsum)
cumprod = _cumulative("cumprod", cu.cumprod)
cummax = _cumulative("cummax", cu.cummax)
cummin = _cumulative("cummin", cu.cummin)


# ---------------------------------------------------------------------------


# reductions with a Python computation: one primitive when it is a monoid


_MONOIDS = {"add", "mul", "max", "min", "and", "or", "xor"}


def _monoid(computation: Callable, dtype) -> str | None:
    """The primitive's name if computation(a, b) traces to that single monoid primitive."""
    aval = ShapedArray((), np.dtype(dtype))
    try:
        ir, closure = trace_to_ir(lambda a, b: [computation(a, b)], [aval, aval])
    except Exception:  # not elementwise on two arrays (a pytree reducer, say)
        return None
    if closure or len(ir.eqns) != 1:
        return None
    (e,) = ir.eqns
    ins = {id(v) for v in e.inputs}
    if e.prim.name in _MONOIDS and ins == {id(v) for v in ir.invars} and ir.outs[0] is e.outs[0]:
        return e.prim.name
    return None


def _identity(name: str, dtype):
    dtype = np.dtype(dtype)
    table = {
        "add": 0,
        "mul": 1,
        "or": 0,
        "xor": 0,
        "and": -1,
        "max": _lowest(dtype),
        "min": _highest(dtype),
    }
    return np.asarray(table[name]).astype(dtype)


_REDUCERS = {
    "add": rd.reduce_sum,
    "mul": rd.reduce_prod,
    "max": rd.reduce_max,
    "min": rd.reduce_min,
}
_BINOPS = {
    "add": ew.add,
    "mul": ew.mul,
    "max": ew.max,
    "min": ew.min,
    "and": ew.and_,
    "or": ew.or_,
    "xor": ew.xor,
}


def _monoid_reduce(name, x, axes):
    if name in _REDUCERS and not any(shape_of(x)[a] == 0 for a in axes):
        return _REDUCERS[name](x, axes=axes)
    return fold_axes(x, axes, _BINOPS[name], _identity(name, dtype_of(x)))


def _is_identity(init, name) -> bool:
    return type(init) is np.ndarray and bool(np.all(init == _identity(name, init.dtype)))


def _flat_pair(operands, init_values, what: str):
    xs, t1 = tree.flatten(operands)
    inits, t2 = tree.flatten(init_values)
    if t1 != t2:
        raise ValueError(
            f"Operands must have the same tree structure as init_values: {t1} vs. {t2}"
        )
    xs = [_arr(x) for x in xs]
    out = []
    for x, v in zip(xs, inits):
        v = np.asarray(v, dtype_of(x)) if type(v) in (int, float, bool) else _arr(v)
        out.append(v)
    return xs, out, t1


def reduce(operands, init_values, computation: Callable, dimensions, out_sharding=None):
    """Reduce `dimensions` with computation(acc, x) from init_values (pytrees allowed).
    A monoid (add, mul, max, min, bitwise and/or/xor) is one reduction; any other
    computation is folded in order, acc = computation(acc, x_k), over the elements."""
    xs, inits, t = _flat_pair(operands, init_values, "reduce")
    for v in inits:
        if shape_of(v) != ():
            raise ValueError(f"reduce found non-scalar initial value: {shape_of(v)}")
    axes = tuple(sorted(_axes(dimensions, len(shape_of(xs[0])), "axes")))
    name = _monoid(computation, dtype_of(xs[0])) if len(xs) == 1 else None
    if name is not None:
        (x,), (v,) = xs, inits
        out = _monoid_reduce(name, x, axes)
        out = out if _is_identity(v, name) else _BINOPS[name](v, out)
        return tree.unflatten(t, [out])
    shp = shape_of(xs[0])
    kept = tuple(i for i in range(len(shp)) if i not in axes)
    m = math.prod(shp[a] for a in axes)
    lead = tuple(shp[i] for i in kept)
    flat = [sh.reshape(sh.transpose(x, perm=kept + axes), new_sizes=lead + (m,)) for x in xs]
    acc = [sh.broadcast_in_dim(v, shape=lead, broadcast_dimensions=()) for v in inits]
    last = len(lead)
    for k in range(m):
        col = [
            sh.squeeze(
                sh.slice(f, start_indices=(0,) * last + (k,), limit_indices=lead + (k + 1,)),
                dimensions=(last,),
            )
            for f in flat
        ]
        acc = tree.leaves(computation(tree.unflatten(t, acc), tree.unflatten(t, col)))
    return tree.unflatten(t, acc)


def reduce_window(
    operand,
    init_value,
    computation: Callable,
    window_dimensions,
    window_strides=None,
    padding="VALID",
    base_dilation=None,
    window_dilation=None,
):
    """Reduce each window of the (padded, base-dilated) operand with computation, from
    init_value (which also fills the padding), as XLA's ReduceWindow."""
    xs, inits, t = _flat_pair(operand, init_value, "reduce_window")
    if any(shape_of(v) != () for v in inits):
        raise TypeError(
            "reduce_window expected init_values to be scalars but init_values have shapes "
            f"{[shape_of(v) for v in inits]}."
        )
    shp = shape_of(xs[0])
    nd = len(shp)
    dims = static_shape(window_dimensions)
    strides = (1,) * nd if window_strides is None else static_shape(window_strides)
    bd = (1,) * nd if base_dilation is None else static_shape(base_dilation)
    wd = (1,) * nd if window_dilation is None else static_shape(window_dilation)
    for name, v in (
        ("window_dimensions", dims),
        ("window_strides", strides),
        ("base_dilation", bd),
        ("window_dilation", wd),
    ):
        if len(v) != nd:
            raise TypeError(f"reduce_window {name} must have {nd} entries, got {v}")
        if any(d < 1 for d in v):
            raise TypeError(
                f"reduce_window {name} must have every element be greater than 0, got {v}."
            )
    check = computation(tree.unflatten(t, inits), tree.unflatten(t, inits))
    if tree.structure(check) != t:
        raise ValueError(
            "reduce_window output must have the same tree structure as the operands "
            f"{t} vs. {tree.structure(check)}"
        )
    if isinstance(padding, str):
        eff = [(k - 1) * d + 1 for k, d in zip(dims, wd)]
        pads = padtype_to_pads(shp, eff, strides, padding)
    else:
        pads = _pairs(padding, nd, "reduce_window")
    config = tuple((lo, hi, b - 1) for (lo, hi), b in zip(pads, bd))

    def windows(x, fill):
        return _window_slices(sh.pad(x, fill, padding_config=config), dims, strides, wd)

    # padding and base-dilation holes take no part (XLA skips them): a monoid pads with its
    # identity, any other computation is folded only where the window sees a real element
    name = _monoid(computation, dtype_of(xs[0])) if len(xs) == 1 else None
    if name is not None:
        (x,), (v,) = xs, inits
        stacked = _stack(windows(x, _identity(name, dtype_of(x))), axis=nd)
        out = _monoid_reduce(name, stacked, (nd,))
        out = out if _is_identity(v, name) else _BINOPS[name](v, out)
        return tree.unflatten(t, [out])
    real = windows(np.ones(shp, bool), np.asarray(False))
    cols = [windows(x, v) for x, v in zip(xs, inits)]
    acc = [sh.broadcast_in_dim(v, shape=shape_of(real[0]), broadcast_dimensions=()) for v in inits]
    for k, mask in enumerate(real):
        new = tree.leaves(
            computation(tree.unflatten(t, acc), tree.unflatten(t, [c[k] for c in cols]))
        )
        acc = new if mask.all() else [ew.select(mask, n, a) for n, a in zip(new, acc)]
    return tree.unflatten(t, acc)


# ---------------------------------------------------------------------------


# associative_scan (Blelloch's odd/even recursion) and cumlogsumexp


def _interleave(a, b, axis: int):
    """a at even positions, b at odd positions along axis (len(a) - len(b) is 0 or 1)."""
    na, nb = shape_of(a)[axis], shape_of(b)[axis]
    total = na + nb
    nd = len(shape_of(a))

    def spread(x, lo, count):
        config = [(0, 0, 0)] * nd
        config[axis] = (lo, total - lo - (2 * count - 1 if count else 0), 1)
        return sh.pad(x, np.zeros((), dtype_of(x)), padding_config=tuple(config))

    even = sh.iota(dtype=np.dtype(np.int64), shape=(total,), dimension=0) % 2 == 0
    mask = sh.broadcast_in_dim(even, shape=shape_of(spread(a, 0, na)), broadcast_dimensions=(axis,))
    return ew.select(mask, spread(a, 0, na), spread(b, 1, nb))


def associative_scan(fn: Callable, elems, reverse: bool = False, axis: int = 0):
    """Inclusive scan of the associative fn(a, b) over `axis` of the pytree elems, with
    log-depth: combine pairs, scan the half recursively, then fill in the even places."""
    if not callable(fn):
        raise TypeError("lax.associative_scan: fn argument should be callable.")
    leaves, t = tree.flatten(elems)
    leaves = [_arr(x) for x in leaves]
    axis = _axes([axis], len(shape_of(leaves[0])))[0]
    n = shape_of(leaves[0])[axis]
    if any(shape_of(x)[axis] != n for x in leaves):
        raise ValueError(
            "Array inputs to associative_scan must have the same first dimension. (saw: "
            f"{[shape_of(x) for x in leaves]})"
        )

    def combine(a, b):
        return tree.leaves(fn(tree.unflatten(t, a), tree.unflatten(t, b)))

    def part(xs, start, stop, step=1):
        out = []
        for x in xs:
            shp = shape_of(x)
            lo, hi, st = [0] * len(shp), list(shp), [1] * len(shp)
            lo[axis], hi[axis], st[axis] = start, stop, step
            out.append(sh.slice(x, start_indices=lo, limit_indices=hi, strides=st))
        return out

    def scan(xs):
        m = shape_of(xs[0])[axis]
        if m < 2:
            return xs
        odd = scan(combine(part(xs, 0, m - 1, 2), part(xs, 1, m, 2)))
        rest = part(xs, 2, m, 2)
        even = combine(part(odd, 0, shape_of(odd[0])[axis] - 1) if m % 2 == 0 else odd, rest)
        even = [sh.concatenate(f, e, dimension=axis) for f, e in zip(part(xs, 0, 1), even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    if reverse:
        leaves = [sh.rev(x, dimensions=(axis,)) for x in leaves]
    out = scan(leaves)
    if reverse:
        out = [sh.rev(x, dimensions=(axis,)) for x in out]
    return tree.unflatten(t, out)


def _logaddexp(a, b):
    big = ew.max(a, b)
    d = ew.sub(a, b)
    out = ew.add(big, ew.log1p(ew.exp(ew.neg(ew.abs(d)))))
    return ew.select(ew.ne(d, d), ew.add(a, b), out)  # both -inf (or a nan): no nan from d


def cumlogsumexp(operand, axis: int = 0, reverse: bool = False):
    """log(cumsum(exp(x))) along axis, computed stably (a log-depth associative scan)."""
    x = _arr(operand)
    if dtype_of(x).kind != "f":
        raise TypeError(f"cumlogsumexp does not accept dtype {dtype_of(x).name}")
    with np.errstate(invalid="ignore"):  # -inf - -inf in _logaddexp, replaced by a select
        return associative_scan(_logaddexp, x, reverse=reverse, axis=axis)


# ---------------------------------------------------------------------------
# implicit differentiation: the derivative of a solution comes from the equation it
# solves, not from the solver's iterations (which need not be differentiable)


def custom_root(
    f: Callable, initial_guess, solve: Callable, tangent_solve: Callable, has_aux=False
):
    """x = solve(f, initial_guess) with f(x) = 0, differentiated implicitly: with f's
    closed-over values θ, dx = -(∂f/∂x)⁻¹ ∂f/∂θ dθ, the inverse applied by
    tangent_solve(g, y) for the linear map g = ∂f/∂x. Values that only `solve` closes
    over get no derivative."""
    from .custom import custom_jvp

    f_conv, f_consts = closure_convert(f, initial_guess)
    s_conv, s_consts = closure_convert(lambda g: solve(f, g), initial_guess)
    ns = len(s_consts)
    root = custom_jvp(lambda guess, *cs: s_conv(guess, *cs[:ns]))

    @root.defjvp
    def _root_jvp(primals, tangents):
        guess, *cs = primals
        out = root(guess, *cs)
        sol, aux = out if has_aux else (out, None)
        fc = cs[ns:]
        _, df = jvp(lambda *c: f_conv(sol, *c), tuple(fc), tuple(tangents[1 + ns :]))

        def lin(v):
            return jvp(lambda x: f_conv(x, *fc), (sol,), (v,))[1]

        dsol = tangent_solve(lin, tree.map(ew.neg, df))
        return out, ((dsol, tree.map(_zeros_like, aux)) if has_aux else dsol)

    return root(initial_guess, *s_consts, *f_consts)


def custom_linear_solve(
    matvec: Callable, b, solve: Callable, transpose_solve=None, symmetric=False, has_aux=False
):
    """x = solve(matvec, b) for the linear map matvec, differentiated implicitly: with
    matvec's closed-over values θ, dx = solve(matvec, db - (∂matvec/∂θ dθ) x). Reverse
    mode transposes the solve applied to the tangent, so it needs `solve` written with
    transposable operations (tracejit.numpy.linalg.solve is; a while_loop is not);
    transpose_solve and symmetric are accepted for JAX compatibility."""
    from .custom import custom_jvp

    mv_conv, mv_consts = closure_convert(matvec, b)
    s_conv, s_consts = closure_convert(lambda r: solve(matvec, r), b)
    ns = len(s_consts)
    lin = custom_jvp(lambda rhs, *cs: s_conv(rhs, *cs[:ns]))

    @lin.defjvp
    def _lin_jvp(primals, tangents):
        rhs, *cs = primals
        out = lin(rhs, *cs)
        x, aux = out if has_aux else (out, None)
        mc = cs[ns:]
        _, dmv = jvp(lambda *c: mv_conv(x, *c), tuple(mc), tuple(tangents[1 + ns :]))
        dx = s_conv(tree.map(ew.sub, tangents[0], dmv), *cs[:ns])
        dx = dx[0] if has_aux else dx
        return out, ((dx, tree.map(_zeros_like, aux)) if has_aux else dx)

    return lin(b, *s_consts, *mv_consts)


def _zeros_like(x):
    x = _arr(x)
    return sh.broadcast_in_dim(
        np.zeros((), dtype_of(x)), shape=shape_of(x), broadcast_dimensions=()
    )
