"""Threefry-2x32 and the samplers on it: NumPy == Numba, == JAX where claimed, and sound.

Which functions match ``jax.random`` (jax_enable_x64=True) bit for bit is stated by the
JAX tests below: ``test_jax_*_bitwise`` assert equality, except where a comment says a
sampler is only close (normal: XLA's erf_inv; gumbel mode="high": XLA's log1p).
"""

import math
import os
from fractions import Fraction

import numba
import numpy as np
import pytest
import scipy.special

from tracejit import _threefry as tf

KEY = tf.key(1234)
N_STATS = 1_000_000
FULL_JAX_CHECK = os.environ.get("TRACEJIT_FULL_JAX_CHECK") == "1"


def _counts(n, seed=0):
    return np.random.default_rng(seed).integers(0, 2**32, n, dtype=np.uint32)


# -- the hash -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, count, expected",
    [  # Random123's known-answer vectors for threefry2x32_20 (Salmon et al. 2011)
        ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
        ((2**32 - 1,) * 2, (2**32 - 1,) * 2, (0x1CB996FC, 0xBB002BE7)),
        ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
    ],
)
def test_known_answers(key, count, expected):
    key, count = np.array(key, np.uint32), np.array(count, np.uint32)
    assert tf.threefry2x32_numpy(key, count).tolist() == list(expected)
    assert tf.threefry2x32_numba(key, count).tolist() == list(expected)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 1001, 70_001])
def test_numba_hash_equals_numpy(n):
    count = _counts(n, seed=n)
    np.testing.assert_array_equal(
        tf.threefry2x32_numba(KEY, count), tf.threefry2x32_numpy(KEY, count)
    )


def test_numba_samplers_equal_numpy():
    shape = (3, 40_001)
    for bit_width in (32, 64):
        np.testing.assert_array_equal(
            tf.random_bits_numba(KEY, bit_width, shape), tf.random_bits(KEY, bit_width, shape)
        )
    np.testing.assert_array_equal(tf.split_numba(KEY, 7), tf.split(KEY, 7))
    for minval, maxval in [(0.0, 1.0), (-3.3, 7.1), (1e-3, 2e-3), (-1.0, 1e9)]:
        np.testing.assert_array_equal(
            tf.uniform_numba(KEY, shape, minval, maxval),
            tf.uniform(KEY, shape, "f8", minval, maxval),
        )
    # Different erfinv implementations (scipy's and ours): equal to a few ulp only.
    np.testing.assert_allclose(tf.normal_numba(KEY, shape), tf.normal(KEY, shape), rtol=4e-15)


def test_erfinv_scalar_accuracy():
    # Reference: scipy (within 5e-16 relative of mpmath here); include both tails' ends.
    x = np.concatenate(
        [
            np.linspace(-1, 1, 20_001)[1:-1],
            1 - 2.0 ** -np.arange(1, 54),
            -1 + 2.0 ** -np.arange(1, 54),
            10.0 ** -np.arange(1.0, 300.0, 7),
            [0.0, 0.5, np.nextafter(0.5, 0), 0.998, 0.99803],
        ]
    )
    ours = np.array([tf.erfinv_scalar(v) for v in x])
    ref = scipy.special.erfinv(x)
    np.testing.assert_allclose(ours, ref, rtol=4e-15, atol=0)
    assert tf.erfinv_scalar(1.0) == math.inf and tf.erfinv_scalar(-1.0) == -math.inf
    assert math.isnan(tf.erfinv_scalar(1.5)) and math.isnan(tf.erfinv_scalar(math.nan))


def test_fma_is_correctly_rounded():
    rng = np.random.default_rng(0)
    n = 3000
    a = rng.standard_normal(n) * 10.0 ** rng.integers(-20, 20, n)
    b = rng.standard_normal(n) * 10.0 ** rng.integers(-20, 20, n)
    c = -(a * b) * (1 + rng.standard_normal(n) * 10.0 ** rng.integers(-17, 0, n))
    exact = np.array(
        [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c, strict=True)]
    )
    np.testing.assert_array_equal(tf._fma(a, b, c), exact)
    np.testing.assert_array_equal(_fma_compiled(a, b, c), exact)


@numba.njit(cache=True)
def _fma_compiled(a, b, c):
    out = np.empty_like(a)
    for i in range(a.size):
        out[i] = tf.fma_scalar(a[i], b[i], c[i])
    return out


# -- laws of the partitionable scheme -----------------------------------------------------


def test_elements_depend_only_on_flat_index():
    long = tf.random_bits(KEY, 32, (1000,))
    np.testing.assert_array_equal(tf.random_bits(KEY, 32, (10,)), long[:10])
    np.testing.assert_array_equal(tf.random_bits(KEY, 32, (8, 125)), long.reshape(8, 125))
    assert tf.random_bits(KEY, 64, ()).shape == () and tf.uniform(KEY).shape == ()


def test_split_is_fold_in_of_the_index():
    keys = tf.split(KEY, 5)
    assert keys.shape == (5, 2) and keys.dtype == np.uint32
    for i in range(5):
        np.testing.assert_array_equal(keys[i], tf.fold_in(KEY, i))
    np.testing.assert_array_equal(tf.split(KEY, (2, 3)).reshape(6, 2), tf.split(KEY, 6))


def test_key_is_the_seed_bit_pattern():
    for seed in [0, 1, 2**32 + 7, -1, -(2**63), 2**63 - 1]:
        hi, lo = tf.key(seed).tolist()
        assert hi * 2**32 + lo == seed % 2**64
    with pytest.raises(OverflowError):
        tf.key(2**63)
    with pytest.raises(OverflowError):
        tf.fold_in(KEY, -1)
    with pytest.raises(TypeError, match="key of shape"):
        tf.uniform(np.array([1, 2]))


# -- statistics (fixed key, 1e6 samples, 5-sigma bounds) ----------------------------------


def _assert_moments(x, mean, var, fourth_central):
    n = x.size
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / n)
    assert abs(x.var() - var) < 5 * math.sqrt((fourth_central - var**2) / n)


def test_uniform_moments():
    x = tf.uniform(KEY, (N_STATS,))
    assert x.dtype == np.float64 and 0 <= x.min() and x.max() < 1
    _assert_moments(x, 0.5, 1 / 12, 1 / 80)
    y = tf.uniform(KEY, (1000,), np.float32, -2.0, 3.0)
    assert y.dtype == np.float32 and -2 <= y.min() and y.max() < 3


def test_normal_moments():
    x = tf.normal(KEY, (N_STATS,))
    assert x.dtype == np.float64 and np.isfinite(x).all()
    _assert_moments(x, 0.0, 1.0, 3.0)
    # the tail mass beyond 3 sigma
    p = scipy.special.erfc(3 / math.sqrt(2))
    assert abs(np.mean(np.abs(x) > 3) - p) < 5 * math.sqrt(p / N_STATS)


def test_randint_range_and_balance():
    x = tf.randint(KEY, (N_STATS,), -3, 7)
    assert x.dtype == np.int64 and x.min() == -3 and x.max() == 6
    counts = np.bincount(x + 3, minlength=10)
    chi2 = np.sum((counts - N_STATS / 10) ** 2 / (N_STATS / 10))
    assert chi2 < 40  # 9 degrees of freedom: P(chi2 > 40) < 1e-5
    for lo, hi, dtype in [(0, 256, np.uint8), (-(2**63), 2**63 - 1, np.int64), (5, 5, np.int32)]:
        y = tf.randint(KEY, (1000,), lo, hi, dtype)
        assert y.dtype == dtype and lo <= y.min() and (y.max() < hi or lo == hi)


def test_split_streams_look_independent():
    keys = tf.split(KEY, 3)
    streams = [tf.uniform(k, (N_STATS // 4,)) for k in keys]
    for i in range(3):
        for j in range(i + 1, 3):
            assert abs(np.corrcoef(streams[i], streams[j])[0, 1]) < 5 / math.sqrt(N_STATS // 4)
            assert not np.any(streams[i] == streams[j])
    assert len({tuple(k) for k in tf.split(KEY, 1000).tolist()}) == 1000


def test_reproducible_and_key_sensitive():
    np.testing.assert_array_equal(tf.normal(KEY, (100,)), tf.normal(tf.key(1234), (100,)))
    assert not np.any(tf.random_bits(KEY, 32, (100,)) == tf.random_bits(tf.key(1235), 32, (100,)))


def test_discrete_samplers_are_sound():
    b = tf.bernoulli(KEY, 0.3, (N_STATS // 4,))
    assert b.dtype == bool and abs(b.mean() - 0.3) < 5 * math.sqrt(0.21 / b.size)
    assert sorted(tf.permutation(KEY, 1000).tolist()) == list(range(1000))
    x = np.arange(12.0).reshape(3, 4)
    assert sorted(tf.permutation(KEY, x, axis=1)[0].tolist()) == [0.0, 1.0, 2.0, 3.0]
    c = tf.categorical(KEY, np.log([0.1, 0.2, 0.7]), shape=(N_STATS // 4,))
    np.testing.assert_allclose(np.bincount(c) / c.size, [0.1, 0.2, 0.7], atol=0.005)
    no_repeat = tf.choice(KEY, 10, (10,), replace=False)
    assert sorted(no_repeat.tolist()) == list(range(10))


# -- agreement with JAX -------------------------------------------------------------------

X3 = np.arange(60.0).reshape(3, 4, 5)
LOGITS = np.random.default_rng(0).normal(size=(7, 5, 3))
P10 = np.random.default_rng(1).random(10) / 5
SEEDS = (0, 42, -1, -5, 2**32 + 7, 2**63 - 1, -(2**63))
RANDINT_CASES = (  # (minval, maxval, dtype)
    (0, 10, "int64"),
    (-(2**63), 2**63 - 1, "int64"),
    (0, 2**40 + 3, "int64"),
    (5, 2, "int64"),
    (0, 256, "uint8"),
    (-100, 100, "int8"),
)


def _jax_draws(jax, key):
    """What we compare with, drawn by JAX in one jit. XLA compiles cost ~0.5 s of CPU per
    sampler, so the default run checks the core set; TRACEJIT_FULL_JAX_CHECK=1 adds the
    rest (about 12 s more)."""
    from jax.extend.random import threefry_2x32

    jr = jax.random
    data = jr.key_data
    draws = {
        "hash": threefry_2x32(KEY, _counts(1001)),
        "keys": [data(jr.key(seed)) for seed in SEEDS],
        "split": data(jr.split(key, (2, 3))),
        "fold_in": [data(jr.fold_in(key, d)) for d in (0, 7, 2**32 - 1)],
        "bits": {w: jr.bits(key, (3, 5), f"uint{w}") for w in (32, 64)},
        "uniform": {
            (dtype, -3.3, 7.1): jr.uniform(key, (1001,), dtype, -3.3, 7.1)
            for dtype in ("float64", "float32")
        },
        "normal": jr.normal(key, (100_000,)),
        "randint": [jr.randint(key, (100,), *case) for case in RANDINT_CASES[:4]],
        "permutation": {5000: jr.permutation(key, 5000)},  # two sort rounds
        "gumbel": jr.gumbel(key, (1000,)),
        "choice_p": jr.choice(key, 10, (50,), p=P10),
        "choice_p_no_replace": jr.choice(key, 10, (5,), False, P10),
    }
    if not FULL_JAX_CHECK:
        return draws
    draws["bits"].update({w: jr.bits(key, (3, 5), f"uint{w}") for w in (8, 16)})
    draws["uniform"].update(
        {
            (dtype, lo, hi): jr.uniform(key, (1001,), dtype, lo, hi)
            for dtype in ("float64", "float32", "float16")
            for lo, hi in ((0.0, 1.0), (-3.3, 7.1))
        }
    )
    draws["randint"] += [jr.randint(key, (100,), *case) for case in RANDINT_CASES[4:]]
    draws["permutation"].update({n: jr.permutation(key, n) for n in (1, 10)})
    return draws | {
        "normal32": jr.normal(key, (1000,), "float32"),
        "bernoulli": jr.bernoulli(key, np.linspace(0, 1, 50)),
        "bernoulli_high": jr.bernoulli(key, 0.3, (100,), "high"),
        "randint_arrays": jr.randint(
            key, (3, 3), np.array([0, 10, -7]), np.array([[5], [20], [1]])
        ),
        "categorical": jr.categorical(key, LOGITS, 1),
        "categorical_shape": jr.categorical(key, LOGITS, 1, shape=(4, 7, 3)),
        "permutation_axis": jr.permutation(key, X3, 1),
        "permutation_independent": jr.permutation(key, X3, 2, True),
        "choice": jr.choice(key, 10, (3, 4)),
        "choice_axis": jr.choice(key, X3, (2,), False, axis=2),
        "gumbel_high": jr.gumbel(key, (1000,), mode="high"),
    }


def _jax_original_draws(jax, key):
    jr = jax.random
    bits = {w: jr.bits(key, (3, 5), f"uint{w}") for w in ((8, 64) if FULL_JAX_CHECK else (64,))}
    return {"split": jr.key_data(jr.split(key, 5)), "bits": bits}


@pytest.fixture(scope="module")
def ref():
    """JAX's draws with key(1234), with jax_enable_x64 (and the config restored after)."""
    jax = pytest.importorskip("jax")
    config = jax.config
    previous = config.jax_enable_x64, config.jax_threefry_partitionable
    config.update("jax_enable_x64", True)
    try:
        out = jax.jit(lambda key: _jax_draws(jax, key))(jax.random.key(1234))
        config.update("jax_threefry_partitionable", False)
        out["original"] = jax.jit(lambda key: _jax_original_draws(jax, key))(jax.random.key(1234))
    finally:
        config.update("jax_enable_x64", previous[0])
        config.update("jax_threefry_partitionable", previous[1])
    return jax.tree.map(np.asarray, out)


def test_jax_hash_keys_and_bits_bitwise(ref):
    eq = np.testing.assert_array_equal
    eq(tf.threefry2x32_numpy(KEY, _counts(1001)), ref["hash"])
    for seed, theirs in zip(SEEDS, ref["keys"], strict=True):
        eq(tf.key(seed), theirs)
    eq(tf.split(KEY, (2, 3)), ref["split"])
    for d, theirs in zip((0, 7, 2**32 - 1), ref["fold_in"], strict=True):
        eq(tf.fold_in(KEY, d), theirs)
    for w, theirs in ref["bits"].items():
        eq(tf.random_bits(KEY, w, (3, 5)), theirs)


def test_jax_original_scheme_bitwise(ref):
    eq = np.testing.assert_array_equal
    eq(tf.split(KEY, 5, partitionable=False), ref["original"]["split"])
    for w, theirs in ref["original"]["bits"].items():
        eq(tf.random_bits(KEY, w, (3, 5), partitionable=False), theirs)


def test_jax_samplers_bitwise(ref):
    eq = np.testing.assert_array_equal
    for (dtype, lo, hi), theirs in ref["uniform"].items():
        ours = tf.uniform(KEY, (1001,), dtype, lo, hi)
        assert ours.dtype == theirs.dtype
        eq(ours, theirs)
    for case, theirs in zip(RANDINT_CASES, ref["randint"], strict=False):
        eq(tf.randint(KEY, (100,), *case), theirs)
    for n, theirs in ref["permutation"].items():
        eq(tf.permutation(KEY, n), theirs)
    eq(tf.gumbel(KEY, (1000,)), ref["gumbel"])
    eq(tf.choice(KEY, 10, (50,), p=P10), ref["choice_p"])
    eq(tf.choice(KEY, 10, (5,), False, P10), ref["choice_p_no_replace"])


def test_jax_more_samplers_bitwise(ref):
    if not FULL_JAX_CHECK:
        pytest.skip("set TRACEJIT_FULL_JAX_CHECK=1 to compare the remaining samplers with JAX")
    eq = np.testing.assert_array_equal
    eq(tf.bernoulli(KEY, np.linspace(0, 1, 50)), ref["bernoulli"])
    eq(tf.bernoulli(KEY, 0.3, (100,), "high"), ref["bernoulli_high"])
    eq(
        tf.randint(KEY, (3, 3), np.array([0, 10, -7]), np.array([[5], [20], [1]])),
        ref["randint_arrays"],
    )
    eq(tf.categorical(KEY, LOGITS, 1), ref["categorical"])
    eq(tf.categorical(KEY, LOGITS, 1, shape=(4, 7, 3)), ref["categorical_shape"])
    eq(tf.permutation(KEY, X3, 1), ref["permutation_axis"])
    eq(tf.permutation(KEY, X3, 2, True), ref["permutation_independent"])
    eq(tf.choice(KEY, 10, (3, 4)), ref["choice"])
    eq(tf.choice(KEY, X3, (2,), False, axis=2), ref["choice_axis"])
    # gumbel mode="high" uses log1p, where XLA's and NumPy's differ by an ulp now and then.
    np.testing.assert_allclose(tf.gumbel(KEY, (1000,), mode="high"), ref["gumbel_high"], rtol=1e-13)
    ours32 = tf.normal(KEY, (1000,), np.float32)
    np.testing.assert_allclose(ours32, ref["normal32"], rtol=1e-5, atol=1e-6)


def test_jax_normal_close(ref):
    # The uniforms are bitwise equal; erfinv is not: XLA's float64 erf_inv is a fitted
    # approximation off by up to 1e-10 relative (near |u| = 1 - 7e-9, against mpmath),
    # ours and scipy's are within a few ulp.
    np.testing.assert_allclose(tf.normal(KEY, (100_000,)), ref["normal"], rtol=1e-9)
    np.testing.assert_allclose(tf.normal_numba(KEY, (100_000,)), ref["normal"], rtol=1e-9)
