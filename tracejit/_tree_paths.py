"""Key paths and the rest of jax.tree_util, on top of tracejit.tree (which re-exports all
of this): every leaf can be named by the keys that lead to it from the root.

    for path, leaf in tree.leaves_with_path({"w": [a, b]}):
        print(tree.keystr(path), leaf.shape)        # ['w'][0] ... ['w'][1] ...

A path is a tuple of key entries, one per level, as in JAX:

- ``SequenceKey(idx)`` for tuples and lists, printed ``[0]``;
- ``DictKey(key)`` for dicts (sorted keys, as the leaves), OrderedDict and defaultdict,
  printed ``['a']``;
- ``GetAttrKey(name)`` for namedtuples and ``register_dataclass`` classes, printed
  ``.name``;
- ``FlattenedIndexKey(i)`` for other registered nodes, printed ``[<flat index 0>]``,
  unless the class was registered with keys (``register_pytree_with_keys``).

Flattening with paths walks a tree exactly as ``tree.flatten`` does (same leaves, same
order, an equal treedef), so the two can be mixed freely. Also here: ``Partial`` (a
``functools.partial`` that is a pytree, so it can be passed to jitted functions),
``register_static``, ``broadcast``, ``reduce_associative``, ``flatten_one_level``,
``treedef_tuple``/``treedef_children`` and ``is_tree_node``.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from typing import Any, Callable, Hashable, Iterable

from . import tree
from .tree import LEAF, PyTreeDef

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "Partial",
    "SequenceKey",
    "broadcast",
    "flatten_one_level",
    "flatten_one_level_with_keys",
    "flatten_with_path",
    "is_tree_node",
    "keystr",
    "leaves_with_path",
    "map_with_path",
    "reduce_associative",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "register_static",
    "static",
    "tree_broadcast",
    "tree_flatten_with_path",
    "tree_leaves_with_path",
    "tree_map_with_path",
    "tree_reduce_associative",
    "treedef_children",
    "treedef_tuple",
]


# ---------------------------------------------------------------------------------------
# Key entries: frozen, hashable, compared by class and value; leaves in a pytree


@dataclasses.dataclass(frozen=True, slots=True)
class SequenceKey:
    """The position of a child of a tuple or list."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"

    def __hash__(self) -> int:  # distinct from other key kinds with the same value
        return hash(("SequenceKey", self.idx))


@dataclasses.dataclass(frozen=True, slots=True)
class DictKey:
    """The key of a child of a dict."""

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"

    def __hash__(self) -> int:  # distinct from other key kinds with the same value
        return hash(("DictKey", self.key))


@dataclasses.dataclass(frozen=True, slots=True)
class GetAttrKey:
    """The attribute name of a child of a namedtuple or dataclass."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"

    def __hash__(self) -> int:  # distinct from other key kinds with the same value
        return hash(("GetAttrKey", self.name))


@dataclasses.dataclass(frozen=True, slots=True)
class FlattenedIndexKey:
    """The position of a child among what a registered node's flatten function returns."""

    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"

    def __hash__(self) -> int:  # distinct from other key kinds with the same value
        return hash(("FlattenedIndexKey", self.key))


KeyEntry = Any  # one of the classes above, or any key a user's flatten_with_keys returns
KeyPath = tuple  # tuple[KeyEntry, ...]


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """A path as text: ``['a'][0].b``; with ``simple=True`` only the bare keys, joined
    by ``separator`` (``a/0/b`` with ``separator='/'``)."""
    if not simple:
        return separator.join(map(str, keys))
    return separator.join(str(_bare(k)) for k in keys)


def _bare(k):
    if isinstance(k, SequenceKey):
        return k.idx
    if isinstance(k, GetAttrKey):
        return k.name
    if isinstance(k, (DictKey, FlattenedIndexKey)):
        return k.key
    return k


# ---------------------------------------------------------------------------------------
# Registration with keys

# node type -> x -> (iterable of (key, child), aux_data), for classes registered with keys
_key_flatteners: dict[type, Callable[[Any], tuple[Iterable, Any]]] = {}


def register_pytree_with_keys(nodetype: type, flatten_with_keys, unflatten_func, flatten_func=None):
    """`register_pytree_node` whose flatten also names the children:
    ``flatten_with_keys(x) -> ([(key, child), ...], aux_data)``. ``flatten_func``, if
    given, must return the same children and aux_data without keys (it is what plain
    flatten calls)."""
    if flatten_func is None:

        def flatten_func(x):
            pairs, aux = flatten_with_keys(x)
            return [c for _, c in pairs], aux

    tree.register_pytree_node(nodetype, flatten_func, unflatten_func)
    _key_flatteners[nodetype] = flatten_with_keys


def register_pytree_with_keys_class(cls: type) -> type:
    """Class decorator: ``x.tree_flatten_with_keys()``, classmethod
    ``cls.tree_unflatten(aux, children)``, and ``x.tree_flatten()`` if defined."""
    flat = (lambda x: x.tree_flatten()) if hasattr(cls, "tree_flatten") else None
    register_pytree_with_keys(cls, lambda x: x.tree_flatten_with_keys(), cls.tree_unflatten, flat)
    return cls


def register_static(cls: type) -> type:
    """Make instances of ``cls`` pytrees with no leaves: the object itself goes into the
    treedef, so jit treats it as static (it must be hashable)."""
    register_pytree_with_keys(cls, lambda x: ((), x), lambda x, _: x)
    return cls


def static(**kwargs):
    """``dataclasses.field`` marked static: ``register_dataclass`` puts such a field in
    the treedef rather than among the leaves."""
    metadata = {"static": True, **(kwargs.pop("metadata", None) or {})}
    return dataclasses.field(metadata=metadata, **kwargs)


def is_tree_node(typ: type) -> bool:
    """True if instances of ``typ`` are pytree nodes (built in, namedtuple or registered)."""
    return tree._kind_of(typ) is not None


# ---------------------------------------------------------------------------------------
# One level


def _dataclass_fields(flatten_fn) -> tuple | None:
    """The data field names of a class registered with tree.register_dataclass: the
    ``data`` tuple its flatten function closes over."""
    code = getattr(flatten_fn, "__code__", None)
    if code is None or not flatten_fn.__qualname__.startswith("register_dataclass."):
        return None
    if "data" not in code.co_freevars:
        return None
    return flatten_fn.__closure__[code.co_freevars.index("data")].cell_contents


def _keyed(x, typ: type, kind) -> tuple[list, Any]:
    """``([(key, child), ...], aux_data)`` for the node x; aux_data as tree.flatten has it."""
    with_keys = _key_flatteners.get(typ)
    if with_keys is not None:
        pairs, aux = with_keys(x)
        return [tuple(p) for p in pairs], aux
    children, aux = kind.flatten(x)
    children = list(children)
    if typ in (tuple, list):
        keys = [SequenceKey(i) for i in range(len(children))]
    elif typ in (dict, collections.OrderedDict):
        keys = [DictKey(k) for k in aux]
    elif typ is collections.defaultdict:
        keys = [DictKey(k) for k in aux[1]]
    elif typ in tree._namedtuples:
        keys = [GetAttrKey(f) for f in typ._fields]
    else:
        names = _dataclass_fields(kind.flatten)
        if names is not None and len(names) == len(children):
            keys = [GetAttrKey(n) for n in names]
        else:
            keys = [FlattenedIndexKey(i) for i in range(len(children))]
    return list(zip(keys, children, strict=True)), aux


def flatten_one_level(x) -> tuple[Any, Any]:
    """``(children, aux_data)`` of a node: one level of flattening. ValueError for a leaf.

    As JAX returns them: the children of a list, OrderedDict, defaultdict or namedtuple as
    a list, of a tuple, dict or None as a tuple, of a registered class as its flatten
    function returns them; a namedtuple's aux_data is its type."""
    typ = type(x)
    kind = tree._kind_of(typ)
    if kind is None:
        raise ValueError(f"can't tree-flatten type: {typ}")
    children, aux = kind.flatten(x)
    if typ in tree._namedtuples:
        return list(children), typ
    if typ in (list, collections.OrderedDict, collections.defaultdict):
        return list(children), aux
    if typ in (tuple, dict, type(None)):
        return tuple(children), aux
    return children, aux


def flatten_one_level_with_keys(x) -> tuple[Any, Any]:
    """``([(key, child), ...], aux_data)`` of a node (a tuple of pairs for a list, tuple,
    dict or None, as JAX). ValueError for a leaf."""
    kind = tree._kind_of(type(x))
    if kind is None:
        raise ValueError(f"can't tree-flatten type: {type(x)}")
    typ = type(x)
    pairs, aux = _keyed(x, typ, kind)
    if typ in tree._namedtuples:
        return pairs, typ
    return (tuple(pairs) if typ in (list, tuple, dict, type(None)) else pairs), aux


# ---------------------------------------------------------------------------------------
# Whole trees with paths


def _walk(x, path: tuple, out: list, is_leaf):
    """The treedef node of x (as tree.flatten builds it), appending (path, leaf) pairs."""
    if is_leaf is not None and is_leaf(path, x):
        out.append((path, x))
        return LEAF
    typ = type(x)
    kind = tree._kind_of(typ)
    if kind is None:
        out.append((path, x))
        return LEAF
    pairs, aux = _keyed(x, typ, kind)
    nodes = tuple([_walk(c, (*path, k), out, is_leaf) for k, c in pairs])
    return (typ, aux, tree._canonical(nodes))


def _path_pred(is_leaf, takes_path: bool):
    if is_leaf is None or takes_path:
        return is_leaf
    return lambda _, x: is_leaf(x)


def flatten_with_path(tree_, is_leaf=None, is_leaf_takes_path: bool = False):
    """``([(path, leaf), ...], treedef)``: the leaves of ``tree.flatten`` with their key
    paths. ``is_leaf(x)`` (or ``is_leaf(path, x)`` with ``is_leaf_takes_path``) is asked
    at every subtree."""
    out: list = []
    node = _walk(tree_, (), out, _path_pred(is_leaf, is_leaf_takes_path))
    return out, PyTreeDef(node, len(out))


def leaves_with_path(tree_, is_leaf=None, is_leaf_takes_path: bool = False) -> list:
    """``[(path, leaf), ...]`` in leaf order."""
    return flatten_with_path(tree_, is_leaf, is_leaf_takes_path)[0]


def map_with_path(f: Callable, tree_, *rest, is_leaf=None, is_leaf_takes_path: bool = False):
    """``f(path, leaf, *others)`` at every leaf; each of ``rest`` must have ``tree_``'s
    structure or have it as a prefix, as in ``tree.map``."""
    pairs, treedef = flatten_with_path(tree_, is_leaf, is_leaf_takes_path)
    columns = [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten([f(p, x, *(c[i] for c in columns)) for i, (p, x) in enumerate(pairs)])


# ---------------------------------------------------------------------------------------
# Treedefs, broadcasting, reduction


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """The treedefs of the root's children."""
    return treedef.children()


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The treedef of a tuple whose children have the given treedefs."""
    nodes = tuple(t._node for t in treedefs)
    return PyTreeDef((tuple, None, tree._canonical(nodes)))


def broadcast(prefix_tree, full_tree, is_leaf=None):
    """``full_tree``'s structure, each leaf replaced by the leaf of ``prefix_tree`` above it
    (``prefix_tree`` must be a prefix of ``full_tree``; None is an empty node, as JAX)."""
    prefix_leaves, prefix_def = tree.flatten(prefix_tree, is_leaf)
    try:
        subtrees = prefix_def.flatten_up_to(full_tree)
    except ValueError as e:
        raise ValueError(f"tree.broadcast: pytree structure error: {e}") from None
    out: list = []
    for p, sub in zip(prefix_leaves, subtrees, strict=True):
        out.extend([p] * tree.structure(sub).num_leaves)
    return tree.structure(full_tree).unflatten(out)


class _Unspecified:
    def __repr__(self) -> str:
        return "<unspecified>"


_UNSPECIFIED = _Unspecified()


def reduce_associative(operation: Callable, tree_, *, identity=_UNSPECIFIED, is_leaf=None):
    """Reduce the leaves with an associative ``operation`` as a balanced binary tree
    (JAX's order: the first half of the leaves, then the second half)."""

    def go(xs):
        if not xs:
            if identity is _UNSPECIFIED:
                raise TypeError("Must specify identity for parallel reduction of empty sequence.")
            return identity
        if len(xs) == 1:
            return xs[0]
        mid = len(xs) // 2
        return operation(go(xs[:mid]), go(xs[mid:]))

    return go(tree.leaves(tree_, is_leaf))


# ---------------------------------------------------------------------------------------
# Partial


class _HashableCallableShim:
    """Holds a functools.partial so that Partial does not merge its arguments."""

    def __init__(self, fun):
        self.fun = fun

    def __call__(self, *args, **kw):
        return self.fun(*args, **kw)

    def __hash__(self):
        return hash(self.fun)

    def __eq__(self, other):
        if isinstance(other, _HashableCallableShim):
            return self.fun == other.fun
        return self.fun == other

    def __repr__(self) -> str:
        return f"_HashableCallableShim({self.fun!r})"


class Partial(functools.partial):
    """``functools.partial`` that is a pytree: the bound arguments are its children and the
    function is static, so ``jit(call)(Partial(f, x), y)`` traces x and keys the cache on f.
    """

    def __new__(klass, func, *args, **kw):
        # partial(partial(f, a), b) would merge the arguments; box an inner partial so that
        # exactly the arguments given here are the children
        if isinstance(func, functools.partial):
            inner = func
            func = _HashableCallableShim(inner)
            out = super().__new__(klass, func, *args, **kw)
            func.func, func.args, func.keywords = inner.func, inner.args, inner.keywords
            return out
        return super().__new__(klass, func, *args, **kw)


tree.register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, xs: Partial(func, *xs[0], **xs[1]),
)

# JAX's tree_util names
tree_flatten_with_path = flatten_with_path
tree_leaves_with_path = leaves_with_path
tree_map_with_path = map_with_path
tree_broadcast = broadcast
tree_reduce_associative = reduce_associative
