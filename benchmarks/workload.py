"""What a workload is: inputs, a NumPy reference, and one builder per kind of framework."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.frameworks import AD_FRAMEWORKS, adapter

Inputs = dict[str, Any]
Run = Callable[[], Any]  # zero-argument callable: one timed call; returns the result


@dataclass(frozen=True)
class Workload:
    """One benchmark program.

    `make_inputs(size)` builds NumPy inputs deterministically; `reference(inputs)` is the
    NumPy version with hand-derived gradients, both the oracle and the "numpy" column.
    `build_ad(fw, inputs)` is written once against the JAX-shaped adapter in
    frameworks.py and serves tracejit, jax, torch and autograd; `build_numba(inputs)` is
    a hand-written Numba version where one makes sense. Builders return a `Run`.
    """

    name: str
    description: str
    sizes: tuple[int, ...]
    make_inputs: Callable[[int], Inputs]
    reference: Callable[[Inputs], Any]
    build_ad: Callable[[Any, Inputs], Run] | None = None
    build_numba: Callable[[Inputs], Run] | None = None
    ad_frameworks: tuple[str, ...] = AD_FRAMEWORKS
    size_label: str = "n={}"
    rtol: float = 1e-7
    atol: float = 1e-10
    # minimum bytes a call must read and write, for the memory-bandwidth floor
    min_bytes: Callable[[int], float] | None = None
    notes: dict[str, str] = field(default_factory=dict)  # per framework: how it is written

    @property
    def frameworks(self) -> tuple[str, ...]:
        fws = self.ad_frameworks if self.build_ad else ()
        return fws + (("numba",) if self.build_numba else ()) + ("numpy",)

    def label(self, size: int) -> str:
        return f"{self.name} [{self.size_label.format(_short(size))}]"

    def build(self, framework: str, inputs: Inputs) -> Run:
        if framework not in self.frameworks:
            raise ValueError(f"{self.name}: no {framework} version")
        if framework == "numpy":
            return lambda: self.reference(inputs)
        if framework == "numba":
            return self.build_numba(inputs)
        return self.build_ad(adapter(framework), inputs)


def _short(n: int) -> str:
    """100000 -> '1e5'; other numbers as they are."""
    s = str(n)
    return f"1e{len(s) - 1}" if n >= 10_000 and s == "1" + "0" * (len(s) - 1) else s
