"""Cases for the shape primitives (ops/shape.py)."""

import numpy as np

from . import C, Case, F

f32 = np.float32

CASES = [
    # broadcast_in_dim
    Case("broadcast_in_dim", [F(3)], dict(shape=(2, 3), broadcast_dimensions=(1,)), linear=(0,)),
    Case(
        "broadcast_in_dim", [F(3, 1)], dict(shape=(3, 4), broadcast_dimensions=(0, 1)), linear=(0,)
    ),
    Case("broadcast_in_dim", [F()], dict(shape=(2, 3), broadcast_dimensions=()), linear=(0,)),
    Case("broadcast_in_dim", [F(1)], dict(shape=(1,), broadcast_dimensions=(0,)), linear=(0,)),
    Case(
        "broadcast_in_dim",
        [F(2, 1, 3, dtype=f32)],
        dict(shape=(2, 4, 3, 5), broadcast_dimensions=(0, 1, 2)),
        linear=(0,),
        rtol=1e-4,
    ),
    # reshape
    Case("reshape", [F(2, 3)], dict(new_sizes=(6,)), linear=(0,)),
    Case("reshape", [F(6)], dict(new_sizes=(3, 2)), linear=(0,)),
    Case("reshape", [F()], dict(new_sizes=(1, 1)), linear=(0,)),
    Case("reshape", [F(1)], dict(new_sizes=()), linear=(0,)),
    Case("reshape", [F(0, 3)], dict(new_sizes=(3, 0)), linear=(0,)),
    Case("reshape", [F(2, 3, 4, dtype=f32)], dict(new_sizes=(4, 6)), linear=(0,), rtol=1e-4),
    # transpose
    Case("transpose", [F(2, 3)], dict(perm=(1, 0)), linear=(0,)),
    Case("transpose", [F(2, 3, 4)], dict(perm=(2, 0, 1)), linear=(0,)),
    Case("transpose", [F()], dict(perm=()), linear=(0,)),
    Case("transpose", [F(1, 3, dtype=f32)], dict(perm=(1, 0)), linear=(0,), rtol=1e-4),
    # squeeze / expand_dims
    Case("squeeze", [F(1, 3)], dict(dimensions=(0,)), linear=(0,)),
    Case("squeeze", [F(2, 1, 3, 1)], dict(dimensions=(1, 3)), linear=(0,)),
    Case("squeeze", [F(1)], dict(dimensions=(0,)), linear=(0,)),
    Case("expand_dims", [F(3)], dict(dimensions=(0,)), linear=(0,)),
    Case("expand_dims", [F(3)], dict(dimensions=(1,)), linear=(0,)),
    Case("expand_dims", [F()], dict(dimensions=(0,)), linear=(0,)),
    Case("expand_dims", [F(2, 3, dtype=f32)], dict(dimensions=(0, 2)), linear=(0,), rtol=1e-4),
    # slice
    Case("slice", [F(5)], dict(start_indices=(1,), limit_indices=(4,), strides=None), linear=(0,)),
    Case("slice", [F(7)], dict(start_indices=(1,), limit_indices=(7,), strides=(2,)), linear=(0,)),
    Case(
        "slice",
        [F(4, 6)],
        dict(start_indices=(1, 0), limit_indices=(3, 6), strides=(1, 3)),
        linear=(0,),
    ),
    Case("slice", [F(3)], dict(start_indices=(2,), limit_indices=(2,), strides=None), linear=(0,)),
    Case("slice", [F(3)], dict(start_indices=(1,), limit_indices=(3,), strides=(5,)), linear=(0,)),
    Case("slice", [F()], dict(start_indices=(), limit_indices=(), strides=None), linear=(0,)),
    Case(
        "slice",
        [F(1, 1)],
        dict(start_indices=(0, 0), limit_indices=(1, 1), strides=None),
        linear=(0,),
    ),
    Case(
        "slice",
        [F(3, 5, dtype=f32)],
        dict(start_indices=(0, 1), limit_indices=(2, 5), strides=(1, 2)),
        linear=(0,),
        rtol=1e-4,
    ),
    # pad: linear in (x, padding_value) jointly
    Case("pad", [F(3), F()], dict(padding_config=((1, 2, 0),)), linear=(0, 1)),
    Case("pad", [F(3), F()], dict(padding_config=((0, 0, 2),)), linear=(0, 1)),
    Case("pad", [F(4), F()], dict(padding_config=((-1, 2, 1),)), linear=(0, 1)),
    Case("pad", [F(4), F()], dict(padding_config=((-2, -3, 1),)), linear=(0, 1)),
    Case("pad", [F(2, 3), F()], dict(padding_config=((1, -1, 1), (0, 2, 0))), linear=(0, 1)),
    Case("pad", [F(), F()], dict(padding_config=()), linear=(0, 1)),
    Case("pad", [F(0), F()], dict(padding_config=((2, 1, 3),)), linear=(0, 1)),
    Case("pad", [F(1), F()], dict(padding_config=((0, 0, 4),)), linear=(0, 1)),
    Case(
        "pad",
        [F(2, 2, dtype=f32), F(dtype=f32)],
        dict(padding_config=((1, 0, 1), (0, 1, 0))),
        linear=(0, 1),
        rtol=1e-4,
    ),
    # concatenate: linear in every operand
    Case("concatenate", [F(2, 3), F(4, 3)], dict(dimension=0), linear=(0, 1)),
    Case("concatenate", [F(2, 1), F(2, 3), F(2, 2)], dict(dimension=1), linear=(0, 1, 2)),
    Case("concatenate", [F(1), F(1)], dict(dimension=0), linear=(0, 1)),
    Case("concatenate", [F(0, 3), F(2, 3)], dict(dimension=0), linear=(0, 1)),
    Case(
        "concatenate",
        [F(3, dtype=f32), F(2, dtype=f32)],
        dict(dimension=0),
        linear=(0, 1),
        rtol=1e-4,
    ),
    # rev
    Case("rev", [F(4)], dict(dimensions=(0,)), linear=(0,)),
    Case("rev", [F(2, 3)], dict(dimensions=(0, 1)), linear=(0,)),
    Case("rev", [F(2, 3)], dict(dimensions=(1,)), linear=(0,)),
    Case("rev", [F(1)], dict(dimensions=(0,)), linear=(0,)),
    Case("rev", [C([[1.0, 2.0, 3.0]])], dict(dimensions=(1,)), linear=(0,)),
    Case("rev", [F(3, 2, dtype=f32)], dict(dimensions=(0,)), linear=(0,), rtol=1e-4),
    # iota: no operands, so nothing to differentiate or batch
    Case("iota", [], dict(dtype=np.dtype(np.int64), shape=(3, 4), dimension=1), vmap=False),
    Case("iota", [], dict(dtype=np.dtype(np.float64), shape=(5,), dimension=0), vmap=False),
    Case("iota", [], dict(dtype=np.dtype(np.int32), shape=(0, 2), dimension=0), vmap=False),
    Case("iota", [], dict(dtype=np.dtype(np.float32), shape=(1, 1, 2), dimension=2), vmap=False),
]
