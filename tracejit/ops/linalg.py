"""Linear algebra over stacks of matrices: cholesky, triangular_solve, solve, inv, det,
slogdet, eigh, svd, qr, lu.

Every primitive takes real floating matrices with any number of leading batch dims,
(..., m, n); binary ones (solve, triangular_solve) need equal batch dims (tracejit.numpy
broadcasts). vmap moves the batch axis to the front, where it is one more leading batch
dim. JVP rules are the standard matrix-calculus formulas (Giles 2008, "An extended
collection of matrix derivative results"; Townsend, "Differentiating the QR
decomposition"), written with ops so they can be differentiated and batched again.
Reverse mode needs no more: in the tangent programs the tangent only meets linear
primitives (dot_general, triangular_solve and solve in b, mul by residuals, sums).

Like LAPACK under jit, a matrix the factorization rejects (singular, not positive
definite) gives NaN rather than an exception, so one bad matrix in a batch does not
abort the rest.
"""

from __future__ import annotations

import numpy as np

from ..trace import Primitive, bind
from .common import UndefinedPrimal, dtype_of, is_float, moveaxis_to, ndim_of, shape_error, shape_of
from .dot import dot_general
from .elementwise import add, convert_element_type, div, eq, lit, mul, neg, sub
from .reduce import reduce_sum
from .shape import broadcast_in_dim, pad, reshape, transpose

__all__ = ["cholesky", "triangular_solve", "solve", "inv", "det", "adjugate", "slogdet", "eigh"]
__all__ += ["svd"]
__all__ += ["qr", "lu"]

# ---------------------------------------------------------------------------
# helpers shared by the rules (all written with ops, on (..., m, n) stacks)


def _mT(x):
    """Swap the last two axes."""
    nd = ndim_of(x)
    return transpose(x, perm=tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _mm(a, b):
    """Matrix product over equal leading batch dims."""
    nd = ndim_of(a)
    batch = tuple(range(nd - 2))
    return dot_general(a, b, dimension_numbers=(((nd - 1,), (nd - 2,)), (batch, batch)))


def _const(mat, like):
    """A constant (m, n) matrix, broadcast over the batch dims of `like`."""
    shape = shape_of(like)
    nd = len(shape)
    mat = np.asarray(mat, dtype=dtype_of(like))
    return broadcast_in_dim(mat, shape=shape, broadcast_dimensions=(nd - 2, nd - 1))


def _eye(like):
    m, n = shape_of(like)[-2:]
    return _const(np.eye(m, n), like)


def _tri(like, lower: bool, k: int = 0):
    """x -> x masked to its lower (k-th diagonal and below) or upper (k-th and above) part."""
    ones = np.ones(shape_of(like)[-2:])
    return mul(like, _const(np.tril(ones, k) if lower else np.triu(ones, k), like))


def _diag(x):
    """(..., n, n) -> (..., n), the diagonal."""
    return reduce_sum(mul(x, _eye(x)), axes=(ndim_of(x) - 1,))


def _spread(v, axis: int, rows: int | None = None):
    """(..., k) -> (..., rows, k) varying along the last axis (axis=-1), or
    (..., k, k) varying along the second-to-last axis (axis=-2)."""
    s = shape_of(v)
    nb = len(s) - 1
    if axis == -1:
        shape = s[:-1] + (s[-1] if rows is None else rows, s[-1])
        return broadcast_in_dim(v, shape=shape, broadcast_dimensions=tuple(range(nb)) + (nb + 1,))
    return broadcast_in_dim(v, shape=s + (s[-1],), broadcast_dimensions=tuple(range(nb + 1)))


def _sym(x):
    return mul(add(x, _mT(x)), lit(0.5, x))


def _check(name: str, a, square: bool = True) -> None:
    if a.ndim < 2 or (square and a.shape[-1] != a.shape[-2]):
        what = "square matrices (..., n, n)" if square else "matrices (..., m, n)"
        raise shape_error(name, f"needs {what}, got {a}")
    if not is_float(a.dtype) or np.issubdtype(a.dtype, np.complexfloating):
        raise shape_error(name, f"needs a real floating dtype, got {a}")


def _check_rhs(name: str, a, b, left_side: bool = True) -> None:
    _check(name, a)
    n = a.shape[-1]
    side = -2 if left_side else -1
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2] or b.shape[side] != n:
        want = "(..., n, k)" if left_side else "(..., k, n)"
        raise shape_error(
            name,
            f"b must be {want} with the batch dims of a; got a {a}, b {b} "
            "(tracejit.numpy.linalg broadcasts and turns a vector b into a column)",
        )
    if a.dtype != b.dtype:
        raise shape_error(name, f"operand dtypes differ: {a} and {b}")


def _nan_on_failure(fn, a, *rest):
    """fn over a stack; a matrix LAPACK rejects gives NaN outputs instead of an exception."""
    try:
        return fn(a, *rest)
    except np.linalg.LinAlgError:
        pass
    batch = a.shape[:-2]
    outs = []
    for idx in np.ndindex(*batch):
        args = [a[idx]] + [r[idx] for r in rest]
        try:
            outs.append(fn(*args))
        except np.linalg.LinAlgError:
            probe = fn(np.eye(*a.shape[-2:], dtype=a.dtype), *args[1:])
            nan = tuple(np.full_like(p, np.nan) for p in _tuple(probe))
            outs.append(nan if isinstance(probe, tuple) else nan[0])
    if isinstance(outs[0], tuple):
        return tuple(np.stack(c).reshape(batch + c[0].shape) for c in zip(*outs, strict=True))
    return np.stack(outs).reshape(batch + outs[0].shape)


def _sym_np(a):
    return (a + np.swapaxes(a, -1, -2)) * a.dtype.type(0.5)


def _vmap_front(prim):
    """Batching rule: the batch axis goes first, a new leading batch dim; unbatched
    operands are broadcast along it."""

    def rule(args, bdims, **params):
        size = next(shape_of(x)[d] for x, d in zip(args, bdims, strict=True) if d is not None)
        moved = []
        for x, d in zip(args, bdims, strict=True):
            if d is None:
                s = shape_of(x)
                x = broadcast_in_dim(
                    x, shape=(size,) + s, broadcast_dimensions=tuple(range(1, len(s) + 1))
                )
            moved.append(moveaxis_to(x, d, 0))
        out = prim.bind(*moved, **params)
        return (out, (0,) * len(out)) if prim.multiple_results else (out, 0)

    return rule


def _vmap_rhs(prim, left_side_of):
    """Batching rule for solves linear in b: a batched b with a shared a is folded into
    b's columns (rows, for a right-side solve), so a is factored once, not per element."""
    general = _vmap_front(prim)

    def rule(args, bdims, **params):
        (a, b), (da, db) = args, bdims
        if da is not None:
            return general(args, bdims, **params)
        nd = ndim_of(a)
        if left_side_of(params):  # (..., n, k, B) -> (..., n, k*B)
            b = moveaxis_to(b, db, nd)
            s = shape_of(b)
            merged = s[:-2] + (s[-2] * s[-1],)
            out_bdim = nd
        else:  # (..., B, k, n) -> (..., B*k, n)
            b = moveaxis_to(b, db, nd - 2)
            s = shape_of(b)
            merged = s[:-3] + (s[-3] * s[-2], s[-1])
            out_bdim = nd - 2
        x = prim.bind(a, reshape(b, new_sizes=merged), **params)
        return reshape(x, new_sizes=s), out_bdim

    return rule


# ---------------------------------------------------------------------------
# cholesky: a = l lᵀ with l lower triangular; reads the symmetric part of a


def _cholesky_shape(a):
    _check("cholesky", a)
    return a


def _cholesky_impl(a):
    a = np.asarray(a)
    return _nan_on_failure(np.linalg.cholesky, _sym_np(a))


def _cholesky_jvp(t, l, a):
    # dl = l Φ(l⁻¹ sym(da) l⁻ᵀ), Φ: the lower triangle with its diagonal halved
    y = triangular_solve(l, _sym(t), left_side=True, lower=True)
    x = triangular_solve(l, y, left_side=False, lower=True, transpose_a=True)
    n = shape_of(a)[-1]
    phi = mul(x, _const(np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n), x))
    return _mm(l, phi)


cholesky_p = Primitive(
    "cholesky",
    impl=_cholesky_impl,
    shape=_cholesky_shape,
    jvp=(_cholesky_jvp,),
    doc="Lower Cholesky factor of (a + aᵀ)/2; NaN where that is not positive definite.",
)
cholesky_p.vmap = _vmap_front(cholesky_p)


def cholesky(a):
    """The lower Cholesky factor l of sym(a) = (a + aᵀ)/2: sym(a) = l lᵀ."""
    return bind(cholesky_p, a)


# ---------------------------------------------------------------------------
# triangular_solve: op(a) x = b (left_side) or x op(a) = b; op(a) = aᵀ if transpose_a.
# Only the lower (or upper) triangle of a is read, and not its diagonal if unit_diagonal.


def _trisolve_shape(a, b, *, left_side, lower, transpose_a, unit_diagonal):
    _check_rhs("triangular_solve", a, b, left_side)
    return b


def _trisolve_impl(a, b, *, left_side, lower, transpose_a, unit_diagonal):
    from scipy.linalg import solve_triangular

    a, b = np.asarray(a), np.asarray(b)

    def solve(a, b, trans):
        kw = dict(lower=lower, unit_diagonal=unit_diagonal, check_finite=False)
        return solve_triangular(a, b, trans=int(trans), **kw)

    if left_side:
        x = _nan_on_failure(lambda a, b: solve(a, b, transpose_a), a, b)
    else:  # x op(a) = b  <=>  op(a)ᵀ xᵀ = bᵀ
        bt = np.swapaxes(b, -1, -2)
        x = np.swapaxes(_nan_on_failure(lambda a, b: solve(a, b, not transpose_a), a, bt), -1, -2)
    return np.asarray(x, dtype=b.dtype)


def _trisolve_jvp_a(t, out, a, b, **params):
    # op(a) x = b  =>  op(a) dx = -op(da) x, where da keeps only the entries a is read at
    lower, unit = params["lower"], params["unit_diagonal"]
    da = _tri(t, lower, (-1 if unit else 0) if lower else (1 if unit else 0))
    if params["transpose_a"]:
        da = _mT(da)
    rhs = _mm(da, out) if params["left_side"] else _mm(out, da)
    return neg(triangular_solve(a, rhs, **params))


def _trisolve_transpose(ct, a, b, **params):
    # b -> op(a)⁻¹ b has transpose c -> op(a)⁻ᵀ c (on the same side)
    assert not isinstance(a, UndefinedPrimal), "triangular_solve is linear in b only"
    return [None, triangular_solve(a, ct, **dict(params, transpose_a=not params["transpose_a"]))]


triangular_solve_p = Primitive(
    "triangular_solve",
    impl=_trisolve_impl,
    shape=_trisolve_shape,
    jvp=(_trisolve_jvp_a, lambda t, out, a, b, **p: triangular_solve(a, t, **p)),
    transpose=_trisolve_transpose,
    doc="x with op(a) x = b (left_side) or x op(a) = b, a triangular; linear in b.",
)
triangular_solve_p.vmap = _vmap_rhs(triangular_solve_p, lambda p: p["left_side"])


def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False, unit_diagonal=False):
    """Solve op(a) x = b (left_side) or x op(a) = b (not left_side) for triangular a.

    Defaults follow jax.lax.linalg.triangular_solve (right side, upper triangle).
    a is (..., n, n); b is (..., n, k) on the left side, (..., k, n) on the right.
    """
    params = dict(
        left_side=bool(left_side),
        lower=bool(lower),
        transpose_a=bool(transpose_a),
        unit_diagonal=bool(unit_diagonal),
    )
    return bind(triangular_solve_p, a, b, **params)


# ---------------------------------------------------------------------------
# solve: a x = b for general square a. Canonical form: b is always a stack of columns
# (..., n, k); tracejit.numpy.linalg.solve turns a vector b (..., n) into (..., n, 1).


def _solve_shape(a, b):
    _check_rhs("solve", a, b)
    return b


def _solve_impl(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.asarray(_nan_on_failure(np.linalg.solve, a, b), dtype=b.dtype)


solve_p = Primitive(
    "solve",
    impl=_solve_impl,
    shape=_solve_shape,
    jvp=(
        lambda t, out, a, b: neg(solve(a, _mm(t, out))),  # a dx = db - da x
        lambda t, out, a, b: solve(a, t),
    ),
    transpose=lambda ct, a, b: [None, solve(_mT(a), ct)],
    doc="x with a x = b; a (..., n, n), b (..., n, k). Linear in b.",
)
solve_p.vmap = _vmap_rhs(solve_p, lambda p: True)


def solve(a, b):
    """x with a x = b, for a (..., n, n) and b (..., n, k) (columns; no vector form)."""
    return bind(solve_p, a, b)


# ---------------------------------------------------------------------------
# inv, det, slogdet. d det = det tr(a⁻¹ da) = det Σ (a⁻ᵀ ∘ da): a⁻¹ is a primal value, so
# the linear (tangent) part is one multiply and one sum.


def _square_shape(name, drop):
    def shape(a):
        _check(name, a)
        return a.update(shape=a.shape[:-2]) if drop else a

    return shape


def _inv_impl(a):
    return _nan_on_failure(np.linalg.inv, np.asarray(a))


inv_p = Primitive(
    "inv",
    impl=_inv_impl,
    shape=_square_shape("inv", drop=False),
    jvp=(lambda t, out, a: neg(_mm(_mm(out, t), out)),),
    doc="The inverse of a (..., n, n) matrix; NaN where it is singular.",
)
inv_p.vmap = _vmap_front(inv_p)


def inv(a):
    return bind(inv_p, a)


def _tr_inv_dot(a, t):
    """tr(a⁻¹ t) = Σ a⁻ᵀ ∘ t, over the last two axes."""
    nd = ndim_of(a)
    return reduce_sum(mul(_mT(inv(a)), t), axes=(nd - 2, nd - 1))


# d det = tr(adj(a) da) with the adjugate adj(a) (= det a · a⁻¹ where a is invertible),
# computed without dividing by det a so that it is exact at singular a too: grad(det) at
# [[1, 2], [2, 4]] is [[4, -2], [-2, 1]], not NaN. The adjugate's own derivative uses
# adj(a)_ji = -det [[a, e_i], [e_jᵀ, 0]] (a bordered (n+1)-matrix) differentiated by the
# same rule: exact at every order. First order costs O(n³); each further order O(n²)
# adjugates of a matrix one larger.


def _adjugate_impl(a):
    """σ · V diag(Π_{j≠i} s_j) Uᵀ from a = U diag(s) Vᵀ with σ = det U det V = ±1."""
    a = np.asarray(a)
    n = a.shape[-1]
    try:
        u, s, vh = np.linalg.svd(a)
    except np.linalg.LinAlgError:  # no convergence (NaN input)
        return np.full(a.shape, np.nan, a.dtype)
    p = np.where(np.eye(n, dtype=bool), np.ones((), s.dtype), s[..., None, :]).prod(-1)
    sign = np.sign(np.linalg.det(u) * np.linalg.det(vh))[..., None, None]
    return (sign * (_np_mT(vh) * p[..., None, :]) @ _np_mT(u)).astype(a.dtype)


def _np_mT(x):
    return np.swapaxes(x, -1, -2)


def _bordered(a):
    """m[..., i, j] = [[a, e_i], [e_jᵀ, 0]], of shape (..., n, n, n+1, n+1)."""
    shape = shape_of(a)
    nb, n = len(shape) - 2, shape[-1]
    config = ((0, 0, 0),) * nb + ((0, 1, 0), (0, 1, 0))
    big = pad(a, np.zeros((), dtype_of(a)), padding_config=config)
    full = shape[:-2] + (n, n, n + 1, n + 1)
    big = broadcast_in_dim(big, shape=full, broadcast_dimensions=(*range(nb), nb + 2, nb + 3))
    border = np.zeros((n, n, n + 1, n + 1), dtype_of(a))
    k = np.arange(n)
    border[k, :, k, n] = 1  # the last column is e_i
    border[:, k, n, k] = 1  # the last row is e_jᵀ
    return add(
        big, broadcast_in_dim(border, shape=full, broadcast_dimensions=tuple(range(nb, nb + 4)))
    )


def _adjugate_jvp(t, out, a):
    # d adj(a)_ji = -d det(m_ij) = -Σ_kl adj(m_ij)_lk t_kl, with t padded to (n+1)²
    nd = ndim_of(a)
    nb = nd - 2
    g = adjugate(_bordered(a))
    config = ((0, 0, 0),) * nb + ((0, 1, 0), (0, 1, 0))
    t_big = _mT(pad(t, np.zeros((), dtype_of(t)), padding_config=config))
    full = shape_of(g)
    t_big = broadcast_in_dim(t_big, shape=full, broadcast_dimensions=(*range(nb), nb + 2, nb + 3))
    d = reduce_sum(mul(g, t_big), axes=(nd, nd + 1))  # [..., i, j]
    return neg(_mT(d))


adjugate_p = Primitive(
    "adjugate",
    impl=_adjugate_impl,
    shape=_square_shape("adjugate", drop=False),
    jvp=(_adjugate_jvp,),
    doc="adj(a) of a (..., n, n) matrix: det a · a⁻¹, exact and finite at singular a too.",
)
adjugate_p.vmap = _vmap_front(adjugate_p)


def adjugate(a):
    return bind(adjugate_p, a)


det_p = Primitive(
    "det",
    impl=lambda a: np.asarray(np.linalg.det(a)),
    shape=_square_shape("det", drop=True),
    jvp=(
        lambda t, out, a: reduce_sum(
            mul(_mT(adjugate(a)), t), axes=(ndim_of(a) - 2, ndim_of(a) - 1)
        ),
    ),
    doc="The determinant of a (..., n, n) matrix; its jvp is tr(adj(a) t), finite everywhere.",
)
det_p.vmap = _vmap_front(det_p)


def det(a):
    return bind(det_p, a)


def _slogdet_shape(a):
    out = _square_shape("slogdet", drop=True)(a)
    return out, out


def _slogdet_impl(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return np.asarray(sign), np.asarray(logabsdet)


def _slogdet_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    sign, logabsdet = slogdet_p.bind(a)
    return (sign, logabsdet), (None, _tr_inv_dot(a, t))


slogdet_p = Primitive(
    "slogdet",
    impl=_slogdet_impl,
    shape=_slogdet_shape,
    jvp=_slogdet_jvp,
    multiple_results=True,
    doc="(sign, log|det a|); sign is piecewise constant, so its tangent is zero.",
)
slogdet_p.vmap = _vmap_front(slogdet_p)


def slogdet(a):
    """(sign, logabsdet) with det a = sign * exp(logabsdet)."""
    sign, logabsdet = bind(slogdet_p, a)
    return sign, logabsdet


# ---------------------------------------------------------------------------
# eigh: sym(a) = v diag(w) vᵀ, w ascending. dw = diag(vᵀ da v); dv = v (F ∘ vᵀ da v) with
# F_ij = 1/(w_j - w_i) off the diagonal, 0 on it: needs distinct eigenvalues.


def _eigh_shape(a, *, lower):
    _check("eigh", a)
    return a.update(shape=a.shape[:-1]), a


def _eigh_impl(a, *, lower):
    a = np.asarray(a)
    fn = lambda a: tuple(np.linalg.eigh(a, UPLO="L" if lower else "U"))  # noqa: E731
    return _nan_on_failure(fn, _sym_np(a))


def _eigh_jvp(primals, tangents, *, lower):
    (a,), (t,) = primals, tangents
    w, v = eigh_p.bind(a, lower=lower)
    vt_da_v = _mm(_mT(v), _mm(_sym(t), v))
    eye = _eye(v)
    f = sub(div(lit(1, w), add(eye, sub(_spread(w, -1), _spread(w, -2)))), eye)
    return (w, v), (_diag(vt_da_v), _mm(v, mul(f, vt_da_v)))


eigh_p = Primitive(
    "eigh",
    impl=_eigh_impl,
    shape=_eigh_shape,
    jvp=_eigh_jvp,
    multiple_results=True,
    doc="(w, v): eigenvalues (ascending) and eigenvectors (columns) of (a + aᵀ)/2.",
)
eigh_p.vmap = _vmap_front(eigh_p)


def eigh(a, *, lower=True):
    """(w, v) with sym(a) = v diag(w) vᵀ; `lower` names the triangle LAPACK reads, which
    after symmetrizing only matters for rounding."""
    w, v = bind(eigh_p, a, lower=bool(lower))
    return w, v


# ---------------------------------------------------------------------------
# svd: a = u diag(s) vh, s descending. The primitive always returns a tuple: (u, s, vh),
# or (s,) when not compute_uv; the binder unpacks the latter.


def _svd_shape(a, *, full_matrices, compute_uv):
    _check("svd", a, square=False)
    *batch, m, n = a.shape
    k = min(m, n)
    s = a.update(shape=tuple(batch) + (k,))
    if not compute_uv:
        return (s,)
    u = a.update(shape=tuple(batch) + (m, m if full_matrices else k))
    vh = a.update(shape=tuple(batch) + (n if full_matrices else k, n))
    return u, s, vh


def _svd_impl(a, *, full_matrices, compute_uv):
    fn = lambda a: np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)  # noqa: E731
    out = _nan_on_failure(lambda a: tuple(np.asarray(o) for o in _tuple(fn(a))), np.asarray(a))
    return out


def _tuple(x):
    return tuple(x) if isinstance(x, tuple) else (x,)


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    # The thin-SVD formula (Townsend 2016, as in JAX): with dS = uᵀ da v,
    # ds = diag(dS); du = u (F ∘ (dS S + S dSᵀ)); dv = v (F ∘ (S dS + dSᵀ S)),
    # F_ij = 1/(s_j² - s_i²); plus the parts of da outside span(u) or span(v).
    (a,), (t,) = primals, tangents
    m, n = shape_of(a)[-2:]
    if compute_uv and full_matrices and m != n:
        raise shape_error(
            "svd",
            "the jvp of svd with full_matrices=True needs square matrices; use full_matrices=False",
        )
    u, s, vh = svd_p.bind(a, full_matrices=False, compute_uv=True)
    v = _mT(vh)
    ds_mat = _mm(_mT(u), _mm(t, v))
    ds = _diag(ds_mat)
    if not compute_uv:
        return (s,), (ds,)
    s_j, s_i = _spread(s, -1), _spread(s, -2)
    eye = _eye(ds_mat)
    f = sub(div(lit(1, s), add(mul(add(s_j, s_i), sub(s_j, s_i)), eye)), eye)
    dss, sds = mul(ds_mat, s_j), mul(s_i, ds_mat)
    du = _mm(u, mul(f, add(dss, _mT(dss))))
    dv = _mm(v, mul(f, add(sds, _mT(sds))))
    if m > n:
        dav = _mm(t, v)
        du = add(du, div(sub(dav, _mm(u, _mm(_mT(u), dav))), _spread(s, -1, m)))
    if n > m:
        datu = _mm(_mT(t), u)
        dv = add(dv, div(sub(datu, _mm(v, _mm(vh, datu))), _spread(s, -1, n)))
    return (u, s, vh), (du, ds, _mT(dv))


svd_p = Primitive(
    "svd",
    impl=_svd_impl,
    shape=_svd_shape,
    jvp=_svd_jvp,
    multiple_results=True,
    doc="(u, s, vh) with a = u diag(s) vh, s descending; (s,) when not compute_uv.",
)
svd_p.vmap = _vmap_front(svd_p)


def svd(a, *, full_matrices=False, compute_uv=True):
    """(u, s, vh) with a = u diag(s) vh (s descending), or s alone if not compute_uv.
    The JVP needs distinct singular values (nonzero ones when m != n)."""
    outs = bind(svd_p, a, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    return tuple(outs) if compute_uv else outs[0]


# ---------------------------------------------------------------------------
# qr: a = q r, q orthonormal columns, r upper triangular (LAPACK's signs).


def _qr_shape(a, *, full_matrices):
    _check("qr", a, square=False)
    *batch, m, n = a.shape
    k = m if full_matrices else min(m, n)
    return a.update(shape=tuple(batch) + (m, k)), a.update(shape=tuple(batch) + (k, n))


def _qr_impl(a, *, full_matrices):
    q, r = np.linalg.qr(np.asarray(a), mode="complete" if full_matrices else "reduced")
    return q, r


def _qr_jvp(primals, tangents, *, full_matrices):
    # Townsend, "Differentiating the QR decomposition": with c = qᵀ da r⁻¹ and
    # ω = tril(c, -1) - tril(c, -1)ᵀ (skew), dq = q (ω - c) + da r⁻¹ and dr = (c - ω) r.
    (a,), (t,) = primals, tangents
    m, n = shape_of(a)[-2:]
    if m < n or (full_matrices and m != n):
        raise shape_error(
            "qr",
            f"the jvp of qr needs m >= n (and full_matrices=False unless square); "
            f"got {m}x{n}, {full_matrices=}",
        )
    q, r = qr_p.bind(a, full_matrices=full_matrices)
    da_rinv = triangular_solve(r, t, left_side=False, lower=False)
    c = _mm(_mT(q), da_rinv)
    low = _tri(c, True, -1)
    omega = sub(low, _mT(low))
    dq = add(_mm(q, sub(omega, c)), da_rinv)
    dr = _mm(sub(c, omega), r)
    return (q, r), (dq, dr)


qr_p = Primitive(
    "qr",
    impl=_qr_impl,
    shape=_qr_shape,
    jvp=_qr_jvp,
    multiple_results=True,
    doc="(q, r) with a = q r; reduced (k = min(m, n)) unless full_matrices.",
)
qr_p.vmap = _vmap_front(qr_p)


def qr(a, *, full_matrices=False):
    q, r = bind(qr_p, a, full_matrices=bool(full_matrices))
    return q, r


# ---------------------------------------------------------------------------
# lu: p a = l u with partial pivoting, for square a. Outputs, as jax.lax.linalg.lu:
# the packed factors (l strictly below the diagonal, unit diagonal implied; u on and
# above), the LAPACK row swaps (int32), and the permutation (int32) with a[perm] = l u.


def _lu_shape(a):
    _check("lu", a)
    idx = a.update(shape=a.shape[:-1], dtype=np.int32)
    return a, idx, idx


def _lu_impl(a):
    from scipy.linalg import lu_factor

    a = np.asarray(a)
    n = a.shape[-1]
    packed, swaps = lu_factor(a, check_finite=False)
    swaps = np.asarray(swaps, dtype=np.int32)
    perm = np.broadcast_to(np.arange(n, dtype=np.int32), swaps.shape).copy()
    rows = perm.reshape(-1, n)
    for b, sw in zip(rows, swaps.reshape(-1, n), strict=True):
        for i, j in enumerate(sw):
            b[i], b[j] = b[j], b[i]
    return np.asarray(packed, dtype=a.dtype), swaps, perm


def _lu_jvp(primals, tangents):
    # p da = dl u + l du  =>  l⁻¹ p da u⁻¹ = l⁻¹ dl + du u⁻¹ (strictly lower + upper)
    (a,), (t,) = primals, tangents
    packed, swaps, perm = lu_p.bind(a)
    n = shape_of(a)[-1]
    iota = _const(np.broadcast_to(np.arange(n), (n, n)), _spread(perm, -2))
    p = convert_element_type(eq(_spread(perm, -2), iota), new_dtype=dtype_of(a))
    l_mat = add(_tri(packed, True, -1), _eye(packed))
    u_mat = _tri(packed, False, 0)
    la = triangular_solve(l_mat, _mm(p, t), left_side=True, lower=True, unit_diagonal=True)
    lau = triangular_solve(u_mat, la, left_side=False, lower=False)
    dpacked = add(_mm(l_mat, _tri(lau, True, -1)), _mm(_tri(lau, False, 0), u_mat))
    return (packed, swaps, perm), (dpacked, None, None)


lu_p = Primitive(
    "lu",
    impl=_lu_impl,
    shape=_lu_shape,
    jvp=_lu_jvp,
    multiple_results=True,
    doc="(packed l\\u, row swaps, permutation) of square a, with a[perm] = l u.",
)
lu_p.vmap = _vmap_front(lu_p)


def lu(a):
    """(packed, swaps, perm): l = unit-lower part, u = upper part of packed; a[perm] = l u."""
    packed, swaps, perm = bind(lu_p, a)
    return packed, swaps, perm
