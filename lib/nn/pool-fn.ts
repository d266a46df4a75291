/**
 * torch.nn.functional's pooling functions on channels-last arrays (`nn.F.maxPool2d(x, { kernel: 2 })`):
 * the pooling layers' forward passes, and max pooling's `returnIndices`.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { type AdaptivePoolConfig, type AvgPoolConfig, type LpPoolConfig, type MaxPoolIndicesOptions, adaptiveAvgPool2d as adaptiveAvg2d, adaptiveMaxPool2d as adaptiveMax2d, avgPool2d as avg2d, lpPool2d as lp2d, maxPool2dFn } from './conv.js';
import { type Layer, withBatchAxis } from './layer.js';
import { type AvgPool1dConfig, type MaxPool1dConfig, adaptiveAvgPool1d as adaptiveAvg1d, adaptiveMaxPool1d as adaptiveMax1d, avgPool1d as avg1d, lpPool1d as lp1d } from './pool1d.js';

/** A stateless layer factory as a function of (x, config). */
const forward =
  <C>(factory: (config: C) => Layer) =>
  (x: NdArray, config: C): NdArray =>
    factory(config).apply({}, {}, x)[0];

export { maxPool2dFn as maxPool2d };
export const avgPool2d = forward<AvgPoolConfig>(avg2d);
export const lpPool2d = forward<LpPoolConfig>(lp2d);
export const adaptiveAvgPool2d = forward<AdaptivePoolConfig>(adaptiveAvg2d);
export const adaptiveMaxPool2d = forward<AdaptivePoolConfig>(adaptiveMax2d);
export const avgPool1d = forward<AvgPool1dConfig>(avg1d);
export const lpPool1d = forward<Parameters<typeof lp1d>[0]>(lp1d);
export const adaptiveAvgPool1d = forward<{ readonly output: number }>(adaptiveAvg1d);
export const adaptiveMaxPool1d = forward<{ readonly output: number }>(adaptiveMax1d);

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
  let indices: NdArray | undefined;
  const values = withBatchAxis(x, 3, 'maxPool1d', (xb) => {
    const [n, len, c] = xb.shape;
    const [v, i] = maxPool2dFn(np.reshape(xb, [n, 1, len, c]), { ...as2d, returnIndices: true });
    indices = np.squeeze(i, 1);
    return np.squeeze(v, 1);
  });
  if (!config.returnIndices) return values;
  return [values, x.shape.length === 2 ? np.squeeze(indices!, 0) : indices!];
}
