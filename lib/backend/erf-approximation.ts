/**
 * tfjax's float32 erf: one scheme for every backend (the SIMD loop of wasm-math.ts and the
 * tfjs-op composite of lib/core/lower/erf.ts). tfjs's own Erf on cpu and webgpu is
 * Abramowitz and Stegun 7.1.26, whose absolute error of ~1e-7 is a large relative error
 * near 0 (erf(1e-8) came out 1.228e-8 for 1.128e-8, erf(1e-30) as 1e-9).
 *
 * - |x| < SMALL: erf(x) = x + x P(x^2) (odd in x, so erf(-0) = -0).
 * - beyond: erf(|x|) = 1 - exp(-z^2) G(z - CENTER), z = min(|x|, ONE_FROM), sign of x copied;
 *   G(z) approximates erfc(z) exp(z^2), a slowly varying function. Rounding z^2 costs exp a
 *   relative error of z^2 2^-24, but erfc(z) shrinks faster than that grows, so erf keeps it
 *   below 0.1 ulp. At ONE_FROM, 1 - erfc rounds to 1 in float32 (erfc(3.92) < 2^-25).
 *
 * P and G are weighted least-squares fits, rounded to float32 (tools/erf-coefficients.py):
 * within 1.3 ulp of float64 erf in a float32 evaluation (test/backend/wasm-erf.test.ts
 * sweeps every exponent). NaN stays NaN, ±inf gives ±1.
 */

/** Below this |x| the odd polynomial applies. */
export const ERF_SMALL = 0.875;
/** P in erf(x) = x + x P(x^2), highest degree first. */
export const ERF_SMALL_POLY: readonly number[] = [
  8.66869231685996e-5, -8.207446662709117e-4, 5.206204019486904e-3, -2.6861246675252914e-2, 0.11283723264932632, -0.37612634897232056, 0.12837916612625122,
];
/** G's expansion point. */
export const ERF_TAIL_CENTER = 2.4375;
/** From here on erf rounds to ±1. */
export const ERF_ONE_FROM = 4;
/** G in erf(z) = 1 - exp(-z^2) G(z - ERF_TAIL_CENTER), highest degree first. */
export const ERF_TAIL_POLY: readonly number[] = [
  -3.4927223168779165e-5, -7.603935227962211e-5, -1.6786676133051515e-4, 2.545213501434773e-4, -7.09102547261864e-4, 2.7764709666371346e-3, -8.648368529975414e-3,
  2.6486534625291824e-2, -7.75633230805397e-2, 0.21555247902870178,
];
