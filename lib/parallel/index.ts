/**
 * Using more than one core in Node (see docs/parallel.md for measurements):
 *
 * - {@link pmap}: JAX's pmap over worker threads; collectives over its axis name (psum,
 *   pmean, allGather, ...) go through shared memory.
 * - {@link dataParallel}: replicas in `worker_threads`, each with its own one-thread wasm
 *   backend, running a jitted gradient phase on a shard of the batch; gradients, metrics
 *   and BatchNorm statistics are averaged through a SharedArrayBuffer all-reduce
 *   ({@link Communicator}), and every replica applies the same update.
 * - {@link enableWasmThreads}: tfjs's own threaded wasm build (XNNPACK's thread pool),
 *   which tfjs turns off in Node, made to start there.
 */
export { type CommBuffers, Communicator, type ReduceOp, abortComm, createCommBuffers } from './collective.js';
export { type DataParallel, type DataParallelOptions, type DataParallelStep, type DataParallelVariables, dataParallel } from './data-parallel.js';
export { type HostArray, type HostDType, fromHost, fromHostArray, isHostArray, shardBatch, toHost, toHostArray } from './host.js';
export {
  type DataParallelProgram,
  type GradPhaseResult,
  type ProgramInit,
  ProgramReplica,
  type StepReport,
  type StepTimings,
  type UpdatePhaseResult,
  lossProgram,
} from './program.js';
export { type ReplicaContext, type ReplicaFactory, defineReplica } from './replica.js';
export { type PmapOptions, type PmapTarget, type Pmapped, pmap } from './pmap.js';
export { type MethodProgramOptions, REPLICA_STATE_KEY, methodProgram } from './method.js';
export { type SwavProgramOptions, swavProgram } from './swav.js';
export { type WasmThreadsInfo, type WasmThreadsOptions, enableWasmThreads } from './wasm-threads.js';
export { DEFAULT_STEP_TIMEOUT, type StepTimeout, StepWatchdog } from './watchdog.js';
