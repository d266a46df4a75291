/**
 * `scipy.ndimage`: jax.scipy.ndimage.map_coordinates, interpolation of an array at arbitrary
 * coordinates (order 0 or 1), with JAX's index rules for each boundary mode.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/** How coordinates outside the input are mapped (JAX's modes: 'constant' and 'wrap' are SciPy's 'grid-constant' and 'grid-wrap'). */
export type NdimageMode = 'constant' | 'nearest' | 'wrap' | 'mirror' | 'reflect';

/** Rounds half away from zero (lax.round; np.round rounds half to even). */
const roundHalfAway = (x: NdArray) => np.mul(np.sign(x), np.floor(np.add(np.abs(x), 0.5)));

/** |(i + s) mod 2s - s| with s = size - 1: the triangular wave of 'mirror' (d c b | a b c d | c b a). */
function mirror(index: NdArray, size: number): NdArray {
  const s = size - 1;
  return s === 0 ? np.zerosLike(index) : np.abs(np.sub(np.remainder(np.add(index, s), 2 * s), s));
}

const FIXERS: Record<NdimageMode, (index: NdArray, size: number) => NdArray> = {
  constant: (i) => i,
  nearest: (i, size) => np.clip(i, 0, size - 1),
  wrap: (i, size) => np.remainder(i, size),
  mirror,
  // 'reflect' (d c b a | a b c d | d c b a): the mirror of 2i + 1 in 2 size + 1, halved.
  reflect: (i, size) => np.floorDivide(np.sub(mirror(np.add(np.mul(i, 2), 1), 2 * size + 1), 1), 2),
};

/** One axis' interpolation nodes: [integer-valued index, weight]. */
function nodes(coordinate: NdArray, order: 0 | 1): [NdArray, NdArray | number][] {
  if (order === 0) return [[roundHalfAway(coordinate), 1]];
  const lower = np.floor(coordinate);
  const upper = np.sub(coordinate, lower);
  return [[lower, np.sub(1, upper)], [np.add(lower, 1), upper]];
}

/**
 * The input interpolated at `coordinates` (one array per input axis, all of the output's shape,
 * or one array [ndim, ...]): order 0 (nearest, halves away from zero) or 1 (linear); modes as
 * JAX's ('constant' blends in `cval` over the last cell, like SciPy's 'grid-constant'); float32
 * results, rounded int32 ones for an int32 input.
 * @example scipy.ndimage.mapCoordinates(image, [rows, cols], 1, 'nearest')
 */
export function mapCoordinates(input: NdArray, coordinates: NdArray | readonly NdArray[], order: number, mode: NdimageMode = 'constant', cval = 0): NdArray {
  const coords = Array.isArray(coordinates) ? (coordinates as readonly NdArray[]) : np.unstack(coordinates as NdArray, 0);
  const shape = input.shape;
  if (coords.length !== shape.length) throw new Error(`mapCoordinates: coordinates must have one entry per input axis (${shape.length}), got ${coords.length}`);
  if (order !== 0 && order !== 1) throw new Error(`mapCoordinates: order must be 0 or 1, got ${order}`);
  const fix = FIXERS[mode];
  if (!fix) throw new Error(`mapCoordinates: mode must be one of ${Object.keys(FIXERS).join(', ')}, got '${String(mode)}'`);
  const flat = np.ravel(np.toFloat(input));
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const perAxis = coords.map((c, d) => nodes(np.toFloat(c), order).map(([index, weight]) => ({ index, weight, fixed: fix(index, shape[d]!), d })));
  // Every combination of one node per axis (2^ndim corners for order 1).
  const corners = perAxis.reduce<(typeof perAxis)[number][]>((acc, axisNodes) => acc.flatMap((combo) => axisNodes.map((n) => [...combo, n])), [[]]);
  let result: NdArray | undefined;
  for (const corner of corners) {
    const linear = corner.reduce<NdArray | number>((acc, n) => np.add(acc, np.mul(n.fixed, strides[n.d]!)), 0) as NdArray;
    let value = np.take(flat, np.astype(linear, 'int32'), 0, 'clip');
    if (mode === 'constant') {
      const valid = corner.map((n) => np.logicalAnd(np.greaterEqual(n.index, 0), np.less(n.index, shape[n.d]!))).reduce((a, b) => np.logicalAnd(a, b));
      value = np.where(valid, value, cval);
    }
    const term = corner.reduce<NdArray>((acc, n) => np.mul(acc, n.weight), value);
    result = result ? np.add(result, term) : term;
  }
  const out = result!;
  return input.dtype === 'int32' ? np.astype(roundHalfAway(out), 'int32') : out;
}
