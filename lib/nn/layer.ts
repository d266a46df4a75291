/**
 * Layers as (init, apply) pairs of pure functions, after Flax/Haiku/Equinox.
 *
 * A layer is made from its configuration (`nn.linear({ in: 3, out: 4 })`) and offers
 * - `init(key) -> { params, state }`: trainable parameters and non-trainable state
 *   (BatchNorm running statistics), both plain pytrees of arrays;
 * - `apply(params, state, x, { train, key }) -> [y, newState]`: pure; `key` feeds
 *   stochastic layers (dropout) in training;
 * - `toTorch` / `fromTorch`: the same variables as a PyTorch state dict (PyTorch's names
 *   and layouts), relative to the layer's prefix.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';

/** Trainable parameters and non-trainable state of a layer. */
export interface Variables<P = any, S = any> {
  readonly params: P;
  readonly state: S;
}

export interface ApplyOptions {
  /** Training mode: batch statistics in BatchNorm, dropout active (default false). */
  readonly train?: boolean;
  /** PRNG key for stochastic layers (dropout) in training mode. */
  readonly key?: NdArray;
  /**
   * The batch is sharded over this named axis (vmap with axisName, pmap): BatchNorm layers
   * use the statistics of the whole batch (SyncBN).
   */
  readonly axisName?: string;
}

/** A PyTorch state dict in our hands: names to concrete tensors, PyTorch layouts. */
export type TorchDict = Record<string, NdArray>;

/** Reads a state dict under a prefix, remembering which names were used. */
export class TorchReader {
  readonly used = new Set<string>();
  constructor(readonly dict: Readonly<Record<string, tf.Tensor>>) {}
  has(name: string): boolean {
    return Object.hasOwn(this.dict, name);
  }
  /** The float32 tensor `name`, checked against `shape` (PyTorch layout). */
  get(name: string, shape?: readonly number[]): tf.Tensor {
    if (!this.has(name)) throw new Error(`loadTorchStateDict: the state dict has no entry '${name}'`);
    const t = this.dict[name];
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])))
      throw new Error(`loadTorchStateDict: '${name}' has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape)}`);
    if (t.dtype !== 'float32') throw new Error(`loadTorchStateDict: '${name}' has dtype ${t.dtype}, expected float32`);
    this.used.add(name);
    return t;
  }
  /** Marks an entry as consumed without reading it (e.g. num_batches_tracked). */
  skip(name: string): void {
    if (this.has(name)) this.used.add(name);
  }
}

export interface Layer<P = any, S = any> {
  /** A short name of the layer type (e.g. 'linear'). */
  readonly kind: string;
  init(key: NdArray): Variables<P, S>;
  apply(params: P, state: S, x: NdArray, opts?: ApplyOptions): [NdArray, S];
  /** Writes this layer's variables as PyTorch entries `prefix + name` into `out`. */
  toTorch(v: Variables<P, S>, prefix: string, out: TorchDict): void;
  /** Reads this layer's variables from PyTorch entries `prefix + name`. */
  fromTorch(r: TorchReader, prefix: string): Variables<P, S>;
}

/** A layer mapping images (NHWC) to embeddings [N, embeddingDim]. */
export interface Encoder<P = any, S = any> extends Layer<P, S> {
  /** The registry name (timm-style). */
  readonly name: string;
  /** Width of the output embedding. */
  readonly embeddingDim: number;
  /** The options it was built with (defaults filled in). */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * The features before pooling (timm's `forward_features`), and the new state: a ConvNet's NHWC
   * map [N, H, W, C] (its `apply` is this map's mean over H and W), a ViT's tokens [N, 1 + L, D]
   * after the final norm, class token first (its `apply` is the class token).
   */
  readonly forwardFeatures?: (params: P, state: S, x: NdArray, opts?: ApplyOptions) => [NdArray, S];
}

/** A layer's size option checked: a positive integer, or an error naming `what` (e.g. 'linear: in'). */
export function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${String(v)}`);
  return v;
}

/**
 * A ConvNet encoder's body from its trunk (a layer giving the NHWC feature map): `apply` is the
 * trunk then the global average pool over H and W, `forwardFeatures` the trunk alone.
 */
export function globalPooled<P, S>(trunk: Layer<P, S>): Layer<P, S> & { readonly forwardFeatures: Layer<P, S>['apply'] } {
  return {
    ...trunk,
    apply(params, state, x, opts) {
      const [y, s] = trunk.apply(params, state, x, opts);
      return [np.mean(y, [1, 2]), s];
    },
    forwardFeatures: (params, state, x, opts) => trunk.apply(params, state, x, opts),
  };
}

/** A layer without parameters or state, from a function of x. */
export function stateless(kind: string, f: (x: NdArray, opts: ApplyOptions) => NdArray): Layer<Record<string, never>, Record<string, never>> {
  return {
    kind,
    init: () => ({ params: {}, state: {} }),
    apply: (_p, s, x, opts = {}) => [f(x, opts), s],
    toTorch: () => {},
    fromTorch: () => ({ params: {}, state: {} }),
  };
}

/** Per-child keys for stochastic children: none when no key was given. */
export function childKeys(opts: ApplyOptions, n: number): (NdArray | undefined)[] {
  if (!opts.key || !opts.train) return new Array(n).fill(undefined);
  return random.split(opts.key, n);
}

/** Initialises named children from one key (one split). */
export function initChildren<T extends Record<string, Layer>>(key: NdArray, children: T): { params: { [K in keyof T]: any }; state: { [K in keyof T]: any } } {
  const names = Object.keys(children);
  const keys = random.split(key, Math.max(names.length, 1));
  const params: Record<string, unknown> = {};
  const state: Record<string, unknown> = {};
  names.forEach((n, i) => {
    const v = children[n].init(keys[i]);
    params[n] = v.params;
    state[n] = v.state;
  });
  return { params, state } as any;
}

/**
 * Layers applied in order. Given an array, params and state are arrays (PyTorch names
 * `0.`, `1.`, ... as in `nn.Sequential`, activations included); given an object, they
 * are objects keyed by the same names (PyTorch names are the keys).
 * @example
 * const projector = nn.sequential([nn.linear({ in: 16, out: 32 }), nn.batchNorm({ features: 32 }), nn.relu(), nn.linear({ in: 32, out: 8 })]);
 * const { params, state } = projector.init(random.key(0));
 * const [z, newState] = projector.apply(params, state, x, { train: true });
 */
export function sequential(layers: readonly Layer[] | Readonly<Record<string, Layer>>): Layer<any, any> {
  const isList = Array.isArray(layers);
  const names = isList ? (layers as Layer[]).map((_, i) => String(i)) : Object.keys(layers);
  const at = (n: string): Layer => (isList ? (layers as Layer[])[Number(n)] : (layers as Record<string, Layer>)[n]);
  const pick = (tree: any, n: string) => (isList ? tree[Number(n)] : tree[n]);
  const make = (vals: unknown[]) => (isList ? vals : Object.fromEntries(names.map((n, i) => [n, vals[i]])));
  return {
    kind: 'sequential',
    init(key) {
      return scope(() => {
        const keys = random.split(key, Math.max(names.length, 1));
        const vs = names.map((n, i) => at(n).init(keys[i]));
        return { params: make(vs.map((v) => v.params)), state: make(vs.map((v) => v.state)) };
      });
    },
    apply(params, state, x, opts = {}) {
      const keys = childKeys(opts, names.length);
      const newState: unknown[] = [];
      let y = x;
      names.forEach((n, i) => {
        const [out, s] = at(n).apply(pick(params, n), pick(state, n), y, { ...opts, key: keys[i] });
        y = out;
        newState.push(s);
      });
      return [y, make(newState)];
    },
    toTorch(v, prefix, out) {
      names.forEach((n) => at(n).toTorch({ params: pick(v.params, n), state: pick(v.state, n) }, `${prefix}${n}.`, out));
    },
    fromTorch(r, prefix) {
      const vs = names.map((n) => at(n).fromTorch(r, `${prefix}${n}.`));
      return { params: make(vs.map((v) => v.params)), state: make(vs.map((v) => v.state)) };
    },
  };
}

/** Adds a leading batch axis of 1 to an unbatched input of rank `rank - 1`, applies f, and removes it. */
export function withBatchAxis(x: NdArray, rank: number, op: string, f: (xb: NdArray) => NdArray): NdArray {
  const s = x.shape;
  if (s.length === rank) return f(x);
  if (s.length !== rank - 1) throw new Error(`${op}: expected an input of rank ${rank} (batched) or ${rank - 1} (one example), got ${shapeStr(s)}`);
  const y = f(np.reshape(x, [1, ...s]));
  return np.reshape(y, y.shape.slice(1));
}

/** Applies child `name` inside a composite's forward pass, threading its state. */
export type CallChild = (name: string, x: NdArray, opts?: ApplyOptions) => NdArray;

/**
 * A layer made of named children and a forward function that calls them by name.
 * init, state threading, per-child PRNG keys (foldIn of the key by the child's index)
 * and the PyTorch names (`prefix + childName + '.'`) come for free.
 * @example
 * const block = composite('block', { fc: nn.linear({ in: 8, out: 8 }), norm: nn.layerNorm({ features: 8 }) },
 *   (call, x) => np.add(x, call('fc', call('norm', x))));
 */
export function composite<C extends Readonly<Record<string, Layer>>>(
  kind: string,
  children: C,
  forward: (call: CallChild, x: NdArray, opts: ApplyOptions) => NdArray,
): Layer<{ [K in keyof C]: any }, { [K in keyof C]: any }> {
  const names = Object.keys(children);
  return {
    kind,
    init: (key) => scope(() => initChildren(key, children)),
    apply(params, state, x, opts = {}) {
      const newState: Record<string, unknown> = { ...state };
      const call: CallChild = (name, xi, o) => {
        const child = children[name];
        if (!child) throw new Error(`${kind}: no child layer '${name}'`);
        const base = o ?? opts;
        const key = base.train && base.key ? random.foldIn(base.key, names.indexOf(name)) : undefined;
        const [y, s] = child.apply(params[name], state[name], xi, { ...base, key });
        newState[name] = s;
        return y;
      };
      const y = forward(call, x, opts);
      return [y, newState as any];
    },
    toTorch(v, prefix, out) {
      for (const n of names) children[n].toTorch({ params: v.params[n], state: v.state[n] }, `${prefix}${n}.`, out);
    },
    fromTorch(r, prefix) {
      const params: Record<string, unknown> = {};
      const state: Record<string, unknown> = {};
      for (const n of names) {
        const v = children[n].fromTorch(r, `${prefix}${n}.`);
        params[n] = v.params;
        state[n] = v.state;
      }
      return { params: params as any, state: state as any };
    },
  };
}
