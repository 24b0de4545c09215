"""ns per element of ``out[i] = f(x[i])`` in a Numba loop: tracejit.lowering.vmath
against the libm call (``math.*``) in the same loop, and against the NumPy ufunc.

    python benchmarks/bench_vmath.py [--n 1000000] [--repeat 20]

Prints a Markdown table (best of --repeat runs) and whether each vmath loop compiled to
vector code (ymm/zmm registers in its assembly).
"""

import argparse
import math
import platform
import re
import time

import numba
import numpy as np
import scipy.special
from llvmlite import binding as llvm

from tracejit.lowering import vmath


@numba.njit
def _logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


@numba.njit
def _softplus(x):
    return math.log1p(math.exp(x)) if x < 30.0 else x


@numba.njit
def _exp2(x):
    return 2.0**x


# name: (vmath function, scalar libm version, NumPy version, input sampler)
CASES = {
    "exp": (vmath.vexp, math.exp, np.exp, lambda r, n: r.uniform(-50, 50, n)),
    "exp2": (vmath.vexp2, _exp2, np.exp2, lambda r, n: r.uniform(-50, 50, n)),
    "expm1": (vmath.vexpm1, math.expm1, np.expm1, lambda r, n: r.uniform(-5, 5, n)),
    "log": (vmath.vlog, math.log, np.log, lambda r, n: np.exp(r.uniform(-20, 20, n))),
    "log2": (vmath.vlog2, math.log2, np.log2, lambda r, n: np.exp(r.uniform(-20, 20, n))),
    "log1p": (vmath.vlog1p, math.log1p, np.log1p, lambda r, n: np.exp(r.uniform(-20, 5, n))),
    "tanh": (vmath.vtanh, math.tanh, np.tanh, lambda r, n: r.uniform(-5, 5, n)),
    "logistic": (vmath.vlogistic, _logistic, scipy.special.expit, lambda r, n: r.normal(0, 5, n)),
    "softplus": (
        vmath.vsoftplus,
        _softplus,
        lambda x: np.logaddexp(0.0, x),
        lambda r, n: r.normal(0, 5, n),
    ),
    "sin": (vmath.vsin, math.sin, np.sin, lambda r, n: r.uniform(-100, 100, n)),
    "cos": (vmath.vcos, math.cos, np.cos, lambda r, n: r.uniform(-100, 100, n)),
    "arctan": (vmath.vatan, math.atan, np.arctan, lambda r, n: r.normal(0, 5, n)),
    "erf": (vmath.verf, math.erf, scipy.special.erf, lambda r, n: r.normal(0, 2, n)),
}


def _loop(f):
    @numba.njit
    def loop(x, out):
        for i in range(x.size):
            out[i] = f(x[i])

    return loop


def _best(repeat, fn, *args):
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--only", nargs="*", default=None, help="function names to run")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(
        f"# {platform.machine()} {llvm.get_host_cpu_name()}, numba {numba.__version__}, "
        f"numpy {np.__version__}, n = {args.n}, best of {args.repeat}"
    )
    print("| function | vmath ns | math.* loop ns | NumPy ns | vs math | vectorised |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (vf, mf, nf, sample) in CASES.items():
        if args.only and name not in args.only:
            continue
        x = sample(rng, args.n)
        out = np.empty_like(x)
        vloop, mloop = _loop(vf), _loop(mf)
        vloop(x, out)
        mloop(x, out)
        asm = vloop.inspect_asm(vloop.signatures[0])
        vector = bool(re.search(r"\b[yz]mm\d", asm))
        per = 1e9 / args.n
        tv = _best(args.repeat, vloop, x, out) * per
        tm = _best(args.repeat, mloop, x, out) * per
        tn = _best(args.repeat, nf, x) * per
        print(f"| {name} | {tv:.2f} | {tm:.2f} | {tn:.2f} | {tm / tv:.1f}x | {vector} |")
    print("\nfloat32 data: the float32 version, the float64 one (rounded on store), NumPy")
    print("| function | vmath32 ns | vmath ns | NumPy ns | vectorised |")
    print("| --- | --- | --- | --- | --- |")
    for name, fname in vmath.VMATH32.items():
        if args.only and name not in args.only:
            continue
        x = CASES[name][3](rng, args.n).astype(np.float32)
        out = np.empty_like(x)
        l32, l64 = _loop(getattr(vmath, fname)), _loop(CASES[name][0])
        l32(x, out)
        l64(x, out)
        asm = l32.inspect_asm(l32.signatures[0])
        vector = bool(re.search(r"\b[yz]mm\d", asm))
        per = 1e9 / args.n
        t32 = _best(args.repeat, l32, x, out) * per
        t64 = _best(args.repeat, l64, x, out) * per
        tn = _best(args.repeat, CASES[name][2], x) * per
        print(f"| {name} | {t32:.2f} | {t64:.2f} | {tn:.2f} | {vector} |")


if __name__ == "__main__":
    main()
