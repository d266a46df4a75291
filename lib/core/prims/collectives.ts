/**
 * Collectives over named axes (JAX's psum, pmax, pmin, all_gather, axis_index, ppermute,
 * psum_scatter). Their
 * kernels exchange data with the other workers of a device axis (lower/host-collectives.ts); under
 * `vmap(f, { axisName })` their batching rules reduce or gather over the mapped axis.
 *
 * Derivatives follow JAX under pmap: psum is linear and its transpose is psum (each
 * member's cotangent is the sum of all members' cotangents, so `grad(x => psum(x, 'i'))`
 * is the axis size); pmax/pmin pass the tangent of the member holding the extremum
 * (shared equally among ties); all_gather's transpose is the member's own slice of the
 * psummed cotangent (a reduce-scatter); ppermute's transpose is the inverse permutation and
 * psum_scatter's an all_gather.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, avalStr } from '../aval.js';
import * as lax from '../lax.js';
import type { PrimParams } from '../prim-params.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, bind, shapeOf } from '../trace.js';
import type { BDim } from '../prim-types.js';

type ReduceP = PrimParams['psum'];
type GatherP = PrimParams['all_gather'];
type IndexP = PrimParams['axis_index'];

const others = (names: readonly string[], name: string | null) => names.filter((n) => n !== name);

function numericAval(op: string, a: Aval): Aval {
  if (a.dtype === 'bool') throw new Error(`${op}: expected a float32 or int32 array, got ${avalStr(a)}`);
  return a;
}

/** psum, pmax, pmin: elementwise reductions across the members of the named axes. */
function reduction(op: 'psum' | 'pmax' | 'pmin'): PrimitiveDef<ReduceP> {
  const self = (x: NdArray, axisName: readonly string[]) => (axisName.length === 0 ? x : bind(op, [x], { axisName: [...axisName] }));
  // Over the vmapped axis: a reduction over the batch dim (an unbatched value is every member's).
  const overBatch = (x: NdArray, d: BDim, n: number): NdArray => {
    if (op === 'psum') return d === null ? lax.mul(x, lax.scalarLike(n, x)) : lax.reduceSum(x, [d]);
    if (d === null) return x;
    return op === 'pmax' ? lax.reduceMax(x, [d]) : lax.reduceMin(x, [d]);
  };
  // Where x holds the extremum: its share of the derivative (ties share equally).
  const share = (x: NdArray, out: NdArray, axisName: string[]) => {
    const hit = lax.cast(lax.eq(x, out), 'float32');
    return lax.div(hit, bind('psum', [hit], { axisName }));
  };
  return {
    // psum counts with int32 (the API converts bool first, as JAX's psum); a bool max/min is an any/all.
    abstractEval: ([a]) => (op === 'psum' ? numericAval(op, a) : a),
    jvp: ([t], [x], out, { axisName }) => (op === 'psum' ? self(t, axisName) : bind('psum', [lax.mul(t, share(x, out, axisName))], { axisName })),
    vjp(ct, [x], out, { axisName }) {
      const summed = bind('psum', [ct], { axisName });
      return [op === 'psum' ? summed : lax.mul(summed, share(x, out, axisName))];
    },
    batch([x], [d], { axisName }, n, name) {
      if (name === null || !axisName.includes(name)) return [self(x, axisName), d];
      return [self(overBatch(x, d, n), others(axisName, name)), null];
    },
    axisNames: ({ axisName }) => axisName,
  };
}

/** The gathered shape: `size` inserted at `axis` (tiled: axis `axis` multiplied by it). */
function gatheredShape(s: readonly number[], { axis, axisSize, tiled }: GatherP): number[] {
  const out = [...s];
  if (tiled) out[axis] *= axisSize;
  else out.splice(axis, 0, axisSize);
  return out;
}

/** Moves the members' axis (at `from`) to the gathered position, merging it when tiled. */
export function placeMembers(stacked: NdArray, from: number, p: GatherP): NdArray {
  const moved = lax.moveAxis(stacked, from, p.axis);
  if (!p.tiled) return moved;
  const s = [...shapeOf(moved)];
  s.splice(p.axis, 2, s[p.axis] * s[p.axis + 1]);
  return lax.reshape(moved, s);
}

const allGather: PrimitiveDef<GatherP> = {
  abstractEval([a], p) {
    const r = a.shape.length;
    const ok = Number.isInteger(p.axis) && p.axis >= 0 && (p.tiled ? p.axis < r : p.axis <= r);
    if (!ok) throw new Error(`allGather: axis ${p.axis} is out of range for ${avalStr(a)}${p.tiled ? ' (tiled)' : ''}`);
    return { shape: gatheredShape(a.shape, p), dtype: a.dtype };
  },
  jvp: ([t], _p, _o, p) => bind('all_gather', [t], p),
  vjp(ct, [x], _o, p) {
    // This member's slice of the summed cotangent.
    let summed = bind('psum', [ct], { axisName: [p.axisName] });
    if (p.tiled) {
      const s = [...shapeOf(summed)];
      s.splice(p.axis, 1, p.axisSize, shapeOf(x)[p.axis]);
      summed = lax.reshape(summed, s);
    }
    return [lax.gather(summed, bind('axis_index', [], { axisName: p.axisName }), p.axis)];
  },
  batch([x], [d], p, n, name) {
    if (name === p.axisName) {
      if (n !== p.axisSize) throw new Error(`internal: allGather over '${name}' of size ${p.axisSize} under a vmap of size ${n}`);
      if (d === null) return [placeMembers(lax.broadcastInDim(x, [n, ...shapeOf(x)], shapeOf(x).map((_, i) => i + 1)), 0, p), null];
      return [placeMembers(x, d, p), null];
    }
    // Another axis: gather around the batch dim.
    const bd = d!;
    if (p.tiled) return [bind('all_gather', [x], { ...p, axis: p.axis < bd ? p.axis : p.axis + 1 }), bd];
    return p.axis <= bd ? [bind('all_gather', [x], p), bd + 1] : [bind('all_gather', [x], { ...p, axis: p.axis + 1 }), bd];
  },
  axisNames: ({ axisName }) => [axisName],
};

const axisIndex: PrimitiveDef<IndexP> = {
  abstractEval: () => ({ shape: [], dtype: 'int32' }),
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [],
  batch(_x, _d, { axisName }, n, name) {
    if (name !== axisName) throw new Error(`internal: axisIndex('${axisName}') reached the vmap of '${name}'`);
    return [tf.range(0, n, 1, 'int32'), 0];
  },
  axisNames: ({ axisName }) => [axisName],
  nonDifferentiable: true,
};

type PermuteP = PrimParams['ppermute'];
type ScatterP = PrimParams['psum_scatter'];

/** For each member, the member it receives from under `perm` (-1: none, it receives zeros). */
export function sourceOf(perm: readonly (readonly [number, number])[], n: number): number[] {
  const src = new Array<number>(n).fill(-1);
  for (const [from, to] of perm) src[to] = from;
  return src;
}

const inverse = (perm: readonly [number, number][]): [number, number][] => perm.map(([from, to]) => [to, from]);

const ppermute: PrimitiveDef<PermuteP> = {
  abstractEval: ([a]) => a,
  // Linear: the tangent moves as the value; the cotangent goes back along the inverse permutation.
  jvp: ([t], _p, _o, p) => bind('ppermute', [t], p),
  vjp: (ct, _x, _o, p) => [bind('ppermute', [ct], { ...p, perm: inverse(p.perm) })],
  batch([x], [d], p, n, name) {
    if (name !== p.axisName) return [bind('ppermute', [x], p), d];
    const src = sourceOf(p.perm, n);
    const members = d === null ? lax.broadcastInDim(x, [n, ...shapeOf(x)], shapeOf(x).map((_, i) => i + 1)) : x;
    const at = d ?? 0;
    // Member j takes member src[j]'s slice; a member with no source gets zeros.
    const moved = lax.gather(members, tf.tensor1d(src.map((s) => Math.max(s, 0)), 'int32'), at);
    if (src.every((s) => s >= 0)) return [moved, at];
    const keep = tf.tensor(src.map((s) => (s >= 0 ? 1 : 0)), Array.from({ length: shapeOf(moved).length }, (_, i) => (i === at ? n : 1)), 'bool');
    return [lax.select(lax.broadcastInDim(keep, shapeOf(moved), shapeOf(moved).map((_, i) => i)), moved, lax.zerosLike(moved)), at];
  },
  axisNames: ({ axisName }) => [axisName],
};

/** The shape each member keeps: the scattered dimension divided by the axis size (removed when not tiled). */
function scatteredShape(s: readonly number[], { axisSize, scatterDimension, tiled }: ScatterP): number[] {
  const out = [...s];
  if (tiled) out[scatterDimension] /= axisSize;
  else out.splice(scatterDimension, 1);
  return out;
}

const psumScatter: PrimitiveDef<ScatterP> = {
  abstractEval([a], p) {
    const d = a.shape[p.scatterDimension];
    const fits = Number.isInteger(p.scatterDimension) && p.scatterDimension >= 0 && d !== undefined && (p.tiled ? d % p.axisSize === 0 : d === p.axisSize);
    if (!fits)
      throw new Error(`psumScatter: dimension ${p.scatterDimension} of ${avalStr(a)} must ${p.tiled ? 'be a multiple of' : 'equal'} the size ${p.axisSize} of axis '${p.axisName}'`);
    return { shape: scatteredShape(a.shape, p), dtype: numericAval('psumScatter', a).dtype };
  },
  jvp: ([t], _p, _o, p) => bind('psum_scatter', [t], p),
  // The transpose of a reduce-scatter is an all-gather of the slices.
  vjp: (ct, _x, _o, p) => [bind('all_gather', [ct], { axisName: p.axisName, axisSize: p.axisSize, axis: p.scatterDimension, tiled: p.tiled })],
  batch([x], [d], p, n, name) {
    if (name !== p.axisName) {
      const bd = d!;
      const sd = p.scatterDimension < bd ? p.scatterDimension : p.scatterDimension + 1;
      const out = bind('psum_scatter', [x], { ...p, scatterDimension: sd });
      return [out, !p.tiled && sd < bd ? bd - 1 : bd];
    }
    if (n !== p.axisSize) throw new Error(`internal: psumScatter over '${name}' of size ${p.axisSize} under a vmap of size ${n}`);
    // The sum over the members; member i keeps slice i of the scattered dimension, which thus becomes the batch dim.
    const summed = d === null ? lax.mul(x, lax.scalarLike(n, x)) : lax.reduceSum(x, [d]);
    if (!p.tiled) return [summed, p.scatterDimension];
    const s = [...shapeOf(summed)];
    s.splice(p.scatterDimension, 1, n, s[p.scatterDimension] / n);
    return [lax.reshape(summed, s), p.scatterDimension];
  },
  axisNames: ({ axisName }) => [axisName],
};

definePrimitives({
  psum: reduction('psum'),
  pmax: reduction('pmax'),
  pmin: reduction('pmin'),
  all_gather: allGather,
  axis_index: axisIndex,
  ppermute,
  psum_scatter: psumScatter,
});
