"""Order statistics, NaN-ignoring moments, covariance, histograms, with jax.numpy's semantics.

Quantiles sort along the reduced axis and read the two order statistics around
q * (n - 1): JAX's derivative convention, where the gradient flows to the selected
elements (weights 1 - t and t for 'linear', 1/2 each for 'midpoint' and the median).
Counts (bincount, histogram*) are scatter-adds of their weights, so they differentiate in
the weights and in nothing else. `bincount` needs a static `length=` under jit and vmap,
as in JAX; outside them the length comes from the values.

Integer inputs compute in float64 (NumPy's default; JAX x64 would give float32 for int32
and narrower). Indices are int64.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..ops import elementwise as ew
from ..ops import indexing as ix
from ..ops import shape as sh
from ._core import broadcast_to, canon_axes, cast, dtype_of, is_tracer, shape_of
from ._creation import linspace
from ._dot import dot
from ._indexing import take, take_along_axis
from ._logic import isnan
from ._math import _c, add, clip, multiply, safe_sqrt, sqrt, subtract, true_divide, where
from ._reductions import all, any, argmax, argmin, average, cumprod, cumsum, sum
from ._reductions import max as _max
from ._reductions import min as _min
from ._shape import (
    atleast_2d,
    concatenate,
    diag,
    diff,
    moveaxis,
    ravel,
    reshape,
    stack,
    transpose,
)
from ._sorting import searchsorted, sort


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _inexact(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def _no_out(out, overwrite_input, name):
    if out is not None or overwrite_input:
        raise ValueError(f"tracejit.numpy.{name} does not support overwrite_input=True or out=")


# ---------------------------------------------------------------------------
# quantiles

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _to_last(a, axis, keepdims):
    """a with the reduced axes merged into one last axis, and the shape a kept result has."""
    nd = len(shape_of(a))
    axes = canon_axes(axis, nd)
    kept = tuple(1 if i in axes else s for i, s in enumerate(shape_of(a)))
    rest = [i for i in range(nd) if i not in axes]
    a = sh.transpose(a, perm=tuple(rest) + axes)
    n = math.prod(shape_of(a)[len(rest) :])
    a = sh.reshape(a, new_sizes=shape_of(a)[: len(rest)] + (n,))
    return a, kept if keepdims else shape_of(a)[:-1]


def _quantile(a, q, axis, method, keepdims, squash_nans):
    if method not in _METHODS:
        raise ValueError(f"method can only be {', '.join(map(repr, _METHODS))}; got {method!r}")
    a = _arr(a)
    dt = _inexact(dtype_of(a))
    a, out_rest = _to_last(cast(a, dt), axis, keepdims)
    q = cast(_arr(q), dt)
    q_shape = shape_of(q)
    if len(q_shape) > 1:
        raise ValueError(f"q must be have rank <= 1, got shape {q_shape}")
    nq = math.prod(q_shape)
    rest, n = shape_of(a)[:-1], shape_of(a)[-1]
    last = len(rest)
    grid = rest + (nq,)
    q = sh.broadcast_in_dim(
        sh.reshape(q, new_sizes=(nq,)), shape=grid, broadcast_dimensions=(last,)
    )
    if squash_nans:  # NaN sorts last; read among the first `count` entries
        a = sort(a, axis=-1)
        count = sum(ew.not_(isnan(a)), axis=-1, keepdims=True, dtype=dt)
        top = broadcast_to(ew.sub(count, _c(1, count)), grid)
    else:  # any NaN makes the whole row NaN
        a = sort(where(any(isnan(a), axis=-1, keepdims=True), np.nan, a), axis=-1)
        top = np.asarray(n - 1, dt)
    pos = ew.mul(q, top)
    low, high = ew.floor(pos), ew.ceil(pos)
    t = ew.sub(pos, low)
    zero = np.zeros((), dt)
    low = cast(ew.max(zero, ew.min(low, top)), np.int64)
    high = cast(ew.max(zero, ew.min(high, top)), np.int64)
    lo_v = take_along_axis(a, low, axis=-1, mode="clip")  # low, high: clamped above
    hi_v = take_along_axis(a, high, axis=-1, mode="clip")
    if method == "linear":
        out = ew.add(ew.mul(lo_v, ew.sub(_c(1, t), t)), ew.mul(hi_v, t))
    elif method == "lower":
        out = lo_v
    elif method == "higher":
        out = hi_v
    elif method == "nearest":
        out = ew.select(ew.le(t, _c(0.5, t)), lo_v, hi_v)
    else:
        out = ew.mul(ew.add(lo_v, hi_v), _c(0.5, lo_v))
    out = moveaxis(out, -1, 0)  # q's axis first, as NumPy
    return sh.reshape(out, new_sizes=q_shape + tuple(out_rest))


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None):  # fmt: skip
    """The q-th quantiles (q in [0, 1], a scalar or 1-D) of a along axis (None, int or
    tuple); method 'linear', 'lower', 'higher', 'midpoint' or 'nearest'. NaN if the
    reduced slice holds a NaN."""
    _no_out(out, overwrite_input, "quantile")
    if weights is not None:
        raise NotImplementedError("tracejit.numpy.quantile: weights= (method 'inverted_cdf')")
    return _quantile(a, q, axis, method, keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None):  # fmt: skip
    """quantile ignoring NaNs (NaN only where a reduced slice is all NaN)."""
    _no_out(out, overwrite_input, "nanquantile")
    if weights is not None:
        raise NotImplementedError("tracejit.numpy.nanquantile: weights= (method 'inverted_cdf')")
    return _quantile(a, q, axis, method, keepdims, True)


def _percent(q):
    q = _arr(q)
    return true_divide(cast(q, _inexact(dtype_of(q))), 100)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):  # fmt: skip
    """quantile with q in percent."""
    return quantile(a, _percent(q), axis, out, overwrite_input, method, keepdims, weights=weights)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None):  # fmt: skip
    """nanquantile with q in percent."""
    return nanquantile(
        a, _percent(q), axis, out, overwrite_input, method, keepdims, weights=weights
    )


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle value (the mean of the two middle values for an even count); its gradient
    goes to those one or two elements."""
    return quantile(a, 0.5, axis, out, overwrite_input, "midpoint", keepdims)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return nanquantile(a, 0.5, axis, out, overwrite_input, "midpoint", keepdims)


# ---------------------------------------------------------------------------
# NaN-ignoring moments, arg-extrema and cumulative reductions


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None,
           correction=None):  # fmt: skip
    """var over the non-NaN entries (and where= entries); NaN where fewer than ddof + 1."""
    ddof = ddof if correction is None else correction
    if out is not None:
        raise NotImplementedError("The 'out' argument to tracejit.numpy.nanvar is not supported.")
    a = _arr(a)
    a = cast(a, dtype if dtype is not None else _inexact(dtype_of(a)))
    valid = ew.not_(isnan(a))
    if where is not None:
        valid = ew.and_(valid, broadcast_to(cast(_arr(where), np.bool_), shape_of(a)))
    count = sum(valid, axis=axis, keepdims=True, dtype=dtype_of(a))
    if mean is None:
        mean = true_divide(sum(ew.select(valid, a, _c(0, a)), axis=axis, keepdims=True), count)
    centered = ew.select(valid, subtract(a, mean), _c(0, a))
    ss = sum(ew.mul(centered, centered), axis=axis, keepdims=keepdims)
    norm = ew.sub(sum(valid, axis=axis, keepdims=keepdims, dtype=dtype_of(a)), _c(ddof, ss))
    bad = ew.le(norm, _c(0, norm))
    return ew.select(bad, _c(np.nan, ss), ew.div(ss, ew.select(bad, _c(1, norm), norm)))


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None,
           correction=None):  # fmt: skip
    """sqrt(nanvar); the derivative at zero spread is 0, as tracejit.numpy.std."""
    return safe_sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where, mean, correction))


def _nanarg(fn, fill, a, axis, out, keepdims):
    if out is not None:
        raise NotImplementedError("out= is not supported by tracejit.numpy.nanargmax/nanargmin")
    a = _arr(a)
    keepdims = bool(keepdims)
    if not np.issubdtype(dtype_of(a), np.inexact):
        return fn(a, axis=axis, keepdims=keepdims)
    nan = isnan(a)
    res = fn(ew.select(nan, _c(fill, a), a), axis=axis, keepdims=keepdims)
    return where(all(nan, axis=axis, keepdims=keepdims), np.int64(-1), res)


def nanargmax(a, axis=None, out=None, keepdims=None):
    """argmax ignoring NaNs; -1 where a slice is all NaN (JAX; NumPy raises)."""
    return _nanarg(argmax, -np.inf, a, axis, out, keepdims)


def nanargmin(a, axis=None, out=None, keepdims=None):
    """argmin ignoring NaNs; -1 where a slice is all NaN (JAX; NumPy raises)."""
    return _nanarg(argmin, np.inf, a, axis, out, keepdims)


def _nan_as(a, fill):
    a = _arr(a)
    return ew.select(isnan(a), _c(fill, a), a) if np.issubdtype(dtype_of(a), np.inexact) else a


def nancumsum(a, axis=None, dtype=None, out=None):
    """cumsum with NaNs counted as 0."""
    return cumsum(_nan_as(a, 0), axis, dtype, out)


def nancumprod(a, axis=None, dtype=None, out=None):
    """cumprod with NaNs counted as 1."""
    return cumprod(_nan_as(a, 1), axis, dtype, out)


# ---------------------------------------------------------------------------
# covariance and correlation


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None,
        dtype=None):  # fmt: skip
    """Covariance matrix of the variables in the rows of m (columns if rowvar=False), with
    optional integer frequency weights and observation weights."""
    m = _arr(m)
    dt = _inexact(dtype_of(m) if y is None else np.result_type(dtype_of(m), dtype_of(y)))
    if dtype is not None:
        if not np.issubdtype(dtype, np.inexact):
            raise ValueError(f"cov: dtype must be a subclass of float; got dtype={dtype!r}")
        dt = np.dtype(dtype)
    if len(shape_of(m)) > 2:
        raise ValueError("m has more than 2 dimensions")
    x = atleast_2d(cast(m, dt))
    if not rowvar and len(shape_of(m)) != 1:
        x = transpose(x)
    if shape_of(x)[0] == 0:
        return np.zeros((0, 0), dt)
    if y is not None:
        y = _arr(y)
        if len(shape_of(y)) > 2:
            raise ValueError("y has more than 2 dimensions")
        y = atleast_2d(cast(y, dt))
        if not rowvar and shape_of(y)[0] != 1:
            y = transpose(y)
        x = concatenate([x, y], axis=0)
    k, n = shape_of(x)
    if n == 0:
        return np.full(() if k == 1 else (k, k), np.nan, dt)
    if ddof is None:
        ddof = 1 if not bias else 0
    w = None
    if fweights is not None:
        fw = _arr(fweights)
        if len(shape_of(fw)) > 1 or shape_of(fw)[0] != n:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if not np.issubdtype(dtype_of(fw), np.integer):
            raise TypeError("fweights must be integer.")
        w = cast(ew.abs(fw), dt)
    aw = None
    if aweights is not None:
        aw = _arr(aweights)
        if len(shape_of(aw)) > 1 or shape_of(aw)[0] != n:
            raise RuntimeError("incompatible numbers of samples and aweights")
        aw = cast(ew.abs(cast(aw, dt)), dt)
        w = aw if w is None else multiply(w, aw)
    avg, w_sum = average(x, axis=1, weights=w, returned=True)
    w_sum = take(w_sum, 0)
    if w is None:
        f = np.asarray(n - ddof, dt)
    elif ddof == 0:
        f = w_sum
    elif aw is None:
        f = subtract(w_sum, ddof)
    else:
        f = subtract(w_sum, true_divide(multiply(ddof, sum(multiply(w, aw))), w_sum))
    x = subtract(x, reshape(avg, (k, 1)))
    xw = x if w is None else multiply(x, reshape(w, (1, n)))
    c = true_divide(dot(x, transpose(xw)), f)
    return reshape(c, ()) if k == 1 else c


def corrcoef(x, y=None, rowvar=True, dtype=None):
    """Pearson correlation coefficients: cov normalised by the standard deviations, clipped
    to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if not shape_of(c):
        return true_divide(c, c)
    d = sqrt(diag(c))
    c = true_divide(true_divide(c, reshape(d, (-1, 1))), reshape(d, (1, -1)))
    return clip(c, -1, 1)


# ---------------------------------------------------------------------------
# counting: bincount, digitize, histograms


def bincount(x, weights=None, minlength=0, *, length=None):
    """Sum of weights (or 1) per value of the non-negative integers x; negative values count
    as 0 and values >= length are dropped (JAX). length is static; without it the largest
    value decides it, which needs concrete x (not under jit or vmap)."""
    x = _arr(x)
    if dtype_of(x) == np.bool_:
        x = cast(x, np.int64)
    if not np.issubdtype(dtype_of(x), np.integer):
        raise TypeError(f"x argument to bincount must have an integer type; got {dtype_of(x)}")
    if len(shape_of(x)) != 1:
        raise ValueError("only 1-dimensional input supported.")
    minlength = int(minlength)
    if length is None:
        xv = x.concrete("bincount without a static length=") if is_tracer(x) else x
        length = builtins.max(minlength, int(builtins.max(0, xv.max())) + 1 if xv.size else 0)
    length = int(length)
    if weights is None:
        w = np.ones(shape_of(x), np.int64)
    else:
        w = _arr(weights)
        if shape_of(w) != shape_of(x):
            raise ValueError("weights must have the same shape as x")
    idx = clip(x, 0, length)  # position `length` collects what is dropped
    if not shape_of(x)[0]:
        return np.zeros(length, dtype_of(w))
    out = ix.scatter_add(np.zeros(length + 1, dtype_of(w)), cast(idx, np.int64), w, axis=0)
    return sh.slice(out, start_indices=(0,), limit_indices=(length,))


def digitize(x, bins, right=False, *, method=None):
    """Index of the bin each x falls in, for increasing or decreasing bins."""
    x, b = _arr(x), _arr(bins)
    if len(shape_of(b)) != 1:
        raise ValueError(f"digitize: bins must be a 1-dimensional array; got bins={bins!r}")
    n = shape_of(b)[0]
    if n == 0:
        return np.zeros(shape_of(x), np.int64)
    side = "left" if right else "right"
    up = searchsorted(b, x, side=side)
    down = ew.sub(np.asarray(n, np.int64), searchsorted(sh.rev(b, dimensions=(0,)), x, side=side))
    return where(ew.ge(take(b, n - 1), take(b, 0)), up, down)


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """bins + 1 equal-width edges over range (default [min(a), max(a)], widened by 1/2 on
    each side when empty), or the given edges."""
    if isinstance(bins, str):
        raise NotImplementedError("string values for `bins` are not implemented.")
    a = _arr(a)
    dt = _inexact(dtype_of(a))
    if np.ndim(bins) == 1:
        return cast(_arr(bins), dt)
    nbins = int(bins.concrete("bins of histogram_bin_edges") if is_tracer(bins) else bins)
    lo, hi = (_min(a), _max(a)) if range is None else range
    lo, hi = cast(_arr(lo), dt), cast(_arr(hi), dt)
    empty = ew.eq(lo, hi)
    lo = where(empty, subtract(lo, 0.5), lo)
    hi = where(empty, add(hi, 0.5), hi)
    return linspace(lo, hi, nbins + 1, dtype=dt)


def histogram(a, bins=10, range=None, weights=None, density=None):
    """(counts, edges): the sum of weights (default 1.0) per bin; the last bin includes its
    right edge; density=True divides by the total and the bin widths."""
    a = _arr(a)
    dt = _inexact(dtype_of(a) if weights is None else np.result_type(a, _arr(weights)))
    a = ravel(cast(a, dt))
    w = np.ones(shape_of(a), dt) if weights is None else ravel(cast(_arr(weights), dt))
    if weights is not None and shape_of(w) != shape_of(a):
        raise ValueError("weights should have the same shape as a.")
    edges = histogram_bin_edges(a, bins, range)
    ne = shape_of(edges)[0]
    idx = searchsorted(edges, a, side="right")
    idx = where(ew.eq(a, take(edges, ne - 1)), np.int64(ne - 1), idx)
    counts = bincount(idx, w, length=ne + 1)
    counts = sh.slice(counts, start_indices=(1,), limit_indices=(ne,))
    if density:
        counts = true_divide(true_divide(counts, diff(edges)), sum(counts))
    return counts, edges


def histogramdd(sample, bins=10, range=None, weights=None, density=None):
    """The D-dimensional histogram of N points (an (N, D) array): (counts, list of edges)."""
    s = _arr(sample)
    dt = _inexact(dtype_of(s) if weights is None else np.result_type(s, _arr(weights)))
    s = cast(s, dt)
    if weights is not None:
        weights = cast(_arr(weights), dt)
        if shape_of(weights) != shape_of(s)[:1]:
            raise ValueError("should have one weight for each sample.")
    n, d = shape_of(s)
    if range is not None and (
        len(range) != d or builtins.any(r is not None and np.shape(r)[0] != 2 for r in range)
    ):
        raise ValueError(f"For sample.shape={(n, d)}, range must be a sequence of {d} pairs")
    try:
        per_dim = list(bins)
    except TypeError:
        per_dim = d * [bins]
    if len(per_dim) != d:
        raise ValueError("should be a bin for each dimension.")
    flat, edges = np.zeros((), np.int64), []
    for i in builtins.range(d):
        col = take(s, i, axis=1)
        e = histogram_bin_edges(col, per_dim[i], None if range is None else range[i])
        ne = shape_of(e)[0]
        idx = searchsorted(e, col, side="right")
        idx = where(ew.eq(col, take(e, ne - 1)), ew.sub(idx, np.int64(1)), idx)
        flat = add(multiply(flat, ne + 1), clip(idx, 0, ne))
        edges.append(e)
    nbins = tuple(shape_of(e)[0] + 1 for e in edges)
    hist = bincount(broadcast_to(flat, (n,)), weights, length=math.prod(nbins))
    hist = reshape(hist, nbins)
    core = tuple(k - 1 for k in nbins)
    hist = sh.slice(hist, start_indices=(1,) * d, limit_indices=core)
    if density:
        hist = cast(hist, dt)
        hist = true_divide(hist, sum(hist))
        for i, e in enumerate(edges):
            shape = [1] * d
            shape[i] = shape_of(e)[0] - 1
            hist = true_divide(hist, reshape(diff(e), tuple(shape)))
    return hist, edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):
    """(counts, x edges, y edges) of the points (x[i], y[i])."""
    try:
        k = len(bins)
    except TypeError:
        k = 1
    if k not in (1, 2):
        bins = [bins, bins]
    hist, edges = histogramdd(stack([_arr(x), _arr(y)], axis=1), bins, range, weights, density)
    return hist, edges[0], edges[1]
