"""Key paths and the rest of jax.tree_util (tracejit/_tree_paths.py): flattening with paths
walks a tree as tree.flatten does, paths name the leaves as JAX names them, and Partial,
register_static and register_pytree_with_keys work with the transforms."""

import collections
import dataclasses
import functools

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import jax_x64
from tracejit import tree

Point = collections.namedtuple("Point", "x y")


@dataclasses.dataclass
class Params:
    w: object
    b: object
    name: str = tree.static(default="layer")


tree.register_dataclass(Params)


class Box:
    """A registered node without keys: its children are named by flat index."""

    def __init__(self, a, b):
        self.a, self.b = a, b


tree.register_pytree_node(Box, lambda x: ((x.a, x.b), None), lambda _, ch: Box(*ch))


@tree.register_pytree_with_keys_class
class Special:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def tree_flatten_with_keys(self):
        return ((tree.GetAttrKey("x"), self.x), (tree.GetAttrKey("y"), self.y)), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


TREES = [
    1.0,
    None,
    (),
    [1, (2, 3)],
    {"b": [1, 2], "a": {"c": 3, "d": None}},
    Point(1, [2, 3]),
    collections.OrderedDict([("z", 1), ("y", (2,))]),
    collections.defaultdict(list, {"q": 1, "p": [2]}),
    {"nested": [Point(1, 2), {"k": (3, None, 4)}], "empty": {}},
]


def _paths(t):
    return [tree.keystr(p) for p, _ in tree.leaves_with_path(t)]


# ---------------------------------------------------------------------------
# always on


@pytest.mark.parametrize("t", TREES, ids=range(len(TREES)))
def test_flatten_with_path_is_flatten(t):
    pairs, treedef = tree.flatten_with_path(t)
    leaves, want = tree.flatten(t)
    assert treedef == want and hash(treedef) == hash(want)
    assert [x for _, x in pairs] == leaves
    assert tree.unflatten(treedef, leaves) == t or t is None


def test_keys_name_the_leaves():
    t = {"b": [1, Point(2, 3)], "a": collections.OrderedDict([("z", 4), ("y", 5)])}
    assert _paths(t) == ["['a']['z']", "['a']['y']", "['b'][0]", "['b'][1].x", "['b'][1].y"]
    path = tree.leaves_with_path(t)[3][0]
    assert path == (tree.DictKey("b"), tree.SequenceKey(1), tree.GetAttrKey("x"))
    assert tree.keystr(path, simple=True, separator="/") == "b/1/x"
    p = Params(np.ones(2), np.zeros(1))
    assert _paths(p) == [".w", ".b"]
    assert _paths(Box(1, 2)) == ["[<flat index 0>]", "[<flat index 1>]"]
    assert _paths(Special(1, [2])) == [".x", ".y[0]"]
    assert repr(tree.SequenceKey(0)) == "SequenceKey(idx=0)" and tree.SequenceKey(0) != 0
    assert len({tree.DictKey("a"), tree.DictKey("a"), tree.GetAttrKey("a")}) == 2
    assert hash(tree.FlattenedIndexKey(1)) != hash(tree.SequenceKey(1))


def test_map_with_path_and_is_leaf():
    t = {"a": 1, "b": [2, 3]}
    out = tree.map_with_path(lambda p, x, y: (tree.keystr(p), x + y), t, {"a": 10, "b": [20, 30]})
    assert out == {"a": ("['a']", 11), "b": [("['b'][0]", 22), ("['b'][1]", 33)]}
    # further arguments may be deeper: the first tree is a prefix of them, as in tree.map
    out = tree.map_with_path(lambda p, x, sub: (x, sub), {"a": 1, "b": 2}, t)
    assert out == {"a": (1, 1), "b": (2, [2, 3])}
    pairs = tree.leaves_with_path(t, is_leaf=lambda x: isinstance(x, list))
    assert [(tree.keystr(p), x) for p, x in pairs] == [("['a']", 1), ("['b']", [2, 3])]
    by_path = tree.leaves_with_path(t, lambda p, x: len(p) == 1, is_leaf_takes_path=True)
    assert [x for _, x in by_path] == [1, [2, 3]]
    assert tree.tree_map_with_path is tree.map_with_path
    assert tree.tree_flatten_with_path is tree.flatten_with_path


def test_one_level_treedefs_and_nodes():
    assert tree.flatten_one_level({"a": [1, 2], "b": {"c": 3}}) == (([1, 2], {"c": 3}), ("a", "b"))
    assert tree.flatten_one_level((1, 2)) == ((1, 2), None)
    assert tree.flatten_one_level([1, (2,)]) == ([1, (2,)], None)
    assert tree.flatten_one_level(Point(1, [2])) == ([1, [2]], Point)
    assert tree.flatten_one_level_with_keys([5]) == (((tree.SequenceKey(0), 5),), None)
    with pytest.raises(ValueError, match="can't tree-flatten"):
        tree.flatten_one_level(1.0)
    x, y = [1, 2], {"a": 3}
    both = tree.treedef_tuple([tree.structure(x), tree.structure(y)])
    assert both == tree.structure((x, y))
    assert tree.treedef_children(both) == [tree.structure(x), tree.structure(y)]
    assert tree.is_tree_node(dict) and tree.is_tree_node(Point) and tree.is_tree_node(type(None))
    assert not tree.is_tree_node(int) and not tree.is_tree_node(np.ndarray)


def test_broadcast_and_reduce_associative():
    assert tree.broadcast((1, 2), ((3, 4), {"a": 5, "b": 6})) == ((1, 1), {"a": 2, "b": 2})
    with pytest.raises(ValueError, match="pytree structure error"):
        tree.broadcast((1, 2, 3), ((3, 4), 5))
    seen = []

    def add(a, b):
        seen.append((a, b))
        return a + b

    assert tree.reduce_associative(add, [1, 2, 3, 4, 5]) == 15
    assert seen[0] == (1, 2)  # balanced: the halves [1, 2] and [3, 4, 5]
    assert tree.reduce_associative(add, [], identity=0) == 0
    with pytest.raises(TypeError, match="identity"):
        tree.reduce_associative(add, [])


def test_partial_is_a_pytree():
    add_one = tree.Partial(tnp.add, 1.0)
    assert add_one(2.0) == 3.0
    leaves, treedef = tree.flatten(add_one)
    assert leaves == [1.0]
    assert tree.unflatten(treedef, [5.0])(1.0) == 6.0
    call = tj.jit(lambda f, x: f(x))
    assert call(add_one, np.float64(2.0)) == 3.0
    g = tj.grad(lambda f, x: f(x) ** 2)(tree.Partial(tnp.multiply, 3.0), 2.0)
    assert isinstance(g, tree.Partial) and g.args[0] == 24.0  # d(3x)^2/d3 = 2 (3x) x
    # an inner functools.partial stays one static function: its arguments are not children
    nested = tree.Partial(functools.partial(tnp.add, 1.0), 2.0)
    assert tree.leaves(nested) == [2.0] and nested() == 3.0
    p = tree.Partial(max, 1, key=abs)
    assert tree.leaves(p) == [1, abs]


def test_register_static_and_static_fields():
    @tree.register_static
    @dataclasses.dataclass(frozen=True)
    class Mode:
        op: str

    assert tree.leaves([Mode("add"), 1.0]) == [1.0]

    @tj.jit
    def f(x, mode):
        return x + 1 if mode.op == "add" else x - 1

    assert f(np.float64(1.0), Mode("add")) == 2.0
    assert f(np.float64(1.0), Mode("sub")) == 0.0
    p = Params(np.ones(2), np.zeros(1), "dense")
    leaves, treedef = tree.flatten(p)
    assert len(leaves) == 2 and "dense" in repr(treedef)


def test_register_pytree_with_keys_derives_flatten():
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

    tree.register_pytree_with_keys(
        Pair,
        lambda p: (((tree.GetAttrKey("a"), p.a), (tree.GetAttrKey("b"), p.b)), None),
        lambda _, ch: Pair(*ch),
    )
    assert tree.leaves(Pair(1, [2])) == [1, 2]
    assert _paths(Pair(1, [2])) == [".a", ".b[0]"]
    out = tj.grad(lambda p: p.a * p.b)(Pair(2.0, 3.0))
    assert (out.a, out.b) == (3.0, 2.0)


# ---------------------------------------------------------------------------
# jax.tree_util as the oracle


@pytest.mark.parametrize("t", TREES, ids=range(len(TREES)))
def test_paths_and_treedefs_equal_jax(t):
    jax, _ = jax_x64()
    tu = jax.tree_util
    mine, mine_def = tree.flatten_with_path(t)
    theirs, their_def = tu.tree_flatten_with_path(t)
    assert repr(mine_def) == repr(their_def)
    assert [(repr(p), x) for p, x in mine] == [(repr(p), x) for p, x in theirs]
    assert [tree.keystr(p) for p, _ in mine] == [tu.keystr(p) for p, _ in theirs]
    simple = [tree.keystr(p, simple=True, separator="/") for p, _ in mine]
    assert simple == [tu.keystr(p, simple=True, separator="/") for p, _ in theirs]


def test_registered_classes_equal_jax():
    jax, _ = jax_x64()
    tu = jax.tree_util

    @dataclasses.dataclass
    class P2:
        w: object
        b: object
        name: str = tree.static(default="layer")

    tree.register_dataclass(P2)
    tu.register_dataclass(P2)

    class B2:
        def __init__(self, a, b):
            self.a, self.b = a, b

    flat, unflat = (lambda x: ((x.a, x.b), None)), (lambda _, ch: B2(*ch))
    tree.register_pytree_node(B2, flat, unflat)
    tu.register_pytree_node(B2, flat, unflat)
    for t in ([P2(1.0, [2.0]), B2(3.0, {"k": 4.0})], tree.Partial(max, 1, key=abs)):
        m = [(tree.keystr(p), x) for p, x in tree.leaves_with_path(t)]
        theirs = t if not isinstance(t, tree.Partial) else tu.Partial(max, 1, key=abs)
        assert m == [(tu.keystr(p), x) for p, x in tu.tree_leaves_with_path(theirs)]
    t = ((3, 4), {"a": 5, "b": [6, 7]})
    assert tree.broadcast((1, {"a": 2, "b": 3}), t) == tu.tree_broadcast((1, {"a": 2, "b": 3}), t)
    for x in ({"a": [1, 2], "b": {"c": 3}}, [1, (2,)], (1,), Point(1, 2), None, P2(1.0, 2.0)):
        assert tree.flatten_one_level(x) == tu.flatten_one_level(x), x
        if not isinstance(x, Point):  # JAX names both children of a namedtuple by its first field
            mine, theirs = tree.flatten_one_level_with_keys(x), tu.flatten_one_level_with_keys(x)
            assert repr(mine) == repr(theirs)
    for typ in (dict, list, Point, int, float, type(None), P2, B2):
        assert tree.is_tree_node(typ) == tu.is_tree_node(typ), typ
