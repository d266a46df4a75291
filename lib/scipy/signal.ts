/**
 * `scipy.signal`: jax.scipy.signal's direct convolutions: convolve and correlate of 1-D, 2-D or
 * 3-D arrays, convolve2d and correlate2d (with SciPy's `fillvalue` for the 'fill' boundary), as one
 * lax.convGeneralDilated, so they jit, vmap and differentiate. No FFT methods (no complex kernels).
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { convGeneralDilated } from '../ops/lax-dot-conv.js';
import { type Operand, asFloat } from './util.js';

/** The output size: 'full' (every overlap), 'same' (in1's shape, centred), 'valid' (full overlaps only). */
export type SignalMode = 'full' | 'same' | 'valid';
const MODES: readonly SignalMode[] = ['full', 'same', 'valid'];

/** JAX's _convolve_nd for 1 to 3 dims: the larger input slides over the flipped smaller, with 'same' centred on in1. */
function convolveNd(in1: NdArray, in2: NdArray, mode: SignalMode, name: string): NdArray {
  if (!MODES.includes(mode)) throw new Error(`${name}: mode must be 'full', 'same' or 'valid', got '${String(mode)}'`);
  const [s1, s2] = [in1.shape, in2.shape];
  if (s1.length !== s2.length) throw new Error(`${name}: in1 and in2 must have the same number of dimensions, got shapes [${s1}] and [${s2}]`);
  if (s1.length < 1 || s1.length > 3) throw new Error(`${name}: only 1-D, 2-D and 3-D inputs are supported, got shape [${s1}]`);
  if (s1.includes(0) || s2.includes(0)) throw new Error(`${name}: zero-size arrays are not supported, got shapes [${s1}] and [${s2}]`);
  const noSwap = s1.every((d, i) => d >= s2[i]!);
  const swap = s1.every((d, i) => d <= s2[i]!);
  if (!noSwap && !swap) throw new Error(`${name}: one input must be at least as large as the other in every dimension, got shapes [${s1}] and [${s2}]`);
  const [big, small] = noSwap ? [in1, in2] : [in2, in1];
  // shapeOut: the original in2's, which 'same' centres the output against (JAX's padding rule).
  const shapeOut = s2;
  const padding = small.shape.map((s, i): [number, number] => {
    if (mode === 'valid') return [0, 0];
    if (mode === 'full') return [s - 1, s - 1];
    const so = shapeOut[i]!;
    return [s - 1 - Math.floor((so - 1) / 2), s - so + Math.floor((so - 1) / 2)];
  });
  const kernel = np.flip(small);
  return big.shape.length === 3 ? correlate3d(big, kernel, padding) : correlateDirect(big, kernel, padding);
}

/** The cross-correlation of x with w (same rank, 1 or 2 dims) with zero padding, as one lax.convGeneralDilated. */
function correlateDirect(x: NdArray, w: NdArray, padding: [number, number][]): NdArray {
  const lead = (v: NdArray) => np.reshape(v, [1, 1, ...v.shape]);
  const out = convGeneralDilated(lead(x), lead(w), w.shape.map(() => 1), padding);
  return np.reshape(out, out.shape.slice(2));
}

/**
 * The 3-D cross-correlation as one 2-D convolution (lax's has at most 2 spatial dims): w's first
 * axis becomes the input channels, and x's first axis the batch of the w.shape[0] shifted slices.
 */
function correlate3d(x: NdArray, w: NdArray, padding: [number, number][]): NdArray {
  const depth = w.shape[0]!;
  // 'same' with swapped inputs pads negatively, i.e. crops (as lax's padding does).
  const [low, high] = padding[0]!;
  const grown = np.pad(x, [[Math.max(low, 0), Math.max(high, 0)], [0, 0], [0, 0]]);
  const padded = np.sliceAxis(grown, 0, Math.max(-low, 0), grown.shape[0]! - Math.max(-high, 0));
  const steps = padded.shape[0]! - depth + 1;
  const shifted = np.stack(Array.from({ length: depth }, (_, a) => np.sliceAxis(padded, 0, a, a + steps)), 1); // [steps, depth, h, w]
  const out = convGeneralDilated(shifted, np.expandDims(w, 0), [1, 1], padding.slice(1));
  return np.reshape(out, [steps, ...out.shape.slice(2)]);
}

/** How convolve and correlate compute: all three are the direct sum here ('fft' too: tfjs's complex64 lacks kernels; same values up to rounding). */
export type SignalMethod = 'auto' | 'direct' | 'fft';
const METHODS: readonly SignalMethod[] = ['auto', 'direct', 'fft'];

function checkMethod(method: SignalMethod, name: string): void {
  if (!METHODS.includes(method)) throw new Error(`${name}: method must be 'auto', 'direct' or 'fft', got '${String(method)}'`);
}

/**
 * The convolution of in1 and in2 (1-D, 2-D or 3-D, the same rank; one at least as large as the
 * other in every dimension): 'full' (default), 'same' (in1's shape) or 'valid'. Every method
 * is computed directly ('fft' gives the direct sum, equal up to rounding).
 */
export function convolve(in1: Operand, in2: Operand, mode: SignalMode = 'full', method: SignalMethod = 'auto'): NdArray {
  checkMethod(method, 'convolve');
  return convolveNd(asFloat(in1), asFloat(in2), mode, 'convolve');
}

/** The cross-correlation sum_k in1[k + n] in2[k] (convolve with in2 flipped), with convolve's modes and methods. */
export function correlate(in1: Operand, in2: Operand, mode: SignalMode = 'full', method: SignalMethod = 'auto'): NdArray {
  checkMethod(method, 'correlate');
  return convolveNd(asFloat(in1), np.flip(asFloat(in2)), mode, 'correlate');
}

/** JAX's correlate2d with zero fill: SciPy's correlate2d centres 'same' (and orders swapped inputs) unlike correlate. */
function correlate2dZero(a: NdArray, k: NdArray, mode: SignalMode): NdArray {
  const name = 'correlate2d';
  const swap = a.shape.every((d, i) => d <= k.shape[i]!);
  const sameShape = a.shape.every((d, i) => d === k.shape[i]!);
  const flipped = () => np.flip(convolveNd(np.flip(a), k, mode, name));
  if (mode === 'same') return flipped();
  if (mode === 'valid') return swap && !sameShape ? convolveNd(np.flip(k), a, mode, name) : flipped();
  return swap ? convolveNd(np.flip(k), a, mode, name) : flipped();
}

/** 2-D checks and the 'fill' boundary: in1 padded with `fillvalue` gives f(in1 - fillvalue) + fillvalue sum(in2). */
function filled(in1: Operand, in2: Operand, boundary: string, fillvalue: number, name: string, f: (a: NdArray, k: NdArray) => NdArray): NdArray {
  if (boundary !== 'fill') throw new Error(`${name}: only boundary 'fill' is supported, got '${boundary}'`);
  const [a, k] = [asFloat(in1), asFloat(in2)];
  if (a.shape.length !== 2 || k.shape.length !== 2) throw new Error(`${name}: inputs must be 2-D, got shapes [${a.shape}] and [${k.shape}]`);
  if (fillvalue === 0) return f(a, k);
  return np.add(f(np.sub(a, fillvalue), k), np.mul(np.sum(k), fillvalue));
}

/** The 2-D convolution of in1 and in2 (SciPy's convolve2d; boundary 'fill' with `fillvalue`, default 0: JAX's, plus SciPy's fill values). */
export function convolve2d(in1: Operand, in2: Operand, mode: SignalMode = 'full', boundary = 'fill', fillvalue = 0): NdArray {
  return filled(in1, in2, boundary, fillvalue, 'convolve2d', (a, k) => convolveNd(a, k, mode, 'convolve2d'));
}

/** The 2-D cross-correlation of in1 and in2 (SciPy's correlate2d, whose 'same' is centred as convolve2d's on the flipped input; boundary 'fill' with `fillvalue`). */
export function correlate2d(in1: Operand, in2: Operand, mode: SignalMode = 'full', boundary = 'fill', fillvalue = 0): NdArray {
  if (!MODES.includes(mode)) throw new Error(`correlate2d: mode must be 'full', 'same' or 'valid', got '${String(mode)}'`);
  return filled(in1, in2, boundary, fillvalue, 'correlate2d', (a, k) => correlate2dZero(a, k, mode));
}

/** The centred `shape` slice of x (SciPy's _centered: start (n - s) // 2 along each axis). */
function centred(x: NdArray, shape: readonly number[]): NdArray {
  return shape.reduce<NdArray>((y, s, ax) => {
    const start = Math.floor((x.shape[ax]! - s) / 2);
    return np.sliceAxis(y, ax, start, start + s);
  }, x);
}

/**
 * jax.scipy.signal.fftconvolve over all axes (`axes` not supported): convolve's result,
 * computed directly (no complex kernels). As with FFTs, 'full' and 'same' take inputs of any
 * relative shape (neither need be larger in every dimension); 'valid' needs one that is.
 */
export function fftconvolve(in1: Operand, in2: Operand, mode: SignalMode = 'full'): NdArray {
  const [a, b] = [asFloat(in1), asFloat(in2)];
  const ordered = a.shape.every((d, i) => d >= b.shape[i]!) || a.shape.every((d, i) => d <= b.shape[i]!);
  if (ordered || a.shape.length !== b.shape.length || mode === 'valid') return convolveNd(a, b, mode, 'fftconvolve');
  if (!MODES.includes(mode)) throw new Error(`fftconvolve: mode must be 'full', 'same' or 'valid', got '${String(mode)}'`);
  // Zeros appended to b make it the larger input and only append zeros to the full result.
  const padded = np.pad(b, b.shape.map((d, i) => [0, Math.max(a.shape[i]! - d, 0)] as [number, number]));
  const fullShape = a.shape.map((d, i) => d + b.shape[i]! - 1);
  const full = fullShape.reduce<NdArray>((y, s, ax) => np.sliceAxis(y, ax, 0, s), convolveNd(a, padded, 'full', 'fftconvolve'));
  return mode === 'full' ? full : centred(full, a.shape);
}

/**
 * Removes the least-squares line (type 'linear', piecewise between the breakpoints `bp`) or
 * the mean ('constant') along `axis` (jax.scipy.signal.detrend).
 * @example signal.detrend(np.array([1, 4, 8, 8, 9])) // [-1, 0, 2, 0, -1]
 */
export function detrend(data: Operand, axis = -1, type: 'linear' | 'constant' = 'linear', bp: number | readonly number[] = 0): NdArray {
  const x = asFloat(data);
  const ax = axis < 0 ? axis + x.shape.length : axis;
  if (ax < 0 || ax >= x.shape.length) throw new Error(`detrend: axis ${axis} is out of range for shape [${x.shape.join(', ')}]`);
  if (type === 'constant') return np.sub(x, np.mean(x, ax, true));
  if (type !== 'linear') throw new Error(`detrend: type must be 'linear' or 'constant', got '${String(type)}'`);
  const n = x.shape[ax]!;
  const points = [...new Set([0, ...(typeof bp === 'number' ? [bp] : bp), n])].sort((p, q) => p - q);
  if (points[0]! < 0 || points[points.length - 1]! > n) throw new Error(`detrend: breakpoints must lie in [0, ${n}], got ${String(bp)}`);
  const pieces = points.slice(1).map((end, k) => lineResidual(np.sliceAxis(x, ax, points[k]!, end), ax));
  return pieces.length === 1 ? pieces[0]! : np.concatenate(pieces, ax);
}

/** y minus its least-squares line a + b t along axis (0 for a single point). */
function lineResidual(y: NdArray, axis: number): NdArray {
  const n = y.shape[axis]!;
  const t = np.reshape(np.arange(n), y.shape.map((d, i) => (i === axis ? n : 1)));
  const tc = np.sub(np.toFloat(t), (n - 1) / 2);
  const yc = np.sub(y, np.mean(y, axis, true));
  const denom = np.sum(np.square(tc), axis, true);
  const slope = np.where(np.greater(denom, 0), np.div(np.sum(np.mul(tc, yc), axis, true), np.maximum(denom, 1)), 0);
  return np.sub(yc, np.mul(slope, tc));
}
