/**
 * The benchmark steps ported to jax-js (`@jax-js/jax`, JAX in JavaScript with its own
 * Wasm kernels; a bench-only dev dependency). In Node it runs on its `wasm` device with one
 * thread (its thread pool needs `Worker`, which Node has no global of).
 *
 * jax-js counts references by hand: every function consumes its array arguments, so a
 * value used twice is passed as `x.ref` the first time (its README, "Reference counting").
 *
 * - `jaxMlp`: the MLP step of bench/sections/mlp.ts (784-1024-1024-10, softmax
 *   cross-entropy, SGD), `jit(valueAndGrad + update)`.
 * - `jaxSwav`: a faithful port of `swav.trainStep` with the small ConvNet (NCHW here):
 *   three 3x3 convolutions without bias, each with training-mode BatchNorm (batch
 *   statistics, running statistics updated with momentum 0.1 and the unbiased variance)
 *   and ReLU, global average pool; projector Linear-BN-ReLU-Linear, L2-normalised;
 *   prototypes renormalised before the forward and written back (the gradient is taken
 *   with respect to the normalised weight); log-domain Sinkhorn (epsilon 0.05, 3
 *   iterations) without gradient; the seed's pairing over all views; temperature 0.1;
 *   plain SGD. Each view goes through the encoder and projector separately.
 */
import * as jax from '@jax-js/jax';
import type { SwavStepShape } from '../harness.js';

const jnp = jax.numpy;
const jnn = jax.nn;
const jlax = jax.lax;
type A = jax.Array;

let started: Promise<unknown> | null = null;
/** Starts jax-js's wasm device (once). */
export async function initJax(): Promise<string> {
  started ??= jax.init('wasm').then(() => jax.defaultDevice('wasm'));
  await started;
  return `jax-js ${JAX_VERSION} on ${jax.defaultDevice()}`;
}
export const JAX_VERSION = '0.1.25';

/** A step that reads its loss back (so all work is done) and keeps its state. */
export interface JaxStep {
  step(): Promise<number>;
  dispose(): void;
}

const uniform = (key: A, shape: number[], scale: number) => jax.random.uniform(key, shape, { minval: -scale, maxval: scale });

// ---------------------------------------------------------------- MLP

type MlpParams = { w1: A; b1: A; w2: A; b2: A; w3: A; b3: A };

export async function jaxMlp(b: number, d: number, h: number, k: number, lr = 0.01): Promise<JaxStep> {
  await initJax();
  const keys = jax.random.split(jax.random.key(0), 4);
  const key = (i: number) => keys.ref.slice(i);
  let params: MlpParams = {
    w1: uniform(key(0), [d, h], 1 / Math.sqrt(d)), b1: jnp.zeros([h]),
    w2: uniform(key(1), [h, h], 1 / Math.sqrt(h)), b2: jnp.zeros([h]),
    w3: uniform(key(2), [h, k], 1 / Math.sqrt(h)), b3: jnp.zeros([k]),
  };
  const x = jax.random.uniform(key(3), [b, d]);
  keys.dispose();
  const y = jnn.oneHot(jnp.array(Int32Array.from({ length: b }, (_, i) => (i * 7) % k), { dtype: jnp.int32 }), k);
  const loss = (p: MlpParams, xb: A, yb: A): A => {
    const h1 = jnn.relu(jnp.matmul(xb, p.w1).add(p.b1));
    const h2 = jnn.relu(jnp.matmul(h1, p.w2).add(p.b2));
    const logits = jnp.matmul(h2, p.w3).add(p.b3);
    return jnn.logSoftmax(logits).mul(yb).sum(-1).mean().neg();
  };
  const step = jax.jit((p: MlpParams, xb: A, yb: A): [A, MlpParams] => {
    const [l, g] = jax.valueAndGrad(loss)(jax.tree.ref(p), xb, yb);
    return [l, jax.tree.map((pi: A, gi: A) => pi.sub(gi.mul(lr)), p, g as MlpParams)];
  });
  return {
    async step() {
      const [l, next] = step(params, x.ref, y.ref);
      params = next;
      const v = (await l.data())[0];
      return v;
    },
    dispose() {
      jax.tree.dispose(params);
      x.dispose();
      y.dispose();
      step.dispose?.();
    },
  };
}

// ---------------------------------------------------------------- SwAV

type Bn = { g: A; b: A };
type Run = { m: A; v: A };
type SwavParams = {
  c1: A; c2: A; c3: A; bn1: Bn; bn2: Bn; bn3: Bn;
  l1w: A; l1b: A; pbn: Bn; l2w: A; l2b: A;
  protos: A;
};
type SwavState = { r1: Run; r2: Run; r3: Run; pr: Run };

export interface JaxSwavConfig extends SwavStepShape {
  readonly widths?: readonly [number, number, number];
  readonly lr?: number;
}

const EPS_BN = 1e-5;
const MOMENTUM = 0.1;

/** Training-mode BatchNorm over every axis but 1 (channels): [y, updated running statistics]. */
function batchNorm(x: A, p: Bn, run: Run, axes: number[]): [A, Run] {
  const c = x.shape[1];
  const n = axes.reduce((acc, a) => acc * x.shape[a], 1);
  const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  const mean = jnp.mean(x.ref, axes, { keepdims: true });
  const xc = x.sub(mean.ref);
  const variance = jnp.mean(jnp.square(xc.ref), axes, { keepdims: true });
  const inv = jnp.reciprocal(jnp.sqrt(variance.ref.add(EPS_BN)));
  const y = xc.mul(inv).mul(p.g.reshape(bshape)).add(p.b.reshape(bshape));
  const m = jlax.stopGradient(mean.reshape([c]));
  const v = jlax.stopGradient(variance.reshape([c])).mul(n / (n - 1));
  return [y, { m: run.m.mul(1 - MOMENTUM).add(m.mul(MOMENTUM)), v: run.v.mul(1 - MOMENTUM).add(v.mul(MOMENTUM)) }];
}

/** x / max(||x||, 1e-12) along the last axis. */
function l2Normalize(x: A): A {
  const norm = jnp.sqrt(jnp.sum(jnp.square(x.ref), -1, { keepdims: true }));
  return x.div(jnp.maximum(norm, 1e-12));
}

const PAD: [number, number][] = [[1, 1], [1, 1]];

/** Encoder + projector of one view: the L2-normalised projection [B, outDim] and the running statistics. */
function embed(p: Omit<SwavParams, 'protos'>, state: SwavState, x: A): [A, SwavState] {
  let h = jlax.conv(x, p.c1, [1, 1], PAD);
  let r1: Run, r2: Run, r3: Run, pr: Run;
  [h, r1] = batchNorm(h, p.bn1, state.r1, [0, 2, 3]);
  h = jlax.conv(jnn.relu(h), p.c2, [2, 2], PAD);
  [h, r2] = batchNorm(h, p.bn2, state.r2, [0, 2, 3]);
  h = jlax.conv(jnn.relu(h), p.c3, [2, 2], PAD);
  [h, r3] = batchNorm(h, p.bn3, state.r3, [0, 2, 3]);
  const feat = jnp.mean(jnn.relu(h), [2, 3]); // [B, C]
  let z = jnp.matmul(feat, p.l1w).add(p.l1b);
  [z, pr] = batchNorm(z, p.pbn, state.pr, [0]);
  z = jnp.matmul(jnn.relu(z), p.l2w).add(p.l2b);
  return [l2Normalize(z), { r1, r2, r3, pr }];
}

function logSumExp(x: A, axis: number | null): A {
  const m = jlax.stopGradient(jnp.max(x.ref, axis, { keepdims: true }));
  return jnp.log(jnp.sum(jnp.exp(x.sub(m.ref)), axis, { keepdims: true })).add(m);
}

/** Log-domain Sinkhorn (as lib/ssl/swav/sinkhorn.ts), no gradient. */
function sinkhorn(scores: A, epsilon = 0.05, iterations = 3): A {
  const [b, k] = scores.shape;
  let l = jlax.stopGradient(scores).div(epsilon);
  l = l.ref.sub(logSumExp(l, null));
  for (let i = 0; i < iterations; i++) {
    l = l.ref.sub(logSumExp(l, 0)).sub(Math.log(k));
    l = l.ref.sub(logSumExp(l, 1));
    if (i < iterations - 1) l = l.sub(Math.log(b));
  }
  return jnp.exp(l);
}

function swapped(scores: A, codes: A, temperature: number): A {
  return codes.mul(jnn.logSoftmax(scores.div(temperature), -1)).sum(-1).mean().neg();
}

export async function jaxSwav(cfg: JaxSwavConfig): Promise<JaxStep> {
  await initJax();
  const [w1, w2, w3] = cfg.widths ?? [32, 64, 128];
  const hidden = cfg.hidden ?? 512;
  const outDim = cfg.outDim ?? 128;
  const kProtos = cfg.prototypes ?? 300;
  const lr = cfg.lr ?? 0.1;
  const numGlobal = cfg.globalViews ?? 2;
  const keys = jax.random.split(jax.random.key(1), 8 + cfg.views.length);
  const key = (i: number) => keys.ref.slice(i);
  const bn = (c: number): Bn => ({ g: jnp.ones([c]), b: jnp.zeros([c]) });
  const run = (c: number): Run => ({ m: jnp.zeros([c]), v: jnp.ones([c]) });
  const kaiming = (i: number, shape: number[]) => uniform(key(i), shape, Math.sqrt(6 / (shape[0] * 9))); // fan-out, ReLU
  let params: SwavParams = {
    c1: kaiming(0, [w1, 1, 3, 3]), c2: kaiming(1, [w2, w1, 3, 3]), c3: kaiming(2, [w3, w2, 3, 3]),
    bn1: bn(w1), bn2: bn(w2), bn3: bn(w3),
    l1w: uniform(key(3), [w3, hidden], 1 / Math.sqrt(w3)), l1b: jnp.zeros([hidden]), pbn: bn(hidden),
    l2w: uniform(key(4), [hidden, outDim], 1 / Math.sqrt(hidden)), l2b: jnp.zeros([outDim]),
    protos: uniform(key(5), [kProtos, outDim], 1 / Math.sqrt(outDim)),
  };
  let state: SwavState = { r1: run(w1), r2: run(w2), r3: run(w3), pr: run(hidden) };
  const views = cfg.views.map((s, i) => jax.random.uniform(key(8 + i), [cfg.batch, 1, s, s]));
  keys.dispose();

  const loss = (p: SwavParams, st: SwavState, xs: A[]): [A, SwavState] => {
    const { protos, ...net } = p;
    let s = st;
    const zs: A[] = [];
    for (const x of xs) {
      const [z, s2] = embed(jax.tree.ref(net), s, x);
      s = s2;
      zs.push(z);
    }
    jax.tree.dispose(net);
    const scores = zs.map((z, i) => jnp.matmul(z, (i < zs.length - 1 ? protos.ref : protos).transpose()));
    const codes = scores.map((sc) => sinkhorn(sc.ref));
    let total: A | null = null;
    let terms = 0;
    // The seed's pairing: every global view i with every later view j, both ways.
    const pairs: [number, number][] = [];
    for (let i = 0; i < numGlobal; i++) for (let j = i + 1; j < scores.length; j++) pairs.push([i, j], [j, i]);
    const uses = (v: number, as: 0 | 1) => pairs.filter((q) => q[as] === v).length;
    const take = (arr: A[], v: number, as: 0 | 1, seen: number[]) => (++seen[v] < uses(v, as) ? arr[v].ref : arr[v]);
    const seenS = scores.map(() => 0);
    const seenQ = codes.map(() => 0);
    for (const [a, b] of pairs) {
      const t = swapped(take(scores, a, 0, seenS), take(codes, b, 1, seenQ), 0.1);
      total = total === null ? t : total.add(t);
      terms++;
    }
    // Codes no term reads (none with the seed's pairing) are freed.
    codes.forEach((q, v) => uses(v, 1) === 0 && q.dispose());
    return [total!.div(terms), s];
  };

  const step = jax.jit((p: SwavParams, st: SwavState, xs: A[]): [A, SwavParams, SwavState] => {
    const protos = l2Normalize(p.protos); // renormalised, written back
    const used: SwavParams = { ...p, protos };
    const [[l, st2], g] = jax.valueAndGrad(loss, { hasAux: true })(jax.tree.ref(used), st, xs);
    const next = jax.tree.map((pi: A, gi: A) => pi.sub(gi.mul(lr)), used, g as SwavParams);
    return [l, next, st2];
  });
  return {
    async step() {
      const [l, p2, s2] = step(params, state, views.map((v) => v.ref));
      params = p2;
      state = s2;
      return (await l.data())[0];
    },
    dispose() {
      jax.tree.dispose(params);
      jax.tree.dispose(state);
      views.forEach((v) => v.dispose());
      step.dispose?.();
    },
  };
}
