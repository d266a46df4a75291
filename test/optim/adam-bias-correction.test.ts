/**
 * Adam's bias corrections `1 - b^t` to float32 rounding, as torch computes them (in float64):
 * float32's 0.999 is 1.3e-5 off in `1 - b2`, which made the first AdamW steps 7e-6 (relative)
 * smaller than torch's. With a constant gradient g, torch's bias-corrected moments are exactly
 * `m̂ = g`, `v̂ = g²`, so every step's update is `-lr g / (|g| + eps)`: the reference here is that
 * closed form (no fixture).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`adam bias correction [${backend}]`);

const G = [3, -0.5, 1e-3, -2e-6];
const LR = 0.05;
const EPS = 1e-8;
// 1e-6 relative to the update's 0.05: the float32 moments take one rounding (6e-8 relative) per
// step, twelve steps here; the float32 bias corrections were 3.3e-7 (b2 0.999) and 4e-6 (0.9999) off.
const TOL = 5e-8;

for (const [name, make] of [
  ['adam', () => optim.adam({ learningRate: LR, eps: EPS })],
  ['adamw', () => optim.adamw({ learningRate: LR, eps: EPS, weightDecay: 0 })],
  ['adam b2 0.9999', () => optim.adam({ learningRate: LR, eps: EPS, b1: 0.8, b2: 0.9999 })],
  ['adam amsgrad', () => optim.adam({ learningRate: LR, eps: EPS, amsgrad: true })],
  // torch's Adamax: m / (1 - b1^t) over max(b2 u, |g| + eps), the same closed form.
  ['adamax b1 0.999', () => optim.adamax({ learningRate: LR, eps: EPS, b1: 0.999 })],
] as const) {
  test(`${name}: a constant gradient gives -lr g / (|g| + eps) at every step, eagerly and under jit`, () => {
    const opt: optim.GradientTransformation = make();
    const expected = G.map((g) => (-LR * g) / (Math.abs(g) + EPS));
    for (const stepFn of [opt.update, jit(opt.update)]) {
      const params = { w: np.zeros([G.length]) };
      let state = opt.init(params);
      for (let t = 1; t <= 12; t++) {
        const [u, next] = stepFn({ w: np.array(G) }, state, params) as [{ w: np.NdArray }, unknown];
        state = next;
        const got = Array.from(u.w.dataSync());
        const err = Math.max(...got.map((v, i) => Math.abs(v - expected[i])));
        assert.ok(err <= TOL, `${name} step ${t}: max |update - (-lr g / (|g| + eps))| = ${err}`);
      }
    }
  });
}

test('optax bias_correction: m / (1 - decay^count) to float32 rounding', () => {
  for (const [decay, count] of [[0.999, 1], [0.9999, 3], [0.9, 1]] as const) {
    const got = optim.tree.biasCorrection({ m: np.array([1]) }, decay, np.array(count, 'int32')) as { m: np.NdArray };
    const expected = 1 / (1 - decay ** count);
    const rel = Math.abs(got.m.dataSync()[0] - expected) / expected;
    assert.ok(rel < 3e-7, `decay ${decay} count ${count}: relative error ${rel}`);
  }
});

test.run();
