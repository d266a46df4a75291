/** Folds over a pytree's leaves: jax.tree.reduce, reduce_associative and all. */
import { type IsLeaf, type IsLeafOption, leaves } from './pytree.js';

/**
 * Folds `f` over the leaves in order, from `initial`, or without it from the first leaf
 * (jax.tree.reduce, whose initializer is optional; its is_leaf is the fourth argument).
 * @example reduce((n, x) => n + x.size, params, 0) // the number of parameters
 * @example reduce((a, b) => a + b, [1, [2, 3]]) // 6
 */
export function reduce<A>(f: (acc: A, leaf: any) => A, tree: unknown, initial: A, isLeaf?: IsLeafOption): A;
export function reduce<A = any>(f: (acc: A, leaf: any) => A, tree: unknown): A;
export function reduce<A>(f: (acc: A, leaf: any) => A, tree: unknown, ...rest: [] | [A, IsLeafOption?]): A {
  const ls = leaves<A>(tree, rest[1]);
  if (rest.length >= 1) return ls.reduce<A>(f, rest[0] as A);
  if (ls.length === 0) throw new Error('tree.reduce: the tree has no leaves and no initial value was given');
  return ls.reduce(f);
}

export interface ReduceAssociativeOptions<A> {
  /** The operation's identity: the result for a tree without leaves (required then, as JAX). */
  readonly identity?: A;
  readonly isLeaf?: IsLeaf;
}

/**
 * Reduces the leaves with an associative `op` in a balanced tree of calls (jax.tree.reduce_associative):
 * the leaves are halved at `floor(n / 2)` and each half reduced, so `op` nests to depth log2(n);
 * one leaf is returned as is; no leaf gives `identity`, or an error without one.
 * @example reduceAssociative((a, b) => a + b, [1, [2, 3], [4, 5, 6]]) // 21
 */
export function reduceAssociative<A>(op: (a: A, b: A) => A, tree: unknown, { identity, isLeaf }: ReduceAssociativeOptions<A> = {}): A {
  const ls = leaves<A>(tree, isLeaf);
  if (ls.length === 0) {
    if (identity === undefined) throw new Error('tree.reduceAssociative: the tree has no leaves; give an identity for an empty reduction');
    return identity;
  }
  const go = (lo: number, hi: number): A => (hi - lo === 1 ? ls[lo]! : op(go(lo, lo + Math.floor((hi - lo) / 2)), go(lo + Math.floor((hi - lo) / 2), hi)));
  return go(0, ls.length);
}

/**
 * Whether every leaf is truthy (jax.tree.all); an array leaf counts by its one element's
 * value (read back), and an array of several elements is an error, as Python's bool() of one.
 * @example all([true, { a: 1 }]) // true
 */
export function all(tree: unknown, isLeaf?: IsLeafOption): boolean {
  return leaves(tree, isLeaf).every((leaf) => {
    const arr = leaf as { size?: number; dataSync?: () => ArrayLike<number> };
    if (typeof arr.dataSync !== 'function') return Boolean(leaf);
    if (arr.size !== 1) throw new Error(`tree.all: the truth value of an array of ${arr.size} elements is ambiguous`);
    return Boolean(arr.dataSync()[0]);
  });
}
