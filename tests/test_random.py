"""tracejit.random: reproducible, splittable, the same eagerly, jitted and batched, with the
right distributions, and equal to jax.random (x64) where tracejit/_threefry.py says so.

Statistical bounds are 5 standard errors wide: keys are fixed, so each check either
always passes or always fails; 5 sigma keeps a correct sampler from failing by chance
on one unlucky key (p ~ 6e-7 per check).
"""

import math

import numpy as np
import pytest
from scipy import stats

import tracejit as tj
from tracejit import _threefry
from tracejit import random as tr
from tracejit.lowering import lower_ir, python_function

KEY = tr.key(2024)


@pytest.fixture(autouse=True)
def _sync_compile(monkeypatch):
    # jitted calls must run machine code, not the interpreter that covers compilation
    monkeypatch.setenv("TRACEJIT_SYNC_COMPILE", "1")


def _samplers(key):
    """Every hash-only sampler once: one compiled kernel covers them all."""
    k1, k2, k3, k4 = tr.split(key, 4)
    return {
        "key": tr.key(np.int64(-3)),
        "split": tr.split(key, (2, 3)),
        "fold_in": tr.fold_in(key, 77),
        "bits32": tr.bits(k1, (5,), np.uint32),
        "bits64": tr.bits(k1, (2, 3)),
        "uniform": tr.uniform(k2, (4, 3)),
        "uniform32": tr.uniform(k2, (5,), np.float32, -2.0, 2.0),
        "normal": tr.normal(k3, (7,)),
        "randint": tr.randint(k4, (9,), -4, 11),
        "randint8": tr.randint(k4, (6,), -100, 100, np.int8),
        "bernoulli": tr.bernoulli(k1, 0.3, (8,)),
        "exponential": tr.exponential(k2, (3,)),
    }


# compiled: the samplers whose lowering differs (hashes, float bits, uint64 arithmetic);
# the others run through the generated source as plain Python (Numba compile time grows
# with the kernel: all of them in one kernel take ~10 s to compile)
COMPILED = ("key", "split", "fold_in", "bits32", "uniform", "normal", "bernoulli", "randint")
SAMPLERS_JIT = tj.jit(lambda key: {k: v for k, v in _samplers(key).items() if k in COMPILED})
ERFINV = {"normal"}  # SciPy's erfinv eagerly, erfinv_scalar compiled: a few ulp apart


def _assert_same(got, want, rtol=0.0):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    if rtol:
        np.testing.assert_allclose(got, want, rtol=rtol)
    else:
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------
# reproducibility and keys


def test_same_key_same_numbers_and_new_keys_new_numbers():
    a, b = _samplers(KEY), _samplers(tr.key(2024))
    for name in a:
        _assert_same(a[name], b[name])
    c = _samplers(tr.key(2025))
    assert not np.array_equal(a["uniform"], c["uniform"])
    assert not np.array_equal(a["split"], c["split"])


def test_keys_split_fold_in_agree_with_threefry():
    _assert_same(tr.key(42), _threefry.key(42))
    _assert_same(tr.split(KEY, 5), _threefry.split(KEY, 5))
    _assert_same(tr.fold_in(KEY, 9), _threefry.fold_in(KEY, 9))
    # the partitionable scheme: fold_in(key, i) is split(key, n)[i]
    _assert_same(tr.fold_in(KEY, 3), tr.split(KEY, 5)[3])
    _assert_same(tj.vmap(lambda i: tr.fold_in(KEY, i))(np.arange(5)), tr.split(KEY, 5))
    assert tr.split(KEY).shape == (2, 2) and tr.split(KEY, (2, 3)).shape == (2, 3, 2)


def test_samplers_agree_with_threefry():
    _assert_same(tr.bits(KEY, (3, 4), np.uint32), _threefry.random_bits(KEY, 32, (3, 4)))
    _assert_same(tr.uniform(KEY, (50,)), _threefry.uniform(KEY, (50,)))
    _assert_same(tr.normal(KEY, (50,)), _threefry.normal(KEY, (50,)))
    _assert_same(tr.randint(KEY, (50,), -3, 1000), _threefry.randint(KEY, (50,), -3, 1000))
    _assert_same(tr.gumbel(KEY, (20,)), _threefry.gumbel(KEY, (20,)))
    logits = np.log([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    _assert_same(tr.categorical(KEY, logits), _threefry.categorical(KEY, logits))
    _assert_same(tr.permutation(KEY, 30), _threefry.permutation(KEY, 30))
    _assert_same(tr.choice(KEY, 10, (4,), replace=False), _threefry.choice(KEY, 10, (4,), False))


def test_traced_seed_and_bad_keys():
    seeds = np.array([0, 1, -1, 2**40 + 5])
    keys = tj.vmap(tr.key)(seeds)
    _assert_same(keys, np.stack([tr.key(int(s)) for s in seeds]))
    with pytest.raises(TypeError, match="uint32 array of shape"):
        tr.uniform(np.array([1, 2]), (3,))
    with pytest.raises(TypeError, match="expected a key"):
        tr.normal(tr.split(KEY, 3), (2,))
    with pytest.raises(OverflowError):
        tr.fold_in(KEY, -1)


# ---------------------------------------------------------------------------
# eager == jit == vmap


def test_eager_equals_jit():
    for key in (KEY, tr.key(7)):  # the second call reuses the machine code
        eager, jitted = _samplers(key), SAMPLERS_JIT(key)
        assert sorted(jitted) == sorted(COMPILED)
        for name in COMPILED:
            _assert_same(jitted[name], eager[name], rtol=1e-14 if name in ERFINV else 0.0)


def test_generated_source_matches_eager():
    """Every sampler, and the sort-based ones (permutation, categorical, choice), through
    the generated source run as plain Python."""

    def f(key):
        x = np.arange(12.0).reshape(3, 4)
        return _samplers(key), (
            tr.permutation(key, 17),
            tr.permutation(key, x, axis=1),
            tr.permutation(key, x, axis=1, independent=True),
            tr.categorical(key, np.log([[0.2, 0.3, 0.5]] * 2), shape=(4, 2)),
            tr.choice(key, 9, (3,), replace=False),
            tr.choice(key, 4, (5,), p=np.array([0.1, 0.2, 0.3, 0.4])),
        )

    ir = tj.make_ir(f)(KEY)
    low = lower_ir(ir, "samplers")
    got = python_function(low)(*low.consts, KEY)
    want = tj.tree.leaves(f(KEY))
    names = sorted(_samplers(KEY))  # dict leaves come in key order
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        erfinv = k < len(names) and names[k] in ERFINV
        _assert_same(g, w, rtol=1e-14 if erfinv else 0.0)


def test_vmap_over_keys_is_a_loop():
    keys = tr.split(KEY, 4)
    got = tj.vmap(lambda k: tr.uniform(k, (3,)))(keys)
    _assert_same(got, np.stack([tr.uniform(k, (3,)) for k in keys]))
    batched = tj.vmap(_samplers)(keys)
    for name, v in batched.items():
        _assert_same(v, np.stack([_samplers(k)[name] for k in keys]))
    # keys batched along axis 1, and a batch of shapes (2, 2)
    grid = tr.split(KEY, (2, 2))
    got = tj.vmap(tj.vmap(lambda k: tr.normal(k, (2,))))(grid)
    _assert_same(got[1, 0], tr.normal(grid[1, 0], (2,)))
    got = tj.vmap(lambda k: tr.bits(k, (3,)), in_axes=1)(np.swapaxes(keys, 0, 1))
    _assert_same(got, np.stack([tr.bits(k, (3,)) for k in keys]))
    perms = tj.vmap(lambda k: tr.permutation(k, 6))(keys)
    _assert_same(perms, np.stack([tr.permutation(k, 6) for k in keys]))


def test_vmap_of_jit_over_keys():
    keys = tr.split(KEY, 3)
    got = tj.jit(tj.vmap(lambda k: tr.normal(k, (4,))))(keys)
    want = np.stack([tr.normal(k, (4,)) for k in keys])
    _assert_same(got, want, rtol=1e-14)


def test_reparameterised_samples_differentiate():
    eps = tr.normal(KEY, (100,))

    def loss(mu, sigma):
        return (mu + sigma * tr.normal(KEY, (100,))).mean()

    gmu, gsigma = tj.grad(loss, argnums=(0, 1))(0.5, 2.0)
    assert np.isclose(gmu, 1.0) and np.isclose(gsigma, eps.mean())
    g = tj.grad(lambda hi: tr.uniform(KEY, (10,), maxval=hi).sum())(3.0)
    assert np.isclose(g, tr.uniform(KEY, (10,)).sum())


# ---------------------------------------------------------------------------
# distributions


def _within(value, mean, std_err, what):
    assert abs(value - mean) < 5 * std_err, f"{what}: {value} vs {mean} ± 5 x {std_err}"


def test_uniform_and_normal_moments():
    n = 200_000
    u = tr.uniform(tr.key(1), (n,))
    assert u.min() >= 0.0 and u.max() < 1.0
    _within(u.mean(), 0.5, math.sqrt(1 / 12 / n), "uniform mean")
    _within(u.var(), 1 / 12, math.sqrt(1 / 180 / n), "uniform variance")
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    z = tr.normal(tr.key(2), (n,))
    _within(z.mean(), 0.0, math.sqrt(1 / n), "normal mean")
    _within(z.var(), 1.0, math.sqrt(2 / n), "normal variance")
    _within(stats.skew(z), 0.0, math.sqrt(6 / n), "normal skewness")
    _within(stats.kurtosis(z), 0.0, math.sqrt(24 / n), "normal excess kurtosis")
    assert stats.kstest(z, "norm").pvalue > 1e-4
    u32 = tr.uniform(tr.key(3), (n,), np.float32, -1.0, 3.0)
    assert u32.dtype == np.float32 and u32.min() >= -1.0 and u32.max() < 3.0
    _within(u32.mean(), 1.0, 4 * math.sqrt(1 / 12 / n), "uniform(-1, 3) mean")
    t = tr.truncated_normal(tr.key(4), -1.0, 2.0, (n,))
    assert t.min() > -1.0 and t.max() < 2.0
    assert stats.kstest(t, stats.truncnorm(-1.0, 2.0).cdf).pvalue > 1e-4


def test_split_keys_are_independent():
    keys = tr.split(tr.key(5), 1000)
    assert len({tuple(k) for k in keys}) == 1000
    n = 50_000
    a, b = tr.normal(keys[0], (n,)), tr.normal(keys[1], (n,))
    _within(np.corrcoef(a, b)[0, 1], 0.0, 1 / math.sqrt(n), "correlation of split streams")
    # the first number of each of many keys is itself uniform
    firsts = tj.vmap(lambda k: tr.uniform(k))(keys)
    assert stats.kstest(firsts, "uniform").pvalue > 1e-4
    # neighbouring positions of one stream are uncorrelated
    u = tr.uniform(keys[2], (n,))
    _within(np.corrcoef(u[:-1], u[1:])[0, 1], 0.0, 1 / math.sqrt(n), "lag-1 correlation")


def test_discrete_samplers():
    n = 100_000
    r = tr.randint(tr.key(6), (n,), -3, 7)
    assert r.dtype == np.int64 and r.min() == -3 and r.max() == 6
    counts = np.bincount(r + 3)
    assert stats.chisquare(counts).pvalue > 1e-4
    r8 = tr.randint(tr.key(6), (1000,), -128, 128, np.int8)
    assert r8.dtype == np.int8 and r8.min() == -128 and r8.max() == 127
    np.testing.assert_array_equal(tr.randint(KEY, (4,), 5, 5), 5)  # empty range: minval
    big = tr.randint(KEY, (1000,), -(2**63), 2**63 - 1)
    assert big.min() < -(2**61) and big.max() > 2**61
    b = tr.bernoulli(tr.key(7), 0.3, (n,))
    _within(b.mean(), 0.3, math.sqrt(0.21 / n), "bernoulli frequency")
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    c = tr.categorical(tr.key(8), np.log(probs), shape=(n,))
    assert stats.chisquare(np.bincount(c, minlength=4), probs * n).pvalue > 1e-4
    p = tr.permutation(tr.key(9), 100)
    np.testing.assert_array_equal(np.sort(p), np.arange(100))
    x = np.arange(20).reshape(4, 5)
    rows = tr.permutation(KEY, x)  # rows move together
    np.testing.assert_array_equal(np.sort(rows[:, 0]), x[:, 0])
    np.testing.assert_array_equal(rows - rows[:, :1], x - x[:, :1])
    ch = tr.choice(KEY, x, (2,), replace=False, axis=1)
    assert ch.shape == (4, 2) and len(set(ch[0])) == 2


# ---------------------------------------------------------------------------
# jax.random, bit for bit where _threefry's derivations match XLA's


def test_values_equal_jax_random():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jr = jax.random

    def samples(r, key, data):
        """The same draws from jax.random (r = jr, key data unwrapped) or tracejit.random."""
        k = jr.wrap_key_data(key) if r is jr else key
        return [
            data(r.split(k, 3)),
            data(r.fold_in(k, 5)),
            r.bits(k, (4,)),
            r.uniform(k, (30,)),
            r.uniform(k, (30,), np.float32, -2, 2),
            r.randint(k, (30,), -7, 1000),
            r.bernoulli(k, 0.25, (30,)),
            r.permutation(k, 40),
            r.gumbel(k, (10,)),
            r.categorical(k, np.zeros((3, 6))),
            r.choice(k, 20, (5,)),
            # erfinv and log1p differ between SciPy/NumPy and XLA by a few ulp
            r.normal(k, (30,)),
            r.exponential(k, (30,)),
            r.truncated_normal(k, -2.0, 2.0, (30,)),
        ]

    theirs = jax.jit(lambda k: samples(jr, k, jr.key_data))(KEY)  # one XLA compilation
    mine = samples(tr, KEY, tr.key_data)
    for m, t in zip(mine[:-3], theirs[:-3], strict=True):
        _assert_same(m, np.asarray(t))
    for m, t in zip(mine[-3:], theirs[-3:], strict=True):
        _assert_same(m, np.asarray(t), rtol=1e-12)
    _assert_same(tr.key(np.int32(-5)), np.asarray(jr.key_data(jr.key(np.int32(-5)))))
