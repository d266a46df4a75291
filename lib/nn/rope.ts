/** Rotary positional embeddings (eqx.nn.RotaryPositionalEmbedding): the half-rotation form. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { positiveInt, stateless } from './layer.js';

export interface RotaryConfig {
  /** The base of the frequencies theta^(-2i/d) (default 10000). */
  readonly theta?: number;
}

/** cos and sin of t * theta^(-2i/d) for t < seq, i < d/2, tiled twice along the last axis: [seq, d] each. */
function rotaryTables(seq: number, d: number, theta: number): [tf.Tensor, tf.Tensor] {
  const cos = new Float32Array(seq * d);
  const sin = new Float32Array(seq * d);
  const half = d / 2;
  for (let t = 0; t < seq; t++)
    for (let i = 0; i < half; i++) {
      const angle = t / theta ** ((2 * i) / d);
      for (const j of [i, i + half]) {
        cos[t * d + j] = Math.cos(angle);
        sin[t * d + j] = Math.sin(angle);
      }
    }
  return [tf.tensor(cos, [seq, d]), tf.tensor(sin, [seq, d])];
}

/**
 * Rotary positional embedding of x [..., seq, d] (d even), position t along axis -2, as Equinox's
 * RotaryPositionalEmbedding: x cos + rotate_half(x) sin, where rotate_half(x) = [-x2, x1] for the
 * halves x1 = x[..., :d/2], x2 = x[..., d/2:], and the angle of pair (i, i + d/2) is t theta^(-2i/d)
 * (the half-split layout of GPT-NeoX / Llama in Hugging Face, not the interleaved pairs (2i, 2i+1)
 * of the RoFormer paper). Equinox takes one [seq, d] array; here leading axes (heads, batch) share it.
 * @example const qr = nn.rotaryEmbedding(q); // q [heads, seq, headDim]
 */
export function rotaryEmbedding(x: NdArray, { theta = 10000 }: RotaryConfig = {}): NdArray {
  const s = x.shape;
  const d = s[s.length - 1];
  if (s.length < 2 || d % 2) throw new Error(`rotaryEmbedding: expected [..., seq, d] with d even, got ${shapeStr(s)}`);
  if (!(theta > 0)) throw new Error(`rotaryEmbedding: theta must be positive, got ${theta}`);
  const [cos, sin] = rotaryTables(s[s.length - 2], d, theta);
  const half = d / 2;
  const rotated = np.concatenate([np.neg(np.sliceAxis(x, -1, half, d)), np.sliceAxis(x, -1, 0, half)], -1);
  return np.add(np.mul(x, cos), np.mul(rotated, sin));
}

/**
 * eqx.nn.RotaryPositionalEmbedding(embedding_size, theta) as a layer without parameters, on
 * [..., seq, embeddingSize] (see {@link rotaryEmbedding}).
 */
export function rotaryPositionalEmbedding(config: RotaryConfig & { readonly embeddingSize: number }) {
  const d = positiveInt(config.embeddingSize, 'rotaryPositionalEmbedding: embeddingSize');
  if (d % 2) throw new Error(`rotaryPositionalEmbedding: embeddingSize must be even, got ${d}`);
  return stateless('rotaryPositionalEmbedding', (x) => {
    if (x.shape.at(-1) !== d) throw new Error(`rotaryPositionalEmbedding: x.shape[-1] must be ${d}, got ${shapeStr(x.shape)}`);
    return rotaryEmbedding(x, config);
  });
}
