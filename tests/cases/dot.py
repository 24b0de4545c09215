"""dot_general cases: matmul, vector and outer products, batched and permuted layouts.

dot_general is bilinear: each layout appears twice, once linear in x and once in y.
"""

import numpy as np

from . import Case, F, I

# (x maker, y maker, ((x_contract, y_contract), (x_batch, y_batch)), note)
_LAYOUTS = [
    (F(3, 4), F(4, 5), (((1,), (0,)), ((), ())), " matmul"),
    (F(4), F(4), (((0,), (0,)), ((), ())), " vector dot"),
    (F(3, 4), F(4), (((1,), (0,)), ((), ())), " matvec"),
    (F(4), F(4, 5), (((0,), (0,)), ((), ())), " vecmat"),
    (F(3), F(4), (((), ()), ((), ())), " outer"),
    (F(3, 4), F(5, 4), (((1,), (1,)), ((), ())), " x @ y.T"),
    (F(4, 3), F(4, 5), (((0,), (0,)), ((), ())), " x.T @ y"),
    (F(3, 4), F(4, 1), (((1,), (0,)), ((), ())), " one column"),
    (F(4, 3), F(4, 1), (((0,), (0,)), ((), ())), " x.T @ one column"),
    (F(2, 3, 4), F(2, 4, 5), (((2,), (1,)), ((0,), (0,))), " batched matmul"),
    (F(3, 2, 4), F(5, 4, 2), (((2,), (1,)), ((1,), (2,))), " batch dims not leading"),
    (F(2, 3, 4), F(4, 5, 3), (((1, 2), (2, 0)), ((), ())), " two contractions, reordered"),
    (F(2, 3, 4, 5), F(2, 3, 5, 6), (((3,), (2,)), ((0, 1), (0, 1))), " two batch dims"),
    (F(2, 3), F(2, 4), (((), ()), ((0,), (0,))), " batched outer"),
    (F(2, 4), F(2, 4), (((1,), (1,)), ((0,), (0,))), " batched vector dot"),
    (F(0, 3), F(3, 2), (((1,), (0,)), ((), ())), " empty free dim"),
    (F(3, 0), F(0, 2), (((1,), (0,)), ((), ())), " empty contraction"),
    (
        F(2, 3, 4, dtype=np.float32),
        F(2, 4, 5, dtype=np.float32),
        (((2,), (1,)), ((0,), (0,))),
        " f32",
    ),
]

CASES = [
    Case("dot_general", [x, y], dict(dimension_numbers=dn), linear=(i,), note=note + f" lin{i}")
    for x, y, dn, note in _LAYOUTS
    for i in (0, 1)
] + [
    Case(
        "dot_general",
        [I(3, 4), I(4, 2)],
        dict(dimension_numbers=(((1,), (0,)), ((), ()))),
        note=" int",
    ),
    Case(
        "dot_general",
        [F(3, 4, dtype=np.float32), F(4, 2, dtype=np.float32)],
        dict(dimension_numbers=(((1,), (0,)), ((), ())), preferred_element_type=np.dtype("f8")),
        linear=(0,),
        note=" f32 -> f64",
    ),
]
