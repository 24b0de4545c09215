"""User-defined derivative rules (custom_jvp, custom_vjp), checkpointing and a
straight-through estimator, with JAX's names and calling conventions."""

from __future__ import annotations

import functools
import inspect
from typing import Callable, Sequence

import numpy as np

from . import tree
from ._argcheck import aval_str
from .api import _Out, as_array, flatten_fun
from .ir import ShapedArray
from .ops.custom import checkpoint_p, custom_jvp_call_p, custom_vjp_call_p
from .trace import TraceError, Tracer, TracerLeakError, trace_to_ir, user_src

__all__ = ["custom_jvp", "custom_vjp", "checkpoint", "remat", "straight_through"]


def _aval(x) -> ShapedArray:
    return x.aval if hasattr(x, "aval") else ShapedArray(np.shape(x), np.asarray(x).dtype)


def _resolve_kwargs(fun, args, kwargs) -> tuple:
    """Keyword arguments bound to their positions, defaults filled in (as JAX does): the
    rules always receive every argument positionally."""
    if not kwargs:
        return args
    ba = inspect.signature(fun).bind(*args, **kwargs)
    ba.apply_defaults()
    if ba.kwargs:
        raise TypeError("keyword arguments could not be resolved to positions")
    return ba.args


def _check_tangents(rule, fun, out, tout, out_tree) -> list:
    """A custom JVP rule's result: primal and tangent outputs with fun's structure, each
    tangent with its primal's shape and dtype (a Python scalar is cast). Flat tangents."""
    o_tree = tree.structure(out)
    t_leaves, t_tree = tree.flatten(tout)
    names = f"{getattr(rule, '__name__', 'rule')} for function {fun.__name__}"
    if o_tree != t_tree:
        raise TypeError(
            f"Custom JVP rule {names} must produce primal and tangent outputs with equal "
            f"container (pytree) structures, but got {o_tree} and {t_tree} respectively."
        )
    if o_tree != out_tree:
        raise TypeError(
            f"Custom JVP rule {names} must produce a primal output with the same container "
            f"(pytree) structure as the undecorated function, {out_tree}, but got {o_tree}."
        )
    flat = []
    for o, t in zip(tree.leaves(out), t_leaves):
        o, weak = as_array(o), isinstance(t, (int, float, complex))
        t = as_array(t)
        od = _aval(o).dtype
        bad = _aval(t).shape != _aval(o).shape
        bad |= not weak and _aval(t).dtype != od and np.issubdtype(od, np.inexact)
        if bad:
            raise TypeError(
                "Custom JVP rule must produce primal and tangent outputs with corresponding "
                f"shapes and dtypes. Expected {aval_str(o)} (tangent type of {aval_str(o)}) but "
                f"got {aval_str(t)}."
            )
        flat.append(np.asarray(t, _aval(o).dtype) if weak else t)
    return flat


def _split_nondiff(args, nondiff_argnums):
    nondiff = tuple(args[i] for i in nondiff_argnums)
    diff = tuple(a for i, a in enumerate(args) if i not in nondiff_argnums)
    return nondiff, diff


def _merge(nondiff, diff, nondiff_argnums, n):
    out, it_n, it_d = [], iter(nondiff), iter(diff)
    for i in range(n):
        out.append(next(it_n) if i in nondiff_argnums else next(it_d))
    return out


def _trace_flat(f, diff_args):
    """Trace f over the flattened diff args; returns (ir, closure, leaves, in_tree, out_tree).
    Concrete arguments are traced with their values, so f may branch on them (as in JAX
    outside jit)."""
    leaves, in_tree = tree.flatten(tuple(diff_args))
    leaves = [as_array(x) for x in leaves]
    out = _Out()
    ir, closure = trace_to_ir(flatten_fun(f, in_tree, out), leaves)
    return ir, closure, leaves, in_tree, out.treedef


def _no_closure(closure, what):
    if closure:
        raise TraceError(
            f"{what}: the function closes over a traced value (at {user_src()}); pass it as "
            "an argument instead (use nondiff_argnums for values that get no derivative)"
        )


class custom_jvp:
    """A function with a hand-written JVP rule: `@custom_jvp def f(x): ...` then
    `@f.defjvp def f_jvp(primals, tangents): return out, tangent_out`."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False) -> Callable:
        """jvp(*nondiff_args, primals, tangents) -> (out, tangent_out), tuples in and
        pytrees like fun's output out. symbolic_zeros is accepted for JAX compatibility:
        tangents always arrive as arrays (zeros where none flows)."""
        self.jvp = jvp
        return jvp

    def defjvps(self, *rules: Callable | None) -> None:
        """One rule per argument: rule(t, out, *primals) -> tangent contribution."""

        def jvp(primals, tangents):
            out = self.fun(*primals)
            tan = None
            for rule, t in zip(rules, tangents):
                if rule is None:
                    continue
                c = rule(t, out, *primals)
                tan = c if tan is None else tree.map(lambda a, b: a + b, tan, c)
            return out, tan if tan is not None else tree.map(np.zeros_like, out)

        self.jvp = jvp

    def __call__(self, *args, **kwargs):
        if self.jvp is None:
            raise AttributeError(
                f"No JVP defined for custom_jvp function {self.__name__} using defjvp."
            )
        args = _resolve_kwargs(self.fun, args, kwargs)
        nondiff, diff = _split_nondiff(args, self.nondiff_argnums)
        n = len(args)

        def f(*d):
            return self.fun(*_merge(nondiff, d, self.nondiff_argnums, n))

        ir, closure, leaves, in_tree, out_tree = _trace_flat(f, diff)
        _no_closure(closure, "custom_jvp")

        def jvp_fn(primals, tangents):
            p = tree.unflatten(in_tree, primals)
            t = tree.unflatten(in_tree, tangents)
            res = self.jvp(*nondiff, tuple(p), tuple(t))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(
                    f"Custom JVP rule {getattr(self.jvp, '__name__', 'rule')} for function "
                    f"{self.__name__} must produce a pair (list or tuple of length two) "
                    f"representing primal and tangent outputs, but got {res!r}."
                )
            out, tout = res
            t_leaves = _check_tangents(self.jvp, self, out, tout, out_tree)
            return [as_array(o) for o in tree.leaves(out)], t_leaves

        outs = custom_jvp_call_p.bind(*leaves, fun_ir=ir, jvp_fn=jvp_fn)
        return tree.unflatten(out_tree, list(outs))


class custom_vjp:
    """A function with a hand-written VJP: `f.defvjp(fwd, bwd)` where fwd(*args) returns
    (out, residuals) and bwd(residuals, ct) returns one cotangent per argument. Forward
    mode also works if a JVP rule is added with `f.defjvp`."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = self.jvp = None

    def defvjp(
        self,
        fwd: Callable,
        bwd: Callable,
        symbolic_zeros: bool = False,
        optimize_remat: bool = False,
    ) -> None:
        """fwd(*args) -> (out, residuals); bwd(*nondiff_args, residuals, ct) -> a tuple with
        one cotangent (or None for zeros) per differentiable argument. symbolic_zeros and
        optimize_remat are accepted for JAX compatibility and unused."""
        self.fwd, self.bwd = fwd, bwd

    def defjvp(self, jvp: Callable) -> Callable:
        self.jvp = jvp
        return jvp

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise AttributeError(
                f"No VJP defined for custom_vjp function {self.__name__} using defvjp."
            )
        args = _resolve_kwargs(self.fun, args, kwargs)
        nondiff, diff = _split_nondiff(args, self.nondiff_argnums)
        if any(type(x) is Tracer for x in tree.leaves(nondiff)):
            raise TracerLeakError(
                f"a traced value was passed to custom_vjp function {self.__name__} (at "
                f"{user_src()}) in a position marked by nondiff_argnums. Tracers cannot be "
                "passed as non-differentiable arguments to custom_vjp functions: use "
                "nondiff_argnums only for values that are not arrays (e.g. functions), and "
                "pass arrays as ordinary arguments (their cotangent may be None)."
            )
        n = len(args)

        def f(*d):
            return self.fun(*_merge(nondiff, d, self.nondiff_argnums, n))

        ir, closure, leaves, in_tree, out_tree = _trace_flat(f, diff)
        _no_closure(closure, "custom_vjp")
        res_tree = []

        def fwd(primals):
            p = tree.unflatten(in_tree, primals)
            pair = self.fwd(*_merge(nondiff, p, self.nondiff_argnums, n))
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(
                    f"Custom VJP fwd rule {getattr(self.fwd, '__name__', 'fwd')} for function "
                    f"{self.__name__} must produce a pair (list or tuple of length two) where "
                    "the first element represents the primal output and the second the "
                    f"residuals, but got {pair!r}."
                )
            out, res = pair
            if tree.structure(out) != out_tree:
                raise TypeError(
                    f"Custom VJP fwd rule for function {self.__name__} must produce a primal "
                    f"output with the structure of the function's output, {out_tree}, but got "
                    f"{tree.structure(out)}."
                )
            r_leaves, r_tree = tree.flatten(res)
            res_tree[:] = [r_tree]
            return [as_array(o) for o in tree.leaves(out)], [as_array(r) for r in r_leaves]

        def bwd(res, cts):
            r = tree.unflatten(res_tree[0], res)
            ct = tree.unflatten(out_tree, cts)
            cts_in = self.bwd(*nondiff, r, ct)
            if not isinstance(cts_in, (tuple, list)) or len(cts_in) != len(diff):
                raise TypeError(
                    "Custom VJP bwd rule must produce an output with the same container "
                    "(pytree) structure as the args tuple of the primal function, and in "
                    "particular must produce a tuple of length equal to the number of arguments "
                    "to the primal function, but got bwd output structure "
                    f"{tree.structure(cts_in)} for primal input structure {tree.structure(diff)}."
                )
            flat = []
            for i, (c, a) in enumerate(zip(cts_in, diff)):
                a_leaves = [as_array(x) for x in tree.leaves(a)]
                if c is None:
                    flat += [np.zeros(_aval(x).shape, _aval(x).dtype) for x in a_leaves]
                    continue
                c_leaves, c_tree = tree.flatten(c, is_leaf=lambda x: x is None)
                if c_tree != tree.structure(a):
                    raise TypeError(
                        f"Custom VJP bwd rule of {self.__name__} must produce, for argument "
                        f"{i}, a cotangent of structure {tree.structure(a)}, but got {c_tree}."
                    )
                for x, ct_x in zip(a_leaves, c_leaves):
                    if ct_x is None:
                        ct_x = np.zeros(_aval(x).shape, _aval(x).dtype)
                    ct_x = as_array(ct_x)
                    if _aval(ct_x).shape != _aval(x).shape:
                        raise ValueError(
                            "Custom VJP bwd rule must produce an output with the same "
                            "shape/dtypes as the args tuple of the primal function "
                            f"{self.__name__}: "
                            f"for argument {i} it produced {aval_str(ct_x)} where the input is "
                            f"{aval_str(x)}."
                        )
                    flat.append(ct_x)
            return flat

        jvp_fn = None
        if self.jvp is not None:

            def jvp_fn(primals, tangents):
                p = tree.unflatten(in_tree, primals)
                t = tree.unflatten(in_tree, tangents)
                out, tout = self.jvp(*nondiff, tuple(p), tuple(t))
                return [as_array(o) for o in tree.leaves(out)], [
                    as_array(x) for x in tree.leaves(tout)
                ]

        outs = custom_vjp_call_p.bind(*leaves, fun_ir=ir, fwd=fwd, bwd=bwd, jvp_fn=jvp_fn)
        return tree.unflatten(out_tree, list(outs))


def checkpoint(fun: Callable, *, static_argnums: Sequence[int] = (), policy=None) -> Callable:
    """`fun` whose intermediates are recomputed in the backward pass rather than stored:
    trades compute for memory (only the inputs are kept as residuals)."""
    static = tuple(static_argnums)

    @functools.wraps(fun)
    def wrapped(*args):
        dyn_idx = [i for i in range(len(args)) if i not in static]

        def f(*d):
            full = list(args)
            for i, x in zip(dyn_idx, d):
                full[i] = x
            return fun(*full)

        ir, closure, leaves, _, out_tree = _trace_flat(f, [args[i] for i in dyn_idx])
        outs = checkpoint_p.bind(*closure, *leaves, body=ir)
        return tree.unflatten(out_tree, list(outs))

    return wrapped


remat = checkpoint


def straight_through(fwd_fn: Callable) -> Callable:
    """x ↦ fwd_fn(x) in the forward pass, with the identity as its derivative (for rounding
    and quantisation): x + stop_gradient(fwd_fn(x) - x)."""
    from .ops.elementwise import stop_gradient

    @functools.wraps(fwd_fn)
    def st(x):
        return x + stop_gradient(fwd_fn(x) - x)

    return st
