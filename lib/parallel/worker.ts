/**
 * The worker side of {@link dataParallel}: starts a backend, imports the replica module,
 * builds its program, and answers the main thread's calls one at a time (each call runs
 * synchronously; collectives with the other workers block on Atomics.wait).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, setBackend } from '../backend/node.js';
import { Communicator, type CommBuffers, abortComm } from './collective.js';
import { type LoadValues, ProgramReplica } from './program.js';
import type { ReplicaFactory } from './replica.js';
import { transferables } from './host.js';

export interface WorkerData {
  readonly rank: number;
  readonly comm: CommBuffers;
  /** URL (href) of the replica module. */
  readonly module: string;
  readonly arg: unknown;
  readonly backend: BackendName;
}

export interface CallMessage {
  readonly id: number;
  readonly method: 'step' | 'grads' | 'read' | 'readState' | 'checkLoad' | 'load' | 'memory' | 'close';
  readonly arg?: unknown;
}

export type ReplyMessage =
  | { readonly type: 'ready'; readonly numTensors: number }
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly error: { message: string; stack?: string } }
  | { readonly type: 'fatal'; readonly error: { message: string; stack?: string } };

const errorOf = (e: unknown) => ({ message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack });

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('parallel/worker: not started as a worker thread');
  const data = workerData as WorkerData;
  let replica: ProgramReplica;
  try {
    await setBackend(data.backend);
    const mod = (await import(data.module)) as { default?: ReplicaFactory; replica?: ReplicaFactory };
    const factory = mod.default ?? mod.replica;
    if (typeof factory !== 'function') throw new Error(`parallel: ${data.module} must export a replica factory (export default defineReplica(...))`);
    const comm = new Communicator(data.comm, data.rank);
    const program = await factory(data.arg, { rank: data.rank, worldSize: data.comm.worldSize });
    replica = new ProgramReplica(program, comm);
    replica.init();
  } catch (e) {
    abortComm(data.comm);
    port.postMessage({ type: 'fatal', error: errorOf(e) } satisfies ReplyMessage);
    port.close();
    return;
  }
  port.postMessage({ type: 'ready', numTensors: tf.memory().numTensors } satisfies ReplyMessage);
  port.on('message', (msg: CallMessage) => {
    try {
      let result: unknown;
      switch (msg.method) {
        case 'step':
          result = replica.step(msg.arg);
          break;
        case 'grads':
          result = replica.grads(msg.arg);
          break;
        case 'read':
          result = replica.read();
          break;
        case 'readState':
          result = replica.readState();
          break;
        case 'checkLoad':
          replica.checkLoad(msg.arg as LoadValues);
          break;
        case 'load':
          replica.load(msg.arg as LoadValues);
          break;
        case 'memory':
          result = tf.memory().numTensors;
          break;
        case 'close':
          replica.dispose();
          result = tf.memory().numTensors;
          break;
        default:
          throw new Error(`parallel/worker: unknown method ${String((msg as CallMessage).method)}`);
      }
      port.postMessage({ type: 'reply', id: msg.id, ok: true, result } satisfies ReplyMessage, msg.method === 'read' || msg.method === 'readState' || msg.method === 'grads' ? transferables(result) : []);
      if (msg.method === 'close') port.close();
    } catch (e) {
      // The others may be waiting for this rank at a barrier: release them (only the step and
      // grads calls meet at barriers; a rejected load, say, leaves the group as it was).
      if (msg.method === 'step' || msg.method === 'grads') abortComm(data.comm);
      port.postMessage({ type: 'reply', id: msg.id, ok: false, error: errorOf(e) } satisfies ReplyMessage);
    }
  });
}

await main();
