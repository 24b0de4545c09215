"""Per-example gradients, vmap(grad(loss)) over a batch of 64, of a small MLP 32-64-10
(ReLU, softmax cross-entropy): one (W, b) gradient per example, batch axis first."""

import numpy as np

from benchmarks.workload import Workload
from benchmarks.workloads import _mlp

SIZES = (32, 64, 10)


def make_inputs(batch):
    rng = np.random.default_rng(0)
    x, y = _mlp.data(rng, batch, SIZES[0], SIZES[-1])
    return {"params": _mlp.init(SIZES, rng), "x": x, "y": y}


def reference(inputs):
    return _mlp.loss_and_grads(inputs["params"], inputs["x"], inputs["y"], per_example=True)[1]


def build_ad(fw, inputs):
    grad = fw.grad(lambda p, x, y: _mlp.loss(fw.np, p, x, y))
    per_example = fw.jit(fw.vmap(grad, in_axes=(None, 0, 0)))
    args = fw.asarray((inputs["params"], inputs["x"], inputs["y"]))
    return fw.prepare(per_example, *args)


WORKLOADS = (
    Workload(
        name="per_example_grads",
        description="vmap(grad) of a small MLP 32-64-10 loss",
        sizes=(64,),
        size_label="batch {}",
        make_inputs=make_inputs,
        reference=reference,
        build_ad=build_ad,
        notes={"autograd": "no vmap: a Python loop over examples"},
    ),
)
