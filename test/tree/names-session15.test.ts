/**
 * jax.tree / jax.tree_util names that were missing, against JAX HEAD (jax/_src/tree_util.py),
 * session 15: reduce_associative (JAX's balanced halving, identity for an empty tree),
 * treedef_tuple, is_tree_node, register_pytree_with_keys_class and flatten_one_level_with_keys.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { np, tree } from '../../lib/index.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();
const T = suite('tree: jax.tree_util names (session 15)');

T('reduceAssociative: JAX\'s example sums to 21; the calls nest as JAX\'s _parallel_reduce (split at n // 2)', () => {
  assert.is(tree.reduceAssociative((a: number, b: number) => a + b, [1, [2, 3], [4, 5, 6]]), 21);
  const shape = tree.reduceAssociative((a: string, b: string) => `(${a}${b})`, ['1', ['2', '3'], ['4', '5', '6']]);
  assert.is(shape, '((1(23))(4(56)))');
  assert.is(tree.reduceAssociative((a: string, b: string) => `(${a}${b})`, { a: 'x', b: 'y', c: 'z' }), '(x(yz))');
});

T('reduceAssociative: one leaf as is (op not called); empty needs identity; isLeaf', () => {
  assert.is(tree.reduceAssociative(() => { throw new Error('called'); }, { a: 7 }), 7);
  assert.is(tree.reduceAssociative((a: number, b: number) => a * b, { a: [], b: null }, { identity: 1 }), 1);
  assert.throws(() => tree.reduceAssociative((a: number, b: number) => a + b, []), /no leaves; give an identity/);
  const isLeaf = (x: unknown) => Array.isArray(x) && x.length === 2;
  assert.is(tree.reduceAssociative((a: number | number[], b: number | number[]) => (Array.isArray(a) ? a.length : a) + (Array.isArray(b) ? b.length : b), [[1, 2], [3, 4], 5], { isLeaf }), 9);
  const xs = { w: np.array([1, 2]), b: np.array([3, 4]) };
  assert.equal(Array.from(tree.reduceAssociative((a: np.NdArray, b: np.NdArray) => np.add(a, b), xs).dataSync()), [4, 6]);
});

T('treedefTuple: the structure of a tuple of structures (== structure((x, y)))', () => {
  const x = [1, 2, 3];
  const y = { a: 4, b: 5 };
  const d = tree.treedefTuple([tree.structure(x), tree.structure(y)]);
  assert.ok(d.equals(tree.structure([x, y])));
  assert.is(String(d), String(tree.structure([x, y])));
  assert.is(tree.numLeaves(d), 5);
  assert.equal(tree.unflatten(d, [1, 2, 3, 4, 5]), [[1, 2, 3], { a: 4, b: 5 }]);
  assert.ok(tree.treedefTuple([]).equals(tree.structure([])));
});

class Point {
  constructor(
    readonly x: unknown,
    readonly y: unknown,
  ) {}
  treeFlattenWithKeys(): [[tree.KeyEntry, unknown][], null] {
    return [[[new tree.GetAttrKey('x'), this.x], [new tree.GetAttrKey('y'), this.y]], null];
  }
  static treeUnflatten(_aux: null, [x, y]: unknown[]): Point {
    return new Point(x, y);
  }
}
class Unregistered {
  constructor(readonly v = 1) {}
}

T('registerPytreeWithKeysClass: the class\'s treeFlattenWithKeys keys name the paths; returns the class', () => {
  assert.is(tree.registerPytreeWithKeysClass(Point), Point);
  const p = new Point(1, [2, 3]);
  assert.equal(tree.leaves(p), [1, 2, 3]);
  assert.equal(tree.paths({ p }), ['.p.x', '.p.y[0]', '.p.y[1]']);
  const q = tree.map((v: number) => v * 10, p);
  assert.ok(q instanceof Point);
  assert.equal([q.x, q.y], [10, [20, 30]]);
  assert.throws(() => tree.registerPytreeWithKeysClass(Unregistered), /Unregistered needs a treeFlattenWithKeys\(\) method and a static treeUnflatten/);
});

T('isTreeNode: objects, arrays and registered classes are nodes; other classes are not', () => {
  assert.ok(tree.isTreeNode(Object));
  assert.ok(tree.isTreeNode(Array));
  assert.ok(tree.isTreeNode(Point));
  assert.not.ok(tree.isTreeNode(Unregistered));
  assert.not.ok(tree.isTreeNode(Map));
});

T('flattenOneLevelWithKeys: each immediate child with its key; a leaf is an error', () => {
  const [pairs, def] = tree.flattenOneLevelWithKeys({ b: { c: 3 }, a: [1, 2] });
  assert.equal(pairs, [['.a', [1, 2]], ['.b', { c: 3 }]]);
  assert.ok(def.equals(tree.structure({ a: 0, b: 0 })));
  assert.equal(tree.flattenOneLevelWithKeys([5, [6]])[0], [['[0]', 5], ['[1]', [6]]]);
  assert.equal(tree.flattenOneLevelWithKeys(new Point(1, [2]))[0], [['.x', 1], ['.y', [2]]]);
  assert.equal(tree.flattenOneLevelWithKeys(null)[0], []);
  assert.throws(() => tree.flattenOneLevelWithKeys(3), /cannot flatten a leaf \(number\)/);
});

T.run();
