/**
 * torch.nn.functional's pooling functions on channels-last arrays (`nn.F.maxPool2d(x, { kernel: 2 })`):
 * the pooling layers' forward passes, and max pooling's `returnIndices`.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { type AdaptivePoolConfig, type AvgPoolConfig, type LpPoolConfig, type MaxPoolIndicesOptions, adaptiveAvgPool2d as adaptiveAvg2d, adaptiveMaxPool2dFn, avgPool2d as avg2d, lpPool2d as lp2d, maxPool2dFn } from './conv.js';
import { type Layer, withBatchAxis } from './layer.js';
import { type AvgPool1dConfig, type MaxPool1dConfig, adaptiveAvgPool1d as adaptiveAvg1d, adaptiveMaxPool1d as adaptiveMax1d, avgPool1d as avg1d, lpPool1d as lp1d } from './pool1d.js';

/** A stateless layer factory as a function of (x, config). */
const forward =
  <C>(factory: (config: C) => Layer) =>
  (x: NdArray, config: C): NdArray =>
    factory(config).apply({}, {}, x)[0];

export { adaptiveMaxPool2dFn as adaptiveMaxPool2d, maxPool2dFn as maxPool2d };
export const avgPool2d = forward<AvgPoolConfig>(avg2d);
export const lpPool2d = forward<LpPoolConfig>(lp2d);
export const adaptiveAvgPool2d = forward<AdaptivePoolConfig>(adaptiveAvg2d);
export const avgPool1d = forward<AvgPool1dConfig>(avg1d);
export const lpPool1d = forward<Parameters<typeof lp1d>[0]>(lp1d);
export const adaptiveAvgPool1d = forward<{ readonly output: number }>(adaptiveAvg1d);

/**
 * F.max_pool1d on [N, L, C] (or [L, C]); with `returnIndices`, [values, int32 positions along L].
 * @example const [y, idx] = F.maxPool1d(x, { kernel: 3, dilation: 2, returnIndices: true });
 */
export function maxPool1d(x: NdArray, config: MaxPool1dConfig & { readonly returnIndices: true }): [NdArray, NdArray];
export function maxPool1d(x: NdArray, config: MaxPool1dConfig & { readonly returnIndices?: boolean }): NdArray;
export function maxPool1d(x: NdArray, config: MaxPool1dConfig & { readonly returnIndices?: boolean }): NdArray | [NdArray, NdArray] {
  const as2d: MaxPoolIndicesOptions = {
    kernel: [1, config.kernel],
    stride: [1, config.stride ?? config.kernel],
    padding: [0, config.padding ?? 0],
    dilation: [1, config.dilation ?? 1],
    ceilMode: config.ceilMode,
  };
  const r = indexed1d(x, 'maxPool1d', (x4) => maxPool2dFn(x4, { ...as2d, returnIndices: true }));
  return config.returnIndices ? r : r[0];
}

/** A 2-D pooling with indices applied to [N, L, C] (or [L, C]) as [N, 1, L, C]: the values, and positions along L. */
function indexed1d(x: NdArray, op: string, pool2d: (x4: NdArray) => [NdArray, NdArray]): [NdArray, NdArray] {
  let indices: NdArray | undefined;
  const values = withBatchAxis(x, 3, op, (xb) => {
    const [n, len, c] = xb.shape;
    const [v, i] = pool2d(np.reshape(xb, [n, 1, len, c]));
    indices = np.squeeze(i, 1);
    return np.squeeze(v, 1);
  });
  return [values, x.shape.length === 2 ? np.squeeze(indices!, 0) : indices!];
}

/**
 * F.adaptive_max_pool1d on [N, L, C] (or [L, C]); with `returnIndices`, [values, int32 positions along L].
 * @example const [y, idx] = F.adaptiveMaxPool1d(x, { output: 4, returnIndices: true });
 */
export function adaptiveMaxPool1d(x: NdArray, config: { readonly output: number; readonly returnIndices: true }): [NdArray, NdArray];
export function adaptiveMaxPool1d(x: NdArray, config: { readonly output: number; readonly returnIndices?: boolean }): NdArray;
export function adaptiveMaxPool1d(x: NdArray, config: { readonly output: number; readonly returnIndices?: boolean }): NdArray | [NdArray, NdArray] {
  if (!config.returnIndices) return adaptiveMax1d(config).apply({}, {}, x)[0];
  return indexed1d(x, 'adaptiveMaxPool1d', (x4) => adaptiveMaxPool2dFn(x4, { output: [1, config.output], returnIndices: true }));
}
