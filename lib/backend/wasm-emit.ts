/**
 * A minimal WebAssembly module writer: enough of the binary format to emit small
 * numeric kernels (i32 arithmetic, loops, 128-bit SIMD loads/stores and f32x4 math)
 * that run on an imported memory, such as the tfjs wasm backend's heap.
 *
 * Kernels are generated per shape with their sizes as immediates, so the writer has no
 * tables, globals or data segments. Only what the kernels in this folder use is here.
 *
 * ```ts
 * const f = new FunctionBuilder(['i32'], []);
 * f.localGet(0).i32Const(0).v128Load(0).v128Store(16); // mem[p+16..32) = mem[p..16)
 * const bytes = moduleBytes([{ name: 'copy', fn: f }]);
 * ```
 */

export type ValType = 'i32' | 'v128';

export const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, v128: 0x7b };

/** Appends n as unsigned LEB128. */
export function uleb(n: number, out: number[]): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`wasm-emit: unsigned LEB128 of ${n}`);
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new Error(`wasm-emit: i32 constant ${n}`);
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** The body of one function, built instruction by instruction (a stack machine). */
export class FunctionBuilder {
  private readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  /** A new local of the given type; returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  localGet(i: number): this {
    return this.op(0x20).u(i);
  }
  localSet(i: number): this {
    return this.op(0x21).u(i);
  }
  localTee(i: number): this {
    return this.op(0x22).u(i);
  }
  /** local += v (i32). */
  addTo(local: number, v: number): this {
    return this.localGet(local).i32Const(v).i32Add().localSet(local);
  }
  /** local -= 1, and branch to `depth` (a loop: again) while it is not zero. */
  countDown(local: number, depth: number): this {
    return this.localGet(local).i32Const(1).i32Sub().localTee(local).brIf(depth);
  }
  i32Const(v: number): this {
    this.code.push(0x41);
    sleb(v, this.code);
    return this;
  }
  drop(): this {
    return this.op(0x1a);
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32RemU(): this {
    return this.op(0x70);
  }
  i32DivU(): this {
    return this.op(0x6e);
  }
  /** i32.lt_s: 1 if a < b (signed), else 0. */
  i32LtS(): this {
    return this.op(0x48);
  }
  /** select: stack [a, b, condition]: a if condition is not zero, else b. */
  select(): this {
    return this.op(0x1b);
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32Ne(): this {
    return this.op(0x47);
  }
  /** `block` with no result; `br 0` inside jumps to its end. */
  block(): this {
    return this.op(0x02, 0x40);
  }
  /** `loop` with no result; `br 0` inside jumps to its start. */
  loop(): this {
    return this.op(0x03, 0x40);
  }
  /** `if` with no result (pops the condition); close with end(). */
  if(): this {
    return this.op(0x04, 0x40);
  }
  end(): this {
    return this.op(0x0b);
  }
  br(depth: number): this {
    return this.op(0x0c).u(depth);
  }
  brIf(depth: number): this {
    return this.op(0x0d).u(depth);
  }
  /** memory.copy: stack [destination, source, byte count]. */
  memoryCopy(): this {
    return this.prefixed(0xfc, 10).op(0x00, 0x00);
  }
  /** memory.fill: stack [destination, byte value, byte count]. */
  memoryFill(): this {
    return this.prefixed(0xfc, 11).op(0x00);
  }
  /** v128.load of the 16 bytes at (address on the stack) + offset. */
  v128Load(offset: number): this {
    return this.simd(0x00).memarg(offset);
  }
  /** v128.load32_splat: the f32 at (address) + offset in all four lanes. */
  v128Load32Splat(offset: number): this {
    return this.simd(0x09).memarg(offset);
  }
  /** v128.store: stack [address, value]. */
  v128Store(offset: number): this {
    return this.simd(0x0b).memarg(offset);
  }
  /** v128.const of all zeros. */
  v128Const0(): this {
    return this.f32x4Const(0);
  }
  /** v128.const with the f32 `v` in all four lanes. */
  f32x4Const(v: number): this {
    this.simd(0x0c);
    const lane = new Uint8Array(new Float32Array([v]).buffer);
    for (let i = 0; i < 4; i++) this.code.push(...lane);
    return this;
  }
  /** i8x16.shuffle, by f32 lanes: stack [a, b] -> lanes (a0..a3 b0..b3)[l0], [l1], [l2], [l3]. */
  f32x4Shuffle(lanes: readonly [number, number, number, number]): this {
    this.simd(0x0d);
    for (const l of lanes) for (let k = 0; k < 4; k++) this.code.push(4 * l + k);
    return this;
  }
  v128And(): this {
    return this.simd(0x4e);
  }
  /** Lane masks: all ones where a == b. */
  f32x4Eq(): this {
    return this.simd(0x41);
  }
  /** Lane masks: all ones where a != b (where a lane of x is NaN, for a = b = x). */
  f32x4Ne(): this {
    return this.simd(0x42);
  }
  /** v128.bitselect: stack [a, b, mask] -> a where mask bits are 1, else b. */
  v128Bitselect(): this {
    return this.simd(0x52);
  }
  /** Lane masks: all ones where a < b. */
  f32x4Lt(): this {
    return this.simd(0x43);
  }
  /** Lane masks: all ones where a > b. */
  f32x4Gt(): this {
    return this.simd(0x44);
  }
  f32x4Neg(): this {
    return this.simd(0xe1);
  }
  f32x4Abs(): this {
    return this.simd(0xe0);
  }
  f32x4Sub(): this {
    return this.simd(0xe5);
  }
  f32x4Div(): this {
    return this.simd(0xe7);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  /** Lane-wise minimum (NaN if either lane is NaN). */
  f32x4Min(): this {
    return this.simd(0xe8);
  }
  /** Lane-wise maximum (NaN if either lane is NaN). */
  f32x4Max(): this {
    return this.simd(0xe9);
  }

  // Lane-wise math for wasm-math.ts (exp and log by range reduction): bit patterns as i32 lanes.
  /** v128.const with the i32 `v` in all four lanes. */
  i32x4Const(v: number): this {
    this.simd(0x0c);
    const lane = new Uint8Array(new Int32Array([v]).buffer);
    for (let i = 0; i < 4; i++) this.code.push(...lane);
    return this;
  }
  /** f32x4.splat: stack [f32] -> that value in all four lanes. */
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  /** f32x4.extract_lane: stack [v128] -> f32 of lane `lane`. */
  f32x4ExtractLane(lane: number): this {
    return this.simd(0x1f).op(lane);
  }
  /** f32x4.replace_lane: stack [v128, f32] -> the vector with lane `lane` replaced. */
  f32x4ReplaceLane(lane: number): this {
    return this.simd(0x20).op(lane);
  }
  /** f32.load of the 4 bytes at (address on the stack) + offset. */
  f32Load(offset: number): this {
    return this.op(0x2a, 0x02).u(offset);
  }
  /** f32.store: stack [address, f32]. */
  f32Store(offset: number): this {
    return this.op(0x38, 0x02).u(offset);
  }
  v128Or(): this {
    return this.simd(0x50);
  }
  /** v128.andnot: stack [a, b] -> a & ~b. */
  v128Andnot(): this {
    return this.simd(0x4f);
  }
  /** Lane masks: all ones where a <= b. */
  f32x4Le(): this {
    return this.simd(0x45);
  }
  /** Lane masks: all ones where a >= b. */
  f32x4Ge(): this {
    return this.simd(0x46);
  }
  /** Round to the nearest integer, ties to even. */
  f32x4Nearest(): this {
    return this.simd(0x6a);
  }
  /** f32 lanes to i32, truncated and saturated (NaN -> 0). */
  i32x4TruncSatF32x4S(): this {
    return this.simd(0xf8);
  }
  /** i32 lanes to f32. */
  f32x4ConvertI32x4S(): this {
    return this.simd(0xfa);
  }
  i32x4Add(): this {
    return this.simd(0xae);
  }
  i32x4Sub(): this {
    return this.simd(0xb1);
  }
  /** i32x4.shl: stack [v128, i32 count]. */
  i32x4Shl(): this {
    return this.simd(0xab);
  }
  /** i32x4.shr_s (arithmetic): stack [v128, i32 count]. */
  i32x4ShrS(): this {
    return this.simd(0xac);
  }
  /**
   * f32x4.relaxed_madd (relaxed SIMD, behind --experimental-wasm-relaxed-simd in Node 20):
   * stack [a, b, c] -> a * b + c, fused or not as the machine does it.
   */
  f32x4RelaxedMadd(): this {
    return this.simd(0x105);
  }

  // Double-precision lanes for wasm-trig.ts (sin, cos and tan computed in float64).
  /** v128.const with the f64 `v` in both lanes (-0 gives the sign-bit mask). */
  f64x2Const(v: number): this {
    this.simd(0x0c);
    const lane = new Uint8Array(new Float64Array([v]).buffer);
    for (let i = 0; i < 2; i++) this.code.push(...lane);
    return this;
  }
  /** f64x2.promote_low_f32x4: f32 lanes 0 and 1 as two f64 lanes (exact). */
  f64x2PromoteLowF32x4(): this {
    return this.simd(0x5f);
  }
  /** f32x4.demote_f64x2_zero: the two f64 lanes rounded to f32 lanes 0 and 1; lanes 2 and 3 zero. */
  f32x4DemoteF64x2Zero(): this {
    return this.simd(0x5e);
  }
  f64x2Add(): this {
    return this.simd(0xf0);
  }
  f64x2Sub(): this {
    return this.simd(0xf1);
  }
  f64x2Mul(): this {
    return this.simd(0xf2);
  }
  f64x2Div(): this {
    return this.simd(0xf3);
  }
  f64x2Abs(): this {
    return this.simd(0xec);
  }
  f64x2Floor(): this {
    return this.simd(0x75);
  }
  /** f64x2.nearest: rounds to the nearest integer, ties to even. */
  f64x2Nearest(): this {
    return this.simd(0x94);
  }
  f64x2Ne(): this {
    return this.simd(0x48);
  }
  f64x2Lt(): this {
    return this.simd(0x49);
  }
  f64x2Gt(): this {
    return this.simd(0x4a);
  }
  f64x2Ge(): this {
    return this.simd(0x4c);
  }
  v128Xor(): this {
    return this.simd(0x51);
  }

  /** The function's code entry: locals, then the body and its final `end`. */
  encode(): number[] {
    const out: number[] = [];
    const groups: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(groups.length, out);
    for (const [n, t] of groups) {
      uleb(n, out);
      out.push(TYPE_CODE[t]);
    }
    out.push(...this.code, 0x0b);
    const sized: number[] = [];
    uleb(out.length, sized);
    return sized.concat(out);
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  private u(n: number): this {
    uleb(n, this.code);
    return this;
  }
  /** An instruction of a prefixed group: 0xfc (bulk memory) or 0xfd (SIMD). */
  private prefixed(prefix: number, opcode: number): this {
    this.code.push(prefix);
    uleb(opcode, this.code);
    return this;
  }
  private simd(opcode: number): this {
    return this.prefixed(0xfd, opcode);
  }
  /** Alignment hint 0 (no alignment promised: tensors are only 4-byte aligned). */
  private memarg(offset: number): this {
    this.code.push(0x00);
    uleb(offset, this.code);
    return this;
  }
}
