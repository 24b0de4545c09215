"""Every workload, in the order the tables list them. A module per family of workloads."""

from benchmarks.workloads import (
    call_overhead,
    elementwise,
    hessians,
    logreg,
    loops,
    mlp_step,
    per_example_grads,
)

WORKLOADS = {
    w.name: w
    for module in (
        elementwise,
        logreg,
        mlp_step,
        per_example_grads,
        hessians,
        loops,
        call_overhead,
    )
    for w in module.WORKLOADS
}
