/**
 * The scan primitive: a loop over the leading axis of its `xs` with a carry, as one
 * equation holding its body's jaxpr. Its reverse mode stacks each step's residuals (what the
 * body's backward pass reads) in the forward scan, and the backward scan reads them (scan-vjp.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, avalStr, isFloat, shapeStr } from '../aval.js';
import { defineHigherOrder, type HigherOrderDef } from '../higher-order.js';
import { batchAt, materializeBatch } from '../prims/batching-util.js';
import type { Jaxpr } from '../jit/ir.js';
import { traceClosed } from '../jit/staging.js';
import { vmapFlat } from '../interpreters/batching.js';
import { jvpFlat } from '../interpreters/jvp.js';
import * as lax from '../lax.js';
import { primKernel, withLoopConstants } from '../lower/index.js';
import { type NdArray, avalOf, bindHigherOrder } from '../trace.js';
import { backwardFor, scanVjp } from './scan-vjp.js';
import { type Flat, assertSameAvals, axisNamesOf, batchedCarries, avalsIn, avalsOut, communicatesOver, dependentOutputs, fnOf, indicesWhere, runJaxpr, traceSettlingWeak, withInvariantHoisted, withZeros } from './jaxpr-fn.js';

export interface ScanParams {
  /** (consts..., carry..., x...) -> (carry..., y...) */
  readonly body: Jaxpr;
  readonly numConsts: number;
  readonly numCarry: number;
  readonly length: number;
  readonly reverse: boolean;
}

const rowAval = (a: Aval): Aval => ({ shape: a.shape.slice(1), dtype: a.dtype });

/**
 * Binds a scan of `body(consts..., carry..., x...) -> [carry..., y...]` over the leading
 * axis (of size `length`) of each x; returns the final carry, then each y stacked.
 * What the body closes over joins the consts.
 */
export function scanFlat(body: Flat, consts: NdArray[], init: NdArray[], xs: NdArray[], length: number, reverse: boolean, carryName: (i: number) => string = (i) => `carry ${i}`, weak: readonly boolean[] = []): NdArray[] {
  const trace = (k: NdArray[]) => traceClosed(body, [...consts.map(avalOf), ...k.map(avalOf), ...xs.map((x) => rowAval(avalOf(x)))], 'lax.scan', { body: true });
  // A weakly typed carry the body changes the dtype of is promoted, and the body traced again (as JAX's scan).
  const [traced, settled] = traceSettlingWeak(init, weak, trace, (t) => avalsOut(t.jaxpr));
  init = settled;
  const { jaxpr, captured } = traced;
  const outs = avalsOut(jaxpr);
  if (outs.length < init.length) throw new Error(`lax.scan: the body returns ${outs.length} array(s), fewer than the ${init.length} of its carry`);
  assertSameAvals(outs.slice(0, init.length), init.map(avalOf), 'lax.scan', carryName, 'the body output', 'init', 'the carry must keep its shape and dtype');
  if (outs.length === 0) return [];
  const params: ScanParams = { body: jaxpr, numConsts: captured.length + consts.length, numCarry: init.length, length, reverse };
  return bindHigherOrder('scan', [...captured, ...consts, ...init, ...xs], params as unknown as Record<string, unknown>);
}

/** Splits a scan's operands (or anything laid out like them) into consts, carry and xs. */
function split<T>(args: readonly T[], p: ScanParams): [T[], T[], T[]] {
  return [args.slice(0, p.numConsts), args.slice(p.numConsts, p.numConsts + p.numCarry), args.slice(p.numConsts + p.numCarry)];
}

/**
 * Row `i` of x by the backend's slice kernel: tfjs wasm's own Slice reads its whole input back
 * first, which made a scan over T rows copy xs T times (an RNN of 64 steps: 28% of its time).
 */
function rowOf(x: tf.Tensor, i: number): tf.Tensor {
  const rest = x.shape.slice(1);
  const slice = primKernel('slice');
  return tf.tidy(() => tf.reshape(slice([x], { start: [i, ...rest.map(() => 0)], limit: [i + 1, ...rest], strides: x.shape.map(() => 1) }), rest));
}

const scan: HigherOrderDef<ScanParams> = {
  abstractEval(avals, p) {
    const want = avalsIn(p.body);
    if (avals.length !== want.length) throw new Error(`scan: ${avals.length} operands for a body of ${want.length} inputs`);
    const [, , xs] = split(avals, p);
    xs.forEach((x, i) => {
      if (x.shape[0] !== p.length) throw new Error(`lax.scan: xs ${i} has shape ${shapeStr(x.shape)}, but the scan has length ${p.length} (every xs leaf's leading axis must be the length)`);
    });
    avals.forEach((a, i) => {
      const w = i < p.numConsts + p.numCarry ? a : rowAval(a);
      if (avalStr(w) !== avalStr(want[i]!)) throw new Error(`scan: operand ${i} is ${avalStr(a)}, the body expects ${avalStr(want[i]!)}`);
    });
    const outs = avalsOut(p.body);
    return [...outs.slice(0, p.numCarry), ...outs.slice(p.numCarry).map((a) => ({ shape: [p.length, ...a.shape], dtype: a.dtype }))];
  },

  impl(args, p) {
    const [consts, init, xs] = split(args, p);
    // Work on the constants alone runs once, before the loop (a loop of one step gains nothing).
    const run = p.length > 1 ? withInvariantHoisted(p.body, consts) : { body: p.body, consts, made: [] };
    let carry = init; // the arguments until the first step replaces them (then ours to free)
    const ys: tf.Tensor[][] = [];
    let ok = false;
    try {
      withLoopConstants(run.consts, () => {
        for (let s = 0; s < p.length; s++) {
          const i = p.reverse ? p.length - 1 - s : s;
          const row = xs.map((x) => rowOf(x, i));
          let outs: tf.Tensor[];
          try {
            outs = runJaxpr(run.body, [...run.consts, ...carry, ...row]);
          } finally {
            tf.dispose(row);
          }
          if (carry !== init) tf.dispose(carry);
          carry = outs.slice(0, p.numCarry);
          ys[i] = outs.slice(p.numCarry);
        }
      });
      const yAvals = avalsOut(p.body).slice(p.numCarry);
      const stacked = yAvals.map((a, k) => (p.length === 0 ? tf.zeros([0, ...a.shape], a.dtype) : tf.stack(ys.map((y) => y[k]!))));
      ok = true;
      return [...(carry === init ? carry.map((c) => tf.clone(c)) : carry), ...stacked];
    } finally {
      ys.forEach((y) => tf.dispose(y));
      tf.dispose(run.made);
      if (!ok && carry !== init) tf.dispose(carry);
    }
  },

  jvp(primals, tangents, p) {
    const [consts, init, xs] = split(primals, p);
    const [tc, tk, tx] = split(tangents, p);
    const nC = consts.length;
    const nK = init.length;
    const cAt = indicesWhere(nC, (i) => tc[i] !== null);
    const kAt = indicesWhere(nK, (i) => isFloat(avalOf(init[i]!).dtype));
    const xAt = indicesWhere(xs.length, (i) => tx[i] !== null);
    const yOut = avalsOut(p.body).slice(nK);
    const yAt = indicesWhere(yOut.length, (i) => isFloat(yOut[i]!.dtype));
    const body = fnOf(p.body);
    const jvpBody: Flat = (...a) => {
      let o = 0;
      const take = (n: number) => a.slice(o, (o += n));
      const [c, dc, k, dk, x, dx] = [take(nC), take(cAt.length), take(nK), take(kAt.length), take(xs.length), take(xAt.length)];
      const [outs, touts] = jvpFlat(body, [...c, ...k, ...x], [...withZeros(c, cAt, dc), ...withZeros(k, kAt, dk), ...withZeros(x, xAt, dx)]);
      return [...outs.slice(0, nK), ...kAt.map((i) => touts[i]!), ...outs.slice(nK), ...yAt.map((i) => touts[nK + i]!)];
    };
    const r = scanFlat(
      jvpBody,
      [...consts, ...cAt.map((i) => tc[i]!)],
      [...init, ...kAt.map((i) => tk[i] ?? lax.zerosLike(init[i]!))],
      [...xs, ...xAt.map((i) => tx[i]!)],
      p.length,
      p.reverse,
    );
    const carry = r.slice(0, nK);
    const dCarry = r.slice(nK, nK + kAt.length);
    const ys = r.slice(nK + kAt.length, nK + kAt.length + yOut.length);
    const dYs = r.slice(nK + kAt.length + yOut.length);
    return [
      [...carry, ...ys],
      [...carry.map((_, i) => (kAt.includes(i) ? dCarry[kAt.indexOf(i)]! : null)), ...ys.map((_, i) => (yAt.includes(i) ? dYs[yAt.indexOf(i)]! : null))],
    ];
  },

  // Reverse mode: the body's VJP split by partial evaluation (scan-vjp.ts): the forward scan
  // stacks each step's residuals, the backward scan reads them and computes no step again.
  vjpForward(primals, p) {
    const [consts, init, xs] = split(primals, p);
    const s = scanVjp(p.body, p.numConsts, p.numCarry);
    const r = scanFlat(fnOf(s.forward), [...s.captured, ...consts], init, xs, p.length, p.reverse);
    const nOut = avalsOut(p.body).length;
    return [r.slice(0, nOut), r.slice(nOut)];
  },

  vjpBackward(cts, stacked, primals, p, needed) {
    const [consts, init, xs] = split(primals, p);
    const [nC, nK] = [consts.length, init.length];
    const s = scanVjp(p.body, nC, nK);
    const ctCarry = cts.slice(0, nK);
    const ctYs = cts.slice(nK);
    const { carry: kAt, consts: cFloat, xs: xFloat } = s.floatAt;
    const cAt = cFloat.filter((i) => needed[i]);
    const xAt = xFloat.filter((i) => needed[nC + nK + i]);
    // The backward body's results: the carries' cotangents, the consts' to accumulate, the xs'.
    const bwd = fnOf(backwardFor(s, [...kAt.map((_, j) => j), ...cAt.map((i) => kAt.length + cFloat.indexOf(i)), ...xAt.map((i) => kAt.length + cFloat.length + xFloat.indexOf(i))]));
    const xRead = [...new Set(s.residuals.flatMap((r) => ('x' in r ? [r.x] : [])))];
    const backBody: Flat = (...a) => {
      let o = 0;
      const take = (n: number) => a.slice(o, (o += n));
      const [c, dk, dcAcc, x, res, dy] = [take(s.captured.length + nC), take(kAt.length), take(cAt.length), take(xRead.length), take(stacked.length), take(ctYs.length)];
      const cin = bwd(...c, ...s.residuals.map((r) => ('x' in r ? x[xRead.indexOf(r.x)]! : res[r.stacked]!)), ...dk, ...dy);
      return [...cin.slice(0, kAt.length), ...cAt.map((_, j) => lax.add(dcAcc[j]!, cin[kAt.length + j]!)), ...cin.slice(kAt.length + cAt.length)];
    };
    const r = scanFlat(
      backBody,
      [...s.captured, ...consts],
      [...kAt.map((i) => ctCarry[i]!), ...cAt.map((i) => lax.zerosLike(consts[i]!))],
      [...xRead.map((i) => xs[i]!), ...stacked, ...ctYs],
      p.length,
      !p.reverse,
    );
    const pick = (at: readonly number[], offset: number, n: number) => Array.from({ length: n }, (_, i) => (at.includes(i) ? r[offset + at.indexOf(i)]! : null));
    return [...pick(cAt, kAt.length, nC), ...pick(kAt, 0, nK), ...pick(xAt, kAt.length + cAt.length, xs.length)];
  },

  batch(args, dims, p, n, name) {
    const [consts, init, xs] = split(args, p);
    const [dc, dk, dx] = split(dims, p);
    const cB = dc.map((d) => d !== null);
    const xB = dx.map((d) => d !== null);
    // A body with collectives over this axis (psum, axisIndex, ...) makes every carry and output batched.
    const ours = communicatesOver(p.body, name);
    const kB = ours ? dk.map(() => true) : batchedCarries(p.body, cB, dk.map((d) => d !== null), xB);
    const outB = ours ? p.body.outvars.map(() => true) : dependentOutputs(p.body, [...cB, ...kB, ...xB]);
    const yB = outB.slice(p.numCarry);
    const axes = (flags: boolean[]) => flags.map((b) => (b ? 0 : null));
    const body = fnOf(p.body);
    const batchedBody: Flat = (...a) => vmapFlat(body, a, [...axes(cB), ...axes(kB), ...axes(xB)], [...axes(kB), ...axes(yB)], n, undefined, name);
    const r = scanFlat(
      batchedBody,
      consts.map((c, i) => (cB[i] ? batchAt(c, dc[i]!) : c)),
      init.map((k, i) => (kB[i] ? materializeBatch(k, dk[i]!, n) : k)),
      // Each x keeps the scan axis first, its batch axis next (so a row is batched at 0).
      xs.map((x, i) => (xB[i] ? lax.moveAxis(x, dx[i]!, 1) : x)),
      p.length,
      p.reverse,
    );
    return [r, [...axes(kB), ...yB.map((b) => (b ? 1 : null))]];
  },

  axisNames: ({ body }) => axisNamesOf(body),
};

defineHigherOrder('scan', scan);
