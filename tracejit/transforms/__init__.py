"""IR -> IR transforms: jvp_ir, linearize_ir, transpose_ir, vmap_ir."""

from .jvp import jvp_ir
from .partial_eval import linearize_ir
from .transpose import transpose_ir
from .vmap import vmap_ir

__all__ = ["jvp_ir", "linearize_ir", "transpose_ir", "vmap_ir"]
