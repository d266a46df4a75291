/**
 * The cond primitive (JAX's switch form): an int32 index picks which branch jaxpr runs
 * on the operands. Under vmap with a batched index every branch runs and a select picks
 * each example's result, as in JAX.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, avalStr, isFloat } from '../aval.js';
import { defineHigherOrder, type HigherOrderDef } from '../higher-order.js';
import { type Jaxpr, isEffectful } from '../jit/ir.js';
import { traceClosed } from '../jit/staging.js';
import { vmapFlat } from '../interpreters/batching.js';
import { jvpFlat } from '../interpreters/jvp.js';
import { vjpFlat } from '../interpreters/vjp.js';
import * as lax from '../lax.js';
import { canReadBack } from '../lower/index.js';
import { batchAt } from '../prims/batching-util.js';
import { type NdArray, avalOf, bindHigherOrder, shapeOf } from '../trace.js';
import { type Flat, assertSameAvals, avalsIn, avalsOut, axisNamesOf, communicatesOver, dependentOutputs, fnOf, forwarded, forwardedInputs, indicesWhere, runJaxpr, withZeros } from './jaxpr-fn.js';

export interface CondParams {
  /** Each maps the operands to the results; all take and give the same avals. */
  readonly branches: readonly Jaxpr[];
}

/**
 * Binds a cond choosing `branches[index]` (clamped into range) applied to `ops`.
 * What each branch closes over is added to the operands of all. `retype`, given every branch's
 * output avals, may change what the branches give (weakly typed outputs joined): when it
 * returns true they are traced again. `outputName` names an output in errors.
 */
export function condFlat(
  index: NdArray,
  branches: readonly Flat[],
  ops: NdArray[],
  what = 'lax.cond',
  branchName: (k: number) => string = (k) => `branch ${k}`,
  retype?: (outs: readonly Aval[][]) => boolean,
  outputName: (i: number) => string = (i) => `output ${i}`,
): NdArray[] {
  const opAvals = ops.map(avalOf);
  const traceAll = () => branches.map((b) => traceClosed(b, opAvals, what, { body: true }));
  let traced = traceAll();
  if (retype?.(traced.map((t) => avalsOut(t.jaxpr)))) traced = traceAll();
  const outs0 = avalsOut(traced[0]!.jaxpr);
  traced.forEach((t, k) => assertSameAvals(avalsOut(t.jaxpr), outs0, what, outputName, branchName(k), branchName(0), 'all branches must give the same shapes and dtypes'));
  // An output every branch returns as the same operand is that operand, outside the cond (JAX's
  // forwarding: under vmap it stays unbatched when the operand is, whatever the predicate).
  const fwds = traced.map((t) => forwardedInputs(t.jaxpr, t.captured.length));
  const fwd = fwds[0]!.map((p, i) => (p !== null && fwds.every((f) => f[i] === p) ? p : null));
  // A branch with an effect (debug.print) is kept: then one forwarded output is computed inside.
  const effects = traced.some((t) => t.jaxpr.eqns.some(isEffectful));
  if (effects && fwd.length > 0 && !fwd.includes(null)) fwd[0] = null;
  const keep = indicesWhere(fwd.length, (i) => fwd[i] === null);
  if (keep.length === 0) return fwd.map((p) => forwarded(ops[p!]!));
  // Every branch takes every operand, and each value any branch captured once (branches that
  // close over the same array share it).
  const captured = [...new Set(traced.flatMap((t) => t.captured))];
  const allAvals = [...opAvals, ...captured.map(avalOf)];
  const jaxprs = traced.map((t) => {
    const at = t.captured.map((c) => ops.length + captured.indexOf(c));
    const closed = traceClosed(
      (...a) => {
        const r = fnOf(t.jaxpr)(...at.map((i) => a[i]!), ...a.slice(0, ops.length));
        return keep.map((i) => r[i]!);
      },
      allAvals,
      what,
      { body: true },
    );
    if (closed.captured.length) throw new Error('internal: re-tracing a branch captured new values');
    return closed.jaxpr;
  });
  const r = bindHigherOrder('cond', [index, ...ops, ...captured], { branches: jaxprs });
  let k = 0;
  return fwd.map((p) => (p === null ? r[k++]! : forwarded(ops[p]!)));
}

const clampIndex = (i: number, n: number) => Math.min(n - 1, Math.max(0, i));

const cond: HigherOrderDef<CondParams> = {
  abstractEval([index, ...ops], { branches }) {
    if (index!.dtype !== 'int32' || index!.shape.length !== 0) throw new Error(`cond: the index must be an int32 scalar, got ${avalStr(index!)}`);
    const want = avalsIn(branches[0]!);
    const got: Aval[] = ops;
    if (got.length !== want.length || got.some((a, i) => avalStr(a) !== avalStr(want[i]!))) throw new Error(`cond: operands ${got.map(avalStr).join(',')} do not fit the branches' inputs ${want.map(avalStr).join(',')}`);
    return avalsOut(branches[0]!);
  },

  impl([index, ...ops], { branches }) {
    if (branches.length === 1) return runJaxpr(branches[0]!, ops);
    if (canReadBack()) return runJaxpr(branches[clampIndex(index!.dataSync()[0]!, branches.length)]!, ops);
    // No synchronous read-back (webgpu): run every branch and select on the device.
    const results = branches.map((b) => runJaxpr(b, ops));
    try {
      return tf.tidy(() => {
        const k = tf.clipByValue(index!, 0, branches.length - 1);
        return results[0]!.map((first, i) => results.slice(1).reduce((acc, r, j) => tf.where(tf.equal(k, j + 1), r[i]!, acc), first));
      });
    } finally {
      results.forEach((r) => tf.dispose(r));
    }
  },

  jvp([index, ...ops], [, ...tangents], { branches }) {
    const tAt = indicesWhere(ops.length, (i) => tangents[i] !== null);
    const outs = avalsOut(branches[0]!);
    const fAt = indicesWhere(outs.length, (i) => isFloat(outs[i]!.dtype));
    const n = ops.length;
    const r = condFlat(
      index!,
      branches.map((b) => (...a: NdArray[]) => {
        const [o, t] = jvpFlat(fnOf(b), a.slice(0, n), withZeros(a.slice(0, n), tAt, a.slice(n)));
        return [...o, ...fAt.map((i) => t[i]!)];
      }),
      [...ops, ...tAt.map((i) => tangents[i]!)],
    );
    return [r.slice(0, outs.length), outs.map((_, i) => (fAt.includes(i) ? r[outs.length + fAt.indexOf(i)]! : null))];
  },

  // The backward pass re-runs the chosen branch under vjp (nothing is saved).
  vjpForward(primals, params) {
    return [bindHigherOrder('cond', primals, params as unknown as Record<string, unknown>), []];
  },

  vjpBackward(cts, _res, [index, ...ops], { branches }, needed) {
    const want = indicesWhere(ops.length, (i) => needed[i + 1]! && isFloat(avalOf(ops[i]!).dtype));
    const n = ops.length;
    const r = want.length
      ? condFlat(
          index!,
          branches.map((b) => (...a: NdArray[]) => {
            const [, pullback] = vjpFlat(fnOf(b), a.slice(0, n));
            const cin = pullback(a.slice(n));
            return want.map((i) => cin[i]!);
          }),
          [...ops, ...cts],
        )
      : [];
    return [null, ...ops.map((_, i) => (want.includes(i) ? r[want.indexOf(i)]! : null))];
  },

  batch([index, ...ops], [dIndex, ...dims], { branches }, n, name) {
    const inAxes = dims.map((d) => (d === null ? null : 0));
    const moved = ops.map((x, i) => (dims[i] === null ? x : batchAt(x, dims[i]!)));
    if (dIndex === null) {
      // A branch with collectives over this axis makes every result batched.
      const ours = branches.some((b) => communicatesOver(b, name));
      const outB = branches.map((b) => dependentOutputs(b, [...dims.map((d) => d !== null)])).reduce((a, b) => a.map((x, i) => ours || x || b[i]!));
      const outAxes = outB.map((b) => (b ? 0 : null));
      const r = condFlat(index!, branches.map((b) => (...a: NdArray[]) => vmapFlat(fnOf(b), a, inAxes, outAxes, n, undefined, name)), moved);
      return [r, outAxes];
    }
    // A batched index: every branch runs on the whole batch and a select picks per example.
    const idx = lax.max(lax.min(batchAt(index!, dIndex), lax.scalar(branches.length - 1, 'int32', 1)), lax.scalar(0, 'int32', 1));
    const results = branches.map((b) => vmapFlat(fnOf(b), moved, inAxes, 0, n, undefined, name));
    const picked = results[0]!.map((first, i) =>
      results.slice(1).reduce((acc, rk, k) => {
        const s = shapeOf(rk[i]!);
        const mask = lax.broadcastInDim(lax.eq(idx, lax.scalar(k + 1, 'int32', 1)), s, [0]);
        return lax.select(mask, rk[i]!, acc);
      }, first),
    );
    return [picked, picked.map(() => 0)];
  },

  axisNames: ({ branches }) => [...new Set(branches.flatMap(axisNamesOf))],
};

defineHigherOrder('cond', cond);
