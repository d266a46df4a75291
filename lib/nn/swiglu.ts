/** stable-pretraining's SwiGLU feed-forward (`backbone/vit.py` `SwiGLU`): w3(silu(w1 x) * w2 x). */
import { shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as F from './functional.js';
import type * as init from './init.js';
import { type Layer, composite, positiveInt } from './layer.js';
import { linear } from './linear.js';

export interface SwigluConfig {
  readonly in: number;
  /**
   * The nominal hidden width (a GELU MLP's): the gated layers are `floor(2 hidden / 3)` wide, as the
   * seed's, so the three matrices hold as many weights as the MLP's two.
   */
  readonly hidden: number;
  /** Default `in`. */
  readonly out?: number;
  /** Biases on w1, w2, w3 (default false, the seed's). */
  readonly bias?: boolean;
  /** Dropout on the output in training (the seed's `drop`; default 0). */
  readonly dropout?: number;
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

/**
 * The seed's SwiGLU on [..., in]: `w3(silu(w1 x) * w2 x)` with w1, w2: in -> floor(2 hidden / 3) and
 * w3 back to `out`, no biases by default; PyTorch names w1, w2, w3 (`.weight`, `.bias`).
 * @example nn.swiglu({ in: 768, hidden: 3072 }) // gated width 2048
 */
export function swiglu(config: SwigluConfig): Layer {
  const nIn = positiveInt(config.in, 'swiglu: in');
  const nominal = positiveInt(config.hidden, 'swiglu: hidden');
  const nOut = positiveInt(config.out ?? nIn, 'swiglu: out');
  const width = Math.trunc((2 * nominal) / 3); // Python's int(2 * hidden / 3)
  if (width < 1) throw new Error(`swiglu: hidden ${nominal} leaves no gated unit (floor(2 * ${nominal} / 3) = 0)`);
  const rate = config.dropout ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new Error(`swiglu: dropout must be in [0, 1), got ${rate}`);
  const fc = (a: number, b: number) => linear({ in: a, out: b, bias: config.bias ?? false, weightInit: config.weightInit, biasInit: config.biasInit });
  return composite('swiglu', { w1: fc(nIn, width), w2: fc(nIn, width), w3: fc(width, nOut) }, (call, x, opts) => {
    if (x.shape.at(-1) !== nIn) throw new Error(`swiglu: expected inputs [..., ${nIn}], got ${shapeStr(x.shape)}`);
    const y = call('w3', np.mul(np.silu(call('w1', x)), call('w2', x)));
    return opts.train && opts.key && rate > 0 ? F.dropout(opts.key, y, rate) : y;
  });
}
