"""The smaller pieces of JAX's top-level API, for code written against JAX.

- ``disable_jit()``: a context in which jitted functions run as plain Python, on
  concrete values (so ``print`` and Python control flow see numbers).
- ``ensure_compile_time_eval()``: a no-op context. tracejit already evaluates, while
  tracing, everything that does not depend on a traced argument.
- ``block_until_ready``, ``device_put``, ``device_get``: results are NumPy arrays in host
  memory, computed before the call returns, so these are (almost) identities.
- ``ShapeDtypeStruct`` and ``eval_shape``, which returns ShapeDtypeStructs as JAX does
  (``tracejit.api.eval_shape`` returns the IR's ShapedArrays) and accepts them as inputs.
- ``custom_gradient``, ``closure_convert``, ``named_call``, ``make_jaxpr`` (the IR of
  ``make_ir``), ``typeof``, ``checkpoint_policies``, ``pure_callback``.

Compiled code cannot call back into Python here, and tracing under jit (or vmap, or
inside a loop body) sees shapes only; so ``pure_callback`` and ``tracejit.debug`` work
where values are concrete (eagerly, and under grad/jvp outside jit) and raise a
ConcretizationError naming the way out elsewhere.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import types
from typing import Callable, Sequence

import numpy as np

from . import api, tree
from .api import _Out, as_array, flatten_fun, make_ir
from .custom import custom_jvp, custom_vjp
from .ir import ShapedArray
from .jit import Jitted
from .trace import ConcretizationError, Tracer, eval_ir, trace_to_ir, user_src

__all__ = [
    "ShapeDtypeStruct",
    "block_until_ready",
    "checkpoint_policies",
    "closure_convert",
    "custom_gradient",
    "device_get",
    "device_put",
    "disable_jit",
    "ensure_compile_time_eval",
    "eval_shape",
    "make_jaxpr",
    "named_call",
    "pure_callback",
    "typeof",
]


# ---------------------------------------------------------------------------
# disable_jit

_local = threading.local()  # .stack: this thread's disable_jit(disable) values, innermost last
_swap = threading.Lock()
_users = [0]  # open disable_jit contexts, all threads
_jitted_call: list = []  # Jitted.__call__ while a context is open


def _call_or_run_plain(self, *args, **kwargs):
    stack = getattr(_local, "stack", None)
    if stack and stack[-1]:
        return self.fun(*args, **kwargs)
    return _jitted_call[0](self, *args, **kwargs)


@contextlib.contextmanager
def disable_jit(disable: bool = True):
    """Within the context (in this thread), a call of a jitted function runs the Python
    function itself: eagerly on concrete values, or traced into the caller's transform.
    ``disable_jit(False)`` turns jit back on in a nested context.

    While a context is open anywhere, ``Jitted.__call__`` is replaced by a function that
    checks this thread's setting first; outside contexts jit's dispatch is untouched.
    """
    stack = _local.__dict__.setdefault("stack", [])
    with _swap:
        if _users[0] == 0:
            _jitted_call[:] = [Jitted.__call__]
            Jitted.__call__ = _call_or_run_plain
        _users[0] += 1
    stack.append(bool(disable))
    try:
        yield
    finally:
        stack.pop()
        with _swap:
            _users[0] -= 1
            if _users[0] == 0:
                Jitted.__call__ = _jitted_call.pop()


@contextlib.contextmanager
def ensure_compile_time_eval():
    """Accepted for JAX code; does nothing. Operations on values that do not depend on
    a traced argument already run eagerly while tracing, under jit too."""
    yield


# ---------------------------------------------------------------------------
# arrays on the host


def block_until_ready(x):
    """``x`` itself: results are computed before a tracejit call returns."""
    return x


def device_put(x, device=None, *, src=None, donate=False, may_alias=None):
    """Every leaf as a NumPy array (tracers unchanged); there is one device, the host.
    A NumPy array is returned as is, or copied if ``may_alias=False``."""
    if may_alias and donate:
        raise ValueError("may_alias and donate cannot be True at the same time.")

    def put(leaf):
        if isinstance(leaf, Tracer):
            return leaf
        return np.array(leaf) if may_alias is False else np.asarray(leaf)

    return tree.map(put, x)


def device_get(x):
    """NumPy arrays stay, array-likes become NumPy arrays, other leaves stay as they are."""

    def get(leaf):
        if isinstance(leaf, Tracer):
            raise ConcretizationError(
                f"device_get of a traced value {leaf.aval} (at {user_src()}): under a "
                "transform the value is not available; return it from the function instead"
            )
        return np.asarray(leaf) if hasattr(leaf, "__array__") else leaf

    return tree.map(get, x)


# ---------------------------------------------------------------------------
# shapes and types


class ShapeDtypeStruct:
    """A shape and a dtype, standing for an array: what ``eval_shape`` returns, and an
    input it (and ``make_jaxpr``, ``linear_transpose``) accepts. Equal and hashable by
    (shape, dtype, weak_type); ``sharding`` is accepted and kept, with no meaning here."""

    __slots__ = ("shape", "dtype", "sharding", "weak_type")

    def __init__(self, shape, dtype, *, sharding=None, weak_type: bool = False, **_):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.sharding = sharding
        self.weak_type = bool(weak_type)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def update(self, **kwargs) -> ShapeDtypeStruct:
        fields = {s: getattr(self, s) for s in self.__slots__} | kwargs
        return ShapeDtypeStruct(**fields)

    def __eq__(self, other) -> bool:
        if not isinstance(other, ShapeDtypeStruct):
            return NotImplemented
        return (self.shape, self.dtype, self.weak_type) == (
            other.shape,
            other.dtype,
            other.weak_type,
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.weak_type))

    def __repr__(self) -> str:
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    __str__ = __repr__


def eval_shape(fun: Callable, *args, **kwargs):
    """The shapes and dtypes of ``fun``'s outputs, as a pytree of ShapeDtypeStruct,
    computing nothing. Arguments: arrays, scalars, or anything with .shape and .dtype."""
    out = api.eval_shape(fun, *args, **kwargs)
    return tree.map(lambda a: ShapeDtypeStruct(a.shape, a.dtype), out)


def typeof(x) -> ShapedArray:
    """The abstract value (shape and dtype) of an array, scalar or tracer."""
    if isinstance(x, Tracer):
        return x.aval
    x = np.asarray(x)
    return ShapedArray(x.shape, x.dtype)


def make_jaxpr(
    fun: Callable,
    static_argnums: int | Sequence[int] = (),
    axis_env=None,
    return_shape: bool = False,
    abstracted_axes=None,
):
    """``make_ir`` under JAX's name: ``make_jaxpr(f)(*args)`` is the IR of f on args'
    shapes and dtypes; with ``return_shape``, the pair (IR, output ShapeDtypeStructs).
    Keyword arguments are closed over (their arrays become constants of the IR)."""

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        g = functools.partial(fun, **kwargs) if kwargs else fun
        ir = make_ir(g, static_argnums)(*args)
        if not return_shape:
            return ir
        static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        dyn = [i for i in range(len(args)) if i not in static]

        def h(*d):
            full = list(args)
            for i, v in zip(dyn, d):
                full[i] = v
            return g(*full)

        return ir, eval_shape(h, *[args[i] for i in dyn])

    return wrapped


def named_call(fun: Callable, *, name: str | None = None) -> Callable:
    """``fun`` under the name ``name`` (its ``__name__``, shown by jit's logs); the IR is
    unchanged (it records no call boundaries)."""

    @functools.wraps(fun)
    def call(*args, **kwargs):
        return fun(*args, **kwargs)

    if name is not None:
        call.__name__ = call.__qualname__ = name
    return call


# ---------------------------------------------------------------------------
# derivatives


def custom_gradient(fun: Callable) -> Callable:
    """JAX's custom_gradient: ``fun(*args)`` returns ``(value, vjp_fn)``, and ``vjp_fn(ct)``
    gives one cotangent per argument (a tuple; a bare value for one argument).

    Built on custom_vjp with the arguments as residuals: the backward pass calls ``fun``
    again to rebuild ``vjp_fn`` (its closure is not carried from the forward pass), so
    the forward computation runs twice under reverse mode.
    """

    @functools.wraps(fun)
    def primal(*args):
        return fun(*args)[0]

    def fwd(*args):
        value, _ = fun(*args)
        return value, args

    def bwd(args, ct):
        _, vjp_fn = fun(*args)
        cts = vjp_fn(ct)
        if tree.treedef_is_leaf(tree.structure(cts)) and not isinstance(cts, tuple):
            cts = (cts,)
        return tuple(cts)

    wrapped = custom_vjp(primal)
    wrapped.defvjp(fwd, bwd)
    return wrapped


def closure_convert(fun: Callable, *example_args):
    """``(converted, consts)``: ``converted(*args, *consts)`` computes ``fun(*args)`` for
    arguments shaped like ``example_args``, with the traced values ``fun`` closes over
    (which a custom_vjp's rules cannot see) passed explicitly as ``consts``. NumPy
    constants stay inside, as JAX keeps values that cannot carry a derivative."""
    leaves, in_tree = tree.flatten(example_args)
    avals = [ShapedArray(np.shape(x), typeof(as_array(x)).dtype) for x in leaves]
    out = _Out()
    ir, consts = trace_to_ir(flatten_fun(fun, in_tree, out), avals)
    n = len(consts)

    def converted(*args_and_consts):
        args, given = args_and_consts[: len(args_and_consts) - n], args_and_consts[-n:] if n else ()
        flat, t = tree.flatten(tuple(args))
        if t != in_tree:
            raise TypeError(
                "The inputs to the closure produced by closure_convert must have the same "
                "pytree structure as the example arguments passed when closure_convert "
                f"was called. Expected {in_tree}, but got {t}"
            )
        return tree.unflatten(out.treedef, eval_ir(ir, list(given) + [as_array(x) for x in flat]))

    return converted, list(consts)


def _saveable(*_, **__) -> bool:
    return True


def _not_saveable(*_, **__) -> bool:
    return False


def _names_policy(*names):
    return _not_saveable


checkpoint_policies = types.SimpleNamespace(
    everything_saveable=_saveable,
    nothing_saveable=_not_saveable,
    dots_saveable=_not_saveable,
    checkpoint_dots=_not_saveable,
    dots_with_no_batch_dims_saveable=_not_saveable,
    checkpoint_dots_with_no_batch_dims=_not_saveable,
    offload_dot_with_no_batch_dims=lambda *a, **k: _not_saveable,
    save_any_names_but_these=_names_policy,
    save_anything_except_these_names=_names_policy,
    save_only_these_names=_names_policy,
    save_and_offload_only_these_names=lambda **k: _not_saveable,
    save_from_both_policies=lambda p1, p2: _not_saveable,
)
checkpoint_policies.__doc__ = """JAX's remat policy names, accepted by ``checkpoint(policy=...)``.

tracejit's checkpoint ignores the policy: it keeps the inputs and recomputes every
intermediate (JAX's ``nothing_saveable``), whichever policy is named."""


# ---------------------------------------------------------------------------
# callbacks into Python


def _concrete(x, what: str):
    """The concrete value of a leaf, or a ConcretizationError if it is abstract (under
    jit, vmap or a loop body)."""
    if not isinstance(x, Tracer):
        return x
    if x.val is None:
        raise ConcretizationError(
            f"{what} needs concrete values, but got an abstract {x.aval} (at {user_src()}): "
            "inside jit, vmap and loop bodies values are shapes only, and compiled code "
            "cannot call back into Python. Call it outside jit (or in a "
            "`with tracejit.disable_jit():` block), or return the value instead"
        )
    return x.val


def pure_callback(
    callback: Callable,
    result_shape_dtypes,
    *args,
    sharding=None,
    vmap_method: str | None = None,
    **kwargs,
):
    """``callback(*args, **kwargs)`` on NumPy values, its result checked against
    ``result_shape_dtypes`` (a pytree of anything with .shape and .dtype) and cast to it.

    Works where values are concrete: eagerly, and under grad/jvp outside jit, where the
    result is a constant (differentiating through it raises, as in JAX: wrap the call
    in ``custom_jvp`` to give it a derivative). Under jit, vmap or in a loop body it
    raises a ConcretizationError (compiled code cannot call Python). ``vmap_method`` and
    ``sharding`` are accepted for JAX code.
    """
    specs, spec_tree = tree.flatten(result_shape_dtypes)
    specs = [ShapeDtypeStruct(s.shape, s.dtype) for s in specs]

    def call(*a):
        values = tree.map(lambda x: np.asarray(_concrete(x, "pure_callback")), (a, kwargs))
        out = callback(*values[0], **values[1])
        leaves, t = tree.flatten(out)
        if t != spec_tree:
            raise TypeError(
                f"pure_callback: the callback returned structure {t}, but "
                f"result_shape_dtypes has structure {spec_tree}"
            )
        got = []
        for leaf, s in zip(leaves, specs):
            leaf = np.asarray(leaf)
            if leaf.shape != s.shape:
                raise TypeError(
                    f"pure_callback: the callback returned shape {leaf.shape}, expected "
                    f"{s.shape} (from result_shape_dtypes)"
                )
            got.append(leaf.astype(s.dtype, copy=False))
        return tree.unflatten(spec_tree, got)

    if not any(isinstance(x, Tracer) for x in tree.leaves((args, kwargs))):
        return call(*args)
    wrapped = custom_jvp(call)

    @wrapped.defjvp
    def _no_derivative(primals, tangents):
        raise TypeError(
            "Pure callbacks do not support JVP. Please use `tracejit.custom_jvp` to use "
            "callbacks while taking gradients."
        )

    return wrapped(*args)
