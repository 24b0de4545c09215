"""tracejit.scipy.linalg: jax.scipy.linalg's API on the linalg primitives (ops/linalg.py)
and tracejit.numpy.linalg.

Stacks of matrices (..., m, n) work where JAX's do. `overwrite_*`, `check_finite` and
similar arguments are accepted and ignored, as in JAX. `lu` and `lu_factor` need square
matrices. `expm` is Padé [13/13] with scaling and squaring (Higham 2005), written with
ops: it differentiates, batches and compiles like any composite, and `expm_frechet` is
its JVP.
"""

from __future__ import annotations

import numpy as np

from .. import numpy as tnp
from ..lax import fori_loop
from ..numpy._core import dtype_of, is_tracer, shape_of
from ..numpy.linalg import _float
from ..ops import linalg as la
from ..ops.elementwise import stop_gradient

__all__ = [
    "block_diag",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "det",
    "eigh",
    "expm",
    "expm_frechet",
    "inv",
    "lu",
    "lu_factor",
    "lu_solve",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
    "toeplitz",
]


def _mT(x):
    return tnp.swapaxes(x, -1, -2)


def _solve_cols(solve_fn, b):
    """Apply a solver for (..., n, k) right-hand sides to b of shape (n,) or (..., n, k)."""
    if len(shape_of(b)) == 1:
        return solve_fn(b[:, None])[..., 0]
    return solve_fn(b)


# ---------------------------------------------------------------------------
# Cholesky


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The Cholesky factor of a: lower (a = l lᵀ) or, by default, upper (a = uᵀ u)."""
    low = la.cholesky(_float(a))
    return low if lower else _mT(low)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower): the factor for cho_solve."""
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """x with a x = b, given cho_factor(a)."""
    c, lower = c_and_lower
    c, b = _same_float(c, b)

    def solve(rhs):
        c_b, rhs = _bcast_batch(c, rhs)
        # a = l lᵀ: solve l y = b, then lᵀ x = y (with u = lᵀ when upper)
        y = la.triangular_solve(c_b, rhs, left_side=True, lower=lower, transpose_a=not lower)
        return la.triangular_solve(c_b, y, left_side=True, lower=lower, transpose_a=lower)

    return _solve_cols(solve, b)


def _same_float(*xs):
    xs = [_float(x) for x in xs]
    dt = np.result_type(*[dtype_of(x) for x in xs])
    return [tnp.asarray(x, dt) for x in xs]


def _bcast_batch(a, b):
    """a (..., n, n) and b (..., n, k) broadcast to their common batch dims."""
    batch = np.broadcast_shapes(shape_of(a)[:-2], shape_of(b)[:-2])
    return (
        tnp.broadcast_to(a, batch + shape_of(a)[-2:]),
        tnp.broadcast_to(b, batch + shape_of(b)[-2:]),
    )


# ---------------------------------------------------------------------------
# triangular and general solves


def solve_triangular(
    a,
    b,
    trans=0,
    lower=False,
    unit_diagonal=False,
    overwrite_b=False,
    debug=None,
    check_finite=True,
):
    """x with op(a) x = b, a triangular; op is identity (trans=0 or 'N') or transpose
    (1, 'T', 2, 'C'). b is (n,) or (..., n, k)."""
    if trans in (0, "N"):
        transpose_a = False
    elif trans in (1, "T", 2, "C"):
        transpose_a = True
    else:
        raise ValueError(f"Invalid 'trans' value {trans!r}")
    a, b = _same_float(a, b)

    def solve(rhs):
        return la.triangular_solve(
            *_bcast_batch(a, rhs),
            left_side=True,
            lower=lower,
            transpose_a=transpose_a,
            unit_diagonal=unit_diagonal,
        )

    return _solve_cols(solve, b)


def solve(
    a,
    b,
    lower=False,
    overwrite_a=False,
    overwrite_b=False,
    debug=False,
    check_finite=True,
    assume_a="gen",
):
    """x with a x = b. assume_a: 'gen' (LU), 'sym'/'her' (as 'gen'), 'pos' (Cholesky,
    reading the `lower` triangle of a)."""
    if assume_a not in ("gen", "sym", "her", "pos"):
        raise ValueError(
            f"Expected assume_a to be one of 'gen', 'sym', 'her' or 'pos'; got {assume_a!r}"
        )
    if assume_a == "pos":
        a = _float(a)
        tri = tnp.tril(a) if lower else tnp.triu(a)
        full = tri + _mT(tri) - tnp.eye(shape_of(a)[-1], dtype=dtype_of(a)) * a
        return cho_solve(cho_factor(full, lower=lower), b)
    return tnp.linalg.solve(a, b)


def inv(a, overwrite_a=False, check_finite=True):
    return tnp.linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    return tnp.linalg.det(a)


# ---------------------------------------------------------------------------
# factorizations


def lu_factor(a, overwrite_a=False, check_finite=True):
    """(lu, piv): l (unit diagonal, strictly below) and u (on and above) packed in lu;
    piv the LAPACK row interchanges (int32), row i swapped with row piv[i] in turn."""
    packed, swaps, _perm = la.lu(_float(a))
    return packed, swaps


def _unpack(packed):
    n = shape_of(packed)[-1]
    eye = tnp.eye(n, dtype=dtype_of(packed))
    return tnp.tril(packed, -1) + eye, tnp.triu(packed)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """(p, l, u) with a = p l u (or (p l, u) if permute_l), for square a."""
    packed, _swaps, perm = la.lu(_float(a))
    low, up = _unpack(packed)
    n = shape_of(packed)[-1]
    # a[perm] = l u, so a = p l u with p[perm[i], i] = 1
    p = tnp.asarray(perm[..., None, :] == tnp.arange(n)[:, None], dtype_of(packed))
    if permute_l:
        return tnp.matmul(p, low), up
    return p, low, up


def _pivots_to_permutation(piv, n):
    """The row permutation perm (a[perm] = l u) that LAPACK's interchanges produce."""
    if not is_tracer(piv):
        piv = np.asarray(piv)
        perm = np.broadcast_to(np.arange(n, dtype=np.int32), piv.shape).copy()
        for idx in np.ndindex(piv.shape[:-1]):
            row = perm[idx]
            for i, j in enumerate(piv[idx]):
                row[i], row[j] = row[j], row[i]
        return perm
    perm = tnp.broadcast_to(tnp.arange(n, dtype=np.int32), shape_of(piv))
    for i in range(shape_of(piv)[-1]):
        j = piv[..., i : i + 1]
        pi = perm[..., i : i + 1]
        pj = tnp.take_along_axis(perm, j, axis=-1)
        hit = tnp.arange(n) == j
        perm = tnp.where(hit, pi, perm)
        perm = tnp.where(tnp.arange(n) == i, pj, perm)
    return perm


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """x with a x = b (trans=0) or aᵀ x = b (trans=1 or 2), given lu_factor(a)."""
    packed, piv = lu_and_piv
    packed, b = _same_float(packed, b)
    n = shape_of(packed)[-1]
    perm = _pivots_to_permutation(piv, n)
    vector = len(shape_of(b)) == 1
    rhs = b[:, None] if vector else b
    packed, rhs = _bcast_batch(packed, rhs)
    perm = tnp.broadcast_to(perm, shape_of(rhs)[:-2] + (n,))
    tri = dict(left_side=True)
    if trans == 0:
        # l u x = b[perm]
        pb = tnp.take_along_axis(rhs, perm[..., :, None], axis=-2)
        y = la.triangular_solve(packed, pb, lower=True, unit_diagonal=True, **tri)
        x = la.triangular_solve(packed, y, lower=False, **tri)
    elif trans in (1, 2):
        # aᵀ = uᵀ lᵀ p: uᵀ lᵀ (p x) = b, and (p x)[i] = x[perm[i]]
        y = la.triangular_solve(packed, rhs, lower=False, transpose_a=True, **tri)
        z = la.triangular_solve(packed, y, lower=True, transpose_a=True, unit_diagonal=True, **tri)
        inverse = tnp.argsort(perm, axis=-1)
        x = tnp.take_along_axis(z, inverse[..., :, None], axis=-2)
    else:
        raise ValueError(f"Invalid 'trans' value {trans!r}")
    return x[..., 0] if vector else x


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """mode 'full' (q m×m), 'economic' (q m×k), or 'r' (a 1-tuple (r,), as SciPy)."""
    if pivoting:
        raise NotImplementedError("The pivoting=True case of qr is not implemented.")
    if mode not in ("full", "economic", "r"):
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    q, r = la.qr(_float(a), full_matrices=mode != "economic")
    return (r,) if mode == "r" else (q, r)


def svd(
    a,
    full_matrices=True,
    compute_uv=True,
    overwrite_a=False,
    check_finite=True,
    lapack_driver="gesdd",
):
    """(u, s, vh) with a = u diag(s) vh, or s if not compute_uv."""
    if not compute_uv:
        return tnp.linalg.svd(a, compute_uv=False)
    u, s, vh = tnp.linalg.svd(a, full_matrices=full_matrices)
    return u, s, vh


def eigh(
    a,
    b=None,
    lower=True,
    eigvals_only=False,
    overwrite_a=False,
    overwrite_b=False,
    turbo=True,
    eigvals=None,
    type=1,
    check_finite=True,
):
    """(w, v) of symmetric a (reading its lower or upper triangle), or w if eigvals_only."""
    if b is not None:
        raise NotImplementedError("Only the b=None case of eigh is implemented")
    if type != 1:
        raise NotImplementedError("Only the type=1 case of eigh is implemented.")
    if eigvals is not None:
        raise NotImplementedError("Only the eigvals=None case of eigh is implemented.")
    w, v = la.eigh(_float(a), lower=lower)
    return w if eigvals_only else (w, v)


# ---------------------------------------------------------------------------
# constructions


def block_diag(*arrs):
    """The block-diagonal matrix of the arguments (0-d: 1×1, 1-d: one row)."""
    if not arrs:
        return np.zeros((1, 0))
    mats = [tnp.atleast_2d(tnp.asarray(x)) if not is_tracer(x) else tnp.atleast_2d(x) for x in arrs]
    if any(len(shape_of(m)) != 2 for m in mats):
        raise ValueError("Arguments to jax.scipy.linalg.block_diag must have at most 2 dimensions")
    dt = tnp.result_type(*mats)
    cols = sum(shape_of(m)[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, k = shape_of(m)
        right = cols - left - k
        parts = [tnp.zeros((r, left), dt), tnp.asarray(m, dt), tnp.zeros((r, right), dt)]
        rows.append(tnp.concatenate(parts, axis=1))
        left += k
    return tnp.concatenate(rows, axis=0)


def toeplitz(c, r=None):
    """The Toeplitz matrix with first column c and first row r (r[0] is ignored; r
    defaults to c)."""
    c = tnp.ravel(tnp.asarray(c))
    r = c if r is None else tnp.ravel(tnp.asarray(r))
    dt = tnp.result_type(c, r)
    m, n = shape_of(c)[0], shape_of(r)[0]
    vals = tnp.concatenate([tnp.asarray(c, dt)[::-1], tnp.asarray(r, dt)[1:]])
    idx = (m - 1) - np.arange(m)[:, None] + np.arange(n)[None, :]
    return tnp.take(vals, idx)


# ---------------------------------------------------------------------------
# matrix exponential

_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152  # the largest 1-norm for which [13/13] is exact in float64
_THETA13_F32 = 3.925724783138660  # the same for float32 (Higham 2005, table 2.3)


def expm(A, *, upper_triangular=False, max_squarings=16):
    """exp(A) for square A (..., n, n): A / 2^s by Padé [13/13], then squared s times,
    s the smallest with ‖A / 2^s‖₁ <= θ₁₃. NaN if s would exceed max_squarings."""
    A = _float(A)
    s_ = shape_of(A)
    if len(s_) < 2 or s_[-1] != s_[-2]:
        raise ValueError(f"expected A to be a (batched) square matrix, got A.shape={s_}")
    dt = dtype_of(A)
    theta = _THETA13_F32 if dt == np.float32 else _THETA13
    norm = tnp.max(tnp.sum(tnp.abs(A), axis=-2), axis=-1)
    safe = tnp.where(norm > 0, norm, np.asarray(1, dt))
    s = tnp.maximum(np.asarray(0, dt), tnp.ceil(tnp.log2(safe / np.asarray(theta, dt))))
    s = stop_gradient(tnp.where(norm > 0, s, np.asarray(0, dt)))
    scaled = A * tnp.exp2(-s)[..., None, None]
    r = _pade13(scaled)

    def square(i, r):
        return tnp.where((i < s)[..., None, None], tnp.matmul(r, r), r)

    r = fori_loop(0, max_squarings, square, r)
    return tnp.where((s > max_squarings)[..., None, None], np.asarray(np.nan, dt), r)


def _pade13(A):
    b = [np.asarray(v, dtype_of(A)) for v in _PADE13]
    n = shape_of(A)[-1]
    eye = tnp.broadcast_to(tnp.eye(n, dtype=dtype_of(A)), shape_of(A))
    A2 = tnp.matmul(A, A)
    A4 = tnp.matmul(A2, A2)
    A6 = tnp.matmul(A4, A2)
    u_inner = tnp.matmul(A6, b[13] * A6 + b[11] * A4 + b[9] * A2)
    U = tnp.matmul(A, u_inner + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
    v_inner = tnp.matmul(A6, b[12] * A6 + b[10] * A4 + b[8] * A2)
    V = v_inner + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    return tnp.linalg.solve(V - U, V + U)


def expm_frechet(A, E, *, method=None, compute_expm=True):
    """The Fréchet derivative of expm at A in direction E (the JVP of expm), with
    expm(A) first if compute_expm."""
    if method is not None and method != "SPS":
        raise ValueError(f"only method='SPS' is supported, got {method!r}")
    from ..api import jvp

    A, E = _same_float(A, E)
    if shape_of(A) != shape_of(E):
        raise ValueError(
            f"expected A and E to have the same shape, got {shape_of(A)} and {shape_of(E)}"
        )
    expm_a, frechet = jvp(expm, (A,), (E,))
    return (expm_a, frechet) if compute_expm else frechet
