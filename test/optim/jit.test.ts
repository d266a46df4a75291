/**
 * Optimisers under jit: the same numbers as eager, one trace for every step (the step count
 * and schedules are arrays in the state, not JS values baked in), and no tensor leak.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, scope, valueAndGrad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as tree from '../../lib/tree/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { disposeTree, maxAbsDiff } from './common.js';

const backend = await useTestBackend();
const test = suite(`optim: jit [${backend}]`);

/** Deterministic, varied values (no RNG needed). */
const det = (shape: number[], k: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.array(Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 3.1 * k) * (1 + (i % 3))), 'float32', shape);
};
const makeParams = () => ({ dense: { w: det([4, 3], 0), b: det([3], 1) }, bn: { scale: det([3], 2) }, c: det([2, 2, 2], 3) });
const makeGrads = (k: number) => tree.map((x: tf.Tensor) => det(x.shape, 10 + k), makeParams());

const sched = optim.warmupCosine({ start: 0.01, base: 0.1, final: 0.001, warmupSteps: 2, totalSteps: 6 });
const optimisers: Record<string, () => optim.GradientTransformation> = {
  sgd: () => optim.sgd({ learningRate: 0.1 }),
  'sgd momentum + wd + mask': () => optim.sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, weightDecayMask: optim.maskNoDecayOnBiasAndNorm }),
  'sgd nesterov, warmupCosine lr': () => optim.sgd({ learningRate: sched, momentum: 0.9, nesterov: true }),
  adam: () => optim.adam({ learningRate: 1e-2 }),
  'adamw, cosine lr': () => optim.adamw({ learningRate: optim.cosineDecay({ init: 1e-2, decaySteps: 5 }), weightDecay: 0.05 }),
  lars: () => optim.lars({ learningRate: 0.3, weightDecay: 1e-4 }),
  'lars clip, scheduled lr': () => optim.lars({ learningRate: sched, weightDecay: 1e-4, clip: true, trustCoefficient: 0.5 }),
  'clip + adam': () => optim.chain(optim.clipByGlobalNorm(1), optim.scaleByAdam(), optim.scaleByLearningRate(1e-3)),
  ema: () => optim.ema(0.9),
};

for (const [name, make] of Object.entries(optimisers)) {
  test(`${name}: jitted updates equal eager ones, traced once for 5 steps`, async () => {
    const opt = make();
    let traces = 0;
    const body = (g: unknown, s: unknown, p: unknown) => {
      const [u, ns] = opt.update(g, s, p);
      return [optim.applyUpdates(p, u), ns];
    };
    const jstep = jit((g: unknown, s: unknown, p: unknown) => {
      traces++;
      return body(g, s, p);
    });
    let pe: unknown = makeParams();
    let pj: unknown = makeParams();
    let se = scope(() => opt.init(pe));
    let sj = scope(() => opt.init(pj));
    for (let k = 0; k < 5; k++) {
      const g = makeGrads(k);
      const [pe2, se2] = scope(() => body(g, se, pe));
      const [pj2, sj2] = jstep(g, sj, pj);
      disposeTree([g, pe, se, pj, sj]);
      [pe, se, pj, sj] = [pe2, se2, pj2, sj2];
      const dp = await maxAbsDiff(pe, pj);
      const ds = await maxAbsDiff(se, sj);
      assert.ok(dp <= 1e-6, `step ${k}: params differ by ${dp}`);
      assert.ok(ds <= 1e-6, `step ${k}: states differ by ${ds}`);
    }
    assert.is(traces, 1, 'one trace');
    assert.is(jstep.cacheSize(), 1);
    disposeTree([pe, se, pj, sj]);
    jstep.clearCache();
  });
}

test('a jitted training step (valueAndGrad + update + applyUpdates) holds tensors flat over 100 steps', () => {
  const x = det([8, 4], 5);
  const y = det([8, 3], 6);
  const loss = (p: { dense: { w: NdArray; b: NdArray } }) => np.mean(np.square(np.sub(np.add(np.matmul(x, p.dense.w), p.dense.b), y)));
  const opt = optim.chain(
    optim.clipByGlobalNorm(10),
    optim.sgd({ learningRate: optim.warmupCosine({ start: 0.01, base: 0.1, final: 0, warmupSteps: 10, totalSteps: 100 }), momentum: 0.9, weightDecay: 1e-4 }),
  );
  let traces = 0;
  const step = jit((p: { dense: { w: NdArray; b: NdArray } }, s: optim.StateOf<typeof opt>) => {
    traces++;
    const [l, g] = valueAndGrad(loss)(p);
    const [u, ns] = opt.update(g, s, p);
    return [optim.applyUpdates(p, u), ns, l] as const;
  });
  let params = { dense: { w: det([4, 3], 7), b: det([3], 8) } };
  let state = scope(() => opt.init(params));
  let baseline = 0;
  const losses: number[] = [];
  for (let i = 0; i < 100; i++) {
    const [p, s, l] = step(params, state);
    disposeTree([params, state]);
    params = p as typeof params;
    state = s;
    losses.push((l as tf.Tensor).dataSync()[0]);
    (l as tf.Tensor).dispose();
    if (i === 1) baseline = tf.memory().numTensors;
    if (i > 1) assert.is(tf.memory().numTensors, baseline, `tensor count grew at step ${i}`);
  }
  assert.is(traces, 1);
  assert.ok(losses[99] < 0.5 * losses[0], `loss ${losses[0]} -> ${losses[99]}`);
  disposeTree([params, state, x, y]);
  step.clearCache();
});

test('a new tree structure or shape retraces; a new step count or lr value does not', () => {
  const opt = optim.sgd({ learningRate: optim.linear({ init: 1, end: 0, steps: 10 }), momentum: 0.5 });
  let traces = 0;
  const f = jit((g: unknown, s: unknown, p: unknown) => {
    traces++;
    return opt.update(g, s, p);
  });
  const p1 = { w: np.ones([2]) };
  let s1 = opt.init(p1);
  for (let i = 0; i < 3; i++) {
    const [u, s] = f(p1, s1, p1);
    disposeTree([u, s1]);
    s1 = s;
  }
  assert.is(traces, 1);
  const p2 = { w: np.ones([3]) };
  disposeTree(f(p2, opt.init(p2), p2));
  assert.is(traces, 2);
  disposeTree([p1, p2, s1]);
  f.clearCache();
});

test.run();
