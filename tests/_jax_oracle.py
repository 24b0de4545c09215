"""Shared helpers for the JAX-parity tests: JAX (float64) as the oracle, and a comparison
of pytrees that checks structure, shapes, dtypes and values leaf by leaf."""

import numpy as np
import pytest

import tracejit as tj

FLOAT0 = tj.dtypes.float0


def jax_x64():
    """(jax, jax.numpy) with float64 enabled; skips the test when JAX is not installed."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jax, jnp


def assert_trees_close(got, want, rtol=1e-10, atol=1e-12, check_dtypes=True):
    """got (a tracejit result) matches want (a JAX result or plain values): same pytree
    structure (tracejit.tree and jax.tree_util print alike), then per leaf the same shape,
    dtype and values. float0 leaves compare by shape only."""
    g_leaves, g_tree = tj.tree.flatten(got)
    try:
        import jax

        w_leaves, w_tree = jax.tree_util.tree_flatten(want)
    except ImportError:
        w_leaves, w_tree = tj.tree.flatten(want)
    assert repr(g_tree) == repr(w_tree), f"structure {g_tree} != {w_tree}"
    for k, (g, w) in enumerate(zip(g_leaves, w_leaves, strict=True)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"leaf {k}: shape {g.shape} != {w.shape}"
        if check_dtypes:
            assert g.dtype == w.dtype, f"leaf {k}: dtype {g.dtype} != {w.dtype}"
        if g.dtype == FLOAT0 or w.dtype == FLOAT0:
            continue
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"leaf {k}")
