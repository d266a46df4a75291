/**
 * The worker side of {@link pmap}: starts a backend, imports the user's module, jits the
 * named export, and runs it on each call's slice with the device axis bound, so that its
 * collectives go through the group's shared memory ({@link Communicator}).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../backend/index.js';
import { setBackend } from '../backend/node.js';
import { jit, withDeviceAxis } from '../core/index.js';
import * as tree from '../tree/index.js';
import { Communicator, type CommBuffers, abortComm, commAxis } from './collective.js';
import { fromHost, toHost, transferables } from './host.js';
import type { ReplyMessage } from './worker.js';

export type PmapWorkerData = {
  readonly rank: number;
  readonly comm: CommBuffers;
  /** URL (href) of the module holding the function. */
  readonly module: string;
  /** The export that is the function. */
  readonly name: string;
  readonly axisName: string;
  readonly backend: BackendName;
  /** Argument positions static under the worker's jit (pmap's staticBroadcastedArgnums). */
  readonly staticArgnums: readonly number[];
};

export interface PmapCall {
  readonly id: number;
  readonly method: 'call' | 'close';
  /** The argument list, host arrays for arrays (this worker's slices and the replicated ones). */
  readonly arg?: unknown[];
}

const errorOf = (e: unknown) => ({ message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack });
const tensorsOf = (t: unknown) => tree.leaves(t).filter((l): l is tf.Tensor => l instanceof tf.Tensor);

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('parallel/pmap-worker: not started as a worker thread');
  const data = workerData as PmapWorkerData;
  const comm = new Communicator(data.comm, data.rank);
  let f: ReturnType<typeof jit>;
  try {
    await setBackend(data.backend);
    const mod = (await import(data.module)) as Record<string, unknown>;
    const fn = mod[data.name];
    if (typeof fn !== 'function') throw new Error(`pmap: ${data.module} has no exported function '${data.name}'`);
    f = jit(fn as (...args: unknown[]) => unknown, { staticArgnums: data.staticArgnums });
  } catch (e) {
    abortComm(data.comm);
    port.postMessage({ type: 'fatal', error: errorOf(e) } satisfies ReplyMessage);
    port.close();
    return;
  }
  const axis = commAxis(comm, data.axisName);
  port.postMessage({ type: 'ready', numTensors: tf.memory().numTensors } satisfies ReplyMessage);
  port.on('message', (msg: PmapCall) => {
    try {
      if (msg.method === 'close') {
        f.clearCache();
        port.postMessage({ type: 'reply', id: msg.id, ok: true, result: tf.memory().numTensors } satisfies ReplyMessage);
        port.close();
        return;
      }
      const args = fromHost<unknown[]>(msg.arg);
      let result: unknown;
      try {
        const out = withDeviceAxis(axis, () => f(...args));
        result = toHost(out);
        tf.dispose(tensorsOf(out));
      } finally {
        tf.dispose(tensorsOf(args));
      }
      port.postMessage({ type: 'reply', id: msg.id, ok: true, result } satisfies ReplyMessage, transferables(result));
    } catch (e) {
      // The others may be waiting for this rank in a collective: release them.
      abortComm(data.comm);
      port.postMessage({ type: 'reply', id: msg.id, ok: false, error: errorOf(e) } satisfies ReplyMessage);
    }
  });
}

await main();
