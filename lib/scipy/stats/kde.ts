/** jax.scipy.stats.gaussian_kde: a Gaussian kernel density estimate of d-dimensional data (SciPy's bandwidths). */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { ndtr } from '../special-ndtr.js';
import { logsumexp } from '../special-logsumexp.js';

/** The estimate's fitted state, for a callable `bwMethod`. */
export interface KdeState {
  readonly dataset: NdArray;
  readonly weights: NdArray;
  readonly neff: NdArray;
  readonly d: number;
  readonly n: number;
}

/** SciPy's bandwidth rules, a fixed factor, or a function of the fitted state giving the factor. */
export type BwMethod = 'scott' | 'silverman' | number | ((kde: KdeState) => NdArray | number);

/** A fitted estimate: its state, the kernel covariance, and its density functions. */
export interface GaussianKde extends KdeState {
  readonly factor: NdArray;
  readonly covariance: NdArray;
  readonly invCov: NdArray;
  /** The density at points [d, m] (or [m] when d = 1, or [d] for one point): [m]. */
  evaluate(points: NdArray): NdArray;
  pdf(points: NdArray): NdArray;
  logpdf(points: NdArray): NdArray;
  /** The probability of [low, high] (1-D estimates only). */
  integrateBox1d(low: number | NdArray, high: number | NdArray): NdArray;
}

/** The weighted covariance of the rows of x [d, n] (numpy's cov with aweights w summing to 1, ddof 1). */
function weightedCov(x: NdArray, w: NdArray): NdArray {
  const centred = np.sub(x, np.sum(np.mul(x, w), 1, true));
  const fact = np.sub(1, np.sum(np.square(w)));
  return np.div(np.matmul(np.mul(centred, w), np.transpose(centred)), fact);
}

function bandwidth(method: BwMethod, state: KdeState): NdArray {
  const { neff, d } = state;
  if (method === 'scott') return np.power(neff, -1 / (d + 4));
  if (method === 'silverman') return np.power(np.mul(neff, (d + 2) / 4), -1 / (d + 4));
  if (typeof method === 'number') return np.array(method);
  if (typeof method === 'function') return np.toFloat(np.asarray(method(state)));
  throw new Error(`gaussianKde: bwMethod must be 'scott', 'silverman', a number or a function, got ${String(method)}`);
}

/** Points as [d, m]: a [m] vector is m points when d = 1 and one point when its length is d (SciPy's reading). */
function asPoints(points: NdArray, d: number): NdArray {
  const p = np.atleast2d(np.toFloat(points));
  const [pd, m] = p.shape as [number, number];
  if (pd === d) return p;
  if (pd === 1 && m === d) return np.reshape(p, [d, 1]);
  throw new Error(`gaussianKde: points have dimension ${pd}, the dataset has dimension ${d}`);
}

/**
 * A Gaussian kernel density estimate of `dataset` ([n] or [d, n]) with optional `weights` [n]
 * (normalised to sum 1): kernel covariance = the data's weighted covariance times the bandwidth
 * factor squared ('scott' neff^(-1/(d+4)) by default, 'silverman', a number, or a function).
 * @example const kde = stats.gaussianKde(samples); kde.logpdf(np.linspace(-3, 3, 7))
 */
export function gaussianKde(dataset: NdArray, bwMethod: BwMethod = 'scott', weights?: NdArray): GaussianKde {
  const data = np.atleast2d(np.toFloat(dataset));
  if (data.shape.length !== 2) throw new Error(`gaussianKde: dataset must be 1-D or 2-D, got shape [${data.shape.join(', ')}]`);
  const [d, n] = data.shape as [number, number];
  if (d * n <= 1) throw new Error('gaussianKde: the dataset must have more than one element');
  if (weights && (weights.shape.length !== 1 || weights.shape[0] !== n)) throw new Error(`gaussianKde: weights must have shape [${n}], got [${weights.shape.join(', ')}]`);
  const w = weights ? np.div(np.toFloat(weights), np.sum(np.toFloat(weights))) : np.full([n], 1 / n);
  const state: KdeState = { dataset: data, weights: w, neff: np.div(1, np.sum(np.square(w))), d, n };
  const factor = bandwidth(bwMethod, state);
  const dataCov = weightedCov(data, w);
  const covariance = np.mul(dataCov, np.square(factor));
  const invCov = np.div(np.linalg.inv(dataCov), np.square(factor));
  const logKernels = (points: NdArray): NdArray => kernelLogTerms(data, w, invCov, asPoints(points, d));
  const evaluate = (points: NdArray) => np.sum(np.exp(logKernels(points)), 1);
  return {
    ...state, factor, covariance, invCov, evaluate, pdf: evaluate,
    logpdf: (points) => logsumexp(logKernels(points), 1),
    integrateBox1d: (low, high) => integrateBox1d(state, covariance, low, high),
  };
}

/** log(w_j) + log N(x_i; data_j, inv(precision)) for points x [d, m]: [m, n]. */
function kernelLogTerms(data: NdArray, w: NdArray, precision: NdArray, x: NdArray): NdArray {
  const d = data.shape[0]!;
  const whitening = np.linalg.cholesky(precision);
  const logNorm = np.sub(np.sum(np.log(np.diagonal(whitening))), 0.5 * d * Math.log(2 * Math.PI));
  const p = np.matmul(np.transpose(data), whitening); // [n, d]
  const q = np.matmul(np.transpose(x), whitening); // [m, d]
  const dist2 = np.sum(np.square(np.sub(np.expandDims(q, 1), np.expandDims(p, 0))), 2);
  return np.add(np.add(np.log(w), logNorm), np.mul(dist2, -0.5));
}

function integrateBox1d(state: KdeState, covariance: NdArray, low: number | NdArray, high: number | NdArray): NdArray {
  if (state.d !== 1) throw new Error(`gaussianKde.integrateBox1d: only 1-D estimates, this one has dimension ${state.d}`);
  const sigma = np.sqrt(np.reshape(covariance, []));
  const row = np.reshape(state.dataset, [state.n]);
  const z = (v: number | NdArray) => np.div(np.sub(v, row), sigma);
  return np.sum(np.mul(state.weights, np.sub(ndtr(z(high)), ndtr(z(low)))));
}

