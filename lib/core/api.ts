/**
 * The transformations users call, over pytrees: grad, valueAndGrad, vjp, jvp, vmap, stopGradient,
 * linearTranspose (customVjp and customJvp live in custom-rules.ts, the Jacobians in jacobian.ts,
 * jit and makeJaxpr in jit/).
 * Each flattens its arguments, runs one interpreter, and rebuilds the trees.
 */
import * as tree from '../tree/index.js';
import { type Aval, avalStr, isFloat, normAxis, shapeStr } from './aval.js';
import { type HasAuxOption, type HolomorphicOption, argPath, assertDifferentiable, assertNotHolomorphic, describe, flatOver, flattenArrays, floatWeakInts, isHasAuxOption, normArgnums, splitAux, weakScalar } from './args.js';
import { abstractArgs, evalShape } from './eval-shape.js';
import { scope } from './scope.js';
import { vmapFlat } from './interpreters/batching.js';
import { jvpFlat } from './interpreters/jvp.js';
import { vjpFlat } from './interpreters/vjp.js';
import * as lax from './lax.js';
import type { BDim } from './prim-types.js';
import { type NdArray, avalOf, isArray, shapeOf } from './trace.js';

type Fn = (...args: any[]) => any;

export interface GradOptions extends HolomorphicOption {
  /** Which positional argument(s) to differentiate (default 0). A list gives a tuple of gradients. */
  readonly argnums?: number | readonly number[];
  /** f returns [value, aux]; aux is passed through without differentiation. */
  readonly hasAux?: boolean;
  /**
   * Allow int32 and bool inputs in `argnums` (JAX's allow_int): their gradient is zeros of the
   * input's shape and dtype (JAX gives float0 zeros; tfjax has no float0, and vjp gives the same).
   */
  readonly allowInt?: boolean;
  /** JAX's removed `reduce_axes`: refused when not empty. */
  readonly reduceAxes?: readonly unknown[];
}

/**
 * f's value and its gradient with respect to `argnums`.
 * @example const [loss, g] = valueAndGrad((w, x) => np.sum(np.square(np.matmul(x, w))))(w, x);
 */
export function valueAndGrad(f: Fn, options: GradOptions | number | readonly number[] = {}) {
  return valueAndGradAs(f, options, 'valueAndGrad');
}

/** valueAndGrad, its errors naming `what` (grad or valueAndGrad). */
function valueAndGradAs(f: Fn, options: GradOptions | number | readonly number[], what: string) {
  const opts = gradOptions(options);
  return (...given: unknown[]): [any, any] =>
    scope(() => {
      assertNotHolomorphic(opts, what);
      if (opts.reduceAxes?.length) throw new Error(`${what}: reduceAxes is not supported (JAX deprecated and removed grad's reduce_axes)`);
      const argnums = normArgnums(opts.argnums, given.length, 'grad');
      const args = floatWeakInts(given, argnums);
      if (!opts.allowInt) assertDifferentiable(args, argnums, 'grad');
      const g = opts.hasAux ? splitAux(f, 'grad', '[value, aux]') : f;
      const { leaves, inDef, flat, outTree } = flatOver(g, args, argnums, 'grad');
      const [outs, pullback] = vjpFlat(flat, leaves);
      // As JAX: a tree of outputs (without hasAux) is an error, not the gradient of its first leaf.
      const valueDef = tree.structure(opts.hasAux ? (outTree() as unknown[])[0] : outTree());
      if (valueDef.kind !== 'leaf')
        throw new Error(`grad requires a scalar float32 output, got ${valueDef.kind === 'none' ? 'null' : `${valueDef.kind === 'array' ? 'a list' : 'an object'} of ${tree.numLeaves(valueDef)} array(s)`}; return one array, or [value, aux] with { hasAux: true }`);
      const value = outs[0];
      const a = avalOf(value);
      if (a.shape.length !== 0 || a.dtype !== 'float32')
        throw new Error(`grad requires a scalar float32 output, got ${avalStr(a)}; use vjp or jacrev for non-scalar outputs, or reduce it (e.g. np.sum)`);
      const cts = pullback([lax.full([], 1)]);
      const grads = tree.unflatten<unknown[]>(inDef, cts);
      const gradOut = typeof opts.argnums === 'object' ? grads : grads[0];
      if (!opts.hasAux) return [value, gradOut];
      const auxDef = tree.structure((outTree() as unknown[])[1]);
      return [[value, tree.unflatten(auxDef, outs.slice(1))], gradOut];
    });
}

/** Options, or JAX's positional argnums (`grad(f, 1)`, `grad(f, [0, 1])`). */
function gradOptions(options: GradOptions | number | readonly number[]): GradOptions {
  return typeof options === 'number' || Array.isArray(options) ? { argnums: options as number | readonly number[] } : (options as GradOptions);
}

/**
 * The gradient of a scalar-valued f with respect to argument `argnums` (default 0).
 * @example grad((x) => np.sum(np.mul(x, np.exp(x))))(np.array([0.5, 1]))
 */
export function grad(f: Fn, options: GradOptions | number | readonly number[] = {}) {
  const opts = gradOptions(options);
  const vg = valueAndGradAs(f, opts, 'grad');
  // In a scope of its own, so that the value, which is not returned, is freed.
  return (...args: unknown[]) =>
    scope(() => {
      const [v, g] = vg(...args);
      return opts.hasAux ? [g, v[1]] : g;
    });
}

function pullbackOf(flat: (...xs: NdArray[]) => NdArray[], leaves: NdArray[], inDef: tree.TreeDef, outDef: () => tree.TreeDef, hasAux: boolean): [any, (ct: unknown) => any[], any?] {
  const [outs, pullback] = vjpFlat(flat, leaves);
  const full = tree.unflatten<unknown>(outDef(), outs);
  // With hasAux, f returned [out, aux]: only out's leaves (the first ones) take cotangents.
  const out = hasAux ? (full as unknown[])[0] : full;
  const ctDef = tree.structure(out);
  const fn = (ct: unknown) =>
    scope(() => {
      const [cts, def] = flattenArrays(ct, 'vjp: cotangent');
      tree.assertSameStructure(ctDef, def, 'vjp: the cotangent and the output');
      cts.forEach((c, i) => {
        const o = avalOf(outs[i]);
        if (shapeStr(shapeOf(c)) !== shapeStr(o.shape)) throw new Error(`vjp: cotangent ${i} has shape ${shapeStr(shapeOf(c))}, the output has ${shapeStr(o.shape)}`);
        // As JAX's check of the cotangent's type: else a backward rule fails on mixed dtypes, naming no argument.
        if (isFloat(o.dtype) && avalOf(c).dtype !== o.dtype) throw new Error(`vjp: cotangent ${i} has dtype ${avalOf(c).dtype}, the output ${o.dtype}; they must match`);
      });
      return tree.unflatten<unknown[]>(inDef, pullback(cts));
    });
  return hasAux ? [out, fn, (full as unknown[])[1]] : [out, fn];
}

/** vjp's trailing options: with `hasAux` f returns [out, aux] and vjp returns [out, vjpFn, aux], aux not differentiated. */
export type VjpOptions = HasAuxOption;

/**
 * Reverse mode: returns f(...primals) and a function from an output cotangent to the
 * tuple of cotangents of the primals. The forward pass's intermediates live in the
 * caller's scope (wrap a loop in `scope`), since the returned function needs them.
 * A last argument `{ hasAux: true }` (f returns [out, aux]) gives `[out, vjpFn, aux]`.
 * @example const [loss, back, logits] = vjp((w) => [lossOf(w), logitsOf(w)], w, { hasAux: true });
 */
export function vjp(f: Fn, ...primals: unknown[]): [any, (ct: unknown) => any[], any?] {
  const last = primals[primals.length - 1];
  const hasAux = isHasAuxOption(last) && last.hasAux;
  if (isHasAuxOption(last)) primals = primals.slice(0, -1);
  const g = hasAux ? splitAux(f, 'vjp') : f;
  const argnums = primals.map((_, i) => i);
  const { leaves, inDef, flat, outDef } = flatOver(g, floatWeakInts(primals, argnums), argnums, 'vjp');
  return pullbackOf(flat, leaves, inDef, outDef, hasAux);
}

/**
 * Forward mode: `[f(...primals), J·tangents]`, with primals and tangents given as arrays
 * of argument trees of the same structure and shapes. With `{ hasAux: true }` (f returns
 * [out, aux], JAX's has_aux): `[out, J·tangents, aux]`, aux not differentiated.
 */
export function jvp(f: Fn, primals: readonly unknown[], tangents: readonly unknown[], opts: Partial<HasAuxOption> = {}): [any, any, any?] {
  if (!Array.isArray(primals) || !Array.isArray(tangents))
    throw new Error(`jvp: primals and tangents must be lists of arguments (jvp(f, [x], [t])), got ${Array.isArray(primals) ? 'a list' : describe(primals)} and ${Array.isArray(tangents) ? 'a list' : describe(tangents)}`);
  return scope(() => {
    const argnums = primals.map((_, i) => i);
    const { leaves, inDef, flat, outDef } = flatOver(opts.hasAux ? splitAux(f, 'jvp') : f, floatWeakInts(primals, argnums), argnums, 'jvp');
    const [tls, tdef] = flattenArrays([...tangents], 'jvp: tangent');
    tree.assertSameStructure(inDef, tdef, 'jvp: primals and tangents');
    const at = tree.paths([...primals]).map(argPath);
    tls.forEach((t, i) => {
      const p = avalOf(leaves[i]);
      if (shapeStr(shapeOf(t)) !== shapeStr(p.shape)) throw new Error(`jvp: tangent ${i} has shape ${shapeStr(shapeOf(t))}, its primal ${shapeStr(p.shape)}`);
      if (!isFloat(p.dtype))
        throw new Error(`jvp: the primal ${at[i]} has dtype ${p.dtype}, which has no tangents; close over it instead, or cast it with np.cast(x, 'float32')`);
      if (avalOf(t).dtype !== p.dtype) throw new Error(`jvp: the tangent of ${at[i]} has dtype ${avalOf(t).dtype}, its primal ${p.dtype}; they must match`);
    });
    const [ps, ts] = jvpFlat(flat, leaves, tls);
    if (!opts.hasAux) return [tree.unflatten(outDef(), ps), tree.unflatten(outDef(), ts)];
    // The aux's tangents are dropped (not returned, so the scope frees them).
    const [out, aux] = tree.unflatten<[unknown, unknown]>(outDef(), ps);
    return [out, tree.unflatten<[unknown, unknown]>(outDef(), ts)[0], aux];
  });
}

export interface VmapOptions {
  /** Mapped axis per argument: a number, null (not mapped), or a pytree prefix of those over the argument list. */
  readonly inAxes?: unknown;
  /** Where the mapped axis goes in each output (a number, or a pytree prefix over the output). */
  readonly outAxes?: unknown;
  /** Names the mapped axis: collectives (psum, allGather, ...) over this name reduce or gather over it. */
  readonly axisName?: string;
  /** The mapped axis's size (JAX's `axis_size`): needed when no argument is mapped, checked against those that are. */
  readonly axisSize?: number;
  /** jax.vmap's `spmd_axis_name`: accepted and ignored (it only shards the mapped axis across devices). */
  readonly spmdAxisName?: string | readonly string[];
}

const isAxisLeaf = (x: unknown) => x === null || typeof x === 'number';

/** A spec for errors: a plain object as JSON (as JAX prints the dict), else its type. */
const specText = (x: unknown) => (tree.isPlainObject(x) || Array.isArray(x) ? JSON.stringify(x) : typeof x === 'number' || typeof x === 'boolean' ? String(x) : describe(x));

/**
 * Checks vmap's inAxes or outAxes when vmap is called, as jax.vmap raises its TypeErrors: each leaf an
 * integer or null, and inAxes an integer, null or a list with one entry per positional argument.
 */
function checkAxesSpec(spec: unknown, what: 'inAxes' | 'outAxes'): void {
  if (what === 'inAxes' && !(spec === undefined || isAxisLeaf(spec) || Array.isArray(spec)))
    throw new TypeError(`vmap: inAxes must be an integer, null, or a list with one entry per positional argument (JAX's tuple), got ${specText(spec)}`);
  const bad = tree.leaves(spec).find((a) => !Number.isInteger(a));
  if (bad !== undefined) throw new TypeError(`vmap: ${what} must be an integer or null (or a pytree prefix of them over the ${what === 'inAxes' ? 'arguments' : 'outputs'}), got ${specText(bad)}`);
}

/**
 * Vectorises f over a mapped axis of its inputs: a batching interpreter applies each
 * primitive's batching rule once, whatever the batch size (no loop). With `axisName`,
 * collectives over that name inside f act across the mapped axis (JAX's semantics).
 * @example const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys);
 * @example const centred = vmap((x) => np.sub(x, pmean(x, 'b')), { axisName: 'b' })(xs);
 */
export function vmap(f: Fn, opts: VmapOptions = {}) {
  checkAxesSpec(opts.inAxes, 'inAxes');
  checkAxesSpec(opts.outAxes, 'outAxes');
  return (...args: unknown[]) =>
    scope(() => {
      const argnums = args.map((_, i) => i);
      // null is a value here (nothing mapped), so only a missing option defaults to 0.
      const inAxes = opts.inAxes === undefined ? 0 : opts.inAxes;
      const perLeaf = tree.broadcastPrefix<number | null>(inAxes, args, 'vmap: inAxes', isAxisLeaf);
      const raw = tree.leaves(args);
      const ps = tree.paths(args);
      // A leaf that is not an array nor a JS scalar (a function, a string) reaches f as it is when it is not mapped, as
      // JAX passes an unmapped object through (test_vmap_unbatched_object_passthrough_issue_183): a placeholder here.
      const opaque = raw.map((l, i) => {
        const other = !isArray(l) && typeof l !== 'number' && typeof l !== 'boolean';
        if (other && perLeaf[i] !== null) throw new Error(`vmap: the argument at ${argPath(ps[i])} is ${typeof l === 'object' ? 'an object' : `a ${typeof l}`}, which cannot be mapped; give it inAxes null`);
        return other;
      });
      const flatArgs = opaque.some(Boolean) ? tree.unflatten<unknown[]>(tree.structure(args), raw.map((l, i) => (opaque[i] ? 0 : l))) : args;
      // A JS scalar returned keeps JAX's dtype for it (an integral number int32, as under jit), broadcast over the axis.
      const { leaves, flat, outDef, outTree } = flatOver(f, flatArgs, argnums, 'vmap', weakScalar);
      const given = opts.axisSize;
      if (given !== undefined && !(Number.isInteger(given) && given >= 0)) throw new Error(`vmap: axisSize must be a non-negative integer, got ${given}`);
      let size: number | null = given ?? null;
      let sizeAt = 'axisSize';
      const axes: BDim[] = leaves.map((l, i) => {
        const ax = perLeaf[i];
        if (ax === null) return null;
        const s = shapeOf(l);
        let a: number;
        try {
          a = normAxis(ax, s.length, 'vmap');
        } catch {
          throw new Error(`vmap: inAxes ${ax} for the argument at ${argPath(ps[i])} is out of range for its shape ${shapeStr(s)}`);
        }
        if (size === null) {
          size = s[a];
          sizeAt = argPath(ps[i]);
        } else if (s[a] !== size)
          throw new Error(`vmap: the argument at ${argPath(ps[i])} has size ${s[a]} on its mapped axis ${a}, but ${sizeAt === 'axisSize' ? 'axisSize is' : `the argument at ${sizeAt} has size`} ${size}`);
        return a;
      });
      if (size === null)
        throw new Error(`vmap: no argument is mapped (${leaves.length === 0 ? 'the arguments hold no arrays' : 'every inAxes is null'}); give the size with { axisSize }`);
      const outName = (i: number) => {
        const p = tree.paths(outTree())[i];
        return p === '.' ? 'the output' : `the output at ${p}`;
      };
      if (opts.axisName !== undefined && (typeof opts.axisName !== 'string' || opts.axisName === ''))
        throw new Error(`vmap: axisName must be a non-empty string, got ${JSON.stringify(opts.axisName)}`);
      // An unmapped JS number or boolean reaches f as it is (as JAX passes an unmapped Python scalar): weakly
      // typed, and usable as a static argument of a jitted f; so does an unmapped function or string.
      const ins = leaves.map((l, i) => (axes[i] === null && !isArray(raw[i]) ? (raw[i] as unknown as NdArray) : l));
      const outs = vmapFlat(flat, ins, axes, () => tree.broadcastPrefix<number | null>(opts.outAxes === undefined ? 0 : opts.outAxes, outTree(), 'vmap: outAxes', isAxisLeaf), size, outName, opts.axisName ?? null);
      return tree.unflatten<any>(outDef(), outs);
    });
}

/**
 * Blocks derivatives through x (any pytree of arrays): its value passes, its gradient is zero.
 * A JS number or boolean leaf becomes a scalar array of its weak dtype, as jax.lax.stop_gradient(3) is an int32 array.
 */
export function stopGradient<T>(x: T): T {
  return tree.map((l: NdArray | number | boolean) => lax.stopGradient(typeof l === 'number' || typeof l === 'boolean' ? weakScalar(l) : l), x);
}

/**
 * The transpose of a linear function (jax.linear_transpose): for f linear in its arguments,
 * `linearTranspose(f, ...primals)(ct)` is the list of cotangents, one per primal (a tree like
 * it), J^T ct. The primals (arrays or `shapeDtypeStruct`s) give only shapes and dtypes: the
 * VJP is taken at zeros, which for a linear f is its transpose anywhere. f is assumed linear,
 * as in JAX (which raises on transposing a non-linear primitive; tfjax does not check, and
 * gives the transpose of f's derivative at zero). float32 -> float32 functions only.
 * @example const fT = linearTranspose((x) => np.matmul(A, x), shapeDtypeStruct([3])); fT(y)[0] // A^T y
 */
export function linearTranspose(f: Fn, ...primals: unknown[]): (ct: unknown) => any[] {
  const [avals, inDef] = abstractArgs(primals, 'linearTranspose');
  const outs = tree.leaves<Aval>(evalShape(f, ...primals));
  if ([...avals, ...outs].some((a) => a.dtype !== 'float32'))
    throw new Error(`linearTranspose: only float32 -> float32 functions can be transposed, got (${avals.map(avalStr).join(', ')}) -> (${outs.map(avalStr).join(', ')})`);
  return (ct: unknown) =>
    scope(() => {
      const zeros = tree.unflatten<unknown[]>(inDef, avals.map((a) => lax.full(a.shape, 0)));
      return vjp(f, ...zeros)[1](ct);
    });
}
