"""Two float primitives that tracejit.lax needs and cannot compose from the others:
`nextafter` (a step of one unit in the last place, a bit-level operation) and `erfc`
(1 - erf(x) loses every digit once erf(x) rounds to 1, near x = 6 in float64).

Integer bit operations (shifts, population_count, clz) need no primitive: tracejit.lax
builds them from integer multiply, floor_divide, compare and a gather from a small table.
"""

from __future__ import annotations

import math

import numpy as np

from ..trace import Primitive, bind
from .elementwise import _errstate, _ew_shape, exp, lit, mul, neg, tmul, vmap_elementwise

__all__ = ["nextafter", "erfc"]

# ---------------------------------------------------------------------------
# nextafter(x, y): the float after x in the direction of y. Piecewise constant, so it
# has no tangent (as in JAX).

nextafter_p = Primitive(
    "nextafter",
    impl=_errstate(np.nextafter),
    shape=_ew_shape("nextafter"),
    jvp=(lambda *a, **k: None, lambda *a, **k: None),
    lower="np.nextafter({0}, {1})",
    doc="The next float after x in the direction of y (np.nextafter); not differentiable.",
)
nextafter_p.vmap = vmap_elementwise(nextafter_p)


def nextafter(x, y):
    return bind(nextafter_p, x, y)


# ---------------------------------------------------------------------------
# erfc(x) = 1 - erf(x), accurate in the tail: erfc'(x) = -2/sqrt(pi) exp(-x^2)


def _erfc_impl(x):
    from scipy.special import erfc as _erfc

    return np.asarray(_erfc(x), dtype=x.dtype)


def _erfc_jvp(t, out, x):
    return tmul(t, mul(lit(-2 / math.sqrt(math.pi), x), exp(neg(mul(x, x)))))


erfc_p = Primitive(
    "erfc",
    impl=_erfc_impl,
    shape=_ew_shape("erfc"),
    jvp=(_erfc_jvp,),
    lower="math.erfc({0})",
    doc="The complementary error function 1 - erf(x), accurate where erf(x) rounds to 1.",
)
erfc_p.vmap = vmap_elementwise(erfc_p)


def erfc(x):
    return bind(erfc_p, x)
