"""Cases for the special-function primitives (ops/special.py).

Domains keep away from poles and branch points: lgamma and digamma between their poles,
igamma on both sides of x = a (series and continued fraction), zeta with s > 1, Bessel
arguments on both sides of |x| = 8 (where the kernels change expansion).
"""

import numpy as np

from . import C, Case, F

_N = C(np.array([[0.0, 1.0, 2.0, 3.0]] * 3))  # polygamma orders

CASES = []
for name in ["lgamma", "digamma"]:
    CASES += [
        Case(name, [F(3, 4, lo=0.1, hi=12.0)]),
        Case(name, [F(4, lo=-2.9, hi=-2.1)], note="negative"),
        Case(name, [F(lo=0.5, hi=3.0)]),
        Case(name, [F(5, lo=0.5, hi=3.0, dtype=np.float32)], note="f32"),
    ]
for name in ["bessel_i0e", "bessel_i1e"]:
    CASES += [
        Case(name, [F(3, 4, lo=-12.0, hi=12.0)]),
        Case(name, [F(lo=0.5, hi=3.0)]),
        Case(name, [F(5, lo=-3.0, hi=9.0, dtype=np.float32)], note="f32"),
    ]
for name in ["igamma", "igammac"]:
    CASES += [
        Case(name, [F(3, 4, lo=0.5, hi=3.0), F(3, 4, lo=0.1, hi=5.0)]),
        Case(name, [F(lo=0.5, hi=3.0), F(5, lo=0.1, hi=5.0)], note="scalar a"),
        Case(
            name, [F(4, lo=0.5, hi=3.0, dtype=np.float32), F(4, lo=0.1, hi=5.0, dtype=np.float32)]
        ),
    ]
CASES += [
    Case("igamma_grad_a", [F(3, 4, lo=0.5, hi=3.0), F(3, 4, lo=0.1, hi=5.0)], diff=(1,)),
    Case("igamma_grad_a", [F(lo=0.5, hi=3.0), F(5, lo=0.1, hi=5.0)], diff=(1,), note="scalar a"),
    Case("polygamma", [_N, F(3, 4, lo=0.3, hi=4.0)], diff=(1,)),
    Case("polygamma", [C(1.0), F(5, lo=0.3, hi=4.0)], diff=(1,), note="scalar n"),
    Case(
        "polygamma",
        [C(np.float32(2.0)), F(3, lo=0.3, hi=4.0, dtype=np.float32)],
        diff=(1,),
        note="f32",
    ),
    Case("zeta", [F(3, 4, lo=1.5, hi=5.0), F(3, 4, lo=0.5, hi=3.0)], rtol=1e-5),
    Case("zeta", [F(5, lo=1.5, hi=5.0), F(lo=0.5, hi=3.0)], note="scalar q"),
    Case("zeta", [F(3, lo=1.5, hi=5.0, dtype=np.float32), F(3, lo=0.5, hi=3.0, dtype=np.float32)]),
    Case("ndtri", [F(3, 4, lo=0.01, hi=0.99)]),
    Case("ndtri", [F(lo=1e-6, hi=1e-3)], note="tail"),
    Case("ndtri", [F(5, lo=0.05, hi=0.95, dtype=np.float32)], note="f32"),
    Case(
        "betainc",
        [F(3, 4, lo=0.5, hi=4.0), F(3, 4, lo=0.5, hi=4.0), F(3, 4, lo=0.05, hi=0.95)],
        diff=(2,),
    ),
    Case(
        "betainc",
        [F(lo=0.5, hi=4.0), F(lo=0.5, hi=4.0), F(5, lo=0.05, hi=0.95)],
        diff=(2,),
        note="scalar a, b",
    ),
]
