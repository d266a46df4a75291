/** vmap: tracers carry a batched value and the axis that is the batch (null: unbatched). */
import { higherOrder } from '../higher-order.js';
import type { HigherOrderPrim } from '../prim-types.js';
import * as lax from '../lax.js';
import { primitive } from '../primitive.js';
import type { BDim, Params, Prim } from '../prim-types.js';
import { type CustomVjpCall, type MainTrace, type NdArray, Trace, Tracer, avalOf, bind, bindCustomVjp, bindHigherOrder, withMain } from '../trace.js';

export class BatchTracer extends Tracer {
  constructor(
    readonly trace: BatchTrace,
    readonly val: NdArray,
    readonly bdim: BDim,
  ) {
    super();
  }
  get aval() {
    const a = avalOf(this.val);
    return this.bdim === null ? a : { shape: a.shape.filter((_, i) => i !== this.bdim), dtype: a.dtype };
  }
}

export class BatchTrace extends Trace {
  get axisSize(): number {
    return this.main.global as number;
  }
  get axisName(): string | null {
    return this.main.axisName;
  }
  lift(x: NdArray): Tracer {
    return new BatchTracer(this, x, null);
  }
  processPrimitive(prim: Prim, tracers: Tracer[], params: Params): Tracer {
    const ts = tracers as BatchTracer[];
    const vals = ts.map((t) => t.val);
    const dims = ts.map((t) => t.bdim);
    const def = primitive(prim);
    // A collective over this axis acts on unbatched values too (psum of a constant: n times it).
    const ours = this.axisName !== null && (def.axisNames?.(params).includes(this.axisName) ?? false);
    if (!ours && dims.every((d) => d === null)) return new BatchTracer(this, bind(prim, vals, params), null);
    const [out, d] = def.batch(vals, dims, params, this.axisSize, this.axisName);
    return new BatchTracer(this, out, d);
  }
  processHigherOrder(prim: HigherOrderPrim, tracers: Tracer[], params: Params): Tracer[] {
    const ts = tracers as BatchTracer[];
    const vals = ts.map((t) => t.val);
    const dims = ts.map((t) => t.bdim);
    const def = higherOrder(prim);
    // As for first-order collectives: a body communicating over this axis is batched even on unbatched inputs.
    const ours = this.axisName !== null && (def.axisNames?.(params).includes(this.axisName) ?? false);
    if (!ours && dims.every((d) => d === null)) return bindHigherOrder(prim, vals, params).map((o) => new BatchTracer(this, o, null));
    const [outs, ds] = def.batch(vals, dims, params, this.axisSize, this.axisName);
    return outs.map((o, i) => new BatchTracer(this, o, ds[i]));
  }
  processCustomVjp(call: CustomVjpCall, tracers: Tracer[]): Tracer[] {
    const ts = tracers as BatchTracer[];
    const n = this.axisSize;
    const name = this.axisName;
    const vals = ts.map((t) => (t.bdim === null ? t.val : lax.moveAxis(t.val, t.bdim, 0)));
    const axes = ts.map((t) => (t.bdim === null ? null : 0));
    // The user's rules, each vmapped: the custom backward survives under vmap.
    const vcall: CustomVjpCall = {
      fun: (...xs) => vmapFlat(call.fun, xs, axes, 0, n, undefined, name),
      fwd: (...xs) => {
        let nOut = 0;
        const flat = vmapFlat((...ys: NdArray[]) => {
          const [o, r] = call.fwd(...ys);
          nOut = o.length;
          return [...o, ...r];
        }, xs, axes, 0, n, undefined, name);
        return [flat.slice(0, nOut), flat.slice(nOut)];
      },
      // Each example's cotangent of an unbatched input is summed over the batch: every example used that one value.
      bwd: (res, cts) =>
        vmapFlat((...ys: NdArray[]) => call.bwd(ys.slice(0, res.length), ys.slice(res.length)), [...res, ...cts], [...res, ...cts].map(() => 0), 0, n, undefined, name).map((g, i) =>
          axes[i] === null ? lax.reduceSum(g, [0]) : g,
        ),
      ...(call.jvp
        ? {
            jvp: (xs: NdArray[], tans: NdArray[]): [NdArray[], NdArray[]] => {
              let nOut = 0;
              const flat = vmapFlat((...ys: NdArray[]) => {
                const [o, t] = call.jvp!(ys.slice(0, xs.length), ys.slice(xs.length));
                nOut = o.length;
                return [...o, ...t];
              }, [...xs, ...tans], [...axes, ...axes], 0, n, undefined, name);
              return [flat.slice(0, nOut), flat.slice(nOut)];
            },
          }
        : {}),
    };
    const outs = bindCustomVjp(vcall, vals);
    return outs.map((o) => new BatchTracer(this, o, 0));
  }
}

/**
 * Runs f on batch tracers with the given batch axes; outputs have their batch axis moved
 * to outAxes (given, or computed once f has run). `axisName` names the mapped axis for
 * collectives (see axes.ts).
 */
export function vmapFlat(
  f: (...xs: NdArray[]) => NdArray[],
  args: NdArray[],
  inAxes: BDim[],
  outAxes: BDim[] | number | ((batched: readonly boolean[]) => BDim[]),
  axisSize: number,
  nameOut: (i: number) => string = (i) => `output ${i}`,
  axisName: string | null = null,
): NdArray[] {
  return withMain('vmap', (m: MainTrace) => new BatchTrace(m), axisSize, (main) => {
    const trace = main.current as BatchTrace;
    const outs = f(...args.map((a, i) => (inAxes[i] === null ? a : new BatchTracer(trace, a, inAxes[i]))));
    // A function of which outputs are batched (vary along the axis) chooses their axes once f has run.
    const axes = typeof outAxes === 'function' ? outAxes(outs.map((o) => o instanceof BatchTracer && o.trace.main === main && o.bdim !== null)) : outAxes;
    return outs.map((o, i) => {
      const [v, d] = o instanceof BatchTracer && o.trace.main === main ? [o.val, o.bdim] : [o, null];
      const given = typeof axes === 'number' ? axes : axes[i];
      if (given === null) {
        if (d !== null) throw new Error(`vmap: ${nameOut(i)} is batched, but outAxes says it is not (null)`);
        return v;
      }
      // The batched output has one more axis than f's: outAxes may count from its end.
      const rank = avalOf(v).shape.length + (d === null ? 1 : 0);
      const want = given < 0 ? given + rank : given;
      if (!Number.isInteger(want) || want < 0 || want >= rank) throw new Error(`vmap: outAxes ${given} for ${nameOut(i)} is out of range for its batched rank ${rank}`);
      return lax.moveAxis(d === null ? lax.broadcastTo(lax.expandDims(v, 0), [axisSize, ...avalOf(v).shape]) : v, d ?? 0, want);
    });
  }, axisName);
}
