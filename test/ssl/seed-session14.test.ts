/**
 * stable-pretraining's losses (the seed) against test/fixtures/ssl_seed_session14.json
 * (tools/ssl_seed_session14.py: the seed's formulas transcribed in PyTorch 1.13, float64) with
 * the seed's default arguments: every loss value and input gradient within 1e-4 (relative to
 * the array's largest entry); DINO's centre (first batch centre copied, then momentum 0.9);
 * the DINOv2/v3 Sinkhorn-Knopp teacher; the losses the seed has that tfjax lacked before this
 * session (clipLoss, ibotPatchLoss, sinkhornKnopp, koleo, maeLoss, wmse); the EMA coefficient's cosine.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, valueAndGrad, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose, errorOf, toNested } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture } from './fixtures.js';

await useTestBackend();

interface Arr {
  values: number[];
  shape: number[];
}
interface Case {
  name: string;
  inputs: Record<string, Arr>;
  value: number;
  grads: Record<string, Arr>;
  options?: ssl.MaeLossOptions & { loss_type?: string; patch_normalize?: boolean; mask_only?: boolean };
  [extra: string]: unknown;
}
const fixture = loadFixture<{ cases: Case[]; ema_coefficient: { epoch: number; total: number; value: number }[] }>('ssl_seed_session14.json');
function byName(name: string): Case {
  const c = fixture.cases.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no fixture case ${name}`);
  return c;
}
const arr = (a: Arr, dtype: 'float32' | 'int32' | 'bool' = 'float32') => tf.tensor(a.values, a.shape, dtype);
const RTOL = 1e-4;

const flatOf = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flatOf) : [x as number]);
/** |a - e| <= 1e-4 |e| + 1e-4 max|e|. */
async function close(actual: NdArray, expected: Arr | number, what: string): Promise<void> {
  const e = typeof expected === 'number' ? [expected] : expected.values;
  const scale = Math.max(...e.map(Math.abs));
  allClose(flatOf(await toNested(actual as tf.Tensor)), e, { rtol: RTOL, atol: RTOL * scale }, what);
}

/** The MAE options of a fixture case, in tfjax's names. */
function maeOptions(o: NonNullable<Case['options']>): ssl.MaeLossOptions {
  const lossType = o.loss_type === 'smooth_l1' ? 'smoothL1' : (o.loss_type as ssl.MaeLossType | undefined);
  return { normPixLoss: o.patch_normalize, lossType, maskOnly: o.mask_only, reduction: o.reduction };
}

/** Each case: its differentiable inputs (in the fixture's gradient order), the other inputs, and the loss. */
type Loss = (c: Case, ...xs: NdArray[]) => NdArray;
const LOSSES: Record<string, { floats: string[]; rest?: [string, 'int32' | 'bool' | 'float32'][]; loss: Loss }> = {
  ntxent: { floats: ['z_i', 'z_j'], loss: (_c, a, b) => ssl.ntXent(a, b) },
  infonce: { floats: ['anchors', 'candidates'], rest: [['targets', 'int32'], ['mask', 'bool']], loss: (_c, a, k, t, m) => ssl.infoNce(a, k, t, { mask: m }) },
  byol: { floats: ['online_pred', 'target_proj'], loss: (_c, p, z) => ssl.byolLoss(p, z) },
  negcos: { floats: ['z_i', 'z_j'], loss: (_c, a, b) => ssl.negativeCosine(a, b) },
  vicreg: { floats: ['z_i', 'z_j'], loss: (_c, a, b) => ssl.vicreg(a, b) },
  vcreg: { floats: ['z'], loss: (_c, z) => ssl.vcReg(z) },
  barlow: { floats: ['z_i', 'z_j'], loss: (_c, a, b) => ssl.barlowTwins(a, b) },
  dino: { floats: ['student_logits'], rest: [['teacher_probs', 'float32']], loss: (_c, s, t) => ssl.dino(s, t) },
  dino_one_student: { floats: ['student_logits'], rest: [['teacher_probs', 'float32']], loss: (_c, s, t) => ssl.dino(s, t) },
  ibot: { floats: ['student_patch_logits'], rest: [['teacher_patch_probs', 'float32']], loss: (_c, s, t) => ssl.ibotPatchLoss(s, t) },
  clip: { floats: ['feats_i', 'feats_j'], loss: (_c, a, b) => ssl.clipLoss(a, b) },
  koleo: { floats: ['z'], loss: (_c, z) => ssl.koleo(z) },
  wmse: { floats: ['z1', 'z2'], loss: (_c, a, b) => ssl.wmse(a, b) },
  wmse_floor: { floats: ['z1', 'z2'], loss: (_c, a, b) => ssl.wmse(a, b) },
};
const lossOf = (c: Case) =>
  LOSSES[c.name] ?? (c.name.startsWith('mae') ? { floats: ['pred'], rest: [['target', 'float32'], ['mask', 'float32']] as [string, 'float32'][], loss: ((cc, p, t, m) => ssl.maeLoss(p, t, m, maeOptions(cc.options!))) as Loss } : assert.unreachable(`no loss for ${c.name}`));

const Parity = suite('seed losses: values and input gradients against the seed formulas (torch, float64)');

for (const c of fixture.cases) {
  Parity(`${c.name}: value and gradients`, async () => {
    const before = tf.memory().numTensors;
    const l = lossOf(c);
    const floats = l.floats.map((k) => arr(c.inputs[k]));
    const rest = (l.rest ?? []).map(([k, dtype]) => arr(c.inputs[k], dtype));
    const [value, grads] = valueAndGrad((...xs: NdArray[]) => l.loss(c, ...xs, ...rest), { argnums: floats.map((_, i) => i) })(...floats);
    await close(value, c.value, `${c.name} value`);
    for (const [i, k] of l.floats.entries()) await close(grads[i], c.grads[k], `${c.name} d/d${k}`);
    tf.dispose([value, grads, floats, rest]);
    assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  });
}

Parity('DINO centre: the first batch centre copied (momentum 0), then momentum 0.9; the teacher targets from it at 0.04', async () => {
  const c = byName('dino');
  const [prev, logits] = [arr(c['prev_teacher_logits'] as Arr), arr(c['teacher_logits'] as Arr)];
  const center0 = ssl.updateCenter(np.zeros([1, 5]), prev, 0);
  await close(center0, c['center0'] as Arr, 'centre after the first step');
  await close(ssl.teacherProbs(logits, center0, 0.04), c.inputs['teacher_probs'], 'teacher probabilities');
  await close(ssl.updateCenter(center0, logits, 0.9), c['center1'] as Arr, 'centre after the second step');
});

Parity('sinkhornKnopp: the seed sinkhorn_knopp over every row of [views, batch, K] and of [patches, K]; no gradient', async () => {
  const c = byName('ibot');
  await close(ssl.sinkhornKnopp(arr(c['sinkhorn_logits'] as Arr), 0.04), c['sinkhorn_probs'] as Arr, '[2, 3, 6] at 0.04');
  await close(ssl.sinkhornKnopp(arr(c['patch_logits'] as Arr), 0.07), c.inputs['teacher_patch_probs'], '[7, 6] at 0.07');
  const weights = np.reshape(np.arange(42), [7, 6]);
  const g = grad((x: NdArray) => np.sum(np.mul(ssl.sinkhornKnopp(x, 0.07), weights)))(arr(c['patch_logits'] as Arr));
  assert.ok(flatOf(await toNested(g as tf.Tensor)).every((v) => v === 0), 'the teacher side carries no gradient');
  // Where the seed's exp(logits / T) overflows in float32 the log-domain codes stay finite and balanced.
  const big = ssl.sinkhornKnopp(np.mul(arr(c['patch_logits'] as Arr), 40), 0.04);
  const rows = Array.from(await (np.sum(big, -1) as tf.Tensor).data());
  allClose(rows, rows.map(() => 1), { atol: 1e-5 }, 'each row sums to 1');
});

Parity('new losses under jit and vmap give the eager values', async () => {
  const k = byName('koleo');
  const z = arr(k.inputs['z']);
  await close(jit((x: NdArray) => ssl.koleo(x))(z), k.value, 'jit koleo');
  const m = byName('mae_normpix');
  const [p, t, mk] = ['pred', 'target', 'mask'].map((n) => arr(m.inputs[n]));
  await close(jit((a: NdArray, b: NdArray, c: NdArray) => ssl.maeLoss(a, b, c, { normPixLoss: true }))(p, t, mk), m.value, 'jit maeLoss');
  const cl = byName('clip');
  const [fi, fj] = [arr(cl.inputs['feats_i']), arr(cl.inputs['feats_j'])];
  const batched = vmap((a: NdArray, b: NdArray) => ssl.clipLoss(a, b))(np.stack([fi, fi]), np.stack([fj, fj]));
  await close(batched, { values: [cl.value, cl.value], shape: [2] }, 'vmap clipLoss');
  // A learned temperature (the seed's logit_scale) as an array.
  await close(ssl.clipLoss(fi, fj, { temperature: np.array(0.07) }), cl.value, 'array temperature');
});

Parity('EMA coefficient: the seed cosine final - (final - base)(1 + cos(pi e / E)) / 2 at every epoch', async () => {
  const schedule = ssl.emaCoefficientSchedule({ base: 0.996, final: 1, totalSteps: 7 });
  for (const { epoch, value } of fixture.ema_coefficient) {
    assert.ok(Math.abs(schedule.at(epoch) - value) < 1e-12, `at ${epoch}: ${schedule.at(epoch)} vs ${value}`);
    await close(schedule(np.array(epoch, 'int32')), value, `traced step ${epoch}`);
  }
});

Parity('one-line errors on bad input', () => {
  const z = np.ones([4, 3]);
  assert.match(errorOf(() => ssl.clipLoss(z, np.ones([5, 3]))), /clipLoss: featsI and featsJ must have one shape/);
  assert.match(errorOf(() => ssl.koleo(np.ones([1, 3]))), /koleo: needs at least 2 embeddings/);
  assert.match(errorOf(() => ssl.ibotPatchLoss(z, np.ones([4, 2]))), /ibotPatchLoss: .* must have one shape/);
  assert.match(errorOf(() => ssl.sinkhornKnopp(z, 0)), /sinkhornKnopp: temperature must be a finite number > 0/);
  assert.match(errorOf(() => ssl.sinkhornKnopp(z, 0.1, { iterations: 0 })), /sinkhornKnopp: iterations must be an integer >= 1/);
  const p = np.ones([2, 3, 4]);
  assert.match(errorOf(() => ssl.maeLoss(p, p, np.ones([2, 4]))), /maeLoss: mask must be \[2, ?3\]/);
  assert.match(errorOf(() => ssl.maeLoss(p, p, np.ones([2, 3]), { lossType: 'l1' as ssl.MaeLossType })), /maeLoss: lossType must be/);
});

Parity.run();
