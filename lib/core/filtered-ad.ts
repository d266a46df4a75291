/**
 * Equinox's filtered differentiation beyond grad / vjp (filtered.ts): eqx.filter_jvp (primals
 * of any kind, `null` tangents for what is not differentiated, `null` output tangents for
 * symbolic zeros), filter_custom_jvp, filter_custom_vjp, filter_checkpoint, and
 * filter_jacfwd / filter_jacrev / filter_hessian.
 */
import * as tree from '../tree/index.js';
import { customJvp, customVjp } from './custom-rules.js';
import { avalStr, isFloat, shapeStr } from './aval.js';
import { type RematOptions, remat } from './control/index.js';
import { HOLE, type Split, split } from './filtered.js';
import { JVPTrace, JVPTracer } from './interpreters/jvp.js';
import { hessian, jacfwd, jacrev } from './jacobian.js';
import * as lax from './lax.js';
import { scope } from './scope.js';
import { type MainTrace, type NdArray, avalOf, isArray, withMain } from './trace.js';

type Fn = (...args: any[]) => any;

const isNull = (x: unknown) => x === null || x === undefined;

/**
 * A primal that has a tangent, as an array: a float32 array, or a JS number (a float32 scalar:
 * JS cannot tell 1.0 from 1, so a number with a tangent is taken as Python's float).
 */
function differentiable(p: unknown, at: string): NdArray {
  if (typeof p === 'number') return lax.scalar(p);
  if (isArray(p) && isFloat(avalOf(p).dtype)) return p;
  const what = isArray(p) ? `an array ${avalStr(avalOf(p))}` : p === null || p === undefined ? String(p) : typeof p;
  throw new Error(`filterJvp: the primal at ${at} is ${what}, which has no tangent; give null as its tangent`);
}

/** A tangent as a float32 array of its primal's shape. */
function tangentOf(t: unknown, primal: NdArray, at: string): NdArray {
  const arr = typeof t === 'number' ? lax.scalar(t) : t;
  if (!isArray(arr)) throw new Error(`filterJvp: the tangent at ${at} is ${typeof t}; a tangent is a float32 array, a number or null`);
  const [a, p] = [avalOf(arr), avalOf(primal)];
  if (!isFloat(a.dtype)) throw new Error(`filterJvp: the tangent at ${at} is ${avalStr(a)}; the tangent of a float32 primal must be float32`);
  if (shapeStr(a.shape) !== shapeStr(p.shape)) throw new Error(`filterJvp: the tangent at ${at} has shape ${shapeStr(a.shape)}, its primal ${shapeStr(p.shape)}`);
  return arr;
}

/**
 * eqx.filter_jvp: `[f(...primals), tangentsOut]` for primals of any kind. `tangents` has the
 * structure of `primals` (a null there is a leaf): an array or number at each leaf that is
 * differentiated (a float32 array, or a JS number), `null` at every other (ints, strings,
 * functions, float arrays held constant), which reach f as they are. The output may hold any
 * values; `tangentsOut` has its structure, with the JVP at each float32 array that depends on a
 * differentiated primal and `null` at every other leaf (Equinox's symbolic zeros).
 * @example const [y, ty] = filterJvp((m: Mlp, x: NdArray) => m.apply(x), [model, x], [null, tx]); // the JVP in x only
 */
export function filterJvp(f: Fn, primals: readonly unknown[], tangents: readonly unknown[]): [any, any] {
  if (!Array.isArray(primals) || !Array.isArray(tangents)) throw new Error('filterJvp: primals and tangents must be lists of arguments (filterJvp(f, [x], [t]))');
  const [pLeaves, pDef] = tree.flatten([...primals], isNull);
  const [tLeaves, tDef] = tree.flatten([...tangents], isNull);
  if (tree.structureKey(pDef) !== tree.structureKey(tDef))
    throw new Error(`filterJvp: primals and tangents must have the same structure (null tangents included): ${tree.firstMismatch(pDef, tDef) ?? ''}`);
  const at = tree.paths([...primals], isNull);
  const dynamic = tLeaves.map((t) => !isNull(t));
  return scope(() => {
    // [primal, tangent] as arrays at each differentiated leaf, checked before anything runs.
    const pairs = pLeaves.map((p, i) => {
      if (!dynamic[i]) return null;
      const x = differentiable(p, at[i]!);
      return [x, tangentOf(tLeaves[i], x, at[i]!)] as const;
    });
    return withMain('jvp', (m: MainTrace) => new JVPTrace(m), null, (main) => {
      const trace = main.current as JVPTrace;
      const args = tree.unflatten<unknown[]>(pDef, pLeaves.map((p, i) => (pairs[i] ? new JVPTracer(trace, ...pairs[i]) : p)));
      const [outs, outDef] = tree.flatten(f(...args));
      const ours = (o: unknown): o is JVPTracer => o instanceof JVPTracer && o.trace.main === main;
      const primalsOut = outs.map((o) => (ours(o) ? o.primal : o));
      // Outputs that are not this trace's tracers do not depend on the tangents: a symbolic zero (null).
      const tangentsOut = outs.map((o) => (ours(o) && isFloat(o.aval.dtype) ? (o.tangent ?? lax.zerosLike(o.primal)) : null));
      return [tree.unflatten(outDef, primalsOut), tree.unflatten(outDef, tangentsOut)] as [unknown, unknown];
    });
  });
}

// ---------------------------------------------------------------- filterCheckpoint

/**
 * f(...args) through a transformation of functions of arrays: the array leaves of the
 * arguments and of the output go through `transform(g)`, every other leaf around it, as it is.
 */
function onArrays(f: Fn, args: unknown[], transform: (g: (...arrays: NdArray[]) => NdArray[]) => (...arrays: NdArray[]) => NdArray[]): unknown {
  const [arrays, record] = split(args, isArray);
  let outRecord: Split | undefined;
  const g = transform((...a: NdArray[]) => {
    const [outArrays, rest] = split(f(...record.combine<unknown[]>(a)), isArray);
    outRecord = rest;
    return outArrays as NdArray[];
  });
  const outs = g(...(arrays as NdArray[]));
  return outRecord!.combine(outs);
}

/**
 * eqx.filter_checkpoint: remat (jax.checkpoint) over arguments of any kind: the array leaves are
 * traced and recomputed in the backward pass, every other leaf reaches f as it is; the output
 * may hold any values.
 * @example const block = filterCheckpoint((m: Block, x: NdArray) => m.apply(x));
 */
export function filterCheckpoint<F extends Fn>(f: F, opts: Omit<RematOptions, 'staticArgnums'> = {}): F {
  return ((...args: unknown[]) => onArrays(f, args, (g) => remat(g, opts))) as F;
}

// ---------------------------------------------------------------- filterCustomJvp / filterCustomVjp

/** The record's tree with `values` in its holes (its arrays' places) and null at its other leaves. */
function holes<T = unknown>(record: Split, values: readonly unknown[]): T {
  let k = 0;
  return tree.unflatten<T>(record.def, record.statics.map((s) => (s === HOLE ? values[k++] : null)));
}

/** Zeros of x's shape and dtype for an array, 0 for a number. */
const zerosOf = (x: unknown) => (isArray(x) ? lax.zerosLike(x) : 0);

/** The tangent (or cotangent) tree `t` with its nulls made zeros of `like`'s leaves there. */
function nullsToZeros(t: unknown, like: unknown): unknown {
  return tree.map((x: unknown, c: unknown) => (c === null || c === undefined ? zerosOf(x) : c), like, t);
}

/** A function with an Equinox-style rule set later by a method (`defJvp`, or `defFwd` + `defBwd`). */
export type FilterCustomJvp<F extends Fn> = F & {
  /** Sets the rule `jvp(primals, tangents) -> [out, tangentOut]` (Equinox's def_jvp); returns it. */
  defJvp<R extends (primals: any[], tangents: any[]) => [unknown, unknown]>(rule: R): R;
};

/**
 * eqx.filter_custom_jvp: a function of arguments of any kind with a forward-mode rule. The
 * rule `jvp(primals, tangents)` gets the argument list and a list of the same structure with a
 * tangent at each float32 array and `null` at every other leaf (ints, numbers, strings,
 * functions: they are never differentiated, as Equinox's nondiff arguments; a float array held
 * constant gets zeros here, where Equinox passes a symbolic-zero null). It returns
 * `[out, tangentOut]`, a `null` in tangentOut meaning zeros. The output must be arrays or numbers.
 * Reverse mode transposes the rule, as customJvp's. The rule is given as the second argument or
 * with `.defJvp(rule)`.
 * @example const call = filterCustomJvp((fn: (x: NdArray) => NdArray, x: NdArray) => fn(x), ([fn, x], [, tx]) => [fn(x), np.mul(tx, 2)]);
 */
export function filterCustomJvp<F extends Fn>(f: F, jvpRule?: (primals: any[], tangents: any[]) => [unknown, unknown]): FilterCustomJvp<F> {
  let rule = jvpRule;
  const call = ((...args: unknown[]) => {
    if (!rule) throw new Error('filterCustomJvp: no jvp rule; give one as the second argument or with .defJvp(rule)');
    const jvpRule = rule;
    const [arrays, record] = split(args, isArray);
    if (arrays.length === 0) return f(...args);
    const inner = customJvp(
      (...a: NdArray[]) => f(...record.combine<unknown[]>(a)),
      (ps: NdArray[], ts: NdArray[]) => {
        // Only float arrays have tangents; every other leaf gets null, as in Equinox.
        const tangents = holes<unknown[]>(record, ts.map((t, i) => (isFloat(avalOf(ps[i]!).dtype) ? t : null)));
        const [out, tOut] = jvpRule(record.combine<unknown[]>(ps), tangents);
        return [out, nullsToZeros(tOut, out)];
      },
    );
    return inner(...(arrays as NdArray[]));
  }) as FilterCustomJvp<F>;
  call.defJvp = (r) => {
    rule = r;
    return r;
  };
  return call;
}

/** eqx.filter_custom_vjp's forward rule: `fwd(perturbed, vjpArg, ...args) -> [out, residuals]`. */
export type FilterFwd = (perturbed: any, vjpArg: any, ...args: any[]) => [unknown, unknown];
/** eqx.filter_custom_vjp's backward rule: `bwd(residuals, gradOut, perturbed, vjpArg, ...args) -> gradVjpArg`. */
export type FilterBwd = (residuals: any, gradOut: any, perturbed: any, vjpArg: any, ...args: any[]) => unknown;

/** A function whose backward pass is set by `defFwd` and `defBwd` (or given when it is made). */
export type FilterCustomVjp<F extends Fn> = F & {
  /** Sets the forward rule (Equinox's def_fwd); returns it. */
  defFwd<R extends FilterFwd>(fwd: R): R;
  /** Sets the backward rule (Equinox's def_bwd); returns it. */
  defBwd<R extends FilterBwd>(bwd: R): R;
};

/**
 * eqx.filter_custom_vjp: `f(vjpArg, ...args)` of arguments of any kind with a backward pass of
 * your own; only the float32 arrays of the first argument, `vjpArg`, are differentiated (pack
 * several into it). `fwd(perturbed, vjpArg, ...args)` returns `[out, residuals]` (residuals of
 * any kind), `perturbed` being vjpArg's structure with `true` at its float32 arrays and `false`
 * elsewhere; `bwd(residuals, gradOut, perturbed, vjpArg, ...args)` gets the output's cotangent
 * (`null` at its leaves that are not float32 arrays) and returns the gradient of vjpArg: its
 * structure, `null` at leaves with no gradient (zeros for a float array). The output may hold
 * any values. Arrays in `args` get no gradient (Equinox raises when they are differentiated).
 * @example
 * const clip = filterCustomVjp((x: NdArray, c: number) => x, { fwd: (_p, x) => [x, null], bwd: (_r, g, _p, _x, c) => np.clip(g, -c, c) });
 */
export function filterCustomVjp<F extends Fn>(f: F, rules: { fwd?: FilterFwd; bwd?: FilterBwd } = {}): FilterCustomVjp<F> {
  let { fwd, bwd } = rules;
  const call = ((vjpArg: unknown, ...args: unknown[]) => {
    if (!fwd || !bwd) throw new Error('filterCustomVjp: set both rules (defFwd and defBwd, or { fwd, bwd }) before calling it');
    const [fwdRule, bwdRule] = [fwd, bwd];
    const full = [vjpArg, ...args];
    const [arrays, record] = split(full, isArray);
    if (arrays.length === 0) return f(...full);
    const nVjpArrays = tree.leaves(vjpArg).filter(isArray).length;
    const perturbed = tree.map((l: unknown) => tree.isInexactArray(l), vjpArg);
    let outRecord: Split | undefined;
    let resRecord: Split | undefined;
    const outArrays = (out: unknown) => {
      const [outs, rest] = split(out, isArray);
      outRecord = rest;
      return outs;
    };
    const inner = customVjp((...a: NdArray[]) => outArrays(f(...record.combine<unknown[]>(a))), {
      fwd: (...a: NdArray[]) => {
        const [v, ...others] = record.combine<unknown[]>(a);
        const [out, res] = fwdRule(perturbed, v, ...others);
        const [resArrays, resRest] = split(res, isArray);
        resRecord = resRest;
        // The inputs ride along with the residuals: bwd gets them back.
        return [outArrays(out), [resArrays, a]];
      },
      bwd: ([resArrays, a]: [NdArray[], NdArray[]], cts: NdArray[]) => {
        const gradOut = holes(outRecord!, cts.map((c) => (isFloat(avalOf(c).dtype) ? c : null)));
        const [v, ...rest] = record.combine<unknown[]>(a);
        const g = bwdRule(resRecord!.combine(resArrays), gradOut, perturbed, v, ...rest);
        const gs = tree.flattenUpTo(tree.structure(v), g, 'filterCustomVjp: the gradient bwd returned and vjpArg');
        const vjpCts = tree.leaves(v).flatMap((l, i) => (isArray(l) ? [tree.isInexactArray(l) ? (gs[i] ?? null) : null] : []));
        return [...vjpCts, ...arrays.slice(nVjpArrays).map(() => null)];
      },
    });
    const outs = inner(...(arrays as NdArray[]));
    return outRecord!.combine(outs);
  }) as FilterCustomVjp<F>;
  call.defFwd = (r) => ((fwd = r), r);
  call.defBwd = (r) => ((bwd = r), r);
  return call;
}

// ---------------------------------------------------------------- filterJacfwd / filterJacrev / filterHessian

/** The Jacobian transform `jac` of f with respect to the float32 arrays of its first argument (the rest static). */
function filterJacobian(f: Fn, hasAux: boolean, jac: typeof jacfwd) {
  return (x: unknown, ...args: unknown[]) => {
    const [diff, nondiff] = tree.partition(x, tree.isInexactArray);
    return jac((d: unknown) => f(tree.combine(d, nondiff), ...args), { hasAux })(diff);
  };
}

/**
 * eqx.filter_jacfwd: the Jacobian of f (forward mode) with respect to the float32 arrays of its
 * first argument, any pytree (its other leaves: null); the output must be arrays. With
 * `hasAux`, `[jacobian, aux]`.
 */
export function filterJacfwd(f: Fn, opts: { hasAux?: boolean } = {}) {
  return filterJacobian(f, opts.hasAux ?? false, jacfwd);
}

/** eqx.filter_jacrev: as {@link filterJacfwd}, in reverse mode. */
export function filterJacrev(f: Fn, opts: { hasAux?: boolean } = {}) {
  return filterJacobian(f, opts.hasAux ?? false, jacrev);
}

/** eqx.filter_hessian: the Hessian of a scalar f with respect to the float32 arrays of its first argument. */
export function filterHessian(f: Fn, opts: { hasAux?: boolean } = {}) {
  return filterJacobian(f, opts.hasAux ?? false, hessian);
}
