"""The product of lowering: generated source, and what the caller needs to run it."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
from dataclasses import dataclass, field
from functools import cached_property

from ..trace import TraceError

__all__ = ["Lowered", "LoweringError", "runtime_fingerprint"]

# the modules generated code calls: Numba compiles their functions into each kernel's
# machine code, and its disk cache does not notice when they change, so their text (and
# Numba's version) is part of every kernel's key
_RUNTIME_FILES = ("lowering/kernels.py", "lowering/special.py", "lowering/vmath.py", "_threefry.py")


@functools.cache
def runtime_fingerprint() -> str:
    """A hash of the runtime files and of Numba's version file (found without importing
    Numba: the first call's interpreted result must not wait for that import)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    numba_dir = os.path.dirname(importlib.util.find_spec("numba").origin)
    h = hashlib.sha256(numba_dir.encode())
    for path in (os.path.join(numba_dir, "_version.py"), *_RUNTIME_FILES):
        try:
            with open(os.path.join(root, path), "rb") as f:
                h.update(f.read())
        except OSError:  # (a Numba without a version file: its path stands for it)
            pass
    return h.hexdigest()[:16] + "\n"


class LoweringError(TraceError):
    """A primitive or equation the Numba lowering cannot express."""


@dataclass
class Lowered:
    """Generated source for one IR. `code` (no comments) is what the cache key hashes."""

    name: str
    lines: list  # (indent, code, comment)
    imports: set
    parallel: bool
    n_outs: int
    consts: list  # arrays for the leading parameters (the IR's and its bodies' constants)
    param_avals: list  # types of all parameters: constants, then the IR's inputs
    eqn_at_line: dict = field(default_factory=dict)  # line index -> equation text

    @property
    def header(self) -> str:
        mods = ["import math", "", "import numba", "import numpy as np", "from numba import prange"]
        for module, names in sorted(_group_imports(self.imports).items()):
            mods.append(f"from {module} import {', '.join(sorted(names))}")
        return "\n".join(mods) + "\n"

    @property
    def decorator(self) -> str:
        opts = 'cache=True, error_model="numpy", nogil=True'
        return f"@numba.njit({opts}{', parallel=True' if self.parallel else ''})"

    def _render(self, comments: bool) -> str:
        out = []
        for indent, code, comment in self.lines:
            pad = "    " * indent
            if not code:  # a comment line: for readers only, not part of the code
                if comments:
                    out.append(f"{pad}# {comment}")
            elif comments and comment:
                out.append(f"{pad}{code}  # {comment}")
            else:
                out.append(pad + code)
        return "\n".join(out) + "\n"

    @cached_property
    def code(self) -> str:
        return f"{self.header}\n\n{self.decorator}\n{self._render(False)}"

    @property
    def plain_code(self) -> str:
        """The module without the Numba decorator: plain Python."""
        return f"{self.header}\n\n{self._render(False)}"

    @property
    def source(self) -> str:
        return f"{self.header}\n\n{self.decorator}\n{self._render(True)}"

    @cached_property
    def key(self) -> str:
        """Content hash of the comment-free code and of the runtime it calls: equal keys,
        interchangeable machine code."""
        return hashlib.sha256((runtime_fingerprint() + self.code).encode()).hexdigest()[:24]

    def equation_at(self, source_line: int) -> str | None:
        """The equation a line of the generated module (`source`) implements."""
        k = source_line - (self.header + "\n\n" + self.decorator + "\n").count("\n") - 1
        while k >= 0:
            if k in self.eqn_at_line:
                return self.eqn_at_line[k]
            k -= 1
        return None


def _group_imports(imports):
    out: dict[str, set] = {}
    for module, name in imports:
        out.setdefault(module, set()).add(name)
    return out
