"""Scaled dot-product attention, as jax.nn.dot_product_attention (its "xla" form).

For each head n, with B batch, T query positions, S key positions, N query heads,
K key/value heads (N a multiple of K: query head n reads key head n // (N // K)),
H the head size:

    out[b, t, n] = sum_s softmax_s(scale * q[b, t, n] · k[b, s, n // G] + bias)[s] v[b, s, n // G]

where masked-out logits are replaced by a large negative number (a fully masked row
attends uniformly, as in JAX) and padded query positions (t >= query_seq_lengths[b])
output zeros.

Differences from JAX, both deliberate: the softmax runs in the logits' dtype, the
promotion of the inputs' dtype with float32 (JAX rounds float64 logits to float32 for the
softmax, so float64 results agree with JAX's to about 1e-7); sequence lengths may be any
integer dtype (JAX insists on int32; tracejit's default integer is int64).
"""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as tnp
from ..ops.elementwise import stop_gradient
from .activations import logsumexp, softmax

__all__ = ["dot_product_attention"]


def _as_4d(name: str, t):
    """t with leading unit axes up to 4 dimensions (a TNH input is one batch)."""
    t = tnp.asarray(t)
    if t.ndim > 4:
        raise ValueError(f"dot_product_attention: {name} has {t.ndim} dimensions; at most 4")
    return tnp.reshape(t, (1,) * (4 - t.ndim) + tuple(t.shape))


def _check(name: str, t, shape, dtype=None):
    """t has ``shape`` (-1 for any size) and ``dtype``, or an error naming both."""
    if dtype is not None and t.dtype != dtype:
        raise ValueError(f"dot_product_attention: {name} dtype should be {dtype}, got {t.dtype}")
    if t.ndim != len(shape) or any(w not in (-1, g) for w, g in zip(shape, t.shape)):
        want = tuple("*" if w == -1 else w for w in shape)
        raise ValueError(f"dot_product_attention: {name} shape should be {want}, got {t.shape}")


def _lengths(name: str, lengths, batch: int):
    if lengths is None:
        return None
    lengths = tnp.asarray(lengths)
    if not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(
            f"dot_product_attention: {name} must hold integer lengths, got {lengths.dtype}"
        )
    _check(name, lengths, (batch,))
    return lengths


def _keep(T, S, mask, is_causal, local_window_size, q_len, kv_len):
    """The boolean (B|1, N|1, T, S) mask of logits that take part, or None for all."""
    keep = None if mask is None else mask
    t, s = np.arange(T)[:, None], np.arange(S)[None, :]
    static = np.ones((T, S), bool)
    if is_causal:
        static &= s <= t
    if local_window_size is not None:
        left, right = local_window_size
        static &= (t <= s + left) & (t >= s - right)
    if is_causal or local_window_size is not None:
        keep = static if keep is None else tnp.logical_and(keep, static)
    for lengths, positions in ((q_len, t), (kv_len, s)):
        if lengths is not None:
            inside = tnp.less(positions[None], lengths[:, None, None])  # (B, T|1, 1|S)
            inside = tnp.expand_dims(inside, 1)
            keep = inside if keep is None else tnp.logical_and(keep, inside)
    return keep


def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    *,
    scale=None,
    is_causal: bool = False,
    query_seq_lengths=None,
    key_value_seq_lengths=None,
    local_window_size=None,
    implementation=None,
    return_residual: bool = False,
):
    """softmax(scale * Q Kᵀ + bias) V per head, as jax.nn.dot_product_attention.

    query (B, T, N, H) or (T, N, H); key and value (B, S, K, H) or (S, K, H) with N a
    multiple of K (grouped-query attention; K = 1 is multi-query). bias and mask
    broadcast to (B, N, T, S) (fewer dimensions get leading unit axes); mask is boolean,
    True where a logit takes part. scale defaults to 1 / sqrt(H). is_causal keeps s <= t;
    local_window_size (left, right), or one int for both, keeps t - left <= s <= t + right;
    query_seq_lengths / key_value_seq_lengths (shape (B,)) mask padded positions, and
    padded queries output 0. return_residual also returns the logsumexp of each row of
    logits, shape (B, T, N) or (T, N), without gradient. Returns an array of query's shape.
    """
    if implementation == "cudnn":
        raise ValueError(
            "dot_product_attention: implementation='cudnn' needs cuDNN on an NVIDIA GPU, and "
            "tracejit runs on the CPU; use implementation=None or 'xla'"
        )
    if implementation not in (None, "xla"):
        raise ValueError(
            f"dot_product_attention: unsupported implementation {implementation!r}; "
            "use None or 'xla'"
        )
    out_shape = tnp.asarray(query).shape
    q, k, v = _as_4d("query", query), _as_4d("key", key), _as_4d("value", value)
    B, S, K, H = k.shape
    _check("value", v, (B, S, K, H), k.dtype)
    _check("query", q, (B, -1, -1, H), k.dtype)
    T, N = q.shape[1], q.shape[2]
    if N % K:
        raise ValueError(
            f"dot_product_attention: the number of query heads must be a multiple of the "
            f"key/value heads, got {N} and {K}"
        )
    G = N // K
    if mask is not None:
        mask = _as_4d("mask", mask)
        _check("mask", mask, (-1,) * 4, np.dtype(bool))
    if bias is not None:
        bias = _as_4d("bias", bias)
    q_len = _lengths("query_seq_lengths", query_seq_lengths, B)
    kv_len = _lengths("key_value_seq_lengths", key_value_seq_lengths, B)
    if isinstance(local_window_size, int):
        local_window_size = (local_window_size, local_window_size)
    scale = 1.0 / math.sqrt(H) if scale is None else scale

    # logits in at least float32 (half-precision inputs are summed in float32, as JAX's
    # preferred_element_type does); query head n = kv head * G + group
    dtype = np.promote_types(k.dtype, np.float32)
    q_grouped = tnp.reshape(tnp.asarray(q, dtype), (B, T, K, G, H))
    logits = tnp.einsum("btkgh,bskh->bkgts", q_grouped, tnp.asarray(k, dtype))
    logits = tnp.reshape(logits, (B, N, T, S)) * tnp.asarray(scale, dtype)
    if bias is not None:
        logits = tnp.asarray(logits + bias, dtype)
    keep = _keep(T, S, mask, is_causal, local_window_size, q_len, kv_len)
    if keep is not None:
        # finite, so a fully masked row is uniform rather than NaN; within float32's
        # range, as JAX's
        large_negative = -0.7 * min(np.finfo(dtype).max, np.finfo(np.float32).max)
        logits = tnp.where(keep, logits, tnp.asarray(large_negative, dtype))
    probs = tnp.asarray(softmax(logits, axis=-1), k.dtype)
    probs = tnp.reshape(probs, (B, K, G, T, S))
    encoded = tnp.reshape(tnp.einsum("bkgts,bskh->btkgh", probs, v), (B, T, N, H))
    if q_len is not None:
        inside = tnp.less(np.arange(T)[None, :], q_len[:, None])
        encoded = encoded * tnp.asarray(inside, encoded.dtype)[:, :, None, None]
    encoded = tnp.reshape(encoded, out_shape)
    if not return_residual:
        return encoded
    residual = tnp.transpose(logsumexp(logits, axis=-1), (0, 2, 1))  # (B, N, T) -> (B, T, N)
    residual = stop_gradient(tnp.asarray(residual, k.dtype))
    return encoded, tnp.reshape(residual, out_shape[:-1])
