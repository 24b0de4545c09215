"""IR -> Python source: fused loop nests for elementwise work, array calls for the rest.

Fusion. Equations are grouped in program order. An elementwise or REMAP equation joins
an open group whose loop nest runs over its output shape (the group's *domain*): the
one holding an operand it reads at the same point, else the latest open group of that
domain. A reduction joins the group computing its operand. Values that stay inside a
group are scalars (`c_` is the element of c at the current point) and cost no memory;
a value read elsewhere is stored into an array allocated before the loop. A group is
emitted (closed) when something outside it needs one of its arrays, so emitted code is
always in dependency order. Emit one loop nest per group: it avoids a temporary per op.

Naming. Variables are named as `print(ir)` names them; `x_` is a scalar element of x;
`d0, d1, ...` are sizes read from the arguments (shapes.py); `i0, i1, ...` loop indices.
Every line carries the equation it implements as a comment.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field

import numpy as np

from ..ir import IR, Eqn, Lit, Var, _names, short_dtype
from ..ops.shape import RESHAPES
from .reductions import ARG_REDUCE, REDUCE, finish_acc, init_acc, update_acc
from .rules import (
    REMAP,
    VMATH32_NAMES,
    VMATH_NAMES,
    np_dtype,
    render_lit,
    scalar_rule,
)
from .shapes import DimNames
from .source import Lowered, LoweringError

__all__ = ["Lowered", "LoweringError", "lower_ir", "PARALLEL_MIN_SIZE"]

# calls of helper functions the generated code imports by name
_HELPER_CALL = re.compile(
    r"\b("
    + "|".join(sorted({*VMATH_NAMES.values(), *VMATH32_NAMES.values(), "erfinv_scalar"}))
    + r")\("
)

# A fused loop nest this large runs its outer loop with prange. Numba's parallel region
# costs ~10-20 µs a call and its parallel compiler pipeline ~50% more compile time, so
# only loop nests of a few hundred µs (a quarter million elements) are worth it.
PARALLEL_MIN_SIZE = 1 << 18

_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {"np", "math", "numba", "prange", "kernels"}


# ---------------------------------------------------------------------------
# equation kinds


def kind_of(eqn: Eqn) -> str:
    name = eqn.prim.name
    if name in REDUCE or name in ARG_REDUCE:
        return "reduce"
    if name in REMAP:
        return "remap"
    if scalar_rule(eqn.prim) is not None and not eqn.prim.multiple_results:
        return "elementwise"
    return "array"


@dataclass(eq=False)
class _Group:
    shape: tuple
    members: list = field(default_factory=list)
    axes: tuple | None = None  # the reduction axes, if the group reduces
    open: bool = True


# ---------------------------------------------------------------------------
# the generator


def lower_ir(ir: IR, name: str = "kernel") -> Lowered:
    """Python source computing `ir`: `name(*constvars, *invars) -> outs` (a tuple, or the
    array itself for one output). Raises LoweringError naming a primitive it cannot lower."""
    return _Gen(ir, name).run()


class _Gen:
    """The generator. Lowering rules receive it as `gen` and use only these:

    gen.array(x), gen.scalar(x)   the name of x's array; the text of x's 0-d value
    gen.dim(x, k), gen.dims_of(x), gen.shape_text(x)   sizes, as source text
    gen.line(code, comment)       a statement at the current depth (`gen.indent`)
    gen.bind(v, expr, eqn)        `v = expr` (`v_ = expr` if v is 0-d); v is then ready
    gen.done(v)                   mark an output the rule wrote itself as ready
    gen.tmp(prefix), gen.use(module, name), gen.eqn_text(eqn)   locals, imports, comments
    gen.inline(ir, args)          emit a body IR here; returns its output atoms
    """

    def __init__(self, ir: IR, name: str):
        self.ir = ir
        self.fname = _safe(name)
        self.names: dict[int, str] = {}
        self.buffer: dict[int, str] = {}  # var id -> the array it was computed into, if not its own
        self.in_rows: set[int] = set()  # var ids computed straight into a row of a stack
        self._gen = _names()
        for v in list(ir.constvars) + list(ir.invars):
            self._name(v)
        self.lines: list = []
        self.eqn_at_line: dict[int, str] = {}
        self.indent = 1
        self.imports: set = set()
        self.parallel = False
        self.kind: dict[int, str] = {}  # var id -> "array" | "scalar" | "point" | "pending"
        self.group_of: dict[int, _Group] = {}
        self.n_tmp = 0
        self.hoisted = _body_consts(ir)  # constants of nested bodies become parameters too
        for v, _ in self.hoisted:
            self._name(v)
        self.const_vars = list(ir.constvars) + [v for v, _ in self.hoisted]
        args = list(ir.invars) + self.const_vars
        self.dims = DimNames(ir, args, {v.id: self.names[v.id] for v in args})

    # naming -------------------------------------------------------------------

    def _name(self, v: Var) -> str:
        if v.id not in self.names:
            n = next(self._gen)
            self.names[v.id] = n + "_v" if n in _RESERVED else n
        return self.names[v.id]

    def array(self, a) -> str:
        """The name of a Var's whole array (it must be materialised)."""
        return self.buffer.get(a.id) or self.names[a.id]

    def scalar(self, a) -> str:
        """Source text for a 0-d value (or the current element inside a loop)."""
        if type(a) is Lit:
            return self.lit(a)
        return self.names[a.id] + "_"

    def lit(self, a: Lit) -> str:
        """A literal; one equal to an input size n (or 1/n) is written as that size, so
        that `x / x.shape[0]` leaves no batch size in the source."""
        val = a.val
        if val.dtype.kind in "iuf" and val.dtype != np.bool_:
            x = float(val)
            sign = "-" if x < 0 else ""
            for n, form in ((abs(x), "{}"), (1.0 / abs(x) if x else 0.0, "1.0 / {}")):
                if n.is_integer() and n >= 3 and int(n) in self.dims.by_value:
                    expr = form.format(self.dims.by_value[int(n)])
                    if form != "{}" and val.dtype.type(1.0 / int(n)) != abs(val):
                        continue
                    if val.dtype == np.int64:
                        return f"{sign}{expr}"
                    return f"{np_dtype(val.dtype)}({sign}{expr})"
        return render_lit(val)

    def dim(self, v, axis: int) -> str:
        if v.aval.shape[axis] is None:  # a size known only at run time (a while loop's tape)
            return f"{self.array(v)}.shape[{axis}]"
        return self.dims.dim(v, axis)

    def dims_of(self, v) -> list[str]:
        return [self.dim(v, k) for k in range(v.aval.ndim)]

    def shape_text(self, v) -> str:
        ds = self.dims_of(v)
        return "(" + ", ".join(ds) + ("," if len(ds) == 1 else "") + ")"

    def tmp(self, prefix: str = "t") -> str:
        self.n_tmp += 1
        return f"{prefix}{self.n_tmp}"

    def use(self, module: str, name: str) -> None:
        self.imports.add((module, name))

    def line(self, code: str, comment: str | None = None) -> None:
        self.lines.append((self.indent, code, comment))

    def eqn_text(self, eqn: Eqn) -> str:
        ins = " ".join(
            render_lit(a.val) if type(a) is Lit else self.names[a.id] for a in eqn.inputs
        )
        outs = " ".join(self._name(v) for v in eqn.outs)
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in eqn.params.items() if not _holds_ir(v))
        params = f"[{params}]" if params else ""
        text = " ".join(p for p in (f"{outs} =", eqn.prim.name + params, ins) if p)
        return f"{text} ({eqn.src})" if eqn.src else text

    def bind(self, v: Var, expr: str, eqn: Eqn | None = None) -> None:
        """Bind an array statement's result: `x = expr`, or `x_ = expr` if x is 0-d."""
        if v.aval.ndim == 0:
            self.line(f"{self.scalar(v)} = {expr}", eqn and self.eqn_text(eqn))
            self.kind[v.id] = "scalar"
        else:
            self.line(f"{self.array(v)} = {expr}", eqn and self.eqn_text(eqn))
            self.kind[v.id] = "array"

    # entry --------------------------------------------------------------------

    def run(self) -> Lowered:
        ir = self.ir
        param_vars = self.const_vars + list(ir.invars)
        params = [self.names[v.id] for v in param_vars]
        self.lines.append((0, f"def {self.fname}({', '.join(params)}):", None))
        for code, comment in self.dims.header:
            self.line(code, comment)
        for v in param_vars:
            if v.aval.ndim == 0:
                self.line(f"{self.scalar(v)} = {self.array(v)}[()]", f"{self.array(v)}: {v.aval}")
                self.kind[v.id] = "scalar"
            self.kind.setdefault(v.id, "array")
        self.block(ir.eqns, ir.outs)
        outs = [self.out_expr(a) for a in ir.outs]
        if _packable(ir.outs):
            # many small outputs of one type: one array, whose rows the caller hands out
            # (boxing an array costs Numba more than NumPy needs to make a row view)
            packed = self.tmp("packed")
            shape = ", ".join([str(len(outs))] + self.dims_of(ir.outs[0]))
            self.line(f"{packed} = np.empty(({shape}), {np_dtype(ir.outs[0].aval.dtype)})")
            for k, o in enumerate(outs):
                self.line(f"{packed}[{k}] = {o}")
            outs = [packed]
        self.line(
            f"return {outs[0] if len(outs) == 1 else '(' + ', '.join(outs) + ',)'}"
            if outs
            else "return ()"
        )
        text = "\n".join(code for _, code, _ in self.lines)
        if "kernels." in text:
            self.use("tracejit.lowering", "kernels")
        for fn in set(_HELPER_CALL.findall(text)):
            module = "tracejit._threefry" if fn == "erfinv_scalar" else "tracejit.lowering.vmath"
            self.use(module, fn)
        for k, (_, _, comment) in enumerate(self.lines):
            if comment:
                self.eqn_at_line[k] = comment
        # constants are passed as C-contiguous, writeable arrays (the kernel's signature)
        consts = [
            np.require(c, requirements=("C", "W"))
            for c in list(ir.consts) + [c for _, c in self.hoisted]
        ]
        avals = [v.aval for v in param_vars]
        return Lowered(
            self.fname,
            self.lines,
            self.imports,
            self.parallel,
            len(outs),
            consts,
            avals,
            self.eqn_at_line,
        )

    def inline(self, ir: IR, args, carried=(), rows=()) -> list:
        """Emit a body IR here, its inputs being `args` (atoms); returns its output atoms.

        `carried` pairs (k, j): output k is the next value of input j, a loop carry whose
        buffer the loop owns; where only the loop nest computing output k reads input j,
        at the same points, the output is written into that buffer (no new array per
        iteration; see close()). `rows` pairs (k, row): output k is stacked into `row` (an
        expression for a view); a loop nest computing it writes there directly (its id
        then joins `in_rows`), if the body returns it only there, or there and as one
        carry (which then views the row: the caller copies it after the loop)."""
        for v, a in zip(ir.invars, args, strict=True):
            if type(a) is Lit:
                self._name(v)
                self.line(f"{self.scalar(v)} = {render_lit(a.val)}")
                self.kind[v.id] = "scalar"
            else:
                self.names[v.id] = self.names[a.id]
                self.buffer.pop(v.id, None)
                if a.id in self.buffer:
                    self.buffer[v.id] = self.buffer[a.id]
                self.kind[v.id] = self.kind[a.id]
        inplace = {}
        outs = [a.id for a in ir.outs if type(a) is Var]
        for k, j in carried:
            o, c = ir.outs[k], ir.invars[j]
            if type(o) is Var and outs.count(o.id) == 1 and c.id not in outs and c.aval.ndim:
                inplace[o.id] = c
        ins = {v.id for v in ir.invars}
        carry_outs = [ir.outs[k].id for k, _ in carried if type(ir.outs[k]) is Var]
        stack = {
            ir.outs[k].id: row
            for k, row in rows
            if type(ir.outs[k]) is Var
            and outs.count(ir.outs[k].id) == 1 + carry_outs.count(ir.outs[k].id)
            and carry_outs.count(ir.outs[k].id) <= 1
            and ir.outs[k].id not in ins
            and ir.outs[k].aval.ndim
        }  # (also the next carry: the loop's caller copies that carry once at the end)
        views = self._row_sources(ir, stack, ins | set(outs) | {c.id for c in inplace.values()})
        self.block(ir.eqns, ir.outs, inplace, stack)
        for oid, src in views.items():  # a reshaped view of a value computed in its row
            if src in self.in_rows:
                self.in_rows.add(oid)
        return list(ir.outs)

    def _row_sources(self, ir: IR, stack: dict, taken: set) -> dict:
        """Where a stacked output is a reshape of a value the body computes (and neither
        takes in nor returns), that value is computed in the row, as a view of the row's
        shape; returns {output id: the id of the value it views}."""
        made = {e.outs[0].id: e for e in ir.eqns if len(e.outs) == 1}
        views = {}
        for oid, row in list(stack.items()):
            e = made.get(oid)
            shape = e.outs[0].aval.shape if e is not None else None  # the row's
            while e is not None and e.prim.name in RESHAPES:
                src = e.inputs[0]
                if type(src) is not Var or src.id in taken or src.id in stack:
                    break
                if not src.aval.ndim or None in src.aval.shape:
                    break
                same = src.aval.shape == shape
                stack[src.id] = row if same else f"{row}.reshape({self.shape_text(src)})"
                views[oid] = src.id
                e = made.get(src.id)
        return views

    def fresh_like(self, v: Var) -> Var:
        new = Var(v.aval)
        self.names[v.id] = self._name(new)
        return new

    def done(self, v: Var) -> None:
        """Mark an array rule's output ready (0-d arrays are read into their scalar)."""
        if v.aval.ndim == 0:
            self.line(f"{self.scalar(v)} = {self.array(v)}[()]")
            self.kind[v.id] = "scalar"
        else:
            self.kind[v.id] = "array"

    def block(self, eqns, outs, inplace=None, rows=None) -> None:
        """Emit `eqns` at the current indentation, closing every group it opens."""
        scope = _Scope(eqns, outs, inplace or {}, rows or {})
        for eqn in eqns:
            try:
                self.eqn(eqn, scope)
            except LoweringError:
                raise
            except Exception as err:
                raise LoweringError(
                    f"cannot lower '{eqn.prim.name}' in `{self.eqn_text(eqn)}`: "
                    f"{type(err).__name__}: {err}"
                ) from None
        for g in list(scope.groups):
            if g.open:
                self.close(g, scope)

    def out_expr(self, a) -> str:
        if type(a) is Lit:
            return f"kernels.full((), {render_lit(a.val)})"
        if self.kind.get(a.id) == "scalar":
            name = self.tmp("r")
            self.line(f"{name} = np.empty((), {np_dtype(a.aval.dtype)})")
            self.line(f"{name}[()] = {self.scalar(a)}")
            return name
        return self.array(a)

    # program order ----------------------------------------------------------------

    def available(self, a, scope) -> None:
        """Make a Var's value usable outside any loop nest (close its open group)."""
        if type(a) is Var and self.kind.get(a.id) in ("point", "pending"):
            self.close(self.group_of[a.id], scope)

    def eqn(self, eqn: Eqn, scope) -> None:
        kind = kind_of(eqn)
        out = eqn.outs[0]
        if kind == "array" or (kind != "reduce" and out.aval.ndim == 0):
            for a in eqn.inputs:
                self.available(a, scope)
            if kind == "array":
                from .array_rules import lower_array

                for v in eqn.outs:
                    self._name(v)
                lower_array(self, eqn)
            else:  # a 0-d elementwise or remap value: one scalar statement
                self._name(out)
                expr = self.point_expr(eqn, [])
                self.line(f"{self.scalar(out)} = {expr}", self.eqn_text(eqn))
                self.kind[out.id] = "scalar"
            return
        shape = eqn.inputs[0].aval.shape if kind == "reduce" else out.aval.shape
        mine = {
            id(self.group_of[a.id]): self.group_of[a.id]
            for a in eqn.inputs
            if type(a) is Var and self.kind.get(a.id) == "point"
        }
        axes = eqn.params["axes"] if kind == "reduce" else None
        for a in eqn.inputs:
            if type(a) is Var and self.kind.get(a.id) == "pending":
                self.close(self.group_of[a.id], scope)
            elif (
                type(a) is Var
                and self.kind.get(a.id) == "point"
                and (kind == "remap" or self.group_of[a.id].shape != shape)
            ):
                self.close(self.group_of[a.id], scope)
                mine.pop(id(self.group_of[a.id]), None)
        mine = [g for g in mine.values() if g.open]
        if kind == "reduce":
            for g in [g for g in mine if g.axes not in (None, axes)]:
                self.close(g, scope)  # one reduction pattern per loop nest
            mine = [g for g in mine if g.open]
        group = self.merge(mine, scope) if mine else self.latest(scope, shape, axes, kind)
        group.members.append(eqn)
        if kind == "reduce":
            group.axes = axes
        for v in eqn.outs:
            self._name(v)
            self.kind[v.id] = "pending" if kind == "reduce" else "point"
            self.group_of[v.id] = group

    def merge(self, groups, scope) -> _Group:
        first = groups[0]
        for g in groups[1:]:
            first.members += g.members
            first.axes = first.axes or g.axes
            for m in g.members:
                for v in m.outs:
                    self.group_of[v.id] = first
            scope.groups.remove(g)
        first.members.sort(key=scope.order)
        return first

    def latest(self, scope, shape, axes, kind) -> _Group:
        for g in reversed(scope.groups):
            if g.open and g.shape == shape and (kind != "reduce" or g.axes in (None, axes)):
                return g
        g = _Group(shape)
        scope.groups.append(g)
        return g

    # loop nests ----------------------------------------------------------------

    def point_expr(self, eqn: Eqn, idx) -> str:
        """The value of a fused equation's output at loop indices idx."""
        name = eqn.prim.name
        if name in REMAP:
            return REMAP[name](self, eqn, idx)
        args = []
        for a in eqn.inputs:
            k = self.kind.get(a.id) if type(a) is Var else None
            if type(a) is Lit or k in ("scalar", "point") or a.aval.ndim == 0:
                args.append(self.scalar(a))
            else:
                args.append(f"{self.array(a)}[{', '.join(idx)}]")
        return scalar_rule(eqn.prim)(eqn, args)

    def close(self, g: _Group, scope) -> None:
        """Emit group g's loop nest here; its stored values become arrays."""
        if not g.open:
            return
        g.open = False
        members = sorted(g.members, key=scope.order)
        inside = {id(m) for m in members}
        rank = len(g.shape)
        idx = [f"i{k}" for k in range(rank)]
        reds = [m for m in members if kind_of(m) == "reduce"]
        first = members[0].inputs[0] if kind_of(members[0]) == "reduce" else members[0].outs[0]
        dims = [self.dim(first, k) for k in range(rank)]
        axes = tuple(g.axes or ())
        kept = [k for k in range(rank) if k not in axes]
        suffix = axes == tuple(range(rank - len(axes), rank))
        acc_level = rank - len(axes) if suffix else -1  # loop depth of scalar accumulators
        size = 0 if None in g.shape else int(np.prod(g.shape, dtype=np.int64))
        par = (
            rank > 0
            and size >= PARALLEL_MIN_SIZE
            and (0 not in axes or (not kept and all(m.prim.name == "reduce_sum" for m in reds)))
        )
        stored = [
            m.outs[0]
            for m in members
            if kind_of(m) != "reduce"
            and (
                m.outs[0].id in scope.out_ids
                or any(id(u) not in inside for u in scope.users.get(m.outs[0].id, []))
            )
        ]
        what = ", ".join(m.prim.name for m in members)
        self.line(
            "", f"one loop nest over {short_dtype(first.aval.dtype)}[{','.join(dims)}]: {what}"
        )
        for v in stored + [m.outs[0] for m in reds if suffix and m.outs[0].aval.ndim]:
            c = scope.inplace.get(v.id)
            if c is not None and all(
                id(u) in inside and kind_of(u) == "elementwise" for u in scope.users.get(c.id, [])
            ):  # the carry's old value is read here only, point by point: overwrite it
                self.buffer[v.id] = self.array(c)
                continue
            row = scope.rows.get(v.id)
            if row is not None:  # a stacked output: computed in its row of the stack
                self.line(f"{self.array(v)} = {row}")
                self.in_rows.add(v.id)
                continue
            self.line(f"{self.array(v)} = np.empty({self.shape_text(v)}, {np_dtype(v.aval.dtype)})")
        if not suffix:
            for m in reds:
                init_acc(self, m, array=True)
        for k in range(rank):
            if k == acc_level:
                for m in reds:
                    init_acc(self, m, array=False)
            if dims[k] == "1":  # a unit axis needs no loop
                idx[k] = "0"
                continue
            loop = "prange" if (k == 0 and par) else "range"
            self.parallel |= loop == "prange"
            self.line(f"for {idx[k]} in {loop}({dims[k]}):")
            self.indent += 1
        if acc_level == rank:
            for m in reds:
                init_acc(self, m, array=False)
        for m in members:
            if kind_of(m) == "reduce":
                update_acc(
                    self, m, self._operand(m.inputs[0], idx), idx, axes, suffix, par and not kept
                )
            else:
                expr = self.point_expr(m, idx)
                self.line(f"{self.scalar(m.outs[0])} = {expr}", self.eqn_text(m))
        for v in stored:
            self.line(f"{self.array(v)}[{', '.join(idx)}] = {self.scalar(v)}")
        if acc_level == rank:
            for m in reds:
                finish_acc(self, m, idx)
        for k in reversed(range(rank)):
            self.indent -= 1 if dims[k] != "1" else 0
            if k == acc_level:
                for m in reds:
                    finish_acc(self, m, idx[:k])
        for m in members:
            if kind_of(m) != "reduce":
                self.kind[m.outs[0].id] = "dead"
        for v in stored:
            self.kind[v.id] = "array"
        for m in reds:
            self.kind[m.outs[0].id] = "scalar" if m.outs[0].aval.ndim == 0 else "array"

    def _operand(self, a, idx) -> str:
        if type(a) is Lit:
            return render_lit(a.val)
        if self.kind.get(a.id) in ("point", "scalar"):
            return self.scalar(a)
        return f"{self.array(a)}[{', '.join(idx)}]"


class _Scope:
    """Per-block state: who uses each variable, the block's outputs, its open groups."""

    def __init__(self, eqns, outs, inplace, rows):
        self.inplace = inplace  # output var id -> the carry whose buffer it may reuse
        self.rows = rows  # output var id -> the row of a stack it is computed into
        self.users: dict[int, list] = {}
        for e in eqns:
            for a in e.inputs:
                if type(a) is Var:
                    self.users.setdefault(a.id, []).append(e)
        self.out_ids = {a.id for a in outs if type(a) is Var}
        self.groups: list[_Group] = []
        self._order = {id(e): k for k, e in enumerate(eqns)}

    def order(self, eqn) -> int:
        return self._order[id(eqn)]


PACK_MIN_OUTS = 4  # outputs returned as rows of one array: at least this many,
PACK_MAX_SIZE = 1 << 14  # of one shape and dtype, at most this many elements in all


def _packable(outs) -> bool:
    avals = {a.aval for a in outs}
    if len(outs) < PACK_MIN_OUTS or len(avals) != 1:
        return False
    (aval,) = avals
    return aval.ndim >= 1 and None not in aval.shape and len(outs) * aval.size <= PACK_MAX_SIZE


def _holds_ir(v) -> bool:
    return isinstance(v, IR) or (isinstance(v, tuple) and any(isinstance(b, IR) for b in v))


def _body_consts(ir: IR, seen=None) -> list:
    """(var, array) for the constants of every body IR nested in ir's equations."""
    seen = set() if seen is None else seen
    out = []
    for eqn in ir.eqns:
        for v in eqn.params.values():
            for body in v if isinstance(v, tuple) else (v,):
                if isinstance(body, IR):
                    for cv, c in zip(body.constvars, body.consts, strict=True):
                        if cv.id not in seen:
                            seen.add(cv.id)
                            out.append((cv, c))
                    out += _body_consts(body, seen)
    return out


def _safe(name: str) -> str:
    s = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "kernel"
    if s[0].isdigit() or s in _RESERVED:
        s = "f_" + s
    return s


def _fmt(v) -> str:
    if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        return np.dtype(v).name
    if callable(v):
        return getattr(v, "__name__", "fn")
    return repr(v)
