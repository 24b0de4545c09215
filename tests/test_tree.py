"""Laws of tracejit.tree: unflatten ∘ flatten = id; leaf order, structure, equality and
repr agree with jax.tree_util (when jax is importable); map, transpose and
broadcast_prefix agree with their definitions; errors name what did not match."""

import collections
import copy
import dataclasses
import pickle
import typing

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracejit import tree

P = collections.namedtuple("P", "x y")


class Pair(typing.NamedTuple):
    a: typing.Any
    b: typing.Any


class Obj:
    """A leaf that is equal only to itself, so leaf order can be checked by identity."""

    __slots__ = ()


@tree.register_pytree_node_class
class Box:
    """A registered class: children are pytrees, `meta` is aux_data."""

    def __init__(self, children, meta):
        self.children, self.meta = tuple(children), meta

    def tree_flatten(self):
        return self.children, self.meta

    @classmethod
    def tree_unflatten(cls, meta, children):
        return cls(children, meta)


@dataclasses.dataclass
class Params:
    w: typing.Any
    b: typing.Any
    name: str = dataclasses.field(default="p", metadata=dict(static=True))


tree.register_dataclass(Params)


def _same(a, b) -> bool:
    """Same node types and keys all the way down, and the very same leaf objects."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        keys_match = (
            list(a) == list(b) if type(a) is collections.OrderedDict else a.keys() == b.keys()
        )
        if type(a) is collections.defaultdict and a.default_factory is not b.default_factory:
            return False
        return keys_match and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, Box):
        return a.meta == b.meta and _same(a.children, b.children)
    if isinstance(a, Params):
        return a.name == b.name and _same(a.w, b.w) and _same(a.b, b.b)
    return a is b


# --- strategies ------------------------------------------------------------------------

leaf_st = st.one_of(
    st.builds(Obj),
    st.builds(lambda n: np.arange(n, dtype=np.float64), st.integers(0, 3)),
    st.floats(allow_nan=False),
    st.integers(-3, 3),
)
str_keys = st.text("abcd", max_size=3)


def _containers(children):
    small = st.lists(children, max_size=3)
    return st.one_of(
        small.map(tuple),
        small,
        st.dictionaries(str_keys, children, max_size=3),
        st.dictionaries(st.integers(-3, 3), children, max_size=3),
        st.builds(P, children, children),
        st.builds(Pair, children, children),
        st.dictionaries(str_keys, children, max_size=3).map(
            lambda d: collections.OrderedDict(reversed(list(d.items())))
        ),
        st.dictionaries(str_keys, children, max_size=3).map(
            lambda d: collections.defaultdict(list, d)
        ),
        st.builds(Box, small, st.sampled_from(["m", ("k", 1)])),
        st.builds(Params, children, children, st.sampled_from(["p", "q"])),
    )


trees = st.recursive(st.one_of(leaf_st, st.none()), _containers, max_leaves=12)


def _fresh(t):
    """A tree with t's structure and new leaves."""
    return tree.map(lambda _: Obj(), t)


# --- flatten / unflatten ---------------------------------------------------------------


@given(trees)
def test_unflatten_inverts_flatten(t):
    leaves, treedef = tree.flatten(t)
    assert _same(tree.unflatten(treedef, leaves), t)
    assert _same(treedef.unflatten(leaves), t)
    assert treedef.num_leaves == len(leaves) == len(tree.leaves(t))
    assert tree.structure(t) == treedef


@given(trees)
def test_flatten_is_stable_and_treedef_is_hashable(t):
    leaves1, def1 = tree.flatten(t)
    leaves2, def2 = tree.flatten(t)  # second sight: every type already classified
    assert all(a is b for a, b in zip(leaves1, leaves2, strict=True))
    assert def1 == def2 and hash(def1) == hash(def2)
    assert {def1: 1}[def2] == 1
    t2 = _fresh(t)
    assert tree.structure(t2) == def1 and hash(tree.structure(t2)) == hash(def1)


@given(trees)
def test_is_leaf_everywhere_false_changes_nothing(t):
    leaves1, def1 = tree.flatten(t)
    leaves2, def2 = tree.flatten(t, is_leaf=lambda x: False)
    assert def1 == def2 and all(a is b for a, b in zip(leaves1, leaves2, strict=True))
    assert _same(tree.unflatten(def2, leaves2), t)


@given(trees)
def test_pickle_and_copy_keep_the_treedef(t):
    leaves, treedef = tree.flatten(t)
    for clone in (pickle.loads(pickle.dumps(treedef)), copy.deepcopy(treedef)):
        assert clone == treedef and hash(clone) == hash(treedef)
        assert _same(clone.unflatten(leaves), t)


@given(trees)
def test_treedef_counts_and_children(t):
    treedef = tree.structure(t)
    kids = treedef.children()
    if tree.treedef_is_leaf(treedef):
        assert treedef.num_nodes == 1
    else:
        assert treedef.num_nodes == 1 + sum(k.num_nodes for k in kids)
        assert treedef.num_leaves == sum(k.num_leaves for k in kids)


def test_leaf_kinds():
    a = np.ones(3)

    class Tracerish:  # tracejit's tracers are plain unregistered objects
        pass

    class MyTuple(tuple):  # subclasses of containers are leaves unless registered (JAX)
        pass

    class MyDict(dict):
        pass

    x, y, z = Tracerish(), MyTuple((1, 2)), MyDict(a=1)
    assert tree.leaves([a, x, y, z, 1.5, 2, "s", np.float32(1)])[:4] == [a, x, y, z]
    assert tree.flatten(a) == ([a], tree.structure(0))
    assert tree.all_leaves([a, 1, x]) and not tree.all_leaves([a, None])
    assert not tree.all_leaves([(a,)])
    assert tree.all_leaves([None], is_leaf=lambda v: v is None)


def test_none_is_an_empty_node():
    leaves, treedef = tree.flatten(None)
    assert leaves == [] and treedef.num_leaves == 0 and treedef.num_nodes == 1
    assert repr(treedef) == "PyTreeDef(None)"
    assert tree.leaves([None, 1, (None,)]) == [1]
    assert tree.structure(None) != tree.structure(0)
    assert tree.treedef_is_leaf(treedef) and tree.treedef_is_leaf(tree.structure(0))
    assert tree.leaves([None, 1], is_leaf=lambda v: v is None) == [None, 1]
    assert tree.unflatten(tree.structure([None, 0]), [5]) == [None, 5]


def test_dict_keys_are_sorted_and_kept_exactly():
    a, b, c = Obj(), Obj(), Obj()
    leaves, treedef = tree.flatten({"b": b, "c": c, "a": a})
    assert leaves == [a, b, c]
    assert treedef == tree.structure({"a": 0, "c": 0, "b": 0})
    assert list(tree.unflatten(treedef, [1, 2, 3])) == ["a", "b", "c"]
    assert repr(treedef) == "PyTreeDef({'a': *, 'b': *, 'c': *})"
    assert tree.leaves({2: a, 1: b}) == [b, a]
    # the cached sort order is applied to each dict's own keys: True stays True
    tree.flatten({1: a, 0: b})
    keys = list(tree.unflatten(*reversed(tree.flatten({True: a, 0: b}))))
    assert [type(k) for k in keys] == [int, bool]
    # a big unsorted dict, twice (the second time hits the cached order)
    big = {f"w{i}": i for i in range(100)}
    for _ in range(2):
        leaves, treedef = tree.flatten(big)
        assert leaves == [big[k] for k in sorted(big)]
        assert tree.unflatten(treedef, leaves) == big


def test_ordered_and_default_dicts():
    od = collections.OrderedDict([("b", 1), ("a", 2)])
    assert tree.leaves(od) == [1, 2]
    assert tree.structure(od) != tree.structure(collections.OrderedDict([("a", 1), ("b", 2)]))
    assert tree.structure(od) != tree.structure({"b": 1, "a": 2})
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    assert tree.leaves(dd) == [2, 1]
    back = tree.unflatten(*reversed(tree.flatten(dd)))
    assert type(back) is collections.defaultdict and back.default_factory is list


def test_unsortable_dict_keys_raise():
    with pytest.raises(ValueError, match="cannot sort the dict keys.*OrderedDict"):
        tree.flatten({1: 0, "a": 0})


def test_namedtuples_are_nodes():
    p = P(1, (2, 3))
    leaves, treedef = tree.flatten(p)
    assert leaves == [1, 2, 3]
    assert repr(treedef) == "PyTreeDef(CustomNode(namedtuple[P], [*, (*, *)]))"
    assert treedef != tree.structure((1, (2, 3)))
    back = tree.unflatten(treedef, [4, 5, 6])
    assert type(back) is P and back == P(4, (5, 6))
    assert type(tree.map(lambda v: v, Pair(1, 2))) is Pair


def test_containers_are_distinguished():
    structures = [
        (0, 0),
        [0, 0],
        P(0, 0),
        {"x": 0, "y": 0},
        {"x": 0, "z": 0},
        (0, None),
        (0, (0,)),
        Box([0, 0], "m"),
        Box([0, 0], "n"),
        collections.OrderedDict(x=0, y=0),
    ]
    defs = [tree.structure(s) for s in structures]
    for i, a in enumerate(defs):
        for j, b in enumerate(defs):
            assert (a == b) == (i == j), (structures[i], structures[j])


def test_registered_classes():
    t = Box([1, {"a": 2}], meta="m")
    leaves, treedef = tree.flatten(t)
    assert leaves == [1, 2]
    assert repr(treedef) == "PyTreeDef(CustomNode(Box[m], [*, {'a': *}]))"
    assert treedef.node_data() == (Box, "m")
    back = tree.unflatten(treedef, [3, 4])
    assert type(back) is Box and back.meta == "m" and back.children == (3, {"a": 4})

    p = Params(w=np.ones(2), b=np.zeros(2), name="layer")
    leaves, treedef = tree.flatten(p)
    assert leaves == [p.w, p.b]
    assert treedef != tree.structure(Params(1, 2, name="other"))
    back = tree.unflatten(treedef, [1, 2])
    assert back == Params(1, 2, "layer")


def test_register_pytree_node_function_and_errors():
    class Pt:
        def __init__(self, x, y):
            self.x, self.y = x, y

    calls = []

    def unflatten(aux, children):
        calls.append(type(children))
        return Pt(*children)

    assert tree.leaves(Pt(1, 2))[0].__class__ is Pt  # a leaf until registered
    tree.register_pytree_node(Pt, lambda p: ([p.x, p.y], None), unflatten)
    assert tree.leaves(Pt(1, 2)) == [1, 2]
    assert tree.map(lambda v: v * 10, Pt(1, 2)).y == 20
    assert calls == [tuple]  # children arrive as a tuple, as in JAX
    with pytest.raises(ValueError, match="already a pytree node"):
        tree.register_pytree_node(Pt, lambda p: ([], None), unflatten)
    with pytest.raises(ValueError, match="already a pytree node"):
        tree.register_pytree_node(dict, lambda p: ([], None), unflatten)
    with pytest.raises(TypeError, match="pass both data_fields and meta_fields"):
        tree.register_dataclass(Pt)


def test_unflatten_wrong_number_of_leaves():
    treedef = tree.structure((0, {"a": 0}))
    with pytest.raises(ValueError, match=r"\(\*, \{'a': \*\}\)\) holds 2 leaves, got 1"):
        tree.unflatten(treedef, [1])
    with pytest.raises(ValueError, match="holds 2 leaves, got 3"):
        tree.unflatten(treedef, iter([1, 2, 3]))


def test_tree_util_aliases():
    assert tree.tree_flatten is tree.flatten and tree.tree_unflatten is tree.unflatten
    assert tree.tree_leaves is tree.leaves and tree.tree_structure is tree.structure
    assert tree.tree_map is tree.map and tree.tree_transpose is tree.transpose
    assert tree.tree_reduce is tree.reduce and tree.tree_all is tree.all


def test_repr_examples():
    assert repr(tree.structure((1, {"a": 2}))) == "PyTreeDef((*, {'a': *}))"
    assert repr(tree.structure((1,))) == "PyTreeDef((*,))"
    assert repr(tree.structure([[], (), {}])) == "PyTreeDef([[], (), {}])"
    assert repr(tree.structure(7)) == "PyTreeDef(*)"


def test_treedef_methods():
    treedef = tree.structure((0, [0, 0], None))
    assert treedef.children() == [
        tree.structure(0),
        tree.structure([0, 0]),
        tree.structure(None),
    ]
    assert treedef.num_nodes == 6 and treedef.num_leaves == 3
    assert tree.structure(0).children() == [] and tree.structure(0).node_data() is None
    inner = tree.structure({"a": 0, "b": 0})
    composed = tree.structure([0, 0]).compose(inner)
    assert composed == tree.structure([{"a": 0, "b": 0}, {"a": 0, "b": 0}])
    assert composed.num_leaves == 4
    assert treedef.flatten_up_to((1, [2, [3]], None)) == [1, 2, [3]]


# --- map, reduce, all ------------------------------------------------------------------


def test_map_over_several_trees_and_prefixes():
    x = {"a": 1, "b": (2, 3)}
    y = {"b": (20, 30), "a": 10}
    assert tree.map(lambda u, v: u + v, x, y) == {"a": 11, "b": (22, 33)}
    assert tree.map(lambda u, v, w: u + v + w, x, y, x) == {"a": 12, "b": (24, 36)}
    # rest trees may be finer than `tree`: f gets the whole subtree
    assert tree.map(lambda u, v: (u, v), (1, 2), ([3, 4], {"k": 5})) == ((1, [3, 4]), (2, {"k": 5}))
    assert tree.map(lambda v: v, [None, 1]) == [None, 1]
    assert tree.map(lambda v: v is None, [None, 1], is_leaf=lambda v: v is None) == [True, False]


def test_map_mismatch_names_both_structures():
    with pytest.raises(ValueError) as err:
        tree.map(lambda u, v: u, {"a": (1, {"c": 2})}, {"a": (1, {"d": 2})})
    msg = str(err.value)
    assert "rest[0]['a'][1]" in msg
    assert "PyTreeDef({'a': (*, {'c': *})})" in msg and "PyTreeDef({'a': (*, {'d': *})})" in msg
    with pytest.raises(ValueError, match=r"expected a tuple of length 2, got a list of length 2"):
        tree.map(lambda u, v: u, (1, 2), [1, 2])
    with pytest.raises(ValueError, match=r"rest\[1\]\[1\]: expected None, got a leaf of type int"):
        tree.map(lambda u, v, w: u, (1, None), (1, None), (1, 2))
    with pytest.raises(ValueError, match=r"rest\[0\].x: expected a tuple of length 1"):
        tree.map(lambda u, v: u, P((1,), 2), P((1, 2), 2))


def test_reduce_and_all():
    t = {"a": 1, "b": [2, 3, None]}
    assert tree.reduce(lambda acc, v: acc + v, t) == 6
    assert tree.reduce(lambda acc, v: acc + v, t, 10) == 16
    assert tree.reduce(lambda acc, v: acc + v, (), 0) == 0
    with pytest.raises(TypeError):
        tree.reduce(lambda acc, v: acc + v, ())
    assert tree.all(t) and not tree.all([1, 0]) and tree.all(None)


# --- transpose -------------------------------------------------------------------------


@given(trees, trees)
def test_transpose_twice_is_identity(outer_t, inner_t):
    outer, inner = tree.structure(outer_t), tree.structure(inner_t)
    t = tree.unflatten(outer, [_fresh(inner_t) for _ in range(outer.num_leaves)])
    swapped = tree.transpose(outer, inner, t)
    assert tree.structure(swapped) == inner.compose(outer)
    assert _same(tree.transpose(inner, outer, swapped), t)


def test_transpose_examples_and_errors():
    outer, inner = tree.structure([0, 0]), tree.structure((0, 0))
    assert tree.transpose(outer, inner, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    assert tree.transpose(outer, None, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    with pytest.raises(TypeError, match="expected PyTreeDef"):
        tree.transpose(outer, inner, [(1, 2), [3, 4]])


# --- broadcast_prefix ------------------------------------------------------------------


def test_broadcast_prefix_examples():
    x, y, z = np.ones(2), np.ones(3), np.ones(4)
    full = (x, {"a": y, "b": z})
    assert tree.broadcast_prefix(0, full) == [0, 0, 0]
    assert tree.broadcast_prefix(None, full) == [None, None, None]
    assert tree.broadcast_prefix((0, None), full) == [0, None, None]
    assert tree.broadcast_prefix((None, {"a": 1, "b": 0}), full) == [None, 1, 0]
    assert tree.broadcast_prefix((1, {"b": None, "a": 0}), full) == [1, 0, None]
    # is_leaf applies to the prefix; the result follows flatten(full_tree)
    assert tree.broadcast_prefix((0, None), (x, None), is_leaf=lambda v: v is None) == [0]
    assert tree.broadcast_prefix([(0, 1)], [x], is_leaf=lambda v: isinstance(v, tuple)) == [(0, 1)]
    assert tree.broadcast_prefix((0, 1), (x, None)) == [0]


def test_broadcast_prefix_mismatch():
    with pytest.raises(ValueError, match=r"tree\[1\]: expected a dict with keys \['a'\]"):
        tree.broadcast_prefix((0, {"a": 1}), (1, [2]))
    with pytest.raises(ValueError, match=r"expected a tuple of length 2, got a tuple of length 3"):
        tree.broadcast_prefix((0, 1), (1, 2, 3))
    with pytest.raises(ValueError, match=r"prefix: PyTreeDef\(\(\*, \*\)\)"):
        tree.broadcast_prefix((0, None), [1, 2])


@given(trees, st.integers(0, 2**32 - 1))
def test_broadcast_prefix_law(t, bits):
    """Each prefix leaf is repeated once per leaf of the full subtree below it."""
    calls = iter(range(10**6))
    marks = []  # (prefix leaf, number of leaves of t below it), in leaf order

    def cut(sub):  # cut t at random subtrees
        return (bits >> (next(calls) % 32)) & 1 == 1

    def mark(sub):  # an int, or None (a leaf in a prefix) every third cut
        m = None if len(marks) % 3 == 2 else len(marks)
        marks.append((m, len(tree.leaves(sub))))
        return m

    prefix = tree.map(mark, t, is_leaf=cut)
    expected = [m for m, n in marks for _ in range(n)]
    assert tree.broadcast_prefix(prefix, t) == expected
    assert len(expected) == len(tree.leaves(t))


# --- agreement with jax.tree_util ------------------------------------------------------


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.tree_util.register_pytree_node(Box, lambda b: (b.children, b.meta), lambda m, c: Box(c, m))
    jax.tree_util.register_dataclass(Params)
    return jax


def _is_none(v):
    return v is None


def _is_array_or_p(v):
    return isinstance(v, (np.ndarray, P))


@settings(max_examples=200)
@given(t=trees)
def test_flatten_agrees_with_jax(jax, t):
    jtu = jax.tree_util
    leaves, treedef = tree.flatten(t)
    jleaves, jdef = jtu.tree_flatten(t)
    assert len(leaves) == len(jleaves) and all(a is b for a, b in zip(leaves, jleaves, strict=True))
    assert repr(treedef) == repr(jdef)
    assert (treedef.num_leaves, treedef.num_nodes) == (jdef.num_leaves, jdef.num_nodes)
    assert tree.treedef_is_leaf(treedef) == jtu.treedef_is_leaf(jdef)
    assert _same(tree.unflatten(treedef, leaves), jtu.tree_unflatten(jdef, leaves))
    for is_leaf in (_is_none, _is_array_or_p):
        ours, theirs = tree.flatten(t, is_leaf), jtu.tree_flatten(t, is_leaf)
        assert all(a is b for a, b in zip(ours[0], theirs[0], strict=True))
        assert repr(ours[1]) == repr(theirs[1])


@given(t1=trees, t2=trees)
def test_treedef_equality_agrees_with_jax(jax, t1, t2):
    jtu = jax.tree_util
    for a, b in [(t1, t2), (t1, _fresh(t1))]:
        assert (tree.structure(a) == tree.structure(b)) == (
            jtu.tree_structure(a) == jtu.tree_structure(b)
        )


@given(t=trees)
def test_map_agrees_with_jax(jax, t):
    fine = tree.map(lambda _: (Obj(), [Obj()]), t)  # has t as a prefix
    fresh = _fresh(t)
    ours = tree.map(lambda *xs: xs, t, fresh, fine)
    assert _same(ours, jax.tree.map(lambda *xs: xs, t, fresh, fine))


@given(t=trees)
def test_transpose_agrees_with_jax(jax, t):
    x = [_fresh(t) for _ in range(3)]
    ours = tree.transpose(tree.structure([0, 0, 0]), tree.structure(t), x)
    theirs = jax.tree.transpose(jax.tree.structure([0, 0, 0]), jax.tree.structure(t), x)
    assert _same(ours, theirs)
