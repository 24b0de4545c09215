"""jit: trace once per argument signature, simplify, lower to Numba, dispatch fast.

    f = tj.jit(f)             # or @tj.jit; static_argnums / static_argnames as in JAX
    f(x, y)                   # first call: traced, run by the interpreter, compiled behind
    f.ir, f.source            # the (simplified) IR and generated code of the last call
    f.compile(x, y)           # ahead of time: returns once machine code is ready

Inside another transform (an argument is a Tracer) the call records one `jit` equation
holding the IR; jvp, partial evaluation, transpose and vmap of that equation are the IR
transforms of its body wrapped in a new `jit` equation, so grad(jit(f)), vmap(jit(f)),
jit(grad(f)) and nested jit all compose. Nested calls are inlined before lowering.

No compile pause. A new signature is traced and its source generated at once (a few
ms); if machine code for the same source exists (another batch size, another jitted
function) it is used right away. Otherwise the call runs the IR with the NumPy
interpreter and returns, while one background thread compiles (or loads from the disk
cache) and later calls switch to machine code. Both compute the same function, equal to
rounding (NumPy sums pairwise, the loops sequentially; vmath's exp/tanh are within a few
ulp of NumPy's). A thread was chosen over compiling after N calls (which pauses call N)
and over a subprocess (which pays Numba's start-up again); while it compiles it slows
the caller a little, since Numba holds the GIL while typing. `TRACEJIT_SYNC_COMPILE=1`
compiles before the first call returns (tests); `TRACEJIT_INTERPRET=1` never compiles.
If lowering or Numba fails, the function keeps running on the interpreter and a
TracejitWarning names the primitive and equation; `compile()` raises the error instead.
No Numba traceback reaches the user.

Dispatch. A call whose arguments are all NumPy arrays is looked up by their shapes in a
dict of ready entries and goes straight to the Numba dispatcher, which checks dtypes and
layouts (a mismatch raises TypeError there and takes the general path). A pytree call
is flattened by a function made for its structure if that is a common one (arrays, and
tuples, lists or dicts of arrays), else by tracejit.tree, and its leaves' shapes look up
the entry the same way. The general path keys on (structure, shapes, dtypes, static
arguments), converts what needs converting, and logs each new trace with its reason when
`TRACEJIT_LOG_COMPILES=1`.
"""

from __future__ import annotations

import atexit
import collections
import functools
import inspect
import operator
import os
import queue
import sys
import threading
import time
import warnings
from typing import Callable, Sequence

import numpy as np

from . import tree
from .api import _Out, as_array, flatten_fun
from .ir import IR, ShapedArray, aval_of
from .lowering import cache as _cache
from .ops.common import UndefinedPrimal
from .trace import Primitive, Tracer, eval_ir, trace_to_ir
from .transforms import jvp_ir, transpose_ir, vmap_ir
from .transforms.partial_eval import partial_eval_ir
from .transforms.simplify import simplify_ir

__all__ = ["jit", "jit_p", "Jitted", "TracejitWarning"]


class TracejitWarning(UserWarning):
    pass


def _log(msg: str) -> None:
    if _env("TRACEJIT_LOG_COMPILES"):
        print(f"tracejit: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# one compiled program: interpreter now, machine code when ready


class Entry:
    """One traced signature: the simplified IR, its source, and its kernel once compiled."""

    def __init__(self, ir: IR, name: str, out_tree=None):
        self.ir = ir
        self.name = name
        self.single = len(ir.outs) == 1
        self.unpack = _unpacker(out_tree, self.single)  # kernel result -> user's result
        self.kernel = None  # the Numba dispatcher: kernel(*consts, *args)
        self.call = None  # kernel with consts bound, set when ready
        self.lowered = None
        self.error: Exception | None = None
        self.state = "new"  # new -> (pending ->) queued -> ready | failed
        self.done = threading.Event()
        self.fast: list = []  # (dict, key) pairs this entry joins when ready

    def lower(self):
        if self.lowered is None:
            from .lowering import lower_ir

            self.lowered = lower_ir(self.ir, self.name)
        return self.lowered

    def _ready(self, kernel) -> None:
        consts = self.lowered.consts
        self.kernel = kernel
        self.call = functools.partial(kernel, *consts) if consts else kernel
        self.state = "ready"
        for table, key in self.fast:
            table[key] = self
        self.done.set()

    def _fail(self, err: Exception) -> None:
        self.error = err
        self.state = "failed"
        self.done.set()

    def compile(self) -> None:
        """Generate and compile the kernel in this thread (the worker, or a blocked caller)."""
        from .lowering.cache import compile_kernel

        t0 = time.perf_counter()
        try:
            lowered = self.lower()
            kernel = compile_kernel(lowered, lowered.param_avals)
        except Exception as err:  # noqa: BLE001 - reported as a warning or by compile()
            return self._fail(err)
        _log(
            f"{self.name}: machine code ready in {time.perf_counter() - t0:.3f} s "
            f"(kernel tj_{lowered.key})"
        )
        self._ready(kernel)

    def start(self) -> None:
        """First run: generate the source now; reuse machine code compiled for the same
        source, else compile it in the background once this run's result is computed (the
        compiling thread would slow the interpreter down: it holds the GIL much of the
        time), or here, if TRACEJIT_SYNC_COMPILE."""
        if _env("TRACEJIT_INTERPRET"):
            return
        self.state = "queued"
        from .lowering.cache import compiled_kernel

        try:
            lowered = self.lower()
        except Exception as err:  # noqa: BLE001 - reported by run() as a warning
            return self._fail(err)
        kernel = compiled_kernel(lowered, lowered.param_avals)
        if kernel is not None:
            return self._ready(kernel)
        if _env("TRACEJIT_SYNC_COMPILE"):
            return self.compile()
        self.state = "pending"  # enqueued by run() after the interpreter's result

    def run(self, args: list) -> list:
        """The outputs as a list: from machine code if ready, else from the interpreter."""
        if self.state == "new":
            self.start()
        if self.state == "ready":
            try:
                out = self.call(*args)
            except TypeError:  # non-contiguous, read-only or mistyped arrays: convert
                args = [_c_array(a, v.aval) for a, v in zip(args, self.ir.invars, strict=True)]
                out = self.call(*args)
            return [out] if self.single else list(out)
        if self.state == "failed" and self.error is not None:
            _warn_failure(self)
        out = eval_ir(self.ir, list(args))
        if self.state == "pending":
            self.state = "queued"
            _enqueue(self)
        return out

    def wait(self) -> None:
        """Block until machine code is ready; raise if it cannot be."""
        if self.state in ("new", "pending"):
            self.state = "queued"
            self.compile()
        self.done.wait()
        if self.state == "failed":
            err, self.error = self.error, None
            raise err or RuntimeError(f"{self.name}: compilation failed earlier")


def _unpacker(out_tree, single: bool):
    """kernel result (an array, or a tuple of them) -> the user's output pytree."""
    if out_tree is None:
        return None  # one array, returned as it is
    data = out_tree.node_data()
    flat = data is not None and all(tree.treedef_is_leaf(c) for c in out_tree.children())
    if flat and data[0] is dict:
        keys = data[1]
        if single:
            return lambda out: {keys[0]: out}
        template = dict.fromkeys(keys)

        def unpack(out):  # a copy of a dict of the final size: dict(zip()) grows as it goes
            d = template.copy()  # (26 µs vs 31 µs for 100 rows of a packed result)
            d.update(zip(keys, out))  # noqa: B905 - one output per key by construction
            return d

        return unpack
    if flat and data[0] is tuple:
        return (lambda out: (out,)) if single else tuple
    return lambda out: tree.unflatten(out_tree, [out] if single else list(out))


def _c_array(a, aval: ShapedArray):
    a = np.asarray(a)
    if a.dtype != aval.dtype or a.shape != aval.shape:
        raise TypeError(f"expected {aval}, got {aval_of(a)}")
    return np.require(a, requirements=("C", "W"))


def _warn_failure(entry: Entry) -> None:
    err, entry.error = entry.error, None
    warnings.warn(
        f"tracejit.jit: {entry.name} runs on the NumPy interpreter: {err}",
        TracejitWarning,
        stacklevel=4,
    )


def _env(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


# ---------------------------------------------------------------------------
# the background compiler: one thread, started on first use

_jobs: queue.Queue = queue.Queue()
_worker: list = []
_stopping = threading.Event()


def _work() -> None:
    while not _stopping.is_set():
        entry = _jobs.get()
        if entry is None:
            return
        if entry.state == "queued":
            entry.compile()


def _enqueue(entry: Entry) -> None:
    if not _worker:
        t = threading.Thread(target=_work, name="tracejit-compile", daemon=True)
        _worker.append(t)
        t.start()
    _jobs.put(entry)


def _shutdown() -> None:  # do not start new compilations while the interpreter exits
    _stopping.set()
    _jobs.put(None)


atexit.register(_shutdown)
_cache.configure_threads()


# ---------------------------------------------------------------------------
# the jit primitive: a call of an IR


_IMPL_CACHE: collections.OrderedDict = collections.OrderedDict()  # id(ir) -> (ir, Entry)


def _entry_for(ir: IR, name: str) -> Entry:
    hit = _IMPL_CACHE.get(id(ir))
    if hit is not None and hit[0] is ir:
        _IMPL_CACHE.move_to_end(id(ir))
        return hit[1]
    entry = Entry(simplify_ir(ir), name)
    _IMPL_CACHE[id(ir)] = (ir, entry)
    if len(_IMPL_CACHE) > 512:
        _IMPL_CACHE.popitem(last=False)
    return entry


def _jit_impl(*args, ir, name):
    return tuple(_entry_for(ir, name).run([np.asarray(a) for a in args]))


def _jit_shape(*avals, ir, name):
    if list(avals) != list(ir.in_avals):
        raise TypeError(f"jit({name}): inputs {avals} differ from {ir.in_avals}")
    return ir.out_avals


def _jit_jvp(primals, tangents, *, ir, name):
    nz = [t is not None for t in tangents]
    jir, out_nz = jvp_ir(ir, nz)
    outs = jit_p.bind(*primals, *[t for t in tangents if t is not None], ir=jir, name=f"jvp_{name}")
    n = len(ir.outs)
    touts = iter(outs[n:])
    return list(outs[:n]), [next(touts) if z else None for z in out_nz]


def _jit_partial_eval(eqn, mask):
    """Split one jit equation into a known call (outputs + residuals) and an unknown one."""
    from .ir import Eqn, Var

    inner, name = eqn.params["ir"], eqn.params["name"]
    known, unknown, out_unknown, n_res = partial_eval_ir(inner, mask)
    res_vars = [Var(a.aval) for a in known.outs[len(known.outs) - n_res :]]
    k_in = tuple(a for a, m in zip(eqn.inputs, mask, strict=True) if not m)
    u_in = tuple(a for a, m in zip(eqn.inputs, mask, strict=True) if m)
    k_out = tuple(v for v, u in zip(eqn.outs, out_unknown, strict=True) if not u) + tuple(res_vars)
    u_out = tuple(v for v, u in zip(eqn.outs, out_unknown, strict=True) if u)
    k_eqn = Eqn(jit_p, k_in, k_out, {"ir": known, "name": name}, eqn.src)
    u_eqn = Eqn(
        jit_p, tuple(res_vars) + u_in, u_out, {"ir": unknown, "name": f"lin_{name}"}, eqn.src
    )
    return [k_eqn], [u_eqn]


def _jit_transpose(cts, *args, ir, name):
    linear = [isinstance(a, UndefinedPrimal) for a in args]
    t_ir = transpose_ir(ir, linear)
    cts = [
        np.zeros(v.aval.shape, v.aval.dtype) if c is None else c
        for c, v in zip(cts, ir.outs, strict=True)
    ]
    res = [a for a in args if not isinstance(a, UndefinedPrimal)]
    outs = iter(jit_p.bind(*res, *cts, ir=t_ir, name=f"transpose_{name}"))
    return [next(outs) if lin else None for lin in linear]


def _jit_vmap(args, dims, *, ir, name):
    size = next(
        np.shape(a)[d] if not hasattr(a, "aval") else a.aval.shape[d]
        for a, d in zip(args, dims, strict=True)
        if d is not None
    )
    vir, out_dims = vmap_ir(ir, dims, size)
    return jit_p.bind(*args, ir=vir, name=f"vmap_{name}"), out_dims


jit_p = Primitive(
    "jit",
    impl=_jit_impl,
    shape=_jit_shape,
    jvp=_jit_jvp,
    vmap=_jit_vmap,
    transpose=_jit_transpose,
    partial_eval=_jit_partial_eval,
    multiple_results=True,
    doc="A call of the compiled program `ir`; transforms see through it.",
)


# ---------------------------------------------------------------------------
# the user-facing wrapper


def jit(
    f: Callable | None = None,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    donate_argnums=None,
):
    """Compile f with Numba, once per argument signature (see the module docstring).

    Static arguments must be hashable and are part of the signature: a new value
    re-traces. `donate_argnums` is accepted for JAX compatibility and ignored (NumPy
    arrays are not donated; outputs are always new arrays or inputs returned as is).
    """
    if f is None:
        return lambda fun: jit(fun, static_argnums, static_argnames, donate_argnums)
    return Jitted(f, static_argnums, static_argnames)


_SHAPE = operator.attrgetter("shape")
_FAST_MISS = (KeyError, AttributeError, TypeError, ValueError)


def _flattener(args: tuple, leaves: list):
    """(flatten, size, {}) for calls structured like `args`, each argument an array, a tuple
    or list of arrays, or a dict of arrays; None for others. `flatten(args)` gives the leaves
    in tree.flatten's order, `size(leaf)` the part of the key that tells signatures apart.

    `flatten` returns None when a call differs in those containers (types, lengths, dict
    keys in insertion order); a leaf position holding something else is caught later, by
    its size or by Numba refusing its type. For a dict of 100 arrays it takes 5 µs where
    tree.flatten takes 18 µs; for a tuple and 3 arrays 1.1 µs vs 4.8.
    """
    steps = []
    for a in args:
        typ = type(a)
        if typ is np.ndarray:
            steps.append((None, None))
        elif typ in (tuple, list) and all(type(x) is np.ndarray for x in a):
            steps.append((typ, len(a)))
        elif typ is dict and all(type(x) is np.ndarray for x in a.values()):
            ks = tuple(a)
            perm = sorted(range(len(ks)), key=ks.__getitem__)  # as tree.flatten sorts
            steps.append((dict, (ks, operator.itemgetter(*perm) if len(ks) > 1 else tuple)))
        else:
            return None
    n = len(steps)

    if n == 1 and steps[0][0] is dict:  # f(params), the commonest: no loop, no list
        ks, order = steps[0][1]

        def flatten(args):
            if len(args) == 1 and type(args[0]) is dict and tuple(args[0]) == ks:
                return order(tuple(args[0].values()))
            return None

    else:

        def flatten(args):
            if len(args) != n:
                return None
            leaves = []
            for a, (typ, data) in zip(args, steps):  # noqa: B905 - lengths checked
                if typ is None:
                    leaves.append(a)
                elif type(a) is not typ:
                    return None
                elif typ is dict:
                    if tuple(a) != data[0]:
                        return None
                    leaves += data[1](tuple(a.values()))
                elif len(a) != data:
                    return None
                else:
                    leaves += a
            return leaves

    got = flatten(args)  # the same leaves as tree.flatten, or no fast flattener
    if got is None or len(got) != len(leaves) or any(map(operator.is_not, got, leaves)):
        return None
    # Vectors are told apart by their lengths (5 µs for 100, their shapes 13 µs): Numba
    # refuses an array of another rank with the TypeError that takes the general path.
    vectors = all(x.ndim == 1 for x in leaves) and not _env("NUMBA_DISABLE_JIT")
    return flatten, len if vectors else _SHAPE, {}


class Jitted:
    """A jitted function: call it, or inspect `.ir` / `.source`, or `.compile(*args)`."""

    def __init__(self, f: Callable, static_argnums=(), static_argnames=()):
        functools.update_wrapper(self, f)
        self.fun = f
        nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        try:
            params = list(inspect.signature(f).parameters)
        except (TypeError, ValueError):
            params = []
        # a static argument may be passed by position or by name: know both spellings
        nums = set(nums) | {params.index(n) for n in names if n in params}
        names = set(names) | {params[i] for i in nums if 0 <= i < len(params)}
        self.static_argnums = tuple(sorted(nums))
        self.static_argnames = tuple(sorted(names))
        self._fast: dict = {}  # arg shapes -> ready Entry, for calls f(*arrays)
        self._tree: dict = {}  # (treedef of args, leaf shapes) -> ready Entry, f(*pytrees)
        self._flat: dict = {}  # treedef of args -> (flatten, size, {leaf sizes: ready Entry})
        self._cache: dict = {}  # full signature -> Entry
        self._last: Entry | None = None
        self._name = getattr(f, "__name__", "f")

    def __repr__(self) -> str:
        return f"<jit {self._name}>"

    def __get__(self, obj, objtype=None):  # jit on a method binds like a function
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        if not kwargs:
            fast = self._fast  # (a pytree call skips the lean path: its AttributeError costs 2 µs)
            if fast:
                try:  # the lean path: every argument an array of a compiled signature
                    n = len(args)  # (a tuple display is cheaper than map() for few arguments)
                    if n == 2:
                        key = (args[0].shape, args[1].shape)
                    elif n == 1:
                        key = (args[0].shape,)
                    elif n == 3:
                        key = (args[0].shape, args[1].shape, args[2].shape)
                    else:
                        key = tuple(map(_SHAPE, args))
                    entry = fast[key]
                    out = entry.call(*args)
                except _FAST_MISS:
                    pass
                else:
                    return out if entry.unpack is None else entry.unpack(out)
            for flatten, size, table in self._flat.values():
                leaves = flatten(args)
                if leaves is None:
                    continue  # another structure
                try:
                    entry = table[tuple(map(size, leaves))]
                    out = entry.call(*leaves)
                except _FAST_MISS:
                    break
                return out if entry.unpack is None else entry.unpack(out)
            if self._tree:
                try:
                    leaves, treedef = tree.flatten(args)
                    entry = self._tree[(treedef, tuple(map(_SHAPE, leaves)))]
                    out = entry.call(*leaves)
                except _FAST_MISS:
                    pass
                else:
                    return out if entry.unpack is None else entry.unpack(out)
        return self._call(args, kwargs)

    # the general path ----------------------------------------------------------

    def _split(self, args, kwargs):
        if not self.static_argnums and not self.static_argnames:
            return args, kwargs, ()
        nargs = len(args)
        nums = sorted({i % nargs if i < 0 and nargs else i for i in self.static_argnums})
        dyn = tuple(a for i, a in enumerate(args) if i not in nums)
        dkw = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        statics = tuple((i, args[i]) for i in nums if i < nargs)
        statics += tuple(sorted((k, v) for k, v in kwargs.items() if k in self.static_argnames))
        for where, v in statics:  # ValueError, as JAX: the value is the problem, not its type
            try:
                hash(v)
            except TypeError as e:
                raise ValueError(
                    f"Non-hashable static arguments are not supported: jit({self._name}) got "
                    f"static argument {where!r} of type {type(v).__name__} ({e}); pass a tuple "
                    "instead of a list, or pass arrays as ordinary arguments"
                ) from None
        return dyn, dkw, statics

    def _lookup(self, args, kwargs):
        """(entry, flat arrays) for a call, tracing a new signature; (None, leaves) if the
        call must be recorded in an enclosing trace instead."""
        dyn, dkw, statics = self._split(args, kwargs)
        leaves, treedef = tree.flatten((dyn, dkw))
        if any(type(x) is Tracer for x in leaves):
            return None, leaves
        leaves = [as_array(x) for x in leaves]
        key = (treedef, tuple((x.shape, x.dtype) for x in leaves), statics)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._trace(key, args, kwargs, leaves, statics)
            if entry is None:  # f closes over an outer tracer
                return None, leaves
            if not kwargs and not statics:  # eligible for the lean paths once compiled
                if all(type(a) is np.ndarray for a in args):
                    entry.fast.append((self._fast, tuple(a.shape for a in args)))
                elif all(type(x) is np.ndarray for x in tree.leaves(args)):
                    lv, td = tree.flatten(args)
                    shapes = tuple(x.shape for x in lv)
                    entry.fast.append((self._tree, (td, shapes)))
                    flat = self._flat.get(td)
                    if flat is None and len(self._flat) < 4:
                        flat = _flattener(args, lv)
                        if flat is not None:
                            self._flat[td] = flat
                    if flat is not None and (flat[1] is _SHAPE or all(x.ndim == 1 for x in lv)):
                        entry.fast.append((flat[2], tuple(map(flat[1], lv))))
        self._last = entry
        return entry, leaves

    def _call(self, args, kwargs):
        entry, leaves = self._lookup(args, kwargs)
        if entry is None:
            return self._bind(args, kwargs, leaves)
        out = entry.run(leaves)
        if entry.unpack is None:
            return out[0]
        return entry.unpack(out[0] if entry.single else tuple(out))

    def _trace(self, key, args, kwargs, leaves, statics):
        avals = [ShapedArray(x.shape, x.dtype) for x in leaves]
        ir, closure, out_tree = self._make_ir(args, kwargs, avals, statics)
        if closure:
            return None
        _log(f"tracing {self._name} for {_describe_sig(avals, statics)}: {self._reason(key)}")
        sir = simplify_ir(ir)
        if tree.treedef_is_leaf(out_tree) and len(sir.outs) == 1:
            out_tree = None  # one array out: returned as is
        entry = Entry(sir, self._name, out_tree)
        self._cache[key] = entry
        return entry

    def _make_ir(self, args, kwargs, avals, statics):
        static_pos = {i: v for i, v in statics if isinstance(i, int)}
        static_kw = {k: v for k, v in statics if isinstance(k, str)}
        n_args = len(args)

        def g(dyn, dkw):
            it = iter(dyn)
            full = [static_pos[i] if i in static_pos else next(it) for i in range(n_args)]
            return self.fun(*full, **dkw, **static_kw)

        dyn = tuple(a for i, a in enumerate(args) if i not in static_pos)
        dkw = {k: v for k, v in kwargs.items() if k not in static_kw}
        _, in_tree = tree.flatten((dyn, dkw))
        out = _Out()
        reason = f"inside jit({self._name}) (its arguments are abstract: shapes and dtypes only)"
        ir, closure = trace_to_ir(flatten_fun(g, in_tree, out), avals, reason)
        return ir, closure, out.treedef

    def _reason(self, key) -> str:
        if not self._cache:
            return "first call"
        treedef, sig, statics = key
        for t, s, st in self._cache:
            if t == treedef and st == statics:
                if [x[1] for x in s] == [x[1] for x in sig]:
                    return f"new shapes (had {_describe_sig(_avals(s), ())})"
                return f"new dtypes (had {_describe_sig(_avals(s), ())})"
        if any(t == treedef for t, _, _ in self._cache):
            return "new static arguments"
        return "new argument structure"

    def _bind(self, args, kwargs, leaves):
        """Inside another trace: record one `jit` equation holding the IR."""
        _, _, statics = self._split(args, kwargs)
        avals = [x.aval if type(x) is Tracer else aval_of(x) for x in leaves]
        ir, closure, out_tree = self._make_ir(args, kwargs, avals, statics)
        outs = jit_p.bind(*closure, *leaves, ir=simplify_ir(ir), name=self._name)
        return tree.unflatten(out_tree, list(outs))

    # inspection and ahead-of-time compilation ------------------------------------

    def _entry(self, args, kwargs) -> Entry:
        if not args and not kwargs:
            if self._last is None:
                raise ValueError(
                    f"jit({self._name}) has not been called yet; pass example arguments: "
                    ".lower(*args)"
                )
            return self._last
        entry, _ = self._lookup(args, kwargs)
        if entry is None:
            raise TypeError(
                f"jit({self._name}): cannot compile ahead of time for traced arguments or a "
                "function closing over traced values"
            )
        return entry

    @property
    def ir(self) -> IR:
        """The simplified IR of the last call (or of .lower(*args))."""
        return self._entry((), {}).ir

    @property
    def source(self) -> str:
        """The generated Python source of the last call (or of .lower(*args))."""
        return self._entry((), {}).lower().source

    def lower(self, *args, **kwargs) -> Staged:
        """Trace and generate code for these arguments; `.compile()` the result."""
        entry = self._entry(args, kwargs)
        entry.lower()
        return Staged(self, entry)

    def compile(self, *args, **kwargs) -> Jitted:
        """Block until machine code for these arguments is ready; returns this function."""
        self.lower(*args, **kwargs).compile()
        return self


class Staged:
    """A traced and lowered signature of a jitted function."""

    def __init__(self, jitted: Jitted, entry: Entry):
        self.jitted, self.entry = jitted, entry

    @property
    def ir(self) -> IR:
        return self.entry.ir

    @property
    def source(self) -> str:
        return self.entry.lower().source

    def compile(self) -> Jitted:
        self.entry.wait()
        return self.jitted


def _avals(sig):
    return [ShapedArray(s, d) for s, d in sig]


def _describe_sig(avals, statics) -> str:
    text = ", ".join(str(a) for a in avals) or "no array arguments"
    if statics:
        text += "; static " + ", ".join(f"{k}={v!r}" for k, v in statics)
    return text
