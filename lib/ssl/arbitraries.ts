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

export { permutation } from './swav/arbitraries.js';

export interface EmbeddingConstraints {
  /** Batch size range (default 2..12). */
  readonly minBatch?: number;
  readonly maxBatch?: number;
  /** Embedding width range (default 1..8). */
  readonly minDim?: number;
  readonly maxDim?: number;
  /** Entries lie in [-scale, scale] (default 3). */
  readonly scale?: number;
}

/** A [rows, dim] matrix of float32 entries in [-scale, scale]; a row of norm below 1e-3 becomes the first basis vector. */
function rowsOf(rows: number, dim: number, scale: number): fc.Arbitrary<number[][]> {
  const entry = fc.double({ min: -scale, max: scale, noNaN: true }).map(Math.fround);
  return fc.array(fc.array(entry, { minLength: dim, maxLength: dim }), { minLength: rows, maxLength: rows }).map((m) =>
    m.map((r) => (Math.hypot(...r) >= 1e-3 ? r.map((x) => (Object.is(x, -0) ? 0 : x)) : r.map((_, i) => (i === 0 ? 1 : 0)))),
  );
}

const sizes = (c: EmbeddingConstraints) =>
  fc.tuple(fc.integer({ min: c.minBatch ?? 2, max: c.maxBatch ?? 12 }), fc.integer({ min: c.minDim ?? 1, max: c.maxDim ?? 8 }));

/** One batch of embeddings [B, D] (no row near zero). */
export function embeddings(c: EmbeddingConstraints = {}): fc.Arbitrary<number[][]> {
  return sizes(c).chain(([b, d]) => rowsOf(b, d, c.scale ?? 3));
}

/** Two views [B, D] of one batch (independent entries, one shape). */
export function viewPair(c: EmbeddingConstraints = {}): fc.Arbitrary<{ zi: number[][]; zj: number[][] }> {
  return sizes(c).chain(([b, d]) => fc.record({ zi: rowsOf(b, d, c.scale ?? 3), zj: rowsOf(b, d, c.scale ?? 3) }));
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
    fc.integer({ min: 2, max: c.maxStudentViews ?? 4 }),
    fc.integer({ min: 1, max: c.maxTeacherViews ?? 2 }),
    fc.integer({ min: 1, max: c.maxBatch ?? 6 }),
    fc.integer({ min: 2, max: c.maxK ?? 8 }),
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

/** A memory size and width and a sequence of batches to push (batch sizes 1..size + 2). */
export function pushSequence({ maxSize = 8, maxPushes = 6 }: { maxSize?: number; maxPushes?: number } = {}): fc.Arbitrary<PushSequence> {
  return fc.tuple(fc.integer({ min: 1, max: maxSize }), fc.integer({ min: 1, max: 3 })).chain(([size, dim]) =>
    fc.array(fc.integer({ min: 1, max: size + 2 }), { minLength: 1, maxLength: maxPushes }).map((counts) => {
      let id = 0;
      const batches = counts.map((n) =>
        Array.from({ length: n }, () => {
          id += 1;
          return Array.from({ length: dim }, (_, j) => id + j / 10);
        }),
      );
      return { size, dim, batches };
    }),
  );
}
