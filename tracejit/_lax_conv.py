"""lax's contractions as composites: dot_general, dot, batch_matmul, and convolutions
(conv_general_dilated and its wrappers); also the window slicing reduce_window shares.

A convolution is patch extraction plus one dot_general: the input is padded (with
interior padding for lhs_dilation), each kernel offset k takes one strided slice of it
(offset k * rhs_dilation, step window_strides), the slices are stacked on a new axis
and contracted with the kernel. reduce_window slices the same way and reduces the
stack. So grad, vmap and jit come from pad, slice, concatenate and dot_general.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple, Sequence

import numpy as np

from ._lax_ops import _arr
from ._lax_shape import _ndim, static_shape
from .ops import dot as dt_
from .ops import elementwise as ew
from .ops import shape as sh
from .ops.common import dtype_of, shape_of

__all__ = (
    "ConvDimensionNumbers batch_matmul conv conv_dimension_numbers conv_general_dilated "
    "conv_general_dilated_local conv_general_dilated_patches conv_general_permutations "
    "conv_general_shape_tuple conv_shape_tuple conv_transpose conv_with_general_padding "
    "dot dot_general padtype_to_pads reduce_window_shape_tuple"
).split()


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


# dot products (`precision` is accepted and ignored: CPU products are exact in their dtype)


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None, **kw):
    x, y = _arr(lhs), _arr(rhs)
    if dtype_of(x) != dtype_of(y):  # mixed inputs compute in their common type
        common = np.result_type(dtype_of(x), dtype_of(y))
        x, y = (ew.convert_element_type(v, new_dtype=common) for v in (x, y))
    (xc, yc), (xb, yb) = dimension_numbers
    xc, yc, xb, yb = (tuple(int(d) for d in np.asarray(a).reshape(-1)) for a in (xc, yc, xb, yb))
    xs, ys = shape_of(x), shape_of(y)
    for kind, a, b in (("contracting", xc, yc), ("batch", xb, yb)):
        if len(a) != len(b):
            raise TypeError(
                f"dot_general requires equal numbers of lhs and rhs {kind} dimensions, got "
                f"lhs {kind} dimensions {a} and rhs {kind} dimensions {b}."
            )
        for dims, s in ((a, xs), (b, ys)):
            if any(not 0 <= d < len(s) for d in dims):
                raise TypeError(
                    f"dot_general requires {kind} dimensions to be in range, got {dims} for "
                    f"shape {s}"
                )
        if tuple(xs[i] for i in a) != tuple(ys[j] for j in b):
            raise TypeError(
                f"dot_general requires {kind} dimensions to have the same shape, got "
                f"{tuple(xs[i] for i in a)} and {tuple(ys[j] for j in b)}."
            )
    return dt_.dot_general(
        x, y, dimension_numbers=((xc, yc), (xb, yb)), preferred_element_type=preferred_element_type
    )


def dot(lhs, rhs, *, dimension_numbers=None, precision=None, preferred_element_type=None, **kw):
    """Vector/matrix products: contract the last axis of lhs with the first of rhs."""
    if dimension_numbers is not None:
        return dot_general(lhs, rhs, dimension_numbers, precision, preferred_element_type)
    x, y = _arr(lhs), _arr(rhs)
    if _ndim(x) in (1, 2) and _ndim(y) in (1, 2) and shape_of(x)[-1] == shape_of(y)[0]:
        dn = (((_ndim(x) - 1,), (0,)), ((), ()))
        return dot_general(x, y, dn, precision, preferred_element_type)
    raise TypeError(f"Incompatible shapes for dot: got {shape_of(x)} and {shape_of(y)}.")


def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over the last two axes, batched over the leading ones."""
    x, y = _arr(lhs), _arr(rhs)
    nd = _ndim(x)
    if nd < 2 or _ndim(y) != nd or shape_of(x)[:-2] != shape_of(y)[:-2]:
        raise ValueError(
            "batch_matmul requires operands of the same rank >= 2 and the same batch "
            f"dimensions, got {shape_of(x)} and {shape_of(y)}"
        )
    batch = tuple(range(nd - 2))
    return dot_general(x, y, (((nd - 1,), (nd - 2,)), (batch, batch)), precision)
