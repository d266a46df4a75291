/** `scipy.interpolate`: jax.scipy.interpolate's RegularGridInterpolator (linear and nearest). */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/** How the interpolator reads between grid points. */
export type GridMethod = 'linear' | 'nearest';

function checkMethod(method: string): GridMethod {
  if (method !== 'linear' && method !== 'nearest') throw new Error(`RegularGridInterpolator: method must be 'linear' or 'nearest', got '${method}'`);
  return method;
}

/**
 * Interpolation on a rectilinear grid: `points` one increasing 1-D array per leading axis of
 * `values`, trailing axes of values carried along. Outside the grid, `fillValue` (NaN by
 * default; null extrapolates linearly from the edge cells, as JAX). `boundsError` must stay
 * false (JAX: it cannot be checked under jit).
 * @example new interpolate.RegularGridInterpolator([x, y], v).call(np.array([[0.5, 1.5]]))
 */
export class RegularGridInterpolator {
  readonly grid: readonly NdArray[];
  readonly values: NdArray;

  constructor(points: readonly NdArray[], values: NdArray, readonly method: GridMethod = 'linear', boundsError = false, readonly fillValue: number | null = NaN) {
    checkMethod(method);
    if (boundsError) throw new Error('RegularGridInterpolator: boundsError is not supported (JAX: it takes no effect under jit)');
    if (points.length > values.shape.length) throw new Error(`RegularGridInterpolator: ${points.length} point arrays, but values has ${values.shape.length} dimensions`);
    points.forEach((p, i) => {
      if (p.shape.length !== 1 || p.shape[0] !== values.shape[i] || p.shape[0]! < 2) throw new Error(`RegularGridInterpolator: points[${i}] must be 1-D with values.shape[${i}] = ${values.shape[i]} (at least 2) entries, got [${p.shape.join(', ')}]`);
    });
    this.grid = points.map((p) => np.toFloat(p));
    this.values = np.toFloat(values);
  }

  /** The interpolated values at xi [..., ndim] (or one array per grid axis, broadcast): [..., trailing value axes]. */
  call(xi: NdArray | readonly NdArray[], method: GridMethod = this.method): NdArray {
    checkMethod(method);
    const nd = this.grid.length;
    const x = Array.isArray(xi) ? np.stack(np.broadcastArrays(...xi.map((a) => np.toFloat(a))), -1) : np.toFloat(xi as NdArray);
    if (x.shape[x.shape.length - 1] !== nd) throw new Error(`RegularGridInterpolator: xi has dimension ${x.shape[x.shape.length - 1]}, the grid ${nd}`);
    const lead = x.shape.slice(0, -1);
    const flat = np.reshape(x, [-1, nd]);
    const cols = this.grid.map((_, k) => np.reshape(np.sliceAxis(flat, 1, k, k + 1), [-1]));
    const found = cols.map((c, k) => this.cell(c, k));
    const result = method === 'linear' ? this.linear(found) : this.nearest(found);
    const trailing = this.values.shape.slice(nd);
    const outside = cols.map((c, k) => np.logicalOr(np.less(c, np.take(this.grid[k]!, 0)), np.greater(c, np.take(this.grid[k]!, -1))));
    const out = outside.reduce((a, b) => np.logicalOr(a, b));
    const filled = this.fillValue === null ? result : np.where(np.reshape(out, [-1, ...trailing.map(() => 1)]), this.fillValue, result);
    return np.reshape(filled, [...lead, ...trailing]);
  }

  /** For coordinates c along grid axis k: the cell's lower index (clamped to [0, n - 2]) and the normalised distance into it. */
  private cell(c: NdArray, k: number): [NdArray, NdArray] {
    const g = this.grid[k]!;
    const n = g.shape[0]!;
    const i = np.clip(np.sub(np.searchsorted(g, c), 1), 0, n - 2);
    const lo = np.take(g, i);
    return [i, np.div(np.sub(c, lo), np.sub(np.take(g, np.add(i, 1)), lo))];
  }

  /** values at one grid index array per axis: [m, trailing...]. */
  private at(indices: readonly NdArray[]): NdArray {
    const dims = this.values.shape.slice(0, this.grid.length);
    const strides = dims.map((_, k) => dims.slice(k + 1).reduce((a, b) => a * b, 1));
    const flatIndex = indices.reduce<NdArray>((acc, i, k) => np.add(acc, np.mul(i, strides[k]!)), np.zerosLike(indices[0]!));
    const table = np.reshape(this.values, [-1, ...this.values.shape.slice(this.grid.length)]);
    return np.take(table, flatIndex, 0);
  }

  private linear(found: readonly [NdArray, NdArray][]): NdArray {
    const trailing = this.values.shape.length - found.length;
    let total: NdArray | null = null;
    for (let corner = 0; corner < 2 ** found.length; corner++) {
      const upper = found.map((_, k) => ((corner >> k) & 1) === 1);
      const weight = found.map(([, t], k) => (upper[k] ? t : np.sub(1, t))).reduce((a, b) => np.mul(a, b));
      const term = np.mul(this.at(found.map(([i], k) => (upper[k] ? np.add(i, 1) : i))), np.reshape(weight, [-1, ...Array<number>(trailing).fill(1)]));
      total = total ? np.add(total, term) : term;
    }
    return total!;
  }

  private nearest(found: readonly [NdArray, NdArray][]): NdArray {
    return this.at(found.map(([i, t]) => np.where(np.lessEqual(t, 0.5), i, np.add(i, 1))));
  }
}
