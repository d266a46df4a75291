/** The IR that jit traces to: a flat list of equations over typed variables (a jaxpr). */
import type * as tf from '@tensorflow/tfjs-core';
import { type Aval, type DType, avalStr, sameShape } from '../aval.js';
import type { ConvParams, DotParams, PrimParams } from '../prim-params.js';
import { EFFECTFUL, type HigherOrderPrim, type Params, type Prim } from '../prim-types.js';

/** Kernels that only exist after jit's rewrites (rewrite.ts, fuse-elementwise.ts). */
export type FusedPrim = 'fused_matmul' | 'fused_conv' | 'fused_elementwise';

/** The operations a fused elementwise chain (`fused_elementwise`) may contain. */
export const ELEMENTWISE_OPS = ['add', 'sub', 'mul', 'div', 'max', 'min', 'neg', 'relu', 'sign', 'exp', 'log', 'erf', 'tanh'] as const;
export type ElementwiseOp = (typeof ELEMENTWISE_OPS)[number];

/** How an input is read: at every element, by the last axis' index, once per row (by the other axes' index), or once. */
export type InputKind = 'full' | 'channel' | 'row' | 'scalar';

/** How an operand of shape `s` is read by a loop over `shape`; null where it cannot be. */
export function inputKindOf(s: readonly number[], shape: readonly number[]): InputKind | null {
  if (s.length > shape.length) return null;
  if (sameShape(s, shape)) return 'full';
  if (s.every((d) => d === 1)) return 'scalar';
  if (s[s.length - 1] === shape[shape.length - 1] && s.slice(0, -1).every((d) => d === 1)) return 'channel';
  if (s.length === shape.length && s[s.length - 1] === 1 && sameShape(s.slice(0, -1), shape.slice(0, -1))) return 'row';
  return null;
}

/**
 * What a `fused_elementwise` equation computes: one loop over `shape` applying `ops` to
 * its inputs (the wasm backend compiles it, lib/backend/wasm-elementwise.ts).
 */
export interface ElementwiseProgram {
  /** The result's shape; its last dimension is a multiple of 4. */
  readonly shape: readonly number[];
  readonly inputs: readonly InputKind[];
  /** Arguments: k < inputs.length is input k, otherwise the result of op k - inputs.length. */
  readonly ops: readonly { readonly op: ElementwiseOp; readonly args: readonly number[] }[];
  /** The value (an argument index) that is the result; by default the last op's (input 0 if there are none). */
  readonly result?: number;
  /**
   * Reduce the result, seen as [groups, rows, C], over its rows (the output is then
   * [groups, C]): a sum, or a maximum (NaN if any element is NaN).
   */
  readonly reduce?: { readonly op: 'sum' | 'max'; readonly groups: number };
  /**
   * Values (argument indices, as in `ops`) whose sums over every axis but the last are
   * further outputs ([C] each), computed in the same loop (not with `reduce`).
   */
  readonly sums?: readonly number[];
}

/** What jit's bias/ReLU fusion adds to a product's params. */
export type Epilogue = { activation: 'linear' | 'relu'; hasBias: boolean };

/** The fused primitives' parameters (their inputs: the product's two, then the bias if `hasBias`). */
export interface FusedParams {
  fused_matmul: DotParams & Epilogue;
  fused_conv: ConvParams & Epilogue;
  /** `outShape`: the equation's result shape (the program's, or its reduction's, reshaped). */
  fused_elementwise: { program: ElementwiseProgram; outShape: number[] };
}

/** The parameters of every primitive an equation may apply, keyed by its name. */
export type EqnParams = PrimParams & FusedParams;

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

/**
 * Whether `e` applies `prim`: its params then have that primitive's type, e.g.
 * `if (isEqnOf(e, 'dot')) e.params.transposeA`. Params are checked by the primitive's
 * rules when the equation is made (staging) or by the rewrite that makes it.
 */
export const isEqnOf = <K extends keyof EqnParams>(e: Eqn, prim: K): e is Eqn & { readonly prim: K; readonly params: EqnParams[K] } => e.prim === prim;

/** All results of an equation: `out`, then any `extraOuts`. */
export const outsOf = (e: Eqn): readonly Var[] => (e.extraOuts ? [e.out, ...e.extraOuts] : [e.out]);

export interface Jaxpr {
  readonly invars: readonly Var[];
  readonly constvars: readonly Var[];
  /** Values of the constvars, owned by the jaxpr (see `disposeJaxpr`). */
  readonly consts: readonly tf.Tensor[];
  readonly eqns: readonly Eqn[];
  readonly outvars: readonly Var[];
  /**
   * The constvars that hold JS-number literals, with their values: they are constants like
   * the others, and only printing differs (inline, as JAX prints a literal: `mul b 2.0`).
   */
  readonly literals?: ReadonlyMap<Var, number>;
}

export const isJaxpr = (v: unknown): v is Jaxpr => typeof v === 'object' && v !== null && 'eqns' in v && 'outvars' in v;

/**
 * Whether an equation has an effect (a debug callback, itself or in a sub-jaxpr: a loop body,
 * a branch): dead code elimination keeps it though nothing reads its results.
 */
export function isEffectful(e: Eqn): boolean {
  const inParam = (v: unknown): boolean => (isJaxpr(v) ? v.eqns.some(isEffectful) : Array.isArray(v) && v.some(inParam));
  return EFFECTFUL.has(e.prim) || Object.values(e.params).some(inParam);
}

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
  const ref = (v: Var) => {
    const literal = j.literals?.get(v);
    return literal === undefined ? name(v) : literalText(literal, v.aval.dtype);
  };
  const consts = j.constvars.filter((v) => !j.literals?.has(v)).map(decl).join(' ');
  const ins = j.invars.map(decl).join(' ');
  const lines = j.eqns.map((e) => {
    const ps = Object.entries(e.params)
      .map(([k, v]) => `${k}=${paramText(v)}`)
      .join(' ');
    return `    ${outsOf(e).map(decl).join(' ')} = ${e.prim}${ps ? `[${ps}]` : ''} ${e.inputs.map(ref).join(' ')}`;
  });
  return `{ lambda ${consts} ; ${ins} .\n${lines.join('\n')}\n  in ( ${j.outvars.map(ref).join(' ')} ) }`;
}

/** A literal as Python prints JAX's: 2.0, 1e-05, inf, nan for floats; 3 for ints; True / False for bools. */
function literalText(value: number, dtype: DType): string {
  if (dtype === 'bool') return value !== 0 ? 'True' : 'False';
  if (dtype === 'int32') return String(value);
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // The fewest digits that give back the float32 (numpy's repr of a float32).
  let digits = 1;
  while (digits < 9 && Math.fround(Number(value.toPrecision(digits))) !== value) digits++;
  const short = Number(value.toPrecision(digits));
  const a = Math.abs(short);
  if (a < 1e-4 || a >= 1e16) {
    const [mantissa, exp] = short.toExponential().split('e');
    return `${mantissa}e${exp[0]}${exp.slice(1).padStart(2, '0')}`;
  }
  return Number.isInteger(short) ? `${short}.0` : String(short);
}

/** Frees the constants a traced jaxpr holds. */
export function disposeJaxpr(j: Jaxpr): void {
  for (const c of j.consts) c.dispose();
}
