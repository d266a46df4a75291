/** The multi-layer perceptron (timm's Mlp, and eqx.nn.MLP's options): Linear layers with an activation between them. */
import { type NdArray, scope } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import { type Layer, initChildren, positiveInt } from './layer.js';
import { linear } from './linear.js';

export type Activation = 'relu' | 'gelu' | 'silu' | 'tanh' | 'sigmoid' | 'identity';
const ACTIVATIONS: Record<Activation, (x: NdArray) => NdArray> = { relu: np.relu, gelu: np.gelu, silu: np.silu, tanh: np.tanh, sigmoid: np.sigmoid, identity: (x) => x };

export interface MlpConfig {
  /** Input width, or 'scalar' (Equinox's in_size="scalar": inputs [...] without a feature axis). */
  readonly in: number | 'scalar';
  /** Hidden width(s): one number gives timm's Mlp (fc1, act, fc2); [] a single Linear. Or give `widthSize` and `depth`. */
  readonly hidden?: number | readonly number[];
  /** Equinox's width_size: the width of each of the `depth` hidden layers. */
  readonly widthSize?: number;
  /** Equinox's depth: the number of hidden layers (0: one Linear in -> out). */
  readonly depth?: number;
  /** Output width, or 'scalar' (Equinox's out_size="scalar": outputs [...]). */
  readonly out: number | 'scalar';
  /** After each hidden layer: a name or a function. Default 'gelu' (timm) with `hidden`, 'relu' (Equinox) with `widthSize` / `depth`. */
  readonly activation?: Activation | ((x: NdArray) => NdArray);
  /** After the last layer (Equinox's final_activation), default identity. */
  readonly finalActivation?: Activation | ((x: NdArray) => NdArray);
  /** Biases on the hidden layers (Equinox's use_bias), default true; with `hidden`, on the last one too unless `finalBias` says otherwise. */
  readonly bias?: boolean;
  /** Bias on the last layer (Equinox's use_final_bias): default `bias` with `hidden`, true with `widthSize` / `depth` (Equinox's). */
  readonly finalBias?: boolean;
  /** Dropout after each activation and after the last layer (timm's Mlp `drop`), default 0. */
  readonly dropout?: number;
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

/** An activation option as a function (an unknown name is an error). */
function activationOf(a: MlpConfig['activation'], fallback: Activation, what: string): (x: NdArray) => NdArray {
  if (typeof a === 'function') return a;
  const f = ACTIVATIONS[a ?? fallback];
  if (!f) throw new Error(`mlp: unknown ${what} '${String(a)}' (known: ${Object.keys(ACTIVATIONS).join(', ')})`);
  return f;
}

/** The hidden widths from `hidden`, or Equinox's `widthSize` and `depth`. */
function hiddenWidths(config: MlpConfig): number[] {
  const eqx = config.widthSize !== undefined || config.depth !== undefined;
  if (eqx === (config.hidden !== undefined)) throw new Error('mlp: give hidden, or widthSize and depth (Equinox), not both');
  if (!eqx) return typeof config.hidden === 'number' ? [config.hidden] : [...config.hidden!];
  const depth = config.depth;
  if (depth === undefined || !Number.isInteger(depth) || depth < 0) throw new Error(`mlp: depth must be a non-negative integer, got ${String(depth)}`);
  if (depth === 0) return [];
  return Array(depth).fill(positiveInt(config.widthSize, 'mlp: widthSize'));
}

/**
 * A multi-layer perceptron: fc1, act, [drop], fc2, ..., finalActivation (PyTorch names fc1, fc2, ...
 * as timm's Mlp). With `widthSize` and `depth` it is eqx.nn.MLP(in_size, out_size, width_size,
 * depth, activation=relu, final_activation=identity, use_bias, use_final_bias): depth + 1 Linear
 * layers, each initialised U(±1/sqrt(fan_in)) as Equinox's and PyTorch's.
 * @example nn.mlp({ in: 384, hidden: 1536, out: 384 }) // a ViT block's MLP
 * @example nn.mlp({ in: 2, out: 'scalar', widthSize: 64, depth: 3, activation: 'tanh', finalBias: false }) // eqx.nn.MLP
 */
export function mlp(config: MlpConfig): Layer {
  const eqx = config.hidden === undefined;
  const nIn = config.in === 'scalar' ? 1 : config.in;
  const nOut = config.out === 'scalar' ? 1 : config.out;
  const dims = [nIn, ...hiddenWidths(config), nOut];
  const act = activationOf(config.activation, eqx ? 'relu' : 'gelu', 'activation');
  const finalAct = activationOf(config.finalActivation, 'identity', 'finalActivation');
  const rate = config.dropout ?? 0;
  const fcs: Record<string, Layer> = {};
  for (let i = 0; i + 1 < dims.length; i++) {
    // Equinox's use_final_bias defaults to true whatever use_bias is; timm's single `bias` covers every layer.
    const bias = i + 2 === dims.length ? (config.finalBias ?? (eqx ? true : config.bias)) : config.bias;
    fcs[`fc${i + 1}`] = linear({ in: dims[i], out: dims[i + 1], bias, weightInit: config.weightInit, biasInit: config.biasInit });
  }
  const names = Object.keys(fcs);
  return {
    kind: 'mlp',
    init: (key) => scope(() => initChildren(key, fcs)),
    apply(params, state, x, opts = {}) {
      const keys = opts.train && opts.key && rate > 0 ? random.split(opts.key, names.length) : [];
      let y = config.in === 'scalar' ? np.expandDims(x, -1) : x;
      names.forEach((n, i) => {
        y = fcs[n].apply(params[n], state[n], y)[0];
        y = i + 1 < names.length ? act(y) : finalAct(y);
        if (keys.length) y = F.dropout(keys[i], y, rate);
      });
      return [config.out === 'scalar' ? np.squeeze(y, -1) : y, state];
    },
    toTorch(v, prefix, out) {
      names.forEach((n) => fcs[n].toTorch({ params: v.params[n], state: v.state[n] }, `${prefix}${n}.`, out));
    },
    fromTorch(r, prefix) {
      const vs = names.map((n) => fcs[n].fromTorch(r, `${prefix}${n}.`));
      return { params: Object.fromEntries(names.map((n, i) => [n, vs[i].params])), state: Object.fromEntries(names.map((n, i) => [n, vs[i].state])) };
    },
  };
}
