"""JAX's `lax` functional API on tracejit's primitives: strict elementwise math here;
shapes, slicing, selection and sorting in _lax_shape.py; reductions, reduce_window and
scans in _lax_reduce.py; dot products and convolutions in _lax_conv.py; gather and
scatter in _lax_gather.py. All of it is re-exported by tracejit/lax.py.

Every function is a composite of registered primitives, so grad, vmap and jit need no
new rules. lax is strict where tracejit.numpy is forgiving:

- operands have equal dtypes, else TypeError (`lax.add requires arguments to have the
  same dtypes, got float32, float64`). A bare Python scalar takes the dtype of an array
  operand of its own kind (int with integers, float with floats), as a weakly typed
  JAX scalar does; anything else is an error.
- operands have equal ranks (0-d operands broadcast); size-1 axes stretch.
- each function accepts the dtype kinds JAX's does (`sin` of an int is a TypeError).

Integer semantics follow XLA: `div` truncates towards zero, `rem` takes the sign of the
dividend (C fmod), shifts by a negative amount or by the bit width or more give 0 (or -1
for an arithmetic right shift of a negative number), float-to-int conversion saturates
and sends NaN to 0.
"""

from __future__ import annotations

import enum

import numpy as np

from .ops import bits as _bits
from .ops import elementwise as ew
from .ops import special as _sp
from .ops.common import dtype_of, shape_of
from .ops.indexing import gather as _gather
from .ops.shape import broadcast_in_dim as _bid
from .trace import Tracer

__all__ = (
    "RoundingMethod Precision abs acos acosh add asin asinh atan atan2 atanh bessel_i0e "
    "bessel_i1e betainc digamma igamma igamma_grad_a igammac lgamma polygamma zeta bitwise_and "
    "bitwise_not bitwise_or bitwise_xor cbrt ceil clamp clz convert_element_type cos cosh "
    "div eq erf erf_inv erfc exp exp2 expm1 floor ge gt integer_pow is_finite le log "
    "log1p logistic lt max min mul ne neg nextafter population_count pow reciprocal rem "
    "round rsqrt shift_left shift_right_arithmetic shift_right_logical sign sin sinh sqrt "
    "square sub tan tanh"
).split()


class RoundingMethod(enum.IntEnum):
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


class Precision(enum.Enum):
    """Accepted for JAX compatibility and ignored: CPU matmuls are exact in their dtype."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2


# ---------------------------------------------------------------------------
# operand rules

_WEAK = (int, float, complex)  # bare Python scalars (bool is never weak)
FLOAT, INT, BITS = "fc", "iu", "iub"
NUM, ORD, ANY = "iufc", "iufb", "iufcb"
_KIND_TEXT = {"i": "integer", "u": "integer", "f": "floating", "c": "complexfloating", "b": "bool"}


def _arr(x):
    """An operand as an array: tracers and NumPy arrays stay, anything else np.asarray."""
    if type(x) is Tracer or type(x) is np.ndarray:
        return x
    return np.asarray(x)


def _weak_fits(x, dtype) -> bool:
    kind = np.dtype(dtype).kind
    return (
        (type(x) is int and kind in "iu")
        or (type(x) is float and kind in "fc")
        or (type(x) is complex and kind == "c")
    )


def accept(name: str, x, kinds: str, position: int | None = None):
    """Raise JAX's TypeError unless x's dtype kind is one of `kinds`."""
    dt = dtype_of(x)
    if dt.kind not in kinds:
        what = ", ".join(dict.fromkeys(_KIND_TEXT[k] for k in kinds))
        at = "" if position is None else f" at position {position}"
        raise TypeError(
            f"{name} does not accept dtype {dt.name}{at}. Accepted dtypes{at} are subtypes "
            f"of {what}."
        )
    return x


def same_dtypes(name: str, *xs) -> list:
    """Operands as arrays of one dtype; a weak Python scalar adopts an array's dtype."""
    ref = next((x for x in xs if type(x) not in _WEAK), None)
    target = None if ref is None else dtype_of(_arr(ref))
    out = []
    for x in xs:
        if type(x) in _WEAK and target is not None and _weak_fits(x, target):
            out.append(np.asarray(x, target))
        else:
            out.append(_arr(x))
    dts = [dtype_of(x) for x in out]
    if len(set(dts)) > 1:
        raise TypeError(
            f"lax.{name} requires arguments to have the same dtypes, got "
            f"{', '.join(d.name for d in dts)}. (Tip: tracejit.numpy.{name} is a similar "
            "function that does automatic type promotion on inputs)."
        )
    return out


def same_shapes(name: str, xs: list) -> list:
    """Equal ranks (0-d operands broadcast by the primitives); size-1 axes stretched."""
    shapes = [shape_of(x) for x in xs]
    ranks = {len(s) for s in shapes if s}
    if len(ranks) > 1:
        raise TypeError(
            f"{name}: arrays must have the same number of dimensions, got "
            f"{ {len(s) for s in shapes} }"
        )
    if not ranks:
        return xs
    target = []
    for k in range(ranks.pop()):
        sizes = {s[k] for s in shapes if s} - {1}
        if len(sizes) > 1:
            raise TypeError(
                f"{name} got incompatible shapes for broadcasting: {', '.join(map(str, shapes))}."
            )
        target.append(sizes.pop() if sizes else 1)
    target = tuple(target)
    nd = tuple(range(len(target)))
    return [
        x if shape_of(x) in ((), target) else _bid(x, shape=target, broadcast_dimensions=nd)
        for x in xs
    ]


def _nary(name: str, kinds: str, *xs) -> list:
    xs = same_dtypes(name, *xs)
    for i, x in enumerate(xs):
        accept(name, x, kinds, position=i if len(xs) > 1 else None)
    return same_shapes(name, xs)


def _unary(name: str, x, kinds: str = FLOAT):
    return accept(name, _arr(x), kinds)


def lit(value, like) -> np.ndarray:
    return np.asarray(value, dtype=dtype_of(like))


# ---------------------------------------------------------------------------
# unary math (`accuracy=` is JAX's hint for approximate kernels; results here are exact)


def neg(x):
    return ew.neg(_unary("neg", x, NUM))


def sign(x):
    return ew.sign(_unary("sign", x, NUM))


def abs(x):
    return ew.abs(_unary("abs", x, "ifc"))


def floor(x):
    return ew.floor(_unary("floor", x))


def ceil(x):
    return ew.ceil(_unary("ceil", x))


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):
    """Round to an integral value; halves go away from zero (default) or to even."""
    x = _unary("round", x, "f")
    if RoundingMethod(int(rounding_method)) == RoundingMethod.TO_NEAREST_EVEN:
        return ew.round(x)
    # x - trunc(x) is exact in floating point, so a half is detected exactly
    trunc = ew.select(ew.lt(x, lit(0, x)), ew.ceil(x), ew.floor(x))
    half = ew.eq(ew.abs(ew.sub(x, trunc)), lit(0.5, x))
    return ew.select(half, ew.add(trunc, ew.sign(x)), ew.round(x))


def is_finite(x):
    x = _unary("is_finite", x, "f")
    with np.errstate(invalid="ignore"):  # inf - inf and nan - nan are nan: that is the test
        return ew.eq(ew.sub(x, x), lit(0, x))


def exp(x, *, accuracy=None):
    return ew.exp(_unary("exp", x))


def exp2(x, *, accuracy=None):
    return ew.exp2(_unary("exp2", x))


def expm1(x, *, accuracy=None):
    return ew.expm1(_unary("expm1", x))


def log(x, *, accuracy=None):
    return ew.log(_unary("log", x))


def log1p(x, *, accuracy=None):
    return ew.log1p(_unary("log1p", x))


def sqrt(x, *, accuracy=None):
    return ew.sqrt(_unary("sqrt", x))


def rsqrt(x, *, accuracy=None):
    return ew.rsqrt(_unary("rsqrt", x))


def cbrt(x, *, accuracy=None):
    return ew.cbrt(_unary("cbrt", x, "f"))


def sin(x, *, accuracy=None):
    return ew.sin(_unary("sin", x))


def cos(x, *, accuracy=None):
    return ew.cos(_unary("cos", x))


def tan(x, *, accuracy=None):
    return ew.tan(_unary("tan", x))


def asin(x):
    return ew.asin(_unary("asin", x))


def acos(x):
    return ew.acos(_unary("acos", x))


def atan(x):
    return ew.atan(_unary("atan", x))


def sinh(x):
    return ew.sinh(_unary("sinh", x))


def cosh(x):
    return ew.cosh(_unary("cosh", x))


def tanh(x, *, accuracy=None):
    return ew.tanh(_unary("tanh", x))


def asinh(x):
    return ew.asinh(_unary("asinh", x))


def acosh(x):
    return ew.acosh(_unary("acosh", x))


def atanh(x):
    return ew.atanh(_unary("atanh", x))


def logistic(x, *, accuracy=None):
    return ew.logistic(_unary("logistic", x))


def erf(x):
    return ew.erf(_unary("erf", x, "f"))


def erfc(x):
    return _bits.erfc(_unary("erfc", x, "f"))


def erf_inv(x):
    return ew.erf_inv(_unary("erf_inv", x, "f"))


def square(x):
    x = _unary("square", x, NUM)
    return ew.mul(x, x)


def reciprocal(x):
    x = _unary("reciprocal", x)
    return ew.div(lit(1, x), x)


def integer_pow(x, y: int):
    x = _unary("integer_pow", x, NUM)
    if int(y) < 0 and dtype_of(x).kind in "iu":
        raise TypeError(
            f"Integers cannot be raised to negative powers, got integer_pow({dtype_of(x).name}"
            f"{list(shape_of(x))}, {int(y)})"
        )
    return ew.integer_pow(x, y=int(y))


# ---------------------------------------------------------------------------
# special functions (primitives in ops/special.py)


def lgamma(x):
    return _sp.lgamma(_unary("lgamma", x, "f"))


def digamma(x):
    return _sp.digamma(_unary("digamma", x, "f"))


def polygamma(m, x):
    return _sp.polygamma(*_nary("polygamma", "f", m, x))


def igamma(a, x):
    return _sp.igamma(*_nary("igamma", "f", a, x))


def igammac(a, x):
    return _sp.igammac(*_nary("igammac", "f", a, x))


def igamma_grad_a(a, x):
    return _sp.igamma_grad_a(*_nary("igamma_grad_a", "f", a, x))


def zeta(x, q):
    return _sp.zeta(*_nary("zeta", "f", x, q))


def bessel_i0e(x):
    return _sp.bessel_i0e(_unary("bessel_i0e", x, "f"))


def bessel_i1e(x):
    return _sp.bessel_i1e(_unary("bessel_i1e", x, "f"))


def betainc(a, b, x):
    return _sp.betainc(*_nary("betainc", "f", a, b, x))


# ---------------------------------------------------------------------------
# binary arithmetic


def add(x, y):
    return ew.add(*_nary("add", NUM, x, y))


def sub(x, y):
    return ew.sub(*_nary("sub", NUM, x, y))


def mul(x, y, *, out_dtype=None):
    """x * y; with `out_dtype`, both operands are converted to it first."""
    if out_dtype is not None:
        x, y = (convert_element_type(v, out_dtype) for v in (x, y))
    return ew.mul(*_nary("mul", NUM, x, y))


def div(x, y):
    """x / y; for integers the quotient truncates towards zero and x / 0 is -1 (XLA)."""
    x, y = _nary("div", NUM, x, y)
    dt = dtype_of(x)
    if dt.kind not in "iu":
        return ew.div(x, y)
    zero = ew.eq(y, lit(0, y))
    safe = ew.select(zero, lit(1, y), y)
    if dt.kind == "u":
        q = ew.floor_divide(x, safe)
    else:
        q = ew.floor_divide(ew.abs(x), ew.abs(safe))
        q = ew.select(ew.ne(ew.lt(x, lit(0, x)), ew.lt(y, lit(0, y))), ew.neg(q), q)
    return ew.select(zero, np.asarray(-1).astype(dt), q)  # all bits set


def rem(x, y):
    """The remainder of x / y with the sign of x (C fmod); integer x % 0 is x (XLA)."""
    x, y = _nary("rem", "iuf", x, y)
    dt = dtype_of(x)
    if dt.kind == "f":
        return ew.mul(ew.sign(x), ew.rem(ew.abs(x), ew.abs(y)))
    zero = ew.eq(y, lit(0, y))
    safe = ew.select(zero, lit(1, y), y)
    if dt.kind == "u":
        r = ew.rem(x, safe)
    else:
        r = ew.rem(ew.abs(x), ew.abs(safe))
        r = ew.select(ew.lt(x, lit(0, x)), ew.neg(r), r)
    return ew.select(zero, x, r)


def pow(x, y):
    """x ** y for a float x; y is of x's dtype or an integer (then converted)."""
    x = _unary("pow", x)
    if type(y) is int or (type(y) is not float and dtype_of(_arr(y)).kind in "iu"):
        y = ew.convert_element_type(_arr(y), new_dtype=dtype_of(x))
    return ew.pow(*_nary("pow", FLOAT, x, y))


def max(x, y):
    return ew.max(*_nary("max", ANY, x, y))


def min(x, y):
    return ew.min(*_nary("min", ANY, x, y))


def atan2(x, y):
    return ew.atan2(*_nary("atan2", "f", x, y))


def nextafter(x1, x2):
    return _bits.nextafter(*_nary("nextafter", "f", x1, x2))


def clamp(min, x, max):
    """min(max(x, min), max) elementwise; min and max are 0-d or of x's shape."""
    lo, x, hi = same_dtypes("clamp", min, x, max)
    for name, b in (("min", lo), ("max", hi)):
        if shape_of(b) not in ((), shape_of(x)):
            raise TypeError(
                f"clamp requires {name}.shape == operand.shape or {name}.shape == (), got "
                f"{shape_of(b)} and operand.shape {shape_of(x)}."
            )
    return ew.min(ew.max(x, lo), hi)


# ---------------------------------------------------------------------------
# comparisons and bitwise logic


def eq(x, y):
    return ew.eq(*_nary("eq", ANY, x, y))


def ne(x, y):
    return ew.ne(*_nary("ne", ANY, x, y))


def lt(x, y):
    return ew.lt(*_nary("lt", ORD, x, y))


def le(x, y):
    return ew.le(*_nary("le", ORD, x, y))


def gt(x, y):
    return ew.gt(*_nary("gt", ORD, x, y))


def ge(x, y):
    return ew.ge(*_nary("ge", ORD, x, y))


def bitwise_and(x, y):
    return ew.and_(*_nary("bitwise_and", BITS, x, y))


def bitwise_or(x, y):
    return ew.or_(*_nary("bitwise_or", BITS, x, y))


def bitwise_xor(x, y):
    return ew.xor(*_nary("bitwise_xor", BITS, x, y))


def bitwise_not(x):
    return ew.not_(_unary("bitwise_not", x, BITS))


# ---------------------------------------------------------------------------
# integer bit operations, from multiply / floor_divide by powers of two (a table gather)


def _bits_of(x) -> int:
    return dtype_of(x).itemsize * 8


def _unsigned(x):
    """x reinterpreted as the unsigned type of its width (the conversion wraps)."""
    u = np.dtype(f"uint{_bits_of(x)}")
    return ew.convert_element_type(x, new_dtype=u)


def _pow2(y, dtype):
    """2 ** y as `dtype`, wrapping (so 2 ** (bits - 1) is negative for signed types);
    y is clipped into [0, bits) by the gather."""
    dtype = np.dtype(dtype)
    table = np.array([1 << k for k in range(dtype.itemsize * 8)], np.uint64).astype(dtype)
    return _gather(table, ew.convert_element_type(y, new_dtype=np.dtype(np.int64)), axis=0)


def _in_range(y, hi: int):
    """0 <= y < hi."""
    below = ew.lt(y, lit(hi, y))
    return below if dtype_of(y).kind == "u" else ew.and_(below, ew.ge(y, lit(0, y)))


def shift_left(x, y):
    x, y = _nary("shift_left", INT, x, y)
    out = ew.mul(x, _pow2(y, dtype_of(x)))  # integer multiply wraps like a shift
    return ew.select(_in_range(y, _bits_of(x)), out, lit(0, x))


def _shift_right_unsigned(x, y):
    out = ew.floor_divide(x, _pow2(y, dtype_of(x)))
    return ew.select(_in_range(y, _bits_of(x)), out, lit(0, x))


def shift_right_logical(x, y):
    x, y = _nary("shift_right_logical", INT, x, y)
    if dtype_of(x).kind == "u":
        return _shift_right_unsigned(x, y)
    out = _shift_right_unsigned(_unsigned(x), _unsigned(y))
    return ew.convert_element_type(out, new_dtype=dtype_of(x))


def shift_right_arithmetic(x, y):
    x, y = _nary("shift_right_arithmetic", INT, x, y)
    if dtype_of(x).kind == "u":  # the bits as a signed number, as XLA does
        signed = np.dtype(f"int{_bits_of(x)}")
        sx, sy = (ew.convert_element_type(v, new_dtype=signed) for v in (x, y))
        return ew.convert_element_type(shift_right_arithmetic(sx, sy), new_dtype=dtype_of(x))
    # floor division by 2**y is an arithmetic shift; shifts by bits-1 or more fill the sign
    out = ew.floor_divide(x, _pow2(y, dtype_of(x)))
    fill = ew.select(ew.lt(x, lit(0, x)), lit(-1, x), lit(0, x))
    return ew.select(_in_range(y, _bits_of(x) - 1), out, fill)


_POPCOUNT_BYTE = np.array([bin(i).count("1") for i in range(256)], np.uint8)


def population_count(x):
    """The number of set bits of each element (of its two's complement bits)."""
    x = _unary("population_count", x, INT)
    u, dt = _unsigned(x), dtype_of(x)
    total = None
    for k in range(dt.itemsize):
        byte = u if k == 0 else ew.floor_divide(u, lit(256**k, u))
        if dt.itemsize > 1:
            byte = ew.rem(byte, lit(256, u))
        idx = ew.convert_element_type(byte, new_dtype=np.dtype(np.int64))
        count = _gather(_POPCOUNT_BYTE.astype(dt), idx, axis=0)
        total = count if total is None else ew.add(total, count)
    return total


def clz(x):
    """The number of leading zero bits of each element (the bit width for 0)."""
    x = _unary("clz", x, INT)
    u, nbits = _unsigned(x), _bits_of(x)
    # binary search for the highest set bit: halve the width until one bit is left
    top = lit(0, u)
    s = nbits // 2
    while s:
        big = ew.ge(u, lit(1 << s, u))
        u = ew.select(big, ew.floor_divide(u, lit(1 << s, u)), u)
        top = ew.add(top, ew.select(big, lit(s, u), lit(0, u)))
        s //= 2
    bit_length = ew.add(top, u)  # u is now 0 or 1
    out = ew.sub(lit(nbits, bit_length), bit_length)
    return ew.convert_element_type(out, new_dtype=dtype_of(x))


# ---------------------------------------------------------------------------
# conversion


def convert_element_type(operand, new_dtype):
    """operand as new_dtype. Float to integer saturates at the integer range and sends
    NaN to 0 (as XLA); integer narrowing wraps; nonzero is True."""
    x, new = _arr(operand), np.dtype(new_dtype)
    src = dtype_of(x)
    if src == new:
        return x
    if src.kind != "f" or new.kind not in "iu":
        return ew.convert_element_type(x, new_dtype=new)
    info = np.iinfo(new)
    # the widest float range that converts exactly: the float nearest each bound, stepped
    # inside the range if it rounded outside (float32(2**31 - 1) is 2**31)
    bounds = []
    for b in (info.min, info.max):
        f = src.type(b)
        if not (info.min <= float(f) <= info.max):
            f = np.nextafter(f, src.type(0))
        bounds.append(np.asarray(f))
    lo, hi = bounds
    out = ew.convert_element_type(ew.min(ew.max(x, lo), hi), new_dtype=new)
    out = ew.select(ew.gt(x, hi), np.asarray(info.max, new), out)
    out = ew.select(ew.lt(x, lo), np.asarray(info.min, new), out)
    return ew.select(ew.ne(x, x), np.asarray(0, new), out)


# the rest of the API, re-exported so tracejit/lax.py needs one import
from ._lax_conv import *  # noqa: E402, F403
from ._lax_conv import __all__ as _conv_all  # noqa: E402
from ._lax_gather import *  # noqa: E402, F403
from ._lax_gather import __all__ as _gather_all  # noqa: E402
from ._lax_reduce import *  # noqa: E402, F403
from ._lax_reduce import __all__ as _reduce_all  # noqa: E402
from ._lax_shape import *  # noqa: E402, F403
from ._lax_shape import __all__ as _shape_all  # noqa: E402

__all__ += _conv_all + _gather_all + _reduce_all + _shape_all
