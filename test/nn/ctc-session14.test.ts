/**
 * The CTC loss in optax's convention (nn.losses.ctcLoss, ctcLossWithForwardProbs) and PyTorch's
 * (nn.F.ctcLoss), against test/fixtures/ctc_session14.json (tools/ctc_session14.py: optax's
 * recursion transcribed in float64 torch, checked there against torch's F.ctc_loss; PyTorch 1.13's
 * F.ctc_loss); and optax's rankingSoftmaxLoss and makeFenchelYoungLoss (float64 transcriptions of
 * optax's formulas, same fixture). Values, forward probabilities and gradients of sum(out · cot) with respect to the
 * logits; eager, under jit and under vmap. Repeated labels, empty targets, padded frames and
 * labels, blank != 0, concatenated targets, and alignments that do not fit (optax: a large
 * finite loss; PyTorch: inf with a NaN gradient, or 0 with zeroInfinity).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

const backend = await useTestBackend();
const S = suite(`nn: CTC loss, optax and PyTorch [${backend}]`);
const { losses, F } = nn;

interface Enc {
  data: (number | string)[];
  shape: number[];
}
interface OptaxCase {
  kind: 'optax';
  inputs: { logits: Enc; logitPaddings: Enc; labels: Enc; labelPaddings: Enc };
  blankId: number;
  logEpsilon: number;
  loss: Enc;
  logalphaBlank: Enc;
  logalphaLabel: Enc;
  cot: Enc;
  grad: Enc;
}
interface TorchCase {
  kind: 'torch';
  inputs: { logits: Enc; targets: Enc };
  inputLengths: number[];
  targetLengths: number[];
  blank: number;
  reduction: 'mean' | 'sum' | 'none';
  zeroInfinity: boolean;
  out: Enc;
  cot: Enc;
  grad: Enc;
}
interface PlainCase {
  kind: 'ranking' | 'fenchel_young';
  inputs: Record<string, Enc>;
  reduceFn?: 'mean' | 'sum' | null;
  maxFun?: 'logsumexp' | 'max';
  out: Enc;
  cot: Enc;
  grad: Enc;
}
const cases = JSON.parse(readFileSync(new URL('../fixtures/ctc_session14.json', import.meta.url), 'utf8')) as Record<string, OptaxCase | TorchCase | PlainCase>;

/**
 * float32 log-domain recursions of at most 8 steps against float64 references stored to 7
 * digits: measured errors are below 3e-6 relative on the losses and 2e-6 absolute on the
 * gradients (entries of order 0.1 to 1); ten times that leaves room across backends.
 */
const TOL = { rtol: 3e-5, atol: 2e-5 };
const num = (v: number | string) => (typeof v === 'number' ? v : Number(v === 'inf' ? Infinity : v === '-inf' ? -Infinity : NaN));
const values = (e: Enc) => e.data.map(num);
const tensor = (e: Enc, dtype: 'float32' | 'int32' = 'float32') => tf.tensor(values(e), e.shape, dtype);

/**
 * optax_impossible's loss is about 1e5 (-logEpsilon), so its forward variables round to float32's
 * half ulp there, 0.004, and the path weights exp(alpha - loss) behind the gradient carry up to
 * ~1% error (measured 0.6% of an entry of 0.02): 5e-4 absolute on entries of at most 0.15.
 */
const IMPOSSIBLE_GRAD_TOL = { rtol: 3e-5, atol: 5e-4 };

function close(actual: NdArray, expected: Enc, what: string, tol = TOL): void {
  assert.equal(actual.shape, expected.shape, `${what}: shape`);
  allClose(read(actual), values(expected), tol, what);
}

const optaxCases = Object.entries(cases).filter((e): e is [string, OptaxCase] => e[1].kind === 'optax');
const torchCases = Object.entries(cases).filter((e): e is [string, TorchCase] => e[1].kind === 'torch');
const plainCases = (kind: PlainCase['kind']) => Object.entries(cases).filter((e): e is [string, PlainCase] => e[1].kind === kind);

function optaxArgs(c: OptaxCase) {
  const i = c.inputs;
  return { logits: tensor(i.logits), logitPaddings: tensor(i.logitPaddings), labels: tensor(i.labels, 'int32'), labelPaddings: tensor(i.labelPaddings) };
}

S('losses.ctcLossWithForwardProbs: losses, forward probabilities and gradients as optax (eager and jit)', () => {
  assert.is(optaxCases.length, 3, 'every optax case is checked');
  for (const [name, c] of optaxCases) {
    const { logits, logitPaddings, labels, labelPaddings } = optaxArgs(c);
    const opts = { blankId: c.blankId, logEpsilon: c.logEpsilon };
    const [loss, blank, label] = losses.ctcLossWithForwardProbs(logits, logitPaddings, labels, labelPaddings, opts);
    close(loss, c.loss, `${name}: loss`);
    close(blank, c.logalphaBlank, `${name}: logalpha blank`);
    close(label, c.logalphaLabel, `${name}: logalpha label`);
    const cot = tensor(c.cot);
    const objective = (x: NdArray) => np.sum(np.mul(losses.ctcLoss(x, logitPaddings, labels, labelPaddings, opts), cot));
    const gradTol = name === 'optax_impossible' ? IMPOSSIBLE_GRAD_TOL : TOL;
    close(grad(objective)(logits), c.grad, `${name}: gradient`, gradTol);
    close(jit(grad(objective))(logits), c.grad, `${name}: gradient under jit`, gradTol);
    close(jit((x: NdArray) => losses.ctcLoss(x, logitPaddings, labels, labelPaddings, opts))(logits), c.loss, `${name}: loss under jit`);
  }
});

S('losses.ctcLoss under vmap: one sequence per example gives the batch\'s losses and gradients', () => {
  const c = cases.optax_repeats_padding as OptaxCase;
  const { logits, logitPaddings, labels, labelPaddings } = optaxArgs(c);
  const one = (x: NdArray, lp: NdArray, y: NdArray, yp: NdArray, w: NdArray) =>
    np.sum(np.mul(losses.ctcLoss(np.expandDims(x, 0), np.expandDims(lp, 0), np.expandDims(y, 0), np.expandDims(yp, 0)), w));
  close(vmap(one)(logits, logitPaddings, labels, labelPaddings, np.ones([3])), c.loss, 'vmapped losses');
  close(vmap(grad(one))(logits, logitPaddings, labels, labelPaddings, tensor(c.cot)), c.grad, 'per-example gradients');
});

function torchCall(c: TorchCase, logits: NdArray, lengthsAsArrays = false): NdArray {
  const lens = (v: number[]) => (lengthsAsArrays ? np.array(v, 'int32') : v);
  const opts = { blank: c.blank, reduction: c.reduction, zeroInfinity: c.zeroInfinity };
  return F.ctcLoss(np.logSoftmax(logits, -1), tensor(c.inputs.targets, 'int32'), lens(c.inputLengths), lens(c.targetLengths), opts);
}

S('F.ctcLoss: values and gradients (through log_softmax) as PyTorch, lengths as numbers or int32 arrays, eager and jit', () => {
  assert.is(torchCases.length, 10, 'every PyTorch case is checked');
  for (const [name, c] of torchCases) {
    const logits = tensor(c.inputs.logits);
    const cot = tensor(c.cot);
    // Lengths as numbers eagerly; as int32 arrays (traced: concatenated targets cut at traced offsets) under jit.
    const objective = (asArrays: boolean) => (x: NdArray) => np.sum(np.mul(torchCall(c, x, asArrays), cot));
    close(torchCall(c, logits), c.out, `${name}: loss`);
    close(grad(objective(false))(logits), c.grad, `${name}: gradient`);
    close(jit((x: NdArray) => torchCall(c, x, true))(logits), c.out, `${name}: loss under jit, int32 lengths`);
    close(jit(grad(objective(true)))(logits), c.grad, `${name}: gradient under jit, int32 lengths`);
  }
});

S('F.ctcLoss: no alignment fits -> inf and a NaN gradient for that sequence only; zeroInfinity -> 0 and a zero gradient', () => {
  const c = cases.torch_impossible_none as TorchCase;
  const loss = read(torchCall(c, tensor(c.inputs.logits)));
  assert.equal([loss[0], loss[2]], [Infinity, Infinity]);
  assert.ok(Number.isFinite(loss[1]), 'the sequence that fits keeps a finite loss');
  const g = grad((x: NdArray) => np.sum(torchCall(c, x)))(tensor(c.inputs.logits));
  const perSequence = read(np.sum(np.isnan(g), [0, 2]));
  // As PyTorch: NaN on the impossible sequences' frames within their input lengths (3 and 2, 6 classes), 0 beyond.
  assert.equal(perSequence, [3 * 6, 0, 2 * 6], 'NaN in the impossible sequences\' valid frames only');
  const z = { ...c, zeroInfinity: true };
  const gz = grad((x: NdArray) => np.sum(torchCall(z, x)))(tensor(c.inputs.logits));
  assert.equal(read(np.sum(np.abs(np.take(gz, np.array([0, 2], 'int32'), 1)))), [0]);
});

S('F.ctcLoss under vmap: one unbatched sequence [T, C] per example, traced lengths', () => {
  const c = cases.torch_blank3_none as TorchCase;
  const logits = tensor(c.inputs.logits);
  const one = (x: NdArray, y: NdArray, il: NdArray, tl: NdArray, w: NdArray) => np.mul(F.ctcLoss(np.logSoftmax(x, -1), y, il, tl, { blank: 3, reduction: 'none' }), w);
  const args = [logits, tensor(c.inputs.targets, 'int32'), np.array(c.inputLengths, 'int32'), np.array(c.targetLengths, 'int32')] as const;
  close(vmap(one, { inAxes: [1, 0, 0, 0, 0] })(...args, np.ones([3])), c.out, 'vmapped losses');
  const g = vmap(grad(one), { inAxes: [1, 0, 0, 0, 0], outAxes: 1 })(...args, tensor(c.cot));
  close(g, c.grad, 'per-example gradients');
});

S('ctcLoss: bad shapes, dtypes and options are one-line errors naming them', () => {
  const x = np.zeros([2, 4, 3]);
  const lp = np.zeros([2, 4]);
  const y = np.ones([2, 2], 'int32');
  const yp = np.zeros([2, 2]);
  assert.throws(() => losses.ctcLoss(np.zeros([4, 3]), lp, y, yp), /ctcLoss: logits must be \[B, T, K\], got \[4,3\]/);
  assert.throws(() => losses.ctcLoss(np.zeros([2, 4, 3], 'int32'), lp, y, yp), /logits must be float32, got int32/);
  assert.throws(() => losses.ctcLoss(x, lp, np.ones([2, 2]), yp), /labels must be int32, got float32/);
  assert.throws(() => losses.ctcLoss(x, lp, np.ones([3, 2], 'int32'), np.zeros([3, 2])), /labels \[3,2\] must have the logits' batch size 2/);
  assert.throws(() => losses.ctcLoss(x, np.zeros([2, 5]), y, yp), /logitPaddings must be \[2, 4\]/);
  assert.throws(() => losses.ctcLoss(x, lp, y, np.zeros([2, 3])), /labelPaddings must be shaped as labels \[2,2\], got \[2,3\]/);
  assert.throws(() => losses.ctcLoss(x, lp, y, yp, { blankId: 3 }), /blankId must be an integer in \[0, 3\)/);
  const t = np.zeros([4, 2, 3]);
  assert.throws(() => F.ctcLoss(t, y, [4, 4, 4], [2, 2]), /inputLengths must have 2 entries/);
  assert.throws(() => F.ctcLoss(t, y, [5, 4], [2, 2]), /inputLengths must be integers in \[0, 4\], got 5/);
  assert.throws(() => F.ctcLoss(t, y, [4, 4], [3, 2]), /targetLengths must be integers in \[0, 2\], got 3/);
  assert.throws(() => F.ctcLoss(t, np.ones([2, 2]), [4, 4], [2, 2]), /targets must be int32, got float32/);
  assert.throws(() => F.ctcLoss(t, y, np.array([4, 4]), [2, 2]), /inputLengths must be int32, got float32/);
  assert.throws(() => F.ctcLoss(t, y, [4, 4], [2, 2], { blank: -1 }), /blank must be an integer in \[0, 3\)/);
  assert.throws(() => F.ctcLoss(t, y, [4, 4], [2, 2], { reduction: 'avg' as 'mean' }), /reduction must be one of 'mean', 'sum', 'none', got "avg"/);
  assert.throws(() => F.ctcLoss(np.zeros([4]), y, [4], [2]), /logProbs must be \[T, B, C\] or \[T, C\], got \[4\]/);
});

/** Checks f(first input) against a case: the output, and the gradient of sum(out · cot), eager and under jit. */
function checkPlain(name: string, c: PlainCase, f: (x: NdArray) => NdArray, x: NdArray): void {
  close(f(x), c.out, `${name}: output`);
  const cot = tensor(c.cot);
  const objective = (v: NdArray) => np.sum(np.mul(f(v), cot));
  close(grad(objective)(x), c.grad, `${name}: gradient`);
  close(jit(grad(objective))(x), c.grad, `${name}: gradient under jit`);
}

S('losses.rankingSoftmaxLoss: where, weights, np.mean / np.sum / null reductions, as optax', () => {
  const rankingCases = plainCases('ranking');
  assert.is(rankingCases.length, 5, 'every ranking case is checked');
  for (const [name, c] of rankingCases) {
    const reduceFn = c.reduceFn === 'sum' ? np.sum : c.reduceFn === null ? null : np.mean;
    const where = c.inputs.where ? np.notEqual(tensor(c.inputs.where, 'int32'), 0) : undefined;
    const weights = c.inputs.weights ? tensor(c.inputs.weights) : undefined;
    const labels = tensor(c.inputs.labels, 'int32');
    checkPlain(name, c, (x) => losses.rankingSoftmaxLoss(x, labels, { where, weights, reduceFn }), tensor(c.inputs.logits));
  }
  const c = cases.ranking_where_weights_none as PlainCase;
  const labels = tensor(c.inputs.labels, 'int32');
  const where = np.notEqual(tensor(c.inputs.where!, 'int32'), 0);
  const perList = vmap((x: NdArray, y: NdArray, w: NdArray, m: NdArray) => losses.rankingSoftmaxLoss(x, y, { weights: w, where: m }))(tensor(c.inputs.logits), labels, tensor(c.inputs.weights!), where);
  close(perList, c.out, 'under vmap, one list per example');
  assert.throws(() => losses.rankingSoftmaxLoss(np.zeros([2, 3]), np.zeros([2, 4])), /rankingSoftmaxLoss: labels \[2,4\] must be shaped as the logits \[2,3\]/);
  assert.throws(() => losses.rankingSoftmaxLoss(np.zeros([2, 3], 'int32'), np.zeros([2, 3])), /logits must be float32, got int32/);
  assert.throws(() => losses.rankingSoftmaxLoss(np.zeros([2, 3]), np.zeros([2, 3]), { where: np.ones([2, 3]) }), /where must be bool, got float32/);
  assert.throws(() => losses.rankingSoftmaxLoss(np.zeros([2, 3]), np.zeros([2, 3]), { weights: np.ones([4]) }), /weights \[4\] must broadcast to the logits' shape \[2,3\]/);
});

S('losses.makeFenchelYoungLoss: maxFun over the last axis minus <targets, scores>, as optax', () => {
  const fyCases = plainCases('fenchel_young');
  assert.is(fyCases.length, 2, 'every Fenchel-Young case is checked');
  for (const [name, c] of fyCases) {
    const fy = losses.makeFenchelYoungLoss(c.maxFun === 'max' ? (v) => np.max(v) : (v) => np.logsumexp(v));
    const targets = tensor(c.inputs.targets);
    checkPlain(name, c, (x) => fy(x, targets), tensor(c.inputs.scores));
  }
  const fy = losses.makeFenchelYoungLoss((v) => np.logsumexp(v));
  assert.throws(() => fy(np.zeros([2, 3]), np.zeros([3, 2])), /fenchelYoungLoss: targets \[3,2\] must be shaped as the scores \[2,3\]/);
  assert.throws(() => losses.makeFenchelYoungLoss((v) => v)(np.zeros([2, 3]), np.zeros([2, 3])), /maxFun must return a scalar for a vector \[3\], got \[3\]/);
});

S.run();
