"""lax's windowed operations as composites: convolutions (conv_general_dilated and its
wrappers), reduce_window, generic reduce, associative_scan and cumlogsumexp.

A convolution is patch extraction plus one dot_general: the input is padded (with
interior padding for lhs_dilation), each kernel offset k takes one strided slice of it
(offset k * rhs_dilation, step window_strides), the slices are stacked on a new axis
and contracted with the kernel. reduce_window slices the same way and reduces the
stack. So grad, vmap and jit come from pad, slice, concatenate and dot_general.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, NamedTuple, Sequence

import numpy as np

from . import tree
from ._lax_ops import _arr
from ._lax_shape import _axes, _highest, _lowest, fold_axes, static_shape
from .ir import ShapedArray
from .ops import dot as dt_
from .ops import elementwise as ew
from .ops import reduce as rd
from .ops import shape as sh
from .ops.common import dtype_of, shape_of
from .trace import trace_to_ir

__all__ = [
    "ConvDimensionNumbers",
    "associative_scan",
    "conv",
    "conv_dimension_numbers",
    "conv_general_dilated",
    "conv_general_dilated_local",
    "conv_general_dilated_patches",
    "conv_general_permutations",
    "conv_general_shape_tuple",
    "conv_shape_tuple",
    "conv_transpose",
    "conv_with_general_padding",
    "cumlogsumexp",
    "padtype_to_pads",
    "reduce",
    "reduce_window",
    "reduce_window_shape_tuple",
]


class ConvDimensionNumbers(NamedTuple):
    """Axis numbers: lhs (batch, feature, spatial...), rhs (out feature, in feature,
    spatial...), out (batch, feature, spatial...)."""

    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple


# ---------------------------------------------------------------------------
# padding and dimension numbers


def padtype_to_pads(in_shape, window_shape, window_strides, padding) -> list:
    """'VALID', 'SAME' or 'SAME_LOWER' as (low, high) pads per spatial axis; SAME puts an
    odd extra pad at the end, SAME_LOWER at the start."""
    kind = getattr(padding, "name", padding)
    if not isinstance(kind, str) or kind.upper() not in ("VALID", "SAME", "SAME_LOWER"):
        raise ValueError(
            f"Unrecognized padding type: expected 'VALID', 'SAME', or 'SAME_LOWER', got {padding}."
        )
    kind = kind.upper()
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    pads = []
    for n, k, s in zip(in_shape, window_shape, window_strides):
        n, k, s = int(n), int(k), int(s)
        total = max((-(-n // s) - 1) * s + k - n, 0)
        small, big = total // 2, total - total // 2
        pads.append((small, big) if kind == "SAME" else (big, small))
    return pads


def _pairs(padding, n: int, what: str) -> list:
    try:
        pairs = [(int(lo), int(hi)) for lo, hi in padding]
    except (TypeError, ValueError):
        raise ValueError(
            f"padding argument to {what} should be a string or a sequence of (low, high) "
            f"pairs, got {tuple(padding)}"
        ) from None
    if len(pairs) != n:
        raise ValueError(f"{what}: expected {n} (low, high) padding pairs, got {len(pairs)}")
    return pairs


def conv_general_permutations(dimension_numbers):
    """String specs ('NCHW', 'OIHW', 'NCHW') as axis permutations to canonical order;
    spatial axes are ordered as they appear in the rhs spec."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    for spec, (a, b) in zip(dimension_numbers, (("N", "C"), ("O", "I"), ("N", "C"))):
        if spec.count(a) != 1 or spec.count(b) != 1 or len(set(spec)) != len(spec):
            raise TypeError(
                f"convolution dimension_numbers {dimension_numbers}: each spec needs one "
                f"'{a}' and one '{b}' and no repeated characters"
            )
    spatial = set(rhs_spec) - {"O", "I"}
    if set(lhs_spec) - {"N", "C"} != spatial or set(out_spec) - {"N", "C"} != spatial:
        raise TypeError(
            f"convolution dimension_numbers {dimension_numbers}: the spatial characters "
            "of lhs, rhs and out must be the same"
        )

    def perm(spec, pair):
        sp = [i for i, c in enumerate(spec) if c not in pair]
        if spec is not rhs_spec:
            sp.sort(key=lambda i: rhs_spec.index(spec[i]))
        return (spec.index(pair[0]), spec.index(pair[1])) + tuple(sp)

    return (perm(lhs_spec, "NC"), perm(rhs_spec, "OI"), perm(out_spec, "NC"))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    if dimension_numbers is None:
        iota = tuple(range(len(lhs_shape)))
        return ConvDimensionNumbers(iota, iota, iota)
    if len(dimension_numbers) == 3 and all(isinstance(s, str) for s in dimension_numbers):
        if not all(len(s) == len(lhs_shape) for s in dimension_numbers):
            raise TypeError(
                f"convolution dimension_numbers {dimension_numbers} must each have "
                f"{len(lhs_shape)} characters for operands of rank {len(lhs_shape)}"
            )
        return ConvDimensionNumbers(*conv_general_permutations(dimension_numbers))
    return ConvDimensionNumbers(*(tuple(int(d) for d in s) for s in dimension_numbers))


def _out_size(n: int, k: int, s: int) -> int:
    return max((n - k) // s + 1, 0) if n >= k else 0


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count=1):
    """The output shape of a conv with canonical (N, C, spatial...) layouts."""
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    space = tuple(
        _out_size(n + lo + hi, k, s)
        for n, k, s, (lo, hi) in zip(lhs_shape[2:], rhs_shape[2:], strides, pads)
    )
    return (lhs_shape[0] // batch_group_count, rhs_shape[0]) + space


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    lhs_t, rhs_t = np.take(lhs_shape, dn.lhs_spec), np.take(rhs_shape, dn.rhs_spec)
    out = conv_shape_tuple(lhs_t, rhs_t, window_strides, padding)
    return tuple(int(d) for d in np.take(out, np.argsort(dn.out_spec)))


def reduce_window_shape_tuple(
    operand_shape,
    window_dimensions,
    window_strides,
    padding,
    base_dilation=None,
    window_dilation=None,
):
    nd = len(operand_shape)
    bd, wd = base_dilation or (1,) * nd, window_dilation or (1,) * nd
    shape = [(n - 1) * b + 1 if n else 0 for n, b in zip(operand_shape, bd)]
    win = [(k - 1) * d + 1 for k, d in zip(window_dimensions, wd)]
    if isinstance(padding, str):
        padding = padtype_to_pads(operand_shape, win, window_strides, padding)
    return tuple(
        _out_size(n + lo + hi, k, s)
        for n, k, s, (lo, hi) in zip(shape, win, window_strides, padding)
    )


# ---------------------------------------------------------------------------
# windows: one strided slice of the padded operand per window offset


def _window_slices(x, window, strides, dilation, lead: int = 0) -> list:
    """For each offset k of `window` (row-major) over the trailing axes of x after `lead`
    leading axes: the strided slice x[..., k*dilation :: strides] of output length."""
    shp = shape_of(x)
    space = shp[lead:]
    eff = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    out = [_out_size(n, e, s) for n, e, s in zip(space, eff, strides)]
    slices = []
    for k in itertools.product(*[range(w) for w in window]):
        start = [min(i * d, n) for i, d, n in zip(k, dilation, space)]
        limit = [st + (o - 1) * s + 1 if o else st for st, o, s in zip(start, out, strides)]
        slices.append(
            sh.slice(
                x,
                start_indices=(0,) * lead + tuple(start),
                limit_indices=shp[:lead] + tuple(limit),
                strides=(1,) * lead + tuple(strides),
            )
        )
    return slices


def _stack(xs, axis: int):
    return sh.concatenate(*[sh.expand_dims(x, dimensions=(axis,)) for x in xs], dimension=axis)


# ---------------------------------------------------------------------------
# convolution


def conv_general_dilated(
    lhs,
    rhs,
    window_strides: Sequence[int],
    padding,
    lhs_dilation=None,
    rhs_dilation=None,
    dimension_numbers=None,
    feature_group_count: int = 1,
    batch_group_count: int = 1,
    precision=None,
    preferred_element_type=None,
    out_sharding=None,
):
    """XLA's ConvWithGeneralDimensions: see the module docstring for how it is built."""
    x, w = _arr(lhs), _arr(rhs)
    if len(shape_of(x)) != len(shape_of(w)):
        raise ValueError(
            "conv_general_dilated lhs and rhs must have the same number of dimensions, but "
            f"got {shape_of(x)} and {shape_of(w)}."
        )
    dn = conv_dimension_numbers(shape_of(x), shape_of(w), dimension_numbers)
    nsp = len(shape_of(x)) - 2
    strides = static_shape(window_strides)
    if len(strides) != nsp:
        raise ValueError(
            "conv_general_dilated window and window_strides must have the same number of "
            f"dimensions, but got {nsp} and {len(strides)}"
        )
    ld = (1,) * nsp if lhs_dilation is None else static_shape(lhs_dilation)
    rdil = (1,) * nsp if rhs_dilation is None else static_shape(rhs_dilation)
    if dtype_of(x) != dtype_of(w):
        common = np.result_type(dtype_of(x), dtype_of(w))
        x, w = (ew.convert_element_type(v, new_dtype=common) for v in (x, w))
    xt, wt = sh.transpose(x, perm=dn.lhs_spec), sh.transpose(w, perm=dn.rhs_spec)
    (n, c), (o, i), kernel = shape_of(xt)[:2], shape_of(wt)[:2], shape_of(wt)[2:]
    g, b = int(feature_group_count), int(batch_group_count)
    _check_groups(n, c, o, i, g, b)
    if isinstance(padding, str):
        dilated = [(m - 1) * d + 1 if m else 0 for m, d in zip(shape_of(xt)[2:], ld)]
        eff = [(k - 1) * d + 1 for k, d in zip(kernel, rdil)]
        pads = padtype_to_pads(dilated, eff, strides, padding)
    else:
        pads = _pairs(padding, nsp, "conv_general_dilated")
    config = ((0, 0, 0),) * 2 + tuple((lo, hi, d - 1) for (lo, hi), d in zip(pads, ld))
    xp = sh.pad(xt, np.zeros((), dtype_of(xt)), padding_config=config)
    patches = _stack(_window_slices(xp, kernel, strides, rdil, lead=2), axis=2)
    out = _contract(patches, wt, g, b, preferred_element_type)  # (N', O, spatial...)
    return sh.transpose(out, perm=tuple(np.argsort(dn.out_spec).tolist()))


def _check_groups(n, c, o, i, g, b):
    if g < 1 or b < 1:
        raise ValueError(
            "conv_general_dilated feature_group_count and batch_group_count must be >= 1"
        )
    if g > 1 and b > 1:
        raise ValueError(
            "At most one of batch_group_count and feature_group_count may be > 1, got "
            f"batch_group_count={b} and feature_group_count={g}"
        )
    if c % g or c // g != i:
        raise ValueError(
            "conv_general_dilated lhs feature dimension size divided by feature_group_count "
            f"must equal the rhs input feature dimension size, but {c} // {g} != {i}."
        )
    if o % (g * b) or n % b:
        raise ValueError(
            f"conv_general_dilated: rhs output features {o} must be a multiple of the group "
            f"count, and lhs batch {n} a multiple of batch_group_count={b}"
        )


def _contract(patches, wt, g: int, b: int, pet):
    """patches (N, C, K, out...) with kernel (O, I, spatial...) -> (N / b, O, out...).

    Feature group j pairs lhs features [j*I, (j+1)*I) with output features [j*O/g, ...);
    batch group j pairs lhs batch rows [j*N/b, ...) with output features [j*O/b, ...).
    Groups become a dot_general batch axis."""
    shp = shape_of(patches)
    n, c, k, space = shp[0], shp[1], shp[2], shp[3:]
    o, i = shape_of(wt)[:2]
    nsp = len(space)
    if g == b == 1:
        wr = sh.reshape(wt, new_sizes=(o, i, k))
        out = dt_.dot_general(
            patches,
            wr,
            dimension_numbers=(((1, 2), (1, 2)), ((), ())),
            preferred_element_type=pet,
        )  # (N, out..., O)
        return sh.transpose(out, perm=(0, 1 + nsp) + tuple(range(1, 1 + nsp)))
    groups = g * b
    if b > 1:
        p = sh.reshape(patches, new_sizes=(b, n // b, c, k) + space)
    else:
        p = sh.reshape(patches, new_sizes=(n, g, i, k) + space)
        p = sh.transpose(p, perm=(1, 0) + tuple(range(2, 4 + nsp)))
    wr = sh.reshape(wt, new_sizes=(groups, o // groups, i, k))
    dn = (((2, 3), (2, 3)), ((0,), (0,)))
    out = dt_.dot_general(p, wr, dimension_numbers=dn, preferred_element_type=pet)
    # (groups, N', out..., O / groups) -> (N', groups, O / groups, out...) -> (N', O, out...)
    out = sh.transpose(out, perm=(1, 0, 2 + nsp) + tuple(range(2, 2 + nsp)))
    return sh.reshape(out, new_sizes=(shape_of(out)[0], o) + space)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    return conv_general_dilated(
        lhs, rhs, window_strides, padding, preferred_element_type=preferred_element_type
    )


def conv_with_general_padding(
    lhs,
    rhs,
    window_strides,
    padding,
    lhs_dilation,
    rhs_dilation,
    precision=None,
    preferred_element_type=None,
):
    return conv_general_dilated(
        lhs,
        rhs,
        window_strides,
        padding,
        lhs_dilation,
        rhs_dilation,
        preferred_element_type=preferred_element_type,
    )


def _transpose_pads(k: int, s: int, padding):
    """(low, high) padding of the lhs-dilated input for a transposed convolution."""
    if padding == "SAME":
        total = k + s - 2
        lo = k - 1 if s > k - 1 else int(np.ceil(total / 2))
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        lo = k - 1
    else:
        lo, hi = (k - p - 1 for p in padding)
        total = lo + hi
    return lo, total - lo


def conv_transpose(
    lhs,
    rhs,
    strides,
    padding,
    rhs_dilation=None,
    dimension_numbers=None,
    transpose_kernel: bool = False,
    precision=None,
    preferred_element_type=None,
    use_consistent_padding: bool = False,
):
    """A fractionally strided convolution (the input dilated by `strides`), as JAX's."""
    x, w = _arr(lhs), _arr(rhs)
    nd = len(shape_of(x))
    if dimension_numbers is None:
        defaults = {
            2: ("NC", "IO", "NC"),
            3: ("NHC", "HIO", "NHC"),
            4: ("NHWC", "HWIO", "NHWC"),
            5: ("NHWDC", "HWDIO", "NHWDC"),
        }
        if nd not in defaults:
            raise ValueError("No 4+ dimensional dimension_number defaults.")
        dimension_numbers = defaults[nd]
    dn = conv_dimension_numbers(shape_of(x), shape_of(w), dimension_numbers)
    kernel = np.take(shape_of(w), dn.rhs_spec)[2:]
    strides = static_shape(strides)
    rdil = (1,) * (nd - 2) if rhs_dilation is None else static_shape(rhs_dilation)
    if use_consistent_padding or padding in ("SAME", "VALID"):
        eff = [(k - 1) * r + 1 for k, r in zip(kernel, rdil)]
        per = [padding] * len(strides) if isinstance(padding, str) else [tuple(p) for p in padding]
        pads = [_transpose_pads(k, s, p) for k, s, p in zip(eff, strides, per)]
    else:
        pads = padding
    if transpose_kernel:  # flip the spatial axes, swap the feature axes
        w = sh.rev(w, dimensions=tuple(dn.rhs_spec[2:]))
        perm = list(range(nd))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = dn.rhs_spec[1], dn.rhs_spec[0]
        w = sh.transpose(w, perm=tuple(perm))
    return conv_general_dilated(
        x,
        w,
        (1,) * (nd - 2),
        pads,
        strides,
        rdil,
        dn,
        preferred_element_type=preferred_element_type,
    )


def conv_general_dilated_patches(
    lhs,
    filter_shape,
    window_strides,
    padding,
    lhs_dilation=None,
    rhs_dilation=None,
    dimension_numbers=None,
    precision=None,
    preferred_element_type=None,
):
    """The patches a convolution would see, flattened into the feature axis in the order
    (input feature, then filter offsets in rhs-spec order)."""
    x = _arr(lhs)
    filter_shape = static_shape(filter_shape)
    dn = conv_dimension_numbers(shape_of(x), (1, 1) + filter_shape, dimension_numbers)
    n_feat = shape_of(x)[dn.lhs_spec[1]]
    k = math.prod(filter_shape)
    eye = np.eye(k, dtype=dtype_of(x))
    w = np.broadcast_to(eye, (n_feat, k, k)).reshape((n_feat * k, 1) + filter_shape)
    w = np.moveaxis(w, (0, 1), (dn.rhs_spec[0], dn.rhs_spec[1]))
    return conv_general_dilated(
        x,
        w,
        window_strides,
        padding,
        lhs_dilation,
        rhs_dilation,
        dn,
        feature_group_count=n_feat,
        preferred_element_type=preferred_element_type,
    )


def conv_general_dilated_local(
    lhs,
    rhs,
    window_strides,
    padding,
    filter_shape,
    lhs_dilation=None,
    rhs_dilation=None,
    dimension_numbers=None,
    precision=None,
):
    """An unshared convolution: rhs holds one kernel per output position."""
    x, w = _arr(lhs), _arr(rhs)
    patches = conv_general_dilated_patches(
        x,
        filter_shape,
        window_strides,
        padding,
        lhs_dilation,
        rhs_dilation,
        dimension_numbers,
    )
    _, rhs_spec, out_spec = conv_dimension_numbers(
        shape_of(x), (1, 1) + static_shape(filter_shape), dimension_numbers
    )
    out_b, rhs_b = list(out_spec[2:]), list(rhs_spec[2:])
    rhs_b = [rhs_b[i] for i in sorted(range(len(rhs_b)), key=lambda j: out_b[j])]
    dn = (((out_spec[1],), (rhs_spec[1],)), (tuple(sorted(out_b)), tuple(rhs_b)))
    out = dt_.dot_general(patches, w, dimension_numbers=dn)
    # out: (spatial in out order..., N, O) -> out_spec layout
    nd = len(shape_of(out))
    src = [nd - 2, nd - 1]
    perm = [i for i in range(nd) if i not in src]
    for dst, s in sorted(zip((out_spec[0], out_spec[1]), src)):
        perm.insert(dst, s)
    return sh.transpose(out, perm=tuple(perm))


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
    return associative_scan(_logaddexp, x, reverse=reverse, axis=axis)
