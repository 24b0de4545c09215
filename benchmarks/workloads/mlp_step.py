"""One SGD training step of an MLP 784-256-128-10 (ReLU, softmax cross-entropy), batch 128,
float64: loss and gradient, then every parameter updated; returns (new params, loss)."""

import numpy as np

from benchmarks.workload import Workload
from benchmarks.workloads import _mlp

SIZES = (784, 256, 128, 10)
LR = 0.1


def make_inputs(batch):
    rng = np.random.default_rng(0)
    x, y = _mlp.data(rng, batch, SIZES[0], SIZES[-1])
    return {"params": _mlp.init(SIZES, rng), "x": x, "y": y}


def sgd(params, grads):
    return tuple((W - LR * gW, b - LR * gb) for (W, b), (gW, gb) in zip(params, grads, strict=True))


def reference(inputs):
    value, grads = _mlp.loss_and_grads(inputs["params"], inputs["x"], inputs["y"])
    return sgd(inputs["params"], grads), value


def build_ad(fw, inputs):
    vg = fw.value_and_grad(lambda p, x, y: _mlp.loss(fw.np, p, x, y))

    def step(params, x, y):
        value, grads = vg(params, x, y)
        return sgd(params, grads), value

    args = fw.asarray((inputs["params"], inputs["x"], inputs["y"]))
    return fw.prepare(fw.jit(step), *args)


WORKLOADS = (
    Workload(
        name="mlp_train_step",
        description="MLP 784-256-128-10 SGD step (ReLU, softmax xent), float64",
        sizes=(128,),
        size_label="batch {}",
        make_inputs=make_inputs,
        reference=reference,
        build_ad=build_ad,
        # read and write every parameter once, read the batch
        min_bytes=lambda n: 8.0 * (2 * (784 * 256 + 256 * 128 + 128 * 10) + n * 784),
    ),
)
