/**
 * Equinox's filtering on tfjax pytrees: partition / combine round trips, a frozen half closed
 * over while grad and an optimiser see only the trainable half, filter, and treeAt.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np, optim, tree } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();
const Filter = suite('tree.partition / combine / filter / treeAt');

const model = () => ({ backbone: { w: np.array([1, 2]), steps: 3 }, head: { w: np.array([0.5]), b: np.array([0.25]) }, name: 'm' });
const values = (x: unknown) => [...(x as tf.Tensor).dataSync()];

Filter('partition by a prefix spec; combine gives the tree back, leaf for leaf', () => {
  tf.tidy(() => {
    const p = model();
    const [head, rest] = tree.partition(p, { backbone: false, head: true, name: false });
    assert.equal(tree.leaves(head).length, 2);
    assert.is(head.backbone.w, null);
    assert.is(rest.head.b, null);
    assert.is(rest.name, 'm');
    const back = tree.combine(head, rest);
    assert.equal(tree.paths(back), tree.paths(p));
    tree.leaves(back).forEach((l, i) => assert.is(l, tree.leaves(p)[i]));
  });
});

Filter('partition by a predicate: arrays train, numbers and strings stay static', () => {
  tf.tidy(() => {
    const [arrays, statics] = tree.partition(model(), (x: unknown) => x instanceof tf.Tensor);
    assert.equal(tree.leaves(arrays).length, 3);
    assert.equal(tree.leaves(statics), [3, 'm']);
  });
});

Filter('a spec made by tree.map over a tree with null holes: null in the spec matches the hole', () => {
  tf.tidy(() => {
    // As eqx.partition: None in the filter spec is an empty subtree, matching the tree's None
    // (tree.map keeps the holes, so a full spec built from the tree has them too).
    const p = { w: np.array([1, 2]), b: null, layers: [{ w: np.array([3]), b: undefined }] };
    const spec = tree.map(() => true, p);
    const [trainable, rest] = tree.partition(p, spec);
    assert.equal(tree.leaves(trainable).length, 2);
    assert.equal(tree.leaves(rest), []);
    assert.is(trainable.b, null);
    assert.equal(tree.leaves(tree.filter(p, tree.map(() => false, p))), []);
    // a null in the spec where the tree has leaves is still an error
    assert.match(errorOf(() => tree.partition(p, { w: null, b: null, layers: true })), /tree.partition: filter spec at .w: got null where the value is not an empty subtree/);
  });
});

Filter('grad and an optimiser over the trainable half only; the frozen half unchanged', () => {
  tf.tidy(() => {
    const p = model();
    const loss = (q: ReturnType<typeof model>) => np.sum(np.mul(np.sum(q.backbone.w), np.add(q.head.w, q.head.b)));
    const [train, frozen] = tree.partition(p, { backbone: false, head: true, name: false });
    const g = grad((t: typeof train) => loss(tree.combine(t, frozen)))(train);
    assert.equal(values(g.head.w), [3]);
    assert.equal(values(g.head.b), [3]);
    assert.is(g.backbone.w, null);
    const opt = optim.sgd({ learningRate: 0.1 });
    const step = jit((t: typeof train, s: unknown) => {
      const [u, ns] = opt.update(grad((x: typeof train) => loss(tree.combine(x, frozen)))(t), s, t);
      return [optim.applyUpdates(t, u), ns];
    });
    const [next] = step(train, opt.init(train)) as [typeof train, unknown];
    allClose(values(next.head.w), [0.2]);
    const merged = tree.combine(next, frozen);
    assert.equal(values(merged.backbone.w), [1, 2]);
  });
});

Filter('filter keeps or drops, inverse flips, replace fills', () => {
  tf.tidy(() => {
    const p = model();
    const isArray = (x: unknown) => x instanceof tf.Tensor;
    assert.equal(tree.leaves(tree.filter(p, isArray)).length, 3);
    assert.equal(tree.leaves(tree.filter(p, isArray, { inverse: true })), [3, 'm']);
    assert.equal(tree.filter({ a: 1, b: 'x' }, (x: unknown) => typeof x === 'number', { replace: 0 }), { a: 1, b: 0 });
  });
});

Filter('treeAt replaces a leaf, a subtree, several nodes, or maps them', () => {
  tf.tidy(() => {
    const p = model();
    const q = tree.treeAt((m: typeof p) => m.head.w, p, { replace: np.array([9]) });
    assert.equal(values(q.head.w), [9]);
    assert.is(q.backbone.w, p.backbone.w);
    assert.equal(values(p.head.w), [0.5], 'the original is untouched');
    assert.equal(tree.treeAt((m: typeof p) => m.backbone, p, { replace: null }).backbone, null);
    const two = tree.treeAt((m: typeof p) => [m.head.w, m.backbone.steps], p, { replace: [np.array([7]), 4] });
    assert.equal([values(two.head.w), two.backbone.steps], [[7], 4]);
    const zeroed = tree.treeAt((m: typeof p) => [m.head.w, m.head.b], p, { replaceFn: (x: NdArray) => np.zerosLike(x) });
    assert.equal([values(zeroed.head.w), values(zeroed.head.b)], [[0], [0]]);
  });
});

Filter('errors say what is wrong', () => {
  tf.tidy(() => {
    const p = model();
    assert.match(errorOf(() => tree.partition(p, { head: true })), /tree.partition: filter spec at the root: keys \[head\] do not match/);
    assert.match(errorOf(() => tree.filter(p, () => 1)), /tree.filter: a filter function returned 1 for a leaf, not a boolean/);
    assert.match(errorOf(() => tree.combine({ a: 1 }, { a: 1, b: 2 })), /tree.combine: tree 1 does not have tree 0's structure/);
    assert.match(errorOf(() => tree.treeAt(() => 5, p, { replace: 1 })), /tree.treeAt: `where` must return nodes of the tree/);
    assert.match(errorOf(() => tree.treeAt((m: typeof p) => [m.head.w, m.head.b], p, { replace: 1 })), /picked 2 nodes; give as many replacements/);
  });
});

Filter.run();
