"""Cases for sort (ops/sort.py): one or several operands, lexicographic keys."""

import numpy as np

from . import C, Case, F, I

f32 = np.float32

CASES = [
    Case("sort", [F(5)], dict(dimension=0, num_keys=1)),
    Case("sort", [F(3, 4)], dict(dimension=1, num_keys=1)),
    Case("sort", [F(3, 4)], dict(dimension=0, num_keys=1)),
    Case("sort", [F(1)], dict(dimension=0, num_keys=1)),
    Case("sort", [F(0, 2)], dict(dimension=0, num_keys=1)),
    Case("sort", [F(6), F(6)], dict(dimension=0, num_keys=1), note="key and payload"),
    Case("sort", [F(4), I(4)], dict(dimension=0, num_keys=1), diff=(0,)),
    # the integer first key ties; the float second key breaks the ties
    Case("sort", [I(6, lo=0, hi=3), F(6), F(6)], dict(dimension=0, num_keys=2), diff=(1, 2)),
    Case(
        "sort",
        [I(2, 5, lo=0, hi=2), I(2, 5, lo=0, hi=2), F(2, 5)],
        dict(dimension=1, num_keys=2),
        diff=(2,),
    ),
    Case("sort", [F(4, dtype=f32), F(4, dtype=f32)], dict(dimension=0, num_keys=1), rtol=1e-4),
    Case("sort", [I(7)], dict(dimension=0, num_keys=1)),
    # tied keys: the payload's tangent follows the stable permutation. The keys' own
    # tangent there is one-sided (central differences average the tied pair): not checked
    Case("sort", [C([1.0, 2.0, 1.0]), F(3)], dict(dimension=0, num_keys=1), diff=(1,), note="ties"),
]
