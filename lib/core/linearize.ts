/**
 * linearize (jax.linearize): f's value at a point and its JVP there as a function of the
 * tangents alone. The JVP is traced once with the primal values concrete, so the primal
 * computation runs now and the returned function replays only the tangent program.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';
import { shapeStr } from './aval.js';
import { flattenArrays, isHasAuxOption, splitAux } from './args.js';
import { evalJaxpr } from './control/jaxpr-fn.js';
import { jvpFlat } from './interpreters/jvp.js';
import { type Jaxpr, disposeJaxpr } from './jit/ir.js';
import { type Program, compile } from './jit/program.js';
import { traceToJaxpr } from './jit/staging.js';
import { scope } from './scope.js';
import { type NdArray, avalOf, isTracer, shapeOf } from './trace.js';

/** The linear map `linearize` returns: tangents (trees like the primals) to the output's tangent. */
export interface Linearized {
  (...tangents: unknown[]): any;
  /** Frees the primal values the tangent program holds (outside transformations). */
  dispose(): void;
}

/**
 * `[f(...primals), fLin]` where `fLin(...tangents)` equals `jvp(f, primals, tangents)[1]`,
 * without recomputing f's primal part on each call (loops and branches inside control-flow
 * primitives re-run theirs). Call `fLin.dispose()` when done with it.
 * @example
 * const [y, fLin] = linearize((x) => np.sin(x), np.array([0, 1]));
 * fLin(np.array([1, 1])); // cos([0, 1]) = [1, 0.5403]
 * A last argument `{ hasAux: true }` (f returns [out, aux], JAX's has_aux) gives `[out, fLin, aux]`.
 */
export function linearize(f: (...args: any[]) => any, ...primals: unknown[]): [any, Linearized, any?] {
  const last = primals[primals.length - 1];
  if (isHasAuxOption(last)) return last.hasAux ? linearizeWithAux(f, primals.slice(0, -1)) : linearizeFlat(f, primals.slice(0, -1));
  return linearizeFlat(f, primals);
}

/** linearize of f returning [out, aux]: the aux's value is kept, its tangents dropped at each call. */
function linearizeWithAux(f: (...args: any[]) => any, primals: unknown[]): [any, Linearized, any] {
  const [[out, aux], both] = linearizeFlat(splitAux(f, 'linearize'), primals) as [[unknown, unknown], Linearized];
  const fLin = ((...ts: unknown[]) => scope(() => (both(...ts) as unknown[])[0])) as Linearized;
  fLin.dispose = () => both.dispose();
  return [out, fLin, aux];
}

/** linearize's work: the primal outputs now, and the tangent program as a function. */
function linearizeFlat(f: (...args: any[]) => any, primals: unknown[]): [any, Linearized] {
  const [leaves, inDef] = flattenArrays(primals, 'linearize: primal');
  let outDef: tree.TreeDef | undefined;
  const flat = (...ls: NdArray[]) => {
    const [outs, def] = flattenArrays(f(...tree.unflatten<unknown[]>(inDef, ls)), 'linearize: output');
    outDef = def;
    return outs;
  };
  const tangentsOf = (ts: unknown[]) => {
    const [tls, tdef] = flattenArrays(ts, 'linearize: tangent');
    tree.assertSameStructure(tdef, inDef, 'linearize: tangents and primals');
    tls.forEach((t, i) => {
      if (shapeStr(shapeOf(t)) !== shapeStr(shapeOf(leaves[i]!))) throw new Error(`linearize: tangent ${i} has shape ${shapeStr(shapeOf(t))}, its primal ${shapeStr(shapeOf(leaves[i]!))}`);
      // As JAX's "linearized function called on tangent values inconsistent with the original primal values":
      // an int32 tangent of a float32 primal would run the tangent program in int32 (an int primal's stand-in for float0 is its own dtype).
      const [td, pd] = [avalOf(t).dtype, avalOf(leaves[i]!).dtype];
      if (td !== pd) throw new Error(`linearize: tangent ${i} has dtype ${td}, its primal ${pd}; they must match`);
    });
    return tls;
  };
  if (leaves.some(isTracer)) {
    // Under another transformation the primals are not concrete: fLin runs jvp each time.
    const outs = flat(...leaves);
    const fLin = ((...ts: unknown[]) => tree.unflatten(outDef!, jvpFlat(flat, leaves, tangentsOf(ts))[1])) as Linearized;
    fLin.dispose = () => {};
    return [tree.unflatten(outDef!, outs), fLin];
  }
  let jaxpr!: Jaxpr;
  const outs = tf.tidy(() => {
    let ps: NdArray[] = [];
    jaxpr = traceToJaxpr((...ts) => {
      const [p, t] = jvpFlat(flat, leaves, ts);
      ps = p;
      return t;
    }, leaves.map(avalOf));
    // A primal computed inside a staged primitive (a loop's JVP) is not concrete: compute it.
    return (ps.every((p) => !isTracer(p)) ? ps : flat(...leaves)) as tf.Tensor[];
  });
  let program: Program | undefined;
  const fLin = ((...ts: unknown[]) =>
    scope(() => {
      const tls = tangentsOf(ts);
      const res = tls.some(isTracer) ? evalJaxpr(jaxpr, tls) : (program ??= compile(jaxpr)).run(tls as tf.Tensor[]);
      return tree.unflatten(outDef!, res);
    })) as Linearized;
  fLin.dispose = () => disposeJaxpr(jaxpr);
  return [tree.unflatten(outDef!, outs), fLin];
}
