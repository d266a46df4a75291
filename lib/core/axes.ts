/**
 * Named axes, after JAX: collectives (psum, allGather, axisIndex, ...) name the axis
 * they communicate over, and the innermost binding of that name decides what they mean:
 *
 * - `vmap(f, { axisName })` binds it to its batching interpreter: a collective reduces or
 *   gathers over the mapped axis (so one process runs a "distributed" program exactly);
 * - a device axis ({@link withDeviceAxis}, what `pmap`'s workers set) binds it to a
 *   transport: the collective's kernel exchanges data with the other workers.
 *
 * The resolver installed here makes `bind` hand a collective to the interpreter that binds
 * its axis even when none of its arguments is a tracer of it (`psum(1, 'i')`,
 * `axisIndex('i')`); under a device axis, or a vmap axis with a jit trace above it, to the
 * innermost jit trace, so that collectives are staged into the program (run on every replay,
 * or mapped by the jit call's batching rule).
 */
import { higherOrder, isHigherOrder } from './higher-order.js';
import type { HigherOrderPrim, Params, Prim } from './prim-types.js';
import { primitive } from './primitive.js';
import { type MainTrace, activeMains, installAxisResolver } from './trace.js';

/** One worker's end of a device axis: its position and the exchanges with the others. */
export interface DeviceAxis {
  readonly name: string;
  readonly size: number;
  readonly index: number;
  /** Every worker's `x` reduced elementwise, in the same order on every worker (bitwise equal results). */
  allReduce(x: Float32Array, op: 'sum' | 'max'): Float32Array;
  /** Every worker's `x` concatenated in index order (all of the same length). */
  allGather(x: Float32Array): Float32Array;
}

const deviceAxes: DeviceAxis[] = [];

/** Runs fn with `axis` bound (pmap's workers do this around each call). */
export function withDeviceAxis<R>(axis: DeviceAxis, fn: () => R): R {
  deviceAxes.push(axis);
  try {
    return fn();
  } finally {
    deviceAxes.pop();
  }
}

/** The device axis bound to `name`; throws the unbound-axis error naming the collective. */
export function deviceAxis(name: string, who: string): DeviceAxis {
  for (let i = deviceAxes.length - 1; i >= 0; i--) if (deviceAxes[i].name === name) return deviceAxes[i];
  throw unbound(name, who);
}

function unbound(name: string, who: string): Error {
  return new Error(`${who}: axis name '${name}' is not bound: call it inside vmap(f, { axisName: '${name}' }) or pmap(..., { axisName: '${name}' })`);
}

export type AxisBinding = { readonly main: MainTrace; readonly size: number } | { readonly device: DeviceAxis; readonly size: number };

/** The innermost binding of `name`; throws a one-line error naming the axis and the collective `who`. */
export function lookupAxis(name: string, who: string): AxisBinding {
  if (typeof name !== 'string' || name === '') throw new Error(`${who}: the axis name must be a non-empty string, got ${JSON.stringify(name)}`);
  const mains = activeMains();
  for (let i = mains.length - 1; i >= 0; i--) if (mains[i].axisName === name) return { main: mains[i], size: mains[i].global as number };
  const device = deviceAxis(name, who);
  return { device, size: device.size };
}

/** The number of members of the named axis (its vmapped size or its number of workers). */
export function axisSize(name: string, who = 'axisSize'): number {
  return lookupAxis(name, who).size;
}

/**
 * The innermost jit trace above `main`, else `main`: a function jitted inside vmap stages its
 * collectives into its IR (the call's batching rule then maps them over the axis).
 */
function stagedAbove(main: MainTrace): MainTrace {
  const mains = activeMains();
  for (let i = mains.length - 1; i > main.level; i--) if (mains[i].kind === 'jit') return mains[i];
  return main;
}

function innermostStaging(): MainTrace | null {
  const mains = activeMains();
  for (let i = mains.length - 1; i >= 0; i--) if (mains[i].kind === 'jit') return mains[i];
  return null;
}

installAxisResolver((prim: Prim | HigherOrderPrim, params: Params): MainTrace | null => {
  const names = isHigherOrder(prim) ? higherOrder(prim).axisNames?.(params) : primitive(prim).axisNames?.(params);
  if (!names) return null;
  let top: MainTrace | null = null;
  for (const n of names) {
    const b = lookupAxis(n, prim);
    const m = 'main' in b ? stagedAbove(b.main) : innermostStaging();
    if (m && (!top || m.level > top.level)) top = m;
  }
  return top;
});
