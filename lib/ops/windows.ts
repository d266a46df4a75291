/**
 * Window functions (numpy.bartlett, blackman, hamming, hanning, kaiser) and the modified
 * Bessel function i0 that kaiser is made of. A window's length is a JS number, so each is a
 * float32 constant: the cosine windows are computed on the host in float64 with NumPy's
 * formulas and then rounded, kaiser in float32 through {@link i0}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../core/trace.js';
import { chbevl } from './chebyshev.js';
import { abs, div, equal, exp, lessEqual, mul, sqrt, sub, toFloat, where } from './math.js';

/** The samples n = 1 - M, 3 - M, ..., M - 1 of a symmetric window of length M >= 2, mapped by f(n / (M - 1)). */
function symmetric(M: number, op: string, f: (t: number) => number): tf.Tensor {
  if (!Number.isInteger(M)) throw new Error(`${op}: M must be an integer, got ${M}`);
  if (M < 1) return tf.tensor1d([], 'float32');
  if (M === 1) return tf.ones([1], 'float32');
  return tf.tensor1d(Array.from({ length: M }, (_, i) => f((1 - M + 2 * i) / (M - 1))), 'float32');
}

/**
 * The Bartlett (triangular) window of M samples, peak 1 in the middle, 0 at the ends
 * (numpy.bartlett; M <= 0 gives an empty array, M = 1 gives [1]).
 * @example np.bartlett(5) // [0, 0.5, 1, 0.5, 0]
 */
export const bartlett = (M: number): tf.Tensor => symmetric(M, 'bartlett', (t) => (t <= 0 ? 1 + t : 1 - t));

/**
 * The Blackman window of M samples: 0.42 + 0.5 cos(pi t) + 0.08 cos(2 pi t), t in [-1, 1]
 * (numpy.blackman; the ends are -1.4e-17, as NumPy's).
 * @example np.blackman(3) // [-1.4e-17, 1, -1.4e-17]
 */
export const blackman = (M: number): tf.Tensor => symmetric(M, 'blackman', (t) => 0.42 + 0.5 * Math.cos(Math.PI * t) + 0.08 * Math.cos(2.0 * Math.PI * t));

/**
 * The Hamming window of M samples: 0.54 + 0.46 cos(pi t), t in [-1, 1] (numpy.hamming).
 * @example np.hamming(3) // [0.08, 1, 0.08]
 */
export const hamming = (M: number): tf.Tensor => symmetric(M, 'hamming', (t) => 0.54 + 0.46 * Math.cos(Math.PI * t));

/**
 * The Hann window of M samples: 0.5 + 0.5 cos(pi t), t in [-1, 1] (numpy.hanning).
 * @example np.hanning(5) // [0, 0.5, 1, 0.5, 0]
 */
export const hanning = (M: number): tf.Tensor => symmetric(M, 'hanning', (t) => 0.5 + 0.5 * Math.cos(Math.PI * t));

/**
 * The Kaiser window of M samples with shape parameter beta:
 * i0(beta sqrt(1 - t^2)) / i0(beta), t in [-1, 1] (numpy.kaiser; beta = 0 is rectangular).
 * The arguments are float64, i0 and the ratio float32 (a few ulps from NumPy's rounded values).
 * @example np.kaiser(4, 5) // [0.03671089, 0.7753221, 0.7753221, 0.03671089]
 */
export function kaiser(M: number, beta: number): tf.Tensor {
  return tf.tidy(() => {
    const args = symmetric(M, 'kaiser', (t) => beta * Math.sqrt(1 - t * t));
    return M > 1 ? (div(i0(args), i0(tf.scalar(beta))) as tf.Tensor) : args;
  });
}

/** Cephes' Chebyshev coefficients of exp(-x) i0(x) on [0, 8] (NumPy's _i0A). */
const I0_A = [
  -4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16, 1.715391285555133e-15, -1.1685332877993451e-14, 7.676185498604936e-14, -4.856446783111929e-13,
  2.95505266312964e-12, -1.726826291441556e-11, 9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-9, -1.300025009986248e-8, 6.046995022541919e-8,
  -2.670793853940612e-7, 1.1173875391201037e-6, -4.4167383584587505e-6, 1.6448448070728896e-5, -5.754195010082104e-5, 0.00018850288509584165, -0.0005763755745385824,
  0.0016394756169413357, -0.004324309995050576, 0.010546460394594998, -0.02373741480589947, 0.04930528423967071, -0.09490109704804764, 0.17162090152220877,
  -0.3046826723431984, 0.6767952744094761,
];

/** Cephes' Chebyshev coefficients of exp(-x) sqrt(x) i0(x) on (8, inf), in 32 / x - 2 (NumPy's _i0B). */
const I0_B = [
  -7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17, 3.461222867697461e-17, -2.8276239805165836e-16, -3.425485619677219e-16, 1.7725601330565263e-15,
  3.8116806693526224e-15, -9.554846698828307e-15, -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13, 7.180124451383666e-13, -1.7941785315068062e-12,
  -1.3215811840447713e-11, -3.1499165279632416e-11, 1.1889147107846439e-11, 4.94060238822497e-10, 3.3962320257083865e-9, 2.266668990498178e-8, 2.0489185894690638e-7,
  2.8913705208347567e-6, 6.889758346916825e-5, 0.0033691164782556943, 0.8044904110141088,
];

/**
 * The modified Bessel function of the first kind, order 0, elementwise (numpy.i0): Cephes'
 * Chebyshev expansions on [0, 8] and beyond, in float32 (inf from |x| of about 91 on, where
 * float32 overflows). Differentiable (its derivative is i1).
 * @example np.i0(np.array([0, 1, 2])) // [1, 1.2660659, 2.2795851]
 */
export function i0(x: NdArray): NdArray {
  const ax = abs(toFloat(x));
  const small = lessEqual(ax, 8);
  // Each branch sees only inputs it is good for, so the other one's values and derivatives stay finite.
  const xs = where(small, ax, 0);
  const xl = where(small, 8, ax);
  const low = mul(exp(xs), chbevl(sub(div(xs, 2), 2), I0_A));
  // exp(x) / sqrt(x) as two halves, so it overflows only where i0 itself does.
  const half = exp(mul(xl, 0.5));
  const high = mul(half, div(mul(half, chbevl(sub(div(32, xl), 2), I0_B)), sqrt(xl)));
  return where(equal(ax, Infinity), Infinity, where(small, low, high));
}
