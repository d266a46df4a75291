/** The layers without parameters or state: activations, dropout, identity, l2Normalize, flatten. */
import { type NdArray, isArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { normalizeAxisIndex } from '../ops/shape.js';
import * as F from './functional.js';
import { type Layer, stateless } from './layer.js';

/** Dropout's probability of zeroing: `rate`, or PyTorch's and Equinox's name `p`; default 0.5 as theirs. */
export interface DropoutConfig {
  readonly rate?: number;
  /** The same as `rate` (torch.nn.Dropout's and eqx.nn.Dropout's p); not with `rate`. */
  readonly p?: number;
}

/**
 * Inverted dropout with probability `rate` (or `p`) in [0, 1], default 0.5 (1 zeroes everything,
 * as PyTorch's and Equinox's p=1); active only with `{ train: true, key }` (training without a
 * key is an error, so randomness is never implicit).
 */
export function dropout(config: DropoutConfig = {}) {
  if (config.rate !== undefined && config.p !== undefined) throw new Error('dropout: give rate or p, not both');
  const rate = config.rate ?? config.p ?? 0.5;
  if (!(rate >= 0 && rate <= 1)) throw new Error(`dropout: rate must be in [0, 1], got ${rate}`);
  return stateless('dropout', (x, opts) => {
    if (!opts.train || rate === 0) return x;
    if (!opts.key) throw new Error('dropout: training mode needs a PRNG key: apply(params, state, x, { train: true, key })');
    return F.dropout(opts.key, x, rate);
  });
}

/** A layer without parameters or state. */
export type StatelessLayer = Layer<Record<string, never>, Record<string, never>>;

/**
 * A layer applying `fn` to its input (eqx.nn.Lambda), e.g. to put a function in `sequential`.
 * @example nn.sequential([nn.linear({ in: 4, out: 8 }), nn.lambda((x) => np.tanh(x))])
 */
export function lambda(fn: (x: NdArray) => NdArray): StatelessLayer {
  if (typeof fn !== 'function') throw new Error(`lambda: expected a function of the input, got ${String(fn)}`);
  return stateless('lambda', (x) => fn(x));
}

/** An activation that is both jax.nn's function and a layer factory. */
export interface ActivationFactory<C extends object = Record<string, never>> {
  /** The function, as jax.nn's: `nn.relu(x)` is an array. */
  (x: NdArray, options?: C): NdArray;
  /** The layer: `nn.relu()` (or with a config) goes in `sequential`. */
  (config?: C): StatelessLayer;
}

/**
 * The activation `kind`: called with an array it applies `fn` (jax.nn's function), with
 * nothing or a config object it is a layer applying `layerFn` (default `fn`) with that config.
 */
export function activation<C extends object>(kind: string, fn: (x: NdArray, c?: C) => NdArray, layerFn = fn): ActivationFactory<C> {
  function make(x: NdArray, options?: C): NdArray;
  function make(config?: C): StatelessLayer;
  function make(first?: NdArray | C, options?: C): NdArray | StatelessLayer {
    if (isArray(first)) return fn(first, options);
    if (first !== undefined && (typeof first !== 'object' || first === null || Array.isArray(first)))
      throw new Error(`nn.${kind}: expected an array (the function) or a config object (the layer), got ${Array.isArray(first) ? 'a JS array' : String(first)}`);
    const config = first as C | undefined;
    return stateless(kind, (x) => layerFn(x, config));
  }
  return make;
}

/** relu(x) = max(x, 0): `nn.relu(x)` as jax.nn.relu, `nn.relu()` the layer. */
export const relu = activation('relu', (x) => np.relu(x));
/**
 * GELU: `nn.gelu(x, { approximate = true })` as jax.nn.gelu (the tanh form by default, as F.gelu);
 * `nn.gelu({ approximate = false })` the layer, exact (erf) by default as torch.nn.GELU.
 */
export const gelu = activation<F.GeluOptions>(
  'gelu',
  (x, c) => F.gelu(x, c),
  (x, c) => F.gelu(x, { approximate: c?.approximate ?? false }),
);
/** silu(x) = x sigmoid(x): `nn.silu(x)` as jax.nn.silu, `nn.silu()` the layer. */
export const silu = activation('silu', (x) => np.silu(x));
/** `nn.tanh(x)` as jax.nn.tanh (= jnp.tanh), `nn.tanh()` the layer. */
export const tanh = activation('tanh', (x) => np.tanh(x));
/** `nn.identity(x)` is x, as jax.nn.identity; `nn.identity()` the layer. */
export const identity = activation('identity', (x) => x);

/** x / max(||x||, eps) along `axis` (default -1, eps 1e-12), as torch's F.normalize. */
export const l2Normalize = (config: { readonly axis?: number; readonly eps?: number } = {}) =>
  stateless('l2Normalize', (x) => F.l2Normalize(x, config.axis ?? -1, config.eps ?? 1e-12));

export interface FlattenConfig {
  /** First axis merged (default 1, PyTorch's nn.Flatten: the batch axis stays). */
  readonly startDim?: number;
  /** Last axis merged (default -1). */
  readonly endDim?: number;
}

/** Axes startDim..endDim merged into one, as torch.flatten(x, startDim, endDim) (negative axes count from the end). */
export function flattenAxes(x: NdArray, { startDim = 1, endDim = -1 }: FlattenConfig = {}): NdArray {
  const s = x.shape;
  const r = Math.max(s.length, 1);
  const [a, b] = [normalizeAxisIndex(startDim, r, 'flatten: startDim'), normalizeAxisIndex(endDim, r, 'flatten: endDim')];
  if (a > b) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for input ${shapeStr(s)}`);
  if (s.length === 0) return np.reshape(x, [1]);
  return np.reshape(x, [...s.slice(0, a), s.slice(a, b + 1).reduce((p, d) => p * d, 1), ...s.slice(b + 1)]);
}

/** PyTorch's nn.Flatten: [N, ...] -> [N, prod(...)] by default; see {@link flattenAxes}. */
export const flatten = (config: FlattenConfig = {}) => stateless('flatten', (x) => flattenAxes(x, config));

/** Axis `dim` split into `sizes` (one of them may be -1), as torch.unflatten / nn.Unflatten(dim, sizes). */
export function unflattenAxis(x: NdArray, dim: number, sizes: readonly number[]): NdArray {
  const s = x.shape;
  const a = normalizeAxisIndex(dim, s.length, 'unflatten: dim');
  const known = sizes.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const free = sizes.filter((d) => d === -1).length;
  const bad = sizes.length === 0 || free > 1 || sizes.some((d) => !Number.isInteger(d) || d < -1) || (free ? known === 0 || s[a] % known !== 0 : known !== s[a]);
  if (bad) throw new Error(`unflatten: sizes [${sizes}] do not split axis ${dim} of size ${s[a]} (input ${shapeStr(s)})`);
  const filled = sizes.map((d) => (d === -1 ? s[a] / known : d));
  return np.reshape(x, [...s.slice(0, a), ...filled, ...s.slice(a + 1)]);
}

/** PyTorch's nn.Unflatten(dim, sizes) as a layer. */
export const unflatten = (config: { readonly dim: number; readonly sizes: readonly number[] }) => stateless('unflatten', (x) => unflattenAxis(x, config.dim, config.sizes));
