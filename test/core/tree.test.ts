/**
 * Pytrees (lib/tree): flatten / unflatten / map / leaves / structure over plain objects,
 * arrays and tuples; the documented key order (object keys sorted by code unit, arrays in
 * index order); errors that name the path where two structures differ.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { tree } from '../../lib/index.js';
import { useCoreTestBackend } from './setup.js';
import { errorOf } from '../helpers/assert.js';

const backend = await useCoreTestBackend();
// Failing properties report the underlying error (uvu prints only the message).
fc.configureGlobal({ includeErrorInReport: true });

/** The message of the error fn throws (fails when it does not throw). */

// ---------------------------------------------------------------- flatten / unflatten

const Flatten = suite(`tree: flatten and unflatten [${backend}]`);

Flatten('object keys are visited in sorted order, arrays in index order', () => {
  const [leaves, def] = tree.flatten({ b: [1, 2], a: 3, c: { z: 4, y: [5, [6]] } });
  assert.equal(leaves, [3, 1, 2, 5, 6, 4]);
  assert.equal(tree.unflatten(def, leaves), { a: 3, b: [1, 2], c: { y: [5, [6]], z: 4 } });
});

Flatten('the documented example', () => {
  assert.equal(tree.flatten({ b: [1, 2], a: 3 })[0], [3, 1, 2]);
});

Flatten('sorted means code-unit order: uppercase before lowercase, "10" before "2"', () => {
  // Object.keys would give integer-like keys in numeric order and the rest by insertion.
  const t = { b: 1, B: 2, a: 3, '2': 4, '10': 5, _: 6 };
  assert.equal(tree.leaves(t), [5, 4, 2, 6, 3, 1]); // '10' '2' 'B' '_' 'a' 'b'
  assert.equal(tree.paths(t), ['.10', '.2', '.B', '._', '.a', '.b']);
});

Flatten('insertion order does not change leaves or structure', () => {
  const x = { w: 1, b: 2, nested: { q: 3, p: 4 } };
  const y = { nested: { p: 4, q: 3 }, b: 2, w: 1 };
  assert.equal(tree.leaves(x), tree.leaves(y));
  assert.equal(tree.structureKey(tree.structure(x)), tree.structureKey(tree.structure(y)));
  assert.is(tree.firstMismatch(tree.structure(x), tree.structure(y)), null);
});

Flatten('tuples and nested arrays keep their positions', () => {
  const t: [number, [number, number], { k: number }] = [1, [2, 3], { k: 4 }];
  const [leaves, def] = tree.flatten(t);
  assert.equal(leaves, [1, 2, 3, 4]);
  assert.equal(tree.unflatten(def, ['a', 'b', 'c', 'd']), ['a', ['b', 'c'], { k: 'd' }]);
  assert.is(tree.numLeaves(def), 4);
});

Flatten('null and undefined are empty subtrees, kept by unflatten', () => {
  const t = { a: null, b: [undefined, 1], c: {} , d: [] };
  const [leaves, def] = tree.flatten(t);
  assert.equal(leaves, [1]);
  const back = tree.unflatten<typeof t>(def, [7]);
  assert.equal(back, { a: null, b: [undefined, 7], c: {}, d: [] });
  assert.ok('a' in back && back.a === null);
  assert.is(tree.structureKey(def), '{"a":null,"b":[undef,*],"c":{},"d":[]}');
});

Flatten('tensors, class instances and strings are leaves; Object.create(null) is a node', () => {
  const t = tf.tensor([1, 2]);
  const date = new Date(0);
  const bare = Object.create(null) as Record<string, unknown>;
  bare.y = 'leaf';
  bare.x = t;
  const [leaves] = tree.flatten({ t, date, bare, s: 'str' });
  // keys: bare (x, y), date, s, t
  assert.equal(leaves.length, 5);
  assert.is(leaves[0], t); // bare.x
  assert.is(leaves[1], 'leaf'); // bare.y
  assert.is(leaves[2], date);
  assert.is(leaves[3], 'str');
  assert.is(leaves[4], t);
  assert.is(tree.leaves({ t })[0], t);
  t.dispose();
});

Flatten('isLeaf stops the descent', () => {
  const isPair = (x: unknown) => Array.isArray(x) && x.length === 2 && x.every((v) => typeof v === 'number');
  const [leaves, def] = tree.flatten({ a: [1, 2], b: [[3, 4], 5] }, isPair);
  assert.equal(leaves, [[1, 2], [3, 4], 5]);
  assert.equal(tree.unflatten(def, ['x', 'y', 'z']), { a: 'x', b: ['y', 'z'] });
});

Flatten('unflatten with the wrong number of leaves says how many it needs', () => {
  const def = tree.structure({ a: 1, b: [2, 3] });
  assert.match(errorOf(() => tree.unflatten(def, [1, 2])), /needs 3 leaves, got 2/);
  assert.match(errorOf(() => tree.unflatten(def, [1, 2, 3, 4])), /needs 3 leaves, got 4/);
});

Flatten('leaves and structure agree with flatten', () => {
  const t = { z: [1, { y: 2 }], a: [[3]] };
  const [leaves, def] = tree.flatten(t);
  assert.equal(tree.leaves(t), leaves);
  assert.equal(tree.structure(t), def);
});

// Random trees: nested plain objects and arrays with number / string / null leaves.
const keyArb = fc.constantFrom('a', 'b', 'B', 'c', 'w', 'x', '_', '0', '1', '10', '2', 'params', 'mu');
const { node: treeArb } = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -100, max: 100 }),
    fc.constantFrom('s', 't'),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(keyArb, tie('node'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

/** The same tree with every object's keys inserted in reverse sorted order. */
function reinsert(t: unknown): unknown {
  if (Array.isArray(t)) return t.map(reinsert);
  if (t !== null && typeof t === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(t).sort().reverse()) out[k] = reinsert((t as Record<string, unknown>)[k]);
    return out;
  }
  return t;
}

Flatten('property: unflatten(flatten(t)) = t, and the order ignores insertion order', () => {
  fc.assert(
    fc.property(treeArb, (t) => {
      const [leaves, def] = tree.flatten(t);
      assert.equal(tree.unflatten(def, leaves), t);
      assert.is(leaves.length, tree.numLeaves(def));
      assert.is(tree.paths(t).length, leaves.length);
      const [l2, d2] = tree.flatten(reinsert(t));
      assert.equal(l2, leaves);
      assert.is(tree.structureKey(d2), tree.structureKey(def));
    }),
    { numRuns: 200 },
  );
});

Flatten.run();

// ---------------------------------------------------------------- map

const Map_ = suite(`tree: map [${backend}]`);

Map_('maps leaf-wise over one tree', () => {
  assert.equal(tree.map((x: number) => x * 2, { b: [1, 2], a: 3 }), { a: 6, b: [2, 4] });
});

Map_('maps over several trees of the same structure (the documented example)', () => {
  assert.equal(tree.map((x: number, y: number) => x + y, { a: 1, b: [2] }, { a: 10, b: [20] }), { a: 11, b: [22] });
  assert.equal(tree.map((x: number, y: number, z: number) => x + y + z, [1, [2]], [10, [20]], [100, [200]]), [111, [222]]);
});

Map_('the second tree may list its keys in another order', () => {
  assert.equal(tree.map((x: number, y: number) => x - y, { a: 5, b: 7 }, { b: 1, a: 2 }), { a: 3, b: 6 });
});

Map_('maps over tensors', async () => {
  const t = { w: tf.tensor([1, 2]), b: tf.tensor([3]) };
  const out = tree.map((x: tf.Tensor) => tf.mul(x, 2), t) as { w: tf.Tensor; b: tf.Tensor };
  assert.equal(Array.from(await out.w.data()), [2, 4]);
  assert.equal(Array.from(await out.b.data()), [6]);
  tf.dispose([t.w, t.b, out.w, out.b]);
});

Map_('mismatched structures: the error names the path and both sides', () => {
  const m1 = errorOf(() => tree.map((x: number, y: number) => x + y, { a: { b: [1, 2] } }, { a: { b: [1] } }));
  assert.match(m1, /at \.a\.b/);
  assert.match(m1, /an array of length 2 vs an array of length 1/);
  const m2 = errorOf(() => tree.map((x: number, y: number) => x + y, { p: [{ w: 1, b: 2 }] }, { p: [{ w: 1, c: 2 }] }));
  assert.match(m2, /at \.p\[0\]/);
  assert.match(m2, /keys \[b, w\] vs .*keys \[c, w\]/);
  const m3 = errorOf(() => tree.map((x: number, y: number) => x + y, [1, [2]], [1, 2]));
  assert.match(m3, /at \[1\]: an array of length 1 vs a leaf/);
  // (The first tree rules, as in jax.tree.map: map(f, 1, [1]) is f(1, [1]); the reverse is an error.)
  const m4 = errorOf(() => tree.map((x: number, y: number) => x + y, [1], 1));
  assert.match(m4, /at the root/);
});

Map_('property: leaves(map(f, t)) = leaves(t).map(f), structure kept', () => {
  fc.assert(
    fc.property(treeArb, (t) => {
      const f = (x: unknown) => (typeof x === 'number' ? x + 1 : `${String(x)}!`);
      const mapped = tree.map(f, t);
      assert.equal(tree.leaves(mapped), tree.leaves(t).map(f));
      assert.is(tree.structureKey(tree.structure(mapped)), tree.structureKey(tree.structure(t)));
    }),
    { numRuns: 200 },
  );
});



// ---------------------------------------------------------------- structure, paths, prefixes

Map_('mapWithPath passes each leaf its path, also beside empty subtrees; reduce folds the leaves in order', () => {
  const t = { b: [1, { c: 2 }], a: 3, e: null, d: [] };
  assert.equal(tree.mapWithPath((p: string, x: number, y: number) => `${p}=${x + y}`, t, { b: [10, { c: 20 }], a: 30, e: null, d: [] }), {
    a: '.a=33',
    b: ['.b[0]=11', { c: '.b[1].c=22' }],
    e: null,
    d: [],
  });
  assert.is(tree.mapWithPath((p: string) => p, 5), '.');
  assert.is(tree.reduce((acc: string, x: number) => `${acc}${x}`, t, '>'), '>312');
});

Map_.run();

const Structure = suite(`tree: structure, paths and prefixes [${backend}]`);

Structure('paths name every leaf in the documented order', () => {
  assert.equal(tree.paths({ params: { w: [1, 2], b: 3 }, step: 4 }), ['.params.b', '.params.w[0]', '.params.w[1]', '.step']);
  assert.equal(tree.paths(5), ['.']);
  assert.equal(tree.paths([[1], 2]), ['[0][0]', '[1]']);
});

Structure('firstMismatch is null for equal structures and names the first difference', () => {
  const s = (t: unknown) => tree.structure(t);
  assert.is(tree.firstMismatch(s({ a: [1, 2] }), s({ a: [3, 4] })), null);
  assert.match(tree.firstMismatch(s({ a: [1, { c: 2 }] }), s({ a: [1, { d: 2 }] }))!, /^at \.a\[1\]: an object with keys \[c\] vs an object with keys \[d\]$/);
  assert.match(tree.firstMismatch(s({ a: null }), s({ a: 1 }))!, /^at \.a: null vs a leaf$/);
  assert.match(errorOf(() => tree.assertSameStructure(s([1]), s([1, 2]), 'params')), /^params have different structures at the root/);
});

Structure('broadcastPrefix spreads a prefix over a tree and names the path on mismatch', () => {
  const isAxis = (x: unknown) => x === null || typeof x === 'number';
  assert.equal(tree.broadcastPrefix([0, null], [{ a: 1, b: [2, 3] }, 4], 'inAxes', isAxis), [0, 0, 0, null]);
  assert.equal(tree.broadcastPrefix([{ a: 1, b: 0 }], [{ b: [2, 3], a: 1 }], 'inAxes', isAxis), [1, 0, 0]);
  assert.match(errorOf(() => tree.broadcastPrefix([0, 0], [1, 2, 3], 'vmap: inAxes', isAxis)), /^vmap: inAxes at the root: got an array of length 2 where the value is an array of length 3$/);
  assert.match(errorOf(() => tree.broadcastPrefix([{ a: 0 }], [{ b: 1 }], 'vmap: inAxes', isAxis)), /at \[0\]: keys \[a\] do not match the value's keys \[b\]$/);
});

Structure.run();
