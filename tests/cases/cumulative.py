"""Cases for the cumulative reductions (ops/cumulative.py). Ties in cummax/cummin are
pairs, where the equal-share convention equals the central difference."""

import numpy as np

from . import C, Case, F, I

f32 = np.float32

CASES = [
    # cumsum (linear)
    Case("cumsum", [F(5)], dict(axis=0, reverse=False), linear=(0,)),
    Case("cumsum", [F(3, 4)], dict(axis=1, reverse=True), linear=(0,)),
    Case("cumsum", [F(3, 4)], dict(axis=0, reverse=False), linear=(0,)),
    Case("cumsum", [F(1)], dict(axis=0, reverse=False), linear=(0,)),
    Case("cumsum", [F(0, 2)], dict(axis=0, reverse=True), linear=(0,)),
    Case("cumsum", [I(4)], dict(axis=0, reverse=False)),
    Case("cumsum", [F(2, 5, dtype=f32)], dict(axis=1, reverse=False), linear=(0,), rtol=1e-4),
    # cumprod, with zeros
    Case("cumprod", [F(6)], dict(axis=0, reverse=False)),
    Case("cumprod", [F(3, 5)], dict(axis=1, reverse=True)),
    Case("cumprod", [F(4, 3)], dict(axis=0, reverse=False)),
    Case("cumprod", [C([1.5, 0.0, 2.0, 0.0, -1.0])], dict(axis=0, reverse=False), note="zeros"),
    Case("cumprod", [C([1.5, 0.0, 2.0, 0.0, -1.0])], dict(axis=0, reverse=True), note="zeros"),
    Case("cumprod", [F(1)], dict(axis=0, reverse=False)),
    Case("cumprod", [I(5, lo=-2, hi=3)], dict(axis=0, reverse=False)),
    Case("cumprod", [F(7, dtype=f32)], dict(axis=0, reverse=False), rtol=1e-4),
    # cummax / cummin, with and without ties
    Case("cummax", [F(7)], dict(axis=0, reverse=False)),
    Case("cummax", [F(3, 5)], dict(axis=1, reverse=True)),
    Case("cummax", [F(5, 2)], dict(axis=0, reverse=False)),
    Case("cummax", [C([1.0, 3.0, 2.0, 3.0, 0.0, 4.0])], dict(axis=0, reverse=False), note="ties"),
    Case("cummax", [C([3.0, 1.0, 3.0, 2.0])], dict(axis=0, reverse=True), note="ties"),
    Case("cummax", [F(1)], dict(axis=0, reverse=False)),
    Case("cummax", [I(6)], dict(axis=0, reverse=False)),
    Case("cummax", [F(6, dtype=f32)], dict(axis=0, reverse=False), rtol=1e-4),
    Case("cummin", [F(7)], dict(axis=0, reverse=False)),
    Case("cummin", [F(4, 3)], dict(axis=0, reverse=True)),
    Case(
        "cummin",
        [C([[2.0, 1.0, 1.0, 0.5], [0.0, 1.0, 0.0, -1.0]])],
        dict(axis=1, reverse=False),
        note="ties",
    ),
    Case("cummin", [F(3, 2, dtype=f32)], dict(axis=1, reverse=False), rtol=1e-4),
]
