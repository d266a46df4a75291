/**
 * Euclidean projections onto convex sets (optax.projections, `projections/_projections.py`), for
 * projected gradient descent: `params = projectionSimplex(applyUpdates(params, updates))`. Each
 * takes a tree and treats all its leaves as one flat vector (the simplex and l1 sets), or works
 * leaf by leaf where the set is a product (box, l-infinity ball).
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { treeAddScale, treeMul, treeNorm, treeScale, treeVdot } from './tree-utils.js';
import { ravelTree } from './util.js';

type Scalar = number | NdArray;

/** `max(x, 0)` on every leaf (projection_non_negative). */
export const projectionNonNegative = <T>(t: T): T => tree.map<T>((x: NdArray) => np.maximum(x, 0), t);

/** A bound of a box: a number or array for every leaf, or a tree shaped like the parameters. */
export type Bound = Scalar | Record<string, unknown> | readonly unknown[];

const boundLeaves = (bound: Bound, t: unknown, what: string): Scalar[] => {
  const n = tree.leaves(t).length;
  if (typeof bound === 'number' || (bound !== null && typeof bound === 'object' && 'dtype' in bound && 'shape' in bound))
    return Array.from({ length: n }, () => bound as Scalar);
  return tree.flattenUpTo(tree.structure(t), bound, `projectionBox: ${what}`) as Scalar[];
};

/** Every leaf clipped to `[lower, upper]` (projection_box); the bounds are scalars or trees like `t`. */
export function projectionBox<T>(t: T, lower: Bound, upper: Bound): T {
  const [leaves, def] = tree.flatten<NdArray>(t);
  const lo = boundLeaves(lower, t, 'lower');
  const hi = boundLeaves(upper, t, 'upper');
  return tree.unflatten<T>(def, leaves.map((x, i) => np.clip(x, lo[i], hi[i])));
}

/** Every leaf clipped to `[0, scale]` (projection_hypercube). */
export const projectionHypercube = <T>(t: T, scale: Bound = 1): T => projectionBox(t, 0, scale);

/** Every leaf clipped to `[-scale, scale]` (projection_linf_ball). */
export const projectionLinfBall = <T>(t: T, scale: Scalar = 1): T => projectionBox(t, typeof scale === 'number' ? -scale : np.neg(scale), scale);

/**
 * The projection of a vector onto the unit simplex {x >= 0, sum x = 1}: sort descending,
 * `rho = #{k : u_k + (1 - cumsum(u)_k) / k > 0}`, `x = relu(v - (cumsum(u)_rho - 1) / rho)`.
 * Written without dynamic indexing (the threshold is picked by a one-hot over k), so it traces.
 */
function projectUnitSimplex(v: NdArray): NdArray {
  const n = v.shape[0];
  const u = np.flip(np.sort(v));
  const cs = np.cumsum(u);
  const k = np.arange(1, n + 1);
  const cond = np.greater(np.add(np.div(1, k), np.sub(u, np.div(cs, k))), 0);
  const rho = np.sum(np.cast(cond, 'float32'));
  const theta = np.sum(np.where(np.equal(k, rho), np.div(np.sub(cs, 1), k), 0));
  return np.maximum(np.sub(v, theta), 0);
}

/**
 * The projection onto the simplex `{x >= 0, sum x = scale}` of all leaves seen as one vector
 * (projection_simplex).
 */
export function projectionSimplex<T>(t: T, scale: Scalar = 1): T {
  const [flat, unravel] = ravelTree(t, 'projection');
  return unravel(np.mul(scale, projectUnitSimplex(np.div(flat, scale))));
}

/** The projection onto the l1 sphere `{‖x‖₁ = scale}` (projection_l1_sphere): `sign(x) · simplex(|x|)`. */
export function projectionL1Sphere<T>(t: T, scale: Scalar = 1): T {
  const abs = tree.map<T>((x: NdArray) => np.abs(x), t);
  const sign = tree.map<T>((x: NdArray) => np.sign(x), t);
  return treeMul(sign, projectionSimplex(abs, scale));
}

/** The projection onto the l1 ball `{‖x‖₁ <= scale}` (projection_l1_ball): `t` itself when inside. */
export function projectionL1Ball<T>(t: T, scale: Scalar = 1): T {
  const inside = np.lessEqual(treeNorm(t, 1), scale);
  const sphere = projectionL1Sphere(t, scale);
  return tree.map<T>((x: NdArray, y: NdArray) => np.where(inside, x, y), t, sphere);
}

/** The projection onto the l2 sphere `{‖x‖₂ = scale}` (projection_l2_sphere): `scale · x / ‖x‖`. */
export const projectionL2Sphere = <T>(t: T, scale: Scalar = 1): T => treeScale(np.div(scale, treeNorm(t)), t);

/** The projection onto the l2 ball `{‖x‖₂ <= scale}` (projection_l2_ball): `x · scale / max(‖x‖, scale)`. */
export function projectionL2Ball<T>(t: T, scale: Scalar = 1): T {
  const sq = treeNorm(t, 2, true);
  return treeScale(np.div(scale, np.sqrt(np.maximum(sq, np.mul(scale, scale)))), t);
}

/** The projection of `x` onto the line spanned by `a` (projection_vector): `(⟨x, a⟩ / ⟨a, a⟩) a`. */
export const projectionVector = <T>(x: T, a: T): T => treeScale(np.div(treeVdot(x, a), treeVdot(a, a)), a);

/** The projection onto the hyperplane `{⟨a, x⟩ = b}` (projection_hyperplane). */
export const projectionHyperplane = <T>(x: T, a: T, b: Scalar): T => treeAddScale(x, np.div(np.sub(b, treeVdot(x, a)), treeVdot(a, a)), a);

/** The projection onto the half-space `{⟨a, x⟩ <= b}` (projection_halfspace). */
export const projectionHalfspace = <T>(x: T, a: T, b: Scalar): T =>
  treeAddScale(x, np.minimum(np.div(np.sub(b, treeVdot(x, a)), treeVdot(a, a)), 0), a);
