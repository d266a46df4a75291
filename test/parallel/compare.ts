/**
 * Comparing trees of tensors in the parallel tests (not a test file itself): leaf values,
 * one member's slice of stacked outputs, relative closeness leaf by leaf or norm-wise, and
 * bitwise equality of the workers' copies.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';

/** Tensor leaves of a tree, as number arrays, in tree order. */
export const leafValues = (t: unknown) => tree.leaves(t).map((l) => Array.from((l as tf.Tensor).dataSync()));

/** Slice i of every leaf's leading axis. */
export const member = (t: unknown, i: number) => tree.map((l: tf.Tensor) => tf.tidy(() => tf.squeeze(tf.slice(l, [i], [1]), [0])), t);

/** ||a - e|| / ||e|| of two flat arrays. */
export function normErrorOf(a: readonly number[], e: readonly number[]): number {
  let d = 0;
  let n = 0;
  e.forEach((v, i) => {
    d += (a[i] - v) ** 2;
    n += v ** 2;
  });
  return Math.sqrt(d / n);
}

/** Norm-wise relative error over a whole tree: ||a - b|| / ||b||. */
export function normError(actual: unknown, expected: unknown): number {
  return normErrorOf(leafValues(actual).flat(), leafValues(expected).flat());
}

/**
 * Leaf by leaf: max |a - b| <= rel * max |b| (relative to the leaf's scale); the leaves at
 * `normWise` paths norm-wise instead (||a - b|| <= rel * ||b||).
 */
export function relClose(actual: unknown, expected: unknown, rel: number, what: string, normWise: readonly string[] = []) {
  const a = leafValues(actual);
  const e = leafValues(expected);
  const paths = tree.paths(expected);
  assert.is(a.length, e.length, `${what}: number of leaves`);
  e.forEach((ev, i) => {
    if (normWise.includes(paths[i])) {
      const err = normErrorOf(a[i], ev);
      assert.ok(err <= rel, `${what} at ${paths[i]}: norm-wise relative error ${err}`);
      return;
    }
    const scale = Math.max(...ev.map(Math.abs), 1e-30);
    allClose(a[i], ev, { rtol: 0, atol: rel * scale }, `${what} at ${paths[i]} (scale ${scale.toExponential(2)})`);
  });
}

/** Bitwise equality of two trees' leaves. */
export function bitwiseEqual(a: unknown, b: unknown, what: string) {
  const av = leafValues(a);
  const bv = leafValues(b);
  av.forEach((x, i) => assert.ok(x.every((v, j) => Object.is(v, bv[i][j])), `${what}: leaf ${tree.paths(a)[i]} differs between workers`));
}
