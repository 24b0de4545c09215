"""Helpers called by generated code, compiled once per machine (`cache=True`).

A NumPy call inside a generated kernel makes Numba compile NumPy's implementation again
in every process that compiles a kernel (np.dot's takes a second or more); a call of a
helper here links machine code from the disk cache instead. So heavy NumPy calls go
through here: `dot`, `full`, `argsort`, and one matrix of each linear-algebra primitive
(generated code loops over batch dimensions; the helpers take and return C-contiguous
arrays for one (m, n) matrix). They follow the primitives' impls in ops/linalg.py: the
operand is symmetrised where the impl does, and a matrix LAPACK rejects gives NaN
outputs, never an exception. `np.linalg` inside Numba calls LAPACK through SciPy.
Plain Python functions when NUMBA_DISABLE_JIT=1 (and under python_function).
"""

import numba
import numpy as np

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@_jit
def dot(a, b):
    """np.dot of 1-D or 2-D operands (BLAS; a transposed view is passed to BLAS as such)."""
    return np.dot(a, b)


@_jit
def outer(a, b):
    return np.outer(a, b)


@_jit
def full(shape, value):
    """An array of `shape` filled with `value`, of value's type."""
    return np.full(shape, value)


@_jit
def argsort(x):
    """A stable argsort of a 1-D array (NaN last, as NumPy)."""
    return np.argsort(x, kind="mergesort")


@_jit
def sym(a):
    s = a + a.T
    s *= 0.5  # in place: keeps float32 float32
    return s


@_jit
def c(x):
    """LAPACK results are Fortran-ordered; generated code keeps every array C-ordered."""
    return np.ascontiguousarray(x)


@_jit
def cholesky(a):
    try:
        return c(np.linalg.cholesky(sym(a)))
    except Exception:  # noqa: BLE001 - not positive definite
        return np.full(a.shape, np.nan, a.dtype)


@_jit
def solve(a, b):
    try:
        return c(np.linalg.solve(a, b))
    except Exception:  # noqa: BLE001 - singular
        return np.full(b.shape, np.nan, b.dtype)


@_jit
def inv(a):
    try:
        return c(np.linalg.inv(a))
    except Exception:  # noqa: BLE001 - singular
        return np.full(a.shape, np.nan, a.dtype)


@_jit
def det(a):
    return np.linalg.det(a)


@_jit
def adjugate(a):
    """sign · V diag(Π_{j≠i} s_j) Uᵀ from the SVD, as ops/linalg.py's impl."""
    n = a.shape[0]
    try:
        u, s, vh = np.linalg.svd(a)
    except Exception:  # noqa: BLE001 - no convergence
        return np.full(a.shape, np.nan, a.dtype)
    p = np.ones(n, s.dtype)
    for i in range(n):
        for j in range(n):
            if j != i:
                p[i] *= s[j]
    r = (vh.T * p) @ u.T
    if np.linalg.det(u) * np.linalg.det(vh) < 0:
        r = -r  # (a scalar sign would promote float32 to float64)
    return c(r)


@_jit
def slogdet(a):
    return np.linalg.slogdet(a)


@_jit
def eigh(a):
    try:
        w, v = np.linalg.eigh(sym(a))
        return w, c(v)
    except Exception:  # noqa: BLE001 - no convergence
        return np.full(a.shape[0], np.nan, a.dtype), np.full(a.shape, np.nan, a.dtype)


@_jit
def svd(a, full_matrices):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return c(u), s, c(vh)


@_jit
def svd_values(a):
    return np.linalg.svd(a)[1]  # Numba's svd has no compute_uv


@_jit
def qr(a, complete):
    """Householder QR as LAPACK's geqrf + orgqr (same reflectors, so the same signs)."""
    m, n = a.shape
    k = min(m, n)
    h = a.copy()
    tau = np.zeros(k, a.dtype)
    for i in range(k):  # geqr2: reflector i zeroes h[i+1:, i]
        alpha = h[i, i]
        xnorm = np.sqrt(np.sum(h[i + 1 :, i] ** 2))
        if xnorm == 0.0:
            continue
        beta = -np.copysign(np.hypot(alpha, xnorm), alpha)
        tau[i] = (beta - alpha) / beta
        h[i + 1 :, i] /= alpha - beta
        h[i, i] = beta
        for j in range(i + 1, n):  # apply (I - tau v vᵀ) to column j, v = [1, h[i+1:, i]]
            w = h[i, j] + np.sum(h[i + 1 :, i] * h[i + 1 :, j])
            h[i, j] -= tau[i] * w
            h[i + 1 :, j] -= tau[i] * w * h[i + 1 :, i]
    cols = m if complete else k
    q = np.zeros((m, cols), a.dtype)
    for j in range(cols):
        q[j, j] = 1.0
    for i in range(k - 1, -1, -1):  # orgqr: q = H(0) ... H(k-1) applied to the identity
        for j in range(i, cols):
            w = q[i, j] + np.sum(h[i + 1 :, i] * q[i + 1 :, j])
            q[i, j] -= tau[i] * w
            q[i + 1 :, j] -= tau[i] * w * h[i + 1 :, i]
    rows = m if complete else k
    r = np.zeros((rows, n), a.dtype)
    for i in range(min(rows, m)):
        for j in range(i, n):
            r[i, j] = h[i, j]
    return q, r


@_jit
def lu(a):
    """Partial pivoting as LAPACK's getrf: (packed l\\u, swaps, perm), int32 indices."""
    n = a.shape[0]
    lu_ = a.copy()
    swaps = np.empty(n, np.int32)
    perm = np.arange(n).astype(np.int32)
    for k in range(n):
        p = k
        for i in range(k + 1, n):
            if abs(lu_[i, k]) > abs(lu_[p, k]):
                p = i
        swaps[k] = p
        if p != k:
            for j in range(n):
                lu_[k, j], lu_[p, j] = lu_[p, j], lu_[k, j]
            perm[k], perm[p] = perm[p], perm[k]
        if lu_[k, k] != 0.0:
            for i in range(k + 1, n):
                lu_[i, k] /= lu_[k, k]
        for i in range(k + 1, n):
            f = lu_[i, k]
            for j in range(k + 1, n):
                lu_[i, j] -= f * lu_[k, j]
    return lu_, swaps, perm


@_jit
def trisolve_left(a, b, lower, transpose_a, unit_diagonal):
    """x with op(a) x = b for triangular a (only its lower or upper part is read)."""
    n, k = b.shape
    x = b.copy()
    # op(a) is lower triangular iff lower != transpose_a: then solve top-down
    down = lower != transpose_a
    for c in range(k):
        for s in range(n):
            i = s if down else n - 1 - s
            acc = x[i, c]
            for t in range(s):
                j = t if down else n - 1 - t
                aij = a[j, i] if transpose_a else a[i, j]
                acc -= aij * x[j, c]
            if not unit_diagonal:
                if a[i, i] == 0.0:
                    return np.full(b.shape, np.nan, b.dtype)
                acc /= a[i, i]
            x[i, c] = acc
    return x


@_jit
def trisolve(a, b, left_side, lower, transpose_a, unit_diagonal):
    if left_side:
        return trisolve_left(a, b, lower, transpose_a, unit_diagonal)
    # x op(a) = b  <=>  op(a)ᵀ xᵀ = bᵀ
    xt = trisolve_left(a, np.ascontiguousarray(b.T), lower, not transpose_a, unit_diagonal)
    return np.ascontiguousarray(xt.T)


# scalar kernels of ops/special.py's primitives, called as kernels.digamma(x) etc.
from .special import *  # noqa: E402, F403
