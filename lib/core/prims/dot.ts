/** Batched matrix product with optional transposition of either operand's last two dims. */
import { avalStr, shapeStr } from '../aval.js';
import * as lax from '../lax.js';
import type { DotParams } from '../prim-params.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { shapeOf } from '../trace.js';
import { foldInto, splitAxis } from './batching-util.js';

const dot: PrimitiveDef<DotParams> = {
  abstractEval([a, b], { transposeA, transposeB }) {
    const r = a.shape.length;
    const bad = (why: string) => new Error(`dot: ${why}: ${avalStr(a)}${transposeA ? 'ᵀ' : ''} @ ${avalStr(b)}${transposeB ? 'ᵀ' : ''}`);
    if (a.dtype !== b.dtype) throw bad('operands must have the same dtype');
    if (r < 2 || b.shape.length !== r) throw bad('operands must have the same rank, at least 2');
    if (a.shape.slice(0, r - 2).some((d, i) => d !== b.shape[i])) throw bad(`batch dims ${shapeStr(a.shape.slice(0, r - 2))} and ${shapeStr(b.shape.slice(0, r - 2))} differ`);
    const [m, k] = transposeA ? [a.shape[r - 1], a.shape[r - 2]] : [a.shape[r - 2], a.shape[r - 1]];
    const [k2, n] = transposeB ? [b.shape[r - 1], b.shape[r - 2]] : [b.shape[r - 2], b.shape[r - 1]];
    if (k !== k2) throw bad(`contracting dims differ (${k} vs ${k2})`);
    return { shape: [...a.shape.slice(0, r - 2), m, n], dtype: a.dtype };
  },
  jvp: ([ta, tb], [a, b], _o, { transposeA: tA, transposeB: tB }) => lax.add(lax.dot(ta, b, tA, tB), lax.dot(a, tb, tA, tB)),
  vjp(ct, [a, b], _o, { transposeA: tA, transposeB: tB }, [wa, wb]) {
    const da = !wa ? null : tA ? lax.dot(b, ct, tB, true) : lax.dot(ct, b, false, !tB);
    const db = !wb ? null : tB ? lax.dot(ct, a, true, tA) : lax.dot(a, ct, !tA, false);
    return [da, db];
  },
  batch([a, b], [da, db], { transposeA: tA, transposeB: tB }, n) {
    if (da !== null && db !== null) return [lax.dot(lax.moveAxis(a, da, 0), lax.moveAxis(b, db, 0), tA, tB), 0];
    const r = (da === null ? shapeOf(a) : shapeOf(b)).length; // unbatched rank
    if (db === null) {
      // Fold the batch into a's row dim m: out [..., B*m, n] -> [..., B, m, n].
      const mAxis = tA ? r - 1 : r - 2;
      const moved = lax.moveAxis(a, da!, mAxis); // batch axis sits just before m
      const out = lax.dot(foldInto(moved, mAxis), b, tA, tB);
      return [splitAxis(out, r - 2, n, shapeOf(moved)[mAxis + 1]), r - 2];
    }
    // Fold the batch into b's column dim n: out [..., m, B*n] -> [..., m, B, n].
    const nAxis = tB ? r - 2 : r - 1;
    const moved = lax.moveAxis(b, db, nAxis);
    const out = lax.dot(a, foldInto(moved, nAxis), tA, tB);
    return [splitAxis(out, r - 1, n, shapeOf(moved)[nAxis + 1]), r - 1];
  },
};

definePrimitives({ dot });
