/** 1-D pooling on [N, L, C] (or one [L, C] example): the 2-D pools over a size-1 height axis. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, lpPool2d, maxPool2d } from './conv.js';
import { type Layer, stateless, withBatchAxis } from './layer.js';

export interface Pool1dConfig {
  readonly kernel: number;
  /** Default: the kernel size (as PyTorch). */
  readonly stride?: number;
  /** Pads both ends (default 0). */
  readonly padding?: number;
  /** PyTorch's ceil_mode (default false). */
  readonly ceilMode?: boolean;
}

export interface MaxPool1dConfig extends Pool1dConfig {
  /** PyTorch's dilation (default 1). */
  readonly dilation?: number;
}

export interface AvgPool1dConfig extends Pool1dConfig {
  /** PyTorch's count_include_pad (default true). */
  readonly countIncludePad?: boolean;
}

/** A 2-D pooling layer applied to [N, L, C] as [N, 1, L, C]. */
function along1d(kind: string, inner: Layer): Layer<Record<string, never>, Record<string, never>> {
  return stateless(kind, (x) =>
    withBatchAxis(x, 3, kind, (xb: NdArray) => {
      const [n, len, c] = xb.shape;
      return np.squeeze(inner.apply({}, {}, np.reshape(xb, [n, 1, len, c]))[0], 1);
    }),
  );
}

/** The 2-D pooling options for a height of 1. */
const as2d = (c: Pool1dConfig) => ({
  kernel: [1, c.kernel] as const,
  stride: [1, c.stride ?? c.kernel] as const,
  padding: [0, c.padding ?? 0] as const,
  ceilMode: c.ceilMode,
});

/** PyTorch's nn.MaxPool1d on [N, L, C] (or [L, C]), padding with -inf. */
export const maxPool1d = (config: MaxPool1dConfig) => along1d('maxPool1d', maxPool2d({ ...as2d(config), dilation: [1, config.dilation ?? 1] }));

/** PyTorch's nn.AvgPool1d on [N, L, C] (or [L, C]): padded zeros count unless `countIncludePad: false`. */
export const avgPool1d = (config: AvgPool1dConfig) => along1d('avgPool1d', avgPool2d({ ...as2d(config), countIncludePad: config.countIncludePad }));

/** PyTorch's nn.AdaptiveAvgPool1d on [N, L, C] (or [L, C]): [N, output, C], bins [floor(i L / o), ceil((i + 1) L / o)). */
export const adaptiveAvgPool1d = (config: { readonly output: number }) => along1d('adaptiveAvgPool1d', adaptiveAvgPool2d({ output: [null, config.output] }));

/** PyTorch's nn.AdaptiveMaxPool1d on [N, L, C] (or [L, C]), the bins of {@link adaptiveAvgPool1d}. */
export const adaptiveMaxPool1d = (config: { readonly output: number }) => along1d('adaptiveMaxPool1d', adaptiveMaxPool2d({ output: [null, config.output] }));

/** PyTorch's nn.LPPool1d on [N, L, C] (or [L, C]): (Σ x^p)^(1/p) over each window (see {@link lpPool2d}). */
export const lpPool1d = (config: { readonly normType: number; readonly kernel: number; readonly stride?: number; readonly ceilMode?: boolean }) =>
  along1d('lpPool1d', lpPool2d({ normType: config.normType, kernel: [1, config.kernel], stride: [1, config.stride ?? config.kernel], ceilMode: config.ceilMode }));
