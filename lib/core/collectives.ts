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
import { weakScalar } from './args.js';
import { lookupAxis } from './axes.js';
import { avalStr, normAxis } from './aval.js';
import * as lax from './lax.js';
import { placeMembers } from './prims/collectives.js';
import { type NdArray, avalOf, bind, shapeOf } from './trace.js';

/** One axis name, or several (the reduction runs over all of them). */
export type AxisNames = string | readonly string[];

function names(axisName: AxisNames, who: string): string[] {
  if (typeof axisName !== 'string' && !Array.isArray(axisName)) throw new Error(`${who}: the axis name must be a string or a list of them, got ${axisName === undefined ? 'none' : typeof axisName} (as ${who}(x, 'batch') under vmap(f, { axisName: 'batch' }))`);
  const list = typeof axisName === 'string' ? [axisName] : [...axisName];
  if (list.length === 0) throw new Error(`${who}: no axis name given`);
  for (const n of list) lookupAxis(n, who);
  return list;
}

/**
 * Applies a collective to each leaf of x (an array, a number, or a pytree of them: JAX's
 * collectives take pytrees); a JS number is JAX's Python scalar (an integral one an int32).
 */
function perLeaf(x: unknown, f: (v: NdArray) => NdArray): any {
  return tree.map((l: NdArray | number) => f(typeof l === 'number' ? weakScalar(l) : l), x);
}

/** JAX's psum converts bool inputs to int32 before the reduction (the sum counts the trues). */
const summable = (v: NdArray): NdArray => (avalOf(v).dtype === 'bool' ? lax.cast(v, 'int32') : v);

function reduceOver(op: 'psum' | 'pmax' | 'pmin', x: unknown, axisName: AxisNames): any {
  const list = names(axisName, op);
  return perLeaf(x, (v) => bind(op, [op === 'psum' ? summable(v) : v], { axisName: list }));
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

/**
 * The mean of x (an array or a pytree of them) over the members of the named axis (or axes).
 * As JAX's `psum(x) / n`, the mean of int32 or bool values is float32.
 */
export function pmean(x: NdArray | number, axisName: AxisNames): NdArray;
export function pmean<T>(x: T, axisName: AxisNames): T;
export function pmean(x: unknown, axisName: AxisNames): unknown {
  const list = names(axisName, 'pmean');
  const n = axisSize(list, 'pmean');
  return perLeaf(x, (v) => {
    const sum = lax.cast(bind('psum', [summable(v)], { axisName: list }), 'float32');
    return lax.div(sum, lax.scalarLike(n, sum));
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
export function allGather(x: NdArray | number, axisName: string, opts?: AllGatherOptions): NdArray;
export function allGather<T>(x: T, axisName: string, opts?: AllGatherOptions): T;
export function allGather(x: unknown, axisName: string, opts: AllGatherOptions = {}): unknown {
  const { size } = lookupAxis(axisName, 'allGather');
  const tiled = opts.tiled ?? false;
  return perLeaf(x, (v) => {
    const r = shapeOf(v).length;
    if (tiled && r === 0) throw new Error(`allGather: tiled needs an array of rank >= 1 to concatenate along, got ${avalStr(avalOf(v))}`);
    const axis = normAxis(opts.axis ?? 0, tiled ? r : r + 1, 'allGather');
    return bind('all_gather', [v], { axisName, axisSize: size, axis, tiled });
  });
}

/**
 * This member's position along the named axis: an int32 scalar in [0, axisSize). Over
 * several names, its row-major position over all of them (the last name varies fastest), as JAX's.
 */
export function axisIndex(axisName: AxisNames): NdArray {
  const list = names(axisName, 'axisIndex');
  return list.reduce<NdArray | null>((index, name) => {
    const own = bind('axis_index', [], { axisName: name });
    return index === null ? own : lax.add(lax.mul(index, lax.scalar(axisSize(name), 'int32')), own);
  }, null)!;
}

/** The number of members of the named axis (its vmapped size or its number of workers); over several names, the product. */
export function axisSize(axisName: AxisNames, who = 'axisSize'): number {
  return names(axisName, who).reduce((p, name) => p * lookupAxis(name, who).size, 1);
}

/**
 * Sends each member's x to another member: `perm` lists [source, destination] index pairs
 * (each member at most once as a source and once as a destination); a member that is no
 * destination receives zeros (JAX's ppermute).
 * @example // a ring shift: member i receives member i-1's x
 * ppermute(x, 'i', Array.from({ length: n }, (_, k) => [k, (k + 1) % n]))
 */
export function ppermute(x: NdArray | number, axisName: string, perm: readonly (readonly [number, number])[]): NdArray;
export function ppermute<T>(x: T, axisName: string, perm: readonly (readonly [number, number])[]): T;
export function ppermute(x: unknown, axisName: string, perm: readonly (readonly [number, number])[]): unknown {
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
  const pairs = perm.map(([from, to]) => [from, to] as [number, number]);
  return perLeaf(x, (v) => bind('ppermute', [v], { axisName, perm: pairs }));
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
export function psumScatter(x: NdArray, axisName: string, opts?: PsumScatterOptions): NdArray;
export function psumScatter<T>(x: T, axisName: string, opts?: PsumScatterOptions): T;
export function psumScatter(x: unknown, axisName: string, opts: PsumScatterOptions = {}): unknown {
  const { size } = lookupAxis(axisName, 'psumScatter');
  const tiled = opts.tiled ?? false;
  return perLeaf(x, (v) => {
    const a = avalOf(v);
    if (a.dtype === 'bool') throw new Error(`psumScatter: expected a float32 or int32 array, got ${avalStr(a)}`);
    const scatterDimension = normAxis(opts.scatterDimension ?? 0, a.shape.length, 'psumScatter');
    const d = a.shape[scatterDimension];
    if (tiled ? d % size !== 0 : d !== size)
      throw new Error(`psumScatter: dimension ${scatterDimension} of ${avalStr(a)} must ${tiled ? 'be a multiple of' : 'equal'} the size ${size} of axis '${axisName}'`);
    return bind('psum_scatter', [v], { axisName, axisSize: size, scatterDimension, tiled });
  });
}

export interface AllToAllOptions {
  /** Split `splitAxis` into axis-size chunks and concatenate the received chunks along `concatAxis` (default false: `splitAxis` must equal the axis size; it is removed and a new axis of that size inserted at `concatAxis`). */
  readonly tiled?: boolean;
}

/**
 * JAX's all_to_all: member i receives chunk i of every member's x along `splitAxis`, and
 * places the chunk from member j at position j along `concatAxis`. Without `tiled`,
 * x.shape[splitAxis] must equal the axis size n, and the result's shape is x's with
 * `splitAxis` deleted and n inserted at `concatAxis`; with `tiled`, `splitAxis` shrinks n
 * times and `concatAxis` grows n times. Composed of {@link allGather} and this member's
 * slice (so grad, vmap and pmap apply; it moves n times the data a dedicated kernel would).
 * Over several axis names the members are numbered row-major over them (the last name varies
 * fastest), as {@link axisIndex}, and n is the product of their sizes.
 * @example vmap((x) => allToAll(x, 'i', 0, 0), { axisName: 'i' })(xs) // xs [n, n, ...]: its first two axes swapped
 */
export function allToAll(x: NdArray | number, axisName: AxisNames, splitAxis: number, concatAxis: number, opts?: AllToAllOptions): NdArray;
export function allToAll<T>(x: T, axisName: AxisNames, splitAxis: number, concatAxis: number, opts?: AllToAllOptions): T;
export function allToAll(x: unknown, axisName: AxisNames, splitAxis: number, concatAxis: number, opts: AllToAllOptions = {}): unknown {
  const list = names(axisName, 'allToAll');
  const size = axisSize(list, 'allToAll');
  const tiled = opts.tiled ?? false;
  const named = list.length === 1 ? `axis '${list[0]}'` : `axes ${list.map((n) => `'${n}'`).join(', ')}`;
  return perLeaf(x, (v) => {
    const a = avalOf(v);
    const r = a.shape.length;
    const split = normAxis(splitAxis, r, 'allToAll: splitAxis');
    const concat = normAxis(concatAxis, r, 'allToAll: concatAxis');
    const d = a.shape[split]!;
    if (tiled ? d % size !== 0 : d !== size)
      throw new Error(`allToAll: dimension ${split} (splitAxis) of ${avalStr(a)} must ${tiled ? 'be a multiple of' : 'equal'} the size ${size} of ${named}`);
    // Every member's x, members first: [n, ...x.shape]; then this member's chunk of splitAxis from each.
    let all = gatherMembers(v, list);
    if (tiled) {
      const s = [...shapeOf(all)];
      s.splice(split + 1, 1, size, d / size);
      all = lax.reshape(all, s);
    }
    const mine = lax.gather(all, axisIndex(list), split + 1);
    return placeMembers(mine, 0, { axisName: list[0]!, axisSize: size, axis: concat, tiled });
  });
}

/** Every member's v stacked on a new leading axis, over several names in row-major order (the last name varies fastest, as axisIndex). */
function gatherMembers(v: NdArray, list: readonly string[]): NdArray {
  const stacked = list.reduceRight((acc, name) => bind('all_gather', [acc], { axisName: name, axisSize: lookupAxis(name, 'allToAll').size, axis: 0, tiled: false }), v);
  return list.length === 1 ? stacked : lax.reshape(stacked, [axisSize(list), ...shapeOf(v)]);
}
