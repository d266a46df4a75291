/**
 * A small seeded PRNG on 32-bit integers, identical in every process and platform
 * (only `Math.imul` and 32-bit shifts; no `Math.random`).
 *
 * The generator is SplitMix32: a Weyl sequence (`state += 0x9e3779b9`) passed through
 * the MurmurHash3 32-bit finaliser. It is not cryptographic; it is plenty for shuffling.
 */

const GOLDEN = 0x9e3779b9;

/** MurmurHash3's 32-bit finaliser: a bijective avalanche mix of a uint32. */
export function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A generator of uint32 values, fully determined by `seed` (any integer; taken mod 2^32). */
export function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + GOLDEN) >>> 0;
    return mix32(state);
  };
}

/** A uniform integer in `[0, k)` drawn from `next` by rejection (no modulo bias). `1 <= k <= 2^32`. */
export function randomBelow(next: () => number, k: number): number {
  // Values >= limit would make `% k` favour small results; redraw them (rare for small k).
  const limit = 0x100000000 - (0x100000000 % k);
  for (;;) {
    const x = next();
    if (x < limit) return x % k;
  }
}

/** Derives the seed of one epoch's stream from a run seed, so epochs are decorrelated. */
export function epochSeed(seed: number, epoch: number): number {
  return mix32((mix32(seed >>> 0) + Math.imul((epoch + 1) >>> 0, GOLDEN)) >>> 0);
}

/** A uniformly random permutation of `0..n-1` (Fisher–Yates), a pure function of `(n, seed)`. */
export function permutation(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const next = splitmix32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = randomBelow(next, i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
