/**
 * tfjax's pytrees against jax.tree_util (tests/tree_util_test.py): keystr of a path tfjax
 * wrote as text with `simple` / `separator` (JAX's keystr of the key entries), the separator
 * of a non-simple keystr, treedef.num_nodes, treedef_children, treedef_is_leaf, all_leaves and
 * jax.tree.broadcast.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { np, tree } from '../../lib/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';

await useTestBackend();
const T = suite('tree: jax.tree_util semantics (session 13)');

T('keystr: a text path read back into its entries for simple / separator (keystr(path, simple=True, separator="/"))', () => {
  const p = tree.paths({ params: { dense: [{ kernel: 1, bias: 2 }] } });
  assert.equal(p, ['.params.dense[0].bias', '.params.dense[0].kernel']);
  assert.equal(p.map((s) => tree.keystr(s, { simple: true, separator: '/' })), ['params/dense/0/bias', 'params/dense/0/kernel']);
  assert.is(tree.keystr("['a'][0][<flat index 2>].b", { simple: true, separator: '/' }), 'a/0/2/b');
  assert.is(tree.keystr('.a[0]', { simple: true }), 'a0');
  assert.is(tree.keystr('.a[0]', { separator: '/' }), '.a/[0]');
  assert.is(tree.keystr('.a[0]'), '.a[0]'); // without options, as written
  assert.is(tree.keystr('.', { simple: true, separator: '/' }), ''); // a root leaf: the empty path, as JAX's keystr(())
  // JAX joins the entries' str with the separator when not simple too.
  assert.is(tree.keystr([new tree.GetAttrKey('a'), new tree.DictKey('k'), 0], { separator: '/' }), ".a/['k']/[0]");
  assert.is(tree.keystr([new tree.GetAttrKey('a'), new tree.DictKey('k'), 0], { simple: true, separator: '.' }), 'a.k.0');
  assert.match(errorOf(() => tree.keystr('a[0]', { simple: true })), /^tree\.keystr: cannot read the path 'a\[0\]' from position 0$/);
});

T('numNodes / treedefChildren / treedefIsLeaf (treedef.num_nodes, treedef_children, treedef_is_leaf)', () => {
  const nodes = (t: unknown) => tree.numNodes(tree.structure(t));
  assert.equal([nodes(5), nodes(null), nodes([]), nodes([1, [2]]), nodes({ a: 1, b: [2, null] }), nodes([[], {}])], [1, 1, 1, 4, 5, 3]);
  const def = tree.structure({ a: [1, 2], b: null, c: 3 });
  assert.equal(tree.numLeaves(def), 3);
  const kids = tree.treedefChildren(def);
  assert.equal(kids.map((k) => [tree.numLeaves(k), tree.numNodes(k)]), [[2, 3], [0, 1], [1, 1]]);
  assert.equal(tree.treedefChildren(tree.structure(7)), []);
  assert.equal([tree.structure(1), tree.structure(null), tree.structure([1]), tree.structure([])].map(tree.treedefIsLeaf), [true, true, false, true]);
});

T('allLeaves: every element a leaf (None is not); with isLeaf, flattening gives the list back', () => {
  tf.tidy(() => {
    assert.is(tree.allLeaves([1, 'a', np.ones([2]), true]), true);
    assert.is(tree.allLeaves([]), true);
    for (const t of [[1], { a: 1 }, null, [null], []]) assert.is(tree.allLeaves([t]), false, JSON.stringify(t));
    assert.is(tree.allLeaves([null, 1], { isLeaf: (x: unknown) => x === null }), true);
    assert.is(tree.allLeaves([[1], 2], (x: unknown) => Array.isArray(x) && x.length === 1), true);
    assert.is(tree.allLeaves(new Set([1, 2])), true); // any iterable
  });
});

T('broadcast: a prefix tree repeated over the full tree (jax.tree.broadcast)', () => {
  assert.equal(tree.broadcast([1, 2, 3], [0, { a: 0, b: 0 }, [0, 0]]), [1, { a: 2, b: 2 }, [3, 3]]);
  assert.equal(tree.broadcast(7, { x: { a: 1, b: 2 }, y: [3, null] }), { x: { a: 7, b: 7 }, y: [7, null] });
  assert.equal(tree.broadcast({ x: 10, y: 20 }, { x: { a: 1, b: 2 }, y: 3 }), { x: { a: 10, b: 10 }, y: 20 });
  assert.equal(tree.broadcast([null, 1], [null, [2, 3]]), [null, [1, 1]]);
  // isLeaf applies to the prefix: the pair [1, 2] is one prefix leaf.
  assert.equal(tree.broadcast([[1, 2]], [[5, 6]], (x: unknown) => Array.isArray(x) && x.length === 2 && x[0] === 1), [[[1, 2], [1, 2]]]);
  assert.match(errorOf(() => tree.broadcast({ x: 10 }, { x: { a: 1 }, y: 3 })), /^tree\.broadcast: the prefix and the full tree have different structures at the root: an object with keys \[x\] vs an object with keys \[x, y\]$/);
  assert.match(errorOf(() => tree.broadcast([1, 2], [1])), /at the root: an array of length 2 vs an array of length 1$/);
});

T.run();
