"""Benchmarks for tracejit against JAX, torch, autograd, hand-written Numba and NumPy.

Run `python -m benchmarks` (or `--quick`, `--only NAME`); see benchmarks/README.md.
This package imports no framework at import time: each is imported when first used.
"""
