/**
 * Rewrites of a traced jaxpr, applied once per cache entry: dead code elimination,
 * common subexpressions, transposes folded into products, implicit broadcasting, ReLU out of max(x, 0), fusion of
 * matmul/conv with their bias and ReLU into single tfjs kernels, and (wasm) of
 * elementwise chains into generated loops (fuse-elementwise.ts).
 */
import { sameShape } from '../aval.js';
import { constantValue } from '../lower/index.js';
import { broadcastShapes } from '../prims/elementwise.js';
import { foldTransposesIntoDots } from './fold-transposes.js';
import { fuseElementwise } from './fuse-elementwise.js';
import { inlineCalls } from './inline.js';
import { type Eqn, type Epilogue, type Jaxpr, Var, isEffectful, isEqnOf, outsOf } from './ir.js';
import { valueKey } from './value-key.js';
import { BINARY } from '../prim-types.js';

/** Drops equations whose results are never used, and constants nothing reads. */
export function eliminateDeadCode(j: Jaxpr): Jaxpr {
  const live = new Set<Var>(j.outvars);
  const kept: Eqn[] = [];
  for (let i = j.eqns.length - 1; i >= 0; i--) {
    const e = j.eqns[i];
    if (!outsOf(e).some((v) => live.has(v)) && !isEffectful(e)) continue;
    kept.push(e);
    e.inputs.forEach((v) => live.add(v));
  }
  const ci = j.constvars.map((v, i) => i).filter((i) => live.has(j.constvars[i]));
  const dropped = j.consts.filter((_, i) => !ci.includes(i));
  dropped.forEach((c) => c.dispose());
  return { ...j, eqns: kept.reverse(), constvars: ci.map((i) => j.constvars[i]), consts: ci.map((i) => j.consts[i]) };
}

/** Replaces repeated (primitive, inputs, params) applications by the first one. */
export function eliminateCommonSubexpressions(j: Jaxpr): Jaxpr {
  const seen = new Map<string, readonly Var[]>();
  const subst = new Map<Var, Var>();
  const sub = (v: Var) => subst.get(v) ?? v;
  const eqns: Eqn[] = [];
  for (const e of j.eqns) {
    const inputs = e.inputs.map(sub);
    const key = `${e.prim}(${inputs.map((v) => v.id).join(',')})${valueKey(e.params, `${e.prim} params`)}`;
    const prev = seen.get(key);
    if (prev) {
      // Every result, not only the first: control-flow equations have several.
      outsOf(e).forEach((v, k) => subst.set(v, prev[k]!));
      continue;
    }
    seen.set(key, outsOf(e));
    eqns.push({ ...e, inputs });
  }
  return { ...j, eqns, outvars: j.outvars.map(sub) };
}

const BROADCASTING = new Set<string>([...BINARY, 'select']);

function usersOf(j: Jaxpr): Map<Var, Eqn[]> {
  const users = new Map<Var, Eqn[]>();
  for (const e of j.eqns) for (const v of e.inputs) users.set(v, [...(users.get(v) ?? []), e]);
  return users;
}

/**
 * A broadcast_in_dim read only by elementwise ops that broadcast size-1 dims anyway
 * becomes a cheap reshape: the full-size array is never materialised.
 */
export function elideBroadcasts(j: Jaxpr, nextId: () => number): Jaxpr {
  const users = usersOf(j);
  const outs = new Set(j.outvars);
  const subst = new Map<Var, Var>();
  const eqns = j.eqns.map((e) => {
    if (!isEqnOf(e, 'broadcast_in_dim') || outs.has(e.out)) return e;
    const { shape, dims } = e.params;
    const src = e.inputs[0].aval.shape;
    const slim = shape.map((_, i) => (dims.includes(i) ? src[dims.indexOf(i)] : 1));
    const us = users.get(e.out) ?? [];
    const fits = us.every(
      (u) =>
        BROADCASTING.has(u.prim) &&
        sameShape(
          broadcastShapes(u.prim, u.inputs.map((v) => (v === e.out ? slim : v.aval.shape))),
          u.out.aval.shape,
        ),
    );
    if (!fits || us.length === 0) return e;
    const v = new Var(nextId(), { shape: slim, dtype: e.out.aval.dtype });
    subst.set(e.out, v);
    return { prim: 'reshape' as const, inputs: e.inputs, params: { shape: slim }, out: v };
  });
  return { ...j, eqns: eqns.map((e) => ({ ...e, inputs: e.inputs.map((v) => subst.get(v) ?? v) })) };
}

/**
 * A reshape of a reshape reads the first one's operand, and a reshape to its operand's own
 * shape is that operand (a bias gradient's [C] -> [1, C] -> [C]): no kernel, no tidy, at every
 * step of a loop.
 */
export function collapseReshapes(j: Jaxpr): Jaxpr {
  const subst = new Map<Var, Var>();
  const sub = (v: Var) => subst.get(v) ?? v;
  const reshapeSource = new Map<Var, Var>(); // a reshape's result -> the operand it reshapes
  const eqns: Eqn[] = [];
  for (const e of j.eqns) {
    const inputs = e.inputs.map(sub);
    if (isEqnOf(e, 'reshape')) {
      const src = reshapeSource.get(inputs[0]!) ?? inputs[0]!;
      if (sameShape(src.aval.shape, e.out.aval.shape)) {
        subst.set(e.out, src);
        continue;
      }
      reshapeSource.set(e.out, src);
      eqns.push({ ...e, inputs: [src] });
    } else eqns.push({ ...e, inputs });
  }
  return { ...j, eqns, outvars: j.outvars.map(sub) };
}

/**
 * max(x, 0) with x float32 of the result's shape becomes relu(x): one kernel that the
 * bias/ReLU fusion below takes (the same numbers: both propagate NaN; relu's own derivative
 * rule does not matter here, the jaxpr is already differentiated). The 0 is a constant
 * read where the backend can read it synchronously (not on webgpu: max stays there).
 */
export function reluFromMax(j: Jaxpr): Jaxpr {
  const zero = new Set(j.constvars.filter((_, i) => constantValue(j.consts[i]!) === 0));
  const eqns = j.eqns.map((e): Eqn => {
    if (e.prim !== 'max' || e.out.aval.dtype !== 'float32') return e;
    const x = e.inputs.find((v, i) => zero.has(e.inputs[1 - i]!) && sameShape(v.aval.shape, e.out.aval.shape));
    return x ? { prim: 'relu', inputs: [x], params: {}, out: e.out } : e;
  });
  return { ...j, eqns };
}

/** Fuses dot/conv -> add(bias) -> relu chains into tfjs's fused kernels. */
export function fuseBiasActivation(j: Jaxpr): Jaxpr {
  const users = usersOf(j);
  const outs = new Set(j.outvars);
  const soleUser = (v: Var): Eqn | null => {
    const us = users.get(v) ?? [];
    return us.length === 1 && !outs.has(v) ? us[0] : null;
  };
  const other = (e: Eqn, v: Var) => (e.inputs[0] === v ? e.inputs[1] : e.inputs[0]);
  const replaced = new Map<Eqn, Eqn | null>(); // null: removed
  for (const e of j.eqns) {
    if (!isEqnOf(e, 'dot') && !(isEqnOf(e, 'conv') && e.params.groups === 1)) continue;
    if (e.out.aval.dtype !== 'float32') continue;
    const n = e.out.aval.shape[e.out.aval.shape.length - 1];
    let out = e.out;
    let bias: Var | null = null;
    let activation: Epilogue['activation'] = 'linear';
    let last: Eqn | null = null;
    const add = soleUser(out);
    if (add?.prim === 'add' && sameShape(add.out.aval.shape, out.aval.shape)) {
      const b = other(add, out);
      const bs = b.aval.shape;
      if (bs.length === out.aval.shape.length && bs[bs.length - 1] === n && bs.slice(0, -1).every((d) => d === 1)) {
        bias = b;
        out = add.out;
        last = add;
      }
    }
    const relu = soleUser(out);
    if (relu?.prim === 'relu' && sameShape(relu.out.aval.shape, out.aval.shape)) {
      activation = 'relu';
      out = relu.out;
      if (last) replaced.set(last, null);
      last = relu;
    }
    if (!last) continue;
    const prim = e.prim === 'dot' ? 'fused_matmul' : 'fused_conv';
    const epilogue: Epilogue = { activation, hasBias: bias !== null };
    replaced.set(e, null);
    replaced.set(last, { prim, inputs: bias ? [...e.inputs, bias] : e.inputs, params: { ...e.params, ...epilogue }, out });
  }
  const eqns: Eqn[] = [];
  for (const e of j.eqns) {
    const r = replaced.get(e);
    if (r === undefined) eqns.push(e);
    else if (r !== null) eqns.push(r);
  }
  return { ...j, eqns };
}

export interface RewriteOptions {
  /** Fusion rewrites (transposes into products, broadcast elision, ReLU from max, bias/ReLU and elementwise fusion); default true. */
  readonly fuse?: boolean;
  /** Elementwise chains into generated loops (wasm only); default true when `fuse` is. */
  readonly fuseElementwise?: boolean;
}

/** All rewrites, in order. */
export function optimize(traced: Jaxpr, opts: RewriteOptions = {}): Jaxpr {
  const j = inlineCalls(traced);
  let id = Math.max(0, ...[...j.invars, ...j.constvars, ...j.eqns.flatMap(outsOf)].map((v) => v.id)) + 1;
  let r = eliminateDeadCode(eliminateCommonSubexpressions(collapseReshapes(j)));
  if (opts.fuse !== false) r = fuseBiasActivation(reluFromMax(elideBroadcasts(eliminateDeadCode(foldTransposesIntoDots(r)), () => id++)));
  if (opts.fuse !== false && opts.fuseElementwise !== false) r = fuseElementwise(r);
  return eliminateDeadCode(r);
}
