"""Cases for the reductions (ops/reduce.py). Ties are pairs, where the equal-share
convention equals the central difference."""

import numpy as np

from . import C, Case, F

f32 = np.float32
i64 = np.dtype(np.int64)

CASES = [
    # reduce_sum (linear)
    Case("reduce_sum", [F(3, 4)], dict(axes=(0,)), linear=(0,)),
    Case("reduce_sum", [F(3, 4)], dict(axes=(1,)), linear=(0,)),
    Case("reduce_sum", [F(2, 3, 4)], dict(axes=(0, 2)), linear=(0,)),
    Case("reduce_sum", [F()], dict(axes=()), linear=(0,)),
    Case("reduce_sum", [F(1)], dict(axes=(0,)), linear=(0,)),
    Case("reduce_sum", [F(0, 3)], dict(axes=(0,)), linear=(0,)),
    Case("reduce_sum", [F(3, 5, dtype=f32)], dict(axes=(0, 1)), linear=(0,), rtol=1e-4),
    # reduce_max / reduce_min, with and without ties
    Case("reduce_max", [F(3, 4)], dict(axes=(1,))),
    Case("reduce_max", [F(2, 3, 4)], dict(axes=(0, 2))),
    Case("reduce_max", [F(1)], dict(axes=(0,))),
    Case("reduce_max", [C([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])], dict(axes=(1,)), note="ties"),
    Case("reduce_max", [C([[1.0, 3.0], [3.0, 0.0]])], dict(axes=(0, 1)), note="ties"),
    Case("reduce_max", [F(4, dtype=f32)], dict(axes=(0,)), rtol=1e-4),
    Case("reduce_min", [F(3, 4)], dict(axes=(0,))),
    Case("reduce_min", [F(2, 3)], dict(axes=(0, 1))),
    Case("reduce_min", [C([[-1.0, 2.0], [-1.0, 5.0]])], dict(axes=(0,)), note="ties"),
    Case("reduce_min", [C([0.5, -2.0, 1.0, -2.0])], dict(axes=(0,)), note="ties"),
    # reduce_prod: zeros are no special case (exclusive products from both sides)
    Case("reduce_prod", [F(3, 4)], dict(axes=(1,))),
    Case("reduce_prod", [F(2, 3, 2)], dict(axes=(0, 2))),
    Case("reduce_prod", [C([1.5, 0.0, 2.0, -1.0])], dict(axes=(0,)), note="one zero"),
    Case("reduce_prod", [C([[0.0, 2.0, 0.0], [1.0, 2.0, 3.0]])], dict(axes=(1,)), note="zeros"),
    Case("reduce_prod", [F(1)], dict(axes=(0,))),
    Case("reduce_prod", [F(0, 2)], dict(axes=(0,))),
    Case("reduce_prod", [F(3, 2, dtype=f32)], dict(axes=(0,)), rtol=1e-4),
    # argmax / argmin: integer outputs, first index on ties
    Case("argmax", [F(3, 4)], dict(axes=(1,), index_dtype=i64)),
    Case("argmax", [F(5)], dict(axes=(0,), index_dtype=np.dtype(np.int32))),
    Case("argmax", [C([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])], dict(axes=(1,), index_dtype=i64)),
    Case("argmin", [F(3, 4)], dict(axes=(0,), index_dtype=i64)),
    Case("argmin", [C([2.0, -1.0, -1.0])], dict(axes=(0,), index_dtype=i64)),
    Case("argmin", [F(1, dtype=f32)], dict(axes=(0,), index_dtype=i64)),
]
