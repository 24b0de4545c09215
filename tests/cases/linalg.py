"""Linear-algebra cases: SPD, triangular, well-conditioned and spectrally separated
inputs, so that finite differences and the 1/(λi - λj) terms are well behaved."""

import itertools

import numpy as np

from . import SPD, Case, F


def f32(make):
    return lambda rng: make(rng).astype(np.float32)


def WC(n, batch=()):
    """Well-conditioned general matrices: diagonally dominant, random sign of det."""

    def make(rng):
        a = rng.uniform(-1, 1, size=batch + (n, n)) + 2.5 * np.eye(n)
        flip = rng.permutation(n)  # a row permutation makes det negative half the time
        return a[..., flip, :]

    return make


def TRI(n, batch=()):
    """Matrices whose triangles (either one) are well conditioned triangular matrices."""
    return lambda rng: rng.uniform(-1, 1, size=batch + (n, n)) + 3.0 * np.eye(n)


def _orth(rng, batch, m, k):
    q, _ = np.linalg.qr(rng.normal(size=batch + (m, m)))
    return q[..., :k]


def SYM(n, batch=()):
    """Symmetric matrices with eigenvalues at least 1 apart (not sorted in the input)."""

    def make(rng):
        w = np.arange(n) * 1.5 - n / 2 + rng.uniform(0, 0.5, size=batch + (n,))
        v = _orth(rng, batch, n, n)
        return (v * w[..., None, :]) @ np.swapaxes(v, -1, -2)

    return make


def SEP(m, n, batch=()):
    """(m, n) matrices with singular values at least 1 apart, the smallest about 1."""

    def make(rng):
        k = min(m, n)
        s = 1.0 + np.arange(k)[::-1] * 1.0 + rng.uniform(0, 0.3, size=batch + (k,))
        u, v = _orth(rng, batch, m, k), _orth(rng, batch, n, k)
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)

    return make


_TRISOLVE = [
    Case(
        "triangular_solve",
        [TRI(3), F(3, 2) if left else F(2, 3)],
        dict(left_side=left, lower=lower, transpose_a=trans, unit_diagonal=unit),
        linear=(1,),
        note=f" left={left:d} lower={lower:d} trans={trans:d} unit={unit:d}",
    )
    for left, lower, trans, unit in itertools.product((True, False), repeat=4)
] + [
    Case(
        "triangular_solve",
        [TRI(4, (2,)), F(2, 4, 3)],
        dict(left_side=True, lower=True, transpose_a=False, unit_diagonal=False),
        linear=(1,),
        note=" batched",
    ),
    Case(
        "triangular_solve",
        [TRI(4, (2,)), F(2, 3, 4)],
        dict(left_side=False, lower=False, transpose_a=True, unit_diagonal=False),
        linear=(1,),
        note=" batched right",
    ),
    Case(
        "triangular_solve",
        [f32(TRI(3)), F(3, 2, dtype=np.float32)],
        dict(left_side=True, lower=False, transpose_a=False, unit_diagonal=False),
        linear=(1,),
        note=" f32",
    ),
]

CASES = (
    [
        Case("cholesky", [SPD(1)]),
        Case("cholesky", [SPD(3)]),
        Case("cholesky", [SPD(4, (2,))]),
        Case("cholesky", [SPD(3, (2, 2))]),
        Case("cholesky", [f32(SPD(3))]),
    ]
    + _TRISOLVE
    + [
        Case("solve", [WC(3), F(3, 2)], linear=(1,)),
        Case("solve", [WC(3), F(3, 1)], linear=(1,), note=" column"),
        Case("solve", [WC(4, (2,)), F(2, 4, 3)], linear=(1,)),
        Case("solve", [f32(WC(3)), F(3, 2, dtype=np.float32)], linear=(1,)),
        Case("inv", [WC(1)]),
        Case("inv", [WC(3)]),
        Case("inv", [WC(3, (2,))]),
        Case("inv", [f32(WC(3))]),
        Case("det", [WC(1)]),
        Case("det", [WC(3)]),
        Case("det", [WC(4, (3,))]),
        Case("det", [f32(WC(3))]),
        Case("adjugate", [WC(1)]),
        Case("adjugate", [WC(3)]),
        Case("adjugate", [WC(3, (2,))]),
        Case("adjugate", [f32(WC(3))]),
        Case("slogdet", [WC(3)]),
        Case("slogdet", [WC(4, (3,))]),
        Case("slogdet", [f32(WC(3))]),
        Case("eigh", [SYM(1)], dict(lower=True)),
        Case("eigh", [SYM(3)], dict(lower=True)),
        Case("eigh", [SYM(4)], dict(lower=False)),
        Case("eigh", [SYM(3, (2,))], dict(lower=True)),
        Case("eigh", [f32(SYM(3))], dict(lower=True)),
        Case("svd", [SEP(3, 3)], dict(full_matrices=False, compute_uv=True)),
        Case("svd", [SEP(4, 3)], dict(full_matrices=False, compute_uv=True)),
        Case("svd", [SEP(3, 4)], dict(full_matrices=False, compute_uv=True)),
        Case("svd", [SEP(4, 2, (2,))], dict(full_matrices=False, compute_uv=True)),
        Case("svd", [SEP(3, 3)], dict(full_matrices=True, compute_uv=True), note=" full"),
        Case(
            "svd",
            [SEP(4, 3)],
            dict(full_matrices=True, compute_uv=True),
            jvp=False,
            note=" full, no jvp (not square)",
        ),
        Case("svd", [SEP(4, 3)], dict(full_matrices=False, compute_uv=False)),
        Case("svd", [SEP(2, 3, (2,))], dict(full_matrices=False, compute_uv=False)),
        Case("svd", [f32(SEP(3, 2))], dict(full_matrices=False, compute_uv=True)),
        Case("qr", [WC(3)], dict(full_matrices=False)),
        Case("qr", [F(4, 3)], dict(full_matrices=False)),
        Case("qr", [WC(3, (2,))], dict(full_matrices=True)),
        Case("qr", [F(3, 4)], dict(full_matrices=False), jvp=False, note=" wide, no jvp"),
        Case("qr", [F(4, 3)], dict(full_matrices=True), jvp=False, note=" complete, no jvp"),
        Case("qr", [f32(WC(3))], dict(full_matrices=False)),
        Case("lu", [F(3, 3)]),
        Case("lu", [F(4, 4, lo=-1, hi=1)]),
        Case("lu", [F(2, 4, 4)]),
        Case("lu", [F(3, 3, dtype=np.float32)]),
    ]
)
