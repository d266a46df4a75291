/**
 * tfjax's pytrees against jax.tree_util (tests/tree_util_test.py) and Equinox's filters
 * (tests/test_filters.py, test_tree.py): tree.map's first tree rules (others may hold whole
 * subtrees where it has leaves), reduce without an initial value, all, transpose,
 * flattenWithPath, flattenUpTo, isArray / isInexactArray(-like), treeAt's argument checks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, np, tree, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';

await useTestBackend();
const T = suite('tree: jax.tree_util and Equinox semantics');

T('map: the first tree rules; the others may hold subtrees (or null) where it has leaves (testTreeMap)', () => {
  const x = [[1, 2], [3, 4, 5]];
  const y = [[[3], null], [{ foo: 'bar' }, 7, [5, 6]]];
  assert.equal(tree.map((...xs: unknown[]) => xs, x, y), [[[1, [3]], [2, null]], [[3, { foo: 'bar' }], [4, 7], [5, [5, 6]]]]);
  assert.equal(tree.map((a: number, b: unknown) => [a, b], 1, [1]), [1, [1]]);
  assert.equal(tree.mapWithPath((p: string, a: number, b: unknown) => `${p}:${a}:${JSON.stringify(b)}`, { a: 1 }, { a: { a: 7 } }), { a: '.a:1:{"a":7}' });
  // The other way round is an error naming the path.
  assert.match(errorOf(() => tree.map((a: unknown, b: unknown) => [a, b], y, x)), /^tree\.map: trees have different structures at \[0\]\[0\]: an array of length 1 vs a leaf$/);
  assert.match(errorOf(() => tree.map((a: number) => a, { a: 1 }, { a: 7, b: 8 })), /at the root: an object with keys \[a\] vs an object with keys \[a, b\]$/);
  assert.match(errorOf(() => tree.map((a: number) => a, [null, 1], [[2], 1])), /at \[0\]: null vs an array of length 1$/);
});

T('flattenUpTo: the subtrees at a structure\'s leaves (testFlattenUpTo)', () => {
  const cases: [unknown, unknown, unknown[]][] = [
    [[[1, 2], null, [3, 7]], [[{ foo: 7 }, [3, 4]], null, [[11, 9], null]], [{ foo: 7 }, [3, 4], [11, 9], null]],
    [[1], [{ a: 7 }], [{ a: 7 }]],
    [{ a: 1, b: [2, 3] }, { a: [7], b: [[8], [9]] }, [[7], [8], [9]]],
    [null, null, []],
  ];
  for (const [t, xs, expected] of cases) assert.equal(tree.flattenUpTo(tree.structure(t), xs), expected);
  assert.match(errorOf(() => tree.flattenUpTo(tree.structure([1, 2]), [7])), /at the root: an array of length 2 vs an array of length 1/);
  assert.match(errorOf(() => tree.flattenUpTo(tree.structure({ a: [1] }), { a: 7 })), /at \.a: an array of length 1 vs a leaf/);
});

T('reduce: the initial value is optional, as jax.tree.reduce', () => {
  assert.is(tree.reduce((a: number, b: number) => a + b, [1, [2, { c: 3 }]]), 6);
  assert.is(tree.reduce((a: number, b: number) => a + b, [1, [2, 3]], 10), 16);
  assert.is(tree.reduce((a: string, b: string) => a + b, { b: 'y', a: 'x' }), 'xy');
  assert.is(tree.reduce((a: number, b: number) => a + b, [], 0), 0);
  assert.match(errorOf(() => tree.reduce((a: number, b: number) => a + b, [null, []])), /^tree\.reduce: the tree has no leaves and no initial value was given$/);
});

T('all: every leaf truthy (jax.tree.all); arrays by their one value', () => {
  tf.tidy(() => {
    assert.is(tree.all([true, { a: 1, b: [2] }]), true);
    assert.is(tree.all([true, { a: 0 }]), false);
    assert.is(tree.all([]), true);
    assert.is(tree.all({ a: np.array(true), b: np.array([1]) }), true);
    assert.is(tree.all({ a: np.array(false) }), false);
    assert.match(errorOf(() => tree.all([np.array([1, 1])])), /^tree\.all: the truth value of an array of 2 elements is ambiguous$/);
  });
});

T('transpose: outer and inner structures swapped (testTranspose)', () => {
  const t = { b: [1, null], a: 3 };
  const outer = tree.structure(t);
  const nested = tree.map((v: number) => [v, { p: v, q: v * 10 }], t);
  assert.equal(tree.transpose(outer, tree.structure([0, { p: 0, q: 0 }]), nested), [t, { p: t, q: { a: 30, b: [10, null] } }]);
  // The inner structure inferred from the first inner tree.
  assert.equal(tree.transpose(tree.structure([0, 0]), null, [{ a: 1, b: 2 }, { a: 3, b: 4 }]), { a: [1, 3], b: [2, 4] });
  // testTransposeMismatchOuter / Inner.
  const x = { a: [1, 2], b: [3, 4] };
  assert.match(errorOf(() => tree.transpose(tree.structure({ a: 1, b: 2, c: 3 }), tree.structure([1, 2]), x)), /^tree\.transpose: the tree and the outer structure have different structures at the root/);
  assert.match(errorOf(() => tree.transpose(tree.structure({ a: 1, b: 2 }), tree.structure([1, 2, 3]), x)), /^tree\.transpose: inner tree 0 does not have the inner structure/);
});

T('flattenWithPath: leaves with their paths, in the sorted-key order; unflatten round trip', () => {
  const d = { b: 2, a: 1, c: { b: 2, a: 1 } };
  const [withPath, def] = tree.flattenWithPath(d);
  assert.equal(withPath, [['.a', 1], ['.b', 2], ['.c.a', 1], ['.c.b', 2]]);
  assert.equal(Object.keys(tree.unflatten(def, withPath.map(([, l]) => l)) as object), ['a', 'b', 'c']);
  assert.equal(tree.flattenWithPath([1, { a: 2, b: null }, []])[0], [['[0]', 1], ['[1].a', 2]]);
});

T('isArray, isInexactArray, isArrayLike, isInexactArrayLike (eqx.is_array ... test_filters)', () => {
  tf.tidy(() => {
    const objs: unknown[] = [1, 2.5, [2.0], true, {}, np.array([1], 'int32'), np.array(1.0), new Float32Array([1]), new Int32Array([1]), null];
    assert.equal(objs.map(tree.isArray), [false, false, false, false, false, true, true, false, false, false]);
    assert.equal(objs.map(tree.isInexactArray), [false, false, false, false, false, false, true, false, false, false]);
    assert.equal(objs.map(tree.isArrayLike), [true, true, false, true, false, true, true, true, true, false]);
    // An integral number is a weak int in tfjax (as Python's 1), a fractional one a weak float (2.5).
    assert.equal(objs.map(tree.isInexactArrayLike), [false, true, false, false, false, false, true, true, false, false]);
    // Traced arrays count too: the predicates work inside grad and vmap.
    const seen: boolean[] = [];
    grad((v: NdArray) => {
      seen.push(tree.isArray(v), tree.isInexactArray(v));
      return np.sum(v);
    })(np.ones([2]));
    vmap((v: NdArray) => {
      seen.push(tree.isInexactArray(v));
      return v;
    })(np.ones([2, 2]));
    assert.equal(seen, [true, true, true]);
    // The usual Equinox split: float arrays train, the rest is static.
    const [params, statics] = tree.partition({ w: np.ones([2]), steps: np.array([3], 'int32'), lr: 0.1, name: 'm' }, tree.isInexactArray);
    assert.equal(tree.leaves(params).length, 1);
    assert.equal(tree.leaves(statics).length, 3);
  });
});

T('treeAt: replace and replaceFn exclusive, one of them required (eqx.tree_at)', () => {
  const t = [1, 2, 3, { a: 4 }];
  assert.equal(tree.treeAt((p) => [p[0], p[1]], t, { replaceFn: (x: number) => x * 10 }), [10, 20, 3, { a: 4 }]);
  assert.equal(tree.treeAt((p) => p[0], t, { replace: undefined }), [undefined, 2, 3, { a: 4 }]);
  assert.match(errorOf(() => tree.treeAt((p) => [p[0], p[1]], t, { replace: [0, 1], replaceFn: (x: number) => x })), /^tree\.treeAt: give either replace or replaceFn, not both$/);
  assert.match(errorOf(() => tree.treeAt((p) => p[0], t, {})), /^tree\.treeAt: give replace or replaceFn$/);
  assert.match(errorOf(() => tree.treeAt((p) => [p[0], p[1]], t, { replace: [3, 4, 5] })), /picked 2 nodes/);
});

T.run();
