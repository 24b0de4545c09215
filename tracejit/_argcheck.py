"""Argument checks for the public transforms, with JAX's error types and wording.

Kept apart from api.py so the transforms there read as the math they implement. Every
check raises what JAX raises in the same situation (TypeError or ValueError), with a
message that names tracejit's function and says what to do.
"""

from __future__ import annotations

import collections
import inspect

import numpy as np

from . import tree
from .dtypes import float0

__all__ = [
    "ArgumentError",
    "dyn_argnums",
    "check_input_revderiv",
    "check_output_revderiv",
    "check_input_jacfwd",
    "aval_str",
    "leaf_paths",
    "is_diff",
    "float0_zeros",
    "check_tangent",
    "check_cotangent",
    "check_axes_spec",
    "mapped_axis_size",
]


class ArgumentError(TypeError, ValueError):
    """A cotangent or tangent of the wrong structure, shape or dtype. Both a TypeError and
    a ValueError: JAX has raised each for these mistakes over its versions."""


def _shape(x) -> tuple:
    return x.aval.shape if hasattr(x, "aval") else np.shape(x)


def _dtype(x) -> np.dtype:
    return x.aval.dtype if hasattr(x, "aval") else np.asarray(x).dtype


def aval_str(x) -> str:
    """`float64[10,4]`, as JAX prints a type in messages."""
    try:
        return f"{_dtype(x).name}[{','.join(str(d) for d in _shape(x))}]"
    except Exception:  # an object that is not an array
        return "unknown"


def is_diff(dtype) -> bool:
    """Floating and complex values have tangents; integer and boolean ones get float0."""
    return np.issubdtype(dtype, np.inexact)


def float0_zeros(x) -> np.ndarray:
    return np.zeros(_shape(x), float0)


def leaf_paths(treedef) -> list[str]:
    """JAX's key path string of each leaf (`[0]['a'].x`), in flattening order."""
    data = treedef.node_data()
    if data is None:
        return [""] if treedef.num_leaves == 1 else []
    typ, aux = data
    out = []
    for i, child in enumerate(treedef.children()):
        if typ in (dict, collections.OrderedDict) and aux is not None:
            key = f"[{list(aux)[i]!r}]"
        elif typ is collections.defaultdict:
            key = f"[{aux[1][i]!r}]"
        elif hasattr(typ, "_fields") and issubclass(typ, tuple):
            key = f".{typ._fields[i]}"
        else:
            key = f"[{i}]"
        out += [key + p for p in leaf_paths(child)]
    return out


# ---------------------------------------------------------------------------
# differentiated arguments and outputs


def dyn_argnums(args, argnums, nums) -> tuple[int, ...]:
    """argnums made non-negative; TypeError (JAX's) if there are too few arguments."""
    if nums and (max(nums) >= len(args) or min(nums) < -len(args)):
        need = max(max(nums) + 1, -min(nums))
        raise TypeError(
            f"differentiating with respect to argnums={argnums} requires at least {need} "
            f"positional arguments to be passed by the caller, but got only {len(args)} "
            "positional arguments."
        )
    nn = tuple(n % len(args) for n in nums)
    if len(set(nn)) != len(nn):
        # JAX fails here too (with an internal TypeError): the same input twice would need
        # its cotangent split between two outputs, and silently giving one of them zero is wrong
        raise TypeError(
            f"argnums={argnums} names the same positional argument more than once; "
            "list each argument once (pass the value twice if you need two copies)"
        )
    return nn


def check_input_revderiv(name, holomorphic, allow_int, x):
    dt = _dtype(x)
    if holomorphic and not np.issubdtype(dt, np.complexfloating):
        raise TypeError(
            f"{name} with holomorphic=True requires inputs with complex dtype, but got {dt.name}."
        )
    if (np.issubdtype(dt, np.integer) or dt == np.bool_) and not allow_int:
        raise TypeError(
            f"{name} requires real- or complex-valued inputs (input dtype that is a sub-dtype "
            f"of np.inexact), but got {dt.name}. If you want to use Boolean- or "
            "integer-valued inputs, use vjp or set allow_int to True."
        )
    if not (np.issubdtype(dt, np.number) or dt == np.bool_):
        raise TypeError(
            f"{name} requires numerical-valued inputs (input dtype that is a sub-dtype of "
            f"np.bool_ or np.number), but got {dt.name}."
        )


def check_output_revderiv(name, holomorphic, x):
    dt = _dtype(x)
    if holomorphic:
        if not np.issubdtype(dt, np.complexfloating):
            raise TypeError(
                f"{name} with holomorphic=True requires outputs with complex dtype, but got "
                f"{dt.name}."
            )
    elif np.issubdtype(dt, np.complexfloating):
        raise TypeError(
            f"{name} requires real-valued outputs (output dtype that is a sub-dtype of "
            f"np.floating), but got {dt.name}. For holomorphic differentiation, pass "
            "holomorphic=True. For differentiation of non-holomorphic functions involving "
            "complex outputs, use tracejit.vjp directly."
        )
    elif not np.issubdtype(dt, np.floating):
        raise TypeError(
            f"{name} requires real-valued outputs (output dtype that is a sub-dtype of "
            f"np.floating), but got {dt.name}. For differentiation of functions with "
            "integer outputs, use tracejit.vjp directly."
        )


def check_input_jacfwd(holomorphic, x):
    dt = _dtype(x)
    if holomorphic:
        if not np.issubdtype(dt, np.complexfloating):
            raise TypeError(
                f"jacfwd with holomorphic=True requires inputs with complex dtype, but got "
                f"{dt.name}."
            )
    elif not np.issubdtype(dt, np.floating):
        raise TypeError(
            "jacfwd requires real-valued inputs (input dtype that is a sub-dtype of "
            f"np.floating), but got {dt.name}. For holomorphic differentiation, pass "
            "holomorphic=True. For differentiation of non-holomorphic functions involving "
            "complex inputs or integer inputs, use tracejit.jvp directly."
        )


# ---------------------------------------------------------------------------
# tangents and cotangents


def _is_weak(x) -> bool:
    """Python scalars are cast to the primal's dtype (JAX calls them weakly typed)."""
    return isinstance(x, (bool, int, float, complex))


def check_tangent(p, t) -> None:
    """A jvp tangent must have its primal's shape, and its dtype (float0 for an integer
    or boolean primal; we also accept that primal's own dtype, or a Python scalar)."""
    pd = _dtype(p)
    if not _is_weak(t) or (not is_diff(pd) and isinstance(t, (float, complex))):
        td = _dtype(t)
        ok = td == pd if is_diff(pd) else td in (float0, pd)
        if not ok:
            want = pd.name if is_diff(pd) else str(float0)
            raise TypeError(
                "primal and tangent arguments to tracejit.jvp do not match; dtypes must be "
                "equal, or in case of int/bool primal dtype the tangent dtype must be float0. "
                f"Got primal dtype {pd.name} and so expected tangent dtype {want}, but got "
                f"tangent dtype {td.name} instead."
            )
    if tuple(_shape(p)) != tuple(np.shape(t) if _is_weak(t) else _shape(t)):
        raise ValueError(
            "tracejit.jvp called with different primal and tangent shapes; Got primal shape "
            f"{tuple(_shape(p))} and tangent shape as {tuple(_shape(t))}"
        )


def check_cotangent(ct, out, what: str = "VJP function") -> None:
    """A cotangent must have its output's shape and dtype (float0 for an integer output;
    a Python scalar is cast)."""
    od = _dtype(out)
    if _is_weak(ct):
        ok = np.shape(ct) == tuple(_shape(out))
    else:
        cd = _dtype(ct)
        ok_dtype = cd == od or (not is_diff(od) and cd == float0)
        ok = ok_dtype and tuple(_shape(ct)) == tuple(_shape(out))
    if not ok:
        raise ArgumentError(
            f"unexpected type (shape/dtype) for argument to {what}: got {aval_str(ct)}, but "
            f"expected {aval_str(out)} because the corresponding output of the "
            f"differentiated function had type {aval_str(out)}"
        )


# ---------------------------------------------------------------------------
# vmap axes


def _is_axis(a) -> bool:
    return a is None or (isinstance(a, (int, np.integer)) and not isinstance(a, bool))


def check_axes_spec(in_axes, out_axes) -> None:
    """in_axes: an int, None or a tuple (one entry per positional argument) of trees of
    ints and Nones; out_axes: a tree of ints and Nones. Checked when vmap is called."""
    if not (_is_axis(in_axes) or type(in_axes) is tuple):
        raise TypeError(
            "vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
            f"positional arguments passed to the function, but got {in_axes}."
        )
    for name, spec in (("in_axes", in_axes), ("out_axes", out_axes)):
        if not all(_is_axis(a) for a in tree.leaves(spec, is_leaf=lambda x: x is None)):
            raise TypeError(
                f"vmap {name} must be an int, None, or (nested) container with those types "
                f"as leaves, but got {spec}."
            )


def check_axis(x, axis, path: str) -> int | None:
    """The mapped axis, made non-negative; ValueError if x has too few dimensions."""
    if axis is None:
        return None
    nd = len(_shape(x))
    if not -nd <= axis < nd:
        min_rank = axis + 1 if axis >= 0 else -axis
        raise ValueError(
            f"vmap was requested to map its argument{path} along axis {axis}, which implies "
            f"that its rank should be at least {min_rank}, but is only {nd} (its shape is "
            f"{tuple(_shape(x))})"
        )
    return int(axis) % nd


def mapped_axis_size(fn, args, kwargs, leaves, axes, axis_size) -> int:
    """The batch size every mapped axis agrees on, or JAX's ValueError listing them."""
    sizes = [None if a is None else _shape(x)[a] for x, a in zip(leaves, axes, strict=True)]
    found = {s for s in sizes if s is not None}
    if axis_size is not None:
        found.add(axis_size)
    if len(found) == 1:
        return found.pop()
    if not found:
        if not leaves:
            raise ValueError(
                "vmap wrapped function must be passed at least one argument containing an "
                f"array or axis_size must be specified, got empty *args={args} and "
                f"**kwargs={kwargs}"
            )
        raise ValueError(
            "vmap must have at least one non-None value in in_axes or axis_size must be specified"
        )
    try:
        names = list(inspect.signature(fn).bind(*args, **kwargs).signature.parameters)
    except (TypeError, ValueError):
        names = None
    arg_def = tree.structure(args)
    arg_paths, kw_paths = leaf_paths(arg_def), leaf_paths(tree.structure(kwargs))

    def where(k: int) -> str:
        if k >= arg_def.num_leaves:
            return f"kwargs{kw_paths[k - arg_def.num_leaves]} of type {aval_str(leaves[k])}"
        p = arg_paths[k]  # "[i]..." with i the positional argument
        i, rest = int(p[1 : p.index("]")]), p[p.index("]") + 1 :]
        head = f"argument {names[i]}" if names and i < len(names) else f"args[{i}]"
        return f"{head}{rest} of type {aval_str(leaves[k])}"

    counts = collections.Counter(s for s in sizes if s is not None).most_common()
    msg = ["vmap got inconsistent sizes for array axes to be mapped:\n"]
    if axis_size is not None:
        msg.append(f"  * the `axis_size` argument was {axis_size};\n")
    for rank, (sz, ct) in enumerate(counts):
        k = sizes.index(sz)
        if ct == 1:
            msg.append(f"  * one axis had size {sz}: axis {axes[k]} of {where(k)};\n")
        else:
            most = "most" if rank == 0 else "some"
            msg.append(
                f"  * {most} axes ({ct} of them) had size {sz}, e.g. axis {axes[k]} of "
                f"{where(k)};\n"
            )
    raise ValueError("".join(msg)[:-2])
