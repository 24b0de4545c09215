"""vmap, and the jacobians built from it: jacfwd is vmap of jvp over the standard basis of
the inputs, jacrev is vmap of the VJP over the standard basis of the outputs.

vmap traces f once on unbatched avals and batches the IR as a whole (transforms/vmap.py);
keyword arguments are mapped over axis 0 and non-array arguments with in_axes None are
passed through, as in JAX.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from . import tree
from ._argcheck import (
    check_axes_spec,
    check_axis,
    check_input_jacfwd,
    check_input_revderiv,
    check_output_revderiv,
    dyn_argnums,
    is_diff,
    leaf_paths,
    mapped_axis_size,
)
from .api import (
    _abstract,
    _argnums_tuple,
    _aux_split,
    _dtype,
    _jvp_flat,
    _Out,
    _partial_args,
    _shape_of,
    _vjp,
    _zeros_like,
    as_array,
)
from .trace import eval_ir, trace_to_ir
from .transforms import vmap_ir

__all__ = ["vmap", "jacfwd", "jacrev", "jacobian", "hessian"]


class _Static:
    """A non-array argument with in_axes None: passed through to f unchanged (JAX allows
    e.g. a function argument this way)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj


def vmap(
    fun: Callable,
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_name: Any = None,
    axis_size: int | None = None,
    spmd_axis_name: Any = None,
):
    """Map fun over a batch axis of its inputs, with no loop: the IR is batched as a whole.

    in_axes: an int, None, or a tuple with one entry per positional argument, each a
    pytree prefix of ints and Nones (a list is taken as a tuple); keyword arguments are
    mapped over axis 0. out_axes: a pytree prefix of the output; None for an output that
    does not depend on the mapped inputs. axis_size: the batch size when no input is
    mapped. axis_name and spmd_axis_name are accepted for JAX compatibility and unused
    (tracejit has no collectives).
    """
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    check_axes_spec(in_axes, out_axes)

    @functools.wraps(fun)
    def batched(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(
                "vmap in_axes must be an int, None, or a tuple of entries corresponding to "
                "the positional arguments passed to the function, but got "
                f"len(in_axes)={len(in_axes)}, len(args)={len(args)}"
            )
        leaves, in_tree = tree.flatten((args, kwargs))
        try:
            axes = tree.broadcast_prefix((in_axes, 0), (args, kwargs), is_leaf=lambda x: x is None)
        except ValueError as e:
            raise ValueError(
                "vmap in_axes specification must be a tree prefix of the corresponding value; "
                f"got specification {in_axes} for value tree {tree.structure(args)}.\n{e}"
            ) from None
        axes = [check_axis(x, a, "") for x, a in zip(leaves, axes, strict=True)]
        size = mapped_axis_size(fun, args, kwargs, leaves, axes, axis_size)
        vals = [
            as_array(x) if a is not None or _array_like(x) else _Static(x)
            for x, a in zip(leaves, axes, strict=True)
        ]
        dyn = [i for i, v in enumerate(vals) if not isinstance(v, _Static)]
        ex_avals = []
        for i in dyn:
            av, a = _abstract(vals[i]), axes[i]
            ex_avals.append(av if a is None else av.update(shape=av.shape[:a] + av.shape[a + 1 :]))
        out = _Out()

        def flat(*dyn_vals):
            full = [v.obj if isinstance(v, _Static) else v for v in vals]
            for i, v in zip(dyn, dyn_vals, strict=True):
                full[i] = v
            a, k = tree.unflatten(in_tree, full)
            res_leaves, out.treedef = tree.flatten(fun(*a, **k))
            return [as_array(x) for x in res_leaves]

        reason = "inside vmap (each batch element has its own value; use tnp.where or tj.lax.cond)"
        ir, closure = trace_to_ir(flat, ex_avals, reason)
        bir, out_dims = vmap_ir(ir, [None] * len(closure) + [axes[i] for i in dyn], size)
        outs = eval_ir(bir, closure + [vals[i] for i in dyn])
        try:
            oax = tree.broadcast_prefix(
                out_axes, tree.unflatten(out.treedef, outs), is_leaf=lambda x: x is None
            )
        except ValueError as e:
            raise ValueError(
                "vmap out_axes specification must be a tree prefix of the corresponding value; "
                f"got specification {out_axes} for value tree {out.treedef}.\n{e}"
            ) from None
        paths = leaf_paths(out.treedef)
        outs = [_place_axis(*z, size) for z in zip(outs, out_dims, oax, paths, strict=True)]
        return tree.unflatten(out.treedef, outs)

    return batched


def _array_like(x) -> bool:
    try:
        as_array(x)
    except TypeError:
        return False
    return True


def _place_axis(x, d, target, path, size):
    from .ops.common import moveaxis_to
    from .ops.shape import broadcast_in_dim

    if target is None:
        if d is not None:
            raise ValueError(
                f"at vmap out_axes{path}, got axis spec None but output was batched on axis {d}"
            )
        return x
    nd = len(_shape_of(x)) + (1 if d is None else 0)
    if not -nd <= target < nd:
        raise ValueError(
            f"vmap out_axes{path}={target} is out of bounds for an output of rank {nd} "
            "(with its mapped axis)"
        )
    target = int(target) % nd
    if d is None:
        shp = _shape_of(x)
        new = shp[:target] + (size,) + shp[target:]
        dims = tuple(i for i in range(len(new)) if i != target)
        return broadcast_in_dim(x, shape=new, broadcast_dimensions=dims)
    return moveaxis_to(x, d, target)


# ---------------------------------------------------------------------------
# jacobians


def _std_basis(leaves):
    """One-hot tangents for every element of the flattened inputs, stacked on axis 0."""
    sizes = [int(np.prod(_shape_of(x), dtype=np.int64)) for x in leaves]
    total = sum(sizes)
    out, start = [], 0
    for x, n in zip(leaves, sizes, strict=True):
        eye = np.zeros((total, n), _dtype(x))
        eye[start + np.arange(n), np.arange(n)] = 1
        out.append(eye.reshape((total,) + tuple(_shape_of(x))))
        start += n
    return out


def jacfwd(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
):
    """Jacobian by forward mode: vmap of jvp over the standard basis of the inputs.

    The result nests as JAX's: fun's output tree, holding at each leaf the input tree (a
    tuple of them if argnums is a tuple), with leaves of shape out.shape + in.shape; the
    jacobian of an integer output is zeros of the output's dtype (JAX's, not float0).
    Keyword arguments are passed to fun.
    """
    nums = _argnums_tuple(argnums)

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        fk = functools.partial(fun, **kwargs) if kwargs else fun
        nn = dyn_argnums(args, argnums, nums)
        dyn = tuple(args[i] for i in nn)
        in_leaves, in_tree = tree.flatten(dyn)
        for leaf in in_leaves:
            check_input_jacfwd(holomorphic, as_array(leaf))
        in_leaves = [as_array(x) for x in in_leaves]
        g = _partial_args(fk, args, nn)
        g = _aux_split(g) if has_aux else g
        box = _Out()

        def push(*t_leaves):
            outs, touts, box.treedef = _jvp_flat(g, dyn, list(t_leaves))
            box.avals = [_abstract(o) for o in outs]
            n = box.treedef.children()[0].num_leaves if has_aux else len(outs)
            return touts[:n], outs[n:]

        basis = _std_basis(in_leaves)
        # aux is the same in every lane, but may come out batched (e.g. from a scan that
        # also carries tangents): take lane 0
        tans, aux = vmap(push, in_axes=0, out_axes=(-1, 0))(*basis)
        out_tree = box.treedef.children()[0] if has_aux else box.treedef
        blocks = [
            _split_last(t, in_leaves)
            if is_diff(o.dtype)
            else [np.zeros(o.shape + _shape_of(x), o.dtype) for x in in_leaves]
            for t, o in zip(tans, box.avals[: len(tans)], strict=True)
        ]
        jac_tree = _assemble(out_tree, blocks, in_tree, isinstance(argnums, int))
        if has_aux:
            aux = (
                [a[0] for a in aux]
                if _shape_of(basis[0])[0]
                else tree.leaves(_aux_split(g)(*dyn)[1])
            )
            return jac_tree, tree.unflatten(box.treedef.children()[1], aux)
        return jac_tree

    return jac


def _split_last(t, in_leaves):
    """(*out_shape, total) -> [(*out_shape, *in_shape) per input leaf]."""
    from .numpy import reshape as _reshape

    out_shape = _shape_of(t)[:-1]
    pieces, start = [], 0
    for x in in_leaves:
        n = int(np.prod(_shape_of(x), dtype=np.int64))
        pieces.append(_reshape(t[..., start : start + n], out_shape + tuple(_shape_of(x))))
        start += n
    return pieces


def _assemble(out_tree, blocks, in_tree, single):
    """Nest jacobian blocks JAX's way: the output tree of (input trees) of arrays."""
    per_out = []
    for b in blocks:
        in_t = tree.unflatten(in_tree, b)
        per_out.append(in_t[0] if single else in_t)
    return tree.unflatten(out_tree, per_out)


def jacrev(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
):
    """Jacobian by reverse mode: vmap of the VJP over the standard basis of the outputs.

    Nested and shaped as jacfwd's; with allow_int, the block of an integer input is zeros
    of the input's dtype (JAX's, not float0). Keyword arguments are passed to fun.
    """
    nums = _argnums_tuple(argnums)

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        from .numpy import reshape as _reshape

        fk = functools.partial(fun, **kwargs) if kwargs else fun
        nn = dyn_argnums(args, argnums, nums)
        dyn = tuple(args[i] for i in nn)
        in_leaves, in_tree = tree.flatten(dyn)
        for leaf in in_leaves:
            check_input_revderiv("jacrev", holomorphic, allow_int, as_array(leaf))
        in_leaves = [as_array(x) for x in in_leaves]
        res = _vjp(_partial_args(fk, args, nn), dyn, has_aux, _zeros_like)
        y, vjp_fn = res[0], res[1]
        y_leaves, y_tree = tree.flatten(y)
        y_leaves = [as_array(x) for x in y_leaves]
        for leaf in y_leaves:
            check_output_revderiv("jacrev", holomorphic, leaf)
        if y_leaves:
            cts = vmap(lambda *c: vjp_fn(tree.unflatten(y_tree, c)))(*_std_basis(y_leaves))
            ct_leaves = tree.leaves(cts)  # per input leaf: (total_out, *in_shape)
        per_out, start = [], 0
        for yl in y_leaves:
            n = int(np.prod(_shape_of(yl), dtype=np.int64))
            per_in = [
                _reshape(c[start : start + n], _shape_of(yl) + _shape_of(x))
                if is_diff(_dtype(x))
                else np.zeros(_shape_of(yl) + _shape_of(x), _dtype(x))
                for c, x in zip(ct_leaves, in_leaves, strict=True)
            ]
            t = tree.unflatten(in_tree, per_in)
            per_out.append(t[0] if isinstance(argnums, int) else t)
            start += n
        jac_tree = tree.unflatten(y_tree, per_out)
        return (jac_tree, res[2]) if has_aux else jac_tree

    return jac


jacobian = jacrev


def hessian(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
):
    """Second derivatives: jacfwd of jacrev, nested as JAX's (output tree, then the input
    tree twice)."""
    inner = jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic)
    return jacfwd(inner, argnums, has_aux=has_aux, holomorphic=holomorphic)
