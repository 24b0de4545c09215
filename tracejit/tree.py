"""Pytrees: nested tuples, lists, dicts, None and registered classes, with arrays as leaves.

Every transform works on flat lists of arrays: `flatten` turns the user's arguments into
a list of leaves plus a `PyTreeDef` (the structure, hashable, part of jit's cache key) and
`unflatten` rebuilds the user's results. Names and semantics follow `jax.tree_util` and
`jax.tree`, and leaves come out in JAX's order:

- tuple, list, namedtuple: children in order; a namedtuple is a node, not a leaf;
- dict: keys sorted; OrderedDict: insertion order; defaultdict: keys sorted;
- None: a node with no children, so it holds no leaf;
- classes registered with `register_pytree_node` (or the class decorator / dataclass helper);
- anything else is a leaf: arrays, scalars, tracers, subclasses of dict/list/tuple.

A treedef wraps a nested tuple of nodes `(type, aux_data, children)`, with the sentinel
`LEAF` for a leaf. Nested tuples hash and compare in C, so a cache lookup is cheap, and a
container whose children are all leaves shares one cached `children` tuple, so equality
of such nodes is an identity test.

Flatten dispatches on `type(x)` through dicts (no isinstance chains); a container whose
children are all of known leaf types is handled in C (`set.issuperset`, `list.extend`)
without a Python call per leaf. Timings on the development machine (Python 3.11, 2 shared
cores; min of many short `timeit` runs; for scale, a bare `[d[k] for k in keys]` over 100
keys takes 6.0 µs there):

    flatten + hash(treedef)   2-tuple of arrays  2.6 µs   dict of 100 arrays  16.7 µs
    unflatten                 2-tuple of arrays  0.6 µs   dict of 100 arrays  10.5 µs

For the 100-dict: keys 1.2, cached sort order 1.3, keys and values in order 4.5, leaf
type check 4.4, hash 1.6 µs; each is one pass in C over 100 items.
"""

from __future__ import annotations

import builtins
import collections
import dataclasses
import functools
import operator
from itertools import islice
from typing import Any, Callable, NamedTuple

__all__ = [
    "LEAF",
    "PyTreeDef",
    "all",
    "all_leaves",
    "broadcast_prefix",
    "flatten",
    "leaves",
    "map",
    "reduce",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "structure",
    "transpose",
    "tree_all",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_reduce",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
    "treedef_is_leaf",
    "unflatten",
]

# `map` and `all` are public names of this module and shadow the builtins inside it.
_bmap, _ball = builtins.map, builtins.all

IsLeaf = Callable[[Any], bool] | None


class _Leaf:
    """The type of `LEAF`, the node that stands for one leaf in a treedef."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "*"

    def __reduce__(self):
        return "LEAF"  # pickle and copy by name: LEAF is tested by identity


LEAF = _Leaf()

# Node = LEAF | tuple[type, aux_data, tuple[Node, ...]]
_leaf_tuples: dict[int, tuple] = {}


def _leaf_children(n: int) -> tuple:
    """The shared tuple of `n` LEAFs: one object per n, so unflatten can test by identity."""
    t = _leaf_tuples.get(n)
    if t is None:
        t = _leaf_tuples[n] = (LEAF,) * n
    return t


def _canonical(nodes: tuple) -> tuple:
    """`nodes`, or the shared tuple if all are LEAF (the comparison stops at a non-LEAF)."""
    shared = _leaf_children(len(nodes))
    return shared if nodes == shared else nodes


# ---------------------------------------------------------------------------------------
# Registry. `_kinds` holds the portable flatten/unflatten pair of every node type;
# `_flatteners` the fast recursive flattener for the same types; `_leaf_types` every type
# seen so far that is a leaf. A type is classified (namedtuple or leaf) on first sight.


class _NodeKind(NamedTuple):
    flatten: Callable[[Any], tuple[Any, Any]]  # x -> (children, aux_data)
    unflatten: Callable[[Any, list], Any]  # (aux_data, children as a fresh list) -> x


_kinds: dict[type, _NodeKind] = {}
_flatteners: dict[type, Callable[[Any, list], Any]] = {}
_leaf_types: set[type] = set()
_namedtuples: set[type] = set()  # registered automatically on first sight
_BUILTIN_NODES = (tuple, list, dict, type(None), collections.OrderedDict, collections.defaultdict)


def _add_node(typ: type, flatten_fn, unflatten_fn, fast=None) -> None:
    _kinds[typ] = _NodeKind(flatten_fn, unflatten_fn)
    if fast is None:

        def fast(x, leaves):
            children, aux = flatten_fn(x)
            return (typ, aux, _children(tuple(children), leaves))

    _flatteners[typ] = fast
    _leaf_types.discard(typ)
    _namedtuples.discard(typ)


def _kind_of(typ: type) -> _NodeKind | None:
    """The node kind of `typ`, or None for a leaf type."""
    if typ in _leaf_types:
        return None
    kind = _kinds.get(typ)
    if kind is None:
        _classify(typ)
        kind = _kinds.get(typ)
    return kind


def _classify(typ: type) -> None:
    if issubclass(typ, tuple) and hasattr(typ, "_fields"):  # namedtuple, as JAX detects it
        _add_node(typ, lambda x: (x, None), lambda aux, ch: typ(*ch))
        _namedtuples.add(typ)
    else:
        _leaf_types.add(typ)


def register_pytree_node(nodetype: type, flatten_func, unflatten_func) -> None:
    """Make `nodetype` a pytree node (exact type; subclasses stay leaves).

    `flatten_func(x) -> (children, aux_data)`; `unflatten_func(aux_data, children) -> x`
    receives the children as a tuple. `aux_data` goes into the treedef: make it hashable
    and comparable with `==`, or jit cannot cache on it.
    """
    if nodetype in _BUILTIN_NODES or (nodetype in _kinds and nodetype not in _namedtuples):
        raise ValueError(
            f"register_pytree_node: {nodetype.__qualname__} is already a pytree node type; "
            "register each type once"
        )
    _add_node(nodetype, flatten_func, lambda aux, ch: unflatten_func(aux, tuple(ch)))


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: `x.tree_flatten() -> (children, aux)`, classmethod
    `cls.tree_unflatten(aux, children) -> x`."""
    register_pytree_node(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten)
    return cls


def register_dataclass(nodetype: type, data_fields=None, meta_fields=None, drop_fields=()):
    """Register a dataclass: `data_fields` are children, `meta_fields` go into aux_data.

    Without the field lists, a field is meta when declared with
    `dataclasses.field(metadata=dict(static=True))`, and data otherwise (as JAX).
    """
    if (data_fields is None) != (meta_fields is None) or (
        data_fields is None and not dataclasses.is_dataclass(nodetype)
    ):
        raise TypeError(
            f"register_dataclass({nodetype.__qualname__}): pass both data_fields and "
            "meta_fields, or neither for a dataclass"
        )
    if data_fields is None:
        fields = [f for f in dataclasses.fields(nodetype) if f.init and f.name not in drop_fields]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    data, meta = tuple(data_fields), tuple(meta_fields)

    def flatten(x):
        return [getattr(x, n) for n in data], tuple([getattr(x, n) for n in meta])

    def unflatten(aux, children):
        return nodetype(
            **dict(zip(meta, aux, strict=True)), **dict(zip(data, children, strict=True))
        )

    register_pytree_node(nodetype, flatten, unflatten)
    return nodetype


# A dict's keys are sorted, as in JAX. Sorting on every flatten is the largest cost for a
# big dict, so the sorting permutation is cached by the keys in insertion order; applying
# it to this dict's own keys keeps the exact key objects.
_dict_orders: dict[tuple, Callable[[tuple], tuple]] = {}


def _dict_items(d: dict) -> tuple[tuple, tuple]:
    """The keys of `d`, sorted, and its values in the same order."""
    ks = tuple(d)
    if len(ks) < 2:  # itemgetter of fewer than two indices does not return a tuple
        return ks, tuple(d.values())
    order = _dict_orders.get(ks)
    if order is None:
        order = _sort_order(ks)
    return order(ks), order(tuple(d.values()))


def _sort_order(ks: tuple) -> Callable[[tuple], tuple]:
    try:
        perm = sorted(range(len(ks)), key=ks.__getitem__)
    except TypeError as e:
        raise ValueError(
            f"tree.flatten: cannot sort the dict keys {list(ks)!r} ({e}); pytree dict keys "
            "are sorted, as in JAX, so they must be mutually comparable; use an "
            "OrderedDict to keep insertion order instead"
        ) from None
    if len(_dict_orders) >= 4096:  # bound the memory of programs that make ever-new keys
        _dict_orders.clear()
    order = _dict_orders[ks] = operator.itemgetter(*perm)
    return order


def _dict_flatten(x):
    keys, vals = _dict_items(x)
    return vals, keys


def _default_dict_flatten(x):
    keys, vals = _dict_items(x)
    return vals, (x.default_factory, keys)


# ---------------------------------------------------------------------------------------
# Flatten


def _flatten(x, leaves: list):
    """The node for `x`, appending its leaves to `leaves`."""
    typ = type(x)
    if typ in _leaf_types:
        leaves.append(x)
        return LEAF
    fast = _flatteners.get(typ)
    if fast is None:
        _classify(typ)
        return _flatten(x, leaves)
    return fast(x, leaves)


def _children(xs: tuple | list, leaves: list) -> tuple:
    # Children all of known leaf types, the common case, cost no Python call per child.
    if _leaf_types.issuperset(_bmap(type, xs)):
        leaves.extend(xs)
        return _leaf_children(len(xs))
    return _canonical(tuple([_flatten(x, leaves) for x in xs]))


def _flatten_tuple(x, leaves):
    return (tuple, None, _children(x, leaves))


def _flatten_list(x, leaves):
    return (list, None, _children(x, leaves))


def _flatten_dict(x, leaves):
    keys, vals = _dict_items(x)
    return (dict, keys, _children(vals, leaves))


_NONE_NODE = (type(None), None, ())


def _flatten_pred(x, leaves: list, is_leaf):
    """`_flatten` for a user's `is_leaf` predicate, asked first at every subtree."""
    if is_leaf(x):
        leaves.append(x)
        return LEAF
    kind = _kind_of(type(x))
    if kind is None:
        leaves.append(x)
        return LEAF
    children, aux = kind.flatten(x)
    nodes = tuple([_flatten_pred(c, leaves, is_leaf) for c in children])
    return (type(x), aux, _canonical(nodes))


def flatten(tree, is_leaf: IsLeaf = None) -> tuple[list, PyTreeDef]:
    """`(leaves, treedef)`: the leaves in JAX's order and the structure that holds them.

    `is_leaf(x)`, when given, is asked at every subtree; True makes `x` a leaf.
    """
    leaves: list = []
    node = _flatten(tree, leaves) if is_leaf is None else _flatten_pred(tree, leaves, is_leaf)
    return leaves, PyTreeDef(node, len(leaves))


def leaves(tree, is_leaf: IsLeaf = None) -> list:
    return flatten(tree, is_leaf)[0]


def structure(tree, is_leaf: IsLeaf = None) -> PyTreeDef:
    return flatten(tree, is_leaf)[1]


def all_leaves(iterable, is_leaf: IsLeaf = None) -> bool:
    """True if every element of `iterable` is a leaf (None is not: it is an empty node)."""
    if is_leaf is None:
        return _ball(_kind_of(type(x)) is None for x in iterable)
    return _ball(is_leaf(x) or _kind_of(type(x)) is None for x in iterable)


# ---------------------------------------------------------------------------------------
# Unflatten and the treedef


def _unflatten(node, it):
    if node is LEAF:
        return next(it)
    typ, aux, children = node
    n = len(children)
    if children is _leaf_tuples.get(n):
        vals = list(islice(it, n))
    else:
        vals = [_unflatten(c, it) for c in children]
    return _kinds[typ].unflatten(aux, vals)


def _count_leaves(node) -> int:
    if node is LEAF:
        return 1
    return sum([_count_leaves(c) for c in node[2]])


def _count_nodes(node) -> int:
    if node is LEAF:
        return 1
    return 1 + sum([_count_nodes(c) for c in node[2]])


def _repr(node) -> str:
    if node is LEAF:
        return "*"
    typ, aux, children = node
    kids = [_repr(c) for c in children]
    if typ is tuple:
        return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
    if typ is list:
        return "[" + ", ".join(kids) + "]"
    if typ is dict:
        return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(aux, kids, strict=True)) + "}"
    if typ is type(None):
        return "None"
    if typ in _namedtuples:
        return f"CustomNode(namedtuple[{typ.__name__}], [{', '.join(kids)}])"
    return f"CustomNode({typ.__name__}[{aux}], [{', '.join(kids)}])"


class PyTreeDef:
    """The structure of a pytree: immutable, hashable, equal iff the structures are equal
    (same node types, same aux_data such as dict keys, same arity everywhere)."""

    __slots__ = ("_node", "_num_leaves", "_hash")

    def __init__(self, node, num_leaves: int | None = None):
        self._node = node
        self._num_leaves = _count_leaves(node) if num_leaves is None else num_leaves
        self._hash = None

    def __eq__(self, other):
        if type(other) is not PyTreeDef:
            return NotImplemented
        return self._node == other._node

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash(self._node)
        return h

    def __repr__(self) -> str:
        return f"PyTreeDef({_repr(self._node)})"

    def __reduce__(self):
        return (PyTreeDef, (self._node, self._num_leaves))  # not the hash: types hash by id

    @property
    def num_leaves(self) -> int:
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """Nodes including leaves and None, as JAX counts them."""
        return _count_nodes(self._node)

    def children(self) -> list[PyTreeDef]:
        """The treedefs of the root's children (empty for a leaf)."""
        return [] if self._node is LEAF else [PyTreeDef(c) for c in self._node[2]]

    def node_data(self) -> tuple[type, Any] | None:
        """`(type, aux_data)` of the root node, None for a leaf."""
        return None if self._node is LEAF else self._node[:2]

    def unflatten(self, leaves) -> Any:
        return unflatten(self, leaves)

    def flatten_up_to(self, tree) -> list:
        """The subtrees of `tree` at this treedef's leaves; `self` must be a prefix of it."""
        out: list = []
        _check_up_to(self, tree, out, "PyTreeDef.flatten_up_to", ("treedef", "tree"))
        return out

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """The treedef with `inner` in place of every leaf of `self`."""
        return PyTreeDef(_compose(self._node, inner._node), self.num_leaves * inner.num_leaves)


def _compose(node, inner):
    if node is LEAF:
        return inner
    typ, aux, children = node
    return (typ, aux, tuple([_compose(c, inner) for c in children]))


def unflatten(treedef: PyTreeDef, leaves) -> Any:
    """The pytree with structure `treedef` holding `leaves` (any iterable), in order."""
    leaves = list(leaves)
    if len(leaves) != treedef._num_leaves:
        raise ValueError(
            f"tree.unflatten: {treedef} holds {treedef._num_leaves} leaves, got {len(leaves)}"
        )
    node = treedef._node
    if node is LEAF:
        return leaves[0]
    if node[2] is _leaf_tuples.get(len(node[2])):  # one container of leaves: no recursion
        return _kinds[node[0]].unflatten(node[1], leaves)
    return _unflatten(node, iter(leaves))


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """True for a one-node treedef: a leaf, or an empty container such as None (as JAX)."""
    return treedef._node is LEAF or not treedef._node[2]


# ---------------------------------------------------------------------------------------
# Matching a tree against a prefix treedef


class _Mismatch(Exception):
    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail
        self.path: list[str] = []  # keys from the root, filled in while unwinding


def _describe(x) -> str:
    kind = _kind_of(type(x))
    if kind is None:
        return f"a leaf of type {type(x).__name__}"
    children, aux = kind.flatten(x)
    return _describe_node(type(x), aux, len(tuple(children)))


def _describe_node(typ: type, aux, n: int) -> str:
    if typ is type(None):
        return "None"
    if typ in (tuple, list):
        return f"a {typ.__name__} of length {n}"
    if typ in (dict, collections.OrderedDict):
        return f"a {typ.__name__} with keys {list(aux)}"
    if typ in _namedtuples:
        return f"a namedtuple {typ.__name__}"
    return f"a {typ.__name__} with {n} children and aux_data {aux!r}"


def _key(node, i: int) -> str:
    typ, aux, _ = node
    if typ in (dict, collections.OrderedDict):
        return f"[{aux[i]!r}]"
    if typ is collections.defaultdict:
        return f"[{aux[1][i]!r}]"
    if typ in _namedtuples:
        return f".{typ._fields[i]}"
    return f"[{i}]"


def _up_to(node, x, out: list) -> None:
    if node is LEAF:
        out.append(x)
        return
    typ, aux, children = node
    kind = _kinds[typ] if type(x) is typ else None
    if kind is not None:
        kids, x_aux = kind.flatten(x)
        kids = tuple(kids)
    if kind is None or len(kids) != len(children) or x_aux != aux:
        expected = _describe_node(typ, aux, len(children))
        raise _Mismatch(f"expected {expected}, got {_describe(x)}")
    for i, (c, k) in enumerate(zip(children, kids, strict=True)):
        try:
            _up_to(c, k, out)
        except _Mismatch as e:
            e.path.insert(0, _key(node, i))
            raise


def _check_up_to(prefix: PyTreeDef, tree, out: list, where: str, names: tuple[str, str]) -> None:
    """`_up_to`, with a ValueError naming both structures and the path where they differ."""
    try:
        _up_to(prefix._node, tree, out)
    except _Mismatch as e:
        try:
            full = repr(structure(tree))
        except ValueError as err:
            full = f"(cannot flatten: {err})"
        prefix_name, name = names
        width = max(len(prefix_name), len(name)) + 1
        raise ValueError(
            f"{where}: {name} does not match {prefix_name}'s structure at "
            f"{name}{''.join(e.path)}: {e.detail}\n"
            f"  {prefix_name + ':':{width}} {prefix}\n"
            f"  {name + ':':{width}} {full}"
        ) from None


# ---------------------------------------------------------------------------------------
# Functions over trees


def map(f: Callable, tree, *rest, is_leaf: IsLeaf = None) -> Any:
    """`f` applied leafwise; each of `rest` must have `tree`'s structure or have it as a
    prefix (then `f` receives the whole subtree of that argument at each leaf of `tree`)."""
    leaves, treedef = flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten([f(x) for x in leaves])
    columns = [leaves]
    for i, other in enumerate(rest):
        try:
            other_leaves, other_def = flatten(other, is_leaf)
        except ValueError:
            other_def = None
        if other_def != treedef:
            other_leaves = []
            _check_up_to(treedef, other, other_leaves, "tree.map", ("tree", f"rest[{i}]"))
        columns.append(other_leaves)
    return treedef.unflatten([f(*xs) for xs in zip(*columns, strict=True)])


_NO_INITIALIZER = object()


def reduce(function: Callable, tree, initializer=_NO_INITIALIZER, is_leaf: IsLeaf = None):
    """`functools.reduce` over the leaves."""
    if initializer is _NO_INITIALIZER:
        return functools.reduce(function, leaves(tree, is_leaf))
    return functools.reduce(function, leaves(tree, is_leaf), initializer)


def all(tree, *, is_leaf: IsLeaf = None) -> bool:
    """True if every leaf is truthy."""
    return _ball(leaves(tree, is_leaf))


def transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, tree) -> Any:
    """Turn an outer tree of inner trees into an inner tree of outer trees, as
    `jax.tree.transpose`; `inner_treedef=None` takes it from the first inner tree."""
    flat, treedef = flatten(tree)
    if inner_treedef is None:
        subtrees = outer_treedef.flatten_up_to(tree)
        if not subtrees:
            raise ValueError(
                "tree.transpose: cannot infer inner_treedef, the outer tree has no leaves"
            )
        inner_treedef = structure(subtrees[0])
    expected = outer_treedef.compose(inner_treedef)
    if treedef != expected:
        raise TypeError(
            f"tree.transpose: the tree has structure {treedef}, expected {expected} "
            f"(outer {outer_treedef} holding inner {inner_treedef} at each leaf)"
        )
    n_inner = inner_treedef.num_leaves
    # flat is outer-major: flat[j * n_inner + i] is leaf i of the j-th inner tree
    columns = [flat[i::n_inner] for i in range(n_inner)]
    return inner_treedef.unflatten([outer_treedef.unflatten(c) for c in columns])


def broadcast_prefix(prefix_tree, full_tree, is_leaf: IsLeaf = None) -> list:
    """For each leaf of `flatten(full_tree)`, the leaf of `prefix_tree` above it (vmap's
    `in_axes`).

    A leaf of the prefix (an int, or None, which here is a leaf, not an empty node)
    applies to every leaf of the subtree below it: `broadcast_prefix((0, None), (x, {'a':
    y, 'b': z}))` is `[0, None, None]`. `is_leaf` applies to the prefix only, as in JAX.
    ValueError if `prefix_tree` is not a prefix of `full_tree`.
    """
    prefix_leaves, prefix_def = flatten(
        prefix_tree, lambda x: x is None or bool(is_leaf and is_leaf(x))
    )
    if prefix_def._node is LEAF:  # the common in_axes=0
        return [prefix_tree] * len(leaves(full_tree))
    subtrees: list = []
    _check_up_to(prefix_def, full_tree, subtrees, "broadcast_prefix", ("prefix", "tree"))
    out: list = []
    for p, sub in zip(prefix_leaves, subtrees, strict=True):
        out.extend([p] * len(leaves(sub)))
    return out


# ---------------------------------------------------------------------------------------
# Built-in node types and JAX's tree_util names

_add_node(tuple, lambda x: (x, None), lambda aux, ch: tuple(ch), _flatten_tuple)
_add_node(list, lambda x: (x, None), lambda aux, ch: ch, _flatten_list)
# Lengths match by construction here, and zip's strict= keyword costs 0.5 µs a call.
_add_node(dict, _dict_flatten, lambda keys, ch: dict(zip(keys, ch)), _flatten_dict)  # noqa: B905
_add_node(type(None), lambda x: ((), None), lambda aux, ch: None, lambda x, leaves: _NONE_NODE)
_add_node(
    collections.OrderedDict,
    lambda x: (tuple(x.values()), tuple(x)),
    lambda keys, ch: collections.OrderedDict(zip(keys, ch, strict=True)),
)
_add_node(
    collections.defaultdict,
    _default_dict_flatten,
    lambda aux, ch: collections.defaultdict(aux[0], zip(aux[1], ch, strict=True)),
)

tree_flatten = flatten
tree_unflatten = unflatten
tree_leaves = leaves
tree_structure = structure
tree_map = map
tree_reduce = reduce
tree_all = all
tree_transpose = transpose
from ._tree_paths import *  # noqa: E402, F401, F403  (key paths, Partial, ...: tracejit/_tree_paths.py)
