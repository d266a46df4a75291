/**
 * The optax habit: every optimiser minimises a parabola and the Rosenbrock function, with
 * gradients from our `grad`, steps under `jit`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { disposeTree } from './common.js';

const backend = await useTestBackend();
const test = suite(`optim: parabola and Rosenbrock [${backend}]`);

const STEPS = 2000;
const target = np.array([1, -1, 1]);
/** sum((x - [1, -1, 1])^2), minimum 0 at [1, -1, 1]; optax's parabola. */
const parabola = (x: NdArray) => np.sum(np.square(np.sub(x, target)));
/** (1 - a)^2 + 100 (b - a^2)^2, minimum 0 at [1, 1]. */
const rosenbrock = (x: NdArray) => {
  const a = np.sliceAxis(x, 0, 0, 1);
  const b = np.sliceAxis(x, 0, 1, 2);
  return np.sum(np.add(np.mul(np.square(np.sub(b, np.square(a))), 100), np.square(np.sub(1, a))));
};

const cosine = (init: number) => optim.cosineDecay({ init, decaySteps: STEPS });
/** [optimiser for the parabola, optimiser for Rosenbrock]. */
const cases: Record<string, [optim.GradientTransformation, optim.GradientTransformation]> = {
  sgd: [optim.sgd({ learningRate: 0.1 }), optim.sgd({ learningRate: 2e-3 })],
  'sgd momentum': [optim.sgd({ learningRate: 0.05, momentum: 0.9 }), optim.sgd({ learningRate: 1e-3, momentum: 0.9 })],
  'sgd nesterov': [optim.sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true }), optim.sgd({ learningRate: 1e-3, momentum: 0.9, nesterov: true })],
  adam: [optim.adam({ learningRate: 0.1 }), optim.adam({ learningRate: 0.02 })],
  adamw: [optim.adamw({ learningRate: 0.1, weightDecay: 1e-4 }), optim.adamw({ learningRate: 0.02, weightDecay: 1e-4 })],
  lars: [optim.lars({ learningRate: cosine(1), trustCoefficient: 0.05 }), optim.lars({ learningRate: cosine(1), trustCoefficient: 0.002 })],
};

function minimise(f: (x: NdArray) => NdArray, opt: optim.GradientTransformation, x0: number[]): { start: number; end: number; x: number[] } {
  const step = jit((x: NdArray, s: unknown) => {
    const [u, ns] = opt.update(grad(f)(x), s, x);
    return [optim.applyUpdates(x, u), ns] as const;
  });
  let x = np.array(x0) as NdArray;
  let s = scope(() => opt.init(x));
  const start = scope(() => (f(x) as tf.Tensor).dataSync()[0]);
  for (let i = 0; i < STEPS; i++) {
    const [x2, s2] = step(x, s);
    disposeTree([x, s]);
    [x, s] = [x2, s2];
  }
  const end = scope(() => (f(x) as tf.Tensor).dataSync()[0]);
  const out = Array.from((x as tf.Tensor).dataSync());
  disposeTree([x, s]);
  step.clearCache();
  return { start, end, x: out };
}

for (const [name, [forParabola, forRosenbrock]] of Object.entries(cases)) {
  test(`${name} minimises the parabola`, () => {
    const r = minimise(parabola, forParabola, [-1, 10, 1]);
    assert.ok(r.end < 1e-6 * r.start, `loss ${r.start} -> ${r.end}`);
    // The third coordinate starts at its optimum: its gradients are float32 rounding, and Adam's
    // normalised steps turn them into a limit cycle of a few 1e-3 (torch's float32 AdamW ends 1.5e-4
    // to 2e-4 off under 1e-7 changes of lr; ours 0.5e-3 to 2.4e-3, old or exact bias corrections).
    allClose(r.x.slice(0, 2), [1, -1], { atol: 1e-3, rtol: 0 });
    assert.ok(Math.abs(r.x[2]! - 1) <= (name.startsWith('adam') ? 5e-3 : 1e-3), `x[2] = ${r.x[2]}`);
  });
  test(`${name} minimises the Rosenbrock function`, () => {
    const r = minimise(rosenbrock, forRosenbrock, [0, 0]);
    assert.ok(r.end < 1e-2 * r.start, `loss ${r.start} -> ${r.end}`);
    // Plain SGD crawls along the valley (lr is capped by the curvature): it gets closer, not there.
    allClose(r.x, [1, 1], { atol: name === 'sgd' ? 0.15 : 1e-2, rtol: 0 });
  });
}

test.run();
