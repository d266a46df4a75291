/** Float32 error measurement for the elementwise math tests: ulps against float64 and the sweeps of float32 inputs. */

/** The float32 ulp at the float64 value y: of its binade, denormal spacing below 2^-126, 2^104 at and beyond 2^128. */
export function ulp(y: number): number {
  const a = Math.abs(y);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.min(Math.floor(Math.log2(a)), 127) - 23);
}

/** |got - want| in float32 ulps of want (infinities count as ±2^128, so an overflow near the top is judged as a value). */
export function ulps(got: number, want: number): number {
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity;
  if (Number.isNaN(got)) return Infinity;
  const big = (v: number) => (v === Infinity ? 2 ** 128 : v === -Infinity ? -(2 ** 128) : v);
  if (!Number.isFinite(want)) return got === want ? 0 : Infinity;
  // Beyond the float32 range (exp above 88.72): inf, or a value within 2 ulp of the top binade.
  if (!Number.isFinite(Math.fround(want))) return got === Math.fround(want) ? 0 : Math.abs(big(got) - want) / 2 ** 104;
  return Math.abs(big(got) - want) / ulp(want);
}

/** Every exponent field (0..255) of both signs with `per` mantissas: the extremes and evenly spread ones. */
export function exponentSweep(per: number): Float32Array {
  const bits = new Uint32Array(512 * per);
  let k = 0;
  for (let sign = 0; sign < 2; sign++)
    for (let e = 0; e < 256; e++)
      for (let j = 0; j < per; j++) {
        const mant = j === per - 1 ? 0x7fffff : Math.floor((j * 0x800000) / (per - 1)) + (j % 7); // jitter off the grid
        bits[k++] = (sign << 31) | (e << 23) | Math.min(mant, 0x7fffff);
      }
  return new Float32Array(bits.buffer);
}

/** Every float32 in [lo, hi] stepping by `stride` bit patterns (lo, hi of one sign). */
export function denseRange(lo: number, hi: number, stride: number): Float32Array {
  const f = new Float32Array(2);
  const u = new Uint32Array(f.buffer);
  f[0] = lo;
  f[1] = hi;
  const [a, b] = u[0]! <= u[1]! ? [u[0]!, u[1]!] : [u[1]!, u[0]!];
  const out = new Uint32Array(Math.floor((b - a) / stride) + 1);
  for (let i = 0; i < out.length; i++) out[i] = a + i * stride;
  return new Float32Array(out.buffer);
}

export interface Worst {
  readonly ulps: number;
  readonly x: number;
  readonly got: number;
  readonly want: number;
}

/** The largest error of `ys` (computed at `xs`) against the float64 function `ref`. */
export function worstUlps(xs: Float32Array, ys: ArrayLike<number>, ref: (x: number) => number): Worst {
  let w: Worst = { ulps: 0, x: NaN, got: NaN, want: NaN };
  for (let i = 0; i < xs.length; i++) {
    const want = ref(xs[i]!);
    const e = ulps(ys[i]!, want);
    if (!(e <= w.ulps)) w = { ulps: e, x: xs[i]!, got: ys[i]!, want };
  }
  return w;
}
