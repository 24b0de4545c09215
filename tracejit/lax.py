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


def _is_weak(x) -> bool:
    """A bare Python number (JAX calls it weakly typed; bool never is)."""
    return isinstance(x, (int, float, complex)) and not isinstance(x, (bool, np.generic))


def _promote_weak(raw, leaves, out_avals):
    """Initial carries given as bare Python numbers take the type the body returns for
    them (as in JAX), so that `acc = 0` can accumulate floats; (leaves, changed)."""
    new, changed = list(leaves), False
    for k, (r, o) in enumerate(zip(raw, out_avals)):
        if _is_weak(r) and o.shape == () and o.dtype != _aval(leaves[k]).dtype:
            new[k] = np.asarray(r, np.result_type(o.dtype, r))
            changed = True
    return new, changed


def _check_callable(what, *fns):
    if not all(callable(f) for f in fns):
        raise TypeError(f"lax.{what} argument should be callable.")


_NO_OPERAND = object()  # cond(..., operand=x): JAX's older single-operand form


def _operands(operands, operand):
    if operand is _NO_OPERAND:
        return operands
    if operands:
        raise TypeError(
            "if 'operand' keyword is passed then no positional operands can be passed, got "
            f"operand={operand!r} and positional operands {operands}"
        )
    return (operand,)


def _check_same_tree(what, t1, t2):
    if t1 != t2:
        raise TypeError(f"{what}: the two structures differ: {t1} and {t2} (at {user_src()})")


# ---------------------------------------------------------------------------


def switch(index, branches: Sequence[Callable], *operands, operand=_NO_OPERAND):
    """branches[clamp(index)](*operands); every branch returns the same types."""
    operands = _operands(operands, operand)
    if not isinstance(branches, Sequence) or not all(callable(b) for b in branches):
        raise TypeError("lax.switch: branches argument should be a sequence of callables.")
    if not branches:
        raise ValueError("Empty branch sequence")
    idx = _aval(as_array(index))
    if idx.shape != ():
        raise TypeError(f"Branch index must be scalar, got {index} of shape {idx.shape}.")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"Index type must be an integer, got {index} as {idx.dtype}")
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
    index = convert_element_type(as_array(index), new_dtype=np.int32)
    outs = cond_p.bind(index, *closure, *leaves, branches=tuple(irs))
    return tree.unflatten(out_tree, list(outs))


def cond(pred, true_fun: Callable, false_fun: Callable, *operands, operand=_NO_OPERAND):
    """true_fun(*operands) if pred else false_fun(*operands), staged as one primitive."""
    operands = _operands(operands, operand)
    _check_callable("cond: true_fun and false_fun arguments should be", true_fun, false_fun)
    if pred is None:
        raise TypeError("cond predicate is None")
    if isinstance(pred, Sequence):
        raise TypeError(f"Pred must be a scalar, got {pred} of type {type(pred)}")
    if np.ndim(pred) != 0:
        raise TypeError(f"Pred must be a scalar, got {pred} of shape {np.shape(pred)}.")
    p = as_array(pred)
    kind = _aval(p).dtype.kind
    if kind not in "biuf":
        raise TypeError(f"Pred type must be either boolean or number, got {_aval(p).dtype}.")
    if kind != "b":
        from .ops.elementwise import ne

        p = ne(p, np.zeros((), _aval(p).dtype))
    return switch(convert_element_type(p, new_dtype=np.int32), (false_fun, true_fun), *operands)


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
    """Loop `carry, y = f(carry, x)` over the leading axis of xs; returns (carry, ys).
    (`unroll` is accepted for JAX's signature: the loop is a native loop either way.)"""
    if not callable(f):
        raise TypeError("lax.scan: f argument should be a callable.")
    if not isinstance(unroll, (bool, int, np.integer)) or unroll < 0:
        raise ValueError("`unroll` must be a `bool` or a non-negative `int`.")
    x_leaves, x_tree = tree.flatten(xs)
    x_leaves = [as_array(x) for x in x_leaves]
    flat = [x for x in x_leaves if not _aval(x).shape]
    if flat:
        raise ValueError(
            "scan got value with no leading axis to scan over: "
            f"{', '.join(str(x) for x in flat)} (at {user_src()})"
        )
    n = _scan_length([_aval(x).shape[0] for x in x_leaves], length)
    c_raw, c_tree = tree.flatten(init)
    c_leaves = [as_array(c) for c in c_raw]
    x_avals = [_aval(x).update(shape=_aval(x).shape[1:]) for x in x_leaves]

    def body(carry, x):
        new_carry, y = f(carry, x)
        return new_carry, y

    in_tree = tree.structure((init, xs))
    for _ in range(2):  # a second time if a Python-number carry took the body's type
        c_avals = [_aval(c) for c in c_leaves]
        ir, closure, out_tree = _trace_body(body, in_tree, c_avals + x_avals, "scan body")
        c_leaves, changed = _promote_weak(c_raw, c_leaves, ir.out_avals[: len(c_leaves)])
        if not changed:
            break
    new_c_tree, y_tree = out_tree.children()
    if new_c_tree != c_tree:
        raise TypeError(
            "scanned function carry input and carry output must have the same pytree "
            f"structure, but they differ: the body returns {new_c_tree} for the initial carry "
            f"{c_tree} (at {user_src()})"
        )
    nc = len(c_leaves)
    if list(ir.out_avals[:nc]) != c_avals:
        raise TypeError(
            "scanned function carry input and carry output must have equal types, but they "
            f"differ: the body returns {list(ir.out_avals[:nc])} for the initial carry "
            f"{c_avals}; the carry must keep its shape and dtype (at {user_src()})"
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
    if not (callable(cond_fun) and callable(body_fun)):
        raise TypeError("lax.while_loop: body_fun and cond_fun arguments should be callable.")
    raw, in_tree = tree.flatten(init_val)
    leaves = [as_array(x) for x in raw]
    for _ in range(2):  # a second time if a Python-number carry took the body's type
        avals = [_aval(x) for x in leaves]
        b_ir, b_cl, b_tree = _trace_body(
            lambda v: body_fun(v), tree.structure((init_val,)), avals, "while body"
        )
        leaves, changed = _promote_weak(raw, leaves, b_ir.out_avals)
        if not changed:
            break
    c_ir, c_cl, c_tree = _trace_body(
        lambda v: cond_fun(v), tree.structure((init_val,)), avals, "while cond"
    )
    if b_tree != in_tree or list(b_ir.out_avals) != avals:
        raise TypeError(
            "body_fun output and input must have identical types: body_fun returns "
            f"{b_tree} of types {list(b_ir.out_avals)}, but the initial value is {in_tree} of "
            f"types {avals} (at {user_src()})"
        )
    pav = c_ir.out_avals
    if len(pav) != 1 or pav[0].shape != () or pav[0].dtype != np.bool_:
        raise TypeError(
            f"cond_fun must return a boolean scalar, but got output type(s) {pav} "
            f"(at {user_src()}); compare, e.g. `x > 0`"
        )
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


def fori_loop(lower, upper, body_fun: Callable, init_val, *, unroll=None):
    """`val = body_fun(i, val)` for i in [lower, upper), i of the bounds' integer type.
    With static bounds it is a scan (so reverse mode works); with traced bounds, a
    while_loop. (`unroll` is accepted for JAX's signature: the loop is native either way.)"""
    if not callable(body_fun):
        raise TypeError("lax.fori_loop: body_fun argument should be callable.")
    dt = _bounds_dtype(lower, upper)
    lo, hi = _static_int(lower), _static_int(upper)
    if lo is not None and hi is not None:

        def step(carry, _):
            i, val = carry
            return (i + dt.type(1), body_fun(i, val)), None

        (_, val), _ = scan(
            step, (np.asarray(lo, dt), init_val), None, length=builtins.max(hi - lo, 0)
        )
        return val
    if unroll not in (None, 1, False):
        raise ValueError(
            "Can only use `unroll` in `fori_loop` if the loop bounds are statically known."
        )
    lower = convert_element_type(as_array(lower), new_dtype=dt)
    upper = convert_element_type(as_array(upper), new_dtype=dt)

    def cond_fun(c):
        return c[0] < upper

    def body(c):
        return (c[0] + dt.type(1), body_fun(c[0], c[1]))

    _, val = while_loop(cond_fun, body, (lower, init_val))
    return val


def _bounds_dtype(lower, upper) -> np.dtype:
    """The loop index type: the bounds' own (a Python number takes the other's; two Python
    ints, int64 as NumPy's default); bounds of two other types are an error, as in JAX."""
    typed = [_aval(as_array(b)).dtype for b in (lower, upper) if not _is_weak(b)]
    if len(typed) == 2 and typed[0] != typed[1]:
        raise TypeError(
            "lower and upper arguments to fori_loop must have equal types, "
            f"got {typed[0].name} and {typed[1].name}"
        )
    return typed[0] if typed else np.dtype(np.int64)


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


def map(f: Callable, xs, *, batch_size: int | None = None):
    """[f(x) for x in xs] along the leading axis, as a scan (sequential, low memory); with
    batch_size, a scan over batches of that many elements, each mapped by vmap (the
    elements left over after the last whole batch, by one more vmap)."""
    xs = tree.map(as_array, xs)
    leaves = tree.leaves(xs)
    n = _aval(leaves[0]).shape[0] if leaves else 0
    if not batch_size or not n:
        return scan(lambda c, x: (c, f(x)), (), xs)[1]
    from .batching import vmap

    b = int(batch_size)
    whole, rest = divmod(n, b)
    m = whole * b
    parts = []
    if whole:
        batches = tree.map(lambda x: x[:m].reshape((whole, b) + tuple(x.shape[1:])), xs)
        ys = scan(lambda c, xb: (c, vmap(f)(xb)), (), batches)[1]
        parts.append(tree.map(lambda y: y.reshape((m,) + tuple(y.shape[2:])), ys))
    if rest:
        parts.append(vmap(f)(tree.map(lambda x: x[m:], xs)))
    if len(parts) == 1:
        return parts[0]
    from . import numpy as tnp

    return tree.map(lambda a, b: tnp.concatenate([a, b]), *parts)


def _scan_length(lengths, length) -> int:
    """The trip count of a scan over xs with these leading sizes (and length=, if given)."""
    if length is not None:
        n = int(length)
        if any(k != n for k in lengths):
            raise ValueError(
                f"scan got `length` argument of {n} which disagrees with leading axis sizes "
                f"{lengths}. (at {user_src()})"
            )
        return n
    if not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    if len(set(lengths)) > 1:
        raise ValueError(
            "scan got values with different leading axis sizes: "
            f"{', '.join(str(k) for k in lengths)}. (at {user_src()})"
        )
    return lengths[0]


def stop_gradient(x):
    from .ops.elementwise import stop_gradient as sg

    return tree.map(lambda leaf: sg(as_array(leaf)), x)


# JAX's lax functional API (elementwise, shapes, slicing, reductions, sorting, dots,
# convolutions, windows, gather/scatter); its builtin-named functions (max, min, abs,
# round, pow, slice) are why this module calls builtins.max and builtins.round above
from ._lax_ops import *  # noqa: E402, F403
from ._lax_ops import __all__ as _lax_ops_all  # noqa: E402

__all__ += _lax_ops_all
