/** NaN-ignoring running sums and products, and the array API's cumulative_sum / cumulative_prod. */
import { type DType, normAxis, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { notEqual, where } from './math.js';
import { type ScanDType, cumprod, cumsum } from './reductions.js';

/** x with NaN replaced by `fill` (ints and bools have none). */
const nanAs = (x: NdArray, fill: number) => (avalOf(x).dtype === 'float32' ? where(notEqual(x, x), fill, x) : x);

/** Running sum treating NaN as 0 (numpy's and jax.numpy's nancumsum); axis null flattens. */
export const nancumsum = (x: NdArray, axis: number | null = null, dtype?: ScanDType) => cumsum(nanAs(x, 0), axis, dtype);
/** Running product treating NaN as 1 (numpy's and jax.numpy's nancumprod); axis null flattens. */
export const nancumprod = (x: NdArray, axis: number | null = null, dtype?: ScanDType) => cumprod(nanAs(x, 1), axis, dtype);

/** cumulativeSum's and cumulativeProd's options (jax.numpy's keyword arguments). */
export interface CumulativeOptions {
  /** The axis to scan; may be left out only for 1-D arrays. */
  readonly axis?: number;
  readonly dtype?: DType;
  /** Start with the identity (0 or 1), so the axis grows by one (default false). */
  readonly includeInitial?: boolean;
}

function cumulative(x: NdArray, opts: CumulativeOptions, scan: typeof cumsum, identity: number, op: string): NdArray {
  const s = shapeOf(x);
  if (s.length === 0) throw new Error(`${op}: x must have at least one axis, got a scalar (0-d) array`);
  if (opts.axis === undefined && s.length > 1) throw new Error(`${op}: axis is required for an array of rank ${s.length} (shape ${shapeStr(s)})`);
  const axis = normAxis(opts.axis ?? 0, s.length, op);
  const out = scan(x, axis, opts.dtype);
  if (!opts.includeInitial) return out;
  const sv = shapeOf(out);
  return lax.pad(out, sv.map((_, i) => (i === axis ? 1 : 0)), sv.map(() => 0), undefined, identity);
}

/** Running sum along `axis` (the array API's cumulative_sum), with `includeInitial` prepending 0. */
export const cumulativeSum = (x: NdArray, opts: CumulativeOptions = {}) => cumulative(x, opts, cumsum, 0, 'cumulativeSum');
/** Running product along `axis` (the array API's cumulative_prod), with `includeInitial` prepending 1. */
export const cumulativeProd = (x: NdArray, opts: CumulativeOptions = {}) => cumulative(x, opts, cumprod, 1, 'cumulativeProd');
