/**
 * Initialisers, as PyTorch's `torch.nn.init` and timm define them. An initialiser is
 * `(key, shape, fans?) -> array`; layers pass the fans of their own layout (PyTorch's
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
import type { DType, NdArray } from '../core/index.js';
import * as random from '../random/index.js';

export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

/**
 * `(key, shape, fans?)`: jax.nn.initializers' `(key, shape)` and `(key, shape, dtype)` calls
 * work too. Without `fans`, the fan-based initialisers take them from the shape by JAX's rule
 * ({@link computeFans}: in axis -2, out axis -1, the rest receptive field), which is PyTorch's
 * for tfjax's [in, out] and HWIO layouts. A dtype is honoured by the constant initialisers;
 * the random ones draw float32 (another dtype is an error, as JAX's samplers refuse integers).
 */
export type Initializer = (key: NdArray, shape: readonly number[], fansOrDtype?: Fans | DType) => NdArray;

/** How an initialiser draws, given the layer's fans if any. */
type Draw = (key: NdArray, shape: readonly number[], fans?: Fans) => NdArray;

/** An initialiser of `draw` taking a dtype third, as JAX's: cast (`constant`) or checked to be float32. */
function initializer(name: string, draw: Draw, { constant = false } = {}): Initializer {
  return (key, shape, arg) => {
    if (typeof arg !== 'string') return draw(key, shape, arg);
    if (constant) return np.astype(draw(key, shape), arg);
    if (arg !== 'float32') throw new Error(`nn.init.${name}: draws float32 values, got dtype '${arg}'`);
    return draw(key, shape);
  };
}

export const zeros: Initializer = initializer('zeros', (_k, shape) => np.zeros(shape), { constant: true });
export const ones: Initializer = initializer('ones', (_k, shape) => np.ones(shape), { constant: true });
export const constant = (value: number): Initializer => initializer('constant', (_k, shape) => np.full(shape, value), { constant: true });

/** jax.nn.initializers.uniform: U[0, scale) (scale defaults to 1e-2), JAX's `uniform(key) * scale`. */
export const uniform =
  (scale = 1e-2): Initializer =>
  initializer('uniform', (key, shape) => np.mul(random.uniform(key, shape), scale));

/** PyTorch's `uniform_(a, b)`: U[a, b) (default [0, 1)). */
export const uniformRange =
  (a = 0, b = 1): Initializer =>
  initializer('uniformRange', (key, shape) => random.uniform(key, shape, { minval: a, maxval: b }));

/** N(mean, std^2) (std defaults to 1e-2, as jax.nn.initializers.normal). */
export const normal =
  (std = 1e-2, mean = 0): Initializer =>
  initializer('normal', (key, shape) => np.add(np.mul(random.normal(key, shape), std), mean));

/**
 * timm's / PyTorch's `trunc_normal_(mean, std, a, b)`: N(mean, std^2) truncated to the
 * ABSOLUTE interval [a, b] (default [-2, 2], so with std 0.02 it is barely truncated).
 */
export const truncNormal =
  (std = 1, { mean = 0, a = -2, b = 2 }: { mean?: number; a?: number; b?: number } = {}): Initializer =>
  initializer('truncNormal', (key, shape) => np.add(np.mul(random.truncatedNormal(key, shape, (a - mean) / std, (b - mean) / std), std), mean));

/**
 * jax.nn.initializers.truncated_normal: stddev · N(0, 1) truncated to [lower, upper] (in
 * standard deviations, before scaling; no variance correction, as JAX).
 * @example truncatedNormal(0.02)(key, [4, 8], fans) // values in [-0.04, 0.04]
 */
export const truncatedNormal =
  (stddev = 1e-2, { lower = -2, upper = 2 }: { lower?: number; upper?: number } = {}): Initializer =>
  initializer('truncatedNormal', (key, shape) => np.mul(random.truncatedNormal(key, shape, lower, upper), stddev));

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'relu'
  | 'leaky_relu'
  | 'tanh'
  | 'sigmoid'
  | 'selu';

/** PyTorch's `calculate_gain`: 1 for the linear functions (linear, convolutions) and sigmoid; an unknown name is an error. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
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
    default:
      throw new Error(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

export interface KaimingOptions {
  /** Negative slope for leaky_relu (PyTorch's `a`, default 0). */
  readonly a?: number;
  readonly mode?: 'fanIn' | 'fanOut';
  readonly nonlinearity?: Nonlinearity;
}

/** The fans given, or JAX's from the shape. */
function fansOf(shape: readonly number[], fans?: Fans): Fans {
  return fans ?? computeFans(shape);
}

function kaimingStd({ a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' }: KaimingOptions, shape: readonly number[], given?: Fans): number {
  const fans = fansOf(shape, given);
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/** PyTorch's `kaiming_uniform_`: U(-b, b), b = gain * sqrt(3 / fan). */
export const kaimingUniform =
  (opts: KaimingOptions = {}): Initializer =>
  initializer('kaimingUniform', (key, shape, fans) => {
    const bound = Math.sqrt(3) * kaimingStd(opts, shape, fans);
    return random.uniform(key, shape, { minval: -bound, maxval: bound });
  });

/** PyTorch's `kaiming_normal_`: N(0, (gain / sqrt(fan))^2). */
export const kaimingNormal =
  (opts: KaimingOptions = {}): Initializer =>
  initializer('kaimingNormal', (key, shape, fans) => np.mul(random.normal(key, shape), kaimingStd(opts, shape, fans)));

/** PyTorch's `xavier_uniform_`: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)). */
export const xavierUniform =
  (gain = 1): Initializer =>
  initializer('xavierUniform', (key, shape, given) => {
    const fans = fansOf(shape, given);
    const bound = gain * Math.sqrt(6 / (fans.fanIn + fans.fanOut));
    return random.uniform(key, shape, { minval: -bound, maxval: bound });
  });

/** PyTorch's default Linear/Conv weight init: kaiming_uniform(a = sqrt(5)) = U(+-1/sqrt(fan_in)). */
export const torchDefaultWeight: Initializer = kaimingUniform({ a: Math.sqrt(5) });

/** PyTorch's default Linear/Conv bias init: U(+-1/sqrt(fan_in)). */
export const torchDefaultBias: Initializer = initializer('torchDefaultBias', (key, shape, fans) => {
  if (!fans) throw new Error(`torchDefaultBias: needs the layer's fans (its bound is 1/sqrt(fan_in)), got a bias of shape [${shape.join(', ')}] without them`);
  const bound = fans.fanIn > 0 ? 1 / Math.sqrt(fans.fanIn) : 0;
  return bound > 0 ? random.uniform(key, shape, { minval: -bound, maxval: bound }) : np.zeros(shape);
});

/** PyTorch's `xavier_normal_`: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)). */
export const xavierNormal =
  (gain = 1): Initializer =>
  initializer('xavierNormal', (key, shape, given) => {
    const fans = fansOf(shape, given);
    return np.mul(random.normal(key, shape), gain * Math.sqrt(2 / (fans.fanIn + fans.fanOut)));
  });

export interface VarianceScalingOptions {
  /** The axis or axes of the inputs (default -2, as JAX: [in, out] and HWIO weights). */
  readonly inAxis?: number | readonly number[];
  /** The axis or axes of the outputs (default -1). */
  readonly outAxis?: number | readonly number[];
  /** Axes that count neither as fans nor as receptive field (default none). */
  readonly batchAxis?: number | readonly number[];
}

/**
 * JAX's `_compute_fans`: the in and out axes' sizes times the receptive field (every axis
 * that is not an in, out or batch axis).
 */
export function computeFans(shape: readonly number[], { inAxis = -2, outAxis = -1, batchAxis = [] }: VarianceScalingOptions = {}): Fans {
  const r = shape.length;
  if (r < 2) throw new Error(`computeFans: cannot compute fans of a ${r}-dimensional weight [${shape.join(', ')}]: it must be at least 2-D`);
  const size = (axes: number | readonly number[]) =>
    (typeof axes === 'number' ? [axes] : axes).reduce((p, a) => {
      const d = shape.at(a);
      if (d === undefined || !Number.isInteger(a)) throw new Error(`computeFans: axis ${a} is out of range for a weight of shape [${shape.join(', ')}]`);
      return p * d;
    }, 1);
  const [inSize, outSize] = [size(inAxis), size(outAxis)];
  const receptive = shape.reduce((p, d) => p * d, 1) / inSize / outSize / size(batchAxis);
  return { fanIn: inSize * receptive, fanOut: outSize * receptive };
}

/** variance_scaling's modes: the fan the variance is divided by. */
export type VarianceScalingMode = 'fan_in' | 'fan_out' | 'fan_avg' | 'fan_geo_avg';

/** Each mode's denominator, as JAX's: fan in, fan out, their mean, or their geometric mean. */
const FAN_OF_MODE: Record<VarianceScalingMode, (f: Fans) => number> = {
  fan_in: (f) => f.fanIn,
  fan_out: (f) => f.fanOut,
  fan_avg: (f) => (f.fanIn + f.fanOut) / 2,
  fan_geo_avg: (f) => Math.sqrt(f.fanIn * f.fanOut),
};

/** std of N(0, 1) truncated to [-2, 2]: JAX divides by it so a truncated normal keeps the asked variance. */
const TRUNCATED_STD = 0.87962566103423978;

/**
 * jax.nn.initializers.variance_scaling: variance `scale / n` with n the fan in, fan out or their
 * mean (`mode`), computed from the shape (JAX's rule, see {@link computeFans}); drawn from a
 * truncated normal on [-2, 2] std's (rescaled by 1 / 0.8796), a normal, or a uniform.
 * @example varianceScaling(2, 'fan_in', 'truncated_normal') // jax.nn.initializers.he_normal()
 */
export function varianceScaling(
  scale: number,
  mode: VarianceScalingMode,
  distribution: 'truncated_normal' | 'normal' | 'uniform',
  axes: VarianceScalingOptions = {},
): Initializer {
  if (!Object.hasOwn(FAN_OF_MODE, mode)) throw new Error(`varianceScaling: mode must be 'fan_in', 'fan_out', 'fan_avg' or 'fan_geo_avg', got ${JSON.stringify(mode)}`);
  if (!['truncated_normal', 'normal', 'uniform'].includes(distribution))
    throw new Error(`varianceScaling: distribution must be 'truncated_normal', 'normal' or 'uniform', got ${JSON.stringify(distribution)}`);
  return initializer('varianceScaling', (key, shape) => {
    // JAX's arithmetic: the variance rounded to float32, then float32 sqrt, products and quotient.
    const f32 = Math.fround;
    const variance = f32(scale / FAN_OF_MODE[mode](computeFans(shape, axes)));
    if (distribution === 'truncated_normal') return np.mul(random.truncatedNormal(key, shape, -2, 2), f32(f32(Math.sqrt(variance)) / f32(TRUNCATED_STD)));
    if (distribution === 'normal') return np.mul(random.normal(key, shape), f32(Math.sqrt(variance)));
    // U[-1, 1) times sqrt(3 variance), not U[-bound, bound): the same numbers as JAX's for a key.
    return np.mul(random.uniform(key, shape, { minval: -1, maxval: 1 }), f32(Math.sqrt(f32(3 * variance))));
  });
}

/** jax.nn.initializers.glorot_uniform (= xavier_uniform with fans from the shape). */
export const glorotUniform = (axes?: VarianceScalingOptions) => varianceScaling(1, 'fan_avg', 'uniform', axes);
/** jax.nn.initializers.glorot_normal: a truncated normal. */
export const glorotNormal = (axes?: VarianceScalingOptions) => varianceScaling(1, 'fan_avg', 'truncated_normal', axes);
/** jax.nn.initializers.lecun_uniform. */
export const lecunUniform = (axes?: VarianceScalingOptions) => varianceScaling(1, 'fan_in', 'uniform', axes);
/** jax.nn.initializers.lecun_normal: a truncated normal. */
export const lecunNormal = (axes?: VarianceScalingOptions) => varianceScaling(1, 'fan_in', 'truncated_normal', axes);
/** jax.nn.initializers.he_uniform. */
export const heUniform = (axes?: VarianceScalingOptions) => varianceScaling(2, 'fan_in', 'uniform', axes);
/** jax.nn.initializers.he_normal: a truncated normal. */
export const heNormal = (axes?: VarianceScalingOptions) => varianceScaling(2, 'fan_in', 'truncated_normal', axes);

/**
 * jax.nn.initializers.orthogonal(scale, column_axis=-1): the weight, flattened to [rows, cols]
 * with `columnAxis` (of size cols) last, has orthonormal columns (rows, when there are fewer
 * rows), times `scale`.
 * @example orthogonal()(key, [64, 32], fans) // W^T W = I_32
 */
export const orthogonal =
  (scale = 1, columnAxis = -1): Initializer =>
  initializer('orthogonal', (key, shape) => {
    if (shape.length < 2) throw new Error(`orthogonal: the weight must be at least 2-D, got [${shape.join(', ')}]`);
    const c = columnAxis < 0 ? columnAxis + shape.length : columnAxis;
    const cols = shape[c];
    if (cols === undefined || !Number.isInteger(c)) throw new Error(`orthogonal: columnAxis ${columnAxis} is out of range for shape [${shape.join(', ')}]`);
    // An empty weight is zeros, as JAX's (no QR of an empty matrix).
    if (shape.includes(0)) return np.zeros(shape);
    const rows = shape.reduce((p, d) => p * d, 1) / cols;
    const q = random.orthogonal(key, rows, [], cols);
    const rest = shape.filter((_, i) => i !== c);
    return np.mul(np.moveaxis(np.reshape(q, [...rest, cols]), -1, c), scale);
  });

/**
 * jax.nn.initializers.delta_orthogonal: a 3-D, 4-D or 5-D convolution kernel [..., in, out]
 * (in <= out) that is zero except at the spatial centre ((k - 1) // 2 on each spatial axis),
 * which holds an orthogonal [in, out] matrix (Xiao et al. 2018).
 */
export const deltaOrthogonal =
  (scale = 1, columnAxis = -1): Initializer =>
  initializer('deltaOrthogonal', (key, shape, fans) => {
    if (shape.length < 3 || shape.length > 5) throw new Error(`deltaOrthogonal: the kernel must be 3-D, 4-D or 5-D, got [${shape.join(', ')}]`);
    const [fin, fout] = shape.slice(-2);
    if (fout < fin) throw new Error(`deltaOrthogonal: fan_in must be less or equal than fan_out, got [${shape.join(', ')}]`);
    const centre = orthogonal(scale, columnAxis)(key, [fin, fout], fans);
    const spatial = shape.slice(0, -2);
    const at = spatial.reduce((p, k, i) => p * (i === 0 ? 1 : k) + Math.floor((k - 1) / 2), 0);
    const size = spatial.reduce((p, k) => p * k, 1);
    const hot = np.reshape(np.oneHot(np.array([at], 'int32'), size), [size, 1, 1]);
    return np.reshape(np.mul(hot, centre), shape);
  });

/**
 * A weight of `wShape` and, with `bias`, a bias of `[out]` from one key (split in two), by the
 * layer's initialisers or PyTorch's defaults: what Linear and the convolutions start from.
 */
export function weightAndBias(
  key: NdArray,
  config: { readonly weightInit?: Initializer; readonly biasInit?: Initializer },
  wShape: readonly number[],
  bias: { readonly out: number } | null,
  fans: Fans,
): { w: NdArray; b?: NdArray } {
  const [kw, kb] = random.split(key);
  const w = (config.weightInit ?? torchDefaultWeight)(kw, wShape, fans);
  return bias ? { w, b: (config.biasInit ?? torchDefaultBias)(kb, [bias.out], fans) } : { w };
}
