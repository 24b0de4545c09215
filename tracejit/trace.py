"""Tracing: primitives, tracers, binding, and the IR interpreter.

A `Primitive` is a record holding all of an operation's rules. `bind(prim, *args)`
either evaluates the primitive (no tracer among the inputs: plain NumPy) or appends an
equation to the innermost trace its tracer inputs belong to. `trace_to_ir` runs a
Python function on fresh tracers and returns the IR it recorded. Tracers traced from
concrete inputs also carry their concrete values, so Python control flow on values
works under grad (as in autograd); tracers inside jit or vmap carry none.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

import numpy as np

from .ir import IR, Eqn, Lit, ShapedArray, Var, aval_of, dce, last_uses

__all__ = [
    "Primitive",
    "PRIMITIVES",
    "Tracer",
    "bind",
    "trace_to_ir",
    "eval_ir",
    "ConcretizationError",
    "TracerArrayConversionError",
    "TracerBoolConversionError",
    "TracerIntegerConversionError",
    "TracerLeakError",
    "TraceError",
]


# ---------------------------------------------------------------------------
# errors and the user's source line


class TraceError(Exception):
    """A user-facing error raised while tracing; names the user's line."""


# The errors below are also TypeErrors, as JAX's are (tracejit.errors gives them JAX's
# names), so `except TypeError` and tests ported from JAX catch them.


class ConcretizationError(TraceError, TypeError):
    """A traced value was needed as a concrete Python value (JAX: ConcretizationTypeError)."""


class TracerBoolConversionError(ConcretizationError):
    """bool() of a traced value: Python `if`/`while` on it under jit or vmap."""


class TracerIntegerConversionError(ConcretizationError):
    """int() or an index from a traced value under jit or vmap."""


class TracerArrayConversionError(TraceError, TypeError):
    """A traced value was passed to NumPy (np.asarray and friends)."""


class TracerLeakError(TraceError, TypeError):
    """A traced value was used after its transform ended (JAX: UnexpectedTracerError)."""


_PKG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SRC: list = [None]  # set by interpreters to propagate the original user line


def user_src() -> str | None:
    """`file:line` of the innermost stack frame outside the tracejit package."""
    if _SRC[0] is not None:
        return _SRC[0]
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_PKG_DIR) and not fn.startswith("<frozen"):
            return f"{os.path.basename(fn)}:{f.f_lineno}"
        f = f.f_back
    return None


# ---------------------------------------------------------------------------
# primitives

PRIMITIVES: dict[str, Primitive] = {}


class Primitive:
    """One operation and all its rules (see STYLE.md, "One primitive, one block").

    impl(*arrays, **params) -> array (tuple if multiple_results): NumPy semantics.
    shape(*avals, **params) -> aval (tuple if multiple_results).
    jvp: a tuple with one rule per input, `rule(t, out, *primals, **params)` giving that
      input's tangent contribution (None: the output does not depend on it smoothly);
      or a callable `jvp(primals, tangents, **params) -> (outs, tangents_out)` where a
      tangent is None for a symbolic zero.
    transpose(ct, *inputs, **params) -> cotangent per input (None for none); linear
      inputs arrive as `UndefinedPrimal(aval)`. Only linear primitives have one.
    vmap(args, bdims, **params) -> (out, out_bdim); bdim None means unbatched.
    lower: the lowering rule (see tracejit/lowering).
    partial_eval(eqn, unknown_mask) -> (known eqns, unknown eqns): for primitives holding
      sub-programs, which split themselves between the primal and the linear IR.
    dce(eqn, used) -> eqn: for primitives holding sub-programs, the equation computing
      only the outputs marked in `used` (a subset of eqn.outs), reading only the inputs
      that those need (see ir.dce).
    """

    __slots__ = (
        "name",
        "impl",
        "shape",
        "jvp",
        "transpose",
        "vmap",
        "lower",
        "partial_eval",
        "dce",
        "multiple_results",
        "doc",
    )

    def __init__(
        self,
        name: str,
        *,
        impl: Callable,
        shape: Callable,
        jvp=None,
        transpose=None,
        vmap=None,
        lower=None,
        partial_eval=None,
        dce=None,
        multiple_results: bool = False,
        doc: str | None = None,
    ):
        self.name = name
        self.impl = impl
        self.shape = shape
        self.jvp = jvp
        self.transpose = transpose
        self.vmap = vmap
        self.lower = lower
        self.partial_eval = partial_eval
        self.dce = dce
        self.multiple_results = multiple_results
        self.doc = doc
        if name in PRIMITIVES:
            raise ValueError(f"primitive {name!r} registered twice")
        PRIMITIVES[name] = self

    def bind(self, *args, **params):
        return bind(self, *args, **params)

    def shape_rule(self, avals, params) -> list[ShapedArray]:
        out = self.shape(*avals, **params)
        return list(out) if self.multiple_results else [out]

    def __repr__(self) -> str:
        return f"Primitive({self.name})"


# ---------------------------------------------------------------------------
# traces and tracers


class Trace:
    """One recording: the equations appended so far and what was captured."""

    __slots__ = ("level", "eqns", "consts", "closure", "alive", "reason")
    _depth = 0

    def __init__(self, reason: str | None):
        Trace._depth += 1
        self.level = Trace._depth
        self.eqns: list[Eqn] = []
        self.consts: dict[int, tuple[Var, Any]] = {}  # id(array) -> (var, array)
        self.closure: dict[int, tuple[Var, Tracer]] = {}  # id(outer tracer) -> (var, it)
        self.alive = True
        self.reason = reason  # why tracers here may have no concrete value

    def capture(self, x) -> Any:
        """The atom standing for a non-local input: an outer tracer or an array."""
        if isinstance(x, Tracer):
            hit = self.closure.get(id(x))
            if hit is None:
                hit = self.closure[id(x)] = (Var(x.aval), x)
            return hit[0]
        x = np.asarray(x)
        if x.ndim == 0:
            return Lit(x)
        hit = self.consts.get(id(x))
        if hit is None:
            hit = self.consts[id(x)] = (Var(aval_of(x)), x)
        return hit[0]


class Tracer:
    """A stand-in for an array during tracing. Operators are attached by tracejit.numpy."""

    # `_trace`/`_var`, not `trace`/`var`: those are NumPy array methods (x.trace(), x.var())
    __slots__ = ("_trace", "_var", "aval", "val")
    __array_priority__ = 1000

    def __init__(self, trace: Trace, var: Var, val=None):
        self._trace = trace
        self._var = var
        self.aval = var.aval
        self.val = val

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of a 0-d array")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.aval.shape[0]))

    def concrete(self, what: str, error: type = ConcretizationError) -> np.ndarray:
        """The concrete value, or `error` (a ConcretizationError) saying why there is none."""
        if not self._trace.alive and self.val is None:
            raise TracerLeakError(_leak_msg(self, what))
        if self.val is None:
            reason = self._trace.reason or "inside a trace without concrete values"
            raise error(
                f"cannot use a traced value in {what} {reason} (at {user_src()}). "
                "Use tracejit.numpy.where for values, tracejit.lax.cond / "
                "tracejit.lax.while_loop / tracejit.lax.fori_loop for control flow, "
                "or mark the argument static with static_argnums."
            )
        return self.val

    def __bool__(self):
        return bool(self.concrete("'if'/'while'/bool()", TracerBoolConversionError))

    def __float__(self):
        return float(self.concrete("float()"))

    def __int__(self):
        return int(self.concrete("int()", TracerIntegerConversionError))

    def __index__(self):
        return int(self.concrete("an index or int()", TracerIntegerConversionError))

    def __complex__(self):
        return complex(self.concrete("complex()"))

    def item(self):
        return self.concrete("item()").item()

    def tolist(self):
        return self.concrete("tolist()").tolist()

    def __array__(self, dtype=None, copy=None):
        raise TracerArrayConversionError(
            f"a traced value was passed to NumPy (at {user_src()}); use the tracejit.numpy "
            "function of the same name (import tracejit.numpy as tnp) so it can be traced"
        )

    def __hash__(self):
        raise TypeError("traced arrays are unhashable")

    def __repr__(self) -> str:
        v = "" if self.val is None else f", value={self.val!r}"
        return f"Tracer<{self.aval}{v}>"


def _leak_msg(t: Tracer, what: str) -> str:
    return (
        f"a traced value escaped its transform and was used in {what} at {user_src()} "
        f"(type {t.aval}). Return it from the transformed function instead of storing it "
        "in a global or a closure."
    )


# ---------------------------------------------------------------------------
# binding


def bind(prim: Primitive, *args, **params):
    """Evaluate `prim` on NumPy inputs, or record it in the innermost live trace."""
    trace = None
    for a in args:
        if type(a) is Tracer and (trace is None or a._trace.level > trace.level):
            trace = a._trace
    if trace is None:
        out = prim.impl(*args, **params)
        if prim.multiple_results:
            return tuple(o if type(o) is np.ndarray else np.asarray(o) for o in out)
        return out if type(out) is np.ndarray else np.asarray(out)
    if not trace.alive:
        raise TracerLeakError(_leak_msg(next(a for a in args if type(a) is Tracer), prim.name))
    ins, vals = [], []
    for a in args:
        if type(a) is Tracer and a._trace is trace:
            ins.append(a._var)
            vals.append(a.val)
        elif type(a) is Tracer:
            if not a._trace.alive:
                raise TracerLeakError(_leak_msg(a, prim.name))
            ins.append(trace.capture(a))
            vals.append(a.val)
        else:
            atom = trace.capture(a)
            ins.append(atom)
            vals.append(np.asarray(a))
    avals = prim.shape_rule([x.aval for x in ins], params)
    outs = [Var(av) for av in avals]
    trace.eqns.append(Eqn(prim, tuple(ins), tuple(outs), params, user_src()))
    if any(v is None for v in vals):
        res = [None] * len(outs)
    else:
        res = prim.impl(*vals, **params)
        res = list(res) if prim.multiple_results else [res]
    tracers = [
        Tracer(trace, v, np.asarray(r) if r is not None else None) for v, r in zip(outs, res)
    ]
    return tracers if prim.multiple_results else tracers[0]


# ---------------------------------------------------------------------------
# tracing a function to IR


def trace_to_ir(fn: Callable, args: list, reason: str | None = None) -> tuple[IR, list]:
    """Run `fn(*tracers) -> list of outputs` on one tracer per arg and record the IR.

    Each arg is a ShapedArray (an abstract input) or a value (a NumPy array or an outer
    tracer), whose aval and concrete value the new tracer takes. Returns the IR and the
    outer tracers it closed over: the IR's invars are those closure variables first,
    then one per arg. Callers pass the closure values back when evaluating the IR.
    """
    trace = Trace(reason)
    in_tracers = []
    for a in args:
        if isinstance(a, ShapedArray):
            in_tracers.append(Tracer(trace, Var(a)))
        elif type(a) is Tracer:
            if a.val is None and trace.reason is None:
                trace.reason = a._trace.reason
            in_tracers.append(Tracer(trace, Var(a.aval), a.val))
        else:
            a = np.asarray(a)
            in_tracers.append(Tracer(trace, Var(aval_of(a)), a))
    try:
        outs = fn(*in_tracers)
        out_atoms = [
            o._var if type(o) is Tracer and o._trace is trace else trace.capture(o) for o in outs
        ]
    finally:
        trace.alive = False
        Trace._depth -= 1
    closure = list(trace.closure.values())
    consts = list(trace.consts.values())
    ir = IR(
        invars=tuple(v for v, _ in closure) + tuple(t._var for t in in_tracers),
        constvars=tuple(v for v, _ in consts),
        consts=tuple(c for _, c in consts),
        eqns=tuple(trace.eqns),
        outs=tuple(out_atoms),
    )
    return dce(ir), [t for _, t in closure]


def eval_ir(ir: IR, args) -> list:
    """Interpret `ir` by binding each equation: NumPy in, NumPy out; tracers in, recorded."""
    env: dict[int, Any] = {}
    for v, c in zip(ir.constvars, ir.consts):
        env[v.id] = c
    if len(args) != len(ir.invars):
        raise TypeError(f"IR takes {len(ir.invars)} inputs, got {len(args)}")
    for v, a in zip(ir.invars, args):
        env[v.id] = a
    saved = _SRC[0]
    try:
        for eqn, dead in zip(ir.eqns, last_uses(ir)):
            _SRC[0] = eqn.src
            ins = [a.val if type(a) is Lit else env[a.id] for a in eqn.inputs]
            for i in dead:  # free what is no longer needed: eager memory = live values
                del env[i]
            out = bind(eqn.prim, *ins, **eqn.params)
            del ins
            if eqn.prim.multiple_results:
                for v, o in zip(eqn.outs, out):
                    env[v.id] = o
            else:
                env[eqn.outs[0].id] = out
    finally:
        _SRC[0] = saved
    return [a.val if type(a) is Lit else env[a.id] for a in ir.outs]
