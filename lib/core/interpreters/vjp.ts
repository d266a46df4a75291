/**
 * Reverse mode as an interpreter: tracers record the primitive applications that
 * depend on the inputs (a tape), and the backward pass runs each primitive's VJP rule,
 * written in our own primitives, in reverse. Because the rules bind like any user code,
 * the backward pass is itself traced by whatever interpreters lie below (grad of grad,
 * vmap of grad, jit of grad).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { isFloat } from '../aval.js';
import { higherOrder } from '../higher-order.js';
import type { HigherOrderPrim } from '../prim-types.js';
import * as lax from '../lax.js';
import { primitive } from '../primitive.js';
import type { Params, Prim } from '../prim-types.js';
import { type CustomVjpCall, type MainTrace, type NdArray, Trace, Tracer, avalOf, bind, bindHigherOrder, concreteOf, withMain } from '../trace.js';

interface Node {
  readonly id: number;
  readonly inputs: readonly (VJPTracer | null)[];
  readonly outputs: readonly VJPTracer[];
  /** Cotangents of the inputs from those of the outputs (null: zero). */
  readonly backward: (cts: (NdArray | null)[]) => (NdArray | null)[];
}

export class VJPTracer extends Tracer {
  node: Node | null = null;
  constructor(
    readonly trace: VJPTrace,
    readonly primal: NdArray,
    /** Whether the value depends on a differentiated input. */
    readonly live: boolean,
  ) {
    super();
  }
  get aval() {
    return avalOf(this.primal);
  }
  override concrete(): tf.Tensor | null {
    return concreteOf(this.primal);
  }
}

interface Tape {
  nextId: number;
}

export class VJPTrace extends Trace {
  private get tape(): Tape {
    return this.main.global as Tape;
  }
  lift(x: NdArray): Tracer {
    return new VJPTracer(this, x, false);
  }
  private record(inputs: VJPTracer[], outs: NdArray[], backward: Node['backward']): VJPTracer[] {
    const live = inputs.some((t) => t.live);
    const tracers = outs.map((o) => new VJPTracer(this, o, live && isFloat(avalOf(o).dtype)));
    if (live && tracers.some((t) => t.live)) {
      const node: Node = { id: this.tape.nextId++, inputs: inputs.map((t) => (t.live ? t : null)), outputs: tracers, backward };
      tracers.forEach((t) => (t.node = node));
    }
    return tracers;
  }
  processPrimitive(prim: Prim, tracers: Tracer[], params: Params): Tracer {
    const ts = tracers as VJPTracer[];
    const primals = ts.map((t) => t.primal);
    const out = bind(prim, primals, params);
    const def = primitive(prim);
    if (def.nonDifferentiable) return new VJPTracer(this, out, false);
    const needed = ts.map((t) => t.live);
    return this.record(ts, [out], ([ct]) => def.vjp(ct!, primals, out, params, needed))[0];
  }
  processHigherOrder(prim: HigherOrderPrim, tracers: Tracer[], params: Params): Tracer[] {
    const ts = tracers as VJPTracer[];
    const primals = ts.map((t) => t.primal);
    const needed = ts.map((t) => t.live);
    if (!needed.some(Boolean)) return bindHigherOrder(prim, primals, params).map((o) => new VJPTracer(this, o, false));
    const def = higherOrder(prim);
    const [outs, residuals] = def.vjpForward(primals, params, needed);
    return this.record(ts, outs, (cts) => def.vjpBackward(cts.map((c, i) => c ?? lax.zerosLike(outs[i])), residuals, primals, params, needed));
  }
  processCustomVjp(call: CustomVjpCall, tracers: Tracer[]): Tracer[] {
    const ts = tracers as VJPTracer[];
    const [outs, residuals] = call.fwd(...ts.map((t) => t.primal));
    return this.record(ts, outs, (cts) => call.bwd(residuals, cts.map((c, i) => c ?? lax.zerosLike(outs[i]))));
  }
}

/** Runs the backward pass from the given output cotangents (missing ones: zero); returns the inputs' cotangents. */
function backward(outs: (VJPTracer | null)[], cts: NdArray[], inputs: VJPTracer[]): NdArray[] {
  const acc = new Map<VJPTracer, NdArray>();
  const add = (t: VJPTracer, v: NdArray) => {
    const prev = acc.get(t);
    acc.set(t, prev === undefined ? v : lax.add(prev, v));
  };
  const nodes = new Map<number, Node>();
  const stack: Node[] = [];
  const visit = (t: VJPTracer | null) => {
    if (t?.node && !nodes.has(t.node.id)) {
      nodes.set(t.node.id, t.node);
      stack.push(t.node);
    }
  };
  outs.forEach((o, i) => {
    if (o?.live && cts[i] !== undefined) {
      add(o, cts[i]);
      visit(o);
    }
  });
  while (stack.length) for (const t of stack.pop()!.inputs) visit(t);
  const order = [...nodes.values()].sort((a, b) => b.id - a.id);
  for (const node of order) {
    const outCts = node.outputs.map((t) => acc.get(t) ?? null);
    node.outputs.forEach((t) => acc.delete(t));
    if (outCts.every((c) => c === null)) continue;
    const inCts = node.backward(outCts);
    node.inputs.forEach((t, i) => {
      const c = inCts[i];
      if (t && c) add(t, c);
    });
  }
  return inputs.map((t) => acc.get(t) ?? lax.zerosLike(t.primal));
}

/**
 * Runs f forward on tape tracers and returns its outputs with a function from output
 * cotangents to input cotangents.
 */
export function vjpFlat(
  f: (...xs: NdArray[]) => NdArray[],
  primals: NdArray[],
): [NdArray[], (cts: NdArray[]) => NdArray[]] {
  let ours: (VJPTracer | null)[] = [];
  let inputs: VJPTracer[] = [];
  const outs = withMain('vjp', (m: MainTrace) => new VJPTrace(m), { nextId: 0 } as Tape, (m) => {
    const trace = m.current as VJPTrace;
    inputs = primals.map((p) => new VJPTracer(trace, p, isFloat(avalOf(p).dtype)));
    const traced = f(...inputs);
    ours = traced.map((o) => (o instanceof VJPTracer && o.trace.main === m ? o : null));
    return traced.map((o, i) => ours[i]?.primal ?? o);
  });
  return [outs, (cts: NdArray[]) => backward(ours, cts, inputs)];
}
