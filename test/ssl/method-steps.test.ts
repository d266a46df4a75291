/**
 * The methods compose the blocks as the seed composes them (test/fixtures/ssl_method_steps.json,
 * PyTorch 1.13): five tiny methods (simclr, byol, vicreg, barlow, dino) over the fixture's
 * backbone (Linear 12->16, BatchNorm1d, ReLU) built from our layers, with its PyTorch
 * weights (and teacher) loaded through `fromTorch`, run for three SGD steps through
 * `jit(ssl.trainStep(method, optim.sgd(...)))`: the loss of each step, every gradient, and
 * the student's and teacher's state dicts after each step (`toTorch`), relative error
 * max|a - e| / max|e| under 1e-4; DINO's centre used at each step too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, maxAbs, relErrChecker } from './fixtures.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

await useTestBackend();

const fixture = loadFixture<{ cases: any[] }>('ssl_method_steps.json');
const TOL = 1e-4;

/** The fixture's backbone: `fc` Linear 12->16, `bn` BatchNorm1d(16), ReLU (a 16-d embedding). */
function fixtureBackbone() {
  const body = nn.composite('fixture_backbone', { fc: nn.linear({ in: 12, out: 16 }), bn: nn.batchNorm({ features: 16 }) }, (call, x) => np.relu(call('bn', call('fc', x))));
  return { ...body, embeddingDim: 16 };
}

/** Linear-BN-ReLU-Linear with biases: the fixture's projector / predictor (`0`, `1`, `3`). */
const mlp = ssl.head([32, 8]);

const METHODS: Record<string, () => ssl.Method<any, any, any>> = {
  simclr: () => ssl.methods.simclr({ encoder: fixtureBackbone(), projector: mlp, temperature: 0.5 }),
  byol: () => ssl.methods.byol({ encoder: fixtureBackbone(), projector: mlp, predictor: mlp, emaStart: 0.9 }),
  vicreg: () => ssl.methods.vicreg({ encoder: fixtureBackbone(), projector: mlp, simCoeff: 25, stdCoeff: 25, covCoeff: 1 }),
  barlow: () => ssl.methods.barlowTwins({ encoder: fixtureBackbone(), projector: mlp, lambda: 5e-3 }),
  dino: () =>
    ssl.methods.dino({
      encoder: fixtureBackbone(),
      projector: ssl.head([32, 8], { activation: 'gelu', batchNorm: false }),
      numPrototypes: 10,
      studentTemperature: 0.1,
      teacherTemperature: 0.04,
      warmupTeacherSteps: 0,
      centerMomentum: 0.9,
      emaStart: 0.9,
    }),
};

/**
 * The fixture's state dicts in the seed's module layout: a module the teacher copies is a
 * `TeacherStudentWrapper` (`backbone.student.*` / `backbone.teacher.*`).
 */
function seedLayout(student: Record<string, unknown>, teacher: Record<string, unknown> | null): Record<string, unknown> {
  const wrapped = new Set(Object.keys(teacher ?? {}).map((k) => k.split('.')[0]));
  const rename = (entries: Record<string, unknown>, side: string) => Object.entries(entries).map(([k, v]) => [seedName(k, side, wrapped), v]);
  return Object.fromEntries([...rename(student, 'student'), ...rename(teacher ?? {}, 'teacher')]);
}

function seedName(k: string, side: string, wrapped: ReadonlySet<string>): string {
  const [m, ...rest] = k.split('.');
  return wrapped.has(m) ? `${m}.${side}.${rest.join('.')}` : k;
}

const { check, worst } = relErrChecker(TOL);

/**
 * A gradient that is mathematically zero (the bias of a Linear followed by BatchNorm: the
 * normalisation removes it) holds float32 round-off on both sides: it is measured against
 * the scale of its layer's weight gradient.
 */
function gradFloor(name: string, grads: Record<string, unknown>): number | undefined {
  if (!name.endsWith('.bias')) return undefined;
  const w = grads[name.replace(/bias$/, 'weight')];
  return w === undefined ? undefined : maxAbs(w);
}

for (const c of fixture.cases) {
  const make = METHODS[c.method];
  if (!make) continue;
  const test = suite(`ssl method steps: ${c.method}`);
  test(`loss, every gradient, student${c.initial.teacher ? ' and teacher' : ''} after each of ${c.steps.length} jitted SGD steps`, async () => {
    const method = make();
    const dict = Object.fromEntries(Object.entries(seedLayout(c.initial.student, c.initial.teacher)).map(([k, v]) => [k, tf.tensor(v as number[])]));
    let { params, state } = method.fromTorch(dict);
    tf.dispose(Object.values(dict));
    const views = (c.views as number[][][]).map((v) => tf.tensor(v));
    const batch = c.n_local > 0 ? { globalViews: views.slice(0, c.n_global), localViews: views.slice(c.n_global) } : { view1: views[0], view2: views[1] };
    const o = c.optimizer;
    const opt = optim.sgd({ learningRate: o.lr, momentum: o.momentum, weightDecay: o.weight_decay });
    let optState = opt.init(params);
    const wrapped = new Set(Object.keys(c.initial.teacher ?? {}).map((k) => k.split('.')[0]));
    const gradients = jit((p: unknown, s: unknown, b: unknown) => ssl.lossAndGrad(method, p, s, b).grads);
    const step = jit(ssl.trainStep(method, opt));
    for (let s = 0; s < c.steps.length; s++) {
      const ref = c.steps[s];
      const label = `${c.method} step ${s + 1}`;
      // Step 1 uses no centre: ours is zeros there (measured against 1).
      if ('center_used' in ref) await check('center_used', state.center, ref.center_used ?? new Array((state.center as tf.Tensor).size).fill(0), label, ref.center_used === null ? 1 : undefined);
      const grads = gradients(params, state, batch);
      const g = method.toTorch(grads, state);
      for (const [k, v] of Object.entries(ref.grads as Record<string, unknown>)) {
        const name = seedName(k, 'student', wrapped);
        assert.ok(g[name], `gradient of ${k}`);
        await check(`grad ${k}`, g[name], v, label, gradFloor(k, ref.grads));
      }
      tf.dispose([...Object.values(g), ...tensorsIn(grads)]);
      const r = step(params, state, optState, batch);
      disposeExcept([params, state, optState], r);
      ({ params, state, optState } = r);
      await check('loss', r.metrics.loss, ref.loss, label);
      tf.dispose(tensorsIn(r.metrics));
      const after = method.toTorch(params, state);
      for (const [k, v] of Object.entries(seedLayout(ref.student_after, ref.teacher_after ?? null))) {
        assert.ok(after[k], `state entry ${k}`);
        await check(`after ${k}`, after[k], v, label);
      }
      tf.dispose(Object.values(after));
    }
    assert.is(step.cacheSize(), 1, 'one trace for the three steps');
    tf.dispose([...tensorsIn([params, state, optState]), ...views]);
  });
  test.run();
}

const Report = suite('ssl method steps: report');
Report('worst relative error per quantity (all under 1e-4)', () => {
  const groups: Record<string, number> = {};
  for (const [k, v] of Object.entries(worst)) {
    const g = k.startsWith('grad ') ? 'grads' : k.startsWith('after ') ? (/running_/.test(k) ? 'running stats after step' : 'params after step') : k;
    groups[g] = Math.max(groups[g] ?? 0, v);
  }
  console.log(`  summary: ${Object.entries(groups).map(([k, v]) => `${k} ${v.toExponential(2)}`).join('; ')}`);
  assert.ok(Object.keys(worst).length > 0 && Object.values(worst).every((v) => v < TOL));
});
Report.run();
