import { isMainThread } from 'node:worker_threads';
import { type NdArray, np, pmean, ready, valueAndGrad, vmap } from 'tfjax';
import { pmap } from 'tfjax/parallel';

const loss = (w: NdArray, x: NdArray, y: NdArray) => np.mean(np.square(np.sub(np.matmul(x, w), y)));

/** One SGD step on this member's shard: the loss and gradient averaged over the 'workers' axis. */
export function step(w: NdArray, x: NdArray, y: NdArray) {
  const [l, g] = valueAndGrad(loss)(w, x, y);
  return { loss: pmean(l, 'workers'), w: np.sub(w, np.mul(pmean(g, 'workers'), 0.1)) };
}

// The workers import this module for `step`; only the main thread runs what follows.
if (isMainThread) {
  await ready(); // the default backend (wasm in Node); the workers start their own
  const w = np.array([[0.5], [-1]]);
  const x = np.reshape(np.arange(16, undefined, undefined, 'float32'), [8, 2]);
  const y = np.sum(x, 1, true);
  // 2 workers: the mapped arguments get a leading axis of 2 (one shard of 4 rows each).
  const shard = (a: NdArray) => np.reshape(a, [2, 4, -1]);
  const onWorkers = pmap({ module: new URL(import.meta.url), name: 'step' }, { axisName: 'workers', workers: 2, inAxes: [null, 0, 0] });
  const p = await onWorkers(w, shard(x), shard(y));
  await onWorkers.close();
  // The same program in one process, the axis vmapped; and the plain step on the whole batch.
  const v = vmap(step, { axisName: 'workers', inAxes: [null, 0, 0], outAxes: null })(w, shard(x), shard(y));
  const [l, g] = valueAndGrad(loss)(w, x, y);
  console.log('pmap loss per worker', p.loss.dataSync());
  console.log('vmap loss', v.loss.dataSync()[0], 'one process', l.dataSync()[0]);
  console.log('pmap w', p.w.dataSync(), 'one process', np.sub(w, np.mul(g, 0.1)).dataSync());
}
