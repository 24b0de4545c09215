"""Symbolic array sizes, so generated code reads its sizes from its arguments.

Every axis of every variable is a node; primitives equate axes (an elementwise output
axis is its operands' axis, a transpose permutes, a matmul pairs its contracted axes,
...). Union-find groups equal axes; a group holding an input axis is named `d0, d1, ...`
and read from that input's shape at the top of the generated function. A size no input
determines (`reshape` to 784) is written as a number. The generated source then holds
no batch size, so a new batch size reuses the compiled machine code: the caller re-traces
and gets the same source text back.

Correctness does not depend on these choices: the source is generated from the IR being
run, with its own values, and two IRs share compiled code only if their sources are
identical. A guess (the value fallback below) can only cost a recompilation.
"""

from __future__ import annotations

from ..ir import IR, Var

__all__ = ["DimNames"]


class DimNames:
    """`dim(var, axis)` is the source expression for that size; `header` the lines that
    read the named sizes from the arguments."""

    def __init__(self, ir: IR, arg_vars, arg_names: dict[int, str]):
        self.parent: dict[tuple, tuple] = {}
        self.value: dict[tuple, int] = {}
        self._walk(ir)
        for v in arg_vars:
            self._add(v)
        self.names: dict[tuple, str] = {}  # root -> name
        self.by_value: dict[int, str] = {}
        self.header: list[tuple[str, str]] = []
        for v in arg_vars:
            new = []
            for k, n in enumerate(v.aval.shape):
                root = self._find((v.id, k))
                if root in self.names:
                    new.append(None)
                    continue
                name = f"d{len(self.names)}"
                self.names[root] = name
                self.by_value[n] = name  # the last input wins: data usually follows params
                new.append(name)
            arr = arg_names[v.id]
            if new and all(new):
                lhs = ", ".join(new) if len(new) > 1 else f"({new[0]},)"
                self.header.append((f"{lhs} = {arr}.shape", f"{arr}: {v.aval}"))
            else:
                for k, name in enumerate(new):
                    if name:
                        self.header.append((f"{name} = {arr}.shape[{k}]", f"{arr}: {v.aval}"))

    def dim(self, v: Var, axis: int) -> str:
        node = (v.id, axis)
        n = v.aval.shape[axis]
        if n is None:
            raise ValueError("a run-time size has no symbol; read it from the array")
        if node in self.parent:
            name = self.names.get(self._find(node))
            if name:
                return name
        if n > 1 and n in self.by_value:  # no input axis is equated with it: guess by value
            return self.by_value[n]
        return str(n)

    def dims(self, v: Var) -> list[str]:
        return [self.dim(v, k) for k in range(v.aval.ndim)]

    def _walk(self, ir: IR) -> None:
        for v in list(ir.invars) + list(ir.constvars):
            self._add(v)
        for eqn in ir.eqns:
            for v in eqn.outs:
                self._add(v)
            for a in eqn.inputs:
                if type(a) is Var:
                    self._add(a)
            for p, q in _equal_axes(eqn):
                self._union(p, q)
            for sub, pairs in _body_links(eqn):
                self._walk(sub)
                for a, b, shift in pairs:  # axis k of b is axis k + shift of a
                    if type(a) is Var and type(b) is Var:
                        for k in range(b.aval.ndim):
                            self._union((a.id, k + shift), (b.id, k))

    # union-find -------------------------------------------------------------

    def _add(self, v: Var) -> None:
        for k, n in enumerate(v.aval.shape):
            self.parent.setdefault((v.id, k), (v.id, k))
            self.value[(v.id, k)] = n

    def _find(self, p):
        while self.parent[p] != p:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        return p

    def _union(self, p, q) -> None:
        if p not in self.parent or q not in self.parent or self.value[p] != self.value[q]:
            return
        a, b = self._find(p), self._find(q)
        if a != b:
            self.parent[b] = a


def _body_links(eqn):
    """(body IR, [(outer atom, body var, axis shift)]) for each program a primitive holds."""
    p, ins, outs = eqn.params, eqn.inputs, eqn.outs
    name = eqn.prim.name
    if name == "cond":
        return [
            (
                b,
                [(a, v, 0) for a, v in zip(ins[1:], b.invars, strict=True)]
                + [(o, v, 0) for o, v in zip(outs, b.outs, strict=True)],
            )
            for b in p["branches"]
        ]
    if name == "scan":
        b, nc, ncar = p["body"], p["num_consts"], p["num_carry"]
        links = [(a, v, 0) for a, v in zip(ins[: nc + ncar], b.invars[: nc + ncar], strict=True)]
        links += [(a, v, 1) for a, v in zip(ins[nc + ncar :], b.invars[nc + ncar :], strict=True)]
        links += [(o, v, 0) for o, v in zip(outs[:ncar], b.outs[:ncar], strict=True)]
        links += [(o, v, 1) for o, v in zip(outs[ncar:], b.outs[ncar:], strict=True)]
        links += [(o, v, 0) for o, v in zip(b.outs[:ncar], b.invars[nc : nc + ncar], strict=True)]
        return [(b, links)]
    if name in ("while", "while_record"):
        cc, bc = p["cond_nconsts"], p["body_nconsts"]
        carry = ins[cc + bc :]
        c_links = [(a, v, 0) for a, v in zip(ins[:cc] + carry, p["cond_ir"].invars, strict=True)]
        body = p["body_ir"]
        b_links = [(a, v, 0) for a, v in zip(ins[cc : cc + bc] + carry, body.invars, strict=True)]
        b_links += [(o, v, 0) for o, v in zip(outs[: len(body.outs)], body.outs, strict=True)]
        b_links += [(o, v, 0) for o, v in zip(body.outs, body.invars[bc:], strict=True)]
        return [(p["cond_ir"], c_links), (body, b_links)]
    return []


def _axes(v):
    return [(v.id, k) for k in range(v.aval.ndim)] if type(v) is Var else []


def _equal_axes(eqn):
    """Pairs of (var id, axis) nodes that the primitive makes equal in size."""
    name, ins, (out, *_) = eqn.prim.name, eqn.inputs, eqn.outs
    p = eqn.params
    pairs = []
    if name in ("cond", "scan", "while", "while_record"):
        return []  # linked through their bodies (_body_links)
    if name == "broadcast_in_dim":
        x = ins[0]
        if type(x) is Var:
            pairs = [((x.id, i), (out.id, d)) for i, d in enumerate(p["broadcast_dimensions"])]
    elif name == "transpose":
        pairs = [((ins[0].id, q), (out.id, k)) for k, q in enumerate(p["perm"])]
    elif name in ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "argmax", "argmin"):
        kept = [k for k in range(ins[0].aval.ndim) if k not in p["axes"]]
        pairs = [((ins[0].id, k), (out.id, j)) for j, k in enumerate(kept)]
    elif name == "squeeze":
        kept = [k for k in range(ins[0].aval.ndim) if k not in p["dimensions"]]
        pairs = [((ins[0].id, k), (out.id, j)) for j, k in enumerate(kept)]
    elif name == "expand_dims":
        kept = [k for k in range(out.aval.ndim) if k not in p["dimensions"]]
        pairs = [((ins[0].id, j), (out.id, k)) for j, k in enumerate(kept)]
    elif name == "reshape":
        pairs = _reshape_pairs(ins[0], out)
    elif name == "dot_general":
        pairs = _dot_pairs(eqn)
    elif name in ("gather",):
        x, ix = ins
        ax, k = p["axis"], ix.aval.ndim
        pairs = [((x.id, i), (out.id, i)) for i in range(ax)]
        pairs += [((x.id, i), (out.id, i + k - 1)) for i in range(ax + 1, x.aval.ndim)]
        if type(ix) is Var:
            pairs += [((ix.id, j), (out.id, ax + j)) for j in range(k)]
    elif name == "concatenate":
        d = p["dimension"]
        for x in ins:
            pairs += [((x.id, k), (out.id, k)) for k in range(out.aval.ndim) if k != d]
    else:
        # same-shape operands and outputs (elementwise, cumulative, sort, scatter, ...)
        shape = out.aval.shape
        for v in list(ins) + list(eqn.outs):
            if type(v) is Var and v.aval.shape == shape and v is not out:
                pairs += list(zip(_axes(v), _axes(out), strict=True))
    return pairs


def _reshape_pairs(x, out):
    """Leading and trailing axes a reshape leaves alone (up to where sizes first differ)."""
    a, b = x.aval.shape, out.aval.shape
    pairs, k = [], 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        pairs.append(((x.id, k), (out.id, k)))
        k += 1
    j = 1
    while j <= min(len(a), len(b)) - k and a[-j] == b[-j]:
        pairs.append(((x.id, len(a) - j), (out.id, len(b) - j)))
        j += 1
    return pairs


def _dot_pairs(eqn):
    x, y = eqn.inputs
    out = eqn.outs[0]
    (xc, yc), (xb, yb) = eqn.params["dimension_numbers"]
    pairs = [((x.id, i), (y.id, j)) for i, j in zip(xc, yc, strict=True)]
    pairs += [((x.id, i), (y.id, j)) for i, j in zip(xb, yb, strict=True)]
    pairs += [((x.id, i), (out.id, k)) for k, i in enumerate(xb)]
    xf = [i for i in range(x.aval.ndim) if i not in xc and i not in xb]
    yf = [i for i in range(y.aval.ndim) if i not in yc and i not in yb]
    pairs += [((x.id, i), (out.id, len(xb) + k)) for k, i in enumerate(xf)]
    pairs += [((y.id, i), (out.id, len(xb) + len(xf) + k)) for k, i in enumerate(yf)]
    return pairs
