/**
 * Equinox's tree utilities that compute on arrays: eqx.tree_equal (structure, leaves and
 * array contents, exact or to a tolerance) and eqx.apply_updates (`model + updates`, a `null`
 * update leaving its leaf as it is).
 */
import * as tree from '../tree/index.js';
import { isFloat, shapeStr } from './aval.js';
import * as lax from './lax.js';
import { type NdArray, avalOf, isArray, shapeOf } from './trace.js';

export interface TreeEqualOptions {
  /** Also require leaves of the same kind (JS type, or array vs not); Equinox's typematch. */
  readonly typematch?: boolean;
  /** Float arrays compare as allclose(x, y, rtol, atol) when either is not 0 (default 0: exact). */
  readonly rtol?: number;
  readonly atol?: number;
}

const OPTION_KEYS = new Set(['typematch', 'rtol', 'atol']);

/** Whether the last argument of treeEqual is its options rather than a tree. */
const isTreeEqualOptions = (x: unknown): x is TreeEqualOptions =>
  tree.isPlainObject(x) && Object.keys(x).length > 0 && Object.keys(x).every((k) => OPTION_KEYS.has(k)) && Object.values(x).every((v) => typeof v === 'number' || typeof v === 'boolean');

/** A bool scalar: whether x and y (of one shape and dtype) are equal, or close for floats with a tolerance. */
function arraysEqual(x: NdArray, y: NdArray, rtol: number, atol: number): NdArray {
  const same = lax.cast(lax.eq(x, y), 'float32');
  const axes = shapeOf(x).map((_, i) => i);
  let ok = same;
  if (isFloat(avalOf(x).dtype) && (rtol !== 0 || atol !== 0)) {
    // |x - y| <= atol + rtol |y| (NumPy's allclose, equal_nan false); equal values (infinities) pass too.
    const abs = (v: NdArray) => lax.max(v, lax.neg(v));
    const rank = axes.length;
    const tol = lax.add(lax.scalar(atol, 'float32', rank), lax.mul(lax.scalar(rtol, 'float32', rank), abs(y)));
    ok = lax.max(same, lax.cast(lax.ge(tol, abs(lax.sub(x, y))), 'float32'));
  }
  return lax.ge(axes.length ? lax.reduceMin(ok, axes) : ok, lax.scalar(1));
}

/**
 * eqx.tree_equal: whether all the trees are equal. `false` when their structures differ, an
 * array meets a non-array, arrays differ in shape or dtype, or two other leaves differ (`!==`;
 * with `typematch`, also in JS type). Otherwise `true` when no arrays were compared, and a bool
 * scalar array when some were (as Equinox returns a JAX array: under a trace its value is not
 * known), true where all their values are equal (with `rtol` / `atol`, float arrays allclose).
 * A last argument `{ typematch?, rtol?, atol? }` is the options when at least two trees precede it.
 * @example await (tree.treeEqual(a, b) as NdArray).data() // [1]
 */
export function treeEqual(...args: unknown[]): boolean | NdArray {
  const last = args[args.length - 1];
  const opts: TreeEqualOptions = args.length >= 3 && isTreeEqualOptions(last) ? last : {};
  const trees = args.length >= 3 && isTreeEqualOptions(last) ? args.slice(0, -1) : args;
  const { typematch = false, rtol = 0, atol = 0 } = opts;
  if (trees.length === 0) throw new Error('treeEqual: no trees given');
  const [first, def] = tree.flatten(trees[0]);
  const checks: NdArray[] = [];
  for (const t of trees.slice(1)) {
    const [ls, d] = tree.flatten(t);
    if (tree.structureKey(d) !== tree.structureKey(def)) return false;
    for (let i = 0; i < ls.length; i++) {
      const [a, b] = [first[i], ls[i]];
      if (isArray(a) !== isArray(b)) return false;
      if (!isArray(a) || !isArray(b)) {
        if (a !== b || (typematch && typeof a !== typeof b)) return false;
        continue;
      }
      if (shapeStr(shapeOf(a)) !== shapeStr(shapeOf(b)) || avalOf(a).dtype !== avalOf(b).dtype) return false;
      checks.push(arraysEqual(a, b, rtol, atol));
    }
  }
  if (checks.length === 0) return true;
  // All of them: the minimum of their 0/1 values.
  return lax.ge(checks.map((c) => lax.cast(c, 'float32')).reduce((x, y) => lax.min(x, y)), lax.scalar(1));
}

/**
 * eqx.apply_updates: `model + updates` leaf by leaf, where `updates` is a prefix of `model`
 * (the gradient of filterGrad, the updates of an optimiser over its float arrays) and a `null`
 * update leaves the model's leaf (or subtree) as it is: strings, functions and int arrays pass.
 * Unlike optim.applyUpdates (optax's), no dtype cast is made.
 * @example model = applyUpdates(model, updates);
 */
export function applyUpdates<M>(model: M, updates: unknown): M {
  const isNull = (x: unknown) => x === null || x === undefined;
  const [us, def] = tree.flatten(updates, isNull);
  const parts = tree.flattenUpTo(def, model, 'applyUpdates: the updates and the model');
  return tree.unflatten<M>(
    def,
    us.map((u, i) => {
      if (isNull(u)) return parts[i];
      const p = parts[i];
      const asArray = (v: unknown, what: string): NdArray => {
        if (isArray(v)) return v;
        if (typeof v === 'number') return lax.scalar(v);
        throw new Error(`applyUpdates: ${what} at ${tree.paths(updates, isNull)[i]} is ${v === null ? 'null' : typeof v}, not an array or a number`);
      };
      return typeof p === 'number' && typeof u === 'number' ? p + u : lax.add(asArray(p, 'the model leaf'), asArray(u, 'the update'));
    }),
  );
}
