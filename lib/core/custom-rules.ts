/**
 * Custom derivative rules (jax.custom_vjp, jax.custom_jvp): a function with its own reverse-
 * or forward-mode rule, given at creation or by JAX's decorator-style methods (defVjp, defJvp,
 * defJvps), with JAX's nondiff_argnums.
 */
import * as tree from '../tree/index.js';
import { avalStr, isFloat, shapeStr } from './aval.js';
import { argPath, describe, flattenArrays } from './args.js';
import { vjpFlat } from './interpreters/vjp.js';
import * as lax from './lax.js';
import { type NdArray, avalOf, bindCustomVjp, shapeOf } from './trace.js';

type Fn = (...args: any[]) => any;

/** The positions of JAX's `nondiff_argnums` (negative ones counting from the end), checked against the call. */
function nondiffPositions(argnums: readonly number[] | undefined, n: number, what: string): number[] {
  const list = (argnums ?? []).map((i) => {
    if (!Number.isInteger(i) || i < -n || i >= n) throw new Error(`${what}: nondiffArgnums ${i} is out of range for ${n} argument(s)`);
    return i < 0 ? i + n : i;
  });
  return [...new Set(list)].sort((a, b) => a - b);
}

/**
 * Splits a call's arguments at `nondiff` positions: the values held there (passed as they are,
 * never flattened nor differentiated), the others, and a function rebuilding the full list from
 * new values of the others.
 */
function splitNondiff(args: readonly unknown[], nondiff: readonly number[]) {
  const fixed = nondiff.map((i) => args[i]);
  const diff = args.filter((_, i) => !nondiff.includes(i));
  const full = (d: readonly unknown[]) => {
    let k = 0;
    return args.map((a, i) => (nondiff.includes(i) ? a : d[k++]));
  };
  return { fixed, diff, full };
}

/** bwd's cotangents with each `null` (JAX's None: a zero cotangent) replaced by zeros of the argument subtree there. */
function zerosForNull(g: unknown, arg: unknown): unknown {
  const hole = (x: unknown) => x === null || x === undefined;
  try {
    // Through any node kind, registered classes included: a hole takes the argument's whole subtree there.
    return tree.map((c: unknown, a: unknown) => (hole(c) ? tree.map((l: NdArray) => lax.zerosLike(l), a) : c), g, arg, { isLeaf: hole });
  } catch {
    return g; // the structures differ: the check that follows names where
  }
}

export interface CustomVjpRules {
  /** `fwd(...args) -> [out, residuals]` (every argument, the nondiff ones included); or set later with `.defVjp`. */
  readonly fwd?: (...args: any[]) => [unknown, unknown];
  /** `bwd(...nondiffArgs, residuals, ct) -> [cotangent per differentiated argument]`; a `null` cotangent is zeros (JAX's None). */
  readonly bwd?: (...args: any[]) => unknown[];
  /** JAX's `nondiff_argnums`: arguments passed as they are (JS values, functions, ...) to f, fwd and, first, bwd; they get no cotangent. */
  readonly nondiffArgnums?: readonly number[];
  /** JAX's `symbolic_zeros` (fwd gets `CustomVJPPrimal`s, bwd may return `SymbolicZero`s): not supported, `true` is an error. */
  readonly symbolicZeros?: boolean;
}

/** A function made by {@link customVjp}: callable, its rules set (or replaced) by `defVjp` as JAX's `f.defvjp(fwd, bwd)`. */
export interface CustomVjpFunction {
  (...args: any[]): any;
  /** JAX's `defvjp`: sets `fwd` and `bwd` (written as in {@link CustomVjpRules}). */
  defVjp(fwd: (...args: any[]) => [unknown, unknown], bwd: (...args: any[]) => unknown[]): void;
}

/**
 * A function with a user-supplied backward pass, like JAX's custom_vjp.
 * `fwd(...args) -> [out, residuals]`, `bwd(residuals, outCotangent) -> [cotangent per arg]`,
 * a `null` cotangent meaning zeros (JAX's None). With `nondiffArgnums` (JAX's `nondiff_argnums`),
 * those arguments are passed as they are (not flattened nor differentiated), and bwd takes them
 * first: `bwd(...nondiffArgs, residuals, ct)`, returning cotangents for the other arguments only.
 * The rules may also be set after the function, as JAX's decorator style: `f.defVjp(fwd, bwd)`.
 * @example
 * const clipGrad = customVjp((x) => x, {
 *   fwd: (x) => [x, null],
 *   bwd: (_r, g) => [np.clip(g, -1, 1)],
 * });
 * @example const clipBy = customVjp((c: number, x) => x, { nondiffArgnums: [0], fwd: (c, x) => [x, null], bwd: (c, _r, g) => [np.clip(g, -c, c)] });
 */
export function customVjp(f: Fn, rules: CustomVjpRules = {}): CustomVjpFunction {
  if (rules.symbolicZeros) throw new Error('customVjp: symbolicZeros is not supported (fwd gets the arguments as they are, and a null cotangent from bwd is zeros)');
  let { fwd, bwd } = rules;
  const call = (...args: unknown[]) => {
    if (!fwd || !bwd) throw new Error('customVjp: no fwd and bwd rules; give them in the options or with .defVjp(fwd, bwd) before calling');
    const [fw, bw] = [fwd, bwd];
    const nondiff = nondiffPositions(rules.nondiffArgnums, args.length, 'customVjp');
    if (!nondiff.length) return customVjpCall(f, fw, bw, args);
    const { fixed, diff, full } = splitNondiff(args, nondiff);
    return customVjpCall(
      (...d) => f(...full(d)),
      (...d) => fw(...full(d)),
      (res, ct) => bw(...fixed, res, ct),
      diff,
      true,
    );
  };
  return Object.assign(call, {
    defVjp: (newFwd: (...args: any[]) => [unknown, unknown], newBwd: (...args: any[]) => unknown[]) => {
      [fwd, bwd] = [newFwd, newBwd];
    },
  });
}

/** customVjp over arguments that are all differentiated (pytrees of arrays and numbers). */
function customVjpCall(f: Fn, fwd: (...args: any[]) => [unknown, unknown], bwd: (residuals: any, ct: any) => unknown[], args: unknown[], nondiff = false): any {
  const [leaves, inDef] = flattenArrays(args, 'customVjp: argument');
  let outDef: tree.TreeDef | undefined;
  let resDef: tree.TreeDef | undefined;
  const flatOut = (out: unknown, what: string) => {
    const [ls, def] = flattenArrays(out, what);
    // As JAX checks: fwd's primal output has f's structure.
    if (outDef) tree.assertSameStructure(outDef, def, 'customVjp: the output of fwd and of the function');
    outDef ??= def;
    return ls;
  };
  const outs = bindCustomVjp(
    {
      fun: (...ls) => flatOut(f(...tree.unflatten<unknown[]>(inDef, ls)), 'customVjp: output'),
      fwd: (...ls) => {
        const r = fwd(...tree.unflatten<unknown[]>(inDef, ls));
        // JAX's "Custom VJP fwd rule must produce a pair (list or tuple of length two)".
        if (!Array.isArray(r) || r.length !== 2) throw new Error(`customVjp: fwd must return a pair [out, residuals], got ${Array.isArray(r) ? `a list of length ${r.length}` : describe(r)}`);
        const [rl, rd] = flattenArrays(r[1], 'customVjp: residual');
        resDef = rd;
        return [flatOut(r[0], 'customVjp: fwd output'), rl];
      },
      bwd: (res, cts) => {
        const g = bwd(tree.unflatten(resDef!, res), tree.unflatten(outDef!, cts));
        if (!Array.isArray(g) || g.length !== args.length)
          throw new Error(`customVjp: bwd must return an array with one cotangent per argument (${args.length}${nondiff ? ', the nondiffArgnums excluded' : ''})`);
        const [gl, gdef] = flattenArrays(zerosForNull(g, tree.unflatten(inDef, leaves)), 'customVjp: bwd result');
        tree.assertSameStructure(inDef, gdef, 'customVjp: bwd result and arguments');
        // As JAX checks: a cotangent of another shape would become the argument's gradient unnoticed.
        const at = tree.paths(args).map(argPath);
        gl.forEach((c, i) => {
          if (shapeStr(shapeOf(c)) !== shapeStr(shapeOf(leaves[i])))
            throw new Error(`customVjp: bwd gave a cotangent of shape ${shapeStr(shapeOf(c))} for ${at[i]}, of shape ${shapeStr(shapeOf(leaves[i]))}; they must match`);
          // And its dtype (JAX's ValueError): an int32 cotangent would become a float argument's gradient.
          if (isFloat(avalOf(leaves[i]!).dtype) && !isFloat(avalOf(c).dtype))
            throw new Error(`customVjp: bwd gave a cotangent ${avalStr(avalOf(c))} for ${at[i]}, which is ${avalStr(avalOf(leaves[i]!))}; a float32 argument needs a float32 cotangent of its shape`);
        });
        return gl;
      },
    },
    leaves,
  );
  return tree.unflatten<any>(outDef!, outs);
}

export interface CustomJvpOptions {
  /** JAX's `nondiff_argnums`: arguments passed as they are (JS values, functions, ...) to f and, first, to the rule, which gets primals and tangents of the others only. */
  readonly nondiffArgnums?: readonly number[];
}

/** A jvp rule: `(primals, tangents) -> [out, tangentOut]`, with `nondiffArgnums` `(...nondiff, primals, tangents)`. */
export type JvpRule = (...args: any[]) => [unknown, unknown];
/** One argument's part of a rule for `defJvps`: `(tangent, primalOut, ...primals) -> its contribution to the output tangent`. */
export type PartialJvp = (tangent: any, primalOut: any, ...primals: any[]) => unknown;

/** A function made by {@link customJvp}: callable, its rule set (or replaced) by `defJvp` or `defJvps`, as JAX's. */
export interface CustomJvpFunction {
  (...args: any[]): any;
  /** JAX's `defjvp`: sets the rule and returns it. */
  defJvp<R extends JvpRule>(rule: R): R;
  /**
   * JAX's `defjvps`: one {@link PartialJvp} per argument (`null` for an argument the output does
   * not depend on); the output tangent is the sum of their contributions. Not with `nondiffArgnums`.
   */
  defJvps(...jvps: (PartialJvp | null)[]): void;
}

/**
 * A function with a user-supplied forward-mode rule, like JAX's custom_jvp:
 * `jvp(primals, tangents) -> [out, tangentOut]`, primals and tangents being the argument
 * lists, the rule linear in the tangents. Reverse mode (grad, vjp) transposes the rule, so one
 * rule serves both modes; vmap maps it. Typical use: a numerically safe derivative. With
 * `nondiffArgnums` the rule is `jvp(...nondiffArgs, primals, tangents)`, as JAX's. The rule may
 * be given later, as JAX's decorator style: `customJvp(f)` (or `customJvp(f, { nondiffArgnums })`)
 * then `.defJvp(rule)` or `.defJvps(...partials)`.
 * @example
 * // log(1 + exp(x)) whose derivative is sigmoid(x), finite for large x
 * const softplus = customJvp((x) => np.logaddexp(x, 0), ([x], [t]) => [np.logaddexp(x, 0), np.mul(t, np.sigmoid(x))]);
 * @example
 * const f = customJvp((x, y) => np.mul(np.sin(x), y));
 * f.defJvps((xDot, _out, x, y) => np.mul(np.mul(np.cos(x), xDot), y), (yDot, _out, x) => np.mul(np.sin(x), yDot));
 */
export function customJvp(f: Fn, jvpRule?: JvpRule | CustomJvpOptions, options: CustomJvpOptions = {}): CustomJvpFunction {
  const opts = typeof jvpRule === 'object' ? jvpRule : options;
  let rule = typeof jvpRule === 'function' ? jvpRule : undefined;
  const call = (...args: unknown[]) => {
    if (!rule) throw new Error('customJvp: no jvp rule; give one as the second argument or with .defJvp(rule) / .defJvps(...) before calling');
    const r = rule;
    const nondiff = nondiffPositions(opts.nondiffArgnums, args.length, 'customJvp');
    if (!nondiff.length) return customJvpCall(f, r, args);
    const { fixed, diff, full } = splitNondiff(args, nondiff);
    return customJvpCall((...d) => f(...full(d)), (primals, tangents) => r(...fixed, primals, tangents), diff);
  };
  return Object.assign(call, {
    defJvp: <R extends JvpRule>(newRule: R): R => {
      rule = newRule;
      return newRule;
    },
    defJvps: (...jvps: (PartialJvp | null)[]) => {
      if (opts.nondiffArgnums?.length) throw new Error('customJvp: defJvps cannot be used with nondiffArgnums (as JAX\'s defjvps); use defJvp');
      rule = (primals: unknown[], tangents: unknown[]) => {
        if (jvps.length !== primals.length) throw new Error(`customJvp: defJvps was given ${jvps.length} function(s) for ${primals.length} argument(s); give one per argument (null for none)`);
        const out = f(...primals);
        const parts = jvps.flatMap((j, i) => (j ? [j(tangents[i], out, ...primals)] : []));
        const zeros = () => tree.map((o: NdArray) => lax.zerosLike(o), out);
        return [out, parts.length ? parts.reduce((a, b) => tree.map((u: NdArray, v: NdArray) => lax.add(u, v), a, b)) : zeros()];
      };
    },
  });
}

/** customJvp over arguments that are all differentiated (pytrees of arrays and numbers). */
function customJvpCall(f: Fn, jvpRule: (primals: any[], tangents: any[]) => [unknown, unknown], args: unknown[]): any {
  const [leaves, inDef] = flattenArrays(args, 'customJvp: argument');
  let outDef: tree.TreeDef | undefined;
  const flatOut = (out: unknown, what: string) => {
    const [ls, def] = flattenArrays(out, what);
    if (outDef) tree.assertSameStructure(outDef, def, `${what} and the output`);
    outDef ??= def;
    return ls;
  };
  const rule = (xs: NdArray[], ts: NdArray[]): [NdArray[], NdArray[]] => {
    const r = jvpRule(tree.unflatten<unknown[]>(inDef, xs), tree.unflatten<unknown[]>(inDef, ts));
    if (!Array.isArray(r) || r.length !== 2) throw new Error('customJvp: the jvp rule must return [out, tangentOut]');
    const [out, tan] = [flatOut(r[0], 'customJvp: the rule\'s out'), flatOut(r[1], 'customJvp: the rule\'s tangentOut')];
    // As JAX checks: each tangent must have its output's shape.
    tan.forEach((t, i) => {
      if (shapeStr(shapeOf(t)) !== shapeStr(shapeOf(out[i])))
        throw new Error(`customJvp: the rule's tangentOut ${i} has shape ${shapeStr(shapeOf(t))}, its output ${shapeStr(shapeOf(out[i]))}; they must match`);
      // And its dtype (JAX's TypeError): an int32 tangent of a float output would read as a zero derivative.
      if (isFloat(avalOf(out[i]!).dtype) && !isFloat(avalOf(t).dtype))
        throw new Error(`customJvp: the rule's tangentOut ${i} is ${avalStr(avalOf(t))}, its output ${avalStr(avalOf(out[i]!))}; the tangent of a float32 output must be float32 of its shape`);
    });
    return [out, tan];
  };
  const outs = bindCustomVjp(
    {
      fun: (...ls) => flatOut(f(...tree.unflatten<unknown[]>(inDef, ls)), 'customJvp: output'),
      fwd: (...ls) => [flatOut(f(...tree.unflatten<unknown[]>(inDef, ls)), 'customJvp: output'), ls],
      // The rule's tangent map is linear: its VJP (taken at zero tangents) is its transpose.
      bwd: (xs, cts) => vjpFlat((...ts) => rule(xs, ts)[1], xs.map((x) => lax.zerosLike(x)))[1](cts),
      jvp: rule,
    },
    leaves,
  );
  return tree.unflatten<any>(outDef!, outs);
}
