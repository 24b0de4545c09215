"""Threefry-2x32 counter-based random numbers, in NumPy and in Numba, compatible with JAX.

Counter-based generation (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2,
3"): a random number is a keyed hash of its position, ``bits = hash(key, counter)``, so
there is no hidden state, any element can be computed on its own, and a loop nest can
generate its random numbers in place. The hash here is Threefry-2x32 with 20 rounds, the
one `jax.random` uses by default, and the derivations on top (key, split, fold_in, bits,
uniform, normal, ...) follow `jax.random` under ``jax_enable_x64=True`` with JAX's current
default ``jax_threefry_partitionable=True``.

Glossary:
  key      raw key data, ``uint32[2]``: what ``jax.random.key_data`` returns.
  block    one Threefry call: two 32-bit counter words in, two 32-bit words out.
  flat index  the C-order position of an element in its output array; with the
           partitionable scheme the element's bits depend only on (key, flat index).

Two implementations of the same hash, bit-identical (tested):
  NumPy  ``threefry2x32_numpy`` and the samplers below; what the eager interpreter runs.
  Numba  ``threefry2x32_scalar`` and the ``*_at(key, i)`` element functions, for
         generated loop code; plus whole-array ``*_numba`` helpers built on them.
"""

from __future__ import annotations

import math

import numba
import numba.extending
import numpy as np
import scipy.special

_MASK32 = 0xFFFFFFFF
# Skein's key-schedule parity constant: the third key word is k0 ^ k1 ^ _PARITY.
_PARITY = 0x1BD11BDA
# Rotation distances of Threefry-2x32; groups of four rounds alternate between the rows.
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_CHUNK = 1 << 16  # elements per NumPy pass: the working set stays in L1/L2 cache


# -- the hash, NumPy ----------------------------------------------------------------------


def _block_numpy(k0: int, k1: int, x0: np.ndarray, x1: np.ndarray) -> None:
    """Threefry-2x32-20 on uint32 arrays ``x0, x1`` of equal length, in place."""
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    tmp = np.empty_like(x1)
    x0 += np.uint32(ks[0])
    x1 += np.uint32(ks[1])
    for s in range(1, 6):
        for r in _ROTATIONS[(s - 1) % 2]:
            x0 += x1
            np.left_shift(x1, r, out=tmp)
            x1 >>= 32 - r
            x1 |= tmp
            x1 ^= x0
        # Key injection s: rotate through the schedule and add the injection count.
        x0 += np.uint32(ks[s % 3])
        x1 += np.uint32((ks[(s + 1) % 3] + s) & _MASK32)


def threefry2x32_block(key, x0, x1) -> tuple[np.ndarray, np.ndarray]:
    """The raw hash on two broadcast-compatible uint32 counter arrays: ``(y0, y1)``.

    Equals JAX's ``threefry2x32_p.bind(k0, k1, x0, x1)``.
    """
    k0, k1 = (int(k) for k in np.asarray(key, np.uint32))
    x0, x1 = np.broadcast_arrays(np.asarray(x0, np.uint32), np.asarray(x1, np.uint32))
    shape = x0.shape
    y0, y1 = x0.ravel().copy(), x1.ravel().copy()  # ravel may return a view: copy
    for start in range(0, y0.size, _CHUNK):
        _block_numpy(k0, k1, y0[start : start + _CHUNK], y1[start : start + _CHUNK])
    return y0.reshape(shape), y1.reshape(shape)


def threefry2x32_numpy(key, count) -> np.ndarray:
    """JAX's ``threefry_2x32(keypair, count)``: hash a uint32 array of counters.

    The flat counters are padded to even length with a zero; the first half is the x0
    word of each block and the second half the x1 word. The outputs, y0s then y1s, are
    truncated to the input size and take the input's shape.
    """
    count = np.asarray(count, np.uint32)
    flat = count.ravel()
    n = flat.size
    padded = np.concatenate([flat, np.zeros(n % 2, np.uint32)])
    y0, y1 = threefry2x32_block(key, padded[: padded.size // 2], padded[padded.size // 2 :])
    return np.concatenate([y0, y1])[:n].reshape(count.shape)


# -- keys ---------------------------------------------------------------------------------


def key(seed: int) -> np.ndarray:
    """``jax.random.key_data(jax.random.key(seed))`` under x64: the seed's 64-bit pattern.

    ``[hi, lo]`` 32-bit words of ``seed mod 2**64``; seeds must fit in int64, as in JAX.
    """
    seed = int(seed)
    if not -(2**63) <= seed < 2**63:
        raise OverflowError(f"key: seed {seed} does not fit in int64; use a smaller seed")
    bits = seed % 2**64
    return np.array([bits >> 32, bits & _MASK32], np.uint32)


def _as_key(key) -> np.ndarray:
    key = np.asarray(key)
    if key.shape != (2,) or key.dtype != np.uint32:
        raise TypeError(
            f"expected a key of shape (2,) and dtype uint32, got {key.shape} {key.dtype}; "
            "make one with key(seed), split or fold_in"
        )
    return key


def _hi_lo(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The flat indices ``0..n-1`` as 64-bit counters split into (high, low) uint32 words."""
    if n <= 2**32:
        return np.zeros(n, np.uint32), np.arange(n, dtype=np.uint32)
    i = np.arange(n, dtype=np.uint64)
    return (i >> np.uint64(32)).astype(np.uint32), i.astype(np.uint32)


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def split(key, num=2, *, partitionable: bool = True) -> np.ndarray:
    """``jax.random.split``: ``uint32[*num, 2]`` new keys; key i is the block at counter i.

    ``partitionable=False`` reproduces JAX with ``jax_threefry_partitionable=False`` (its
    earlier default): ``threefry2x32_numpy(key, arange(2 * n))`` reshaped.
    """
    key = _as_key(key)
    shape = _shape(num)
    n = math.prod(shape)
    if not partitionable:
        return threefry2x32_numpy(key, np.arange(2 * n, dtype=np.uint32)).reshape(*shape, 2)
    y0, y1 = threefry2x32_block(key, *_hi_lo(n))
    return np.stack([y0, y1], axis=-1).reshape(*shape, 2)


def fold_in(key, data) -> np.ndarray:
    """``jax.random.fold_in``: the key hashed with counters ``[0, data]``.

    ``data`` is a 32-bit unsigned integer; a Python int outside [0, 2**32) is an error,
    as in JAX. With the partitionable scheme ``fold_in(key, i) == split(key, n)[i]``.
    """
    key = _as_key(key)
    if isinstance(data, int) and not 0 <= data <= _MASK32:
        raise OverflowError(f"fold_in: data {data} is outside uint32; reduce it mod 2**32")
    return threefry2x32_numpy(key, np.array([0, np.asarray(data).astype(np.uint32)], np.uint32))


# -- bits ---------------------------------------------------------------------------------

_UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def random_bits(key, bit_width: int = 32, shape=(), *, partitionable: bool = True) -> np.ndarray:
    """``jax.random.bits`` with an unsigned dtype of ``bit_width`` bits.

    Partitionable scheme: element i (flat index) hashes counters (i >> 32, i & 0xFFFFFFFF)
    into (y0, y1); 32 bits are ``y0 ^ y1``, 64 bits ``y0 << 32 | y1``, 8 and 16 bits the
    low bits of ``y0 ^ y1``. ``partitionable=False`` gives JAX's older scheme.
    """
    key = _as_key(key)
    if bit_width not in _UINT:
        raise TypeError(f"random_bits: bit_width must be 8, 16, 32 or 64, got {bit_width}")
    shape = _shape(shape)
    n = math.prod(shape)
    dtype = _UINT[bit_width]
    if not partitionable:
        return _random_bits_original(key, bit_width, n).reshape(shape)
    y0, y1 = threefry2x32_block(key, *_hi_lo(n))
    if bit_width == 64:
        bits = (y0.astype(np.uint64) << np.uint64(32)) | y1
    else:
        bits = (y0 ^ y1).astype(dtype)
    return bits.reshape(shape)


def _random_bits_original(key, bit_width: int, n: int) -> np.ndarray:
    """JAX's earlier scheme: hash ``arange(words)`` as one counter array, then repack."""
    words = -(-bit_width * n // 32)
    if words >= _MASK32:
        raise NotImplementedError("random_bits(partitionable=False) beyond 2**32 - 1 words")
    bits = threefry2x32_numpy(key, np.arange(words, dtype=np.uint32))
    if bit_width == 64:
        hi, lo = bits[:n].astype(np.uint64), bits[n:].astype(np.uint64)
        return (hi << np.uint64(32)) | lo
    # 8 and 16 bits: the little-endian pieces of each word, low piece first.
    return bits.astype("<u4").view(_UINT[bit_width])[:n]


# -- fused multiply-add ------------------------------------------------------------------

# XLA's CPU backend contracts `x * y + z` into one fused multiply-add, rounded once. To
# match it bit for bit, NumPy (which has no fma) computes the exact result with
# error-free transformations: the product as a sum of two doubles (Dekker), and a final
# three-term sum correctly rounded by rounding the small part to odd (Boldo & Melquiond,
# "Emulation of FMA and correctly rounded sums: proved algorithms using rounding to odd",
# 2008). Exact for finite operands below 2**996 whose result does not underflow.

_SPLITTER = 2.0**27 + 1.0


def _product_error(a, b, ab):
    """The exact ``a * b - ab``, with ``ab = fl(a * b)``."""
    t = _SPLITTER * a
    a_hi = t - (t - a)
    t = _SPLITTER * b
    b_hi = t - (t - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    return ((a_hi * b_hi - ab) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _sum_error(a, b, s):
    """The exact ``a + b - s``, with ``s = fl(a + b)`` (Knuth's two-sum)."""
    bb = s - a
    return (a - (s - bb)) + (b - bb)


def _sum_odd(a, b):
    """``a + b`` rounded to odd: if inexact, the neighbour whose last mantissa bit is 1."""
    with np.errstate(all="ignore"):
        s = np.asarray(a + b)
        err = _sum_error(a, b, s)
        even = np.fmod(np.frexp(s)[0] * 2.0**53, 2.0) == 0.0
        return np.where((err != 0) & even, np.nextafter(s, np.copysign(np.inf, err)), s)


def _fma(a, b, c):
    """``a * b + c`` rounded once, in float64 arrays."""
    with np.errstate(all="ignore"):
        ab = a * b
        ab_err = _product_error(a, b, ab)
        hi = c + ab
        out = hi + _sum_odd(_sum_error(c, ab, hi), ab_err)
        return np.where(np.isfinite(out), out, a * b + c)


# -- samplers (NumPy; the eager interpreter's reference) ----------------------------------


def uniform(key, shape=(), dtype=np.float64, minval=0.0, maxval=1.0) -> np.ndarray:
    """``jax.random.uniform``: random mantissa bits under exponent 0, minus 1, scaled.

    Values lie in [minval, maxval); the result is clamped below at minval as in JAX.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"uniform: dtype must be a float dtype, got {dtype}")
    shape = _shape(shape)
    nbits, nmant = dtype.itemsize * 8, np.finfo(dtype).nmant
    utype = _UINT[nbits]
    bits = np.atleast_1d(random_bits(key, nbits, shape))  # fresh: updated in place
    bits >>= utype(nbits - nmant)
    bits |= np.array(1.0, dtype).view(utype)
    floats = bits.view(dtype)
    floats -= dtype.type(1.0)
    floats = floats.reshape(shape)
    minval = np.asarray(minval, dtype)
    maxval = np.asarray(maxval, dtype)
    span = maxval - minval
    if np.all(np.frexp(span)[0] == 0.5):  # a power-of-two span: the product is exact
        scaled = floats * span + minval
    elif dtype == np.float64:
        scaled = _fma(floats, span, minval)
    elif dtype == np.float32:  # f32 products are exact in f64; round to odd, then to f32
        scaled = _sum_odd(floats.astype(np.float64) * span, minval.astype(np.float64))
    else:
        scaled = floats * span + minval
    return np.asarray(np.maximum(minval, scaled.astype(dtype)), dtype)


def normal(key, shape=(), dtype=np.float64) -> np.ndarray:
    """``jax.random.normal``: ``sqrt(2) * erfinv(u)`` with u uniform on (-1, 1)."""
    dtype = np.dtype(dtype)
    lo = np.nextafter(dtype.type(-1.0), dtype.type(0.0))
    u = uniform(key, shape, dtype, lo, 1.0)
    return np.asarray(dtype.type(math.sqrt(2.0)) * scipy.special.erfinv(u), dtype)


def bernoulli(key, p=0.5, shape=None, mode: str = "low") -> np.ndarray:
    """``jax.random.bernoulli``: ``uniform < p``; mode="high" adds a second uniform of
    finer resolution, for tiny p."""
    p = np.asarray(p)
    if p.dtype.kind != "f":
        p = p.astype(np.float64)
    shape = p.shape if shape is None else _shape(shape)
    if mode == "high":
        u1, u2 = uniform(key, (2, *shape), p.dtype)
        return np.asarray(u2 * p.dtype.type(2.0 ** -np.finfo(p.dtype).nmant) < p - u1)
    if mode != "low":
        raise ValueError(f"bernoulli: mode must be 'low' or 'high', got {mode!r}")
    return np.asarray(uniform(key, shape, p.dtype) < p)


def _clip_convert(val: np.ndarray, dtype) -> np.ndarray:
    """Integer conversion that saturates at ``dtype``'s range instead of wrapping."""
    to, src = np.iinfo(dtype), np.iinfo(val.dtype)
    return np.clip(val, max(to.min, src.min), min(to.max, src.max)).astype(dtype)


def randint(key, shape, minval, maxval, dtype=np.int64) -> np.ndarray:
    """``jax.random.randint``: values in [minval, maxval) from two draws of full width.

    As in JAX, ``(hi * 2**nbits + lo) mod span`` is computed with wrapping unsigned
    arithmetic (slightly biased when span is not a power of two), ``maxval <= minval``
    gives minval, and types narrower than 32 bits are sampled as int32.
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"randint: dtype must be an integer dtype, got {dtype}")
    shape = _shape(shape)
    minval, maxval = np.asarray(minval), np.asarray(maxval)
    minval = minval if minval.dtype.kind in "iu" else minval.astype(np.int64)
    maxval = maxval if maxval.dtype.kind in "iu" else maxval.astype(np.int64)
    sample = dtype
    if dtype.itemsize < 4:  # sample narrow types at 32 bits, as JAX does, to limit bias
        info, sample = np.iinfo(dtype), np.dtype(np.int32)
        minval = np.clip(minval.astype(np.int32), info.min, info.max)
        maxval = np.clip(maxval.astype(np.int32), info.min, info.max + 1)
    out = _randint(key, shape, minval, maxval, sample)
    return out.astype(dtype)


def _randint(key, shape, minval, maxval, dtype) -> np.ndarray:
    nbits = dtype.itemsize * 8
    utype = _UINT[nbits]
    top = np.asarray(np.iinfo(dtype).max, dtype)
    maxval_out_of_range = maxval > _clip_convert(top, maxval.dtype)
    minval = _clip_convert(minval, dtype)
    maxval = _clip_convert(maxval, dtype)
    k1, k2 = split(key)
    higher, lower = random_bits(k1, nbits, shape), random_bits(k2, nbits, shape)
    with np.errstate(over="ignore"):  # the arithmetic below wraps on purpose, as in XLA
        span = np.subtract(maxval, minval, dtype=dtype).astype(utype)
        span = np.where(maxval <= minval, utype(1), span)
        # maxval beyond the type's range means one more value; a span of 2**nbits wraps
        # to 0, and then the remainders below must be skipped (x mod 2**nbits == x).
        span = np.where(maxval_out_of_range & (maxval > minval), span + utype(1), span)
        safe = np.where(span == 0, utype(1), span)

        def rem(x):
            return np.where(span == 0, x, x % safe).astype(utype)

        multiplier = rem(np.asarray(2 ** (nbits // 2), utype))  # 2**nbits mod span, folded
        multiplier = rem(multiplier * multiplier)
        offset = rem(rem(higher) * multiplier + rem(lower))
        return np.asarray(minval + offset.astype(dtype), dtype)


def gumbel(key, shape=(), dtype=np.float64, mode: str = "low") -> np.ndarray:
    """``jax.random.gumbel``: ``-log(-log(u))``; mode="high" uses two uniforms so the
    largest values are not capped by the uniform's resolution near 0."""
    dtype = np.dtype(dtype)
    shape = _shape(shape)
    finfo = np.finfo(dtype)
    if mode == "high":
        high, low = uniform(key, (2, *shape), dtype)
        x = np.where(high >= 0.5, high, high + dtype.type(2.0**-finfo.nmant) * low + finfo.tiny)
        return np.asarray(-np.log(-np.log1p(-x)), dtype)
    if mode != "low":
        raise ValueError(f"gumbel: mode must be 'low' or 'high', got {mode!r}")
    return np.asarray(-np.log(-np.log(uniform(key, shape, dtype, finfo.tiny, 1.0))), dtype)


def categorical(key, logits, axis: int = -1, shape=None) -> np.ndarray:
    """``jax.random.categorical`` with replacement: ``argmax(logits + gumbel)`` along axis.

    ``shape`` may add leading sample axes in front of the batch shape (logits without
    ``axis``), as in JAX.
    """
    logits = np.asarray(logits)
    if logits.dtype.kind != "f":
        logits = logits.astype(np.float64)
    axis = axis % logits.ndim
    batch_shape = logits.shape[:axis] + logits.shape[axis + 1 :]
    shape = batch_shape if shape is None else _shape(shape)
    if len(shape) < len(batch_shape) or np.broadcast_shapes(shape, batch_shape) != shape:
        raise ValueError(f"categorical: shape {shape} must end with the batch shape {batch_shape}")
    prefix, tail = shape[: len(shape) - len(batch_shape)], shape[len(shape) - len(batch_shape) :]
    g = gumbel(
        key, prefix + tail[:axis] + logits.shape[axis : axis + 1] + tail[axis:], logits.dtype
    )
    return np.argmax(g + logits, axis=len(prefix) + axis)


def _shuffle(key, x: np.ndarray, axis: int) -> np.ndarray:
    """JAX's shuffle: rounds of stable sorts by fresh 32-bit random keys.

    Enough rounds that all n elements get distinct key strings with high probability:
    ``ceil(3 ln n / ln(2**32 - 1))``, one round for n up to about 1600.
    """
    rounds = math.ceil(3 * math.log(max(1, x.size)) / math.log(_MASK32))
    for _ in range(rounds):
        key, subkey = split(key)
        order = np.argsort(random_bits(subkey, 32, x.shape), axis=axis, kind="stable")
        x = np.take_along_axis(x, order, axis=axis)
    return x


def permutation(key, x, axis: int = 0, independent: bool = False) -> np.ndarray:
    """``jax.random.permutation``: a shuffled ``arange(x)`` or a copy of x shuffled along
    ``axis`` (each slice on its own if ``independent``)."""
    x = np.asarray(x)
    if x.ndim == 0:
        if x.dtype.kind not in "iu":
            raise TypeError("permutation: x must be an integer or an array")
        return _shuffle(key, np.arange(int(x), dtype=np.int64), 0)
    axis = axis % x.ndim
    if independent or x.ndim == 1:
        return _shuffle(key, x, axis)
    order = _shuffle(key, np.arange(x.shape[axis], dtype=np.int64), 0)
    return np.take(x, order, axis=axis)


def choice(key, a, shape=(), replace: bool = True, p=None, axis: int = 0) -> np.ndarray:
    """``jax.random.choice``: samples of ``arange(a)`` or of a's slices along ``axis``.

    Uniform with replacement: randint; without: a permutation's prefix; weighted with
    replacement: inverse CDF; weighted without: Gumbel top-k.
    """
    arr = np.asarray(a)
    shape = _shape(shape)
    n = int(arr) if arr.ndim == 0 else arr.shape[axis % arr.ndim]
    axis = 0 if arr.ndim == 0 else axis % arr.ndim
    draws = math.prod(shape)
    if draws == 0:
        return np.zeros(shape, arr.dtype)
    if n <= 0:
        raise ValueError("choice: a must be greater than 0 unless no samples are taken")
    if not replace and draws > n:
        raise ValueError(f"choice: cannot take {draws} samples without replacement from {n}")
    if p is None and replace:
        ind = randint(key, shape, 0, n)
    elif p is None:
        perm = permutation(key, n if arr.ndim == 0 else arr, axis)
        result = np.take(perm, np.arange(draws), axis=axis)
        out_shape = shape if arr.ndim == 0 else arr.shape[:axis] + shape + arr.shape[axis + 1 :]
        return result.reshape(out_shape)
    else:
        p = np.asarray(p)
        p = p if p.dtype.kind == "f" else p.astype(np.float64)
        if p.shape != (n,):
            raise ValueError(f"choice: p must have shape ({n},), got {p.shape}")
        if replace:
            cdf = np.cumsum(p)
            r = cdf[-1] * (1 - uniform(key, shape, p.dtype))
            ind = np.searchsorted(cdf, r).astype(np.int64)
        else:
            g = gumbel(key, (n,), p.dtype) + np.log(p)
            ind = np.argsort(-g, kind="stable")[:draws].reshape(shape)
    if arr.ndim == 0:
        return ind
    return np.take(arr, ind, axis=axis)


# -- the hash and element samplers, Numba -------------------------------------------------

_U32 = np.uint32
_SQRT2 = math.sqrt(2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# The rounds are written out flat, each as `x0 += x1; x1 = rotl(x1, r) ^ x0`: with no
# helper calls inside, LLVM inlines the whole block into the caller's loop and vectorises
# it across elements, while Numba types it once (inline="always" at the Numba level made
# every caller pay ~1 s of compile time; helper calls were left out of line, 3x slower).
# Numba computes uint32 arithmetic in 64 bits; truncating each result back to uint32 both
# wraps it and lets LLVM use 32-bit vector lanes, twice as many as 64-bit ones.


@numba.njit(cache=True)
def threefry2x32_scalar(k0, k1, x0, x1):
    """Threefry-2x32-20 on one block of uint32 words: the scalar twin of ``_block_numpy``."""
    k0, k1 = _U32(k0), _U32(k1)
    k2 = _U32(k0 ^ k1 ^ _U32(_PARITY))
    x0, x1 = _U32(_U32(x0) + k0), _U32(_U32(x1) + k1)
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(13)) | _U32(x1 >> _U32(19))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(15)) | _U32(x1 >> _U32(17))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(26)) | _U32(x1 >> _U32(6))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(6)) | _U32(x1 >> _U32(26))) ^ x0
    x0, x1 = _U32(x0 + k1), _U32(x1 + k2 + _U32(1))  # injection 1
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(17)) | _U32(x1 >> _U32(15))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(29)) | _U32(x1 >> _U32(3))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(16)) | _U32(x1 >> _U32(16))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(24)) | _U32(x1 >> _U32(8))) ^ x0
    x0, x1 = _U32(x0 + k2), _U32(x1 + k0 + _U32(2))  # injection 2
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(13)) | _U32(x1 >> _U32(19))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(15)) | _U32(x1 >> _U32(17))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(26)) | _U32(x1 >> _U32(6))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(6)) | _U32(x1 >> _U32(26))) ^ x0
    x0, x1 = _U32(x0 + k0), _U32(x1 + k1 + _U32(3))  # injection 3
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(17)) | _U32(x1 >> _U32(15))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(29)) | _U32(x1 >> _U32(3))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(16)) | _U32(x1 >> _U32(16))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(24)) | _U32(x1 >> _U32(8))) ^ x0
    x0, x1 = _U32(x0 + k1), _U32(x1 + k2 + _U32(4))  # injection 4
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(13)) | _U32(x1 >> _U32(19))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(15)) | _U32(x1 >> _U32(17))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(26)) | _U32(x1 >> _U32(6))) ^ x0
    x0 = _U32(x0 + x1)
    x1 = _U32(_U32(x1 << _U32(6)) | _U32(x1 >> _U32(26))) ^ x0
    return _U32(x0 + k2), _U32(x1 + k0 + _U32(5))  # injection 5


@numba.njit(cache=True)
def _block_at(key, i):
    i = np.uint64(i)
    return threefry2x32_scalar(key[0], key[1], _U32(i >> np.uint64(32)), _U32(i))


@numba.njit(cache=True)
def bits32_at(key, i):
    """Element at flat index i of ``random_bits(key, 32, shape)``, any shape."""
    y0, y1 = _block_at(key, i)
    return y0 ^ y1


@numba.njit(cache=True)
def bits64_at(key, i):
    """Element at flat index i of ``random_bits(key, 64, shape)``, any shape."""
    y0, y1 = _block_at(key, i)
    return (np.uint64(y0) << np.uint64(32)) | np.uint64(y1)


@numba.njit(cache=True)
def uniform_at(key, i, minval, maxval):
    """Element at flat index i of ``uniform(key, shape, float64, minval, maxval)``."""
    # The top 52 bits as a mantissa m give 1 + m 2**-52; minus 1 that is exactly m 2**-52.
    f = np.float64(bits64_at(key, i) >> np.uint64(12)) * 2.0**-52
    return max(minval, fma_scalar(f, maxval - minval, minval))


def fma_scalar(a, b, c):
    """``a * b + c`` rounded once, as XLA computes it: the scalar twin of ``_fma``.

    In Python (e.g. under NUMBA_DISABLE_JIT=1) this is the NumPy emulation; in compiled
    code the overload below emits LLVM's fma, one instruction on CPUs with FMA.
    """
    return float(_fma(np.float64(a), np.float64(b), np.float64(c)))


@numba.extending.intrinsic
def _llvm_fma(typingctx, a, b, c):
    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return numba.types.float64(
        numba.types.float64, numba.types.float64, numba.types.float64
    ), codegen


@numba.extending.overload(fma_scalar, inline="always")
def _fma_scalar_compiled(a, b, c):
    return lambda a, b, c: _llvm_fma(np.float64(a), np.float64(b), np.float64(c))


# erfinv(a) / a as a polynomial in u = w / 3.125 - 1, w = -log(1 - a**2) in [0, 6.25] (so
# |a| < 0.998): a least-squares Chebyshev fit of degree 10 to mpmath's erfinv, converted
# to powers of u, highest first. Maximum relative error 2.5e-8, made full precision by
# one Halley step (the error cubes).
_ERFINV_CENTRAL = (
    6.0722456195581364e-05,
    -0.00013096490417585085,
    -0.00022977037746436336,
    0.001238809940186245,
    -0.001288554431157185,
    -0.004138591542412647,
    0.017812057794599278,
    -0.02260435975089886,
    -0.05892286139209708,
    0.750494319721899,
    1.653654566442677,
)


@numba.njit(cache=True)
def erfinv_scalar(x):
    """Inverse error function in float64, to a few ulp (below 2e-15 relative, vs mpmath).

    A first guess refined by Halley steps on erf(y) = |x|, whose cubic convergence
    gives full precision: for |x| < 0.998 the fitted polynomial above and one step; in
    the tails Winitzki's closed form (relative error ~2e-3) and two steps. For |x| >= 0.5
    the steps solve erfc(y) = 1 - |x| instead: 1 - |x| is exact there, so the tail keeps
    its relative accuracy.
    """
    a = abs(x)
    if not a < 1.0:
        return math.copysign(math.inf, x) if a == 1.0 else math.nan
    w = -math.log((1.0 - a) * (1.0 + a))
    if w < 6.25:
        u = w * 0.32 - 1.0
        p = 0.0
        for c in _ERFINV_CENTRAL:
            p = p * u + c
        y = a * p
        steps = 1
    else:
        t = 2.0 / (math.pi * 0.147) - 0.5 * w
        y = math.sqrt(math.sqrt(t * t + w / 0.147) - t)
        steps = 2
    for _ in range(steps):
        if a < 0.5:
            f = math.erf(y) - a
        else:
            f = (1.0 - a) - math.erfc(y)
        q = f / (_TWO_OVER_SQRT_PI * math.exp(-y * y))
        y = y - q / (1.0 + y * q)  # Halley: erf'' / erf' = -2y
    return math.copysign(y, x)


@numba.njit(cache=True)
def normal_at(key, i):
    """Element at flat index i of ``normal(key, shape, float64)``, to ~1e-15 relative."""
    lo = -1.0 + 2.0**-53  # nextafter(-1, 0)
    return _SQRT2 * erfinv_scalar(uniform_at(key, i, lo, 1.0))


# -- whole arrays, Numba ------------------------------------------------------------------


@numba.njit(cache=True)
def threefry2x32_numba(key, count):
    """``threefry2x32_numpy`` for a 1-D uint32 counter array."""
    n = count.size
    half = (n + 1) // 2
    out = np.empty(n, np.uint32)
    for j in range(half):
        x1 = count[half + j] if half + j < n else np.uint32(0)
        y0, y1 = threefry2x32_scalar(key[0], key[1], count[j], x1)
        out[j] = y0
        if half + j < n:
            out[half + j] = y1
    return out


@numba.njit(cache=True)
def _fill_bits32(key, out):
    for i in range(out.size):
        out[i] = bits32_at(key, i)


@numba.njit(cache=True)
def _fill_bits64(key, out):
    for i in range(out.size):
        out[i] = bits64_at(key, i)


@numba.njit(cache=True)
def _fill_uniform(key, minval, maxval, out):
    for i in range(out.size):
        out[i] = uniform_at(key, i, minval, maxval)


@numba.njit(cache=True)
def _fill_normal(key, out):
    for i in range(out.size):
        out[i] = normal_at(key, i)


@numba.njit(cache=True)
def _fill_split(key, out):
    for i in range(out.shape[0]):
        y0, y1 = _block_at(key, i)
        out[i, 0] = y0
        out[i, 1] = y1


def random_bits_numba(key, bit_width: int = 32, shape=()) -> np.ndarray:
    """``random_bits`` (partitionable, 32 or 64 bits) computed by Numba loops."""
    key, shape = _as_key(key), _shape(shape)
    if bit_width not in (32, 64):
        raise TypeError(f"random_bits_numba: bit_width must be 32 or 64, got {bit_width}")
    out = np.empty(math.prod(shape), _UINT[bit_width])
    (_fill_bits32 if bit_width == 32 else _fill_bits64)(key, out)
    return out.reshape(shape)


def uniform_numba(key, shape=(), minval: float = 0.0, maxval: float = 1.0) -> np.ndarray:
    """``uniform`` in float64 with scalar bounds, computed by a Numba loop."""
    key, shape = _as_key(key), _shape(shape)
    out = np.empty(math.prod(shape), np.float64)
    _fill_uniform(key, float(minval), float(maxval), out)
    return out.reshape(shape)


def normal_numba(key, shape=()) -> np.ndarray:
    """``normal`` in float64 computed by a Numba loop (erfinv_scalar, not SciPy's)."""
    key, shape = _as_key(key), _shape(shape)
    out = np.empty(math.prod(shape), np.float64)
    _fill_normal(key, out)
    return out.reshape(shape)


def split_numba(key, num: int = 2) -> np.ndarray:
    """``split(key, num)`` (partitionable) computed by a Numba loop."""
    out = np.empty((int(num), 2), np.uint32)
    _fill_split(_as_key(key), out)
    return out
