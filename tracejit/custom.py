"""User-defined derivative rules (custom_jvp, custom_vjp), checkpointing and a
straight-through estimator, with JAX's names and calling conventions."""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from . import tree
from .api import _Out, as_array, flatten_fun
from .ir import ShapedArray
from .ops.custom import checkpoint_p, custom_jvp_call_p, custom_vjp_call_p
from .trace import TraceError, trace_to_ir, user_src

__all__ = ["custom_jvp", "custom_vjp", "checkpoint", "remat", "straight_through"]


def _aval(x) -> ShapedArray:
    return x.aval if hasattr(x, "aval") else ShapedArray(np.shape(x), np.asarray(x).dtype)


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
    """Trace f over the flattened diff args; returns (ir, closure, leaves, in_tree, out_tree)."""
    leaves, in_tree = tree.flatten(tuple(diff_args))
    leaves = [as_array(x) for x in leaves]
    out = _Out()
    ir, closure = trace_to_ir(flatten_fun(f, in_tree, out), [_aval(x) for x in leaves])
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

    def defjvp(self, jvp: Callable) -> Callable:
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

    def __call__(self, *args):
        if self.jvp is None:
            raise TraceError(f"custom_jvp function {self.__name__} has no rule; call defjvp")
        nondiff, diff = _split_nondiff(args, self.nondiff_argnums)
        n = len(args)

        def f(*d):
            return self.fun(*_merge(nondiff, d, self.nondiff_argnums, n))

        ir, closure, leaves, in_tree, out_tree = _trace_flat(f, diff)
        _no_closure(closure, "custom_jvp")

        def jvp_fn(primals, tangents):
            p = tree.unflatten(in_tree, primals)
            t = tree.unflatten(in_tree, tangents)
            out, tout = self.jvp(*nondiff, tuple(p), tuple(t))
            o_leaves, o_tree = tree.flatten(out)
            t_leaves = tree.leaves(tout)
            if o_tree != out_tree or len(t_leaves) != len(o_leaves):
                raise TraceError(
                    f"custom_jvp rule of {self.__name__} returned {o_tree}, expected {out_tree}"
                )
            return [as_array(o) for o in o_leaves], [as_array(t) for t in t_leaves]

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

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        self.fwd, self.bwd = fwd, bwd

    def defjvp(self, jvp: Callable) -> Callable:
        self.jvp = jvp
        return jvp

    def __call__(self, *args):
        if self.fwd is None:
            raise TraceError(f"custom_vjp function {self.__name__} has no rule; call defvjp")
        nondiff, diff = _split_nondiff(args, self.nondiff_argnums)
        n = len(args)

        def f(*d):
            return self.fun(*_merge(nondiff, d, self.nondiff_argnums, n))

        ir, closure, leaves, in_tree, out_tree = _trace_flat(f, diff)
        _no_closure(closure, "custom_vjp")
        res_tree = []

        def fwd(primals):
            p = tree.unflatten(in_tree, primals)
            out, res = self.fwd(*_merge(nondiff, p, self.nondiff_argnums, n))
            r_leaves, r_tree = tree.flatten(res)
            res_tree[:] = [r_tree]
            return [as_array(o) for o in tree.leaves(out)], [as_array(r) for r in r_leaves]

        def bwd(res, cts):
            r = tree.unflatten(res_tree[0], res)
            ct = tree.unflatten(out_tree, cts)
            cts_in = self.bwd(*nondiff, r, ct)
            if not isinstance(cts_in, tuple) or len(cts_in) != len(diff):
                raise TraceError(
                    f"custom_vjp bwd of {self.__name__} must return a tuple with one cotangent "
                    f"per differentiable argument ({len(diff)}), got {type(cts_in).__name__}"
                )
            flat = []
            for c, a in zip(cts_in, diff):
                a_leaves = tree.leaves(a)
                if c is None:
                    flat += [np.zeros(_aval(x).shape, _aval(x).dtype) for x in a_leaves]
                else:
                    flat += [as_array(x) for x in tree.leaves(c)]
            return flat

        jvp_fn = None
        if self.jvp is not None:
            def jvp_fn(primals, tangents):
                p = tree.unflatten(in_tree, primals)
                t = tree.unflatten(in_tree, tangents)
                out, tout = self.jvp(*nondiff, tuple(p), tuple(t))
                return [as_array(o) for o in tree.leaves(out)], [
                    as_array(x) for x in tree.leaves(tout)]

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
