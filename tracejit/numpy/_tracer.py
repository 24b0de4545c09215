"""Operators and array methods of Tracer, attached when tracejit.numpy is imported.

trace.py defines a bare Tracer (no operators) so that the core does not depend on
NumPy's semantics; here each operator is the tracejit.numpy function of the same
meaning, so `x + 1`, `x[0]`, `x.sum(axis=0)` and `np.sin(x)` record primitives exactly
as `tnp.add(x, 1)`, ... would. NumPy functions applied to a tracer dispatch through
`__array_ufunc__` / `__array_function__` to the tracejit.numpy function of the same
name, or fail with a message naming the missing function; they never run NumPy on a
tracer.
"""

from __future__ import annotations

from ..trace import Tracer
from . import _creation, _dot, _indexing, _logic, _math, _reductions, _shape, _sorting


def _rev(fn):
    """The reflected operator: other OP self."""

    def op(self, other):
        return fn(other, self)

    return op


def _shape_args(args):
    """x.reshape(2, 3) and x.reshape((2, 3)) mean the same; so do transpose's axes."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _reshape(self, *shape, order="C"):
    return _shape.reshape(self, _shape_args(shape), order=order)


def _transpose(self, *axes):
    axes = _shape_args(axes)
    return _shape.transpose(self, axes if axes and axes != (None,) else None)


def _setitem(self, idx, value):
    raise TypeError(
        "tracejit arrays are immutable: x[idx] = y is not supported; use "
        "x = x.at[idx].set(y) (or .add, .multiply, .min, .max) for a functional update"
    )


def _not_supported(name):
    def op(self, *args):
        raise NotImplementedError(f"Tracer.{name} is not implemented in tracejit.numpy")

    return op


def _dispatch_target(module: str, name: str):
    """The tracejit.numpy function standing for numpy.<module>.<name>, or None."""
    from . import _public, linalg

    if module in ("numpy", "numpy._core.fromnumeric", "numpy._core.numeric"):
        return _public().get(name)
    if module.startswith("numpy.linalg"):
        return getattr(linalg, "_PUBLIC", {}).get(name)
    return None


_REDUCE = {
    "add": "sum",
    "multiply": "prod",
    "maximum": "max",
    "minimum": "min",
    "logical_and": "all",
    "logical_or": "any",
}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    from . import _public

    table = _public()
    if kwargs.get("out") is not None:
        raise TypeError(f"numpy.{ufunc.__name__}(..., out=) cannot write into a traced array")
    if method == "__call__" and ufunc.__name__ in table:
        return table[ufunc.__name__](*inputs, **kwargs)
    if method == "reduce" and ufunc.__name__ in _REDUCE:
        kwargs.setdefault("axis", 0)
        return table[_REDUCE[ufunc.__name__]](*inputs, **kwargs)
    if method == "accumulate" and ufunc.__name__ in ("add", "multiply"):
        kwargs.setdefault("axis", 0)
        return table["cumsum" if ufunc.__name__ == "add" else "cumprod"](*inputs, **kwargs)
    what = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
    raise NotImplementedError(
        f"numpy.{what} was called on a traced array, and tracejit.numpy has no "
        f"equivalent; write it with tracejit.numpy functions"
    )


def _array_function(self, func, types, args, kwargs):
    target = _dispatch_target(getattr(func, "__module__", "") or "", func.__name__)
    if target is None:
        raise NotImplementedError(
            f"{func.__module__}.{func.__name__} was called on a traced array, and "
            f"tracejit.numpy.{func.__name__} is not implemented; write it with tracejit.numpy "
            "functions"
        )
    return target(*args, **kwargs)


def _copy(self, order="C"):
    return self


def _identity(self):
    return _logic.conjugate(self)


def _flatten(self, order="C"):
    return _shape.ravel(self, order)


def _nonzero(self):
    return _indexing.nonzero(self)


def attach() -> None:
    """Give Tracer NumPy's operators and array methods (idempotent)."""
    T = Tracer
    m = _math
    lg = _logic
    binary = {
        "add": m.add,
        "sub": m.subtract,
        "mul": m.multiply,
        "truediv": m.true_divide,
        "floordiv": m.floor_divide,
        "mod": m.remainder,
        "pow": m.power,
        "matmul": _dot.matmul,
        "and": lg.bitwise_and,
        "or": lg.bitwise_or,
        "xor": lg.bitwise_xor,
        "divmod": m.divmod,
    }
    for name, fn in binary.items():
        setattr(T, f"__{name}__", lambda self, other, _fn=fn: _fn(self, other))
        setattr(T, f"__r{name}__", _rev(fn))
    T.__lt__ = lambda self, other: lg.less(self, other)
    T.__le__ = lambda self, other: lg.less_equal(self, other)
    T.__gt__ = lambda self, other: lg.greater(self, other)
    T.__ge__ = lambda self, other: lg.greater_equal(self, other)
    T.__eq__ = lambda self, other: lg.equal(self, other)
    T.__ne__ = lambda self, other: lg.not_equal(self, other)
    T.__neg__ = lambda self: m.negative(self)
    T.__pos__ = lambda self: m.positive(self)
    T.__abs__ = lambda self: m.absolute(self)
    T.__invert__ = lambda self: lg.invert(self)
    T.__round__ = lambda self, ndigits=None: m.round(self, ndigits or 0)
    T.__lshift__ = T.__rlshift__ = _not_supported("__lshift__")
    T.__rshift__ = T.__rrshift__ = _not_supported("__rshift__")
    T.__getitem__ = _indexing.getitem
    T.__setitem__ = _setitem
    T.__array_ufunc__ = _array_ufunc
    T.__array_function__ = _array_function

    T.T = property(lambda self: _shape.transpose(self))
    T.mT = property(lambda self: _shape.matrix_transpose(self))
    T.at = property(lambda self: _indexing._IndexUpdateHelper(self))
    T.real = property(_identity)
    T.imag = property(lambda self: _logic.imag(self))
    T.conj = _identity
    T.conjugate = _identity
    T.reshape = _reshape
    T.transpose = _transpose
    T.astype = lambda self, dtype, copy=True: _creation.asarray(self, dtype)
    T.copy = _copy
    T.ravel = _flatten
    T.flatten = _flatten
    T.squeeze = lambda self, axis=None: _shape.squeeze(self, axis)
    T.swapaxes = lambda self, axis1, axis2: _shape.swapaxes(self, axis1, axis2)
    T.repeat = lambda self, repeats, axis=None: _shape.repeat(self, repeats, axis)
    T.diagonal = lambda self, offset=0, axis1=0, axis2=1: _shape.diagonal(
        self, offset, axis1, axis2
    )
    T.trace = lambda self, offset=0, axis1=0, axis2=1, dtype=None: _shape.trace(
        self, offset, axis1, axis2, dtype
    )
    T.dot = lambda self, b: _dot.dot(self, b)
    T.clip = lambda self, min=None, max=None: _math.clip(self, min, max)
    T.round = lambda self, decimals=0: _math.round(self, decimals)
    T.take = lambda self, indices, axis=None, mode=None: _indexing.take(
        self, indices, axis, mode=mode
    )
    T.nonzero = _nonzero
    T.argsort = lambda self, axis=-1, kind=None, order=None: _sorting.argsort(self, axis)
    r = _reductions
    T.sum = lambda self, axis=None, dtype=None, out=None, keepdims=False, **kw: r.sum(
        self, axis, dtype, out, keepdims, **kw
    )
    T.prod = lambda self, axis=None, dtype=None, out=None, keepdims=False, **kw: r.prod(
        self, axis, dtype, out, keepdims, **kw
    )
    T.mean = lambda self, axis=None, dtype=None, out=None, keepdims=False, **kw: r.mean(
        self, axis, dtype, out, keepdims, **kw
    )
    T.var = lambda self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw: r.var(
        self, axis, dtype, out, ddof, keepdims, **kw
    )
    T.std = lambda self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw: r.std(
        self, axis, dtype, out, ddof, keepdims, **kw
    )
    T.max = lambda self, axis=None, out=None, keepdims=False, **kw: r.max(
        self, axis, out, keepdims, **kw
    )
    T.min = lambda self, axis=None, out=None, keepdims=False, **kw: r.min(
        self, axis, out, keepdims, **kw
    )
    T.argmax = lambda self, axis=None, out=None, *, keepdims=False: r.argmax(
        self, axis, out, keepdims=keepdims
    )
    T.argmin = lambda self, axis=None, out=None, *, keepdims=False: r.argmin(
        self, axis, out, keepdims=keepdims
    )
    T.all = lambda self, axis=None, out=None, keepdims=False, **kw: r.all(
        self, axis, out, keepdims, **kw
    )
    T.any = lambda self, axis=None, out=None, keepdims=False, **kw: r.any(
        self, axis, out, keepdims, **kw
    )
    T.cumsum = lambda self, axis=None, dtype=None, out=None: r.cumsum(self, axis, dtype, out)
    T.cumprod = lambda self, axis=None, dtype=None, out=None: r.cumprod(self, axis, dtype, out)
