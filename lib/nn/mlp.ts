/** The multi-layer perceptron (timm's Mlp): Linear layers with an activation between them. */
import { type NdArray, scope } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import { type Layer, initChildren } from './layer.js';
import { linear } from './linear.js';

export type Activation = 'relu' | 'gelu' | 'silu' | 'tanh' | 'identity';
const ACTIVATIONS: Record<Activation, (x: NdArray) => NdArray> = { relu: np.relu, gelu: np.gelu, silu: np.silu, tanh: np.tanh, identity: (x) => x };

export interface MlpConfig {
  readonly in: number;
  /** Hidden width(s): one number gives timm's Mlp (fc1, act, fc2). */
  readonly hidden: number | readonly number[];
  readonly out: number;
  /** Default 'gelu' (timm). */
  readonly activation?: Activation;
  readonly bias?: boolean;
  /** Dropout after each activation and after the last layer (timm's Mlp `drop`), default 0. */
  readonly dropout?: number;
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

/**
 * A multi-layer perceptron: fc1, act, [drop], fc2, ... (PyTorch names fc1, fc2, ... as timm's Mlp).
 * @example nn.mlp({ in: 384, hidden: 1536, out: 384 }) // a ViT block's MLP
 */
export function mlp(config: MlpConfig): Layer {
  const dims = [config.in, ...(typeof config.hidden === 'number' ? [config.hidden] : config.hidden), config.out];
  const act = ACTIVATIONS[config.activation ?? 'gelu'];
  if (!act) throw new Error(`mlp: unknown activation '${config.activation}'`);
  const rate = config.dropout ?? 0;
  const fcs: Record<string, Layer> = {};
  for (let i = 0; i + 1 < dims.length; i++)
    fcs[`fc${i + 1}`] = linear({ in: dims[i], out: dims[i + 1], bias: config.bias, weightInit: config.weightInit, biasInit: config.biasInit });
  const names = Object.keys(fcs);
  return {
    kind: 'mlp',
    init: (key) => scope(() => initChildren(key, fcs)),
    apply(params, state, x, opts = {}) {
      const keys = opts.train && opts.key && rate > 0 ? random.split(opts.key, names.length) : [];
      let y = x;
      names.forEach((n, i) => {
        y = fcs[n].apply(params[n], state[n], y)[0];
        if (i + 1 < names.length) y = act(y);
        if (keys.length) y = F.dropout(keys[i], y, rate);
      });
      return [y, state];
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
