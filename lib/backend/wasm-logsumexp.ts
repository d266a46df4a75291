/**
 * log(sum(exp(x))) over the rows of [A, R, C] (output [A, C]) on the tfjs wasm backend's
 * heap: the max shift, the exponentials and their sum in generated SIMD loops (exp from
 * wasm-math.ts), where the composition of tfjs kernels makes five passes over x and runs
 * the C library's exp per element. It is the core of log-domain Sinkhorn (SwAV's codes).
 *
 * - C = 1 (a reduction over contiguous elements, R a multiple of 4): each group's max,
 *   then the sum of exp(x - max) while its R elements are still in cache.
 * - C a multiple of 4: the max of every column over the R rows (into the output), then the
 *   sums of exp(x - max) row by row.
 *
 * The shift is the max where it is finite and 0 otherwise, so an all -inf group gives
 * log(0) = -inf, a +inf gives +inf and a NaN gives NaN. Sums are blocked and compensated
 * as in wasm-elementwise.ts: SUM_BLOCK terms per lane and partial, partials added with
 * Kahan's compensation, so the error stays a few float32 roundings whatever R is.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SUM_BLOCK } from './wasm-elementwise.js';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, runHeapKernel } from './wasm-heap.js';
import { SimdMath } from './wasm-math.js';

export interface LogSumExpAttrs {
  /** x viewed as [groups, rows, cols]; the rows are reduced. */
  readonly groups: number;
  readonly rows: number;
  readonly cols: number;
}

/** Whether {@link logSumExpWasm} takes this geometry (heap kernels must be available too). */
export function logSumExpWasmApplies({ groups, rows, cols }: LogSumExpAttrs): boolean {
  return groups > 0 && rows > 0 && (cols === 1 ? rows % 4 === 0 : cols > 0 && cols % 4 === 0);
}

/**
 * log(sum(exp(x), axis 1)) of x seen as [groups, rows, cols] (float32, wasm backend with
 * heap kernels): a [groups, cols] tensor.
 *
 * ```ts
 * logSumExpWasm(logQ, { groups: 1, rows: 4096, cols: 3000 }); // over the samples, per prototype
 * ```
 */
export function logSumExpWasm(x: tf.Tensor, attrs: LogSumExpAttrs): tf.Tensor {
  return runHeapKernel(logSumExp, [x], attrs);
}

const logSumExp: HeapKernel<LogSumExpAttrs> = {
  name: 'TfjaxLogSumExp',
  outShape([x], a) {
    if (!logSumExpWasmApplies(a) || tf.util.sizeFromShape(x as number[]) !== a.groups * a.rows * a.cols) throw new Error(`logSumExpWasm: input [${x}] as [${a.groups}, ${a.rows}, ${a.cols}]: needs that many elements, and cols a multiple of 4 or cols 1 with rows a multiple of 4`);
    return [a.groups, a.cols];
  },
  // Columns: a shift, a partial sum, a sum and its compensation per column.
  scratchFloats: (_s, a) => (a.cols === 1 ? 0 : 4 * a.cols),
  initial: (a) => (a.cols === 1 ? null : -Infinity),
  generate: (_s, a) => (a.cols === 1 ? contiguous(a) : columns(a)),
};

/** Registers and the emitters both loop shapes share. */
function common(f: FunctionBuilder) {
  const v = () => f.local('v128');
  const r = { x: v(), shift: v(), y: v(), t: v(), math: new SimdMath(f) };
  return {
    ...r,
    /** Pushes exp(load() - shift()), each of the two pushing a v128. */
    expShifted(load: () => void, shift: () => void) {
      load();
      shift();
      f.f32x4Sub().localSet(r.x);
      r.math.exp(r.x);
    },
    /** `run(SUM_BLOCK)` for each whole block of n terms (in a loop counting down the local `counter`), then `run(rest)`. */
    inBlocks(n: number, counter: number, run: (count: number) => void) {
      if (n >= SUM_BLOCK) {
        f.i32Const(Math.floor(n / SUM_BLOCK)).localSet(counter);
        f.loop();
        run(SUM_BLOCK);
        f.countDown(counter, 0);
        f.end();
      }
      if (n % SUM_BLOCK) run(n % SUM_BLOCK);
    },
    /** local shift := the local m where finite, else 0. */
    shiftOf(m: () => void) {
      m();
      f.v128Const0();
      m();
      m();
      f.f32x4Sub().v128Const0().f32x4Eq().v128Bitselect().localSet(r.shift);
    },
    /**
     * sum += part with Kahan's compensation comp (all as get/set pairs): the compensation is
     * reset where the new sum is not finite, so infinities and NaN stay as they are.
     */
    kahan(part: () => void, sum: [() => void, () => void], comp: [() => void, () => void]) {
      part();
      comp[0]();
      f.f32x4Sub().localSet(r.y);
      sum[0]();
      f.localGet(r.y).f32x4Add().localSet(r.t);
      f.localGet(r.t);
      sum[0]();
      f.f32x4Sub().localGet(r.y).f32x4Sub();
      f.localGet(r.t).localGet(r.t).f32x4Sub().v128Const0().f32x4Eq().v128And();
      comp[1]();
      f.localGet(r.t);
      sum[1]();
    },
  };
}

/** Groups of R contiguous elements: params (x, out). */
function contiguous({ groups, rows }: LogSumExpAttrs): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32'], []);
  const [x, out] = [0, 1];
  const [q, g, k, blocks] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  const [m, sum, comp, part] = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const c = common(f);
  const vectors = rows / 4;
  /** local v := the four lanes of v combined by `op`, in every lane. */
  const across = (v: number, op: () => void) => {
    for (const lanes of [[2, 3, 0, 1], [1, 0, 3, 2]] as const) {
      f.localGet(v).localGet(v).f32x4Shuffle(lanes).localGet(v);
      op();
      f.localSet(v);
    }
  };
  const local = (i: number): [() => void, () => void] => [() => f.localGet(i), () => f.localSet(i)];
  /** `count` vectors from q on into a partial sum, added into the sum. */
  const block = (count: number) => {
    f.v128Const0().localSet(part).i32Const(count).localSet(k);
    f.loop();
    c.expShifted(() => f.localGet(q).v128Load(0), () => f.localGet(c.shift));
    f.localGet(part).f32x4Add().localSet(part).addTo(q, 16);
    f.countDown(k, 0);
    f.end();
    c.kahan(() => f.localGet(part), local(sum), local(comp));
  };

  f.i32Const(groups).localSet(g);
  f.loop();
  // The group's max, then its shift.
  f.f32x4Const(-Infinity).localSet(m).localGet(x).localSet(q).i32Const(vectors).localSet(k);
  f.loop();
  f.localGet(m).localGet(q).v128Load(0).f32x4Max().localSet(m).addTo(q, 16);
  f.countDown(k, 0);
  f.end();
  across(m, () => f.f32x4Max());
  c.shiftOf(() => f.localGet(m));
  // The sum of exp(x - shift), SUM_BLOCK vectors at a time.
  f.v128Const0().localSet(sum).v128Const0().localSet(comp).localGet(x).localSet(q);
  c.inBlocks(vectors, blocks, block);
  f.localGet(sum).localGet(comp).f32x4Sub().localSet(sum);
  across(sum, () => f.f32x4Add());
  // out = log(sum) + shift (lane 0).
  f.localGet(out);
  c.math.log(sum);
  f.localGet(c.shift).f32x4Add().f32x4ExtractLane(0).f32Store(0);
  f.addTo(out, 4).localGet(q).localSet(x);
  f.countDown(g, 0);
  f.end();
  return f;
}

/** Groups of R rows of C columns: params (x, out, scratch); out starts at -inf. */
function columns({ groups, rows, cols }: LogSumExpAttrs): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32'], []);
  const [x, out, scratch] = [0, 1, 2];
  const [q, g, r, blocks, col] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  const stored = f.local('v128');
  const c = common(f);
  const row = cols * 4;
  // Scratch rows (byte offsets): shifts, partial sums, sums, compensations.
  const [SHIFT, PART, SUM, COMP] = [0, row, 2 * row, 3 * row];
  /** Pushes the address of column `col` in the row at the local `base`. */
  const at = (base: number) => f.localGet(base).localGet(col).i32Add();
  /** Get and set of a scratch row's 4 columns (v128.store takes the address first: the value goes through a local). */
  const mem = (offset: number): [() => void, () => void] => [
    () => at(scratch).v128Load(offset),
    () => {
      f.localSet(stored);
      at(scratch).localGet(stored).v128Store(offset);
    },
  ];
  /** Runs `body` for every 4 columns (col: their byte offset). */
  const eachColumn = (body: () => void) => {
    f.i32Const(0).localSet(col);
    f.loop();
    body();
    f.localGet(col).i32Const(16).i32Add().localTee(col).i32Const(row).i32Ne().brIf(0);
    f.end();
  };
  /** Runs `body` for every column of `count` rows from q on (q advances). */
  const eachRow = (count: number, body: () => void) => {
    f.i32Const(count).localSet(r);
    f.loop();
    eachColumn(body);
    f.addTo(q, row);
    f.countDown(r, 0);
    f.end();
  };
  /** `count` rows' exp(x - shift) into the partial sums, then the partials into the sums. */
  const sumRows = (count: number) => {
    eachRow(count, () => {
      at(scratch);
      c.expShifted(() => f.localGet(q).localGet(col).i32Add().v128Load(0), () => at(scratch).v128Load(SHIFT));
      at(scratch).v128Load(PART).f32x4Add().v128Store(PART);
    });
    eachColumn(() => {
      c.kahan(mem(PART)[0], mem(SUM), mem(COMP));
      at(scratch).v128Const0().v128Store(PART);
    });
  };

  f.i32Const(groups).localSet(g);
  f.loop();
  // Column maxima into the output row, then the shifts.
  f.localGet(x).localSet(q);
  eachRow(rows, () => {
    at(out).localGet(q).localGet(col).i32Add().v128Load(0);
    at(out).v128Load(0).f32x4Max().v128Store(0);
  });
  eachColumn(() => {
    c.shiftOf(() => at(out).v128Load(0));
    at(scratch).localGet(c.shift).v128Store(SHIFT);
  });
  // Sums of exp(x - shift), SUM_BLOCK rows at a time.
  f.localGet(x).localSet(q);
  c.inBlocks(rows, blocks, sumRows);
  // out = log(sum - compensation) + shift; the sums are zeroed for the next group.
  eachColumn(() => {
    at(scratch).v128Load(SUM);
    at(scratch).v128Load(COMP).f32x4Sub().localSet(stored);
    at(out);
    c.math.log(stored);
    at(scratch).v128Load(SHIFT).f32x4Add().v128Store(0);
    at(scratch).v128Const0().v128Store(SUM);
    at(scratch).v128Const0().v128Store(COMP);
  });
  f.localGet(q).localSet(x).addTo(out, row);
  f.countDown(g, 0);
  f.end();
  return f;
}
