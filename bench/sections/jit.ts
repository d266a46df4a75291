/**
 * Section 5: what `jit` does for the SwAV step (two 28x28 views): eager vs jitted (with and
 * without its fusion rewrites) step time, and the kernels per step: equations of the traced
 * IR before any rewrite, of the program after dead-code / common-subexpression elimination
 * only (`jit(f, { fuse: false })`), and after all rewrites (`jitted.lower(...).numKernels`);
 * and the tfjs kernels each mode actually launches (some of our primitives lower to several).
 */
import { makeJaxpr } from '../../lib/index.js';
import { type BenchContext, ourSwav } from '../context.js';
import { compare, countKernels, markdownTable, swavStepFlops, timingTable } from '../harness.js';
import { TWO_VIEWS } from './swav.js';

export async function jitSection(ctx: BenchContext): Promise<string> {
  const B = ctx.quick ? 4 : 256;
  const reps = ctx.quick ? 1 : Math.min(ctx.reps, 3);
  const eager = ourSwav('eager swav.trainStep', { batch: B, views: TWO_VIEWS, mode: 'eager' });
  const nofuse = ourSwav('jit(swav.trainStep, { fuse: false })', { batch: B, views: TWO_VIEWS, mode: 'jit-nofuse' });
  const full = ourSwav('jit(swav.trainStep)', { batch: B, views: TWO_VIEWS });
  ctx.progress(`jit: eager vs jit, batch ${B}`);
  const ts = await compare([eager, nofuse, full], { warmup: 1, reps });
  const flops = swavStepFlops(B, TWO_VIEWS, 300);

  const traced = makeJaxpr(full.raw)(...full.args());
  const eqns = traced.eqns.length;
  traced.dispose();
  const programNoFuse = nofuse.lower()!.numKernels;
  const programFull = full.lower()!.numKernels;
  const launches = [await countKernels(() => eager.step()), await countKernels(() => nofuse.step()), await countKernels(() => full.step())];
  [eager, nofuse, full].forEach((r) => r.dispose());

  return [
    `## 5. jit: SwAV step, two views, batch ${B} (tfjs wasm)\n`,
    `${reps} interleaved rounds after 1 warm-up (the trace), medians.\n`,
    timingTable(ts, ts.map(() => ({ flops }))),
    'Kernels per step:\n',
    markdownTable(
      ['form', 'IR equations / program steps', 'tfjs kernels launched'],
      [
        ['eager (no IR; every primitive runs as it is called)', 'n/a', String(launches[0])],
        ['traced IR, before any rewrite (`makeJaxpr`)', String(eqns), 'n/a'],
        ['`jit(f, { fuse: false })`: dead code + common subexpressions', String(programNoFuse), String(launches[1])],
        ['`jit(f)`: all rewrites (also implicit broadcasts, matmul/conv + bias + ReLU fusion)', String(programFull), String(launches[2])],
      ],
    ),
  ].join('\n');
}
