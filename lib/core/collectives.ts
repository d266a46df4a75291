/**
 * Collectives over named axes, as JAX's `lax.psum`, `pmean`, `pmax`, `pmin`,
 * `all_gather`, `axis_index`, `ppermute` and `psum_scatter`. A program written once with an axis name runs
 * - under `vmap(f, { axisName })`: the collectives reduce or gather over the mapped axis;
 * - under `pmap(...)` (lib/parallel): over the workers, through shared memory.
 * Outside any binding of the name they throw, naming the axis and the collective.
 * @example
 * // Each example divided by the batch total:
 * vmap((x) => np.div(x, psum(x, 'batch')), { axisName: 'batch' })(np.array([1, 2, 3, 4]));
 */
import * as tree from '../tree/index.js';
import { axisSize, lookupAxis } from './axes.js';
import { avalStr, normAxis } from './aval.js';
import * as lax from './lax.js';
import { type NdArray, avalOf, bind, shapeOf } from './trace.js';

/** One axis name, or several (the reduction runs over all of them). */
export type AxisNames = string | readonly string[];

function names(axisName: AxisNames, who: string): string[] {
  const list = typeof axisName === 'string' ? [axisName] : [...axisName];
  if (list.length === 0) throw new Error(`${who}: no axis name given`);
  for (const n of list) lookupAxis(n, who);
  return list;
}

/** Applies a collective to each leaf of x (an array, a number, or a pytree of them: JAX's collectives take pytrees). */
function perLeaf(x: unknown, f: (v: NdArray) => NdArray): any {
  return tree.map((l: NdArray | number) => f(typeof l === 'number' ? lax.scalar(l) : l), x);
}

function reduceOver(op: 'psum' | 'pmax' | 'pmin', x: unknown, axisName: AxisNames): any {
  const list = names(axisName, op);
  return perLeaf(x, (v) => bind(op, [v], { axisName: list }));
}

/** The sum of x (an array or a pytree of them) over every member of the named axis (or axes), on every member. */
export function psum(x: NdArray | number, axisName: AxisNames): NdArray;
export function psum<T>(x: T, axisName: AxisNames): T;
export function psum(x: unknown, axisName: AxisNames): unknown {
  return reduceOver('psum', x, axisName);
}
/** The elementwise maximum of x (an array or a pytree of them) over the members of the named axis. */
export function pmax(x: NdArray | number, axisName: AxisNames): NdArray;
export function pmax<T>(x: T, axisName: AxisNames): T;
export function pmax(x: unknown, axisName: AxisNames): unknown {
  return reduceOver('pmax', x, axisName);
}
/** The elementwise minimum of x (an array or a pytree of them) over the members of the named axis. */
export function pmin(x: NdArray | number, axisName: AxisNames): NdArray;
export function pmin<T>(x: T, axisName: AxisNames): T;
export function pmin(x: unknown, axisName: AxisNames): unknown {
  return reduceOver('pmin', x, axisName);
}

/** The mean of a float32 x (an array or a pytree of them) over the members of the named axis (or axes). */
export function pmean(x: NdArray | number, axisName: AxisNames): NdArray;
export function pmean<T>(x: T, axisName: AxisNames): T;
export function pmean(x: unknown, axisName: AxisNames): unknown {
  const list = names(axisName, 'pmean');
  const n = list.reduce((p, name) => p * axisSize(name, 'pmean'), 1);
  return perLeaf(x, (v) => {
    if (avalOf(v).dtype !== 'float32') throw new Error(`pmean: expected a float32 array, got ${avalStr(avalOf(v))}`);
    return lax.div(bind('psum', [v], { axisName: list }), lax.scalarLike(n, v));
  });
}

export interface AllGatherOptions {
  /** Where the members' axis goes in the result (default 0). */
  readonly axis?: number;
  /** Concatenate along `axis` instead of stacking on a new one (default false). */
  readonly tiled?: boolean;
}

/**
 * Every member's x, in index order: stacked on a new axis `axis` (shape with the axis
 * size inserted), or with `tiled` concatenated along `axis`.
 * @example vmap((x) => allGather(x, 'i'), { axisName: 'i' })(xs) // each member sees all of xs
 */
export function allGather(x: NdArray, axisName: string, opts: AllGatherOptions = {}): NdArray {
  const { size } = lookupAxis(axisName, 'allGather');
  const tiled = opts.tiled ?? false;
  const r = shapeOf(x).length;
  const axis = normAxis(opts.axis ?? 0, tiled ? r : r + 1, 'allGather');
  return bind('all_gather', [x], { axisName, axisSize: size, axis, tiled });
}

/** This member's position along the named axis: an int32 scalar in [0, axisSize). */
export function axisIndex(axisName: string): NdArray {
  lookupAxis(axisName, 'axisIndex');
  return bind('axis_index', [], { axisName });
}

/**
 * Sends each member's x to another member: `perm` lists [source, destination] index pairs
 * (each member at most once as a source and once as a destination); a member that is no
 * destination receives zeros (JAX's ppermute).
 * @example // a ring shift: member i receives member i-1's x
 * ppermute(x, 'i', Array.from({ length: n }, (_, k) => [k, (k + 1) % n]))
 */
export function ppermute(x: NdArray, axisName: string, perm: readonly (readonly [number, number])[]): NdArray {
  const { size } = lookupAxis(axisName, 'ppermute');
  const sources = new Set<number>();
  const destinations = new Set<number>();
  for (const pair of perm) {
    const [from, to] = pair;
    if (pair.length !== 2 || ![from, to].every((k) => Number.isInteger(k) && k >= 0 && k < size))
      throw new Error(`ppermute: each pair must be [source, destination] with indices in [0, ${size}) (the size of axis '${axisName}'), got ${JSON.stringify(pair)}`);
    if (sources.has(from) || destinations.has(to)) throw new Error(`ppermute: member ${sources.has(from) ? `${from} is a source` : `${to} is a destination`} twice in ${JSON.stringify(perm)}`);
    sources.add(from);
    destinations.add(to);
  }
  return bind('ppermute', [x], { axisName, perm: perm.map(([from, to]) => [from, to] as [number, number]) });
}

export interface PsumScatterOptions {
  /** The dimension split between the members (default 0). */
  readonly scatterDimension?: number;
  /** Keep the dimension, each member with its block of size/axisSize (default false: it must equal the axis size and is removed). */
  readonly tiled?: boolean;
}

/**
 * The sum of x over the members, each member keeping its own slice of `scatterDimension`
 * (JAX's psum_scatter, a reduce-scatter): the transpose of {@link allGather}.
 * @example vmap((x) => psumScatter(x, 'i'), { axisName: 'i' })(xs) // xs [n, n, ...]: row i is the sum's slice i
 */
export function psumScatter(x: NdArray, axisName: string, opts: PsumScatterOptions = {}): NdArray {
  const { size } = lookupAxis(axisName, 'psumScatter');
  const s = shapeOf(x);
  const scatterDimension = normAxis(opts.scatterDimension ?? 0, s.length, 'psumScatter');
  const tiled = opts.tiled ?? false;
  const d = s[scatterDimension];
  if (tiled ? d % size !== 0 : d !== size)
    throw new Error(`psumScatter: dimension ${scatterDimension} of ${avalStr(avalOf(x))} must ${tiled ? 'be a multiple of' : 'equal'} the size ${size} of axis '${axisName}'`);
  return bind('psum_scatter', [x], { axisName, axisSize: size, scatterDimension, tiled });
}

export { axisSize };
