"""Cases for the indexing primitives (ops/indexing.py). Index operands are integers and
never differentiated; some lie out of range on purpose (they are clamped)."""

import numpy as np

from . import C, Case, F, I

f32 = np.float32

CASES = [
    # gather = np.take(x, idx, axis, mode="clip")
    Case("gather", [F(5), I(3, lo=0, hi=5)], dict(axis=0), diff=(0,), linear=(0,)),
    Case("gather", [F(3, 4), I(2, 2, lo=0, hi=4)], dict(axis=1), diff=(0,), linear=(0,)),
    Case("gather", [F(4, 3), I(lo=0, hi=4)], dict(axis=0), diff=(0,), linear=(0,)),
    Case(
        "gather",
        [F(2, 3, 4), I(5, lo=-2, hi=6)],
        dict(axis=1),
        diff=(0,),
        linear=(0,),
        note="clipped",
    ),
    Case("gather", [F(4), C([1, 1, 1])], dict(axis=0), diff=(0,), linear=(0,), note="repeats"),
    Case("gather", [F(1), I(1, lo=0, hi=1)], dict(axis=0), diff=(0,), linear=(0,)),
    Case("gather", [F(3, 0), I(2, lo=0, hi=3)], dict(axis=0), diff=(0,), linear=(0,)),
    Case(
        "gather",
        [F(3, 2, dtype=f32), I(4, lo=0, hi=3, dtype=np.int32)],
        dict(axis=0),
        diff=(0,),
        linear=(0,),
        rtol=1e-4,
    ),
    # scatter_add: np.add.at, repeats accumulate; linear in (x, updates)
    Case("scatter_add", [F(5), C([1, 3, 1]), F(3)], dict(axis=0), diff=(0, 2), linear=(0, 2)),
    Case(
        "scatter_add",
        [F(3, 4), I(2, lo=0, hi=4), F(3, 2)],
        dict(axis=1),
        diff=(0, 2),
        linear=(0, 2),
    ),
    Case("scatter_add", [F(4, 3), I(lo=0, hi=4), F(3)], dict(axis=0), diff=(0, 2), linear=(0, 2)),
    Case(
        "scatter_add",
        [F(2, 3), I(2, 2, lo=-1, hi=4), F(2, 2, 2)],
        dict(axis=1),
        diff=(0, 2),
        linear=(0, 2),
        note="clipped",
    ),
    Case("scatter_add", [F(1), C([0, 0]), F(2)], dict(axis=0), diff=(0, 2), linear=(0, 2)),
    Case(
        "scatter_add",
        [F(4, dtype=f32), I(3, lo=0, hi=4), F(3, dtype=f32)],
        dict(axis=0),
        diff=(0, 2),
        linear=(0, 2),
        rtol=1e-4,
    ),
    # scatter: set, the last write wins on repeats; linear in (x, updates)
    Case("scatter", [F(5), C([1, 3, 1]), F(3)], dict(axis=0), diff=(0, 2), linear=(0, 2)),
    Case("scatter", [F(5), I(6, lo=0, hi=5), F(6)], dict(axis=0), diff=(0, 2), linear=(0, 2)),
    Case("scatter", [F(3, 4), I(2, lo=0, hi=4), F(3, 2)], dict(axis=1), diff=(0, 2), linear=(0, 2)),
    Case("scatter", [F(4, 3), I(lo=0, hi=4), F(3)], dict(axis=0), diff=(0, 2), linear=(0, 2)),
    Case(
        "scatter",
        [F(2, 3), C([[2, 0], [2, 7]]), F(2, 2, 2)],
        dict(axis=1),
        diff=(0, 2),
        linear=(0, 2),
        note="clipped repeats",
    ),
    Case(
        "scatter",
        [F(3, dtype=f32), I(2, lo=0, hi=3), F(2, dtype=f32)],
        dict(axis=0),
        diff=(0, 2),
        linear=(0, 2),
        rtol=1e-4,
    ),
    # take_along_axis and its transpose scatter_add_along
    Case("take_along_axis", [F(3, 4), I(3, 2, lo=0, hi=4)], dict(axis=1), diff=(0,), linear=(0,)),
    Case("take_along_axis", [F(3, 4), I(5, 4, lo=0, hi=3)], dict(axis=0), diff=(0,), linear=(0,)),
    Case(
        "take_along_axis",
        [F(4), I(6, lo=-1, hi=6)],
        dict(axis=0),
        diff=(0,),
        linear=(0,),
        note="clipped",
    ),
    Case("take_along_axis", [F(1), I(1, lo=0, hi=1)], dict(axis=0), diff=(0,), linear=(0,)),
    Case(
        "take_along_axis",
        [F(2, 3, dtype=f32), I(2, 3, lo=0, hi=3)],
        dict(axis=1),
        diff=(0,),
        linear=(0,),
        rtol=1e-4,
    ),
    Case(
        "scatter_add_along",
        [F(3, 4), I(3, 2, lo=0, hi=4), F(3, 2)],
        dict(axis=1),
        diff=(0, 2),
        linear=(0, 2),
    ),
    Case(
        "scatter_add_along",
        [F(3, 4), C([[0, 0, 1, 1]] * 3), F(3, 4)],
        dict(axis=0),
        diff=(0, 2),
        linear=(0, 2),
        note="repeats",
    ),
    Case(
        "scatter_add_along",
        [F(4), I(6, lo=-1, hi=6), F(6)],
        dict(axis=0),
        diff=(0, 2),
        linear=(0, 2),
    ),
    # dynamic_slice: starts are clamped so the window fits
    Case("dynamic_slice", [F(5), I(lo=-2, hi=6)], dict(slice_sizes=(3,)), diff=(0,), linear=(0,)),
    Case(
        "dynamic_slice",
        [F(5), C(4)],
        dict(slice_sizes=(3,)),
        diff=(0,),
        linear=(0,),
        note="clamped",
    ),
    Case(
        "dynamic_slice",
        [F(4, 5), I(lo=0, hi=3), I(lo=0, hi=4, dtype=np.int32)],
        dict(slice_sizes=(2, 2)),
        diff=(0,),
        linear=(0,),
    ),
    Case(
        "dynamic_slice",
        [F(3, 4), I(lo=0, hi=3), I(lo=0, hi=4)],
        dict(slice_sizes=(0, 4)),
        diff=(0,),
        linear=(0,),
    ),
    Case("dynamic_slice", [F()], dict(slice_sizes=()), linear=(0,)),
    Case("dynamic_slice", [F(1), C(0)], dict(slice_sizes=(1,)), diff=(0,), linear=(0,)),
    Case(
        "dynamic_slice",
        [F(6, dtype=f32), I(lo=0, hi=6)],
        dict(slice_sizes=(2,)),
        diff=(0,),
        linear=(0,),
        rtol=1e-4,
    ),
    # dynamic_update_slice: linear in (x, update)
    Case("dynamic_update_slice", [F(5), F(2), I(lo=-2, hi=6)], diff=(0, 1), linear=(0, 1)),
    Case("dynamic_update_slice", [F(5), F(2), C(4)], diff=(0, 1), linear=(0, 1), note="clamped"),
    Case(
        "dynamic_update_slice",
        [F(4, 5), F(2, 3), I(lo=0, hi=4), I(lo=0, hi=5)],
        diff=(0, 1),
        linear=(0, 1),
    ),
    Case("dynamic_update_slice", [F(), F()], linear=(0, 1)),
    Case("dynamic_update_slice", [F(3), F(0), I(lo=0, hi=3)], diff=(0, 1), linear=(0, 1)),
    Case(
        "dynamic_update_slice",
        [F(4, dtype=f32), F(4, dtype=f32), I(lo=0, hi=2)],
        diff=(0, 1),
        linear=(0, 1),
        rtol=1e-4,
    ),
]
