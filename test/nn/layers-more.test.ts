/**
 * embedding, groupNorm, instanceNorm, rmsNorm, lstmCell, gruCell, prelu and conv1d against
 * PyTorch 1.13 (test/fixtures/nn_more.json, written by tools/torch-fixtures-nn-more.py): weights
 * loaded through fromTorch, outputs and the gradients of sum(out * gy) eager and under jit;
 * the cells run over a sequence with lax.scan. Also toTorch/fromTorch round trips, init
 * distributions, one-line errors and tensor leaks.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, lax, scope, vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { randn, read } from './util.js';

const backend = await useTestBackend();
const L = suite(`nn: more layers vs PyTorch [${backend}]`);

type Nested = number | Nested[];
interface Case {
  config: Record<string, number | boolean>;
  inputs: Record<string, Nested>;
  state_dict: Record<string, Nested>;
  out: Record<string, Nested>;
  gy: Record<string, Nested>;
  grads: Record<string, Nested>;
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/nn_more.json', import.meta.url), 'utf8')) as { cases: Record<string, Case> };

/**
 * Tolerances. PyTorch and tfjs both compute in float32 but sum in different orders, so
 * results differ by a few ulps per reduction (~1e-7 relative each); 1e-5 relative leaves
 * room for the ~10-term reductions here and for the 5 recurrent steps the gradients
 * travel back through, and an absolute floor of 1e-6 (outputs) / 1e-5 (gradients, sums
 * of up to ~30 products) covers entries that cancel to near zero.
 */
const OUT_TOL = { rtol: 1e-5, atol: 1e-6 };
const GRAD_TOL = { rtol: 1e-5, atol: 1e-5 };

const tensor = (v: Nested, dtype: 'float32' | 'int32' = 'float32') => tf.tensor(v as number[], undefined, dtype);
/** PyTorch's channels-first [N, C, ...] <-> our channels-last [N, ..., C]. */
const toLast = (x: NdArray) => np.transpose(x, x.shape.length === 3 ? [0, 2, 1] : [0, 2, 3, 1]);
const toFirst = (x: NdArray) => np.transpose(x, x.shape.length === 3 ? [0, 2, 1] : [0, 3, 1, 2]);
const id = (x: NdArray) => x;

type Inputs = Record<string, NdArray>;
interface Spec {
  make: (config: Case['config']) => nn.Layer;
  /** The forward pass on inputs in our layout; outputs in our layout. */
  run?: (layer: nn.Layer, params: unknown, inputs: Inputs) => Record<string, NdArray>;
  /** Layout of the input x and the outputs: PyTorch's channels-first, or the same. */
  channelsFirst?: boolean;
  int?: boolean;
}
const single = (layer: nn.Layer, params: unknown, inputs: Inputs): Record<string, NdArray> => ({ y: layer.apply(params, {}, inputs.x)[0] });
const cfg = <T>(c: Case['config']) => c as unknown as T;

const SPECS: Record<string, Spec> = {
  embedding: { make: (c) => nn.embedding(cfg(c)), run: (l, p, i) => ({ y: l.apply(p, {}, i.idx)[0] }), int: true },
  group_norm_2d: { make: (c) => nn.groupNorm(cfg(c)), channelsFirst: true },
  group_norm_1d_no_affine: { make: (c) => nn.groupNorm(cfg(c)), channelsFirst: true },
  instance_norm_2d: { make: (c) => nn.instanceNorm(cfg(c)), channelsFirst: true },
  rms_norm: { make: (c) => nn.rmsNorm(cfg(c)) },
  rms_norm_small: { make: (c) => nn.rmsNorm(cfg(c)) },
  rms_norm_eps: { make: (c) => nn.rmsNorm(cfg(c)) },
  lstm_cell: {
    make: (c) => nn.lstmCell(cfg(c)),
    run: (l, p, i) => {
      const cell = l as nn.RecurrentCell<nn.LstmCarry>;
      const [last, hs] = lax.scan((carry: nn.LstmCarry, xt: NdArray) => cell.step(p as nn.RecurrentParams, carry, xt), { h: i.h0, c: i.c0 }, i.x);
      return { hs, c: last.c };
    },
  },
  gru_cell: {
    make: (c) => nn.gruCell(cfg(c)),
    run: (l, p, i) => {
      const cell = l as nn.RecurrentCell<nn.GruCarry>;
      return { hs: lax.scan((carry: nn.GruCarry, xt: NdArray) => cell.step(p as nn.RecurrentParams, carry, xt), { h: i.h0 }, i.x)[1] };
    },
  },
  prelu: { make: (c) => nn.prelu(cfg(c)), channelsFirst: true },
  prelu_channels: { make: (c) => nn.prelu(cfg(c)), channelsFirst: true },
  conv1d: { make: (c) => nn.conv1d(cfg(c)), channelsFirst: true },
  conv1d_dilated_no_bias: { make: (c) => nn.conv1d(cfg(c)), channelsFirst: true },
};

L('every fixture case has a spec', () => {
  assert.equal(Object.keys(SPECS).sort(), Object.keys(cases).sort());
});

/** Compares a dict of our-layout outputs (converted back) with PyTorch's. */
function compare(got: Record<string, NdArray>, want: Record<string, Nested>, back: (x: NdArray) => NdArray, tol: typeof OUT_TOL, what: string) {
  assert.equal(Object.keys(got).sort(), Object.keys(want).sort(), `${what}: output names`);
  for (const [k, v] of Object.entries(got)) {
    const t = tensor(want[k]);
    const mine = back(v);
    assert.equal(mine.shape, t.shape, `${what}.${k}: shape`);
    allClose(read(mine), read(t), tol, `${what}.${k}`);
  }
}

for (const [name, c] of Object.entries(cases)) {
  L(`${name}: forward and gradients vs PyTorch, eager and under jit`, () => {
    const before = tf.memory().numTensors;
    scope(() => {
      const spec = SPECS[name];
      const layer = spec.make(c.config);
      const sd = Object.fromEntries(Object.entries(c.state_dict).map(([k, v]) => [k, tensor(v)]));
      const { params } = nn.loadTorchStateDict(layer, sd); // strict: every PyTorch name is used
      const inLayout = spec.channelsFirst ? toLast : id;
      const outLayout = spec.channelsFirst ? toFirst : id;
      const inputs: Inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, spec.int ? tensor(v, 'int32') : inLayout(tensor(v))]));
      const run: NonNullable<Spec['run']> = spec.run ?? single;
      const gy = Object.fromEntries(Object.entries(c.gy).map(([k, v]) => [k, inLayout(tensor(v))]));

      compare(run(layer, params, inputs), c.out, outLayout, OUT_TOL, `${name} eager`);
      const jitted = jit((p: unknown, i: Inputs) => run(layer, p, i));
      compare(jitted(params, inputs) as Record<string, NdArray>, c.out, outLayout, OUT_TOL, `${name} jit`);
      jitted.clearCache(); // frees the constants its traces hold

      // loss = sum(out * gy); gradients with respect to the params and the float inputs
      const floatInputs = spec.int ? {} : inputs;
      const loss = ([p, fi]: [unknown, Inputs]) => {
        const outs = run(layer, p, { ...inputs, ...fi });
        return Object.keys(outs).reduce<NdArray>((s, k) => np.add(s, np.sum(np.mul(outs[k], gy[k]))), np.zeros([]));
      };
      const jittedGrad = jit(grad(loss));
      for (const [mode, g] of [
        ['eager', grad(loss)([params, floatInputs])],
        ['jit', jittedGrad([params, floatInputs])],
      ] as const) {
        const [gp, gi] = g as [unknown, Inputs];
        const got: Record<string, NdArray> = {};
        layer.toTorch({ params: gp, state: {} }, '', got); // the parameter gradients under PyTorch's names and layouts
        for (const [k, v] of Object.entries(gi)) got[`input.${k}`] = outLayout(v);
        compare(got, c.grads, id, GRAD_TOL, `${name} grad ${mode}`);
      }
      jittedGrad.clearCache();
    });
    assert.is(tf.memory().numTensors, before, `${name}: tensors left`);
  });
}

L('toTorch / fromTorch round trip from a fresh init; PyTorch names', () => {
  const layers: [nn.Layer, NdArray][] = [
    [nn.embedding({ num: 5, dim: 3, paddingIdx: 0 }), np.array([[0, 4, 2]], 'int32')],
    [nn.groupNorm({ groups: 2, channels: 4 }), randn([2, 3, 4])],
    [nn.instanceNorm({ channels: 4, affine: true }), randn([2, 3, 4])],
    [nn.rmsNorm({ dim: 4 }), randn([2, 4])],
    [nn.lstmCell({ in: 3, hidden: 2 }), randn([2, 3])],
    [nn.gruCell({ in: 3, hidden: 2, bias: false }), randn([2, 3])],
    [nn.prelu({ num: 3 }), randn([2, 3])],
    [nn.conv1d({ in: 4, out: 2, kernel: 3, groups: 2, padding: [2, 0] }), randn([2, 5, 4])],
  ];
  const names: Record<string, string[]> = {};
  for (const [layer, x] of layers) {
    const v = layer.init(random.key(3));
    const sd = nn.exportTorchStateDict(layer, v);
    names[layer.kind] = Object.keys(sd);
    const back = nn.loadTorchStateDict(layer, sd);
    tree.map((a: tf.Tensor, b: tf.Tensor) => assert.equal(read(a), read(b), layer.kind), v.params, back.params);
    allClose(read(layer.apply(back.params, back.state, x)[0]), read(layer.apply(v.params, v.state, x)[0]), { rtol: 1e-6 }, layer.kind);
  }
  assert.equal(names, {
    embedding: ['weight'],
    groupNorm: ['weight', 'bias'],
    instanceNorm: ['weight', 'bias'],
    rmsNorm: ['weight'],
    lstmCell: ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'],
    gruCell: ['weight_ih', 'weight_hh'],
    prelu: ['weight'],
    conv1d: ['weight', 'bias'],
  });
  const conv = nn.conv1d({ in: 4, out: 6, kernel: 3, groups: 2 });
  assert.equal(nn.exportTorchStateDict(conv, conv.init(random.key(0))).weight.shape, [6, 2, 3]); // [out, in/groups, k]
  assert.equal(Object.keys(nn.exportTorchStateDict(nn.rmsNorm({ dim: 3, affine: false }), { params: {}, state: {} })), []);
  assert.throws(() => nn.loadTorchStateDict(nn.lstmCell({ in: 3, hidden: 2 }), { weight_ih: tf.zeros([8, 2]), weight_hh: tf.zeros([8, 2]), bias_ih: tf.zeros([8]), bias_hh: tf.zeros([8]) }), /'weight_ih' has shape \[8,2\], expected \[8,3\]/);
});

L('init: PyTorch distributions', () => {
  const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + b * b, 0) / xs.length);
  const emb = nn.embedding({ num: 200, dim: 50, paddingIdx: -1 }).init(random.key(1));
  const w = read(emb.params.w);
  assert.equal(w.slice(199 * 50), new Array(50).fill(0), 'the padding row (-1 = 199) starts at zero');
  allClose(sd(w.slice(0, 199 * 50)), 1, { rtol: 0.03 }); // N(0, 1)
  const lstm = nn.lstmCell({ in: 30, hidden: 64 }).init(random.key(2));
  const bound = 1 / 8; // U(+-1/sqrt(hidden)) for every weight and bias
  for (const t of tree.leaves<tf.Tensor>(lstm.params)) assert.ok(read(t).every((x) => Math.abs(x) <= bound));
  allClose(sd(read(lstm.params.hh.w)), bound / Math.sqrt(3), { rtol: 0.03 });
  assert.equal((lstm.params.ih.w as tf.Tensor).shape, [30, 256]);
  assert.equal((lstm.state.h as tf.Tensor).shape, [64]);
  assert.equal(read(nn.prelu().init(key0()).params.w), [0.25]);
  assert.equal(read(nn.prelu({ num: 2, init: 0.1 }).init(key0()).params.w), [0.1, 0.1].map(Math.fround));
  const gn = nn.groupNorm({ groups: 2, channels: 4 }).init(key0());
  assert.equal([read(gn.params.scale), read(gn.params.bias)], [[1, 1, 1, 1], [0, 0, 0, 0]]);
  assert.equal(nn.instanceNorm({ channels: 4 }).init(key0()).params, {}); // affine=False, as PyTorch
  assert.equal((nn.conv1d({ in: 4, out: 6, kernel: 3, groups: 2 }).init(key0()).params.w as tf.Tensor).shape, [3, 2, 6]);
});
function key0() {
  return random.key(0);
}

L('embedding: padding row gets no gradient; negative paddingIdx; any index shape; int32 only', () => {
  const c = cases.embedding;
  const a = nn.embedding({ num: 7, dim: 4, paddingIdx: 2 });
  const b = nn.embedding({ num: 7, dim: 4, paddingIdx: -5 });
  const { params } = nn.loadTorchStateDict(a, { weight: tensor(c.state_dict.weight) });
  const idx = np.array([[[2, 2], [1, 0]]], 'int32');
  const loss = (layer: nn.Layer) => (p: unknown) => np.sum(np.square(layer.apply(p, {}, idx)[0]));
  const ga = grad(loss(a))(params) as nn.EmbeddingParams;
  allClose(read(ga.w), read(grad(loss(b))(params).w));
  assert.equal(read(ga.w).slice(8, 12), [0, 0, 0, 0]);
  assert.ok(read(ga.w).slice(0, 8).every((g) => g !== 0));
  assert.equal((a.apply(params, {}, idx)[0] as tf.Tensor).shape, [1, 2, 2, 4]);
  assert.equal((a.apply(params, {}, np.array(3, 'int32'))[0] as tf.Tensor).shape, [4]);
  assert.throws(() => a.apply(params, {}, np.array([[1, 2, 3]])), (e: Error) => e.message === 'embedding: indices must be int32, got float32 [1,3]');
  assert.throws(() => nn.embedding({ num: 7, dim: 4, paddingIdx: 7 }), /paddingIdx must be an integer in \[-7, 7\), got 7/);
  // under vmap and jit
  const rows = vmap((i: NdArray) => a.apply(params, {}, i)[0])(np.array([[1, 2], [3, 4]], 'int32')) as tf.Tensor;
  allClose(read(rows), read(a.apply(params, {}, np.array([[1, 2], [3, 4]], 'int32'))[0]));
});

L('lstmCell / gruCell: scan equals the unrolled loop, apply threads the carry as state, grad reaches every weight', () => {
  for (const cell of [nn.lstmCell({ in: 3, hidden: 4 }), nn.gruCell({ in: 3, hidden: 4 })] as nn.RecurrentCell<{ h: NdArray }>[]) {
    const v = cell.init(random.key(4));
    const xs = randn([6, 2, 3], 5);
    const [last, hs] = lax.scan((carry: { h: NdArray }, xt: NdArray) => cell.step(v.params, carry, xt), cell.initCarry([2]), xs);
    // the same with apply (the carry is the layer's state), starting from init's one-example carry
    let state = v.state;
    const steps: NdArray[] = [];
    for (const xt of np.split(xs, 6, 0)) {
      const [h, s] = cell.apply(v.params, state, np.squeeze(xt, 0));
      steps.push(h);
      state = s;
    }
    allClose(read(hs), read(np.stack(steps)), { rtol: 1e-6, atol: 1e-7 }, cell.kind);
    tree.map((p: NdArray, q: NdArray) => allClose(read(p), read(q), { rtol: 1e-6, atol: 1e-7 }, cell.kind), last, state);
    // one example, unbatched, under vmap over the batch
    const one = vmap((x: NdArray) => cell.apply(v.params, v.state, x)[0])(np.squeeze(np.split(xs, 6, 0)[0], 0)) as tf.Tensor;
    allClose(read(one), read(steps[0]), { rtol: 1e-6, atol: 1e-7 }, `${cell.kind} vmap`);
    // gradient of the last hidden state reaches every parameter, under jit
    const loss = (p: nn.RecurrentParams) => np.sum(lax.scan((carry: { h: NdArray }, xt: NdArray) => cell.step(p, carry, xt), cell.initCarry([2]), xs)[0].h);
    const g = jit(grad(loss))(v.params) as nn.RecurrentParams;
    for (const t of tree.leaves<tf.Tensor>(g)) assert.ok(read(t).some((x) => x !== 0) && read(t).every(Number.isFinite), cell.kind);
  }
});

L('errors: one line naming the layer and what is wrong', () => {
  const k = key0();
  const cases: [() => unknown, RegExp][] = [
    [() => nn.groupNorm({ groups: 4, channels: 6 }), /^groupNorm: channels \(6\) must be divisible by groups \(4\)$/],
    [() => { const l = nn.groupNorm({ groups: 2, channels: 6 }); return l.apply(l.init(k).params, {}, randn([2, 3, 4])); }, /^groupNorm: expected a batch \[N, \.\.\., 6\] \(channels last\), got \[2,3,4\]$/],
    [() => { const l = nn.groupNorm({ groups: 2, channels: 6 }); return l.apply(l.init(k).params, {}, randn([6])); }, /^groupNorm: expected a batch/],
    [() => nn.instanceNorm({ channels: 3 }).apply({}, {}, randn([2, 3])), /^instanceNorm: expected a batch \[N, \.\.\., 3\] with a spatial axis/],
    [() => { const l = nn.rmsNorm({ dim: 4 }); return l.apply(l.init(k).params, {}, randn([2, 3])); }, /^rmsNorm: expected inputs \[\.\.\., 4\], got \[2,3\]$/],
    [() => { const l = nn.lstmCell({ in: 3, hidden: 4 }); const v = l.init(k); return l.apply(v.params, v.state, randn([2, 5])); }, /^lstmCell: expected inputs \[\.\.\., 3\], got \[2,5\]$/],
    [() => { const l = nn.lstmCell({ in: 3, hidden: 4 }); return l.apply(l.init(k).params, { h: np.zeros([4]), c: np.zeros([5]) }, randn([3])); }, /^lstmCell: expected carry\.c \[\.\.\., 4\], got \[5\]$/],
    [() => { const l = nn.gruCell({ in: 3, hidden: 4 }); return l.apply(l.init(k).params, {} as nn.GruCarry, randn([3])); }, /^gruCell: expected carry\.h \[\.\.\., 4\], got none$/],
    [() => nn.lstmCell({ in: 0, hidden: 4 }), /^lstmCell: in must be a positive integer, got 0$/],
    [() => { const l = nn.prelu({ num: 3 }); return l.apply(l.init(k).params, {}, randn([2, 4])); }, /^prelu: expected inputs \[\.\.\., 3\] \(channels last\), got \[2,4\]$/],
    [() => { const l = nn.conv1d({ in: 3, out: 2, kernel: 3 }); return l.apply(l.init(k).params, {}, randn([2, 5, 4])); }, /^conv1d: expected 3 input channels \(\[N, L, C\]\), got input \[2,5,4\]$/],
    [() => { const l = nn.conv1d({ in: 3, out: 2, kernel: 3 }); return l.apply(l.init(k).params, {}, randn([3])); }, /^conv1d: expected an input of rank 3 \(batched\) or 2 \(one example\), got \[3\]$/],
  ];
  cases.forEach(([f, re], i) => assert.throws(f, (e: Error) => re.test(e.message) && !e.message.includes('\n'), `case ${i}`));
});

L('no tensor leaks: factories allocate nothing, init/fromTorch/toTorch keep only their results', () => {
  const make = () => [
    nn.embedding({ num: 5, dim: 3, paddingIdx: 1 }),
    nn.groupNorm({ groups: 2, channels: 4 }),
    nn.rmsNorm({ dim: 4 }),
    nn.lstmCell({ in: 3, hidden: 2 }),
    nn.gruCell({ in: 3, hidden: 2 }),
    nn.prelu({ num: 4 }),
    nn.conv1d({ in: 4, out: 2, kernel: 3 }),
  ];
  const k = key0();
  const before = tf.memory().numTensors;
  const layers = make();
  assert.is(tf.memory().numTensors, before, 'factories');
  for (const layer of layers) {
    const n0 = tf.memory().numTensors;
    const v = layer.init(k);
    const leaves = tree.leaves<tf.Tensor>(v);
    assert.is(tf.memory().numTensors, n0 + new Set(leaves).size, `${layer.kind} init`);
    const sd = nn.exportTorchStateDict(layer, v);
    assert.is(tf.memory().numTensors, n0 + new Set(leaves).size + Object.keys(sd).length, `${layer.kind} toTorch`);
    const back = nn.loadTorchStateDict(layer, sd);
    const n1 = tf.memory().numTensors;
    tf.dispose([...leaves, ...Object.values(sd), ...tree.leaves<tf.Tensor>(back)]);
    assert.is(n1 - tf.memory().numTensors, new Set([...leaves, ...Object.values(sd), ...tree.leaves<tf.Tensor>(back)]).size, `${layer.kind} fromTorch`);
  }
  assert.is(tf.memory().numTensors, before, 'all freed');
});

L.run();
