/**
 * torch.optim options as PyTorch users pass them, against torch 1.13
 * (test/fixtures/torch_optim_session15.json and torch_lbfgs_session15.json, from
 * tools/torch-optim-session15.py): SGD's `dampening` and `maximize`, Adam / AdamW `amsgrad`,
 * `betas` and `maximize`, Adagrad, Adadelta, Adamax, RMSprop and Rprop (`etas`, `step_sizes`)
 * with `maximize`, RAdam, ASGD and its average `ax`, LBFGS (fixed step and strong Wolfe),
 * param_groups as `multiTransform`, and swa_utils (AveragedModel, SWALR).
 *
 * The problem is small and real: the gradients come from the parameters through
 * loss(p) = sum 0.5 a (p - t)^2 + 0.025 p^4, here by `grad`, in torch by autograd (with
 * `maximize`, both climb -loss). Ten steps each; the parameters after every step within
 * TOL = 1e-5. Defence of the tolerance: both sides compute in float32 (eps 1.2e-7) on values
 * of order 1, and ten steps of a contracting iteration keep the accumulated rounding to a few
 * ulps (measured 5e-9 to 4e-6 on cpu and wasm; the largest are Adam's, whose first steps are
 * about g / |g| and so sensitive to rounding where a gradient nears zero); a missing option
 * (dampening, amsgrad, betas, maximize) moves them far beyond TOL (each was checked to fail).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, scope, valueAndGrad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { disposeTree } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

type Leaves = { w: number[]; b: number[]; c: number[] };
type Hyper = Record<string, unknown>;
interface Case {
  hyper: Hyper;
  params_after_each_step: Leaves[];
  ax_after_each_step?: Leaves[];
}
interface Fixture {
  params0: Leaves;
  curv: Leaves;
  target: Leaves;
  cases: Record<string, Case>;
  swa: Case & { averaged_after_each_step: Leaves[]; n_averaged: number };
  swalr: { lr: number; swa_lr: number; anneal_epochs: number; anneal_strategy: 'cos' | 'linear'; lrs: number[] }[];
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('../fixtures/torch_optim_session15.json', import.meta.url), 'utf8'));
interface LbfgsCase extends Case {
  loss_returned: number[];
  func_evals: number[];
  n_iter: number[];
}
const lbfgsFixture: { cases: Record<string, LbfgsCase> } = JSON.parse(readFileSync(new URL('../fixtures/torch_lbfgs_session15.json', import.meta.url), 'utf8'));

type P = { w: tf.Tensor; b: tf.Tensor; c: tf.Tensor };
const SHAPES = { w: [3, 2], b: [2], c: [2, 2] } as const;
const KEYS = ['w', 'b', 'c'] as const;
const toTensors = (l: Leaves): P => ({ w: tf.tensor(l.w, [...SHAPES.w]), b: tf.tensor(l.b, [...SHAPES.b]), c: tf.tensor(l.c, [...SHAPES.c]) });

const loss = (p: P, a: P, t: P) =>
  KEYS.map((k) => np.sum(np.add(np.mul(np.mul(a[k], np.square(np.sub(p[k], t[k]))), 0.5), np.mul(np.power(p[k], 4), 0.025)))).reduce((x, y) => np.add(x, y));

/** Max |actual - expected| over the three leaves. */
async function maxErr(actual: P, expected: Leaves): Promise<number> {
  let worst = 0;
  for (const k of KEYS) {
    const x = await actual[k].data();
    expected[k].forEach((y, j) => (worst = Math.max(worst, Math.abs(x[j] - y))));
  }
  return worst;
}

const n = (h: Hyper, k: string) => h[k] as number | undefined;
const pair = (h: Hyper, k: string) => (h[k] as [number, number] | undefined) ?? [undefined, undefined];
/** torch's `betas`, passed under torch's name (our `betas` option). */
const betas = (h: Hyper) => h.betas as [number, number] | undefined;

/** Our optimiser for each fixture case, from torch's hyperparameters. */
const builders: Record<string, (h: Hyper) => optim.GradientTransformation> = {
  sgd: (h) => optim.sgd({ learningRate: n(h, 'lr')!, momentum: n(h, 'momentum'), dampening: n(h, 'dampening'), nesterov: h.nesterov as boolean | undefined, weightDecay: n(h, 'weight_decay'), maximize: h.maximize as boolean | undefined }),
  adam: (h) => optim.adam({ learningRate: n(h, 'lr')!, betas: betas(h), eps: n(h, 'eps'), weightDecay: n(h, 'weight_decay'), amsgrad: h.amsgrad as boolean | undefined, maximize: h.maximize as boolean | undefined }),
  adamw: (h) => optim.adamw({ learningRate: n(h, 'lr')!, betas: betas(h), eps: n(h, 'eps'), weightDecay: n(h, 'weight_decay'), amsgrad: h.amsgrad as boolean | undefined, maximize: h.maximize as boolean | undefined }),
  adagrad: (h) => optim.adagrad({ learningRate: n(h, 'lr')!, lrDecay: n(h, 'lr_decay'), weightDecay: n(h, 'weight_decay'), initialAccumulatorValue: n(h, 'initial_accumulator_value'), maximize: h.maximize as boolean | undefined }),
  // torch's default lr is 1.0; ours without a learning rate is optax's (no scaling at all).
  adadelta: (h) => optim.adadelta({ learningRate: n(h, 'lr') ?? 1, rho: n(h, 'rho'), eps: n(h, 'eps'), weightDecay: n(h, 'weight_decay'), maximize: h.maximize as boolean | undefined }),
  adamax: (h) => optim.adamax({ learningRate: n(h, 'lr')!, betas: betas(h), weightDecay: n(h, 'weight_decay'), maximize: h.maximize as boolean | undefined }),
  rmsprop: (h) => optim.rmsprop({ learningRate: n(h, 'lr')!, alpha: n(h, 'alpha'), momentum: n(h, 'momentum'), centered: h.centered as boolean | undefined, weightDecay: n(h, 'weight_decay'), maximize: h.maximize as boolean | undefined }),
  rprop: (h) =>
    optim.rprop({ learningRate: n(h, 'lr')!, etaMinus: pair(h, 'etas')[0], etaPlus: pair(h, 'etas')[1], minStepSize: pair(h, 'step_sizes')[0], maxStepSize: pair(h, 'step_sizes')[1], maximize: h.maximize as boolean | undefined }),
  radam: (h) => optim.radam({ learningRate: n(h, 'lr')!, betas: betas(h), weightDecay: n(h, 'weight_decay') }),
  asgd: (h) => optim.asgd({ learningRate: n(h, 'lr')!, lambd: n(h, 'lambd'), alpha: n(h, 'alpha'), t0: n(h, 't0'), weightDecay: n(h, 'weight_decay'), maximize: h.maximize as boolean | undefined }),
  // torch: SGD([{params: [w, b]}, {params: [c], lr: 0.01, momentum: 0.5}], lr=0.1, momentum=0.9, weight_decay=0.01)
  groups_sgd: () =>
    optim.multiTransform(
      { first: optim.sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 }), second: optim.sgd({ learningRate: 0.01, momentum: 0.5, weightDecay: 0.01 }) },
      { w: 'first', b: 'first', c: 'second' },
    ),
  // torch: AdamW([{params: [w]}, {params: [b, c], lr: 0.01, weight_decay: 0}], lr=0.05, weight_decay=0.1)
  groups_adamw: () =>
    optim.multiTransform({ first: optim.adamw({ learningRate: 0.05, weightDecay: 0.1 }), second: optim.adamw({ learningRate: 0.01, weightDecay: 0 }) }, { w: 'first', b: 'second', c: 'second' }),
};
const builderOf = (name: string) => builders[name.startsWith('groups') ? name : name.split('_')[0]];

const test = suite(`optim: torch.optim options (torch 1.13) [${backend}]`);

test('every fixture case has a builder', () => {
  for (const name of Object.keys(fixture.cases)) assert.ok(builderOf(name), `no builder for ${name}`);
  assert.is(Object.keys(fixture.cases).length, 21);
});

/** Runs `opt` for the fixture's steps; calls `check(step, params, state)` after each. */
async function runSteps(opt: optim.GradientTransformation, maximize: boolean, jitted: boolean, check: (k: number, p: P, s: unknown) => Promise<void>) {
  const [a, t] = [toTensors(fixture.curv), toTensors(fixture.target)];
  const objective = (p: P) => (maximize ? np.neg(loss(p, a, t)) : loss(p, a, t));
  const body = (s: unknown, p: P) => {
    const [u, ns] = opt.update(grad(objective)(p) as P, s, p);
    return [optim.applyUpdates(p, u), ns] as const;
  };
  const step = jitted ? jit(body) : (s: unknown, p: P) => scope(() => body(s, p));
  let params = toTensors(fixture.params0);
  let state = scope(() => opt.init(params));
  for (let k = 0; k < 10; k++) {
    const [p, s] = step(state, params);
    disposeTree([params, state]);
    [params, state] = [p, s];
    await check(k, params, state);
  }
  disposeTree([params, state, a, t]);
  if (jitted) (step as ReturnType<typeof jit>).clearCache();
}

for (const [name, c] of Object.entries(fixture.cases)) {
  for (const jitted of [false, true]) {
    test(`${name}${jitted ? ' (jit)' : ''}: parameters after each of 10 steps within ${TOL}`, async () => {
      const before = tf.memory().numTensors;
      let worst = 0;
      await runSteps(builderOf(name)(c.hyper), c.hyper.maximize === true, jitted, async (k, p, s) => {
        const err = await maxErr(p, c.params_after_each_step[k]);
        worst = Math.max(worst, err);
        assert.ok(err <= TOL, `${name} step ${k + 1}: max error ${err} > ${TOL}`);
        if (c.ax_after_each_step) {
          const axErr = await maxErr(optim.tree.get(s, 'ax') as P, c.ax_after_each_step[k]);
          assert.ok(axErr <= TOL, `${name} step ${k + 1}: ax max error ${axErr} > ${TOL}`);
        }
      });
      if (process.env['TFJAX_VERBOSE']) console.log(`  ${name}${jitted ? ' jit' : ''}: ${worst.toExponential(2)}`);
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    });
  }
}

test('maximize negates the gradients before L2 decay (torch order), and keeps the state layout otherwise', () => {
  const p = { w: np.array([1, -2]) };
  const g = { w: np.array([0.5, 0.25]) };
  const opt = optim.sgd({ learningRate: 0.1, weightDecay: 0.5, maximize: true });
  const [u] = opt.update(g, opt.init(p), p);
  // d = -g + wd p = [-0.5 + 0.5, -0.25 - 1]; u = -lr d
  assert.equal(Array.from(u.w.dataSync()), [0, Math.fround(0.125)]);
  const plain = optim.adam({ learningRate: 0.1 }).init(p) as unknown[];
  assert.is(plain.length, 3, 'adam without maximize: its three-element chain');
  const amsgrad = optim.adam({ learningRate: 0.1, amsgrad: true }).init(p) as [unknown, { nuMax?: unknown }, unknown];
  assert.ok(amsgrad[1].nuMax, 'amsgrad keeps nuMax');
});

test('dampening: the first step is undamped (torch clones d into the buffer)', () => {
  const p = { w: np.array([0]) };
  const opt = optim.sgd({ learningRate: 1, momentum: 0.9, dampening: 0.5 });
  let s = opt.init(p);
  const [u1, s1] = opt.update({ w: np.array([1]) }, s, p);
  const [u2] = opt.update({ w: np.array([1]) }, (s = s1), p);
  assert.equal(Array.from(u1.w.dataSync()), [-1]);
  assert.equal(Array.from(u2.w.dataSync()), [Math.fround(-(0.9 + 0.5))]);
  assert.throws(() => optim.sgd({ learningRate: 1, momentum: 0.9, dampening: 0.1, nesterov: true }), /sgd: nesterov needs momentum > 0 and dampening 0/);
  assert.throws(() => optim.adam({ learningRate: 1, betas: [0.9, 0.99], b1: 0.8 }), /adam: give betas \(torch's name\) or b1 \/ b2, not both/);
  assert.throws(() => optim.nadam({ learningRate: 1, betas: [0.9] as unknown as [number, number] }), /nadam: betas must be a pair \[b1, b2\], got \[0.9\]/);
  assert.throws(() => optim.traceMomentum(0.9, false, 1.5), /traceMomentum: dampening must be in \[0, 1\], got 1.5/);
  assert.throws(() => optim.asgd({ learningRate: 0.1, lambd: -1 }), /asgd: lambd must be a finite number >= 0, got -1/);
  assert.throws(() => optim.asgd({ learningRate: 0.1 }).update({ w: np.array([1]) }, optim.asgd({ learningRate: 0.1 }).init(p)), /asgd: update needs the current parameters/);
});

test("swa_utils.AveragedModel: torch's default average of SGD's iterates, under jit", async () => {
  const c = fixture.swa;
  const swa = optim.averagedModel();
  const opt = optim.sgd({ learningRate: c.hyper.lr as number, momentum: c.hyper.momentum as number });
  let avg = swa.init(toTensors(fixture.params0));
  const update = jit((s: optim.AveragedModelState<P>, p: P) => swa.update(s, p));
  await runSteps(opt, false, false, async (k, p) => {
    assert.ok((await maxErr(p, c.params_after_each_step[k])) <= TOL, `sgd step ${k + 1}`);
    const next = update(avg, p);
    disposeTree(avg);
    avg = next;
    const err = await maxErr(avg.params, c.averaged_after_each_step[k]);
    assert.ok(err <= TOL, `averaged after step ${k + 1}: max error ${err} > ${TOL}`);
  });
  assert.is((await avg.nAveraged.data())[0], c.n_averaged);
  assert.is(avg.nAveraged.dtype, 'int32');
  disposeTree(avg);
  update.clearCache();
});

test('swa_utils.AveragedModel: a custom avgFn (an EMA) and the first update copying exactly', async () => {
  const swa = optim.averagedModel({ avgFn: (a, p) => np.add(np.mul(a, 0.9), np.mul(p, 0.1)) });
  let s = swa.init({ w: np.array([10]) });
  s = swa.update(s, { w: np.array([0.3]) });
  assert.equal(Array.from(await s.params.w.data()), [Math.fround(0.3)]);
  s = swa.update(s, { w: np.array([1.3]) });
  assert.ok(Math.abs((await s.params.w.data())[0] - 0.4) < 1e-6);
});

test('swa_utils.SWALR: the lr of each optimizer step, cos / linear / annealEpochs 0, within 1e-12 (float64) and 1e-6 (float32)', async () => {
  for (const c of fixture.swalr) {
    const s = optim.swaLR({ learningRate: c.lr, swaLr: c.swa_lr, annealEpochs: c.anneal_epochs, annealStrategy: c.anneal_strategy });
    for (const [t, lr] of c.lrs.entries()) {
      assert.ok(Math.abs(s.at(t) - lr) <= 1e-12, `${c.anneal_strategy} anneal ${c.anneal_epochs} step ${t}: ${s.at(t)} vs ${lr}`);
      assert.ok(Math.abs((await s(t).data())[0] - lr) <= 1e-6, `float32 step ${t}`);
    }
  }
  assert.throws(() => optim.swaLR({ learningRate: 0.1, swaLr: 0.01, annealStrategy: 'exp' as 'cos' }), /swaLR: annealStrategy must be 'cos' or 'linear', got exp/);
  assert.throws(() => optim.swaLR({ learningRate: 0.1, swaLr: 0.01, annealEpochs: -1 }), /swaLR: annealEpochs must be an integer >= 0, got -1/);
});

/**
 * LBFGS's tolerance. While the loss still falls, TOL. Once the loss is flat to a few float32
 * ulps (within 1e-5 relative of where torch ends), the strong-Wolfe line search interpolates
 * through `(f1 - f2) / (t1 - t2)` with `f1 - f2` a few ulps of the loss; our loss differs from
 * torch's by an ulp (1.5e-8 at 0.2: another summation order), which moves the interpolated
 * step by about 1% and the parameters by up to |d| * 1% (|d| ~ 3e-3 there): checked to
 * FLAT_TOL = 1e-4 there, and the loss, the well-defined quantity, to 1e-6 relative throughout.
 */
const FLAT_TOL = 1e-4;

for (const [name, c] of Object.entries(lbfgsFixture.cases)) {
  test(`${name}: torch.optim.LBFGS, the parameters and returned loss of each step(closure), and the evaluation counts`, async () => {
    const h = c.hyper;
    const before = tf.memory().numTensors;
    const opt = optim.torchLbfgs({
      learningRate: n(h, 'lr'),
      maxIter: n(h, 'max_iter'),
      maxEval: n(h, 'max_eval'),
      toleranceGrad: n(h, 'tolerance_grad'),
      toleranceChange: n(h, 'tolerance_change'),
      historySize: n(h, 'history_size'),
      lineSearchFn: h.line_search_fn as 'strong_wolfe' | undefined,
    });
    const [a, t] = [toTensors(fixture.curv), toTensors(fixture.target)];
    const closure = jit(valueAndGrad((p: P) => loss(p, a, t)));
    const final = c.loss_returned[c.loss_returned.length - 1];
    let params = toTensors(fixture.params0);
    let state = opt.init(params);
    for (const [k, expected] of c.params_after_each_step.entries()) {
      const [p, s, value] = await opt.step<P>(closure as optim.LbfgsClosure<P>, params, state);
      disposeTree(params);
      [params, state] = [p, s];
      const err = await maxErr(params, expected);
      const tol = Math.abs(c.loss_returned[k] - final) <= 1e-5 * final ? FLAT_TOL : TOL;
      if (process.env['TFJAX_VERBOSE']) console.log(`  ${name} step ${k + 1}: ${err.toExponential(2)} (tol ${tol}) evals ${s.funcEvals} iters ${s.nIter}`);
      assert.ok(err <= tol, `${name} step ${k + 1}: max error ${err} > ${tol}`);
      assert.ok(Math.abs(value - c.loss_returned[k]) <= 1e-6 * Math.abs(c.loss_returned[k]), `${name} step ${k + 1}: loss ${value} vs ${c.loss_returned[k]}`);
      // Evaluation and iteration counts: the same decisions as torch's, until the loss is flat.
      if (tol === TOL) assert.equal([state.funcEvals, state.nIter], [c.func_evals[k], c.n_iter[k]], `${name} step ${k + 1}: [funcEvals, nIter]`);
    }
    closure.clearCache();
    disposeTree([params, a, t]);
    assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  });
}

test('torchLbfgs: bad options raise one-line errors naming the option', () => {
  assert.throws(() => optim.torchLbfgs({ lineSearchFn: 'backtracking' as 'strong_wolfe' }), /torchLbfgs: lineSearchFn must be null or 'strong_wolfe' \(as torch\), got backtracking/);
  assert.throws(() => optim.torchLbfgs({ historySize: 0 }), /torchLbfgs: historySize must be an integer >= 1, got 0/);
  assert.throws(() => optim.torchLbfgs({ learningRate: -1 }), /torchLbfgs: learningRate must be a finite number >= 0, got -1/);
});

test.run();
