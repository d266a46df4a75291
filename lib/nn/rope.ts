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
 * cos and sin of each rotated pair's angle for stable-pretraining's 2-D RoPE: [gh * gw, d / 2, 1] each. Token t = r gw + c
 * (row-major); the seed's table is [fh, fh, fw, fw] along d (fh = r theta^(-j / (d/4)), fw = c theta^(-j / (d/4)), j < d/4)
 * and pair k reads entry 2k of it (its `cos[..., ::2]`), so the first half of the pairs turn with the row, the second
 * with the column, and for d/4 > 1 pair k uses frequency (2k mod d/4) (some frequencies twice, others never), as the seed's.
 */
function rotaryTables2d(gh: number, gw: number, d: number, theta: number): [tf.Tensor, tf.Tensor] {
  const quarter = d / 4;
  const pairs = d / 2;
  const invFreq = rotaryInvFreq2d(d, theta);
  const cos = new Float32Array(gh * gw * pairs);
  const sin = new Float32Array(gh * gw * pairs);
  for (let r = 0; r < gh; r++)
    for (let c = 0; c < gw; c++)
      for (let k = 0; k < pairs; k++) {
        const i = 2 * k;
        const pos = Math.floor(i / quarter) < 2 ? r : c;
        const angle = Math.fround(pos * invFreq[i % quarter]); // float32, as the seed's table
        cos[(r * gw + c) * pairs + k] = Math.cos(angle);
        sin[(r * gw + c) * pairs + k] = Math.sin(angle);
      }
  return [tf.tensor(cos, [gh * gw, pairs, 1]), tf.tensor(sin, [gh * gw, pairs, 1])];
}

/** The seed's `inv_freq` buffer of a 2-D RoPE over head width d: 1 / theta^(j / (d/4)) for j < d/4, in float32 as its. */
export function rotaryInvFreq2d(d: number, theta = 10000): Float32Array {
  const quarter = Math.floor(d / 4);
  return Float32Array.from({ length: quarter }, (_, j) => Math.fround(1 / Math.fround(theta ** Math.fround(j / quarter))));
}

/**
 * stable-pretraining's 2-D rotary position embedding (`RotaryPositionEmbedding2D` with
 * `apply_rotary_emb`, `backbone/pos_embed.py`) of x [..., gh * gw, d] over a gh x gw patch grid in
 * row-major order: adjacent channels (2k, 2k + 1) form pair k, turned as
 * `(x1 cos - x2 sin, x1 sin + x2 cos)` by an angle from the token's row (pairs k < d/4) or column
 * (the others); see {@link rotaryTables2d} for the seed's frequency layout. d must be a multiple of 4
 * (the seed fails otherwise). No parameters; `theta` is the seed's `base` (default 10000).
 * @example const qr = nn.rotaryEmbedding2d(q, 14, 14); // q [batch, heads, 196, headDim]
 */
export function rotaryEmbedding2d(x: NdArray, gridH: number, gridW: number, { theta = 10000 }: RotaryConfig = {}): NdArray {
  const s = x.shape;
  const d = s[s.length - 1];
  if (s.length < 2 || d < 4 || d % 4) throw new Error(`rotaryEmbedding2d: expected [..., seq, d] with d a multiple of 4, got ${shapeStr(s)}`);
  if (!(Number.isInteger(gridH) && Number.isInteger(gridW) && gridH > 0 && gridW > 0) || gridH * gridW !== s[s.length - 2])
    throw new Error(`rotaryEmbedding2d: the grid ${gridH}x${gridW} must hold the ${s[s.length - 2]} tokens of ${shapeStr(s)}`);
  if (!(theta > 0)) throw new Error(`rotaryEmbedding2d: theta must be positive, got ${theta}`);
  const [cos, sin] = rotaryTables2d(gridH, gridW, d, theta);
  const pairs = np.reshape(x, [...s.slice(0, -1), d / 2, 2]);
  const x1 = np.sliceAxis(pairs, -1, 0, 1);
  const x2 = np.sliceAxis(pairs, -1, 1, 2);
  const turned = np.concatenate([np.sub(np.mul(x1, cos), np.mul(x2, sin)), np.add(np.mul(x1, sin), np.mul(x2, cos))], -1);
  return np.reshape(turned, s);
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
