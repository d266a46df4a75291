/**
 * optax's L-BFGS and line searches: lbfgs / scaleByLbfgs, scaleByZoomLinesearch,
 * scaleByBacktrackingLinesearch, valueAndGradFromState, with optax's extra arguments
 * `{ value, grad, valueFn, ...fnArgs }`. Trajectories on Rosenbrock and a 5-d quadratic (split
 * over two leaves) against test/fixtures/optax_lbfgs.json (tools/optax-lbfgs.py: optax's
 * algorithm in float64 numpy): the iterate after each of 10 steps within 1e-4 relative, and the
 * same number of line-search trials per step; convergence on Rosenbrock; optax's docstring outputs.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, type NdArray, valueAndGrad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { leafValuesFlat, scopedTests } from './common.js';

const backend = await useTestBackend();

interface Step {
  params: number[];
  value: number;
  stepsize: number;
  linesearch_steps: number;
}
const fixture: {
  rosenbrock_x0: number[];
  quadratic_x0: number[];
  quadratic_A: number[][];
  quadratic_b: number[];
  cases: Record<string, Step[]>;
  lbfgs_rosenbrock_steps_to_grad_1e_3: number;
} = JSON.parse(readFileSync(new URL('../fixtures/optax_lbfgs.json', import.meta.url), 'utf8'));

type Quad = { a: NdArray; b: NdArray };
const rosenbrock = (x: NdArray) => {
  const head = np.index(x, np.slice(null, -1));
  const tail = np.index(x, np.slice(1, null));
  return np.sum(np.add(np.mul(100, np.square(np.sub(tail, np.square(head)))), np.square(np.sub(1, head))));
};
const quadratic = (p: Quad) => {
  const x = np.concatenate([p.a, p.b]);
  return np.sub(np.mul(0.5, np.dot(x, np.matmul(np.array(fixture.quadratic_A), x))), np.dot(np.array(fixture.quadratic_b), x));
};
const quad0 = (): Quad => ({ a: np.array(fixture.quadratic_x0.slice(0, 2)), b: np.array(fixture.quadratic_x0.slice(2)) });

/** The optimiser each fixture case was computed with. */
function build(name: string): optim.GradientTransformation {
  switch (name) {
    case 'lbfgs_rosenbrock':
      return optim.lbfgs();
    case 'lbfgs_quadratic_m3':
      return optim.lbfgs({ memorySize: 3 });
    case 'lbfgs_quadratic_noscale':
      return optim.lbfgs({ scaleInitPrecond: false });
    case 'sgd_zoom_rosenbrock':
      return optim.chain(optim.sgd({ learningRate: 1 }), optim.scaleByZoomLinesearch({ maxLinesearchSteps: 15 }));
    case 'sgd_backtracking_rosenbrock':
      return optim.chain(optim.sgd({ learningRate: 1 }), optim.scaleByBacktrackingLinesearch({ maxBacktrackingSteps: 60 }));
    case 'sgd_backtracking_quadratic':
      return optim.chain(optim.sgd({ learningRate: 1 }), optim.scaleByBacktrackingLinesearch({ maxBacktrackingSteps: 30, slopeRtol: 0.3, decreaseFactor: 0.5, maxLearningRate: 2 }));
  }
  throw new Error(`no builder for fixture case ${name}`);
}

/** The line search's sub-state: the last entry of the chain's state. */
const linesearchState = (s: unknown) => (s as unknown[])[(s as unknown[]).length - 1] as { learningRate: NdArray; info: { numLinesearchSteps: NdArray } };

/** Steps `opt` from the start point, computing value and gradient afresh each step. */
function* trajectory<P>(opt: optim.GradientTransformation, f: (p: P) => NdArray, params0: P, steps: number, jitted = false) {
  const body = (p: P, s: unknown) => {
    const [value, grad] = valueAndGrad(f)(p);
    const [u, ns] = opt.update(grad, s, p, { value, grad, valueFn: f });
    return [optim.applyUpdates(p, u), ns] as const;
  };
  const step = jitted ? jit(body) : body;
  let params = params0;
  let state = opt.init(params);
  for (let k = 0; k < steps; k++) {
    [params, state] = step(params, state) as [P, unknown];
    yield [params, state] as const;
  }
}

const test = suite(`optim: optax L-BFGS and line searches [${backend}]`);
scopedTests(test);

/**
 * The steps compared: all 10 on Rosenbrock; 8 on the quadratic, whose value is then within 2e-6
 * (relative) of its minimum, where float32 values no longer order the trial points as float64's do.
 */
const compared = (name: string, steps: Step[]) => (name.includes('quadratic') ? steps.slice(0, 8) : steps);

for (const [name, all] of Object.entries(fixture.cases)) {
  const steps = compared(name, all);
  test(`${name}: the iterate after each of ${steps.length} steps within 1e-4 (relative), same line-search trials, stepsize within 1%`, async () => {
    const opt = build(name);
    const rosen = name.includes('rosenbrock');
    const run = rosen ? trajectory(opt, rosenbrock, np.array(fixture.rosenbrock_x0), steps.length) : trajectory(opt, quadratic, quad0(), steps.length);
    let k = 0;
    for (const [params, state] of run) {
      const got = await leafValuesFlat(params);
      const want = steps[k].params;
      const scale = Math.max(1, ...want.map(Math.abs));
      const err = Math.max(...got.map((g, i) => Math.abs(g - want[i]))) / scale;
      assert.ok(err <= 1e-4, `${name} step ${k + 1}: ${got} vs ${want} (relative error ${err})`);
      const ls = linesearchState(state);
      assert.is(ls.info.numLinesearchSteps.dataSync()[0], steps[k].linesearch_steps, `${name} step ${k + 1}: line-search trials`);
      const lr = ls.learningRate.dataSync()[0];
      // Interpolated steps rest on differences of nearby float32 values: 1% (a wrong rule is off by far more: 1 vs 0.068 at Rosenbrock's step 9).
      assert.ok(Math.abs(lr - steps[k].stepsize) <= 1e-2 * steps[k].stepsize, `${name} step ${k + 1}: stepsize ${lr} vs ${steps[k].stepsize}`);
      k++;
    }
    assert.is(k, steps.length);
  });
}

test('lbfgs converges on Rosenbrock: ‖x − (1, 1)‖ < 1e-3 within 5 steps of optax\'s float64 count', async () => {
  const n = fixture.lbfgs_rosenbrock_steps_to_grad_1e_3;
  let x: number[] = [];
  let steps = 0;
  for (const [params] of trajectory(optim.lbfgs(), rosenbrock, np.array(fixture.rosenbrock_x0), n + 5)) {
    x = await leafValuesFlat(params);
    steps++;
    if (Math.hypot(x[0] - 1, x[1] - 1) < 1e-3) break;
  }
  assert.ok(Math.hypot(x[0] - 1, x[1] - 1) < 1e-3, `lbfgs ended at ${x} after ${steps} steps`);
  assert.ok(steps >= n - 5, `converged in ${steps} steps, optax (float64) takes ${n}`);
});

test('lbfgs under jit: the same iterates as eagerly', async () => {
  const eager = [...trajectory(optim.lbfgs({ memorySize: 3 }), quadratic, quad0(), 4)].map(([p]) => p);
  const jitted = [...trajectory(optim.lbfgs({ memorySize: 3 }), quadratic, quad0(), 4, true)].map(([p]) => p);
  for (let k = 0; k < 4; k++) {
    const [a, b] = [await leafValuesFlat(eager[k]), await leafValuesFlat(jitted[k])];
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5, `step ${k + 1}: ${a} vs ${b}`));
  }
});

test("optax's docstring: lbfgs with valueAndGradFromState on sum(x²) from [1, 2, 3] gives 7.52, then 7.46e-14", async () => {
  const f = (x: NdArray) => np.sum(np.square(x));
  const solver = optim.lbfgs();
  const vg = optim.valueAndGradFromState(f);
  let params: NdArray = np.array([1, 2, 3]);
  let state: unknown = solver.init(params);
  const values: number[] = [];
  for (let k = 0; k < 2; k++) {
    const [value, grad] = vg(params, { state });
    const [u, s]: [NdArray, unknown] = solver.update(grad, state, params, { value, grad, valueFn: f });
    [params, state] = [optim.applyUpdates(params, u), s];
    values.push(f(params).dataSync()[0]);
  }
  assert.ok(Math.abs(values[0] - 7.5167) < 1e-3, `first value ${values[0]}`);
  assert.ok(values[1] < 1e-10, `second value ${values[1]}`);
});

test("optax's docstrings: backtracking (storeGrad, reused by valueAndGradFromState) and extra arguments passed to valueFn", async () => {
  const f = (x: NdArray) => np.sum(np.square(x));
  const solver: optim.GradientTransformation = optim.chain(optim.sgd({ learningRate: 1 }), optim.scaleByBacktrackingLinesearch({ maxBacktrackingSteps: 15, storeGrad: true }));
  const vg = optim.valueAndGradFromState(f);
  let params: NdArray = np.array([1, 2, 3]);
  let state: unknown = solver.init(params);
  const got: number[] = [];
  for (let k = 0; k < 5; k++) {
    const [value, grad] = vg(params, { state });
    const [u, s]: [NdArray, unknown] = solver.update(grad, state, params, { value, grad, valueFn: f });
    [params, state] = [optim.applyUpdates(params, u), s];
    got.push(f(params).dataSync()[0]);
  }
  [5.04, 1.81, 0.653, 0.235, 0.0847].forEach((v, k) => assert.ok(Math.abs(got[k] - v) <= 0.005 * v, `step ${k + 1}: ${got[k]} vs optax ${v}`));

  // fn(params, x, y) in optax; here valueFn(params, { x, y }) with x, y among the extra arguments.
  const fn = (p: NdArray, { x, y }: Readonly<Record<string, unknown>>) => np.mul(0.5, np.square(np.sub(np.dot(x as NdArray, p), y as NdArray)));
  const x = np.array([3, 2, 1]);
  const y = np.array(0);
  const bt: optim.GradientTransformation = optim.chain(optim.sgd({ learningRate: 1 }), optim.scaleByBacktrackingLinesearch({ maxBacktrackingSteps: 15 }));
  params = np.array([1, 2, 3]);
  state = bt.init(params);
  const vals: number[] = [];
  for (let k = 0; k < 5; k++) {
    const [value, grad] = valueAndGrad((p: NdArray) => fn(p, { x, y }))(params);
    const [u, s]: [NdArray, unknown] = bt.update(grad, state, params, { value, grad, valueFn: fn, x, y });
    [params, state] = [optim.applyUpdates(params, u), s];
    vals.push(fn(params, { x, y }).dataSync()[0]);
  }
  [38.6, 25.0, 13.4, 5.87, 5.81].forEach((v, k) => assert.ok(Math.abs(vals[k] - v) <= 0.01 * v, `l2 step ${k + 1}: ${vals[k]} vs optax ${v}`));
});

test('the state has optax layout; an ascent direction exhausts the line search and reports its errors', async () => {
  const f = (x: NdArray) => np.sum(np.square(x));
  const zoom = optim.scaleByZoomLinesearch({ maxLinesearchSteps: 5 });
  const p = np.array([1, 2]);
  const s0 = zoom.init(p);
  assert.equal(Array.from(s0.learningRate.dataSync()), [1]);
  assert.is(s0.value.dataSync()[0], Infinity);
  const [value, grad] = valueAndGrad(f)(p);
  // +grad is an ascent direction: no step has sufficient decrease, so all 5 trials run (optax then makes the last trial's step).
  const [, s1] = zoom.update(grad, s0, p, { value, grad, valueFn: f });
  assert.is(s1.info.numLinesearchSteps.dataSync()[0], 5);
  assert.ok(s1.info.decreaseError.dataSync()[0] > 0);
  const lb = optim.scaleByLbfgs({ memorySize: 4 }).init({ w: np.zeros([2, 3]) });
  assert.equal((lb.diffParamsMemory as { w: NdArray }).w.shape, [4, 2, 3]);
  assert.equal(lb.weightsMemory.shape, [4]);
  assert.is(lb.count.dtype, 'int32');
});

test('bad input: one-line errors naming what is missing', () => {
  const p = np.array([1, 2]);
  const g = np.array([2, 4]);
  const zoom = optim.scaleByZoomLinesearch({ maxLinesearchSteps: 5 });
  assert.throws(() => zoom.update(g, zoom.init(p), p), /scaleByZoomLinesearch: update needs the extra arguments \{ value, grad, valueFn \}/);
  assert.throws(() => zoom.update(g, zoom.init(p), p, { grad: g, valueFn: (x: NdArray) => np.sum(x) }), /value/);
  assert.throws(() => optim.scaleByLbfgs({ memorySize: 0 }), /memorySize must be an integer >= 1/);
  assert.throws(() => optim.scaleByZoomLinesearch({ maxLinesearchSteps: 3, initialGuessStrategy: 'half' as 'one' }), /initialGuessStrategy/);
  const bt = optim.scaleByBacktrackingLinesearch({ maxBacktrackingSteps: 3 });
  assert.throws(() => optim.valueAndGradFromState((x: NdArray) => np.sum(x))(p, { state: bt.init(p) }), /value or gradient not found/);
});

test.run();
