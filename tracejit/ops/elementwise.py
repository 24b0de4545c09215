"""Elementwise primitives: unary math, binary arithmetic, comparisons, select, casts.

Operands have equal dtypes and equal shapes, except that a 0-d operand broadcasts
(tracejit.numpy inserts every other broadcast explicitly). Tangent rules multiply a
tangent by a partial derivative with `tmul`, which gives 0 where the tangent is 0 even
if the partial is inf or NaN: a linear map sends 0 to 0 (see README, "kinks").
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..ir import ShapedArray
from ..trace import Primitive, bind
from .common import UndefinedPrimal, dtype_of, is_float, moveaxis_to, shape_error, shape_of

# ---------------------------------------------------------------------------
# shared rule helpers


def lit(value, like) -> np.ndarray:
    """A 0-d constant with the dtype of `like`, for use inside rules."""
    return np.asarray(value, dtype=dtype_of(like))


def _ew_shape(name: str, out_dtype=None, same_dtype: bool = True):
    def shape(*avals, **params):
        dts = {a.dtype for a in avals}
        if same_dtype and len(dts) > 1:
            raise shape_error(name, f"operand dtypes differ: {', '.join(map(str, avals))}")
        shapes = {a.shape for a in avals if a.shape != ()}
        if len(shapes) > 1:
            raise shape_error(
                name,
                f"operand shapes {' and '.join(str(a.shape) for a in avals)} differ; "
                "primitives need equal shapes (tracejit.numpy broadcasts for you)",
            )
        out_shape = shapes.pop() if shapes else ()
        return ShapedArray(out_shape, np.dtype(out_dtype or avals[-1].dtype))

    return shape


def _unbroadcast(ct, aval: ShapedArray):
    """Sum a cotangent down to a 0-d operand that was broadcast."""
    from .reduce import reduce_sum

    if aval.shape == () and shape_of(ct) != ():
        return reduce_sum(ct, axes=tuple(range(len(shape_of(ct)))))
    return ct


def _bcast_to(x, shape):
    from .shape import broadcast_in_dim

    if shape_of(x) == tuple(shape):
        return x
    return broadcast_in_dim(x, shape=tuple(shape), broadcast_dimensions=())


def vmap_elementwise(prim: Primitive):
    """Batching rule for any elementwise primitive: align batch axes, then bind once."""

    def rule(args, bdims, **params):
        batched = [(a, d) for a, d in zip(args, bdims) if d is not None]
        full = {shape_of(a) for a, _ in batched}
        same_axis = len({d for _, d in batched}) == 1
        unb_scalar = all(shape_of(a) == () for a, d in zip(args, bdims) if d is None)
        if len(full) == 1 and same_axis and unb_scalar:
            return prim.bind(*args, **params), batched[0][1]
        size = shape_of(batched[0][0])[batched[0][1]]
        ex = builtins.max(
            [
                shape_of(a)[:d] + shape_of(a)[d + 1 :] if d is not None else shape_of(a)
                for a, d in zip(args, bdims)
            ],
            key=len,
        )
        out_shape = (size,) + ex
        new = []
        from .shape import broadcast_in_dim

        for a, d in zip(args, bdims):
            if d is None:
                if shape_of(a) != ():
                    a = broadcast_in_dim(
                        a, shape=out_shape, broadcast_dimensions=tuple(range(1, len(out_shape)))
                    )
            else:
                a = moveaxis_to(a, d, 0)
                if shape_of(a) != out_shape:
                    a = broadcast_in_dim(a, shape=out_shape, broadcast_dimensions=(0,))
            new.append(a)
        return prim.bind(*new, **params), 0

    return rule


def _unary(name, impl, jvp=None, doc=None, lower=None, transpose=None):
    p = Primitive(
        name,
        impl=impl,
        shape=_ew_shape(name),
        jvp=(jvp,) if jvp else None,
        transpose=transpose,
        lower=lower,
        doc=doc,
    )
    p.vmap = vmap_elementwise(p)
    return p


def _binary(name, impl, jvp=None, transpose=None, out_dtype=None, lower=None, doc=None):
    p = Primitive(
        name,
        impl=impl,
        shape=_ew_shape(name, out_dtype),
        jvp=jvp,
        transpose=transpose,
        lower=lower,
        doc=doc,
    )
    p.vmap = vmap_elementwise(p)
    return p


# ---------------------------------------------------------------------------
# tmul: tangent times partial derivative, with 0 * anything = 0


def _tmul_impl(t, d):
    with np.errstate(invalid="ignore"):
        out = np.multiply(t, d)
    if np.ndim(out) == 0:
        return np.asarray(0, out.dtype) if t == 0 else np.asarray(out)
    return np.where(np.broadcast_to(t, out.shape) == 0, np.zeros((), out.dtype), out)


def _tmul_transpose(ct, t, d):
    if isinstance(t, UndefinedPrimal):
        return [_unbroadcast(tmul(ct, d), t.aval), None]
    return [None, _unbroadcast(tmul(ct, t), d.aval)]


tmul_p = _binary(
    "tmul",
    _tmul_impl,
    jvp=(lambda tt, out, t, d: tmul(tt, d), lambda td, out, t, d: tmul(t, td)),
    transpose=_tmul_transpose,
    lower="({1} * {0} if {0} != 0 else 0 * {0})",
    doc="t * d, except 0 where t == 0 (even if d is inf or NaN); bilinear.",
)


def tmul(t, d):
    return bind(tmul_p, t, d)


# ---------------------------------------------------------------------------
# linear arithmetic


def _add_transpose(ct, x, y):
    return [
        _unbroadcast(ct, x.aval) if isinstance(x, UndefinedPrimal) else None,
        _unbroadcast(ct, y.aval) if isinstance(y, UndefinedPrimal) else None,
    ]


add_p = _binary(
    "add",
    np.add,
    jvp=(lambda t, out, x, y: t, lambda t, out, x, y: t),
    transpose=_add_transpose,
    lower="({0} + {1})",
)


def add(x, y):
    return bind(add_p, x, y)


def _sub_transpose(ct, x, y):
    return [
        _unbroadcast(ct, x.aval) if isinstance(x, UndefinedPrimal) else None,
        _unbroadcast(neg(ct), y.aval) if isinstance(y, UndefinedPrimal) else None,
    ]


sub_p = _binary(
    "sub",
    np.subtract,
    jvp=(lambda t, out, x, y: t, lambda t, out, x, y: neg(t)),
    transpose=_sub_transpose,
    lower="({0} - {1})",
)


def sub(x, y):
    return bind(sub_p, x, y)


neg_p = _unary(
    "neg",
    np.negative,
    jvp=lambda t, out, x: neg(t),
    transpose=lambda ct, x: [neg(ct)],
    lower="(-{0})",
)


def neg(x):
    return bind(neg_p, x)


def _mul_transpose(ct, x, y):
    if isinstance(x, UndefinedPrimal):
        return [_unbroadcast(mul(ct, y), x.aval), None]
    return [None, _unbroadcast(mul(x, ct), y.aval)]


mul_p = _binary(
    "mul",
    np.multiply,
    jvp=(lambda t, out, x, y: tmul(t, y), lambda t, out, x, y: tmul(t, x)),
    transpose=_mul_transpose,
    lower="({0} * {1})",
)


def mul(x, y):
    return bind(mul_p, x, y)


def _div_impl(x, y):
    if np.issubdtype(np.result_type(x), np.integer):
        raise TypeError("div: integer operands; use floor_divide")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(x, y)


def _div_transpose(ct, x, y):
    assert not isinstance(y, UndefinedPrimal), "div is linear in its first operand only"
    return [_unbroadcast(div(ct, y), x.aval), None]


div_p = _binary(
    "div",
    _div_impl,
    jvp=(
        lambda t, out, x, y: div(t, y),
        lambda t, out, x, y: tmul(t, neg(div(out, y))),
    ),
    transpose=_div_transpose,
    lower="({0} / {1})",
)


def div(x, y):
    return bind(div_p, x, y)


# ---------------------------------------------------------------------------
# nonlinear binary arithmetic


def _zero_jvp2(t, out, x, y):
    return None


def _errstate(fn):
    def impl(*args, **params):
        with np.errstate(all="ignore"):
            return np.asarray(fn(*args, **params))

    impl.__name__ = getattr(fn, "__name__", "impl")
    return impl


floor_divide_p = _binary(
    "floor_divide",
    _errstate(np.floor_divide),
    jvp=(_zero_jvp2, _zero_jvp2),  # piecewise constant, as floor: a zero derivative
    lower=None,
)


def floor_divide(x, y):
    return bind(floor_divide_p, x, y)


rem_p = _binary(
    "rem",
    _errstate(np.remainder),
    jvp=(
        lambda t, out, x, y: t,
        lambda t, out, x, y: tmul(t, neg(floor(div(x, y)))),
    ),
    doc="NumPy's remainder: the result has the sign of the divisor.",
)


def rem(x, y):
    return bind(rem_p, x, y)


def _pow_jvp_y(t, out, x, y):
    logx = select(eq(x, lit(0, x)), lit(0, x), log(x))
    return tmul(t, mul(out, logx))


def _pow_jvp_x(t, out, x, y):
    # y * x**(y-1), written so that x = 0, y = 1 gives 1, not 0 * inf
    ym1 = sub(y, lit(1, y))
    return tmul(t, mul(y, select(eq(ym1, lit(0, y)), lit(1, x), pow(x, ym1))))


pow_p = _binary("pow", _errstate(np.power), jvp=(_pow_jvp_x, _pow_jvp_y))


def pow(x, y):
    return bind(pow_p, x, y)


def _integer_pow_jvp(t, out, x, *, y):
    if y == 0:
        return None
    if y == 1:
        return t
    d = mul(lit(y, x), x if y == 2 else integer_pow(x, y=y - 1))
    return tmul(t, d)


def _integer_pow_impl(x, *, y):
    with np.errstate(all="ignore"):
        if y < 0 and np.issubdtype(x.dtype, np.integer):
            raise TypeError("integer_pow: negative power of an integer")
        return np.asarray(np.power(x, x.dtype.type(y)) if y >= 0 else 1 / np.power(x, -y))


integer_pow_p = _unary("integer_pow", _integer_pow_impl, jvp=_integer_pow_jvp)


def integer_pow(x, *, y: int):
    return bind(integer_pow_p, x, y=int(y))


def _minmax_jvp(which: str):
    """Tangent of max/min w.r.t. one operand: 1 where it wins, 1/2 on a tie.

    A tie is a kink; tracejit takes the minimum-norm subgradient: 1/2 to each operand.
    """

    def rule(t, out, x, y, *, _first=(which == "x")):
        me, other = (x, y) if _first else (y, x)
        win = select(eq(me, other), lit(0.5, me), select(eq(me, out), lit(1, me), lit(0, me)))
        return tmul(t, win)

    return rule


max_p = _binary(
    "max",
    np.maximum,
    jvp=(_minmax_jvp("x"), _minmax_jvp("y")),
    lower="max({0}, {1})",
)
min_p = _binary(
    "min",
    np.minimum,
    jvp=(_minmax_jvp("x"), _minmax_jvp("y")),
    lower="min({0}, {1})",
)


def max(x, y):
    return bind(max_p, x, y)


def min(x, y):
    return bind(min_p, x, y)


def _atan2_jvp(first: bool):
    def rule(t, out, x, y):
        denom = add(mul(x, x), mul(y, y))
        return tmul(t, div(y, denom) if first else neg(div(x, denom)))

    return rule


atan2_p = _binary("atan2", _errstate(np.arctan2), jvp=(_atan2_jvp(True), _atan2_jvp(False)))


def atan2(x, y):
    return bind(atan2_p, x, y)


# ---------------------------------------------------------------------------
# comparisons and logic (no tangents)


def _compare(name, impl, lower):
    return _binary(name, impl, out_dtype=np.bool_, lower=lower)


eq_p = _compare("eq", np.equal, "({0} == {1})")
ne_p = _compare("ne", np.not_equal, "({0} != {1})")
lt_p = _compare("lt", np.less, "({0} < {1})")
le_p = _compare("le", np.less_equal, "({0} <= {1})")
gt_p = _compare("gt", np.greater, "({0} > {1})")
ge_p = _compare("ge", np.greater_equal, "({0} >= {1})")


def eq(x, y):
    return bind(eq_p, x, y)


def ne(x, y):
    return bind(ne_p, x, y)


def lt(x, y):
    return bind(lt_p, x, y)


def le(x, y):
    return bind(le_p, x, y)


def gt(x, y):
    return bind(gt_p, x, y)


def ge(x, y):
    return bind(ge_p, x, y)


def _logic(name, impl, lower):
    def checked(*args):
        for a in args:
            if is_float(a.dtype):
                raise TypeError(f"{name}: needs bool or integer operands, got {a.dtype}")
        return impl(*args)

    return checked


and_p = _binary("and", _logic("and", np.bitwise_and, None), lower="({0} & {1})")
or_p = _binary("or", _logic("or", np.bitwise_or, None), lower="({0} | {1})")
xor_p = _binary("xor", _logic("xor", np.bitwise_xor, None), lower="({0} ^ {1})")
not_p = _unary("not", _logic("not", np.invert, None), lower="(~{0})")


def and_(x, y):
    return bind(and_p, x, y)


def or_(x, y):
    return bind(or_p, x, y)


def xor(x, y):
    return bind(xor_p, x, y)


def not_(x):
    return bind(not_p, x)


# ---------------------------------------------------------------------------
# select and casts


def _select_shape(pred, x, y):
    if pred.dtype != np.bool_:
        raise shape_error("select", f"predicate must be bool, got {pred.dtype}")
    return (
        _ew_shape("select", same_dtype=False)(pred, x, y).update(dtype=x.dtype)
        if (x.dtype == y.dtype)
        else _raise_select_dtype(x, y)
    )


def _raise_select_dtype(x, y):
    raise shape_error("select", f"branch dtypes differ: {x} and {y}")


def _select_transpose(ct, pred, x, y):
    z = lit(0, ct)
    return [
        None,
        _unbroadcast(select(pred, ct, z), x.aval) if isinstance(x, UndefinedPrimal) else None,
        _unbroadcast(select(pred, z, ct), y.aval) if isinstance(y, UndefinedPrimal) else None,
    ]


select_p = Primitive(
    "select",
    impl=lambda pred, x, y: np.asarray(np.where(pred, x, y)),
    shape=_select_shape,
    # the untaken branch gets an exact zero tangent: where(x > 0, sqrt(x), 0) is NaN-free
    jvp=(
        None,
        lambda t, out, p, x, y: select(p, t, lit(0, t)),
        lambda t, out, p, x, y: select(p, lit(0, t), t),
    ),
    transpose=_select_transpose,
    lower="({1} if {0} else {2})",
    doc="select(pred, x, y): x where pred is true, else y.",
)
select_p.vmap = vmap_elementwise(select_p)


def select(pred, x, y):
    return bind(select_p, pred, x, y)


def _convert_jvp(t, out, x, *, new_dtype):
    return convert_element_type(t, new_dtype=new_dtype) if is_float(new_dtype) else None


def _convert_transpose(ct, x, *, new_dtype):
    return [convert_element_type(ct, new_dtype=x.aval.dtype)]


def _convert_impl(x, *, new_dtype):
    with np.errstate(all="ignore"):
        return np.asarray(x).astype(new_dtype)


convert_element_type_p = Primitive(
    "convert_element_type",
    impl=_convert_impl,
    shape=lambda x, *, new_dtype: x.update(dtype=new_dtype),
    jvp=(_convert_jvp,),
    transpose=_convert_transpose,
    lower="{0}",
)
convert_element_type_p.vmap = vmap_elementwise(convert_element_type_p)


def convert_element_type(x, *, new_dtype):
    new_dtype = np.dtype(new_dtype)
    if dtype_of(x) == new_dtype:
        return x
    return bind(convert_element_type_p, x, new_dtype=new_dtype)


# ---------------------------------------------------------------------------
# unary math. Each row: name, NumPy impl, tangent rule (t, out, x) -> tangent.

_LN2 = math.log(2.0)


def _zero_jvp(t, out, x):
    return None


def _math(fn):
    return _errstate(fn)


def _recip(x):
    return div(lit(1, x), x)


def _erf_impl(x):
    from scipy.special import erf as _erf

    return np.asarray(_erf(x), dtype=x.dtype)


def _erf_inv_impl(x):
    from scipy.special import erfinv

    return np.asarray(erfinv(x), dtype=x.dtype)


def _logistic_impl(x):
    from scipy.special import expit

    return np.asarray(expit(x), dtype=x.dtype)


def _one_minus_sq(x):
    return sub(lit(1, x), mul(x, x))


_UNARY = {
    "sign": (np.sign, _zero_jvp),
    "floor": (np.floor, _zero_jvp),
    "ceil": (np.ceil, _zero_jvp),
    "round": (np.rint, _zero_jvp),  # half to even, as NumPy
    "abs": (np.abs, lambda t, out, x: tmul(t, sign(x))),  # kink: abs'(0) = 0
    "exp": (np.exp, lambda t, out, x: tmul(t, out)),
    "exp2": (np.exp2, lambda t, out, x: tmul(t, mul(out, lit(_LN2, x)))),
    "expm1": (np.expm1, lambda t, out, x: tmul(t, add(out, lit(1, x)))),
    "log": (np.log, lambda t, out, x: tmul(t, _recip(x))),
    "log1p": (np.log1p, lambda t, out, x: tmul(t, _recip(add(x, lit(1, x))))),
    "log2": (np.log2, lambda t, out, x: tmul(t, _recip(mul(x, lit(_LN2, x))))),
    "sqrt": (np.sqrt, lambda t, out, x: tmul(t, div(lit(0.5, x), out))),
    "rsqrt": (lambda x: 1 / np.sqrt(x), lambda t, out, x: tmul(t, mul(lit(-0.5, x), div(out, x)))),
    "cbrt": (np.cbrt, lambda t, out, x: tmul(t, div(out, mul(lit(3, x), x)))),
    "sin": (np.sin, lambda t, out, x: tmul(t, cos(x))),
    "cos": (np.cos, lambda t, out, x: tmul(t, neg(sin(x)))),
    "tan": (np.tan, lambda t, out, x: tmul(t, add(lit(1, x), mul(out, out)))),
    "asin": (np.arcsin, lambda t, out, x: tmul(t, rsqrt(_one_minus_sq(x)))),
    "acos": (np.arccos, lambda t, out, x: tmul(t, neg(rsqrt(_one_minus_sq(x))))),
    "atan": (np.arctan, lambda t, out, x: tmul(t, _recip(add(lit(1, x), mul(x, x))))),
    "sinh": (np.sinh, lambda t, out, x: tmul(t, cosh(x))),
    "cosh": (np.cosh, lambda t, out, x: tmul(t, sinh(x))),
    "tanh": (np.tanh, lambda t, out, x: tmul(t, sub(lit(1, x), mul(out, out)))),
    "asinh": (np.arcsinh, lambda t, out, x: tmul(t, rsqrt(add(mul(x, x), lit(1, x))))),
    "acosh": (
        np.arccosh,
        lambda t, out, x: tmul(t, rsqrt(mul(sub(x, lit(1, x)), add(x, lit(1, x))))),
    ),
    "atanh": (np.arctanh, lambda t, out, x: tmul(t, _recip(_one_minus_sq(x)))),
    "logistic": (
        _logistic_impl,
        lambda t, out, x: tmul(t, mul(out, sub(lit(1, x), out))),
    ),
    "erf": (
        _erf_impl,
        lambda t, out, x: tmul(t, mul(lit(2 / math.sqrt(math.pi), x), exp(neg(mul(x, x))))),
    ),
    "erf_inv": (
        _erf_inv_impl,
        lambda t, out, x: tmul(t, mul(lit(math.sqrt(math.pi) / 2, x), exp(mul(out, out)))),
    ),
}

_P = {name: _unary(name, _math(impl), jvp) for name, (impl, jvp) in _UNARY.items()}
sign_p = _P["sign"]
floor_p = _P["floor"]
ceil_p = _P["ceil"]
round_p = _P["round"]
abs_p = _P["abs"]
exp_p = _P["exp"]
exp2_p = _P["exp2"]
expm1_p = _P["expm1"]
log_p = _P["log"]
log1p_p = _P["log1p"]
log2_p = _P["log2"]
sqrt_p = _P["sqrt"]
rsqrt_p = _P["rsqrt"]
cbrt_p = _P["cbrt"]
sin_p = _P["sin"]
cos_p = _P["cos"]
tan_p = _P["tan"]
asin_p = _P["asin"]
acos_p = _P["acos"]
atan_p = _P["atan"]
sinh_p = _P["sinh"]
cosh_p = _P["cosh"]
tanh_p = _P["tanh"]
asinh_p = _P["asinh"]
acosh_p = _P["acosh"]
atanh_p = _P["atanh"]
logistic_p = _P["logistic"]
erf_p = _P["erf"]
erf_inv_p = _P["erf_inv"]


def sign(x):
    return bind(sign_p, x)


def floor(x):
    return bind(floor_p, x)


def ceil(x):
    return bind(ceil_p, x)


def round(x):
    return bind(round_p, x)


def abs(x):
    return bind(abs_p, x)


def exp(x):
    return bind(exp_p, x)


def exp2(x):
    return bind(exp2_p, x)


def expm1(x):
    return bind(expm1_p, x)


def log(x):
    return bind(log_p, x)


def log1p(x):
    return bind(log1p_p, x)


def log2(x):
    return bind(log2_p, x)


def sqrt(x):
    return bind(sqrt_p, x)


def rsqrt(x):
    return bind(rsqrt_p, x)


def cbrt(x):
    return bind(cbrt_p, x)


def sin(x):
    return bind(sin_p, x)


def cos(x):
    return bind(cos_p, x)


def tan(x):
    return bind(tan_p, x)


def asin(x):
    return bind(asin_p, x)


def acos(x):
    return bind(acos_p, x)


def atan(x):
    return bind(atan_p, x)


def sinh(x):
    return bind(sinh_p, x)


def cosh(x):
    return bind(cosh_p, x)


def tanh(x):
    return bind(tanh_p, x)


def asinh(x):
    return bind(asinh_p, x)


def acosh(x):
    return bind(acosh_p, x)


def atanh(x):
    return bind(atanh_p, x)


def logistic(x):
    return bind(logistic_p, x)


def erf(x):
    return bind(erf_p, x)


def erf_inv(x):
    return bind(erf_inv_p, x)


# ---------------------------------------------------------------------------
# stop_gradient: identity whose derivative is zero

stop_gradient_p = _unary("stop_gradient", lambda x: np.asarray(x), _zero_jvp, lower="{0}")


def stop_gradient(x):
    return bind(stop_gradient_p, x)
