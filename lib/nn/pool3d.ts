/**
 * 3-D pooling (PyTorch's nn.MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d) on NDHWC
 * (or one DHWC example). Each 3-D window is the product of a depth window and an (H, W) window, and
 * PyTorch's output sizes, paddings and divisors are per axis, so a 3-D pool is the 2-D pool over
 * (H, W) of every depth slice followed by the same pool over the depth axis.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d } from './conv.js';
import { type Layer, stateless, withBatchAxis } from './layer.js';
import type { Triple } from './conv3d.js';

export interface Pool3dConfig {
  readonly kernel: Triple;
  /** Default: the kernel size (as PyTorch; Equinox's default is 1). */
  readonly stride?: Triple;
  /** Pads both ends of each axis (default 0). */
  readonly padding?: Triple;
  /** PyTorch's ceil_mode (default false). */
  readonly ceilMode?: boolean;
}

export interface MaxPool3dConfig extends Pool3dConfig {
  /** PyTorch's dilation (default 1). */
  readonly dilation?: Triple;
}

export interface AvgPool3dConfig extends Pool3dConfig {
  /** PyTorch's count_include_pad (default true). */
  readonly countIncludePad?: boolean;
  /** PyTorch's divisor_override: every window's sum divided by this. */
  readonly divisorOverride?: number;
}

const tripleOf = (v: Triple): [number, number, number] => (typeof v === 'number' ? [v, v, v] : [v[0], v[1], v[2]]);

/** A 2-D pool's options for the depth axis (index 0) or the (H, W) axes (1, 2) of a 3-D pool's. */
function split(config: Pool3dConfig & { readonly dilation?: Triple }): { depth: Pool2dOptions; plane: Pool2dOptions } {
  const k = tripleOf(config.kernel);
  const s = tripleOf(config.stride ?? config.kernel);
  const p = tripleOf(config.padding ?? 0);
  const d = tripleOf(config.dilation ?? 1);
  const pick = (i: number, j: number | null): Pool2dOptions => ({
    kernel: [k[i], j === null ? 1 : k[j]],
    stride: [s[i], j === null ? 1 : s[j]],
    padding: [p[i], j === null ? 0 : p[j]],
    dilation: [d[i], j === null ? 1 : d[j]],
    ceilMode: config.ceilMode,
  });
  return { depth: pick(0, null), plane: pick(1, 2) };
}

interface Pool2dOptions {
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode?: boolean;
}

/**
 * `plane` (a 2-D pool) over (H, W) of each depth slice of x [N, D, H, W, C] (or [D, H, W, C]),
 * then `depth` (a 2-D pool with a width-1 window) over the depth axis.
 */
function separable(kind: string, plane: Layer, depth: Layer) {
  return stateless(kind, (x) =>
    withBatchAxis(x, 5, kind, (xb) => {
      const [n, d, h, w, c] = xb.shape;
      const y = plane.apply({}, {}, np.reshape(xb, [n * d, h, w, c]))[0];
      const [, ho, wo] = y.shape;
      const z = depth.apply({}, {}, np.reshape(y, [n, d, ho * wo, c]))[0];
      const [, od] = z.shape;
      return np.reshape(z, [n, od, ho, wo, c]);
    }),
  );
}

/**
 * PyTorch's nn.MaxPool3d on NDHWC (or DHWC): padding with -inf, `dilation`, `ceilMode`; each
 * window's first maximum in (d, h, w) order gets the gradient.
 * @example nn.maxPool3d({ kernel: 2 }) // [N, 8, 8, 8, C] -> [N, 4, 4, 4, C]
 */
export function maxPool3d(config: MaxPool3dConfig): Layer<Record<string, never>, Record<string, never>> {
  const { depth, plane } = split(config);
  return separable('maxPool3d', maxPool2d(plane), maxPool2d(depth));
}

/**
 * PyTorch's nn.AvgPool3d on NDHWC (or DHWC): each window's sum over the window's size within the
 * padded input (`countIncludePad: false`: within the input alone), or over `divisorOverride`.
 * @example nn.avgPool3d({ kernel: 3, stride: 2, padding: 1, countIncludePad: false })
 */
export function avgPool3d(config: AvgPool3dConfig): Layer<Record<string, never>, Record<string, never>> {
  const { depth, plane } = split(config);
  const { countIncludePad, divisorOverride } = config;
  if (divisorOverride !== undefined && !(Number.isInteger(divisorOverride) && divisorOverride > 0))
    throw new Error(`avgPool3d: divisorOverride must be a positive integer, got ${String(divisorOverride)}`);
  // With divisorOverride, both passes sum (a divisor of 1) and the total is divided once.
  const sums = divisorOverride === undefined ? {} : { divisorOverride: 1 };
  const strip = ({ dilation: _d, ...o }: Pool2dOptions) => ({ ...o, countIncludePad, ...sums });
  const pooled = separable('avgPool3d', avgPool2d(strip(plane)), avgPool2d(strip(depth)));
  if (divisorOverride === undefined) return pooled;
  return stateless('avgPool3d', (x) => np.div(pooled.apply({}, {}, x)[0], divisorOverride));
}

/** A 3-D adaptive pool's output size: a number, or one per axis (`null` keeps that axis). */
export type Adaptive3d = number | readonly [number | null, number | null, number | null];

/** The output sizes of each pass: (H, W) and then depth. */
function adaptiveSplit(output: Adaptive3d): { plane: [number | null, number | null]; depth: [number | null, null] } {
  const [od, oh, ow] = typeof output === 'number' ? [output, output, output] : output;
  return { plane: [oh, ow], depth: [od, null] };
}

/**
 * PyTorch's nn.AdaptiveAvgPool3d on NDHWC (or DHWC): output `i` along an axis of n averages
 * `[floor(i n / o), ceil((i + 1) n / o))`, per axis.
 * @example nn.adaptiveAvgPool3d({ output: [1, 2, 2] })
 */
export function adaptiveAvgPool3d(config: { readonly output: Adaptive3d }): Layer<Record<string, never>, Record<string, never>> {
  const { plane, depth } = adaptiveSplit(config.output);
  return separable('adaptiveAvgPool3d', adaptiveAvgPool2d({ output: plane }), adaptiveAvgPool2d({ output: depth }));
}

/** PyTorch's nn.AdaptiveMaxPool3d on NDHWC (or DHWC), the bins of {@link adaptiveAvgPool3d}. */
export function adaptiveMaxPool3d(config: { readonly output: Adaptive3d }): Layer<Record<string, never>, Record<string, never>> {
  const { plane, depth } = adaptiveSplit(config.output);
  return separable('adaptiveMaxPool3d', adaptiveMaxPool2d({ output: plane }), adaptiveMaxPool2d({ output: depth }));
}

/** A stateless 3-D pool as a function of (x, config), as torch.nn.functional's. */
const forward =
  <C>(factory: (config: C) => Layer) =>
  (x: NdArray, config: C): NdArray =>
    factory(config).apply({}, {}, x)[0];

/** F.max_pool3d, F.avg_pool3d, F.adaptive_avg_pool3d, F.adaptive_max_pool3d on channels-last arrays. */
export const maxPool3dFn = forward(maxPool3d);
export const avgPool3dFn = forward(avgPool3d);
export const adaptiveAvgPool3dFn = forward(adaptiveAvgPool3d);
export const adaptiveMaxPool3dFn = forward(adaptiveMaxPool3d);
