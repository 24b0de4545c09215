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
from ._argcheck import (
    ArgumentError,
    aval_str,
    check_cotangent,
    check_input_revderiv,
    check_output_revderiv,
    check_tangent,
    dyn_argnums,
    float0_zeros,
    is_diff,
)
from .ir import IR, ShapedArray
from .trace import Tracer, eval_ir, trace_to_ir, user_src
from .transforms import jvp_ir, linearize_ir, transpose_ir
from .transforms.transpose import backward_pass

__all__ = [
    "make_ir",
    "jvp",
    "linearize",
    "vjp",
    "grad",
    "value_and_grad",
    "linear_transpose",
    "eval_shape",
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
        f"Argument {x!r} of type {type(x)} is not a valid JAX type: not a valid argument "
        f"of a transformed function (at {user_src()}). Arguments must be arrays, scalars, "
        "or pytrees (tuple, list, dict) of them; pass other values through static_argnums "
        "or a closure"
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
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.ndarray):
        return ShapedArray(tuple(x.shape), np.dtype(x.dtype))  # duck-typed (ShapeDtypeStruct)
    x = np.asarray(x)
    return ShapedArray(x.shape, x.dtype)


def eval_shape(f: Callable, *args, **kwargs):
    """The shapes and dtypes of f's outputs (a pytree of ShapedArray), computing nothing.

    Arguments may be arrays, scalars, ShapedArrays or any object with .shape and .dtype.
    """
    dargs = tree.map(_abstract, (args, kwargs))
    ir, _, _, out_tree = trace_fn(
        lambda a, k: f(*a, **k), dargs, reason="inside eval_shape (inputs are abstract)"
    )
    return tree.unflatten(out_tree, list(ir.out_avals))


# ---------------------------------------------------------------------------
# forward mode


def _rule_values(ir: IR, values: list):
    """The inputs' values if ir calls user rules (custom_jvp, custom_vjp), which may branch
    on concrete values as outside jit in JAX; else None (tracing on avals costs less)."""
    user = any(e.prim.name in ("custom_jvp_call", "custom_vjp_call") for e in ir.eqns)
    return values if user else None


def _jvp_flat(f: Callable, primals: Sequence, t_leaves: list):
    """f's flat outputs, their tangents (zeros of the output's dtype where none flows)
    and f's output treedef. Tangents of integer primals are ignored (float0)."""
    for p, t in zip([as_array(x) for x in tree.leaves(tuple(primals))], t_leaves):
        check_tangent(p, t)
    ir, closure, leaves, out_tree = trace_fn(f, primals)
    nz = [False] * len(closure) + [is_diff(_dtype(p)) for p in leaves]
    jir, out_nz = jvp_ir(ir, nz, primals=_rule_values(ir, closure + leaves))
    tans = [_cast_like(as_array(t), p) for t, p in zip(t_leaves, leaves) if is_diff(_dtype(p))]
    res = eval_ir(jir, closure + leaves + tans)
    outs, touts = res[: len(ir.outs)], iter(res[len(ir.outs) :])
    return outs, [next(touts) if z else _zeros_like(o) for o, z in zip(outs, out_nz)], out_tree


def _float0_ints(outs, touts):
    """The tangent of an integer or boolean output is float0 zeros, as in JAX."""
    return [t if is_diff(_dtype(o)) else float0_zeros(o) for o, t in zip(outs, touts)]


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """(fun(*primals), J_fun(primals) @ tangents), both pytrees like fun's output; with
    has_aux, fun returns (out, aux) and jvp returns (out, tangent_out, aux)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            "primal and tangent arguments to tracejit.jvp must be tuples or lists; found "
            f"{type(primals).__name__} and {type(tangents).__name__}."
        )
    p_tree = tree.structure(primals)
    t_leaves, t_tree = tree.flatten(tangents)
    if p_tree != t_tree:
        raise TypeError(
            "primal and tangent arguments to tracejit.jvp must have the same tree structure; "
            f"primals have tree structure {p_tree} whereas tangents have tree structure "
            f"{t_tree}."
        )
    outs, touts, out_tree = _jvp_flat(_aux_split(fun) if has_aux else fun, primals, t_leaves)
    return _aux_join(out_tree, outs, has_aux, _float0_ints(outs, touts))


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
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(
                "expected function with aux output to return a two-element tuple, but got "
                f"type {type(res)} with value {res!r}"
            )
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


def linearize(fun: Callable, *primals, has_aux: bool = False):
    """(fun(*primals), f_jvp) where f_jvp(*tangents) evaluates the linear map at primals;
    with has_aux, fun returns (out, aux) and linearize returns (out, f_jvp, aux)."""
    ir, closure, leaves, out_tree = trace_fn(_aux_split(fun) if has_aux else fun, primals)
    k = len(closure)
    nz = [False] * k + [is_diff(_dtype(p)) for p in leaves]
    jir, out_nz = jvp_ir(ir, nz, primals=_rule_values(ir, closure + leaves))
    primal_ir, lin_ir, n_res = linearize_ir(jir, len(ir.invars), len(ir.outs))
    res = eval_ir(primal_ir, closure + leaves)
    outs, residuals = res[: len(ir.outs)], res[len(ir.outs) :]
    in_tree = tree.structure(tuple(primals))
    main_tree = out_tree.children()[0] if has_aux else out_tree

    def f_jvp(*tangents):
        t_leaves, t_tree = tree.flatten(tuple(tangents))
        if t_tree != in_tree:
            raise ArgumentError(
                "linearized function called on tangent values inconsistent with the original "
                f"primal values: tangents have tree structure {t_tree}, primals {in_tree}"
            )
        for p, t in zip(leaves, t_leaves):
            try:
                check_tangent(p, t)
            except (TypeError, ValueError):
                raise ValueError(
                    "linearized function called on tangent values inconsistent with the "
                    f"original primal values: Got tangent aval {aval_str(t)} for primal aval "
                    f"{aval_str(p)} but expected {aval_str(p)}"
                ) from None
        t_leaves = [_cast_like(as_array(t), p) for t, p, z in zip(t_leaves, leaves, nz[k:]) if z]
        touts = iter(eval_ir(lin_ir, list(residuals) + t_leaves))
        full = [next(touts) if z else _zeros_like(o) for o, z in zip(outs, out_nz)]
        full = _float0_ints(outs, full)[: main_tree.num_leaves]
        return tree.unflatten(main_tree, full)

    n_main = main_tree.num_leaves
    main = tree.unflatten(main_tree, outs[:n_main])
    if has_aux:
        return main, f_jvp, tree.unflatten(out_tree.children()[1], outs[n_main:])
    return main, f_jvp


# ---------------------------------------------------------------------------
# reverse mode


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """(fun(*primals), vjp_fn[, aux]) with vjp_fn(ct) = ct @ J_fun(primals): a tuple with
    one cotangent per primal (float0 for integer and boolean primals)."""
    return _vjp(fun, primals, has_aux, float0_zeros)


def _vjp(f: Callable, primals, has_aux: bool, int_zeros: Callable):
    """vjp, where `int_zeros(p)` is the cotangent of an integer primal p."""
    ir, closure, leaves, out_tree = trace_fn(_aux_split(f) if has_aux else f, primals)
    k = len(closure)
    nz = [False] * k + [is_diff(_dtype(p)) for p in leaves]
    values = _rule_values(ir, closure + leaves)
    jir, out_nz = jvp_ir(ir, nz, primals=values)
    n_out = len(ir.outs)
    primal_ir, lin_ir, n_res = linearize_ir(jir, len(ir.invars), n_out)
    res = eval_ir(primal_ir, closure + leaves)
    outs, residuals = res[:n_out], res[n_out:]
    n_tan = sum(nz)
    linear = [False] * n_res + [True] * n_tan
    # with user rules, transpose on the residuals' values (a bwd may branch on them)
    t_ir = transpose_ir(lin_ir, linear) if values is None else None
    in_tree = tree.structure(tuple(primals))
    main_tree = out_tree.children()[0] if has_aux else out_tree
    n_main = main_tree.num_leaves
    name = getattr(f, "__qualname__", "the function")

    def vjp_fn(ct):
        ct_leaves, ct_tree = tree.flatten(ct)
        if ct_tree != main_tree:
            raise ArgumentError(
                "unexpected tree structure of the argument to a VJP function: it must match "
                f"the output of the differentiated function {name}, {main_tree}, but got "
                f"{ct_tree}"
            )
        for c, o in zip(ct_leaves, outs):
            check_cotangent(c, o)
        ct_leaves = ct_leaves + [_zeros_like(o) for o in outs[n_main:]]
        cts = [_cast_like(as_array(c), o) for c, o, z in zip(ct_leaves, outs, out_nz) if z]
        if not n_tan:
            cts_in = iter(())
        elif t_ir is None:
            cts_in = iter(backward_pass(lin_ir, linear, list(residuals), cts))
        else:
            cts_in = iter(eval_ir(t_ir, list(residuals) + cts))
        full = [next(cts_in) if z else int_zeros(p) for p, z in zip(leaves, nz[k:])]
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


def value_and_grad(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
    reduce_axes: Sequence = (),
):
    """A function returning (fun(*args), ∇fun(*args)) for scalar-valued fun; with has_aux,
    ((value, aux), grad). Keyword arguments are passed to fun and not differentiated."""
    nums = _argnums_tuple(argnums)

    @functools.wraps(fun)
    def vg(*args, **kwargs):
        fk = functools.partial(fun, **kwargs) if kwargs else fun
        nn = dyn_argnums(args, argnums, nums)
        for i in nn:
            for leaf in tree.leaves(args[i]):
                check_input_revderiv("grad", holomorphic, allow_int, as_array(leaf))
        res = _vjp(_partial_args(fk, args, nn), [args[i] for i in nn], has_aux, float0_zeros)
        out, vjp_fn = res[0], res[1]
        if not hasattr(out, "shape"):
            raise TypeError(f"Gradient only defined for scalar-output functions. Output was {out}.")
        if _shape_of(out) != ():
            raise TypeError(
                "Gradient only defined for scalar-output functions. Output had shape: "
                f"{_shape_of(out)}."
            )
        check_output_revderiv("grad", holomorphic, out)
        cts = vjp_fn(np.ones((), _dtype(out)))
        grads = cts[0] if isinstance(argnums, int) else tuple(cts)
        return ((out, res[2]) if has_aux else out), grads

    return vg


def grad(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
    reduce_axes: Sequence = (),
):
    """The gradient of scalar-valued fun with respect to the args at argnums (a tuple of
    gradients if argnums is a tuple); with has_aux, (grad, aux)."""
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun)
    def g(*args, **kwargs):
        (val, g_) = vg(*args, **kwargs)
        return (g_, val[1]) if has_aux else g_

    return g


def linear_transpose(fun: Callable, *primals, reduce_axes: Sequence = ()):
    """The transpose of linear fun at primals' shapes and dtypes (arrays, or anything with
    .shape and .dtype): ct -> Lᵀ ct, a tuple with one cotangent per argument."""
    avals = tree.map(_abstract, primals)
    ir, closure, leaves, out_tree = trace_fn(fun, avals)
    k = len(closure)
    t_ir = transpose_ir(ir, [False] * k + [True] * len(leaves))
    in_tree = tree.structure(tuple(primals))

    def f_t(ct):
        ct_leaves, ct_tree = tree.flatten(ct)
        if ct_tree != out_tree or any(
            np.shape(c) != a.shape or (not isinstance(c, (int, float)) and _dtype(c) != a.dtype)
            for c, a in zip(ct_leaves, ir.out_avals)
        ):
            raise TypeError(
                f"cotangent type does not match function output, expected {out_tree} of "
                f"{list(ir.out_avals)} but got {ct_tree} of "
                f"{[aval_str(c) for c in ct_leaves]}"
            )
        cts = [
            c if type(c) is Tracer else np.asarray(c, a.dtype)
            for c, a in zip(ct_leaves, ir.out_avals)
        ]
        return tree.unflatten(in_tree, eval_ir(t_ir, closure + cts))

    return f_t


def _shape_of(x):
    return x.aval.shape if hasattr(x, "aval") else np.shape(x)
