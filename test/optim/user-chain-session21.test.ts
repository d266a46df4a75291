/**
 * A user's optax-style chain, end to end under `jit`: `multiSteps` (every 2 calls, mean) of
 * `multiTransform` ({ lin: chain(clipByGlobalNorm(1), adamw(warmupCosineDecay, wd 0.1 masked off
 * the bias)), frozen: setToZero }), 8 calls on `0.25 sum w^4 + 0.5 sum (b - 1)^2 + sum f^2`.
 * Expected numbers: tools/optim-user-chain-session21.py (optax's formulas in float64 NumPy);
 * measured error about 6e-8, asserted 1e-6.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, valueAndGrad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`optim: a user's composed chain [${backend}]`);

type P = { lin: { w: NdArray; b: NdArray }; frozen: { w: NdArray } };
const loss = (p: P) =>
  np.add(np.add(np.mul(0.25, np.sum(np.power(p.lin.w, 4))), np.mul(0.5, np.sum(np.square(np.sub(p.lin.b, 1))))), np.sum(np.square(p.frozen.w)));

test('multiSteps(multiTransform(clip + masked adamw with warmup-cosine, setToZero)) is optax\'s', async () => {
  const lr = optim.warmupCosineDecay({ init: 0, peak: 0.1, warmupSteps: 2, decaySteps: 10, end: 0.001 });
  const inner = optim.chain(optim.clipByGlobalNorm(1), optim.adamw({ learningRate: lr, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.1, mask: optim.maskNoDecayOnBiasAndNorm }));
  const opt = optim.multiSteps(optim.multiTransform({ train: inner, frozen: optim.setToZero() }, { lin: 'train', frozen: 'frozen' }), 2);
  let params: P = { lin: { w: np.array([[0.5, -1.5, 2.0], [1.0, 0.3, -0.7]]), b: np.array([0.0, 2.0, -1.0]) }, frozen: { w: np.array([1.0, 2.0]) } };
  let state = opt.init(params);
  const step = jit((p: P, s: typeof state) => {
    const [, g] = valueAndGrad(loss)(p);
    const [u, s2] = opt.update(g, s, p);
    return [optim.applyUpdates(p, u), s2] as const;
  });
  for (let i = 0; i < 8; i++) [params, state] = step(params, state) as [P, typeof state];
  const w = [0.25156905930054424, -1.2195701653883901, 1.7068548894707014, 0.7331353746239441, 0.06653484974360904, -0.44280206733022265];
  const b = [0.2467505327845106, 1.7532494672154895, -0.7530500001937239];
  allClose(Array.from(await params.lin.w.data()), w, { atol: 1e-6, rtol: 0 });
  allClose(Array.from(await params.lin.b.data()), b, { atol: 1e-6, rtol: 0 });
  assert.equal(Array.from(await params.frozen.w.data()), [1, 2]);
});

test.run();
