/**
 * The composite shape and linear-algebra functions of `np` (lib/ops/manipulation.ts,
 * linalg.ts, signal.ts, statistics.ts, polynomial.ts) under every transformation, on
 * random inputs drawn by fast-check, on every backend:
 *  - forward mode against a 5-point central difference of the function itself
 *    (h = 0.025, with the gap to h = 0.05 as the truncation error estimate: exact for the
 *    (bi)linear and quadratic ones, O(h^4) for the others);
 *  - JVP against VJP: <v, J u> = <J^T v, u>;
 *  - vmap over a batch of 3 against stacking the function over the slices;
 *  - jit against eager.
 * Their NumPy semantics are checked in test/ops/numpy-shape.test.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { jit, jvp, vjp, vmap } from '../../lib/index.js';
import * as np from '../../lib/ops/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { allClose } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';
import { mulberry32 } from '../helpers/rng.js';

const backend = await useCoreTestBackend();
fc.configureGlobal({ includeErrorInReport: true });
/** On webgpu (SwiftShader) every new kernel shape compiles shaders, so one case per function there. */
const RUNS = backend === 'webgpu' ? 1 : 4;

interface Spec {
  readonly name: string;
  readonly shapes: readonly number[][];
  readonly f: (...xs: NdArray[]) => NdArray;
  /** Inputs made symmetric positive definite (for cholesky). */
  readonly spd?: boolean;
}

const idx = tf.tensor([[[2, 0, -1, 1]], [[0, 0, 3, -4]]], [2, 1, 4], 'int32');
// Fixed conditions: the choice must not switch under the finite-difference steps.
const cond1 = tf.tensor([[true, false, true], [false, false, true]], [2, 3], 'bool');
const cond2 = tf.tensor([true, true, false], [3], 'bool');

const SPECS: Spec[] = [
  { name: 'tile', shapes: [[2, 3]], f: (x) => np.tile(x, [2, 1, 2]) },
  { name: 'repeat', shapes: [[2, 3]], f: (x) => np.repeat(x, [1, 0, 2], 1) },
  { name: 'repeat scalar', shapes: [[2, 3]], f: (x) => np.repeat(x, 2, 0) },
  { name: 'flip', shapes: [[2, 3, 4]], f: (x) => np.flip(x, [0, 2]) },
  { name: 'roll', shapes: [[2, 3, 4]], f: (x) => np.roll(x, [1, -2], [0, 2]) },
  { name: 'rot90', shapes: [[2, 3, 4]], f: (x) => np.rot90(x, 1, [1, 2]) },
  { name: 'moveaxis', shapes: [[2, 3, 4]], f: (x) => np.moveaxis(x, 0, -1) },
  { name: 'takeAlongAxis', shapes: [[2, 3, 4]], f: (x) => np.takeAlongAxis(x, idx, 2) },
  { name: 'hstack', shapes: [[2, 3], [2, 2]], f: (a, b) => np.hstack([a, b]) },
  { name: 'split', shapes: [[5, 2]], f: (x) => np.mul(np.split(x, [1, 3])[1], np.arraySplit(x, 3)[2]) },
  { name: 'diff', shapes: [[3, 5]], f: (x) => np.diff(x, 2, -1) },
  { name: 'select', shapes: [[2, 3], [2, 3]], f: (a, b) => np.select([cond1, cond2], [b, np.mul(a, b)], a) },
  { name: 'einsum bij,bjk->bik', shapes: [[2, 3, 4], [2, 4, 2]], f: (a, b) => np.einsum('bij,bjk->bik', a, b) },
  { name: 'einsum trace, diag, ...', shapes: [[3, 3], [2, 3, 3]], f: (a, b) => np.einsum('ii,...ij->...j', a, b) },
  { name: 'einsum i,ij,j->', shapes: [[3], [3, 4], [4]], f: (a, b, c) => np.einsum('i,ij,j->', a, b, c) },
  { name: 'tensordot', shapes: [[2, 3, 4], [3, 4, 2]], f: (a, b) => np.tensordot(a, b, 2) },
  { name: 'dot, outer, matvec', shapes: [[2, 3, 4], [4]], f: (a, v) => np.add(np.dot(a, v), np.sum(np.outer(v, v))) },
  { name: 'inner + matvec', shapes: [[3, 4], [4]], f: (m, v) => np.mul(np.inner(m, v), np.matvec(m, v)) },
  { name: 'tril, triu', shapes: [[2, 3, 4]], f: (x) => np.sub(np.tril(x, 1), np.triu(x, 2)) },
  { name: 'diagonal, diag, trace', shapes: [[3, 4], [3]], f: (m, v) => np.add(np.diagonal(np.diag(v, 1), 1), np.trace(m, -1)) },
  { name: 'convolve', shapes: [[5], [3]], f: (a, v) => np.convolve(a, v, 'same') },
  { name: 'correlate', shapes: [[3], [5]], f: (a, v) => np.correlate(a, v, 'full') },
  { name: 'polyval', shapes: [[3], [2, 3]], f: (p, x) => np.polyval(p, x) },
  { name: 'trapezoid', shapes: [[2, 4], [4]], f: (y, x) => np.trapezoid(y, { x }) },
  { name: 'cov', shapes: [[3, 6]], f: (x) => np.cov(x) },
  { name: 'corrcoef', shapes: [[2, 6]], f: (x) => np.corrcoef(x) },
  { name: 'cholesky', shapes: [[3, 3]], f: (a) => np.cholesky(a), spd: true },
];

/** Seeded values in [-1, 1) (mulberry32). */
function rng(seed: number) {
  const next = mulberry32(seed);
  return () => next() * 2 - 1;
}
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const values = (r: () => number, s: readonly number[]) => Array.from({ length: size(s) }, r);
/** A symmetric positive-definite matrix from random values: B B^T + n I. */
function spdValues(r: () => number, n: number): number[] {
  const b = values(r, [n, n]);
  return Array.from({ length: n * n }, (_, p) => {
    const i = Math.floor(p / n);
    const j = p % n;
    let s = i === j ? n : 0;
    for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
    return s;
  });
}
const dotArr = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);
const read = async (x: unknown) => Array.from((await (x as tf.Tensor).data()) as Float32Array);

async function check(spec: Spec, seed: number): Promise<void> {
  const r = rng(seed);
  const xsData = spec.shapes.map((s) => (spec.spd ? spdValues(r, s[0]) : values(r, s)));
  // A symmetric direction keeps cholesky's input symmetric.
  const usData = spec.shapes.map((s) => (spec.spd ? spdValues(r, s[0]).map((v) => v / s[0]) : values(r, s)));
  tf.engine().startScope();
  try {
    const xs = xsData.map((d, i) => tf.tensor(d, spec.shapes[i]));
    const us = usData.map((d, i) => tf.tensor(d, spec.shapes[i]));
    const [out, tangent] = jvp(spec.f, xs, us) as [tf.Tensor, tf.Tensor];
    const v = tf.tensor(values(r, out.shape), out.shape);
    const vData = await read(v);
    const viaJvp = dotArr(vData, await read(tangent));
    const [, pull] = vjp(spec.f, ...xs);
    const cts = await Promise.all((pull(v) as NdArray[]).map(read));
    const viaVjp = cts.reduce((s, c, k) => s + dotArr(c, usData[k]), 0);
    const scale = Math.abs(viaJvp) + cts.reduce((s, c, k) => s + Math.abs(dotArr(c, usData[k])), 0) + 1e-3;
    assert.ok(Math.abs(viaJvp - viaVjp) <= 1e-4 * scale, `${spec.name}: <v, J u> = ${viaJvp} (jvp), <J^T v, u> = ${viaVjp} (vjp)`);

    // The 5-point difference at h and h/2: their gap bounds the truncation error of the finer
    // one (for an O(h^4) rule it is ~15x that error), so a strongly curved case (corrcoef of a
    // row with a small spread) is judged by its own error estimate, while a wrong tangent (the
    // two differences agree, the JVP does not) still fails.
    const s = async (e: number) => dotArr(vData, await read(spec.f(...xsData.map((d, i) => tf.tensor(d.map((x, j) => x + e * usData[i][j]), spec.shapes[i])))));
    const fivepoint = async (h: number) => (8 * ((await s(h)) - (await s(-h))) - ((await s(2 * h)) - (await s(-2 * h)))) / (12 * h);
    const coarse = await fivepoint(0.05);
    const fd = await fivepoint(0.025);
    assert.ok(
      Math.abs(fd - viaJvp) <= 1e-3 * scale + Math.abs(coarse - fd),
      `${spec.name}: <v, J u> = ${viaJvp} (jvp), finite differences ${fd} (h = 0.025; ${coarse} at h = 0.05)`,
    );

    const eager = await read(out);
    const jf = jit(spec.f);
    allClose(await read(jf(...xs)), eager, { rtol: 1e-5, atol: 1e-5 }, `${spec.name}: jit vs eager`);

    const batch = [0, 1, 2].map(() => spec.shapes.map((sh) => (spec.spd ? spdValues(r, sh[0]) : values(r, sh))));
    const stacked = spec.shapes.map((sh, i) => tf.tensor(batch.flatMap((b) => b[i]), [3, ...sh]));
    const mapped = await read(vmap(spec.f)(...stacked));
    const looped = (await Promise.all(batch.map((b) => read(spec.f(...b.map((d, i) => tf.tensor(d, spec.shapes[i]))))))).flat();
    allClose(mapped, looped, { rtol: 1e-5, atol: 1e-5 }, `${spec.name}: vmap vs loop`);
  } finally {
    tf.engine().endScope();
  }
}

const S = suite(`np shape/linalg functions under transformations (${backend})`);

for (const spec of SPECS) {
  S(spec.name, async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => check(spec, seed)), { numRuns: RUNS });
  });
}

S('cholesky: L L^T = A, and its tangent solves dA = dL L^T + L dL^T with dL lower triangular', async () => {
  tf.engine().startScope();
  const r = rng(7);
  const a = tf.tensor(spdValues(r, 4), [4, 4]);
  const da = tf.tensor(spdValues(r, 4), [4, 4]);
  const [l, dl] = jvp((x: NdArray) => np.cholesky(x), [a], [da]) as [tf.Tensor, tf.Tensor];
  allClose(await read(np.matmul(l, np.transpose(l))), await read(a), { rtol: 1e-5, atol: 1e-5 }, 'L L^T');
  const dlT = np.transpose(dl);
  allClose(await read(np.add(np.matmul(dl, np.transpose(l)), np.matmul(l, dlT))), await read(da), { rtol: 1e-4, atol: 1e-4 }, 'dL L^T + L dL^T');
  allClose(await read(np.triu(dl, 1)), 0, { rtol: 0, atol: 0 }, 'dL lower triangular');
  tf.engine().endScope();
});

S.run();
