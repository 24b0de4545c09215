"""Polynomials as coefficient arrays, highest power first (np.poly1d's convention), with
jax.numpy's semantics: poly, polyadd, polysub, polymul, polydiv, polyder, polyint,
polyval, polyfit, vander; and i0, evaluated as NumPy does, by Chebyshev series.

All are composites of tracejit.numpy functions, so they differentiate and batch: polyval
is Horner's rule unrolled over the (static) number of coefficients, polymul a full
convolution written as one outer product whose anti-diagonals are summed, polyfit a
least-squares solve through the SVD (as JAX's lstsq). roots is left out: its result is
complex, and tracejit has no complex dtypes.
"""

from __future__ import annotations

import operator

import numpy as np

from ..ops import shape as sh
from ._core import broadcast_to, cast, dtype_of, float_dtype, is_tracer, result_type, shape_of
from ._dot import matmul
from ._indexing import at, getitem
from ._math import abs as _abs
from ._math import exp, sqrt, where
from ._reductions import sum as _sum
from ._shape import concatenate, pad, reshape, stack


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _promote(*xs, inexact=False):
    """xs cast to their common dtype (a float one when inexact), as JAX's promote_dtypes."""
    xs = [_arr(x) if not isinstance(x, (int, float)) else x for x in xs]
    dt = result_type(*xs)
    dt = float_dtype(dt) if inexact else dt
    return [cast(_arr(x), dt) for x in xs]


def _1d(x, name):
    if len(shape_of(x)) != 1:
        raise ValueError(f"{name}: input must be a rank-1 array, got shape {shape_of(x)}")
    return x


def _convolve_full(a, b):
    """The full convolution of 1-D a (length n) and b (length m), length n + m - 1.

    Row i of the outer product, shifted right by i, holds a[i] * b[k - i] in column k:
    padding each row with n zeros and re-reading the flat array with rows one shorter
    does all the shifts at once. The sum over rows is the convolution.
    """
    n, m = shape_of(a)[0], shape_of(b)[0]
    outer = sh.broadcast_in_dim(a, shape=(n, m), broadcast_dimensions=(0,)) * b
    padded = pad(outer, ((0, 0), (0, n)))
    flat = getitem(reshape(padded, (n * (m + n),)), slice(0, n * (m + n - 1)))
    return _sum(reshape(flat, (n, m + n - 1)), axis=0)


# ---------------------------------------------------------------------------
# building and combining


def vander(x, N=None, increasing=False):
    """Columns x**(N-1), ..., x, 1 (or increasing): integer powers, so the derivative
    at x = 0 is finite (k x**(k-1), not 0 * inf)."""
    x = _1d(_arr(x), "vander")
    N = shape_of(x)[0] if N is None else operator.index(N)
    if N < 0:
        raise ValueError("N must be nonnegative")
    if N == 0:
        return np.zeros(shape_of(x) + (0,), dtype_of(x))
    cols = [np.ones(shape_of(x), dtype_of(x))] if N else []
    for _ in range(1, N):
        cols.append(x if len(cols) == 1 else cols[-1] * x)
    cols = [cast(c, dtype_of(x)) for c in cols]
    return stack(cols if increasing else cols[::-1], axis=-1)


def poly(seq_of_zeros):
    """The monic polynomial with the given (real) roots."""
    (z,) = _promote(seq_of_zeros, inexact=True)
    s = shape_of(z)
    if len(s) == 2 and s[0] == s[1] and s[0] != 0:
        raise NotImplementedError(
            "tracejit.numpy.poly of a matrix needs its eigenvalues, which are complex in "
            "general; tracejit has no complex dtypes (pass the roots instead)"
        )
    z = reshape(z, (1,)) if not s else z
    if len(shape_of(z)) != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    if shape_of(z)[0] == 0:
        return np.ones((), dtype_of(z))
    a = np.ones((1,), dtype_of(z))
    zero = np.zeros((1,), dtype_of(z))
    for k in range(shape_of(z)[0]):  # a(x) * (x - z_k)
        a = concatenate([a, zero]) - getitem(z, k) * concatenate([zero, a])
    return a


def polyadd(a1, a2):
    a1, a2 = _promote(a1, a2)
    n1, n2 = shape_of(a1)[0], shape_of(a2)[0]
    if n2 <= n1:
        return at(a1)[n1 - n2 :].add(a2)
    return at(a2)[n2 - n1 :].add(a1)


def polysub(a1, a2):
    a1, a2 = _promote(a1, a2)
    return polyadd(a1, -a2)


def polymul(a1, a2, *, trim_leading_zeros=False):
    a1, a2 = _promote(a1, a2, inexact=True)
    if trim_leading_zeros and (shape_of(a1)[0] > 1 or shape_of(a2)[0] > 1):
        from ._arrays_extra import trim_zeros

        a1, a2 = trim_zeros(a1, trim="f"), trim_zeros(a2, trim="f")
    if shape_of(a1)[0] == 0:
        a1 = np.zeros(1, dtype_of(a2))
    if shape_of(a2)[0] == 0:
        a2 = np.zeros(1, dtype_of(a1))
    return _convolve_full(a1, a2)


def polydiv(u, v, *, trim_leading_zeros=False):
    """(quotient, remainder) of long division; the remainder keeps u's length unless
    trim_leading_zeros (which needs concrete values) drops its near-zero leading terms."""
    u, v = _promote(u, v, inexact=True)
    m, n = shape_of(u)[0] - 1, shape_of(v)[0] - 1
    scale = 1.0 / getitem(v, 0)
    q = np.zeros(max(m - n + 1, 1), dtype_of(u))
    for k in range(m - n + 1):
        d = scale * getitem(u, k)
        q = at(q)[k].set(d)
        u = at(u)[k : k + n + 1].add(-d * v)
    if trim_leading_zeros:
        tol = np.sqrt(np.finfo(dtype_of(u)).eps)
        val = u.concrete("polydiv with trim_leading_zeros") if is_tracer(u) else u
        big = np.flatnonzero(np.abs(val) > tol)
        u = getitem(u, slice(int(big[0]) if big.size else len(val), None))
    return q, u


def polyder(p, m=1):
    (p,) = _promote(p, inexact=True)
    m = operator.index(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive")
    if m == 0:
        return p
    n = shape_of(p)[0]
    coeff = (np.arange(m, n)[None] - np.arange(m)[:, None]).prod(0).astype(dtype_of(p))
    return getitem(p, slice(0, n - m)) * coeff[::-1]


def polyint(p, m=1, k=None):
    m = operator.index(m)
    p, k = _promote(p, 0 if k is None else k, inexact=True)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    k = reshape(k, (1,)) if not shape_of(k) else k
    if shape_of(k)[0] == 1:
        k = broadcast_to(reshape(k, ()), (m,))
    if shape_of(k) != (m,):
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or m.")
    if m == 0:
        return p
    n = shape_of(p)[0]
    grid = np.arange(n + m)[None] - np.arange(m)[:, None]
    coeff = np.maximum(1, grid).prod(0)[::-1].astype(dtype_of(p))
    return concatenate([p, k]) / coeff


def polyval(p, x, *, unroll=16):
    """p[0] * x**(n-1) + ... + p[n-1], by Horner's rule; p may be 2-D (one polynomial
    per trailing index), broadcast against x."""
    p, x = _promote(p, x)
    shape = np.broadcast_shapes(shape_of(p)[1:], shape_of(x))
    y = np.zeros(shape, dtype_of(x))
    for i in range(shape_of(p)[0]):
        y = y * x + getitem(p, i)
    return broadcast_to(cast(y, dtype_of(x)), shape)


# ---------------------------------------------------------------------------
# fitting


def _lstsq(a, b, rcond):
    """JAX's lstsq for 2-D a and b: the minimum-norm solution through the SVD, with
    singular values below rcond * s_max treated as zero; residuals always returned."""
    from .linalg import svd

    u, s, vt = svd(a, full_matrices=False)
    s0 = getitem(s, 0)
    mask = (s > 0) & (s >= rcond * s0)
    rank = _sum(cast(mask, np.int64))
    s_inv = where(mask, 1 / where(mask, s, 1.0), 0.0)
    x = matmul(vt.T, reshape(s_inv, (-1, 1)) * matmul(u.T, b))
    r = b - matmul(a, x)
    return x, _sum(r * r, axis=0), rank, s


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares fit of a degree-deg polynomial (JAX's algorithm: columns of the
    Vandermonde matrix scaled to unit norm, then lstsq)."""
    x, y = _promote(x, y, inexact=True)
    deg = operator.index(deg)
    order = deg + 1
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if len(shape_of(x)) != 1:
        raise TypeError("expected 1D vector for x")
    if shape_of(x)[0] == 0:
        raise TypeError("expected non-empty vector for x")
    if not 1 <= len(shape_of(y)) <= 2:
        raise TypeError("expected 1D or 2D array for y")
    if shape_of(x)[0] != shape_of(y)[0]:
        raise TypeError("expected x and y to have same length")
    n = shape_of(x)[0]
    rcond = n * float(np.finfo(dtype_of(x)).eps) if rcond is None else float(rcond)
    lhs, rhs = vander(x, order), y
    if w is not None:
        (w,) = _promote(w, inexact=True)
        if len(shape_of(w)) != 1:
            raise TypeError("expected a 1-d array for weights")
        if shape_of(w)[0] != n:
            raise TypeError("expected w and y to have the same length")
        lhs = lhs * reshape(w, (n, 1))
        rhs = rhs * (reshape(w, (n, 1)) if len(shape_of(rhs)) == 2 else w)
    scale = sqrt(_sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    b = reshape(rhs, (n, 1)) if len(shape_of(rhs)) == 1 else rhs
    c, resids, rank, s = _lstsq(lhs, b, rcond)
    c = c / reshape(scale, (order, 1))
    c = reshape(c, (order,)) if len(shape_of(rhs)) == 1 else c
    if full:
        return c, resids, rank, s, np.asarray(rcond)  # a Python float, as JAX
    if not cov:
        return c
    from .linalg import inv

    vbase = inv(matmul(lhs.T, lhs)) / (reshape(scale, (order, 1)) * scale)
    if cov == "unscaled":
        fac = np.ones((1,), dtype_of(x))
    else:
        if n <= order:
            raise ValueError(
                "the number of data points must exceed order to scale the covariance matrix"
            )
        fac = resids / (n - order)
    if len(shape_of(y)) == 1:
        return c, vbase * reshape(fac, (1, 1))
    return c, reshape(vbase, (order, order, 1)) * reshape(fac, (1, 1, -1))


def roots(p, *, strip_zeros=True):
    raise NotImplementedError(
        "tracejit.numpy.roots: the roots of a real polynomial are complex in general, and "
        "tracejit has no complex dtypes; use numpy.roots outside traced code"
    )


# ---------------------------------------------------------------------------
# i0, by the Chebyshev expansions NumPy uses (Cephes): one on [0, 8], one beyond

_I0A = np.array([
    -4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
    1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
    -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
    9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-09,
    -1.30002500998624804212e-08, 6.04699502254191894932e-08, -2.67079385394061173391e-07,
    1.11738753912010371815e-06, -4.41673835845875056359e-06, 1.64484480707288970893e-05,
    -5.75419501008210370398e-05, 1.88502885095841655729e-04, -5.76375574538582365885e-04,
    1.63947561694133579842e-03, -4.32430999505057594430e-03, 1.05464603945949983183e-02,
    -2.37374148058994688156e-02, 4.93052842396707084878e-02, -9.49010970480476444210e-02,
    1.71620901522208775349e-01, -3.04682672343198398683e-01, 6.76795274409476084995e-01,
])  # fmt: skip
_I0B = np.array([
    -7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
    3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
    1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
    -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
    7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
    -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
    3.39623202570838634515e-09, 2.26666899049817806459e-08, 2.04891858946906374183e-07,
    2.89137052083475648297e-06, 6.88975834691682398426e-05, 3.36911647825569408990e-03,
    8.04490411014108831608e-01,
])  # fmt: skip


def _chbevl(t, coeffs):
    """The Chebyshev series sum_k c_k T_k(t/2) by Clenshaw's recurrence (Cephes chbevl)."""
    c = [np.asarray(v, dtype_of(t)) for v in coeffs]
    b0, b1, b2 = c[0], np.zeros((), dtype_of(t)), None
    for v in c[1:]:
        b2, b1 = b1, b0
        b0 = t * b1 - b2 + v
    return 0.5 * (b0 - b2)


def i0(x):
    """The modified Bessel function of the first kind, order 0 (NumPy's algorithm)."""
    x = _arr(x)
    dt = float_dtype(dtype_of(x))
    if not np.issubdtype(dt, np.floating):
        raise NotImplementedError("tracejit.numpy.i0: complex dtypes are unsupported")
    ax = _abs(cast(x, dt))
    small = ax <= 8.0
    lo = where(small, ax, 8.0)  # each branch sees only inputs in its range: no inf, no NaN
    hi = where(small, 8.0, ax)
    y_lo = exp(lo) * _chbevl(lo / 2.0 - 2.0, _I0A)
    y_hi = exp(hi) * _chbevl(32.0 / hi - 2.0, _I0B) / sqrt(hi)
    return where(small, y_lo, y_hi)
