/**
 * optax's MultiSteps (every_k_schedule int or schedule, use_grad_mean, should_skip_update_fn with
 * skip_not_finite / skip_large_updates, has_updated), per_example_global_norm_clip,
 * per_example_layer_norm_clip, optimistic_adam and optimistic_adam_v2, against
 * test/fixtures/optax_wrappers.json (tools/optax-wrappers.py: optax's equations in float64 numpy)
 * and optax's docstring examples. Parameters {b: [1], w: [4]} (flat layout concat(b, w)).
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { leafValuesFlat, scopedTests } from './common.js';

const backend = await useTestBackend();
const test = suite(`optim: optax wrappers [${backend}]`);
scopedTests(test);

interface MsCase {
  grads: (number | string)[][];
  mean: boolean;
  skip: 'not_finite' | 'large' | null;
  max_squared_norm?: number;
  updates: number[][];
  mini_step: number[];
  gradient_step: number[];
  has_updated: boolean[];
  skipped: boolean[];
  params: number[][];
}
interface PeResult { a: number[]; b: number[][]; num_clipped: number | number[] }
const fixture: {
  multi_steps: Record<string, MsCase>;
  per_example: { a: number[][]; b: number[][][]; global: Record<string, PeResult>; layer_uniform: Record<string, PeResult>; layer_sized: Record<string, PeResult> };
  optimistic: { d: number[]; t: number[]; noise: number[][]; cases: Record<string, { params: number[][] }> };
} = JSON.parse(readFileSync(new URL('../fixtures/optax_wrappers.json', import.meta.url), 'utf8'));

type P = { b: NdArray; w: NdArray };
const toTree = (flat: readonly (number | string)[]): P => {
  const v = flat.map(Number);
  return { b: np.array(v.slice(0, 1)), w: np.array(v.slice(1)) };
};
const x0 = (): P => toTree([-1, -0.5, 0, 0.5, 1]);
type MsState = optim.MultiStepsState<unknown>;

const everyK: Record<string, optim.EveryKSchedule> = {
  mean_k3: 3,
  sum_k2: 2,
  schedule: (s: NdArray) => np.where(np.less(s, 2), 1, 3),
  skip_not_finite: 2,
  skip_large: 2,
};
function buildMs(name: string, c: MsCase) {
  const shouldSkipUpdateFn = c.skip === 'not_finite' ? optim.skipNotFinite : c.skip === 'large' ? optim.skipLargeUpdates(c.max_squared_norm as number) : undefined;
  return optim.multiSteps(optim.adam({ learningRate: 0.1 }), everyK[name], { useGradMean: c.mean, shouldSkipUpdateFn });
}

for (const [name, c] of Object.entries(fixture.multi_steps)) {
  for (const mode of ['eager', 'jit'] as const) {
    test(`multiSteps ${name} (${mode}): updates, counters, hasUpdated and parameters as optax`, async () => {
      const opt = buildMs(name, c);
      const raw = (g: P, s: MsState, p: P) => {
        const [u, next] = opt.update(g, s, p);
        return [u, next, optim.applyUpdates(p, u), opt.hasUpdated(next)] as const;
      };
      const step = mode === 'jit' ? jit(raw) : raw;
      let p = x0();
      let s = opt.init(p);
      for (let i = 0; i < c.grads.length; i++) {
        const [u, next, p2, updated] = step(toTree(c.grads[i]), s, p) as [P, MsState, P, NdArray];
        [s, p] = [next, p2];
        const scaleU = Math.max(1e-3, ...c.updates[i].map(Math.abs));
        allClose(await leafValuesFlat(u), c.updates[i], { rtol: 0, atol: 1e-4 * scaleU }, `step ${i}: updates`);
        assert.equal(await leafValuesFlat([s.miniStep, s.gradientStep]), [c.mini_step[i], c.gradient_step[i]], `step ${i}: miniStep, gradientStep`);
        assert.equal((await updated.data())[0] === 1, c.has_updated[i], `step ${i}: hasUpdated`);
        allClose(await leafValuesFlat(p), c.params[i], { rtol: 0, atol: 2e-5 }, `step ${i}: parameters`);
        assert.equal((await leafValuesFlat(s.accGrads)).every(Number.isFinite), true, `step ${i}: accGrads finite`);
        if (c.skip) assert.equal((await leafValuesFlat((s.skipState as { shouldSkip: NdArray }).shouldSkip))[0] === 1, c.skipped[i], `step ${i}: skipState.shouldSkip`);
      }
      if (mode === 'jit') (step as ReturnType<typeof jit>).clearCache();
    });
  }
}

test('MultiStepsState has optax\'s fields; skipState holds skip_not_finite\'s diagnostics', async () => {
  const opt = optim.multiSteps(optim.sgd({ learningRate: 1 }), 2, { shouldSkipUpdateFn: optim.skipNotFinite });
  const s0 = opt.init(x0());
  assert.equal(Object.keys(s0).sort(), ['accGrads', 'gradientStep', 'innerOptState', 'miniStep', 'skipState']);
  const [, s1] = opt.update(toTree([1, Number.NaN, Infinity, 2, -Infinity]), s0, x0());
  const skip = s1.skipState as { shouldSkip: NdArray; numNotFinite: NdArray };
  assert.is(skip.numNotFinite.dtype, 'int32');
  assert.equal(await leafValuesFlat([skip.shouldSkip, skip.numNotFinite]), [1, 3]);
  assert.equal(await leafValuesFlat(opt.hasUpdated(s1)), [0]);
  assert.is(opt.innerOpt !== undefined && typeof opt.gradientTransformation().update, 'function');
});

test('skipLargeUpdates: 4-argument form as optax, NaN norm skips; config-object form of multiSteps', async () => {
  const [skip, info] = optim.skipLargeUpdates(toTree([3, 4, 0, 0, 0]), np.array(0, 'int32'), undefined, 25);
  assert.equal(await leafValuesFlat([skip, info.normSquared]), [1, 25]);
  const [skipNan] = optim.skipLargeUpdates(toTree([Number.NaN, 0, 0, 0, 0]), undefined, undefined, 1e9);
  assert.equal(await leafValuesFlat(skipNan), [1]);
  const sum = optim.multiSteps(optim.sgd({ learningRate: 1 }), { everyKSchedule: 2, useGradMean: false });
  let s = sum.init(x0());
  let u: P = x0();
  for (const g of [[1, 1, 1, 1, 1], [2, 2, 2, 2, 2]]) [u, s] = sum.update(toTree(g), s, x0());
  assert.equal(await leafValuesFlat(u), [-3, -3, -3, -3, -3]);
});

test('multiSteps errors', () => {
  const sgd = optim.sgd({ learningRate: 1 });
  const bad = optim.multiSteps(sgd, 2, { shouldSkipUpdateFn: () => [np.array([false, true]), {}] });
  assert.throws(() => bad.update(x0(), bad.init(x0()), x0()), /multiSteps: shouldSkipUpdateFn must return a bool scalar array, got dtype bool and shape \[2\]/);
  assert.throws(() => optim.multiSteps(sgd, 0), /multiSteps: everyK must be an integer >= 1, got 0/);
});

const pe = fixture.per_example;
for (const [label, run] of [
  ['global', (g: { a: NdArray; b: NdArray }, c: number) => optim.perExampleGlobalNormClip(g, c)],
  ['layer_uniform', (g: { a: NdArray; b: NdArray }, c: number) => optim.perExampleLayerNormClip(g, c)],
  ['layer_sized', (g: { a: NdArray; b: NdArray }, c: number) => optim.perExampleLayerNormClip(g, c, false)],
] as const) {
  test(`perExample ${label} clip: clipped sums and counts as optax`, async () => {
    for (const [clip, ref] of Object.entries(pe[label])) {
      const [sums, counts] = run({ a: np.array(pe.a), b: np.array(pe.b) }, Number(clip));
      assert.equal(sums.b.shape, [2, 2]);
      allClose(await leafValuesFlat(sums), [...ref.a, ...ref.b.flat()], { rtol: 1e-5, atol: 1e-6 }, `clip ${clip}`);
      assert.equal(await leafValuesFlat(counts), [ref.num_clipped].flat(), `clip ${clip}: counts`);
    }
  });
}

test('perExampleGlobalNormClip / perExampleLayerNormClip: optax\'s docstring examples; batch-axis error', async () => {
  const g = () => [np.array([[0, 0, 0], [0, 3, 4], [4, 0, 3], [3, 4, 0]], 'int32')];
  for (const [clip, sum, n] of [[Infinity, 7, 0], [0, 0, 3], [1.25, 1.75, 3]] as const) {
    const [s, c] = optim.perExampleGlobalNormClip(g(), clip);
    assert.is(s[0].dtype, 'float32');
    allClose(await leafValuesFlat([...s, c]), [sum, sum, sum, n], { rtol: 1e-6, atol: 1e-6 }, `global ${clip}`);
    const [ls, lc] = optim.perExampleLayerNormClip(g(), clip);
    allClose(await leafValuesFlat([ls, lc]), [sum, sum, sum, n], { rtol: 1e-6, atol: 1e-6 }, `layer ${clip}`);
  }
  assert.throws(() => optim.perExampleGlobalNormClip({ a: np.zeros([3, 2]), b: np.zeros([2]) }, 1), /perExampleGlobalNormClip: expects every leaf of grads to have the same batch dimension on axis 0, got shapes \[3, 2\], \[2\]/);
});

const op = fixture.optimistic;
const optimisticOpts: Record<string, () => optim.GradientTransformation> = {
  'v1_lr0.05': () => optim.optimisticAdam({ learningRate: 0.05 }),
  'v1_lr0.05_optimism0.2': () => optim.optimisticAdam({ learningRate: 0.05, optimism: 0.2 }),
  'v2_lr0.1_alpha0.5_beta0.8_epsroot1e-6': () => optim.optimisticAdamV2({ learningRate: 0.1, alpha: 0.5, beta: 0.8, epsRoot: 1e-6 }),
};
for (const [name, c] of Object.entries(op.cases)) {
  test(`${name}: trajectory as optax (quadratic with noise)`, async () => {
    const opt = optimisticOpts[name]();
    let x = x0();
    let s = opt.init(x);
    for (let k = 0; k < c.params.length; k++) {
      const [d, t, n] = [toTree(op.d), toTree(op.t), toTree(op.noise[k])];
      const g: P = { b: np.add(np.mul(d.b, np.sub(x.b, t.b)), n.b), w: np.add(np.mul(d.w, np.sub(x.w, t.w)), n.w) };
      const [u, next] = opt.update(g, s, x);
      [x, s] = [optim.applyUpdates(x, u), next];
      allClose(await leafValuesFlat(x), c.params[k], { rtol: 0, atol: 1e-5 }, `step ${k}`);
    }
  });
}

test('optimisticAdam / optimisticAdamV2 on optax\'s bilinear game x*y: its docstring distances; v1 refuses schedules', async () => {
  const distances = [2.243, 2.195, 2.161, 2.055, 0.796, 0.001];
  for (const opt of [optim.optimisticAdam({ learningRate: 1e-2, optimism: 1 }), optim.optimisticAdamV2({ learningRate: 1, alpha: 1e-2, beta: 1 })]) {
    type Q = [NdArray, NdArray];
    const step = jit((p: Q, s: unknown) => {
      const [u, next] = opt.update([p[1], np.negative(p[0])] as Q, s, p);
      return [optim.applyUpdates(p, u), next, np.hypot(p[0], p[1])] as const;
    });
    let p: Q = [np.array(1), np.array(2)];
    let s = opt.init(p);
    const got: number[] = [];
    for (let i = 0; i <= 1024; i++) {
      const [p2, s2, dist] = step(p, s) as [Q, unknown, NdArray];
      if ([1, 4, 16, 64, 256, 1024].includes(i)) got.push((await dist.data())[0]);
      [p, s] = [p2, s2];
    }
    allClose(got, distances, { rtol: 0, atol: 2e-3 }, 'distances at 4^i');
    step.clearCache();
  }
  assert.throws(() => optim.optimisticAdam({ learningRate: optim.constant(0.1) as unknown as number }), /optimisticAdam: learningRate must be a number/);
});

test.run();
