/**
 * The while primitive: repeats its body jaxpr on the carry while its cond jaxpr gives
 * true. Forward mode and batching only: reverse mode would need the trip count before
 * the loop runs (as in JAX, use scan or foriLoop with static bounds for gradients).
 * Under vmap with a batched predicate the loop runs until every example is done, each
 * keeping its carry once its own predicate is false (as JAX does).
 */
import * as tf from '@tensorflow/tfjs-core';
import { avalStr, isFloat } from '../aval.js';
import { defineHigherOrder, type HigherOrderDef } from '../higher-order.js';
import type { Jaxpr } from '../jit/ir.js';
import { type ClosedOver, traceClosed } from '../jit/staging.js';
import { vmapFlat } from '../interpreters/batching.js';
import { jvpFlat } from '../interpreters/jvp.js';
import * as lax from '../lax.js';
import { activeBackend, canReadBack, withLoopConstants } from '../lower/index.js';
import { batchAt, materializeBatch } from '../prims/batching-util.js';
import { type NdArray, avalOf, bindHigherOrder, shapeOf } from '../trace.js';
import { type Flat, assertSameAvals, axisNamesOf, batchedCarries, avalsIn, avalsOut, communicatesOver, dependentOutputs, fnOf, forwarded, forwardedInputs, indicesWhere, runJaxpr, traceSettlingWeak, withInvariantHoisted, withZeros } from './jaxpr-fn.js';

export interface WhileParams {
  /** (condConsts..., carry...) -> bool scalar */
  readonly cond: Jaxpr;
  /** (bodyConsts..., carry...) -> carry... */
  readonly body: Jaxpr;
  readonly numCondConsts: number;
  readonly numBodyConsts: number;
}

/** Binds `while cond(condConsts..., carry...) { carry = body(bodyConsts..., carry...) }`; returns the final carry. */
export function whileFlat(cond: Flat, body: Flat, condConsts: NdArray[], bodyConsts: NdArray[], init: NdArray[], carryName: (i: number) => string = (i) => `carry ${i}`, weak: readonly boolean[] = []): NdArray[] {
  const traceBoth = (k: NdArray[]) => {
    const c = traceClosed(cond, [...condConsts.map(avalOf), ...k.map(avalOf)], 'lax.whileLoop', { body: true });
    const p = avalsOut(c.jaxpr);
    if (p.length !== 1 || p[0]!.dtype !== 'bool' || p[0]!.shape.length !== 0) throw new Error(`lax.whileLoop: condFn must return one bool scalar, got ${p.map(avalStr).join(', ') || 'nothing'}`);
    return [c, traceClosed(body, [...bodyConsts.map(avalOf), ...k.map(avalOf)], 'lax.whileLoop', { body: true })] as const;
  };
  // A weakly typed carry the body changes the dtype of is promoted, and both traced again (as JAX's while_loop).
  const [[c, b], settled] = traceSettlingWeak(init, weak, traceBoth, ([, body]) => avalsOut(body.jaxpr));
  init = settled;
  const kAvals = init.map(avalOf);
  assertSameAvals(avalsOut(b.jaxpr), kAvals, 'lax.whileLoop', carryName, 'the body output', 'init', 'the carry must keep its shape and dtype');
  if (init.length === 0) return [];
  const moved = readOnlyCarries(c, b, condConsts.length, bodyConsts.length);
  if (moved.some(Boolean)) return withReadOnlyConsts(moved, cond, body, condConsts, bodyConsts, init, carryName);
  const params: WhileParams = { cond: c.jaxpr, body: b.jaxpr, numCondConsts: c.captured.length + condConsts.length, numBodyConsts: b.captured.length + bodyConsts.length };
  return bindHigherOrder('while', [...c.captured, ...condConsts, ...b.captured, ...bodyConsts, ...init], params as unknown as Record<string, unknown>);
}

/**
 * The carries the body returns unchanged and the predicate does not read: JAX's while_loop makes
 * them body constants, so that under vmap with a batched predicate they stay unbatched.
 */
function readOnlyCarries(c: ClosedOver, b: ClosedOver, numCondConsts: number, numBodyConsts: number): boolean[] {
  const condAt = c.captured.length + numCondConsts;
  const fwd = forwardedInputs(b.jaxpr, b.captured.length + numBodyConsts);
  return fwd.map((p, i) => p === i && !dependentOutputs(c.jaxpr, c.jaxpr.invars.map((_, k) => k === condAt + i))[0]);
}

/** The loop over the carries not `moved`, the moved ones passed to the body as constants; all carries returned. */
function withReadOnlyConsts(moved: readonly boolean[], cond: Flat, body: Flat, condConsts: NdArray[], bodyConsts: NdArray[], init: NdArray[], carryName: (i: number) => string): NdArray[] {
  const kept = indicesWhere(init.length, (i) => !moved[i]);
  const fixed = init.filter((_, i) => moved[i]);
  /** The full carry from the kept carries and the constant ones. */
  const full = (k: readonly NdArray[], m: readonly NdArray[]) => {
    let [a, b] = [0, 0];
    return init.map((_, i) => (moved[i] ? m[b++]! : k[a++]!));
  };
  const [nC, nB, nM] = [condConsts.length, bodyConsts.length, fixed.length];
  const outs = whileFlat(
    (...a) => cond(...a.slice(0, nC), ...full(a.slice(nC + nM), a.slice(nC, nC + nM))),
    (...a) => {
      const r = body(...a.slice(0, nB), ...full(a.slice(nB + nM), a.slice(nB, nB + nM)));
      return kept.map((i) => r[i]!);
    },
    [...condConsts, ...fixed],
    [...bodyConsts, ...fixed],
    kept.map((i) => init[i]!),
    (i) => carryName(kept[i]!),
  );
  return full(outs, fixed.map(forwarded));
}

function split<T>(args: readonly T[], p: WhileParams): [T[], T[], T[]] {
  const n = p.numCondConsts + p.numBodyConsts;
  return [args.slice(0, p.numCondConsts), args.slice(p.numCondConsts, n), args.slice(n)];
}

const noReverse = () =>
  new Error('lax.whileLoop: reverse-mode differentiation (grad, vjp) is not supported, since the trip count is only known once the loop has run; use lax.scan, or lax.foriLoop with JS-number bounds, which differentiate in reverse');

const whileDef: HigherOrderDef<WhileParams> = {
  abstractEval(avals, p) {
    const want = [...avalsIn(p.cond).slice(0, p.numCondConsts), ...avalsIn(p.body)];
    if (avals.length !== want.length || avals.some((a, i) => avalStr(a) !== avalStr(want[i]!))) throw new Error(`while: operands ${avals.map(avalStr).join(',')} do not fit its cond and body`);
    return avalsOut(p.body);
  },

  impl(args, p) {
    if (!canReadBack()) throw new Error(`lax.whileLoop: the ${activeBackend()} backend cannot read the loop predicate back synchronously; use lax.scan or lax.foriLoop with JS-number bounds there`);
    const [cc, bc, init] = split(args, p);
    // Work on the constants alone runs once, before the loop.
    const cond = withInvariantHoisted(p.cond, cc);
    let carry = init;
    let ok = false;
    let body: ReturnType<typeof withInvariantHoisted> | null = null;
    try {
      const goOn = () => {
        const [pred] = runJaxpr(cond.body, [...cond.consts, ...carry]);
        const go = pred!.dataSync()[0];
        pred!.dispose();
        return go;
      };
      if (goOn()) {
        const run = (body = withInvariantHoisted(p.body, bc));
        withLoopConstants([...cond.consts, ...run.consts], () => {
          do {
            const next = runJaxpr(run.body, [...run.consts, ...carry]);
            if (carry !== init) tf.dispose(carry);
            carry = next;
          } while (goOn());
        });
      }
      ok = true;
      return carry === init ? carry.map((c) => tf.clone(c)) : carry;
    } finally {
      tf.dispose([...cond.made, ...(body?.made ?? [])]);
      if (!ok && carry !== init) tf.dispose(carry);
    }
  },

  jvp(primals, tangents, p) {
    const [cc, bc, init] = split(primals, p);
    const [, tb, tk] = split(tangents, p);
    const [nC, nB, nK] = [cc.length, bc.length, init.length];
    const bAt = indicesWhere(nB, (i) => tb[i] !== null);
    const kAt = indicesWhere(nK, (i) => isFloat(avalOf(init[i]!).dtype));
    const cond = fnOf(p.cond);
    const body = fnOf(p.body);
    const r = whileFlat(
      (...a) => cond(...a.slice(0, nC + nK)),
      (...a) => {
        let o = 0;
        const take = (n: number) => a.slice(o, (o += n));
        const [b, db, k, dk] = [take(nB), take(bAt.length), take(nK), take(kAt.length)];
        const [outs, touts] = jvpFlat(body, [...b, ...k], [...withZeros(b, bAt, db), ...withZeros(k, kAt, dk)]);
        return [...outs, ...kAt.map((i) => touts[i]!)];
      },
      cc,
      [...bc, ...bAt.map((i) => tb[i]!)],
      [...init, ...kAt.map((i) => tk[i] ?? lax.zerosLike(init[i]!))],
    );
    return [r.slice(0, nK), init.map((_, i) => (kAt.includes(i) ? r[nK + kAt.indexOf(i)]! : null))];
  },

  vjpForward() {
    throw noReverse();
  },
  vjpBackward() {
    throw noReverse();
  },

  batch(args, dims, p, n, name) {
    const [cc, bc, init] = split(args, p);
    const [dc, db, dk] = split(dims, p);
    const cB = dc.map((d) => d !== null);
    const bB = db.map((d) => d !== null);
    // Collectives over this axis in the body (or the predicate) make the carries (or the predicate) batched.
    let kB = communicatesOver(p.body, name) ? dk.map(() => true) : batchedCarries(p.body, bB, dk.map((d) => d !== null), []);
    const predBatched = communicatesOver(p.cond, name) || dependentOutputs(p.cond, [...cB, ...kB])[0]!;
    if (predBatched) kB = kB.map(() => true); // examples finish at different steps: each carry is per example
    const axes = (flags: boolean[]) => flags.map((b) => (b ? 0 : null));
    const cond = fnOf(p.cond);
    const body = fnOf(p.body);
    const condConsts = cc.map((c, i) => (cB[i] ? batchAt(c, dc[i]!) : c));
    const bodyConsts = bc.map((c, i) => (bB[i] ? batchAt(c, db[i]!) : c));
    const init2 = init.map((k, i) => (kB[i] ? materializeBatch(k, dk[i]!, n) : k));
    const nC = cc.length;
    const nB = bc.length;
    const predOf = (c: NdArray[], k: NdArray[]) => vmapFlat(cond, [...c, ...k], [...axes(cB), ...axes(kB)], [predBatched ? 0 : null], n, undefined, name)[0]!;
    const stepOf = (b: NdArray[], k: NdArray[]) => vmapFlat(body, [...b, ...k], [...axes(bB), ...axes(kB)], axes(kB), n, undefined, name);
    const r = predBatched
      ? whileFlat(
          (...a) => {
            // Go on while any example's predicate holds: a count, not a max, so that a size-0 batch stops at once.
            const pr = predOf(a.slice(0, nC), a.slice(nC));
            return [lax.gt(lax.reduceSum(lax.cast(pr, 'int32'), [0]), lax.scalar(0, 'int32'))];
          },
          (...a) => {
            const [c, b, k] = [a.slice(0, nC), a.slice(nC, nC + nB), a.slice(nC + nB)];
            const pr = predOf(c, k);
            return stepOf(b, k).map((v, i) => lax.select(lax.broadcastInDim(pr, shapeOf(v), [0]), v, k[i]!));
          },
          condConsts,
          [...condConsts, ...bodyConsts],
          init2,
        )
      : whileFlat(
          (...a) => [predOf(a.slice(0, nC), a.slice(nC))],
          (...a) => stepOf(a.slice(0, nB), a.slice(nB)),
          condConsts,
          bodyConsts,
          init2,
        );
    return [r, axes(kB)];
  },

  axisNames: ({ cond, body }) => [...new Set([...axisNamesOf(cond), ...axisNamesOf(body)])],
};

defineHigherOrder('while', whileDef);
