/**
 * jax.lax's dot, dot_general, conv_general_dilated and conv. dotGeneral lays its result out
 * as JAX does (batch dims, then lhs free dims, then rhs free dims) through one batched
 * matrix product; the convolutions permute any dimension numbers to the core's NHWC/HWIO
 * convolution primitive (1 or 2 spatial dims), dilating the input by interior padding.
 */
import { type DType, avalStr, normAxes, shapeStr, sizeOf } from '../core/aval.js';
import * as core from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { resolvePadding } from './nn.js';
import { pad } from './lax-structural.js';

export interface DotOptions {
  /** The result dtype: both operands are converted to it first. */
  readonly preferredElementType?: DType;
}

/** [[lhsContracting, rhsContracting], [lhsBatch, rhsBatch]], as jax.lax.dot_general's dimension_numbers. */
export type DotDimensionNumbers = readonly [readonly [readonly number[], readonly number[]], readonly [readonly number[], readonly number[]]];

function dotOperands(op: string, lhs: NdArray, rhs: NdArray, opts: DotOptions): [NdArray, NdArray] {
  const [a, b] = [avalOf(lhs), avalOf(rhs)];
  if (a.dtype !== b.dtype) throw new TypeError(`lax.${op} requires operands of one dtype, got ${avalStr(a)} and ${avalStr(b)}`);
  const dtype = opts.preferredElementType ?? a.dtype;
  if (dtype === 'bool') throw new TypeError(`lax.${op}: bool operands are not supported`);
  return [core.cast(lhs, dtype), core.cast(rhs, dtype)];
}

/**
 * General tensor contraction: lhs's `contracting` dims against rhs's, pairwise, with the
 * `batch` dims matched; result dims: batch, lhs free (in order), rhs free (in order).
 * @example lax.dotGeneral(a, b, [[[2], [1]], [[0], [0]]]) // [B,M,K] x [B,K,N] -> [B,M,N]
 */
export function dotGeneral(lhs: NdArray, rhs: NdArray, dimensionNumbers: DotDimensionNumbers, opts: DotOptions = {}): NdArray {
  const [[lc0, rc0], [lb0, rb0]] = dimensionNumbers;
  const [sa, sb] = [shapeOf(lhs), shapeOf(rhs)];
  const bad = (why: string) => new TypeError(`lax.dotGeneral: ${why} (lhs ${shapeStr(sa)}, rhs ${shapeStr(sb)}, dimension numbers ${JSON.stringify(dimensionNumbers)})`);
  const [lc, lb] = [normAxes(lc0, sa.length, 'lax.dotGeneral'), normAxes(lb0, sa.length, 'lax.dotGeneral')];
  const [rc, rb] = [normAxes(rc0, sb.length, 'lax.dotGeneral'), normAxes(rb0, sb.length, 'lax.dotGeneral')];
  if (lc.length !== rc.length || lb.length !== rb.length) throw bad('lhs and rhs need as many contracting dims, and as many batch dims');
  if ([...lc, ...lb].length !== new Set([...lc, ...lb]).size || [...rc, ...rb].length !== new Set([...rc, ...rb]).size) throw bad('a dim is both batch and contracting');
  if (lc.some((d, i) => sa[d] !== sb[rc[i]])) throw bad('contracting dims differ in size');
  if (lb.some((d, i) => sa[d] !== sb[rb[i]])) throw bad('batch dims differ in size');
  const [a, b] = dotOperands('dotGeneral', lhs, rhs, opts);
  const lf = sa.map((_, i) => i).filter((i) => !lc.includes(i) && !lb.includes(i));
  const rf = sb.map((_, i) => i).filter((i) => !rc.includes(i) && !rb.includes(i));
  const size = (s: readonly number[], dims: number[]) => sizeOf(dims.map((d) => s[d]));
  const [B, M, K, N] = [size(sa, lb), size(sa, lf), size(sa, lc), size(sb, rf)];
  const batched = lb.length > 0;
  const left = core.reshape(core.transpose(a, [...lb, ...lf, ...lc]), batched ? [B, M, K] : [M, K]);
  const right = core.reshape(core.transpose(b, [...rb, ...rc, ...rf]), batched ? [B, K, N] : [K, N]);
  return core.reshape(core.dot(left, right), [...lb.map((d) => sa[d]), ...lf.map((d) => sa[d]), ...rf.map((d) => sb[d])]);
}

/** Vector/matrix products of rank-1 or rank-2 operands, lhs's last dim against rhs's first, as lax.dot. */
export function dot(lhs: NdArray, rhs: NdArray, opts: DotOptions = {}): NdArray {
  const [sa, sb] = [shapeOf(lhs), shapeOf(rhs)];
  if (sa.length < 1 || sa.length > 2 || sb.length < 1 || sb.length > 2 || sa[sa.length - 1] !== sb[0]) throw new TypeError(`lax.dot: incompatible shapes ${shapeStr(sa)} and ${shapeStr(sb)} (rank 1 or 2, lhs's last dim equal to rhs's first)`);
  return dotGeneral(lhs, rhs, [[[sa.length - 1], [0]], [[], []]], opts);
}

/** lhs (batch, feature, spatial...), rhs (out feature, in feature, spatial...), out (batch, feature, spatial...) as dim indices. */
export interface ConvDimensionNumbers {
  readonly lhsSpec: readonly number[];
  readonly rhsSpec: readonly number[];
  readonly outSpec: readonly number[];
}
export type ConvPadding = 'SAME' | 'VALID' | readonly (readonly [number, number])[];

/** String specs ('NCHW', 'OIHW', 'NCHW' and the like) as dim indices; spatial dims in the rhs spec's order, as JAX. */
function specsFromStrings([lhs, rhs, out]: readonly [string, string, string]): ConvDimensionNumbers {
  const spatial = [...rhs].filter((c) => c !== 'O' && c !== 'I');
  const find = (spec: string, c: string) => {
    const i = spec.indexOf(c);
    if (i < 0 || spec.length !== rhs.length) throw new TypeError(`lax.convGeneralDilated: dimension numbers ${JSON.stringify([lhs, rhs, out])} are inconsistent (no '${c}' in '${spec}')`);
    return i;
  };
  return {
    lhsSpec: [find(lhs, 'N'), find(lhs, 'C'), ...spatial.map((c) => find(lhs, c))],
    rhsSpec: [find(rhs, 'O'), find(rhs, 'I'), ...spatial.map((c) => find(rhs, c))],
    outSpec: [find(out, 'N'), find(out, 'C'), ...spatial.map((c) => find(out, c))],
  };
}

/** Conv dimension numbers as dim indices: given ones, string specs, or the identity (NCHW / OIHW / NCHW) for null. */
export function dimensionNumbersOf(dn: ConvDimensionNumbers | readonly [string, string, string] | null | undefined, rank: number): ConvDimensionNumbers {
  if (!dn) {
    const identity = Array.from({ length: rank }, (_, i) => i);
    return { lhsSpec: identity, rhsSpec: identity, outSpec: identity };
  }
  return 'lhsSpec' in dn ? dn : specsFromStrings(dn as readonly [string, string, string]);
}

/** Inverse permutation: where each axis went. */
const inverse = (perm: readonly number[]) => perm.map((_, i) => perm.indexOf(i));

/**
 * jax.lax.conv_general_dilated for 1 or 2 spatial dims: `windowStrides`, `padding` ('SAME',
 * 'VALID' or [lo, hi] pairs, negative crops), `lhsDilation` (transposed convolutions),
 * `rhsDilation` (atrous), `dimensionNumbers` (default NCHW / OIHW / NCHW; strings or index
 * specs) and `featureGroupCount` (rhs in-features = lhs features / groups).
 * @example lax.convGeneralDilated(x, w, [1, 1], 'SAME') // NCHW x OIHW -> NCHW
 */
export function convGeneralDilated(
  lhs: NdArray,
  rhs: NdArray,
  windowStrides: readonly number[],
  padding: ConvPadding,
  lhsDilation?: readonly number[] | null,
  rhsDilation?: readonly number[] | null,
  dimensionNumbers?: ConvDimensionNumbers | readonly [string, string, string] | null,
  featureGroupCount = 1,
  batchGroupCount = 1,
): NdArray {
  const rank = shapeOf(lhs).length;
  const nSpatial = rank - 2;
  const bad = (why: string) => new TypeError(`lax.convGeneralDilated: ${why} (lhs ${avalStr(avalOf(lhs))}, rhs ${avalStr(avalOf(rhs))})`);
  if (batchGroupCount !== 1) throw bad('batchGroupCount other than 1 is not supported');
  if (shapeOf(rhs).length !== rank) throw bad('lhs and rhs need the same rank');
  if (nSpatial < 1 || nSpatial > 2) throw bad('only 1 or 2 spatial dimensions are supported');
  if (avalOf(lhs).dtype !== 'float32' || avalOf(rhs).dtype !== 'float32') throw bad('operands must be float32');
  const ones = new Array(nSpatial).fill(1);
  const [lhsDil, rhsDil] = [lhsDilation ?? ones, rhsDilation ?? ones];
  if ([windowStrides, lhsDil, rhsDil].some((v) => v.length !== nSpatial)) throw bad(`strides and dilations need ${nSpatial} entries`);
  const { lhsSpec, rhsSpec, outSpec } = dimensionNumbersOf(dimensionNumbers, rank);
  // To the primitive's layouts: lhs N, spatial..., C; rhs spatial..., I, O.
  let x = core.transpose(lhs, [lhsSpec[0], ...lhsSpec.slice(2), lhsSpec[1]]);
  let w = core.transpose(rhs, [...rhsSpec.slice(2), rhsSpec[1], rhsSpec[0]]);
  if (shapeOf(x)[rank - 1] !== shapeOf(w)[nSpatial] * featureGroupCount) throw bad(`lhs features must equal rhs in-features ${shapeOf(w)[nSpatial]} x featureGroupCount ${featureGroupCount}`);
  if (lhsDil.some((d) => d > 1)) x = pad(x, 0, shapeOf(x).map((_, i) => [0, 0, i >= 1 && i <= nSpatial ? lhsDil[i - 1] - 1 : 0]));
  const spatialIn = shapeOf(x).slice(1, 1 + nSpatial);
  const kernel = shapeOf(w).slice(0, nSpatial);
  let pads: [number, number][];
  if (typeof padding === 'string') {
    if (padding !== 'SAME' && padding !== 'VALID') throw bad(`padding must be 'SAME', 'VALID' or pairs, got '${padding}'`);
    pads = resolvePadding(padding, spatialIn, kernel, windowStrides, rhsDil).slice(0, nSpatial).map(([lo, hi]) => [lo, hi]);
  } else {
    if (padding.length !== nSpatial) throw bad(`padding needs ${nSpatial} pairs`);
    pads = padding.map(([lo, hi]) => [lo, hi]);
  }
  if (pads.some(([lo, hi]) => lo < 0 || hi < 0)) {
    x = pad(x, 0, shapeOf(x).map((_, i) => (i >= 1 && i <= nSpatial ? [Math.min(pads[i - 1][0], 0), Math.min(pads[i - 1][1], 0), 0] : [0, 0, 0])));
    pads = pads.map(([lo, hi]) => [Math.max(lo, 0), Math.max(hi, 0)]);
  }
  if (nSpatial === 1) {
    x = core.expandDims(x, 2);
    w = core.expandDims(w, 1);
  }
  const two = <T>(v: readonly T[], fill: T): [T, T] => [v[0], nSpatial === 1 ? fill : v[1]];
  let y = core.conv(x, w, { strides: two(windowStrides, 1), padding: two<readonly [number, number]>(pads, [0, 0]), dilation: two(rhsDil, 1), groups: featureGroupCount });
  if (nSpatial === 1) y = core.reshape(y, shapeOf(y).filter((_, i) => i !== 2));
  // y is [N, spatial..., C]: result axis j holds y's axis for the label outSpec assigns to j.
  return core.transpose(y, inverse([outSpec[0], ...outSpec.slice(2), outSpec[1]]));
}

/** lax.conv: convGeneralDilated with NCHW / OIHW and no dilation. */
export function conv(lhs: NdArray, rhs: NdArray, windowStrides: readonly number[], padding: ConvPadding): NdArray {
  return convGeneralDilated(lhs, rhs, windowStrides, padding);
}
