/**
 * The replica module of data-parallel training (`workers > 1`): each worker rebuilds the
 * run's method and step from the configuration, as `parallel.methodProgram`, synchronised over
 * the replicas' axis when the configuration says `sync`; its batches carry the step's key
 * (`keyedMethod`), as the step on the main thread gets it. Its initial values are replaced by
 * the run's (fresh or resumed) before the first step.
 */
import { type DataParallelProgram, defineReplica, methodProgram } from '../parallel/index.js';
import { keyedMethod, methodOf, optimizerOf, scheduleOf } from './recipe.js';
import type { ReplicaArg } from './stepper.js';

/**
 * `program` whose `step`-th step (1-based) never finishes: the test hook `debug.stallWorkerAtStep`.
 * The wait is in `reduceState`, the one callback of a program that runs on every step outside
 * jit (once per float state leaf: the first leaf's call marks a new step), before the all-reduce.
 */
function stallingAt<P, S, O, B>(program: DataParallelProgram<P, S, O, B>, step: number): DataParallelProgram<P, S, O, B> {
  let first: string | undefined;
  let steps = 0;
  return {
    ...program,
    reduceState(path) {
      first ??= path;
      if (path === first && ++steps === step) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      return program.reduceState?.(path) ?? 'mean';
    },
  };
}

/** The axis name of the replicas in a synchronised run. */
const REPLICAS = 'replicas';

export default defineReplica((arg: ReplicaArg, ctx) => {
  const c = arg.config;
  const program = methodProgram(keyedMethod(methodOf(c, arg.channels)), optimizerOf(c, scheduleOf(c, arg.steps)), { axisName: c.sync ? REPLICAS : undefined });
  const stall = c.debug.stallWorkerAtStep;
  return stall !== null && ctx.rank === ctx.worldSize - 1 ? stallingAt(program, stall) : program;
});
