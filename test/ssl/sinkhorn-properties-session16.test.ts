/**
 * Sinkhorn property-tested by a user with the shipped arbitraries (lib/ssl/swav/arbitraries.ts),
 * session 16: the marginals (samples exactly, prototypes within the convergence bound), the
 * log-domain invariances (a constant per prototype after at least one iteration, a constant per
 * sample with none or once converged), equivariance under permutations of samples and prototypes together, finiteness
 * at epsilon down to 1e-4, a stack of score matrices under `vmap` (and `jit(vmap)`, with a batched
 * mask) equal to the loop, the sharded (`axisName`) codes equal to one process for 2 and 4 members
 * at 0 to 4 iterations, and gradients: none through the codes (`stopGradient`, as the seed's
 * `no_grad`), finite through `swavLoss`.
 *
 * Regression: `epsilon` may be a scalar array, e.g. DINOv2's teacher-temperature warm-up under
 * `jit` (`sinkhornKnopp(logits, T(step))`, as `teacherProbs` takes one); both refused it ("epsilon
 * must be a finite number > 0, got an array").
 */
import * as fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, jvp, np, ssl, swav, tf, vmap } from '../../lib/node.js';
import { permutation, sinkhornCase } from '../../lib/ssl/swav/arbitraries.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const RUNS = Number(process.env.TFJAX_FC_RUNS ?? 25);
const SEED = Number(process.env.TFJAX_FC_SEED ?? 16);
const check = <T>(arb: fc.Arbitrary<T>, p: (x: T) => void, numRuns = RUNS) => fc.assert(fc.property(arb, p), { numRuns, seed: SEED, includeErrorInReport: true });

/** `f`'s result read as nested rows; every tensor it made is freed. */
function rows(f: () => NdArray): number[][] {
  return tf.tidy(() => f() as tf.Tensor).arraySync() as number[][];
}
const codes = (scores: number[][], opts: swav.SinkhornOptions) => rows(() => swav.sinkhorn(np.array(scores), opts));
const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(0, ...a.flatMap((r, i) => r.map((x, k) => Math.abs(x - b[i]![k]!))));
/** The float32 rounding of scores / epsilon moves log-codes by a few 2^-24 / epsilon (docs/swav.md). */
const tolFor = (epsilon: number) => 2e-6 + (16 * 2 ** -24) / epsilon;

// ---------------------------------------------------------------------------------------------
const Props = suite('sinkhorn properties (session 16)');

Props('marginals: each sample sums to 1; the prototype marginal error shrinks to < 1e-4 by 40 iterations at epsilon >= 0.5', () => {
  check(sinkhornCase({ minBatch: 2, maxBatch: 10, maxPrototypes: 10 }, { minEpsilon: 0.5, maxEpsilon: 1, minIterations: 40, maxIterations: 40 }), ({ scores, epsilon, batch, prototypes }) => {
    const err = (q: number[][]) => Array.from({ length: prototypes }, (_, k) => Math.abs(q.reduce((a, r) => a + r[k]!, 0) - batch / prototypes)).reduce((a, x) => a + x, 0) / batch;
    const errs = [1, 3, 40].map((iterations) => codes(scores, { epsilon, iterations })).map((q) => {
      for (const r of q) assert.ok(Math.abs(r.reduce((a, x) => a + x, 0) - 1) < 1e-6, `row sum ${r}`);
      return err(q);
    });
    assert.ok(errs[2]! < 1e-4, `marginal error after 40 iterations ${errs[2]}`);
    assert.ok(errs[1]! <= errs[0]! + 1e-6 && errs[2]! <= errs[1]! + 1e-6, `marginal errors ${errs} must not grow`);
  });
});

Props('log domain: a constant per prototype changes nothing (>= 1 iteration); a constant per sample changes nothing with 0 iterations and once converged', () => {
  const shifted = fc.tuple(sinkhornCase({ minBatch: 2, maxBatch: 8, maxPrototypes: 8 }, { minEpsilon: 0.3, maxEpsilon: 1, minIterations: 0, maxIterations: 4 }), fc.integer({ min: 0, max: 2 ** 30 }));
  check(shifted, ([{ scores, epsilon, iterations, batch, prototypes }, seed]) => {
    const c = (i: number) => Math.fround(((seed * (i + 7)) % 997) / 997 - 0.5); // in [-0.5, 0.5)
    const perProto = scores.map((r) => r.map((x, k) => Math.fround(x + c(k))));
    const perSample = scores.map((r, b) => r.map((x) => Math.fround(x + c(b + prototypes))));
    // With 0 iterations the codes are a per-sample softmax: the per-sample shift is the one that cancels.
    const [shifted, invariant] = iterations === 0 ? [perSample, 'per-sample'] : [perProto, 'per-prototype'];
    assert.ok(maxAbsDiff(codes(shifted, { epsilon, iterations }), codes(scores, { epsilon, iterations })) <= 2 * tolFor(epsilon), `${invariant} shift, ${iterations} iterations`);
    // Per-sample with iterations: only at the fixed point (the prototype sums see the shift until then).
    const [a, e] = [codes(perSample, { epsilon, iterations: 300 }), codes(scores, { epsilon, iterations: 300 })];
    assert.ok(maxAbsDiff(a, e) <= 1e-4, `per-sample shift at convergence: ${maxAbsDiff(a, e)} (B ${batch}, K ${prototypes})`);
  }, 12);
});

Props('permuting samples and prototypes together permutes the codes', () => {
  const arb = sinkhornCase({ maxBatch: 10, maxPrototypes: 10 }, { minIterations: 0, maxIterations: 5, minEpsilon: 0.01 }).chain((c) => fc.tuple(fc.constant(c), permutation(c.batch), permutation(c.prototypes)));
  check(arb, ([{ scores, epsilon, iterations }, pb, pk]) => {
    const permuted = pb.map((b) => pk.map((k) => scores[b]![k]!));
    const expected = codes(scores, { epsilon, iterations });
    assert.ok(maxAbsDiff(codes(permuted, { epsilon, iterations }), pb.map((b) => pk.map((k) => expected[b]![k]!))) <= tolFor(epsilon));
  });
});

Props('epsilon down to 1e-4: finite, non-negative, rows sum to 1 (the exp-domain reference overflows below ~0.012)', () => {
  check(sinkhornCase({ kind: 'cosine' }, { minEpsilon: 1e-4, maxEpsilon: 0.01, minIterations: 0, maxIterations: 8 }), ({ scores, epsilon, iterations }) => {
    for (const r of codes(scores, { epsilon, iterations })) {
      assert.ok(r.every((x) => Number.isFinite(x) && x >= 0), `codes ${r}`);
      assert.ok(Math.abs(r.reduce((a, x) => a + x, 0) - 1) < 1e-6);
    }
  });
});

Props('a stack of score matrices under vmap and jit(vmap), with a batched mask, equals the loop', () => {
  check(sinkhornCase({ minBatch: 3, maxBatch: 6, maxPrototypes: 6 }, { minIterations: 0, maxIterations: 4, minEpsilon: 0.02 }), ({ scores, epsilon, iterations, batch }) => {
    const stack = [scores, scores.map((r) => r.map((x) => Math.fround(-x))), scores.map((r) => [...r].reverse())];
    const masks = [Array(batch).fill(1), Array.from({ length: batch }, (_, b) => (b === 0 ? 0 : 1)), Array.from({ length: batch }, (_, b) => (b < batch - 1 ? 1 : 0))];
    const f = (s: NdArray, m: NdArray) => swav.sinkhorn(s, { epsilon, iterations, mask: m });
    const loop = stack.map((s, i) => rows(() => f(np.array(s), np.array(masks[i]!))));
    for (const g of [vmap(f), jit(vmap(f))]) {
      const out = tf.tidy(() => g(np.array(stack), np.array(masks)) as tf.Tensor).arraySync() as number[][][];
      out.forEach((q, i) => assert.ok(maxAbsDiff(q, loop[i]!) <= 1e-6, `matrix ${i}: ${maxAbsDiff(q, loop[i]!)}`));
    }
  }, 10);
});

Props('sharded over a named axis (2 and 4 members, 0 to 4 iterations) equals one process', () => {
  check(sinkhornCase({ minBatch: 1, maxBatch: 3, maxPrototypes: 6 }, { minIterations: 0, maxIterations: 4, minEpsilon: 0.02 }), ({ scores, epsilon, iterations, batch, prototypes }) => {
    for (const members of [2, 4]) {
      const whole = Array.from({ length: members }, (_, m) => scores.map((r) => r.map((x) => Math.fround(x * (1 - 0.2 * m))))).flat();
      const one = codes(whole, { epsilon, iterations });
      const sharded = tf.tidy(() => np.reshape(vmap((s: NdArray) => swav.sinkhorn(s, { epsilon, iterations, axisName: 'b' }), { axisName: 'b' })(np.reshape(np.array(whole), [members, batch, prototypes])), [members * batch, prototypes]) as tf.Tensor).arraySync() as number[][];
      assert.ok(maxAbsDiff(sharded, one) <= 2 * tolFor(epsilon), `${members} members: ${maxAbsDiff(sharded, one)}`);
    }
  }, 12);
});

Props('gradients: none through the codes (grad and jvp give zeros), finite through swavLoss', () => {
  const s = np.array([[0.9, -0.2, 0.1], [0.3, 0.8, -0.5], [-0.7, 0.2, 0.6], [0.1, 0.1, 0.1]]);
  const w = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 0, 1]]);
  assert.equal(Array.from(grad((x: NdArray) => np.sum(np.mul(swav.sinkhorn(x), w)))(s).dataSync()), Array(12).fill(0));
  const [, tangent] = jvp((x: NdArray) => swav.sinkhorn(x, { epsilon: 0.01 }), [s], [np.onesLike(s)]);
  assert.equal(Array.from((tangent as tf.Tensor).dataSync()), Array(12).fill(0));
  const g = grad((x: NdArray) => swav.swavLoss([x, np.flip(x, 0)], [swav.sinkhorn(x, { epsilon: 0.001 }), swav.sinkhorn(np.flip(x, 0), { epsilon: 0.001 })], { temperature: 0.1 }))(s);
  assert.ok(Array.from(g.dataSync()).every(Number.isFinite) && Array.from(g.dataSync()).some((x) => x !== 0), `gradient ${g.dataSync()}`);
});

Props('epsilon as a scalar array (a schedule value under jit) gives the codes of the number; one trace for every value', () => {
  const s = np.array([[0.9, -0.2, 0.1], [0.3, 0.8, -0.5], [-0.7, 0.2, 0.6], [0.1, 0.1, 0.1]]);
  const f = jit((x: NdArray, eps: NdArray) => swav.sinkhorn(x, { epsilon: eps, iterations: 3 }));
  const knopp = jit((x: NdArray, t: NdArray) => ssl.sinkhornKnopp(x, t));
  for (const eps of [0.05, 0.04, 0.07]) {
    const want = swav.sinkhorn(s, { epsilon: eps, iterations: 3 }).arraySync() as number[][];
    assert.ok(maxAbsDiff(f(s, np.array(eps)).arraySync() as number[][], want) <= 1e-6, `sinkhorn epsilon ${eps}`);
    assert.ok(maxAbsDiff(knopp(s, np.array(eps)).arraySync() as number[][], ssl.sinkhornKnopp(s, eps).arraySync() as number[][]) <= 1e-6, `sinkhornKnopp temperature ${eps}`);
    assert.ok(maxAbsDiff(swav.sinkhorn(s, { epsilon: np.array(eps) }).arraySync() as number[][], want) <= 1e-6, 'eagerly');
  }
  assert.is(f.cacheSize(), 1);
  assert.is(knopp.cacheSize(), 1);
  assert.is(errorOf(() => swav.sinkhorn(s, { epsilon: np.array([0.05, 0.1]) })), 'sinkhorn: epsilon must be a number or a scalar array, got an array of shape [2]');
  assert.is(errorOf(() => swav.sinkhorn(s, { epsilon: -1 })), 'sinkhorn: epsilon must be a finite number > 0, got -1');
});

Props.run();
