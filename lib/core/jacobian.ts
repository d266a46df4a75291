/**
 * Jacobians over pytrees: jacrev (a vmapped VJP over the output's basis), jacfwd (a vmapped JVP
 * over the input's basis), hessian (forward over reverse), jacobian (jacrev under JAX's other name).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';
import { isFloat, sizeOf } from './aval.js';
import { type HolomorphicOption, assertDifferentiable, assertNotHolomorphic, auxArrays, flatOver, floatWeakInts, normArgnums } from './args.js';
import { vmapFlat } from './interpreters/batching.js';
import { jvpFlat } from './interpreters/jvp.js';
import { vjpFlat } from './interpreters/vjp.js';
import * as lax from './lax.js';
import { scope } from './scope.js';
import { type NdArray, avalOf, shapeOf } from './trace.js';

type Fn = (...args: any[]) => any;

/** An identity basis for an array of shape s: [size(s), ...s] (a constant). */
function basis(s: readonly number[]): NdArray {
  const n = sizeOf(s);
  return tf.reshape(tf.eye(n), [n, ...s]);
}

export interface JacobianOptions extends HolomorphicOption {
  readonly argnums?: number | readonly number[];
  /** f returns [out, aux]: the result is [Jacobian of out, aux] (JAX's has_aux). */
  readonly hasAux?: boolean;
}

export interface JacrevOptions extends JacobianOptions {
  /** jax.jacrev's `allow_int`: int32 and bool inputs get zero Jacobians of their dtype (JAX: float0), as grad's allowInt. */
  readonly allowInt?: boolean;
}

/**
 * A Jacobian transformation `jac` of f's first output, f returning [out, aux]: [jac, aux], the
 * aux from one more call of f (its value is not differentiated).
 */
function withAux(f: Fn, op: string, jac: (g: Fn) => (...args: unknown[]) => unknown) {
  const split = (...args: unknown[]): [unknown, unknown] => {
    const r = f(...args) as unknown;
    if (!Array.isArray(r) || r.length !== 2) throw new Error(`${op} with hasAux: the function must return [value, aux]`);
    return [r[0], r[1]];
  };
  const j = jac((...args: unknown[]) => split(...args)[0]);
  return (...args: unknown[]) => [j(...args), scope(() => auxArrays(split(...args)[1]))];
}

/**
 * The Jacobian by reverse mode: one vmapped VJP over the output's basis. Result leaves
 * have shape out.shape + in.shape (a tree of the input's structure per output leaf).
 */
export function jacrev(f: Fn, opts: JacrevOptions = {}): (...args: unknown[]) => any {
  if (opts.hasAux) return withAux(f, 'jacrev', (g) => jacrev(g, { ...opts, hasAux: false }));
  return (...given: unknown[]) =>
    scope(() => {
      assertNotHolomorphic(opts, 'jacrev');
      const argnums = normArgnums(opts.argnums, given.length, 'jacrev');
      const args = floatWeakInts(given, argnums);
      if (!opts.allowInt) assertDifferentiable(args, argnums, 'jacrev');
      const { leaves, inDef, flat, outDef } = flatOver(f, args, argnums, 'jacrev');
      const [outs, pullback] = vjpFlat(flat, leaves);
      assertFloatOutputs(outs, outDef());
      const perOut = outs.map((o, k) => {
        const os = shapeOf(o);
        const rows = vmapFlat((ct) => pullback(outs.map((x, j) => (j === k ? ct : lax.zerosLike(x)))), [basis(os)], [0], 0, sizeOf(os));
        const jac = rows.map((r, i) => lax.reshape(r, [...os, ...shapeOf(leaves[i])]));
        const t = tree.unflatten<unknown[]>(inDef, jac);
        return typeof opts.argnums === 'object' ? t : t[0];
      });
      return tree.unflatten<any>(outDef(), perOut);
    });
}

/** As JAX's jacrev ("requires real-valued outputs"): an int32 or bool output has no cotangent to pull back. */
function assertFloatOutputs(outs: readonly NdArray[], outDef: tree.TreeDef): void {
  const k = outs.findIndex((o) => !isFloat(avalOf(o).dtype));
  if (k < 0) return;
  const p = tree.paths(tree.unflatten(outDef, outs))[k];
  throw new TypeError(`jacrev requires real-valued (float32) outputs, but the output${p === '.' ? '' : ` at ${p}`} has dtype ${avalOf(outs[k]).dtype}; use jacfwd or vjp, or cast it with np.cast(y, 'float32')`);
}

/** jax.jacobian: the Jacobian by reverse mode, jacrev under JAX's other name. */
export const jacobian = jacrev;

/** The Jacobian by forward mode: one vmapped JVP over the input's basis. Same layout as jacrev. */
export function jacfwd(f: Fn, opts: JacobianOptions = {}): (...args: unknown[]) => any {
  if (opts.hasAux) return withAux(f, 'jacfwd', (g) => jacfwd(g, { argnums: opts.argnums, holomorphic: opts.holomorphic }));
  return (...given: unknown[]) =>
    scope(() => {
      assertNotHolomorphic(opts, 'jacfwd');
      const argnums = normArgnums(opts.argnums, given.length, 'jacfwd');
      const args = floatWeakInts(given, argnums);
      assertDifferentiable(args, argnums, 'jacfwd');
      const { leaves, inDef, flat, outDef } = flatOver(f, args, argnums, 'jacfwd');
      // cols[i][k]: d out_k / d in_i, shaped [size(in_i), ...out_k]
      const cols = leaves.map((l, i) => {
        const s = shapeOf(l);
        return vmapFlat((t) => jvpFlat(flat, leaves, leaves.map((x, j) => (j === i ? t : lax.zerosLike(x))))[1], [basis(s)], [0], 0, sizeOf(s));
      });
      // With no input leaves f runs once for its output structure: each output's Jacobian is then empty, as jacrev's.
      const nOut = cols[0]?.length ?? flat().length;
      const perOut = Array.from({ length: nOut }, (_, k) => {
        const jac = leaves.map((l, i) => {
          const c = cols[i][k]; // [n_in, ...out]
          const os = shapeOf(c).slice(1);
          const moved = lax.transpose(c, [...os.map((_, d) => d + 1), 0]);
          return lax.reshape(moved, [...os, ...shapeOf(l)]);
        });
        const t = tree.unflatten<unknown[]>(inDef, jac);
        return typeof opts.argnums === 'object' ? t : t[0];
      });
      return tree.unflatten<any>(outDef(), perOut);
    });
}

/**
 * The Hessian of a scalar f: forward over reverse.
 * @example hessian((x) => np.sum(np.mul(x, np.exp(x))))(np.array([0.5, 1]))
 */
export function hessian(f: Fn, opts: JacobianOptions = {}) {
  const h = jacfwd(jacrev(f, opts), opts);
  return (...given: unknown[]) => {
    assertNotHolomorphic(opts, 'hessian');
    const argnums = normArgnums(opts.argnums, given.length, 'hessian');
    const args = floatWeakInts(given, argnums);
    assertDifferentiable(args, argnums, 'hessian');
    return h(...args);
  };
}
