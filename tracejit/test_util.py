"""tracejit.test_util: JAX's module name (jax.test_util) for tracejit.testing's check."""

from .testing import check_grads

__all__ = ["check_grads"]
