/**
 * jax.scipy.special's modified Bessel functions of the first kind: i0, i0e, i1, i1e, from
 * Cephes' single-precision Chebyshev expansions (i0f.c, i1f.c) of exp(-|x|) I(x) on [0, 8]
 * and exp(-|x|) sqrt(|x|) I(x) beyond. Plain operations, so they jit, vmap and differentiate.
 */
import type { NdArray } from '../core/index.js';
import { chbevl } from '../ops/chebyshev.js';
import * as np from '../ops/index.js';
import { type Operand, asFloat } from './util.js';

/** Cephes i0f: exp(-x) I0(x) on [0, 8] in x / 2 - 2. */
const I0_A = [
  -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7, 1.11738753912010371815e-6, -4.41673835845875056359e-6, 1.64484480707288970893e-5,
  -5.75419501008210370398e-5, 1.88502885095841655729e-4, -5.76375574538582365885e-4, 1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
  -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2, 1.71620901522208775349e-1, -3.04682672343198398683e-1, 6.76795274409476084995e-1,
];
/** Cephes i0f: exp(-x) sqrt(x) I0(x) on (8, inf) in 32 / x - 2. */
const I0_B = [3.39623202570838634515e-9, 2.26666899049817806459e-8, 2.04891858946906374183e-7, 2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3, 8.04490411014108831608e-1];
/** Cephes i1f: exp(-x) I1(x) / x on [0, 8]. */
const I1_A = [
  9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7, -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
  4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4, -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
  2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1, -1.76416518357834055153e-1, 2.52587186443633654823e-1,
];
/** Cephes i1f: exp(-x) sqrt(x) I1(x) on (8, inf). */
const I1_B = [-3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7, -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3, 7.78576235018280120474e-1];

/** exp(-|x|) I(|x|) from the two expansions, each branch on inputs it is good for; `scaleSmall` multiplies the [0, 8] one (|x| for I1). */
function scaled(ax: NdArray, small: readonly number[], large: readonly number[], scaleSmall: (x: NdArray) => NdArray): NdArray {
  const near = np.lessEqual(ax, 8);
  const xs = np.where(near, ax, 0);
  const xl = np.where(near, 8, ax);
  const low = np.mul(chbevl(np.sub(np.div(xs, 2), 2), small), scaleSmall(xs));
  const high = np.div(chbevl(np.sub(np.div(32, xl), 2), large), np.sqrt(xl));
  return np.where(near, low, high);
}

/** exp(|x|) y, as two halves so that it overflows only where the result does. */
function unscale(ax: NdArray, y: NdArray): NdArray {
  const half = np.exp(np.mul(ax, 0.5));
  return np.mul(half, np.mul(half, y));
}

/** The exponentially scaled modified Bessel function of order 0, exp(-|x|) I0(x). */
export function i0e(x: Operand): NdArray {
  const ax = np.abs(asFloat(x));
  return scaled(ax, I0_A, I0_B, (v) => np.onesLike(v));
}

/** The modified Bessel function of order 0, I0(x) (inf from |x| of about 89 on, as float32 overflows). */
export function i0(x: Operand): NdArray {
  const ax = np.abs(asFloat(x));
  return unscale(ax, i0e(ax));
}

/** The exponentially scaled modified Bessel function of order 1, exp(-|x|) I1(x) (odd). */
export function i1e(x: Operand): NdArray {
  const v = asFloat(x);
  const ax = np.abs(v);
  return np.mul(np.sign(v), scaled(ax, I1_A, I1_B, (s) => s));
}

/** The modified Bessel function of order 1, I1(x) (odd). */
export function i1(x: Operand): NdArray {
  const v = asFloat(x);
  return unscale(np.abs(v), i1e(v));
}
