/**
 * Replica modules: what each worker of {@link dataParallel} imports. Functions cannot
 * cross to a worker, so the program (model, loss, optimiser) is built in the worker by a
 * factory that the module exports, from a structured-cloneable `arg`:
 *
 * ```ts
 * // swav-replica.ts
 * import { parallel, optim } from 'tfjax';
 * export default parallel.defineReplica((arg: { lr: number }) =>
 *   parallel.swavProgram({ config: { encoder: 'convnet_small', numPrototypes: 300 }, optimizer: optim.sgd({ learningRate: arg.lr }), seed: 0 }));
 * ```
 */
import type { DataParallelProgram } from './program.js';

export interface ReplicaContext {
  readonly rank: number;
  readonly worldSize: number;
}

/** Builds a replica's program in a worker (every rank builds the same program). */
export type ReplicaFactory<A = any> = (arg: A, ctx: ReplicaContext) => DataParallelProgram | Promise<DataParallelProgram>;

/** Marks a module's default export as a replica factory (the identity, for types). */
export function defineReplica<A = any>(factory: ReplicaFactory<A>): ReplicaFactory<A> {
  return factory;
}
