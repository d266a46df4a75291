/**
 * Common distributions by transformation of the uniform and normal samplers (so they run
 * under jit and vmap, with keys batched or not): gumbel, exponential, laplace, cauchy,
 * gamma (Marsaglia–Tsang with a fixed number of masked rounds), beta, dirichlet,
 * multivariateNormal, and categorical / choice. The gamma family (gamma, loggamma, beta,
 * dirichlet) is differentiable in its shape parameters by implicit reparameterization
 * (gamma-grad.ts, as JAX); other shape parameters go through stop_gradient. Location and
 * scale arguments, where there are any, are plain arithmetic on the samples.
 */
import { type NdArray, customJvp, scope, type Shape, shapeStr } from '../core/index.js';
import { logGammaSampleGrad } from './gamma-grad.js';
import * as np from '../ops/index.js';
import { type Key, bits, checkKey, normal, permutation, randint, splitKeys, uniform } from './keys.js';
import { fixedToFloat, limbs16, negate64 } from './fixed-point.js';
import { checkShape, concreteCount, pairHalves, sampleShape } from './shapes.js';

/** The smallest normal float32: the lower end of the uniforms that are logged. */
const TINY = 1.1754943508222875e-38;
/** float32's machine epsilon (finfo.eps) and the gap below 1 (finfo.epsneg). */
const EPS = 2 ** -23;
const EPSNEG = 2 ** -24;

/** Uniform in [TINY, 1), JAX's uniform(key, shape, tiny, 1) (u + tiny rounds to u above 0): its log is finite. */
export const positiveUnit = (key: Key, shape: Shape) => np.maximum(uniform(key, shape), TINY);

/** Key i of `splitKeys(key, n)` (keys may be batched: [..., 2]). */
export function nthKey(keys: NdArray, i: number): NdArray {
  const axis = keys.shape.length - 2;
  return np.squeeze(np.sliceAxis(keys, axis, i, i + 1), axis);
}

/**
 * How gumbel draws (jax.random.gumbel's `mode`, also categorical's and choice's): 'low' (JAX's
 * default) one uniform of 23 bits, so samples stop near 16 and events below probability ~1e-7
 * are biased; 'high' two uniforms, u1 + 2^-23 u2 below 1/2 (up to ~32, events to ~1e-14);
 * 'highest' 64 random bits read as a fixed-point fraction truncated to float32 (to ~44).
 */
export type GumbelMode = 'low' | 'high' | 'highest';

/** Throws unless mode is a GumbelMode. */
function checkGumbelMode(mode: unknown, op: string): GumbelMode {
  if (mode !== 'low' && mode !== 'high' && mode !== 'highest') throw new Error(`random.${op}: mode must be 'low', 'high' or 'highest', got '${String(mode)}'`);
  return mode;
}

/**
 * Standard Gumbel samples, as jax.random.gumbel: -log(-log(u)) with u uniform in [tiny, 1)
 * ('low'), or JAX's finer constructions for `mode` 'high' and 'highest' (see GumbelMode).
 * @example np.argmax(np.add(logits, random.gumbel(key, logits.shape))) // a categorical draw
 */
export function gumbel(key: Key, shape: Shape = [], mode: GumbelMode = 'low'): NdArray {
  checkKey(key, 'gumbel');
  checkShape(shape, 'gumbel');
  checkGumbelMode(mode, 'gumbel');
  if (mode === 'high') return scope(() => highGumbel(key, shape));
  if (mode === 'highest') return scope(() => highestGumbel(key, shape));
  return scope(() => gumbelOf(positiveUnit(key, shape)));
}

/** -log(-log(u)): the Gumbel sample of a uniform u. */
const gumbelOf = (u: NdArray) => np.neg(np.log(np.neg(np.log(u))));

/** -log(-log1p(-x)): the Gumbel sample of 1 - x. */
const gumbelOfComplement = (x: NdArray) => np.neg(np.log(np.neg(np.log1p(np.neg(x)))));

/** JAX's 'high' gumbel: hi, lo = uniform(key, [2, ...shape]); x = hi where hi >= 1/2, else hi + 2^-23 lo + 2^-47. */
function highGumbel(key: Key, shape: Shape): NdArray {
  const [hi, lo] = pairHalves(uniform(key, [2, ...shape]), shape);
  return gumbelOfComplement(np.where(np.greaterEqual(hi, 0.5), hi, np.add(np.add(hi, np.mul(lo, EPS)), 2 ** -47)));
}

/**
 * JAX's 'highest' gumbel: w = bits(key, [2, ...shape]) as a 64-bit fraction (w0 high); below 1/2
 * it is x and the sample -log(-log1p(-x)), else x = 1 - w and the sample -log(-log(x)), x being
 * the fraction truncated to 24 significant bits (JAX's _safe_int_to_float).
 */
function highestGumbel(key: Key, shape: Shape): NdArray {
  const [w0, w1] = pairHalves(bits(key, [2, ...shape]), shape);
  const limbs = [...limbs16(w0), ...limbs16(w1)];
  const negated = negate64(limbs);
  const low = np.greaterEqual(w0, 0);
  const x = fixedToFloat(limbs.map((l, i) => np.where(low, l, negated[i]!)));
  return np.where(low, gumbelOfComplement(x), gumbelOf(x));
}

/** Standard exponential samples (rate 1), -log1p(-u) with u uniform in [0, 1), as jax.random.exponential. */
export function exponential(key: Key, shape: Shape = []): NdArray {
  checkShape(shape, 'exponential');
  return scope(() => np.neg(np.log1p(np.neg(uniform(key, shape)))));
}

/**
 * Standard Laplace samples (location 0, scale 1, variance 2), as jax.random.laplace:
 * sign(u) log1p(-|u|) with u = uniform(key, shape, -1 + 2^-24, 1).
 */
export function laplace(key: Key, shape: Shape = []): NdArray {
  checkShape(shape, 'laplace');
  return scope(() => {
    const u = uniform(key, shape, { minval: -1 + EPSNEG, maxval: 1 });
    return np.mul(np.sign(u), np.log1p(np.neg(np.abs(u))));
  });
}

/** Standard Cauchy samples, as jax.random.cauchy: tan(pi (u - 1/2)) with u = uniform(key, shape, eps, 1). */
export function cauchy(key: Key, shape: Shape = []): NdArray {
  checkShape(shape, 'cauchy');
  return scope(() => np.tan(np.mul(np.sub(uniform(key, shape, { minval: EPS, maxval: 1 }), 0.5), Math.PI)));
}

/** Rounds of Marsaglia–Tsang proposals: each is accepted with probability >= 0.95, so all 10 fail with probability < 1e-13. */
const GAMMA_ROUNDS = 10;

/** a broadcast to `shape`, keeping its gradient (the gamma family's implicit reparameterization reaches it). */
function gammaParam(a: number | NdArray, shape: Shape): NdArray {
  return typeof a === 'number' ? shapeParam(a, shape) : np.broadcastTo(np.cast(a, 'float32'), shape);
}

/**
 * log x for a Gamma(a, 1) sample x (its value, computed without gradient) with the implicit
 * reparameterization gradient in `a` attached (gamma-grad.ts), as jax.random.gamma's.
 */
const withShapeGradient = customJvp(
  (_a: NdArray, logx: NdArray) => logx,
  ([a, logx]: NdArray[], [ta]: NdArray[]) => [logx, np.mul(ta!, logGammaSampleGrad(a!, logx!))],
);

/**
 * a broadcast to `shape`, without gradient (samples are not differentiated with respect to it).
 * Its value is not checked: as in jax.random, a zero, negative or NaN parameter gives whatever
 * the sampler's formula gives (NaN, 0, inf, ...), a number the same as a 0-d array.
 */
export function shapeParam(a: number | NdArray, shape: Shape): NdArray {
  return np.broadcastTo(np.stopGradient(np.cast(typeof a === 'number' ? np.full([], a, 'float32') : a, 'float32')), shape);
}

/**
 * log of Gamma(a, 1) samples: Marsaglia & Tsang (2000) for shape a' = max(a, a + 1 if a < 1)
 * with GAMMA_ROUNDS proposals drawn at once and the first accepted one kept (masking, not a
 * loop, so it runs under jit and vmap); for a < 1 the boost log U / a. In log space, so beta
 * and dirichlet stay exact where small shapes make the gamma samples underflow. Should
 * every round reject (probability < 1e-13 per sample), the sample is d = a' - 1/3.
 */
function logGamma(key: Key, a: NdArray, shape: Shape): NdArray {
  return withShapeGradient(a, np.stopGradient(logGammaDraw(key, np.stopGradient(a), shape)));
}

/** The draw of logGamma, not differentiated. */
function logGammaDraw(key: Key, a: NdArray, shape: Shape): NdArray {
  const keys = splitKeys(key, 3);
  const small = np.less(a, 1);
  const boosted = np.where(small, np.add(a, 1), a);
  const d = np.sub(boosted, 1 / 3);
  const c = np.rsqrt(np.mul(d, 9));
  const x = normal(nthKey(keys, 0), [GAMMA_ROUNDS, ...shape]);
  const logU = np.log(positiveUnit(nthKey(keys, 1), [GAMMA_ROUNDS, ...shape]));
  const lead = x.shape.length - shape.length - 1;
  const onePlus = np.add(np.mul(x, c), 1);
  const v = np.mul(np.mul(onePlus, onePlus), onePlus);
  const positive = np.greater(v, 0);
  const logV = np.log(np.where(positive, v, 1));
  // Accept when log U < x^2 / 2 + d - d v + d log v (and v > 0).
  const bound = np.add(np.mul(np.square(x), 0.5), np.mul(d, np.add(np.sub(1, v), logV)));
  const accept = np.logicalAnd(positive, np.less(logU, bound));
  const logDv = np.add(np.log(d), logV);
  const round = (r: number, t: NdArray) => np.squeeze(np.sliceAxis(t, lead, r, r + 1), lead);
  let out = np.log(d);
  for (let r = GAMMA_ROUNDS - 1; r >= 0; r--) out = np.where(round(r, accept), round(r, logDv), out);
  const boost = np.div(np.log(positiveUnit(nthKey(keys, 2), shape)), a);
  return np.where(small, np.add(out, boost), out);
}

/**
 * Gamma(a, 1) samples (shape a, scale 1; multiply for another scale), `shape` defaulting to
 * a's shape. Exact up to float32 rounding (see logGamma); for a below ~0.01 many samples
 * underflow to 0, which beta and dirichlet avoid by working in log space.
 * @example random.gamma(key, 2.5, [1000])
 */
export function gamma(key: Key, a: number | NdArray, shape?: Shape): NdArray {
  checkKey(key, 'gamma');
  const s = sampleShape('gamma', shape, a);
  return scope(() => np.exp(logGamma(key, gammaParam(a, s), s)));
}

/**
 * log of Gamma(a, 1) samples (jax.random.loggamma): exact where gamma itself underflows to 0
 * (a below ~0.01). `shape` defaults to a's shape.
 */
export function loggamma(key: Key, a: number | NdArray, shape?: Shape): NdArray {
  checkKey(key, 'loggamma');
  const s = sampleShape('loggamma', shape, a);
  return scope(() => logGamma(key, gammaParam(a, s), s));
}

/** Beta(a, b) samples: X / (X + Y) for X ~ Gamma(a), Y ~ Gamma(b), as sigmoid(log X - log Y). */
export function beta(key: Key, a: number | NdArray, b: number | NdArray, shape?: Shape): NdArray {
  checkKey(key, 'beta');
  // The broadcast shape from the shapes alone: an eager call makes no tensor for it.
  const s = sampleShape('beta', shape, a, b);
  return scope(() => {
    const keys = splitKeys(key, 2);
    const lx = logGamma(nthKey(keys, 0), gammaParam(a, s), s);
    const ly = logGamma(nthKey(keys, 1), gammaParam(b, s), s);
    return np.sigmoid(np.sub(lx, ly));
  });
}

/**
 * Dirichlet(alpha) samples over alpha's last axis (K categories): [...shape, K], `shape`
 * defaulting to alpha's leading dims; normalised gammas, as a softmax of their logs.
 */
export function dirichlet(key: Key, alpha: NdArray, shape?: Shape): NdArray {
  checkKey(key, 'dirichlet');
  const sa = alpha.shape;
  if (sa.length < 1) throw new Error(`random.dirichlet: alpha must have a category axis, got ${shapeStr(sa)}`);
  const s = [...sampleShape('dirichlet', shape, { shape: sa.slice(0, -1) }), sa[sa.length - 1]];
  return scope(() => np.softmax(logGamma(key, gammaParam(alpha, s), s), -1));
}

/** How multivariateNormal factors the covariance (jax.random.multivariate_normal's `method`). */
export type CovFactorMethod = 'cholesky' | 'eigh' | 'svd';

/**
 * Multivariate normal samples [...shape, n] with mean [..., n] and covariance [..., n, n]:
 * mean + F z with z standard normal and F F^T = cov, F the Cholesky factor (default; NaN for
 * a singular covariance, as in JAX), or from `eigh` (V sqrt(w), eigenvalues clamped at 0) or
 * `svd` (U sqrt(s)), which also take singular (positive semi-definite) covariances. `shape`
 * defaults to the broadcast of mean's and cov's leading dims, which must broadcast to it.
 */
export function multivariateNormal(key: Key, mean: NdArray, cov: NdArray, shape?: Shape, method: CovFactorMethod = 'cholesky'): NdArray {
  const sm = mean.shape;
  const sc = cov.shape;
  const n = sm[sm.length - 1];
  if (sm.length < 1 || sc.length < 2 || sc[sc.length - 1] !== n || sc[sc.length - 2] !== n)
    throw new Error(`random.multivariateNormal: need mean [..., n] and cov [..., n, n], got ${shapeStr(sm)} and ${shapeStr(sc)}`);
  if (!['cholesky', 'eigh', 'svd'].includes(method)) throw new Error(`random.multivariateNormal: method must be 'cholesky', 'eigh' or 'svd', got '${String(method)}'`);
  const batch = sampleShape('multivariateNormal', shape, { shape: sm.slice(0, -1) }, { shape: sc.slice(0, -2) });
  return scope(() => np.add(mean, np.matvec(covFactor(cov, method), normal(key, [...batch, n]))));
}

/** F with F F^T = cov, by the given method. */
function covFactor(cov: NdArray, method: CovFactorMethod): NdArray {
  if (method === 'cholesky') return np.cholesky(cov);
  if (method === 'svd') {
    const [u, s] = np.linalg.svd(cov);
    return np.mul(u, np.expandDims(np.sqrt(s), -2));
  }
  const [w, v] = np.linalg.eigh(cov);
  return np.mul(v, np.expandDims(np.sqrt(np.maximum(w, 0)), -2));
}

/**
 * Draws from categorical distributions with unnormalised log-probabilities along `axis`
 * (Gumbel-max), as jax.random.categorical: `shape` (default: logits' shape without `axis`)
 * must end with those batch dims; leading dims draw independent samples. With `replace`
 * false, the leading dims' draws for one distribution are distinct (Gumbel top-k, as JAX),
 * so there can be at most as many as categories. `mode` is the Gumbel noise's (GumbelMode:
 * 'high' or 'highest' for events of probability below ~1e-7).
 * @example random.categorical(key, logits, -1, [100, ...batch]) // 100 draws per row
 */
export function categorical(key: Key, logits: NdArray, axis = -1, shape?: Shape, replace = true, mode: GumbelMode = 'low'): NdArray {
  checkGumbelMode(mode, 'categorical');
  const sl = logits.shape;
  const a = axis < 0 ? axis + sl.length : axis;
  if (a < 0 || a >= sl.length) throw new Error(`random.categorical: axis ${axis} is out of range for logits ${shapeStr(sl)}`);
  const batch = sl.filter((_, i) => i !== a);
  const s = shape ?? batch;
  const tail = s.slice(s.length - batch.length);
  if (s.length < batch.length || tail.some((d, i) => d !== batch[i] && batch[i] !== 1))
    throw new Error(`random.categorical: shape ${shapeStr(s)} must end with the logits' batch dims ${shapeStr(batch)}`);
  const prefix = s.slice(0, s.length - batch.length);
  const withAxis = (dims: Shape) => [...dims.slice(0, a), sl[a], ...dims.slice(a)];
  if (!replace) {
    const k = prefix.reduce((p, d) => p * d, 1);
    if (k > sl[a]) throw new Error(`random.categorical: the number of samples without replacement (${k}) cannot exceed the number of categories (${sl[a]})`);
    return scope(() => {
      const g = gumbel(key, withAxis(tail), mode);
      const lead = g.shape.length - tail.length - 1;
      const [, top] = np.topK(np.moveaxis(np.add(g, logits), lead + a, -1), k);
      return np.reshape(np.moveaxis(top, -1, lead), [...g.shape.slice(0, lead), ...s]);
    });
  }
  const full = [...prefix, ...withAxis(tail)];
  return scope(() => {
    const g = gumbel(key, full, mode);
    const lead = g.shape.length - full.length;
    return np.argmax(np.add(g, logits), lead + prefix.length + a);
  });
}

/**
 * choice's draws with replacement and probabilities p, as jax.random.choice: the first index
 * whose running sum of p reaches total (1 - u), u = uniform(key, shape) (float32, searchsorted 'left').
 */
function inverseCdfChoice(key: Key, p: NdArray, shape: Shape): NdArray {
  const cdf = np.cumsum(np.cast(p, 'float32'));
  const total = np.sliceAxis(cdf, 0, cdf.shape[0] - 1, cdf.shape[0]);
  return np.searchsorted(cdf, np.mul(total, np.sub(1, uniform(key, shape))));
}

/**
 * choice's k draws without replacement with probabilities p, as jax.random.choice: the top k of
 * gumbel(key, [n]) + log p (the Gumbel top-k), largest first, ties to the lower index as
 * lax.top_k. As k successive argmaxes (O(k n), where a sort would cost O(n^2) here).
 */
function gumbelTopK(key: Key, p: NdArray, k: number, mode: GumbelMode): NdArray {
  const n = p.shape[0];
  // Zero-probability entries get the lowest finite score, not -inf: picked entries are marked
  // -inf and must rank below every entry still unpicked (top_k never repeats an index).
  let g = np.maximum(np.add(gumbel(key, [n], mode), np.log(np.cast(p, 'float32'))), -3.4028234663852886e38);
  const ids = np.arange(0, n);
  const picks: NdArray[] = [];
  for (let i = 0; i < k; i++) {
    const pick = np.argmax(g, -1);
    picks.push(pick);
    g = np.where(np.equal(np.expandDims(pick, -1), ids), -Infinity, g);
  }
  return np.stack(picks, -1);
}

export interface ChoiceOptions {
  /** With replacement (default true). */
  readonly replace?: boolean;
  /** Probabilities of the n entries (1-D, summing to 1); uniform by default. */
  readonly p?: NdArray;
  /** The axis of `a` to choose along (default 0). */
  readonly axis?: number;
  /** The Gumbel noise's mode where it is drawn (with `p`, without replacement; GumbelMode), default 'low'. */
  readonly mode?: GumbelMode;
}

/**
 * Random entries of `a` along `axis` (or of 0..a-1 when `a` is a number), `shape` of them
 * with JAX's constructions (jax.random.choice): with replacement randint, or with `p` the
 * inverse CDF (searchsorted in the running sum of p); without replacement a permutation's
 * prefix, or with `p` the Gumbel top-k (the k largest of log p + Gumbel noise), which draws
 * as sequential sampling without replacement does.
 * JAX's positional `(key, a, shape, replace, p, axis)` is taken too.
 * @example random.choice(key, 10, [3], { replace: false })
 */
export function choice(key: Key, a: number | NdArray, shape: Shape = [], optionsOrReplace: ChoiceOptions | boolean = {}, pArg?: NdArray, axisArg?: number): NdArray {
  // JAX's positional form, choice(key, a, shape, replace, p, axis), as a port from Python writes it.
  const options: ChoiceOptions = typeof optionsOrReplace === 'boolean' ? { replace: optionsOrReplace, p: pArg, axis: axisArg } : optionsOrReplace;
  const { replace = true, p, axis = 0, mode = 'low' } = options;
  checkKey(key, 'choice');
  checkGumbelMode(mode, 'choice');
  if (!Array.isArray(shape)) throw new Error(`random.choice: shape must be a list of non-negative integers (e.g. [${String(shape)}]), got ${JSON.stringify(shape)}`);
  // A 0-d array is a population size, as an int (jax.random.choice).
  if (typeof a !== 'number' && a.shape.length === 0) a = concreteCount(a, 'choice');
  const n = typeof a === 'number' ? a : a.shape[np.normalizeAxisIndex(axis, a.shape.length, 'random.choice')];
  const k = shape.reduce((x, d) => x * d, 1);
  // As JAX, an empty population is an error only when samples are taken.
  if (!Number.isInteger(n) || n < 0 || (n === 0 && k > 0)) throw new Error(`random.choice: need a positive population size, got ${n}`);
  if (p && (p.shape.length !== 1 || p.shape[0] !== n)) throw new Error(`random.choice: p must have shape [${n}], got ${shapeStr(p.shape)}`);
  if (!replace && k > n) throw new Error(`random.choice: cannot take ${k} samples from ${n} without replacement`);
  return scope(() => {
    let idx: NdArray;
    if (k === 0) idx = np.zeros([...key.shape.slice(0, -1), ...shape], 'int32');
    else if (replace && !p) idx = randint(key, shape, 0, n);
    else if (!p) idx = np.reshape(np.sliceAxis(permutation(key, n), -1, 0, k), [...key.shape.slice(0, -1), ...shape]);
    else idx = np.reshape(replace ? inverseCdfChoice(key, p, shape) : gumbelTopK(key, p, k, mode), [...key.shape.slice(0, -1), ...shape]);
    return typeof a === 'number' ? idx : np.take(a, idx, axis);
  });
}
