/**
 * Functions for test/parallel/methods-sync.test.ts (not a test file itself): the nine SSL
 * methods on a tiny encoder (Linear 12->16 without bias, BatchNorm, ReLU) with small heads,
 * and one step of several methods at once, so that one pmap pool (one jitted program) steps
 * them all. pmap's workers import this module; the suite runs the same functions in one
 * process and under vmap.
 */
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as ssl from '../../lib/ssl/index.js';
import type { ViewsBatch } from '../../lib/ssl/views.js';
import { swavMethod } from '../../lib/ssl/methods/swav.js';
import { resolveConfig } from '../../lib/ssl/swav/model.js';
import { AXIS, methodStep } from './pmap-fns.js';

export { AXIS };

/** The input width of the tiny encoder (its "images" are vectors). */
export const INPUT = 12;

/** Linear (no bias: BatchNorm follows) -> BatchNorm -> ReLU, a 16-d embedding. */
function encoder() {
  const body = nn.composite('tiny_mlp', { fc: nn.linear({ in: INPUT, out: 16, bias: false }), bn: nn.batchNorm({ features: 16 }) }, (call, x) => np.relu(call('bn', call('fc', x))));
  return { ...body, embeddingDim: 16 };
}

/**
 * Hidden Linears without bias (each is followed by BatchNorm, which cancels it) except where
 * the input is itself batch-normalised (the predictors of SimSiam and NNCLR): there a bias
 * keeps the BatchNorm's running mean away from 0, where it would be rounding noise.
 */
const head = (dims: number[], rest: Partial<ssl.HeadConfig> = {}) => ssl.head(dims, { bias: false, ...rest });

const factories: Record<string, () => ssl.Method<any, any, any>> = {
  simclr: () => ssl.methods.simclr({ encoder: encoder(), projector: head([16, 8], { lastBias: false, lastNorm: 'batchNormNoBias' }), temperature: 0.5 }),
  mocoV2: () => ssl.methods.mocoV2({ encoder: encoder(), projector: head([16, 8], { batchNorm: false, bias: true }), queueLength: 8, temperature: 0.2, emaStart: 0.9, emaEnd: 0.9 }),
  byol: () => ssl.methods.byol({ encoder: encoder(), projector: head([16, 8]), predictor: head([16, 8]), emaStart: 0.9 }),
  simsiam: () => ssl.methods.simsiam({ encoder: encoder(), projector: head([16, 8], { lastBias: false, lastNorm: 'batchNormNoAffine' }), predictor: head([4, 8], { bias: true }) }),
  vicreg: () => ssl.methods.vicreg({ encoder: encoder(), projector: head([16, 16]) }),
  barlowTwins: () => ssl.methods.barlowTwins({ encoder: encoder(), projector: head([16, 16], { lastBias: false }), lambda: 0.05 }),
  dino: () =>
    ssl.methods.dino({
      encoder: encoder(),
      projector: ssl.head([16, 8], { activation: 'gelu', batchNorm: false }),
      numPrototypes: 10,
      teacherTemperature: 0.07,
      warmupTeacherSteps: 0,
      emaStart: 0.9,
    }),
  nnclr: () => ssl.methods.nnclr({ encoder: encoder(), projector: head([16, 8], { lastBias: false, lastNorm: 'batchNormNoBias' }), predictor: head([16, 8], { bias: true }), queueLength: 8, temperature: 0.1 }),
  swav: () => swavMethod(resolveConfig({ encoder: encoder(), projector: { hiddenDim: 16, outDim: 8 }, numPrototypes: 6, epsilon: 0.05, sinkhornIterations: 3 })),
};

/** The method names, in a fixed order. */
export const NAMES = Object.keys(factories);

const built = new Map<string, ssl.Method<any, any, any>>();
/** The method called `name` (built once per thread, so jit sees one method object). */
export function method(name: string): ssl.Method<any, any, any> {
  if (!built.has(name)) built.set(name, factories[name]());
  return built.get(name)!;
}

export const optimizer = optim.sgd({ learningRate: 0.1, momentum: 0.9 });

export interface Vars {
  readonly params: unknown;
  readonly state: unknown;
  readonly optState: unknown;
}

/** One step of each method named in `vars` on its batch, sharded over `axisName` (none: one process). */
export function stepMethods(vars: Readonly<Record<string, Vars>>, batches: Readonly<Record<string, ViewsBatch>>, axisName?: string) {
  return Object.fromEntries(Object.entries(vars).map(([name, v]) => [name, methodStep(method(name), optimizer, v.params, v.state, v.optState, batches[name], axisName)]));
}

/** {@link stepMethods} over the workers' axis (what pmap runs). */
export const stepMethodsOverWorkers = (vars: Readonly<Record<string, Vars>>, batches: Readonly<Record<string, ViewsBatch>>) => stepMethods(vars, batches, AXIS);
