/**
 * Transposes of the last two axes folded into products, as XLA's algebraic simplifier folds
 * them into a dot's dimension numbers: `dot(a, transpose(b))` reads b with `transposeB` flipped,
 * and `transpose(dot(a, b))` is `dot(b, a)` with both flags swapped and flipped
 * ((A B)^T = B^T A^T). Code written as PyTorch's `x @ W.T` and the weight gradients that reverse
 * mode makes of it (`transpose(dot(x^T, g))`, once per step in a scan's backward loop) then
 * launch no transpose kernels.
 */
import { type Eqn, type Jaxpr, type Var, isEqnOf } from './ir.js';

/** Whether `perm` swaps the last two axes and leaves the others in place. */
const swapsLastTwo = (perm: readonly number[]): boolean => {
  const r = perm.length;
  return r >= 2 && perm[r - 2] === r - 1 && perm[r - 1] === r - 2 && perm.slice(0, -2).every((p, i) => p === i);
};

/** The input of a transpose of the last two axes that produced `v`, if one did. */
function transposedFrom(producers: ReadonlyMap<Var, Eqn>, v: Var): Var | null {
  const e = producers.get(v);
  return e && isEqnOf(e, 'transpose') && swapsLastTwo(e.params.perm) ? e.inputs[0]! : null;
}

/** Both folds (dead transposes and products are left to dead code elimination). */
export function foldTransposesIntoDots(j: Jaxpr): Jaxpr {
  // Producers as rewritten so far, so that transpose(dot(a, transpose(b))) folds both.
  const producers = new Map<Var, Eqn>();
  const uses = new Map<Var, number>();
  for (const e of j.eqns) e.inputs.forEach((v) => uses.set(v, (uses.get(v) ?? 0) + 1));
  j.outvars.forEach((v) => uses.set(v, (uses.get(v) ?? 0) + 1));
  const eqns = j.eqns.map((e) => {
    const r = rewritten(e, producers, uses);
    producers.set(r.out, r);
    return r;
  });
  return { ...j, eqns };
}

function rewritten(e: Eqn, producers: ReadonlyMap<Var, Eqn>, uses: ReadonlyMap<Var, number>): Eqn {
  if (isEqnOf(e, 'dot')) {
    const [a, b] = e.inputs as [Var, Var];
    const [ta, tb] = [transposedFrom(producers, a), transposedFrom(producers, b)];
    if (!ta && !tb) return e;
    const params = { transposeA: ta ? !e.params.transposeA : e.params.transposeA, transposeB: tb ? !e.params.transposeB : e.params.transposeB };
    return { ...e, inputs: [ta ?? a, tb ?? b], params };
  }
  if (isEqnOf(e, 'transpose') && swapsLastTwo(e.params.perm)) {
    const d = producers.get(e.inputs[0]!);
    // Only a product nothing else reads: otherwise both would run.
    if (!d || !isEqnOf(d, 'dot') || uses.get(d.out) !== 1) return e;
    const [a, b] = d.inputs as [Var, Var];
    return { prim: 'dot', inputs: [b, a], params: { transposeA: !d.params.transposeB, transposeB: !d.params.transposeA }, out: e.out };
  }
  return e;
}
