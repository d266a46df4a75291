/**
 * fast-check generators ("arbitraries") for property tests of the SSL blocks and of a user's own
 * variants: `embeddings`, `viewPair`, `dinoLogits`, `pushSequence` (and SwAV's `permutation`,
 * re-exported). Values are plain nested arrays of float32-representable numbers, so a float64
 * reference and the float32 implementation see the same input.
 *
 * Imported as `tfjax/ssl/arbitraries`. This module imports `fast-check` (needed only by those who
 * import it; not re-exported by `ssl`).
 * @example
 * fc.assert(fc.property(viewPair(), ({ zi, zj }) => isFinite(value(ssl.vicreg(np.array(zi), np.array(zj))))));
 */
import * as fc from 'fast-check';

import { integerIn } from './swav/arbitraries.js';
import { showValue } from '../util/show-value.js';

export { permutation } from './swav/arbitraries.js';

export interface EmbeddingConstraints {
  /** Batch size range (default 2..12). */
  readonly minBatch?: number;
  readonly maxBatch?: number;
  /** Embedding width range (default 1..8). */
  readonly minDim?: number;
  readonly maxDim?: number;
  /** Entries lie in [-scale, scale] (default 3; a finite number > 0). */
  readonly scale?: number;
}

/** The largest float32 <= x, for x > 0. */
function float32Below(x: number): number {
  const f = Math.fround(x);
  return f <= x ? f : f - 2 ** (Math.floor(Math.log2(f)) - 23);
}

/**
 * A [rows, dim] matrix of float32 entries in [-scale, scale]; a row of norm below
 * 1e-3 * min(1, scale) becomes min(1, scale) times the first basis vector.
 */
function rowsOf(rows: number, dim: number, scale: number): fc.Arbitrary<number[][]> {
  const s = float32Below(scale);
  const unit = Math.min(1, s);
  const entry = fc.double({ min: -s, max: s, noNaN: true }).map(Math.fround);
  return fc.array(fc.array(entry, { minLength: dim, maxLength: dim }), { minLength: rows, maxLength: rows }).map((m) =>
    m.map((r) => (Math.hypot(...r) >= 1e-3 * unit ? r.map((x) => (Object.is(x, -0) ? 0 : x)) : r.map((_, i) => (i === 0 ? unit : 0)))),
  );
}

/** The checked `scale` of embedding constraints. */
function scaleOf(c: EmbeddingConstraints): number {
  const scale = c.scale ?? 3;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) throw new Error(`embeddings: scale must be a finite number > 0, got ${showValue(scale)}`);
  return scale;
}

const sizes = (c: EmbeddingConstraints) =>
  fc.tuple(integerIn('embeddings', ['minBatch', 'maxBatch'], c.minBatch ?? 2, c.maxBatch ?? 12, 1), integerIn('embeddings', ['minDim', 'maxDim'], c.minDim ?? 1, c.maxDim ?? 8, 1));

/** One batch of embeddings [B, D] (no row near zero). */
export function embeddings(c: EmbeddingConstraints = {}): fc.Arbitrary<number[][]> {
  const scale = scaleOf(c);
  return sizes(c).chain(([b, d]) => rowsOf(b, d, scale));
}

/** Two views [B, D] of one batch (independent entries, one shape). */
export function viewPair(c: EmbeddingConstraints = {}): fc.Arbitrary<{ zi: number[][]; zj: number[][] }> {
  const scale = scaleOf(c);
  return sizes(c).chain(([b, d]) => fc.record({ zi: rowsOf(b, d, scale), zj: rowsOf(b, d, scale) }));
}

export interface DinoLogitsConstraints {
  /** Student views (default 2..4), teacher views (default 1..2), batch (default 1..6), K (default 2..8). */
  readonly maxStudentViews?: number;
  readonly maxTeacherViews?: number;
  readonly maxBatch?: number;
  readonly maxK?: number;
}

/** Student logits [S, B, K] and teacher logits [T, B, K] with S >= 2 (so some pair s != t exists). */
export function dinoLogits(c: DinoLogitsConstraints = {}): fc.Arbitrary<{ student: number[][][]; teacher: number[][][] }> {
  const dims = fc.tuple(
    integerIn('dinoLogits', ['(2, the least)', 'maxStudentViews'], 2, c.maxStudentViews ?? 4, 2),
    integerIn('dinoLogits', ['(1, the least)', 'maxTeacherViews'], 1, c.maxTeacherViews ?? 2, 1),
    integerIn('dinoLogits', ['(1, the least)', 'maxBatch'], 1, c.maxBatch ?? 6, 1),
    integerIn('dinoLogits', ['(2, the least)', 'maxK'], 2, c.maxK ?? 8, 2),
  );
  return dims.chain(([s, t, b, k]) =>
    fc.record({
      student: fc.array(rowsOf(b, k, 3), { minLength: s, maxLength: s }),
      teacher: fc.array(rowsOf(b, k, 3), { minLength: t, maxLength: t }),
    }),
  );
}

export interface PushSequence {
  readonly size: number;
  readonly dim: number;
  /** Batches [B_i, dim] pushed in order; row r of batch i is distinct from every other row. */
  readonly batches: number[][][];
}

/** A memory size and width and a sequence of batches to push (batch sizes 1..size + 2; entries float32). */
export function pushSequence({ maxSize = 8, maxPushes = 6 }: { maxSize?: number; maxPushes?: number } = {}): fc.Arbitrary<PushSequence> {
  integerIn('pushSequence', ['(1, the least)', 'maxPushes'], 1, maxPushes, 1);
  return fc.tuple(integerIn('pushSequence', ['(1, the least)', 'maxSize'], 1, maxSize, 1), fc.integer({ min: 1, max: 3 })).chain(([size, dim]) =>
    fc.array(fc.integer({ min: 1, max: size + 2 }), { minLength: 1, maxLength: maxPushes }).map((counts) => {
      let id = 0;
      const batches = counts.map((n) =>
        Array.from({ length: n }, () => {
          id += 1;
          return Array.from({ length: dim }, (_, j) => Math.fround(id + j / 10));
        }),
      );
      return { size, dim, batches };
    }),
  );
}
