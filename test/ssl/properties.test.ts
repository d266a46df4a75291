/**
 * Property tests of the SSL blocks (fast-check, with the arbitraries of lib/ssl/arbitraries.ts):
 * NT-Xent unchanged by scaling an embedding and by permuting the pairs (its gradient permuted
 * alike); VICReg and Barlow Twins symmetric in their views; BYOL's loss in [0, 4]; EMA with m = 1
 * keeps the teacher and m = 0 copies the student; memory pushes keep FIFO order and length; every
 * loss (and its gradient) finite on degenerate input: identical views, zero vectors, batch of 2.
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, valueAndGrad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { dinoLogits, embeddings, permutation, pushSequence, viewPair } from '../../lib/ssl/arbitraries.js';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const RUNS = { numRuns: 25 };
/** Runs `f` on tensors of the nested arrays, frees everything, returns the values as flat number lists. */
function evaluate(f: (...xs: NdArray[]) => unknown, ...inputs: number[][][]): number[][] {
  return tf.tidy(() => {
    const out = f(...inputs.map((x) => tf.tensor(x)));
    return tree.leaves<tf.Tensor>(out).map((t) => Array.from(t.dataSync()));
  });
}
const lossValue = (f: (...xs: NdArray[]) => NdArray, ...inputs: number[][][]) => evaluate(f, ...inputs)[0][0];
const withGrads = (f: (...xs: NdArray[]) => NdArray, n: number) => (...xs: NdArray[]) => valueAndGrad(f, { argnums: Array.from({ length: n }, (_, i) => i) })(...xs);

// ---------------------------------------------------------------------------------------------
const Losses = suite('ssl losses: invariances and ranges');

Losses('NT-Xent is unchanged by scaling an embedding', () => {
  fc.assert(
    fc.property(viewPair(), fc.nat(), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.boolean(), ({ zi, zj }, row, c, first) => {
      const r = row % zi.length;
      const scaled = (z: number[][]) => z.map((x, i) => (i === r ? x.map((v) => Math.fround(v * c)) : x));
      const base = lossValue((a, b) => ssl.ntXent(a, b), zi, zj);
      const other = first ? lossValue((a, b) => ssl.ntXent(a, b), scaled(zi), zj) : lossValue((a, b) => ssl.ntXent(a, b), zi, scaled(zj));
      allClose(other, base, { rtol: 1e-5, atol: 1e-5 });
    }),
    RUNS,
  );
});

Losses('NT-Xent is equivariant to permuting the pairs: same value, gradients permuted alike', () => {
  fc.assert(
    fc.property(
      viewPair().chain((v) => fc.record({ v: fc.constant(v), perm: permutation(v.zi.length) })),
      ({ v: { zi, zj }, perm }) => {
        const f = withGrads((a, b) => ssl.ntXent(a, b, { temperature: 0.3 }), 2);
        const [[value], gi, gj] = evaluate(f, zi, zj);
        const [[pValue], pgi, pgj] = evaluate(f, perm.map((i) => zi[i]), perm.map((i) => zj[i]));
        allClose(pValue, value, { rtol: 1e-5, atol: 1e-5 });
        const d = zi[0].length;
        const permuted = (g: number[]) => perm.flatMap((i) => g.slice(i * d, (i + 1) * d));
        // Permuting the pairs reorders the softmax sums, so a row's gradient may move by rounding
        // of its largest intermediate terms: the normalisation's Jacobian (I - u u^T) / |z| times
        // dL/du (at most 2 / temperature), i.e. (2 / 0.3) / |z|, cancelled down to the result; 8 ulp
        // of that scale (rows of norm 1e-3 have terms of ~7e3, and a zero component reads ~3e-5).
        const rowsClose = (actual: number[], expected: number[], z: number[][]) =>
          perm.forEach((i, r) => {
            const scale = 2 / 0.3 / Math.max(1e-12, Math.hypot(...z[i]));
            allClose(actual.slice(r * d, (r + 1) * d), expected.slice(r * d, (r + 1) * d), { rtol: 1e-4, atol: Math.max(1e-5, 8 * 2 ** -23 * scale) });
          });
        rowsClose(pgi, permuted(gi), zi);
        rowsClose(pgj, permuted(gj), zj);
      },
    ),
    RUNS,
  );
});

Losses('VICReg and Barlow Twins are symmetric in their views', () => {
  fc.assert(
    fc.property(viewPair(), ({ zi, zj }) => {
      for (const loss of [(a: NdArray, b: NdArray) => ssl.vicreg(a, b), (a: NdArray, b: NdArray) => ssl.barlowTwins(a, b)]) {
        const ab = lossValue(loss, zi, zj);
        const ba = lossValue(loss, zj, zi);
        allClose(ba, ab, { rtol: 1e-5, atol: 1e-5 });
      }
    }),
    RUNS,
  );
});

Losses("BYOL's loss lies in [0, 4] (and SimSiam's in [-1, 1])", () => {
  fc.assert(
    fc.property(viewPair(), ({ zi, zj }) => {
      const byol = lossValue((a, b) => ssl.byolLoss(a, b), zi, zj);
      const simsiam = lossValue((a, b) => ssl.negativeCosine(a, b), zi, zj);
      const slack = 1e-6;
      assert.ok(byol >= -slack && byol <= 4 + slack, `byol ${byol}`);
      assert.ok(simsiam >= -1 - slack && simsiam <= 1 + slack, `negativeCosine ${simsiam}`);
    }),
    RUNS,
  );
});

Losses.run();

// ---------------------------------------------------------------------------------------------
const Degenerate = suite('ssl losses: finite value and gradients on degenerate input');

/** Every loss on views (zi, zj) [B, D]: NT-Xent, InfoNCE, BYOL, SimSiam, VICReg, Barlow Twins, DINO (views as logits). */
const ALL: Record<string, (zi: NdArray, zj: NdArray) => NdArray> = {
  ntXent: (a, b) => ssl.ntXent(a, b),
  infoNce: (a, b) => ssl.infoNce(a, b, np.arange(tf.util.sizeFromShape([(a as tf.Tensor).shape[0]]))),
  byolLoss: (a, b) => ssl.byolLoss(a, b),
  negativeCosine: (a, b) => ssl.negativeCosine(a, b),
  vicreg: (a, b) => ssl.vicreg(a, b),
  barlowTwins: (a, b) => ssl.barlowTwins(a, b),
  dino: (a, b) => ssl.dino(np.stack([a, b]), ssl.teacherProbs(np.stack([b, a]), null, 0.04)),
};

function assertFinite(name: string, zi: number[][], zj: number[][]): void {
  const out = evaluate(withGrads(ALL[name], 2), zi, zj);
  assert.ok(out.flat().every(Number.isFinite), `${name}: value or gradient not finite on ${JSON.stringify([zi, zj])}`);
}

Degenerate('identical views', () => {
  fc.assert(
    fc.property(embeddings(), (z) => {
      for (const name of Object.keys(ALL)) assertFinite(name, z, z);
    }),
    { numRuns: 10 },
  );
});

Degenerate('zero vectors, one constant feature, and a batch of 2', () => {
  const zeros = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const constantFeature = [
    [1, 2, 0.5],
    [1, -1, 0.25],
    [1, 0.5, -2],
  ];
  const two = [
    [0.3, -1],
    [2, 0.5],
  ];
  for (const name of Object.keys(ALL)) {
    assertFinite(name, zeros, zeros);
    assertFinite(name, zeros, constantFeature);
    assertFinite(name, constantFeature, constantFeature);
    assertFinite(name, two, two.map((r) => r.map((x) => -x)));
  }
});

Degenerate('a batch of 1 is a clear error where the loss needs a batch statistic', () => {
  const one = tf.tensor([[1, 2]]);
  assert.throws(() => ssl.vicreg(one, one), (e: Error) => e.message === 'vcReg: needs a batch of at least 2 embeddings (the unbiased variance), got [1, 2]');
  assert.throws(() => ssl.barlowTwins(one, one), (e: Error) => e.message === 'barlowTwins: needs a batch of at least 2 embeddings (the unbiased std), got [1, 2]');
  one.dispose();
});

Degenerate('DINO on random logits is finite and its centre update stays a convex combination', () => {
  fc.assert(
    fc.property(dinoLogits(), ({ student, teacher }) => {
      const [value, center] = tf.tidy(() => {
        const t = tf.tensor(teacher);
        const c0 = tf.zeros([1, teacher[0][0].length]);
        const loss = ssl.dino(tf.tensor(student), ssl.teacherProbs(t, c0, 0.04)) as tf.Tensor;
        return [loss.dataSync()[0], Array.from((ssl.updateCenter(c0, t, 0.9) as tf.Tensor).dataSync())];
      });
      assert.ok(Number.isFinite(value) && value >= -1e-5, `dino ${value}`);
      const bound = 0.1 * Math.max(...teacher.flat(2).map(Math.abs)) + 1e-6;
      assert.ok(center.every((x) => Math.abs(x) <= bound), 'the centre moves 10% of the way to a batch mean');
    }),
    RUNS,
  );
});

Degenerate.run();

// ---------------------------------------------------------------------------------------------
const State = suite('ssl teacher and memory: EMA extremes, FIFO order and length');

State('EMA with m = 1 keeps the teacher, m = 0 copies the student', () => {
  fc.assert(
    fc.property(viewPair({ maxBatch: 4, maxDim: 4 }), ({ zi, zj }) => {
      const [keep, copy] = [1, 0].map((m) => evaluate((t, s) => ssl.ema({ a: t, b: [t] }, { a: s, b: [s] }, m), zi, zj));
      assert.equal(keep, [zi.flat(), zi.flat()]);
      assert.equal(copy, [zj.flat(), zj.flat()]);
    }),
    RUNS,
  );
});

State('memory pushes keep FIFO order (newest first) and length', () => {
  fc.assert(
    fc.property(pushSequence(), ({ size, dim, batches }) => {
      tf.tidy(() => {
        let m = ssl.initMemory(size, dim);
        // The model: the latest batch in front in its row order (its last `size` rows if larger), then the older rows.
        let model: number[][] = [];
        for (const b of batches) {
          m = ssl.pushMemory(m, tf.tensor(b));
          model = [...b.slice(Math.max(0, b.length - size)), ...model].slice(0, size);
          const rows = (m.embeddings as tf.Tensor).arraySync() as number[][];
          assert.is(rows.length, size, 'the length never changes');
          const filled = (m.filled as tf.Tensor).dataSync()[0];
          assert.is(filled, model.length);
          allClose(rows.slice(0, filled), model.map((r) => r.map(Math.fround)), { rtol: 0, atol: 0 });
        }
      });
    }),
    RUNS,
  );
});

State.run();
