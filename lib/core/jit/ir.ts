/** The IR that jit traces to: a flat list of equations over typed variables (a jaxpr). */
import type * as tf from '@tensorflow/tfjs-core';
import { type Aval, avalStr } from '../aval.js';
import type { HigherOrderPrim, Params, Prim } from '../prim-types.js';

/** Kernels that only exist after jit's rewrites (see rewrite/fuse.ts). */
export type FusedPrim = 'fused_matmul' | 'fused_conv' | 'fused_elementwise';

export class Var {
  constructor(
    readonly id: number,
    readonly aval: Aval,
  ) {}
}

export interface Eqn {
  readonly prim: Prim | FusedPrim | HigherOrderPrim;
  readonly inputs: readonly Var[];
  readonly params: Params;
  readonly out: Var;
  /** Further results of the same kernel launch (fused and higher-order equations have them). */
  readonly extraOuts?: readonly Var[];
}

/** All results of an equation: `out`, then any `extraOuts`. */
export const outsOf = (e: Eqn): readonly Var[] => (e.extraOuts ? [e.out, ...e.extraOuts] : [e.out]);

export interface Jaxpr {
  readonly invars: readonly Var[];
  readonly constvars: readonly Var[];
  /** Values of the constvars, owned by the jaxpr (see `disposeJaxpr`). */
  readonly consts: readonly tf.Tensor[];
  readonly eqns: readonly Eqn[];
  readonly outvars: readonly Var[];
}

const isJaxpr = (v: unknown): v is Jaxpr => typeof v === 'object' && v !== null && 'eqns' in v && 'outvars' in v;

function paramText(v: unknown): string {
  // Sub-jaxprs (loop bodies, branches) print nested, indented under their equation.
  if (isJaxpr(v)) return `\n${printJaxpr(v).replace(/^/gm, '      ')}\n   `;
  return Array.isArray(v) ? `[${v.map(paramText).join(',')}]` : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/**
 * Readable text of a jaxpr, e.g.
 * ```
 * { lambda c0:f32[1,1] ; a:f32[3,4] b:f32[4,2] .
 *     d:f32[3,2] = dot[transposeA=false transposeB=false] a b
 *     e:f32[3,2] = max d c0
 *   in ( e ) }
 * ```
 */
export function printJaxpr(j: Jaxpr): string {
  const names = new Map<Var, string>();
  const name = (v: Var) => {
    let n = names.get(v);
    if (!n) {
      let i = names.size;
      n = '';
      do {
        n = String.fromCharCode(97 + (i % 26)) + n;
        i = Math.floor(i / 26) - 1;
      } while (i >= 0);
      names.set(v, n);
    }
    return n;
  };
  const decl = (v: Var) => `${name(v)}:${avalStr(v.aval)}`;
  const consts = j.constvars.map(decl).join(' ');
  const ins = j.invars.map(decl).join(' ');
  const lines = j.eqns.map((e) => {
    const ps = Object.entries(e.params)
      .map(([k, v]) => `${k}=${paramText(v)}`)
      .join(' ');
    return `    ${outsOf(e).map(decl).join(' ')} = ${e.prim}${ps ? `[${ps}]` : ''} ${e.inputs.map(name).join(' ')}`;
  });
  return `{ lambda ${consts} ; ${ins} .\n${lines.join('\n')}\n  in ( ${j.outvars.map(name).join(' ')} ) }`;
}

/** Frees the constants a traced jaxpr holds. */
export function disposeJaxpr(j: Jaxpr): void {
  for (const c of j.consts) c.dispose();
}
