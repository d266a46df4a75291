/** Helpers for the nn suites: finite-difference gradient checks and naive references. */
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import { grad, scope } from '../../lib/core/index.js';
import * as tree from '../../lib/tree/index.js';

export const read = (x: unknown): number[] => Array.from((x as tf.Tensor).dataSync());

/** Deterministic pseudo-random floats in [-1, 1) (a tiny LCG; independent of the library). */
export function lcg(n: number, seed = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

export function randn(shape: number[], seed = 1): tf.Tensor {
  return tf.tensor(lcg(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/**
 * Central differences on `checks` coordinates spread over the leaves of `args` (a
 * pytree of float arrays), compared with grad(f). f must return a scalar.
 */
export function checkGrad(f: (args: any) => any, args: any, { checks = 6, h = 1e-2, tol = 2e-2, what = 'grad' } = {}): void {
  const g = grad(f)(args);
  const [leaves, def] = tree.flatten<tf.Tensor>(args);
  const gl = tree.leaves<tf.Tensor>(g);
  assert.is(gl.length, leaves.length, `${what}: gradient has the argument's structure`);
  const value = (ls: tf.Tensor[]) => scope(() => (f(tree.unflatten(def, ls)) as tf.Tensor).dataSync()[0]);
  const sizes = leaves.map((l) => l.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  for (let c = 0; c < checks; c++) {
    let flat = Math.floor(((c + 0.5) / checks) * total + c * 7919) % total;
    let li = 0;
    while (flat >= sizes[li]) flat -= sizes[li++];
    const base = leaves[li].dataSync().slice();
    const at = (d: number) => {
      const v = base.slice();
      v[flat] += d;
      const t = tf.tensor(v, leaves[li].shape);
      const r = value(leaves.map((l, j) => (j === li ? t : l)));
      t.dispose();
      return r;
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    const an = gl[li].dataSync()[flat];
    const err = Math.abs(fd - an);
    assert.ok(err <= tol * Math.max(1, Math.abs(fd)), `${what}: leaf ${li} [${flat}]: finite difference ${fd}, grad ${an}`);
  }
}

/** PyTorch-semantics conv2d on NHWC x and HWIO w, by loops (reference). */
export function naiveConv(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null, stride: number, pad: number, dil: number, groups: number): { data: number[]; shape: number[] } {
  const [n, h, wd, c] = x.shape;
  const [kh, kw, cig, co] = w.shape;
  const xs = x.dataSync();
  const ws = w.dataSync();
  const bs = b?.dataSync();
  const ho = Math.floor((h + 2 * pad - dil * (kh - 1) - 1) / stride) + 1;
  const wo = Math.floor((wd + 2 * pad - dil * (kw - 1) - 1) / stride) + 1;
  const cog = co / groups;
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let y = 0; y < ho; y++)
      for (let xx = 0; xx < wo; xx++)
        for (let o = 0; o < co; o++) {
          const g = Math.floor(o / cog);
          let s = bs ? bs[o] : 0;
          for (let a = 0; a < kh; a++)
            for (let bb = 0; bb < kw; bb++) {
              const iy = y * stride - pad + a * dil;
              const ix = xx * stride - pad + bb * dil;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              for (let ci = 0; ci < cig; ci++) s += xs[((i * h + iy) * wd + ix) * c + g * cig + ci] * ws[((a * kw + bb) * cig + ci) * co + o];
            }
          out.push(s);
        }
  return { data: out, shape: [n, ho, wo, co] };
}

/** Number of scalars in a pytree of arrays. */
export function countParams(t: unknown): number {
  return tree.leaves<tf.Tensor>(t).reduce((n, l) => n + l.size, 0);
}
