"""Functions that map a Python function over an array: vectorize, apply_along_axis,
apply_over_axes, piecewise, fromfunction (jax.numpy's semantics).

They are written with tracejit.vmap, as JAX writes them with jax.vmap: the function is
traced once on one element (or one core slice) and the IR is batched, with no Python loop
over elements. So the function must not branch on values (use tracejit.numpy.where or
tracejit.lax.cond), and the results differentiate and batch like any other code.
frompyfunc is left out: it builds a NumPy ufunc object, which has no traced form.
"""

from __future__ import annotations

import functools
import operator
import re

import numpy as np

from ._core import canon_axis, cast, dtype_of, shape_of
from ._creation import asarray
from ._reductions import argmax, cumsum
from ._shape import concatenate, expand_dims, squeeze


def _vmap(fun, in_axes=0, out_axes=0):
    # tracejit.numpy sits below the transforms in the import order; this is the one place
    # it calls one, so the import waits until a function is actually mapped
    from ..batching import vmap

    return vmap(fun, in_axes=in_axes, out_axes=out_axes)


# ---------------------------------------------------------------------------
# vectorize, with NumPy's generalized-ufunc signatures: "(n),(n)->()", "(m,n)->(n,m)"

_DIM = r"\w+"
_CORE_DIMS = rf"(?:{_DIM}(?:,{_DIM})*)?"
_ARG = rf"\({_CORE_DIMS}\)"
_ARGS = rf"{_ARG}(?:,{_ARG})*"
_SIGNATURE = rf"^{_ARGS}->{_ARGS}$"


def _parse_signature(signature: str):
    """'(m,n),(n)->(m)' -> ([('m', 'n'), ('n',)], [('m',)])."""
    if not re.match(_SIGNATURE, signature.replace(" ", "")):
        raise ValueError(f"not a valid gufunc signature: {signature}")
    ins, outs = (
        [tuple(re.findall(_DIM, arg)) for arg in re.findall(_ARG, part)]
        for part in signature.replace(" ", "").split("->")
    )
    return ins, outs


def _update_sizes(sizes: dict, shape, core, context: str, is_input: bool) -> None:
    if is_input and len(shape) < len(core):
        raise ValueError(
            f"input with shape {shape!r} does not have enough dimensions for all core "
            f"dimensions {core!r} {context}"
        )
    if not is_input and len(shape) != len(core):
        raise ValueError(
            f"output shape {shape!r} does not match core dimensions {core!r} {context}"
        )
    for dim, n in zip(core, shape[len(shape) - len(core) :]):
        if sizes.setdefault(dim, n) != n:
            raise ValueError(
                f"inconsistent size for core dimension {dim!r}: {n!r} vs {sizes[dim]!r} {context}"
            )


def _check_outputs(fun, sizes, out_core, context):
    def checked(*args):
        out = fun(*args)
        outs = out if isinstance(out, tuple) else (out,)
        if len(out_core) > 1 and not isinstance(out, tuple):
            raise TypeError(f"output must be a tuple when multiple outputs are expected {context}")
        if len(outs) != len(out_core):
            raise TypeError(
                f"wrong number of output arguments: expected {len(out_core)}, "
                f"got {len(outs)} {context}"
            )
        seen = dict(sizes)
        for o, core in zip(outs, out_core):
            _update_sizes(seen, shape_of(o), core, context, is_input=False)
        return out

    return checked


def _apply_excluded(fun, excluded, args, kwargs):
    """fun with the excluded positional and keyword arguments bound, and the rest."""
    if not excluded:
        return fun, args, kwargs
    dyn_args = [a for i, a in enumerate(args) if i not in excluded]
    dyn_kwargs = {k: v for k, v in kwargs.items() if k not in excluded}
    static_args = [(i, args[i]) for i in sorted(e for e in excluded if isinstance(e, int))]
    static_args = [(i, a) for i, a in static_args if i < len(args)]
    static_kwargs = {k: v for k, v in kwargs.items() if k in excluded}

    def bound(*args, **kwargs):
        args = list(args)
        for i, a in static_args:
            args.insert(i, a)
        return fun(*args, **kwargs, **static_kwargs)

    return bound, dyn_args, dyn_kwargs


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """pyfunc applied elementwise (or per core slice, given a signature such as
    "(n),(n)->()") with NumPy's broadcasting, as one vmap per broadcast axis: pyfunc is
    traced once, not called per element. Keyword arguments are passed to pyfunc as they
    are, not mapped (JAX drops those not listed in excluded)."""
    if any(not isinstance(e, (str, int)) for e in excluded):
        raise TypeError(f"vectorize can only exclude integer or string arguments, got {excluded!r}")
    if any(isinstance(e, int) and e < 0 for e in excluded):
        raise ValueError(f"excluded={excluded!r} contains negative numbers")

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        context = f"on vectorized function with excluded={excluded!r} and signature={signature!r}"
        fun, args, kwargs = _apply_excluded(pyfunc, excluded, args, kwargs)
        if signature is not None:
            in_core, out_core = _parse_signature(signature)
        else:
            in_core, out_core = [()] * len(args), None
        none_args = {i for i, a in enumerate(args) if a is None}
        if none_args:
            if any(in_core[i] != () for i in none_args):
                raise ValueError(f"Cannot pass None at locations {none_args} with {signature=}")
            fun, args, _ = _apply_excluded(fun, none_args, args, {})
            in_core = [c for i, c in enumerate(in_core) if i not in none_args]
        if kwargs:
            fun = functools.partial(fun, **kwargs)
        args = [asarray(a) for a in args]
        if len(args) != len(in_core):
            raise TypeError(
                f"wrong number of positional arguments: expected {len(in_core)}, "
                f"got {len(args)} {context}"
            )
        sizes: dict = {}
        loop_shapes = []
        for a, core in zip(args, in_core):
            _update_sizes(sizes, shape_of(a), core, context, is_input=True)
            loop_shapes.append(shape_of(a)[: len(shape_of(a)) - len(core)])
        bshape = np.broadcast_shapes(*loop_shapes)
        if out_core is not None:
            fun = _check_outputs(fun, sizes, out_core, context)
        # squeeze each argument's size-1 loop axes; vmap over an axis only the arguments
        # that have it, innermost axis first
        squeezed, rev_shapes = [], []
        for a, s in zip(args, loop_shapes):
            rev_shapes.append(((1,) * (len(bshape) - len(s)) + s)[::-1])
            squeezed.append(squeeze(a, tuple(i for i, n in enumerate(s) if n == 1)))
        mapped, expand = fun, []
        for negdim, axis_sizes in enumerate(zip(*rev_shapes)):
            in_axes = tuple(None if n == 1 else 0 for n in axis_sizes)
            if all(ax is None for ax in in_axes):
                expand.append(len(bshape) - 1 - negdim)
            else:
                mapped = _vmap(mapped, in_axes)
        out = mapped(*squeezed)
        out = tuple(asarray(o) for o in out) if isinstance(out, tuple) else asarray(out)
        if not expand:
            return out
        if isinstance(out, tuple):
            return tuple(expand_dims(o, tuple(expand)) for o in out)
        return expand_dims(out, tuple(expand))

    return wrapped


# ---------------------------------------------------------------------------
# apply_along_axis, apply_over_axes, piecewise, fromfunction


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """func1d on each 1-D slice along axis; its output axes replace that axis."""
    arr = asarray(arr)
    nd = len(shape_of(arr))
    axis = canon_axis(axis, nd)

    def func(a):
        return func1d(a, *args, **kwargs)

    for i in range(1, nd - axis):
        func = _vmap(func, in_axes=i, out_axes=-1)
    for _ in range(axis):
        func = _vmap(func, in_axes=0, out_axes=0)
    return func(arr)


def apply_over_axes(func, a, axes):
    """func(a, axis) for each axis in turn; a reduced axis is put back with size 1."""
    a = asarray(a)
    for axis in axes:
        b = asarray(func(a, axis))
        if len(shape_of(b)) == len(shape_of(a)):
            a = b
        elif len(shape_of(b)) == len(shape_of(a)) - 1:
            a = expand_dims(b, axis)
        else:
            raise ValueError("function is not returning an array of the correct shape")
    return a


def piecewise(x, condlist, funclist, *args, **kw):
    """funclist[i] (a function of one element, or a constant) where condlist[i] holds,
    the last True condition winning; with one extra function, it fills where none
    holds (else 0). The result has x's dtype. Written as a batched lax.switch."""
    from ..lax import switch

    x = asarray(x)
    dt = dtype_of(x)
    if not isinstance(condlist, (list, tuple)) and len(shape_of(condlist)) == len(shape_of(x)):
        condlist = [condlist]  # one boolean array of x's shape is one condition, as NumPy
    nc, nf = len(condlist), len(funclist)
    if nf == nc + 1:
        funclist = list(funclist[-1:]) + list(funclist[:-1])
    elif nf == nc:
        funclist = [0] + list(funclist)
    else:
        raise ValueError(
            f"with {nc} condition(s), either {nc} or {nc + 1} functions are expected; got {nf}"
        )
    conds = cast(asarray(condlist), np.bool_)
    # branch index: the last True condition (1-based), 0 where none holds
    zero = np.zeros((1,) + shape_of(conds)[1:], np.bool_)
    index = argmax(cumsum(cast(concatenate([zero, conds], 0), np.int64), axis=0), axis=0)

    def branch(f):
        if callable(f):
            return lambda v: cast(asarray(f(v, *args, **kw)), dt)
        return lambda v: cast(asarray(f), dt)

    branches = [branch(f) for f in funclist]
    return vectorize(lambda i, v: switch(i, branches, v))(index, x)


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """function(i0, i1, ...) at every index, as JAX: function is called on scalars
    (one vmap per axis), so it need not broadcast. kwargs are passed through."""
    shape = tuple(operator.index(s) for s in ((shape,) if np.ndim(shape) == 0 else shape))
    fun = functools.partial(function, **kwargs) if kwargs else function
    for i in range(len(shape)):
        in_axes = [0 if i == j else None for j in range(len(shape))]
        fun = _vmap(fun, in_axes=tuple(in_axes[::-1]))
    return fun(*(np.arange(s, dtype=dtype) for s in shape))
