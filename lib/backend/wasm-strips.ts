/**
 * Strips of output channels: a matrix of R rows of o channels ([..., o], o a multiple of
 * 4; a filter [kh, kw, c, o] or an output gradient [n, ho, wo, o]) rewritten so that each 8
 * channels' R rows lie one after another (a last 4 likewise, rows of 4). A kernel whose
 * register tile holds 8 output channels then walks its strip contiguously; read in place,
 * the rows of a strip lie o*4 bytes apart, which at 128-512 channels maps them to a few L1
 * sets (a multiple of 4 KB's fraction) that evict each other.
 *
 * In the packed array, the strip of the channels at byte offset k (k = 32 s for strip s,
 * 32 * floor(o / 8) for a last 4) starts at byte k * R, and its row r at r * 32 (r * 16 in
 * the last 4).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, runHeapKernel } from './wasm-heap.js';

/**
 * `t` ([..., o] float32 on the wasm backend) packed into strips of 8 output channels.
 *
 * ```ts
 * const strips = packStripsWasm(w, w.shape[3]); // a [3, 3, c, o] filter, for wasm-conv.ts
 * ```
 */
export function packStripsWasm(t: tf.Tensor, o: number): tf.Tensor1D {
  return runHeapKernel(packStrips, [t], { o }) as tf.Tensor1D;
}

const packStrips: HeapKernel<{ readonly o: number }> = {
  name: 'TfjaxConvStrips',
  outShape([w], { o }) {
    const size = tf.util.sizeFromShape(w as number[]);
    if (o % 4 !== 0 || size % o !== 0) throw new Error(`packStripsWasm: [${w}] is not rows of ${o} channels (a multiple of 4)`);
    return [size];
  },
  initial: () => null,
  generate([w], { o }) {
    const rows = tf.util.sizeFromShape(w as number[]) / o;
    const full = Math.floor(o / 8);
    const f = new FunctionBuilder(['i32', 'i32'], []);
    const [wPtr, outPtr] = [0, 1];
    const [src, dst, left, strip] = Array.from({ length: 4 }, () => f.local('i32'));
    const copyRows = (vectors: 1 | 2) => {
      f.i32Const(rows).localSet(left);
      f.loop();
      for (let v = 0; v < vectors; v++) f.localGet(dst).localGet(src).v128Load(v * 16).v128Store(v * 16);
      f.addTo(src, o * 4).addTo(dst, vectors * 16);
      f.countDown(left, 0);
      f.end();
    };
    f.localGet(outPtr).localSet(dst);
    if (full > 0) {
      f.i32Const(0).localSet(strip);
      f.loop();
      f.localGet(wPtr).localGet(strip).i32Add().localSet(src);
      copyRows(2);
      f.addTo(strip, 32);
      f.localGet(strip).i32Const(full * 32).i32Ne().brIf(0);
      f.end();
    }
    if (o % 8) {
      f.localGet(wPtr).i32Const(full * 32).i32Add().localSet(src);
      copyRows(1);
    }
    return f;
  },
};
