/**
 * F.affine_grid and F.grid_sample (2-D), channels last: the input is [N, H, W, C] where PyTorch's
 * is [N, C, H, W]; grids are [N, Ho, Wo, 2] of (x, y) in [-1, 1] in both. PyTorch 1.13's
 * unnormalization, padding modes and gradients (w.r.t. the input and the grid).
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';

export type GridSampleMode = 'bilinear' | 'nearest';
export type GridPaddingMode = 'zeros' | 'border' | 'reflection';

export interface GridSampleOptions {
  /** Default 'bilinear'. */
  readonly mode?: GridSampleMode;
  /** How to read outside the input (default 'zeros'). */
  readonly paddingMode?: GridPaddingMode;
  /** -1 and 1 are the centres of the corner pixels (true) or their outer edges (false, the default). */
  readonly alignCorners?: boolean;
}

/**
 * F.affine_grid for 2-D: theta [N, 2, 3] and the output size [N, H, W, C] (channels last; PyTorch's
 * size is [N, C, H, W]) give the sampling grid [N, H, W, 2] of (x, y) = theta · (x0, y0, 1).
 */
export function affineGrid(theta: NdArray, size: readonly number[], alignCorners = false): NdArray {
  const [n, h, w] = size;
  if (size.length !== 4) throw new Error(`affineGrid: size must be [N, H, W, C] (channels last), got [${size.join(', ')}]`);
  if (!np.shape(theta).every((d, i) => d === [n, 2, 3][i]) || theta.shape.length !== 3) throw new Error(`affineGrid: theta must be [${n}, 2, 3], got ${shapeStr(theta.shape)}`);
  const axis = (m: number) => {
    const t = m === 1 ? np.zeros([1]) : np.linspace(-1, 1, m);
    return alignCorners ? t : np.mul(t, (m - 1) / m);
  };
  const [gy, gx] = np.meshgrid(axis(h), axis(w), { indexing: 'ij' });
  const base = np.stack([gx, gy, np.onesLike(gx)], -1); // [H, W, 3]
  const grid = np.matmul(np.reshape(base, [1, h * w, 3]), np.transpose(theta, [0, 2, 1])); // [N, HW, 2]
  return np.reshape(grid, [n, h, w, 2]);
}

/** Grid coordinate in [-1, 1] to pixel coordinate. */
function unnormalize(coord: NdArray, size: number, alignCorners: boolean): NdArray {
  return alignCorners ? np.mul(np.add(coord, 1), (size - 1) / 2) : np.div(np.sub(np.mul(np.add(coord, 1), size), 1), 2);
}

/** Reflects coordinates into [lo, hi] (the half-sums of PyTorch's twice_low / twice_high), as PyTorch's reflect_coordinates. */
function reflect(coord: NdArray, lo: number, hi: number): NdArray {
  if (lo === hi) return np.mul(coord, 0);
  const span = hi - lo;
  const d = np.abs(np.sub(coord, lo));
  const flips = np.floor(np.div(d, span));
  const extra = np.sub(d, np.mul(np.stopGradient(flips), span));
  const even = np.equal(np.remainder(flips, 2), 0);
  return np.where(even, np.add(extra, lo), np.add(np.sub(span, extra), lo));
}

/** The pixel coordinate after the padding mode: clipped for border, reflected then clipped for reflection. */
function sourceIndex(coord: NdArray, size: number, padding: GridPaddingMode, alignCorners: boolean): NdArray {
  const x = unnormalize(coord, size, alignCorners);
  if (padding === 'zeros') return x;
  const r = padding === 'reflection' ? (alignCorners ? reflect(x, 0, size - 1) : reflect(x, -0.5, size - 0.5)) : x;
  // clip with PyTorch's gradient: zero where clipped
  return np.where(np.logicalAnd(np.greater(r, 0), np.less(r, size - 1)), r, np.stopGradient(np.clip(r, 0, size - 1)));
}

/** input [N, H·W, C] at integer pixels (iy, ix) [N, P]; 0 outside the image. */
function readPixels(flat: NdArray, iy: NdArray, ix: NdArray, h: number, w: number): NdArray {
  const inside = np.logicalAnd(np.logicalAnd(np.greaterEqual(ix, 0), np.less(ix, w)), np.logicalAnd(np.greaterEqual(iy, 0), np.less(iy, h)));
  const idx = np.cast(np.add(np.mul(np.clip(iy, 0, h - 1), w), np.clip(ix, 0, w - 1)), 'int32');
  const v = np.takeAlongAxis(flat, np.expandDims(idx, -1), 1);
  return np.where(np.expandDims(inside, -1), v, 0);
}

/**
 * F.grid_sample for 4-D input, channels last: input [N, H, W, C] (PyTorch's [N, C, H, W]), grid
 * [N, Ho, Wo, 2] of (x, y) in [-1, 1] -> [N, Ho, Wo, C]. Modes bilinear / nearest (half to even, as
 * PyTorch's nearbyint); padding zeros / border / reflection; align_corners default false.
 * @example F.gridSample(img, F.affineGrid(theta, img.shape), { paddingMode: 'border' })
 */
export function gridSample(input: NdArray, grid: NdArray, { mode = 'bilinear', paddingMode = 'zeros', alignCorners = false }: GridSampleOptions = {}): NdArray {
  const what = 'gridSample';
  if (input.shape.length !== 4) throw new Error(`${what}: input must be [N, H, W, C] (channels last), got ${shapeStr(input.shape)}`);
  const [n, h, w, c] = input.shape;
  const [gn, ho, wo, two] = grid.shape;
  if (grid.shape.length !== 4 || gn !== n || two !== 2) throw new Error(`${what}: grid must be [${n}, Ho, Wo, 2], got ${shapeStr(grid.shape)}`);
  if (mode !== 'bilinear' && mode !== 'nearest') throw new Error(`${what}: mode must be 'bilinear' or 'nearest', got '${String(mode)}'`);
  if (!['zeros', 'border', 'reflection'].includes(paddingMode)) throw new Error(`${what}: paddingMode must be 'zeros', 'border' or 'reflection', got '${String(paddingMode)}'`);
  const g = np.reshape(grid, [n, ho * wo, 2]);
  const [gx, gy] = np.split(g, 2, -1).map((t) => np.squeeze(t, -1));
  const x = sourceIndex(gx, w, paddingMode, alignCorners);
  const y = sourceIndex(gy, h, paddingMode, alignCorners);
  const flat = np.reshape(input, [n, h * w, c]);
  let out: NdArray;
  if (mode === 'nearest') out = readPixels(flat, np.stopGradient(np.round(y)), np.stopGradient(np.round(x)), h, w);
  else {
    const x0 = np.stopGradient(np.floor(x));
    const y0 = np.stopGradient(np.floor(y));
    const fx = np.expandDims(np.sub(x, x0), -1);
    const fy = np.expandDims(np.sub(y, y0), -1);
    const at = (dy: number, dx: number) => readPixels(flat, np.add(y0, dy), np.add(x0, dx), h, w);
    const top = np.add(np.mul(at(0, 0), np.sub(1, fx)), np.mul(at(0, 1), fx));
    const bottom = np.add(np.mul(at(1, 0), np.sub(1, fx)), np.mul(at(1, 1), fx));
    out = np.add(np.mul(top, np.sub(1, fy)), np.mul(bottom, fy));
  }
  return np.reshape(out, [n, ho, wo, c]);
}
