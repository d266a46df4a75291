/** Spectral normalisation (torch.nn.utils.spectral_norm, eqx.nn.SpectralNorm) as a layer wrapper with u, v as state. */
import { type NdArray, scope } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import { type Layer, positiveInt } from './layer.js';
import { copy, torchWeightLayout, weightFromTorchAs, weightToTorchAs } from './torch.js';

export interface SpectralNormConfig {
  /** Power iterations per training call (torch's n_power_iterations, Equinox's num_power_iterations; default 1). */
  readonly nPowerIterations?: number;
  /** Norms are divided by max(norm, eps) (default 1e-12). */
  readonly eps?: number;
  /** The weight's axis (PyTorch's layout) that becomes the matrix's rows: default 0, 1 for ConvTranspose (torch's). */
  readonly dim?: number;
  /** The PyTorch layout of the wrapped layer's `w` (PyTorch's axis j is our axis layout[j]), for kinds tfjax does not know. */
  readonly layout?: readonly number[];
}

/** The power-iteration vectors (torch's weight_u [rows], weight_v [columns] buffers) and the wrapped layer's state. */
export interface SpectralNormState<S> {
  readonly u: NdArray;
  readonly v: NdArray;
  readonly layer: S;
}

/** x / max(||x||, eps), as F.normalize. */
const unit = (x: NdArray, eps: number) => np.div(x, np.maximum(np.sqrt(np.sum(np.square(x))), eps));

/**
 * `layer` with its weight `w` divided by its largest singular value σ, estimated by power
 * iteration (torch.nn.utils.spectral_norm): the weight in PyTorch's layout, axis `dim` first, is
 * a matrix W [rows, cols]; each training call (`{ train: true }`) runs `nPowerIterations` steps
 * v = normalize(Wᵀu), u = normalize(W v) on a constant W and returns the new u, v as state;
 * σ = uᵀ W v (gradients reach W through σ, not through u, v). Evaluation uses the stored u, v.
 * Equinox's SpectralNorm updates u before v in each step and runs 15 steps at init; the σ formula is the same.
 * PyTorch names: `weight_orig`, `weight_u`, `weight_v`, and the layer's others (`bias`).
 * @example const conv = nn.spectralNorm(nn.conv2d({ in: 3, out: 8, kernel: 3 })); // state { u [8], v [27], layer: {} }
 */
export function spectralNorm<P extends { readonly w: NdArray }, S>(layer: Layer<P, S>, config: SpectralNormConfig = {}): Layer<P, SpectralNormState<S>> {
  const iters = config.nPowerIterations === 0 ? 0 : positiveInt(config.nPowerIterations ?? 1, 'spectralNorm: nPowerIterations');
  const eps = config.eps ?? 1e-12;
  const layoutOf = (w: NdArray) => torchWeightLayout(layer.kind, w, config.layout, 'spectralNorm');
  /** W [rows, cols]: our w in PyTorch's layout with `dim` moved first. */
  const matrix = (w: NdArray) => {
    const perm = layoutOf(w);
    const r = perm.length;
    const dim = config.dim ?? (layer.kind.startsWith('convTranspose') ? 1 : 0);
    if (!Number.isInteger(dim) || dim < 0 || dim >= r) throw new Error(`spectralNorm: dim must be an integer in [0, ${r}), got ${String(dim)}`);
    const order = [perm[dim], ...perm.filter((_, j) => j !== dim)];
    const m = np.transpose(w, order);
    return np.reshape(m, [m.shape[0], -1]);
  };
  const mv = (m: NdArray, x: NdArray) => np.squeeze(np.matmul(m, np.expandDims(x, -1)), -1);
  return {
    kind: `spectralNorm(${layer.kind})`,
    init(key) {
      return scope(() => {
        const [kl, ku, kv] = random.split(key, 3);
        const inner = layer.init(kl);
        const [rows, cols] = matrix(inner.params.w).shape;
        return { params: inner.params, state: { u: unit(random.normal(ku, [rows]), eps), v: unit(random.normal(kv, [cols]), eps), layer: inner.state } };
      });
    },
    apply(params, state, x, opts = {}) {
      const m = matrix(params.w);
      let { u, v } = state;
      if (opts.train) {
        const c = np.stopGradient(m);
        const ct = np.transpose(c);
        for (let i = 0; i < iters; i++) {
          v = unit(mv(ct, u), eps);
          u = unit(mv(c, v), eps);
        }
        [u, v] = [np.stopGradient(u), np.stopGradient(v)];
      }
      const sigma = np.sum(np.mul(u, mv(m, v)));
      const [y, s] = layer.apply({ ...params, w: np.div(params.w, sigma) }, state.layer, x, opts);
      return [y, { u, v, layer: s }];
    },
    toTorch(vars, prefix, out) {
      weightToTorchAs(layer, { params: vars.params, state: vars.state.layer }, prefix, out, 'weight_orig');
      out[`${prefix}weight_u`] = copy(vars.state.u);
      out[`${prefix}weight_v`] = copy(vars.state.v);
    },
    fromTorch(r, prefix) {
      const inner = weightFromTorchAs(layer, r, prefix, 'weight_orig');
      const [rows, cols] = matrix(inner.params.w).shape;
      const u = copy(r.get(`${prefix}weight_u`, [rows]));
      const v = copy(r.get(`${prefix}weight_v`, [cols]));
      return { params: inner.params, state: { u, v, layer: inner.state } };
    },
  };
}

