/**
 * Equinox's filtered transformations (eqx.filter_jit, filter_grad, filter_value_and_grad,
 * filter_vmap, filter_eval_shape, filter_vjp): each takes arguments of any kind (a registered
 * Module with arrays, ints, strings and functions in it) and decides per leaf what is
 * transformed: arrays are traced / mapped / differentiated, every other leaf is static.
 */
import * as tree from '../tree/index.js';
import { type Aval, normAxis } from './aval.js';
import { valueAndGrad, vjp, vmap } from './api.js';
import { ShapeDtypeStruct, evalShape, isShapeDtype } from './eval-shape.js';
import { type JitOptions, jit } from './jit/jit.js';
import { valueKey } from './jit/value-key.js';
import * as lax from './lax.js';
import { scope } from './scope.js';
import { type NdArray, isArray, shapeOf } from './trace.js';

type Fn = (...args: any[]) => any;

/** A leaf that is not there (an array's place in a static record). */
export const HOLE = Symbol('filtered: array');
/** A mapped output's place in filterVmap's record of its output. */
const MAPPED = Symbol('filtered: mapped');

/**
 * A tree split into its array leaves (in order) and the rest: the tree's structure and its
 * non-array leaves, with HOLE where the arrays go (Equinox's partition by `is_array`).
 */
export class Split {
  constructor(
    readonly def: tree.TreeDef,
    readonly statics: readonly unknown[],
  ) {}

  /** The tree with `arrays` put back in order. */
  combine<T = unknown>(arrays: readonly unknown[]): T {
    let k = 0;
    return tree.unflatten<T>(this.def, this.statics.map((s) => (s === HOLE ? arrays[k++] : s)));
  }
}

/** Splits `t` at the leaves `dynamic` selects: those leaves in order, and the record of the rest. */
export function split(t: unknown, dynamic: (leaf: unknown, i: number) => boolean): [unknown[], Split] {
  const [leaves, def] = tree.flatten(t);
  const keep = leaves.map((l, i) => dynamic(l, i));
  return [leaves.filter((_, i) => keep[i]), new Split(def, leaves.map((l, i) => (keep[i] ? HOLE : l)))];
}

/**
 * The non-array part of a traced function's output, carried through jit as a leafless pytree
 * node (as Equinox's `Static`): the node is its own aux data, so jit's recorded output
 * structure returns it on every replay.
 */
class StaticOut {
  constructor(readonly value: Split) {}
}
tree.registerPytreeNode(
  StaticOut,
  (s) => [[], s],
  (s) => s,
);

// ---------------------------------------------------------------- filterJit

export type FilterJitted<F extends Fn> = F & {
  /** Number of cached traces (one per distinct signature: array shapes and dtypes, static leaves). */
  cacheSize(): number;
  /** Frees the cached traces. */
  clearCache(): void;
};

/**
 * eqx.filter_jit: jit where every array leaf of the arguments (any pytrees, registered
 * classes included) is traced and every other leaf (numbers, booleans, strings, functions,
 * class instances) is static: part of the cache key (primitives by value, functions and
 * objects by identity), so a new value retraces. The output may hold any values: its arrays
 * come from the compiled program, its other leaves are those the trace returned.
 * @example const step = filterJit((model: Mlp, x: NdArray) => model.apply(x)); // model.activation is static
 */
export function filterJit<F extends Fn>(f: F, opts: Omit<JitOptions, 'staticArgnums' | 'donateArgnums'> = {}): FilterJitted<F> {
  /** One record per distinct static part, so that jit's static argument (compared by identity) hits its cache. */
  const records = new Map<string, Split>();
  const inner = jit(
    (arrays: NdArray[], record: Split) => {
      const out = f(...record.combine<unknown[]>(arrays));
      const [outArrays, rest] = split(out, isArray);
      return [outArrays, new StaticOut(rest)];
    },
    { ...opts, staticArgnums: 1 },
  );
  const jitted = ((...args: unknown[]) => {
    const [arrays, record] = split(args, isArray);
    const key = `${tree.structureKey(record.def)}#${valueKey(record.statics.map((s) => (s === HOLE ? null : s)), 'filterJit: a static leaf')}`;
    let canonical = records.get(key);
    if (!canonical) records.set(key, (canonical = record));
    const [outArrays, rest] = inner(arrays as NdArray[], canonical) as [NdArray[], StaticOut];
    return rest.value.combine(outArrays);
  }) as FilterJitted<F>;
  jitted.cacheSize = () => inner.cacheSize();
  jitted.clearCache = () => {
    inner.clearCache();
    records.clear();
  };
  return jitted;
}

// ---------------------------------------------------------------- filterGrad / filterValueAndGrad

export interface FilterGradOptions {
  /** f returns [value, aux]; aux is returned alongside, not differentiated. */
  readonly hasAux?: boolean;
}

/**
 * eqx.filter_value_and_grad: f's value and its gradient with respect to the floating-point
 * array leaves of its FIRST argument (any pytree); the gradient has that argument's structure
 * with `null` at every other leaf (Equinox's None: ints, strings, functions, JS numbers). The
 * other arguments are passed as they are. With `hasAux`, returns `[[value, aux], grad]`.
 * @example const [loss, g] = filterValueAndGrad((m: Model, x: NdArray) => lossOf(m, x))(model, x);
 */
export function filterValueAndGrad(f: Fn, opts: FilterGradOptions = {}) {
  return (...args: unknown[]): [any, any] => {
    if (args.length === 0) throw new Error('filterValueAndGrad: the function must be called with at least one argument (the one differentiated)');
    const [x, ...rest] = args;
    const [diff, nondiff] = tree.partition(x, tree.isInexactArray);
    const g = (d: unknown, ...r: unknown[]) => f(tree.combine(d, nondiff), ...r);
    if (!opts.hasAux) return valueAndGrad(g)(diff, ...rest);
    // aux may hold any values: its strings, functions, objects... bypass the trace (numbers become arrays, as grad's).
    let auxRecord: Split | undefined;
    const withAux = (d: unknown, ...r: unknown[]) => {
      const out: unknown = g(d, ...r);
      if (!Array.isArray(out) || out.length !== 2) throw new Error('filterValueAndGrad with hasAux: the function must return [value, aux]');
      const [traced, record] = split(out[1], (l) => isArray(l) || typeof l === 'number' || typeof l === 'boolean');
      auxRecord = record;
      return [out[0], traced];
    };
    const [[value, traced], grads] = valueAndGrad(withAux, { hasAux: true })(diff, ...rest);
    return [[value, auxRecord!.combine(traced as unknown[])], grads];
  };
}

/**
 * eqx.filter_grad: the gradient of a scalar f with respect to the floating-point array leaves
 * of its first argument, `null` at its other leaves; with `hasAux`, `[grad, aux]`.
 * @example const g = filterGrad((m: Model, x: NdArray) => lossOf(m, x))(model, x); // g.activation === null
 */
export function filterGrad(f: Fn, opts: FilterGradOptions = {}) {
  const vg = filterValueAndGrad(f, opts);
  // In a scope of its own, so that the value, which is not returned, is freed.
  return (...args: unknown[]) =>
    scope(() => {
      const [v, g] = vg(...args);
      return opts.hasAux ? [g, (v as unknown[])[1]] : g;
    });
}

/**
 * eqx.filter_vjp: `[f(...primals), vjpFn]` (with `hasAux`, `[out, vjpFn, aux]`), where
 * vjpFn(ct) gives one cotangent per primal, differentiated with respect to the floating-point
 * array leaves of the primals only, `null` at every other leaf. The output (and aux) may hold
 * any values: `ct` has the output's structure, with an array at each float32 array of the
 * output (null there reads as zeros) and anything, null by convention, at every other leaf.
 */
export function filterVjp(f: Fn, primals: readonly unknown[], opts: FilterGradOptions = {}): [any, (ct: unknown) => any[], any?] {
  if (!Array.isArray(primals)) throw new Error('filterVjp: primals must be a list of arguments (filterVjp(f, [x, y]))');
  const [diff, nondiff] = tree.partition([...primals], tree.isInexactArray);
  // The output's float arrays are differentiated; the rest, and aux, bypass vjp in these records.
  let outRecord: Split | undefined;
  let auxRecord: Split | undefined;
  const g = (...d: unknown[]) => {
    const result: unknown = f(...tree.combine(d, nondiff));
    if (opts.hasAux && (!Array.isArray(result) || result.length !== 2)) throw new Error('filterVjp with hasAux: the function must return [out, aux]');
    const [out, aux] = opts.hasAux ? (result as [unknown, unknown]) : [result, null];
    const [diffOut, outRest] = split(out, tree.isInexactArray);
    const [auxArrays, auxRest] = split(aux, isArray);
    [outRecord, auxRecord] = [outRest, auxRest];
    return [diffOut, auxArrays];
  };
  const [diffOut, back, auxArrays] = vjp(g, ...diff, { hasAux: true });
  const out = outRecord!.combine(diffOut as unknown[]);
  const backFn = (ct: unknown) => {
    const cts = tree.flattenUpTo(outRecord!.def, ct, 'filterVjp: the cotangent and the output');
    const diffCts = cts.filter((_, i) => outRecord!.statics[i] === HOLE).map((c, k) => (c === null || c === undefined ? lax.zerosLike((diffOut as NdArray[])[k]!) : c));
    return back(diffCts);
  };
  return opts.hasAux ? [out, backFn, auxRecord!.combine(auxArrays as unknown[])] : [out, backFn];
}

// ---------------------------------------------------------------- filterVmap

/** An axis spec: an axis, null (not mapped), or a function of a leaf giving either (eqx.if_array). */
export type AxisSpec = number | null | ((leaf: unknown) => number | null);

/**
 * eqx.if_array: an axis spec that maps an array leaf on `axis` and leaves any other leaf
 * unmapped (broadcast, static).
 * @example filterVmap(f, { inAxes: [ifArray(0), null] })
 */
export function ifArray(axis: number): (leaf: unknown) => number | null {
  if (!Number.isInteger(axis)) throw new Error(`ifArray: axis must be an integer, got ${String(axis)}`);
  return (leaf) => (isArray(leaf) ? axis : null);
}

export interface FilterVmapOptions {
  /** A pytree prefix of the argument list of AxisSpecs (default ifArray(0): arrays mapped on axis 0, the rest broadcast). */
  readonly inAxes?: unknown;
  /** A pytree prefix of the output of AxisSpecs (default ifArray(0): arrays get the mapped axis first, other values are returned as they are). */
  readonly outAxes?: unknown;
  /** Names the mapped axis for collectives (psum, ...) inside f. */
  readonly axisName?: string;
  /** The mapped axis's size, needed when no argument is mapped. */
  readonly axisSize?: number;
}

const isSpecLeaf = (x: unknown) => x === null || typeof x === 'number' || typeof x === 'function';

/** One axis (or null) per leaf of `t`, from a prefix of AxisSpecs. */
function resolveAxes(spec: unknown, t: unknown, what: string): (number | null)[] {
  const specs = tree.broadcastPrefix<AxisSpec>(spec, t, what, isSpecLeaf);
  return tree.leaves(t).map((leaf, i) => {
    const s = specs[i];
    const a = typeof s === 'function' ? s(leaf) : s;
    if (a !== null && !Number.isInteger(a)) throw new Error(`${what}: an axis must be an integer or null, got ${String(a)} at ${tree.paths(t)[i]}`);
    return a;
  });
}

/**
 * eqx.filter_vmap: vmap over arguments of any kind. By default every array leaf is mapped on
 * axis 0 and every other leaf (and every array given a null axis) is broadcast, passed to f as
 * it is; in the output, arrays get the mapped axis at 0 and other values are returned as they
 * are. `inAxes` / `outAxes` are prefixes holding axes, null, or functions of a leaf (ifArray).
 * @example const ensemble = filterVmap((m: Mlp, x: NdArray) => m.apply(x), { inAxes: [ifArray(0), null] })(models, x);
 */
export function filterVmap(f: Fn, opts: FilterVmapOptions = {}) {
  return (...args: unknown[]): any =>
    scope(() => {
      const inAxes = resolveAxes(opts.inAxes === undefined ? ifArray(0) : opts.inAxes, args, 'filterVmap: inAxes');
      const [mapped, record] = split(args, (_, i) => inAxes[i] !== null);
      let out: { def: tree.TreeDef; kinds: unknown[]; axes: number[] } | undefined;
      const inner = (m: unknown[]): [NdArray[], NdArray[]] => {
        const result = f(...record.combine<unknown[]>(m));
        const axes = resolveAxes(opts.outAxes === undefined ? ifArray(0) : opts.outAxes, result, 'filterVmap: outAxes');
        const [leaves, def] = tree.flatten(result);
        // Mapped outputs, unmapped arrays (returned unbatched by vmap), and the other values, static.
        const kinds = leaves.map((l, i) => (axes[i] !== null ? MAPPED : isArray(l) ? HOLE : l));
        out = { def, kinds, axes: axes.filter((a): a is number => a !== null) };
        return [leaves.filter((_, i) => kinds[i] === MAPPED) as NdArray[], leaves.filter((_, i) => kinds[i] === HOLE) as NdArray[]];
      };
      let vmapped: NdArray[];
      let unmapped: NdArray[];
      if (mapped.length === 0 && opts.axisSize === undefined) {
        // As Equinox: nothing is mapped, so f runs once, and no output can be mapped.
        [vmapped, unmapped] = inner([]);
        if (vmapped.length) throw new Error('filterVmap: no argument is mapped and no axisSize is given, so no output can be mapped (give axisSize, or null outAxes)');
      } else {
        const vmapAxes = inAxes.filter((a): a is number => a !== null);
        [vmapped, unmapped] = vmap(inner, { inAxes: [vmapAxes], outAxes: [0, null], axisName: opts.axisName, axisSize: opts.axisSize })(mapped);
      }
      const { def, kinds, axes } = out!;
      let [v, u] = [0, 0];
      return tree.unflatten(
        def,
        kinds.map((k) => {
          if (k === HOLE) return unmapped[u++];
          if (k !== MAPPED) return k;
          const x = vmapped[v];
          return lax.moveAxis(x, 0, normAxis(axes[v++], shapeOf(x).length, 'filterVmap: outAxes'));
        }),
      );
    });
}

// ---------------------------------------------------------------- filterEvalShape

/**
 * eqx.filter_eval_shape: the shapes and dtypes of f's output for arguments of any kind.
 * Arrays and shape descriptors (shapeDtypeStruct, `{ shape, dtype }`) are abstract; other
 * leaves (numbers included) reach f as they are. Array outputs become ShapeDtypeStructs, other
 * output leaves are returned as they are. No kernel runs.
 */
export function filterEvalShape(f: Fn, ...args: unknown[]): any {
  const isDynamic = (x: unknown) => isArray(x) || isShapeDtype(x);
  const [leaves, def] = tree.flatten(args, isShapeDtype);
  const dynamic = leaves.filter(isDynamic);
  let outRecord: Split | undefined;
  const shapes = evalShape((...d: unknown[]) => {
    let k = 0;
    const out = f(...tree.unflatten<unknown[]>(def, leaves.map((l) => (isDynamic(l) ? d[k++] : l))));
    const [arrays, rest] = split(out, isArray);
    outRecord = rest;
    return arrays;
  }, ...dynamic) as Aval[];
  return outRecord!.combine(shapes.map((a) => new ShapeDtypeStruct(a.shape, a.dtype)));
}
