/** What the sections of `npm run bench` share: options, peers, recorded step results, and our steps. */
import * as tf from '@tensorflow/tfjs-core';
import { jit, optim, random, swav, tree } from '../lib/index.js';
import type { NdArray } from '../lib/index.js';
import { disposeExcept } from '../lib/util/tensors.js';
import type { SwavStepShape } from './harness.js';
import type { TorchPeer } from './peers/pytorch.js';

export interface StepRecord {
  /** e.g. 'MLP step' */
  readonly step: string;
  readonly contender: string;
  /** Which kernels ran it: 'tfjs wasm', 'tfjs cpu', 'jax-js wasm', 'PyTorch CPU'. */
  readonly backend: string;
  readonly medianMs: number;
  /** CPU time per step (this process's, or the child's). */
  readonly medianCpuMs: number;
  readonly flops: number;
}

export interface BenchContext {
  /** One iteration, small shapes: the CI smoke. */
  readonly quick: boolean;
  /** Timed rounds per comparison (each contender once per round). */
  readonly reps: number;
  /** The PyTorch child, or null (then `torchNote` says why). */
  readonly torch: TorchPeer | null;
  readonly torchNote: string;
  /** Whether to run jax-js. */
  readonly jax: boolean;
  /** Steps measured so far (read by the machine-limit section). */
  readonly results: StepRecord[];
  /** Progress on stderr. */
  progress(msg: string): void;
}

/** A training step that keeps its own state between calls and frees what it replaces. */
export interface Runner {
  readonly name: string;
  step(): void;
  dispose(): void;
}

export interface OurSwavOptions extends SwavStepShape {
  /** The whole SwAV config (default: {@link benchSwavConfig} from the shape's prototypes, hidden and outDim). */
  readonly config?: swav.SwavConfigInput;
  /** Image channels (default 1). */
  readonly channels?: number;
  /** 'jit' (default), 'eager', 'jit-nofuse' (jit without its fusion rewrites) or 'jit-noew' (without elementwise fusion). */
  readonly mode?: 'jit' | 'eager' | 'jit-nofuse' | 'jit-noew';
}

/** The SwAV config of the issue: small ConvNet, projector 128-512-128, 300 prototypes. */
export function benchSwavConfig(prototypes = 300, hidden = 512, outDim = 128) {
  return swav.swavConfig({ encoder: 'convnet_small', projector: { hiddenDim: hidden, outDim }, numPrototypes: prototypes });
}

/** `swav.trainStep` with `optim.sgd` (lr 0.1) on random images, as a Runner. */
export function ourSwav(name: string, o: OurSwavOptions) {
  const config = o.config ? swav.swavConfig(o.config) : benchSwavConfig(o.prototypes ?? 300, o.hidden ?? 512, o.outDim ?? 128);
  const opt = optim.sgd({ learningRate: 0.1 });
  const init = swav.init(random.key(0), config);
  let params = init.params;
  let state = init.state;
  let optState = opt.init(params);
  const g = o.globalViews ?? 2;
  const images = o.views.map((s, i) => tf.randomUniform([o.batch, s, s, o.channels ?? 1], 0, 1, 'float32', 100 + i));
  const batch: swav.SwavInput = o.views.length === 2 && g === 2 ? { view1: images[0], view2: images[1] } : { globalViews: images.slice(0, g), localViews: images.slice(g) };
  const raw = swav.trainStep(config, opt);
  const mode = o.mode ?? 'jit';
  const jitted = mode === 'eager' ? null : jit(raw, mode === 'jit-nofuse' ? { fuse: false } : mode === 'jit-noew' ? { fuseElementwise: false } : {});
  const f = jitted ?? raw;
  const runner = {
    name,
    step() {
      const out = f(params, state, optState, batch);
      (out.metrics.loss as tf.Tensor).dataSync();
      disposeExcept({ params, state, optState }, { params: out.params, state: out.modelState, optState: out.optState });
      tree.leaves<tf.Tensor>(out.metrics).forEach((t) => t.dispose());
      params = out.params;
      state = out.modelState;
      optState = out.optState;
    },
    dispose() {
      tree.leaves<tf.Tensor>({ params, state, optState }).forEach((t) => t.dispose());
      images.forEach((t) => t.dispose());
      jitted?.clearCache();
    },
    /** The jitted program for the current arguments (jit modes only). */
    lower: () => jitted?.lower(params, state, optState, batch) ?? null,
    /** The traced IR before any rewrite. */
    args: () => [params, state, optState, batch] as const,
    raw,
  };
  return runner;
}

export type OurSwav = ReturnType<typeof ourSwav>;

/** The NdArray type, re-exported for sections. */
export type { NdArray };
