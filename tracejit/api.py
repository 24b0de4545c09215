"""Public transforms on Python functions of pytrees: make_ir, jvp, vjp, grad, vmap, ...

Each transform flattens the arguments, traces the function to IR, applies IR -> IR
transforms and evaluates the result with `eval_ir`. Evaluation binds primitives, so when
the arguments are themselves tracers of an outer transform, the transformed program is
recorded there: that is all nesting needs.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from . import tree
from .ir import IR, ShapedArray
from .ops.common import is_float
from .trace import Tracer, TraceError, eval_ir, trace_to_ir, user_src
from .transforms import jvp_ir, linearize_ir, transpose_ir, vmap_ir

__all__ = [
    "make_ir",
    "jvp",
    "linearize",
    "vjp",
    "grad",
    "value_and_grad",
    "jacfwd",
    "jacrev",
    "jacobian",
    "hessian",
    "vmap",
    "linear_transpose",
]


# ---------------------------------------------------------------------------
# flattening helpers


def as_array(x):
    """A leaf as an array: tracers stay, Python scalars become NumPy 0-d arrays."""
    if type(x) is Tracer or type(x) is np.ndarray:
        return x
    if isinstance(x, (bool, int, float, complex, np.generic, np.ndarray)):
        return np.asarray(x)
    if isinstance(x, ShapedArray):
        return x
    if hasattr(x, "__array__") and not isinstance(x, (list, tuple, dict)):
        return np.asarray(x)
    raise TypeError(
        f"{type(x).__name__} is not a valid argument of a transformed function (at "
        f"{user_src()}): arguments must be arrays, scalars, or pytrees (tuple, list, dict) "
        "of them; pass other values through static_argnums or a closure"
    )


class _Out:
    """Receives the output treedef from inside a traced function."""

    treedef: Any = None


def flatten_fun(f: Callable, in_tree, out: _Out) -> Callable:
    def flat(*leaves):
        args = tree.unflatten(in_tree, leaves)
        res = f(*args)
        res_leaves, out.treedef = tree.flatten(res)
        return [as_array(x) for x in res_leaves]

    return flat


def trace_fn(f: Callable, args: Sequence, reason: str | None = None):
    """Trace f(*args) (pytrees) to IR. Returns (ir, closure values, flat args, out treedef)."""
    leaves, in_tree = tree.flatten(tuple(args))
    leaves = [as_array(x) for x in leaves]
    out = _Out()
    ir, closure = trace_to_ir(flatten_fun(f, in_tree, out), leaves, reason)
    return ir, closure, leaves, out.treedef


def make_ir(f: Callable, static_argnums: int | Sequence[int] = ()) -> Callable[..., IR]:
    """`make_ir(f)(*args)` is the IR f records on args, printable like a jaxpr.

    The IR's inputs are the flattened (pytree) arguments, plus first any outer tracers
    f closes over. Inputs are abstract: only shapes and dtypes are used.
    """
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(f)
    def wrapped(*args) -> IR:
        dyn = [i for i in range(len(args)) if i not in static]

        def g(*dargs):
            full = list(args)
            for i, a in zip(dyn, dargs):
                full[i] = a
            return f(*full)

        dargs = tree.map(_abstract, tuple(args[i] for i in dyn))
        ir, _, _, _ = trace_fn(g, dargs, reason="inside make_ir (inputs are abstract)")
        return ir

    return wrapped


def _abstract(x):
    if isinstance(x, ShapedArray):
        return x
    if hasattr(x, "aval"):
        return x.aval
    x = np.asarray(x)
    return ShapedArray(x.shape, x.dtype)


# ---------------------------------------------------------------------------
# forward mode


def _check_tangent(p, t):
    if np.shape(p) != np.shape(t) and getattr(t, "shape", None) != getattr(p, "shape", None):
        raise TypeError(
            f"jvp: primal and tangent shapes differ: {np.shape(p)} and {np.shape(t)}"
        )


def jvp(f: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """(f(*primals), J_f(primals) @ tangents), both pytrees like f's output."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples or lists of arguments")
    if len(primals) != len(tangents):
        raise TypeError("jvp: primals and tangents must have the same length")
    p_leaves, p_tree = tree.flatten(tuple(primals))
    t_leaves, t_tree = tree.flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(f"jvp: primal and tangent structures differ: {p_tree} and {t_tree}")
    fun = _aux_split(f) if has_aux else f
    ir, closure, leaves, out_tree = trace_fn(fun, primals)
    t_leaves = [as_array(t) for t in t_leaves]
    for p, t in zip(leaves, t_leaves):
        _check_tangent(p, t)
    nz = [False] * len(closure) + [is_float(_dtype(p)) for p in leaves]
    jir, out_nz = jvp_ir(ir, nz)
    tans = [t for t, z in zip(t_leaves, nz[len(closure) :]) if z]
    res = eval_ir(jir, closure + leaves + [_cast_like(t, p) for t, p in zip(tans, _floats(leaves))])
    n_out = len(ir.outs)
    outs, touts = res[:n_out], iter(res[n_out:])
    touts = [next(touts) if z else _zeros_like(o) for o, z in zip(outs, out_nz)]
    return _aux_join(out_tree, outs, has_aux, touts)


def _floats(leaves):
    return [p for p in leaves if is_float(_dtype(p))]


def _cast_like(t, p):
    if type(t) is Tracer:
        return t
    return np.asarray(t, dtype=_dtype(p))


def _dtype(x):
    return x.aval.dtype if hasattr(x, "aval") else np.asarray(x).dtype


def _zeros_like(x):
    aval = x.aval if hasattr(x, "aval") else None
    if aval is None:
        x = np.asarray(x)
        return np.zeros(x.shape, x.dtype)
    return np.zeros(aval.shape, aval.dtype)


def _aux_split(f):
    """Turn f -> (out, aux) into f -> [out, aux] so both trace as one output tree."""

    def g(*args):
        res = f(*args)
        if not (isinstance(res, tuple) and len(res) == 2):
            raise TypeError("has_aux=True requires the function to return a pair (out, aux)")
        return list(res)

    return g


def _aux_join(out_tree, outs, has_aux, *extra):
    """Rebuild the output tree; with has_aux, split the aux part (which gets no tangent)."""
    if not has_aux:
        return (tree.unflatten(out_tree, outs),) + tuple(tree.unflatten(out_tree, e) for e in extra)
    out_def, aux_def = out_tree.children()
    n = out_def.num_leaves
    main = tree.unflatten(out_def, outs[:n])
    aux = tree.unflatten(aux_def, outs[n:])
    return (main,) + tuple(tree.unflatten(out_def, e[:n]) for e in extra) + (aux,)


def linearize(f: Callable, *primals):
    """(f(*primals), f_jvp) where f_jvp(*tangents) evaluates the linear map at primals."""
    ir, closure, leaves, out_tree = trace_fn(f, primals)
    k = len(closure)
    nz = [False] * k + [is_float(_dtype(p)) for p in leaves]
    jir, out_nz = jvp_ir(ir, nz)
    primal_ir, lin_ir, n_res = linearize_ir(jir, len(ir.invars), len(ir.outs))
    res = eval_ir(primal_ir, closure + leaves)
    outs, residuals = res[: len(ir.outs)], res[len(ir.outs) :]

    def f_jvp(*tangents):
        t_leaves, _ = tree.flatten(tuple(tangents))
        t_leaves = [t for t, z in zip(t_leaves, nz[k:]) if z]
        touts = iter(eval_ir(lin_ir, list(residuals) + [as_array(t) for t in t_leaves]))
        full = [next(touts) if z else _zeros_like(o) for o, z in zip(outs, out_nz)]
        return tree.unflatten(out_tree, full)

    return tree.unflatten(out_tree, outs), f_jvp


# ---------------------------------------------------------------------------
# reverse mode


def vjp(f: Callable, *primals, has_aux: bool = False):
    """(f(*primals), vjp_fn[, aux]) with vjp_fn(ct) = ct @ J_f(primals), per argument."""
    fun = _aux_split(f) if has_aux else f
    ir, closure, leaves, out_tree = trace_fn(fun, primals)
    k = len(closure)
    nz = [False] * k + [is_float(_dtype(p)) for p in leaves]
    jir, out_nz = jvp_ir(ir, nz)
    n_out = len(ir.outs)
    primal_ir, lin_ir, n_res = linearize_ir(jir, len(ir.invars), n_out)
    res = eval_ir(primal_ir, closure + leaves)
    outs, residuals = res[:n_out], res[n_out:]
    n_tan = sum(nz)
    t_ir = transpose_ir(lin_ir, [False] * n_res + [True] * n_tan)
    _, in_tree = tree.flatten(tuple(primals))
    n_main = out_tree.children()[0].num_leaves if has_aux else n_out

    def vjp_fn(ct):
        ct_leaves, ct_tree = tree.flatten(ct)
        main_tree = out_tree.children()[0] if has_aux else out_tree
        if ct_tree != main_tree:
            raise TypeError(
                f"vjp: cotangent structure {ct_tree} differs from the output's {main_tree}"
            )
        ct_leaves = ct_leaves + [_zeros_like(o) for o in outs[n_main:]]
        cts = [
            _cast_like(as_array(c), o) for c, o, z in zip(ct_leaves, outs, out_nz) if z
        ]
        cts_in = iter(eval_ir(t_ir, list(residuals) + cts)) if n_tan else iter(())
        full = [next(cts_in) if z else _zeros_like(p) for p, z in zip(leaves, nz[k:])]
        return tree.unflatten(in_tree, full)

    if has_aux:
        main, _, aux = _aux_join(out_tree, outs, True, outs)
        return main, vjp_fn, aux
    return tree.unflatten(out_tree, outs), vjp_fn


def _argnums_tuple(argnums) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _partial_args(f, args, argnums):
    """f as a function of the args at argnums only (the others are closed over)."""

    def g(*dyn):
        full = list(args)
        for i, d in zip(argnums, dyn):
            full[i] = d
        return f(*full)

    return g


def _check_diff_args(name, args, argnums, allow_int=False):
    for i in argnums:
        if i >= len(args) or i < -len(args):
            raise TypeError(
                f"{name}: argnums={i} but the function was called with {len(args)} arguments"
            )
        for leaf in tree.leaves(args[i]):
            dt = _dtype(as_array(leaf))
            if not allow_int and not is_float(dt):
                raise TypeError(
                    f"{name} requires real- or complex-valued inputs (input dtype that is a "
                    f"sub-dtype of np.inexact), but got {dt.name} for argument {i}. "
                    "Pass floats (e.g. 1.0, not 1), or use vjp for integer inputs."
                )


def value_and_grad(
    f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, allow_int=False
):
    """A function returning (f(*args), ∇f(*args)) for scalar-valued f."""
    nums = _argnums_tuple(argnums)

    @functools.wraps(f)
    def vg(*args, **kwargs):
        fk = functools.partial(f, **kwargs) if kwargs else f
        _check_diff_args("grad", args, nums, allow_int)
        nn = tuple(n % len(args) for n in nums)
        g = _partial_args(fk, args, nn)
        res = vjp(g, *[args[i] for i in nn], has_aux=has_aux)
        out, vjp_fn = res[0], res[1]
        if not (hasattr(out, "shape") or isinstance(out, (int, float))) or np.shape(out) != ():
            raise TypeError(
                f"grad requires a scalar-output function; the output had shape "
                f"{np.shape(out) if hasattr(out, 'shape') else type(out).__name__}. "
                "Use jacrev / jacfwd / vjp for non-scalar outputs."
            )
        if not is_float(_dtype(out)):
            raise TypeError(f"grad requires a real-valued output, got {_dtype(out)}")
        cts = vjp_fn(np.ones((), _dtype(out)))
        grads = cts[0] if isinstance(argnums, int) else tuple(cts)
        return ((out, res[2]) if has_aux else out), grads

    return vg


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, allow_int=False):
    """The gradient of scalar-valued f with respect to the args at argnums."""
    vg = value_and_grad(f, argnums, has_aux, allow_int)

    @functools.wraps(f)
    def g(*args, **kwargs):
        (val, g_) = vg(*args, **kwargs)
        return (g_, val[1]) if has_aux else g_

    return g


def linear_transpose(f: Callable, *primals):
    """The transpose of linear f at primals' shapes: ct -> Lᵀ ct per argument."""
    ir, closure, leaves, out_tree = trace_fn(f, [_abstract(p) for p in primals])
    k = len(closure)
    t_ir = transpose_ir(ir, [False] * k + [True] * len(leaves))
    _, in_tree = tree.flatten(tuple(primals))

    def f_t(ct):
        cts = eval_ir(t_ir, closure + [as_array(c) for c in tree.leaves(ct)])
        return tree.unflatten(in_tree, cts)

    return f_t


# ---------------------------------------------------------------------------
# vmap


def _canon_axis(axis, ndim, what):
    if axis is None:
        return None
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"vmap: {what} must be an int or None, got {axis!r}")
    if not -ndim <= axis < max(ndim, 1) or ndim == 0:
        raise ValueError(
            f"vmap: {what}={axis} is out of range for an argument of rank {ndim} (at {user_src()})"
        )
    return int(axis) % ndim


def vmap(
    f: Callable,
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_size: int | None = None,
):
    """Map f over a batch axis of its inputs, with no loop: the IR is batched as a whole."""
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)

    @functools.wraps(f)
    def batched(*args, **kwargs):
        if kwargs:
            raise TypeError("vmap: pass mapped arguments positionally (keyword args are not mapped)")
        ax = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(
                f"vmap: in_axes has {len(in_axes)} entries but the function got {len(args)} "
                "arguments"
            )
        leaves, in_tree = tree.flatten(tuple(args))
        leaves = [as_array(x) for x in leaves]
        axes = tree.broadcast_prefix(ax, tuple(args), is_leaf=lambda x: x is None)
        axes = [_canon_axis(a, len(np.shape(x) if not hasattr(x, "aval") else x.aval.shape),
                            "in_axes") for a, x in zip(axes, leaves)]
        sizes = {_shape(x)[a] for x, a in zip(leaves, axes) if a is not None}
        if axis_size is not None:
            sizes.add(axis_size)
        if len(sizes) > 1:
            detail = ", ".join(
                f"arg leaf {i} axis {a} size {_shape(x)[a]}"
                for i, (x, a) in enumerate(zip(leaves, axes)) if a is not None
            )
            raise ValueError(f"vmap got inconsistent sizes for the mapped axis: {detail}")
        if not sizes:
            raise ValueError("vmap needs at least one mapped input, or axis_size=")
        size = sizes.pop()
        ex_avals = [
            _abstract(x) if a is None else _abstract(x).update(
                shape=_shape(x)[:a] + _shape(x)[a + 1 :]
            )
            for x, a in zip(leaves, axes)
        ]
        out = _Out()
        reason = "inside vmap (each batch element has its own value; use tnp.where or tj.lax.cond)"
        ir, closure = trace_to_ir(flatten_fun(f, in_tree, out), ex_avals, reason)
        bir, out_dims = vmap_ir(ir, [None] * len(closure) + axes, size)
        outs = eval_ir(bir, closure + leaves)
        oax = tree.broadcast_prefix(out_axes, tree.unflatten(out.treedef, outs),
                                    is_leaf=lambda x: x is None)
        outs = [_place_axis(o, d, oa, size) for o, d, oa in zip(outs, out_dims, oax)]
        return tree.unflatten(out.treedef, outs)

    return batched


def _shape(x):
    return x.aval.shape if hasattr(x, "aval") else np.shape(x)


def _place_axis(x, d, target, size):
    from .ops.common import moveaxis_to
    from .ops.shape import broadcast_in_dim

    if target is None:
        if d is not None:
            raise ValueError("vmap: out_axes=None but the output depends on the mapped input")
        return x
    nd = len(_shape(x)) + (1 if d is None else 0)
    target = _canon_axis(target, nd, "out_axes")
    if d is None:
        shp = _shape(x)
        new = shp[:target] + (size,) + shp[target:]
        dims = tuple(i for i in range(len(new)) if i != target)
        return broadcast_in_dim(x, shape=new, broadcast_dimensions=dims)
    return moveaxis_to(x, d, target)


# ---------------------------------------------------------------------------
# jacobians


def _std_basis(leaves):
    """One-hot tangents for every element of the flattened inputs, stacked on axis 0."""
    sizes = [int(np.prod(_shape(x), dtype=np.int64)) for x in leaves]
    total = sum(sizes)
    eye = np.eye(total, dtype=np.result_type(*[_dtype(x) for x in leaves]))
    out, start = [], 0
    for x, n in zip(leaves, sizes):
        out.append(eye[:, start : start + n].reshape((total,) + tuple(_shape(x))).astype(_dtype(x)))
        start += n
    return out


def jacfwd(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """Jacobian by forward mode: vmap of jvp over the standard basis of the inputs."""
    nums = _argnums_tuple(argnums)

    @functools.wraps(f)
    def jac(*args):
        _check_diff_args("jacfwd", args, nums)
        nn = tuple(n % len(args) for n in nums)
        g = _partial_args(f, args, nn)
        dyn = tuple(args[i] for i in nn)
        in_leaves, in_tree = tree.flatten(dyn)
        in_leaves = [as_array(x) for x in in_leaves]
        basis = _std_basis(in_leaves)

        def push(*t_leaves):
            res = jvp(g, dyn, tree.unflatten(in_tree, t_leaves), has_aux=has_aux)
            return res[1], (res[2] if has_aux else None)

        tans, aux = vmap(push, in_axes=0, out_axes=(-1, None))(*basis)
        out_leaves, out_tree = tree.flatten(tans)
        blocks = [_split_last(t, in_leaves) for t in out_leaves]
        jac_tree = _assemble(out_tree, blocks, in_tree, isinstance(argnums, int))
        return (jac_tree, aux) if has_aux else jac_tree

    return jac


def _split_last(t, in_leaves):
    """(*out_shape, total) -> [(*out_shape, *in_shape) per input leaf]."""
    from .numpy import reshape as _reshape

    out_shape = _shape(t)[:-1]
    pieces, start = [], 0
    for x in in_leaves:
        n = int(np.prod(_shape(x), dtype=np.int64))
        pieces.append(_reshape(t[..., start : start + n], out_shape + tuple(_shape(x))))
        start += n
    return pieces


def _assemble(out_tree, blocks, in_tree, single):
    """Nest jacobian blocks JAX's way: the output tree of (input trees) of arrays."""
    per_out = []
    for b in blocks:
        in_t = tree.unflatten(in_tree, b)
        per_out.append(in_t[0] if single else in_t)
    return tree.unflatten(out_tree, per_out)


def jacrev(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """Jacobian by reverse mode: vmap of the VJP over the standard basis of the outputs."""
    nums = _argnums_tuple(argnums)

    @functools.wraps(f)
    def jac(*args):
        _check_diff_args("jacrev", args, nums)
        nn = tuple(n % len(args) for n in nums)
        g = _partial_args(f, args, nn)
        dyn = tuple(args[i] for i in nn)
        res = vjp(g, *dyn, has_aux=has_aux)
        y, vjp_fn = res[0], res[1]
        y_leaves, y_tree = tree.flatten(y)
        y_leaves = [as_array(x) for x in y_leaves]
        basis = _std_basis(y_leaves)

        def pull(*ct_leaves):
            return vjp_fn(tree.unflatten(y_tree, ct_leaves))

        cts = vmap(pull)(*basis)  # tuple over args; each leaf (total_out, *in_shape)
        in_leaves, in_tree = tree.flatten(cts)
        # per input leaf: (total_out, *in) -> per output leaf (*out, *in)
        from .numpy import reshape as _reshape

        per_out = []
        start = 0
        for yl in y_leaves:
            n = int(np.prod(_shape(yl), dtype=np.int64))
            per_in = [
                _reshape(c[start : start + n], tuple(_shape(yl)) + tuple(_shape(c)[1:]))
                for c in in_leaves
            ]
            t = tree.unflatten(in_tree, per_in)
            per_out.append(t[0] if isinstance(argnums, int) else t)
            start += n
        jac_tree = tree.unflatten(y_tree, per_out)
        return (jac_tree, res[2]) if has_aux else jac_tree

    return jac


jacobian = jacrev


def hessian(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """Second derivatives: jacfwd of jacrev."""
    return jacfwd(jacrev(f, argnums, has_aux=has_aux), argnums, has_aux=has_aux)
