/**
 * A chain of elementwise float32 operations as one generated WebAssembly SIMD loop on
 * the tfjs wasm backend's heap: the compiler of the IR's `ElementwiseProgram`
 * (lib/core/jit/ir.ts), which jit's elementwise fusion makes (lib/core/jit/fuse-elementwise.ts).
 *
 * Each operation of a fused chain would otherwise be its own tfjs kernel, writing a whole
 * array that the next one reads back; here every intermediate lives in a register and
 * only the chain's result is written. Inputs are arrays of the result's shape, vectors
 * broadcast along the last axis (shape [1, ..., 1, C]), one value per row (shape
 * [..., 1]: Sinkhorn's and softmax's per-row normalisers) or scalars. A row whose length is
 * not a multiple of 4 ends in one vector of fewer lanes (a ViT's 65 tokens: 16 vectors and
 * one lane). Each operation rounds
 * to float32 as the separate kernels do (no fused multiply-add), so results are identical,
 * except exp, log and erf: ours (wasm-math.ts, within 2 ulp) instead of the C library's;
 * a chain may end in a sum or maximum over rows (BatchNorm's statistics and their
 * gradients), which propagates NaN.
 *
 * Sums are blocked and compensated, not sequential (a float32 running sum stops growing at
 * 2^24 and loses ~n·2^-24 relative on n similar values): each lane adds SUM_BLOCK rows into
 * a partial sum in scratch memory, and the partials are added into the result with Kahan's
 * compensation (reset where the result is not finite, so infinities and NaN stay as they
 * are). The error is then about (SUM_BLOCK + 2) float32 roundings whatever the row count,
 * and counts of ones are exact far beyond 2^28.
 *
 * Threads (wasm-split.ts): a program without sums splits into blocks of rows (each element
 * is computed alone); one with a reduction or sums runs whole as part 0 (its sums run in
 * one order).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ElementwiseOp as FusedOp, ElementwiseProgram as FusedProgram } from '../core/jit/ir.js';
import { FunctionBuilder } from './wasm-emit.js';
import { SimdMath } from './wasm-math.js';
import { type HeapKernel, heapKernelsAvailable, runHeapKernel, runHeapKernelOutputs } from './wasm-heap.js';
import { emitPartRange } from './wasm-split.js';

/** The jit's fused operations (tanh among them: tfjs wasm's calls the scalar C function per element). */
export type ElementwiseOp = FusedOp;
/** The jit's fused elementwise program. */
export type ElementwiseProgram = FusedProgram;

/**
 * Whether a result of this shape can be computed by {@link elementwiseWasm}: any last
 * dimension for elementwise programs (a row's last c % 4 elements are lanes of one more
 * vector), a multiple of 4 for one that `reduces` over rows or keeps sums (its per-column
 * partials are whole vectors).
 */
export function elementwiseWasmApplies(shape: readonly number[], { reduces = false } = {}): boolean {
  return shape.length > 0 && (!reduces || shape[shape.length - 1]! % 4 === 0) && heapKernelsAvailable();
}

/**
 * Runs the program on its inputs (float32, wasm backend).
 *
 * ```ts
 * // relu(x * scale + shift), scale and shift per channel:
 * elementwiseWasm([x, scale, shift], { shape: x.shape, inputs: ['full', 'channel', 'channel'],
 *   ops: [{ op: 'mul', args: [0, 1] }, { op: 'add', args: [3, 2] }, { op: 'relu', args: [4] }] });
 * ```
 */
export function elementwiseWasm(inputs: readonly tf.Tensor[], program: ElementwiseProgram): tf.Tensor {
  return runHeapKernel(elementwise, inputs, program);
}

/** Runs the program; its result (in `shape` if given, of as many elements), then one tensor per entry of `program.sums`. */
export function elementwiseWasmOutputs(inputs: readonly tf.Tensor[], program: ElementwiseProgram, shape?: readonly number[]): tf.Tensor[] {
  return runHeapKernelOutputs(elementwise, inputs, program, shape);
}

const ARITY: Record<ElementwiseOp, number> = { add: 2, sub: 2, mul: 2, div: 2, max: 2, min: 2, neg: 1, relu: 1, sign: 1, exp: 1, log: 1, erf: 1, tanh: 1 };

/** Rows each lane adds sequentially before its partial sum joins the result (see the top of this file). */
export const SUM_BLOCK = 32;

const rowsPerGroup = (p: ElementwiseProgram) => tf.util.sizeFromShape(p.shape as number[]) / p.shape[p.shape.length - 1]! / (p.reduce?.groups ?? 1);

/**
 * How many sums a program keeps in partials (its reduction, if a sum, and its further
 * `sums`): none when a group has at most SUM_BLOCK rows, whose sums are then one block
 * added straight into the result.
 */
const blockedSums = (p: ElementwiseProgram) => (rowsPerGroup(p) > SUM_BLOCK ? (p.reduce?.op === 'sum' ? 1 : 0) + (p.sums?.length ?? 0) : 0);

const elementwise: HeapKernel<ElementwiseProgram> = {
  name: 'TfjaxElementwise',
  outShape(shapes, p) {
    const size = tf.util.sizeFromShape(p.shape as number[]);
    const c = p.shape[p.shape.length - 1]!;
    const bad = (why: string) => new Error(`elementwiseWasm: ${why} (result [${p.shape}], inputs ${shapes.map((s) => `[${s}]`).join(' ')})`);
    if (c % 4 !== 0 && summing(p)) throw bad('a reduction or sums need the last dimension a multiple of 4');
    if (shapes.length !== p.inputs.length) throw bad(`${p.inputs.length} inputs expected`);
    p.inputs.forEach((kind, i) => {
      const n = tf.util.sizeFromShape(shapes[i] as number[]);
      if (n !== (kind === 'full' ? size : kind === 'channel' ? c : kind === 'row' ? size / c : 1)) throw bad(`input ${i} (${kind}) has ${n} elements`);
    });
    p.ops.forEach(({ op, args }, k) => {
      if (args.length !== ARITY[op] || args.some((a) => a < 0 || a >= p.inputs.length + k)) throw bad(`op ${k} (${op}) has arguments [${args}]`);
    });
    if (size === 0 || (!p.ops.length && !p.inputs.length)) throw bad('nothing to compute');
    if (p.reduce && (size / c) % p.reduce.groups !== 0) throw bad(`${size / c} rows do not split into ${p.reduce.groups} groups`);
    if (p.sums?.length && p.reduce) throw bad('sums come with an elementwise result, not a reduction');
    if (p.result !== undefined && (p.result < 0 || p.result >= p.inputs.length + p.ops.length)) throw bad(`result ${p.result} is not a value`);
    if (p.sums?.some((v) => v < 0 || v >= p.inputs.length + p.ops.length || (v < p.inputs.length && p.inputs[v] !== 'full'))) throw bad(`sums of [${p.sums}]: not full-size values`);
    return p.reduce ? [p.reduce.groups, c] : [...p.shape];
  },
  extraOutShapes: (_shapes, p) => (p.sums ?? []).map(() => [p.shape[p.shape.length - 1]!]),
  // Per sum: its partial sums, then its compensations, one row of C each.
  scratchFloats: (_shapes, p) => blockedSums(p) * 2 * p.shape[p.shape.length - 1]!,
  // A program of no operations copies (broadcasts) its input: int32 words move as they are.
  movesWords: (p) => p.ops.length === 0 && !summing(p),
  initial: (p, k) => (k > 0 ? 0 : p.reduce ? (p.reduce.op === 'sum' ? 0 : -Infinity) : null),
  split: (_shapes, p) => {
    const size = tf.util.sizeFromShape(p.shape as number[]);
    return { units: summing(p) ? 1 : size / p.shape[p.shape.length - 1]!, work: size * Math.max(1, p.ops.length) };
  },
  generate: (_shapes, p) => generate(p),
};

/** Whether the program sums or reduces over rows (then it runs whole, on one thread). */
const summing = (p: ElementwiseProgram) => !!p.reduce || !!p.sums?.length;

function generate(p: ElementwiseProgram): FunctionBuilder {
  const n = p.inputs.length;
  const c = p.shape[p.shape.length - 1]!;
  const size = tf.util.sizeFromShape(p.shape as number[]);
  const sums = p.sums ?? [];
  const nSums = blockedSums(p);
  const f = new FunctionBuilder([...p.inputs.map(() => 'i32' as const), 'i32', ...sums.map(() => 'i32' as const), ...(nSums ? ['i32' as const] : []), 'i32', 'i32'], []);
  const out = n;
  const scratch = n + 1 + sums.length;
  const [part, parts] = [f.params.length - 2, f.params.length - 1];
  const [off, cOff, rows, acc, groupRows, blockRows, first, end] = Array.from({ length: 8 }, () => f.local('i32'));
  const groupRowCount = rowsPerGroup(p);
  const values = [...p.inputs.map(() => f.local('v128')), ...p.ops.map(() => f.local('v128'))];
  const used = new Set([...p.ops.flatMap((o) => o.args), p.result ?? (p.ops.length ? -1 : 0), ...sums]);
  const one = f.local('v128'); // for sign
  if (p.ops.some((o) => o.op === 'sign')) f.f32x4Const(1).localSet(one);
  const math = new SimdMath(f);
  const [y, s, t, comp] = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  /** Pushes the address ptr + cOff. */
  const at = (ptr: number) => f.localGet(ptr).localGet(cOff).i32Add();
  // Sum k keeps its partials at byte `partial(k)` of the scratch memory, its compensations c * 4 bytes on.
  const firstSum = p.reduce?.op === 'sum' ? 1 : 0;
  const sumResults = [...(firstSum ? [acc] : []), ...sums.map((_, k) => out + 1 + k)];
  const partial = (k: number) => k * 2 * c * 4;
  /** Adds value into sum k: its partial, or its result when the sums are not blocked. */
  const addToSum = (k: number, value: number) => {
    const [ptr, offset] = nSums ? [scratch, partial(k)] : [sumResults[k]!, 0];
    at(ptr);
    at(ptr).v128Load(offset).localGet(value).f32x4Add().v128Store(offset);
  };
  /**
   * Adds every sum's partials into its result with Kahan's compensation and zeroes them; at
   * the end of a group (`last`) the compensation is folded into the result and reset.
   */
  const combine = (last: boolean) => {
    f.i32Const(0).localSet(cOff);
    f.loop();
    sumResults.forEach((result, k) => {
      at(scratch).v128Load(partial(k));
      at(scratch).v128Load(partial(k) + c * 4).f32x4Sub().localSet(y);
      at(result).v128Load(0).localTee(s).localGet(y).f32x4Add().localSet(t);
      // (t - s) - y: the part of y that t lost (negated), kept only where t is finite (t - t == 0).
      f.localGet(t).localGet(s).f32x4Sub().localGet(y).f32x4Sub();
      f.localGet(t).localGet(t).f32x4Sub().v128Const0().f32x4Eq().v128And().localSet(comp);
      at(result).localGet(t);
      if (last) f.localGet(comp).f32x4Sub();
      f.v128Store(0);
      at(scratch);
      if (last) f.v128Const0();
      else f.localGet(comp);
      f.v128Store(partial(k) + c * 4);
      at(scratch).v128Const0().v128Store(partial(k));
    });
    f.localGet(cOff).i32Const(16).i32Add().localTee(cOff).i32Const(c * 4).i32Ne().brIf(0);
    f.end();
  };
  p.inputs.forEach((kind, i) => kind === 'scalar' && f.localGet(i).v128Load32Splat(0).localSet(values[i]!));
  // This part's rows [first, end) (a summing program: all rows in part 0); `off` starts at the first.
  if (summing(p)) f.i32Const(0).localSet(first).i32Const(size / c).localSet(end).localGet(part).i32Eqz().if();
  else {
    emitPartRange(f, size / c, part, parts, first, end);
    f.localGet(first).localGet(end).i32Ne().if();
  }
  f.localGet(first).i32Const(c * 4).i32Mul().localSet(off);

  /** One vector of the loop: 4 lanes, or a row's last `lanes` < 4 elements (loaded into lanes of a zero vector, stored lane by lane). */
  const body = (lanes = 4) => {
    p.inputs.forEach((kind, i) => {
      if (kind === 'scalar' || kind === 'row' || !used.has(i)) return;
      const at = kind === 'full' ? off : cOff;
      if (lanes === 4) f.localGet(i).localGet(at).i32Add().v128Load(0).localSet(values[i]!);
      else {
        f.v128Const0();
        for (let j = 0; j < lanes; j++) f.localGet(i).localGet(at).i32Add().f32Load(j * 4).f32x4ReplaceLane(j);
        f.localSet(values[i]!);
      }
    });
    p.ops.forEach(({ op, args }, k) => {
      const [a, b] = args.map((i) => values[i]!);
      if (op === 'relu') f.localGet(a!).v128Const0().f32x4Max();
      else if (op === 'sign') {
        // (x > 0) - (x < 0) from lane masks, and x itself where x is NaN (as the sign primitive).
        f.localGet(a!);
        f.localGet(a!).v128Const0().f32x4Gt().localGet(one).v128And();
        f.localGet(a!).v128Const0().f32x4Lt().localGet(one).v128And().f32x4Sub();
        f.localGet(a!).localGet(a!).f32x4Ne().v128Bitselect();
      } else if (op === 'neg') f.localGet(a!).f32x4Neg();
      else if (op === 'exp') math.exp(a!);
      else if (op === 'log') math.log(a!);
      else if (op === 'erf') math.erf(a!);
      else if (op === 'tanh') math.tanh(a!);
      else {
        f.localGet(a!).localGet(b!);
        if (op === 'add') f.f32x4Add();
        else if (op === 'sub') f.f32x4Sub();
        else if (op === 'mul') f.f32x4Mul();
        else if (op === 'div') f.f32x4Div();
        else if (op === 'max') f.f32x4Max(); // NaN if either lane is NaN, as NumPy's maximum
        else f.f32x4Min();
      }
      f.localSet(values[n + k]!);
    });
    const result = values[p.result ?? (p.ops.length ? values.length - 1 : 0)]!;
    if (p.reduce?.op === 'max') {
      at(acc);
      at(acc).v128Load(0).localGet(result).f32x4Max().v128Store(0);
    } else if (p.reduce) addToSum(0, result);
    else if (lanes === 4) f.localGet(out).localGet(off).i32Add().localGet(result).v128Store(0);
    else for (let j = 0; j < lanes; j++) f.localGet(out).localGet(off).i32Add().localGet(result).f32x4ExtractLane(j).f32Store(j * 4);
    sums.forEach((v, k) => addToSum(firstSum + k, values[v]!));
    f.addTo(off, lanes * 4);
  };
  const [vectors, tail] = [Math.floor(c / 4), c % 4];

  if (tail > 0 || p.inputs.some((k) => k === 'channel' || k === 'row') || p.reduce || sums.length) {
    // Rows of c elements: the channel inputs are read (and sums kept) at the offset within the row.
    // A reduction accumulates into row `acc` of the output, the next one every groupRowCount rows.
    f.localGet(end).localGet(first).i32Sub().localSet(rows);
    p.inputs.forEach((kind, i) => kind === 'row' && used.has(i) && f.localGet(i).localGet(first).i32Const(4).i32Mul().i32Add().localSet(i));
    f.localGet(out).localSet(acc);
    f.i32Const(groupRowCount).localSet(groupRows);
    f.i32Const(SUM_BLOCK).localSet(blockRows);
    f.loop();
    f.i32Const(0).localSet(cOff);
    // Per-row inputs: this row's value in every lane; their pointers move on a row.
    p.inputs.forEach((kind, i) => kind === 'row' && used.has(i) && f.localGet(i).v128Load32Splat(0).localSet(values[i]!));
    if (vectors > 0) {
      f.loop();
      body();
      f.localGet(cOff).i32Const(16).i32Add().localTee(cOff).i32Const(vectors * 16).i32Ne().brIf(0);
      f.end();
    }
    if (tail > 0) body(tail);
    p.inputs.forEach((kind, i) => kind === 'row' && used.has(i) && f.addTo(i, 4));
    if (p.reduce || nSums) {
      f.block();
      f.block();
      f.countDown(groupRows, 0);
      // The group's last row: its sums are complete; the next group accumulates into the next row.
      if (nSums) combine(true);
      f.i32Const(groupRowCount).localSet(groupRows);
      f.i32Const(SUM_BLOCK).localSet(blockRows);
      f.addTo(acc, c * 4);
      f.br(1);
      f.end();
      if (nSums) {
        f.countDown(blockRows, 0);
        combine(false);
        f.i32Const(SUM_BLOCK).localSet(blockRows);
      }
      f.end();
    }
    f.countDown(rows, 0);
    f.end();
  } else {
    f.loop();
    body();
    f.localGet(off).localGet(end).i32Const(c * 4).i32Mul().i32Ne().brIf(0);
    f.end();
  }
  f.end();
  return f;
}
