"""Per-call overhead of a jitted function doing almost nothing: two small arrays in, one
out; and a dict of 100 small arrays in and out (pytree flattening both ways).

torch runs eagerly (no jit); autograd has no jit at all, so it is left out.
"""

import numpy as np

from benchmarks.workload import Workload

LEAF = 16  # elements per array


def axpy(x, y):
    return 2.0 * x + y


def args_inputs(size):
    rng = np.random.default_rng(0)
    return {"x": rng.standard_normal(LEAF), "y": rng.standard_normal(LEAF)}


def build_args_ad(fw, inputs):
    return fw.prepare(fw.jit(axpy), *fw.asarray((inputs["x"], inputs["y"])))


def build_args_numba(inputs):
    import numba

    f, x, y = numba.njit(axpy, cache=True), inputs["x"], inputs["y"]
    return lambda: f(x, y)


ARGS = Workload(
    name="jit_call_2_arrays",
    description="jitted 2·x + y on two arrays of 16 elements (call overhead)",
    sizes=(2,),
    size_label="{} arrays",
    make_inputs=args_inputs,
    reference=lambda inputs: axpy(inputs["x"], inputs["y"]),
    build_ad=build_args_ad,
    build_numba=build_args_numba,
    ad_frameworks=("tracejit", "jax", "torch"),
    notes={"numpy": "eager: no jit", "torch": "eager"},
)


def scale_tree(tree):
    return {k: 2.0 * v + 1.0 for k, v in tree.items()}


def tree_inputs(leaves):
    rng = np.random.default_rng(0)
    return {"tree": {f"p{i:03d}": rng.standard_normal(LEAF) for i in range(leaves)}}


def build_tree_ad(fw, inputs):
    return fw.prepare(fw.jit(scale_tree), fw.asarray(inputs["tree"]))


TREE = Workload(
    name="jit_call_pytree",
    description="jitted map over a dict of 100 arrays of 16 elements (pytree overhead)",
    sizes=(100,),
    size_label="{} leaves",
    make_inputs=tree_inputs,
    reference=lambda inputs: scale_tree(inputs["tree"]),
    build_ad=build_tree_ad,
    ad_frameworks=("tracejit", "jax", "torch"),
    notes={"numpy": "eager: no jit", "torch": "eager", "numba": "no pytrees"},
)

WORKLOADS = (ARGS, TREE)
