"""tracejit.random: explicit, splittable keys and counter-based samplers, as jax.random.

    key = tr.key(0)                      # uint32[2]: JAX's raw PRNGKey data
    k1, k2 = tr.split(key)               # new independent keys; never reuse one
    x = tr.normal(k1, (3, 2))            # the same numbers as jax.random (x64)

No hidden state: a number is a keyed hash (Threefry-2x32, the threefry2x32 primitive)
of its position, so samplers are pure functions of their key. They are written with
tracejit.numpy ops on the hash, the way jax.random writes them with lax, so they work
eagerly, under jit (the hash becomes a Numba loop), under grad (reparameterised samples
such as ``mu + sigma * normal(k)`` differentiate in mu and sigma) and under vmap,
including vmap over a batch of keys: ``vmap(lambda k: uniform(k, (3,)))(split(key, 4))``.

Numbers equal jax.random's under ``jax_enable_x64`` (its default partitionable Threefry)
bit for bit for split, fold_in, bits, randint, permutation, bernoulli, and uniform when
``maxval - minval`` is a power of two (the default [0, 1) included). Otherwise XLA fuses
``u * span + minval`` into one fused multiply-add and may differ in the last bit. Samplers
built on the inverse error function (normal, truncated_normal) agree with JAX to a few
ulp, and eager and jitted calls agree to a few ulp there too: erf_inv runs SciPy's
erfinv in the interpreter and tracejit._threefry.erfinv_scalar in compiled code.

The other samplers of jax.random (cauchy, beta, dirichlet, multivariate_normal, t, ...;
tracejit/_random_dists.py) and its rejection samplers (gamma, loggamma, poisson,
binomial, multinomial; tracejit/_random_rejection.py) make the same draws from the same
keys as JAX, so they agree with it to a few ulp as well; gamma is differentiable in its
shape parameter, as in JAX.
"""

from __future__ import annotations

import math

import numpy as np

from . import numpy as tnp
from .ops.elementwise import convert_element_type, erf, erf_inv
from .ops.random import threefry2x32
from .ops.shape import iota
from .ops.sort import sort
from .trace import ConcretizationError, Tracer, user_src

__all__ = [
    "PRNGKey",
    "ball",
    "bernoulli",
    "beta",
    "binomial",
    "bits",
    "categorical",
    "cauchy",
    "chisquare",
    "choice",
    "clone",
    "dirichlet",
    "double_sided_maxwell",
    "exponential",
    "f",
    "fold_in",
    "gamma",
    "generalized_normal",
    "geometric",
    "gumbel",
    "key",
    "key_data",
    "key_impl",
    "laplace",
    "loggamma",
    "logistic",
    "lognormal",
    "maxwell",
    "multinomial",
    "multivariate_normal",
    "normal",
    "orthogonal",
    "pareto",
    "permutation",
    "poisson",
    "rademacher",
    "randint",
    "rayleigh",
    "split",
    "t",
    "triangular",
    "truncated_normal",
    "uniform",
    "wald",
    "weibull_min",
    "wrap_key_data",
]

_UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}
_ZERO = np.uint32(0)


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _cast(x, dtype):
    return convert_element_type(tnp.asarray(x), new_dtype=np.dtype(dtype))


class _ConcreteIntError(ConcretizationError, TypeError):
    """A traced value where a Python int is needed (JAX's ConcretizationTypeError)."""


class KeyShapeError(TypeError, ValueError):
    """Not one key: JAX raises ValueError for a batch of keys and TypeError for non-keys;
    this is both."""


def _check_key(key, where: str):
    k = tnp.asarray(key)
    if k.dtype == np.uint32 and len(k.shape) > 1 and k.shape[-1] == 2:
        raise KeyShapeError(
            f"{where} accepts a single key, but was given a key array of shape "
            f"{tuple(k.shape[:-1])} != (); expected a key, a uint32 array of shape (2,). Use "
            "vmap for batching (over the leading axis of a batch of keys)"
        )
    if tuple(k.shape) != (2,) or k.dtype != np.uint32:
        raise KeyShapeError(
            f"random.{where}: expected a key, a uint32 array of shape (2,), got "
            f"{k.dtype}{list(k.shape)}; make one with random.key(seed), split or fold_in "
            "(under vmap, map over the leading axis of a batch of keys)"
        )
    return k[0], k[1]


# ---------------------------------------------------------------------------
# keys


def _check_impl(impl, where: str) -> None:
    name = getattr(impl, "name", impl)
    if impl is not None and name not in ("threefry2x32", "fry"):
        raise ValueError(
            f"random.{where}: only the threefry2x32 implementation exists, got {impl!r}"
        )


def key(seed, *, impl=None):
    """A key from an integer seed: ``[hi, lo]``, the 32-bit halves of ``seed mod 2**64``.

    Equal to ``jax.random.key_data(jax.random.key(seed))`` under x64. A traced seed works
    too; a seed narrower than 64 bits has hi = 0, as in JAX. ``impl`` may only name the
    default, 'threefry2x32'.
    """
    _check_impl(impl, "key")
    if isinstance(seed, int):
        if not -(2**63) <= seed < 2**63:
            raise OverflowError(f"random.key: seed {seed} does not fit in int64")
        bits = seed % 2**64
        return np.array([bits >> 32, bits & 0xFFFFFFFF], np.uint32)
    seed = tnp.asarray(seed)
    if seed.shape != () or seed.dtype.kind not in "iu":
        raise TypeError(f"random.key: seed must be an integer scalar, got {seed.dtype}{seed.shape}")
    if seed.dtype.itemsize < 8:
        hi, lo = _ZERO, _cast(seed, np.uint32)
    else:
        s = _cast(seed, np.uint64)
        hi, lo = _cast(tnp.floor_divide(s, np.uint64(2**32)), np.uint32), _cast(s, np.uint32)
    return tnp.stack([tnp.asarray(hi), lo])


PRNGKey = key


def key_data(keys):
    """The raw uint32 data of a key or an array of keys: keys here are raw data already."""
    return keys


def wrap_key_data(key_bits_array, *, impl=None, dtype=None):
    """A key (or an array of keys) from its raw ``uint32[..., 2]`` data: the data itself,
    checked. Only the default Threefry-2x32 implementation exists here."""
    _check_impl(impl, "wrap_key_data")
    _check_impl(dtype, "wrap_key_data")
    k = tnp.asarray(key_bits_array)
    if k.dtype != np.uint32 or not k.shape or k.shape[-1] != 2:
        raise TypeError(
            f"random.wrap_key_data: expected uint32 key data of shape (..., 2), got "
            f"{k.dtype}{list(k.shape)}"
        )
    return k


def key_impl(keys) -> str:
    """The name of the key's random-bit implementation: always ``'threefry2x32'``."""
    return "threefry2x32"


def clone(key):
    """The same key, for reuse (JAX's key-reuse checker is not modelled here)."""
    return key


def _hash_positions(key, n: int, where: str):
    """The Threefry block at each flat position 0..n-1: the words (y0, y1), each shape (n,)."""
    k0, k1 = _check_key(key, where)
    if n > 2**32:
        raise NotImplementedError(f"random.{where}: more than 2**32 numbers from one key")
    return threefry2x32(k0, k1, _ZERO, iota(dtype=np.uint32, shape=(n,)))


def split(key, num=2):
    """``num`` new keys (an int or a shape): ``uint32[*num, 2]``; key i is the block at
    counter i, so ``split(key, n)[i] == fold_in(key, i)``."""
    shape = _shape(num)
    y0, y1 = _hash_positions(key, math.prod(shape), "split")
    return tnp.reshape(tnp.stack([y0, y1], axis=-1), (*shape, 2))


def fold_in(key, data):
    """A new key from a key and a 32-bit integer (an int or a traced integer scalar)."""
    if isinstance(data, (int, np.integer)) and not 0 <= int(data) <= 0xFFFFFFFF:
        raise OverflowError(f"random.fold_in: data {data} is outside uint32; reduce it mod 2**32")
    k0, k1 = _check_key(key, "fold_in")
    y0, y1 = threefry2x32(k0, k1, _ZERO, _cast(data, np.uint32))
    return tnp.stack([y0, y1])


def _random_bits(key, bit_width: int, shape, where: str):
    shape = _shape(shape)
    y0, y1 = _hash_positions(key, math.prod(shape), where)
    return tnp.reshape(_bits_of_block(y0, y1, bit_width), shape)


def _bits_of_block(y0, y1, bit_width: int):
    """The bits JAX takes from the Threefry block (y0, y1) of one element."""
    if bit_width == 64:  # y0 in the high word, y1 in the low one
        return tnp.bitwise_or(
            tnp.multiply(_cast(y0, np.uint64), np.uint64(2**32)), _cast(y1, np.uint64)
        )
    return _cast(tnp.bitwise_xor(y0, y1), _UINT[bit_width])  # the low bits of y0 ^ y1


def bits(key, shape=(), dtype=np.uint64):
    """Uniformly distributed random bits as an unsigned integer array of ``dtype``
    (uint64 by default, as jax.random.bits under x64)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "u":
        raise TypeError(f"random.bits: dtype must be unsigned, got {dtype}")
    return _random_bits(key, dtype.itemsize * 8, shape, "bits")


# ---------------------------------------------------------------------------
# continuous distributions


def _float_dtype(dtype, where: str, complex_ok: bool = False) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f" and not (complex_ok and dtype.kind == "c"):
        what = "a float or complex" if complex_ok else "a float"
        raise ValueError(f"dtype argument to `{where}` must be {what} dtype, got {dtype}")
    return dtype


def uniform(key, shape=(), dtype=np.float64, minval=0.0, maxval=1.0):
    """Uniform on [minval, maxval): random mantissa bits scaled, clamped below at minval."""
    dtype = _float_dtype(dtype, "uniform")
    shape = _shape(shape)
    raw = _random_bits(key, dtype.itemsize * 8, shape, "uniform")
    return _uniform_of_bits(raw, dtype, minval, maxval)


def _uniform_of_bits(raw, dtype: np.dtype, minval=0.0, maxval=1.0):
    """Floats in [minval, maxval) from unsigned bits of dtype's width, as JAX makes them."""
    minval, maxval = _cast(minval, dtype), _cast(maxval, dtype)
    nbits, nmant = dtype.itemsize * 8, np.finfo(dtype).nmant
    # the top nmant bits as an integer m: (1 + m 2**-nmant) - 1, as JAX computes it, is
    # exactly m 2**-nmant
    mant = tnp.floor_divide(raw, _UINT[nbits](2 ** (nbits - nmant)))
    floats = tnp.multiply(_cast(mant, dtype), dtype.type(2.0**-nmant))
    return tnp.maximum(minval, floats * (maxval - minval) + minval)


def normal(key, shape=(), dtype=np.float64):
    """Standard normal: ``sqrt(2) erfinv(u)`` with u uniform on (-1, 1). A complex dtype
    gives ``(re + 1j im) / sqrt(2)`` from two split keys, as JAX."""
    dtype = _float_dtype(dtype, "normal", complex_ok=True)
    if dtype.kind == "c":
        real = np.dtype(np.float64 if dtype.itemsize == 16 else np.float32)
        key_re, key_im = split(key)
        re, im = normal(key_re, shape, real), normal(key_im, shape, real)
        return (_cast(re, dtype) + _cast(im, dtype) * dtype.type(1j)) / dtype.type(np.sqrt(2))
    lo = np.nextafter(dtype.type(-1.0), dtype.type(0.0))
    u = uniform(key, shape, dtype, lo, 1.0)
    return tnp.multiply(dtype.type(math.sqrt(2.0)), erf_inv(u))


def truncated_normal(key, lower, upper, shape=None, dtype=np.float64):
    """Standard normal truncated to (lower, upper), by inverting the CDF.

    Bounds given as numbers clamp the result to the open interval, as JAX does; traced
    bounds clamp to the closed one.
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    if shape is None:
        shape = np.broadcast_shapes(np.shape(lower), np.shape(upper))
    sqrt2 = dtype.type(math.sqrt(2.0))
    lo, hi = _cast(lower, dtype), _cast(upper, dtype)
    u = uniform(key, shape, dtype, erf(lo / sqrt2), erf(hi / sqrt2))
    out = tnp.multiply(sqrt2, erf_inv(u))
    if isinstance(lo, Tracer) or isinstance(hi, Tracer):
        return tnp.clip(out, lo, hi)
    lo_in = np.nextafter(lo, dtype.type(np.inf))
    hi_in = np.nextafter(hi, dtype.type(-np.inf))
    return tnp.clip(out, lo_in, hi_in)


def exponential(key, shape=(), dtype=np.float64):
    """Exponential with rate 1: ``-log1p(-u)``."""
    dtype = _float_dtype(dtype, "exponential")
    return tnp.negative(tnp.log1p(tnp.negative(uniform(key, shape, dtype))))


def gumbel(key, shape=(), dtype=np.float64, mode: str | None = None):
    """Standard Gumbel: ``-log(-log(u))`` with u uniform on [tiny, 1). ``mode='high'``
    draws u with twice the bits (as JAX), for events rarer than 2**-nmant; 'highest' is
    'high' here (JAX's float32 'highest' also uses the leading zeros of 64 bits)."""
    dtype = _float_dtype(dtype, "gumbel")
    shape = _shape(shape)
    if mode in ("high", "highest"):
        info = np.finfo(dtype)
        u = uniform(key, (2, *shape), dtype)
        high, low = u[0], u[1]
        x = tnp.where(high >= 0.5, high, high + dtype.type(2.0**-info.nmant) * low + info.tiny)
        return tnp.negative(tnp.log(tnp.negative(tnp.log1p(tnp.negative(x)))))
    if mode not in (None, "low"):
        raise ValueError(f"random.gumbel: mode must be 'low', 'high' or 'highest', got {mode!r}")
    u = uniform(key, shape, dtype, np.finfo(dtype).tiny, 1.0)
    return tnp.negative(tnp.log(tnp.negative(tnp.log(u))))


# ---------------------------------------------------------------------------
# discrete distributions


def bernoulli(key, p=0.5, shape=None, mode: str = "low"):
    """Booleans, true with probability p (``uniform < p``); shape defaults to p's. With
    ``mode='high'`` two uniforms make one with twice the bits, for tiny p (as JAX)."""
    if mode not in ("high", "low"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    p = tnp.asarray(p)
    if p.dtype.kind != "f":
        p = _cast(p, np.float64)
    shape = tuple(p.shape) if shape is None else _shape(shape)
    if mode == "high":
        u = uniform(key, (2, *shape), p.dtype)
        u2 = u[1] * p.dtype.type(2.0 ** -np.finfo(p.dtype).nmant)
        return tnp.less(u2, p - u[0])
    return tnp.less(uniform(key, shape, p.dtype), p)


def categorical(key, logits, axis: int = -1, shape=None, replace: bool = True, mode=None):
    """Indices drawn with probabilities ``softmax(logits)`` along ``axis``: the Gumbel-max
    trick. ``shape`` may add leading sample axes in front of the batch shape. Without
    replacement (the Gumbel top-k trick) the sample axes hold distinct categories."""
    logits = tnp.asarray(logits)
    if logits.dtype.kind != "f":
        logits = _cast(logits, np.float64)
    ndim = len(logits.shape)
    axis = axis % ndim
    batch = tuple(logits.shape[:axis]) + tuple(logits.shape[axis + 1 :])
    shape = batch if shape is None else _shape(shape)
    if len(shape) < len(batch) or np.broadcast_shapes(shape, batch) != shape:
        raise ValueError(f"random.categorical: shape {shape} must end with the batch shape {batch}")
    prefix, tail = shape[: len(shape) - len(batch)], shape[len(shape) - len(batch) :]
    if not replace:
        k = math.prod(prefix)
        if k > logits.shape[axis]:
            raise ValueError(
                f"Number of samples without replacement ({k}) cannot exceed number of "
                f"categories ({logits.shape[axis]})."
            )
        scores = tnp.moveaxis(logits + gumbel(key, logits.shape, logits.dtype, mode), axis, -1)
        top = tnp.argsort(tnp.negative(scores), axis=-1, kind="stable")[..., :k]
        return tnp.reshape(tnp.moveaxis(top, -1, 0), shape)
    g = gumbel(key, prefix + tail[:axis] + (logits.shape[axis],) + tail[axis:], logits.dtype, mode)
    return tnp.argmax(g + logits, axis=len(prefix) + axis)


def _clip_to(x, dtype):
    """An integer array converted to dtype, saturating at dtype's range (not wrapping)."""
    to, src = np.iinfo(dtype), np.iinfo(x.dtype)
    lo, hi = max(to.min, src.min), min(to.max, src.max)
    return _cast(tnp.clip(x, x.dtype.type(lo), x.dtype.type(hi)), dtype)


def _int_bound(v):
    v = tnp.asarray(v)
    return v if v.dtype.kind in "iu" else _cast(v, np.int64)


def randint(key, shape, minval, maxval, dtype=np.int64):
    """Integers in [minval, maxval) (``maxval <= minval`` gives minval), as JAX draws them:
    ``(hi * 2**nbits + lo) mod span`` from two full-width draws, in wrapping unsigned
    arithmetic (slightly biased unless span is a power of two). Types narrower than 32
    bits are drawn as int32."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"random.randint: dtype must be an integer dtype, got {dtype}")
    shape = _shape(shape)
    minval, maxval = _int_bound(minval), _int_bound(maxval)
    sample = dtype
    if dtype.itemsize < 4:
        info, sample = np.iinfo(dtype), np.dtype(np.int32)
        minval = tnp.clip(_cast(minval, np.int32), info.min, info.max)
        maxval = tnp.clip(_cast(maxval, np.int32), info.min, info.max + 1)
    return _cast(_randint(key, shape, minval, maxval, sample), dtype)


def _randint(key, shape, minval, maxval, dtype):
    nbits = dtype.itemsize * 8
    utype = np.dtype(_UINT[nbits])
    top = np.iinfo(dtype).max
    # maxval beyond dtype's range means one value more than the clipped span
    out_of_range = tnp.greater(maxval, _clip_to(tnp.asarray(np.asarray(top, dtype)), maxval.dtype))
    minval, maxval = _clip_to(minval, dtype), _clip_to(maxval, dtype)
    k1, k2 = split(key)
    higher = _random_bits(k1, nbits, shape, "randint")
    lower = _random_bits(k2, nbits, shape, "randint")
    one = utype.type(1)
    span = _cast(tnp.subtract(maxval, minval), utype)  # wraps, as the unsigned difference
    span = tnp.where(tnp.less_equal(maxval, minval), one, span)
    span = tnp.where(tnp.logical_and(out_of_range, tnp.greater(maxval, minval)), span + one, span)
    # a span of 2**nbits wraps to 0; then x mod 2**nbits is x itself
    wrapped = tnp.equal(span, utype.type(0))
    safe = tnp.where(wrapped, one, span)

    def rem(x):
        return tnp.where(wrapped, x, tnp.remainder(x, safe))

    multiplier = rem(tnp.asarray(utype.type(2 ** (nbits // 2))))  # 2**nbits mod span
    multiplier = rem(multiplier * multiplier)
    offset = rem(rem(higher) * multiplier + rem(lower))
    return minval + _cast(offset, dtype)


def _shuffle(key, x, axis: int):
    """Rounds of stable sorts by fresh 32-bit keys, enough that all elements get distinct
    key strings with high probability (as JAX's ``_shuffle``)."""
    size = math.prod(x.shape)
    rounds = math.ceil(3 * math.log(max(1, size)) / math.log(2**32 - 1))
    for _ in range(rounds):
        key, subkey = split(key)
        sort_keys = _random_bits(subkey, 32, x.shape, "permutation")
        x = sort(sort_keys, x, dimension=axis, num_keys=1)[1]
    return x


def permutation(key, x, axis: int = 0, independent: bool = False):
    """A shuffled ``arange(x)`` (x an int), or x shuffled along ``axis``: as one block of
    slices, or each slice on its own if ``independent``."""
    ndim = 1 if isinstance(x, (int, np.integer)) else max(1, len(tnp.asarray(x).shape))
    if not -ndim <= axis < ndim:
        raise ValueError(f"random.permutation: axis {axis} is out of bounds for {ndim} dimensions")
    if isinstance(x, (int, np.integer)):
        return _shuffle(key, np.arange(int(x), dtype=np.int64), 0)
    x = tnp.asarray(x)
    if len(x.shape) == 0:
        if x.dtype.kind not in "iu":
            raise TypeError(f"random.permutation: x must be an integer or an array, got {x.dtype}")
        if isinstance(x, Tracer):
            raise _ConcreteIntError(
                "random.permutation: x must be an array or a Python int (its value sets a "
                f"shape, so it cannot be traced; at {user_src()}); mark it static"
            )
        return permutation(key, int(x), axis, independent)
    axis = axis % len(x.shape)
    if independent or len(x.shape) == 1:
        return _shuffle(key, x, axis)
    order = _shuffle(key, np.arange(x.shape[axis], dtype=np.int64), 0)
    return tnp.take(x, order, axis=axis)


def choice(key, a, shape=(), replace: bool = True, p=None, axis: int = 0, mode=None):
    """Samples of ``arange(a)`` (a an int) or of a's slices along ``axis``.

    Uniform with replacement: randint; without: a permutation's prefix; weighted with
    replacement: the inverse CDF; weighted without: Gumbel top-k (``mode`` as gumbel's).
    """
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape argument of random.choice must be a sequence, got {shape}")
    shape = _shape(shape)
    if isinstance(a, (int, np.integer)):
        arr, n = None, int(a)
    else:
        arr = tnp.asarray(a)
        if len(arr.shape) == 0:
            return choice(key, int(arr), shape, replace, p, axis, mode)
        axis = axis % len(arr.shape)
        n = arr.shape[axis]
    draws = math.prod(shape)
    if draws == 0:
        return tnp.zeros(shape, np.int64 if arr is None else arr.dtype)
    if n <= 0:
        raise ValueError("random.choice: a must be greater than 0 unless no samples are taken")
    if not replace and draws > n:
        raise ValueError(f"random.choice: cannot take {draws} samples without replacement from {n}")
    if p is None and replace:
        ind = randint(key, shape, 0, n)
    elif p is None:
        perm = permutation(key, n if arr is None else arr, axis)
        taken = tnp.take(perm, np.arange(draws), axis=axis)
        if arr is None:
            return tnp.reshape(taken, shape)
        return tnp.reshape(taken, arr.shape[:axis] + shape + arr.shape[axis + 1 :])
    else:
        p = tnp.asarray(p)
        if p.dtype.kind != "f":
            p = _cast(p, np.float64)
        if tuple(p.shape) != (n,):
            raise ValueError(f"random.choice: p must have shape ({n},), got {p.shape}")
        if replace:
            cdf = tnp.cumsum(p)
            r = cdf[-1] * (1 - uniform(key, shape, p.dtype))
            ind = _cast(tnp.searchsorted(cdf, r), np.int64)
        else:
            g = gumbel(key, (n,), p.dtype, mode) + tnp.log(p)
            ind = tnp.reshape(tnp.argsort(tnp.negative(g), kind="stable")[:draws], shape)
    return ind if arr is None else tnp.take(arr, ind, axis=axis)


# The samplers built on the ones above live in their own modules, which import this one.
from ._random_dists import (  # noqa: E402
    ball,
    beta,
    cauchy,
    chisquare,
    dirichlet,
    double_sided_maxwell,
    f,
    generalized_normal,
    geometric,
    laplace,
    logistic,
    lognormal,
    maxwell,
    multivariate_normal,
    orthogonal,
    pareto,
    rademacher,
    rayleigh,
    t,
    triangular,
    wald,
    weibull_min,
)
from ._random_rejection import binomial, gamma, loggamma, multinomial, poisson  # noqa: E402
