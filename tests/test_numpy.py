"""tracejit.numpy equals NumPy: values, dtypes and shapes, eager and traced.

The law: for every case (name, args, kwargs) of the table, `tnp.<name>(*args)` on NumPy
inputs returns NumPy arrays equal to `np.<name>(*args)`, same dtype and shape; and the
same call traced under vmap (a batch of two copies of each array argument) gives the
same values for each batch element. Gradients and indexing are in test_numpy_grad.py
and test_numpy_indexing.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tracejit import tree

rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4))
A32 = A.astype(np.float32)
A3 = rng.normal(size=(2, 3, 4))
B = rng.normal(size=(4,))
B3 = rng.normal(size=(3,))
C = rng.normal(size=(3, 1))
I = rng.integers(-5, 6, size=(3, 4))  # noqa: E741
I32 = I.astype(np.int32)
I8 = I.astype(np.int8)
NZ = np.where(I == 0, 3, I)  # nonzero ints
POS = rng.uniform(0.1, 2.0, size=(3, 4))
UNIT = rng.uniform(-0.9, 0.9, size=(3, 4))
BIG = rng.uniform(1.1, 3.0, size=(3, 4))
BO = A > 0
SPECIAL = np.array([0.0, -0.0, 1.5, -2.5, np.nan, np.inf, -np.inf, 0.5, 2.5])
S = rng.normal(size=(3, 3))
SPD = S @ S.T + 3 * np.eye(3)
SPD32 = SPD.astype(np.float32)
X1 = rng.normal(size=(3, 1, 4, 1))
TIES = np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, -1.0, 7.0], [0.0, 0.0, 0.0, 0.0]])


def case(name, *args, id=None, traced=True, **kwargs):
    return pytest.param(name, args, kwargs, traced, id=id or _id(name, args, kwargs))


def _id(name, args, kwargs):
    def show(a):
        if isinstance(a, np.ndarray):
            return f"{a.dtype.name}{list(a.shape)}"
        if isinstance(a, (list, tuple)) and any(isinstance(v, np.ndarray) for v in a):
            return "[" + ",".join(show(v) for v in a) + "]"
        return repr(a)

    parts = [show(a) for a in args] + [f"{k}={show(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def fn_of(module, name):
    for part in name.split("."):
        module = getattr(module, part)
    return module


UNARY_REAL = "sin cos tan arctan sinh tanh arcsinh exp exp2 expm1 cbrt square negative positive \
absolute abs fabs sign floor ceil rint trunc fix round around deg2rad rad2deg degrees radians \
sinc isnan isinf isfinite signbit nan_to_num conjugate conj real imag".split()
UNARY_POS = "log log1p log2 log10 sqrt reciprocal".split()
BINARY = "add subtract multiply divide true_divide power maximum minimum fmax fmin arctan2 \
hypot logaddexp logaddexp2 copysign heaviside equal not_equal less less_equal greater \
greater_equal".split()
LOGICAL = "logical_and logical_or logical_xor".split()
BITWISE = "bitwise_and bitwise_or bitwise_xor".split()

ELEMENTWISE = (
    [case(n, x) for n in UNARY_REAL for x in (A, A32, I)]
    + [case(n, SPECIAL) for n in UNARY_REAL if n not in ("sinc",)]
    + [case(n, x) for n in UNARY_POS for x in (POS, POS.astype(np.float32))]
    + [case(n, NZ) for n in UNARY_POS]
    + [case(n, x) for n in ("sin", "sqrt", "exp") for x in (I8, I32, BO)]
    + [case(n, x) for n in ("arcsin", "arccos", "arctanh") for x in (UNIT, UNIT.astype(np.float32))]
    + [case("arccosh", BIG)]
    + [case(n, x, y) for n in BINARY for x, y in ((A, B), (A32, 2.0), (C, A32), (POS, I))]
    + [case(n, I, 2) for n in ("add", "subtract", "multiply", "divide", "maximum", "less")]
    + [
        case(n, x, y)
        for n in ("floor_divide", "remainder", "mod", "fmod")
        for x, y in ((I, NZ), (A, POS), (-A32, 0.75), (I, 3), (7, NZ))
    ]
    + [case("divmod", A, POS), case("divmod", I, NZ)]
    + [
        case("power", POS, A),
        case("power", I, 3),
        case("power", A, -2),
        case("power", A32, 3),
        case("power", 2, I.clip(0)),
        case("power", BO, 2),
        case("float_power", POS, A),
        case("float_power", I32.clip(0), 2),
    ]
    + [case(n, x, y) for n in LOGICAL for x, y in ((A, BO), (I, I32), (BO, 0))]
    + [case("logical_not", x) for x in (A, I, BO)]
    + [case(n, x, y) for n in BITWISE for x, y in ((I, I32), (BO, BO), (I8, 3))]
    + [case("invert", x) for x in (I, BO, I8)]
    + [case("bitwise_not", I)]
    + [
        case(n, SPECIAL, SPECIAL[::-1])
        for n in ("fmax", "fmin", "maximum", "minimum", "logaddexp", "copysign", "heaviside")
    ]
    + [
        case("heaviside", A, 0.5),
        case("round", A, 2),
        case("round", A32, 1),
        case("round", A * 100, -1),
        case("round", I * 13, -1),
        case("around", A, 3),
    ]
    + [case("nan_to_num", SPECIAL, nan=-1.0, posinf=9.0), case("nan_to_num", I)]
    + [
        case("clip", A, -0.5, 0.5),
        case("clip", I, 0, 3),
        case("clip", A, None, 0.1),
        case("clip", A32, -1, 1.0),
        case("clip", I, 0.5, 2.5),
        case("clip", A, C, 0.2),
        case("clip", A, min=-0.1),
    ]
    + [
        case("where", A > 0, A, 0),
        case("where", BO, I, A32),
        case("where", C > 0, A32, 2),
        case("where", I, 1.0, -1.0),
    ]
    + [
        case("isclose", A, A + 1e-9),
        case("isclose", SPECIAL, SPECIAL, equal_nan=True),
        case("allclose", A, A + 1e-9),
        case("array_equal", I, I32),
        case("isposinf", SPECIAL),
        case("isneginf", SPECIAL),
    ]
)


REDUCTIONS = (
    [
        case(n, x, **kw)
        for n in ("sum", "mean", "prod", "max", "min", "amax", "amin", "ptp")
        for x in (A, A32, I)
        for kw in ({}, {"axis": 0}, {"axis": -1, "keepdims": True}, {"axis": (0, 1)})
    ]
    + [
        case(n, A3, axis=(0, 2), keepdims=kw)
        for n in ("sum", "mean", "var", "std", "max")
        for kw in (False, True)
    ]
    + [
        case(n, x, **kw)
        for n in ("var", "std")
        for x in (A, A32, I)
        for kw in ({}, {"axis": 1}, {"axis": 0, "ddof": 1}, {"keepdims": True})
    ]
    + [
        case(n, x, **kw)
        for n in ("argmax", "argmin")
        for x in (A, I, TIES)
        for kw in ({}, {"axis": 0}, {"axis": -1, "keepdims": True}, {"keepdims": True})
    ]
    + [
        case(n, x, **kw)
        for n in ("all", "any")
        for x in (BO, I, A)
        for kw in ({}, {"axis": 0}, {"axis": 1, "keepdims": True})
    ]
    + [
        case("count_nonzero", I),
        case("count_nonzero", I, axis=0),
        case("count_nonzero", BO, axis=1, keepdims=True),
    ]
    + [
        case("sum", I8),
        case("sum", BO, axis=0),
        case("sum", I32, dtype=np.float32),
        case("sum", A, where=BO),
        case("sum", A, initial=2.0),
        case("prod", I8, axis=1),
        case("mean", I, dtype=np.float32),
        case("mean", A, axis=1, where=BO),
        case("max", A, axis=0, initial=0.5),
        case("sum", np.float64(2.5)),
        case("mean", np.zeros((0, 3)), axis=0),
    ]
    + [
        case("average", A),
        case("average", A, axis=1, weights=POS),
        case("average", I, axis=0, weights=B3),
        case("average", A, axis=0, returned=True),
        case("average", A, 1, POS[0], True, keepdims=True),
    ]
    + [
        case(n, np.where(BO, np.nan, A), **kw)
        for n in ("nansum", "nanmean", "nanmax", "nanmin", "nanprod")
        for kw in ({}, {"axis": 0})
    ]
    + [
        case(n, x, **kw)
        for n in ("cumsum", "cumprod")
        for x in (A, A32, I, I8, BO)
        for kw in ({}, {"axis": 0}, {"axis": -1})
    ]
    + [case("cumsum", I, axis=1, dtype=np.float64), case("cumsum", np.float64(3.0))]
)


SHAPES = (
    [
        case("reshape", A, (4, 3)),
        case("reshape", A, -1),
        case("reshape", A, (2, -1)),
        case("reshape", A, (2, 6), order="F"),
        case("reshape", A3, (4, 6), order="F"),
        case("reshape", np.float64(1.0), (1, 1)),
        case("ravel", A),
        case("ravel", A3, order="F"),
        case("transpose", A3),
        case("transpose", A3, (1, 0, 2)),
        case("transpose", A3, (-1, 0, 1)),
        case("moveaxis", A3, 0, -1),
        case("moveaxis", A3, [0, 1], [2, 0]),
        case("swapaxes", A3, 0, 2),
        case("squeeze", X1),
        case("squeeze", X1, axis=1),
        case("squeeze", X1, axis=(1, -1)),
        case("expand_dims", A, 0),
        case("expand_dims", A, (0, 3)),
        case("expand_dims", A, -1),
        case("broadcast_to", B, (3, 4)),
        case("broadcast_to", np.float32(2), 3),
        case("broadcast_arrays", A, C, B),
        case("atleast_1d", np.float64(1.0)),
        case("atleast_1d", A, B),
        case("atleast_2d", B),
        case("atleast_2d", np.float64(1.0)),
        case("atleast_3d", B),
        case("atleast_3d", A),
        case("atleast_3d", A3),
        case("concatenate", [A, A], axis=1),
        case("concatenate", [A, I, A32]),
        case("concatenate", [A, B], axis=None),
        case("concatenate", (A, A, A), axis=-1),
        case("concatenate", [A], axis=0),
        case("stack", [A, A]),
        case("stack", [A, I], axis=-1),
        case("stack", (B, B, B), axis=1),
        case("hstack", [A, A]),
        case("hstack", [B, B3]),
        case("vstack", [A, B]),
        case("vstack", [B, B]),
        case("dstack", [A, A]),
        case("column_stack", [B3, A, C]),
    ]
    + [case(n, A, 2, axis=1) for n in ("split", "array_split")]
    + [
        case("split", A, [1, 3], axis=1),
        case("split", A, [-1]),
        case("array_split", B, 3),
        case("array_split", A3, 3, axis=-1),
        case("array_split", B, [1, 10]),
        case("hsplit", A, 2),
        case("vsplit", A, 3),
        case("dsplit", A3, [1]),
    ]
    + [
        case("tile", B, (2, 2)),
        case("tile", A, 2),
        case("tile", A, (2, 1, 2)),
        case("repeat", A, 2, axis=0),
        case("repeat", A, [1, 2, 0], axis=0),
        case("repeat", A, 2),
        case("repeat", I, 3, axis=-1),
    ]
    + [
        case("roll", A, 1),
        case("roll", A, -2, axis=1),
        case("roll", A, (1, 2), axis=(0, 1)),
        case("roll", A, 5, axis=0),
        case("roll", A3, (1, 1), axis=(2, 2)),
    ]
    + [
        case("flip", A),
        case("flip", A, 1),
        case("flip", A3, (0, 2)),
        case("fliplr", A),
        case("flipud", A),
        case("rot90", A),
        case("rot90", A, 2),
        case("rot90", A, 3),
        case("rot90", A3, 1, axes=(2, 0)),
        case("rot90", A, -1),
    ]
    + [
        case("pad", A, 1),
        case("pad", A, ((1, 2), (0, 1)), constant_values=3),
        case("pad", I, (2, 1), constant_values=((1, 2), (3, 4))),
        case("pad", A32, 1, constant_values=0.5),
    ]
    + [case("pad", A, ((2, 3), (1, 4)), mode=m) for m in ("edge", "wrap", "reflect", "symmetric")]
    + [
        case("diag", B),
        case("diag", B, 1),
        case("diag", B, -2),
        case("diag", A),
        case("diag", A, 1),
        case("diag", A, -1),
        case("diag", A, 7),
        case("diagflat", A),
        case("diagflat", B3, -1),
        case("diagonal", A3, 1, 0, 2),
        case("diagonal", A3),
        case("diagonal", A, -2),
        case("trace", A),
        case("trace", A, 1),
        case("trace", A3, 0, 1, 2),
        case("trace", I),
        case("tril", A),
        case("tril", A, -1),
        case("triu", A, 1),
        case("triu", A3),
        case("tril", B),
    ]
    + [
        case("meshgrid", B, B3),
        case("meshgrid", B, B3, indexing="ij"),
        case("meshgrid", B, B3, A, sparse=True),
        case("meshgrid", B),
    ]
    + [
        case("sort", A),
        case("sort", A, axis=0),
        case("sort", A, axis=None),
        case("sort", I),
        case("sort", SPECIAL),
        case("argsort", A),
        case("argsort", A, axis=0),
        case("argsort", A, axis=None),
        case("argsort", I32, kind="stable"),
    ]
    + [
        case("diff", A),
        case("diff", A, 2, axis=0),
        case("diff", A, prepend=0.5),
        case("diff", I, append=I[:, :1]),
        case("diff", BO, axis=0),
        case("diff", B, 3),
        case("searchsorted", np.sort(B), A),
        case("searchsorted", np.sort(B), 0.1),
        case("searchsorted", np.sort(I[0]), I, side="right"),
        case("searchsorted", B, A, sorter=np.argsort(B)),
    ]
    + [
        case("take", A, [0, 2, -1], axis=1),
        case("take", A, [[0, 1]]),
        case("take", A, 5),
        case("take", A, [1, 0], axis=0),
        case("take", A, 7, mode="clip"),
        case("take", A, [5, -1], axis=1, mode="wrap"),
        case("take", A, -1, mode="clip"),
        case("take_along_axis", A, np.argsort(A, 1), 1),
        case("take_along_axis", A, np.argmax(A, 0)[None], 0),
        case("take_along_axis", A, np.array([[0], [1], [-1]]), -1),
        case("take_along_axis", A, np.argsort(A, None), None),
    ]
)


CREATION = [
    case(n, *a, traced=False, **k)
    for n, a, k in [
        ("zeros", ((2, 3),), {}),
        ("zeros", (3,), {"dtype": np.int32}),
        ("ones", (3,), {"dtype": np.int32}),
        ("ones", ((2, 1),), {}),
        ("full", ((2, 2), 1.5), {}),
        ("full", (3, 2), {}),
        ("full", (3, True), {}),
        ("full", ((2, 3), B3[:1]), {}),
        ("eye", (3,), {}),
        ("eye", (3, 4, 1), {}),
        ("eye", (3,), {"dtype": int}),
        ("identity", (2,), {}),
        ("zeros_like", (A32,), {}),
        ("ones_like", (I,), {}),
        ("full_like", (A, 7), {}),
        ("full_like", (I, 2.5), {}),
        ("zeros_like", (A,), {"dtype": np.int8}),
        ("ones_like", (A,), {"shape": (2,)}),
        ("arange", (5,), {}),
        ("arange", (1, 2, 0.25), {}),
        ("arange", (5.0,), {}),
        ("arange", (0, 10, 3), {"dtype": np.float32}),
        ("linspace", (0, 1, 5), {}),
        ("linspace", (0, 1, 5), {"endpoint": False}),
        ("linspace", (2, 3), {"num": 4, "retstep": True}),
        ("linspace", (B3, 2.0, 4), {"axis": -1}),
        ("logspace", (0, 2, 3), {}),
        ("tri", (3,), {}),
        ("tri", (3, 4, -1), {}),
        ("array", ([1, 2.5],), {}),
        ("array", (A,), {"dtype": np.float32}),
        ("asarray", ([[1, 2], [3, 4]],), {}),
        ("asarray", (I, float), {}),
        ("copy", (A,), {}),
        ("array", (1,), {"ndmin": 2}),
        ("empty", ((2, 3),), {}),
        ("empty_like", (I,), {}),
    ]
]


PRODUCTS = [
    case("dot", A, B),
    case("dot", A, A.T),
    case("dot", B, B),
    case("dot", A3, B),
    case("dot", A3, A.T),
    case("dot", 2.0, A),
    case("dot", I, B),
    case("dot", I, I.T),
    case("dot", BO, BO.T),
    case("matmul", A, A.T),
    case("matmul", A3, A.T),
    case("matmul", B, A.T),
    case("matmul", A, B),
    case("matmul", B, B),
    case("matmul", I32, I32.T),
    case("matmul", A32, B),
    case("matmul", A3[:, None], np.stack([A.T] * 5)),
    case("tensordot", A3, A, axes=([1, 2], [0, 1])),
    case("tensordot", A, B, 1),
    case("tensordot", A3, A3, axes=([0, 1], [0, 1])),
    case("tensordot", A, A),
    case("tensordot", A, B3, ([0], [0])),
    case("tensordot", A, A, 0),
    case("inner", A, A),
    case("inner", B, B),
    case("inner", A3, B),
    case("inner", 2.0, A),
    case("outer", B, B3),
    case("outer", A, I),
    case("kron", A, S),
    case("kron", B, B3),
    case("kron", A3, A),
    case("vdot", A, A),
    case("vdot", I, A),
    case("cross", A[:, :3], A[:, 1:]),
    case("cross", A3[0, :, :3], B[:3]),
    case("cross", A3[:, :, :3], A3[:, :, 1:], axisc=0),
    case("cross", A[:, :3].T, A[:, 1:], axisa=0),
] + [
    case("einsum", s, *ops)
    for s, ops in [
        ("ij,jk->ik", (A, A.T)),
        ("ii->i", (S,)),
        ("ii", (S,)),
        ("ij->", (A,)),
        ("i,i", (B, B)),
        ("i,j->ij", (B, B3)),
        ("...ij,...jk->...ik", (A3, A.T)),
        ("bij,bjk->bik", (A3, np.swapaxes(A3, 1, 2))),
        ("ij,ij->ij", (A, A)),
        ("ijk->kji", (A3,)),
        ("ij,jk,kl->il", (A, A.T, S)),
        ("ij,kj", (A, A)),
        ("i...->...", (A3,)),
        ("ij,i->j", (A, B3)),
        ("iij->ij", (np.stack([S] * 2, -1),)),
        ("ab,cd->", (A, S)),
        ("bi,bj->bij", (A, A)),
        ("ij...,jk...->ik...", (A3.T, np.ones((3, 5, 2)))),
        ("ij,j", (I, B)),
        ("i,i,i->", (B, B, B)),
    ]
]


LINALG = (
    [
        case("linalg.norm", x, *a, **k)
        for x, a, k in [(A, (), {}), (B, (), {}), (I, (), {}), (A32, (), {})]
    ]
    + [case("linalg.norm", B, o) for o in (1, 2, np.inf, -np.inf, 0, 3, 0.5, -1)]
    + [case("linalg.norm", A, o) for o in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf, None)]
    + [
        case("linalg.norm", A, axis=1),
        case("linalg.norm", A, 1, axis=0),
        case("linalg.norm", A3, axis=(0, 2)),
        case("linalg.norm", A3, axis=(2, 0)),
        case("linalg.norm", A3, 2, (1, 2)),
        case("linalg.norm", A3, 1, (2, 1), True),
        case("linalg.norm", A, keepdims=True),
        case("linalg.norm", A, np.inf, axis=-1),
        case("linalg.norm", A3, "nuc", (0, 1)),
    ]
    + [
        case(n, x)
        for n in (
            "linalg.inv",
            "linalg.det",
            "linalg.slogdet",
            "linalg.cholesky",
            "linalg.eigvalsh",
        )
        for x in (SPD, SPD32, np.stack([SPD, 2 * SPD]))
    ]
    + [
        case("linalg.solve", SPD, B3),
        case("linalg.solve", SPD, S),
        case("linalg.solve", np.stack([SPD, 2 * SPD]), B3),
        case("linalg.solve", np.stack([SPD, 2 * SPD]), S),
        case("linalg.solve", SPD32, B3),
        case("linalg.det", S.round().astype(int)),
        case("linalg.cholesky", SPD, upper=True),
        case("linalg.pinv", A),
        case("linalg.pinv", A.T),
        case("linalg.pinv", np.outer(B, B)),
        case("linalg.matrix_power", S, 3),
        case("linalg.matrix_power", S, -2),
        case("linalg.matrix_power", S, 0),
        case("linalg.matrix_power", S, 1),
        case("linalg.multi_dot", [A, A.T, S]),
        case("linalg.svd", A, compute_uv=False),
        case("linalg.svdvals", A),
        case("linalg.matrix_rank", A),
        case("linalg.matrix_rank", np.outer(B, B)),
        case("linalg.matrix_transpose", A3),
        case("linalg.vector_norm", A3, axis=1),
        case("linalg.matrix_norm", A3),
        case("linalg.trace", A3),
        case("linalg.diagonal", A3, offset=1),
        case("linalg.outer", B, B3),
        case("linalg.tensordot", A, A.T, axes=1),
    ]
)


def check_equal(got, want, what):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), what
        for g, w in zip(got, want, strict=True):
            check_equal(g, w, what)
        return
    assert isinstance(got, (np.ndarray, np.generic)), f"{what}: got {type(got).__name__}"
    want = np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, NumPy {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, NumPy {want.shape}"
    tol = 1e-5 if want.dtype in (np.float32, np.float16) else 1e-10
    if np.issubdtype(want.dtype, np.inexact):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def run_vmapped(f, args, kwargs):
    """f(*args, **kwargs) under vmap over two copies of every array argument."""
    leaves, treedef = tree.flatten(args)
    dyn = [i for i, v in enumerate(leaves) if isinstance(v, np.ndarray)]

    def g(*d):
        full = list(leaves)
        for i, v in zip(dyn, d, strict=True):
            full[i] = v
        return f(*tree.unflatten(treedef, full), **kwargs)

    out = tj.vmap(g)(*[np.stack([leaves[i], leaves[i]]) for i in dyn])
    return [tree.map(lambda o, k=k: np.asarray(o)[k], out) for k in (0, 1)]


ALL = ELEMENTWISE + REDUCTIONS + SHAPES + CREATION + PRODUCTS + LINALG
NONDETERMINISTIC = {"empty", "empty_like"}


@pytest.mark.parametrize("name,args,kwargs,traced", ALL)
def test_eager_matches_numpy(name, args, kwargs, traced):
    with np.errstate(all="ignore"):
        want = fn_of(np, name)(*args, **kwargs)
        got = fn_of(tnp, name)(*args, **kwargs)
    if name in NONDETERMINISTIC:
        assert got.shape == want.shape and got.dtype == want.dtype
        return
    check_equal(got, want, name)


@pytest.mark.parametrize("name,args,kwargs,traced", [c for c in ALL if c.values[3]])
def test_vmapped_matches_numpy(name, args, kwargs, traced):
    if not any(isinstance(v, np.ndarray) for v in tree.leaves(args)):
        pytest.skip("no array argument to trace")
    with np.errstate(all="ignore"):
        want = fn_of(np, name)(*args, **kwargs)
        got = run_vmapped(fn_of(tnp, name), args, kwargs)
    for g in got:
        if isinstance(want, tuple) and not isinstance(g, (tuple, list)):
            g = tuple(g)
        check_equal(g if not isinstance(want, list) else list(g), want, name + " (vmapped)")


@pytest.mark.parametrize("a", [SPD, SPD32, np.stack([SPD, 2 * SPD])], ids=["f64", "f32", "stack"])
def test_decompositions_match_numpy(a):
    for got, want in [
        (tnp.linalg.eigh(a), np.linalg.eigh(a)),
        (tnp.linalg.svd(a), np.linalg.svd(a)),
        (tnp.linalg.svd(A, full_matrices=False), np.linalg.svd(A, full_matrices=False)),
        (tnp.linalg.qr(a), np.linalg.qr(a)),
        (tnp.linalg.qr(A, mode="complete"), np.linalg.qr(A, mode="complete")),
    ]:
        assert type(got).__name__ == type(want).__name__ and got._fields == want._fields
        for g, w in zip(got, want, strict=True):
            check_equal(g, w, type(want).__name__)
    check_equal(tnp.linalg.qr(A, mode="r"), np.linalg.qr(A, mode="r"), "qr r")


# ---------------------------------------------------------------------------
# promotion, scalars, errors


def test_weak_python_scalars():
    x32 = np.float32(1) * np.ones(3, np.float32)
    assert tnp.add(x32, 2.0).dtype == np.float32
    assert tnp.multiply(2, x32).dtype == np.float32
    assert tnp.add(np.ones(3, np.int32), 2).dtype == np.int32
    assert tnp.add(np.ones(3, np.int32), 2.0).dtype == np.float64
    assert tnp.true_divide(np.ones(3, np.int32), 2).dtype == np.float64
    assert tnp.sin(np.arange(3)).dtype == np.float64
    assert tnp.add(x32, np.float64(2.0)).dtype == np.float64  # NumPy scalars are strong
    assert tnp.where(x32 > 0, x32, 0.0).dtype == np.float32
    assert tnp.mean(x32).dtype == np.float32
    assert tnp.linalg.norm(x32).dtype == np.float32


def test_weak_scalars_traced():
    x32 = np.ones(3, np.float32)

    def f(x):
        y = x * 2.0 + 1 - x / 3 + x**2 + 2.0**x + abs(-x) + (x > 0.5) * x
        assert y.dtype == np.float32
        return y.sum()

    g = tj.grad(f)(x32)
    assert g.dtype == np.float32


def test_results_are_numpy_on_numpy_inputs():
    for out in (tnp.sin(1.0), tnp.sum(A), tnp.add(1, 2), tnp.linalg.norm(B), tnp.zeros(2)):
        assert type(out) in (np.ndarray,) or isinstance(out, np.generic)


@pytest.mark.parametrize(
    "name", ["fft", "sort_complex", "busday_count", "frompyfunc", "bitwise_count"]
)
def test_missing_numpy_function_raises(name):
    with pytest.raises(NotImplementedError, match=f"tracejit.numpy.{name} is not implemented"):
        getattr(tnp, name)
    assert not hasattr(tnp, name)


def test_missing_linalg_function_and_unknown_name():
    with pytest.raises(NotImplementedError, match="complex"):
        tnp.linalg.eig(np.eye(2))
    with pytest.raises(AttributeError):
        tnp.linalg.no_such_function  # noqa: B018
    with pytest.raises(AttributeError):
        tnp.no_such_function  # noqa: B018


def test_numpy_functions_on_tracers_dispatch():
    def f(x):
        y = np.sin(x) + np.exp(x) * np.float64(2.0)  # __array_ufunc__
        z = np.sum(y, axis=0) + np.mean(np.abs(x)) + np.linalg.norm(x)  # __array_function__
        w = np.add.reduce(x, axis=1).sum() + np.maximum(x, 0.0).sum()
        return z.sum() + w

    x = A.copy()
    want = f(x)
    np.testing.assert_allclose(tj.vmap(f)(np.stack([x, x])), [want, want])
    tj.check_grads(f, (x,), order=1, modes=("rev",))


def test_numpy_function_missing_in_tnp_raises_on_tracer():
    with pytest.raises(NotImplementedError, match="sort_complex"):
        tj.grad(lambda x: np.sort_complex(x).sum())(B)
    with pytest.raises(NotImplementedError, match="bitwise_count"):
        tj.vmap(lambda x: np.bitwise_count(x))(I)


def test_tracer_methods():
    def f(x):
        parts = [
            x.T,
            x.mT,
            x.reshape(4, 3),
            x.reshape((2, 6)),
            x.reshape(-1),
            x.astype(np.float32),
            x.sum(),
            x.sum(axis=0),
            x.mean(1, keepdims=True),
            x.max(),
            x.min(axis=0),
            x.prod(axis=1),
            x.std(),
            x.var(axis=0, ddof=1),
            x.argmax(),
            x.argmin(axis=1),
            x.cumsum(axis=0),
            x.cumprod(),
            x.any(),
            x.all(axis=0),
            x.transpose(),
            x.transpose(1, 0),
            x.transpose((1, 0)),
            x[None].squeeze(),
            x.squeeze(),
            x.ravel(),
            x.flatten(),
            x.dot(x.T),
            x.clip(-0.5, 0.5),
            x.clip(max=0.1),
            x.swapaxes(0, 1),
            x.conj(),
            x.real,
            x.copy(),
            x.trace(),
            x.diagonal(),
            x.round(1),
            x @ x.T,
            x.T @ x,
            divmod(x, 0.7)[0],
            x // 0.3,
            x % 0.4,
            -x,
            +x,
            abs(x),
            x**2,
            x**0.5 if False else x**3,
            2**x,
            x == x[0],
            x != 0,
            x < 0,
            x <= 0,
            x > 0,
            x >= 0,
            (x > 0) & (x < 1),
            (x > 0) | (x < -1),
            (x > 0) ^ (x < 1),
            ~(x > 0),
            x.imag,
        ]
        assert (len(x), x.shape, x.ndim, x.size, x.dtype) == (3, (3, 4), 2, 12, np.float64)
        return parts

    want = f(A)
    (got,) = run_vmapped(lambda x: f(x), (A,), {})[:1]
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        check_equal(np.asarray(g), np.asarray(w), f"method {k}")


def test_tracer_reflected_and_int_pow():
    ir = tj.make_ir(lambda x: x**2 + 3 * x - 1 / x + 2 - x)(A)
    names = [e.prim.name for e in ir.eqns]
    assert "integer_pow" in names and "pow" not in names
    assert "integer_pow" in [e.prim.name for e in tj.make_ir(tnp.square)(A).eqns]


def test_setitem_on_tracer_raises():
    def f(x):
        x[0] = 1.0
        return x

    with pytest.raises(TypeError, match=r"\.at\[idx\]\.set"):
        tj.grad(lambda x: f(x).sum())(B)


def test_asarray_of_traced_list():
    def f(x):
        return tnp.asarray([x[0], x[1] * 2, 3.0]).sum() + tnp.array([[x[0], 1], [2, x[2]]]).sum()

    tj.check_grads(f, (B,), order=1)
    np.testing.assert_allclose(f(B), B[0] + 2 * B[1] + 3 + B[0] + 3 + B[2])


def test_bad_axis_errors():
    with pytest.raises(np.exceptions.AxisError):
        tnp.sum(A, axis=2)
    with pytest.raises(ValueError, match="duplicate"):
        tnp.sum(A, axis=(0, 0))
    with pytest.raises(ValueError):
        tnp.add(A, np.ones(5))
    with pytest.raises(ValueError):
        tnp.squeeze(A, axis=0)


def test_extrema_of_empty_axes_are_the_initial_value():
    for a, kw in [
        (np.array([]), dict(initial=-np.inf)),
        (np.zeros((0, 3)), dict(axis=0, initial=2.0)),
        (np.zeros((0, 3), np.int32), dict(axis=0, initial=2, keepdims=True)),
    ]:
        for name in ("max", "min"):
            got, want = getattr(tnp, name)(a, **kw), getattr(np, name)(a, **kw)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(tj.grad(lambda a: tnp.max(a, initial=-1.0))(np.zeros(0)), [])
