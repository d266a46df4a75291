/**
 * Initialisers, as PyTorch's `torch.nn.init` and timm define them. An initialiser is
 * `(key, shape, fans) -> array`; layers pass the fans of their own layout (PyTorch's
 * fan_in of a Linear [out, in] weight is `in`; of a Conv2d weight, in/groups * kh * kw).
 *
 * Defaults used by the layers:
 * - Linear and Conv2d weights: `kaimingUniform({ a: sqrt(5) })` = U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
 *   biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's `reset_parameters`);
 * - BatchNorm / LayerNorm: scale 1, bias 0;
 * - ResNet convs: `kaimingNormal({ mode: 'fanOut', nonlinearity: 'relu' })` (torchvision and timm);
 * - ViT linears: `truncNormal(0.02)` with zero biases, position embedding truncNormal(0.02),
 *   class token normal(1e-6) (timm's `init_weights_vit_timm`).
 */
import * as np from '../ops/index.js';
import type { NdArray } from '../core/index.js';
import * as random from '../random/index.js';

export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

export type Initializer = (key: NdArray, shape: readonly number[], fans: Fans) => NdArray;

export const zeros: Initializer = (_k, shape) => np.zeros(shape);
export const ones: Initializer = (_k, shape) => np.ones(shape);
export const constant =
  (value: number): Initializer =>
  (_k, shape) =>
    np.full(shape, value);

/** U(-bound, bound). */
export const uniform =
  (bound: number): Initializer =>
  (key, shape) =>
    random.uniform(key, shape, { minval: -bound, maxval: bound });

/** N(mean, std^2). */
export const normal =
  (std: number, mean = 0): Initializer =>
  (key, shape) =>
    np.add(np.mul(random.normal(key, shape), std), mean);

/**
 * timm's / PyTorch's `trunc_normal_(mean, std, a, b)`: N(mean, std^2) truncated to the
 * ABSOLUTE interval [a, b] (default [-2, 2], so with std 0.02 it is barely truncated).
 */
export const truncNormal =
  (std = 1, { mean = 0, a = -2, b = 2 }: { mean?: number; a?: number; b?: number } = {}): Initializer =>
  (key, shape) =>
    np.add(np.mul(random.truncatedNormal(key, shape, (a - mean) / std, (b - mean) / std), std), mean);

export type Nonlinearity = 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid' | 'selu';

/** PyTorch's `calculate_gain`. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const a = param ?? 0.01;
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu':
      return 3 / 4;
  }
}

export interface KaimingOptions {
  /** Negative slope for leaky_relu (PyTorch's `a`, default 0). */
  readonly a?: number;
  readonly mode?: 'fanIn' | 'fanOut';
  readonly nonlinearity?: Nonlinearity;
}

function kaimingStd({ a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' }: KaimingOptions, fans: Fans): number {
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/** PyTorch's `kaiming_uniform_`: U(-b, b), b = gain * sqrt(3 / fan). */
export const kaimingUniform =
  (opts: KaimingOptions = {}): Initializer =>
  (key, shape, fans) => {
    const bound = Math.sqrt(3) * kaimingStd(opts, fans);
    return random.uniform(key, shape, { minval: -bound, maxval: bound });
  };

/** PyTorch's `kaiming_normal_`: N(0, (gain / sqrt(fan))^2). */
export const kaimingNormal =
  (opts: KaimingOptions = {}): Initializer =>
  (key, shape, fans) =>
    np.mul(random.normal(key, shape), kaimingStd(opts, fans));

/** PyTorch's `xavier_uniform_`: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)). */
export const xavierUniform =
  (gain = 1): Initializer =>
  (key, shape, fans) => {
    const bound = gain * Math.sqrt(6 / (fans.fanIn + fans.fanOut));
    return random.uniform(key, shape, { minval: -bound, maxval: bound });
  };

/** PyTorch's default Linear/Conv weight init: kaiming_uniform(a = sqrt(5)) = U(+-1/sqrt(fan_in)). */
export const torchDefaultWeight: Initializer = kaimingUniform({ a: Math.sqrt(5) });

/** PyTorch's default Linear/Conv bias init: U(+-1/sqrt(fan_in)). */
export const torchDefaultBias: Initializer = (key, shape, fans) => {
  const bound = fans.fanIn > 0 ? 1 / Math.sqrt(fans.fanIn) : 0;
  return bound > 0 ? random.uniform(key, shape, { minval: -bound, maxval: bound }) : np.zeros(shape);
};
