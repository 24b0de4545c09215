"""tracejit.numpy.linalg: NumPy's linalg on the linalg primitives, with broadcasting.

Integer inputs are computed in float64 and float32 stays float32, as NumPy. Stacks of
matrices (..., m, n) work everywhere; `solve` broadcasts batch dims and accepts a
vector right-hand side. `norm`'s 2-norm (and Frobenius norm) has gradient x/‖x‖ where
x ≠ 0 and 0 at x = 0 (the minimum-norm subgradient), never NaN.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ..ops import elementwise as ew
from ..ops import linalg as la
from ..ops import reduce as red
from ..ops import shape as sh
from ._core import (
    broadcast_to,
    canon_axes,
    cast,
    dtype_of,
    is_tracer,
    keep_dims,
    shape_of,
)
from ._dot import matmul, outer
from ._dot import tensordot as _tensordot
from ._math import _c, safe_sqrt

__all__ = [
    "cholesky",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "multi_dot",
    "norm",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "tensorinv",
    "tensorsolve",
    "trace",
    "vecdot",
    "vector_norm",
]

LinAlgError = np.linalg.LinAlgError

EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = namedtuple("QRResult", ["Q", "R"])


def _float(a):
    """a as a floating array (ints and bool become float64)."""
    a = a if is_tracer(a) else np.asarray(a)
    if not np.issubdtype(dtype_of(a), np.inexact):
        a = cast(a, np.float64)
    if np.issubdtype(dtype_of(a), np.complexfloating):
        raise NotImplementedError("tracejit.numpy.linalg supports real matrices only")
    return a


def _square(a, name):
    s = shape_of(a)
    if len(s) < 2:
        raise np.linalg.LinAlgError(
            f"{len(s)}-dimensional array given. Array must be at least two-dimensional"
        )
    if s[-1] != s[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")


def _mT(x):
    nd = len(shape_of(x))
    return sh.transpose(x, perm=tuple(range(nd - 2)) + (nd - 1, nd - 2))


# ---------------------------------------------------------------------------
# factorizations and solves


def cholesky(a, /, *, upper=False):
    a = _float(a)
    _square(a, "cholesky")
    low = la.cholesky(a)
    return _mT(low) if upper else low


def _solve_shapes(sa, sb) -> tuple:
    """The batch shape of solve(a, b), or ValueError (JAX's rules, checked before tracing).

    b is a vector (n,) for any batch of a, or (..., n, k) with batch dims broadcasting
    against a's. A b of shape (..., n) with one dim fewer than a is not read as a batch of
    vectors (JAX stopped doing so in 0.5): its rows must still number n.
    """
    n = sa[-1]
    rows = sb[0] if len(sb) == 1 else sb[-2]
    if rows != n:
        hint = ""
        if len(sb) == len(sa) - 1 and sb[-1] == n:
            hint = " For a batch of vectors use solve(a, b[..., None])[..., 0]."
        raise ValueError(
            f"Invalid shapes for solve: {sa}, {sb}; b needs {n} rows (b is (n,) or "
            f"(..., n, k)).{hint}"
        )
    if len(sb) == 1:
        return sa[:-2]
    try:
        return np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(
            f"Invalid shapes for solve: {sa}, {sb}; batch dims {sa[:-2]} and {sb[:-2]} "
            "do not broadcast"
        ) from None


def solve(a, b):
    """x with a x = b; b is (..., n, k), or a vector (n,) for any batch of a."""
    a, b = _float(a), _float(b)
    _square(a, "solve")
    dt = np.result_type(dtype_of(a), dtype_of(b))
    a, b = cast(a, dt), cast(b, dt)
    sa, sb = shape_of(a), shape_of(b)
    batch = _solve_shapes(sa, sb)
    if len(sb) == 1:
        b = broadcast_to(sh.reshape(b, new_sizes=sb + (1,)), sa[:-2] + sb + (1,))
        x = la.solve(a, b)
        return sh.squeeze(x, dimensions=(len(sa) - 1,))
    return la.solve(broadcast_to(a, batch + sa[-2:]), broadcast_to(b, batch + sb[-2:]))


def inv(a):
    a = _float(a)
    _square(a, "inv")
    return la.inv(a)


def det(a):
    a = _float(a)
    _square(a, "det")
    return la.det(a)


def slogdet(a):
    a = _float(a)
    _square(a, "slogdet")
    sign, logabsdet = la.slogdet(a)
    return SlogdetResult(sign, logabsdet)


def eigh(a, UPLO="L"):
    a = _float(a)
    _square(a, "eigh")
    w, v = la.eigh(a, lower=UPLO == "L")
    return EighResult(w, v)


def eigvalsh(a, UPLO="L"):
    return eigh(a, UPLO).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    a = _float(a)
    if len(shape_of(a)) < 2:
        raise np.linalg.LinAlgError("svd needs an array of at least two dimensions")
    if not compute_uv:
        out = la.svd(a, full_matrices=False, compute_uv=False)
        return out[0] if isinstance(out, (tuple, list)) else out
    u, s, vh = la.svd(a, full_matrices=full_matrices, compute_uv=True)
    return SVDResult(u, s, vh)


def svdvals(x, /):
    return svd(x, compute_uv=False)


def qr(a, mode="reduced"):
    a = _float(a)
    if mode not in ("reduced", "complete", "r"):
        raise NotImplementedError(f"tracejit.numpy.linalg.qr: mode={mode!r}")
    q, r = la.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    """Moore-Penrose inverse from the SVD; singular values below the cutoff count as 0."""
    a = _float(a)
    cut = rtol if rtol is not None else (1e-15 if rcond is None else rcond)
    u, s, vh = la.svd(a, full_matrices=False, compute_uv=True)
    smax = red.reduce_max(s, axes=(len(shape_of(s)) - 1,))
    big = ew.gt(
        s,
        sh.broadcast_in_dim(
            ew.mul(smax, _c(cut, smax)),
            shape=shape_of(s),
            broadcast_dimensions=tuple(range(len(shape_of(s)) - 1)),
        ),
    )
    s_inv = ew.select(big, ew.div(_c(1, s), ew.select(big, s, _c(1, s))), _c(0, s))
    nd = len(shape_of(u))
    scaled_ut = ew.mul(
        _mT(u),
        sh.broadcast_in_dim(
            s_inv, shape=shape_of(_mT(u)), broadcast_dimensions=tuple(range(nd - 1))
        ),
    )
    return matmul(_mT(vh), scaled_ut)


def matrix_power(a, n):
    a = _float(a) if not np.issubdtype(dtype_of(a), np.integer) else a
    _square(a, "matrix_power")
    n = int(n)
    if n == 0:
        return broadcast_to(np.eye(shape_of(a)[-1], dtype=dtype_of(a)), shape_of(a))
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(arrays, *, out=None):
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    result = arrays[0]
    for x in arrays[1:]:
        result = matmul(result, x)
    return result


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    A = _float(A)
    if len(shape_of(A)) < 2:  # a vector (or scalar) has rank 1 unless it is all zeros
        nonzero = ew.ne(A, _c(0, A))
        return cast(red.reduce_max(nonzero, axes=tuple(range(len(shape_of(A))))), np.int64)
    s = svdvals(A)
    m, n = shape_of(A)[-2:]
    smax = red.reduce_max(s, axes=(len(shape_of(s)) - 1,))
    if tol is None:
        r = rtol if rtol is not None else builtins.max(m, n) * np.finfo(dtype_of(s)).eps
        tol = ew.mul(smax, _c(r, smax))
    tol = cast(tol, dtype_of(s))
    if shape_of(tol):  # one tolerance per matrix of the stack
        tol = sh.expand_dims(tol, dimensions=(len(shape_of(s)) - 1,))
    tol = broadcast_to(tol, shape_of(s))
    return red.reduce_sum(cast(ew.gt(s, tol), np.int64), axes=(len(shape_of(s)) - 1,))


def tensordot(x1, x2, /, *, axes=2):
    return _tensordot(x1, x2, axes)


def matrix_transpose(x, /):
    return _mT(x)


def diagonal(x, /, *, offset=0):
    from ._shape import diagonal as _diagonal

    return _diagonal(x, offset, -2, -1)


def trace(x, /, *, offset=0, dtype=None):
    from ._shape import trace as _trace

    return _trace(x, offset, -2, -1, dtype)


# ---------------------------------------------------------------------------
# norms


def _two_norm(x, axes):
    return safe_sqrt(red.reduce_sum(ew.mul(x, x), axes=axes))


def _vector_norm(x, ord, axes):
    if ord is None or ord == 2:
        return _two_norm(x, axes)
    abs_x = ew.abs(x)
    ax = axes
    if ord == np.inf:
        return red.reduce_max(abs_x, axes=ax)
    if ord == -np.inf:
        return red.reduce_min(abs_x, axes=ax)
    if ord == 0:
        return red.reduce_sum(cast(ew.ne(x, _c(0, x)), dtype_of(x)), axes=ax)
    if ord == 1:
        return red.reduce_sum(abs_x, axes=ax)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    p = float(ord)
    s = red.reduce_sum(ew.pow(abs_x, _c(p, x)), axes=ax)
    if p < 0:
        return ew.pow(s, _c(1 / p, s))
    zero = ew.eq(s, _c(0, s))  # as for the 2-norm: derivative 0, not NaN, at x = 0
    return ew.select(zero, _c(0, s), ew.pow(ew.select(zero, _c(1, s), s), _c(1 / p, s)))


def _matrix_norm(x, ord, row, col):
    if ord in (None, "fro", "f"):
        return _two_norm(x, (row, col))
    if ord in ("nuc", 2, -2):
        y = sh.transpose(
            x, perm=tuple(i for i in range(len(shape_of(x))) if i not in (row, col)) + (row, col)
        )
        s = svdvals(y)
        last = (len(shape_of(s)) - 1,)
        if ord == "nuc":
            return red.reduce_sum(s, axes=last)
        return (red.reduce_max if ord == 2 else red.reduce_min)(s, axes=last)
    if ord in (1, -1, np.inf, -np.inf):
        abs_x = ew.abs(x)
        sum_ax, ext_ax = (row, col) if ord in (1, -1) else (col, row)
        sums = red.reduce_sum(abs_x, axes=(sum_ax,))
        ext_ax -= ext_ax > sum_ax
        return (red.reduce_max if ord in (1, np.inf) else red.reduce_min)(sums, axes=(ext_ax,))
    raise ValueError(f"Invalid norm order {ord!r} for matrices")


def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's norm: vector orders (2, 1, inf, -inf, 0, p) and matrix orders
    ('fro', 'nuc', 2, -2, 1, -1, inf, -inf)."""
    x = _float(x)
    nd = len(shape_of(x))
    if axis is None:
        if ord is None:
            axes = tuple(range(nd))
            return keep_dims(_two_norm(x, axes), axes, keepdims)
        if nd not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(nd))
    axes = canon_axes(axis, nd)
    if isinstance(axis, (int, np.integer)) or len(axes) == 1:
        out = _vector_norm(x, ord, axes)
    elif len(axes) == 2:
        row, col = (axis[0] % nd, axis[1] % nd)
        out = _matrix_norm(x, ord, row, col)
    else:
        raise ValueError("Improper number of dimensions to norm.")
    return keep_dims(out, axes, keepdims)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    x = _float(x)
    axes = canon_axes(axis, len(shape_of(x)))
    return keep_dims(_vector_norm(x, ord, axes), axes, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    x = _float(x)
    nd = len(shape_of(x))
    return keep_dims(_matrix_norm(x, ord, nd - 2, nd - 1), (nd - 2, nd - 1), keepdims)


def cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along `axis` (the array API's linalg.cross)."""
    from ._dot import cross as _cross

    if shape_of(x1)[axis] != 3 or shape_of(x2)[axis] != 3:
        raise ValueError("linalg.cross: both inputs must have size 3 along `axis`")
    return _cross(x1, x2, axis=axis)


def vecdot(x1, x2, /, *, axis=-1):
    """Σ x1·x2 along `axis`, broadcasting the rest: tracejit.numpy.vecdot."""
    from ._extra_math import vecdot as _vecdot

    return _vecdot(x1, x2, axis=axis)


def cond(x, p=None):
    """The condition number of x in the norm p: σ_max/σ_min for p in (None, 2, -2),
    ‖x‖·‖x⁻¹‖ for the others (as NumPy and JAX)."""
    x = _float(x)
    if p is None or p in (2, -2):
        s = svdvals(x)
        big, small = s[..., 0], s[..., -1]
        return ew.div(small, big) if p == -2 else ew.div(big, small)
    return ew.mul(norm(x, ord=p, axis=(-2, -1)), norm(inv(x), ord=p, axis=(-2, -1)))


LstsqResult = namedtuple("LstsqResult", ["x", "residuals", "rank", "s"])


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """(x, residuals, rank, s) minimising ‖a x - b‖ through the SVD of a 2-D `a`, as JAX:
    singular values not above rcond·σ_max (default eps·max(m, n)) count as zero; the residuals
    ‖b - a x‖² per column are always returned unless numpy_resid asks for NumPy's empty
    array when a is rank-deficient or not tall."""
    from . import asarray, where

    a, b = _float(a), _float(asarray(b))
    if len(shape_of(a)) != 2 or len(shape_of(b)) not in (1, 2):
        raise TypeError("linalg.lstsq: `a` must be 2-D and `b` 1-D or 2-D")
    m, n = shape_of(a)
    if shape_of(b)[0] != m:
        raise ValueError(f"linalg.lstsq: a is {m}x{n} but b has {shape_of(b)[0]} rows")
    vector = len(shape_of(b)) == 1
    b2 = sh.expand_dims(b, dimensions=(1,)) if vector else b
    b2 = cast(b2, dtype_of(a))
    if rcond is None:
        rcond = np.finfo(dtype_of(a)).eps * builtins.max(m, n)
    u, s, vt = la.svd(a, full_matrices=False, compute_uv=True)
    k = shape_of(s)[0]
    cut = ew.mul(s[0], _c(rcond, s)) if k else _c(0, s)
    keep = ew.gt(s, broadcast_to(cut, shape_of(s)))
    rank = red.reduce_sum(cast(keep, np.int64), axes=(0,))
    s_inv = where(keep, ew.div(_c(1, s), where(keep, s, _c(1, s))), _c(0, s))
    utb = matmul(_mT(u), b2)
    x = matmul(_mT(vt), ew.mul(broadcast_to(s_inv[:, None], shape_of(utb)), utb))
    if numpy_resid and not is_tracer(rank) and (int(rank) < n or m <= n):
        resid = np.zeros((0,), dtype_of(a))
    else:
        r = ew.sub(b2, matmul(a, x))
        resid = red.reduce_sum(ew.mul(r, r), axes=(0,))
    if vector:
        x = sh.reshape(x, new_sizes=(n,))  # (the residuals keep their column axis, as JAX)
    return LstsqResult(x, resid, rank, s)


def tensorinv(a, ind=2):
    """The inverse of `a` seen as a map from its first `ind` axes to the rest."""
    a = _float(a)
    shape = shape_of(a)
    rows, cols = int(np.prod(shape[:ind])), int(np.prod(shape[ind:]))
    if rows != cols:
        raise ValueError(f"linalg.tensorinv: {shape[:ind]} and {shape[ind:]} differ in size")
    inv_a = inv(sh.reshape(a, new_sizes=(rows, cols)))
    return sh.reshape(inv_a, new_sizes=shape[ind:] + shape[:ind])


def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) == b."""
    from . import moveaxis

    a, b = _float(a), _float(b)
    if axes is not None:
        nd = len(shape_of(a))
        a = moveaxis(a, tuple(axes), tuple(builtins.range(nd - len(axes), nd)))
    out_shape = shape_of(a)[len(shape_of(b)) :]
    rows, cols = int(np.prod(shape_of(b))), int(np.prod(out_shape))
    if rows != cols:
        raise ValueError("linalg.tensorsolve: the problem is not square")
    x = solve(sh.reshape(a, new_sizes=(rows, cols)), sh.reshape(b, new_sizes=(rows,)))
    return sh.reshape(x, new_sizes=out_shape)


def eig(a):
    raise NotImplementedError(
        "tracejit.numpy.linalg.eig: eigenvalues of a general matrix are complex, and "
        "tracejit has no complex dtypes; for a symmetric matrix use linalg.eigh"
    )


def eigvals(a):
    raise NotImplementedError(
        "tracejit.numpy.linalg.eigvals: complex results are not supported; for a "
        "symmetric matrix use linalg.eigvalsh"
    )


_PUBLIC = {name: globals()[name] for name in __all__}


def __getattr__(name: str):
    from . import _missing

    return _missing(f"linalg.{name}", hasattr(np.linalg, name), name)
