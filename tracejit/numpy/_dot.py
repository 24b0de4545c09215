"""Products: dot, matmul, tensordot, inner, outer, kron, vdot and einsum.

All contractions are the one dot_general primitive (lax semantics: output axes are the
batch axes, then x's free axes, then y's). einsum parses its subscripts, takes repeated
labels within an operand as diagonals, sums labels used by one operand only, and then
contracts operands pairwise left to right, a transpose putting the result in order.
"""

from __future__ import annotations

import builtins
import string

import numpy as np

from ..ops import elementwise as ew
from ..ops import reduce as red
from ..ops import shape as sh
from ..ops.dot import dot_general
from ._core import broadcast_to, cast, dtype_of, is_tracer, result_type, shape_of


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _promote(a, b):
    a, b = _arr(a), _arr(b)
    dt = result_type(a, b)
    return cast(a, dt), cast(b, dt)


def _bool_dot(a, b, dn):
    """NumPy's dot of bools is any(a and b): contract as int, then compare with 0."""
    out = dot_general(cast(a, np.int64), cast(b, np.int64), dimension_numbers=dn)
    return ew.ne(out, np.zeros((), np.int64))


def _dot_general(a, b, dn):
    if dtype_of(a) == np.bool_:
        return _bool_dot(a, b, dn)
    return dot_general(a, b, dimension_numbers=dn)


def dot(a, b, out=None):
    if out is not None:
        raise TypeError("tracejit.numpy.dot: out= is not supported")
    a, b = _promote(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        from ._math import multiply

        return multiply(a, b)
    cb = 0 if nb == 1 else nb - 2
    return _dot_general(a, b, (((na - 1,), (cb,)), ((), ())))


def matmul(x1, x2, /):
    """Matrix product with broadcast batch axes. A 1-D operand is contracted as it is (the
    other's leading axes are free axes of the product), as NumPy's unit axis would be."""
    a, b = _promote(x1, x2)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    a1, b1 = len(sa) == 1, len(sb) == 1
    if (a1 or b1) and sa[-1] == sb[0 if b1 else -2]:  # as JAX: a vector contracts directly
        ca, cb = (0,) if a1 else (len(sa) - 1,), (0,) if b1 else (len(sb) - 2,)
        return _dot_general(a, b, ((ca, cb), ((), ())))
    if a1:
        a, sa = sh.reshape(a, new_sizes=(1,) + sa), (1,) + sa
    if b1:
        b, sb = sh.reshape(b, new_sizes=sb + (1,)), sb + (1,)
    if sa[-1] != sb[-2]:
        raise ValueError(
            f"matmul: Input operand 1 has a mismatch in its core dimension 0 (size {sb[-2]} "
            f"is different from {sa[-1]})"
        )
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    a = broadcast_to(a, batch + sa[-2:])
    b = broadcast_to(b, batch + sb[-2:])
    k = len(batch)
    bd = tuple(range(k))
    out = _dot_general(a, b, (((k + 1,), (k,)), (bd, bd)))
    drop = ((k,) if a1 else ()) + ((k + 1,) if b1 else ())
    return sh.squeeze(out, dimensions=drop)


def tensordot(a, b, axes=2):
    a, b = _promote(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        ax_a, ax_b = tuple(range(na - n, na)), tuple(range(n))
    else:
        ax_a, ax_b = axes
        ax_a = (ax_a,) if isinstance(ax_a, (int, np.integer)) else tuple(ax_a)
        ax_b = (ax_b,) if isinstance(ax_b, (int, np.integer)) else tuple(ax_b)
        if len(ax_a) != len(ax_b):
            raise ValueError("shape-mismatch for sum")
        ax_a = tuple(int(x) % na for x in ax_a)
        ax_b = tuple(int(x) % nb for x in ax_b)
    return _dot_general(a, b, ((ax_a, ax_b), ((), ())))


def inner(a, b, /):
    a, b = _promote(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return ew.mul(*_bcast(a, b))
    return _dot_general(a, b, (((na - 1,), (nb - 1,)), ((), ())))


def _bcast(a, b):
    s = np.broadcast_shapes(shape_of(a), shape_of(b))
    return broadcast_to(a, s), broadcast_to(b, s)


def outer(a, b, out=None):
    from ._shape import ravel

    a, b = _promote(ravel(a), ravel(b))
    n, m = shape_of(a)[0], shape_of(b)[0]
    return ew.mul(
        sh.broadcast_in_dim(a, shape=(n, m), broadcast_dimensions=(0,)),
        sh.broadcast_in_dim(b, shape=(n, m), broadcast_dimensions=(1,)),
    )


def vdot(a, b, /):
    from ._shape import ravel

    return dot(ravel(a), ravel(b))


def kron(a, b):
    a, b = _promote(a, b)
    sa, sb = shape_of(a), shape_of(b)
    nd = builtins.max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    inter = tuple(v for pair in zip(sa, sb, strict=False) for v in pair)
    ea = sh.broadcast_in_dim(
        sh.reshape(a, new_sizes=sa), shape=inter, broadcast_dimensions=tuple(range(0, 2 * nd, 2))
    )
    eb = sh.broadcast_in_dim(
        sh.reshape(b, new_sizes=sb), shape=inter, broadcast_dimensions=tuple(range(1, 2 * nd, 2))
    )
    return sh.reshape(ew.mul(ea, eb), new_sizes=tuple(x * y for x, y in zip(sa, sb, strict=False)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors along the given axes (broadcasting the others)."""
    from ._shape import moveaxis

    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _promote(a, b)
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if shape_of(a)[-1] != 3 or shape_of(b)[-1] != 3:
        raise NotImplementedError("tracejit.numpy.cross: only 3-vectors")
    a, b = _bcast(a, b)
    ca = [a[..., i] for i in range(3)]
    cb = [b[..., i] for i in range(3)]
    parts = [
        ew.sub(ew.mul(ca[1], cb[2]), ew.mul(ca[2], cb[1])),
        ew.sub(ew.mul(ca[2], cb[0]), ew.mul(ca[0], cb[2])),
        ew.sub(ew.mul(ca[0], cb[1]), ew.mul(ca[1], cb[0])),
    ]
    nd = len(shape_of(parts[0]))
    out = sh.concatenate(*[sh.expand_dims(p, dimensions=(nd,)) for p in parts], dimension=nd)
    return moveaxis(out, -1, axisc)


# ---------------------------------------------------------------------------
# einsum


def _parse(subscripts: str, shapes):
    """Explicit labels per operand and for the output; '...' becomes fresh labels."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs, out = subscripts, None
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operand subscripts but {len(shapes)} operands")
    used = set(subscripts) - set(".,->")
    fresh = [c for c in string.ascii_letters if c not in used]
    n_ell = 0
    for term, s in zip(ins, shapes, strict=False):
        if "..." in term:
            n_ell = builtins.max(n_ell, len(s) - (len(term) - 3))
    ell = "".join(fresh[:n_ell])
    terms = []
    for term, s in zip(ins, shapes, strict=False):
        if "..." in term:
            k = len(s) - (len(term) - 3)
            term = term.replace("...", ell[n_ell - k :] if k else "")
        if len(term) != len(s):
            raise ValueError(
                f"einsum: subscripts {term!r} do not match an operand of rank {len(s)}"
            )
        terms.append(term)
    if out is None:
        counts = {}
        for t in terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return terms, out


def _take_diagonals(x, term):
    """Repeated labels within one operand: keep the diagonal, once per label."""
    from ._shape import diagonal

    while True:
        dup = next((c for c in term if term.count(c) > 1), None)
        if dup is None:
            return x, term
        i = term.index(dup)
        j = term.index(dup, i + 1)
        x = diagonal(x, 0, i, j)  # diagonal goes last
        term = "".join(c for k, c in enumerate(term) if k not in (i, j)) + dup


def _sum_labels(x, term, keep):
    axes = tuple(i for i, c in enumerate(term) if c not in keep)
    return red.reduce_sum(x, axes=axes), "".join(c for c in term if c in keep)


def einsum(subscripts, *operands, out=None, optimize=False, precision=None, dtype=None):
    """Einstein summation, lowered to dot_general, transpose, diagonals and sums."""
    if out is not None:
        raise TypeError("tracejit.numpy.einsum: out= is not supported")
    if not isinstance(subscripts, str):
        raise NotImplementedError("tracejit.numpy.einsum: only the subscripts-string form")
    ops = [_arr(x) for x in operands]
    dt = np.dtype(dtype) if dtype is not None else result_type(*ops)
    ops = [cast(x, dt) for x in ops]
    terms, out_term = _parse(subscripts, [shape_of(x) for x in ops])
    sizes = {}
    for t, x in zip(terms, ops, strict=False):
        for c, n in zip(t, shape_of(x), strict=False):
            if sizes.get(c, 1) == 1 or n == 1:
                sizes[c] = builtins.max(sizes.get(c, 1), n)
            elif n != sizes[c]:
                raise ValueError(f"einsum: label {c!r} has sizes {sizes[c]} and {n}")
    # size-1 axes broadcast against their label's size (as NumPy's einsum allows)
    ops = [
        x
        if shape_of(x) == tuple(sizes[c] for c in t)
        else broadcast_to(x, tuple(sizes[c] for c in t))
        for x, t in zip(ops, terms, strict=False)
    ]
    pairs = [_take_diagonals(x, t) for x, t in zip(ops, terms, strict=False)]
    # sum out labels no other operand and not the output needs
    for k, (x, t) in enumerate(pairs):
        others = set(out_term).union(*[set(u) for j, (_, u) in enumerate(pairs) if j != k])
        pairs[k] = _sum_labels(x, t, others)
    x, t = pairs[0]
    for k in range(1, len(pairs)):
        y, u = pairs[k]
        later = set(out_term).union(*[set(v) for _, v in pairs[k + 1 :]])
        shared = [c for c in t if c in u]
        batch = [c for c in shared if c in later]
        contract = [c for c in shared if c not in later]
        dn = (
            (tuple(t.index(c) for c in contract), tuple(u.index(c) for c in contract)),
            (tuple(t.index(c) for c in batch), tuple(u.index(c) for c in batch)),
        )
        x = _dot_general(x, y, dn)
        t = (
            "".join(batch)
            + "".join(c for c in t if c not in shared)
            + "".join(c for c in u if c not in shared)
        )
        x, t = _sum_labels(x, t, later)
    x, t = _sum_labels(x, t, set(out_term))
    if sorted(t) != sorted(out_term):
        raise ValueError(f"einsum: output subscripts {out_term!r} do not match the inputs")
    return sh.transpose(x, perm=tuple(t.index(c) for c in out_term))
