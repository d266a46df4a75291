/**
 * The benchmark steps written by hand in plain TensorFlow.js, as a tfjs user would:
 * variables, `tf.variableGrads` (tfjs's tape and its registered gradients, from
 * `@tensorflow/tfjs`, a bench-only dev dependency) and a manual SGD update.
 *
 * The SwAV step has the same maths as `swav.trainStep`
 * with the small ConvNet: convolutions without bias + training-mode BatchNorm (running
 * statistics updated) + ReLU, global average pool, projector Linear-BN-ReLU-Linear,
 * L2 normalisation, prototypes renormalised and written back before the forward,
 * log-domain Sinkhorn without gradient, the seed's pairing, temperature 0.1, SGD lr 0.1.
 *
 * On `wasm` its backward cannot run (no Conv2DBackpropFilter kernel); on `cpu` it runs.
 */
import * as tf from '@tensorflow/tfjs';
import type { SwavStepShape } from '../harness.js';


const MOMENTUM = 0.1;
const EPS = 1e-5;

/** Identity forward, zero gradient (tfjs has no stopGradient). */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

export function tfjsSwavStep(cfg: SwavStepShape): { step: () => void; dispose: () => void } {
  const [w1, w2, w3] = [32, 64, 128];
  const hidden = cfg.hidden ?? 512;
  const outDim = cfg.outDim ?? 128;
  const k = cfg.prototypes ?? 300;
  const numGlobal = cfg.globalViews ?? 2;
  const lr = 0.1;
  let seed = 10;
  const v = (t: tf.Tensor, name: string) => tf.variable(t, true, `tfjs_swav_${name}_${Math.random().toString(36).slice(2, 8)}`);
  const conv = (ci: number, co: number, name: string) => v(tf.randomNormal([3, 3, ci, co], 0, Math.sqrt(2 / (9 * co)), 'float32', seed++), name);
  const lin = (i: number, o: number, name: string) => v(tf.randomUniform([i, o], -1 / Math.sqrt(i), 1 / Math.sqrt(i), 'float32', seed++), name);
  const P = {
    c1: conv(1, w1, 'c1'), c2: conv(w1, w2, 'c2'), c3: conv(w2, w3, 'c3'),
    g1: v(tf.ones([w1]), 'g1'), b1: v(tf.zeros([w1]), 'b1'),
    g2: v(tf.ones([w2]), 'g2'), b2: v(tf.zeros([w2]), 'b2'),
    g3: v(tf.ones([w3]), 'g3'), b3: v(tf.zeros([w3]), 'b3'),
    l1w: lin(w3, hidden, 'l1w'), l1b: v(tf.zeros([hidden]), 'l1b'),
    pg: v(tf.ones([hidden]), 'pg'), pb: v(tf.zeros([hidden]), 'pb'),
    l2w: lin(hidden, outDim, 'l2w'), l2b: v(tf.zeros([outDim]), 'l2b'),
    protos: v(tf.randomUniform([k, outDim], -1 / Math.sqrt(outDim), 1 / Math.sqrt(outDim), 'float32', seed++), 'protos'),
  };
  // Running statistics: [mean, var] per BatchNorm, not trained.
  const running = [w1, w2, w3, hidden].map((c) => [tf.variable(tf.zeros([c]), false), tf.variable(tf.ones([c]), false)]);
  const views = cfg.views.map((s, i) => tf.randomUniform([cfg.batch, s, s, 1], 0, 1, 'float32', 100 + i));

  /** Training-mode BatchNorm; the running statistics' new values go to `updates` (chained over views). */
  const bn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, r: tf.Variable[], updates: Map<tf.Variable, tf.Tensor>) => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const n = axes.reduce((acc, a) => acc * x.shape[a], 1);
    const [m0, v0] = [updates.get(r[0]) ?? r[0], updates.get(r[1]) ?? r[1]];
    updates.set(r[0], tf.keep(tf.add(tf.mul(m0, 1 - MOMENTUM), tf.mul(stopGradient(mean), MOMENTUM))));
    updates.set(r[1], tf.keep(tf.add(tf.mul(v0, 1 - MOMENTUM), tf.mul(stopGradient(variance), (MOMENTUM * n) / (n - 1)))));
    if (m0 !== r[0]) m0.dispose();
    if (v0 !== r[1]) v0.dispose();
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS))), g), b);
  };
  const l2n = (x: tf.Tensor) => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', -1, true), 1e-12));
  const lse = (x: tf.Tensor, axis?: number) => {
    const m = tf.max(x, axis, true);
    return tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, m)), axis, true)), m);
  };
  const sinkhorn = (scores: tf.Tensor) => {
    const [b, kk] = scores.shape;
    let l = tf.div(stopGradient(scores), 0.05);
    l = tf.sub(l, lse(l));
    for (let i = 0; i < 3; i++) {
      l = tf.sub(tf.sub(l, lse(l, 0)), Math.log(kk));
      l = tf.sub(l, lse(l, 1));
      if (i < 2) l = tf.sub(l, Math.log(b));
    }
    return stopGradient(tf.exp(l));
  };

  const step = () => {
    // The seed: prototypes renormalised in place before the forward.
    tf.tidy(() => P.protos.assign(l2n(P.protos)));
    const updates = new Map<tf.Variable, tf.Tensor>();
    const { value, grads } = tf.variableGrads(() => {
      const scores = views.map((x) => {
        let h = tf.relu(bn(tf.conv2d(x as tf.Tensor4D, P.c1 as tf.Tensor4D, 1, 'same'), P.g1, P.b1, running[0], updates));
        h = tf.relu(bn(tf.conv2d(h as tf.Tensor4D, P.c2 as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]), P.g2, P.b2, running[1], updates));
        h = tf.relu(bn(tf.conv2d(h as tf.Tensor4D, P.c3 as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]), P.g3, P.b3, running[2], updates));
        const feat = tf.mean(h, [1, 2]);
        let z = tf.relu(bn(tf.add(tf.matMul(feat, P.l1w), P.l1b), P.pg, P.pb, running[3], updates));
        z = l2n(tf.add(tf.matMul(z, P.l2w), P.l2b));
        return tf.matMul(z, P.protos, false, true);
      });
      const codes = scores.map(sinkhorn);
      const terms: tf.Tensor[] = [];
      const swapped = (s: tf.Tensor, q: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(q, tf.logSoftmax(tf.div(s, 0.1), -1)), -1)));
      for (let i = 0; i < numGlobal; i++)
        for (let j = i + 1; j < scores.length; j++) terms.push(swapped(scores[i], codes[j]), swapped(scores[j], codes[i]));
      return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
    });
    value.dataSync();
    tf.tidy(() => {
      for (const [name, g] of Object.entries(grads)) {
        const p = Object.values(P).find((vv) => vv.name === name)!;
        p.assign(tf.sub(p, tf.mul(g, lr)));
      }
    });
    for (const [r, t] of updates) {
      r.assign(t);
      t.dispose();
    }
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  };
  return {
    step,
    dispose: () => {
      Object.values(P).forEach((t) => t.dispose());
      running.flat().forEach((t) => t.dispose());
      views.forEach((t) => t.dispose());
    },
  };
}

/**
 * The same step as a tfjs user writes it: variables, `tf.variableGrads` (tfjs's tape) and a
 * manual SGD update. Returns the step (it reads the loss back) and what frees its variables.
 */
export function tfjsTapeMlpStep(init: Record<string, tf.Tensor>, x: tf.Tensor, labels: tf.Tensor, k: number, lr: number, prefix: string): { step: () => void; dispose: () => void } {
  const vars = Object.fromEntries(Object.entries(init).map(([name, v]) => [name, tf.variable(v as tf.Tensor, true, `${prefix}_${name}`)]));
  const byName = new Map(Object.values(vars).map((v) => [v.name, v]));
  const oneHot = tf.oneHot(labels, k);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => {
      const h1 = tf.relu(tf.add(tf.matMul(x, vars.w1!), vars.b1!));
      const h2 = tf.relu(tf.add(tf.matMul(h1, vars.w2!), vars.b2!));
      const logits = tf.add(tf.matMul(h2, vars.w3!), vars.b3!);
      return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1))) as tf.Scalar;
    });
    value.dataSync();
    tf.tidy(() => Object.entries(grads).forEach(([name, g]) => byName.get(name)!.assign(tf.sub(byName.get(name)!, tf.mul(g, lr)))));
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  };
  return { step, dispose: () => tf.dispose([...Object.values(vars), oneHot]) };
}
