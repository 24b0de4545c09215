"""Cases for the elementwise primitives (ops/elementwise.py)."""

import numpy as np

from . import B, C, Case, F, I

_POS = dict(lo=0.1, hi=3.0)
_UNIT = dict(lo=-0.9, hi=0.9)

_UNARY = {
    "neg": {},
    "abs": {},
    "exp": {},
    "exp2": {},
    "expm1": {},
    "log": _POS,
    "log1p": dict(lo=-0.5, hi=3.0),
    "log2": _POS,
    "sqrt": _POS,
    "rsqrt": _POS,
    "cbrt": _POS,
    "sin": {},
    "cos": {},
    "tan": dict(lo=-1.2, hi=1.2),
    "asin": _UNIT,
    "acos": _UNIT,
    "atan": {},
    "sinh": {},
    "cosh": {},
    "tanh": {},
    "asinh": {},
    "acosh": dict(lo=1.1, hi=3.0),
    "atanh": _UNIT,
    "logistic": {},
    "erf": {},
    "erf_inv": _UNIT,
}

CASES = []
for name, rng in _UNARY.items():
    CASES += [
        Case(name, [F(3, 4, **rng)], linear=(0,) if name == "neg" else ()),
        Case(name, [F(**rng)]),
        Case(name, [F(5, **rng, dtype=np.float32)], note="f32"),
    ]
for name in ["sign", "floor", "ceil", "round"]:
    CASES += [
        Case(name, [F(3, 4, lo=-3, hi=3)], jvp=False),
        Case(name, [F(2, 3, dtype=np.float32)]),
    ]
CASES += [Case("stop_gradient", [F(3, 4)], jvp=False), Case("stop_gradient", [F()], jvp=False)]
CASES += [Case("sign", [I(4)], jvp=False), Case("abs", [I(4)], jvp=False)]

for name in ["add", "sub", "mul", "max", "min", "atan2"]:
    lin = (0, 1) if name in ("add", "sub") else ()
    CASES += [
        Case(name, [F(3, 4), F(3, 4)], linear=lin),
        Case(name, [F(3, 4), F()], linear=lin, note="scalar rhs"),
        Case(name, [F(), F(2)], linear=lin, note="scalar lhs"),
        Case(name, [F(3, dtype=np.float32), F(3, dtype=np.float32)], note="f32"),
    ]
CASES += [
    Case("mul", [F(3, 4), F(3, 4)], linear=(0,), note="linear in x"),
    Case("mul", [F(3, 4), F()], linear=(1,), note="linear in y"),
    Case("tmul", [F(3, 4), F(3, 4)], linear=(0,)),
    Case("tmul", [F(3), F()], linear=(0,), note="scalar d"),
    Case("tmul", [C([0.0, 1.0, 0.0]), C([np.inf, 2.0, np.nan])], jvp=False, note="zeros"),
    Case("div", [F(3, 4), F(3, 4, lo=0.5, hi=2.0)], linear=(0,)),
    Case("div", [F(3), F(lo=0.5, hi=2)], linear=(0,), note="scalar rhs"),
    Case("pow", [F(3, 4, lo=0.5, hi=2.0), F(3, 4)]),
    Case("pow", [F(3, lo=0.5, hi=2.0), F()], note="scalar exponent"),
    Case("rem", [F(3, 4, lo=0.1, hi=5.0), F(3, 4, lo=0.7, hi=2.0)], rtol=1e-5),
    Case("floor_divide", [F(3, 4, lo=0.1, hi=5.0), F(3, 4, lo=0.7, hi=2.0)], jvp=False),
    Case("floor_divide", [I(5), I(5, lo=1, hi=4)], jvp=False),
    Case("rem", [I(5), I(5, lo=1, hi=4)], jvp=False),
    Case("max", [C([1.0, 2.0, 3.0]), C([1.0, 0.0, 4.0])], note="tie"),
    Case("integer_pow", [F(3, 4)], params=dict(y=2)),
    Case("integer_pow", [F(3, 4)], params=dict(y=3)),
    Case("integer_pow", [F(3, lo=0.5, hi=2)], params=dict(y=-2)),
    Case("integer_pow", [F(3)], params=dict(y=0)),
    Case("integer_pow", [I(3)], params=dict(y=2), jvp=False),
]
for name in ["eq", "ne", "lt", "le", "gt", "ge"]:
    CASES += [
        Case(name, [F(3, 4), F(3, 4)], jvp=False),
        Case(name, [I(5), I()], jvp=False),
    ]
for name in ["and", "or", "xor"]:
    CASES += [Case(name, [B(4), B(4)], jvp=False), Case(name, [I(4), I(4)], jvp=False)]
CASES += [
    Case("not", [B(3, 2)], jvp=False),
    Case("not", [I(3)], jvp=False),
    Case("select", [B(3, 4), F(3, 4), F(3, 4)], diff=(1, 2), linear=(1, 2)),
    Case("select", [B(), F(3), F(3)], diff=(1, 2), note="scalar pred"),
    Case("select", [B(3), F(3), F()], diff=(1, 2), linear=(1, 2), note="scalar y"),
    Case("select", [B(4), I(4), I(4)], jvp=False),
    Case(
        "convert_element_type",
        [F(3, 4)],
        params=dict(new_dtype=np.dtype(np.float32)),
        jvp=False,
        linear=(0,),
    ),
    Case(
        "convert_element_type",
        [F(3, 4, dtype=np.float32)],
        params=dict(new_dtype=np.dtype(np.float64)),
        jvp=False,
    ),
    Case("convert_element_type", [F(3, 4)], params=dict(new_dtype=np.dtype(np.int64)), jvp=False),
    Case("convert_element_type", [I(3)], params=dict(new_dtype=np.dtype(np.float64)), jvp=False),
]
