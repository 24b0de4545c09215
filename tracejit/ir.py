"""The typed SSA intermediate representation (IR) every transform reads and writes.

Glossary (terms used across tracejit, in reading order):

- aval: an abstract value, `ShapedArray(shape, dtype)`: what is known of an array at
  trace time.
- Var: an SSA variable, defined once (as an input or by one equation), typed by an aval.
- Lit: a literal scalar constant appearing directly as an equation input.
- Atom: a Var or a Lit.
- Eqn: one equation `outs = prim[params](inputs)`, with the user's `file:line` if known.
- IR: a program: `invars` (inputs), `constvars` bound to `consts` (captured arrays),
  `eqns`, and `outs` (atoms).
- primitive (`*_p`): an operation with its rules (impl, shape, jvp, transpose, vmap,
  lower); its binder (`exp`) records or evaluates it.
- tracer: a stand-in for an array while a function is traced; may carry a concrete value.
- primal `x, y`, primal output `out`, tangent `t`, cotangent `ct`, batch axis `bdim`.
- residual: a primal value that the linear (tangent) program needs.
- symbolic zero (`None` where a tangent or cotangent is expected): a zero that costs
  nothing because no equation is emitted for it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ShapedArray",
    "Var",
    "Lit",
    "Eqn",
    "IR",
    "aval_of",
    "check_ir",
    "dce",
    "last_uses",
    "pp_ir",
]


@dataclass(frozen=True, slots=True)
class ShapedArray:
    """An abstract array: shape and dtype, nothing else."""

    shape: tuple[int, ...]  # a None dimension is known only at run time (a loop's tape)
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def update(self, shape=None, dtype=None) -> ShapedArray:
        return ShapedArray(
            self.shape if shape is None else tuple(shape),
            self.dtype if dtype is None else np.dtype(dtype),
        )

    def __str__(self) -> str:
        dims = ",".join("?" if d is None else str(d) for d in self.shape)
        return f"{short_dtype(self.dtype)}[{dims}]"

    __repr__ = __str__


_SHORT = {
    "float64": "f64",
    "float32": "f32",
    "float16": "f16",
    "int64": "i64",
    "int32": "i32",
    "int16": "i16",
    "int8": "i8",
    "uint64": "u64",
    "uint32": "u32",
    "uint16": "u16",
    "uint8": "u8",
    "bool": "bool",
    "complex128": "c128",
    "complex64": "c64",
}


def short_dtype(dtype) -> str:
    return _SHORT.get(np.dtype(dtype).name, np.dtype(dtype).name)


def aval_of(x) -> ShapedArray:
    """The aval of a concrete value (NumPy array or scalar)."""
    x = np.asarray(x)
    return ShapedArray(x.shape, x.dtype)


_ids = itertools.count()


class Var:
    """An SSA variable. Identity is the object; names are given when printing."""

    __slots__ = ("aval", "id")

    def __init__(self, aval: ShapedArray):
        self.aval = aval
        self.id = next(_ids)

    def __repr__(self) -> str:
        return f"Var({self.id}:{self.aval})"


@dataclass(frozen=True, slots=True, eq=False)
class Lit:
    """A scalar literal; `val` is a 0-d NumPy array of the right dtype."""

    val: np.ndarray

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray((), self.val.dtype)

    def __repr__(self) -> str:
        return f"{self.val.item()!r}:{short_dtype(self.val.dtype)}"


Atom = Var | Lit


@dataclass(frozen=True, slots=True, eq=False)
class Eqn:
    prim: Any  # a trace.Primitive; typed loosely to keep ir.py free of imports
    inputs: tuple
    outs: tuple[Var, ...]
    params: dict = field(default_factory=dict)
    src: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class IR:
    """A closed program: `outs = f(*constvars=consts, *invars)`."""

    invars: tuple[Var, ...]
    constvars: tuple[Var, ...]
    consts: tuple[np.ndarray, ...]
    eqns: tuple[Eqn, ...]
    outs: tuple
    cache: dict = field(default_factory=dict, repr=False)  # derived facts, e.g. last uses

    @property
    def in_avals(self) -> tuple[ShapedArray, ...]:
        return tuple(v.aval for v in self.invars)

    @property
    def out_avals(self) -> tuple[ShapedArray, ...]:
        return tuple(a.aval for a in self.outs)

    def __str__(self) -> str:
        return pp_ir(self)

    def __repr__(self) -> str:
        return pp_ir(self)

    def _repr_markdown_(self) -> str:
        return "```\n" + pp_ir(self) + "\n```"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other) -> bool:
        return self is other


def last_uses(ir: IR) -> tuple[tuple[int, ...], ...]:
    """For each equation, the variables read for the last time there (not outputs):
    an interpreter drops them after it, so eager memory follows what is live."""
    hit = ir.cache.get("last_uses")
    if hit is not None:
        return hit
    keep = {a.id for a in ir.outs if isinstance(a, Var)}
    seen: set[int] = set(keep)
    dead: list[tuple[int, ...]] = []
    for eqn in reversed(ir.eqns):
        now = []
        for a in eqn.inputs:
            if isinstance(a, Var) and a.id not in seen:
                seen.add(a.id)
                now.append(a.id)
        dead.append(tuple(now))
    dead.reverse()
    ir.cache["last_uses"] = out = tuple(dead)
    return out


# ---------------------------------------------------------------------------
# checker and dead-code elimination


class IRError(Exception):
    """An ill-formed IR: a bug in a transform or a rule, not in user code."""


def check_ir(ir: IR) -> None:
    """Re-run every shape rule and check SSA: each var defined once, before use."""
    defined: set[int] = set()

    def define(v: Var) -> None:
        if not isinstance(v, Var):
            raise IRError(f"binder {v!r} is not a Var")
        if v.id in defined:
            raise IRError(f"variable {v!r} is bound twice")
        defined.add(v.id)

    def use(a) -> None:
        if isinstance(a, Lit):
            return
        if not isinstance(a, Var) or a.id not in defined:
            raise IRError(f"variable {a!r} is used before it is bound")

    for v in ir.constvars + ir.invars:
        define(v)
    if len(ir.consts) != len(ir.constvars):
        raise IRError("consts and constvars differ in length")
    for v, c in zip(ir.constvars, ir.consts):
        if aval_of(c) != v.aval:
            raise IRError(f"const of type {aval_of(c)} bound to {v!r}")
    for eqn in ir.eqns:
        for a in eqn.inputs:
            use(a)
        out_avals = eqn.prim.shape_rule([a.aval for a in eqn.inputs], eqn.params)
        got = [v.aval for v in eqn.outs]
        if list(out_avals) != got:
            raise IRError(f"{eqn.prim.name}: shape rule gives {out_avals}, IR says {got}")
        for v in eqn.outs:
            define(v)
    for a in ir.outs:
        use(a)


def dce(ir: IR) -> IR:
    """Drop equations whose outputs are never used (all primitives are pure); a primitive
    holding sub-programs with a `dce` rule also drops the outputs no one uses and the
    inputs its remaining outputs do not need (a scan's unused stacked outputs, say)."""
    live = {a.id for a in ir.outs if isinstance(a, Var)}
    kept, changed = [], False
    for eqn in reversed(ir.eqns):
        used = [v.id in live for v in eqn.outs]
        if not any(used):
            changed = True
            continue
        rule = getattr(eqn.prim, "dce", None)
        if rule is not None:
            new = rule(eqn, used)
            changed |= new is not eqn
            eqn = new
        kept.append(eqn)
        live.update(a.id for a in eqn.inputs if isinstance(a, Var))
    if not changed:
        return ir
    kept.reverse()
    return IR(ir.invars, ir.constvars, ir.consts, tuple(kept), ir.outs)


# ---------------------------------------------------------------------------
# pretty-printer


def _names():
    for n in itertools.count():
        s = ""
        n += 1
        while n:
            n, r = divmod(n - 1, 26)
            s = chr(97 + r) + s
        yield s


def _fmt_param(v) -> str:
    if isinstance(v, IR):
        return "{ ... }"
    if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        return np.dtype(v).name
    if callable(v):
        return getattr(v, "__name__", "fn")
    return repr(v)


def pp_ir(ir: IR, indent: int = 0) -> str:
    names = {}
    gen = _names()

    def name(a) -> str:
        if isinstance(a, Lit):
            return repr(a)
        if a.id not in names:
            names[a.id] = next(gen)
        return names[a.id]

    def binder(v: Var) -> str:
        return f"{name(v)}:{v.aval}"

    pad = " " * indent
    head = " ".join(binder(v) for v in ir.constvars)
    args = " ".join(binder(v) for v in ir.invars)
    lines = [f"{pad}{{ lambda {head}; {args}. let" if head else f"{pad}{{ lambda ; {args}. let"]
    rows = []
    for eqn in ir.eqns:
        ins = " ".join(name(a) for a in eqn.inputs)
        lhs = " ".join(binder(v) for v in eqn.outs)
        params = ""
        subs = [(k, v) for k, v in eqn.params.items() if isinstance(v, IR)]
        plain = [(k, v) for k, v in eqn.params.items() if not isinstance(v, IR) and v is not None]
        if plain:
            params = "[" + ", ".join(f"{k}={_fmt_param(v)}" for k, v in plain) + "]"
        rows.append((f"{pad}    {lhs} = {eqn.prim.name}{params} {ins}".rstrip(), eqn.src))
        for k, sub in subs:
            rows.append((f"{pad}      {k}=" + pp_ir(sub, indent + 6).lstrip(), None))
    width = max((len(r) for r, _ in rows if "\n" not in r), default=0)
    for text, src in rows:
        lines.append(f"{text.ljust(width)}  # {src}" if src else text)
    outs = " ".join(name(a) for a in ir.outs)
    lines.append(f"{pad}  in ({outs}{',' if len(ir.outs) == 1 else ''}) }}")
    return "\n".join(lines)
