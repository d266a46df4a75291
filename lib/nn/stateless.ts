/** The layers without parameters or state: activations, dropout, identity, l2Normalize, flatten. */
import * as np from '../ops/index.js';
import * as F from './functional.js';
import { stateless } from './layer.js';

/**
 * Inverted dropout with probability `rate`; active only with `{ train: true, key }`
 * (training without a key is an error, so randomness is never implicit).
 */
export function dropout(config: { readonly rate: number }) {
  const rate = config.rate;
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  return stateless('dropout', (x, opts) => {
    if (!opts.train || rate === 0) return x;
    if (!opts.key) throw new Error('dropout: training mode needs a PRNG key: apply(params, state, x, { train: true, key })');
    return F.dropout(opts.key, x, rate);
  });
}

export const relu = () => stateless('relu', (x) => np.relu(x));
/** GELU as a layer: exact (erf) by default, as torch.nn.GELU; `{ approximate: true }` for the tanh form (F.gelu's default, as jax.nn.gelu). */
export const gelu = ({ approximate = false }: F.GeluOptions = {}) => stateless('gelu', (x) => F.gelu(x, { approximate }));
export const silu = () => stateless('silu', (x) => np.silu(x));
export const tanh = () => stateless('tanh', (x) => np.tanh(x));
export const identity = () => stateless('identity', (x) => x);

/** x / max(||x||, eps) along `axis` (default -1, eps 1e-12), as torch's F.normalize. */
export const l2Normalize = (config: { readonly axis?: number; readonly eps?: number } = {}) =>
  stateless('l2Normalize', (x) => F.l2Normalize(x, config.axis ?? -1, config.eps ?? 1e-12));

/** [N, ...] -> [N, prod(...)]. */
export const flatten = () =>
  stateless('flatten', (x) => {
    const s = x.shape;
    return np.reshape(x, [s[0], s.slice(1).reduce((a, b) => a * b, 1)]);
  });
