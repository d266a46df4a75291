/**
 * jit's elementwise fusion (where the backend runs `fused_elementwise`: wasm): chains of
 * elementwise float32 equations whose intermediate results are used by nothing else become
 * one `fused_elementwise` equation, run as one generated SIMD loop
 * (lib/backend/wasm-elementwise.ts) instead of
 * one tfjs kernel per operation, each writing a whole array for the next to read back.
 *
 * A chain is a tree: an equation joins its user's chain when that user is its only one
 * (so nothing is computed twice) and the result is not an output of the program. Every
 * member has the chain's loop shape; other inputs may be full arrays of that shape,
 * vectors along its last axis, one value per row, or scalars (the broadcasts BatchNorm,
 * optimisers and Sinkhorn use).
 * A chain may end in a sum over every axis but the last (BatchNorm's statistics and
 * their gradients): the products are then summed as they are computed, never stored.
 * Such sums of a value that another loop makes are then moved into that loop as further
 * outputs (mergeSums).
 */
import { sameShape, sizeOf } from '../aval.js';
import { fusedElementwiseApplies } from '../lower/index.js';
import { ELEMENTWISE_OPS, type ElementwiseOp, type ElementwiseProgram, type Eqn, type InputKind, type Jaxpr, type Var, inputKindOf, isEqnOf, outsOf } from './ir.js';

/** Below this many elements a kernel launch costs more than the passes it saves. */
const MIN_ELEMENTS = 4096;

const FUSABLE = new Set<string>(ELEMENTWISE_OPS);
/** Operations that tfjs's wasm backend runs as a scalar C call per element: a loop of one of them alone pays. */
const SIMD_MATH = new Set(['exp', 'log', 'erf', 'tanh']);

function kindOf(v: Var, shape: readonly number[]): InputKind | null {
  return v.aval.dtype === 'float32' ? inputKindOf(v.aval.shape, shape) : null;
}

/** A sum over every axis but the last of a float32 array that a fused loop can produce. */
function reduceRoot(e: Eqn): boolean {
  const shape = e.inputs[0]?.aval.shape ?? [];
  if (!isEqnOf(e, 'reduce_sum')) return false;
  const { axes } = e.params;
  return e.out.aval.dtype === 'float32' && axes.length === shape.length - 1 && axes.every((a, i) => a === i) && sizeOf(shape) >= MIN_ELEMENTS && fusedElementwiseApplies(shape, { reduces: true });
}

/** The shape of the loop a chain rooted at `r` runs over. */
const loopShape = (r: Eqn) => (r.prim === 'reduce_sum' ? r.inputs[0]!.aval.shape : r.out.aval.shape);

function fusable(e: Eqn): boolean {
  const { shape, dtype } = e.out.aval;
  return FUSABLE.has(e.prim) && dtype === 'float32' && sizeOf(shape) >= MIN_ELEMENTS && e.inputs.every((v) => kindOf(v, shape) !== null) && fusedElementwiseApplies(shape);
}

/** Replaces each chain of two or more fusable equations (or a lone exp or log) by one `fused_elementwise` equation. */
export function fuseElementwise(j: Jaxpr): Jaxpr {
  const users = new Map<Var, Eqn[]>();
  // Each user once: mul(y, y) (tanh's derivative 1 - y^2) is y's sole user.
  for (const e of j.eqns) for (const v of new Set(e.inputs)) users.set(v, [...(users.get(v) ?? []), e]);
  const outs = new Set(j.outvars);
  const producer = new Map(j.eqns.map((e) => [e.out, e]));
  // Each fusable equation's chain root: its sole user's root when that user is fusable too.
  const root = new Map<Eqn, Eqn>();
  for (let i = j.eqns.length - 1; i >= 0; i--) {
    const e = j.eqns[i]!;
    if (reduceRoot(e)) root.set(e, e);
    if (!fusable(e)) continue;
    const us = users.get(e.out) ?? [];
    const r = us.length === 1 && !outs.has(e.out) ? root.get(us[0]!) : undefined;
    root.set(e, r && sameShape(loopShape(r), e.out.aval.shape) ? r : e);
  }
  const members = new Map<Eqn, number>();
  for (const r of root.values()) members.set(r, (members.get(r) ?? 0) + 1);

  // A lone operation is one tfjs kernel anyway, except exp, log, erf and tanh: tfjs's are scalar C calls, ours SIMD.
  const looped = (r: Eqn) => members.get(r)! >= 2 || SIMD_MATH.has(r.prim);
  const eqns: Eqn[] = [];
  for (const e of j.eqns) {
    const r = root.get(e);
    if (r === undefined || !looped(r)) eqns.push(e);
    else if (r === e) eqns.push(chainEqn(e, root, producer));
    // other members are computed inside their root's loop
  }
  return mergeSums({ ...j, eqns });
}

/** The program a fused or fusable (single-operation) equation runs, if it produces a full array. */
function elementwiseProgramOf(e: Eqn): ElementwiseProgram | null {
  if (isEqnOf(e, 'fused_elementwise')) {
    const p = e.params.program;
    return p.reduce ? null : p;
  }
  if (!fusable(e)) return null;
  const shape = e.out.aval.shape;
  return { shape, inputs: e.inputs.map((v) => kindOf(v, shape)!), ops: [{ op: e.prim as ElementwiseOp, args: e.inputs.map((_, i) => i) }] };
}

/** A sum over rows: a fused chain ending in one (groups 1), or a plain reduce_sum over rows. */
function sumProgramOf(e: Eqn): ElementwiseProgram | null {
  if (isEqnOf(e, 'fused_elementwise')) {
    const p = e.params.program;
    return p.reduce?.op === 'sum' && p.reduce.groups === 1 ? p : null;
  }
  if (!reduceRoot(e)) return null;
  return { shape: e.inputs[0]!.aval.shape, inputs: ['full'], ops: [], reduce: { op: 'sum', groups: 1 } };
}

/**
 * A sum over rows of a value that a loop produces (BatchNorm: the variance's sum of squares
 * of x - mean, the gradient's sums of dy and dy * x_hat) is computed in that loop, as a
 * further output, instead of reading the value back: when every other input of the sum
 * exists before the loop runs. Its equation then disappears.
 */
function mergeSums(j: Jaxpr): Jaxpr {
  const eqns: (Eqn | null)[] = [...j.eqns];
  const at = new Map<Var, number>();
  eqns.forEach((e, i) => outsOf(e!).forEach((v) => at.set(v, i)));
  for (let i = 0; i < eqns.length; i++) {
    const r = eqns[i]!;
    const sum = sumProgramOf(r);
    if (!sum) continue;
    // The loop: the producer of the sum's latest-made full-size input.
    const full = r.inputs.filter((v, k) => sum.inputs[k] === 'full' && at.has(v));
    if (!full.length) continue;
    const pi = Math.max(...full.map((v) => at.get(v)!));
    const p = eqns[pi]!;
    const prog = elementwiseProgramOf(p);
    if (!prog || !sameShape(prog.shape, sum.shape) || r.inputs.some((v) => v !== p.out && (at.get(v) ?? -1) >= pi)) continue;
    // Merged inputs: the loop's, then the sum's others; the loop's ops move up by the added inputs.
    const added = r.inputs.filter((v, k, all) => v !== p.out && !p.inputs.includes(v) && all.indexOf(v) === k);
    const nIn = p.inputs.length + added.length;
    const shift = (a: number) => (a < p.inputs.length ? a : a + added.length);
    const loopResult = shift(prog.result ?? prog.inputs.length + prog.ops.length - 1);
    const arg = (a: number) => {
      if (a >= sum.inputs.length) return nIn + prog.ops.length + (a - sum.inputs.length);
      const v = r.inputs[a]!;
      return v === p.out ? loopResult : p.inputs.includes(v) ? p.inputs.indexOf(v) : p.inputs.length + added.indexOf(v);
    };
    const merged: ElementwiseProgram = {
      shape: prog.shape,
      inputs: [...prog.inputs, ...added.map((v) => kindOf(v, prog.shape)!)],
      ops: [...prog.ops.map((o) => ({ op: o.op, args: o.args.map(shift) })), ...sum.ops.map((o) => ({ op: o.op, args: o.args.map(arg) }))],
      result: loopResult,
      sums: [...(prog.sums ?? []).map(shift), sum.ops.length ? nIn + prog.ops.length + sum.ops.length - 1 : arg(0)],
    };
    eqns[pi] = { prim: 'fused_elementwise', inputs: [...p.inputs, ...added], params: { program: merged, outShape: p.out.aval.shape }, out: p.out, extraOuts: [...(p.extraOuts ?? []), r.out] };
    at.set(r.out, pi);
    eqns[i] = null;
  }
  return { ...j, eqns: eqns.filter((e): e is Eqn => e !== null) };
}

/** The fused equation for the chain rooted at `r`: its leaves as inputs, its members as ops in dependency order. */
function chainEqn(r: Eqn, root: Map<Eqn, Eqn>, producer: Map<Var, Eqn>): Eqn {
  const shape = loopShape(r);
  const reduce = r.prim === 'reduce_sum';
  const leaves: Var[] = [];
  const ops: { op: ElementwiseOp; args: number[] }[] = [];
  const opIndex = new Map<Eqn, number>();
  const visit = (e: Eqn): void => {
    if (opIndex.has(e)) return;
    const inside = (v: Var) => {
      const p = producer.get(v);
      return p !== undefined && root.get(p) === r;
    };
    e.inputs.forEach((v) => inside(v) ? visit(producer.get(v)!) : leaves.includes(v) || leaves.push(v));
    opIndex.set(e, ops.length);
    ops.push({ op: e.prim as ElementwiseOp, args: e.inputs.map((v) => (inside(v) ? -1 - opIndex.get(producer.get(v)!)! : leaves.indexOf(v))) });
  };
  visit(reduce ? producer.get(r.inputs[0]!)! : r);
  // Op references were stored as -1 - k until the number of leaves was known.
  const program: ElementwiseProgram = {
    shape,
    inputs: leaves.map((v) => kindOf(v, shape)!),
    ops: ops.map(({ op, args }) => ({ op, args: args.map((a) => (a < 0 ? leaves.length + (-1 - a) : a)) })),
    reduce: reduce ? { op: 'sum', groups: 1 } : undefined,
  };
  return { prim: 'fused_elementwise', inputs: leaves, params: { program, outShape: r.out.aval.shape }, out: r.out };
}
