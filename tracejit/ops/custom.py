"""Primitives for user-defined derivative rules and rematerialisation.

- custom_jvp_call(*args; fun_ir, jvp_fn): fun_ir's value, jvp_fn's tangent.
- custom_vjp_call(*args; fun_ir, fwd, bwd, jvp_fn): fun_ir's value; under differentiation
  fwd runs in the primal program and a `custom_lin` equation stands for the linear map,
  whose transpose calls bwd.
- checkpoint(*args; body): body's value; its intermediates are recomputed in the
  backward pass instead of being stored (only its inputs are residuals).

The user's rules are Python callables on flat lists (tracejit/custom.py adapts pytrees).
"""

from __future__ import annotations

import numpy as np

from ..ir import IR, Eqn, ShapedArray
from ..trace import Primitive, TraceError, eval_ir, trace_to_ir
from .common import UndefinedPrimal, is_float, shape_of


class NoJVPRuleError(TraceError, TypeError):
    """Forward mode reached a custom_vjp function without a JVP rule (a TypeError, as JAX)."""


def _tf():
    from .. import transforms
    from ..transforms.partial_eval import partial_eval_ir

    return transforms, partial_eval_ir


def _zeros(aval: ShapedArray):
    return np.zeros(aval.shape, aval.dtype)


def _aval(x) -> ShapedArray:
    return x.aval if hasattr(x, "aval") else ShapedArray(np.shape(x), np.asarray(x).dtype)


def _call_shape(*avals, fun_ir, **_):
    if list(avals) != list(fun_ir.in_avals):
        raise TraceError(f"custom call: inputs {avals} differ from {fun_ir.in_avals}")
    return fun_ir.out_avals


# ---------------------------------------------------------------------------
# custom_jvp_call


def _custom_jvp_jvp(primals, tangents, *, fun_ir, jvp_fn):
    tangents = [_zeros(_aval(p)) if t is None else t for p, t in zip(primals, tangents)]
    outs, touts = jvp_fn(list(primals), tangents)
    return list(outs), [t if is_float(_aval(o).dtype) else None for o, t in zip(outs, touts)]


def _custom_jvp_vmap(args, dims, *, fun_ir, jvp_fn):
    from .common import moveaxis_to

    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    new = {}
    args = [moveaxis_to(a, d, 0) for a, d in zip(args, dims)]
    d0 = [None if d is None else 0 for d in dims]
    n = len(args)

    def batched_jvp(primals, tangents):
        # a tangent is batched exactly when its primal is (same shape); outputs at axis 0
        from ..batching import vmap

        def one(*a):
            outs, touts = jvp_fn(list(a[:n]), list(a[n:]))
            return list(outs), list(touts)

        tdims = [
            None if d is None or shape_of(t) != shape_of(p) else 0
            for p, t, d in zip(primals, tangents, d0)
        ]
        o, t = vmap(one, in_axes=tuple(d0) + tuple(tdims), axis_size=size)(*primals, *tangents)
        return o, t

    new["fun_ir"] = _vmap_fun(fun_ir, d0, size)
    new["jvp_fn"] = batched_jvp
    out = custom_jvp_call_p.bind(*args, **new)
    return list(out), [0] * len(out)


def _vmap_fun(fun_ir, dims, size):
    from .control import vmap_ir_at0

    return vmap_ir_at0(fun_ir, dims, size, [True] * len(fun_ir.outs))


custom_jvp_call_p = Primitive(
    "custom_jvp_call",
    impl=lambda *args, fun_ir, jvp_fn: tuple(eval_ir(fun_ir, list(args))),
    shape=_call_shape,
    jvp=_custom_jvp_jvp,
    vmap=_custom_jvp_vmap,
    multiple_results=True,
    doc="A function with a user-defined JVP rule.",
)


# ---------------------------------------------------------------------------
# custom_vjp_call and custom_lin


def _custom_vjp_jvp(primals, tangents, *, fun_ir, fwd, bwd, jvp_fn):
    outs, res = fwd(list(primals))
    lin_in = [
        _zeros(_aval(p)) if t is None else t
        for p, t in zip(primals, tangents)
        if is_float(_aval(p).dtype)
    ]
    float_in = tuple(is_float(_aval(p).dtype) for p in primals)
    touts = custom_lin_p.bind(
        *primals,
        *res,
        *lin_in,
        bwd=bwd,
        jvp_fn=jvp_fn,
        num_primals=len(primals),
        num_res=len(res),
        float_in=float_in,
        out_avals=tuple(_aval(o) for o in outs),
    )
    touts = iter(touts)
    return list(outs), [next(touts) if is_float(_aval(o).dtype) else None for o in outs]


def _custom_vjp_vmap(args, dims, *, fun_ir, fwd, bwd, jvp_fn):
    from .common import moveaxis_to

    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    args = [moveaxis_to(a, d, 0) for a, d in zip(args, dims)]
    d0 = [None if d is None else 0 for d in dims]
    from ..batching import vmap

    def bfwd(primals):
        outs, res = vmap(
            lambda *a: tuple(fwd(list(a))), in_axes=tuple(d0), out_axes=0, axis_size=size
        )(*primals)
        return list(outs), list(res)

    def bbwd(res, cts):
        nr = len(res)

        def one(*a):
            return list(bwd(list(a[:nr]), list(a[nr:])))

        return vmap(one, in_axes=0, axis_size=size)(*res, *cts)

    bj = None
    if jvp_fn is not None:

        def bj(primals, tangents):
            n = len(primals)

            def one(*a):
                o, t = jvp_fn(list(a[:n]), list(a[n:]))
                return list(o), list(t)

            tdims = tuple(d if d is not None else None for d in d0)
            return vmap(one, in_axes=tuple(d0) + tdims, axis_size=size)(*primals, *tangents)

    out = custom_vjp_call_p.bind(
        *args, fun_ir=_vmap_fun(fun_ir, d0, size), fwd=bfwd, bwd=bbwd, jvp_fn=bj
    )
    return list(out), [0] * len(out)


custom_vjp_call_p = Primitive(
    "custom_vjp_call",
    impl=lambda *args, fun_ir, fwd, bwd, jvp_fn: tuple(eval_ir(fun_ir, list(args))),
    shape=lambda *avals, fun_ir, **_: _call_shape(*avals, fun_ir=fun_ir),
    jvp=_custom_vjp_jvp,
    vmap=_custom_vjp_vmap,
    multiple_results=True,
    doc="A function with a user-defined VJP rule (fwd, bwd).",
)


def _lin_split(args, num_primals, num_res):
    return (
        args[:num_primals],
        args[num_primals : num_primals + num_res],
        args[num_primals + num_res :],
    )


def _custom_lin_impl(*args, bwd, jvp_fn, num_primals, num_res, float_in, out_avals):
    primals, _, tans = _lin_split(args, num_primals, num_res)
    if jvp_fn is None:
        raise NoJVPRuleError(
            "can't apply forward-mode autodiff (jvp) to a custom_vjp function. "
            "Forward-mode differentiation (jvp, jacfwd, linearize) of a custom_vjp function "
            "needs a JVP rule: add one with f.defjvp(...), or use reverse mode (grad, vjp)"
        )
    it = iter(tans)
    full = [next(it) if f else _zeros(_aval(p)) for p, f in zip(primals, float_in)]
    _, touts = jvp_fn(list(primals), full)
    return tuple(np.asarray(t) for t, a in zip(touts, out_avals) if is_float(a.dtype))


def _custom_lin_transpose(cts, *args, bwd, jvp_fn, num_primals, num_res, float_in, out_avals):
    primals, res, tans = _lin_split(args, num_primals, num_res)
    float_out = [a for a in out_avals if is_float(a.dtype)]
    cts = [_zeros(a) if c is None else c for c, a in zip(cts, float_out)]
    it = iter(cts)
    full_cts = [next(it) if is_float(a.dtype) else _zeros(a) for a in out_avals]
    cts_in = list(bwd(list(res), full_cts))
    if len(cts_in) != num_primals:
        raise TraceError(
            f"custom_vjp: bwd returned {len(cts_in)} cotangents for {num_primals} inputs"
        )
    lin = [c for c, f in zip(cts_in, float_in) if f]
    return [None] * (num_primals + num_res) + [
        c if isinstance(t, UndefinedPrimal) else None for c, t in zip(lin, tans)
    ]


def _custom_lin_shape(*avals, out_avals, **_):
    return tuple(a for a in out_avals if is_float(a.dtype))


def _custom_lin_vmap(args, dims, *, bwd, jvp_fn, num_primals, num_res, float_in, out_avals):
    """A batch of linear maps: the user's rules, each vmapped over the batched inputs."""
    from ..batching import vmap
    from .common import moveaxis_to

    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    args = [moveaxis_to(a, d, 0) for a, d in zip(args, dims)]
    d0 = [None if d is None else 0 for d in dims]
    pd, rd, _ = _lin_split(d0, num_primals, num_res)
    # the tangents of a batch of linear maps are batched even when an input is not
    args = args[: num_primals + num_res] + [
        a if d is not None else _broadcast0(a, size)
        for a, d in zip(args[num_primals + num_res :], d0[num_primals + num_res :])
    ]

    bjvp = None
    if jvp_fn is not None:

        def bjvp(primals, tangents):
            n = len(primals)

            def one(*a):
                o, t = jvp_fn(list(a[:n]), list(a[n:]))
                return list(o), list(t)

            # a tangent is batched unless it is an unbatched primal's zero
            tdims = tuple(
                d if shape_of(t) == shape_of(p) else 0 for p, t, d in zip(primals, tangents, pd)
            )
            return vmap(one, in_axes=tuple(pd) + tdims, axis_size=size)(*primals, *tangents)

    def bbwd(res, cts):
        nr = len(res)

        def one(*a):
            return list(bwd(list(a[:nr]), list(a[nr:])))

        return vmap(one, in_axes=tuple(rd) + (0,) * len(cts), axis_size=size)(*res, *cts)

    b_out = tuple(a.update(shape=(size,) + a.shape) for a in out_avals)
    out = custom_lin_p.bind(
        *args,
        bwd=bbwd,
        jvp_fn=bjvp,
        num_primals=num_primals,
        num_res=num_res,
        float_in=float_in,
        out_avals=b_out,
    )
    return list(out), [0] * len(out)


def _broadcast0(x, size):
    from .shape import broadcast_in_dim

    s = shape_of(x)
    return broadcast_in_dim(x, shape=(size,) + s, broadcast_dimensions=tuple(range(1, len(s) + 1)))


custom_lin_p = Primitive(
    "custom_lin",
    impl=_custom_lin_impl,
    shape=_custom_lin_shape,
    transpose=_custom_lin_transpose,
    vmap=_custom_lin_vmap,
    multiple_results=True,
    doc="The linear map of a custom_vjp function; its transpose is the user's bwd.",
)


# ---------------------------------------------------------------------------
# checkpoint (rematerialisation)


def _checkpoint_jvp(primals, tangents, *, body):
    transforms, _ = _tf()
    nz = [t is not None for t in tangents]
    jb, out_nz = transforms.jvp_ir(body, nz)
    res = checkpoint_p.bind(*primals, *[t for t in tangents if t is not None], body=jb)
    n = len(body.outs)
    it = iter(res[n:])
    return list(res[:n]), [next(it) if z else None for z in out_nz]


def _checkpoint_partial_eval(eqn: Eqn, mask):
    """Known side: only the primal outputs. Unknown side: recompute the residuals from
    the checkpoint's own inputs, then run the linear part."""
    _, partial_eval_ir = _tf()
    body = eqn.params["body"]
    known_b, unk_b, out_unk, n_res = partial_eval_ir(body, list(mask))
    n_known_out = len(known_b.outs) - n_res
    primal_only = IR(
        known_b.invars, known_b.constvars, known_b.consts, known_b.eqns, known_b.outs[:n_known_out]
    )
    from ..ir import dce

    k_avals = list(known_b.in_avals)
    u_avals = [a.aval for a, m in zip(eqn.inputs, mask) if m]

    def recompute(*args):
        kins, uins = args[: len(k_avals)], args[len(k_avals) :]
        res = eval_ir(known_b, list(kins))[n_known_out:]
        return eval_ir(unk_b, list(res) + list(uins))

    rebody = trace_to_ir(recompute, k_avals + u_avals)[0]
    known = Eqn(
        checkpoint_p,
        tuple(a for a, m in zip(eqn.inputs, mask) if not m),
        tuple(v for v, u in zip(eqn.outs, out_unk) if not u),
        {"body": dce(primal_only)},
        eqn.src,
    )
    unknown = Eqn(
        checkpoint_p,
        tuple(a for a, m in zip(eqn.inputs, mask) if not m)
        + tuple(a for a, m in zip(eqn.inputs, mask) if m),
        tuple(v for v, u in zip(eqn.outs, out_unk) if u),
        {"body": rebody},
        eqn.src,
    )
    return [known], [unknown]


def _checkpoint_transpose(cts, *args, body):
    transforms, _ = _tf()
    lin = [isinstance(a, UndefinedPrimal) for a in args]
    res = [a for a in args if not isinstance(a, UndefinedPrimal)]
    cts = [_zeros(a) if c is None else c for c, a in zip(cts, body.out_avals)]
    t_ir = transforms.transpose_ir(body, lin)
    it = iter(eval_ir(t_ir, res + cts))
    return [next(it) if m else None for m in lin]


def _checkpoint_vmap(args, dims, *, body):
    from .common import moveaxis_to

    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    args = [moveaxis_to(a, d, 0) for a, d in zip(args, dims)]
    d0 = [None if d is None else 0 for d in dims]
    out = checkpoint_p.bind(*args, body=_vmap_fun(body, d0, size))
    return list(out), [0] * len(out)


checkpoint_p = Primitive(
    "checkpoint",
    impl=lambda *args, body: tuple(eval_ir(body, list(args))),
    shape=lambda *avals, body: body.out_avals,
    jvp=_checkpoint_jvp,
    transpose=_checkpoint_transpose,
    vmap=_checkpoint_vmap,
    partial_eval=_checkpoint_partial_eval,
    multiple_results=True,
    doc="checkpoint(*args; body): recompute body's intermediates in the backward pass.",
)

__all__ = ["custom_jvp_call_p", "custom_vjp_call_p", "custom_lin_p", "checkpoint_p"]
