/**
 * Functions for test/parallel/exact-session13.test.ts (not a test file itself): a replica
 * module for dataParallel (one of the nine tiny methods of methods-sync-fns.ts as a
 * synchronised `methodProgram`) and a function for pmap whose second worker never answers.
 */
import { workerData } from 'node:worker_threads';
import { type NdArray, psum } from '../../lib/core/index.js';
import { defineReplica, methodProgram } from '../../lib/parallel/index.js';
import { method, optimizer } from './methods-sync-fns.js';

/** The axis the replicas' collectives run over. */
export const DP_AXIS = 'dp';

/** `arg.name`'s tiny step, synchronised over the replicas (SyncBN, gathered keys, all-reduced centre). */
export default defineReplica((arg: { name: string }) => methodProgram(method(arg.name), optimizer, { seed: 0, axisName: DP_AXIS }));

/** Worker 1 blocks for 60 s (a stuck worker) while worker 0 waits for it in the psum. */
export function stuckOnSecond(x: NdArray) {
  if ((workerData as { rank: number }).rank === 1) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  return psum(x, 'workers');
}
