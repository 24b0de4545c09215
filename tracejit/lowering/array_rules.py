"""ARRAY lowering rules: primitives that are not fused into loop nests.

Each rule is `rule(gen, eqn)` and emits statements through the generator (`gen.line`,
`gen.bind`), reading operands with `gen.array(x)` / `gen.scalar(x)` and sizes with
`gen.dim(x, axis)`. Operands are always materialised, C-contiguous arrays (or scalars
for 0-d values), and results must be too: Numba's reshape and BLAS calls need that.
"""

from __future__ import annotations

import numpy as np

from .rules import cast, np_dtype, render_lit

__all__ = ["ARRAY", "lower_array"]


def lower_array(gen, eqn) -> None:
    from .codegen import LoweringError
    from .control_rules import CONTROL

    rule = ARRAY.get(eqn.prim.name) or CONTROL.get(eqn.prim.name)
    if rule is None and callable(eqn.prim.lower):
        rule = eqn.prim.lower
    if rule is None:
        raise LoweringError(
            f"no Numba lowering for '{eqn.prim.name}' (in `{gen.eqn_text(eqn)}`); add a rule "
            f"to tracejit/lowering/array_rules.py, or lower= to {eqn.prim.name}_p"
        )
    rule(gen, eqn)


def _tuple(items) -> str:
    items = list(items)
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


class _Loops:
    """`with _Loops(gen, sizes) as idx:` emits a loop nest over sizes, indices `j0, j1...`."""

    def __init__(self, gen, sizes, prefix="j"):
        self.gen, self.sizes = gen, list(sizes)
        self.idx = [gen.tmp(prefix) for _ in self.sizes]

    def __enter__(self):
        for i, n in zip(self.idx, self.sizes, strict=True):
            self.gen.line(f"for {i} in range({n}):")
            self.gen.indent += 1
        return self.idx

    def __exit__(self, *exc):
        self.gen.indent -= len(self.sizes)


def _at(name, idx) -> str:
    return f"{name}[{', '.join(idx)}]" if idx else f"{name}[()]"


# ---------------------------------------------------------------------------
# reshapes: views of C-contiguous arrays


def _reshape(gen, eqn):
    (x,), (out,) = eqn.inputs, eqn.outs
    if out.aval.ndim == 0:
        src = gen.scalar(x) if x.aval.ndim == 0 else f"{gen.array(x)}.ravel()[0]"
        gen.bind(out, src, eqn)
    elif x.aval.ndim == 0:
        gen.bind(out, f"kernels.full({gen.shape_text(out)}, {gen.scalar(x)})", eqn)
    else:
        gen.bind(out, f"{gen.array(x)}.reshape({gen.shape_text(out)})", eqn)


# ---------------------------------------------------------------------------
# dot_general: BLAS for floating point (np.dot on 2-D operands), loops otherwise


# multiply-adds up to which loops beat a BLAS call (measured here, call overhead
# included: at 4096 they tie for 16x16x16, 1x64x64 and 4x32x32; at 13k-65k BLAS is 1.3-1.6x
# faster); fewer when the right operand is read across its rows (strided inner loop)
SMALL_DOT, SMALL_DOT_STRIDED = 1 << 12, 1 << 9


def _dot_general(gen, eqn):
    x, y = eqn.inputs
    (out,) = eqn.outs
    (xc, yc), (xb, yb) = eqn.params["dimension_numbers"]
    floating = x.aval.dtype.kind in "fc" and out.aval.dtype == x.aval.dtype
    if not xb and len(xc) == 1 and 1 <= x.aval.ndim <= 2 and 1 <= y.aval.ndim <= 2:
        if not floating:
            return _dot_small(gen, eqn, x, y, xc[0], yc[0], out)
        # loops or BLAS by size; decided at run time where a size is symbolic, so that a
        # new batch size keeps the same source (and machine code)
        limit = SMALL_DOT_STRIDED if y.aval.ndim == 2 and yc[0] == 1 else SMALL_DOT
        dims = gen.dims_of(x) + [d for k, d in enumerate(gen.dims_of(y)) if k != yc[0]]
        if all(d.isdigit() for d in dims):
            work = x.aval.size * y.aval.size // max(x.aval.shape[xc[0]], 1)
            if work <= limit:
                return _dot_small(gen, eqn, x, y, xc[0], yc[0], out)
        else:
            gen.line(f"if {' * '.join(dims)} <= {limit}:", "small: loops beat a BLAS call")
            gen.indent += 1
            _dot_small(gen, eqn, x, y, xc[0], yc[0], out)
            gen.indent -= 1
            gen.line("else:")
            gen.indent += 1
            _dot_2d(gen, eqn, x, y, xc, yc, out)
            gen.indent -= 1
            return
    if floating and not xb and len(xc) <= 1 and x.aval.ndim <= 2 and y.aval.ndim <= 2:
        if _dot_2d(gen, eqn, x, y, xc, yc, out):
            return
    if floating and len(xc) == 1 and len(xb) == 1 and x.aval.ndim == y.aval.ndim == 3:
        if xb == (0,) and yb == (0,):
            return _dot_batched(gen, eqn, x, y, xc[0], yc[0], out)
    _dot_loops(gen, eqn)


def _mat(gen, v, contract_axis, want_contract_last) -> str:
    """v (1-D or 2-D) as np.dot wants it: a 2-D lhs contracts its last axis, a 2-D rhs its
    first. A transpose is a free view that BLAS reads with a transpose flag."""
    name = gen.array(v)
    if v.aval.ndim < 2:
        return name
    last = contract_axis == 1
    return name if last == want_contract_last else f"{name}.T"


def _dot_2d(gen, eqn, x, y, xc, yc, out) -> bool:
    if not xc:  # outer product (1-D x 1-D) only
        if x.aval.ndim == 1 and y.aval.ndim == 1:
            gen.bind(out, f"kernels.outer({gen.array(x)}, {gen.array(y)})", eqn)
            return True
        return False
    if x.aval.ndim == 0 or y.aval.ndim == 0:
        return False
    xm = _mat(gen, x, xc[0], True)
    ym = _mat(gen, y, yc[0], False)
    gen.bind(out, f"kernels.dot({xm}, {ym})", eqn)
    return True


def _dot_small(gen, eqn, x, y, xk, yk, out):
    """A small matrix product as loops, k outside j so the inner loop vectorises: for
    small operands this beats the cost of calling BLAS, and it serves every dtype."""
    dt = out.aval.dtype
    ones = x.aval.ndim == 1, y.aval.ndim == 1
    K = gen.dim(x, xk)
    n = None if ones[1] else gen.dim(y, 1 - yk)  # y's free size: a one-column y is a vector
    i, k, t = gen.tmp("i"), gen.tmp("k"), gen.tmp("t")
    j = "0" if n == "1" else gen.tmp("j")
    xi = [k] if ones[0] else ([i, k] if xk == 1 else [k, i])
    yi = [k] if ones[1] else ([k, j] if yk == 0 else [j, k])
    oi = ([] if ones[0] else [i]) + ([] if ones[1] else [j])
    zero = render_lit(np.zeros((), dt))
    o = gen.array(out) if out.aval.ndim else gen.scalar(out)

    def read(v, idx, kk):  # x or y at contraction index kk, in the output type
        text = _at(gen.array(v), [kk if a == k else a for a in idx])
        return text if dt == v.aval.dtype else f"{np_dtype(dt)}({text})"

    xv, yv = read(x, xi, k), read(y, yi, k)
    gen.line("", gen.eqn_text(eqn))
    if out.aval.ndim == 0:  # vector · vector
        gen.line(f"{o} = {zero}")
        gen.line(f"for {k} in range({K}):")
        gen.line(f"    {o} = {cast(dt, f'{o} + {xv} * {yv}')}")
        gen.kind[out.id] = "scalar"
        return
    gen.line(f"{o} = np.empty({gen.shape_text(out)}, {np_dtype(dt)})")
    if not ones[0]:
        gen.line(f"for {i} in range({gen.dim(x, 1 - xk)}):")
        gen.indent += 1
    if n in (None, "1"):  # matrix · vector or one column: a reduction per row (3-5x a loop of 1)
        gen.line(f"{t} = {zero}")
        gen.line(f"for {k} in range({K}):")
        gen.line(f"    {t} = {cast(dt, f'{t} + {xv} * {yv}')}")
        gen.line(f"{_at(o, oi)} = {t}")
    else:
        gen.line(f"for {j} in range({n}):")
        gen.line(f"    {_at(o, oi)} = {zero}")
        operands = lambda kk: (read(x, xi, kk), read(y, yi, kk))  # noqa: E731
        _rank1_updates(gen, _at(o, oi), j, n, k, K, t, operands, dt)
    if not ones[0]:
        gen.indent -= 1
    gen.done(out)


# rows of y added into a row of the output per pass of its inner loop: the output row is
# loaded and stored once per UNROLL multiply-adds (measured: a 32x32 matrix-vector product,
# 23.7 -> 14.4 us for 50 of them; 8 rows a pass, 15.2 us). Same order of additions.
UNROLL = 4


def _rank1_updates(gen, o, j, n, k, K, t, operands, dt):
    """o (the output at row i, column j) += x[i, k] * y[k, j] for k in range(K), UNROLL
    values of k per pass over j; operands(kk) is the text of (x, y) at k = kk."""

    def at(m):  # (x, y) at k + m
        return operands(f"{k} + {m}" if m else k)

    def update(ts):  # the pass over j adding the rows k .. k + len(ts) - 1
        acc = o
        for m, tv in enumerate(ts):
            acc = cast(dt, f"{acc} + {tv} * {at(m)[1]}")
        gen.line(f"    for {j} in range({n}):")
        gen.line(f"        {o} = {acc}")

    rest = K
    if not K.isdigit() or int(K) >= UNROLL:
        ts = [f"{t}_{m}" for m in range(UNROLL)]
        gen.line(f"for {k} in range(0, {K} - {UNROLL - 1}, {UNROLL}):")
        gen.line("    " + "; ".join(f"{tv} = {at(m)[0]}" for m, tv in enumerate(ts)))
        update(ts)
        if K.isdigit() and int(K) % UNROLL == 0:
            return
        rest = f"{int(K) - int(K) % UNROLL}, {K}" if K.isdigit() else f"{K} - {K} % {UNROLL}, {K}"
    gen.line(f"for {k} in range({rest}):")
    gen.line(f"    {t} = {at(0)[0]}")
    update([t])


def _dot_batched(gen, eqn, x, y, xk, yk, out):
    b = gen.tmp("b")
    gen.line(
        f"{gen.array(out)} = np.empty({gen.shape_text(out)}, {np_dtype(out.aval.dtype)})",
        gen.eqn_text(eqn),
    )
    gen.line(f"for {b} in range({gen.dim(x, 0)}):")
    xm = f"{gen.array(x)}[{b}]" + ("" if xk == 2 else ".T")
    ym = f"{gen.array(y)}[{b}]" + ("" if yk == 1 else ".T")
    gen.line(f"    {gen.array(out)}[{b}] = kernels.dot({xm}, {ym})")
    gen.done(out)


def _dot_loops(gen, eqn):
    """out[batch, x free, y free] = sum over contracted k of x[...] * y[...]."""
    x, y = eqn.inputs
    (out,) = eqn.outs
    (xc, yc), (xb, yb) = eqn.params["dimension_numbers"]
    xf = [i for i in range(x.aval.ndim) if i not in xc and i not in xb]
    yf = [i for i in range(y.aval.ndim) if i not in yc and i not in yb]
    dt = out.aval.dtype
    res = gen.array(out) if out.aval.ndim else gen.scalar(out)
    gen.line("", gen.eqn_text(eqn))
    if out.aval.ndim:
        gen.line(f"{res} = np.zeros({gen.shape_text(out)}, {np_dtype(dt)})")
    with _Loops(gen, gen.dims_of(out)) as oi:
        acc = gen.tmp("acc")
        gen.line(f"{acc} = {np_dtype(dt)}(0)")
        with _Loops(gen, [gen.dim(x, i) for i in xc]) as ki:
            xi, yi = [None] * x.aval.ndim, [None] * y.aval.ndim
            for n, (i, j) in enumerate(zip(xb, yb, strict=True)):
                xi[i], yi[j] = oi[n], oi[n]
            for n, i in enumerate(xf):
                xi[i] = oi[len(xb) + n]
            for n, j in enumerate(yf):
                yi[j] = oi[len(xb) + len(xf) + n]
            for n, (i, j) in enumerate(zip(xc, yc, strict=True)):
                xi[i], yi[j] = ki[n], ki[n]
            xv = _at(gen.array(x), xi) if x.aval.ndim else gen.scalar(x)
            yv = _at(gen.array(y), yi) if y.aval.ndim else gen.scalar(y)
            if x.aval.dtype != dt:  # preferred_element_type: compute in the output type
                xv, yv = f"{np_dtype(dt)}({xv})", f"{np_dtype(dt)}({yv})"
            gen.line(f"{acc} = {cast(dt, f'{acc} + {xv} * {yv}')}")
        if out.aval.ndim:
            gen.line(f"{_at(res, oi)} = {acc}")
        else:
            gen.line(f"{res} = {acc}")
    gen.kind[out.id] = "array" if out.aval.ndim else "scalar"  # acc written to x_


# ---------------------------------------------------------------------------
# cumulative sums, products, maxima, minima along one axis


def _cumulative(op):
    def rule(gen, eqn):
        (x,), (out,) = eqn.inputs, eqn.outs
        axis, reverse = eqn.params["axis"], eqn.params["reverse"]
        dt = out.aval.dtype
        o = gen.array(out)
        gen.line(f"{o} = np.empty({gen.shape_text(out)}, {np_dtype(dt)})", gen.eqn_text(eqn))
        if x.aval.shape[axis] == 0:
            return gen.done(out)
        sizes = [gen.dim(x, k) for k in range(x.aval.ndim) if k != axis]
        n = gen.dim(x, axis)
        with _Loops(gen, sizes) as outer:
            j, acc = gen.tmp("j"), gen.tmp("acc")
            idx, first = list(outer), list(outer)
            idx.insert(axis, j)
            first.insert(axis, f"{n} - 1" if reverse else "0")
            gen.line(f"{acc} = {_at(gen.array(x), first)}")
            gen.line(f"{_at(o, first)} = {acc}")
            steps = f"range({n} - 2, -1, -1)" if reverse else f"range(1, {n})"
            gen.line(f"for {j} in {steps}:")
            v = _at(gen.array(x), idx)
            gen.line(f"    {acc} = {op(acc, v, dt)}")
            gen.line(f"    {_at(o, idx)} = {acc}")
        gen.done(out)

    return rule


def _cum_add(acc, v, dt):
    return f"({acc} or {v})" if dt == np.bool_ else cast(dt, f"{acc} + {v}")


def _cum_mul(acc, v, dt):
    return f"({acc} and {v})" if dt == np.bool_ else cast(dt, f"{acc} * {v}")


def _cum_max(acc, v, dt):
    nan = f" or {acc} != {acc}" if np.dtype(dt).kind == "f" else ""
    return f"({acc} if {acc} >= {v}{nan} else {v})"


def _cum_min(acc, v, dt):
    nan = f" or {acc} != {acc}" if np.dtype(dt).kind == "f" else ""
    return f"({acc} if {acc} <= {v}{nan} else {v})"


# ---------------------------------------------------------------------------
# sort: stable, along one dimension, by the first num_keys operands (lexicographic)


def _sort(gen, eqn):
    xs, outs = eqn.inputs, eqn.outs
    dim, num_keys = eqn.params["dimension"], eqn.params["num_keys"]
    x0 = xs[0]
    gen.line("", gen.eqn_text(eqn))
    for x, o in zip(xs, outs, strict=True):
        gen.line(f"{gen.array(o)} = np.empty_like({gen.array(x)})")
    sizes = [gen.dim(x0, k) for k in range(x0.aval.ndim) if k != dim]
    with _Loops(gen, sizes) as outer:
        lane = list(outer)
        lane.insert(dim, ":")
        perm = gen.tmp("perm")
        # stable sorts from the least significant key to the most significant
        for k in reversed(range(num_keys)):
            key = _at(gen.array(xs[k]), lane)
            if k == num_keys - 1:
                gen.line(f"{perm} = kernels.argsort({key})")
            else:
                gen.line(f"{perm} = {perm}[kernels.argsort({key}[{perm}])]")
        for x, o in zip(xs, outs, strict=True):
            gen.line(f"{_at(gen.array(o), lane)} = {_at(gen.array(x), lane)}[{perm}]")
    for o in outs:
        gen.done(o)


# ---------------------------------------------------------------------------
# scatters: a copy of x, then one loop over the updates


def _clip(i, n):
    return f"min(max({i}, 0), {n} - 1)"


def _scatter(kind: str):
    """kind: how an update meets the value already there ("set", "add", "mul", "min", "max")."""

    def rule(gen, eqn):
        x, ix, upd = eqn.inputs
        (out,) = eqn.outs
        axis = eqn.params["axis"]
        o = gen.array(out)
        gen.line(f"{o} = {gen.array(x)}.copy()", gen.eqn_text(eqn))
        k = ix.aval.ndim
        with _Loops(gen, gen.dims_of(upd)) as ui:
            at = _at(gen.array(ix), ui[axis : axis + k]) if k else gen.scalar(ix)
            oi = list(ui[:axis]) + [_clip(at, gen.dim(x, axis))] + list(ui[axis + k :])
            _write(gen, o, oi, _at(gen.array(upd), ui), kind, out.aval.dtype)
        gen.done(out)

    return rule


_COMBINE = {"add": "{0} + {1}", "mul": "{0} * {1}", "min": "min({0}, {1})", "max": "max({0}, {1})"}
_COMBINE_BOOL = {"add": "({0} or {1})", "mul": "({0} and {1})"}


def _write(gen, o, idx, val, kind, dt):
    target = _at(o, idx)
    if kind != "set":
        if dt == np.bool_ and kind in _COMBINE_BOOL:
            val = _COMBINE_BOOL[kind].format(target, val)
        else:
            val = cast(dt, _COMBINE[kind].format(target, val))
    gen.line(f"{target} = {val}")


def _scatter_add_along(gen, eqn):
    x, ix, upd = eqn.inputs
    (out,) = eqn.outs
    axis = eqn.params["axis"]
    o = gen.array(out)
    gen.line(f"{o} = {gen.array(x)}.copy()", gen.eqn_text(eqn))
    with _Loops(gen, gen.dims_of(ix)) as ui:
        oi = list(ui)
        oi[axis] = _clip(_at(gen.array(ix), ui), gen.dim(x, axis))
        _write(gen, o, oi, _at(gen.array(upd), ui), "add", out.aval.dtype)
    gen.done(out)


def _dynamic_update_slice(gen, eqn):
    x, upd, *starts = eqn.inputs
    (out,) = eqn.outs
    if x.aval.ndim == 0:
        gen.bind(out, gen.scalar(upd), eqn)
        return
    o = gen.array(out)
    gen.line(f"{o} = {gen.array(x)}.copy()", gen.eqn_text(eqn))
    offs = []
    for k, s in enumerate(starts):
        off = gen.tmp("s")
        gen.line(f"{off} = min(max({gen.scalar(s)}, 0), {gen.dim(x, k)} - {gen.dim(upd, k)})")
        offs.append(off)
    with _Loops(gen, gen.dims_of(upd)) as ui:
        oi = [f"{s} + {i}" for s, i in zip(offs, ui, strict=True)]
        src = _at(gen.array(upd), ui) if upd.aval.ndim else gen.scalar(upd)
        gen.line(f"{_at(o, oi)} = {src}")
    gen.done(out)


# ---------------------------------------------------------------------------
# linear algebra: one helper call per matrix (kernels.py), looped over batch dims


def _linalg(call):
    """`call(eqn, operand texts) -> call text`; the helper returns the outputs in order."""

    def rule(gen, eqn):
        a = eqn.inputs[0]
        nb = a.aval.ndim - 2
        outs = list(eqn.outs)
        gen.use("tracejit.lowering", "kernels")
        if nb == 0:
            lhs = ", ".join(gen.array(o) if o.aval.ndim else gen.scalar(o) for o in outs)
            gen.line(
                f"{lhs} = {call(eqn, [_operand(gen, x) for x in eqn.inputs])}", gen.eqn_text(eqn)
            )
            for o in outs:
                gen.kind[o.id] = "array" if o.aval.ndim else "scalar"
            return
        gen.line("", gen.eqn_text(eqn))
        for o in outs:
            gen.line(f"{gen.array(o)} = np.empty({gen.shape_text(o)}, {np_dtype(o.aval.dtype)})")
        with _Loops(gen, [gen.dim(a, k) for k in range(nb)]) as bi:
            args = [_at(gen.array(x), bi) for x in eqn.inputs]
            tmps = [gen.tmp("r") for _ in outs]
            gen.line(f"{', '.join(tmps)} = {call(eqn, args)}")
            for o, t in zip(outs, tmps, strict=True):
                gen.line(f"{_at(gen.array(o), bi)} = {t}")
        for o in outs:
            gen.done(o)

    return rule


def _operand(gen, x) -> str:
    return gen.array(x)


def _svd_call(eqn, args):
    if not eqn.params["compute_uv"]:
        return f"kernels.svd_values({args[0]})"
    return f"kernels.svd({args[0]}, {eqn.params['full_matrices']})"


def _qr_call(eqn, args):
    return f"kernels.qr({args[0]}, {bool(eqn.params['full_matrices'])})"


def _trisolve_call(eqn, args):
    p = eqn.params
    flags = ", ".join(
        str(bool(p[k])) for k in ("left_side", "lower", "transpose_a", "unit_diagonal")
    )
    return f"kernels.trisolve({args[0]}, {args[1]}, {flags})"


ARRAY = {
    "reshape": _reshape,
    "squeeze": _reshape,
    "expand_dims": _reshape,
    "dot_general": _dot_general,
    "cumsum": _cumulative(_cum_add),
    "cumprod": _cumulative(_cum_mul),
    "cummax": _cumulative(_cum_max),
    "cummin": _cumulative(_cum_min),
    "sort": _sort,
    "scatter": _scatter("set"),
    "scatter_add": _scatter("add"),
    "scatter_mul": _scatter("mul"),
    "scatter_min": _scatter("min"),
    "scatter_max": _scatter("max"),
    "scatter_add_along": _scatter_add_along,
    "dynamic_update_slice": _dynamic_update_slice,
    "cholesky": _linalg(lambda eqn, a: f"kernels.cholesky({a[0]})"),
    "solve": _linalg(lambda eqn, a: f"kernels.solve({a[0]}, {a[1]})"),
    "inv": _linalg(lambda eqn, a: f"kernels.inv({a[0]})"),
    "det": _linalg(lambda eqn, a: f"kernels.det({a[0]})"),
    "adjugate": _linalg(lambda eqn, a: f"kernels.adjugate({a[0]})"),
    "slogdet": _linalg(lambda eqn, a: f"kernels.slogdet({a[0]})"),
    "eigh": _linalg(lambda eqn, a: f"kernels.eigh({a[0]})"),
    "svd": _linalg(_svd_call),
    "qr": _linalg(_qr_call),
    "lu": _linalg(lambda eqn, a: f"kernels.lu({a[0]})"),
    "triangular_solve": _linalg(_trisolve_call),
}
