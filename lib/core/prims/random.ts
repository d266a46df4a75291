/**
 * Counter-based random numbers (Threefry-2x32, 20 rounds, as in JAX and Random123).
 * A key is an int32 array [..., 2]; leading key dims batch natively, so vmap over keys
 * is one kernel call. Bits are computed on the host from the key's two words, so the
 * same key gives the same numbers on every backend and in every process
 * (lower/host-random.ts).
 */
import { type Aval, avalStr } from '../aval.js';
import * as lax from '../lax.js';
import type { PrimParams } from '../prim-params.js';
import type { BDim } from '../prim-types.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, bind, shapeOf } from '../trace.js';
import { batchAt } from './batching-util.js';
import { broadcastShapes } from './elementwise.js';

const ROT = [13, 15, 26, 6, 17, 29, 16, 24];

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/** Threefry-2x32 of the counter (c0, c1) under key (k0, k1); writes two words into out[o], out[o+1]. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number, out: Uint32Array, o: number): void {
  const ks = [k0 >>> 0, k1 >>> 0, (0x1bd11bda ^ k0 ^ k1) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let block = 0; block < 5; block++) {
    for (let i = 0; i < 4; i++) {
      const r = ROT[(block % 2) * 4 + i];
      x0 = (x0 + x1) >>> 0;
      x1 = rotl(x1, r) ^ x0;
    }
    x0 = (x0 + ks[(block + 1) % 3]) >>> 0;
    x1 = (x1 + ks[(block + 2) % 3] + block + 1) >>> 0;
  }
  out[o] = x0;
  out[o + 1] = x1;
}

/** The stream of random words (salt 0): JAX's `random_bits` with jax_threefry_partitionable. */
export const SAMPLE_STREAM = 0;

/** The stream of key pairs whose first block is at counter (0, offset): JAX's split (offset 0) and fold_in (offset data). */
export const keyStream = (offset: number) => offset + 1;

/**
 * `n` words per key, laid out as JAX 0.5+ (jax_threefry_partitionable = True) lays them out;
 * block c is Threefry-2x32 under the key at the 64-bit counter (hi, lo) = (floor(c / 2^32), c mod 2^32):
 * - `salt` = SAMPLE_STREAM: word j is word 0 ^ word 1 of block j (`_threefry_random_bits_partitionable`);
 * - `salt` = keyStream(offset): words 2i and 2i + 1 are the two words of block offset + i
 *   (`_threefry_split_foldlike` for offset 0; `threefry_fold_in(key, d)` is offset d, n = 2).
 */
export function bitsFor(keys: Int32Array, n: number, salt: number): Uint32Array {
  const nk = keys.length / 2;
  const out = new Uint32Array(nk * n);
  const pair = new Uint32Array(2);
  const xor = salt === SAMPLE_STREAM;
  const first = xor ? 0 : salt - 1;
  const blocks = xor ? n : Math.ceil(n / 2);
  for (let k = 0; k < nk; k++) {
    for (let i = 0; i < blocks; i++) {
      const c = first + i;
      threefry2x32(keys[2 * k], keys[2 * k + 1], Math.floor(c / 2 ** 32), c >>> 0, pair, 0);
      if (xor) out[k * n + i] = pair[0] ^ pair[1];
      else {
        out[k * n + 2 * i] = pair[0];
        if (2 * i + 1 < n) out[k * n + 2 * i + 1] = pair[1];
      }
    }
  }
  return out;
}

type RandP = PrimParams['random_bits'];

function randomAval(op: string, [k]: readonly Aval[], { shape }: RandP, dtype: 'int32' | 'float32'): Aval {
  if (k.dtype !== 'int32' || k.shape[k.shape.length - 1] !== 2) throw new Error(`${op}: a PRNG key is an int32 array of shape [2] (or [..., 2]), got ${avalStr(k)}`);
  return { shape: [...k.shape.slice(0, -1), ...shape], dtype };
}

function randomDef(op: 'random_bits' | 'random_uniform'): PrimitiveDef<RandP> {
  const dtype = op === 'random_bits' ? 'int32' : 'float32';
  return {
    abstractEval: (avals, p) => randomAval(op, avals, p, dtype),
    jvp: (_t, _p, out) => lax.zerosLike(out),
    vjp: () => [null],
    batch: ([k], [d], p) => [bind(op, [lax.moveAxis(k, d!, 0)], p), 0],
    nonDifferentiable: true,
  };
}

type NormalP = PrimParams['random_normal'];

/** Standard normal floats, optionally truncated to [lower, upper] standard deviations (kernel: lower/host-random.ts). */
const randomNormal: PrimitiveDef<NormalP> = {
  abstractEval: (avals, p) => randomAval('random_normal', avals, p, 'float32'),
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null],
  batch: ([k], [d], p) => [bind('random_normal', [lax.moveAxis(k, d!, 0)], p), 0],
  nonDifferentiable: true,
};

/** A uniformly random permutation of 0..n-1 per key; leading key dims batch natively (key [..., 2] -> int32 [..., n]). */
const randomPermutation: PrimitiveDef<PrimParams['random_permutation']> = {
  abstractEval([k], { n }) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`random_permutation: n must be a non-negative integer, got ${n}`);
    return randomAval('random_permutation', [k], { shape: [n], salt: 0 }, 'int32');
  },
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null],
  batch: ([k], [d], p) => [bind('random_permutation', [lax.moveAxis(k, d!, 0)], p), 0],
  nonDifferentiable: true,
};

type RandintP = PrimParams['random_randint'];

/** Throws unless the int32 bound `b` broadcasts (right-aligned) to the output shape `out`. */
function checkBound(b: Aval, out: readonly number[]): void {
  const r = out.length - b.shape.length;
  if (b.dtype !== 'int32' || r < 0 || b.shape.some((d, i) => d !== 1 && d !== out[r + i]))
    throw new Error(`random_randint: a bound array must be int32 and broadcast to ${avalStr({ shape: [...out], dtype: 'int32' })}, got ${avalStr(b)}`);
}

/**
 * jax.random.randint's int32 draw per key (kernel: lower/host-random.ts `randomRandint`). The
 * bounds are the params `minval`, `maxval` (integers, minval in the int32 range, maxval up to
 * 2^31) or two more operands, int32 arrays that broadcast (right-aligned) to the output
 * [...keyDims, ...shape] (key [..., 2] -> int32 [..., ...shape]).
 */
const randomRandint: PrimitiveDef<RandintP> = {
  abstractEval([k, ...bounds], p) {
    const out = randomAval('random_randint', [k], p, 'int32');
    if (bounds.length === 2) bounds.forEach((b) => checkBound(b, out.shape));
    else {
      const { minval, maxval } = p;
      const ok = (v: number | undefined, hi: number) => v !== undefined && Number.isInteger(v) && v >= -(2 ** 31) && v <= hi;
      if (bounds.length !== 0 || !ok(minval, 2 ** 31 - 1) || !ok(maxval, 2 ** 31))
        throw new Error(`random_randint: give minval and maxval as integers in [-2^31, 2^31 - 1] and [-2^31, 2^31], or as two int32 arrays; got ${minval}, ${maxval} and ${bounds.length} arrays`);
    }
    return out;
  },
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: (_ct, primals) => primals.map(() => null),
  batch: ([k, ...bounds], dims, p, size) => {
    const [d, ...bd] = dims;
    const key = d === null ? lax.broadcastTo(k, [size, ...shapeOf(k)]) : lax.moveAxis(k, d, 0);
    // Each batched bound gets its batch dim in front, padded to the output's rank so it
    // broadcasts against [size, ...keyDims, ...shape]; unbatched bounds already do.
    const outRank = shapeOf(key).length - 2 + p.shape.length;
    const lift = (b: NdArray, bdim: BDim) => {
      if (bdim === null) return b;
      const [n, ...rest] = shapeOf(lax.moveAxis(b, bdim, 0));
      return lax.reshape(lax.moveAxis(b, bdim, 0), [n, ...Array<number>(outRank - rest.length).fill(1), ...rest]);
    };
    return [bind('random_randint', [key, ...bounds.map((b, i) => lift(b, bd[i]))], p), 0];
  },
  nonDifferentiable: true,
};

/**
 * jax.random.fold_in with traced data (kernel: lower/host-random.ts `randomFoldIn`): each key
 * [2] of key [...K, 2] with its int32 word of data [...D] (D of K's rank, dims equal or 1) read
 * as uint32 d gives the two words of Threefry at counter (0, d), int32 [...broadcast(K, D), 2].
 */
const randomFoldIn: PrimitiveDef = {
  abstractEval([k, d]) {
    if (k.dtype !== 'int32' || k.shape[k.shape.length - 1] !== 2) throw new Error(`random_fold_in: a PRNG key is an int32 array of shape [2] (or [..., 2]), got ${avalStr(k)}`);
    if (d.dtype !== 'int32') throw new Error(`random_fold_in: data must be int32 (uint32 bits), got ${avalStr(d)}`);
    return { shape: [...broadcastShapes('random_fold_in', [k.shape.slice(0, -1), d.shape]), 2], dtype: 'int32' };
  },
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null, null],
  batch: ([k, d], [kd, dd]) => [bind('random_fold_in', [batchAt(k, kd), batchAt(d, dd)], {}), 0],
  nonDifferentiable: true,
};

definePrimitives({
  random_normal: randomNormal,
  random_permutation: randomPermutation,
  random_randint: randomRandint,
  random_fold_in: randomFoldIn,
  random_bits: randomDef('random_bits'),
  random_uniform: randomDef('random_uniform'),
});
