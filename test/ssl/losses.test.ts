/**
 * The SSL losses against stable-pretraining's (test/fixtures/ssl_losses.json, float64 references):
 * every case's value and every input gradient within 1e-4 relative to the float64 value
 * (gradients: relative to their array's largest entry where an entry is near 0); DINO's
 * teacherProbs, batch centre and centre update; jit and vmap give the eager values; the
 * one-line errors on bad input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, scope, valueAndGrad, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose, errorOf, toNested } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture } from './fixtures.js';

await useTestBackend();

type Nested = number | Nested[];
interface LossCase {
  name: string;
  hyper: Record<string, number | string>;
  inputs: Record<string, Nested>;
  value_float64: number;
  grads_float64: Record<string, Nested>;
  teacher_logits?: Nested;
  center?: Nested;
  teacher_temp?: number;
  teacher_probs_from_logits_float64?: Nested;
  batch_center_float64?: Nested;
  'center_after_update_m0.9_float64'?: Nested;
}
const fixture = loadFixture<{ losses: LossCase[] }>('ssl_losses.json');

/** Each fixture family: its differentiable inputs (in order), the other inputs, and the loss. */
interface Family {
  readonly floats: readonly string[];
  readonly ints?: readonly string[];
  readonly loss: (hyper: LossCase['hyper'], ...xs: NdArray[]) => NdArray;
}
const num = (h: LossCase['hyper'], k: string) => h[k] as number;
const FAMILIES: Record<string, Family> = {
  ntxent: { floats: ['z_i', 'z_j'], loss: (h, a, b) => ssl.ntXent(a, b, { temperature: num(h, 'temperature') }) },
  infonce: { floats: ['anchors', 'candidates'], ints: ['targets'], loss: (h, a, c, t) => ssl.infoNce(a, c, t, { temperature: num(h, 'temperature') }) },
  byol: { floats: ['online_pred', 'target_proj'], loss: (_h, p, z) => ssl.byolLoss(p, z) },
  negcos: { floats: ['z_i', 'z_j'], loss: (_h, a, b) => ssl.negativeCosine(a, b) },
  vicreg: {
    floats: ['z_i', 'z_j'],
    loss: (h, a, b) => ssl.vicreg(a, b, { simCoeff: num(h, 'sim_coeff'), stdCoeff: num(h, 'std_coeff'), covCoeff: num(h, 'cov_coeff'), epsilon: num(h, 'epsilon') }),
  },
  barlow: { floats: ['z_i', 'z_j'], loss: (h, a, b) => ssl.barlowTwins(a, b, { lambda: num(h, 'lambd') }) },
  dino: { floats: ['student_logits', 'teacher_probs'], loss: (h, s, t) => ssl.dino(s, t, { studentTemperature: num(h, 'student_temp') }) },
};
const familyOf = (c: LossCase): Family => FAMILIES[c.name.split('_')[0]] ?? assert.unreachable(`no loss for fixture case ${c.name}`);

const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
const RTOL = 1e-4;

/** |a - e| <= 1e-4 |e| + 1e-4 max|e|: relative, and relative to the array's scale for entries near 0. */
function closeToReference(actual: Nested, expected: Nested, what: string): void {
  const scale = Math.max(...flat(expected).map(Math.abs));
  allClose(flat(actual), flat(expected), { rtol: RTOL, atol: RTOL * scale }, what);
}

function inputsOf(c: LossCase): { floats: tf.Tensor[]; ints: tf.Tensor[] } {
  const f = familyOf(c);
  return {
    floats: f.floats.map((k) => tf.tensor(c.inputs[k] as number[])),
    ints: (f.ints ?? []).map((k) => tf.tensor(c.inputs[k] as number[], undefined, 'int32')),
  };
}

// ---------------------------------------------------------------------------------------------
const Fixture = suite('ssl losses: value and every input gradient against the float64 reference');

for (const c of fixture.losses) {
  Fixture(`${c.name}: value and gradients`, async () => {
    const before = tf.memory().numTensors;
    const family = familyOf(c);
    const { floats, ints } = inputsOf(c);
    const argnums = family.floats.map((_, i) => i);
    const [value, grads] = valueAndGrad((...xs: NdArray[]) => family.loss(c.hyper, ...xs, ...ints), { argnums })(...floats);
    // Values: the losses are sums of O(1) terms (cosines, probabilities, standardised features), so
    // a value near 0 (negcos) is compared at that scale.
    allClose(await toNested(value as tf.Tensor), c.value_float64, { rtol: RTOL, atol: RTOL }, `${c.name} value`);
    for (const [i, k] of family.floats.entries()) closeToReference(await toNested(grads[i] as tf.Tensor), c.grads_float64[k], `${c.name} d/d${k}`);
    tf.dispose([value, grads, floats, ints]);
    assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  });
}

Fixture('DINO: teacherProbs, the batch centre and the centre update with momentum 0.9', async () => {
  const cases = fixture.losses.filter((c) => c.name.startsWith('dino'));
  assert.ok(cases.length >= 2);
  for (const c of cases) {
    const logits = tf.tensor(c.teacher_logits as number[]);
    const center = tf.tensor(c.center as number[]);
    const [probs, mean, next] = scope(() => [
      ssl.teacherProbs(logits, center, c.teacher_temp!),
      ssl.batchCenter(logits),
      ssl.updateCenter(center, logits, 0.9),
    ]) as tf.Tensor[];
    closeToReference(await toNested(probs), c.teacher_probs_from_logits_float64!, `${c.name} teacherProbs`);
    closeToReference(await toNested(mean), c.batch_center_float64!, `${c.name} batchCenter`);
    closeToReference(await toNested(next), c['center_after_update_m0.9_float64']!, `${c.name} updateCenter`);
    // The case's student targets are these probabilities (float32).
    closeToReference(await toNested(probs), c.inputs['teacher_probs'], `${c.name} teacher_probs input`);
    tf.dispose([logits, center, probs, mean, next]);
  }
});

Fixture('infoNce mask: masked candidates count as absent (value and gradients), e.g. the unfilled rows of a MoCo queue', async () => {
  const c = fixture.losses.find((x) => x.name.startsWith('infonce'))!;
  const { floats: [anchors, candidates], ints: [targets] } = inputsOf(c);
  const m = anchors.shape[0];
  const total = candidates.shape[0];
  const keep = total - 5; // the last 5 queue rows are invalid
  const mask = tf.tidy(() => tf.tile(tf.reshape(tf.greaterEqual(tf.range(0, total, 1, 'int32'), keep), [1, total]), [m, 1]));
  const t = num(c.hyper, 'temperature');
  const [full, gFull] = valueAndGrad((a: NdArray, k: NdArray) => ssl.infoNce(a, k, targets, { temperature: t, mask }), { argnums: [0, 1] })(anchors, candidates);
  const kept = tf.slice(candidates, [0, 0], [keep, -1]);
  const [part, gPart] = valueAndGrad((a: NdArray, k: NdArray) => ssl.infoNce(a, k, targets, { temperature: t }), { argnums: [0, 1] })(anchors, kept);
  allClose(await toNested(full as tf.Tensor), (await toNested(part as tf.Tensor)) as number, { rtol: 1e-6, atol: 1e-6 });
  allClose(flat(await toNested(gFull[0])), flat(await toNested(gPart[0])), { rtol: 1e-5, atol: 1e-6 });
  const gk = (await toNested(gFull[1])) as number[][];
  allClose(gk.slice(0, keep), (await toNested(gPart[1])) as number[][], { rtol: 1e-5, atol: 1e-6 });
  assert.ok(gk.slice(keep).flat().every((x) => x === 0), 'no gradient into masked candidates');
  assert.ok(Math.abs(((await toNested(full as tf.Tensor)) as number) - c.value_float64) > 1e-3, 'the masked rows mattered');
  tf.dispose([anchors, candidates, targets, mask, full, gFull, kept, part, gPart]);
});

Fixture.run();

// ---------------------------------------------------------------------------------------------
const Transforms = suite('ssl losses under jit and vmap');

Transforms('jit: one trace per case gives the eager value and gradients', async () => {
  for (const c of fixture.losses) {
    const family = familyOf(c);
    const { floats, ints } = inputsOf(c);
    const argnums = family.floats.map((_, i) => i);
    const f = (...xs: NdArray[]) => valueAndGrad((...ys: NdArray[]) => family.loss(c.hyper, ...ys, ...ints), { argnums })(...xs);
    const eager = f(...floats) as [tf.Tensor, tf.Tensor[]];
    const jitted = jit(f);
    const traced = jitted(...floats) as [tf.Tensor, tf.Tensor[]];
    allClose(await toNested(traced[0]), (await toNested(eager[0])) as number, { rtol: 1e-6, atol: 1e-6 }, `${c.name} jit value`);
    for (let i = 0; i < argnums.length; i++) allClose(flat(await toNested(traced[1][i])), flat(await toNested(eager[1][i])), { rtol: 1e-5, atol: 1e-6 }, `${c.name} jit grad ${i}`);
    assert.is(jitted.cacheSize(), 1);
    tf.dispose([eager, traced, floats, ints]);
  }
});

Transforms('vmap over a stack of problems equals the losses one by one', async () => {
  const same = (prefix: string) => fixture.losses.filter((c) => c.name.startsWith(prefix)).slice(0, 1);
  for (const c of ['ntxent', 'byol', 'negcos', 'vicreg', 'barlow', 'dino'].flatMap(same)) {
    const family = familyOf(c);
    const { floats } = inputsOf(c);
    // Problem 2 is problem 1 with its inputs scaled and shifted: a different value.
    const stacked = floats.map((x) => tf.stack([x, tf.add(tf.mul(x, 0.5), 0.1)]));
    const mapped = vmap((...xs: NdArray[]) => family.loss(c.hyper, ...xs))(...stacked) as tf.Tensor;
    const one = await Promise.all(
      [0, 1].map(async (i) => {
        const v = scope(() => family.loss(c.hyper, ...stacked.map((x) => np.squeeze(np.sliceAxis(x, 0, i, i + 1), 0)))) as tf.Tensor;
        const r = (await toNested(v)) as number;
        v.dispose();
        return r;
      }),
    );
    allClose(flat(await toNested(mapped)), one, { rtol: 1e-5, atol: 1e-6 }, `${c.name} under vmap`);
    tf.dispose([floats, stacked, mapped]);
  }
});

Transforms.run();

// ---------------------------------------------------------------------------------------------
const Errors = suite('ssl losses: one-line errors on bad input');

Errors('shapes, temperatures, batch sizes', () => {
  const z = (...s: number[]) => tf.zeros(s);
  assert.is(errorOf(() => ssl.ntXent(z(4, 3), z(4, 2))), 'ntXent: z_i and z_j must have one shape, got [4,3] and [4,2]');
  assert.is(errorOf(() => ssl.ntXent(z(4), z(4))), 'ntXent: z_i must be [batch, dim], got [4]');
  assert.is(errorOf(() => ssl.ntXent(z(4, 3), z(4, 3), { temperature: 0 })), 'infoNce: temperature must be a finite number > 0, got 0');
  assert.is(errorOf(() => ssl.infoNce(z(4, 3), z(6, 2), tf.zeros([4], 'int32'))), 'infoNce: anchors [4, 3] and candidates [6, 2] must have one width');
  assert.is(errorOf(() => ssl.infoNce(z(4, 3), z(6, 3), tf.zeros([3], 'int32'))), 'infoNce: targets must be [4] (one index per anchor), got [3]');
  assert.is(errorOf(() => ssl.infoNce(z(4, 3), z(6, 3), tf.zeros([4], 'int32'), { mask: tf.zeros([4, 4], 'bool') })), 'infoNce: mask must be [4, 6] (anchors x candidates), got [4,4]');
  assert.is(errorOf(() => ssl.byolLoss(z(4, 3), z(5, 3))), 'byolLoss: onlinePred and targetProj must have one shape, got [4,3] and [5,3]');
  assert.is(errorOf(() => ssl.vicreg(z(1, 3), z(1, 3))), 'vcReg: needs a batch of at least 2 embeddings (the unbiased variance), got [1, 3]');
  assert.is(errorOf(() => ssl.barlowTwins(z(1, 3), z(1, 3))), 'barlowTwins: needs a batch of at least 2 embeddings (the unbiased std), got [1, 3]');
  assert.is(errorOf(() => ssl.dino(z(2, 4, 5), z(2, 3, 5))), 'dino: studentLogits [2, 4, 5] and teacherProbs [2, 3, 5] must agree in batch and K');
  assert.is(errorOf(() => ssl.dino(z(1, 4, 5), z(1, 4, 5))), 'dino: needs two views on one side (got 1 student and 1 teacher view(s): every pair is one view)');
  assert.is(errorOf(() => ssl.dino(z(4, 5), z(1, 4, 5))), 'dino: studentLogits must be [views, batch, K], got [4,5]');
  assert.is(errorOf(() => ssl.updateCenter(z(1, 5), z(2, 4, 5), 1.5)), 'updateCenter: momentum must be in [0, 1], got 1.5');
  assert.is(errorOf(() => ssl.updateCenter(z(5), z(2, 4, 5), 0.9)), 'updateCenter: center must be [1,5], got [5]');
});

Errors.run();
