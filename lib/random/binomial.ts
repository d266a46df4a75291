/**
 * jax.random.binomial and jax.random.multinomial, with a fixed amount of work per sample
 * (masking, no data-dependent loop), so they run under jit and vmap with keys batched or not.
 * Counts are float32, as JAX returns them (its `dtype` defaults to float).
 */
import { type NdArray, scope, type Shape, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { nthKey } from './distributions.js';
import { type Key, checkKey, splitKeys, uniform } from './keys.js';
import { inverseCdf } from './inverse-cdf.js';
import { sampleShape } from './shapes.js';

/** Up to this mean (count * q, q <= 1/2) samples come from the inverse CDF, above by BTRS (JAX's and NumPy's switch). */
const SMALL_MEAN = 10;
/** Terms of the inverse CDF: with mean <= 10 and q <= 1/2, P(X >= 40) < 1e-12. */
const SMALL_TERMS = 40;
/**
 * Rounds of BTRS proposals: each is accepted with probability above 0.7 (0.71 for means just
 * above 10, 0.85 from 1000 on), so all 21 fail with probability below 1e-11.
 */
const BTRS_ROUNDS = 21;

/** log(k!) minus Stirling's approximation of it, for k >= 0: a table to 9, the series beyond (Hörmann's BTRS; as JAX). */
const STIRLING_TAIL = [0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509, 0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.010411265261972, 0.00925546218271273, 0.00833056343336287];

function stirlingTail(k: NdArray): NdArray {
  const table = np.take(np.array(STIRLING_TAIL), np.cast(np.clip(k, 0, 9), 'int32'));
  const kp1 = np.add(k, 1);
  const kp1sq = np.square(kp1);
  const series = np.div(np.sub(1 / 12, np.div(np.sub(1 / 360, np.div(1 / 1260, kp1sq)), kp1sq)), kp1);
  return np.where(np.lessEqual(k, 9), table, series);
}

/** The inverse CDF for means up to 10: pmf terms (1 - q)^n, then times (n - k) / (k + 1) * q / (1 - q). */
function binomialInversion(key: Key, count: NdArray, q: NdArray, shape: Shape): NdArray {
  const odds = np.div(q, np.sub(1, q));
  const terms: NdArray[] = [np.exp(np.mul(count, np.log1p(np.neg(q))))];
  for (let k = 0; k < SMALL_TERMS - 1; k++) terms.push(np.mul(terms[k], np.mul(np.maximum(np.div(np.sub(count, k), k + 1), 0), odds)));
  return inverseCdf(uniform(key, shape), terms);
}

/**
 * Hörmann's transformed rejection with squeeze (BTRS, 1993; JAX's algorithm) for means above
 * 10 and q <= 1/2: BTRS_ROUNDS proposals at once, the first accepted kept; should all fail,
 * the mode floor((count + 1) q).
 */
function binomialBtrs(key: Key, count: NdArray, q: NdArray, shape: Shape): NdArray {
  const keys = splitKeys(key, 2);
  const u = np.sub(uniform(nthKey(keys, 0), [BTRS_ROUNDS, ...shape]), 0.5);
  const v0 = uniform(nthKey(keys, 1), [BTRS_ROUNDS, ...shape]);
  const lead = u.shape.length - shape.length - 1;
  // Per-sample values (which may carry the keys' batch dims) get the rounds' axis.
  const perRound = (t: NdArray) => (t.shape.length > shape.length ? np.expandDims(t, lead) : t);
  const [n, p] = [perRound(count), perRound(q)];
  const stddev = np.sqrt(np.mul(np.mul(n, p), np.sub(1, p)));
  const b = np.add(np.mul(stddev, 2.53), 1.15);
  const a = np.add(np.add(np.mul(b, 0.0248), np.mul(p, 0.01)), -0.0873);
  const c = np.add(np.mul(n, p), 0.5);
  const vr = np.sub(0.92, np.div(4.2, b));
  const r = np.div(p, np.sub(1, p));
  const alpha = np.mul(np.add(np.div(5.1, b), 2.83), stddev);
  const m = np.floor(np.mul(np.add(n, 1), p));
  const us = np.sub(0.5, np.abs(u));
  const quick = np.logicalAnd(np.greaterEqual(us, 0.07), np.lessEqual(v0, vr));
  const k = np.floor(np.add(np.mul(np.add(np.div(np.mul(a, 2), us), b), u), c));
  const reject = np.logicalOr(np.less(k, 0), np.greater(k, n));
  const v = np.log(np.div(np.mul(v0, alpha), np.add(np.div(a, np.square(us)), b)));
  const nm1 = np.add(np.sub(n, m), 1);
  const nk1 = np.add(np.sub(n, k), 1);
  const bound = [
    np.mul(np.add(m, 0.5), np.log(np.div(np.add(m, 1), np.mul(r, nm1)))),
    np.mul(np.add(n, 1), np.log(np.div(nm1, nk1))),
    np.mul(np.add(k, 0.5), np.log(np.div(np.mul(r, nk1), np.add(k, 1)))),
    stirlingTail(m), stirlingTail(np.sub(n, m)), np.neg(stirlingTail(k)), np.neg(stirlingTail(np.sub(n, k))),
  ].reduce((x, y) => np.add(x, y));
  const accept = np.logicalOr(quick, np.logicalAnd(np.logicalNot(reject), np.lessEqual(v, bound)));
  const round = (i: number, t: NdArray) => np.squeeze(np.sliceAxis(t, lead, i, i + 1), lead);
  let out = np.squeeze(np.sliceAxis(np.broadcastTo(m, k.shape), lead, 0, 1), lead);
  for (let i = BTRS_ROUNDS - 1; i >= 0; i--) out = np.where(round(i, accept), round(i, k), out);
  return out;
}

/**
 * Binomial draws on arrays `count` and `prob` already broadcast to `shape` (they may also carry
 * the keys' batch dims), float32, with JAX's edge cases: NaN for a negative or NaN count or a
 * probability outside [0, 1] or NaN, +inf for an infinite count.
 */
function binomialDraw(key: Key, count: NdArray, prob: NdArray, shape: Shape, methods: 'inversion' | 'btrs' | 'both'): NdArray {
  const keys = splitKeys(key, 2);
  const below = np.less(prob, 0.5);
  const q0 = np.where(below, prob, np.sub(1, prob));
  const invalid = np.logicalOr(np.logicalOr(np.isnan(q0), np.less(q0, 0)), np.logicalOr(np.isnan(count), np.less(count, 0)));
  const infinite = np.logicalAnd(np.isinf(count), np.logicalNot(invalid));
  const q = np.where(invalid, 0.01, q0);
  const small = np.logicalOr(invalid, np.lessEqual(np.mul(count, q), SMALL_MEAN));
  const byInversion = () => binomialInversion(nthKey(keys, 0), np.where(small, count, 0), q, shape);
  const byBtrs = () => binomialBtrs(nthKey(keys, 1), np.where(small, 1e4, count), np.where(small, 0.5, q), shape);
  const x = methods === 'inversion' ? byInversion() : methods === 'btrs' ? byBtrs() : np.where(small, byInversion(), byBtrs());
  const flipped = np.where(np.logicalOr(below, np.logicalOr(invalid, infinite)), x, np.sub(count, x));
  return np.where(invalid, NaN, np.where(infinite, Infinity, flipped));
}

/** A sampler's float32 parameter broadcast to `shape`, without gradient. */
function floatParam(x: number | NdArray, shape: Shape): NdArray {
  return np.broadcastTo(np.stopGradient(typeof x === 'number' ? np.full([], x, 'float32') : np.cast(x, 'float32')), shape);
}

/**
 * Binomial counts of successes in `n` trials of probability `p` (numbers or arrays that
 * broadcast to `shape`, which defaults to their broadcast shape), as float32, as
 * jax.random.binomial: the inverse CDF where the mean n min(p, 1 - p) is at most 10, Hörmann's
 * BTRS rejection (JAX's algorithm, 21 masked proposals) above. NaN for a negative or NaN `n`
 * or a `p` outside [0, 1]; +inf for an infinite `n`. Not differentiable.
 * @example random.binomial(key, 20, 0.3, [1000])
 */
export function binomial(key: Key, n: number | NdArray, p: number | NdArray, shape?: Shape): NdArray {
  checkKey(key, 'binomial');
  const s = sampleShape('binomial', shape, n, p);
  // Number parameters need one method only (the same draws as the masked pair).
  const mean = typeof n === 'number' && typeof p === 'number' ? n * Math.min(p, 1 - p) : null;
  const methods = mean === null ? 'both' : mean <= SMALL_MEAN || !(mean === mean) ? 'inversion' : 'btrs';
  return scope(() => binomialDraw(key, floatParam(n, s), floatParam(p, s), s, methods));
}

/** multinomial's result shape [...batch, K]: `shape` (checked against n and p, as JAX broadcasts them to it), or p's shape with n's batch dims broadcast in. */
function multinomialShape(n: number | NdArray, sp: Shape, shape: Shape | undefined): number[] {
  const k = sp[sp.length - 1];
  if (shape === undefined) return [...sampleShape('multinomial', undefined, n, { shape: sp.slice(0, -1) }), k];
  if (Array.isArray(shape) && (shape.length === 0 || (k !== 1 && shape[shape.length - 1] !== k)))
    throw new Error(`random.multinomial: shape is the whole result shape [...batch, ${k}] (jax.random.multinomial's), ending with p's ${k} categories, got ${shapeStr(shape)}${shape.length ? `; for ${shapeStr(shape)} draws pass ${shapeStr([...shape, k])}` : ''}`);
  const full = sampleShape('multinomial', shape, { shape: sp });
  sampleShape('multinomial', full.slice(0, -1), n);
  return full;
}

/**
 * Multinomial counts of `n` trials over the categories of `p`'s last axis (K of them), float32,
 * as jax.random.multinomial: one binomial per category, of the trials left over with the
 * probability of that category among the remaining ones, so the counts sum to `n`. `shape` is
 * the whole result shape [...batch, K], as JAX's (its code broadcasts p to `shape` and n to
 * `shape[:-1]`; JAX's own test passes `shape=(*batch, *p.shape)`), so p must broadcast to it
 * and n to its batch part; it defaults to p's shape (with n's and p's batch dims broadcast).
 * `p` is not renormalised (JAX's); its last entry takes the remaining trials.
 * @example random.multinomial(key, 100, np.array([0.2, 0.3, 0.5])) // e.g. [19, 33, 48]
 * @example random.multinomial(key, 100, np.array([0.2, 0.3, 0.5]), [1000, 3]) // 1000 draws
 */
export function multinomial(key: Key, n: number | NdArray, p: NdArray, shape?: Shape): NdArray {
  checkKey(key, 'multinomial');
  const sp = p.shape;
  if (sp.length < 1 || sp[sp.length - 1] === 0) throw new Error(`random.multinomial: p must have a non-empty category axis, got ${shapeStr(sp)}`);
  const full = multinomialShape(n, sp, shape);
  const s = full.slice(0, -1);
  const numCats = full[full.length - 1];
  return scope(() => {
    const probs = floatParam(p, [...s, numCats]);
    const cat = (j: number) => np.squeeze(np.sliceAxis(probs, -1, j, j + 1), -1);
    const keys = splitKeys(key, numCats);
    let remaining = floatParam(n, s);
    // Category j's share of the probability left: p_j / (p_j + ... + p_K), 0 where that is 0.
    const ratios: NdArray[] = [];
    let mass: NdArray | null = null;
    for (let j = numCats - 1; j >= 0; j--) {
      mass = mass === null ? cat(j) : np.add(mass, cat(j));
      ratios.unshift(np.clip(np.div(cat(j), np.where(np.equal(mass, 0), 1, mass)), 0, 1));
    }
    const counts = ratios.map((ratio, j) => {
      const c = binomialDraw(nthKey(keys, j), remaining, ratio, s, 'both');
      remaining = np.sub(remaining, c);
      return c;
    });
    return np.stack(counts, -1);
  });
}
