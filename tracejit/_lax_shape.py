"""lax's structural functions: broadcasting, reshaping, padding, static and dynamic
slicing, selection and sorting, with JAX's signatures and errors. See _lax_ops.py for
the operand rules."""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from ._lax_ops import _arr, accept, convert_element_type, lit, same_dtypes
from .ops import elementwise as ew
from .ops import indexing as ix
from .ops import shape as sh
from .ops import sort as so
from .ops.common import dtype_of, shape_of
from .trace import Tracer

__all__ = (
    "broadcast broadcast_in_dim broadcast_shapes broadcast_to_rank broadcasted_iota "
    "collapse concatenate dynamic_index_in_dim dynamic_slice dynamic_slice_in_dim "
    "dynamic_update_index_in_dim dynamic_update_slice dynamic_update_slice_in_dim empty "
    "expand_dims full full_like index_in_dim iota optimization_barrier pad reshape rev "
    "select select_n slice slice_in_dim sort sort_key_val split squeeze stack tile top_k "
    "transpose unstack"
).split()


def _ndim(x) -> int:
    return len(shape_of(x))


def _axis(axis, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def _axes(axes, ndim: int, what: str = "axes") -> tuple:
    out = tuple(_axis(a, ndim) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in '{what}': {tuple(axes)}")
    return out


def static_shape(shape) -> tuple:
    """A shape argument as a tuple of Python ints, or JAX's TypeError."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    bad = TypeError(
        f"Shapes must be 1D sequences of concrete values of integer type, got {shape!r}."
    )
    try:
        dims = tuple(shape)
    except TypeError:
        raise bad from None
    for d in dims:
        if type(d) is Tracer or np.ndim(d) != 0 or np.asarray(d).dtype.kind not in "iu":
            raise bad
    return tuple(int(d) for d in dims)


def _shift_last(x, axis: int):
    """A permutation moving `axis` last, and its inverse."""
    nd = _ndim(x)
    perm = tuple(i for i in range(nd) if i != axis) + (axis,)
    return perm, tuple(np.argsort(perm).tolist())


# ---------------------------------------------------------------------------
# broadcasting, constants, reshaping


def broadcast_in_dim(operand, shape, broadcast_dimensions, *, out_sharding=None):
    x = _arr(operand)
    shape, bd = static_shape(shape), tuple(int(d) for d in broadcast_dimensions)
    xs, nd = shape_of(x), _ndim(x)
    pre = "broadcast_in_dim"
    if len(bd) != nd:
        raise TypeError(
            f"{pre} broadcast_dimensions must have length equal to operand ndim; got "
            f"broadcast_dimensions {bd} for operand ndim {nd}."
        )
    if len(shape) < nd:
        raise TypeError(
            f"{pre} target broadcast shape must have equal or higher rank to the operand "
            f"shape; got operand ndim {nd} and target broadcast ndim {len(shape)}."
        )
    if not set(bd) <= set(range(len(shape))):
        raise TypeError(
            f"{pre} broadcast_dimensions must be a subset of output dimensions, got {bd} "
            f"for operand ndim {nd} and shape {shape}."
        )
    if any(xs[i] not in (1, shape[d]) for i, d in enumerate(bd)):
        raise TypeError(
            f"{pre} operand dimension sizes must either be 1, or be equal to their "
            f"corresponding dimensions in the target broadcast shape; got operand of shape "
            f"{xs}, target broadcast shape {shape}, broadcast_dimensions {bd} "
        )
    if any(a >= b for a, b in zip(bd, bd[1:])):
        raise TypeError(
            f"{pre} broadcast_dimensions must be strictly increasing; got broadcast_dimensions {bd}"
        )
    return sh.broadcast_in_dim(x, shape=shape, broadcast_dimensions=bd)


def broadcast(operand, sizes, *, out_sharding=None):
    """Add leading axes of the given sizes."""
    x, sizes = _arr(operand), static_shape(sizes)
    nd = _ndim(x)
    dims = tuple(range(len(sizes), len(sizes) + nd))
    return sh.broadcast_in_dim(x, shape=sizes + shape_of(x), broadcast_dimensions=dims)


def broadcast_to_rank(x, rank: int):
    x = _arr(x)
    return broadcast(x, (1,) * builtins.max(int(rank) - _ndim(x), 0))


def broadcast_shapes(*shapes):
    return tuple(int(d) for d in np.broadcast_shapes(*[static_shape(s) for s in shapes]))


def iota(dtype, size: int):
    return sh.iota(dtype=np.dtype(dtype), shape=(int(size),), dimension=0)


def broadcasted_iota(dtype, shape, dimension: int, *, out_sharding=None):
    shape = static_shape(shape)
    return sh.iota(dtype=np.dtype(dtype), shape=shape, dimension=_axis(dimension, len(shape)))


def full(shape, fill_value, dtype=None, *, sharding=None):
    shape = static_shape(shape)
    v = _arr(fill_value)
    if shape_of(v) != ():
        raise TypeError(
            f"full must be called with scalar fill_value, got fill_value.shape {shape_of(v)}."
        )
    if dtype is not None:
        v = convert_element_type(v, dtype)
    if type(v) is Tracer:
        return sh.broadcast_in_dim(v, shape=shape, broadcast_dimensions=())
    return np.full(shape, v, dtype=v.dtype)


def full_like(x, fill_value, dtype=None, shape=None, sharding=None):
    x = _arr(x)
    return full(
        shape_of(x) if shape is None else shape,
        fill_value,
        dtype_of(x) if dtype is None else dtype,
    )


def empty(shape, dtype, *, out_sharding=None):
    return np.zeros(static_shape(shape), np.dtype(dtype))


def reshape(operand, new_sizes, dimensions=None, *, out_sharding=None):
    """Reshape (row-major), after transposing by `dimensions` if given."""
    x = _arr(operand)
    new_sizes = static_shape(new_sizes)
    if dimensions is not None:
        x = transpose(x, dimensions)
    if -1 in new_sizes:
        known = math.prod(d for d in new_sizes if d != -1)
        new_sizes = tuple(math.prod(shape_of(x)) // known if d == -1 else d for d in new_sizes)
    if math.prod(new_sizes) != math.prod(shape_of(x)):
        raise TypeError(
            f"reshape total size must be unchanged, got new_sizes {new_sizes} (of total "
            f"size {math.prod(new_sizes)}) for shape {shape_of(x)}"
        )
    return sh.reshape(x, new_sizes=new_sizes)


def collapse(operand, start_dimension: int, stop_dimension: int | None = None):
    """Merge axes [start_dimension, stop_dimension) into one."""
    x = _arr(operand)
    nd, shp = _ndim(x), shape_of(x)
    lo = _axis(start_dimension, nd) if nd else 0
    hi = nd if stop_dimension is None else operator.index(stop_dimension)
    hi = hi + nd if hi < 0 else hi
    if not lo <= hi <= nd:
        raise ValueError(
            f"collapse: bad dimensions [{start_dimension}, {stop_dimension}) for {shp}"
        )
    return sh.reshape(x, new_sizes=shp[:lo] + (math.prod(shp[lo:hi]),) + shp[hi:])


def transpose(operand, permutation):
    x = _arr(operand)
    perm = tuple(int(p) for p in np.asarray(permutation).reshape(-1))
    if sorted(perm) != list(range(_ndim(x))):
        raise TypeError(
            "transpose permutation isn't a permutation of operand dimensions, got "
            f"permutation {perm} for operand shape {shape_of(x)}."
        )
    return sh.transpose(x, perm=perm)


def squeeze(array, dimensions):
    x = _arr(array)
    nd, shp = _ndim(x), shape_of(x)
    dims = [operator.index(d) for d in dimensions]
    for d in dims:
        if not -nd <= d < nd:
            raise ValueError(f"axis {d} is out of bounds for array of dimension {nd}")
    dims = [d % nd for d in dims]
    if len(set(dims)) != len(dims):
        raise ValueError(f"dimensions are not unique: {tuple(dimensions)}")
    if any(shp[d] != 1 for d in dims):
        raise ValueError(
            "cannot select an axis to squeeze out which has size not equal to one, got "
            f"shape={shp} and dimensions={tuple(dims)}"
        )
    return sh.squeeze(x, dimensions=dims)


def expand_dims(array, dimensions):
    x = _arr(array)
    n = _ndim(x) + len(dimensions)
    return sh.expand_dims(x, dimensions=_axes(dimensions, n, "dimensions"))


def rev(operand, dimensions):
    x = _arr(operand)
    return sh.rev(x, dimensions=_axes(dimensions, _ndim(x), "dimensions"))


def tile(operand, reps):
    """np.tile with len(reps) == operand.ndim."""
    x, reps = _arr(operand), static_shape(reps)
    shp = shape_of(x)
    if len(reps) != len(shp):
        raise TypeError(
            "reps length must be equal to the ndim of x, got "
            f"len(reps)={len(reps)} and x.ndim={len(shp)}."
        )
    wide = tuple(s for pair in zip(reps, shp) for s in pair)
    dims = tuple(range(1, 2 * len(shp), 2))
    y = sh.broadcast_in_dim(x, shape=wide, broadcast_dimensions=dims)
    return sh.reshape(y, new_sizes=tuple(r * s for r, s in zip(reps, shp)))


def optimization_barrier(operand):
    return operand


# ---------------------------------------------------------------------------
# concatenate, split, stack, pad


def concatenate(operands, dimension: int):
    xs = [_arr(x) for x in operands]
    if not xs:
        raise ValueError("concatenate requires a non-empty sequence of operands")
    if len({dtype_of(x) for x in xs}) > 1:
        raise TypeError(
            "Cannot concatenate arrays with different dtypes: "
            f"{', '.join(dtype_of(x).name for x in xs)}."
        )
    nd = _ndim(xs[0])
    if any(_ndim(x) != nd for x in xs) or nd == 0:
        raise TypeError(
            "Cannot concatenate arrays with different numbers of dimensions or scalars: got "
            f"{', '.join(str(shape_of(x)) for x in xs)}."
        )
    d = _axis(dimension, nd)
    if len({shape_of(x)[:d] + shape_of(x)[d + 1 :] for x in xs}) > 1:
        raise TypeError(
            "Cannot concatenate arrays with shapes that differ in dimensions other than the "
            f"one being concatenated: concatenating along dimension {d} for shapes "
            f"{', '.join(str(shape_of(x)) for x in xs)}."
        )
    return sh.concatenate(*xs, dimension=d)


def split(operand, sizes, axis: int = 0):
    x = _arr(operand)
    shp = shape_of(x)
    axis = _axis(axis, len(shp))
    sizes = [int(s) for s in np.asarray(sizes).reshape(-1)]
    if any(s < 0 for s in sizes):
        raise ValueError(f"Sizes passed to split must be nonnegative, got {sizes}")
    if sum(sizes) != shp[axis]:
        raise ValueError(
            f"Sum of sizes {sum(sizes)} must be equal to dimension {shp[axis]} of the operand "
            f"shape {shp}"
        )
    starts = np.cumsum([0] + sizes)
    return [slice_in_dim(x, int(a), int(b), axis=axis) for a, b in zip(starts, starts[1:])]


def stack(operands, axis: int = 0):
    xs = [_arr(x) for x in operands]
    if not xs:
        raise ValueError("stack requires a non-empty sequence of operands")
    a = _axis(axis, _ndim(xs[0]) + 1)
    return concatenate([sh.expand_dims(x, dimensions=(a,)) for x in xs], a)


def unstack(x, axis: int = 0):
    x = _arr(x)
    a = _axis(axis, _ndim(x))
    return tuple(index_in_dim(x, i, a, keepdims=False) for i in range(shape_of(x)[a]))


def pad(operand, padding_value, padding_config):
    """lax.pad: (low, high, interior) per axis; negative low/high crop."""
    x, v = same_dtypes("pad", operand, padding_value)
    config = tuple((int(lo), int(hi), int(i)) for lo, hi, i in padding_config)
    shp = shape_of(x)
    if shape_of(v) != ():
        raise ValueError(f"padding_value must be a scalar; got {shape_of(v)}")
    if len(config) != len(shp):
        raise ValueError(
            "length of padding_config must equal the number of axes of operand, got "
            f"padding_config {config} for operand shape {shp}"
        )
    if any(i < 0 for _, _, i in config):
        raise ValueError(
            f"interior padding in padding_config must be nonnegative, got padding_config {config}"
        )
    out = tuple(lo + hi + n + builtins.max(n - 1, 0) * i for n, (lo, hi, i) in zip(shp, config))
    if any(s < 0 for s in out):
        raise ValueError(
            f"Dimension size after padding is not at least 0, got result shape {out}, for "
            f"padding_config {config} and operand shape {shp}"
        )
    return sh.pad(x, v, padding_config=config)


# ---------------------------------------------------------------------------
# static and dynamic slicing


def slice(operand, start_indices, limit_indices, strides=None):
    x = _arr(operand)
    shp = shape_of(x)
    start, limit = static_shape(start_indices), static_shape(limit_indices)
    st = (1,) * len(shp) if strides is None else static_shape(strides)
    if not len(start) == len(limit) == len(st) == len(shp):
        raise TypeError(
            f"slice start_indices, limit_indices and strides must have one entry per "
            f"dimension of the operand shape {shp}, got {start}, {limit}, {st}."
        )
    if any(s < 0 for s in start):
        raise TypeError(f"slice start_indices must be greater than or equal to zero, got {start}.")
    if any(lim > n for lim, n in zip(limit, shp)):
        raise TypeError(
            f"slice limit_indices must be less than or equal to operand shape, got "
            f"limit_indices {limit} for operand shape {shp}."
        )
    if any(s > lim for s, lim in zip(start, limit)):
        raise TypeError(
            "slice limit_indices must be greater than or equal to start_indices, got "
            f"start_indices {start} and limit_indices {limit}."
        )
    if any(k <= 0 for k in st):
        raise TypeError(f"slice strides must be positive, got {st}")
    return sh.slice(x, start_indices=start, limit_indices=limit, strides=st)


def slice_in_dim(operand, start_index, limit_index, stride: int = 1, axis: int = 0):
    x = _arr(operand)
    shp = shape_of(x)
    axis = _axis(axis, len(shp))
    n = shp[axis]
    lo = 0 if start_index is None else operator.index(start_index)
    hi = n if limit_index is None else operator.index(limit_index)
    lo, hi = (lo + n if lo < 0 else lo), (hi + n if hi < 0 else hi)
    start, limit, st = [0] * len(shp), list(shp), [1] * len(shp)
    start[axis], limit[axis], st[axis] = lo, hi, int(stride)
    return slice(x, start, limit, st)


def index_in_dim(operand, index: int, axis: int = 0, keepdims: bool = True):
    x = _arr(operand)
    axis = _axis(axis, _ndim(x))
    n, i = shape_of(x)[axis], operator.index(index)
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
    i = i % n
    out = slice_in_dim(x, i, i + 1, axis=axis)
    return out if keepdims else sh.squeeze(out, dimensions=(axis,))


def _starts(name: str, x, start_indices, allow_negative_indices) -> list:
    """Start indices as 0-d int64 values, negatives counted from the end (JAX's rule)."""
    if type(start_indices) is Tracer or isinstance(start_indices, np.ndarray):
        arr = start_indices
        if _ndim(arr) != 1:
            raise TypeError(f"{name}: start_indices must be a 1-D sequence, got {shape_of(arr)}")
        starts = [index_in_dim(arr, i, 0, keepdims=False) for i in range(shape_of(arr)[0])]
    else:
        starts = list(start_indices)
    shp = shape_of(x)
    if len(starts) != len(shp):
        raise TypeError(
            f"Length of slice indices must match number of operand dimensions "
            f"({len(starts)} vs {len(shp)})"
        )
    typed = [dtype_of(_arr(s)) for s in starts if type(s) is not int]
    if len(set(typed)) > 1 or any(d.kind not in "iu" for d in typed):
        raise TypeError(
            f"index arguments to {name} must be integers of the same type, got: "
            f"({', '.join(d.name for d in typed)})"
        )
    neg = allow_negative_indices
    negs = [neg] * len(starts) if isinstance(neg, bool) else list(neg)
    out = []
    for s, n, allow in zip(starts, shp, negs):
        s = _arr(s)
        if shape_of(s) != ():
            raise TypeError(f"{name}: each start index must be a scalar, got shape {shape_of(s)}")
        signed = dtype_of(s).kind == "i"
        s = ew.convert_element_type(s, new_dtype=np.dtype(np.int64))
        if allow and signed:
            s = ew.select(ew.lt(s, lit(0, s)), ew.add(s, lit(n, s)), s)
        out.append(s)
    return out


def dynamic_slice(operand, start_indices, slice_sizes, *, allow_negative_indices=True):
    """The slice_sizes window at traced start indices (each clamped so the window fits)."""
    x = _arr(operand)
    starts = _starts("dynamic_slice", x, start_indices, allow_negative_indices)
    sizes = static_shape(np.asarray(slice_sizes).reshape(-1).tolist())
    return ix.dynamic_slice(x, *starts, slice_sizes=sizes)


def _scalar_index(name, index):
    if shape_of(index) != ():
        raise TypeError(f"{name}: the index must be a scalar, got shape {shape_of(index)}")
    return index


def dynamic_slice_in_dim(operand, start_index, slice_size: int, axis: int = 0, **kw):
    x = _arr(operand)
    axis = _axis(axis, _ndim(x))
    starts = [0] * _ndim(x)
    starts[axis] = _scalar_index("dynamic_slice_in_dim", start_index)
    sizes = list(shape_of(x))
    sizes[axis] = int(slice_size)
    return dynamic_slice(x, starts, sizes, **kw)


def dynamic_index_in_dim(operand, index, axis: int = 0, keepdims: bool = True, **kw):
    x = _arr(operand)
    axis = _axis(axis, _ndim(x))
    out = dynamic_slice_in_dim(x, index, 1, axis, **kw)
    return out if keepdims else sh.squeeze(out, dimensions=(axis,))


def dynamic_update_slice(operand, update, start_indices, *, allow_negative_indices=True):
    x, u = same_dtypes("dynamic_update_slice", operand, update)
    if _ndim(u) != _ndim(x) or any(a > b for a, b in zip(shape_of(u), shape_of(x))):
        raise TypeError(
            "dynamic_update_slice update shape must be smaller than operand shape, got "
            f"update shape {shape_of(u)} for operand shape {shape_of(x)}."
        )
    starts = _starts("dynamic_update_slice", x, start_indices, allow_negative_indices)
    return ix.dynamic_update_slice(x, u, *starts)


def dynamic_update_slice_in_dim(operand, update, start_index, axis: int, **kw):
    x = _arr(operand)
    axis = _axis(axis, _ndim(x))
    starts = [0] * _ndim(x)
    starts[axis] = _scalar_index("dynamic_update_slice_in_dim", start_index)
    return dynamic_update_slice(x, update, starts, **kw)


def dynamic_update_index_in_dim(operand, update, index, axis: int, **kw):
    x, u = _arr(operand), _arr(update)
    axis = _axis(axis, _ndim(x))
    if _ndim(u) == _ndim(x) - 1:
        u = sh.expand_dims(u, dimensions=(axis,))
    return dynamic_update_slice_in_dim(x, u, index, axis, **kw)


# ---------------------------------------------------------------------------
# selection


def _same_case_shapes(name, cases):
    if len({shape_of(c) for c in cases}) > 1:
        raise TypeError(
            f"{name} cases must have the same shapes, got "
            f"[{', '.join(str(shape_of(c)) for c in cases)}]."
        )


def _check_which(name, which, case):
    if shape_of(which) not in ((), shape_of(case)):
        raise TypeError(
            f"{name} `which` must be scalar or have the same shape as cases, got `which` shape "
            f"{shape_of(which)} but case shape {shape_of(case)}."
        )


def select(pred, on_true, on_false):
    """on_true where pred, else on_false; pred is bool, 0-d or of the cases' shape."""
    t, f = same_dtypes("select", on_true, on_false)
    p = _arr(pred)
    if dtype_of(p) != np.bool_:
        raise TypeError(f"select `pred` must be boolean, got {dtype_of(p).name}")
    _same_case_shapes("select", [t, f])
    _check_which("select", p, t)
    return ew.select(p, t, f)


def select_n(which, *cases):
    """cases[which] elementwise; which is bool (two cases) or an integer, clipped."""
    if not cases:
        raise ValueError("select_n called with no cases")
    cases = same_dtypes("select_n", *cases)
    w = accept("select_n", _arr(which), "iub")
    _same_case_shapes("select_n", cases)
    _check_which("select_n", w, cases[0])
    if len(cases) == 1:
        return cases[0]
    if dtype_of(w) == np.bool_:
        if len(cases) > 2:
            raise TypeError("select_n with a boolean `which` takes at most two cases")
        return ew.select(w, cases[1], cases[0])
    out = cases[-1]
    for i in reversed(range(len(cases) - 1)):
        out = ew.select(ew.le(w, lit(i, w)), cases[i], out)
    return out


# ---------------------------------------------------------------------------


# sorting


def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """Sort one array, or a sequence of arrays by the first num_keys (lexicographic);
    stable, NaN last. Returns an array for an array, a tuple for a sequence."""
    single = not isinstance(operand, (list, tuple))
    xs = [_arr(operand)] if single else [_arr(x) for x in operand]
    if not xs:
        raise ValueError("sort requires at least one operand")
    if len({shape_of(x) for x in xs}) > 1:
        raise TypeError(f"sort arrays must have the same shape, got {[shape_of(x) for x in xs]}")
    if not 1 <= int(num_keys) <= len(xs):
        raise ValueError(f"num_keys={num_keys} must be between 1 and len(operands)={len(xs)}")
    d = _axis(dimension, _ndim(xs[0]))
    out = tuple(so.sort(*xs, dimension=d, num_keys=int(num_keys)))
    return out[0] if single else out


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    return sort((keys, values), dimension, is_stable, num_keys=1)


def top_k(operand, k: int, *, axis: int = -1):
    """The k largest entries along `axis`, largest first (NaN first), and their int32
    indices; ties go to the lower index."""
    x = _arr(operand)
    if _ndim(x) == 0:
        raise ValueError("top_k operand must have >= 1 dimension, got ()")
    axis = _axis(axis, _ndim(x))
    n, k = shape_of(x)[axis], operator.index(k)
    if not 0 <= k <= n:
        raise ValueError(
            f"k argument to top_k must be in [0, {n}] for shape {shape_of(x)}, got {k}"
        )
    perm, inv = _shift_last(x, axis)
    xt = sh.transpose(x, perm=perm)
    last = len(perm) - 1
    pos = sh.iota(dtype=np.dtype(np.int32), shape=shape_of(xt), dimension=last)
    # ascending by (x, -position), then reversed: descending x, ties by position
    vals, _, idx = so.sort(xt, ew.neg(pos), pos, dimension=last, num_keys=2)
    vals, idx = (slice_in_dim(sh.rev(v, dimensions=(last,)), 0, k, axis=last) for v in (vals, idx))
    return [sh.transpose(vals, perm=inv), sh.transpose(idx, perm=inv)]  # a list, as JAX's


# ---------------------------------------------------------------------------
