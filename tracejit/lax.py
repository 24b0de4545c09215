"""Structured control flow with JAX's signatures: cond, switch, while_loop, fori_loop,
scan, map. Bodies are traced once to IR and held by a primitive, so loops stay loops
under every transform (and become native loops under jit)."""

from __future__ import annotations

import builtins
from typing import Callable, Sequence

import numpy as np

from . import tree
from .api import _Out, as_array, flatten_fun
from .ir import ShapedArray
from .ops.common import UndefinedPrimal  # noqa: F401  (re-exported for custom rules)
from .ops.control import cond_p, scan_p, while_p
from .ops.elementwise import convert_element_type
from .trace import Tracer, eval_ir, trace_to_ir, user_src

__all__ = [
    "cond",
    "switch",
    "while_loop",
    "fori_loop",
    "scan",
    "checkpointed_scan",
    "map",
    "stop_gradient",
]


def _aval(x) -> ShapedArray:
    if hasattr(x, "aval"):
        return x.aval
    x = np.asarray(x)
    return ShapedArray(x.shape, x.dtype)


def _trace_body(fn: Callable, in_tree, avals, what: str):
    """Trace a body over flat avals; returns (ir, closure values, out treedef)."""
    out = _Out()
    ir, closure = trace_to_ir(flatten_fun(fn, in_tree, out), list(avals))
    return ir, closure, out.treedef


def _close_over(irs_closures):
    """Give several traced bodies one shared list of closure inputs (in front)."""
    allc: list = []
    ids: dict[int, int] = {}
    for _, cl in irs_closures:
        for c in cl:
            if id(c) not in ids:
                ids[id(c)] = len(allc)
                allc.append(c)
    out = []
    for ir, cl in irs_closures:
        n_extra = len(ir.invars) - len(cl)
        mine = [ids[id(c)] for c in cl]

        def fn(*args, ir=ir, mine=mine, n_extra=n_extra):
            cvals, rest = args[: len(allc)], args[len(allc) :]
            return eval_ir(ir, [cvals[i] for i in mine] + list(rest))

        avals = [_aval(c) for c in allc] + list(ir.in_avals[len(cl) :])
        out.append(trace_to_ir(fn, avals)[0])
    return out, allc


def _check_same_tree(what, t1, t2):
    if t1 != t2:
        raise TypeError(f"{what}: the two structures differ: {t1} and {t2} (at {user_src()})")


# ---------------------------------------------------------------------------


def switch(index, branches: Sequence[Callable], *operands):
    """branches[clamp(index)](*operands); every branch returns the same types."""
    if not branches:
        raise ValueError("switch: needs at least one branch")
    leaves, in_tree = tree.flatten(tuple(operands))
    leaves = [as_array(x) for x in leaves]
    avals = [_aval(x) for x in leaves]
    traced = [_trace_body(b, in_tree, avals, "switch branch") for b in branches]
    out_tree = traced[0][2]
    for _, _, t in traced[1:]:
        _check_same_tree("switch/cond branches return different structures", out_tree, t)
    for ir, _, _ in traced[1:]:
        if ir.out_avals != traced[0][0].out_avals:
            raise TypeError(
                f"cond/switch branches return different types: {traced[0][0].out_avals} and "
                f"{ir.out_avals} (at {user_src()}); make both return the same shapes and dtypes"
            )
    irs, closure = _close_over([(ir, cl) for ir, cl, _ in traced])
    index = as_array(index)
    if np.issubdtype(_aval(index).dtype, np.bool_):
        index = convert_element_type(index, new_dtype=np.int32)
    elif not np.issubdtype(_aval(index).dtype, np.integer):
        raise TypeError(f"switch: the index must be an integer scalar, got {_aval(index)}")
    else:
        index = convert_element_type(index, new_dtype=np.int32)
    outs = cond_p.bind(index, *closure, *leaves, branches=tuple(irs))
    return tree.unflatten(out_tree, list(outs))


def cond(pred, true_fun: Callable, false_fun: Callable, *operands):
    """true_fun(*operands) if pred else false_fun(*operands), staged as one primitive."""
    p = as_array(pred)
    if _aval(p).shape != ():
        raise TypeError(f"cond: pred must be a scalar, got shape {_aval(p).shape}")
    if not np.issubdtype(_aval(p).dtype, np.bool_):
        from .ops.elementwise import ne

        p = ne(p, np.zeros((), _aval(p).dtype))
    return switch(p, (false_fun, true_fun), *operands)


def _static_int(x):
    if isinstance(x, (int, np.integer)):
        return int(x)
    if type(x) is Tracer:
        return None
    arr = np.asarray(x)
    return int(arr) if arr.shape == () else None


def scan(
    f: Callable,
    init,
    xs=None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int = 1,
):
    """Loop `carry, y = f(carry, x)` over the leading axis of xs; returns (carry, ys)."""
    x_leaves, x_tree = tree.flatten(xs)
    x_leaves = [as_array(x) for x in x_leaves]
    lengths = {_aval(x).shape[0] for x in x_leaves if _aval(x).shape}
    if any(_aval(x).shape == () for x in x_leaves):
        raise ValueError("scan: every leaf of xs needs a leading axis to scan over")
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1:
        raise ValueError(
            f"scan: inconsistent lengths {sorted(lengths)} for xs and length= (at {user_src()})"
            if lengths
            else "scan: pass xs with a leading axis, or length="
        )
    n = lengths.pop()
    c_leaves, c_tree = tree.flatten(init)
    c_leaves = [as_array(c) for c in c_leaves]
    c_avals = [_aval(c) for c in c_leaves]
    x_avals = [_aval(x).update(shape=_aval(x).shape[1:]) for x in x_leaves]

    def body(carry, x):
        new_carry, y = f(carry, x)
        return new_carry, y

    in_tree = tree.structure((init, xs))
    ir, closure, out_tree = _trace_body(body, in_tree, c_avals + x_avals, "scan body")
    new_c_tree, y_tree = out_tree.children()
    if new_c_tree != c_tree:
        raise TypeError(
            f"scan: the body returns a carry with structure {new_c_tree}, but the initial carry "
            f"has {c_tree} (at {user_src()})"
        )
    nc = len(c_leaves)
    if list(ir.out_avals[:nc]) != c_avals:
        raise TypeError(
            f"scan: the body returns a carry of type {list(ir.out_avals[:nc])} but the initial "
            f"carry is {c_avals}; the carry must keep its shape and dtype (at {user_src()})"
        )
    outs = scan_p.bind(
        *closure,
        *c_leaves,
        *x_leaves,
        body=ir,
        num_consts=len(closure),
        num_carry=nc,
        length=n,
        reverse=bool(reverse),
    )
    return tree.unflatten(c_tree, list(outs[:nc])), tree.unflatten(y_tree, list(outs[nc:]))


def while_loop(cond_fun: Callable, body_fun: Callable, init_val):
    """Repeat `val = body_fun(val)` while `cond_fun(val)`; one primitive, any trip count."""
    leaves, in_tree = tree.flatten(init_val)
    leaves = [as_array(x) for x in leaves]
    avals = [_aval(x) for x in leaves]
    c_ir, c_cl, c_tree = _trace_body(
        lambda v: cond_fun(v), tree.structure((init_val,)), avals, "while cond"
    )
    b_ir, b_cl, b_tree = _trace_body(
        lambda v: body_fun(v), tree.structure((init_val,)), avals, "while body"
    )
    if b_tree != in_tree or list(b_ir.out_avals) != avals:
        raise TypeError(
            f"while_loop: body_fun returns {b_tree} of types {list(b_ir.out_avals)}, but the "
            f"initial value is {in_tree} of types {avals}; they must match (at {user_src()})"
        )
    pav = c_ir.out_avals
    if len(pav) != 1 or pav[0].shape != ():
        raise TypeError(f"while_loop: cond_fun must return a boolean scalar, got {pav}")
    if pav[0].dtype != np.bool_:
        from .ops.elementwise import ne

        def as_bool(*a, ir=c_ir):
            (p,) = eval_ir(ir, list(a))
            return [ne(p, np.zeros((), pav[0].dtype))]

        c_ir = trace_to_ir(as_bool, list(c_ir.in_avals))[0]
    outs = while_p.bind(
        *c_cl,
        *b_cl,
        *leaves,
        cond_ir=c_ir,
        body_ir=b_ir,
        cond_nconsts=len(c_cl),
        body_nconsts=len(b_cl),
    )
    return tree.unflatten(in_tree, list(outs))


def fori_loop(lower, upper, body_fun: Callable, init_val):
    """`val = body_fun(i, val)` for i in [lower, upper). With static bounds it is a scan
    (so reverse mode works); with traced bounds, a while_loop."""
    lo, hi = _static_int(lower), _static_int(upper)
    if lo is not None and hi is not None:

        def step(carry, _):
            i, val = carry
            return (i + 1, body_fun(i, val)), None

        (_, val), _ = scan(
            step, (np.asarray(lo, np.int64), init_val), None, length=builtins.max(hi - lo, 0)
        )
        return val
    lower, upper = as_array(lower), as_array(upper)

    def cond_fun(c):
        return c[0] < upper

    def body(c):
        return (c[0] + 1, body_fun(c[0], c[1]))

    dt = np.result_type(_aval(lower).dtype, _aval(upper).dtype)
    _, val = while_loop(cond_fun, body, (convert_element_type(lower, new_dtype=dt), init_val))
    return val


def checkpointed_scan(
    f: Callable, init, xs=None, length: int | None = None, segment_length: int | None = None
):
    """`scan(f, init, xs)` whose reverse mode stores about 2·√T carries instead of T steps'
    residuals: the loop runs as √T segments, each under `checkpoint`, so the backward pass
    recomputes one segment at a time from its starting carry."""
    from .custom import checkpoint

    x_leaves = tree.leaves(xs)
    n = int(length) if length is not None else int(_aval(as_array(x_leaves[0])).shape[0])
    seg = segment_length or builtins.max(1, int(builtins.round(np.sqrt(n))))
    n_seg, rest = divmod(n, seg)

    def segment(carry, xseg):
        return scan(f, carry, xseg, length=seg)

    def reshape(x, k, m):
        return x.reshape((k, m) + tuple(x.shape[1:]))

    head = tree.map(lambda x: reshape(as_array(x)[: n_seg * seg], n_seg, seg), xs)
    carry, ys = scan(lambda c, xseg: checkpoint(segment)(c, xseg), init, head, length=n_seg)
    ys = tree.map(lambda y: y.reshape((n_seg * seg,) + tuple(y.shape[2:])), ys)
    if rest:
        tail = tree.map(lambda x: as_array(x)[n_seg * seg :], xs)
        carry, ys_tail = checkpoint(lambda c, xt: scan(f, c, xt, length=rest))(carry, tail)
        from . import numpy as tnp

        ys = tree.map(lambda a, b: tnp.concatenate([a, b]), ys, ys_tail)
    return carry, ys


def map(f: Callable, xs):
    """[f(x) for x in xs] along the leading axis, as a scan (sequential, low memory)."""
    _, ys = scan(lambda c, x: (c, f(x)), (), xs)
    return ys


def stop_gradient(x):
    from .ops.elementwise import stop_gradient as sg

    return tree.map(lambda leaf: sg(as_array(leaf)), x)


# JAX's lax functional API (elementwise, shapes, slicing, reductions, sorting, dots,
# convolutions, windows, gather/scatter); its builtin-named functions (max, min, abs,
# round, pow, slice) are why this module calls builtins.max and builtins.round above
from ._lax_ops import *  # noqa: E402, F403
from ._lax_ops import __all__ as _lax_ops_all  # noqa: E402

__all__ += _lax_ops_all
