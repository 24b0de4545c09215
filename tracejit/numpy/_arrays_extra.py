"""Array construction and index helpers with jax.numpy's semantics: append, insert, delete,
block, resize, r_/c_/mgrid/ogrid, ix_, tril_indices, fill_diagonal, window functions,
geomspace, trim_zeros and the small predicates (isscalar, iscomplexobj, array_equiv, ...).

Everything is a composite of tracejit.numpy functions, so grad and vmap see through it.
Index arithmetic that depends only on shapes is done in NumPy at trace time; where JAX
accepts a traced index array (insert, delete with assume_unique_indices) the positions
are computed with ops instead (a stable argsort, a scatter, a cumulative sum), and the
result is one gather. fill_diagonal returns a new array and, like JAX, refuses the default
inplace=True. trim_zeros and mask_indices need concrete values (their output shape
depends on them): they work on NumPy inputs and under grad, not under vmap or jit.
"""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from ..ops import shape as sh
from ._core import (
    AxisError,
    broadcast_to,
    canon_axis,
    cast,
    dtype_of,
    is_tracer,
    result_type,
    shape_of,
)
from ._creation import asarray, linspace
from ._indexing import at, getitem
from ._logic import equal, imag, not_equal
from ._math import clip, where
from ._reductions import all as _all
from ._reductions import cumsum
from ._reductions import sum as _sum
from ._shape import (
    concatenate,
    meshgrid,
    moveaxis,
    ravel,
    reshape,
    stack,
    tile,
    transpose,
)
from ._sorting import argsort, sort


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _value(x, what: str) -> np.ndarray:
    """The concrete value of x (a tracer under grad has one; under vmap or jit it has not)."""
    return x.concrete(what) if is_tracer(x) else np.asarray(x)


def _ndmin(x, nd: int):
    """x with leading size-1 axes added up to nd dimensions."""
    s = shape_of(x)
    return x if len(s) >= nd else sh.reshape(x, new_sizes=(1,) * (nd - len(s)) + s)


def _take_axis(a, idx, axis: int):
    """a[:, ..., idx] with idx on `axis` (idx 1-D, concrete or traced, in range)."""
    return getitem(a, (slice(None),) * axis + (idx,))


def _tile_to_size(x, size: int):
    """1-D x repeated (np.resize) to `size` entries."""
    n = shape_of(x)[0]
    if n < size:
        x = tile(x, -(-size // n))
    return getitem(x, slice(0, size)) if shape_of(x)[0] > size else x


def _rank_of_true(mask):
    """For 1-D boolean mask: at each position, how many True entries come before it."""
    return cumsum(cast(mask, np.int64)) - cast(mask, np.int64)


# ---------------------------------------------------------------------------
# joining, inserting, deleting


def append(arr, values, axis=None):
    dt = result_type(arr, values)  # a Python scalar is weak: float32 stays float32
    arr, values = cast(_arr(arr), dt), cast(_arr(values), dt)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis=axis)


def insert(arr, obj, values, axis=None):
    """np.insert; obj may be a slice, an int or an int array (traced ones too, as JAX)."""
    a = _arr(arr)
    if axis is None:
        a, axis = ravel(a), 0
    axis = canon_axis(axis, len(shape_of(a)))
    n_input = shape_of(a)[axis]
    if isinstance(obj, slice):
        indices = np.arange(*obj.indices(n_input))
    else:
        indices = _arr(obj)
    if len(shape_of(indices)) > 1:
        raise ValueError(
            "insert: obj must be a slice, a one-dimensional array, or a scalar; "
            f"got shape {shape_of(indices)}"
        )
    if not np.issubdtype(dtype_of(indices), np.integer):
        if not is_tracer(indices) and indices.size == 0:
            indices = indices.astype(np.int64)
        else:
            raise ValueError(f"insert: index array must be integer typed; got {obj}")
    v = _ndmin(cast(_arr(values), dtype_of(a)), len(shape_of(a)))
    if math.prod(shape_of(indices)) == 1:
        index = reshape(indices, (1,))
        if not shape_of(indices):  # a scalar obj inserts values as one slice along axis
            v = moveaxis(v, 0, axis)
        indices = broadcast_to(index, (shape_of(v)[axis],))
    n_insert = np.broadcast_shapes(shape_of(indices), (shape_of(v)[axis],))[0]
    indices = broadcast_to(cast(indices, np.int64), (n_insert,))
    indices = clip(where(indices < 0, indices + n_input, indices), 0, n_input)
    n_out = n_input + n_insert
    block_shape = list(shape_of(a))
    block_shape[axis] = n_insert
    v = broadcast_to(v, tuple(block_shape))
    # where value j lands: its index plus the number of values inserted before it
    values_ind = at(indices)[argsort(indices)].add(np.arange(n_insert, dtype=np.int64))
    is_value = at(np.zeros(n_out, np.int64))[values_ind].set(1)
    which = at(np.zeros(n_out, np.int64))[values_ind].set(np.arange(n_insert, dtype=np.int64))
    perm = where(is_value > 0, which + n_input, cumsum(1 - is_value) - 1)
    return _take_axis(concatenate([a, v], axis=axis), perm, axis)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    a = _arr(arr)
    if axis is None:
        a, axis = ravel(a), 0
    axis = canon_axis(axis, len(shape_of(a)))
    n = shape_of(a)[axis]
    pre = (slice(None),) * axis
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, (bool, np.bool_)):
        if not -n <= obj < n:  # AxisError: an IndexError (as NumPy) and a ValueError (as JAX)
            raise AxisError(f"delete: index {obj} is out of bounds for axis {axis} with size {n}")
        i = int(obj) % n
        return concatenate(
            [getitem(a, pre + (slice(0, i),)), getitem(a, pre + (slice(i + 1, None),))], axis
        )
    if isinstance(obj, slice):
        obj = np.arange(n)[obj]
    if is_tracer(obj) and assume_unique_indices and np.issubdtype(dtype_of(obj), np.integer):
        # keep[i] is the i-th survivor: i plus the number of deleted positions at or below
        drop = ravel(obj)
        drop = sort(clip(where(drop < 0, drop + n, drop), 0, n))
        k = shape_of(drop)[0]
        drop = drop - np.arange(k, dtype=np.int64)
        keep = np.arange(n - k, dtype=np.int64)
        keep = keep + _sum(cast(keep[None, :] >= reshape(drop, (k, 1)), np.int64), axis=0)
        return _take_axis(a, keep, axis)
    o = _value(obj, "delete (the deleted positions decide the output shape)")
    if np.issubdtype(o.dtype, np.integer):
        mask = np.ones(n, dtype=bool)
        mask[o] = False
    elif o.dtype == np.bool_:
        if o.shape != (n,):
            raise ValueError(
                "delete(arr, obj): for boolean indices, obj must be one-dimensional "
                "with length matching specified axis."
            )
        mask = ~o
    else:
        raise ValueError(f"delete(arr, obj): got obj.dtype={o.dtype}; must be integer or bool.")
    return _take_axis(a, np.flatnonzero(mask), axis)


def _block(xs):
    if isinstance(xs, tuple):
        raise ValueError(f"block does not allow tuples, got {xs}")
    if isinstance(xs, list):
        if not xs:
            raise ValueError("block does not allow empty list arguments")
        parts = [_block(x) for x in xs]
        depths = [d for _, d in parts]
        if builtins.any(d != depths[0] for d in depths[1:]):
            raise ValueError("Mismatched list depths in block")
        rank = builtins.max(depths[0], builtins.max(len(shape_of(x)) for x, _ in parts))
        return concatenate([_ndmin(x, rank) for x, _ in parts], axis=-depths[0]), depths[0] + 1
    return asarray(xs), 1


def block(arrays):
    return _block(arrays)[0]


def resize(a, new_shape):
    """np.resize: the array's entries repeated in order to fill new_shape."""
    new_shape = (operator.index(new_shape),) if np.ndim(new_shape) == 0 else tuple(new_shape)
    if builtins.any(operator.index(s) < 0 for s in new_shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    flat = ravel(_arr(a))
    size = math.prod(new_shape)
    if size == 0 or shape_of(flat)[0] == 0:
        return np.zeros(new_shape, dtype_of(flat))
    return reshape(_tile_to_size(flat, size), new_shape)


def rollaxis(a, axis, start=0):
    a = _arr(a)
    nd = len(shape_of(a))
    axis = canon_axis(axis, nd)
    start = operator.index(start)
    if not -nd <= start <= nd:
        raise ValueError(f"start={start} must satisfy {-nd}<=start<={nd}")
    start += nd if start < 0 else 0
    start -= start > axis
    return moveaxis(a, axis, start)


# ---------------------------------------------------------------------------
# grids and index helpers (shapes are static, so most of these are NumPy constants)


def indices(dimensions, dtype=None, sparse=False):
    return np.indices(tuple(dimensions), dtype=np.int64 if dtype is None else dtype, sparse=sparse)


def _grid_1d(s: slice):
    """The points a slice stands for in mgrid/r_: arange, or linspace for a complex step."""
    start, stop, step = (
        _value(v, "a slice bound") if is_tracer(v) else v for v in (s.start, s.stop, s.step)
    )
    start, step = start or 0, step or 1
    if np.iscomplex(step):
        return linspace(start, stop, int(abs(step)))
    return np.arange(start, stop, step)


class _Grid:
    """mgrid[...] (dense) or ogrid[...] (open): np.mgrid with JAX's dtype promotion."""

    def __init__(self, sparse: bool):
        self.sparse = sparse

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _grid_1d(key)
        axes = [_grid_1d(k) for k in key]
        dt = result_type(*axes) if axes else np.dtype(np.int64)
        axes = meshgrid(*[cast(x, dt) for x in axes], indexing="ij", sparse=self.sparse)
        if self.sparse:
            return list(axes)
        return stack(axes, 0) if axes else np.arange(0)


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)


class _AxisConcat:
    """r_[...] and c_[...]: concatenation along an axis, with NumPy's string directives
    ('r', 'c', 'axis,ndmin,trans1d[,matrix]') and slices standing for ranges."""

    def __init__(self, axis: int, ndmin: int, trans1d: int):
        self.params = (axis, ndmin, trans1d)

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        params = list(self.params) + [-1]
        if key and isinstance(key[0], str):
            directive, key = key[0], key[1:]
            if directive in ("r", "c"):
                params[-1] = 0 if directive == "r" else 1
            else:
                vec = directive.split(",")
                vec = vec + params[len(vec) :] if len(vec) < 4 else vec[:3] + [params[-1]]
                try:
                    params = [int(p) for p in vec]
                except ValueError as err:
                    raise ValueError(f"could not understand directive {directive!r}") from err
        axis, ndmin, trans1d, matrix = params
        out = []
        for item in key:
            if isinstance(item, slice):
                x, item_nd = _grid_1d(item), 0
            elif isinstance(item, str):
                raise ValueError("string directive must be placed at the beginning")
            else:
                x = asarray(item)
                item_nd = len(shape_of(x))
            x = _ndmin(x, ndmin)
            if trans1d != -1 and ndmin - item_nd > 0:
                perm = tuple(range(ndmin))
                shift = ndmin - abs(ndmin + trans1d + 1) % ndmin
                x = transpose(x, perm[shift:] + perm[:shift])
            out.append(x)
        res = concatenate(out, axis=axis)
        if matrix != -1 and len(shape_of(res)) == 1:
            res = sh.expand_dims(res, dimensions=(matrix,))
        return res

    def __len__(self) -> int:
        return 0


r_ = _AxisConcat(axis=0, ndmin=1, trans1d=-1)
c_ = _AxisConcat(axis=-1, ndmin=2, trans1d=0)
s_ = np.s_
index_exp = np.index_exp


def ix_(*args):
    n = len(args)
    out = []
    for i, a in enumerate(args):
        a = _arr(a)
        if len(shape_of(a)) != 1:
            raise ValueError(f"Arguments to ix_ must be 1-dimensional, got shape {shape_of(a)}")
        if dtype_of(a) == np.bool_:
            raise NotImplementedError("tracejit.numpy.ix_: boolean arguments (as JAX)")
        shape = [1] * n
        shape[i] = shape_of(a)[0]
        out.append(reshape(a if shape[i] else np.zeros(0, np.intp), tuple(shape)))
    return tuple(out)


def tril_indices(n, k=0, m=None):
    return np.tril_indices(n, k, m)


def triu_indices(n, k=0, m=None):
    return np.triu_indices(n, k, m)


def _shape2d(arr):
    s = arr.shape if hasattr(arr, "shape") else np.shape(arr)
    if len(s) != 2:
        raise ValueError("Only 2-D inputs are accepted")
    return s


def tril_indices_from(arr, k=0):
    n, m = _shape2d(arr)
    return tril_indices(n, k, m)


def triu_indices_from(arr, k=0):
    n, m = _shape2d(arr)
    return triu_indices(n, k, m)


def diag_indices(n, ndim=2):
    n, ndim = operator.index(n), operator.index(ndim)
    if n < 0 or ndim < 0:
        raise ValueError(f"diag_indices: n and ndim must be nonnegative, got {n}, {ndim}")
    return (np.arange(n),) * ndim


def diag_indices_from(arr):
    s = shape_of(arr)
    if len(s) < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(s)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return diag_indices(s[0], len(s))


def mask_indices(n, mask_func, k=0, *, size=None):
    m = _value(mask_func(np.ones((n, n)), k), "mask_indices (the mask decides the shape)")
    i, j = np.nonzero(m)
    if size is not None:
        i, j = (np.pad(x[:size], (0, builtins.max(size - len(x), 0))) for x in (i, j))
    return i, j


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """a with its main diagonal set to val (repeated to the diagonal's length)."""
    if inplace:
        raise NotImplementedError("tracejit arrays are immutable, must use inplace=False")
    if wrap:
        raise NotImplementedError("wrap=True is not implemented, must use wrap=False")
    a, val = _arr(a), _arr(val)
    s = shape_of(a)
    if len(s) < 2:
        raise ValueError("array must be at least 2-d")
    if len(s) > 2 and len(set(s)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    n = builtins.min(s)
    v = val if not shape_of(val) else _tile_to_size(ravel(val), n)
    return at(a)[diag_indices(n, len(s))].set(v)


# ---------------------------------------------------------------------------
# creation and window functions


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    if not (is_tracer(start) or is_tracer(stop)):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    from ._creation import logspace
    from ._math import log10, sign

    dt = result_type(start, stop, 0.0)
    if not np.issubdtype(dt, np.floating):
        raise NotImplementedError("tracejit.numpy.geomspace: complex dtypes are unsupported")
    lo, hi = cast(_arr(start), dt), cast(_arr(stop), dt)
    s = sign(lo)
    res = s * logspace(log10(lo / s), log10(hi / s), num, endpoint, 10.0, dt, axis=0)
    res = moveaxis(res, 0, axis)
    return res if dtype is None else cast(res, dtype)


def bartlett(M):
    return np.bartlett(operator.index(M)).astype(np.float64)


def blackman(M):
    return np.blackman(operator.index(M)).astype(np.float64)


def hamming(M):
    return np.hamming(operator.index(M)).astype(np.float64)


def hanning(M):
    return np.hanning(operator.index(M)).astype(np.float64)


def kaiser(M, beta):
    """The Kaiser window; beta may be traced (differentiable through i0)."""
    from ._polynomial import i0

    M = operator.index(M)
    if M <= 1:
        return np.ones(builtins.max(M, 0), np.float64)
    n = np.arange(M, dtype=np.float64)
    alpha = 0.5 * (M - 1)
    beta = cast(_arr(beta), np.float64)
    return i0(beta * np.sqrt(1 - ((n - alpha) / alpha) ** 2)) / i0(beta)


# ---------------------------------------------------------------------------
# eager-only helpers and predicates (as in JAX, they need concrete values or none)


def trim_zeros(filt, trim="fb", axis=None):
    """filt without its leading ('f') and/or trailing ('b') zeros; needs concrete values
    (the result's shape depends on them) but stays differentiable under grad."""
    x = _arr(filt)
    v = _value(x, "trim_zeros (the number of zeros decides the output shape)")
    nd = v.ndim
    axes = set(range(nd)) if axis is None else {canon_axis(a, nd) for a in np.atleast_1d(axis)}
    t = trim.lower()
    if not axes or ("f" not in t and "b" not in t):
        return x
    idx = []
    for ax in range(nd):
        if ax not in axes:
            idx.append(slice(None))
            continue
        nz = np.any(v != 0, axis=tuple(i for i in range(nd) if i != ax))
        if not nz.any():
            idx.append(slice(0, 0))
            continue
        start = int(nz.argmax()) if "f" in t else None
        stop = v.shape[ax] - int(nz[::-1].argmax()) if "b" in t else None
        idx.append(slice(start, stop))
    return getitem(x, tuple(idx))


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    return np.frombuffer(buffer, dtype=dtype, count=count, offset=offset).copy()


def fromstring(string, dtype=float, count=-1, *, sep):
    return np.fromstring(string, dtype=dtype, count=count, sep=sep)


def fromiter(iter, dtype, count=-1, *, like=None):
    """NumPy's fromiter, eager (JAX leaves it out because it consumes the iterator)."""
    return np.fromiter(iter, dtype=dtype, count=count)


def array_equiv(a1, a2):
    a1, a2 = _arr(a1), _arr(a2)
    try:
        np.broadcast_shapes(shape_of(a1), shape_of(a2))
    except ValueError:
        return np.asarray(False)
    return _all(equal(a1, a2))


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    return np.array_repr(_value(arr, "array_repr"), max_line_width, precision, suppress_small)


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    return np.array_str(_value(a, "array_str"), max_line_width, precision, suppress_small)


def iscomplex(x):
    return not_equal(imag(x), 0)


def isreal(x):
    return equal(imag(x), 0)


def iscomplexobj(x):
    if isinstance(x, (complex, np.complexfloating)):
        return True
    if x is None or isinstance(x, (bool, int, float, str, np.generic)):
        return False
    return np.issubdtype(dtype_of(x), np.complexfloating)


def isrealobj(x):
    return not iscomplexobj(x)


def isscalar(element):
    """As JAX: Python and NumPy scalars, and 0-d arrays (traced or not)."""
    if np.isscalar(element):
        return True
    if is_tracer(element) or isinstance(element, np.ndarray):
        return len(shape_of(element)) == 0
    return False


iterable = np.iterable
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions
