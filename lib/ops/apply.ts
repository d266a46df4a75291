/** jax.numpy's apply_along_axis, apply_over_axes and vectorize, built on vmap. */
import { normAxis, shapeStr } from '../core/aval.js';
import { vmap } from '../core/api.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { broadcastShapes } from './broadcast.js';
import { expandDims } from './shape.js';

type Fn = (...args: never[]) => unknown;

/**
 * func1d applied to every 1-D slice of arr along `axis` (NumPy's and jax.numpy's
 * apply_along_axis, by vmap over the other axes): the slices' results take the axis's place
 * (a scalar result removes it, a k-D one puts k axes there).
 * @example np.applyAlongAxis((v) => np.sum(np.square(v)), 1, x)
 */
export function applyAlongAxis(func1d: (v: NdArray) => NdArray, axis: number, arr: NdArray): NdArray {
  const r = shapeOf(arr).length;
  const a = normAxis(axis, r, 'applyAlongAxis');
  let f = func1d as (v: NdArray) => unknown;
  // As JAX: the axes after `axis` mapped innermost (results to the end), then those before it.
  for (let i = 1; i < r - a; i++) f = vmap(f as Fn, { inAxes: i, outAxes: -1 }) as (v: NdArray) => unknown;
  for (let i = 0; i < a; i++) f = vmap(f as Fn, { inAxes: 0, outAxes: 0 }) as (v: NdArray) => unknown;
  return f(arr) as NdArray;
}

/**
 * func(a, axis) applied for each axis in turn, each result the next input, a result one rank
 * lower getting the axis back with length 1 (NumPy's and jax.numpy's apply_over_axes).
 * @example np.applyOverAxes(np.sum, x, [0, 2]) // sums over axes 0 and 2, keeping them
 */
export function applyOverAxes(func: (a: NdArray, axis: number) => NdArray, a: NdArray, axes: number | readonly number[]): NdArray {
  return (typeof axes === 'number' ? [axes] : axes).reduce((acc, axis) => {
    const b = func(acc, axis);
    const r = shapeOf(acc).length;
    if (shapeOf(b).length === r) return b;
    if (shapeOf(b).length === r - 1) return expandDims(b, normAxis(axis, r, 'applyOverAxes'));
    throw new Error(`applyOverAxes: func must keep the rank or lower it by one, got ${shapeStr(shapeOf(b))} from ${shapeStr(shapeOf(acc))}`);
  }, a);
}

export interface VectorizeOptions {
  /** Positions of the arguments passed through unchanged (not broadcast or mapped). */
  readonly excluded?: readonly number[];
  /** NumPy's generalized ufunc signature, e.g. '(n),(n)->()': each input's core dims, which the function sees whole. */
  readonly signature?: string;
}

/** The core dim names of each input and output of a signature like '(m,n),(n)->(m)'. */
function parseSignature(signature: string): { inputs: string[][]; outputs: string[][] } {
  const m = /^\s*((?:\([\w\s,]*\)\s*,?\s*)*)->\s*((?:\([\w\s,]*\)\s*,?\s*)*)$/.exec(signature);
  if (!m) throw new Error(`vectorize: bad signature '${signature}' (want e.g. '(n),(n)->()')`);
  const groups = (text: string) => [...text.matchAll(/\(([^)]*)\)/g)].map((g) => g[1].split(',').map((t) => t.trim()).filter((t) => t !== ''));
  return { inputs: groups(m[1]), outputs: groups(m[2]) };
}

/**
 * f made to work on arrays of any leading shape (jax.numpy's vectorize): the array arguments
 * broadcast over their loop dims (all but the signature's core dims; all dims without a
 * signature) and f is vmapped over each; `excluded` arguments (and numbers) pass unchanged.
 * @example np.vectorize((a, b) => np.sum(np.mul(a, b)), { signature: '(n),(n)->()' })(x, y)
 */
export function vectorize<F extends (...args: never[]) => unknown>(f: F, { excluded = [], signature }: VectorizeOptions = {}): (...args: Parameters<F>) => ReturnType<F> {
  const sig = signature === undefined ? null : parseSignature(signature);
  return (...args: Parameters<F>) => {
    const list = args as readonly unknown[];
    const mapped = list.map((v, i) => !excluded.includes(i) && typeof v === 'object' && v !== null && !Array.isArray(v));
    const arrays = list.filter((_, i) => mapped[i]) as NdArray[];
    if (sig && sig.inputs.length !== arrays.length) throw new Error(`vectorize: the signature '${signature}' has ${sig.inputs.length} inputs, got ${arrays.length} array arguments`);
    const sizes = new Map<string, number>();
    const cores = arrays.map((x, k) => {
      const names = sig ? sig.inputs[k] : [];
      const s = shapeOf(x);
      if (s.length < names.length) throw new Error(`vectorize: argument ${k} of shape ${shapeStr(s)} has fewer dims than its core dims (${names.join(', ')})`);
      const core = s.slice(s.length - names.length);
      names.forEach((name, j) => {
        if (sizes.has(name) && sizes.get(name) !== core[j]) throw new Error(`vectorize: core dim '${name}' is ${sizes.get(name)} and ${core[j]}`);
        sizes.set(name, core[j]);
      });
      return core;
    });
    const loop = broadcastShapes(...arrays.map((x, k) => shapeOf(x).slice(0, shapeOf(x).length - cores[k].length)));
    const full = arrays.map((x, k) => lax.broadcastTo(lax.reshape(x, [...new Array(loop.length + cores[k].length - shapeOf(x).length).fill(1), ...shapeOf(x)]), [...loop, ...cores[k]]));
    // The other arguments are closed over, so vmap sees only the mapped arrays.
    let g = (...xs: NdArray[]) => {
      let k = 0;
      return f(...(list.map((v, i) => (mapped[i] ? xs[k++] : v)) as Parameters<F>));
    };
    for (let i = 0; i < loop.length; i++) g = vmap(g as Fn) as typeof g;
    return g(...full) as ReturnType<F>;
  };
}
