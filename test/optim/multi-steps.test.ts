/**
 * multiSteps (optax's `MultiSteps`): every k-th call runs the inner optimiser on the mean of the
 * last k updates, the calls between return zeros and keep the inner state; k = 1 is the inner
 * optimiser; one trace under jit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { type SmallParams, leafValuesFlat, scopedTests, smallParams0 } from './common.js';

const backend = await useTestBackend();
const test = suite(`optim: multiSteps [${backend}]`);

const leavesOf = leafValuesFlat;
scopedTests(test);

type P = SmallParams;
const params0 = smallParams0;
const gradAt = (i: number): P => ({ w: np.array([0.1 * (i + 1), -0.3 * i, 0.2]), b: np.array([0.05 * i - 0.1]) });
const meanOf = (gs: P[]): P => tree.map<P>((...ls: tf.Tensor[]) => np.div(ls.reduce<NdArray>((a, b) => np.add(a, b), np.zerosLike(ls[0])), ls.length), gs[0], ...gs.slice(1));

test('every 3rd call steps the inner optimiser on the mean of 3 gradients; the others change nothing', async () => {
  const inner = optim.sgd({ learningRate: 0.5, momentum: 0.9 });
  const opt = optim.multiSteps(inner, 3);
  let p = params0();
  let s = opt.init(p);
  let ref = params0();
  let refState = inner.init(ref);
  for (let i = 0; i < 6; i++) {
    const before = await leavesOf(p);
    const [u, next] = opt.update(gradAt(i), s, p);
    p = optim.applyUpdates(p, u);
    s = next;
    if (i % 3 !== 2) {
      assert.equal(await leavesOf(u), [0, 0, 0, 0], `call ${i}: zero updates`);
      assert.equal(await leavesOf(p), before, `call ${i}: parameters unchanged`);
      continue;
    }
    const [ru, rs] = inner.update(meanOf([gradAt(i - 2), gradAt(i - 1), gradAt(i)]), refState, ref);
    ref = optim.applyUpdates(ref, ru);
    refState = rs;
    allClose(await leavesOf(p), await leavesOf(ref), { rtol: 1e-6, atol: 1e-7 }, `call ${i}: the inner step on the mean`);
    allClose(await leavesOf(s.innerOptState), await leavesOf(refState), { rtol: 1e-6, atol: 1e-7 }, `call ${i}: the inner state`);
  }
  assert.equal(await leavesOf([s.miniStep, s.gradientStep]), [0, 2]);
  assert.equal(await leavesOf(s.accGrads), [0, 0, 0, 0]);
});

test('everyK = 1 is the inner optimiser; under jit one trace serves every call, equal to eager', async () => {
  const inner = optim.adam({ learningRate: 0.1 });
  const one = optim.multiSteps(inner, 1);
  const [u1] = one.update(gradAt(0), one.init(params0()), params0());
  const [u0] = inner.update(gradAt(0), inner.init(params0()), params0());
  assert.equal(await leavesOf(u1), await leavesOf(u0));
  const opt = optim.multiSteps(inner, 2);
  let traces = 0;
  const step = jit((g: P, s: optim.MultiStepsState<unknown>, p: P) => {
    traces++;
    const [u, next] = opt.update(g, s, p);
    return [optim.applyUpdates(p, u), next] as const;
  });
  let [pj, sj] = [params0(), opt.init(params0())] as [P, optim.MultiStepsState<unknown>];
  let [pe, se] = [params0(), opt.init(params0())] as [P, optim.MultiStepsState<unknown>];
  for (let i = 0; i < 5; i++) {
    [pj, sj] = step(gradAt(i), sj, pj) as [P, optim.MultiStepsState<unknown>];
    const [ue, ne] = opt.update(gradAt(i), se, pe);
    [pe, se] = [optim.applyUpdates(pe, ue), ne];
  }
  assert.is(traces, 1);
  allClose(await leavesOf(pj), await leavesOf(pe), { rtol: 1e-6, atol: 1e-7 }, 'jit vs eager');
  assert.equal(await leavesOf([sj.miniStep, sj.gradientStep]), [1, 2]);
  step.clearCache();
});

test('errors', () => {
  assert.throws(() => optim.multiSteps(optim.sgd({ learningRate: 1 }), 0), /multiSteps: everyK must be an integer >= 1, got 0/);
  assert.throws(() => optim.multiSteps(optim.sgd({ learningRate: 1 }), 1.5), /multiSteps: everyK must be an integer >= 1, got 1.5/);
});

test.run();
